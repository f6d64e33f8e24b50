//! Where the running executable is, for the runtime and the loader alike.
//!
//! `/proc/self/exe` names, and opens, the very file the kernel executed,
//! whatever became of its path since. Chroots, minimal containers and some
//! sandboxes have no `/proc`; python then finds itself from `argv[0]` and
//! `PATH`, and so does a frozen app, after first trying the path the kernel
//! was asked to execute (`AT_EXECFN`), which needs no search.

use std::ffi::{CStr, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The running executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnExe {
    /// Its path, as `sys.executable` names it: what `/proc/self/exe` links
    /// to, else an absolute path found without `/proc`.
    pub path: PathBuf,
    /// The path to open it by: `/proc/self/exe` when there is a `/proc`.
    pub open: PathBuf,
    /// Whether `/proc` told us (else the path was searched for).
    pub from_proc: bool,
}

/// This process's executable, found without /proc if need be.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot find this program's own file: /proc is not mounted ({proc_error}), and neither the \
     path it was executed by ({execfn}) nor argv[0] ({arg0}) names a file; mount /proc, or start \
     the program by its path"
)]
pub struct NoOwnExe {
    proc_error: std::io::Error,
    execfn: String,
    arg0: String,
}

/// Finds the running executable (see the module docs).
pub fn own_exe() -> Result<OwnExe, NoOwnExe> {
    const PROC_EXE: &str = "/proc/self/exe";
    let proc_error = match std::fs::read_link(PROC_EXE) {
        Ok(path) => {
            return Ok(OwnExe {
                path,
                open: PathBuf::from(PROC_EXE),
                from_proc: true,
            })
        }
        Err(e) => e,
    };
    let execfn = executed_path();
    let arg0 = std::env::args_os().next();
    let path_var = std::env::var_os("PATH");
    let cwd = std::env::current_dir().ok();
    match find_without_proc(
        execfn.as_deref(),
        arg0.as_deref(),
        path_var.as_deref(),
        cwd.as_deref(),
    ) {
        Some(path) => Ok(OwnExe {
            open: path.clone(),
            path,
            from_proc: false,
        }),
        None => Err(NoOwnExe {
            proc_error,
            execfn: execfn.map_or_else(|| "unknown".into(), |p| p.to_string_lossy().into_owned()),
            arg0: arg0.map_or_else(|| "none".into(), |p| p.to_string_lossy().into_owned()),
        }),
    }
}

/// [`own_exe`] for a program's start: on failure, says why on stderr under
/// the program's name (argv[0]), and gives None.
pub fn own_exe_or_report() -> Option<OwnExe> {
    own_exe()
        .map_err(|e| {
            let name = std::env::args_os().next().unwrap_or_default();
            eprintln!("{}: {e}", name.to_string_lossy());
        })
        .ok()
}

/// The path the kernel was asked to execute (`AT_EXECFN`), if any:
/// `/dev/fd/N` for a program started by `fexecve`.
pub fn executed_path() -> Option<PathBuf> {
    // SAFETY: getauxval only reads the auxiliary vector the kernel gave the
    // process; it returns 0 for a missing entry.
    let at = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if at.is_null() {
        return None;
    }
    // SAFETY: a non-zero AT_EXECFN points at the NUL-terminated path string
    // the kernel copied onto the initial stack, valid for the process's life.
    let bytes = unsafe { CStr::from_ptr(at) }.to_bytes();
    Some(PathBuf::from(OsStr::from_bytes(bytes)))
}

/// The executable's absolute path from `execfn` (tried first) or `arg0`
/// (with no `/`, searched in `path_var` as the shell does; relative ones
/// against `cwd`): the first that names a regular file.
fn find_without_proc(
    execfn: Option<&Path>,
    arg0: Option<&OsStr>,
    path_var: Option<&OsStr>,
    cwd: Option<&Path>,
) -> Option<PathBuf> {
    // `.` components dropped, as python's abspath drops them from
    // sys.executable (`..` stays: it may follow a symlink).
    let absolute = |p: &Path| -> Option<PathBuf> {
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd?.join(p)
        };
        Some(joined.components().collect())
    };
    let is_file = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_file());
    let mut candidates: Vec<PathBuf> = Vec::new();
    candidates.extend(execfn.and_then(absolute));
    if let Some(arg0) = arg0.filter(|a| !a.is_empty()) {
        if arg0.as_bytes().contains(&b'/') {
            candidates.extend(absolute(Path::new(arg0)));
        } else {
            let default: OsString = "/usr/local/bin:/usr/bin:/bin".into();
            let dirs = path_var.unwrap_or(&default);
            for dir in std::env::split_paths(dirs) {
                // An empty entry is the current directory, as for the shell.
                let dir = if dir.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    dir
                };
                candidates.extend(absolute(&dir.join(arg0)));
            }
        }
    }
    candidates.into_iter().find(|p| is_file(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("freeze-own-exe-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/app"), b"x").unwrap();
        dir
    }

    #[test]
    fn the_executed_path_comes_first_and_is_made_absolute() {
        let dir = temp_dir("execfn");
        let found = find_without_proc(
            Some(Path::new("bin/app")),
            Some(OsStr::new("other")),
            None,
            Some(&dir),
        );
        assert_eq!(found, Some(dir.join("bin/app")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn argv0_is_searched_in_path_when_the_executed_path_is_gone() {
        let dir = temp_dir("path");
        let path_var = format!("/nonexistent:{}", dir.join("bin").display());
        let found = find_without_proc(
            Some(Path::new("/dev/fd/3-not-there")),
            Some(OsStr::new("app")),
            Some(OsStr::new(&path_var)),
            Some(Path::new("/")),
        );
        assert_eq!(found, Some(dir.join("bin/app")));
        // A relative argv[0] with a slash is taken against the directory.
        let found = find_without_proc(None, Some(OsStr::new("./bin/app")), None, Some(&dir));
        assert_eq!(found, Some(dir.join("bin/app")));
        // Directories and missing files are not the executable.
        let found = find_without_proc(
            Some(&dir.join("bin")),
            Some(OsStr::new("no-such-app")),
            Some(OsStr::new(&path_var)),
            None,
        );
        assert_eq!(found, None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn with_proc_the_file_is_opened_through_it() {
        let own = own_exe().unwrap();
        assert!(own.from_proc);
        assert_eq!(own.open, Path::new("/proc/self/exe"));
        assert_eq!(own.path, std::env::current_exe().unwrap());
    }
}
