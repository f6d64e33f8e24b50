//! Locates the CPython to embed, a runtime built from source (any version
//! with a `pyo3-config-3.X.txt` here) or Debian's static CPython
//! (`libpython3.11-pic.a`, or `libpython3.11.a` for the non-PIE stub), and
//! links it into whatever binary depends on this crate, without the modules the runtime leaves out
//! (`NOT_BUILT_IN`), which it builds as extension modules for the stdlib
//! archive instead.
//!
//! The interpreter we embed is the one whose static library we find; its
//! `sysconfig` tells where the library lives and which system libraries it
//! needs. We never ask `python3` on PATH: on these machines that is a
//! different build (pyenv) without a PIC static library.
//!
//! By default the runtime is CPython 3.11 built from its source by
//! `cpython/build-runtime` (docs/runtimes.md): its interpreter, its
//! LTO-linked library, and the old glibc it was built against, which the
//! stub is then linked against too (`DEP_FREEZE_PYTHON_SYSROOT`), so that
//! frozen apps run on older Linux. `FREEZE_CPYTHON=<prefix>` picks another
//! such runtime (3.13); `FREEZE_CPYTHON=system` embeds Debian's static
//! CPython instead.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "source_runtime.rs"]
mod source_runtime;

const APT_HINT: &str = "install Debian's static CPython with `apt-get install python3.11-dev \
     libpython3.11-dev libexpat1-dev zlib1g-dev`, or point FREEZE_BUILD_PYTHON at a CPython \
     3.11 whose LIBPL holds libpython3.11-pic.a";

fn main() {
    println!("cargo:rerun-if-env-changed=FREEZE_BUILD_PYTHON");
    println!("cargo:rerun-if-env-changed=FREEZE_STUB_NON_PIE");
    let runtime = source_runtime::choose().unwrap_or_else(|e| fail(&e));
    let python = build_python(runtime.as_deref());
    let info = query(&python);
    // The stub is linked as a non-PIE executable (see packager/build.rs) and
    // takes the same non-PIC, profile-optimised objects /usr/bin/python3.11
    // is made of: its interpreter loop runs as fast as python's, and it has
    // no relocations to apply at start. Everything else that embeds CPython
    // (`freeze` itself, tests) is PIE and needs the PIC build.
    let lib_name = if env::var_os("FREEZE_STUB_NON_PIE").is_some() {
        format!("python{}", info.minor)
    } else {
        format!("python{}-pic", info.minor)
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

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let extensions = link_libpython(&info, &lib, &out);

    // Extension modules resolve the C API against the executable: export
    // exactly the symbols libpython3.11.so exports, not our Rust symbols.
    let list = out.join("python-exports.ld");
    fs::write(&list, "{ Py*; _Py*; };\n").expect("write linker dynamic list");
    // Read by dependents' build scripts as DEP_FREEZE_PYTHON_DYNAMIC_LIST.
    println!("cargo:dynamic_list={}", list.display());
    println!("cargo:python={}", python.display());
    println!("cargo:version={}", info.version);
    println!("cargo:stdlib={}", info.stdlib);
    println!("cargo:dynload={}", info.dynload);
    // Read by the stub's build script as DEP_FREEZE_PYTHON_SYSROOT: the
    // glibc a source-built runtime was built against, which the stub must
    // be linked against too, or it binds to the build machine's newer
    // symbol versions. Empty for Debian's runtime.
    println!(
        "cargo:sysroot={}",
        sysroot(runtime.as_deref())
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    // Read by the packager's build script as DEP_FREEZE_PYTHON_EXTENSIONS.
    println!("cargo:extensions={}", extensions.display());
    println!("cargo:rustc-env=FREEZE_PYTHON_MAGIC={}", info.magic);
    println!("cargo:rustc-env=FREEZE_PYTHON_VERSION={}", info.version);
    println!(
        "cargo:rustc-env=FREEZE_PYTHON_EXT_SUFFIX={}",
        info.ext_suffix
    );
}

/// Links `lib` (whole) into whatever depends on this crate, except the
/// modules of [`NOT_BUILT_IN`]: those are linked from the PIC build's objects
/// into extension modules in the returned directory, and the builtin-module
/// table (`config.c`) is recompiled without them.
fn link_libpython(info: &PythonInfo, lib: &Path, out: &Path) -> PathBuf {
    let config_c = Path::new(&info.libpl).join("config.c");
    println!("cargo:rerun-if-changed={}", config_c.display());
    let pic_lib = Path::new(&info.libpl).join(format!("libpython{}-pic.a", info.minor));
    let extensions = out.join("extensions");
    let _ = fs::remove_dir_all(&extensions);
    fs::create_dir_all(&extensions).expect("create OUT_DIR/extensions");
    let members = archive_members(lib);
    let mut moved = Vec::new();
    let mut moved_modules = Vec::new();
    for (module, object) in NOT_BUILT_IN {
        if members.iter().any(|m| m == object) {
            let target = extensions.join(format!("{module}{}", info.ext_suffix));
            build_extension(&pic_lib, object, &target);
            moved.push(*object);
            moved_modules.push(*module);
        }
    }
    let archive = out.join("libfreeze-python.a");
    fs::copy(lib, &archive).unwrap_or_else(|e| fail(&format!("copy {}: {e}", lib.display())));
    let mut drop = vec!["config.o"];
    drop.extend(&moved);
    run(cc::Build::new()
        .get_archiver()
        .arg("d")
        .arg(&archive)
        .args(&drop));
    let config = fs::read_to_string(&config_c).unwrap_or_else(|e| {
        fail(&format!(
            "cannot read {}: {e}; {APT_HINT}",
            config_c.display()
        ))
    });
    let config: String = config
        .lines()
        .filter(|line| {
            !moved_modules
                .iter()
                .any(|module| mentions(line, &format!("PyInit_{module}")))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let config_c = out.join("config.c");
    fs::write(&config_c, config).expect("write OUT_DIR/config.c");
    cc::Build::new()
        .file(&config_c)
        .include(&info.include)
        .pic(true)
        .cargo_metadata(false)
        .compile("freeze-python-config");

    println!("cargo:rustc-link-search=native={}", out.display());
    // whole-archive: third-party extension modules may need any API symbol,
    // not just those our own code references.
    println!("cargo:rustc-link-lib=static:+whole-archive,-bundle=freeze-python");
    println!("cargo:rustc-link-lib=static:+whole-archive,-bundle=freeze-python-config");
    for lib in &info.system_libs {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    extensions
}

/// Modules Debian builds into libpython that the runtime leaves out, with
/// the archive member that implements each. They become extension modules of
/// the stdlib archive, bundled (compressed) with the apps whose imports reach
/// them. unicodedata is 1.1 MB of Unicode tables, 15% of the runtime; the
/// `idna` codec imports it, so most apps still carry it, but as 0.34 MB of
/// zstd instead of 1.1 MB, and only those that import it pay for loading it.
const NOT_BUILT_IN: &[(&str, &str)] = &[("unicodedata", "unicodedata.o")];

/// Whether `line` of C source names `symbol` (not merely a longer name
/// starting with it).
fn mentions(line: &str, symbol: &str) -> bool {
    line.match_indices(symbol).any(|(at, _)| {
        !line[at + symbol.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The members of a static library.
fn archive_members(lib: &Path) -> Vec<String> {
    let out = cc::Build::new()
        .get_archiver()
        .arg("t")
        .arg(lib)
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run ar to list {}: {e}", lib.display())));
    if !out.status.success() {
        fail(&format!("ar t {} failed", lib.display()));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Links `object` of the PIC static library into the extension module
/// `target`. Its undefined symbols are C API functions, which the
/// executables export (see the dynamic list below).
fn build_extension(pic_lib: &Path, object: &str, target: &Path) {
    let dir = target.parent().expect("extension dir");
    let mut extract = cc::Build::new().get_archiver();
    extract.current_dir(dir).arg("x").arg(pic_lib).arg(object);
    run(&mut extract);
    let compiler = cc::Build::new().pic(true).get_compiler();
    let mut link = compiler.to_command();
    link.arg("-shared")
        .arg("-Wl,--strip-all")
        .arg("-o")
        .arg(target)
        .arg(dir.join(object));
    run(&mut link);
    let _ = fs::remove_file(dir.join(object));
}

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run {command:?}: {e}")));
    if !status.success() {
        fail(&format!("{command:?} failed ({status})"));
    }
}

/// The glibc the source runtime `runtime` was built against.
fn sysroot(runtime: Option<&Path>) -> Option<PathBuf> {
    let sysroot = runtime?.join("sysroot");
    if !sysroot.join("usr/lib/x86_64-linux-gnu/libc.so").is_file() {
        fail(&format!(
            "{} holds no glibc to link against (usr/lib/x86_64-linux-gnu/libc.so); \
             rebuild the runtime with cpython/build-runtime",
            sysroot.display()
        ));
    }
    Some(sysroot)
}

/// The interpreter of `runtime`, or Debian's.
fn build_python(runtime: Option<&Path>) -> PathBuf {
    if let Some(prefix) = runtime {
        let python = fs::read_dir(prefix.join("bin"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .find(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix("python3."))
                    .is_some_and(|minor| {
                        !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit())
                    })
            });
        return python.unwrap_or_else(|| {
            fail(&format!(
                "FREEZE_CPYTHON={} has no bin/python3.X: set it to the path \
                 `cpython/build-runtime VERSION` prints",
                prefix.display()
            ))
        });
    }
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
    /// "3.11", the version in the library's and the stdlib's names.
    minor: String,
    stdlib: String,
    dynload: String,
    system_libs: Vec<String>,
    magic: String,
    include: String,
    ext_suffix: String,
}

fn query(python: &Path) -> PythonInfo {
    let script = r#"
import sys, sysconfig, importlib
# Paths sysconfig keeps as they were at build time; a source-built runtime
# was installed elsewhere (in its build root) than where it is now.
try:
    built = importlib.import_module(sysconfig._get_sysconfigdata_name()).build_time_vars['prefix']
except Exception:
    built = sys.prefix
def here(path):
    if path and built != sys.prefix and (path == built or path.startswith(built + '/')):
        return sys.prefix + path[len(built):]
    return path
def v(key):
    value = sysconfig.get_config_var(key)
    return here(value) if key in ('LIBPL', 'DESTSHARED', 'INCLUDEPY') else value
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
print(v('INCLUDEPY'))
print(v('EXT_SUFFIX'))
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
    let include = next();
    let ext_suffix = next();
    let minor = version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    check_pyo3_config(python, &minor);
    PythonInfo {
        libpl,
        version,
        minor,
        stdlib,
        dynload,
        system_libs,
        magic,
        include,
        ext_suffix,
    }
}

/// pyo3-ffi lays out CPython's structs for the version its config file
/// names (`PYO3_CONFIG_FILE`, `.cargo/config.toml`): embedding another
/// version with it would compile and then corrupt memory.
fn check_pyo3_config(python: &Path, minor: &str) {
    println!("cargo:rerun-if-env-changed=PYO3_CONFIG_FILE");
    let config = env::var_os("PYO3_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| fail("PYO3_CONFIG_FILE is not set (.cargo/config.toml sets it)"));
    println!("cargo:rerun-if-changed={}", config.display());
    let text = fs::read_to_string(&config)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", config.display())));
    let configured = text
        .lines()
        .find_map(|line| line.strip_prefix("version="))
        .unwrap_or("")
        .trim();
    if configured != minor {
        fail(&format!(
            "{} is CPython {minor}, but PYO3_CONFIG_FILE={} is for {configured}: build with \
             PYO3_CONFIG_FILE=runtime/pyo3-config-{minor}.txt (cpython/build-freeze {minor} does)",
            python.display(),
            config.display()
        ));
    }
}

fn fail(msg: &str) -> ! {
    source_runtime::fail("freeze-runtime", msg)
}
