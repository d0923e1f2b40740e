//! Code generation for permission sets and JSON Logic rules.
//!
//! A permission set becomes a `decide` function that tests each permission in order with
//! straight-line code (action, resource type, resource pattern, the subject's granting roles) and
//! one function per condition. A condition is its expression tree written out as Rust: constants
//! inline, `var` as a path read ([`tagpolicy_runtime::logic_ops::lookup`]), operators as calls to
//! [`tagpolicy_runtime::logic_ops::apply`], `if`/`and`/`or` and the iterators as Rust control flow
//! in the evaluation order of the run-time evaluator — so both paths compute the same values,
//! fail at the same points and use the same scratch budget.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::logic::Op;
use crate::perm_ir::{Const, Expr, PermissionSetIr};

/// Generates the block expression of type `CompiledPermissions` for a permission set.
pub fn generate_permissions(ir: &PermissionSetIr, runtime_path: &TokenStream) -> TokenStream {
    let mut g = Gen { next: 0 };
    let mut conditions = Vec::new();
    let mut tests = Vec::new();
    for (i, p) in ir.permissions.iter().enumerate() {
        let action = &p.action;
        let kind = &p.resource_type;
        let key = &p.key;
        let pattern = match &p.resource_pattern {
            Some(pat) => quote!(&& __rt::glob::matches(#pat, req.resource.id)),
            None => quote!(),
        };
        let granting: Vec<&str> = ir
            .roles
            .iter()
            .filter(|r| r.permissions.contains(&(i as u32)))
            .map(|r| r.name.as_str())
            .collect();
        if granting.is_empty() {
            continue; // no role grants it: it can never allow
        }
        let holds = match &p.logic {
            None => quote!(true),
            Some(logic) => {
                let c = format_ident!("__c{}", i);
                let h = format_ident!("__holds{}", i);
                let body = g.expr(logic, &quote!(__scope));
                let setup = if logic.needs_scratch() {
                    quote! {
                        let mut vals = [__rt::jsonlogic::Val::Null; __rt::scratch::CONDITION_VALS];
                        let mut bytes = [0u8; __rt::scratch::CONDITION_BYTES];
                        let mut members = [("", __rt::jsonlogic::Val::Null); __rt::scratch::CONDITION_MEMBERS];
                        let mut scratch = __rt::scratch::Scratch::new(&mut vals, &mut bytes).with_members(&mut members);
                    }
                } else {
                    quote!(let mut scratch = __rt::scratch::Scratch::none();)
                };
                conditions.push(quote! {
                    fn #c<'s>(
                        req: &'s __rt::access::AccessRequest<'s>,
                        scratch: &mut __rt::scratch::Scratch<'s>,
                    ) -> Option<__rt::jsonlogic::Val<'s>> {
                        let __scope = __rt::logic_ops::Scope::Request(req);
                        Some(#body)
                    }
                    fn #h(req: &__rt::access::AccessRequest<'_>) -> bool {
                        #setup
                        #c(req, &mut scratch).is_some_and(__rt::jsonlogic::truthy)
                    }
                });
                quote!(#h(req))
            }
        };
        tests.push(quote! {
            if req.action == #action && req.resource.kind == #kind #pattern {
                let mut roles = __rt::access::GrantingRoles::EMPTY;
                #(if req.subject_has_role(#granting) { roles.push(#granting); })*
                if (!roles.names().is_empty() || roles.more() > 0) && #holds {
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
            }
            #runtime_path::access::CompiledPermissions {
                decide: __permissions::decide,
                source: #source,
            }
        }
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
    let body = g.expr(expr, &quote!(__scope));
    let allow = crate::codegen::allow_attr();
    quote! {
        #allow
        fn #name<'s>(
            data: #runtime_path::jsonlogic::Val<'s>,
            scratch: &mut #runtime_path::scratch::Scratch<'s>,
        ) -> Option<#runtime_path::jsonlogic::Val<'s>> {
            use #runtime_path as __rt;
            let __scope = __rt::logic_ops::Scope::Value(data);
            Some(#body)
        }
    }
}

struct Gen {
    next: usize,
}

fn plain(op: Op) -> Option<TokenStream> {
    let name = match op {
        Op::Eq => "Eq",
        Op::StrictEq => "StrictEq",
        Op::Ne => "Ne",
        Op::StrictNe => "StrictNe",
        Op::Not => "Not",
        Op::NotNot => "NotNot",
        Op::Lt => "Lt",
        Op::Le => "Le",
        Op::Gt => "Gt",
        Op::Ge => "Ge",
        Op::Max => "Max",
        Op::Min => "Min",
        Op::Add => "Add",
        Op::Sub => "Sub",
        Op::Mul => "Mul",
        Op::Div => "Div",
        Op::Mod => "Mod",
        Op::In => "In",
        Op::Cat => "Cat",
        Op::Substr => "Substr",
        Op::Merge => "Merge",
        _ => return None,
    };
    let ident = format_ident!("{}", name);
    Some(quote!(__rt::logic_ops::Plain::#ident))
}

/// How many arguments the run-time evaluator keeps on the stack (more go to scratch space).
const STACK_ARGS: usize = 8;

impl Gen {
    fn fresh(&mut self, what: &str) -> proc_macro2::Ident {
        self.next += 1;
        format_ident!("__{}{}", what, self.next)
    }

    /// An expression of type `Val<'s>` (failing with `?`/`return None` as the evaluator fails).
    fn expr(&mut self, e: &Expr, scope: &TokenStream) -> TokenStream {
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
            Expr::Var { path, default } => {
                let default = match default {
                    Some(d) => self.expr(d, scope),
                    None => quote!(__rt::jsonlogic::Val::Null),
                };
                quote! {
                    match __rt::logic_ops::lookup(#scope, [#(#path),*])? {
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
                quote! {{
                    let #t = __rt::logic_ops::path_text(#p, scratch)?;
                    match __rt::logic_ops::lookup(#scope, __rt::logic_ops::segments(#t))? {
                        Some(v) => v,
                        None => #default,
                    }
                }}
            }
            Expr::Apply { op, args } => self.apply(*op, args, scope),
        }
    }

    fn arg(&mut self, args: &[Expr], i: usize, scope: &TokenStream) -> TokenStream {
        match args.get(i) {
            Some(a) => self.expr(a, scope),
            None => quote!(__rt::jsonlogic::Val::Null),
        }
    }

    fn apply(&mut self, op: Op, args: &[Expr], scope: &TokenStream) -> TokenStream {
        if let Some(p) = plain(op) {
            let values: Vec<TokenStream> = args.iter().map(|a| self.expr(a, scope)).collect();
            if args.len() <= STACK_ARGS {
                return quote!(__rt::logic_ops::apply(#p, &[#(#values),*], scratch)?);
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

    fn missing(&mut self, op: Op, args: &[Expr], scope: &TokenStream) -> TokenStream {
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
        quote!({
            let (need, keys) = #keys;
            let lookup = |key: &str, _: &mut __rt::scratch::Scratch<'_>| {
                __rt::logic_ops::lookup(#scope, __rt::logic_ops::segments(key))
                    .map(|v| v.unwrap_or(__rt::jsonlogic::Val::Null))
            };
            __rt::logic_ops::missing(keys, need, lookup, scratch)?
        })
    }

    fn iterate(&mut self, op: Op, args: &[Expr], scope: &TokenStream) -> TokenStream {
        let arr = self.fresh("arr");
        let array = self.arg(args, 0, scope);
        let elem_scope = self.fresh("s");
        let elem = quote!(#elem_scope);
        let i = self.fresh("i");
        let body_in = |g: &mut Gen, s: &TokenStream| match args.get(1) {
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
                                let #elem_scope = __rt::logic_ops::Scope::Value(#arr.index(#i)?);
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
                                let #elem_scope = __rt::logic_ops::Scope::Value(e);
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
                let body = body_in(self, &elem);
                quote!({
                    let #arr = #array;
                    let mut #acc = #initial;
                    if let Some(n) = #elements {
                        for #i in 0..n {
                            let #elem_scope = __rt::logic_ops::Scope::Reduce {
                                current: #arr.index(#i)?,
                                accumulator: #acc,
                            };
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
                        let #elem_scope = __rt::logic_ops::Scope::Value(#arr.index(#i)?);
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
                                let #elem_scope = __rt::logic_ops::Scope::Value(#arr.index(#i)?);
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
