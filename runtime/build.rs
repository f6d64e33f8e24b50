//! Locates Debian's static CPython (`libpython3.11-pic.a`, or
//! `libpython3.11.a` for the non-PIE stub) and links it into whatever binary
//! depends on this crate.
//!
//! The interpreter we embed is the one whose static library we find; its
//! `sysconfig` tells where the library lives and which system libraries it
//! needs. We never ask `python3` on PATH: on these machines that is a
//! different build (pyenv) without a PIC static library.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const APT_HINT: &str = "install Debian's static CPython with `apt-get install python3.11-dev \
     libpython3.11-dev libexpat1-dev zlib1g-dev`, or point FREEZE_BUILD_PYTHON at a CPython \
     3.11 whose LIBPL holds libpython3.11-pic.a";

fn main() {
    println!("cargo:rerun-if-env-changed=FREEZE_BUILD_PYTHON");
    println!("cargo:rerun-if-env-changed=FREEZE_STUB_NON_PIE");
    let python = build_python();
    let info = query(&python);
    // The stub is linked as a non-PIE executable (see packager/build.rs) and
    // takes the same non-PIC, profile-optimised objects /usr/bin/python3.11
    // is made of: its interpreter loop runs as fast as python's, and it has
    // no relocations to apply at start. Everything else that embeds CPython
    // (`freeze` itself, tests) is PIE and needs the PIC build.
    let lib_name = if env::var_os("FREEZE_STUB_NON_PIE").is_some() {
        "python3.11"
    } else {
        "python3.11-pic"
    };
    let lib = Path::new(&info.libpl).join(format!("lib{lib_name}.a"));
    if !lib.is_file() {
        fail(&format!(
            "{} has no {} (needed to link CPython statically): {APT_HINT}",
            python.display(),
            lib.display()
        ));
    }
    println!("cargo:rerun-if-changed={}", lib.display());

    println!("cargo:rustc-link-search=native={}", info.libpl);
    // whole-archive: third-party extension modules may need any API symbol,
    // not just those our own code references.
    println!("cargo:rustc-link-lib=static:+whole-archive,-bundle={lib_name}");
    for lib in info.system_libs {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }

    // Extension modules resolve the C API against the executable: export
    // exactly the symbols libpython3.11.so exports, not our Rust symbols.
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let list = out.join("python-exports.ld");
    fs::write(&list, "{ Py*; _Py*; };\n").expect("write linker dynamic list");
    // Read by dependents' build scripts as DEP_FREEZE_PYTHON_DYNAMIC_LIST.
    println!("cargo:dynamic_list={}", list.display());
    println!("cargo:python={}", python.display());
    println!("cargo:version={}", info.version);
    println!("cargo:stdlib={}", info.stdlib);
    println!("cargo:dynload={}", info.dynload);
    println!("cargo:rustc-env=FREEZE_PYTHON_MAGIC={}", info.magic);
    println!("cargo:rustc-env=FREEZE_PYTHON_VERSION={}", info.version);
}

fn build_python() -> PathBuf {
    if let Some(p) = env::var_os("FREEZE_BUILD_PYTHON") {
        return PathBuf::from(p);
    }
    let debian = PathBuf::from("/usr/bin/python3.11");
    if debian.is_file() {
        return debian;
    }
    fail(&format!("/usr/bin/python3.11 not found: {APT_HINT}"));
}

struct PythonInfo {
    libpl: String,
    version: String,
    stdlib: String,
    dynload: String,
    system_libs: Vec<String>,
    magic: String,
}

fn query(python: &Path) -> PythonInfo {
    let script = r#"
import sys, sysconfig
v = sysconfig.get_config_var
print(v('LIBPL'))
print(sys.version.split()[0])
print(sysconfig.get_path('stdlib'))
print(v('DESTSHARED') or '')
libs = []
for key in ('LIBS', 'SYSLIBS', 'LOCALMODLIBS'):
    for tok in (v(key) or '').split():
        if tok.startswith('-l') and tok[2:] not in libs:
            libs.append(tok[2:])
print(' '.join(libs))
import importlib.util
print(importlib.util.MAGIC_NUMBER.hex())
"#;
    let out = Command::new(python)
        .args(["-I", "-S", "-c", script])
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}; {APT_HINT}", python.display())));
    if !out.status.success() {
        fail(&format!(
            "{} failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let mut next = || lines.next().unwrap_or("").trim().to_owned();
    let libpl = next();
    let version = next();
    let stdlib = next();
    let dynload = next();
    let system_libs = next().split_whitespace().map(str::to_owned).collect();
    let magic = next();
    if !version.starts_with("3.11.") {
        fail(&format!(
            "{} is CPython {version}; freeze embeds CPython 3.11",
            python.display()
        ));
    }
    PythonInfo {
        libpl,
        version,
        stdlib,
        dynload,
        system_libs,
        magic,
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: freeze-runtime: {msg}");
    println!("cargo:warning={msg}");
    std::process::exit(1);
}
