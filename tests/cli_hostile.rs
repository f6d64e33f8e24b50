//! The `freeze` command line in hostile surroundings: planted symlinks in a
//! shared output directory, outputs that are devices or the freeze's own
//! inputs, `--list-frozen` of things that are not files or are huge, and
//! packages whose symlinks lead back up their own tree (issue 17).

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// What a `freeze` run left: exit code, stdout, stderr, and how long it
/// took.
struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `program args` (`freeze` when `program` is None) with stdout and
/// stderr going to files (a listing can outgrow a pipe's buffer while we
/// wait), failing the test if it runs longer than `seconds`.
fn run_timed(
    program: Option<&Path>,
    args: &[&str],
    seconds: u64,
    env: &[(&str, &Path)],
) -> Finished {
    let dir = TempDir::new("timed");
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let start = Instant::now();
    let mut child = Command::new(program.map_or_else(freeze_bin, Path::to_path_buf))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .spawn()
        .expect("run freeze");
    let status = wait_with_timeout(&mut child, seconds, &format!("freeze {args:?}"));
    Finished {
        code: status.code(),
        stdout: fs::read_to_string(&out).unwrap(),
        stderr: fs::read_to_string(&err).unwrap(),
        took: start.elapsed(),
    }
}

/// Asserts a clean refusal: exit 2, no panic, and as the last line of
/// stderr a one-line error naming each of `expect`.
fn assert_refused(run: &Finished, expect: &[&str]) {
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let error = run.stderr.lines().last().unwrap_or_default();
    assert!(error.starts_with("error: "), "{}", run.stderr);
    assert_eq!(run.stderr.matches("error: ").count(), 1, "{}", run.stderr);
    for e in expect {
        assert!(error.contains(e), "expected {e:?} in: {}", run.stderr);
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn hello() -> PathBuf {
    app("examples/hello")
}

/// Runs a command that sets up the test (mknod, mkfifo), failing loudly if
/// it cannot: these tests need root, as CI has.
fn setup(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{program} is needed for this test: {e}"));
    assert!(
        status.success(),
        "{program} {args:?} failed (this test needs root)"
    );
}

// ---- 6: the temporary file in the output directory ----

#[test]
fn planted_symlinks_at_old_temp_names_are_never_followed() {
    let dir = TempDir::new("plant");
    let victim = dir.path().join("victim");
    fs::write(&victim, "precious\n").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o600)).unwrap();
    // A squatter in a shared directory plants `.app.freeze-tmp-PID` for the
    // next pids, each a symlink to a file of ours (freeze runs as root).
    let pid_max: u32 = fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let last = Command::new("true").spawn().unwrap();
    let last_pid = last.id();
    let mut last = last;
    last.wait().unwrap();
    let planted: Vec<PathBuf> = (1..=20_000u32)
        .map(|step| {
            let pid = (last_pid + step) % pid_max;
            dir.path().join(format!(".app.freeze-tmp-{pid}"))
        })
        .collect();
    for link in &planted {
        std::os::unix::fs::symlink(&victim, link).unwrap();
    }
    let out = dir.path().join("app");
    let run = run_timed(None, &[s(&hello()), "-o", s(&out)], 120, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    assert!(
        fs::read(&victim).unwrap() == b"precious\n",
        "the file a planted symlink points to was overwritten"
    );
    assert_eq!(fs::metadata(&victim).unwrap().mode() & 0o7777, 0o600);
    let meta = fs::symlink_metadata(&out).unwrap();
    assert!(
        meta.is_file(),
        "the output is a file of its own, not a link"
    );
    assert_eq!(meta.mode() & 0o777, 0o755);
    for link in &planted {
        assert_eq!(fs::read_link(link).unwrap(), victim, "{}", link.display());
    }
    let planted_set: std::collections::HashSet<&PathBuf> = planted.iter().collect();
    let extra: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| *p != victim && *p != out && !planted_set.contains(p))
        .collect();
    assert!(extra.is_empty(), "left behind: {extra:?}");
    let ran = run_env_i(&out, &[], dir.path(), b"");
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stdout.starts_with("Hello from a frozen app!"),
        "{}",
        ran.stdout
    );
}

// ---- 7: outputs freeze must not replace ----

#[test]
fn outputs_that_are_not_regular_files_are_refused() {
    let dir = TempDir::new("special");
    let p = dir.path();
    // A device node of our own: /dev/null itself would be destroyed by a
    // freeze without the check.
    setup("mknod", &[s(&p.join("null")), "c", "1", "3"]);
    setup("mkfifo", &[s(&p.join("fifo"))]);
    let _socket = std::os::unix::net::UnixListener::bind(p.join("socket")).unwrap();
    fs::create_dir(p.join("dir")).unwrap();
    std::os::unix::fs::symlink(p.join("null"), p.join("link-to-null")).unwrap();
    let cases = [
        ("null", "character device"),
        ("fifo", "fifo"),
        ("socket", "socket"),
        ("dir", "is a directory"),
        ("link-to-null", "character device"),
    ];
    for (name, what) in cases {
        let out = p.join(name);
        let before = fs::symlink_metadata(&out).unwrap();
        let run = run_timed(None, &[s(&hello()), "-o", s(&out)], 60, &[]);
        assert_refused(&run, &[s(&out), what]);
        let after = fs::symlink_metadata(&out).unwrap();
        assert_eq!(
            (before.ino(), before.file_type()),
            (after.ino(), after.file_type()),
            "{name} was replaced"
        );
    }
    assert!(fs::metadata(p.join("null"))
        .unwrap()
        .file_type()
        .is_char_device());
    // Refused before any work: an app with a syntax error reports the
    // output, not the syntax error found while compiling.
    let run = run_timed(
        None,
        &[s(&app("tests/apps/syntax_error")), "-o", s(&p.join("null"))],
        60,
        &[],
    );
    assert_refused(&run, &["character device"]);
    // The real /dev/null, now that it is safe to ask.
    let run = run_timed(None, &[s(&hello()), "-o", "/dev/null"], 60, &[]);
    assert_refused(&run, &["/dev/null", "character device"]);
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

/// Freezes `args` with `-o out` and checks it is refused naming `expect`,
/// with `out` (and what it points to) unchanged.
fn assert_output_refused(args: &[&str], out: &Path, expect: &[&str], env: &[(&str, &Path)]) {
    let link_before = fs::symlink_metadata(out).unwrap();
    let target_before = fs::read(out).unwrap();
    let mut full = args.to_vec();
    full.extend(["-o", s(out)]);
    let run = run_timed(None, &full, 120, env);
    assert_refused(&run, expect);
    let link_after = fs::symlink_metadata(out).unwrap();
    assert_eq!(
        link_before.ino(),
        link_after.ino(),
        "{} replaced",
        out.display()
    );
    assert_eq!(
        fs::read(out).unwrap(),
        target_before,
        "{} changed",
        out.display()
    );
}

#[test]
fn outputs_that_are_inputs_are_refused_through_links() {
    let dir = TempDir::new("inputs");
    let p = dir.path();
    let app = write_app(
        p,
        &[
            (
                "__main__.py",
                "import helper\ntry:\n    import pkg\nexcept ImportError:\n    pass\n",
            ),
            ("helper.py", "X = 1\n"),
            ("logging.ini", "[loggers]\n"),
        ],
    );
    fs::create_dir_all(p.join("data/assets")).unwrap();
    fs::write(p.join("data/conf.txt"), "conf\n").unwrap();
    fs::write(p.join("data/assets/logo.txt"), "logo\n").unwrap();
    let lib = p.join("lib/pkg");
    fs::create_dir_all(&lib).unwrap();
    fs::write(lib.join("__init__.py"), "").unwrap();
    fs::write(lib.join("table.dat"), "table\n").unwrap();
    fs::hard_link(p.join("data/conf.txt"), p.join("conf-hardlink")).unwrap();
    fs::hard_link(app.join("helper.py"), p.join("helper-hardlink")).unwrap();
    let app_s = s(&app);

    // The app's own files: a data file of the app directory (which freeze
    // took for an earlier build and replaced), a module by a hard link.
    assert_output_refused(
        &[app_s],
        &app.join("logging.ini"),
        &["logging.ini", "input"],
        &[],
    );
    assert_output_refused(
        &[app_s],
        &p.join("helper-hardlink"),
        &["module helper", "input"],
        &[],
    );
    // Package data of a --path package.
    assert_output_refused(
        &[app_s, "--path", s(&p.join("lib"))],
        &lib.join("table.dat"),
        &["pkg/table.dat", "input"],
        &[],
    );
    // --add-data: the file, a hard link to it, a file inside a directory.
    let conf = format!("{}:.", s(&p.join("data/conf.txt")));
    let assets = format!("{}:assets", s(&p.join("data/assets")));
    assert_output_refused(
        &[app_s, "--add-data", &conf],
        &p.join("data/conf.txt"),
        &["--add-data"],
        &[],
    );
    assert_output_refused(
        &[app_s, "--add-data", &conf],
        &p.join("conf-hardlink"),
        &["--add-data"],
        &[],
    );
    assert_output_refused(
        &[app_s, "--add-data", &assets],
        &p.join("data/assets/logo.txt"),
        &["--add-data"],
        &[],
    );

    // The interpreter, through symlinks: a link to /usr/bin/python3.11, and
    // a venv's bin/python given with --python or found through VIRTUAL_ENV.
    std::os::unix::fs::symlink(PYTHON, p.join("py")).unwrap();
    assert_output_refused(
        &[app_s, "--python", PYTHON],
        &p.join("py"),
        &["--python", "input"],
        &[],
    );
    let venv = p.join("venv");
    setup(PYTHON, &["-m", "venv", "--without-pip", s(&venv)]);
    let venv_python = venv.join("bin/python");
    assert_output_refused(
        &[app_s, "--python", s(&venv_python)],
        &venv_python,
        &["--python"],
        &[],
    );
    assert_output_refused(
        &[app_s],
        &venv.join("bin/python3"),
        &["interpreter", "input"],
        &[("VIRTUAL_ENV", &venv)],
    );

    // The freeze executable itself, by its path and by a hard link.
    let own = p.join("freeze");
    copy_executable(&freeze_bin(), &own);
    fs::hard_link(&own, p.join("freeze-hardlink")).unwrap();
    for out in [own.clone(), p.join("freeze-hardlink")] {
        let before = fs::read(&own).unwrap();
        let run = run_timed(Some(&own), &[app_s, "-o", s(&out)], 120, &[]);
        assert_refused(&run, &["freeze executable itself"]);
        assert_eq!(fs::read(&own).unwrap(), before);
    }

    // Still fine: a new file in the app directory, then the earlier build
    // there replaced by the next one (it is not the app's data).
    let build = app.join("app");
    for _ in 0..2 {
        let run = run_timed(None, &[app_s, "-o", s(&build)], 120, &[]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    }
    let names = frozen_names(&build);
    assert!(
        !names.iter().any(|n| n == "app"),
        "the earlier build is not data: {names:?}"
    );
}

// ---- 8: --list-frozen of what is not a file, or is huge ----

/// Runs `freeze --list-frozen ARGS` with at most 1 GiB of address space:
/// reading a huge input whole fails at once instead of taking the
/// machine's memory.
fn list_frozen_limited(args: &[&str]) -> Finished {
    let freeze = freeze_bin();
    let mut full = vec!["--as=1073741824", s(&freeze), "--list-frozen"];
    full.extend(args);
    run_timed(Some(Path::new("prlimit")), &full, 30, &[])
}

#[test]
fn list_frozen_refuses_what_is_not_a_file_without_reading_it() {
    let dir = TempDir::new("list-special");
    let fifo = dir.path().join("fifo");
    setup("mkfifo", &[s(&fifo)]);
    // A fifo nobody writes: opening it for reading would wait forever.
    let run = list_frozen_limited(&[s(&fifo)]);
    assert_refused(&run, &[s(&fifo), "fifo"]);
    assert!(run.took < Duration::from_secs(5), "{:?}", run.took);
    // Reading /dev/urandom never ends.
    let run = list_frozen_limited(&["/dev/urandom"]);
    assert_refused(&run, &["/dev/urandom", "character device"]);
    let run = list_frozen_limited(&[s(dir.path())]);
    assert_refused(&run, &["directory"]);
}

#[test]
fn list_frozen_reads_only_headers_and_the_bundle_of_huge_files() {
    let dir = TempDir::new("list-huge");
    const HUGE: u64 = 20 << 30;
    // 20 GiB, all holes but a line of text: not an ELF file.
    let text = dir.path().join("text");
    fs::write(&text, "not an executable\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&text)
        .unwrap()
        .set_len(HUGE)
        .unwrap();
    let run = list_frozen_limited(&[s(&text)]);
    assert_refused(&run, &[s(&text), "not an ELF"]);
    assert!(run.took < Duration::from_secs(5), "{:?}", run.took);

    // A frozen executable followed by 20 GiB of holes: listed as it is.
    let exe = freeze_ok(&[s(&hello())], dir.path(), "hello");
    let small = fs::read(&exe).unwrap();
    let grown = dir.path().join("grown");
    fs::write(&grown, &small).unwrap();
    fs::File::options()
        .write(true)
        .open(&grown)
        .unwrap()
        .set_len(HUGE)
        .unwrap();
    let run = list_frozen_limited(&[s(&grown), "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.took < Duration::from_secs(5), "{:?}", run.took);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["executable_size"].as_u64(), Some(HUGE));
    let listed: Vec<&str> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, frozen_names(&exe));

    // Its .freeze section made to claim those 20 GiB: refused from the
    // bundle's header, without reading the section.
    let mut claims = small.clone();
    let shoff = u64::from_le_bytes(claims[40..48].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes(claims[60..62].try_into().unwrap()) as usize;
    let last = shoff + (shnum - 1) * 64; // embedding adds .freeze last
    let offset = u64::from_le_bytes(claims[last + 24..last + 32].try_into().unwrap());
    claims[last + 32..last + 40].copy_from_slice(&(HUGE - offset - 4096).to_le_bytes());
    let claiming = dir.path().join("claiming");
    fs::write(&claiming, &claims).unwrap();
    fs::File::options()
        .write(true)
        .open(&claiming)
        .unwrap()
        .set_len(HUGE)
        .unwrap();
    let run = list_frozen_limited(&[s(&claiming)]);
    assert_refused(&run, &[s(&claiming), "damaged", "unexpected bytes"]);
    assert!(run.took < Duration::from_secs(5), "{:?}", run.took);
}

// ---- 9d: directory symlinks back up a package's tree ----

#[test]
fn package_symlinks_back_up_the_tree_are_followed_once() {
    let dir = TempDir::new("loops");
    let main = "\
import pkgutil
import pkg, pkg.self, pkg.sub.up.top
print(pkg.self.__name__, pkg.self.VALUE)
print(pkg.sub.up.top.NAME)
print(sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)))
";
    let files = [
        ("__main__.py", main),
        ("top.py", "NAME = __name__\n"),
        ("notes.txt", "notes\n"),
        ("pkg/__init__.py", "VALUE = 42\n"),
        ("pkg/mod.py", "Y = 2\n"),
        ("pkg/data.txt", "data\n"),
        ("pkg/sub/__init__.py", ""),
        ("assets/logo.txt", "logo\n"),
    ];
    let plain_dir = dir.path().join("plain");
    fs::create_dir(&plain_dir).unwrap();
    let plain = write_app(&plain_dir, &files);
    let app = write_app(dir.path(), &files);
    std::os::unix::fs::symlink(".", app.join("pkg/self")).unwrap();
    std::os::unix::fs::symlink("../..", app.join("pkg/sub/up")).unwrap();
    // Also in a directory given to --add-data.
    std::os::unix::fs::symlink("..", app.join("assets/back")).unwrap();
    let freeze_app = |app: &Path, name: &str| {
        let out = dir.path().join(name);
        let assets = format!("{}:assets", s(&app.join("assets")));
        // Going round the loops would not end: a hang must fail the test.
        let run = run_timed(
            None,
            &[s(app), "--add-data", &assets, "-o", s(&out)],
            120,
            &[],
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        out
    };
    let exe = freeze_app(&app, "loops");
    let plain_exe = freeze_app(&plain, "plain-exe");

    let run = assert_same(&app, &[s(&app)], &exe, &[], b"");
    assert!(run.stdout.contains("pkg.self 42"), "{}", run.stdout);

    let names = frozen_names(&exe);
    let plain_names = frozen_names(&plain_exe);
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "an entry twice");
    // Through each link once, as python imports them; never round again.
    for name in &names {
        let round_again = [
            "self.self",
            "self/self",
            "up.pkg.sub",
            "up/pkg/sub",
            "back/assets",
        ];
        assert!(
            !round_again.iter().any(|r| name.contains(r)),
            "{name} goes round a loop"
        );
    }
    for once in ["pkg.self", "pkg.sub.up", "pkg.sub.up.top", "pkg.sub.up.pkg"] {
        assert!(names.iter().any(|n| n == once), "{once} missing: {names:?}");
    }
    // What the links add: the entries python sees through them once (the
    // package again as pkg.self, the app directory as pkg.sub.up and
    // assets/back), not their copies at every turn.
    let added: Vec<&String> = names.iter().filter(|n| !plain_names.contains(n)).collect();
    assert!(
        added.len() <= 20,
        "the links added {}: {added:?}",
        added.len()
    );
    let size = |exe: &Path| fs::metadata(exe).unwrap().len() as f64;
    assert!(
        size(&exe) < size(&plain_exe) * 1.01,
        "{} vs {}",
        size(&exe),
        size(&plain_exe)
    );
}
