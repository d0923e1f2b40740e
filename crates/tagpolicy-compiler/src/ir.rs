//! The intermediate representation: the one place where the meaning of a policy set is decided.
//!
//! Lowering from the AST decides everything once: condition-key names are case-folded and
//! interned to slot numbers (tag keys also by family and tag key), operator names become a
//! [`Mode`] and a typed [`Test`], constant values are parsed, patterns are split into literal text
//! and wildcards, policy variables become slot references with their defaults, and statements are
//! indexed by action so that a request only looks at statements that can apply to it.
//!
//! The IR is flat data (vectors of plain enums). The run-time evaluator ([`crate::eval`]) walks it;
//! the code generator turns the same tables into perfect-hash maps and straight-line Rust.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tagpolicy_runtime::cond::{Cmp, Mode};
use tagpolicy_runtime::glob;
use tagpolicy_runtime::ip::Cidr;
use tagpolicy_runtime::slots::Builtin;
use tagpolicy_runtime::time::Timestamp;
use tagpolicy_runtime::{Effect, TagFamily};

use crate::ast::{
    CondValue, ConditionAst, OpFamily, PartAst, PolicyDoc, StatementAst, TemplateAst, Version,
};

/// A set of policies evaluated together, lowered.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySet {
    /// The policies, in order.
    pub policies: Vec<PolicyInfo>,
    /// All statements of all policies, in (policy, statement) order; a statement's id is its
    /// position here.
    pub statements: Vec<Statement>,
    /// Slot → key.
    pub keys: Vec<Key>,
    /// Which statements a request's action can select.
    pub index: ActionIndex,
}

/// Where a policy came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The file (or label) it was read from.
    pub source: String,
    /// Its `Id`, if any.
    pub id: Option<String>,
    /// Its version.
    pub version: Version,
}

/// A condition key, by slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The key name, ASCII-lower-cased.
    pub name: String,
    /// For tag keys: the family and the lower-cased tag key.
    pub tag: Option<(TagFamily, String)>,
    /// For keys the request itself supplies.
    pub builtin: Option<Builtin>,
    /// Other lower-cased names of the same key: service tag keys (`iam:resourcetag/k`) name the
    /// tag that `aws:resourcetag/k` names.
    pub aliases: Vec<String>,
}

/// A position in a source file, for explanations.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Location {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// One statement, lowered.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// Index of its policy.
    pub policy: u32,
    /// Index within its policy.
    pub index: u32,
    /// `Sid`.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Which actions it covers.
    pub actions: Actions,
    /// Which resources it covers.
    pub resources: Resources,
    /// Which principals it covers.
    pub principals: Principals,
    /// Conditions, all of which must hold.
    pub conditions: Vec<Condition>,
    /// Where the statement is written.
    pub location: Location,
}

impl Statement {
    /// Every slot the statement reads (conditions, their variables, resource variables), in
    /// ascending order without duplicates.
    pub fn slots(&self) -> Vec<u16> {
        let mut out = Vec::new();
        for c in &self.conditions {
            out.push(c.slot);
            out.extend(c.vars.iter().map(|v| v.slot));
        }
        if let Resources::Patterns(pats) | Resources::Not(pats) = &self.resources {
            for p in pats {
                if let Pattern::Template(parts) = p {
                    out.extend(parts.iter().filter_map(|part| match part {
                        Part::Var(v) => Some(v.slot),
                        _ => None,
                    }));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl PolicySet {
    /// The principal tag keys (lower-cased tag keys) a statement reads: the values a grant can
    /// replace for it.
    pub fn principal_tags_read(&self, statement: &Statement) -> Vec<&str> {
        self.principal_tag_slots(statement)
            .into_iter()
            .filter_map(|slot| {
                let (_, k) = self.keys.get(usize::from(slot))?.tag.as_ref()?;
                Some(k.as_str())
            })
            .collect()
    }

    /// The slots of the principal tag keys a statement reads (sorted): where evaluation finds
    /// the grants a decision relied on.
    pub fn principal_tag_slots(&self, statement: &Statement) -> Vec<u16> {
        statement
            .slots()
            .into_iter()
            .filter(|slot| {
                matches!(
                    self.keys.get(usize::from(*slot)).map(|k| &k.tag),
                    Some(Some((TagFamily::Principal, _)))
                )
            })
            .collect()
    }
}

/// The action element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actions {
    /// `"Action": "*"`.
    Any,
    /// `Action`: lower-cased glob patterns (matched ASCII-case-insensitively).
    Patterns(Vec<String>),
    /// `NotAction`: every action that matches none of these lower-cased patterns.
    Not(Vec<String>),
}

impl Actions {
    /// Whether an action (any case) is covered.
    pub fn matches(&self, action: &str) -> bool {
        match self {
            Actions::Any => true,
            Actions::Patterns(p) => p
                .iter()
                .any(|p| glob::matches_ascii_case_insensitive(p, action)),
            Actions::Not(p) => !p
                .iter()
                .any(|p| glob::matches_ascii_case_insensitive(p, action)),
        }
    }
}

/// The resource element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resources {
    /// `"Resource": "*"`.
    Any,
    /// `Resource`: any pattern matches.
    Patterns(Vec<Pattern>),
    /// `NotResource`: no pattern matches.
    Not(Vec<Pattern>),
}

/// The principal element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principals {
    /// No principal element, or `"*"`.
    Any,
    /// `Principal`: the request's principal is one of these.
    Is(Vec<String>),
    /// `NotPrincipal`: the request's principal is none of these.
    Not(Vec<String>),
}

/// A pattern with `*` and `?` wildcards, matched case-sensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// No variables and no escapes: the pattern text itself, in glob syntax.
    Glob(String),
    /// Text, wildcards and variables.
    Template(Vec<Part>),
}

/// A part of a pattern or template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// `*` (in patterns only).
    Star,
    /// `?` (in patterns only).
    AnyChar,
    /// A policy variable: its value is literal text.
    Var(Var),
}

/// A policy variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// The slot of its key.
    pub slot: u16,
    /// The value when the key is missing (or not a single string).
    pub default: Option<String>,
}

/// One condition: operator, key and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The key's slot.
    pub slot: u16,
    /// Negation, qualifier, `IfExists`.
    pub mode: Mode,
    /// The typed test with its values.
    pub test: Test,
    /// Every variable the values use: if one has no value and no default, the condition fails.
    pub vars: Vec<Var>,
    /// The operator as written (for explanations).
    pub operator: String,
    /// The key as written (for explanations).
    pub key: String,
}

/// What a condition compares, in the operator's positive form.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `StringEquals` / `StringEqualsIgnoreCase` (and the negations).
    Equals {
        /// Whether case is ignored.
        ignore_case: bool,
        /// Constant values, sorted and without duplicates.
        constants: Vec<String>,
        /// Values with variables.
        templates: Vec<Vec<Part>>,
    },
    /// `StringLike` (and `StringNotLike`).
    Like(Vec<Pattern>),
    /// The ARN operators: component-wise wildcard match.
    Arn(Vec<Vec<Part>>),
    /// The numeric operators.
    Number(Cmp, Vec<f64>),
    /// The date operators.
    Date(Cmp, Vec<Timestamp>),
    /// `Bool`.
    Bool(Vec<bool>),
    /// `BinaryEquals`: base64 text compared exactly.
    Binary(Vec<String>),
    /// `IpAddress` / `NotIpAddress`.
    Ip(Vec<Cidr>),
    /// `Null`: holds when the key is missing and `true` is among the values, or present and
    /// `false` is.
    Null {
        /// `true` is among the values.
        want_missing: bool,
        /// `false` is among the values.
        want_present: bool,
    },
}

/// Statement selection by action.
///
/// A request's action (case-insensitively) is looked up in `exact` first: there, the bucket lists
/// exactly the statements whose action element covers that action, decided when the set was
/// built. Otherwise the bucket of its service, else `fallback`, lists candidates whose action
/// element must still be checked. Buckets hold statement ids in ascending order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ActionIndex {
    /// Lower-cased action names written without wildcards → bucket.
    pub exact: BTreeMap<String, Vec<u32>>,
    /// Lower-cased service prefix → candidates for its other actions.
    pub services: BTreeMap<String, Vec<u32>>,
    /// Candidates for any other action: `*`, patterns with a wildcard in the service, NotAction.
    pub fallback: Vec<u32>,
}

impl ActionIndex {
    /// The statements a request's action selects, and whether their action element is already
    /// known to cover it.
    pub fn select(&self, action: &str) -> (&[u32], bool) {
        if let Some(bucket) = lookup_folded(&self.exact, action) {
            return (bucket, true);
        }
        if let Some((service, _)) = action.split_once(':') {
            if let Some(bucket) = lookup_folded(&self.services, service) {
                return (bucket, false);
            }
        }
        (&self.fallback, false)
    }
}

/// Looks up a lower-cased key ASCII-case-insensitively without allocating.
fn lookup_folded<'m, V>(map: &'m BTreeMap<String, V>, key: &str) -> Option<&'m V> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        // Action and service names fit; the buffer is set on every lookup, so keep it small.
        let mut buf = [0u8; 96];
        let Some(dst) = buf.get_mut(..key.len()) else {
            // Longer than any name worth a buffer: compare one by one.
            return map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v);
        };
        dst.copy_from_slice(key.as_bytes());
        dst.make_ascii_lowercase();
        let folded = std::str::from_utf8(dst).ok()?;
        map.get(folded)
    } else {
        map.get(key)
    }
}

/// Lowers checked policy documents (with the name of the source each came from) to one set.
pub fn lower(docs: &[(&PolicyDoc, &str, &crate::diag::Source)]) -> PolicySet {
    let mut keys = KeyInterner::default();
    let mut policies = Vec::new();
    let mut statements = Vec::new();
    for (pi, (doc, name, source)) in docs.iter().enumerate() {
        policies.push(PolicyInfo {
            source: name.to_string(),
            id: doc.id.as_ref().map(|i| i.node.clone()),
            version: doc.effective_version(),
        });
        for (si, st) in doc.statements.iter().enumerate() {
            let (line, col) = source.line_col(st.span.start);
            statements.push(lower_statement(
                st,
                pi as u32,
                si as u32,
                Location {
                    file: name.to_string(),
                    line,
                    col,
                },
                &mut keys,
            ));
        }
    }
    let index = build_index(&statements);
    PolicySet {
        policies,
        statements,
        keys: keys.keys,
        index,
    }
}

#[derive(Default)]
struct KeyInterner {
    keys: Vec<Key>,
    by_name: HashMap<String, u16>,
}

impl KeyInterner {
    fn slot(&mut self, written: &str) -> u16 {
        let name = written.to_ascii_lowercase();
        if let Some(&s) = self.by_name.get(&name) {
            return s;
        }
        if let Some(canonical) = canonical_tag_key(&name) {
            let slot = self.slot(&canonical);
            if let Some(key) = self.keys.get_mut(usize::from(slot)) {
                key.aliases.push(name.clone());
            }
            self.by_name.insert(name, slot);
            return slot;
        }
        let slot = u16::try_from(self.keys.len()).unwrap_or(u16::MAX);
        let tag = [
            TagFamily::Principal,
            TagFamily::Resource,
            TagFamily::Request,
        ]
        .into_iter()
        .find_map(|f| {
            name.strip_prefix(f.prefix())
                .filter(|k| !k.is_empty())
                .map(|k| (f, k.to_string()))
        });
        self.keys.push(Key {
            builtin: Builtin::of(&name),
            tag,
            name: name.clone(),
            aliases: Vec::new(),
        });
        self.by_name.insert(name, slot);
        slot
    }
}

/// The `aws:` form of a service tag key (`iam:resourcetag/k` → `aws:resourcetag/k`), which names
/// the same tag.
fn canonical_tag_key(lower: &str) -> Option<String> {
    let (service, rest) = lower.split_once(':')?;
    let is_tag = ["resourcetag/", "requesttag/", "principaltag/"]
        .iter()
        .any(|p| rest.strip_prefix(p).is_some_and(|k| !k.is_empty()));
    (service != "aws" && !service.is_empty() && is_tag).then(|| format!("aws:{rest}"))
}

fn lower_statement(
    st: &StatementAst,
    policy: u32,
    index: u32,
    location: Location,
    keys: &mut KeyInterner,
) -> Statement {
    let actions = {
        let pats: Vec<String> = st
            .action
            .values
            .iter()
            .map(|v| v.node.to_ascii_lowercase())
            .collect();
        if st.action.not {
            Actions::Not(pats)
        } else if pats.iter().any(|p| p == "*") {
            Actions::Any
        } else {
            Actions::Patterns(pats)
        }
    };
    let resources = {
        let pats: Vec<Pattern> = st
            .resource
            .values
            .iter()
            .map(|v| pattern(&v.node, keys))
            .collect();
        if st.resource.not {
            Resources::Not(pats)
        } else if pats
            .iter()
            .any(|p| matches!(p, Pattern::Glob(g) if g == "*"))
        {
            Resources::Any
        } else {
            Resources::Patterns(pats)
        }
    };
    let principals = match &st.principal {
        None => Principals::Any,
        Some(p) => {
            let values: Vec<String> = p.values.iter().map(|v| v.node.clone()).collect();
            match (p.not, values.iter().any(|v| v == "*")) {
                (false, true) => Principals::Any,
                (false, false) => Principals::Is(values),
                (true, _) => Principals::Not(values),
            }
        }
    };
    let conditions = st
        .conditions
        .iter()
        .map(|c| lower_condition(c, keys))
        .collect();
    Statement {
        policy,
        index,
        sid: st.sid.as_ref().map(|s| s.node.clone()),
        effect: st.effect.node,
        actions,
        resources,
        principals,
        conditions,
        location,
    }
}

/// A template as a pattern: `*`/`?` in its text are wildcards; escapes and variables are literal.
fn pattern(t: &TemplateAst, keys: &mut KeyInterner) -> Pattern {
    if let [PartAst::Text(s)] = t.parts.as_slice() {
        return Pattern::Glob(s.clone());
    }
    Pattern::Template(pattern_parts(t, keys))
}

fn pattern_parts(t: &TemplateAst, keys: &mut KeyInterner) -> Vec<Part> {
    let mut parts = Vec::new();
    for p in &t.parts {
        match p {
            PartAst::Text(s) => {
                for piece in glob::pieces(s) {
                    parts.push(match piece {
                        glob::Piece::Text(t) => Part::Text(t.to_string()),
                        glob::Piece::Star => Part::Star,
                        glob::Piece::AnyChar => Part::AnyChar,
                    });
                }
            }
            PartAst::Escaped(c) => parts.push(Part::Text(c.to_string())),
            PartAst::Var { key, default } => parts.push(Part::Var(Var {
                slot: keys.slot(key),
                default: default.clone(),
            })),
        }
    }
    merge_text(parts)
}

/// A template as plain text: nothing is a wildcard.
fn text_parts(t: &TemplateAst, keys: &mut KeyInterner) -> Vec<Part> {
    let parts = t
        .parts
        .iter()
        .map(|p| match p {
            PartAst::Text(s) => Part::Text(s.clone()),
            PartAst::Escaped(c) => Part::Text(c.to_string()),
            PartAst::Var { key, default } => Part::Var(Var {
                slot: keys.slot(key),
                default: default.clone(),
            }),
        })
        .collect();
    merge_text(parts)
}

fn merge_text(parts: Vec<Part>) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        match (out.last_mut(), p) {
            (Some(Part::Text(a)), Part::Text(b)) => a.push_str(&b),
            (_, Part::Text(b)) if b.is_empty() => {}
            (_, p) => out.push(p),
        }
    }
    out
}

fn vars_of(parts: &[Part], out: &mut Vec<Var>) {
    for p in parts {
        if let Part::Var(v) = p {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
    }
}

fn lower_condition(c: &ConditionAst, keys: &mut KeyInterner) -> Condition {
    let op = c.operator.node;
    let slot = keys.slot(&c.key.node);
    let mode = Mode {
        negated: op.negated,
        qualifier: op.qualifier,
        if_exists: op.if_exists,
    };
    let mut vars = Vec::new();
    let texts = || {
        c.values.iter().filter_map(|v| match &v.node {
            CondValue::Text(t) => Some(t),
            _ => None,
        })
    };
    let test = match op.family {
        OpFamily::StringEquals | OpFamily::StringEqualsIgnoreCase => {
            let mut constants = BTreeSet::new();
            let mut templates = Vec::new();
            for t in texts() {
                let parts = text_parts(t, keys);
                match parts.as_slice() {
                    [] => {
                        constants.insert(String::new());
                    }
                    [Part::Text(s)] => {
                        constants.insert(s.clone());
                    }
                    _ => {
                        vars_of(&parts, &mut vars);
                        templates.push(parts);
                    }
                }
            }
            Test::Equals {
                ignore_case: op.family == OpFamily::StringEqualsIgnoreCase,
                constants: constants.into_iter().collect(),
                templates,
            }
        }
        OpFamily::StringLike => Test::Like(
            texts()
                .map(|t| {
                    let p = pattern(t, keys);
                    if let Pattern::Template(parts) = &p {
                        vars_of(parts, &mut vars);
                    }
                    p
                })
                .collect(),
        ),
        OpFamily::Arn => Test::Arn(
            texts()
                .map(|t| {
                    let parts = pattern_parts(t, keys);
                    vars_of(&parts, &mut vars);
                    parts
                })
                .collect(),
        ),
        OpFamily::Numeric(cmp) => Test::Number(
            cmp,
            c.values
                .iter()
                .filter_map(|v| match v.node {
                    CondValue::Number(n) => Some(n),
                    _ => None,
                })
                .collect(),
        ),
        OpFamily::Date(cmp) => Test::Date(
            cmp,
            c.values
                .iter()
                .filter_map(|v| match v.node {
                    CondValue::Date(t) => Some(t),
                    _ => None,
                })
                .collect(),
        ),
        OpFamily::Bool | OpFamily::Null => {
            let bools: Vec<bool> = c
                .values
                .iter()
                .filter_map(|v| match v.node {
                    CondValue::Bool(b) => Some(b),
                    _ => None,
                })
                .collect();
            if op.family == OpFamily::Null {
                Test::Null {
                    want_missing: bools.contains(&true),
                    want_present: bools.contains(&false),
                }
            } else {
                Test::Bool(bools)
            }
        }
        OpFamily::Binary => Test::Binary(
            c.values
                .iter()
                .filter_map(|v| match &v.node {
                    CondValue::Binary(b) => Some(b.clone()),
                    _ => None,
                })
                .collect(),
        ),
        OpFamily::Ip => Test::Ip(
            c.values
                .iter()
                .filter_map(|v| match v.node {
                    CondValue::Cidr(b) => Some(b),
                    _ => None,
                })
                .collect(),
        ),
    };
    Condition {
        slot,
        mode,
        test,
        vars,
        operator: c.operator_name.clone(),
        key: c.key.node.clone(),
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

fn build_index(statements: &[Statement]) -> ActionIndex {
    // Exact names → the statements listing them; service → statements with a wildcard pattern in
    // it; statements that may cover any action (`*`, NotAction, a wildcard service).
    let mut exact_names: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut services: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut fallback = BTreeSet::new();
    for (id, st) in statements.iter().enumerate() {
        let id = id as u32;
        match &st.actions {
            Actions::Any => {
                fallback.insert(id);
            }
            Actions::Not(pats) => {
                fallback.insert(id);
                // Exact names of NotAction lists matter too: they select a precise bucket.
                for p in pats.iter().filter(|p| !has_wildcard(p)) {
                    exact_names.entry(p.clone()).or_default();
                }
            }
            Actions::Patterns(pats) => {
                for p in pats {
                    if !has_wildcard(p) {
                        exact_names.entry(p.clone()).or_default().insert(id);
                        continue;
                    }
                    match p.split_once(':') {
                        Some((svc, _)) if !has_wildcard(svc) => {
                            services.entry(svc.to_string()).or_default().insert(id);
                        }
                        _ => {
                            fallback.insert(id);
                        }
                    }
                }
            }
        }
    }
    // A name's bucket: of the statements that can cover it at all (those listing it, the wildcard
    // patterns of its service, the fallback), those whose action element does — checked here,
    // once, so evaluation need not. Linear in the candidates, not in all statements.
    let exact = exact_names
        .iter()
        .map(|(name, listing)| {
            let service = name.split_once(':').map_or(name.as_str(), |(s, _)| s);
            let mut candidates: BTreeSet<u32> = listing.clone();
            if let Some(wild) = services.get(service) {
                candidates.extend(wild.iter().copied());
            }
            candidates.extend(fallback.iter().copied());
            let bucket = candidates
                .into_iter()
                .filter(|&id| {
                    statements
                        .get(id as usize)
                        .is_some_and(|st| st.actions.matches(name))
                })
                .collect();
            (name.clone(), bucket)
        })
        .collect();
    let services = services
        .into_iter()
        .map(|(svc, ids)| {
            let mut all: BTreeSet<u32> = ids;
            all.extend(fallback.iter().copied());
            (svc, all.into_iter().collect())
        })
        .collect();
    ActionIndex {
        exact,
        services,
        fallback: fallback.into_iter().collect(),
    }
}
