//! A zstd streaming decoder that lives in an anonymous memory mapping of its
//! own instead of the heap.
//!
//! Decompressing a frame of a large blob in pieces needs the frame's window
//! (8 MB at level 19) as a buffer. Left to malloc, freeing that buffer makes
//! glibc raise its mmap and trim thresholds to 8 and 16 MB for the rest of
//! the process: every later allocation below 8 MB (the app's, numpy's) is
//! then served from heaps that are never given back. A frozen numpy app
//! ended with 5.4 MB more anonymous memory than under python for that
//! reason alone. Here the decoder, its window and the output piece live in
//! one mapping per thread, unmapped when the blob is done; malloc never sees
//! them. The same context also decompresses whole frames in one call
//! (`decode_all`, straight into a memory file's pages, no window at all).

use zstd::zstd_safe::zstd_sys;

/// A zstd stream decoder, with a buffer for pieces of its output.
pub(crate) struct MappedDecoder {
    workspace: memmap2::MmapMut,
    dctx: *mut zstd_sys::ZSTD_DCtx,
    piece_len: usize,
}

impl MappedDecoder {
    /// The memory a decoder for `frame` needs (from its header), or None
    /// if the header is invalid.
    pub(crate) fn context_len(frame: &[u8]) -> Option<usize> {
        // SAFETY: reads at most `frame.len()` bytes of `frame`; returns a
        // zstd error code (a huge value) for an invalid header.
        let len = unsafe {
            zstd_sys::ZSTD_estimateDStreamSize_fromFrame(frame.as_ptr().cast(), frame.len())
        };
        // SAFETY: a plain query of zstd's error-code convention.
        (unsafe { zstd_sys::ZSTD_isError(len) } == 0).then_some(len)
    }

    /// The memory a decoder needs to decompress whole frames in one call
    /// ([`Self::decode_all`]: no window, the output is the window).
    pub(crate) fn bulk_context_len() -> usize {
        // SAFETY: a pure size query.
        unsafe { zstd_sys::ZSTD_estimateDCtxSize() }
    }

    /// A decoder with `context_len` bytes for itself (the most
    /// [`Self::context_len`] asks for among the frames it will decode),
    /// handing out up to `piece_len` bytes of output at a time. None if the
    /// memory cannot be mapped.
    pub(crate) fn new(context_len: usize, piece_len: usize) -> Option<MappedDecoder> {
        // The context must start 8-byte aligned; a mapping starts on a page.
        let dctx_len = context_len.next_multiple_of(8);
        let mut workspace = memmap2::MmapMut::map_anon(dctx_len.checked_add(piece_len)?).ok()?;
        // SAFETY: the first `dctx_len` bytes of the mapping are writable,
        // 8-byte aligned, exclusively ours and live as long as `workspace`,
        // which this struct owns alongside the context: zstd builds the
        // context inside them and never allocates (a static context).
        let dctx =
            unsafe { zstd_sys::ZSTD_initStaticDCtx(workspace.as_mut_ptr().cast(), dctx_len) };
        if dctx.is_null() {
            return None;
        }
        Some(MappedDecoder {
            workspace,
            dctx,
            piece_len,
        })
    }

    /// Forgets the frame being decoded, ready for the next one.
    pub(crate) fn start_frame(&mut self) {
        // SAFETY: `dctx` is the live static context in our workspace.
        unsafe {
            zstd_sys::ZSTD_DCtx_reset(
                self.dctx,
                zstd_sys::ZSTD_ResetDirective::ZSTD_reset_session_only,
            );
        }
    }

    /// Decodes from `input` starting at `*input_pos` into the output piece.
    /// Returns the output produced and zstd's hint (0 once the frame is
    /// complete), or zstd's error name.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        input_pos: &mut usize,
    ) -> Result<(&[u8], usize), &'static str> {
        let dctx_len = self.workspace.len() - self.piece_len;
        let (_, piece) = self.workspace.split_at_mut(dctx_len);
        let mut out = zstd_sys::ZSTD_outBuffer {
            dst: piece.as_mut_ptr().cast(),
            size: piece.len(),
            pos: 0,
        };
        let mut inb = zstd_sys::ZSTD_inBuffer {
            src: input.as_ptr().cast(),
            size: input.len(),
            pos: (*input_pos).min(input.len()),
        };
        // SAFETY: `dctx` is the live static context in our workspace; `out`
        // covers exactly the piece buffer (disjoint from the context) and
        // `inb` exactly `input`, with positions inside them; zstd advances
        // the positions and writes only within `out`.
        let hint = unsafe { zstd_sys::ZSTD_decompressStream(self.dctx, &mut out, &mut inb) };
        if let Some(name) = error_name(hint) {
            return Err(name);
        }
        *input_pos = inb.pos;
        Ok((&piece[..out.pos], hint))
    }

    /// Decompresses the whole of `frames` after the end of `out`, which
    /// must have the capacity for it: with `dictionary` if the frames were
    /// compressed with it (only for this call: the context never keeps it).
    /// Returns the bytes written, or zstd's error name.
    pub(crate) fn decode_to_vec(
        &mut self,
        frames: &[u8],
        out: &mut Vec<u8>,
        dictionary: Option<&MappedDictionary>,
    ) -> Result<usize, &'static str> {
        let spare = out.spare_capacity_mut();
        // SAFETY: `spare` is writable for its length (uninitialized memory
        // is fine to write).
        let written =
            unsafe { self.decode_raw(frames, spare.as_mut_ptr().cast(), spare.len(), dictionary) }?;
        // SAFETY: zstd initialized the first `written` bytes of the spare
        // capacity (never more than its length).
        unsafe { out.set_len(out.len() + written) };
        Ok(written)
    }

    /// Decompresses the whole of `frame` into `destination` in one call;
    /// returns the bytes written, or zstd's error name (a frame larger
    /// than `destination` is an error, never an overflow).
    pub(crate) fn decode_all(
        &mut self,
        frame: &[u8],
        destination: &mut [u8],
    ) -> Result<usize, &'static str> {
        // SAFETY: `destination` is writable for its length.
        unsafe { self.decode_raw(frame, destination.as_mut_ptr(), destination.len(), None) }
    }

    /// Decompresses the whole of `frames` into the `capacity` bytes at
    /// `destination`, with `dictionary` if given.
    ///
    /// # Safety
    /// `destination` must be valid for writes of `capacity` bytes.
    unsafe fn decode_raw(
        &mut self,
        frames: &[u8],
        destination: *mut u8,
        capacity: usize,
        dictionary: Option<&MappedDictionary>,
    ) -> Result<usize, &'static str> {
        // SAFETY: `dctx` is the live static context in our workspace, and a
        // digest (if any) lives as long as the borrowed `dictionary`; zstd
        // reads exactly `frames` and writes only within the `capacity` bytes
        // at `destination`, which the caller vouches for.
        let written = unsafe {
            match dictionary {
                Some(dictionary) => zstd_sys::ZSTD_decompress_usingDDict(
                    self.dctx,
                    destination.cast(),
                    capacity,
                    frames.as_ptr().cast(),
                    frames.len(),
                    dictionary.ddict,
                ),
                None => zstd_sys::ZSTD_decompressDCtx(
                    self.dctx,
                    destination.cast(),
                    capacity,
                    frames.as_ptr().cast(),
                    frames.len(),
                ),
            }
        };
        error_name(written).map_or(Ok(written), Err)
    }
}

/// A zstd dictionary and zstd's digest of it (its entropy tables), in one
/// anonymous mapping: a dictionary of 256 KiB left to malloc would be
/// copied (`ZSTD_createDDict`) and its unpacked content freed, which raises
/// glibc's mmap threshold for the rest of the process (see above).
pub(crate) struct MappedDictionary {
    // Holds the digest and the content `ddict` points into; only dropped.
    _workspace: memmap2::MmapMut,
    ddict: *const zstd_sys::ZSTD_DDict,
}

impl MappedDictionary {
    /// Maps room for a dictionary of `content_len` bytes, has `fill` write
    /// its content, and digests it in place. Err(None) if the memory cannot
    /// be mapped or zstd refuses the content, Err(Some) if `fill` failed.
    pub(crate) fn new<E>(
        content_len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<MappedDictionary, Option<E>> {
        // SAFETY: a pure size query.
        let tables_len = unsafe {
            zstd_sys::ZSTD_estimateDDictSize(
                content_len,
                zstd_sys::ZSTD_dictLoadMethod_e::ZSTD_dlm_byRef,
            )
        };
        // The digest must start 8-byte aligned; a mapping starts on a page.
        let tables_len = tables_len.next_multiple_of(8);
        let mut workspace = tables_len
            .checked_add(content_len)
            .and_then(|len| memmap2::MmapMut::map_anon(len.max(1)).ok())
            .ok_or(None)?;
        let (tables, content) = workspace.split_at_mut(tables_len);
        let content = &mut content[..content_len];
        fill(content).map_err(Some)?;
        // SAFETY: `tables` is writable, 8-byte aligned, exclusively ours and
        // as large as zstd asked for; zstd builds the digest inside it and
        // never allocates (a static DDict). The digest references `content`
        // (ZSTD_dlm_byRef), which lives in the same mapping, is never written
        // again and is unmapped only with the digest, when `self` drops.
        let ddict = unsafe {
            zstd_sys::ZSTD_initStaticDDict(
                tables.as_mut_ptr().cast(),
                tables.len(),
                content.as_ptr().cast(),
                content.len(),
                zstd_sys::ZSTD_dictLoadMethod_e::ZSTD_dlm_byRef,
                zstd_sys::ZSTD_dictContentType_e::ZSTD_dct_auto,
            )
        };
        if ddict.is_null() {
            return Err(None);
        }
        Ok(MappedDictionary {
            _workspace: workspace,
            ddict,
        })
    }
}

// SAFETY: zstd only reads a digested dictionary, from any thread.
unsafe impl Send for MappedDictionary {}

/// zstd's name for `code` if it is an error.
fn error_name(code: usize) -> Option<&'static str> {
    // SAFETY: plain queries of zstd's error-code convention; the name is a
    // static NUL-terminated string.
    unsafe {
        if zstd_sys::ZSTD_isError(code) == 0 {
            return None;
        }
        let name = std::ffi::CStr::from_ptr(zstd_sys::ZSTD_getErrorName(code));
        Some(name.to_str().unwrap_or("zstd error"))
    }
}

// SAFETY: the context is reachable only through `&mut self`; zstd contexts
// may move between threads as long as one thread uses them at a time.
unsafe impl Send for MappedDecoder {}
