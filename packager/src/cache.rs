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
use std::io::Write;
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

    fn get(&self, kind: &str, key: u128) -> Option<Vec<u8>> {
        let bytes = fs::read(self.path(kind, key)).ok()?;
        let payload = bytes.get(16..)?;
        let checksum = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        (bytes.get(..8)? == ENTRY_MAGIC && xxh3_64(payload) == checksum).then(|| payload.to_vec())
    }

    fn put(&self, kind: &str, key: u128, payload: &[u8]) {
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
        self.get("code", key)
    }

    pub fn store_compiled(&self, key: u128, reply: &[u8]) {
        self.put("code", key, reply);
    }
}

fn write_entry(path: &Path, payload: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(ENTRY_MAGIC)?;
    tmp.1.write_all(&xxh3_64(payload).to_le_bytes())?;
    tmp.1.write_all(payload)?;
    drop(tmp.1);
    fs::rename(&tmp.0, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp.0);
    })
}

/// A new file beside the entry, named so that concurrent writers differ.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(name);
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

impl CompressionCache for BuildCache {
    fn get(&self, key: u128) -> Option<StoredBlob> {
        let payload = BuildCache::get(self, "blob", key)?;
        let (head, bytes) = payload.split_at_checked(5)?;
        let codec = match head[0] {
            0 => Codec::Stored,
            1 => Codec::Zstd,
            _ => return None,
        };
        Some(StoredBlob {
            codec,
            raw_len: u32::from_le_bytes(head[1..5].try_into().ok()?),
            bytes: bytes.to_vec(),
        })
    }

    fn put(&self, key: u128, blob: &StoredBlob) {
        let codec = match blob.codec {
            Codec::Stored => 0u8,
            Codec::Zstd => 1u8,
        };
        let mut payload = Vec::with_capacity(5 + blob.bytes.len());
        payload.push(codec);
        payload.extend_from_slice(&blob.raw_len.to_le_bytes());
        payload.extend_from_slice(&blob.bytes);
        BuildCache::put(self, "blob", key, &payload);
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
