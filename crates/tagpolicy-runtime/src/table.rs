//! A compiled policy as static data: the form the code generator emits for large policy sets.
//!
//! Thousands of statements as thousands of functions cost rustc minutes; as constant descriptors
//! they cost it seconds. Here every statement is a [`Stmt`] (resource globs split at `*` at build
//! time, each condition as operator mode, slot and constant values), the action dispatch is two
//! name maps to [`Bucket`]s of statement indices, and one function, [`evaluate`], decides a
//! request by walking that data. It is compiled once, in this crate, for every policy set.
//!
//! It executes what the compiler's IR decided and nothing else: the data mirrors the IR one to
//! one, and conditions go through [`crate::cond`] exactly as the run-time evaluator's do. Like
//! everything in this crate, it never allocates and never panics.
//!
//! The types are public so that generated `static`s can name them; they are not a stable API.

use core::cell::OnceCell;

use crate::arn;
use crate::compiled::{NameMap, StaticKeys};
use crate::cond::{self, Cmp, Mode};
use crate::decision::{Decision, StatementRef};
use crate::glob::{self, Piece};
use crate::grants::UsedGrants;
use crate::ip::Cidr;
use crate::request::{Request, Scalar};
use crate::scalar;
use crate::slots::{self, Slots};
use crate::time::Timestamp;

/// Entries of the slot table of a tabled policy (see [`Slots`]): a set with more keys shares them.
pub const SLOT_CAPACITY: usize = 8;

/// Up to this many constants a `StringEquals` list is compared one by one; above, it is searched
/// (it is sorted). [`FastText`]s have at most this many.
pub const LINEAR_CONSTANTS: usize = 8;

type TableSlots<'r> = Slots<'r, SLOT_CAPACITY>;

/// A whole policy set as data.
///
/// Statements are rows of numbers; what they share (resource elements, condition lists, …) is
/// stored once, in pools the rows index. rustc checks and evaluates a `static` of plain rows
/// about fifty times faster than one of nested slices and enums per statement, and generated
/// sets repeat their patterns and conditions a lot.
#[derive(Debug)]
pub struct Table {
    /// Key names → slots.
    pub keys: StaticKeys,
    /// Lower-cased action names written without wildcards → index in `buckets`.
    pub actions: NameMap,
    /// Lower-cased service prefixes → index in `buckets`.
    pub services: NameMap,
    /// The candidate lists the two maps select.
    pub buckets: &'static [Bucket],
    /// The candidates for an action neither map names.
    pub fallback: Bucket,
    /// Every statement, by flat index.
    pub statements: &'static [Stmt],
    /// The `Sid`s of statements ([`Stmt::sid`]).
    pub sids: &'static [&'static str],
    /// The distinct action elements ([`Stmt::actions`]).
    pub action_elements: &'static [Actions],
    /// The distinct principal elements ([`Stmt::principals`]).
    pub principal_elements: &'static [Principals],
    /// The distinct resource elements ([`Stmt::resources`]).
    pub resource_elements: &'static [Resources],
    /// The distinct condition lists ([`Stmt::conditions`]).
    pub condition_lists: &'static [&'static [Cond]],
    /// For each policy, the flat index of its first statement.
    pub policy_offsets: &'static [u32],
    /// For each statement (flat index), the slots of the principal tag keys it reads; empty when
    /// no statement reads one.
    pub grant_slots: &'static [&'static [u16]],
    /// For each slot, the search for its key by a generated function (see [`Reader`]); `None`
    /// (or a slot past the end) for keys with aliases, which go through the slot table, and
    /// where the generic search is used.
    pub readers: &'static [Option<Reader>],
    /// For each slot, the `StringEquals`-family test of its key by a generated function (see
    /// [`TextReader`]); `None` (or a slot past the end) for keys with aliases and where
    /// [`Table::readers`] and [`cond::text_in`] are used instead.
    pub text_readers: &'static [Option<TextReader>],
    /// The statements of the common shape, flattened ([`Stmt::fast`]).
    pub fast: &'static [Fast],
}

/// [`cond::text_in`]`(mode, `[`slots::lookup`]`(request, key), constants, extra, ignore_case)`
/// of one key, generated with the key's names as constants (see [`Reader`]): the value is
/// compared where it is found.
pub type TextReader = fn(&Request<'_>, Mode, &[&str], Option<&str>, bool) -> bool;

/// [`slots::lookup`] of one key, generated with the key's names as constants: the same search,
/// but its comparisons are against constant lengths and words, which costs about half of the
/// generic search through a [`slots::KeyInfo`] read from the table.
pub type Reader = for<'r> fn(&'r Request<'r>) -> slots::Resolved<'r>;

/// The statements a request's action selects, in statement order.
#[derive(Debug)]
pub struct Bucket {
    /// Whether every listed statement is already known to cover the action (an exact name's
    /// bucket): then their action elements are not checked again.
    pub known: bool,
    /// Flat statement indices, ascending.
    pub statements: &'static [u32],
}

/// One statement: numbers, most of them indices into the pools of its [`Table`]. An index
/// outside its pool (which generated code never writes) makes the statement apply if it is a
/// `Deny` and not if it is an `Allow`: in doubt, deny.
#[derive(Debug)]
pub struct Stmt {
    /// Index of its policy.
    pub policy: u32,
    /// Index within its policy.
    pub statement: u32,
    /// Its `Sid` in [`Table::sids`], or [`NO_SID`].
    pub sid: u32,
    /// `Deny` rather than `Allow`.
    pub deny: bool,
    /// Its action element in [`Table::action_elements`], checked only in buckets that do not
    /// know the action.
    pub actions: u32,
    /// Its principal element in [`Table::principal_elements`].
    pub principals: u32,
    /// Its resource element in [`Table::resource_elements`].
    pub resources: u32,
    /// Its conditions (all must hold) in [`Table::condition_lists`].
    pub conditions: u32,
    /// The same statement in [`Table::fast`], or [`NO_FAST`]: what the walker reads when the
    /// bucket knows the action (the elements above are then not decoded).
    pub fast: u32,
}

/// [`Stmt::fast`] of a statement not of the common shape.
pub const NO_FAST: u32 = u32::MAX;

/// A statement of the common shape of large sets, flattened at build time from the same IR as
/// its elements: any principal, an action element only ever selected through buckets that know
/// the action, at most one condition (a `StringEquals`-family test of a key without aliases
/// against a few constants and at most one policy variable) and a resource element that is
/// `"*"` or one star-only glob.
#[derive(Debug)]
pub struct Fast {
    /// Its condition, if it has one.
    pub text: Option<FastText>,
    /// The glob of its resource element ([`Pattern::Matcher`]), or `None` for `"*"`.
    pub resource: Option<fn(&str) -> bool>,
}

/// The condition of a [`Fast`] statement: `test(request, mode, constants, variable's value,
/// ignore_case)`.
#[derive(Debug)]
pub struct FastText {
    /// The [`TextReader`] of the condition's key.
    pub test: TextReader,
    /// Negation, qualifier, `IfExists`.
    pub mode: Mode,
    /// The constant values, sorted, at most [`LINEAR_CONSTANTS`].
    pub constants: &'static [&'static str],
    /// The one policy variable among the values, if any: the condition fails when it has no
    /// value.
    pub variable: Option<Var>,
    /// Whether case is ignored.
    pub ignore_case: bool,
}

/// [`Stmt::sid`] of a statement without `Sid`.
pub const NO_SID: u32 = u32::MAX;

/// The action element of a statement.
#[derive(Debug)]
pub enum Actions {
    /// Only ever selected through buckets that know the action (never checked).
    Indexed,
    /// `"Action": "*"`.
    Any,
    /// `Action`: any pattern matches.
    Is(&'static [ActionPattern]),
    /// `NotAction`: no pattern matches.
    Not(&'static [ActionPattern]),
}

/// A lower-case action pattern, matched ASCII-case-insensitively.
#[derive(Debug)]
pub enum ActionPattern {
    /// Only `*`: every action.
    Any,
    /// Split at `*` ([`glob::matches_stars_folded`]; one part is a plain name).
    Stars(&'static [&'static str]),
    /// With `?` ([`glob::matches_ascii_case_insensitive`]).
    Glob(&'static str),
}

/// The principal element.
#[derive(Debug)]
pub enum Principals {
    /// No principal element, or `"*"`.
    Any,
    /// The request's principal is one of these.
    Is(&'static [&'static str]),
    /// The request's principal is none of these (`"*"` among them: there is no principal).
    Not(&'static [&'static str]),
}

/// The resource element.
#[derive(Debug)]
pub enum Resources {
    /// `"Resource": "*"`.
    Any,
    /// `Resource`: any pattern matches.
    Is(&'static [Pattern]),
    /// `NotResource`: no pattern matches (a pattern whose variable has no value is no answer,
    /// so the element does not match).
    Not(&'static [Pattern]),
}

/// A case-sensitive pattern with `*` and `?` wildcards.
#[derive(Debug)]
pub enum Pattern {
    /// Only `*`: everything.
    Any,
    /// No wildcard: the text itself.
    Exact(&'static str),
    /// `*` wildcards only, decided by a generated function of constant code (the pattern split
    /// at `*` at build time into [`glob::star_span`] and [`glob::star_after`] calls).
    Matcher(fn(&str) -> bool),
    /// With `?` ([`glob::matches`]).
    Glob(&'static str),
    /// With policy variables.
    Template(&'static [Part]),
}

/// A piece of a pattern or template.
#[derive(Debug)]
pub enum Part {
    /// Literal text.
    Text(&'static str),
    /// `*` (patterns only).
    Star,
    /// `?` (patterns only).
    AnyChar,
    /// A policy variable.
    Var(Var),
}

/// A policy variable: the single string value of a slot's key, else the default.
#[derive(Debug)]
pub struct Var {
    /// The slot of its key.
    pub slot: u16,
    /// Its default.
    pub default: Option<&'static str>,
}

/// One condition.
#[derive(Debug)]
pub struct Cond {
    /// The key's slot.
    pub slot: u16,
    /// Negation, qualifier, `IfExists`.
    pub mode: Mode,
    /// Every variable the values use: if one has no value, the condition fails.
    pub vars: &'static [Var],
    /// What is compared.
    pub test: Test,
}

/// What a condition compares, in the operator's positive form (see the compiler's IR).
#[derive(Debug)]
pub enum Test {
    /// `StringEquals` / `StringEqualsIgnoreCase`.
    Equals {
        /// Whether case is ignored.
        ignore_case: bool,
        /// Constant values, sorted, without duplicates.
        constants: &'static [&'static str],
        /// Values with variables (text and variables only).
        templates: &'static [&'static [Part]],
    },
    /// `StringLike`.
    Like(&'static [Pattern]),
    /// The ARN operators.
    Arn(&'static [&'static [Part]]),
    /// The numeric operators.
    Number(Cmp, &'static [f64]),
    /// The date operators.
    Date(Cmp, &'static [Timestamp]),
    /// `Bool`.
    Bool(&'static [bool]),
    /// `BinaryEquals`.
    Binary(&'static [&'static str]),
    /// `IpAddress`.
    Ip(&'static [Cidr]),
    /// `Null`.
    Null {
        /// `true` is among the values.
        want_missing: bool,
        /// `false` is among the values.
        want_present: bool,
    },
}

/// Decides a request against a tabled policy set; with `Some(used)`, also names there the
/// grants the deciding statement relied on.
pub fn evaluate<'r>(
    table: &'static Table,
    request: &Request<'r>,
    used: Option<&mut UsedGrants<'r>>,
) -> Decision<'static> {
    let slots = OnceCell::new();
    let decision = decide(table, request, &slots);
    if let Some(used) = used {
        slots::name_deciding_grants(
            &table.keys,
            request,
            &decision,
            table.policy_offsets,
            table.grant_slots,
            used,
        );
    }
    decision
}

/// The request and its slot table, made on first need.
struct Env<'a, 'r> {
    table: &'static Table,
    request: &'r Request<'r>,
    slots: &'a OnceCell<TableSlots<'r>>,
    /// What constant resource elements answered for this request (see [`ResourceMemo`]).
    resources: ResourceMemo,
}

/// Entries of [`ResourceMemo`].
const RESOURCE_MEMO: usize = 8;

/// The answers of resource elements without policy variables for one request, by element
/// index: statements of one bucket often share their resource element (one service, a few
/// resource types), and its globs then run once per decision. Direct-mapped: element `e` uses
/// entry `e mod 8`, tagged with `e + 1` (0 is empty), the answer in the low bit.
struct ResourceMemo([u64; RESOURCE_MEMO]);

impl ResourceMemo {
    const EMPTY: ResourceMemo = ResourceMemo([0; RESOURCE_MEMO]);

    /// The remembered answer of element `e`, or `answer()` remembered.
    #[inline]
    fn get_or(&mut self, e: u32, answer: impl FnOnce() -> bool) -> bool {
        let tag = u64::from(e).saturating_add(1) << 1;
        let Some(entry) = self.0.get_mut(e as usize % RESOURCE_MEMO) else {
            return answer();
        };
        if *entry & !1 == tag {
            return *entry & 1 == 1;
        }
        let a = answer();
        *entry = tag | u64::from(a);
        a
    }
}

impl<'r> Env<'_, 'r> {
    #[inline]
    fn values(&self) -> Values<'_, 'r> {
        Values {
            request: self.request,
            slots: self.slots,
            keys: &self.table.keys,
            readers: self.table.readers,
            text_readers: self.table.text_readers,
        }
    }
}

/// Reads the request's keys.
#[derive(Clone, Copy)]
struct Values<'s, 'r> {
    request: &'r Request<'r>,
    /// Made on the first read of a key with aliases.
    slots: &'s OnceCell<TableSlots<'r>>,
    keys: &'static StaticKeys,
    readers: &'static [Option<Reader>],
    text_readers: &'static [Option<TextReader>],
}

impl<'r> Values<'_, 'r> {
    /// The value(s) of a slot's key. A key without aliases is searched for directly
    /// ([`slots::lookup`], the slot table's own search): in a large set the statements of one
    /// bucket mostly read different keys, so remembering where each was found costs more than it
    /// saves. Keys with aliases go through the slot table, which knows them.
    #[inline(always)]
    fn get(self, slot: u16) -> slots::Resolved<'r> {
        match self.keys.infos.get(usize::from(slot)) {
            Some(info) if !info.aliased => self.search(slot, info),
            _ => self.through_table(slot),
        }
    }

    /// [`slots::lookup`] of a key without aliases: by its generated [`Reader`] if it has one.
    #[inline(always)]
    fn search(self, slot: u16, info: &slots::KeyInfo<'_>) -> slots::Resolved<'r> {
        match self.readers.get(usize::from(slot)) {
            Some(Some(read)) => read(self.request),
            _ => generic_lookup(self.request, info),
        }
    }

    /// [`Values::get`] through the slot table.
    #[inline(never)]
    fn through_table(self, slot: u16) -> slots::Resolved<'r> {
        self.slots
            .get_or_init(|| Slots::resolve(self.keys, self.request))
            .get(self.keys, slot)
    }

    /// The value a policy variable stands for, if any.
    #[inline]
    fn variable(self, v: &Var) -> Option<&'r str> {
        cond::variable(self.get(v.slot), v.default)
    }
}

fn decide<'r>(
    table: &'static Table,
    request: &'r Request<'r>,
    slots: &OnceCell<TableSlots<'r>>,
) -> Decision<'static> {
    let index = table.actions.get(request.action).or_else(|| {
        let (service, _) = request.action.split_once(':')?;
        table.services.get(service)
    });
    let bucket = match index {
        Some(i) => match table.buckets.get(i as usize) {
            Some(b) => b,
            None => &table.fallback,
        },
        None => &table.fallback,
    };
    let mut env = Env {
        table,
        request,
        slots,
        resources: ResourceMemo::EMPTY,
    };
    // The first Allow that applies; after it, only Denies are looked at.
    let mut allow: Option<&'static Stmt> = None;
    for &id in bucket.statements {
        let Some(st) = table.statements.get(id as usize) else {
            continue;
        };
        if (st.deny || allow.is_none()) && applies(st, bucket.known, &mut env) {
            if st.deny {
                return Decision::Deny(statement_ref(table, st));
            }
            allow = Some(st);
        }
    }
    match allow {
        Some(st) => Decision::Allow(statement_ref(table, st)),
        None => Decision::ImplicitDeny,
    }
}

fn statement_ref(table: &'static Table, st: &Stmt) -> StatementRef<'static> {
    StatementRef {
        policy: st.policy,
        statement: st.statement,
        sid: table.sids.get(st.sid as usize).copied(),
    }
}

/// Whether a statement applies to the request: action (unless known), principal, every
/// condition, then resource.
#[inline(always)]
fn applies(st: &Stmt, action_known: bool, env: &mut Env<'_, '_>) -> bool {
    let (table, request) = (env.table, env.request);
    if action_known {
        if let Some(fast) = table.fast.get(st.fast as usize) {
            return fast_applies(fast, st, env);
        }
    }
    // In doubt (an index outside its pool), deny: a Deny applies, an Allow does not.
    let doubt = st.deny;
    let (Some(a), Some(p), Some(r), Some(conditions)) = (
        table.action_elements.get(st.actions as usize),
        table.principal_elements.get(st.principals as usize),
        table.resource_elements.get(st.resources as usize),
        table.condition_lists.get(st.conditions as usize),
    ) else {
        return doubt;
    };
    if !action_known && !actions_match(a, request.action) {
        return false;
    }
    if !matches!(p, Principals::Any) && !principals_match(p, request.principal) {
        return false;
    }
    // Conditions first: in a bucket, the statements that are not the request's mostly read a key
    // the request does not have, which is found out faster than a resource glob runs. (Every
    // test is a pure function of the request: their order changes nothing else.)
    let values = env.values();
    for c in *conditions {
        if !condition_holds(c, values) {
            return false;
        }
    }
    match r {
        Resources::Any => true,
        // The common element: one star-only glob, remembered (statements of a bucket share it).
        Resources::Is([Pattern::Matcher(matches)]) => {
            let resource = request.resource;
            env.resources.get_or(st.resources, || matches(resource))
        }
        r => element_matches(r, st.resources, env),
    }
}

/// [`applies`] of a statement of the common shape.
#[inline(always)]
fn fast_applies(fast: &Fast, st: &Stmt, env: &mut Env<'_, '_>) -> bool {
    let request = env.request;
    if let Some(t) = &fast.text {
        let extra = match &t.variable {
            None => None,
            Some(v) => match env.values().variable(v) {
                Some(x) => Some(x),
                None => return false,
            },
        };
        if !(t.test)(request, t.mode, t.constants, extra, t.ignore_case) {
            return false;
        }
    }
    match fast.resource {
        None => true,
        Some(matches) => {
            let resource = request.resource;
            env.resources.get_or(st.resources, || matches(resource))
        }
    }
}

/// Whether a resource element matches: remembered if it has no policy variables.
#[inline(never)]
fn element_matches(r: &Resources, index: u32, env: &mut Env<'_, '_>) -> bool {
    let resource = env.request.resource;
    if has_template(r) {
        return resources_match(r, resource, env);
    }
    env.resources
        .get_or(index, || constant_resources_match(r, resource))
}

#[inline(never)]
fn actions_match(a: &Actions, action: &str) -> bool {
    let any = |pats: &[ActionPattern]| {
        pats.iter().any(|p| match p {
            ActionPattern::Any => true,
            ActionPattern::Stars(parts) => glob::matches_stars_folded(parts, action),
            ActionPattern::Glob(g) => glob::matches_ascii_case_insensitive(g, action),
        })
    };
    match a {
        Actions::Indexed | Actions::Any => true,
        Actions::Is(pats) => any(pats),
        Actions::Not(pats) => !any(pats),
    }
}

#[inline(never)]
fn principals_match(p: &Principals, principal: Option<&str>) -> bool {
    match p {
        Principals::Any => true,
        Principals::Is(values) => principal.is_some_and(|who| values.contains(&who)),
        Principals::Not(values) => {
            principal.is_none_or(|who| !values.iter().any(|v| *v == "*" || *v == who))
        }
    }
}

/// Whether a resource element uses policy variables (its answer then depends on more than the
/// resource).
fn has_template(r: &Resources) -> bool {
    match r {
        Resources::Any => false,
        Resources::Is(pats) | Resources::Not(pats) => {
            pats.iter().any(|p| matches!(p, Pattern::Template(_)))
        }
    }
}

/// [`resources_match`] of an element without policy variables.
fn constant_resources_match(r: &Resources, resource: &str) -> bool {
    match r {
        Resources::Any => true,
        Resources::Is(pats) => pats.iter().any(|p| constant_pattern_matches(p, resource)),
        Resources::Not(pats) => !pats.iter().any(|p| constant_pattern_matches(p, resource)),
    }
}

fn resources_match(r: &Resources, resource: &str, env: &mut Env<'_, '_>) -> bool {
    match r {
        Resources::Any => true,
        Resources::Is(pats) => pats
            .iter()
            .any(|p| pattern_matches(p, resource, env) == Some(true)),
        Resources::Not(pats) => pats
            .iter()
            .all(|p| pattern_matches(p, resource, env) == Some(false)),
    }
}

/// `Some(matched)`, or `None` when a variable of the pattern has no value.
fn pattern_matches(p: &Pattern, input: &str, env: &mut Env<'_, '_>) -> Option<bool> {
    match p {
        Pattern::Template(parts) => {
            let values = env.values();
            with_pieces(parts, values, |pieces| {
                glob::matches_star_pieces(pieces, input)
            })
        }
        p => Some(constant_pattern_matches(p, input)),
    }
}

/// A pattern without variables (`false` for a template).
fn constant_pattern_matches(p: &Pattern, input: &str) -> bool {
    match p {
        Pattern::Any => true,
        Pattern::Exact(text) => *text == input,
        Pattern::Matcher(matches) => matches(input),
        Pattern::Glob(g) => glob::matches(g, input),
        Pattern::Template(_) => false,
    }
}

/// Substitutes variables into parts, then hands the pieces to `f`: `None` if a variable has no
/// value (or there are more pieces than [`glob::MAX_TEMPLATE_PARTS`]).
fn with_pieces<R>(
    parts: &[Part],
    values: Values<'_, '_>,
    f: impl FnOnce(&[Piece<'_>]) -> R,
) -> Option<R> {
    let pieces = parts.iter().map(|part| match part {
        Part::Text(t) => Some(Piece::Text(t)),
        Part::Star => Some(Piece::Star),
        Part::AnyChar => Some(Piece::AnyChar),
        Part::Var(v) => values.variable(v).map(Piece::Text),
    });
    glob::with_pieces(pieces, f)
}

/// Whether a template of text and variables equals `input`.
fn template_equals(parts: &[Part], input: &str, ignore_case: bool, values: Values<'_, '_>) -> bool {
    let texts = parts.iter().map(|part| match part {
        Part::Text(t) => Some(*t),
        Part::Var(v) => values.variable(v),
        Part::Star | Part::AnyChar => None,
    });
    scalar::template_equals(texts, input, ignore_case)
}

/// Whether one condition holds for the request.
#[inline(always)]
fn condition_holds(c: &Cond, values: Values<'_, '_>) -> bool {
    // The common large-set conditions: a key without aliases equals one of a few constants, or
    // the value of one policy variable (`${aws:username}`; the condition's only variable, so it
    // is read once).
    if let Test::Equals {
        ignore_case,
        constants,
        templates,
    } = &c.test
    {
        if let Some(info) = values.keys.infos.get(usize::from(c.slot)) {
            if constants.len() <= LINEAR_CONSTANTS && !info.aliased {
                let extra = match (*templates, c.vars) {
                    ([], []) => Some(None),
                    ([[Part::Var(v)]], [w]) if v.slot == w.slot && v.default == w.default => {
                        match values.variable(v) {
                            Some(x) => Some(Some(x)),
                            None => return false,
                        }
                    }
                    _ => None,
                };
                if let Some(extra) = extra {
                    if let Some(Some(test)) = values.text_readers.get(usize::from(c.slot)) {
                        return test(values.request, c.mode, constants, extra, *ignore_case);
                    }
                    return text_condition(
                        values,
                        c.slot,
                        info,
                        c.mode,
                        constants,
                        extra,
                        *ignore_case,
                    );
                }
            }
        }
    }
    any_condition_holds(c, values)
}

/// [`condition_holds`] of any condition.
#[inline(never)]
fn any_condition_holds(c: &Cond, values: Values<'_, '_>) -> bool {
    if !c.vars.iter().all(|v| values.variable(v).is_some()) {
        return false;
    }
    let value = values.get(c.slot);
    match &c.test {
        Test::Null {
            want_missing,
            want_present,
        } => cond::null(value, *want_missing, *want_present),
        test => cond::check(c.mode, value, |s| matches_any(test, s, values)),
    }
}

/// [`slots::lookup`] through a `KeyInfo` read from the table (for keys without a [`Reader`]).
#[inline(never)]
fn generic_lookup<'r>(request: &'r Request<'r>, info: &slots::KeyInfo<'_>) -> slots::Resolved<'r> {
    slots::lookup(request, info)
}

/// [`cond::text_in`] of a key without aliases: the search and the comparison in one small
/// function, so that the value found is compared where it is found.
#[inline(never)]
fn text_condition(
    values: Values<'_, '_>,
    slot: u16,
    info: &slots::KeyInfo<'_>,
    mode: Mode,
    constants: &[&str],
    extra: Option<&str>,
    ignore_case: bool,
) -> bool {
    cond::text_in(
        mode,
        values.search(slot, info),
        constants,
        extra,
        ignore_case,
    )
}

/// Does one request value match at least one of the test's values (positive form)?
fn matches_any(test: &Test, s: Scalar<'_>, values: Values<'_, '_>) -> Option<bool> {
    match test {
        Test::Equals {
            ignore_case,
            constants,
            templates,
        } => {
            let text = cond::as_text(s)?;
            let in_constants = if *ignore_case {
                constants.iter().any(|c| scalar::eq_ignore_case(c, text))
            } else {
                constants.binary_search(&text).is_ok()
            };
            Some(
                in_constants
                    || templates
                        .iter()
                        .any(|t| template_equals(t, text, *ignore_case, values)),
            )
        }
        Test::Like(pats) => {
            let text = cond::as_text(s)?;
            Some(pats.iter().any(|p| match p {
                Pattern::Template(parts) => {
                    with_pieces(parts, values, |pieces| {
                        glob::matches_star_pieces(pieces, text)
                    }) == Some(true)
                }
                p => constant_pattern_matches(p, text),
            }))
        }
        Test::Arn(pats) => {
            let text = cond::as_arn(s)?;
            Some(pats.iter().any(|parts| {
                with_pieces(parts, values, |pieces| {
                    arn::arn_matches(pieces, text) == Some(true)
                }) == Some(true)
            }))
        }
        Test::Number(cmp, numbers) => cond::number_any(s, *cmp, numbers),
        Test::Date(cmp, times) => cond::time_any(s, *cmp, times),
        Test::Bool(bools) => cond::bool_any(s, bools),
        Test::Binary(texts) => {
            let text = cond::as_text(s)?;
            Some(texts.contains(&text))
        }
        Test::Ip(blocks) => cond::ip_in_any(s, blocks),
        Test::Null { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Value;
    use crate::slots::KeyInfo;

    /// `arn:aws:s3:::*/*`, as generated code writes it.
    fn in_a_bucket(input: &str) -> bool {
        glob::star_span(input.as_bytes(), b"arn:aws:s3:::", b"")
            .and_then(|rest| glob::star_after(rest, b"/"))
            .is_some()
    }

    /// `s3:getobject` selects statements 0 and 1; any other action the fallback, statement 2.
    static TABLE: Table = Table {
        keys: StaticKeys {
            names: NameMap::Small(&[("aws:resourcetag/team", 0)]),
            builtins: [None; 3],
            infos: &[KeyInfo {
                name: "aws:resourcetag/team",
                tag: Some((crate::TagFamily::Resource, "team")),
                builtin: None,
                aliased: false,
            }],
        },
        actions: NameMap::Small(&[("s3:getobject", 0)]),
        services: NameMap::Small(&[]),
        buckets: &[Bucket {
            known: true,
            statements: &[0, 1],
        }],
        fallback: Bucket {
            known: false,
            statements: &[2],
        },
        statements: &[
            // Deny unless the resource is tagged team=ops.
            Stmt {
                policy: 0,
                statement: 0,
                sid: 0,
                deny: true,
                actions: 0,
                principals: 0,
                resources: 0,
                conditions: 1,
                fast: NO_FAST,
            },
            Stmt {
                policy: 0,
                statement: 1,
                sid: NO_SID,
                deny: false,
                actions: 0,
                principals: 0,
                resources: 1,
                conditions: 0,
                fast: NO_FAST,
            },
            // Broken: its resource element is missing. An Allow, so it never applies.
            Stmt {
                policy: 0,
                statement: 2,
                sid: NO_SID,
                deny: false,
                actions: 1,
                principals: 0,
                resources: 9,
                conditions: 0,
                fast: NO_FAST,
            },
        ],
        sids: &["NotOps"],
        action_elements: &[
            Actions::Indexed,
            Actions::Is(&[ActionPattern::Stars(&["s3:", ""])]),
        ],
        principal_elements: &[Principals::Any],
        resource_elements: &[
            Resources::Any,
            Resources::Is(&[Pattern::Matcher(in_a_bucket)]),
        ],
        condition_lists: &[
            &[],
            &[Cond {
                slot: 0,
                mode: Mode {
                    negated: true,
                    qualifier: cond::Qualifier::Single,
                    if_exists: false,
                },
                vars: &[],
                test: Test::Equals {
                    ignore_case: false,
                    constants: &["ops"],
                    templates: &[],
                },
            }],
        ],
        policy_offsets: &[0],
        grant_slots: &[],
        readers: &[],
        text_readers: &[],
        fast: &[],
    };

    #[test]
    fn walks_the_bucket_of_the_action() {
        let ops = [("Team", "ops")];
        let req = Request::new("S3:GetObject", "arn:aws:s3:::b/k").with_resource_tags(&ops);
        let d = evaluate(&TABLE, &req, None);
        assert_eq!(d.statement().map(|s| s.statement), Some(1));
        assert!(d.is_allowed());

        let dev = [("aws:ResourceTag/team", Value::Str("dev"))];
        let req = Request::new("s3:getobject", "arn:aws:s3:::b/k").with_context(&dev);
        let d = evaluate(&TABLE, &req, None);
        assert_eq!(
            d,
            Decision::Deny(StatementRef {
                policy: 0,
                statement: 0,
                sid: Some("NotOps")
            })
        );
    }

    #[test]
    fn in_doubt_an_allow_does_not_apply() {
        let req = Request::new("s3:PutObject", "arn:aws:s3:::b/k");
        assert_eq!(evaluate(&TABLE, &req, None), Decision::ImplicitDeny);
    }
}
