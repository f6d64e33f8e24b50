//! The one bundle writer.
//!
//! Output depends only on the set of modules, files, main and settings, never
//! on insertion order or thread scheduling: records are kept sorted, blobs
//! are laid out and strings interned in record order, and every blob is
//! compressed independently.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use xxhash_rust::xxh3::xxh3_64;

use crate::error::BundleError;
use crate::format::{
    check_module_name, check_relative_path, Blob, BlobRecord, Codec, FileKind, FileRecord, Header,
    MainMode, ModuleKind, ModuleRecord, PrefetchItem, PrefetchRecord, StoredBlob, StrRef,
    BLOB_RECORD_LEN, FILE_RECORD_LEN, FORMAT_VERSION, HEADER_LEN, MODULE_RECORD_LEN, NO_BLOB,
    PREFETCH_FILE, PREFETCH_MODULE, PREFETCH_RECORD_LEN,
};

/// Most raw bytes per zstd frame. Contents of at least [`SPLIT_RAW_LEN`]
/// are stored as two or more equal frames so the runtime can decompress them
/// on two cores; frames this large keep most long-range matches
/// (bench/RESULTS.md, "Tuning constants").
pub const FRAME_RAW_LEN: usize = 16 << 20;

/// Contents this large or larger are split into at least two frames, so that
/// two cores unpack them: a few percent of a library's stored size buys
/// about 1 ms per MB of it at every start (bench/RESULTS.md, "Tuning
/// constants").
pub const SPLIT_RAW_LEN: usize = 1 << 20;

/// Raw bytes per frame for a content of `len` bytes.
pub fn frame_len(len: usize) -> usize {
    let frames = if len >= SPLIT_RAW_LEN {
        len.div_ceil(FRAME_RAW_LEN).max(2)
    } else {
        1
    };
    len.div_ceil(frames).max(1)
}

/// zstd level used for `Blob::Raw` unless `set_compression_level` says otherwise.
pub const DEFAULT_COMPRESSION_LEVEL: i32 = 19;

struct PendingModule {
    kind: ModuleKind,
    path: String,
    code: Option<Blob>,
    source: Option<Blob>,
}

struct PendingFile {
    kind: FileKind,
    aux: String,
    data: Blob,
    /// xxh3-64 of the content.
    digest: u64,
}

/// Collects modules and files, then writes a bundle with `finish`.
pub struct BundleWriter {
    python_magic: [u8; 4],
    main: Option<(MainMode, String)>,
    compression_level: i32,
    dictionary: Option<DictionarySettings>,
    cache: Option<Box<dyn CompressionCache>>,
    modules: BTreeMap<String, PendingModule>,
    files: BTreeMap<String, PendingFile>,
    prefetch: Vec<PrefetchItem>,
    reasons: Option<Blob>,
}

fn too_large(what: impl Into<String>, size: usize, max: u64) -> BundleError {
    BundleError::TooLarge {
        what: what.into(),
        size: size as u64,
        max,
    }
}

fn fit_u32(value: usize, what: impl FnOnce() -> String) -> Result<u32, BundleError> {
    u32::try_from(value).map_err(|_| too_large(what(), value, u64::from(u32::MAX)))
}

/// Checks a blob handed to the writer, so that `finish` never produces a
/// bundle that its own reader would refuse.
/// xxh3-64 of a checked blob's content: stored blobs (files from the
/// build cache) are decompressed to learn it.
fn content_digest(blob: &Blob, owner: impl Fn() -> String) -> Result<u64, BundleError> {
    use xxhash_rust::xxh3::xxh3_64;
    match blob {
        Blob::Raw(raw) | Blob::Fast(raw) => Ok(xxh3_64(raw)),
        Blob::Stored(stored) if stored.codec == Codec::Stored => Ok(xxh3_64(&stored.bytes)),
        Blob::Stored(stored) => stored_content(stored)
            .map(|content| xxh3_64(&content))
            .map_err(|error| BundleError::InvalidBlob {
                owner: owner(),
                reason: error.to_string(),
            }),
    }
}

/// The content of a compressed stored blob that needs no dictionary.
fn stored_content(stored: &StoredBlob) -> Result<Vec<u8>, BundleError> {
    match stored.codec {
        Codec::Stored => Ok(stored.bytes.clone()),
        Codec::Zstd => crate::reader::decompress(&stored.bytes, stored.raw_len, 0),
        Codec::Lz4 => crate::reader::decompress_lz4(&stored.bytes, stored.raw_len, 0),
        Codec::ZstdDictionary => Err(BundleError::Corrupt(
            "compressed with a dictionary the writer does not have".into(),
        )),
    }
}

fn check_blob(blob: &Blob, owner: impl Fn() -> String) -> Result<(), BundleError> {
    match blob {
        Blob::Raw(raw) | Blob::Fast(raw) => {
            fit_u32(raw.len(), || format!("{} ({} bytes)", owner(), raw.len()))?;
        }
        Blob::Stored(stored) => {
            fit_u32(stored.bytes.len(), || format!("stored {}", owner()))?;
            match stored.codec {
                Codec::Stored if stored.bytes.len() != stored.raw_len as usize => {
                    return Err(BundleError::InvalidBlob {
                        owner: owner(),
                        reason: format!(
                            "uncompressed blob of {} bytes claims a raw length of {}",
                            stored.bytes.len(),
                            stored.raw_len
                        ),
                    });
                }
                Codec::Stored => {}
                Codec::ZstdDictionary => {
                    return Err(BundleError::InvalidBlob {
                        owner: owner(),
                        reason: "it is compressed with another bundle's dictionary; \
                                 hand over its content instead"
                            .into(),
                    });
                }
                // Frames that declare their sizes are checked by their
                // headers (blobs come from a verified bundle or the build
                // cache, both checksummed); others are decompressed.
                Codec::Zstd if crate::reader::frames_add_up(&stored.bytes, stored.raw_len) => {}
                Codec::Zstd | Codec::Lz4 => {
                    stored_content(stored).map_err(|error| BundleError::InvalidBlob {
                        owner: owner(),
                        reason: error.to_string(),
                    })?;
                }
            }
        }
    }
    Ok(())
}

impl BundleWriter {
    /// `python_magic` is the bytecode magic of the interpreter that compiled
    /// the code blobs; the runtime refuses bundles for another interpreter.
    pub fn new(python_magic: [u8; 4]) -> Self {
        BundleWriter {
            python_magic,
            main: None,
            compression_level: DEFAULT_COMPRESSION_LEVEL,
            dictionary: None,
            cache: None,
            modules: BTreeMap::new(),
            files: BTreeMap::new(),
            prefetch: Vec::new(),
            reasons: None,
        }
    }

    /// Remembers compressed blobs across runs: `finish` takes what the
    /// cache has (checked against the raw content) and offers it the rest.
    pub fn set_compression_cache(&mut self, cache: Box<dyn CompressionCache>) {
        self.cache = Some(cache);
    }

    /// Which module the runtime runs, and how. Checked by `finish`: the
    /// module must be among those added.
    pub fn set_main(&mut self, mode: MainMode, module: &str) {
        self.main = Some((mode, module.to_owned()));
    }

    /// The native code the runtime unpacks ahead of its import, in that
    /// order. Checked by `finish`: each item must be an extension module or
    /// a shared library among those added, and appear once.
    pub fn set_prefetch(&mut self, items: Vec<PrefetchItem>) {
        self.prefetch = items;
    }

    /// Why each entry is in the bundle, as the packager describes it
    /// (opaque here): `freeze --why` reads it back from a built executable.
    pub fn set_reasons(&mut self, reasons: Vec<u8>) {
        self.reasons = Some(Blob::Raw(reasons));
    }

    /// zstd level for `Blob::Raw` content; `Blob::Stored` is copied as is.
    pub fn set_compression_level(&mut self, level: i32) {
        self.compression_level = level;
    }

    /// Trains a zstd dictionary of at most `max_len` bytes on the code and
    /// source of the modules handed over raw, and compresses those with it
    /// at `level` (codec `ZstdDictionary`): modules share most of their
    /// marshal framing and names, which each one compressed alone repeats.
    /// Content too small to train on (under 16 times 4 KiB) gets no
    /// dictionary; smaller content than 16 times `max_len`, a smaller one.
    pub fn train_dictionary(&mut self, max_len: usize, level: i32) {
        self.dictionary = Some(DictionarySettings { max_len, level });
    }

    /// Adds a module. Fails on a malformed name or path, a duplicate name,
    /// blobs that do not fit `kind` (see `docs/bundle-format.md`), or a
    /// stored blob that does not decompress to its `raw_len`.
    pub fn add_module(
        &mut self,
        name: &str,
        kind: ModuleKind,
        path: &str,
        code: Option<Blob>,
        source: Option<Blob>,
    ) -> Result<(), BundleError> {
        check_module_name(name).map_err(|reason| BundleError::InvalidName {
            name: name.to_owned(),
            reason,
        })?;
        check_relative_path(path).map_err(|reason| BundleError::InvalidPath {
            path: path.to_owned(),
            reason,
        })?;
        kind.check_blobs(code.is_some(), source.is_some())
            .map_err(|reason| BundleError::InvalidModule {
                name: name.to_owned(),
                reason,
            })?;
        if let Some(code) = &code {
            check_blob(code, || format!("code of module {name:?}"))?;
        }
        if let Some(source) = &source {
            check_blob(source, || format!("source of module {name:?}"))?;
        }
        if self.modules.contains_key(name) {
            return Err(BundleError::Duplicate {
                what: "module",
                name: name.to_owned(),
            });
        }
        self.modules.insert(
            name.to_owned(),
            PendingModule {
                kind,
                path: path.to_owned(),
                code,
                source,
            },
        );
        Ok(())
    }

    /// Adds a file. `aux` is the SONAME of a shared library, empty otherwise.
    pub fn add_file(
        &mut self,
        path: &str,
        kind: FileKind,
        aux: &str,
        data: Blob,
    ) -> Result<(), BundleError> {
        check_relative_path(path).map_err(|reason| BundleError::InvalidPath {
            path: path.to_owned(),
            reason,
        })?;
        check_blob(&data, || format!("file {path:?}"))?;
        if self.files.contains_key(path) {
            return Err(BundleError::Duplicate {
                what: "file",
                name: path.to_owned(),
            });
        }
        self.files.insert(
            path.to_owned(),
            PendingFile {
                kind,
                aux: aux.to_owned(),
                digest: content_digest(&data, || format!("file {path:?}"))?,
                data,
            },
        );
        Ok(())
    }

    /// Compresses, deduplicates and lays out everything, and returns the
    /// bundle bytes.
    pub fn finish(self) -> Result<Vec<u8>, BundleError> {
        if let Some((_, name)) = &self.main {
            check_module_name(name).map_err(|reason| BundleError::InvalidName {
                name: name.clone(),
                reason,
            })?;
            if !self.modules.contains_key(name) {
                return Err(BundleError::MissingMain(name.clone()));
            }
        }
        let prefetch_table = self.prefetch_table()?;
        let module_count = fit_u32(self.modules.len(), || "the module count".into())?;
        let file_count = fit_u32(self.files.len(), || "the file count".into())?;

        // Record order is blob order: the dictionary, then code then source
        // of each module by name, then each file by path, then the reasons.
        // Each slot says
        // whether its content may use the dictionary (Python modules' code
        // and source).
        let mut slots: Vec<(&Blob, bool)> = Vec::new();
        for module in self.modules.values() {
            let python = module.kind.is_python();
            slots.extend(module.code.iter().map(|blob| (blob, python)));
            slots.extend(module.source.iter().map(|blob| (blob, python)));
        }
        slots.extend(self.files.values().map(|file| (&file.data, false)));
        slots.extend(self.reasons.iter().map(|blob| (blob, false)));

        let cache = self.cache.as_deref();
        let dictionary = match &self.dictionary {
            Some(settings) => {
                // All code, then all source: zstd tests candidate
                // dictionaries on the last quarter of the samples, and
                // learns better with each kind together (hello: 1.07 MB
                // stored this way, 1.23 MB with each module's code and
                // source side by side).
                let python = || {
                    self.modules
                        .values()
                        .filter(|module| module.kind.is_python())
                };
                let samples = distinct_contents(
                    python()
                        .filter_map(|module| raw_content(&module.code))
                        .chain(python().filter_map(|module| raw_content(&module.source))),
                );
                TrainedDictionary::train(&samples, settings, cache)?
            }
            None => None,
        };
        let dictionary_blob = match &dictionary {
            Some(dictionary) => {
                let content = [dictionary.content.as_slice()];
                let stored = compress_jobs(&content, Compression::plain(dictionary.level), cache)?
                    .pop()
                    .ok_or_else(|| {
                        BundleError::Compress(std::io::Error::other(
                            "the dictionary's compression result is missing",
                        ))
                    })?;
                Some(Blob::Stored(stored))
            }
            None => None,
        };

        // Each distinct raw content is compressed once per queue, however
        // often it occurs: zstd, zstd with the dictionary, and LZ4.
        let mut job_of_content: HashMap<(Content<'_>, Queue), usize> = HashMap::new();
        let mut queues: [Vec<&[u8]>; 3] = Default::default();
        let all_slots = dictionary_blob
            .iter()
            .map(|blob| (blob, false))
            .chain(slots);
        let (slots, slot_jobs): (Vec<&Blob>, Vec<SlotJob>) = all_slots
            .map(|(slot, python)| {
                let (raw, queue) = match slot {
                    Blob::Raw(raw) if python && dictionary.is_some() => (raw, Queue::Dictionary),
                    Blob::Raw(raw) => (raw, Queue::Plain),
                    Blob::Fast(raw) => (raw, Queue::Fast),
                    Blob::Stored(_) => return (slot, None),
                };
                let jobs = &mut queues[queue as usize];
                let job = *job_of_content
                    .entry((Content::new(raw), queue))
                    .or_insert_with(|| {
                        jobs.push(raw.as_slice());
                        jobs.len() - 1
                    });
                (slot, Some((job, queue)))
            })
            .unzip();
        let [plain_jobs, dictionary_jobs, fast_jobs] = &queues;
        let mut compressed: [Vec<StoredBlob>; 3] = Default::default();
        compressed[Queue::Plain as usize] = compress_jobs(
            plain_jobs,
            Compression::plain(self.compression_level),
            cache,
        )?;
        if let Some(dictionary) = &dictionary {
            let compression = Compression::Zstd {
                level: dictionary.level,
                dictionary: Some(dictionary),
            };
            compressed[Queue::Dictionary as usize] =
                compress_jobs(dictionary_jobs, compression, cache)?;
        }
        compressed[Queue::Fast as usize] = compress_jobs(fast_jobs, Compression::Lz4, cache)?;
        let stored_slots = slots
            .iter()
            .zip(&slot_jobs)
            .map(|(slot, job)| {
                let stored = match (slot, job) {
                    (Blob::Stored(stored), _) => Some(stored),
                    (_, Some((job, queue))) => compressed[*queue as usize].get(*job),
                    (_, None) => None,
                };
                stored
                    .map(|stored| (stored.codec, stored.raw_len, stored.bytes.as_slice()))
                    .ok_or_else(|| {
                        BundleError::Compress(std::io::Error::other(
                            "a compression result is missing",
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let layout = BlobLayout::deduplicate(&stored_slots)?;
        let mut slot_blobs = layout.slot_blob.iter().copied();
        let dictionary_index = match dictionary_blob {
            Some(_) => slot_blobs
                .next()
                .ok_or_else(|| BundleError::Corrupt("writer lost track of a blob".into()))?,
            None => NO_BLOB,
        };
        let mut next_blob_index = || {
            slot_blobs
                .next()
                .ok_or_else(|| BundleError::Corrupt("writer lost track of a blob".into()))
        };

        let mut strings = StringTable::default();
        let mut module_table = Vec::with_capacity(self.modules.len() * MODULE_RECORD_LEN);
        for (name, module) in &self.modules {
            let code = match module.code {
                Some(_) => next_blob_index()?,
                None => NO_BLOB,
            };
            let source = match module.source {
                Some(_) => next_blob_index()?,
                None => NO_BLOB,
            };
            ModuleRecord {
                name: strings.intern(name)?,
                path: strings.intern(&module.path)?,
                kind: module.kind.to_u8(),
                code,
                source,
            }
            .encode(&mut module_table);
        }
        let mut file_table = Vec::with_capacity(self.files.len() * FILE_RECORD_LEN);
        for (path, file) in &self.files {
            FileRecord {
                path: strings.intern(path)?,
                aux: strings.intern(&file.aux)?,
                kind: file.kind.to_u8(),
                blob: next_blob_index()?,
                digest: file.digest,
            }
            .encode(&mut file_table);
        }
        let reasons = match self.reasons {
            Some(_) => next_blob_index()?,
            None => NO_BLOB,
        };
        let main_name = match &self.main {
            Some((_, name)) => strings.intern(name)?,
            None => StrRef::default(),
        };
        let mut blob_table = Vec::with_capacity(layout.records.len() * BLOB_RECORD_LEN);
        for record in &layout.records {
            record.encode(&mut blob_table);
        }

        let mut tables = module_table;
        tables.extend_from_slice(&file_table);
        tables.extend_from_slice(&blob_table);
        tables.extend_from_slice(&prefetch_table);
        tables.extend_from_slice(&strings.bytes);
        let tables_len = tables.len() as u64;
        let data_offset = HEADER_LEN as u64 + tables_len;
        let header = Header {
            format_version: FORMAT_VERSION,
            header_len: HEADER_LEN as u16,
            python_magic: self.python_magic,
            dictionary: dictionary_index,
            reasons,
            main_mode: MainMode::to_u8(self.main.as_ref().map(|(mode, _)| *mode)),
            main_name,
            module_count,
            file_count,
            blob_count: fit_u32(layout.records.len(), || "the blob count".into())?,
            prefetch_count: fit_u32(self.prefetch.len(), || "the prefetch count".into())?,
            tables_offset: HEADER_LEN as u64,
            tables_len,
            data_offset,
            data_len: layout.data_len,
            tables_checksum: xxh3_64(&tables),
        };

        let total_len = data_offset
            .checked_add(layout.data_len)
            .and_then(|total| usize::try_from(total).ok())
            .ok_or_else(|| too_large("the bundle", usize::MAX, usize::MAX as u64))?;
        let mut out = Vec::with_capacity(total_len);
        out.extend_from_slice(&header.encode());
        out.extend_from_slice(&tables);
        for bytes in &layout.bytes {
            out.extend_from_slice(bytes);
        }
        Ok(out)
    }

    /// The prefetch table: the record of each item named with
    /// `set_prefetch`, by its index in the (sorted) module or file table.
    fn prefetch_table(&self) -> Result<Vec<u8>, BundleError> {
        let mut table = Vec::with_capacity(self.prefetch.len() * PREFETCH_RECORD_LEN);
        let mut seen = std::collections::HashSet::new();
        for item in &self.prefetch {
            let (name, table_kind, index, not_found) = match item {
                PrefetchItem::Extension(name) => (
                    name,
                    PREFETCH_MODULE,
                    record_index(&self.modules, name, |m| m.kind == ModuleKind::Extension),
                    "it is not an extension module of the bundle",
                ),
                PrefetchItem::Library(path) => (
                    path,
                    PREFETCH_FILE,
                    record_index(&self.files, path, |f| f.kind == FileKind::SharedLibrary),
                    "it is not a shared library of the bundle",
                ),
            };
            let invalid = |reason| BundleError::InvalidPrefetch {
                name: name.clone(),
                reason,
            };
            let index = index.ok_or_else(|| invalid(not_found))?;
            if !seen.insert(item) {
                return Err(invalid("it is named twice"));
            }
            PrefetchRecord {
                table: table_kind,
                index: fit_u32(index, || "the record count".into())?,
            }
            .encode(&mut table);
        }
        Ok(table)
    }
}

/// The index of `key`'s record in the table written from `records` (sorted
/// by key), if it is there and `fits`.
fn record_index<V>(
    records: &BTreeMap<String, V>,
    key: &str,
    fits: impl Fn(&V) -> bool,
) -> Option<usize> {
    records.get(key).filter(|record| fits(record))?;
    records.keys().position(|k| k == key)
}

/// The blob table and data region: one record per distinct stored blob, in
/// order of first use.
struct BlobLayout<'v> {
    records: Vec<BlobRecord>,
    bytes: Vec<&'v [u8]>,
    data_len: u64,
    /// Blob index of each slot.
    slot_blob: Vec<u32>,
}

impl<'v> BlobLayout<'v> {
    fn deduplicate(slots: &[(Codec, u32, &'v [u8])]) -> Result<Self, BundleError> {
        let mut index_of: HashMap<(Codec, u32, Content<'_>), u32> = HashMap::new();
        let mut layout = BlobLayout {
            records: Vec::new(),
            bytes: Vec::new(),
            data_len: 0,
            slot_blob: Vec::with_capacity(slots.len()),
        };
        for &(codec, raw_len, bytes) in slots {
            let content = Content::new(bytes);
            let index = match index_of.get(&(codec, raw_len, content)) {
                Some(&index) => index,
                None => {
                    let index = fit_u32(layout.records.len(), || "the blob count".into())?;
                    // u32::MAX itself means "no blob" in module records.
                    if index == NO_BLOB {
                        return Err(too_large(
                            "the blob count",
                            layout.records.len(),
                            u64::from(NO_BLOB) - 1,
                        ));
                    }
                    layout.records.push(BlobRecord {
                        offset: layout.data_len,
                        stored_len: fit_u32(bytes.len(), || "a stored blob".into())?,
                        raw_len,
                        checksum: content.hash,
                        codec: codec.to_u8(),
                    });
                    layout.bytes.push(bytes);
                    layout.data_len += bytes.len() as u64;
                    index_of.insert((codec, raw_len, content), index);
                    index
                }
            };
            layout.slot_blob.push(index);
        }
        Ok(layout)
    }
}

/// Strings interned in first-use order; the empty string is (0, 0) and
/// takes no bytes.
#[derive(Default)]
struct StringTable<'s> {
    bytes: Vec<u8>,
    interned: HashMap<&'s str, StrRef>,
}

impl<'s> StringTable<'s> {
    fn intern(&mut self, string: &'s str) -> Result<StrRef, BundleError> {
        if string.is_empty() {
            return Ok(StrRef::default());
        }
        if let Some(&known) = self.interned.get(string) {
            return Ok(known);
        }
        let interned = StrRef {
            offset: fit_u32(self.bytes.len(), || "the string table".into())?,
            len: fit_u32(string.len(), || {
                let start: String = string.chars().take(40).collect();
                format!("the string starting {start:?}")
            })?,
        };
        self.bytes.extend_from_slice(string.as_bytes());
        self.interned.insert(string, interned);
        Ok(interned)
    }
}

/// The compression job of a slot given raw content: its index in its
/// queue, and the queue.
type SlotJob = Option<(usize, Queue)>;

/// The queues raw content is compressed in, by how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Queue {
    /// `Blob::Raw`: zstd at the writer's level.
    Plain = 0,
    /// `Blob::Raw` Python code and source when there is a dictionary.
    Dictionary = 1,
    /// `Blob::Fast`: LZ4.
    Fast = 2,
}

/// How raw content is compressed.
#[derive(Clone, Copy)]
enum Compression<'d> {
    /// zstd at `level`, with the dictionary for Python modules' code and
    /// source, if any.
    Zstd {
        level: i32,
        dictionary: Option<&'d TrainedDictionary>,
    },
    /// One LZ4 block, at LZ4's high-compression level.
    Lz4,
}

impl Compression<'_> {
    /// zstd without a dictionary.
    fn plain(level: i32) -> Self {
        Compression::Zstd {
            level,
            dictionary: None,
        }
    }

    /// The codec of what this compression makes smaller.
    fn codec(&self) -> Codec {
        match self {
            Compression::Zstd {
                dictionary: Some(_),
                ..
            } => Codec::ZstdDictionary,
            Compression::Zstd {
                dictionary: None, ..
            } => Codec::Zstd,
            Compression::Lz4 => Codec::Lz4,
        }
    }
}

/// What compresses one thread's jobs.
enum Encoder<'d> {
    Zstd(zstd::bulk::Compressor<'d>),
    Lz4,
}

impl<'d> Encoder<'d> {
    fn new(compression: Compression<'d>) -> Result<Self, BundleError> {
        Ok(match compression {
            Compression::Zstd { level, dictionary } => {
                Encoder::Zstd(new_compressor(level, dictionary)?)
            }
            Compression::Lz4 => Encoder::Lz4,
        })
    }

    /// `raw` compressed, or kept as it is when that is not smaller.
    fn encode(&mut self, codec: Codec, raw: &[u8]) -> Result<StoredBlob, BundleError> {
        match self {
            Encoder::Zstd(compressor) => compress_with(compressor, codec, raw),
            Encoder::Lz4 => {
                let raw_len = fit_u32(raw.len(), || format!("a blob of {} bytes", raw.len()))?;
                let compressed = crate::reader::compress_lz4(raw).map_err(BundleError::Compress)?;
                Ok(smaller_of(codec, raw_len, compressed, raw))
            }
        }
    }
}

/// The compressed form if it is smaller than `raw`, else `raw` stored.
fn smaller_of(codec: Codec, raw_len: u32, mut compressed: Vec<u8>, raw: &[u8]) -> StoredBlob {
    if compressed.len() < raw.len() {
        compressed.shrink_to_fit();
        StoredBlob {
            codec,
            raw_len,
            bytes: compressed,
        }
    } else {
        StoredBlob {
            codec: Codec::Stored,
            raw_len,
            bytes: raw.to_vec(),
        }
    }
}

fn new_compressor(
    level: i32,
    dictionary: Option<&TrainedDictionary>,
) -> Result<zstd::bulk::Compressor<'_>, BundleError> {
    use zstd::zstd_safe::CParameter;
    let mut compressor = match dictionary {
        Some(dictionary) => zstd::bulk::Compressor::with_prepared_dictionary(&dictionary.prepared)
            .map_err(BundleError::Compress)?,
        None => zstd::bulk::Compressor::new(level).map_err(BundleError::Compress)?,
    };
    // xxh3 already guards every blob; the frame's content size lets
    // decoders size their output from the frame itself.
    for parameter in [
        CParameter::ChecksumFlag(false),
        CParameter::ContentSizeFlag(true),
        CParameter::DictIdFlag(false),
    ] {
        compressor
            .set_parameter(parameter)
            .map_err(BundleError::Compress)?;
    }
    Ok(compressor)
}

fn compress_with(
    compressor: &mut zstd::bulk::Compressor<'_>,
    codec: Codec,
    raw: &[u8],
) -> Result<StoredBlob, BundleError> {
    let raw_len = fit_u32(raw.len(), || format!("a blob of {} bytes", raw.len()))?;
    // Large contents (shared libraries) become a run of independent frames,
    // so the runtime can decompress them on several cores at once.
    let compressed = compress_frames_with(compressor, raw, frame_len(raw.len()))?;
    Ok(smaller_of(codec, raw_len, compressed, raw))
}

/// `raw` as independent zstd frames of `frame_len` raw bytes each (the last
/// may be shorter), compressed with `compressor`.
fn compress_frames_with(
    compressor: &mut zstd::bulk::Compressor<'_>,
    raw: &[u8],
    frame_len: usize,
) -> Result<Vec<u8>, BundleError> {
    let mut compressed = Vec::new();
    for chunk in raw.chunks(frame_len.max(1)) {
        compressed.extend_from_slice(&compressor.compress(chunk).map_err(BundleError::Compress)?);
    }
    Ok(compressed)
}

/// `raw` as independent zstd frames of `frame_len` raw bytes each (the last
/// may be shorter) at `level`, each recording its content size and, with
/// `content_checksums`, a checksum of its content: what
/// [`crate::unpack_frames_to_file`] unpacks (the compressed runtime of
/// `--compress-runtime` executables, which has no xxh3 of its own). Unlike
/// [`compress`], never kept uncompressed.
pub fn compress_frames(
    raw: &[u8],
    frame_len: usize,
    level: i32,
    content_checksums: bool,
) -> Result<Vec<u8>, BundleError> {
    let mut compressor = new_compressor(level, None)?;
    compressor
        .set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(content_checksums))
        .map_err(BundleError::Compress)?;
    compress_frames_with(&mut compressor, raw, frame_len)
}

/// Compresses `raw` with zstd at `level`, or keeps it uncompressed when that
/// is not smaller. Produces exactly what `BundleWriter` stores for a
/// `Blob::Raw` at the same level, so callers can cache the result and hand it
/// back as `Blob::Stored`.
pub fn compress(raw: &[u8], level: i32) -> Result<StoredBlob, BundleError> {
    compress_with(&mut new_compressor(level, None)?, Codec::Zstd, raw)
}

/// What [`BundleWriter::train_dictionary`] asked for.
#[derive(Clone, Copy)]
struct DictionarySettings {
    max_len: usize,
    level: i32,
}

/// A dictionary trained on a bundle's modules, ready to compress with.
struct TrainedDictionary {
    content: Vec<u8>,
    prepared: zstd::dict::EncoderDictionary<'static>,
    level: i32,
    /// Names the content in cache keys of blobs compressed with it.
    hash: u128,
}

/// Smallest dictionary worth training; content under 16 times this gets none.
const MIN_DICTIONARY_LEN: usize = 4 << 10;

impl TrainedDictionary {
    /// Trains on `samples` (distinct contents, in bundle order), or takes the
    /// dictionary `cache` keeps for exactly these samples. `None` when the
    /// samples are too few or too small for zstd to train on.
    fn train(
        samples: &[&[u8]],
        settings: &DictionarySettings,
        cache: Option<&dyn CompressionCache>,
    ) -> Result<Option<Self>, BundleError> {
        let total: usize = samples.iter().map(|sample| sample.len()).sum();
        // zstd's advice: about a hundredth of the samples; a sixteenth
        // still pays on a hello's 5 MB of modules (256 KiB: -440 KB).
        let max_len = settings.max_len.min(total / 16);
        if max_len < MIN_DICTIONARY_LEN {
            return Ok(None);
        }
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(b"zstd dictionary v1");
        hasher.update(&(max_len as u64).to_le_bytes());
        for sample in samples {
            hasher.update(&(sample.len() as u64).to_le_bytes());
            hasher.update(sample);
        }
        let key = hasher.digest128();
        let cached = cache
            .and_then(|cache| cache.get(key))
            .filter(|stored| stored.codec == Codec::Stored && stored.raw_len as usize <= max_len)
            .map(|stored| stored.bytes);
        let content = match cached {
            Some(content) => content,
            None => {
                let sizes: Vec<usize> = samples.iter().map(|sample| sample.len()).collect();
                let continuous = samples.concat();
                // zstd refuses samples it cannot learn from (too few, too
                // uniform): the bundle then simply has no dictionary.
                let Ok(content) = zstd::dict::from_continuous(&continuous, &sizes, max_len) else {
                    return Ok(None);
                };
                if let Some(cache) = cache {
                    let raw_len = fit_u32(content.len(), || "the dictionary".into())?;
                    cache.put(
                        key,
                        &StoredBlob {
                            codec: Codec::Stored,
                            raw_len,
                            bytes: content.clone(),
                        },
                    );
                }
                content
            }
        };
        Ok(Some(TrainedDictionary {
            prepared: zstd::dict::EncoderDictionary::copy(&content, settings.level),
            hash: xxhash_rust::xxh3::xxh3_128(&content),
            content,
            level: settings.level,
        }))
    }
}

/// The content of a blob handed over raw.
fn raw_content(blob: &Option<Blob>) -> Option<&[u8]> {
    match blob {
        Some(Blob::Raw(raw)) => Some(raw),
        _ => None,
    }
}

/// Each distinct content once, in first-seen order.
fn distinct_contents<'b>(contents: impl Iterator<Item = &'b [u8]>) -> Vec<&'b [u8]> {
    let mut seen = std::collections::HashSet::new();
    contents
        .filter(|content| seen.insert(Content::new(content)))
        .collect()
}

/// A byte string hashed once with xxh3 (its blob checksum): hash maps of
/// contents that run to tens of MB then neither rehash nor SipHash them;
/// equality still compares the bytes.
#[derive(Clone, Copy)]
struct Content<'b> {
    hash: u64,
    bytes: &'b [u8],
}

impl<'b> Content<'b> {
    fn new(bytes: &'b [u8]) -> Self {
        Content {
            hash: xxh3_64(bytes),
            bytes,
        }
    }
}

impl PartialEq for Content<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.bytes == other.bytes
    }
}

impl Eq for Content<'_> {}

impl std::hash::Hash for Content<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Where compressed blobs are kept between runs (the packager keeps them in
/// the user's cache directory). Keys come from [`compression_key`].
pub trait CompressionCache: Sync {
    fn get(&self, key: u128) -> Option<StoredBlob>;
    fn put(&self, key: u128, blob: &StoredBlob);
}

/// Names the stored form of `raw` at `level`: the content, the level and
/// how contents are split into frames all decide the stored bytes.
pub fn compression_key(raw: &[u8], level: i32) -> u128 {
    key_of(raw, Compression::plain(level))
}

fn key_of(raw: &[u8], compression: Compression<'_>) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let (level, dictionary) = match compression {
        Compression::Zstd { level, dictionary } => (level, dictionary),
        Compression::Lz4 => {
            hasher.update(b"lz4 block v1");
            hasher.update(&crate::reader::LZ4_HC_LEVEL.to_le_bytes());
            hasher.update(raw);
            return hasher.digest128();
        }
    };
    hasher.update(b"zstd frames v1");
    if let Some(dictionary) = dictionary {
        hasher.update(b"with dictionary");
        hasher.update(&dictionary.hash.to_le_bytes());
    }
    hasher.update(&level.to_le_bytes());
    hasher.update(&(FRAME_RAW_LEN as u64).to_le_bytes());
    hasher.update(&(SPLIT_RAW_LEN as u64).to_le_bytes());
    hasher.update(raw);
    hasher.digest128()
}

/// Compresses `jobs`, with what `cache` has taken from it, if given.
fn compress_jobs(
    jobs: &[&[u8]],
    compression: Compression<'_>,
    cache: Option<&dyn CompressionCache>,
) -> Result<Vec<StoredBlob>, BundleError> {
    match cache {
        Some(cache) => compress_with_cache(jobs, compression, cache),
        None => compress_in_parallel(jobs, compression),
    }
}

/// Like `compress_in_parallel`, but takes what `cache` has and stores what
/// it compresses.
fn compress_with_cache(
    jobs: &[&[u8]],
    compression: Compression<'_>,
    cache: &dyn CompressionCache,
) -> Result<Vec<StoredBlob>, BundleError> {
    let keys: Vec<u128> = jobs.iter().map(|raw| key_of(raw, compression)).collect();
    let mut results: Vec<Option<StoredBlob>> = jobs
        .iter()
        .zip(&keys)
        .map(|(raw, &key)| {
            cache
                .get(key)
                .filter(|stored| stored_fits(stored, raw, compression.codec()))
        })
        .collect();
    let missing: Vec<usize> = (0..jobs.len()).filter(|&i| results[i].is_none()).collect();
    let missing_jobs: Vec<&[u8]> = missing.iter().map(|&i| jobs[i]).collect();
    for (i, stored) in missing
        .into_iter()
        .zip(compress_in_parallel(&missing_jobs, compression)?)
    {
        cache.put(keys[i], &stored);
        results[i] = Some(stored);
    }
    Ok(results.into_iter().flatten().collect())
}

/// A cached blob is taken if it has the raw content's length and (for zstd)
/// frames that declare exactly that length; the entry's own checksum (see
/// the packager's cache) guards its bytes.
fn stored_fits(stored: &StoredBlob, raw: &[u8], compressed_codec: Codec) -> bool {
    stored.raw_len as usize == raw.len()
        && match stored.codec {
            Codec::Stored => stored.bytes == raw,
            // Cheap to check whole.
            Codec::Lz4 => {
                compressed_codec == Codec::Lz4 && stored_content(stored).is_ok_and(|c| c == raw)
            }
            codec => {
                codec == compressed_codec
                    && crate::reader::frames_add_up(&stored.bytes, stored.raw_len)
            }
        }
}

/// Compresses every job on all available cores; the result is in job order
/// and independent of scheduling.
fn compress_in_parallel(
    jobs: &[&[u8]],
    compression: Compression<'_>,
) -> Result<Vec<StoredBlob>, BundleError> {
    let codec = compression.codec();
    // Largest first, so a big shared library does not start last and leave
    // one core busy while the others idle.
    let mut order: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .map(|(job, raw)| (raw.len(), job))
        .collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let next = AtomicUsize::new(0);

    let worker = || {
        let mut done: Vec<(usize, Result<StoredBlob, BundleError>)> = Vec::new();
        let mut encoder = match Encoder::new(compression) {
            Ok(encoder) => encoder,
            Err(error) => {
                done.push((usize::MAX, Err(error)));
                return done;
            }
        };
        while let Some(&(_, job)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let Some(raw) = jobs.get(job) else { break };
            let result = encoder.encode(codec, raw);
            let failed = result.is_err();
            done.push((job, result));
            if failed {
                break;
            }
        }
        done
    };

    let threads = thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(jobs.len());
    let batches = thread::scope(|scope| {
        // A helper that cannot be spawned is no failure: the calling thread
        // works through the queue too.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                thread::Builder::new()
                    .name("freeze-compress".into())
                    .spawn_scoped(scope, worker)
                    .ok()
            })
            .collect();
        let mut batches = vec![worker()];
        for helper in helpers {
            if let Ok(batch) = helper.join() {
                batches.push(batch);
            }
        }
        batches
    });

    let mut results: Vec<Option<StoredBlob>> = vec![None; jobs.len()];
    for (job, result) in batches.into_iter().flatten() {
        let stored = result?;
        if let Some(slot) = results.get_mut(job) {
            *slot = Some(stored);
        }
    }
    results
        .into_iter()
        .map(|result| {
            result.ok_or_else(|| {
                BundleError::Compress(std::io::Error::other("a compression worker stopped early"))
            })
        })
        .collect()
}
