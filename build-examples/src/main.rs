//! An instance and document service that decides access with policies compiled at build time.
//!
//! `policies/*.json` are compiled by `build.rs` into one `static` per file (`INSTANCES`,
//! `DOCUMENTS`); the break-glass rule is written inline with `policy!`. Every decision is made
//! without parsing or allocating, and names the statement that made it.

use tagpolicy::{CompiledPolicy, Decision, Policy, Request, Tag, Timestamp, Value};

mod policies {
    include!(concat!(env!("OUT_DIR"), "/policies.rs"));
}

/// During an incident, whoever is on call may reboot any instance until the incident's end.
static BREAK_GLASS: CompiledPolicy = tagpolicy::policy!(
    r#"{
  "Version": "2012-10-17",
  "Id": "break-glass",
  "Statement": [{
    "Sid": "OnCallRebootsDuringIncident",
    "Effect": "Allow",
    "Action": "compute:RebootInstance",
    "Resource": "arn:acme:compute:*:*:instance/*",
    "Condition": {
      "StringEquals": { "aws:PrincipalTag/oncall": "true" },
      "DateLessThan": { "aws:CurrentTime": "2026-11-22T12:00:00Z" }
    }
  }]
}"#
);

/// A user of the service, as the application knows it.
struct User {
    name: &'static str,
    tags: &'static [Tag<'static>],
    mfa: bool,
}

const ALICE: User = User {
    name: "alice",
    tags: &[("team", "web"), ("department", "engineering")],
    mfa: true,
};
const BOB: User = User {
    name: "bob",
    tags: &[
        ("team", "ops"),
        ("department", "operations"),
        ("oncall", "true"),
    ],
    mfa: false,
};
const CAROL: User = User {
    name: "carol",
    tags: &[("team", "data"), ("department", "finance")],
    mfa: false,
};

/// One thing a user tries to do.
struct Attempt {
    user: &'static User,
    action: &'static str,
    resource: &'static str,
    resource_tags: &'static [Tag<'static>],
    request_tags: &'static [Tag<'static>],
    at: &'static str,
    policy: &'static CompiledPolicy,
}

const WEB_1: &str = "arn:acme:compute:eu-west-1:111122223333:instance/i-web-1";
const WEB_1_TAGS: &[Tag<'static>] = &[("owner", "alice"), ("team", "web"), ("env", "staging")];
const DB_1: &str = "arn:acme:compute:eu-west-1:111122223333:instance/i-db-1";
const DB_1_TAGS: &[Tag<'static>] = &[("owner", "alice"), ("team", "web"), ("env", "production")];

const ATTEMPTS: &[Attempt] = &[
    Attempt {
        user: &ALICE,
        action: "compute:StopInstance",
        resource: WEB_1,
        resource_tags: WEB_1_TAGS,
        request_tags: &[],
        at: "2026-11-22T09:00:00Z",
        policy: &policies::INSTANCES,
    },
    Attempt {
        user: &ALICE,
        action: "compute:StopInstance",
        resource: DB_1,
        resource_tags: DB_1_TAGS,
        request_tags: &[],
        at: "2026-11-22T09:01:00Z",
        policy: &policies::INSTANCES,
    },
    Attempt {
        user: &BOB,
        action: "compute:StopInstance",
        resource: DB_1,
        resource_tags: DB_1_TAGS,
        request_tags: &[],
        at: "2026-11-22T09:02:00Z",
        policy: &policies::INSTANCES,
    },
    Attempt {
        user: &CAROL,
        action: "compute:DescribeInstance",
        resource: WEB_1,
        resource_tags: WEB_1_TAGS,
        request_tags: &[],
        at: "2026-11-22T09:03:00Z",
        policy: &policies::INSTANCES,
    },
    Attempt {
        user: &BOB,
        action: "compute:RebootInstance",
        resource: WEB_1,
        resource_tags: WEB_1_TAGS,
        request_tags: &[],
        at: "2026-11-22T11:59:59Z",
        policy: &BREAK_GLASS,
    },
    Attempt {
        user: &BOB,
        action: "compute:RebootInstance",
        resource: WEB_1,
        resource_tags: WEB_1_TAGS,
        request_tags: &[],
        at: "2026-11-22T12:00:00Z",
        policy: &BREAK_GLASS,
    },
    Attempt {
        user: &CAROL,
        action: "docs:GetDocument",
        resource: "arn:acme:docs:::document/finance/q3-forecast",
        resource_tags: &[("classification", "internal")],
        request_tags: &[],
        at: "2026-11-22T09:05:00Z",
        policy: &policies::DOCUMENTS,
    },
    Attempt {
        user: &CAROL,
        action: "docs:GetDocument",
        resource: "arn:acme:docs:::document/finance/salaries",
        resource_tags: &[("classification", "secret")],
        request_tags: &[],
        at: "2026-11-22T09:06:00Z",
        policy: &policies::DOCUMENTS,
    },
    Attempt {
        user: &ALICE,
        action: "docs:GetDocument",
        resource: "arn:acme:docs:::document/finance/q3-forecast",
        resource_tags: &[("classification", "internal")],
        request_tags: &[],
        at: "2026-11-22T09:07:00Z",
        policy: &policies::DOCUMENTS,
    },
    Attempt {
        user: &ALICE,
        action: "docs:CreateDocument",
        resource: "arn:acme:docs:::document/engineering/design-review",
        resource_tags: &[],
        request_tags: &[("owner", "alice"), ("classification", "internal")],
        at: "2026-11-22T09:08:00Z",
        policy: &policies::DOCUMENTS,
    },
    Attempt {
        user: &ALICE,
        action: "docs:CreateDocument",
        resource: "arn:acme:docs:::document/engineering/budget",
        resource_tags: &[],
        request_tags: &[("owner", "alice"), ("cost-center", "42")],
        at: "2026-11-22T09:09:00Z",
        policy: &policies::DOCUMENTS,
    },
];

/// Decides one attempt with its compiled policy.
fn decide(a: &Attempt) -> Decision<'static> {
    with_request(a, |request| a.policy.decide(request))
}

/// The application's data as a borrowed request: no copies, no allocation.
fn with_request<R>(a: &Attempt, f: impl FnOnce(&Request<'_>) -> R) -> R {
    let time = Timestamp::parse_rfc3339(a.at).expect("attempt times are RFC 3339");
    let context = [
        ("aws:username", Value::Str(a.user.name)),
        ("aws:MultiFactorAuthPresent", Value::Bool(a.user.mfa)),
    ];
    let request = Request::new(a.action, a.resource)
        .with_principal(a.user.name)
        .with_context(&context)
        .with_principal_tags(a.user.tags)
        .with_resource_tags(a.resource_tags)
        .with_request_tags(a.request_tags)
        .with_time(time);
    f(&request)
}

fn because(policy: &CompiledPolicy, decision: &Decision<'_>) -> String {
    let Some(s) = decision.statement() else {
        return "no statement applies".to_string();
    };
    let file = policy
        .sources()
        .get(s.policy as usize)
        .copied()
        .unwrap_or("?");
    let what = if decision.is_allowed() {
        "allowed by"
    } else {
        "denied by"
    };
    match s.sid {
        Some(sid) => format!("{what} {file} #{} {sid}", s.statement),
        None => format!("{what} {file} #{}", s.statement),
    }
}

/// The bundled policies loaded from JSON at run time (as for hot reload or tooling), keyed by
/// the file their compiled twin names: both must decide every request the same way.
fn runtime_twins() -> Vec<(&'static str, tagpolicy_compiler::RuntimePolicy)> {
    [
        (
            "policies/instances.json",
            include_str!("../policies/instances.json"),
        ),
        (
            "policies/documents.json",
            include_str!("../policies/documents.json"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| {
        let policy = tagpolicy_compiler::load_policy(name, text).expect("bundled policies compile");
        (name, policy)
    })
    .collect()
}

/// Documents and people of the permission-set example: departments, sensitivity and projects.
fn permission_examples() {
    use tagpolicy::{AccessDecision, AccessRequest, Entity, Val};
    let kim_tags: [(&str, &[&str]); 2] = [("departments", &["finance"]), ("projects", &["apollo"])];
    let kim_meta = [("clearance", Val::Num(2.0))];
    let kim = Entity::new("user", "u-kim")
        .with_roles(&["employee"])
        .with_meta(&kim_meta)
        .with_tags(&kim_tags);
    let lee_tags: [(&str, &[&str]); 1] = [("departments", &["finance", "legal"])];
    let lee_meta = [("clearance", Val::Num(3.0))];
    let lee = Entity::new("user", "u-lee")
        .with_roles(&["manager"])
        .with_meta(&lee_meta)
        .with_tags(&lee_tags);
    let budget_meta = [
        ("department", Val::Str("finance")),
        ("sensitivity", Val::Num(2.0)),
    ];
    let budget = Entity::new("document", "doc-budget").with_meta(&budget_meta);
    let payroll_meta = [
        ("department", Val::Str("finance")),
        ("sensitivity", Val::Num(3.0)),
    ];
    let payroll = Entity::new("document", "doc-payroll").with_meta(&payroll_meta);
    let launch_meta = [
        ("department", Val::Str("engineering")),
        ("sensitivity", Val::Num(1.0)),
    ];
    let launch_tags: [(&str, &[&str]); 1] = [("projects", &["apollo", "gemini"])];
    let launch = Entity::new("document", "doc-launch")
        .with_meta(&launch_meta)
        .with_tags(&launch_tags);
    let office = [("hour", Val::Num(11.0))];
    let night = [("hour", Val::Num(22.0))];
    let attempts = [
        (kim, "read", budget, &office),
        (kim, "read", payroll, &office),
        (kim, "read", launch, &office),
        (lee, "approve", budget, &office),
        (lee, "approve", budget, &night),
        (lee, "approve", payroll, &office),
    ];
    println!(
        "\n{:<6} {:<6} {:<8} {:<12} {:<6} why",
        "", "user", "action", "document", "hour"
    );
    for (subject, action, resource, context) in attempts {
        let request = AccessRequest::new(subject, action, resource).with_context(context);
        let decision = policies::DOCUMENT_PERMISSIONS.decide_request(&request);
        let hour = match context.first() {
            Some((_, Val::Num(h))) => *h,
            _ => 0.0,
        };
        let why = match decision {
            AccessDecision::Allow { permission, roles } => {
                format!("{permission} (role {})", roles.names().join(", "))
            }
            AccessDecision::Deny => "no permission of the subject's roles allows it".to_string(),
        };
        let verdict = if decision.is_allowed() {
            "Allow"
        } else {
            "Deny"
        };
        println!(
            "{verdict:<6} {:<6} {action:<8} {:<12} {hour:<6} {why}",
            subject.id, resource.id
        );
    }
}

/// A `Write` into a shared buffer, so the audit lines can be printed after the story.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An on-call engineer gets `team=ops` for two hours, acts, the grant expires; a second grant is
/// revoked early; an over-long request is rejected. Every decision and every grant change goes
/// to the audit log, printed at the end.
fn oncall_example() {
    use std::sync::Arc;
    use tagpolicy::jit::{
        AuditEvent, AuditLog, DecidedBy, DecisionRecord, Grant, GrantPolicy, GrantStore, Revision,
        Verdict,
    };

    let t = |s: &str| Timestamp::parse_rfc3339(s).expect("example times are RFC 3339");
    let out = Captured::default();
    let log = Arc::new(AuditLog::blocking(out.clone(), 1024).expect("audit log"));
    let policy = GrantPolicy::from_json(
        r#"{ "max_duration": "4h", "grantable_tags": { "team": ["ops"] } }"#,
    )
    .expect("grant policy");
    let store = GrantStore::with_policy(policy).with_audit(Arc::clone(&log));
    let grant = |id: &str, from: &str, to: &str| -> Grant {
        Grant {
            id: id.into(),
            principal: "dave".into(),
            tags: [("team".to_owned(), "ops".to_owned())]
                .into_iter()
                .collect(),
            roles: vec![],
            not_before: t(from),
            expires_at: t(to),
            reason: "INC-4711 database failover".into(),
            requested_by: "dave".into(),
            approved_by: vec!["erin".into()],
            ticket: Some("INC-4711".into()),
            scope: None,
            break_glass: false,
        }
    };
    let dave_tags: &[Tag<'static>] = &[("team", "dev")];
    let db_tags: &[Tag<'static>] = &[("team", "ops")];
    let twin = tagpolicy_compiler::load_policy(
        "policies/team-instances.json",
        include_str!("../policies/team-instances.json"),
    )
    .expect("the bundled policy loads at run time too");

    println!("\non call: dave (team dev) and the ops database i-db-1");
    let attempt = |at: &str| {
        let snapshot = store.snapshot();
        let request = Request::new("compute:RebootInstance", DB_1)
            .with_principal("dave")
            .with_principal_tags(dave_tags)
            .with_resource_tags(db_tags)
            .with_time(t(at))
            .with_grants(snapshot.grants_of("dave"));
        let e = policies::TEAM_INSTANCES.evaluate_with_grants(&request);
        assert_eq!(
            twin.evaluate_with_grants(&request),
            e,
            "the two paths disagree"
        );
        let grants = e.grants.ids();
        log.record_at(
            AuditEvent::decision(&DecisionRecord {
                principal: "dave",
                action: request.action,
                resource: request.resource,
                verdict: Verdict::from(e.decision),
                decided_by: DecidedBy::of_decision(e.decision),
                grants: &grants,
                policy_revision: Some(Revision::Number(1)),
                grant_revision: Some(Revision::Number(snapshot.revision())),
                time: t(at),
                reason: None,
            }),
            t(at),
        );
        let using = match grants.as_slice() {
            [] => String::new(),
            ids => format!(" using {}", ids.join(", ")),
        };
        println!(
            "{:<6} {}  reboot i-db-1{using}",
            e.decision.as_str(),
            &at[11..16]
        );
    };
    let say = |what: String| println!("       {what}");

    attempt("2026-11-22T09:00:00Z");
    let issued_at = t("2026-11-22T09:05:00Z");
    let eight_hours = grant("g-oncall-1", "2026-11-22T09:05:00Z", "2026-11-22T17:05:00Z");
    match store.issue_at(eight_hours, issued_at) {
        Ok(_) => say("09:05  g-oncall-1 issued".into()),
        Err(e) => say(format!("09:05  an 8h grant is refused: {e}")),
    }
    let two_hours = grant("g-oncall-2", "2026-11-22T09:05:00Z", "2026-11-22T11:05:00Z");
    store
        .issue_at(two_hours, issued_at)
        .expect("a two-hour grant is within the policy");
    say("09:05  g-oncall-2 issued: team=ops until 11:05 (approved by erin)".into());
    attempt("2026-11-22T09:10:00Z");
    attempt("2026-11-22T11:04:59Z");
    attempt("2026-11-22T11:05:00Z");
    for g in store.remove_expired(t("2026-11-22T11:05:00Z")) {
        say(format!("11:05  {} expired", g.id));
    }
    let second = grant("g-oncall-3", "2026-11-22T13:00:00Z", "2026-11-22T15:00:00Z");
    store
        .issue_at(second, t("2026-11-22T13:00:00Z"))
        .expect("a second two-hour grant");
    say("13:00  g-oncall-3 issued: team=ops until 15:00".into());
    attempt("2026-11-22T13:30:00Z");
    store
        .revoke("g-oncall-3", "erin", t("2026-11-22T13:45:00Z"))
        .expect("revoked");
    say("13:45  g-oncall-3 revoked early by erin".into());
    attempt("2026-11-22T13:46:00Z");

    drop(store);
    let stats = Arc::try_unwrap(log)
        .map_err(|_| "the store is gone: one owner")
        .and_then(|log| log.close().map_err(|_| "audit log closes"))
        .expect("audit log");
    println!(
        "\naudit log ({} events, {} dropped):",
        stats.written, stats.dropped
    );
    let text = out
        .0
        .lock()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_default();
    print!("{text}");
}

fn main() {
    println!(
        "{:<6} {:<9} {:<6} {:<24} {:<40} why",
        "", "at", "user", "action", "resource"
    );
    let twins = runtime_twins();
    let mut agree = 0;
    for a in ATTEMPTS {
        let decision = decide(a);
        let resource = a.resource.rsplit(':').next().unwrap_or(a.resource);
        let at = a.at.get(11..19).unwrap_or(a.at);
        println!(
            "{:<6} {:<9} {:<6} {:<24} {:<40} {}",
            decision.as_str(),
            at,
            a.user.name,
            a.action,
            resource,
            because(a.policy, &decision)
        );
        let twin = twins.iter().find(|(name, _)| a.policy.sources() == [*name]);
        if let Some((_, twin)) = twin {
            let runtime = with_request(a, |r| twin.evaluate(r));
            assert_eq!(runtime, decision, "the two paths disagree");
            agree += 1;
        }
    }
    println!(
        "\n{} decisions by policies compiled into this binary; the {agree} made by the bundled files come out the same when those files are loaded at run time.",
        ATTEMPTS.len()
    );
    permission_examples();
    oncall_example();
}
