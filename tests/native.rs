//! Native code from memory: the stdlib's extension modules and the shared
//! libraries they need, loaded from memfd, never from the filesystem.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn native_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once(
        &EXE,
        "native",
        &[app("tests/apps/native_stdlib").to_str().unwrap()],
    )
}

#[test]
fn stdlib_extensions_match_python() {
    let app_dir = app("tests/apps/native_stdlib");
    let r = assert_same(
        &app_dir,
        &[app_dir.to_str().unwrap()],
        native_exe(),
        &[],
        b"",
    );
    assert!(
        r.stdout
            .starts_with("0.1428571428571428571428571429 decimal.py decimal\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(45,) 3"));
    assert!(r.stdout.contains("async ok"));
    assert!(
        r.stdout.contains(
            "LATIN SMALL LETTER E WITH ACUTE \u{2603} 14.0.0 fi \u{b0} \u{2605} b'xn--bcher-kva.example'"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn unicodedata_comes_from_the_bundle_not_the_runtime() {
    // Debian builds unicodedata (1.1 MB of tables) into libpython; the stub
    // leaves it out and the stdlib archive has it as an extension module,
    // bundled like any other: the app above printed what python prints.
    let out = freeze(&["--list-frozen", native_exe().to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "unicodedata")
        .expect("unicodedata in the bundle");
    assert_eq!(entry["kind"], "extension", "{entry}");
    // Its docstring is plain text in a runtime that links it in, and
    // zstd-compressed in the bundle.
    let exe = std::fs::read(native_exe()).unwrap();
    let doc = b"This module provides access to the Unicode Character Database";
    let in_runtime = exe.windows(doc.len()).any(|w| w == doc);
    assert!(!in_runtime, "the runtime still links unicodedata in");
}

#[test]
fn no_extension_or_library_comes_from_disk() {
    let (dir, copy) = isolate(native_exe(), "native-strace");
    // From memory files of the app's own, and from the shared copy on a
    // private tmpfs, whose entries are opened relative to its directory.
    let shm = PathBuf::from(format!(
        "/dev/shm/freeze-test-strace-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&shm);
    std::fs::create_dir(&shm).unwrap();
    std::fs::set_permissions(&shm, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let runtime_dir = format!("XDG_RUNTIME_DIR={}", shm.display());
    let mut files = Vec::new();
    for env in ["FREEZE_NATIVE_CACHE=0", &runtime_dir, &runtime_dir] {
        files.extend(strace_files(
            Path::new("/usr/bin/env"),
            &[env, copy.to_str().unwrap()],
            dir.path(),
            0,
        ));
    }
    // The names the runtime opens relative to the cache's directories.
    let mut entries = std::collections::BTreeSet::new();
    for key in std::fs::read_dir(shm.join("freeze-native")).unwrap() {
        let key = key.unwrap();
        entries.insert(key.file_name().to_string_lossy().into_owned());
        for file in std::fs::read_dir(key.path()).unwrap() {
            entries.insert(file.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    let _ = std::fs::remove_dir_all(&shm);
    assert!(entries.len() >= 10, "{entries:?}");
    let shared = shm.to_str().unwrap();
    let bad: Vec<&String> = files
        .iter()
        .filter(|f| !f.starts_with(shared) && !entries.contains(*f))
        .filter(|f| {
            f.starts_with(STDLIB)
                || f.ends_with(".py")
                || f.ends_with(".pyc")
                || f.contains("libsqlite3")
                || f.contains("libcrypto")
                || f.contains("libssl")
                || f.contains("libffi")
                || f.contains("liblzma")
                || f.contains("libmpdec")
        })
        .collect();
    assert!(bad.is_empty(), "read from disk: {bad:?}");
}

#[test]
fn bundled_library_is_used_when_the_system_copy_is_missing() {
    let lib = "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0";
    let (dir, copy) = isolate(native_exe(), "native-hidden");
    let hide = |program: &str| {
        Command::new("unshare")
            .args([
                "-m",
                "sh",
                "-c",
                &format!("mount --bind /dev/null {lib} && exec env -i {program}"),
            ])
            .current_dir(dir.path())
            .output()
            .expect("unshare")
    };
    // CI runs as root on a machine with mount namespaces: if the system
    // copy cannot be hidden, the test fails rather than checks nothing.
    let probe = hide(&format!("{PYTHON} -c 'import sqlite3'"));
    assert!(
        String::from_utf8_lossy(&probe.stderr).contains("libsqlite3"),
        "cannot hide {lib} (this test needs root and mount namespaces: unshare -m): {probe:?}"
    );
    // python fails without the system library; the frozen app does not.
    let frozen = hide(copy.to_str().unwrap());
    assert!(
        frozen.status.success(),
        "{}",
        String::from_utf8_lossy(&frozen.stderr)
    );
    assert!(String::from_utf8_lossy(&frozen.stdout).contains("(45,) 3"));
}

#[test]
fn missing_library_warns_at_freeze_and_import_error_names_it() {
    // An extension whose library is nowhere to be found: numpy's core module
    // copied without numpy.libs (its RUNPATH points at ../../numpy.libs).
    let venv = test_venv();
    let site = venv.join("lib/python3.11/site-packages");
    let ext = std::fs::read_dir(site.join("numpy/core"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("_multiarray_umath.")
        })
        .expect("numpy's _multiarray_umath");
    let dir = TempDir::new("missinglib");
    let app_dir = dir.path().join("app");
    std::fs::create_dir_all(app_dir.join("orphan")).unwrap();
    std::fs::write(app_dir.join("orphan/__init__.py"), "").unwrap();
    std::fs::copy(&ext, app_dir.join("orphan").join(ext.file_name().unwrap())).unwrap();
    std::fs::write(
        app_dir.join("__main__.py"),
        "try:\n    import orphan._multiarray_umath\nexcept ImportError as e:\n    print('ImportError:', e)\n",
    )
    .unwrap();
    let out = dir.path().join("app.exe");
    let warning = freeze_succeeds(&[app_dir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(
        warning.contains("libopenblas")
            && warning.contains("needed by extension module orphan._multiarray_umath"),
        "{warning}"
    );
    let run = run_env_i(&out, &[], dir.path(), b"");
    assert!(
        run.stdout
            .starts_with("ImportError: cannot load extension module orphan._multiarray_umath")
            && run.stdout.contains("libopenblas"),
        "{run:?}"
    );
}

fn prefetch_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once(
        &EXE,
        "prefetch",
        &[app("tests/apps/prefetch").to_str().unwrap()],
    )
}

#[test]
fn native_code_imported_at_module_level_is_unpacked_ahead_in_import_order() {
    // Module-level and class-body imports are listed, each extension
    // module after the bundled library it loads; imports in functions and
    // in `except ImportError:` fallbacks are not.
    let out = freeze(&["--list-frozen", prefetch_exe().to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let libcrypto = bundled_library(prefetch_exe(), "libcrypto.so.");
    // zlib is built into Debian's runtime; a source-built one has it as an
    // extension module with libz, unpacked ahead too (a module-level import).
    let zlib_is_native_code = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "zlib" && e["kind"] == "extension");
    let mut expected = vec![libcrypto.as_str(), "_hashlib", "_decimal"];
    if zlib_is_native_code {
        expected.extend(["_freeze_libs/libz.so.1", "zlib"]);
    }
    expected.push("_json");
    assert_eq!(doc["prefetch"], serde_json::json!(expected));
    let names = frozen_names(prefetch_exe());
    for bundled_but_not_prefetched in ["mmap", "_queue"] {
        assert!(names.iter().any(|n| n == bundled_but_not_prefetched));
    }
    let table = freeze(&["--list-frozen", prefetch_exe().to_str().unwrap()]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains(&format!(
            "unpacked ahead of import, in this order: {}\n",
            expected.join(", ")
        )),
        "{table}"
    );
}

#[test]
fn code_run_at_start_is_stored_to_unpack_fast_and_the_rest_small() {
    // The code of the modules the main module's eager imports reach is one
    // LZ4 block each; modules reached only from functions or `except`
    // fallbacks, and all source, stay zstd. The size-first build has no LZ4.
    let codecs = |exe: &Path| -> BTreeMap<String, (String, String)> {
        let out = freeze(&["--list-frozen", exe.to_str().unwrap(), "--json"]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "module" || e["kind"] == "package")
            .map(|e| {
                let codec = e["codec"].as_str().unwrap_or("none").to_owned();
                (
                    e["name"].as_str().unwrap().to_owned(),
                    (codec, e["kind"].to_string()),
                )
            })
            .collect()
    };
    let fast = codecs(prefetch_exe());
    let with = |codec: &str| -> Vec<&str> {
        fast.iter()
            .filter(|(_, (c, _))| c == codec)
            .map(|(name, _)| name.as_str())
            .collect()
    };
    // __main__ and the Python modules it imports at module level (os and
    // sys are CPython's own; the rest of what hashlib and decimal import is
    // native code, or in `except ImportError:` fallbacks).
    assert_eq!(with("lz4"), ["__main__", "decimal", "hashlib"]);
    // The boot modules are stored uncompressed and read in place.
    assert_eq!(
        with("stored"),
        [
            "_freeze_importer",
            "_freeze_runmain",
            "encodings",
            "encodings.aliases",
            "encodings.utf_8"
        ]
    );
    // Only in a function, only in an `except ImportError:` fallback.
    for later in ["fractions", "_pydecimal"] {
        assert_eq!(fast[later].0, "zstd", "{later}");
    }

    let dir = TempDir::new("fast-code");
    let small = freeze_ok(
        &[
            app("tests/apps/prefetch").to_str().unwrap(),
            "--compress-runtime",
        ],
        dir.path(),
        "prefetch-small",
    );
    let small = codecs(&small);
    assert!(small.values().all(|(c, _)| c != "lz4"), "{small:?}");
    assert_eq!(small["__main__"].0, "zstd-dictionary");
}

#[test]
fn prefetched_native_code_behaves_like_python_across_a_fork() {
    // The app forks before importing what the prefetch thread unpacks: the
    // child (no such thread) unpacks for itself, the parent takes the
    // thread's work; both print what python prints.
    let app_dir = app("tests/apps/prefetch");
    let r = assert_same(
        &app_dir,
        &[app_dir.to_str().unwrap()],
        prefetch_exe(),
        &[],
        b"",
    );
    assert_eq!(r.stdout.lines().count(), 4, "{}", r.stdout);
    // The same with prefetching turned off.
    let (dir, copy) = isolate(prefetch_exe(), "noprefetch");
    let off = Command::new(&copy)
        .env_clear()
        .env("FREEZE_PREFETCH", "0")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(off.status.success(), "{off:?}");
    assert_eq!(String::from_utf8_lossy(&off.stdout), r.stdout);
}

/// An app whose package `cyc` has extension modules needing shared
/// libraries in `cyc.libs`, laid out as auditwheel does and built here with
/// gcc:
/// - `_cycle` needs libcyca, and libcyca and libcycb need each other (as
///   Pillow's FreeType and HarfBuzz do); libcycb also uses a versioned
///   symbol of libcyca (a version requirement naming the library file);
/// - `_bad` needs libbad, which calls a function nothing defines;
/// - `_short` needs libq.so, and libq.so and libr.so need each other, with
///   names too short to hold the path of a memory file.
fn native_cycle_app(dir: &Path) -> PathBuf {
    let app_dir = write_app(
        dir,
        &[
            ("cyc/__init__.py", ""),
            ("__main__.py", include_str!("apps/native_cycle.py")),
        ],
    );
    let libs = app_dir.join("cyc.libs");
    std::fs::create_dir_all(&libs).unwrap();
    let gcc = |cwd: &Path, args: &[&str]| {
        let out = Command::new("gcc")
            .args(["-shared", "-fPIC", "-O1"])
            .args(args)
            .current_dir(cwd)
            .output()
            .expect("gcc is needed for this test");
        assert!(
            out.status.success(),
            "gcc {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let library = |name: &str, source: &str, extra: &[&str]| {
        std::fs::write(libs.join("lib.c"), source).unwrap();
        let soname = format!("-Wl,-soname,{name}");
        let mut args = vec!["-o", name, "lib.c", &soname, "-Wl,-rpath,$ORIGIN", "-L."];
        args.extend_from_slice(extra);
        gcc(&libs, &args);
    };
    let extension = |module: &str, function: &str, library: &str| {
        let source = format!(
            "#include <Python.h>\nint {function}(int);\n\
             static PyObject *call(PyObject *self, PyObject *arg) {{\n\
             long n = PyLong_AsLong(arg);\n\
             if (n == -1 && PyErr_Occurred()) return NULL;\n\
             return PyLong_FromLong({function}((int)n));\n}}\n\
             static PyMethodDef methods[] = {{{{\"call\", call, METH_O, NULL}}, {{NULL}}}};\n\
             static struct PyModuleDef def = {{PyModuleDef_HEAD_INIT, \"{module}\", NULL, -1, methods}};\n\
             PyMODINIT_FUNC PyInit_{module}(void) {{ return PyModule_Create(&def); }}\n"
        );
        let pkg = app_dir.join("cyc");
        std::fs::write(pkg.join("ext.c"), source).unwrap();
        gcc(
            &pkg,
            &[
                "-I/usr/include/python3.11",
                "-o",
                &format!("{module}.cpython-311-x86_64-linux-gnu.so"),
                "ext.c",
                "-Wl,-rpath,$ORIGIN/../cyc.libs",
                "-L../cyc.libs",
                &format!("-l:{library}"),
            ],
        );
        std::fs::remove_file(pkg.join("ext.c")).unwrap();
    };
    let (a, b) = ("libcyca-5e1f0c2d.so.1", "libcycb-7a9b3e41.so.2");
    let cyc_a = "int cyc_b(int);\nint cyc_a(int n) { return n <= 0 ? 0 : n + cyc_b(n - 1); }\n";
    let cyc_b = "int cyc_a(int);\nint cyc_b(int n) { return n <= 0 ? 0 : 2 * n + cyc_a(n - 1); }\n";
    std::fs::write(
        libs.join("cyca.map"),
        "CYCA_1 { global: cyc_a; local: *; };\n",
    )
    .unwrap();
    // A cycle cannot be linked in one go: libcycb first without libcyca,
    // then libcyca against it, then libcycb again against libcyca.
    library(b, cyc_b, &[]);
    library(
        a,
        cyc_a,
        &["-Wl,--version-script,cyca.map", &format!("-l:{b}")],
    );
    library(b, cyc_b, &[&format!("-l:{a}")]);
    extension("_cycle", "cyc_a", a);

    let bad =
        "void freeze_test_nowhere(void);\nint bad(int n) { freeze_test_nowhere(); return n; }\n";
    library("libbad-0d15ea5e.so", bad, &[]);
    extension("_bad", "bad", "libbad-0d15ea5e.so");

    let q = "int r(int);\nint q(int n) { return n <= 0 ? 0 : 1 + r(n - 1); }\n";
    let r = "int q(int);\nint r(int n) { return n <= 0 ? 0 : 1 + q(n - 1); }\n";
    library("libr.so", r, &[]);
    library("libq.so", q, &["-l:libr.so"]);
    library("libr.so", r, &["-l:libq.so"]);
    extension("_short", "q", "libq.so");
    for scratch in ["lib.c", "cyca.map"] {
        std::fs::remove_file(libs.join(scratch)).unwrap();
    }
    app_dir
}

/// The app of `native_cycle_app` and its frozen executable, built once per
/// test binary in the test target's temp dir.
fn native_cycle_exe() -> &'static (PathBuf, PathBuf) {
    static EXE: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    EXE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("native-cycle");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let app_dir = native_cycle_app(&dir);
        let exe = freeze_ok(&[app_dir.to_str().unwrap()], &dir, "frozen");
        (app_dir, exe)
    })
}

#[test]
fn bundled_libraries_that_need_each_other_load_and_are_named_by_virtual_path() {
    // The cycle loads (it used to recurse until the stack overflowed), and
    // every object loaded from memory reports its virtual path where code
    // walks the loaded objects: dl_iterate_phdr (threadpoolctl before 3.7),
    // /proc/self/maps (threadpoolctl since), dlopen by that path with
    // RTLD_NOLOAD (bypassing ctypes) returns the loaded object.
    // Memory files of the app's own: /proc/self/maps names the shared copy
    // on a tmpfs by its entry's path instead (tests/native_cache.rs).
    let (app_dir, exe) = native_cycle_exe();
    let r = assert_same_in_env(
        &["FREEZE_NATIVE_CACHE=0"],
        Path::new(PYTHON),
        app_dir,
        &[app_dir.to_str().unwrap()],
        exe,
        &["cycle"],
        b"",
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{r:?}");
    assert_eq!(lines[0], "total 14");
    for (line, what) in lines[1..3].iter().zip(["dl_iterate_phdr ", "maps "]) {
        // The executable's virtual paths (python's are the app's files;
        // assert_same compared the two).
        assert!(line.starts_with(what), "{line}");
        let paths: Vec<&str> = line.split('\'').skip(1).step_by(2).collect();
        let root = paths[0].split("/cyc.libs/").next().unwrap();
        assert!(root.ends_with("/frozen"), "{line}");
        let expected = [
            "cyc.libs/libcyca-5e1f0c2d.so.1",
            "cyc.libs/libcycb-7a9b3e41.so.2",
            "cyc/_cycle.cpython-311-x86_64-linux-gnu.so",
        ]
        .map(|rel| format!("{root}/{rel}"));
        assert_eq!(paths, expected, "{line}");
    }
    assert_eq!(lines[3], "RTLD_NOLOAD by path [True, True, True]");
}

#[test]
fn unloadable_bundled_library_raises_import_error_naming_it_at_once() {
    // A library with an unresolvable symbol fails as under python, naming
    // the library; a cycle whose names cannot be rewritten (they are shorter
    // than any memory file's path) fails naming the library and the cycle,
    // where python (loading from disk) succeeds. Neither hangs.
    let (app_dir, exe) = native_cycle_exe();
    let started = std::time::Instant::now();
    let r = assert_same(app_dir, &[app_dir.to_str().unwrap()], exe, &["bad"], b"");
    assert_eq!(r.stdout, "ImportError True True\n", "{r:?}");
    let (dir, copy) = isolate(exe, "native-short");
    let r = run_env_i(&copy, &["short"], dir.path(), b"");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.starts_with("ImportError cannot load extension module cyc._short: libq.so (bundled as cyc.libs/libq.so) is in a dependency cycle"),
        "{r:?}"
    );
    assert!(r.stdout.contains("libr.so"), "{r:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

/// A tkinter app (Tk widgets, ttk, Tcl's `clock`, which loads the msgcat
/// module) on a machine without Tcl's and Tk's script libraries: they
/// travel in the executable (packager/src/tcltk.rs). Under a virtual X
/// server; CI installs python3-tk and xvfb.
#[test]
fn tkinter_runs_where_tcl_and_tk_are_not_installed() {
    let built = TempDir::new("tk");
    let exe = freeze_ok(
        &[app("tests/apps/tk_gui").to_str().unwrap()],
        built.path(),
        "tk_gui",
    );
    let libraries = "/usr/share/tcltk";
    let (dir, copy) = isolate(&exe, "tk-run");
    let run = |program: &str, hide: bool| {
        let hide = if hide {
            format!("mount -t tmpfs none {libraries} && ")
        } else {
            String::new()
        };
        let output = Command::new("unshare")
            .args([
                "-m",
                "sh",
                "-c",
                &format!(
                    "{hide}exec xvfb-run -a sh -c 'exec env -i DISPLAY=\"$DISPLAY\" \
                     XAUTHORITY=\"$XAUTHORITY\" {program}'"
                ),
            ])
            .current_dir(dir.path())
            .output()
            .expect("unshare and xvfb-run (CI installs xvfb)");
        status_and_output(&output)
    };
    let script = app("tests/apps/tk_gui/__main__.py");
    let python = run(&format!("{PYTHON} {}", script.display()), false);
    // `info tclversion`, not the patch level: the runtime's libtcl is the
    // one of the Debian release it was built in (8.6.11), python's here
    // Debian 12's (8.6.13), as its OpenSSL and SQLite are.
    assert_eq!(python.1, "8.6 default x\n1970\n", "{python:?}");
    // Hidden, python's Tcl cannot start: the test hides what it means to.
    let hidden = run(&format!("{PYTHON} {}", script.display()), true);
    assert_ne!(hidden.0, Some(0), "{hidden:?}");
    assert!(hidden.2.contains("init.tcl"), "{hidden:?}");
    let frozen = run(copy.to_str().unwrap(), true);
    assert_eq!((frozen.0, &frozen.1), (python.0, &python.1), "{frozen:?}");
    assert!(frozen_names(&exe)
        .iter()
        .any(|n| n == "_tcl_data/tcl8.6/init.tcl"));

    // tkinter only named by a constant (as six names it for six.moves):
    // the scripts stay out, or every first start would write 3.8 MB.
    let named = write_app(
        built.path(),
        &[(
            "named.py",
            "import importlib, sys\nGUI = ['tkinter']\nif len(sys.argv) > 5:\n    importlib.import_module(GUI[0])\n",
        )],
    );
    let exe = freeze_ok(
        &[named.join("named.py").to_str().unwrap()],
        built.path(),
        "named",
    );
    let names = frozen_names(&exe);
    assert!(names.iter().any(|n| n == "tkinter"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("_tcl_data/")),
        "{names:?}"
    );
}
