//! Real packages from PyPI (pinned, in a cached venv made with
//! /usr/bin/python3.11), frozen with no per-app flags and compared with the
//! venv's interpreter running the same app.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

struct Frozen {
    _dir: TempDir,
    exe: PathBuf,
    venv: PathBuf,
}

fn frozen() -> &'static Frozen {
    static FROZEN: OnceLock<Frozen> = OnceLock::new();
    FROZEN.get_or_init(|| {
        let venv = test_venv();
        let dir = TempDir::new("pkgs");
        let python = venv.join("bin/python");
        let exe = freeze_ok(
            &[
                app("tests/apps/pkgs").to_str().unwrap(),
                "--python",
                python.to_str().unwrap(),
                "--path",
                app("tests/apps/nsextra").to_str().unwrap(),
            ],
            dir.path(),
            "pkgs",
        );
        Frozen {
            _dir: dir,
            exe,
            venv,
        }
    })
}

/// Runs a scenario under the venv's python and the frozen executable
/// (copied alone into an empty dir, `env -i`, private cache dir); asserts
/// the same status and output, with module roots normalised.
fn same(scenario: &[&str]) -> Run {
    let f = frozen();
    let app_dir = app("tests/apps/pkgs");
    let site = f.venv.join("lib/python3.11/site-packages");
    let mut py_args: Vec<&str> = vec!["-B", app_dir.to_str().unwrap()];
    py_args.extend_from_slice(scenario);
    let nsextra = format!("PYTHONPATH={}", app("tests/apps/nsextra").display());
    let py = run_with_env(&f.venv.join("bin/python"), &py_args, &app_dir, &[&nsextra]);

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
    let nsextra_dir = app("tests/apps/nsextra");
    for (a, b, what) in [
        (&py.stdout, &fr.stdout, "stdout"),
        (&py.stderr, &fr.stderr, "stderr"),
    ] {
        assert_eq!(
            normalize(a, &[&app_dir, &site, &nsextra_dir]),
            normalize(b, &frozen_roots),
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
    let r = run_with_env(&copy, &["memory_maps"], dir.path(), &[&xdg]);
    assert_eq!(
        r.stdout, "memfd openblas: True\nmemfd _decimal: True\nfrom venv or stdlib: []\n",
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
        "rich_table",
        "pygments_highlight",
        "click_cli",
        "docutils_html",
        "figlet",
        "certifi_bundle",
        "tz",
        "metadata",
        "resources",
        "namespace",
        "native",
        "ctypes_bundled",
        "pkg_resources_api",
    ] {
        let files = strace_files(
            Path::new("/usr/bin/env"),
            &[&xdg, copy.to_str().unwrap(), scenario],
            dir.path(),
        );
        let bad: Vec<&String> = files
            .iter()
            .filter(|p| {
                p.contains("test-venv")
                    || p.starts_with(STDLIB)
                    || p.ends_with(".py")
                    || p.ends_with(".pyc")
                    || (p.ends_with(".so") && !p.starts_with("/lib") && !p.starts_with("/usr/lib"))
            })
            .collect();
        assert!(bad.is_empty(), "{scenario}: {bad:?}");
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
