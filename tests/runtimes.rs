//! The runtime follows the interpreter: an interpreter of another version
//! than the one `freeze` embeds hands the whole command line to that
//! version's `freeze-3.X` (beside `freeze`, else on PATH), and without one
//! freezing stops with exit status 2 saying what is at hand and how to add
//! the version. The interpreters here are stand-ins that answer freeze's
//! query as CPython 3.12 would; tests/py313.rs drives a real 3.13.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;

/// A stand-in interpreter answering as CPython 3.12.1 does.
fn python_312(dir: &Path) -> std::path::PathBuf {
    let python = dir.join("python3.12");
    write_executable(
        &python,
        br#"#!/bin/sh
echo '{"implementation": "cpython", "executable": "/opt/py312/bin/python3.12", "version": [3, 12, 1], "path": [], "stdlib": ["/opt/py312/lib/python3.12", "/opt/py312/lib/python3.12"]}'
"#,
    );
    python
}

/// `freeze examples/hello -o OUT --python PYTHON EXTRA...` with PATH
/// `path` and the environment `env`.
fn freeze_hello_for(
    python: &Path,
    out: &Path,
    extra: &[&str],
    path: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    Command::new(freeze_bin())
        .arg(app("examples/hello"))
        .arg("-o")
        .arg(out)
        .arg("--python")
        .arg(python)
        .args(extra)
        .env("PATH", path)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn another_version_without_its_freeze_stops_with_what_is_at_hand() {
    let dir = TempDir::new("runtimes-missing");
    let python = python_312(dir.path());
    let out = dir.path().join("app");
    let result = freeze_hello_for(&python, &out, &[], "/usr/bin:/bin", &[]);
    let (status, stdout, stderr) = status_and_output(&result);
    assert_eq!(status, Some(2), "{stderr}");
    assert_eq!(stdout, "");
    let stderr = stderr.replace(dir.path().to_str().unwrap(), "[TEMP]");
    let embedded = stderr
        .lines()
        .next()
        .and_then(|l| l.split("this freeze embeds CPython ").nth(1))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or("?")
        .to_owned();
    assert!(embedded.starts_with("3."), "{stderr}");
    let mut lines = stderr.lines();
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "error: [TEMP]/python3.12 is CPython 3.12.1, and this freeze embeds CPython \
                 {embedded}, and no freeze-3.12 is installed beside it or on PATH."
            )
            .as_str()
        )
    );
    let at_hand = lines.next().unwrap_or("");
    assert!(
        at_hand.starts_with(&format!("  Versions at hand: {embedded} (this freeze)")),
        "{stderr}"
    );
    assert_eq!(
        lines.next(),
        Some(
            "  Freeze with an interpreter of one of them (--python), or add 3.12: in freeze's \
             source tree, `cpython/build-freeze 3.12` builds CPython 3.12 from source and \
             installs freeze-3.12 beside freeze (docs/runtimes.md)"
        )
    );
    assert_eq!(lines.next(), None, "{stderr}");
    assert!(!out.exists(), "no output may be written");
}

#[test]
fn another_version_is_handed_to_its_freeze_with_the_whole_command_line() {
    let dir = TempDir::new("runtimes-hand-over");
    let python = python_312(dir.path());
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    // Records how it was run, and fails as a freeze may.
    write_executable(
        &bin.join("freeze-3.12"),
        br#"#!/bin/sh
printf '%s\n' "$@" > "$(dirname "$0")/args"
echo "handed over: $FREEZE_HANDED_OVER" >&2
exit 3
"#,
    );
    let out = dir.path().join("app");
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let result = freeze_hello_for(&python, &out, &["-q"], &path, &[]);
    let (status, stdout, stderr) = status_and_output(&result);
    assert_eq!(
        (status, stdout.as_str(), stderr.as_str()),
        (Some(3), "", "handed over: 1\n")
    );
    let args = fs::read_to_string(bin.join("args")).unwrap();
    assert_eq!(
        args,
        format!(
            "{}\n-o\n{}\n--python\n{}\n-q\n",
            app("examples/hello").display(),
            out.display(),
            python.display()
        )
    );
    // A freeze-3.12 that hands back (it embeds another version, or was
    // renamed) is not run again: the second freeze reports the mismatch.
    let result = freeze_hello_for(&python, &out, &[], &path, &[("FREEZE_HANDED_OVER", "1")]);
    let (status, _, stderr) = status_and_output(&result);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(
        stderr.contains("yet another freeze ran it as the freeze for 3.12: rebuild that one with `cpython/build-freeze 3.12`"),
        "{stderr}"
    );
    assert!(!out.exists());
}
