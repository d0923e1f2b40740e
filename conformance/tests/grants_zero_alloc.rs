//! Evaluation with grants allocates nothing and frees nothing (SPEC §4), whatever the number of
//! grants in the store, on the compiled and the run-time path, in the IAM and the permission form —
//! the snapshot load and the guard drop included — also while another thread issues and revokes
//! grants.
//!
//! A counting global allocator counts allocations and frees per thread (a thread-local counter), so
//! the writer thread's work does not count against the evaluating thread. A snapshot that the
//! evaluating thread's guard drop freed (the store must keep replaced snapshots and free them on a
//! later write) would show as a free here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use conformance::{cases_dir, compiled, read_source};
use tagpolicy_compiler::cases::{case_list, read_iam_case, read_permission_case};
use tagpolicy_compiler::parse_json;
use tagpolicy_compiler::perm_eval::RuntimePermissions;
use tagpolicy_compiler::RuntimePolicy;
use tagpolicy_grants::{Grant, GrantStore};
use tagpolicy_runtime::access::{AccessRequest, Entity, Permissions};
use tagpolicy_runtime::{CompiledPermissions, CompiledPolicy, Policy, Request, Timestamp, Value};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static FREES: Cell<u64> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: delegates to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&FREES);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&ALLOCS);
        bump(&FREES);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, frees) on this thread so far.
fn counts() -> (u64, u64) {
    (ALLOCS.with(Cell::get), FREES.with(Cell::get))
}

fn since(before: (u64, u64)) -> (u64, u64) {
    let now = counts();
    (now.0 - before.0, now.1 - before.1)
}

#[test]
fn the_counter_sees_allocations_and_frees_of_this_thread_only() {
    let before = counts();
    let v = black_box(vec![1u8; 16]);
    assert_eq!(since(before), (1, 0));
    drop(v);
    assert_eq!(since(before), (1, 1));
    // Another thread's allocations and frees do not count here.
    let before = counts();
    std::thread::scope(|s| {
        s.spawn(|| drop(black_box(vec![0u8; 64])));
    });
    let (allocs, frees) = since(before);
    // Spawning itself allocates on this thread; the other thread's vector must not show up as
    // one more free than allocations here.
    assert!(frees <= allocs, "{allocs} allocations, {frees} frees");
    // A snapshot freed on this thread counts: dropping the last store holding it frees it.
    let store = GrantStore::new();
    store
        .issue(grant("g", "alice", &[], &[], 0, 1))
        .expect("issued");
    let guard = store.snapshot();
    let before = counts();
    drop(store);
    drop(guard);
    assert!(
        since(before).1 > 0,
        "freeing a store and its snapshot is seen"
    );
}

const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc";
const HOUR: i64 = 3_600_000;
/// The evaluation time.
const T: i64 = 1_000 * HOUR;

fn grant(
    id: &str,
    principal: &str,
    tags: &[(&str, &str)],
    roles: &[&str],
    not_before: i64,
    expires_at: i64,
) -> Grant {
    Grant {
        id: id.into(),
        principal: principal.into(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
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

/// The grants of alice (IAM) and, with `jane`, of u-jane (permission form): `active` each, in
/// force at [`T`]. For alice, `g-ops` (team=ops) starts last and wins the key; for u-jane,
/// `g-read` grants the role `reader`.
fn evaluated_principals(active: usize, jane: bool) -> Vec<Grant> {
    let mut out = Vec::new();
    for i in 0..active {
        let start = T - HOUR - i as i64 * 1_000;
        out.push(match i {
            0 => grant(
                "g-ops",
                "alice",
                &[("team", "ops")],
                &[],
                T - HOUR,
                T + HOUR,
            ),
            1..=3 => grant(
                &format!("g-alice-{i}"),
                "alice",
                &[("team", "sec")],
                &[],
                start,
                T + HOUR,
            ),
            _ => grant(
                &format!("g-alice-{i}"),
                "alice",
                &[(&format!("k{i}"), "v"), ("env", "prod")],
                &["oncall"],
                start,
                T + HOUR,
            ),
        });
        if jane {
            out.push(match i {
                0 => grant("g-read", "u-jane", &[], &["reader"], start, T + HOUR),
                _ => grant(
                    &format!("g-jane-{i}"),
                    "u-jane",
                    &[("departments", if i % 2 == 0 { "finance" } else { "legal" })],
                    &["auditor"],
                    start,
                    T + HOUR,
                ),
            });
        }
    }
    out
}

/// A store of `total` grants: alice and (with `jane`) u-jane with `active` each (alice also with
/// two that do not count, in big stores), the rest spread over other principals, four each.
fn store_with(total: usize, active: usize, jane: bool) -> GrantStore {
    let mut grants = evaluated_principals(active, jane);
    if total >= 1_000 {
        // Grants of alice's that never count at T: expired, and not yet started.
        grants.push(grant(
            "g-old",
            "alice",
            &[("team", "ops")],
            &[],
            0,
            T - HOUR,
        ));
        grants.push(grant(
            "g-next",
            "alice",
            &[("team", "ops")],
            &[],
            T + 1,
            T + HOUR,
        ));
    }
    let mut i = 0usize;
    while grants.len() < total {
        let principal = format!("user-{}", i / 4);
        grants.push(grant(
            &format!("g-{i}"),
            &principal,
            &[("team", "ops")],
            &["reader"],
            T - HOUR,
            T + (i % 3) as i64 * HOUR,
        ));
        i += 1;
    }
    assert_eq!(grants.len(), total);
    GrantStore::from_grants(grants, &[])
}

struct Paths {
    runtime: RuntimePolicy,
    compiled: &'static CompiledPolicy,
    runtime_permissions: RuntimePermissions,
    compiled_permissions: &'static CompiledPermissions,
}

impl Paths {
    fn load() -> Paths {
        let source = read_source(&cases_dir().join("jit").join("grants.json"));
        let json = parse_json(&source).expect("jit/grants.json parses");
        let cases = case_list(&source, &json).expect("case list");
        Paths {
            runtime: read_iam_case(&source, cases.first().expect("case 0"))
                .expect("case 0 compiles")
                .policy,
            compiled: compiled::find(source.name(), 0).expect("case 0 is compiled"),
            runtime_permissions: read_permission_case(&source, cases.get(3).expect("case 3"))
                .expect("case 3 compiles")
                .permissions,
            compiled_permissions: compiled::find_permissions(source.name(), 3)
                .expect("case 3 is compiled"),
        }
    }
}

/// What one evaluation saw.
#[derive(Clone, Copy, Debug)]
struct Seen {
    allowed: bool,
    /// Grants the decision named.
    named: usize,
    /// The revision of the snapshot it read.
    revision: u64,
    /// Whether the store had swapped that snapshot out by the time the guard was dropped: the
    /// drop that would free it if the store did not keep replaced snapshots.
    replaced: bool,
}

/// One evaluation as a service would run it: load the snapshot, borrow the principal's table,
/// decide, drop the guard. With `pause`, the thread yields while it holds the guard (so that a
/// writer can swap the snapshot under it).
type Evaluator<'p> = Box<dyn Fn(&GrantStore, bool) -> Seen + 'p>;

fn evaluators<'p>(
    paths: &'p Paths,
    iam: &'p Request<'p>,
    access: &'p AccessRequest<'p>,
) -> Vec<(&'static str, Evaluator<'p>)> {
    fn iam_eval<'p>(policy: &'p dyn Policy, base: &'p Request<'p>) -> Evaluator<'p> {
        Box::new(move |store: &GrantStore, pause: bool| {
            let snapshot = store.snapshot();
            if pause {
                std::thread::yield_now();
            }
            let request = base.with_grants(snapshot.grants_of("alice"));
            let e = black_box(policy.evaluate_with_grants(black_box(&request)));
            let seen = Seen {
                allowed: e.decision.is_allowed(),
                named: e.grants.ids().len(),
                revision: snapshot.revision(),
                replaced: store.snapshot().revision() != snapshot.revision(),
            };
            drop(snapshot);
            seen
        })
    }
    fn access_eval<'p>(set: &'p dyn Permissions, base: &'p AccessRequest<'p>) -> Evaluator<'p> {
        Box::new(move |store: &GrantStore, pause: bool| {
            let snapshot = store.snapshot();
            if pause {
                std::thread::yield_now();
            }
            let request = base.with_grants(snapshot.grants_of("u-jane"));
            let e = black_box(set.decide_with_grants(black_box(&request)));
            let seen = Seen {
                allowed: e.decision.is_allowed(),
                named: e.grants.ids().len(),
                revision: snapshot.revision(),
                replaced: store.snapshot().revision() != snapshot.revision(),
            };
            drop(snapshot);
            seen
        })
    }
    vec![
        ("IAM, compiled path", iam_eval(paths.compiled, iam)),
        ("IAM, run-time path", iam_eval(&paths.runtime, iam)),
        (
            "permission form, compiled path",
            access_eval(paths.compiled_permissions, access),
        ),
        (
            "permission form, run-time path",
            access_eval(&paths.runtime_permissions, access),
        ),
    ]
}

#[test]
fn evaluation_with_grants_allocates_and_frees_nothing_at_any_store_size() {
    let paths = Paths::load();
    let ctx = [
        ("aws:username", Value::Str("alice")),
        ("aws:PrincipalTag/team", Value::Str("dev")),
        ("aws:ResourceTag/team", Value::Str("ops")),
    ];
    let iam = Request::new("ec2:StartInstances", INSTANCE)
        .with_principal("alice")
        .with_context(&ctx)
        .with_time(Timestamp::from_millis(T));
    let departments: &[&str] = &["engineering"];
    let subject_tags = [("departments", departments)];
    let mut access = AccessRequest::new(
        Entity::new("user", "u-jane").with_tags(&subject_tags),
        "read",
        Entity::new("document", "r-1"),
    );
    access.time = Some(Timestamp::from_millis(T));
    let evaluators = evaluators(&paths, &iam, &access);

    let mut offenders = Vec::new();
    // (grants in the store, active grants of alice and of u-jane, whether u-jane has any)
    for (total, active, jane) in [
        (0, 0, false),
        (1, 1, false),
        (1_000, 16, true),
        (100_000, 16, true),
    ] {
        let built = Instant::now();
        let store = store_with(total, active, jane);
        assert_eq!(store.snapshot().len(), total);
        let built = built.elapsed();
        for (what, evaluate) in &evaluators {
            // Warm up (the first snapshot load on a thread registers it with arc-swap), and check
            // that the evaluation is the one meant: access by a grant where there is one.
            let seen = evaluate(&store, false);
            let expect_allow = if what.starts_with("IAM") {
                assert_eq!(
                    seen.named,
                    usize::from(active > 0),
                    "{what}, {total} grants"
                );
                active > 0
            } else {
                // Allowed by the reader role only g-read gives her: that grant is named.
                assert_eq!(seen.named, usize::from(jane), "{what}, {total} grants");
                jane
            };
            assert_eq!(seen.allowed, expect_allow, "{what}, {total} grants");
            let before = counts();
            for _ in 0..50 {
                black_box(evaluate(&store, false));
            }
            let (allocs, frees) = since(before);
            if allocs != 0 || frees != 0 {
                offenders.push(format!(
                    "{what}, {total} grants: {allocs} allocations, {frees} frees in 50 evaluations"
                ));
            }
        }
        eprintln!("{total} grants: store built in {built:?}");
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

#[test]
fn evaluation_allocates_and_frees_nothing_while_grants_are_issued_and_revoked() {
    let paths = Paths::load();
    let ctx = [
        ("aws:PrincipalTag/team", Value::Str("dev")),
        ("aws:ResourceTag/team", Value::Str("ops")),
    ];
    let iam = Request::new("ec2:StartInstances", INSTANCE)
        .with_principal("alice")
        .with_context(&ctx)
        .with_time(Timestamp::from_millis(T));
    let mut access = AccessRequest::new(
        Entity::new("user", "u-jane"),
        "read",
        Entity::new("document", "r-1"),
    );
    access.time = Some(Timestamp::from_millis(T));
    let evaluators = evaluators(&paths, &iam, &access);

    let store = store_with(1_000, 16, true);
    for (_, evaluate) in &evaluators {
        black_box(evaluate(&store, false));
    }
    let stop = AtomicBool::new(false);
    let writes = AtomicU64::new(0);
    let started = Instant::now();
    let (allocs, frees, evaluations, replaced, revisions) = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut i = 0u64;
            while !stop.load(SeqCst) {
                // Alternately alice's, u-jane's and someone else's table changes.
                let who = ["alice", "u-jane", "user-7"][(i % 3) as usize];
                let id = format!("w-{i}");
                let g = grant(&id, who, &[("team", "sec")], &["auditor"], T - 1, T + HOUR);
                store.issue(g).expect("issued");
                store
                    .revoke(&id, "carol", Timestamp::from_millis(T))
                    .expect("revoked");
                writes.fetch_add(2, SeqCst);
                i += 1;
                std::thread::yield_now();
            }
        });
        // Evaluate until the writer has swapped the snapshot under a held guard often enough
        // (or time is up). Every other round yields while holding the guard.
        let deadline = started + Duration::from_secs(5);
        let (mut evaluations, mut replaced) = (0u64, 0u64);
        let (mut revisions, mut last_revision) = (0u64, u64::MAX);
        let before = counts();
        while (evaluations < 20_000 || replaced < 500) && Instant::now() < deadline {
            let pause = evaluations % 8 == 0;
            for (_, evaluate) in &evaluators {
                let seen = evaluate(&store, pause);
                replaced += u64::from(seen.replaced);
                if seen.revision != last_revision {
                    revisions += 1;
                    last_revision = seen.revision;
                }
                evaluations += 1;
            }
        }
        let (allocs, frees) = since(before);
        stop.store(true, SeqCst);
        writer.join().expect("writer panicked");
        (allocs, frees, evaluations, replaced, revisions)
    });
    let writes = writes.load(SeqCst);
    eprintln!(
        "{evaluations} evaluations, {writes} writes, {revisions} revisions seen, {replaced} guards dropped after their \
         snapshot was replaced, in {:?}",
        started.elapsed()
    );
    assert!(
        replaced >= 100,
        "the writer hardly ever replaced a snapshot under a held guard: {replaced} times"
    );
    assert_eq!(
        (allocs, frees),
        (0, 0),
        "allocations and frees on the evaluating thread in {evaluations} evaluations \
         (snapshot load and guard drop included) while {writes} writes ran"
    );
}

/// The hot-path reader ([`tagpolicy_grants::GrantReader`]): loading through it while another
/// thread issues and revokes allocates and frees nothing on the evaluating thread, and every
/// load sees a revision at least as new as the store's just before it.
#[test]
fn a_grant_reader_allocates_and_frees_nothing_while_grants_change() {
    let paths = Paths::load();
    let ctx = [
        ("aws:PrincipalTag/team", Value::Str("dev")),
        ("aws:ResourceTag/team", Value::Str("ops")),
    ];
    let iam = Request::new("ec2:StartInstances", INSTANCE)
        .with_principal("alice")
        .with_context(&ctx)
        .with_time(Timestamp::from_millis(T));
    let store = store_with(1_000, 16, true);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let (allocs, frees, evaluations, revisions) = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut i = 0u64;
            while !stop.load(SeqCst) {
                let id = format!("r-{i}");
                let g = grant(&id, "alice", &[("team", "sec")], &[], T - 1, T + HOUR);
                store.issue(g).expect("issued");
                store
                    .revoke(&id, "carol", Timestamp::from_millis(T))
                    .expect("revoked");
                i += 1;
                std::thread::yield_now();
            }
        });
        let mut reader = store.reader();
        // Warm up: the reader's first load and the thread's first arc-swap use may allocate.
        black_box(
            paths
                .compiled
                .evaluate_with_grants(&iam.with_grants(reader.load().grants_of("alice"))),
        );
        let deadline = started + Duration::from_secs(5);
        let (mut evaluations, mut revisions, mut last) = (0u64, 0u64, u64::MAX);
        let before = counts();
        while (evaluations < 20_000 || revisions < 200) && Instant::now() < deadline {
            let floor = store.snapshot().revision();
            let snapshot = reader.load();
            assert!(
                snapshot.revision() >= floor,
                "the reader served a stale snapshot"
            );
            if snapshot.revision() != last {
                revisions += 1;
                last = snapshot.revision();
            }
            let request = iam.with_grants(snapshot.grants_of("alice"));
            for policy in [paths.compiled as &dyn Policy, &paths.runtime] {
                let e = black_box(policy.evaluate_with_grants(black_box(&request)));
                // The own tag is dev: an Allow comes through a grant, which it names.
                assert!(!e.decision.is_allowed() || !e.grants.is_empty());
                evaluations += 1;
            }
        }
        let (allocs, frees) = since(before);
        stop.store(true, SeqCst);
        writer.join().expect("writer panicked");
        (allocs, frees, evaluations, revisions)
    });
    eprintln!("{evaluations} evaluations through a reader, {revisions} revisions seen");
    assert!(revisions >= 20, "the reader saw only {revisions} revisions");
    assert_eq!((allocs, frees), (0, 0), "in {evaluations} evaluations");
}
