//! The permission form (SPEC §3): requests about a subject acting on a resource, decided by roles
//! that grant permissions with JSON Logic conditions.

use crate::grants::{GrantContext, GrantTable, UsedGrants};
use crate::jsonlogic::Val;
use crate::time::Timestamp;

/// A subject or a resource: what a permission condition can read about it.
///
/// Conditions see it as `{"id", "type", "meta": {…}, "tags": {group: [values]}}`; roles are not
/// part of that data (they decide which permissions apply).
#[derive(Clone, Copy, Debug, Default)]
pub struct Entity<'a> {
    /// Its id (`resource_pattern` globs match a resource's id).
    pub id: &'a str,
    /// Its type (`resource_type` is compared with a resource's type).
    pub kind: &'a str,
    /// For a subject: the roles it holds.
    pub roles: &'a [&'a str],
    /// Attributes, typed.
    pub meta: &'a [(&'a str, Val<'a>)],
    /// Tag groups: each a list of values.
    pub tags: &'a [(&'a str, &'a [&'a str])],
}

impl<'a> Entity<'a> {
    /// An entity of a type with an id.
    pub const fn new(kind: &'a str, id: &'a str) -> Self {
        Entity {
            id,
            kind,
            roles: &[],
            meta: &[],
            tags: &[],
        }
    }

    /// Sets the roles.
    pub const fn with_roles(mut self, roles: &'a [&'a str]) -> Self {
        self.roles = roles;
        self
    }

    /// Sets the attributes.
    pub const fn with_meta(mut self, meta: &'a [(&'a str, Val<'a>)]) -> Self {
        self.meta = meta;
        self
    }

    /// Sets the tag groups.
    pub const fn with_tags(mut self, tags: &'a [(&'a str, &'a [&'a str])]) -> Self {
        self.tags = tags;
        self
    }

    /// An attribute, by exact name (the first entry wins).
    #[inline]
    pub fn meta(&self, key: &str) -> Option<Val<'a>> {
        self.meta.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// A tag group, by exact name (the first entry wins).
    #[inline]
    pub fn tag(&self, group: &str) -> Option<&'a [&'a str]> {
        self.tags.iter().find(|(k, _)| *k == group).map(|(_, v)| *v)
    }
}

/// A request in the permission form: borrowed data only.
#[derive(Clone, Copy, Debug)]
pub struct AccessRequest<'a> {
    /// Who acts.
    pub subject: Entity<'a>,
    /// What is acted on.
    pub resource: Entity<'a>,
    /// The action, compared exactly with a permission's `action`.
    pub action: &'a str,
    /// Request context: `context.x` in conditions.
    pub context: &'a [(&'a str, Val<'a>)],
    /// The evaluation time (grants are active by it).
    pub time: Option<Timestamp>,
    /// The subject's grants: their roles and tag values are added to the subject's.
    pub grants: &'a GrantTable<'a>,
}

impl Default for AccessRequest<'_> {
    /// No subject, action, resource, context, time or grants.
    fn default() -> Self {
        AccessRequest::new(Entity::default(), "", Entity::default())
    }
}

impl<'a> AccessRequest<'a> {
    /// A request: `subject` does `action` on `resource`.
    pub const fn new(subject: Entity<'a>, action: &'a str, resource: Entity<'a>) -> Self {
        AccessRequest {
            subject,
            resource,
            action,
            context: &[],
            time: None,
            grants: &GrantTable::EMPTY,
        }
    }

    /// Sets the context.
    pub const fn with_context(mut self, context: &'a [(&'a str, Val<'a>)]) -> Self {
        self.context = context;
        self
    }

    /// Sets the evaluation time.
    pub const fn with_time(mut self, time: Timestamp) -> Self {
        self.time = Some(time);
        self
    }

    /// Sets the subject's grants (a grant store's table for the subject's id).
    pub const fn with_grants(mut self, grants: &'a GrantTable<'a>) -> Self {
        self.grants = grants;
        self
    }

    /// What decides whether a grant counts for this request: the subject's id, the time, the
    /// action and the resource's id.
    pub const fn grant_context(&self) -> GrantContext<'a> {
        GrantContext {
            principal: Some(self.subject.id),
            time: self.time,
            action: self.action,
            resource: self.resource.id,
        }
    }

    /// Whether the subject holds `role`, itself or by a grant that counts for this request.
    #[inline(always)]
    pub fn subject_has_role(&self, role: &str) -> bool {
        // Inline word compares against the (mostly constant) role name rather than a `memcmp`
        // call per held role.
        self.subject
            .roles
            .iter()
            .any(|r| crate::bytes::eq(r.as_bytes(), role.as_bytes()))
            || (!self.grants.is_empty() && self.granted_role(role))
    }

    /// Whether a grant that counts for this request gives the subject `role`.
    #[inline(never)]
    fn granted_role(&self, role: &str) -> bool {
        self.grants.role(role, &self.grant_context()).is_some()
    }

    /// Calls `f` with this request where the tag values of counting grants are added to the
    /// subject's tag groups (a granted key names a group ASCII-case-insensitively; values already
    /// in the group are not repeated). Without such grants, `f` gets this request as it is.
    ///
    /// The merged groups live on the stack: when the subject's groups and the granted keys exceed
    /// [`MAX_MERGED_GROUPS`], or its values and the granted ones [`MAX_MERGED_VALUES`], no granted
    /// tag value is added (grants only add access, so leaving them out is the safe side).
    #[inline]
    pub fn with_granted_tags<R>(&self, f: impl FnOnce(&AccessRequest<'_>) -> R) -> R {
        if self.grants.tags.is_empty() {
            return f(self);
        }
        self.merge_granted_tags(f)
    }

    /// [`AccessRequest::with_granted_tags`] when some grant has tags.
    fn merge_granted_tags<R>(&self, f: impl FnOnce(&AccessRequest<'_>) -> R) -> R {
        let ctx = self.grant_context();
        let table = self.grants;
        if table.tags.is_empty() || !table.applies(&ctx) {
            return f(self);
        }
        let counting = |r: &crate::grants::TagRow| table.counts(r.grant, &ctx);
        let granted = table.tags.iter().filter(|r| counting(r)).count();
        let base_values = self
            .subject
            .tags
            .iter()
            .fold(0usize, |n, (_, v)| n.saturating_add(v.len()));
        if granted == 0
            || self.subject.tags.len().saturating_add(granted) > MAX_MERGED_GROUPS
            || base_values.saturating_add(granted) > MAX_MERGED_VALUES
        {
            // Nothing to add, or more than the stack buffers hold: the subject as it is.
            return f(self);
        }
        let mut values: [&'a str; MAX_MERGED_VALUES] = [""; MAX_MERGED_VALUES];
        let mut ranges: [(&'a str, usize, usize); MAX_MERGED_GROUPS] =
            [("", 0, 0); MAX_MERGED_GROUPS];
        let mut n_values = 0usize;
        let mut n_groups = 0usize;
        let mut push = |v: &'a str, from: usize, n: &mut usize| {
            let seen = values.get(from..*n).is_some_and(|s| s.contains(&v));
            if !seen {
                if let Some(slot) = values.get_mut(*n) {
                    *slot = v;
                    *n = n.saturating_add(1);
                }
            }
        };
        // The subject's groups, each followed by the values granted to it.
        for (group, base) in self.subject.tags {
            let Some(range) = ranges.get_mut(n_groups) else {
                break;
            };
            let from = n_values;
            for v in *base {
                push(v, from, &mut n_values);
            }
            for (at, row) in table.tags.iter().enumerate() {
                if counting(row) {
                    if let Some((key, value)) = table_row_text(table, at, row) {
                        if key.eq_ignore_ascii_case(group) {
                            push(value, from, &mut n_values);
                        }
                    }
                }
            }
            *range = (group, from, n_values);
            n_groups = n_groups.saturating_add(1);
        }
        // Granted keys the subject has no group for: new groups, named as granted (lower case).
        let mut last_key: Option<&'a str> = None;
        for (at, row) in table.tags.iter().enumerate() {
            if !counting(row) {
                continue;
            }
            let Some((key, value)) = table_row_text(table, at, row) else {
                continue;
            };
            if self
                .subject
                .tags
                .iter()
                .any(|(g, _)| g.eq_ignore_ascii_case(key))
            {
                continue;
            }
            if last_key != Some(key) {
                if ranges.get(n_groups).is_none() {
                    break;
                }
                if let Some(range) = ranges.get_mut(n_groups) {
                    *range = (key, n_values, n_values);
                }
                n_groups = n_groups.saturating_add(1);
                last_key = Some(key);
            }
            let Some(current) = n_groups.checked_sub(1) else {
                continue;
            };
            let from = ranges.get(current).map_or(n_values, |r| r.1);
            push(value, from, &mut n_values);
            if let Some(range) = ranges.get_mut(current) {
                range.2 = n_values;
            }
        }
        let values = &values;
        let mut groups: [(&str, &[&str]); MAX_MERGED_GROUPS] = [("", &[]); MAX_MERGED_GROUPS];
        for (slot, (name, from, to)) in groups.iter_mut().zip(ranges.iter().take(n_groups)) {
            *slot = (name, values.get(*from..*to).unwrap_or(&[]));
        }
        let mut merged = *self;
        merged.subject.tags = groups.get(..n_groups).unwrap_or(&[]);
        f(&merged)
    }

    /// Whether [`AccessRequest::with_granted_tags`] adds granted tag values to this request's
    /// subject (some grant with a tag counts, and the merged groups fit the stack buffers).
    fn merges_granted_tags(&self, ctx: &GrantContext<'a>) -> bool {
        let table = self.grants;
        if table.tags.is_empty() || !table.applies(ctx) {
            return false;
        }
        let granted = table
            .tags
            .iter()
            .filter(|r| table.counts(r.grant, ctx))
            .count();
        let base_values = self
            .subject
            .tags
            .iter()
            .fold(0usize, |n, (_, v)| n.saturating_add(v.len()));
        granted > 0
            && self.subject.tags.len().saturating_add(granted) <= MAX_MERGED_GROUPS
            && base_values.saturating_add(granted) <= MAX_MERGED_VALUES
    }

    /// Calls `f` with each grant (row index) whose tag value [`AccessRequest::with_granted_tags`]
    /// adds to the subject's tag group `group` as conditions read it (`subject.tags.GROUP`, the
    /// first group of that exact name), or to any group for `None`. A value the group already has
    /// (on its own, or from a grant listed earlier) is not added, so its grant is not named.
    pub fn granted_tag_grants(&self, group: Option<&str>, mut f: impl FnMut(u32)) {
        let ctx = self.grant_context();
        if !self.merges_granted_tags(&ctx) {
            return;
        }
        let table = self.grants;
        // The rows added to a merged group: its base values, and the counting rows whose key
        // `matches`, in table order, each added unless its value is there already.
        let added = |base: &[&str], matches: &dyn Fn(&str) -> bool, f: &mut dyn FnMut(u32)| {
            let rows = || {
                table.tags.iter().enumerate().filter_map(|(at, r)| {
                    let (key, value) = table_row_text(table, at, r)?;
                    (table.counts(r.grant, &ctx) && matches(key)).then_some((value, r.grant))
                })
            };
            for (i, (value, grant)) in rows().enumerate() {
                if !base.contains(&value) && !rows().take(i).any(|(v, _)| v == value) {
                    f(grant);
                }
            }
        };
        let own = |key: &str| {
            self.subject
                .tags
                .iter()
                .any(|(g, _)| g.eq_ignore_ascii_case(key))
        };
        match group {
            Some(name) => match self.subject.tags.iter().find(|(g, _)| *g == name) {
                // The subject's own group, with the values granted under its name.
                Some((g, base)) => added(base, &|k| k.eq_ignore_ascii_case(g), &mut f),
                // A group the grants add, named as granted.
                None => added(&[], &|k| k == name && !own(k), &mut f),
            },
            None => {
                for (g, base) in self.subject.tags {
                    added(base, &|k| k.eq_ignore_ascii_case(g), &mut f);
                }
                added(&[], &|k| !own(k), &mut f);
            }
        }
    }

    /// The grants an allow by a permission relied on, given what the permission reads (see
    /// [`PermissionRead`]): the grants behind granting roles the subject does not hold on its
    /// own, and those whose tag values were added to a subject tag group the condition reads.
    /// A grant that does not count for this request (expired, not yet active, revoked, out of
    /// scope, another principal's) is never named.
    pub fn grants_used(
        &self,
        reads: impl FnOnce(&mut dyn FnMut(PermissionRead<'_>)),
    ) -> UsedGrants<'a> {
        let table = self.grants;
        let mut used = UsedGrants::of(self.grants);
        let ctx = self.grant_context();
        if !table.applies(&ctx) {
            return used;
        }
        reads(&mut |read| match read {
            PermissionRead::Role(role) => {
                if !self.subject.roles.contains(&role) {
                    if let Some(g) = table.role(role, &ctx) {
                        used.push(g);
                    }
                }
            }
            PermissionRead::TagGroup(group) => {
                self.granted_tag_grants(Some(group), |g| used.push(g));
            }
            PermissionRead::AnyTagGroup => {
                self.granted_tag_grants(None, |g| used.push(g));
            }
        });
        used
    }

    /// A context value, by exact name.
    #[inline]
    pub fn context(&self, key: &str) -> Option<Val<'a>> {
        self.context
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
}

/// How many tag groups a subject with granted tag values can have.
pub const MAX_MERGED_GROUPS: usize = 32;
/// How many tag values, in all groups, a subject with granted tag values can have.
pub const MAX_MERGED_VALUES: usize = 128;

/// Tag row number `at`, `row`, of `table`: its key (`None` if its span is outside the text)
/// and value.
fn table_row_text<'a>(
    table: &GrantTable<'a>,
    at: usize,
    row: &crate::grants::TagRow,
) -> Option<(&'a str, &'a str)> {
    let key = table
        .text
        .get(row.key.start as usize..row.key.end as usize)?;
    Some((key, table.value_of(u32::try_from(at).ok()?, row)))
}

/// How many granting roles a decision lists; more are counted, not named. Four keeps a decision
/// small enough to be returned with a few stores (at eight, every decision copied 136 bytes
/// through a `memcpy` call); a subject holding more than four roles that all grant the deciding
/// permission is counted in [`GrantingRoles::more`].
pub const MAX_GRANTING_ROLES: usize = 4;

/// The roles that granted a permission, in the permission set's role order (no allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrantingRoles<'p> {
    names: [&'p str; MAX_GRANTING_ROLES],
    len: u8,
    more: u16,
}

impl<'p> GrantingRoles<'p> {
    /// No roles.
    pub const EMPTY: GrantingRoles<'static> = GrantingRoles {
        names: [""; MAX_GRANTING_ROLES],
        len: 0,
        more: 0,
    };

    /// Adds a role (beyond the capacity, it is only counted).
    pub fn push(&mut self, role: &'p str) {
        match self.names.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = role;
                self.len = self.len.saturating_add(1);
            }
            None => self.more = self.more.saturating_add(1),
        }
    }

    /// The named roles.
    pub fn names(&self) -> &[&'p str] {
        self.names.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// How many granting roles were not named for lack of room.
    pub fn more(&self) -> usize {
        usize::from(self.more)
    }
}

/// The answer to a permission request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessDecision<'p> {
    /// A permission allows: its key, and the subject's roles that grant it.
    Allow {
        /// The permission's key (the first in the set's order that allows).
        permission: &'p str,
        /// The subject's roles that list it.
        roles: GrantingRoles<'p>,
    },
    /// No permission allows (the permission form has no explicit deny).
    Deny,
}

impl AccessDecision<'_> {
    /// Whether the request is allowed.
    pub const fn is_allowed(&self) -> bool {
        matches!(self, AccessDecision::Allow { .. })
    }
}

/// What an allow by a permission relies on, as far as grants can supply it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PermissionRead<'p> {
    /// A role that lists the permission.
    Role(&'p str),
    /// A subject tag group the permission's condition reads (`subject.tags.GROUP`).
    TagGroup(&'p str),
    /// The condition may read any subject tag group (a computed path).
    AnyTagGroup,
}

/// A permission decision with the grants it relied on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccessEvaluation<'p, 'r> {
    /// The decision.
    pub decision: AccessDecision<'p>,
    /// For an allow, the grants behind granting roles the subject does not hold on its own and
    /// those whose tag values joined a subject tag group the condition reads (see
    /// [`AccessRequest::grants_used`]). Empty for a deny.
    pub grants: UsedGrants<'r>,
}

/// A permission set that decides permission requests: compiled or loaded at run time.
pub trait Permissions {
    /// Decides a request.
    fn decide<'s>(&'s self, request: &AccessRequest<'_>) -> AccessDecision<'s>;

    /// Calls `f` with what permission `key` relies on: the roles that list it (in the set's role
    /// order), then the subject tag groups its condition reads; nothing for an unknown key.
    fn permission_reads(&self, key: &str, f: &mut dyn FnMut(PermissionRead<'_>));

    /// Decides a request and names the grants the allow relied on (see [`AccessEvaluation`]).
    /// No allocation.
    fn decide_with_grants<'s, 'r>(
        &'s self,
        request: &AccessRequest<'r>,
    ) -> AccessEvaluation<'s, 'r> {
        let decision = self.decide(request);
        let grants = match decision {
            AccessDecision::Allow { permission, .. } => {
                request.grants_used(|f| self.permission_reads(permission, f))
            }
            AccessDecision::Deny => UsedGrants::new(),
        };
        AccessEvaluation { decision, grants }
    }
}

/// What a compiled set calls for [`Permissions::permission_reads`].
pub type ReadsFn = fn(&str, &mut dyn FnMut(PermissionRead<'_>));

/// A permission set compiled to Rust at build time: a `static` that decides permission requests
/// with no parsing and no allocation.
#[derive(Clone, Copy)]
pub struct CompiledPermissions {
    #[doc(hidden)]
    pub decide: for<'r> fn(&AccessRequest<'r>) -> AccessDecision<'static>,
    #[doc(hidden)]
    pub reads: ReadsFn,
    #[doc(hidden)]
    pub source: &'static str,
}

fn deny_all(_: &AccessRequest<'_>) -> AccessDecision<'static> {
    AccessDecision::Deny
}

fn reads_nothing(_: &str, _: &mut dyn FnMut(PermissionRead<'_>)) {}

impl CompiledPermissions {
    /// A set that allows nothing: what `policy!` expands to next to its compile error.
    pub const DENY_ALL: CompiledPermissions = CompiledPermissions {
        decide: deny_all,
        reads: reads_nothing,
        source: "",
    };

    /// Decides a request, with a `'static` decision.
    #[inline]
    pub fn decide_request(&self, request: &AccessRequest<'_>) -> AccessDecision<'static> {
        (self.decide)(request)
    }

    /// The file (or label) the set was compiled from.
    pub fn source(&self) -> &'static str {
        self.source
    }
}

impl Permissions for CompiledPermissions {
    #[inline]
    fn decide<'s>(&'s self, request: &AccessRequest<'_>) -> AccessDecision<'s> {
        (self.decide)(request)
    }

    fn permission_reads(&self, key: &str, f: &mut dyn FnMut(PermissionRead<'_>)) {
        (self.reads)(key, f)
    }
}

impl core::fmt::Debug for CompiledPermissions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CompiledPermissions")
            .field("source", &self.source)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grants::{GrantRow, RoleRow, Span, TagRow};
    use crate::time::Timestamp;

    /// u-1: g-a and g-b both add finance to `departments`, g-c adds team=ops and the auditor role;
    /// all from t=1000 ms to t=2000 ms.
    const TEXT: &str = "g-ag-bg-cdepartmentsfinanceteamopsauditor";

    fn table() -> &'static GrantTable<'static> {
        const fn row(id: Span) -> GrantRow {
            GrantRow {
                id,
                not_before: Timestamp::from_millis(1_000),
                expires_at: Timestamp::from_millis(2_000),
                actions: Span::EMPTY,
                resources: Span::EMPTY,
            }
        }
        static GRANTS: [GrantRow; 3] = [
            row(Span::new(0, 3)),
            row(Span::new(3, 6)),
            row(Span::new(6, 9)),
        ];
        static TAGS: [TagRow; 3] = [
            TagRow::new(TEXT, Span::new(9, 20), Span::new(20, 27), 0),
            TagRow::new(TEXT, Span::new(9, 20), Span::new(20, 27), 1),
            TagRow::new(TEXT, Span::new(27, 31), Span::new(31, 34), 2),
        ];
        static ROLES: [RoleRow; 1] = [RoleRow {
            role: Span::new(34, 41),
            grant: 2,
        }];
        static TABLE: GrantTable<'static> = GrantTable {
            principal: "u-1",
            text: TEXT,
            grants: &GRANTS,
            tags: &TAGS,
            roles: &ROLES,
            patterns: &[],
            tag_index: &[],
            tag_values: &[],
        };
        &TABLE
    }

    fn grants_of(req: &AccessRequest<'_>, group: Option<&str>) -> std::vec::Vec<u32> {
        let mut out = std::vec::Vec::new();
        req.granted_tag_grants(group, |g| out.push(g));
        out
    }

    #[test]
    fn the_grants_behind_added_tag_values_and_granted_roles() {
        let research: &[&str] = &["research"];
        let tags = [("Departments", research)];
        let subject = Entity::new("user", "u-1").with_tags(&tags);
        let req = AccessRequest::new(subject, "read", Entity::new("doc", "d-1"))
            .with_grants(table())
            .with_time(Timestamp::from_millis(1_500));
        // What the merge adds: finance to the subject's own group (g-a first, g-b's value is
        // there already), and a new group `team`.
        req.with_granted_tags(|m| {
            assert_eq!(
                m.subject.tag("Departments"),
                Some(&["research", "finance"][..])
            );
            assert_eq!(m.subject.tag("departments"), None);
            assert_eq!(m.subject.tag("team"), Some(&["ops"][..]));
        });
        assert_eq!(grants_of(&req, Some("Departments")), [0]);
        assert_eq!(grants_of(&req, Some("departments")), [] as [u32; 0]);
        assert_eq!(grants_of(&req, Some("team")), [2]);
        assert_eq!(grants_of(&req, None), [0, 2]);

        let used = req.grants_used(|f| {
            f(PermissionRead::Role("auditor"));
            f(PermissionRead::TagGroup("team"));
            f(PermissionRead::TagGroup("Departments"));
        });
        assert_eq!(used.ids(), ["g-c", "g-a"]);
        // A role held on its own relies on no grant; a group not read names none.
        let roles = ["auditor"];
        let own = AccessRequest {
            subject: subject.with_roles(&roles),
            ..req
        };
        let used = own.grants_used(|f| f(PermissionRead::Role("auditor")));
        assert!(used.is_empty());
        // Outside the window, or for someone else, nothing counts.
        let late = req.with_time(Timestamp::from_millis(2_000));
        assert!(late
            .grants_used(|f| f(PermissionRead::AnyTagGroup))
            .is_empty());
        assert!(late
            .grants_used(|f| f(PermissionRead::Role("auditor")))
            .is_empty());
        let other = AccessRequest {
            subject: Entity::new("user", "u-2").with_tags(&tags),
            ..req
        };
        assert!(other
            .grants_used(|f| f(PermissionRead::AnyTagGroup))
            .is_empty());
    }

    #[test]
    fn a_subject_too_large_to_merge_relies_on_no_tag_grant() {
        let many = [""; MAX_MERGED_VALUES];
        let tags = [("departments", &many[..])];
        let req = AccessRequest::new(
            Entity::new("user", "u-1").with_tags(&tags),
            "read",
            Entity::new("doc", "d-1"),
        )
        .with_grants(table())
        .with_time(Timestamp::from_millis(1_500));
        req.with_granted_tags(|m| assert_eq!(m.subject.tags.len(), 1));
        assert_eq!(grants_of(&req, None), [] as [u32; 0]);
    }
}
