//! The `peers` benchmark (SPEC §8): one criterion group per workload, one function per
//! contender (`compiled`, `runtime`, `handwritten`, `cedar`, `regorus`, `casbin`, `naive_json`
//! in the IAM groups; `compiled`, `runtime`, `datalogic`, `jsonlogic_rs` in the `perm_*` groups).
//!
//! Each iteration decides every request of the workload once, so a decision costs the reported
//! time divided by the number of requests (`benches/README.md` shows that figure). Before timing
//! a group, every contender must agree on every request.
//!
//! `cargo bench -p benches --bench peers -- [filter]`; `benches/run.sh` runs it with the other
//! measurements and rewrites `benches/README.md`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::{Decide, Visitor, GROUPS};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

struct Bench<'a, 'c> {
    group: BenchmarkGroup<'c, WallTime>,
    filter: &'a dyn Fn(&str) -> bool,
    name: &'a str,
}

impl Visitor for Bench<'_, '_> {
    fn contender<D: Decide, F: FnOnce() -> D>(&mut self, name: &'static str, make: F) {
        if !(self.filter)(&format!("{}/{name}", self.name)) {
            return;
        }
        let mut d = make();
        let n = d.requests();
        // Slow contenders (peers on the large sets) get fewer, flat samples.
        let started = Instant::now();
        for i in 0..n {
            black_box(d.decide(black_box(i)));
        }
        if started.elapsed() > Duration::from_micros(200) {
            self.group.sampling_mode(SamplingMode::Flat).sample_size(10);
        } else {
            self.group
                .sampling_mode(SamplingMode::Auto)
                .sample_size(100);
        }
        self.group.throughput(Throughput::Elements(n as u64));
        self.group.bench_function(name, |b| {
            b.iter(|| {
                for i in 0..n {
                    black_box(d.decide(black_box(i)));
                }
            })
        });
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    // criterion's own filter, applied early so unwanted contenders are not even built.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter_text = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || !takes_value(&args[i - 1])))
        .map(|(_, a)| a.clone());
    let filter = |id: &str| filter_text.as_deref().is_none_or(|f| id.contains(f));
    for &group in GROUPS {
        if !benches::contenders(group)
            .iter()
            .any(|c| filter(&format!("{group}/{c}")))
        {
            continue;
        }
        if let Err(e) = benches::check_agreement(group) {
            panic!("contenders disagree, not timing: {e}");
        }
        let mut v = Bench {
            group: c.benchmark_group(group),
            filter: &filter,
            name: group,
        };
        benches::group(group, &mut v);
        v.group.finish();
    }
    if filter("grants/compiled_no_grants") || filter("grants/compiled_with_grants") {
        grants(&mut c);
    }
    c.final_summary();
}

/// The `grants` group: a decision with and without 100,000 grants in the store (see
/// `benches::grants_group`).
fn grants(c: &mut Criterion) {
    use benches::grants_group as g;
    let store = g::store();
    let mut reader = store.reader();
    let req = g::PARTS;
    assert!(
        !g::without(&req),
        "without grants alice may not delete ops's queue"
    );
    let snapshot = store.snapshot();
    let view = snapshot.grants_of(g::PARTS.principal);
    assert!(
        g::with(&mut reader, &req) && g::with_snapshot(&store, &req) && g::with_view(view, &req),
        "with her grant she may, and the decision names it"
    );
    let mut group = c.benchmark_group("grants");
    // One decision per iteration (what the report divides by).
    group.throughput(Throughput::Elements(1));
    group.bench_function("compiled_no_grants", |b| {
        b.iter(|| g::without(black_box(&req)))
    });
    group.bench_function("compiled_with_grants", |b| {
        b.iter(|| g::with(black_box(&mut reader), black_box(&req)))
    });
    group.bench_function("compiled_with_grants_snapshot", |b| {
        b.iter(|| g::with_snapshot(black_box(&store), black_box(&req)))
    });
    group.bench_function("compiled_with_grants_view", |b| {
        b.iter(|| g::with_view(black_box(view), black_box(&req)))
    });
    group.finish();
}

fn takes_value(flag: &str) -> bool {
    matches!(
        flag,
        "--warm-up-time"
            | "--measurement-time"
            | "--sample-size"
            | "--save-baseline"
            | "--baseline"
            | "--load-baseline"
            | "--noise-threshold"
            | "--confidence-level"
            | "--significance-level"
            | "--nresamples"
            | "--output-format"
            | "--color"
            | "--plotting-backend"
            | "--profile-time"
    )
}
