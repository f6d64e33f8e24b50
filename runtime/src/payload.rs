//! Finds the bundle inside the running executable.

use freeze_bundle::Bundle;

use crate::RuntimeError;

/// Maps the running executable and parses the bundle in its `.freeze`
/// section. The mapping is lazy: only the pages actually read (ELF header,
/// section headers, bundle index, the blobs of imported modules) are faulted
/// in, so start time does not grow with the bundle's size.
pub(crate) fn own_bundle(exe_path: &str) -> Result<Bundle<'static>, RuntimeError> {
    let file = std::fs::File::open("/proc/self/exe").map_err(|source| RuntimeError::Exe {
        path: exe_path.to_owned(),
        source,
    })?;
    // SAFETY: a read-only private mapping of our own executable. Linux
    // refuses writes to a file that is being executed (ETXTBSY), so the bytes
    // cannot change under us; the mapping is leaked and lives until exit.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| RuntimeError::Exe {
        path: exe_path.to_owned(),
        source,
    })?;
    let bytes: &'static [u8] = Box::leak(Box::new(map));
    let payload = freeze_bundle::find_in_elf(bytes)?.ok_or(RuntimeError::NoBundle)?;
    Ok(Bundle::parse(payload)?)
}
