//! The workloads of the `peers` benchmark (SPEC §8): every contender deciding the same requests
//! against the same rules, each given its request in its own native form.
//!
//! A workload ([`group`]) hands each of its contenders to a [`Visitor`] as a constructor; the
//! visitor builds the ones it wants and drives them through [`Decide`]. The criterion bench, the
//! agreement test, the allocation counter and the instruction counter are the four visitors.
//!
//! Contenders, by function id:
//! - `compiled`: the policy compiled to Rust at build time (`policy!` for the seeds, build.rs for
//!   the generated sets);
//! - `runtime`: the same JSON loaded at run time (`RuntimePolicy`);
//! - `handwritten`: the Rust a careful engineer writes for exactly that rule, no engine;
//! - `cedar`, `regorus`, `casbin`: the same rule in each peer's language;
//! - `naive_json`: parses the policy JSON with serde_json on every request, then interprets it.
//!
//! The permission-set (JSON Logic) groups have their own contenders ([`PERM_CONTENDERS`]):
//! `compiled` (`policy!` of the permission set), `runtime` (`RuntimePermissions`), and the JSON
//! Logic engines `datalogic` (datalogic-rs) and `jsonlogic_rs` (jsonlogic-rs), each evaluating
//! the permission's condition with the role→permission selection in plain Rust around it
//! ([`logic_peers`]).

pub mod casbin_peer;
pub mod cases;
pub mod cedar_peer;
pub mod e2e;
pub mod grants_group;
pub mod handwritten;
pub mod logic_peers;
pub mod naive;
pub mod perms;
pub mod rego_peer;
pub mod scale;
pub mod scale_groups;
pub mod seeds;

use tagpolicy::{Policy, Request};

/// The function ids of the IAM groups, in table order.
pub const CONTENDERS: [&str; 7] = [
    "compiled",
    "runtime",
    "handwritten",
    "cedar",
    "regorus",
    "casbin",
    "naive_json",
];

/// The IAM groups, in table order. The grants groups of SPEC §8 are to be added after the
/// permission groups, with their own workload module, and listed in [`GROUPS`].
pub const IAM_GROUPS: [&str; 9] = [
    "owner_tag",
    "team_queue",
    "request_tags",
    "deny_override",
    "scale_10",
    "scale_100",
    "scale_1000",
    "scale_10000",
    "owner_tag_e2e",
];

/// The function ids of the permission-set (JSON Logic) groups, in table order.
pub const PERM_CONTENDERS: [&str; 4] = ["compiled", "runtime", "datalogic", "jsonlogic_rs"];

/// The permission-set (JSON Logic) groups of SPEC §3 patterns, in table order ([`perms`]).
pub const PERM_GROUPS: [&str; 4] = [
    "perm_department",
    "perm_clearance",
    "perm_certifications",
    "perm_combined",
];

const ALL_GROUPS: [&str; IAM_GROUPS.len() + PERM_GROUPS.len()] = {
    let mut all = [""; IAM_GROUPS.len() + PERM_GROUPS.len()];
    let mut i = 0;
    while i < IAM_GROUPS.len() {
        all[i] = IAM_GROUPS[i];
        i += 1;
    }
    let mut j = 0;
    while j < PERM_GROUPS.len() {
        all[IAM_GROUPS.len() + j] = PERM_GROUPS[j];
        j += 1;
    }
    all
};

/// Every group of the `peers` bench: the IAM groups, then the permission groups.
pub const GROUPS: &[&str] = &ALL_GROUPS;

/// The function ids a group's contenders may have: [`PERM_CONTENDERS`] for the permission
/// groups, [`CONTENDERS`] for the others.
pub fn contenders(group: &str) -> &'static [&'static str] {
    if PERM_GROUPS.contains(&group) {
        &PERM_CONTENDERS
    } else {
        &CONTENDERS
    }
}

/// A contender, holding its requests in its native form.
pub trait Decide {
    /// How many requests the workload has.
    fn requests(&self) -> usize;
    /// Decides request `i`: `true` for Allow, `false` for Deny (explicit or implicit).
    fn decide(&mut self, i: usize) -> bool;
}

/// What a workload hands its contenders to.
pub trait Visitor {
    /// A contender named `name` (one of [`contenders`] of the group), built by `make` if the
    /// visitor wants it.
    fn contender<D: Decide, F: FnOnce() -> D>(&mut self, name: &'static str, make: F);
}

/// Hands every contender of the group `name` to `visitor`; `false` if there is no such group.
pub fn group<V: Visitor>(name: &str, visitor: &mut V) -> bool {
    match name {
        "owner_tag" => seeds::owner_tag(visitor),
        "team_queue" => seeds::team_queue(visitor),
        "request_tags" => seeds::request_tags(visitor),
        "deny_override" => seeds::deny_override(visitor),
        "scale_10" => scale_groups::scale(10, visitor),
        "scale_100" => scale_groups::scale(100, visitor),
        "scale_1000" => scale_groups::scale(1_000, visitor),
        "scale_10000" => scale_groups::scale(10_000, visitor),
        "owner_tag_e2e" => e2e::owner_tag_e2e(visitor),
        "perm_department" => perms::department(visitor),
        "perm_clearance" => perms::clearance(visitor),
        "perm_certifications" => perms::certifications(visitor),
        "perm_combined" => perms::combined(visitor),
        _ => return false,
    }
    true
}

/// One of our two paths (compiled or run time) with its requests.
pub struct Ours<P> {
    policy: P,
    requests: Vec<Request<'static>>,
}

impl<P: Policy> Ours<P> {
    /// A contender deciding `requests` with `policy`.
    pub fn new(policy: P, requests: Vec<Request<'static>>) -> Self {
        Ours { policy, requests }
    }
}

impl<P: Policy> Decide for Ours<P> {
    fn requests(&self) -> usize {
        self.requests.len()
    }

    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        self.policy.evaluate(&self.requests[i]).is_allowed()
    }
}

/// The hand-written contender: a plain function of our borrowed request.
pub struct Handwritten<F> {
    rule: F,
    requests: Vec<Request<'static>>,
}

impl<F: Fn(&Request<'_>) -> bool> Handwritten<F> {
    /// A contender deciding `requests` with `rule`.
    pub fn new(rule: F, requests: Vec<Request<'static>>) -> Self {
        Handwritten { rule, requests }
    }
}

impl<F: Fn(&Request<'_>) -> bool> Decide for Handwritten<F> {
    fn requests(&self) -> usize {
        self.requests.len()
    }

    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        (self.rule)(&self.requests[i])
    }
}

/// Every contender's decisions on every request of a group, by contender name.
pub fn decisions(group_name: &str) -> Vec<(&'static str, Vec<bool>)> {
    struct Collect(Vec<(&'static str, Vec<bool>)>);
    impl Visitor for Collect {
        fn contender<D: Decide, F: FnOnce() -> D>(&mut self, name: &'static str, make: F) {
            let mut d = make();
            let all = (0..d.requests()).map(|i| d.decide(i)).collect();
            self.0.push((name, all));
        }
    }
    let mut c = Collect(Vec::new());
    assert!(group(group_name, &mut c), "no group {group_name}");
    c.0
}

/// Checks that every contender of a group decides every request alike, and that the requests
/// include both an Allow and a Deny. Returns the decisions, or a message naming the contender and
/// request that disagree.
pub fn check_agreement(group_name: &str) -> Result<Vec<bool>, String> {
    let all = decisions(group_name);
    let Some((first, reference)) = all.first() else {
        return Err(format!("{group_name}: no contenders"));
    };
    for (name, got) in &all {
        if got.len() != reference.len() {
            return Err(format!(
                "{group_name}: {name} has {} requests, {first} {}",
                got.len(),
                reference.len()
            ));
        }
        for (i, (g, r)) in got.iter().zip(reference).enumerate() {
            if g != r {
                return Err(format!(
                    "{group_name}: request {i}: {name} says {}, {first} says {}",
                    allow_deny(*g),
                    allow_deny(*r)
                ));
            }
        }
    }
    if !reference.contains(&true) || !reference.contains(&false) {
        return Err(format!(
            "{group_name}: the requests need both an Allow and a Deny: {reference:?}"
        ));
    }
    Ok(reference.clone())
}

fn allow_deny(b: bool) -> &'static str {
    if b {
        "Allow"
    } else {
        "Deny"
    }
}
