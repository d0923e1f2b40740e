//! Condition operators, family by family, through the public run-time API.
//!
//! Each test builds an `Allow` statement on action `x:Y`, resource `*`, with one condition, so
//! `is_allowed()` says exactly whether the condition held. The semantic traps of SPEC §2 each have
//! a test of their own, named after the rule.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tagpolicy_compiler::{load_policy, RuntimePolicy};
use tagpolicy_runtime::{Decision, Policy, Request, StatementRef, Tag, Timestamp, Value};

const V2012: &str = "2012-10-17";

/// A policy allowing `x:Y` on `*` when `{ op: { key: values } }` holds; `values` is JSON.
fn cond_policy_version(version: Option<&str>, op: &str, key: &str, values: &str) -> RuntimePolicy {
    let version = version.map_or(String::new(), |v| format!("\"Version\": \"{v}\","));
    let text = format!(
        r#"{{ {version}
  "Statement": [{{
    "Effect": "Allow", "Action": "x:Y", "Resource": "*",
    "Condition": {{ "{op}": {{ "{key}": {values} }} }}
  }}]
}}"#
    );
    load_policy("operators.json", &text)
        .unwrap_or_else(|e| panic!("policy does not compile:\n{e}\n{text}"))
}

fn cond_policy(op: &str, key: &str, values: &str) -> RuntimePolicy {
    cond_policy_version(Some(V2012), op, key, values)
}

fn allowed(policy: &RuntimePolicy, req: &Request<'_>) -> bool {
    policy.evaluate(req).is_allowed()
}

/// Whether the condition holds for a request with this context.
fn holds(policy: &RuntimePolicy, ctx: &[(&str, Value<'_>)]) -> bool {
    allowed(policy, &Request::new("x:Y", "*").with_context(ctx))
}

/// Whether the condition holds when the key is given the string `value` (`None`: key missing).
fn holds_str(policy: &RuntimePolicy, key: &str, value: Option<&str>) -> bool {
    match value {
        Some(v) => holds(policy, &[(key, Value::Str(v))]),
        None => holds(policy, &[]),
    }
}

/// One row of a table: the request value (`None`: the key is missing) and whether the condition
/// holds.
type Row<'a> = (Option<&'a str>, bool);

/// Runs a table of rows against one condition.
fn table(op: &str, key: &str, values: &str, rows: &[Row<'_>]) {
    let policy = cond_policy(op, key, values);
    for (value, expected) in rows {
        assert_eq!(
            holds_str(&policy, key, *value),
            *expected,
            "{op} {{ {key}: {values} }} with request value {value:?}"
        );
    }
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap_or_else(|| panic!("bad test date {s}"))
}

// ---------------------------------------------------------------------------------------------
// String operators
// ---------------------------------------------------------------------------------------------

#[test]
fn string_equals() {
    table(
        "StringEquals",
        "aws:PrincipalTag/team",
        r#"["eng", "ops"]"#,
        &[
            (Some("eng"), true),
            (Some("ops"), true),
            (Some("Eng"), false),
            (Some("eng "), false),
            (Some(""), false),
            (None, false),
        ],
    );
}

#[test]
fn string_not_equals_is_nor() {
    table(
        "StringNotEquals",
        "aws:PrincipalTag/team",
        r#"["eng", "ops"]"#,
        &[
            (Some("eng"), false),
            (Some("ops"), false),
            (Some("sales"), true),
            (Some("ENG"), true),
            (None, true),
        ],
    );
}

#[test]
fn string_equals_ignore_case() {
    table(
        "StringEqualsIgnoreCase",
        "aws:PrincipalTag/team",
        r#""Engineering""#,
        &[
            (Some("engineering"), true),
            (Some("ENGINEERING"), true),
            (Some("Engineering"), true),
            (Some("engineer"), false),
            (None, false),
        ],
    );
}

#[test]
fn string_not_equals_ignore_case() {
    table(
        "StringNotEqualsIgnoreCase",
        "aws:PrincipalTag/team",
        r#"["Engineering", "ops"]"#,
        &[
            (Some("ENGINEERING"), false),
            (Some("OPS"), false),
            (Some("sales"), true),
            (None, true),
        ],
    );
}

#[test]
fn string_like() {
    table(
        "StringLike",
        "s3:prefix",
        r#"["home/*", "tmp/?.txt"]"#,
        &[
            (Some("home/"), true),
            (Some("home/alice/notes/a.txt"), true),
            (Some("Home/alice"), false),
            (Some("tmp/a.txt"), true),
            (Some("tmp/ab.txt"), false),
            (Some("var/home/x"), false),
            (None, false),
        ],
    );
}

#[test]
fn string_not_like() {
    table(
        "StringNotLike",
        "s3:prefix",
        r#"["home/*", "tmp/*"]"#,
        &[
            (Some("home/x"), false),
            (Some("tmp/"), false),
            (Some("etc/passwd"), true),
            (None, true),
        ],
    );
}

#[test]
fn string_operators_if_exists() {
    for (op, values, present_match, present_other) in [
        ("StringEqualsIfExists", r#""eng""#, "eng", "ops"),
        ("StringEqualsIgnoreCaseIfExists", r#""eng""#, "ENG", "ops"),
        ("StringLikeIfExists", r#""e*""#, "eng", "ops"),
    ] {
        table(
            op,
            "aws:PrincipalTag/team",
            values,
            &[
                (None, true),
                (Some(present_match), true),
                (Some(present_other), false),
            ],
        );
    }
    for (op, values, present_match, present_other) in [
        ("StringNotEqualsIfExists", r#""eng""#, "eng", "ops"),
        (
            "StringNotEqualsIgnoreCaseIfExists",
            r#""eng""#,
            "ENG",
            "ops",
        ),
        ("StringNotLikeIfExists", r#""e*""#, "eng", "ops"),
    ] {
        table(
            op,
            "aws:PrincipalTag/team",
            values,
            &[
                (None, true),
                (Some(present_match), false),
                (Some(present_other), true),
            ],
        );
    }
}

#[test]
fn string_operators_read_a_bool_request_value_as_text() {
    let p = cond_policy("StringEquals", "aws:SecureTransport", r#""true""#);
    assert!(holds(&p, &[("aws:SecureTransport", Value::Bool(true))]));
    assert!(!holds(&p, &[("aws:SecureTransport", Value::Bool(false))]));
}

// ---------------------------------------------------------------------------------------------
// Numeric operators
// ---------------------------------------------------------------------------------------------

#[test]
fn numeric_operators() {
    let key = "s3:max-keys";
    // (operator, policy value, [(request value, expected)])
    let cases: &[(&str, &str, &[Row<'_>])] = &[
        (
            "NumericEquals",
            "10",
            &[
                (Some("10"), true),
                (Some("10.0"), true),
                (Some("11"), false),
            ],
        ),
        (
            "NumericNotEquals",
            "10",
            &[(Some("10"), false), (Some("9.5"), true), (None, true)],
        ),
        (
            "NumericLessThan",
            "10",
            &[
                (Some("9.99"), true),
                (Some("10"), false),
                (Some("-3"), true),
            ],
        ),
        (
            "NumericLessThanEquals",
            "10",
            &[(Some("10"), true), (Some("10.01"), false)],
        ),
        (
            "NumericGreaterThan",
            r#""2.5""#,
            &[(Some("2.6"), true), (Some("2.5"), false)],
        ),
        (
            "NumericGreaterThanEquals",
            "2.5",
            &[(Some("2.5"), true), (Some("2.4"), false)],
        ),
    ];
    for (op, value, rows) in cases {
        table(op, key, value, rows);
        // Missing key: only the negated operator holds.
        table(op, key, value, &[(None, op.contains("Not"))]);
    }
}

#[test]
fn numeric_operators_if_exists() {
    for op in [
        "NumericEqualsIfExists",
        "NumericNotEqualsIfExists",
        "NumericLessThanIfExists",
        "NumericLessThanEqualsIfExists",
        "NumericGreaterThanIfExists",
        "NumericGreaterThanEqualsIfExists",
    ] {
        table(op, "s3:max-keys", "10", &[(None, true)]);
    }
    table(
        "NumericLessThanIfExists",
        "s3:max-keys",
        "10",
        &[(Some("5"), true), (Some("50"), false)],
    );
}

#[test]
fn numeric_operators_fail_closed_on_a_non_number_even_negated() {
    table(
        "NumericEquals",
        "s3:max-keys",
        "10",
        &[(Some("ten"), false)],
    );
    table(
        "NumericNotEquals",
        "s3:max-keys",
        "10",
        &[(Some("ten"), false)],
    );
}

// ---------------------------------------------------------------------------------------------
// Date operators
// ---------------------------------------------------------------------------------------------

#[test]
fn date_operators_iso() {
    let key = "aws:TokenIssueTime";
    let cases: &[(&str, &[Row<'_>])] = &[
        (
            "DateEquals",
            &[
                (Some("2020-01-01T00:00:00Z"), true),
                (Some("2020-01-01"), true),
                (Some("2020-01-01T01:00:00+01:00"), true),
                (Some("2020-01-01T00:00:01Z"), false),
                (None, false),
            ],
        ),
        (
            "DateNotEquals",
            &[
                (Some("2020-01-01T00:00:00Z"), false),
                (Some("2021-01-01T00:00:00Z"), true),
                (None, true),
            ],
        ),
        (
            "DateLessThan",
            &[
                (Some("2019-12-31T23:59:59Z"), true),
                (Some("2020-01-01T00:00:00Z"), false),
                (None, false),
            ],
        ),
        (
            "DateLessThanEquals",
            &[
                (Some("2020-01-01T00:00:00Z"), true),
                (Some("2020-01-01T00:00:01Z"), false),
            ],
        ),
        (
            "DateGreaterThan",
            &[
                (Some("2020-01-01T00:00:01Z"), true),
                (Some("2020-01-01T00:00:00Z"), false),
            ],
        ),
        (
            "DateGreaterThanEquals",
            &[
                (Some("2020-01-01T00:00:00Z"), true),
                (Some("2019-12-31T23:59:59Z"), false),
            ],
        ),
    ];
    for (op, rows) in cases {
        table(op, key, r#""2020-01-01T00:00:00Z""#, rows);
    }
}

#[test]
fn date_operators_epoch_seconds() {
    let key = "aws:TokenIssueTime";
    // 1577836800 = 2020-01-01T00:00:00Z, written as a JSON number and as a string.
    for policy_value in ["1577836800", r#""1577836800""#] {
        table(
            "DateEquals",
            key,
            policy_value,
            &[
                (Some("2020-01-01T00:00:00Z"), true),
                (Some("1577836800"), true),
                (Some("1577836801"), false),
            ],
        );
        table(
            "DateLessThan",
            key,
            policy_value,
            &[(Some("1577836799"), true), (Some("1577836800"), false)],
        );
        table(
            "DateGreaterThanEquals",
            key,
            policy_value,
            &[(Some("1577836800"), true), (Some("1577836799"), false)],
        );
    }
}

#[test]
fn date_operators_if_exists() {
    for op in [
        "DateEqualsIfExists",
        "DateNotEqualsIfExists",
        "DateLessThanIfExists",
        "DateLessThanEqualsIfExists",
        "DateGreaterThanIfExists",
        "DateGreaterThanEqualsIfExists",
    ] {
        table(op, "aws:TokenIssueTime", r#""2020-01-01""#, &[(None, true)]);
    }
    table(
        "DateGreaterThanIfExists",
        "aws:TokenIssueTime",
        r#""2020-01-01""#,
        &[(Some("2020-06-01"), true), (Some("2019-06-01"), false)],
    );
}

#[test]
fn date_operators_fail_closed_on_a_non_date_even_negated() {
    table(
        "DateLessThan",
        "aws:TokenIssueTime",
        r#""2020-01-01""#,
        &[(Some("yesterday"), false)],
    );
    table(
        "DateNotEquals",
        "aws:TokenIssueTime",
        r#""2020-01-01""#,
        &[(Some("yesterday"), false)],
    );
}

// ---------------------------------------------------------------------------------------------
// Bool, BinaryEquals
// ---------------------------------------------------------------------------------------------

#[test]
fn bool_operator() {
    table(
        "Bool",
        "aws:SecureTransport",
        r#""true""#,
        &[
            (Some("true"), true),
            (Some("TRUE"), true),
            (Some("false"), false),
            (Some("yes"), false),
            (None, false),
        ],
    );
    table(
        "Bool",
        "aws:SecureTransport",
        "false",
        &[(Some("false"), true), (Some("true"), false)],
    );
    table(
        "BoolIfExists",
        "aws:SecureTransport",
        "false",
        &[(None, true), (Some("false"), true), (Some("true"), false)],
    );
}

#[test]
fn binary_equals() {
    table(
        "BinaryEquals",
        "s3:x-amz-content",
        r#""QmluYXJ5VmFsdWU=""#,
        &[
            (Some("QmluYXJ5VmFsdWU="), true),
            (Some("QmluYXJ5VmFsdWF="), false),
            (None, false),
        ],
    );
    table(
        "BinaryEqualsIfExists",
        "s3:x-amz-content",
        r#""QmluYXJ5VmFsdWU=""#,
        &[
            (None, true),
            (Some("QmluYXJ5VmFsdWU="), true),
            (Some("AAAA"), false),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// IpAddress, NotIpAddress
// ---------------------------------------------------------------------------------------------

#[test]
fn ip_address_v4() {
    table(
        "IpAddress",
        "aws:SourceIp",
        r#"["203.0.113.0/24", "10.1.2.3"]"#,
        &[
            (Some("203.0.113.0"), true),
            (Some("203.0.113.255"), true),
            (Some("203.0.114.1"), false),
            (Some("10.1.2.3"), true),
            (Some("10.1.2.4"), false),
            (Some("2001:db8::1"), false),
            (Some("not-an-ip"), false),
            (None, false),
        ],
    );
}

#[test]
fn ip_address_v6() {
    table(
        "IpAddress",
        "aws:SourceIp",
        r#""2001:db8::/32""#,
        &[
            (Some("2001:db8::17"), true),
            (Some("2001:DB8:ffff::1"), true),
            (Some("2001:db9::1"), false),
            (Some("203.0.113.1"), false),
        ],
    );
}

#[test]
fn not_ip_address_v4_and_v6() {
    table(
        "NotIpAddress",
        "aws:SourceIp",
        r#"["203.0.113.0/24", "2001:db8::/32"]"#,
        &[
            (Some("203.0.113.7"), false),
            (Some("2001:db8::1"), false),
            (Some("198.51.100.1"), true),
            (Some("2001:db9::1"), true),
            (None, true),
            // An unreadable address fails closed, negated or not.
            (Some("not-an-ip"), false),
        ],
    );
}

#[test]
fn ip_operators_if_exists() {
    table(
        "IpAddressIfExists",
        "aws:SourceIp",
        r#""10.0.0.0/8""#,
        &[
            (None, true),
            (Some("10.9.9.9"), true),
            (Some("11.0.0.1"), false),
        ],
    );
    table(
        "NotIpAddressIfExists",
        "aws:SourceIp",
        r#""10.0.0.0/8""#,
        &[
            (None, true),
            (Some("10.9.9.9"), false),
            (Some("11.0.0.1"), true),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// ARN operators
// ---------------------------------------------------------------------------------------------

const ROLE: &str = "arn:aws:iam::123456789012:role/admin";

#[test]
fn arn_equals_and_like() {
    for op in ["ArnEquals", "ArnLike"] {
        table(
            op,
            "aws:SourceArn",
            r#"["arn:aws:iam::123456789012:role/admin", "arn:aws:s3:::bucket-*"]"#,
            &[
                (Some(ROLE), true),
                (Some("arn:aws:iam::123456789012:role/Admin"), false),
                (Some("arn:aws:s3:::bucket-logs"), true),
                (Some("arn:aws:s3:::other"), false),
                (Some("not-an-arn"), false),
                (None, false),
            ],
        );
    }
    // A wildcard does not cross the colons between the first five components.
    table(
        "ArnLike",
        "aws:SourceArn",
        r#""arn:aws:iam::*:role/*""#,
        &[
            (Some(ROLE), true),
            (Some("arn:aws:iam::123456789012:user/admin"), false),
        ],
    );
}

#[test]
fn arn_not_equals_and_not_like() {
    for op in ["ArnNotEquals", "ArnNotLike"] {
        table(
            op,
            "aws:SourceArn",
            r#""arn:aws:iam::*:role/admin""#,
            &[
                (Some(ROLE), false),
                (Some("arn:aws:iam::123456789012:role/dev"), true),
                (None, true),
                // Not an ARN: fail closed.
                (Some("not-an-arn"), false),
            ],
        );
    }
}

#[test]
fn arn_operators_if_exists() {
    for (op, on_match) in [
        ("ArnEqualsIfExists", true),
        ("ArnLikeIfExists", true),
        ("ArnNotEqualsIfExists", false),
        ("ArnNotLikeIfExists", false),
    ] {
        table(
            op,
            "aws:SourceArn",
            r#""arn:aws:iam::*:role/admin""#,
            &[
                (None, true),
                (Some(ROLE), on_match),
                (Some("arn:aws:iam::1:role/dev"), !on_match),
            ],
        );
    }
}

#[test]
fn arn_patterns_with_too_many_wildcards_are_rejected_not_ignored() {
    // 32 `?` and a `*`: 34 pieces. StringLike matches such a pattern; an ARN operator refuses it
    // at compile time (it would otherwise never match, and ArnNotLike would always hold).
    let pattern = format!("arn:aws:s3:::{}*", "?".repeat(32));
    let value = format!("arn:aws:s3:::{}-logs", "b".repeat(32));
    let like = cond_policy("StringLike", "aws:SourceArn", &format!("\"{pattern}\""));
    assert!(holds_str(&like, "aws:SourceArn", Some(&value)));
    for op in ["ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"] {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"x:Y","Resource":"*","Condition":{{"{op}":{{"aws:SourceArn":"{pattern}"}}}}}}]}}"#
        );
        let err = tagpolicy_compiler::load_policy("p.json", &text).expect_err(op);
        assert!(
            err.to_string()
                .contains("too many wildcards and variables (at most 32 pieces)"),
            "{op}: {err}"
        );
    }
    // 31 wildcards fit and match.
    let fits = format!("arn:aws:s3:::{}*", "?".repeat(29));
    let arn_like = cond_policy("ArnLike", "aws:SourceArn", &format!("\"{fits}\""));
    assert!(holds_str(&arn_like, "aws:SourceArn", Some(&value)));
}

// ---------------------------------------------------------------------------------------------
// Null
// ---------------------------------------------------------------------------------------------

#[test]
fn null_operator() {
    table(
        "Null",
        "aws:TokenIssueTime",
        r#""true""#,
        &[(None, true), (Some("x"), false), (Some(""), false)],
    );
    table(
        "Null",
        "aws:TokenIssueTime",
        "false",
        &[(None, false), (Some("x"), true)],
    );
    let p = cond_policy("Null", "aws:TagKeys", "true");
    assert!(
        holds(&p, &[("aws:TagKeys", Value::List(&[]))]),
        "empty list counts as missing"
    );
    assert!(!holds(&p, &[("aws:TagKeys", Value::List(&["a"]))]));
}

// ---------------------------------------------------------------------------------------------
// ForAllValues / ForAnyValue
// ---------------------------------------------------------------------------------------------

fn holds_list(policy: &RuntimePolicy, key: &str, list: &[&str]) -> bool {
    holds(policy, &[(key, Value::List(list))])
}

#[test]
fn for_all_values() {
    let p = cond_policy(
        "ForAllValues:StringEquals",
        "aws:TagKeys",
        r#"["Owner", "Environment"]"#,
    );
    assert!(holds_list(&p, "aws:TagKeys", &["Owner"]));
    assert!(holds_list(&p, "aws:TagKeys", &["Owner", "Environment"]));
    assert!(!holds_list(&p, "aws:TagKeys", &["Owner", "CostCenter"]));
    assert!(
        !holds_list(&p, "aws:TagKeys", &["owner"]),
        "values are case-sensitive"
    );
    // A single value is a one-element set.
    assert!(holds_str(&p, "aws:TagKeys", Some("Owner")));

    let p = cond_policy("ForAllValues:StringLike", "aws:TagKeys", r#""team-*""#);
    assert!(holds_list(&p, "aws:TagKeys", &["team-a", "team-b"]));
    assert!(!holds_list(&p, "aws:TagKeys", &["team-a", "cost"]));

    // Negated: no value may equal any policy value.
    let p = cond_policy("ForAllValues:StringNotEquals", "aws:TagKeys", r#""Secret""#);
    assert!(holds_list(&p, "aws:TagKeys", &["a", "b"]));
    assert!(!holds_list(&p, "aws:TagKeys", &["a", "Secret"]));
}

#[test]
fn for_any_value() {
    let p = cond_policy(
        "ForAnyValue:StringEquals",
        "aws:TagKeys",
        r#"["Owner", "Team"]"#,
    );
    assert!(holds_list(&p, "aws:TagKeys", &["Cost", "Team"]));
    assert!(!holds_list(&p, "aws:TagKeys", &["Cost", "Env"]));
    assert!(!holds_list(&p, "aws:TagKeys", &[]));

    // Negated: some value equals none of the policy values.
    let p = cond_policy("ForAnyValue:StringNotEquals", "aws:TagKeys", r#""Owner""#);
    assert!(holds_list(&p, "aws:TagKeys", &["Owner", "Cost"]));
    assert!(!holds_list(&p, "aws:TagKeys", &["Owner"]));

    let p = cond_policy("ForAnyValue:NumericGreaterThan", "s3:sizes", "100");
    assert!(holds_list(&p, "s3:sizes", &["x", "5", "500"]));
    assert!(!holds_list(&p, "s3:sizes", &["x", "5"]));
}

#[test]
fn set_qualifiers_with_if_exists() {
    let p = cond_policy(
        "ForAnyValue:StringEqualsIfExists",
        "aws:TagKeys",
        r#""Owner""#,
    );
    assert!(holds(&p, &[]), "missing key, IfExists: true");
    assert!(holds_list(&p, "aws:TagKeys", &["Owner"]));
    assert!(!holds_list(&p, "aws:TagKeys", &["Team"]));
}

// ---------------------------------------------------------------------------------------------
// The traps, one test each
// ---------------------------------------------------------------------------------------------

#[test]
fn for_all_values_on_a_missing_key_is_true() {
    let p = cond_policy("ForAllValues:StringEquals", "aws:TagKeys", r#""Owner""#);
    assert!(holds(&p, &[]));
}

#[test]
fn for_all_values_on_an_empty_list_is_true() {
    let p = cond_policy("ForAllValues:StringEquals", "aws:TagKeys", r#""Owner""#);
    assert!(holds_list(&p, "aws:TagKeys", &[]));
}

#[test]
fn for_any_value_on_a_missing_key_is_false() {
    let p = cond_policy("ForAnyValue:StringEquals", "aws:TagKeys", r#""Owner""#);
    assert!(!holds(&p, &[]));
    let p = cond_policy("ForAnyValue:StringNotEquals", "aws:TagKeys", r#""Owner""#);
    assert!(
        !holds(&p, &[]),
        "negated ForAnyValue on a missing key is false too"
    );
}

#[test]
fn negated_operators_on_a_missing_key_are_true() {
    for (op, value) in [
        ("StringNotEquals", r#""a""#),
        ("StringNotEqualsIgnoreCase", r#""a""#),
        ("StringNotLike", r#""a*""#),
        ("NumericNotEquals", "1"),
        ("DateNotEquals", r#""2020-01-01""#),
        ("NotIpAddress", r#""10.0.0.0/8""#),
        ("ArnNotEquals", r#""arn:aws:iam::1:role/a""#),
        ("ArnNotLike", r#""arn:aws:iam::*:role/*""#),
    ] {
        let p = cond_policy(op, "my:key", value);
        assert!(holds(&p, &[]), "{op} on a missing key must hold");
        // Other keys in the request change nothing.
        assert!(holds(&p, &[("my:other", Value::Str("a"))]), "{op}");
    }
}

#[test]
fn an_unresolvable_variable_fails_the_match_even_in_a_negated_operator() {
    let p = cond_policy(
        "StringNotEquals",
        "aws:ResourceTag/Owner",
        r#""${aws:username}""#,
    );
    // The key is present, `aws:username` is not: the condition cannot be decided, so it fails.
    assert!(!holds(&p, &[("aws:ResourceTag/Owner", Value::Str("bob"))]));
    // With the variable, the operator works as usual.
    assert!(holds(
        &p,
        &[
            ("aws:ResourceTag/Owner", Value::Str("bob")),
            ("aws:username", Value::Str("alice")),
        ]
    ));
    assert!(!holds(
        &p,
        &[
            ("aws:ResourceTag/Owner", Value::Str("alice")),
            ("aws:username", Value::Str("alice")),
        ]
    ));
    // A positive operator fails too.
    let p = cond_policy(
        "StringEquals",
        "aws:ResourceTag/Owner",
        r#""${aws:username}""#,
    );
    assert!(!holds(
        &p,
        &[("aws:ResourceTag/Owner", Value::Str("${aws:username}"))]
    ));
    // A multi-valued key is never a variable.
    let p = cond_policy("StringEquals", "aws:ResourceTag/Owner", r#""${my:list}""#);
    assert!(!holds(
        &p,
        &[
            ("aws:ResourceTag/Owner", Value::Str("a")),
            ("my:list", Value::List(&["a"])),
        ]
    ));
}

#[test]
fn an_unresolvable_variable_in_a_resource_fails_the_match() {
    let p = load_policy(
        "r.json",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"},
            {"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::home/${aws:username}/*"}]}"#,
    )
    .unwrap();
    let res = "arn:aws:s3:::home/alice/notes";
    let alice = [("aws:username", Value::Str("alice"))];
    let bob = [("aws:username", Value::Str("bob"))];
    assert!(allowed(
        &p,
        &Request::new("s3:GetObject", res).with_context(&alice)
    ));
    assert!(!allowed(
        &p,
        &Request::new("s3:GetObject", res).with_context(&bob)
    ));
    assert!(!allowed(&p, &Request::new("s3:GetObject", res)));
    assert!(allowed(
        &p,
        &Request::new("s3:PutObject", res).with_context(&bob)
    ));
    assert!(!allowed(
        &p,
        &Request::new("s3:PutObject", res).with_context(&alice)
    ));
    assert!(
        !allowed(&p, &Request::new("s3:PutObject", res)),
        "NotResource with no value: no match"
    );
}

#[test]
fn a_variable_default_is_used() {
    let p = cond_policy(
        "StringEquals",
        "aws:ResourceTag/team",
        r#""${aws:PrincipalTag/team, 'none'}""#,
    );
    assert!(holds(&p, &[("aws:ResourceTag/team", Value::Str("none"))]));
    // With a value, the default is not used.
    assert!(!holds(
        &p,
        &[
            ("aws:ResourceTag/team", Value::Str("none")),
            ("aws:PrincipalTag/team", Value::Str("eng")),
        ]
    ));
    assert!(holds(
        &p,
        &[
            ("aws:ResourceTag/team", Value::Str("eng")),
            ("aws:PrincipalTag/team", Value::Str("eng")),
        ]
    ));
    // An empty default is a default too.
    let p = cond_policy("StringEquals", "my:key", r#""x-${my:var, ''}""#);
    assert!(holds(&p, &[("my:key", Value::Str("x-"))]));
    // And in a resource, with principal tags.
    let p = load_policy(
        "q.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage",
            "Resource":"arn:aws:sqs:*:1:${aws:PrincipalTag/team, 'unassigned'}-*"}]}"#,
    )
    .unwrap();
    assert!(allowed(
        &p,
        &Request::new("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:unassigned-q")
    ));
    let tags: [Tag<'_>; 1] = [("Team", "payments")];
    let req = Request::new("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:payments-q")
        .with_principal_tags(&tags);
    assert!(allowed(&p, &req));
    let req = Request::new("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:unassigned-q")
        .with_principal_tags(&tags);
    assert!(!allowed(&p, &req));
}

#[test]
fn star_escape_in_string_like_is_a_literal_star() {
    let p = cond_policy("StringLike", "s3:prefix", r#""a${*}b""#);
    assert!(holds_str(&p, "s3:prefix", Some("a*b")));
    assert!(!holds_str(&p, "s3:prefix", Some("axb")));
    assert!(!holds_str(&p, "s3:prefix", Some("ab")));
    let p = cond_policy("StringLike", "s3:prefix", r#""${*}""#);
    assert!(holds_str(&p, "s3:prefix", Some("*")));
    assert!(!holds_str(&p, "s3:prefix", Some("anything")));
    let p = cond_policy("StringLike", "s3:prefix", r#""q${?}-${$}*""#);
    assert!(holds_str(&p, "s3:prefix", Some("q?-$tail")));
    assert!(!holds_str(&p, "s3:prefix", Some("qx-$tail")));
}

#[test]
fn a_variable_value_containing_a_star_is_literal_in_string_like() {
    let p = cond_policy("StringLike", "s3:prefix", r#""home/${aws:username}/*""#);
    let ctx = |prefix| {
        [
            ("aws:username", Value::Str("a*")),
            ("s3:prefix", Value::Str(prefix)),
        ]
    };
    assert!(holds(&p, &ctx("home/a*/notes")));
    assert!(
        !holds(&p, &ctx("home/alice/notes")),
        "`*` from a variable is not a wildcard"
    );
    let ctx = |prefix| {
        [
            ("aws:username", Value::Str("?")),
            ("s3:prefix", Value::Str(prefix)),
        ]
    };
    assert!(
        !holds(&p, &ctx("home/x/notes")),
        "`?` from a variable is not a wildcard"
    );
    // Same in a resource.
    let p = load_policy(
        "r.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#,
    )
    .unwrap();
    let star = [("aws:username", Value::Str("*"))];
    assert!(!allowed(
        &p,
        &Request::new("s3:GetObject", "arn:aws:s3:::home/alice/x").with_context(&star)
    ));
    assert!(allowed(
        &p,
        &Request::new("s3:GetObject", "arn:aws:s3:::home/*/x").with_context(&star)
    ));
}

#[test]
fn version_2008_leaves_variables_literal() {
    for version in [Some("2008-10-17"), None] {
        let p = cond_policy_version(
            version,
            "StringEquals",
            "aws:ResourceTag/Owner",
            r#""${aws:username}""#,
        );
        let alice = [
            ("aws:ResourceTag/Owner", Value::Str("alice")),
            ("aws:username", Value::Str("alice")),
        ];
        assert!(!holds(&p, &alice), "{version:?}: no substitution");
        assert!(
            holds(
                &p,
                &[("aws:ResourceTag/Owner", Value::Str("${aws:username}"))]
            ),
            "{version:?}: the text is compared literally"
        );
        // Without variables there is no default syntax either, and `${*}` is text whose `*` is a
        // wildcard in StringLike.
        let p = cond_policy_version(version, "StringLike", "s3:prefix", r#""${*}""#);
        assert!(
            holds_str(&p, "s3:prefix", Some("${anything}")),
            "{version:?}"
        );
        assert!(!holds_str(&p, "s3:prefix", Some("*")), "{version:?}");
    }
}

#[test]
fn tag_keys_match_case_insensitively_between_policy_and_request_context() {
    let p = cond_policy("StringEquals", "aws:ResourceTag/Owner", r#""alice""#);
    assert!(holds(&p, &[("aws:resourcetag/OWNER", Value::Str("alice"))]));
    assert!(holds(&p, &[("AWS:RESOURCETAG/owner", Value::Str("alice"))]));
    assert!(
        !holds(&p, &[("aws:resourcetag/OWNER", Value::Str("Alice"))]),
        "values stay case-sensitive"
    );
}

#[test]
fn tag_keys_match_case_insensitively_via_with_resource_tags() {
    let p = cond_policy("StringEquals", "aws:ResourceTag/Owner", r#""alice""#);
    for key in ["OWNER", "owner", "Owner", "oWnEr"] {
        let tags: [Tag<'_>; 1] = [(key, "alice")];
        assert!(
            allowed(&p, &Request::new("x:Y", "*").with_resource_tags(&tags)),
            "resource tag {key}"
        );
    }
    // Other tag families do not feed aws:ResourceTag.
    let tags: [Tag<'_>; 1] = [("Owner", "alice")];
    assert!(!allowed(
        &p,
        &Request::new("x:Y", "*").with_principal_tags(&tags)
    ));
    assert!(!allowed(
        &p,
        &Request::new("x:Y", "*").with_request_tags(&tags)
    ));
    // Principal and request tags feed their own keys.
    let p = cond_policy("StringEquals", "aws:PrincipalTag/Team", r#""eng""#);
    let tags: [Tag<'_>; 1] = [("TEAM", "eng")];
    assert!(allowed(
        &p,
        &Request::new("x:Y", "*").with_principal_tags(&tags)
    ));
    let p = cond_policy("StringEquals", "aws:RequestTag/Team", r#""eng""#);
    assert!(allowed(
        &p,
        &Request::new("x:Y", "*").with_request_tags(&tags)
    ));
}

#[test]
fn ordinary_condition_key_names_are_case_insensitive() {
    let p = cond_policy("StringEquals", "aws:username", r#""alice""#);
    assert!(holds(&p, &[("AWS:UserName", Value::Str("alice"))]));
}

fn simple_policy(statements: &str) -> RuntimePolicy {
    load_policy(
        "p.json",
        &format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#),
    )
    .unwrap()
}

#[test]
fn action_names_match_case_insensitively() {
    let p = simple_policy(
        r#"{"Effect":"Allow","Action":["S3:GetObject","ec2:describe*","iam:?etUser"],"Resource":"*"}"#,
    );
    for action in [
        "s3:getobject",
        "S3:GETOBJECT",
        "s3:GetObject",
        "EC2:DescribeInstances",
        "ec2:DESCRIBEVPCS",
        "IAM:GETUSER",
    ] {
        assert!(allowed(&p, &Request::new(action, "*")), "{action}");
    }
    for action in [
        "s3:GetObjects",
        "s3:PutObject",
        "ec2:StartInstances",
        "iam:GetUsers",
    ] {
        assert!(!allowed(&p, &Request::new(action, "*")), "{action}");
    }
}

#[test]
fn resource_arns_match_case_sensitively() {
    let p = simple_policy(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::Bucket/*"}"#,
    );
    assert!(allowed(
        &p,
        &Request::new("s3:GetObject", "arn:aws:s3:::Bucket/a/b:c")
    ));
    assert!(!allowed(
        &p,
        &Request::new("s3:GetObject", "arn:aws:s3:::bucket/a")
    ));
    assert!(!allowed(
        &p,
        &Request::new("s3:GetObject", "ARN:AWS:S3:::Bucket/a")
    ));
}

#[test]
fn not_action() {
    let p = simple_policy(
        r#"{"Effect":"Allow","NotAction":["iam:*","s3:DeleteBucket"],"Resource":"*"}"#,
    );
    assert!(allowed(&p, &Request::new("s3:GetObject", "*")));
    assert!(allowed(&p, &Request::new("ec2:StartInstances", "*")));
    assert!(!allowed(&p, &Request::new("iam:CreateUser", "*")));
    assert!(
        !allowed(&p, &Request::new("s3:deletebucket", "*")),
        "case-insensitive"
    );
    assert!(!allowed(&p, &Request::new("IAM:CreateUser", "*")));
}

#[test]
fn not_resource() {
    let p = simple_policy(
        r#"{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret/*","arn:aws:s3:::audit"]}"#,
    );
    assert!(allowed(
        &p,
        &Request::new("s3:GetObject", "arn:aws:s3:::public/a")
    ));
    assert!(!allowed(
        &p,
        &Request::new("s3:GetObject", "arn:aws:s3:::secret/a")
    ));
    assert!(!allowed(
        &p,
        &Request::new("s3:GetObject", "arn:aws:s3:::audit")
    ));
    assert!(
        allowed(&p, &Request::new("s3:GetObject", "arn:aws:s3:::Secret/a")),
        "case-sensitive"
    );
}

#[test]
fn explicit_deny_beats_allow_and_names_the_deny_statement() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowAll","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Other","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},
        {"Sid":"NoProd","Effect":"Deny","Action":"ec2:*","Resource":"*",
         "Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}},
        {"Sid":"AllowToo","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    let sa = tagpolicy_compiler::Source::new("a.json", a);
    let sb = tagpolicy_compiler::Source::new("b.json", b);
    let ja = tagpolicy_compiler::parse_json(&sa).unwrap();
    let jb = tagpolicy_compiler::parse_json(&sb).unwrap();
    let compiled = tagpolicy_compiler::compile_policies(&[(&sa, &ja), (&sb, &jb)]).unwrap();
    let p = RuntimePolicy::new(compiled.ir);

    let prod: [Tag<'_>; 1] = [("Env", "prod")];
    let req = Request::new("ec2:StopInstances", "*").with_resource_tags(&prod);
    assert_eq!(
        p.evaluate(&req),
        Decision::Deny(StatementRef {
            policy: 1,
            statement: 1,
            sid: Some("NoProd"),
        })
    );
    let dev: [Tag<'_>; 1] = [("Env", "dev")];
    let req = Request::new("ec2:StopInstances", "*").with_resource_tags(&dev);
    assert_eq!(
        p.evaluate(&req),
        Decision::Allow(StatementRef {
            policy: 0,
            statement: 0,
            sid: Some("AllowAll"),
        }),
        "the first applicable Allow is named"
    );
    assert_eq!(
        p.evaluate(&Request::new("s3:DeleteBucket", "x"))
            .statement()
            .map(|s| (s.policy, s.statement)),
        Some((1, 0))
    );
    assert!(matches!(
        p.evaluate(&Request::new("s3:DeleteBucket", "x")),
        Decision::Deny(_)
    ));

    let none = simple_policy(r#"{"Effect":"Allow","Action":"a:B","Resource":"*"}"#);
    assert_eq!(
        none.evaluate(&Request::new("x:Y", "*")),
        Decision::ImplicitDeny
    );
}

#[test]
fn current_time_comes_from_with_time() {
    let p = cond_policy(
        "DateLessThan",
        "aws:CurrentTime",
        r#""2030-01-01T00:00:00Z""#,
    );
    let req = Request::new("x:Y", "*");
    assert!(allowed(&p, &req.with_time(ts("2026-11-22T10:00:00Z"))));
    assert!(!allowed(&p, &req.with_time(ts("2031-01-01T00:00:00Z"))));
    assert!(!allowed(&p, &req), "no time: the key is missing");
    // A context value wins over the request's time.
    let ctx = [("aws:CurrentTime", Value::Str("2035-01-01T00:00:00Z"))];
    assert!(!allowed(
        &p,
        &req.with_context(&ctx).with_time(ts("2026-01-01T00:00:00Z"))
    ));
    // aws:EpochTime too, in seconds.
    let p = cond_policy("NumericGreaterThanEquals", "aws:EpochTime", "1577836800");
    assert!(allowed(&p, &req.with_time(ts("2020-01-01T00:00:00Z"))));
    assert!(!allowed(&p, &req.with_time(ts("2019-12-31T23:59:59Z"))));
}

#[test]
fn tag_keys_come_from_with_request_tags() {
    let p = cond_policy(
        "ForAllValues:StringEquals",
        "aws:TagKeys",
        r#"["Owner", "Env"]"#,
    );
    let ok: [Tag<'_>; 2] = [("Owner", "alice"), ("Env", "dev")];
    let extra: [Tag<'_>; 2] = [("Owner", "alice"), ("Cost", "1")];
    let req = Request::new("x:Y", "*");
    assert!(allowed(&p, &req.with_request_tags(&ok)));
    assert!(!allowed(&p, &req.with_request_tags(&extra)));
    let p = cond_policy("ForAnyValue:StringEquals", "aws:TagKeys", r#""Cost""#);
    assert!(allowed(&p, &req.with_request_tags(&extra)));
    assert!(!allowed(&p, &req.with_request_tags(&ok)));
    assert!(!allowed(&p, &req), "no request tags: missing");
}

#[test]
fn a_list_value_with_an_unqualified_operator_never_matches() {
    for (op, value) in [
        ("StringEquals", r#""a""#),
        ("StringNotEquals", r#""b""#),
        ("StringLike", r#""*""#),
        ("StringNotLike", r#""b*""#),
        ("StringEqualsIfExists", r#""a""#),
    ] {
        let p = cond_policy(op, "my:key", value);
        assert!(!holds_list(&p, "my:key", &["a"]), "{op} with [\"a\"]");
        assert!(
            !holds_list(&p, "my:key", &["a", "a"]),
            "{op} with [\"a\", \"a\"]"
        );
    }
    // aws:TagKeys from request tags is a list too.
    let p = cond_policy("StringEquals", "aws:TagKeys", r#""Owner""#);
    let tags: [Tag<'_>; 1] = [("Owner", "x")];
    assert!(!allowed(
        &p,
        &Request::new("x:Y", "*").with_request_tags(&tags)
    ));
}

#[test]
fn typed_request_values_work_with_their_operators() {
    let p = cond_policy("NumericLessThan", "s3:max-keys", "10");
    assert!(holds(&p, &[("s3:max-keys", Value::Number(9.5))]));
    assert!(!holds(&p, &[("s3:max-keys", Value::Number(10.0))]));
    assert!(!holds(&p, &[("s3:max-keys", Value::Number(f64::NAN))]));

    let p = cond_policy("Bool", "aws:MultiFactorAuthPresent", "true");
    assert!(holds(
        &p,
        &[("aws:MultiFactorAuthPresent", Value::Bool(true))]
    ));
    assert!(!holds(
        &p,
        &[("aws:MultiFactorAuthPresent", Value::Bool(false))]
    ));

    let p = cond_policy(
        "IpAddress",
        "aws:SourceIp",
        r#"["203.0.113.0/24", "2001:db8::/32"]"#,
    );
    let v4 = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
    let v4_out = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9));
    let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    assert!(holds(&p, &[("aws:SourceIp", Value::Ip(v4))]));
    assert!(holds(&p, &[("aws:SourceIp", Value::Ip(v6))]));
    assert!(!holds(&p, &[("aws:SourceIp", Value::Ip(v4_out))]));
    let p = cond_policy("NotIpAddress", "aws:SourceIp", r#""203.0.113.0/24""#);
    assert!(!holds(&p, &[("aws:SourceIp", Value::Ip(v4))]));
    assert!(holds(&p, &[("aws:SourceIp", Value::Ip(v4_out))]));

    let p = cond_policy(
        "DateGreaterThan",
        "aws:TokenIssueTime",
        r#""2020-01-01T00:00:00Z""#,
    );
    assert!(holds(
        &p,
        &[(
            "aws:TokenIssueTime",
            Value::Time(ts("2020-01-01T00:00:01Z"))
        )]
    ));
    assert!(!holds(
        &p,
        &[(
            "aws:TokenIssueTime",
            Value::Time(ts("2020-01-01T00:00:00Z"))
        )]
    ));
    // Epoch seconds as a number.
    assert!(holds(
        &p,
        &[("aws:TokenIssueTime", Value::Number(1_577_836_801.0))]
    ));
    assert!(!holds(
        &p,
        &[("aws:TokenIssueTime", Value::Number(1_577_836_800.0))]
    ));

    // A typed value that is not text does not match a string operator, negated or not.
    let p = cond_policy("StringNotEquals", "s3:max-keys", r#""10""#);
    assert!(!holds(&p, &[("s3:max-keys", Value::Number(11.0))]));
}

#[test]
fn service_tag_keys_name_the_same_tag_as_aws_tag_keys() {
    // `iam:ResourceTag/status` is the resource's `status` tag: request tag sets feed it, and a
    // context entry under either spelling sets both.
    let p = cond_policy("StringEquals", "iam:ResourceTag/status", r#""active""#);
    let tags = [("Status", "active")];
    let req = Request::new("x:Y", "arn:x:::r").with_resource_tags(&tags);
    assert!(p.evaluate(&req).is_allowed(), "fed by with_resource_tags");
    let ctx = [("aws:ResourceTag/status", Value::Str("active"))];
    assert!(p
        .evaluate(&Request::new("x:Y", "arn:x:::r").with_context(&ctx))
        .is_allowed());
    let ctx = [("iam:resourcetag/STATUS", Value::Str("retired"))];
    assert!(!p
        .evaluate(&Request::new("x:Y", "arn:x:::r").with_context(&ctx))
        .is_allowed());
}
