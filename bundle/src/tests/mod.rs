//! Tests across reader, writer and ELF embedding, with shared fixtures.

mod dictionary;
mod elf;
mod fuzz_corpus;
mod malformed;
mod round_trip;

use crate::{
    compress, Blob, BlobSink, BundleWriter, FileKind, MainMode, ModuleKind, PrefetchItem,
    StoredBytes,
};

pub(crate) const PYTHON_MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

/// Deterministic pseudo-random bytes (xorshift64), for incompressible
/// content and for mutations.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

pub(crate) fn compressible(label: &str) -> Vec<u8> {
    format!("content of {label}; ").repeat(40).into_bytes()
}

/// One module of the sample bundle: name, kind, path, code, source.
pub(crate) type SampleModule = (
    &'static str,
    ModuleKind,
    &'static str,
    Option<Blob>,
    Option<Blob>,
);
/// One file of the sample bundle: path, kind, aux, data.
pub(crate) type SampleFile = (&'static str, FileKind, &'static str, Blob);

/// Modules chosen to exercise sorting around the `.` separator: `app-tool`
/// sorts before `app.`, `app0` and `app_extra` after every `app.*`.
pub(crate) fn sample_modules() -> Vec<SampleModule> {
    let raw = |label: &str| Some(Blob::Raw(compressible(label)));
    let precompressed = compress(&compressible("engine code"), 3).expect("compress");
    vec![
        (
            "__main__",
            ModuleKind::Module,
            "__main__.py",
            raw("main code"),
            raw("main source"),
        ),
        (
            "app",
            ModuleKind::Package,
            "app/__init__.py",
            raw("app code"),
            None,
        ),
        (
            "app-tool",
            ModuleKind::Module,
            "app-tool.py",
            None,
            raw("tool source"),
        ),
        (
            "app.cli",
            ModuleKind::Module,
            "app/cli.py",
            Some(Blob::Fast(compressible("cli code, run at start"))),
            raw("cli source"),
        ),
        (
            "app.core",
            ModuleKind::Package,
            "app/core/__init__.py",
            raw("core code"),
            None,
        ),
        (
            "app.core.engine",
            ModuleKind::Module,
            "app/core/engine.py",
            Some(Blob::Stored(precompressed)),
            None,
        ),
        (
            "app.plugins",
            ModuleKind::NamespacePackage,
            "app/plugins",
            None,
            None,
        ),
        (
            "app._speedups",
            ModuleKind::Extension,
            "app/_speedups.cpython-311-x86_64-linux-gnu.so",
            Some(Blob::Raw(Rng::new(7).bytes(3000))),
            None,
        ),
        (
            "app0",
            ModuleKind::Module,
            "app0.py",
            raw("app0 code"),
            None,
        ),
        (
            "app_extra",
            ModuleKind::Module,
            "app_extra.py",
            raw("extra code"),
            None,
        ),
        (
            "json",
            ModuleKind::Package,
            "json/__init__.py",
            raw("json code"),
            None,
        ),
        // Same content as `app`'s code: stored once.
        (
            "json.decoder",
            ModuleKind::Module,
            "json/decoder.py",
            raw("app code"),
            None,
        ),
    ]
}

pub(crate) fn sample_files() -> Vec<SampleFile> {
    vec![
        (
            "app/data/config.json",
            FileKind::Data,
            "",
            Blob::Raw(compressible("config")),
        ),
        (
            "app/data/copy.json",
            FileKind::Data,
            "",
            Blob::Raw(compressible("config")),
        ),
        (
            "app/data/sub/deep.txt",
            FileKind::Data,
            "",
            Blob::Raw(b"deep".to_vec()),
        ),
        ("app/data.txt", FileKind::Data, "", Blob::Raw(Vec::new())),
        (
            "numpy.libs/libopenblas.so",
            FileKind::SharedLibrary,
            "libopenblas64_p-r0.so",
            Blob::Raw(Rng::new(11).bytes(2048)),
        ),
        (
            "rich-13.7.1.dist-info/METADATA",
            FileKind::Data,
            "",
            Blob::Raw(compressible("metadata")),
        ),
    ]
}

pub(crate) fn write_bundle(modules: Vec<SampleModule>, files: Vec<SampleFile>) -> Vec<u8> {
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    writer.set_main(MainMode::Script, "__main__");
    writer.set_compression_level(3);
    // Every extension module and shared library is prefetched, libraries
    // first, each kind in reverse order: the table keeps the order it is
    // given.
    let mut prefetch = Vec::new();
    for (name, kind, path, code, source) in modules {
        if kind == ModuleKind::Extension {
            prefetch.insert(0, PrefetchItem::Extension(name.to_owned()));
        }
        writer
            .add_module(name, kind, path, code, source)
            .expect("add_module");
    }
    for (path, kind, aux, data) in files {
        if kind == FileKind::SharedLibrary {
            prefetch.insert(0, PrefetchItem::Library(path.to_owned()));
        }
        writer.add_file(path, kind, aux, data).expect("add_file");
    }
    writer.set_prefetch(prefetch);
    writer.finish().expect("finish")
}

pub(crate) fn sample_bundle() -> Vec<u8> {
    write_bundle(sample_modules(), sample_files())
}

/// A bundle small enough to mutate at every byte position.
pub(crate) fn small_bundle() -> Vec<u8> {
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    writer.set_main(MainMode::Module, "pkg");
    writer.set_compression_level(1);
    writer
        .add_module(
            "pkg",
            ModuleKind::Package,
            "pkg/__init__.py",
            Some(Blob::Raw(compressible("pkg"))),
            Some(Blob::Raw(b"x = 1\n".to_vec())),
        )
        .expect("add pkg");
    writer
        .add_module(
            "pkg.mod",
            ModuleKind::Module,
            "pkg/mod.py",
            Some(Blob::Raw(b"code".to_vec())),
            None,
        )
        .expect("add pkg.mod");
    writer
        .add_file(
            "pkg/data.bin",
            FileKind::Data,
            "",
            Blob::Raw(compressible("data")),
        )
        .expect("add file");
    writer.finish().expect("finish")
}

/// A blob's content as `write_blob` writes it into a fresh file.
pub(crate) fn unpack_to_file(
    bundle: &crate::Bundle<'_>,
    blob: &crate::BlobRef,
) -> Result<Vec<u8>, crate::BundleError> {
    let content = into_scratch_file(|file| {
        bundle.write_blob(blob, StoredBytes::InBundle, BlobSink::File(file))
    })?;
    // The same from stored bytes read elsewhere (the runtime's `pread`).
    let stored = bundle.stored_span(blob).expect("in range").bytes.to_vec();
    let from_copy = into_scratch_file(|file| {
        bundle.write_blob(blob, StoredBytes::Given(&stored), BlobSink::File(file))
    })
    .expect("unpacks from a copy of its stored bytes as from the bundle");
    assert!(from_copy == content, "the same content from a copy");
    Ok(content)
}

/// What `unpack` writes into a new, unlinked scratch file.
fn into_scratch_file(
    unpack: impl FnOnce(&std::fs::File) -> Result<(), crate::BundleError>,
) -> Result<Vec<u8>, crate::BundleError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "freeze-bundle-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .expect("create a scratch file");
    let _ = std::fs::remove_file(&path);
    unpack(&file)?;
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut content).expect("read back");
    Ok(content)
}

/// A blob's content from a copy of its stored bytes, taken at
/// the span's offset in the bundle's `bytes` (as the runtime reads them with
/// `pread`), checked against the blob read in the bundle.
pub(crate) fn content_from_copy(
    bytes: &[u8],
    bundle: &crate::Bundle<'_>,
    blob: &crate::BlobRef,
) -> Vec<u8> {
    let span = bundle.stored_span(blob).expect("in range");
    let start = span.offset as usize;
    let stored = bytes[start..start + blob.stored_len as usize].to_vec();
    assert_eq!(
        stored, span.bytes,
        "the span's offset is where its bytes lie"
    );
    let content = bundle
        .blob(blob, StoredBytes::Given(&stored))
        .expect("from a copy")
        .into_owned();
    assert_eq!(
        content,
        bundle
            .blob(blob, StoredBytes::InBundle)
            .expect("blob")
            .as_ref()
    );
    content
}

/// A blob's content as `write_blob` delivers it in pieces, checking that the pieces
/// cover the content exactly once.
pub(crate) fn unpack_with_write_at(
    bundle: &crate::Bundle<'_>,
    blob: &crate::BlobRef,
) -> Result<Vec<u8>, crate::BundleError> {
    let raw_len = blob.raw_len as usize;
    let pieces = std::sync::Mutex::new((vec![0u8; raw_len], vec![false; raw_len]));
    let write_at = |at: u64, piece: &[u8]| {
        let mut guard = pieces.lock().expect("lock");
        let (content, seen) = &mut *guard;
        let at = at as usize;
        assert!(at + piece.len() <= raw_len, "piece past the end");
        assert!(
            !seen[at..at + piece.len()].contains(&true),
            "overlapping pieces"
        );
        content[at..at + piece.len()].copy_from_slice(piece);
        seen[at..at + piece.len()].fill(true);
        Ok(())
    };
    bundle.write_blob(blob, StoredBytes::InBundle, BlobSink::Pieces(&write_at))?;
    let (content, seen) = pieces.into_inner().expect("lock");
    assert!(!seen.contains(&false), "pieces leave gaps");
    Ok(content)
}
