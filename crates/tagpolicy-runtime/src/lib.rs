//! Runtime support for tagpolicy: what compiled policies link against.
//!
//! This crate holds the request, value and decision types, the matchers (glob, ARN, IP/CIDR, dates,
//! numbers), the condition semantics both evaluation paths share, and the [`Policy`] trait. It is
//! `no_std` and never allocates on the evaluation path.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

pub mod arn;
pub mod compiled;
pub mod cond;
pub mod decision;
pub mod glob;
pub mod ip;
pub mod request;
pub mod scalar;
pub mod slots;
pub mod time;

pub use compiled::CompiledPolicy;
pub use decision::{Decision, Effect, Policy, StatementRef};
pub use request::{Request, Scalar, Tag, TagFamily, Value};
pub use time::Timestamp;

/// What generated code refers to; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use phf;
}
