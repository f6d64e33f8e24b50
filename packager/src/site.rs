//! Third-party packages: the site directories of the chosen interpreter
//! (`--python`, else the active venv, else `python3` when it is the
//! embedded CPython's version) and the distributions (dist-info) installed
//! there.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reply {
    implementation: String,
    /// Empty when python cannot tell (`sys.executable` is `''` or `None`).
    #[serde(default, deserialize_with = "string_or_none")]
    executable: String,
    version: (u32, u32, u32),
    path: Vec<String>,
    stdlib: Vec<String>,
}

fn string_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(<Option<String> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// Where third-party modules come from.
#[derive(Debug, Default, Clone)]
pub struct SitePackages {
    /// The interpreter asked, for messages.
    pub python: Option<PathBuf>,
    /// Its `sys.executable`: the interpreter's file, however it was named
    /// (`python3` found on PATH).
    pub executable: Option<PathBuf>,
    /// Its `sys.path` minus the stdlib and the current directory: site
    /// directories, `.pth` additions, PYTHONPATH entries.
    pub dirs: Vec<PathBuf>,
    /// Source directories of editable installs that python reaches through
    /// an import hook or an egg-link rather than `sys.path` (see
    /// `editable_dirs`): searched for modules, but not for metadata.
    pub editable: Vec<PathBuf>,
    /// Directories of vendored dependencies that an installed package
    /// appends to `sys.path` when imported (see `vendored_dirs`).
    pub vendored: Vec<PathBuf>,
}

/// Decides which interpreter's packages to use.
pub fn locate(explicit: Option<&Path>, verbose: bool) -> Result<SitePackages> {
    if let Some(python) = explicit {
        return query(python, true);
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let python = PathBuf::from(venv).join("bin/python");
        return query(&python, true).context("the active virtual environment ($VIRTUAL_ENV)");
    }
    // freeze installed into a venv (`pip install` of its wheel): that
    // venv's interpreter.
    if let Some(python) = own_venv_python() {
        return query(&python, true).with_context(|| {
            format!(
                "the virtual environment freeze is installed in ({})",
                python.display()
            )
        });
    }
    // No venv: python3 on PATH, if it can run this runtime's packages.
    match query(Path::new("python3"), false) {
        Ok(site) => Ok(site),
        Err(e) => {
            if verbose {
                eprintln!("  not using python3's packages: {e:#}");
            }
            Ok(SitePackages::default())
        }
    }
}

/// `VENV/bin/python` when this executable is `VENV/bin/freeze`: its
/// directory holds `python` and its parent `pyvenv.cfg`.
pub fn own_venv_python() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?;
    let python = bin.join("python");
    (python.exists() && bin.parent()?.join("pyvenv.cfg").is_file()).then_some(python)
}

fn query(python: &Path, explicit: bool) -> Result<SitePackages> {
    let script = r#"
import json, sys, sysconfig
paths = sysconfig.get_paths()
print(json.dumps({
    "implementation": sys.implementation.name,
    "executable": sys.executable,
    "version": list(sys.version_info[:3]),
    "path": sys.path,
    "stdlib": [paths["stdlib"], paths["platstdlib"]],
}))
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .output()
        .with_context(|| {
            format!(
                "cannot run {} (give a CPython interpreter with --python)",
                python.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let reply: Reply = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{} did not answer as CPython does", python.display()))?;
    let (major, minor, micro) = reply.version;
    let embedded = crate::runtimes::embedded_version();
    if reply.implementation != "cpython" {
        bail!(
            "{} is {} {major}.{minor}.{micro}, not CPython: freeze embeds CPython {}",
            python.display(),
            reply.implementation,
            freeze_runtime::PYTHON_VERSION
        );
    }
    if (major, minor) != embedded {
        let other = crate::runtimes::OtherVersion {
            python: python.to_path_buf(),
            major,
            minor,
            micro,
        };
        if explicit {
            // main hands the command to the freeze of that version.
            return Err(other.into());
        }
        bail!("{other}");
    }
    let stdlib: Vec<PathBuf> = reply.stdlib.iter().map(PathBuf::from).collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for entry in reply.path {
        if entry.is_empty() {
            continue; // the current directory of the query, not of the app
        }
        let p = PathBuf::from(&entry);
        let in_stdlib = stdlib
            .iter()
            .any(|s| p == *s || p.starts_with(s.join("lib-dynload")));
        let is_site = entry.contains("site-packages") || entry.contains("dist-packages");
        if (in_stdlib && !is_site) || !p.is_dir() || dirs.contains(&p) {
            continue;
        }
        dirs.push(p);
    }
    // Editable installs whose modules python finds through an import hook
    // (setuptools' mapping finders) or an egg-link: their source
    // directories, searched after the site directories, as the hook is.
    let mut editable = Vec::new();
    for dir in editable_dirs(&dirs) {
        if !dirs.contains(&dir) && !editable.contains(&dir) {
            editable.push(dir);
        }
    }
    let vendored = vendored_dirs(&dirs);
    Ok(SitePackages {
        editable,
        python: Some(python.to_path_buf()),
        executable: Some(PathBuf::from(reply.executable)).filter(|e| e.is_absolute()),
        dirs,
        vendored,
    })
}

/// One installed distribution.
#[derive(Debug)]
pub struct Distribution {
    /// Normalised name (PEP 503).
    pub name: String,
    /// Its metadata directory (dist-info or egg-info).
    pub path: PathBuf,
    /// Top-level modules and packages it installs.
    pub top_levels: Vec<String>,
    /// Its `Requires-Dist` lines.
    pub requires: Vec<crate::requirements::Requirement>,
    /// Its entry points (`entry_points.txt`): each group with the modules
    /// it names, which plugin hosts load by name.
    pub entry_groups: BTreeMap<String, Vec<String>>,
}

impl Distribution {
    /// The modules its entry points name, in every group.
    pub fn entry_modules(&self) -> BTreeSet<&str> {
        self.entry_groups
            .values()
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

/// setuptools 71 and later ship their dependencies (packaging, jaraco.text,
/// platformdirs...) in `setuptools/_vendor`, which `import setuptools` and
/// `import pkg_resources` append to `sys.path`; pkg_resources then imports
/// them by their own names. Python finds them there after every site
/// directory (unless installed in one), so they are searched last. Older
/// releases import their vendored copies as `pkg_resources.extern.*`
/// (served by their own import hook from the package itself) and add
/// nothing to `sys.path`: their `_vendor` is no search root.
fn vendored_dirs(site_dirs: &[PathBuf]) -> Vec<PathBuf> {
    const APPENDS_VENDOR: &str = "'setuptools', '_vendor'";
    site_dirs
        .iter()
        .filter(|dir| {
            ["setuptools/__init__.py", "pkg_resources/__init__.py"]
                .iter()
                .any(|init| {
                    fs::read_to_string(dir.join(init)).is_ok_and(|text| {
                        text.lines()
                            .any(|l| l.contains("sys.path.extend") && l.contains(APPENDS_VENDOR))
                    })
                })
        })
        .map(|dir| dir.join("setuptools/_vendor"))
        .filter(|vendor| vendor.is_dir())
        .collect()
}

/// The dist-info (or egg-info) directories of installed distributions,
/// keyed by the top-level module names each provides and by the files
/// their RECORDs list.
#[derive(Debug, Default)]
pub struct Distributions {
    by_top_level: BTreeMap<String, Vec<PathBuf>>,
    pub list: Vec<Distribution>,
    by_name: BTreeMap<String, usize>,
    /// Site-relative path of an installed file -> the distribution (index
    /// in `list`) whose RECORD lists it.
    by_file: BTreeMap<String, usize>,
}

impl Distributions {
    pub fn scan(dirs: &[PathBuf]) -> Distributions {
        let mut out = Distributions::default();
        for dir in dirs {
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            let mut metas: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_dir()
                        && p.extension()
                            .is_some_and(|x| x == "dist-info" || x == "egg-info")
                })
                .collect();
            metas.sort();
            for meta in metas {
                let record = fs::read_to_string(meta.join("RECORD")).unwrap_or_default();
                let mut tops = top_levels(&meta, &record);
                if is_editable(&meta) {
                    for top in editable_top_levels(dir, &record) {
                        if !tops.contains(&top) {
                            tops.push(top);
                        }
                    }
                }
                for top in &tops {
                    let list = out.by_top_level.entry(top.clone()).or_default();
                    if !list.contains(&meta) {
                        list.push(meta.clone());
                    }
                }
                let Some(name) = distribution_name(&meta) else {
                    continue;
                };
                if out.by_name.contains_key(&name) {
                    continue; // shadowed by an earlier site dir, as for python
                }
                let index = out.list.len();
                for line in record.lines() {
                    let path = line.split(',').next().unwrap_or("");
                    if !path.is_empty() && !path.starts_with("..") {
                        out.by_file.entry(path.to_owned()).or_insert(index);
                    }
                }
                out.by_name.insert(name.clone(), index);
                out.list.push(Distribution {
                    name,
                    path: meta.clone(),
                    requires: requires_dist(&meta),
                    entry_groups: entry_point_groups(&meta),
                    top_levels: tops,
                });
            }
        }
        out
    }

    /// The distributions providing top-level module `name`.
    pub fn for_top_level(&self, name: &str) -> &[PathBuf] {
        self.by_top_level
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The distribution whose RECORD lists the site-relative `path`.
    pub fn owner_of_file(&self, path: &str) -> Option<usize> {
        self.by_file.get(path).copied()
    }

    /// The outermost modules and regular packages distribution `index`
    /// installs inside namespace package `namespace` (`sphinxcontrib` ->
    /// `sphinxcontrib.applehelp`): what a distribution sharing a namespace
    /// brings, as a top-level package is what another brings.
    pub fn roots_in_namespace(&self, index: usize, namespace: &str) -> Vec<String> {
        let prefix = format!("{namespace}/");
        let files: BTreeSet<&str> = self
            .by_file
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter(|(_, owner)| **owner == index)
            .map(|(path, _)| path.as_str())
            .collect();
        let mut roots = BTreeSet::new();
        for path in &files {
            let Some(module) = crate::finder::module_stem(path) else {
                continue;
            };
            let parts: Vec<&str> = module.split('/').collect();
            // The shortest prefix below the namespace that is a regular
            // package, else the module itself.
            let root = (2..parts.len())
                .find(|&n| {
                    let dir = parts[..n].join("/");
                    files.iter().any(|f| {
                        f.strip_prefix(dir.as_str())
                            .and_then(|rest| rest.strip_prefix('/'))
                            .and_then(crate::finder::module_stem)
                            == Some("__init__")
                    })
                })
                .unwrap_or(parts.len());
            let name = parts[..root].join(".");
            if name.split('.').all(crate::finder::is_identifier) {
                roots.insert(name);
            }
        }
        roots.into_iter().collect()
    }

    /// The distribution installed under (normalised) `name`.
    pub fn by_name(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The distributions providing top-level `name`, as indexes in `list`
    /// (for metadata without a RECORD, e.g. egg-info).
    pub fn indexes_for_top_level(&self, name: &str) -> Vec<usize> {
        self.list
            .iter()
            .enumerate()
            .filter(|(_, d)| d.top_levels.iter().any(|t| t == name))
            .map(|(i, _)| i)
            .collect()
    }
}

/// The normalised distribution name of a metadata directory, from its
/// METADATA (PKG-INFO) `Name:`, else its directory name.
fn distribution_name(meta: &Path) -> Option<String> {
    let text = fs::read_to_string(meta.join("METADATA"))
        .or_else(|_| fs::read_to_string(meta.join("PKG-INFO")))
        .unwrap_or_default();
    let from_metadata = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Name:"))
        .map(|n| n.trim().to_owned());
    let name = from_metadata.or_else(|| {
        let stem = meta.file_stem()?.to_str()?;
        Some(stem.split('-').next()?.to_owned())
    })?;
    Some(crate::requirements::normalize_name(&name))
}

/// The modules named by `entry_points.txt` (`name = module:attr [extra]`).
/// The modules each group of `entry_points.txt` names.
fn entry_point_groups(meta: &Path) -> BTreeMap<String, Vec<String>> {
    let text = fs::read_to_string(meta.join("entry_points.txt")).unwrap_or_default();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut group = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            name.trim().clone_into(&mut group);
            continue;
        }
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((_, value)) = line.split_once('=') else {
            continue;
        };
        let module = value.split([':', '[']).next().unwrap_or("").trim();
        let valid = !module.is_empty() && module.split('.').all(crate::finder::is_identifier);
        let modules = out.entry(group.clone()).or_default();
        if valid && !modules.iter().any(|m| m == module) {
            modules.push(module.to_owned());
        }
    }
    out
}

/// The `Requires-Dist` lines of METADATA (the header part).
fn requires_dist(meta: &Path) -> Vec<crate::requirements::Requirement> {
    let text = fs::read_to_string(meta.join("METADATA")).unwrap_or_default();
    text.lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("Requires-Dist:"))
        .filter_map(crate::requirements::parse_requirement)
        .collect()
}

/// Top-level names a distribution installs: from RECORD (every file), or
/// top_level.txt for distributions without one.
fn top_levels(meta: &Path, record: &str) -> Vec<String> {
    let mut tops = Vec::new();
    for line in record.lines() {
        let path = line.split(',').next().unwrap_or("");
        let first = path.split('/').next().unwrap_or("");
        if first.is_empty()
            || first.starts_with("..")
            || first.ends_with(".dist-info")
            || first.ends_with(".data")
            || first.ends_with(".pth")
            || first.starts_with("__editable__")
            || first == "__pycache__"
        {
            continue;
        }
        let name = if path.contains('/') {
            first.to_owned()
        } else {
            // A top-level module file: six.py, _cffi_backend.cpython-311-x86_64-linux-gnu.so
            first.split('.').next().unwrap_or("").to_owned()
        };
        if !name.is_empty() && !tops.contains(&name) {
            tops.push(name);
        }
    }
    if let Ok(text) = fs::read_to_string(meta.join("top_level.txt")) {
        for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !tops.iter().any(|t| t == name) {
                tops.push(name.to_owned());
            }
        }
    }
    tops
}

/// What the `.pth` file `name` of site directory `site` adds: the
/// directories it puts on `sys.path` (hatchling's, pdm's and setuptools'
/// static editable installs, `easy-install.pth`), and the (module, path)
/// mapping of the setuptools editable finder it installs
/// (`import __editable___x_1_0_finder; ....install()`).
fn pth_targets(site: &Path, name: &str) -> (Vec<PathBuf>, Vec<(String, PathBuf)>) {
    let mut dirs = Vec::new();
    let mut mapping = Vec::new();
    let text = fs::read_to_string(site.join(name)).unwrap_or_default();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("import ") || line.starts_with("import\t") {
            let module = line["import".len()..]
                .trim()
                .split([';', ' ', ','])
                .next()
                .unwrap_or("");
            if module.starts_with("__editable__") && module.ends_with("_finder") {
                let finder = fs::read_to_string(site.join(format!("{module}.py")));
                mapping.extend(
                    finder_mapping(&finder.unwrap_or_default())
                        .into_iter()
                        .map(|(m, p)| (m, PathBuf::from(p))),
                );
            }
            continue;
        }
        let path = site.join(line);
        if path.is_dir() {
            dirs.push(path);
        }
    }
    (dirs, mapping)
}

/// The `MAPPING` dict literal of a setuptools editable finder
/// (`MAPPING: dict[str, str] = {'mytool': '/src/mytool'}`): (module, path).
pub fn finder_mapping(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(start) = text.find("\nMAPPING") else {
        return out;
    };
    let rest = &text[start..];
    let Some(open) = rest.find('{') else {
        return out;
    };
    let mut chars = rest[open + 1..].chars().peekable();
    let string = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<String> {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let quote = chars.next().filter(|q| *q == '\'' || *q == '"')?;
        let mut s = String::new();
        loop {
            match chars.next()? {
                '\\' => s.push(chars.next()?),
                c if c == quote => return Some(s),
                c => s.push(c),
            }
        }
    };
    while let Some(key) = string(&mut chars) {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some(':') {
            break;
        }
        let Some(value) = string(&mut chars) else {
            break;
        };
        out.push((key, value));
    }
    out
}

/// Whether pip installed a distribution editable (PEP 610's
/// `direct_url.json`: `"dir_info": {"editable": true}`).
fn is_editable(meta: &Path) -> bool {
    fs::read_to_string(meta.join("direct_url.json")).is_ok_and(|text| {
        let text: String = text.split_whitespace().collect();
        text.contains("\"editable\":true")
    })
}

/// Top-level modules an editable install (RECORD listing a `.pth`)
/// provides from its source tree: those of the directories its `.pth`
/// adds, and those its setuptools finder maps.
fn editable_top_levels(site: &Path, record: &str) -> Vec<String> {
    let mut tops = Vec::new();
    for line in record.lines() {
        let path = line.split(',').next().unwrap_or("");
        if path.contains('/') || !path.ends_with(".pth") {
            continue;
        }
        let (dirs, mapping) = pth_targets(site, path);
        for dir in dirs {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let p = e.path();
                    if p.is_dir() && p.join("__init__.py").is_file() {
                        Some(name)
                    } else {
                        name.strip_suffix(".py").map(str::to_owned)
                    }
                })
                .filter(|n| crate::finder::is_identifier(n))
                .collect();
            names.sort();
            tops.extend(names);
        }
        tops.extend(mapping.into_iter().map(|(m, _)| m));
    }
    tops
}

/// Source directories of editable installs that are not on `sys.path`:
/// the parents of what setuptools' editable finders map (a package
/// `mytool` at `/proj/mytool` is found in `/proj`), and the projects that
/// legacy `.egg-link` files point at.
fn editable_dirs(site_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for site in site_dirs {
        let Ok(entries) = fs::read_dir(site) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        for name in names {
            if name.ends_with(".pth") {
                for (module, path) in pth_targets(site, &name).1 {
                    let leaf = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let matches = leaf == module || leaf == format!("{module}.py");
                    match path.parent() {
                        Some(parent) if matches && path.exists() => out.push(parent.to_path_buf()),
                        _ => say!(
                            "warning: the editable install of {module} ({}) maps it to {}, \
                             which freeze cannot search; add its directory with --path",
                            site.join(&name).display(),
                            path.display()
                        ),
                    }
                }
            } else if name.ends_with(".egg-link") {
                let text = fs::read_to_string(site.join(&name)).unwrap_or_default();
                if let Some(first) = text.lines().next().map(str::trim) {
                    let dir = site.join(first);
                    if !first.is_empty() && dir.is_dir() {
                        out.push(dir);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editable_installs_lead_to_their_sources() {
        let base =
            std::env::temp_dir().join(format!("freeze-site-editable-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let site = base.join("site");
        let flat = base.join("flat");
        let src = base.join("hatch/src");
        let legacy = base.join("legacy");
        for dir in [&site, &flat.join("flatpkg"), &src.join("hatchpkg"), &legacy] {
            fs::create_dir_all(dir).unwrap();
        }
        fs::write(flat.join("flatpkg/__init__.py"), "").unwrap();
        fs::write(src.join("hatchpkg/__init__.py"), "").unwrap();
        fs::write(src.join("single.py"), "").unwrap();
        // setuptools: a .pth importing a finder with a MAPPING.
        fs::write(
            site.join("__editable__.flatpkg-1.0.pth"),
            "import __editable___flatpkg_1_0_finder; __editable___flatpkg_1_0_finder.install()",
        )
        .unwrap();
        fs::write(
            site.join("__editable___flatpkg_1_0_finder.py"),
            format!(
                "import sys\nMAPPING: dict[str, str] = {{'flatpkg': '{}'}}\n",
                flat.join("flatpkg").display()
            ),
        )
        .unwrap();
        // hatchling: a .pth with a path (no newline at the end).
        fs::write(site.join("_hatchpkg.pth"), src.display().to_string()).unwrap();
        // setup.py develop: an egg-link.
        fs::write(
            site.join("legacy.egg-link"),
            format!("{}\n.\n", legacy.display()),
        )
        .unwrap();
        assert_eq!(
            editable_dirs(std::slice::from_ref(&site)),
            vec![flat.clone(), legacy.clone()]
        );
        let record = "__editable__.flatpkg-1.0.pth,,\n__editable___flatpkg_1_0_finder.py,,\n";
        assert_eq!(editable_top_levels(&site, record), vec!["flatpkg"]);
        assert!(!top_levels(&site, record)
            .iter()
            .any(|t| t.starts_with("__editable__")));
        let record = "_hatchpkg.pth,,\nhatchpkg-1.0.dist-info/RECORD,,\n";
        assert_eq!(
            editable_top_levels(&site, record),
            vec!["hatchpkg", "single"]
        );
        let _ = fs::remove_dir_all(&base);
    }

    #[test]
    fn setuptools_finder_mapping_is_read() {
        let text = "import sys\nMAPPING: dict[str, str] = {'mytool': '/p/src/mytool', \"it's\": '/a\\\\b'}\nNAMESPACES = {}\n";
        assert_eq!(
            finder_mapping(text),
            vec![
                ("mytool".to_owned(), "/p/src/mytool".to_owned()),
                ("it's".to_owned(), "/a\\b".to_owned())
            ]
        );
        assert!(finder_mapping("MAPPING = {}").is_empty());
    }

    #[test]
    fn setuptools_vendor_dir_is_a_root_only_where_it_joins_sys_path() {
        let base =
            std::env::temp_dir().join(format!("freeze-site-vendored-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let site = |name: &str, pkg_resources: &str| {
            let dir = base.join(name);
            fs::create_dir_all(dir.join("setuptools/_vendor/packaging")).unwrap();
            fs::create_dir_all(dir.join("pkg_resources")).unwrap();
            fs::write(dir.join("setuptools/__init__.py"), "").unwrap();
            fs::write(dir.join("pkg_resources/__init__.py"), pkg_resources).unwrap();
            dir
        };
        // setuptools 81's line, and 66's import hook (no sys.path change).
        let new = site(
            "new",
            "sys.path.extend(((vendor_path := os.path.join(os.path.dirname(os.path.dirname(\
             __file__)), 'setuptools', '_vendor')) not in sys.path) * [vendor_path])\n",
        );
        let old = site("old", "from pkg_resources.extern import packaging\n");
        assert_eq!(
            vendored_dirs(&[old, new.clone()]),
            vec![new.join("setuptools/_vendor")]
        );
        let _ = fs::remove_dir_all(&base);
    }
}
