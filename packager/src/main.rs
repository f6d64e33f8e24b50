//! `freeze`: turns a Python application into one standalone executable.

/// Prints a warning or a note on stderr, unless `-q` (errors are printed
/// by `main`, always).
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::quiet() {
            $crate::progress::suspend(|| eprintln!($($arg)*));
        }
    };
}

mod atomic;
mod cache;
mod compiler;
mod elfdeps;
mod embedded;
mod finder;
mod freezer;
mod graph;
mod listing;
mod output;
mod packages;
mod plan;
mod progress;
mod project;
mod pytests;
mod requirements;
mod runtimes;
mod site;
mod tcltk;
mod why;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `-q`: print errors only.
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Turn a Python application into one standalone executable.
///
/// APP is a directory with `__main__.py`, a `.py` script, a directory to
/// search with `-m MODULE` or `-e MODULE:FUNCTION`, or a project directory
/// with a pyproject.toml (each of its `[project.scripts]` is frozen into
/// `dist/NAME`). The executable carries the app's modules, the stdlib
/// modules it needs and a statically linked CPython; it imports everything
/// from memory.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "freeze",
    version,
    after_help = "Examples:\n  freeze app/ -o app\n  freeze tool.py -o tool\n  freeze src/ -m mypkg.cli -o mytool\n  freeze src/ -e mypkg.cli:main -o mytool\n  freeze .                      (a project: every [project.scripts] into dist/)\n  freeze --script black -o black --python venv/bin/python\n  freeze --list-frozen app --json\n  freeze --list-frozen app --by-package"
)]
pub struct Cli {
    /// The application: a directory with __main__.py, a .py script, a
    /// directory searched for the module given with -m or -e, or a project
    /// directory with pyproject.toml (default: the current directory when
    /// it has one).
    #[arg(value_name = "APP")]
    pub app: Option<PathBuf>,

    /// Where to write the executable (default for a project's scripts:
    /// dist/NAME in the project directory).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Run this module as __main__, like `python -m MODULE`.
    #[arg(short = 'm', long = "module", value_name = "MODULE", conflicts_with_all = ["entry", "script"])]
    pub module: Option<String>,

    /// Run this entry point as the console script pip installs for it
    /// does: import MODULE (not as __main__), call FUNCTION (or
    /// MODULE:obj.attr) and exit with sys.exit(its result).
    #[arg(
        short = 'e',
        long = "entry",
        value_name = "MODULE:FUNCTION",
        conflicts_with = "script"
    )]
    pub entry: Option<String>,

    /// Freeze this console script: one of the project's [project.scripts],
    /// or of a distribution installed in the --python environment (APP is
    /// then optional).
    #[arg(long, value_name = "NAME")]
    pub script: Option<String>,

    /// The Python whose installed packages the app uses; its version picks
    /// the runtime (another version than this freeze embeds is handed to
    /// the `freeze-3.X` beside it). Default: the active virtual environment
    /// ($VIRTUAL_ENV), else the venv freeze is installed in (pip install of
    /// its wheel), else `python3` if it is the embedded version.
    #[arg(long, value_name = "PY")]
    pub python: Option<PathBuf>,

    /// Extra file or directory to bundle, as SRC:DEST with DEST a directory
    /// relative to the app root (`.` for the root); found by
    /// importlib.resources-style paths and under `sys._MEIPASS` (repeatable).
    #[arg(long = "add-data", value_name = "SRC:DEST")]
    pub add_data: Vec<String>,

    /// Extra directory to search for modules (repeatable; `--paths` as
    /// PyInstaller spells it).
    #[arg(long = "path", visible_alias = "paths", value_name = "DIR")]
    pub paths: Vec<PathBuf>,

    /// PyInstaller's --name: write the executable to dist/NAME (in the
    /// current directory) when -o is not given.
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,

    /// PyInstaller's --onefile: what freeze always makes (a no-op).
    #[arg(short = 'F', long = "onefile")]
    pub onefile: bool,

    /// PyInstaller's --onedir: refused, freeze makes one file only.
    #[arg(short = 'D', long = "onedir", hide = true)]
    pub onedir: bool,

    /// PyInstaller's --collect-all: bundle package PKG whole (modules,
    /// data files) and its distribution's metadata, even if the app does
    /// not import it (repeatable).
    #[arg(long = "collect-all", value_name = "PKG")]
    pub collect_all: Vec<String>,

    /// PyInstaller's --collect-data: bundle package PKG with its data
    /// files, even if the app does not import it (repeatable).
    #[arg(long = "collect-data", value_name = "PKG")]
    pub collect_data: Vec<String>,

    /// PyInstaller's --collect-submodules: bundle package PKG with all its
    /// submodules, even if the app does not import it (repeatable).
    #[arg(long = "collect-submodules", value_name = "PKG")]
    pub collect_submodules: Vec<String>,

    /// PyInstaller's --copy-metadata: bundle the dist-info of installed
    /// distribution DIST (that of the distributions the app reaches always
    /// is) (repeatable).
    #[arg(long = "copy-metadata", value_name = "DIST")]
    pub copy_metadata: Vec<String>,

    /// Also bundle this module (and what it imports), e.g. one imported by a
    /// computed name (repeatable).
    #[arg(long = "hidden-import", value_name = "MODULE")]
    pub hidden_imports: Vec<String>,

    /// Leave out this module or package, and what only it pulled in
    /// (repeatable).
    #[arg(
        long = "exclude",
        visible_alias = "exclude-module",
        value_name = "MODULE"
    )]
    pub excludes: Vec<String>,

    /// Fail instead of warning when an import cannot be resolved.
    #[arg(long)]
    pub strict: bool,

    /// Do not bundle source code (tracebacks then show no source lines and
    /// inspect.getsource fails).
    #[arg(long)]
    pub no_source: bool,

    /// Size first: store the runtime (CPython and freeze's importer)
    /// zstd-compressed, and the Python modules with a dictionary trained on
    /// them: the executable is ~4-5 MB smaller, and each start first unpacks
    /// the runtime into memory (~10 ms); nothing is written to disk either way
    #[arg(long)]
    pub compress_runtime: bool,

    /// Neither use nor fill the build cache (compiled modules and compressed
    /// blobs kept in ~/.cache/freeze, or $FREEZE_CACHE_DIR).
    #[arg(long)]
    pub no_cache: bool,

    /// Explain what was included and why: every module and file of the
    /// bundle plan with its reason.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print only errors: no warnings, notes, progress or summary.
    #[arg(short, long, conflicts_with_all = ["verbose", "why"])]
    pub quiet: bool,

    /// Print the chain of reasons that brings NAME into the bundle (a
    /// module, a bundle path, a library's SONAME), or why it is not in.
    #[arg(long, value_name = "NAME")]
    pub why: Option<String>,

    /// Show what a frozen executable holds, instead of freezing.
    #[arg(long, value_name = "EXE", conflicts_with_all = ["app", "output", "module", "entry", "script"])]
    pub list_frozen: Option<PathBuf>,

    /// With --list-frozen: print JSON.
    #[arg(long, requires = "list_frozen")]
    pub json: bool,

    /// With --list-frozen: sizes per distribution (from the bundled
    /// dist-info RECORD and top_level.txt), the stdlib, the app's own
    /// modules and the runtime, largest first.
    #[arg(long, requires = "list_frozen")]
    pub by_package: bool,
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    if cli.list_frozen.is_none() && (cli.json || cli.by_package) {
        let flag = if cli.json { "--json" } else { "--by-package" };
        eprintln!("error: {flag} goes with --list-frozen EXE");
        return ExitCode::from(2);
    }
    let result = match (&cli.list_frozen, &cli.why, &cli.app) {
        (Some(exe), _, _) => listing::list_frozen(exe, cli.json, cli.by_package),
        (None, Some(name), Some(exe)) if listing::is_frozen_executable(exe) => {
            why_of_executable(&cli, exe, name)
        }
        _ => freezer::freeze(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Another CPython version's interpreter: its freeze takes over
            // (hand_over returns only when there is none).
            match e.downcast_ref::<runtimes::OtherVersion>() {
                Some(other) => eprintln!("error: {:#}", runtimes::hand_over(other)),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::from(2)
        }
    }
}

/// `freeze --why NAME EXE`: explains from what EXE stored; nothing else
/// may be asked at the same time.
fn why_of_executable(cli: &Cli, exe: &std::path::Path, name: &str) -> anyhow::Result<()> {
    if cli.output.is_some() || cli.entry.is_some() || cli.module.is_some() || cli.script.is_some() {
        anyhow::bail!(
            "{} is an executable made by freeze: --why NAME EXE explains it and freezes nothing; \
             give no -o, -m, -e or --script",
            exe.display()
        );
    }
    listing::why_in_executable(exe, name)
}

/// Freezing reads and writes tens of MB in short-lived buffers (shared
/// libraries, compressed blobs, the executable). glibc gives each large
/// buffer its own mmap and returns it on free, so every new one is faulted
/// in again page by page: 84,000 page faults and 0.2 s of system time for a
/// rebuild of the numpy example. Keeping freed memory in the heap instead
/// makes the next buffer reuse already mapped pages.
fn keep_freed_memory() {
    // SAFETY: mallopt only changes allocator tuning parameters; it is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 512 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
