//! Every IAM case under `conformance/cases/`, through the compiled path (policies turned into Rust
//! by `build.rs`) and the run-time path: both must give the expected decision, and the same
//! deciding statement.

use conformance::{case_files, compiled, read_source};
use tagpolicy_compiler::cases::{case_kind, case_list, describe, read_iam_case, CaseKind};
use tagpolicy_compiler::parse_json;
use tagpolicy_runtime::Policy;

#[test]
fn compiled_and_runtime_paths_agree_on_every_case() {
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for path in case_files() {
        let source = read_source(&path);
        let json = parse_json(&source).expect("case file parses");
        for (i, case) in case_list(&source, &json)
            .expect("case list")
            .iter()
            .enumerate()
        {
            if case_kind(case) != Some(CaseKind::Iam) || case.get("grants").is_some() {
                continue;
            }
            let c = read_iam_case(&source, case).expect("case compiles");
            let Some(compiled) = compiled::find(source.name(), i) else {
                failures.push(format!("{}: {}: no compiled policy", source.name(), c.name));
                continue;
            };
            let (runtime, generated) = c
                .request
                .with_request(|r| (c.policy.evaluate(r), compiled.evaluate(r)));
            let expected = if c.expect_allow { "Allow" } else { "Deny" };
            if runtime != generated {
                failures.push(format!(
                    "{}: {}: paths disagree: run-time {}, compiled {}",
                    source.name(),
                    c.name,
                    describe(&runtime),
                    describe(&generated)
                ));
            } else if generated.is_allowed() != c.expect_allow {
                failures.push(format!(
                    "{}: {}: expected {expected}, both paths {}",
                    source.name(),
                    c.name,
                    describe(&generated)
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 566, "only {checked} cases checked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
