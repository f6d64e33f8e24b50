//! Prepares what the `freeze` binary carries inside itself, so that one copy
//! of that file is all a user needs:
//!
//! * the runtime stub (built here with a nested `cargo build` of
//!   `freeze-stub` in the `stub` profile, into its own target directory so it
//!   never contends for the outer build's lock), and for
//!   `--compress-runtime` the same stub zstd-compressed plus the loader
//!   (`freeze-loader`) that unpacks and runs it;
//! * the stdlib archive: every module of the stdlib that matches the embedded
//!   CPython, compiled by that same CPython build and stored in the bundle
//!   format (plus the runtime's `_freeze_importer` and `_freeze_files`, and
//!   the compiler helper `_freeze_tools`), with each module's imports
//!   precomputed.
//!
//! Also exports the embedded CPython's API from `freeze` itself (it boots
//! the same interpreter to compile apps).

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use freeze_bundle::{Blob, BundleWriter, Codec, FileKind, ModuleKind, StoredBlob};
use serde::Deserialize;

#[path = "src/elfdeps.rs"]
#[allow(dead_code)]
mod elfdeps;
#[path = "src/embedded/module_imports.rs"]
mod module_imports;

use module_imports::ModuleImports;

/// lib-dynload modules that only serve CPython's own test suite.
const TEST_EXTENSIONS: &[&str] = &[
    "_ctypes_test",
    "_testbuffer",
    "_testcapi",
    "_testclinic",
    "_testimportmultiple",
    "_testinternalcapi",
    "_testmultiphase",
    "_xxtestfuzz",
    "xxlimited",
    "xxlimited_35",
];

/// zstd frames the compressed stub is split into (see `build_stub`).
const STUB_FRAMES: usize = 8;

/// Imports the bytecode scan cannot see: stdlib modules importing from C,
/// and stdlib modules importing by computed names. The lib-dynload
/// modules' string constants are scanned for module names as well (see
/// `add_lib_dynload`); the modules built into libpython cannot be told
/// apart there, so theirs are listed here.
const IMPLICIT_IMPORTS: &[(&str, &[&str])] = &[
    // Builtin: time.strptime and datetime.strptime import _strptime; pickle
    // support and ElementTree's find() import from C.
    ("time", &["_strptime"]),
    ("_datetime", &["time", "_strptime"]),
    ("_pickle", &["copyreg", "_compat_pickle"]),
    ("_elementtree", &["xml.etree.ElementPath", "copy"]),
    ("array", &["copyreg"]),
    (
        "sysconfig",
        &[
            "_sysconfigdata__x86_64-linux-gnu",
            "_sysconfigdata__linux_x86_64-linux-gnu",
        ],
    ),
    (
        "_decimal",
        &["collections", "numbers", "contextvars", "copy"],
    ),
    ("_asyncio", &["asyncio", "traceback", "weakref", "inspect"]),
    ("_ctypes", &["ctypes"]),
    ("_json", &["json.decoder"]),
    ("_sqlite3", &["sqlite3"]),
    ("_ssl", &["socket", "enum", "time"]),
    ("_hashlib", &["hashlib"]),
    ("_curses", &["curses"]),
    (
        "_zoneinfo",
        &["zoneinfo._common", "zoneinfo._tzpath", "datetime"],
    ),
    ("_multiprocessing", &["multiprocessing"]),
    ("_multibytecodec", &["codecs"]),
];

/// Modules every frozen app imports from the bundle before its own code
/// runs: their code is stored uncompressed, read in place by marshal at
/// every start instead of decompressed (64 KB instead of 27 KB compressed;
/// 5% fewer instructions for a hello).
const BOOT_MODULES: &[&str] = &[
    "_freeze_importer",
    "_freeze_runmain",
    "encodings",
    "encodings.aliases",
    "encodings.utf_8",
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let workspace = manifest_dir.parent().expect("workspace root").to_path_buf();

    let list = env::var("DEP_FREEZE_PYTHON_DYNAMIC_LIST").expect("dynamic list from runtime");
    println!("cargo:rustc-link-arg-bins=-Wl,--dynamic-list={list}");

    build_stub(&workspace, &out);
    build_stdlib_archive(&workspace, &out);
}

fn build_stub(workspace: &Path, out: &Path) {
    for dir in [
        "stub",
        "loader",
        "runtime/src",
        "runtime/build.rs",
        "runtime/source_runtime.rs",
        "bundle/src",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out: keep the stub's
    // own target dir beside the profiles so debug and release builds of
    // `freeze` share one stub build.
    let target_root = out
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.join("stub-target"));
    let stub_target = target_root.join("stub-build");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--profile",
            "stub",
            "-p",
            "freeze-stub",
            "-p",
            "freeze-loader",
            "--target",
            &target,
            "--target-dir",
        ])
        .arg(&stub_target)
        // A non-PIE stub links the non-PIC, profile-optimised libpython3.11.a
        // (see runtime/build.rs): fewer instructions for the same imports,
        // a smaller stub, and no relocations to apply at start
        // (bench/RESULTS.md, "Tuning constants").
        // With an explicit --target, RUSTFLAGS reach only the stub's own
        // code, not build scripts and proc macros (which must stay PIC).
        .env("FREEZE_STUB_NON_PIE", "1")
        .env("CARGO_ENCODED_RUSTFLAGS", "-Crelocation-model=static")
        .env_remove("RUSTFLAGS")
        // Flags meant for this build script's own compilation must not leak
        // into the nested build.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_PRIMARY_PACKAGE")
        .status()
        .expect("run cargo to build the runtime stub");
    if !status.success() {
        panic!("building the runtime stub (freeze-stub) failed");
    }
    let built = stub_target.join(&target).join("stub");
    fs::copy(built.join("freeze-stub"), out.join("freeze-stub")).expect("copy the runtime stub");
    fs::copy(built.join("freeze-loader"), out.join("freeze-loader")).expect("copy the loader");
    // Eight zstd frames, each with its size recorded: the loader shares them
    // out between threads and maps only the part of its memory file a frame
    // unpacks into, so its peak RSS stays below the app's; eight frames
    // cost little over two. Level 19 is where zstd's ratio on the stub
    // levels off (bench/RESULTS.md, "Tuning constants").
    let stub = fs::read(built.join("freeze-stub")).expect("read the runtime stub");
    let frame_len = stub
        .len()
        .div_ceil(STUB_FRAMES)
        .next_multiple_of(4096)
        .max(4096);
    // With content checksums, a damaged copy fails to unpack instead of
    // running damaged machine code.
    let compressed = freeze_bundle::compress_frames(&stub, frame_len, 19, true)
        .expect("compress the runtime stub");
    fs::write(out.join("freeze-stub.zst"), compressed).expect("write the compressed stub");
}

#[derive(Deserialize)]
struct Manifest {
    version: String,
    magic: String,
    modules: Vec<ManifestModule>,
    files: Vec<ManifestFile>,
}

#[derive(Deserialize)]
struct ManifestModule {
    name: String,
    kind: String,
    path: String,
    code: String,
    source: String,
    #[serde(flatten)]
    imports: ModuleImports,
}

#[derive(Deserialize)]
struct ManifestFile {
    path: String,
    data: String,
}

fn build_stdlib_archive(workspace: &Path, out: &Path) {
    let python = env::var("DEP_FREEZE_PYTHON_PYTHON").expect("build python from runtime");
    let stdlib = env::var("DEP_FREEZE_PYTHON_STDLIB").expect("stdlib dir from runtime");
    let tools = workspace.join("packager/python/_freeze_tools.py");
    let importer = workspace.join("runtime/python/_freeze_importer.py");
    let runmain = workspace.join("runtime/python/_freeze_runmain.py");
    let files = workspace.join("runtime/python/_freeze_files.py");
    println!("cargo:rerun-if-changed={}", runmain.display());
    println!("cargo:rerun-if-changed={}", files.display());
    println!("cargo:rerun-if-changed={}", tools.display());
    println!("cargo:rerun-if-changed={}", importer.display());
    println!("cargo:rerun-if-changed={stdlib}");
    println!("cargo:rustc-env=FREEZE_STDLIB_DIR={stdlib}");

    let work = out.join("stdlib-compiled");
    let _ = fs::remove_dir_all(&work);
    let status = Command::new(&python)
        .args(["-I", "-S", "-B"])
        .arg(&tools)
        .arg("build-stdlib")
        .arg(&stdlib)
        .arg(&work)
        .arg(&importer)
        .arg(&files)
        .arg(&runmain)
        .arg(&tools)
        .status()
        .expect("run the build python to compile the stdlib");
    if !status.success() {
        panic!("compiling the stdlib with {python} failed");
    }
    let manifest: Manifest = serde_json::from_slice(
        &fs::read(work.join("manifest.json")).expect("read stdlib manifest"),
    )
    .expect("parse stdlib manifest");

    let magic = freeze_bundle::python_magic_from_hex(&manifest.magic);
    let mut writer = BundleWriter::new(magic);
    let read = |name: &str| fs::read(work.join("blobs").join(name)).expect("read compiled blob");
    let mut imports = BTreeMap::new();
    for m in manifest.modules {
        let kind = match m.kind.as_str() {
            "package" => ModuleKind::Package,
            _ => ModuleKind::Module,
        };
        let code = read(&m.code);
        let code = if BOOT_MODULES.contains(&m.name.as_str()) {
            Blob::Stored(StoredBlob {
                codec: Codec::Stored,
                raw_len: code.len() as u32,
                bytes: code,
            })
        } else {
            Blob::Raw(code)
        };
        writer
            .add_module(
                &m.name,
                kind,
                &m.path,
                Some(code),
                Some(Blob::Raw(read(&m.source))),
            )
            .unwrap_or_else(|e| panic!("stdlib module {}: {e}", m.name));
        imports.insert(m.name, m.imports);
    }
    let mut needed = serde_json::Map::new();
    add_lib_dynload(&mut writer, &mut imports, &mut needed);
    for (module, extra) in IMPLICIT_IMPORTS {
        // Builtin modules have no entry of their own yet.
        let list = &mut imports.entry(module.to_string()).or_default().imports;
        for import in implicit_imports(extra) {
            if !list.contains(&import) {
                list.push(import);
            }
        }
    }
    for f in &manifest.files {
        writer
            .add_file(&f.path, FileKind::Data, "", Blob::Raw(read(&f.data)))
            .unwrap_or_else(|e| panic!("stdlib file {}: {e}", f.path));
    }
    let archive = writer.finish().expect("write the stdlib archive");
    fs::write(out.join("stdlib.bundle"), archive).expect("write stdlib.bundle");
    let index = serde_json::json!({
        "version": manifest.version,
        "magic": manifest.magic,
        "imports": imports,
        "needed": needed,
    });
    fs::write(out.join("stdlib-imports.json"), index.to_string()).expect("write imports");
    let _ = fs::remove_dir_all(&work);
}

/// Adds the stdlib's extension modules (lib-dynload, and those the stub
/// does not build in) and the shared
/// libraries they need that a Linux system may lack (libssl, libsqlite3,
/// libmpdec, libffi, ...), all taken from the build machine's CPython.
/// `needed` gets the `DT_NEEDED` list of each extension (by module name)
/// and library (by archive path), so freezing need not unpack them to ask.
/// `extra`, names from [`IMPLICIT_IMPORTS`], as absolute imports.
fn implicit_imports(extra: &[&str]) -> Vec<module_imports::Import> {
    extra
        .iter()
        .map(|name| (name.to_string(), 0, None))
        .collect()
}

fn add_lib_dynload(
    writer: &mut BundleWriter,
    imports: &mut BTreeMap<String, ModuleImports>,
    needed: &mut serde_json::Map<String, serde_json::Value>,
) {
    let needed_of = |bytes: &[u8]| {
        serde_json::json!(elfdeps::dynamic_info(bytes)
            .map(|info| info.needed)
            .unwrap_or_default())
    };
    let dynload =
        PathBuf::from(env::var("DEP_FREEZE_PYTHON_DYNLOAD").expect("lib-dynload dir from runtime"));
    println!("cargo:rerun-if-changed={}", dynload.display());
    println!("cargo:rustc-env=FREEZE_DYNLOAD_DIR={}", dynload.display());
    // Plus the modules Debian builds into libpython that the stub leaves out
    // (unicodedata), linked by the runtime's build script.
    let not_built_in = PathBuf::from(
        env::var("DEP_FREEZE_PYTHON_EXTENSIONS").expect("extensions dir from runtime"),
    );
    let mut entries: Vec<PathBuf> = [&dynload, &not_built_in]
        .iter()
        .flat_map(|dir| {
            fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "so"))
        .collect();
    entries.sort();
    let mut closure = elfdeps::Closure::default();
    let mut native_names: Vec<(String, Vec<String>)> = Vec::new();
    for path in entries {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let module = file_name.split('.').next().unwrap_or_default().to_owned();
        if TEST_EXTENSIONS.contains(&module.as_str()) {
            continue;
        }
        let bytes = fs::read(&path).expect("read extension module");
        elfdeps::resolve(&bytes, &dynload, &file_name, &mut closure);
        native_names.push((module.clone(), elfdeps::module_name_strings(&bytes)));
        needed.insert(module.clone(), needed_of(&bytes));
        writer
            .add_module(
                &module,
                ModuleKind::Extension,
                &file_name,
                Some(Blob::Raw(bytes)),
                None,
            )
            .unwrap_or_else(|e| panic!("extension {module}: {e}"));
        let implicit = IMPLICIT_IMPORTS
            .iter()
            .find(|(m, _)| *m == module)
            .map(|(_, deps)| implicit_imports(deps))
            .unwrap_or_default();
        imports.insert(
            module,
            ModuleImports {
                imports: implicit,
                ..ModuleImports::default()
            },
        );
    }
    // Dotted names in an extension's strings that are modules of the
    // archive (`sqlite3.dump` in _sqlite3): imported from C, by the graph's
    // rules for names found in native code. Single words there are mostly
    // method names ("readline" in _multibytecodec); the stdlib's imports
    // of those from C are listed in IMPLICIT_IMPORTS instead.
    for (module, names) in native_names {
        let own = format!("{module}.");
        let found: Vec<String> = names
            .into_iter()
            .filter(|n| n.contains('.') && !n.starts_with(&own) && imports.contains_key(n.as_str()))
            .collect();
        if let Some(entry) = imports.get_mut(&module) {
            entry.native = found;
        }
    }
    for (name, who) in &closure.missing {
        println!("cargo:warning=library {name} needed by {who} not found; it will not be bundled");
    }
    for lib in closure.libraries {
        let bytes = fs::read(&lib.path).expect("read shared library");
        let path = format!("_freeze_libs/{}", lib.needed);
        needed.insert(path.clone(), needed_of(&bytes));
        writer
            .add_file(
                &path,
                FileKind::SharedLibrary,
                &lib.needed,
                Blob::Raw(bytes),
            )
            .unwrap_or_else(|e| panic!("library {}: {e}", lib.needed));
    }
}
