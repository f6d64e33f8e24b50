//! Reading a blob: its stored bytes, checked against its record, and its
//! content, decompressed into memory, a file or pieces.

use std::borrow::Cow;
use std::io;

use xxhash_rust::xxh3::xxh3_64;

use super::frames::{
    decompress, decompress_with_dictionary, unpack_frames, with_decompressor, zstd_frames,
};
use super::{corrupt, dictionary_in_dictionary, no_dictionary, to_usize, within, Bundle};
use crate::error::BundleError;
use crate::format::{BlobRef, Codec, StoredBlob};

/// Where the stored bytes of a blob being read come from.
#[derive(Clone, Copy, Debug)]
pub enum StoredBytes<'s> {
    /// The bundle's own bytes, read where they lie.
    InBundle,
    /// Bytes the caller read itself: the runtime reads modules with `pread`
    /// from its executable rather than through its mapping of it, so that
    /// they never count toward its RSS. They must be the blob's stored bytes
    /// (its [`Bundle::stored_span`]), and are checked against the blob's
    /// length and checksum.
    Given(&'s [u8]),
}

/// Where [`Bundle::write_blob`] puts the content of a blob.
#[derive(Clone, Copy)]
pub enum BlobSink<'s> {
    /// Pieces handed to `write_at(offset, bytes)` (a memory file's `pwrite`,
    /// say), so a 35 MB shared library never sits whole in this process's
    /// memory. Blobs of several zstd frames are decompressed on up to
    /// [`super::MAX_DECOMPRESS_THREADS`] threads, so `write_at` is called
    /// concurrently, each call for a distinct range. The pieces cover
    /// `0..raw_len` exactly once.
    Pieces(&'s (dyn Fn(u64, &[u8]) -> io::Result<()> + Sync)),
    /// A file, which must be empty and is sized to `raw_len` first (a memory
    /// file native code is loaded from). Frames of up to 8 MiB are
    /// decompressed straight into its pages through a shared mapping of
    /// their range: no window buffer, no copying.
    File(&'s std::fs::File),
}

impl BlobSink<'_> {
    /// Hands over a whole content at once.
    pub(super) fn write_whole(&self, content: &[u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        match self {
            BlobSink::Pieces(write_at) => write_at(0, content),
            BlobSink::File(file) => file.write_all_at(content, 0),
        }
    }
}

/// Where a blob's stored bytes lie in the bundle: checked to lie inside it,
/// but neither verified nor decompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredSpan<'a> {
    /// From the start of the bundle: for a caller that reads the bytes itself.
    pub offset: u64,
    /// The bytes themselves: lets a caller that maps the bundle give those
    /// pages back once it has read the content.
    pub bytes: &'a [u8],
    blob: BlobRef,
}

impl StoredSpan<'_> {
    /// The blob in its stored form, verified against its checksum but not
    /// decompressed, ready to be handed to another `BundleWriter` as
    /// `Blob::Stored`.
    pub fn to_stored_blob(&self) -> Result<StoredBlob, BundleError> {
        verify_checksum(&self.blob, self.offset, self.bytes)?;
        Ok(StoredBlob {
            codec: self.blob.codec,
            raw_len: self.blob.raw_len,
            bytes: self.bytes.to_vec(),
        })
    }
}

/// Checks `stored` against the checksum of `blob`, whose stored bytes start
/// `offset` bytes into the bundle.
fn verify_checksum(blob: &BlobRef, offset: u64, stored: &[u8]) -> Result<(), BundleError> {
    if xxh3_64(stored) != blob.checksum {
        return Err(BundleError::ChecksumMismatch {
            what: format!("blob at data offset {}", blob.offset),
            offset,
            len: u64::from(blob.stored_len),
        });
    }
    Ok(())
}

impl<'a> Bundle<'a> {
    /// Where the stored bytes of `blob` lie, after the checks of its record
    /// that need no access to them.
    pub fn stored_span(&self, blob: &BlobRef) -> Result<StoredSpan<'a>, BundleError> {
        self.check_blob_shape(blob)?;
        let start = to_usize(blob.offset, "blob offset")?;
        let bytes = start
            .checked_add(blob.stored_len as usize)
            .and_then(|end| self.data.get(start..end))
            .ok_or_else(|| self.outside_data(blob))?;
        Ok(StoredSpan {
            offset: self.data_offset + blob.offset,
            bytes,
            blob: *blob,
        })
    }

    /// The stored bytes of `blob` from `from`, checked to be its own: shape,
    /// length and checksum.
    fn verified<'s>(&self, blob: &BlobRef, from: StoredBytes<'s>) -> Result<&'s [u8], BundleError>
    where
        'a: 's,
    {
        let span = self.stored_span(blob)?;
        let stored = match from {
            StoredBytes::InBundle => span.bytes,
            StoredBytes::Given(given) if given.len() != span.bytes.len() => {
                return Err(corrupt(format!(
                    "blob at data offset {} has {} stored bytes, {} were given",
                    blob.offset,
                    blob.stored_len,
                    given.len()
                )));
            }
            StoredBytes::Given(given) => given,
        };
        verify_checksum(blob, span.offset, stored)?;
        Ok(stored)
    }

    /// The content of a blob: verified, and decompressed to exactly
    /// `raw_len` bytes. Uncompressed blobs are borrowed, not copied.
    pub fn blob<'s>(
        &self,
        blob: &BlobRef,
        from: StoredBytes<'s>,
    ) -> Result<Cow<'s, [u8]>, BundleError>
    where
        'a: 's,
    {
        self.content(blob, self.verified(blob, from)?)
    }

    /// The content of `blob` from its verified stored bytes.
    fn content<'s>(&self, blob: &BlobRef, stored: &'s [u8]) -> Result<Cow<'s, [u8]>, BundleError> {
        match blob.codec {
            Codec::Stored => Ok(Cow::Borrowed(stored)),
            Codec::Zstd => decompress(stored, blob.raw_len, blob.offset).map(Cow::Owned),
            Codec::Lz4 => super::decompress_lz4(stored, blob.raw_len, blob.offset).map(Cow::Owned),
            Codec::ZstdDictionary => {
                let dictionary = self.dictionary().ok_or_else(no_dictionary)?;
                decompress_with_dictionary(stored, blob.raw_len, blob.offset, &dictionary, |out| {
                    self.dictionary_into(&dictionary, out)
                        .map_err(within("the dictionary"))
                })
                .map(Cow::Owned)
            }
        }
    }

    /// The content of the dictionary `blob` written into `out`, which is
    /// `raw_len` bytes long: into its mapping, without a buffer of its own.
    fn dictionary_into(&self, blob: &BlobRef, out: &mut [u8]) -> Result<(), BundleError> {
        let stored = self.verified(blob, StoredBytes::InBundle)?;
        let failure = |reason: String| BundleError::Decompress {
            offset: blob.offset,
            reason,
        };
        if out.len() != blob.raw_len as usize {
            return Err(failure(format!(
                "{} bytes of room for {} of content",
                out.len(),
                blob.raw_len
            )));
        }
        match blob.codec {
            Codec::Stored => out.copy_from_slice(stored),
            Codec::Zstd => {
                let written = with_decompressor(|context| context.decode_all(stored, out))
                    .and_then(|decoded| {
                        decoded.map_err(|reason| io::Error::new(io::ErrorKind::InvalidData, reason))
                    })
                    .map_err(|source| BundleError::Frame {
                        offset: blob.offset,
                        from: 0,
                        source,
                    })?;
                if written != out.len() {
                    return Err(failure(format!(
                        "decompressed to {written} bytes, expected {}",
                        out.len()
                    )));
                }
            }
            Codec::ZstdDictionary | Codec::Lz4 => return Err(dictionary_in_dictionary()),
        }
        Ok(())
    }

    /// The zstd dictionary of the bundle, if it has one: blobs of codec
    /// [`Codec::ZstdDictionary`] need it to be decompressed.
    pub fn dictionary(&self) -> Option<BlobRef> {
        self.dictionary.map(|(_, blob)| blob)
    }

    /// The blob of the reasons each entry is in, if the writer was given
    /// them (`BundleWriter::set_reasons`).
    pub fn reasons(&self) -> Option<BlobRef> {
        self.reasons.map(|(_, blob)| blob)
    }

    /// Writes the content of a blob into `sink`, verified first, without
    /// holding the whole of it in memory where it can be avoided.
    pub fn write_blob(
        &self,
        blob: &BlobRef,
        from: StoredBytes<'_>,
        sink: BlobSink<'_>,
    ) -> Result<(), BundleError> {
        let stored = self.verified(blob, from)?;
        let failed = |source| BundleError::Write {
            offset: blob.offset,
            source,
        };
        if let BlobSink::File(file) = &sink {
            file.set_len(u64::from(blob.raw_len)).map_err(failed)?;
        }
        match blob.codec {
            Codec::Stored => sink.write_whole(stored).map_err(failed),
            // Modules' code and source, which are small: in one piece.
            Codec::ZstdDictionary | Codec::Lz4 => sink
                .write_whole(&self.content(blob, stored)?)
                .map_err(failed),
            Codec::Zstd => match zstd_frames(stored, blob.raw_len as usize) {
                Some(frames) => unpack_frames(stored, &frames, blob.offset, sink),
                // Not split into sized frames: one pass, checked like `blob`.
                None => {
                    let raw = decompress(stored, blob.raw_len, blob.offset)?;
                    sink.write_whole(&raw).map_err(failed)
                }
            },
        }
    }
}
