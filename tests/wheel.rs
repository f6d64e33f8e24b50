//! freeze shipped as a wheel, the way ruff and uv ship theirs: maturin
//! (`bindings = "bin"`, packager/pyproject.toml) builds
//! `freeze-*.whl`, which pip installs into a fresh venv made from
//! /usr/bin/python3.11; the installed `freeze` is on that venv's PATH and
//! uses that venv's packages by default.
//!
//! The wheel is built by a release build in its own target directory,
//! `target/wheel-build` (a nested cargo cannot use the one `cargo test`
//! holds): ~5 min on 2 cores the first time, seconds once cached.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn wheel_installs_freeze_into_a_venv_that_it_then_uses() {
    let repo = repo();
    let target = repo.join("target");
    let maturin_venv = venv_with("maturin", &["maturin==1.16.0"]);
    let dir = TempDir::new("wheel");
    let wheels = dir.path().join("wheels");
    let started = Instant::now();
    let lock = fs::File::create(target.join("wheel-build.lock")).unwrap();
    lock.lock().unwrap();
    let out = Command::new(maturin_venv.join("bin/maturin"))
        .args(["build", "--release", "-m", "packager/Cargo.toml"])
        .arg("--target-dir")
        .arg(target.join("wheel-build"))
        .arg("-o")
        .arg(&wheels)
        .current_dir(&repo)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run maturin");
    drop(lock);
    assert!(
        out.status.success(),
        "maturin build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("maturin build: {:.1} s", started.elapsed().as_secs_f64());
    let wheel = fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("freeze-") && name.ends_with(".whl")
        })
        .expect("maturin wrote freeze-*.whl");

    // A fresh venv with the wheel and a module of its own in site-packages.
    let venv = dir.path().join("venv");
    let status = Command::new(PYTHON)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let out = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "--no-index", "--disable-pip-version-check"])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip install {}:\n{}",
        wheel.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(
        venv.join("lib/python3.11/site-packages/greeting_lib.py"),
        "def greet(who):\n    return f'hello, {who}, from the venv'\n",
    )
    .unwrap();

    let app = write_app(
        dir.path(),
        &[(
            "app.py",
            "import sys, greeting_lib\nprint(greeting_lib.greet(sys.argv[1]), sys.frozen)\n",
        )],
    );
    // `freeze` found on PATH (the venv's bin first, not activated): the
    // installed one, using the venv's packages with no --python.
    let path = format!("{}:/usr/bin:/bin", venv.join("bin").display());
    let out = Command::new("sh")
        .args(["-c", "command -v freeze && freeze app.py -o hello -v"])
        .current_dir(&app)
        .env_clear()
        .env("PATH", &path)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "installed freeze failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), s(&venv.join("bin/freeze")));
    // The venv's interpreter, not `python3` on PATH (that venv's too).
    let stderr = String::from_utf8_lossy(&out.stderr);
    let wanted = format!("packages of {}:", venv.join("bin/python").display());
    assert!(stderr.contains(&wanted), "{wanted} missing from:\n{stderr}");
    let exe = app.join("hello");
    let (_d, copy) = isolate(&exe, "wheel-run");
    let run = run_env_i(&copy, &["you"], copy.parent().unwrap(), b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "hello, you, from the venv True\n");
}
