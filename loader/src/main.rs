//! The loader: the start of an executable built with a compressed runtime
//! (`freeze --compress-runtime`).
//!
//! Such an executable is this small program with two sections: the runtime
//! stub, zstd-compressed (`.freeze-runtime`), and the bundle (`.freeze`).
//! The loader unpacks the stub into an anonymous memory file and executes
//! it in its own place, with the same arguments and environment plus the
//! path of this executable, where the runtime then finds the bundle. Nothing
//! is written to disk, and the process (its pid, parent, signals, open
//! files) is the same before and after.
//!
//! `no_main`, as the stub: Rust's start-up code would set SIGPIPE to be
//! ignored, and an ignored signal stays ignored across `execve`.
#![no_main]

use std::ffi::{c_char, c_int, CString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::Path;

use freeze_bundle::{
    find_runtime_in_elf, unpack_frames_to_file, LOADED_FROM_ENV, RUNTIME_MEMFD_NAME,
    STATUS_UNUSABLE,
};

#[no_mangle]
pub extern "C" fn main(_argc: c_int, argv: *const *const c_char) -> c_int {
    let Some(own) = freeze_bundle::own_exe_or_report() else {
        return STATUS_UNUSABLE;
    };
    let exe = own.path;
    let error = match unpack_runtime(&own.open) {
        Ok(runtime) => exec_runtime(&runtime, &exe, argv),
        Err(e) => e,
    };
    eprintln!("{}: cannot start the runtime: {error}", exe.display());
    STATUS_UNUSABLE
}

/// The runtime stub, unpacked from this executable into a memory file.
fn unpack_runtime(open: &Path) -> io::Result<File> {
    let file = File::open(open)?;
    // SAFETY: the mapping is read-only and private; the executable file of
    // a running process cannot be written (ETXTBSY), so it does not change
    // under the mapping.
    let image = unsafe { memmap2::Mmap::map(&file)? };
    let compressed = find_runtime_in_elf(&image)
        .map_err(|e| invalid(format!("the executable is damaged: {e}")))?
        .ok_or_else(|| invalid("it has no .freeze-runtime section (not a freeze executable)"))?;

    let name = CString::new(RUNTIME_MEMFD_NAME).expect("no NUL in the memory file name");
    // SAFETY: memfd_create reads the NUL-terminated name and returns a new
    // descriptor (or -1), which the File below then owns alone.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nothing else owns.
    let runtime = unsafe { File::from_raw_fd(fd) };
    // The bundle reader's frame unpacking, as for native code: the frames
    // (under 1 MB each) shared out between threads, each decompressed
    // straight into its part of the memory file through a mapping of it
    // alone, so the loader's peak RSS (which the runtime inherits across
    // exec) stays below the app's.
    unpack_frames_to_file(compressed, &runtime)
        .map_err(|e| invalid(format!("its .freeze-runtime section is damaged: {e}")))?;
    Ok(runtime)
}

/// Executes the unpacked runtime in place of this process; returns only on
/// failure.
fn exec_runtime(runtime: &File, exe: &Path, argv: *const *const c_char) -> io::Error {
    std::env::set_var(LOADED_FROM_ENV, exe.as_os_str());
    extern "C" {
        static environ: *const *const c_char;
    }
    // SAFETY: argv is the NULL-terminated argument vector the C runtime
    // passed to main, and environ the NULL-terminated environment, which
    // set_var above keeps valid; fexecve only reads them. The memory file
    // is close-on-exec, which a binary (unlike a script) does not mind.
    unsafe { libc::fexecve(runtime.as_raw_fd(), argv, environ) };
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::EACCES) || error.raw_os_error() == Some(libc::EPERM) {
        return invalid(format!(
            "executing it from memory is not allowed here ({error}); \
             freeze the app without --compress-runtime"
        ));
    }
    error
}

fn invalid(message: impl Into<String>) -> io::Error {
    let message: String = message.into();
    io::Error::new(io::ErrorKind::InvalidData, message)
}
