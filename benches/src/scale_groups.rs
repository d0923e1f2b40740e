//! The `scale_N` groups: the generated sets of [`crate::scale`], compiled by build.rs, asked the
//! same requests (built from the first statements, which every set shares).
//!
//! There is no `handwritten` contender here: nobody writes 10,000 rules by hand, and the floor
//! for these sets is the seeds' comparison.

use tagpolicy::CompiledPolicy;

use crate::cases::{requests, Case};
use crate::scale::{self, Cond, Stmt};
use crate::{casbin_peer, cedar_peer, naive, rego_peer, seeds, Ours, Visitor};

/// The sets compiled by build.rs: `SCALE_10` … `SCALE_10000`.
pub mod compiled {
    include!(concat!(env!("OUT_DIR"), "/scale_10.rs"));
    include!(concat!(env!("OUT_DIR"), "/scale_100.rs"));
    include!(concat!(env!("OUT_DIR"), "/scale_1000.rs"));
    include!(concat!(env!("OUT_DIR"), "/scale_10000.rs"));
}

/// The JSON of each set, as build.rs wrote and compiled it.
pub fn json(n: usize) -> &'static str {
    match n {
        10 => include_str!(concat!(env!("OUT_DIR"), "/scale_10.json")),
        100 => include_str!(concat!(env!("OUT_DIR"), "/scale_100.json")),
        1_000 => include_str!(concat!(env!("OUT_DIR"), "/scale_1000.json")),
        10_000 => include_str!(concat!(env!("OUT_DIR"), "/scale_10000.json")),
        _ => panic!("no generated set of {n} statements"),
    }
}

/// The compiled form of each set.
pub fn policy(n: usize) -> CompiledPolicy {
    match n {
        10 => compiled::SCALE_10,
        100 => compiled::SCALE_100,
        1_000 => compiled::SCALE_1000,
        10_000 => compiled::SCALE_10000,
        _ => panic!("no generated set of {n} statements"),
    }
}

const USER: &str = "user-7";

/// A request that satisfies statement `i`, and one that misses it by one detail.
fn pair(i: usize, st: &Stmt) -> [Case; 2] {
    let action = scale::action_name(st.service, st.actions[0]);
    let rtype = st.resource_type.unwrap_or(0);
    let arn = scale::resource_arn(st.service, rtype, i as u32);
    let base = |arn: &str| {
        Case::new(&action, arn)
            .user(USER)
            .principal_tags(&[("dept", "eng")])
            .resource_tags(&[("name", "r"), ("env", "v1")])
    };
    let with = |mut c: Case, principal: bool, key: u32, value: &str| {
        let tag = (scale::tag_key(key).to_ascii_lowercase(), value.to_owned());
        if principal {
            c.principal_tags.push(tag);
        } else {
            c.resource_tags.push(tag);
        }
        c
    };
    match st.cond {
        Cond::ResourceTagIs { key, value } => [
            with(base(&arn), false, key, &scale::tag_value(value)),
            with(base(&arn), false, key, "v99"),
        ],
        Cond::ResourceTagIsUser { key } => [
            with(base(&arn), false, key, USER),
            with(base(&arn), false, key, "user-8"),
        ],
        Cond::PrincipalTagIs { key, value } => [
            with(base(&arn), true, key, &scale::tag_value(value)),
            with(base(&arn), true, key, "v99"),
        ],
        Cond::None => {
            let miss = match st.resource_type {
                Some(t) => base(&scale::resource_arn(
                    st.service,
                    (t + 1) % scale::RESOURCE_TYPES,
                    0,
                )),
                None => {
                    Case::new(&format!("{}:Nope", scale::service_name(st.service)), &arn).user(USER)
                }
            };
            [base(&arn), miss]
        }
    }
}

/// The requests of every `scale_N` group: a hit and a near miss for each of the first eight
/// statements (the seed is chosen so that they include a Deny and every kind of condition), and
/// an action of no service in the set.
pub fn cases() -> Vec<Case> {
    let stmts = scale::generate(8);
    let mut out: Vec<Case> = stmts
        .iter()
        .enumerate()
        .flat_map(|(i, st)| pair(i, st))
        .collect();
    out.push(Case::new("svc99:Op000", &scale::resource_arn(99, 0, 0)).user(USER));
    out
}

/// The `scale_N` group.
pub fn scale<V: Visitor>(n: usize, v: &mut V) {
    let cases = cases();
    v.contender("compiled", || Ours::new(policy(n), requests(&cases)));
    v.contender("runtime", || {
        Ours::new(seeds::load(&[json(n)]), requests(&cases))
    });
    v.contender("cedar", || {
        cedar_peer::Cedar::new(
            &scale::to_cedar(&scale::generate(n)),
            &cases,
            cedar_peer::no_extra,
        )
    });
    v.contender("regorus", || {
        rego_peer::Rego::new(&scale::to_rego(&scale::generate(n)), &cases)
    });
    v.contender("casbin", || {
        casbin_peer::Casbin::new(
            casbin_peer::SCALE_MODEL,
            scale::to_casbin_lines(&scale::generate(n)),
            &cases,
        )
    });
    v.contender("naive_json", || {
        naive::NaiveJson::new(vec![json(n)], requests(&cases))
    });
}
