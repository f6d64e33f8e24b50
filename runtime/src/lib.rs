//! The freeze runtime: boots a statically linked CPython from a bundle and
//! serves every import from memory.
//!
//! Two users: the stub (`run_app`, the `main` of every frozen executable) and
//! the `freeze` tool itself, which boots the same interpreter from its
//! embedded stdlib archive to compile the app's code (`ToolInterpreter`), so
//! bytecode always comes from the very CPython that will run it.

mod app;
mod cpython;
mod datadir;
mod fds;
mod native;
mod payload;
mod prefetch;
mod pyref;
mod stamp;

use std::sync::OnceLock;

pub use app::run_app;
pub use cpython::Arg;

/// CPython's bytecode magic for the embedded interpreter, as recorded when
/// this crate was built against it.
pub const PYTHON_MAGIC: [u8; 4] = freeze_bundle::python_magic_from_hex(env!("FREEZE_PYTHON_MAGIC"));
/// Version of the embedded CPython, e.g. "3.11.2".
pub const PYTHON_VERSION: &str = env!("FREEZE_PYTHON_VERSION");
/// The file name endings of extension modules the embedded CPython loads
/// (`importlib.machinery.EXTENSION_SUFFIXES`), most specific first: the
/// packager finds extension modules by them, and the importer (as
/// `_freeze.EXTENSION_SUFFIXES`) maps their paths back to module names.
pub const EXTENSION_SUFFIXES: [&str; 3] = [env!("FREEZE_PYTHON_EXT_SUFFIX"), ".abi3.so", ".so"];

/// Why the runtime could not start or serve a request.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot read the executable {path}: {source}")]
    Exe {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Elf(#[from] freeze_bundle::ElfError),
    #[error("no bundle in this executable (it is the bare freeze runtime stub)")]
    NoBundle,
    #[error("damaged bundle: {0}")]
    Bundle(#[from] freeze_bundle::BundleError),
    #[error("damaged bundle: module {name}: {source}")]
    DamagedModule {
        name: String,
        source: freeze_bundle::BundleError,
    },
    #[error(
        "bundle compiled for a different Python (bytecode magic {found}, this runtime is CPython {version} with {expected}); freeze the app again with this freeze"
    )]
    PythonMismatch {
        found: String,
        expected: String,
        version: &'static str,
    },
    #[error("the bundle has no module {0}")]
    MissingModule(String),
    #[error("cannot start Python: {0}")]
    Boot(String),
    #[error("{0}")]
    Python(String),
    #[error("{0}")]
    DataDir(String),
    #[error("the interpreter is already running in this process")]
    AlreadyBooted,
    #[error("the interpreter has not been started")]
    NotBooted,
}

/// The freeze tool's in-process compiler interpreter: the embedded CPython
/// booted from the stdlib archive carried by `freeze`.
pub struct ToolInterpreter {
    _private: (),
}

static TOOL: OnceLock<Result<(), String>> = OnceLock::new();

impl ToolInterpreter {
    /// Boots the interpreter (once per process) from `archive`, a bundle
    /// holding at least the stdlib's startup modules and `_freeze_importer`.
    pub fn boot(archive: &'static [u8]) -> Result<ToolInterpreter, RuntimeError> {
        let result = TOOL.get_or_init(|| {
            let bundle = freeze_bundle::Bundle::parse(archive).map_err(|e| e.to_string())?;
            let exe = std::env::current_exe()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "/freeze".to_owned());
            let argv = [std::ffi::CString::new(exe.clone()).unwrap_or_default()];
            cpython::boot(
                bundle,
                &cpython::BootConfig {
                    executable: &exe,
                    root: &exe,
                    argv: &argv,
                    install_signal_handlers: false,
                    import_time: false,
                },
            )
            .map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => Ok(ToolInterpreter { _private: () }),
            Err(e) => Err(RuntimeError::Boot(e.clone())),
        }
    }

    /// Calls `module.func(*args)`, which must return bytes.
    pub fn call(
        &self,
        module: &str,
        func: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<u8>, RuntimeError> {
        cpython::call(module, func, args)
    }
}
