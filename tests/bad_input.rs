//! Bad input gets a clear error: exit code 2, a few lines, no panic, no
//! Python traceback from freeze itself, and never a partial output file.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;

fn assert_clean_error(args: &[&str], expect: &[&str]) -> String {
    let out = freeze(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "freeze {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(
        !stderr.contains("Traceback (most recent call last)"),
        "traceback: {stderr}"
    );
    assert!(stderr.lines().count() <= 6, "too long: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
    }
    stderr
}

/// freeze's whole stderr for `args`, which must fail cleanly (exit 2), with
/// the paths that differ between runs replaced: `temp` by `[TEMP]`, the
/// repository by `[REPO]`. Compared with a reviewed snapshot
/// (`tests/snapshots/bad_input__NAME.snap`): after a deliberate change of
/// message, `INSTA_UPDATE=always cargo test -p freeze --test bad_input`
/// rewrites them (or `cargo insta review`), and the diff is reviewed.
fn error_snapshot(args: &[&str], temp: &Path) -> String {
    let stderr = assert_clean_error(args, &[]);
    stderr
        .replace(temp.to_str().unwrap(), "[TEMP]")
        .replace(repo().to_str().unwrap(), "[REPO]")
}

fn no_leftovers(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "freeze left files behind: {left:?}");
}

#[test]
fn missing_app() {
    let dir = TempDir::new("bad");
    let out = dir.path().join("x");
    insta::assert_snapshot!(
        "missing_app",
        error_snapshot(
            &["/nonexistent/app", "-o", out.to_str().unwrap()],
            dir.path()
        )
    );
    no_leftovers(dir.path());
}

#[test]
fn directory_without_main() {
    let dir = TempDir::new("bad");
    let out = dir.path().join("x");
    insta::assert_snapshot!(
        "directory_without_main",
        error_snapshot(
            &[
                app("tests/apps/no_main").to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
            dir.path()
        )
    );
    no_leftovers(dir.path());
}

#[test]
fn dash_m_module_not_found() {
    let dir = TempDir::new("bad");
    let out = dir.path().join("x");
    insta::assert_snapshot!(
        "dash_m_module_not_found",
        error_snapshot(
            &[
                app("tests/apps/modapp").to_str().unwrap(),
                "-m",
                "mypkg.nothere",
                "-o",
                out.to_str().unwrap(),
            ],
            dir.path()
        )
    );
    no_leftovers(dir.path());
}

#[test]
fn syntax_error_names_file_line_column_and_text() {
    let dir = TempDir::new("bad");
    let out = dir.path().join("x");
    insta::assert_snapshot!(
        "syntax_error",
        error_snapshot(
            &[
                app("tests/apps/syntax_error").to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
            dir.path()
        )
    );
    no_leftovers(dir.path());
}

#[test]
fn output_in_missing_or_unwritable_directory() {
    assert_clean_error(
        &[
            app("examples/hello").to_str().unwrap(),
            "-o",
            "/nonexistent-dir/app",
        ],
        &["/nonexistent-dir", "does not exist"],
    );
    let dir = TempDir::new("ro");
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let target = ro.join("app");
    // Root ignores directory permissions (CI runs as root), so the
    // directory is also made read-only for root: a read-only bind mount of
    // it in a mount namespace of freeze's own.
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c"])
        .arg("mount --bind -o ro \"$1\" \"$1\" && shift && exec \"$@\"")
        .arg("sh")
        .arg(&ro)
        .arg(freeze_bin())
        .args([
            app("examples/hello").to_str().unwrap(),
            "-o",
            target.to_str().unwrap(),
        ])
        .output()
        .expect("unshare (util-linux); CI runs as root");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: cannot ") && stderr.contains("Read-only file system"),
        "{stderr}"
    );
    no_leftovers(&ro);
    let out = dir.path().join("ro");
    assert_clean_error(
        &[
            app("examples/hello").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &["is a directory"],
    );
}

#[test]
fn output_pointing_at_an_input_file() {
    let dir = TempDir::new("in");
    let script = dir.path().join("app.py");
    fs::write(&script, "print('hi')\n").unwrap();
    let s = script.to_str().unwrap();
    insta::assert_snapshot!(
        "output_is_the_script",
        error_snapshot(&[s, "-o", s], dir.path())
    );
    assert_eq!(fs::read_to_string(&script).unwrap(), "print('hi')\n");
    let pkg = dir.path().join("pkg");
    fs::create_dir(&pkg).unwrap();
    fs::write(pkg.join("__main__.py"), "import helper\n").unwrap();
    fs::write(pkg.join("helper.py"), "X = 1\n").unwrap();
    let helper = pkg.join("helper.py");
    insta::assert_snapshot!(
        "output_is_a_module_of_the_app",
        error_snapshot(
            &[pkg.to_str().unwrap(), "-o", helper.to_str().unwrap()],
            dir.path()
        )
    );
    assert_eq!(fs::read_to_string(&helper).unwrap(), "X = 1\n");
}

#[test]
fn list_frozen_on_non_executables_and_plain_executables() {
    let dir = TempDir::new("list");
    let text = dir.path().join("notes.txt");
    fs::write(&text, "not an executable").unwrap();
    insta::assert_snapshot!(
        "list_frozen_text_file",
        error_snapshot(&["--list-frozen", text.to_str().unwrap()], dir.path())
    );
    insta::assert_snapshot!(
        "list_frozen_plain_executable",
        error_snapshot(&["--list-frozen", "/bin/true"], dir.path())
    );
    insta::assert_snapshot!(
        "list_frozen_missing_file",
        error_snapshot(&["--list-frozen", "/nonexistent/exe"], dir.path())
    );
    assert_clean_error(
        &["--list-frozen", "/bin/true", "--by-package"],
        &["/bin/true", "without a freeze bundle"],
    );
    assert_clean_error(
        &["app.py", "--by-package"],
        &["--by-package", "--list-frozen"],
    );
    assert_clean_error(&["app.py", "--json"], &["--json", "--list-frozen"]);
}

#[test]
fn list_frozen_on_truncated_and_bit_flipped_bundles() {
    let dir = TempDir::new("damaged");
    let exe = freeze_ok(
        &[app("examples/hello").to_str().unwrap()],
        dir.path(),
        "hello",
    );
    let good = fs::read(&exe).unwrap();
    let payload_len = {
        let out = freeze(&["--list-frozen", exe.to_str().unwrap(), "--json"]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["bundle_size"].as_u64().unwrap() as usize
    };
    // Truncated: cut the file in the middle of the bundle.
    let cut = dir.path().join("cut");
    fs::write(&cut, &good[..good.len() - payload_len / 2]).unwrap();
    assert_clean_error(&["--list-frozen", cut.to_str().unwrap()], &["cut"]);
    // Bit flips in the bundle header, index and a blob.
    let start = find_payload_start(&good);
    for offset in [start + 13, start + 200, start + payload_len - 100] {
        let mut bad = good.clone();
        bad[offset] ^= 0x10;
        let p = dir.path().join(format!("flip{offset}"));
        common::write_executable(&p, &bad);
        assert_clean_error(&["--list-frozen", p.to_str().unwrap()], &["damaged"]);
        // The executable itself refuses to run a damaged bundle cleanly.
        let run = run_env_i(&p, &[], dir.path(), b"");
        if offset < start + 1000 {
            assert_eq!(run.code, Some(2), "{offset}: {}", run.stderr);
            assert!(run.stderr.contains("damaged bundle"), "{}", run.stderr);
        }
        assert!(
            run.signal.is_none(),
            "crashed on a flip at {offset}: {run:?}"
        );
    }
}

fn find_payload_start(exe: &[u8]) -> usize {
    exe.windows(8)
        .rposition(|w| w == b"FRZBNDL\0")
        .expect("bundle magic")
}

#[test]
fn strict_fails_on_unresolved_imports_and_warnings_name_the_importer() {
    let dir = TempDir::new("strict");
    let app_dir = write_app(
        dir.path(),
        &[
            ("__main__.py", "import helper\n"),
            (
                "helper.py",
                "try:\n    import not_installed_anywhere\nexcept ImportError:\n    pass\n",
            ),
        ],
    );
    let out = dir.path().join("out");
    let o = freeze(&[app_dir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success());
    let warn = String::from_utf8_lossy(&o.stderr);
    assert!(
        warn.contains("not_installed_anywhere (imported by helper)"),
        "{warn}"
    );
    fs::remove_file(&out).unwrap();
    insta::assert_snapshot!(
        "strict_unresolved_import",
        error_snapshot(
            &[
                app_dir.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--strict",
            ],
            dir.path()
        )
    );
    assert!(!out.exists());
}

#[test]
fn python_that_is_not_cpython_3_11_is_refused() {
    let dir = TempDir::new("py312");
    let fake = dir.path().join("python");
    common::write_executable(
        &fake,
        b"#!/bin/sh\necho '{\"implementation\": \"cpython\", \"version\": [3, 12, 1], \"path\": [], \"stdlib\": [\"/x\", \"/x\"]}'\n",
    );
    let out = dir.path().join("out");
    assert_clean_error(
        &[
            app("examples/hello").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--python",
            fake.to_str().unwrap(),
        ],
        &["3.12.1", "CPython 3.11"],
    );
    assert_clean_error(
        &[
            app("examples/hello").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--python",
            "/nonexistent/python",
        ],
        &["/nonexistent/python"],
    );
    assert_clean_error(
        &[
            app("examples/hello").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--add-data",
            "/nonexistent:x",
        ],
        &["--add-data", "does not exist"],
    );
}

#[test]
fn bundle_for_another_python_is_refused_at_run_time() {
    let dir = TempDir::new("magic");
    let exe = freeze_ok(
        &[app("examples/hello").to_str().unwrap()],
        dir.path(),
        "hello",
    );
    let mut bytes = fs::read(&exe).unwrap();
    let start = find_payload_start(&bytes);
    // Another CPython's bytecode magic, with the header checksum redone so
    // only the magic differs.
    bytes[start + 12..start + 16].copy_from_slice(&[0xcb, 0x0d, 0x0d, 0x0a]);
    // The header checksum: its last 8 bytes, over the bytes before them.
    let checksum_at = start + freeze_bundle::HEADER_LEN - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[start..checksum_at]);
    bytes[checksum_at..checksum_at + 8].copy_from_slice(&sum.to_le_bytes());
    let other = dir.path().join("other");
    common::write_executable(&other, &bytes);
    let run = run_env_i(&other, &[], dir.path(), b"");
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("different Python (bytecode magic cb0d0d0a"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

/// An executable with a compressed runtime whose runtime section is
/// damaged or cut off fails with one clear line and status 2, never by
/// running damaged code.
#[test]
fn damaged_compressed_runtime_is_refused_at_start() {
    let dir = TempDir::new("damaged-runtime");
    let exe = freeze_ok(
        &[
            app("examples/hello").to_str().unwrap(),
            "--compress-runtime",
        ],
        dir.path(),
        "hello",
    );
    let good = fs::read(&exe).unwrap();
    let runtime = freeze_bundle::find_runtime_in_elf(&good)
        .unwrap()
        .expect("a .freeze-runtime section");
    let start = runtime.as_ptr() as usize - good.as_ptr() as usize;
    let len = runtime.len();
    for offset in [start + 2, start + 40, start + len / 3, start + len - 5] {
        let mut bad = good.clone();
        bad[offset] ^= 0x10;
        let p = dir.path().join(format!("flip{offset}"));
        common::write_executable(&p, &bad);
        let run = run_env_i(&p, &[], dir.path(), b"");
        assert_eq!(run.code, Some(2), "flip at {offset}: {run:?}");
        assert!(
            run.stderr.contains("cannot start the runtime")
                && run.stderr.contains(".freeze-runtime section is damaged"),
            "flip at {offset}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    let cut = dir.path().join("cut");
    common::write_executable(&cut, &good[..start + len / 2]);
    let run = run_env_i(&cut, &[], dir.path(), b"");
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("cannot start the runtime"),
        "{}",
        run.stderr
    );
}
