//! Just-in-time access for tagpolicy (SPEC §4): time-limited grants that add tags or roles to one
//! principal, and the issuing policy that validates them.
//!
//! A [`Grant`] is active at time `t` iff it is not revoked and `not_before <= t < expires_at`;
//! time is always an input, never read from a clock. Issuing goes through a [`GrantPolicy`],
//! which rejects — never clamps — a grant that breaks a rule, with every reason at once.
//!
//! ```
//! use tagpolicy_grants::{Grant, GrantPolicy};
//!
//! let grants = Grant::read_file("grants.json", r#"[{
//!   "id": "g-01", "principal": "alice", "tags": { "team": "ops" },
//!   "not_before": "2026-11-22T10:00:00Z", "expires_at": "2026-11-22T12:00:00Z",
//!   "reason": "INC-4711 database failover", "requested_by": "alice", "approved_by": ["bob"]
//! }]"#).unwrap();
//! let policy = GrantPolicy::from_json(r#"{ "max_duration": "4h", "grantable_tags": { "team": ["ops"] } }"#).unwrap();
//! assert!(policy.check(&grants[0], &[]).is_ok());
//! ```
#![deny(missing_docs)]

pub mod audit;
mod grant;
mod index;
mod policy;
pub mod store;
pub mod table;

pub use audit::{
    AuditEvent, AuditLog, AuditStats, DecidedBy, DecisionRecord, Revision, Verdict, SCHEMA_VERSION,
};
pub use grant::{Grant, GrantFileError, Scope};
pub use policy::{GrantPolicy, Rejection};
pub use store::{
    GrantReader, GrantStatus, GrantStore, IssueError, Revocation, RevokeError, Snapshot,
};
pub use table::PrincipalGrants;
