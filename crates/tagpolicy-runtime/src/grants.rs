//! Just-in-time grants as evaluation reads them (SPEC §4).
//!
//! A grant store keeps, for each principal, the grants issued to it and not revoked, packed into a
//! [`GrantTable`]: one text buffer and rows of plain numbers that point into it, so a table is
//! borrowed by a request without allocation and read without parsing. The semantics live here,
//! once, for both evaluation paths and both policy forms:
//!
//! - a grant counts for a request iff the table belongs to the request's principal, the request
//!   has a time `t` (evaluation never reads a clock, and a request without a time gets no grant),
//!   `not_before <= t < expires_at`, and its scope (if any) covers the request's action and
//!   resource;
//! - a granted tag *replaces* the principal's own value for that key (IAM `aws:PrincipalTag/k`);
//!   if several counting grants grant the same key, the one listed first wins (stores list the
//!   latest-starting first);
//! - granted roles and granted tag values are *added* to a permission subject's.
//!
//! ```
//! use tagpolicy_runtime::grants::{GrantRow, GrantTable, Span, TagRow, GrantContext};
//! use tagpolicy_runtime::Timestamp;
//! // "g-1" grants alice team=ops from t=1000 ms to t=2000 ms.
//! let text = "g-1teamops";
//! let grants = [GrantRow {
//!     id: Span::new(0, 3),
//!     not_before: Timestamp::from_millis(1_000),
//!     expires_at: Timestamp::from_millis(2_000),
//!     actions: Span::EMPTY,
//!     resources: Span::EMPTY,
//! }];
//! let tags = [TagRow::new(text, Span::new(3, 7), Span::new(7, 10), 0)];
//! let table = GrantTable { principal: "alice", text, grants: &grants, tags: &tags, ..GrantTable::EMPTY };
//! let at = |ms| GrantContext {
//!     principal: Some("alice"),
//!     time: Some(Timestamp::from_millis(ms)),
//!     action: "ec2:StartInstances",
//!     resource: "*",
//! };
//! assert_eq!(table.tag("Team", &at(1_500)), Some(("ops", 0)));
//! assert_eq!(table.tag("team", &at(2_000)), None); // the end is exclusive
//! ```

use core::cmp::Ordering;

use crate::glob;
use crate::time::Timestamp;

/// A range of bytes in a table's text (or of rows in its pattern list).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte (or row).
    pub start: u32,
    /// One past the last.
    pub end: u32,
}

impl Span {
    /// Nothing.
    pub const EMPTY: Span = Span { start: 0, end: 0 };

    /// `start..end`.
    pub const fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    /// Whether it covers nothing.
    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }

    fn range(self) -> core::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One grant of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrantRow {
    /// Its id, in the table's text.
    pub id: Span,
    /// Start of the window (inclusive).
    pub not_before: Timestamp,
    /// End of the window (exclusive).
    pub expires_at: Timestamp,
    /// Scope: action globs (lower-cased), as rows of the table's `patterns`; empty means any.
    pub actions: Span,
    /// Scope: resource globs, as rows of the table's `patterns`; empty means any.
    pub resources: Span,
}

impl GrantRow {
    /// Whether `t` is in the grant's window: `not_before <= t < expires_at` (the end is
    /// exclusive).
    #[inline(always)]
    pub fn active_at(&self, t: Timestamp) -> bool {
        self.not_before <= t && t < self.expires_at
    }

    /// Whether the grant has a scope (action or resource globs); without one it covers
    /// everything.
    #[inline(always)]
    pub fn has_scope(&self) -> bool {
        !(self.actions.is_empty() && self.resources.is_empty())
    }
}

/// A granted tag. A table's tag rows are sorted by key (lower-cased bytes); build them with
/// [`TagRow::new`], which also computes the key's [`prefix`](TagRow::prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TagRow {
    /// The tag key, lower-cased, in the table's text.
    pub key: Span,
    /// The value, in the table's text.
    pub value: Span,
    /// The grant (row index) that grants it.
    pub grant: u32,
    /// The key's first 8 bytes as a big-endian number (zero-padded), [`key_prefix`] of the key:
    /// lookups compare this number first and the bytes only when it is equal. Ordering rows by
    /// key bytes orders them by prefix too.
    pub prefix: u64,
    /// The window of the row's grant, copied here when that grant has no scope
    /// ([`TagRow::with_window`]), so the common lookup decides without reading the grant's row;
    /// otherwise empty (`start > end`, what [`TagRow::new`] sets), and lookups read the grant.
    /// A time inside it means the grant counts; outside it, the grant's row decides.
    pub window: (Timestamp, Timestamp),
}

impl TagRow {
    /// A row for the key at `key` in `text` (lower-cased already) with its prefix computed.
    /// A key span outside `text` gives the prefix of the part inside it.
    // A const fn cannot call `slice::get`: both indices are checked just before use.
    #[allow(clippy::indexing_slicing)]
    pub const fn new(text: &str, key: Span, value: Span, grant: u32) -> TagRow {
        let bytes = text.as_bytes();
        let mut buf = [0u8; 8];
        let mut i: usize = 0;
        while i < 8 {
            let at = (key.start as usize).saturating_add(i);
            if at >= key.end as usize || at >= bytes.len() {
                break;
            }
            buf[i] = bytes[at];
            i = i.saturating_add(1);
        }
        TagRow {
            key,
            value,
            grant,
            prefix: u64::from_be_bytes(buf),
            window: TagRow::NO_WINDOW,
        }
    }

    /// No window copied: lookups read the grant's row.
    pub const NO_WINDOW: (Timestamp, Timestamp) = (
        Timestamp::from_millis(i64::MAX),
        Timestamp::from_millis(i64::MIN),
    );

    /// This row with its grant's window copied in. Only for a grant without a scope, and with
    /// exactly its `not_before` and `expires_at`: lookups then trust the copy.
    pub const fn with_window(mut self, not_before: Timestamp, expires_at: Timestamp) -> TagRow {
        self.window = (not_before, expires_at);
        self
    }

    /// Whether the copied window says the row's grant counts at `t` (a grant without a scope,
    /// active at `t`); `false` says nothing (no copy, or out of the window).
    #[inline(always)]
    pub fn counts_by_window(&self, t: Timestamp) -> bool {
        self.window.0 <= t && t < self.window.1
    }
}

/// The first 8 bytes of `key` as a big-endian number, zero-padded: comparing two prefixes
/// agrees with comparing the keys' bytes whenever the prefixes differ.
#[inline]
pub fn key_prefix(key: &[u8]) -> u64 {
    crate::bytes::word(key)
}

/// [`key_prefix`] of `key` lower-cased (ASCII), eight bytes at a time.
#[inline]
fn folded_prefix(key: &[u8]) -> u64 {
    crate::bytes::fold(crate::bytes::word(key))
}

/// A granted role. A table's role rows are sorted by role name (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RoleRow {
    /// The role, in the table's text.
    pub role: Span,
    /// The grant (row index) that grants it.
    pub grant: u32,
}

/// What decides whether a grant counts for a request: who, when, what, on what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantContext<'r> {
    /// The request's principal (IAM) or subject id (permission form).
    pub principal: Option<&'r str>,
    /// The evaluation time.
    pub time: Option<Timestamp>,
    /// The action.
    pub action: &'r str,
    /// The resource (IAM: its ARN; permission form: its id).
    pub resource: &'r str,
}

/// Where the action and resource of a grant's scope check come from: a request, or the two
/// strings themselves. Read only for a grant that has a scope.
pub trait GrantScope {
    /// The action and the resource the scope must cover.
    fn action_and_resource(&self) -> (&str, &str);
}

/// An action and a resource, as a [`GrantScope`].
#[derive(Clone, Copy, Debug)]
pub struct ScopeOf<'r> {
    /// The action.
    pub action: &'r str,
    /// The resource.
    pub resource: &'r str,
}

impl GrantScope for ScopeOf<'_> {
    fn action_and_resource(&self) -> (&str, &str) {
        (self.action, self.resource)
    }
}

/// The grants of one principal, packed for evaluation: built by a grant store (or by hand), borrowed
/// by requests. Every string is a [`Span`] of `text`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantTable<'a> {
    /// The principal whose grants these are: they count only for requests of that principal.
    pub principal: &'a str,
    /// The text the spans point into.
    pub text: &'a str,
    /// The grants.
    pub grants: &'a [GrantRow],
    /// The granted tags, sorted by lower-cased key.
    pub tags: &'a [TagRow],
    /// The granted roles, sorted by name.
    pub roles: &'a [RoleRow],
    /// Scope patterns, referred to by the grants' `actions` and `resources`.
    pub patterns: &'a [Span],
    /// A hash index of the tag keys, filled by [`fill_tag_index`] (a power of two of entries),
    /// or empty: lookups then search the sorted rows instead.
    pub tag_index: &'a [u16],
    /// The granted tags' values sliced out of `text` once, row by row: where present,
    /// `tag_values[i]` is row `i`'s value (it should be the text its `value` spans), read
    /// without slicing `text` again (which checks both ends for UTF-8 boundaries); rows past
    /// its end, or all of them when it is empty, read their span.
    pub tag_values: &'a [&'a str],
}

impl Default for GrantTable<'_> {
    fn default() -> Self {
        GrantTable::EMPTY
    }
}

impl<'a> GrantTable<'a> {
    /// No grants.
    pub const EMPTY: GrantTable<'static> = GrantTable {
        principal: "",
        text: "",
        grants: &[],
        tags: &[],
        roles: &[],
        patterns: &[],
        tag_index: &[],
        tag_values: &[],
    };

    /// Whether the table has no grants.
    pub const fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// How many grants the table has (counting or not).
    pub const fn len(&self) -> usize {
        self.grants.len()
    }

    #[inline]
    fn text(&self, span: Span) -> &'a str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// The id of grant `grant` (empty if there is no such grant).
    #[inline]
    pub fn id(&self, grant: u32) -> &'a str {
        self.grants
            .get(grant as usize)
            .map_or("", |g| self.text(g.id))
    }

    /// The row of grant `grant`.
    pub fn grant(&self, grant: u32) -> Option<&'a GrantRow> {
        self.grants.get(grant as usize)
    }

    /// The grant whose id is `id`, by row index.
    pub fn find(&self, id: &str) -> Option<u32> {
        self.grants
            .iter()
            .position(|g| self.text(g.id) == id)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Whether the table's grants can count for `ctx` at all (its principal is the table's).
    #[inline]
    pub fn applies(&self, ctx: &GrantContext<'_>) -> bool {
        !self.grants.is_empty()
            && ctx.time.is_some()
            && ctx.principal.is_some_and(|p| same_text(p, self.principal))
    }

    /// Whether grant `grant` counts for `ctx`: the right principal, active at its time, in scope.
    pub fn counts(&self, grant: u32, ctx: &GrantContext<'_>) -> bool {
        ctx.principal.is_some_and(|p| same_text(p, self.principal))
            && self.counts_for_principal(grant, ctx)
    }

    /// [`GrantTable::counts`] once the principal is known to be the table's.
    #[inline]
    fn counts_for_principal(&self, grant: u32, ctx: &GrantContext<'_>) -> bool {
        let Some(t) = ctx.time else {
            return false;
        };
        let scope = ScopeOf {
            action: ctx.action,
            resource: ctx.resource,
        };
        self.grant_counts(grant, t, &scope)
    }

    /// Whether a grant's scope covers an action and a resource (no scope: everything).
    pub fn in_scope(&self, g: &GrantRow, action: &str, resource: &str) -> bool {
        let actions = self.patterns.get(g.actions.range()).unwrap_or(&[]);
        let resources = self.patterns.get(g.resources.range()).unwrap_or(&[]);
        (actions.is_empty()
            || actions
                .iter()
                .any(|p| glob::matches_ascii_case_insensitive(self.text(*p), action)))
            && (resources.is_empty()
                || resources
                    .iter()
                    .any(|p| glob::matches(self.text(*p), resource)))
    }

    /// The index of the first row of tag `key` (compared ASCII-case-insensitively), counting or
    /// not: the key's rows follow it. Through the tag index when the table has one (a hash of
    /// the key's folded first word and length, then one or two probes); otherwise a binary
    /// search on the rows' prefixes, then a comparison of the rest of the key (only for keys
    /// longer than 8 bytes) among the few rows sharing the prefix.
    #[inline(always)]
    fn first_row(&self, key: &[u8], prefix: u64) -> Option<usize> {
        let tags = self.tags;
        if !self.tag_index.is_empty() {
            let mask = self.tag_index.len().wrapping_sub(1);
            let mut at = tag_slot(prefix, key.len(), mask);
            // At most a quarter of the entries of a filled index are used: the probe meets an
            // empty one (bounded all the same, for an index built by hand).
            for _ in 0..self.tag_index.len() {
                let row = usize::from(*self.tag_index.get(at)?).checked_sub(1)?;
                let r = tags.get(row)?;
                if r.prefix == prefix && self.same_key(r, key) {
                    return Some(row);
                }
                at = at.wrapping_add(1) & mask;
            }
            return None;
        }
        self.first_row_searched(key, prefix)
    }

    /// [`GrantTable::first_row`] of a table without a tag index: a binary search on the rows'
    /// prefixes, then the rest of the key among the rows sharing the prefix. Out of line (the
    /// stores build an index).
    #[inline(never)]
    fn first_row_searched(&self, key: &[u8], prefix: u64) -> Option<usize> {
        let tags = self.tags;
        let mut at = first_at_least(tags, prefix);
        loop {
            let r = tags.get(at)?;
            if r.prefix != prefix {
                return None;
            }
            if self.same_key(r, key) {
                return Some(at);
            }
            at = at.checked_add(1)?;
        }
    }

    /// The rows of tag `key` (any case), counting or not: the index of the first and the rows
    /// in order.
    #[inline]
    fn key_rows<'k>(&self, key: &'k [u8]) -> Option<(usize, impl Iterator<Item = &'a TagRow> + 'k)>
    where
        'a: 'k,
    {
        let table = *self;
        let prefix = folded_prefix(key);
        let from = self.first_row(key, prefix)?;
        let rows = self
            .tags
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |r| r.prefix == prefix && table.same_key(r, key));
        Some((from, rows))
    }

    /// [`GrantTable::key_rows`] as a slice (empty, at the end, when the key has none).
    fn tag_rows(&self, key: &str) -> (usize, &'a [TagRow]) {
        match self.key_rows(key.as_bytes()) {
            Some((from, rows)) => {
                let len = rows.count();
                let rows = self.tags.get(from..).and_then(|r| r.get(..len));
                (from, rows.unwrap_or(&[]))
            }
            None => (self.tags.len(), &[]),
        }
    }

    /// A row's key against `key` (any case), given that their prefixes are equal.
    #[inline]
    fn key_cmp(&self, row: &TagRow, key: &[u8]) -> Ordering {
        let row_len = row.key.end.saturating_sub(row.key.start) as usize;
        if row_len <= 8 && key.len() <= 8 {
            // The first 8 bytes agree (the shorter key padded with zeros): the shorter key is a
            // prefix of the longer.
            return row_len.cmp(&key.len());
        }
        let k = self.text.as_bytes().get(row.key.range()).unwrap_or(&[]);
        let a = k.get(8.min(k.len())..).unwrap_or(&[]);
        let b = key.get(8.min(key.len())..).unwrap_or(&[]);
        a.iter().copied().cmp(b.iter().map(u8::to_ascii_lowercase))
    }

    /// The row index of the counting grant's tag `key`, if one counts.
    ///
    /// The first row of the key that counts wins: the key's first row is found
    /// ([`GrantTable::first_row`]), then its rows are tried in order.
    #[inline]
    pub fn tag_row(&self, key: &str, ctx: &GrantContext<'_>) -> Option<u32> {
        let (Some(principal), Some(time)) = (ctx.principal, ctx.time) else {
            return None;
        };
        let key = key.as_bytes();
        self.counting_row(
            key,
            folded_prefix(key),
            principal,
            time,
            ctx.action,
            ctx.resource,
        )
    }

    /// [`GrantTable::tag_row`] with the context's parts as arguments and the key's
    /// [`folded_prefix`] computed by the caller: what evaluation calls (with a constant key in
    /// generated code, the prefix is a constant too), with nothing copied.
    #[inline(always)]
    pub fn counting_row(
        &self,
        key: &[u8],
        prefix: u64,
        principal: &str,
        time: Timestamp,
        action: &str,
        resource: &str,
    ) -> Option<u32> {
        let scope = ScopeOf { action, resource };
        self.counting_row_in(key, prefix, principal, time, &scope)
    }

    /// [`GrantTable::counting_row`] with the action and resource behind a reference, read only
    /// by the (out-of-line) scope check of a grant that has a scope.
    #[inline]
    pub fn counting_row_in<S: GrantScope + ?Sized>(
        &self,
        key: &[u8],
        prefix: u64,
        principal: &str,
        time: Timestamp,
        scope: &S,
    ) -> Option<u32> {
        if !same_text(principal, self.principal) {
            return None;
        }
        self.counting_row_slow(key, prefix, time, scope)
    }

    /// [`GrantTable::counting_row_in`] for the common case, with everything else out of line:
    /// a table with a tag index, a key of at most 8 bytes found at its first probe, whose first
    /// row carries its grant's window ([`TagRow::window`]: the grant has no scope) and the time
    /// is in it. Anything else (a probe that meets another key, no window copied, a first row
    /// that does not count, a long key, no index) goes to the general search, so both agree
    /// wherever copied windows are true copies (a test checks every case). Gives the row's index
    /// and the row.
    #[inline(always)]
    pub fn counting_row_fast<S: GrantScope + ?Sized>(
        &self,
        key: &[u8],
        prefix: u64,
        principal: &str,
        time: Timestamp,
        scope: &S,
    ) -> Option<(u32, &'a TagRow)> {
        if !same_text(principal, self.principal) {
            return None;
        }
        // The general search is called in each case rather than through a closure, whose
        // captures would be stored ahead of the fast path.
        if self.tag_index.is_empty() || key.len() > 8 {
            return self.counting_tag_slow(key, prefix, time, scope);
        }
        let mask = self.tag_index.len().wrapping_sub(1);
        // An empty entry: no row has the key (the probe would stop there too).
        let row = usize::from(*self.tag_index.get(tag_slot(prefix, key.len(), mask))?);
        let row = row.checked_sub(1)?;
        let Some(r) = self.tags.get(row) else {
            return self.counting_tag_slow(key, prefix, time, scope);
        };
        // Equal prefixes and lengths: keys of at most 8 bytes are equal.
        if r.prefix != prefix || r.key.end.wrapping_sub(r.key.start) as usize != key.len() {
            return self.counting_tag_slow(key, prefix, time, scope);
        }
        // The grant's window copied into the row decides without reading the grant's row; a
        // row without a copy (a scope, a hand-built table) or out of it is left to the general
        // search. The index has u16 entries: the row fits.
        if r.counts_by_window(time) {
            return Some((row as u32, r));
        }
        self.counting_tag_slow(key, prefix, time, scope)
    }

    /// [`GrantTable::counting_row_slow`] with the row itself.
    #[inline(never)]
    fn counting_tag_slow<S: GrantScope + ?Sized>(
        &self,
        key: &[u8],
        prefix: u64,
        time: Timestamp,
        scope: &S,
    ) -> Option<(u32, &'a TagRow)> {
        let row = self.counting_row_slow(key, prefix, time, scope)?;
        Some((row, self.tags.get(row as usize)?))
    }

    /// [`GrantTable::counting_row_in`] once the principal is known to be the table's, out of
    /// line: the general case (also behind [`GrantTable::counting_row_fast`]).
    #[inline(never)]
    fn counting_row_slow<S: GrantScope + ?Sized>(
        &self,
        key: &[u8],
        prefix: u64,
        time: Timestamp,
        scope: &S,
    ) -> Option<u32> {
        let first = self.first_row(key, prefix)?;
        // Mostly a key has one row (one grant gives it): later rows are tried out of line.
        let r = self.tags.get(first)?;
        if self.grant_counts(r.grant, time, scope) {
            return u32::try_from(first).ok();
        }
        self.counting_row_after(first, key, prefix, time, scope)
    }

    /// [`GrantTable::counting_row_in`] among the rows of the key after row `first`.
    #[inline(never)]
    fn counting_row_after<S: GrantScope + ?Sized>(
        &self,
        first: usize,
        key: &[u8],
        prefix: u64,
        time: Timestamp,
        scope: &S,
    ) -> Option<u32> {
        let mut at = first;
        loop {
            at = at.checked_add(1)?;
            let r = self.tags.get(at)?;
            if r.prefix != prefix || !self.same_key(r, key) {
                return None;
            }
            if self.grant_counts(r.grant, time, scope) {
                return u32::try_from(at).ok();
            }
        }
    }

    /// Whether grant `grant` counts at `time` for what `scope` names (the principal is known to
    /// be the table's).
    #[inline(always)]
    fn grant_counts<S: GrantScope + ?Sized>(&self, grant: u32, time: Timestamp, scope: &S) -> bool {
        match self.grants.get(grant as usize) {
            Some(g) => g.active_at(time) && (!g.has_scope() || self.scope_covers_in(g, scope)),
            None => false,
        }
    }

    /// [`GrantTable::in_scope`] for what `scope` names. Not inlined: the scope is checked
    /// rarely, and inlined, its reads of the action and resource would be hoisted (and spilled)
    /// ahead of every lookup.
    #[inline(never)]
    fn scope_covers_in<S: GrantScope + ?Sized>(&self, g: &GrantRow, scope: &S) -> bool {
        let (action, resource) = scope.action_and_resource();
        self.in_scope(g, action, resource)
    }

    /// Whether a row's key is `key` (any case), given that their prefixes are equal.
    #[inline]
    fn same_key(&self, row: &TagRow, key: &[u8]) -> bool {
        let row_len = row.key.end.saturating_sub(row.key.start) as usize;
        if row_len != key.len() {
            return false;
        }
        // Equal prefixes and lengths: keys of at most 8 bytes are equal.
        row_len <= 8 || self.same_long_key(row, key)
    }

    /// [`GrantTable::same_key`] of keys longer than 8 bytes (out of line: tag keys are mostly
    /// short).
    #[inline(never)]
    fn same_long_key(&self, row: &TagRow, key: &[u8]) -> bool {
        self.key_cmp(row, key).is_eq()
    }

    /// Tag row `row`: its value and grant.
    #[inline]
    pub fn tag_at(&self, row: u32) -> Option<(&'a str, u32)> {
        self.tags.get(row as usize).map(|r| self.tag_of(row, r))
    }

    /// Tag row number `at`, `row`: its value (from `tag_values`, or sliced out of `text`) and
    /// grant.
    #[inline(always)]
    pub fn tag_of(&self, at: u32, row: &TagRow) -> (&'a str, u32) {
        (self.value_of(at, row), row.grant)
    }

    /// The value of tag row number `at`, `row` (see [`GrantTable::tag_values`]).
    #[inline(always)]
    pub fn value_of(&self, at: u32, row: &TagRow) -> &'a str {
        match self.tag_values.get(at as usize) {
            Some(v) => v,
            None => self.text(row.value),
        }
    }

    /// The value of tag `key` that a counting grant gives, and that grant.
    pub fn tag(&self, key: &str, ctx: &GrantContext<'_>) -> Option<(&'a str, u32)> {
        self.tag_row(key, ctx).and_then(|row| self.tag_at(row))
    }

    /// Every value of tag `key` that counting grants give, with the grant (permission form: added
    /// to the subject's tag group).
    pub fn tag_values<'c>(
        &self,
        key: &'c str,
        ctx: &'c GrantContext<'c>,
    ) -> impl Iterator<Item = (&'a str, u32)> + 'c
    where
        'a: 'c,
    {
        let table = *self;
        let applies = self.applies(ctx);
        let (from, rows) = self.tag_rows(key);
        (from..)
            .zip(rows)
            .filter(move |(_, r)| applies && table.counts(r.grant, ctx))
            .map(move |(at, r)| table.tag_of(u32::try_from(at).unwrap_or(u32::MAX), r))
    }

    /// The counting grant that gives role `role`, if any.
    pub fn role(&self, role: &str, ctx: &GrantContext<'_>) -> Option<u32> {
        if !self.applies(ctx) {
            return None;
        }
        let roles = self.roles;
        let from = roles.partition_point(|r| self.text(r.role) < role);
        roles
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(|r| self.text(r.role) == role)
            .find(|r| self.counts_for_principal(r.grant, ctx))
            .map(|r| r.grant)
    }

    /// The grants that count for `ctx`, by row index.
    pub fn counting<'c>(&self, ctx: &'c GrantContext<'c>) -> impl Iterator<Item = u32> + 'c
    where
        'a: 'c,
    {
        let table = *self;
        (0..u32::try_from(self.grants.len()).unwrap_or(u32::MAX))
            .filter(move |g| table.counts(*g, ctx))
    }
}

/// The first row whose prefix is at least `prefix` (rows are sorted by prefix): a binary search,
/// inlined.
#[inline(always)]
fn first_at_least(tags: &[TagRow], prefix: u64) -> usize {
    let mut base = 0usize;
    let mut size = tags.len();
    while size > 1 {
        let half = size / 2;
        let mid = base.saturating_add(half);
        if tags.get(mid).is_some_and(|r| r.prefix < prefix) {
            base = mid;
        }
        size = size.saturating_sub(half);
    }
    match tags.get(base) {
        Some(r) if r.prefix < prefix => base.saturating_add(1),
        _ => base,
    }
}

/// The tag-index entry a key starts its probe at: its folded first word and its length,
/// multiplied to spread them over the high bits.
#[inline(always)]
fn tag_slot(prefix: u64, len: usize, mask: usize) -> usize {
    let h = (prefix ^ (len as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 40) as usize & mask
}

/// How many entries a tag index of `rows` tag rows needs: a power of two, at least four times
/// the rows (so at most a quarter of the entries are used and most lookups probe once), at
/// least 8.
pub fn tag_index_len(rows: usize) -> usize {
    rows.saturating_mul(4).max(8).next_power_of_two()
}

/// Fills `index` (of [`tag_index_len`] entries, zeroed) for the sorted `tags` of a table whose
/// text is `text`: each key's first row, by its probe start. `false` (and `index` must not be
/// used) if `index` has the wrong size or there are more rows than an entry can name.
pub fn fill_tag_index(text: &str, tags: &[TagRow], index: &mut [u16]) -> bool {
    if index.len() != tag_index_len(tags.len()) || tags.len() >= usize::from(u16::MAX) {
        return false;
    }
    let key = |r: &TagRow| text.as_bytes().get(r.key.range()).unwrap_or(&[]);
    let mask = index.len().wrapping_sub(1);
    let mut previous: Option<&[u8]> = None;
    for (row, r) in tags.iter().enumerate() {
        let k = key(r);
        if previous == Some(k) {
            continue;
        }
        previous = Some(k);
        let mut at = tag_slot(r.prefix, k.len(), mask);
        while index.get(at).is_some_and(|e| *e != 0) {
            at = at.wrapping_add(1) & mask;
        }
        match (index.get_mut(at), u16::try_from(row.saturating_add(1))) {
            (Some(e), Ok(v)) => *e = v,
            _ => return false,
        }
    }
    true
}

/// Whether two strings are equal: principal names are short, so compared inline (8 bytes at a
/// time) rather than through a `memcmp` call.
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    crate::bytes::eq(a.as_bytes(), b.as_bytes())
}

/// How many grants a decision names; more are counted, not named.
pub const MAX_USED_GRANTS: usize = 8;

/// The grants a decision relied on, without allocation: rows of the request's grant table
/// ([`UsedGrants::of`]), read as ids by [`UsedGrants::ids`]. Naming a grant is storing its row
/// number; its id is sliced out of the table's text only when asked for.
#[derive(Clone, Copy)]
pub struct UsedGrants<'a> {
    table: &'a GrantTable<'a>,
    rows: [u32; MAX_USED_GRANTS],
    len: u8,
    more: u16,
}

impl Default for UsedGrants<'_> {
    fn default() -> Self {
        UsedGrants::new()
    }
}

impl<'a> UsedGrants<'a> {
    /// None, and none can be named (no table).
    pub const fn new() -> Self {
        UsedGrants::of(&GrantTable::EMPTY)
    }

    /// None yet, naming grants of `table` (the table of the request being decided).
    #[inline]
    pub const fn of(table: &'a GrantTable<'a>) -> Self {
        UsedGrants {
            table,
            rows: [0; MAX_USED_GRANTS],
            len: 0,
            more: 0,
        }
    }

    /// Names grant `grant` (a row of the table) unless it is named already; beyond the
    /// capacity it is only counted. A row the table does not have is ignored.
    #[inline]
    pub fn push(&mut self, grant: u32) {
        let len = usize::from(self.len);
        if grant as usize >= self.table.grants.len()
            || self.rows.iter().take(len).any(|r| *r == grant)
        {
            return;
        }
        match self.rows.get_mut(len) {
            Some(slot) => {
                *slot = grant;
                // Below the capacity (the slot exists), so no overflow.
                self.len = self.len.wrapping_add(1);
            }
            None => self.more = self.more.saturating_add(1),
        }
    }

    /// The named grants' rows in the table, in the order they were found.
    #[inline]
    pub fn rows(&self) -> &[u32] {
        self.rows.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The named grants' ids, in the order they were found (sliced out of the table's text
    /// now).
    pub fn ids(&self) -> UsedIds<'a> {
        let mut ids = [""; MAX_USED_GRANTS];
        for (id, &row) in ids.iter_mut().zip(self.rows()) {
            *id = self.table.id(row);
        }
        UsedIds { ids, len: self.len }
    }

    /// How many grants are named.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether no grant was used.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many more grants were used than are named.
    pub fn more(&self) -> usize {
        usize::from(self.more)
    }
}

impl PartialEq for UsedGrants<'_> {
    /// The same ids in the same order, and as many more.
    fn eq(&self, other: &Self) -> bool {
        self.more == other.more && self.ids() == other.ids()
    }
}

impl Eq for UsedGrants<'_> {}

impl core::hash::Hash for UsedGrants<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.ids().hash(state);
        self.more.hash(state);
    }
}

impl core::fmt::Debug for UsedGrants<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UsedGrants")
            .field("ids", &self.ids())
            .field("more", &self.more)
            .finish()
    }
}

/// The ids of the grants a decision named ([`UsedGrants::ids`]), in order: a slice (through
/// `Deref`) held in place, without allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsedIds<'a> {
    ids: [&'a str; MAX_USED_GRANTS],
    len: u8,
}

impl<'a> UsedIds<'a> {
    /// The ids as a slice.
    pub fn as_slice(&self) -> &[&'a str] {
        self.ids.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl<'a> core::ops::Deref for UsedIds<'a> {
    type Target = [&'a str];

    fn deref(&self) -> &[&'a str] {
        self.as_slice()
    }
}

impl<'a, 'b> IntoIterator for &'b UsedIds<'a> {
    type Item = &'b &'a str;
    type IntoIter = core::slice::Iter<'b, &'a str>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for UsedIds<'_> {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<[&str]> for UsedIds<'_> {
    fn eq(&self, other: &[&str]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[&str]> for UsedIds<'_> {
    fn eq(&self, other: &&[&str]) -> bool {
        self.as_slice() == *other
    }
}

impl core::fmt::Debug for UsedIds<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// alice: g-a (team=ops, role oncall, 1000..2000, scope ec2:*), g-b (team=dev, env=prod,
    /// 1500..3000, no scope).
    const TEXT: &str = "g-ag-bteamopsteamdevenvprodoncallec2:*";
    fn table() -> GrantTable<'static> {
        static GRANTS: [GrantRow; 2] = [
            GrantRow {
                id: Span::new(0, 3),
                not_before: Timestamp::from_millis(1_000),
                expires_at: Timestamp::from_millis(2_000),
                actions: Span::new(0, 1),
                resources: Span::EMPTY,
            },
            GrantRow {
                id: Span::new(3, 6),
                not_before: Timestamp::from_millis(1_500),
                expires_at: Timestamp::from_millis(3_000),
                actions: Span::EMPTY,
                resources: Span::EMPTY,
            },
        ];
        static TAGS: [TagRow; 3] = [
            TagRow::new(TEXT, Span::new(20, 23), Span::new(23, 27), 1),
            TagRow::new(TEXT, Span::new(6, 10), Span::new(10, 13), 0),
            TagRow::new(TEXT, Span::new(13, 17), Span::new(17, 20), 1),
        ];
        static ROLES: [RoleRow; 1] = [RoleRow {
            role: Span::new(27, 33),
            grant: 0,
        }];
        static PATTERNS: [Span; 1] = [Span::new(33, 38)];
        GrantTable {
            principal: "alice",
            text: TEXT,
            grants: &GRANTS,
            tags: &TAGS,
            roles: &ROLES,
            patterns: &PATTERNS,
            tag_index: &[],
            tag_values: &[],
        }
    }

    /// Values sliced once (`tag_values`, as a store fills it) read as the spans do; where
    /// present they are what is read, and rows past their end read their span.
    #[test]
    fn tag_values_are_read_where_present() {
        let t = table();
        let sliced: std::vec::Vec<&str> = (0..t.tags.len() as u32)
            .map(|i| t.tag_at(i).map_or("?", |(v, _)| v))
            .collect();
        assert_eq!(sliced, ["prod", "ops", "dev"]);
        let filled = GrantTable {
            tag_values: &sliced,
            ..t
        };
        for ms in [900, 1_200, 1_600, 2_000, 3_000] {
            let c = ctx("alice", ms, "ec2:Start");
            for key in ["team", "TEAM", "env", "none"] {
                assert_eq!(filled.tag(key, &c), t.tag(key, &c), "{key} at {ms}");
                assert!(filled.tag_values(key, &c).eq(t.tag_values(key, &c)));
            }
        }
        let partial = GrantTable {
            tag_values: &["PROD"],
            ..t
        };
        assert_eq!(partial.tag_at(0), Some(("PROD", 1)));
        assert_eq!(partial.tag_at(1), t.tag_at(1));
        assert_eq!(partial.tag_at(3), None);
    }

    fn ctx(who: &'static str, ms: i64, action: &'static str) -> GrantContext<'static> {
        GrantContext {
            principal: Some(who),
            time: Some(Timestamp::from_millis(ms)),
            action,
            resource: "arn:aws:ec2:us-east-1:1:instance/i-1",
        }
    }

    #[test]
    fn folded_prefixes_agree_with_lower_casing_every_byte() {
        for b in 0..=255u8 {
            let key = [b, b'a', b, b'Z', b, 0, b, b'@', b];
            let lower: std::vec::Vec<u8> = key.iter().map(u8::to_ascii_lowercase).collect();
            assert_eq!(folded_prefix(&key), key_prefix(&lower), "byte {b:#x}");
            for n in 0..=key.len() {
                assert_eq!(
                    folded_prefix(&key[..n]),
                    key_prefix(&lower[..n]),
                    "{b:#x} {n}"
                );
                let mut padded = [0u8; 8];
                let m = n.min(8);
                padded[..m].copy_from_slice(&key[..m]);
                assert_eq!(
                    key_prefix(&key[..n]),
                    u64::from_be_bytes(padded),
                    "{b:#x} {n}"
                );
            }
        }
    }

    /// Keys that share their first 8 bytes, keys that are prefixes of others, a NUL byte: the
    /// lookup finds exactly the rows of the asked key, in any case, and nothing else.
    #[test]
    fn keys_sharing_a_prefix_are_told_apart() {
        use std::string::String;
        use std::vec::Vec;
        let keys = [
            "a",
            "ab",
            "ab\0",
            "abcdefgh",
            "abcdefgh",
            "abcdefghi",
            "abcdefghij",
            "abcdefghz",
            "b",
        ];
        let mut text = String::new();
        let mut rows: Vec<TagRow> = Vec::new();
        let grants = [GrantRow {
            id: Span::EMPTY,
            not_before: Timestamp::from_millis(0),
            expires_at: Timestamp::from_millis(10),
            actions: Span::EMPTY,
            resources: Span::EMPTY,
        }];
        for k in keys {
            let start = text.len() as u32;
            text.push_str(k);
            let key = Span::new(start, text.len() as u32);
            rows.push(TagRow::new(&text, key, key, 0));
        }
        let mut index = std::vec![0u16; tag_index_len(rows.len())];
        assert!(fill_tag_index(&text, &rows, &mut index));
        assert!(!fill_tag_index(&text, &rows, &mut [0u16; 4]), "wrong size");
        // A full index built by hand: lookups of absent keys end.
        let ctx = GrantContext {
            principal: Some("p"),
            time: Some(Timestamp::from_millis(5)),
            action: "a:b",
            resource: "*",
        };
        let full = std::vec![1u16; index.len()];
        let table = GrantTable {
            principal: "p",
            text: &text,
            grants: &grants,
            tags: &rows,
            tag_index: &full,
            ..GrantTable::EMPTY
        };
        assert_eq!(table.tag("zz", &ctx), None);
        // Searched (no index) and hashed (index): the same answers.
        for tag_index in [&[][..], &index[..]] {
            let table = GrantTable {
                principal: "p",
                text: &text,
                grants: &grants,
                tags: &rows,
                tag_index,
                ..GrantTable::EMPTY
            };
            check_lookups(&table, &keys);
        }
    }

    fn check_lookups(table: &GrantTable<'_>, keys: &[&str]) {
        let ctx = GrantContext {
            principal: Some("p"),
            time: Some(Timestamp::from_millis(5)),
            action: "a:b",
            resource: "*",
        };
        for (i, k) in keys.iter().enumerate() {
            let (from, found) = table.tag_rows(k);
            let expect = keys.iter().filter(|o| *o == k).count();
            assert_eq!(found.len(), expect, "{k:?}");
            assert_eq!(from, keys.iter().position(|o| o == k).unwrap(), "{k:?}");
            let upper = k.to_ascii_uppercase();
            assert_eq!(table.tag_rows(&upper).1.len(), expect, "{upper:?}");
            assert_eq!(table.tag(k, &ctx).map(|(v, _)| v), Some(keys[i]));
        }
        for absent in [
            "",
            "aa",
            "ab\0\0",
            "abcdefg",
            "abcdefghia",
            "abcdefghy",
            "c",
            "\0",
        ] {
            assert!(table.tag_rows(absent).1.is_empty(), "{absent:?}");
            assert_eq!(table.tag(absent, &ctx), None);
        }
    }

    /// The fast path answers exactly as the general search, for every key (present or not,
    /// short or long, one row or several), time, scope and index (none, filled, or a full one
    /// built by hand so every probe meets other keys).
    #[test]
    fn the_fast_granted_tag_search_agrees_with_the_general_one() {
        use std::string::String;
        use std::vec::Vec;
        let keys = [
            "team",
            "env",
            "a",
            "abcdefgh",
            "abcdefghi",
            "team",
            "k1",
            "k2",
            "k3",
            "k4",
            "k5",
            "env",
        ];
        let mut text = String::from("ec2:*");
        let patterns = [Span::new(0, 5)];
        let mut grants: Vec<GrantRow> = Vec::new();
        let mut rows: Vec<TagRow> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let i = i as u32;
            let start = text.len() as u32;
            text.push_str(k);
            let key = Span::new(start, text.len() as u32);
            grants.push(GrantRow {
                id: key,
                not_before: Timestamp::from_millis(i64::from(i % 3) * 10),
                expires_at: Timestamp::from_millis(40 + i64::from(i % 4) * 10),
                // Every fourth grant has a scope.
                actions: if i % 4 == 3 {
                    Span::new(0, 1)
                } else {
                    Span::EMPTY
                },
                resources: Span::EMPTY,
            });
            rows.push(TagRow::new(&text, key, key, i));
        }
        let at = |r: &TagRow| &text.as_bytes()[r.key.start as usize..r.key.end as usize];
        rows.sort_by(|a, b| at(a).cmp(at(b)));
        let mut index = std::vec![0u16; tag_index_len(rows.len())];
        assert!(fill_tag_index(&text, &rows, &mut index));
        let full = std::vec![1u16; index.len()];
        // The rows as a store builds them: unscoped grants' windows copied in.
        let copied: Vec<TagRow> = rows
            .iter()
            .map(|r| match grants.get(r.grant as usize) {
                Some(g) if !g.has_scope() => r.with_window(g.not_before, g.expires_at),
                _ => *r,
            })
            .collect();
        assert!(copied.iter().any(|r| r.window != TagRow::NO_WINDOW));
        for (tag_index, rows) in [&[][..], &index[..], &full[..]]
            .into_iter()
            .flat_map(|i| [(i, &rows), (i, &copied)])
        {
            let table = GrantTable {
                principal: "p",
                text: &text,
                grants: &grants,
                tags: rows,
                patterns: &patterns,
                tag_index,
                ..GrantTable::EMPTY
            };
            for key in keys.iter().chain(&["", "tea", "teams", "abcdefgz", "zz"]) {
                let key = key.as_bytes();
                let prefix = key_prefix(key);
                for ms in [-1, 0, 5, 10, 20, 39, 40, 50, 69, 70, 80] {
                    for action in ["ec2:RunInstances", "s3:GetObject"] {
                        for principal in ["p", "q"] {
                            let scope = ScopeOf {
                                action,
                                resource: "*",
                            };
                            let t = Timestamp::from_millis(ms);
                            let general = table.counting_row_in(key, prefix, principal, t, &scope);
                            let fast = table
                                .counting_row_fast(key, prefix, principal, t, &scope)
                                .map(|(row, _)| row);
                            assert_eq!(fast, general, "{key:?} at {ms} {action} {principal}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn windows_are_inclusive_then_exclusive() {
        let t = table();
        let a = "ec2:StartInstances";
        assert_eq!(t.tag("team", &ctx("alice", 999, a)), None);
        assert_eq!(t.tag("team", &ctx("alice", 1_000, a)), Some(("ops", 0)));
        assert_eq!(t.tag("TEAM", &ctx("alice", 1_999, a)), Some(("ops", 0)));
        // g-a ended; g-b (started later, listed after) now gives the key.
        assert_eq!(t.tag("team", &ctx("alice", 2_000, a)), Some(("dev", 1)));
        assert_eq!(t.tag("team", &ctx("alice", 3_000, a)), None);
        assert_eq!(t.tag_row("env", &ctx("alice", 2_000, a)), Some(0));
    }

    #[test]
    fn other_principals_missing_time_and_scope() {
        let t = table();
        assert_eq!(t.tag("team", &ctx("bob", 1_200, "ec2:Start")), None);
        let mut c = ctx("alice", 1_200, "ec2:Start");
        c.time = None;
        assert_eq!(t.tag("team", &c), None);
        // Out of g-a's scope.
        assert_eq!(t.tag("team", &ctx("alice", 1_200, "s3:GetObject")), None);
        assert_eq!(
            t.tag("team", &ctx("alice", 1_600, "s3:GetObject")),
            Some(("dev", 1))
        );
    }

    #[test]
    fn roles_values_and_counting_grants() {
        let t = table();
        let c = ctx("alice", 1_600, "EC2:Run");
        assert_eq!(t.role("oncall", &c), Some(0));
        assert_eq!(t.role("admin", &c), None);
        let values: std::vec::Vec<_> = t.tag_values("Team", &c).collect();
        assert_eq!(values, [("ops", 0), ("dev", 1)]);
        assert_eq!(t.counting(&c).collect::<std::vec::Vec<_>>(), [0, 1]);
        assert_eq!(t.id(1), "g-b");
        assert_eq!(t.find("g-b"), Some(1));
        assert_eq!(t.id(7), "");
    }

    #[test]
    fn used_grants_dedupe_and_count_overflow() {
        use std::vec::Vec;
        // Ten grants, ids "g0".."g9".
        let text: std::string::String = (0..10).map(|i| std::format!("g{i}")).collect();
        let grants: Vec<GrantRow> = (0..10u32)
            .map(|i| GrantRow {
                id: Span::new(2 * i, 2 * i + 2),
                not_before: Timestamp::from_millis(0),
                expires_at: Timestamp::from_millis(1),
                actions: Span::EMPTY,
                resources: Span::EMPTY,
            })
            .collect();
        let table = GrantTable {
            principal: "p",
            text: &text,
            grants: &grants,
            ..GrantTable::EMPTY
        };
        let mut u = UsedGrants::of(&table);
        u.push(3);
        u.push(3);
        u.push(42); // not a row of the table
        assert_eq!(u.ids(), ["g3"]);
        assert_eq!(u.rows(), [3]);
        for g in (0..10).rev() {
            u.push(g);
        }
        assert_eq!(u.len(), MAX_USED_GRANTS);
        assert_eq!(u.ids().len(), MAX_USED_GRANTS);
        assert_eq!(u.ids(), ["g3", "g9", "g8", "g7", "g6", "g5", "g4", "g2"]);
        assert_eq!(u.more(), 2);
        // Equal by ids, whatever table they came from.
        let mut a = UsedGrants::of(&table);
        a.push(1);
        let mut b = UsedGrants::of(&table);
        b.push(1);
        assert_eq!(a, b);
        b.push(2);
        assert_ne!(a, b);
        assert!(UsedGrants::new().is_empty());
        let mut none = UsedGrants::new();
        none.push(0);
        assert!(none.is_empty(), "no table: nothing to name");
    }
}
