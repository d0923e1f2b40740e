//! The four seed workloads (the seed policies of `conformance/cases/seeds.json`, copied into
//! `benches/policies/`): their requests and every contender's form of the rule.
//!
//! The requests cover Allow and Deny. Seed cases that only test action-name case
//! (`EC2:startinstances`) are left out: the peers compare action names exactly, as their
//! languages do, and folding them would only slow the peers down.

use tagpolicy::{policy, CompiledPolicy};
use tagpolicy_compiler::RuntimePolicy;

use crate::cases::{requests, Case};
use crate::{casbin_peer, cedar_peer, handwritten, naive, rego_peer, Handwritten, Ours, Visitor};

/// `owner_tag`, compiled by `policy!`.
pub static OWNER_TAG: CompiledPolicy = policy!(file = "policies/owner-tag.json");
/// `team_queue`, compiled by `policy!`.
pub static TEAM_QUEUE: CompiledPolicy = policy!(file = "policies/team-queue.json");
/// `request_tags`, compiled by `policy!`.
pub static REQUEST_TAGS: CompiledPolicy = policy!(file = "policies/request-tags.json");
/// `deny_override`: two policies evaluated together, compiled by `policy!`.
pub static DENY_OVERRIDE: CompiledPolicy = policy!(
    files = [
        "policies/deny-override-allow.json",
        "policies/deny-override-deny.json"
    ]
);

/// The policy texts, for the run-time path and `naive_json`.
pub const OWNER_TAG_JSON: &str = include_str!("../policies/owner-tag.json");
/// See [`OWNER_TAG_JSON`].
pub const TEAM_QUEUE_JSON: &str = include_str!("../policies/team-queue.json");
/// See [`OWNER_TAG_JSON`].
pub const REQUEST_TAGS_JSON: &str = include_str!("../policies/request-tags.json");
/// See [`OWNER_TAG_JSON`].
pub const DENY_OVERRIDE_JSON: [&str; 2] = [
    include_str!("../policies/deny-override-allow.json"),
    include_str!("../policies/deny-override-deny.json"),
];

/// A policy set loaded at run time from its texts.
pub fn load(texts: &[&str]) -> RuntimePolicy {
    use tagpolicy_compiler::{compile_policies, parse_json, Source};
    let sources: Vec<Source> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Source::new(format!("policy{i}.json"), *t))
        .collect();
    let parsed: Vec<_> = sources
        .iter()
        .map(|s| parse_json(s).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let inputs: Vec<_> = sources.iter().zip(&parsed).collect();
    let compiled = compile_policies(&inputs).unwrap_or_else(|e| panic!("{e}"));
    RuntimePolicy::new(compiled.ir)
}

const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc123";
const VOLUME: &str = "arn:aws:ec2:us-east-1:111122223333:volume/vol-1";

/// The requests of `owner_tag`.
pub fn owner_tag_cases() -> Vec<Case> {
    let start = "ec2:StartInstances";
    let tags = |owner_key: &str, owner: &str| {
        Case::new(start, INSTANCE)
            .user("richard-roe")
            .resource_tags(&[
                ("Name", "web-1"),
                ("Environment", "production"),
                (owner_key, owner),
            ])
    };
    vec![
        tags("Owner", "richard-roe").expect(true),
        Case::new("ec2:StopInstances", INSTANCE)
            .user("richard-roe")
            .resource_tags(&[("owner", "richard-roe")])
            .expect(true),
        tags("Owner", "jane-doe").expect(false),
        tags("Owner", "Richard-Roe").expect(false),
        Case::new(start, INSTANCE)
            .user("richard-roe")
            .resource_tags(&[("Name", "web-1")])
            .expect(false),
        Case::new(start, INSTANCE)
            .resource_tags(&[("Owner", "richard-roe")])
            .expect(false),
        Case::new("ec2:TerminateInstances", INSTANCE)
            .user("richard-roe")
            .resource_tags(&[("Owner", "richard-roe")])
            .expect(false),
        Case::new(start, VOLUME)
            .user("richard-roe")
            .resource_tags(&[("Owner", "richard-roe")])
            .expect(false),
        Case::new("ec2:DescribeInstances", "*").expect(true),
    ]
}

/// The requests of `team_queue`.
pub fn team_queue_cases() -> Vec<Case> {
    let delete = "sqs:DeleteQueue";
    let queue = |name: &str| format!("arn:aws:sqs:us-east-2::{name}");
    vec![
        Case::new(delete, &queue("qa-queue"))
            .principal_tags(&[("team", "qa")])
            .expect(true),
        Case::new(delete, &queue("dev-queue"))
            .principal_tags(&[("team", "qa")])
            .expect(false),
        Case::new(delete, &queue("-queue")).expect(false),
        Case::new("sqs:SendMessage", &queue("qa-queue"))
            .principal_tags(&[("team", "qa")])
            .expect(false),
        Case::new(delete, &queue("qa-queue"))
            .principal_tags(&[("team", "q*")])
            .expect(false),
        Case::new(delete, &queue("dev-queue"))
            .principal_tags(&[("Department", "eng"), ("Team", "dev")])
            .expect(true),
    ]
}

/// The requests of `request_tags`.
pub fn request_tags_cases() -> Vec<Case> {
    let create = |tags: &[(&str, &str)]| Case::new("ec2:CreateTags", INSTANCE).request_tags(tags);
    vec![
        create(&[("environment", "preprod")]).expect(true),
        create(&[("environment", "production")]).expect(true),
        create(&[("environment", "dev")]).expect(false),
        create(&[("environment", "preprod"), ("owner", "x")]).expect(false),
        create(&[("Environment", "preprod")]).expect(false),
        create(&[]).expect(false),
        Case::new("ec2:CreateTags", VOLUME)
            .request_tags(&[("environment", "preprod")])
            .expect(false),
    ]
}

/// The requests of `deny_override`.
pub fn deny_override_cases() -> Vec<Case> {
    let on = |action: &str, tags: &[(&str, &str)]| Case::new(action, INSTANCE).resource_tags(tags);
    vec![
        on("ec2:TerminateInstances", &[("protected", "true")]).expect(false),
        on("ec2:TerminateInstances", &[("protected", "false")]).expect(true),
        on("ec2:StartInstances", &[("protected", "true")]).expect(true),
        on(
            "ec2:StopInstances",
            &[("Name", "db-1"), ("Protected", "true")],
        )
        .expect(false),
        on("ec2:StopInstances", &[]).expect(true),
        Case::new("s3:GetObject", "arn:aws:s3:::reports/2026/q3.csv").expect(false),
    ]
}

/// The `owner_tag` group.
pub fn owner_tag<V: Visitor>(v: &mut V) {
    let cases = owner_tag_cases();
    v.contender("compiled", || Ours::new(OWNER_TAG, requests(&cases)));
    v.contender("runtime", || {
        Ours::new(load(&[OWNER_TAG_JSON]), requests(&cases))
    });
    v.contender("handwritten", || {
        Handwritten::new(handwritten::owner_tag, requests(&cases))
    });
    v.contender("cedar", || {
        cedar_peer::Cedar::new(cedar_peer::OWNER_TAG, &cases, cedar_peer::no_extra)
    });
    v.contender("regorus", || {
        rego_peer::Rego::new(rego_peer::OWNER_TAG, &cases)
    });
    v.contender("casbin", || {
        casbin_peer::Casbin::new(
            casbin_peer::OWNER_TAG_MODEL,
            casbin_peer::owner_tag_lines(),
            &cases,
        )
    });
    v.contender("naive_json", || {
        naive::NaiveJson::new(vec![OWNER_TAG_JSON], requests(&cases))
    });
}

/// The `team_queue` group.
pub fn team_queue<V: Visitor>(v: &mut V) {
    let cases = team_queue_cases();
    v.contender("compiled", || Ours::new(TEAM_QUEUE, requests(&cases)));
    v.contender("runtime", || {
        Ours::new(load(&[TEAM_QUEUE_JSON]), requests(&cases))
    });
    v.contender("handwritten", || {
        Handwritten::new(handwritten::team_queue, requests(&cases))
    });
    v.contender("cedar", || {
        cedar_peer::Cedar::new(cedar_peer::TEAM_QUEUE, &cases, cedar_peer::queue_team)
    });
    v.contender("regorus", || {
        rego_peer::Rego::new(rego_peer::TEAM_QUEUE, &cases)
    });
    v.contender("casbin", || {
        casbin_peer::Casbin::new(
            casbin_peer::TEAM_QUEUE_MODEL,
            casbin_peer::team_queue_lines(),
            &cases,
        )
    });
    v.contender("naive_json", || {
        naive::NaiveJson::new(vec![TEAM_QUEUE_JSON], requests(&cases))
    });
}

/// The `request_tags` group.
pub fn request_tags<V: Visitor>(v: &mut V) {
    let cases = request_tags_cases();
    v.contender("compiled", || Ours::new(REQUEST_TAGS, requests(&cases)));
    v.contender("runtime", || {
        Ours::new(load(&[REQUEST_TAGS_JSON]), requests(&cases))
    });
    v.contender("handwritten", || {
        Handwritten::new(handwritten::request_tags, requests(&cases))
    });
    v.contender("cedar", || {
        cedar_peer::Cedar::new(cedar_peer::REQUEST_TAGS, &cases, cedar_peer::no_extra)
    });
    v.contender("regorus", || {
        rego_peer::Rego::new(rego_peer::REQUEST_TAGS, &cases)
    });
    v.contender("casbin", || {
        casbin_peer::Casbin::new(
            casbin_peer::REQUEST_TAGS_MODEL,
            casbin_peer::request_tags_lines(),
            &cases,
        )
    });
    v.contender("naive_json", || {
        naive::NaiveJson::new(vec![REQUEST_TAGS_JSON], requests(&cases))
    });
}

/// The `deny_override` group.
pub fn deny_override<V: Visitor>(v: &mut V) {
    let cases = deny_override_cases();
    v.contender("compiled", || Ours::new(DENY_OVERRIDE, requests(&cases)));
    v.contender("runtime", || {
        Ours::new(load(&DENY_OVERRIDE_JSON), requests(&cases))
    });
    v.contender("handwritten", || {
        Handwritten::new(handwritten::deny_override, requests(&cases))
    });
    v.contender("cedar", || {
        cedar_peer::Cedar::new(cedar_peer::DENY_OVERRIDE, &cases, cedar_peer::no_extra)
    });
    v.contender("regorus", || {
        rego_peer::Rego::new(rego_peer::DENY_OVERRIDE, &cases)
    });
    v.contender("casbin", || {
        casbin_peer::Casbin::new(
            casbin_peer::DENY_OVERRIDE_MODEL,
            casbin_peer::deny_override_lines(),
            &cases,
        )
    });
    v.contender("naive_json", || {
        naive::NaiveJson::new(DENY_OVERRIDE_JSON.to_vec(), requests(&cases))
    });
}
