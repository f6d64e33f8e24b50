//! Shared-library dependencies of extension modules, found the way the
//! dynamic linker finds them: `DT_NEEDED` names searched in `DT_RPATH` (when
//! there is no `DT_RUNPATH`), `DT_RUNPATH`, then the system directories,
//! with `$ORIGIN` expanded to the object's own directory.
//!
//! Libraries every Linux system provides are never bundled: the manylinux
//! allow-list (PEP 599/600) is the policy.
//!
//! Also compiled into packager/build.rs (via `#[path]`), which bundles the
//! libraries the stdlib's lib-dynload modules need into the stdlib archive.

use std::path::{Path, PathBuf};

/// Libraries a manylinux wheel may assume on the system (PEP 599 policy),
/// plus the dynamic loader itself.
const SYSTEM_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libnsl.so.1",
    "libresolv.so.2",
    "libcrypt.so.1",
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libX11.so.6",
    "libXext.so.6",
    "libXrender.so.1",
    "libICE.so.6",
    "libSM.so.6",
    "libGL.so.1",
    "libgobject-2.0.so.0",
    "libgthread-2.0.so.0",
    "libglib-2.0.so.0",
    "ld-linux-x86-64.so.2",
    "linux-vdso.so.1",
];

/// True for libraries that are never bundled.
pub fn is_system_library(name: &str) -> bool {
    SYSTEM_LIBRARIES.contains(&name) || is_libpython(name)
}

/// `libpython3.X.so[.1.0]`: the embedded CPython itself, which lives in the
/// executable (whatever its version: a wheel built against another one
/// fails at its import, as under python).
fn is_libpython(name: &str) -> bool {
    name.strip_prefix("libpython3.")
        .and_then(|rest| rest.split_once(".so"))
        .is_some_and(|(minor, tail)| {
            !minor.is_empty()
                && minor.bytes().all(|b| b.is_ascii_digit())
                && matches!(tail, "" | ".1.0")
        })
}

/// Where the dynamic linker looks when an object names no paths of its own.
const SYSTEM_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
];

/// The dynamic section facts of an ELF object.
#[derive(Debug, Default, Clone)]
pub struct DynamicInfo {
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
}

pub fn dynamic_info(bytes: &[u8]) -> Result<DynamicInfo, String> {
    let elf =
        goblin::elf::Elf::parse(bytes).map_err(|e| format!("not a loadable ELF object: {e}"))?;
    let split = |v: &[&str]| -> Vec<String> {
        v.iter()
            .flat_map(|s| s.split(':'))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(DynamicInfo {
        needed: elf.libraries.iter().map(|s| s.to_string()).collect(),
        rpath: split(&elf.rpaths),
        runpath: split(&elf.runpaths),
    })
}

/// A library found for a `DT_NEEDED` name.
#[derive(Debug, Clone)]
pub struct FoundLibrary {
    /// The name the dependant asked for (what the runtime matches).
    pub needed: String,
    pub path: PathBuf,
}

/// Libraries needed by an object, transitively, dependencies first.
#[derive(Debug, Default)]
pub struct Closure {
    pub libraries: Vec<FoundLibrary>,
    /// `(needed name, who needs it)` for libraries not found anywhere.
    pub missing: Vec<(String, String)>,
}

/// A read-only mapping of a library (or extension module): its needs are
/// read from the headers and the dynamic section only, and a library several
/// extension modules need (numpy's 35 MB OpenBLAS) is looked at once per
/// module; reading it whole each time made a rebuild copy 140 MB. Freezing
/// maps the libraries it bundles too: with the build cache their content is
/// only hashed.
pub fn map_file(path: &Path) -> std::io::Result<memmap2::Mmap> {
    let file = std::fs::File::open(path)?;
    // SAFETY: a private read-only view of an installed library; nothing in
    // this process writes it. Were another process to rewrite the file
    // meanwhile, we would see other bytes (goblin checks every offset it
    // follows), never memory outside the mapping; installers replace
    // libraries rather than truncate them in place.
    unsafe { memmap2::Mmap::map(&file) }
}

/// Resolves what the object `bytes` (located in `origin_dir`, named `who`
/// in messages) needs, transitively.
pub fn resolve(bytes: &[u8], origin_dir: &Path, who: &str, closure: &mut Closure) {
    let Ok(info) = dynamic_info(bytes) else {
        return;
    };
    for name in &info.needed {
        if is_system_library(name)
            || closure.libraries.iter().any(|l| &l.needed == name)
            || closure.missing.iter().any(|(m, _)| m == name)
        {
            continue;
        }
        match find_library(name, origin_dir, &info) {
            Some(path) => {
                let Ok(lib_bytes) = map_file(&path) else {
                    closure.missing.push((name.clone(), who.to_owned()));
                    continue;
                };
                let lib_dir = path
                    .canonicalize()
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or_else(|| origin_dir.to_path_buf());
                // Mark before recursing so cycles terminate; the entry is
                // moved after its dependencies below.
                let placeholder = closure.libraries.len();
                closure.libraries.push(FoundLibrary {
                    needed: name.clone(),
                    path: path.clone(),
                });
                resolve(&lib_bytes, &lib_dir, name, closure);
                let lib = closure.libraries.remove(placeholder);
                closure.libraries.push(lib);
            }
            None => closure.missing.push((name.clone(), who.to_owned())),
        }
    }
}

fn find_library(name: &str, origin_dir: &Path, info: &DynamicInfo) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    let expand = |dir: &str| -> PathBuf {
        let origin = origin_dir.to_string_lossy();
        PathBuf::from(
            dir.replace("$ORIGIN", &origin)
                .replace("${ORIGIN}", &origin),
        )
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    if info.runpath.is_empty() {
        dirs.extend(info.rpath.iter().map(|d| expand(d)));
    }
    dirs.extend(info.runpath.iter().map(|d| expand(d)));
    dirs.extend(SYSTEM_DIRS.iter().map(PathBuf::from));
    // Last resort, beyond what ld.so does: beside the dependant. Wheels
    // repaired by auditwheel keep their libraries together (numpy.libs/)
    // and some of those name each other without an RPATH; at run time they
    // are matched by SONAME among the bundled libraries anyway.
    dirs.push(origin_dir.to_path_buf());
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// The NUL-terminated strings of an object's read-only data that read as
/// dotted module names (`sqlite3.dump`, `uuid`, `_cffi_backend`): native
/// code imports modules by such constants (`PyImport_ImportModule`), which
/// no bytecode scan sees. Callers keep those that name modules that exist.
pub fn module_name_strings(bytes: &[u8]) -> Vec<String> {
    let Ok(elf) = goblin::elf::Elf::parse(bytes) else {
        return Vec::new();
    };
    let mut names = std::collections::BTreeSet::new();
    for section in &elf.section_headers {
        let is_rodata = elf
            .shdr_strtab
            .get_at(section.sh_name)
            .is_some_and(|n| n == ".rodata" || n.starts_with(".rodata."));
        if !is_rodata || section.sh_type == goblin::elf::section_header::SHT_NOBITS {
            continue;
        }
        let Some(data) = section.file_range().and_then(|range| bytes.get(range)) else {
            continue;
        };
        for piece in data.split(|&b| b == 0) {
            if let Ok(text) = std::str::from_utf8(piece) {
                if looks_like_module_name(text) {
                    names.insert(text.to_owned());
                }
            }
        }
    }
    names.into_iter().collect()
}

/// Dotted identifiers of ASCII letters, digits and underscores, two
/// characters or more, at most 200.
fn looks_like_module_name(text: &str) -> bool {
    (2..=200).contains(&text.len())
        && text.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
                && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod string_tests {
    use super::*;

    #[test]
    fn module_names_in_a_real_extension() {
        let so = std::fs::read(
            "/usr/lib/python3.11/lib-dynload/_sqlite3.cpython-311-x86_64-linux-gnu.so",
        )
        .expect("Debian's python3.11 lib-dynload");
        let names = module_name_strings(&so);
        assert!(names.iter().any(|n| n == "sqlite3.dump"), "{names:?}");
        assert!(!names.iter().any(|n| n.contains(' ')));
        assert!(module_name_strings(b"not elf").is_empty());
        assert!(looks_like_module_name("a.b_c"));
        for bad in ["a", "a..b", "1a", "a b", ".a", "é"] {
            assert!(!looks_like_module_name(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod system_library_tests {
    use super::is_system_library;

    #[test]
    fn every_libpython_is_the_embedded_interpreter_and_never_bundled() {
        for name in ["libpython3.11.so.1.0", "libpython3.13.so", "libc.so.6"] {
            assert!(is_system_library(name), "{name}");
        }
        for name in [
            "libpython3.so",
            "libpython3.x.so",
            "libpython3.13.so.2",
            "libssl.so.3",
        ] {
            assert!(!is_system_library(name), "{name}");
        }
    }
}
