//! Permission sets and their JSON Logic conditions: errors with positions, and the lints.

use tagpolicy_compiler::{check_permission_set, parse_json, Diagnostic, Source};

fn check(text: &str) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let source = Source::new("perms.json", text);
    let json = parse_json(&source).map_err(|e| e.0)?;
    check_permission_set(&source, &json)
        .map(|(_, warnings)| warnings)
        .map_err(|e| e.0)
}

fn errors(text: &str) -> Vec<String> {
    match check(text) {
        Ok(w) => panic!("expected errors, got warnings only: {w:?}"),
        Err(e) => e.iter().map(|d| d.to_string()).collect(),
    }
}

fn warnings(text: &str) -> Vec<String> {
    match check(text) {
        Ok(w) => w.iter().map(|d| d.to_string()).collect(),
        Err(e) => panic!("expected no errors: {e:?}"),
    }
}

fn has(list: &[String], needle: &str) -> bool {
    list.iter().any(|l| l.contains(needle))
}

#[test]
fn a_clean_set_has_no_diagnostics() {
    let w = warnings(
        r#"{ "roles": { "reader": ["doc:read"] },
  "permissions": [ { "key": "doc:read", "action": "read", "resource_type": "document",
    "logic": { "in": [ { "var": "resource.meta.department" }, { "var": "subject.tags.departments" } ] } } ] }"#,
    );
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn unknown_operator_is_an_error_at_its_key() {
    let e = errors(
        r#"{ "roles": { "r": ["k"] },
  "permissions": [ { "key": "k", "action": "a", "resource_type": "t",
                     "logic": { "inn": [1, [1]] } } ] }"#,
    );
    assert!(
        has(
            &e,
            "perms.json:3:33: error: unknown JSON Logic operator `inn`"
        ),
        "{e:?}"
    );
    assert!(has(&e, "did you mean `in`?"), "{e:?}");
}

#[test]
fn structural_errors_name_their_position() {
    let e = errors(
        r#"{ "roles": { "r": ["k", 5] },
  "permissions": [
    "not an object",
    { "key": "k", "action": "", "resource_type": "t" },
    { "key": "k", "action": "a", "resource_type": "t", "actoin": "x" },
    { "key": "k", "action": "a", "resource_type": "t" },
    { "key": "m", "action": "a" }
  ],
  "extra": 1 }"#,
    );
    for needle in [
        "perms.json:1:25: error: a permission key must be a string, found number",
        "perms.json:3:5: error: a permission must be an object, found string",
        "perms.json:4:29: error: permission `action` is empty",
        "perms.json:5:56: error: unknown permission field `actoin`",
        "perms.json:6:14: error: permission `k` is defined twice",
        "perms.json:7:5: error: permission has no `resource_type`",
        "perms.json:9:3: error: unknown permission-set element `extra`",
    ] {
        assert!(has(&e, needle), "missing {needle:?} in {e:#?}");
    }
}

#[test]
fn undefined_and_unused_keys_are_warnings() {
    let w = warnings(
        r#"{ "roles": { "r": ["doc:reed"] },
  "permissions": [ { "key": "doc:read", "action": "read", "resource_type": "document" } ] }"#,
    );
    assert!(
        has(
            &w,
            "perms.json:1:20: warning: role `r` grants permission `doc:reed`, which is not defined"
        ),
        "{w:?}"
    );
    assert!(has(&w, "did you mean `doc:read`?"), "{w:?}");
    assert!(
        has(&w, "warning: permission `doc:read` is granted by no role"),
        "{w:?}"
    );
}

#[test]
fn the_iterator_scoping_trap_is_reported_with_a_working_form() {
    let w = warnings(
        r#"{ "roles": { "r": ["k"] },
  "permissions": [ { "key": "k", "action": "read", "resource_type": "document",
    "logic": { "some": [ { "var": "resource.tags.departments" },
                         { "in": [ { "var": "" }, { "var": "subject.tags.departments" } ] } ] } } ] }"#,
    );
    assert!(
        has(&w, "perms.json:4:51: warning: `{\"var\": \"subject.tags.departments\"}` inside `some` reads the current element, not the request: it is always null here"),
        "{w:?}"
    );
    assert!(
        has(&w, "\"reduce\": [{\"var\": \"resource.tags.departments\"}"),
        "{w:?}"
    );
}

#[test]
fn comparison_lints() {
    let w = warnings(
        r#"{ "roles": { "r": ["k"] },
  "permissions": [ { "key": "k", "action": "read", "resource_type": "document",
    "logic": { "and": [ { "===": ["1", 1] }, { "==": [ { "var": "subject.meta.dept" }, ["a", "b"] ] } ] } } ] }"#,
    );
    assert!(
        has(
            &w,
            "`===` compares a string literal with a number literal: it is always false"
        ),
        "{w:?}"
    );
    assert!(
        has(
            &w,
            "`==` against a list literal compares with the whole list, not its elements"
        ),
        "{w:?}"
    );
}

#[test]
fn iterators_need_a_body() {
    let e = errors(
        r#"{ "roles": { "r": ["k"] },
  "permissions": [ { "key": "k", "action": "read", "resource_type": "document",
    "logic": { "some": [ { "var": "resource.tags.x" } ] } } ] }"#,
    );
    assert!(
        has(
            &e,
            "error: `some` needs an array and a rule to apply to each element"
        ),
        "{e:?}"
    );
}
