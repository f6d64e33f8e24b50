//! Tcl's and Tk's script libraries for apps that use tkinter.
//!
//! libtcl starts by sourcing `init.tcl` from a directory compiled into it
//! (`/usr/share/tcltk/tcl8.6` on Debian), and Tk sources `tk.tcl` from the
//! `tk8.6` directory beside it: files opened by path from C, which the
//! bundle's virtual paths cannot serve, on machines where Tcl may not be
//! installed at all. No general rule finds data that a C library opens by
//! a path of its own, so this is a rule for one package, as PyInstaller's
//! tkinter hook is: when the plan has `_tkinter`, both directories come as
//! data under `_tcl_data/`, and the importer points `TCL_LIBRARY` and
//! `TK_LIBRARY` at their copies on disk (`_teach_tkinter`).
//!
//! A runtime built from source ships its own libtcl, older than the build
//! machine's, and `init.tcl` requires its library's exact patch level: so
//! the scripts of a libtcl taken from the runtime come from the runtime,
//! `<prefix>/lib/tcl8.6` beside its stdlib (`cpython/build-in-root`), where
//! python.org's builds keep them too.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use freeze_bundle::{Bundle, FileKind, StoredBytes};

use crate::graph::ModuleGraph;
use crate::plan::{BundlePlan, Content, PlannedFile, Reason};

/// Where the script libraries go in the bundle (the importer's
/// `_TCL_DATA`).
pub const TCL_DATA: &str = "_tcl_data";

/// Adds the script libraries of the libtcl and libtk the plan bundles, if
/// it bundles `_tkinter`.
pub fn add_script_libraries(
    plan: &mut BundlePlan,
    graph: &ModuleGraph,
    stdlib: &Bundle<'_>,
) -> Result<()> {
    if !plan.modules.contains_key("_tkinter") || !imported(graph, "_tkinter") {
        return Ok(());
    }
    let library = |prefix: &str| {
        plan.files
            .iter()
            .find(|(_, f)| f.kind == FileKind::SharedLibrary && f.aux.starts_with(prefix))
            .map(|(path, f)| (path.clone(), f.aux.clone(), f.content.clone()))
    };
    let (Some((tcl_path, _, tcl_content)), Some((tk_path, tk_soname, _))) =
        (library("libtcl"), library("libtk"))
    else {
        return Ok(()); // the system's Tcl, found where python finds it
    };
    let tcl_bytes = content_bytes(&tcl_content, stdlib)
        .with_context(|| format!("cannot read {tcl_path} to find Tcl's script library"))?;
    let runtime_lib_dir = matches!(tcl_content, Content::Archive(_))
        .then(|| Path::new(crate::embedded::STDLIB_DIR).parent())
        .flatten();
    let Some(tcl_dir) = script_library(&tcl_bytes, runtime_lib_dir) else {
        return Ok(()); // none on this machine: the app fails as under python
    };
    // libtk8.6.so -> tk8.6, beside tcl8.6.
    let version = tk_soname
        .trim_start_matches("libtk")
        .trim_end_matches(".so")
        .to_owned();
    let tk_dir = tcl_dir.with_file_name(format!("tk{version}"));
    let mut libraries = vec![(tcl_dir, tcl_path)];
    if tk_dir.join("tk.tcl").is_file() {
        libraries.push((tk_dir, tk_path));
    }
    for (dir, library) in libraries {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let rel_dir = format!("{TCL_DATA}/{name}");
        let why = format!("the script library {library} reads by path");
        for (rel, file) in crate::finder::package_data(&dir, &rel_dir, false) {
            plan.add_file(
                &rel,
                PlannedFile {
                    kind: FileKind::Data,
                    aux: String::new(),
                    content: Content::File(file),
                    reason: Reason::new(why.clone(), Some(&library)),
                },
            );
        }
    }
    Ok(())
}

/// Whether import statements lead to `name` from what the app asked for
/// (its entry point, `--hidden-import`): not only a constant naming it (six
/// names tkinter for `six.moves`) or a package member that nothing imports
/// (matplotlib's Tk backend), for which 3.8 MB of scripts would be written
/// to disk at every first start. Such an app still finds the system's Tcl.
fn imported(graph: &ModuleGraph, name: &str) -> bool {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = graph
        .nodes
        .iter()
        .filter(|(_, n)| n.reached && n.via.is_none())
        .map(|(name, _)| name.as_str())
        .collect();
    while let Some(current) = todo.pop() {
        if current == name {
            return true;
        }
        if seen.insert(current) {
            if let Some(node) = graph.nodes.get(current) {
                todo.extend(node.edges.iter().map(String::as_str));
            }
        }
    }
    false
}

fn content_bytes<'b>(content: &Content, stdlib: &'b Bundle<'_>) -> Result<Cow<'b, [u8]>> {
    Ok(match content {
        Content::Archive(blob) => stdlib.blob(blob, StoredBytes::InBundle)?,
        Content::Bytes(bytes) => Cow::Owned(bytes.clone()),
        Content::File(path) | Content::Native(path) => Cow::Owned(std::fs::read(path)?),
    })
}

/// The directory with `init.tcl` for a libtcl: for one the runtime ships,
/// the directory of the same name (`tcl8.6`) in the runtime's `lib`
/// directory, if it has one; else the library path compiled into libtcl,
/// one of its strings (Debian's own runtime takes `_tkinter` and libtcl
/// from python3-tk, whose scripts are where libtcl says).
fn script_library(libtcl: &[u8], runtime_lib_dir: Option<&Path>) -> Option<PathBuf> {
    let paths = || {
        libtcl
            .split(|&b| b == 0)
            .filter(|s| s.first() == Some(&b'/') && s.len() < 4096)
            .filter_map(|s| std::str::from_utf8(s).ok())
            .map(Path::new)
    };
    let has_init = |dir: &Path| dir.join("init.tcl").is_file();
    let shipped = runtime_lib_dir.and_then(|lib_dir| {
        paths()
            .filter_map(Path::file_name)
            .map(|name| lib_dir.join(name))
            .find(|dir| has_init(dir))
    });
    shipped.or_else(|| paths().find(|dir| has_init(dir)).map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_path_is_the_string_naming_a_directory_with_init_tcl() {
        let dir = std::env::temp_dir().join(format!("freeze-tcl-{}", std::process::id()));
        let tcl = dir.join("share/tcl8.6");
        std::fs::create_dir_all(&tcl).unwrap();
        std::fs::write(tcl.join("init.tcl"), "").unwrap();
        let mut libtcl = b"\x7fELF\0/usr/include/tcl8.6\0".to_vec();
        libtcl.extend_from_slice(tcl.to_str().unwrap().as_bytes());
        libtcl.extend_from_slice(b"\0tail");
        assert_eq!(script_library(&libtcl, None), Some(tcl));
        assert_eq!(script_library(b"/usr/include/tcl8.6\0", None), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_runtime_libtcl_takes_the_scripts_the_runtime_ships_not_the_machines() {
        let dir = std::env::temp_dir().join(format!("freeze-tcl-rt-{}", std::process::id()));
        let machine = dir.join("usr/share/tcltk/tcl8.6");
        let runtime_lib = dir.join("runtime/lib");
        for d in [&machine, &runtime_lib.join("tcl8.6")] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("init.tcl"), "").unwrap();
        }
        let libtcl = format!("\x7fELF\0{}\0tail", machine.display());
        assert_eq!(
            script_library(libtcl.as_bytes(), Some(&runtime_lib)),
            Some(runtime_lib.join("tcl8.6"))
        );
        assert_eq!(
            script_library(libtcl.as_bytes(), None),
            Some(machine.clone())
        );
        // A machine without Tcl installed: the compiled-in path is only a name.
        let elsewhere = b"\x7fELF\0/nonexistent/share/tcltk/tcl8.6\0";
        assert_eq!(
            script_library(elsewhere, Some(&runtime_lib)),
            Some(runtime_lib.join("tcl8.6"))
        );
        assert_eq!(script_library(elsewhere, Some(&dir.join("none"))), None);
        // A runtime without scripts of its own (Debian's): libtcl's path.
        assert_eq!(
            script_library(libtcl.as_bytes(), Some(&dir.join("none"))),
            Some(machine)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
