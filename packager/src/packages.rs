//! `--list-frozen EXE --by-package`: the entries of a bundle grouped by
//! the distribution they came from (by the bundled dist-info's RECORD and
//! top_level.txt), the stdlib, the app's own modules and the runtime.
//!
//! The groups add up exactly: their entries' sizes are the per-entry
//! listing's, and the runtime (the executable outside the bundle section)
//! and the bundle's own index and tables make the stored total the
//! executable's size.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use freeze_bundle::{BlobRef, Bundle, StoredBytes};
use serde_json::json;

use crate::listing::Row;

/// One line of the by-package listing.
pub(crate) struct Group {
    pub name: String,
    /// `distribution`, `stdlib`, `app`, `package` (no dist-info: grouped by
    /// top-level name), `runtime`, `dictionary` or `bundle-index`.
    pub kind: &'static str,
    pub version: Option<String>,
    pub entries: u64,
    /// Uncompressed bytes (code and source).
    pub size: u64,
    /// Bytes in the executable.
    pub stored: u64,
}

/// A distribution whose metadata directory is bundled.
struct Dist {
    name: String,
    version: Option<String>,
}

fn raw(b: &Option<BlobRef>) -> u64 {
    b.map(|b| u64::from(b.raw_len)).unwrap_or(0)
}

fn stored(b: &Option<BlobRef>) -> u64 {
    b.map(|b| u64::from(b.stored_len)).unwrap_or(0)
}

/// `pkg/mod.py`, `mod.cpython-311-x86_64-linux-gnu.so`, `pkg` -> the
/// top-level name (`pkg`, `mod`).
fn top_of_path(path: &str) -> &str {
    let first = path.split('/').next().unwrap_or(path);
    if path.contains('/') {
        first
    } else {
        first.split('.').next().unwrap_or(first)
    }
}

/// The metadata directory (`x-1.0.dist-info`, `x.egg-info`) a path is in.
fn metadata_dir(path: &str) -> Option<&str> {
    let first = path.split('/').next()?;
    (path.len() > first.len() && (first.ends_with(".dist-info") || first.ends_with(".egg-info")))
        .then_some(first)
}

/// `Name:` and `Version:` of a METADATA (PKG-INFO) text.
fn name_and_version(text: &str) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Name:") {
            name.get_or_insert_with(|| v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("Version:") {
            version.get_or_insert_with(|| v.trim().to_owned());
        }
    }
    (name, version)
}

pub(crate) fn group(
    bundle: &Bundle<'_>,
    rows: &[Row],
    needed_by: &BTreeMap<String, Vec<String>>,
    main: Option<&str>,
    exe_len: u64,
    section_len: u64,
) -> Result<Vec<Group>> {
    // The distributions, by metadata directory.
    let mut dists: BTreeMap<&str, Dist> = BTreeMap::new();
    let mut by_path: HashMap<String, String> = HashMap::new();
    // Top-level name -> its distribution; None when several distributions
    // share it (the portions of a namespace package).
    let mut by_top: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut claim = |top: &str, name: &str| {
        by_top
            .entry(top.to_owned())
            .and_modify(|d| {
                if d.as_deref() != Some(name) {
                    *d = None;
                }
            })
            .or_insert_with(|| Some(name.to_owned()));
    };
    for r in rows.iter().filter(|r| r.kind == "data") {
        let Some(dir) = metadata_dir(&r.path) else {
            continue;
        };
        let dist = dists.entry(dir).or_insert_with(|| Dist {
            name: dir.split('-').next().unwrap_or(dir).to_owned(),
            version: None,
        });
        let file = &r.path[dir.len() + 1..];
        if !matches!(file, "METADATA" | "PKG-INFO") {
            continue;
        }
        if let Some(code) = &r.code {
            let (name, version) = name_and_version(&String::from_utf8_lossy(
                &bundle.blob(code, StoredBytes::InBundle)?,
            ));
            if let Some(name) = name {
                dist.name = name;
            }
            dist.version = version;
        }
    }
    for r in rows.iter().filter(|r| r.kind == "data") {
        let Some(dir) = metadata_dir(&r.path) else {
            continue;
        };
        let file = &r.path[dir.len() + 1..];
        let Some(code) = &r.code else { continue };
        let name = dists[dir].name.clone();
        match file {
            "RECORD" => {
                let text = String::from_utf8_lossy(&bundle.blob(code, StoredBytes::InBundle)?)
                    .into_owned();
                for line in text.lines() {
                    let path = line.split(',').next().unwrap_or("").trim();
                    if path.is_empty() || path.starts_with("..") || path.starts_with('/') {
                        continue;
                    }
                    by_path.insert(path.to_owned(), name.clone());
                    if metadata_dir(path).is_none() && !path.contains("__pycache__") {
                        claim(top_of_path(path), &name);
                    }
                }
            }
            "top_level.txt" => {
                let text = String::from_utf8_lossy(&bundle.blob(code, StoredBytes::InBundle)?)
                    .into_owned();
                for top in text.lines().map(str::trim).filter(|t| !t.is_empty()) {
                    claim(top, &name);
                }
            }
            _ => {}
        }
    }
    let versions: HashMap<String, Option<String>> = dists
        .values()
        .map(|d| (d.name.clone(), d.version.clone()))
        .collect();
    let stdlib_tops: BTreeSet<&str> = crate::embedded::stdlib_index()?
        .imports
        .keys()
        .map(|name| name.split('.').next().unwrap_or(name))
        .collect();
    let main_top = main.map(|m| m.split('.').next().unwrap_or(m));

    // (group name, kind) of an entry that is not a shared library.
    let owner = |r: &Row| -> (String, &'static str) {
        if let Some(dir) = metadata_dir(&r.path) {
            return (dists[dir].name.clone(), "distribution");
        }
        if let Some(name) = by_path.get(&r.path) {
            return (name.clone(), "distribution");
        }
        let top = if r.kind == "data" {
            top_of_path(&r.path)
        } else {
            r.name.split('.').next().unwrap_or(&r.name)
        };
        if top == "__main__" || Some(top) == main_top {
            return ("app".into(), "app");
        }
        if let Some(Some(name)) = by_top.get(top) {
            return (name.clone(), "distribution");
        }
        if stdlib_tops.contains(top) || top.starts_with("_freeze") {
            return ("stdlib".into(), "stdlib");
        }
        (top.to_owned(), "package")
    };
    // Extension modules (by name) and libraries (by SONAME) -> their group.
    let mut of_user: HashMap<&str, (String, &'static str)> = HashMap::new();
    for r in rows.iter().filter(|r| r.kind == "extension") {
        of_user.insert(&r.name, owner(r));
    }
    // A library belongs to the first group other than the stdlib among
    // those of the code needing it (directly or through other libraries),
    // else to the stdlib.
    fn library_owner(
        soname: &str,
        needed_by: &BTreeMap<String, Vec<String>>,
        of_user: &HashMap<&str, (String, &'static str)>,
        seen: &mut BTreeSet<String>,
    ) -> Option<(String, &'static str)> {
        if !seen.insert(soname.to_owned()) {
            return None;
        }
        let mut fallback = None;
        for user in needed_by.get(soname).into_iter().flatten() {
            let found = match of_user.get(user.as_str()) {
                Some(g) => Some(g.clone()),
                None => library_owner(user, needed_by, of_user, seen),
            };
            match found {
                Some(g) if g.1 != "stdlib" => return Some(g),
                Some(g) => fallback = fallback.or(Some(g)),
                None => {}
            }
        }
        fallback
    }

    let mut groups: BTreeMap<(String, &'static str), Group> = BTreeMap::new();
    let mut add = |key: (String, &'static str), size: u64, stored: u64| {
        let g = groups.entry(key.clone()).or_insert_with(|| Group {
            version: if key.1 == "distribution" {
                versions.get(&key.0).cloned().flatten()
            } else {
                None
            },
            name: key.0,
            kind: key.1,
            entries: 0,
            size: 0,
            stored: 0,
        });
        g.entries += 1;
        g.size += size;
        g.stored += stored;
    };
    let mut entries_stored = 0;
    for r in rows {
        let key = if r.kind == "shared-library" {
            by_path
                .get(&r.path)
                .map(|name| (name.clone(), "distribution"))
                .or_else(|| library_owner(&r.aux, needed_by, &of_user, &mut BTreeSet::new()))
                .unwrap_or_else(|| ("stdlib".into(), "stdlib"))
        } else {
            owner(r)
        };
        let s = stored(&r.code) + stored(&r.source);
        entries_stored += s;
        add(key, raw(&r.code) + raw(&r.source), s);
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    let mut rest = section_len.saturating_sub(entries_stored);
    if let Some(d) = bundle.dictionary() {
        let s = u64::from(d.stored_len);
        rest = rest.saturating_sub(s);
        out.push(Group {
            name: "(compression dictionary)".into(),
            kind: "dictionary",
            version: None,
            entries: 0,
            size: u64::from(d.raw_len),
            stored: s,
        });
    }
    out.push(Group {
        name: "(bundle index and tables)".into(),
        kind: "bundle-index",
        version: None,
        entries: 0,
        size: rest,
        stored: rest,
    });
    let runtime = exe_len.saturating_sub(section_len);
    out.push(Group {
        name: "runtime".into(),
        kind: "runtime",
        version: None,
        entries: 0,
        size: runtime,
        stored: runtime,
    });
    out.sort_by(|a, b| {
        b.stored
            .cmp(&a.stored)
            .then(b.size.cmp(&a.size))
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}

pub(crate) fn table(groups: &[Group]) -> Result<String> {
    let width = groups
        .iter()
        .map(|g| g.name.len())
        .max()
        .unwrap_or(7)
        .clamp(7, 50);
    let mut out = String::new();
    writeln!(
        out,
        "{:<width$}  {:<12} {:<12} {:>7} {:>10} {:>10}",
        "PACKAGE", "KIND", "VERSION", "ENTRIES", "SIZE", "STORED"
    )?;
    for g in groups {
        writeln!(
            out,
            "{:<width$}  {:<12} {:<12} {:>7} {:>10} {:>10}",
            g.name,
            g.kind,
            g.version.as_deref().unwrap_or("-"),
            g.entries,
            g.size,
            g.stored
        )?;
    }
    let (entries, size, stored) = totals(groups);
    writeln!(
        out,
        "{:<width$}  {:<12} {:<12} {:>7} {:>10} {:>10}",
        "TOTAL", "", "", entries, size, stored
    )?;
    Ok(out)
}

fn totals(groups: &[Group]) -> (u64, u64, u64) {
    groups.iter().fold((0, 0, 0), |(e, s, t), g| {
        (e + g.entries, s + g.size, t + g.stored)
    })
}

pub(crate) fn json(exe: &Path, groups: &[Group]) -> Result<String> {
    let (entries, size, stored) = totals(groups);
    let rows: Vec<_> = groups
        .iter()
        .map(|g| {
            json!({
                "name": g.name, "kind": g.kind, "version": g.version,
                "entries": g.entries, "size": g.size, "stored": g.stored,
            })
        })
        .collect();
    let doc = json!({
        "executable": exe.display().to_string(),
        "packages": rows,
        "total": {"entries": entries, "size": size, "stored": stored},
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}
