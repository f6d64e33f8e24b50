//! Real packages from PyPI (pinned, in a cached venv made with
//! /usr/bin/python3.11), frozen with no per-app flags and compared with the
//! venv's interpreter running the same app.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

struct Frozen {
    exe: PathBuf,
    venv: PathBuf,
}

/// Freezes the app at `app_rel` with the packages of `venv` (plus `extra`
/// arguments) into a directory of the test target's temp dir, emptied
/// first: the executables live in statics, which are never dropped, so a
/// temp dir removed on drop would be left in /tmp by every run.
fn frozen_app(venv: PathBuf, app_rel: &str, tag: &str, extra: &[&str]) -> Frozen {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("frozen-apps")
        .join(format!(
            "{tag}-{}",
            venv.file_name().unwrap().to_string_lossy()
        ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let python = venv.join("bin/python");
    let mut args = vec![
        app(app_rel).to_str().unwrap().to_owned(),
        "--python".to_owned(),
    ];
    args.push(python.to_str().unwrap().to_owned());
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let exe = freeze_ok(&args, &dir, tag);
    Frozen { exe, venv }
}

fn frozen() -> &'static Frozen {
    static FROZEN: OnceLock<Frozen> = OnceLock::new();
    FROZEN.get_or_init(|| {
        let nsextra = app("tests/apps/nsextra");
        frozen_app(
            test_venv(),
            "tests/apps/pkgs",
            "pkgs",
            &["--path", nsextra.to_str().unwrap()],
        )
    })
}

/// Runs a scenario under the venv's python and the frozen executable
/// (copied alone into an empty dir, `env -i`, private cache dir); asserts
/// the same status and output, with module roots normalised, and returns
/// the frozen run with its output so normalised.
fn same(scenario: &[&str]) -> Run {
    same_as(
        frozen(),
        "tests/apps/pkgs",
        Some("tests/apps/nsextra"),
        scenario,
    )
}

/// `same` for the frozen `app_dir` of `f`, with `extra_dir` on python's
/// PYTHONPATH where the app was frozen with `--path` to it.
fn same_as(f: &Frozen, app_dir: &str, extra_dir: Option<&str>, scenario: &[&str]) -> Run {
    let app_dir = app(app_dir);
    let site = f.venv.join("lib/python3.11/site-packages");
    let mut py_args: Vec<&str> = vec!["-B", app_dir.to_str().unwrap()];
    py_args.extend_from_slice(scenario);
    let extra_dir = extra_dir.map(app);
    let pythonpath = extra_dir
        .iter()
        .map(|d| format!("PYTHONPATH={}", d.display()))
        .collect::<Vec<_>>();
    let py_env: Vec<&str> = pythonpath.iter().map(String::as_str).collect();
    let py = run_with_env(&f.venv.join("bin/python"), &py_args, &app_dir, &py_env);

    let (dir, copy) = isolate(&f.exe, "pkgs-run");
    let cache = dir.path().join("cache");
    let xdg = format!("XDG_CACHE_HOME={}", cache.display());
    let fr = run_with_env(&copy, scenario, dir.path(), &[&xdg]);
    let data_root = data_root(&cache);

    assert_eq!(
        (py.code, py.signal),
        (fr.code, fr.signal),
        "{scenario:?}\npython: {}\nfrozen: {}",
        py.stderr,
        fr.stderr
    );
    let mut frozen_roots: Vec<&Path> = vec![&copy];
    if let Some(root) = &data_root {
        frozen_roots.push(root);
    }
    let mut python_roots: Vec<&Path> = vec![&app_dir, &site];
    python_roots.extend(extra_dir.as_deref());
    let mut fr = fr;
    for (a, b, what) in [
        (&py.stdout, &mut fr.stdout, "stdout"),
        (&py.stderr, &mut fr.stderr, "stderr"),
    ] {
        *b = normalize(b, &frozen_roots);
        assert_eq!(
            normalize(a, &python_roots),
            *b,
            "{what} differs for {scenario:?}"
        );
    }
    fr
}

fn run_with_env(program: &Path, args: &[&str], cwd: &Path, env: &[&str]) -> Run {
    let mut full: Vec<&str> = env.to_vec();
    let p = program.to_str().unwrap();
    full.push(p);
    full.extend_from_slice(args);
    run_env_i(Path::new("/usr/bin/env"), &full, cwd, b"")
}

/// The data directory the frozen app made under `cache`, if any.
fn data_root(cache: &Path) -> Option<PathBuf> {
    let dir = cache.join("freeze");
    fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("data-"))
        })
}

#[test]
fn rich_renders_a_table() {
    assert!(same(&["rich_table"]).stdout.contains("Jupiter"));
}

#[test]
fn pygments_finds_lexers_and_formatters_by_name() {
    assert!(same(&["pygments_highlight"])
        .stdout
        .contains("<span class=\"k\">def</span>"));
}

#[test]
fn click_cli_help_and_errors() {
    assert!(same(&["click_cli", "--help"])
        .stdout
        .contains("Greets NAME."));
    assert_eq!(
        same(&["click_cli", "--count", "2", "Ann"]).stdout,
        "Hello Ann!\nHello Ann!\n"
    );
    assert_eq!(same(&["click_cli"]).code, Some(2));
}

#[test]
fn docutils_embeds_its_default_stylesheet() {
    assert_eq!(
        same(&["docutils_html"]).stdout,
        "1 stylesheet(s) embedded; True True\n"
    );
}

#[test]
fn pyfiglet_renders_with_a_bundled_font() {
    assert!(same(&["figlet"]).stdout.contains("/ __/"));
}

#[test]
fn certifi_where_is_a_real_file() {
    assert_eq!(same(&["certifi_bundle"]).stdout, "certificates: True\n");
}

#[test]
fn zoneinfo_reads_tzdata() {
    assert_eq!(same(&["tz"]).stdout, "2:00:00 Europe/Paris\n");
}

#[test]
fn importlib_metadata_versions_entry_points_and_distributions() {
    let out = same(&["metadata"]).stdout;
    assert!(
        out.starts_with("13.7.1 2.17.2 click\n['pygmentize']\n['PyYAML'] True\n"),
        "{out}"
    );
}

#[test]
fn importlib_resources_and_pkgutil_get_data() {
    same(&["resources"]);
}

#[test]
fn namespace_package_split_across_distributions_and_directories() {
    let out = same(&["namespace"]).stdout;
    assert!(
        out.contains("hello from gamma (another directory)"),
        "{out}"
    );
    assert!(
        out.contains("[('alpha', 'hello from alpha'), ('beta', 'hello from beta')]"),
        "{out}"
    );
}

#[test]
fn native_extensions_from_wheels() {
    let out = same(&["native"]).stdout;
    assert!(out.contains("markupsafe._speedups"), "{out}");
    assert!(out.contains("True a:"), "libyaml in use: {out}");
    assert!(out.contains("msgpack._cmsgpack"), "{out}");
    assert!(out.contains("[ 23.  86. 149.]] 1.0"), "{out}");
}

#[test]
fn native_code_is_mapped_from_memory() {
    let (dir, copy) = isolate(&frozen().exe, "maps");
    let xdg = format!("XDG_CACHE_HOME={}", dir.path().join("cache").display());
    // Memory files of the app's own; the shared copy on a tmpfs
    // (tests/native_cache.rs) is named by its entry's path instead.
    let r = run_with_env(
        &copy,
        &["memory_maps"],
        dir.path(),
        &[&xdg, "FREEZE_NATIVE_CACHE=0"],
    );
    assert_eq!(
        r.stdout, "memfd openblas: True\nmemfd _decimal: True\nfrom venv or stdlib: []\n",
        "{}",
        r.stderr
    );
    let shm = format!("/dev/shm/freeze-test-maps-{}", std::process::id());
    let _ = std::fs::remove_dir_all(&shm);
    std::fs::create_dir(&shm).unwrap();
    std::fs::set_permissions(&shm, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let r = run_with_env(
        &copy,
        &["memory_maps"],
        dir.path(),
        &[&xdg, &format!("XDG_RUNTIME_DIR={shm}")],
    );
    let _ = std::fs::remove_dir_all(&shm);
    assert_eq!(
        r.stdout, "memfd openblas: False\nmemfd _decimal: False\nfrom venv or stdlib: []\n",
        "{}",
        r.stderr
    );
}

#[test]
fn nothing_read_from_the_venv_or_python_files() {
    let f = frozen();
    let (dir, copy) = isolate(&f.exe, "pkgs-strace");
    let cache = dir.path().join("cache");
    let xdg = format!("XDG_CACHE_HOME={}", cache.display());
    for scenario in [
        &["rich_table"][..],
        &["pygments_highlight"],
        &["click_cli", "--count", "2", "World"],
        &["docutils_html"],
        &["figlet"],
        &["certifi_bundle"],
        &["tz"],
        &["metadata"],
        &["resources"],
        &["namespace"],
        &["native"],
        &["ctypes_bundled"],
        &["pkg_resources_api"],
    ] {
        let mut args = vec![xdg.as_str(), copy.to_str().unwrap()];
        args.extend_from_slice(scenario);
        let files = strace_files(Path::new("/usr/bin/env"), &args, dir.path(), 0);
        let bad: Vec<&String> = files
            .iter()
            .filter(|p| {
                p.contains("venv-test")
                    || p.starts_with(STDLIB)
                    || p.ends_with(".py")
                    || p.ends_with(".pyc")
                    || (p.ends_with(".so")
                        && !p.starts_with("/lib")
                        && !p.starts_with("/usr/lib")
                        && !in_shared_native_copy(p))
            })
            .collect();
        assert!(bad.is_empty(), "{scenario:?}: {bad:?}");
    }
    // Package data was written once, privately, and holds no Python code.
    let root = data_root(&cache).expect("data dir");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(cache.join("freeze"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            assert!(
                !p.to_string_lossy().ends_with(".py") && !p.to_string_lossy().ends_with(".so"),
                "{}",
                p.display()
            );
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
}

#[test]
fn ctypes_loads_bundled_libraries_by_name_and_path() {
    assert_eq!(same(&["ctypes_bundled"]).stdout, "True True\n");
}

#[test]
fn pkg_resources_resource_apis() {
    assert_eq!(
        same(&["pkg_resources_api"]).stdout,
        "b'flf2a$ 6 5'\ncacert.pem True\n"
    );
}

#[test]
fn list_frozen_shows_libraries_and_what_needs_them() {
    let out = freeze(&["--list-frozen", frozen().exe.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = doc["entries"].as_array().unwrap();
    let blas = entries
        .iter()
        .find(|e| {
            e["kind"] == "shared-library"
                && e["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("numpy.libs/libopenblas")
        })
        .expect("openblas bundled");
    let users: Vec<&str> = blas["needed_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(users.contains(&"numpy.core._multiarray_umath"), "{users:?}");
    assert!(blas["size"].as_u64().unwrap() > 1_000_000);
    assert!(entries
        .iter()
        .any(|e| e["name"] == "rich-13.7.1.dist-info/METADATA"));
    assert!(entries
        .iter()
        .any(|e| e["name"] == "pyfiglet/fonts/slant.flf" && e["kind"] == "data"));
    // Test suites shipped inside packages stay out unless imported.
    assert!(!entries
        .iter()
        .any(|e| e["name"].as_str().unwrap().starts_with("numpy.core.tests")));
}

#[test]
fn exclude_drops_a_package_and_what_only_it_needed() {
    let venv = test_venv();
    let dir = TempDir::new("exclude");
    let python = venv.join("bin/python");
    let exe = freeze_ok(
        &[
            app("tests/apps/pkgs").to_str().unwrap(),
            "--python",
            python.to_str().unwrap(),
            "--exclude",
            "numpy",
            "--exclude",
            "yaml",
        ],
        dir.path(),
        "slim",
    );
    let names = frozen_names(&exe);
    assert!(!names
        .iter()
        .any(|n| n.starts_with("numpy") || n.starts_with("yaml") || n.starts_with("_yaml")));
    assert!(names.iter().any(|n| n == "rich.table"));
    let (d2, copy) = isolate(&exe, "slim-run");
    let r = run_env_i(&copy, &["tz"], d2.path(), b"");
    assert_eq!(r.stdout, "2:00:00 Europe/Paris\n", "{}", r.stderr);
}

#[test]
fn add_data_files_are_found_under_meipass() {
    let app_dir = app("tests/apps/adddata");
    let dir = TempDir::new("adddata");
    let extra = format!("{}:extra", app_dir.join("extra").display());
    let exe = freeze_ok(
        &[app_dir.to_str().unwrap(), "--add-data", &extra],
        dir.path(),
        "adddata",
    );
    let r = assert_same(&app_dir, &[app_dir.to_str().unwrap()], &exe, &[], b"");
    assert_eq!(r.stdout, "adddata demo 3\n");
}

#[test]
fn optional_integrations_of_whole_packages_stay_out_unless_reached() {
    // pygments comes along whole (lexers are looked up by name), but its
    // Sphinx plugin's import of docutils must not drag docutils in when
    // nothing the app runs imports it. The same package is bundled as soon
    // as the app imports it itself.
    let venv = test_venv();
    let dir = TempDir::new("leftout");
    let python = venv.join("bin/python");
    let app_dir = write_app(
        dir.path(),
        &[(
            "__main__.py",
            "import pygments.lexers\nprint(pygments.lexers.get_lexer_by_name('rst').name)\n",
        )],
    );
    let out = dir.path().join("lexers");
    let stderr = freeze_succeeds(&[
        app_dir.to_str().unwrap(),
        "--python",
        python.to_str().unwrap(),
        "-v",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("left out: docutils (imported only by pygments.sphinxext"),
        "{stderr}"
    );
    let bundled = frozen_names(&out);
    assert!(
        bundled.iter().any(|n| n == "pygments.sphinxext"),
        "pygments is whole"
    );
    assert!(
        !bundled.iter().any(|n| n.starts_with("docutils")),
        "docutils stays out"
    );
    let (d2, copy) = isolate(&out, "leftout-run");
    let r = run_env_i(&copy, &[], d2.path(), b"");
    assert_eq!(r.stdout, "reStructuredText\n", "{}", r.stderr);

    // Once the app reaches the plugin, its imports are followed.
    fs::write(
        app_dir.join("__main__.py"),
        "try:\n    import pygments.sphinxext\nexcept ImportError:  # needs sphinx\n    pass\n",
    )
    .unwrap();
    let reached = freeze_ok(
        &[
            app_dir.to_str().unwrap(),
            "--python",
            python.to_str().unwrap(),
        ],
        dir.path(),
        "reached",
    );
    assert!(frozen_names(&reached)
        .iter()
        .any(|n| n == "docutils.parsers.rst"));
}

// pkg_resources on bundled packages: a banner app on pyfiglet whose fonts,
// templates and plugins are reached through pkg_resources' resource,
// distribution and entry point APIs.

/// The setuptools Debian's `python3.11 -m venv` installs: pkg_resources
/// imports its vendored dependencies as `pkg_resources.extern.*`.
const SETUPTOOLS_DEBIAN: &str = "66.1.1";
/// The newest setuptools with pkg_resources (82 removed it): it appends
/// `setuptools/_vendor` to `sys.path` and imports `packaging` & co. from
/// there by their own names.
const SETUPTOOLS_NEWEST: &str = "81.0.0";

fn pkgres_frozen(setuptools: &str) -> &'static Frozen {
    static FROZEN: [OnceLock<Frozen>; 2] = [OnceLock::new(), OnceLock::new()];
    let cell = &FROZEN[usize::from(setuptools == SETUPTOOLS_NEWEST)];
    cell.get_or_init(|| {
        let pin = format!("setuptools=={setuptools}");
        let venv = venv_with(
            &format!("pkgres-setuptools-{setuptools}"),
            &[&pin, "pyfiglet==1.0.4", "tests/dists/pkgres-demo"],
        );
        frozen_app(venv, "tests/apps/pkgres", "pkgres", &[])
    })
}

fn pkgres_same(setuptools: &str, scenario: &str) -> Run {
    same_as(
        pkgres_frozen(setuptools),
        "tests/apps/pkgres",
        None,
        &[scenario],
    )
}

/// The deprecation warning setuptools 81 gives on `import pkg_resources`,
/// pointing at the app's import (the same under python and frozen).
const PKG_RESOURCES_81_WARNING: &str = "<ROOT>/__main__.py:7: UserWarning: pkg_resources is \
    deprecated as an API. See https://setuptools.pypa.io/en/latest/pkg_resources.html. The \
    pkg_resources package is slated for removal as early as 2025-11-30. Refrain from using this \
    package or pin to Setuptools<81.\n  import pkg_resources\n";

fn pkgres_stderr(setuptools: &str) -> &'static str {
    if setuptools == SETUPTOOLS_NEWEST {
        PKG_RESOURCES_81_WARNING
    } else {
        ""
    }
}

fn pkg_resources_figlet(setuptools: &str) {
    let r = pkgres_same(setuptools, "figlet");
    assert_eq!(
        r.stdout,
        concat!(
            "    __  ___ \n",
            "   / / / (_)\n",
            "  / /_/ / / \n",
            " / __  / /  \n",
            "/_/ /_/_/   \n",
            "            \n",
            "571 fonts\n",
        )
    );
    assert_eq!(r.stderr, pkgres_stderr(setuptools));
}

#[test]
fn pkg_resources_app_renders_figlet_fonts_setuptools_66() {
    pkg_resources_figlet(SETUPTOOLS_DEBIAN);
}

#[test]
fn pkg_resources_app_renders_figlet_fonts_setuptools_81() {
    pkg_resources_figlet(SETUPTOOLS_NEWEST);
}

fn pkg_resources_resource_api(setuptools: &str) {
    let r = pkgres_same(setuptools, "resources");
    assert_eq!(
        r.stdout,
        "True False\n\
         b'flf2a$ 6 5 16 15 10 0 18319'\n\
         BufferedReader b'flf2a$ 6 5 16 15 13 0 24463 229\\n'\n\
         576 ['__init__.py', 'lower.flc', 'null.flc', 'rot13.flc', 'upper.flc']\n\
         True False False\n\
         False True\n\
         slant.flf True\n\
         True True\n\
         True False\n\
         b\"__version__ = '1.0.4'\\n\"\n\
         ['__init__.py', 'banners.py', 'templates'] ['greeting.txt', 'nested'] ['deep.txt']\n\
         b'Hello from a template of pkgres_demo\\n'\n\
         BufferedReader b'nested template\\n'\n\
         b'import pyfiglet\\n'\n\
         True Hello from a template of pkgres_demo\n\
         True True\n\
         b'nested template\\n'\n\
         True\n\
         resource_string FileNotFoundError [Errno 2] No such file or directory: '<ROOT>/pkgres_demo/missing.txt'\n\
         resource_string IsADirectoryError [Errno 21] Is a directory: '<ROOT>/pkgres_demo/templates'\n\
         resource_stream FileNotFoundError [Errno 2] No such file or directory: '<ROOT>/pkgres_demo/missing.txt'\n\
         resource_listdir FileNotFoundError [Errno 2] No such file or directory: '<ROOT>/pkgres_demo/missing'\n\
         resource_listdir NotADirectoryError [Errno 20] Not a directory: '<ROOT>/pkgres_demo/templates/greeting.txt'\n"
    );
    assert_eq!(r.stderr, pkgres_stderr(setuptools));
}

#[test]
fn pkg_resources_resource_api_on_bundled_packages_setuptools_66() {
    pkg_resources_resource_api(SETUPTOOLS_DEBIAN);
}

#[test]
fn pkg_resources_resource_api_on_bundled_packages_setuptools_81() {
    pkg_resources_resource_api(SETUPTOOLS_NEWEST);
}

fn pkg_resources_distributions(setuptools: &str) {
    let r = pkgres_same(setuptools, "distributions");
    // setuptools 81's vendored packaging is a distribution on sys.path
    // (setuptools/_vendor) once pkg_resources is imported; 66's is not.
    let packaging = if setuptools == SETUPTOOLS_NEWEST {
        "packaging -> ['packaging 26.0']"
    } else {
        "packaging -> DistributionNotFound The 'packaging' distribution was not found and is \
         required by the application"
    };
    let expected = "setuptools {st} setuptools {st} setuptools -1\n\
        pyfiglet 1.0.4 pyfiglet 1.0.4 pyfiglet -1\n\
        pkgres-demo 2.1.0 pkgres-demo 2.1.0 pkgres-demo -1\n\
        pkgres-demo 2.1.0 pkgres-demo 2.1.0 pkgres-demo -1\n\
        [Requirement.parse('pyfiglet==1.0.4')] True False\n\
        ['console_scripts', 'pkgres_demo.banners'] pkgres-demo = pkgres_demo:main\n\
        pkgres_demo\n\
        True\n\
        ['pyfiglet = pyfiglet:main']\n\
        shout pkgres_demo.banners ('shout',) pkgres-demo 2.1.0\n\
        FREEZE!\n\
        slant pkgres_demo.banners ('slant',) pkgres-demo 2.1.0\n    \
        ____                        \n   \
        / __/_______  ___  ____  ___ \n  \
        / /_/ ___/ _ \\/ _ \\/_  / / _ \\\n \
        / __/ /  /  __/  __/ / /_/  __/\n\
        /_/ /_/   \\___/\\___/ /___/\\___/ \n                                \n\
        True\n\
        ['pkgres-demo 2.1.0', 'pyfiglet 1.0.4']\n\
        ['setuptools {st}', 'pyfiglet 1.0.4']\n\
        pyfiglet>=2 -> VersionConflict pyfiglet 1.0.4 is installed but pyfiglet>=2 is required\n\
        no-such-dist -> DistributionNotFound The 'no-such-dist' distribution was not found and is required by the application\n\
        {packaging}\n\
        pyfiglet 1.0.4 ['pyfiglet 1.0.4']\n";
    assert_eq!(
        r.stdout,
        expected
            .replace("{st}", setuptools)
            .replace("{packaging}", packaging)
    );
    assert_eq!(r.stderr, pkgres_stderr(setuptools));
}

#[test]
fn pkg_resources_distributions_entry_points_and_require_setuptools_66() {
    pkg_resources_distributions(SETUPTOOLS_DEBIAN);
}

#[test]
fn pkg_resources_distributions_entry_points_and_require_setuptools_81() {
    pkg_resources_distributions(SETUPTOOLS_NEWEST);
}

/// pyfiglet 0.8.post1 on Debian's setuptools, frozen: the app that met
/// `NotImplementedError: Can't perform this operation for unregistered
/// loader type` at its first font lookup.
fn figlet08_frozen() -> &'static Frozen {
    static FROZEN: OnceLock<Frozen> = OnceLock::new();
    FROZEN.get_or_init(|| {
        let pin = format!("setuptools=={SETUPTOOLS_DEBIAN}");
        let venv = venv_with("pkgres-pyfiglet-0.8", &[&pin, "pyfiglet==0.8.post1"]);
        frozen_app(venv, "tests/apps/figlet08", "figlet08", &[])
    })
}

#[test]
fn pyfiglet_0_8_finds_its_fonts_through_pkg_resources() {
    let r = same_as(figlet08_frozen(), "tests/apps/figlet08", None, &[]);
    assert_eq!(
        r.stdout,
        concat!(
            "    __  ___ \n",
            "   / / / (_)\n",
            "  / /_/ / / \n",
            " / __  / /  \n",
            "/_/ /_/_/   \n",
            "            \n",
            "425 fonts\n",
        )
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn pkg_resources_apps_read_nothing_from_their_venvs() {
    let pkgres: &[&[&str]] = &[&["figlet"], &["resources"], &["distributions"]];
    let runs: [(&Frozen, &[&[&str]]); 3] = [
        (pkgres_frozen(SETUPTOOLS_DEBIAN), pkgres),
        (pkgres_frozen(SETUPTOOLS_NEWEST), pkgres),
        (figlet08_frozen(), &[&[]]),
    ];
    for (f, scenarios) in runs {
        let (dir, copy) = isolate(&f.exe, "pkgres-strace");
        let xdg = format!("XDG_CACHE_HOME={}", dir.path().join("cache").display());
        let venv = f.venv.to_str().unwrap();
        for scenario in scenarios {
            let mut args = vec![xdg.as_str(), copy.to_str().unwrap()];
            args.extend_from_slice(scenario);
            let files = strace_files(Path::new("/usr/bin/env"), &args, dir.path(), 0);
            let bad: Vec<&String> = files
                .iter()
                .filter(|p| {
                    p.starts_with(venv)
                        || p.starts_with(STDLIB)
                        || p.contains("/tests/")
                        || p.ends_with(".py")
                        || p.ends_with(".pyc")
                        || (p.ends_with(".so")
                            && !p.starts_with("/lib")
                            && !p.starts_with("/usr/lib")
                            && !in_shared_native_copy(p))
                })
                .collect();
            assert!(bad.is_empty(), "{venv} {scenario:?}: {bad:?}");
            // The fonts were read where the data directory holds them.
            assert!(
                files
                    .iter()
                    .any(|p| p.ends_with("/pyfiglet/fonts/slant.flf")),
                "{venv} {scenario:?}: {files:?}"
            );
        }
    }
}

/// Freezes `app_rel` with the packages of `venv` and asserts that it behaves
/// as the venv's python running it (status, stdout, stderr with module roots
/// normalised); returns the frozen run.
fn same_in_venv(venv: &Path, app_rel: &str) -> Run {
    let app_dir = app(app_rel);
    let python = venv.join("bin/python");
    let dir = TempDir::new("venv-app");
    let exe = freeze_ok(
        &[
            app_dir.to_str().unwrap(),
            "--python",
            python.to_str().unwrap(),
        ],
        dir.path(),
        "app",
    );
    let py = run_with_env(&python, &["-B", app_dir.to_str().unwrap()], &app_dir, &[]);
    let (run_dir, copy) = isolate(&exe, "venv-app-run");
    let cache = run_dir.path().join("cache");
    let xdg = format!("XDG_CACHE_HOME={}", cache.display());
    let fr = run_with_env(&copy, &[], run_dir.path(), &[&xdg]);
    assert_eq!(
        (py.code, py.signal),
        (fr.code, fr.signal),
        "python: {}\nfrozen: {}",
        py.stderr,
        fr.stderr
    );
    let site = venv.join("lib/python3.11/site-packages");
    let data_root = data_root(&cache);
    let mut frozen_roots: Vec<&Path> = vec![&copy];
    if let Some(root) = &data_root {
        frozen_roots.push(root);
    }
    for (a, b, what) in [
        (&py.stdout, &fr.stdout, "stdout"),
        (&py.stderr, &fr.stderr, "stderr"),
    ] {
        assert_eq!(
            normalize(a, &[&app_dir, &site]),
            normalize(b, &frozen_roots),
            "{what} differs"
        );
    }
    fr
}

#[test]
fn pillow_draws_text_with_freetype_and_harfbuzz_that_need_each_other() {
    // pillow.libs' libfreetype and libharfbuzz name each other in
    // DT_NEEDED; loading them used to recurse until the process crashed.
    let venv = venv_with("pillow", &["Pillow==13.0.0"]);
    let r = same_in_venv(&venv, "tests/apps/pillow_text");
    assert_eq!(r.stdout, "True\n(7, 10, 47, 23) 45504\n", "{}", r.stderr);
}

#[test]
fn threadpoolctl_finds_and_limits_the_bundled_openblas() {
    let venv = venv_with("threadpoolctl", &["numpy==1.26.4", "threadpoolctl==3.8.0"]);
    let r = same_in_venv(&venv, "tests/apps/threadpools");
    let openblas =
        "[('blas', 'openblas', 'libopenblas', 'libopenblas64_p-r0-0cf96a72.3.23.dev.so', \
                    '0.3.23.dev', 'pthreads')]";
    assert_eq!(
        r.stdout,
        format!("{openblas}\n{openblas}\n[1]\n3920.0\n1\n"),
        "{}",
        r.stderr
    );
}

/// `--list-frozen --by-package` groups exactly the entries of the
/// per-entry listing: each distribution (namespace packages split by
/// RECORD), the stdlib, the app, and the runtime, adding up to the
/// executable's size.
#[test]
fn list_frozen_by_package_adds_up_to_the_per_entry_listing() {
    let exe = frozen().exe.to_str().unwrap();
    let out = freeze(&["--list-frozen", exe, "--json"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = doc["entries"].as_array().unwrap();
    let field = |e: &serde_json::Value, k: &str| e[k].as_u64().unwrap();
    let size: u64 = entries
        .iter()
        .map(|e| field(e, "size") + field(e, "source_size"))
        .sum();
    let stored: u64 = entries
        .iter()
        .map(|e| field(e, "stored") + field(e, "source_stored"))
        .sum();
    let exe_size = doc["executable_size"].as_u64().unwrap();
    let bundle_size = doc["bundle_size"].as_u64().unwrap();

    let out = freeze(&["--list-frozen", exe, "--by-package", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = by["packages"].as_array().unwrap();
    let of = |kinds: &[&str], k: &str| -> u64 {
        packages
            .iter()
            .filter(|p| kinds.contains(&p["kind"].as_str().unwrap()))
            .map(|p| field(p, k))
            .sum()
    };
    let content = ["distribution", "stdlib", "app", "package"];
    assert_eq!(of(&content, "size"), size);
    assert_eq!(of(&content, "stored"), stored);
    assert_eq!(of(&content, "entries"), entries.len() as u64);
    assert_eq!(by["total"]["stored"].as_u64().unwrap(), exe_size);
    assert_eq!(
        by["total"]["entries"].as_u64().unwrap(),
        entries.len() as u64
    );
    let row = |name: &str| {
        packages
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}: {packages:#?}"))
    };
    assert_eq!(field(row("runtime"), "stored"), exe_size - bundle_size);
    assert_eq!(row("app")["kind"], "app");
    assert!(field(row("stdlib"), "entries") > 100);
    assert_eq!(row("rich")["version"], "13.7.1");
    assert_eq!(row("PyYAML")["version"], "6.0.1");
    // numpy's OpenBLAS (numpy.libs, in numpy's RECORD) is numpy's.
    assert!(field(row("numpy"), "size") > 10_000_000);
    // The two halves of a namespace package go to their distributions.
    // and the portion from --path, in no distribution, to its top-level
    // name.
    assert_eq!(row("nsdemo-alpha")["kind"], "distribution");
    assert_eq!(row("nsdemo-beta")["kind"], "distribution");
    assert_eq!(row("nsdemo")["kind"], "package");
    // Largest first.
    let stored_col: Vec<u64> = packages.iter().map(|p| field(p, "stored")).collect();
    assert!(
        stored_col.windows(2).all(|w| w[0] >= w[1]),
        "{stored_col:?}"
    );

    // The table shows the same rows and total.
    let out = freeze(&["--list-frozen", exe, "--by-package"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let total = table.lines().last().unwrap();
    assert!(total.starts_with("TOTAL"), "{table}");
    assert!(total.ends_with(&format!(" {exe_size}")), "{table}");
    assert_eq!(table.lines().count(), packages.len() + 2, "{table}");
}

/// `--by-package` of a `--compress-runtime` executable: the compressed
/// runtime and the dictionary have rows of their own; the totals still
/// match the per-entry listing and the executable's size.
#[test]
fn list_frozen_by_package_of_a_compressed_runtime() {
    let dir = TempDir::new("bypkg-compressed");
    let exe = freeze_ok(
        &[
            app("examples/hello").to_str().unwrap(),
            "--compress-runtime",
        ],
        dir.path(),
        "hello",
    );
    let exe = exe.to_str().unwrap();
    let out = freeze(&["--list-frozen", exe, "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = doc["entries"].as_array().unwrap();
    let stored: u64 = entries
        .iter()
        .map(|e| e["stored"].as_u64().unwrap() + e["source_stored"].as_u64().unwrap())
        .sum();
    let out = freeze(&["--list-frozen", exe, "--by-package", "--json"]);
    let by: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = by["packages"].as_array().unwrap();
    let kind_stored = |kind: &str| -> u64 {
        packages
            .iter()
            .filter(|p| p["kind"] == kind)
            .map(|p| p["stored"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(kind_stored("stdlib") + kind_stored("app"), stored);
    assert!(kind_stored("dictionary") > 0, "{packages:#?}");
    assert_eq!(
        by["total"]["stored"].as_u64().unwrap(),
        doc["executable_size"].as_u64().unwrap()
    );
    assert_eq!(
        by["total"]["entries"].as_u64().unwrap(),
        entries.len() as u64
    );
    assert_eq!(
        kind_stored("runtime"),
        doc["executable_size"].as_u64().unwrap() - doc["bundle_size"].as_u64().unwrap()
    );
}

/// What a host loads without importing it by name: the plugins of an
/// installed distribution nothing requires (entry points in the group the
/// host names), a required package's module by computed name, and a
/// required distribution's package inside a namespace (sphinx's themes and
/// sphinxcontrib.*).
#[test]
fn plugins_and_requirements_loaded_by_computed_names() {
    let venv = venv_with(
        "plugins",
        &[
            "tests/dists/hostlib",
            "tests/dists/themepack",
            "tests/dists/nsx-one",
            "tests/dists/plugdemo",
        ],
    );
    let f = frozen_app(venv, "tests/apps/plugins", "plugins", &[]);
    let out = same_as(&f, "tests/apps/plugins", None, &[]).stdout;
    assert_eq!(out, "['hello from plugdemo']\ndark style\nextension one\n");
}

/// joblib's process pools: loky re-executes sys.executable with `-m` and
/// its worker module (and `-c` for its resource tracker), which must run
/// that module, not the app again (which started pools of its own without
/// end). Both runs are contained in a PID namespace and killed after a
/// timeout, so a runaway fails the test instead of the machine.
#[test]
fn joblib_process_pools_run_their_workers() {
    let venv = venv_with("joblib", &["joblib==1.6.0"]);
    let f = frozen_app(venv.clone(), "tests/apps/joblib_pools", "joblib", &[]);
    let contained = |program: &str| {
        let output = std::process::Command::new("timeout")
            .args([
                "-s",
                "KILL",
                "120",
                "unshare",
                "--pid",
                "--fork",
                "--mount-proc",
            ])
            .args([
                "sh",
                "-c",
                &format!("exec env -i PATH=/usr/bin:/bin {program}"),
            ])
            .output()
            .expect("timeout and unshare");
        status_and_output(&output)
    };
    let app_dir = app("tests/apps/joblib_pools");
    let python = contained(&format!(
        "{} {}",
        venv.join("bin/python").display(),
        app_dir.display()
    ));
    assert_eq!(
        python,
        (
            Some(0),
            "[0.0, 1.0, 2.0, 3.0, 4.0]\n[1, 1, 2, 6, 24]\n".to_owned(),
            String::new()
        )
    );
    let (dir, copy) = isolate(&f.exe, "joblib-run");
    let frozen = contained(copy.to_str().unwrap());
    drop(dir);
    assert_eq!(frozen, python);
}
