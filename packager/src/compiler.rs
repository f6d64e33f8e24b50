//! Compiles modules with the embedded CPython: the very build the runtime
//! stub links, booted in-process from the stdlib archive freeze carries.

use std::collections::BTreeSet;

use anyhow::{anyhow, bail, Context, Result};
use freeze_runtime::{Arg, ToolInterpreter};
use serde::Deserialize;

use crate::cache::BuildCache;
use crate::embedded::{self, ModuleImports};

/// A compiled module: marshalled code and the imports found in it.
pub struct Compiled {
    pub code: Vec<u8>,
    pub imports: ModuleImports,
}

/// A syntax error in a module, positioned for the user.
#[derive(Debug, Deserialize)]
pub struct SyntaxProblem {
    pub kind: String,
    pub msg: String,
    pub lineno: u32,
    pub offset: u32,
    pub text: String,
}

#[derive(Deserialize)]
struct ReplyHeader {
    error: Option<SyntaxProblem>,
    #[serde(flatten)]
    imports: ModuleImports,
}

/// What the embedded interpreter says about itself.
#[derive(Debug, Deserialize)]
pub struct InterpreterFacts {
    pub version: String,
    pub magic: String,
    /// Modules compiled into libpython (`sys.builtin_module_names`).
    pub builtin: BTreeSet<String>,
    /// Stdlib modules CPython itself carries frozen (os, codecs, runpy, ...).
    pub frozen: BTreeSet<String>,
    /// Whether the frozen ones get a `__file__` below the virtual root
    /// (`sys._stdlib_dir` is set), which then must exist there.
    #[serde(default)]
    pub frozen_files: bool,
}

pub struct Compiler {
    interp: ToolInterpreter,
    pub facts: InterpreterFacts,
    cache: Option<BuildCache>,
}

impl Compiler {
    /// With a `cache`, modules compiled by an earlier freeze are not
    /// compiled again.
    pub fn new(cache: Option<BuildCache>) -> Result<Compiler> {
        let interp = ToolInterpreter::boot(embedded::STDLIB)
            .context("cannot start the embedded Python that compiles modules")?;
        let facts = interp
            .call("_freeze_tools", "interpreter_facts", &[])
            .context("cannot query the embedded Python")?;
        let facts: InterpreterFacts =
            serde_json::from_slice(&facts).context("bad reply from the embedded Python")?;
        let expected = freeze_bundle::python_magic_hex(freeze_runtime::PYTHON_MAGIC);
        if facts.version != freeze_runtime::PYTHON_VERSION {
            bail!(
                "the embedded Python is {} but the runtime stub was built for {}; rebuild freeze",
                facts.version,
                freeze_runtime::PYTHON_VERSION
            );
        }
        if facts.magic != expected {
            bail!(
                "the embedded Python reports bytecode magic {} but the runtime was built for {expected}",
                facts.magic
            );
        }
        Ok(Compiler {
            interp,
            facts,
            cache,
        })
    }

    /// Compiles `source` with `filename` recorded in its code objects.
    /// `Ok(Err(..))` is a syntax error in the module.
    pub fn compile(
        &self,
        source: &[u8],
        filename: &str,
        optimize: i64,
    ) -> Result<std::result::Result<Compiled, SyntaxProblem>> {
        let key =
            BuildCache::compile_key(source, filename, optimize, &freeze_runtime::PYTHON_MAGIC);
        if let Some(reply) = self.cache.as_ref().and_then(|c| c.compiled(key)) {
            if let Ok(Ok(compiled)) = parse_reply(&reply) {
                return Ok(Ok(compiled));
            }
        }
        let reply = self.interp.call(
            "_freeze_tools",
            "compile_module",
            &[Arg::Bytes(source), Arg::Str(filename), Arg::Int(optimize)],
        )?;
        let parsed = parse_reply(&reply)?;
        if let (Ok(_), Some(cache)) = (&parsed, &self.cache) {
            cache.store_compiled(key, &reply);
        }
        Ok(parsed)
    }
}

/// The compiler's reply: a u32 length, a JSON header (imports or a syntax
/// error), then the marshalled code.
fn parse_reply(reply: &[u8]) -> Result<std::result::Result<Compiled, SyntaxProblem>> {
    let len = reply
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| anyhow!("short reply from the compiler"))?;
    let head = reply
        .get(4..4 + len)
        .ok_or_else(|| anyhow!("truncated reply from the compiler"))?;
    let header: ReplyHeader =
        serde_json::from_slice(head).context("bad reply from the compiler")?;
    if let Some(problem) = header.error {
        return Ok(Err(problem));
    }
    Ok(Ok(Compiled {
        code: reply[4 + len..].to_vec(),
        imports: header.imports,
    }))
}
