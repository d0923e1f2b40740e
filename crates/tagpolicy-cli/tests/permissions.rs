//! `tagpolicy check` and `eval` on permission sets (the example in examples/permissions).

use std::process::Command;

fn tagpolicy(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tagpolicy"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("tagpolicy runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_example_permission_set_checks_clean() {
    let (code, stdout, stderr) = tagpolicy(&["check", "examples/permissions/documents.json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("0 errors, 0 warnings"), "{stdout}{stderr}");
}

#[test]
fn eval_decides_permission_requests_and_names_permission_and_roles() {
    let (code, stdout, stderr) = tagpolicy(&[
        "eval",
        "--policy",
        "examples/permissions/documents.json",
        "--request",
        "examples/permissions/requests.json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "Allow u-jane: read document doc-17: permission `document:read:dept` granted by role reader",
            "Deny  u-jane: read document doc-18: no permission of the subject's roles allows it",
            "Allow u-kim: edit document doc-18: permission `document:edit:own` granted by role editor",
            "Deny  u-kim: edit document doc-19: no permission of the subject's roles allows it",
            "Allow u-ada: read document doc-20: permission `document:read:any-confidential` granted by role auditor",
            "Deny  u-ada: read document doc-20: no permission of the subject's roles allows it",
        ]
    );
    let (code, stdout, _) = tagpolicy(&[
        "eval",
        "--json",
        "--policy",
        "examples/permissions/documents.json",
        "--request",
        "examples/permissions/requests.json",
    ]);
    assert_eq!(code, 0);
    let first: serde_json::Value =
        serde_json::from_str(stdout.lines().next().expect("a line")).expect("JSON");
    assert_eq!(first["decision"], "Allow");
    assert_eq!(first["permission"], "document:read:dept");
    assert_eq!(first["roles"], serde_json::json!(["reader"]));
}

#[test]
fn check_reports_permission_set_errors_with_positions() {
    let dir = std::env::temp_dir().join(format!("tagpolicy-perm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        r#"{ "roles": { "r": ["k"] },
  "permissions": [ { "key": "k", "action": "read", "resource_type": "doc",
                     "logic": { "some": [ { "var": "resource.tags.x" } ] } },
                   { "key": "k", "action": "read", "resource_type": "doc" } ] }"#,
    )
    .expect("write");
    let path = file.display().to_string();
    let (code, _, stderr) = tagpolicy(&["check", &path]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{path}:3:33: error: `some` needs an array and a rule to apply to each element"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{path}:4:29: error: permission `k` is defined twice"
        )),
        "{stderr}"
    );
}
