//! Resolving a request's keys to the slots of a policy, lazily, once per key and evaluation.
//!
//! A compiled policy numbers every condition key it mentions (case-folded) with a *slot*. The first
//! time a condition reads a slot, the request is searched for that one key — a granted tag first
//! (for `aws:PrincipalTag/k`), then the context, then the tag sets, then the values derived from the
//! request's time and tags — and where it was found is remembered in a table on the stack, so
//! every later read of the slot is one array read. A request is never searched for keys no
//! evaluated condition needs. Slots beyond the table's capacity are searched on every read (still
//! no allocation).

use core::cell::Cell;

use crate::grants::TagRow;
use crate::request::{Request, Scalar, Tag, TagFamily, Value};
use crate::time::Timestamp;

/// A key whose value comes from the request itself rather than from its context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    /// `aws:CurrentTime`, from the request's time.
    CurrentTime,
    /// `aws:EpochTime`, from the request's time, in seconds.
    EpochTime,
    /// `aws:TagKeys`, the keys of the request's tags.
    TagKeys,
}

impl Builtin {
    /// The built-in key of a lower-cased key name, if it is one.
    pub fn of(lower_name: &str) -> Option<Builtin> {
        match lower_name {
            "aws:currenttime" => Some(Builtin::CurrentTime),
            "aws:epochtime" => Some(Builtin::EpochTime),
            "aws:tagkeys" => Some(Builtin::TagKeys),
            _ => None,
        }
    }
}

/// What a slot stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyInfo<'k> {
    /// The key name, lower-cased (`aws:resourcetag/owner`).
    pub name: &'k str,
    /// For a tag key: its family and the lower-cased tag key (`owner`).
    pub tag: Option<(TagFamily, &'k str)>,
    /// For a built-in key: which.
    pub builtin: Option<Builtin>,
    /// Whether other names map to this slot too (service tag keys such as `iam:resourcetag/k`
    /// for `aws:resourcetag/k`): context keys are then matched through [`KeyTable::slot_of`].
    pub aliased: bool,
}

/// The keys of a policy and their slots. Implemented by the run-time evaluator's table and by
/// generated code (with perfect-hash maps).
pub trait KeyTable {
    /// How many slots there are.
    fn slot_count(&self) -> usize;
    /// The slot of a full key name, compared ASCII-case-insensitively.
    fn slot_of(&self, key: &str) -> Option<u16>;
    /// The slot of a tag key of a family, compared ASCII-case-insensitively.
    fn tag_slot_of(&self, family: TagFamily, tag_key: &str) -> Option<u16>;
    /// The slot of a built-in key, if the policy uses it.
    fn builtin_slot(&self, builtin: Builtin) -> Option<u16>;
    /// What a slot stands for.
    fn info(&self, slot: u16) -> KeyInfo<'_>;
}

/// The value(s) of one key in one request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved<'a> {
    /// The request does not have the key.
    Missing,
    /// A single value.
    One(Scalar<'a>),
    /// A multi-valued key.
    List(&'a [&'a str]),
    /// `aws:TagKeys` taken from the request's tags: the keys of these tags.
    TagKeys(&'a [Tag<'a>]),
}

impl<'a> Resolved<'a> {
    /// Reads a caller-supplied value.
    #[inline]
    pub fn of_value(value: &Value<'a>) -> Resolved<'a> {
        match *value {
            Value::Str(s) => Resolved::One(Scalar::Str(s)),
            Value::List(l) => Resolved::List(l),
            Value::Number(n) => Resolved::One(Scalar::Number(n)),
            Value::Bool(b) => Resolved::One(Scalar::Bool(b)),
            Value::Time(t) => Resolved::One(Scalar::Time(t)),
            Value::Ip(ip) => Resolved::One(Scalar::Ip(ip)),
        }
    }

    /// Whether the key is absent.
    pub fn is_missing(&self) -> bool {
        matches!(self, Resolved::Missing)
    }

    /// Whether the key is multi-valued (a list, even of one element).
    pub fn is_multi(&self) -> bool {
        matches!(self, Resolved::List(_) | Resolved::TagKeys(_))
    }

    /// The values one by one (none when missing).
    pub fn iter(&self) -> ResolvedIter<'a> {
        ResolvedIter {
            value: *self,
            next: 0,
        }
    }

    /// The single string value, if the key has exactly that: what a policy variable can use.
    /// A multi-valued key cannot be a policy variable; a boolean reads as `true`/`false`.
    pub fn as_variable(&self) -> Option<&'a str> {
        match *self {
            Resolved::One(Scalar::Str(s)) => Some(s),
            Resolved::One(Scalar::Bool(true)) => Some("true"),
            Resolved::One(Scalar::Bool(false)) => Some("false"),
            _ => None,
        }
    }
}

/// Iterator over the values of a [`Resolved`].
#[derive(Clone, Debug)]
pub struct ResolvedIter<'a> {
    value: Resolved<'a>,
    next: usize,
}

impl<'a> Iterator for ResolvedIter<'a> {
    type Item = Scalar<'a>;

    fn next(&mut self) -> Option<Scalar<'a>> {
        let i = self.next;
        self.next = i.saturating_add(1);
        match self.value {
            Resolved::Missing => None,
            Resolved::One(s) => (i == 0).then_some(s),
            Resolved::List(l) => l.get(i).map(|s| Scalar::Str(s)),
            Resolved::TagKeys(t) => t.get(i).map(|(k, _)| Scalar::Str(k)),
        }
    }
}

// A slot reference packs a source kind (top 4 bits) and an index (low 28 bits) into a u32.
const KIND_SHIFT: u32 = 28;
const INDEX_MASK: u32 = (1 << KIND_SHIFT) - 1;
const MISSING: u32 = 0;
const CONTEXT: u32 = 1;
const PRINCIPAL_TAG: u32 = 2;
const RESOURCE_TAG: u32 = 3;
const REQUEST_TAG: u32 = 4;
const CURRENT_TIME: u32 = 5;
const EPOCH_TIME: u32 = 6;
const TAG_KEYS: u32 = 7;
const GRANTED_TAG: u32 = 8;

#[inline]
fn pack(kind: u32, index: usize) -> Option<u32> {
    let index = u32::try_from(index).ok().filter(|i| *i <= INDEX_MASK)?;
    Some((kind << KIND_SHIFT) | index)
}

/// The slot table of one evaluation: where the request holds each key's value, found on the
/// key's first read. A direct-mapped table of `N` entries (slot `s` uses entry `s mod N`, tagged
/// with `s`): a policy with at most `N` keys never searches for a key twice; with more keys, two
/// that share an entry may be searched again (never confused). Its set-up cost is `N`, not the
/// number of keys, so a 10,000-statement set pays what a small one does. Build it with
/// [`Slots::resolve`], read it with [`Slots::get`].
#[derive(Clone, Debug)]
pub struct Slots<'a, const N: usize> {
    request: &'a Request<'a>,
    refs: [Cell<u64>; N],
}

/// An entry no slot has used: its tag (high half) is no `u16`.
const EMPTY_ENTRY: u64 = u64::MAX;

impl<'a, const N: usize> Slots<'a, N> {
    /// A slot table for `request`; no key is searched for until it is read.
    ///
    /// Precedence, for each key: a tag a counting grant gives (principal tags only), then the first
    /// context entry with that key, then the tag sets, then the built-in values derived from the
    /// request's time and tags.
    #[inline]
    pub fn resolve<K: KeyTable + ?Sized>(_keys: &K, request: &'a Request<'a>) -> Self {
        Slots {
            request,
            refs: [const { Cell::new(EMPTY_ENTRY) }; N],
        }
    }

    /// The request this table was built for.
    pub fn request(&self) -> &'a Request<'a> {
        self.request
    }

    /// The value(s) of a slot's key.
    #[inline]
    pub fn get<K: KeyTable + ?Sized>(&self, keys: &K, slot: u16) -> Resolved<'a> {
        self.decode(self.reference(keys, slot))
    }

    /// Where a slot's value is (packed), from the table or found now and remembered.
    #[inline]
    fn reference<K: KeyTable + ?Sized>(&self, keys: &K, slot: u16) -> u32 {
        let entry = usize::from(slot)
            .checked_rem(N)
            .and_then(|i| self.refs.get(i));
        match entry {
            Some(cell) => {
                let e = cell.get();
                if e >> 32 == u64::from(slot) {
                    return e as u32;
                }
                let r = self.locate(keys, slot);
                cell.set((u64::from(slot) << 32) | u64::from(r));
                r
            }
            None => self.locate(keys, slot),
        }
    }

    /// Searches the request for a slot's key: where its value is, packed, or [`MISSING`].
    fn locate<K: KeyTable + ?Sized>(&self, keys: &K, slot: u16) -> u32 {
        let info = keys.info(slot);
        locate(self.request, &info, |k| {
            info.aliased && keys.slot_of(k) == Some(slot)
        })
    }

    fn decode(&self, r: u32) -> Resolved<'a> {
        decode(self.request, r)
    }
}

/// The value(s) of one key in `request`, searched for without a slot table: what generated code
/// calls for a key that only one condition of the policy reads (so nothing would be gained by
/// remembering where it was found). `info` is a constant there, so the searches compare against
/// constant names. The precedence is [`Slots::get`]'s (it calls the same search). A key with
/// aliases (`aliased`) is only found under its own name here: such keys go through a slot table.
#[inline(always)]
pub fn lookup<'a>(request: &'a Request<'a>, info: &KeyInfo<'_>) -> Resolved<'a> {
    read_found(request, search(request, info, true, |_| false))
}

/// The value at what [`search`] found: read where it is (no packed reference in between).
#[inline(always)]
fn read_found<'a>(request: &'a Request<'a>, found: Option<(u32, usize)>) -> Resolved<'a> {
    match found {
        Some((kind, index)) => match u32::try_from(index) {
            Ok(i) if i <= INDEX_MASK => decode_at(request, kind, i),
            _ => Resolved::Missing,
        },
        None => Resolved::Missing,
    }
}

/// [`lookup`] of a principal tag key (`info.tag` is a principal tag) that notes in `reads`,
/// as key `note`, which grant (row of the grant table) gave its value or that none did: what
/// generated code calls, so that naming the deciding statement's grants reads the note instead
/// of searching the grants again ([`name_noted_grant`]). The value is [`lookup`]'s.
#[inline(always)]
pub fn lookup_noting<'a, const M: usize>(
    request: &'a Request<'a>,
    info: &KeyInfo<'_>,
    note: usize,
    reads: &GrantReads<M>,
) -> Resolved<'a> {
    if let Some((TagFamily::Principal, tag_key)) = info.tag {
        if !request.grants.is_empty() {
            let key = tag_key.as_bytes();
            let found = granted_in(request, key, crate::grants::key_prefix(key));
            // The value as `lookup` reads a granted tag (`decode_at`, through `tag_at`).
            let Some((value, grant)) = found.map(|(at, r)| request.grants.tag_of(at, r)) else {
                reads.note(note, None);
                return read_found(request, search(request, info, false, |_| false));
            };
            reads.note(note, Some(grant));
            return Resolved::One(Scalar::Str(value));
        }
    }
    read_found(request, search(request, info, false, |_| false))
}

/// Which grant gave each principal tag key one evaluation of generated code read, or that
/// none did, one note per key: generated code numbers the principal tag keys it looks up
/// directly (each read at one place of the set) `0..M`. Naming the deciding statement's grants
/// reads these notes, and searches the grants again only for a key without one. Interior
/// mutability, so that every condition of a statement can note through a shared reference.
#[derive(Clone, Debug)]
pub struct GrantReads<const M: usize> {
    /// Per key: 0 not noted, 1 read and no grant gave it, `g + 2` grant `g` gave it.
    notes: [Cell<u32>; M],
}

impl<const M: usize> GrantReads<M> {
    /// No notes.
    #[inline]
    pub const fn new() -> Self {
        GrantReads {
            notes: [const { Cell::new(0) }; M],
        }
    }

    /// Notes that key `key` (of `0..M`) was read, and which grant gave its value (`None`: none
    /// did). A grant numbered above `u32::MAX - 2` is not noted (its key is then searched for
    /// again); a key outside `0..M` neither.
    #[inline(always)]
    pub fn note(&self, key: usize, grant: Option<u32>) {
        let note = match grant {
            Some(g) => g.checked_add(2).unwrap_or(0),
            None => 1,
        };
        if let Some(n) = self.notes.get(key) {
            n.set(note);
        }
    }

    /// What is noted for key `key`: `Some(Some(grant))` if a grant gave its value, `Some(None)`
    /// if it was read and no grant gave it, `None` if it is not noted.
    #[inline(always)]
    pub fn get(&self, key: usize) -> Option<Option<u32>> {
        match self.notes.get(key).map(Cell::get) {
            None | Some(0) => None,
            Some(1) => Some(None),
            Some(n) => Some(Some(n.wrapping_sub(2))),
        }
    }
}

impl<const M: usize> Default for GrantReads<M> {
    fn default() -> Self {
        GrantReads::new()
    }
}

/// What one evaluation of generated code keeps: the slot table (made on first need) and the
/// notes of which grants gave the principal tags it read.
#[derive(Debug)]
pub struct EvalState<'r, const N: usize, const M: usize> {
    /// The slot table, once a statement needs it.
    pub table: Option<Slots<'r, N>>,
    /// Which grants gave the principal tags looked up directly.
    pub granted: GrantReads<M>,
}

impl<const N: usize, const M: usize> EvalState<'_, N, M> {
    /// Nothing yet.
    #[inline]
    pub const fn new() -> Self {
        EvalState {
            table: None,
            granted: GrantReads::new(),
        }
    }
}

impl<const N: usize, const M: usize> Default for EvalState<'_, N, M> {
    fn default() -> Self {
        EvalState::new()
    }
}

/// Searches `request` for the key `info` describes (or a context key `alias` accepts): where its
/// value is, packed, or [`MISSING`]. The precedence is [`search`]'s.
#[inline(always)]
fn locate(request: &Request<'_>, info: &KeyInfo<'_>, alias: impl Fn(&str) -> bool) -> u32 {
    search(request, info, true, alias)
        .and_then(|(kind, index)| pack(kind, index))
        .unwrap_or(MISSING)
}

/// Searches `request` for the key `info` describes (or a context key `alias` accepts): the kind
/// of source its value is in and the index there, or `None`. Precedence: a tag a counting grant
/// gives (principal tags only), the first context entry with that key, the tag sets, the
/// built-in values. With `grants` false, the grants are not searched (the caller has).
#[inline(always)]
fn search(
    request: &Request<'_>,
    info: &KeyInfo<'_>,
    grants: bool,
    alias: impl Fn(&str) -> bool,
) -> Option<(u32, usize)> {
    let req = request;
    if let Some((TagFamily::Principal, tag_key)) = info.tag {
        if grants && !req.grants.is_empty() {
            if let Some(row) = granted_row(req, tag_key) {
                return Some((GRANTED_TAG, row as usize));
            }
        }
    }
    // `info`'s names are lower-case (see [`KeyInfo`]): only the request's side is folded.
    let named = |k: &str| crate::bytes::eq_lower(info.name.as_bytes(), k.as_bytes()) || alias(k);
    // Plain loops rather than `position`: they are inlined where this is (which `position`'s
    // closures were not), so generated code compares against its constant names.
    for (i, (k, _)) in req.context.iter().enumerate() {
        if named(k) {
            return Some((CONTEXT, i));
        }
    }
    if let Some((family, tag_key)) = info.tag {
        let (tags, kind) = match family {
            TagFamily::Principal => (req.principal_tags, PRINCIPAL_TAG),
            TagFamily::Resource => (req.resource_tags, RESOURCE_TAG),
            TagFamily::Request => (req.request_tags, REQUEST_TAG),
        };
        for (i, (k, _)) in tags.iter().enumerate() {
            if crate::bytes::eq_lower(tag_key.as_bytes(), k.as_bytes()) {
                return Some((kind, i));
            }
        }
    }
    match info.builtin {
        Some(Builtin::CurrentTime) if req.time.is_some() => Some((CURRENT_TIME, 0)),
        Some(Builtin::EpochTime) if req.time.is_some() => Some((EPOCH_TIME, 0)),
        Some(Builtin::TagKeys) if !req.request_tags.is_empty() => Some((TAG_KEYS, 0)),
        _ => None,
    }
}

/// The row of the request's grant table whose tag `tag_key` (a principal tag, lower-case) a
/// counting grant gives. The key's prefix is computed here (a constant where the key is one)
/// and the search is out of line: only requests with grants search there, and inlined it would
/// make every caller's frame larger.
#[inline(always)]
fn granted_row(request: &Request<'_>, tag_key: &str) -> Option<u32> {
    let key = tag_key.as_bytes();
    granted_row_at(request, key, crate::grants::key_prefix(key))
}

/// [`granted_row`] once the key's prefix is known, inlined, with the row itself: what
/// [`lookup_noting`] calls (in generated code, for the principal tag keys that one condition
/// reads; measured, inlined there it costs a decision without grants nothing and saves one with
/// grants a call). Everything else calls it out of line ([`granted_row_at`]).
#[inline(always)]
fn granted_in<'a>(request: &Request<'a>, key: &[u8], prefix: u64) -> Option<(u32, &'a TagRow)> {
    let (Some(principal), Some(time)) = (request.principal, request.time) else {
        return None;
    };
    request
        .grants
        .counting_row_fast(key, prefix, principal, time, request)
}

/// [`granted_row`] once the key's prefix is known, out of line: only requests with grants search
/// there, and inlined into every key search it would make each caller larger.
#[inline(never)]
fn granted_row_at(request: &Request<'_>, key: &[u8], prefix: u64) -> Option<u32> {
    granted_in(request, key, prefix).map(|(row, _)| row)
}

/// The value(s) a packed reference from [`locate`] points at.
#[inline(always)]
fn decode<'a>(request: &'a Request<'a>, r: u32) -> Resolved<'a> {
    decode_at(request, r >> KIND_SHIFT, r & INDEX_MASK)
}

/// The value(s) at `index` of the source `kind` of `request`.
#[inline(always)]
fn decode_at<'a>(request: &'a Request<'a>, kind: u32, index: u32) -> Resolved<'a> {
    let req = request;
    let i = index as usize;
    let tag_value = |tags: &'a [Tag<'a>]| match tags.get(i) {
        Some((_, v)) => Resolved::One(Scalar::Str(v)),
        None => Resolved::Missing,
    };
    match kind {
        CONTEXT => match req.context.get(i) {
            Some((_, v)) => Resolved::of_value(v),
            None => Resolved::Missing,
        },
        PRINCIPAL_TAG => tag_value(req.principal_tags),
        RESOURCE_TAG => tag_value(req.resource_tags),
        REQUEST_TAG => tag_value(req.request_tags),
        CURRENT_TIME => time_value(req.time, Builtin::CurrentTime),
        EPOCH_TIME => time_value(req.time, Builtin::EpochTime),
        TAG_KEYS => Resolved::TagKeys(req.request_tags),
        GRANTED_TAG => match req.grants.tag_at(index) {
            Some((v, _)) => Resolved::One(Scalar::Str(v)),
            None => Resolved::Missing,
        },
        _ => Resolved::Missing,
    }
}

/// Names, in `used`, the grants the deciding statement of `decision` relied on: for each slot
/// that statement reads a principal tag through (`per_statement`, by flat statement index, see
/// [`crate::decision::flat_statement_index`]), the grant whose tag is the slot's value. What
/// generated code and the run-time evaluator call after deciding.
///
/// A tag a counting grant gives comes first in every slot's precedence (see [`Slots::resolve`]),
/// so the grant that gave a principal tag slot its value is the one
/// [`GrantTable::tag_row`](crate::grants::GrantTable::tag_row) finds for the slot's tag key: a
/// search among the principal's few granted keys with the constant key, cheaper than resolving
/// the slot again through the request.
#[inline]
pub fn name_deciding_grants<'r, K, S>(
    keys: &K,
    request: &Request<'r>,
    decision: &crate::decision::Decision<'_>,
    policy_offsets: &[u32],
    per_statement: &[S],
    used: &mut crate::grants::UsedGrants<'r>,
) where
    K: KeyTable + ?Sized,
    S: AsRef<[u16]>,
{
    if request.grants.is_empty() {
        return;
    }
    let Some(read) = decision
        .statement()
        .and_then(|st| crate::decision::flat_statement_index(policy_offsets, st))
        .and_then(|flat| per_statement.get(flat))
    else {
        return;
    };
    for &slot in read.as_ref() {
        if let Some((TagFamily::Principal, tag_key)) = keys.info(slot).tag {
            name_granted_tag(request, tag_key, used);
        }
    }
}

/// Names, in `used`, the grant that gives the principal tag `tag_key` (lower-case) for this
/// request, if one does: what generated code calls, with the deciding statement's keys as
/// constants, after deciding. [`name_deciding_grants`] for one key.
#[inline(always)]
pub fn name_granted_tag<'r>(
    request: &Request<'r>,
    tag_key: &str,
    used: &mut crate::grants::UsedGrants<'r>,
) {
    let grants = &request.grants;
    if let Some(row) = granted_row(request, tag_key) {
        if let Some(r) = grants.tags.get(row as usize) {
            used.push(r.grant);
        }
    }
}

/// Names, in `used`, the grant that gave the principal tag `tag_key` (lower-case) noted as key
/// `note`, from what [`lookup_noting`] noted in `reads`; for a key without a note, by
/// searching the grants again ([`name_granted_tag`]). What generated code calls after deciding,
/// for each principal tag key of the deciding statement.
#[inline(always)]
pub fn name_noted_grant<'r, const M: usize>(
    request: &Request<'r>,
    note: usize,
    tag_key: &str,
    reads: &GrantReads<M>,
    used: &mut crate::grants::UsedGrants<'r>,
) {
    match reads.get(note) {
        Some(Some(grant)) => used.push(grant),
        Some(None) => {}
        None => name_granted_tag(request, tag_key, used),
    }
}

fn time_value<'a>(time: Option<Timestamp>, builtin: Builtin) -> Resolved<'a> {
    match (time, builtin) {
        (Some(t), Builtin::EpochTime) => {
            Resolved::One(Scalar::Number(t.millis().div_euclid(1000) as f64))
        }
        (Some(t), _) => Resolved::One(Scalar::Time(t)),
        (None, _) => Resolved::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-key table: `aws:resourcetag/owner` (slot 0, also the Resource tag `owner`) and
    /// `aws:username` (slot 1); `aws:tagkeys` is slot 2 and `aws:currenttime` slot 3.
    struct Table;

    impl KeyTable for Table {
        fn slot_count(&self) -> usize {
            4
        }
        fn slot_of(&self, key: &str) -> Option<u16> {
            [
                "aws:resourcetag/owner",
                "aws:username",
                "aws:tagkeys",
                "aws:currenttime",
            ]
            .iter()
            .position(|k| k.eq_ignore_ascii_case(key))
            .map(|p| p as u16)
        }
        fn tag_slot_of(&self, family: TagFamily, tag_key: &str) -> Option<u16> {
            (family == TagFamily::Resource && tag_key.eq_ignore_ascii_case("owner")).then_some(0)
        }
        fn builtin_slot(&self, builtin: Builtin) -> Option<u16> {
            match builtin {
                Builtin::TagKeys => Some(2),
                Builtin::CurrentTime => Some(3),
                Builtin::EpochTime => None,
            }
        }
        fn info(&self, slot: u16) -> KeyInfo<'_> {
            let names = [
                "aws:resourcetag/owner",
                "aws:username",
                "aws:tagkeys",
                "aws:currenttime",
            ];
            KeyInfo {
                name: names[usize::from(slot) % 4],
                tag: (slot == 0).then_some((TagFamily::Resource, "owner")),
                builtin: Builtin::of(names[usize::from(slot) % 4]),
                aliased: false,
            }
        }
    }

    #[test]
    fn context_keys_resolve_case_insensitively_and_first_wins() {
        let ctx = [
            ("AWS:UserName", Value::Str("alice")),
            ("aws:username", Value::Str("bob")),
        ];
        let req = Request::new("s3:GetObject", "*").with_context(&ctx);
        let slots = Slots::<'_, 4>::resolve(&Table, &req);
        assert_eq!(slots.get(&Table, 1), Resolved::One(Scalar::Str("alice")));
        assert_eq!(slots.get(&Table, 0), Resolved::Missing);
    }

    #[test]
    fn tag_sets_fill_what_the_context_does_not_set() {
        let tags = [("OWNER", "carol")];
        let req = Request::new("s3:GetObject", "*").with_resource_tags(&tags);
        let slots = Slots::<'_, 4>::resolve(&Table, &req);
        assert_eq!(slots.get(&Table, 0), Resolved::One(Scalar::Str("carol")));

        let ctx = [("aws:ResourceTag/Owner", Value::Str("dave"))];
        let req = req.with_context(&ctx);
        let slots = Slots::<'_, 4>::resolve(&Table, &req);
        assert_eq!(slots.get(&Table, 0), Resolved::One(Scalar::Str("dave")));
    }

    #[test]
    fn builtins_come_from_time_and_request_tags() {
        let rtags = [("team", "a"), ("env", "b")];
        let req = Request::new("s3:GetObject", "*")
            .with_request_tags(&rtags)
            .with_time(Timestamp::from_millis(1_000));
        let slots = Slots::<'_, 4>::resolve(&Table, &req);
        let keys: [Scalar<'_>; 2] = [Scalar::Str("team"), Scalar::Str("env")];
        assert!(slots.get(&Table, 2).iter().eq(keys.iter().copied()));
        assert_eq!(
            slots.get(&Table, 3),
            Resolved::One(Scalar::Time(Timestamp::from_millis(1_000)))
        );
    }

    #[test]
    fn slots_beyond_capacity_are_found_by_scanning() {
        let ctx = [("aws:username", Value::Str("erin"))];
        let tags = [("owner", "erin")];
        let req = Request::new("s3:GetObject", "*")
            .with_context(&ctx)
            .with_resource_tags(&tags);
        // Capacity 0: every read scans.
        let slots = Slots::<'_, 0>::resolve(&Table, &req);
        assert_eq!(slots.get(&Table, 1), Resolved::One(Scalar::Str("erin")));
        assert_eq!(slots.get(&Table, 0), Resolved::One(Scalar::Str("erin")));
        assert_eq!(slots.get(&Table, 2), Resolved::Missing);
    }

    #[test]
    fn keys_sharing_an_entry_are_never_confused() {
        let ctx = [("aws:username", Value::Str("erin"))];
        let tags = [("owner", "frank")];
        let rtags = [("team", "a")];
        let req = Request::new("s3:GetObject", "*")
            .with_context(&ctx)
            .with_resource_tags(&tags)
            .with_request_tags(&rtags)
            .with_time(Timestamp::from_millis(5));
        // One entry for four keys: every read evicts the previous key.
        let slots = Slots::<'_, 1>::resolve(&Table, &req);
        for _ in 0..3 {
            assert_eq!(slots.get(&Table, 0), Resolved::One(Scalar::Str("frank")));
            assert_eq!(slots.get(&Table, 1), Resolved::One(Scalar::Str("erin")));
            assert_eq!(slots.get(&Table, 1), Resolved::One(Scalar::Str("erin")));
            assert!(slots.get(&Table, 2).is_multi());
            assert_eq!(
                slots.get(&Table, 3),
                Resolved::One(Scalar::Time(Timestamp::from_millis(5)))
            );
        }
        // Two entries: slots 0 and 2 share one, 1 and 3 the other.
        let slots = Slots::<'_, 2>::resolve(&Table, &req);
        assert_eq!(slots.get(&Table, 2).iter().count(), 1);
        assert_eq!(slots.get(&Table, 0), Resolved::One(Scalar::Str("frank")));
        assert_eq!(slots.get(&Table, 2).iter().count(), 1);
        assert_eq!(slots.get(&Table, 1), Resolved::One(Scalar::Str("erin")));
    }

    #[test]
    fn grant_reads_tell_granted_from_not_from_unread() {
        let reads = GrantReads::<3>::new();
        assert_eq!(reads.get(0), None);
        reads.note(0, Some(0));
        reads.note(1, None);
        reads.note(2, Some(41));
        assert_eq!(reads.get(0), Some(Some(0)));
        assert_eq!(reads.get(1), Some(None));
        assert_eq!(reads.get(2), Some(Some(41)));
        // A later read of a key replaces its note.
        reads.note(2, None);
        assert_eq!(reads.get(2), Some(None));
        // Keys outside the notes are not noted: naming searches again for such a key.
        reads.note(3, Some(2));
        assert_eq!(reads.get(3), None);
        assert_eq!(reads.get(usize::MAX), None);
        assert_eq!(GrantReads::<0>::new().get(0), None);
        // A grant number whose note would overflow is not noted (searched for again).
        let reads = GrantReads::<1>::new();
        reads.note(0, Some(u32::MAX - 1));
        assert_eq!(reads.get(0), None);
        reads.note(0, Some(u32::MAX - 2));
        assert_eq!(reads.get(0), Some(Some(u32::MAX - 2)));
    }

    /// `lookup_noting` reads what `lookup` reads, granted or not, and notes where it came from.
    #[test]
    fn noting_lookups_agree_with_lookups() {
        use crate::grants::{GrantRow, GrantTable, Span, TagRow};
        const TEXT: &str = "g-1teamops";
        static GRANTS: [GrantRow; 1] = [GrantRow {
            id: Span::new(0, 3),
            not_before: Timestamp::from_millis(1_000),
            expires_at: Timestamp::from_millis(2_000),
            actions: Span::EMPTY,
            resources: Span::EMPTY,
        }];
        static TAGS: [TagRow; 1] = [TagRow::new(TEXT, Span::new(3, 7), Span::new(7, 10), 0)];
        let table = GrantTable {
            principal: "alice",
            text: TEXT,
            grants: &GRANTS,
            tags: &TAGS,
            ..GrantTable::EMPTY
        };
        let info = |name, key| KeyInfo {
            name,
            tag: Some((TagFamily::Principal, key)),
            builtin: None,
            aliased: false,
        };
        let team = info("aws:principaltag/team", "team");
        let env = info("aws:principaltag/env", "env");
        let own = [("team", "dev"), ("env", "prod")];
        for at in [500, 1_000, 1_999, 2_000] {
            let req = Request::new("sqs:DeleteQueue", "*")
                .with_principal("alice")
                .with_principal_tags(&own)
                .with_time(Timestamp::from_millis(at))
                .with_grants(&table);
            let reads = GrantReads::<2>::new();
            assert_eq!(lookup_noting(&req, &team, 0, &reads), lookup(&req, &team));
            assert_eq!(lookup_noting(&req, &env, 1, &reads), lookup(&req, &env));
            let granted = (1_000..2_000).contains(&at);
            assert_eq!(reads.get(0), Some(granted.then_some(0)), "at {at}");
            assert_eq!(reads.get(1), Some(None));
            let mut used = crate::grants::UsedGrants::of(req.grants);
            name_noted_grant(&req, 0, "team", &reads, &mut used);
            name_noted_grant(&req, 1, "env", &reads, &mut used);
            // Not noted: searched again.
            name_noted_grant(&req, 0, "team", &GrantReads::<1>::new(), &mut used);
            let expect: &[&str] = if granted { &["g-1"] } else { &[] };
            assert_eq!(used.ids(), expect, "at {at}");
        }
        // Without grants nothing is noted.
        let req = Request::new("sqs:DeleteQueue", "*").with_principal_tags(&own);
        let reads = GrantReads::<1>::new();
        assert_eq!(
            lookup_noting(&req, &team, 0, &reads),
            Resolved::One(Scalar::Str("dev"))
        );
        assert_eq!(reads.get(0), None);
    }

    #[test]
    fn variables_take_single_strings_only() {
        let list = ["a", "b"];
        assert_eq!(Resolved::List(&list).as_variable(), None);
        assert_eq!(Resolved::One(Scalar::Str("x")).as_variable(), Some("x"));
        assert_eq!(Resolved::Missing.as_variable(), None);
    }
}
