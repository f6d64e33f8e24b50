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
    // SAFETY: `len` readable bytes at `mapped`, valid for the process's life.
    Ok(unsafe { std::slice::from_raw_parts(mapped as *const u8, len) })
}
