//! Writes `benches/README.md` from the results `benches/run.sh` gathered: criterion's estimates,
//! the allocation counts, the callgrind instruction counts and the build cost of the largest set.
//!
//! `report RESULTS_DIR CRITERION_DIR OUT_FILE`

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use benches::{IAM_GROUPS, PERM_CONTENDERS, PERM_GROUPS};

/// `group contender value` lines.
fn table(path: &Path) -> BTreeMap<(String, String), f64> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (g, c, v) = (w.next()?, w.next()?, w.next()?.parse().ok()?);
            Some(((g.to_owned(), c.to_owned()), v))
        })
        .collect()
}

/// `key value…` lines.
fn pairs(path: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

/// Median ns per decision, the lowest over the criterion passes: each pass's median per
/// iteration over the requests per iteration. The machine is shared, and a slow phase of a
/// neighbour would otherwise land on whichever contender happened to run then.
fn median_ns(passes: &[PathBuf], group: &str, contender: &str) -> Option<f64> {
    passes
        .iter()
        .filter_map(|dir| pass_median_ns(dir, group, contender))
        .reduce(f64::min)
}

/// [`median_ns`] of one pass.
fn pass_median_ns(criterion: &Path, group: &str, contender: &str) -> Option<f64> {
    let dir = criterion.join(group).join(contender).join("new");
    let est: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("estimates.json")).ok()?).ok()?;
    let bench: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("benchmark.json")).ok()?).ok()?;
    let median = est.get("median")?.get("point_estimate")?.as_f64()?;
    let n = bench.get("throughput")?.get("Elements")?.as_f64()?;
    Some(median / n)
}

fn ns(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} µs", v / 1e3)
    } else {
        format!("{v:.1} ns")
    }
}

fn ratio(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}×")
    } else if v >= 10.0 {
        format!("{v:.1}×")
    } else {
        format!("{v:.2}×")
    }
}

fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

struct Target {
    text: String,
    met: Option<bool>,
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [results, criterion, out] = args.as_slice() else {
        eprintln!("usage: report RESULTS_DIR CRITERION_DIR[:CRITERION_DIR…] OUT_FILE");
        std::process::exit(2);
    };
    // One criterion directory per pass.
    let criterion: Vec<PathBuf> = std::env::split_paths(criterion).collect();
    let criterion = criterion.as_slice();
    let allocs = table(&results.join("allocs.txt"));
    let instr = table(&results.join("instructions.txt"));
    let info = pairs(&results.join("info.txt"));
    let get = |k: &str| info.get(k).cloned().unwrap_or_else(|| "?".to_owned());

    let mut times: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for g in benches::GROUPS {
        for c in benches::contenders(g) {
            if let Some(t) = median_ns(criterion, g, c) {
                times.insert((g, c), t);
            }
        }
    }
    let t = |g: &str, c: &str| {
        times
            .iter()
            .find(|((gg, cc), _)| *gg == g && *cc == c)
            .map(|(_, v)| *v)
    };

    let mut md = String::new();
    md.push_str(include_str!("../../README.head.md"));
    let _ = writeln!(md, "\n## Results\n");
    let _ = writeln!(
        md,
        "Machine: {}. Date: {}. rustc: {}. Criterion: warm-up {} s, measurement {} s per contender. \
         Peers: {}.\n",
        machine(),
        get("date"),
        get("rustc"),
        get("warm_up"),
        get("measurement"),
        get("peers")
    );
    let _ = writeln!(
        md,
        "Times are criterion's median per iteration divided by the requests of the group (each \
         iteration decides every request once), so one figure mixes Allow and Deny paths; with \
         {} criterion passes over every group, each figure is the lowest of the passes' medians \
         (the machine is shared, and a slow phase of a neighbour would otherwise land on \
         whichever contender ran then). \
         `× compiled` is the contender's time over `compiled`'s (above 1: slower). Allocations are \
         counted per decision by a counting global allocator (`--bin allocs`); instructions per \
         decision by callgrind (`--bin instr`), on the seed workloads for our two paths and the \
         hand-written floor, and on the permission workloads for our two paths and `datalogic`.\n",
        criterion.len()
    );

    let mut targets: Vec<Target> = Vec::new();
    // One table per group: the IAM groups, then the permission-set groups under their own heading.
    let table = |md: &mut String, g: &str, contenders: &[&str]| {
        let _ = writeln!(md, "### `{g}`\n");
        let _ = writeln!(md, "| contender | median / decision | × compiled | allocations / decision | instructions / decision |");
        let _ = writeln!(md, "|---|---:|---:|---:|---:|");
        let base = t(g, "compiled");
        for c in contenders {
            let Some(time) = t(g, c) else { continue };
            let r = base.map_or("–".to_owned(), |b| ratio(time / b));
            let a = allocs
                .get(&(g.to_owned(), (*c).to_owned()))
                .map_or("–".to_owned(), |a| format!("{a}"));
            let i = instr
                .get(&(g.to_owned(), (*c).to_owned()))
                .map_or("–".to_owned(), |i| format!("{i:.0}"));
            let _ = writeln!(md, "| `{c}` | {} | {r} | {a} | {i} |", ns(time));
        }
        md.push('\n');
    };
    for g in IAM_GROUPS {
        table(&mut md, g, &benches::CONTENDERS);
    }
    let _ = writeln!(md, "## Results: permission sets (JSON Logic conditions)\n");
    let _ = writeln!(
        md,
        "Roles grant permissions whose `logic` is a JSON Logic condition (SPEC §3); `datalogic` \
         and `jsonlogic_rs` evaluate the condition, with the role→permission selection in plain \
         Rust around them (`src/logic_peers.rs`).\n"
    );
    for g in PERM_GROUPS {
        table(&mut md, g, &PERM_CONTENDERS);
    }

    // The grants group: what just-in-time grants add to a decision.
    let grant_ids = [
        (
            "compiled_no_grants",
            "build the request, decide (no grants)",
        ),
        (
            "compiled_with_grants",
            "load the snapshot through the thread's `GrantReader`, find the principal's grants, build the request with them, decide and name the grant",
        ),
        (
            "compiled_with_grants_snapshot",
            "the same, loading an arc-swap guard (`GrantStore::snapshot`) per decision",
        ),
        (
            "compiled_with_grants_view",
            "the principal's grants borrowed beforehand (one call, several decisions): build the request with them, decide and name the grant",
        ),
    ];
    let grant_times: Vec<(&str, &str, f64)> = grant_ids
        .iter()
        .filter_map(|(id, what)| Some((*id, *what, median_ns(criterion, "grants", id)?)))
        .collect();
    if !grant_times.is_empty() {
        let _ = writeln!(
            md,
            "## Results: just-in-time grants
"
        );
        let _ = writeln!(
            md,
            "`team_queue` decided for alice with 100,000 grants in the store (25,000 principals), \
             16 of them active for her; her grant gives `team=ops` (Allow), her own tag is \
             `team=dev` (Deny without the grant). Both sides build their request per decision \
             from the same parts, as a service does per call, so the difference is the grants' \
             own work. See `src/grants_group.rs`.\n"
        );
        let _ = writeln!(
            md,
            "| id | what | median / decision | instructions / decision |\n|---|---|---:|---:|"
        );
        for (id, what, time) in &grant_times {
            let ir = instr
                .get(&("grants".to_owned(), (*id).to_owned()))
                .map_or("–".to_owned(), |i| format!("{i:.0}"));
            let _ = writeln!(md, "| `{id}` | {what} | {} | {ir} |", ns(*time));
        }
        md.push('\n');
    }
    let grant_time = |id: &str| {
        grant_times
            .iter()
            .find(|(i, _, _)| *i == id)
            .map(|(_, _, t)| *t)
    };

    // Targets of SPEC §8.
    if let (Some(with), Some(without)) = (
        grant_time("compiled_with_grants"),
        grant_time("compiled_no_grants"),
    ) {
        let instructions = match (
            instr.get(&("grants".to_owned(), "compiled_with_grants".to_owned())),
            instr.get(&("grants".to_owned(), "compiled_no_grants".to_owned())),
        ) {
            (Some(a), Some(b)) => {
                format!("; {:.0} instructions added ({a:.0} against {b:.0})", a - b)
            }
            _ => String::new(),
        };
        // How much of it is finding the principal's grants (not what the target is judged on).
        let view = match (
            grant_time("compiled_with_grants_view"),
            instr.get(&("grants".to_owned(), "compiled_with_grants_view".to_owned())),
            instr.get(&("grants".to_owned(), "compiled_no_grants".to_owned())),
        ) {
            (Some(v), Some(a), Some(b)) => format!(
                "; with the principal's grants borrowed beforehand, {} and {:.0} instructions",
                ns(v - without),
                a - b
            ),
            (Some(v), _, _) => format!(
                "; with the principal's grants borrowed beforehand, {}",
                ns(v - without)
            ),
            _ => String::new(),
        };
        targets.push(Target {
            text: format!(
                "grants add ≤ 10 ns to a decision (100,000 grants, 16 active for the principal): \
                 {} added ({} with, {} without){instructions}{view}",
                ns(with - without),
                ns(with),
                ns(without)
            ),
            met: Some(with - without <= 10.0),
        });
    }
    let seeds = ["owner_tag", "team_queue", "request_tags", "deny_override"];
    let decide: Vec<&str> = IAM_GROUPS
        .iter()
        .copied()
        .filter(|g| !g.ends_with("_e2e"))
        .collect();
    for g in seeds {
        if let (Some(c), Some(h)) = (t(g, "compiled"), t(g, "handwritten")) {
            let r = c / h;
            let ri = match (
                instr.get(&(g.to_owned(), "compiled".to_owned())),
                instr.get(&(g.to_owned(), "handwritten".to_owned())),
            ) {
                (Some(a), Some(b)) => format!(", {:.2}× in instructions", a / b),
                _ => String::new(),
            };
            targets.push(Target {
                text: format!(
                    "`compiled` within 1.5× of `handwritten` on `{g}`: {}{ri}",
                    ratio(r)
                ),
                met: Some(r <= 1.5),
            });
        }
    }
    for (peer, want) in [("cedar", 100.0), ("regorus", 100.0), ("casbin", 50.0)] {
        let rs: Vec<(&str, f64)> = decide
            .iter()
            .filter_map(|g| Some((*g, t(g, peer)? / t(g, "compiled")?)))
            .collect();
        if let Some((g, min)) = rs.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)) {
            targets.push(Target {
                text: format!("`compiled` ≥ {want:.0}× faster than `{peer}` in every decide group: lowest {} (`{g}`)", ratio(min)),
                met: Some(min >= want),
            });
        }
    }
    let rs: Vec<(&str, f64)> = PERM_GROUPS
        .iter()
        .filter_map(|g| Some((*g, t(g, "datalogic")? / t(g, "compiled")?)))
        .collect();
    if let Some((g, min)) = rs.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)) {
        targets.push(Target {
            text: format!(
                "`compiled` ≥ 3× faster than `datalogic` on every permission group: lowest {} (`{g}`)",
                ratio(min)
            ),
            met: Some(min >= 3.0),
        });
    }
    let rs: Vec<(&str, f64)> = decide
        .iter()
        .filter_map(|g| Some((*g, t(g, "cedar")? / t(g, "runtime")?)))
        .collect();
    if let Some((g, min)) = rs.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)) {
        targets.push(Target {
            text: format!(
                "`runtime` ≥ 20× faster than `cedar` in every decide group: lowest {} (`{g}`)",
                ratio(min)
            ),
            met: Some(min >= 20.0),
        });
    }
    if let (Some(big), Some(small)) = (t("scale_10000", "compiled"), t("scale_10", "compiled")) {
        let key = |g: &str| (g.to_owned(), "compiled".to_owned());
        let ri = match (instr.get(&key("scale_10000")), instr.get(&key("scale_10"))) {
            (Some(a), Some(b)) => format!("; {} in instructions ({a:.0} vs {b:.0})", ratio(a / b)),
            _ => String::new(),
        };
        targets.push(Target {
            text: format!(
                "`compiled` at 10,000 statements ≤ 1.5× its cost at 10: {} in time ({} vs {}){ri}",
                ratio(big / small),
                ns(big),
                ns(small)
            ),
            met: Some(big / small <= 1.5),
        });
    }
    let ours_allocs: Vec<f64> = allocs
        .iter()
        .filter(|((_, c), _)| c == "compiled" || c == "runtime")
        .map(|(_, v)| *v)
        .collect();
    if !ours_allocs.is_empty() {
        let max = ours_allocs.iter().copied().fold(0.0, f64::max);
        targets.push(Target {
            text: format!("0 allocations per decision for `compiled` and `runtime` in every group: at most {max}"),
            met: Some(max == 0.0),
        });
    }
    if let Some(secs) = info
        .get("policy_macro_10000_secs")
        .and_then(|s| s.parse::<f64>().ok())
    {
        targets.push(Target {
            text: format!("`policy!` of 10,000 statements in under 30 s: {secs:.0} s (whole crate build, release)"),
            met: Some(secs < 30.0),
        });
    }

    let _ = writeln!(md, "## Targets (SPEC §8)\n");
    for tg in &targets {
        let mark = match tg.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        };
        let _ = writeln!(md, "- {mark}: {}", tg.text);
    }

    let _ = writeln!(md, "\n## Build cost of the generated sets\n");
    let _ = writeln!(
        md,
        "| statements | build.rs code generation | generated Rust |\n|---:|---:|---:|"
    );
    for n in benches::scale::SIZES {
        let _ = writeln!(
            md,
            "| {n} | {} s | {} |",
            get(&format!("codegen_{n}_secs")),
            get(&format!("generated_{n}_bytes"))
        );
    }
    let _ = writeln!(
        md,
        "\n`policy!(file = …)` of the 10,000-statement set in a one-file binary crate, release \
         profile (macro expansion and rustc, dependencies already built): {} s, against {} s for a \
         one-statement policy. The set adds {} bytes to the stripped binary ({} → {} bytes).\n",
        get("policy_macro_10000_secs"),
        get("policy_macro_1_secs"),
        get("size_added_bytes"),
        get("size_1_bytes"),
        get("size_10000_bytes")
    );
    // Hand-written notes below the tables (read at run time: `include_str!` of it trips clippy).
    let tail = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.tail.md");
    if let Ok(notes) = fs::read_to_string(&tail) {
        md.push_str(&notes);
    }
    fs::write(out, md).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    eprintln!("wrote {}", out.display());
}
