//! The shared copy of native code on a private tmpfs (runtime
//! `native_cache.rs`): written by the first start, loaded by the later ones,
//! checked before use, and never used where it is not private memory.
//! Root, as CI runs: the scenarios that need their own /dev/shm make it in
//! a mount namespace of their own (`unshare -m`).

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

/// Prints what python prints; with `maps`, also (on stderr) where the
/// objects of _hashlib and libcrypto are mapped from, one line each:
/// `memfd NAME` or the file's path and inode (through map_files).
const APP: &str = "\
import hashlib, os, sys
import _hashlib
print(hashlib.sha256(b'freeze').hexdigest())
print(_hashlib.HASH.__name__, hashlib.pbkdf2_hmac('sha256', b'pw', b'salt', 10).hex())
if sys.argv[1:] == ['maps']:
    seen = {}
    for line in open('/proc/self/maps'):
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or not ('libcrypto' in fields[5] or '_hashlib' in fields[5]):
            continue
        name = fields[5].strip()
        if name in seen:
            continue
        if name.startswith('/memfd:'):
            seen[name] = 'memfd ' + os.path.basename(name.split()[0])
        else:
            seen[name] = '%s %d' % (name, os.stat('/proc/self/map_files/' + fields[0]).st_ino)
    for value in sorted(seen.values()):
        print(value, file=sys.stderr)
";

fn app_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("native-cache-app");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        write_app(&dir, &[("__main__.py", APP)])
    })
}

fn exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once(&EXE, "native-cache", &[app_dir().to_str().unwrap()])
}

/// The file name of the libcrypto the app carries.
fn libcrypto() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let path = bundled_library(exe(), "libcrypto.so.");
        path.rsplit('/').next().unwrap().to_owned()
    })
}

/// What python prints for the app.
fn python_stdout() -> &'static str {
    static OUT: OnceLock<String> = OnceLock::new();
    OUT.get_or_init(|| {
        let r = run_env_i(
            Path::new(PYTHON),
            &["-B", app_dir().to_str().unwrap()],
            app_dir(),
            b"",
        );
        assert_eq!(r.code, Some(0), "{r:?}");
        assert_eq!(r.stdout.lines().count(), 2, "{r:?}");
        r.stdout
    })
}

/// A fresh private directory on the host's /dev/shm (a tmpfs), 0700: an
/// `XDG_RUNTIME_DIR` for the test.
struct ShmDir(PathBuf);

impl ShmDir {
    fn new(tag: &str) -> ShmDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = PathBuf::from(format!(
            "/dev/shm/freeze-test-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        ShmDir(dir)
    }
}

impl Drop for ShmDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs the frozen app (`maps`) under `env -i` with `env`, in `cwd`,
/// checks its stdout against python's, and returns its maps lines.
fn run_maps(cwd: &Path, env: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = env.to_vec();
    let copy = cwd.join("native-cache");
    if !copy.exists() {
        copy_executable(exe(), &copy);
    }
    args.push(copy.to_str().unwrap());
    args.push("maps");
    let r = run_env_i(Path::new("/usr/bin/env"), &args, cwd, b"");
    check(r)
}

fn check(r: Run) -> Vec<String> {
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout, python_stdout(), "{r:?}");
    let maps: Vec<String> = r.stderr.lines().map(str::to_owned).collect();
    assert_eq!(maps.len(), 2, "{r:?}");
    maps
}

/// Runs the frozen app (`maps`) in a mount namespace of its own after the
/// shell commands `setup` (which may mount over /dev/shm), with no
/// `XDG_RUNTIME_DIR`; returns its maps lines.
fn run_maps_in_namespace(cwd: &Path, setup: &str) -> Vec<String> {
    let copy = cwd.join("native-cache");
    if !copy.exists() {
        copy_executable(exe(), &copy);
    }
    let script = format!(
        "set -e; {setup}; exec env -i {} maps",
        copy.to_str().unwrap()
    );
    let r = run_env_i(
        Path::new("/usr/bin/unshare"),
        &["-m", "/bin/sh", "-c", &script],
        cwd,
        b"",
    );
    check(r)
}

/// Each entry's stamp: it records the file it vouches for.
const STAMP: &str = ".checked";

/// The cache entries (key directory, file name) under `dir`, stamps aside.
fn entries(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in fs::read_dir(dir).unwrap() {
        let key = key.unwrap();
        for file in fs::read_dir(key.path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            if name != STAMP {
                out.push((key.file_name().to_string_lossy().into_owned(), name));
            }
        }
    }
    out.sort();
    out
}

/// Asserts that every entry under `dir` has a stamp naming its file as it
/// is now: device, inode, size and change time.
fn assert_stamped(dir: &Path) {
    for (key, name) in entries(dir) {
        let stamp = dir.join(&key).join(STAMP);
        let text = fs::read_to_string(&stamp).unwrap_or_else(|e| panic!("{key}/{name}: {e}"));
        assert_eq!(
            text,
            stamp_line(&dir.join(&key).join(&name)),
            "{key}/{name}"
        );
        assert_eq!(
            fs::metadata(&stamp).unwrap().permissions().mode() & 0o777,
            0o400
        );
    }
}

/// Lets the kernel's coarse clock, which stamps file change times, move
/// past the last change: only then are entries stamped.
fn let_the_clock_tick() {
    std::thread::sleep(std::time::Duration::from_millis(30));
}

fn assert_all_memfd(maps: &[String]) {
    assert!(
        maps.iter().all(|m| m.starts_with("memfd ")),
        "not from memory files: {maps:?}"
    );
}

#[test]
fn first_start_writes_the_shared_copy_and_later_starts_map_it() {
    let xdg = ShmDir::new("cache");
    let work = TempDir::new("native-cache-run");
    let env = format!("XDG_RUNTIME_DIR={}", xdg.0.display());
    let first = run_maps(work.path(), &[&env]);
    let cache = xdg.0.join("freeze-native");
    assert_eq!(
        fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let found = entries(&cache);
    let names: Vec<&str> = found.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(
        names,
        ["_hashlib.cpython-311-x86_64-linux-gnu.so", libcrypto()],
        "{found:?}"
    );
    for (key, name) in &found {
        assert!(!key.starts_with(".tmp-"), "a temporary left: {key}");
        let meta = fs::symlink_metadata(cache.join(key).join(name)).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o400);
    }
    // Mapped from the cache's files, by path and inode.
    let expected: Vec<String> = found
        .iter()
        .map(|(key, name)| {
            let path = cache.join(key).join(name);
            format!("{} {}", path.display(), fs::metadata(&path).unwrap().ino())
        })
        .collect();
    assert_eq!(first, expected);
    // The second start maps the very same files, rewriting nothing, and
    // stamps them as checked; the third maps them again, without hashing
    // them (the unit tests count the hashes).
    let_the_clock_tick();
    let second = run_maps(work.path(), &[&env]);
    assert_eq!(second, expected);
    assert_eq!(entries(&cache), found);
    assert_stamped(&cache);
    assert_eq!(run_maps(work.path(), &[&env]), expected);
    assert_stamped(&cache);
}

#[test]
fn a_tampered_or_truncated_entry_is_not_loaded_but_replaced() {
    let xdg = ShmDir::new("tamper");
    let work = TempDir::new("native-cache-tamper");
    let env = format!("XDG_RUNTIME_DIR={}", xdg.0.display());
    run_maps(work.path(), &[&env]);
    // Stamped as checked: a change in place must be caught all the same.
    let_the_clock_tick();
    run_maps(work.path(), &[&env]);
    let cache = xdg.0.join("freeze-native");
    assert_stamped(&cache);
    let (key, name) = entries(&cache)
        .into_iter()
        .find(|(_, name)| name == libcrypto())
        .unwrap();
    let path = cache.join(&key).join(&name);
    let good = fs::read(&path).unwrap();
    for damage in ["flip", "truncate"] {
        let mut bad = good.clone();
        match damage {
            "flip" => bad[good.len() / 2] ^= 0x40,
            _ => bad.truncate(good.len() - 4096),
        }
        // Damaged in place: same inode, same mode.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, &bad).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        let bad_inode = fs::metadata(&path).unwrap().ino();
        let maps = run_maps(work.path(), &[&env]);
        let crypto = maps.iter().find(|m| m.contains("libcrypto")).unwrap();
        let inode: u64 = crypto.rsplit(' ').next().unwrap().parse().unwrap();
        assert_ne!(inode, bad_inode, "{damage}: the damaged file was mapped");
        // Replaced by a good copy, which the next start uses.
        assert_eq!(fs::read(&path).unwrap(), good, "{damage}");
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode, "{damage}");
    }
}

#[test]
fn runtime_dirs_that_are_not_private_tmpfs_are_not_used() {
    let work = TempDir::new("native-cache-refused");
    // Open to others; a symlink to a good directory; on a disk; someone
    // else's. None gets an entry, nor is anything mapped from under it.
    let open = ShmDir::new("open");
    fs::set_permissions(&open.0, fs::Permissions::from_mode(0o755)).unwrap();
    let target = ShmDir::new("target");
    let link = PathBuf::from(format!("{}.link", target.0.display()));
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(&target.0, &link).unwrap();
    let disk = TempDir::new("native-cache-disk");
    fs::set_permissions(disk.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let theirs = ShmDir::new("theirs");
    std::os::unix::fs::chown(&theirs.0, Some(4242), Some(4242)).unwrap();
    for dir in [&open.0, &link, &disk.0, &theirs.0] {
        let env = format!("XDG_RUNTIME_DIR={}", dir.display());
        let maps = run_maps(work.path(), &[&env]);
        let shown = dir.display().to_string();
        assert!(maps.iter().all(|m| !m.contains(&shown)), "{maps:?}");
        assert!(!dir.join("freeze-native").exists(), "{shown}");
    }
    assert!(!target.0.join("freeze-native").exists());
    let _ = fs::remove_file(&link);
}

#[test]
fn without_a_usable_tmpfs_native_code_comes_from_memory_files() {
    let work = TempDir::new("native-cache-fallback");
    // Turned off.
    let xdg = ShmDir::new("off");
    let env = format!("XDG_RUNTIME_DIR={}", xdg.0.display());
    assert_all_memfd(&run_maps(work.path(), &[&env, "FREEZE_NATIVE_CACHE=0"]));
    assert!(!xdg.0.join("freeze-native").exists());
    // No XDG_RUNTIME_DIR, and /dev/shm is: a disk directory; a tmpfs where
    // freeze-<uid> is a planted symlink, open to others, or someone else's;
    // read-only; noexec (Docker's /dev/shm); full. The app runs from memory files each time (a full
    // tmpfs must not kill it with SIGBUS).
    let disk = TempDir::new("native-cache-disk-shm");
    let uid = fs::metadata("/proc/self").unwrap().uid();
    let mine = format!("/dev/shm/freeze-{uid}");
    let tmpfs = "mount -t tmpfs -o mode=1777 none /dev/shm";
    let scenarios = [
        format!("mount --bind {} /dev/shm", disk.path().display()),
        format!("{tmpfs}; mkdir -m 700 /dev/shm/elsewhere; ln -s /dev/shm/elsewhere {mine}"),
        format!("{tmpfs}; mkdir -m 777 {mine}"),
        format!("{tmpfs}; mkdir -m 700 {mine}; chown 4242 {mine}"),
        "mount -t tmpfs -o ro none /dev/shm".to_owned(),
        format!("mount -t tmpfs -o noexec,mode=1777 none /dev/shm; mkdir -m 700 {mine}"),
        format!("mount -t tmpfs -o size=16k,mode=1777 none /dev/shm; mkdir -m 700 {mine}"),
    ];
    for setup in &scenarios {
        let maps = run_maps_in_namespace(work.path(), setup);
        assert_all_memfd(&maps);
    }
    // A private tmpfs as /dev/shm is used.
    let maps = run_maps_in_namespace(work.path(), tmpfs);
    assert!(
        maps.iter().all(|m| m.starts_with(&format!("{mine}/"))),
        "{maps:?}"
    );
}

#[test]
fn processes_racing_to_write_the_same_entries_all_run() {
    let xdg = ShmDir::new("race");
    let work = TempDir::new("native-cache-race");
    let copy = work.path().join("native-cache");
    copy_executable(exe(), &copy);
    let env = format!("XDG_RUNTIME_DIR={}", xdg.0.display());
    let children: Vec<_> = (0..6)
        .map(|_| {
            std::process::Command::new("/usr/bin/env")
                .args(["-i", &env])
                .arg(&copy)
                .current_dir(work.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), python_stdout());
    }
    let cache = xdg.0.join("freeze-native");
    assert_eq!(entries(&cache).len(), 2, "{:?}", entries(&cache));
    run_maps(work.path(), &[&env]);
}
