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
}
