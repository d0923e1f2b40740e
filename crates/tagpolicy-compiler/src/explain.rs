//! Explaining a decision (SPEC §4): for every statement, whether its action, principal and
//! resource matched, each condition with the values the policy expects and the values the
//! request has (or "missing", or which grant gave them), and the status of the principal's grants
//! at the evaluation time.
//!
//! It walks the same IR with the same functions as the run-time evaluator ([`crate::eval`]), only
//! over every statement instead of the action's bucket and without stopping at the first Deny; the
//! decision it derives must equal [`Policy::evaluate`]'s (a property test checks it).

use std::fmt::{self, Write as _};

use tagpolicy_grants::{GrantStatus, GrantStore};
use tagpolicy_runtime::slots::{Resolved, Slots};
use tagpolicy_runtime::{Decision, Effect, Policy, Request, Scalar, StatementRef, TagFamily};

use crate::eval::{
    condition_holds, principal_matches, resource_matches, RuntimePolicy, SLOT_CAPACITY,
};
use crate::ir::{Condition, Part, Pattern, Test};

/// The explanation of one decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// `Allow`, `Deny` (explicit) or implicit deny, with the deciding statement.
    pub decision: ExplainedDecision,
    /// Every statement of the set, in order.
    pub statements: Vec<StatementExplanation>,
    /// The principal's grants and their status at the evaluation time.
    pub grants: Vec<GrantExplanation>,
}

/// The decision an explanation arrives at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExplainedDecision {
    /// Allowed by statement (policy, statement).
    Allow(u32, u32),
    /// Explicitly denied by statement (policy, statement).
    Deny(u32, u32),
    /// No statement applies.
    ImplicitDeny,
}

impl ExplainedDecision {
    /// Whether it equals an evaluated decision (same outcome, same deciding statement).
    pub fn agrees_with(&self, d: &Decision<'_>) -> bool {
        let at = |s: StatementRef<'_>| (s.policy, s.statement);
        match (self, d) {
            (ExplainedDecision::Allow(p, s), Decision::Allow(r)) => at(*r) == (*p, *s),
            (ExplainedDecision::Deny(p, s), Decision::Deny(r)) => at(*r) == (*p, *s),
            (ExplainedDecision::ImplicitDeny, Decision::ImplicitDeny) => true,
            _ => false,
        }
    }
}

/// One statement, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct StatementExplanation {
    /// Its policy's index and file.
    pub policy: u32,
    /// The policy's file (or label).
    pub file: String,
    /// Its index in the policy.
    pub index: u32,
    /// Its `Sid`.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Where it is written (line, column).
    pub line: u32,
    /// Column.
    pub col: u32,
    /// Whether the action element covers the request's action.
    pub action: bool,
    /// Whether the principal element covers the request's principal.
    pub principal: bool,
    /// Whether the resource element covers the request's resource.
    pub resource: bool,
    /// Every condition (evaluated even when an element did not match, to show the values).
    pub conditions: Vec<ConditionExplanation>,
    /// Whether the statement applies: every element matched and every condition holds.
    pub applies: bool,
}

/// One condition, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionExplanation {
    /// The operator as written.
    pub operator: String,
    /// The key as written.
    pub key: String,
    /// The values the policy compares with (variables as `${...}`).
    pub expected: Vec<String>,
    /// The request's values; `None` when the key is missing.
    pub actual: Option<Vec<String>>,
    /// The grant whose tag gave the value, if one did.
    pub granted_by: Option<String>,
    /// The policy variables its values use: name, value (`None` when it has none and no
    /// default), and the grant that gave it.
    pub variables: Vec<VariableExplanation>,
    /// Whether it holds.
    pub holds: bool,
}

/// A policy variable's value in one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariableExplanation {
    /// The key, lower-cased (`aws:principaltag/team`).
    pub name: String,
    /// Its value (the default when the key has none), or `None`.
    pub value: Option<String>,
    /// The grant whose tag gave the value, if one did.
    pub granted_by: Option<String>,
}

/// A grant of the request's principal and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantExplanation {
    /// Its id.
    pub id: String,
    /// What it grants: `team=ops`, `role oncall`.
    pub grants: Vec<String>,
    /// Its status at the evaluation time ("active, 42m left", "expired 3m ago", "revoked by …").
    pub status: String,
    /// Whether it counts for this request (active and in scope).
    pub counts: bool,
}

/// Explains how `policy` decides `request`. `store` supplies the principal's grants, revoked
/// ones included, for their statuses; the request's own grant table is what evaluation reads.
pub fn explain(
    policy: &RuntimePolicy,
    request: &Request<'_>,
    store: Option<&GrantStore>,
) -> Explanation {
    let ir = policy.ir();
    let keys = policy.keys();
    let slots: Slots<'_, SLOT_CAPACITY> = Slots::resolve(keys, request);
    let grants = request.grants;
    let ctx = request.grant_context();
    let mut statements = Vec::with_capacity(ir.statements.len());
    let mut deny = None;
    let mut allow = None;
    for st in &ir.statements {
        let action = st.actions.matches(request.action);
        let principal = principal_matches(&st.principals, request.principal);
        let resource = resource_matches(&st.resources, request.resource, &slots, keys);
        let conditions: Vec<ConditionExplanation> = st
            .conditions
            .iter()
            .map(|c| {
                let value = slots.get(keys, c.slot);
                let granted =
                    |slot: u16| match ir.keys.get(usize::from(slot)).and_then(|k| k.tag.as_ref()) {
                        Some((TagFamily::Principal, k)) => {
                            grants.tag(k, &ctx).map(|(_, g)| grants.id(g).to_owned())
                        }
                        _ => None,
                    };
                let granted_by = granted(c.slot);
                let mut variables: Vec<VariableExplanation> = Vec::new();
                for v in &c.vars {
                    let name = ir
                        .keys
                        .get(usize::from(v.slot))
                        .map_or_else(String::new, |k| k.name.clone());
                    if variables.iter().any(|x| x.name == name) {
                        continue;
                    }
                    let value = tagpolicy_runtime::cond::variable(
                        slots.get(keys, v.slot),
                        v.default.as_deref(),
                    );
                    variables.push(VariableExplanation {
                        name,
                        value: value.map(str::to_owned),
                        granted_by: granted(v.slot),
                    });
                }
                ConditionExplanation {
                    operator: c.operator.clone(),
                    key: c.key.clone(),
                    expected: expected_values(c, ir),
                    actual: actual_values(value),
                    granted_by,
                    variables,
                    holds: condition_holds(c, &slots, keys),
                }
            })
            .collect();
        let applies = action && principal && resource && conditions.iter().all(|c| c.holds);
        if applies {
            let at = (st.policy, st.index);
            match st.effect {
                Effect::Deny if deny.is_none() => deny = Some(at),
                Effect::Allow if allow.is_none() => allow = Some(at),
                _ => {}
            }
        }
        statements.push(StatementExplanation {
            policy: st.policy,
            file: ir
                .policies
                .get(st.policy as usize)
                .map_or_else(String::new, |p| p.source.clone()),
            index: st.index,
            sid: st.sid.clone(),
            effect: st.effect,
            line: st.location.line,
            col: st.location.col,
            action,
            principal,
            resource,
            conditions,
            applies,
        });
    }
    let decision = match (deny, allow) {
        (Some((p, s)), _) => ExplainedDecision::Deny(p, s),
        (None, Some((p, s))) => ExplainedDecision::Allow(p, s),
        (None, None) => ExplainedDecision::ImplicitDeny,
    };
    let grants = grant_explanations(request, store);
    Explanation {
        decision,
        statements,
        grants,
    }
}

fn grant_explanations(request: &Request<'_>, store: Option<&GrantStore>) -> Vec<GrantExplanation> {
    match request.principal {
        Some(principal) => {
            grant_statuses(store, principal, request.grants, &request.grant_context())
        }
        None => Vec::new(),
    }
}

/// The grants `store` knows for `principal` (revoked ones included) with their status at the
/// context's time, and whether each counts for the request (by the request's grant table).
fn grant_statuses(
    store: Option<&GrantStore>,
    principal: &str,
    table: &tagpolicy_runtime::GrantTable<'_>,
    ctx: &tagpolicy_runtime::grants::GrantContext<'_>,
) -> Vec<GrantExplanation> {
    let (Some(store), Some(t)) = (store, ctx.time) else {
        return Vec::new();
    };
    store
        .grants_of(principal, t)
        .into_iter()
        .map(|(g, status)| {
            let mut what: Vec<String> = g.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            what.extend(g.roles.iter().map(|r| format!("role {r}")));
            let counts = table.find(&g.id).is_some_and(|row| table.counts(row, ctx));
            let mut status_text = status.to_string();
            if matches!(status, GrantStatus::Active { .. }) && !counts {
                status_text.push_str(" (out of its scope for this request)");
            }
            GrantExplanation {
                id: g.id.clone(),
                grants: what,
                status: status_text,
                counts,
            }
        })
        .collect()
}

/// Writes the `grants:` block of an explanation.
fn write_grants(f: &mut fmt::Formatter<'_>, grants: &[GrantExplanation]) -> fmt::Result {
    if !grants.is_empty() {
        writeln!(f, "  grants:")?;
        for g in grants {
            writeln!(f, "    {} ({}): {}", g.id, g.grants.join(", "), g.status)?;
        }
    }
    Ok(())
}

/// A grant list as JSON.
fn grants_json(grants: &[GrantExplanation]) -> Vec<serde_json::Value> {
    grants
        .iter()
        .map(|g| serde_json::json!({"id": g.id, "grants": g.grants, "status": g.status, "counts": g.counts}))
        .collect()
}

fn template_text(parts: &[Part], ir: &crate::ir::PolicySet) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Text(t) => out.push_str(t),
            Part::Star => out.push('*'),
            Part::AnyChar => out.push('?'),
            Part::Var(v) => {
                let name = ir
                    .keys
                    .get(usize::from(v.slot))
                    .map_or("?", |k| k.name.as_str());
                match &v.default {
                    Some(d) => {
                        let _ = write!(out, "${{{name}, '{d}'}}");
                    }
                    None => {
                        let _ = write!(out, "${{{name}}}");
                    }
                }
            }
        }
    }
    out
}

fn expected_values(c: &Condition, ir: &crate::ir::PolicySet) -> Vec<String> {
    let pattern = |p: &Pattern| match p {
        Pattern::Glob(g) => g.clone(),
        Pattern::Template(parts) => template_text(parts, ir),
    };
    match &c.test {
        Test::Equals {
            constants,
            templates,
            ..
        } => constants
            .iter()
            .cloned()
            .chain(templates.iter().map(|t| template_text(t, ir)))
            .collect(),
        Test::Like(p) => p.iter().map(pattern).collect(),
        Test::Arn(p) => p.iter().map(|t| template_text(t, ir)).collect(),
        Test::Number(_, v) => v.iter().map(|n| n.to_string()).collect(),
        Test::Date(_, v) => v.iter().map(|t| t.to_string()).collect(),
        Test::Bool(v) => v.iter().map(|b| b.to_string()).collect(),
        Test::Binary(v) => v.clone(),
        Test::Ip(v) => v.iter().map(|c| c.to_string()).collect(),
        Test::Null {
            want_missing,
            want_present,
        } => {
            let mut v = Vec::new();
            if *want_missing {
                v.push("true (missing)".to_owned());
            }
            if *want_present {
                v.push("false (present)".to_owned());
            }
            v
        }
    }
}

fn scalar_text(s: Scalar<'_>) -> String {
    match s {
        Scalar::Str(s) => s.to_owned(),
        Scalar::Number(n) => n.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Time(t) => t.to_string(),
        Scalar::Ip(ip) => ip.to_string(),
    }
}

fn actual_values(value: Resolved<'_>) -> Option<Vec<String>> {
    match value {
        Resolved::Missing => None,
        v => Some(v.iter().map(scalar_text).collect()),
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "matches"
    } else {
        "does not match"
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = |p: u32, s: u32| {
            self.statements
                .iter()
                .find(|st| st.policy == p && st.index == s)
                .map_or_else(String::new, StatementExplanation::label)
        };
        match &self.decision {
            ExplainedDecision::Allow(p, s) => writeln!(f, "Allow: allowed by {}", label(*p, *s))?,
            ExplainedDecision::Deny(p, s) => {
                writeln!(f, "Deny: explicitly denied by {}", label(*p, *s))?
            }
            ExplainedDecision::ImplicitDeny => {
                writeln!(f, "Deny: implicitly denied, no statement applies")?
            }
        }
        for st in &self.statements {
            let verdict = if st.applies {
                "applies"
            } else {
                "does not apply"
            };
            writeln!(f, "  {} [{:?}]: {verdict}", st.label(), st.effect)?;
            writeln!(
                f,
                "    action {}, principal {}, resource {}",
                yes(st.action),
                yes(st.principal),
                yes(st.resource)
            )?;
            for c in &st.conditions {
                let actual = match &c.actual {
                    None => "missing".to_owned(),
                    Some(v) if v.len() == 1 => format!("\"{}\"", v[0]),
                    Some(v) => format!("{v:?}"),
                };
                let granted = c
                    .granted_by
                    .as_ref()
                    .map_or_else(String::new, |g| format!(" (granted by {g})"));
                let mut vars = String::new();
                for v in &c.variables {
                    let value = v
                        .value
                        .as_ref()
                        .map_or_else(|| "no value".to_owned(), |x| format!("\"{x}\""));
                    let by = v
                        .granted_by
                        .as_ref()
                        .map_or_else(String::new, |g| format!(" (granted by {g})"));
                    let _ = write!(vars, "; ${{{}}} = {value}{by}", v.name);
                }
                writeln!(
                    f,
                    "    {} {} {:?}: request has {actual}{granted}{vars} -> {}",
                    c.operator,
                    c.key,
                    c.expected,
                    if c.holds { "holds" } else { "fails" }
                )?;
            }
        }
        write_grants(f, &self.grants)
    }
}

impl StatementExplanation {
    /// `file:line:col statement N (Sid "X")`.
    pub fn label(&self) -> String {
        let sid = self
            .sid
            .as_ref()
            .map_or_else(String::new, |s| format!(" (Sid \"{s}\")"));
        format!(
            "{}:{}:{} statement {}{sid}",
            self.file, self.line, self.col, self.index
        )
    }
}

impl Explanation {
    /// The explanation as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let decision = match &self.decision {
            ExplainedDecision::Allow(p, s) => {
                json!({"decision": "Allow", "policy": p, "statement": s})
            }
            ExplainedDecision::Deny(p, s) => {
                json!({"decision": "Deny", "explicit": true, "policy": p, "statement": s})
            }
            ExplainedDecision::ImplicitDeny => json!({"decision": "Deny", "explicit": false}),
        };
        let statements: Vec<_> = self
            .statements
            .iter()
            .map(|st| {
                json!({
                    "policy": st.policy, "file": st.file, "statement": st.index, "sid": st.sid,
                    "effect": format!("{:?}", st.effect), "line": st.line, "col": st.col,
                    "action": st.action, "principal": st.principal, "resource": st.resource,
                    "applies": st.applies,
                    "conditions": st.conditions.iter().map(|c| json!({
                        "operator": c.operator, "key": c.key, "expected": c.expected,
                        "actual": c.actual, "granted_by": c.granted_by, "holds": c.holds,
                        "variables": c.variables.iter().map(|v| json!({
                            "name": v.name, "value": v.value, "granted_by": v.granted_by,
                        })).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let grants = grants_json(&self.grants);
        json!({"decision": decision, "statements": statements, "grants": grants})
    }
}

/// Explains and checks the explanation against evaluation: `Err` with both when they disagree.
pub fn explain_checked(
    policy: &RuntimePolicy,
    request: &Request<'_>,
    store: Option<&GrantStore>,
) -> Result<Explanation, String> {
    let e = explain(policy, request, store);
    let d = policy.evaluate(request);
    if e.decision.agrees_with(&d) {
        Ok(e)
    } else {
        Err(format!(
            "explanation {:?} disagrees with evaluation {}",
            e.decision,
            crate::cases::describe(&d)
        ))
    }
}

/// The explanation of a permission decision.
#[derive(Clone, Debug, PartialEq)]
pub struct PermissionExplanation {
    /// The permission that allows, if one does.
    pub allowed_by: Option<String>,
    /// Every permission of the set, in order.
    pub permissions: Vec<PermissionCheck>,
    /// The subject's grants and their status at the evaluation time.
    pub grants: Vec<GrantExplanation>,
    /// The grants the allow relied on (as `decide_with_grants` names them); empty for a deny.
    pub grants_used: Vec<String>,
}

/// One permission, explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionCheck {
    /// Its key.
    pub key: String,
    /// Whether the action is the permission's.
    pub action: bool,
    /// Whether the resource type is the permission's.
    pub resource_type: bool,
    /// Whether the resource id matches its pattern (true without one).
    pub resource_pattern: bool,
    /// The subject's roles that grant it; a role held through a grant names it (`oncall (grant
    /// g-1)`).
    pub roles: Vec<String>,
    /// Whether its condition holds (`None` without a condition).
    pub condition: Option<bool>,
    /// Whether it allows the request.
    pub allows: bool,
}

/// Explains how `set` decides `request`, with the same IR and the same functions as
/// [`RuntimePermissions`](crate::perm_eval::RuntimePermissions)'s `decide`.
pub fn explain_permissions(
    set: &crate::perm_eval::RuntimePermissions,
    request: &tagpolicy_runtime::AccessRequest<'_>,
    store: Option<&GrantStore>,
) -> PermissionExplanation {
    let ir = set.ir();
    let ctx = request.grant_context();
    let permissions: Vec<PermissionCheck> = request.with_granted_tags(|req| {
        ir.permissions
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let action = p.action == req.action;
                let resource_type = p.resource_type == req.resource.kind;
                let resource_pattern = p
                    .resource_pattern
                    .as_ref()
                    .is_none_or(|pat| tagpolicy_runtime::glob::matches(pat, req.resource.id));
                let roles: Vec<String> = ir
                    .roles
                    .iter()
                    .filter(|r| {
                        r.permissions.contains(&(i as u32)) && req.subject_has_role(&r.name)
                    })
                    .map(|r| {
                        if req.subject.roles.contains(&r.name.as_str()) {
                            r.name.clone()
                        } else {
                            let g = req
                                .grants
                                .role(&r.name, &ctx)
                                .map_or("", |g| req.grants.id(g));
                            format!("{} (grant {g})", r.name)
                        }
                    })
                    .collect();
                let condition = p.logic.as_ref().map(|_| set.condition_of(i, req));
                let allows = action
                    && resource_type
                    && resource_pattern
                    && !roles.is_empty()
                    && condition != Some(false);
                PermissionCheck {
                    key: p.key.clone(),
                    action,
                    resource_type,
                    resource_pattern,
                    roles,
                    condition,
                    allows,
                }
            })
            .collect()
    });
    let allowed_by = permissions.iter().find(|p| p.allows).map(|p| p.key.clone());
    let grants = grant_statuses(store, request.subject.id, request.grants, &ctx);
    let grants_used = allowed_by.as_ref().map_or_else(Vec::new, |key| {
        use tagpolicy_runtime::access::Permissions;
        let used = request.grants_used(|f| set.permission_reads(key, f));
        used.ids().iter().map(|id| (*id).to_owned()).collect()
    });
    PermissionExplanation {
        allowed_by,
        permissions,
        grants,
        grants_used,
    }
}

impl fmt::Display for PermissionExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.allowed_by {
            Some(k) if !self.grants_used.is_empty() => writeln!(
                f,
                "Allow: permission `{k}` using grant{} {}",
                if self.grants_used.len() == 1 { "" } else { "s" },
                self.grants_used.join(", ")
            )?,
            Some(k) => writeln!(f, "Allow: permission `{k}`")?,
            None => writeln!(f, "Deny: no permission of the subject's roles allows it")?,
        }
        for p in &self.permissions {
            let roles = if p.roles.is_empty() {
                "no role of the subject grants it".to_owned()
            } else {
                format!("granted by {}", p.roles.join(", "))
            };
            let condition = match p.condition {
                None => "no condition",
                Some(true) => "condition holds",
                Some(false) => "condition fails",
            };
            writeln!(
                f,
                "  `{}`: action {}, resource type {}, resource id {}; {roles}; {condition} -> {}",
                p.key,
                yes(p.action),
                yes(p.resource_type),
                yes(p.resource_pattern),
                if p.allows { "allows" } else { "does not allow" }
            )?;
        }
        write_grants(f, &self.grants)
    }
}

impl PermissionExplanation {
    /// The explanation as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        json!({
            "decision": if self.allowed_by.is_some() { "Allow" } else { "Deny" },
            "permission": self.allowed_by,
            "permissions": self.permissions.iter().map(|p| json!({
                "key": p.key, "action": p.action, "resource_type": p.resource_type,
                "resource_pattern": p.resource_pattern, "roles": p.roles,
                "condition": p.condition, "allows": p.allows,
            })).collect::<Vec<_>>(),
            "grants": grants_json(&self.grants),
            "grants_used": self.grants_used,
        })
    }
}
