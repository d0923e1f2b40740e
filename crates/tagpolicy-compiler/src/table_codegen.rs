//! Code generation for large policy sets: the IR as static data for
//! [`tagpolicy_runtime::table`].
//!
//! Above [`crate::codegen::COMPACT_ABOVE`] statements, straight-line code per statement costs
//! rustc minutes (type checking, borrow checking and monomorphizing thousands of functions and
//! closures) for little gain: a request only reaches the few statements of its action's bucket.
//! So a large set becomes one `static` [`tagpolicy_runtime::table::Table`] — every statement a
//! constant descriptor that mirrors its IR one to one, the action dispatch two name maps to
//! buckets of statement indices — and one call into [`tagpolicy_runtime::table::evaluate`],
//! compiled once in the runtime crate.
//!
//! The code is written as text and parsed into tokens once: inside a proc macro, building
//! hundreds of thousands of tokens one by one through `quote!` costs more than rustc's lexer does
//! for the whole text.

use std::collections::HashMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;

use tagpolicy_runtime::cond::{Cmp, Mode, Qualifier};
use tagpolicy_runtime::slots::Builtin;
use tagpolicy_runtime::{Effect, TagFamily};

use crate::codegen::{allow_attr, CodegenOptions};
use crate::ir::{
    Actions, Condition, Part, Pattern, PolicySet, Principals, Resources, Statement, Test, Var,
};

/// The block expression of type `CompiledPolicy` for a (large) policy set, as tokens.
pub fn generate_table(ir: &PolicySet, opts: &CodegenOptions) -> TokenStream {
    let text = table_text(ir, opts);
    match text.parse() {
        Ok(tokens) => tokens,
        // Only a bug of this module can get here: fail the build visibly, not the user's policy.
        Err(e) => {
            let msg = format!("tagpolicy: generated code does not parse: {e}");
            quote::quote!(::core::compile_error!(#msg))
        }
    }
}

/// The same block expression as text.
pub fn table_text(ir: &PolicySet, opts: &CodegenOptions) -> String {
    let mut w = W {
        out: String::with_capacity(ir.statements.len().saturating_mul(256)),
        globs: Pool::default(),
    };
    w.policy(ir, opts);
    w.out
}

/// A string literal.
fn lit(s: &str) -> String {
    // `Debug` of a `str` is a valid Rust string literal: quotes, backslashes and every
    // non-printable character escaped.
    format!("{s:?}")
}

fn opt_lit(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("Some({})", lit(s)),
        None => "None".to_string(),
    }
}

fn f64_text(v: f64) -> String {
    if v.is_nan() {
        "f64::NAN".to_string()
    } else if v == f64::INFINITY {
        "f64::INFINITY".to_string()
    } else if v == f64::NEG_INFINITY {
        "f64::NEG_INFINITY".to_string()
    } else {
        // `Debug` round-trips and always has a `.` or an exponent.
        format!("{v:?}f64")
    }
}

struct W {
    out: String,
    /// Star-only globs given their own function (see [`W::pattern`]), in first-use order; the
    /// function of the i-th is `__g{i}`.
    globs: Pool,
}

/// Distinct items (as code) in first-use order.
#[derive(Default)]
struct Pool {
    items: Vec<String>,
    index: HashMap<String, usize>,
}

impl Pool {
    /// The index of `item`, added if new.
    fn index(&mut self, item: String) -> usize {
        if let Some(&i) = self.index.get(&item) {
            return i;
        }
        self.items.push(item.clone());
        self.index.insert(item, self.items.len() - 1);
        self.items.len() - 1
    }
}

/// The pools of a table's statement elements.
#[derive(Default)]
struct Pools {
    sids: Vec<String>,
    actions: Pool,
    principals: Pool,
    resources: Pool,
    conditions: Pool,
    fast: Pool,
}

impl W {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// `&[a, b, …]` with each item written by `f`.
    fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.push("&[");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            f(self, item);
        }
        self.push("]");
    }

    fn strs<S: AsRef<str>>(&mut self, items: &[S]) {
        self.list(items, |w, s| w.push(&lit(s.as_ref())));
    }

    fn policy(&mut self, ir: &PolicySet, opts: &CodegenOptions) {
        let rt = opts.runtime_path.to_string();
        let allow = allow_attr().to_string();
        let _ = write!(
            self.out,
            "{{\n{allow}\nmod __policy {{\n\
             use {rt} as __rt;\n\
             #[allow(unused_imports)]\n\
             use __rt::table::{{Table, Bucket, Stmt, Actions, ActionPattern, Principals, Resources, Pattern, Part, Var, Cond, Test, Fast, FastText, NO_SID, NO_FAST}};\n\
             #[allow(unused_imports)]\n\
             use __rt::cond::{{Mode, Qualifier, Cmp}};\n"
        );
        self.push("pub(super) static __OFFSETS: &[u32] = ");
        let offsets = crate::eval::policy_offsets(ir);
        self.list(&offsets, |w, o| w.push(&o.to_string()));
        self.push(";\n");
        self.table(ir);
        self.glob_fns();
        self.push(
            "pub(super) fn evaluate<'r>(req: &__rt::Request<'r>, used: ::core::option::Option<&mut __rt::grants::UsedGrants<'r>>) -> __rt::Decision<'static> {\n\
             __rt::table::evaluate(&__TABLE, req, used)\n}\n}\n",
        );
        let _ = write!(
            self.out,
            "{rt}::CompiledPolicy {{\nevaluate: __policy::evaluate,\nsources: "
        );
        let sources: Vec<&str> = ir.policies.iter().map(|p| p.source.as_str()).collect();
        self.strs(&sources);
        let _ = write!(
            self.out,
            ",\nstatements: {},\npolicy_offsets: __policy::__OFFSETS,\nprincipal_tags: ",
            ir.statements.len()
        );
        self.push("__policy::__PRINCIPAL_TAGS,\n}\n}");
    }

    fn table<'a>(&mut self, ir: &'a PolicySet) {
        // Buckets with the same statements (and the same knowledge of the action) are one.
        let index = &ir.index;
        let mut buckets: Vec<(&[u32], bool)> = Vec::new();
        let mut ids: HashMap<(&[u32], bool), u32> = HashMap::new();
        let mut id_of = |bucket: &'a [u32], known: bool| -> u32 {
            *ids.entry((bucket, known)).or_insert_with(|| {
                buckets.push((bucket, known));
                (buckets.len() - 1) as u32
            })
        };
        let exact: Vec<(&str, u32)> = index
            .exact
            .iter()
            .map(|(name, bucket)| (name.as_str(), id_of(bucket, true)))
            .collect();
        let services: Vec<(&str, u32)> = index
            .services
            .iter()
            .map(|(svc, bucket)| (svc.as_str(), id_of(bucket, false)))
            .collect();
        // Statements whose action element a bucket may have to check.
        let mut checked = vec![false; ir.statements.len()];
        for &id in index
            .fallback
            .iter()
            .chain(index.services.values().flatten())
        {
            if let Some(c) = checked.get_mut(id as usize) {
                *c = true;
            }
        }

        // Statements are rows of indices; their elements are written once each (see `Table`).
        let mut pools = Pools::default();
        self.push("static __STATEMENTS: &[Stmt] = &[\n");
        for (id, st) in ir.statements.iter().enumerate() {
            let checked = checked.get(id).copied().unwrap_or(true);
            let sid = match &st.sid {
                Some(s) => {
                    pools.sids.push(lit(s));
                    (pools.sids.len() - 1).to_string()
                }
                None => "NO_SID".to_string(),
            };
            let actions = pools.actions.index(self.sub(|w| w.actions(st, checked)));
            let principals = pools
                .principals
                .index(self.sub(|w| w.principals(&st.principals)));
            let resources = pools
                .resources
                .index(self.sub(|w| w.resources(&st.resources)));
            let conditions = pools
                .conditions
                .index(self.sub(|w| w.list(&st.conditions, |w, c| w.condition(c))));
            let fast = match self.sub(|w| w.fast(ir, st)) {
                f if f.is_empty() => "NO_FAST".to_string(),
                f => pools.fast.index(f).to_string(),
            };
            let _ = writeln!(
                self.out,
                "Stmt {{ policy: {}, statement: {}, sid: {sid}, deny: {}, actions: {actions}, principals: {principals}, resources: {resources}, conditions: {conditions}, fast: {fast} }},",
                st.policy,
                st.index,
                st.effect == Effect::Deny,
            );
        }
        self.push("];\n");
        // Each list its own `static`: rustc handles several medium initializers faster than one
        // huge one.
        for (name, ty, items) in [
            ("__SIDS", "&str", &pools.sids),
            ("__ACTION_ELEMENTS", "Actions", &pools.actions.items),
            (
                "__PRINCIPAL_ELEMENTS",
                "Principals",
                &pools.principals.items,
            ),
            ("__RESOURCE_ELEMENTS", "Resources", &pools.resources.items),
            ("__CONDITION_LISTS", "&[Cond]", &pools.conditions.items),
            ("__FAST", "Fast", &pools.fast.items),
        ] {
            let _ = writeln!(self.out, "static {name}: &[{ty}] = &[");
            for item in items {
                self.push(item);
                self.push(",\n");
            }
            self.push("];\n");
        }
        self.push("static __BUCKETS: &[Bucket] = &[\n");
        for (bucket, known) in &buckets {
            self.bucket(bucket, *known);
            self.push(",\n");
        }
        self.push("];\nstatic __GRANT_SLOTS: &[&[u16]] = ");
        let read: Vec<Vec<u16>> = ir
            .statements
            .iter()
            .map(|st| ir.principal_tag_slots(st))
            .collect();
        if read.iter().all(Vec::is_empty) {
            self.push("&[]");
        } else {
            self.push("&[\n");
            for slots in &read {
                self.list(slots, |w, s| w.push(&s.to_string()));
                self.push(",\n");
            }
            self.push("]");
        }
        self.push(";\npub(super) static __PRINCIPAL_TAGS: &[&[&str]] = ");
        let read: Vec<Vec<&str>> = ir
            .statements
            .iter()
            .map(|st| ir.principal_tags_read(st))
            .collect();
        if read.iter().all(Vec::is_empty) {
            self.push("&[]");
        } else {
            self.push("&[\n");
            for keys in &read {
                self.strs(keys);
                self.push(",\n");
            }
            self.push("]");
        }
        self.push(";\nstatic __TABLE: Table = Table {\nkeys: ");
        self.keys(ir);
        self.push(",\nactions: ");
        self.name_map(&exact);
        self.push(",\nservices: ");
        self.name_map(&services);
        self.push(",\nbuckets: __BUCKETS,\nfallback: ");
        self.bucket(&index.fallback, false);
        self.push(
            ",\nstatements: __STATEMENTS,\nsids: __SIDS,\naction_elements: __ACTION_ELEMENTS,\n\
             principal_elements: __PRINCIPAL_ELEMENTS,\nresource_elements: __RESOURCE_ELEMENTS,\n\
             condition_lists: __CONDITION_LISTS,\npolicy_offsets: __OFFSETS,\ngrant_slots: __GRANT_SLOTS,\nreaders: __READERS,\ntext_readers: __TEXT_READERS,\nfast: __FAST,\n};\n",
        );
        self.readers(ir);
    }

    /// For keys without aliases: a [`tagpolicy_runtime::table::Reader`] (`slots::lookup` of the
    /// key's constant `KeyInfo`) where a variable, a resource or any condition but
    /// `StringEquals` reads the key, and a [`tagpolicy_runtime::table::TextReader`] (its
    /// `cond::text_in`) where a `StringEquals`-family condition does. (The walker uses the
    /// generic search where a key has neither.)
    fn readers(&mut self, ir: &PolicySet) {
        let n = ir.keys.len();
        let (mut needs_value, mut text) = (vec![false; n], vec![false; n]);
        let mark = |marks: &mut Vec<bool>, slot: u16| {
            if let Some(m) = marks.get_mut(usize::from(slot)) {
                *m = true;
            }
        };
        for st in &ir.statements {
            for c in &st.conditions {
                if matches!(c.test, Test::Equals { .. }) {
                    mark(&mut text, c.slot);
                } else {
                    mark(&mut needs_value, c.slot);
                }
                for var in &c.vars {
                    mark(&mut needs_value, var.slot);
                }
            }
            if let Resources::Patterns(pats) | Resources::Not(pats) = &st.resources {
                for p in pats {
                    if let Pattern::Template(parts) = p {
                        for part in parts {
                            if let Part::Var(var) = part {
                                mark(&mut needs_value, var.slot);
                            }
                        }
                    }
                }
            }
        }
        let (mut values, mut texts) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (slot, k) in ir.keys.iter().enumerate() {
            let plain = k.aliases.is_empty();
            if plain && needs_value.get(slot).copied().unwrap_or(false) {
                let _ = writeln!(
                    self.out,
                    "fn __k{slot}<'r>(r: &'r __rt::Request<'r>) -> __rt::slots::Resolved<'r> {{ __rt::slots::lookup(r, &{}) }}",
                    key_info(k)
                );
                values.push(format!("Some(__k{slot})"));
            } else {
                values.push("None".to_string());
            }
            if plain && text.get(slot).copied().unwrap_or(false) {
                let _ = writeln!(
                    self.out,
                    "fn __t{slot}(r: &__rt::Request<'_>, m: __rt::cond::Mode, c: &[&str], x: ::core::option::Option<&str>, i: bool) -> bool {{ __rt::cond::text_in(m, __rt::slots::lookup(r, &{}), c, x, i) }}",
                    key_info(k)
                );
                texts.push(format!("Some(__t{slot})"));
            } else {
                texts.push("None".to_string());
            }
        }
        self.push("static __READERS: &[::core::option::Option<__rt::table::Reader>] = &[");
        self.push(&values.join(", "));
        self.push(
            "];\nstatic __TEXT_READERS: &[::core::option::Option<__rt::table::TextReader>] = &[",
        );
        self.push(&texts.join(", "));
        self.push("];\n");
    }

    fn bucket(&mut self, statements: &[u32], known: bool) {
        let _ = write!(self.out, "Bucket {{ known: {known}, statements: ");
        self.list(statements, |w, id| w.push(&id.to_string()));
        self.push(" }");
    }

    /// A `NameMap` of lower-cased names: a short list, or a perfect-hash map.
    fn name_map(&mut self, entries: &[(&str, u32)]) {
        if entries.len() <= crate::codegen::SMALL_MAP {
            self.push("__rt::compiled::NameMap::Small(");
            self.list(entries, |w, (k, v)| {
                let _ = write!(w.out, "({}, {v})", lit(k));
            });
            self.push(")");
            return;
        }
        let keys: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
        let state = phf_generator::generate_hash(&keys);
        let _ = write!(
            self.out,
            "__rt::compiled::NameMap::Phf(__rt::__private::phf::Map {{ key: {}u64, disps: ",
            state.key
        );
        self.list(&state.disps, |w, (a, b)| {
            let _ = write!(w.out, "({a}, {b})");
        });
        self.push(", entries: &[\n");
        for &i in &state.map {
            if let Some((k, v)) = entries.get(i) {
                // Byte-string keys, as `NameMap::Phf` holds them.
                let key = proc_macro2::Literal::byte_string(k.as_bytes());
                let _ = writeln!(self.out, "({key}, {v}),");
            }
        }
        self.push("] })");
    }

    fn keys(&mut self, ir: &PolicySet) {
        let mut entries: Vec<(&str, u32)> = Vec::new();
        for (i, k) in ir.keys.iter().enumerate() {
            entries.push((&k.name, i as u32));
            entries.extend(k.aliases.iter().map(|a| (a.as_str(), i as u32)));
        }
        self.push("__rt::compiled::StaticKeys {\nnames: ");
        self.name_map(&entries);
        self.push(",\nbuiltins: [");
        for (i, b) in [Builtin::CurrentTime, Builtin::EpochTime, Builtin::TagKeys]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                self.push(", ");
            }
            match ir.keys.iter().position(|k| k.builtin == Some(b)) {
                Some(slot) => {
                    let _ = write!(self.out, "Some({slot})");
                }
                None => self.push("None"),
            }
        }
        self.push("],\ninfos: &[\n");
        for k in &ir.keys {
            self.push(&key_info(k));
            self.push(",\n");
        }
        self.push("],\n}");
    }

    /// What `f` writes, as a separate string.
    /// (Globs it names are recorded in `self`.)
    fn sub(&mut self, f: impl FnOnce(&mut W)) -> String {
        let mut w = W {
            out: String::new(),
            globs: std::mem::take(&mut self.globs),
        };
        f(&mut w);
        self.globs = w.globs;
        w.out
    }

    /// The statement as a `Fast` record if it has the common shape (see
    /// `tagpolicy_runtime::table::Fast`), else nothing.
    fn fast(&mut self, ir: &PolicySet, st: &Statement) {
        if st.principals != Principals::Any {
            return;
        }
        let resource = match &st.resources {
            Resources::Any => "None".to_string(),
            Resources::Patterns(p) => match p.as_slice() {
                [Pattern::Glob(g)]
                    if !g.contains('?') && g.contains('*') && !g.chars().all(|c| c == '*') =>
                {
                    format!("Some(__g{})", self.globs.index(g.clone()))
                }
                _ => return,
            },
            Resources::Not(_) => return,
        };
        let text = match st.conditions.as_slice() {
            [] => "None".to_string(),
            [c] => {
                let Test::Equals {
                    ignore_case,
                    constants,
                    templates,
                } = &c.test
                else {
                    return;
                };
                let plain = ir
                    .keys
                    .get(usize::from(c.slot))
                    .is_some_and(|k| k.aliases.is_empty());
                if !plain || constants.len() > tagpolicy_runtime::table::LINEAR_CONSTANTS {
                    return;
                }
                let variable = match (templates.as_slice(), c.vars.as_slice()) {
                    ([], []) => "None".to_string(),
                    ([t], [w]) => match t.as_slice() {
                        [Part::Var(v)] if v == w => {
                            format!(
                                "Some(Var {{ slot: {}, default: {} }})",
                                v.slot,
                                opt_lit(v.default.as_deref())
                            )
                        }
                        _ => return,
                    },
                    _ => return,
                };
                let mode = self.sub(|w| w.mode(c.mode));
                let constants = self.sub(|w| w.strs(constants));
                format!(
                    "Some(FastText {{ test: __t{}, mode: {mode}, constants: {constants}, variable: {variable}, ignore_case: {ignore_case} }})",
                    c.slot
                )
            }
            _ => return,
        };
        let _ = write!(self.out, "Fast {{ text: {text}, resource: {resource} }}");
    }

    fn actions(&mut self, st: &Statement, action_checked: bool) {
        match &st.actions {
            _ if !action_checked => self.push("Actions::Indexed"),
            Actions::Any => self.push("Actions::Any"),
            Actions::Patterns(p) => {
                self.push("Actions::Is(");
                self.action_patterns(p);
                self.push(")");
            }
            Actions::Not(p) => {
                self.push("Actions::Not(");
                self.action_patterns(p);
                self.push(")");
            }
        }
    }

    fn principals(&mut self, p: &Principals) {
        match p {
            Principals::Any => self.push("Principals::Any"),
            Principals::Is(v) => {
                self.push("Principals::Is(");
                self.strs(v);
                self.push(")");
            }
            Principals::Not(v) => {
                self.push("Principals::Not(");
                self.strs(v);
                self.push(")");
            }
        }
    }

    fn resources(&mut self, r: &Resources) {
        match r {
            Resources::Any => self.push("Resources::Any"),
            Resources::Patterns(p) => {
                self.push("Resources::Is(");
                self.list(p, |w, p| w.pattern(p));
                self.push(")");
            }
            Resources::Not(p) => {
                self.push("Resources::Not(");
                self.list(p, |w, p| w.pattern(p));
                self.push(")");
            }
        }
    }

    fn action_patterns(&mut self, pats: &[String]) {
        self.list(pats, |w, p| {
            if p.contains('?') {
                let _ = write!(w.out, "ActionPattern::Glob({})", lit(p));
            } else if p.chars().all(|c| c == '*') {
                w.push("ActionPattern::Any");
            } else {
                let parts: Vec<&str> = p.split('*').collect();
                w.push("ActionPattern::Stars(");
                w.strs(&parts);
                w.push(")");
            }
        });
    }

    fn pattern(&mut self, p: &Pattern) {
        match p {
            Pattern::Glob(g) if g.contains('?') => {
                let _ = write!(self.out, "Pattern::Glob({})", lit(g));
            }
            Pattern::Glob(g) if !g.contains('*') => {
                let _ = write!(self.out, "Pattern::Exact({})", lit(g));
            }
            Pattern::Glob(g) if g.chars().all(|c| c == '*') => self.push("Pattern::Any"),
            // A star-only glob: a function of straight-line constant code, as in small sets
            // (a set has a few hundred distinct resource globs at most, each compiled once).
            Pattern::Glob(g) => {
                let i = self.globs.index(g.clone());
                let _ = write!(self.out, "Pattern::Matcher(__g{i})");
            }
            Pattern::Template(parts) => {
                self.push("Pattern::Template(");
                self.parts(parts);
                self.push(")");
            }
        }
    }

    /// The functions of [`W::globs`].
    fn glob_fns(&mut self) {
        let globs = std::mem::take(&mut self.globs);
        for (i, g) in globs.items.iter().enumerate() {
            let test = crate::codegen::star_chain(&quote::quote!(__rt), g, &quote::quote!(input));
            let _ = writeln!(self.out, "fn __g{i}(input: &str) -> bool {{ {test} }}");
        }
        self.globs = globs;
    }

    fn parts(&mut self, parts: &[Part]) {
        self.list(parts, |w, p| match p {
            Part::Text(t) => {
                let _ = write!(w.out, "Part::Text({})", lit(t));
            }
            Part::Star => w.push("Part::Star"),
            Part::AnyChar => w.push("Part::AnyChar"),
            Part::Var(v) => {
                w.push("Part::Var(");
                w.var(v);
                w.push(")");
            }
        });
    }

    fn var(&mut self, v: &Var) {
        let _ = write!(
            self.out,
            "Var {{ slot: {}, default: {} }}",
            v.slot,
            opt_lit(v.default.as_deref())
        );
    }

    fn mode(&mut self, m: Mode) {
        if m == Mode::PLAIN {
            self.push("Mode::PLAIN");
            return;
        }
        let q = match m.qualifier {
            Qualifier::Single => "Single",
            Qualifier::ForAllValues => "ForAllValues",
            Qualifier::ForAnyValue => "ForAnyValue",
        };
        let _ = write!(
            self.out,
            "Mode {{ negated: {}, qualifier: Qualifier::{q}, if_exists: {} }}",
            m.negated, m.if_exists
        );
    }

    fn condition(&mut self, c: &Condition) {
        let _ = write!(self.out, "Cond {{ slot: {}, mode: ", c.slot);
        self.mode(c.mode);
        self.push(", vars: ");
        self.list(&c.vars, |w, v| w.var(v));
        self.push(", test: ");
        match &c.test {
            Test::Equals {
                ignore_case,
                constants,
                templates,
            } => {
                let _ = write!(
                    self.out,
                    "Test::Equals {{ ignore_case: {ignore_case}, constants: "
                );
                self.strs(constants);
                self.push(", templates: ");
                self.list(templates, |w, t| w.parts(t));
                self.push(" }");
            }
            Test::Like(pats) => {
                self.push("Test::Like(");
                self.list(pats, |w, p| w.pattern(p));
                self.push(")");
            }
            Test::Arn(pats) => {
                self.push("Test::Arn(");
                self.list(pats, |w, p| w.parts(p));
                self.push(")");
            }
            Test::Number(cmp, values) => {
                let _ = write!(self.out, "Test::Number(Cmp::{}, ", cmp_name(*cmp));
                self.list(values, |w, v| w.push(&f64_text(*v)));
                self.push(")");
            }
            Test::Date(cmp, values) => {
                let _ = write!(self.out, "Test::Date(Cmp::{}, ", cmp_name(*cmp));
                self.list(values, |w, v| {
                    let _ = write!(w.out, "__rt::Timestamp({}i64)", v.millis());
                });
                self.push(")");
            }
            Test::Bool(values) => {
                self.push("Test::Bool(");
                self.list(values, |w, b| w.push(if *b { "true" } else { "false" }));
                self.push(")");
            }
            Test::Binary(values) => {
                self.push("Test::Binary(");
                self.strs(values);
                self.push(")");
            }
            Test::Ip(blocks) => {
                self.push("Test::Ip(");
                self.list(blocks, |w, b| {
                    let (ctor, bits) = if b.is_v6() {
                        ("v6", format!("{}u128", b.bits()))
                    } else {
                        ("v4", format!("{}u32", b.bits() as u32))
                    };
                    let _ = write!(
                        w.out,
                        "match __rt::ip::Cidr::{ctor}({bits}, {}) {{ Some(c) => c, None => panic!(\"invalid CIDR\") }}",
                        b.prefix()
                    );
                });
                self.push(")");
            }
            Test::Null {
                want_missing,
                want_present,
            } => {
                let _ = write!(
                    self.out,
                    "Test::Null {{ want_missing: {want_missing}, want_present: {want_present} }}"
                );
            }
        }
        self.push(" }");
    }
}

/// The `KeyInfo` of a key, as code.
fn key_info(k: &crate::ir::Key) -> String {
    let tag = match &k.tag {
        Some((f, t)) => format!("Some((__rt::TagFamily::{}, {}))", family(*f), lit(t)),
        None => "None".to_string(),
    };
    let builtin = match k.builtin {
        Some(b) => format!("Some(__rt::slots::Builtin::{b:?})"),
        None => "None".to_string(),
    };
    format!(
        "__rt::slots::KeyInfo {{ name: {}, tag: {tag}, builtin: {builtin}, aliased: {} }}",
        lit(&k.name),
        !k.aliases.is_empty()
    )
}

fn cmp_name(cmp: Cmp) -> &'static str {
    match cmp {
        Cmp::Eq => "Eq",
        Cmp::Lt => "Lt",
        Cmp::Le => "Le",
        Cmp::Gt => "Gt",
        Cmp::Ge => "Ge",
    }
}

fn family(f: TagFamily) -> &'static str {
    match f {
        TagFamily::Principal => "Principal",
        TagFamily::Resource => "Resource",
        TagFamily::Request => "Request",
    }
}
