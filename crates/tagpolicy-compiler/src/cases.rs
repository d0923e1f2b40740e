//! Case files (SPEC §6): policy tests written as JSON, a user feature and our conformance format.
//!
//! A case file is a JSON list of cases, or `{"cases": [...]}`. An IAM case has `name`,
//! `policies`, `request` and `expected` (`"Allow"` / `"Deny"`). Permission cases (`roles` +
//! `permissions`), JSON Logic cases (`rule` + `data`) and grant cases (`grants`) are recognised and
//! reported as unsupported until those forms land.

use tagpolicy_runtime::{Decision, Policy, Request, Timestamp, Value};

use crate::diag::{Diagnostics, Errors, Severity, Source};
use crate::eval::RuntimePolicy;
use crate::json::{Json, JsonKind};
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
}

/// Reads and compiles one IAM case.
pub fn read_iam_case(source: &Source, case: &Json) -> Result<IamCase, Errors> {
    let mut diags = Diagnostics::new(source);
    let name = case_name(case);
    for m in case.as_object().unwrap_or(&[]) {
        if !["name", "policies", "request", "expected", "source", "note"].contains(&m.key.as_str())
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
        Some(CaseKind::Permissions) => {
            Outcome::Unsupported("permission-set cases are not supported yet".to_string())
        }
        Some(CaseKind::JsonLogic) => {
            Outcome::Unsupported("JSON Logic cases are not supported yet".to_string())
        }
        Some(CaseKind::Iam) if case.get("grants").is_some() || case.get("revoked").is_some() => {
            Outcome::Unsupported("cases with grants are not supported yet".to_string())
        }
        Some(CaseKind::Iam) => match read_iam_case(source, case) {
            Err(e) => Outcome::Error(e.to_string()),
            Ok(c) => {
                let decision = c.request.with_request(|r| c.policy.evaluate(r));
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
