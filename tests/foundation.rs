//! End-to-end tests of the foundation: freeze stdlib apps with the real
//! `freeze` binary and compare the frozen executables with python3.11.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn behave() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once(
        &EXE,
        "behave",
        &[app("tests/apps/behave").to_str().unwrap()],
    )
}

fn check(args: &[&str]) -> Run {
    let app_dir = app("tests/apps/behave");
    assert_same(&app_dir, &[app_dir.to_str().unwrap()], behave(), args, b"")
}

static HELLO: OnceLock<PathBuf> = OnceLock::new();

#[test]
fn hello_example_matches_python() {
    let exe = frozen_once(&HELLO, "hello", &[app("examples/hello").to_str().unwrap()]);
    let run = assert_same(
        &app("examples/hello"),
        &[app("examples/hello").to_str().unwrap()],
        exe,
        &["x", "ü"],
        b"",
    );
    assert!(run.stdout.contains("Hello from a frozen app!"));
    assert!(run.stdout.contains("héllo wörld ✓"));
}

#[test]
fn stdlib_cli_example_matches_python_in_every_format() {
    let app_dir = app("examples/stdlib_cli");
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    let exe = frozen_once(&CLI, "stdlib_cli", &[app_dir.to_str().unwrap()]);
    for args in [
        &[][..],
        &["--format", "json"],
        &["--format", "xml", "--top", "1"],
        &["--help"],
        &["--bogus"],
    ] {
        assert_same(&app_dir, &[app_dir.to_str().unwrap()], exe, args, b"");
    }
}

#[test]
fn argv_exit_codes_and_builtin_exit() {
    assert_eq!(check(&["argv", "a b", "-c", "--x=ü"]).code, Some(0));
    assert_eq!(check(&["exit", "3"]).code, Some(3));
    assert_eq!(check(&["exit", "0"]).code, Some(0));
    let r = check(&["exit-str"]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("fatal: something went wrong"));
    assert_eq!(check(&["builtin-exit"]).code, Some(4));
    assert_eq!(check(&["builtin-quit"]).code, Some(0));
}

#[test]
fn uncaught_exceptions_print_tracebacks_with_source_lines() {
    let r = check(&["raise"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("    raise ValueError(\"deep failure\")"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("<frozen runpy>"), "{}", r.stderr);
    let r = check(&["chained"]);
    assert!(
        r.stderr
            .contains("The above exception was the direct cause"),
        "{}",
        r.stderr
    );
}

#[test]
fn keyboard_interrupt_kills_with_sigint_like_python() {
    let r = check(&["interrupt"]);
    assert_eq!(r.signal, Some(2));
    assert!(r.stderr.contains("KeyboardInterrupt"));
}

#[test]
fn deep_recursion_raises_recursion_error() {
    let r = check(&["recurse"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .contains("RecursionError: maximum recursion depth exceeded"),
        "{}",
        r.stderr
    );
    let r = check(&["recurse-caught"]);
    assert!(r
        .stdout
        .starts_with("caught: maximum recursion depth exceeded"));
}

#[test]
fn stdin_threads_subprocess_warnings_and_unicode() {
    let app_dir = app("tests/apps/behave");
    let r = assert_same(
        &app_dir,
        &[app_dir.to_str().unwrap()],
        behave(),
        &["stdin"],
        "one\ntwo ü\n".as_bytes(),
    );
    assert_eq!(r.stdout, "2 lines; ONE\nTWO Ü\n");
    assert!(check(&["threads"]).stdout.starts_with("threads done"));
    let r = check(&["thread-error"]);
    assert!(
        r.stderr.contains("Exception in thread worker:"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("raise ZeroDivisionError(\"in a thread\")"),
        "{}",
        r.stderr
    );
    assert_eq!(check(&["subprocess"]).stdout, "from a child 0\n");
    assert!(check(&["warn"])
        .stderr
        .contains("warnings.warn(\"this is a warning\")"));
    let r = check(&["unicode"]);
    assert!(r.stdout.contains("日本語 utf-8 utf-8"), "{}", r.stdout);
}

#[test]
fn packages_pkgutil_and_getsource() {
    let r = check(&["modules"]);
    assert!(
        r.stdout.contains("['constants', 'helpers', 'sub']"),
        "{}",
        r.stdout
    );
    let r = check(&["getsource"]);
    assert!(r.stdout.starts_with("def run_threads():"), "{}", r.stdout);
}

#[test]
fn frozen_attributes() {
    let (dir, copy) = isolate(behave(), "attrs");
    let r = run_env_i(&copy, &["frozen"], dir.path(), b"");
    // The package's file is virtual, under the executable, yet exists for
    // os.path as it does under python.
    assert_eq!(
        r.stdout, "frozen True\nexecutable True\nfile True\npkgfile True True\n",
        "{}",
        r.stderr
    );
}

#[test]
fn broken_pipe_behaves_like_python() {
    let app_dir = app("tests/apps/behave");
    let shell = |prog: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{prog} lines 100000 | head -1; echo \"status=${{PIPESTATUS:-}}\""
            ))
            .env_clear()
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let py = shell(&format!("{PYTHON} -B {}", app_dir.display()));
    let fr = shell(&behave().display().to_string());
    assert_eq!(py.0, fr.0);
    assert_eq!(py.0.lines().next(), Some("line 0"));
    // Both report the broken pipe the same way (python's own wording).
    assert_eq!(
        normalize(&py.1, &[&app_dir]).lines().last(),
        normalize(&fr.1, &[behave()]).lines().last()
    );
}

#[test]
fn single_script_app() {
    let script = app("tests/apps/script_app.py");
    let dir = TempDir::new("script");
    let exe = freeze_ok(&[script.to_str().unwrap()], dir.path(), "script");
    let r = assert_same(&script, &[script.to_str().unwrap()], &exe, &["q"], b"");
    assert!(r.stdout.contains("\"name\": \"__main__\""));
    assert_eq!(
        assert_same(&script, &[script.to_str().unwrap()], &exe, &["--fail"], b"").code,
        Some(7)
    );
}

#[test]
fn module_app_runs_like_python_dash_m() {
    let root = app("tests/apps/modapp");
    let dir = TempDir::new("modapp");
    let exe = freeze_ok(
        &[root.to_str().unwrap(), "-m", "mypkg.cli"],
        dir.path(),
        "tool",
    );
    let (d2, copy) = isolate(&exe, "modapp");
    let r = run_env_i(&copy, &[], d2.path(), b"");
    assert_eq!(
        r.stdout, "HELLO FROM MYPKG! __main__ mypkg.cli mypkg\n",
        "{}",
        r.stderr
    );
    // Traceback equal to python -m's (run from the package root).
    let py = Command::new("env")
        .args(["-i", PYTHON, "-B", "-m", "mypkg.cli", "--raise"])
        .current_dir(&root)
        .output()
        .unwrap();
    let fr = run_env_i(&copy, &["--raise"], d2.path(), b"");
    assert_eq!(py.status.code(), fr.code);
    assert_eq!(
        normalize(&String::from_utf8_lossy(&py.stderr), &[&root]),
        normalize(&fr.stderr, &[&copy])
    );
}

#[test]
fn list_frozen_table_and_json() {
    let exe = behave();
    let out = freeze(&["--list-frozen", exe.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().unwrap().starts_with("NAME"));
    assert!(text.contains("behave_pkg.sub.leaf"));
    assert!(text.contains("encodings.utf_8"));
    let out = freeze(&["--list-frozen", exe.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format_version"], freeze_bundle::FORMAT_VERSION);
    assert_eq!(doc["main"]["module"], "__main__");
    assert_eq!(doc["main"]["mode"], "module");
    let entries = doc["entries"].as_array().unwrap();
    let pkg = entries.iter().find(|e| e["name"] == "behave_pkg").unwrap();
    assert_eq!(pkg["kind"], "package");
    assert!(pkg["size"].as_u64().unwrap() > 0);
    assert!(pkg["source_size"].as_u64().unwrap() > 0);
    // Tree-shaken: stdlib modules the app never imports are absent.
    assert!(!entries
        .iter()
        .any(|e| e["name"] == "tkinter" || e["name"] == "sqlite3"));
    // The modules imported at every start are read in place, not
    // decompressed; the rest are compressed.
    let stored_raw = |name: &str| {
        let e = entries.iter().find(|e| e["name"] == name).unwrap();
        e["stored"] == e["size"]
    };
    for boot in [
        "_freeze_importer",
        "_freeze_runmain",
        "encodings",
        "encodings.aliases",
        "encodings.utf_8",
    ] {
        assert!(stored_raw(boot), "{boot} is stored compressed");
    }
    assert!(!stored_raw("encodings.idna") && !stored_raw("behave_pkg"));
}

#[test]
fn no_source_drops_source_but_still_runs() {
    let dir = TempDir::new("nosrc");
    let exe = freeze_ok(
        &[app("tests/apps/behave").to_str().unwrap(), "--no-source"],
        dir.path(),
        "nosrc",
    );
    let r = run_env_i(&exe, &["raise"], dir.path(), b"");
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("ValueError: deep failure"));
    assert!(!r.stderr.contains("raise ValueError(\"deep failure\")"));
    let out = freeze(&["--list-frozen", exe.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["source_size"] == 0));
}

#[test]
fn statically_linked_and_touches_no_python_files() {
    let (dir, copy) = isolate(behave(), "strace");
    let ldd = Command::new("ldd").arg(&copy).output().unwrap();
    let ldd = String::from_utf8_lossy(&ldd.stdout);
    assert!(!ldd.contains("libpython"), "{ldd}");
    let files = strace_files(&copy, &["raise"], dir.path(), 1);
    assert!(!files.is_empty(), "strace saw nothing");
    let bad: Vec<&String> = files
        .iter()
        .filter(|f| {
            f.starts_with(STDLIB)
                || f.ends_with(".py")
                || f.ends_with(".pyc")
                || f.contains("site-packages")
        })
        .collect();
    assert!(bad.is_empty(), "frozen app touched Python files: {bad:?}");
    // No package data: nothing is written anywhere at start.
    let written: Vec<&String> = files
        .iter()
        .filter(|f| f.contains("freeze/data-") || f.contains("/.cache/freeze"))
        .collect();
    assert!(
        written.is_empty(),
        "an app without data files touched the data cache: {written:?}"
    );
}

#[test]
fn reproducible_from_any_directory() {
    let a = TempDir::new("repro-a");
    let b = TempDir::new("repro-b");
    let hello = app("examples/hello");
    let one = freeze_ok(&[hello.to_str().unwrap()], a.path(), "hello");
    // Second build: relative APP path from another working directory.
    let rel = pathdiff(&hello, b.path());
    let out = Command::new(freeze_bin())
        .args([rel.to_str().unwrap(), "-o", "hello"])
        .current_dir(b.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = fs::read(one).unwrap();
    let second = fs::read(b.path().join("hello")).unwrap();
    assert!(first == second, "two freezes of the same app differ");
    let repo = repo();
    let needle = repo.to_str().unwrap().as_bytes();
    assert!(
        !first.windows(needle.len()).any(|w| w == needle),
        "build path leaked into the executable"
    );
}

fn pathdiff(target: &Path, base: &Path) -> PathBuf {
    let depth = base.components().count() - 1;
    let mut p = PathBuf::new();
    for _ in 0..depth {
        p.push("..");
    }
    p.join(target.strip_prefix("/").unwrap())
}

#[test]
fn freeze_is_one_self_contained_file() {
    // A copy of the freeze binary alone in another directory still freezes
    // apps (it carries the stub and the stdlib of the embedded CPython).
    let dir = TempDir::new("selfcontained");
    let copy = dir.path().join("freeze");
    common::copy_executable(&freeze_bin(), &copy);
    let out = dir.path().join("hello");
    let result = Command::new(&copy)
        .args([
            app("examples/hello").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .env_clear()
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let run = run_env_i(&out, &[], dir.path(), b"");
    assert!(
        run.stdout.starts_with("Hello from a frozen app!"),
        "{run:?}"
    );
}

/// Code under `if __name__ == "__main__":` runs only in the module run as
/// main: its imports are followed there (the app's own entry point, or the
/// module given with -m) and nowhere else (a helper's self-test).
#[test]
fn main_block_imports_are_followed_only_in_the_main_module() {
    // The helpers live in a --path directory: an app directory comes whole.
    let dir = TempDir::new("mainblock");
    let app_dir = write_app(
        dir.path(),
        &[
            (
                "__main__.py",
                "import sys, os\nsys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), 'lib'))\nimport helper\nif __name__ == \"__main__\":\n    import for_main\n    print(for_main.X, helper.run())\n",
            ),
            (
                "../lib/helper.py",
                "def run():\n    return 'helper ran'\n\nif __name__ == '__main__':\n    import helper_selftest\n    def check():\n        import helper_selftest_nested\n",
            ),
            ("../lib/for_main.py", "X = 'main block ran'\n"),
            ("../lib/helper_selftest.py", ""),
            ("../lib/helper_selftest_nested.py", ""),
        ],
    );
    let lib = dir.path().join("lib");
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--path", lib.to_str().unwrap()],
        dir.path(),
        "app.exe",
    );
    let modules = frozen_names(&exe);
    assert!(modules.contains(&"for_main".to_owned()), "{modules:?}");
    assert!(modules.contains(&"helper".to_owned()), "{modules:?}");
    assert!(
        !modules.iter().any(|m| m.starts_with("helper_selftest")),
        "{modules:?}"
    );
    let r = assert_same(&app_dir, &[app_dir.to_str().unwrap()], &exe, &[], b"");
    assert_eq!(r.stdout, "main block ran helper ran\n");

    // Run as main with -m, the helper's main block is live code.
    let exe = freeze_ok(
        &[lib.to_str().unwrap(), "-m", "helper"],
        dir.path(),
        "helper",
    );
    let modules = frozen_names(&exe);
    assert!(
        modules.contains(&"helper_selftest".to_owned())
            && modules.contains(&"helper_selftest_nested".to_owned()),
        "{modules:?}"
    );
}

/// Imports the stdlib makes only for help(), self-tests and its modules'
/// own command lines are not followed: a hello bundles neither pydoc nor
/// doctest, unittest, pdb, argparse or OpenSSL. help() then says how to get
/// pydoc, and works once it is bundled.
#[test]
fn help_and_stdlib_self_tests_are_not_bundled_unless_imported() {
    let dir = TempDir::new("unfollowed");
    let hello = app("examples/hello");
    let exe = frozen_once(&HELLO, "hello", &[hello.to_str().unwrap()]);
    let modules = frozen_names(exe);
    for left_out in [
        "pydoc",
        "doctest",
        "unittest",
        "pdb",
        "argparse",
        "statistics",
        "_hashlib",
        "importlib.metadata",
        "pathlib",
    ] {
        assert!(
            !modules.iter().any(|m| m == left_out),
            "{left_out} bundled: {modules:?}"
        );
    }
    // What the app itself runs stays: the traceback machinery and codecs.
    for kept in ["traceback", "linecache", "encodings.idna", "_codecs_jp"] {
        assert!(
            modules.iter().any(|m| m == kept),
            "{kept} missing: {modules:?}"
        );
    }
    let verbose = freeze_succeeds(&[
        hello.to_str().unwrap(),
        "-v",
        "-o",
        dir.path().join("verbose").to_str().unwrap(),
    ]);
    assert!(
        verbose.contains("not followed: pydoc (imported by _freeze_importer, _sitebuiltins")
            && verbose.contains("--hidden-import pydoc"),
        "{verbose}"
    );

    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import sys\nprint(repr(help))\ntry:\n    help(len)\nexcept ModuleNotFoundError as e:\n    print('no help:', e, e.name)\n    sys.exit(3)\n",
        )],
    );
    let exe = freeze_ok(&[app_dir.to_str().unwrap()], dir.path(), "nohelp");
    let run = run_env_i(&exe, &[], dir.path(), b"");
    assert_eq!(run.code, Some(3), "{run:?}");
    assert_eq!(
        run.stdout,
        "Type help() for interactive help, or help(object) for help about object.\n\
         no help: help() needs pydoc, which this frozen app does not bundle; \
         freeze it again with --hidden-import pydoc pydoc\n"
    );

    // With pydoc bundled, help() prints what python's does.
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--hidden-import", "pydoc"],
        dir.path(),
        "withhelp",
    );
    let run = assert_same(&app_dir, &[app_dir.to_str().unwrap()], &exe, &[], b"");
    assert!(run.stdout.contains("len(obj, /)"), "{run:?}");
}

/// `--compress-runtime`: a small loader unpacks the compressed runtime into
/// memory and runs it. The app behaves as python runs it, `sys.executable`
/// is the executable (so child processes run the loader again), the
/// loader's variable never reaches the app, and nothing is written to disk.
#[test]
fn compressed_runtime_behaves_the_same_from_memory() {
    let dir = TempDir::new("compressed");
    let behave_dir = app("tests/apps/behave");
    let exe = freeze_ok(
        &[behave_dir.to_str().unwrap(), "--compress-runtime"],
        dir.path(),
        "behave-small",
    );
    let plain_len = fs::metadata(behave()).unwrap().len();
    let small_len = fs::metadata(&exe).unwrap().len();
    assert!(
        small_len + 3_000_000 < plain_len,
        "compressed {small_len} bytes vs {plain_len}"
    );
    let listing = freeze(&["--list-frozen", exe.to_str().unwrap()]);
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("(runtime compressed: 2."), "{listing}");
    // Size first: the modules are compressed with a dictionary trained on
    // them (the tracebacks below read source through it).
    assert!(
        listing.contains("modules compressed with a dictionary trained on them: "),
        "{listing}"
    );
    let json = freeze(&["--list-frozen", exe.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let dictionary_len = doc["dictionary"]["size"]
        .as_u64()
        .unwrap_or_else(|| panic!("no dictionary in {doc}"));
    assert!(
        (64 << 10..=256 << 10).contains(&dictionary_len),
        "{dictionary_len}"
    );
    let plain_listing = freeze(&["--list-frozen", behave().to_str().unwrap()]);
    assert!(
        !String::from_utf8_lossy(&plain_listing.stdout).contains("dictionary"),
        "the default build has no dictionary"
    );

    let args = [behave_dir.to_str().unwrap()];
    assert_eq!(
        assert_same(&behave_dir, &args, &exe, &["argv", "a b", "--x=ü"], b"").code,
        Some(0)
    );
    let r = assert_same(&behave_dir, &args, &exe, &["raise"], b"");
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("raise ValueError(\"deep failure\")"),
        "{r:?}"
    );
    assert_eq!(
        assert_same(&behave_dir, &args, &exe, &["exit", "3"], b"").code,
        Some(3)
    );
    assert_eq!(
        assert_same(&behave_dir, &args, &exe, &["interrupt"], b"").signal,
        Some(libc::SIGINT)
    );
    let r = run_env_i(&exe, &["frozen"], dir.path(), b"");
    assert_eq!(
        r.stdout, "frozen True\nexecutable True\nfile True\npkgfile True True\n",
        "{r:?}"
    );

    // The executable runs itself again as a child; neither sees the
    // loader's variable.
    let probe = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import os, subprocess, sys\n\
             seen = os.environ.get('FREEZE_LOADED_FROM')\n\
             if sys.argv[1:] == ['child']:\n    print('child', seen, sys.executable)\n    sys.exit(7)\n\
             r = subprocess.run([sys.executable, 'child'], capture_output=True, text=True)\n\
             print(r.stdout.strip(), r.returncode, seen)\n",
        )],
    );
    let exe = freeze_ok(
        &[probe.to_str().unwrap(), "--compress-runtime"],
        dir.path(),
        "probe",
    );
    let r = run_env_i(&exe, &[], dir.path(), b"");
    assert_eq!(
        r.stdout,
        format!("child None {} 7 None\n", exe.display()),
        "{r:?}"
    );

    let files = strace_files(&exe, &[], dir.path(), 0);
    let touched: Vec<&String> = files
        .iter()
        .filter(|f| {
            f.ends_with(".py")
                || f.ends_with(".pyc")
                || f.contains("freeze/data-")
                || f.contains("freeze-runtime")
                || f.starts_with("/dev/shm")
        })
        .collect();
    assert!(touched.is_empty(), "touched {touched:?}");
}

/// Modules are read out of the executable without leaving its pages mapped:
/// a page read through the mapping counts toward RSS, and on Linux 6.18 a
/// fault there maps the whole page-cache folio around it. Reading them that
/// way left about 1 MB of the executable resident after a hundred imports,
/// where python, which reads its .pyc files, keeps none of them.
#[test]
fn imported_modules_leave_no_executable_pages_resident() {
    let dir = TempDir::new("resident");
    let probe = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import argparse, asyncio, csv, dataclasses, decimal, email.message, fractions\n\
             import http.client, inspect, json, logging, pathlib, sqlite3, statistics\n\
             import tarfile, typing, unittest, xml.dom.minidom, zipfile\n\
             import os, sys\n\
             exe = os.path.realpath(sys.executable)\n\
             shared = False\n\
             resident = 0\n\
             for line in open('/proc/self/smaps'):\n\
             \x20   fields = line.split()\n\
             \x20   if len(fields) >= 5 and '-' in fields[0] and not fields[0].endswith(':'):\n\
             \x20       shared = fields[-1] == exe and fields[1].endswith('s')\n\
             \x20   elif shared and fields[0] == 'Rss:':\n\
             \x20       resident += int(fields[1])\n\
             print(len(sys.modules), resident)\n",
        )],
    );
    for (name, extra) in [("probe", None), ("probe-small", Some("--compress-runtime"))] {
        let mut args = vec![probe.to_str().unwrap()];
        args.extend(extra);
        let exe = freeze_ok(&args, dir.path(), name);
        let r = run_env_i(&exe, &[], dir.path(), b"");
        assert_eq!(r.code, Some(0), "{r:?}");
        let (modules, resident_kib) = r
            .stdout
            .trim()
            .split_once(' ')
            .and_then(|(m, k)| Some((m.parse::<u32>().ok()?, k.parse::<u32>().ok()?)))
            .unwrap_or_else(|| panic!("{r:?}"));
        assert!(modules > 200, "{name}: only {modules} modules imported");
        // The bundle's header and index stay: they are read at every import.
        assert!(
            resident_kib <= 256,
            "{name}: {resident_kib} KiB of the executable's bundle mapping resident"
        );
    }
}

/// The runtime's rarely needed Python (virtual files, resource and metadata
/// readers) is not unmarshalled at every start:
/// `_freeze_files` comes from the bundle at the first path under the
/// virtual root, and then serves it as python's file system would.
#[test]
fn virtual_files_load_when_first_used() {
    let dir = TempDir::new("lazyfiles");
    let app_dir = write_app(
        dir.path(),
        &[
            (
                "__main__.py",
                "import os, sys\n\
                 import pkg\n\
                 print('at start:', '_freeze_files' in sys.modules)\n\
                 here = os.path.dirname(pkg.__file__)\n\
                 print(sorted(n for n in os.listdir(here) if n != '__pycache__'))\n\
                 print('after a listing:', '_freeze_files' in sys.modules)\n\
                 print(open(os.path.join(here, 'data.txt')).read().strip())\n",
            ),
            ("pkg/__init__.py", ""),
            ("pkg/data.txt", "bundled text\n"),
        ],
    );
    let exe = freeze_ok(&[app_dir.to_str().unwrap()], dir.path(), "lazyfiles");
    let run = run_env_i(&exe, &[], dir.path(), b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        "at start: False\n\
         ['__init__.py', 'data.txt']\n\
         after a listing: True\n\
         bundled text\n"
    );
}
