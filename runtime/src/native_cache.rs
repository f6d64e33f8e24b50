//! The shared copy of native code: extension modules and bundled libraries
//! unpacked once per boot into a per-user directory on a tmpfs, and loaded
//! from there by every later start, so that their pages are shared between
//! processes and already resident, as python's are in the page cache.
//!
//! Where: `$XDG_RUNTIME_DIR/freeze-native/` if `$XDG_RUNTIME_DIR` is an
//! absolute path to a directory (not a symlink) on a tmpfs, owned by us,
//! with no permissions for group or others; else `/dev/shm/freeze-<uid>/`
//! (created mode 0700). The directory used must itself be a directory
//! owned by us, on a tmpfs (`statfs` magic) not mounted `noexec`, with no
//! permissions for group or others, reached without following a symlink. Anything else and the
//! caller falls back to a memory file of its own: nothing is ever written
//! to a disk. `FREEZE_NATIVE_CACHE=0` turns the cache off.
//!
//! What: one directory per object, named by a digest of the object's
//! stored form in the bundle (codec, lengths and the xxh3 of the stored
//! bytes, which determine the content byte for byte), holding one file
//! named as the bundled file (`libopenblas64_p-r0-0cf96a72.3.23.dev.so`,
//! so that code looking for a library by file name in `/proc/self/maps`
//! finds it): the content, then a 16-byte trailer, `FRZNATV1` and the xxh3
//! of the content (little-endian). The dynamic linker maps only what the
//! program headers name, so the trailer is never mapped as code.
//!
//! How: an entry is written under a random temporary name (`.tmp-*`,
//! created exclusively), made read-only, and renamed into place without
//! replacing anything (`RENAME_NOREPLACE`); a process that loses the race
//! uses its own copy and removes it. Nothing is fsynced: it is memory.
//!
//! Before use, an entry is opened without following symlinks and checked:
//! a directory and a regular file owned by us, not writable by group or
//! others, one link, the size the bundle records plus the trailer, and the
//! xxh3 of the content equal to the trailer's. A entry failing the check
//! is removed and written again. An object is loaded through
//! `/proc/self/fd/N` of the descriptor that was checked, so what was
//! checked is what is mapped, and the path contract of `native` holds.
//!
//! Hashing is what the check costs (~10 ms for numpy's 35 MB OpenBLAS), so
//! an entry whose content has been hashed and found whole gets a stamp: a
//! file `.checked` beside it holding the file's identity and change time
//! (`st_ctime`, which no unprivileged process can set, and which any write,
//! truncation or `chmod` moves). A later check that finds the stamp equal
//! to the file's current identity and change time skips the hash: the
//! content cannot have changed since it was hashed. The stamp is written
//! only once the coarse clock the kernel stamps files with has moved past
//! the file's change time, so that a change within the same clock tick
//! cannot keep it.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

use freeze_bundle::{BlobRef, Codec};

use crate::fds::{fstat, open_at};
use crate::stamp::{self, FileIdentity};

/// The trailer's magic.
const MAGIC: &[u8; 8] = b"FRZNATV1";
const TRAILER: u64 = 16;

/// The environment variable that turns the cache off (`0`).
pub(crate) const ENV: &str = "FREEZE_NATIVE_CACHE";

/// The cache directory, open.
#[derive(Debug)]
pub(crate) struct CacheDir {
    fd: OwnedFd,
}

/// The cache directory of this process, if there is a usable one.
fn cache_dir() -> Option<&'static CacheDir> {
    static DIR: OnceLock<Option<CacheDir>> = OnceLock::new();
    DIR.get_or_init(|| {
        if std::env::var_os(ENV).is_some_and(|v| v == "0") {
            return None;
        }
        choose_dir(std::env::var_os("XDG_RUNTIME_DIR").as_deref())
    })
    .as_ref()
}

/// The cache directory for `xdg_runtime_dir` (see the module's docs).
pub(crate) fn choose_dir(xdg_runtime_dir: Option<&std::ffi::OsStr>) -> Option<CacheDir> {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    if let Some(xdg) = xdg_runtime_dir.filter(|x| x.as_encoded_bytes().starts_with(b"/")) {
        if let Ok(parent) = open_private_dir(None, xdg.as_encoded_bytes(), uid, false) {
            if let Ok(dir) = open_private_dir(Some(&parent), b"freeze-native", uid, true) {
                return Some(dir);
            }
        }
    }
    let name = format!("/dev/shm/freeze-{uid}");
    open_private_dir(None, name.as_bytes(), uid, true).ok()
}

/// Opens directory `path` (under `parent`, if given) without following a
/// symlink, creating it mode 0700 first if `create`; refused unless it is
/// a directory on a tmpfs, owned by `uid`, with no permissions for group
/// or others.
pub(crate) fn open_private_dir(
    parent: Option<&CacheDir>,
    path: &[u8],
    uid: libc::uid_t,
    create: bool,
) -> io::Result<CacheDir> {
    let cpath = CString::new(path).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let at = parent.map_or(libc::AT_FDCWD, |p| p.fd.as_raw_fd());
    if create {
        // SAFETY: mkdirat with a directory descriptor (or AT_FDCWD) and a
        // NUL-terminated path.
        if unsafe { libc::mkdirat(at, cpath.as_ptr(), 0o700) } < 0 {
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::AlreadyExists {
                return Err(error);
            }
        }
    }
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let fd = open_at(at, &cpath, flags, 0)?;
    let stat = fstat(fd.as_raw_fd())?;
    check_private(&stat, uid, libc::S_IFDIR, 0o077)?;
    if !on_tmpfs(fd.as_raw_fd())? {
        return Err(refused("not on a tmpfs"));
    }
    if mounted_noexec(fd.as_raw_fd())? {
        // Docker's /dev/shm, say: code there cannot be mapped executable.
        return Err(refused("on a noexec mount"));
    }
    Ok(CacheDir { fd })
}

fn mounted_noexec(fd: RawFd) -> io::Result<bool> {
    // SAFETY: an all-zero `struct statvfs` is a valid value to be overwritten.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatvfs writes into the struct we pass for a descriptor we own.
    if unsafe { libc::fstatvfs(fd, &mut vfs) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(vfs.f_flag & libc::ST_NOEXEC != 0)
}

fn refused(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why.to_owned())
}

/// Refuses a file that is not of type `kind`, not owned by `uid`, or has
/// any of the permission bits `forbidden`.
pub(crate) fn check_private(
    stat: &libc::stat,
    uid: libc::uid_t,
    kind: libc::mode_t,
    forbidden: libc::mode_t,
) -> io::Result<()> {
    if stat.st_mode & libc::S_IFMT != kind {
        return Err(refused("of the wrong type"));
    }
    if stat.st_uid != uid {
        return Err(refused("owned by another user"));
    }
    if stat.st_mode & forbidden != 0 {
        return Err(refused("open to other users"));
    }
    Ok(())
}

fn on_tmpfs(fd: RawFd) -> io::Result<bool> {
    // SAFETY: an all-zero `struct statfs` is a valid value to be overwritten.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs writes into the struct we pass for a descriptor we own.
    if unsafe { libc::fstatfs(fd, &mut fs) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fs.f_type == libc::TMPFS_MAGIC)
}

/// The entry's directory name for `blob`: None for a blob whose content
/// depends on more than its stored bytes (the bundle's dictionary) or that
/// is empty.
pub(crate) fn key(blob: &BlobRef) -> Option<String> {
    if blob.raw_len == 0 || blob.codec == Codec::ZstdDictionary {
        return None;
    }
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(b"freeze native cache v1");
    hasher.update(&[blob.codec.to_u8()]);
    hasher.update(&blob.raw_len.to_le_bytes());
    hasher.update(&blob.stored_len.to_le_bytes());
    hasher.update(&blob.checksum.to_le_bytes());
    Some(format!("{:032x}", hasher.digest128()))
}

/// A shared, checked copy of `blob`'s content in the cache, open read-write
/// or read-only (never written after it is checked): the existing entry,
/// or a new one filled by `fill` (which is handed an empty file and must
/// leave the content in it). None when there is no usable cache or it
/// cannot hold the entry: the caller then makes a memory file of its own.
pub(crate) fn shared_file(
    blob: &BlobRef,
    file_name: &str,
    fill: impl FnOnce(&File) -> io::Result<()>,
) -> Option<File> {
    let dir = cache_dir()?;
    let key = key(blob)?;
    let file_name = sanitized(file_name);
    match open_entry(dir, &key, &file_name, u64::from(blob.raw_len)) {
        Ok(Some(file)) => return Some(file),
        Ok(None) => {}
        // Damaged, truncated or tampered with: replaced below.
        Err(_) => remove_entry(dir, &key, &file_name),
    }
    populate(dir, &key, &file_name, u64::from(blob.raw_len), fill).ok()
}

/// `name` usable as one path component.
fn sanitized(name: &str) -> String {
    let name = name.rsplit('/').next().unwrap_or(name);
    match name {
        "" | "." | ".." => "object.so".to_owned(),
        // The entry's own names (temporary files, the stamp) start with a dot.
        _ if name.starts_with('.') => format!("_{name}"),
        _ => name.replace('\0', "_"),
    }
}

/// The checked entry `key/file_name` holding `raw_len` bytes of content;
/// Ok(None) if there is none, Err if there is one that fails the check.
pub(crate) fn open_entry(
    dir: &CacheDir,
    key: &str,
    file_name: &str,
    raw_len: u64,
) -> io::Result<Option<File>> {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let ckey = CString::new(key).map_err(|_| refused("bad key"))?;
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let entry = match open_at(dir.fd.as_raw_fd(), &ckey, flags, 0) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    check_private(&fstat(entry.as_raw_fd())?, uid, libc::S_IFDIR, 0o077)?;
    let cname = CString::new(file_name).map_err(|_| refused("bad name"))?;
    let fd = open_at(
        entry.as_raw_fd(),
        &cname,
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        0,
    )?;
    let stat = fstat(fd.as_raw_fd())?;
    check_private(&stat, uid, libc::S_IFREG, 0o022)?;
    if stat.st_nlink != 1 {
        return Err(refused("linked elsewhere"));
    }
    if stat.st_size as u64 != raw_len + TRAILER {
        return Err(refused("of the wrong size"));
    }
    let file = File::from(fd);
    let identity = [FileIdentity::of_stat(&stat)];
    if stamp::read(entry.as_raw_fd(), stamp::NAME, uid).as_deref() == Some(&identity[..]) {
        return Ok(Some(file));
    }
    if !content_matches_trailer(&file, raw_len)? {
        return Err(refused("its content does not match its digest"));
    }
    stamp::write(entry.as_raw_fd(), stamp::NAME, &identity);
    Ok(Some(file))
}

/// Whether the first `raw_len` bytes of `file` hash to its trailer's digest.
fn content_matches_trailer(file: &File, raw_len: u64) -> io::Result<bool> {
    let mut trailer = [0u8; TRAILER as usize];
    file.read_exact_at(&mut trailer, raw_len)?;
    if &trailer[..8] != MAGIC {
        return Ok(false);
    }
    let expected = u64::from_le_bytes(trailer[8..].try_into().expect("8 bytes"));
    Ok(content_digest(file, raw_len)? == expected)
}

/// xxh3 of the first `raw_len` bytes of `file`, through a mapping of 4 MB
/// at a time: no copy, and a mapping of the whole would count every page
/// toward this process's peak RSS (numpy's OpenBLAS is 35 MB), where the
/// loaded object maps only what it runs.
fn content_digest(file: &File, raw_len: u64) -> io::Result<u64> {
    const WINDOW: u64 = 4 << 20;
    #[cfg(test)]
    tests::HASHED.with(|n| n.set(n.get() + 1));
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut offset = 0u64;
    while offset < raw_len {
        let n = (raw_len - offset).min(WINDOW);
        // SAFETY: a private read-only mapping of a file in a directory only
        // we may write; a change under it (by another process of ours) could
        // only make the digest wrong, which refuses the entry. Unmapped at
        // the end of the iteration.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(offset)
                .len(n as usize)
                .map(file)
        }?;
        hasher.update(&map);
        offset += n;
    }
    Ok(hasher.digest())
}

/// Removes entry `key` (best effort): its file, then its directory.
fn remove_entry(dir: &CacheDir, key: &str, file_name: &str) {
    let (Ok(ckey), Ok(cname)) = (CString::new(key), CString::new(file_name)) else {
        return;
    };
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    if let Ok(entry) = open_at(dir.fd.as_raw_fd(), &ckey, flags, 0) {
        let stamp = CString::new(stamp::NAME).expect("no NUL");
        for name in [&cname, &stamp] {
            // SAFETY: unlinkat with a directory descriptor and a
            // NUL-terminated name; it only removes that name.
            unsafe { libc::unlinkat(entry.as_raw_fd(), name.as_ptr(), 0) };
        }
    }
    // SAFETY: as above; fails harmlessly if the directory is not empty.
    unsafe { libc::unlinkat(dir.fd.as_raw_fd(), ckey.as_ptr(), libc::AT_REMOVEDIR) };
}

/// Writes entry `key/file_name` through a temporary directory and renames
/// it into place; returns the new file, open.
fn populate(
    dir: &CacheDir,
    key: &str,
    file_name: &str,
    raw_len: u64,
    fill: impl FnOnce(&File) -> io::Result<()>,
) -> io::Result<File> {
    let temp = format!(".tmp-{}-{:016x}", std::process::id(), random());
    let ctemp = CString::new(temp).map_err(|_| refused("bad name"))?;
    let cname = CString::new(file_name).map_err(|_| refused("bad name"))?;
    let ckey = CString::new(key).map_err(|_| refused("bad key"))?;
    // SAFETY: mkdirat with our directory's descriptor and a NUL-terminated
    // name; fails if the name exists (it is random).
    if unsafe { libc::mkdirat(dir.fd.as_raw_fd(), ctemp.as_ptr(), 0o700) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let cleanup = |entry: Option<&OwnedFd>| {
        if let Some(entry) = entry {
            // SAFETY: unlinkat of the one name we created in our own
            // temporary directory.
            unsafe { libc::unlinkat(entry.as_raw_fd(), cname.as_ptr(), 0) };
        }
        // SAFETY: removes our (now empty) temporary directory.
        unsafe { libc::unlinkat(dir.fd.as_raw_fd(), ctemp.as_ptr(), libc::AT_REMOVEDIR) };
    };
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let entry = match open_at(dir.fd.as_raw_fd(), &ctemp, flags, 0) {
        Ok(entry) => entry,
        Err(e) => {
            cleanup(None);
            return Err(e);
        }
    };
    let result = (|| {
        let flags =
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let file = File::from(open_at(entry.as_raw_fd(), &cname, flags, 0o600)?);
        // Reserve the pages first: the content is written through a shared
        // mapping, where a full tmpfs would raise SIGBUS instead of an error.
        let len = (raw_len + TRAILER) as libc::off_t;
        // SAFETY: fallocate on a descriptor we own.
        if unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, 0, len) } < 0 {
            return Err(io::Error::last_os_error());
        }
        fill(&file)?;
        if file.metadata()?.len() != raw_len {
            return Err(io::Error::other("filled to the wrong length"));
        }
        let digest = content_digest(&file, raw_len)?;
        let mut trailer = MAGIC.to_vec();
        trailer.extend_from_slice(&digest.to_le_bytes());
        file.write_all_at(&trailer, raw_len)?;
        // SAFETY: fchmod on descriptors we own.
        if unsafe { libc::fchmod(file.as_raw_fd(), 0o400) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(file)
    })();
    let file = match result {
        Ok(file) => file,
        Err(e) => {
            cleanup(Some(&entry));
            return Err(e);
        }
    };
    // SAFETY: renameat2 of our temporary directory to the entry's name in
    // the same directory, failing rather than replacing an existing entry.
    let renamed = unsafe {
        libc::renameat2(
            dir.fd.as_raw_fd(),
            ctemp.as_ptr(),
            dir.fd.as_raw_fd(),
            ckey.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if renamed < 0 {
        // Another process won the race (or the name is taken by a damaged
        // entry it could not remove): use our copy, unnamed.
        cleanup(Some(&entry));
    }
    Ok(file)
}

/// 64 random bits for a temporary name.
fn random() -> u64 {
    let mut bytes = [0u8; 8];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer.
    let got =
        unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), libc::GRND_NONBLOCK) };
    if got == bytes.len() as isize {
        return u64::from_le_bytes(bytes);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    xxhash_rust::xxh3::xxh3_64(
        &[
            now.to_le_bytes(),
            u64::from(std::process::id()).to_le_bytes(),
        ]
        .concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::path::PathBuf::from(format!(
            "/dev/shm/freeze-cache-unit-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    fn uid() -> libc::uid_t {
        // SAFETY: geteuid cannot fail.
        unsafe { libc::geteuid() }
    }

    fn blob(raw_len: u32, checksum: u64) -> BlobRef {
        BlobRef {
            offset: 0,
            stored_len: raw_len,
            raw_len,
            checksum,
            codec: Codec::Stored,
        }
    }

    #[test]
    fn private_tmpfs_directories_are_taken_and_others_refused() {
        let dir = scratch("dirs");
        let path = dir.to_str().unwrap().as_bytes().to_vec();
        assert!(open_private_dir(None, &path, uid(), false).is_ok());
        // Group- or world-accessible.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(open_private_dir(None, &path, uid(), false).is_err());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        // Someone else's.
        assert!(open_private_dir(None, &path, uid() + 1, false).is_err());
        // A symlink to a good directory.
        let link = dir.with_extension("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(open_private_dir(None, link.to_str().unwrap().as_bytes(), uid(), false).is_err());
        std::fs::remove_file(&link).unwrap();
        // Created under a parent, 0700.
        let parent = open_private_dir(None, &path, uid(), false).unwrap();
        open_private_dir(Some(&parent), b"sub", uid(), true).unwrap();
        let mode = std::fs::metadata(dir.join("sub"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        // Not a tmpfs (the build directory is on a disk here; /proc is not
        // a tmpfs anywhere).
        assert!(open_private_dir(None, b"/proc", uid(), false).is_err());
        // A file.
        std::fs::write(dir.join("file"), b"x").unwrap();
        assert!(open_private_dir(Some(&parent), b"file", uid(), false).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn regular_files_must_be_ours_and_not_writable_by_others() {
        // SAFETY: an all-zero stat is valid.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        stat.st_mode = libc::S_IFREG | 0o400;
        stat.st_uid = 7;
        assert!(check_private(&stat, 7, libc::S_IFREG, 0o022).is_ok());
        assert!(check_private(&stat, 8, libc::S_IFREG, 0o022).is_err());
        assert!(check_private(&stat, 7, libc::S_IFDIR, 0o022).is_err());
        stat.st_mode = libc::S_IFREG | 0o402;
        assert!(check_private(&stat, 7, libc::S_IFREG, 0o022).is_err());
        stat.st_mode = libc::S_IFLNK | 0o777;
        assert!(check_private(&stat, 7, libc::S_IFREG, 0o022).is_err());
    }

    #[test]
    fn entries_are_written_once_checked_and_replaced_when_damaged() {
        let dir = scratch("entries");
        let cache = open_private_dir(None, dir.to_str().unwrap().as_bytes(), uid(), false).unwrap();
        let content: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        let b = blob(content.len() as u32, 42);
        let k = key(&b).unwrap();
        let fill = |file: &File| file.write_all_at(&content, 0);
        assert!(open_entry(&cache, &k, "lib.so", 100_000).unwrap().is_none());
        let file = populate(&cache, &k, "lib.so", 100_000, fill).unwrap();
        drop(file);
        let path = dir.join(&k).join("lib.so");
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 100_016);
        assert_eq!(meta.permissions().mode() & 0o777, 0o400);
        let found = open_entry(&cache, &k, "lib.so", 100_000).unwrap().unwrap();
        let mut read = vec![0; 100_000];
        found.read_exact_at(&mut read, 0).unwrap();
        assert!(read == content);
        // The wrong size for the bundle's record.
        assert!(open_entry(&cache, &k, "lib.so", 99_999).is_err());
        // A second writer loses the race and keeps its own copy.
        let other = populate(&cache, &k, "lib.so", 100_000, fill).unwrap();
        assert_eq!(other.metadata().unwrap().len(), 100_016);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "{left:?}");
        // A flipped byte, same size.
        let mut damaged = std::fs::read(&path).unwrap();
        damaged[5000] ^= 1;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, &damaged).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(open_entry(&cache, &k, "lib.so", 100_000).is_err());
        remove_entry(&cache, &k, "lib.so");
        assert!(open_entry(&cache, &k, "lib.so", 100_000).unwrap().is_none());
        // A symlink planted as the file.
        std::fs::create_dir(dir.join(&k)).unwrap();
        std::os::unix::fs::symlink("/bin/true", dir.join(&k).join("lib.so")).unwrap();
        assert!(open_entry(&cache, &k, "lib.so", 100_000).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    thread_local! {
        /// How many times this thread hashed an entry's content.
        pub(super) static HASHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn a_checked_entry_is_stamped_and_hashed_again_only_once_changed() {
        let dir = scratch("stamp");
        let cache = open_private_dir(None, dir.to_str().unwrap().as_bytes(), uid(), false).unwrap();
        let content: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let k = key(&blob(content.len() as u32, 7)).unwrap();
        drop(
            populate(&cache, &k, "lib.so", 50_000, |f: &File| {
                f.write_all_at(&content, 0)
            })
            .unwrap(),
        );
        let hashed = || HASHED.with(|n| n.get());
        let stamp = dir.join(&k).join(stamp::NAME);
        // Past the coarse clock tick of the file's last change.
        std::thread::sleep(std::time::Duration::from_millis(30));
        let before = hashed();
        assert!(open_entry(&cache, &k, "lib.so", 50_000).unwrap().is_some());
        assert_eq!(hashed(), before + 1);
        let text = std::fs::read_to_string(&stamp).unwrap();
        let meta = std::fs::metadata(dir.join(&k).join("lib.so")).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            text,
            format!(
                "{} {} 50016 {}.{:09}\n",
                meta.dev(),
                meta.ino(),
                meta.ctime(),
                meta.ctime_nsec()
            )
        );
        // Stamped: not hashed again.
        for _ in 0..3 {
            assert!(open_entry(&cache, &k, "lib.so", 50_000).unwrap().is_some());
        }
        assert_eq!(hashed(), before + 1);
        // A garbled stamp: hashed, found whole, stamped again.
        std::fs::remove_file(&stamp).unwrap();
        std::fs::write(&stamp, "1 2 3\n").unwrap();
        std::fs::set_permissions(&stamp, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(open_entry(&cache, &k, "lib.so", 50_000).unwrap().is_some());
        assert_eq!(hashed(), before + 2);
        assert_eq!(std::fs::read_to_string(&stamp).unwrap(), text);
        // A stamp someone else may write is not believed.
        std::fs::set_permissions(&stamp, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(open_entry(&cache, &k, "lib.so", 50_000).unwrap().is_some());
        assert_eq!(hashed(), before + 3);
        // Changed in place, same size, right after it was stamped: its
        // change time moves, so it is hashed, and refused.
        let path = dir.join(&k).join("lib.so");
        let mut damaged = std::fs::read(&path).unwrap();
        damaged[100] ^= 1;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, &damaged).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(open_entry(&cache, &k, "lib.so", 50_000).is_err());
        // Removing the entry removes its stamp, and so the directory.
        remove_entry(&cache, &k, "lib.so");
        assert!(!dir.join(&k).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_differ_by_content_and_skip_dictionary_and_empty_blobs() {
        assert_ne!(key(&blob(10, 1)), key(&blob(10, 2)));
        assert_eq!(key(&blob(10, 1)), key(&blob(10, 1)));
        assert_eq!(key(&blob(0, 1)), None);
        let mut b = blob(10, 1);
        b.codec = Codec::ZstdDictionary;
        assert_eq!(key(&b), None);
        assert_eq!(sanitized("a/b/c.so"), "c.so");
        assert_eq!(sanitized(".."), "object.so");
        assert_eq!(sanitized(".tmp-1"), "_.tmp-1");
        assert_eq!(sanitized(stamp::NAME), "_.checked");
    }
}
