//! Parsing the header and the tables, and looking records up in them.

use xxhash_rust::xxh3::xxh3_64;

use super::blob::StoredBytes;
use super::{
    corrupt, dictionary_in_dictionary, no_dictionary, partition_point, to_usize, within, Bundle,
    FileEntry, ModuleEntry, PrefetchEntry,
};
use crate::error::BundleError;
use crate::format::{
    check_module_name, check_relative_path, header_at, u16_at, u64_at, BlobRecord, BlobRef, Codec,
    FileKind, FileRecord, Header, HeaderProblem, MainMode, ModuleKind, ModuleRecord,
    PrefetchRecord, StrRef, BLOB_RECORD_LEN, FILE_RECORD_LEN, FORMAT_VERSION,
    HEADER_CHECKSUMMED_LEN, HEADER_LEN, MAGIC, MAX_LZ4_EXPANSION, MAX_ZSTD_EXPANSION,
    MODULE_RECORD_LEN, NO_BLOB, PREFETCH_FILE, PREFETCH_MODULE, PREFETCH_RECORD_LEN,
};
/// The header at the start of `data`, with the ends of the tables and data
/// regions it gives, after the checks that need no more than the header.
fn check_header(data: &[u8]) -> Result<(Header, u64, u64), BundleError> {
    let magic_len = MAGIC.len().min(data.len());
    if data.get(..magic_len) != MAGIC.get(..magic_len) {
        return Err(BundleError::NotABundle);
    }
    let available = data.len() as u64;
    let header_bytes = data.get(..HEADER_LEN).ok_or(BundleError::Truncated {
        what: "header",
        needed: HEADER_LEN as u64,
        available,
    })?;

    // The version comes before any other field: another version's header
    // may differ, so its lengths and checksums mean nothing to this build.
    let format_version = u16_at(header_bytes, header_at::FORMAT_VERSION).unwrap_or(0);
    if format_version != FORMAT_VERSION {
        return Err(BundleError::UnsupportedVersion {
            found: format_version,
            supported: FORMAT_VERSION,
        });
    }
    let header_len = u16_at(header_bytes, header_at::HEADER_LEN).unwrap_or(0);
    if usize::from(header_len) != HEADER_LEN {
        return Err(corrupt(format!(
                "header length is {header_len}, version {FORMAT_VERSION} headers are {HEADER_LEN} bytes"
            )));
    }
    let stored_header_checksum = u64_at(header_bytes, HEADER_CHECKSUMMED_LEN).unwrap_or(0);
    if crate::format::header_checksum(header_bytes) != stored_header_checksum {
        return Err(BundleError::ChecksumMismatch {
            what: "header".into(),
            offset: 0,
            len: HEADER_CHECKSUMMED_LEN as u64,
        });
    }
    let header = Header::decode(header_bytes).map_err(|problem| match problem {
        HeaderProblem::Short => BundleError::Truncated {
            what: "header",
            needed: HEADER_LEN as u64,
            available,
        },
        HeaderProblem::NonZeroReserved => corrupt("reserved header bytes are not zero"),
    })?;
    // Regions are contiguous (header, tables, data, end of bytes) so that
    // every byte is covered by one checksum or another.
    if header.tables_offset != HEADER_LEN as u64 {
        return Err(corrupt(format!(
            "tables start at offset {}, expected right after the header at {HEADER_LEN}",
            header.tables_offset
        )));
    }
    let tables_end = header
        .tables_offset
        .checked_add(header.tables_len)
        .ok_or_else(|| corrupt("tables length overflows"))?;
    if header.data_offset != tables_end {
        return Err(corrupt(format!(
            "data region starts at offset {}, expected right after the tables at {tables_end}",
            header.data_offset
        )));
    }
    let data_end = header
        .data_offset
        .checked_add(header.data_len)
        .ok_or_else(|| corrupt("data length overflows"))?;
    Ok((header, tables_end, data_end))
}

/// Record `index` of `table`, whose records of `what` are `len` bytes each.
fn record_bytes<'t>(
    table: &'t [u8],
    len: usize,
    what: &'static str,
    index: usize,
) -> Result<&'t [u8], BundleError> {
    index
        .checked_mul(len)
        .and_then(|start| table.get(start..start.checked_add(len)?))
        .ok_or(BundleError::IndexOutOfRange {
            what,
            index,
            count: table.len() / len,
        })
}

/// The index in `0..count` of the record whose key is `wanted`, in a table
/// sorted by `key`.
fn find_sorted<'k>(
    count: usize,
    wanted: &[u8],
    key: impl Fn(usize) -> Result<&'k [u8], BundleError>,
) -> Result<Option<usize>, BundleError> {
    let index = partition_point(0, count, |i| Ok(key(i)? < wanted))?;
    Ok((index < count && key(index)? == wanted).then_some(index))
}

impl<'a> Bundle<'a> {
    /// How many bytes the bundle starting with `prefix` (at least its
    /// header) says it has, header included, after checking the magic, the
    /// format version, the header checksum and its layout: a reader of a
    /// file can learn the size before reading the rest.
    pub fn declared_len(prefix: &[u8]) -> Result<u64, BundleError> {
        let (_, _, data_end) = check_header(prefix)?;
        Ok(data_end)
    }

    /// Checks the header, the region bounds and the tables checksum.
    /// Decompresses nothing and allocates nothing.
    pub fn parse(data: &'a [u8]) -> Result<Self, BundleError> {
        let available = data.len() as u64;
        let (header, tables_end, data_end) = check_header(data)?;
        if tables_end > available {
            return Err(BundleError::Truncated {
                what: "tables",
                needed: tables_end,
                available,
            });
        }
        if data_end > available {
            return Err(BundleError::Truncated {
                what: "data region",
                needed: data_end,
                available,
            });
        }
        if data_end < available {
            return Err(corrupt(format!(
                "{} unexpected bytes after the end of the data region",
                available - data_end
            )));
        }

        let module_table_len = u64::from(header.module_count) * MODULE_RECORD_LEN as u64;
        let file_table_len = u64::from(header.file_count) * FILE_RECORD_LEN as u64;
        let blob_table_len = u64::from(header.blob_count) * BLOB_RECORD_LEN as u64;
        let prefetch_table_len = u64::from(header.prefetch_count) * PREFETCH_RECORD_LEN as u64;
        let records_len = module_table_len + file_table_len + blob_table_len + prefetch_table_len;
        if records_len > header.tables_len {
            return Err(corrupt(format!(
                "{} modules, {} files, {} blobs and {} prefetch entries need {records_len} \
                 bytes of tables, but the tables region has {}",
                header.module_count,
                header.file_count,
                header.blob_count,
                header.prefetch_count,
                header.tables_len
            )));
        }

        let tables = data
            .get(
                to_usize(header.tables_offset, "tables offset")?
                    ..to_usize(tables_end, "tables end")?,
            )
            .ok_or_else(|| corrupt("tables region out of range"))?;
        if xxh3_64(tables) != header.tables_checksum {
            return Err(BundleError::ChecksumMismatch {
                what: "tables".into(),
                offset: header.tables_offset,
                len: header.tables_len,
            });
        }
        let blob_data = data
            .get(to_usize(header.data_offset, "data offset")?..)
            .ok_or_else(|| corrupt("data region out of range"))?;

        let (module_table, rest) = tables
            .split_at_checked(to_usize(module_table_len, "module table length")?)
            .ok_or_else(|| corrupt("module table out of range"))?;
        let (file_table, rest) = rest
            .split_at_checked(to_usize(file_table_len, "file table length")?)
            .ok_or_else(|| corrupt("file table out of range"))?;
        let (blob_table, rest) = rest
            .split_at_checked(to_usize(blob_table_len, "blob table length")?)
            .ok_or_else(|| corrupt("blob table out of range"))?;
        let (prefetch_table, strings) = rest
            .split_at_checked(to_usize(prefetch_table_len, "prefetch table length")?)
            .ok_or_else(|| corrupt("prefetch table out of range"))?;

        let mut bundle = Bundle {
            python_magic: header.python_magic,
            main: None,
            module_table,
            file_table,
            blob_table,
            prefetch_table,
            strings,
            data: blob_data,
            data_offset: header.data_offset,
            dictionary: None,
            reasons: None,
        };
        bundle.dictionary = bundle
            .optional_blob_ref(header.dictionary)
            .map_err(within("the dictionary"))?
            .map(|blob| (header.dictionary, blob));
        if bundle
            .dictionary
            .is_some_and(|(_, dictionary)| !matches!(dictionary.codec, Codec::Stored | Codec::Zstd))
        {
            return Err(dictionary_in_dictionary());
        }
        bundle.reasons = bundle
            .optional_blob_ref(header.reasons)
            .map_err(within("the reasons"))?
            .map(|blob| (header.reasons, blob));
        let main_mode = MainMode::from_u8(header.main_mode)
            .ok_or_else(|| corrupt(format!("unknown main mode {}", header.main_mode)))?;
        bundle.main = match main_mode {
            None if header.main_name != StrRef::default() => {
                return Err(corrupt(
                    "a main module name is set but the main mode is none",
                ));
            }
            None => None,
            Some(mode) => Some((
                mode,
                bundle
                    .string(header.main_name)
                    .map_err(within("main module name"))?,
            )),
        };
        Ok(bundle)
    }

    pub fn format_version(&self) -> u16 {
        FORMAT_VERSION
    }

    /// CPython bytecode magic of the interpreter that compiled the code
    /// blobs. The runtime compares it with its own interpreter's.
    pub fn python_magic(&self) -> [u8; 4] {
        self.python_magic
    }

    /// The module to run and how. Validated by `parse`.
    pub fn main(&self) -> Option<(MainMode, &'a str)> {
        self.main
    }

    pub fn module_count(&self) -> usize {
        self.module_table.len() / MODULE_RECORD_LEN
    }

    pub fn file_count(&self) -> usize {
        self.file_table.len() / FILE_RECORD_LEN
    }

    pub fn blob_count(&self) -> usize {
        self.blob_table.len() / BLOB_RECORD_LEN
    }

    pub fn prefetch_count(&self) -> usize {
        self.prefetch_table.len() / PREFETCH_RECORD_LEN
    }

    /// The native code the runtime unpacks ahead of its import, in the
    /// order the app is expected to load it.
    pub fn prefetch(&self) -> impl Iterator<Item = Result<PrefetchEntry<'a>, BundleError>> + 'a {
        let bundle = *self;
        self.prefetch_table
            .chunks_exact(PREFETCH_RECORD_LEN)
            .enumerate()
            .map(move |(position, bytes)| bundle.prefetch_entry(position, bytes))
    }

    fn prefetch_entry(
        &self,
        position: usize,
        bytes: &[u8],
    ) -> Result<PrefetchEntry<'a>, BundleError> {
        let context = || format!("prefetch entry {position}");
        let record = PrefetchRecord::decode(bytes)
            .ok_or_else(|| corrupt(format!("{}: padding is not zero", context())))?;
        let index = record.index as usize;
        let (what, count) = match record.table {
            PREFETCH_MODULE => ("module", self.module_count()),
            PREFETCH_FILE => ("file", self.file_count()),
            other => {
                return Err(corrupt(format!("{}: unknown table {other}", context())));
            }
        };
        if index >= count {
            return Err(within(context())(BundleError::IndexOutOfRange {
                what,
                index,
                count,
            }));
        }
        if record.table == PREFETCH_MODULE {
            let module = self.module(index).map_err(within(context()))?;
            match module.code {
                Some(blob) if module.kind == ModuleKind::Extension => Ok(PrefetchEntry {
                    name: module.name,
                    file_name: module.file_name(),
                    is_library: false,
                    blob,
                }),
                _ => Err(corrupt(format!(
                    "{}: module {:?} is not an extension module",
                    context(),
                    module.name
                ))),
            }
        } else {
            let file = self.file(index).map_err(within(context()))?;
            if file.kind != FileKind::SharedLibrary {
                return Err(corrupt(format!(
                    "{}: file {:?} is not a shared library",
                    context(),
                    file.path
                )));
            }
            Ok(PrefetchEntry {
                name: file.path,
                file_name: file.aux,
                is_library: true,
                blob: file.data,
            })
        }
    }

    fn string_bytes(&self, string: StrRef) -> Result<&'a [u8], BundleError> {
        let start = string.offset as usize;
        start
            .checked_add(string.len as usize)
            .and_then(|end| self.strings.get(start..end))
            .ok_or(BundleError::OutOfRange {
                what: "string",
                region: "string table",
                offset: u64::from(string.offset),
                len: u64::from(string.len),
                region_len: self.strings.len() as u64,
            })
    }

    fn string(&self, string: StrRef) -> Result<&'a str, BundleError> {
        let bytes = self.string_bytes(string)?;
        std::str::from_utf8(bytes)
            .map_err(|_| corrupt(format!("string at {} is not valid UTF-8", string.offset)))
    }

    fn module_record(&self, index: usize) -> Result<ModuleRecord, BundleError> {
        let bytes = record_bytes(self.module_table, MODULE_RECORD_LEN, "module", index)?;
        ModuleRecord::decode(bytes)
            .ok_or_else(|| corrupt(format!("module record {index}: padding is not zero")))
    }

    fn file_record(&self, index: usize) -> Result<FileRecord, BundleError> {
        let bytes = record_bytes(self.file_table, FILE_RECORD_LEN, "file", index)?;
        FileRecord::decode(bytes)
            .ok_or_else(|| corrupt(format!("file record {index}: padding is not zero")))
    }

    /// Resolves a blob index from a record, checking the blob record itself
    /// (codec known, bytes inside the data region, plausible lengths).
    fn blob_ref(&self, index: u32) -> Result<BlobRef, BundleError> {
        let bytes = record_bytes(self.blob_table, BLOB_RECORD_LEN, "blob", index as usize)?;
        let record = BlobRecord::decode(bytes)
            .ok_or_else(|| corrupt(format!("blob record {index}: padding is not zero")))?;
        let codec = Codec::from_u8(record.codec).ok_or_else(|| {
            corrupt(format!(
                "blob record {index}: unknown codec {}",
                record.codec
            ))
        })?;
        let blob = BlobRef {
            offset: record.offset,
            stored_len: record.stored_len,
            raw_len: record.raw_len,
            checksum: record.checksum,
            codec,
        };
        self.check_blob_shape(&blob)
            .map_err(within(format_args!("blob record {index}")))?;
        Ok(blob)
    }

    fn optional_blob_ref(&self, index: u32) -> Result<Option<BlobRef>, BundleError> {
        if index == NO_BLOB {
            Ok(None)
        } else {
            self.blob_ref(index).map(Some)
        }
    }

    /// Checks of a blob reference that need no access to its bytes. Callers
    /// may build a `BlobRef` by hand, so `blob()` repeats them.
    pub(super) fn check_blob_shape(&self, blob: &BlobRef) -> Result<(), BundleError> {
        let end = blob.offset.checked_add(u64::from(blob.stored_len));
        let inside = matches!(end, Some(end) if end <= self.data.len() as u64);
        if !inside {
            return Err(self.outside_data(blob));
        }
        match blob.codec {
            Codec::Stored if blob.raw_len != blob.stored_len => Err(corrupt(format!(
                "uncompressed blob has stored length {} but raw length {}",
                blob.stored_len, blob.raw_len
            ))),
            Codec::ZstdDictionary if self.dictionary.is_none() => Err(no_dictionary()),
            Codec::Zstd | Codec::ZstdDictionary
                if u64::from(blob.raw_len) > u64::from(blob.stored_len) * MAX_ZSTD_EXPANSION =>
            {
                Err(corrupt(format!(
                    "raw length {} is impossible for {} bytes of zstd data",
                    blob.raw_len, blob.stored_len
                )))
            }
            Codec::Lz4
                if u64::from(blob.raw_len) > u64::from(blob.stored_len) * MAX_LZ4_EXPANSION =>
            {
                Err(corrupt(format!(
                    "raw length {} is impossible for {} bytes of LZ4 data",
                    blob.raw_len, blob.stored_len
                )))
            }
            _ => Ok(()),
        }
    }

    pub(super) fn outside_data(&self, blob: &BlobRef) -> BundleError {
        BundleError::OutOfRange {
            what: "blob",
            region: "data region",
            offset: blob.offset,
            len: u64::from(blob.stored_len),
            region_len: self.data.len() as u64,
        }
    }

    /// The module record at `index` (in name order), decoded and checked.
    pub fn module(&self, index: usize) -> Result<ModuleEntry<'a>, BundleError> {
        self.module_and_blob_indices(index).map(|(entry, _)| entry)
    }

    fn module_and_blob_indices(
        &self,
        index: usize,
    ) -> Result<(ModuleEntry<'a>, ModuleRecord), BundleError> {
        let record = self.module_record(index)?;
        let name = self
            .string(record.name)
            .map_err(within(format_args!("module record {index}: name")))?;
        let path = self
            .string(record.path)
            .map_err(within(format_args!("module {name:?}: path")))?;
        let kind = ModuleKind::from_u8(record.kind).ok_or_else(|| {
            corrupt(format!(
                "module {name:?}: unknown module kind {}",
                record.kind
            ))
        })?;
        let code = self
            .optional_blob_ref(record.code)
            .map_err(within(format_args!("module {name:?}: code")))?;
        let source = self
            .optional_blob_ref(record.source)
            .map_err(within(format_args!("module {name:?}: source")))?;
        let entry = ModuleEntry {
            name,
            kind,
            path,
            code,
            source,
        };
        Ok((entry, record))
    }

    pub fn modules(&self) -> impl Iterator<Item = Result<ModuleEntry<'a>, BundleError>> + 'a {
        let bundle = *self;
        (0..self.module_count()).map(move |index| bundle.module(index))
    }

    fn module_name_bytes(&self, index: usize) -> Result<&'a [u8], BundleError> {
        let record = self.module_record(index)?;
        self.string_bytes(record.name)
            .map_err(within(format_args!("module record {index}: name")))
    }

    /// Binary search by name: O(log n) record reads, no allocation.
    pub fn find_module(&self, name: &str) -> Result<Option<ModuleEntry<'a>>, BundleError> {
        find_sorted(self.module_count(), name.as_bytes(), |i| {
            self.module_name_bytes(i)
        })?
        .map(|index| self.module(index))
        .transpose()
    }

    /// Direct children of `package` (`package.x` but not `package.x.y`), in
    /// name order; `""` gives the top-level modules. Descendants of a child
    /// are contiguous in name order, so each such run is skipped with a
    /// binary search instead of being walked.
    pub fn submodules(&self, package: &str) -> Result<Vec<ModuleEntry<'a>>, BundleError> {
        let prefix = if package.is_empty() {
            String::new()
        } else {
            format!("{package}.")
        };
        let prefix = prefix.as_bytes();
        let count = self.module_count();
        let mut index = partition_point(0, count, |i| Ok(self.module_name_bytes(i)? < prefix))?;
        let mut children = Vec::new();
        while index < count {
            let name = self.module_name_bytes(index)?;
            let Some(rest) = name.strip_prefix(prefix) else {
                break;
            };
            match rest.iter().position(|&byte| byte == b'.') {
                Some(dot) => {
                    let run_prefix = name.get(..prefix.len() + dot + 1).unwrap_or(name);
                    let run_end = partition_point(index, count, |i| {
                        let other = self.module_name_bytes(i)?;
                        Ok(other < run_prefix || other.starts_with(run_prefix))
                    })?;
                    // Unsorted (corrupt) tables could send the search backwards.
                    index = run_end.max(index + 1);
                }
                None => {
                    if !rest.is_empty() {
                        children.push(self.module(index)?);
                    }
                    index += 1;
                }
            }
        }
        Ok(children)
    }

    /// The file record at `index` (in path order), decoded and checked.
    pub fn file(&self, index: usize) -> Result<FileEntry<'a>, BundleError> {
        self.file_and_blob_index(index).map(|(entry, _)| entry)
    }

    fn file_and_blob_index(&self, index: usize) -> Result<(FileEntry<'a>, u32), BundleError> {
        let record = self.file_record(index)?;
        let path = self
            .string(record.path)
            .map_err(within(format_args!("file record {index}: path")))?;
        let aux = self
            .string(record.aux)
            .map_err(within(format_args!("file {path:?}: aux")))?;
        let kind = FileKind::from_u8(record.kind)
            .ok_or_else(|| corrupt(format!("file {path:?}: unknown file kind {}", record.kind)))?;
        if record.blob == NO_BLOB {
            return Err(corrupt(format!("file {path:?}: has no data blob")));
        }
        let data = self
            .blob_ref(record.blob)
            .map_err(within(format_args!("file {path:?}")))?;
        Ok((
            FileEntry {
                path,
                kind,
                aux,
                data,
                digest: record.digest,
            },
            record.blob,
        ))
    }

    pub fn files(&self) -> impl Iterator<Item = Result<FileEntry<'a>, BundleError>> + 'a {
        let bundle = *self;
        (0..self.file_count()).map(move |index| bundle.file(index))
    }

    fn file_path_bytes(&self, index: usize) -> Result<&'a [u8], BundleError> {
        let record = self.file_record(index)?;
        self.string_bytes(record.path)
            .map_err(within(format_args!("file record {index}: path")))
    }

    /// Binary search by path: O(log n) record reads, no allocation.
    pub fn find_file(&self, path: &str) -> Result<Option<FileEntry<'a>>, BundleError> {
        find_sorted(self.file_count(), path.as_bytes(), |i| {
            self.file_path_bytes(i)
        })?
        .map(|index| self.file(index))
        .transpose()
    }

    /// Every file whose path starts with `dir/`, at any depth, in path order;
    /// `""` gives all files. A trailing `/` on `dir` is ignored.
    pub fn files_under(&self, dir: &str) -> Result<Vec<FileEntry<'a>>, BundleError> {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() {
            return self.files().collect();
        }
        let prefix = format!("{dir}/");
        let prefix = prefix.as_bytes();
        let count = self.file_count();
        let mut index = partition_point(0, count, |i| Ok(self.file_path_bytes(i)? < prefix))?;
        let mut found = Vec::new();
        while index < count && self.file_path_bytes(index)?.starts_with(prefix) {
            found.push(self.file(index)?);
            index += 1;
        }
        Ok(found)
    }

    /// Checks everything `parse` leaves for later: every record decodes,
    /// names and paths are well formed, records are strictly sorted, kinds
    /// fit their blobs, the main module exists, and every blob is referenced,
    /// laid out contiguously, matches its checksum and decompresses.
    pub fn verify(&self) -> Result<(), BundleError> {
        let mut referenced = vec![false; self.blob_count()];
        let mut mark_referenced = |index: u32| {
            if let Some(slot) = referenced.get_mut(index as usize) {
                *slot = true;
            }
        };
        for (index, _) in self.dictionary.iter().chain(&self.reasons) {
            mark_referenced(*index);
        }

        let mut previous_name: Option<&str> = None;
        for index in 0..self.module_count() {
            let (module, record) = self.module_and_blob_indices(index)?;
            let context = format!("module record {index} ({:?})", module.name);
            check_module_name(module.name)
                .map_err(|reason| corrupt(format!("{context}: invalid name: {reason}")))?;
            check_relative_path(module.path)
                .map_err(|reason| corrupt(format!("{context}: invalid path: {reason}")))?;
            module
                .kind
                .check_blobs(module.code.is_some(), module.source.is_some())
                .map_err(|reason| corrupt(format!("{context}: {reason}")))?;
            if let Some(previous) = previous_name {
                if previous.as_bytes() >= module.name.as_bytes() {
                    return Err(corrupt(format!(
                        "module records are not strictly sorted by name: {previous:?} comes before {:?}",
                        module.name
                    )));
                }
            }
            previous_name = Some(module.name);
            for blob in [record.code, record.source] {
                if blob != NO_BLOB {
                    mark_referenced(blob);
                }
            }
        }

        let mut previous_path: Option<&str> = None;
        for index in 0..self.file_count() {
            let (file, blob) = self.file_and_blob_index(index)?;
            check_relative_path(file.path).map_err(|reason| {
                corrupt(format!(
                    "file record {index} ({:?}): invalid path: {reason}",
                    file.path
                ))
            })?;
            if let Some(previous) = previous_path {
                if previous.as_bytes() >= file.path.as_bytes() {
                    return Err(corrupt(format!(
                        "file records are not strictly sorted by path: {previous:?} comes before {:?}",
                        file.path
                    )));
                }
            }
            previous_path = Some(file.path);
            mark_referenced(blob);
        }

        let mut prefetched = std::collections::HashSet::new();
        for entry in self.prefetch() {
            let entry = entry?;
            if !prefetched.insert((entry.is_library, entry.name)) {
                return Err(corrupt(format!(
                    "{} is in the prefetch table twice",
                    entry.describe()
                )));
            }
        }

        if let Some((_, name)) = self.main() {
            if self.find_module(name)?.is_none() {
                return Err(corrupt(format!(
                    "main module {name:?} is not in the module table"
                )));
            }
        }

        let mut expected_offset = 0u64;
        for (index, is_referenced) in referenced.iter().enumerate() {
            let index = u32::try_from(index)
                .map_err(|_| corrupt("more blobs than the format can count"))?;
            let blob = self.blob_ref(index)?;
            if blob.offset != expected_offset {
                return Err(corrupt(format!(
                    "blob {index} starts at data offset {}, expected {expected_offset}: \
                     blobs must be contiguous and in table order",
                    blob.offset
                )));
            }
            expected_offset += u64::from(blob.stored_len);
            self.blob(&blob, StoredBytes::InBundle)
                .map_err(within(format_args!("blob {index}")))?;
            if !is_referenced {
                return Err(corrupt(format!(
                    "blob {index} is not referenced by any module or file"
                )));
            }
        }
        if expected_offset != self.data.len() as u64 {
            return Err(corrupt(format!(
                "blobs cover {expected_offset} of the {} bytes of the data region",
                self.data.len()
            )));
        }
        Ok(())
    }
}
