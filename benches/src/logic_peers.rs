//! The JSON Logic peers of the permission workloads: datalogic-rs and jsonlogic-rs.
//!
//! Neither engine knows roles or permissions, so the selection is plain Rust around it, as an
//! application using one would write it: the permission set is read once with serde_json; a
//! request is allowed when some permission, in the set's order, has the request's action and
//! resource type, matches its `resource_pattern` (the same glob as ours), is granted by one of the
//! subject's roles, and has no condition or a truthy one. Only the condition goes to the engine,
//! applied to the request's data `{subject, resource, context}` in the engine's own form, built
//! before timing:
//!
//! - `datalogic`: each condition compiled once (`Engine::compile`); each request's data parsed
//!   once into a `ParsedData` (its zero-copy input); a decision is `Engine::evaluate` into a bump
//!   arena owned by the contender, reset after each decision, then `Engine::truthy`. This is the
//!   crate's documented fastest tier ("Tier 3": caller-owned arena, borrowed result).
//! - `jsonlogic_rs`: `jsonlogic_rs::apply(&rule, &data)` on `serde_json::Value`s; the crate has no
//!   compile-once API, so each call parses the rule.

use datalogic_rs::bumpalo::Bump;
use datalogic_rs::{Engine, Logic, ParsedData};
use serde_json::Value;

use crate::perms::PermCase;
use crate::Decide;

/// One permission, as the peers' application code holds it.
#[derive(Clone, Debug)]
pub struct PeerPermission {
    /// Compared with the request's action.
    pub action: String,
    /// Compared with the resource's type.
    pub resource_type: String,
    /// A glob over the resource id; `None` is `*`.
    pub resource_pattern: Option<String>,
    /// The roles that list this permission.
    pub granted_by: Vec<String>,
    /// The JSON Logic condition, if any.
    pub logic: Option<Value>,
}

/// Reads a permission set (the same file as ours) into [`PeerPermission`]s, in the set's order.
pub fn read_set(text: &str) -> Vec<PeerPermission> {
    let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("permission set: {e}"));
    let roles = doc
        .get("roles")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let str_of = |p: &Value, k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    doc.get("permissions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let key = str_of(p, "key").unwrap_or_default();
            let granted_by = roles
                .iter()
                .filter(|(_, keys)| {
                    keys.as_array()
                        .is_some_and(|ks| ks.iter().any(|k| k.as_str() == Some(&key)))
                })
                .map(|(role, _)| role.clone())
                .collect();
            PeerPermission {
                action: str_of(p, "action").unwrap_or_default(),
                resource_type: str_of(p, "resource_type").unwrap_or_default(),
                resource_pattern: str_of(p, "resource_pattern"),
                granted_by,
                logic: p.get("logic").cloned(),
            }
        })
        .collect()
}

/// What the selection reads of a request: plain strings, outside the engine's data.
#[derive(Clone, Debug)]
pub struct Head {
    /// The subject's roles.
    pub roles: Vec<String>,
    /// The action.
    pub action: String,
    /// The resource's type.
    pub resource_type: String,
    /// The resource's id.
    pub resource_id: String,
}

impl Head {
    fn of(case: &PermCase) -> Self {
        Head {
            roles: case.subject.roles.clone(),
            action: case.action.clone(),
            resource_type: case.resource.kind.clone(),
            resource_id: case.resource.id.clone(),
        }
    }
}

/// Whether `p` applies to the request before its condition: action, type, pattern, role.
#[inline]
fn applies(p: &PeerPermission, h: &Head) -> bool {
    p.action == h.action
        && p.resource_type == h.resource_type
        && p.resource_pattern
            .as_deref()
            .is_none_or(|pat| tagpolicy::glob::matches(pat, &h.resource_id))
        && p.granted_by.iter().any(|r| h.roles.contains(r))
}

/// JavaScript truthiness of a JSON value (json-logic-js `truthy`).
pub fn js_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// datalogic-rs: conditions compiled once, data parsed once, one arena reused.
pub struct Datalogic {
    engine: Engine,
    permissions: Vec<PeerPermission>,
    /// `permissions[k]`'s compiled condition.
    rules: Vec<Option<Logic>>,
    heads: Vec<Head>,
    data: Vec<ParsedData>,
    arena: Bump,
}

impl Datalogic {
    /// The contender for a permission set's text and the workload's requests.
    pub fn new(set: &str, cases: &[PermCase]) -> Self {
        let engine = Engine::new();
        let permissions = read_set(set);
        let rules = permissions
            .iter()
            .map(|p| {
                p.logic.as_ref().map(|l| {
                    engine
                        .compile(l.to_string().as_str())
                        .unwrap_or_else(|e| panic!("datalogic compile {l}: {e}"))
                })
            })
            .collect();
        let data = cases
            .iter()
            .map(|c| {
                ParsedData::from_json(&c.data_json().to_string())
                    .unwrap_or_else(|e| panic!("datalogic data: {e}"))
            })
            .collect();
        Datalogic {
            engine,
            permissions,
            rules,
            heads: cases.iter().map(Head::of).collect(),
            data,
            arena: Bump::new(),
        }
    }

    fn holds(&mut self, k: usize, i: usize) -> bool {
        let Some(rule) = &self.rules[k] else {
            return true;
        };
        let holds = match self.engine.evaluate(rule, &self.data[i], &self.arena) {
            Ok(v) => self.engine.truthy(v),
            // A condition that fails is false (fail closed), as in ours.
            Err(_) => false,
        };
        self.arena.reset();
        holds
    }
}

impl Decide for Datalogic {
    fn requests(&self) -> usize {
        self.heads.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        for k in 0..self.permissions.len() {
            if applies(&self.permissions[k], &self.heads[i]) && self.holds(k, i) {
                return true;
            }
        }
        false
    }
}

/// jsonlogic-rs: `apply(&rule, &data)` on serde_json values built before timing.
pub struct JsonlogicRs {
    permissions: Vec<PeerPermission>,
    heads: Vec<Head>,
    data: Vec<Value>,
}

impl JsonlogicRs {
    /// The contender for a permission set's text and the workload's requests.
    pub fn new(set: &str, cases: &[PermCase]) -> Self {
        JsonlogicRs {
            permissions: read_set(set),
            heads: cases.iter().map(Head::of).collect(),
            data: cases.iter().map(PermCase::data_json).collect(),
        }
    }
}

impl Decide for JsonlogicRs {
    fn requests(&self) -> usize {
        self.heads.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        self.permissions.iter().any(|p| {
            applies(p, &self.heads[i])
                && p.logic.as_ref().is_none_or(|rule| {
                    jsonlogic_rs::apply(rule, &self.data[i]).is_ok_and(|v| js_truthy(&v))
                })
        })
    }
}
