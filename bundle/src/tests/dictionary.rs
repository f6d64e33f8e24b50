//! Modules compressed with a dictionary trained on them
//! (`BundleWriter::train_dictionary`, codec `ZstdDictionary`).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{
    compressible, content_from_copy, unpack_to_file, unpack_with_write_at, Rng, PYTHON_MAGIC,
};
use crate::{
    compress, Blob, Bundle, BundleError, BundleWriter, Codec, CompressionCache, FileKind, MainMode,
    ModuleKind, StoredBlob, StoredBytes,
};

/// Python-like modules that share vocabulary but not whole lines: what a
/// dictionary learns from, and what each module compressed alone repeats.
fn modules(count: usize) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    const WORDS: [&str; 24] = [
        "def",
        "return",
        "self",
        "import",
        "from",
        "class",
        "if",
        "else",
        "for",
        "in",
        "None",
        "True",
        "raise",
        "ValueError",
        "isinstance",
        "len",
        "value",
        "result",
        "name",
        "items",
        "append",
        "__init__",
        "kwargs",
        "args",
    ];
    let mut rng = Rng::new(7);
    (0..count)
        .map(|i| {
            let mut source = format!("\"\"\"Module number {i}.\"\"\"\n");
            for line in 0..60 {
                source.push_str(&format!("def f{i}_{line}("));
                for _ in 0..8 {
                    source.push_str(WORDS[rng.below(WORDS.len())]);
                    source.push(' ');
                }
                source.push_str(&format!("):\n    return {}\n", rng.below(1000)));
            }
            let code: Vec<u8> = source.bytes().rev().map(|b| b ^ 0x5a).collect();
            (format!("pkg.m{i:03}"), code, source.into_bytes())
        })
        .collect()
}

fn write(
    count: usize,
    dictionary: Option<usize>,
    cache: Option<Box<dyn CompressionCache>>,
) -> Vec<u8> {
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    writer.set_main(MainMode::Module, "pkg");
    writer.set_compression_level(3);
    if let Some(max_len) = dictionary {
        writer.train_dictionary(max_len, 3);
    }
    if let Some(cache) = cache {
        writer.set_compression_cache(cache);
    }
    // Given stored (as the boot modules are): kept as it is.
    let boot = b"read in place".repeat(20);
    writer
        .add_module(
            "pkg",
            ModuleKind::Package,
            "pkg/__init__.py",
            Some(Blob::Stored(StoredBlob {
                codec: Codec::Stored,
                raw_len: boot.len() as u32,
                bytes: boot,
            })),
            None,
        )
        .expect("add pkg");
    for (name, code, source) in modules(count) {
        let path = format!("{}.py", name.replace('.', "/"));
        writer
            .add_module(
                &name,
                ModuleKind::Module,
                &path,
                Some(Blob::Raw(code)),
                Some(Blob::Raw(source)),
            )
            .expect("add module");
    }
    writer
        .add_module(
            "pkg._native",
            ModuleKind::Extension,
            "pkg/_native.so",
            Some(Blob::Raw(compressible("native code"))),
            None,
        )
        .expect("add extension");
    writer
        .add_file(
            "pkg/data.txt",
            FileKind::Data,
            "",
            Blob::Raw(compressible("data")),
        )
        .expect("add file");
    writer.finish().expect("finish")
}

#[test]
fn modules_compressed_with_a_trained_dictionary_read_back_and_take_less_room() {
    let plain = write(200, None, None);
    let bytes = write(200, Some(16 << 10), None);
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    let dictionary = bundle.dictionary().expect("a dictionary was trained");
    assert!(dictionary.raw_len > 0 && dictionary.raw_len <= 16 << 10);
    assert_ne!(dictionary.codec, Codec::ZstdDictionary);
    assert!(Bundle::parse(&plain).expect("parse").dictionary().is_none());
    assert!(
        bytes.len() * 10 < plain.len() * 9,
        "with the dictionary {} bytes, without {}",
        bytes.len(),
        plain.len()
    );

    for (name, code, source) in modules(200) {
        let module = bundle.find_module(&name).expect("find").expect("present");
        for (blob, expected) in [(module.code, code), (module.source, source)] {
            let blob = blob.expect("blob");
            assert_eq!(blob.codec, Codec::ZstdDictionary, "{name}");
            assert_eq!(
                bundle
                    .blob(&blob, StoredBytes::InBundle)
                    .expect("blob")
                    .as_ref(),
                expected
            );
            assert_eq!(
                unpack_with_write_at(&bundle, &blob).expect("write_at"),
                expected
            );
            assert_eq!(unpack_to_file(&bundle, &blob).expect("to_file"), expected);
            assert_eq!(content_from_copy(&bytes, &bundle, &blob), expected);
        }
    }
    // Only Python modules' code and source handed over raw use it.
    let boot = bundle.find_module("pkg").unwrap().unwrap().code.unwrap();
    assert_eq!(boot.codec, Codec::Stored);
    let native = bundle
        .find_module("pkg._native")
        .unwrap()
        .unwrap()
        .code
        .unwrap();
    assert_eq!(native.codec, Codec::Zstd);
    let data = bundle.find_file("pkg/data.txt").unwrap().unwrap().data;
    assert_eq!(data.codec, Codec::Zstd);

    // Training is deterministic: the same modules, the same bytes.
    assert_eq!(write(200, Some(16 << 10), None), bytes);
}

#[test]
fn too_little_content_gets_no_dictionary() {
    // 3 modules of ~5 KB each: under 16 times the smallest dictionary.
    let bytes = write(3, Some(16 << 10), None);
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    assert!(bundle.dictionary().is_none());
    for module in bundle.modules() {
        for blob in [
            module.as_ref().unwrap().code,
            module.as_ref().unwrap().source,
        ]
        .into_iter()
        .flatten()
        {
            assert_ne!(blob.codec, Codec::ZstdDictionary);
        }
    }
}

#[derive(Default)]
struct MemoryCache {
    entries: Mutex<HashMap<u128, StoredBlob>>,
    hits: Mutex<usize>,
}

impl CompressionCache for &'static MemoryCache {
    fn get(&self, key: u128) -> Option<StoredBlob> {
        let found = self.entries.lock().unwrap().get(&key).cloned();
        if found.is_some() {
            *self.hits.lock().unwrap() += 1;
        }
        found
    }
    fn put(&self, key: u128, blob: &StoredBlob) {
        self.entries.lock().unwrap().insert(key, blob.clone());
    }
}

#[test]
fn the_dictionary_and_what_it_compressed_come_from_the_cache_on_a_rebuild() {
    let cache: &'static MemoryCache = Box::leak(Box::default());
    let first = write(100, Some(8 << 10), Some(Box::new(cache)));
    assert_eq!(*cache.hits.lock().unwrap(), 0);
    let stored = cache.entries.lock().unwrap().len();
    let second = write(100, Some(8 << 10), Some(Box::new(cache)));
    assert_eq!(second, first);
    // Every entry is taken: the dictionary, its stored form, the modules,
    // the extension and the file.
    assert_eq!(*cache.hits.lock().unwrap(), stored);
    assert_eq!(cache.entries.lock().unwrap().len(), stored);
}

#[test]
fn blobs_compressed_with_another_bundles_dictionary_are_refused() {
    let stored = compress(&compressible("module"), 3).expect("compress");
    let foreign = StoredBlob {
        codec: Codec::ZstdDictionary,
        ..stored
    };
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    let error = writer
        .add_module(
            "m",
            ModuleKind::Module,
            "m.py",
            Some(Blob::Stored(foreign)),
            None,
        )
        .expect_err("refused");
    match error {
        BundleError::InvalidBlob { owner, reason } => {
            assert!(owner.contains("\"m\""), "{owner}");
            assert!(reason.contains("another bundle's dictionary"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// A bundle with a dictionary, for the malformed-input and fuzz tests.
pub(crate) fn dictionary_bundle() -> Vec<u8> {
    let bytes = write(20, Some(4 << 10), None);
    assert!(Bundle::parse(&bytes).unwrap().dictionary().is_some());
    bytes
}
