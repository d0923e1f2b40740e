//! Conformance: runs every case file under `conformance/cases/` through tagpolicy.
//!
//! Adding a case file needs no code change: the tests list the folder. Each failing case is
//! reported with its file, line and name.

use std::path::PathBuf;

use tagpolicy_compiler::cases::{case_list, run_case, CaseResult};
use tagpolicy_compiler::{parse_json, Source};

/// The policies of every IAM case, compiled to Rust by `build.rs`:
/// `(case file relative to the crate, index of the case in it, compiled policy set)`.
pub mod compiled {
    include!(concat!(env!("OUT_DIR"), "/compiled_cases.rs"));

    /// The compiled policy set of case `index` of `file`.
    pub fn find(file: &str, index: usize) -> Option<&'static ::tagpolicy_runtime::CompiledPolicy> {
        COMPILED
            .iter()
            .find(|(f, i, _)| *f == file && *i == index)
            .map(|(_, _, p)| p)
    }
}

/// The folder of case files.
pub fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Every `*.json` file under [`cases_dir`], sorted, recursively.
pub fn case_files() -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&cases_dir(), &mut out);
    out.sort();
    out
}

/// Reads a case file as a [`Source`] named by its path relative to the crate.
pub fn read_source(path: &std::path::Path) -> Source {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    Source::new(name, text)
}

/// Runs every case of one file on the run-time path.
pub fn run_file(path: &std::path::Path) -> Vec<CaseResult> {
    let source = read_source(path);
    let json = parse_json(&source).unwrap_or_else(|e| panic!("{e}"));
    let cases = case_list(&source, &json).unwrap_or_else(|e| panic!("{e}"));
    cases.iter().map(|c| run_case(&source, c)).collect()
}
