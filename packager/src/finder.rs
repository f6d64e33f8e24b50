//! Finds modules in directories the way CPython's `FileFinder` does: in each
//! search root a regular package (`name/__init__.py`) or a module file
//! (extension first, then `.py`) wins at once; plain directories are
//! collected as portions of a PEP 420 namespace package, used only if no
//! root has a regular module of that name.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use freeze_bundle::ModuleKind;

/// Filename suffixes of extension modules, in CPython's search order.
pub use freeze_runtime::EXTENSION_SUFFIXES;

/// A directory modules are searched in.
#[derive(Debug, Clone)]
pub struct SearchRoot {
    pub dir: PathBuf,
    /// True for the app's own directory (syntax errors there are fatal).
    pub is_app: bool,
    /// Searched after the stdlib, as site-packages are by python.
    pub after_stdlib: bool,
    /// The stdlib directory itself, for what the stdlib archive leaves out
    /// (test suites, idlelib...): searched last, so it never shadows an
    /// installed package.
    pub is_stdlib: bool,
}

/// A module found on the filesystem.
#[derive(Debug, Clone)]
pub struct FsModule {
    pub kind: ModuleKind,
    /// The file to compile or load: `mod.py`, `pkg/__init__.py`, `ext.so`;
    /// None for a namespace package.
    pub file: Option<PathBuf>,
    /// Where submodules are searched (packages only).
    pub dirs: Vec<PathBuf>,
    /// Bundle-relative path: `pkg/mod.py`, `pkg/__init__.py`, `ns` (a
    /// namespace package's directory).
    pub rel: String,
    /// The search root it was found under.
    pub root: usize,
    /// Found in the stdlib directory (a module the archive leaves out).
    pub from_stdlib: bool,
}

pub struct Finder {
    roots: Vec<SearchRoot>,
}

impl FsModule {
    pub fn is_package(&self) -> bool {
        is_package(self.kind, &self.rel)
    }
}

impl Finder {
    pub fn new(roots: Vec<SearchRoot>) -> Finder {
        Finder { roots }
    }

    pub fn root(&self, index: usize) -> &SearchRoot {
        &self.roots[index]
    }

    /// Finds a stdlib module the archive does not hold (`test.support`,
    /// `unittest.test`) in the stdlib directory, if one is a search root.
    pub fn find_stdlib_module(&self, name: &str) -> Option<FsModule> {
        let root = self.roots.iter().position(|r| r.is_stdlib)?;
        let mut parts: Vec<&str> = name.split('.').collect();
        let leaf = parts.pop()?;
        let rel_dir = parts.join("/");
        let dir = self.roots[root].dir.join(&rel_dir);
        self.mark(find_in(&[(root, dir, rel_dir)], leaf))
    }

    /// Sets `from_stdlib` of a module found under the stdlib root.
    fn mark(&self, found: Option<FsModule>) -> Option<FsModule> {
        found.map(|mut m| {
            m.from_stdlib = self.roots[m.root].is_stdlib;
            m
        })
    }

    /// Finds a top-level module in the roots searched before the stdlib
    /// (`after_stdlib` false) or after it (true).
    pub fn find_top(&self, name: &str, after_stdlib: bool) -> Option<FsModule> {
        let dirs: Vec<(usize, PathBuf, String)> = self
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| r.after_stdlib == after_stdlib)
            .map(|(i, r)| (i, r.dir.clone(), String::new()))
            .collect();
        self.mark(find_in(&dirs, name))
    }

    /// Names of every submodule under a package found by this finder,
    /// recursively (for whole-package inclusion). With `skip_tests`, test
    /// suites shipped inside the package (`tests`, `test`) are left out: an
    /// import of them still resolves, and brings them whole.
    pub fn all_submodules(&self, package: &FsModule, name: &str, skip_tests: bool) -> Vec<String> {
        let mut out = Vec::new();
        for dir in &package.dirs {
            let mut on_path = WalkPath::default();
            if on_path.enter(dir) {
                walk_modules(dir, name, &mut out, &mut on_path, skip_tests);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Names of the top-level modules and packages in search root `root`
    /// (not its test suites): the modules of an app directory.
    pub fn top_level_modules(&self, root: usize) -> Vec<String> {
        let mut out = Vec::new();
        for (path, file) in sorted_entries(&self.roots[root].dir) {
            let stem = if path.is_dir() {
                let is_package = package_init(&path).is_some();
                (is_package && !is_test_dir(&file)).then_some(file.as_str())
            } else {
                module_stem(&file)
            };
            if let Some(stem) = stem.filter(|s| *s != "__main__" && is_module_component(s)) {
                if !out.iter().any(|o| o == stem) {
                    out.push(stem.to_owned());
                }
            }
        }
        out
    }

    /// Finds `parent.name` in a package found by this finder.
    pub fn find_child(&self, parent: &FsModule, name: &str) -> Option<FsModule> {
        let parent_rel_dir = match parent.kind {
            ModuleKind::NamespacePackage => parent.rel.clone(),
            _ => parent_dir(&parent.rel).to_owned(),
        };
        let dirs: Vec<(usize, PathBuf, String)> = parent
            .dirs
            .iter()
            .map(|d| (parent.root, d.clone(), parent_rel_dir.clone()))
            .collect();
        self.mark(find_in(&dirs, name))
    }

    /// Finds a module file given directly (the app's script).
    pub fn script(&self, file: &Path, root: usize) -> FsModule {
        let rel = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        FsModule {
            kind: ModuleKind::Module,
            file: Some(file.to_path_buf()),
            dirs: Vec::new(),
            rel,
            root,
            from_stdlib: false,
        }
    }
}

/// A directory's entries with UTF-8 names, sorted (deterministic bundles).
fn sorted_entries(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, String)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            Some((e.path(), name))
        })
        .collect();
    out.sort();
    out
}

/// The directories on a walk's current path, by device and inode. A
/// directory symlink back to one of them (`pkg/loop -> .`, `pkg/sub/up ->
/// ../..`) would take the walk round the cycle until paths grow too long,
/// bundling the same files again at every turn. Python does import through
/// such a link once (`pkg.loop`), so a walk takes the entry itself but does
/// not descend into a directory it is already in.
#[derive(Default)]
pub struct WalkPath(Vec<(u64, u64)>);

impl WalkPath {
    /// Goes into `dir`, unless the walk is already in it (or it cannot be
    /// looked at): then false, and the walk must not descend.
    pub fn enter(&mut self, dir: &Path) -> bool {
        let Ok(meta) = std::fs::metadata(dir) else {
            return false;
        };
        let id = (meta.dev(), meta.ino());
        if self.0.contains(&id) || self.0.len() >= MAX_WALK_DEPTH {
            return false;
        }
        self.0.push(id);
        true
    }

    /// Comes back out of the directory last entered.
    pub fn leave(&mut self) {
        self.0.pop();
    }

    /// How many directories the walk is in.
    fn depth(&self) -> usize {
        self.0.len()
    }
}

/// How deep a walk goes even without cycles: deeper trees are not packages
/// anyone imports from, and bind-mount loops have no symlink to notice.
const MAX_WALK_DEPTH: usize = 32;

fn walk_modules(
    dir: &Path,
    package: &str,
    out: &mut Vec<String>,
    on_path: &mut WalkPath,
    skip_tests: bool,
) {
    for (path, file) in sorted_entries(dir) {
        let file = file.as_str();
        if path.is_dir() {
            if file == "__pycache__"
                || (skip_tests && is_test_dir(file))
                || !is_module_component(file)
            {
                continue;
            }
            let sub = format!("{package}.{file}");
            let has_python = package_init(&path).is_some() || contains_python(&path);
            if has_python {
                out.push(sub.clone());
                if on_path.enter(&path) {
                    walk_modules(&path, &sub, out, on_path, skip_tests);
                    on_path.leave();
                }
            }
            continue;
        }
        let Some(stem) = module_stem(file) else {
            continue;
        };
        if stem != "__init__" && is_module_component(stem) {
            out.push(format!("{package}.{stem}"));
        }
    }
}

/// The module name a file gives (`mod.py`, `ext.cpython-311-x86_64-linux-gnu.so`
/// -> `mod`, `ext`), if it is a source or an extension module.
pub fn module_stem(file: &str) -> Option<&str> {
    file.strip_suffix(".py")
        .or_else(|| EXTENSION_SUFFIXES.iter().find_map(|s| file.strip_suffix(s)))
}

/// Test suites shipped inside packages: left out of whole packages (a size
/// rule), and brought whole themselves once the app imports them.
pub fn is_test_dir(name: &str) -> bool {
    matches!(name, "tests" | "test")
}

fn contains_python(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.filter_map(|e| e.ok()).any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.ends_with(".py") || EXTENSION_SUFFIXES.iter().any(|s| name.ends_with(s))
            })
        })
        .unwrap_or(false)
}

/// True for a file or directory name that `importlib.import_module` can
/// load as one component of a module name: any name without a dot (which
/// would split it), a path separator, whitespace or NUL. Not only
/// identifiers: rich keeps tables in `unicode17-0-0.py` and imports them by
/// computed name.
pub fn is_module_component(s: &str) -> bool {
    !s.is_empty() && !s.contains(['.', '/', '\\', '\0']) && !s.chars().any(char::is_whitespace)
}

/// True for `name` itself or a module inside package `package`.
pub fn is_within(name: &str, package: &str) -> bool {
    name.strip_prefix(package)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// True for a valid Python identifier (one component of a module name).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// Data files of a package directory, recursively: everything that is not
/// code or bytecode, as (bundle-relative path, file). With `skip_tests`,
/// test suites inside it (`tests`, `test`) are left out.
pub fn package_data(dir: &Path, rel_dir: &str, skip_tests: bool) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut on_path = WalkPath::default();
    if on_path.enter(dir) {
        collect_data(dir, rel_dir, &mut out, &mut on_path, skip_tests);
    }
    out
}

fn collect_data(
    dir: &Path,
    rel_dir: &str,
    out: &mut Vec<(String, PathBuf)>,
    on_path: &mut WalkPath,
    skip_tests: bool,
) {
    for (path, file) in sorted_entries(dir) {
        let file = file.as_str();
        let rel = join_rel(rel_dir, file);
        if path.is_dir() {
            if file != "__pycache__" && !(skip_tests && is_test_dir(file)) && on_path.enter(&path) {
                collect_data(&path, &rel, out, on_path, skip_tests);
                on_path.leave();
            }
            continue;
        }
        if !is_code_or_typing(file) && path.is_file() || is_stub_data(dir, file) {
            out.push((rel, path));
        }
    }
}

/// A stub of no module beside it: a type checker's own data (mypy and jedi
/// read typeshed's `stdlib/os/__init__.pyi` trees as files), not the
/// typing of the package's modules.
fn is_stub_data(dir: &Path, file: &str) -> bool {
    let Some(stem) = file.strip_suffix(".pyi") else {
        return false;
    };
    let typed_module = std::iter::once(".py")
        .chain(EXTENSION_SUFFIXES.iter().copied())
        .any(|suffix| dir.join(format!("{stem}{suffix}")).is_file());
    !typed_module && dir.join(file).is_file()
}

/// Non-Python files of an app directory (`app/` with `__main__.py`), as
/// (bundle-relative path, file): those in it and in its plain
/// subdirectories, recursively, which the app reads beside its modules
/// (`os.path.dirname(__file__) + "/logging.ini"`). Packages bring their
/// own data (`package_data`); hidden entries, bytecode caches, venvs and
/// installed metadata are not the app's.
pub fn app_data(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut on_path = WalkPath::default();
    if on_path.enter(dir) {
        collect_app_data(dir, "", &mut out, &mut on_path);
    }
    out
}

fn collect_app_data(
    dir: &Path,
    rel_dir: &str,
    out: &mut Vec<(String, PathBuf)>,
    on_path: &mut WalkPath,
) {
    // The app directory and 16 levels below it.
    if on_path.depth() > 17 {
        return;
    }
    for (path, file) in sorted_entries(dir) {
        let file = file.as_str();
        if file.starts_with('.') || file == "__pycache__" {
            continue;
        }
        let rel = join_rel(rel_dir, file);
        if path.is_dir() {
            let not_the_apps = package_init(&path).is_some()
                || path.join("pyvenv.cfg").is_file()
                || file == "node_modules"
                || file.ends_with(".dist-info")
                || file.ends_with(".egg-info");
            if !not_the_apps && on_path.enter(&path) {
                collect_app_data(&path, &rel, out, on_path);
                on_path.leave();
            }
        } else if path.is_file() && !is_code_or_typing(file) || is_stub_data(dir, file) {
            out.push((rel, path));
        }
    }
}

/// Modules, bytecode and type-checker files: never package data.
fn is_code_or_typing(file: &str) -> bool {
    file.ends_with(".py")
        || file.ends_with(".pyc")
        || file.ends_with(".pyo")
        || EXTENSION_SUFFIXES.iter().any(|s| file.ends_with(s))
        // Stubs of modules and the PEP 561 marker are for type checkers,
        // never read at run time; bundling them would give an app a data
        // directory (and a first-start write) it has no use for.
        || file.ends_with(".pyi")
        || file == "py.typed"
}

fn parent_dir(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

fn join_rel(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The `__init__` that makes `dir` a regular package, and its kind, in
/// FileFinder's order: an extension module (mypyc and Cython compile
/// `__init__` too, and ship the source beside it) before source.
fn package_init(dir: &Path) -> Option<(ModuleKind, PathBuf)> {
    EXTENSION_SUFFIXES
        .iter()
        .map(|suffix| (ModuleKind::Extension, dir.join(format!("__init__{suffix}"))))
        .chain([(ModuleKind::Package, dir.join("__init__.py"))])
        .find(|(_, file)| file.is_file())
}

/// Whether a module of `kind` at bundle-relative `rel` is a package: as
/// CPython's ExtensionFileLoader says, an extension module is one when its
/// file is an `__init__`.
pub fn is_package(kind: ModuleKind, rel: &str) -> bool {
    match kind {
        ModuleKind::Package | ModuleKind::NamespacePackage => true,
        ModuleKind::Extension => {
            let file = rel.rsplit('/').next().unwrap_or(rel);
            file.starts_with("__init__.")
        }
        ModuleKind::Module => false,
    }
}

/// Searches `name` in directories `(root index, dir, dir's bundle-relative path)`.
fn find_in(dirs: &[(usize, PathBuf, String)], name: &str) -> Option<FsModule> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return None;
    }
    let mut portions: Vec<(usize, PathBuf, String)> = Vec::new();
    for (root, dir, rel_dir) in dirs {
        let pkg_dir = dir.join(name);
        let pkg_rel = join_rel(rel_dir, name);
        if pkg_dir.is_dir() {
            if let Some((kind, init)) = package_init(&pkg_dir) {
                let file_name = init
                    .file_name()
                    .and_then(|f| f.to_str())
                    .unwrap_or_default();
                return Some(FsModule {
                    kind,
                    rel: format!("{pkg_rel}/{file_name}"),
                    file: Some(init),
                    dirs: vec![pkg_dir],
                    root: *root,
                    from_stdlib: false,
                });
            }
        }
        for suffix in EXTENSION_SUFFIXES {
            let file = dir.join(format!("{name}{suffix}"));
            if file.is_file() {
                return Some(FsModule {
                    kind: ModuleKind::Extension,
                    file: Some(file),
                    dirs: Vec::new(),
                    rel: join_rel(rel_dir, &format!("{name}{suffix}")),
                    root: *root,
                    from_stdlib: false,
                });
            }
        }
        let file = dir.join(format!("{name}.py"));
        if file.is_file() {
            return Some(FsModule {
                kind: ModuleKind::Module,
                file: Some(file),
                dirs: Vec::new(),
                rel: join_rel(rel_dir, &format!("{name}.py")),
                root: *root,
                from_stdlib: false,
            });
        }
        if pkg_dir.is_dir() {
            portions.push((*root, pkg_dir, pkg_rel));
        }
    }
    let (root, _, rel) = portions.first()?.clone();
    Some(FsModule {
        kind: ModuleKind::NamespacePackage,
        file: None,
        dirs: portions.into_iter().map(|(_, d, _)| d).collect(),
        rel,
        root,
        from_stdlib: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    enum Root {
        App,
        SitePackages,
    }

    /// A finder of the one search root `dir`: an app directory, or site
    /// packages searched after the stdlib.
    fn one_root(dir: &Path, root: Root) -> Finder {
        let is_app = matches!(root, Root::App);
        Finder::new(vec![SearchRoot {
            dir: dir.to_path_buf(),
            is_app,
            after_stdlib: !is_app,
            is_stdlib: false,
        }])
    }

    fn tree(files: &[&str]) -> PathBuf {
        // One directory per call: tests run in parallel.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("freeze-finder-{}-{call}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for f in files {
            let p = dir.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            if !f.ends_with('/') {
                fs::write(&p, "").unwrap();
            }
        }
        dir
    }

    #[test]
    fn a_compiled_init_beats_its_source_as_under_filefinder() {
        let so = "cpython-311-x86_64-linux-gnu.so";
        let a = tree(&[
            &format!("ext/__init__.{so}"),
            "ext/__init__.py",
            &format!("ext/mod.{so}"),
            "ext/mod.py",
        ]);
        let finder = one_root(&a, Root::SitePackages);
        let pkg = finder.find_top("ext", true).unwrap();
        assert_eq!(pkg.kind, ModuleKind::Extension);
        assert_eq!(pkg.rel, format!("ext/__init__.{so}"));
        assert!(pkg.is_package());
        let module = finder.find_child(&pkg, "mod").unwrap();
        assert_eq!(module.kind, ModuleKind::Extension);
        assert_eq!(module.rel, format!("ext/mod.{so}"));
        assert!(!module.is_package());
        assert_eq!(finder.top_level_modules(0), vec!["ext".to_owned()]);
        fs::remove_dir_all(a).unwrap();
    }

    #[test]
    fn package_beats_module_and_namespace_needs_no_regular_module() {
        let a = tree(&[
            "pkg/__init__.py",
            "pkg.py",
            "pkg/sub.py",
            "ns/x.py",
            "mod.py",
        ]);
        let finder = one_root(&a, Root::App);
        let pkg = finder.find_top("pkg", false).unwrap();
        assert_eq!(pkg.kind, ModuleKind::Package);
        assert_eq!(pkg.rel, "pkg/__init__.py");
        let sub = finder.find_child(&pkg, "sub").unwrap();
        assert_eq!(sub.rel, "pkg/sub.py");
        let ns = finder.find_top("ns", false).unwrap();
        assert_eq!(ns.kind, ModuleKind::NamespacePackage);
        assert_eq!(ns.rel, "ns");
        assert_eq!(finder.find_child(&ns, "x").unwrap().rel, "ns/x.py");
        assert_eq!(
            finder.find_top("mod", false).unwrap().kind,
            ModuleKind::Module
        );
        assert!(finder.find_top("mod", true).is_none());
        assert!(finder.find_top("missing", false).is_none());
        assert!(finder.find_top("..", false).is_none());
        assert_eq!(
            finder.all_submodules(&pkg, "pkg", true),
            vec!["pkg.sub".to_owned()]
        );
        let data = package_data(&a.join("pkg"), "pkg", true);
        assert!(data.is_empty(), "only code in pkg: {data:?}");
        fs::remove_dir_all(a).unwrap();
    }

    #[test]
    fn package_data_keeps_run_time_files_and_leaves_out_code_tests_and_typing() {
        let a = tree(&[
            "pkg/__init__.py",
            "pkg/__init__.pyi",
            "pkg/py.typed",
            "pkg/fonts/big.flf",
            "pkg/cacert.pem",
            "pkg/_speedups.cpython-311-x86_64-linux-gnu.so",
            "pkg/_speedups.pyi",
            "pkg/mod.py",
            "pkg/mod.pyi",
            "pkg/__pycache__/x.cpython-311.pyc",
            "pkg/tests/data.txt",
            "pkg/typeshed/stdlib/os/__init__.pyi",
            "pkg/typeshed/stdlib/sys.pyi",
        ]);
        let data: Vec<String> = package_data(&a.join("pkg"), "pkg", true)
            .into_iter()
            .map(|(rel, _)| rel)
            .collect();
        assert_eq!(
            data,
            vec![
                "pkg/cacert.pem",
                "pkg/fonts/big.flf",
                "pkg/typeshed/stdlib/os/__init__.pyi",
                "pkg/typeshed/stdlib/sys.pyi"
            ]
        );
        let with_tests: Vec<String> = package_data(&a.join("pkg"), "pkg", false)
            .into_iter()
            .map(|(rel, _)| rel)
            .collect();
        assert_eq!(
            with_tests,
            vec![
                "pkg/cacert.pem",
                "pkg/fonts/big.flf",
                "pkg/tests/data.txt",
                "pkg/typeshed/stdlib/os/__init__.pyi",
                "pkg/typeshed/stdlib/sys.pyi"
            ]
        );
        fs::remove_dir_all(a).unwrap();
    }

    #[test]
    fn whole_packages_keep_modules_importlib_can_name_and_tests_on_request() {
        let a = tree(&[
            "rich/__init__.py",
            "rich/_unicode_data/__init__.py",
            "rich/_unicode_data/unicode17-0-0.py",
            "rich/_unicode_data/two.dots.py",
            "rich/tests/__init__.py",
            "rich/tests/test_x.py",
            "rich/my data/x.py",
        ]);
        let finder = one_root(&a, Root::SitePackages);
        let rich = finder.find_top("rich", true).unwrap();
        assert_eq!(
            finder.all_submodules(&rich, "rich", true),
            vec!["rich._unicode_data", "rich._unicode_data.unicode17-0-0"]
        );
        assert_eq!(
            finder.all_submodules(&rich, "rich", false),
            vec![
                "rich._unicode_data",
                "rich._unicode_data.unicode17-0-0",
                "rich.tests",
                "rich.tests.test_x"
            ]
        );
        fs::remove_dir_all(a).unwrap();
    }

    #[test]
    fn symlinks_back_up_the_walk_are_taken_once_and_not_descended() {
        let a = std::env::temp_dir().join(format!("freeze-finder-loops-{}", std::process::id()));
        let _ = fs::remove_dir_all(&a);
        for f in [
            "__main__.py",
            "top.py",
            "notes.txt",
            "pkg/__init__.py",
            "pkg/mod.py",
            "pkg/data.txt",
            "pkg/sub/__init__.py",
            "assets/logo.txt",
        ] {
            let p = a.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, "").unwrap();
        }
        std::os::unix::fs::symlink(".", a.join("pkg/self")).unwrap();
        std::os::unix::fs::symlink("../..", a.join("pkg/sub/up")).unwrap();
        std::os::unix::fs::symlink("..", a.join("assets/back")).unwrap();
        let finder = one_root(&a, Root::App);
        let pkg = finder.find_top("pkg", false).unwrap();
        // python imports pkg.self and pkg.sub.up (a namespace package over
        // the app directory) and what is in them, but the walk stops where
        // it meets a directory it is already in.
        assert_eq!(
            finder.all_submodules(&pkg, "pkg", true),
            vec![
                "pkg.mod",
                "pkg.self",
                "pkg.sub",
                "pkg.sub.up",
                "pkg.sub.up.__main__",
                "pkg.sub.up.pkg",
                "pkg.sub.up.top",
            ]
        );
        let data: Vec<String> = package_data(&a.join("pkg"), "pkg", true)
            .into_iter()
            .map(|(rel, _)| rel)
            .collect();
        assert_eq!(
            data,
            vec![
                "pkg/data.txt",
                "pkg/sub/up/assets/logo.txt",
                "pkg/sub/up/notes.txt",
            ]
        );
        let app: Vec<String> = app_data(&a).into_iter().map(|(rel, _)| rel).collect();
        assert_eq!(app, vec!["assets/logo.txt", "notes.txt"]);
        fs::remove_dir_all(a).unwrap();
    }
}
