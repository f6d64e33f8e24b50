//! The process model: multiprocessing with each start method, process
//! pools, re-executing sys.executable, fork and asyncio subprocesses, all
//! with no freeze_support() in the app; compared with python3.11, with
//! timeouts (a re-exec loop fails the test), counting leftover processes
//! and /dev/shm segments.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn procs() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once(
        &EXE,
        "procs",
        &[app("tests/apps/procs/procs.py").to_str().unwrap()],
    )
}

fn shm_segments() -> BTreeSet<String> {
    fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Processes whose executable is `exe` (stragglers after the app exits).
fn processes_of(exe: &std::path::Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if fs::read_link(entry.path().join("exe")).ok().as_deref() == Some(exe) {
            pids.push(pid);
        }
    }
    pids
}

/// Process and /dev/shm counts are global: one scenario at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn same(args: &[&str]) -> Run {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let script = app("tests/apps/procs/procs.py");
    let before = shm_segments();
    let (dir, copy) = isolate(procs(), "procs-run");
    let r = assert_same(&script, &[script.to_str().unwrap()], &copy, args, b"");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        processes_of(&copy).is_empty(),
        "{args:?} left processes behind"
    );
    let leaked: Vec<String> = shm_segments().difference(&before).cloned().collect();
    assert!(
        leaked.is_empty(),
        "{args:?} leaked shared memory: {leaked:?}"
    );
    drop(dir);
    r
}

#[test]
fn pools_with_every_start_method() {
    for method in ["fork", "spawn", "forkserver"] {
        assert_eq!(
            same(&["mp-pool", method]).stdout,
            format!("{method} [0, 1, 4, 9, 16, 25]\n")
        );
    }
}

#[test]
fn process_with_queue_and_manager() {
    for method in ["fork", "spawn", "forkserver"] {
        assert!(same(&["mp-queue", method])
            .stdout
            .ends_with("[0, 10, 20]\nexitcode 0\n"));
        assert_eq!(
            same(&["mp-manager", method]).stdout,
            format!("{method} [('a', 'A'), ('b', 'B')]\n")
        );
    }
}

#[test]
fn shared_memory_and_process_pool_executor() {
    for method in ["spawn", "forkserver", "fork"] {
        assert_eq!(
            same(&["mp-shm", method]).stdout,
            format!("{method} b'hello'\n")
        );
        assert_eq!(
            same(&["mp-executor", method]).stdout,
            format!("{method} [0, 1, 4, 9, 16]\n")
        );
    }
}

#[test]
fn worker_exit_and_crashes() {
    for method in ["spawn", "fork"] {
        assert_eq!(
            same(&["mp-exit", method]).stdout,
            format!("{method} worker exitcode 7\n")
        );
        assert!(same(&["mp-crash", method, "exit"])
            .stdout
            .contains("broken pool: BrokenProcessPool"));
        assert!(same(&["mp-crash", method, "segv"])
            .stdout
            .contains("broken pool: BrokenProcessPool"));
    }
}

#[test]
fn reexecuting_sys_executable_runs_the_app() {
    let (dir, copy) = isolate(procs(), "reexec");
    let r = run_env_i(&copy, &["reexec"], dir.path(), b"");
    assert_eq!(
        r.stdout, "child said: child running with ['child', 'from-parent'] 5\n",
        "{}",
        r.stderr
    );
}

#[test]
fn fork_and_asyncio_subprocesses() {
    assert_eq!(same(&["fork"]).stdout, "forked child computed 499500 0\n");
    assert_eq!(same(&["asyncio-subprocess"]).stdout, "('async child', 0)\n");
}

#[test]
fn internal_looking_arguments_reach_the_app() {
    // Shapes multiprocessing never uses are the app's own arguments, even
    // first on the command line; python gives them to the script too.
    for args in [
        &["args", "-c", "print(1)"][..],
        &["args", "--multiprocessing-fork"],
        &["-c", "print('not run')"],
        &["--multiprocessing-fork", "not=valid;code"],
        &["--multiprocessing-fork", "tracker_fd=x"],
        &["-c", "from multiprocessing.forkserver import main", "extra"],
        &["-I", "-c", "import os"],
    ] {
        let r = same(args);
        assert!(r.stdout.starts_with("app arguments:"), "{args:?}: {r:?}");
    }
}

#[test]
fn sigterm_to_a_parent_with_live_workers() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (dir, copy) = isolate(procs(), "sigterm");
    let mut child = Command::new(&copy)
        .args(["mp-pool", "spawn"])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    kill(child.id(), 15);
    let status = wait_with_timeout(&mut child, 30, "the frozen app after SIGTERM");
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.signal() == Some(15) || status.success(),
        "{status:?}"
    );
    // Workers notice their parent's death on their pipe to it; under load
    // that takes longer than an idle machine's few milliseconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !processes_of(&copy).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        processes_of(&copy).is_empty(),
        "workers outlived the parent by 15 s"
    );
}

fn kill(pid: u32, sig: i32) {
    Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
}
