//! Every contender decides every benchmark request alike, Allow and Deny cases both, the seed
//! workloads decide as their case file expects, and the permission workloads as their requests
//! state. A benchmark of a wrong answer is worthless.
//!
//! Not run by the default `cargo test` (the `benches` crate is not a default member):
//! `cargo test -p benches --release --test agreement`.

use benches::cases::Case;

fn expected(cases: &[Case]) -> Vec<bool> {
    cases
        .iter()
        .map(|c| c.expected.expect("seed cases state their decision"))
        .collect()
}

fn agree(group: &str) -> Vec<bool> {
    benches::check_agreement(group).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn owner_tag() {
    assert_eq!(
        agree("owner_tag"),
        expected(&benches::seeds::owner_tag_cases())
    );
}

#[test]
fn team_queue() {
    assert_eq!(
        agree("team_queue"),
        expected(&benches::seeds::team_queue_cases())
    );
}

#[test]
fn request_tags() {
    assert_eq!(
        agree("request_tags"),
        expected(&benches::seeds::request_tags_cases())
    );
}

#[test]
fn deny_override() {
    assert_eq!(
        agree("deny_override"),
        expected(&benches::seeds::deny_override_cases())
    );
}

#[test]
fn owner_tag_e2e() {
    let want: Vec<bool> = benches::e2e::apps()
        .into_iter()
        .map(|(_, allow)| allow)
        .collect();
    assert_eq!(agree("owner_tag_e2e"), want);
}

#[test]
fn scale_sets() {
    for n in benches::scale::SIZES {
        agree(&format!("scale_{n}"));
    }
}

#[test]
fn permission_groups() {
    for group in benches::PERM_GROUPS {
        let cases = benches::perms::cases(group).expect("a permission group has cases");
        let want: Vec<bool> = cases.iter().map(|c| c.expected).collect();
        assert_eq!(agree(group), want, "{group}");
    }
}

#[test]
fn every_group_is_covered() {
    let mut listed: Vec<&str> = benches::IAM_GROUPS.to_vec();
    listed.extend(benches::PERM_GROUPS);
    assert_eq!(benches::GROUPS, listed.as_slice());
    for group in benches::GROUPS {
        let names: Vec<&str> = benches::decisions(group)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let allowed = benches::contenders(group);
        for name in &names {
            assert!(allowed.contains(name), "{group}: unknown contender {name}");
        }
        if benches::PERM_GROUPS.contains(group) {
            assert_eq!(names, benches::PERM_CONTENDERS, "{group}");
        } else {
            assert!(names.len() >= 6, "{group}: only {names:?}");
        }
    }
}

#[test]
fn regorus_runs_on_its_vm_where_it_can() {
    use benches::{rego_peer, scale};
    for policy in [
        rego_peer::OWNER_TAG,
        rego_peer::TEAM_QUEUE,
        rego_peer::REQUEST_TAGS,
        rego_peer::DENY_OVERRIDE,
    ] {
        assert!(rego_peer::Rego::new(policy, &[]).on_vm());
    }
    for n in scale::SIZES {
        let on_vm = rego_peer::Rego::new(&scale::to_rego(&scale::generate(n)), &[]).on_vm();
        assert_eq!(on_vm, n < 10_000, "scale_{n}");
    }
}

#[test]
fn the_grants_group_decides_through_the_grant() {
    use benches::grants_group as g;
    let store = g::store();
    assert_eq!(store.snapshot().len(), g::GRANTS);
    let req = g::PARTS;
    assert!(!g::without(&req));
    assert!(g::with(&mut store.reader(), &req));
    assert!(g::with_snapshot(&store, &req));
}
