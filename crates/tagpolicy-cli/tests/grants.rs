//! `tagpolicy grants check` on the example grants and grant policy.

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
fn grants_check_rejects_what_issuing_would_reject() {
    let (code, stdout, stderr) = tagpolicy(&[
        "grants",
        "check",
        "examples/grants/grants.json",
        "--policy",
        "examples/grants/grant-policy.json",
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("3 grants, 1 rejected"), "{stdout}");
    for reason in [
        "grant `g-03`: rejected: the window is 6h long, longer than the 4h the grant policy allows",
        "grant `g-03`: rejected: a reason is required",
        "grant `g-03`: rejected: `alice` approved their own grant; only break-glass grants may be self-approved",
        "grant `g-03`: rejected: grant `g-01` already gives this principal tag `team` during this window",
    ] {
        assert!(stderr.contains(reason), "missing {reason:?} in {stderr}");
    }
    assert!(
        !stderr.contains("g-02"),
        "the break-glass grant is fine: {stderr}"
    );
}

#[test]
fn grants_check_without_a_policy_validates_the_file() {
    let (code, stdout, _) = tagpolicy(&["grants", "check", "examples/grants/grants.json"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("3 grants read"), "{stdout}");
    let dir = std::env::temp_dir().join(format!("tagpolicy-grants-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "[{\"id\": \"g\", \"principal\": \"p\",\n  \"not_before\": \"soon\", \"expires_at\": \"2026-11-22T12:00:00Z\"}]",
    )
    .expect("write");
    let path = bad.display().to_string();
    let (code, _, stderr) = tagpolicy(&["grants", "check", &path]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!("{path}:2:"))
            && stderr.contains("\"soon\" is not an RFC 3339 time"),
        "{stderr}"
    );
}

const POLICY: &str = "examples/grants/team-ops.json";
const REQUESTS: &str = "examples/grants/requests.json";
const GRANTS: &str = "examples/grants/grants.json";

#[test]
fn eval_with_grants_follows_the_window() {
    // Without grants alice (team dev) may not reboot an ops instance.
    let (code, stdout, stderr) = tagpolicy(&["eval", "--policy", POLICY, "--request", REQUESTS]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Deny  ec2:RebootInstances"), "{stdout}");
    // g-01 gives her team=ops from 10:00 to 12:00 (exclusive); g-03 team=dba from 11:00.
    for (at, expected) in [
        ("2026-11-22T09:59:59.999Z", "Deny "),
        ("2026-11-22T10:00:00Z", "Allow"),
        ("2026-11-22T10:59:59.999Z", "Allow"),
        ("2026-11-22T12:00:00Z", "Deny "),
    ] {
        let (code, stdout, stderr) = tagpolicy(&[
            "eval",
            "--policy",
            POLICY,
            "--request",
            REQUESTS,
            "--grants",
            GRANTS,
            "--at",
            at,
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.starts_with(expected), "at {at}: {stdout}");
        assert_eq!(
            stdout.contains("using grant g-01"),
            expected == "Allow",
            "{stdout}"
        );
    }
}

#[test]
fn eval_explain_shows_conditions_variables_and_grant_status() {
    let (code, stdout, stderr) = tagpolicy(&[
        "eval",
        "--policy",
        POLICY,
        "--request",
        REQUESTS,
        "--grants",
        GRANTS,
        "--at",
        "2026-11-22T12:00:00Z",
        "--explain",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for line in [
        "Deny: implicitly denied, no statement applies",
        "team-ops.json:5:5 statement 0 (Sid \"OperateOwnTeamsInstances\") [Allow]: does not apply",
        "action matches, principal matches, resource matches",
        "StringEquals aws:ResourceTag/team [\"${aws:principaltag/team}\"]: request has \"ops\"; \
         ${aws:principaltag/team} = \"dba\" (granted by g-03) -> fails",
        "g-01 (team=ops): expired 0ms ago",
        "g-03 (team=dba): active, 5h left",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }

    let (code, stdout, stderr) = tagpolicy(&[
        "eval",
        "--policy",
        POLICY,
        "--request",
        REQUESTS,
        "--grants",
        GRANTS,
        "--explain",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["decision"]["decision"], "Allow");
    let condition = &v["statements"][0]["conditions"][0];
    assert_eq!(condition["holds"], true);
    assert_eq!(condition["variables"][0]["granted_by"], "g-01");
    assert_eq!(v["grants"][0]["status"], "active, 1h 30m left");
    assert_eq!(v["grants"][1]["status"], "not yet active, starts in 30m");
}

#[test]
fn eval_json_lists_the_grants_used_and_bad_inputs_fail() {
    let (code, stdout, _) = tagpolicy(&[
        "eval",
        "--policy",
        POLICY,
        "--request",
        REQUESTS,
        "--grants",
        GRANTS,
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(v["decision"], "Allow");
    assert_eq!(v["grants"], serde_json::json!(["g-01"]));

    let (code, _, stderr) = tagpolicy(&[
        "eval",
        "--policy",
        POLICY,
        "--request",
        REQUESTS,
        "--at",
        "yesterday",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--at \"yesterday\" is not an RFC 3339 time"),
        "{stderr}"
    );

    let (code, _, stderr) = tagpolicy(&[
        "eval",
        "--policy",
        POLICY,
        "--request",
        REQUESTS,
        "--grants",
        POLICY,
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("team-ops.json:"), "{stderr}");
}

/// Writes a file under a fresh temporary directory for this test.
fn temp_file(test: &str, name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("tagpolicy-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.to_string_lossy().into_owned()
}

#[test]
fn eval_of_a_permission_set_names_the_grants_used() {
    let set = temp_file(
        "perm-grants",
        "set.json",
        r#"{ "roles": { "reader": ["document:read"], "auditor": ["report:read:dept"] },
  "permissions": [
    { "key": "document:read", "action": "read", "resource_type": "document" },
    { "key": "report:read:dept", "action": "read", "resource_type": "report",
      "logic": { "in": [ { "var": "resource.meta.department" }, { "var": "subject.tags.departments" } ] } } ] }"#,
    );
    // g-role gives u-jane the reader role, g-dept adds finance to her departments; both 10:00-12:00.
    let grants = temp_file(
        "perm-grants",
        "grants.json",
        r#"[
  { "id": "g-role", "principal": "u-jane", "roles": ["reader"],
    "not_before": "2026-11-22T10:00:00Z", "expires_at": "2026-11-22T12:00:00Z",
    "reason": "review", "requested_by": "u-jane", "approved_by": ["u-lead"] },
  { "id": "g-dept", "principal": "u-jane", "tags": { "departments": "finance" },
    "not_before": "2026-11-22T10:00:00Z", "expires_at": "2026-11-22T12:00:00Z",
    "reason": "audit", "requested_by": "u-jane", "approved_by": ["u-lead"] }
]"#,
    );
    let requests = temp_file(
        "perm-grants",
        "requests.json",
        r#"[
  { "subject": { "id": "u-jane", "type": "user", "roles": ["auditor"], "tags": { "departments": ["research"] } },
    "resource": { "id": "doc-1", "type": "document" }, "action": "read" },
  { "subject": { "id": "u-jane", "type": "user", "roles": ["auditor"], "tags": { "departments": ["research"] } },
    "resource": { "id": "r-1", "type": "report", "meta": { "department": "finance" } }, "action": "read" },
  { "subject": { "id": "u-jane", "type": "user", "roles": ["auditor", "reader"], "tags": { "departments": ["research"] } },
    "resource": { "id": "doc-2", "type": "document" }, "action": "read" }
]"#,
    );
    let eval = |at: &str, json: bool| {
        let mut args = vec![
            "eval",
            "--policy",
            &set,
            "--request",
            &requests,
            "--grants",
            &grants,
            "--at",
            at,
        ];
        if json {
            args.push("--json");
        }
        let (code, stdout, stderr) = tagpolicy(&args);
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    let inside = eval("2026-11-22T11:00:00Z", false);
    let lines: Vec<&str> = inside.lines().collect();
    assert_eq!(lines.len(), 3, "{inside}");
    assert!(lines[0].starts_with("Allow u-jane"), "{inside}");
    assert!(
        lines[0].ends_with("granted by role reader using grant g-role"),
        "{inside}"
    );
    assert!(
        lines[1].ends_with("granted by role auditor using grant g-dept"),
        "{inside}"
    );
    // She holds reader on her own there: no grant relied on.
    assert!(lines[2].ends_with("granted by role reader"), "{inside}");

    let json = eval("2026-11-22T11:00:00Z", true);
    let first: serde_json::Value =
        serde_json::from_str(json.lines().next().expect("a line")).expect("JSON");
    assert_eq!(first["grants"], serde_json::json!(["g-role"]));

    // Expired: the first two are denied, the third still allowed by her own role; no grant named.
    let after = eval("2026-11-22T12:00:00Z", false);
    let lines: Vec<&str> = after.lines().collect();
    assert!(lines[0].starts_with("Deny "), "{after}");
    assert!(lines[1].starts_with("Deny "), "{after}");
    assert!(
        lines[2].starts_with("Allow") && !after.contains("using grant"),
        "{after}"
    );
}
