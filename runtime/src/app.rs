//! The life of a frozen app: find the bundle, boot, run `__main__`, exit the
//! way python would.

use std::ffi::{c_int, CString};
use std::os::unix::ffi::OsStrExt;

use freeze_bundle::{
    python_magic_hex, MainMode, LOADED_FROM_ENV, RUNTIME_MEMFD_NAME, STATUS_UNUSABLE,
};

use crate::cpython::{self, BootConfig, MainRun};
use crate::{payload, RuntimeError, PYTHON_MAGIC, PYTHON_VERSION};

/// The `main` of every frozen executable: returns the process exit status.
pub fn run_app() -> c_int {
    let Some(own) = freeze_bundle::own_exe_or_report() else {
        return STATUS_UNUSABLE;
    };
    let running = own.path.to_string_lossy().into_owned();
    // The file holding the bundle: this process's own executable, or the
    // one a loader was started as.
    let (exe, bundle_file) = match loaded_from(&own) {
        Some(exe) => (exe.clone(), exe),
        None => (running, own.open.to_string_lossy().into_owned()),
    };
    match boot_app(&exe, &bundle_file) {
        Ok(main) => cpython::run_main_and_finalize(main),
        Err(e) => {
            eprintln!("{exe}: {e}");
            STATUS_UNUSABLE
        }
    }
}

/// When this runtime was unpacked and started by the loader of an
/// executable with a compressed runtime (see `loader/`), the path of that
/// executable: it holds the bundle, and is what `sys.executable` names and
/// child processes run. The loader's variable is removed either way, so
/// the app and its children never see it.
fn loaded_from(own: &freeze_bundle::OwnExe) -> Option<String> {
    let from = std::env::var_os(LOADED_FROM_ENV)?;
    std::env::remove_var(LOADED_FROM_ENV);
    // Only the loader's memory file may be told where its bundle is: an
    // ordinary frozen executable always reads its own. Without /proc the
    // memory file cannot be named, but the kernel says the program was
    // executed from a descriptor (`fexecve`), as the loader does.
    let is_loaded = if own.from_proc {
        let running = own.path.to_string_lossy();
        let memfd = format!("/memfd:{RUNTIME_MEMFD_NAME}");
        running == memfd || running.starts_with(&format!("{memfd} "))
    } else {
        freeze_bundle::executed_path().is_some_and(|p| p.starts_with("/dev/fd"))
    };
    is_loaded.then(|| from.to_string_lossy().into_owned())
}

fn boot_app(exe: &str, bundle_file: &str) -> Result<MainRun<'static>, RuntimeError> {
    let bundle = payload::own_bundle(exe, bundle_file)?;
    if bundle.python_magic() != PYTHON_MAGIC {
        return Err(RuntimeError::PythonMismatch {
            found: python_magic_hex(bundle.python_magic()),
            expected: python_magic_hex(PYTHON_MAGIC),
            version: PYTHON_VERSION,
        });
    }
    let (mut main, main_name) = match bundle.main() {
        Some((MainMode::Script, name)) => (MainRun::Script, name),
        Some((MainMode::Module, name)) => (MainRun::Module(name), name),
        None => return Err(RuntimeError::MissingModule("__main__".into())),
    };
    check_boot_modules(&bundle, main_name)?;
    // Virtual paths live under the executable, or under the data directory
    // when the app has package data that must exist on disk.
    let root = match crate::datadir::data_root(&bundle) {
        Ok(Some(dir)) => dir.to_string_lossy().into_owned(),
        Ok(None) => exe.to_owned(),
        Err(e) => return Err(RuntimeError::DataDir(e)),
    };
    let mut argv: Vec<CString> = std::env::args_os()
        .map(|a| CString::new(a.as_bytes()).unwrap_or_default())
        .collect();
    // A process multiprocessing started from this executable runs the
    // requested multiprocessing code instead of the app.
    if bundle.find_module("multiprocessing")?.is_some() {
        // Non-UTF-8 arguments can only be the app's own.
        let args: Option<Vec<String>> = std::env::args_os()
            .skip(1)
            .map(|a| a.into_string().ok())
            .collect();
        if let Some(child) = args.as_deref().and_then(multiprocessing_child) {
            argv = std::iter::once("-c".to_owned())
                .chain(child.argv)
                .map(|a| CString::new(a).unwrap_or_default())
                .collect();
            main = MainRun::Command(child.code);
        }
    }
    // Native code the app imports at module level is unpacked on another
    // core while the interpreter boots and runs the app's Python code.
    // `FREEZE_PREFETCH=0` turns that off, for comparing start-up times.
    if !matches!(main, MainRun::Command(_))
        && std::env::var_os("FREEZE_PREFETCH").is_none_or(|v| v != "0")
    {
        crate::prefetch::start(bundle, root.clone());
    }
    cpython::boot(
        bundle,
        &BootConfig {
            executable: exe,
            root: &root,
            argv: &argv,
            install_signal_handlers: true,
            // Frozen apps ignore PYTHON* variables (isolated mode); this one
            // is ours, for profiling start-up like `python -X importtime`.
            import_time: std::env::var_os("FREEZE_IMPORTTIME").is_some_and(|v| v == "1"),
        },
    )?;
    Ok(main)
}

/// The modules the interpreter imports from the bundle while it starts
/// (`FREEZE_IMPORTTIME=1` of a hello app), where the bundle has them.
const BOOT_MODULES: [&str; 7] = [
    "codecs",
    "encodings",
    "encodings.aliases",
    "encodings.utf_8",
    "abc",
    "io",
    "_freeze_runmain",
];

/// Reads the code of the modules the interpreter needs to start and of the
/// app's main module, so that damage there is the one-line damaged-bundle
/// error (status 2) rather than CPython's fatal-error dump of its path
/// configuration, or "can't find '__main__' module". Costs one more read
/// of a few small modules.
fn check_boot_modules(bundle: &freeze_bundle::Bundle<'_>, main: &str) -> Result<(), RuntimeError> {
    for name in BOOT_MODULES.iter().copied().chain([main]) {
        // CPython has some of them frozen in itself (codecs, abc, io).
        if let Some(code) = bundle.find_module(name)?.and_then(|m| m.code) {
            payload::read_blob_once(bundle, &code, |_| ()).map_err(|source| {
                RuntimeError::DamagedModule {
                    name: name.to_owned(),
                    source,
                }
            })?;
        }
    }
    Ok(())
}

/// What a multiprocessing child process runs.
#[derive(Debug, PartialEq)]
struct MultiprocessingChild {
    code: String,
    /// `sys.argv[1:]` (after python's `-c`).
    argv: Vec<String>,
}

/// Recognises the exact command lines CPython's multiprocessing uses to
/// re-execute `sys.executable` (see docs/user-guide.md for the rule):
///
/// * spawn workers of a frozen app: `--multiprocessing-fork` followed only
///   by `name=integer` arguments, one of them `pipe_handle`
///   (`spawn.get_command_line`);
/// * the resource tracker and the forkserver: interpreter flags, then `-c`
///   and code that starts `from multiprocessing.` and imports its `main`,
///   as the last argument.
///
/// Anything else is the app's own command line.
fn multiprocessing_child(args: &[String]) -> Option<MultiprocessingChild> {
    if args.first().map(String::as_str) == Some("--multiprocessing-fork") {
        let mut kwargs = Vec::new();
        for arg in &args[1..] {
            let (key, value) = arg.split_once('=')?;
            let key_ok = !key.is_empty()
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !key.starts_with(|c: char| c.is_ascii_digit());
            if !key_ok || value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            kwargs.push(format!("{key}={value}"));
        }
        // spawn_main always receives the pipe to its parent.
        if !kwargs.iter().any(|k| k.starts_with("pipe_handle=")) {
            return None;
        }
        return Some(MultiprocessingChild {
            code: format!(
                "from multiprocessing.spawn import spawn_main; spawn_main({})",
                kwargs.join(", ")
            ),
            argv: vec!["--multiprocessing-fork".to_owned()],
        });
    }
    if let Some(child) = loky_worker(args) {
        return Some(child);
    }
    let c = args.iter().position(|a| a == "-c")?;
    let flags_ok = args[..c]
        .iter()
        .all(|a| a.starts_with('-') && a.len() > 1 && a != "--")
        || interpreter_flags_with_values(&args[..c]);
    let code = args.get(c + 1)?;
    let known = [
        "from multiprocessing.resource_tracker import main",
        "from multiprocessing.forkserver import main",
        // loky's own resource tracker (joblib's process pools).
        "from loky.backend.resource_tracker import main",
        "from joblib.externals.loky.backend.resource_tracker import main",
    ];
    if !flags_ok || c + 2 != args.len() || !known.iter().any(|k| code.starts_with(k)) {
        return None;
    }
    Some(MultiprocessingChild {
        code: code.clone(),
        argv: Vec::new(),
    })
}

/// loky's workers (joblib's default process pool): `-m` and its
/// `popen_loky_posix` module, then `--process-name NAME` and `--pipe FD`,
/// run as python runs `-m` (a process pool that re-ran the app instead
/// started pools of its own, without end).
fn loky_worker(args: &[String]) -> Option<MultiprocessingChild> {
    const MODULES: [&str; 2] = [
        "loky.backend.popen_loky_posix",
        "joblib.externals.loky.backend.popen_loky_posix",
    ];
    let (flag, rest) = args.split_first()?;
    let (module, options) = rest.split_first()?;
    if flag != "-m" || !MODULES.contains(&module.as_str()) {
        return None;
    }
    let mut i = 0;
    let mut has_pipe = false;
    while i < options.len() {
        let value = options.get(i + 1)?;
        match options[i].as_str() {
            "--pipe" if value.chars().all(|c| c.is_ascii_digit()) => has_pipe = true,
            "--process-name" => {}
            _ => return None,
        }
        i += 2;
    }
    has_pipe.then(|| MultiprocessingChild {
        code: format!(
            "import runpy; runpy.run_module({module:?}, run_name=\"__main__\", alter_sys=True)"
        ),
        argv: options.to_vec(),
    })
}

/// `-X opt` / `-W opt` pairs as `subprocess._args_from_interpreter_flags`
/// writes them, mixed with single flags.
fn interpreter_flags_with_values(args: &[String]) -> bool {
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-X" | "-W" if i + 1 < args.len() => i += 2,
            a if a.starts_with('-') && a.len() > 1 && a != "--" && a != "-c" => i += 1,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::multiprocessing_child;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_spawn_workers() {
        let child = multiprocessing_child(&args(&[
            "--multiprocessing-fork",
            "tracker_fd=5",
            "pipe_handle=7",
        ]))
        .unwrap();
        assert_eq!(
            child.code,
            "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)"
        );
    }

    #[test]
    fn recognises_resource_tracker_and_forkserver() {
        let rt = args(&[
            "-I",
            "-S",
            "-c",
            "from multiprocessing.resource_tracker import main;main(9)",
        ]);
        assert!(multiprocessing_child(&rt).is_some());
        let fs = args(&[
            "-X",
            "utf8",
            "-c",
            "from multiprocessing.forkserver import main; main(3, 4, ['__main__'], **{})",
        ]);
        assert!(multiprocessing_child(&fs).is_some());
    }

    #[test]
    fn recognises_loky_workers_and_its_resource_tracker() {
        let worker = multiprocessing_child(&args(&[
            "-m",
            "joblib.externals.loky.backend.popen_loky_posix",
            "--process-name",
            "LokyProcess-1",
            "--pipe",
            "9",
        ]))
        .unwrap();
        assert_eq!(
            worker.code,
            "import runpy; runpy.run_module(\"joblib.externals.loky.backend.popen_loky_posix\", \
             run_name=\"__main__\", alter_sys=True)"
        );
        assert_eq!(
            worker.argv,
            ["--process-name", "LokyProcess-1", "--pipe", "9"]
        );
        let tracker = args(&[
            "-c",
            "from joblib.externals.loky.backend.resource_tracker import main; main(7, False)",
        ]);
        assert!(multiprocessing_child(&tracker).is_some());
    }

    #[test]
    fn user_arguments_stay_the_apps() {
        for a in [
            &["-c", "print(1)"][..],
            &["--multiprocessing-fork"][..],
            &["--multiprocessing-fork", "x"],
            &["--multiprocessing-fork", "tracker_fd=5"],
            &["--multiprocessing-fork", "fd=1;import os"],
            &[
                "file.txt",
                "-c",
                "from multiprocessing.forkserver import main",
            ],
            &["-c", "from multiprocessing.forkserver import main", "extra"],
            &["-c", "import os; from multiprocessing.spawn import x"],
            &["--verbose"],
            &["-m", "joblib.externals.loky.backend.popen_loky_posix"],
            &["-m", "loky.backend.popen_loky_posix", "--pipe", "x"],
            &["-m", "mymod", "--pipe", "5"],
            &[
                "-m",
                "loky.backend.popen_loky_posix",
                "--pipe",
                "5",
                "--other",
                "1",
            ],
        ] {
            assert_eq!(multiprocessing_child(&args(a)), None, "{a:?}");
        }
    }
}
