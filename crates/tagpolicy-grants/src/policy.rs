//! The issuing policy: which grants may be issued. It rejects, never clamps.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::grant::Grant;

/// What may be granted, for how long, and how.
///
/// In a file:
/// ```json
/// { "max_duration": "4h",
///   "grantable_tags": { "team": ["ops", "dba"], "oncall": "*" },
///   "grantable_roles": ["reader", "incident-responder"] }
/// ```
/// A tag key maps to its grantable values, or `"*"` for any value. A reason is required and
/// self-approval refused (except for break-glass grants) unless the file says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantPolicy {
    /// The longest window, in milliseconds.
    pub max_duration_ms: i64,
    /// Grantable tag keys and, for each, its grantable values (`None`: any value).
    pub grantable_tags: BTreeMap<String, Option<Vec<String>>>,
    /// Grantable roles.
    pub grantable_roles: Vec<String>,
    /// Whether a non-empty reason is required.
    pub require_reason: bool,
    /// Whether the requester (or the principal) may approve their own grant without
    /// `break_glass`.
    pub allow_self_approval: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    max_duration: String,
    #[serde(default)]
    grantable_tags: BTreeMap<String, TagValues>,
    #[serde(default)]
    grantable_roles: Vec<String>,
    #[serde(default = "yes")]
    require_reason: bool,
    #[serde(default)]
    allow_self_approval: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TagValues {
    Any(String),
    Some(Vec<String>),
}

/// Parses a duration such as `4h`, `90m`, `2h30m`, `45s` or `1d`.
fn parse_duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let unit: i64 = match c {
            'd' => 86_400_000,
            'h' => 3_600_000,
            'm' => 60_000,
            's' => 1_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (digits.is_empty() && total > 0).then_some(total)
}

impl GrantPolicy {
    /// Reads a grant policy from JSON text.
    pub fn from_json(text: &str) -> Result<GrantPolicy, String> {
        let file: PolicyFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let max_duration_ms = parse_duration(&file.max_duration).ok_or_else(|| {
            format!(
                "max_duration \"{}\" is not a duration such as \"4h\", \"90m\" or \"1d\"",
                file.max_duration
            )
        })?;
        let mut grantable_tags = BTreeMap::new();
        for (key, values) in file.grantable_tags {
            let values = match values {
                TagValues::Any(s) if s == "*" => None,
                TagValues::Any(s) => {
                    return Err(format!(
                        "grantable_tags.{key}: write a list of values or \"*\", not \"{s}\""
                    ))
                }
                TagValues::Some(v) => Some(v),
            };
            grantable_tags.insert(key, values);
        }
        Ok(GrantPolicy {
            max_duration_ms,
            grantable_tags,
            grantable_roles: file.grantable_roles,
            require_reason: file.require_reason,
            allow_self_approval: file.allow_self_approval,
        })
    }

    /// Checks a grant against the policy and the grants already issued (revoked ones excluded by
    /// the caller). Every broken rule is reported.
    pub fn check(&self, grant: &Grant, existing: &[&Grant]) -> Result<(), Vec<Rejection>> {
        let mut out = Vec::new();
        let duration = grant.duration_ms();
        if duration <= 0 {
            out.push(Rejection::EmptyWindow);
        } else if duration > self.max_duration_ms {
            out.push(Rejection::TooLong {
                requested_ms: duration,
                max_ms: self.max_duration_ms,
            });
        }
        if self.require_reason && grant.reason.trim().is_empty() {
            out.push(Rejection::MissingReason);
        }
        if !grant.break_glass && !self.allow_self_approval {
            if grant.approved_by.is_empty() {
                out.push(Rejection::NoApprover);
            }
            for approver in &grant.approved_by {
                if *approver == grant.requested_by || *approver == grant.principal {
                    out.push(Rejection::SelfApproval {
                        approver: approver.clone(),
                    });
                }
            }
        }
        if grant.tags.is_empty() && grant.roles.is_empty() {
            out.push(Rejection::GrantsNothing);
        }
        for (key, value) in &grant.tags {
            match self.grantable_tags.get(key) {
                None => out.push(Rejection::TagNotGrantable { key: key.clone() }),
                Some(Some(values)) if !values.contains(value) => {
                    out.push(Rejection::TagValueNotGrantable {
                        key: key.clone(),
                        value: value.clone(),
                    })
                }
                Some(_) => {}
            }
        }
        for role in &grant.roles {
            if !self.grantable_roles.contains(role) {
                out.push(Rejection::RoleNotGrantable { role: role.clone() });
            }
        }
        for other in existing {
            let overlaps =
                other.not_before < grant.expires_at && grant.not_before < other.expires_at;
            if other.id == grant.id || other.principal != grant.principal || !overlaps {
                continue;
            }
            for key in grant.tags.keys() {
                if other.tags.contains_key(key) {
                    out.push(Rejection::Overlap {
                        key: key.clone(),
                        existing: other.id.clone(),
                    });
                }
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }
}

/// Why a grant may not be issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// `expires_at` is not after `not_before`.
    EmptyWindow,
    /// The window is longer than the policy allows.
    TooLong {
        /// The requested length.
        requested_ms: i64,
        /// The longest allowed.
        max_ms: i64,
    },
    /// No reason given.
    MissingReason,
    /// Nobody approved it (and it is not break-glass).
    NoApprover,
    /// The requester or the principal approved it (and it is not break-glass).
    SelfApproval {
        /// The approver.
        approver: String,
    },
    /// It grants no tag and no role.
    GrantsNothing,
    /// A tag key that may not be granted.
    TagNotGrantable {
        /// The key.
        key: String,
    },
    /// A tag value that may not be granted for its key.
    TagValueNotGrantable {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// A role that may not be granted.
    RoleNotGrantable {
        /// The role.
        role: String,
    },
    /// Another grant for the same principal and tag key overlaps this one's window.
    Overlap {
        /// The tag key.
        key: String,
        /// The other grant's id.
        existing: String,
    },
}

fn human(ms: i64) -> String {
    let minutes = ms / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::EmptyWindow => write!(f, "the window ends before it starts (expires_at must be after not_before)"),
            Rejection::TooLong { requested_ms, max_ms } => write!(
                f,
                "the window is {} long, longer than the {} the grant policy allows (grants are rejected, never shortened)",
                human(*requested_ms),
                human(*max_ms)
            ),
            Rejection::MissingReason => write!(f, "a reason is required"),
            Rejection::NoApprover => write!(f, "nobody approved it; only break-glass grants may go without approval"),
            Rejection::SelfApproval { approver } => write!(
                f,
                "`{approver}` approved their own grant; only break-glass grants may be self-approved"
            ),
            Rejection::GrantsNothing => write!(f, "it grants no tag and no role"),
            Rejection::TagNotGrantable { key } => write!(f, "tag `{key}` may not be granted"),
            Rejection::TagValueNotGrantable { key, value } => {
                write!(f, "tag `{key}` may not be granted the value \"{value}\"")
            }
            Rejection::RoleNotGrantable { role } => write!(f, "role `{role}` may not be granted"),
            Rejection::Overlap { key, existing } => write!(
                f,
                "grant `{existing}` already gives this principal tag `{key}` during this window"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> GrantPolicy {
        GrantPolicy::from_json(
            r#"{ "max_duration": "4h", "grantable_tags": { "team": ["ops"], "oncall": "*" },
                 "grantable_roles": ["reader"] }"#,
        )
        .expect("policy reads")
    }

    fn grant(edit: impl FnOnce(&mut serde_json::Value)) -> Grant {
        let mut v = serde_json::json!({
            "id": "g-1", "principal": "alice", "tags": { "team": "ops" }, "roles": [],
            "not_before": "2026-11-22T10:00:00Z", "expires_at": "2026-11-22T12:00:00Z",
            "reason": "INC-4711 failover", "requested_by": "alice", "approved_by": ["bob"]
        });
        edit(&mut v);
        serde_json::from_value(v).expect("grant")
    }

    fn rejected(g: &Grant, existing: &[&Grant]) -> Vec<String> {
        policy()
            .check(g, existing)
            .expect_err("rejected")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_proper_grant_is_accepted() {
        assert_eq!(policy().check(&grant(|_| {}), &[]), Ok(()));
    }

    #[test]
    fn too_long_is_rejected_not_clamped() {
        let g = grant(|v| v["expires_at"] = "2026-11-22T14:30:00Z".into());
        assert_eq!(
            rejected(&g, &[]),
            ["the window is 4h30m long, longer than the 4h the grant policy allows (grants are rejected, never shortened)"]
        );
    }

    #[test]
    fn a_window_that_ends_before_it_starts() {
        let g = grant(|v| v["expires_at"] = "2026-11-22T09:00:00Z".into());
        assert_eq!(
            rejected(&g, &[]),
            ["the window ends before it starts (expires_at must be after not_before)"]
        );
    }

    #[test]
    fn missing_reason() {
        let g = grant(|v| v["reason"] = "  ".into());
        assert_eq!(rejected(&g, &[]), ["a reason is required"]);
    }

    #[test]
    fn self_approval_unless_break_glass() {
        let g = grant(|v| v["approved_by"] = serde_json::json!(["alice"]));
        assert_eq!(
            rejected(&g, &[]),
            ["`alice` approved their own grant; only break-glass grants may be self-approved"]
        );
        let g = grant(|v| {
            v["approved_by"] = serde_json::json!(["alice"]);
            v["break_glass"] = true.into();
        });
        assert_eq!(policy().check(&g, &[]), Ok(()));
        let g = grant(|v| v["approved_by"] = serde_json::json!([]));
        assert_eq!(
            rejected(&g, &[]),
            ["nobody approved it; only break-glass grants may go without approval"]
        );
    }

    #[test]
    fn only_grantable_tags_values_and_roles() {
        let g = grant(|v| {
            v["tags"] = serde_json::json!({ "team": "dba", "admin": "true", "oncall": "yes" });
            v["roles"] = serde_json::json!(["reader", "owner"]);
        });
        assert_eq!(
            rejected(&g, &[]),
            [
                "tag `admin` may not be granted",
                "tag `team` may not be granted the value \"dba\"",
                "role `owner` may not be granted",
            ]
        );
    }

    #[test]
    fn one_active_grant_per_principal_and_tag_key() {
        let first = grant(|_| {});
        let second = grant(|v| {
            v["id"] = "g-2".into();
            v["not_before"] = "2026-11-22T11:00:00Z".into();
            v["expires_at"] = "2026-11-22T13:00:00Z".into();
        });
        assert_eq!(
            rejected(&second, &[&first]),
            ["grant `g-1` already gives this principal tag `team` during this window"]
        );
        let later = grant(|v| {
            v["id"] = "g-3".into();
            v["not_before"] = "2026-11-22T12:00:00Z".into();
            v["expires_at"] = "2026-11-22T13:00:00Z".into();
        });
        assert_eq!(
            policy().check(&later, &[&first]),
            Ok(()),
            "windows touch, not overlap"
        );
        let other_principal = grant(|v| {
            v["id"] = "g-4".into();
            v["principal"] = "carol".into();
            v["requested_by"] = "carol".into();
        });
        assert_eq!(policy().check(&other_principal, &[&first]), Ok(()));
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let g = grant(|v| {
            v["reason"] = "".into();
            v["approved_by"] = serde_json::json!(["alice"]);
            v["tags"] = serde_json::json!({});
        });
        assert_eq!(rejected(&g, &[]).len(), 3);
    }

    #[test]
    fn policy_files_are_validated() {
        assert!(GrantPolicy::from_json(r#"{ "max_duration": "forever" }"#)
            .expect_err("bad duration")
            .contains("is not a duration"));
        assert!(GrantPolicy::from_json(
            r#"{ "max_duration": "1h", "grantable_tags": { "team": "ops" } }"#
        )
        .expect_err("bad values")
        .contains("write a list of values or \"*\""));
        assert!(
            GrantPolicy::from_json(r#"{ "max_duration": "1h", "max_duraton": "2h" }"#)
                .expect_err("typo")
                .contains("unknown field")
        );
        assert_eq!(parse_duration("2h30m"), Some(9_000_000));
        assert_eq!(parse_duration("1d"), Some(86_400_000));
        assert_eq!(parse_duration("0h"), None);
        assert_eq!(parse_duration("10"), None);
    }
}
