//! Frozen apps in hostile environments behave as python does, or fail with
//! one clear line: closed standard streams, memory files that must not be
//! rewritten (issue 17).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

/// Runs `program args` through `sh -c '<setup> exec "$0" "$@" <redirections>'`
/// under `env -i` plus `env`, in `cwd`, stdin from /dev/null: (exit code,
/// stdout, stderr).
fn run_in_sh(
    program: &Path,
    args: &[&str],
    (setup, redirections): (&str, &str),
    env: &[&str],
    cwd: &Path,
) -> (Option<i32>, String, String) {
    let script = format!("{setup} exec \"$0\" \"$@\" {redirections}");
    let out = Command::new("env")
        .arg("-i")
        .args(env)
        .arg("/bin/sh")
        .arg("-c")
        .arg(&script)
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    status_and_output(&out)
}

#[test]
fn closed_standard_streams_stay_closed() {
    // With stdin and stdout closed, the runtime's executable and memory
    // files (bz2's libbz2) must not take their numbers: python sees
    // sys.stdin and sys.stdout as None, and so must the app, or its output
    // would go into (and overwrite) loaded code.
    let dir = TempDir::new("closedio");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import bz2, sys\n\
             print('stdin', sys.stdin is None, 'stdout', sys.stdout is None, file=sys.stderr)\n\
             print(bz2.decompress(bz2.compress(b'ok')), file=sys.stderr)\n\
             sys.stdout.write('A' * 100000)\n",
        )],
    );
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "closedio",
    );
    let (run_dir, copy) = isolate(&exe, "closedio-run");
    for redirections in ["<&- >&-", "<&-", ">&-"] {
        let (py_code, _, py_err) = run_in_sh(
            Path::new(PYTHON),
            &["-B", app_dir.to_str().unwrap()],
            ("", redirections),
            &[],
            dir.path(),
        );
        let (fr_code, _, fr_err) = run_in_sh(&copy, &[], ("", redirections), &[], run_dir.path());
        assert_eq!(
            py_code, fr_code,
            "{redirections}: exit codes\npython:\n{py_err}\nfrozen:\n{fr_err}"
        );
        assert_eq!(
            normalize(&py_err, &[&app_dir]),
            normalize(&fr_err, &[&copy]),
            "{redirections}: stderr"
        );
    }
}

#[test]
fn loaded_memory_files_are_sealed_and_closed() {
    // Once libbz2 and _bz2 are loaded, their memory files are closed (no
    // descriptor of the app's is one), and what is mapped of them is sealed
    // against writes, shrinking, growing and new seals (F_GET_SEALS 15),
    // read through /proc/self/map_files (root, as CI runs).
    let dir = TempDir::new("sealed");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import bz2, fcntl, os\n\
             open_memfds = 0\n\
             for fd in os.listdir('/proc/self/fd'):\n\
             \x20   try:\n\
             \x20       open_memfds += os.readlink('/proc/self/fd/' + fd).startswith('/memfd:')\n\
             \x20   except OSError:\n\
             \x20       pass\n\
             seals, names = set(), set()\n\
             for line in open('/proc/self/maps'):\n\
             \x20   fields = line.split(maxsplit=5)\n\
             \x20   if len(fields) == 6 and fields[5].startswith('/memfd:'):\n\
             \x20       names.add(os.path.basename(fields[5].split()[0]))\n\
             \x20       fd = os.open('/proc/self/map_files/' + fields[0], os.O_RDONLY)\n\
             \x20       seals.add(fcntl.fcntl(fd, 1034))\n\
             \x20       os.close(fd)\n\
             print(open_memfds, sorted(seals), sorted(names))\n",
        )],
    );
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "sealed",
    );
    let (run_dir, copy) = isolate(&exe, "sealed-run");
    // Memory files of the app's own, not the shared copy on a tmpfs
    // (tests/native_cache.rs), which cannot be sealed.
    let r = run_env_i(
        Path::new("/usr/bin/env"),
        &["FREEZE_NATIVE_CACHE=0", copy.to_str().unwrap()],
        run_dir.path(),
        b"",
    );
    assert_eq!(
        r.stdout, "0 [15] ['_bz2.cpython-311-x86_64-linux-gnu.so', 'libbz2.so.1.0']\n",
        "{}",
        r.stderr
    );
}

#[test]
fn native_code_needs_no_more_descriptors_than_it_loads_at_once() {
    // Memory files are closed once loaded: an app importing a dozen
    // extension modules, four of them with bundled libraries (libssl needs
    // libcrypto), runs under `ulimit -n 12`, as under python (a descriptor
    // per memory file held for good broke it before).
    let dir = TempDir::new("fdlimit");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import _json, _decimal, _ctypes, _sqlite3, _ssl, _hashlib, _bz2, _lzma, _uuid\n\
             import _queue, _asyncio, _contextvars, _multibytecodec\n\
             import ctypes, decimal, hashlib, sqlite3\n\
             print(hashlib.sha256(b'x').hexdigest()[:8], decimal.Decimal(1) / 7)\n\
             print(sqlite3.connect(':memory:').execute('select 1').fetchone())\n\
             print(ctypes.CDLL(None).strlen(b'four'))\n",
        )],
    );
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "fdlimit",
    );
    let (run_dir, copy) = isolate(&exe, "fdlimit-run");
    let limit = ("ulimit -n 12;", "");
    let py = run_in_sh(
        Path::new(PYTHON),
        &["-B", app_dir.to_str().unwrap()],
        limit,
        &[],
        dir.path(),
    );
    let frozen = run_in_sh(&copy, &[], limit, &[], run_dir.path());
    assert_eq!(py.0, Some(0), "{}", py.2);
    assert_eq!(frozen, py);
}

/// Runs `program` as user and group `id` (setpriv; CI runs as root) under
/// `env -i` plus `env`, in `cwd`: (exit code, stdout, stderr).
fn run_as(id: u32, program: &Path, env: &[&str], cwd: &Path) -> (Option<i32>, String, String) {
    let out = Command::new("setpriv")
        .arg(format!("--reuid={id}"))
        .arg(format!("--regid={id}"))
        .arg("--clear-groups")
        .arg("env")
        .arg("-i")
        .args(env)
        .arg(program)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("setpriv (util-linux) is needed for this test; CI runs it as root");
    status_and_output(&out)
}

/// An app that reads a data file beside its main module, frozen into a
/// directory every user can read; returns (dir guard, executable).
fn data_app(tag: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new(tag);
    let app_dir = write_app(
        dir.path(),
        &[
            (
                "__main__.py",
                "import os\n\
                 with open(os.path.join(os.path.dirname(__file__), 'template.txt')) as f:\n\
                 \x20   print(f.read().strip())\n",
            ),
            ("template.txt", "the real template\n"),
        ],
    );
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        tag,
    );
    (dir, exe)
}

#[test]
fn package_data_falls_back_when_home_is_not_writable() {
    assert_eq!(
        unsafe_getuid(),
        0,
        "this test runs as root (as CI does), to become other users"
    );
    let (dir, exe) = data_app("nohome");
    // nobody with HOME=/nonexistent: ~/.cache cannot be made; /tmp can.
    let (code, out, err) = run_as(65534, &exe, &["HOME=/nonexistent"], dir.path());
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "the real template\n"),
        "{err}"
    );
    // A relative XDG_CACHE_HOME is ignored (it would break after chdir).
    let (code, out, err) = run_as(
        65534,
        &exe,
        &["HOME=/nonexistent", "XDG_CACHE_HOME=rel"],
        dir.path(),
    );
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "the real template\n"),
        "{err}"
    );
    assert!(!dir.path().join("rel").exists());
}

#[test]
fn a_data_directory_planted_by_another_user_is_not_used() {
    assert_eq!(
        unsafe_getuid(),
        0,
        "this test runs as root (as CI does), to become other users"
    );
    let (dir, exe) = data_app("planted");
    let victim = 23456u32;
    let planted = std::path::PathBuf::from(format!("/tmp/freeze-{victim}"));
    let shm = std::path::PathBuf::from(format!("/dev/shm/freeze-{victim}"));
    let _ = std::fs::remove_dir_all(&planted);
    let _ = std::fs::remove_dir_all(&shm);
    // Root stands for the attacker: a world-writable base it owns, which
    // the victim would otherwise pick (no HOME, no passwd entry).
    std::fs::create_dir_all(&planted).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, out, err) = run_as(victim, &exe, &[], dir.path());
    let used_shm = shm.is_dir();
    let planted_empty = std::fs::read_dir(&planted).unwrap().next().is_none();
    let _ = std::fs::remove_dir_all(&planted);
    let _ = std::fs::remove_dir_all(&shm);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "the real template\n"),
        "{err}"
    );
    assert!(
        planted_empty,
        "nothing is written into another user's directory"
    );
    assert!(used_shm, "the next base, /dev/shm, holds the data");
}

#[test]
fn no_writable_directory_fails_at_once_with_one_line() {
    assert_eq!(
        unsafe_getuid(),
        0,
        "this test runs as root (as CI does), to become other users"
    );
    let (dir, exe) = data_app("nowhere");
    // Every base points into a file: none can be made.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"").unwrap();
    let b = blocker.to_str().unwrap();
    let env = [
        format!("HOME={b}"),
        format!("XDG_CACHE_HOME={b}/c"),
        format!("XDG_RUNTIME_DIR={b}/r"),
        format!("TMPDIR={b}/t"),
    ];
    let env: Vec<&str> = env.iter().map(String::as_str).collect();
    let victim = 34567u32;
    let _ = std::fs::remove_dir_all(format!("/dev/shm/freeze-{victim}"));
    // /dev/shm is the last resort; make it unusable for this user too.
    std::fs::write(format!("/dev/shm/freeze-{victim}"), b"").unwrap();
    let (code, out, err) = run_as(victim, &exe, &env, dir.path());
    let _ = std::fs::remove_file(format!("/dev/shm/freeze-{victim}"));
    assert_ne!(code, Some(0));
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot write the package data of template.txt")
            && err.contains(&format!("{b}/c/freeze"))
            && err.contains(&format!("/dev/shm/freeze-{victim}")),
        "{err}"
    );
}

fn unsafe_getuid() -> u32 {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() }
}

#[test]
fn a_damaged_data_directory_is_repaired() {
    let (dir, exe) = data_app("repair");
    let (run_dir, copy) = isolate(&exe, "repair-run");
    let cache = run_dir.path().join("cache");
    let xdg = format!("XDG_CACHE_HOME={}", cache.display());
    let run = || {
        let out = Command::new("env")
            .args(["-i", &xdg])
            .arg(&copy)
            .current_dir(run_dir.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let good = (Some(0), "the real template\n".to_owned());
    assert_eq!(run(), good);
    let data = std::fs::read_dir(cache.join("freeze"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("data-")
        })
        .expect("a data directory");
    let template = data.join("template.txt");
    use std::os::unix::fs::PermissionsExt;
    // Checked in full by the second start and stamped (once the kernel's
    // coarse clock has moved past the files' change times); a same-size
    // edit after that is caught all the same: it moves the change time.
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert_eq!(run(), good);
    let stamp = cache.join("freeze").join(format!(
        ".checked-{}",
        data.file_name().unwrap().to_string_lossy()
    ));
    assert_eq!(
        std::fs::read_to_string(&stamp).unwrap(),
        stamp_line(&template)
    );
    assert_eq!(run(), good);
    std::fs::write(&template, b"the fake template\n").unwrap();
    assert_eq!(run(), good, "a same-size edit after the stamp is caught");
    std::fs::write(&template, b"tampered!").unwrap();
    assert_eq!(run(), good, "a file of the wrong size is replaced");
    std::fs::write(&template, b"the fake template\n").unwrap();
    assert_eq!(run(), good, "a same-size edit fails the content digest");
    // (Root could read it anyway: the mode itself marks the damage.)
    std::fs::set_permissions(&template, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_eq!(run(), good, "a file set to mode 000 is replaced");
    assert_eq!(
        std::fs::metadata(&template).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let elsewhere = run_dir.path().join("elsewhere");
    std::fs::rename(&data, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &data).unwrap();
    assert_eq!(run(), good, "a symlinked data directory is replaced");
    assert!(!std::fs::symlink_metadata(&data)
        .unwrap()
        .file_type()
        .is_symlink());
    drop(dir);
}

#[test]
fn concurrent_starts_on_a_damaged_cache_all_succeed_and_leftovers_go() {
    let (dir, exe) = data_app("race");
    let (run_dir, copy) = isolate(&exe, "race-run");
    let cache = run_dir.path().join("cache");
    let base = cache.join("freeze");
    let xdg = format!("XDG_CACHE_HOME={}", cache.display());
    let start = || {
        Command::new("env")
            .args(["-i", &xdg])
            .arg(&copy)
            .current_dir(run_dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = start().wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "the real template\n"
    );
    let data = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("data-")
        })
        .expect("a data directory");
    // Damage: a truncated file. Leftovers: a temporary directory of a
    // start killed while filling it (unlocked), one just made by a start
    // killed before it locked it (an hour old), and one a live start is
    // filling (locked by `flock`, which holds it while it sleeps).
    std::fs::OpenOptions::new()
        .write(true)
        .open(data.join("template.txt"))
        .unwrap()
        .set_len(3)
        .unwrap();
    for leftover in [".tmp-1-dead/sub", ".new-2-old", ".tmp-3-live"] {
        std::fs::create_dir_all(base.join(leftover)).unwrap();
    }
    std::fs::write(base.join(".tmp-1-dead/sub/template.txt"), b"half").unwrap();
    let aged = Command::new("touch")
        .args(["-d", "1 hour ago"])
        .arg(base.join(".new-2-old"))
        .status()
        .unwrap();
    assert!(aged.success());
    let mut holder = Command::new("flock")
        .arg(base.join(".tmp-3-live"))
        .args(["sleep", "30"])
        .spawn()
        .expect("flock (util-linux)");
    std::thread::sleep(std::time::Duration::from_millis(300));

    let starts: Vec<_> = (0..30).map(|_| start()).collect();
    let results: Vec<(Option<i32>, String, String)> = starts
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            status_and_output(&out)
        })
        .collect();
    let mut left: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    left.sort();
    // The directory's stamp (written once a start has checked it in full)
    // is no leftover.
    let stamp = format!(".checked-{}", data.file_name().unwrap().to_string_lossy());
    left.retain(|n| *n != stamp);
    let _ = holder.kill();
    let _ = holder.wait();
    for result in &results {
        assert_eq!(
            (result.0, result.1.as_str(), result.2.as_str()),
            (Some(0), "the real template\n", ""),
        );
    }
    assert_eq!(
        std::fs::read(data.join("template.txt")).unwrap(),
        b"the real template\n"
    );
    assert_eq!(
        left,
        [".tmp-3-live"],
        "only the live start's directory stays"
    );
    drop(dir);
}

#[test]
fn apps_start_without_proc() {
    // In a mount namespace whose /proc is an empty tmpfs (a chroot or a
    // minimal container): the executable is found by the path it was
    // executed by, or by argv[0] on PATH, and runs as python does; native
    // code, which loads from memory through /proc/self/fd, says so.
    let dir = TempDir::new("noproc");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import sys, os\n\
             print(os.path.basename(sys.executable), sys.argv[1:], os.path.exists('/proc/self'))\n\
             if sys.argv[1:] == ['native']:\n\
             \x20   import bz2\n",
        )],
    );
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "noproc",
    );
    let compressed = dir.path().join("noproc-compressed");
    freeze_succeeds(&[
        app_dir.to_str().unwrap(),
        "--python",
        PYTHON,
        "--compress-runtime",
        "-o",
        compressed.to_str().unwrap(),
    ]);
    let (run_dir, _run_as_noproc) = isolate(&exe, "noproc-run");
    let compressed_copy = run_dir.path().join("noproc-compressed");
    copy_executable(&compressed, &compressed_copy);
    let without_proc = |command: &str| {
        let out = Command::new("unshare")
            .args(["-m", "sh", "-c"])
            .arg(format!(
                "mount -t tmpfs none /proc && PATH={}:/usr/bin:/bin && {command}",
                run_dir.path().display()
            ))
            .current_dir(run_dir.path())
            .env_clear()
            .output()
            .expect("unshare (util-linux); CI runs as root");
        status_and_output(&out)
    };
    let ok = |name: &str, args: &str| (Some(0), format!("{name} [{args}] False\n"), String::new());
    assert_eq!(without_proc("./noproc a"), ok("noproc", "'a'"));
    assert_eq!(
        without_proc("cd / && noproc b"),
        ok("noproc", "'b'"),
        "found on PATH"
    );
    assert_eq!(
        without_proc("./noproc-compressed c"),
        ok("noproc-compressed", "'c'"),
        "a compressed runtime too"
    );
    let (code, out, err) = without_proc("./noproc native");
    assert_eq!((code, out.as_str()), (Some(1), "noproc ['native'] False\n"));
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("ImportError: cannot load extension module _bz2")
            && last.ends_with("(native code is loaded from memory through /proc/self/fd, and /proc is not mounted here: mount /proc to use this module)"),
        "{err}"
    );
}

#[test]
fn damaged_start_up_and_main_modules_are_the_damaged_bundle_error() {
    // Damage in a module the interpreter needs to start used to end in
    // CPython's fatal error and a 20-line dump of its path configuration,
    // and in __main__ in "can't find '__main__' module" with status 1.
    let dir = TempDir::new("damagedboot");
    let app_dir = write_app(dir.path(), &[("__main__.py", "print('hello')\n")]);
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "damagedboot",
    );
    let bytes = std::fs::read(&exe).unwrap();
    for module in ["__main__", "encodings.aliases", "encodings"] {
        let (offset, blob_offset) = {
            let payload = freeze_bundle::find_in_elf(&bytes).unwrap().unwrap();
            let bundle = freeze_bundle::Bundle::parse(payload).unwrap();
            let code = bundle.find_module(module).unwrap().unwrap().code.unwrap();
            let span = bundle.stored_span(&code).unwrap().bytes;
            let offset = span.as_ptr() as usize - bytes.as_ptr() as usize + span.len() / 2;
            (offset, code.offset)
        };
        let mut damaged = bytes.clone();
        damaged[offset] ^= 0x55;
        let path = dir.path().join(format!("damaged-{module}"));
        write_executable(&path, &damaged);
        let r = run_env_i(&path, &[], dir.path(), b"");
        assert_eq!(
            (r.code, r.stdout.as_str(), r.stderr),
            (
                Some(2),
                "",
                format!(
                    "{}: damaged bundle: module {module}: checksum mismatch in the blob at data \
                     offset {blob_offset}, the data is damaged\n",
                    path.display()
                )
            ),
        );
    }
}

#[test]
fn a_full_device_fails_as_under_python() {
    // print() to /dev/full: python fails at exit's flush (status 120), or,
    // with PYTHONUNBUFFERED set, as containers often do, at the print
    // itself with a traceback and status 1. The frozen app honours that
    // one variable (buffering only) and fails the same way.
    let dir = TempDir::new("devfull");
    let app_dir = write_app(dir.path(), &[("__main__.py", "print('hello')\n")]);
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "devfull",
    );
    let (run_dir, copy) = isolate(&exe, "devfull-run");
    for (env, code) in [(&[][..], 120), (&["PYTHONUNBUFFERED=1"][..], 1)] {
        let full = ("", ">/dev/full");
        let py = run_in_sh(
            Path::new(PYTHON),
            &[app_dir.to_str().unwrap()],
            full,
            env,
            dir.path(),
        );
        let frozen = run_in_sh(&copy, &[], full, env, run_dir.path());
        assert_eq!(py.0, Some(code), "{env:?}: {}", py.2);
        assert_eq!(frozen.0, py.0, "{env:?}: {}", frozen.2);
        assert_eq!(
            normalize(&frozen.2, &[&copy]),
            normalize(&py.2, &[&app_dir]),
            "{env:?}"
        );
    }
}
