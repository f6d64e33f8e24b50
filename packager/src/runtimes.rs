//! One `freeze` binary embeds one CPython (it compiles with it in-process,
//! and two CPythons cannot share a process). Apps for another version are
//! frozen by that version's `freeze`, installed beside this one as
//! `freeze-3.X` (`cpython/build-freeze 3.X` builds and installs it): when
//! the chosen interpreter is 3.X, this `freeze` hands the whole command
//! line to it.

use std::ffi::OsString;
use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set in the environment of a `freeze-3.X` this `freeze` started, so that
/// a mislabelled one reports the mismatch instead of handing back.
const HANDED_OVER_ENV: &str = "FREEZE_HANDED_OVER";

/// The interpreter the app's packages come from is another version than
/// the one this `freeze` embeds.
#[derive(Debug)]
pub struct OtherVersion {
    pub python: PathBuf,
    pub major: u32,
    pub minor: u32,
    pub micro: u32,
}

impl fmt::Display for OtherVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is CPython {}.{}.{}, and this freeze embeds CPython {}",
            self.python.display(),
            self.major,
            self.minor,
            self.micro,
            freeze_runtime::PYTHON_VERSION
        )
    }
}

impl std::error::Error for OtherVersion {}

/// The embedded CPython's (major, minor).
pub fn embedded_version() -> (u32, u32) {
    let mut parts = freeze_runtime::PYTHON_VERSION
        .split('.')
        .map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The file name of the `freeze` that embeds CPython `major.minor`.
fn freeze_name(major: u32, minor: u32) -> String {
    format!("freeze-{major}.{minor}")
}

/// Runs the `freeze` for `other`'s version with this process's arguments
/// and returns only if there is none: then with the error to print.
pub fn hand_over(other: &OtherVersion) -> anyhow::Error {
    let name = freeze_name(other.major, other.minor);
    let own_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    if std::env::var_os(HANDED_OVER_ENV).is_some() {
        return anyhow::anyhow!(
            "{other}, yet another freeze ran it as the freeze for {}.{}: rebuild that one with \
             `cpython/build-freeze {}.{}` (docs/runtimes.md)",
            other.major,
            other.minor,
            other.major,
            other.minor
        );
    }
    if let Some(path) = find(&name, own_dir.as_deref(), std::env::var_os("PATH")) {
        let error = Command::new(&path)
            .args(std::env::args_os().skip(1))
            .env(HANDED_OVER_ENV, "1")
            .exec();
        return anyhow::anyhow!("{other}; cannot run {}: {error}", path.display());
    }
    let mut have = vec![format!("{} (this freeze)", freeze_runtime::PYTHON_VERSION)];
    have.extend(installed(own_dir.as_deref()));
    anyhow::anyhow!(
        "{other}, and no {name} is installed beside it or on PATH.\n  \
         Versions at hand: {}.\n  \
         Freeze with an interpreter of one of them (--python), or add {}.{}: in freeze's \
         source tree, `cpython/build-freeze {}.{}` builds CPython {}.{} from source and \
         installs {name} beside freeze (docs/runtimes.md)",
        have.join(", "),
        other.major,
        other.minor,
        other.major,
        other.minor,
        other.major,
        other.minor,
    )
}

/// `name` beside this executable, else on `path` (PATH's value).
fn find(name: &str, own_dir: Option<&Path>, path: Option<OsString>) -> Option<PathBuf> {
    own_dir
        .into_iter()
        .map(Path::to_path_buf)
        .chain(path.iter().flat_map(std::env::split_paths))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The versions of the `freeze-3.X` files beside this one.
fn installed(own_dir: Option<&Path>) -> Vec<String> {
    let Some(dir) = own_dir else {
        return Vec::new();
    };
    let mut versions: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| is_executable(&entry.path()))
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name.strip_prefix("freeze-")?;
            let (major, minor) = version.split_once('.')?;
            (major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok())
                .then(|| version.to_owned())
        })
        .collect();
    versions.sort();
    versions
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn executable(path: &Path) {
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn the_freeze_of_a_version_is_found_beside_this_one_before_path() {
        let base = std::env::temp_dir().join(format!("freeze-runtimes-{}", std::process::id()));
        let (own, on_path) = (base.join("own"), base.join("path"));
        std::fs::create_dir_all(&own).unwrap();
        std::fs::create_dir_all(&on_path).unwrap();
        executable(&on_path.join("freeze-3.13"));
        let path = Some(std::env::join_paths([&on_path]).unwrap());
        assert_eq!(
            find("freeze-3.13", Some(&own), path.clone()),
            Some(on_path.join("freeze-3.13"))
        );
        executable(&own.join("freeze-3.13"));
        assert_eq!(
            find("freeze-3.13", Some(&own), path.clone()),
            Some(own.join("freeze-3.13"))
        );
        assert_eq!(find("freeze-3.12", Some(&own), path), None);
        // Not executable, or not a version: not a runtime.
        std::fs::write(own.join("freeze-3.14"), "").unwrap();
        executable(&own.join("freeze-tools"));
        assert_eq!(installed(Some(&own)), vec!["3.13".to_owned()]);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn the_embedded_version_is_the_runtime_crates() {
        let (major, minor) = embedded_version();
        assert!(freeze_runtime::PYTHON_VERSION.starts_with(&format!("{major}.{minor}.")));
    }
}
