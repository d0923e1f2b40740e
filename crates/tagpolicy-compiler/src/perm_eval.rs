//! The run-time evaluator of permission sets and JSON Logic expressions.
//!
//! It executes the IR of [`crate::perm_ir`] with the value semantics of
//! [`tagpolicy_runtime::jsonlogic`] (those of json-logic-js). Request data is read where it
//! lies: `subject.tags.departments` is the request's own slice of strings, `resource.meta.x` its
//! own value. Values a condition computes (`cat`, `merge`, array literals…) go to scratch space on
//! the stack, and only conditions that can compute values get any; evaluation never allocates. A
//! condition that fails at run time (scratch space exhausted, a whole entity requested as one
//! object) is false.

use tagpolicy_runtime::access::{
    AccessDecision, AccessRequest, GrantingRoles, PermissionRead, Permissions,
};
use tagpolicy_runtime::jsonlogic::{self as jl, Val};
use tagpolicy_runtime::logic_ops;
use tagpolicy_runtime::scratch::{Scratch, CONDITION_BYTES, CONDITION_MEMBERS, CONDITION_VALS};

use crate::logic::Op;
use crate::perm_ir::{Const, Expr, PatternTest, PermissionSetIr, ScratchBudget, STACK_ARGS};

/// A permission set loaded at run time, ready to decide.
#[derive(Clone, Debug)]
pub struct RuntimePermissions {
    ir: PermissionSetIr,
    /// Per permission: the scratch space its condition gets.
    scratch: Vec<ScratchBudget>,
    /// Per permission: the subject tag groups its condition reads (`None`: any).
    tag_groups: Vec<Option<Vec<String>>>,
    /// Per permission: the roles that list it, by index, in role order.
    granting: Vec<Vec<usize>>,
    /// Per permission: how its `resource_pattern` is tested (`None`: no pattern).
    patterns: Vec<Option<PatternTest>>,
}

impl RuntimePermissions {
    /// Prepares a lowered permission set.
    pub fn new(ir: PermissionSetIr) -> Self {
        let scratch = ir
            .permissions
            .iter()
            .map(|p| {
                p.logic
                    .as_ref()
                    .map(Expr::scratch_budget)
                    .unwrap_or_default()
            })
            .collect();
        let tag_groups = ir
            .permissions
            .iter()
            .map(|p| {
                p.logic
                    .as_ref()
                    .map_or(Some(Vec::new()), Expr::subject_tag_groups)
            })
            .collect();
        let granting = (0..ir.permissions.len())
            .map(|i| {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                (0..ir.roles.len())
                    .filter(|&r| ir.roles[r].permissions.contains(&i))
                    .collect()
            })
            .collect();
        let patterns = ir
            .permissions
            .iter()
            .map(|p| p.resource_pattern.as_deref().map(PatternTest::of))
            .collect();
        RuntimePermissions {
            ir,
            scratch,
            tag_groups,
            granting,
            patterns,
        }
    }

    fn budget(&self, i: usize) -> ScratchBudget {
        self.scratch.get(i).copied().unwrap_or(ScratchBudget {
            vals: CONDITION_VALS,
            bytes: CONDITION_BYTES,
            members: CONDITION_MEMBERS,
        })
    }

    /// The IR.
    pub fn ir(&self) -> &PermissionSetIr {
        &self.ir
    }

    /// Whether permission `i`'s condition (if any) holds for a request whose granted tag values
    /// are already in the subject (see `AccessRequest::with_granted_tags`).
    pub fn condition_of(&self, i: usize, req: &AccessRequest<'_>) -> bool {
        match self.ir.permissions.get(i).and_then(|p| p.logic.as_ref()) {
            None => true,
            Some(logic) => condition_holds(logic, req, self.budget(i)),
        }
    }
}

impl Permissions for RuntimePermissions {
    fn decide<'s>(&'s self, req: &AccessRequest<'_>) -> AccessDecision<'s> {
        req.with_granted_tags(|req| self.decide_merged(req))
    }

    fn permission_reads(&self, key: &str, f: &mut dyn FnMut(PermissionRead<'_>)) {
        let Some(i) = self.ir.permissions.iter().position(|p| p.key == key) else {
            return;
        };
        for r in &self.ir.roles {
            if r.permissions.contains(&(i as u32)) {
                f(PermissionRead::Role(&r.name));
            }
        }
        match self.tag_groups.get(i) {
            Some(Some(groups)) => groups.iter().for_each(|g| f(PermissionRead::TagGroup(g))),
            _ => f(PermissionRead::AnyTagGroup),
        }
    }
}

impl RuntimePermissions {
    /// Decides a request whose granted tag values are already in the subject.
    fn decide_merged<'s>(&'s self, req: &AccessRequest<'_>) -> AccessDecision<'s> {
        for (i, p) in self.ir.permissions.iter().enumerate() {
            if p.action != req.action || p.resource_type != req.resource.kind {
                continue;
            }
            match self.patterns.get(i) {
                Some(None) => {}
                Some(Some(test)) if test.matches(req.resource.id) => {}
                _ => continue,
            }
            // Roles first (cheap), then the condition; the roles are named only for an allow.
            let granting = self.granting.get(i).map_or(&[][..], Vec::as_slice);
            let roles_of = || granting.iter().filter_map(|&r| self.ir.roles.get(r));
            if !roles_of().any(|r| req.subject_has_role(&r.name)) {
                continue;
            }
            if let Some(logic) = &p.logic {
                if !condition_holds(logic, req, self.budget(i)) {
                    continue;
                }
            }
            let mut roles = GrantingRoles::EMPTY;
            for r in roles_of() {
                if req.subject_has_role(&r.name) {
                    roles.push(&r.name);
                }
            }
            return AccessDecision::Allow {
                permission: &p.key,
                roles,
            };
        }
        AccessDecision::Deny
    }
}

/// Whether a condition is truthy for a request (false if it fails), with `budget` scratch space
/// (the condition's [`Expr::scratch_budget`]; less makes it fail earlier).
pub fn condition_holds(logic: &Expr, req: &AccessRequest<'_>, budget: ScratchBudget) -> bool {
    if budget.is_zero() {
        return eval(logic, Data::Request(req), &mut Scratch::none()).is_some_and(jl::truthy);
    }
    if budget.vals <= SMALL_VALS && budget.bytes <= SMALL_BYTES && budget.members <= SMALL_MEMBERS {
        let mut vals = [Val::Null; SMALL_VALS];
        let mut bytes = [0u8; SMALL_BYTES];
        let mut members = [("", Val::Null); SMALL_MEMBERS];
        return with_budget(logic, req, budget, &mut vals, &mut bytes, &mut members);
    }
    let mut vals = [Val::Null; CONDITION_VALS];
    let mut bytes = [0u8; CONDITION_BYTES];
    let mut members = [("", Val::Null); CONDITION_MEMBERS];
    with_budget(logic, req, budget, &mut vals, &mut bytes, &mut members)
}

/// Scratch space on the stack for conditions that need little (most that need any).
const SMALL_VALS: usize = 16;
/// See [`SMALL_VALS`].
const SMALL_BYTES: usize = 256;
/// See [`SMALL_VALS`].
const SMALL_MEMBERS: usize = 4;

fn with_budget<'s>(
    logic: &'s Expr,
    req: &'s AccessRequest<'s>,
    budget: ScratchBudget,
    vals: &'s mut [Val<'s>],
    bytes: &'s mut [u8],
    members: &'s mut [(&'s str, Val<'s>)],
) -> bool {
    let vals = cut(vals, budget.vals);
    let bytes = cut(bytes, budget.bytes);
    let members = cut(members, budget.members);
    let mut scratch = Scratch::new(vals, bytes).with_members(members);
    eval(logic, Data::Request(req), &mut scratch).is_some_and(jl::truthy)
}

/// The first `n` elements (all when there are fewer).
fn cut<T>(buf: &mut [T], n: usize) -> &mut [T] {
    let len = buf.len().min(n);
    buf.get_mut(..len).unwrap_or_default()
}

/// What `var` reads (the runtime's scope: request, value, or reduce's pair).
pub use tagpolicy_runtime::logic_ops::Scope as Data;

/// Evaluates an expression; `None` when evaluation fails (which makes a condition false).
pub fn eval<'s>(e: &'s Expr, data: Data<'s>, scratch: &mut Scratch<'s>) -> Option<Val<'s>> {
    match e {
        Expr::Const(c) => Some(match c {
            Const::Null => Val::Null,
            Const::Bool(b) => Val::Bool(*b),
            Const::Num(n) => Val::Num(*n),
            Const::Str(s) => Val::Str(s),
        }),
        // A literal object is data, not logic: it evaluates to itself.
        Expr::Object(members) => {
            if members.is_empty() {
                return Some(Val::Obj(&[]));
            }
            let dst = scratch.alloc_members(members.len())?;
            for (slot, (k, e)) in dst.iter_mut().zip(members) {
                *slot = (k.as_str(), eval(e, data, scratch)?);
            }
            Some(Val::Obj(dst))
        }
        Expr::Array(items) => {
            let dst = scratch.alloc(items.len())?;
            for (slot, item) in dst.iter_mut().zip(items) {
                *slot = eval(item, data, scratch)?;
            }
            Some(Val::Arr(dst))
        }
        Expr::Var {
            path,
            default,
            request,
        } => {
            let found = match data {
                // The field resolved when lowered, then the segments below it.
                Data::Request(req) => {
                    logic_ops::read_field(req, request.field(path))?.and_then(|v| {
                        logic_ops::walk(v, request.rest(path).iter().map(String::as_str))
                    })
                }
                _ => logic_ops::lookup(data, path.iter().map(String::as_str))?,
            };
            match found {
                Some(v) => Some(v),
                None => match default {
                    Some(d) => eval(d, data, scratch),
                    None => Some(Val::Null),
                },
            }
        }
        Expr::VarComputed { path, default } => {
            let p = eval(path, data, scratch)?;
            let text = logic_ops::path_text(p, scratch)?;
            match logic_ops::lookup(data, logic_ops::segments(text))? {
                Some(v) => Some(v),
                None => match default {
                    Some(d) => eval(d, data, scratch),
                    None => Some(Val::Null),
                },
            }
        }
        Expr::Apply { op, args } => apply(*op, args, data, scratch),
    }
}

/// The number of elements of a value, if it is an array.
fn elements(v: Val<'_>) -> Option<usize> {
    v.is_array().then(|| v.len().unwrap_or(0))
}

fn arg<'s>(
    args: &'s [Expr],
    i: usize,
    data: Data<'s>,
    scratch: &mut Scratch<'s>,
) -> Option<Val<'s>> {
    match args.get(i) {
        Some(a) => eval(a, data, scratch),
        // A missing argument is `undefined` in the reference; null is the closest value.
        None => Some(Val::Null),
    }
}

fn apply<'s>(
    op: Op,
    args: &'s [Expr],
    data: Data<'s>,
    scratch: &mut Scratch<'s>,
) -> Option<Val<'s>> {
    let a = |i: usize, scratch: &mut Scratch<'s>| arg(args, i, data, scratch);
    if let Some(p) = crate::perm_ir::plain_op(op) {
        // Every other operator evaluates all its arguments first, then applies.
        let mut stack = [Val::Null; STACK_ARGS];
        let values: &mut [Val<'s>] = match stack.get_mut(..args.len()) {
            Some(v) => v,
            None => scratch.alloc(args.len())?,
        };
        for (slot, e) in values.iter_mut().zip(args) {
            *slot = eval(e, data, scratch)?;
        }
        return logic_ops::apply(p, values, scratch);
    }
    Some(match op {
        Op::If => {
            let mut i = 0;
            while i + 1 < args.len() {
                if jl::truthy(a(i, scratch)?) {
                    return a(i + 1, scratch);
                }
                i += 2;
            }
            if args.len() == i + 1 {
                return a(i, scratch);
            }
            Val::Null
        }
        Op::And | Op::Or => {
            let mut current = Val::Null;
            for i in 0..args.len() {
                current = a(i, scratch)?;
                if jl::truthy(current) == (op == Op::Or) {
                    return Some(current);
                }
            }
            current
        }
        Op::Missing | Op::MissingSome => return missing(op, args, data, scratch),
        Op::Map | Op::Filter | Op::Reduce | Op::All | Op::None | Op::Some => {
            return iterate(op, args, data, scratch)
        }
        // `var` is lowered to Expr::Var; the rest are plain operators.
        _ => return None,
    })
}

fn missing<'s>(
    op: Op,
    args: &'s [Expr],
    data: Data<'s>,
    scratch: &mut Scratch<'s>,
) -> Option<Val<'s>> {
    let (need, keys) = if op == Op::MissingSome {
        (
            Some(jl::to_number(arg(args, 0, data, scratch)?)),
            arg(args, 1, data, scratch)?,
        )
    } else {
        // One array argument is the list of keys; otherwise the arguments are.
        let values = scratch.alloc(args.len())?;
        for (slot, a) in values.iter_mut().zip(args) {
            *slot = eval(a, data, scratch)?;
        }
        // json-logic-js: `Array.isArray(arguments[0]) ? arguments[0] : arguments`.
        match values.first() {
            Some(first) if first.is_array() => (None, *first),
            _ => (None, Val::Arr(values)),
        }
    };
    let lookup = |key: &str, _: &mut Scratch<'s>| {
        logic_ops::lookup(data, logic_ops::segments(key)).map(|v| v.unwrap_or(Val::Null))
    };
    logic_ops::missing(keys, need, lookup, scratch)
}

fn iterate<'s>(
    op: Op,
    args: &'s [Expr],
    data: Data<'s>,
    scratch: &mut Scratch<'s>,
) -> Option<Val<'s>> {
    let array = arg(args, 0, data, scratch)?;
    let body = args.get(1);
    let run = |element: Data<'s>, scratch: &mut Scratch<'s>| match body {
        Some(b) => eval(b, element, scratch),
        None => Some(Val::Null),
    };
    let Some(n) = elements(array) else {
        return match op {
            Op::Map | Op::Filter => Some(Val::Arr(&[])),
            Op::Reduce => arg(args, 2, data, scratch),
            Op::All => match array {
                // `!scopedData.length` on a string iterates its characters in the reference;
                // only arrays are supported here.
                Val::Null => None,
                _ => Some(Val::Bool(false)),
            },
            // The reference filters a non-array to []: `some` is false, `none` true.
            _ => Some(Val::Bool(op == Op::None)),
        };
    };
    Some(match op {
        Op::Map => {
            let dst = scratch.alloc(n)?;
            for (i, slot) in dst.iter_mut().enumerate() {
                *slot = run(Data::Value(array.index(i)?), scratch)?;
            }
            Val::Arr(dst)
        }
        Op::Filter => {
            let dst = scratch.alloc(n)?;
            let mut k = 0;
            for i in 0..n {
                let e = array.index(i)?;
                if jl::truthy(run(Data::Value(e), scratch)?) {
                    *dst.get_mut(k)? = e;
                    k += 1;
                }
            }
            Val::Arr(dst.get(..k)?)
        }
        Op::Reduce => {
            let mut acc = arg(args, 2, data, scratch)?;
            for i in 0..n {
                let current = array.index(i)?;
                acc = run(
                    Data::Reduce {
                        current,
                        accumulator: acc,
                    },
                    scratch,
                )?;
            }
            acc
        }
        Op::All => {
            if n == 0 {
                return Some(Val::Bool(false));
            }
            for i in 0..n {
                if !jl::truthy(run(Data::Value(array.index(i)?), scratch)?) {
                    return Some(Val::Bool(false));
                }
            }
            Val::Bool(true)
        }
        Op::Some | Op::None => {
            let mut any = false;
            for i in 0..n {
                if jl::truthy(run(Data::Value(array.index(i)?), scratch)?) {
                    any = true;
                    break;
                }
            }
            Val::Bool(any == (op == Op::Some))
        }
        _ => return None,
    })
}
