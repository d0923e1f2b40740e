//! Compiles the policies of every IAM case under `cases/` to Rust, so the tests can run each case
//! through the compiled path next to the run-time path. A new case file needs no code change.
//!
//! It also generates the random policy corpus of the agreement property test (`build/random.rs`,
//! a fixed seed) and compiles it the same way, into `random_policies.rs`; and the random JSON
//! Logic rules of the logic agreement property test (`build/random_logic.rs`, another fixed seed),
//! each compiled to a rule function, into `random_logic.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tagpolicy_compiler::cases::{
    case_kind, case_list, read_iam_case, read_logic_case, read_permission_case, CaseKind,
};
use tagpolicy_compiler::codegen::{generate, CodegenOptions};
use tagpolicy_compiler::diag::Diagnostics;
use tagpolicy_compiler::json::Json;
use tagpolicy_compiler::logic::read_rule;
use tagpolicy_compiler::perm_codegen::{generate_permissions, generate_rule_fn};
use tagpolicy_compiler::perm_ir::lower_rule;
use tagpolicy_compiler::{compile_policies, parse_json, Errors, Source};

#[path = "build/logic_vocab.rs"]
mod logic_vocab;
#[path = "build/random.rs"]
mod random;
#[path = "build/random_logic.rs"]
mod random_logic;
#[path = "build/regressions.rs"]
mod regressions;
#[path = "build/vocab.rs"]
mod vocab;

/// Seed of the random policy corpus: changing it changes every random policy set.
const RANDOM_SEED: u64 = 0x7a67_706f_6c69_6379;
/// How many random policy sets the corpus holds.
const RANDOM_SETS: usize = 300;
/// Seed of the random JSON Logic rule corpus.
const LOGIC_SEED: u64 = 0x6a73_6f6e_6c6f_6769;
/// How many random JSON Logic rules the corpus holds.
const LOGIC_RULES: usize = 400;

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
    let rt: proc_macro2::TokenStream = quote::quote!(::tagpolicy_runtime);
    let mut permissions = String::from(
        "/// (case file, case index, the compiled permission set)\n\
         pub static COMPILED_PERMISSIONS: &[(&str, usize, ::tagpolicy_runtime::access::CompiledPermissions)] = &[\n",
    );
    let mut rule_fns = String::new();
    let mut rules = String::from(
        "/// (case file, case index, the compiled rule)\n\
         pub static COMPILED_RULES: &[(&str, usize, Rule)] = &[\n",
    );
    let mut rule_count = 0usize;
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
            match case_kind(case) {
                Some(CaseKind::Permissions) => {
                    if let Ok(c) = read_permission_case(&source, case) {
                        let tokens = generate_permissions(c.permissions.ir(), &rt);
                        writeln!(permissions, "({name:?}, {i}, {tokens}),").expect("write");
                    }
                    continue;
                }
                Some(CaseKind::JsonLogic) => {
                    if let Ok(c) = read_logic_case(&source, case) {
                        let ident = quote::format_ident!("rule_{}", rule_count);
                        rule_count += 1;
                        let tokens = generate_rule_fn(&ident, &c.expr, &rt);
                        writeln!(rule_fns, "{tokens}").expect("write");
                        writeln!(rules, "({name:?}, {i}, {ident}),").expect("write");
                    }
                    continue;
                }
                Some(CaseKind::Iam) => {}
                None => continue,
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
    permissions.push_str("];\n");
    rules.push_str("];\n");
    out.push_str(&permissions);
    out.push_str(
        "/// A compiled JSON Logic rule applied to data.\n\
         pub type Rule = for<'s> fn(\n\
             ::tagpolicy_runtime::jsonlogic::Val<'s>,\n\
             &mut ::tagpolicy_runtime::scratch::Scratch<'s>,\n\
         ) -> Option<::tagpolicy_runtime::jsonlogic::Val<'s>>;\n",
    );
    out.push_str(&rule_fns);
    out.push_str(&rules);
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("compiled_cases.rs");
    std::fs::write(dest, out).expect("write generated cases");
    random_policies(&opts);
    random_logic_rules(&rt);
}

/// Generates the random JSON Logic rule corpus, compiles every rule to a rule function and writes
/// `RANDOM_RULES`.
fn random_logic_rules(rt: &proc_macro2::TokenStream) {
    let mut fns = String::new();
    let mut table = String::from(
        "/// (the rule as JSON text, the compiled rule)\n\
         pub static RANDOM_RULES: &[(&str, Rule)] = &[\n",
    );
    for (i, text) in random_logic::corpus(LOGIC_SEED, LOGIC_RULES)
        .iter()
        .enumerate()
    {
        let source = Source::new(format!("random_logic[{i}]"), text.clone());
        let json = parse_json(&source).unwrap_or_else(|e| {
            panic!("random rule {i} is not JSON (generator bug):\n{e}\n{text}")
        });
        let mut diags = Diagnostics::new(&source);
        let rule = read_rule(&json, &mut diags);
        let rule = match rule {
            Some(rule) if !diags.has_errors() => rule,
            _ => panic!(
                "random rule {i} does not read (generator bug):\n{}\n{text}",
                Errors(diags.into_vec())
            ),
        };
        let ident = quote::format_ident!("logic_{}", i);
        let tokens = generate_rule_fn(&ident, &lower_rule(&rule), rt);
        writeln!(fns, "{tokens}").expect("write");
        writeln!(table, "({text:?}, {ident}),").expect("write");
    }
    table.push_str("];\n");
    let out = format!("pub use crate::compiled::Rule;\n{fns}{table}");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("random_logic.rs");
    std::fs::write(dest, out).expect("write generated random rules");
}

/// Generates the random policy corpus, compiles every set and writes `RANDOM`.
fn random_policies(opts: &CodegenOptions) {
    let mut out = String::from(
        "/// (the policy set as one JSON array of policy documents, the compiled policy set)\n\
         pub static RANDOM: &[(&str, ::tagpolicy_runtime::CompiledPolicy)] = &[\n",
    );
    let corpus = random::corpus(RANDOM_SEED, RANDOM_SETS);
    // Every set's policies together: one set of several hundred statements, large enough for the
    // generator's size-saving form (`codegen::COMPACT_ABOVE`), checked by the same property test.
    let mut all_items: Vec<String> = Vec::new();
    for (i, text) in corpus.iter().enumerate() {
        let source = Source::new(format!("random[{i}]"), text.clone());
        let json = parse_json(&source).unwrap_or_else(|e| {
            panic!("random policy set {i} is not JSON (generator bug):\n{e}\n{text}")
        });
        let Some(items) = json.as_array() else {
            panic!("random policy set {i} is not a JSON array (generator bug):\n{text}");
        };
        let inputs: Vec<(&Source, &Json)> = items.iter().map(|p| (&source, p)).collect();
        let compiled = compile_policies(&inputs).unwrap_or_else(|e| {
            panic!("random policy set {i} does not compile (generator bug):\n{e}\n{text}")
        });
        let tokens = generate(&compiled.ir, opts);
        writeln!(out, "({text:?}, {tokens}),").expect("write");
        all_items.extend(
            items
                .iter()
                .map(|p| source.text()[p.span.range()].to_string()),
        );
    }
    out.push_str("];\n");
    let all_text = format!("[{}]", all_items.join(",\n"));
    let source = Source::new("random[all]", all_text.clone());
    let json = parse_json(&source).expect("the union of the random sets is JSON");
    let items = json.as_array().expect("an array");
    let inputs: Vec<(&Source, &Json)> = items.iter().map(|p| (&source, p)).collect();
    let compiled = compile_policies(&inputs).expect("the union of the random sets compiles");
    assert!(
        compiled.ir.statements.len() > 256,
        "the union of the random sets has only {} statements: too few for the compact form",
        compiled.ir.statements.len()
    );
    let tokens = generate(&compiled.ir, opts);
    writeln!(
        out,
        "/// Every policy of [`RANDOM`] in one set (its JSON, compiled).\n\
         pub static RANDOM_ALL: (&str, ::tagpolicy_runtime::CompiledPolicy) = ({all_text:?}, {tokens});"
    )
    .expect("write");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("random_policies.rs");
    std::fs::write(dest, out).expect("write generated random policies");
}
