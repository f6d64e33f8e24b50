//! `freeze --list-frozen EXE`: what a frozen executable holds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use freeze_bundle::{BlobRef, Bundle, ElfError, FileKind, MainMode, ModuleKind};
use serde_json::json;

pub fn list_frozen(exe: &Path, as_json: bool) -> Result<()> {
    let data = fs::read(exe).with_context(|| format!("cannot read {}", exe.display()))?;
    let payload = match freeze_bundle::find_in_elf(&data) {
        Ok(Some(p)) => p,
        Ok(None) => bail!(
            "{} is an executable without a freeze bundle (it was not made by freeze)",
            exe.display()
        ),
        Err(ElfError::NotElf) => bail!(
            "{} is not an executable made by freeze (not an ELF file)",
            exe.display()
        ),
        Err(e) => bail!("{}: {e}", exe.display()),
    };
    let runtime = freeze_bundle::find_runtime_in_elf(&data)
        .with_context(|| format!("{} is damaged", exe.display()))?;
    let bundle = Bundle::parse(payload)
        .with_context(|| format!("bundle in {} is damaged", exe.display()))?;
    bundle
        .verify()
        .with_context(|| format!("bundle in {} is damaged", exe.display()))?;

    let main = bundle.main()?;
    let needed_by = library_users(&bundle)?;
    let prefetch: Vec<&str> = bundle
        .prefetch()
        .map(|entry| entry.map(|e| e.name))
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for m in bundle.modules() {
        let m = m?;
        rows.push(Row {
            name: m.name.to_owned(),
            kind: m.kind.as_str(),
            path: m.path.to_owned(),
            code: m.code,
            source: m.source,
            aux: String::new(),
        });
    }
    for f in bundle.files() {
        let f = f?;
        rows.push(Row {
            name: f.path.to_owned(),
            kind: f.kind.as_str(),
            path: f.path.to_owned(),
            code: Some(f.data),
            source: None,
            aux: f.aux.to_owned(),
        });
    }

    let raw = |b: &Option<BlobRef>| b.map(|b| u64::from(b.raw_len)).unwrap_or(0);
    let stored = |b: &Option<BlobRef>| b.map(|b| u64::from(b.stored_len)).unwrap_or(0);
    let main_json = main.map(|(mode, name)| {
        json!({"mode": match mode { MainMode::Script => "script", MainMode::Module => "module" }, "module": name})
    });
    if as_json {
        let entries: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "name": r.name, "kind": r.kind, "path": r.path,
                    "size": raw(&r.code), "stored": stored(&r.code),
                    "source_size": raw(&r.source), "source_stored": stored(&r.source),
                    "aux": r.aux,
                    "needed_by": needed_by.get(&r.aux).cloned().unwrap_or_default(),
                })
            })
            .collect();
        let doc = json!({
            "executable": exe.display().to_string(),
            "format_version": bundle.format_version(),
            "python_magic": freeze_runtime::magic_hex(bundle.python_magic()),
            "main": main_json,
            "bundle_size": payload.len(),
            "compressed_runtime_size": runtime.map(<[u8]>::len),
            "executable_size": data.len(),
            "prefetch": prefetch,
            "dictionary": bundle.dictionary().map(|d| json!({"size": d.raw_len, "stored": d.stored_len})),
            "entries": entries,
        });
        let text = serde_json::to_string_pretty(&doc)? + "\n";
        return emit(&text);
    }
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    let mut out = String::new();
    writeln!(
        out,
        "{:<width$}  {:<14} {:>10} {:>10} {:>10}",
        "NAME", "KIND", "SIZE", "STORED", "SOURCE"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{:<width$}  {:<14} {:>10} {:>10} {:>10}",
            r.name,
            r.kind,
            raw(&r.code),
            stored(&r.code) + stored(&r.source),
            raw(&r.source)
        )?;
    }
    for r in rows.iter().filter(|r| r.kind == "shared-library") {
        let users = needed_by
            .get(&r.aux)
            .map(|u| u.join(", "))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} (SONAME {}) needed by: {}",
            r.name,
            r.aux,
            if users.is_empty() { "-" } else { &users }
        )?;
    }
    if !prefetch.is_empty() {
        writeln!(
            out,
            "unpacked ahead of import, in this order: {}",
            prefetch.join(", ")
        )?;
    }
    if let Some(dictionary) = bundle.dictionary() {
        writeln!(
            out,
            "modules compressed with a dictionary trained on them: {} bytes ({} stored)",
            dictionary.raw_len, dictionary.stored_len
        )?;
    }
    let modules = bundle.module_count();
    let files = bundle.file_count();
    let total_stored: u64 = rows
        .iter()
        .map(|r| stored(&r.code) + stored(&r.source))
        .sum::<u64>()
        + stored(&bundle.dictionary());
    let runtime_note = match runtime {
        Some(r) => format!(" (runtime compressed: {:.1} MB)", r.len() as f64 / 1e6),
        None => String::new(),
    };
    writeln!(
        out,
        "{modules} modules, {files} files; bundle {:.1} MB ({total_stored} bytes of blobs) in a {:.1} MB executable{runtime_note}; main: {}",
        payload.len() as f64 / 1e6,
        data.len() as f64 / 1e6,
        match main {
            Some((MainMode::Script, n)) => format!("{n} (script)"),
            Some((MainMode::Module, n)) => format!("{n} (module)"),
            None => "none".into(),
        }
    )?;
    emit(&out)
}

/// Writes the listing to stdout; a reader that went away early (`| head`)
/// is not an error.
fn emit(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing the listing to stdout")
        }
        _ => Ok(()),
    }
}

/// SONAME -> the extension modules and libraries of the bundle needing it.
fn library_users(bundle: &Bundle<'_>) -> Result<BTreeMap<String, Vec<String>>> {
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut note = |who: &str, bytes: &[u8]| {
        if let Ok(info) = crate::elfdeps::dynamic_info(bytes) {
            for needed in info.needed {
                users.entry(needed).or_default().push(who.to_owned());
            }
        }
    };
    for m in bundle.modules() {
        let m = m?;
        if m.kind == ModuleKind::Extension {
            if let Some(code) = m.code {
                note(m.name, &bundle.blob(&code)?);
            }
        }
    }
    for f in bundle.files() {
        let f = f?;
        if f.kind == FileKind::SharedLibrary {
            note(f.aux, &bundle.blob(&f.data)?);
        }
    }
    Ok(users)
}

struct Row {
    name: String,
    kind: &'static str,
    path: String,
    code: Option<BlobRef>,
    source: Option<BlobRef>,
    aux: String,
}
