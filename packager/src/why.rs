//! `--why NAME`: the chain of reasons that brought an entry into a bundle,
//! back to what the app asked for, or why a name is not in it.
//!
//! The answer comes from a [`WhyTable`], made from the bundle plan and the
//! module graph at freeze time. The table is also stored in the bundle
//! (zstd-compressed JSON, the bundle's optional reasons blob), so that
//! `freeze --why NAME EXE` answers for an executable built earlier exactly
//! as the build would have.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::graph::ModuleGraph;
use crate::plan::{file_word, kind_word, BundlePlan, Reason};

/// Names, each with the modules that import it.
type Importers = BTreeMap<String, BTreeSet<String>>;

/// Why each entry of a bundle is in it, and why names it lacks are not.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhyTable {
    /// By module name, bundle path or shared library SONAME.
    entries: BTreeMap<String, WhyEntry>,
    /// Names the app's code asks for that the bundle lacks, with why.
    not_in: BTreeMap<String, String>,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct WhyEntry {
    /// What the entry is: `yaml._yaml (extension module)`.
    label: String,
    reason: String,
    /// The key of the entry that brought it, if one did.
    via: Option<String>,
}

impl WhyEntry {
    fn new(label: String, reason: &Reason) -> WhyEntry {
        WhyEntry {
            label,
            reason: reason.text.clone(),
            via: reason.via.clone(),
        }
    }
}

impl WhyTable {
    pub fn new(plan: &BundlePlan, graph: &ModuleGraph) -> WhyTable {
        let mut entries = BTreeMap::new();
        // Least binding first: a name that is both a module and a SONAME
        // (or a path) answers as the module.
        for (path, file) in &plan.files {
            if !file.aux.is_empty() {
                let label = format!("{path} ({})", file_word(file.kind));
                entries.insert(file.aux.clone(), WhyEntry::new(label, &file.reason));
            }
        }
        for (path, file) in &plan.files {
            let label = format!("{path} ({})", file_word(file.kind));
            entries.insert(path.clone(), WhyEntry::new(label, &file.reason));
        }
        for (name, (what, reason)) in &plan.unbundled {
            let label = format!("{name} ({what})");
            entries.insert(name.clone(), WhyEntry::new(label, reason));
        }
        for (name, module) in &plan.modules {
            let label = format!("{name} ({})", kind_word(module.kind));
            entries.insert(name.clone(), WhyEntry::new(label, &module.reason));
        }
        let mut not_in = BTreeMap::new();
        // Most binding last, as for entries.
        let mut note = |names: &Importers, say: &dyn Fn(&str) -> String| {
            for (name, who) in names {
                let who: Vec<&str> = who.iter().map(String::as_str).collect();
                not_in.insert(name.clone(), say(&who.join(", ")));
            }
        };
        note(&graph.missing, &|who| {
            format!("not found (imported by {who})")
        });
        note(&graph.unfollowed, &|who| {
            format!(
                "not followed: imported by {who} only for help(), a self-test or a command line"
            )
        });
        note(&graph.left_out, &|who| {
            format!("left out: imported only by {who}, which nothing the app runs imports")
        });
        note(&graph.excluded, &|who| {
            format!("excluded by --exclude (wanted by {who})")
        });
        WhyTable { entries, not_in }
    }

    /// The entry `name` names: a module, bundle path or SONAME, else the
    /// first bundle path in directory `name`.
    fn lookup(&self, name: &str) -> Option<(String, &WhyEntry)> {
        if let Some(entry) = self.entries.get(name) {
            return Some((entry.label.clone(), entry));
        }
        let prefix = format!("{name}/");
        let (_, entry) = self
            .entries
            .range(prefix.clone()..)
            .next()
            .filter(|(key, _)| key.starts_with(&prefix))?;
        Some((format!("{name}/ (directory)"), entry))
    }

    /// The chain of reasons that brought `name` in, from it back to what
    /// the app asked for: one line per link. None if no entry has it.
    pub fn chain(&self, name: &str) -> Option<Vec<String>> {
        let mut lines = Vec::new();
        let mut seen = BTreeSet::from([name.to_owned()]);
        let mut current = name.to_owned();
        while let Some((label, entry)) = self.lookup(&current) {
            lines.push(format!("{label}: {}", entry.reason));
            match &entry.via {
                Some(via) if seen.insert(via.clone()) => current = via.clone(),
                _ => break,
            }
        }
        (!lines.is_empty()).then_some(lines)
    }

    /// What `--why name` prints (on stderr at freeze time, on stdout for an
    /// executable).
    pub fn explain(&self, name: &str) -> String {
        if let Some(lines) = self.chain(name) {
            let mut out = format!("why {name}:\n");
            for (depth, line) in lines.iter().enumerate() {
                out.push_str(&format!("  {}{line}\n", "  ".repeat(depth)));
            }
            return out;
        }
        let reason = self
            .not_in
            .get(name)
            .map(String::as_str)
            .unwrap_or("nothing the app imports names it");
        format!("why {name}: not in the bundle: {reason}\n")
    }

    /// The table as stored in a bundle: JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a WhyTable serialises")
    }

    pub fn from_json(bytes: &[u8]) -> serde_json::Result<WhyTable> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> WhyTable {
        let mut graph = ModuleGraph::default();
        graph
            .excluded
            .insert("requests".into(), BTreeSet::from(["yaml".to_owned()]));
        WhyTable::new(&crate::plan::tests::sample(), &graph)
    }

    #[test]
    fn why_follows_reasons_back_to_the_entry_point() {
        let table = table();
        assert_eq!(
            table.chain("libyaml-0.so.2").unwrap(),
            vec![
                "yaml.libs/libyaml.so.0 (shared library): needed by extension module yaml._yaml (DT_NEEDED)",
                "yaml._yaml (module): part of package yaml",
                "yaml (module): imported by __main__",
                "__main__ (module): the app's entry point",
            ]
        );
        assert_eq!(
            table.chain("sys").unwrap()[0],
            "sys (builtin): imported by yaml"
        );
        assert_eq!(table.chain("yaml.libs").unwrap().len(), 4);
        assert!(table.chain("requests").is_none());
        assert_eq!(
            table.explain("requests"),
            "why requests: not in the bundle: excluded by --exclude (wanted by yaml)\n"
        );
        assert_eq!(
            table.explain("nothere"),
            "why nothere: not in the bundle: nothing the app imports names it\n"
        );
    }

    #[test]
    fn the_stored_table_answers_as_the_plan_does() {
        let table = table();
        let stored = WhyTable::from_json(&table.to_json()).unwrap();
        assert_eq!(stored, table);
        assert_eq!(stored.explain("yaml.libs"), table.explain("yaml.libs"));
    }
}
