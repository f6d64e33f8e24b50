//! The life of a frozen app: find the bundle, boot, run `__main__`, exit the
//! way python would.

use std::ffi::{c_int, CString};
use std::os::unix::ffi::OsStrExt;

use freeze_bundle::MainMode;

use crate::cpython::{self, BootConfig, MainRun};
use crate::{magic_hex, payload, RuntimeError, PYTHON_MAGIC, PYTHON_VERSION};

/// Exit status when the executable itself is unusable (python's status for
/// "can't open file").
const STATUS_UNUSABLE: c_int = 2;

/// The `main` of every frozen executable: returns the process exit status.
pub fn run_app() -> c_int {
    let exe = std::fs::read_link("/proc/self/exe")
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| std::env::args().next().unwrap_or_default());
    match boot_app(&exe) {
        Ok(main) => cpython::run_main_and_finalize(main),
        Err(e) => {
            eprintln!("{exe}: {e}");
            STATUS_UNUSABLE
        }
    }
}

fn boot_app(exe: &str) -> Result<MainRun<'static>, RuntimeError> {
    let bundle = payload::own_bundle(exe)?;
    if bundle.python_magic() != PYTHON_MAGIC {
        return Err(RuntimeError::PythonMismatch {
            found: magic_hex(bundle.python_magic()),
            expected: magic_hex(PYTHON_MAGIC),
            version: PYTHON_VERSION,
        });
    }
    let main = match bundle.main()? {
        Some((MainMode::Script, _)) => MainRun::Script,
        Some((MainMode::Module, name)) => MainRun::Module(name),
        None => return Err(RuntimeError::MissingModule("__main__".into())),
    };
    // Virtual paths live under the executable, or under the data directory
    // when the app has package data that must exist on disk.
    let root = match crate::datadir::data_root(&bundle) {
        Ok(Some(dir)) => dir.to_string_lossy().into_owned(),
        Ok(None) => exe.to_owned(),
        Err(e) => {
            eprintln!("{exe}: warning: package data unavailable on disk: {e}");
            exe.to_owned()
        }
    };
    let argv: Vec<CString> = std::env::args_os()
        .map(|a| CString::new(a.as_bytes()).unwrap_or_default())
        .collect();
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
