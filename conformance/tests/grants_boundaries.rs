//! Grant windows at their edges, on the compiled and on the run-time path (SPEC §4: a grant is
//! active iff `not_before <= t < expires_at`).
//!
//! The policy is case 0 of `cases/jit/grants.json` (`aws:ResourceTag/team` must equal
//! `${aws:PrincipalTag/team}` for ec2 Start/StopInstances); alice's own tag is team=dev, the
//! resource's team=ops, so only a counting grant of team=ops allows. The permission form uses
//! case 3 of the same file (role `reader` lists `document:read`; role `auditor` lists
//! `report:read:dept`, which needs the resource's department among the subject's departments).

use conformance::{cases_dir, compiled, read_source};
use tagpolicy_compiler::cases::{case_list, read_iam_case, read_permission_case};
use tagpolicy_compiler::parse_json;
use tagpolicy_compiler::perm_eval::RuntimePermissions;
use tagpolicy_compiler::RuntimePolicy;
use tagpolicy_grants::{Grant, GrantStore};
use tagpolicy_runtime::access::{AccessDecision, AccessRequest, Entity, Permissions};
use tagpolicy_runtime::jsonlogic::Val;
use tagpolicy_runtime::{CompiledPolicy, Policy, Request, Timestamp, Value};

const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc";

struct Paths {
    file: String,
    runtime: RuntimePolicy,
    compiled: &'static CompiledPolicy,
    runtime_permissions: RuntimePermissions,
    compiled_permissions: &'static tagpolicy_runtime::CompiledPermissions,
}

impl Paths {
    fn load() -> Paths {
        let source = read_source(&cases_dir().join("jit").join("grants.json"));
        let json = parse_json(&source).expect("jit/grants.json parses");
        let cases = case_list(&source, &json).expect("case list");
        let iam = cases.first().expect("case 0");
        let perms = cases.get(3).expect("case 3");
        let runtime = read_iam_case(&source, iam).expect("case 0 compiles").policy;
        let runtime_permissions = read_permission_case(&source, perms)
            .expect("case 3 compiles")
            .permissions;
        let compiled = compiled::find(source.name(), 0).expect("case 0 is compiled");
        let compiled_permissions =
            compiled::find_permissions(source.name(), 3).expect("case 3 is compiled");
        Paths {
            file: source.name().to_owned(),
            runtime,
            compiled,
            runtime_permissions,
            compiled_permissions,
        }
    }

    fn policies(&self) -> [(&'static str, &dyn Policy); 2] {
        [("compiled", self.compiled), ("run-time", &self.runtime)]
    }

    fn permission_sets(&self) -> [(&'static str, &dyn Permissions); 2] {
        [
            ("compiled", self.compiled_permissions),
            ("run-time", &self.runtime_permissions),
        ]
    }
}

fn ts(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).expect("time parses")
}

fn grant(
    id: &str,
    principal: &str,
    tags: &[(&str, &str)],
    roles: &[&str],
    not_before: Timestamp,
    expires_at: Timestamp,
) -> Grant {
    Grant {
        id: id.into(),
        principal: principal.into(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        not_before,
        expires_at,
        reason: "INC-4711 failover".into(),
        requested_by: principal.into(),
        approved_by: vec!["bob".into()],
        ticket: None,
        scope: None,
        break_glass: false,
    }
}

/// The four edges of `[not_before, expires_at)` and what they must give.
fn edges(not_before: Timestamp, expires_at: Timestamp) -> [(&'static str, Timestamp, bool); 4] {
    let at = |ms: i64| Timestamp::from_millis(ms);
    [
        (
            "not_before - 1ms",
            at(not_before.millis().saturating_sub(1)),
            false,
        ),
        ("not_before", not_before, true),
        (
            "expires_at - 1ms",
            at(expires_at.millis().saturating_sub(1)),
            true,
        ),
        ("expires_at", expires_at, false),
    ]
}

#[test]
fn a_granted_tag_counts_from_not_before_until_just_before_expires_at() {
    let paths = Paths::load();
    let (nb, ea) = (ts("2026-11-22T10:00:00Z"), ts("2026-11-22T12:00:00Z"));
    let store = GrantStore::new();
    store
        .issue(grant("g-ops", "alice", &[("team", "ops")], &[], nb, ea))
        .expect("issued");
    // bob's grant of the same tag must never help alice.
    store
        .issue(grant(
            "g-bob",
            "bob",
            &[("team", "ops")],
            &[],
            ts("2026-11-22T09:00:00Z"),
            ts("2026-11-22T13:00:00Z"),
        ))
        .expect("issued");
    let ctx = [
        ("aws:username", Value::Str("alice")),
        ("aws:PrincipalTag/team", Value::Str("dev")),
        ("aws:ResourceTag/team", Value::Str("ops")),
    ];
    let snapshot = store.snapshot();
    let mut checked = 0;
    for (path, policy) in paths.policies() {
        for (edge, t, allow) in edges(nb, ea) {
            let request = Request::new("ec2:StartInstances", INSTANCE)
                .with_principal("alice")
                .with_context(&ctx)
                .with_time(t)
                .with_grants(snapshot.grants_of("alice"));
            let e = policy.evaluate_with_grants(&request);
            assert_eq!(
                e.decision.is_allowed(),
                allow,
                "{path} path, {} case 0, at {edge}: {:?}",
                paths.file,
                e.decision
            );
            let expected: &[&str] = if allow { &["g-ops"] } else { &[] };
            assert_eq!(
                e.grants.ids(),
                expected,
                "{path} path, at {edge}: grants used"
            );
            assert_eq!(e.grants.more(), 0);
            // The plain evaluation decides the same.
            assert_eq!(policy.evaluate(&request), e.decision, "{path} path, {edge}");
            checked += 1;
        }
        // Inside the window but without a time, without grants, or as another principal with
        // alice's table: the own tag (dev) decides, so Deny, and no grant is named.
        let t = ts("2026-11-22T11:00:00Z");
        let base = Request::new("ec2:StartInstances", INSTANCE)
            .with_principal("alice")
            .with_context(&ctx);
        let variants = [
            ("no time", base.with_grants(snapshot.grants_of("alice"))),
            ("no grants", base.with_time(t)),
            (
                "bob with alice's grants",
                base.with_principal("bob")
                    .with_time(t)
                    .with_grants(snapshot.grants_of("alice")),
            ),
            (
                "alice with bob's grants",
                base.with_time(t).with_grants(snapshot.grants_of("bob")),
            ),
        ];
        for (what, request) in variants {
            let e = policy.evaluate_with_grants(&request);
            assert!(!e.decision.is_allowed(), "{path} path, {what}: {e:?}");
            assert!(e.grants.is_empty(), "{path} path, {what}: {e:?}");
        }
    }
    assert_eq!(checked, 8);
}

#[test]
fn a_revoked_grant_stops_counting_on_both_paths() {
    let paths = Paths::load();
    let (nb, ea) = (ts("2026-11-22T10:00:00Z"), ts("2026-11-22T12:00:00Z"));
    let store = GrantStore::new();
    store
        .issue(grant("g-ops", "alice", &[("team", "ops")], &[], nb, ea))
        .expect("issued");
    let ctx = [
        ("aws:PrincipalTag/team", Value::Str("dev")),
        ("aws:ResourceTag/team", Value::Str("ops")),
    ];
    let t = ts("2026-11-22T11:00:00Z");
    let decide = |policy: &dyn Policy| {
        let snapshot = store.snapshot();
        let request = Request::new("ec2:StopInstances", INSTANCE)
            .with_principal("alice")
            .with_context(&ctx)
            .with_time(t)
            .with_grants(snapshot.grants_of("alice"));
        let e = policy.evaluate_with_grants(&request);
        (e.decision.is_allowed(), e.grants.ids().join(","))
    };
    for (path, policy) in paths.policies() {
        assert_eq!(decide(policy), (true, "g-ops".into()), "{path} path");
    }
    store.revoke("g-ops", "carol", t).expect("revoked");
    for (path, policy) in paths.policies() {
        assert_eq!(decide(policy), (false, String::new()), "{path} path");
    }
}

fn person<'a>(roles: &'a [&'a str], tags: &'a [(&'a str, &'a [&'a str])]) -> Entity<'a> {
    Entity::new("user", "u-jane")
        .with_roles(roles)
        .with_tags(tags)
}

#[test]
fn a_granted_role_counts_from_not_before_until_just_before_expires_at() {
    let paths = Paths::load();
    let (nb, ea) = (ts("2026-11-22T10:00:00Z"), ts("2026-11-22T12:00:00Z"));
    let store = GrantStore::new();
    store
        .issue(grant("g-read", "u-jane", &[], &["reader"], nb, ea))
        .expect("issued");
    let snapshot = store.snapshot();
    let departments: &[&str] = &["engineering"];
    let tags = [("departments", departments)];
    let mut checked = 0;
    for (path, set) in paths.permission_sets() {
        for (edge, t, allow) in edges(nb, ea) {
            let mut request =
                AccessRequest::new(person(&[], &tags), "read", Entity::new("document", "r-1"))
                    .with_grants(snapshot.grants_of("u-jane"));
            request.time = Some(t);
            let evaluation = set.decide_with_grants(&request);
            assert_eq!(evaluation.decision, set.decide(&request), "{path} path");
            match evaluation.decision {
                AccessDecision::Allow { permission, roles } => {
                    assert!(allow, "{path} path, at {edge}: allowed by {permission}");
                    assert_eq!(permission, "document:read", "{path} path, at {edge}");
                    assert_eq!(roles.names(), ["reader"], "{path} path, at {edge}");
                    // The role came only from the grant: the grant is named.
                    assert_eq!(
                        evaluation.grants.ids(),
                        ["g-read"],
                        "{path} path, at {edge}"
                    );
                }
                AccessDecision::Deny => {
                    assert!(!allow, "{path} path, at {edge}: denied");
                    assert!(evaluation.grants.is_empty(), "{path} path, at {edge}");
                }
            }
            // Holding the role on her own, she relies on no grant.
            let own_roles = ["reader"];
            let mut own = AccessRequest::new(
                person(&own_roles, &tags),
                "read",
                Entity::new("document", "r-1"),
            )
            .with_grants(snapshot.grants_of("u-jane"));
            own.time = Some(t);
            let evaluation = set.decide_with_grants(&own);
            assert!(evaluation.decision.is_allowed(), "{path} path, at {edge}");
            assert!(evaluation.grants.is_empty(), "{path} path, at {edge}");
            checked += 1;
        }
        // Someone else holding u-jane's table, and u-jane without a time: no role.
        let mut other = AccessRequest::new(
            Entity::new("user", "u-joe"),
            "read",
            Entity::new("document", "r-1"),
        )
        .with_grants(snapshot.grants_of("u-jane"));
        other.time = Some(ts("2026-11-22T11:00:00Z"));
        assert_eq!(set.decide(&other), AccessDecision::Deny, "{path} path");
        let timeless =
            AccessRequest::new(person(&[], &tags), "read", Entity::new("document", "r-1"))
                .with_grants(snapshot.grants_of("u-jane"));
        assert_eq!(set.decide(&timeless), AccessDecision::Deny, "{path} path");
    }
    assert_eq!(checked, 8);
}

#[test]
fn a_granted_tag_value_joins_the_subjects_group_only_inside_the_window() {
    let paths = Paths::load();
    let (nb, ea) = (ts("2026-11-22T10:00:00Z"), ts("2026-11-22T12:00:00Z"));
    let store = GrantStore::new();
    store
        .issue(grant(
            "g-fin",
            "u-jane",
            &[("departments", "finance")],
            &[],
            nb,
            ea,
        ))
        .expect("issued");
    let snapshot = store.snapshot();
    let departments: &[&str] = &["engineering"];
    let tags = [("departments", departments)];
    let meta = [("department", Val::Str("finance"))];
    let roles = ["auditor"];
    for (path, set) in paths.permission_sets() {
        for (edge, t, allow) in edges(nb, ea) {
            let mut request = AccessRequest::new(
                person(&roles, &tags),
                "read",
                Entity::new("report", "r-2").with_meta(&meta),
            )
            .with_grants(snapshot.grants_of("u-jane"));
            request.time = Some(t);
            let decision = set.decide(&request);
            assert_eq!(
                decision.is_allowed(),
                allow,
                "{path} path, at {edge}: {decision:?}"
            );
            if let AccessDecision::Allow { permission, .. } = decision {
                assert_eq!(permission, "report:read:dept");
            }
            // The condition read the group the grant added finance to: the grant is named, and
            // only while it counts.
            let evaluation = set.decide_with_grants(&request);
            assert_eq!(evaluation.decision, decision, "{path} path, at {edge}");
            let expected: &[&str] = if allow { &["g-fin"] } else { &[] };
            assert_eq!(evaluation.grants.ids(), expected, "{path} path, at {edge}");
        }
        // A value the subject already has relies on no grant: finance is hers on her own.
        let own: &[&str] = &["finance"];
        let own_tags = [("departments", own)];
        let mut request = AccessRequest::new(
            person(&roles, &own_tags),
            "read",
            Entity::new("report", "r-2").with_meta(&meta),
        )
        .with_grants(snapshot.grants_of("u-jane"));
        request.time = Some(ts("2026-11-22T11:00:00Z"));
        let evaluation = set.decide_with_grants(&request);
        assert!(evaluation.decision.is_allowed(), "{path} path");
        assert!(
            evaluation.grants.is_empty(),
            "{path} path: {:?}",
            evaluation.grants
        );
    }
    // A revoked grant is never named.
    store.revoke("g-fin", "u-lead", nb).expect("revoked");
    let revoked = store.snapshot();
    for (path, set) in paths.permission_sets() {
        let mut request = AccessRequest::new(
            person(&roles, &tags),
            "read",
            Entity::new("report", "r-2").with_meta(&meta),
        )
        .with_grants(revoked.grants_of("u-jane"));
        request.time = Some(ts("2026-11-22T11:00:00Z"));
        let evaluation = set.decide_with_grants(&request);
        assert_eq!(evaluation.decision, AccessDecision::Deny, "{path} path");
        assert!(evaluation.grants.is_empty(), "{path} path");
    }
}
