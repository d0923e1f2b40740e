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
    AccessDecision, AccessRequest, Entity, GrantingRoles, Permissions,
};
use tagpolicy_runtime::glob;
use tagpolicy_runtime::jsonlogic::{self as jl, Val};
use tagpolicy_runtime::scratch::Scratch;

use crate::logic::Op;
use crate::perm_ir::{Const, Expr, PermissionSetIr};

/// Values of scratch space for a condition that computes values.
pub const SCRATCH_VALS: usize = 256;
/// Bytes of scratch space for a condition that computes strings.
pub const SCRATCH_BYTES: usize = 4096;
/// Object members of scratch space (literal objects in a rule).
pub const SCRATCH_MEMBERS: usize = 32;

/// A permission set loaded at run time, ready to decide.
#[derive(Clone, Debug)]
pub struct RuntimePermissions {
    ir: PermissionSetIr,
    scratch: Vec<bool>,
}

impl RuntimePermissions {
    /// Prepares a lowered permission set.
    pub fn new(ir: PermissionSetIr) -> Self {
        let scratch = ir
            .permissions
            .iter()
            .map(|p| p.logic.as_ref().is_some_and(Expr::needs_scratch))
            .collect();
        RuntimePermissions { ir, scratch }
    }

    /// The IR.
    pub fn ir(&self) -> &PermissionSetIr {
        &self.ir
    }
}

impl Permissions for RuntimePermissions {
    fn decide<'s>(&'s self, req: &AccessRequest<'_>) -> AccessDecision<'s> {
        for (i, p) in self.ir.permissions.iter().enumerate() {
            if p.action != req.action || p.resource_type != req.resource.kind {
                continue;
            }
            if let Some(pattern) = &p.resource_pattern {
                if !glob::matches(pattern, req.resource.id) {
                    continue;
                }
            }
            let mut roles = GrantingRoles::EMPTY;
            for r in &self.ir.roles {
                if r.permissions.contains(&(i as u32))
                    && req.subject.roles.contains(&r.name.as_str())
                {
                    roles.push(&r.name);
                }
            }
            if roles.names().is_empty() && roles.more() == 0 {
                continue;
            }
            if let Some(logic) = &p.logic {
                let needs = self.scratch.get(i).copied().unwrap_or(true);
                if !condition_holds(logic, req, needs) {
                    continue;
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

/// Whether a condition is truthy for a request (false if it fails).
pub fn condition_holds(logic: &Expr, req: &AccessRequest<'_>, needs_scratch: bool) -> bool {
    if needs_scratch {
        let mut vals = [Val::Null; SCRATCH_VALS];
        let mut bytes = [0u8; SCRATCH_BYTES];
        let mut members = [("", Val::Null); SCRATCH_MEMBERS];
        let mut scratch = Scratch::new(&mut vals, &mut bytes).with_members(&mut members);
        eval(logic, Data::Request(req), &mut scratch).is_some_and(jl::truthy)
    } else {
        eval(logic, Data::Request(req), &mut Scratch::none()).is_some_and(jl::truthy)
    }
}

/// What `var` reads.
#[derive(Clone, Copy, Debug)]
pub enum Data<'s> {
    /// A permission request: `subject`, `resource`, `context`.
    Request(&'s AccessRequest<'s>),
    /// Any value: a JSON Logic test's data, or the element inside an iterator.
    Value(Val<'s>),
    /// Inside `reduce`: `current` and `accumulator`.
    Reduce {
        /// The element.
        current: Val<'s>,
        /// The value so far.
        accumulator: Val<'s>,
    },
}

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
        Expr::Var { path, default } => match lookup(data, path.iter().map(String::as_str))? {
            Some(v) => Some(v),
            None => match default {
                Some(d) => eval(d, data, scratch),
                None => Some(Val::Null),
            },
        },
        Expr::VarComputed { path, default } => {
            let p = eval(path, data, scratch)?;
            let text = match p {
                Val::Null => "",
                Val::Str(s) => s,
                other => scratch.string(|w| jl::write_string(other, w))?,
            };
            let segments = text.split('.').filter(|_| !text.is_empty());
            match lookup(data, segments)? {
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

/// Reads a path; `Some(None)` when not found, `None` when it cannot be read here.
fn lookup<'s, 'p>(
    data: Data<'s>,
    mut path: impl Iterator<Item = &'p str>,
) -> Option<Option<Val<'s>>> {
    let Some(first) = path.next() else {
        return match data {
            Data::Value(v) => Some(Some(v)),
            // The whole request, or `{current, accumulator}`, as one object: not supported.
            _ => None,
        };
    };
    let start = match data {
        Data::Value(v) => v.get(first),
        Data::Reduce {
            current,
            accumulator,
        } => match first {
            "current" => Some(current),
            "accumulator" => Some(accumulator),
            _ => None,
        },
        Data::Request(req) => match first {
            "subject" => return entity_lookup(&req.subject, path),
            "resource" => return entity_lookup(&req.resource, path),
            "context" => match path.next() {
                None => Some(Val::Obj(req.context)),
                Some(key) => match req.context(key) {
                    Some(v) => return Some(walk(v, path)),
                    None => return Some(None),
                },
            },
            _ => None,
        },
    };
    Some(start.and_then(|v| walk(v, path)))
}

fn entity_lookup<'s, 'p>(
    entity: &Entity<'s>,
    mut path: impl Iterator<Item = &'p str>,
) -> Option<Option<Val<'s>>> {
    let Some(field) = path.next() else {
        // The whole entity as one object: not supported.
        return None;
    };
    let value = match field {
        "id" => Some(Val::Str(entity.id)),
        "type" => Some(Val::Str(entity.kind)),
        "meta" => match path.next() {
            None => Some(Val::Obj(entity.meta)),
            Some(key) => entity.meta(key),
        },
        "tags" => match path.next() {
            // All tag groups as one object: not supported.
            None => return None,
            Some(group) => entity.tag(group).map(Val::Strs),
        },
        _ => None,
    };
    Some(value.and_then(|v| walk(v, path)))
}

/// Descends into a value as json-logic-js does: a null or missing step is "not found".
fn walk<'s, 'p>(mut v: Val<'s>, path: impl Iterator<Item = &'p str>) -> Option<Val<'s>> {
    for seg in path {
        v = v.get(seg)?;
    }
    Some(v)
}

/// The array elements of a value, if it is an array.
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
    Some(match op {
        Op::Var => return None, // lowered to Expr::Var
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
        Op::Not => Val::Bool(!jl::truthy(a(0, scratch)?)),
        Op::NotNot => Val::Bool(jl::truthy(a(0, scratch)?)),
        Op::Eq => Val::Bool(jl::loose_eq(a(0, scratch)?, a(1, scratch)?)),
        Op::Ne => Val::Bool(!jl::loose_eq(a(0, scratch)?, a(1, scratch)?)),
        Op::StrictEq => Val::Bool(jl::strict_eq(a(0, scratch)?, a(1, scratch)?)),
        Op::StrictNe => Val::Bool(!jl::strict_eq(a(0, scratch)?, a(1, scratch)?)),
        Op::Lt | Op::Le => {
            let cmp = if op == Op::Lt { jl::lt } else { jl::le };
            let (x, y) = (a(0, scratch)?, a(1, scratch)?);
            if args.len() >= 3 {
                let z = a(2, scratch)?;
                Val::Bool(cmp(x, y) && cmp(y, z))
            } else {
                Val::Bool(cmp(x, y))
            }
        }
        Op::Gt => Val::Bool(jl::gt(a(0, scratch)?, a(1, scratch)?)),
        Op::Ge => Val::Bool(jl::ge(a(0, scratch)?, a(1, scratch)?)),
        Op::Max | Op::Min => {
            let mut acc = if op == Op::Max {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            for i in 0..args.len() {
                let n = jl::to_number(a(i, scratch)?);
                if n.is_nan() {
                    acc = f64::NAN;
                } else if !acc.is_nan() {
                    acc = if op == Op::Max {
                        acc.max(n)
                    } else {
                        acc.min(n)
                    };
                }
            }
            Val::Num(acc)
        }
        Op::Add => {
            let mut sum = 0.0;
            for i in 0..args.len() {
                sum += jl::parse_float(a(i, scratch)?);
            }
            Val::Num(sum)
        }
        Op::Mul => {
            // reduce without an initial value: one argument comes back as it is.
            if args.len() == 1 {
                return a(0, scratch);
            }
            let mut product: Option<f64> = None;
            for i in 0..args.len() {
                let n = jl::parse_float(a(i, scratch)?);
                product = Some(product.map_or(n, |p| p * n));
            }
            Val::Num(product?)
        }
        Op::Sub => {
            let x = jl::to_number(a(0, scratch)?);
            if args.len() < 2 {
                Val::Num(-x)
            } else {
                Val::Num(x - jl::to_number(a(1, scratch)?))
            }
        }
        Op::Div => Val::Num(jl::to_number(a(0, scratch)?) / jl::to_number(a(1, scratch)?)),
        Op::Mod => Val::Num(jl::to_number(a(0, scratch)?) % jl::to_number(a(1, scratch)?)),
        Op::In => Val::Bool(jl::contains(a(1, scratch)?, a(0, scratch)?)),
        Op::Cat => {
            let mut parts = [Val::Null; 16];
            let n = args.len();
            let parts = parts.get_mut(..n)?;
            for (i, slot) in parts.iter_mut().enumerate() {
                *slot = a(i, scratch)?;
            }
            let s = scratch.string(|w| {
                for p in parts.iter() {
                    // Array.prototype.join: null becomes "".
                    if *p != Val::Null {
                        jl::write_string(*p, w)?;
                    }
                }
                Ok(())
            })?;
            Val::Str(s)
        }
        Op::Substr => {
            let source = a(0, scratch)?;
            let text = match source {
                Val::Str(s) => s,
                other => scratch.string(|w| jl::write_string(other, w))?,
            };
            let start = jl::to_number(a(1, scratch)?);
            let len = match args.get(2) {
                Some(_) => Some(jl::to_number(a(2, scratch)?)),
                None => None,
            };
            Val::Str(jl::substr(text, start, len))
        }
        Op::Merge => {
            let mut values = [Val::Null; 16];
            let values = values.get_mut(..args.len())?;
            let mut total = 0usize;
            for (i, slot) in values.iter_mut().enumerate() {
                *slot = a(i, scratch)?;
                total += elements(*slot).unwrap_or(1);
            }
            let dst = scratch.alloc(total)?;
            let mut k = 0;
            for v in values.iter() {
                match elements(*v) {
                    Some(n) => {
                        for j in 0..n {
                            *dst.get_mut(k)? = v.index(j)?;
                            k += 1;
                        }
                    }
                    None => {
                        *dst.get_mut(k)? = *v;
                        k += 1;
                    }
                }
            }
            Val::Arr(dst)
        }
        Op::Missing | Op::MissingSome => return missing(op, args, data, scratch),
        Op::Map | Op::Filter | Op::Reduce | Op::All | Op::None | Op::Some => {
            return iterate(op, args, data, scratch)
        }
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
        match args {
            [one] => {
                let v = eval(one, data, scratch)?;
                if v.is_array() {
                    (None, v)
                } else {
                    (None, Val::Arr(scratch.array([v])?))
                }
            }
            _ => {
                let dst = scratch.alloc(args.len())?;
                for (slot, a) in dst.iter_mut().zip(args) {
                    *slot = eval(a, data, scratch)?;
                }
                (None, Val::Arr(dst))
            }
        }
    };
    let n = elements(keys).unwrap_or(0);
    let dst = scratch.alloc(n)?;
    let mut found = 0usize;
    for i in 0..n {
        let key = keys.index(i)?;
        let text = match key {
            Val::Str(s) => s,
            Val::Null => "",
            other => scratch.string(|w| jl::write_string(other, w))?,
        };
        let segments = text.split('.').filter(|_| !text.is_empty());
        let value = lookup(data, segments)?.unwrap_or(Val::Null);
        if value == Val::Null || value == Val::Str("") {
            *dst.get_mut(found)? = key;
            found += 1;
        }
    }
    let missing = dst.get(..found)?;
    match need {
        Some(need) if (n - found) as f64 >= need => Some(Val::Arr(&[])),
        _ => Some(Val::Arr(missing)),
    }
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
