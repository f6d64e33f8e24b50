//! Native code from memory: the stdlib's extension modules and the shared
//! libraries they need, loaded from memfd, never from the filesystem.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn native_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once(
        &EXE,
        "native",
        &[app("tests/apps/native_stdlib").to_str().unwrap()],
    )
}

#[test]
fn stdlib_extensions_match_python() {
    let app_dir = app("tests/apps/native_stdlib");
    let r = assert_same(
        &app_dir,
        &[app_dir.to_str().unwrap()],
        native_exe(),
        &[],
        b"",
    );
    assert!(
        r.stdout
            .starts_with("0.1428571428571428571428571429 decimal.py decimal\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(45,) 3"));
    assert!(r.stdout.contains("async ok"));
    assert!(
        r.stdout.contains(
            "LATIN SMALL LETTER E WITH ACUTE \u{2603} 14.0.0 fi \u{b0} \u{2605} b'xn--bcher-kva.example'"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn unicodedata_comes_from_the_bundle_not_the_runtime() {
    // Debian builds unicodedata (1.1 MB of tables) into libpython; the stub
    // leaves it out and the stdlib archive has it as an extension module,
    // bundled like any other: the app above printed what python prints.
    let out = freeze(&["--list-frozen", native_exe().to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "unicodedata")
        .expect("unicodedata in the bundle");
    assert_eq!(entry["kind"], "extension", "{entry}");
    // Its docstring is plain text in a runtime that links it in, and
    // zstd-compressed in the bundle.
    let exe = std::fs::read(native_exe()).unwrap();
    let doc = b"This module provides access to the Unicode Character Database";
    let in_runtime = exe.windows(doc.len()).any(|w| w == doc);
    assert!(!in_runtime, "the runtime still links unicodedata in");
}

#[test]
fn no_extension_or_library_comes_from_disk() {
    let (dir, copy) = isolate(native_exe(), "native-strace");
    let files = strace_files(&copy, &[], dir.path());
    let bad: Vec<&String> = files
        .iter()
        .filter(|f| {
            f.starts_with(STDLIB)
                || f.ends_with(".py")
                || f.ends_with(".pyc")
                || f.contains("libsqlite3")
                || f.contains("libcrypto")
                || f.contains("libssl")
                || f.contains("libffi")
                || f.contains("liblzma")
                || f.contains("libmpdec")
        })
        .collect();
    assert!(bad.is_empty(), "read from disk: {bad:?}");
}

#[test]
fn bundled_library_is_used_when_the_system_copy_is_missing() {
    let lib = "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0";
    let (dir, copy) = isolate(native_exe(), "native-hidden");
    let hide = |program: &str| {
        Command::new("unshare")
            .args([
                "-m",
                "sh",
                "-c",
                &format!("mount --bind /dev/null {lib} && exec env -i {program}"),
            ])
            .current_dir(dir.path())
            .output()
            .expect("unshare")
    };
    let probe = hide(&format!("{PYTHON} -c 'import sqlite3'"));
    if !String::from_utf8_lossy(&probe.stderr).contains("libsqlite3") {
        eprintln!("skipping: cannot hide {lib} here (no mount namespaces?): {probe:?}");
        return;
    }
    // python fails without the system library; the frozen app does not.
    let frozen = hide(copy.to_str().unwrap());
    assert!(
        frozen.status.success(),
        "{}",
        String::from_utf8_lossy(&frozen.stderr)
    );
    assert!(String::from_utf8_lossy(&frozen.stdout).contains("(45,) 3"));
}

#[test]
fn missing_library_warns_at_freeze_and_import_error_names_it() {
    // An extension whose library is nowhere to be found: numpy's core module
    // copied without numpy.libs (its RUNPATH points at ../../numpy.libs).
    let venv = test_venv();
    let site = venv.join("lib/python3.11/site-packages");
    let ext = std::fs::read_dir(site.join("numpy/core"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("_multiarray_umath.")
        })
        .expect("numpy's _multiarray_umath");
    let dir = TempDir::new("missinglib");
    let app_dir = dir.path().join("app");
    std::fs::create_dir_all(app_dir.join("orphan")).unwrap();
    std::fs::write(app_dir.join("orphan/__init__.py"), "").unwrap();
    std::fs::copy(&ext, app_dir.join("orphan").join(ext.file_name().unwrap())).unwrap();
    std::fs::write(
        app_dir.join("__main__.py"),
        "try:\n    import orphan._multiarray_umath\nexcept ImportError as e:\n    print('ImportError:', e)\n",
    )
    .unwrap();
    let out = dir.path().join("app.exe");
    let warning = freeze_succeeds(&[app_dir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(
        warning.contains("libopenblas")
            && warning.contains("needed by extension module orphan._multiarray_umath"),
        "{warning}"
    );
    let run = run_env_i(&out, &[], dir.path(), b"");
    assert!(
        run.stdout
            .starts_with("ImportError: cannot load extension module orphan._multiarray_umath")
            && run.stdout.contains("libopenblas"),
        "{run:?}"
    );
}

fn prefetch_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once(
        &EXE,
        "prefetch",
        &[app("tests/apps/prefetch").to_str().unwrap()],
    )
}

#[test]
fn native_code_imported_at_module_level_is_unpacked_ahead_in_import_order() {
    // Module-level and class-body imports are listed, each extension
    // module after the bundled library it loads; imports in functions and
    // in `except ImportError:` fallbacks are not.
    let out = freeze(&["--list-frozen", prefetch_exe().to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["prefetch"],
        serde_json::json!([
            "_freeze_libs/libcrypto.so.3",
            "_hashlib",
            "_decimal",
            "_json"
        ])
    );
    let names = frozen_names(prefetch_exe());
    for bundled_but_not_prefetched in ["mmap", "_queue"] {
        assert!(names.iter().any(|n| n == bundled_but_not_prefetched));
    }
    let table = freeze(&["--list-frozen", prefetch_exe().to_str().unwrap()]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains(
            "unpacked ahead of import, in this order: _freeze_libs/libcrypto.so.3, _hashlib, _decimal, _json\n"
        ),
        "{table}"
    );
}

#[test]
fn prefetched_native_code_behaves_like_python_across_a_fork() {
    // The app forks before importing what the prefetch thread unpacks: the
    // child (no such thread) unpacks for itself, the parent takes the
    // thread's work; both print what python prints.
    let app_dir = app("tests/apps/prefetch");
    let r = assert_same(
        &app_dir,
        &[app_dir.to_str().unwrap()],
        prefetch_exe(),
        &[],
        b"",
    );
    assert_eq!(r.stdout.lines().count(), 4, "{}", r.stdout);
    // The same with prefetching turned off.
    let (dir, copy) = isolate(prefetch_exe(), "noprefetch");
    let off = Command::new(&copy)
        .env_clear()
        .env("FREEZE_PREFETCH", "0")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(off.status.success(), "{off:?}");
    assert_eq!(String::from_utf8_lossy(&off.stdout), r.stdout);
}
