//! The grant store: issue, revoke, expire, and an immutable snapshot that evaluations read.
//!
//! Writers (issue, revoke, expire) serialise on a lock, build a new [`Snapshot`] and swap it in
//! atomically ([`arc_swap`]); readers take the current snapshot without locking or allocating and
//! lend a principal's [`GrantTable`] to their requests. A reader never frees a snapshot: the store
//! keeps every replaced snapshot until no reader holds it and frees it on a later write, on the
//! writer's thread. Revocation is visible to every evaluation that loads the snapshot after
//! [`GrantStore::revoke`] returns.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use tagpolicy_runtime::{GrantTable, Timestamp};

use crate::audit::{AuditEvent, AuditLog};
use crate::index::{random_seed, PrincipalIndex};
use crate::table::PrincipalGrants;
use crate::{Grant, GrantPolicy, Rejection};

/// What evaluations read: every principal's grants (issued, not revoked, not yet removed as
/// expired) at one revision.
#[derive(Debug, Default)]
pub struct Snapshot {
    revision: u64,
    /// Each principal's packed grants, its table inline in the index entry: a lookup reads the
    /// entry and then the table's rows.
    index: PrincipalIndex<PrincipalGrants>,
}

impl Snapshot {
    /// The grants of `principal` as a request borrows them (empty if it has none).
    #[inline]
    pub fn grants_of(&self, principal: &str) -> &GrantTable<'_> {
        match self.principal(principal) {
            Some(p) => p.table(),
            None => &GrantTable::EMPTY,
        }
    }

    /// The packed grants of `principal`.
    #[inline]
    pub fn principal(&self, principal: &str) -> Option<&PrincipalGrants> {
        self.find(principal).map(|(_, p)| p)
    }

    /// Where `principal`'s grants are in the index, and they.
    #[inline(always)]
    fn find(&self, principal: &str) -> Option<(usize, &PrincipalGrants)> {
        self.index.find(principal, |p| p.is_for(principal))
    }

    /// The packed grants in index entry `entry`, if any.
    #[inline(always)]
    fn at(&self, entry: usize) -> Option<&PrincipalGrants> {
        self.index.at(entry)
    }

    /// The store revision this snapshot shows (0 for an empty store, then one more per change).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// How many grants it holds.
    pub fn len(&self) -> usize {
        self.index.values().map(PrincipalGrants::len).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.index.values().next().is_none()
    }
}

/// A revoked grant: who revoked it and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// The grant.
    pub grant: Arc<Grant>,
    /// Who revoked it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// Where a grant stands at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantStatus {
    /// Its window has not started: it starts in this many milliseconds.
    Pending {
        /// Milliseconds until `not_before`.
        starts_in_ms: i64,
    },
    /// In force: this many milliseconds left.
    Active {
        /// Milliseconds until `expires_at`.
        left_ms: i64,
    },
    /// Its window ended this many milliseconds ago.
    Expired {
        /// Milliseconds since `expires_at`.
        ago_ms: i64,
    },
    /// Revoked.
    Revoked {
        /// Who revoked it.
        by: String,
        /// When.
        at: Timestamp,
    },
}

impl GrantStatus {
    /// The status of a grant that is not revoked, at `t`.
    pub fn of(grant: &Grant, t: Timestamp) -> GrantStatus {
        let ms = t.millis();
        if ms < grant.not_before.millis() {
            GrantStatus::Pending {
                starts_in_ms: grant.not_before.millis().saturating_sub(ms),
            }
        } else if ms < grant.expires_at.millis() {
            GrantStatus::Active {
                left_ms: grant.expires_at.millis().saturating_sub(ms),
            }
        } else {
            GrantStatus::Expired {
                ago_ms: ms.saturating_sub(grant.expires_at.millis()),
            }
        }
    }

    /// Whether the grant is in force.
    pub fn is_active(&self) -> bool {
        matches!(self, GrantStatus::Active { .. })
    }
}

/// A duration for people: `42m`, `1h 5m`, `3s`, `250ms`.
pub fn human_duration(ms: i64) -> String {
    let ms = ms.max(0);
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    match (h, m, s) {
        (0, 0, 0) => format!("{ms}ms"),
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

impl fmt::Display for GrantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantStatus::Pending { starts_in_ms } => {
                write!(
                    f,
                    "not yet active, starts in {}",
                    human_duration(*starts_in_ms)
                )
            }
            GrantStatus::Active { left_ms } => {
                write!(f, "active, {} left", human_duration(*left_ms))
            }
            GrantStatus::Expired { ago_ms } => {
                write!(f, "expired {} ago", human_duration(*ago_ms))
            }
            GrantStatus::Revoked { by, at } => {
                let mut buf = [0u8; 32];
                write!(f, "revoked by {by} at {}", at.write_rfc3339(&mut buf))
            }
        }
    }
}

/// Why a grant was not issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssueError {
    /// The grant policy rejects it, for these reasons.
    Rejected(Vec<Rejection>),
    /// A grant with that id exists (issued or revoked).
    DuplicateId(String),
}

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueError::Rejected(reasons) => {
                write!(f, "grant rejected: ")?;
                for (i, r) in reasons.iter().enumerate() {
                    if i > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
            IssueError::DuplicateId(id) => write!(f, "a grant with id \"{id}\" already exists"),
        }
    }
}

impl std::error::Error for IssueError {}

/// Why a grant could not be revoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevokeError {
    /// No grant has that id (or it was removed as expired).
    Unknown(String),
    /// It is revoked already.
    AlreadyRevoked(String),
}

impl fmt::Display for RevokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevokeError::Unknown(id) => write!(f, "no grant with id \"{id}\""),
            RevokeError::AlreadyRevoked(id) => write!(f, "grant \"{id}\" is already revoked"),
        }
    }
}

impl std::error::Error for RevokeError {}

#[derive(Default)]
struct State {
    /// Issued, not revoked, not removed: by principal, then id.
    by_principal: BTreeMap<String, BTreeMap<String, Arc<Grant>>>,
    /// id → principal, for the grants above.
    principal_of: HashMap<String, String>,
    /// Each principal's packed grants, as the current snapshot holds them.
    packed: BTreeMap<String, PrincipalGrants>,
    revoked: BTreeMap<String, Revocation>,
    revision: u64,
    /// Replaced snapshots a reader may still hold; freed here once none does.
    retired: Vec<Arc<Snapshot>>,
}

/// Grants issued to principals, validated by an optional [`GrantPolicy`], read by evaluations
/// through [`GrantStore::snapshot`].
///
/// ```
/// use tagpolicy_grants::{Grant, GrantStore};
/// use tagpolicy_runtime::{Policy, Request, Timestamp};
///
/// let store = GrantStore::new();
/// let grant = Grant::read_file("g.json", r#"[{ "id": "g-1", "principal": "alice",
///   "tags": { "team": "ops" }, "not_before": "2026-11-22T10:00:00Z",
///   "expires_at": "2026-11-22T12:00:00Z", "reason": "INC-1", "requested_by": "alice",
///   "approved_by": ["bob"] }]"#).unwrap().remove(0);
/// store.issue(grant).unwrap();
///
/// let at = Timestamp::parse_rfc3339("2026-11-22T11:00:00Z").unwrap();
/// let snapshot = store.snapshot();
/// let request = Request::new("ec2:StartInstances", "arn:aws:ec2:us-east-1:1:instance/i-1")
///     .with_principal("alice")
///     .with_time(at)
///     .with_grants(snapshot.grants_of("alice"));
/// assert_eq!(request.grants.tag("team", &request.grant_context()), Some(("ops", 0)));
///
/// store.revoke("g-1", "carol", at).unwrap();
/// assert!(store.snapshot().grants_of("alice").is_empty());
/// ```
pub struct GrantStore {
    current: ArcSwap<Snapshot>,
    /// The principal index's hash seed.
    seed: u64,
    state: Mutex<State>,
    policy: Option<GrantPolicy>,
    audit: Option<Arc<AuditLog>>,
}

impl Default for GrantStore {
    fn default() -> Self {
        GrantStore::new()
    }
}

impl fmt::Debug for GrantStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantStore")
            .field("revision", &self.snapshot().revision())
            .finish_non_exhaustive()
    }
}

/// A loaded snapshot: hold it for the evaluations that borrow its tables.
pub type SnapshotGuard = arc_swap::Guard<Arc<Snapshot>>;

/// A per-thread handle on a [`GrantStore`]'s current snapshot, for evaluation loops: it keeps
/// the snapshot it last saw and, on each [`load`](GrantReader::load), compares it with the
/// store's current one (one atomic pointer read) and takes the new one only if the store
/// changed. So a load after `issue` or `revoke` returned sees the change, exactly as
/// [`GrantStore::snapshot`] does, at a fraction of its cost.
///
/// Loading never allocates or frees: a snapshot the reader lets go of is still held by the
/// store's retire list, which writers sweep. Keep one reader per thread (it is `Send`, and
/// `load` takes `&mut self`).
///
/// ```
/// use tagpolicy_grants::GrantStore;
/// let store = GrantStore::new();
/// let mut reader = store.reader();
/// assert!(reader.load().grants_of("alice").is_empty());
/// ```
pub struct GrantReader<'s> {
    cache: arc_swap::cache::Cache<&'s ArcSwap<Snapshot>, Arc<Snapshot>>,
    /// Where the principal [`GrantReader::grants_of`] found last was, in whatever snapshot it
    /// was: only a hint, checked against the principal's name before use.
    last: usize,
}

impl GrantReader<'_> {
    /// The store's current snapshot.
    #[inline]
    pub fn load(&mut self) -> &Snapshot {
        self.cache.load()
    }

    /// The grants of `principal` in the store's current snapshot: what
    /// `self.load().grants_of(principal)` returns, found without hashing the name when it is the
    /// principal this reader looked up last (an evaluation loop serving one principal's
    /// requests in a row). The remembered position is a hint, never trusted: the table found
    /// there is used only if it is `principal`'s, and the lookup hashes otherwise, so a change
    /// of the store (which may move principals) never gives another principal's grants.
    ///
    /// ```
    /// use tagpolicy_grants::{Grant, GrantStore};
    /// let store = GrantStore::new();
    /// let mut reader = store.reader();
    /// assert!(reader.grants_of("alice").is_empty());
    /// ```
    #[inline]
    pub fn grants_of(&mut self, principal: &str) -> &GrantTable<'_> {
        let snapshot: &Snapshot = self.cache.load();
        if let Some(p) = snapshot.at(self.last) {
            if p.is_for(principal) {
                return p.table();
            }
        }
        match snapshot.find(principal) {
            Some((i, p)) => {
                self.last = i;
                p.table()
            }
            None => &GrantTable::EMPTY,
        }
    }
}

impl fmt::Debug for GrantReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantReader").finish_non_exhaustive()
    }
}

impl GrantStore {
    /// An empty store that issues every grant (no grant policy).
    pub fn new() -> Self {
        GrantStore {
            current: ArcSwap::from_pointee(Snapshot::default()),
            seed: random_seed(),
            state: Mutex::new(State::default()),
            policy: None,
            audit: None,
        }
    }

    /// The same store, recording `grant.issued`, `grant.rejected`, `grant.revoked` and
    /// `grant.expired` events in `log` (in the order the changes take effect).
    pub fn with_audit(mut self, log: Arc<AuditLog>) -> Self {
        self.audit = Some(log);
        self
    }

    /// The audit log the store records in, if any.
    pub fn audit(&self) -> Option<&Arc<AuditLog>> {
        self.audit.as_ref()
    }

    fn record(&self, event: impl FnOnce() -> AuditEvent, at: Option<Timestamp>) {
        if let Some(log) = &self.audit {
            match at {
                Some(t) => log.record_at(event(), t),
                None => log.record(event()),
            }
        }
    }

    /// An empty store whose `issue` validates grants with `policy`.
    pub fn with_policy(policy: GrantPolicy) -> Self {
        GrantStore {
            policy: Some(policy),
            ..GrantStore::new()
        }
    }

    /// A store holding `grants` as already issued (no policy check), with the grants whose ids
    /// are in `revoked` revoked: what a case file or a grants file describes.
    pub fn from_grants(grants: impl IntoIterator<Item = Grant>, revoked: &[String]) -> Self {
        let store = GrantStore::new();
        {
            let mut state = store.lock();
            for g in grants {
                let g = Arc::new(g);
                if revoked.contains(&g.id) {
                    state.revoked.insert(
                        g.id.clone(),
                        Revocation {
                            grant: g,
                            by: String::new(),
                            at: Timestamp::from_millis(i64::MIN),
                        },
                    );
                    continue;
                }
                state.principal_of.insert(g.id.clone(), g.principal.clone());
                state
                    .by_principal
                    .entry(g.principal.clone())
                    .or_default()
                    .insert(g.id.clone(), g);
            }
            let principals = state.by_principal.keys().cloned().collect::<Vec<_>>();
            store.publish(&mut state, &principals);
        }
        store
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A writer that panicked left the state consistent (every change is applied before the
        // snapshot is swapped), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current snapshot. No lock, no allocation (after a thread's first call).
    #[inline]
    pub fn snapshot(&self) -> SnapshotGuard {
        self.current.load()
    }

    /// A reader for one thread's hot path: [`GrantReader::load`] costs a pointer comparison
    /// while the store is unchanged. See [`GrantReader`].
    pub fn reader(&self) -> GrantReader<'_> {
        GrantReader {
            cache: arc_swap::cache::Cache::new(&self.current),
            last: 0,
        }
    }

    /// Issues a grant: validated by the store's grant policy against the principal's other grants,
    /// then visible to every evaluation that loads a snapshot after this returns.
    pub fn issue(&self, grant: Grant) -> Result<Arc<Grant>, IssueError> {
        self.issue_inner(grant, None)
    }

    /// [`GrantStore::issue`], with `at` as the time of its audit record (instead of the clock).
    pub fn issue_at(&self, grant: Grant, at: Timestamp) -> Result<Arc<Grant>, IssueError> {
        self.issue_inner(grant, Some(at))
    }

    fn issue_inner(&self, grant: Grant, at: Option<Timestamp>) -> Result<Arc<Grant>, IssueError> {
        let mut state = self.lock();
        if state.principal_of.contains_key(&grant.id) || state.revoked.contains_key(&grant.id) {
            return Err(IssueError::DuplicateId(grant.id));
        }
        if let Some(policy) = &self.policy {
            let existing: Vec<&Grant> = state
                .by_principal
                .get(&grant.principal)
                .map(|m| m.values().map(|g| &**g).collect())
                .unwrap_or_default();
            if let Err(reasons) = policy.check(&grant, &existing) {
                self.record(|| AuditEvent::grant_rejected(&grant, &reasons), at);
                return Err(IssueError::Rejected(reasons));
            }
        }
        let grant = Arc::new(grant);
        state
            .principal_of
            .insert(grant.id.clone(), grant.principal.clone());
        state
            .by_principal
            .entry(grant.principal.clone())
            .or_default()
            .insert(grant.id.clone(), Arc::clone(&grant));
        self.publish(&mut state, std::slice::from_ref(&grant.principal));
        self.record(|| AuditEvent::grant_issued(&grant), at);
        Ok(grant)
    }

    /// Revokes a grant: no evaluation that loads a snapshot after this returns sees it.
    pub fn revoke(&self, id: &str, by: &str, at: Timestamp) -> Result<Revocation, RevokeError> {
        let mut state = self.lock();
        if state.revoked.contains_key(id) {
            return Err(RevokeError::AlreadyRevoked(id.to_owned()));
        }
        let principal = state
            .principal_of
            .remove(id)
            .ok_or_else(|| RevokeError::Unknown(id.to_owned()))?;
        let grant = state
            .by_principal
            .get_mut(&principal)
            .and_then(|m| m.remove(id))
            .ok_or_else(|| RevokeError::Unknown(id.to_owned()))?;
        if state
            .by_principal
            .get(&principal)
            .is_some_and(BTreeMap::is_empty)
        {
            state.by_principal.remove(&principal);
        }
        let revocation = Revocation {
            grant,
            by: by.to_owned(),
            at,
        };
        state.revoked.insert(id.to_owned(), revocation.clone());
        self.publish(&mut state, std::slice::from_ref(&principal));
        self.record(
            || AuditEvent::grant_revoked(&revocation.grant, by, at),
            Some(at),
        );
        Ok(revocation)
    }

    /// Removes the grants whose window ended at or before `t` and returns them (for
    /// `grant.expired` records). Evaluation never needs this — an expired grant never counts —
    /// it only keeps the store small.
    pub fn remove_expired(&self, t: Timestamp) -> Vec<Arc<Grant>> {
        let mut state = self.lock();
        let mut expired = Vec::new();
        let mut touched = Vec::new();
        for (principal, grants) in state.by_principal.iter_mut() {
            let before = expired.len();
            grants.retain(|_, g| {
                let keep = g.expires_at > t;
                if !keep {
                    expired.push(Arc::clone(g));
                }
                keep
            });
            if expired.len() > before {
                touched.push(principal.clone());
            }
        }
        if expired.is_empty() {
            return expired;
        }
        state.by_principal.retain(|_, g| !g.is_empty());
        for g in &expired {
            state.principal_of.remove(&g.id);
        }
        self.publish(&mut state, &touched);
        for g in &expired {
            self.record(|| AuditEvent::grant_expired(g, g.expires_at), Some(t));
        }
        expired
    }

    /// The grants in force at `t` (issued, not revoked, `not_before <= t < expires_at`).
    pub fn active_at(&self, t: Timestamp) -> Vec<Arc<Grant>> {
        let state = self.lock();
        state
            .by_principal
            .values()
            .flat_map(BTreeMap::values)
            .filter(|g| g.is_active_at(t, false))
            .cloned()
            .collect()
    }

    /// A grant by id, with its status at `t` (revoked grants included).
    pub fn status(&self, id: &str, t: Timestamp) -> Option<(Arc<Grant>, GrantStatus)> {
        let state = self.lock();
        if let Some(r) = state.revoked.get(id) {
            return Some((
                Arc::clone(&r.grant),
                GrantStatus::Revoked {
                    by: r.by.clone(),
                    at: r.at,
                },
            ));
        }
        let principal = state.principal_of.get(id)?;
        let g = state.by_principal.get(principal)?.get(id)?;
        Some((Arc::clone(g), GrantStatus::of(g, t)))
    }

    /// Every grant of `principal` the store knows (issued or revoked), with its status at `t`, in
    /// id order.
    pub fn grants_of(&self, principal: &str, t: Timestamp) -> Vec<(Arc<Grant>, GrantStatus)> {
        let state = self.lock();
        let mut out: Vec<(Arc<Grant>, GrantStatus)> = state
            .by_principal
            .get(principal)
            .into_iter()
            .flat_map(BTreeMap::values)
            .map(|g| (Arc::clone(g), GrantStatus::of(g, t)))
            .collect();
        out.extend(
            state
                .revoked
                .values()
                .filter(|r| r.grant.principal == principal)
                .map(|r| {
                    let status = GrantStatus::Revoked {
                        by: r.by.clone(),
                        at: r.at,
                    };
                    (Arc::clone(&r.grant), status)
                }),
        );
        out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        out
    }

    /// The current revision (one more per change).
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// Builds and swaps in a new snapshot where the grants of `changed` principals are repacked
    /// (the others' packed grants are shared with the current snapshot).
    fn publish(&self, state: &mut State, changed: &[String]) {
        for p in changed {
            match state.by_principal.get(p.as_str()) {
                Some(grants) => {
                    let packed = PrincipalGrants::new(p, grants.values());
                    state.packed.insert(p.clone(), packed);
                }
                None => {
                    state.packed.remove(p.as_str());
                }
            }
        }
        let index = PrincipalIndex::new(
            self.seed,
            state
                .packed
                .iter()
                .map(|(p, packed)| (p.as_str(), packed.clone())),
        );
        state.revision = state.revision.saturating_add(1);
        let next = Arc::new(Snapshot {
            revision: state.revision,
            index,
        });
        // `swap` settles every reader's borrowed reference to the old snapshot into a counted
        // one before it returns, so a count of 1 below means only `retired` holds it.
        let previous = self.current.swap(next);
        state.retired.push(previous);
        state.retired.retain(|s| Arc::strong_count(s) > 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(id: &str, who: &str, from: i64, to: i64) -> Grant {
        Grant {
            id: id.into(),
            principal: who.into(),
            tags: [("team".to_owned(), "ops".to_owned())]
                .into_iter()
                .collect(),
            roles: vec![],
            not_before: Timestamp::from_millis(from),
            expires_at: Timestamp::from_millis(to),
            reason: "INC-1".into(),
            requested_by: who.into(),
            approved_by: vec!["bob".into()],
            ticket: None,
            scope: None,
            break_glass: false,
        }
    }

    #[test]
    fn issue_revoke_expire_and_statuses() {
        let store = GrantStore::new();
        store
            .issue(grant("g-1", "alice", 0, 1_000))
            .expect("issued");
        store
            .issue(grant("g-2", "alice", 500, 5_000))
            .expect("issued");
        store.issue(grant("g-3", "bob", 0, 1_000)).expect("issued");
        assert_eq!(
            store.issue(grant("g-1", "carol", 0, 1)),
            Err(IssueError::DuplicateId("g-1".into()))
        );
        assert_eq!(store.revision(), 3);
        assert_eq!(store.snapshot().grants_of("alice").len(), 2);
        assert_eq!(store.active_at(Timestamp::from_millis(600)).len(), 3);

        let r = store
            .revoke("g-2", "carol", Timestamp::from_millis(700))
            .expect("revoked");
        assert_eq!(r.by, "carol");
        assert_eq!(
            store.revoke("g-2", "carol", Timestamp::from_millis(700)),
            Err(RevokeError::AlreadyRevoked("g-2".into()))
        );
        assert_eq!(
            store.revoke("nope", "carol", Timestamp::from_millis(700)),
            Err(RevokeError::Unknown("nope".into()))
        );
        assert_eq!(store.snapshot().grants_of("alice").len(), 1);

        let t = Timestamp::from_millis(900);
        let statuses: Vec<String> = store
            .grants_of("alice", t)
            .iter()
            .map(|(g, s)| format!("{} {s}", g.id))
            .collect();
        assert_eq!(
            statuses,
            [
                "g-1 active, 100ms left",
                "g-2 revoked by carol at 1970-01-01T00:00:00.700Z"
            ]
        );

        let expired = store.remove_expired(Timestamp::from_millis(1_000));
        assert_eq!(expired.len(), 2);
        assert!(store.snapshot().is_empty());
        assert_eq!(
            GrantStatus::of(
                &grant("x", "a", 0, 60_000),
                Timestamp::from_millis(-120_000)
            )
            .to_string(),
            "not yet active, starts in 2m"
        );
        assert_eq!(
            GrantStatus::of(
                &grant("x", "a", 0, 60_000),
                Timestamp::from_millis(3_660_000 + 60_000)
            )
            .to_string(),
            "expired 1h 1m ago"
        );
    }

    #[test]
    fn the_policy_rejects_at_issue() {
        let policy = GrantPolicy::from_json(
            r#"{ "max_duration": "1h", "grantable_tags": { "team": ["ops"] } }"#,
        )
        .expect("policy");
        let store = GrantStore::with_policy(policy);
        let err = store
            .issue(grant("g-1", "alice", 0, 2 * 3_600_000))
            .expect_err("too long");
        assert!(err.to_string().contains("grant rejected"), "{err}");
        assert!(store.snapshot().is_empty());
    }

    #[test]
    fn changes_are_audited_in_order() {
        #[derive(Clone, Default)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("lock").extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Shared::default();
        let log = Arc::new(AuditLog::blocking(out.clone(), 64).expect("log"));
        let policy = GrantPolicy::from_json(
            r#"{ "max_duration": "1h", "grantable_tags": { "team": "*" } }"#,
        )
        .expect("policy");
        let store = GrantStore::with_policy(policy).with_audit(Arc::clone(&log));
        store
            .issue(grant("g-1", "alice", 0, 1_000))
            .expect("issued");
        store
            .issue(grant("g-2", "alice", 0, 2 * 3_600_000))
            .expect_err("too long");
        store.issue(grant("g-3", "dave", 0, 500)).expect("issued");
        store
            .revoke("g-1", "carol", Timestamp::from_millis(10))
            .expect("revoked");
        assert_eq!(store.remove_expired(Timestamp::from_millis(600)).len(), 1);
        drop(store);
        let log = Arc::try_unwrap(log).expect("only owner");
        log.close().expect("closed");
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
        let events: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
                format!(
                    "{} {}",
                    v["event"].as_str().unwrap_or(""),
                    v["grant"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            events,
            [
                "grant.issued g-1",
                "grant.rejected g-2",
                "grant.issued g-3",
                "grant.revoked g-1",
                "grant.expired g-3"
            ]
        );
    }

    /// A change rebuilds the index, where principals may move; a reader's remembered entry then
    /// points elsewhere (or nowhere) and is never taken for the principal's grants.
    #[test]
    fn readers_find_principals_that_moved_and_never_take_the_wrong_table() {
        let store = GrantStore::new();
        for (id, who) in [("g-a", "a"), ("g-b", "b"), ("g-c", "c"), ("g-d", "d")] {
            store.issue(grant(id, who, 0, 1_000)).expect("issued");
        }
        let mut reader = store.reader();
        let ids = |reader: &mut GrantReader<'_>, who: &str| {
            let t = reader.grants_of(who);
            (0..t.len() as u32)
                .map(|g| t.id(g).to_owned())
                .collect::<Vec<_>>()
        };
        for who in ["d", "a", "d", "c"] {
            assert_eq!(ids(&mut reader, who), [format!("g-{who}")]);
        }
        // "a" goes: the index is rebuilt without it.
        store
            .revoke("g-a", "carol", Timestamp::from_millis(1))
            .expect("revoked");
        for who in ["c", "c", "b", "d", "a", "b", "d"] {
            let want: Vec<String> = if who == "a" {
                vec![]
            } else {
                vec![format!("g-{who}")]
            };
            assert_eq!(ids(&mut reader, who), want, "{who}");
            assert_eq!(store.snapshot().grants_of(who).len(), want.len(), "{who}");
            assert_eq!(
                reader.grants_of(who).principal,
                if want.is_empty() { "" } else { who }
            );
        }
        store.issue(grant("g-e", "e", 0, 1_000)).expect("issued");
        store
            .revoke("g-d", "carol", Timestamp::from_millis(1))
            .expect("revoked");
        for who in ["e", "b", "c", "e", "d"] {
            let n = usize::from(who != "d");
            assert_eq!(reader.grants_of(who).len(), n, "{who}");
        }
        assert_eq!(store.snapshot().len(), 3);
    }

    #[test]
    fn readers_keep_their_snapshot_and_never_free_it() {
        let store = GrantStore::new();
        store
            .issue(grant("g-1", "alice", 0, 1_000))
            .expect("issued");
        let held = store.snapshot();
        store
            .revoke("g-1", "carol", Timestamp::from_millis(1))
            .expect("revoked");
        // The reader still sees what it loaded; the store keeps that snapshot alive.
        assert_eq!(held.grants_of("alice").len(), 1);
        assert_eq!(store.snapshot().grants_of("alice").len(), 0);
        drop(held);
        // The next write frees it, on the writer's side.
        store
            .issue(grant("g-2", "alice", 0, 1_000))
            .expect("issued");
        assert!(store
            .lock()
            .retired
            .iter()
            .all(|s| Arc::strong_count(s) > 1));
    }
}
