//! Finds the bundle inside the running executable.

use freeze_bundle::{BlobRef, Bundle, BundleError};

use crate::RuntimeError;

/// Maps the executable `file` (`/proc/self/exe`, or the executable a
/// loader was started as; `exe_path` names it in messages) and parses the
/// bundle in its `.freeze` section. The mapping is lazy: only the pages actually read (ELF header,
/// section headers, bundle index, the blobs of imported modules) are faulted
/// in, so start time does not grow with the bundle's size.
pub(crate) fn own_bundle(exe_path: &str, file: &str) -> Result<Bundle<'static>, RuntimeError> {
    let file = std::fs::File::open(file).map_err(|source| RuntimeError::Exe {
        path: exe_path.to_owned(),
        source,
    })?;
    let len = file
        .metadata()
        .map_err(|source| RuntimeError::Exe {
            path: exe_path.to_owned(),
            source,
        })?
        .len() as usize;
    let bytes = map_out_of_huge_page_step(&file, len).map_err(|source| RuntimeError::Exe {
        path: exe_path.to_owned(),
        source,
    })?;
    let payload = freeze_bundle::find_in_elf(bytes)?.ok_or(RuntimeError::NoBundle)?;
    Ok(Bundle::parse(payload)?)
}

/// Reads a blob's content with `use_content`, then gives back the pages
/// of the mapping that held it (see [`release_blob`]): modules, sources and
/// data files are read once, into objects of their own.
pub(crate) fn read_blob_once<T>(
    bundle: &Bundle<'_>,
    blob: &BlobRef,
    use_content: impl FnOnce(&[u8]) -> T,
) -> Result<T, BundleError> {
    let result = use_content(&bundle.blob(blob)?);
    release_blob(bundle, blob);
    Ok(result)
}

/// Gives back this process's mapping of the pages holding `blob`'s stored
/// bytes, once its content has been read and is not needed again, so they
/// stop counting toward RSS; the page cache keeps them. The range is
/// widened to the kernel's fault-around window (64 KB), as the fault that
/// read the blob mapped its neighbours too. A later read of a released
/// page simply faults it in again. Does nothing for a bundle that is not
/// the executable's mapping (a test's bundle in memory).
pub(crate) fn release_blob(bundle: &Bundle<'_>, blob: &BlobRef) {
    if let (Some(&mapping), Some(span)) = (MAPPED.get(), bundle.stored_span(blob)) {
        release_within(mapping, span);
    }
}

fn release_within((map_start, map_len): (usize, usize), bytes: &[u8]) {
    let start = (bytes.as_ptr() as usize / FAULT_AROUND * FAULT_AROUND).max(map_start);
    let end = (bytes.as_ptr() as usize + bytes.len())
        .next_multiple_of(FAULT_AROUND)
        .min(map_start + map_len);
    if start < end {
        // SAFETY: start..end lies inside our read-only shared file mapping
        // (clamped above); MADV_DONTNEED on it only drops page table
        // entries, and later reads fault the same file pages back in.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

/// Start and length of the mapping of the executable.
static MAPPED: std::sync::OnceLock<(usize, usize)> = std::sync::OnceLock::new();
const FAULT_AROUND: usize = 64 << 10;
const HUGE_PAGE: usize = 2 << 20;
const PAGE: usize = 4096;

/// Maps `file` read-only at an address one page past a 2 MB boundary.
///
/// The page cache holds the executable in large folios, and a fault in a
/// mapping whose address and file offset agree modulo 2 MB maps a whole
/// 2 MB folio at once: reading a few hundred KB of index and code made 6 MB
/// of the file count toward hello's RSS (MADV_NOHUGEPAGE does not stop it
/// for file mappings). Out of step by one page, the kernel can only map 4 KB
/// pages, so RSS holds what was read (plus fault-around's 64 KB neighbours).
fn map_out_of_huge_page_step(file: &std::fs::File, len: usize) -> std::io::Result<&'static [u8]> {
    use std::os::fd::AsRawFd;
    if len == 0 {
        return Ok(&[]);
    }
    let reserve = len + 2 * HUGE_PAGE;
    // SAFETY: an anonymous PROT_NONE reservation at an address the kernel
    // picks; nothing else can be mapped there while we hold it.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            reserve,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let at = (base as usize).next_multiple_of(HUGE_PAGE) + PAGE;
    // SAFETY: `at..at + len` lies inside our reservation (at most
    // HUGE_PAGE + PAGE past its start, and the reservation has 2 MB spare),
    // so MAP_FIXED replaces only our own PROT_NONE pages. The mapping is
    // read-only and shared; Linux refuses writes to a running executable
    // (ETXTBSY), so the bytes cannot change under us. It is never unmapped:
    // the bundle lives until exit.
    let mapped = unsafe {
        libc::mmap(
            at as *mut libc::c_void,
            len,
            libc::PROT_READ,
            libc::MAP_SHARED | libc::MAP_FIXED,
            file.as_raw_fd(),
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let _ = MAPPED.set((mapped as usize, len));
    // SAFETY: `len` readable bytes at `mapped`, valid for the process's life.
    Ok(unsafe { std::slice::from_raw_parts(mapped as *const u8, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident KiB of the mapping that starts at `start`, from smaps.
    fn resident_kib(start: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let header = format!("{start:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&header));
        lines.next().expect("the mapping is listed");
        lines
            .find_map(|l| l.strip_prefix("Rss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("an Rss line")
    }

    #[test]
    fn released_pages_leave_rss_and_read_back_the_same() {
        let path = std::env::temp_dir().join(format!("freeze-release-{}", std::process::id()));
        let content: Vec<u8> = (0..600_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let bytes = map_out_of_huge_page_step(&file, content.len()).unwrap();
        let start = bytes.as_ptr() as usize;
        assert!(bytes == &content[..]);
        assert!(resident_kib(start) >= 500, "{}", resident_kib(start));

        // A span in the middle: its fault-around windows go, the rest stays.
        release_within((start, bytes.len()), &bytes[200_000..210_000]);
        let after_span = resident_kib(start);
        assert!((400..590).contains(&after_span), "{after_span}");
        // The whole mapping.
        release_within((start, bytes.len()), bytes);
        assert_eq!(resident_kib(start), 0);
        assert!(bytes == &content[..], "released pages read back the file");
        std::fs::remove_file(&path).unwrap();
    }
}
