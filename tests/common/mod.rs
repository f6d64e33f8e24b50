//! Shared helpers for the end-to-end tests: run the real `freeze` binary,
//! run frozen executables alone in an empty directory under `env -i`, and
//! run the same app under Debian's python3.11 for comparison.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const PYTHON: &str = "/usr/bin/python3.11";
pub const STDLIB: &str = "/usr/lib/python3.11";

pub fn freeze_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_freeze"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn app(rel: &str) -> PathBuf {
    repo().join(rel)
}

/// A fresh empty directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "freeze-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `freeze` with `args`.
pub fn freeze(args: &[&str]) -> Output {
    Command::new(freeze_bin())
        .args(args)
        .output()
        .expect("run freeze")
}

/// The bundle path of the shared library `exe` carries whose file name
/// starts with `prefix` (`libcrypto.so.`): its soname is the runtime's
/// (Debian 12's libcrypto.so.3, or OpenSSL 1.1's of a runtime built in
/// Debian 11).
pub fn bundled_library(exe: &Path, prefix: &str) -> String {
    let out = freeze(&["--list-frozen", exe.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .find(|p| p.starts_with(&format!("_freeze_libs/{prefix}")))
        .unwrap_or_else(|| panic!("{} carries no {prefix}*", exe.display()))
        .to_owned()
}

/// Runs `freeze` with `args`, checks that it succeeded, and returns what it
/// printed on stderr (warnings, `-v` output).
pub fn freeze_succeeds(args: &[&str]) -> String {
    let result = freeze(args);
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(result.status.success(), "freeze {args:?} failed:\n{stderr}");
    stderr
}

/// Freezes `app_args` into `dir/name` and returns the executable's path,
/// after checking that freeze succeeded.
pub fn freeze_ok(app_args: &[&str], dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let mut args: Vec<&str> = app_args.to_vec();
    let out_s = out.to_str().unwrap().to_owned();
    args.push("-o");
    args.push(&out_s);
    freeze_succeeds(&args);
    out
}

/// The names of the entries (modules and files) a frozen executable holds,
/// from `freeze --list-frozen --json`.
pub fn frozen_names(exe: &Path) -> Vec<String> {
    let out = freeze(&["--list-frozen", exe.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Freezes `args` into the executable `name` once per test binary; it lives
/// in the test target's temp dir and is overwritten by the next run.
pub fn frozen_once(cell: &'static OnceLock<PathBuf>, name: &str, args: &[&str]) -> &'static Path {
    cell.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("frozen");
        fs::create_dir_all(&dir).unwrap();
        freeze_ok(args, &dir, name)
    })
}

/// `frozen_once` for the interpreter `python` (`--python`), which picks the
/// runtime: another version's is frozen by the `freeze-3.X` beside freeze.
pub fn frozen_once_for(
    cell: &'static OnceLock<PathBuf>,
    name: &str,
    python: &Path,
    args: &[&str],
) -> &'static Path {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--python", python.to_str().unwrap()]);
    frozen_once(cell, name, &all)
}

/// `freeze APP -o OUT --python PYTHON -q`, which must succeed.
pub fn freeze_for(python: &Path, app_dir: &Path, out: &Path) {
    freeze_succeeds(&[
        app_dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--python",
        python.to_str().unwrap(),
        "-q",
    ]);
}

/// Waits for `child`, killing it and failing the test after `seconds` (a
/// hang or a re-exec loop must fail the test, not stall CI).
pub fn wait_with_timeout(child: &mut Child, seconds: u64, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} timed out after {seconds} s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Copies an executable with `install`, in a child process: a write
/// descriptor opened in this process leaks into the children that other
/// test threads fork meanwhile, and executing the file then fails with
/// ETXTBSY ("Text file busy").
pub fn copy_executable(src: &Path, dst: &Path) {
    let status = Command::new("install")
        .args(["-m", "755"])
        .arg(src)
        .arg(dst)
        .status()
        .expect("run install");
    assert!(
        status.success(),
        "install {} {}",
        src.display(),
        dst.display()
    );
}

/// Writes `bytes` as an executable file at `path` (see `copy_executable`).
pub fn write_executable(path: &Path, bytes: &[u8]) {
    let staging = path.with_extension("staging");
    fs::write(&staging, bytes).unwrap();
    copy_executable(&staging, path);
    fs::remove_file(&staging).unwrap();
}

/// Writes an app directory `parent/app` holding `files` (relative path,
/// text), and returns its path.
pub fn write_app(parent: &Path, files: &[(&str, &str)]) -> PathBuf {
    let app = parent.join("app");
    for (rel, text) in files {
        let path = app.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    app
}

/// Copies `exe` alone into a fresh empty directory and returns (dir, copy).
pub fn isolate(exe: &Path, tag: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new(tag);
    let copy = dir.path().join(exe.file_name().unwrap());
    copy_executable(exe, &copy);
    (dir, copy)
}

#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program args` under `env -i` in `cwd`, feeding `stdin`, with a
/// timeout so a hang fails the test instead of CI.
pub fn run_env_i(program: &Path, args: &[&str], cwd: &Path, stdin: &[u8]) -> Run {
    run_env_i_with(program, &[], args, cwd, stdin)
}

/// `run_env_i` with the environment `env` (`NAME=value`) instead of none.
pub fn run_env_i_with(
    program: &Path,
    env: &[&str],
    args: &[&str],
    cwd: &Path,
    stdin: &[u8],
) -> Run {
    let mut child = Command::new("env")
        .arg("-i")
        .args(env)
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin);
    }
    wait_with_timeout(&mut child, 60, &format!("{} {args:?}", program.display()));
    let out = child.wait_with_output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    Run {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Replaces the roots under which modules live (the app directory or the
/// stdlib under python, the executable's virtual root when frozen) by
/// `<ROOT>`, so the two runs compare equal where only their roots differ.
pub fn normalize(text: &str, roots: &[&Path]) -> String {
    let mut out = text.to_owned();
    let mut roots: Vec<String> = roots
        .iter()
        .map(|r| r.to_string_lossy().trim_end_matches('/').to_owned())
        .collect();
    roots.push(STDLIB.to_owned());
    roots.sort_by_key(|r| std::cmp::Reverse(r.len()));
    for r in roots {
        out = out.replace(&format!("{r}/"), "<ROOT>/");
    }
    out
}

/// Runs `python app args` and the frozen `exe args` (copied alone into an
/// empty dir) under `env -i`, and asserts equal behaviour.
pub fn assert_same(
    app: &Path,
    python_args: &[&str],
    exe: &Path,
    args: &[&str],
    stdin: &[u8],
) -> Run {
    assert_same_with(Path::new(PYTHON), app, python_args, exe, args, stdin)
}

/// `assert_same` with another interpreter (a venv's) running the app.
pub fn assert_same_with(
    python: &Path,
    app: &Path,
    python_args: &[&str],
    exe: &Path,
    args: &[&str],
    stdin: &[u8],
) -> Run {
    assert_same_in_env(&[], python, app, python_args, exe, args, stdin)
}

/// `assert_same_with`, both runs with the environment `env` (`NAME=value`).
pub fn assert_same_in_env(
    env: &[&str],
    python: &Path,
    app: &Path,
    python_args: &[&str],
    exe: &Path,
    args: &[&str],
    stdin: &[u8],
) -> Run {
    let py_cwd = app.parent().unwrap();
    // -B: comparisons must not leave __pycache__ in the source tree.
    let mut full: Vec<&str> = vec!["-B"];
    full.extend_from_slice(python_args);
    full.extend_from_slice(args);
    let py = run_env_i_with(python, env, &full, py_cwd, stdin);
    let (dir, copy) = isolate(exe, "same");
    let fr = run_env_i_with(&copy, env, args, dir.path(), stdin);
    let py_root = app.canonicalize().unwrap();
    let app_dir = if py_root.is_dir() {
        py_root.clone()
    } else {
        py_root.parent().unwrap().to_path_buf()
    };
    assert_eq!(
        (py.code, py.signal),
        (fr.code, fr.signal),
        "exit status differs for {args:?}\npython stderr:\n{}\nfrozen stderr:\n{}",
        py.stderr,
        fr.stderr
    );
    let stdlib = stdlib_of(python);
    let py_roots: Vec<&Path> = [app_dir.as_path()]
        .into_iter()
        .chain(stdlib.as_deref())
        .collect();
    assert_eq!(
        normalize(&py.stdout, &py_roots),
        normalize(&fr.stdout, &[&copy]),
        "stdout differs for {args:?}"
    );
    assert_eq!(
        normalize(&py.stderr, &py_roots),
        normalize(&fr.stderr, &[&copy]),
        "stderr differs for {args:?}"
    );
    fr
}

/// The stdlib directory of `python` (a venv's interpreter resolves to its
/// base's): `PREFIX/lib/python3.X` beside `PREFIX/bin/python3.X`.
pub fn stdlib_of(python: &Path) -> Option<PathBuf> {
    let real = python.canonicalize().ok()?;
    let name = real.file_name()?.to_str()?.to_owned();
    let dir = real.parent()?.parent()?.join("lib").join(&name);
    dir.join("os.py").is_file().then_some(dir)
}

/// Files a process opened or probed, from `strace -f -e trace=%file`, which
/// must exit with `expected_code` (strace exits with the traced program's
/// status). The process starts without cargo's `LD_LIBRARY_PATH` (build
/// directories), so every path seen is one the program itself chose.
pub fn strace_files(program: &Path, args: &[&str], cwd: &Path, expected_code: i32) -> Vec<String> {
    let log = cwd.join("strace.log");
    let status = Command::new("strace")
        .env_remove("LD_LIBRARY_PATH")
        .args(["-f", "-qq", "-y", "-e", "trace=%file", "-o"])
        .arg(&log)
        .arg("env")
        .arg("-i")
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("strace is needed for this test (apt-get install strace)");
    let text = fs::read_to_string(&log).unwrap();
    assert_eq!(
        status.code(),
        Some(expected_code),
        "{} {args:?} under strace; its log:\n{text}",
        program.display()
    );
    let _ = fs::remove_file(&log);
    text.lines()
        .filter_map(|l| {
            let start = l.find('"')?;
            let rest = &l[start + 1..];
            let end = rest.find('"')?;
            let name = &rest[..end];
            // A name relative to a directory descriptor (`-y` shows its
            // path: `openat(5</dev/shm/freeze-0/...>, "lib.so", ...`).
            let dir = l[..start]
                .strip_suffix(">, ")
                .and_then(|b| b.rfind('<').map(|i| &b[i + 1..]));
            Some(match dir {
                Some(dir) if name.is_empty() => dir.to_owned(),
                Some(dir) if !name.starts_with('/') => format!("{dir}/{name}"),
                _ => name.to_owned(),
            })
        })
        .collect()
}

/// Whether `path` is in the shared copy of native code on a tmpfs (the
/// runtime's `native_cache.rs`): memory, not a file on a disk.
pub fn in_shared_native_copy(path: &str) -> bool {
    path.starts_with("/dev/shm/freeze-") || path.contains("/freeze-native/")
}

/// The cached venv with the pinned third-party packages of
/// tests/requirements.txt and the local test distributions of tests/dists,
/// made with /usr/bin/python3.11 (the interpreter the runtime embeds), at
/// `target/venv-test`.
pub fn test_venv() -> PathBuf {
    let text = fs::read_to_string(repo().join("tests/requirements.txt")).unwrap();
    let mut requirements = requirement_lines(&text);
    requirements.extend(["tests/dists/ns-alpha", "tests/dists/ns-beta"]);
    venv_with("test", &requirements)
}

/// A cached venv `target/venv-<name>` made with /usr/bin/python3.11 holding
/// exactly `requirements`: pip requirement specifiers (`name==version`,
/// checked against `pip freeze --all` once installed, so a pin that pip did
/// not honour fails here rather than in a comparison) or repo-relative
/// directories of local projects, built from a scratch copy so the source
/// tree gets no build/ or egg-info. Rebuilt only when the requirements or
/// a local project's files change; a lock file serialises test binaries
/// that need it at the same time.
pub fn venv_with(name: &str, requirements: &[&str]) -> PathBuf {
    venv_made_by(Path::new(PYTHON), name, requirements)
}

/// `venv_with` for the interpreter `python` (another CPython version's).
pub fn venv_made_by(python: &Path, name: &str, requirements: &[&str]) -> PathBuf {
    let repo = repo();
    let target = repo.join("target");
    let venv = target.join(format!("venv-{name}"));
    let mut key = requirements.join("\n");
    if python != Path::new(PYTHON) {
        key = format!("{}\n{key}", python.display());
    }
    let local: Vec<&str> = requirements
        .iter()
        .copied()
        .filter(|r| repo.join(r).is_dir())
        .collect();
    for dir in &local {
        let mut files = Vec::new();
        let mut stack = vec![repo.join(dir)];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        for f in files {
            key.push_str(&format!("\n{}\n", f.display()));
            key.push_str(&String::from_utf8_lossy(&fs::read(&f).unwrap()));
        }
    }
    fs::create_dir_all(&target).unwrap();
    let lock = fs::File::create(target.join(format!("venv-{name}.lock"))).unwrap();
    lock.lock().unwrap();
    let marker = venv.join(".freeze-test-inputs");
    if fs::read_to_string(&marker).ok().as_deref() == Some(key.as_str()) {
        return venv;
    }
    let _ = fs::remove_dir_all(&venv);
    let status = Command::new(python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success(), "{} -m venv failed", python.display());
    let scratch = target.join(format!("venv-{name}.src"));
    let _ = fs::remove_dir_all(&scratch);
    let mut args: Vec<String> = Vec::new();
    for r in requirements {
        if local.contains(r) {
            let copy = scratch.join(r);
            fs::create_dir_all(&copy).unwrap();
            let status = Command::new("cp")
                .arg("-R")
                .arg(repo.join(r).join("."))
                .arg(&copy)
                .status()
                .unwrap();
            assert!(status.success(), "cp -R {r}");
            args.push(copy.to_string_lossy().into_owned());
        } else {
            args.push((*r).to_owned());
        }
    }
    let out = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "--disable-pip-version-check"])
        .args(&args)
        .output()
        .unwrap();
    let _ = fs::remove_dir_all(&scratch);
    assert!(
        out.status.success(),
        "pip install {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let freeze = Command::new(venv.join("bin/pip"))
        .args(["freeze", "--all", "--disable-pip-version-check"])
        .output()
        .unwrap();
    let installed = String::from_utf8_lossy(&freeze.stdout)
        .to_lowercase()
        .replace('_', "-");
    for pin in requirements.iter().filter(|r| r.contains("==")) {
        let pin = pin.to_lowercase().replace('_', "-");
        assert!(
            installed.lines().any(|l| l == pin),
            "{name}: {pin} is not what pip installed:\n{installed}"
        );
    }
    fs::write(&marker, key).unwrap();
    venv
}

/// `venv_with` for the pinned requirements listed in a repo-relative file
/// (one per line, `#` comments), cached under `target/venv-<name>`.
pub fn venv_from(name: &str, requirements_file: &str) -> PathBuf {
    let text = fs::read_to_string(repo().join(requirements_file)).unwrap();
    venv_with(name, &requirement_lines(&text))
}

/// The requirements of a requirements file's text.
pub fn requirement_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The exit status, stdout and stderr of a finished command, for
/// comparing whole runs.
pub fn status_and_output(out: &std::process::Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The line a stamp (runtime/src/stamp.rs) holds for the file at `path`
/// as it is now: device, inode, size and change time.
pub fn stamp_line(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).unwrap();
    format!(
        "{} {} {} {}.{:09}\n",
        meta.dev(),
        meta.ino(),
        meta.len(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}
