//! Writing outputs so that a failure never leaves a partial file behind.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result};

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
    let tmp = dir.join(format!(
        ".{}.freeze-tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> Result<()> {
        let mut file = fs::File::create(&tmp)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
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
    fn failure_leaves_nothing() {
        let out = Path::new("/nonexistent-dir-for-freeze-test/app");
        assert!(write_executable(out, b"x").is_err());
        assert!(!out.exists());
    }
}
