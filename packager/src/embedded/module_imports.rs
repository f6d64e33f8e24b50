//! The imports of one module: the schema `_freeze_tools.scan_imports`
//! writes (for the stdlib archive at build time, and for each module the
//! packager compiles) and the stdlib import index carries. `build.rs`
//! includes this file too, so both ends read and write one type.

use serde::{Deserialize, Serialize};

/// `[name, level, fromlist]` of an import statement.
pub type Import = (String, u32, Option<Vec<String>>);
/// `[name, package]` of a constant `importlib.import_module`/`__import__` call.
pub type DynamicImport = (String, Option<String>);

/// The imports of one module, as found in its code objects. Empty lists
/// are left out of the JSON, and missing ones read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModuleImports {
    /// `[name, level, fromlist]` of each import statement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<Import>,
    /// `[name, package]` of constant `importlib.import_module`/`__import__` calls.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dynamic: Vec<DynamicImport>,
    /// The same two for code that runs only when the module is the main
    /// program (`if __name__ == "__main__":` blocks): a stdlib module's
    /// self-test (heapq's doctest run) is not needed when it is imported.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub main_imports: Vec<Import>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub main_dynamic: Vec<DynamicImport>,
    /// The import statements among `imports` (and `main_imports`) that run
    /// when the module is imported (run as main): those in module-level
    /// code and class bodies, not in functions. They order the native code
    /// unpacked ahead of import (`ModuleGraph::prefetch_order`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eager_imports: Vec<Import>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub main_eager_imports: Vec<Import>,
    /// Module names among the string constants of an extension module's
    /// native code (`sqlite3.dump` in `_sqlite3`), which it may import from
    /// C: bundled, but not counted as reached.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub native: Vec<String>,
    /// The module's string constants that could name modules, when it
    /// imports by computed names (six.moves): bundled like `native`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub named: Vec<String>,
}
