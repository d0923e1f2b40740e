//! The IR of permission sets and their JSON Logic conditions: where their meaning is decided.
//!
//! Lowering resolves what can be resolved before a request exists: `var` paths are split into
//! segments (`"subject.meta.department"` → `["subject", "meta", "department"]`), a path that is
//! not a constant becomes a computed path, literals become typed constants, and each condition
//! records whether it may compute new values (and so needs scratch space) — conditions that only
//! read and compare never touch it.

use crate::json::{Json, JsonKind};
use crate::logic::{Op, Rule};
use crate::permissions::PermissionSetDoc;
use tagpolicy_runtime::logic_ops::{request_field, Plain, RequestField, Who};

/// A permission set, lowered.
#[derive(Clone, Debug, PartialEq)]
pub struct PermissionSetIr {
    /// Where it came from.
    pub source: String,
    /// Roles in file order.
    pub roles: Vec<RoleIr>,
    /// Permissions in file order: the first that allows names the decision.
    pub permissions: Vec<PermissionIr>,
}

/// A role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleIr {
    /// Its name.
    pub name: String,
    /// Indices of the permissions it grants (undefined keys grant nothing and are dropped).
    pub permissions: Vec<u32>,
}

/// A permission.
#[derive(Clone, Debug, PartialEq)]
pub struct PermissionIr {
    /// Its key.
    pub key: String,
    /// The action, compared exactly.
    pub action: String,
    /// The resource type, compared exactly.
    pub resource_type: String,
    /// A glob over resource ids; `None` matches every id.
    pub resource_pattern: Option<String>,
    /// The condition.
    pub logic: Option<Expr>,
}

/// A JSON Logic expression, lowered.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant scalar or string.
    Const(Const),
    /// A literal object (an object that is not an operation): evaluates to itself.
    Object(Vec<(String, Expr)>),
    /// An array: each element evaluated.
    Array(Vec<Expr>),
    /// `var` with a constant path: the segments (empty: the whole data) and the default.
    Var {
        /// Path segments.
        path: Vec<String>,
        /// Value when the path is not found.
        default: Option<Box<Expr>>,
        /// What the path reads at the top of a permission condition, resolved once.
        request: RequestPath,
    },
    /// `var` whose path is computed.
    VarComputed {
        /// The path expression (its string form is split at dots).
        path: Box<Expr>,
        /// Value when the path is not found.
        default: Option<Box<Expr>>,
    },
    /// Any other operation.
    Apply {
        /// The operator.
        op: Op,
        /// Its arguments, unevaluated (`if`, `and`, `or` and the iterators evaluate lazily).
        args: Vec<Expr>,
    },
}

/// A constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
}

/// An upper bound of the scratch space an evaluation can use, per kind; `None` when it depends on
/// the data (an array built per element, a string of computed length).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScratchNeed {
    /// Values (arrays).
    pub vals: Option<usize>,
    /// Bytes (strings).
    pub bytes: Option<usize>,
    /// Object members (literal objects).
    pub members: Option<usize>,
}

impl ScratchNeed {
    const NONE: ScratchNeed = ScratchNeed {
        vals: Some(0),
        bytes: Some(0),
        members: Some(0),
    };

    fn plus(self, other: ScratchNeed) -> ScratchNeed {
        let add = |a: Option<usize>, b: Option<usize>| a?.checked_add(b?);
        ScratchNeed {
            vals: add(self.vals, other.vals),
            bytes: add(self.bytes, other.bytes),
            members: add(self.members, other.members),
        }
    }

    /// What running this once per element of an array of unknown length can use.
    fn repeated(self) -> ScratchNeed {
        let rep = |a: Option<usize>| a.filter(|n| *n == 0);
        ScratchNeed {
            vals: rep(self.vals),
            bytes: rep(self.bytes),
            members: rep(self.members),
        }
    }

    fn vals(n: Option<usize>) -> ScratchNeed {
        ScratchNeed {
            vals: n,
            ..ScratchNeed::NONE
        }
    }

    fn bytes(n: Option<usize>) -> ScratchNeed {
        ScratchNeed {
            bytes: n,
            ..ScratchNeed::NONE
        }
    }
}

/// The scratch space a condition gets: the condition budget
/// ([`CONDITION_VALS`](tagpolicy_runtime::scratch::CONDITION_VALS), …) cut down to what the
/// condition can use at most. Evaluation fails when it runs out exactly where it would with the
/// whole budget (it never runs out below its upper bound), so both paths size the space from this
/// and zero no more than that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScratchBudget {
    /// Values.
    pub vals: usize,
    /// Bytes.
    pub bytes: usize,
    /// Object members.
    pub members: usize,
}

impl ScratchBudget {
    /// Whether no space is needed at all.
    pub fn is_zero(&self) -> bool {
        *self == ScratchBudget::default()
    }
}

impl Expr {
    /// Whether evaluating it may need scratch space (a computed string, array or object).
    pub fn needs_scratch(&self) -> bool {
        !self.scratch_budget().is_zero()
    }

    /// The scratch space evaluating it gets (see [`ScratchBudget`]).
    pub fn scratch_budget(&self) -> ScratchBudget {
        use tagpolicy_runtime::scratch::{CONDITION_BYTES, CONDITION_MEMBERS, CONDITION_VALS};
        let need = self.scratch_need();
        let cap = |n: Option<usize>, max: usize| n.map_or(max, |n| n.min(max));
        ScratchBudget {
            vals: cap(need.vals, CONDITION_VALS),
            bytes: cap(need.bytes, CONDITION_BYTES),
            members: cap(need.members, CONDITION_MEMBERS),
        }
    }

    /// An upper bound of the scratch space one evaluation uses (mirrors where the run-time
    /// evaluator and generated code allocate).
    pub fn scratch_need(&self) -> ScratchNeed {
        let sum = |es: &[Expr]| {
            es.iter()
                .fold(ScratchNeed::NONE, |n, e| n.plus(e.scratch_need()))
        };
        let arg =
            |args: &[Expr], i: usize| args.get(i).map_or(ScratchNeed::NONE, Expr::scratch_need);
        match self {
            Expr::Const(_) => ScratchNeed::NONE,
            Expr::Object(members) => {
                if members.is_empty() {
                    return ScratchNeed::NONE;
                }
                let own = ScratchNeed {
                    members: Some(members.len()),
                    ..ScratchNeed::NONE
                };
                members
                    .iter()
                    .fold(own, |n, (_, e)| n.plus(e.scratch_need()))
            }
            Expr::Array(items) => ScratchNeed::vals(Some(items.len())).plus(sum(items)),
            Expr::Var { default, .. } => default
                .as_deref()
                .map_or(ScratchNeed::NONE, Expr::scratch_need),
            Expr::VarComputed { path, default } => {
                path.scratch_need().plus(ScratchNeed::bytes(None)).plus(
                    default
                        .as_deref()
                        .map_or(ScratchNeed::NONE, Expr::scratch_need),
                )
            }
            Expr::Apply { op, args } => {
                let all = sum(args);
                match op {
                    Op::If | Op::And | Op::Or => all,
                    Op::Missing | Op::MissingSome => all
                        .plus(ScratchNeed::vals(None))
                        .plus(ScratchNeed::bytes(None)),
                    Op::Map | Op::Filter => arg(args, 0)
                        .plus(arg(args, 1).repeated())
                        .plus(ScratchNeed::vals(None)),
                    Op::Reduce => arg(args, 0)
                        .plus(arg(args, 1).repeated())
                        .plus(arg(args, 2)),
                    Op::All | Op::None | Op::Some => arg(args, 0).plus(arg(args, 1).repeated()),
                    _ => {
                        // Operators over evaluated arguments: more than fit on the stack go to
                        // scratch space.
                        let spill = if args.len() > STACK_ARGS {
                            ScratchNeed::vals(Some(args.len()))
                        } else {
                            ScratchNeed::NONE
                        };
                        let own = match op {
                            Op::Cat | Op::Substr => ScratchNeed::bytes(None),
                            Op::Merge => ScratchNeed::vals(None),
                            _ => ScratchNeed::NONE,
                        };
                        all.plus(spill).plus(own)
                    }
                }
            }
        }
    }

    /// The subject tag groups this condition reads at the top of a permission request
    /// (`subject.tags.GROUP…`, in the order they appear, once each); `None` when it may read any
    /// (a computed `var` path, or `missing` keys that are not constant strings). What decides
    /// which granted tag values a decision relied on.
    pub fn subject_tag_groups(&self) -> Option<Vec<String>> {
        let mut groups = Vec::new();
        self.collect_tag_groups(true, &mut groups).then_some(groups)
    }

    /// Adds the subject tag groups read in the request's scope (`top`) to `out`; false when any
    /// group may be read.
    fn collect_tag_groups(&self, top: bool, out: &mut Vec<String>) -> bool {
        match self {
            Expr::Const(_) => true,
            Expr::Object(members) => all_groups(members.iter().map(|(_, e)| e), top, out),
            Expr::Array(items) => all_groups(items.iter(), top, out),
            Expr::Var { path, default, .. } => {
                if top {
                    note_group(path.iter().map(String::as_str), out);
                }
                all_groups(default.as_deref(), top, out)
            }
            Expr::VarComputed { path, default } => {
                let ok =
                    path.collect_tag_groups(top, out) & all_groups(default.as_deref(), top, out);
                ok && !top
            }
            Expr::Apply { op, args } => match op {
                Op::Map | Op::Filter | Op::Reduce | Op::All | Op::None | Op::Some => {
                    // The body reads the element (or `{current, accumulator}`), never the request.
                    let mut ok = true;
                    for (i, a) in args.iter().enumerate() {
                        ok &= a.collect_tag_groups(top && i != 1, out);
                    }
                    ok
                }
                Op::Missing | Op::MissingSome => {
                    let ok = all_groups(args.iter(), top, out);
                    if !top {
                        return ok;
                    }
                    // The keys are paths read in this scope: constant strings name them.
                    let keys = if *op == Op::MissingSome {
                        args.get(1..2).unwrap_or(&[])
                    } else {
                        args.as_slice()
                    };
                    let mut constant = true;
                    let mut key = |e: &Expr, out: &mut Vec<String>| match e {
                        Expr::Const(Const::Str(k)) => {
                            note_group(tagpolicy_runtime::logic_ops::segments(k), out);
                        }
                        Expr::Const(_) => {}
                        _ => constant = false,
                    };
                    for k in keys {
                        match k {
                            Expr::Array(items) => items.iter().for_each(|i| key(i, out)),
                            other => key(other, out),
                        }
                    }
                    ok && constant
                }
                _ => all_groups(args.iter(), top, out),
            },
        }
    }
}

/// Adds the subject tag group a request path names, if it names one.
fn note_group<'p>(mut path: impl Iterator<Item = &'p str>, out: &mut Vec<String>) {
    if let RequestField::Tag(Who::Subject, group) = request_field(&mut path) {
        if !out.iter().any(|g| g == group) {
            out.push(group.to_string());
        }
    }
}

/// [`Expr::collect_tag_groups`] of each expression (all of them, even after one that may read
/// any group).
fn all_groups<'e>(
    es: impl IntoIterator<Item = &'e Expr>,
    top: bool,
    out: &mut Vec<String>,
) -> bool {
    let mut ok = true;
    for e in es {
        ok &= e.collect_tag_groups(top, out);
    }
    ok
}

/// The operator over evaluated arguments that `op` is, for all but the lazy ones (`if`, `and`,
/// `or`, `missing`, `missing_some`, the iterators) and `var`.
pub fn plain_op(op: Op) -> Option<Plain> {
    Some(match op {
        Op::Eq => Plain::Eq,
        Op::StrictEq => Plain::StrictEq,
        Op::Ne => Plain::Ne,
        Op::StrictNe => Plain::StrictNe,
        Op::Not => Plain::Not,
        Op::NotNot => Plain::NotNot,
        Op::Lt => Plain::Lt,
        Op::Le => Plain::Le,
        Op::Gt => Plain::Gt,
        Op::Ge => Plain::Ge,
        Op::Max => Plain::Max,
        Op::Min => Plain::Min,
        Op::Add => Plain::Add,
        Op::Sub => Plain::Sub,
        Op::Mul => Plain::Mul,
        Op::Div => Plain::Div,
        Op::Mod => Plain::Mod,
        Op::In => Plain::In,
        Op::Cat => Plain::Cat,
        Op::Substr => Plain::Substr,
        Op::Merge => Plain::Merge,
        _ => return None,
    })
}

/// How many arguments of an operator are evaluated on the stack; more go to scratch space (both
/// paths).
pub const STACK_ARGS: usize = 8;

/// How a `resource_pattern` is tested against a resource id, decided once from the pattern: all
/// forms are the same glob ([`tagpolicy_runtime::glob`]), only cheaper to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternTest {
    /// Only `*`s: every id matches.
    Any,
    /// No wildcard: the id equals the text.
    Exact(String),
    /// `*` but no `?`: the parts between the stars ([`tagpolicy_runtime::glob::matches_stars`]).
    Stars {
        /// The parts (one more than the stars).
        parts: Vec<String>,
        /// The whole pattern.
        pattern: String,
    },
    /// With `?`: the general matcher ([`tagpolicy_runtime::glob::matches`]).
    Glob(String),
}

impl PatternTest {
    /// The test for a pattern.
    pub fn of(pattern: &str) -> PatternTest {
        if pattern.contains('?') {
            PatternTest::Glob(pattern.to_string())
        } else if !pattern.contains('*') {
            PatternTest::Exact(pattern.to_string())
        } else if pattern.chars().all(|c| c == '*') {
            PatternTest::Any
        } else {
            PatternTest::Stars {
                parts: pattern.split('*').map(str::to_string).collect(),
                pattern: pattern.to_string(),
            }
        }
    }

    /// Whether `id` matches (the run-time evaluator's test; generated code inlines the same).
    pub fn matches(&self, id: &str) -> bool {
        match self {
            PatternTest::Any => true,
            PatternTest::Exact(text) => text == id,
            PatternTest::Stars { parts, pattern } => {
                // The parts as `&str`s on the stack (patterns with more stars take the general
                // matcher, which is the same glob).
                let mut buf = [""; 8];
                if parts.len() > buf.len() {
                    return tagpolicy_runtime::glob::matches(pattern, id);
                }
                for (slot, part) in buf.iter_mut().zip(parts) {
                    *slot = part;
                }
                tagpolicy_runtime::glob::matches_stars(buf.get(..parts.len()).unwrap_or(&[]), id)
            }
            PatternTest::Glob(pattern) => tagpolicy_runtime::glob::matches(pattern, id),
        }
    }
}

/// Where a constant `var` path leads in a permission request's data (`{subject, resource,
/// context}`), resolved when the path is lowered: the [`RequestField`] its first segments name
/// ([`request_field`], the run-time lookup's own resolution) and the segments below it, which
/// descend into the field's value. Both paths read a request through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestPath {
    /// The field, with an empty key (the key is the last segment used).
    shape: RequestField<'static>,
    /// How many segments name the field.
    used: usize,
}

impl RequestPath {
    /// Resolves a path.
    pub fn of(path: &[String]) -> RequestPath {
        let mut segments = path.iter().map(String::as_str);
        let field = request_field(&mut segments);
        let used = path.len().saturating_sub(segments.count());
        let shape = match field {
            RequestField::Id(w) => RequestField::Id(w),
            RequestField::Type(w) => RequestField::Type(w),
            RequestField::Meta(w, _) => RequestField::Meta(w, ""),
            RequestField::AllMeta(w) => RequestField::AllMeta(w),
            RequestField::Tag(w, _) => RequestField::Tag(w, ""),
            RequestField::Context(_) => RequestField::Context(""),
            RequestField::AllContext => RequestField::AllContext,
            RequestField::NotFound => RequestField::NotFound,
            RequestField::Unbuilt => RequestField::Unbuilt,
        };
        RequestPath { shape, used }
    }

    /// The field `path` (the path this was resolved from) names.
    pub fn field<'p>(&self, path: &'p [String]) -> RequestField<'p> {
        let key = self
            .used
            .checked_sub(1)
            .and_then(|i| path.get(i))
            .map_or("", String::as_str);
        match self.shape {
            RequestField::Meta(w, _) => RequestField::Meta(w, key),
            RequestField::Tag(w, _) => RequestField::Tag(w, key),
            RequestField::Context(_) => RequestField::Context(key),
            RequestField::Id(w) => RequestField::Id(w),
            RequestField::Type(w) => RequestField::Type(w),
            RequestField::AllMeta(w) => RequestField::AllMeta(w),
            RequestField::AllContext => RequestField::AllContext,
            RequestField::NotFound => RequestField::NotFound,
            RequestField::Unbuilt => RequestField::Unbuilt,
        }
    }

    /// The segments of `path` below the field.
    pub fn rest<'p>(&self, path: &'p [String]) -> &'p [String] {
        path.get(self.used..).unwrap_or(&[])
    }
}

impl Expr {
    /// `var` of a constant path.
    pub fn var(path: Vec<String>, default: Option<Box<Expr>>) -> Expr {
        let request = RequestPath::of(&path);
        Expr::Var {
            path,
            default,
            request,
        }
    }
}

/// Lowers a rule.
pub fn lower_rule(rule: &Rule) -> Expr {
    match rule {
        Rule::Literal(j) => lower_literal(j),
        Rule::Array(items, _) => Expr::Array(items.iter().map(lower_rule).collect()),
        Rule::Op {
            op: Op::Var, args, ..
        } => {
            let default = args.get(1).map(|d| Box::new(lower_rule(d)));
            match args.first() {
                None => Expr::var(Vec::new(), default),
                Some(Rule::Literal(j)) => match path_text(j) {
                    Some(p) => Expr::var(split_path(&p), default),
                    None => Expr::VarComputed {
                        path: Box::new(lower_literal(j)),
                        default,
                    },
                },
                Some(other) => Expr::VarComputed {
                    path: Box::new(lower_rule(other)),
                    default,
                },
            }
        }
        Rule::Op { op, args, .. } => {
            let args: Vec<Expr> = args.iter().map(lower_rule).collect();
            match identity_answer(*op, &args) {
                Some(answer) => Expr::Const(Const::Bool(answer)),
                None => Expr::Apply { op: *op, args },
            }
        }
    }
}

/// An expression that makes a new array or object each time it is evaluated (json-logic-js
/// builds a new array for an array literal, `map`, `filter`, `merge`, `missing` and
/// `missing_some`, and a literal object is the rule's own object, which nothing else is).
fn is_fresh_object(e: &Expr) -> bool {
    match e {
        Expr::Array(_) | Expr::Object(_) => true,
        Expr::Apply { op, .. } => matches!(
            op,
            Op::Map | Op::Filter | Op::Merge | Op::Missing | Op::MissingSome
        ),
        _ => false,
    }
}

/// The answer of an equality that object identity decides whatever the data: JavaScript
/// compares objects by identity, and a new object is identical to nothing else. So `===`
/// with a new array or object on either side is false (`!==` true), and `==` with one on both
/// sides is false (`!=` true). `==` with one on one side only still depends on the other side
/// (`[1] == "1"` is true) and is left to the operator.
///
/// Decided here, once, so both paths agree: the evaluators compare arrays by address, and
/// two equal constant arrays in generated code, or two empty ones anywhere, may share one.
fn identity_answer(op: Op, args: &[Expr]) -> Option<bool> {
    let fresh = |i: usize| args.get(i).is_some_and(is_fresh_object);
    match op {
        Op::StrictEq | Op::StrictNe if fresh(0) || fresh(1) => Some(op == Op::StrictNe),
        Op::Eq | Op::Ne if fresh(0) && fresh(1) => Some(op == Op::Ne),
        _ => None,
    }
}

/// The text of a constant `var` path as json-logic-js reads it (`String(a)`); null, `""` and a
/// missing path mean the whole data (empty text here).
fn path_text(j: &Json) -> Option<String> {
    match &j.kind {
        JsonKind::Null => Some(String::new()),
        JsonKind::String(s) => Some(s.clone()),
        JsonKind::Number(n) => {
            let mut s = String::new();
            tagpolicy_runtime::jsonlogic::write_number(n.value, &mut s).ok()?;
            Some(s)
        }
        JsonKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn split_path(p: &str) -> Vec<String> {
    if p.is_empty() {
        Vec::new()
    } else {
        p.split('.').map(str::to_string).collect()
    }
}

fn lower_literal(j: &Json) -> Expr {
    match &j.kind {
        JsonKind::Null => Expr::Const(Const::Null),
        JsonKind::Bool(b) => Expr::Const(Const::Bool(*b)),
        JsonKind::Number(n) => Expr::Const(Const::Num(n.value)),
        JsonKind::String(s) => Expr::Const(Const::Str(s.clone())),
        JsonKind::Array(items) => Expr::Array(items.iter().map(lower_literal).collect()),
        JsonKind::Object(members) => Expr::Object(
            members
                .iter()
                .map(|m| (m.key.clone(), lower_literal(&m.value)))
                .collect(),
        ),
    }
}

/// Lowers a checked permission set.
pub fn lower_permission_set(doc: &PermissionSetDoc, source: &str) -> PermissionSetIr {
    let permissions: Vec<PermissionIr> = doc
        .permissions
        .iter()
        .map(|p| PermissionIr {
            key: p.key.node.clone(),
            action: p.action.node.clone(),
            resource_type: p.resource_type.node.clone(),
            resource_pattern: p
                .resource_pattern
                .as_ref()
                .map(|r| r.node.clone())
                .filter(|r| r != "*"),
            logic: p.logic.as_ref().map(lower_rule),
        })
        .collect();
    let roles = doc
        .roles
        .iter()
        .map(|r| RoleIr {
            name: r.name.node.clone(),
            permissions: r
                .permissions
                .iter()
                .filter_map(|k| permissions.iter().position(|p| p.key == k.node))
                .map(|i| i as u32)
                .collect(),
        })
        .collect();
    PermissionSetIr {
        source: source.to_string(),
        roles,
        permissions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Diagnostics, Source};
    use tagpolicy_runtime::scratch::{CONDITION_BYTES, CONDITION_MEMBERS, CONDITION_VALS};

    fn expr(text: &str) -> Expr {
        let source = Source::new("rule.json", text);
        let json = crate::parse_json(&source).expect("JSON");
        let mut diags = Diagnostics::new(&source);
        let rule = crate::logic::read_rule(&json, &mut diags).expect("rule");
        assert!(!diags.has_errors());
        lower_rule(&rule)
    }

    fn budget(text: &str) -> (usize, usize, usize) {
        let b = expr(text).scratch_budget();
        (b.vals, b.bytes, b.members)
    }

    #[test]
    fn scratch_budgets_are_upper_bounds_or_the_whole_budget() {
        const FULL: (usize, usize, usize) = (CONDITION_VALS, CONDITION_BYTES, CONDITION_MEMBERS);
        // Only reads and compares: nothing.
        assert_eq!(
            budget(r#"{"in": [{"var": "subject.meta.d"}, {"var": "resource.tags.d"}]}"#),
            (0, 0, 0)
        );
        // An empty literal inside reduce's body needs no room, however often it runs.
        let certs = r#"{"!!": [{"reduce": [{"var": "resource.tags.r"},
            {"if": [{"in": [{"var": "current"}, {"var": "accumulator"}]}, {"var": "accumulator"}, []]},
            {"var": "subject.tags.c"}]}]}"#;
        assert_eq!(budget(certs), (0, 0, 0));
        // Literals outside loops: their sizes, summed over every branch.
        assert_eq!(budget(r#"{"in": ["a", ["a", "b"]]}"#), (2, 0, 0));
        assert_eq!(budget(r#"{"if": [[1], [2, 3], [4]]}"#), (4, 0, 0));
        // A literal built once per element, a computed string or array: the whole budget.
        assert_eq!(
            budget(r#"{"some": [{"var": "x"}, {"in": [1, [1]]}]}"#),
            (CONDITION_VALS, 0, 0)
        );
        assert_eq!(
            budget(r#"{"cat": ["a", {"var": "x"}]}"#),
            (0, CONDITION_BYTES, 0)
        );
        assert_eq!(budget(r#"{"merge": [[1], [2]]}"#), (CONDITION_VALS, 0, 0));
        assert_eq!(
            budget(r#"{"missing": ["a"]}"#),
            (CONDITION_VALS, CONDITION_BYTES, 0)
        );
        // More arguments than the stack holds spill to scratch space.
        assert_eq!(budget(r#"{"+": [1, 2, 3, 4, 5, 6, 7, 8, 9]}"#), (9, 0, 0));
        // Never more than the whole budget.
        let many = format!("[{}]", vec!["1"; CONDITION_VALS + 1].join(","));
        assert_eq!(
            budget(&format!(r#"{{"in": [1, {many}]}}"#)),
            (CONDITION_VALS, 0, 0)
        );
        assert_eq!(
            budget(r#"{"map": [{"var": "x"}, {"cat": ["a"]}]}"#),
            (FULL.0, FULL.1, 0)
        );
        assert_eq!(budget(r#"{"var": {"var": "p"}}"#), (0, FULL.1, 0));
    }

    #[test]
    fn pattern_tests_are_the_glob() {
        let patterns = [
            "",
            "*",
            "**",
            "doc-*",
            "*-1",
            "a*b*c",
            "doc-1",
            "a?c",
            "*a*a*a*a*a*a*a*a*a*",
            "é*",
        ];
        let ids = [
            "",
            "doc-1",
            "doc-",
            "x-1",
            "abc",
            "aXbYc",
            "acb",
            "aaaaaaaaa",
            "éa",
            "a-1",
        ];
        for p in patterns {
            for id in ids {
                assert_eq!(
                    PatternTest::of(p).matches(id),
                    tagpolicy_runtime::glob::matches(p, id),
                    "{p:?} against {id:?}"
                );
            }
        }
        assert_eq!(PatternTest::of("***"), PatternTest::Any);
        assert!(matches!(PatternTest::of("a*b"), PatternTest::Stars { .. }));
    }

    fn groups(text: &str) -> Option<Vec<String>> {
        expr(text).subject_tag_groups()
    }

    #[test]
    fn subject_tag_groups_read_in_the_requests_scope() {
        assert_eq!(
            groups(r#"{"in": [{"var": "subject.meta.d"}, {"var": "resource.tags.d"}]}"#),
            Some(vec![])
        );
        assert_eq!(
            groups(
                r#"{"or": [{"var": "subject.tags.b.0"}, {"var": "subject.tags.a"}, {"var": "subject.tags.b"}]}"#
            ),
            Some(vec!["b".to_string(), "a".to_string()])
        );
        // An iterator's body reads the element, not the request; its array and reduce's initial
        // value are read in the request's scope.
        assert_eq!(
            groups(
                r#"{"reduce": [{"var": "subject.tags.x"}, {"var": "subject.tags.no"}, {"var": "subject.tags.y"}]}"#
            ),
            Some(vec!["x".to_string(), "y".to_string()])
        );
        // A default is read where its var is.
        assert_eq!(
            groups(r#"{"var": ["subject.meta.z", {"var": "subject.tags.z"}]}"#),
            Some(vec!["z".to_string()])
        );
        // missing with constant keys names them; computed paths may read any group.
        assert_eq!(
            groups(r#"{"missing": ["subject.tags.m", "resource.id"]}"#),
            Some(vec!["m".to_string()])
        );
        assert_eq!(groups(r#"{"missing": {"var": "keys"}}"#), None);
        assert_eq!(groups(r#"{"var": {"cat": ["subject.tags.", "x"]}}"#), None);
        // Inside an iterator's body a computed path reads the element: no group.
        assert_eq!(
            groups(r#"{"some": [[1], {"var": {"cat": ["a", "b"]}}]}"#),
            Some(vec![])
        );
    }
}
