//! Frozen apps in hostile environments behave as python does, or fail with
//! one clear line: closed standard streams, memory files that must not be
//! rewritten (issue 17).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

/// Runs `program args` through `sh -c 'exec "$0" "$@" <redirections>'`
/// under `env -i`, in `cwd`: (exit code, stderr).
fn run_redirected(
    program: &Path,
    args: &[&str],
    redirections: &str,
    cwd: &Path,
) -> (Option<i32>, String) {
    let script = format!("exec \"$0\" \"$@\" {redirections}");
    let out = Command::new("env")
        .arg("-i")
        .arg("/bin/sh")
        .arg("-c")
        .arg(&script)
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run sh");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
        let (py_code, py_err) = run_redirected(
            Path::new(PYTHON),
            &["-B", app_dir.to_str().unwrap()],
            redirections,
            dir.path(),
        );
        let (fr_code, fr_err) = run_redirected(&copy, &[], redirections, run_dir.path());
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
fn loaded_memory_files_are_sealed() {
    // F_GET_SEALS of every memory file the app holds once libbz2 and _bz2
    // are loaded: write, shrink, grow and seal (15).
    let dir = TempDir::new("sealed");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import bz2, fcntl, os\n\
             seals = set()\n\
             for fd in os.listdir('/proc/self/fd'):\n\
             \x20   try:\n\
             \x20       target = os.readlink('/proc/self/fd/' + fd)\n\
             \x20   except OSError:\n\
             \x20       continue\n\
             \x20   if target.startswith('/memfd:'):\n\
             \x20       seals.add(fcntl.fcntl(int(fd), 1034))\n\
             print(sorted(seals))\n",
        )],
    );
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "sealed",
    );
    let (run_dir, copy) = isolate(&exe, "sealed-run");
    let r = run_env_i(&copy, &[], run_dir.path(), b"");
    assert_eq!(r.stdout, "[15]\n", "{}", r.stderr);
}
