//! The tagpolicy compiler: policy JSON → spanned AST → checked IR → run-time evaluator / codegen.
//!
//! The data flow is one way:
//!
//! ```text
//! JSON text ─ json::parse ─▶ Json (spans) ─ ast::read_policy ─▶ PolicyDoc ─ lint ─▶ warnings
//!                                                       └─ ir::lower ─▶ PolicySet ─▶ eval::RuntimePolicy
//! ```
//!
//! ```
//! use tagpolicy_compiler::load_policy;
//! use tagpolicy_runtime::{Policy, Request, Value};
//!
//! let policy = load_policy("owner.json", r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{ "Effect": "Allow", "Action": "ec2:StartInstances",
//!                   "Resource": "arn:aws:ec2:*:*:instance/*",
//!                   "Condition": { "StringEquals": { "aws:ResourceTag/Owner": "${aws:username}" } } }]
//! }"#).unwrap();
//! let ctx = [("aws:username", Value::Str("alice")), ("aws:ResourceTag/owner", Value::Str("alice"))];
//! let req = Request::new("ec2:StartInstances", "arn:aws:ec2:us-east-1:1:instance/i-1").with_context(&ctx);
//! assert!(policy.evaluate(&req).is_allowed());
//! ```
#![deny(missing_docs)]

pub mod ast;
pub mod build;
pub mod cases;
pub mod codegen;
pub mod diag;
pub mod eval;
pub mod explain;
pub mod ir;
pub mod json;
pub mod lint;
pub mod logic;
pub mod perm_codegen;
pub mod perm_eval;
pub mod perm_ir;
pub mod permissions;
pub mod table_codegen;
pub mod values;

pub use diag::{Diagnostic, Errors, Severity, Source};
pub use eval::RuntimePolicy;

use diag::Diagnostics;
use json::Json;

/// Parses a source's text as JSON; a syntax error becomes a diagnostic with its position.
pub fn parse_json(source: &Source) -> Result<Json, Errors> {
    json::parse(source.text()).map_err(|e| {
        let mut d = source.diagnostic(Severity::Error, e.span, e.message);
        if let Some(related) = e.related {
            let (line, col) = source.line_col(related.start);
            d.help = Some(format!("see line {line}, column {col}"));
        }
        Errors(vec![d])
    })
}

/// A checked, lowered policy set and the warnings found on the way.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The IR.
    pub ir: ir::PolicySet,
    /// Lint warnings (they do not stop compilation).
    pub warnings: Vec<Diagnostic>,
}

/// Reads, checks, lints and lowers policy documents that are evaluated together. Each input is a
/// source and the JSON value of one policy within it (the whole file, or a policy inside a case
/// file). All errors of all documents are reported together.
pub fn compile_policies(inputs: &[(&Source, &Json)]) -> Result<Compiled, Errors> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (source, json) in inputs {
        let mut diags = Diagnostics::new(source);
        let doc = ast::read_policy(json, &mut diags);
        if let Some(doc) = &doc {
            if !diags.has_errors() {
                lint::lint_policy(doc, &mut diags);
            }
        }
        let failed = diags.has_errors();
        for d in diags.into_vec() {
            if d.is_error() {
                errors.push(d);
            } else {
                warnings.push(d);
            }
        }
        if let (Some(doc), false) = (doc, failed) {
            docs.push((doc, *source));
        }
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }
    let lowered: Vec<(&ast::PolicyDoc, &str, &Source)> =
        docs.iter().map(|(d, s)| (d, s.name(), *s)).collect();
    Ok(Compiled {
        ir: ir::lower(&lowered),
        warnings,
    })
}

/// Reads and checks a permission set (SPEC §3): its roles, permissions and JSON Logic
/// conditions. Returns the checked document and its warnings, or every error.
pub fn check_permission_set(
    source: &Source,
    json: &Json,
) -> Result<(permissions::PermissionSetDoc, Vec<Diagnostic>), Errors> {
    let mut diags = Diagnostics::new(source);
    let doc = permissions::read_permission_set(json, &[], &mut diags);
    let failed = diags.has_errors();
    let all = diags.into_vec();
    match doc {
        Some(doc) if !failed => Ok((doc, all)),
        _ => Err(Errors(
            all.into_iter().filter(Diagnostic::is_error).collect(),
        )),
    }
}

/// Compiles one policy document from its text, ready to evaluate. `name` is used in messages.
pub fn load_policy(name: &str, text: &str) -> Result<RuntimePolicy, Errors> {
    let source = Source::new(name, text);
    let json = parse_json(&source)?;
    let compiled = compile_policies(&[(&source, &json)])?;
    Ok(RuntimePolicy::new(compiled.ir))
}
