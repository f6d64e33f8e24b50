//! The progress spinner on stderr (only on a terminal, only once a step
//! takes more than half a second) and `-q` (errors only), run under a
//! pseudo-terminal with `script`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs `freeze args` under a pseudo-terminal (`script -qefc`): its exit
/// status and everything it printed on the terminal.
fn freeze_on_tty(args: &[String]) -> (Option<i32>, String) {
    let mut command = String::from("exec");
    for a in std::iter::once(freeze_bin().to_str().unwrap().to_owned()).chain(args.iter().cloned())
    {
        command.push_str(" '");
        command.push_str(&a.replace('\'', "'\\''"));
        command.push('\'');
    }
    let out = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .output()
        .expect("script (util-linux) is needed for this test");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn spinner_on_a_terminal_only_and_quiet_prints_nothing() {
    let venv = test_venv();
    let dir = TempDir::new("progress");
    let app = write_app(
        dir.path(),
        &[("app.py", "import rich.console, click, yaml\nprint('ok')\n")],
    );
    let script = app.join("app.py");
    let args = |out: &Path, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![
            script.to_str().unwrap().into(),
            "--python".into(),
            venv.join("bin/python").to_str().unwrap().into(),
            // No cache: compiling and compressing takes seconds.
            "--no-cache".into(),
            "-o".into(),
            out.to_str().unwrap().into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };

    // On a terminal: the spinner names the step, then the summary.
    let out = dir.path().join("tty");
    let (code, text) = freeze_on_tty(&args(&out, &[]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("freezing "), "no spinner:\n{text}");
    assert!(
        text.contains("\x1b[2K"),
        "the spinner is never cleared:\n{text}"
    );
    assert!(text.contains("froze "), "{text}");
    // rich's optional imports are warned about.
    assert!(
        text.contains("warning: these imports could not be resolved"),
        "{text}"
    );

    // Not on a terminal: no spinner.
    let piped = dir.path().join("piped");
    let a = args(&piped, &[]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let stderr = freeze_succeeds(&a);
    assert!(!stderr.contains("freezing "), "{stderr}");
    assert!(!stderr.contains('\r'), "{stderr:?}");
    assert!(stderr.contains("froze "), "{stderr}");

    // -q: nothing at all, on a terminal or not, and the executable works.
    let quiet = dir.path().join("quiet");
    let (code, text) = freeze_on_tty(&args(&quiet, &["-q"]));
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(text, "");
    let a = args(&quiet, &["-q"]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    assert_eq!(freeze_succeeds(&a), "");
    let run = run_env_i(&quiet, &[], dir.path(), b"");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "ok\n"),
        "{}",
        run.stderr
    );

    // -q still prints errors, on one line.
    let (code, text) = freeze_on_tty(&[
        "-q".into(),
        "/nonexistent/app.py".into(),
        "-o".into(),
        "x".into(),
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.starts_with("error: "), "{text}");
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    // -q with -v is refused.
    let out = freeze(&["-q", "-v", "app.py", "-o", "x"]);
    assert_eq!(out.status.code(), Some(2));
}
