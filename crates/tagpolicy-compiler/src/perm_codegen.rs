//! Code generation for permission sets and JSON Logic rules.
//!
//! A permission set becomes a `decide` function that tests each permission in order with
//! straight-line code (action, resource type, resource pattern, whether the subject holds a
//! granting role, the condition; the granting roles are named only for an allow) and one function
//! per condition. A condition is its expression tree written out as Rust: constants inline, `var`
//! of a constant path as a direct read of the field it names (the path is split and resolved at
//! build time by [`tagpolicy_runtime::logic_ops::request_field`], the read is
//! [`tagpolicy_runtime::logic_ops::read_field`]; inside `reduce`, `current` and `accumulator` are
//! local variables), operators as calls to [`tagpolicy_runtime::logic_ops::apply_pure`] with a
//! constant operator (inlined down to the one operation) or, for those that build values,
//! [`tagpolicy_runtime::logic_ops::apply`]; `if`/`and`/`or` and the iterators as Rust control flow
//! in the evaluation order of the run-time evaluator — so both paths compute the same values, fail
//! at the same points and use the same scratch budget, which is sized from the expression
//! ([`Expr::scratch_budget`]).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use tagpolicy_runtime::logic_ops::{self, ReduceField, RequestField, Who};

use crate::logic::Op;
use crate::perm_ir::{plain_op, Const, Expr, PatternTest, PermissionSetIr, STACK_ARGS};

/// Generates the block expression of type `CompiledPermissions` for a permission set.
pub fn generate_permissions(ir: &PermissionSetIr, runtime_path: &TokenStream) -> TokenStream {
    let mut g = Gen { next: 0 };
    let mut conditions = Vec::new();
    let mut tests = Vec::new();
    let mut reads = Vec::new();
    for (i, p) in ir.permissions.iter().enumerate() {
        let action = &p.action;
        let kind = &p.resource_type;
        let key = &p.key;
        let pattern = match &p.resource_pattern {
            Some(pat) => {
                let test = resource_glob_test(pat);
                quote!(&& #test)
            }
            None => quote!(),
        };
        let granting: Vec<&str> = ir
            .roles
            .iter()
            .filter(|r| r.permissions.contains(&(i as u32)))
            .map(|r| r.name.as_str())
            .collect();
        let groups = match p
            .logic
            .as_ref()
            .map_or(Some(Vec::new()), Expr::subject_tag_groups)
        {
            Some(groups) => quote!(#(f(__rt::access::PermissionRead::TagGroup(#groups));)*),
            None => quote!(f(__rt::access::PermissionRead::AnyTagGroup);),
        };
        reads.push(quote! {
            #key => {
                #(f(__rt::access::PermissionRead::Role(#granting));)*
                #groups
            }
        });
        if granting.is_empty() {
            continue; // no role grants it: it can never allow
        }
        let holds = match &p.logic {
            None => quote!(true),
            Some(logic) => {
                let c = format_ident!("__c{}", i);
                let h = format_ident!("__holds{}", i);
                let body = g.expr(logic, &Scope::Request);
                let budget = logic.scratch_budget();
                let setup = if budget.is_zero() {
                    quote!(let mut scratch = __rt::scratch::Scratch::none();)
                } else {
                    let (v, b, m) = (budget.vals, budget.bytes, budget.members);
                    quote! {
                        let mut vals = [__rt::jsonlogic::Val::Null; #v];
                        let mut bytes = [0u8; #b];
                        let mut members = [("", __rt::jsonlogic::Val::Null); #m];
                        let mut scratch = __rt::scratch::Scratch::new(&mut vals, &mut bytes).with_members(&mut members);
                    }
                };
                conditions.push(quote! {
                    #[inline]
                    fn #c<'s>(
                        req: &'s __rt::access::AccessRequest<'s>,
                        scratch: &mut __rt::scratch::Scratch<'s>,
                    ) -> Option<__rt::jsonlogic::Val<'s>> {
                        Some(#body)
                    }
                    #[inline]
                    fn #h(req: &__rt::access::AccessRequest<'_>) -> bool {
                        #setup
                        #c(req, &mut scratch).is_some_and(__rt::jsonlogic::truthy)
                    }
                });
                quote!(#h(req))
            }
        };
        // Roles first (each looked up once), then the condition; the roles are named only for
        // an allow.
        let held: Vec<proc_macro2::Ident> = (0..granting.len())
            .map(|j| format_ident!("__held{}", j))
            .collect();
        tests.push(quote! {
            if req.action == #action && req.resource.kind == #kind #pattern {
                #(let #held = req.subject_has_role(#granting);)*
                if (#(#held)||*) && #holds {
                    let mut roles = __rt::access::GrantingRoles::EMPTY;
                    #(if #held { roles.push(#granting); })*
                    return __rt::access::AccessDecision::Allow { permission: #key, roles };
                }
            }
        });
    }
    let source = &ir.source;
    let allow = crate::codegen::allow_attr();
    quote! {
        {
            #allow
            mod __permissions {
                use #runtime_path as __rt;
                #(#conditions)*
                pub(super) fn decide(req: &__rt::access::AccessRequest<'_>) -> __rt::access::AccessDecision<'static> {
                    req.with_granted_tags(decide_merged)
                }
                fn decide_merged(req: &__rt::access::AccessRequest<'_>) -> __rt::access::AccessDecision<'static> {
                    #(#tests)*
                    __rt::access::AccessDecision::Deny
                }
                pub(super) fn reads(key: &str, f: &mut dyn FnMut(__rt::access::PermissionRead<'_>)) {
                    match key {
                        #(#reads)*
                        _ => {}
                    }
                }
            }
            #runtime_path::access::CompiledPermissions {
                decide: __permissions::decide,
                reads: __permissions::reads,
                source: #source,
            }
        }
    }
}

/// A match of the resource id against a constant `resource_pattern`, in the form
/// [`PatternTest::of`] decides (the run-time evaluator runs the same [`PatternTest`]).
fn resource_glob_test(pattern: &str) -> TokenStream {
    match PatternTest::of(pattern) {
        PatternTest::Any => quote!(true),
        PatternTest::Exact(text) => quote!((req.resource.id == #text)),
        PatternTest::Stars { pattern, .. } => {
            crate::codegen::star_chain(&quote!(__rt), &pattern, &quote!(req.resource.id))
        }
        PatternTest::Glob(pattern) => quote!(__rt::glob::matches(#pattern, req.resource.id)),
    }
}

/// Generates `fn NAME<'s>(data: Val<'s>, scratch: &mut Scratch<'s>) -> Option<Val<'s>>` applying
/// a JSON Logic rule to any data (for JSON Logic test cases and tooling).
pub fn generate_rule_fn(
    name: &proc_macro2::Ident,
    expr: &Expr,
    runtime_path: &TokenStream,
) -> TokenStream {
    let mut g = Gen { next: 0 };
    let body = g.expr(expr, &Scope::Value(quote!(data)));
    let allow = crate::codegen::allow_attr();
    quote! {
        #allow
        fn #name<'s>(
            data: #runtime_path::jsonlogic::Val<'s>,
            scratch: &mut #runtime_path::scratch::Scratch<'s>,
        ) -> Option<#runtime_path::jsonlogic::Val<'s>> {
            #[allow(unused_imports)]
            use #runtime_path as __rt;
            Some(#body)
        }
    }
}

struct Gen {
    next: usize,
}

/// What a `var` reads where the code is generated, known at build time.
#[derive(Clone)]
enum Scope {
    /// The permission request (`req`).
    Request,
    /// A value (the rule's data, or the element inside `map`/`filter`/`all`/`none`/`some`).
    Value(TokenStream),
    /// Inside `reduce`: the variables holding the element and the accumulator.
    Reduce {
        current: proc_macro2::Ident,
        accumulator: proc_macro2::Ident,
    },
}

impl Scope {
    /// The scope as a run-time `Scope` value (for paths only known at run time).
    fn value(&self) -> TokenStream {
        match self {
            Scope::Request => quote!(__rt::logic_ops::Scope::Request(req)),
            Scope::Value(v) => quote!(__rt::logic_ops::Scope::Value(#v)),
            Scope::Reduce {
                current,
                accumulator,
            } => {
                quote!(__rt::logic_ops::Scope::Reduce { current: #current, accumulator: #accumulator })
            }
        }
    }
}

fn who_tokens(w: Who) -> TokenStream {
    match w {
        Who::Subject => quote!(__rt::logic_ops::Who::Subject),
        Who::Resource => quote!(__rt::logic_ops::Who::Resource),
    }
}

fn field_tokens(f: RequestField<'_>) -> TokenStream {
    let field = quote!(__rt::logic_ops::RequestField);
    match f {
        RequestField::Id(w) => {
            let w = who_tokens(w);
            quote!(#field::Id(#w))
        }
        RequestField::Type(w) => {
            let w = who_tokens(w);
            quote!(#field::Type(#w))
        }
        RequestField::Meta(w, k) => {
            let w = who_tokens(w);
            quote!(#field::Meta(#w, #k))
        }
        RequestField::AllMeta(w) => {
            let w = who_tokens(w);
            quote!(#field::AllMeta(#w))
        }
        RequestField::Tag(w, g) => {
            let w = who_tokens(w);
            quote!(#field::Tag(#w, #g))
        }
        RequestField::Context(k) => quote!(#field::Context(#k)),
        RequestField::AllContext => quote!(#field::AllContext),
        RequestField::NotFound => quote!(#field::NotFound),
        RequestField::Unbuilt => quote!(#field::Unbuilt),
    }
}

/// `.and_then(walk(…, rest))` after an `Option<Val>` expression (nothing for no segments).
fn walk_rest(rest: &[&str]) -> TokenStream {
    if rest.is_empty() {
        quote!()
    } else {
        quote!(.and_then(|v| __rt::logic_ops::walk(v, [#(#rest),*])))
    }
}

impl Gen {
    fn fresh(&mut self, what: &str) -> proc_macro2::Ident {
        self.next += 1;
        format_ident!("__{}{}", what, self.next)
    }

    /// An expression of type `Val<'s>` (failing with `?`/`return None` as the evaluator fails).
    fn expr(&mut self, e: &Expr, scope: &Scope) -> TokenStream {
        match e {
            Expr::Const(c) => match c {
                Const::Null => quote!(__rt::jsonlogic::Val::Null),
                Const::Bool(b) => quote!(__rt::jsonlogic::Val::Bool(#b)),
                Const::Num(n) => {
                    let lit = crate::codegen::f64_lit(*n);
                    quote!(__rt::jsonlogic::Val::Num(#lit))
                }
                Const::Str(s) => quote!(__rt::jsonlogic::Val::Str(#s)),
            },
            Expr::Object(members) => {
                if members.is_empty() {
                    return quote!(__rt::jsonlogic::Val::Obj(&[]));
                }
                let m = self.fresh("m");
                let n = members.len();
                let fills: Vec<TokenStream> = members
                    .iter()
                    .enumerate()
                    .map(|(i, (k, v))| {
                        let v = self.expr(v, scope);
                        quote!(#m[#i] = (#k, #v);)
                    })
                    .collect();
                quote!({ let #m = scratch.alloc_members(#n)?; #(#fills)* __rt::jsonlogic::Val::Obj(#m) })
            }
            Expr::Array(items) => {
                let a = self.fresh("a");
                let n = items.len();
                let fills: Vec<TokenStream> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let v = self.expr(v, scope);
                        quote!(#a[#i] = #v;)
                    })
                    .collect();
                quote!({ let #a = scratch.alloc(#n)?; #(#fills)* __rt::jsonlogic::Val::Arr(#a) })
            }
            Expr::Var {
                path,
                default,
                request,
            } => {
                let default = match default {
                    Some(d) => self.expr(d, scope),
                    None => quote!(__rt::jsonlogic::Val::Null),
                };
                let found = match scope {
                    Scope::Request => {
                        // Resolved when lowered: the field the path names, and the segments
                        // below it.
                        let field = field_tokens(request.field(path));
                        let rest: Vec<&str> =
                            request.rest(path).iter().map(String::as_str).collect();
                        let rest = walk_rest(&rest);
                        quote!(__rt::logic_ops::read_field(req, #field)? #rest)
                    }
                    Scope::Value(v) => {
                        if path.is_empty() {
                            return quote!(#v);
                        }
                        quote!(__rt::logic_ops::walk(#v, [#(#path),*]))
                    }
                    Scope::Reduce {
                        current,
                        accumulator,
                    } => {
                        let rest: Vec<&str> = path.iter().skip(1).map(String::as_str).collect();
                        let rest = walk_rest(&rest);
                        match ReduceField::of(path.first().map(String::as_str)) {
                            Some(ReduceField::Current) => quote!(Some(#current) #rest),
                            Some(ReduceField::Accumulator) => quote!(Some(#accumulator) #rest),
                            Some(ReduceField::NotFound) => return default,
                            // The pair as one object is not built: evaluation fails.
                            None => quote!(__rt::logic_ops::ReduceField::of(None).map(|_| None)?),
                        }
                    }
                };
                quote! {
                    match #found {
                        Some(v) => v,
                        None => #default,
                    }
                }
            }
            Expr::VarComputed { path, default } => {
                let p = self.expr(path, scope);
                let t = self.fresh("t");
                let default = match default {
                    Some(d) => self.expr(d, scope),
                    None => quote!(__rt::jsonlogic::Val::Null),
                };
                let sc = scope.value();
                quote! {{
                    let #t = __rt::logic_ops::path_text(#p, scratch)?;
                    match __rt::logic_ops::lookup(#sc, __rt::logic_ops::segments(#t))? {
                        Some(v) => v,
                        None => #default,
                    }
                }}
            }
            Expr::Apply { op, args } => self.apply(*op, args, scope),
        }
    }

    fn arg(&mut self, args: &[Expr], i: usize, scope: &Scope) -> TokenStream {
        match args.get(i) {
            Some(a) => self.expr(a, scope),
            None => quote!(__rt::jsonlogic::Val::Null),
        }
    }

    fn apply(&mut self, op: Op, args: &[Expr], scope: &Scope) -> TokenStream {
        if let Some(p) = plain_op(op) {
            let values: Vec<TokenStream> = args.iter().map(|a| self.expr(a, scope)).collect();
            let pure = !logic_ops::uses_scratch(p);
            let p = format_ident!("{}", format!("{p:?}"));
            let p = quote!(__rt::logic_ops::Plain::#p);
            if args.len() <= STACK_ARGS {
                // A constant operator over an array literal: inlined down to the one operation.
                return if pure {
                    quote!(__rt::logic_ops::apply_pure(#p, &[#(#values),*])?)
                } else {
                    quote!(__rt::logic_ops::apply(#p, &[#(#values),*], scratch)?)
                };
            }
            let v = self.fresh("v");
            let n = args.len();
            let fills = values.iter().enumerate().map(|(i, x)| quote!(#v[#i] = #x;));
            return quote!({
                let #v = scratch.alloc(#n)?;
                #(#fills)*
                __rt::logic_ops::apply(#p, #v, scratch)?
            });
        }
        match op {
            Op::If => {
                let mut pairs = Vec::new();
                let mut i = 0;
                while i + 1 < args.len() {
                    let c = self.arg(args, i, scope);
                    let v = self.arg(args, i + 1, scope);
                    pairs.push((c, v));
                    i += 2;
                }
                let last = if args.len() == i + 1 {
                    self.arg(args, i, scope)
                } else {
                    quote!(__rt::jsonlogic::Val::Null)
                };
                let mut out = last;
                for (c, v) in pairs.into_iter().rev() {
                    out = quote!(if __rt::jsonlogic::truthy(#c) { #v } else { #out });
                }
                out
            }
            Op::And | Op::Or => {
                if args.is_empty() {
                    return quote!(__rt::jsonlogic::Val::Null);
                }
                let label = syn::Lifetime::new(
                    &format!("'{}", self.fresh("b")),
                    proc_macro2::Span::call_site(),
                );
                let stop_when = op == Op::Or;
                let n = args.len();
                let steps: Vec<TokenStream> = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let v = self.expr(a, scope);
                        if i + 1 == n {
                            quote!(#v)
                        } else {
                            quote! {
                                let __cur = #v;
                                if __rt::jsonlogic::truthy(__cur) == #stop_when { break #label __cur; }
                            }
                        }
                    })
                    .collect();
                quote!(#label: { #(#steps)* })
            }
            Op::Missing | Op::MissingSome => self.missing(op, args, scope),
            Op::Map | Op::Filter | Op::Reduce | Op::All | Op::None | Op::Some => {
                self.iterate(op, args, scope)
            }
            _ => quote!(return None),
        }
    }

    fn missing(&mut self, op: Op, args: &[Expr], scope: &Scope) -> TokenStream {
        let keys = if op == Op::MissingSome {
            let need = self.arg(args, 0, scope);
            let keys = self.arg(args, 1, scope);
            quote!((Some(__rt::jsonlogic::to_number(#need)), #keys))
        } else {
            let v = self.fresh("k");
            let n = args.len();
            let fills: Vec<TokenStream> = args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let x = self.expr(a, scope);
                    quote!(#v[#i] = #x;)
                })
                .collect();
            quote!({
                let #v = scratch.alloc(#n)?;
                #(#fills)*
                match #v.first() {
                    Some(first) if first.is_array() => (None, *first),
                    _ => (None, __rt::jsonlogic::Val::Arr(#v)),
                }
            })
        };
        let sc = scope.value();
        quote!({
            let (need, keys) = #keys;
            let lookup = |key: &str, _: &mut __rt::scratch::Scratch<'_>| {
                __rt::logic_ops::lookup(#sc, __rt::logic_ops::segments(key))
                    .map(|v| v.unwrap_or(__rt::jsonlogic::Val::Null))
            };
            __rt::logic_ops::missing(keys, need, lookup, scratch)?
        })
    }

    fn iterate(&mut self, op: Op, args: &[Expr], scope: &Scope) -> TokenStream {
        let arr = self.fresh("arr");
        let array = self.arg(args, 0, scope);
        let elem_scope = self.fresh("s");
        let elem = Scope::Value(quote!(#elem_scope));
        let i = self.fresh("i");
        let body_in = |g: &mut Gen, s: &Scope| match args.get(1) {
            Some(b) => g.expr(b, s),
            None => quote!(__rt::jsonlogic::Val::Null),
        };
        let elements = quote!((if #arr.is_array() { Some(#arr.len().unwrap_or(0)) } else { None }));
        match op {
            Op::Map => {
                let body = body_in(self, &elem);
                quote!({
                    let #arr = #array;
                    match #elements {
                        None => __rt::jsonlogic::Val::Arr(&[]),
                        Some(n) => {
                            let dst = scratch.alloc(n)?;
                            for #i in 0..n {
                                let #elem_scope = #arr.index(#i)?;
                                dst[#i] = #body;
                            }
                            __rt::jsonlogic::Val::Arr(dst)
                        }
                    }
                })
            }
            Op::Filter => {
                let body = body_in(self, &elem);
                quote!({
                    let #arr = #array;
                    match #elements {
                        None => __rt::jsonlogic::Val::Arr(&[]),
                        Some(n) => {
                            let dst = scratch.alloc(n)?;
                            let mut k = 0usize;
                            for #i in 0..n {
                                let e = #arr.index(#i)?;
                                let #elem_scope = e;
                                if __rt::jsonlogic::truthy(#body) { dst[k] = e; k += 1; }
                            }
                            __rt::jsonlogic::Val::Arr(dst.get(..k)?)
                        }
                    }
                })
            }
            Op::Reduce => {
                let initial = self.arg(args, 2, scope);
                let acc = self.fresh("acc");
                let body = body_in(
                    self,
                    &Scope::Reduce {
                        current: elem_scope.clone(),
                        accumulator: acc.clone(),
                    },
                );
                quote!({
                    let #arr = #array;
                    let mut #acc = #initial;
                    if let Some(n) = #elements {
                        for #i in 0..n {
                            let #elem_scope = #arr.index(#i)?;
                            #acc = #body;
                        }
                    }
                    #acc
                })
            }
            Op::All => {
                let body = body_in(self, &elem);
                let label = syn::Lifetime::new(
                    &format!("'{}", self.fresh("all")),
                    proc_macro2::Span::call_site(),
                );
                quote!(#label: {
                    let #arr = #array;
                    let Some(n) = #elements else {
                        if #arr == __rt::jsonlogic::Val::Null { return None; }
                        break #label __rt::jsonlogic::Val::Bool(false);
                    };
                    if n == 0 { break #label __rt::jsonlogic::Val::Bool(false); }
                    for #i in 0..n {
                        let #elem_scope = #arr.index(#i)?;
                        if !__rt::jsonlogic::truthy(#body) { break #label __rt::jsonlogic::Val::Bool(false); }
                    }
                    __rt::jsonlogic::Val::Bool(true)
                })
            }
            _ => {
                // some / none
                let is_some = op == Op::Some;
                let body = body_in(self, &elem);
                quote!({
                    let #arr = #array;
                    match #elements {
                        None => __rt::jsonlogic::Val::Bool(!#is_some),
                        Some(n) => {
                            let mut any = false;
                            for #i in 0..n {
                                let #elem_scope = #arr.index(#i)?;
                                if __rt::jsonlogic::truthy(#body) { any = true; break; }
                            }
                            __rt::jsonlogic::Val::Bool(any == #is_some)
                        }
                    }
                })
            }
        }
    }
}
