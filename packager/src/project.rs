//! The Python project workflow: console-script entry points (`-e
//! module:function`, `--script NAME`), `pyproject.toml` projects (their
//! `[project.scripts]`, their metadata, their `[tool.freeze]` options).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::finder::is_identifier;
use crate::freezer::{Entry, Job};
use crate::plan::{Content, Reason};
use crate::site::Distributions;
use crate::Cli;

/// A console-script entry point: `module:attr` (attr may be dotted,
/// `module:obj.method`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    pub module: String,
    pub attr: String,
}

impl EntryPoint {
    /// Parses `module:attr`, with the optional `[extras]` entry_points.txt
    /// allows after it.
    pub fn parse(spec: &str) -> Option<EntryPoint> {
        let spec = spec.split('[').next().unwrap_or("").trim();
        let (module, attr) = spec.split_once(':')?;
        let (module, attr) = (module.trim(), attr.trim());
        let dotted = |s: &str| !s.is_empty() && s.split('.').all(is_identifier);
        (dotted(module) && dotted(attr)).then(|| EntryPoint {
            module: module.to_owned(),
            attr: attr.to_owned(),
        })
    }

    /// The launcher script pip writes for this entry point (distlib's
    /// template, as pip 23-25 install it into `bin/NAME`), which the frozen
    /// app runs as its `__main__` script: the module is imported (not run
    /// as `__main__`), and `sys.exit(func())` gives the exit status.
    /// `sys.exit(main())` stays on line 8, as in pip's, so tracebacks
    /// read the same.
    pub fn launcher(&self) -> String {
        let import_name = self.attr.split('.').next().unwrap_or(&self.attr);
        format!(
            "#!python\n\
             # -*- coding: utf-8 -*-\n\
             import re\n\
             import sys\n\
             from {module} import {import_name}\n\
             if __name__ == '__main__':\n    \
             sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    \
             sys.exit({attr}())\n",
            module = self.module,
            attr = self.attr,
        )
    }
}

impl std::fmt::Display for EntryPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.module, self.attr)
    }
}

/// The console scripts (`[console_scripts]` and `[gui_scripts]` of
/// entry_points.txt) of the installed distributions: script name -> (entry point, distribution).
pub fn installed_scripts(dists: &Distributions) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for dist in &dists.list {
        for (name, value) in console_scripts(&dist.path) {
            out.entry(name).or_insert((value, dist.name.clone()));
        }
    }
    out
}

/// The `[console_scripts]` and `[gui_scripts]` sections of a metadata
/// directory's entry_points.txt: (name, value).
fn console_scripts(meta: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(meta.join("entry_points.txt")).unwrap_or_default();
    let mut out = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            // pip writes a launcher for both.
            in_section = line == "[console_scripts]" || line == "[gui_scripts]";
            continue;
        }
        if !in_section || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            out.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    out
}

/// `[tool.freeze]` of a pyproject.toml: the command line's options.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ToolFreeze {
    pub entry: Option<String>,
    pub module: Option<String>,
    pub script: Option<String>,
    pub output: Option<PathBuf>,
    pub python: Option<PathBuf>,
    // Lists: plural, or spelt as the command line's options.
    #[serde(default)]
    pub add_data: Vec<String>,
    #[serde(default, alias = "path")]
    pub paths: Vec<PathBuf>,
    #[serde(default, alias = "hidden-import")]
    pub hidden_imports: Vec<String>,
    #[serde(default, alias = "exclude")]
    pub excludes: Vec<String>,
    // PyInstaller's options.
    pub name: Option<String>,
    pub onefile: Option<bool>,
    #[serde(default)]
    pub collect_all: Vec<String>,
    #[serde(default)]
    pub collect_data: Vec<String>,
    #[serde(default)]
    pub collect_submodules: Vec<String>,
    #[serde(default)]
    pub copy_metadata: Vec<String>,
    pub strict: Option<bool>,
    pub verbose: Option<bool>,
    pub quiet: Option<bool>,
    pub no_source: Option<bool>,
    pub compress_runtime: Option<bool>,
    pub no_cache: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct PyProject {
    project: Option<ProjectTable>,
    tool: Option<ToolTables>,
}

#[derive(Debug, Default, Deserialize)]
struct ToolTables {
    freeze: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ProjectTable {
    name: Option<String>,
    version: Option<String>,
    description: Option<String>,
    requires_python: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    scripts: BTreeMap<String, String>,
    #[serde(default)]
    gui_scripts: BTreeMap<String, String>,
    #[serde(default)]
    entry_points: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    dynamic: Vec<String>,
}

/// A dist-info made from `[project]`: its directory name, and its files
/// (name, content).
pub type DistInfo = (String, Vec<(String, Vec<u8>)>);

/// A directory with a pyproject.toml.
#[derive(Debug)]
pub struct Project {
    pub dir: PathBuf,
    pub file: PathBuf,
    /// `[project] name`, as written.
    pub name: Option<String>,
    /// `[project.scripts]` and `[project.gui-scripts]`: name -> entry
    /// point text.
    pub scripts: BTreeMap<String, String>,
    pub tool: ToolFreeze,
    table: ProjectTable,
}

impl Project {
    /// Reads `dir/pyproject.toml`; None if there is none.
    pub fn read(dir: &Path) -> Result<Option<Project>> {
        let file = dir.join("pyproject.toml");
        if !file.is_file() {
            return Ok(None);
        }
        let text =
            fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let doc: PyProject = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), one_line(&e.to_string())))?;
        let tool = match doc.tool.and_then(|t| t.freeze) {
            Some(value) => ToolFreeze::deserialize(value).map_err(|e| {
                anyhow::anyhow!(
                    "{}: [tool.freeze]: {}",
                    file.display(),
                    one_line(&e.to_string())
                )
            })?,
            None => ToolFreeze::default(),
        };
        let table = doc.project.unwrap_or_default();
        Ok(Some(Project {
            dir: dir.to_path_buf(),
            file,
            name: table.name.clone(),
            scripts: table
                .gui_scripts
                .iter()
                .chain(&table.scripts)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            tool,
            table,
        }))
    }

    /// `[project] dependencies`, those that parse.
    pub fn requirements(&self) -> Vec<crate::requirements::Requirement> {
        self.table
            .dependencies
            .iter()
            .filter_map(|d| crate::requirements::parse_requirement(d))
            .collect()
    }

    /// Where the project's modules are: `src/` (src layout), else the
    /// project directory (flat layout).
    pub fn package_root(&self) -> PathBuf {
        let src = self.dir.join("src");
        if src.is_dir() {
            src
        } else {
            self.dir.clone()
        }
    }

    /// A path of `[tool.freeze]`, relative to the pyproject's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// The dist-info the frozen app carries for the project, made from
    /// `[project]`: (directory name, [(file name, content)]). None, with
    /// the reason, when `[project]` cannot say (no name, or a version
    /// computed by the build backend).
    pub fn dist_info(&self) -> std::result::Result<DistInfo, String> {
        let t = &self.table;
        let Some(name) = &t.name else {
            return Err(format!("{} has no [project] name", self.file.display()));
        };
        let version = match &t.version {
            Some(v) => v.clone(),
            None if t.dynamic.iter().any(|d| d == "version") => {
                return Err(format!(
                    "the version of {name} is dynamic in {} and {name} is not installed in the \
                     --python environment, so the executable carries no metadata for it \
                     (importlib.metadata.version({name:?}) fails): run `pip install -e .` in {} first",
                    self.file.display(),
                    self.dir.display()
                ));
            }
            None => return Err(format!("{} has no [project] version", self.file.display())),
        };
        let mut meta = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        if let Some(d) = &t.description {
            meta.push_str(&format!("Summary: {}\n", one_line(d)));
        }
        if let Some(r) = &t.requires_python {
            meta.push_str(&format!("Requires-Python: {r}\n"));
        }
        for dep in &t.dependencies {
            meta.push_str(&format!("Requires-Dist: {dep}\n"));
        }
        for (extra, deps) in &t.optional_dependencies {
            meta.push_str(&format!("Provides-Extra: {extra}\n"));
            for dep in deps {
                let (req, marker) = match dep.split_once(';') {
                    Some((r, m)) => (r.trim(), format!("({}) and extra == \"{extra}\"", m.trim())),
                    None => (dep.trim(), format!("extra == \"{extra}\"")),
                };
                meta.push_str(&format!("Requires-Dist: {req}; {marker}\n"));
            }
        }
        let mut groups: Vec<(&str, &BTreeMap<String, String>)> = Vec::new();
        if !t.scripts.is_empty() {
            groups.push(("console_scripts", &t.scripts));
        }
        if !t.gui_scripts.is_empty() {
            groups.push(("gui_scripts", &t.gui_scripts));
        }
        for (group, entries) in &t.entry_points {
            groups.push((group, entries));
        }
        let mut files = vec![("METADATA".to_owned(), meta.into_bytes())];
        if !groups.is_empty() {
            let mut text = String::new();
            for (group, entries) in groups {
                text.push_str(&format!("[{group}]\n"));
                for (k, v) in entries {
                    text.push_str(&format!("{k} = {v}\n"));
                }
                text.push('\n');
            }
            files.push(("entry_points.txt".to_owned(), text.into_bytes()));
        }
        let dir_name = format!(
            "{}-{}.dist-info",
            name.replace(['-', '.'], "_"),
            version.replace('-', "_")
        );
        Ok((dir_name, files))
    }
}

/// The executables a command line asks for: one, or one per console
/// script of a project.
pub fn jobs(cli: &Cli) -> Result<Vec<Job>> {
    let app: Option<PathBuf> = match &cli.app {
        Some(app) => Some(app.clone()),
        // `--script NAME` alone: the project in the current directory if
        // it has that script, else an installed distribution's.
        None if cli.script.is_some() => {
            let here = Project::read(Path::new("."))?;
            let has = |p: &Project| {
                cli.script
                    .as_ref()
                    .is_some_and(|n| p.scripts.contains_key(n))
            };
            here.filter(has).map(|_| PathBuf::from("."))
        }
        None if Path::new("pyproject.toml").is_file() => Some(PathBuf::from(".")),
        None => bail!(
            "nothing to freeze: give APP (a directory with __main__.py, a .py script, or a \
             project directory with pyproject.toml), or --script NAME"
        ),
    };
    let project = match &app {
        Some(dir) if dir.is_dir() => Project::read(dir)?,
        _ => None,
    };
    let mut opts = cli.clone();
    if let Some(project) = &project {
        apply_tool_freeze(&mut opts, project)?;
    }
    let Some(project) = project else {
        return plain_job(opts, app);
    };
    let has_main = project.dir.join("__main__.py").is_file();
    if opts.module.is_none() && opts.entry.is_none() && opts.script.is_none() && has_main {
        // An app directory that also has a pyproject.toml: `python app/`.
        return plain_job(opts, app);
    }
    let site = crate::site::locate(opts.python.as_deref(), opts.verbose)?;
    let dists = Distributions::scan(&site.dirs);
    let metadata = project_metadata(&project, &site, &dists);
    let root = project.package_root();
    let requires = project
        .name
        .clone()
        .map(|name| (name, project.requirements()));
    let mut jobs = Vec::new();
    let mut job = |opts: Cli, label: String, entry: Entry| {
        jobs.push(Job {
            cli: opts,
            label,
            entry,
            site: Some(site.clone()),
            project_metadata: metadata.clone(),
            project_requires: requires.clone(),
        });
    };
    if let Some(module) = opts.module.clone() {
        let entry = crate::freezer::entry(&root, Some(&module))?;
        let opts = need_output(opts, "-m")?;
        job(
            opts,
            format!("{} (-m {module})", project.dir.display()),
            entry,
        );
    } else if let Some(spec) = opts.entry.clone() {
        let ep = parse_entry(&spec)?;
        let opts = need_output(opts, "-e")?;
        let name = output_name(&opts);
        let label = format!("{} ({ep})", project.dir.display());
        job(opts, label, Entry::launcher(root, &name, &ep));
    } else {
        let names: Vec<String> = match &opts.script {
            Some(name) => vec![name.clone()],
            None if project.scripts.is_empty() => bail!(
                "{} has no [project.scripts] and {} no __main__.py: add a script, or name \
                 the entry point with -e MODULE:FUNCTION or the module with -m MODULE",
                project.file.display(),
                project.dir.display()
            ),
            None => project.scripts.keys().cloned().collect(),
        };
        if names.len() > 1 && opts.output.is_some() {
            bail!(
                "{} has {} scripts ({}) and -o names one file: choose one with --script NAME, \
                 or leave out -o to write them all into {}",
                project.file.display(),
                names.len(),
                names.join(", "),
                project.dir.join("dist").display()
            );
        }
        for name in names {
            let (spec, from) = match project.scripts.get(&name) {
                Some(spec) => (spec.clone(), project.file.display().to_string()),
                None => installed_script(&name, &dists, &site, Some(&project))?,
            };
            let ep = EntryPoint::parse(&spec).with_context(|| {
                format!("script {name} = {spec:?} in {from} is not MODULE:FUNCTION")
            })?;
            let mut opts = opts.clone();
            if opts.output.is_none() {
                let dist = project.dir.join("dist");
                fs::create_dir_all(&dist)
                    .with_context(|| format!("cannot create {}", dist.display()))?;
                opts.output = Some(dist.join(&name));
            }
            let label = format!("{name} ({ep})");
            job(opts, label, Entry::launcher(root.clone(), &name, &ep));
        }
    }
    Ok(jobs)
}

/// A command line without a project: APP with `-m`, `-e`, `--script` or
/// nothing.
fn plain_job(opts: Cli, app: Option<PathBuf>) -> Result<Vec<Job>> {
    let label = |app: &Option<PathBuf>, what: &str| match app {
        Some(app) if what.is_empty() => app.display().to_string(),
        Some(app) => format!("{} ({what})", app.display()),
        None => what.to_owned(),
    };
    // Without APP (`--script` alone) nothing is searched before the
    // installed packages.
    let root = |app: &Option<PathBuf>, flag: &str| -> Result<PathBuf> {
        match app {
            Some(dir) if dir.is_dir() => Ok(dir.clone()),
            Some(file) => bail!(
                "{flag} needs APP to be the directory to search for its module, but {} is {}",
                file.display(),
                if file.exists() { "a file" } else { "missing" }
            ),
            None => Ok(PathBuf::from(crate::freezer::NO_APP_ROOT)),
        }
    };
    if let Some(spec) = opts.entry.clone() {
        let ep = parse_entry(&spec)?;
        let opts = need_output(opts, "-e")?;
        let root = root(&app, &format!("-e {spec}"))?;
        if app.is_none() {
            bail!(
                "-e {spec} needs APP, the directory to search for {}",
                ep.module
            );
        }
        let entry = Entry::launcher(root, &output_name(&opts), &ep);
        return Ok(vec![Job {
            label: label(&app, &ep.to_string()),
            cli: opts,
            entry,
            site: None,
            project_metadata: Vec::new(),
            project_requires: None,
        }]);
    }
    if let Some(name) = opts.script.clone() {
        let root = root(&app, &format!("--script {name}"))?;
        let site = crate::site::locate(opts.python.as_deref(), opts.verbose)?;
        let dists = Distributions::scan(&site.dirs);
        let (spec, from) = installed_script(&name, &dists, &site, None)?;
        let ep = EntryPoint::parse(&spec).with_context(|| {
            format!("script {name} = {spec:?} of {from} is not MODULE:FUNCTION")
        })?;
        let opts = need_output(opts, &format!("--script {name}"))?;
        return Ok(vec![Job {
            label: label(&app, &format!("{name} = {ep}")),
            cli: opts,
            entry: Entry::launcher(root, &name, &ep),
            site: Some(site),
            project_metadata: Vec::new(),
            project_requires: None,
        }]);
    }
    let app = app.context("APP is required")?;
    let opts = need_output(opts, "APP")?;
    let entry = crate::freezer::entry(&app, opts.module.as_deref())?;
    Ok(vec![Job {
        label: label(&Some(app), ""),
        cli: opts,
        entry,
        site: None,
        project_metadata: Vec::new(),
        project_requires: None,
    }])
}

fn parse_entry(spec: &str) -> Result<EntryPoint> {
    EntryPoint::parse(spec).with_context(|| {
        format!(
            "-e {spec:?} is not an entry point: expected MODULE:FUNCTION such as mytool.cli:main \
             (to run a module as __main__, use -m MODULE)"
        )
    })
}

fn need_output(opts: Cli, what: &str) -> Result<Cli> {
    if opts.output.is_none() {
        bail!("{what}: give -o OUT, the executable to write");
    }
    Ok(opts)
}

/// The script name of `-e`: the output's file name, as pip names the
/// launcher after the script.
fn output_name(opts: &Cli) -> String {
    opts.output
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_owned())
}

/// The entry point of console script `name` of a distribution installed
/// in the `--python` environment: (entry point, where it was found).
fn installed_script(
    name: &str,
    dists: &Distributions,
    site: &crate::site::SitePackages,
    project: Option<&Project>,
) -> Result<(String, String)> {
    let installed = installed_scripts(dists);
    if let Some((spec, dist)) = installed.get(name) {
        return Ok((spec.clone(), format!("distribution {dist}")));
    }
    let mut available: Vec<String> = project
        .map(|p| p.scripts.keys().cloned().collect())
        .unwrap_or_default();
    available.extend(installed.keys().cloned());
    available.sort();
    available.dedup();
    let python = site
        .python
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "no Python found (give --python)".to_owned());
    let where_ = match project {
        Some(p) => format!("{} nor in {python}", p.file.display()),
        None => python,
    };
    if available.is_empty() {
        bail!("--script {name}: no such console script in {where_}, which has none");
    }
    bail!(
        "--script {name}: no such console script in {where_}; available: {}",
        available.join(", ")
    )
}

/// The project's metadata for the bundle: its installed dist-info when the
/// project is installed in the `--python` environment (editable or not),
/// else one made from `[project]`.
fn project_metadata(
    project: &Project,
    site: &crate::site::SitePackages,
    dists: &Distributions,
) -> Vec<(String, Content, Reason)> {
    let Some(name) = &project.name else {
        say!(
            "warning: {} has no [project] name: the executable carries no metadata for the project",
            project.file.display()
        );
        return Vec::new();
    };
    let normalized = crate::requirements::normalize_name(name);
    if let Some(i) = dists.by_name(&normalized) {
        let meta = &dists.list[i].path;
        let meta_name = meta
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let python = site
            .python
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let why = format!("metadata of project {name}, as installed for {python}");
        return crate::finder::package_data(meta, &meta_name, false)
            .into_iter()
            .map(|(rel, file)| (rel, Content::File(file), Reason::new(why.clone(), None)))
            .collect();
    }
    match project.dist_info() {
        Ok((dir, files)) => {
            let why = format!(
                "metadata of project {name}, made from [project] of {}",
                project.file.display()
            );
            files
                .into_iter()
                .map(|(file, bytes)| {
                    (
                        format!("{dir}/{file}"),
                        Content::Bytes(bytes),
                        Reason::new(why.clone(), None),
                    )
                })
                .collect()
        }
        Err(problem) => {
            say!("warning: {problem}");
            Vec::new()
        }
    }
}

/// Puts `[tool.freeze]` under the command line: what the command line sets
/// wins; lists add to the file's; paths are relative to the pyproject's
/// directory.
fn apply_tool_freeze(opts: &mut Cli, project: &Project) -> Result<()> {
    let t = &project.tool;
    let chosen = [&t.entry, &t.module, &t.script]
        .iter()
        .filter(|o| o.is_some())
        .count();
    if chosen > 1 {
        bail!(
            "{}: [tool.freeze] sets more than one of entry, module and script",
            project.file.display()
        );
    }
    if opts.entry.is_none() && opts.module.is_none() && opts.script.is_none() {
        opts.entry = t.entry.clone();
        opts.module = t.module.clone();
        opts.script = t.script.clone();
    }
    if !opts.quiet && !opts.verbose {
        if t.quiet == Some(true) && t.verbose == Some(true) {
            bail!(
                "{}: [tool.freeze] sets both quiet and verbose: give one",
                project.file.display()
            );
        }
        opts.quiet = t.quiet.unwrap_or(false);
        opts.verbose = t.verbose.unwrap_or(false);
        crate::QUIET.store(opts.quiet, std::sync::atomic::Ordering::Relaxed);
    }
    if t.name.is_some() && t.output.is_some() {
        bail!(
            "{}: [tool.freeze] sets both name and output: give one",
            project.file.display()
        );
    }
    let file_option = |key: &str| format!("{}: [tool.freeze] {key}", project.file.display());
    if opts.output.is_none() {
        if let Some(name) = &t.name {
            opts.output = Some(crate::freezer::dist_output(
                &project.dir,
                name,
                &file_option("name"),
            )?);
        }
    }
    crate::freezer::note_unneeded_options(
        &file_option("onefile"),
        t.onefile == Some(true) && !opts.onefile,
        &file_option("copy-metadata"),
        &t.copy_metadata,
    );
    if opts.output.is_none() {
        if let Some(output) = &t.output {
            let output = project.resolve(output);
            // As for dist/: the directory the file names is made.
            if let Some(parent) = output.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            opts.output = Some(output);
        }
    }
    if opts.python.is_none() {
        opts.python = t.python.as_deref().map(|p| project.resolve(p));
    }
    let mut add_data = Vec::new();
    for spec in &t.add_data {
        let Some((src, dest)) = spec.rsplit_once(':') else {
            bail!(
                "{}: [tool.freeze] add-data {spec:?}: expected \"SRC:DEST\"",
                project.file.display()
            );
        };
        add_data.push(format!(
            "{}:{dest}",
            project.resolve(Path::new(src)).display()
        ));
    }
    add_data.append(&mut opts.add_data);
    opts.add_data = add_data;
    let mut paths: Vec<PathBuf> = t.paths.iter().map(|p| project.resolve(p)).collect();
    paths.append(&mut opts.paths);
    opts.paths = paths;
    for (from_file, option) in [
        (&t.hidden_imports, &mut opts.hidden_imports),
        (&t.excludes, &mut opts.excludes),
        (&t.collect_all, &mut opts.collect_all),
        (&t.collect_data, &mut opts.collect_data),
        (&t.collect_submodules, &mut opts.collect_submodules),
        (&t.copy_metadata, &mut opts.copy_metadata),
    ] {
        let mut list = from_file.clone();
        list.append(option);
        *option = list;
    }
    opts.strict |= t.strict.unwrap_or(false);
    opts.no_source |= t.no_source.unwrap_or(false);
    opts.compress_runtime |= t.compress_runtime.unwrap_or(false);
    opts.no_cache |= t.no_cache.unwrap_or(false);
    Ok(())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_parse_like_pip() {
        let ep = EntryPoint::parse("mytool.cli:main").unwrap();
        assert_eq!(
            (ep.module.as_str(), ep.attr.as_str()),
            ("mytool.cli", "main")
        );
        let ep = EntryPoint::parse(" pkg : App.run [extra] ").unwrap();
        assert_eq!((ep.module.as_str(), ep.attr.as_str()), ("pkg", "App.run"));
        assert!(EntryPoint::parse("pkg.cli").is_none());
        assert!(EntryPoint::parse("pkg-x:main").is_none());
        assert!(EntryPoint::parse("pkg:").is_none());
        let text = EntryPoint::parse("pkg:App.run").unwrap().launcher();
        assert!(text.contains("from pkg import App\n"));
        assert_eq!(text.lines().nth(7), Some("    sys.exit(App.run())"));
    }

    #[test]
    fn unknown_tool_freeze_keys_are_named() {
        let dir = std::env::temp_dir().join(format!("freeze-pyproject-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("pyproject.toml"),
            "[project]\nname = \"a\"\nversion = \"1\"\n[tool.freeze]\nouptut = \"x\"\n",
        )
        .unwrap();
        let e = Project::read(&dir).unwrap_err().to_string();
        assert!(e.contains("ouptut") && e.contains("pyproject.toml"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
