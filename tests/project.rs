//! The Python project workflow (issue 19): console-script entry points run
//! as pip's launcher runs them (`-e`, `--script`), pyproject.toml projects
//! and their metadata, `[tool.freeze]`, editable installs. Each frozen
//! executable is compared with the launcher pip writes into a venv for the
//! same entry point (`venv/bin/NAME`): whole stdout, stderr and exit
//! status, with the roots of module paths normalised.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A venv with tests/projects/mytool installed (not editable), with the
/// distribution it requires: its `bin/mytool` and `bin/mytool-obj` are
/// pip's launchers.
fn installed_venv() -> PathBuf {
    venv_with(
        "project",
        &["tests/dists/ns-alpha", "tests/projects/mytool"],
    )
}

fn site_packages(venv: &Path) -> PathBuf {
    venv.join("lib/python3.11/site-packages")
}

/// Runs pip's launcher `launcher args` and the frozen `exe args` (copied
/// alone into an empty directory, under the launcher's name) under `env
/// -i`, and asserts the same exit status, stdout and stderr, with `roots`
/// (where python finds the modules and the launcher) and the executable's
/// virtual root both read as `<ROOT>`.
fn assert_like_launcher(launcher: &Path, roots: &[&Path], exe: &Path, args: &[&str]) -> Run {
    assert_like_launcher_filtered(launcher, roots, exe, args, |text| text.to_owned())
}

/// [`assert_like_launcher`], comparing outputs through `filter` (which
/// hides what differs from run to run, such as durations).
fn assert_like_launcher_filtered(
    launcher: &Path,
    roots: &[&Path],
    exe: &Path,
    args: &[&str],
    filter: fn(&str) -> String,
) -> Run {
    let cwd = TempDir::new("launcher-cwd");
    let py = run_env_i(launcher, args, cwd.path(), b"");
    let dir = TempDir::new("frozen");
    let copy = dir.path().join(launcher.file_name().unwrap());
    copy_executable(exe, &copy);
    let fr = run_env_i(&copy, args, dir.path(), b"");
    assert_eq!(
        (py.code, py.signal),
        (fr.code, fr.signal),
        "exit status differs for {args:?}\npython stdout:\n{}\npython stderr:\n{}\nfrozen stdout:\n{}\nfrozen stderr:\n{}",
        py.stdout,
        py.stderr,
        fr.stdout,
        fr.stderr
    );
    assert_eq!(
        filter(&normalize(&py.stdout, roots)),
        filter(&normalize(&fr.stdout, &[&copy])),
        "stdout differs for {args:?}"
    );
    assert_eq!(
        filter(&normalize(&py.stderr, roots)),
        filter(&normalize(&fr.stderr, &[&copy])),
        "stderr differs for {args:?}"
    );
    fr
}

/// `freeze args` run in `cwd`: (exit status, stderr).
fn freeze_in(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(freeze_bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run freeze");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line_error(code: Option<i32>, stderr: &str, wanted: &[&str]) {
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected:\n{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{w:?} missing from:\n{stderr}");
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A copy of a repo-relative project directory in `parent`.
fn copy_project(rel: &str, parent: &Path) -> PathBuf {
    let to = parent.join(Path::new(rel).file_name().unwrap());
    let status = Command::new("cp")
        .arg("-R")
        .arg(repo().join(rel))
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    to
}

#[test]
fn entry_point_runs_like_pips_launcher() {
    let venv = installed_venv();
    let python = venv.join("bin/python");
    let site = site_packages(&venv);
    let src = app("tests/projects/mytool/src");
    let dir = TempDir::new("entry");
    let exe = freeze_ok(
        &[s(&src), "-e", "mytool.cli:main", "--python", s(&python)],
        dir.path(),
        "mytool",
    );
    let launcher = venv.join("bin/mytool");
    let roots: [&Path; 2] = [&site, &venv];
    // No argument: main() returns None (status 0); the module is imported
    // as mytool.cli, so its `if __name__ == "__main__":` guard never runs.
    let run = assert_like_launcher(&launcher, &roots, &exe, &[]);
    assert!(run
        .stdout
        .starts_with("main() in mytool.cli argv[0]: mytool args: []\n"));
    assert!(!run.stdout.contains("guard"));
    // sys.exit(main()): an int is the status, a str is printed and gives 1.
    assert_eq!(
        assert_like_launcher(&launcher, &roots, &exe, &["exit", "3"]).code,
        Some(3)
    );
    let run = assert_like_launcher(&launcher, &roots, &exe, &["str", "oops"]);
    assert_eq!((run.code, run.stderr.as_str()), (Some(1), "failed: oops\n"));
    // A traceback reads as the launcher's: its frame `bin/mytool`, line 8.
    let run = assert_like_launcher(&launcher, &roots, &exe, &["raise", "x"]);
    assert!(
        run.stderr
            .contains("/bin/mytool\", line 8, in <module>\n    sys.exit(main())\n"),
        "{}",
        run.stderr
    );

    // module:obj.attr
    let exe = freeze_ok(
        &[s(&src), "-e", "mytool.cli:App.run", "--python", s(&python)],
        dir.path(),
        "mytool-obj",
    );
    let run = assert_like_launcher(&venv.join("bin/mytool-obj"), &roots, &exe, &[]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(3), "App.run in mytool.cli\n")
    );

    // Entry points that are not MODULE:FUNCTION, or name no module.
    let out = dir.path().join("bad");
    let (code, err) = freeze_in(dir.path(), &[s(&src), "-e", "mytool.cli", "-o", s(&out)]);
    assert_one_line_error(code, &err, &["mytool.cli", "MODULE:FUNCTION"]);
    let (code, err) = freeze_in(
        dir.path(),
        &[
            s(&src),
            "-e",
            "nosuch.cli:main",
            "-o",
            s(&out),
            "--python",
            s(&python),
        ],
    );
    assert_one_line_error(code, &err, &["no module nosuch.cli", s(&src)]);
    assert!(!out.exists());
}

#[test]
fn script_of_an_installed_distribution() {
    let venv = installed_venv();
    let python = venv.join("bin/python");
    let site = site_packages(&venv);
    let dir = TempDir::new("script");
    // No APP: the script, its modules and its dist-info come from the venv.
    let exe = freeze_ok(
        &["--script", "mytool", "--python", s(&python)],
        dir.path(),
        "mytool",
    );
    let roots: [&Path; 2] = [&site, &venv];
    let launcher = venv.join("bin/mytool");
    let run = assert_like_launcher(&launcher, &roots, &exe, &["meta"]);
    assert!(
        run.stdout
            .contains("version 1.2.3 requires ['nsdemo-alpha']\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("plugin LOADED\n"), "{}", run.stdout);
    assert_like_launcher(&launcher, &roots, &exe, &["raise"]);

    let (code, err) = freeze_in(
        dir.path(),
        &["--script", "nope", "-o", "x", "--python", s(&python)],
    );
    assert_one_line_error(
        code,
        &err,
        &[
            "--script nope: no such console script",
            "available: mytool, mytool-obj, pip",
        ],
    );
}

#[test]
fn pyproject_project_freezes_every_script_with_its_metadata() {
    let venv = installed_venv();
    let site = site_packages(&venv);
    let roots: [&Path; 2] = [&site, &venv];
    let work = TempDir::new("pyproject");
    let project = copy_project("tests/projects/mytool", work.path());
    // Not installed in the interpreter used: the metadata is made from
    // [project], and reads as the installed distribution's does.
    let (code, err) = freeze_in(work.path(), &[s(&project), "--python", PYTHON]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("froze mytool (mytool.cli:main) -> "), "{err}");
    let dist = project.join("dist");
    let run = assert_like_launcher(
        &venv.join("bin/mytool"),
        &roots,
        &dist.join("mytool"),
        &["meta"],
    );
    assert!(run.stdout.contains(
        "entry point console_scripts mytool-obj mytool.cli:App.run\n\
         entry point mytool.plugins upper mytool.plugins:upper\n"
    ));
    assert_like_launcher(
        &venv.join("bin/mytool-obj"),
        &roots,
        &dist.join("mytool-obj"),
        &[],
    );
    let why = freeze_succeeds(&[
        s(&project),
        "--script",
        "mytool",
        "-o",
        s(&work.path().join("one")),
        "--python",
        PYTHON,
        "--why",
        "mytool-1.2.3.dist-info/METADATA",
    ]);
    assert!(
        why.contains("metadata of project mytool, made from [project] of"),
        "{why}"
    );
    // Installed (in the venv): its installed dist-info is bundled.
    let out = work.path().join("installed");
    let why = freeze_succeeds(&[
        s(&project),
        "--script",
        "mytool",
        "-o",
        s(&out),
        "--python",
        s(&venv.join("bin/python")),
        "--why",
        "mytool-1.2.3.dist-info/RECORD",
    ]);
    assert!(why.contains("as installed for"), "{why}");
    assert_like_launcher(&venv.join("bin/mytool"), &roots, &out, &["meta"]);
    // What the project requires comes with its metadata, imported or not.
    let why = freeze_succeeds(&[
        s(&project),
        "--script",
        "mytool",
        "-o",
        s(&out),
        "--python",
        s(&venv.join("bin/python")),
        "--why",
        "nsdemo",
    ]);
    assert!(
        why.contains("required by project mytool (distribution nsdemo-alpha)"),
        "{why}"
    );
    assert!(frozen_names(&out)
        .iter()
        .any(|n| n.starts_with("nsdemo_alpha-1.0.1.dist-info/")));

    // `freeze .` in the project directory.
    fs::remove_dir_all(&dist).unwrap();
    let (code, err) = freeze_in(&project, &["--python", PYTHON]);
    assert_eq!(code, Some(0), "{err}");
    assert!(dist.join("mytool").is_file() && dist.join("mytool-obj").is_file());
    // `--script NAME` alone in the project directory: the project's script.
    let one = work.path().join("obj");
    let (code, err) = freeze_in(
        &project,
        &["--script", "mytool-obj", "-o", s(&one), "--python", PYTHON],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("froze mytool-obj (mytool.cli:App.run) -> "),
        "{err}"
    );
    assert_like_launcher(&venv.join("bin/mytool-obj"), &roots, &one, &[]);
    // -o names one file, the project has two scripts.
    let (code, err) = freeze_in(work.path(), &[s(&project), "-o", "x", "--python", PYTHON]);
    assert_one_line_error(
        code,
        &err,
        &["has 2 scripts (mytool, mytool-obj)", "--script NAME"],
    );
    // A project without scripts or __main__.py.
    let bare = work.path().join("bare");
    fs::create_dir_all(&bare).unwrap();
    fs::write(
        bare.join("pyproject.toml"),
        "[project]\nname = \"bare\"\nversion = \"1\"\n",
    )
    .unwrap();
    let (code, err) = freeze_in(work.path(), &[s(&bare), "--python", PYTHON]);
    assert_one_line_error(
        code,
        &err,
        &["has no [project.scripts]", "-e MODULE:FUNCTION"],
    );
}

#[test]
fn tool_freeze_table_gives_the_options() {
    let work = TempDir::new("toolfreeze");
    let project = work.path().join("proj");
    let files: &[(&str, &str)] = &[
        (
            "pyproject.toml",
            "[project]\nname = \"cfgtool\"\nversion = \"0.4\"\n\
             [project.scripts]\ncfgtool = \"cfgtool.cli:main\"\n\
             [tool.freeze]\noutput = \"build/cfgtool\"\nhidden-imports = [\"json\"]\n\
             add-data = [\"assets:assets\"]\nexclude = [\"cfgtool.devtools\"]\n\
             python = \"/usr/bin/python3.11\"\n",
        ),
        ("src/cfgtool/__init__.py", ""),
        ("src/cfgtool/devtools.py", "print('devtools')\n"),
        (
            "src/cfgtool/cli.py",
            "import importlib, os, sys\n\
             def main():\n\
             \x20   json = importlib.import_module(''.join(['js', 'on']))\n\
             \x20   print(json.dumps({'cfg': sys.argv[1:]}))\n\
             \x20   base = getattr(sys, '_MEIPASS', None) or os.path.join(os.path.dirname(__file__), '..', '..')\n\
             \x20   with open(os.path.join(base, 'assets', 'greeting.txt')) as f:\n\
             \x20       print(f.read().strip())\n\
             \x20   return 4\n\
             if False:\n\
             \x20   import cfgtool.devtools\n",
        ),
        ("assets/greeting.txt", "hello from assets\n"),
    ];
    for (rel, text) in files {
        let path = project.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    // Run from elsewhere: output and add-data are relative to the project.
    let (code, err) = freeze_in(work.path(), &[s(&project)]);
    assert_eq!(code, Some(0), "{err}");
    let exe = project.join("build/cfgtool");
    // The same as python running the entry point from src/.
    let py = run_env_i(
        Path::new(PYTHON),
        &[
            "-B",
            "-c",
            "import sys; from cfgtool.cli import main; sys.exit(main())",
            "a",
        ],
        &project.join("src"),
        b"",
    );
    let (dir, copy) = isolate(&exe, "toolfreeze-run");
    let fr = run_env_i(&copy, &["a"], dir.path(), b"");
    assert_eq!(
        (py.code, &py.stdout, &py.stderr),
        (fr.code, &fr.stdout, &fr.stderr)
    );
    assert_eq!(fr.stdout, "{\"cfg\": [\"a\"]}\nhello from assets\n");
    let names = frozen_names(&exe);
    assert!(names.iter().any(|n| n == "json"));
    assert!(names.iter().any(|n| n == "cfgtool.cli"));
    assert!(!names.iter().any(|n| n == "cfgtool.devtools"), "{names:?}");
    // The command line wins over the file.
    fs::remove_file(&exe).unwrap();
    let other = work.path().join("other");
    let (code, err) = freeze_in(work.path(), &[s(&project), "-o", s(&other)]);
    assert_eq!(code, Some(0), "{err}");
    assert!(other.is_file() && !exe.exists());
    // An unknown key is an error naming it and the file.
    let text = fs::read_to_string(project.join("pyproject.toml")).unwrap();
    fs::write(
        project.join("pyproject.toml"),
        text.replace("output =", "ouptut ="),
    )
    .unwrap();
    let (code, err) = freeze_in(work.path(), &[s(&project)]);
    assert_one_line_error(
        code,
        &err,
        &[
            "ouptut",
            s(&project.join("pyproject.toml")),
            "[tool.freeze]",
        ],
    );
}

/// A venv with tests/projects/flattool (setuptools, flat layout: found
/// through setuptools' editable finder), tests/projects/hatchtool
/// (hatchling, src layout: a .pth path) and tests/projects/eggtool
/// (`setup.py develop`: an egg-link) installed with `pip install -e` from
/// copies kept beside it; cached like `venv_with`.
fn editable_venv() -> (PathBuf, PathBuf) {
    let target = repo().join("target");
    let venv = target.join("venv-editable");
    let sources = target.join("venv-editable.src");
    let projects = [
        "tests/projects/flattool",
        "tests/projects/hatchtool",
        "tests/projects/eggtool",
    ];
    let mut key = String::new();
    for rel in projects {
        let mut stack = vec![repo().join(rel)];
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        for f in files {
            key.push_str(&format!(
                "{}\n{}\n",
                f.display(),
                fs::read_to_string(&f).unwrap()
            ));
        }
    }
    fs::create_dir_all(&target).unwrap();
    let lock = fs::File::create(target.join("venv-editable.lock")).unwrap();
    lock.lock().unwrap();
    let marker = venv.join(".freeze-test-inputs");
    if fs::read_to_string(&marker).ok().as_deref() == Some(key.as_str()) {
        return (venv, sources);
    }
    let _ = fs::remove_dir_all(&venv);
    let _ = fs::remove_dir_all(&sources);
    fs::create_dir_all(&sources).unwrap();
    let status = Command::new(PYTHON)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    for rel in projects {
        let copy = copy_project(rel, &sources);
        let out = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check", "-e"])
            .arg(&copy)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pip install -e {rel} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fs::write(&marker, key).unwrap();
    (venv, sources)
}

#[test]
fn editable_installs_are_followed_to_their_sources() {
    let (venv, sources) = editable_venv();
    let python = venv.join("bin/python");
    let site = site_packages(&venv);
    let dir = TempDir::new("editable");
    // setuptools, flat layout: the module is found through the MAPPING of
    // its editable finder, not on sys.path.
    let finder = fs::read_dir(&site)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("__editable___flattool") && n.ends_with("_finder.py"));
    assert!(finder.is_some(), "setuptools wrote no editable finder");
    let exe = freeze_ok(
        &["--script", "flattool", "--python", s(&python)],
        dir.path(),
        "flattool",
    );
    let flat_src = sources.join("flattool");
    let roots: [&Path; 3] = [&flat_src, &site, &venv];
    let run = assert_like_launcher(&venv.join("bin/flattool"), &roots, &exe, &[]);
    assert_eq!(run.stdout, "flattool 0.3.0 from flattool.cli\n");
    let run = assert_like_launcher(&venv.join("bin/flattool"), &roots, &exe, &["raise"]);
    assert!(
        run.stderr.ends_with("RuntimeError: flat failure\n"),
        "{}",
        run.stderr
    );
    let names = frozen_names(&exe);
    assert!(names
        .iter()
        .any(|n| n == "flattool-0.3.0.dist-info/METADATA"));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("__editable__") || n.starts_with("flattool.egg-info")),
        "{names:?}"
    );

    // hatchling, src layout with a dynamic version: a .pth path entry.
    let hatch_src = sources.join("hatchtool/src");
    let roots: [&Path; 3] = [&hatch_src, &site, &venv];
    let exe = freeze_ok(
        &["--script", "hatchtool", "--python", s(&python)],
        dir.path(),
        "hatchtool",
    );
    let run = assert_like_launcher(&venv.join("bin/hatchtool"), &roots, &exe, &["a", "b"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(2), "hatchtool 2.0.1 from hatchtool.cli\n")
    );
    // The project itself, installed editable: its dynamic version comes
    // from the installed dist-info.
    let project = sources.join("hatchtool");
    let out = dir.path().join("hatchtool-project");
    let (code, err) = freeze_in(
        dir.path(),
        &[s(&project), "-o", s(&out), "--python", s(&python)],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert_like_launcher(&venv.join("bin/hatchtool"), &roots, &out, &[]);
    // setup.py develop (setuptools < 64): an egg-link, metadata in the
    // project's egg-info. pip's launcher is easy_install's here, which
    // finds the function through the metadata: same output.
    let egg_src = sources.join("eggtool");
    assert!(site.join("eggtool.egg-link").is_file());
    let roots: [&Path; 3] = [&egg_src, &site, &venv];
    let exe = freeze_ok(
        &["--script", "eggtool", "--python", s(&python)],
        dir.path(),
        "eggtool",
    );
    let run = assert_like_launcher(&venv.join("bin/eggtool"), &roots, &exe, &["x"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(5), "eggtool 0.9 from eggtool.cli ['x']\n")
    );
    assert!(frozen_names(&exe)
        .iter()
        .any(|n| n == "eggtool.egg-info/PKG-INFO"));
    // Not installed: a dynamic version cannot be known; freeze says so.
    let elsewhere = TempDir::new("not-installed");
    let copy = copy_project("tests/projects/hatchtool", elsewhere.path());
    let (code, err) = freeze_in(
        dir.path(),
        &[s(&copy), "-o", s(&dir.path().join("x")), "--python", PYTHON],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("the version of hatchtool is dynamic")
            && err.contains("run `pip install -e .`"),
        "{err}"
    );
}

/// PyInstaller's spellings: --name (dist/NAME), --onefile (a note),
/// --collect-all/-data/-submodules (packages the app never imports by a
/// constant name come whole, with data and metadata), --copy-metadata (a
/// distribution's dist-info alone), --paths; bad values are one-line
/// errors.
#[test]
fn pyinstaller_options() {
    let venv = test_venv();
    let python = venv.join("bin/python");
    let dir = TempDir::new("pyinstaller");
    let app = write_app(
        dir.path(),
        &[
            (
                "app.py",
                "import importlib, importlib.metadata, importlib.resources, sys\n\
                 mod = importlib.import_module(sys.argv[1])\n\
                 print(mod.__name__, importlib.metadata.version(sys.argv[2]))\n\
                 if len(sys.argv) > 3:\n\
                 \x20   print(importlib.resources.files(sys.argv[1]).joinpath(sys.argv[3]).is_file())\n",
            ),
            ("lib/extra_mod.py", "X = 1\n"),
        ],
    );
    let common = [
        "app.py",
        "--python",
        s(&python),
        "--collect-all",
        "pyfiglet",
        "--collect-data",
        "certifi",
        "--collect-submodules",
        "yaml",
        "--copy-metadata",
        "click",
        "--paths",
        "lib",
        "--hidden-import",
        "extra_mod",
    ];
    let mut args = common.to_vec();
    args.extend(["--name", "myapp", "--onefile"]);
    let (code, stderr) = freeze_in(&app, &args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("note: --onefile: freeze always makes one file"),
        "{stderr}"
    );
    assert!(stderr.contains("note: --copy-metadata:"), "{stderr}");
    assert_pyinstaller_options_held(&app.join("dist/myapp"));

    // The same options from [tool.freeze], relative to the project's
    // directory, with freeze run from elsewhere.
    let project = dir.path().join("proj");
    fs::create_dir_all(project.join("lib")).unwrap();
    fs::copy(app.join("app.py"), project.join("app.py")).unwrap();
    fs::copy(
        app.join("lib/extra_mod.py"),
        project.join("lib/extra_mod.py"),
    )
    .unwrap();
    let table = format!(
        "[project]\nname = \"piapp\"\nversion = \"1\"\n[tool.freeze]\nmodule = \"app\"\n\
         name = \"fromfile\"\nonefile = true\npython = \"{}\"\ncollect-all = [\"pyfiglet\"]\n\
         collect-data = [\"certifi\"]\ncollect-submodules = [\"yaml\"]\n\
         copy-metadata = [\"click\"]\npaths = [\"lib\"]\nhidden-imports = [\"extra_mod\"]\n",
        s(&python)
    );
    fs::write(project.join("pyproject.toml"), &table).unwrap();
    let (code, stderr) = freeze_in(dir.path(), &[s(&project)]);
    assert_eq!(code, Some(0), "{stderr}");
    let pyproject = project.join("pyproject.toml");
    assert!(
        stderr.contains(&format!("note: {}: [tool.freeze] onefile:", s(&pyproject))),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "note: {}: [tool.freeze] copy-metadata:",
            s(&pyproject)
        )),
        "{stderr}"
    );
    assert_pyinstaller_options_held(&project.join("dist/fromfile"));
    fs::write(
        &pyproject,
        table.replace("name = \"fromfile\"", "name = \"a/b\""),
    )
    .unwrap();
    let (code, stderr) = freeze_in(dir.path(), &[s(&project)]);
    assert_one_line_error(
        code,
        &stderr,
        &[s(&pyproject), "[tool.freeze] name \"a/b\""],
    );

    for (extra, wanted) in [
        (&["--onedir"][..], &["--onedir", "one file"][..]),
        (&["--name", "a/b"], &["--name", "a/b"]),
        (&["--name", "x", "-o", "y"], &["--name x", "-o y"]),
        (
            &["--collect-all", "nosuchpkg", "-o", "x"],
            &["--collect-all nosuchpkg", "no such package"],
        ),
        (
            &["--copy-metadata", "nosuchdist", "-o", "x"],
            &["--copy-metadata nosuchdist", "no distribution"],
        ),
    ] {
        let mut args = vec!["app.py", "--python", s(&python)];
        args.extend_from_slice(extra);
        let (code, stderr) = freeze_in(&app, &args);
        let errors: String = stderr
            .lines()
            .filter(|l| !l.starts_with("note:"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_one_line_error(code, &errors, wanted);
    }
}

/// What `pyinstaller_options` asks of the app it freezes (modules,
/// metadata and data of the collected packages), in the frozen `exe`.
fn assert_pyinstaller_options_held(exe: &Path) {
    let (_d, copy) = isolate(exe, "pyinstaller-run");
    let cwd = copy.parent().unwrap();
    let run = |args: &[&str]| {
        let r = run_env_i(&copy, args, cwd, b"");
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        r.stdout
    };
    assert_eq!(
        run(&["pyfiglet", "click", "fonts/slant.flf"]),
        "pyfiglet 8.1.7\nTrue\n"
    );
    assert_eq!(
        run(&["certifi", "pyfiglet", "cacert.pem"]),
        "certifi 1.0.2\nTrue\n"
    );
    assert_eq!(run(&["yaml.cyaml", "PyYAML"]), "yaml.cyaml 6.0.1\n");
    assert_eq!(run(&["extra_mod", "certifi"]), "extra_mod 2024.2.2\n");
    // --copy-metadata brings click's dist-info, not click.
    let names = frozen_names(exe);
    assert!(names
        .iter()
        .any(|n| n.starts_with("click-8.1.7.dist-info/")));
    assert!(!names.iter().any(|n| n == "click"));
}

/// A venv with the console scripts of tests/cli-requirements.txt.
fn clis_venv() -> PathBuf {
    let text = fs::read_to_string(repo().join("tests/cli-requirements.txt")).unwrap();
    venv_with("clis", &requirement_lines(&text))
}

/// A console script of a real PyPI CLI whose modules are compiled by mypyc:
/// black's `__init__` is an extension module beside its source, as is
/// every module it runs, and their code lives in a shared
/// `<hash>__mypyc` module imported from C.
#[test]
fn script_of_a_cli_from_pypi() {
    let venv = clis_venv();
    let python = venv.join("bin/python");
    let site = site_packages(&venv);
    let dir = TempDir::new("black");
    let exe = freeze_ok(
        &["--script", "black", "--python", s(&python)],
        dir.path(),
        "black",
    );
    let roots: [&Path; 2] = [&site, &venv];
    let launcher = venv.join("bin/black");
    let version = assert_like_launcher(&launcher, &roots, &exe, &["--version"]);
    assert!(
        version.stdout.contains("(compiled: yes)"),
        "{}",
        version.stdout
    );
    let formatted = assert_like_launcher(
        &launcher,
        &roots,
        &exe,
        &["-c", "x = {  'a':37,'b':42,\n'c':927}\nprint( x )"],
    );
    assert_eq!(
        formatted.stdout,
        "x = {\"a\": 37, \"b\": 42, \"c\": 927}\nprint(x)\n"
    );
    let broken = assert_like_launcher(&launcher, &roots, &exe, &["-c", "def f(:"]);
    assert_eq!(broken.code, Some(123), "{}", broken.stderr);
}

/// Console scripts of PyPI's common developer tools, each frozen from one
/// venv and run as its launcher: mypy (compiled by mypyc, reading
/// typeshed's stubs as files), flake8 and pylint (plugins and checkers
/// found by entry points and names), isort, pytest (loading the `pytest11`
/// plugin of a distribution it does not require: platformdirs), httpie.
#[test]
fn developer_tools_from_pypi_run_like_their_launchers() {
    let venv = clis_venv();
    let python = venv.join("bin/python");
    let site = site_packages(&venv);
    let roots: [&Path; 2] = [&site, &venv];
    let dir = TempDir::new("dev-tools");
    let code = dir.path().join("checked.py");
    fs::write(
        &code,
        "import os\ndef f(x: int) -> str:\n    return x\nimport json\n",
    )
    .unwrap();
    let test = dir.path().join("test_it.py");
    fs::write(&test, "def test_it():\n    assert 1 + 1 == 3\n").unwrap();
    let (code, test) = (s(&code), s(&test));
    let runs: &[(&str, &[&[&str]])] = &[
        (
            "mypy",
            &[
                &["--version"],
                &["--no-incremental", "--cache-dir=/dev/null", code],
            ],
        ),
        ("flake8", &[&["--version"], &[code]]),
        ("pylint", &[&["--persistent=n", code]]),
        ("isort", &[&["--stdout", code]]),
        (
            "pytest",
            &[&[
                "-p",
                "no:cacheprovider",
                "-o",
                "console_output_style=classic",
                test,
            ]],
        ),
        (
            "http",
            &[
                &["--version"],
                &["--offline", "POST", "example.org", "a=1", "b:=2"],
            ],
        ),
    ];
    for (script, arg_lists) in runs {
        let exe = freeze_ok(
            &["--script", script, "--python", s(&python), "-q"],
            dir.path(),
            script,
        );
        let launcher = venv.join("bin").join(script);
        for args in *arg_lists {
            let run = assert_like_launcher_filtered(&launcher, &roots, &exe, args, hide_durations);
            match *script {
                "mypy" if args.len() > 1 => assert!(
                    run.stdout.contains("error: Incompatible return value type"),
                    "{}",
                    run.stdout
                ),
                "pytest" => assert!(
                    run.stdout.contains("plugins: platformdirs-4.14.9"),
                    "{}",
                    run.stdout
                ),
                _ => {}
            }
        }
    }
}

/// `text` with durations such as pytest's `in 0.05s` read as `in <T>s`.
fn hide_durations(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        let digits = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        if digits > 0 && after[digits..].starts_with('s') {
            out.push_str("<T>");
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}
