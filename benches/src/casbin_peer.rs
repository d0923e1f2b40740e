//! casbin: the rules as casbin ABAC models (a matcher over attributes of the request's subject
//! and object) with policy lines, requests as casbin arguments.
//!
//! The native form of a request is the argument vector `(sub, obj, act)` as rhai values:
//! `sub = {name, tags}`, `obj = {arn, tags, req_tags, tag_keys}`, tag keys lower-cased in the tag
//! maps (IAM compares keys case-insensitively) and `tag_keys` as sent. casbin has no IAM-style
//! glob (its `globMatch` stops `*` at `/` and compiles the pattern on every call), so the models
//! register `iamMatch`, a linear glob in Rust, as a custom function; and since rhai matchers
//! cannot hold closures, `allIn(list, "a|b")` (every element is one of) for `ForAllValues`.

use casbin::function_map::OperatorFunction;
use casbin::prelude::*;
use casbin::rhai::{serde::to_dynamic, Dynamic};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::cases::{folded, Case};
use crate::Decide;

/// The subject of a request.
#[derive(Serialize, Hash)]
pub struct Sub {
    /// The user name (empty if none).
    pub name: String,
    /// The principal's tags, keys lower-cased.
    pub tags: BTreeMap<String, String>,
}

/// The object of a request.
#[derive(Serialize, Hash)]
pub struct Obj {
    /// The resource ARN.
    pub arn: String,
    /// The resource's tags, keys lower-cased.
    pub tags: BTreeMap<String, String>,
    /// The request's tags, keys lower-cased.
    pub req_tags: BTreeMap<String, String>,
    /// The request's tag keys as sent.
    pub tag_keys: Vec<String>,
}

/// An enforcer for `model` with `lines` as its policy.
pub fn enforcer(model: &str, lines: Vec<Vec<String>>) -> Enforcer {
    futures_executor::block_on(async {
        let model = DefaultModel::from_str(model)
            .await
            .unwrap_or_else(|e| panic!("casbin model: {e}"));
        let mut e = Enforcer::new(model, MemoryAdapter::default())
            .await
            .unwrap_or_else(|e| panic!("casbin enforcer: {e}"));
        e.add_function(
            "iamMatch",
            OperatorFunction::Arg2(|text: Dynamic, pattern: Dynamic| {
                let text = text.into_immutable_string().unwrap_or_default();
                let pattern = pattern.into_immutable_string().unwrap_or_default();
                glob(pattern.as_bytes(), text.as_bytes()).into()
            }),
        );
        e.add_function(
            "allIn",
            OperatorFunction::Arg2(|list: Dynamic, allowed: Dynamic| {
                let allowed = allowed.into_immutable_string().unwrap_or_default();
                let list = list.into_array().unwrap_or_default();
                list.iter()
                    .all(|k| {
                        k.clone()
                            .into_immutable_string()
                            .is_ok_and(|k| allowed.split('|').any(|a| a == k.as_str()))
                    })
                    .into()
            }),
        );
        if !lines.is_empty() {
            e.add_policies(lines)
                .await
                .unwrap_or_else(|e| panic!("casbin policies: {e}"));
        }
        e
    })
}

/// IAM glob: `*` spans any bytes, `?` one; linear time (one backtrack point).
pub fn glob(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The arguments of a case, in casbin's request form.
pub fn args(c: &Case) -> Vec<Dynamic> {
    let map = |tags: &[(String, String)]| folded(tags).into_iter().collect();
    let sub = Sub {
        name: c.username.clone().unwrap_or_default(),
        tags: map(&c.principal_tags),
    };
    let obj = Obj {
        arn: c.resource.clone(),
        tags: map(&c.resource_tags),
        req_tags: map(&c.request_tags),
        tag_keys: c.request_tags.iter().map(|(k, _)| k.clone()).collect(),
    };
    let dynamic =
        |r: std::result::Result<Dynamic, _>| r.unwrap_or_else(|e| panic!("casbin argument: {e}"));
    vec![
        dynamic(to_dynamic(&sub)),
        dynamic(to_dynamic(&obj)),
        Dynamic::from(c.action.clone()),
    ]
}

/// The contender: an enforcer and the requests' arguments.
pub struct Casbin {
    enforcer: Enforcer,
    args: Vec<Vec<Dynamic>>,
}

impl Casbin {
    /// An enforcer for `model` and `lines`, and `cases` translated.
    pub fn new(model: &str, lines: Vec<Vec<String>>, cases: &[Case]) -> Self {
        Casbin {
            enforcer: enforcer(model, lines),
            args: cases.iter().map(args).collect(),
        }
    }
}

impl Decide for Casbin {
    fn requests(&self) -> usize {
        self.args.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        // `enforce` takes its arguments by value; the clone is what a caller holding them pays.
        self.enforcer
            .enforce(self.args[i].clone())
            .unwrap_or_else(|e| panic!("casbin enforce: {e}"))
    }
}

/// Policy lines from string slices.
pub fn lines(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

/// `owner_tag`: `p = act, obj, cond`; `cond` is `owner` (the owner tag is the user) or `any`.
pub const OWNER_TAG_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = act, obj, cond

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && iamMatch(r.obj.arn, p.obj) && (p.cond == "any" || (r.sub.name != "" && r.obj.tags.owner == r.sub.name))
"#;

/// The policy lines of `owner_tag`.
pub fn owner_tag_lines() -> Vec<Vec<String>> {
    lines(&[
        &["ec2:StartInstances", "arn:aws:ec2:*:*:instance/*", "owner"],
        &["ec2:StopInstances", "arn:aws:ec2:*:*:instance/*", "owner"],
        &["ec2:DescribeInstances", "*", "any"],
    ])
}

/// `team_queue`: `p = act, obj`; the queue ARN is `obj` followed by the team and `-queue`.
pub const TEAM_QUEUE_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = act, obj

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && "team" in r.sub.tags && r.obj.arn == p.obj + r.sub.tags.team + "-queue"
"#;

/// The policy lines of `team_queue`.
pub fn team_queue_lines() -> Vec<Vec<String>> {
    lines(&[&["sqs:DeleteQueue", "arn:aws:sqs:us-east-2::"]])
}

/// `request_tags`: `p = act, obj, tag, value, keys`: tag `tag` must be `value` (one line per
/// allowed value), and every tag key one of `keys` (joined with `|`).
pub const REQUEST_TAGS_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = act, obj, tag, value, keys

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && iamMatch(r.obj.arn, p.obj) && p.tag in r.obj.req_tags && r.obj.req_tags[p.tag] == p.value && allIn(r.obj.tag_keys, p.keys)
"#;

/// The policy lines of `request_tags`.
pub fn request_tags_lines() -> Vec<Vec<String>> {
    let instance = "arn:aws:ec2:*:*:instance/*";
    lines(&[
        &[
            "ec2:CreateTags",
            instance,
            "environment",
            "preprod",
            "environment",
        ],
        &[
            "ec2:CreateTags",
            instance,
            "environment",
            "production",
            "environment",
        ],
    ])
}

/// `deny_override`: `p = act, obj, cond, eft`; `cond` `protected` needs the tag `protected=true`.
pub const DENY_OVERRIDE_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = act, obj, cond, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = keyMatch(r.act, p.act) && iamMatch(r.obj.arn, p.obj) && (p.cond == "-" || r.obj.tags["protected"] == "true")
"#;

/// The policy lines of `deny_override`.
pub fn deny_override_lines() -> Vec<Vec<String>> {
    lines(&[
        &["ec2:*", "*", "-", "allow"],
        &["ec2:TerminateInstances", "*", "protected", "deny"],
        &["ec2:StopInstances", "*", "protected", "deny"],
    ])
}

/// The generated sets: `p = act, obj, fam, key, val, eft` (see `scale::to_casbin_lines`).
pub const SCALE_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = act, obj, fam, key, val, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.act == p.act && iamMatch(r.obj.arn, p.obj) && (p.fam == "-" || (p.fam == "res" && ((p.val == "$user" && r.obj.tags[p.key] == r.sub.name) || r.obj.tags[p.key] == p.val)) || (p.fam == "pri" && r.sub.tags[p.key] == p.val))
"#;
