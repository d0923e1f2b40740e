//! Every lint of `lint.rs` fires where it should (message and line:col) and stays quiet on clean
//! policies. Warnings come from `compile_policies(...).warnings`; they never stop compilation.

use std::path::Path;

use tagpolicy_compiler::{compile_policies, parse_json, Diagnostic, Severity, Source};

/// The warnings of one policy text (which must compile).
fn warnings(text: &str) -> Vec<Diagnostic> {
    let source = Source::new("lint.json", text);
    let json = parse_json(&source).unwrap_or_else(|e| panic!("not JSON: {e}\n{text}"));
    let compiled =
        compile_policies(&[(&source, &json)]).unwrap_or_else(|e| panic!("rejected: {e}\n{text}"));
    for w in &compiled.warnings {
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(w.file, "lint.json");
    }
    compiled.warnings
}

/// A policy with one statement whose lines are `body`. Layout:
///
/// ```text
/// 1 {
/// 2   "Version": "2012-10-17",
/// 3   "Statement": [
/// 4     {
/// 5       <body[0]>        (every body line is indented by 6 spaces: its text starts in column 7)
/// …
/// ```
fn one_statement(body: &[&str]) -> String {
    let mut text = String::from("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n");
    for line in body {
        text.push_str("      ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("    }\n  ]\n}\n");
    text
}

/// Asserts exactly one warning, at `line:col`, whose message contains `message`; returns it.
fn single(ws: &[Diagnostic], line: u32, col: u32, message: &str) -> Diagnostic {
    assert_eq!(ws.len(), 1, "expected one warning, got {ws:#?}");
    let w = &ws[0];
    assert!(
        w.message.contains(message),
        "message {:?} does not contain {message:?}",
        w.message
    );
    assert_eq!((w.line, w.col), (line, col), "position of {:?}", w.message);
    w.clone()
}

// ---------------------------------------------------------------------------------------------
// Condition keys that differ only by case
// ---------------------------------------------------------------------------------------------

#[test]
fn key_case_fires_on_condition_keys_differing_only_by_case() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        r#"  "StringEquals": { "aws:ResourceTag/Owner": "alice" },"#,
        r#"  "StringLike": { "aws:ResourceTag/owner": "a*" }"#,
        r#"}"#,
    ]);
    let w = single(
        &warnings(&text),
        10,
        25,
        "condition key `aws:ResourceTag/owner` differs only by case from `aws:ResourceTag/Owner` (line 9, column 27)",
    );
    assert!(w.help.is_some_and(|h| h.contains("case-insensitive")));
}

#[test]
fn key_case_fires_across_statements() {
    let text = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
      "Condition": { "StringEquals": { "aws:PrincipalTag/Team": "eng" } } },
    { "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
      "Condition": { "StringEquals": { "aws:PrincipalTag/team": "ops" } } }
  ]
}"#;
    single(
        &warnings(text),
        7,
        40,
        "`aws:PrincipalTag/team` differs only by case from `aws:PrincipalTag/Team` (line 5, column 40)",
    );
}

#[test]
fn key_case_fires_between_a_condition_key_and_a_variable() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        r#"  "StringEquals": { "aws:ResourceTag/Owner": "${aws:UserName}" },"#,
        r#"  "StringLike": { "aws:username": "a*" }"#,
        r#"}"#,
    ]);
    single(
        &warnings(&text),
        10,
        25,
        "condition key `aws:username` differs only by case from `aws:UserName` (line 9, column 52)",
    );
}

#[test]
fn key_case_is_quiet_when_keys_are_written_the_same_way() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        r#"  "StringEquals": { "aws:ResourceTag/Owner": "${aws:username}" },"#,
        r#"  "StringLike": { "aws:ResourceTag/Owner": "a*", "aws:username": "a*" }"#,
        r#"}"#,
    ]);
    assert_eq!(warnings(&text), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Allow of * on *
// ---------------------------------------------------------------------------------------------

#[test]
fn allow_all_fires_on_allow_star_on_star() {
    let text = one_statement(&[
        r#""Sid": "Admin","#,
        r#""Effect": "Allow","#,
        r#""Action": "*","#,
        r#""Resource": "*""#,
    ]);
    let w = single(
        &warnings(&text),
        7,
        7,
        "this statement allows every action on every resource",
    );
    assert!(w.help.is_some());

    // In lists, too.
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": ["s3:GetObject", "*"],"#,
        r#""Resource": ["arn:aws:s3:::a", "*"]"#,
    ]);
    single(
        &warnings(&text),
        6,
        7,
        "allows every action on every resource",
    );
}

#[test]
fn allow_all_is_quiet_on_deny_conditions_and_narrower_grants() {
    for body in [
        [
            r#""Effect": "Deny","#,
            r#""Action": "*","#,
            r#""Resource": "*""#,
            "",
        ],
        [
            r#""Effect": "Allow","#,
            r#""Action": "*","#,
            r#""Resource": "*","#,
            r#""Condition": { "Bool": { "aws:MultiFactorAuthPresent": "true" } }"#,
        ],
        [
            r#""Effect": "Allow","#,
            r#""Action": "s3:*","#,
            r#""Resource": "*""#,
            "",
        ],
        [
            r#""Effect": "Allow","#,
            r#""Action": "*","#,
            r#""Resource": "arn:aws:s3:::*""#,
            "",
        ],
    ] {
        let text = one_statement(&body);
        assert_eq!(warnings(&text), vec![], "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// aws:RequestTag without an aws:TagKeys guard
// ---------------------------------------------------------------------------------------------

#[test]
fn request_tag_without_tag_keys_guard_fires() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "ec2:CreateTags","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        r#"  "StringEquals": { "aws:RequestTag/Owner": "${aws:username}" }"#,
        r#"}"#,
    ]);
    let w = single(
        &warnings(&text),
        9,
        27,
        "`aws:RequestTag/Owner` is checked but `aws:TagKeys` is not",
    );
    assert!(w.help.is_some_and(|h| h.contains("aws:TagKeys")));
}

#[test]
fn request_tag_with_tag_keys_guard_is_quiet() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "ec2:CreateTags","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        r#"  "StringEquals": { "aws:RequestTag/Owner": "${aws:username}" },"#,
        r#"  "ForAllValues:StringEquals": { "aws:TagKeys": ["Owner", "Environment"] }"#,
        r#"}"#,
    ]);
    assert_eq!(warnings(&text), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Statements that can never apply
// ---------------------------------------------------------------------------------------------

#[test]
fn not_action_star_never_applies() {
    let text = one_statement(&[
        r#""Effect": "Deny","#,
        r#""NotAction": "*","#,
        r#""Resource": "*""#,
    ]);
    single(
        &warnings(&text),
        6,
        7,
        "`NotAction: \"*\"` excludes every action: this statement never applies",
    );
}

#[test]
fn not_resource_star_never_applies() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""NotResource": ["arn:aws:s3:::a", "*"]"#,
    ]);
    single(
        &warnings(&text),
        7,
        7,
        "`NotResource: \"*\"` excludes every resource: this statement never applies",
    );
}

#[test]
fn not_action_and_not_resource_with_narrow_values_are_quiet() {
    let text = one_statement(&[
        r#""Effect": "Deny","#,
        r#""NotAction": "iam:*","#,
        r#""NotResource": "arn:aws:s3:::*""#,
    ]);
    assert_eq!(warnings(&text), vec![]);
}

#[test]
fn null_true_with_an_operator_that_needs_the_key_never_applies() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        r#"  "Null": { "aws:ResourceTag/env": "true" },"#,
        r#"  "StringEquals": { "aws:ResourceTag/env": "dev" }"#,
        r#"}"#,
    ]);
    single(
        &warnings(&text),
        10,
        9,
        "`StringEquals` needs `aws:ResourceTag/env` present, but `Null` requires it absent: this statement never applies",
    );
}

#[test]
fn null_true_with_operators_that_accept_a_missing_key_is_quiet() {
    for op in [
        "StringNotEquals",
        "StringEqualsIfExists",
        "NumericLessThanIfExists",
        "ForAllValues:StringEquals",
    ] {
        let key_line = format!(r#"  "{op}": {{ "my:key": "1" }}"#);
        let text = one_statement(&[
            r#""Effect": "Allow","#,
            r#""Action": "s3:GetObject","#,
            r#""Resource": "*","#,
            r#""Condition": {"#,
            r#"  "Null": { "my:key": "true" },"#,
            &key_line,
            r#"}"#,
        ]);
        assert_eq!(warnings(&text), vec![], "{op}");
    }
    // `Null: false` asks for the key: no conflict.
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        r#"  "Null": { "my:key": "false" },"#,
        r#"  "StringEquals": { "my:key": "1" }"#,
        r#"}"#,
    ]);
    assert_eq!(warnings(&text), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Set qualifiers
// ---------------------------------------------------------------------------------------------

#[test]
fn multi_valued_key_without_a_set_qualifier_fires() {
    for (key, col) in [
        ("aws:TagKeys", 9),
        ("aws:PrincipalOrgPaths", 9),
        ("aws:CalledVia", 9),
    ] {
        let line = format!(r#"  "StringLike": {{ "{key}": "a*" }}"#);
        let text = one_statement(&[
            r#""Effect": "Allow","#,
            r#""Action": "s3:GetObject","#,
            r#""Resource": "*","#,
            r#""Condition": {"#,
            &line,
            r#"}"#,
        ]);
        let w = single(
            &warnings(&text),
            9,
            col,
            &format!("`{key}` is multi-valued; `StringLike` without `ForAllValues:` or `ForAnyValue:` never matches a list of values"),
        );
        assert!(w.help.is_some_and(
            |h| h.contains("ForAllValues:StringLike") && h.contains("ForAnyValue:StringLike")
        ));
    }
}

#[test]
fn multi_valued_key_with_a_set_qualifier_is_quiet() {
    for op in [
        "ForAllValues:StringEquals",
        "ForAnyValue:StringLike",
        "Null",
    ] {
        let line = format!(r#"  "{op}": {{ "aws:TagKeys": "true" }}"#);
        let text = one_statement(&[
            r#""Effect": "Allow","#,
            r#""Action": "s3:GetObject","#,
            r#""Resource": "*","#,
            r#""Condition": {"#,
            &line,
            r#"}"#,
        ]);
        assert_eq!(warnings(&text), vec![], "{op}");
    }
}

#[test]
fn for_all_values_on_a_single_valued_tag_key_fires() {
    for key in [
        "aws:PrincipalTag/team",
        "aws:ResourceTag/team",
        "aws:RequestTag/team",
    ] {
        let line = format!(r#"  "ForAllValues:StringEquals": {{ "{key}": "eng" }}"#);
        let mut body = vec![
            r#""Effect": "Allow","#,
            r#""Action": "s3:GetObject","#,
            r#""Resource": "*","#,
            r#""Condition": {"#,
            &line,
        ];
        // A request-tag condition also needs its guard, to keep this test about one lint.
        if key.starts_with("aws:RequestTag") {
            body[4] = "  \"ForAnyValue:StringEquals\": { \"aws:TagKeys\": \"team\" },";
            body.push(&line);
        }
        body.push("}");
        let line_no = if key.starts_with("aws:RequestTag") {
            10
        } else {
            9
        };
        let w = single(
            &warnings(&one_statement(&body)),
            line_no,
            9,
            &format!("`ForAllValues:` on the single-valued key `{key}` is also true when the key is missing"),
        );
        assert_eq!(
            w.help.as_deref(),
            Some("use `StringEquals` without a set qualifier")
        );
    }
}

#[test]
fn for_any_value_on_a_tag_key_is_quiet() {
    let text = one_statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*","#,
        r#""Condition": { "ForAnyValue:StringEquals": { "aws:PrincipalTag/team": "eng" } }"#,
    ]);
    assert_eq!(warnings(&text), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Clean policies, and several lints at once
// ---------------------------------------------------------------------------------------------

#[test]
fn the_example_policies_are_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(warnings(&text), vec![], "{}", path.display());
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn a_clean_policy_has_no_warnings() {
    let text = one_statement(&[
        r#""Sid": "OwnInstances","#,
        r#""Effect": "Allow","#,
        r#""Action": ["ec2:StartInstances", "ec2:StopInstances"],"#,
        r#""Resource": "arn:aws:ec2:*:*:instance/*","#,
        r#""Condition": {"#,
        r#"  "StringEquals": { "aws:ResourceTag/Owner": "${aws:username}" },"#,
        r#"  "ForAnyValue:StringEquals": { "aws:TagKeys": "Owner" },"#,
        r#"  "IpAddress": { "aws:SourceIp": "203.0.113.0/24" }"#,
        r#"}"#,
    ]);
    assert_eq!(warnings(&text), vec![]);
}

#[test]
fn several_lints_are_all_reported_and_do_not_stop_compilation() {
    let text = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "*", "Resource": "*" },
    { "Effect": "Deny", "NotAction": "*", "Resource": "*" },
    { "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
      "Condition": { "StringEquals": { "aws:TagKeys": "a" } } }
  ]
}"#;
    let ws = warnings(text);
    let found: Vec<(u32, u32)> = ws.iter().map(|w| (w.line, w.col)).collect();
    assert_eq!(found, vec![(4, 26), (5, 25), (7, 22)], "{ws:#?}");
}
