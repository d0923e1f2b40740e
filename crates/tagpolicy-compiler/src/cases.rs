//! Case files (SPEC §6): policy tests written as JSON, a user feature and our conformance format.
//!
//! A case file is a JSON list of cases, or `{"cases": [...]}`. An IAM case has `name`,
//! `policies`, `request` and `expected` (`"Allow"` / `"Deny"`). Permission cases (`roles` +
//! `permissions`), JSON Logic cases (`rule` + `data`) and grant cases (`grants`) are recognised and
//! reported as unsupported until those forms land.

use tagpolicy_grants::{Grant, GrantStore};
use tagpolicy_runtime::{Decision, GrantTable, Policy, Request, Timestamp, Value};

use crate::diag::{Diagnostics, Errors, Severity, Source};
use crate::eval::RuntimePolicy;
use crate::json::{Json, JsonKind, Span};
use crate::{compile_policies, parse_json};

/// A context value of a request file.
#[derive(Clone, Debug, PartialEq)]
pub enum ContextValue {
    /// A string.
    Str(String),
    /// A list of strings.
    List(Vec<String>),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// An IAM request as written in a case or request file: owned, turned into a borrowed
/// [`Request`] by [`RequestSpec::with_request`].
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RequestSpec {
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// The principal grants name.
    pub principal: Option<String>,
    /// The evaluation time.
    pub time: Option<Timestamp>,
    /// Context keys in file order.
    pub context: Vec<(String, ContextValue)>,
}

const REQUEST_FIELDS: &[&str] = &["action", "resource", "principal", "time", "context"];

impl RequestSpec {
    /// Reads a request object. Problems go to `diags`.
    pub fn from_json(json: &Json, diags: &mut Diagnostics<'_>) -> Option<RequestSpec> {
        let Some(members) = json.as_object() else {
            diags.error(
                json.span,
                format!("a request must be an object, found {}", json.kind_name()),
            );
            return None;
        };
        for m in members {
            if !REQUEST_FIELDS.contains(&m.key.as_str()) {
                diags.error_help(
                    m.key_span,
                    format!("unknown request field `{}`", m.key),
                    format!("a request may contain {}", REQUEST_FIELDS.join(", ")),
                );
            }
        }
        let mut text = |key: &str, required: bool| -> Option<String> {
            match json.get(key) {
                Some(v) => match v.as_str() {
                    Some(s) => Some(s.to_string()),
                    None => {
                        diags.error(
                            v.span,
                            format!("request `{key}` must be a string, found {}", v.kind_name()),
                        );
                        None
                    }
                },
                None => {
                    if required {
                        diags.error(json.span, format!("request has no `{key}`"));
                    }
                    None
                }
            }
        };
        let action = text("action", true);
        let resource = text("resource", true);
        let principal = text("principal", false);
        let time_text = text("time", false);
        let time = match (&time_text, json.get("time")) {
            (Some(t), Some(j)) => match Timestamp::parse_rfc3339(t) {
                Some(ts) => Some(ts),
                None => {
                    diags.error_help(
                        j.span,
                        format!("request `time` \"{t}\" is not an RFC 3339 time"),
                        "write for example \"2026-11-22T10:00:00Z\"",
                    );
                    None
                }
            },
            _ => None,
        };
        let mut context = Vec::new();
        if let Some(c) = json.get("context") {
            match c.as_object() {
                None => diags.error(
                    c.span,
                    format!(
                        "request `context` must be an object, found {}",
                        c.kind_name()
                    ),
                ),
                Some(members) => {
                    for m in members {
                        let v = match &m.value.kind {
                            JsonKind::String(s) => ContextValue::Str(s.clone()),
                            JsonKind::Number(n) => ContextValue::Number(n.value),
                            JsonKind::Bool(b) => ContextValue::Bool(*b),
                            JsonKind::Array(items) => {
                                let strings: Option<Vec<String>> =
                                    items.iter().map(|i| i.as_str().map(String::from)).collect();
                                match strings {
                                    Some(s) => ContextValue::List(s),
                                    None => {
                                        diags.error(
                                            m.value.span,
                                            format!(
                                                "context key `{}`: a list must hold strings only",
                                                m.key
                                            ),
                                        );
                                        continue;
                                    }
                                }
                            }
                            _ => {
                                diags.error(
                                    m.value.span,
                                    format!(
                                        "context key `{}` must be a string, a list of strings, a number or a boolean, found {}",
                                        m.key,
                                        m.value.kind_name()
                                    ),
                                );
                                continue;
                            }
                        };
                        context.push((m.key.clone(), v));
                    }
                }
            }
        }
        Some(RequestSpec {
            action: action?,
            resource: resource?,
            principal,
            time,
            context,
        })
    }

    /// Builds the borrowed [`Request`] and hands it to `f`.
    pub fn with_request<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let lists: Vec<Vec<&str>> = self
            .context
            .iter()
            .map(|(_, v)| match v {
                ContextValue::List(l) => l.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        let context: Vec<(&str, Value<'_>)> = self
            .context
            .iter()
            .zip(&lists)
            .map(|((k, v), list)| {
                let value = match v {
                    ContextValue::Str(s) => Value::Str(s),
                    ContextValue::List(_) => Value::List(list),
                    ContextValue::Number(n) => Value::Number(*n),
                    ContextValue::Bool(b) => Value::Bool(*b),
                };
                (k.as_str(), value)
            })
            .collect();
        let mut request = Request::new(&self.action, &self.resource).with_context(&context);
        request.principal = self.principal.as_deref();
        request.time = self.time;
        f(&request)
    }
}

/// What kind of case a JSON object is, by its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseKind {
    /// `policies` + `request`.
    Iam,
    /// `roles` + `permissions`.
    Permissions,
    /// `rule` + `data`.
    JsonLogic,
}

/// The result of one case.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// As expected.
    Passed,
    /// Not as expected.
    Failed {
        /// What the case expected.
        expected: String,
        /// What the engine decided, with the deciding statement.
        got: String,
    },
    /// The case could not be run (bad policy, bad request, bad case).
    Error(String),
    /// A case form this version does not run yet.
    Unsupported(String),
}

/// One case's name and outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseResult {
    /// The case's `name` (or its position).
    pub name: String,
    /// 1-based line of the case in its file.
    pub line: u32,
    /// What happened.
    pub outcome: Outcome,
}

/// The cases of a case file, as JSON objects. Errors: not JSON, not a list of objects.
pub fn case_list<'j>(source: &Source, json: &'j Json) -> Result<&'j [Json], Errors> {
    let list = match &json.kind {
        JsonKind::Array(items) => Some(items.as_slice()),
        JsonKind::Object(_) => json.get("cases").and_then(Json::as_array),
        _ => None,
    };
    list.ok_or_else(|| {
        Errors(vec![source.diagnostic(
            Severity::Error,
            json.span,
            "a case file must be a list of cases or an object with a `cases` list",
        )])
    })
}

/// Which kind of case an object is.
pub fn case_kind(case: &Json) -> Option<CaseKind> {
    if case.get("rule").is_some() {
        Some(CaseKind::JsonLogic)
    } else if case.get("permissions").is_some() || case.get("roles").is_some() {
        Some(CaseKind::Permissions)
    } else if case.get("policies").is_some() {
        Some(CaseKind::Iam)
    } else {
        None
    }
}

/// An IAM case, read and compiled, ready to run on any evaluation path.
#[derive(Debug)]
pub struct IamCase {
    /// The case's name.
    pub name: String,
    /// The compiled policy set.
    pub policy: RuntimePolicy,
    /// The request.
    pub request: RequestSpec,
    /// Whether the case expects Allow.
    pub expect_allow: bool,
    /// The case's grants (issued, less the revoked ones); empty without `grants`.
    pub grants: GrantStore,
}

impl IamCase {
    /// Builds the borrowed request, with the grants of its principal, and hands it to `f`.
    pub fn with_request<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let snapshot = self.grants.snapshot();
        self.request.with_request(|r| {
            let grants = r
                .principal
                .map_or(&GrantTable::EMPTY, |p| snapshot.grants_of(p));
            f(&r.with_grants(grants))
        })
    }
}

/// Reads a case's `grants` (taken as issued) and `revoked` (ids revoked before the request).
pub fn read_case_grants(source: &Source, case: &Json, diags: &mut Diagnostics<'_>) -> GrantStore {
    let mut grants = Vec::new();
    if let Some(list) = case.get("grants") {
        let text = source.text().get(list.span.range()).unwrap_or("");
        match Grant::read_file(source.name(), text) {
            Ok(g) => grants = g,
            Err(e) => {
                // Positions are relative to the list: map them back into the file.
                let offset = text
                    .split_inclusive('\n')
                    .take(e.line.saturating_sub(1))
                    .map(str::len)
                    .sum::<usize>()
                    + e.col.saturating_sub(1);
                let at = list.span.start as usize + offset.min(text.len());
                let message = e
                    .message
                    .rsplit_once(" at line ")
                    .map_or(e.message.as_str(), |(m, _)| m);
                diags.error(Span::new(at, at + 1), format!("bad grant: {message}"));
            }
        }
    }
    let mut revoked = Vec::new();
    match case.get("revoked") {
        None => {}
        Some(Json {
            kind: JsonKind::Array(ids),
            ..
        }) => {
            for id in ids {
                match id.as_str() {
                    Some(s) if grants.iter().any(|g| g.id == s) => revoked.push(s.to_owned()),
                    Some(s) => diags.error(
                        id.span,
                        format!("`revoked` names no grant of the case: \"{s}\""),
                    ),
                    None => diags.error(id.span, "`revoked` must list grant ids (strings)"),
                }
            }
        }
        Some(other) => diags.error(other.span, "`revoked` must be a list of grant ids"),
    }
    GrantStore::from_grants(grants, &revoked)
}

/// Reads and compiles one IAM case.
pub fn read_iam_case(source: &Source, case: &Json) -> Result<IamCase, Errors> {
    let mut diags = Diagnostics::new(source);
    let name = case_name(case);
    for m in case.as_object().unwrap_or(&[]) {
        if ![
            "name", "policies", "request", "expected", "source", "note", "grants", "revoked",
        ]
        .contains(&m.key.as_str())
        {
            diags.error(m.key_span, format!("unknown case field `{}`", m.key));
        }
    }
    let expect_allow = match case.get("expected").map(|e| (e.as_str(), e.span)) {
        Some((Some("Allow"), _)) => Some(true),
        Some((Some("Deny"), _)) => Some(false),
        Some((_, span)) => {
            diags.error(span, "`expected` must be \"Allow\" or \"Deny\"");
            None
        }
        None => {
            diags.error(case.span, "case has no `expected`");
            None
        }
    };
    let policies: Vec<&Json> = match case.get("policies") {
        Some(Json {
            kind: JsonKind::Array(items),
            ..
        }) => items.iter().collect(),
        Some(other) => {
            diags.error(other.span, "`policies` must be a list of policies");
            Vec::new()
        }
        None => Vec::new(),
    };
    let request = match case.get("request") {
        Some(r) => RequestSpec::from_json(r, &mut diags),
        None => {
            diags.error(case.span, "case has no `request`");
            None
        }
    };
    let grants = read_case_grants(source, case, &mut diags);
    let mut errors = diags.into_vec();
    errors.retain(|d| d.is_error());
    let inputs: Vec<(&Source, &Json)> = policies.iter().map(|p| (source, *p)).collect();
    let compiled = compile_policies(&inputs);
    match (compiled, request, expect_allow, errors.is_empty()) {
        (Ok(c), Some(request), Some(expect_allow), true) => Ok(IamCase {
            name,
            policy: RuntimePolicy::new(c.ir),
            request,
            expect_allow,
            grants,
        }),
        (compiled, ..) => {
            if let Err(Errors(e)) = compiled {
                errors.extend(e);
            }
            Err(Errors(errors))
        }
    }
}

fn case_name(case: &Json) -> String {
    case.get("name")
        .and_then(Json::as_str)
        .unwrap_or("(unnamed)")
        .to_string()
}

/// Describes a decision: `Allow (policy 0, statement 1, Sid "X")`.
pub fn describe(decision: &Decision<'_>) -> String {
    match decision {
        Decision::ImplicitDeny => "Deny (implicit: no statement applies)".to_string(),
        Decision::Allow(s) | Decision::Deny(s) => {
            let kind = if decision.is_allowed() {
                "Allow"
            } else {
                "Deny (explicit)"
            };
            match s.sid {
                Some(sid) => format!(
                    "{kind} by policy {} statement {} (Sid \"{sid}\")",
                    s.policy, s.statement
                ),
                None => format!("{kind} by policy {} statement {}", s.policy, s.statement),
            }
        }
    }
}

/// Runs every case of a case file on the run-time path.
pub fn run_file(name: &str, text: &str) -> Result<Vec<CaseResult>, Errors> {
    let source = Source::new(name, text);
    let json = parse_json(&source)?;
    let cases = case_list(&source, &json)?;
    Ok(cases.iter().map(|c| run_case(&source, c)).collect())
}

/// Runs one case on the run-time path.
pub fn run_case(source: &Source, case: &Json) -> CaseResult {
    let name = case_name(case);
    let (line, _) = source.line_col(case.span.start);
    let outcome = match case_kind(case) {
        None => Outcome::Error(
            "not a case: it has none of `policies`, `permissions`/`roles` or `rule`".to_string(),
        ),
        Some(CaseKind::JsonLogic)
            if case.get("grants").is_some() || case.get("revoked").is_some() =>
        {
            Outcome::Error("a JSON Logic case cannot have grants".to_string())
        }
        Some(CaseKind::Permissions) => run_permission_case(source, case),
        Some(CaseKind::JsonLogic) => run_logic_case(source, case),
        Some(CaseKind::Iam) => match read_iam_case(source, case) {
            Err(e) => Outcome::Error(e.to_string()),
            Ok(c) => {
                let decision = c.with_request(|r| c.policy.evaluate(r));
                if decision.is_allowed() == c.expect_allow {
                    Outcome::Passed
                } else {
                    Outcome::Failed {
                        expected: if c.expect_allow { "Allow" } else { "Deny" }.to_string(),
                        got: describe(&decision),
                    }
                }
            }
        },
    };
    CaseResult {
        name,
        line,
        outcome,
    }
}

/// Values of scratch space for JSON Logic cases (tooling; decisions use a fixed stack budget).
const CASE_SCRATCH_VALS: usize = 1 << 16;
/// Bytes of scratch space for JSON Logic cases.
const CASE_SCRATCH_BYTES: usize = 1 << 20;

/// A JSON Logic case, read and lowered.
#[derive(Debug)]
pub struct LogicCase {
    /// The case's name.
    pub name: String,
    /// The lowered rule.
    pub expr: crate::perm_ir::Expr,
}

/// Reads and lowers the rule of a JSON Logic case.
pub fn read_logic_case(source: &Source, case: &Json) -> Result<LogicCase, Errors> {
    let mut diags = Diagnostics::new(source);
    let rule = case
        .get("rule")
        .and_then(|r| crate::logic::read_rule(r, &mut diags));
    if case.get("expected").is_none() {
        diags.error(case.span, "case has no `expected`");
    }
    match rule {
        Some(rule) if !diags.has_errors() => Ok(LogicCase {
            name: case_name(case),
            expr: crate::perm_ir::lower_rule(&rule),
        }),
        _ => Err(Errors(
            diags
                .into_vec()
                .into_iter()
                .filter(|d| d.is_error())
                .collect(),
        )),
    }
}

fn run_logic_case(source: &Source, case: &Json) -> Outcome {
    use tagpolicy_runtime::jsonlogic::Val;
    let c = match read_logic_case(source, case) {
        Ok(c) => c,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    let bump = bumpalo::Bump::new();
    let data = case
        .get("data")
        .map_or(Val::Null, |d| crate::values::json_to_val(d, &bump));
    let mut vals = vec![Val::Null; CASE_SCRATCH_VALS];
    let mut bytes = vec![0u8; CASE_SCRATCH_BYTES];
    let mut members = vec![("", Val::Null); CASE_SCRATCH_VALS];
    let mut scratch =
        tagpolicy_runtime::scratch::Scratch::new(&mut vals, &mut bytes).with_members(&mut members);
    let got = crate::perm_eval::eval(&c.expr, crate::perm_eval::Data::Value(data), &mut scratch);
    let Some(expected) = case.get("expected") else {
        return Outcome::Error("case has no `expected`".to_string());
    };
    match got {
        Some(v) if crate::values::val_matches_json(v, expected) => Outcome::Passed,
        Some(v) => Outcome::Failed {
            expected: expected.to_value().to_string(),
            got: crate::values::describe_val(v),
        },
        None => Outcome::Failed {
            expected: expected.to_value().to_string(),
            got: "an evaluation error".to_string(),
        },
    }
}

/// Fields a permission case may have besides `roles` and `permissions`.
const PERMISSION_CASE_FIELDS: &[&str] = &[
    "name", "request", "expected", "source", "note", "grants", "revoked",
];

/// A permission case, read and compiled.
#[derive(Debug)]
pub struct PermissionCase {
    /// The case's name.
    pub name: String,
    /// The permission set.
    pub permissions: crate::perm_eval::RuntimePermissions,
    /// Whether the case expects Allow.
    pub expect_allow: bool,
    /// The case's grants (issued, less the revoked ones); empty without `grants`.
    pub grants: GrantStore,
}

impl PermissionCase {
    /// Builds the case's request from its JSON (see [`with_access_request`]) with the grants of
    /// its subject, and hands it to `f`.
    pub fn with_request<R>(
        &self,
        source: &Source,
        request: &Json,
        f: impl FnOnce(&tagpolicy_runtime::access::AccessRequest<'_>) -> R,
    ) -> Result<R, Errors> {
        let snapshot = self.grants.snapshot();
        with_access_request(source, request, |r| {
            f(&r.with_grants(snapshot.grants_of(r.subject.id)))
        })
    }
}

/// Reads and compiles the permission set of a permission case.
pub fn read_permission_case(source: &Source, case: &Json) -> Result<PermissionCase, Errors> {
    let mut diags = Diagnostics::new(source);
    let doc = crate::permissions::read_permission_set(case, PERMISSION_CASE_FIELDS, &mut diags);
    let expect_allow = match case.get("expected").and_then(Json::as_str) {
        Some("Allow") => Some(true),
        Some("Deny") => Some(false),
        _ => {
            diags.error(case.span, "`expected` must be \"Allow\" or \"Deny\"");
            None
        }
    };
    let grants = read_case_grants(source, case, &mut diags);
    match (doc, expect_allow) {
        (Some(doc), Some(expect_allow)) if !diags.has_errors() => Ok(PermissionCase {
            name: case_name(case),
            permissions: crate::perm_eval::RuntimePermissions::new(
                crate::perm_ir::lower_permission_set(&doc, source.name()),
            ),
            expect_allow,
            grants,
        }),
        _ => Err(Errors(
            diags
                .into_vec()
                .into_iter()
                .filter(|d| d.is_error())
                .collect(),
        )),
    }
}

/// Builds a permission request from its JSON (`subject`, `resource`, `action`, `context`,
/// `time`) with its data in `bump`, and hands it to `f`.
pub fn with_access_request<R>(
    source: &Source,
    json: &Json,
    f: impl FnOnce(&tagpolicy_runtime::access::AccessRequest<'_>) -> R,
) -> Result<R, Errors> {
    use tagpolicy_runtime::access::{AccessRequest, Entity};
    let bump = bumpalo::Bump::new();
    let mut diags = Diagnostics::new(source);
    for m in json.as_object().unwrap_or(&[]) {
        if !["subject", "resource", "action", "context", "time"].contains(&m.key.as_str()) {
            diags.error(m.key_span, format!("unknown request field `{}`", m.key));
        }
    }
    let text = |j: Option<&Json>| -> &str {
        j.and_then(Json::as_str)
            .map_or("", |s| bump.alloc_str(s) as &str)
    };
    let entity = |j: Option<&Json>, diags: &mut Diagnostics<'_>| -> Entity<'_> {
        let Some(j) = j else {
            return Entity::default();
        };
        let roles: &[&str] = match j.get("roles").and_then(Json::as_array) {
            Some(items) => bump.alloc_slice_fill_iter(
                items
                    .iter()
                    .map(|r| -> &str { r.as_str().map_or("", |s| bump.alloc_str(s)) }),
            ),
            None => &[],
        };
        let meta = members(j.get("meta"), &bump);
        let mut tags: Vec<(&str, &[&str])> = Vec::new();
        if let Some(ms) = j.get("tags").and_then(Json::as_object) {
            for m in ms {
                let Some(values) = m
                    .value
                    .as_array()
                    .and_then(|vs| vs.iter().map(Json::as_str).collect::<Option<Vec<&str>>>())
                else {
                    diags.error(
                        m.value.span,
                        format!("tag group `{}` must be a list of strings", m.key),
                    );
                    continue;
                };
                let values: &[&str] =
                    bump.alloc_slice_fill_iter(values.iter().map(|v| &*bump.alloc_str(v)));
                tags.push((bump.alloc_str(&m.key), values));
            }
        }
        Entity {
            id: text(j.get("id")),
            kind: text(j.get("type")),
            roles,
            meta,
            tags: bump.alloc_slice_copy(&tags),
        }
    };
    let subject = entity(json.get("subject"), &mut diags);
    let resource = entity(json.get("resource"), &mut diags);
    let context = members(json.get("context"), &bump);
    let time = json
        .get("time")
        .and_then(Json::as_str)
        .and_then(Timestamp::parse_rfc3339);
    if diags.has_errors() {
        return Err(Errors(diags.into_vec()));
    }
    let mut request = AccessRequest::new(subject, text(json.get("action")), resource);
    request.context = context;
    request.time = time;
    Ok(f(&request))
}

/// The members of a JSON object as `(key, value)` pairs in `bump` (none if it is not an object).
fn members<'b>(
    json: Option<&Json>,
    bump: &'b bumpalo::Bump,
) -> &'b [(&'b str, tagpolicy_runtime::jsonlogic::Val<'b>)] {
    match json.and_then(Json::as_object) {
        Some(ms) => bump.alloc_slice_fill_iter(ms.iter().map(|m| {
            (
                &*bump.alloc_str(&m.key),
                crate::values::json_to_val(&m.value, bump),
            )
        })),
        None => &[],
    }
}

fn run_permission_case(source: &Source, case: &Json) -> Outcome {
    use tagpolicy_runtime::access::{AccessDecision, Permissions};
    let c = match read_permission_case(source, case) {
        Ok(c) => c,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    let Some(request) = case.get("request") else {
        return Outcome::Error("case has no `request`".to_string());
    };
    let decision = c.with_request(source, request, |r| {
        let d = c.permissions.decide(r);
        let described = match d {
            AccessDecision::Allow { permission, roles } => {
                format!(
                    "Allow by permission `{permission}` (roles {:?})",
                    roles.names()
                )
            }
            AccessDecision::Deny => "Deny (no permission allows)".to_string(),
        };
        (d.is_allowed(), described)
    });
    match decision {
        Err(e) => Outcome::Error(e.to_string()),
        Ok((allowed, _)) if allowed == c.expect_allow => Outcome::Passed,
        Ok((_, got)) => Outcome::Failed {
            expected: if c.expect_allow { "Allow" } else { "Deny" }.to_string(),
            got,
        },
    }
}
