//! The README's main command: the example application decides as documented.

use std::process::Command;

#[test]
fn the_example_application_prints_its_decisions() {
    let out = Command::new(env!("CARGO_BIN_EXE_build-examples"))
        .output()
        .expect("the example runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().skip(1).take(11).collect();
    let expected = [
        (
            "Allow",
            "alice",
            "instances.json #0 OwnersOperateTheirInstances",
        ),
        ("Deny", "alice", "instances.json #2 ProductionNeedsOps"),
        ("Allow", "bob", "instances.json #3 OpsRunProduction"),
        ("Deny", "carol", "no statement applies"),
        ("Allow", "bob", "<inline> #0 OnCallRebootsDuringIncident"),
        ("Deny", "bob", "no statement applies"),
        ("Allow", "carol", "documents.json #0 ReadOwnDepartment"),
        ("Deny", "carol", "documents.json #2 SecretNeedsMfa"),
        ("Deny", "alice", "no statement applies"),
        ("Allow", "alice", "documents.json #1 PublishWithOwnerTag"),
        ("Deny", "alice", "no statement applies"),
    ];
    assert_eq!(lines.len(), expected.len(), "{stdout}");
    for (line, (decision, user, why)) in lines.iter().zip(expected) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.first(), Some(&decision), "{line}");
        assert_eq!(words.get(2), Some(&user), "{line}");
        assert!(line.ends_with(why), "{line} should end with {why}");
    }
    assert!(
        stdout.contains("the 9 made by the bundled files come out the same"),
        "{stdout}"
    );
}

#[test]
fn the_oncall_story_follows_grants_and_is_audited() {
    let out = Command::new(env!("CARGO_BIN_EXE_build-examples"))
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let story = stdout
        .split("on call: ")
        .nth(1)
        .expect("the on-call example runs");
    let decisions: Vec<(&str, &str, bool)> = story
        .lines()
        .filter(|l| l.starts_with("Allow") || l.starts_with("Deny"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0], w[1], l.contains("using g-"))
        })
        .collect();
    assert_eq!(
        decisions,
        [
            ("Deny", "09:00", false),
            ("Allow", "09:10", true),
            ("Allow", "11:04", true),
            ("Deny", "11:05", false),
            ("Allow", "13:30", true),
            ("Deny", "13:46", false),
        ],
        "{story}"
    );
    assert!(story.contains("an 8h grant is refused"), "{story}");
    assert!(
        story.contains("g-oncall-3 revoked early by erin"),
        "{story}"
    );

    // The audit lines: every one parses, `seq` counts 0, 1, 2, … and the events tell the story.
    let lines: Vec<serde_json::Value> = story
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("an audit line is JSON"))
        .collect();
    let events: Vec<&str> = lines
        .iter()
        .map(|v| v["event"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        events,
        [
            "decision",
            "grant.rejected",
            "grant.issued",
            "decision",
            "grant.used",
            "decision",
            "grant.used",
            "decision",
            "grant.expired",
            "grant.issued",
            "decision",
            "grant.used",
            "grant.revoked",
            "decision",
        ]
    );
    for (i, v) in lines.iter().enumerate() {
        assert_eq!(v["seq"], i as u64);
        assert_eq!(v["v"], 1);
    }
    assert_eq!(lines[3]["grants"], serde_json::json!(["g-oncall-2"]));
    assert_eq!(lines[4]["decision"], lines[3]["id"]);
    assert_eq!(lines[12]["revoked_by"], "erin");
    assert_eq!(lines[13]["grants"], serde_json::json!([]));
}
