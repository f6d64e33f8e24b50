//! Package data on disk, for code that `open()`s files next to `__file__`.
//!
//! Python code is never written anywhere. Data files (not modules, not
//! extensions, not dist-info metadata, which importlib.metadata reads from
//! the bundle) are written once per distinct set of data into a private,
//! content-addressed directory `data-<hash>` under the first usable base of
//! `$XDG_CACHE_HOME/freeze` (absolute only: a relative one would break
//! after `os.chdir`), `~/.cache/freeze`, `$XDG_RUNTIME_DIR/freeze`,
//! `$TMPDIR/freeze-<uid>` (else `/tmp/freeze-<uid>`), `/dev/shm/freeze-<uid>`.
//! A base is used only if it is a real directory (not reached through a
//! symlink) that the user owns and nobody else can write: one planted by
//! another user in a shared `/tmp` is passed over. Extraction goes to a
//! temporary directory renamed into place, so concurrent first starts are
//! safe and a half-written directory is never used; later starts check each
//! file's size and reuse it. Bundles without such data write nothing; when
//! no base is usable the app stops at once with one line naming the
//! directories tried.

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
    let name = format!("data-{:016x}", hasher.digest());
    let mut tried = Vec::new();
    for base in candidate_bases() {
        match extract_under(bundle, &files, &base, &name, hasher.digest()) {
            Ok(dir) => return Ok(Some(dir)),
            Err(e) => tried.push(format!("{} ({e})", base.display())),
        }
    }
    let package = files[0].path.split('/').next().unwrap_or(files[0].path);
    Err(format!(
        "cannot write the package data of {package} (needed on disk) to any of: {}; \
         set XDG_CACHE_HOME to a writable directory",
        tried.join(", ")
    ))
}

/// Extracts the data under `base` (made private if missing), or reuses a
/// complete copy there.
fn extract_under(
    bundle: &Bundle<'_>,
    files: &[freeze_bundle::FileEntry<'_>],
    base: &Path,
    name: &str,
    digest: u64,
) -> Result<PathBuf, String> {
    private_dir(base)?;
    let dir = base.join(name);
    if is_complete(&dir, files) {
        return Ok(dir);
    }
    let tmp = base.join(format!(".tmp-{}-{}", std::process::id(), digest & 0xffff));
    let _ = fs::remove_dir_all(&tmp);
    let result = extract(bundle, files, &tmp);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if fs::symlink_metadata(&dir).is_ok() {
        // Another process finished first, or a damaged copy: keep a good one.
        if is_complete(&dir, files) {
            let _ = fs::remove_dir_all(&tmp);
            return Ok(dir);
        }
        remove_any(&dir);
    }
    match fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        Err(_) if is_complete(&dir, files) => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(format!("cannot move data into {}: {e}", dir.display()))
        }
    }
}

/// Removes a file, symlink or directory tree at `path` (a damaged copy).
fn remove_any(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// Makes sure `dir` is a directory only this user can change: created
/// (0700, its parents as needed) if missing; refused if it is a symlink,
/// not a directory, owned by another user, or writable by group or others.
fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    if fs::symlink_metadata(dir).is_err() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create it: {e}"))?;
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    if meta.file_type().is_symlink() {
        return Err("a symlink, not used".into());
    }
    if !meta.is_dir() {
        return Err("not a directory".into());
    }
    if meta.uid() != uid {
        return Err(format!("owned by uid {}, not used", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "writable by others (mode {:o}), not used",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

/// The directories the data may go under, in order (see the module docs).
fn candidate_bases() -> Vec<PathBuf> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let mut bases = Vec::new();
    bases.extend(absolute("XDG_CACHE_HOME").map(|d| d.join("freeze")));
    bases.extend(home_dir().map(|h| h.join(".cache").join("freeze")));
    bases.extend(absolute("XDG_RUNTIME_DIR").map(|d| d.join("freeze")));
    let tmp = absolute("TMPDIR").unwrap_or_else(|| PathBuf::from("/tmp"));
    bases.push(tmp.join(format!("freeze-{uid}")));
    bases.push(PathBuf::from(format!("/dev/shm/freeze-{uid}")));
    let mut unique: Vec<PathBuf> = Vec::new();
    for base in bases {
        if !unique.contains(&base) {
            unique.push(base);
        }
    }
    unique
}

fn home_dir() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(h)).filter(|h| h.is_absolute());
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
    // A symlinked data directory, or one another user could have filled,
    // is not ours to use.
    if private_dir_exists(dir).is_err() || !dir.join(COMPLETE_MARKER).is_file() {
        return false;
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    files.iter().all(|f| {
        use std::os::unix::fs::MetadataExt;
        // A regular file of ours, of the right size, that we can read: a
        // symlink, a truncated file or one set to mode 000 is damage, and
        // the directory is extracted again.
        fs::symlink_metadata(dir.join(f.path))
            .map(|m| {
                m.is_file()
                    && m.uid() == uid
                    && m.mode() & 0o400 != 0
                    && m.len() == u64::from(f.data.raw_len)
            })
            .unwrap_or(false)
    })
}

/// `private_dir`'s checks of an existing directory, creating nothing.
fn private_dir_exists(dir: &Path) -> Result<(), String> {
    if fs::symlink_metadata(dir).is_err() {
        return Err("missing".into());
    }
    private_dir(dir)
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
