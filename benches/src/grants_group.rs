//! The `grants` group (issue #7): what just-in-time grants add to a decision. A store holds
//! 100,000 grants — 16 of them active for the evaluated principal — and the `team_queue` policy
//! (`arn:aws:sqs:us-east-2::${aws:PrincipalTag/team}-queue`) decides alice's request, whose own
//! tag is `team=dev` and whose grant gives `team=ops`:
//!
//! Both sides build their request per decision from the same parts ([`Parts`]), as a service
//! builds one per call, so the difference is the grants' own work: loading the snapshot, finding
//! the principal's grants, reading the granted tag and naming the grant. (Built once and copied,
//! the request's copy would be counted as a cost of grants.)
//!
//! - `compiled_no_grants`: the same request, no grants (denied: the queue is ops's);
//! - `compiled_with_grants`: load the store's current snapshot through the thread's
//!   [`GrantReader`] (what an evaluation loop keeps), borrow alice's grants (a hash lookup of her
//!   name; `GrantReader::grants_of` would skip it for a principal looked up just before, which
//!   this group does not count on), decide with
//!   `evaluate_with_grants` (allowed through the grant, which the decision names);
//! - `compiled_with_grants_snapshot`: the same with [`GrantStore::snapshot`] (an arc-swap guard
//!   per decision) instead of a reader;
//! - `compiled_with_grants_view`: the principal's grants borrowed once, before the loop (what a
//!   service does when one call makes several decisions for one principal), so only building
//!   the request with them, deciding and naming the grant are timed.
//!
//! The difference of the first two is the added cost that `benches/README.md` reports against
//! the target; the view's difference shows how much of it is finding the principal's grants.

use tagpolicy::jit::{Grant, GrantReader, GrantStore};
use tagpolicy::GrantTable;
use tagpolicy::{Policy, Request, Timestamp};

use crate::seeds::TEAM_QUEUE;

/// The queue alice acts on.
pub const QUEUE: &str = "arn:aws:sqs:us-east-2::ops-queue";
/// Grants in the store.
pub const GRANTS: usize = 100_000;
/// Grants active for alice.
pub const ACTIVE: usize = 16;
/// The evaluation time: inside every active grant's window.
pub const AT: i64 = 1_800_000_000_000;

fn grant(id: String, principal: String, key: &str, value: &str) -> Grant {
    Grant {
        id,
        principal,
        tags: [(key.to_owned(), value.to_owned())].into_iter().collect(),
        roles: vec![],
        not_before: Timestamp::from_millis(AT - 3_600_000),
        expires_at: Timestamp::from_millis(AT + 3_600_000),
        reason: "benchmark".into(),
        requested_by: "bench".into(),
        approved_by: vec!["approver".into()],
        ticket: None,
        scope: None,
        break_glass: false,
    }
}

/// The store: 16 active grants for alice (`team=ops` and 15 other keys), the rest spread over
/// other principals, 4 each.
pub fn store() -> GrantStore {
    let mut grants = Vec::with_capacity(GRANTS);
    grants.push(grant("g-alice-team".into(), "alice".into(), "team", "ops"));
    for k in 1..ACTIVE {
        grants.push(grant(
            format!("g-alice-{k}"),
            "alice".into(),
            &format!("key{k}"),
            "v",
        ));
    }
    for i in ACTIVE..GRANTS {
        grants.push(grant(
            format!("g-{i}"),
            format!("user-{}", i / 4),
            "team",
            "ops",
        ));
    }
    GrantStore::from_grants(grants, &[])
}

/// Alice's own tags.
pub const OWN_TAGS: &[(&str, &str)] = &[("team", "dev")];

/// What a service knows of the call: the principal, its own tags, the time.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    /// The principal.
    pub principal: &'static str,
    /// Its own tags.
    pub tags: &'static [(&'static str, &'static str)],
    /// The evaluation time.
    pub time: Timestamp,
}

/// Alice's call.
pub const PARTS: Parts = Parts {
    principal: "alice",
    tags: OWN_TAGS,
    time: Timestamp::from_millis(AT),
};

/// The request without grants.
#[inline(always)]
pub fn request(parts: &Parts) -> Request<'static> {
    Request::new("sqs:DeleteQueue", QUEUE)
        .with_principal(parts.principal)
        .with_principal_tags(parts.tags)
        .with_time(parts.time)
}

/// Decides without grants.
#[inline(never)]
pub fn without(parts: &Parts) -> bool {
    TEAM_QUEUE.evaluate(&request(parts)).is_allowed()
}

/// Loads the current snapshot through `reader`, borrows the principal's grants, decides; `true`
/// when allowed through a grant.
#[inline(never)]
pub fn with(reader: &mut GrantReader<'_>, parts: &Parts) -> bool {
    let snapshot = reader.load();
    decide_with(snapshot.grants_of(parts.principal), parts)
}

/// [`with`], loading the snapshot from the store itself (an arc-swap guard per decision).
#[inline(never)]
pub fn with_snapshot(store: &GrantStore, parts: &Parts) -> bool {
    let snapshot = store.snapshot();
    decide_with(snapshot.grants_of(parts.principal), parts)
}

/// Decides with the principal's grants already borrowed (`table`, from
/// `snapshot.grants_of(principal)` before the loop); `true` when allowed through a grant.
#[inline(never)]
pub fn with_view(table: &GrantTable<'_>, parts: &Parts) -> bool {
    decide_with(table, parts)
}

/// Builds the request with `table`, decides and names the grants: `true` when allowed through a
/// grant. Inlined into each contender.
#[inline(always)]
fn decide_with(table: &GrantTable<'_>, parts: &Parts) -> bool {
    let req = request(parts).with_grants(table);
    let e = TEAM_QUEUE.evaluate_with_grants(&req);
    e.decision.is_allowed() && !e.grants.is_empty()
}
