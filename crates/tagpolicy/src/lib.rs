//! Tag-based access control with AWS-IAM-style JSON policies, compiled to Rust at build time.
//!
//! This crate is the one dependency most users need: it re-exports the runtime (requests,
//! values, decisions, [`CompiledPolicy`]), the [`policy!`] macro and, with the `build` feature,
//! the build-script helper `build`.
//!
//! # `policy!`: a policy compiled into your binary
//!
//! The macro checks the policy JSON while your crate compiles and expands to a
//! [`CompiledPolicy`], usable as a `static`; evaluating it parses nothing and allocates nothing.
//!
//! ```
//! use tagpolicy::{policy, CompiledPolicy, Policy, Request, Value};
//!
//! static OWNER: CompiledPolicy = policy!(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{ "Sid": "OwnInstances", "Effect": "Allow",
//!                   "Action": ["ec2:StartInstances", "ec2:StopInstances"],
//!                   "Resource": "arn:aws:ec2:*:*:instance/*",
//!                   "Condition": { "StringEquals": { "aws:ResourceTag/Owner": "${aws:username}" } } }]
//! }"#);
//!
//! let ctx = [("aws:username", Value::Str("alice"))];
//! let mine = [("Owner", "alice")];
//! let req = Request::new("ec2:StopInstances", "arn:aws:ec2:eu-west-1:1:instance/i-1")
//!     .with_context(&ctx)
//!     .with_resource_tags(&mine);
//! assert!(OWNER.evaluate(&req).is_allowed());
//! assert_eq!(OWNER.evaluate(&req).statement().unwrap().sid, Some("OwnInstances"));
//!
//! let theirs = [("Owner", "bob")];
//! assert!(!OWNER.evaluate(&req.with_resource_tags(&theirs)).is_allowed());
//! ```
//!
//! Policies can also live in files, with paths relative to the crate's `CARGO_MANIFEST_DIR` (the
//! folder of its `Cargo.toml`); editing a file recompiles the crate. Several files form one policy
//! set, evaluated together as AWS does: an explicit Deny in any of them wins, and a decision's
//! `policy` index is the file's position in the list.
//!
//! ```
//! use tagpolicy::{policy, CompiledPolicy, Decision, Policy, Request, Value};
//!
//! // This crate's own test fixtures.
//! static EC2: CompiledPolicy =
//!     policy!(files = ["tests/policies/owner.json", "tests/policies/guardrails.json"]);
//!
//! let ctx = [("aws:username", Value::Str("alice"))];
//! let tags = [("Owner", "alice"), ("Environment", "production")];
//! let stop = Request::new("ec2:StopInstances", "arn:aws:ec2:eu-west-1:1:instance/i-1")
//!     .with_context(&ctx)
//!     .with_resource_tags(&tags);
//! let Decision::Deny(by) = EC2.evaluate(&stop) else { panic!("expected an explicit deny") };
//! assert_eq!((by.policy, by.sid), (1, Some("ProductionNeedsSre")));
//! assert_eq!(EC2.sources()[1], "tests/policies/guardrails.json");
//! ```
//!
//! A policy with errors does not compile. Each error is reported at the macro with the position
//! inside the JSON (`<inline>:line:col`, or `path:line:col` for files) and a hint:
//!
//! ```compile_fail
//! static P: tagpolicy::CompiledPolicy = tagpolicy::policy!(r#"{
//!   "Statement": [{ "Effect": "Allow", "Actoin": "s3:GetObject", "Resource": "*" }]
//! }"#);
//! // error: <inline>:2:38: error: unknown statement element `Actoin`
//! //          help: did you mean `Action`?
//! ```
//!
//! Lint warnings (such as an `Allow` of `*` on `*`) are not shown by the macro, since stable
//! procedural macros cannot emit warnings; `tagpolicy check` prints them.
//!
//! # Build scripts: a folder of policies
//!
//! With the `build` feature in `[build-dependencies]`, `build::compile_dir` turns every `*.json`
//! file of a folder into one `pub static` in a generated file; see the `build` module.
//!
//! # Policies loaded at run time
//!
//! Policies that change while the program runs are loaded with `tagpolicy_compiler::load_policy`
//! and decide exactly as the compiled ones do.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

pub use tagpolicy_macros::policy;
pub use tagpolicy_runtime::*;

/// Compiling a folder of policies from a build script (feature `build`).
///
/// ```no_run
/// // In build.rs's `fn main`, with `tagpolicy = { version = "…", features = ["build"] }` in
/// // [build-dependencies]:
/// tagpolicy::build::compile_dir("policies").unwrap();
/// ```
///
/// ```ignore
/// // src/lib.rs: `policies/ec2-owner.json` becomes `policies::EC2_OWNER`.
/// pub mod policies {
///     include!(concat!(env!("OUT_DIR"), "/policies.rs"));
/// }
/// ```
///
/// The file names, the rebuild rules and the errors are described in
/// `tagpolicy_compiler::build`, re-exported here.
#[cfg(feature = "build")]
pub mod build {
    pub use tagpolicy_compiler::build::*;
}

/// Just-in-time access (feature `jit`): grants that add tags or roles to a principal for a
/// window, the store evaluations read them from ([`jit::GrantStore`]), the issuing policy that
/// validates them and the audit log. A request borrows its principal's grants with
/// [`Request::with_grants`]; see `tagpolicy_grants` for the details.
#[cfg(feature = "jit")]
pub mod jit {
    pub use tagpolicy_grants::*;
}

/// What `policy!` and generated code refer to; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use tagpolicy_runtime as runtime;
}
