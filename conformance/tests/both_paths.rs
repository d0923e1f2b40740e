//! Every IAM case under `conformance/cases/`, through the compiled path (policies turned into Rust
//! by `build.rs`) and the run-time path: both must give the expected decision, and the same
//! deciding statement.

use conformance::{case_files, compiled, read_source};
use tagpolicy_compiler::cases::{case_kind, case_list, describe, read_iam_case, CaseKind};
use tagpolicy_compiler::explain::explain;
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
            if case_kind(case) != Some(CaseKind::Iam) {
                continue;
            }
            let c = read_iam_case(&source, case).expect("case compiles");
            let Some(compiled) = compiled::find(source.name(), i) else {
                failures.push(format!("{}: {}: no compiled policy", source.name(), c.name));
                continue;
            };
            let (runtime, generated) = c.with_request(|r| {
                let (a, b) = (
                    c.policy.evaluate_with_grants(r),
                    compiled.evaluate_with_grants(r),
                );
                // The grants a decision relied on are the same on both paths too.
                if a.grants != b.grants {
                    failures.push(format!(
                        "{}: {}: grants used differ: run-time {:?}, compiled {:?}",
                        source.name(),
                        c.name,
                        a.grants.ids(),
                        b.grants.ids()
                    ));
                }
                let explained = explain(&c.policy, r, Some(&c.grants)).decision;
                if !explained.agrees_with(&a.decision) {
                    failures.push(format!(
                        "{}: {}: explanation {explained:?} disagrees with {}",
                        source.name(),
                        c.name,
                        describe(&a.decision)
                    ));
                }
                (a.decision, b.decision)
            });
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

#[test]
fn permission_cases_agree_on_both_paths() {
    use tagpolicy_compiler::cases::read_permission_case;
    use tagpolicy_runtime::access::Permissions;
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
            if case_kind(case) != Some(CaseKind::Permissions) {
                continue;
            }
            let c = read_permission_case(&source, case).expect("case compiles");
            let Some(compiled) = compiled::find_permissions(source.name(), i) else {
                failures.push(format!("{}: {}: no compiled set", source.name(), c.name));
                continue;
            };
            let request = case.get("request").expect("request");
            let (runtime, generated) = c
                .with_request(&source, request, |r| {
                    let (a, b) = (
                        c.permissions.decide_with_grants(r),
                        compiled.decide_with_grants(r),
                    );
                    // The grants an allow relied on are the same on both paths too, and the
                    // decision is the plain one.
                    if a.grants != b.grants {
                        failures.push(format!(
                            "{}: {}: grants used differ: run-time {:?}, compiled {:?}",
                            source.name(),
                            c.name,
                            a.grants.ids(),
                            b.grants.ids()
                        ));
                    }
                    if a.decision != c.permissions.decide(r) || b.decision != compiled.decide(r) {
                        failures.push(format!(
                            "{}: {}: decide_with_grants decides differently",
                            source.name(),
                            c.name
                        ));
                    }
                    (a.decision, b.decision)
                })
                .expect("request reads");
            if runtime != generated {
                failures.push(format!(
                    "{}: {}: paths disagree: run-time {runtime:?}, compiled {generated:?}",
                    source.name(),
                    c.name
                ));
            } else if generated.is_allowed() != c.expect_allow {
                failures.push(format!(
                    "{}: {}: expected allow={}, both {generated:?}",
                    source.name(),
                    c.name,
                    c.expect_allow
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 84, "only {checked} permission cases checked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn json_logic_cases_agree_on_both_paths() {
    use tagpolicy_compiler::cases::read_logic_case;
    use tagpolicy_compiler::perm_eval::{eval, Data};
    use tagpolicy_compiler::values::{describe_val, json_to_val, val_matches_json};
    use tagpolicy_runtime::jsonlogic::Val;
    use tagpolicy_runtime::scratch::Scratch;
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
            if case_kind(case) != Some(CaseKind::JsonLogic) {
                continue;
            }
            let c = read_logic_case(&source, case).expect("rule reads");
            let Some(rule) = compiled::find_rule(source.name(), i) else {
                failures.push(format!("{}: {}: no compiled rule", source.name(), c.name));
                continue;
            };
            let bump = bumpalo::Bump::new();
            let data = case
                .get("data")
                .map_or(Val::Null, |d| json_to_val(d, &bump));
            let expected = case.get("expected").expect("expected");
            let run = |compiled: bool| {
                let mut vals = vec![Val::Null; 4096];
                let mut bytes = vec![0u8; 1 << 16];
                let mut members = vec![("", Val::Null); 256];
                let mut scratch = Scratch::new(&mut vals, &mut bytes).with_members(&mut members);
                let v = if compiled {
                    rule(data, &mut scratch)
                } else {
                    eval(&c.expr, Data::Value(data), &mut scratch)
                };
                v.map(|v| (val_matches_json(v, expected), describe_val(v)))
            };
            let (runtime, generated) = (run(false), run(true));
            if runtime != generated {
                failures.push(format!(
                    "{}: {}: paths disagree: run-time {runtime:?}, compiled {generated:?}",
                    source.name(),
                    c.name
                ));
            } else if !generated.as_ref().is_some_and(|(ok, _)| *ok) {
                failures.push(format!(
                    "{}: {}: expected {}, both {generated:?}",
                    source.name(),
                    c.name,
                    expected.to_value()
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 656, "only {checked} JSON Logic cases checked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
