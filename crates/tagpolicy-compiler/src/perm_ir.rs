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

impl Expr {
    /// Whether evaluating it may need scratch space (a computed string or array).
    pub fn needs_scratch(&self) -> bool {
        match self {
            Expr::Const(_) => false,
            Expr::Object(_) | Expr::Array(_) => true,
            Expr::Var { path, default } => {
                // A whole entity (or the whole data) is assembled on demand.
                path.len() < 2 || default.as_deref().is_some_and(Expr::needs_scratch)
            }
            Expr::VarComputed { .. } => true,
            Expr::Apply { op, args } => {
                matches!(
                    op,
                    Op::Cat
                        | Op::Substr
                        | Op::Merge
                        | Op::Map
                        | Op::Filter
                        | Op::Missing
                        | Op::MissingSome
                ) || args.iter().any(Expr::needs_scratch)
            }
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
                None => Expr::Var {
                    path: Vec::new(),
                    default,
                },
                Some(Rule::Literal(j)) => match path_text(j) {
                    Some(p) => Expr::Var {
                        path: split_path(&p),
                        default,
                    },
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
        Rule::Op { op, args, .. } => Expr::Apply {
            op: *op,
            args: args.iter().map(lower_rule).collect(),
        },
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
