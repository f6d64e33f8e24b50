//! The module graph: every module the app can import, found by following
//! imports from its entry point through compiled code objects.
//!
//! Name resolution follows CPython's meta path order: builtin modules, then
//! the modules CPython carries frozen, then the search roots (app directory,
//! `--path` dirs) and finally the stdlib archive.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;

use anyhow::{Context, Result};
use freeze_bundle::{Bundle, ModuleKind};

use crate::compiler::{Compiler, SyntaxProblem};
use crate::embedded::{ModuleImports, StdlibIndex};
use crate::finder::{is_within, Finder, FsModule};
use crate::site::Distributions;

/// The optimisation level apps' modules are compiled at: python's default
/// (no `-O`), so asserts and docstrings stay as under `python app/`.
const OPTIMIZE: i64 = 0;

/// Where a module comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// Compiled into libpython (`sys`, `_io`, ...): nothing to bundle.
    Builtin,
    /// Carried frozen by CPython itself (`os`, `codecs`, `runpy`, ...):
    /// nothing to bundle, but its imports are followed.
    Frozen,
    /// From the stdlib archive inside freeze.
    Stdlib,
    /// From a search root; compiled by us.
    File(FsModule),
}

#[derive(Debug)]
pub struct Node {
    pub kind: ModuleKind,
    pub origin: Origin,
    /// Why the module is in the graph (first reason found).
    pub reason: String,
    /// The module that brought it in, if one did (its importer, its
    /// package...): `--why` follows these back to the entry point.
    pub via: Option<String>,
    /// The modules its imports resolved to (not those deferred): reaching
    /// it reaches them.
    pub edges: Vec<String>,
    /// Imported along a chain from the entry point, rather than only
    /// included as a member of a package that comes along whole.
    pub reached: bool,
    /// For `Origin::File` modules with code: marshalled code and source.
    pub code: Option<Vec<u8>>,
    pub source: Option<Vec<u8>>,
    /// Modules its import statements that run when it is imported (module
    /// level and class bodies, not functions) may import, in statement
    /// order: each statement's target, then `target.item` for each name it
    /// imports from the target (which may be attributes, not modules).
    pub eager_imports: Vec<String>,
}

impl Node {
    pub fn is_package(&self) -> bool {
        is_package(self.kind, &self.origin)
    }
}

/// Whether a module is a package; the stdlib archive's are all source.
fn is_package(kind: ModuleKind, origin: &Origin) -> bool {
    match origin {
        Origin::File(found) => found.is_package(),
        _ => matches!(kind, ModuleKind::Package | ModuleKind::NamespacePackage),
    }
}

/// A syntax error in a module the app needs.
pub struct BrokenModule {
    pub name: String,
    pub file: std::path::PathBuf,
    pub problem: SyntaxProblem,
    pub fatal: bool,
}

#[derive(Default)]
pub struct ModuleGraph {
    pub nodes: BTreeMap<String, Node>,
    /// Unresolvable imports: missing module -> the modules importing it.
    pub missing: BTreeMap<String, BTreeSet<String>>,
    pub broken: Vec<BrokenModule>,
    /// Modules left out by `--exclude`, with who wanted them.
    pub excluded: BTreeMap<String, BTreeSet<String>>,
    /// Packages left out because only unreached package members import
    /// them (e.g. docutils, imported by pygments' Sphinx plugin), with those
    /// importers.
    pub left_out: BTreeMap<String, BTreeSet<String>>,
    /// Stdlib imports not followed by policy (`UNFOLLOWED_STDLIB_IMPORTS`)
    /// and found nowhere else in the graph, with their importers.
    pub unfollowed: BTreeMap<String, BTreeSet<String>>,
    /// The module the app runs as `__main__`.
    pub main: Option<String>,
}

impl ModuleGraph {
    /// The modules that the main module's eager imports reach (itself
    /// included), in the order running the app would first import them: a
    /// depth-first walk of the eager imports from the main module, each
    /// module's parent packages before the module itself (as the import
    /// system runs them). These run at every start; what the walk misses
    /// (imports inside functions) runs later, if at all.
    pub fn eager_order(&self) -> Vec<&str> {
        let mut order = Vec::new();
        let mut visited = BTreeSet::new();
        if let Some(main) = &self.main {
            self.visit_eager(main, &mut visited, &mut order);
        }
        order
    }

    /// The extension modules of [`Self::eager_order`]: the order the runtime
    /// unpacks their native code in ahead of import; what it misses is
    /// unpacked on import as usual.
    pub fn prefetch_order(&self) -> Vec<String> {
        self.eager_order()
            .into_iter()
            .filter(|name| self.nodes[*name].kind == ModuleKind::Extension)
            .map(str::to_owned)
            .collect()
    }

    fn visit_eager<'g>(
        &'g self,
        name: &'g str,
        visited: &mut BTreeSet<&'g str>,
        order: &mut Vec<&'g str>,
    ) {
        let Some(node) = self.nodes.get(name) else {
            return; // an attribute imported with `from`, or a missing module
        };
        // The parent package first: running it may import this very module
        // (numpy.core imports numpy.core._multiarray_umath), and that is
        // when the module is loaded.
        if let Some((parent, _)) = name.rsplit_once('.') {
            self.visit_eager(parent, visited, order);
        }
        if !visited.insert(name) {
            return;
        }
        order.push(name);
        for target in &node.eager_imports {
            self.visit_eager(target, visited, order);
        }
    }

    /// Missing imports worth telling the user about: those of the app and
    /// third-party code. The stdlib's own misses are platform modules of
    /// other systems (`nt`, `_winapi`, `msvcrt`...), imported conditionally.
    pub fn reportable_missing(&self) -> Vec<(&str, Vec<&str>)> {
        self.missing
            .iter()
            .filter_map(|(name, importers)| {
                let who: Vec<&str> = importers
                    .iter()
                    .filter(|i| {
                        matches!(
                            self.nodes.get(i.as_str()).map(|n| &n.origin),
                            Some(Origin::File(f)) if !f.from_stdlib
                        )
                    })
                    .map(String::as_str)
                    .collect();
                (!who.is_empty()).then_some((name.as_str(), who))
            })
            .collect()
    }
}

/// Why a module is being resolved.
#[derive(Clone, Copy)]
enum Wanted<'a> {
    /// Imported by this module.
    By(&'a str),
    /// Required for another reason (entry point, runtime).
    Because(&'a str),
    /// A member of a package that comes along whole, not imported (yet),
    /// and the module that brought it, if any.
    Member(&'a str, Option<&'a str>),
    /// Loaded by a module other than by an import statement (a plugin its
    /// host loads through an entry point): why, and the module.
    LoadedBy(&'a str, &'a str),
}

impl Wanted<'_> {
    /// Who wants it, as recorded for missing and excluded modules.
    fn who(&self) -> &str {
        match self {
            Wanted::By(s) | Wanted::Because(s) | Wanted::Member(s, _) | Wanted::LoadedBy(_, s) => s,
        }
    }

    fn reason(&self) -> String {
        match self {
            Wanted::By(importer) => format!("imported by {importer}"),
            Wanted::Because(why) | Wanted::Member(why, _) | Wanted::LoadedBy(why, _) => {
                (*why).to_owned()
            }
        }
    }

    /// The module that wants it.
    fn via(&self) -> Option<String> {
        match self {
            Wanted::By(importer) | Wanted::LoadedBy(_, importer) => Some((*importer).to_owned()),
            Wanted::Because(_) => None,
            Wanted::Member(_, via) => via.map(str::to_owned),
        }
    }
}

pub struct GraphBuilder<'a> {
    compiler: &'a Compiler,
    finder: &'a Finder,
    stdlib: Bundle<'static>,
    index: &'static StdlibIndex,
    excludes: Vec<String>,
    graph: ModuleGraph,
    queue: VecDeque<String>,
    /// Imports of unreached members that would bring in a new top-level
    /// package: followed only if the member is reached after all.
    deferred: BTreeMap<String, Vec<String>>,
    /// The module the app runs as `__main__`: the only one whose
    /// `if __name__ == "__main__":` blocks are followed.
    main: Option<String>,
    /// The installed distributions, whose RECORDs and `Requires-Dist`
    /// bring what native code and entry points import unseen.
    distributions: Option<&'a Distributions>,
    /// Members of whole stdlib packages (but for the codecs): until
    /// reached, their imports from elsewhere are deferred module by module.
    stdlib_members: BTreeSet<String>,
    /// Distributions already followed, with the extras asked of them.
    followed_distributions: BTreeSet<(usize, Vec<String>)>,
    /// Modules whose source freeze wrote (an entry point's launcher), by
    /// name.
    generated: BTreeMap<String, Vec<u8>>,
    /// Requirements of the project being frozen (its `dependencies`),
    /// followed as an installed distribution's `Requires-Dist` are.
    project_requires: Vec<(crate::requirements::Requirement, String)>,
}

impl<'a> GraphBuilder<'a> {
    pub fn new(
        compiler: &'a Compiler,
        finder: &'a Finder,
        stdlib: Bundle<'static>,
        index: &'static StdlibIndex,
        excludes: Vec<String>,
    ) -> Self {
        GraphBuilder {
            compiler,
            finder,
            stdlib,
            index,
            excludes,
            graph: ModuleGraph::default(),
            queue: VecDeque::new(),
            deferred: BTreeMap::new(),
            main: None,
            distributions: None,
            followed_distributions: BTreeSet::new(),
            stdlib_members: BTreeSet::new(),
            generated: BTreeMap::new(),
            project_requires: Vec::new(),
        }
    }

    /// Follows the RECORDs and `Requires-Dist` of these distributions.
    pub fn set_distributions(&mut self, distributions: &'a Distributions) {
        self.distributions = Some(distributions);
    }

    /// Adds the app's main module under `name` from a file.
    pub fn add_main_file(&mut self, name: &str, module: FsModule) {
        self.main = Some(name.to_owned());
        self.insert(
            name,
            module.kind,
            Origin::File(module),
            ("the app's entry point".into(), None),
            true,
        );
    }

    /// Adds a main script whose source freeze wrote (the launcher of an
    /// entry point), stored at bundle path `rel`.
    pub fn add_main_source(&mut self, name: &str, rel: &str, source: Vec<u8>, reason: String) {
        self.main = Some(name.to_owned());
        self.generated.insert(name.to_owned(), source);
        let module = FsModule {
            kind: ModuleKind::Module,
            file: None,
            dirs: Vec::new(),
            rel: rel.to_owned(),
            root: 0,
            from_stdlib: false,
        };
        self.insert(
            name,
            module.kind,
            Origin::File(module),
            (reason, None),
            true,
        );
    }

    /// Follows the project's requirements (`dependencies` of its
    /// pyproject.toml, or its installed `Requires-Dist`) as those of a
    /// distribution the app reaches: each one installed brings its
    /// top-level modules and metadata, and its own requirements.
    pub fn add_project_requirements(
        &mut self,
        requires: Vec<crate::requirements::Requirement>,
        project: &str,
    ) {
        let why = format!("required by project {project}");
        self.project_requires
            .extend(requires.into_iter().map(|r| (r, why.clone())));
    }

    /// Adds the app's main module by name (`-m`); false if it cannot be
    /// found.
    pub fn add_main_module(&mut self, name: &str) -> bool {
        self.main = Some(name.to_owned());
        self.add_root(name, "the app's entry point (-m)")
    }

    /// Bundles a module without counting it as imported (a module of the
    /// app directory that python could import, or exec by path).
    pub fn add_member(&mut self, name: &str, reason: &str) {
        self.resolve(name, Wanted::Member(reason, None), true);
    }

    /// Requires a module by name; false if it cannot be found.
    pub fn add_root(&mut self, name: &str, reason: &str) -> bool {
        self.resolve(name, Wanted::Because(reason), false)
    }

    pub fn build(mut self) -> Result<ModuleGraph> {
        loop {
            while let Some(name) = self.queue.pop_front() {
                self.process(&name)?;
            }
            self.follow_distributions();
            self.follow_plugins();
            self.release_deferred();
            if self.queue.is_empty() {
                break;
            }
        }
        for (importer, targets) in std::mem::take(&mut self.deferred) {
            for target in targets {
                // Only what could have been bundled is worth reporting; the
                // rest (winreg, pytest...) would have been missing anyway.
                let top = top_level(&target);
                let installed = || {
                    self.finder.find_top(top, false).is_some()
                        || self.finder.find_top(top, true).is_some()
                };
                if !self.graph.nodes.contains_key(top) && installed() {
                    note(&mut self.graph.left_out, top, &importer);
                }
            }
        }
        let nodes = &self.graph.nodes;
        self.graph
            .unfollowed
            .retain(|name, _| !nodes.contains_key(name));
        self.graph.main = self.main;
        Ok(self.graph)
    }

    /// Brings what the distributions of reached third-party modules
    /// install and require: every top-level module of their RECORD (the
    /// `<hash>__mypyc` helper of a mypyc-compiled package, imported from C)
    /// and, transitively, the top-level modules of each `Requires-Dist`
    /// whose marker holds (extras only as asked), with their metadata.
    /// These are bundled unreached: their own imports of further packages
    /// wait until the app imports them.
    fn follow_distributions(&mut self) {
        let Some(dists) = self.distributions else {
            return;
        };
        // (distribution, extras asked, why, the module that brought it)
        let mut pending: Vec<(usize, Vec<String>, String, String)> = Vec::new();
        let via = self.main.clone().unwrap_or_default();
        for (req, why) in std::mem::take(&mut self.project_requires) {
            if !crate::requirements::marker_holds(&req.marker, &BTreeSet::new()) {
                continue;
            }
            if let Some(dep) = dists.by_name(&req.name) {
                pending.push((dep, req.extras.into_iter().collect(), why, via.clone()));
            }
        }
        for (name, node) in &self.graph.nodes {
            let Origin::File(found) = &node.origin else {
                continue;
            };
            if !node.reached || found.from_stdlib || self.finder.root(found.root).is_app {
                continue;
            }
            let owner = dists.owner_of_file(&found.rel).map(|i| vec![i]);
            let owners = owner.unwrap_or_else(|| {
                if name.contains('.') {
                    Vec::new()
                } else {
                    dists.indexes_for_top_level(name)
                }
            });
            for index in owners {
                pending.push((
                    index,
                    Vec::new(),
                    format!("installed with {name}"),
                    name.clone(),
                ));
            }
        }
        while let Some((index, extras, why, via)) = pending.pop() {
            if !self.followed_distributions.insert((index, extras.clone())) {
                continue;
            }
            let dist = &dists.list[index];
            let reason = format!("{why} (distribution {})", dist.name);
            // Entry points are loaded by name (console scripts, plugins a
            // host finds through importlib.metadata): bundled, within the
            // packages the app has (pkg_resources, which the app may reach,
            // shares its distribution with setuptools, whose hundreds of
            // entry points serve commands no app runs), and reached only
            // once imported.
            let entry_reason = format!("an entry point of distribution {}", dist.name);
            for module in dist.entry_modules() {
                if self.graph.nodes.contains_key(top_level(module)) {
                    self.resolve(module, Wanted::Member(&entry_reason, Some(&via)), true);
                }
            }
            let required = why.starts_with("required by");
            for top in &dist.top_levels {
                if crate::finder::is_test_dir(top) {
                    continue;
                }
                let found = [false, true]
                    .into_iter()
                    .find_map(|after| self.finder.find_top(top, after));
                // A namespace its packages share with others' (sphinx loads
                // the sphinxcontrib.* it requires by computed names): its
                // own packages come, as a top-level package would.
                let namespace = found
                    .as_ref()
                    .is_some_and(|f| f.kind == ModuleKind::NamespacePackage);
                if required && namespace {
                    for root in dists.roots_in_namespace(index, top) {
                        self.resolve(&root, Wanted::Member(&reason, Some(&via)), true);
                        self.include_required_members(&root);
                    }
                }
                if self.graph.nodes.contains_key(top.as_str()) {
                    continue;
                }
                // Of the distribution the app reaches, its top-level module
                // files: what native code imports unseen (the mypyc helper,
                // _cffi_backend). Its other packages come when imported
                // (setuptools installs pkg_resources beside setuptools and
                // _distutils_hack).
                let is_package = found.is_some_and(|f| f.is_package());
                if required || !is_package {
                    self.resolve(top, Wanted::Member(&reason, Some(&via)), true);
                }
                if required {
                    self.include_required_members(top);
                }
            }
            let asked: BTreeSet<String> = extras.iter().cloned().collect();
            for req in &dist.requires {
                if !crate::requirements::marker_holds(&req.marker, &asked) {
                    continue;
                }
                if let Some(dep) = dists.by_name(&req.name) {
                    pending.push((
                        dep,
                        req.extras.iter().cloned().collect(),
                        format!("required by {}", dist.name),
                        via.clone(),
                    ));
                }
            }
        }
    }

    /// Brings the plugins of reached plugin hosts: distributions installed
    /// beside the app with entry points in a group that a reached module
    /// names (pytest loads every `pytest11` entry point of the environment,
    /// flake8 its `flake8.extension`s), though nothing requires them.
    /// Under python the host finds them through importlib.metadata; frozen,
    /// only what is bundled exists. Each entry point's module counts as
    /// loaded by the module naming the group; its distribution then comes
    /// as any reached module's does.
    fn follow_plugins(&mut self) {
        let Some(dists) = self.distributions else {
            return;
        };
        let followed: BTreeSet<usize> = self
            .followed_distributions
            .iter()
            .map(|(i, _)| *i)
            .collect();
        let mut loads: Vec<(String, String, String)> = Vec::new();
        for (index, dist) in dists.list.iter().enumerate() {
            if followed.contains(&index) {
                continue;
            }
            for (group, modules) in &dist.entry_groups {
                // Commands, not plugins: run by the launchers pip writes.
                if matches!(group.as_str(), "console_scripts" | "gui_scripts") {
                    continue;
                }
                let Some(host) = self.module_naming(group) else {
                    continue;
                };
                let reason = format!(
                    "a plugin (entry point group {group}, distribution {}) that {host} loads",
                    dist.name
                );
                for module in modules {
                    loads.push((module.clone(), reason.clone(), host.clone()));
                }
            }
        }
        for (module, reason, host) in loads {
            self.resolve(&module, Wanted::LoadedBy(&reason, &host), true);
        }
    }

    /// A reached module whose source names `text` as a string literal.
    fn module_naming(&self, text: &str) -> Option<String> {
        let quoted = [format!("\"{text}\""), format!("'{text}'")];
        self.graph.nodes.iter().find_map(|(name, node)| {
            let source = node.source.as_deref().filter(|_| node.reached)?;
            quoted
                .iter()
                .any(|q| memchr::memmem::find(source, q.as_bytes()).is_some())
                .then(|| name.clone())
        })
    }

    /// Follows the imports deferred by unreached members whose targets'
    /// top-level packages are in the graph by now (a declared requirement,
    /// brought by `follow_distributions`): only the imports that would
    /// bring a package nothing else brings stay deferred.
    fn release_deferred(&mut self) {
        let nodes = &self.graph.nodes;
        let mut ready: Vec<(String, String)> = Vec::new();
        for (importer, targets) in self.deferred.iter_mut() {
            if self.stdlib_members.contains(importer) {
                continue; // deferred module by module until reached
            }
            targets.retain(|t| {
                let now = nodes.contains_key(top_level(t));
                if now {
                    ready.push((importer.clone(), t.clone()));
                }
                !now
            });
        }
        self.deferred.retain(|_, targets| !targets.is_empty());
        for (importer, target) in ready {
            self.resolve(&target, Wanted::By(&importer), true);
        }
    }

    /// Includes a module named by a string constant of `importer` (its
    /// native code, or a table it imports from by computed names), if such a
    /// module exists outside the stdlib directory's leftovers (a constant
    /// "test" must not bring CPython's test suite). `why` starts the reason.
    fn resolve_named(&mut self, target: &str, importer: &str, why: &str) {
        let top = top_level(target);
        if top == top_level(importer) || crate::finder::is_test_dir(top) {
            return; // its own package comes whole already
        }
        let exists = self.graph.nodes.contains_key(top)
            || self.is_stdlib_top(top)
            || [false, true].into_iter().any(|after| {
                self.finder
                    .find_top(top, after)
                    .is_some_and(|f| !f.from_stdlib)
            });
        if exists {
            let why = format!("{why} {importer}");
            self.resolve(target, Wanted::Member(&why, Some(importer)), true);
        }
    }

    fn is_excluded(&self, name: &str) -> bool {
        self.excludes.iter().any(|ex| is_within(name, ex))
    }

    /// Whether top-level `top` is a stdlib module: builtin, frozen into
    /// CPython, or in the archive.
    fn is_stdlib_top(&self, top: &str) -> bool {
        let facts = &self.compiler.facts;
        facts.builtin.contains(top)
            || facts.frozen.contains(top)
            || matches!(self.stdlib.find_module(top), Ok(Some(_)))
    }

    fn insert(
        &mut self,
        name: &str,
        kind: ModuleKind,
        origin: Origin,
        (reason, via): (String, Option<String>),
        reached: bool,
    ) {
        self.graph.nodes.insert(
            name.to_owned(),
            Node {
                kind,
                origin,
                reason,
                via,
                edges: Vec::new(),
                reached,
                code: None,
                source: None,
                eager_imports: Vec::new(),
            },
        );
        self.queue.push_back(name.to_owned());
        if reached {
            self.include_members(name);
        }
    }

    /// Brings the members of a package that comes along whole, once the
    /// app reaches it (a package that only an unreached member imports
    /// does not: the stdlib's would cascade through http, email, xml...).
    fn include_members(&mut self, name: &str) {
        let Some(node) = self.graph.nodes.get(name) else {
            return;
        };
        let members = self.whole_package_members(name, node.kind, &node.origin);
        if matches!(node.origin, Origin::Stdlib | Origin::Frozen) && name != "encodings" {
            let new = members
                .iter()
                .filter(|m| !self.graph.nodes.contains_key(m.as_str()));
            self.stdlib_members.extend(new.cloned());
        }
        let why = format!("part of package {name}");
        for member in members {
            self.resolve(&member, Wanted::Member(&why, Some(name)), true);
        }
    }

    /// Brings every member of third-party package `name` (not its test
    /// suites) though the app does not reach it: a required distribution
    /// the app never imports by name is loaded by computed names (sphinx
    /// takes its theme's Pygments style, `alabaster.support.Alabaster`,
    /// from a theme.conf). Its members' imports of other packages still
    /// wait until they are reached.
    fn include_required_members(&mut self, name: &str) {
        let Some(Origin::File(found)) = self.graph.nodes.get(name).map(|n| &n.origin) else {
            return;
        };
        if found.from_stdlib || found.kind == ModuleKind::NamespacePackage || !found.is_package() {
            return;
        }
        let found = found.clone();
        let why = format!("part of package {name}, which a requirement brings");
        for member in self.finder.all_submodules(&found, name, true) {
            self.resolve(&member, Wanted::Member(&why, Some(name)), true);
        }
    }

    /// Whether an import of `target` by an unreached package member would
    /// bring in a top-level package the graph does not have yet (and that
    /// is not builtin, frozen or stdlib). Such imports are deferred: whole
    /// packages come along for their own dynamic imports, not to drag in
    /// every optional integration they ship (pygments' Sphinx plugin would
    /// bring docutils, numpy.distutils setuptools).
    fn brings_new_package(&self, importer: &str, target: &str) -> bool {
        let top = top_level(target);
        if top == top_level(importer) {
            return false;
        }
        if self.stdlib_members.contains(importer) {
            // A member of a whole stdlib package: what it imports from
            // elsewhere in the stdlib waits too, module by module, until the
            // member is reached (xml.dom.xmlbuilder's urllib.request would
            // bring http, email and OpenSSL into every app using xml).
            // Codecs, looked up by name, import what they need as ever.
            return !self.graph.nodes.contains_key(target);
        }
        !self.graph.nodes.contains_key(top) && !self.is_stdlib_top(top)
    }

    /// A member of a whole stdlib package that a module imports after all
    /// (unreached code of a third-party package, say): no longer only a
    /// member, so the imports it deferred are followed, as for any module.
    fn imported_after_all(&mut self, name: &str) {
        if self.stdlib_members.remove(name) {
            for target in self.deferred.remove(name).unwrap_or_default() {
                self.resolve(&target, Wanted::By(name), true);
            }
            let edges = self
                .graph
                .nodes
                .get(name)
                .map(|n| n.edges.clone())
                .unwrap_or_default();
            for target in edges {
                self.imported_after_all(&target);
            }
        }
    }

    /// Marks an unreached member as reached, now that a reached module
    /// imports it, and follows the imports it deferred.
    fn reach(&mut self, name: &str) {
        let Some(node) = self.graph.nodes.get_mut(name) else {
            return;
        };
        if node.reached {
            return;
        }
        node.reached = true;
        let edges = node.edges.clone();
        self.stdlib_members.remove(name);
        self.include_members(name);
        for target in self.deferred.remove(name).unwrap_or_default() {
            self.resolve(&target, Wanted::By(name), true);
        }
        // What it imported while unreached is reached with it.
        for target in edges {
            self.reach(&target);
        }
    }

    /// Every submodule of a package that comes along whole once reached:
    /// the modules of import statements are not all there is to a package
    /// (plugins and lexers are looked up by computed names, C code imports
    /// `sqlite3.dump`, `find_spec("html.parser")` asks by string), so a
    /// reached top-level package brings all its submodules: third-party
    /// ones but for their test suites, stdlib ones but for the imports
    /// `UNFOLLOWED_STDLIB_IMPORTS` leaves out. A test suite (`pkg.tests`,
    /// the stdlib's `test`) comes whole once imported (unittest and pytest
    /// discovery load every module of it).
    fn whole_package_members(&self, name: &str, kind: ModuleKind, origin: &Origin) -> Vec<String> {
        if !is_package(kind, origin) {
            return Vec::new();
        }
        let leaf = name.rsplit('.').next().unwrap_or(name);
        let is_test_suite = crate::finder::is_test_dir(leaf);
        if name.contains('.') && !is_test_suite {
            return Vec::new();
        }
        match origin {
            Origin::File(f) if is_test_suite => self.finder.all_submodules(f, name, false),
            // The app's own packages too: python finds every module of
            // them, whatever name it is imported by.
            Origin::File(f) if !f.from_stdlib => self.finder.all_submodules(f, name, true),
            Origin::Stdlib | Origin::Frozen => {
                let prefix = format!("{name}.");
                self.stdlib
                    .modules()
                    .filter_map(|m| m.ok())
                    .filter(|m| m.name.starts_with(&prefix))
                    .map(|m| m.name.to_owned())
                    .filter(|m| !is_unfollowed_anywhere(m))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Makes sure `name` (and its parents) are in the graph. Optional
    /// lookups (`from pkg import name`, where name may be an attribute)
    /// record nothing when they fail.
    fn resolve(&mut self, name: &str, wanted: Wanted<'_>, optional: bool) -> bool {
        let importer = wanted.who();
        let reached = match wanted {
            Wanted::By(importer) | Wanted::LoadedBy(_, importer) => {
                self.graph.nodes.get(importer).is_none_or(|n| n.reached)
            }
            Wanted::Because(_) => true,
            Wanted::Member(..) => false,
        };
        if self.graph.nodes.contains_key(name) {
            if reached {
                self.reach(name);
            } else if matches!(wanted, Wanted::By(i) if !self.stdlib_members.contains(i)) {
                self.imported_after_all(name);
            }
            return true;
        }
        if self.is_excluded(name) {
            if !optional {
                note(&mut self.graph.excluded, name, importer);
            }
            return false;
        }
        // No shortcut for names already missing: whether a name resolves
        // depends on who asks (see is_test_suite_leftover_for).
        let found = self.locate(name, wanted, optional);
        if found
            .as_ref()
            .is_some_and(|(_, origin)| self.is_test_suite_leftover_for(origin, importer))
        {
            return false;
        }
        match found {
            Some((kind, origin)) => {
                self.insert(name, kind, origin, (wanted.reason(), wanted.via()), reached);
                true
            }
            None => {
                if !optional {
                    note(&mut self.graph.missing, name, importer);
                }
                false
            }
        }
    }

    /// Whether `origin` is a module the stdlib archive leaves out (found in
    /// the stdlib directory) wanted by an archive module: those imports are
    /// the stdlib's own self-test hooks (multiprocessing.util imports
    /// `test.support`), which would bring CPython's whole test suite. The
    /// app's and third-party code's imports of them resolve.
    fn is_test_suite_leftover_for(&self, origin: &Origin, importer: &str) -> bool {
        let Origin::File(found) = origin else {
            return false;
        };
        found.from_stdlib
            && matches!(
                self.graph.nodes.get(importer).map(|n| &n.origin),
                Some(Origin::Stdlib | Origin::Frozen | Origin::Builtin)
            )
    }

    fn locate(
        &mut self,
        name: &str,
        wanted: Wanted<'_>,
        optional: bool,
    ) -> Option<(ModuleKind, Origin)> {
        let facts = &self.compiler.facts;
        let stdlib_kind =
            |stdlib: &Bundle<'static>| stdlib.find_module(name).ok().flatten().map(|m| m.kind);
        if facts.builtin.contains(name) {
            return Some((ModuleKind::Module, Origin::Builtin));
        }
        if let Some((parent, child)) = name.rsplit_once('.') {
            if facts.frozen.contains(name) {
                let kind = stdlib_kind(&self.stdlib).unwrap_or(ModuleKind::Module);
                return Some((kind, Origin::Frozen));
            }
            if !self.resolve(parent, wanted, optional) {
                return None;
            }
            let parent_node = self.graph.nodes.get(parent)?;
            if !parent_node.is_package() {
                return None;
            }
            match &parent_node.origin {
                Origin::File(pkg) => {
                    let found = self.finder.find_child(pkg, child)?;
                    Some((found.kind, Origin::File(found)))
                }
                Origin::Stdlib | Origin::Frozen => match stdlib_kind(&self.stdlib) {
                    Some(k) => Some((k, Origin::Stdlib)),
                    // Left out of the archive (a test suite), yet importable
                    // from the stdlib directory as under python.
                    None => {
                        let found = self.finder.find_stdlib_module(name)?;
                        Some((found.kind, Origin::File(found)))
                    }
                },
                Origin::Builtin => None,
            }
        } else {
            if facts.frozen.contains(name) {
                let kind = stdlib_kind(&self.stdlib).unwrap_or(ModuleKind::Module);
                return Some((kind, Origin::Frozen));
            }
            // A regular module or package anywhere on the path beats
            // namespace portions; portions from every root are merged
            // (PEP 420), as along python's sys.path.
            let before = self.finder.find_top(name, false);
            if let Some(found) = &before {
                if found.kind != ModuleKind::NamespacePackage {
                    return Some((found.kind, Origin::File(found.clone())));
                }
            }
            if let Some(kind) = stdlib_kind(&self.stdlib) {
                return Some((kind, Origin::Stdlib));
            }
            let after = self.finder.find_top(name, true);
            let found = match (before, after) {
                (Some(mut ns), Some(more)) if more.kind == ModuleKind::NamespacePackage => {
                    ns.dirs.extend(more.dirs);
                    ns
                }
                (_, Some(regular)) if regular.kind != ModuleKind::NamespacePackage => regular,
                (Some(ns), _) => ns,
                (None, Some(ns)) => ns,
                (None, None) => return None,
            };
            Some((found.kind, Origin::File(found)))
        }
    }

    fn process(&mut self, name: &str) -> Result<()> {
        let Some(node) = self.graph.nodes.get(name) else {
            return Ok(());
        };
        let kind = node.kind;
        let imports: ModuleImports = match &node.origin {
            Origin::Builtin | Origin::Frozen | Origin::Stdlib => match self.index.imports.get(name)
            {
                Some(i) => i.clone(),
                None => return Ok(()),
            },
            Origin::File(found) => {
                let generated = self.generated.get(name).cloned();
                let Some(file) = found.file.clone().or_else(|| {
                    generated
                        .is_some()
                        .then(|| std::path::PathBuf::from(&found.rel))
                }) else {
                    return Ok(()); // namespace package: no code
                };
                if kind == ModuleKind::Extension {
                    let source_rel =
                        format!("{}.py", found.rel.split('.').next().unwrap_or_default());
                    let names = crate::elfdeps::map_file(&file)
                        .map(|bytes| crate::elfdeps::module_name_strings(&bytes))
                        .unwrap_or_default();
                    for target in names {
                        self.resolve_named(&target, name, NAMED_IN_NATIVE_CODE);
                    }
                    // mypyc and Cython ship the source they compiled beside
                    // the module: its imports are the module's. mypyc packs
                    // its names into one string table the scan above cannot
                    // split.
                    let Some(source_file) = compiled_from(&file) else {
                        return Ok(());
                    };
                    let Ok(source) = fs::read(&source_file) else {
                        return Ok(());
                    };
                    match self.compiler.compile(&source, &source_rel, OPTIMIZE)? {
                        Ok(compiled) => compiled.imports,
                        Err(_) => return Ok(()),
                    }
                } else {
                    let is_app = self.finder.root(found.root).is_app;
                    let reached = node.reached;
                    let rel = found.rel.clone();
                    let source = match generated {
                        Some(source) => source,
                        None => fs::read(&file).with_context(|| {
                            format!("cannot read module {name} from {}", file.display())
                        })?,
                    };
                    match self.compiler.compile(&source, &rel, OPTIMIZE)? {
                        Ok(compiled) => {
                            let node = self.graph.nodes.get_mut(name).expect("node exists");
                            node.code = Some(compiled.code);
                            node.source = Some(source);
                            compiled.imports
                        }
                        Err(problem) => {
                            self.graph.broken.push(BrokenModule {
                                name: name.to_owned(),
                                file,
                                problem,
                                // A member the app never imports (its own
                                // package comes whole) only warns.
                                fatal: is_app && reached,
                            });
                            return Ok(());
                        }
                    }
                }
            }
        };
        let is_package = self.graph.nodes.get(name).is_some_and(Node::is_package);
        let reached = self.graph.nodes.get(name).is_some_and(|n| n.reached);
        let defer = |builder: &mut Self, target: &str| {
            let deferred = !reached && builder.brings_new_package(name, target);
            if deferred {
                builder
                    .deferred
                    .entry(name.to_owned())
                    .or_default()
                    .push(target.to_owned());
            }
            deferred
        };
        // Code under `if __name__ == "__main__":` runs only in the module
        // the app runs as main; anywhere else it is dead code.
        let runs_as_main = self.main.as_deref() == Some(name);
        let (main_imports, main_dynamic, main_eager) = if runs_as_main {
            (
                &imports.main_imports[..],
                &imports.main_dynamic[..],
                &imports.main_eager_imports[..],
            )
        } else {
            (&[][..], &[][..], &[][..])
        };
        let mut eager_imports = Vec::new();
        for (target, level, fromlist) in imports.eager_imports.iter().chain(main_eager) {
            if let Some((target, items)) =
                statement_targets(name, is_package, target, *level, fromlist)
            {
                eager_imports.push(target);
                eager_imports.extend(items);
            }
        }
        if let Some(node) = self.graph.nodes.get_mut(name) {
            node.eager_imports = eager_imports;
        }
        let from_stdlib = match self.graph.nodes.get(name).map(|n| &n.origin) {
            Some(Origin::Stdlib | Origin::Frozen) => true,
            Some(Origin::File(f)) => f.from_stdlib,
            _ => false,
        };
        let mut edges: Vec<String> = Vec::new();
        for (target, level, fromlist) in imports.imports.iter().chain(main_imports) {
            let Some((target, items)) =
                statement_targets(name, is_package, target, *level, fromlist)
            else {
                continue;
            };
            if from_stdlib && is_unfollowed_stdlib_import(name, &target) {
                note(&mut self.graph.unfollowed, &target, name);
                continue;
            }
            if defer(self, &target) {
                // `from pkg import mod`: the submodule waits with pkg.
                let waiting = self.deferred.entry(name.to_owned()).or_default();
                waiting.extend(items.iter().cloned());
                continue;
            }
            if !self.resolve(&target, Wanted::By(name), false) {
                continue;
            }
            edges.push(target.clone());
            let target_is_pkg = self.graph.nodes.get(&target).is_some_and(Node::is_package);
            if target_is_pkg {
                for item in &items {
                    if self.resolve(item, Wanted::By(name), true) {
                        edges.push(item.clone());
                    }
                }
            }
        }
        for (target, package) in imports.dynamic.iter().chain(main_dynamic) {
            let absolute = match package {
                Some(pkg) if target.starts_with('.') => {
                    let level = target.len() - target.trim_start_matches('.').len();
                    absolute_name(pkg, true, target.trim_start_matches('.'), level as u32)
                }
                _ if target.starts_with('.') => None,
                _ => Some(target.clone()),
            };
            if let Some(t) = absolute.filter(|t| !defer(self, t)) {
                // A constant that merely looks like a module name (e.g. an
                // argument of another call named import_module) must not
                // produce a warning.
                if self.resolve(&t, Wanted::By(name), true) {
                    edges.push(t);
                }
            }
        }
        for target in &imports.native {
            self.resolve_named(target, name, NAMED_IN_NATIVE_CODE);
        }
        // Only the stdlib's: a third-party name there (pkg_resources names
        // "setuptools") is no import table entry often enough to pay for
        // a package.
        for target in &imports.named {
            if self.is_stdlib_top(top_level(target)) {
                self.resolve_named(target, name, "named by a constant of");
            }
        }
        if let Some(node) = self.graph.nodes.get_mut(name) {
            node.edges = edges;
        }
        Ok(())
    }
}

/// The source an extension module was compiled from, shipped beside it
/// (`mod.py` for `mod.cpython-311-x86_64-linux-gnu.so`).
fn compiled_from(extension: &std::path::Path) -> Option<std::path::PathBuf> {
    let file = extension.file_name()?.to_str()?;
    let stem = file.split('.').next()?;
    let source = extension.with_file_name(format!("{stem}.py"));
    source.is_file().then_some(source)
}

const NAMED_IN_NATIVE_CODE: &str = "named in the native code of";

/// Imports in the stdlib that serve only interactive help, self-tests and
/// the modules' own command lines (functions their `__main__` blocks call):
/// following them would bring pydoc, doctest, unittest, pdb and what those
/// import (asyncio, multiprocessing, ssl, http...) into every app, for code
/// an app does not run. PyInstaller's hooks leave out the same
/// (`excludedimports`). A module here is still bundled when anything else
/// imports it, or with `--hidden-import`.
const UNFOLLOWED_STDLIB_IMPORTS: &[(&str, &[&str])] = &[
    // Our importer's help() imports pydoc when called, and says how to
    // bundle it when it is missing; its metadata and resource readers (in
    // _freeze_files) import the rest when importlib.metadata or
    // importlib.resources call them, that is once the app has imported those.
    ("_freeze_importer", &["pydoc"]),
    (
        "_freeze_files",
        &["importlib.metadata", "importlib.resources.abc", "pathlib"],
    ),
    // The same in the path-based finder and the file loader.
    (
        "importlib._bootstrap_external",
        &["importlib.metadata", "importlib.readers"],
    ),
    // site's help(), replaced by our importer's.
    ("_sitebuiltins", &["pydoc"]),
    // Self-tests (`_test()`, `_test_generator()`...).
    ("difflib", &["doctest"]),
    ("heapq", &["doctest"]),
    ("pickle", &["argparse", "doctest", "pprint"]),
    ("random", &["statistics"]),
    // Command lines (`main()`), run by `python -m MODULE`.
    ("ast", &["argparse"]),
    ("calendar", &["argparse"]),
    ("dis", &["argparse"]),
    ("gzip", &["argparse"]),
    ("inspect", &["argparse"]),
    ("tarfile", &["argparse"]),
    ("tokenize", &["argparse"]),
    ("zipfile", &["argparse"]),
    // random's fallback when the builtin `_sha512` is missing; it is
    // builtin in the interpreter freeze embeds.
    ("random", &["hashlib"]),
];

/// Subpackages of `importlib` that every app reaches (inspect, our
/// importer) but few use: as members of a whole `importlib` they would
/// bring zipfile, pathlib, tempfile and email into every app. They are
/// bundled when imported, by statement or by a constant name.
const NOT_WHOLE_PACKAGE_MEMBERS: &[&str] = &[
    "importlib.abc",
    "importlib.metadata",
    "importlib.resources",
    "importlib.readers",
    "importlib.simple",
];

/// Whether the policy leaves `target` unfollowed from any importer: such a
/// module does not come along as a member of its whole package either.
fn is_unfollowed_anywhere(module: &str) -> bool {
    UNFOLLOWED_STDLIB_IMPORTS
        .iter()
        .flat_map(|(_, targets)| targets.iter())
        .chain(NOT_WHOLE_PACKAGE_MEMBERS)
        .any(|t| is_within(module, t))
}

fn is_unfollowed_stdlib_import(importer: &str, target: &str) -> bool {
    UNFOLLOWED_STDLIB_IMPORTS
        .iter()
        .any(|(from, targets)| *from == importer && targets.contains(&target))
}

/// The top-level package of a dotted name.
fn top_level(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// Records that `importer` wanted `name`.
fn note(map: &mut BTreeMap<String, BTreeSet<String>>, name: &str, importer: &str) {
    map.entry(name.to_owned())
        .or_default()
        .insert(importer.to_owned());
}

/// What an import statement in module `importer` names: the absolute name
/// of its target, and `target.item` for each name of its `from` list (a
/// submodule, or an attribute of the target).
fn statement_targets(
    importer: &str,
    importer_is_package: bool,
    target: &str,
    level: u32,
    fromlist: &Option<Vec<String>>,
) -> Option<(String, Vec<String>)> {
    let target = absolute_name(importer, importer_is_package, target, level)?;
    let items = fromlist
        .iter()
        .flatten()
        .filter(|item| item.as_str() != "*")
        .map(|item| format!("{target}.{item}"))
        .collect();
    Some((target, items))
}

/// The absolute module name of an import in module `importer`.
pub fn absolute_name(
    importer: &str,
    importer_is_package: bool,
    name: &str,
    level: u32,
) -> Option<String> {
    if level == 0 {
        return (!name.is_empty()).then(|| name.to_owned());
    }
    let mut base = if importer_is_package {
        importer.to_owned()
    } else {
        importer.rsplit_once('.')?.0.to_owned()
    };
    for _ in 1..level {
        base = base.rsplit_once('.')?.0.to_owned();
    }
    if name.is_empty() {
        Some(base)
    } else {
        Some(format!("{base}.{name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: ModuleKind, eager_imports: &[&str]) -> Node {
        Node {
            kind,
            origin: Origin::Stdlib,
            reason: String::new(),
            via: None,
            edges: Vec::new(),
            reached: true,
            code: None,
            source: None,
            eager_imports: eager_imports.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn eager_order_walks_module_level_imports_parents_first_each_once() {
        let mut graph = ModuleGraph::default();
        let m = ModuleKind::Module;
        for (name, kind, imports) in [
            ("__main__", m, &["pkg.sub", "json", "pkg.sub.attr"][..]),
            ("pkg", ModuleKind::Package, &["pkg._speedups"][..]),
            ("pkg.sub", m, &["json"][..]),
            ("pkg._speedups", ModuleKind::Extension, &[][..]),
            ("json", ModuleKind::Package, &["__main__"][..]),
            // Bundled, but imported only from a function: not eager.
            ("later", m, &[][..]),
        ] {
            graph.nodes.insert(name.to_owned(), node(kind, imports));
        }
        graph.main = Some("__main__".to_owned());
        assert_eq!(
            graph.eager_order(),
            ["__main__", "pkg", "pkg._speedups", "pkg.sub", "json"]
        );
        assert_eq!(graph.prefetch_order(), ["pkg._speedups"]);
        graph.main = None;
        assert!(graph.eager_order().is_empty());
    }

    #[test]
    fn relative_imports_resolve_like_importlib() {
        assert_eq!(absolute_name("a.b", false, "c", 1).as_deref(), Some("a.c"));
        assert_eq!(absolute_name("a.b", true, "c", 1).as_deref(), Some("a.b.c"));
        assert_eq!(absolute_name("a.b.m", false, "", 2).as_deref(), Some("a"));
        assert_eq!(
            absolute_name("a.b.m", false, "x.y", 2).as_deref(),
            Some("a.x.y")
        );
        assert_eq!(absolute_name("top", false, "x", 1), None);
        assert_eq!(
            absolute_name("m", false, "json", 0).as_deref(),
            Some("json")
        );
        assert_eq!(absolute_name("m", false, "", 0), None);
    }
}
