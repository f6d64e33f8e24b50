//! `freeze --list-frozen EXE`: what a frozen executable holds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};
use freeze_bundle::{
    BlobRef, Bundle, BundleError, ElfError, FileKind, MainMode, ModuleKind, SectionSpan,
    StoredBytes, HEADER_LEN, RUNTIME_SECTION_NAME, SECTION_NAME,
};
use serde_json::json;

/// Opens `exe` if it is a regular file, with its size. Anything else is
/// refused unopened: reading `/dev/urandom` never ends, opening a fifo
/// waits for a writer, and opening some devices has effects of its own.
fn open_regular(exe: &Path) -> Result<(fs::File, u64)> {
    let refuse = |meta: &fs::Metadata| -> Result<()> {
        if let Some(what) = crate::output::not_a_regular_file(&meta.file_type()) {
            bail!(
                "{} is {what}, not a file: --list-frozen reads an executable made by freeze",
                exe.display()
            );
        }
        Ok(())
    };
    refuse(&fs::metadata(exe).with_context(|| format!("cannot read {}", exe.display()))?)?;
    // Non-blocking, should a fifo have taken the file's place meanwhile.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(exe)
        .with_context(|| format!("cannot read {}", exe.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", exe.display()))?;
    refuse(&meta)?;
    Ok((file, meta.len()))
}

/// The bundle in section `span` of `file`: its header first, so that a
/// section claiming gigabytes is read only if the header says as much.
fn read_bundle(file: &fs::File, span: SectionSpan) -> Result<Vec<u8>> {
    let mut header = vec![0; span.len.min(HEADER_LEN as u64) as usize];
    file.read_exact_at(&mut header, span.offset)
        .context("cannot read the bundle's header")?;
    let declared = Bundle::declared_len(&header)?;
    if declared > span.len {
        return Err(BundleError::Truncated {
            what: "data region",
            needed: declared,
            available: span.len,
        }
        .into());
    }
    if declared < span.len {
        return Err(BundleError::Corrupt(format!(
            "{} unexpected bytes after the end of the data region",
            span.len - declared
        ))
        .into());
    }
    let len = usize::try_from(span.len).context("the bundle does not fit in memory")?;
    let mut payload = vec![0; len];
    file.read_exact_at(&mut payload, span.offset)
        .context("cannot read the bundle")?;
    Ok(payload)
}

/// A frozen executable's bundle, read and verified, and the span of its
/// compressed runtime if it has one.
struct Frozen {
    payload: Vec<u8>,
    exe_len: u64,
    runtime: Option<SectionSpan>,
}

impl Frozen {
    fn read(exe: &Path) -> Result<Frozen> {
        let (file, exe_len) = open_regular(exe)?;
        let span = match freeze_bundle::find_section_in_file(&file, exe_len, SECTION_NAME) {
            Ok(Some(span)) => span,
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
        let runtime = freeze_bundle::find_section_in_file(&file, exe_len, RUNTIME_SECTION_NAME)
            .with_context(|| format!("{} is damaged", exe.display()))?;
        let payload = read_bundle(&file, span)
            .with_context(|| format!("bundle in {} is damaged", exe.display()))?;
        Bundle::parse(&payload)
            .and_then(|bundle| bundle.verify())
            .with_context(|| format!("bundle in {} is damaged", exe.display()))?;
        Ok(Frozen {
            payload,
            exe_len,
            runtime,
        })
    }

    fn bundle(&self) -> Bundle<'_> {
        Bundle::parse(&self.payload).expect("parsed when read")
    }
}

/// Whether `path` is an executable made by freeze (a regular ELF file with
/// a bundle section): what `--why NAME PATH` explains instead of freezing.
pub fn is_frozen_executable(path: &Path) -> bool {
    let Ok((file, len)) = open_regular(path) else {
        return false;
    };
    matches!(
        freeze_bundle::find_section_in_file(&file, len, SECTION_NAME),
        Ok(Some(_))
    )
}

/// `freeze --why NAME EXE`: the reasons stored in EXE's bundle, printed on
/// stdout as the build would have printed them.
pub fn why_in_executable(exe: &Path, name: &str) -> Result<()> {
    let frozen = Frozen::read(exe)?;
    let bundle = frozen.bundle();
    let Some(blob) = bundle.reasons() else {
        bail!(
            "{} holds no reasons for --why: freeze the app again with --why {name}",
            exe.display()
        );
    };
    let json = bundle
        .blob(&blob, freeze_bundle::StoredBytes::InBundle)
        .with_context(|| format!("bundle in {} is damaged", exe.display()))?;
    let table = crate::why::WhyTable::from_json(&json)
        .with_context(|| format!("the reasons in {} are damaged", exe.display()))?;
    emit(&table.explain(name))
}

pub fn list_frozen(exe: &Path, as_json: bool, by_package: bool) -> Result<()> {
    let frozen = Frozen::read(exe)?;
    let bundle = frozen.bundle();
    let (payload, exe_len, runtime) = (&frozen.payload, frozen.exe_len, frozen.runtime);
    let main = bundle.main();
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
    if by_package {
        let groups = crate::packages::group(
            &bundle,
            &rows,
            &needed_by,
            main.map(|(_, name)| name),
            exe_len,
            payload.len() as u64,
        )?;
        let text = if as_json {
            crate::packages::json(exe, &groups)?
        } else {
            crate::packages::table(&groups)?
        };
        return emit(&text);
    }
    let python = freeze_bundle::python_version_of_magic(bundle.python_magic())
        .map(|(major, minor)| format!("{major}.{minor}"));
    let main_json = main.map(|(mode, name)| json!({"mode": mode.as_str(), "module": name}));
    if as_json {
        let entries: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "name": r.name, "kind": r.kind, "path": r.path,
                    "size": raw(&r.code), "stored": stored(&r.code),
                    "codec": r.code.map(|b| b.codec.as_str()),
                    "source_size": raw(&r.source), "source_stored": stored(&r.source),
                    "aux": r.aux,
                    "needed_by": needed_by.get(&r.aux).cloned().unwrap_or_default(),
                })
            })
            .collect();
        let doc = json!({
            "executable": exe.display().to_string(),
            "format_version": bundle.format_version(),
            "python_magic": freeze_bundle::python_magic_hex(bundle.python_magic()),
            "python": python.as_deref(),
            "main": main_json,
            "bundle_size": payload.len(),
            "compressed_runtime_size": runtime.map(|r| r.len),
            "executable_size": exe_len,
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
        Some(r) => format!(" (runtime compressed: {:.1} MB)", r.len as f64 / 1e6),
        None => String::new(),
    };
    writeln!(
        out,
        "{modules} modules, {files} files; bundle {:.1} MB ({total_stored} bytes of blobs) in a {:.1} MB executable{runtime_note}; runs {}; main: {}",
        payload.len() as f64 / 1e6,
        exe_len as f64 / 1e6,
        python.map_or_else(
            || format!("bytecode magic {}", freeze_bundle::python_magic_hex(bundle.python_magic())),
            |v| format!("CPython {v}")
        ),
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
                note(m.name, &bundle.blob(&code, StoredBytes::InBundle)?);
            }
        }
    }
    for f in bundle.files() {
        let f = f?;
        if f.kind == FileKind::SharedLibrary {
            note(f.aux, &bundle.blob(&f.data, StoredBytes::InBundle)?);
        }
    }
    Ok(users)
}

/// One entry of the bundle, as listed.
pub(crate) struct Row {
    pub name: String,
    pub kind: &'static str,
    pub path: String,
    pub code: Option<BlobRef>,
    pub source: Option<BlobRef>,
    pub aux: String,
}
