//! Native code from memory: the stdlib's extension modules and the shared
//! libraries they need, loaded from memfd, never from the filesystem.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn native_exe() -> &'static PathBuf {
    static EXE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &EXE.get_or_init(|| {
        let dir = TempDir::new("native");
        let exe = freeze_ok(
            &[app("tests/apps/native_stdlib").to_str().unwrap()],
            dir.path(),
            "native",
        );
        (dir, exe)
    })
    .1
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
