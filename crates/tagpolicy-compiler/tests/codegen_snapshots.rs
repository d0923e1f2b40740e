//! Snapshots of the generated Rust for the seed policies (`conformance/cases/seeds.json`), as
//! `tagpolicy compile` prints them. Generation is deterministic, so a snapshot only moves when the
//! generated code does; review such a change like any code change.

use std::collections::BTreeMap;

use tagpolicy_compiler::codegen::{generate_pretty, CodegenOptions};
use tagpolicy_compiler::json::Json;
use tagpolicy_compiler::{compile_policies, parse_json, Source};

fn seeds() -> Source {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/cases/seeds.json"
    );
    let text = std::fs::read_to_string(path).expect("seeds.json is in conformance/cases");
    Source::new("seeds.json", text)
}

#[test]
fn generated_code_for_each_seed_policy_set() {
    let source = seeds();
    let json = parse_json(&source).expect("seeds parse");
    let cases = json.as_array().expect("a list of cases");
    // One snapshot per distinct policy set, named after the first case that uses it.
    let mut sets: BTreeMap<String, (String, Vec<&Json>)> = BTreeMap::new();
    let mut names_taken: Vec<String> = Vec::new();
    for case in cases {
        let policies: Vec<&Json> = case
            .get("policies")
            .and_then(Json::as_array)
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        let key: String = policies.iter().map(|p| p.to_value().to_string()).collect();
        if sets.contains_key(&key) {
            continue;
        }
        let name = case.get("name").and_then(Json::as_str).unwrap_or("case");
        let stem: String = name
            .split(':')
            .next()
            .unwrap_or(name)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut unique = stem.clone();
        let mut n = 2;
        while names_taken.contains(&unique) {
            unique = format!("{stem}_{n}");
            n += 1;
        }
        names_taken.push(unique.clone());
        sets.insert(key, (unique, policies));
    }
    assert!(
        sets.len() >= 10,
        "only {} distinct seed policy sets",
        sets.len()
    );
    let opts = CodegenOptions {
        runtime_path: "::tagpolicy::__private::runtime".parse().expect("path"),
    };
    for (name, policies) in sets.values() {
        let inputs: Vec<(&Source, &Json)> = policies.iter().map(|p| (&source, *p)).collect();
        let compiled = compile_policies(&inputs).expect("seed policies compile");
        let code = generate_pretty(&compiled.ir, &opts);
        insta::assert_snapshot!(name.as_str(), code);
    }
}

#[test]
fn rendered_diagnostics_of_a_broken_policy() {
    let text = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "A", "Effect": "allow", "Actoin": "s3:GetObject", "Resource": "*" },
    { "Effect": "Deny", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*" },
    { "Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "arn:aws:ec2:*:*:instance/${aws:username",
      "Condition": {
        "StringEqualz": { "aws:ResourceTag/Owner": "x" },
        "NumericLessThan": { "s3:max-keys": "ten" },
        "IpAddress": { "aws:SourceIp": "10.0.0.0/33" },
        "DateGreaterThan": { "aws:CurrentTime": "tomorrow" },
        "Bool": { "aws:SecureTransport": "yes" }
      } }
  ]
}"#;
    let source = Source::new("broken.json", text);
    let json = parse_json(&source).expect("valid JSON");
    let errors = compile_policies(&[(&source, &json)]).expect_err("policy is broken");
    insta::assert_snapshot!(errors.to_string());
}
