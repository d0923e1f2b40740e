//! Revocation is visible to every evaluation that starts after `revoke()` returns (SPEC §4), while
//! other threads keep evaluating.
//!
//! Each trial issues alice two grants of team=ops (`g-late`, the latest-starting, wins the key;
//! `g-early`), starts evaluator threads that loop — read the epoch, load the store's snapshot,
//! evaluate alice's request with her grants, record — and revokes `g-late`, then `g-early`, from
//! the main thread, raising the epoch right after each `revoke()` returns. Alice's own tag is
//! team=dev and the resource's team=ops, so only a counting grant allows. Trials alternate between
//! the compiled and the run-time path.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use conformance::{cases_dir, compiled, read_source};
use tagpolicy_compiler::cases::{case_list, read_iam_case};
use tagpolicy_compiler::parse_json;
use tagpolicy_grants::{Grant, GrantStore, Snapshot};
use tagpolicy_runtime::{Policy, Request, Timestamp, Value};

const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc";
const TRIALS: u64 = 200;
const EVALUATORS: usize = 2;
/// Evaluations each evaluator completes before the first revocation, between revocations and
/// after the last.
const PER_PHASE: u64 = 16;
const HOUR: i64 = 3_600_000;

fn grant(id: &str, principal: &str, not_before: i64, expires_at: i64) -> Grant {
    Grant {
        id: id.into(),
        principal: principal.into(),
        tags: [("team".to_owned(), "ops".to_owned())]
            .into_iter()
            .collect(),
        roles: vec![],
        not_before: Timestamp::from_millis(not_before),
        expires_at: Timestamp::from_millis(expires_at),
        reason: "INC-4711".into(),
        requested_by: principal.into(),
        approved_by: vec!["bob".into()],
        ticket: None,
        scope: None,
        break_glass: false,
    }
}

/// One evaluation as an evaluator saw it.
#[derive(Clone, Copy, Debug)]
struct Seen {
    /// The epoch read before the snapshot was loaded: how many revocations had returned.
    epoch: u64,
    /// The revision of the snapshot it read.
    revision: u64,
    allowed: bool,
    used_late: bool,
    used_early: bool,
    used: usize,
}

/// A small deterministic generator for timing jitter.
fn xorshift(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

/// Waits until every evaluator has completed at least `target` evaluations.
fn wait_for(counts: &[AtomicU64], target: u64, deadline: Instant) {
    while counts.iter().any(|c| c.load(SeqCst) < target) {
        assert!(Instant::now() < deadline, "evaluators stalled");
        std::thread::yield_now();
    }
}

#[test]
fn no_evaluation_that_starts_after_revoke_returns_uses_the_grant() {
    let source = read_source(&cases_dir().join("jit").join("grants.json"));
    let json = parse_json(&source).expect("jit/grants.json parses");
    let cases = case_list(&source, &json).expect("case list");
    let runtime = read_iam_case(&source, cases.first().expect("case 0"))
        .expect("case 0 compiles")
        .policy;
    let compiled = compiled::find(source.name(), 0).expect("case 0 is compiled");

    let t = 100 * HOUR;
    let ctx = [
        ("aws:username", Value::Str("alice")),
        ("aws:PrincipalTag/team", Value::Str("dev")),
        ("aws:ResourceTag/team", Value::Str("ops")),
    ];
    let base = Request::new("ec2:StartInstances", INSTANCE)
        .with_principal("alice")
        .with_context(&ctx)
        .with_time(Timestamp::from_millis(t));

    let started = Instant::now();
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let (mut total, mut per_epoch, mut stale_but_legal) = (0usize, [0usize; 3], 0usize);
    for trial in 0..TRIALS {
        let (path, policy): (&str, &(dyn Policy + Sync)) = if trial % 2 == 0 {
            ("compiled", compiled)
        } else {
            ("run-time", &runtime)
        };
        let store = GrantStore::new();
        for i in 0..8 {
            store
                .issue(grant(
                    &format!("other-{i}"),
                    &format!("user-{i}"),
                    0,
                    1000 * HOUR,
                ))
                .expect("issued");
        }
        store
            .issue(grant("g-early", "alice", t - 2 * HOUR, t + 2 * HOUR))
            .expect("issued");
        store
            .issue(grant("g-late", "alice", t - HOUR, t + HOUR))
            .expect("issued");
        let r0 = store.snapshot().revision();

        let epoch = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        let counts: Vec<AtomicU64> = (0..EVALUATORS).map(|_| AtomicU64::new(0)).collect();
        // Each trial gets its own generous deadline (CI machines are small and busy).
        let deadline = Instant::now() + Duration::from_secs(60);
        let seen: Vec<Vec<Seen>> = std::thread::scope(|s| {
            // Stops the evaluators however this scope ends, so a failed wait cannot hang the test.
            struct StopOnDrop<'a>(&'a AtomicBool);
            impl Drop for StopOnDrop<'_> {
                fn drop(&mut self) {
                    self.0.store(true, SeqCst);
                }
            }
            let _stop_on_drop = StopOnDrop(&stop);
            let evaluators: Vec<_> = counts
                .iter()
                .enumerate()
                .map(|(k, count)| {
                    let (store, epoch, stop) = (&store, &epoch, &stop);
                    s.spawn(move || {
                        let mut seen = Vec::with_capacity(1024);
                        // Odd evaluators read through a per-thread `GrantReader`, even ones
                        // load a snapshot guard: both must see a revocation at once.
                        let mut reader = (k % 2 == 1).then(|| store.reader());
                        while !stop.load(SeqCst) {
                            let e = epoch.load(SeqCst);
                            let guard;
                            let snapshot: &Snapshot = match reader.as_mut() {
                                Some(reader) => reader.load(),
                                None => {
                                    guard = store.snapshot();
                                    &guard
                                }
                            };
                            let request = base.with_grants(snapshot.grants_of("alice"));
                            let eval = policy.evaluate_with_grants(&request);
                            let ids = eval.grants.ids();
                            seen.push(Seen {
                                epoch: e,
                                revision: snapshot.revision(),
                                allowed: eval.decision.is_allowed(),
                                used_late: ids.contains(&"g-late"),
                                used_early: ids.contains(&"g-early"),
                                used: ids.len() + eval.grants.more(),
                            });
                            count.fetch_add(1, SeqCst);
                            // Let the revoking thread run soon on this small, busy machine.
                            std::thread::yield_now();
                        }
                        seen
                    })
                })
                .collect();
            let mut target = PER_PHASE;
            for (next_epoch, id) in [(1, "g-late"), (2, "g-early")] {
                wait_for(&counts, target, deadline);
                // Vary where in the evaluators' loop the revocation lands.
                for _ in 0..xorshift(&mut rng) % 512 {
                    std::hint::spin_loop();
                }
                store
                    .revoke(id, "carol", Timestamp::from_millis(t))
                    .expect("revoked");
                epoch.store(next_epoch, SeqCst);
                target = counts.iter().map(|c| c.load(SeqCst)).max().unwrap_or(0) + PER_PHASE;
            }
            wait_for(&counts, target, deadline);
            stop.store(true, SeqCst);
            evaluators
                .into_iter()
                .map(|h| h.join().expect("evaluator panicked"))
                .collect()
        });

        for (k, evaluations) in seen.iter().enumerate() {
            for (n, s) in evaluations.iter().enumerate() {
                let at =
                    format!("trial {trial} ({path} path), evaluator {k}, evaluation {n}: {s:?}");
                if s.epoch >= 1 {
                    assert!(!s.used_late, "revoked g-late used: {at}");
                }
                if s.epoch >= 2 {
                    assert!(!s.allowed, "Allow after both grants were revoked: {at}");
                    assert_eq!(s.used, 0, "a grant used after both were revoked: {at}");
                }
                // The snapshot loaded after the i-th revoke returned shows it.
                assert!(s.revision >= r0 + s.epoch, "stale snapshot: {at}");
                // What each revision must decide: g-late wins while it exists, then g-early, then
                // nothing (the own tag dev does not match).
                let expected = match s.revision - r0 {
                    0 => (true, true, false, 1),
                    1 => (true, false, true, 1),
                    _ => (false, false, false, 0),
                };
                assert_eq!(
                    (s.allowed, s.used_late, s.used_early, s.used),
                    expected,
                    "{at}"
                );
                if s.revision > r0 + s.epoch {
                    stale_but_legal += 1;
                }
                per_epoch[s.epoch.min(2) as usize] += 1;
                total += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{TRIALS} trials, {total} evaluations (by epoch {per_epoch:?}; {stale_but_legal} started \
         before a revoke returned and already saw it) in {elapsed:?}"
    );
    // Every trial evaluated in every phase.
    let minimum = TRIALS as usize * EVALUATORS * (PER_PHASE as usize - 1);
    assert!(per_epoch.iter().all(|n| *n >= minimum), "{per_epoch:?}");
}
