//! Package data on disk, for code that `open()`s files next to `__file__`.
//!
//! Python code is never written anywhere. Data files (not modules, not
//! extensions, not dist-info metadata, which importlib.metadata reads from
//! the bundle) are written once per distinct set of data into a private,
//! content-addressed directory under the user's cache dir:
//! `$XDG_CACHE_HOME/freeze/data-<hash>` (else `~/.cache/freeze/...`, else
//! `/tmp/freeze-<uid>/...`), mode 0700. Extraction goes to a temporary
//! directory renamed into place, so concurrent first starts are safe and a
//! half-written directory is never used; later starts check each file's size
//! and reuse it. Bundles without such data write nothing.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use freeze_bundle::{Bundle, FileKind};

const COMPLETE_MARKER: &str = ".freeze-complete";

/// True for bundled files that must exist on disk to be `open()`ed.
fn needs_disk(path: &str) -> bool {
    let top = path.split('/').next().unwrap_or("");
    !(top.ends_with(".dist-info") || top.ends_with(".egg-info"))
}

/// The directory holding the bundle's data files, extracting them on first
/// use; None when the bundle has no data files that need the disk.
pub(crate) fn data_root(bundle: &Bundle<'_>) -> Result<Option<PathBuf>, String> {
    let mut files = Vec::new();
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for file in bundle.files() {
        let file = file.map_err(|e| e.to_string())?;
        if file.kind != FileKind::Data || !needs_disk(file.path) {
            continue;
        }
        hasher.update(file.path.as_bytes());
        hasher.update(&[0]);
        hasher.update(&file.data.checksum.to_le_bytes());
        hasher.update(&file.data.raw_len.to_le_bytes());
        files.push(file);
    }
    if files.is_empty() {
        return Ok(None);
    }
    let base = cache_base();
    let dir = base.join(format!("data-{:016x}", hasher.digest()));
    if is_complete(&dir, &files) {
        return Ok(Some(dir));
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&base)
        .map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    let tmp = base.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        hasher.digest() & 0xffff
    ));
    let _ = fs::remove_dir_all(&tmp);
    let result = extract(bundle, &files, &tmp);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        // Another process finished first, or a damaged copy: keep a good one.
        if is_complete(&dir, &files) {
            let _ = fs::remove_dir_all(&tmp);
            return Ok(Some(dir));
        }
        let _ = fs::remove_dir_all(&dir);
    }
    match fs::rename(&tmp, &dir) {
        Ok(()) => Ok(Some(dir)),
        Err(_) if is_complete(&dir, &files) => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(Some(dir))
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(format!("cannot move data into {}: {e}", dir.display()))
        }
    }
}

fn cache_base() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("freeze");
    }
    if let Some(home) = home_dir() {
        return home.join(".cache").join("freeze");
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    PathBuf::from(format!("/tmp/freeze-{uid}"))
}

fn home_dir() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(h));
    }
    // `env -i` clears HOME; ask the password database like python does.
    // SAFETY: getpwuid returns null or a pointer to static storage valid
    // until the next getpw* call on this thread; we copy the string at once.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_dir.is_null() {
            return None;
        }
        let dir = std::ffi::CStr::from_ptr((*pw).pw_dir);
        Some(PathBuf::from(
            std::ffi::OsStr::from_encoded_bytes_unchecked(dir.to_bytes()),
        ))
    }
}

fn is_complete(dir: &Path, files: &[freeze_bundle::FileEntry<'_>]) -> bool {
    if !dir.join(COMPLETE_MARKER).is_file() {
        return false;
    }
    files.iter().all(|f| {
        fs::metadata(dir.join(f.path))
            .map(|m| m.len() == u64::from(f.data.raw_len))
            .unwrap_or(false)
    })
}

fn extract(
    bundle: &Bundle<'_>,
    files: &[freeze_bundle::FileEntry<'_>],
    tmp: &Path,
) -> Result<(), String> {
    let mut dirs = fs::DirBuilder::new();
    dirs.recursive(true).mode(0o700);
    dirs.create(tmp)
        .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    for file in files {
        let target = tmp.join(file.path);
        if let Some(parent) = target.parent() {
            dirs.create(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let write = |bytes: &[u8]| {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&target)
                .and_then(|mut out| out.write_all(bytes))
                .map_err(|e| format!("cannot write {}: {e}", target.display()))
        };
        crate::payload::read_blob_once(bundle, &file.data, write)
            .map_err(|e| format!("{}: {e}", file.path))??;
    }
    fs::write(tmp.join(COMPLETE_MARKER), b"")
        .map_err(|e| format!("cannot finish {}: {e}", tmp.display()))
}
