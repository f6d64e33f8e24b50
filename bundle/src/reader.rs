//! The one bundle reader.
//!
//! `Bundle::parse` checks everything that is O(1) or a single hash over the
//! tables and allocates nothing, because it runs at every program start.
//! Records are decoded and checked on access; `Bundle::verify` checks them all.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::io;
use std::os::unix::fs::FileExt;

use xxhash_rust::xxh3::xxh3_64;

use crate::error::BundleError;
use crate::format::{
    check_module_name, check_relative_path, u16_at, u64_at, BlobRecord, BlobRef, Codec, FileKind,
    FileRecord, Header, HeaderProblem, MainMode, ModuleKind, ModuleRecord, PrefetchRecord,
    StoredBlob, StrRef, BLOB_RECORD_LEN, FILE_RECORD_LEN, FORMAT_VERSION, HEADER_CHECKSUMMED_LEN,
    HEADER_LEN, MAGIC, MAX_ZSTD_EXPANSION, MODULE_RECORD_LEN, NO_BLOB, PREFETCH_FILE,
    PREFETCH_MODULE, PREFETCH_RECORD_LEN,
};
use crate::mapped_zstd::{MappedDecoder, MappedDictionary};

/// One module of a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleEntry<'a> {
    /// Dotted name, e.g. `json.decoder`.
    pub name: &'a str,
    pub kind: ModuleKind,
    /// Relative virtual path, e.g. `json/decoder.py`.
    pub path: &'a str,
    /// Marshalled code object, or the shared object of an extension module.
    pub code: Option<BlobRef>,
    pub source: Option<BlobRef>,
}

impl<'a> ModuleEntry<'a> {
    /// The last part of the path: what an extension module is loaded as
    /// (`_decimal.cpython-311-x86_64-linux-gnu.so`).
    pub fn file_name(&self) -> &'a str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// One file of a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileEntry<'a> {
    /// Relative path with `/` separators.
    pub path: &'a str,
    pub kind: FileKind,
    /// Extra string for the kind: a shared library's SONAME, empty otherwise.
    pub aux: &'a str,
    pub data: BlobRef,
    /// xxh3-64 of the content, for checking a copy of it on disk.
    pub digest: u64,
}

/// Native code the runtime unpacks ahead of its import: an extension
/// module or a shared library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrefetchEntry<'a> {
    /// The extension module's name, or the shared library's path.
    pub name: &'a str,
    /// The name it is loaded under: the extension module's file name, or
    /// the library's SONAME.
    pub file_name: &'a str,
    pub is_library: bool,
    pub blob: BlobRef,
}

impl PrefetchEntry<'_> {
    /// "extension module NAME" or "shared library PATH".
    pub fn describe(&self) -> String {
        let what = if self.is_library {
            "shared library"
        } else {
            "extension module"
        };
        format!("{what} {:?}", self.name)
    }
}

/// A parsed view of bundle bytes. Borrows the bytes and copies nothing, so
/// it works directly on an mmap of the executable.
#[derive(Clone, Copy)]
pub struct Bundle<'a> {
    python_magic: [u8; 4],
    main: Option<(MainMode, &'a str)>,
    module_table: &'a [u8],
    file_table: &'a [u8],
    blob_table: &'a [u8],
    prefetch_table: &'a [u8],
    strings: &'a [u8],
    data: &'a [u8],
    /// Where `data` starts, from the start of the bundle.
    data_offset: u64,
    /// The zstd dictionary blobs of codec `ZstdDictionary` were compressed
    /// with, if the bundle has one: its blob index and record.
    dictionary: Option<(u32, BlobRef)>,
}

impl fmt::Debug for Bundle<'_> {
    // The derived form would print every byte of the bundle.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle")
            .field("python_magic", &self.python_magic)
            .field("main", &self.main)
            .field("modules", &self.module_count())
            .field("files", &self.file_count())
            .field("blobs", &self.blob_count())
            .field("prefetch", &self.prefetch_count())
            .field("dictionary", &self.dictionary)
            .field("string_table_len", &self.strings.len())
            .field("data_len", &self.data.len())
            .finish()
    }
}

fn corrupt(message: impl Into<String>) -> BundleError {
    BundleError::Corrupt(message.into())
}

fn no_dictionary() -> BundleError {
    corrupt("blob is compressed with a dictionary, but the bundle has none")
}

fn dictionary_in_dictionary() -> BundleError {
    corrupt("the dictionary is itself compressed with the dictionary")
}

/// Prefixes a `Corrupt` message with where the problem was found.
fn within(context: impl fmt::Display) -> impl FnOnce(BundleError) -> BundleError {
    move |error| match error {
        BundleError::Corrupt(message) => BundleError::Corrupt(format!("{context}: {message}")),
        other => other,
    }
}

fn to_usize(value: u64, what: &str) -> Result<usize, BundleError> {
    usize::try_from(value).map_err(|_| corrupt(format!("{what} {value} exceeds the address space")))
}

/// First index in `lo..hi` where `is_before` is false, for a predicate that
/// is true on a prefix of the range. On unsorted (corrupt) tables the answer
/// is some index in `lo..=hi`, never a panic.
fn partition_point(
    mut lo: usize,
    mut hi: usize,
    mut is_before: impl FnMut(usize) -> Result<bool, BundleError>,
) -> Result<usize, BundleError> {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if is_before(mid)? {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

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
    let format_version = u16_at(header_bytes, 8).unwrap_or(0);
    if format_version != FORMAT_VERSION {
        return Err(BundleError::UnsupportedVersion {
            found: format_version,
            supported: FORMAT_VERSION,
        });
    }
    let header_len = u16_at(header_bytes, 10).unwrap_or(0);
    if usize::from(header_len) != HEADER_LEN {
        return Err(corrupt(format!(
                "header length is {header_len}, version {FORMAT_VERSION} headers are {HEADER_LEN} bytes"
            )));
    }
    let stored_header_checksum = u64_at(header_bytes, HEADER_CHECKSUMMED_LEN).unwrap_or(0);
    if crate::format::header_checksum(header_bytes) != stored_header_checksum {
        return Err(BundleError::ChecksumMismatch {
            what: "header".into(),
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
        };
        bundle.dictionary = bundle
            .optional_blob_ref(header.dictionary)
            .map_err(within("the dictionary"))?
            .map(|blob| (header.dictionary, blob));
        if bundle
            .dictionary
            .is_some_and(|(_, dictionary)| dictionary.codec == Codec::ZstdDictionary)
        {
            return Err(dictionary_in_dictionary());
        }
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
            return Err(corrupt(format!(
                "{}: {what} index {index} is out of range (there are {count})",
                context()
            )));
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
            .ok_or_else(|| {
                corrupt(format!(
                    "string at {} with length {} lies outside the {}-byte string table",
                    string.offset,
                    string.len,
                    self.strings.len()
                ))
            })
    }

    fn string(&self, string: StrRef) -> Result<&'a str, BundleError> {
        let bytes = self.string_bytes(string)?;
        std::str::from_utf8(bytes)
            .map_err(|_| corrupt(format!("string at {} is not valid UTF-8", string.offset)))
    }

    fn module_record(&self, index: usize) -> Result<ModuleRecord, BundleError> {
        let bytes = index
            .checked_mul(MODULE_RECORD_LEN)
            .and_then(|start| {
                self.module_table
                    .get(start..start.checked_add(MODULE_RECORD_LEN)?)
            })
            .ok_or(BundleError::IndexOutOfRange {
                what: "module",
                index,
                count: self.module_count(),
            })?;
        ModuleRecord::decode(bytes)
            .ok_or_else(|| corrupt(format!("module record {index}: padding is not zero")))
    }

    fn file_record(&self, index: usize) -> Result<FileRecord, BundleError> {
        let bytes = index
            .checked_mul(FILE_RECORD_LEN)
            .and_then(|start| {
                self.file_table
                    .get(start..start.checked_add(FILE_RECORD_LEN)?)
            })
            .ok_or(BundleError::IndexOutOfRange {
                what: "file",
                index,
                count: self.file_count(),
            })?;
        FileRecord::decode(bytes)
            .ok_or_else(|| corrupt(format!("file record {index}: padding is not zero")))
    }

    /// Resolves a blob index from a record, checking the blob record itself
    /// (codec known, bytes inside the data region, plausible lengths).
    fn blob_ref(&self, index: u32) -> Result<BlobRef, BundleError> {
        let bytes = (index as usize)
            .checked_mul(BLOB_RECORD_LEN)
            .and_then(|start| {
                self.blob_table
                    .get(start..start.checked_add(BLOB_RECORD_LEN)?)
            })
            .ok_or_else(|| {
                corrupt(format!(
                    "blob index {index} is out of range (there are {} blobs)",
                    self.blob_count()
                ))
            })?;
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
    fn check_blob_shape(&self, blob: &BlobRef) -> Result<(), BundleError> {
        let end = blob.offset.checked_add(u64::from(blob.stored_len));
        let inside = matches!(end, Some(end) if end <= self.data.len() as u64);
        if !inside {
            return Err(corrupt(format!(
                "blob at data offset {} with length {} lies outside the {}-byte data region",
                blob.offset,
                blob.stored_len,
                self.data.len()
            )));
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
            _ => Ok(()),
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
        let wanted = name.as_bytes();
        let count = self.module_count();
        let index = partition_point(0, count, |i| Ok(self.module_name_bytes(i)? < wanted))?;
        if index < count && self.module_name_bytes(index)? == wanted {
            self.module(index).map(Some)
        } else {
            Ok(None)
        }
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
        let wanted = path.as_bytes();
        let count = self.file_count();
        let index = partition_point(0, count, |i| Ok(self.file_path_bytes(i)? < wanted))?;
        if index < count && self.file_path_bytes(index)? == wanted {
            self.file(index).map(Some)
        } else {
            Ok(None)
        }
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

    /// Stored bytes of a blob, bounds-checked and checksum-verified.
    fn verified_stored_bytes(&self, blob: &BlobRef) -> Result<&'a [u8], BundleError> {
        self.check_blob_shape(blob)?;
        to_usize(blob.offset, "blob offset")?;
        let bytes = self
            .stored_span(blob)
            .ok_or_else(|| corrupt(format!("blob at data offset {} out of range", blob.offset)))?;
        verify_checksum(blob, bytes)?;
        Ok(bytes)
    }

    /// The bytes a blob occupies in the bundle, bounds-checked but neither
    /// verified nor decompressed: lets a caller that maps the bundle give
    /// those pages back once it has read the content.
    pub fn stored_span(&self, blob: &BlobRef) -> Option<&'a [u8]> {
        let start = usize::try_from(blob.offset).ok()?;
        self.data
            .get(start..start.checked_add(blob.stored_len as usize)?)
    }

    /// The content of a blob: verified, and decompressed to exactly
    /// `raw_len` bytes. Uncompressed blobs are borrowed, not copied.
    pub fn blob(&self, blob: &BlobRef) -> Result<Cow<'a, [u8]>, BundleError> {
        self.content(blob, self.verified_stored_bytes(blob)?)
    }

    /// As [`Self::blob`], for stored bytes the caller read itself: the
    /// runtime reads modules with `pread` from its executable rather than
    /// through its mapping of it, so that they never count toward its RSS.
    /// `stored` must be the blob's stored bytes (its [`Self::stored_span`]),
    /// and is checked against the blob's length and checksum.
    pub fn blob_from_stored<'s>(
        &self,
        blob: &BlobRef,
        stored: &'s [u8],
    ) -> Result<Cow<'s, [u8]>, BundleError> {
        self.content(blob, self.verified_given(blob, stored)?)
    }

    /// Where a blob's stored bytes start, from the start of the bundle:
    /// for a caller that reads them itself. Checked to lie in the bundle.
    pub fn stored_offset(&self, blob: &BlobRef) -> Result<u64, BundleError> {
        self.check_blob_shape(blob)?;
        Ok(self.data_offset + blob.offset)
    }

    /// `stored`, checked to be `blob`'s stored bytes: shape, length and
    /// checksum.
    fn verified_given<'s>(
        &self,
        blob: &BlobRef,
        stored: &'s [u8],
    ) -> Result<&'s [u8], BundleError> {
        self.check_blob_shape(blob)?;
        if stored.len() != blob.stored_len as usize {
            return Err(corrupt(format!(
                "blob at data offset {} has {} stored bytes, {} were given",
                blob.offset,
                blob.stored_len,
                stored.len()
            )));
        }
        verify_checksum(blob, stored)?;
        Ok(stored)
    }

    /// The content of `blob` from its verified stored bytes.
    fn content<'s>(&self, blob: &BlobRef, stored: &'s [u8]) -> Result<Cow<'s, [u8]>, BundleError> {
        match blob.codec {
            Codec::Stored => Ok(Cow::Borrowed(stored)),
            Codec::Zstd => decompress(stored, blob.raw_len, blob.offset).map(Cow::Owned),
            Codec::ZstdDictionary => {
                let dictionary = self.dictionary().ok_or_else(no_dictionary)?;
                decompress_with_dictionary(stored, blob.raw_len, blob.offset, &dictionary, |out| {
                    self.dictionary_into(&dictionary, out)
                        .map_err(within("the dictionary"))
                })
                .map(Cow::Owned)
            }
        }
    }

    /// The content of the dictionary `blob` written into `out`, which is
    /// `raw_len` bytes long: into its mapping, without a buffer of its own.
    fn dictionary_into(&self, blob: &BlobRef, out: &mut [u8]) -> Result<(), BundleError> {
        let stored = self.verified_stored_bytes(blob)?;
        let failure = |reason: String| BundleError::Decompress {
            offset: blob.offset,
            reason,
        };
        if out.len() != blob.raw_len as usize {
            return Err(failure(format!(
                "{} bytes of room for {} of content",
                out.len(),
                blob.raw_len
            )));
        }
        match blob.codec {
            Codec::Stored => out.copy_from_slice(stored),
            Codec::Zstd => {
                let written = with_decompressor(|context| context.decode_all(stored, out))
                    .map_err(|error| failure(error.to_string()))?
                    .map_err(|error| failure(error.to_string()))?;
                if written != out.len() {
                    return Err(failure(format!(
                        "decompressed to {written} bytes, expected {}",
                        out.len()
                    )));
                }
            }
            Codec::ZstdDictionary => return Err(dictionary_in_dictionary()),
        }
        Ok(())
    }

    /// The zstd dictionary of the bundle, if it has one: blobs of codec
    /// [`Codec::ZstdDictionary`] need it to be decompressed.
    pub fn dictionary(&self) -> Option<BlobRef> {
        self.dictionary.map(|(_, blob)| blob)
    }

    /// The content of a blob, handed to `write_at(offset, bytes)` piece by
    /// piece (a memory file's `pwrite`, say), so a 35 MB shared library
    /// never sits whole in this process's memory. Blobs of several zstd
    /// frames are decompressed on up to [`MAX_DECOMPRESS_THREADS`] threads,
    /// so `write_at` is called concurrently, each call for a distinct range.
    /// The pieces cover `0..raw_len` exactly once.
    pub fn blob_write_at<F>(&self, blob: &BlobRef, write_at: F) -> Result<(), BundleError>
    where
        F: Fn(u64, &[u8]) -> io::Result<()> + Sync,
    {
        self.blob_into(
            blob,
            self.verified_stored_bytes(blob)?,
            FrameSink::Pieces(&write_at),
        )
    }

    /// The content of a blob written into `file`, which must be empty and
    /// is sized to `raw_len` first (a memory file native code is loaded
    /// from). As [`Self::blob_write_at`], but frames of up to 8 MiB are
    /// decompressed straight into the file's pages through a shared mapping
    /// of their range: no window buffer, no copying.
    pub fn blob_to_file(&self, blob: &BlobRef, file: &std::fs::File) -> Result<(), BundleError> {
        self.blob_to_file_from_stored(blob, self.verified_stored_bytes(blob)?, file)
    }

    /// As [`Self::blob_to_file`], for stored bytes the caller read itself
    /// (see [`Self::blob_from_stored`]).
    pub fn blob_to_file_from_stored(
        &self,
        blob: &BlobRef,
        stored: &[u8],
        file: &std::fs::File,
    ) -> Result<(), BundleError> {
        let stored = self.verified_given(blob, stored)?;
        self.blob_into::<fn(u64, &[u8]) -> io::Result<()>>(blob, stored, FrameSink::File(file))
    }

    /// Writes the content of `blob`, from its verified stored bytes.
    fn blob_into<F>(
        &self,
        blob: &BlobRef,
        stored: &[u8],
        sink: FrameSink<'_, F>,
    ) -> Result<(), BundleError>
    where
        F: Fn(u64, &[u8]) -> io::Result<()> + Sync,
    {
        let failed = |error: io::Error| BundleError::Decompress {
            offset: blob.offset,
            reason: format!("writing the content: {error}"),
        };
        if let FrameSink::File(file) = &sink {
            file.set_len(u64::from(blob.raw_len)).map_err(failed)?;
        }
        match blob.codec {
            Codec::Stored => sink.write_whole(stored).map_err(failed),
            // Modules' code and source, which are small: in one piece.
            Codec::ZstdDictionary => sink
                .write_whole(&self.content(blob, stored)?)
                .map_err(failed),
            Codec::Zstd => match zstd_frames(stored, blob.raw_len as usize) {
                Some(frames) => unpack_frames(stored, &frames, blob.offset, sink),
                // Not split into sized frames: one pass, checked like `blob`.
                None => {
                    let raw = decompress(stored, blob.raw_len, blob.offset)?;
                    sink.write_whole(&raw).map_err(failed)
                }
            },
        }
    }

    /// A blob in its stored form, verified but not decompressed, ready to be
    /// handed to another `BundleWriter` as `Blob::Stored`.
    pub fn stored_blob(&self, blob: &BlobRef) -> Result<StoredBlob, BundleError> {
        let stored = self.verified_stored_bytes(blob)?;
        Ok(StoredBlob {
            codec: blob.codec,
            raw_len: blob.raw_len,
            bytes: stored.to_vec(),
        })
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
        if let Some((index, _)) = self.dictionary {
            mark_referenced(index);
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
            self.blob(&blob)
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

thread_local! {
    // Creating a zstd context per blob costs ~160 KiB of memory; the runtime
    // decompresses hundreds of modules at startup, so keep one per thread,
    // for blobs with and without the dictionary alike. Mapped, like the
    // dictionary: neither may pass through malloc (see `mapped_zstd`).
    static DECOMPRESSOR: RefCell<Option<MappedDecoder>> = const { RefCell::new(None) };
    // A bundle's dictionary, digested (~20 us for 256 KiB, after unpacking
    // it), and which dictionary that is: the checksum and lengths of its
    // blob. Kept apart from the context, which must not apply it to frames
    // compressed without it (they would start from its repeat offsets).
    static DICTIONARY: RefCell<Option<(DictionaryKey, MappedDictionary)>> =
        const { RefCell::new(None) };
}

type DictionaryKey = (u64, u32, u32);

/// Runs `work` with this thread's zstd context, or with a new one while
/// thread-local storage is being torn down or already in use.
fn with_decompressor<T>(work: impl FnOnce(&mut MappedDecoder) -> T) -> io::Result<T> {
    let new_context = || MappedDecoder::new(MappedDecoder::bulk_context_len(), 0);
    let mut work = Some(work);
    let done = DECOMPRESSOR
        .try_with(|cell| {
            let mut slot = cell.try_borrow_mut().ok()?;
            if slot.is_none() {
                *slot = Some(new_context()?);
            }
            Some((work.take()?)(slot.as_mut()?))
        })
        .ok()
        .flatten();
    match (done, work) {
        (Some(result), _) => Ok(result),
        (None, Some(work)) => {
            let mut context =
                new_context().ok_or_else(|| io::Error::other("cannot map a zstd context"))?;
            Ok(work(&mut context))
        }
        (None, None) => Err(io::Error::other("the zstd context went away")),
    }
}

/// Decompresses the whole of `stored` after the end of `out`, with
/// `dictionary` if it was compressed with it.
fn decompress_into(
    stored: &[u8],
    out: &mut Vec<u8>,
    dictionary: Option<&MappedDictionary>,
) -> io::Result<usize> {
    with_decompressor(|context| context.decode_to_vec(stored, out, dictionary))?
        .map_err(io::Error::other)
}

/// Decompresses zstd frames compressed with a dictionary, the content of
/// blob `dictionary`, which `fill_dictionary` writes into the buffer it is
/// given if this thread has not digested that dictionary yet.
fn decompress_with_dictionary(
    stored: &[u8],
    raw_len: u32,
    offset: u64,
    dictionary: &BlobRef,
    fill_dictionary: impl FnOnce(&mut [u8]) -> Result<(), BundleError>,
) -> Result<Vec<u8>, BundleError> {
    let key = (
        dictionary.checksum,
        dictionary.stored_len,
        dictionary.raw_len,
    );
    let digest = |fill: Option<_>| {
        let fill = fill.ok_or_else(|| BundleError::Decompress {
            offset,
            reason: "the zstd dictionary went away".into(),
        })?;
        MappedDictionary::new(dictionary.raw_len as usize, fill).map_err(|error| {
            error.unwrap_or_else(|| BundleError::Decompress {
                offset: dictionary.offset,
                reason: "cannot digest the zstd dictionary".into(),
            })
        })
    };
    let decompress = |digested: &MappedDictionary| {
        decompress_checked(stored, raw_len, offset, |out| {
            decompress_into(stored, out, Some(digested))
        })
    };
    let mut fill_dictionary = Some(fill_dictionary);
    let with_cached = DICTIONARY.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.as_ref().map(|(loaded, _)| *loaded) != Some(key) {
            // The old digest goes first: two would be mapped at once.
            *slot = None;
            match digest(fill_dictionary.take()) {
                Ok(digested) => *slot = Some((key, digested)),
                Err(error) => return Some(Err(error)),
            }
        }
        let (_, digested) = slot.as_ref()?;
        Some(decompress(digested))
    });
    match with_cached {
        Ok(Some(result)) => result,
        // Thread-local storage is being torn down, or already in use.
        _ => decompress(&digest(fill_dictionary.take())?),
    }
}

fn verify_checksum(blob: &BlobRef, stored: &[u8]) -> Result<(), BundleError> {
    if xxh3_64(stored) != blob.checksum {
        return Err(BundleError::ChecksumMismatch {
            what: format!("blob at data offset {}", blob.offset),
        });
    }
    Ok(())
}

/// Decompresses zstd frames to exactly `raw_len` bytes; `offset` only
/// names the blob in errors.
pub(crate) fn decompress(stored: &[u8], raw_len: u32, offset: u64) -> Result<Vec<u8>, BundleError> {
    decompress_checked(stored, raw_len, offset, |out| {
        decompress_into(stored, out, None)
    })
}

/// Runs `decompress_into` on an output buffer of `raw_len` bytes' capacity
/// and checks it produced exactly `raw_len` bytes.
fn decompress_checked(
    stored: &[u8],
    raw_len: u32,
    offset: u64,
    decompress_into: impl FnOnce(&mut Vec<u8>) -> io::Result<usize>,
) -> Result<Vec<u8>, BundleError> {
    let failure = |reason: String| BundleError::Decompress { offset, reason };
    if u64::from(raw_len) > (stored.len() as u64).saturating_mul(MAX_ZSTD_EXPANSION) {
        return Err(failure(format!(
            "{raw_len} bytes cannot come from {} bytes of zstd data",
            stored.len()
        )));
    }
    let mut out = Vec::new();
    // try_reserve: a forged length must produce an error, not an abort.
    out.try_reserve_exact(raw_len as usize)
        .map_err(|_| failure(format!("cannot allocate {raw_len} bytes")))?;
    let written = decompress_into(&mut out)
        .map_err(|error| failure(format!("{error} (expected {raw_len} bytes of output)")))?;
    if written != raw_len as usize || out.len() != raw_len as usize {
        return Err(failure(format!(
            "decompressed to {written} bytes, expected {raw_len}"
        )));
    }
    Ok(out)
}

/// Most threads one blob is decompressed on. Blobs of 1 MiB or more have at
/// least two frames, of at most 16 MiB: libcrypto uses two threads, only a
/// blob of over 48 MiB uses four.
pub const MAX_DECOMPRESS_THREADS: usize = 4;

type FrameSpan = (std::ops::Range<usize>, std::ops::Range<usize>);

/// (stored range, raw range) of each zstd frame, or None when a frame does
/// not record its content size or the sizes do not add up to `raw_len`.
fn zstd_frames(stored: &[u8], raw_len: usize) -> Option<Vec<FrameSpan>> {
    zstd_frame_spans(stored).filter(|frames| frames.last().map_or(0, |(_, raw)| raw.end) == raw_len)
}

/// (stored range, raw range) of each zstd frame, or None when a frame does
/// not record its content size.
fn zstd_frame_spans(stored: &[u8]) -> Option<Vec<FrameSpan>> {
    use zstd::zstd_safe;
    let mut frames = Vec::new();
    let (mut pos, mut raw_pos) = (0usize, 0usize);
    while pos < stored.len() {
        let rest = stored.get(pos..)?;
        let len = zstd_safe::find_frame_compressed_size(rest).ok()?;
        let content = usize::try_from(zstd_safe::get_frame_content_size(rest).ok()??).ok()?;
        let end = pos.checked_add(len)?;
        let raw_end = raw_pos.checked_add(content)?;
        frames.push((pos..end, raw_pos..raw_end));
        pos = end;
        raw_pos = raw_end;
    }
    Some(frames)
}

/// Unpacks `stored`, zstd frames that each record their content size (the
/// compressed runtime of `--compress-runtime` executables), into `file`,
/// which must be empty, as [`Bundle::blob_to_file`] unpacks a blob's frames.
/// Returns the unpacked length. zstd checks each frame's content checksum,
/// if it has one, before the frame counts as unpacked.
pub fn unpack_frames_to_file(stored: &[u8], file: &std::fs::File) -> Result<u64, BundleError> {
    let failure = |reason: String| BundleError::Decompress { offset: 0, reason };
    let frames = zstd_frame_spans(stored)
        .filter(|frames| !frames.is_empty())
        .ok_or_else(|| failure("not zstd frames of recorded sizes".into()))?;
    let len = frames.last().map_or(0, |(_, raw)| raw.end) as u64;
    file.set_len(len)
        .map_err(|error| failure(format!("writing the content: {error}")))?;
    unpack_frames::<fn(u64, &[u8]) -> io::Result<()>>(stored, &frames, 0, FrameSink::File(file))?;
    Ok(len)
}

/// Bytes decompressed per `write_at` call: small enough to stay in cache.
const STREAM_CHUNK: usize = 256 << 10;

/// Whether `stored` is zstd frames that declare their content sizes and
/// those add up to `raw_len` (read from the frame headers alone).
pub(crate) fn frames_add_up(stored: &[u8], raw_len: u32) -> bool {
    zstd_frames(stored, raw_len as usize).is_some()
}

/// Where a frame's content goes.
enum FrameSink<'s, F> {
    /// Pieces handed to `write_at(offset, bytes)`.
    Pieces(&'s F),
    /// Straight into the pages of a file already sized to the content.
    File(&'s std::fs::File),
}

impl<F> FrameSink<'_, F>
where
    F: Fn(u64, &[u8]) -> io::Result<()>,
{
    /// Hands over a whole content at once.
    fn write_whole(&self, content: &[u8]) -> io::Result<()> {
        match self {
            FrameSink::Pieces(write_at) => write_at(0, content),
            FrameSink::File(file) => file.write_all_at(content, 0),
        }
    }
}

/// Frames of at most this many raw bytes are decompressed in one call into
/// a shared mapping of their range of the destination file: no window
/// buffer and no copies, and no more memory than a window as large as the
/// frame (its mapped pages, until it is done). Larger frames stream through
/// a window of their own (8 MiB at level 19, where frames hold 16 MiB).
const DIRECT_FRAME_MAX: usize = 8 << 20;

/// Decompresses each frame in `frames` into `sink` with a decoder that
/// lives outside the heap (see `mapped_zstd`); frames are shared out
/// between threads.
fn unpack_frames<F>(
    stored: &[u8],
    frames: &[FrameSpan],
    offset: u64,
    sink: FrameSink<'_, F>,
) -> Result<(), BundleError>
where
    F: Fn(u64, &[u8]) -> io::Result<()> + Sync,
{
    let failure = |reason: String| BundleError::Decompress { offset, reason };
    let direct = |raw_range: &std::ops::Range<usize>| {
        matches!(sink, FrameSink::File(_)) && raw_range.len() <= DIRECT_FRAME_MAX
    };
    // One decoder per thread, sized for the largest window among the frames
    // that stream (a frame decompressed in one call needs no window).
    let mut context_len = MappedDecoder::bulk_context_len();
    for (stored_range, raw_range) in frames {
        if direct(raw_range) {
            continue;
        }
        let len = MappedDecoder::context_len(&stored[stored_range.clone()]).ok_or_else(|| {
            failure(format!(
                "frame at stored byte {} has a bad header",
                stored_range.start
            ))
        })?;
        context_len = context_len.max(len);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let worker = || -> Result<(), BundleError> {
        let mut decoder = None;
        while let Some((stored_range, raw_range)) =
            frames.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
        {
            let at = stored_range.start;
            let frame = &stored[stored_range.clone()];
            if decoder.is_none() {
                decoder = MappedDecoder::new(context_len, STREAM_CHUNK);
            }
            let decoder = decoder.as_mut().ok_or_else(|| {
                failure(format!(
                    "no memory for a {context_len}-byte zstd context (frame at stored byte {at})"
                ))
            })?;
            match &sink {
                FrameSink::File(file) if direct(raw_range) => {
                    unpack_frame_into_file(decoder, frame, raw_range, file)
                }
                FrameSink::File(file) => stream_frame(decoder, frame, raw_range, |pos, piece| {
                    file.write_all_at(piece, pos)
                }),
                FrameSink::Pieces(write_at) => stream_frame(decoder, frame, raw_range, write_at),
            }
            .map_err(|reason| failure(format!("{reason} (frame at stored byte {at})")))?;
        }
        Ok(())
    };
    let threads = if frames.len() > 1 {
        // Asked once: the answer costs three file reads (cgroup quotas).
        static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        (*CORES.get_or_init(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }))
        .min(MAX_DECOMPRESS_THREADS)
        .min(frames.len())
    } else {
        1
    };
    std::thread::scope(|scope| {
        // A helper that cannot be spawned is no failure: this thread works
        // through the queue too.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, worker).ok())
            .collect();
        let mut result = worker();
        for helper in helpers {
            let joined = helper
                .join()
                .unwrap_or_else(|_| Err(failure("a decompression thread panicked".into())));
            result = result.and(joined);
        }
        result
    })
}

/// Streams one frame through the decoder's window, handing its output to
/// `write_at` piece by piece.
fn stream_frame(
    decoder: &mut MappedDecoder,
    frame: &[u8],
    raw_range: &std::ops::Range<usize>,
    write_at: impl Fn(u64, &[u8]) -> io::Result<()>,
) -> Result<(), String> {
    decoder.start_frame();
    let mut input_pos = 0;
    let mut pos = raw_range.start;
    loop {
        let (piece, remaining) = decoder.decode(frame, &mut input_pos)?;
        let produced = piece.len();
        if pos + produced > raw_range.end {
            return Err(format!(
                "the frame holds more than its {} bytes",
                raw_range.len()
            ));
        }
        write_at(pos as u64, piece).map_err(|error| format!("writing the content: {error}"))?;
        pos += produced;
        if remaining == 0 {
            break;
        }
        if produced == 0 && input_pos == frame.len() {
            return Err("the frame is truncated".into());
        }
    }
    if pos != raw_range.end {
        return Err(format!(
            "the frame decompressed to {} bytes, expected {}",
            pos - raw_range.start,
            raw_range.len()
        ));
    }
    Ok(())
}

/// Decompresses one frame in one call into a shared mapping of its range of
/// `file` (sized to the whole content already).
fn unpack_frame_into_file(
    decoder: &mut MappedDecoder,
    frame: &[u8],
    raw_range: &std::ops::Range<usize>,
    file: &std::fs::File,
) -> Result<(), String> {
    // SAFETY: the file is the caller's, sized to the content and written only
    // by this function's callers, each frame to its own byte range. A page at
    // a frame boundary is mapped by two threads at once (memmap2 maps from
    // the page the offset falls in), but each mapping hands out exactly its
    // frame's bytes, so no memory is reachable through two live mutable
    // references.
    let mut map = unsafe {
        memmap2::MmapOptions::new()
            .offset(raw_range.start as u64)
            .len(raw_range.len())
            .map_mut(file)
    }
    .map_err(|error| format!("mapping the content: {error}"))?;
    // A process forked meanwhile (the app forks while native code is
    // unpacked ahead of its import) must not inherit this writable mapping:
    // it would outlive the unpacking there, and the file could then never
    // be sealed against writes (F_ADD_SEALS fails with EBUSY while any
    // process maps it writably).
    map.advise(memmap2::Advice::DontFork)
        .map_err(|error| format!("keeping the mapping out of forks: {error}"))?;
    let written = decoder.decode_all(frame, &mut map)?;
    if written != raw_range.len() {
        return Err(format!(
            "the frame decompressed to {written} bytes, expected {}",
            raw_range.len()
        ));
    }
    Ok(())
}
