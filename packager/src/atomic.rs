//! Writing outputs so that a failure never leaves a partial file behind.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// How many fresh names to try before giving up: with 64 random bits a
/// collision is already a sign that something is planting names.
const TEMP_NAME_ATTEMPTS: usize = 16;

/// Writes `data` to `path` as an executable (see [`write_file`]).
pub fn write_executable(path: &Path, data: &[u8]) -> Result<()> {
    write_file(path, &[data], 0o755)
}

/// Writes the concatenation of `parts` to `path` with permissions `mode`,
/// through a temporary file in the same directory and a rename, so readers
/// see either the old file or the complete new one.
pub fn write_file(path: &Path, parts: &[&[u8]], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let (mut file, tmp) = create_temp(dir, name, random_u64)?;
    let result = (|| -> Result<()> {
        for part in parts {
            file.write_all(part)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
        }
        file.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the permissions of {}", tmp.display()))?;
        // No fsync: the rename alone makes the swap atomic for readers, and
        // durability across a power cut is not worth ~0.3 s per freeze of a
        // 37 MB app (compilers and linkers make the same choice; a lost
        // output is rebuilt). ext4 also flushes a file renamed over another.
        fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The name of a temporary file for the output `name`, with `suffix`.
fn temp_name(name: &OsStr, suffix: u64) -> OsString {
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".freeze-tmp-{suffix:016x}"));
    tmp
}

/// A new file in `dir` that nobody else can have prepared: the output
/// directory may be shared (`/tmp`), where another user can plant a symlink
/// at any name we could predict (a name from our pid made root's freeze
/// overwrite the file it pointed to). The name is random, and the file is
/// created exclusively, never through a symlink; a name that exists is
/// passed over for another.
fn create_temp(
    dir: &Path,
    name: &OsStr,
    mut suffix: impl FnMut() -> u64,
) -> Result<(fs::File, PathBuf)> {
    for _ in 0..TEMP_NAME_ATTEMPTS {
        let tmp = dir.join(temp_name(name, suffix()));
        let created = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp);
        match created {
            Ok(file) => return Ok((file, tmp)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create a file in {}", dir.display()))
            }
        }
    }
    bail!(
        "cannot create a temporary file in {}: {TEMP_NAME_ATTEMPTS} random names were all taken; \
         look for files named .{}.freeze-tmp-* there",
        dir.display(),
        name.to_string_lossy()
    )
}

/// 64 bits from the kernel's random pool.
fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer,
    // which is valid and writable for that long.
    let got = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if got != bytes.len() as isize {
        // Only a kernel without getrandom (before 3.17) gets here; the name
        // then merely becomes guessable, and O_EXCL still protects it.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return nanos ^ u64::from(std::process::id()).rotate_left(32);
    }
    u64::from_ne_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_with_exec_mode_and_no_leftovers() {
        let dir = std::env::temp_dir().join(format!("freeze-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("app");
        write_executable(&out, b"hello").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"hello");
        assert_eq!(
            fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o755
        );
        let entries: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temp file left behind");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temp_names_are_random_and_hidden() {
        let a = temp_name(OsStr::new("app"), random_u64());
        let b = temp_name(OsStr::new("app"), random_u64());
        assert_ne!(a, b);
        let a = a.to_str().unwrap();
        assert!(a.starts_with(".app.freeze-tmp-") && a.len() == 32, "{a}");
    }

    #[test]
    fn planted_symlinks_at_temp_names_are_never_followed() {
        let dir = std::env::temp_dir().join(format!("freeze-atomic-plant-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, b"precious").unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o600)).unwrap();
        // Every name the generator offers first is a planted symlink, as a
        // squatter who could predict them would leave.
        let planted: Vec<u64> = (1..=5).collect();
        for &suffix in &planted {
            std::os::unix::fs::symlink(&victim, dir.join(temp_name(OsStr::new("app"), suffix)))
                .unwrap();
        }
        let mut offered = planted.clone().into_iter().chain([42]);
        let (mut file, tmp) =
            create_temp(&dir, OsStr::new("app"), || offered.next().unwrap()).unwrap();
        assert_eq!(tmp, dir.join(temp_name(OsStr::new("app"), 42)));
        file.write_all(b"executable").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(
            fs::metadata(&victim).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // With every name taken it gives up with a message, not a loop.
        let err = create_temp(&dir, OsStr::new("app"), || 1).unwrap_err();
        assert!(format!("{err:#}").contains(".app.freeze-tmp-*"), "{err:#}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failure_leaves_nothing() {
        let out = Path::new("/nonexistent-dir-for-freeze-test/app");
        assert!(write_executable(out, b"x").is_err());
        assert!(!out.exists());
    }
}
