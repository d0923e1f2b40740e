//! Evaluation allocates nothing: a counting global allocator watches every IAM conformance case
//! on the run-time path and on the compiled path. Policies and requests are built before counting starts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use conformance::{case_files, compiled, read_source};
use tagpolicy_compiler::cases::{
    case_kind, case_list, read_iam_case, read_permission_case, CaseKind,
};
use tagpolicy_compiler::parse_json;
use tagpolicy_runtime::access::Permissions;
use tagpolicy_runtime::Policy;

struct Counting;

thread_local! {
    static EVENTS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    let _ = EVENTS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: delegates to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn events() -> u64 {
    EVENTS.with(Cell::get)
}

#[test]
fn the_counter_sees_allocations() {
    let before = events();
    let v = std::hint::black_box(vec![1u8; 16]);
    drop(v);
    assert_eq!(events() - before, 2, "one allocation and one free");
}

#[test]
fn evaluation_allocates_nothing_on_either_path() {
    let mut checked = 0usize;
    let mut offenders = Vec::new();
    for path in case_files() {
        let source = read_source(&path);
        let json = parse_json(&source).expect("case file parses");
        for (i, case) in case_list(&source, &json)
            .expect("case list")
            .iter()
            .enumerate()
        {
            if case_kind(case) != Some(CaseKind::Iam) {
                continue;
            }
            let c = read_iam_case(&source, case).expect("case compiles");
            let generated = compiled::find(source.name(), i).expect("compiled case");
            let (runtime_events, compiled_events) = c.with_request(|req| {
                // Warm up once (nothing is lazily initialised, but be fair), then count.
                std::hint::black_box(c.policy.evaluate(req));
                std::hint::black_box(generated.evaluate(req));
                let before = events();
                for _ in 0..3 {
                    std::hint::black_box(c.policy.evaluate(std::hint::black_box(req)));
                }
                let middle = events();
                for _ in 0..3 {
                    std::hint::black_box(generated.evaluate(std::hint::black_box(req)));
                }
                (middle - before, events() - middle)
            });
            if runtime_events != 0 || compiled_events != 0 {
                offenders.push(format!(
                    "{}: {} (run-time path {runtime_events}, compiled path {compiled_events} events)",
                    source.name(),
                    c.name
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 566, "only {checked} cases checked");
    assert!(
        offenders.is_empty(),
        "allocating evaluations:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn permission_decisions_allocate_nothing_on_either_path() {
    let mut checked = 0usize;
    let mut offenders = Vec::new();
    for path in case_files() {
        let source = read_source(&path);
        let json = parse_json(&source).expect("case file parses");
        for (i, case) in case_list(&source, &json)
            .expect("case list")
            .iter()
            .enumerate()
        {
            if case_kind(case) != Some(CaseKind::Permissions) {
                continue;
            }
            let c = read_permission_case(&source, case).expect("case compiles");
            let generated = compiled::find_permissions(source.name(), i).expect("compiled set");
            let request = case.get("request").expect("case has a request");
            // The request is built (in an arena) before the closure runs; only decisions count.
            let events_seen = c
                .with_request(&source, request, |req| {
                    std::hint::black_box(c.permissions.decide(req));
                    std::hint::black_box(generated.decide(req));
                    let before = events();
                    for _ in 0..3 {
                        std::hint::black_box(c.permissions.decide(std::hint::black_box(req)));
                        std::hint::black_box(generated.decide(std::hint::black_box(req)));
                        // With the grants it used, too.
                        std::hint::black_box(
                            c.permissions.decide_with_grants(std::hint::black_box(req)),
                        );
                        std::hint::black_box(
                            generated.decide_with_grants(std::hint::black_box(req)),
                        );
                    }
                    events() - before
                })
                .expect("request reads");
            if events_seen != 0 {
                offenders.push(format!(
                    "{}: {} ({events_seen} events)",
                    source.name(),
                    c.name
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 84, "only {checked} permission cases checked");
    assert!(
        offenders.is_empty(),
        "allocating permission decisions:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn a_large_compiled_set_allocates_nothing() {
    // More than 256 statements: the static-table form, walked by `tagpolicy_runtime::table`.
    let large = &conformance::random::RANDOM_ALL.1;
    assert!(large.statement_count() > 256, "not a large set");
    let (mut checked, mut decided) = (0usize, 0usize);
    let mut offenders = Vec::new();
    for path in case_files() {
        let source = read_source(&path);
        let json = parse_json(&source).expect("case file parses");
        for case in case_list(&source, &json).expect("case list") {
            if case_kind(case) != Some(CaseKind::Iam) {
                continue;
            }
            let c = read_iam_case(&source, case).expect("case compiles");
            let (events_seen, statement) = c.with_request(|req| {
                let warm = std::hint::black_box(large.evaluate(req));
                std::hint::black_box(large.evaluate_with_grants(req));
                let before = events();
                for _ in 0..3 {
                    std::hint::black_box(large.evaluate(std::hint::black_box(req)));
                    std::hint::black_box(large.evaluate_with_grants(std::hint::black_box(req)));
                }
                (events() - before, warm.statement().is_some())
            });
            if events_seen != 0 {
                offenders.push(format!(
                    "{}: {} ({events_seen} events)",
                    source.name(),
                    c.name
                ));
            }
            checked += 1;
            decided += usize::from(statement);
        }
    }
    assert!(checked >= 566, "only {checked} cases checked");
    // The requests reach statements (not only the implicit deny of an empty bucket).
    assert!(
        decided >= 20,
        "only {decided} requests decided by a statement"
    );
    assert!(
        offenders.is_empty(),
        "allocating evaluations of the large set:\n{}",
        offenders.join("\n")
    );
}
