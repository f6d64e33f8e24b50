//! `freeze APP -o OUT`: entry point → module graph → bundle → executable.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use freeze_bundle::{
    Blob, BlobRef, Bundle, BundleWriter, Codec, MainMode, ModuleKind, StoredBytes,
};

use crate::compiler::Compiler;
use crate::embedded;
use crate::finder::{Finder, SearchRoot};
use crate::graph::{GraphBuilder, ModuleGraph, Origin};
use crate::output::Output;
use crate::plan::{plan_bundle, BundlePlan, Content, PlanInputs};
use crate::Cli;

/// zstd level for the app's and third-party blobs.
const COMPRESSION_LEVEL: i32 = 12;

/// The app directory of `--script NAME` without APP: one that cannot
/// exist (`/dev/null` is no directory), so nothing is searched before the
/// installed packages.
pub const NO_APP_ROOT: &str = "/dev/null/no-app-directory";

/// How the app starts, decided from APP and `-m`, `-e` or `--script`.
pub struct Entry {
    pub root: PathBuf,
    pub mode: MainMode,
    /// Module name run as `__main__`.
    pub main_name: String,
    /// The script or `__main__.py`, when the entry is a file.
    pub main_file: Option<PathBuf>,
    /// The launcher script of an entry point, which freeze writes.
    pub launcher: Option<Launcher>,
}

/// The `__main__` script freeze writes for an entry point: pip's launcher.
pub struct Launcher {
    /// Bundle path: `bin/NAME`, where pip puts it in a venv.
    pub rel: String,
    pub source: Vec<u8>,
    /// The module the entry point names.
    pub module: String,
    /// What it is, for the plan and messages: `console script mytool =
    /// mytool.cli:main`.
    pub what: String,
}

impl Entry {
    /// An app directory with `__main__.py` (`freeze app/`), which comes
    /// whole: its modules and its files.
    fn is_app_dir(&self) -> bool {
        self.main_file.is_some() && self.mode == MainMode::Module
    }

    /// An entry point (`module:function`) run like pip's console-script
    /// launcher, its modules searched in `root`.
    pub fn launcher(root: PathBuf, name: &str, ep: &crate::project::EntryPoint) -> Entry {
        let valid = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
        let file = if valid { name } else { "app" };
        Entry {
            root,
            mode: MainMode::Script,
            main_name: "__main__".into(),
            main_file: None,
            launcher: Some(Launcher {
                rel: format!("bin/{file}"),
                source: ep.launcher().into_bytes(),
                module: ep.module.clone(),
                what: format!("console script {name} = {ep}"),
            }),
        }
    }
}

/// One executable to write: the options (the command line's, with a
/// pyproject's `[tool.freeze]` under them), how it starts, and what else
/// it carries.
pub struct Job {
    /// The options; `output` is set.
    pub cli: Cli,
    /// What is frozen, for the summary line.
    pub label: String,
    pub entry: Entry,
    /// The packages of `--python`, when finding the job needed them.
    pub site: Option<crate::site::SitePackages>,
    pub project_metadata: Vec<(String, Content, crate::plan::Reason)>,
    /// The project's name and requirements, followed as a reached
    /// distribution's are.
    pub project_requires: Option<(String, Vec<crate::requirements::Requirement>)>,
}

pub fn entry(app: &Path, module: Option<&str>) -> Result<Entry> {
    let meta = fs::metadata(app).with_context(|| {
        format!(
            "APP {} does not exist: give a directory with __main__.py, a .py script, or a directory and -m MODULE",
            app.display()
        )
    })?;
    if let Some(module) = module {
        if !meta.is_dir() {
            bail!(
                "-m {module} needs APP to be the directory to search for it, but {} is a file",
                app.display()
            );
        }
        if module.is_empty() || !module.split('.').all(crate::finder::is_identifier) {
            bail!("-m {module:?} is not a module name (expected something like mypkg.cli)");
        }
        return Ok(Entry {
            root: app.to_path_buf(),
            mode: MainMode::Module,
            main_name: module.to_owned(),
            main_file: None,
            launcher: None,
        });
    }
    if meta.is_dir() {
        let main = app.join("__main__.py");
        if !main.is_file() {
            bail!(
                "{} has no __main__.py: add one, name the module to run with -m MODULE or the entry point with -e MODULE:FUNCTION",
                app.display()
            );
        }
        return Ok(Entry {
            root: app.to_path_buf(),
            mode: MainMode::Module,
            main_name: "__main__".into(),
            main_file: Some(main),
            launcher: None,
        });
    }
    let root = match app.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Entry {
        root,
        mode: MainMode::Script,
        main_name: "__main__".into(),
        main_file: Some(app.to_path_buf()),
        launcher: None,
    })
}

pub fn freeze(cli: &Cli) -> Result<()> {
    let cli = &pyinstaller_options(cli)?;
    for job in crate::project::jobs(cli)? {
        freeze_one(job)?;
    }
    Ok(())
}

fn freeze_one(job: Job) -> Result<()> {
    let cli = &job.cli;
    let entry = job.entry;
    let out = cli.output.as_deref().context("-o OUT is required")?;
    // What -o must not replace is refused before any work is done, as far
    // as it is known yet; the modules and data found are checked once the
    // plan has them.
    let output = Output::check(out)?;
    output.refuse_self()?;
    let progress = crate::progress::Progress::new(&job.label, !cli.verbose && cli.why.is_none());
    progress.step("reading the packages of the interpreter");
    if let Some(main) = &entry.main_file {
        output.refuse(main, "the app's main script")?;
    }
    for dir in &cli.paths {
        if !dir.is_dir() {
            bail!("--path {} is not a directory", dir.display());
        }
    }

    let add_data = parse_add_data(&cli.add_data)?;
    let add_data = add_data_files(&add_data);
    for (_, file) in &add_data {
        output.refuse(file, "an --add-data file")?;
    }
    if let Some(python) = &cli.python {
        output.refuse(python, "the --python interpreter")?;
    }
    let site = match job.site {
        Some(site) => site,
        None => crate::site::locate(cli.python.as_deref(), cli.verbose)?,
    };
    if let Some(python) = &site.executable {
        output.refuse(python, "the interpreter whose packages the app uses")?;
    }
    if cli.verbose {
        if let Some(python) = &site.python {
            eprintln!("  packages of {}: {:?}", python.display(), site.dirs);
        }
    }
    let cache = if cli.no_cache {
        None
    } else {
        crate::cache::BuildCache::in_user_cache_dir()
    };
    let compiler = Compiler::new(cache.clone())?;
    let stdlib = Bundle::parse(embedded::STDLIB)
        .context("the stdlib archive built into freeze is damaged")?;
    let index = embedded::stdlib_index()?;

    let mut roots = vec![SearchRoot {
        dir: entry.root.clone(),
        is_app: true,
        after_stdlib: false,
        is_stdlib: false,
    }];
    roots.extend(cli.paths.iter().map(|d| SearchRoot {
        dir: d.clone(),
        is_app: false,
        after_stdlib: false,
        is_stdlib: false,
    }));
    roots.extend(site.dirs.iter().map(|d| SearchRoot {
        dir: d.clone(),
        is_app: false,
        after_stdlib: true,
        is_stdlib: false,
    }));
    roots.extend(site.editable.iter().map(|d| SearchRoot {
        dir: d.clone(),
        is_app: false,
        after_stdlib: true,
        is_stdlib: false,
    }));
    let first_vendored_root = roots.len();
    roots.extend(site.vendored.iter().map(|d| SearchRoot {
        dir: d.clone(),
        is_app: false,
        after_stdlib: true,
        is_stdlib: false,
    }));
    // The stdlib directories the archive was made from, for the modules it
    // leaves out (test suites) and those installed since (Debian's
    // python3-tk adds tkinter and _tkinter): python finds them there.
    for dir in [embedded::STDLIB_DIR, embedded::DYNLOAD_DIR] {
        let dir = Path::new(dir);
        if dir.is_dir() {
            roots.push(SearchRoot {
                dir: dir.to_path_buf(),
                is_app: false,
                after_stdlib: true,
                is_stdlib: true,
            });
        }
    }
    let distributions = crate::site::Distributions::scan(&site.dirs);
    let vendored_distributions = crate::site::Distributions::scan(&site.vendored);
    let finder = Finder::new(roots);
    let mut builder = GraphBuilder::new(&compiler, &finder, stdlib, index, cli.excludes.clone());
    builder.set_distributions(&distributions);
    if let Some((project, requires)) = job.project_requires {
        builder.add_project_requirements(requires, &project);
    }

    if let Some(launcher) = &entry.launcher {
        builder.add_main_source(
            &entry.main_name,
            &launcher.rel,
            launcher.source.clone(),
            format!(
                "the app's entry point: {}, run as pip's launcher runs it",
                launcher.what
            ),
        );
    } else if let Some(file) = &entry.main_file {
        let module = finder.script(file, 0);
        builder.add_main_file(&entry.main_name, module);
    } else if !builder.add_main_module(&entry.main_name) {
        bail!(
            "-m {}: no such module in {} (searched there{} and the stdlib)",
            entry.main_name,
            entry.root.display(),
            if cli.paths.is_empty() {
                ""
            } else {
                ", the --path dirs"
            }
        );
    }
    // An app directory comes whole, as the app's packages do: python can
    // import (or the app exec by path) any module in it.
    if entry.is_app_dir() {
        for name in finder.top_level_modules(0) {
            builder.add_member(&name, "in the app directory");
        }
    }
    builder.add_root("_freeze_importer", "the freeze runtime's importer");
    builder.add_root("encodings", "needed by Python at startup");
    if entry.mode == MainMode::Module {
        builder.add_root(
            "_freeze_runmain",
            "runs the main module like python -m / python app/",
        );
    }
    for hidden in &cli.hidden_imports {
        if !builder.add_root(hidden, "--hidden-import") {
            bail!("--hidden-import {hidden}: no such module");
        }
    }
    // PyInstaller's --collect-*: packages come whole, with their data and
    // their distribution's metadata, once reached; these reach them.
    for (flag, names) in [
        ("--collect-all", &cli.collect_all),
        ("--collect-data", &cli.collect_data),
        ("--collect-submodules", &cli.collect_submodules),
    ] {
        for name in names {
            if !builder.add_root(name, flag) {
                bail!(
                    "{flag} {name}: no such package in {}{}, the packages of the --python interpreter or the stdlib",
                    entry.root.display(),
                    if cli.paths.is_empty() { "" } else { ", the --path dirs" }
                );
            }
        }
    }
    let mut project_metadata = job.project_metadata;
    for dist in &cli.copy_metadata {
        let normalized = crate::requirements::normalize_name(dist);
        let Some(i) = distributions.by_name(&normalized) else {
            bail!(
                "--copy-metadata {dist}: no distribution {dist} is installed in the packages of {}",
                site.python
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "the --python interpreter".into())
            );
        };
        let meta = &distributions.list[i].path;
        let meta_name = meta
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (rel, file) in crate::finder::package_data(meta, &meta_name, false) {
            project_metadata.push((
                rel,
                crate::plan::Content::File(file),
                crate::plan::Reason::new(format!("--copy-metadata {dist}"), None),
            ));
        }
    }
    progress.step("finding the imports");
    let graph = builder.build()?;
    if let Some(launcher) = &entry.launcher {
        if !graph.nodes.contains_key(&launcher.module) && entry.root == Path::new(NO_APP_ROOT) {
            bail!(
                "{}: no module {} in the packages of the --python interpreter{}",
                launcher.what,
                launcher.module,
                if cli.paths.is_empty() {
                    ""
                } else {
                    " nor the --path dirs"
                }
            );
        }
        if !graph.nodes.contains_key(&launcher.module) {
            bail!(
                "{}: no module {} in {} (searched there{}, the packages of the --python interpreter and the stdlib)",
                launcher.what,
                launcher.module,
                entry.root.display(),
                if cli.paths.is_empty() { "" } else { ", the --path dirs" }
            );
        }
    }

    report_problems(&graph, cli)?;

    let root_dirs: Vec<PathBuf> = std::iter::once(entry.root.clone())
        .chain(cli.paths.iter().cloned())
        .chain(site.dirs.iter().cloned())
        .chain(site.editable.iter().cloned())
        .chain(site.vendored.iter().cloned())
        .collect();
    let metadata_of = |name: &str, root: usize| -> Vec<PathBuf> {
        let distributions = if root >= first_vendored_root {
            &vendored_distributions
        } else {
            &distributions
        };
        distributions.for_top_level(name).to_vec()
    };
    let app_dir = entry.is_app_dir().then_some(entry.root.as_path());
    let inputs = PlanInputs {
        stdlib: &stdlib,
        index,
        roots: &root_dirs,
        mode: entry.mode,
        main_name: &entry.main_name,
        app_dir,
        // Only an earlier build is left out of the app directory's files;
        // anything else at OUT is the app's, and refused below.
        earlier_build: output
            .is_earlier_build()
            .then(|| output.canonical())
            .flatten(),
        no_source: cli.no_source,
        frozen_files: compiler.facts.frozen_files,
        metadata_of: &metadata_of,
        add_data,
        project_metadata,
    };
    progress.step("planning the bundle");
    let plan = plan_bundle(&graph, &inputs)?;
    refuse_planned_inputs(&output, &graph, &plan)?;
    let why = crate::why::WhyTable::new(&plan, &graph);
    if let Some(name) = &cli.why {
        eprint!("{}", why.explain(name));
    }
    progress.step(&format!(
        "compiling and compressing {} modules and {} files",
        plan.module_count(),
        plan.files.len()
    ));
    let payload = write_plan(&plan, &why, &stdlib, cli, cache)?;
    progress.step(&format!("writing {}", out.display()));
    let exe = if cli.compress_runtime {
        freeze_bundle::embed_in_loader(embedded::LOADER, embedded::COMPRESSED_STUB, &payload)
            .context("cannot add the runtime and the bundle to the loader")?
    } else {
        freeze_bundle::embed_in_elf(embedded::STUB, &payload)
            .context("cannot add the bundle to the runtime stub")?
    };
    crate::atomic::write_executable(out, &exe)?;
    drop(progress);

    if cli.verbose {
        for line in plan.describe() {
            eprintln!("{line}");
        }
    }
    let bundled = plan.module_count();
    say!(
        "froze {} -> {} ({} modules, {:.1} MB)",
        job.label,
        out.display(),
        bundled,
        exe.len() as f64 / 1e6
    );
    Ok(())
}

fn report_problems(graph: &ModuleGraph, cli: &Cli) -> Result<()> {
    let mut fatal = Vec::new();
    for broken in &graph.broken {
        let p = &broken.problem;
        let mut msg = format!(
            "{}:{}:{}: {}: {}",
            broken.file.display(),
            p.lineno,
            p.offset,
            p.kind,
            p.msg
        );
        if !p.text.is_empty() {
            let caret = " ".repeat(p.offset.saturating_sub(1) as usize);
            msg.push_str(&format!("\n    {}\n    {caret}^", p.text));
        }
        if broken.fatal {
            fatal.push(msg);
        } else {
            say!("warning: module {} left out: {msg}", broken.name);
        }
    }
    if !fatal.is_empty() {
        bail!(
            "syntax error in the app, fix it and freeze again:\n{}",
            fatal.join("\n")
        );
    }
    let missing = graph.reportable_missing();
    if cli.verbose {
        for (name, who) in &graph.missing {
            eprintln!("  not found: {name} (imported by {})", joined(who));
        }
    }
    if !missing.is_empty() {
        let lines: Vec<String> = missing
            .iter()
            .map(|(name, who)| format!("  {name} (imported by {})", who.join(", ")))
            .collect();
        if cli.strict {
            bail!(
                "--strict: these imports could not be resolved:\n{}\n(add the directory holding them with --path, or leave them out with --exclude)",
                lines.join("\n")
            );
        }
        say!(
            "warning: these imports could not be resolved; the app fails only if it runs them:\n{}",
            lines.join("\n")
        );
    }
    if cli.verbose {
        for (name, who) in &graph.left_out {
            eprintln!(
                "  left out: {name} (imported only by {}, which nothing the app runs imports; \
                 include it with --hidden-import {name})",
                joined(who)
            );
        }
        for (name, who) in &graph.unfollowed {
            eprintln!(
                "  not followed: {name} (imported by {} only for help(), a self-test, a command \
                 line or a fallback; include it with --hidden-import {name})",
                joined(who)
            );
        }
        for (name, who) in &graph.excluded {
            eprintln!("  excluded: {name} (wanted by {})", joined(who));
        }
    }
    Ok(())
}

/// The modules of a graph report, comma-separated.
fn joined(who: &BTreeSet<String>) -> String {
    who.iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses OUT if the freeze reads it: the file of a module found on disk
/// (the app's, a package's), or a data file or library the plan carries.
fn refuse_planned_inputs(output: &Output, graph: &ModuleGraph, plan: &BundlePlan) -> Result<()> {
    for (name, node) in &graph.nodes {
        if let Origin::File(found) = &node.origin {
            if let Some(file) = &found.file {
                output.refuse(file, &format!("the file of module {name}"))?;
            }
        }
    }
    for (rel, file) in &plan.files {
        if let Content::File(path) | Content::Native(path) = &file.content {
            output.refuse(path, &format!("the file the bundle carries as {rel}"))?;
        }
    }
    Ok(())
}

/// Parses `--add-data SRC:DEST` into (source, bundle-relative destination).
fn parse_add_data(specs: &[String]) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for spec in specs {
        let Some((src, dest)) = spec.rsplit_once(':') else {
            bail!("--add-data {spec:?}: expected SRC:DEST, e.g. assets:assets or config.toml:.");
        };
        let src = PathBuf::from(src);
        if !src.exists() {
            bail!("--add-data {spec:?}: {} does not exist", src.display());
        }
        let dest = dest.trim_matches('/');
        let dest = if dest == "." { "" } else { dest };
        if dest.split('/').any(|c| c == ".." || c == ".") || dest.starts_with('/') {
            bail!("--add-data {spec:?}: DEST must be a relative directory inside the app");
        }
        let name = src
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("--add-data {spec:?}: SRC has no usable name"))?;
        // As PyInstaller: a file lands in DEST, a directory's contents do.
        let target = if src.is_dir() {
            dest.to_owned()
        } else if dest.is_empty() {
            name.to_owned()
        } else {
            format!("{dest}/{name}")
        };
        out.push((src, target));
    }
    Ok(out)
}

/// (bundle path, file on disk) of everything `--add-data` adds.
fn add_data_files(add_data: &[(PathBuf, String)]) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for (src, target) in add_data {
        if src.is_dir() {
            let mut on_path = crate::finder::WalkPath::default();
            if on_path.enter(src) {
                add_data_dir(src, target, &mut on_path, &mut out);
            }
        } else {
            out.push((target.clone(), src.clone()));
        }
    }
    out.sort();
    out
}

/// The files under `dir`, which lands at bundle path `rel`.
fn add_data_dir(
    dir: &Path,
    rel: &str,
    on_path: &mut crate::finder::WalkPath,
    out: &mut Vec<(String, PathBuf)>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            if on_path.enter(&path) {
                add_data_dir(&path, &child, on_path, out);
                on_path.leave();
            }
        } else {
            out.push((child, path));
        }
    }
}

/// Most bytes of the dictionary the modules of a `--compress-runtime`
/// executable are compressed with: past it the savings level off
/// (bench/RESULTS.md, "Tuning constants").
const DICTIONARY_MAX_LEN: usize = 256 << 10;

/// How the stdlib's precompressed module blobs go into the bundle.
#[derive(Clone, Copy)]
enum ModuleBlob {
    /// Copied in their stored form.
    AsStored,
    /// Compressed ones decompressed, for the writer to compress with its
    /// dictionary; those stored uncompressed (the boot modules, read in
    /// place) stay so.
    Raw,
}

impl ModuleBlob {
    fn of(self, stdlib: &Bundle<'static>, blob: &BlobRef, kind: ModuleKind) -> Result<Blob> {
        Ok(match self {
            ModuleBlob::Raw if kind.is_python() && blob.codec != Codec::Stored => {
                Blob::Raw(stdlib.blob(blob, StoredBytes::InBundle)?.into_owned())
            }
            _ => Blob::Stored(stdlib.stored_span(blob)?.to_stored_blob()?),
        })
    }
}

/// The blob of a native library (extension module or shared library) being
/// bundled, given its mapped content: its compressed form from `cache` when
/// the cache has it (the content is then only hashed, never copied), else
/// the content for the writer to compress (and cache).
fn native_blob(bytes: &[u8], cache: Option<&crate::cache::BuildCache>) -> Blob {
    let key = freeze_bundle::compression_key(bytes, COMPRESSION_LEVEL);
    match cache.and_then(|cache| freeze_bundle::CompressionCache::get(cache, key)) {
        Some(stored) if stored.raw_len as usize == bytes.len() => Blob::Stored(stored),
        _ => Blob::Raw(bytes.to_vec()),
    }
}

/// Writes the bundle the plan describes: a short loop over it.
fn write_plan(
    plan: &BundlePlan,
    why: &crate::why::WhyTable,
    stdlib: &Bundle<'static>,
    cli: &Cli,
    cache: Option<crate::cache::BuildCache>,
) -> Result<Vec<u8>> {
    let mut writer = BundleWriter::new(freeze_runtime::PYTHON_MAGIC);
    // Blobs compiled now (the stdlib comes precompressed at level 19): a
    // level that keeps big dependency trees quick to freeze.
    writer.set_compression_level(COMPRESSION_LEVEL);
    if let Some(cache) = cache.clone() {
        writer.set_compression_cache(Box::new(cache));
    }
    // Size first: the Python modules compressed with a dictionary trained
    // on them, at the stdlib's level.
    let module_blob = if cli.compress_runtime {
        writer.train_dictionary(DICTIONARY_MAX_LEN, freeze_bundle::DEFAULT_COMPRESSION_LEVEL);
        ModuleBlob::Raw
    } else {
        ModuleBlob::AsStored
    };
    let cache = cache.as_ref();
    let blob_as = |module_blob: ModuleBlob, content: &Content, python: Option<ModuleKind>| {
        Ok::<_, anyhow::Error>(match content {
            Content::Archive(blob) => match python {
                Some(kind) => module_blob.of(stdlib, blob, kind)?,
                None => Blob::Stored(stdlib.stored_span(blob)?.to_stored_blob()?),
            },
            Content::Bytes(bytes) => Blob::Raw(bytes.clone()),
            Content::File(path) => Blob::Raw(
                fs::read(path)
                    .with_context(|| format!("cannot read data file {}", path.display()))?,
            ),
            Content::Native(path) => {
                let bytes = crate::elfdeps::map_file(path)
                    .with_context(|| format!("cannot read native code {}", path.display()))?;
                native_blob(&bytes, cache)
            }
        })
    };
    let blob =
        |content: &Content, python: Option<ModuleKind>| blob_as(module_blob, content, python);
    // The code that runs at every start unpacks ~5x faster from LZ4 than
    // from small zstd frames, for ~25% more bytes (bench/RESULTS.md): the
    // content the writer would compress (the stdlib's unpacked; the boot
    // modules stay stored, read in place) goes to it as `Blob::Fast`. The
    // size-first build keeps everything in zstd with its dictionary.
    let fast_blob = |content: &Content, kind: ModuleKind| -> Result<Blob> {
        Ok(match blob_as(ModuleBlob::Raw, content, Some(kind))? {
            Blob::Raw(raw) => Blob::Fast(raw),
            stored => stored,
        })
    };
    writer.set_main(plan.main.0, &plan.main.1);
    writer.set_reasons(why.to_json());
    for (name, m) in &plan.modules {
        let code = match &m.code {
            Some(code) if !cli.compress_runtime && plan.at_start.contains(name) => {
                Some(fast_blob(code, m.kind)?)
            }
            code => code.as_ref().map(|c| blob(c, Some(m.kind))).transpose()?,
        };
        let source = m
            .source
            .as_ref()
            .map(|c| blob(c, Some(m.kind)))
            .transpose()?;
        writer
            .add_module(name, m.kind, &m.path, code, source)
            .with_context(|| format!("cannot add module {name}"))?;
    }
    for (path, f) in &plan.files {
        writer
            .add_file(path, f.kind, &f.aux, blob(&f.content, None)?)
            .with_context(|| format!("cannot add {path} to the bundle"))?;
    }
    writer.set_prefetch(plan.prefetch.clone());
    Ok(writer.finish()?)
}

/// PyInstaller's spellings: `--name NAME` writes `dist/NAME` when -o is
/// not given, `--onefile` is what freeze always does (said on stderr),
/// `--onedir` is refused, `--copy-metadata` is noted.
fn pyinstaller_options(cli: &Cli) -> Result<Cli> {
    let mut cli = cli.clone();
    if cli.onedir {
        bail!("--onedir: freeze makes one file only (like PyInstaller's --onefile)");
    }
    note_unneeded_options(
        "--onefile",
        cli.onefile,
        "--copy-metadata",
        &cli.copy_metadata,
    );
    if let Some(name) = &cli.name {
        if let Some(out) = &cli.output {
            bail!(
                "--name {name} and -o {} both name the executable: give one",
                out.display()
            );
        }
        cli.output = Some(dist_output(Path::new(""), name, "--name")?);
    }
    Ok(cli)
}

/// Says where a PyInstaller option (spelt `onefile`, `copy_metadata` where
/// it was given) changes nothing or little.
pub fn note_unneeded_options(onefile: &str, given: bool, copy_metadata: &str, dists: &[String]) {
    if given {
        say!("note: {onefile}: freeze always makes one file; the flag changes nothing");
    }
    if !dists.is_empty() {
        say!(
            "note: {copy_metadata}: the metadata of every distribution the app reaches is bundled anyway; the named ones are added too"
        );
    }
}

/// `base/dist/NAME` for PyInstaller's `--name` (spelt `option`), with
/// `dist/` made.
pub fn dist_output(base: &Path, name: &str, option: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." || name.contains('\0') {
        bail!("{option} {name:?}: give a file name, without '/'");
    }
    let dist = base.join("dist");
    fs::create_dir_all(&dist)
        .with_context(|| format!("cannot create {} for {option}", dist.display()))?;
    Ok(dist.join(name))
}
