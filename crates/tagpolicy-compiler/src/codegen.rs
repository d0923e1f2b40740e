//! Code generation: the IR as Rust tokens that build a `CompiledPolicy`.
//!
//! The output is one block expression, usable as a `static` initializer:
//!
//! - the key table and the action dispatch are `static` maps (perfect-hash maps from `phf`, or a
//!   short list when there are only a few names: comparing three names is faster than hashing);
//! - every statement is a function of straight-line checks (principal, resource, then each
//!   condition as a direct call into `tagpolicy_runtime::cond` with its constants inlined);
//! - every action bucket is a sequence of calls to those functions in statement order: the first
//!   applicable Deny returns, the first applicable Allow is remembered, exactly as the run-time
//!   evaluator walks the same IR.
//!
//! Sets of more than [`COMPACT_ABOVE`] statements are generated differently: as static data that
//! the runtime walks (see [`crate::table_codegen`]), because thousands of statement functions cost
//! rustc minutes.
//!
//! Output is deterministic (no hash-map iteration, a fixed phf seed), so snapshots only move when
//! behaviour does. Generated code refers to the runtime through one root path
//! ([`CodegenOptions::runtime_path`]).

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, ToTokens};

use tagpolicy_runtime::cond::{Cmp, Mode, Qualifier};
use tagpolicy_runtime::slots::Builtin;
use tagpolicy_runtime::{Effect, TagFamily};

use crate::eval::SLOT_CAPACITY;
use crate::ir::{
    Actions, Condition, Part, Pattern, PolicySet, Principals, Resources, Statement, Test, Var,
};

/// Up to this many names a map is a list compared one by one; above, a perfect-hash map.
pub const SMALL_MAP: usize = 8;

/// Options of code generation.
#[derive(Clone, Debug)]
pub struct CodegenOptions {
    /// The path generated code uses for the runtime crate: `::tagpolicy_runtime` by default,
    /// `::tagpolicy::__private::runtime` through the facade crate.
    pub runtime_path: TokenStream,
}

impl Default for CodegenOptions {
    fn default() -> Self {
        CodegenOptions {
            runtime_path: quote!(::tagpolicy_runtime),
        }
    }
}

/// Generates the block expression of type `CompiledPolicy` for a policy set.
///
/// Sets of more than [`COMPACT_ABOVE`] statements become static data evaluated by the runtime
/// (see [`crate::table_codegen`]); smaller ones straight-line code.
pub fn generate(ir: &PolicySet, opts: &CodegenOptions) -> TokenStream {
    if ir.statements.len() > COMPACT_ABOVE {
        return crate::table_codegen::generate_table(ir, opts);
    }
    let direct = direct_keys(ir);
    let notes = note_keys(ir, &direct);
    Gen {
        ir,
        opts,
        direct,
        notes,
    }
    .policy()
}

/// How many principal tag keys an evaluation notes the grants of (one `u32` each, zeroed per
/// evaluation); later ones are searched for again when a decision names its grants.
const MAX_NOTED_KEYS: usize = 16;

/// For each slot, its note number (see [`tagpolicy_runtime::slots::GrantReads`]) if generated
/// code notes which grant gave its value: the first [`MAX_NOTED_KEYS`] principal tag keys looked
/// up directly.
fn note_keys(ir: &PolicySet, direct: &[bool]) -> Vec<Option<usize>> {
    let mut next = 0usize;
    ir.keys
        .iter()
        .zip(direct)
        .map(|(k, &direct)| {
            let principal = matches!(k.tag, Some((TagFamily::Principal, _)));
            (direct && principal && next < MAX_NOTED_KEYS).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// For each slot, whether generated code looks its key up directly ([`tagpolicy_runtime::slots::lookup`],
/// with the key's name a constant) instead of through the slot table: keys read at exactly one
/// place in the set (one condition, one policy variable of a statement's conditions, or one
/// resource template), without aliases. Remembering where such a key was found would cost more
/// than it saves, since nothing reads it again.
fn direct_keys(ir: &PolicySet) -> Vec<bool> {
    let mut reads = vec![0u32; ir.keys.len()];
    let mut count = |slot: u16| {
        if let Some(r) = reads.get_mut(usize::from(slot)) {
            *r = r.saturating_add(1);
        }
    };
    for st in &ir.statements {
        let mut vars: Vec<u16> = Vec::new();
        for c in &st.conditions {
            count(c.slot);
            vars.extend(c.vars.iter().map(|v| v.slot));
        }
        vars.sort_unstable();
        vars.dedup();
        vars.into_iter().for_each(&mut count);
        if let Resources::Patterns(p) | Resources::Not(p) = &st.resources {
            for pattern in p {
                if let Pattern::Template(parts) = pattern {
                    let mut vars: Vec<u16> = parts
                        .iter()
                        .filter_map(|part| match part {
                            Part::Var(v) => Some(v.slot),
                            _ => None,
                        })
                        .collect();
                    vars.sort_unstable();
                    vars.dedup();
                    vars.into_iter().for_each(&mut count);
                }
            }
        }
    }
    ir.keys
        .iter()
        .zip(reads)
        .map(|(k, n)| n <= 1 && k.aliases.is_empty())
        .collect()
}

/// Generates and formats the code as a Rust file defining `pub static POLICY`, for reading.
pub fn generate_pretty(ir: &PolicySet, opts: &CodegenOptions) -> String {
    let rt = &opts.runtime_path;
    let expr = generate(ir, opts);
    let file = quote! {
        pub static POLICY: #rt::CompiledPolicy = #expr;
    };
    match syn::parse2::<syn::File>(file.clone()) {
        Ok(f) => prettyplease::unparse(&f),
        Err(_) => file.to_string(),
    }
}

/// Generated items may leave parameters unused (a statement with no condition) or helpers
/// uncalled (an action check only needed outside exact buckets); none of that is the user's
/// concern, so no warning may reach their build.
pub(crate) fn allow_attr() -> TokenStream {
    quote!(#[allow(dead_code, unused_variables, unused_mut, unused_parens, non_snake_case, unreachable_patterns, clippy::all, clippy::pedantic, clippy::nursery)])
}

struct Gen<'a> {
    ir: &'a PolicySet,
    opts: &'a CodegenOptions,
    /// Per slot: looked up directly rather than through the slot table (see [`direct_keys`]).
    direct: Vec<bool>,
    /// Per slot: its note number, for a principal tag key whose grant is noted (see
    /// [`note_keys`]).
    notes: Vec<Option<usize>>,
}

/// `a || b || …`, or `false` for none.
fn any_of(items: impl IntoIterator<Item = TokenStream>) -> TokenStream {
    let items: Vec<TokenStream> = items.into_iter().collect();
    if items.is_empty() {
        quote!(false)
    } else {
        quote!(#(#items)||*)
    }
}

/// `a && b && …`, or `true` for none.
fn all_of(items: impl IntoIterator<Item = TokenStream>) -> TokenStream {
    let items: Vec<TokenStream> = items.into_iter().collect();
    if items.is_empty() {
        quote!(true)
    } else {
        quote!(#(#items)&&*)
    }
}

/// A match of `action` against a constant lower-case action pattern, ASCII case ignored:
/// [`tagpolicy_runtime::glob::matches_stars_folded`] (the pattern split at `*` at build time), or
/// the general matcher when it has `?`.
fn action_glob_test(rt: &TokenStream, pattern: &str) -> TokenStream {
    if pattern.contains('?') {
        quote!(#rt::glob::matches_ascii_case_insensitive(#pattern, action))
    } else if pattern.chars().all(|c| c == '*') {
        quote!(true)
    } else {
        let parts = pattern.split('*');
        quote!(#rt::glob::matches_stars_folded(&[#(#parts),*], action))
    }
}

/// A case-sensitive match of `input` against a constant glob, as cheap as the pattern allows:
/// `==` without wildcards, [`tagpolicy_runtime::glob::matches_stars`] with `*` only (the pattern
/// split at build time), the general matcher with `?`.
fn glob_test(rt: &TokenStream, pattern: &str, input: &TokenStream) -> TokenStream {
    if pattern.contains('?') {
        quote!(#rt::glob::matches(#pattern, #input))
    } else if !pattern.contains('*') {
        quote!((#input == #pattern))
    } else if pattern.chars().all(|c| c == '*') {
        quote!(true)
    } else {
        star_chain(rt, pattern, input)
    }
}

/// A constant star-only glob (at least one `*`, not only stars) as straight-line calls:
/// [`tagpolicy_runtime::glob::star_span`] for the text before the first and after the last `*`,
/// then [`tagpolicy_runtime::glob::star_after`] for each text between stars, every text a byte
/// string constant (so the comparisons and searches are specialised to it).
pub(crate) fn star_chain(rt: &TokenStream, pattern: &str, input: &TokenStream) -> TokenStream {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return quote!(true);
    };
    let bytes = |t: &str| Literal::byte_string(t.as_bytes());
    let (first, last) = (bytes(first), bytes(last));
    let middle = parts
        .get(1..parts.len().saturating_sub(1))
        .unwrap_or(&[])
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            let p = bytes(p);
            quote!(.and_then(|r| #rt::glob::star_after(r, #p)))
        });
    quote!(#rt::glob::star_span(#input.as_bytes(), #first, #last) #(#middle)* .is_some())
}

/// Above this many statements, a set is generated as static data (see [`crate::table_codegen`]).
pub const COMPACT_ABOVE: usize = 256;

fn uint(v: impl Into<u64>) -> Literal {
    Literal::u64_unsuffixed(v.into())
}

pub(crate) fn f64_lit(v: f64) -> TokenStream {
    let abs = Literal::f64_suffixed(v.abs());
    if v.is_sign_negative() {
        quote!(-#abs)
    } else {
        quote!(#abs)
    }
}

fn i64_lit(v: i64) -> TokenStream {
    if v == i64::MIN {
        quote!(i64::MIN)
    } else if v < 0 {
        let abs = Literal::i64_suffixed(-v);
        quote!(-#abs)
    } else {
        let lit = Literal::i64_suffixed(v);
        quote!(#lit)
    }
}

impl Gen<'_> {
    /// Inside the generated module the runtime is imported as `__rt`.
    fn rt(&self) -> TokenStream {
        quote!(__rt)
    }

    fn slot_cap(&self) -> usize {
        self.ir.keys.len().min(SLOT_CAPACITY)
    }

    fn policy(&self) -> TokenStream {
        let rt = &self.opts.runtime_path;
        let keys = self.keys();
        let dispatch = self.dispatch();
        let statements: Vec<TokenStream> = self
            .ir
            .statements
            .iter()
            .enumerate()
            .map(|(id, st)| self.statement_fns(id, st))
            .collect();
        let sources: Vec<&str> = self.ir.policies.iter().map(|p| p.source.as_str()).collect();
        let count = self.ir.statements.len();
        let allow = allow_attr();
        let offsets = crate::eval::policy_offsets(self.ir)
            .into_iter()
            .map(|o| uint(u64::from(o)));
        let read: Vec<Vec<&str>> = self
            .ir
            .statements
            .iter()
            .map(|st| self.ir.principal_tags_read(st))
            .collect();
        // Only sets whose statements read principal tags need the table (grants can change them).
        let principal_tags = if read.iter().all(Vec::is_empty) {
            quote!(&[])
        } else {
            let rows = read.iter().map(|keys| quote!(&[#(#keys),*]));
            quote!(&[#(#rows),*])
        };
        quote! {
            {
                #allow
                mod __policy {
                    use #rt as __rt;
                    /// For each policy, the flat index of its first statement.
                    pub(super) static __OFFSETS: &[u32] = &[#(#offsets),*];
                    #keys
                    #(#statements)*
                    #dispatch
                }
                #rt::CompiledPolicy {
                    evaluate: __policy::evaluate,
                    sources: &[#(#sources),*],
                    statements: #count,
                    policy_offsets: __policy::__OFFSETS,
                    principal_tags: #principal_tags,
                }
            }
        }
    }

    /// A map from lower-cased names to numbers.
    fn name_map(&self, entries: &[(String, u32)]) -> TokenStream {
        let rt = self.rt();
        if entries.len() <= SMALL_MAP {
            let items = entries.iter().map(|(k, v)| {
                let v = uint(*v);
                quote!((#k, #v))
            });
            return quote!(#rt::compiled::NameMap::Small(&[#(#items),*]));
        }
        // Byte-string keys: a name folded on the stack is looked up without a UTF-8 check (the
        // perfect hash of a `str` is that of its bytes, so the generator's layout holds).
        let map = self.phf_map_with(
            entries
                .iter()
                .map(|(k, v)| (k.as_str(), quote!(#v)))
                .collect(),
            |k| Literal::byte_string(k.as_bytes()).into_token_stream(),
        );
        quote!(#rt::compiled::NameMap::Phf(#map))
    }

    /// A function `fn name(&str) -> Option<u32>` looking a name up ASCII-case-insensitively among
    /// lower-cased `entries`: for a few names, a switch on the length and a word-wise comparison
    /// with each constant of that length; for more, a perfect-hash [`NameMap`] behind it.
    ///
    /// [`NameMap`]: tagpolicy_runtime::compiled::NameMap
    fn name_fn(&self, name: &proc_macro2::Ident, entries: &[(String, u32)]) -> TokenStream {
        let rt = self.rt();
        if entries.len() > SMALL_MAP {
            let map = self.name_map(entries);
            return quote! {
                #[inline(always)]
                fn #name(name: &str) -> Option<u32> {
                    static MAP: #rt::compiled::NameMap = #map;
                    MAP.get(name)
                }
            };
        }
        let mut lengths: Vec<usize> = entries.iter().map(|(k, _)| k.len()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        let arms = lengths.iter().map(|&len| {
            let tests = entries
                .iter()
                .filter(|(k, _)| k.len() == len)
                .map(|(k, v)| {
                    let k = Literal::byte_string(k.as_bytes());
                    let v = uint(*v);
                    quote!(if #rt::bytes::eq_lower(#k, b) { return Some(#v); })
                });
            let len = Literal::usize_unsuffixed(len);
            quote!(#len => { #(#tests)* })
        });
        quote! {
            #[inline(always)]
            fn #name(name: &str) -> Option<u32> {
                let b = name.as_bytes();
                match b.len() {
                    #(#arms)*
                    _ => {}
                }
                None
            }
        }
    }

    /// A `phf::Map<&'static str, V>` literal.
    fn phf_map(&self, entries: Vec<(&str, TokenStream)>) -> TokenStream {
        self.phf_map_with(entries, |k| quote!(#k))
    }

    /// A `phf::Map` literal whose keys are written by `key` (a `str` or a byte-string literal).
    fn phf_map_with(
        &self,
        entries: Vec<(&str, TokenStream)>,
        write_key: impl Fn(&str) -> TokenStream,
    ) -> TokenStream {
        let rt = self.rt();
        let keys: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
        let state = phf_generator::generate_hash(&keys);
        let key = Literal::u64_suffixed(state.key);
        let disps = state.disps.iter().map(|(a, b)| {
            let (a, b) = (uint(*a), uint(*b));
            quote!((#a, #b))
        });
        let ordered = state
            .map
            .iter()
            .filter_map(|&i| entries.get(i))
            .map(|(k, v)| {
                let k = write_key(k);
                quote!((#k, #v))
            });
        quote! {
            #rt::__private::phf::Map {
                key: #key,
                disps: &[#(#disps),*],
                entries: &[#(#ordered),*],
            }
        }
    }

    fn keys(&self) -> TokenStream {
        let rt = self.rt();
        let mut entries: Vec<(String, u32)> = Vec::new();
        for (i, k) in self.ir.keys.iter().enumerate() {
            entries.push((k.name.clone(), i as u32));
            entries.extend(k.aliases.iter().map(|a| (a.clone(), i as u32)));
        }
        let names = self.name_map(&entries);
        let builtin = |b: Builtin| match self.ir.keys.iter().position(|k| k.builtin == Some(b)) {
            Some(i) => {
                let i = uint(i as u16);
                quote!(Some(#i))
            }
            None => quote!(None),
        };
        let builtins = [
            builtin(Builtin::CurrentTime),
            builtin(Builtin::EpochTime),
            builtin(Builtin::TagKeys),
        ];
        let infos: Vec<TokenStream> = self.ir.keys.iter().map(|k| {
            let name = &k.name;
            let tag = match &k.tag {
                Some((f, t)) => {
                    let f = family(f);
                    quote!(Some((#rt::TagFamily::#f, #t)))
                }
                None => quote!(None),
            };
            let b = match k.builtin {
                Some(Builtin::CurrentTime) => quote!(Some(#rt::slots::Builtin::CurrentTime)),
                Some(Builtin::EpochTime) => quote!(Some(#rt::slots::Builtin::EpochTime)),
                Some(Builtin::TagKeys) => quote!(Some(#rt::slots::Builtin::TagKeys)),
                None => quote!(None),
            };
            let aliased = !k.aliases.is_empty();
            quote!(#rt::slots::KeyInfo { name: #name, tag: #tag, builtin: #b, aliased: #aliased })
        }).collect();
        let direct = infos
            .iter()
            .enumerate()
            .filter(|(slot, _)| self.direct.get(*slot) == Some(&true))
            .map(|(slot, info)| {
                let name = format_ident!("__K{}", slot);
                quote!(const #name: #rt::slots::KeyInfo<'static> = #info;)
            });
        let cap = uint(self.slot_cap() as u64);
        let noted = uint(self.notes.iter().flatten().count() as u64);
        quote! {
            static __KEYS: #rt::compiled::StaticKeys = #rt::compiled::StaticKeys {
                names: #names,
                builtins: [#(#builtins),*],
                infos: &[#(#infos),*],
            };
            #(#direct)*
            type __Slots<'r> = #rt::slots::Slots<'r, #cap>;
            type __State<'r> = #rt::slots::EvalState<'r, #cap, #noted>;
            type __Reads = #rt::slots::GrantReads<#noted>;
            /// The slot table, made on first need.
            #[inline]
            fn __slots<'s, 'r>(req: &'r #rt::Request<'r>, slots: &'s mut Option<__Slots<'r>>) -> &'s mut __Slots<'r> {
                slots.get_or_insert_with(|| #rt::slots::Slots::resolve(&__KEYS, req))
            }
        }
    }

    fn dispatch(&self) -> TokenStream {
        let rt = self.rt();
        let index = &self.ir.index;
        // Buckets with the same statements (and the same knowledge of the action) share one arm.
        // Per statement of a bucket: whether its action is known to match there (every action of
        // an exact bucket; in a service bucket, statements whose actions include `service:*`).
        let mut bodies: Vec<(Vec<u32>, Vec<bool>)> = Vec::new();
        let mut id_of = |bucket: &[u32], known: Vec<bool>| -> u32 {
            let key = (bucket.to_vec(), known);
            let pos = bodies.iter().position(|b| *b == key).unwrap_or_else(|| {
                bodies.push(key);
                bodies.len() - 1
            });
            pos as u32
        };
        let exact: Vec<(String, u32)> = index
            .exact
            .iter()
            .map(|(name, bucket)| (name.clone(), id_of(bucket, vec![true; bucket.len()])))
            .collect();
        let services: Vec<(String, u32)> = index
            .services
            .iter()
            .map(|(svc, bucket)| {
                let all = format!("{svc}:*");
                let known = bucket
                    .iter()
                    .map(|&id| {
                        matches!(self.ir.statements.get(id as usize).map(|st| &st.actions),
                            Some(Actions::Patterns(p)) if p.contains(&all))
                    })
                    .collect();
                (svc.clone(), id_of(bucket, known))
            })
            .collect();
        let arms = bodies
            .iter()
            .enumerate()
            .filter(|(_, (b, _))| !b.is_empty())
            .map(|(id, (bucket, known))| {
                let id = uint(id as u32);
                let body = self.bucket_body(bucket, known);
                quote!(#id => { #body })
            });
        let fallback = self.bucket_body(&index.fallback, &vec![false; index.fallback.len()]);
        let exact_fn = self.name_fn(&format_ident!("__action"), &exact);
        // Without service buckets (no `service:*` action), an unlisted action has no bucket.
        let bucket = if services.is_empty() {
            quote!(__action(req.action).unwrap_or(u32::MAX))
        } else {
            quote! {
                match __action(req.action) {
                    Some(b) => b,
                    None => match req.action.split_once(':') {
                        Some((service, _)) => __service(service).unwrap_or(u32::MAX),
                        None => u32::MAX,
                    },
                }
            }
        };
        let name_grants = self.name_grants();
        let service_fn = self.name_fn(&format_ident!("__service"), &services);
        quote! {
            #exact_fn
            #service_fn
            pub(super) fn evaluate<'r>(
                req: &#rt::Request<'r>,
                used: Option<&mut #rt::grants::UsedGrants<'r>>,
            ) -> #rt::Decision<'static> {
                let mut state: __State<'_> = __State::new();
                let decision = __decide(req, &mut state);
                #name_grants
                decision
            }
            #[inline(always)]
            fn __decide<'r>(
                req: &'r #rt::Request<'r>,
                state: &mut __State<'r>,
            ) -> #rt::Decision<'static> {
                let bucket = #bucket;
                match bucket {
                    #(#arms)*
                    _ => { #fallback }
                }
                #rt::Decision::ImplicitDeny
            }
        }
    }

    /// After deciding: the grants the deciding statement relied on, from the slots it reads
    /// principal tags through (nothing at all for a set that reads no principal tag).
    fn name_grants(&self) -> TokenStream {
        let rt = self.rt();
        let read: Vec<Vec<u16>> = self
            .ir
            .statements
            .iter()
            .map(|st| self.ir.principal_tag_slots(st))
            .collect();
        if read.iter().all(Vec::is_empty) {
            return quote!(let _ = used;);
        }
        // Per statement (flat index), the principal tag keys it reads, as constants: a noted key
        // (looked up directly, see `note_keys`) has a note of which grant gave it
        // (`lookup_noting`); any other is looked up in the grant table again, with its first
        // word folded at compile time. Statements reading the same keys share an arm.
        // (slot, key) pairs, and the flat indices of the statements reading exactly those.
        type Arm<'k> = (Vec<(u16, &'k str)>, Vec<u64>);
        let mut arms: Vec<Arm<'_>> = Vec::new();
        for (flat, slots) in read.iter().enumerate() {
            let keys: Vec<(u16, &str)> = slots
                .iter()
                .filter_map(|s| match &self.ir.keys.get(usize::from(*s))?.tag {
                    Some((TagFamily::Principal, k)) => Some((*s, k.as_str())),
                    _ => None,
                })
                .collect();
            if keys.is_empty() {
                continue;
            }
            match arms.iter_mut().find(|(k, _)| *k == keys) {
                Some((_, flats)) => flats.push(flat as u64),
                None => arms.push((keys, vec![flat as u64])),
            }
        }
        let arms = arms.iter().map(|(keys, flats)| {
            let flats = flats.iter().map(|f| uint(*f));
            let names = keys.iter().map(|(slot, key)| {
                if let Some(note) = self.note(*slot) {
                    let note = uint(note as u64);
                    quote!(#rt::slots::name_noted_grant(req, #note, #key, reads, used);)
                } else {
                    quote!(#rt::slots::name_granted_tag(req, #key, used);)
                }
            });
            quote! {
                Some(#(#flats)|*) => { #(#names)* }
            }
        });
        // Left to the compiler to inline: measured on the seeds, inlined it costs a decision
        // without grants nothing (the naming sits behind the `used` check) and saves one with
        // grants the call.
        quote! {
            if let Some(used) = used {
                #[inline]
                fn __name_grants<'r>(
                    req: &#rt::Request<'r>,
                    decision: &#rt::Decision<'_>,
                    reads: &__Reads,
                    used: &mut #rt::grants::UsedGrants<'r>,
                ) {
                    let flat = decision
                        .statement()
                        .and_then(|st| #rt::decision::flat_statement_index(__OFFSETS, st));
                    match flat {
                        #(#arms)*
                        _ => {}
                    }
                }
                __name_grants(req, &decision, &state.granted, used);
            }
        }
    }

    /// Whether a statement sits in a bucket where its action element must be checked at run time.
    fn needs_action_check(&self, id: u32) -> bool {
        let index = &self.ir.index;
        index.fallback.contains(&id) || index.services.values().any(|b| b.contains(&id))
    }

    /// The statements of one bucket: its Deny statements in order, then its Allow statements in
    /// order, each returning the decision it makes. The first applicable Deny decides; without
    /// one, the first applicable Allow (the decision of the IR's order, with no statement tested
    /// after the decision is known). `action_known[i]` says the bucket's actions all match
    /// statement `bucket[i]`'s action element, so it is not checked again.
    fn bucket_body(&self, bucket: &[u32], action_known: &[bool]) -> TokenStream {
        let rt = self.rt();
        let call = |effect: Effect| {
            let rt = &rt;
            bucket
                .iter()
                .zip(action_known)
                .filter_map(move |(&id, &action_known)| {
                    let st = self.ir.statements.get(id as usize)?;
                    if st.effect != effect {
                        return None;
                    }
                    let s = format_ident!("__s{}", id);
                    let a = format_ident!("__a{}", id);
                    let applies = if action_known || st.actions == Actions::Any {
                        quote!(#s(req, state))
                    } else {
                        quote!(#a(req.action) && #s(req, state))
                    };
                    let r = self.statement_ref(st);
                    Some(match st.effect {
                        Effect::Deny => quote! {
                            if #applies { return #rt::Decision::Deny(#r); }
                        },
                        Effect::Allow => quote! {
                            if #applies { return #rt::Decision::Allow(#r); }
                        },
                    })
                })
        };
        let denies = call(Effect::Deny);
        let allows = call(Effect::Allow);
        quote!(#(#denies)* #(#allows)*)
    }

    fn statement_ref(&self, st: &Statement) -> TokenStream {
        let rt = self.rt();
        let (p, i) = (uint(st.policy), uint(st.index));
        let sid = match &st.sid {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        quote!(#rt::StatementRef { policy: #p, statement: #i, sid: #sid })
    }

    fn statement_fns(&self, id: usize, st: &Statement) -> TokenStream {
        let rt = self.rt();
        let s = format_ident!("__s{}", id);
        let a = format_ident!("__a{}", id);
        let action_fn = match &st.actions {
            _ if !self.needs_action_check(id as u32) => quote!(),
            Actions::Any => quote!(),
            Actions::Patterns(p) => {
                let any = any_of(p.iter().map(|p| action_glob_test(&rt, p)));
                quote! {
                    #[inline]
                    fn #a(action: &str) -> bool { #any }
                }
            }
            Actions::Not(p) => {
                let any = any_of(p.iter().map(|p| action_glob_test(&rt, p)));
                quote! {
                    #[inline]
                    fn #a(action: &str) -> bool { !(#any) }
                }
            }
        };
        let principal = match &st.principals {
            Principals::Any => quote!(),
            p => {
                let check = self.principal(p);
                quote!(if !(#check) { return false; })
            }
        };
        let needs_slots = self.reads_slot_table(st);
        let resolve = if needs_slots {
            quote!(let slots = __slots(req, &mut state.table);)
        } else {
            quote!()
        };
        let resource = match &st.resources {
            Resources::Any => quote!(),
            r => {
                let check = self.resources(r);
                quote!(if !(#check) { return false; })
            }
        };
        // A constant resource check is cheaper than resolving the slots: do it first.
        let (resource_before, resource_after) = if resources_use_vars(&st.resources) {
            (quote!(), resource)
        } else {
            (resource, quote!())
        };
        let mut vars: Vec<Var> = Vec::new();
        for c in &st.conditions {
            for v in &c.vars {
                if !vars.contains(v) {
                    vars.push(v.clone());
                }
            }
        }
        let var_lets = vars.iter().enumerate().map(|(i, v)| {
            let name = format_ident!("__v{}", i);
            let resolved = self.variable(v);
            quote!(let Some(#name) = #resolved else { return false; };)
        });
        let conditions = st.conditions.iter().map(|c| {
            let check = self.condition(c, &vars);
            quote!(if !(#check) { return false; })
        });
        quote! {
            #action_fn
            #[inline]
            fn #s<'r>(req: &'r #rt::Request<'r>, state: &mut __State<'r>) -> bool {
                #principal
                #resource_before
                #resolve
                #resource_after
                #(#var_lets)*
                #(#conditions)*
                true
            }
        }
    }

    /// The value(s) of a slot's key: looked up directly, or read through the slot table (`slots`,
    /// which the statement function has resolved then).
    fn key_value(&self, slot: u16) -> TokenStream {
        let rt = self.rt();
        if self.is_direct(slot) {
            let name = format_ident!("__K{}", slot);
            if let Some(note) = self.note(slot) {
                // Which grant gave the value is noted for naming the deciding statement's grants.
                let note = uint(note as u64);
                quote!(#rt::slots::lookup_noting(req, &#name, #note, &state.granted))
            } else {
                quote!(#rt::slots::lookup(req, &#name))
            }
        } else {
            let slot = uint(slot);
            quote!(slots.get(&__KEYS, #slot))
        }
    }

    /// The note number of a principal tag key whose grant evaluation notes.
    fn note(&self, slot: u16) -> Option<usize> {
        self.notes.get(usize::from(slot)).copied().flatten()
    }

    fn is_direct(&self, slot: u16) -> bool {
        self.direct.get(usize::from(slot)) == Some(&true)
    }

    /// Whether a statement reads some key through the slot table.
    fn reads_slot_table(&self, st: &Statement) -> bool {
        let table = |slot: u16| !self.is_direct(slot);
        let in_resources = match &st.resources {
            Resources::Patterns(p) | Resources::Not(p) => p.iter().any(|p| match p {
                Pattern::Template(parts) => parts
                    .iter()
                    .any(|part| matches!(part, Part::Var(v) if table(v.slot))),
                Pattern::Glob(_) => false,
            }),
            Resources::Any => false,
        };
        in_resources
            || st
                .conditions
                .iter()
                .any(|c| table(c.slot) || c.vars.iter().any(|v| table(v.slot)))
    }

    fn variable(&self, v: &Var) -> TokenStream {
        let rt = self.rt();
        let default = match &v.default {
            Some(d) => quote!(Some(#d)),
            None => quote!(None),
        };
        let value = self.key_value(v.slot);
        quote!(#rt::cond::variable(#value, #default))
    }

    fn principal(&self, p: &Principals) -> TokenStream {
        match p {
            Principals::Any => quote!(true),
            Principals::Is(values) => {
                let any = any_of(values.iter().map(|v| quote!(p == #v)));
                quote!(match req.principal { Some(p) => #any, None => false })
            }
            Principals::Not(values) => {
                if values.iter().any(|v| v == "*") {
                    quote!(req.principal.is_none())
                } else {
                    let any = any_of(values.iter().map(|v| quote!(p == #v)));
                    quote!(match req.principal { Some(p) => !(#any), None => true })
                }
            }
        }
    }

    fn resources(&self, r: &Resources) -> TokenStream {
        match r {
            Resources::Any => quote!(true),
            Resources::Patterns(pats) => {
                any_of(pats.iter().map(|p| self.resource_pattern(p, false)))
            }
            Resources::Not(pats) => all_of(pats.iter().map(|p| self.resource_pattern(p, true))),
        }
    }

    /// One resource pattern: matched (or, for NotResource, not matched); a variable without
    /// value makes it false either way.
    fn resource_pattern(&self, p: &Pattern, negate: bool) -> TokenStream {
        let rt = self.rt();
        let bang = if negate { quote!(!) } else { quote!() };
        match p {
            Pattern::Glob(g) => {
                let test = glob_test(&rt, g, &quote!(req.resource));
                quote!(#bang #test)
            }
            Pattern::Template(parts) => {
                let mut vars = Vec::new();
                for part in parts {
                    if let Part::Var(v) = part {
                        if !vars.contains(v) {
                            vars.push(v.clone());
                        }
                    }
                }
                let pieces = self.pieces(parts, &vars);
                let names: Vec<_> = (0..vars.len()).map(|i| format_ident!("__v{}", i)).collect();
                let values: Vec<_> = vars.iter().map(|v| self.variable(v)).collect();
                let matched = if parts.iter().any(|p| matches!(p, Part::AnyChar)) {
                    quote!(#bang #rt::glob::matches_pieces(&[#(#pieces),*], req.resource, #rt::glob::Case::Sensitive))
                } else if let Some(chain) = self.template_chain(parts, &vars, &quote!(req.resource))
                {
                    quote!(#bang #chain)
                } else {
                    quote!(#bang #rt::glob::matches_star_pieces(&[#(#pieces),*], req.resource))
                };
                match (names.as_slice(), values.as_slice()) {
                    ([], []) => matched,
                    ([name], [value]) => {
                        quote!(match #value { Some(#name) => #matched, None => false })
                    }
                    _ => quote! {
                        match (#(#values,)*) {
                            (#(Some(#names),)*) => #matched,
                            _ => false,
                        }
                    },
                }
            }
        }
    }

    /// A template without `?` as straight-line calls, when every text between two stars is one
    /// piece (a constant or one variable): the texts before the first `*` stripped from the
    /// start ([`tagpolicy_runtime::glob::strip_prefix`]), those after the last from the end,
    /// each between found leftmost ([`tagpolicy_runtime::glob::star_after`]); without a `*`
    /// nothing may be left. What [`tagpolicy_runtime::glob::matches_star_pieces`] decides, with
    /// the constants inlined. `None` for other templates.
    fn template_chain(
        &self,
        parts: &[Part],
        vars: &[Var],
        input: &TokenStream,
    ) -> Option<TokenStream> {
        let rt = self.rt();
        let groups: Vec<&[Part]> = parts.split(|p| matches!(p, Part::Star)).collect();
        let text = |p: &Part| -> Option<TokenStream> {
            match p {
                Part::Text(t) => Some(Literal::byte_string(t.as_bytes()).into_token_stream()),
                Part::Var(v) => {
                    let id = Self::var_ident(vars, v);
                    Some(quote!(#id.as_bytes()))
                }
                Part::Star | Part::AnyChar => None,
            }
        };
        let empty = |p: &&Part| matches!(p, Part::Text(t) if t.is_empty());
        let (first, rest) = groups.split_first()?;
        let mut steps: Vec<TokenStream> = Vec::new();
        for p in first.iter().filter(|p| !empty(p)) {
            let t = text(p)?;
            steps.push(quote!(.and_then(|r| #rt::glob::strip_prefix(r, #t))));
        }
        let Some((last, middle)) = rest.split_last() else {
            return Some(quote!(Some(#input.as_bytes()) #(#steps)* .is_some_and(|r| r.is_empty())));
        };
        for p in last.iter().rev().filter(|p| !empty(p)) {
            let t = text(p)?;
            steps.push(quote!(.and_then(|r| #rt::glob::strip_suffix(r, #t))));
        }
        for group in middle {
            let pieces: Vec<&Part> = group.iter().filter(|p| !empty(p)).collect();
            match pieces.as_slice() {
                [] => {}
                [p] => {
                    let t = text(p)?;
                    steps.push(quote!(.and_then(|r| #rt::glob::star_after(r, #t))));
                }
                _ => return None,
            }
        }
        Some(quote!(Some(#input.as_bytes()) #(#steps)* .is_some()))
    }

    fn var_ident(vars: &[Var], v: &Var) -> proc_macro2::Ident {
        let i = vars.iter().position(|x| x == v).unwrap_or(0);
        format_ident!("__v{}", i)
    }

    fn pieces(&self, parts: &[Part], vars: &[Var]) -> Vec<TokenStream> {
        let rt = self.rt();
        parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => quote!(#rt::glob::Piece::Text(#t)),
                Part::Star => quote!(#rt::glob::Piece::Star),
                Part::AnyChar => quote!(#rt::glob::Piece::AnyChar),
                Part::Var(v) => {
                    let id = Self::var_ident(vars, v);
                    quote!(#rt::glob::Piece::Text(#id))
                }
            })
            .collect()
    }

    fn text_parts(&self, parts: &[Part], vars: &[Var]) -> Vec<TokenStream> {
        parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => quote!(#t),
                Part::Var(v) => {
                    let id = Self::var_ident(vars, v);
                    quote!(#id)
                }
                Part::Star => quote!("*"),
                Part::AnyChar => quote!("?"),
            })
            .collect()
    }

    fn mode(&self, m: Mode) -> TokenStream {
        let rt = self.rt();
        let negated = m.negated;
        let if_exists = m.if_exists;
        let q = match m.qualifier {
            Qualifier::Single => quote!(Single),
            Qualifier::ForAllValues => quote!(ForAllValues),
            Qualifier::ForAnyValue => quote!(ForAnyValue),
        };
        quote!(#rt::cond::Mode { negated: #negated, qualifier: #rt::cond::Qualifier::#q, if_exists: #if_exists })
    }

    fn condition(&self, c: &Condition, vars: &[Var]) -> TokenStream {
        let rt = self.rt();
        let value = self.key_value(c.slot);
        if let Test::Null {
            want_missing,
            want_present,
        } = c.test
        {
            return quote!(#rt::cond::null(#value, #want_missing, #want_present));
        }
        let mode = self.mode(c.mode);
        let body = self.test(&c.test, vars);
        quote!(#rt::cond::check(#mode, #value, |s| { #body }))
    }

    /// The body of the per-value closure: `Option<bool>`, the value matches any policy value.
    fn test(&self, t: &Test, vars: &[Var]) -> TokenStream {
        let rt = self.rt();
        match t {
            Test::Equals {
                ignore_case: false,
                constants,
                templates,
            } => {
                let consts = if constants.is_empty() {
                    quote!(false)
                } else if let [only] = constants.as_slice() {
                    quote!(t == #only)
                } else if constants.len() <= SMALL_MAP {
                    quote!(matches!(t, #(#constants)|*))
                } else {
                    let map =
                        self.phf_map(constants.iter().map(|c| (c.as_str(), quote!(()))).collect());
                    quote! {{
                        static SET: #rt::__private::phf::Map<&'static str, ()> = #map;
                        SET.contains_key(t)
                    }}
                };
                let temps = templates.iter().map(|parts| match parts.as_slice() {
                    [Part::Var(v)] => {
                        let id = Self::var_ident(vars, v);
                        quote!(#rt::bytes::eq(t.as_bytes(), #id.as_bytes()))
                    }
                    _ => {
                        let ps = self.text_parts(parts, vars);
                        quote!(#rt::scalar::eq_parts(&[#(#ps),*], t))
                    }
                });
                let any = any_of(
                    std::iter::once(consts)
                        .filter(|c| c.to_string() != "false")
                        .chain(temps),
                );
                quote! {
                    let t = #rt::cond::as_text(s)?;
                    Some(#any)
                }
            }
            Test::Equals {
                ignore_case: true,
                constants,
                templates,
            } => {
                let temps = templates.iter().map(|parts| {
                    let ps = self.text_parts(parts, vars);
                    quote!(#rt::scalar::eq_ignore_case_parts(&[#(#ps),*], t))
                });
                let any = any_of(
                    constants
                        .iter()
                        .map(|c| quote!(#rt::scalar::eq_ignore_case(#c, t)))
                        .chain(temps),
                );
                quote! {
                    let t = #rt::cond::as_text(s)?;
                    Some(#any)
                }
            }
            Test::Like(pats) => {
                let each = pats.iter().map(|p| match p {
                    Pattern::Glob(g) => glob_test(&rt, g, &quote!(t)),
                    Pattern::Template(parts) => {
                        let ps = self.pieces(parts, vars);
                        quote!(#rt::glob::matches_pieces(&[#(#ps),*], t, #rt::glob::Case::Sensitive))
                    }
                });
                let any = any_of(each);
                quote! {
                    let t = #rt::cond::as_text(s)?;
                    Some(#any)
                }
            }
            Test::Arn(pats) => {
                let each = pats.iter().map(|parts| {
                    let ps = self.pieces(parts, vars);
                    quote!(#rt::arn::arn_matches(&[#(#ps),*], t) == Some(true))
                });
                let any = any_of(each);
                quote! {
                    let t = #rt::cond::as_arn(s)?;
                    Some(#any)
                }
            }
            Test::Number(cmp, values) => {
                let cmp = cmp_tokens(&rt, *cmp);
                let vs = values.iter().map(|v| f64_lit(*v));
                quote!(#rt::cond::number_any(s, #cmp, &[#(#vs),*]))
            }
            Test::Date(cmp, values) => {
                let cmp = cmp_tokens(&rt, *cmp);
                let vs = values.iter().map(|v| {
                    let ms = i64_lit(v.millis());
                    quote!(#rt::Timestamp(#ms))
                });
                quote!(#rt::cond::time_any(s, #cmp, &[#(#vs),*]))
            }
            Test::Bool(values) => quote!(#rt::cond::bool_any(s, &[#(#values),*])),
            Test::Binary(values) => {
                let any = any_of(values.iter().map(|v| quote!(t == #v)));
                quote! {
                    let t = #rt::cond::as_text(s)?;
                    Some(#any)
                }
            }
            Test::Ip(blocks) => {
                let bs = blocks.iter().map(|b| {
                    let prefix = b.prefix();
                    if b.is_v6() {
                        let bits = Literal::u128_suffixed(b.bits());
                        quote!(match #rt::ip::Cidr::v6(#bits, #prefix) { Some(c) => c, None => panic!("invalid CIDR") })
                    } else {
                        let bits = Literal::u32_suffixed(b.bits() as u32);
                        quote!(match #rt::ip::Cidr::v4(#bits, #prefix) { Some(c) => c, None => panic!("invalid CIDR") })
                    }
                });
                let n = blocks.len();
                quote! {{
                    static BLOCKS: [#rt::ip::Cidr; #n] = [#(#bs),*];
                    #rt::cond::ip_in_any(s, &BLOCKS)
                }}
            }
            Test::Null { .. } => quote!(None),
        }
    }
}

fn cmp_tokens(rt: &TokenStream, cmp: Cmp) -> TokenStream {
    match cmp {
        Cmp::Eq => quote!(#rt::cond::Cmp::Eq),
        Cmp::Lt => quote!(#rt::cond::Cmp::Lt),
        Cmp::Le => quote!(#rt::cond::Cmp::Le),
        Cmp::Gt => quote!(#rt::cond::Cmp::Gt),
        Cmp::Ge => quote!(#rt::cond::Cmp::Ge),
    }
}

fn family(f: &TagFamily) -> proc_macro2::Ident {
    match f {
        TagFamily::Principal => format_ident!("Principal"),
        TagFamily::Resource => format_ident!("Resource"),
        TagFamily::Request => format_ident!("Request"),
    }
}

fn resources_use_vars(r: &Resources) -> bool {
    match r {
        Resources::Any => false,
        Resources::Patterns(p) | Resources::Not(p) => {
            p.iter().any(|p| matches!(p, Pattern::Template(_)))
        }
    }
}
