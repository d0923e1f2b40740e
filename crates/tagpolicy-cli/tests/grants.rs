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
