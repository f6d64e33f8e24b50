//! The on-disk layout of format version 6: constants, kinds, and the encoding
//! and decoding of the header and the fixed-size records.
//!
//! Reader and writer both go through the `encode`/`decode` pairs here, so the
//! byte layout is written down exactly once. `docs/bundle-format.md` is the
//! prose version of this file.

/// First eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"FRZBNDL\0";
/// The only format version this build reads and writes.
pub const FORMAT_VERSION: u16 = 6;
/// Name of the ELF section that holds the bundle inside an executable.
pub const SECTION_NAME: &str = ".freeze";
/// The ELF section holding the zstd-compressed runtime stub in executables
/// built with a compressed runtime (`freeze --compress-runtime`).
pub const RUNTIME_SECTION_NAME: &str = ".freeze-runtime";
/// The name of the memory file the loader unpacks the runtime into; the
/// runtime sees it as `/proc/self/exe` (`/memfd:freeze-runtime (deleted)`).
pub const RUNTIME_MEMFD_NAME: &str = "freeze-runtime";
/// The environment variable through which the loader tells the runtime the
/// path of the executable it was started as (which holds the bundle). The
/// runtime honours it only when it runs from the loader's memory file, and
/// removes it before the app starts.
pub const LOADED_FROM_ENV: &str = "FREEZE_LOADED_FROM";
/// Exit status of an executable that cannot run its app (no or a damaged
/// bundle or runtime), from the loader or the runtime alike: python's
/// status for "can't open file".
pub const STATUS_UNUSABLE: i32 = 2;

/// Bytes of a bundle's header: all [`crate::Bundle::declared_len`] needs.
pub const HEADER_LEN: usize = header_at::CHECKSUM + U64;
/// The header checksum covers every header byte before the checksum itself.
pub(crate) const HEADER_CHECKSUMMED_LEN: usize = header_at::CHECKSUM;

const U16: usize = std::mem::size_of::<u16>();
const U32: usize = std::mem::size_of::<u32>();
const U64: usize = std::mem::size_of::<u64>();
const STR_REF: usize = 2 * U32;

/// Where each header field starts, in the order [`Header::encode`] writes
/// them: for readers of single fields that cannot decode the whole header
/// (the version check before anything else, `repair_checksums` on mutated
/// bytes).
pub(crate) mod header_at {
    use super::{MAGIC, STR_REF, U16, U32, U64};

    pub const FORMAT_VERSION: usize = MAGIC.len();
    pub const HEADER_LEN: usize = FORMAT_VERSION + U16;
    const PYTHON_MAGIC: usize = HEADER_LEN + U16;
    const DICTIONARY: usize = PYTHON_MAGIC + 4;
    /// The main mode's byte, then three bytes of padding.
    const MAIN_MODE: usize = DICTIONARY + U32;
    const MAIN_NAME: usize = MAIN_MODE + 4;
    pub const MODULE_COUNT: usize = MAIN_NAME + STR_REF;
    pub const FILE_COUNT: usize = MODULE_COUNT + U32;
    pub const BLOB_COUNT: usize = FILE_COUNT + U32;
    const PREFETCH_COUNT: usize = BLOB_COUNT + U32;
    pub const TABLES_OFFSET: usize = PREFETCH_COUNT + U32;
    pub const TABLES_LEN: usize = TABLES_OFFSET + U64;
    pub const DATA_OFFSET: usize = TABLES_LEN + U64;
    const DATA_LEN: usize = DATA_OFFSET + U64;
    pub const TABLES_CHECKSUM: usize = DATA_LEN + U64;
    /// The reasons' blob index, then four bytes of padding.
    const REASONS: usize = TABLES_CHECKSUM + U64;
    pub const CHECKSUM: usize = REASONS + 2 * U32;
}

/// CPython's bytecode magic from its lowercase hex spelling (`a70d0d0a`,
/// what `importlib.util.MAGIC_NUMBER.hex()` gives): the embedded
/// interpreter's, recorded by the runtime's build and by the stdlib
/// archive's. Usable in constants, where anything but eight lowercase hex
/// digits fails the build.
pub const fn python_magic_from_hex(hex: &str) -> [u8; 4] {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("a Python magic number must be lowercase hex"),
        }
    }
    let hex = hex.as_bytes();
    assert!(hex.len() == 8, "a Python magic number is eight hex digits");
    let mut out = [0u8; 4];
    let mut i = 0;
    while i < 4 {
        out[i] = digit(hex[2 * i]) * 16 + digit(hex[2 * i + 1]);
        i += 1;
    }
    out
}

/// A bytecode magic as lowercase hex (`a70d0d0a`), as messages and
/// `--list-frozen` show it: the inverse of [`python_magic_from_hex`].
pub fn python_magic_hex(magic: [u8; 4]) -> String {
    magic.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CPython version (3, minor) whose bytecode a magic number marks.
/// Since 3.11 each version's numbers start on a multiple of 50 from 3450
/// (`importlib._bootstrap_external`'s table: 3.11 took 3450, 3.12 3500,
/// 3.13 3550, 3.14 3600), so the number alone tells the version; older
/// ones, and anything not ending in `\r\n`, are `None`.
pub fn python_version_of_magic(magic: [u8; 4]) -> Option<(u8, u8)> {
    if magic[2..] != *b"\r\n" {
        return None;
    }
    let number = u16::from_le_bytes([magic[0], magic[1]]);
    let minor = number.checked_sub(3450)? / 50 + 11;
    Some((3, u8::try_from(minor).ok()?))
}

/// Where a blob record's checksum lies in the record (see
/// [`BlobRecord::encode`]): after the offset, stored and raw lengths.
pub(crate) const BLOB_RECORD_CHECKSUM_AT: usize = U64 + 2 * U32;
pub(crate) const MODULE_RECORD_LEN: usize = 32;
pub(crate) const FILE_RECORD_LEN: usize = 32;
pub(crate) const BLOB_RECORD_LEN: usize = 32;
pub(crate) const PREFETCH_RECORD_LEN: usize = 8;
/// Blob index meaning "no blob" in a module record.
pub(crate) const NO_BLOB: u32 = u32::MAX;

/// A zstd block yields at most 128 KiB and takes at least 4 bytes (3 bytes
/// of block header plus one RLE byte), so no valid zstd data expands more
/// than this. Checking it up front keeps a forged `raw_len` from making the
/// reader allocate gigabytes for a few bytes of input.
pub(crate) const MAX_ZSTD_EXPANSION: u64 = 32 * 1024;

/// An LZ4 sequence of n bytes yields at most about 255 n (each extra
/// length byte adds at most 255): the same up-front check for codec 3.
pub(crate) const MAX_LZ4_EXPANSION: u64 = 255;

/// What a module record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    /// A plain `.py` module.
    Module,
    /// A regular package (its code is the `__init__`).
    Package,
    /// A PEP 420 namespace package: a directory without `__init__`.
    NamespacePackage,
    /// A compiled extension module; its code blob is the shared object.
    Extension,
}

impl ModuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Module => "module",
            ModuleKind::Package => "package",
            ModuleKind::NamespacePackage => "namespace",
            ModuleKind::Extension => "extension",
        }
    }

    /// Whether the module is Python code (marshalled code and source), as
    /// opposed to a namespace or native code.
    pub fn is_python(self) -> bool {
        matches!(self, ModuleKind::Module | ModuleKind::Package)
    }

    /// Every kind, in code order.
    pub const ALL: [ModuleKind; 4] = [
        ModuleKind::Module,
        ModuleKind::Package,
        ModuleKind::NamespacePackage,
        ModuleKind::Extension,
    ];

    /// The kind's code: in module records, and as the runtime's `_freeze`
    /// module tells the importer (`_freeze.MODULE`, ...).
    pub fn to_u8(self) -> u8 {
        match self {
            ModuleKind::Module => 0,
            ModuleKind::Package => 1,
            ModuleKind::NamespacePackage => 2,
            ModuleKind::Extension => 3,
        }
    }

    pub(crate) fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(ModuleKind::Module),
            1 => Some(ModuleKind::Package),
            2 => Some(ModuleKind::NamespacePackage),
            3 => Some(ModuleKind::Extension),
            _ => None,
        }
    }

    /// Which blobs a module of this kind may carry. Enforced by the writer
    /// and by `Bundle::verify`, so the runtime can rely on it.
    pub(crate) fn check_blobs(self, has_code: bool, has_source: bool) -> Result<(), &'static str> {
        match self {
            ModuleKind::Module | ModuleKind::Package if !has_code && !has_source => {
                Err("a module or package needs code, source, or both")
            }
            ModuleKind::NamespacePackage if has_code || has_source => {
                Err("a namespace package cannot have code or source")
            }
            ModuleKind::Extension if !has_code => {
                Err("an extension module needs its shared object as code")
            }
            ModuleKind::Extension if has_source => Err("an extension module cannot have source"),
            _ => Ok(()),
        }
    }
}

/// What a file record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Package data read through `importlib.resources` or `__file__`-relative paths.
    Data,
    /// A shared library that extension modules link against; `aux` is its SONAME.
    SharedLibrary,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Data => "data",
            FileKind::SharedLibrary => "shared-library",
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        match self {
            FileKind::Data => 0,
            FileKind::SharedLibrary => 1,
        }
    }

    pub(crate) fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(FileKind::Data),
            1 => Some(FileKind::SharedLibrary),
            _ => None,
        }
    }
}

/// How the runtime starts the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MainMode {
    /// Run the main module's code as `__main__`, like `python script.py`.
    Script,
    /// Run the main module like `python -m name`.
    Module,
}

impl MainMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MainMode::Script => "script",
            MainMode::Module => "module",
        }
    }

    /// Header encoding; 0 means "no main".
    pub(crate) fn to_u8(mode: Option<Self>) -> u8 {
        match mode {
            None => 0,
            Some(MainMode::Script) => 1,
            Some(MainMode::Module) => 2,
        }
    }

    pub(crate) fn from_u8(value: u8) -> Option<Option<Self>> {
        match value {
            0 => Some(None),
            1 => Some(Some(MainMode::Script)),
            2 => Some(Some(MainMode::Module)),
            _ => None,
        }
    }
}

/// How a blob's bytes are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// The stored bytes are the content.
    Stored,
    /// The stored bytes are zstd frames that decompress to the content.
    Zstd,
    /// The stored bytes are zstd frames compressed with the bundle's
    /// dictionary (its header names the dictionary blob).
    ZstdDictionary,
    /// The stored bytes are one LZ4 block that decompresses to the content:
    /// ~5 times faster to unpack than small zstd frames, for the code an
    /// app runs at every start.
    Lz4,
}

impl Codec {
    /// The codec's byte in a blob record.
    pub fn to_u8(self) -> u8 {
        match self {
            Codec::Stored => 0,
            Codec::Zstd => 1,
            Codec::ZstdDictionary => 2,
            Codec::Lz4 => 3,
        }
    }

    /// The codec's name in listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Codec::Stored => "stored",
            Codec::Zstd => "zstd",
            Codec::ZstdDictionary => "zstd-dictionary",
            Codec::Lz4 => "lz4",
        }
    }

    /// The codec a blob record's byte names, if any.
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(Codec::Stored),
            1 => Some(Codec::Zstd),
            2 => Some(Codec::ZstdDictionary),
            3 => Some(Codec::Lz4),
            _ => None,
        }
    }
}

/// Where a blob lives in a bundle's data region, as read from its record.
/// Pass it to `Bundle::blob` or `Bundle::stored_span` to get the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobRef {
    /// Offset of the stored bytes, relative to the data region.
    pub offset: u64,
    pub stored_len: u32,
    pub raw_len: u32,
    /// xxh3_64 of the stored bytes.
    pub checksum: u64,
    pub codec: Codec,
}

/// A blob as it is stored (possibly compressed): lets a writer copy blobs
/// from another bundle, or from a cache, verbatim without recompressing.
/// The writer computes the checksum itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    pub codec: Codec,
    /// Length of the content once decompressed.
    pub raw_len: u32,
    pub bytes: Vec<u8>,
}

/// Content handed to the writer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blob {
    /// Uncompressed content; the writer compresses it.
    Raw(Vec<u8>),
    /// Content already in stored form; the writer copies it as is.
    Stored(StoredBlob),
    /// Uncompressed content the writer compresses for unpacking speed
    /// rather than size ([`Codec::Lz4`]): code run at every start.
    Fast(Vec<u8>),
}

impl From<Vec<u8>> for Blob {
    fn from(raw: Vec<u8>) -> Self {
        Blob::Raw(raw)
    }
}

impl From<StoredBlob> for Blob {
    fn from(stored: StoredBlob) -> Self {
        Blob::Stored(stored)
    }
}

/// A string as (offset, length) into the string table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StrRef {
    pub offset: u32,
    pub len: u32,
}

/// Reads little-endian fields front to back. Every read is checked, so
/// decoding a short slice yields `None` instead of panicking.
/// The little-endian integers at byte `at` of `bytes`; None past the end.
pub(crate) fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    FieldReader::new(bytes.get(at..)?).u16()
}

pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    FieldReader::new(bytes.get(at..)?).u32()
}

pub(crate) fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    FieldReader::new(bytes.get(at..)?).u64()
}

pub(crate) struct FieldReader<'a> {
    rest: &'a [u8],
}

impl<'a> FieldReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        FieldReader { rest: bytes }
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(*head)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[byte]| byte)
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    pub fn str_ref(&mut self) -> Option<StrRef> {
        Some(StrRef {
            offset: self.u32()?,
            len: self.u32()?,
        })
    }

    /// Reads `N` bytes that the format requires to be zero.
    pub fn zeros<const N: usize>(&mut self) -> Option<bool> {
        self.array::<N>().map(|bytes| bytes == [0; N])
    }
}

fn put_str_ref(out: &mut Vec<u8>, string: StrRef) {
    out.extend_from_slice(&string.offset.to_le_bytes());
    out.extend_from_slice(&string.len.to_le_bytes());
}

/// The 104-byte header, minus the magic (which is constant) and the header
/// checksum (which is computed over the encoded bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub format_version: u16,
    pub header_len: u16,
    pub python_magic: [u8; 4],
    /// Blob index of the zstd dictionary, or `NO_BLOB`.
    pub dictionary: u32,
    pub main_mode: u8,
    pub main_name: StrRef,
    pub module_count: u32,
    pub file_count: u32,
    pub blob_count: u32,
    pub prefetch_count: u32,
    pub tables_offset: u64,
    pub tables_len: u64,
    pub data_offset: u64,
    pub data_len: u64,
    pub tables_checksum: u64,
    /// Blob index of the reasons each entry is in (`freeze --why` on a
    /// built executable), or `NO_BLOB`.
    pub reasons: u32,
}

/// Why a header could not be decoded.
pub(crate) enum HeaderProblem {
    /// Fewer than `HEADER_LEN` bytes.
    Short,
    /// Padding or reserved bytes that must be zero are not.
    NonZeroReserved,
}

impl Header {
    /// Encodes the header including the magic and the header checksum.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.format_version.to_le_bytes());
        out.extend_from_slice(&self.header_len.to_le_bytes());
        out.extend_from_slice(&self.python_magic);
        out.extend_from_slice(&self.dictionary.to_le_bytes());
        out.push(self.main_mode);
        out.extend_from_slice(&[0; 3]);
        put_str_ref(&mut out, self.main_name);
        out.extend_from_slice(&self.module_count.to_le_bytes());
        out.extend_from_slice(&self.file_count.to_le_bytes());
        out.extend_from_slice(&self.blob_count.to_le_bytes());
        out.extend_from_slice(&self.prefetch_count.to_le_bytes());
        out.extend_from_slice(&self.tables_offset.to_le_bytes());
        out.extend_from_slice(&self.tables_len.to_le_bytes());
        out.extend_from_slice(&self.data_offset.to_le_bytes());
        out.extend_from_slice(&self.data_len.to_le_bytes());
        out.extend_from_slice(&self.tables_checksum.to_le_bytes());
        out.extend_from_slice(&self.reasons.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let checksum = header_checksum(&out);
        out.extend_from_slice(&checksum.to_le_bytes());
        let mut header = [0; HEADER_LEN];
        // Both sides are HEADER_LEN long by construction; zip keeps this panic-free.
        for (slot, byte) in header.iter_mut().zip(out) {
            *slot = byte;
        }
        header
    }

    /// Decodes the fields after the magic. Does not check the magic, the
    /// version or any checksum: the reader does that in a deliberate order.
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderProblem> {
        let mut fields = FieldReader::new(bytes);
        fields.array::<8>().ok_or(HeaderProblem::Short)?;
        let format_version = fields.u16().ok_or(HeaderProblem::Short)?;
        let header_len = fields.u16().ok_or(HeaderProblem::Short)?;
        let python_magic = fields.array::<4>().ok_or(HeaderProblem::Short)?;
        let dictionary = fields.u32().ok_or(HeaderProblem::Short)?;
        let main_mode = fields.u8().ok_or(HeaderProblem::Short)?;
        let padding_is_zero = fields.zeros::<3>().ok_or(HeaderProblem::Short)?;
        let main_name = fields.str_ref().ok_or(HeaderProblem::Short)?;
        let module_count = fields.u32().ok_or(HeaderProblem::Short)?;
        let file_count = fields.u32().ok_or(HeaderProblem::Short)?;
        let blob_count = fields.u32().ok_or(HeaderProblem::Short)?;
        let prefetch_count = fields.u32().ok_or(HeaderProblem::Short)?;
        let tables_offset = fields.u64().ok_or(HeaderProblem::Short)?;
        let tables_len = fields.u64().ok_or(HeaderProblem::Short)?;
        let data_offset = fields.u64().ok_or(HeaderProblem::Short)?;
        let data_len = fields.u64().ok_or(HeaderProblem::Short)?;
        let tables_checksum = fields.u64().ok_or(HeaderProblem::Short)?;
        let reasons = fields.u32().ok_or(HeaderProblem::Short)?;
        let reasons_padding_is_zero = fields.zeros::<4>().ok_or(HeaderProblem::Short)?;
        if !(padding_is_zero && reasons_padding_is_zero) {
            return Err(HeaderProblem::NonZeroReserved);
        }
        Ok(Header {
            format_version,
            header_len,
            python_magic,
            dictionary,
            main_mode,
            main_name,
            module_count,
            file_count,
            blob_count,
            prefetch_count,
            tables_offset,
            tables_len,
            data_offset,
            data_len,
            tables_checksum,
            reasons,
        })
    }
}

/// Header checksum over the first `HEADER_CHECKSUMMED_LEN` bytes of `header`.
pub(crate) fn header_checksum(header: &[u8]) -> u64 {
    let covered = header.get(..HEADER_CHECKSUMMED_LEN).unwrap_or(header);
    xxhash_rust::xxh3::xxh3_64(covered)
}

/// A module record as stored: references only, nothing resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ModuleRecord {
    pub name: StrRef,
    pub path: StrRef,
    pub kind: u8,
    pub code: u32,
    pub source: u32,
}

impl ModuleRecord {
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_str_ref(out, self.name);
        put_str_ref(out, self.path);
        out.push(self.kind);
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&self.code.to_le_bytes());
        out.extend_from_slice(&self.source.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
    }

    /// `None` if `bytes` is short or padding is not zero.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut fields = FieldReader::new(bytes);
        let name = fields.str_ref()?;
        let path = fields.str_ref()?;
        let kind = fields.u8()?;
        let padding_is_zero = fields.zeros::<3>()?;
        let code = fields.u32()?;
        let source = fields.u32()?;
        let reserved_is_zero = fields.zeros::<4>()?;
        (padding_is_zero && reserved_is_zero).then_some(ModuleRecord {
            name,
            path,
            kind,
            code,
            source,
        })
    }
}

/// A file record as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileRecord {
    pub path: StrRef,
    pub aux: StrRef,
    pub kind: u8,
    pub blob: u32,
    /// xxh3-64 of the file's content (not of its stored bytes): what a copy
    /// of it on disk is checked against.
    pub digest: u64,
}

impl FileRecord {
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_str_ref(out, self.path);
        put_str_ref(out, self.aux);
        out.push(self.kind);
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&self.blob.to_le_bytes());
        out.extend_from_slice(&self.digest.to_le_bytes());
    }

    /// `None` if `bytes` is short or padding is not zero.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut fields = FieldReader::new(bytes);
        let path = fields.str_ref()?;
        let aux = fields.str_ref()?;
        let kind = fields.u8()?;
        let padding_is_zero = fields.zeros::<3>()?;
        let blob = fields.u32()?;
        let digest = fields.u64()?;
        padding_is_zero.then_some(FileRecord {
            path,
            aux,
            kind,
            blob,
            digest,
        })
    }
}

/// What a prefetch entry names, as handed to the writer: native code the
/// runtime unpacks ahead of its import.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PrefetchItem {
    /// An extension module, by name.
    Extension(String),
    /// A shared library, by file path.
    Library(String),
}

/// A prefetch record as stored: which table, and the index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PrefetchRecord {
    /// `PREFETCH_MODULE` or `PREFETCH_FILE`.
    pub table: u8,
    pub index: u32,
}

pub(crate) const PREFETCH_MODULE: u8 = 0;
pub(crate) const PREFETCH_FILE: u8 = 1;

impl PrefetchRecord {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.table);
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&self.index.to_le_bytes());
    }

    /// `None` if `bytes` is short or padding is not zero.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut fields = FieldReader::new(bytes);
        let table = fields.u8()?;
        let padding_is_zero = fields.zeros::<3>()?;
        let index = fields.u32()?;
        padding_is_zero.then_some(PrefetchRecord { table, index })
    }
}

/// A blob record as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlobRecord {
    pub offset: u64,
    pub stored_len: u32,
    pub raw_len: u32,
    pub checksum: u64,
    pub codec: u8,
}

impl BlobRecord {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.stored_len.to_le_bytes());
        out.extend_from_slice(&self.raw_len.to_le_bytes());
        out.extend_from_slice(&self.checksum.to_le_bytes());
        out.push(self.codec);
        out.extend_from_slice(&[0; 7]);
    }

    /// `None` if `bytes` is short or padding is not zero.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut fields = FieldReader::new(bytes);
        let offset = fields.u64()?;
        let stored_len = fields.u32()?;
        let raw_len = fields.u32()?;
        let checksum = fields.u64()?;
        let codec = fields.u8()?;
        let padding_is_zero = fields.zeros::<7>()?;
        padding_is_zero.then_some(BlobRecord {
            offset,
            stored_len,
            raw_len,
            checksum,
            codec,
        })
    }
}

/// Checks a dotted Python module name. Deliberately looser than Python's
/// identifier rules: real modules such as
/// `_sysconfigdata__linux_x86_64-linux-gnu` are not identifiers, and the
/// format only relies on the dots being separators.
pub(crate) fn check_module_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("the name is empty");
    }
    for component in name.split('.') {
        if component.is_empty() {
            return Err("empty component (leading, trailing or doubled dot)");
        }
        if component.contains(['/', '\\', '\0']) {
            return Err("contains '/', '\\' or a NUL byte");
        }
        if component.chars().any(char::is_whitespace) {
            return Err("contains whitespace");
        }
    }
    Ok(())
}

/// Checks a relative virtual path: `/`-separated, not absolute, no empty,
/// `.` or `..` components, no NUL. The runtime joins these paths under
/// virtual roots, so anything that could escape or alias must be refused.
pub(crate) fn check_relative_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("the path is empty");
    }
    if path.starts_with('/') {
        return Err("the path is absolute");
    }
    if path.contains('\0') {
        return Err("contains a NUL byte");
    }
    for component in path.split('/') {
        match component {
            "" => return Err("empty component (doubled or trailing '/')"),
            "." => return Err("contains a '.' component"),
            ".." => return Err("contains a '..' component"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
        let mut out = [0; N];
        out.copy_from_slice(&bytes[at..at + N]);
        out
    }

    #[test]
    fn magic_numbers_name_their_cpython_version() {
        let magic = |n: u16| {
            let [a, b] = n.to_le_bytes();
            [a, b, b'\r', b'\n']
        };
        // The released versions' final numbers, and each range's first.
        assert_eq!(python_version_of_magic(magic(3495)), Some((3, 11)));
        assert_eq!(python_version_of_magic(magic(3531)), Some((3, 12)));
        assert_eq!(python_version_of_magic(magic(3550)), Some((3, 13)));
        assert_eq!(python_version_of_magic(magic(3571)), Some((3, 13)));
        assert_eq!(python_version_of_magic(magic(3627)), Some((3, 14)));
        assert_eq!(python_version_of_magic(magic(3439)), None);
        assert_eq!(python_version_of_magic([0xa7, 0x0d, 0, 0]), None);
    }

    #[test]
    fn header_fields_sit_at_the_documented_offsets() {
        let header = Header {
            format_version: 0x0102,
            header_len: 104,
            python_magic: [0xa7, 0x0d, 0x0d, 0x0a],
            dictionary: 0x0304_0506,
            main_mode: 2,
            main_name: StrRef {
                offset: 0x1111_1111,
                len: 0x2222_2222,
            },
            module_count: 0x3333_3333,
            file_count: 0x4444_4444,
            blob_count: 0x5555_5555,
            prefetch_count: 0x5a5a_5a5a,
            tables_offset: 0x6666_6666_6666_6666,
            tables_len: 0x7777_7777_7777_7777,
            data_offset: 0x8888_8888_8888_8888,
            data_len: 0x9999_9999_9999_9999,
            tables_checksum: 0xaaaa_aaaa_aaaa_aaaa,
            reasons: 0xbbbb_bbbb,
        };
        let bytes = header.encode();
        assert_eq!(field_at::<8>(&bytes, 0), MAGIC);
        assert_eq!(u16::from_le_bytes(field_at(&bytes, 8)), 0x0102);
        assert_eq!(u16::from_le_bytes(field_at(&bytes, 10)), 104);
        assert_eq!(field_at::<4>(&bytes, 12), [0xa7, 0x0d, 0x0d, 0x0a]);
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 16)), 0x0304_0506);
        assert_eq!(bytes[20], 2);
        assert_eq!(field_at::<3>(&bytes, 21), [0; 3]);
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 24)), 0x1111_1111);
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 28)), 0x2222_2222);
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 32)), 0x3333_3333);
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 36)), 0x4444_4444);
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 40)), 0x5555_5555);
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 44)), 0x5a5a_5a5a);
        assert_eq!(
            u64::from_le_bytes(field_at(&bytes, 48)),
            0x6666_6666_6666_6666
        );
        assert_eq!(
            u64::from_le_bytes(field_at(&bytes, 56)),
            0x7777_7777_7777_7777
        );
        assert_eq!(
            u64::from_le_bytes(field_at(&bytes, 64)),
            0x8888_8888_8888_8888
        );
        assert_eq!(
            u64::from_le_bytes(field_at(&bytes, 72)),
            0x9999_9999_9999_9999
        );
        assert_eq!(
            u64::from_le_bytes(field_at(&bytes, 80)),
            0xaaaa_aaaa_aaaa_aaaa
        );
        assert_eq!(u32::from_le_bytes(field_at(&bytes, 88)), 0xbbbb_bbbb);
        assert_eq!(field_at::<4>(&bytes, 92), [0; 4]);
        assert_eq!(
            u64::from_le_bytes(field_at(&bytes, 96)),
            xxhash_rust::xxh3::xxh3_64(&bytes[..96])
        );
        assert!(matches!(Header::decode(&bytes), Ok(decoded) if decoded == header));
        // The offsets single-field readers use, derived from the layout.
        assert_eq!(
            [
                header_at::FORMAT_VERSION,
                header_at::HEADER_LEN,
                header_at::MODULE_COUNT,
                header_at::FILE_COUNT,
                header_at::BLOB_COUNT,
                header_at::TABLES_OFFSET,
                header_at::TABLES_LEN,
                header_at::DATA_OFFSET,
                header_at::TABLES_CHECKSUM,
                header_at::CHECKSUM,
            ],
            [8, 10, 32, 36, 40, 48, 56, 64, 80, 96]
        );
        assert_eq!((HEADER_CHECKSUMMED_LEN, HEADER_LEN), (96, 104));
    }

    #[test]
    fn records_have_the_documented_sizes_and_offsets() {
        let mut out = Vec::new();
        let module = ModuleRecord {
            name: StrRef { offset: 1, len: 2 },
            path: StrRef { offset: 3, len: 4 },
            kind: 3,
            code: 5,
            source: NO_BLOB,
        };
        module.encode(&mut out);
        assert_eq!(out.len(), MODULE_RECORD_LEN);
        assert_eq!(out[16], 3);
        assert_eq!(u32::from_le_bytes(field_at(&out, 20)), 5);
        assert_eq!(u32::from_le_bytes(field_at(&out, 24)), u32::MAX);
        assert_eq!(ModuleRecord::decode(&out), Some(module));

        out.clear();
        let file = FileRecord {
            path: StrRef { offset: 1, len: 2 },
            aux: StrRef { offset: 3, len: 4 },
            kind: 1,
            blob: 9,
            digest: 0x0102_0304_0506_0708,
        };
        file.encode(&mut out);
        assert_eq!(out.len(), FILE_RECORD_LEN);
        assert_eq!(u32::from_le_bytes(field_at(&out, 8)), 3);
        assert_eq!(out[16], 1);
        assert_eq!(u32::from_le_bytes(field_at(&out, 20)), 9);
        assert_eq!(
            u64::from_le_bytes(field_at(&out, 24)),
            0x0102_0304_0506_0708
        );
        assert_eq!(FileRecord::decode(&out), Some(file));

        out.clear();
        let blob = BlobRecord {
            offset: 7,
            stored_len: 8,
            raw_len: 9,
            checksum: 10,
            codec: 1,
        };
        blob.encode(&mut out);
        assert_eq!(out.len(), BLOB_RECORD_LEN);
        assert_eq!(u32::from_le_bytes(field_at(&out, 8)), 8);
        assert_eq!(u32::from_le_bytes(field_at(&out, 12)), 9);
        assert_eq!(u64::from_le_bytes(field_at(&out, 16)), 10);
        assert_eq!(out[24], 1);
        assert_eq!(BlobRecord::decode(&out), Some(blob));

        // Non-zero padding is rejected, not ignored.
        out[31] = 1;
        assert_eq!(BlobRecord::decode(&out), None);
        assert_eq!(BlobRecord::decode(&out[..31]), None);
    }

    #[test]
    fn module_names_are_checked() {
        for good in [
            "json",
            "json.decoder",
            "__main__",
            "_sysconfigdata__linux_x86_64-linux-gnu",
            "pkg.ñame",
        ] {
            assert_eq!(check_module_name(good), Ok(()), "{good}");
        }
        for bad in ["", ".json", "json.", "a..b", "a/b", "a b", "a\0b"] {
            assert!(check_module_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn relative_paths_are_checked() {
        for good in [
            "json/decoder.py",
            "rich-13.7.1.dist-info/METADATA",
            "numpy.libs/libopenblas.so",
            "a..b/c",
            ".hidden",
        ] {
            assert_eq!(check_relative_path(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "a//b",
            "a/",
            "../x",
            "a/../b",
            "./a",
            "a/.",
            "a\0b",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for kind in [
            ModuleKind::Module,
            ModuleKind::Package,
            ModuleKind::NamespacePackage,
            ModuleKind::Extension,
        ] {
            assert_eq!(ModuleKind::from_u8(kind.to_u8()), Some(kind));
        }
        assert_eq!(ModuleKind::from_u8(4), None);
        for kind in [FileKind::Data, FileKind::SharedLibrary] {
            assert_eq!(FileKind::from_u8(kind.to_u8()), Some(kind));
        }
        assert_eq!(FileKind::from_u8(2), None);
        for codec in [
            Codec::Stored,
            Codec::Zstd,
            Codec::ZstdDictionary,
            Codec::Lz4,
        ] {
            assert_eq!(Codec::from_u8(codec.to_u8()), Some(codec));
        }
        assert_eq!(Codec::from_u8(4), None);
        for mode in [None, Some(MainMode::Script), Some(MainMode::Module)] {
            assert_eq!(MainMode::from_u8(MainMode::to_u8(mode)), Some(mode));
        }
        assert_eq!(MainMode::from_u8(3), None);
    }
}
