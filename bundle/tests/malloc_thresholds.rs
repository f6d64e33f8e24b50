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

use freeze_bundle::{Blob, Bundle, BundleWriter, Codec, FileKind, StoredBlob};
use zstd::zstd_safe::CParameter;

const CHILD_ENV: &str = "FREEZE_TEST_MALLOC_CHILD";
const FRAME_LEN: usize = 8 << 20;

fn content_byte(i: usize) -> u8 {
    ((i / 7) % 251) as u8 ^ ((i >> 14) as u8)
}

/// Whether glibc serves a 1 MiB `malloc` with a mapping of its own
/// (`mallinfo2`'s count of mapped chunks goes up). The block is never freed:
/// freeing it would itself raise the threshold to 1 MiB.
fn one_mib_is_mapped() -> bool {
    // SAFETY: mallinfo2 only reads allocator statistics; the block is
    // leaked, never accessed.
    unsafe {
        let before = libc::mallinfo2().hblks;
        // black_box: an allocation whose address is unused may be elided.
        assert!(!std::hint::black_box(libc::malloc(1 << 20)).is_null());
        libc::mallinfo2().hblks == before + 1
    }
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
    bundle
        .blob_write_at(&file.data, |offset, piece| {
            let wrong = piece
                .iter()
                .enumerate()
                .any(|(i, b)| *b != content_byte(offset as usize + i));
            assert!(!wrong, "wrong content near byte {offset}");
            Ok(())
        })
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
    bundle.blob_to_file(&file.data, &out).unwrap();
    assert_eq!(out.metadata().unwrap().len(), 2 * FRAME_LEN as u64);
    assert!(
        one_mib_is_mapped(),
        "after unpacking into a file, glibc serves 1 MiB from its heap"
    );
}

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        unpack_and_check(&path);
        return;
    }
    println!("test unpacking_a_large_blob_leaves_the_malloc_thresholds_alone ...");
    let path = std::env::temp_dir().join(format!("freeze-malloc-{}.bundle", std::process::id()));
    write_bundle(&path);
    let child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, &path)
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
