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
