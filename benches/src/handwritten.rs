//! What a careful engineer writes by hand for exactly each seed rule: no engine, no tables. It
//! reads the same borrowed [`Request`] as our two paths (so the comparison is of deciding, not of
//! request building), matches the action case-insensitively, checks the ARN shape, looks tags up
//! case-insensitively (as AWS does for keys) and compares values exactly.
//!
//! The entry points are `#[inline(never)]`: one call per decision, as for the compiled policy.

use tagpolicy::{Request, Value};

/// The user name (`aws:username`) of the request: its first context entry of that key.
#[inline]
fn username<'a>(req: &Request<'a>) -> Option<&'a str> {
    req.context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("aws:username"))
        .and_then(|(_, v)| match v {
            Value::Str(s) => Some(*s),
            _ => None,
        })
}

/// The value of a tag, its key compared case-insensitively; the first such tag wins.
#[inline]
pub fn tag<'a>(tags: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| *v)
}

/// Whether `arn` matches `arn:aws:ec2:*:*:instance/*`, where each `*` may span any text.
#[inline]
fn is_ec2_instance_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws:ec2:") else {
        return false;
    };
    // `*:*:instance/*`: a ':' (after the region), then ":instance/" after it.
    match rest.find(':') {
        Some(p) => rest[p + 1..].contains(":instance/"),
        None => false,
    }
}

/// `owner_tag`: Start/Stop an EC2 instance whose `Owner` tag is the user's name; Describe anything.
#[inline(never)]
pub fn owner_tag(req: &Request<'_>) -> bool {
    let action = req.action;
    if action.eq_ignore_ascii_case("ec2:DescribeInstances") {
        return true;
    }
    if !(action.eq_ignore_ascii_case("ec2:StartInstances")
        || action.eq_ignore_ascii_case("ec2:StopInstances"))
    {
        return false;
    }
    if !is_ec2_instance_arn(req.resource) {
        return false;
    }
    match (tag(req.resource_tags, "Owner"), username(req)) {
        (Some(owner), Some(user)) => owner == user,
        _ => false,
    }
}

/// `team_queue`: delete the queue `arn:aws:sqs:us-east-2::<team>-queue` of the principal's team.
#[inline(never)]
pub fn team_queue(req: &Request<'_>) -> bool {
    if !req.action.eq_ignore_ascii_case("sqs:DeleteQueue") {
        return false;
    }
    let Some(team) = tag(req.principal_tags, "team") else {
        return false;
    };
    req.resource
        .strip_prefix("arn:aws:sqs:us-east-2::")
        .and_then(|name| name.strip_suffix("-queue"))
        == Some(team)
}

/// `request_tags`: tag an EC2 instance with `environment` = `preprod` or `production`, and no
/// other tag key (`ForAllValues:StringEquals aws:TagKeys`, keys compared exactly).
#[inline(never)]
pub fn request_tags(req: &Request<'_>) -> bool {
    if !req.action.eq_ignore_ascii_case("ec2:CreateTags") || !is_ec2_instance_arn(req.resource) {
        return false;
    }
    let tags = req.request_tags;
    matches!(tag(tags, "environment"), Some("preprod" | "production"))
        && tags.iter().all(|(k, _)| *k == "environment")
}

/// The decision of `deny_override`, which tells an explicit Deny from no Allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// Explicitly denied.
    Deny,
    /// Nothing allows.
    ImplicitDeny,
}

/// `deny_override`: any EC2 action, except Terminate/Stop of an instance tagged `protected=true`.
#[inline(never)]
pub fn deny_override_outcome(req: &Request<'_>) -> Outcome {
    let action = req.action;
    let ec2 = action
        .get(..4)
        .is_some_and(|s| s.eq_ignore_ascii_case("ec2:"));
    if !ec2 {
        return Outcome::ImplicitDeny;
    }
    let guarded = action.eq_ignore_ascii_case("ec2:TerminateInstances")
        || action.eq_ignore_ascii_case("ec2:StopInstances");
    if guarded && tag(req.resource_tags, "protected") == Some("true") {
        return Outcome::Deny;
    }
    Outcome::Allow
}

/// `deny_override` as Allow/Deny.
#[inline]
pub fn deny_override(req: &Request<'_>) -> bool {
    deny_override_outcome(req) == Outcome::Allow
}

/// `owner_tag` straight from the application's own data (the `owner_tag_e2e` group): the app
/// knows the resource is an EC2 instance, so there is no ARN to build or check.
#[inline(never)]
pub fn owner_tag_app(user: &str, action: &str, tags: &[(String, String)]) -> bool {
    if action.eq_ignore_ascii_case("ec2:DescribeInstances") {
        return true;
    }
    if !(action.eq_ignore_ascii_case("ec2:StartInstances")
        || action.eq_ignore_ascii_case("ec2:StopInstances"))
    {
        return false;
    }
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Owner"))
        .is_some_and(|(_, owner)| owner == user)
}
