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

/// The strings of an object's read-only data that read as dotted module
/// names (`sqlite3.dump`, `uuid`, `_cffi_backend`): native code imports
/// modules by such constants (`PyImport_ImportModule`), which no bytecode
/// scan sees. Callers keep those that name modules that exist.
///
/// C's literals end with a NUL. Rust's do not: rustc lays them end to end
/// (`pathlibreipaddressIPv4Address` in pydantic-core), and passes each as a
/// pointer and a length, which x86-64 code loads as a RIP-relative `lea` of
/// the literal and, a few instructions on, a `mov` of its length into a
/// 32-bit register ([`length_delimited_literals`]).
pub fn module_name_strings(bytes: &[u8]) -> Vec<String> {
    let Ok(elf) = goblin::elf::Elf::parse(bytes) else {
        return Vec::new();
    };
    let mut rodata = Vec::new();
    let mut code = Vec::new();
    for section in &elf.section_headers {
        if section.sh_type == goblin::elf::section_header::SHT_NOBITS {
            continue;
        }
        let Some(data) = section.file_range().and_then(|range| bytes.get(range)) else {
            continue;
        };
        let name = elf.shdr_strtab.get_at(section.sh_name).unwrap_or_default();
        if name == ".rodata" || name.starts_with(".rodata.") {
            rodata.push(Section {
                addr: section.sh_addr,
                data,
            });
        } else if section.is_executable() {
            code.push(Section {
                addr: section.sh_addr,
                data,
            });
        }
    }
    let mut names = std::collections::BTreeSet::new();
    let nul_terminated = rodata.iter().flat_map(|s| s.data.split(|&b| b == 0));
    for piece in nul_terminated.chain(length_delimited_literals(&code, &rodata)) {
        if let Ok(text) = std::str::from_utf8(piece) {
            if looks_like_module_name(text) {
                names.insert(text.to_owned());
            }
        }
    }
    names.into_iter().collect()
}

/// A loaded section: its address and its bytes.
struct Section<'a> {
    addr: u64,
    data: &'a [u8],
}

/// The longest literal taken for a module name, and how far after the `lea`
/// its length is looked for (a few instructions).
const MAX_LITERAL: u32 = 200;
const LENGTH_WINDOW: usize = 24;

/// The literals of `rodata` that `code` loads as a pointer and a length:
/// `lea r64, [rip + disp32]` (REX.W, opcode 8D, ModRM with mod 00 and
/// r/m 101) aimed into `rodata`, then the first `mov r32, imm32` (B8+r,
/// with an optional REX.B) within [`LENGTH_WINDOW`] bytes whose immediate
/// is a plausible length. A misread yields some other piece of read-only
/// data, which the callers' checks (a module name, of a module that
/// exists) discard.
fn length_delimited_literals<'a>(
    code: &'a [Section<'a>],
    rodata: &'a [Section<'a>],
) -> impl Iterator<Item = &'a [u8]> + 'a {
    code.iter().flat_map(move |text| {
        let bytes = text.data;
        (0..bytes.len().saturating_sub(7)).filter_map(move |at| {
            let is_lea = matches!(bytes[at], 0x48 | 0x4c)
                && bytes[at + 1] == 0x8d
                && bytes[at + 2] & 0xc7 == 0x05;
            if !is_lea {
                return None;
            }
            let disp = i32::from_le_bytes(bytes[at + 3..at + 7].try_into().ok()?);
            let target = text
                .addr
                .checked_add(at as u64 + 7)?
                .checked_add_signed(i64::from(disp))?;
            let len = literal_length(&bytes[at + 7..(at + 7 + LENGTH_WINDOW).min(bytes.len())])?;
            rodata.iter().find_map(|section| {
                let start = usize::try_from(target.checked_sub(section.addr)?).ok()?;
                section.data.get(start..start.checked_add(len as usize)?)
            })
        })
    })
}

/// The immediate of the first `mov r32, imm32` in `window` that could be a
/// literal's length (2 to [`MAX_LITERAL`]).
fn literal_length(window: &[u8]) -> Option<u32> {
    (0..window.len()).find_map(|at| {
        let imm_at = match window[at] {
            0xb8..=0xbf => at + 1,
            0x41 if matches!(window.get(at + 1), Some(0xb8..=0xbf)) => at + 2,
            _ => return None,
        };
        let imm = u32::from_le_bytes(window.get(imm_at..imm_at + 4)?.try_into().ok()?);
        (2..=MAX_LITERAL).contains(&imm).then_some(imm)
    })
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
        // C literals only: the NUL split finds them all already.
        assert!(names.iter().all(|n| n.is_ascii()));
        assert!(looks_like_module_name("a.b_c"));
        for bad in ["a", "a..b", "1a", "a b", ".a", "é"] {
            assert!(!looks_like_module_name(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod rust_literal_tests {
    use super::*;

    /// Code at 0x1000 loading two literals packed end to end at 0x5000,
    /// as rustc lays them out: `lea rsi, [rip+d]; mov edx, len`, and
    /// `lea rdi, [rip+d]; mov r8d, len` with an instruction between.
    #[test]
    fn literals_passed_as_pointer_and_length_are_split_where_the_code_splits_them() {
        let rodata = b"pathlibreipaddressIPv4Address".to_vec();
        let mut text = Vec::new();
        let lea = |text: &mut Vec<u8>, rex: u8, modrm: u8, target: u64| {
            let end = 0x1000 + text.len() as u64 + 7;
            text.extend([rex, 0x8d, modrm]);
            text.extend(((target as i64 - end as i64) as i32).to_le_bytes());
        };
        lea(&mut text, 0x48, 0x35, 0x5000 + 9); // "ipaddress"
        text.push(0xba); // mov edx, 9
        text.extend(9u32.to_le_bytes());
        lea(&mut text, 0x48, 0x3d, 0x5000); // "pathlib"
        text.extend([0x48, 0x89, 0xc3]); // mov rbx, rax
        text.extend([0x41, 0xb8]); // mov r8d, 7
        text.extend(7u32.to_le_bytes());
        lea(&mut text, 0x4c, 0x05, 0x9000); // outside .rodata
        text.push(0xb9);
        text.extend(4u32.to_le_bytes());
        lea(&mut text, 0x48, 0x15, 0x5000); // no length follows
        text.extend([0x90; 30]);
        let code = [Section {
            addr: 0x1000,
            data: &text,
        }];
        let rodata = [Section {
            addr: 0x5000,
            data: &rodata,
        }];
        let found: Vec<&[u8]> = length_delimited_literals(&code, &rodata).collect();
        assert_eq!(found, [&b"ipaddress"[..], &b"pathlib"[..]]);
    }

    #[test]
    fn a_length_is_a_plausible_immediate_of_a_32_bit_mov() {
        assert_eq!(literal_length(&[0xba, 9, 0, 0, 0]), Some(9));
        assert_eq!(literal_length(&[0x41, 0xb9, 3, 0, 0, 0]), Some(3));
        assert_eq!(literal_length(&[0xba, 1, 0, 0, 0]), None);
        assert_eq!(
            literal_length(&[0xba, 0, 1, 0, 0, 0xbb, 5, 0, 0, 0]),
            Some(5)
        );
        assert_eq!(literal_length(&[0xba, 9, 0]), None);
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
