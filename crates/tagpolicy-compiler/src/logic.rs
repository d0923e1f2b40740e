//! JSON Logic rules: the syntax tree read from spanned JSON, its checks and its lints.
//!
//! Reading follows the reference implementation (json-logic-js): an object with exactly one key is
//! an operation whose argument list is the key's value (a single value is a one-element list); an
//! array is evaluated element by element; anything else — including objects with zero or several
//! keys — is a literal. An unknown operator is an error (the reference throws
//! "Unrecognized operation"). Every node keeps the span of its JSON text.

use crate::diag::Diagnostics;
use crate::json::{Json, JsonKind, Span};

/// The operators of JSON Logic that tagpolicy supports (SPEC §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `var`: read the data at a path.
    Var,
    /// `missing`: the listed paths that are null or `""`.
    Missing,
    /// `missing_some`: `[]` if at least N of the paths are present, else the missing ones.
    MissingSome,
    /// `if` (and its alias `?:`).
    If,
    /// `==` (loose equality).
    Eq,
    /// `===`.
    StrictEq,
    /// `!=`.
    Ne,
    /// `!==`.
    StrictNe,
    /// `!`.
    Not,
    /// `!!`.
    NotNot,
    /// `and`: the first falsy argument, or the last.
    And,
    /// `or`: the first truthy argument, or the last.
    Or,
    /// `<` (three arguments: exclusive between).
    Lt,
    /// `<=` (three arguments: inclusive between).
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `max`.
    Max,
    /// `min`.
    Min,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `map`.
    Map,
    /// `filter`.
    Filter,
    /// `reduce`.
    Reduce,
    /// `all` (false for an empty array, as in the reference).
    All,
    /// `none`.
    None,
    /// `some`.
    Some,
    /// `merge`.
    Merge,
    /// `in`: substring or array membership.
    In,
    /// `cat`.
    Cat,
    /// `substr`.
    Substr,
}

const OPERATORS: &[(&str, Op)] = &[
    ("var", Op::Var),
    ("missing", Op::Missing),
    ("missing_some", Op::MissingSome),
    ("if", Op::If),
    ("?:", Op::If),
    ("==", Op::Eq),
    ("===", Op::StrictEq),
    ("!=", Op::Ne),
    ("!==", Op::StrictNe),
    ("!", Op::Not),
    ("!!", Op::NotNot),
    ("and", Op::And),
    ("or", Op::Or),
    ("<", Op::Lt),
    ("<=", Op::Le),
    (">", Op::Gt),
    (">=", Op::Ge),
    ("max", Op::Max),
    ("min", Op::Min),
    ("+", Op::Add),
    ("-", Op::Sub),
    ("*", Op::Mul),
    ("/", Op::Div),
    ("%", Op::Mod),
    ("map", Op::Map),
    ("filter", Op::Filter),
    ("reduce", Op::Reduce),
    ("all", Op::All),
    ("none", Op::None),
    ("some", Op::Some),
    ("merge", Op::Merge),
    ("in", Op::In),
    ("cat", Op::Cat),
    ("substr", Op::Substr),
];

impl Op {
    /// The operator written as `name`.
    pub fn from_name(name: &str) -> Option<Op> {
        OPERATORS.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
    }

    /// The operator's canonical name.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("?", |(n, _)| n)
    }

    /// Whether the second argument is evaluated once per element of the first, with the element
    /// (or `{current, accumulator}` for `reduce`) as its data.
    pub fn iterates(self) -> bool {
        matches!(
            self,
            Op::Map | Op::Filter | Op::Reduce | Op::All | Op::None | Op::Some
        )
    }

    /// Whether it compares its arguments.
    pub fn compares(self) -> bool {
        matches!(
            self,
            Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Lt | Op::Le | Op::Gt | Op::Ge
        )
    }
}

/// A JSON Logic rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// A literal: null, boolean, number, string, or an object that is not an operation.
    Literal(Json),
    /// An array: each element is a rule.
    Array(Vec<Rule>, Span),
    /// An operation.
    Op {
        /// The operator.
        op: Op,
        /// Its arguments.
        args: Vec<Rule>,
        /// The operator key.
        op_span: Span,
        /// The whole `{"op": …}` object.
        span: Span,
    },
}

impl Rule {
    /// The span of the rule's text.
    pub fn span(&self) -> Span {
        match self {
            Rule::Literal(j) => j.span,
            Rule::Array(_, s) | Rule::Op { span: s, .. } => *s,
        }
    }

    /// The literal string, if the rule is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Rule::Literal(j) => j.as_str(),
            _ => None,
        }
    }
}

/// Nesting deeper than this is rejected (the JSON parser already bounds depth; rules nest twice
/// per level, an operation object and its argument list).
pub const MAX_RULE_DEPTH: usize = 64;

/// Reads a rule. Problems go to `diags`; `None` if the rule cannot be used.
pub fn read_rule(json: &Json, diags: &mut Diagnostics<'_>) -> Option<Rule> {
    let before = diags.has_errors();
    let rule = read(json, 0, diags);
    if !before && diags.has_errors() {
        return None;
    }
    Some(rule)
}

fn read(json: &Json, depth: usize, diags: &mut Diagnostics<'_>) -> Rule {
    if depth > MAX_RULE_DEPTH {
        diags.error(
            json.span,
            format!("rule nested deeper than {MAX_RULE_DEPTH} levels"),
        );
        return Rule::Literal(json.clone());
    }
    match &json.kind {
        JsonKind::Array(items) => Rule::Array(
            items.iter().map(|i| read(i, depth + 1, diags)).collect(),
            json.span,
        ),
        JsonKind::Object(members) if members.len() == 1 => {
            let Some(m) = members.first() else {
                return Rule::Literal(json.clone());
            };
            let Some(op) = Op::from_name(&m.key) else {
                let message = format!("unknown JSON Logic operator `{}`", m.key);
                let names = OPERATORS.iter().map(|(n, _)| *n);
                match crate::ast::closest(&m.key, names) {
                    Some(s) => diags.error_help(m.key_span, message, format!("did you mean `{s}`?")),
                    None => diags.error_help(
                        m.key_span,
                        message,
                        "an object with one key is an operation; supported: var, missing, missing_some, if, ==, ===, !=, !==, !, !!, and, or, <, <=, >, >=, max, min, +, -, *, /, %, map, filter, reduce, all, none, some, merge, in, cat, substr",
                    ),
                }
                return Rule::Literal(json.clone());
            };
            let args = match &m.value.kind {
                JsonKind::Array(items) => items.iter().map(|i| read(i, depth + 1, diags)).collect(),
                _ => vec![read(&m.value, depth + 1, diags)],
            };
            check_arity(op, &args, m.key_span, diags);
            Rule::Op {
                op,
                args,
                op_span: m.key_span,
                span: json.span,
            }
        }
        _ => Rule::Literal(json.clone()),
    }
}

/// Arity problems the reference would not report but that can only be mistakes: an iterator
/// without a body, `var` with too many arguments, `substr` without a source.
fn check_arity(op: Op, args: &[Rule], span: Span, diags: &mut Diagnostics<'_>) {
    let n = args.len();
    let problem = match op {
        _ if op.iterates() && n < 2 => Some(format!(
            "`{}` needs an array and a rule to apply to each element",
            op.name()
        )),
        Op::Var if n > 2 => Some("`var` takes a path and an optional default".to_string()),
        Op::Substr if n == 0 => Some("`substr` needs a string".to_string()),
        Op::MissingSome if n != 2 => {
            Some("`missing_some` takes a count and a list of paths".to_string())
        }
        _ => None,
    };
    if let Some(p) = problem {
        diags.error(span, p);
    }
}

/// The roots of a permission condition's data.
const ROOTS: &[&str] = &["subject", "resource", "context"];

/// Lints for a permission condition. `in_iterator` is false at the top level.
pub fn lint_rule(rule: &Rule, diags: &mut Diagnostics<'_>) {
    lint(rule, None, diags);
}

/// `iterator`: the innermost iterating operation whose body we are in, with its array argument.
fn lint(rule: &Rule, iterator: Option<(Op, &Rule)>, diags: &mut Diagnostics<'_>) {
    match rule {
        Rule::Literal(_) => {}
        Rule::Array(items, _) => items.iter().for_each(|i| lint(i, iterator, diags)),
        Rule::Op { op, args, .. } => {
            if *op == Op::Var {
                if let (Some((it, array)), Some(path)) =
                    (iterator, args.first().and_then(Rule::as_str))
                {
                    let root = path.split('.').next().unwrap_or("");
                    if ROOTS.contains(&root) {
                        iterator_trap(rule, it, array, path, diags);
                    }
                }
            }
            if op.compares() {
                compare_lints(*op, args, rule.span(), diags);
            }
            for (i, a) in args.iter().enumerate() {
                // The body of an iterator (its second argument) reads the element, not the root.
                let inner = if op.iterates() && i == 1 {
                    args.first().map(|array| (*op, array))
                } else {
                    iterator
                };
                lint(a, inner, diags);
            }
        }
    }
}

fn iterator_trap(var: &Rule, it: Op, array: &Rule, path: &str, diags: &mut Diagnostics<'_>) {
    let data = if it == Op::Reduce {
        "`{\"current\", \"accumulator\"}`"
    } else {
        "the current element"
    };
    let array_text = render(array);
    let help = if it == Op::Reduce {
        format!("pass `{path}` in through the initial accumulator (the third argument of `reduce`)")
    } else {
        format!(
            "carry `{path}` in through reduce's accumulator, for example \
             {{\"in\": [\"__match__\", {{\"reduce\": [{array_text}, {{\"if\": [{{\"in\": [{{\"var\": \"current\"}}, {{\"var\": \"accumulator\"}}]}}, [\"__match__\"], {{\"var\": \"accumulator\"}}]}}, {{\"var\": \"{path}\"}}]}}]}}, \
             or test a single value: {{\"in\": [<one value>, {{\"var\": \"{path}\"}}]}}"
        )
    };
    diags.warning(
        var.span(),
        format!(
            "`{{\"var\": \"{path}\"}}` inside `{}` reads {data}, not the request: it is always null here",
            it.name()
        ),
        Some(help),
    );
}

fn render(rule: &Rule) -> String {
    match rule {
        Rule::Literal(j) => j.to_value().to_string(),
        Rule::Array(items, _) => {
            let inner: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", inner.join(", "))
        }
        Rule::Op { op, args, .. } => {
            let inner: Vec<String> = args.iter().map(render).collect();
            match inner.as_slice() {
                [one] => format!("{{\"{}\": {one}}}", op.name()),
                _ => format!("{{\"{}\": [{}]}}", op.name(), inner.join(", ")),
            }
        }
    }
}

fn compare_lints(op: Op, args: &[Rule], span: Span, diags: &mut Diagnostics<'_>) {
    let literal_kind = |r: &Rule| match r {
        Rule::Literal(j) => match j.kind {
            JsonKind::String(_) => Some("string"),
            JsonKind::Number(_) => Some("number"),
            _ => None,
        },
        _ => None,
    };
    let kinds: Vec<Option<&str>> = args.iter().map(literal_kind).collect();
    if kinds.contains(&Some("string")) && kinds.contains(&Some("number")) {
        let outcome = match op {
            Op::StrictEq => "is always false",
            Op::StrictNe => "is always true",
            _ => "converts the string to a number first",
        };
        diags.warning(
            span,
            format!(
                "`{}` compares a string literal with a number literal: it {outcome}",
                op.name()
            ),
            Some("write both as numbers or both as strings".to_string()),
        );
    }
    if matches!(op, Op::Eq | Op::Ne | Op::StrictEq | Op::StrictNe)
        && args.iter().any(|a| matches!(a, Rule::Array(..)))
    {
        // JavaScript compares arrays by identity, and a list literal is a new array.
        let outcome = match op {
            Op::StrictEq => ": it is always false",
            Op::StrictNe => ": it is always true",
            _ => "",
        };
        diags.warning(
            span,
            format!(
                "`{}` against a list literal compares with the whole list, not its elements{outcome}",
                op.name()
            ),
            Some("to test membership, write {\"in\": [<value>, [<list>]]}".to_string()),
        );
    }
}
