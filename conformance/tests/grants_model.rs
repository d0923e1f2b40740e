//! Property test: grants in evaluation against a reference model written here, on the compiled and
//! on the run-time path.
//!
//! Random grant sets (1–8 grants to alice or bob, of `team`/`Team` and `env` tags, windows of a few
//! milliseconds, some revoked, some removed as expired, some scoped) go into a [`GrantStore`];
//! a random request (principal, time or none, action, resource, the principal's own team tag and the
//! resource's, in the context or as tags) borrows one principal's table from its snapshot and is
//! decided by the jit policy (case 0 of `cases/jit/grants.json`: `aws:ResourceTag/team` must equal
//! `${aws:PrincipalTag/team}` for ec2 Start/StopInstances on instances).
//!
//! The model: a grant counts iff it belongs to the table's principal, that principal is the
//! request's, it is neither revoked nor removed, the request has a time `t` with
//! `not_before <= t < expires_at`, and its scope (if any) covers the action (glob, ASCII
//! case-insensitive) and the resource (glob). Of the counting grants that grant `team` (any case),
//! the latest-starting wins, ties going to the smallest id (`table.rs`: grants are ordered by
//! `not_before` descending, then id); its value replaces the own tag. The decision names that grant
//! iff it allows (the only statement reads `team`; a Deny here is implicit and names none).
//!
//! The run is deterministic (fixed seed, no failure persistence); `GRANTS_MODEL_CASES` and
//! `GRANTS_MODEL_SEED` override the number of cases and the seed.

use std::cell::Cell;

use conformance::{cases_dir, compiled, read_source};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRunner};
use tagpolicy_compiler::cases::{case_list, read_iam_case};
use tagpolicy_compiler::parse_json;
use tagpolicy_grants::{Grant, GrantStore, Scope};
use tagpolicy_runtime::{Policy, Request, Tag, Timestamp, Value};

const CASES: u32 = 10_000;
const SEED: u64 = 0x6a69_742d_6772_616e;

const PRINCIPALS: [&str; 2] = ["alice", "bob"];
const TEAM_KEYS: [&str; 2] = ["team", "Team"];
const VALUES: [&str; 3] = ["ops", "dev", "sec"];
const SCOPE_ACTIONS: [&str; 5] = [
    "ec2:*",
    "EC2:StartInstances",
    "ec2:stop*",
    "s3:*",
    "ec2:?tartInstances",
];
const SCOPE_RESOURCES: [&str; 4] = [
    "*",
    "arn:aws:ec2:*:*:instance/i-1",
    "arn:aws:ec2:us-east-1:*",
    "arn:aws:s3:::*",
];
const ACTIONS: [&str; 5] = [
    "ec2:StartInstances",
    "ec2:StopInstances",
    "EC2:STOPINSTANCES",
    "ec2:TerminateInstances",
    "s3:GetObject",
];
const RESOURCES: [&str; 3] = [
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:ec2:eu-west-1:111122223333:instance/i-2",
    "arn:aws:s3:::bucket/key",
];
/// The jit policy's `Action` and `Resource`.
const POLICY_ACTIONS: [&str; 2] = ["ec2:StartInstances", "ec2:StopInstances"];
const POLICY_RESOURCE: &str = "arn:aws:ec2:*:*:instance/*";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One generated grant.
#[derive(Clone, Debug)]
struct G {
    id: String,
    principal: &'static str,
    /// A team tag: key spelling and value.
    team: Option<(&'static str, &'static str)>,
    env: Option<&'static str>,
    not_before: i64,
    expires_at: i64,
    revoked: bool,
    /// Action and resource globs (each list may be empty: any).
    scope: Option<(Vec<&'static str>, Vec<&'static str>)>,
}

impl G {
    fn to_grant(&self) -> Grant {
        let mut tags = std::collections::BTreeMap::new();
        if let Some((k, v)) = self.team {
            tags.insert(k.to_owned(), v.to_owned());
        }
        if let Some(v) = self.env {
            tags.insert("env".to_owned(), v.to_owned());
        }
        Grant {
            id: self.id.clone(),
            principal: self.principal.into(),
            tags,
            roles: vec![],
            not_before: Timestamp::from_millis(self.not_before),
            expires_at: Timestamp::from_millis(self.expires_at),
            reason: "model".into(),
            requested_by: self.principal.into(),
            approved_by: vec!["carol".into()],
            ticket: None,
            scope: self.scope.as_ref().map(|(a, r)| Scope {
                actions: a.iter().map(|s| (*s).to_owned()).collect(),
                resources: r.iter().map(|s| (*s).to_owned()).collect(),
            }),
            break_glass: false,
        }
    }
}

/// Where a tag of the request is given.
#[derive(Clone, Copy, Debug)]
enum Given {
    Absent,
    Context(&'static str),
    Tags(&'static str),
}

impl Given {
    fn value(self) -> Option<&'static str> {
        match self {
            Given::Absent => None,
            Given::Context(v) | Given::Tags(v) => Some(v),
        }
    }
}

#[derive(Clone, Debug)]
struct Req {
    principal: Option<&'static str>,
    /// Whose table the request borrows: the principal's (alice's without one), or the other's.
    other_table: bool,
    time: Option<i64>,
    action: &'static str,
    resource: &'static str,
    own_team: Given,
    resource_team: Given,
}

impl Req {
    fn table_owner(&self) -> &'static str {
        let own = self.principal.unwrap_or("alice");
        match (self.other_table, own) {
            (false, p) => p,
            (true, "alice") => "bob",
            (true, _) => "alice",
        }
    }
}

#[derive(Clone, Debug)]
struct Case {
    grants: Vec<G>,
    /// Issue then revoke one by one (else `GrantStore::from_grants` with the revoked ids).
    issue: bool,
    /// `remove_expired(t)` before the request.
    remove_expired: Option<i64>,
    request: Req,
}

fn given() -> impl Strategy<Value = Given> {
    prop_oneof![
        1 => Just(Given::Absent),
        2 => select(&VALUES[..]).prop_map(Given::Context),
        2 => select(&VALUES[..]).prop_map(Given::Tags),
    ]
}

fn grant() -> impl Strategy<Value = G> {
    (
        prop_oneof![2 => Just(PRINCIPALS[0]), 1 => Just(PRINCIPALS[1])],
        prop::option::weighted(0.85, (select(&TEAM_KEYS[..]), select(&VALUES[..]))),
        prop::option::weighted(0.3, select(&VALUES[..])),
        0i64..7,
        // Mostly proper windows; some empty or reversed.
        prop_oneof![1 => -1i64..1, 6 => 1i64..10],
        prop::bool::weighted(0.25),
        prop::option::weighted(
            0.3,
            (
                subsequence(&SCOPE_ACTIONS[..], 0..=2),
                subsequence(&SCOPE_RESOURCES[..], 0..=2),
            ),
        ),
    )
        .prop_map(
            |(principal, team, env, not_before, length, revoked, scope)| G {
                id: String::new(),
                principal,
                team,
                env,
                not_before,
                expires_at: not_before + length,
                revoked,
                scope,
            },
        )
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop_oneof![
            4 => Just(Some("alice")),
            3 => Just(Some("bob")),
            1 => Just(None),
        ],
        prop::bool::weighted(0.15),
        prop::option::weighted(0.9, -1i64..13),
        // Mostly requests the policy is about, so that grants decide often.
        prop_oneof![
            4 => select(&ACTIONS[..3]),
            1 => select(&ACTIONS[..]),
        ],
        prop_oneof![
            4 => select(&RESOURCES[..2]),
            1 => select(&RESOURCES[..]),
        ],
        given(),
        prop_oneof![
            1 => Just(Given::Absent),
            4 => select(&VALUES[..]).prop_map(Given::Context),
            4 => select(&VALUES[..]).prop_map(Given::Tags),
        ],
    )
        .prop_map(
            |(principal, other_table, time, action, resource, own_team, resource_team)| Req {
                principal,
                other_table,
                time,
                action,
                resource,
                own_team,
                resource_team,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(grant(), 1..=8),
        // Distinct ids whose string order differs from their number order (g-12 < g-3).
        Just((0u8..40).collect::<Vec<_>>()).prop_shuffle(),
        any::<bool>(),
        prop::option::weighted(0.2, 0i64..12),
        request(),
    )
        .prop_map(|(mut grants, ids, issue, remove_expired, request)| {
            for (g, n) in grants.iter_mut().zip(ids) {
                g.id = format!("g-{n}");
            }
            Case {
                grants,
                issue,
                remove_expired,
                request,
            }
        })
}

// ---------------------------------------------------------------------------------------------
// The reference model.

/// IAM wildcards, the plain recursive way: `*` any run, `?` one character.
fn glob(pattern: &[char], input: &[char], fold: bool) -> bool {
    match pattern.split_first() {
        None => input.is_empty(),
        Some(('*', rest)) => (0..=input.len()).any(|i| glob(rest, &input[i..], fold)),
        Some((p, rest)) => match input.split_first() {
            Some((c, tail)) => {
                let same = if fold {
                    p.eq_ignore_ascii_case(c)
                } else {
                    p == c
                };
                (*p == '?' || same) && glob(rest, tail, fold)
            }
            None => false,
        },
    }
}

fn glob_str(pattern: &str, input: &str, fold: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let i: Vec<char> = input.chars().collect();
    glob(&p, &i, fold)
}

/// Why a grant does not count for the request (None: it counts).
fn why_not(g: &G, case: &Case) -> Option<&'static str> {
    let r = &case.request;
    let owner = r.table_owner();
    if g.principal != owner {
        return Some("not in the table");
    }
    if g.revoked {
        return Some("revoked");
    }
    if case.remove_expired.is_some_and(|at| g.expires_at <= at) {
        return Some("removed as expired");
    }
    if r.principal != Some(owner) {
        return Some("another principal's table");
    }
    let Some(t) = r.time else {
        return Some("no time");
    };
    if t < g.not_before {
        return Some("not yet active");
    }
    if t >= g.expires_at {
        return Some("expired");
    }
    if let Some((actions, resources)) = &g.scope {
        let action_ok = actions.is_empty() || actions.iter().any(|p| glob_str(p, r.action, true));
        let resource_ok =
            resources.is_empty() || resources.iter().any(|p| glob_str(p, r.resource, false));
        if !(action_ok && resource_ok) {
            return Some("out of scope");
        }
    }
    None
}

struct Expected<'c> {
    /// How many counting grants give `team`, and whether the winner shares its start with another.
    team_grants: usize,
    tie: bool,
    allow: bool,
    used: Option<&'c str>,
    counting: Vec<&'c str>,
}

fn model(case: &Case) -> Expected<'_> {
    let counting: Vec<&G> = case
        .grants
        .iter()
        .filter(|g| why_not(g, case).is_none())
        .collect();
    let winner = counting.iter().filter(|g| g.team.is_some()).min_by(|a, b| {
        b.not_before
            .cmp(&a.not_before)
            .then_with(|| a.id.cmp(&b.id))
    });
    let team_grants = counting.iter().filter(|g| g.team.is_some()).count();
    let tie = winner.is_some_and(|w| {
        counting
            .iter()
            .any(|g| g.team.is_some() && g.id != w.id && g.not_before == w.not_before)
    });
    let r = &case.request;
    let team = match winner {
        Some(g) => g.team.map(|(_, v)| v),
        None => r.own_team.value(),
    };
    let applies = POLICY_ACTIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(r.action))
        && glob_str(POLICY_RESOURCE, r.resource, false);
    let allow = applies && team.is_some() && team == r.resource_team.value();
    let mut counting: Vec<&str> = counting.iter().map(|g| g.id.as_str()).collect();
    counting.sort_unstable();
    Expected {
        team_grants,
        tie,
        allow,
        used: if allow {
            winner.map(|g| g.id.as_str())
        } else {
            None
        },
        counting,
    }
}

// ---------------------------------------------------------------------------------------------
// The engine.

fn store_of(case: &Case) -> GrantStore {
    let store = if case.issue {
        let store = GrantStore::new();
        for g in &case.grants {
            store.issue(g.to_grant()).expect("issued");
        }
        for g in case.grants.iter().filter(|g| g.revoked) {
            store
                .revoke(&g.id, "carol", Timestamp::from_millis(0))
                .expect("revoked");
        }
        store
    } else {
        let revoked: Vec<String> = case
            .grants
            .iter()
            .filter(|g| g.revoked)
            .map(|g| g.id.clone())
            .collect();
        GrantStore::from_grants(case.grants.iter().map(G::to_grant), &revoked)
    };
    if let Some(at) = case.remove_expired {
        store.remove_expired(Timestamp::from_millis(at));
    }
    store
}

#[test]
fn decisions_and_used_grants_match_the_model_on_both_paths() {
    let source = read_source(&cases_dir().join("jit").join("grants.json"));
    let json = parse_json(&source).expect("jit/grants.json parses");
    let cases = case_list(&source, &json).expect("case list");
    let runtime = read_iam_case(&source, cases.first().expect("case 0"))
        .expect("case 0 compiles")
        .policy;
    let compiled = compiled::find(source.name(), 0).expect("case 0 is compiled");
    let paths: [(&str, &dyn Policy); 2] = [("compiled", compiled), ("run-time", &runtime)];

    let config = Config {
        cases: env_or("GRANTS_MODEL_CASES", CASES),
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(env_or("GRANTS_MODEL_SEED", SEED)),
        ..Config::default()
    };
    let wanted = config.cases;
    let mut runner = TestRunner::new(config);
    // Allow by a grant, Allow by the own tag, Deny although a grant counts, other Deny.
    let outcomes = [0; 4].map(Cell::<u32>::new);
    // Cases where several counting grants give `team` (the latest-starting wins), and where the
    // winner ties on its start with another (the smallest id wins).
    let (several, ties) = (Cell::new(0u32), Cell::new(0u32));
    let started = std::time::Instant::now();
    let result = runner.run(&case(), |case| {
        let expected = model(&case);
        let store = store_of(&case);
        let snapshot = store.snapshot();
        let r = &case.request;
        let mut ctx: Vec<(&str, Value<'_>)> = Vec::new();
        let mut own_tags: Vec<Tag<'_>> = Vec::new();
        let mut res_tags: Vec<Tag<'_>> = Vec::new();
        match r.own_team {
            Given::Absent => {}
            Given::Context(v) => ctx.push(("aws:PrincipalTag/team", Value::Str(v))),
            Given::Tags(v) => own_tags.push(("team", v)),
        }
        match r.resource_team {
            Given::Absent => {}
            Given::Context(v) => ctx.push(("aws:ResourceTag/team", Value::Str(v))),
            Given::Tags(v) => res_tags.push(("team", v)),
        }
        let mut request = Request::new(r.action, r.resource)
            .with_context(&ctx)
            .with_principal_tags(&own_tags)
            .with_resource_tags(&res_tags)
            .with_grants(snapshot.grants_of(r.table_owner()));
        request.principal = r.principal;
        request.time = r.time.map(Timestamp::from_millis);

        // The table's own view of which grants count.
        let grant_ctx = request.grant_context();
        let table = request.grants;
        let mut counting: Vec<&str> = table.counting(&grant_ctx).map(|g| table.id(g)).collect();
        counting.sort_unstable();
        prop_assert_eq!(&counting, &expected.counting, "counting grants");

        for (path, policy) in paths {
            let e = policy.evaluate_with_grants(&request);
            prop_assert_eq!(
                e.decision.is_allowed(),
                expected.allow,
                "{} path decided {:?}",
                path,
                e.decision
            );
            prop_assert_eq!(policy.evaluate(&request), e.decision, "{} path", path);
            prop_assert_eq!(e.grants.more(), 0, "{} path", path);
            let used: Vec<&str> = e.grants.ids().to_vec();
            for id in &used {
                let g = case
                    .grants
                    .iter()
                    .find(|g| g.id == *id)
                    .ok_or_else(|| TestCaseError::fail(format!("{path} path: unknown {id}")))?;
                if let Some(why) = why_not(g, &case) {
                    return Err(TestCaseError::fail(format!(
                        "{path} path: decision names {id}, which does not count: {why}"
                    )));
                }
            }
            prop_assert_eq!(
                used.as_slice(),
                expected.used.as_slice(),
                "{} path: grants used",
                path
            );
        }
        let slot = match (
            expected.allow,
            expected.used.is_some(),
            expected.counting.is_empty(),
        ) {
            (true, true, _) => 0,
            (true, false, _) => 1,
            (false, _, false) => 2,
            (false, _, true) => 3,
        };
        outcomes[slot].set(outcomes[slot].get() + 1);
        if expected.team_grants > 1 {
            several.set(several.get() + 1);
        }
        if expected.tie {
            ties.set(ties.get() + 1);
        }
        Ok(())
    });
    let elapsed = started.elapsed();
    if let Err(e) = result {
        panic!("{e}");
    }
    let outcomes = outcomes.map(Cell::into_inner);
    eprintln!(
        "{wanted} cases in {elapsed:?}: Allow by a grant {}, Allow by the own tag {}, Deny with a \
         counting grant {}, Deny without {}; several team grants counting {}, a tie on the \
         start {}",
        outcomes[0],
        outcomes[1],
        outcomes[2],
        outcomes[3],
        several.get(),
        ties.get()
    );
    let total: u32 = outcomes.iter().sum();
    assert!(total >= wanted, "only {total} cases ran");
    // The generator reaches every kind of outcome often enough to mean something.
    for (i, n) in outcomes.iter().enumerate() {
        assert!(
            *n >= wanted / 50,
            "outcome {i} only {n} times: {outcomes:?}"
        );
    }
    assert!(
        several.get() >= wanted / 50,
        "{} cases with several",
        several.get()
    );
    assert!(
        ties.get() >= wanted / 200,
        "{} cases with a tie",
        ties.get()
    );
}
