//! The runtime's own file descriptors: never one of 0, 1 or 2, and memory
//! files sealed once filled.
//!
//! An app started with a standard stream closed (`./app <&- >&-`) must
//! see it closed, as python does (`sys.stdin is None`). The runtime opens
//! its executable and memory files before Python initialises its standard
//! streams: a descriptor that lands on 0-2 would become `sys.stdin` or
//! `sys.stdout`, and output written there would overwrite loaded code.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// `fd` moved to the lowest free descriptor from 3 up (close-on-exec), if
/// it is a standard stream's number; the low one is closed again at once,
/// before anything names it (a `/proc/self/fd/N` path is only made from
/// the final number, so glibc's cache of `dlopen` paths never sees it).
pub(crate) fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: fcntl F_DUPFD_CLOEXEC on a descriptor we own returns a new
    // descriptor (or -1) that nothing else owns; `fd` is closed on drop.
    let moved = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if moved < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `moved` is a fresh descriptor owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(moved) })
}

/// `openat(at, path, flags, mode)`: a new descriptor of ours, above the
/// standard streams.
pub(crate) fn open_at(
    at: RawFd,
    path: &std::ffi::CStr,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<OwnedFd> {
    // SAFETY: openat with a directory descriptor (or AT_FDCWD) and a
    // NUL-terminated path; it returns a new descriptor we own, or -1.
    let fd = unsafe { libc::openat(at, path.as_ptr(), flags, libc::c_uint::from(mode)) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor owned by nothing else.
    above_stdio(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `fstat(fd)`.
pub(crate) fn fstat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: an all-zero `struct stat` is a valid value to be overwritten.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into the struct we pass for a descriptor we own.
    if unsafe { libc::fstat(fd, &mut stat) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat)
}

/// Seals a filled memory file against every further change (writes,
/// shrinking, growing, and new seals), so that nothing in the process can
/// rewrite code loaded from it. Fails with EBUSY while a writable shared
/// mapping of it exists.
pub(crate) fn seal(fd: RawFd) -> io::Result<()> {
    let seals = libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    // SAFETY: F_GET_SEALS only reads the seals of the file behind `fd`.
    let present = unsafe { libc::fcntl(fd, libc::F_GET_SEALS) };
    if present >= 0 && present & seals == seals {
        return Ok(()); // sealed already (an extension module loaded again)
    }
    // SAFETY: F_ADD_SEALS only changes the seals of the file behind `fd`.
    if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn sealed_memory_files_refuse_changes_and_sealing_twice_is_fine() {
        // SAFETY: memfd_create with a NUL-terminated name; the descriptor
        // is owned by the File below.
        let fd = unsafe {
            libc::memfd_create(
                c"sealed".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        assert!(fd >= 0);
        // SAFETY: `fd` is fresh and ours.
        let file = unsafe { std::fs::File::from_raw_fd(fd) };
        (&file).write_all(b"code").unwrap();
        seal(file.as_raw_fd()).unwrap();
        seal(file.as_raw_fd()).unwrap();
        assert!(
            (&file).write_all(b"more").is_err(),
            "a sealed file takes no writes"
        );
        assert!(file.set_len(1).is_err(), "nor shrinks");
        assert!(file.set_len(100).is_err(), "nor grows");
    }
}
