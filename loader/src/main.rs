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
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use zstd::zstd_safe::{DCtx, InBuffer, OutBuffer};

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
    // The frames (of under 1 MB each) are shared out between two threads,
    // each unpacking into a small buffer that it writes into the memory
    // file. Neither the unpacked runtime nor the compressed section stays in
    // this process's memory: the loader's peak RSS (which the runtime's
    // inherits across exec) stays below the app's own.
    let mut jobs = Vec::with_capacity(frames.len());
    let mut offset = 0u64;
    for (frame, len) in &frames {
        jobs.push((*frame, offset, *len));
        offset += *len as u64;
    }
    let next = AtomicUsize::new(0);
    let worker = || -> io::Result<()> {
        let mut dctx = DCtx::create();
        let mut piece = vec![0u8; PIECE_LEN];
        while let Some(&(frame, at, len)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
            unpack_frame(&mut dctx, frame, &runtime, at, len, &mut piece)?;
            release(&image, frame);
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let helper = scope.spawn(worker);
        let mine = worker();
        let theirs = helper
            .join()
            .unwrap_or_else(|_| Err(invalid("unpacking failed")));
        mine.and(theirs)
    })?;
    Ok(runtime)
}

/// Bytes unpacked per write into the memory file.
const PIECE_LEN: usize = 256 << 10;

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

/// Unpacks one frame (`len` bytes once unpacked) into `runtime` at `at`;
/// zstd checks the frame's content checksum when it reaches its end.
fn unpack_frame(
    dctx: &mut DCtx<'_>,
    frame: &[u8],
    runtime: &File,
    at: u64,
    len: usize,
    piece: &mut [u8],
) -> io::Result<()> {
    let damaged = |what: String| invalid(format!("its .freeze-runtime section is damaged: {what}"));
    dctx.reset(zstd::zstd_safe::ResetDirective::SessionOnly)
        .map_err(|code| damaged(zstd::zstd_safe::get_error_name(code).to_owned()))?;
    let mut input = InBuffer::around(frame);
    let mut written = 0usize;
    loop {
        let mut output = OutBuffer::around(&mut piece[..]);
        let hint = dctx
            .decompress_stream(&mut output, &mut input)
            .map_err(|code| damaged(zstd::zstd_safe::get_error_name(code).to_owned()))?;
        let produced = output.pos();
        if written + produced > len {
            return Err(damaged(format!("a frame unpacks to more than {len} bytes")));
        }
        runtime.write_all_at(&piece[..produced], at + written as u64)?;
        written += produced;
        if hint == 0 {
            break;
        }
        if produced == 0 && input.pos() == frame.len() {
            return Err(damaged("a frame is truncated".to_owned()));
        }
    }
    if written != len {
        return Err(damaged(format!(
            "a frame unpacks to {written} bytes, not {len}"
        )));
    }
    Ok(())
}

/// Gives back the pages of `frame` (inside `image`, the mapped executable)
/// once unpacked: they are file pages the kernel can read again if needed.
fn release(image: &memmap2::Mmap, frame: &[u8]) {
    const PAGE: usize = 4096;
    let base = image.as_ptr() as usize;
    let start = (frame.as_ptr() as usize - base).next_multiple_of(PAGE);
    let end = (frame.as_ptr() as usize - base + frame.len()) / PAGE * PAGE;
    if end > start {
        // SAFETY: the range lies inside our read-only private file mapping;
        // MADV_DONTNEED only drops its pages from this process (later reads
        // fault them in again from the file), and no frame overlaps whole
        // pages of another (only partial pages at the edges, kept).
        unsafe {
            libc::madvise(
                (base + start) as *mut libc::c_void,
                end - start,
                libc::MADV_DONTNEED,
            );
        }
    }
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
