//! freeze's own Python files (the runtime's importer, the packager's
//! tools) tested in-process, in the interpreter frozen apps embed, the way
//! PyOxidizer's pyembed runs unittest files: `packager/python/tests` and
//! `runtime/python/tests` hold unittest test cases, run through
//! `_freeze_tools.run_tests` in the freeze tool's own interpreter, where
//! the runtime's importer serves the stdlib archive as it serves a bundle.

#[cfg(test)]
mod tests {
    use std::path::Path;

    use freeze_runtime::{Arg, ToolInterpreter};

    use crate::embedded;

    /// One test for every file: the interpreter belongs to the thread that
    /// booted it, and libtest runs tests on threads of its own.
    #[test]
    fn python_files_pass_their_own_tests() {
        let interp = ToolInterpreter::boot(embedded::STDLIB).expect("the embedded interpreter");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut ran = Vec::new();
        for dir in ["packager/python/tests", "runtime/python/tests"] {
            let mut files: Vec<_> = std::fs::read_dir(workspace.join(dir))
                .unwrap_or_else(|e| panic!("{dir}: {e}"))
                .map(|entry| entry.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "py"))
                .collect();
            files.sort();
            for file in files {
                let source = std::fs::read_to_string(&file).unwrap();
                let name = file
                    .strip_prefix(workspace)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let report = interp
                    .call(
                        "_freeze_tools",
                        "run_tests",
                        &[Arg::Str(&source), Arg::Str(&name)],
                    )
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let report = String::from_utf8_lossy(&report).into_owned();
                let last = report.lines().last().unwrap_or_default();
                assert_eq!(last, "OK", "{name}:\n{report}");
                assert!(!report.contains("\nRan 0 tests"), "{name} has no tests");
                ran.push(name);
            }
        }
        assert_eq!(ran.len(), 2, "every test file ran: {ran:?}");
    }
}
