//! Apps for CPython 3.13: frozen by the default `freeze` with a 3.13
//! interpreter, which hands the command line to the `freeze-3.13` beside it
//! (built from CPython 3.13's source: `cpython/build-freeze 3.13
//! target/debug`), and compared with that interpreter running the same app.
//!
//! This is the representative subset of the suites for 3.13
//! (docs/runtimes.md): the foundation's behaviour app (exit codes,
//! tracebacks, signals), the stdlib's native modules, the process model,
//! cp313 wheels (numpy, pydantic-core, markupsafe, PyYAML), `--list-frozen`
//! and reproducibility. Ignored in the default run; `.ci/run` runs them with
//! `FREEZE_TEST_PYTHON_313` set to the runtime's interpreter, and without it
//! or without freeze-3.13 they fail, never skip.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// The CPython 3.13 the apps run under for comparison (the source runtime's
/// interpreter).
fn python313() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let python = std::env::var_os("FREEZE_TEST_PYTHON_313")
            .map(PathBuf::from)
            .expect(
                "FREEZE_TEST_PYTHON_313 is not set: point it at a CPython 3.13, e.g. \
             \"$(cpython/build-runtime 3.13)/bin/python3.13\"",
            );
        let freeze313 = freeze_bin().with_file_name("freeze-3.13");
        assert!(
            freeze313.is_file(),
            "no {}: run `cpython/build-freeze 3.13 {}` first",
            freeze313.display(),
            freeze_bin().parent().unwrap().display()
        );
        python
    })
}

fn behave() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    frozen_once_for(
        &EXE,
        "py313-behave",
        python313(),
        &[app("tests/apps/behave").to_str().unwrap()],
    )
}

fn check(args: &[&str]) -> Run {
    let app_dir = app("tests/apps/behave");
    assert_same_with(
        python313(),
        &app_dir,
        &[app_dir.to_str().unwrap()],
        behave(),
        args,
        b"",
    )
}

#[test]
#[ignore = "needs freeze-3.13 beside freeze and FREEZE_TEST_PYTHON_313: .ci/run runs it"]
fn hello_runs_like_python313_and_says_which_cpython_it_embeds() {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    let hello = app("examples/hello");
    let exe = frozen_once_for(&EXE, "py313-hello", python313(), &[hello.to_str().unwrap()]);
    let run = assert_same_with(
        python313(),
        &hello,
        &[hello.to_str().unwrap()],
        exe,
        &["x", "ü"],
        b"",
    );
    assert!(
        run.stdout.contains("Hello from a frozen app!"),
        "{}",
        run.stdout
    );
    let listing = freeze(&["--list-frozen", exe.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.status.success());
    let summary = text.lines().last().unwrap_or("");
    assert!(summary.contains("; runs CPython 3.13; main: "), "{summary}");
}

#[test]
#[ignore = "needs freeze-3.13 beside freeze and FREEZE_TEST_PYTHON_313: .ci/run runs it"]
fn exit_codes_tracebacks_and_signals_match_python313() {
    for args in [
        &["argv", "a b", "-c", "--x=ü"][..],
        &["exit", "3"],
        &["exit-str"],
        &["builtin-exit"],
        &["raise"],
        &["chained"],
        &["interrupt"],
        &["recurse"],
    ] {
        check(args);
    }
    let raised = check(&["raise"]);
    assert!(
        raised.stderr.contains("<frozen runpy>"),
        "{}",
        raised.stderr
    );
}

#[test]
#[ignore = "needs freeze-3.13 beside freeze and FREEZE_TEST_PYTHON_313: .ci/run runs it"]
fn stdlib_native_modules_match_python313() {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    let stdlib_app = app("tests/apps/native_stdlib");
    let exe = frozen_once_for(
        &EXE,
        "py313-native-stdlib",
        python313(),
        &[stdlib_app.to_str().unwrap()],
    );
    assert_same_with(
        python313(),
        &stdlib_app,
        &[stdlib_app.to_str().unwrap()],
        exe,
        &[],
        b"",
    );
}

#[test]
#[ignore = "needs freeze-3.13 beside freeze and FREEZE_TEST_PYTHON_313: .ci/run runs it"]
fn process_pools_with_every_start_method_match_python313() {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    let script = app("tests/apps/procs/procs.py");
    let exe = frozen_once_for(
        &EXE,
        "py313-procs",
        python313(),
        &[script.to_str().unwrap()],
    );
    for method in ["fork", "spawn", "forkserver"] {
        let run = assert_same_with(
            python313(),
            &script,
            &[script.to_str().unwrap()],
            exe,
            &["mp-pool", method],
            b"",
        );
        assert_eq!(run.stdout, format!("{method} [0, 1, 4, 9, 16, 25]\n"));
    }
}

#[test]
#[ignore = "needs freeze-3.13 beside freeze and FREEZE_TEST_PYTHON_313: .ci/run runs it"]
fn cpythons_frozen_stdlib_modules_have_files_that_read_as_under_python313() {
    // 3.13 gives os, posixpath, codecs... a __file__ below the stdlib
    // directory; astroid (pylint) and inspect read it.
    let dir = TempDir::new("py313-frozen-files");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            r#"import codecs, inspect, os, posixpath
for module in (os, posixpath, codecs):
    text = open(module.__file__, encoding="utf-8").read()
    print(module.__name__, os.path.basename(module.__file__), os.path.isfile(module.__file__), len(text))
print(inspect.getsource(posixpath).splitlines()[0])
"#,
        )],
    );
    let exe = dir.path().join("frozen-files");
    freeze_for(python313(), &app_dir, &exe);
    let run = assert_same_with(
        python313(),
        &app_dir,
        &[app_dir.to_str().unwrap()],
        &exe,
        &[],
        b"",
    );
    assert!(run.stdout.starts_with("os os.py True "), "{}", run.stdout);
}

/// cp313 wheels with native code, pinned: numpy, pydantic (pydantic-core),
/// markupsafe, PyYAML (its C loader).
const WHEELS: &[&str] = &[
    "numpy==2.2.6",
    "pydantic==2.11.7",
    "pydantic-core==2.33.2",
    "annotated-types==0.7.0",
    "typing-extensions==4.14.1",
    "typing-inspection==0.4.1",
    "MarkupSafe==3.0.2",
    "PyYAML==6.0.2",
];

#[test]
#[ignore = "needs freeze-3.13 beside freeze and FREEZE_TEST_PYTHON_313: .ci/run runs it"]
fn cp313_wheels_run_like_python313_and_freeze_reproducibly() {
    let venv = venv_made_by(python313(), "py313-wheels", WHEELS);
    let python = venv.join("bin/python");
    let dir = TempDir::new("py313-wheels");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            r#"import sys
import numpy as np
import pydantic
import pydantic_core
import markupsafe
import yaml

class Point(pydantic.BaseModel):
    x: int
    y: float

a = np.arange(12, dtype=np.float64).reshape(3, 4)
print(sys.version_info[:2], np.__version__, a.sum(), (a @ a.T).trace())
print(Point(x="3", y=1.5).model_dump(), pydantic_core.__version__)
try:
    Point(x="nope", y=1)
except pydantic.ValidationError as e:
    print(e.errors()[0]["type"])
print(markupsafe.escape("<b>&</b>"), type(markupsafe.escape("x")).__module__)
print(yaml.__with_libyaml__, yaml.load("a: [1, 2]", Loader=yaml.CSafeLoader))
import importlib.metadata as md
# 3.13's Distribution.files keeps only the files whose locate() exists().
print(any(str(f) == "yaml/__init__.py" for f in md.files("PyYAML")), md.version("numpy"))
"#,
        )],
    );
    let out = dir.path().join("wheels");
    freeze_for(&python, &app_dir, &out);
    let run = assert_same_with(
        &python,
        &app_dir,
        &[app_dir.to_str().unwrap()],
        &out,
        &[],
        b"",
    );
    assert!(run.stdout.contains("(3, 13)"), "{}", run.stdout);
    assert!(run.stdout.contains("True {'a': [1, 2]}"), "{}", run.stdout);
    // Two freezes of the same app give the same bytes.
    let again = dir.path().join("wheels-again");
    freeze_for(&python, &app_dir, &again);
    assert!(
        fs::read(&out).unwrap() == fs::read(&again).unwrap(),
        "two freezes differ"
    );
    // The bundle holds 3.13's extension modules, by their 3.13 names.
    let listing = Command::new(freeze_bin())
        .args(["--list-frozen", out.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(
        text.contains(".cpython-313-x86_64-linux-gnu.so"),
        "no cp313 extension module listed:\n{text}"
    );
}
