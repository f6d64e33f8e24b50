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
//! another user in a shared `/tmp` is passed over. Bundles without such
//! data write nothing; when no base is usable the app stops at once with
//! one line naming the directories tried.
//!
//! Every start checks each file of the directory against the content
//! digest the bundle records (xxh3-64; reading and hashing them costs about
//! what reading them costs: see bench/RESULTS.md), so a truncated,
//! corrupted or edited file, a symlink, a file of another user or one set
//! to mode 000 is noticed. Once all of them were hashed and found whole,
//! the directory gets a stamp of their identities and change times
//! (`crate::stamp`; `.checked-data-<hash>` beside it), and later starts hash
//! only when a file no longer matches it. A damaged directory is repaired, never used:
//! the data is extracted into a temporary directory of a random name,
//! which is then swapped into place in one step (`renameat2` with
//! `RENAME_EXCHANGE`, or `RENAME_NOREPLACE` where there was none), so any
//! number of starts can race on any state of the cache and each ends with a
//! complete, checked directory. A temporary directory is locked (`flock`)
//! by the process filling it; one left unlocked by a killed process is
//! removed by the next start.

use std::fs;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use freeze_bundle::{Bundle, FileEntry, FileKind};

/// Temporary directories being filled, locked by their filler.
const TEMP_PREFIX: &str = ".tmp-";
/// Temporary directories just made, before they are locked and renamed to
/// `TEMP_PREFIX` names; one older than [`UNLOCKED_GRACE`] was left by a
/// process killed in between.
const NEW_PREFIX: &str = ".new-";
const UNLOCKED_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

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
        hasher.update(&file.digest.to_le_bytes());
        hasher.update(&file.data.raw_len.to_le_bytes());
        files.push(file);
    }
    if files.is_empty() {
        return Ok(None);
    }
    let name = format!("data-{:016x}", hasher.digest());
    let mut tried = Vec::new();
    for base in candidate_bases() {
        match extract_under(bundle, &files, &base, &name) {
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

/// Uses a checked copy of the data under `base` (made private if missing),
/// or extracts one and swaps it into place.
fn extract_under(
    bundle: &Bundle<'_>,
    files: &[FileEntry<'_>],
    base: &Path,
    name: &str,
) -> Result<PathBuf, String> {
    private_dir(base)?;
    remove_stale_temporaries(base);
    let dir = base.join(name);
    if check(&dir, files).is_ok() {
        return Ok(dir);
    }
    let tmp = TempDir::new(base)?;
    extract(bundle, files, &tmp.path)?;
    install(&tmp.path, &dir, files)?;
    Ok(dir)
}

/// A temporary directory of a random name under a base, locked (`flock`)
/// while this process fills it, and removed on drop unless installed.
struct TempDir {
    path: PathBuf,
    /// Holds the lock; closing it releases it.
    _lock: fs::File,
}

impl TempDir {
    fn new(base: &Path) -> Result<TempDir, String> {
        let mut random = [0u8; 8];
        fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .unwrap_or_else(|_| {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                random = (t.as_nanos() as u64).to_le_bytes();
            });
        let tag = format!("{}-{:016x}", std::process::id(), u64::from_le_bytes(random));
        let new = base.join(format!("{NEW_PREFIX}{tag}"));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&new)
            .map_err(|e| format!("cannot create {}: {e}", new.display()))?;
        let lock = fs::File::open(&new)
            .and_then(|f| flock(&f, libc::LOCK_EX | libc::LOCK_NB).map(|()| f))
            .map_err(|e| format!("cannot lock {}: {e}", new.display()));
        let path = base.join(format!("{TEMP_PREFIX}{tag}"));
        match lock.and_then(|lock| {
            fs::rename(&new, &path)
                .map(|()| lock)
                .map_err(|e| format!("cannot rename {}: {e}", new.display()))
        }) {
            Ok(lock) => Ok(TempDir { path, _lock: lock }),
            Err(e) => {
                let _ = fs::remove_dir_all(&new);
                Err(e)
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Gone once installed; otherwise a failed or abandoned extraction.
        remove_any(&self.path);
    }
}

fn flock(file: &fs::File, operation: libc::c_int) -> std::io::Result<()> {
    // SAFETY: flock on a descriptor we own; it only changes lock state.
    if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Removes the temporary directories under `base` that no live process is
/// filling: unlocked `.tmp-` ones, and `.new-` ones past the grace period.
fn remove_stale_temporaries(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.as_bytes();
        let path = entry.path();
        if name.starts_with(TEMP_PREFIX.as_bytes()) {
            // A directory's lock is its filler's while that lives; opening
            // does not follow a symlink planted in its place.
            let unlocked = fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
                .open(&path)
                .and_then(|f| flock(&f, libc::LOCK_EX | libc::LOCK_NB));
            if unlocked.is_ok() {
                remove_any(&path);
            }
        } else if name.starts_with(NEW_PREFIX.as_bytes()) {
            let old = fs::symlink_metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > UNLOCKED_GRACE);
            if old {
                remove_any(&path);
            }
        }
    }
}

/// Puts the filled temporary directory `tmp` in place at `dir`: renamed
/// there if nothing is; if a checked copy is there (another start was
/// first), `tmp` is dropped; a damaged one is swapped out in one step and
/// removed.
fn install(tmp: &Path, dir: &Path, files: &[FileEntry<'_>]) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot move data into {}: {e}", dir.display());
    for _ in 0..8 {
        match rename2(tmp, dir, libc::RENAME_NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            // A filesystem without the flag: a plain rename succeeds where
            // nothing (or an empty directory) is in the way.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => match fs::rename(tmp, dir) {
                Ok(()) => return Ok(()),
                Err(_) if check(dir, files).is_ok() => return Ok(()),
                Err(_) => {}
            },
            Err(e) => return Err(failed(e)),
        }
        if check(dir, files).is_ok() {
            return Ok(()); // tmp is removed on drop
        }
        match rename2(tmp, dir, libc::RENAME_EXCHANGE) {
            // tmp now names the damaged copy, removed on drop.
            Ok(()) => return Ok(()),
            // Removed meanwhile: try again from the start.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            // No exchange here: move the damaged copy aside, then retry.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                let aside = tmp.with_extension("damaged");
                if fs::rename(dir, &aside).is_ok() {
                    remove_any(&aside);
                }
            }
            Err(e) => return Err(failed(e)),
        }
    }
    Err(format!(
        "cannot move data into {}: it keeps changing under us",
        dir.display()
    ))
}

fn rename2(from: &Path, to: &Path, flags: libc::c_uint) -> std::io::Result<()> {
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: renameat2 with two NUL-terminated paths (absolute or relative
    // to the working directory); it only renames.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            flags,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
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

/// Whether `dir` is a private directory whose files are exactly the
/// bundle's: regular files of ours with the recorded content.
fn check(dir: &Path, files: &[FileEntry<'_>]) -> Result<(), String> {
    // A symlinked data directory, or one another user could have filled,
    // is not ours to use.
    if fs::symlink_metadata(dir).is_err() {
        return Err("missing".into());
    }
    private_dir(dir)?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    // The stamp lies beside the directory (`.checked-data-<hash>`), in the
    // private base, so the directory holds exactly the bundle's files.
    let (Some(base), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Err(format!("{}: not a directory of a base", dir.display()));
    };
    let stamp_name = format!("{}-{}", crate::stamp::NAME, name.to_string_lossy());
    let base_handle = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
        .open(base)
        .map_err(|e| format!("{}: {e}", base.display()))?;
    if stamped(&base_handle, &stamp_name, dir, files, uid) {
        return Ok(());
    }
    // One buffer, reused: reading through it faults in no fresh pages, as
    // reading each file whole into memory of its own would.
    let mut buffer = vec![0u8; 64 << 10];
    let mut identities = Vec::with_capacity(files.len());
    for f in files {
        let path = dir.join(f.path);
        let damaged = |why: &str| Err(format!("{}: {why}", path.display()));
        // O_NOFOLLOW: a symlink in a file's place is damage, not followed.
        let Ok(mut file) = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
        else {
            return damaged("cannot be opened");
        };
        let Ok(meta) = file.metadata() else {
            return damaged("cannot be read");
        };
        // Root reads a file set to mode 000 anyway: the mode itself is
        // the damage.
        if !meta.is_file()
            || meta.uid() != uid
            || meta.mode() & 0o400 == 0
            || meta.len() != u64::from(f.data.raw_len)
        {
            return damaged("not a readable file of ours of the right size");
        }
        if digest_of(&mut file, &mut buffer).ok() != Some(f.digest) {
            return damaged("content differs from the bundle's");
        }
        identities.push(crate::stamp::FileIdentity::of_metadata(&meta));
    }
    crate::stamp::write(base_handle.as_raw_fd(), &stamp_name, &identities);
    Ok(())
}

/// Whether the data directory's stamp (`stamp_name` in the base) vouches for every file as it is now
/// (see `crate::stamp`): regular files of ours, of the recorded sizes,
/// unchanged since their content was checked.
fn stamped(
    base_handle: &fs::File,
    stamp_name: &str,
    dir: &Path,
    files: &[FileEntry<'_>],
    uid: libc::uid_t,
) -> bool {
    let Some(stamp) = crate::stamp::read(base_handle.as_raw_fd(), stamp_name, uid) else {
        return false;
    };
    if stamp.len() != files.len() {
        return false;
    }
    files.iter().zip(&stamp).all(|(f, stamped)| {
        fs::symlink_metadata(dir.join(f.path)).is_ok_and(|meta| {
            meta.is_file()
                && meta.uid() == uid
                && meta.mode() & 0o400 != 0
                && meta.len() == u64::from(f.data.raw_len)
                && crate::stamp::FileIdentity::of_metadata(&meta) == *stamped
        })
    })
}

/// xxh3-64 of what `file` holds, read through `buffer`.
fn digest_of(file: &mut fs::File, buffer: &mut [u8]) -> std::io::Result<u64> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    loop {
        match file.read(buffer) {
            Ok(0) => return Ok(hasher.digest()),
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes every data file under `tmp`, checking each against its digest.
fn extract(bundle: &Bundle<'_>, files: &[FileEntry<'_>], tmp: &Path) -> Result<(), String> {
    let mut dirs = fs::DirBuilder::new();
    dirs.recursive(true).mode(0o700);
    for file in files {
        let target = tmp.join(file.path);
        if let Some(parent) = target.parent() {
            dirs.create(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let write = |bytes: &[u8]| {
            if xxhash_rust::xxh3::xxh3_64(bytes) != file.digest {
                return Err(format!(
                    "{}: the bundle's content does not match its digest (damaged bundle)",
                    file.path
                ));
            }
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
    Ok(())
}
