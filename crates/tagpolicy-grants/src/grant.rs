//! The grant model and grant files.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tagpolicy_runtime::glob;
use tagpolicy_runtime::Timestamp;

/// A time-limited grant of tags (IAM: `aws:PrincipalTag/k` of the principal, overriding its own
/// value for that key) and roles (permission form) to one principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Unique id (audit records and revocation name it).
    pub id: String,
    /// Who receives it: the request's `principal` (IAM) or `subject.id` (permission form).
    pub principal: String,
    /// Tags granted, by key.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Roles granted.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Start of the window (inclusive).
    #[serde(with = "rfc3339")]
    pub not_before: Timestamp,
    /// End of the window (exclusive).
    #[serde(with = "rfc3339")]
    pub expires_at: Timestamp,
    /// Why it was requested.
    #[serde(default)]
    pub reason: String,
    /// Who requested it.
    #[serde(default)]
    pub requested_by: String,
    /// Who approved it.
    #[serde(default)]
    pub approved_by: Vec<String>,
    /// A ticket reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Where it counts; everywhere when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// An emergency grant: may be self-approved, and is always audited as such.
    #[serde(default)]
    pub break_glass: bool,
}

/// The actions and resources a grant counts for (globs; an empty list means any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Action globs, matched case-insensitively.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Resource globs, matched case-sensitively.
    #[serde(default)]
    pub resources: Vec<String>,
}

impl Grant {
    /// Whether the grant is in force at `t`: not revoked and `not_before <= t < expires_at`.
    pub fn is_active_at(&self, t: Timestamp, revoked: bool) -> bool {
        !revoked && self.not_before <= t && t < self.expires_at
    }

    /// Whether the grant counts for an action on a resource (its scope, if any).
    pub fn covers(&self, action: &str, resource: &str) -> bool {
        let Some(scope) = &self.scope else {
            return true;
        };
        let action_ok = scope.actions.is_empty()
            || scope
                .actions
                .iter()
                .any(|a| glob::matches_ascii_case_insensitive(&a.to_ascii_lowercase(), action));
        let resource_ok = scope.resources.is_empty()
            || scope.resources.iter().any(|r| glob::matches(r, resource));
        action_ok && resource_ok
    }

    /// The length of the window in milliseconds (negative when it ends before it starts).
    pub fn duration_ms(&self) -> i64 {
        self.expires_at
            .millis()
            .saturating_sub(self.not_before.millis())
    }

    /// Reads a grants file: a JSON list of grants, or `{"grants": [...]}`. `name` is used in
    /// errors.
    pub fn read_file(name: &str, text: &str) -> Result<Vec<Grant>, GrantFileError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wrapped {
            grants: Vec<Grant>,
        }
        let result = if text.trim_start().starts_with('{') {
            serde_json::from_str::<Wrapped>(text).map(|w| w.grants)
        } else {
            serde_json::from_str::<Vec<Grant>>(text)
        };
        result.map_err(|e| GrantFileError {
            file: name.to_string(),
            line: e.line(),
            col: e.column(),
            message: e.to_string(),
        })
    }
}

/// A grants file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantFileError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for GrantFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // serde_json appends " at line L column C"; the position is already in front.
        let message = self
            .message
            .rsplit_once(" at line ")
            .map_or(self.message.as_str(), |(m, _)| m);
        write!(
            f,
            "{}:{}:{}: error: {message}",
            self.file, self.line, self.col
        )
    }
}

impl std::error::Error for GrantFileError {}

/// RFC 3339 times in grant files.
mod rfc3339 {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 32];
        s.serialize_str(t.write_rfc3339(&mut buf))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "\"{text}\" is not an RFC 3339 time (for example \"2026-11-22T10:00:00Z\")"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("time")
    }

    const ONE: &str = r#"[{ "id": "g-01", "principal": "alice", "tags": { "team": "ops" },
      "not_before": "2026-11-22T10:00:00Z", "expires_at": "2026-11-22T12:00:00Z",
      "reason": "INC-4711", "requested_by": "alice", "approved_by": ["bob"],
      "scope": { "actions": ["ec2:*"], "resources": ["arn:aws:ec2:*:*:instance/*"] } }]"#;

    #[test]
    fn the_window_is_inclusive_at_start_and_exclusive_at_end() {
        let g = &Grant::read_file("g.json", ONE).expect("reads")[0];
        let ms = |s: &str, d: i64| Timestamp::from_millis(t(s).millis() + d);
        assert!(!g.is_active_at(ms("2026-11-22T10:00:00Z", -1), false));
        assert!(g.is_active_at(t("2026-11-22T10:00:00Z"), false));
        assert!(g.is_active_at(ms("2026-11-22T12:00:00Z", -1), false));
        assert!(!g.is_active_at(t("2026-11-22T12:00:00Z"), false));
        assert!(!g.is_active_at(t("2026-11-22T11:00:00Z"), true), "revoked");
        assert_eq!(g.duration_ms(), 2 * 3600 * 1000);
    }

    #[test]
    fn scope_limits_actions_and_resources() {
        let g = &Grant::read_file("g.json", ONE).expect("reads")[0];
        assert!(g.covers("EC2:StartInstances", "arn:aws:ec2:us-east-1:1:instance/i-1"));
        assert!(!g.covers("s3:GetObject", "arn:aws:ec2:us-east-1:1:instance/i-1"));
        assert!(!g.covers("ec2:StartInstances", "arn:aws:s3:::bucket"));
    }

    #[test]
    fn both_file_shapes_read_and_errors_are_positioned() {
        let wrapped = format!("{{\"grants\": {ONE}}}");
        assert_eq!(
            Grant::read_file("g.json", &wrapped)
                .expect("object form")
                .len(),
            1
        );
        let bad = ONE.replace("\"2026-11-22T12:00:00Z\"", "\"noon\"");
        let e = Grant::read_file("g.json", &bad).expect_err("bad time");
        assert_eq!((e.line, e.file.as_str()), (2, "g.json"));
        assert!(
            e.to_string().contains("\"noon\" is not an RFC 3339 time"),
            "{e}"
        );
        let typo = ONE.replace("\"reason\"", "\"raeson\"");
        let e = Grant::read_file("g.json", &typo).expect_err("unknown field");
        assert!(e.to_string().contains("unknown field `raeson`"), "{e}");
    }

    #[test]
    fn grants_round_trip_through_json() {
        let g = Grant::read_file("g.json", ONE).expect("reads");
        let text = serde_json::to_string(&g).expect("serialises");
        assert_eq!(
            Grant::read_file("again.json", &text).expect("reads back"),
            g
        );
    }
}
