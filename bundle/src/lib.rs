//! The freeze bundle format: the one reader, the one writer, and storing a
//! bundle in an ELF executable's `.freeze` section.
//!
//! A bundle holds an application's Python modules (compiled code and
//! optionally source), data files and shared libraries. The packager writes
//! it with [`BundleWriter`] and embeds it in the runtime stub with
//! [`embed_in_elf`]; at startup the runtime finds it with [`find_in_elf`] and
//! reads it in place with [`Bundle`]. An executable with a compressed
//! runtime is a small loader with the compressed stub and the bundle in two
//! sections ([`embed_in_loader`], [`find_runtime_in_elf`]). The byte layout is specified in
//! `docs/bundle-format.md`.

mod elf;
mod error;
mod format;
pub mod fuzzing;
mod mapped_zstd;
mod own_exe;
mod reader;
mod writer;

pub use elf::{
    embed_in_elf, embed_in_loader, find_in_elf, find_runtime_in_elf, find_section_in_file, ReadAt,
    SectionSpan, MAX_HEADERS_READ,
};
pub use error::{BundleError, ElfError};
pub use format::{
    python_magic_from_hex, python_magic_hex, python_version_of_magic, Blob, BlobRef, Codec,
    FileKind, MainMode, ModuleKind, PrefetchItem, StoredBlob, FORMAT_VERSION, HEADER_LEN,
    LOADED_FROM_ENV, MAGIC, RUNTIME_MEMFD_NAME, RUNTIME_SECTION_NAME, SECTION_NAME,
    STATUS_UNUSABLE,
};
pub use own_exe::{executed_path, own_exe, own_exe_or_report, NoOwnExe, OwnExe};
pub use reader::{
    unpack_frames_to_file, BlobSink, Bundle, FileEntry, ModuleEntry, PrefetchEntry, StoredBytes,
    StoredSpan, MAX_DECOMPRESS_THREADS,
};
pub use writer::{
    compress, compress_frames, compression_key, frame_len, BundleWriter, CompressionCache,
    DEFAULT_COMPRESSION_LEVEL, FRAME_RAW_LEN, SPLIT_RAW_LEN,
};

#[cfg(test)]
mod tests;
