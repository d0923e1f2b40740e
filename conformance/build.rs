//! Compiles the policies of every IAM case under `cases/` to Rust, so the tests can run each case
//! through the compiled path next to the run-time path. A new case file needs no code change.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tagpolicy_compiler::cases::{case_kind, case_list, read_iam_case, CaseKind};
use tagpolicy_compiler::codegen::{generate, CodegenOptions};
use tagpolicy_compiler::{parse_json, Source};

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            case_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let dir = manifest.join("cases");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    case_files(&dir, &mut files);
    files.sort();
    let opts = CodegenOptions::default();
    let mut out = String::from(
        "/// (case file relative to the crate, index of the case in it, the compiled policy set)\n\
         pub static COMPILED: &[(&str, usize, ::tagpolicy_runtime::CompiledPolicy)] = &[\n",
    );
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .strip_prefix(&manifest)
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).expect("read case file");
        let source = Source::new(name.clone(), text);
        let Ok(json) = parse_json(&source) else {
            continue;
        };
        let Ok(cases) = case_list(&source, &json) else {
            continue;
        };
        for (i, case) in cases.iter().enumerate() {
            if case_kind(case) != Some(CaseKind::Iam) || case.get("grants").is_some() {
                continue;
            }
            // A case whose policies do not compile is reported by the run-time test.
            let Ok(c) = read_iam_case(&source, case) else {
                continue;
            };
            let tokens = generate(c.policy.ir(), &opts);
            writeln!(out, "({name:?}, {i}, {tokens}),").expect("write");
        }
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("compiled_cases.rs");
    std::fs::write(dest, out).expect("write generated cases");
}
