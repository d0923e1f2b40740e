//! JSON Logic operators over evaluated arguments, and reading data paths: what the run-time
//! evaluator and generated code both call, so that the two cannot disagree.
//!
//! The operators here are those json-logic-js applies to already evaluated arguments; `if`,
//! `and`, `or` and the iterators (which evaluate lazily) are control flow in the callers. Every
//! function returns `None` when evaluation fails (scratch space exhausted, a value that cannot be
//! built here); a condition that fails is false.

use crate::access::AccessRequest;
use crate::jsonlogic::{self as jl, Val};
use crate::scratch::Scratch;

/// An operator applied to evaluated arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plain {
    /// `==`.
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
    /// `+` (parseFloat of each).
    Add,
    /// `-` (negation with one argument).
    Sub,
    /// `*` (parseFloat; one argument comes back as it is).
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `in`: substring or strict membership.
    In,
    /// `cat`: join with `""`, null as empty.
    Cat,
    /// `substr`.
    Substr,
    /// `merge`: flatten one level.
    Merge,
}

#[inline(always)]
fn at<'s>(args: &[Val<'s>], i: usize) -> Val<'s> {
    // A missing argument is `undefined` in the reference; null is the closest value.
    args.get(i).copied().unwrap_or(Val::Null)
}

/// Whether an operator may write to scratch space (`cat`, `substr`, `merge`); every other
/// operator is [`apply_pure`].
pub const fn uses_scratch(op: Plain) -> bool {
    matches!(op, Plain::Cat | Plain::Substr | Plain::Merge)
}

/// Applies an operator to its evaluated arguments.
pub fn apply<'s>(op: Plain, args: &[Val<'s>], scratch: &mut Scratch<'s>) -> Option<Val<'s>> {
    if uses_scratch(op) {
        apply_scratch(op, args, scratch)
    } else {
        apply_pure(op, args)
    }
}

/// Applies an operator that never writes to scratch space (see [`uses_scratch`]; `None` for the
/// others, and for `*` without arguments).
///
/// Generated code calls it with a constant operator and its arguments as an array literal: it is
/// inlined and folds to the one JavaScript operation (`in` of a string in a tag group is a slice
/// search), so both paths run the same code for every operator.
#[inline(always)]
pub fn apply_pure<'s>(op: Plain, args: &[Val<'s>]) -> Option<Val<'s>> {
    let a = |i| at(args, i);
    Some(match op {
        Plain::Not => Val::Bool(!jl::truthy(a(0))),
        Plain::NotNot => Val::Bool(jl::truthy(a(0))),
        Plain::Eq => Val::Bool(jl::loose_eq(a(0), a(1))),
        Plain::Ne => Val::Bool(!jl::loose_eq(a(0), a(1))),
        Plain::StrictEq => Val::Bool(jl::strict_eq(a(0), a(1))),
        Plain::StrictNe => Val::Bool(!jl::strict_eq(a(0), a(1))),
        Plain::Lt | Plain::Le => {
            let cmp = if op == Plain::Lt { jl::lt } else { jl::le };
            if args.len() >= 3 {
                Val::Bool(cmp(a(0), a(1)) && cmp(a(1), a(2)))
            } else {
                Val::Bool(cmp(a(0), a(1)))
            }
        }
        Plain::Gt => Val::Bool(jl::gt(a(0), a(1))),
        Plain::Ge => Val::Bool(jl::ge(a(0), a(1))),
        Plain::Max | Plain::Min => {
            let mut acc = if op == Plain::Max {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            for v in args {
                let n = jl::to_number(*v);
                if n.is_nan() {
                    acc = f64::NAN;
                } else if !acc.is_nan() {
                    acc = if op == Plain::Max {
                        acc.max(n)
                    } else {
                        acc.min(n)
                    };
                }
            }
            Val::Num(acc)
        }
        Plain::Add => Val::Num(args.iter().map(|v| jl::parse_float(*v)).sum()),
        Plain::Mul => {
            // reduce without an initial value: one argument comes back as it is, none fails.
            if let [only] = args {
                return Some(*only);
            }
            let mut factors = args.iter().map(|v| jl::parse_float(*v));
            let first = factors.next()?;
            Val::Num(factors.fold(first, |p, n| p * n))
        }
        Plain::Sub => {
            let x = jl::to_number(a(0));
            if args.len() < 2 {
                Val::Num(-x)
            } else {
                Val::Num(x - jl::to_number(a(1)))
            }
        }
        Plain::Div => Val::Num(jl::to_number(a(0)) / jl::to_number(a(1))),
        Plain::Mod => Val::Num(jl::to_number(a(0)) % jl::to_number(a(1))),
        Plain::In => Val::Bool(jl::contains(a(1), a(0))),
        Plain::Cat | Plain::Substr | Plain::Merge => return None,
    })
}

/// Applies `cat`, `substr` or `merge` (`None` for the other operators, or when scratch space runs
/// out).
fn apply_scratch<'s>(op: Plain, args: &[Val<'s>], scratch: &mut Scratch<'s>) -> Option<Val<'s>> {
    let a = |i| at(args, i);
    Some(match op {
        Plain::Cat => Val::Str(scratch.string(|w| {
            for p in args {
                // Array.prototype.join: null becomes "".
                if *p != Val::Null {
                    jl::write_string(*p, w)?;
                }
            }
            Ok(())
        })?),
        Plain::Substr => {
            let text = match a(0) {
                Val::Str(s) => s,
                other => scratch.string(|w| jl::write_string(other, w))?,
            };
            let len = (args.len() >= 3).then(|| jl::to_number(a(2)));
            Val::Str(jl::substr(text, jl::to_number(a(1)), len))
        }
        Plain::Merge => {
            let total = args
                .iter()
                .map(|v| {
                    if v.is_array() {
                        v.len().unwrap_or(0)
                    } else {
                        1
                    }
                })
                .fold(0usize, usize::saturating_add);
            let dst = scratch.alloc(total)?;
            let mut slots = dst.iter_mut();
            for v in args {
                if v.is_array() {
                    for j in 0..v.len().unwrap_or(0) {
                        *slots.next()? = v.index(j)?;
                    }
                } else {
                    *slots.next()? = *v;
                }
            }
            Val::Arr(dst)
        }
        _ => return None,
    })
}

/// `missing` (`need` is `None`) and `missing_some` (`need` is the count): the keys whose value
/// `lookup` finds null or `""`; for `missing_some`, `[]` when enough keys are present.
pub fn missing<'s>(
    keys: Val<'s>,
    need: Option<f64>,
    mut lookup: impl FnMut(&str, &mut Scratch<'s>) -> Option<Val<'s>>,
    scratch: &mut Scratch<'s>,
) -> Option<Val<'s>> {
    let n = if keys.is_array() {
        keys.len().unwrap_or(0)
    } else {
        0
    };
    let dst = scratch.alloc(n)?;
    let mut found = 0usize;
    for i in 0..n {
        let key = keys.index(i)?;
        let text = match key {
            Val::Str(s) => s,
            Val::Null => "",
            other => scratch.string(|w| jl::write_string(other, w))?,
        };
        let value = lookup(text, scratch)?;
        if value == Val::Null || value == Val::Str("") {
            *dst.get_mut(found)? = key;
            found = found.saturating_add(1);
        }
    }
    let present = n.saturating_sub(found);
    match need {
        Some(need) if present as f64 >= need => Some(Val::Arr(&[])),
        _ => Some(Val::Arr(dst.get(..found)?)),
    }
}

/// Descends into a value as json-logic-js's `var` does: a null or missing step is "not found"
/// (`None`); a null at the end is null.
pub fn walk<'s, 'p>(mut v: Val<'s>, path: impl IntoIterator<Item = &'p str>) -> Option<Val<'s>> {
    for seg in path {
        v = v.get(seg)?;
    }
    Some(v)
}

/// What a `var` reads: the request at the top of a permission condition, any value (a JSON
/// Logic test's data, or the element inside `map`/`filter`/`all`/`none`/`some`), or
/// `{current, accumulator}` inside `reduce`.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'s> {
    /// A permission request: `subject`, `resource`, `context`.
    Request(&'s AccessRequest<'s>),
    /// Any value.
    Value(Val<'s>),
    /// Inside `reduce`.
    Reduce {
        /// The element.
        current: Val<'s>,
        /// The value so far.
        accumulator: Val<'s>,
    },
}

/// Reads a path in a scope: `Some(None)` when not found, `None` when the path names something
/// not built as a value here (a whole request, entity or tag-group object, or
/// `{current, accumulator}` as one object).
pub fn lookup<'s, 'p>(
    scope: Scope<'s>,
    path: impl IntoIterator<Item = &'p str>,
) -> Option<Option<Val<'s>>> {
    let mut path = path.into_iter();
    match scope {
        Scope::Request(req) => lookup_request(req, path),
        Scope::Value(v) => Some(walk(v, path)),
        Scope::Reduce {
            current,
            accumulator,
        } => match ReduceField::of(path.next())? {
            ReduceField::Current => Some(walk(current, path)),
            ReduceField::Accumulator => Some(walk(accumulator, path)),
            ReduceField::NotFound => Some(None),
        },
    }
}

/// The text of a computed `var` path (`String(path)`, null as `""`), to be split at dots.
pub fn path_text<'s>(path: Val<'s>, scratch: &mut Scratch<'s>) -> Option<&'s str> {
    match path {
        Val::Null => Some(""),
        Val::Str(s) => Some(s),
        other => scratch.string(|w| jl::write_string(other, w)),
    }
}

/// The segments of a path text: none for `""`.
pub fn segments(text: &str) -> impl Iterator<Item = &str> {
    text.split('.').filter(move |_| !text.is_empty())
}

/// What the first segment of a path names inside `reduce` (`{current, accumulator}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceField {
    /// `current`: the element.
    Current,
    /// `accumulator`: the value so far.
    Accumulator,
    /// Any other name: not found.
    NotFound,
}

impl ReduceField {
    /// The field a path's first segment names; `None` for the empty path (the pair as one object,
    /// which is not built here: evaluation fails).
    pub fn of(first: Option<&str>) -> Option<ReduceField> {
        Some(match first? {
            "current" => ReduceField::Current,
            "accumulator" => ReduceField::Accumulator,
            _ => ReduceField::NotFound,
        })
    }
}

/// Which entity of a permission request a path starts at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    /// `subject`.
    Subject,
    /// `resource`.
    Resource,
}

/// Where a path over a permission request's data (`{subject, resource, context}`, subjects and
/// resources as `{id, type, meta, tags}`) leads, before the segments that descend into the value
/// found there. Decided once per constant path (by the code generator at build time), read by
/// [`read_field`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestField<'p> {
    /// `…id`.
    Id(Who),
    /// `…type`.
    Type(Who),
    /// `…meta.KEY`.
    Meta(Who, &'p str),
    /// `…meta`: all attributes as one object.
    AllMeta(Who),
    /// `…tags.GROUP`: a tag group as an array of strings.
    Tag(Who, &'p str),
    /// `context.KEY`.
    Context(&'p str),
    /// `context`: the whole context as one object.
    AllContext,
    /// A name the data does not have: not found, whatever follows.
    NotFound,
    /// Something not built as a value here (the whole data, a whole entity, all tag groups as
    /// one object): evaluation fails.
    Unbuilt,
}

/// Takes the segments of `path` that name a [`RequestField`]; the rest descend into its value.
pub fn request_field<'p>(path: &mut impl Iterator<Item = &'p str>) -> RequestField<'p> {
    let who = match path.next() {
        None => return RequestField::Unbuilt,
        Some("subject") => Who::Subject,
        Some("resource") => Who::Resource,
        Some("context") => {
            return match path.next() {
                None => RequestField::AllContext,
                Some(key) => RequestField::Context(key),
            }
        }
        Some(_) => return RequestField::NotFound,
    };
    match path.next() {
        None => RequestField::Unbuilt,
        Some("id") => RequestField::Id(who),
        Some("type") => RequestField::Type(who),
        Some("meta") => match path.next() {
            None => RequestField::AllMeta(who),
            Some(key) => RequestField::Meta(who, key),
        },
        // All tag groups as one object are not built here; one missing group is not found.
        Some("tags") => match path.next() {
            None => RequestField::Unbuilt,
            Some(group) => RequestField::Tag(who, group),
        },
        Some(_) => RequestField::NotFound,
    }
}

/// Reads a [`RequestField`] of a request: `Some(None)` when not found, `None` when it is not
/// built as a value here.
#[inline(always)]
pub fn read_field<'s>(req: &AccessRequest<'s>, field: RequestField<'_>) -> Option<Option<Val<'s>>> {
    let entity = |who: Who| match who {
        Who::Subject => &req.subject,
        Who::Resource => &req.resource,
    };
    Some(match field {
        RequestField::Id(who) => Some(Val::Str(entity(who).id)),
        RequestField::Type(who) => Some(Val::Str(entity(who).kind)),
        RequestField::Meta(who, key) => entity(who).meta(key),
        RequestField::AllMeta(who) => Some(Val::Obj(entity(who).meta)),
        RequestField::Tag(who, group) => entity(who).tag(group).map(Val::Strs),
        RequestField::Context(key) => req.context(key),
        RequestField::AllContext => Some(Val::Obj(req.context)),
        RequestField::NotFound => None,
        RequestField::Unbuilt => return None,
    })
}

/// Reads a path of a permission request's data (`{subject, resource, context}`, subjects and
/// resources as `{id, type, meta, tags}`): `Some(None)` when not found, `None` when the path
/// names a whole entity or all tag groups, which are not built as values here.
pub fn lookup_request<'s, 'p>(
    req: &AccessRequest<'s>,
    path: impl IntoIterator<Item = &'p str>,
) -> Option<Option<Val<'s>>> {
    let mut path = path.into_iter();
    let field = request_field(&mut path);
    Some(read_field(req, field)?.and_then(|v| walk(v, path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Entity;

    #[test]
    fn operators_follow_json_logic_js() {
        let mut s = Scratch::none();
        let num = |v: Option<Val<'_>>| match v {
            Some(Val::Num(n)) => n,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            num(apply(Plain::Add, &[Val::Str("1.5"), Val::Num(2.0)], &mut s)),
            3.5
        );
        assert_eq!(
            apply(Plain::Mul, &[Val::Str("2")], &mut s),
            Some(Val::Str("2"))
        );
        assert_eq!(apply(Plain::Mul, &[], &mut s), None);
        assert_eq!(num(apply(Plain::Sub, &[Val::Num(3.0)], &mut s)), -3.0);
        assert_eq!(
            apply(
                Plain::Lt,
                &[Val::Num(1.0), Val::Num(2.0), Val::Num(3.0)],
                &mut s
            ),
            Some(Val::Bool(true))
        );
        assert_eq!(
            apply(Plain::In, &[Val::Str("b"), Val::Strs(&["a", "b"])], &mut s),
            Some(Val::Bool(true))
        );
        let mut vals = [Val::Null; 4];
        let mut bytes = [0u8; 16];
        let mut s = Scratch::new(&mut vals, &mut bytes);
        assert_eq!(
            apply(
                Plain::Cat,
                &[Val::Str("a"), Val::Null, Val::Num(1.0)],
                &mut s
            ),
            Some(Val::Str("a1"))
        );
        let merged = apply(Plain::Merge, &[Val::Strs(&["x"]), Val::Num(2.0)], &mut s).unwrap();
        assert_eq!(merged, Val::Arr(&[Val::Str("x"), Val::Num(2.0)]));
    }

    #[test]
    fn request_paths() {
        let meta = [("dept", Val::Str("eng"))];
        let tags: [(&str, &[&str]); 1] = [("teams", &["a", "b"])];
        let subject = Entity::new("user", "u1").with_meta(&meta).with_tags(&tags);
        let req = AccessRequest::new(subject, "read", Entity::new("doc", "d1"));
        assert_eq!(
            lookup_request(&req, ["subject", "meta", "dept"]),
            Some(Some(Val::Str("eng")))
        );
        assert_eq!(
            lookup_request(&req, ["subject", "tags", "teams", "1"]),
            Some(Some(Val::Str("b")))
        );
        assert_eq!(
            lookup_request(&req, ["resource", "id"]),
            Some(Some(Val::Str("d1")))
        );
        assert_eq!(
            lookup_request(&req, ["subject", "meta", "nope"]),
            Some(None)
        );
        assert_eq!(lookup_request(&req, ["context", "x"]), Some(None));
        assert_eq!(lookup_request(&req, ["subject"]), None, "whole entity");
        assert_eq!(lookup_request(&req, ["other"]), Some(None));
        assert_eq!(
            lookup_request(&req, ["subject", "tags", "none"]),
            Some(None)
        );
        assert_eq!(
            lookup_request(&req, ["subject", "tags"]),
            None,
            "all tag groups"
        );
    }
}
