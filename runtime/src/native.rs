//! Native code from memory: extension modules and the shared libraries they
//! need are written to anonymous memory files (`memfd_create`) and loaded
//! from `/proc/self/fd/N`; nothing touches the filesystem.
//!
//! The dynamic linker resolves an object's `DT_NEEDED` entries against the
//! SONAMEs of objects already loaded, so bundled libraries are loaded first,
//! dependencies before dependants, and the extension's own needs are then met
//! from memory instead of the system's copies.

use std::collections::HashSet;
use std::ffi::CString;
use std::os::fd::{FromRawFd, IntoRawFd};
use std::sync::Mutex;

use freeze_bundle::{BlobRef, Bundle, FileKind};

/// Why native code could not be loaded.
#[derive(Debug)]
pub(crate) struct LoadError(pub String);

/// SONAMEs of the bundled libraries already loaded.
static LOADED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Native code in a memory file, ready for `dlopen`.
#[derive(Debug)]
pub(crate) struct MemoryFile {
    /// `/proc/self/fd/N`.
    pub path: String,
    /// The libraries the object needs (`DT_NEEDED`), in order.
    pub needed: Vec<String>,
}

/// The memory file holding the content of `blob`: the one unpacked ahead of
/// time (see `prefetch`), or a new one.
pub(crate) fn memory_file(
    bundle: &Bundle<'_>,
    name: &str,
    blob: &BlobRef,
) -> Result<MemoryFile, LoadError> {
    match crate::prefetch::take(blob) {
        Some(unpacked) => unpacked,
        None => unpack_memory_file(bundle, name, blob),
    }
}

/// A new memory file named `name` holding the content of `blob`,
/// decompressed into the file frame by frame (no buffer for the whole:
/// OpenBLAS is 35 MB). The descriptor is deliberately never closed: glibc
/// caches `dlopen` by path string, so a reused fd number would alias a
/// different library.
pub(crate) fn unpack_memory_file(
    bundle: &Bundle<'_>,
    name: &str,
    blob: &BlobRef,
) -> Result<MemoryFile, LoadError> {
    let cname = CString::new(name.replace('\0', "?")).unwrap_or_default();
    // SAFETY: memfd_create takes a NUL-terminated name and flags; it returns
    // a new descriptor we own, or -1.
    let fd = unsafe { libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(LoadError(format!(
            "memfd_create for {name}: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: fd is a valid descriptor just returned to us and not shared.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    let failed =
        |what: &str, e: &dyn std::fmt::Display| LoadError(format!("{what} {name} in memory: {e}"));
    crate::payload::with_stored(bundle, blob, |stored| {
        bundle.blob_to_file_from_stored(blob, stored, &file)
    })
    .map_err(|e| failed("unpacking", &e))?;
    let needed = if blob.raw_len == 0 {
        Vec::new()
    } else {
        // SAFETY: a read-only mapping of a memory file only this function can
        // reach (its fd is not yet published), so it cannot change while
        // mapped. goblin reads only the headers and the dynamic section.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| failed("mapping", &e))?;
        needed_libraries(&map)
    };
    let fd = file.into_raw_fd(); // keep it open for the life of the process
    Ok(MemoryFile {
        path: format!("/proc/self/fd/{fd}"),
        needed,
    })
}

/// The libraries an ELF object needs (`DT_NEEDED`), in order.
pub(crate) fn needed_libraries(bytes: &[u8]) -> Vec<String> {
    match goblin::elf::Elf::parse(bytes) {
        Ok(elf) => elf.libraries.iter().map(|s| s.to_string()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Loads the bundled libraries among `needed` (and theirs, first).
pub(crate) fn preload(bundle: &Bundle<'_>, needed: &[String]) -> Result<(), LoadError> {
    for soname in needed {
        {
            let mut guard = LOADED.lock().unwrap_or_else(|p| p.into_inner());
            let loaded = guard.get_or_insert_with(HashSet::new);
            if loaded.contains(soname) {
                continue;
            }
        }
        let Some(file) = bundled_library(bundle, soname)? else {
            continue; // a system library: the dynamic linker finds it
        };
        let unpacked = memory_file(bundle, soname, &file.data)?;
        preload(bundle, &unpacked.needed)?;
        dlopen(&unpacked.path)
            .map_err(|e| LoadError(format!("{soname} (bundled as {}): {e}", file.path)))?;
        LOADED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(HashSet::new)
            .insert(soname.clone());
    }
    Ok(())
}

fn bundled_library<'a>(
    bundle: &Bundle<'a>,
    soname: &str,
) -> Result<Option<freeze_bundle::FileEntry<'a>>, LoadError> {
    for file in bundle.files() {
        let file = file.map_err(|e| LoadError(format!("bundle index: {e}")))?;
        if file.kind == FileKind::SharedLibrary && file.aux == soname {
            return Ok(Some(file));
        }
    }
    Ok(None)
}

fn dlopen(path: &str) -> Result<(), String> {
    let cpath = CString::new(path).map_err(|_| "NUL in path".to_owned())?;
    // SAFETY: dlopen with a valid C string; the handle is intentionally kept
    // (never dlclose'd) so the library stays loaded for the process.
    let handle = unsafe { libc::dlopen(cpath.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns a thread-local message or null.
        let msg = unsafe { libc::dlerror() };
        let text = if msg.is_null() {
            "unknown dlopen error".to_owned()
        } else {
            // SAFETY: non-null dlerror result is a valid C string.
            unsafe { std::ffi::CStr::from_ptr(msg) }
                .to_string_lossy()
                .into_owned()
        };
        return Err(text);
    }
    Ok(())
}

/// Loads the bundled library with SONAME (or file name) `soname`, if the
/// bundle has one; afterwards `dlopen(soname)` finds it among the loaded
/// objects without searching the disk.
pub(crate) fn preload_by_name(bundle: &Bundle<'_>, soname: &str) -> Result<bool, LoadError> {
    if bundled_library(bundle, soname)?.is_none() {
        return Ok(false);
    }
    preload(bundle, &[soname.to_owned()])?;
    Ok(true)
}

/// Prepares extension module `name` for CPython's loader: its bundled
/// libraries loaded, its own bytes in a memory file. Returns the path for
/// `_imp.create_dynamic`.
pub(crate) fn prepare_extension(bundle: &Bundle<'_>, name: &str) -> Result<String, LoadError> {
    let entry = bundle
        .find_module(name)
        .map_err(|e| LoadError(format!("bundle index: {e}")))?
        .ok_or_else(|| LoadError(format!("no extension module {name} in the bundle")))?;
    let code = entry
        .code
        .ok_or_else(|| LoadError(format!("extension module {name} has no code")))?;
    let unpacked = memory_file(bundle, entry.file_name(), &code)?;
    preload(bundle, &unpacked.needed)?;
    Ok(unpacked.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_file_holds_the_content_of_multi_frame_blobs() {
        // Two frames: the blob is unpacked by two threads into the file.
        let content: Vec<u8> = (0..freeze_bundle::SPLIT_RAW_LEN + 12345)
            .map(|i| (i % 251) as u8 ^ (i / 4096) as u8)
            .collect();
        let mut writer = freeze_bundle::BundleWriter::new(*b"\xa7\x0d\x0d\x0a");
        writer.set_compression_level(1);
        writer
            .add_file(
                "big.bin",
                FileKind::Data,
                "",
                freeze_bundle::Blob::Raw(content.clone()),
            )
            .unwrap();
        writer
            .add_file(
                "empty.bin",
                FileKind::Data,
                "",
                freeze_bundle::Blob::Raw(Vec::new()),
            )
            .unwrap();
        let bytes = writer.finish().unwrap();
        let bundle = Bundle::parse(&bytes).unwrap();
        for (name, expected) in [("big.bin", &content[..]), ("empty.bin", &[][..])] {
            let file = bundle.find_file(name).unwrap().unwrap();
            let unpacked = memory_file(&bundle, name, &file.data).unwrap();
            assert!(unpacked.path.starts_with("/proc/self/fd/"));
            assert!(unpacked.needed.is_empty());
            assert!(
                std::fs::read(&unpacked.path).unwrap() == expected,
                "{name} differs"
            );
        }
    }

    #[test]
    fn needed_libraries_of_a_real_binary() {
        let bytes = std::fs::read("/bin/true").unwrap();
        assert!(needed_libraries(&bytes)
            .iter()
            .any(|l| l.starts_with("libc.so")));
        assert!(needed_libraries(b"not elf").is_empty());
    }
}
