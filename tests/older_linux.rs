//! Frozen apps run on an older Linux: Debian 11 "bullseye", glibc 2.31.
//!
//! `freeze` embeds a runtime built from CPython's source in a bullseye root
//! (docs/runtimes.md), so these pass with the default build; one built with
//! `FREEZE_CPYTHON=system` (Debian 12's runtime, glibc 2.35, libraries a
//! bare system lacks) fails them, as it should. They need root
//! (debootstrap, `unshare -m`, `chroot`) and fail, never skip, without it.
//!
//! With `FREEZE_TEST_PYTHON` set (to a CPython 3.13, say), the apps are
//! frozen with `--python` that interpreter, which hands them to the
//! `freeze-3.X` beside `freeze`, and compared with it: `.ci/run` runs these
//! tests once per runtime.
//!
//! * `glibc_floor`: no object that starts or that a frozen app loads (the
//!   stub, the `--compress-runtime` loader, every bundled extension module
//!   and shared library) references a
//!   glibc symbol version newer than bullseye's.
//! * `runs_in_bullseye_*`: a frozen app copied alone into a bare bullseye
//!   root prints there exactly what python prints here.

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use freeze_bundle::{find_in_elf, Bundle, FileKind, ModuleKind};

/// The newest glibc symbol version a frozen executable may need: Debian 11's
/// glibc (docs/runtimes.md, "glibc floor").
const GLIBC_FLOOR: (u32, u32) = (2, 31);

/// The stdlib extension modules whose libraries travel in the bundle, and a
/// few without any: the glibc check covers each of them, and them all.
const EXTENSIONS: &[&str] = &[
    "_asyncio",
    "_bz2",
    "_ctypes",
    "_curses",
    "_dbm",
    "_decimal",
    "_gdbm",
    "_hashlib",
    "_json",
    "_lzma",
    "_multiprocessing",
    "_sqlite3",
    "_ssl",
    "_tkinter",
    "_uuid",
    "readline",
    "unicodedata",
    "zlib",
];

/// The interpreter the apps run under here, and whose version they are
/// frozen for.
fn test_python() -> PathBuf {
    std::env::var_os("FREEZE_TEST_PYTHON").map_or_else(|| PathBuf::from(PYTHON), PathBuf::from)
}

/// The bare bullseye root, made (once, cached) by cpython/build-runtime.
fn test_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let script = repo().join("cpython/build-runtime");
        let out = Command::new(&script)
            .arg("test-root")
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} test-root failed (it needs root and debootstrap; see above)",
            script.display()
        );
        let root = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        assert!(
            root.join("bin/sh").exists(),
            "{} is not a bullseye root",
            root.display()
        );
        root
    })
}

fn frozen_hello() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once_for(
        &EXE,
        "older-hello",
        &test_python(),
        &[app("examples/hello").to_str().unwrap()],
    )
}

/// Started by the loader, which unpacks the stub into memory.
fn frozen_compressed_hello() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once_for(
        &EXE,
        "older-hello-compressed",
        &test_python(),
        &[
            app("examples/hello").to_str().unwrap(),
            "--compress-runtime",
        ],
    )
}

fn frozen_stdlib_app() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once_for(
        &EXE,
        "older-native-stdlib",
        &test_python(),
        &[app("tests/apps/native_stdlib").to_str().unwrap()],
    )
}

/// Runs the executable `exe`, copied alone into the bare bullseye root, as
/// a system of its own would: a private mount namespace with its own
/// `/proc` (the runtime reads `/proc/self/exe`), `chroot`, `env -i`.
fn run_in_root(exe: &Path, args: &[&str]) -> Run {
    let root = test_root();
    let dir = TempDir::new("older-linux");
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let inside = root.join("tmp").join(&name);
    fs::create_dir_all(&inside).unwrap();
    let copy = inside.join("app");
    copy_executable(exe, &copy);
    let script = r#"set -e
root="$1"; shift
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
exec chroot "$root" /usr/bin/env -i "$@""#;
    let app_in_root = format!("/tmp/{name}/app");
    let mut command = Command::new("unshare");
    command
        .args(["-m", "--", "sh", "-c", script, "sh"])
        .arg(root)
        .arg(&app_in_root)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn unshare");
    wait_with_timeout(&mut child, 60, &format!("{} in bullseye", exe.display()));
    let out = child.wait_with_output().unwrap();
    let _ = fs::remove_dir_all(&inside);
    use std::os::unix::process::ExitStatusExt;
    Run {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `app` under python here and its frozen `exe` in bullseye; asserts
/// the same exit status and the same whole output.
fn assert_same_in_bullseye(app: &Path, exe: &Path, args: &[&str]) {
    let mut python_args = vec!["-B", app.to_str().unwrap()];
    python_args.extend_from_slice(args);
    let py = run_env_i(&test_python(), &python_args, app.parent().unwrap(), b"");
    let frozen = run_in_root(exe, args);
    assert_eq!(
        (py.code, py.signal),
        (frozen.code, frozen.signal),
        "exit status differs in bullseye\npython stderr:\n{}\nfrozen stderr:\n{}",
        py.stderr,
        frozen.stderr
    );
    assert_eq!(py.stdout, frozen.stdout, "stdout differs in bullseye");
    assert_eq!(py.stderr, frozen.stderr, "stderr differs in bullseye");
}

#[test]
fn runs_in_bullseye_hello() {
    assert_same_in_bullseye(&app("examples/hello"), frozen_hello(), &["a", "b c", "ü"]);
}

#[test]
fn runs_in_bullseye_compressed_hello() {
    assert_same_in_bullseye(
        &app("examples/hello"),
        frozen_compressed_hello(),
        &["a", "b c", "ü"],
    );
}

#[test]
fn runs_in_bullseye_stdlib_app() {
    assert_same_in_bullseye(&app("tests/apps/native_stdlib"), frozen_stdlib_app(), &[]);
}

/// numpy's wheel carries OpenBLAS and libgfortran (manylinux: glibc 2.17):
/// they travel in the executable too.
#[test]
fn runs_in_bullseye_numpy_app() {
    let python = test_python();
    let venv = venv_made_by(
        &python,
        &format!(
            "older-numpy-{}",
            python.file_name().unwrap().to_string_lossy()
        ),
        &["numpy==2.2.6"],
    );
    let venv_python = venv.join("bin/python");
    let dir = TempDir::new("older-numpy");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import sys\nimport numpy as np\n\
             a = np.linspace(0, 1, 12).reshape(3, 4)\n\
             print(sys.version_info[:2], np.__version__, a.shape, round(float((a @ a.T).trace()), 6))\n\
             print(np.linalg.solve([[3, 1], [1, 2]], [9, 8]))\n",
        )],
    );
    let exe = dir.path().join("numpy-app");
    freeze_for(&venv_python, &app_dir, &exe);
    let py = run_env_i(
        &venv_python,
        &["-B", app_dir.to_str().unwrap()],
        dir.path(),
        b"",
    );
    let frozen = run_in_root(&exe, &[]);
    assert_eq!(py.code, Some(0), "{}", py.stderr);
    assert_eq!(
        (frozen.code, frozen.stdout.as_str(), frozen.stderr.as_str()),
        (py.code, py.stdout.as_str(), py.stderr.as_str()),
        "the numpy app differs in bullseye"
    );
}

/// The `GLIBC_x.y` versions an ELF object needs, with the dynamic symbols
/// bound to each (for the failure message).
fn glibc_needs(bytes: &[u8], what: &str) -> Vec<((u32, u32), String)> {
    let elf = goblin::elf::Elf::parse(bytes).unwrap_or_else(|e| panic!("{what}: not ELF: {e}"));
    let mut versions = Vec::new();
    if let Some(verneed) = &elf.verneed {
        for need in verneed.iter() {
            for aux in need.iter() {
                let name = elf.dynstrtab.get_at(aux.vna_name).unwrap_or_default();
                if let Some(v) = parse_glibc(name) {
                    versions.push((aux.vna_other, v, name.to_owned()));
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Some(versym) = &elf.versym {
        for (index, sym) in elf.dynsyms.iter().enumerate() {
            let Some(vs) = versym.get_at(index) else {
                continue;
            };
            if let Some((_, v, name)) = versions.iter().find(|(i, _, _)| *i == vs.version()) {
                let symbol = elf.dynstrtab.get_at(sym.st_name).unwrap_or_default();
                out.push((*v, format!("{symbol}@{name}")));
            }
        }
    }
    // Versions needed with no symbol bound (should not happen) still count.
    for (_, v, name) in versions {
        if !out.iter().any(|(w, _)| *w == v) {
            out.push((v, name));
        }
    }
    out
}

fn parse_glibc(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("GLIBC_")?;
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().unwrap_or("0").parse().ok()?;
    Some((major, minor))
}

#[test]
fn glibc_floor() {
    let dir = TempDir::new("glibc-floor");
    let mut args: Vec<String> = vec![
        app("examples/hello").to_str().unwrap().to_owned(),
        "--python".to_owned(),
        test_python().to_str().unwrap().to_owned(),
    ];
    for module in EXTENSIONS {
        args.push("--hidden-import".into());
        args.push((*module).into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let exe = freeze_ok(&args, dir.path(), "all-extensions");
    let bytes = fs::read(&exe).unwrap();

    let loader = fs::read(frozen_compressed_hello()).unwrap();
    let mut checked = vec![
        ("the stub".to_owned(), glibc_needs(&bytes, "the stub")),
        ("the loader".to_owned(), glibc_needs(&loader, "the loader")),
    ];
    let payload = find_in_elf(&bytes)
        .expect("read the frozen executable")
        .expect("the frozen executable holds a bundle");
    let bundle = Bundle::parse(payload).expect("parse the bundle");
    let mut extensions = Vec::new();
    for module in bundle.modules() {
        let module = module.unwrap();
        if module.kind == ModuleKind::Extension {
            let code = bundle
                .blob(&module.code.unwrap(), freeze_bundle::StoredBytes::InBundle)
                .unwrap();
            extensions.push(module.name.to_owned());
            checked.push((module.path.to_owned(), glibc_needs(&code, module.path)));
        }
    }
    let mut libraries = 0;
    for file in bundle.files() {
        let file = file.unwrap();
        if file.kind == FileKind::SharedLibrary {
            let data = bundle
                .blob(&file.data, freeze_bundle::StoredBytes::InBundle)
                .unwrap();
            libraries += 1;
            checked.push((file.path.to_owned(), glibc_needs(&data, file.path)));
        }
    }
    for module in EXTENSIONS {
        assert!(
            extensions.iter().any(|e| e == module),
            "{module} is not in the bundle; the glibc check would miss it (have {extensions:?})"
        );
    }
    // libssl, libcrypto, libffi, libsqlite3, liblzma, libbz2, libz, libuuid,
    // readline's and curses' libraries: all must travel in the bundle.
    assert!(
        libraries >= 8,
        "only {libraries} shared libraries in the bundle: the extension modules' \
         libraries must travel with them"
    );

    let mut too_new = Vec::new();
    let mut newest = (0, 0);
    for (what, needs) in &checked {
        for (version, symbol) in needs {
            newest = newest.max(*version);
            if *version > GLIBC_FLOOR {
                too_new.push(format!("{what}: {symbol}"));
            }
        }
    }
    assert!(
        too_new.is_empty(),
        "{} references to glibc symbol versions newer than {}.{} (bullseye), in {} objects \
         checked; was freeze built with FREEZE_CPYTHON=system (Debian's runtime)?\n{}",
        too_new.len(),
        GLIBC_FLOOR.0,
        GLIBC_FLOOR.1,
        checked.len(),
        too_new.join("\n")
    );
    eprintln!(
        "glibc floor: {} objects checked, newest version needed GLIBC_{}.{}",
        checked.len(),
        newest.0,
        newest.1
    );
}
