//! cedar-policy: the rules as Cedar policies, requests as a Cedar `Request` plus `Entities`.
//!
//! The native form of a request: the principal `User::"<name>"` with attribute `name` (when the
//! request has a user) and the principal's tags as entity tags; the action `Action::"svc:Name"`
//! whose parent is the group `Action::"svc:*"`; the resource `Resource::"<arn>"` with attribute
//! `arn` and the resource's tags as entity tags; the context record `request_tags` (the request's
//! tags) and the set `tag_keys` (their keys, as sent). Tag keys are lower-cased (IAM compares keys
//! case-insensitively; Cedar compares exactly).

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};

use crate::cases::{folded, Case};
use crate::Decide;

/// The contender: a policy set, an authorizer and the requests in native form.
pub struct Cedar {
    policies: PolicySet,
    authorizer: Authorizer,
    requests: Vec<(Request, Entities)>,
}

impl Cedar {
    /// Parses `policies` and translates `cases`; `extra` adds workload-specific resource
    /// attributes to a case's resource entity.
    pub fn new(
        policies: &str,
        cases: &[Case],
        extra: fn(&Case) -> Vec<(String, RestrictedExpression)>,
    ) -> Self {
        let policies =
            PolicySet::from_str(policies).unwrap_or_else(|e| panic!("cedar policies: {e:?}"));
        let requests = cases.iter().map(|c| native(c, extra(c))).collect();
        Cedar {
            policies,
            authorizer: Authorizer::new(),
            requests,
        }
    }
}

impl Decide for Cedar {
    fn requests(&self) -> usize {
        self.requests.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        let (request, entities) = &self.requests[i];
        self.authorizer
            .is_authorized(request, &self.policies, entities)
            .decision()
            == Decision::Allow
    }
}

/// No extra resource attributes.
pub fn no_extra(_: &Case) -> Vec<(String, RestrictedExpression)> {
    Vec::new()
}

/// `EntityUid` of a type and id.
pub fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(ty).unwrap_or_else(|e| panic!("entity type {ty}: {e}")),
        EntityId::new(id),
    )
}

fn string(s: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(s.to_owned())
}

fn tags(tags: &[(String, String)]) -> Vec<(String, RestrictedExpression)> {
    folded(tags)
        .into_iter()
        .map(|(k, v)| (k, string(&v)))
        .collect()
}

/// The native form of a case.
pub fn native(c: &Case, extra: Vec<(String, RestrictedExpression)>) -> (Request, Entities) {
    let principal = uid("User", c.username.as_deref().unwrap_or("anonymous"));
    let attrs: Vec<(String, RestrictedExpression)> = c
        .username
        .iter()
        .map(|u| ("name".to_owned(), string(u)))
        .collect();
    let user = Entity::new_with_tags(principal.clone(), attrs, [], tags(&c.principal_tags))
        .unwrap_or_else(|e| panic!("principal entity: {e}"));

    let action = uid("Action", &c.action);
    let service = c.action.split_once(':').map_or("", |(s, _)| s);
    let group = uid("Action", &format!("{service}:*"));
    let action_entity = Entity::new_with_tags(action.clone(), [], [group], [])
        .unwrap_or_else(|e| panic!("action entity: {e}"));

    let resource = uid("Resource", &c.resource);
    let mut rattrs = vec![("arn".to_owned(), string(&c.resource))];
    rattrs.extend(extra);
    let res = Entity::new_with_tags(resource.clone(), rattrs, [], tags(&c.resource_tags))
        .unwrap_or_else(|e| panic!("resource entity: {e}"));

    let request_tags = RestrictedExpression::new_record(
        folded(&c.request_tags)
            .into_iter()
            .map(|(k, v)| (k, string(&v))),
    )
    .unwrap_or_else(|e| panic!("request tags: {e}"));
    let tag_keys = RestrictedExpression::new_set(c.request_tags.iter().map(|(k, _)| string(k)));
    let context = Context::from_pairs([
        ("request_tags".to_owned(), request_tags),
        ("tag_keys".to_owned(), tag_keys),
    ])
    .unwrap_or_else(|e| panic!("context: {e}"));

    let request = Request::new(principal, action, resource, context, None)
        .unwrap_or_else(|e| panic!("cedar request: {e}"));
    let entities = Entities::from_entities([user, action_entity, res], None)
        .unwrap_or_else(|e| panic!("entities: {e}"));
    (request, entities)
}

/// `owner_tag` in Cedar.
pub const OWNER_TAG: &str = r#"
permit(principal, action in [Action::"ec2:StartInstances", Action::"ec2:StopInstances"], resource)
when {
  resource.arn like "arn:aws:ec2:*:*:instance/*" &&
  principal has name &&
  resource.hasTag("owner") && resource.getTag("owner") == principal.name
};
permit(principal, action == Action::"ec2:DescribeInstances", resource);
"#;

/// `team_queue` in Cedar. Cedar has no string concatenation, so the rule cannot build the ARN
/// from the team; the application gives each queue entity a `team` attribute (its name without
/// the `-queue` suffix, see [`queue_team`]) and the policy compares that.
pub const TEAM_QUEUE: &str = r#"
permit(principal, action == Action::"sqs:DeleteQueue", resource)
when {
  resource.arn like "arn:aws:sqs:us-east-2::*-queue" &&
  resource has team &&
  principal.hasTag("team") && resource.team == principal.getTag("team")
};
"#;

/// The `team` attribute of a queue entity: `arn:aws:sqs:us-east-2::<team>-queue` → `<team>`.
pub fn queue_team(c: &Case) -> Vec<(String, RestrictedExpression)> {
    c.resource
        .strip_prefix("arn:aws:sqs:us-east-2::")
        .and_then(|name| name.strip_suffix("-queue"))
        .map(|team| ("team".to_owned(), string(team)))
        .into_iter()
        .collect()
}

/// `request_tags` in Cedar.
pub const REQUEST_TAGS: &str = r#"
permit(principal, action == Action::"ec2:CreateTags", resource)
when {
  resource.arn like "arn:aws:ec2:*:*:instance/*" &&
  context.request_tags has environment &&
  ["preprod", "production"].contains(context.request_tags.environment) &&
  ["environment"].containsAll(context.tag_keys)
};
"#;

/// `deny_override` in Cedar.
pub const DENY_OVERRIDE: &str = r#"
permit(principal, action in Action::"ec2:*", resource);
@id("Protected")
forbid(principal, action in [Action::"ec2:TerminateInstances", Action::"ec2:StopInstances"], resource)
when { resource.hasTag("protected") && resource.getTag("protected") == "true" };
"#;
