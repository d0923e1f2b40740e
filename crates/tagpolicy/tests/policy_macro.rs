//! `policy!` in its three forms: inline JSON, one file, several files; as `static`s and as
//! expressions; and agreement with the run-time path on the same policies.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tagpolicy::{policy, CompiledPolicy, Decision, Policy, Request, StatementRef, Value};
use tagpolicy_compiler::{compile_policies, parse_json, RuntimePolicy, Source};

static OWNER: CompiledPolicy = policy!(file = "tests/policies/owner.json");

static EC2: CompiledPolicy = policy!(
    files = [
        "tests/policies/owner.json",
        "tests/policies/guardrails.json",
    ]
);

static QUEUES: CompiledPolicy = policy!(file = "tests/policies/team-queues.json",);

static INLINE: CompiledPolicy = policy!(
    r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "ReadReports", "Effect": "Allow", "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::reports/${aws:PrincipalTag/team}/*" },
    { "Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*",
      "Resource": "arn:aws:s3:::reports/*/secret/*" }
  ]
}"#
);

const INSTANCE: &str = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c";

fn stmt(policy: u32, statement: u32, sid: &'static str) -> StatementRef<'static> {
    StatementRef {
        policy,
        statement,
        sid: Some(sid),
    }
}

/// The run-time path over the same files, as one policy set.
fn runtime(files: &[&str]) -> RuntimePolicy {
    let dir = env!("CARGO_MANIFEST_DIR");
    let sources: Vec<Source> = files
        .iter()
        .map(|f| Source::new(*f, std::fs::read_to_string(format!("{dir}/{f}")).unwrap()))
        .collect();
    let jsons: Vec<_> = sources.iter().map(|s| parse_json(s).unwrap()).collect();
    let inputs: Vec<_> = sources.iter().zip(&jsons).collect();
    RuntimePolicy::new(compile_policies(&inputs).unwrap().ir)
}

#[test]
fn inline_static_decides() {
    let tags = [("team", "blue")];
    let req = |resource| Request::new("s3:GetObject", resource).with_principal_tags(&tags);
    assert_eq!(
        INLINE.evaluate(&req("arn:aws:s3:::reports/blue/q3.pdf")),
        Decision::Allow(stmt(0, 0, "ReadReports"))
    );
    assert_eq!(
        INLINE.evaluate(&req("arn:aws:s3:::reports/red/q3.pdf")),
        Decision::ImplicitDeny
    );
    assert_eq!(
        INLINE.evaluate(&req("arn:aws:s3:::reports/blue/secret/keys")),
        Decision::Deny(stmt(0, 1, "NoSecrets"))
    );
    assert_eq!(INLINE.sources(), ["<inline>"]);
    assert_eq!(INLINE.statement_count(), 2);
}

#[test]
fn inline_expression_in_a_function() {
    let p = policy!(r#"{ "Statement": { "Effect": "Allow", "Action": "x:*", "Resource": "*" } }"#);
    assert!(p.evaluate(&Request::new("X:Anything", "r")).is_allowed());
    assert!(!p.decide(&Request::new("y:Anything", "r")).is_allowed());
}

#[test]
fn file_static_decides() {
    let ctx = [("aws:username", Value::Str("alice"))];
    let mine = [("Owner", "alice")];
    let theirs = [("Owner", "bob")];
    let start = Request::new("ec2:StartInstances", INSTANCE).with_context(&ctx);
    assert_eq!(
        OWNER.evaluate(&start.with_resource_tags(&mine)),
        Decision::Allow(stmt(0, 0, "StartStopOwnInstances"))
    );
    assert_eq!(
        OWNER.evaluate(&start.with_resource_tags(&theirs)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        OWNER.evaluate(&Request::new("EC2:DescribeVolumes", "*")),
        Decision::Allow(stmt(0, 1, "DescribeEverything"))
    );
    assert_eq!(OWNER.sources(), ["tests/policies/owner.json"]);
}

#[test]
fn deny_in_the_second_file_wins() {
    let ctx = [("aws:username", Value::Str("alice"))];
    let tags = [("Owner", "alice"), ("Environment", "production")];
    let dev = [("role", "developer")];
    let sre = [("role", "sre")];
    let stop = Request::new("ec2:StopInstances", INSTANCE)
        .with_context(&ctx)
        .with_resource_tags(&tags);
    // The first file alone allows; the set denies through its second policy.
    assert!(OWNER.evaluate(&stop.with_principal_tags(&dev)).is_allowed());
    assert_eq!(
        EC2.evaluate(&stop.with_principal_tags(&dev)),
        Decision::Deny(stmt(1, 0, "ProductionNeedsSre"))
    );
    assert_eq!(
        EC2.evaluate(&stop.with_principal_tags(&sre)),
        Decision::Allow(stmt(0, 0, "StartStopOwnInstances"))
    );
    assert_eq!(
        EC2.sources(),
        [
            "tests/policies/owner.json",
            "tests/policies/guardrails.json"
        ]
    );
    assert_eq!(EC2.statement_count(), 3);
}

#[test]
fn compiled_and_runtime_paths_agree() {
    let sets: [(&CompiledPolicy, &[&str]); 3] = [
        (&OWNER, &["tests/policies/owner.json"]),
        (
            &EC2,
            &[
                "tests/policies/owner.json",
                "tests/policies/guardrails.json",
            ],
        ),
        (&QUEUES, &["tests/policies/team-queues.json"]),
    ];
    let alice = [("aws:username", Value::Str("alice"))];
    let office = [
        (
            "aws:SourceIp",
            Value::Ip(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))),
        ),
        ("sqs:MessageSize", Value::Number(1024.0)),
    ];
    let home = [
        ("aws:SourceIp", Value::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST))),
        ("sqs:MessageSize", Value::Number(1024.0)),
    ];
    let huge = [
        ("aws:SourceIp", Value::Str("2001:db8::1")),
        ("sqs:MessageSize", Value::Str("100000")),
    ];
    let own = [("Owner", "alice"), ("Environment", "production")];
    let other = [("Owner", "bob")];
    let dev = [("role", "developer"), ("team", "blue")];
    let sre = [("role", "sre")];
    let queue = "arn:aws:sqs:eu-west-1:111122223333:blue-orders";
    let unassigned = "arn:aws:sqs:eu-west-1:111122223333:unassigned-orders";
    let requests = [
        Request::new("ec2:StartInstances", INSTANCE)
            .with_context(&alice)
            .with_resource_tags(&own),
        Request::new("ec2:StartInstances", INSTANCE)
            .with_context(&alice)
            .with_resource_tags(&other),
        Request::new("ec2:StopInstances", INSTANCE)
            .with_context(&alice)
            .with_resource_tags(&own)
            .with_principal_tags(&dev),
        Request::new("ec2:stopinstances", INSTANCE)
            .with_context(&alice)
            .with_resource_tags(&own)
            .with_principal_tags(&sre),
        Request::new("ec2:TerminateInstances", INSTANCE).with_resource_tags(&own),
        Request::new("ec2:DescribeInstances", "*"),
        Request::new("sqs:SendMessage", queue)
            .with_context(&office)
            .with_principal_tags(&dev),
        Request::new("sqs:SendMessage", queue)
            .with_context(&home)
            .with_principal_tags(&dev),
        Request::new("sqs:SendMessage", queue)
            .with_context(&huge)
            .with_principal_tags(&dev),
        Request::new("sqs:ReceiveMessage", unassigned).with_context(&office),
        Request::new("sqs:ReceiveMessage", queue).with_context(&office),
    ];
    let mut allowed = 0;
    for (compiled, files) in sets {
        let interpreted = runtime(files);
        for req in &requests {
            let c = compiled.evaluate(req);
            assert_eq!(c, interpreted.evaluate(req), "{files:?} on {req:?}");
            allowed += usize::from(c.is_allowed());
        }
    }
    // The requests are not all decided the same way.
    assert!(allowed > 3 && allowed < 3 * requests.len() - 3, "{allowed}");
}

/// A permission set through `policy!`: roles, permissions and a JSON Logic condition, compiled.
static DOCUMENTS: tagpolicy::CompiledPermissions = tagpolicy::policy!(
    r#"{
  "roles": { "reader": ["document:read:dept"], "auditor": ["document:read:dept", "document:read:all"] },
  "permissions": [
    { "key": "document:read:dept", "action": "read", "resource_type": "document",
      "logic": { "in": [ { "var": "resource.meta.department" }, { "var": "subject.tags.departments" } ] } },
    { "key": "document:read:all", "action": "read", "resource_type": "document",
      "resource_pattern": "doc-*",
      "logic": { "<=": [ 9, { "var": "context.hour" }, 17 ] } }
  ]
}"#
);

#[test]
fn policy_macro_compiles_permission_sets() {
    use tagpolicy::{AccessDecision, AccessRequest, Entity, Permissions, Val};
    let departments: &[&str] = &["research"];
    let tags = [("departments", departments)];
    let finance = [("department", Val::Str("finance"))];
    let research = [("department", Val::Str("research"))];
    let at_ten = [("hour", Val::Num(10.0))];
    let at_night = [("hour", Val::Num(23.0))];
    let jane = Entity::new("user", "u-jane")
        .with_roles(&["reader"])
        .with_tags(&tags);
    let ada = Entity::new("user", "u-ada")
        .with_roles(&["auditor"])
        .with_tags(&tags);
    let doc = |meta| Entity::new("document", "doc-1").with_meta(meta);

    let own = AccessRequest::new(jane, "read", doc(&research)).with_context(&at_ten);
    match DOCUMENTS.decide(&own) {
        AccessDecision::Allow { permission, roles } => {
            assert_eq!(permission, "document:read:dept");
            assert_eq!(roles.names(), ["reader"]);
        }
        AccessDecision::Deny => panic!("jane reads her department's documents"),
    }
    let other = AccessRequest::new(jane, "read", doc(&finance)).with_context(&at_ten);
    assert_eq!(DOCUMENTS.decide(&other), AccessDecision::Deny);
    let audit = AccessRequest::new(ada, "read", doc(&finance)).with_context(&at_ten);
    assert!(matches!(
        DOCUMENTS.decide(&audit),
        AccessDecision::Allow {
            permission: "document:read:all",
            ..
        }
    ));
    let late = AccessRequest::new(ada, "read", doc(&finance)).with_context(&at_night);
    assert_eq!(DOCUMENTS.decide(&late), AccessDecision::Deny);
}
