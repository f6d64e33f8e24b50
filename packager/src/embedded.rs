//! What the `freeze` binary carries inside itself: the runtime stub (also
//! compressed, with its loader) and the precompiled stdlib archive of the embedded CPython (see build.rs).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use serde::Deserialize;

mod module_imports;
pub use module_imports::ModuleImports;

/// The runtime stub: every frozen app is a copy of it plus a bundle.
pub static STUB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/freeze-stub"));

/// The runtime stub, zstd-compressed, and the loader that unpacks it into
/// memory and runs it: what `--compress-runtime` executables are made of.
pub static COMPRESSED_STUB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/freeze-stub.zst"));
pub static LOADER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/freeze-loader"));

/// The stdlib archive (bundle format): every stdlib module compiled by the
/// embedded CPython, with source and package data.
pub static STDLIB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stdlib.bundle"));

/// The stdlib directory the archive was compiled from.
pub const STDLIB_DIR: &str = env!("FREEZE_STDLIB_DIR");

/// The directory of the stdlib's extension modules the archive took.
pub const DYNLOAD_DIR: &str = env!("FREEZE_DYNLOAD_DIR");

static STDLIB_IMPORTS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/stdlib-imports.json"));

#[derive(Debug, Deserialize)]
pub struct StdlibIndex {
    pub version: String,
    pub imports: BTreeMap<String, ModuleImports>,
    /// `DT_NEEDED` of each extension module (by name) and bundled library
    /// (by archive path, `_freeze_libs/<soname>`).
    pub needed: BTreeMap<String, Vec<String>>,
}

/// The precomputed imports of every stdlib module in the archive.
pub fn stdlib_index() -> Result<&'static StdlibIndex> {
    static INDEX: OnceLock<Result<StdlibIndex, String>> = OnceLock::new();
    INDEX
        .get_or_init(|| serde_json::from_str(STDLIB_IMPORTS_JSON).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the stdlib import index built into freeze is damaged")
        .and_then(|index| {
            if index.version != freeze_runtime::PYTHON_VERSION {
                anyhow::bail!(
                    "the stdlib archive is from CPython {} but the runtime is {}; rebuild freeze",
                    index.version,
                    freeze_runtime::PYTHON_VERSION
                );
            }
            Ok(index)
        })
}
