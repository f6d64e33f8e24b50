//! The build cache: a rebuild reuses compiled modules and compressed blobs,
//! produces the very same executable, survives a damaged cache, and notices
//! changed sources.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{freeze_bin, write_app, TempDir};

fn freeze_with_cache(app: &Path, out: &Path, cache: &Path, extra: &[&str]) {
    let result = Command::new(freeze_bin())
        .arg(app)
        .arg("-o")
        .arg(out)
        .args(extra)
        .env("FREEZE_CACHE_DIR", cache)
        .output()
        .expect("run freeze");
    assert!(
        result.status.success(),
        "freeze failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

fn run(exe: &Path) -> String {
    let out = Command::new(exe).output().expect("run frozen app");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn rebuilds_from_the_cache_are_identical_and_follow_source_changes() {
    let tmp = TempDir::new("cache");
    let app = write_app(
        tmp.path(),
        &[
            (
                "__main__.py",
                "import helper, json\nprint(json.dumps(helper.VALUE))\n",
            ),
            ("helper.py", "VALUE = {'answer': 42}\n"),
        ],
    );
    let cache = tmp.path().join("cache");

    let first = tmp.path().join("first");
    freeze_with_cache(&app, &first, &cache, &[]);
    assert_eq!(run(&first), "{\"answer\": 42}\n");
    let code = entries(&cache.join("build-v1/code"));
    let blobs = entries(&cache.join("build-v1/blob"));
    assert!(
        code.len() >= 2,
        "compiled __main__ and helper are cached: {code:?}"
    );
    assert!(
        blobs.len() >= 4,
        "their code and source blobs are cached: {blobs:?}"
    );
    assert!(entries(&cache).iter().all(|p| !p
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(".tmp")));

    let again = tmp.path().join("again");
    freeze_with_cache(&app, &again, &cache, &[]);
    assert!(
        fs::read(&first).unwrap() == fs::read(&again).unwrap(),
        "a cached rebuild is byte-identical"
    );

    let unused = tmp.path().join("unused-cache");
    let uncached = tmp.path().join("uncached");
    freeze_with_cache(&app, &uncached, &unused, &["--no-cache"]);
    assert!(
        fs::read(&first).unwrap() == fs::read(&uncached).unwrap(),
        "the cache changes nothing in the output"
    );
    assert!(!unused.exists(), "--no-cache writes no cache");

    // Damage every entry: flipped bytes in some, truncation in others. The
    // damaged entries are misses; the output is still the same.
    for (i, entry) in entries(&cache).iter().enumerate() {
        let mut bytes = fs::read(entry).unwrap();
        if i % 2 == 0 {
            let last = bytes.len() - 1;
            bytes[last] ^= 0x55;
        } else {
            bytes.truncate(bytes.len() / 2);
        }
        fs::write(entry, bytes).unwrap();
    }
    let repaired = tmp.path().join("repaired");
    freeze_with_cache(&app, &repaired, &cache, &[]);
    assert!(
        fs::read(&first).unwrap() == fs::read(&repaired).unwrap(),
        "a damaged cache is not trusted"
    );

    // A changed module is compiled afresh, never served stale.
    fs::write(app.join("helper.py"), "VALUE = {'answer': 43}\n").unwrap();
    let changed = tmp.path().join("changed");
    freeze_with_cache(&app, &changed, &cache, &[]);
    assert_eq!(run(&changed), "{\"answer\": 43}\n");
}
