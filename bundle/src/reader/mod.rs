//! The one bundle reader: `index` parses the header and the tables,
//! `blob` reads blobs, `frames` unpacks zstd frames, `lz4` LZ4 blocks.
//!
//! `Bundle::parse` checks everything that is O(1) or a single hash over the
//! tables and allocates nothing, because it runs at every program start.
//! Records are decoded and checked on access; `Bundle::verify` checks them all.

mod blob;
mod frames;
mod index;
mod lz4;

use std::fmt;

use crate::error::BundleError;
use crate::format::{BlobRef, FileKind, MainMode, ModuleKind};

pub use blob::{BlobSink, StoredBytes, StoredSpan};
pub(crate) use frames::{decompress, frames_add_up};
pub use frames::{unpack_frames_to_file, MAX_DECOMPRESS_THREADS};
pub(crate) use lz4::{compress_lz4, decompress_lz4, LZ4_HC_LEVEL};

/// One module of a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleEntry<'a> {
    /// Dotted name, e.g. `json.decoder`.
    pub name: &'a str,
    pub kind: ModuleKind,
    /// Relative virtual path, e.g. `json/decoder.py`.
    pub path: &'a str,
    /// Marshalled code object, or the shared object of an extension module.
    pub code: Option<BlobRef>,
    pub source: Option<BlobRef>,
}

impl<'a> ModuleEntry<'a> {
    /// The last part of the path: what an extension module is loaded as
    /// (`_decimal.cpython-311-x86_64-linux-gnu.so`).
    pub fn file_name(&self) -> &'a str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// One file of a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileEntry<'a> {
    /// Relative path with `/` separators.
    pub path: &'a str,
    pub kind: FileKind,
    /// Extra string for the kind: a shared library's SONAME, empty otherwise.
    pub aux: &'a str,
    pub data: BlobRef,
    /// xxh3-64 of the content, for checking a copy of it on disk.
    pub digest: u64,
}

/// Native code the runtime unpacks ahead of its import: an extension
/// module or a shared library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrefetchEntry<'a> {
    /// The extension module's name, or the shared library's path.
    pub name: &'a str,
    /// The name it is loaded under: the extension module's file name, or
    /// the library's SONAME.
    pub file_name: &'a str,
    pub is_library: bool,
    pub blob: BlobRef,
}

impl PrefetchEntry<'_> {
    /// "extension module NAME" or "shared library PATH".
    pub fn describe(&self) -> String {
        let what = if self.is_library {
            "shared library"
        } else {
            "extension module"
        };
        format!("{what} {:?}", self.name)
    }
}

/// A parsed view of bundle bytes. Borrows the bytes and copies nothing, so
/// it works directly on an mmap of the executable.
#[derive(Clone, Copy)]
pub struct Bundle<'a> {
    python_magic: [u8; 4],
    main: Option<(MainMode, &'a str)>,
    module_table: &'a [u8],
    file_table: &'a [u8],
    blob_table: &'a [u8],
    prefetch_table: &'a [u8],
    strings: &'a [u8],
    data: &'a [u8],
    /// Where `data` starts, from the start of the bundle.
    data_offset: u64,
    /// The zstd dictionary blobs of codec `ZstdDictionary` were compressed
    /// with, if the bundle has one: its blob index and record.
    dictionary: Option<(u32, BlobRef)>,
    /// The blob of the reasons each entry is in (`BundleWriter::set_reasons`).
    reasons: Option<(u32, BlobRef)>,
}

impl fmt::Debug for Bundle<'_> {
    // The derived form would print every byte of the bundle.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle")
            .field("python_magic", &self.python_magic)
            .field("main", &self.main)
            .field("modules", &self.module_count())
            .field("files", &self.file_count())
            .field("blobs", &self.blob_count())
            .field("prefetch", &self.prefetch_count())
            .field("dictionary", &self.dictionary)
            .field("reasons", &self.reasons)
            .field("string_table_len", &self.strings.len())
            .field("data_len", &self.data.len())
            .finish()
    }
}

fn corrupt(message: impl Into<String>) -> BundleError {
    BundleError::Corrupt(message.into())
}

fn no_dictionary() -> BundleError {
    corrupt("blob is compressed with a dictionary, but the bundle has none")
}

fn dictionary_in_dictionary() -> BundleError {
    corrupt("the dictionary is compressed with a codec other than zstd alone")
}

/// Says in which part of the bundle `error` was found.
fn within(place: impl fmt::Display) -> impl FnOnce(BundleError) -> BundleError {
    move |error| BundleError::Within {
        place: place.to_string(),
        problem: Box::new(error),
    }
}

fn to_usize(value: u64, what: &str) -> Result<usize, BundleError> {
    usize::try_from(value).map_err(|_| corrupt(format!("{what} {value} exceeds the address space")))
}

/// First index in `lo..hi` where `is_before` is false, for a predicate that
/// is true on a prefix of the range. On unsorted (corrupt) tables the answer
/// is some index in `lo..=hi`, never a panic.
fn partition_point(
    mut lo: usize,
    mut hi: usize,
    mut is_before: impl FnMut(usize) -> Result<bool, BundleError>,
) -> Result<usize, BundleError> {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if is_before(mid)? {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}
