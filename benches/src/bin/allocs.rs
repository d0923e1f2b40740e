//! Heap allocations per decision of every contender in every group, counted by a global
//! allocator outside any timed loop. Prints `group contender allocations_per_decision` lines.
//!
//! `cargo run --release -p benches --bin allocs [group…]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use benches::{Decide, Visitor};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: defers to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Rounds over every request after a warm-up round (peers fill caches on first use); fewer for
/// contenders slower than [`SLOW`] a round.
const ROUNDS: u64 = 20;
const SLOW_ROUNDS: u64 = 2;
const SLOW: std::time::Duration = std::time::Duration::from_millis(20);

struct Count {
    group: String,
}

impl Visitor for Count {
    fn contender<D: Decide, F: FnOnce() -> D>(&mut self, name: &'static str, make: F) {
        let mut d = make();
        let n = d.requests();
        let started = std::time::Instant::now();
        for i in 0..n {
            std::hint::black_box(d.decide(i));
        }
        let rounds = if started.elapsed() > SLOW {
            SLOW_ROUNDS
        } else {
            ROUNDS
        };
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        for _ in 0..rounds {
            for i in 0..n {
                std::hint::black_box(d.decide(std::hint::black_box(i)));
            }
        }
        let count = ALLOCATIONS.load(Ordering::Relaxed) - before;
        let per = count as f64 / (rounds * n as u64) as f64;
        println!("{} {name} {per:.1}", self.group);
    }
}

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    for &group in benches::GROUPS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == group) {
            continue;
        }
        benches::group(
            group,
            &mut Count {
                group: group.to_owned(),
            },
        );
    }
}
