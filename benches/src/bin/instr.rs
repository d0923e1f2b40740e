//! Runs `rounds` rounds of one contender of one group (every request once per round), for
//! counting instructions with callgrind: the instructions of a decision are
//! `(total(rounds) - total(0)) / (rounds × requests)`. Prints the number of requests.
//!
//! `valgrind --tool=callgrind cargo-built/instr GROUP CONTENDER ROUNDS`

use benches::{Decide, Visitor};

struct Run {
    contender: String,
    rounds: usize,
    requests: Option<usize>,
}

impl Visitor for Run {
    fn contender<D: Decide, F: FnOnce() -> D>(&mut self, name: &'static str, make: F) {
        if name != self.contender {
            return;
        }
        let mut d = make();
        let n = d.requests();
        for _ in 0..self.rounds {
            for i in 0..n {
                std::hint::black_box(d.decide(std::hint::black_box(i)));
            }
        }
        self.requests = Some(n);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [group, contender, rounds] = args.as_slice() else {
        eprintln!("usage: instr GROUP CONTENDER ROUNDS");
        std::process::exit(2);
    };
    let rounds: usize = rounds.parse().unwrap_or_else(|e| panic!("rounds: {e}"));
    if group == "grants" {
        grants(contender, rounds);
        return;
    }
    let mut run = Run {
        contender: contender.clone(),
        rounds,
        requests: None,
    };
    if !benches::group(group, &mut run) {
        panic!("no group {group}");
    }
    match run.requests {
        Some(n) => println!("{n}"),
        None => panic!("no contender {contender} in {group}"),
    }
}

/// The `grants` group (one request): `compiled_no_grants`, `compiled_with_grants`,
/// `compiled_with_grants_snapshot` or `compiled_with_grants_view`, as the criterion bench runs
/// them.
fn grants(contender: &str, rounds: usize) {
    use benches::grants_group as g;
    use std::hint::black_box;
    let store = g::store();
    let mut reader = store.reader();
    let req = g::PARTS;
    let snapshot = store.snapshot();
    let view = snapshot.grants_of(req.principal);
    // The contender is picked once: a string match per round would be counted too.
    let mut decide: Box<dyn FnMut() -> bool + '_> = match contender {
        "compiled_no_grants" => Box::new(|| g::without(black_box(&req))),
        "compiled_with_grants" => Box::new(|| g::with(black_box(&mut reader), black_box(&req))),
        "compiled_with_grants_snapshot" => {
            Box::new(|| g::with_snapshot(black_box(&store), black_box(&req)))
        }
        "compiled_with_grants_view" => Box::new(|| g::with_view(black_box(view), black_box(&req))),
        other => panic!("no contender {other} in grants"),
    };
    for _ in 0..rounds {
        black_box(decide());
    }
    println!("1");
}
