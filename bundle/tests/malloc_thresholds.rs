//! Unpacking a large blob must leave glibc's malloc as it found it.
//!
//! glibc serves allocations of 128 KiB or more with their own mapping, but
//! once a mapped chunk of N bytes is freed it raises that threshold to N
//! (and its trim threshold to 2N) for good. A zstd window freed that way
//! (8 MB for the level-19 frames of a shared library) would make every
//! later allocation below 8 MB come from heaps that are never given back:
//! the app's memory, not ours.
//!
//! The check reads process-wide allocator state that building the bundle
//! (large buffers freed) already disturbs, so the unpacking runs in a child
//! process of its own: this test binary again, with `CHILD_ENV` set. No
//! libtest harness (Cargo.toml: `harness = false`): the check must run on
//! the main thread, whose allocations come from the main arena.

use std::process::Command;

use freeze_bundle::{
    Blob, BlobSink, Bundle, BundleWriter, Codec, FileKind, ModuleKind, StoredBlob, StoredBytes,
};
use zstd::zstd_safe::CParameter;

const CHILD_ENV: &str = "FREEZE_TEST_MALLOC_CHILD";
const FRAME_LEN: usize = 8 << 20;

fn content_byte(i: usize) -> u8 {
    ((i / 7) % 251) as u8 ^ ((i >> 14) as u8)
}

/// Whether glibc serves a `malloc` of `len` bytes with a mapping of its own
/// (`mallinfo2`'s count of mapped chunks goes up). The block is never freed:
/// freeing it would itself raise the threshold to `len`.
fn is_mapped(len: usize) -> bool {
    // SAFETY: mallinfo2 only reads allocator statistics; the block is
    // leaked, never accessed.
    unsafe {
        let before = libc::mallinfo2().hblks;
        // black_box: an allocation whose address is unused may be elided.
        assert!(!std::hint::black_box(libc::malloc(len)).is_null());
        libc::mallinfo2().hblks == before + 1
    }
}

fn one_mib_is_mapped() -> bool {
    is_mapped(1 << 20)
}

/// Python-like modules, enough to train a dictionary of 256 KiB on (16
/// times that).
fn dictionary_modules() -> Vec<Vec<u8>> {
    const WORDS: [&str; 12] = [
        "def", "return", "self", "import", "class", "value", "None", "raise", "items", "append",
        "kwargs", "result",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..300)
        .map(|i| {
            let mut source = String::new();
            while source.len() < 16 << 10 {
                let word = WORDS[(next() % WORDS.len() as u64) as usize];
                source.push_str(&format!("{word}_{} = {}\n", next() % 5000, i));
            }
            source.into_bytes()
        })
        .collect()
}

/// A bundle of `dictionary_modules` compressed with a dictionary trained
/// on them.
fn write_dictionary_bundle(path: &std::path::Path) {
    let modules = dictionary_modules();
    let mut writer = BundleWriter::new(*b"\xa7\x0d\x0d\x0a");
    writer.set_compression_level(1);
    writer.train_dictionary(256 << 10, 1);
    for (i, source) in modules.iter().enumerate() {
        writer
            .add_module(
                &format!("m{i:03}"),
                ModuleKind::Module,
                &format!("m{i:03}.py"),
                Some(Blob::Raw(source.clone())),
                None,
            )
            .unwrap();
    }
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

/// In the child: read modules compressed with the dictionary, which is
/// unpacked and digested on the first; then ask malloc about sizes between
/// 128 KiB and the dictionary's.
fn read_with_dictionary_and_check(path: &str) {
    let bytes = std::fs::read(path).unwrap();
    let bundle = Bundle::parse(&bytes).unwrap();
    let dictionary = bundle.dictionary().expect("a dictionary was trained");
    assert!(
        dictionary.raw_len > 192 << 10,
        "a {} byte dictionary cannot show it",
        dictionary.raw_len
    );
    assert!(
        is_mapped(160 << 10),
        "the child starts with raised thresholds"
    );
    let modules = dictionary_modules();
    for index in [0, 150, 299] {
        let code = bundle.module(index).unwrap().code.unwrap();
        assert_eq!(code.codec, Codec::ZstdDictionary);
        assert!(
            bundle.blob(&code, StoredBytes::InBundle).unwrap() == &modules[index][..],
            "module {index}"
        );
    }
    assert!(
        is_mapped(160 << 10),
        "after reading with the dictionary, glibc serves 160 KiB from its heap: the unpacked dictionary was freed through malloc"
    );
}

/// Two 8 MiB frames with 8 MiB windows, as level 19 makes for a large
/// library (level 1 keeps the test fast), in a bundle file.
fn write_bundle(path: &std::path::Path) {
    let content: Vec<u8> = (0..2 * FRAME_LEN).map(content_byte).collect();
    let mut compressor = zstd::bulk::Compressor::new(1).unwrap();
    compressor.set_parameter(CParameter::WindowLog(23)).unwrap();
    let mut stored = Vec::new();
    for frame in content.chunks(FRAME_LEN) {
        stored.extend(compressor.compress(frame).unwrap());
    }
    let mut writer = BundleWriter::new(*b"\xa7\x0d\x0d\x0a");
    writer
        .add_file(
            "big.bin",
            FileKind::Data,
            "",
            Blob::Stored(StoredBlob {
                codec: Codec::Zstd,
                raw_len: content.len() as u32,
                bytes: stored,
            }),
        )
        .unwrap();
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

/// In the child: unpack without allocating anything ourselves, checking
/// every byte against the formula, then ask malloc.
fn unpack_and_check(path: &str) {
    let bytes = std::fs::read(path).unwrap();
    let bundle = Bundle::parse(&bytes).unwrap();
    let file = bundle.find_file("big.bin").unwrap().unwrap();
    assert!(
        one_mib_is_mapped(),
        "the child starts with raised thresholds"
    );
    let check = |offset: u64, piece: &[u8]| {
        let wrong = piece
            .iter()
            .enumerate()
            .any(|(i, b)| *b != content_byte(offset as usize + i));
        assert!(!wrong, "wrong content near byte {offset}");
        Ok(())
    };
    bundle
        .write_blob(&file.data, StoredBytes::InBundle, BlobSink::Pieces(&check))
        .unwrap();
    assert!(
        one_mib_is_mapped(),
        "after unpacking, glibc serves 1 MiB from its heap: a freed zstd window raised its thresholds"
    );
    // The same into a file (how native code reaches its memory file).
    let scratch = format!("{path}.out");
    let out = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&scratch)
        .unwrap();
    let _ = std::fs::remove_file(&scratch);
    bundle
        .write_blob(&file.data, StoredBytes::InBundle, BlobSink::File(&out))
        .unwrap();
    assert_eq!(out.metadata().unwrap().len(), 2 * FRAME_LEN as u64);
    assert!(
        one_mib_is_mapped(),
        "after unpacking into a file, glibc serves 1 MiB from its heap"
    );
}

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        match path.strip_prefix("dictionary:") {
            Some(path) => read_with_dictionary_and_check(path),
            None => unpack_and_check(&path),
        }
        return;
    }
    check_in_child(
        "unpacking_a_large_blob_leaves_the_malloc_thresholds_alone",
        "freeze-malloc",
        write_bundle,
        "",
    );
    check_in_child(
        "reading_with_a_dictionary_leaves_the_malloc_thresholds_alone",
        "freeze-malloc-dict",
        write_dictionary_bundle,
        "dictionary:",
    );
}

/// Writes a bundle with `write` and runs this binary again on it, as the
/// child that checks, `CHILD_ENV` telling it the bundle's path after
/// `mode`.
fn check_in_child(test: &str, tag: &str, write: fn(&std::path::Path), mode: &str) {
    println!("test {test} ...");
    let path = std::env::temp_dir().join(format!("{tag}-{}.bundle", std::process::id()));
    write(&path);
    let child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, format!("{mode}{}", path.display()))
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        child.status.success(),
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    println!("ok");
}
