//! regorus: the rules in Rego (package `bench`, rule `allow`), requests as a regorus input value.
//!
//! The native form of a request is the input document
//! `{"action", "resource", "username"?, "principal_tags", "resource_tags", "request_tags",
//! "tag_keys"}`, tag keys lower-cased in the three tag objects (IAM compares keys
//! case-insensitively) and `tag_keys` as sent.
//!
//! A decision runs regorus's fastest path: the policy is compiled once to an RVM program (the
//! Rego virtual machine, `rvm` feature) and each decision is `RegoVM::set_input` + `execute`.
//! On `owner_tag` that is about 1.6× faster than the interpreter (`Engine::set_input` +
//! `eval_rule`). The RVM cannot take the 10,000-statement set (see [`Backend`]): there the
//! interpreter runs.

use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::RegoVM;
use regorus::{Engine, Value};

use crate::cases::{folded, Case};
use crate::Decide;

/// The rule every workload's policy defines.
pub const RULE: &str = "data.bench.allow";

/// A prepared engine with `policy` loaded.
pub fn engine(policy: &str) -> Engine {
    use core::num::{NonZeroU32, NonZeroUsize};
    let mut engine = Engine::new();
    // The generated sets are larger than regorus's default limits (1 MiB, 20,000 lines).
    engine.set_policy_length_config(regorus::PolicyLengthConfig {
        max_col: NonZeroU32::new(4096).unwrap_or(NonZeroU32::MIN),
        max_file_bytes: NonZeroUsize::new(64 << 20).unwrap_or(NonZeroUsize::MIN),
        max_lines: NonZeroUsize::new(1 << 20).unwrap_or(NonZeroUsize::MIN),
    });
    engine
        .add_policy("bench.rego".to_owned(), policy.to_owned())
        .unwrap_or_else(|e| panic!("rego policy: {e}"));
    engine
}

/// Decides the input already set on `engine` with the interpreter.
#[inline]
pub fn allowed(engine: &mut Engine) -> bool {
    match engine.eval_rule(RULE.to_owned()) {
        Ok(v) => v == Value::from(true),
        Err(e) => panic!("rego evaluation: {e}"),
    }
}

/// A virtual machine loaded with `policy` compiled for the rule [`RULE`], or why not.
pub fn vm(policy: &str) -> Result<RegoVM, String> {
    let mut engine = engine(policy);
    let compiled = engine
        .compile_with_entrypoint(&RULE.into())
        .map_err(|e| format!("rego compile: {e}"))?;
    let program = Compiler::compile_from_policy(&compiled, &[RULE])
        .map_err(|e| format!("rvm compile: {e}"))?;
    let mut vm = RegoVM::new();
    vm.load_program(Arc::clone(&program));
    Ok(vm)
}

/// Runs `vm` on `input`.
#[inline]
pub fn vm_allowed(vm: &mut RegoVM, input: Value) -> bool {
    vm.set_input(input);
    match vm.execute() {
        Ok(v) => v == Value::from(true),
        Err(e) => panic!("rvm evaluation: {e}"),
    }
}

/// How a policy runs: the RVM, or the interpreter where the RVM cannot take the policy (its
/// programs are limited to 65,535 instructions; the 10,000-statement set needs about 157,000).
pub enum Backend {
    /// A compiled program in a VM.
    Vm(Box<RegoVM>),
    /// The interpreter.
    Interpreter(Box<Engine>),
}

impl Backend {
    /// The RVM if it compiles `policy`, else the interpreter.
    pub fn new(policy: &str) -> Self {
        match vm(policy) {
            Ok(vm) => Backend::Vm(Box::new(vm)),
            Err(_) => Backend::Interpreter(Box::new(engine(policy))),
        }
    }

    /// Decides `input`.
    #[inline]
    pub fn allowed(&mut self, input: Value) -> bool {
        match self {
            Backend::Vm(vm) => vm_allowed(vm, input),
            Backend::Interpreter(engine) => {
                engine.set_input(input);
                allowed(engine)
            }
        }
    }
}

/// The contender: the policy's backend and the requests' input values.
pub struct Rego {
    backend: Backend,
    inputs: Vec<Value>,
}

impl Rego {
    /// Compiles `policy` and translates `cases`.
    pub fn new(policy: &str, cases: &[Case]) -> Self {
        Rego {
            backend: Backend::new(policy),
            inputs: cases.iter().map(input).collect(),
        }
    }

    /// Whether the policy runs on the RVM.
    pub fn on_vm(&self) -> bool {
        matches!(self.backend, Backend::Vm(_))
    }
}

impl Decide for Rego {
    fn requests(&self) -> usize {
        self.inputs.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        self.backend.allowed(self.inputs[i].clone())
    }
}

/// The input value of a case.
pub fn input(c: &Case) -> Value {
    let object = |tags: &[(String, String)]| {
        serde_json::Value::Object(
            folded(tags)
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        )
    };
    let mut doc = serde_json::json!({
        "action": c.action,
        "resource": c.resource,
        "principal_tags": object(&c.principal_tags),
        "resource_tags": object(&c.resource_tags),
        "request_tags": object(&c.request_tags),
        "tag_keys": c.request_tags.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
    });
    if let (Some(u), Some(map)) = (&c.username, doc.as_object_mut()) {
        map.insert("username".to_owned(), serde_json::Value::String(u.clone()));
    }
    Value::from(doc)
}

/// `owner_tag` in Rego.
pub const OWNER_TAG: &str = r#"
package bench
import rego.v1

default allow := false

allow if {
  input.action in {"ec2:StartInstances", "ec2:StopInstances"}
  glob.match("arn:aws:ec2:*:*:instance/*", [], input.resource)
  input.resource_tags.owner == input.username
}

allow if input.action == "ec2:DescribeInstances"
"#;

/// `team_queue` in Rego.
pub const TEAM_QUEUE: &str = r#"
package bench
import rego.v1

default allow := false

allow if {
  input.action == "sqs:DeleteQueue"
  input.resource == concat("", ["arn:aws:sqs:us-east-2::", input.principal_tags.team, "-queue"])
}
"#;

/// `request_tags` in Rego.
pub const REQUEST_TAGS: &str = r#"
package bench
import rego.v1

default allow := false

allow if {
  input.action == "ec2:CreateTags"
  glob.match("arn:aws:ec2:*:*:instance/*", [], input.resource)
  input.request_tags.environment in {"preprod", "production"}
  every k in input.tag_keys { k == "environment" }
}
"#;

/// `deny_override` in Rego.
pub const DENY_OVERRIDE: &str = r#"
package bench
import rego.v1

default allow := false

allow if {
  startswith(input.action, "ec2:")
  not deny
}

deny if {
  input.action in {"ec2:TerminateInstances", "ec2:StopInstances"}
  input.resource_tags.protected == "true"
}
"#;
