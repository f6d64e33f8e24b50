//! Every read path of the crate applied to untrusted bytes, with the
//! invariants that must hold between them. Shared by the cargo-fuzz target
//! (`bundle/fuzz`) and the unit tests, so the fuzz logic runs in every
//! `cargo test`.

use crate::elf::{find_in_elf, find_runtime_in_elf, find_section_in_file, SectionSpan};
use crate::error::{BundleError, ElfError};
use crate::format::{
    header_at, u32_at, u64_at, BlobRecord, BLOB_RECORD_CHECKSUM_AT, BLOB_RECORD_LEN,
    FILE_RECORD_LEN, HEADER_LEN, MODULE_RECORD_LEN,
};
use crate::reader::{BlobSink, Bundle, FileEntry, ModuleEntry, StoredBytes};

/// How much a successful walk read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkTotals {
    pub modules: usize,
    pub files: usize,
    pub blobs_read: usize,
    pub blob_bytes: u64,
}

/// Outcome of walking bytes that parsed as a bundle.
#[derive(Debug)]
pub struct BundleWalk {
    /// What `Bundle::verify` said.
    pub verified: Result<(), BundleError>,
    /// Reading every record, lookup and blob one by one, stopping at the
    /// first error.
    pub read: Result<WalkTotals, BundleError>,
    /// What `Bundle::declared_len` says of the header, and the length
    /// parsed: a bundle that parses is exactly as long as its header says.
    pub declared_len: (Result<u64, BundleError>, u64),
}

impl BundleWalk {
    /// A description of a broken invariant: `verify` promises that reading
    /// everything succeeds and that every lookup finds its own record.
    pub fn inconsistency(&self) -> Option<String> {
        let (declared, len) = &self.declared_len;
        if declared.as_ref().ok() != Some(len) {
            return Some(format!(
                "a bundle of {len} bytes parsed, but declared_len gave {declared:?}"
            ));
        }
        match (&self.verified, &self.read) {
            (Ok(()), Err(error)) => Some(format!("verify() passed but reading failed: {error}")),
            _ => None,
        }
    }
}

/// Outcome of treating bytes both as a bundle and as an ELF file.
#[derive(Debug)]
pub struct UntrustedWalk {
    /// `Err` if the bytes do not parse as a bundle.
    pub as_bundle: Result<BundleWalk, BundleError>,
    /// `Ok(None)`: an ELF file without a `.freeze` section; `Ok(Some(..))`:
    /// the walk of the embedded bundle.
    pub as_elf: Result<Option<Result<BundleWalk, BundleError>>, ElfError>,
    /// The size of the `.freeze-runtime` section (the compressed runtime of
    /// `--compress-runtime` executables), if the bytes are an ELF file.
    pub runtime_len: Result<Option<usize>, ElfError>,
    /// How finding the `.freeze` section by positional reads (as
    /// `--list-frozen` reads a file) differs from finding it in memory, if
    /// it does: both must find the same span, or fail the same way.
    pub positional_mismatch: Option<String>,
}

impl UntrustedWalk {
    pub fn inconsistency(&self) -> Option<String> {
        let from_bundle = self
            .as_bundle
            .as_ref()
            .ok()
            .and_then(BundleWalk::inconsistency);
        let from_elf = match &self.as_elf {
            Ok(Some(Ok(walk))) => walk.inconsistency(),
            _ => None,
        };
        from_bundle
            .or(from_elf)
            .or(self.positional_mismatch.clone())
    }
}

/// Parses `bytes` as a bundle, verifies it, and reads everything.
pub fn walk_bundle(bytes: &[u8]) -> Result<BundleWalk, BundleError> {
    let bundle = Bundle::parse(bytes)?;
    let header = bytes.get(..HEADER_LEN).unwrap_or(bytes);
    Ok(BundleWalk {
        verified: bundle.verify(),
        read: read_everything(&bundle),
        declared_len: (Bundle::declared_len(header), bytes.len() as u64),
    })
}

/// Treats `bytes` as a bundle and as an ELF file, walking whatever parses.
pub fn walk_untrusted(bytes: &[u8]) -> UntrustedWalk {
    UntrustedWalk {
        as_bundle: walk_bundle(bytes),
        as_elf: find_in_elf(bytes).map(|payload| payload.map(walk_bundle)),
        runtime_len: find_runtime_in_elf(bytes).map(|runtime| runtime.map(<[u8]>::len)),
        positional_mismatch: positional_mismatch(bytes),
    }
}

fn positional_mismatch(bytes: &[u8]) -> Option<String> {
    let in_memory = find_in_elf(bytes).map(|payload| {
        payload.map(|payload| SectionSpan {
            offset: (payload.as_ptr() as usize - bytes.as_ptr() as usize) as u64,
            len: payload.len() as u64,
        })
    });
    let positional = find_section_in_file(bytes, bytes.len() as u64, crate::SECTION_NAME);
    let agree = match (&in_memory, &positional) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => a.to_string() == b.to_string(),
        _ => false,
    };
    (!agree).then(|| {
        format!("find_in_elf gave {in_memory:?} but find_section_in_file gave {positional:?}")
    })
}

fn lookup_mismatch(what: &str, key: &str) -> BundleError {
    BundleError::Corrupt(format!(
        "looking up {what} {key:?} did not find its own record"
    ))
}

fn read_module(
    bundle: &Bundle<'_>,
    module: &ModuleEntry<'_>,
    totals: &mut WalkTotals,
) -> Result<(), BundleError> {
    if bundle.find_module(module.name)? != Some(*module) {
        return Err(lookup_mismatch("module", module.name));
    }
    let prefix_len = module.name.len() + 1;
    for child in bundle.submodules(module.name)? {
        let is_direct_child = child.name.starts_with(module.name)
            && child.name.get(module.name.len()..prefix_len) == Some(".")
            && child
                .name
                .get(prefix_len..)
                .is_some_and(|rest| !rest.contains('.'));
        if !is_direct_child {
            return Err(BundleError::Corrupt(format!(
                "submodules({:?}) returned {:?}",
                module.name, child.name
            )));
        }
    }
    for blob in [module.code, module.source].into_iter().flatten() {
        let content = bundle.blob(&blob, StoredBytes::InBundle)?;
        let stored = bundle.stored_span(&blob)?.to_stored_blob()?;
        // A verified blob lies inside the bundle, so its span is known.
        let span = bundle.stored_span(&blob)?.bytes;
        if content.len() != blob.raw_len as usize
            || stored.bytes.len() != blob.stored_len as usize
            || span != &stored.bytes[..]
        {
            return Err(BundleError::Corrupt(format!(
                "a blob of module {:?} has the wrong length",
                module.name
            )));
        }
        totals.blobs_read += 1;
        totals.blob_bytes += content.len() as u64;
    }
    totals.modules += 1;
    Ok(())
}

fn read_file(
    bundle: &Bundle<'_>,
    file: &FileEntry<'_>,
    totals: &mut WalkTotals,
) -> Result<(), BundleError> {
    if bundle.find_file(file.path)? != Some(*file) {
        return Err(lookup_mismatch("file", file.path));
    }
    let content = bundle.blob(&file.data, StoredBytes::InBundle)?;
    // The into-a-buffer reader (memory files of native code) must agree.
    let unpacked = std::sync::Mutex::new(vec![0u8; content.len()]);
    let write_at = |at: u64, piece: &[u8]| {
        let mut unpacked = unpacked.lock().unwrap_or_else(|p| p.into_inner());
        let at = at as usize;
        match unpacked.get_mut(at..at + piece.len()) {
            Some(range) => range.copy_from_slice(piece),
            None => return Err(std::io::Error::other("a piece past the end")),
        }
        Ok(())
    };
    bundle.write_blob(
        &file.data,
        StoredBytes::InBundle,
        BlobSink::Pieces(&write_at),
    )?;
    if *unpacked.lock().unwrap_or_else(|p| p.into_inner()) != *content {
        return Err(BundleError::Corrupt(format!(
            "blob and write_blob disagree on file {:?}",
            file.path
        )));
    }
    if content.len() != file.data.raw_len as usize {
        return Err(BundleError::Corrupt(format!(
            "the blob of file {:?} has the wrong length",
            file.path
        )));
    }
    totals.blobs_read += 1;
    totals.blob_bytes += content.len() as u64;
    totals.files += 1;
    Ok(())
}

fn read_everything(bundle: &Bundle<'_>) -> Result<WalkTotals, BundleError> {
    let mut totals = WalkTotals::default();
    if let Some((_, main)) = bundle.main() {
        if bundle.find_module(main)?.is_none() {
            return Err(BundleError::Corrupt(format!(
                "main module {main:?} not found"
            )));
        }
    }
    for child in bundle.submodules("")? {
        if child.name.contains('.') {
            return Err(BundleError::Corrupt(format!(
                "top-level submodules include {:?}",
                child.name
            )));
        }
    }
    for module in bundle.modules() {
        read_module(bundle, &module?, &mut totals)?;
    }
    for entry in bundle.prefetch() {
        let entry = entry?;
        let blob = if entry.is_library {
            bundle.find_file(entry.name)?.map(|file| file.data)
        } else {
            bundle
                .find_module(entry.name)?
                .and_then(|module| module.code)
        };
        if blob != Some(entry.blob) {
            return Err(lookup_mismatch("prefetched", entry.name));
        }
    }
    let mut previous_dir = None;
    for file in bundle.files() {
        let file = file?;
        read_file(bundle, &file, &mut totals)?;
        // One files_under() per directory run keeps the walk near-linear.
        let dir = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        if previous_dir != Some(dir) {
            previous_dir = Some(dir);
            if !bundle
                .files_under(dir)?
                .iter()
                .any(|under| under.path == file.path)
            {
                return Err(BundleError::Corrupt(format!(
                    "files_under({dir:?}) misses {:?}",
                    file.path
                )));
            }
        }
    }
    if bundle.files_under("")?.len() != bundle.file_count() {
        return Err(BundleError::Corrupt(
            "files_under(\"\") misses files".into(),
        ));
    }
    Ok(totals)
}

fn put(bytes: &mut [u8], at: usize, value: &[u8]) {
    if let Some(field) = at
        .checked_add(value.len())
        .and_then(|end| bytes.get_mut(at..end))
    {
        field.copy_from_slice(value);
    }
}

/// `bytes` with every checksum it has room for recomputed: blob checksums,
/// then the tables checksum, then the header checksum. Mutated bundles
/// rarely get past the checksums; repairing them lets fuzzing reach the
/// structural checks behind. Reads the header leniently and never fails.
pub fn repair_checksums(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.len() < HEADER_LEN {
        return out;
    }
    let field_u32 = |at| u32_at(bytes, at).unwrap_or(0) as usize;
    let field_u64 = |at| u64_at(bytes, at).and_then(|v| usize::try_from(v).ok());
    let (module_count, file_count) = (
        field_u32(header_at::MODULE_COUNT),
        field_u32(header_at::FILE_COUNT),
    );
    let blob_count = field_u32(header_at::BLOB_COUNT);
    if let (Some(tables_offset), Some(tables_len), Some(data_offset)) = (
        field_u64(header_at::TABLES_OFFSET),
        field_u64(header_at::TABLES_LEN),
        field_u64(header_at::DATA_OFFSET),
    ) {
        let blob_table = module_count
            .checked_mul(MODULE_RECORD_LEN)
            .and_then(|len| len.checked_add(file_count.checked_mul(FILE_RECORD_LEN)?))
            .and_then(|len| len.checked_add(tables_offset));
        if let Some(blob_table) = blob_table {
            for index in 0..blob_count {
                let Some(record_at) = index
                    .checked_mul(BLOB_RECORD_LEN)
                    .and_then(|offset| offset.checked_add(blob_table))
                else {
                    break;
                };
                let Some(record) = out
                    .get(record_at..)
                    .and_then(|rest| rest.get(..BLOB_RECORD_LEN))
                    .and_then(BlobRecord::decode)
                else {
                    break;
                };
                let stored = usize::try_from(record.offset)
                    .ok()
                    .and_then(|offset| offset.checked_add(data_offset))
                    .and_then(|start| {
                        out.get(start..start.checked_add(record.stored_len as usize)?)
                    });
                if let Some(stored) = stored {
                    let checksum = xxhash_rust::xxh3::xxh3_64(stored);
                    put(
                        &mut out,
                        record_at + BLOB_RECORD_CHECKSUM_AT,
                        &checksum.to_le_bytes(),
                    );
                }
            }
        }
        let tables = tables_offset
            .checked_add(tables_len)
            .and_then(|end| out.get(tables_offset..end));
        if let Some(tables) = tables {
            let checksum = xxhash_rust::xxh3::xxh3_64(tables);
            put(
                &mut out,
                header_at::TABLES_CHECKSUM,
                &checksum.to_le_bytes(),
            );
        }
    }
    let checksum = crate::format::header_checksum(&out);
    put(&mut out, header_at::CHECKSUM, &checksum.to_le_bytes());
    out
}
