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
use std::path::{Path, PathBuf};

use freeze_bundle::{find_runtime_in_elf, LOADED_FROM_ENV, RUNTIME_MEMFD_NAME, STATUS_UNUSABLE};

#[no_mangle]
pub extern "C" fn main(_argc: c_int, argv: *const *const c_char) -> c_int {
    let exe = std::fs::read_link("/proc/self/exe")
        .unwrap_or_else(|_| PathBuf::from(std::env::args_os().next().unwrap_or_default()));
    let error = match unpack_runtime() {
        Ok(runtime) => exec_runtime(&runtime, &exe, argv),
        Err(e) => e,
    };
    eprintln!("{}: cannot start the runtime: {error}", exe.display());
    STATUS_UNUSABLE
}

/// The runtime stub, unpacked from this executable into a memory file.
fn unpack_runtime() -> io::Result<File> {
    let file = File::open("/proc/self/exe")?;
    // SAFETY: the mapping is read-only and private; the executable file of
    // a running process cannot be written (ETXTBSY), so it does not change
    // under the mapping.
    let image = unsafe { memmap2::Mmap::map(&file)? };
    let compressed = find_runtime_in_elf(&image)
        .map_err(|e| invalid(format!("the executable is damaged: {e}")))?
        .ok_or_else(|| invalid("it has no .freeze-runtime section (not a freeze executable)"))?;
    let frames = frames(compressed)?;
    let raw_len = frames.iter().map(|(_, len)| len).sum::<usize>();

    let name = CString::new(RUNTIME_MEMFD_NAME).expect("no NUL in the memory file name");
    // SAFETY: memfd_create reads the NUL-terminated name and returns a new
    // descriptor (or -1), which the File below then owns alone.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nothing else owns.
    let runtime = unsafe { File::from_raw_fd(fd) };
    runtime.set_len(raw_len as u64)?;
    // Each frame is decompressed in one call straight into its part of the
    // memory file's pages (no window buffer, no copy), one thread per frame.
    // SAFETY: the memory file is ours alone and exactly raw_len bytes long.
    let mut pages = unsafe { memmap2::MmapMut::map_mut(&runtime)? };
    let mut parts = Vec::with_capacity(frames.len());
    let mut rest = &mut pages[..];
    for (frame, len) in &frames {
        let (part, tail) = rest.split_at_mut(*len);
        parts.push((*frame, part));
        rest = tail;
    }
    std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let first = parts.next();
        let others: Vec<_> = parts
            .map(|(frame, part)| scope.spawn(move || unpack_frame(frame, part)))
            .collect();
        first.map_or(Ok(()), |(frame, part)| unpack_frame(frame, part))?;
        others.into_iter().try_for_each(|t| {
            t.join()
                .unwrap_or_else(|_| Err(invalid("unpacking failed")))
        })
    })?;
    Ok(runtime)
}

/// The zstd frames of the compressed runtime, with their unpacked sizes.
fn frames(mut compressed: &[u8]) -> io::Result<Vec<(&[u8], usize)>> {
    let damaged =
        || invalid("its .freeze-runtime section is damaged (not zstd frames of known size)");
    let mut frames = Vec::new();
    while !compressed.is_empty() {
        let len = zstd::zstd_safe::find_frame_compressed_size(compressed).map_err(|_| damaged())?;
        let (frame, rest) = compressed.split_at_checked(len).ok_or_else(damaged)?;
        let raw_len = zstd::zstd_safe::get_frame_content_size(frame)
            .ok()
            .flatten()
            .and_then(|len| usize::try_from(len).ok())
            .ok_or_else(damaged)?;
        frames.push((frame, raw_len));
        compressed = rest;
    }
    if frames.is_empty() {
        return Err(damaged());
    }
    Ok(frames)
}

fn unpack_frame(frame: &[u8], out: &mut [u8]) -> io::Result<()> {
    let written = zstd::bulk::decompress_to_buffer(frame, out)
        .map_err(|e| invalid(format!("its .freeze-runtime section is damaged: {e}")))?;
    if written != out.len() {
        return Err(invalid(format!(
            "its .freeze-runtime section unpacks to {written} bytes, not {}",
            out.len()
        )));
    }
    Ok(())
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
