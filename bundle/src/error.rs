//! Errors of the bundle reader, writer and ELF embedding.
//!
//! Messages are written to follow a prefix such as "bundle in /usr/bin/app: ",
//! so they start in lower case and never repeat the word "bundle" needlessly.

/// Everything that can go wrong reading or writing a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bytes do not start with the bundle magic.
    #[error("not a freeze bundle (wrong magic bytes)")]
    NotABundle,

    /// The bundle was written in a format this build cannot read.
    #[error("bundle format version {found}, this build reads {supported}")]
    UnsupportedVersion { found: u16, supported: u16 },

    /// A region extends past the end of the bytes.
    #[error("truncated: the {what} needs {needed} bytes but only {available} are present")]
    Truncated {
        what: &'static str,
        needed: u64,
        available: u64,
    },

    /// Stored bytes do not hash to their recorded checksum.
    #[error("checksum mismatch in the {what}, the data is damaged")]
    ChecksumMismatch {
        what: String,
        /// Where the checksummed bytes start, from the start of the bundle.
        offset: u64,
        len: u64,
    },

    /// A string or blob a record points at lies outside its region.
    #[error("{what} at {region} offset {offset} with length {len} lies outside the {region_len}-byte {region}")]
    OutOfRange {
        what: &'static str,
        region: &'static str,
        offset: u64,
        len: u64,
        region_len: u64,
    },

    /// The structure is inconsistent (unknown kinds, non-zero padding,
    /// unsorted records, regions out of place, ...).
    #[error("corrupt: {0}")]
    Corrupt(String),

    /// A problem found in one part of the bundle (a record, a blob, the
    /// dictionary): which part, and the problem, which
    /// [`BundleError::problem`] gives whatever the depth. The problem is
    /// not this error's `source()`: it is the same failure, located, and its
    /// message is already part of this one's (a chain would print it twice
    /// at every level). The problem's own cause, if it has one (zstd's
    /// error, say), is the problem's `source()`.
    #[error("{place}: {problem}")]
    Within {
        place: String,
        problem: Box<BundleError>,
    },

    /// A caller asked for a record past the end of its table.
    #[error("{what} index {index} is out of range (there are {count})")]
    IndexOutOfRange {
        what: &'static str,
        index: usize,
        count: usize,
    },

    /// A zstd blob could not be decompressed to its recorded length.
    #[error("cannot decompress blob at data offset {offset}: {reason}")]
    Decompress { offset: u64, reason: String },

    /// zstd refused a frame of a blob, or its content did not fit the
    /// frame's recorded size.
    #[error("cannot decompress blob at data offset {offset}: {source} (decoding from stored byte {from})")]
    Frame {
        offset: u64,
        /// Where the frames being decoded start, from the start of the blob.
        from: usize,
        #[source]
        source: std::io::Error,
    },

    /// The content of a blob could not be handed to its destination.
    #[error("cannot write the content of the blob at data offset {offset}: {source}")]
    Write {
        offset: u64,
        #[source]
        source: std::io::Error,
    },

    /// Compressing a blob failed while writing.
    #[error("cannot compress a blob: {0}")]
    Compress(#[source] std::io::Error),

    /// A module name is not a dotted Python name.
    #[error("invalid module name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },

    /// A path is not a clean relative path.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath { path: String, reason: &'static str },

    /// A module's kind does not fit the blobs given for it.
    #[error("invalid module {name:?}: {reason}")]
    InvalidModule { name: String, reason: &'static str },

    /// A pre-compressed blob handed to the writer is inconsistent.
    #[error("invalid stored blob for {owner}: {reason}")]
    InvalidBlob { owner: String, reason: String },

    /// Two modules with one name, or two files with one path.
    #[error("duplicate {what} {name:?}")]
    Duplicate { what: &'static str, name: String },

    /// An item named with `set_prefetch` cannot be prefetched.
    #[error("cannot prefetch {name:?}: {reason}")]
    InvalidPrefetch { name: String, reason: &'static str },

    /// The main module named with `set_main` is not among the modules.
    #[error("main module {0:?} is not in the bundle")]
    MissingMain(String),

    /// A size or count does not fit the format's integer fields.
    #[error("{what} is too large for the bundle format ({size} > {max})")]
    TooLarge { what: String, size: u64, max: u64 },
}

impl BundleError {
    /// The problem itself, without the parts of the bundle it was found in
    /// ([`BundleError::Within`]): what a caller matches on.
    pub fn problem(&self) -> &BundleError {
        match self {
            BundleError::Within { problem, .. } => problem.problem(),
            other => other,
        }
    }
}

/// Everything that can go wrong locating or embedding a bundle in an ELF file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ElfError {
    /// The bytes do not start with the ELF magic.
    #[error("not an ELF executable")]
    NotElf,

    /// A valid ELF file of a kind this crate does not handle (32-bit, big-endian, ...).
    #[error("unsupported ELF file: {0}")]
    Unsupported(String),

    /// The ELF header or section header table is inconsistent.
    #[error("malformed ELF file: {0}")]
    Malformed(String),

    /// The stub already has a `.freeze` section.
    #[error("the executable already contains a .freeze section")]
    AlreadyEmbedded,

    /// The result would not fit the ELF header's fields.
    #[error("the executable would be too large: {0}")]
    TooLarge(String),

    /// Reading the file failed (see [`crate::find_section_in_file`]).
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
}
