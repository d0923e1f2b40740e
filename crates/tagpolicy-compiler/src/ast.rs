//! The policy language's syntax tree, read from spanned JSON and checked element by element.
//!
//! Every node keeps the span of its JSON text. Reading reports every problem it finds (unknown
//! elements, wrong types, bad operator names, values the operator cannot use) and goes on, so a
//! user sees all errors at once.

use tagpolicy_runtime::cond::{Cmp, Qualifier};
use tagpolicy_runtime::ip::Cidr;
use tagpolicy_runtime::time::Timestamp;
use tagpolicy_runtime::{scalar, Effect};

use crate::diag::Diagnostics;
use crate::json::{Json, JsonKind, Member, Span};

/// A value with the span of its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it is written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps a value with its span.
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// The policy language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012,
    /// `2008-10-17` or no `Version`: `${…}` is literal text.
    V2008,
}

/// One policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDoc {
    /// `Version`, if written.
    pub version: Option<Spanned<Version>>,
    /// `Id`, if written.
    pub id: Option<Spanned<String>>,
    /// The statements, in order.
    pub statements: Vec<StatementAst>,
    /// The whole document.
    pub span: Span,
}

impl PolicyDoc {
    /// The version that decides variable substitution.
    pub fn effective_version(&self) -> Version {
        self.version.as_ref().map_or(Version::V2008, |v| v.node)
    }
}

/// A list element that may be negated: `Action` / `NotAction` and the like.
#[derive(Clone, Debug, PartialEq)]
pub struct ListElement<T> {
    /// Whether it is the `Not…` form.
    pub not: bool,
    /// The values (at least one).
    pub values: Vec<Spanned<T>>,
    /// The element's key, for messages.
    pub key_span: Span,
}

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub struct StatementAst {
    /// `Sid`.
    pub sid: Option<Spanned<String>>,
    /// `Effect`.
    pub effect: Spanned<Effect>,
    /// `Action` / `NotAction`.
    pub action: ListElement<String>,
    /// `Resource` / `NotResource`.
    pub resource: ListElement<TemplateAst>,
    /// `Principal` / `NotPrincipal`: the principal values (`"*"` for everyone).
    pub principal: Option<ListElement<String>>,
    /// The conditions (one per operator and key), ANDed.
    pub conditions: Vec<ConditionAst>,
    /// The whole statement.
    pub span: Span,
}

/// A string that may contain policy variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateAst {
    /// The parts in order.
    pub parts: Vec<PartAst>,
}

impl TemplateAst {
    /// A template of literal text only.
    pub fn text(s: &str) -> Self {
        TemplateAst {
            parts: vec![PartAst::Text(s.to_string())],
        }
    }

    /// Whether it has no variable (escapes count as text).
    pub fn has_variables(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, PartAst::Var { .. }))
    }
}

/// A part of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartAst {
    /// Text as written; in a pattern, `*` and `?` in it are wildcards.
    Text(String),
    /// `${*}`, `${?}` or `${$}`: that character, never a wildcard.
    Escaped(char),
    /// `${key}` or `${key, 'default'}`.
    Var {
        /// The key name as written.
        key: String,
        /// The default value.
        default: Option<String>,
    },
}

/// The operator families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpFamily {
    /// `StringEquals`, `StringNotEquals`.
    StringEquals,
    /// `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`.
    StringEqualsIgnoreCase,
    /// `StringLike`, `StringNotLike`.
    StringLike,
    /// `Numeric…`.
    Numeric(Cmp),
    /// `Date…`.
    Date(Cmp),
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    Binary,
    /// `IpAddress`, `NotIpAddress`.
    Ip,
    /// `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike`.
    Arn,
    /// `Null`.
    Null,
}

/// A condition operator, fully decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The family.
    pub family: OpFamily,
    /// Negated form.
    pub negated: bool,
    /// `ForAllValues:` / `ForAnyValue:`.
    pub qualifier: Qualifier,
    /// `…IfExists`.
    pub if_exists: bool,
}

/// Base operator names (without qualifier or `IfExists`), their family and negation.
const OPERATORS: &[(&str, OpFamily, bool)] = &[
    ("StringEquals", OpFamily::StringEquals, false),
    ("StringNotEquals", OpFamily::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        OpFamily::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        OpFamily::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", OpFamily::StringLike, false),
    ("StringNotLike", OpFamily::StringLike, true),
    ("NumericEquals", OpFamily::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", OpFamily::Numeric(Cmp::Eq), true),
    ("NumericLessThan", OpFamily::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", OpFamily::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", OpFamily::Numeric(Cmp::Gt), false),
    (
        "NumericGreaterThanEquals",
        OpFamily::Numeric(Cmp::Ge),
        false,
    ),
    ("DateEquals", OpFamily::Date(Cmp::Eq), false),
    ("DateNotEquals", OpFamily::Date(Cmp::Eq), true),
    ("DateLessThan", OpFamily::Date(Cmp::Lt), false),
    ("DateLessThanEquals", OpFamily::Date(Cmp::Le), false),
    ("DateGreaterThan", OpFamily::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", OpFamily::Date(Cmp::Ge), false),
    ("Bool", OpFamily::Bool, false),
    ("BinaryEquals", OpFamily::Binary, false),
    ("IpAddress", OpFamily::Ip, false),
    ("NotIpAddress", OpFamily::Ip, true),
    ("ArnEquals", OpFamily::Arn, false),
    ("ArnLike", OpFamily::Arn, false),
    ("ArnNotEquals", OpFamily::Arn, true),
    ("ArnNotLike", OpFamily::Arn, true),
    ("Null", OpFamily::Null, false),
];

impl Operator {
    /// Decodes an operator name such as `ForAnyValue:StringNotLikeIfExists`.
    pub fn parse(name: &str) -> Result<Operator, String> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, r)
        } else {
            (Qualifier::Single, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let Some(&(_, family, negated)) = OPERATORS.iter().find(|(n, _, _)| *n == base) else {
            return Err(unknown_operator(name));
        };
        if family == OpFamily::Null && if_exists {
            return Err("`Null` has no `IfExists` form".to_string());
        }
        if family == OpFamily::Null && qualifier != Qualifier::Single {
            return Err(
                "set qualifiers (`ForAllValues:`, `ForAnyValue:`) are not defined for `Null`"
                    .to_string(),
            );
        }
        Ok(Operator {
            family,
            negated,
            qualifier,
            if_exists,
        })
    }
}

fn unknown_operator(name: &str) -> String {
    match suggest_operator(name) {
        Some(s) => format!("unknown condition operator `{name}` (did you mean `{s}`?)"),
        None => format!("unknown condition operator `{name}`"),
    }
}

/// The operator the author probably meant: qualifier, base name and `IfExists` each corrected
/// (case first, then spelling), so `forallvalues:stringequals` becomes
/// `ForAllValues:StringEquals` and `NotIPAddress` becomes `NotIpAddress`.
fn suggest_operator(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let (qualifier, rest) = [
        ("forallvalues:", "ForAllValues:"),
        ("foranyvalue:", "ForAnyValue:"),
    ]
    .iter()
    .find_map(|(l, canonical)| {
        lower
            .starts_with(l)
            .then(|| (*canonical, name.get(l.len()..).unwrap_or("")))
    })
    .unwrap_or(("", name));
    let rest_lower = rest.to_ascii_lowercase();
    let (base, suffix) = match rest_lower.strip_suffix("ifexists") {
        Some(b) if !b.is_empty() => (rest.get(..b.len()).unwrap_or(rest), "IfExists"),
        _ => (rest, ""),
    };
    let names = || OPERATORS.iter().map(|(n, _, _)| *n);
    let fixed = names()
        .find(|n| n.eq_ignore_ascii_case(base))
        .or_else(|| closest(base, names()))?;
    let suggestion = format!("{qualifier}{fixed}{suffix}");
    (suggestion != name && Operator::parse(&suggestion).is_ok()).then_some(suggestion)
}

/// The closest candidate by edit distance, when it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&w, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// One condition: an operator applied to one key with its values.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionAst {
    /// The operator.
    pub operator: Spanned<Operator>,
    /// The operator as written.
    pub operator_name: String,
    /// The condition key as written.
    pub key: Spanned<String>,
    /// The values, typed for the operator (ORed).
    pub values: Vec<Spanned<CondValue>>,
}

/// A condition value, already read as the operator's type.
#[derive(Clone, Debug, PartialEq)]
pub enum CondValue {
    /// String and ARN operators: text that may hold variables.
    Text(TemplateAst),
    /// Numeric operators.
    Number(f64),
    /// Date operators.
    Date(Timestamp),
    /// `Bool` and `Null`.
    Bool(bool),
    /// `IpAddress`.
    Cidr(Cidr),
    /// `BinaryEquals`: the base64 text.
    Binary(String),
}

/// Nothing deeper is accepted inside a template (`${…}` count per value): the size of the stack
/// buffer evaluation gathers a template's pieces in.
pub use tagpolicy_runtime::glob::MAX_TEMPLATE_PARTS;

const POLICY_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// Reads one policy document. Problems go to `diags`; the result is `None` when the document is
/// too broken to use (its errors are in `diags` then).
pub fn read_policy(json: &Json, diags: &mut Diagnostics<'_>) -> Option<PolicyDoc> {
    let Some(members) = json.as_object() else {
        diags.error(
            json.span,
            format!(
                "a policy must be a JSON object, found {}",
                describe_kind(json)
            ),
        );
        return None;
    };
    check_elements(members, POLICY_ELEMENTS, "policy", diags);
    let version = json.get("Version").and_then(|v| match v.as_str() {
        Some("2012-10-17") => Some(Spanned::new(Version::V2012, v.span)),
        Some("2008-10-17") => Some(Spanned::new(Version::V2008, v.span)),
        Some(other) => {
            diags.error_help(
                v.span,
                format!("unknown policy `Version` \"{other}\""),
                "use \"2012-10-17\" (the current version, with policy variables) or \"2008-10-17\"",
            );
            None
        }
        None => {
            diags.error(
                v.span,
                format!("`Version` must be a string, found {}", describe_kind(v)),
            );
            None
        }
    });
    let id = json.get("Id").and_then(|v| string_of(v, "Id", diags));
    let vars = version
        .as_ref()
        .map_or(Version::V2008, |v| v.node)
        .eq(&Version::V2012);
    let mut statements = Vec::new();
    match json.get("Statement") {
        None => diags.error(json.span, "policy has no `Statement`"),
        Some(st) => match &st.kind {
            JsonKind::Object(_) => statements.extend(read_statement(st, vars, diags)),
            JsonKind::Array(items) => {
                if items.is_empty() {
                    diags.error(st.span, "`Statement` is an empty list");
                }
                for item in items {
                    statements.extend(read_statement(item, vars, diags));
                }
            }
            _ => diags.error(
                st.span,
                format!(
                    "`Statement` must be an object or a list of objects, found {}",
                    describe_kind(st)
                ),
            ),
        },
    }
    Some(PolicyDoc {
        version,
        id,
        statements,
        span: json.span,
    })
}

fn describe_kind(j: &Json) -> String {
    match &j.kind {
        JsonKind::String(s) if s.len() <= 40 => format!("the string \"{s}\""),
        _ => format!("{} {}", article(j.kind_name()), j.kind_name()),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn check_elements(members: &[Member], allowed: &[&str], what: &str, diags: &mut Diagnostics<'_>) {
    for m in members {
        if allowed.contains(&m.key.as_str()) {
            continue;
        }
        let message = format!("unknown {what} element `{}`", m.key);
        match closest(&m.key, allowed.iter().copied()) {
            Some(s) => diags.error_help(m.key_span, message, format!("did you mean `{s}`?")),
            None => diags.error_help(
                m.key_span,
                message,
                format!("a {what} may contain {}", allowed.join(", ")),
            ),
        }
    }
}

fn string_of(j: &Json, what: &str, diags: &mut Diagnostics<'_>) -> Option<Spanned<String>> {
    match j.as_str() {
        Some(s) => Some(Spanned::new(s.to_string(), j.span)),
        None => {
            diags.error(
                j.span,
                format!("`{what}` must be a string, found {}", describe_kind(j)),
            );
            None
        }
    }
}

/// A string or a non-empty list of strings.
fn string_list(j: &Json, what: &str, diags: &mut Diagnostics<'_>) -> Vec<Spanned<String>> {
    match &j.kind {
        JsonKind::String(s) => vec![Spanned::new(s.clone(), j.span)],
        JsonKind::Array(items) => {
            if items.is_empty() {
                diags.error(j.span, format!("`{what}` is an empty list"));
            }
            items
                .iter()
                .filter_map(|i| string_of(i, what, diags))
                .collect()
        }
        _ => {
            diags.error(
                j.span,
                format!(
                    "`{what}` must be a string or a list of strings, found {}",
                    describe_kind(j)
                ),
            );
            Vec::new()
        }
    }
}

fn read_statement(json: &Json, vars: bool, diags: &mut Diagnostics<'_>) -> Option<StatementAst> {
    let Some(members) = json.as_object() else {
        diags.error(
            json.span,
            format!(
                "a statement must be an object, found {}",
                describe_kind(json)
            ),
        );
        return None;
    };
    check_elements(members, STATEMENT_ELEMENTS, "statement", diags);
    let sid = json.get("Sid").and_then(|v| string_of(v, "Sid", diags));
    let effect = match json.get("Effect") {
        None => {
            diags.error(json.span, "statement has no `Effect`");
            None
        }
        Some(e) => match e.as_str() {
            Some("Allow") => Some(Spanned::new(Effect::Allow, e.span)),
            Some("Deny") => Some(Spanned::new(Effect::Deny, e.span)),
            Some(other) => {
                diags.error_help(
                    e.span,
                    format!("`Effect` must be \"Allow\" or \"Deny\", found \"{other}\""),
                    "Effect values are case-sensitive",
                );
                None
            }
            None => {
                diags.error(
                    e.span,
                    format!("`Effect` must be a string, found {}", describe_kind(e)),
                );
                None
            }
        },
    };
    let action = pair(json, "Action", "NotAction", diags).map(|(not, j, key_span)| {
        let values = string_list(j, if not { "NotAction" } else { "Action" }, diags);
        for v in &values {
            check_action(v, diags);
        }
        ListElement {
            not,
            values,
            key_span,
        }
    });
    let resource = pair(json, "Resource", "NotResource", diags).map(|(not, j, key_span)| {
        let what = if not { "NotResource" } else { "Resource" };
        let values = string_list(j, what, diags)
            .into_iter()
            .filter_map(|v| {
                if v.node.is_empty() {
                    diags.error(v.span, format!("empty string in `{what}`"));
                    return None;
                }
                let t = template(&v.node, v.span, vars, diags)?;
                Some(Spanned::new(t, v.span))
            })
            .collect();
        ListElement {
            not,
            values,
            key_span,
        }
    });
    let principal = read_principal(json, diags);
    let conditions = json
        .get("Condition")
        .map(|c| read_conditions(c, vars, diags))
        .unwrap_or_default();
    if action.is_none() && !has_both(json, "Action", "NotAction") {
        diags.error_help(
            json.span,
            "statement has neither `Action` nor `NotAction`",
            "add \"Action\": \"service:Name\" (or a list of actions)",
        );
    }
    if resource.is_none() && !has_both(json, "Resource", "NotResource") {
        diags.error_help(
            json.span,
            "statement has neither `Resource` nor `NotResource`",
            "add \"Resource\": \"*\" or an ARN pattern",
        );
    }
    Some(StatementAst {
        sid,
        effect: effect?,
        action: action?,
        resource: resource?,
        principal,
        conditions,
        span: json.span,
    })
}

fn has_both(json: &Json, a: &str, b: &str) -> bool {
    json.get(a).is_some() && json.get(b).is_some()
}

/// `Action`/`NotAction`-style pairs: exactly one of the two.
fn pair<'j>(
    json: &'j Json,
    plain: &str,
    not: &str,
    diags: &mut Diagnostics<'_>,
) -> Option<(bool, &'j Json, Span)> {
    let key_span = |k: &str| {
        json.as_object()
            .and_then(|ms| ms.iter().find(|m| m.key == k))
            .map_or(json.span, |m| m.key_span)
    };
    match (json.get(plain), json.get(not)) {
        (Some(_), Some(_)) => {
            diags.error_help(
                key_span(not),
                format!("statement has both `{plain}` and `{not}`"),
                format!("use one of `{plain}` or `{not}`"),
            );
            None
        }
        (Some(j), None) => Some((false, j, key_span(plain))),
        (None, Some(j)) => Some((true, j, key_span(not))),
        (None, None) => None,
    }
}

fn check_action(v: &Spanned<String>, diags: &mut Diagnostics<'_>) {
    let a = v.node.as_str();
    if a == "*" {
        return;
    }
    if a.is_empty() {
        diags.error(v.span, "empty action name");
        return;
    }
    if a.chars().any(|c| c.is_whitespace() || c == ',') {
        diags.error_help(
            v.span,
            format!("action \"{a}\" contains whitespace or a comma"),
            "write one action per list element: [\"s3:GetObject\", \"s3:PutObject\"]",
        );
        return;
    }
    match a.split_once(':') {
        Some((svc, name)) if !svc.is_empty() && !name.is_empty() && !name.contains(':') => {}
        _ => diags.error_help(
            v.span,
            format!("action \"{a}\" is not of the form `service:Action`"),
            "for example \"ec2:StartInstances\", \"s3:Get*\" or \"*\"",
        ),
    }
}

fn read_principal(json: &Json, diags: &mut Diagnostics<'_>) -> Option<ListElement<String>> {
    let (not, j, key_span) = pair(json, "Principal", "NotPrincipal", diags)?;
    let what = if not { "NotPrincipal" } else { "Principal" };
    let mut values = Vec::new();
    match &j.kind {
        JsonKind::String(s) if s == "*" => values.push(Spanned::new(s.clone(), j.span)),
        JsonKind::String(_) => diags.error_help(
            j.span,
            format!("`{what}` must be \"*\" or an object"),
            "for example {\"AWS\": \"arn:aws:iam::111122223333:root\"}",
        ),
        JsonKind::Object(members) => {
            for m in members {
                if !["AWS", "Service", "Federated", "CanonicalUser"].contains(&m.key.as_str()) {
                    diags.error_help(
                        m.key_span,
                        format!("unknown principal type `{}`", m.key),
                        "principal types are AWS, Service, Federated and CanonicalUser",
                    );
                    continue;
                }
                values.extend(string_list(&m.value, what, diags));
            }
        }
        _ => diags.error(
            j.span,
            format!(
                "`{what}` must be \"*\" or an object, found {}",
                describe_kind(j)
            ),
        ),
    }
    Some(ListElement {
        not,
        values,
        key_span,
    })
}

fn read_conditions(json: &Json, vars: bool, diags: &mut Diagnostics<'_>) -> Vec<ConditionAst> {
    let Some(ops) = json.as_object() else {
        diags.error(
            json.span,
            format!(
                "`Condition` must be an object of operators, found {}",
                describe_kind(json)
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for op in ops {
        let operator = match Operator::parse(&op.key) {
            Ok(o) => o,
            Err(message) => {
                diags.error(op.key_span, message);
                continue;
            }
        };
        let Some(keys) = op.value.as_object() else {
            diags.error(
                op.value.span,
                format!(
                    "the value of `{}` must be an object of condition keys, found {}",
                    op.key,
                    describe_kind(&op.value)
                ),
            );
            continue;
        };
        if keys.is_empty() {
            diags.error(op.value.span, format!("`{}` has no condition keys", op.key));
        }
        for k in keys {
            if k.key.is_empty() || k.key.chars().any(char::is_whitespace) {
                diags.error(k.key_span, format!("invalid condition key \"{}\"", k.key));
                continue;
            }
            let raw: Vec<&Json> = match &k.value.kind {
                JsonKind::Array(items) => {
                    if items.is_empty() {
                        diags.error(
                            k.value.span,
                            format!("condition key `{}` has an empty list of values", k.key),
                        );
                    }
                    items.iter().collect()
                }
                _ => vec![&k.value],
            };
            let values = raw
                .into_iter()
                .filter_map(|v| {
                    let cv = condition_value(operator.family, &op.key, v, vars, diags)?;
                    Some(Spanned::new(cv, v.span))
                })
                .collect();
            out.push(ConditionAst {
                operator: Spanned::new(operator, op.key_span),
                operator_name: op.key.clone(),
                key: Spanned::new(k.key.clone(), k.key_span),
                values,
            });
        }
    }
    out
}

/// The text of a scalar condition value: strings as they are, numbers as written, booleans.
fn scalar_text(v: &Json) -> Option<String> {
    match &v.kind {
        JsonKind::String(s) => Some(s.clone()),
        JsonKind::Number(n) => Some(n.text.clone()),
        JsonKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn condition_value(
    family: OpFamily,
    op: &str,
    v: &Json,
    vars: bool,
    diags: &mut Diagnostics<'_>,
) -> Option<CondValue> {
    let Some(text) = scalar_text(v) else {
        diags.error(
            v.span,
            format!(
                "a value of `{op}` must be a string, number or boolean, found {}",
                describe_kind(v)
            ),
        );
        return None;
    };
    let bad = |diags: &mut Diagnostics<'_>, what: &str, help: &str| {
        diags.error_help(
            v.span,
            format!("\"{text}\" is not {what}, as `{op}` requires"),
            help.to_string(),
        );
        None
    };
    match family {
        OpFamily::StringEquals
        | OpFamily::StringEqualsIgnoreCase
        | OpFamily::StringLike
        | OpFamily::Arn => {
            let t = template(&text, v.span, vars, diags)?;
            if family == OpFamily::Arn && pattern_pieces(&t) > MAX_TEMPLATE_PARTS {
                diags.error_help(
                    v.span,
                    format!("ARN pattern \"{text}\" has too many wildcards and variables (at most {MAX_TEMPLATE_PARTS} pieces)"),
                    "match fewer components with wildcards, or use StringLike",
                );
                return None;
            }
            Some(CondValue::Text(t))
        }
        OpFamily::Numeric(_) => match json_number(v).or_else(|| scalar::parse_number(&text)) {
            Some(n) => Some(CondValue::Number(n)),
            None => bad(
                diags,
                "a number",
                "write a decimal number such as 10 or \"2.5\"",
            ),
        },
        OpFamily::Date(_) => match json_seconds(v).or_else(|| Timestamp::parse(&text)) {
            Some(t) => Some(CondValue::Date(t)),
            None => bad(
                diags,
                "a date",
                "write an ISO 8601 date such as \"2026-11-22T18:00:00Z\" or epoch seconds",
            ),
        },
        OpFamily::Bool | OpFamily::Null => match scalar::parse_bool(&text) {
            Some(b) => Some(CondValue::Bool(b)),
            None => bad(diags, "a boolean", "write true or false"),
        },
        OpFamily::Ip => match Cidr::parse(&text) {
            Some(c) => Some(CondValue::Cidr(c)),
            None => bad(
                diags,
                "an IP address or CIDR block",
                "write for example \"203.0.113.0/24\" or \"2001:db8::/32\"",
            ),
        },
        OpFamily::Binary => {
            if is_base64(&text) {
                Some(CondValue::Binary(text))
            } else {
                bad(diags, "base64 text", "encode the binary value in base64")
            }
        }
    }
}

/// A JSON number's value (so `1e3` works as well as `1000`).
fn json_number(v: &Json) -> Option<f64> {
    match &v.kind {
        JsonKind::Number(n) => Some(n.value),
        _ => None,
    }
}

/// A JSON number as whole epoch seconds, for the date operators.
fn json_seconds(v: &Json) -> Option<Timestamp> {
    let n = json_number(v)?;
    (n.fract() == 0.0 && n.abs() < 1e13).then(|| Timestamp::from_millis(n as i64 * 1000))
}

fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !s.is_empty()
        && s.len() % 4 == 0
        && s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Splits a string into text and `${…}` variables (only when `vars`, i.e. Version 2012-10-17).
pub fn template(
    s: &str,
    span: Span,
    vars: bool,
    diags: &mut Diagnostics<'_>,
) -> Option<TemplateAst> {
    if !vars {
        return Some(TemplateAst::text(s));
    }
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            parts.push(PartAst::Text(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            diags.error_help(
                span,
                format!("unterminated policy variable in \"{s}\""),
                "close it with `}`, or write ${$} for a literal `$`",
            );
            return None;
        };
        let inner = after[..end].trim();
        match inner {
            "*" => parts.push(PartAst::Escaped('*')),
            "?" => parts.push(PartAst::Escaped('?')),
            "$" => parts.push(PartAst::Escaped('$')),
            _ => parts.push(variable(inner, s, span, diags)?),
        }
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        parts.push(PartAst::Text(rest.to_string()));
    }
    if parts.is_empty() {
        parts.push(PartAst::Text(String::new()));
    }
    let t = TemplateAst { parts };
    let pieces = pattern_pieces(&t);
    if t.parts.iter().any(|p| !matches!(p, PartAst::Text(_))) && pieces > MAX_TEMPLATE_PARTS {
        diags.error(
            span,
            format!("too many variables and wildcards in one value (at most {MAX_TEMPLATE_PARTS})"),
        );
        return None;
    }
    Some(t)
}

/// How many glob pieces a template makes as a pattern: runs of text, each `*` and `?`, each
/// escape and each variable.
pub fn pattern_pieces(t: &TemplateAst) -> usize {
    t.parts
        .iter()
        .map(|p| match p {
            PartAst::Text(s) => tagpolicy_runtime::glob::pieces(s).count(),
            _ => 1,
        })
        .sum()
}

fn variable(inner: &str, whole: &str, span: Span, diags: &mut Diagnostics<'_>) -> Option<PartAst> {
    let (key, default) = match inner.split_once(',') {
        None => (inner, None),
        Some((k, d)) => {
            let d = d.trim();
            let quoted = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .filter(|d| !d.contains('\''));
            match quoted {
                Some(q) => (k.trim(), Some(q.to_string())),
                None => {
                    diags.error_help(
                        span,
                        format!(
                            "bad default value in policy variable `${{{inner}}}` of \"{whole}\""
                        ),
                        "write the default in single quotes: ${aws:PrincipalTag/team, 'none'}",
                    );
                    return None;
                }
            }
        }
    };
    if key.is_empty()
        || key
            .chars()
            .any(|c| c.is_whitespace() || c == '$' || c == '{')
    {
        diags.error_help(
            span,
            format!("invalid policy variable `${{{inner}}}` in \"{whole}\""),
            "a variable names a condition key, such as ${aws:username}",
        );
        return None;
    }
    Some(PartAst::Var {
        key: key.to_string(),
        default,
    })
}
