//! One principal's grants packed for evaluation: the owner of what a
//! [`GrantTable`](tagpolicy_runtime::GrantTable) borrows.

use std::sync::Arc;

use yoke::{Yoke, Yokeable};

use tagpolicy_runtime::grants::{
    fill_tag_index, tag_index_len, GrantRow, GrantTable, RoleRow, Span, TagRow,
};

use crate::Grant;

/// What a [`PrincipalGrants`] owns: the rows its table borrows, and the grants behind them.
#[derive(Debug, Default)]
struct Packed {
    principal: String,
    text: String,
    rows: Vec<GrantRow>,
    tags: Vec<TagRow>,
    roles: Vec<RoleRow>,
    patterns: Vec<Span>,
    /// The hash index of the tag keys (empty if the rows cannot be indexed).
    tag_index: Vec<u16>,
    records: Vec<Arc<Grant>>,
}

/// The granted values of a [`Packed`], row by row, sliced out of its text once.
#[derive(Yokeable)]
struct Values<'a>(Vec<&'a str>);

/// A [`Packed`] with its [`Values`].
type Valued = Yoke<Values<'static>, Arc<Packed>>;

/// The table a [`Valued`] lends, kept beside it (see [`PrincipalGrants`]).
#[derive(Clone, Copy, Yokeable)]
struct TableOf<'a>(GrantTable<'a>);

/// The grants of one principal, packed once (when the store changes) so that every evaluation
/// borrows them as a [`GrantTable`] without allocating or copying.
///
/// The table is built once and kept inline beside a shared pointer to what it borrows
/// ([`yoke`]: the packed rows and, built from them once, the granted values as `&str`s, which
/// the table's `tag_values` lends so reading a value checks nothing), so a request borrows it
/// where it lies, and cloning (each new snapshot holds every principal's) copies it and counts
/// one more reference, without allocating.
///
/// Grants are ordered latest-starting first (then by id), so where two grants that both count give
/// the same tag key, the one that started last wins.
#[derive(Clone)]
pub struct PrincipalGrants {
    table: Yoke<TableOf<'static>, Arc<Valued>>,
}

impl Default for PrincipalGrants {
    fn default() -> Self {
        PrincipalGrants::from_packed(Packed::default())
    }
}

impl std::fmt::Debug for PrincipalGrants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalGrants")
            .field("table", self.table())
            .field("grants", &self.grants())
            .finish()
    }
}

impl PrincipalGrants {
    /// Packs the grants of `principal` among `grants` (others are skipped).
    pub fn new<'g>(principal: &str, grants: impl IntoIterator<Item = &'g Arc<Grant>>) -> Self {
        let mut records: Vec<Arc<Grant>> = grants
            .into_iter()
            .filter(|g| g.principal == principal)
            .cloned()
            .collect();
        records.sort_by(|a, b| {
            b.not_before
                .cmp(&a.not_before)
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut packed = Packed {
            principal: principal.to_owned(),
            ..Packed::default()
        };
        for (row, g) in records.iter().enumerate() {
            let row = u32::try_from(row).unwrap_or(u32::MAX);
            let id = packed.push_text(&g.id);
            let (actions, resources) = match &g.scope {
                Some(scope) => {
                    let actions =
                        packed.push_patterns(scope.actions.iter().map(|a| a.to_ascii_lowercase()));
                    let resources = packed.push_patterns(scope.resources.iter().cloned());
                    (actions, resources)
                }
                None => (Span::EMPTY, Span::EMPTY),
            };
            let grant_row = GrantRow {
                id,
                not_before: g.not_before,
                expires_at: g.expires_at,
                actions,
                resources,
            };
            packed.rows.push(grant_row);
            for (k, v) in &g.tags {
                let key = packed.push_text(&k.to_ascii_lowercase());
                let value = packed.push_text(v);
                let mut tag = TagRow::new(&packed.text, key, value, row);
                // An unscoped grant's window, copied for the lookup's fast path.
                if !grant_row.has_scope() {
                    tag = tag.with_window(g.not_before, g.expires_at);
                }
                packed.tags.push(tag);
            }
            for r in &g.roles {
                let role = packed.push_text(r);
                packed.roles.push(RoleRow { role, grant: row });
            }
        }
        // Stable sorts: rows of one key (or role) keep the grant order.
        let text = std::mem::take(&mut packed.text);
        let at = |s: Span| text.get(s.start as usize..s.end as usize).unwrap_or("");
        packed.tags.sort_by(|a, b| at(a.key).cmp(at(b.key)));
        packed.roles.sort_by(|a, b| at(a.role).cmp(at(b.role)));
        let mut index = vec![0; tag_index_len(packed.tags.len())];
        if fill_tag_index(&text, &packed.tags, &mut index) {
            packed.tag_index = index;
        }
        packed.text = text;
        packed.records = records;
        PrincipalGrants::from_packed(packed)
    }

    fn from_packed(packed: Packed) -> Self {
        let valued: Valued = Yoke::attach_to_cart(Arc::new(packed), |p| {
            let value = |r: &TagRow| {
                let span = r.value.start as usize..r.value.end as usize;
                p.text.get(span).unwrap_or("")
            };
            Values(p.tags.iter().map(value).collect())
        });
        let table = Yoke::attach_to_cart(Arc::new(valued), |v| {
            let p = &**v.backing_cart();
            TableOf(GrantTable {
                principal: &p.principal,
                text: &p.text,
                grants: &p.rows,
                tags: &p.tags,
                roles: &p.roles,
                patterns: &p.patterns,
                tag_index: &p.tag_index,
                tag_values: &v.get().0,
            })
        });
        PrincipalGrants { table }
    }

    /// The table evaluation borrows (`Request::with_grants`).
    #[inline(always)]
    pub fn table(&self) -> &GrantTable<'_> {
        &self.table.get().0
    }

    /// The principal.
    #[inline]
    pub fn principal(&self) -> &str {
        self.table().principal
    }

    /// Whether these are `principal`'s grants (compared inline, word by word).
    #[inline(always)]
    pub fn is_for(&self, principal: &str) -> bool {
        tagpolicy_runtime::bytes::eq(self.principal().as_bytes(), principal.as_bytes())
    }

    /// The grants, in table order (row `i` of the table is `grants()[i]`).
    pub fn grants(&self) -> &[Arc<Grant>] {
        &self.table.backing_cart().backing_cart().records
    }

    /// How many grants.
    pub fn len(&self) -> usize {
        self.grants().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.grants().is_empty()
    }
}

impl Packed {
    fn push_text(&mut self, s: &str) -> Span {
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(s);
        let end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        Span::new(start, end)
    }

    fn push_patterns(&mut self, patterns: impl Iterator<Item = String>) -> Span {
        let start = u32::try_from(self.patterns.len()).unwrap_or(u32::MAX);
        for p in patterns {
            let span = self.push_text(&p);
            self.patterns.push(span);
        }
        let end = u32::try_from(self.patterns.len()).unwrap_or(u32::MAX);
        Span::new(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagpolicy_runtime::grants::GrantContext;
    use tagpolicy_runtime::Timestamp;

    fn grant(id: &str, principal: &str, key: &str, value: &str, from: i64, to: i64) -> Arc<Grant> {
        Arc::new(Grant {
            id: id.into(),
            principal: principal.into(),
            tags: [(key.to_owned(), value.to_owned())].into_iter().collect(),
            roles: vec!["oncall".into()],
            not_before: Timestamp::from_millis(from),
            expires_at: Timestamp::from_millis(to),
            reason: "r".into(),
            requested_by: principal.into(),
            approved_by: vec!["bob".into()],
            ticket: None,
            scope: None,
            break_glass: false,
        })
    }

    fn at(ms: i64) -> GrantContext<'static> {
        GrantContext {
            principal: Some("alice"),
            time: Some(Timestamp::from_millis(ms)),
            action: "ec2:StartInstances",
            resource: "*",
        }
    }

    #[test]
    fn the_latest_starting_grant_wins_a_key_and_others_are_skipped() {
        let gs = [
            grant("g-1", "alice", "Team", "ops", 0, 100),
            grant("g-2", "alice", "team", "sec", 50, 200),
            grant("g-3", "bob", "team", "dev", 0, 200),
        ];
        let p = PrincipalGrants::new("alice", &gs);
        assert_eq!(p.len(), 2);
        let t = p.table();
        assert_eq!(t.tag("TEAM", &at(10)), Some(("ops", 1)));
        assert_eq!(t.tag("team", &at(60)), Some(("sec", 0)));
        assert_eq!(t.id(0), "g-2");
        assert_eq!(t.tag("team", &at(150)), Some(("sec", 0)));
        assert_eq!(t.tag("team", &at(200)), None);
        assert_eq!(t.role("oncall", &at(10)), Some(1));
        assert_eq!(p.grants()[1].id, "g-1");
    }
}
