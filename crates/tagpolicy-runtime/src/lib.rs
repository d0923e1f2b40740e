//! Runtime support for tagpolicy: what compiled policies link against.
//!
//! This crate holds the request, value and decision types, the matchers (glob, ARN, IP/CIDR, dates,
//! numbers), the condition semantics both evaluation paths share, and the [`Policy`] trait. It is
//! `no_std` and never allocates on the evaluation path.
#![no_std]
#![deny(missing_docs)]
// Evaluation must never panic on user input: no unwrap, no indexing that can fail, no overflow.
// (Unit tests may do all of these.)
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

// Unit tests may use std (formatting, vectors); the library itself never does.
#[cfg(test)]
extern crate std;

pub mod access;
pub mod arn;
pub mod bytes;
pub mod compiled;
pub mod cond;
pub mod decision;
pub mod glob;
pub mod grants;
pub mod ip;
pub mod jsonlogic;
pub mod logic_ops;
pub mod request;
pub mod scalar;
pub mod scratch;
pub mod slots;
pub mod table;
pub mod time;

pub use access::{
    AccessDecision, AccessEvaluation, AccessRequest, CompiledPermissions, Entity, GrantingRoles,
    PermissionRead, Permissions,
};
pub use compiled::CompiledPolicy;
pub use decision::{Decision, Effect, Evaluation, Policy, StatementRef};
pub use grants::{GrantTable, UsedGrants};
pub use jsonlogic::Val;
pub use request::{Request, Scalar, Tag, TagFamily, Value};
pub use time::Timestamp;

/// What generated code refers to; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use phf;
}
