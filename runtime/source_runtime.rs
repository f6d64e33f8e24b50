//! Which runtime built from CPython's source a build embeds (docs/runtimes.md);
//! shared by the build scripts of the runtime and of the loader, which links
//! against the same glibc.
//!
//! `FREEZE_CPYTHON` unset: CPython 3.11 as `cpython/build-runtime 3.11`
//! makes it, built the first time (root, 11 to 30 minutes) and cached.
//! `FREEZE_CPYTHON=<prefix>`: a runtime that script printed (3.13, say).
//! `FREEZE_CPYTHON=system`: none; Debian's static CPython, whose frozen apps
//! need the build machine's glibc.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The runtime's prefix, or None for Debian's; the error says what to do.
pub fn choose() -> Result<Option<PathBuf>, String> {
    println!("cargo:rerun-if-env-changed=FREEZE_CPYTHON");
    let prefix = match env::var_os("FREEZE_CPYTHON") {
        Some(value) if value == "system" => return Ok(None),
        Some(value) => PathBuf::from(value),
        None => build_default()?,
    };
    if !prefix.join(".freeze-stamp").is_file() {
        return Err(format!(
            "FREEZE_CPYTHON={} is not a runtime made by cpython/build-runtime (it has no \
             .freeze-stamp): set it to the path `cpython/build-runtime 3.11` prints",
            prefix.display()
        ));
    }
    Ok(Some(prefix))
}

/// Runs `cpython/build-runtime 3.11`, which prints the cached runtime's
/// prefix at once, or builds it first.
fn build_default() -> Result<PathBuf, String> {
    let cpython = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cpython");
    for recipe in ["build-runtime", "build-in-root", "setup-local-3.11"] {
        println!("cargo:rerun-if-changed={}", cpython.join(recipe).display());
    }
    for tunable in [
        "FREEZE_CPYTHON_CACHE",
        "FREEZE_CPYTHON_PGO",
        "FREEZE_DEBIAN_MIRROR",
    ] {
        println!("cargo:rerun-if-env-changed={tunable}");
    }
    let script = cpython.join("build-runtime");
    let out = Command::new(&script)
        .arg("3.11")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        return Err(format!(
            "building CPython 3.11 from source for the runtime failed ({}):\n{}\n\
             Fix that and build again, or set FREEZE_CPYTHON=system to embed Debian's \
             libpython3.11 instead (frozen apps then need this machine's glibc or newer; \
             docs/runtimes.md)",
            script.display(),
            lines[lines.len().saturating_sub(5)..].join("\n")
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Ends a build script with `msg`, shown by cargo as the build's error.
pub fn fail(script: &str, msg: &str) -> ! {
    eprintln!("error: {script}: {msg}");
    println!("cargo:warning={msg}");
    std::process::exit(1);
}
