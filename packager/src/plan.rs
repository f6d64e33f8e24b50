//! The bundle plan: everything an executable will hold (modules, extension
//! modules, shared libraries, package data, dist-info, `--add-data`), each
//! with the reason it is in, decided before anything is written. The
//! writer (`freezer::write_plan`) only walks it; `-v` prints it and
//! `--why NAME` follows its reasons back to the app's entry point.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use freeze_bundle::{BlobRef, Bundle, FileKind, MainMode, ModuleKind, PrefetchItem};

use crate::elfdeps::{self, Closure};
use crate::embedded::StdlibIndex;
use crate::graph::{ModuleGraph, Origin};

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A blob of the stdlib archive built into freeze.
    Archive(BlobRef),
    /// Code compiled (or source read) while discovering.
    Bytes(Vec<u8>),
    /// A file on disk, read when written.
    File(PathBuf),
    /// Native code on disk (an extension module or shared library): mapped
    /// when written, and compressed once for the build cache.
    Native(PathBuf),
}

/// Why an entry is in the plan: a sentence, and the entry (module name or
/// bundle path) that brought it, if another one did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub text: String,
    pub via: Option<String>,
}

impl Reason {
    pub fn new(text: impl Into<String>, via: Option<&str>) -> Reason {
        Reason {
            text: text.into(),
            via: via.map(str::to_owned),
        }
    }
}

#[derive(Debug)]
pub struct PlannedModule {
    pub kind: ModuleKind,
    /// Bundle-relative path (`pkg/mod.py`).
    pub path: String,
    pub code: Option<Content>,
    pub source: Option<Content>,
    pub reason: Reason,
}

#[derive(Debug)]
pub struct PlannedFile {
    pub kind: FileKind,
    /// The SONAME of a shared library, empty otherwise.
    pub aux: String,
    pub content: Content,
    pub reason: Reason,
}

/// What goes into one bundle.
#[derive(Debug)]
pub struct BundlePlan {
    pub main: (MainMode, String),
    pub modules: BTreeMap<String, PlannedModule>,
    /// By bundle path.
    pub files: BTreeMap<String, PlannedFile>,
    pub prefetch: Vec<PrefetchItem>,
    /// The Python modules that run at every start (the main module's eager
    /// imports, `ModuleGraph::eager_order`): their code is stored to unpack
    /// fast (LZ4) rather than small (zstd).
    pub at_start: BTreeSet<String>,
    /// Modules the graph has that the bundle does not carry (builtin, or
    /// frozen into CPython), with their reasons, for `--why`.
    pub unbundled: BTreeMap<String, (&'static str, Reason)>,
}

impl BundlePlan {
    pub fn new(mode: MainMode, main: &str) -> BundlePlan {
        BundlePlan {
            main: (mode, main.to_owned()),
            modules: BTreeMap::new(),
            files: BTreeMap::new(),
            prefetch: Vec::new(),
            at_start: BTreeSet::new(),
            unbundled: BTreeMap::new(),
        }
    }

    /// Adds a file unless the plan has one at `path` already (the first
    /// reason stands); true if added.
    pub fn add_file(&mut self, path: &str, file: PlannedFile) -> bool {
        if self.files.contains_key(path) {
            return false;
        }
        self.files.insert(path.to_owned(), file);
        true
    }

    /// One line per entry: name, what it is, and why it is in (`-v`).
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, (what, reason)) in &self.unbundled {
            lines.push(format!("  {name:<40} {what:<18} {}", reason.text));
        }
        for (name, m) in &self.modules {
            lines.push(format!(
                "  {name:<40} {:<18} {}",
                kind_word(m.kind),
                m.reason.text
            ));
        }
        for (path, f) in &self.files {
            lines.push(format!(
                "  {path:<40} {:<18} {}",
                file_word(f.kind),
                f.reason.text
            ));
        }
        lines
    }

    /// Bundled modules (those the executable carries).
    pub fn module_count(&self) -> usize {
        self.modules.len()
    }
}

pub(crate) fn kind_word(kind: ModuleKind) -> &'static str {
    match kind {
        ModuleKind::Module => "module",
        ModuleKind::Package => "package",
        ModuleKind::NamespacePackage => "namespace package",
        ModuleKind::Extension => "extension module",
    }
}

pub(crate) fn file_word(kind: FileKind) -> &'static str {
    match kind {
        FileKind::SharedLibrary => "shared library",
        _ => "data file",
    }
}

/// What planning needs besides the graph.
pub struct PlanInputs<'a> {
    pub stdlib: &'a Bundle<'static>,
    pub index: &'a StdlibIndex,
    /// Search roots, for where libraries found in them go in the bundle.
    pub roots: &'a [PathBuf],
    pub mode: MainMode,
    pub main_name: &'a str,
    /// The app directory whose non-Python files come along (`app/` with
    /// `__main__.py`), and an earlier build at the output path, canonical,
    /// which is not one of them.
    pub app_dir: Option<&'a Path>,
    pub earlier_build: Option<PathBuf>,
    pub no_source: bool,
    /// CPython's frozen stdlib modules have a `__file__` below the root
    /// (`InterpreterFacts::frozen_files`): their archive entries are bundled
    /// so that it exists and reads as under python (CPython still imports
    /// them from its own frozen code).
    pub frozen_files: bool,
    /// Metadata directories of the distributions providing a top-level
    /// module found under search root `root`.
    pub metadata_of: &'a dyn Fn(&str, usize) -> Vec<PathBuf>,
    /// `--add-data`: (bundle path, file on disk).
    pub add_data: Vec<(String, PathBuf)>,
    /// The metadata of the project being frozen (its installed dist-info,
    /// or one made from pyproject.toml's `[project]`): (bundle path,
    /// content, reason).
    pub project_metadata: Vec<(String, Content, Reason)>,
}

/// Plans the bundle of `graph`.
pub fn plan_bundle(graph: &ModuleGraph, inputs: &PlanInputs<'_>) -> Result<BundlePlan> {
    let mut plan = BundlePlan::new(inputs.mode, inputs.main_name);
    // SONAME -> bundle path of the shared libraries planned.
    let mut libraries: BTreeMap<String, String> = BTreeMap::new();
    // The bundled libraries each extension module loads, in the order the
    // runtime loads them, for the prefetch table.
    let mut libraries_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stdlib_packages = Vec::new();
    for (name, node) in &graph.nodes {
        let reason = Reason::new(node.reason.clone(), node.via.as_deref());
        let source_of = |content: Option<Content>| if inputs.no_source { None } else { content };
        match &node.origin {
            Origin::Builtin => {
                plan.unbundled.insert(name.clone(), ("builtin", reason));
            }
            Origin::Frozen
                if !inputs.frozen_files || inputs.stdlib.find_module(name)?.is_none() =>
            {
                plan.unbundled
                    .insert(name.clone(), ("frozen in CPython", reason));
            }
            Origin::Stdlib | Origin::Frozen => {
                let m = inputs
                    .stdlib
                    .find_module(name)?
                    .with_context(|| format!("stdlib module {name} missing from the archive"))?;
                plan.modules.insert(
                    name.clone(),
                    PlannedModule {
                        kind: m.kind,
                        path: m.path.to_owned(),
                        code: m.code.map(Content::Archive),
                        source: source_of(m.source.map(Content::Archive)),
                        reason,
                    },
                );
                if m.kind == ModuleKind::Extension {
                    let mut order = Vec::new();
                    plan_stdlib_libraries(
                        &mut plan,
                        inputs,
                        name,
                        name,
                        &mut libraries,
                        &mut order,
                    )?;
                    libraries_of.insert(name.clone(), order);
                }
                if m.kind == ModuleKind::Package {
                    if let Some((dir, _)) = m.path.rsplit_once('/') {
                        stdlib_packages.push((name.clone(), dir.to_owned()));
                    }
                }
            }
            Origin::File(found) => match node.kind {
                ModuleKind::NamespacePackage => {
                    plan.modules.insert(
                        name.clone(),
                        PlannedModule {
                            kind: node.kind,
                            path: found.rel.clone(),
                            code: None,
                            source: None,
                            reason,
                        },
                    );
                }
                ModuleKind::Extension => {
                    let file = found.file.as_deref().context("extension without a file")?;
                    let bytes = elfdeps::map_file(file).with_context(|| {
                        format!(
                            "cannot read extension module {name} from {}",
                            file.display()
                        )
                    })?;
                    let origin_dir = file
                        .canonicalize()
                        .ok()
                        .and_then(|p| p.parent().map(Path::to_path_buf))
                        .unwrap_or_default();
                    let mut closure = Closure::default();
                    elfdeps::resolve(&bytes, &origin_dir, &found.rel, &mut closure);
                    for (lib, who) in &closure.missing {
                        say!(
                            "warning: library {lib} needed by extension module {name} ({who}) was not found; \
                             the extension fails to load unless the target system has it"
                        );
                    }
                    // Dependencies come first in the closure; the runtime
                    // unpacks dependants first (then loads their needs).
                    libraries_of.insert(
                        name.clone(),
                        closure
                            .libraries
                            .iter()
                            .rev()
                            .map(|l| l.needed.clone())
                            .collect(),
                    );
                    for lib in closure.libraries {
                        if libraries.contains_key(&lib.needed) {
                            continue;
                        }
                        let path = library_bundle_path(&lib.path, inputs.roots, &lib.needed);
                        libraries.insert(lib.needed.clone(), path.clone());
                        plan.add_file(
                            &path,
                            PlannedFile {
                                kind: FileKind::SharedLibrary,
                                aux: lib.needed.clone(),
                                content: Content::Native(lib.path.clone()),
                                reason: Reason::new(
                                    format!("needed by extension module {name} (DT_NEEDED)"),
                                    Some(name),
                                ),
                            },
                        );
                    }
                    plan.modules.insert(
                        name.clone(),
                        PlannedModule {
                            kind: node.kind,
                            path: found.rel.clone(),
                            code: Some(Content::Native(file.to_path_buf())),
                            source: None,
                            reason,
                        },
                    );
                }
                ModuleKind::Module | ModuleKind::Package => {
                    let Some(code) = &node.code else {
                        continue; // broken (reported) module
                    };
                    plan.modules.insert(
                        name.clone(),
                        PlannedModule {
                            kind: node.kind,
                            path: found.rel.clone(),
                            code: Some(Content::Bytes(code.clone())),
                            source: source_of(node.source.clone().map(Content::Bytes)),
                            reason,
                        },
                    );
                }
            },
        }
    }
    plan_package_data(&mut plan, graph, inputs);
    if let Some(dir) = inputs.app_dir {
        for (rel, file) in crate::finder::app_data(dir) {
            // A previous build written into the app directory is not data.
            if inputs.earlier_build.is_some() && file.canonicalize().ok() == inputs.earlier_build {
                continue;
            }
            plan.add_file(&rel, data_file(file, "a file of the app directory", None));
        }
    }
    for (rel, file) in &inputs.add_data {
        plan.add_file(rel, data_file(file.clone(), "--add-data", None));
    }
    for (rel, content, reason) in &inputs.project_metadata {
        plan.add_file(
            rel,
            PlannedFile {
                kind: FileKind::Data,
                aux: String::new(),
                content: content.clone(),
                reason: reason.clone(),
            },
        );
    }
    // Package data of included stdlib packages (the archive holds only the
    // data of packages that open it beside their modules, e.g. lib2to3).
    for (package, dir) in stdlib_packages {
        for file in inputs.stdlib.files_under(&dir)? {
            let parent = file.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            if parent == dir {
                plan.add_file(
                    file.path,
                    PlannedFile {
                        kind: file.kind,
                        aux: file.aux.to_owned(),
                        content: Content::Archive(file.data),
                        reason: Reason::new(format!("data of package {package}"), Some(&package)),
                    },
                );
            }
        }
    }
    crate::tcltk::add_script_libraries(&mut plan, graph, inputs.stdlib)?;
    plan.prefetch = prefetch_items(graph, &libraries_of, &libraries);
    plan.at_start = graph
        .eager_order()
        .into_iter()
        .filter(|name| plan.modules.get(*name).is_some_and(|m| m.kind.is_python()))
        .map(str::to_owned)
        .collect();
    Ok(plan)
}

fn data_file(file: PathBuf, why: &str, via: Option<&str>) -> PlannedFile {
    PlannedFile {
        kind: FileKind::Data,
        aux: String::new(),
        content: Content::File(file),
        reason: Reason::new(why, via),
    }
}

/// Package data of the packages found on disk, and the metadata (dist-info)
/// of the distributions providing third-party ones. A library inside a
/// package directory (pyarrow/libarrow.so.2600) is planned once, as a
/// library, which data readers find there too.
fn plan_package_data(plan: &mut BundlePlan, graph: &ModuleGraph, inputs: &PlanInputs<'_>) {
    for (name, node) in &graph.nodes {
        let Origin::File(found) = &node.origin else {
            continue;
        };
        let leaf = name.rsplit('.').next().unwrap_or(name);
        let is_test_suite = crate::finder::is_test_dir(leaf);
        if name.contains('.') && !is_test_suite {
            continue; // top-level packages cover their subpackages
        }
        if node.is_package() {
            let rel_dir = match node.kind {
                ModuleKind::NamespacePackage => found.rel.clone(),
                _ => found
                    .rel
                    .rsplit_once('/')
                    .map(|(d, _)| d.to_owned())
                    .unwrap_or_default(),
            };
            let why = format!("data of package {name}");
            for dir in &found.dirs {
                for (rel, file) in crate::finder::package_data(dir, &rel_dir, !is_test_suite) {
                    plan.add_file(&rel, data_file(file, &why, Some(name)));
                }
            }
        }
        // Root 0 is the app's own directory: its modules have no dist-info.
        if found.root != 0 && !found.from_stdlib {
            let why = format!("metadata of the distribution providing {name}");
            for meta in (inputs.metadata_of)(name, found.root) {
                let Some(meta_name) = meta.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                for (rel, file) in crate::finder::package_data(&meta, meta_name, false) {
                    plan.add_file(&rel, data_file(file, &why, Some(name)));
                }
            }
        }
    }
}

/// The prefetch table: the extension modules the app imports at module
/// level, in import order (`ModuleGraph::prefetch_order`), each after the
/// bundled libraries it loads. Libraries come first because they are the
/// big ones (numpy's OpenBLAS): the prefetch thread starts on them early,
/// and an import that arrives first unpacks the module itself.
fn prefetch_items(
    graph: &ModuleGraph,
    libraries_of: &BTreeMap<String, Vec<String>>,
    library_paths: &BTreeMap<String, String>,
) -> Vec<PrefetchItem> {
    let mut items = Vec::new();
    let mut listed = BTreeSet::new();
    for module in graph.prefetch_order() {
        for soname in libraries_of.get(&module).into_iter().flatten() {
            if let Some(path) = library_paths.get(soname) {
                if listed.insert(path) {
                    items.push(PrefetchItem::Library(path.clone()));
                }
            }
        }
        items.push(PrefetchItem::Extension(module));
    }
    items
}

/// Plans the archive's libraries (build.rs put the build machine's copies
/// there) that stdlib extension or library `object` (a module name or an
/// archive path) needs, and theirs, unless `added` (SONAME -> bundle path)
/// has them already. `order` receives the SONAMEs of all the bundled
/// libraries `object` loads, in the order the runtime unpacks them: each
/// before what it needs. `module` is the extension module it is all for.
fn plan_stdlib_libraries(
    plan: &mut BundlePlan,
    inputs: &PlanInputs<'_>,
    module: &str,
    object: &str,
    added: &mut BTreeMap<String, String>,
    order: &mut Vec<String>,
) -> Result<()> {
    for needed in inputs.index.needed.get(object).into_iter().flatten() {
        if elfdeps::is_system_library(needed) || order.contains(needed) {
            continue;
        }
        let path = match added.get(needed) {
            Some(path) => path.clone(),
            None => {
                let path = format!("_freeze_libs/{needed}");
                let Some(file) = inputs.stdlib.find_file(&path)? else {
                    continue; // found on the build machine's system at run time
                };
                let via = if object == module { module } else { object };
                plan.add_file(
                    &path,
                    PlannedFile {
                        kind: file.kind,
                        aux: file.aux.to_owned(),
                        content: Content::Archive(file.data),
                        reason: Reason::new(format!("needed by {via} (DT_NEEDED)"), Some(via)),
                    },
                );
                added.insert(needed.clone(), path.clone());
                path
            }
        };
        order.push(needed.clone());
        plan_stdlib_libraries(plan, inputs, module, &path, added, order)?;
    }
    Ok(())
}

/// Where a library goes in the bundle: beside its package when it lives in
/// a search root (e.g. `numpy.libs/libopenblas.so`), else `_freeze_libs/`.
fn library_bundle_path(path: &Path, roots: &[PathBuf], needed: &str) -> String {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    for root in roots {
        let root = root.canonicalize().unwrap_or_else(|_| root.clone());
        if let Ok(rel) = canonical.strip_prefix(&root) {
            if let Some(rel) = rel.to_str() {
                return rel.to_owned();
            }
        }
    }
    format!("_freeze_libs/{needed}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn module(reason: &str, via: Option<&str>) -> PlannedModule {
        PlannedModule {
            kind: ModuleKind::Module,
            path: "x.py".into(),
            code: Some(Content::Bytes(vec![1])),
            source: None,
            reason: Reason::new(reason, via),
        }
    }

    pub(crate) fn sample() -> BundlePlan {
        let mut plan = BundlePlan::new(MainMode::Module, "__main__");
        plan.modules
            .insert("__main__".into(), module("the app's entry point", None));
        plan.modules.insert(
            "yaml".into(),
            module("imported by __main__", Some("__main__")),
        );
        plan.modules.insert(
            "yaml._yaml".into(),
            module("part of package yaml", Some("yaml")),
        );
        plan.unbundled.insert(
            "sys".into(),
            ("builtin", Reason::new("imported by yaml", Some("yaml"))),
        );
        plan.add_file(
            "yaml.libs/libyaml.so.0",
            PlannedFile {
                kind: FileKind::SharedLibrary,
                aux: "libyaml-0.so.2".into(),
                content: Content::File("/x".into()),
                reason: Reason::new(
                    "needed by extension module yaml._yaml (DT_NEEDED)",
                    Some("yaml._yaml"),
                ),
            },
        );
        plan
    }

    #[test]
    fn the_first_reason_for_a_path_stands_and_cycles_end() {
        let mut plan = sample();
        let again = PlannedFile {
            kind: FileKind::Data,
            aux: String::new(),
            content: Content::File("/y".into()),
            reason: Reason::new("data of package yaml", Some("yaml")),
        };
        assert!(!plan.add_file("yaml.libs/libyaml.so.0", again));
        assert_eq!(
            plan.files["yaml.libs/libyaml.so.0"].kind,
            FileKind::SharedLibrary
        );
        plan.modules
            .insert("a".into(), module("imported by b", Some("b")));
        plan.modules
            .insert("b".into(), module("imported by a", Some("a")));
        let why = crate::why::WhyTable::new(&plan, &crate::graph::ModuleGraph::default());
        assert_eq!(why.chain("a").unwrap().len(), 2);
        assert_eq!(plan.describe().len(), 7);
    }
}
