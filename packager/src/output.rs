//! Checks on `-o OUT` before anything is written. Freezing replaces what is
//! at OUT with a new file (see `atomic`), which must never destroy a device
//! node, a directory or one of the freeze's own inputs: `-o /dev/null` as
//! root replaced the device, and `-o` onto an `--add-data` file, the
//! `--python` interpreter or the app's own files replaced them silently.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// What a file that is not a regular file is (`a character device`), for
/// messages; `None` for a regular file.
pub fn not_a_regular_file(file_type: &fs::FileType) -> Option<&'static str> {
    Some(if file_type.is_file() {
        return None;
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_fifo() {
        "a named pipe (fifo)"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "a special file"
    })
}

/// Where the executable goes, and what is there now.
pub struct Output {
    path: PathBuf,
    /// Device and inode of the regular file at OUT (through symlinks).
    existing: Option<(u64, u64)>,
}

impl Output {
    /// Checks OUT: its directory exists, and what is there now, followed
    /// through symlinks, is a regular file or nothing.
    pub fn check(out: &Path) -> Result<Output> {
        // A dangling symlink counts as nothing: the rename replaces the link.
        let existing = fs::metadata(out).ok();
        if let Some(meta) = &existing {
            if meta.is_dir() {
                bail!(
                    "-o {} is a directory: give the path of the executable to write",
                    out.display()
                );
            }
            if let Some(what) = not_a_regular_file(&meta.file_type()) {
                bail!(
                    "-o {} is {what}, which freeze would replace with the executable: \
                     give the path of a regular file to write",
                    out.display()
                );
            }
        }
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            bail!(
                "cannot write {}: directory {} does not exist (create it first)",
                out.display(),
                dir.display()
            );
        }
        Ok(Output {
            path: out.to_path_buf(),
            existing: existing.map(|meta| (meta.dev(), meta.ino())),
        })
    }

    /// True if OUT is `input`, the same file by any path: through symlinks
    /// (a venv's `bin/python`) or as another hard link.
    pub fn is(&self, input: &Path) -> bool {
        let Some(existing) = self.existing else {
            return false;
        };
        fs::metadata(input).is_ok_and(|meta| (meta.dev(), meta.ino()) == existing)
    }

    /// Refuses OUT if it is `input`, which the freeze reads as `what` (`the
    /// --python interpreter`).
    pub fn refuse(&self, input: &Path, what: &str) -> Result<()> {
        if self.is(input) {
            let same = if input == self.path {
                String::new()
            } else {
                format!(" ({})", input.display())
            };
            bail!(
                "-o {} is {what}{same}, an input of this freeze: write the executable somewhere else",
                self.path.display()
            );
        }
        Ok(())
    }

    /// Refuses OUT if it is the `freeze` executable running now.
    pub fn refuse_self(&self) -> Result<()> {
        if self.is(Path::new("/proc/self/exe")) {
            bail!(
                "-o {} is the freeze executable itself: write the executable somewhere else",
                self.path.display()
            );
        }
        Ok(())
    }

    /// True if the file at OUT is an executable freeze wrote (an earlier
    /// build into the app directory, which is not the app's data).
    pub fn is_earlier_build(&self) -> bool {
        if self.existing.is_none() {
            return false;
        }
        let Ok(file) = fs::File::open(&self.path) else {
            return false;
        };
        let Ok(meta) = file.metadata() else {
            return false;
        };
        matches!(
            freeze_bundle::find_section_in_file(&file, meta.len(), freeze_bundle::SECTION_NAME),
            Ok(Some(_))
        )
    }

    /// OUT, canonical, if a file is there now.
    pub fn canonical(&self) -> Option<PathBuf> {
        self.existing.and_then(|_| self.path.canonicalize().ok())
    }
}
