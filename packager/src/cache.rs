//! The build cache: compiled modules and compressed blobs from earlier
//! freezes, kept in the user's cache directory so that freezing an app again
//! only redoes what changed.
//!
//! Entries are content-addressed: a compiled module by its source, virtual
//! path, optimisation level, the interpreter's bytecode magic and the
//! compiler script; a compressed blob by its raw content and compression
//! settings (`freeze_bundle::compression_key`). Nothing is ever looked up by
//! file name or timestamp, so a stale entry cannot be served. Each entry file
//! carries a checksum of its payload; a damaged or foreign entry is a miss.
//!
//! Layout: `<root>/build-v1/<kind>/<2 hex digits>/<32 hex digits>`, where
//! root is `$FREEZE_CACHE_DIR`, else `$XDG_CACHE_HOME/freeze`, else
//! `~/.cache/freeze`. Writes go through a temp file and a rename, so
//! concurrent freezes never see half an entry. Failing to write the cache
//! only costs speed; it is never an error.

use std::fs;
use std::path::{Path, PathBuf};

use freeze_bundle::{Codec, CompressionCache, StoredBlob};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

const ENTRY_MAGIC: &[u8; 8] = b"FRZCACH1";

/// The part of the compiler that decides what a compiled entry holds: a
/// change to it invalidates every compiled entry.
const COMPILER_SCRIPT: &str = include_str!("../python/_freeze_tools.py");

#[derive(Clone, Debug)]
pub struct BuildCache {
    dir: PathBuf,
}

impl BuildCache {
    /// The cache in the user's cache directory, or None when there is no
    /// home to put it in.
    pub fn in_user_cache_dir() -> Option<BuildCache> {
        let root = std::env::var_os("FREEZE_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("freeze")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/freeze")))?;
        Some(BuildCache {
            dir: root.join("build-v1"),
        })
    }

    #[cfg(test)]
    fn at(dir: &Path) -> BuildCache {
        BuildCache {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, kind: &str, key: u128) -> PathBuf {
        let hex = format!("{key:032x}");
        self.dir.join(kind).join(&hex[..2]).join(hex)
    }

    fn load(&self, kind: &str, key: u128) -> Option<Vec<u8>> {
        let mut bytes = fs::read(self.path(kind, key)).ok()?;
        let payload = bytes.get(16..)?;
        let checksum = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        if bytes.get(..8)? != ENTRY_MAGIC || xxh3_64(payload) != checksum {
            return None;
        }
        // In place: entries run to megabytes (native libraries), and a copy
        // costs a fresh page fault per 4 KB.
        bytes.drain(..16);
        Some(bytes)
    }

    fn store(&self, kind: &str, key: u128, payload: &[u8]) {
        let path = self.path(kind, key);
        let _ = write_entry(&path, payload);
    }

    /// Key of a compiled module.
    pub fn compile_key(source: &[u8], filename: &str, optimize: i64, magic: &[u8]) -> u128 {
        let mut hasher = Xxh3::new();
        for part in [
            COMPILER_SCRIPT.as_bytes(),
            magic,
            &optimize.to_le_bytes(),
            filename.as_bytes(),
        ] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.update(source);
        hasher.digest128()
    }

    /// The compiler's reply for a module compiled before.
    pub fn compiled(&self, key: u128) -> Option<Vec<u8>> {
        self.load("code", key)
    }

    pub fn store_compiled(&self, key: u128, reply: &[u8]) {
        self.store("code", key, reply);
    }
}

fn write_entry(path: &Path, payload: &[u8]) -> anyhow::Result<()> {
    fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let checksum = xxh3_64(payload).to_le_bytes();
    crate::atomic::write_file(path, &[ENTRY_MAGIC, &checksum, payload], 0o644)
}

impl CompressionCache for BuildCache {
    fn get(&self, key: u128) -> Option<StoredBlob> {
        let mut bytes = self.load("blob", key)?;
        let codec = Codec::from_u8(*bytes.first()?)?;
        let raw_len = u32::from_le_bytes(bytes.get(1..5)?.try_into().ok()?);
        bytes.drain(..5);
        Some(StoredBlob {
            codec,
            raw_len,
            bytes,
        })
    }

    fn put(&self, key: u128, blob: &StoredBlob) {
        let mut payload = Vec::with_capacity(5 + blob.bytes.len());
        payload.push(blob.codec.to_u8());
        payload.extend_from_slice(&blob.raw_len.to_le_bytes());
        payload.extend_from_slice(&blob.bytes);
        self.store("blob", key, &payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let dir = std::env::temp_dir().join(format!("freeze-cache-test-{}", std::process::id()));
        let cache = BuildCache::at(&dir);
        let key = BuildCache::compile_key(b"x = 1\n", "m.py", 0, b"\xa7\x0d\x0d\x0a");
        assert_ne!(
            key,
            BuildCache::compile_key(b"x = 1\n", "m.py", 1, b"\xa7\x0d\x0d\x0a")
        );
        assert_ne!(
            key,
            BuildCache::compile_key(b"x = 1\n", "n.py", 0, b"\xa7\x0d\x0d\x0a")
        );
        assert_eq!(cache.compiled(key), None);
        cache.store_compiled(key, b"reply");
        assert_eq!(cache.compiled(key).as_deref(), Some(&b"reply"[..]));

        let path = cache.path("code", key);
        let mut bytes = fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.compiled(key), None, "a damaged entry is a miss");

        let blob = StoredBlob {
            codec: Codec::Zstd,
            raw_len: 77,
            bytes: vec![1, 2, 3],
        };
        CompressionCache::put(&cache, 5, &blob);
        let back = CompressionCache::get(&cache, 5).unwrap();
        assert_eq!(
            (back.codec, back.raw_len, back.bytes),
            (Codec::Zstd, 77, vec![1, 2, 3])
        );
        assert!(CompressionCache::get(&cache, 6).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
