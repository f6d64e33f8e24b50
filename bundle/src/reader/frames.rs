//! Unpacking zstd frames: one thread-local context and digested dictionary
//! for small blobs, and frames shared out between threads for large ones.

use std::cell::RefCell;
use std::io;
use std::os::unix::fs::FileExt;

use super::blob::BlobSink;
use crate::error::BundleError;
use crate::format::{BlobRef, MAX_ZSTD_EXPANSION};
use crate::mapped_zstd::{MappedDecoder, MappedDictionary};

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
pub(super) fn with_decompressor<T>(work: impl FnOnce(&mut MappedDecoder) -> T) -> io::Result<T> {
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
pub(super) fn decompress_with_dictionary(
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
    decompress_checked_as(
        stored,
        raw_len,
        offset,
        ("zstd", MAX_ZSTD_EXPANSION),
        decompress_into,
    )
}

/// `decompress_checked` for a codec (its name, for messages, and the most
/// bytes one stored byte of it can yield): a `raw_len` the stored bytes
/// cannot produce is refused before anything is allocated.
pub(super) fn decompress_checked_as(
    stored: &[u8],
    raw_len: u32,
    offset: u64,
    (codec, max_expansion): (&str, u64),
    decompress_into: impl FnOnce(&mut Vec<u8>) -> io::Result<usize>,
) -> Result<Vec<u8>, BundleError> {
    let failure = |reason: String| BundleError::Decompress { offset, reason };
    if u64::from(raw_len) > (stored.len() as u64).saturating_mul(max_expansion) {
        return Err(failure(format!(
            "{raw_len} bytes cannot come from {} bytes of {codec} data",
            stored.len()
        )));
    }
    let mut out = Vec::new();
    // try_reserve: a forged length must produce an error, not an abort.
    out.try_reserve_exact(raw_len as usize)
        .map_err(|_| failure(format!("cannot allocate {raw_len} bytes")))?;
    let written = decompress_into(&mut out).map_err(|source| BundleError::Frame {
        offset,
        from: 0,
        source,
    })?;
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
pub(super) fn zstd_frames(stored: &[u8], raw_len: usize) -> Option<Vec<FrameSpan>> {
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
/// which must be empty, as [`Bundle::write_blob`] unpacks a blob's frames.
/// Returns the unpacked length. zstd checks each frame's content checksum,
/// if it has one, before the frame counts as unpacked.
pub fn unpack_frames_to_file(stored: &[u8], file: &std::fs::File) -> Result<u64, BundleError> {
    let failure = |reason: String| BundleError::Decompress { offset: 0, reason };
    let frames = zstd_frame_spans(stored)
        .filter(|frames| !frames.is_empty())
        .ok_or_else(|| failure("not zstd frames of recorded sizes".into()))?;
    let len = frames.last().map_or(0, |(_, raw)| raw.end) as u64;
    file.set_len(len)
        .map_err(|source| BundleError::Write { offset: 0, source })?;
    unpack_frames(stored, &frames, 0, BlobSink::File(file))?;
    Ok(len)
}

/// Bytes decompressed per `write_at` call: small enough to stay in cache.
const STREAM_CHUNK: usize = 256 << 10;

/// Whether `stored` is zstd frames that declare their content sizes and
/// those add up to `raw_len` (read from the frame headers alone).
pub(crate) fn frames_add_up(stored: &[u8], raw_len: u32) -> bool {
    zstd_frames(stored, raw_len as usize).is_some()
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
pub(super) fn unpack_frames(
    stored: &[u8],
    frames: &[FrameSpan],
    offset: u64,
    sink: BlobSink<'_>,
) -> Result<(), BundleError> {
    let failure = |reason: String| BundleError::Decompress { offset, reason };
    let direct = |raw_range: &std::ops::Range<usize>| {
        matches!(sink, BlobSink::File(_)) && raw_range.len() <= DIRECT_FRAME_MAX
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
                BlobSink::File(file) if direct(raw_range) => {
                    unpack_frame_into_file(decoder, frame, raw_range, file)
                }
                BlobSink::File(file) => stream_frame(decoder, frame, raw_range, |pos, piece| {
                    file.write_all_at(piece, pos)
                }),
                BlobSink::Pieces(write_at) => stream_frame(decoder, frame, raw_range, write_at),
            }
            .map_err(|error| match error {
                FrameError::Decode(source) => BundleError::Frame {
                    offset,
                    from: at,
                    source,
                },
                FrameError::Write(source) => BundleError::Write { offset, source },
            })?;
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

/// Why a frame was not unpacked: its bytes, or its destination.
enum FrameError {
    Decode(io::Error),
    Write(io::Error),
}

impl FrameError {
    fn decode(reason: impl Into<String>) -> Self {
        FrameError::Decode(io::Error::new(io::ErrorKind::InvalidData, reason.into()))
    }
}

/// Streams one frame through the decoder's window, handing its output to
/// `write_at` piece by piece.
fn stream_frame(
    decoder: &mut MappedDecoder,
    frame: &[u8],
    raw_range: &std::ops::Range<usize>,
    write_at: impl Fn(u64, &[u8]) -> io::Result<()>,
) -> Result<(), FrameError> {
    decoder.start_frame();
    let mut input_pos = 0;
    let mut pos = raw_range.start;
    loop {
        let (piece, remaining) = decoder
            .decode(frame, &mut input_pos)
            .map_err(FrameError::decode)?;
        let produced = piece.len();
        if pos + produced > raw_range.end {
            return Err(FrameError::decode(format!(
                "the frame holds more than its {} bytes",
                raw_range.len()
            )));
        }
        write_at(pos as u64, piece).map_err(FrameError::Write)?;
        pos += produced;
        if remaining == 0 {
            break;
        }
        if produced == 0 && input_pos == frame.len() {
            return Err(FrameError::decode("the frame is truncated"));
        }
    }
    check_frame_len(pos - raw_range.start, raw_range)
}

fn check_frame_len(written: usize, raw_range: &std::ops::Range<usize>) -> Result<(), FrameError> {
    if written != raw_range.len() {
        return Err(FrameError::decode(format!(
            "the frame decompressed to {written} bytes, expected {}",
            raw_range.len()
        )));
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
) -> Result<(), FrameError> {
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
    .map_err(FrameError::Write)?;
    // A process forked meanwhile (the app forks while native code is
    // unpacked ahead of its import) must not inherit this writable mapping:
    // it would outlive the unpacking there, and the file could then never
    // be sealed against writes (F_ADD_SEALS fails with EBUSY while any
    // process maps it writably).
    map.advise(memmap2::Advice::DontFork)
        .map_err(FrameError::Write)?;
    let written = decoder
        .decode_all(frame, &mut map)
        .map_err(FrameError::decode)?;
    check_frame_len(written, raw_range)
}
