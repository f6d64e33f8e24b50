//! Inclusion rules that real apps depend on (issue 16): modules reached by
//! C code, by name, by a test runner or by a distribution's metadata, each
//! checked by freezing an app with no flags and comparing it with python.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

/// Freezes the app made of `files` (with `--python python`) and asserts
/// that it behaves as `python app/` does (status, stdout, stderr); returns
/// the frozen run.
fn freeze_and_compare(tag: &str, python: &Path, files: &[(&str, &str)]) -> Run {
    let dir = TempDir::new(tag);
    let app_dir = write_app(dir.path(), files);
    let exe = freeze_ok(
        &[
            app_dir.to_str().unwrap(),
            "--python",
            python.to_str().unwrap(),
        ],
        dir.path(),
        tag,
    );
    let r = assert_same_with(
        python,
        &app_dir,
        &[app_dir.to_str().unwrap()],
        &exe,
        &[],
        b"",
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    r
}

fn system_python() -> PathBuf {
    PathBuf::from(PYTHON)
}

fn fidelity_python() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| venv_from("fidelity", "tests/fidelity-requirements.txt").join("bin/python"))
}

#[test]
fn stdlib_module_imported_from_c_is_bundled() {
    // _sqlite3 imports sqlite3.dump from C for iterdump().
    let r = freeze_and_compare(
        "iterdump",
        &system_python(),
        &[(
            "__main__.py",
            "import sqlite3\n\
             c = sqlite3.connect(':memory:')\n\
             c.execute('create table t(x)')\n\
             c.execute('insert into t values (1)')\n\
             print(list(c.iterdump()))\n\
             import time, datetime\n\
             print(time.strptime('2024-01-02', '%Y-%m-%d')[:3])\n\
             print(datetime.datetime.strptime('03/04/25', '%d/%m/%y').date())\n",
        )],
    );
    assert!(
        r.stdout.contains("INSERT INTO \"t\" VALUES(1);"),
        "{}",
        r.stdout
    );
}

#[test]
fn modules_looked_up_by_name_are_bundled() {
    // A string-literal find_spec counts as an import; a reached stdlib
    // package comes whole, so a computed name inside it resolves too.
    freeze_and_compare(
        "byname",
        &system_python(),
        &[(
            "__main__.py",
            "import importlib, importlib.util, pkgutil\n\
             print(importlib.util.find_spec('html.parser') is not None)\n\
             import xml\n\
             m = importlib.import_module('xml.' + 'sax.saxutils')\n\
             print(m.escape('<a>'))\n\
             print(pkgutil.resolve_name('json.decoder:JSONDecoder').__name__)\n",
        )],
    );
}

#[test]
fn app_packages_come_whole_with_test_suites_and_odd_module_names() {
    let r = freeze_and_compare(
        "apptests",
        &system_python(),
        &[
            (
                "__main__.py",
                "import importlib, os, unittest, io\n\
                 import mypkg\n\
                 table = importlib.import_module('mypkg._data.' + 'table-1-0')\n\
                 print(table.WIDTHS)\n\
                 import tests\n\
                 suite = unittest.defaultTestLoader.loadTestsFromName('tests.test_math')\n\
                 result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)\n\
                 print(result.testsRun, len(result.failures), len(result.errors))\n\
                 with open(os.path.join(os.path.dirname(tests.__file__), 'data.txt')) as f:\n\
                 \x20   print(f.read().strip())\n",
            ),
            ("mypkg/__init__.py", ""),
            ("mypkg/_data/__init__.py", ""),
            ("mypkg/_data/table-1-0.py", "WIDTHS = (1, 2, 0)\n"),
            ("tests/__init__.py", ""),
            ("tests/data.txt", "test data\n"),
            (
                "tests/test_math.py",
                "import unittest\n\
                 class T(unittest.TestCase):\n\
                 \x20   def test_add(self):\n\
                 \x20       self.assertEqual(1 + 1, 2)\n\
                 \x20   def test_mul(self):\n\
                 \x20       self.assertEqual(2 * 3, 6)\n",
            ),
        ],
    );
    assert_eq!(r.stdout, "(1, 2, 0)\n2 0 0\ntest data\n");
}

/// The runtime's stdlib carries the fixes from CPython that Debian applied
/// to python3.11 after 3.11.2 (cpython/build-runtime), security fixes
/// among them: a pristine 3.11.2 accepts all three of these inputs.
#[test]
fn the_runtime_has_the_security_fixes_python_has() {
    let r = freeze_and_compare(
        "cvefixes",
        &system_python(),
        &[(
            "__main__.py",
            "import email.utils, urllib.parse\n\
             try:\n\
             \x20   urllib.parse.urlsplit('http://prefix[::1]/')\n\
             \x20   print('accepted')\n\
             except ValueError as e:\n\
             \x20   print('ValueError:', e)\n\
             print(urllib.parse.urlsplit('\\x00http://example.com/').scheme)\n\
             print(email.utils.parseaddr('alice@example.org)<bob@example.org>'))\n",
        )],
    );
    // gh-103848, CVE-2023-24329, CVE-2023-27043.
    assert_eq!(r.stdout, "ValueError: Invalid IPv6 URL\nhttp\n('', '')\n");
}

#[test]
fn cpython_test_suite_modules_are_found_in_the_stdlib_directory() {
    // Debian's libpython3.11-testsuite (installed by .ci/run): the archive
    // leaves `test` out, python imports it from the stdlib directory.
    assert!(
        Path::new("/usr/lib/python3.11/test/test_bisect.py").is_file(),
        "this test needs Debian's libpython3.11-testsuite (apt-get install libpython3.11-testsuite)"
    );
    let r = freeze_and_compare(
        "cpytests",
        &system_python(),
        &[(
            "__main__.py",
            "import io, unittest\n\
             import test.support, test.test_json\n\
             print(test.test_json.PyTest.json.__name__, test.test_json.CTest.json.__name__)\n\
             suite = unittest.defaultTestLoader.loadTestsFromName('test.test_bisect')\n\
             result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)\n\
             print(result.testsRun > 10, len(result.failures), len(result.errors))\n",
        )],
    );
    assert_eq!(r.stdout, "json json\nTrue 0 0\n");
}

#[test]
fn rich_tables_load_cell_width_tables_by_computed_name() {
    // rich 15 keeps them in rich/_unicode_data/unicode17-0-0.py.
    let r = freeze_and_compare(
        "rich15",
        fidelity_python(),
        &[(
            "__main__.py",
            "import sys\n\
             from rich.console import Console\n\
             from rich.table import Table\n\
             t = Table(title='Planets')\n\
             t.add_column('Name'); t.add_column('Moons', justify='right')\n\
             t.add_row('Earth', '1'); t.add_row('J\u{fc}piter \u{1f600}', '95')\n\
             Console(file=sys.stdout, width=40, force_terminal=False).print(t)\n",
        )],
    );
    assert!(r.stdout.contains("Planets"), "{}", r.stdout);
}

#[test]
fn markdown_finds_html_parser_by_name() {
    freeze_and_compare(
        "markdown",
        fidelity_python(),
        &[(
            "__main__.py",
            "import markdown\n\
             print(markdown.markdown('# Title\\n\\nSome *text* and <b>html</b>.', extensions=['tables', 'fenced_code']))\n\
             from importlib.metadata import version\n\
             print(version('markdown'))\n",
        )],
    );
}

#[test]
fn native_code_imports_and_distribution_closures_are_bundled() {
    // orjson's Rust code imports uuid and dataclasses at init; PyNaCl's
    // cffi module imports _cffi_backend (distribution cffi, a Requires-Dist
    // of PyNaCl) from C; charset-normalizer is compiled by mypyc and
    // imports its `<hash>__mypyc` helper from C.
    let r = freeze_and_compare(
        "nativeimports",
        fidelity_python(),
        &[(
            "__main__.py",
            "import orjson\n\
             print(orjson.dumps({'a': [1, 2.5, None]}, option=orjson.OPT_SORT_KEYS))\n\
             import nacl.secret\n\
             box = nacl.secret.SecretBox(b'k' * 32)\n\
             print(box.decrypt(box.encrypt(b'secret', b'n' * 24)))\n\
             import charset_normalizer\n\
             best = charset_normalizer.from_bytes('Bonjour, le monde est beau à voir'.encode('cp1252')).best()\n\
             print(best.encoding, str(best))\n\
             from importlib.metadata import version\n\
             print(version('cffi') == __import__('cffi').__version__)\n",
        )],
    );
    assert!(r.stdout.contains("b'secret'"), "{}", r.stdout);
}

#[test]
fn a_library_inside_its_package_directory_is_bundled_once() {
    // pyarrow/libarrow.so.2600 is both package data and a DT_NEEDED library.
    freeze_and_compare(
        "pyarrow",
        fidelity_python(),
        &[(
            "__main__.py",
            "import pyarrow as pa, pyarrow.compute as pc\n\
             a = pa.array([1, 2, 3, None])\n\
             print(pc.sum(a).as_py(), a.null_count, pa.__version__)\n\
             t = pa.table({'x': [1, 2], 'y': ['a', 'b']})\n\
             print(t.schema)\n",
        )],
    );
}

const FILE_ACCESS_MAIN: &str = r#"import io, logging.config, os, unittest
here = os.path.dirname(__file__)
logging.config.fileConfig(os.path.join(here, "logging.ini"))
logging.getLogger("demo").warning("configured from logging.ini")
cfg = {}
with open(os.path.join(here, "config.py")) as f:
    exec(f.read(), cfg)
print("config:", cfg["SETTING"])
import plugins
pdir = os.path.dirname(plugins.__file__)
print("listdir:", sorted(n for n in os.listdir(pdir) if n.endswith(".py")))
print("scandir:", sorted((e.name, e.is_file()) for e in os.scandir(pdir)))
print("walk:", [(os.path.relpath(d, here), sorted(f)) for d, _, f in os.walk(pdir)])
print("exists:", os.path.exists(os.path.join(pdir, "alpha.py")), os.path.isdir(pdir),
      os.path.isfile(os.path.join(pdir, "nope.py")), os.path.getsize(os.path.join(pdir, "alpha.py")))
import tests
suite = unittest.defaultTestLoader.discover(os.path.dirname(tests.__file__), top_level_dir=here)
result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
print("discovered:", result.testsRun, len(result.failures), len(result.errors))
try:
    open(os.path.join(pdir, "missing.txt"))
except FileNotFoundError as e:
    print("missing:", type(e).__name__, e.errno)
"#;

#[test]
fn files_beside_modules_are_seen_by_path_as_python_sees_them() {
    // Data beside __main__.py, a .py read as data, directory listings of a
    // package (plugin lookup, unittest discovery), os.path checks.
    let r = freeze_and_compare(
        "fileaccess",
        &system_python(),
        &[
            ("__main__.py", FILE_ACCESS_MAIN),
            (
                "logging.ini",
                "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[formatters]\nkeys=f\n\
                 [logger_root]\nlevel=INFO\nhandlers=h\n[handler_h]\nclass=StreamHandler\n\
                 args=(sys.stdout,)\nformatter=f\n[formatter_f]\nformat=%(levelname)s %(name)s: %(message)s\n",
            ),
            ("config.py", "SETTING = 42\n"),
            ("plugins/__init__.py", ""),
            ("plugins/alpha.py", "X = 1\n"),
            ("plugins/beta.py", "X = 2\n"),
            ("plugins/templates/page.html", "<p>{x}</p>\n"),
            ("tests/__init__.py", ""),
            (
                "tests/test_one.py",
                "import unittest\nclass A(unittest.TestCase):\n    def test_a(self): pass\n    def test_b(self): pass\n",
            ),
            (
                "tests/test_two.py",
                "import unittest\nclass B(unittest.TestCase):\n    def test_c(self): pass\n",
            ),
        ],
    );
    assert!(r.stdout.contains("discovered: 3 0 0"), "{}", r.stdout);
    assert!(r.stdout.contains("config: 42"), "{}", r.stdout);
}

#[test]
fn a_failing_open_reads_as_under_python() {
    // open() is diverted for bundle paths by a builtin: a traceback shows
    // no frame of the runtime's.
    let dir = TempDir::new("openfails");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import os\nprint(open(os.path.join(os.path.dirname(__file__), 'nope.txt')).read())\n",
        )],
    );
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "openfails",
    );
    let r = assert_same(&app_dir, &[app_dir.to_str().unwrap()], &exe, &[], b"");
    assert!(r.stderr.contains("FileNotFoundError"), "{}", r.stderr);
}

#[test]
fn why_prints_the_chain_of_reasons_from_the_plan() {
    let dir = TempDir::new("why");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import sqlite3\nprint(sqlite3.sqlite_version_info > (3,))\n",
        )],
    );
    let out = dir.path().join("why");
    let args = |name: &'static str| {
        vec![
            app_dir.to_str().unwrap().to_owned(),
            "--python".to_owned(),
            PYTHON.to_owned(),
            "-o".to_owned(),
            out.to_str().unwrap().to_owned(),
            "--why".to_owned(),
            name.to_owned(),
        ]
    };
    let run = |name: &'static str| {
        let a = args(name);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let stderr = freeze_succeeds(&a);
        let start = stderr.find("why ").expect("a why report");
        let report = stderr[start..]
            .lines()
            .take_while(|l| !l.starts_with("froze "))
            .map(|l| format!("{l}\n"))
            .collect::<String>();
        // The executable built answers the same from the reasons it holds.
        let built = freeze(&["--why", name, out.to_str().unwrap()]);
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&built.stdout), report);
        assert!(built.stderr.is_empty());
        report
    };
    assert_eq!(
        run("sqlite3.dump"),
        "why sqlite3.dump:\n\
         \x20 sqlite3.dump (module): part of package sqlite3\n\
         \x20   sqlite3 (package): imported by __main__\n\
         \x20     __main__ (module): the app's entry point\n"
    );
    assert_eq!(
        run("libsqlite3.so.0"),
        "why libsqlite3.so.0:\n\
         \x20 _freeze_libs/libsqlite3.so.0 (shared library): needed by _sqlite3 (DT_NEEDED)\n\
         \x20   _sqlite3 (extension module): imported by sqlite3.dbapi2\n\
         \x20     sqlite3.dbapi2 (module): part of package sqlite3\n\
         \x20       sqlite3 (package): imported by __main__\n\
         \x20         __main__ (module): the app's entry point\n"
    );
    assert_eq!(
        run("pydoc"),
        "why pydoc: not in the bundle: not followed: imported by _freeze_importer, _sitebuiltins \
         only for help(), a self-test or a command line\n"
    );
    assert_eq!(
        run("requests"),
        "why requests: not in the bundle: nothing the app imports names it\n"
    );
    // On a built executable, --why freezes nothing else.
    let refused = freeze(&["--why", "x", out.to_str().unwrap(), "-o", "elsewhere"]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        format!(
            "error: {} is an executable made by freeze: --why NAME EXE explains it and freezes \
             nothing; give no -o, -m, -e or --script\n",
            out.display()
        )
    );
    // -v prints the whole plan: modules, libraries and data with reasons.
    let verbose = freeze_succeeds(&[
        app_dir.to_str().unwrap(),
        "--python",
        PYTHON,
        "-o",
        out.to_str().unwrap(),
        "-v",
    ]);
    assert!(
        verbose
            .lines()
            .any(|l| l.starts_with("  _freeze_libs/libsqlite3.so.0")
                && l.ends_with("shared library     needed by _sqlite3 (DT_NEEDED)")),
        "{verbose}"
    );
    let (run_dir, copy) = isolate(&out, "why-run");
    assert_eq!(run_env_i(&copy, &[], run_dir.path(), b"").stdout, "True\n");
}

#[test]
fn members_of_whole_stdlib_packages_bring_their_imports_only_once_reached() {
    // xml comes whole, but xml.dom.xmlbuilder's urllib.request (and with
    // it http, email and OpenSSL) waits until the app reaches it.
    let dir = TempDir::new("members");
    let lean = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import xml.etree.ElementTree as ET, logging\n\
             print(ET.fromstring('<a><b/></a>')[0].tag)\n",
        )],
    );
    let exe = freeze_ok(
        &[lean.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "lean",
    );
    let names = frozen_names(&exe);
    assert!(
        names.iter().any(|n| n == "xml.dom.xmlbuilder"),
        "xml is whole"
    );
    for absent in ["_ssl", "http.client", "urllib.request"] {
        assert!(!names.iter().any(|n| n == absent), "{absent} bundled");
    }
    assert_same(&lean, &[lean.to_str().unwrap()], &exe, &[], b"");

    let dir = TempDir::new("members-reached");
    let reached = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import importlib\n\
             m = importlib.import_module('xml.dom.' + 'xmlbuilder')\n\
             print(m.DOMBuilder.ACTION_REPLACE)\n\
             import logging.handlers\n\
             print(logging.handlers.HTTPHandler.__name__)\n",
        )],
    );
    let exe = freeze_ok(
        &[reached.to_str().unwrap(), "--python", PYTHON],
        dir.path(),
        "reached",
    );
    let names = frozen_names(&exe);
    assert!(
        names.iter().any(|n| n == "http.client"),
        "logging.handlers is reached"
    );
    assert_same(&reached, &[reached.to_str().unwrap()], &exe, &[], b"");
}

#[test]
fn submodules_are_found_through_the_parents_path() {
    // As setuptools' _distutils_hack does with distutils: a package put in
    // sys.modules under another name finds its submodules in its own
    // directory, whatever the name asked.
    let r = freeze_and_compare(
        "aliased",
        &system_python(),
        &[
            (
                "__main__.py",
                "import sys, importlib\n\
                 import real, alias\n\
                 sys.modules['alias'] = real\n\
                 sub = importlib.import_module('alias.sub')\n\
                 print(sub.WHO, sub.__name__, sub.__file__.endswith('real/sub.py'))\n",
            ),
            ("real/__init__.py", ""),
            ("real/sub.py", "WHO = 'real'\n"),
            ("alias/__init__.py", ""),
            ("alias/sub.py", "WHO = 'alias'\n"),
        ],
    );
    assert_eq!(r.stdout, "real alias.sub True\n");
}

#[test]
fn stdlib_modules_in_a_table_imported_by_computed_names_are_bundled() {
    // six.moves imports what its MovedModule table names, by computed name.
    freeze_and_compare(
        "sixmoves",
        fidelity_python(),
        &[(
            "__main__.py",
            "from six.moves import configparser, queue, reprlib\n\
             from six.moves.urllib.parse import urlparse, quote\n\
             from six.moves import http_client\n\
             print(configparser.ConfigParser.__name__, queue.Queue().qsize(), reprlib.repr(list(range(9))))\n\
             print(urlparse('http://x.org/a?b=1').netloc, quote('a b'), http_client.OK)\n",
        )],
    );
}

#[test]
fn finders_wrapping_pathfinder_go_before_the_bundle() {
    // As awscli does for its copies of botocore and s3transfer: a finder
    // inserted before PathFinder maps a top-level name to a directory.
    let r = freeze_and_compare(
        "wrapfinder",
        &system_python(),
        &[
            (
                "__main__.py",
                "import host\n\
                 import vendored, vendored.sub\n\
                 print(vendored.WHO, vendored.sub.WHO, vendored.__name__)\n",
            ),
            (
                "host/__init__.py",
                "import os, sys, importlib.abc\n\
                 class Alias(importlib.abc.MetaPathFinder):\n\
                 \x20   def __init__(self, finder):\n\
                 \x20       self._finder = finder\n\
                 \x20   def find_spec(self, fullname, path, target=None):\n\
                 \x20       if fullname == 'vendored':\n\
                 \x20           path = [os.path.dirname(__file__)]\n\
                 \x20       return self._finder.find_spec(fullname, path, target)\n\
                 for i, f in enumerate(sys.meta_path):\n\
                 \x20   if getattr(f, '__name__', '') == 'PathFinder':\n\
                 \x20       sys.meta_path.insert(i, Alias(f))\n\
                 \x20       break\n",
            ),
            ("host/vendored/__init__.py", "WHO = 'host copy'\n"),
            ("host/vendored/sub.py", "WHO = 'host sub'\n"),
            ("vendored/__init__.py", "WHO = 'top-level copy'\n"),
            ("vendored/sub.py", "WHO = 'top-level sub'\n"),
        ],
    );
    assert_eq!(r.stdout, "host copy host sub vendored\n");
}

#[test]
fn a_finder_that_asks_the_meta_path_itself_does_not_loop() {
    // Placed before PathFinder, it asks every other finder (as some
    // import-hook libraries do): the bundle importer, which asks the
    // finders before PathFinder first, must not ask it again.
    let r = freeze_and_compare(
        "askingfinder",
        &system_python(),
        &[
            (
                "__main__.py",
                "import sys, importlib.abc\n\
                 class Asking(importlib.abc.MetaPathFinder):\n\
                 \x20   def find_spec(self, fullname, path, target=None):\n\
                 \x20       for f in sys.meta_path:\n\
                 \x20           if f is not self and hasattr(f, 'find_spec'):\n\
                 \x20               spec = f.find_spec(fullname, path, target)\n\
                 \x20               if spec is not None:\n\
                 \x20                   return spec\n\
                 for i, f in enumerate(sys.meta_path):\n\
                 \x20   if getattr(f, '__name__', '') == 'PathFinder':\n\
                 \x20       sys.meta_path.insert(i, Asking())\n\
                 \x20       break\n\
                 import helper, json.decoder\n\
                 print(helper.X, json.decoder.__name__)\n",
            ),
            ("helper.py", "X = 'found'\n"),
        ],
    );
    assert_eq!(r.stdout, "found json.decoder\n");
}
