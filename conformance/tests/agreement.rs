//! Property test: the compiled path and the run-time path decide random requests against random
//! policy sets identically, deciding statement included (SPEC §9), and the explanation of each
//! decision arrives at the same decision.
//!
//! Random policies cannot be compiled at test time, so `build.rs` generates a fixed corpus of
//! random policy sets (`conformance::random::RANDOM`, from a fixed seed) and compiles it to Rust.
//! Here each set is also loaded on the run-time path from its JSON, and proptest draws requests
//! over the same small vocabulary (`build/vocab.rs`), partly derived from the set's own actions and
//! resources so that statements apply often. The run is deterministic: fixed RNG seed, no failure
//! persistence.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use conformance::random::{RANDOM, RANDOM_ALL};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use tagpolicy_compiler::cases::describe;
use tagpolicy_compiler::explain::explain;
use tagpolicy_compiler::ir::{Actions, Part, Pattern, PolicySet, Principals, Resources, Test};
use tagpolicy_compiler::json::Json;
use tagpolicy_compiler::{compile_policies, parse_json, RuntimePolicy, Source};
use tagpolicy_runtime::ip::IpAddr;
use tagpolicy_runtime::{Decision, Effect, Policy, Request, Timestamp, Value};

#[path = "../build/regressions.rs"]
mod regressions;
#[path = "../build/vocab.rs"]
mod vocab;

/// Policy-request pairs per run (`AGREEMENT_CASES` overrides it, for a longer search).
const CASES: u32 = 20_000;
/// The RNG seed of the request generator (`AGREEMENT_SEED` overrides it).
const SEED: u64 = 0x6167_7265_656d_656e;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// The corpus on the run-time path.

fn load(index: usize, text: &str) -> RuntimePolicy {
    let source = Source::new(format!("random[{index}]"), text.to_string());
    let json = parse_json(&source).unwrap_or_else(|e| panic!("random[{index}]: {e}"));
    let items = json.as_array().expect("a policy set is a JSON array");
    let inputs: Vec<(&Source, &Json)> = items.iter().map(|p| (&source, p)).collect();
    let compiled = compile_policies(&inputs).unwrap_or_else(|e| panic!("random[{index}]: {e}"));
    RuntimePolicy::new(compiled.ir)
}

/// [`RANDOM_ALL`] (every random policy in one set, compiled in the generator's compact form for
/// large sets) on the run-time path.
fn runtime_all() -> &'static RuntimePolicy {
    static POLICY: OnceLock<RuntimePolicy> = OnceLock::new();
    POLICY.get_or_init(|| load(usize::MAX, RANDOM_ALL.0))
}

/// Every set of [`RANDOM`], loaded once on the run-time path.
fn runtime_policies() -> &'static [RuntimePolicy] {
    static POLICIES: OnceLock<Vec<RuntimePolicy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        RANDOM
            .iter()
            .enumerate()
            .map(|(i, (text, _))| load(i, text))
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Requests.

/// A context value, owned.
#[derive(Clone, Debug)]
enum Val {
    Str(String),
    List(Vec<String>),
    Number(f64),
    Bool(bool),
    Time(i64),
    Ip(IpAddr),
}

/// A request, owned; [`Req::with`] lends it as a [`Request`].
#[derive(Clone, Debug)]
struct Req {
    action: String,
    resource: String,
    principal: Option<String>,
    context: Vec<(String, Val)>,
    principal_tags: Vec<(String, String)>,
    resource_tags: Vec<(String, String)>,
    request_tags: Vec<(String, String)>,
    time: Option<i64>,
}

impl Req {
    fn with<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let lists: Vec<Vec<&str>> = self
            .context
            .iter()
            .map(|(_, v)| match v {
                Val::List(l) => l.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        let context: Vec<(&str, Value<'_>)> = self
            .context
            .iter()
            .zip(&lists)
            .map(|((k, v), list)| {
                let value = match v {
                    Val::Str(s) => Value::Str(s),
                    Val::List(_) => Value::List(list),
                    Val::Number(n) => Value::Number(*n),
                    Val::Bool(b) => Value::Bool(*b),
                    Val::Time(ms) => Value::Time(Timestamp::from_millis(*ms)),
                    Val::Ip(ip) => Value::Ip(*ip),
                };
                (k.as_str(), value)
            })
            .collect();
        fn tags(t: &[(String, String)]) -> Vec<(&str, &str)> {
            t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
        }
        let (pt, rt, qt) = (
            tags(&self.principal_tags),
            tags(&self.resource_tags),
            tags(&self.request_tags),
        );
        let mut request = Request::new(&self.action, &self.resource)
            .with_context(&context)
            .with_principal_tags(&pt)
            .with_resource_tags(&rt)
            .with_request_tags(&qt);
        request.principal = self.principal.as_deref();
        request.time = self.time.map(Timestamp::from_millis);
        f(&request)
    }
}

/// Flips the case of the ASCII letters whose position is set in `mask` (bit `i % 64`).
fn flip_case(text: &str, mask: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask & (1 << (i % 64)) != 0 {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// Text in random case: mostly as given, sometimes all flipped, sometimes mixed.
fn cased(text: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (text, case_mask()).prop_map(|(t, m)| flip_case(&t, m))
}

/// A [`flip_case`] mask.
fn case_mask() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 1 => Just(u64::MAX), 2 => any::<u64>()]
}

fn pick(items: &'static [&'static str]) -> BoxedStrategy<String> {
    select(items).prop_map(String::from).boxed()
}

fn all_actions() -> Vec<String> {
    vocab::ACTIONS
        .iter()
        .flat_map(|(svc, names)| names.iter().map(move |n| format!("{svc}:{n}")))
        .collect()
}

/// Actions no policy names exactly, or that are not well formed.
const ODD_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "s3:GetObjectAcl",
    "s3",
    "s3:",
    ":",
    "",
    "*",
    "S3:Get*",
    "s3:Get?bject",
    " s3:GetObject",
    "ec2:StartInstances:extra",
    "dynamodb:GETITEM",
    "iam:GetUsér",
];

/// Resources of the ARN shape the policies use, with concrete components.
fn generic_resource() -> BoxedStrategy<String> {
    let services: Vec<&'static str> = vocab::RESOURCE_TYPES.iter().map(|(s, _)| *s).collect();
    (
        select(services),
        any::<prop::sample::Index>(),
        select(vocab::REGIONS),
        select(vocab::ACCOUNTS),
        pick(&[
            "alice",
            "bob",
            "Alice",
            "ops",
            "home/ops/x.txt",
            "home/alice/x.txt",
            "team-ops",
            "a*b",
            "axb",
            "q?",
            "qx",
            "$x",
            "${$}x",
            "i-0a1b",
            "obj1",
            "*",
            "",
            "alice-ops",
            "opsalice",
            "${aws:username}",
        ]),
    )
        .prop_map(|(svc, i, region, account, tail)| {
            let types = vocab::RESOURCE_TYPES
                .iter()
                .find(|(s, _)| *s == svc)
                .map_or(&[""][..], |(_, t)| *t);
            let rtype = i.get(types);
            if svc == "s3" {
                format!("arn:aws:s3:::{rtype}{tail}")
            } else {
                format!("arn:aws:{svc}:{region}:{account}:{rtype}{tail}")
            }
        })
        .boxed()
}

const ODD_RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:s3:::bucket-a/a*b",
    "arn:aws:s3:::*",
    "",
    "not-an-arn",
    "arn:aws:iam::111122223333:user/${aws:username}",
    "ARN:AWS:S3:::BUCKET-A/ALICE",
];

/// Strings of every shape: numbers, dates, addresses, ARNs, booleans in odd case, wildcards.
fn odd_string() -> BoxedStrategy<String> {
    prop_oneof![
        pick(vocab::USERS),
        pick(vocab::TAG_VALUES),
        pick(vocab::NUMBERS),
        pick(vocab::DATES),
        pick(vocab::IPS),
        pick(vocab::ARNS),
        pick(&[
            "*",
            "a*b",
            "al?ce",
            "?",
            "TRUE",
            "tRuE",
            "False",
            "yes",
            "1e3",
            " 10",
            "10 ",
            "+10",
            "",
            "é",
            "ALICE",
            "none",
            "2026-11-22T10:00:00",
            "10.0.0.256",
            "010.0.0.1",
            "arn:aws:s3:::bucket-a/*",
            "${aws:username}",
            "a:b:c:d:e:f",
            "QmluYXJ5",
            "YWJj",
        ]),
    ]
    .boxed()
}

fn timestamp(text: &str) -> i64 {
    Timestamp::parse(text)
        .unwrap_or_else(|| panic!("{text} is a date"))
        .millis()
}

/// A typed value.
fn typed() -> BoxedStrategy<Val> {
    let ips: Vec<IpAddr> = vocab::IPS
        .iter()
        .map(|s| s.parse().expect("an address"))
        .collect();
    let times: Vec<i64> = vocab::DATES.iter().map(|d| timestamp(d)).collect();
    prop_oneof![
        select(vec![
            0.0,
            10.0,
            2.5,
            -1.0,
            100.0,
            1000.0,
            1_795_341_600.0,
            1_767_225_600.5,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            1e300,
        ])
        .prop_map(Val::Number),
        any::<bool>().prop_map(Val::Bool),
        select(ips).prop_map(Val::Ip),
        prop_oneof![
            select(times).prop_map(Val::Time),
            (1_700_000_000_000i64..1_900_000_000_000).prop_map(Val::Time),
        ],
    ]
    .boxed()
}

/// The value of a context key: mostly of the key's kind, sometimes anything.
fn value_for(key: &'static str) -> BoxedStrategy<Val> {
    let natural: BoxedStrategy<String> = match key {
        "aws:username" => prop_oneof![Just("alice".to_string()), pick(vocab::USERS)].boxed(),
        "aws:TagKeys" => pick(vocab::TAG_KEYS),
        "aws:SourceIp" => pick(vocab::IPS),
        "aws:CurrentTime" => pick(vocab::DATES),
        "aws:EpochTime" => pick(&["1795341600", "1767225600", "1800000000", "0", "-1"]),
        "s3:max-keys" => pick(vocab::NUMBERS),
        "aws:SecureTransport" | "aws:MultiFactorAuthPresent" => {
            pick(&["true", "false", "TRUE", "False", "yes", "1"])
        }
        "aws:SourceArn" => {
            prop_oneof![3 => pick(vocab::ARNS), 1 => pick(&["arn:aws:s3", "bucket-a"])].boxed()
        }
        _ => pick(vocab::TAG_VALUES),
    };
    let list_items = if key == "aws:TagKeys" {
        pick(vocab::TAG_KEYS)
    } else {
        prop_oneof![natural.clone(), odd_string()].boxed()
    };
    let list_weight = if key == "aws:TagKeys" { 6 } else { 1 };
    prop_oneof![
        6 => natural.prop_map(Val::Str),
        2 => odd_string().prop_map(Val::Str),
        list_weight => prop::collection::vec(list_items, 0..4).prop_map(Val::List),
        1 => typed(),
    ]
    .boxed()
}

/// A context entry: a vocabulary key (or another key) in random case, with a value.
fn context_entry() -> BoxedStrategy<(String, Val)> {
    let keys: Vec<&'static str> = vocab::KEYS
        .iter()
        .copied()
        .chain(vocab::EDGE_KEYS.iter().copied())
        .chain(["aws:Referer", "aws:ResourceTag/cost"])
        .collect();
    select(keys)
        .prop_flat_map(|key| (cased(Just(key.to_string())), value_for(key)))
        .boxed()
}

fn tag_set(keys: &'static [&'static str]) -> BoxedStrategy<Vec<(String, String)>> {
    let value = prop_oneof![
        1 => pick(&["ops", "alice"]),
        2 => pick(vocab::TAG_VALUES),
    ];
    prop::collection::vec((cased(pick(keys)), value), 0..4).boxed()
}

/// Concrete actions and resources derived from one policy set's patterns, so that random
/// requests reach its statements (and its NotAction/NotResource exclusions).
struct Hints {
    /// (action, resource) pairs, each within reach of one statement.
    targets: Vec<(String, String)>,
    /// Condition keys as written, with values their conditions compare with.
    context: Vec<(String, String)>,
}

/// What a `*` of a pattern becomes, by variant.
const STAR: &[&str] = &["", "Object", "alice", "home/ops/x.txt", "a:b/c"];
/// What a `?` of a pattern becomes, by variant.
const ANY_CHAR: &[char] = &['x', 'e', '?', 'é', 'O'];

fn instantiate_glob(g: &str, variant: usize) -> String {
    let mut out = String::new();
    for c in g.chars() {
        match c {
            '*' => out.push_str(STAR[variant % STAR.len()]),
            '?' => out.push(ANY_CHAR[variant % ANY_CHAR.len()]),
            c => out.push(c),
        }
    }
    out
}

/// A value a request may well give the variable's key.
fn variable_value(ir: &PolicySet, slot: u16, default: Option<&str>, variant: usize) -> String {
    let name = ir
        .keys
        .get(usize::from(slot))
        .map_or("", |k| k.name.as_str());
    let pool: &[&str] = match name {
        "aws:username" => &["alice", "alice", "bob", "a*b"],
        n if n.contains("tag/") => &["ops", "ops", "alice", "dev"],
        _ => &["10.1.2.3", "true", "x"],
    };
    match (default, variant % 4) {
        (Some(d), 3) => d.to_string(),
        _ => pool[variant % pool.len()].to_string(),
    }
}

fn hints_of(ir: &PolicySet) -> Hints {
    let mut targets = Vec::new();
    for st in &ir.statements {
        let mut actions = Vec::new();
        match &st.actions {
            Actions::Patterns(p) | Actions::Not(p) => {
                for pattern in p {
                    for variant in 0..3 {
                        actions.push(instantiate_glob(pattern, variant));
                    }
                }
            }
            Actions::Any => actions.extend(all_actions().into_iter().step_by(3)),
        }
        let mut resources = Vec::new();
        match &st.resources {
            Resources::Patterns(p) | Resources::Not(p) => {
                for pattern in p {
                    for variant in 0..4 {
                        resources.push(match pattern {
                            Pattern::Glob(g) => instantiate_glob(g, variant),
                            Pattern::Template(parts) => template_text(ir, parts, variant),
                        });
                    }
                }
            }
            Resources::Any => resources.extend(
                [
                    "*",
                    "arn:aws:s3:::bucket-a/alice",
                    "arn:aws:iam::111122223333:user/alice",
                ]
                .map(String::from),
            ),
        }
        for k in 0..actions.len().max(resources.len()) {
            targets.push((
                actions[k % actions.len()].clone(),
                resources[k % resources.len()].clone(),
            ));
        }
    }
    let mut context = Vec::new();
    for c in ir.statements.iter().flat_map(|s| &s.conditions) {
        let mut values: Vec<String> = Vec::new();
        match &c.test {
            Test::Equals {
                constants,
                templates,
                ..
            } => {
                values.extend(constants.iter().cloned());
                for (variant, parts) in templates.iter().enumerate() {
                    values.push(template_text(ir, parts, variant));
                }
            }
            Test::Like(patterns) => {
                for (variant, p) in patterns.iter().enumerate() {
                    values.push(match p {
                        Pattern::Glob(g) => instantiate_glob(g, variant),
                        Pattern::Template(parts) => template_text(ir, parts, variant),
                    });
                }
            }
            Test::Arn(patterns) => {
                for (variant, parts) in patterns.iter().enumerate() {
                    values.push(template_text(ir, parts, variant));
                }
            }
            Test::Number(_, ns) => values.extend(ns.iter().map(|n| n.to_string())),
            Test::Date(_, ts) => {
                let mut buf = [0u8; 32];
                values.extend(ts.iter().map(|t| t.write_rfc3339(&mut buf).to_string()));
            }
            Test::Bool(bs) => values.extend(bs.iter().map(|b| b.to_string())),
            Test::Binary(bs) => values.extend(bs.iter().cloned()),
            Test::Ip(blocks) => values.extend(blocks.iter().map(|b| {
                if b.is_v6() {
                    std::net::Ipv6Addr::from(b.bits()).to_string()
                } else {
                    std::net::Ipv4Addr::from(b.bits() as u32).to_string()
                }
            })),
            Test::Null { .. } => values.push("x".to_string()),
        }
        context.extend(values.into_iter().map(|v| (c.key.clone(), v)));
    }
    targets.sort();
    targets.dedup();
    context.sort();
    context.dedup();
    if context.is_empty() {
        context.push(("aws:username".to_string(), "alice".to_string()));
    }
    Hints { targets, context }
}

/// A template of a pattern or value with its wildcards and variables instantiated.
fn template_text(ir: &PolicySet, parts: &[Part], variant: usize) -> String {
    parts
        .iter()
        .map(|part| match part {
            Part::Text(t) => t.clone(),
            Part::Star => STAR[variant % STAR.len()].to_string(),
            Part::AnyChar => ANY_CHAR[variant % ANY_CHAR.len()].to_string(),
            Part::Var(v) => variable_value(ir, v.slot, v.default.as_deref(), variant),
        })
        .collect()
}

fn hints() -> &'static [Hints] {
    static HINTS: OnceLock<Vec<Hints>> = OnceLock::new();
    HINTS.get_or_init(|| {
        runtime_policies()
            .iter()
            .map(|p| hints_of(p.ir()))
            .collect()
    })
}

/// Context entries: mostly keys and values of the set's own conditions, else any vocabulary key;
/// often `aws:username` = `alice` first (the user most variables and values name).
fn context_for(h: &'static Hints) -> BoxedStrategy<Vec<(String, Val)>> {
    let from_conditions = (
        select(h.context.clone()),
        case_mask(),
        prop::bool::weighted(0.2),
    )
        .prop_map(|((key, value), mask, list)| {
            let value = if list {
                Val::List(vec![value])
            } else {
                Val::Str(value)
            };
            (flip_case(&key, mask), value)
        });
    let entries = prop::collection::vec(
        prop_oneof![5 => from_conditions, 3 => context_entry()],
        0..8,
    );
    let user = prop::option::weighted(0.5, cased(Just("aws:username".to_string())));
    (user, entries)
        .prop_map(|(user, mut entries)| {
            if let Some(key) = user {
                entries.insert(0, (key, Val::Str("alice".to_string())));
            }
            entries
        })
        .boxed()
}

fn request_for(h: &'static Hints) -> BoxedStrategy<Req> {
    let action = prop_oneof![
        3 => cased(select(all_actions())),
        1 => pick(ODD_ACTIONS),
    ];
    let resource = prop_oneof![
        3 => generic_resource(),
        1 => pick(ODD_RESOURCES),
    ];
    // Mostly an action and a resource within reach of one statement of the set.
    let target = prop_oneof![
        6 => (select(h.targets.clone()), case_mask())
            .prop_map(|((a, r), mask)| (flip_case(&a, mask), r)),
        3 => (action, resource),
    ];
    let principal = prop::option::weighted(0.5, prop_oneof![pick(vocab::USERS), pick(vocab::ARNS)]);
    let times: Vec<i64> = vocab::DATES.iter().map(|d| timestamp(d)).collect();
    let time = prop::option::weighted(
        0.6,
        prop_oneof![select(times), 1_700_000_000_000i64..1_900_000_000_000],
    );
    (
        target,
        principal,
        context_for(h),
        // Tag sets, including tags with an empty key.
        tag_set(&["team", "role", "Team", "ROLE", "other", ""]),
        tag_set(&["owner", "team", "env", "Owner", "ENV", "cost", "", "team/x"]),
        tag_set(&["owner", "env", "Env", "cost", ""]),
        time,
    )
        .prop_map(
            |((action, resource), principal, context, pt, rt, qt, time)| Req {
                action,
                resource,
                principal,
                context,
                principal_tags: pt,
                resource_tags: rt,
                request_tags: qt,
                time,
            },
        )
        .boxed()
}

/// A policy set of the corpus (by index) and a request for it.
fn case() -> impl Strategy<Value = (usize, Req)> {
    (0..RANDOM.len()).prop_flat_map(|i| (Just(i), request_for(&hints()[i])))
}

#[test]
fn compiled_equals_runtime_on_random_policies_and_requests() {
    let policies = runtime_policies();
    assert_eq!(policies.len(), RANDOM.len());
    let config = Config {
        cases: env_or("AGREEMENT_CASES", CASES),
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(env_or("AGREEMENT_SEED", SEED)),
        max_shrink_iters: 20_000,
        ..Config::default()
    };
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    // Allow, explicit Deny, implicit Deny: the requests must reach statements, not only miss them.
    let outcomes = [Cell::new(0u32), Cell::new(0u32), Cell::new(0u32)];
    let result = runner.run(&case(), |(i, req)| {
        let (text, compiled) = &RANDOM[i];
        let runtime = &policies[i];
        let (a, b, explained) = req.with(|r| {
            (
                runtime.evaluate(r),
                compiled.evaluate(r),
                explain(runtime, r, None).decision,
            )
        });
        // The same request against every random policy at once (the large-set code form).
        let (all_a, all_b) = req.with(|r| (runtime_all().evaluate(r), RANDOM_ALL.1.evaluate(r)));
        prop_assert_eq!(
            all_a,
            all_b,
            "paths disagree on the union of all sets: run-time {}, compiled {}\nrequest: {:#?}",
            describe(&all_a),
            describe(&all_b),
            req
        );
        let slot = match a {
            Decision::Allow(_) => 0,
            Decision::Deny(_) => 1,
            Decision::ImplicitDeny => 2,
        };
        outcomes[slot].set(outcomes[slot].get() + 1);
        prop_assert_eq!(
            a,
            b,
            "paths disagree on policy set {}: run-time {}, compiled {}\npolicies: {}\nrequest: {:#?}",
            i,
            describe(&a),
            describe(&b),
            text,
            req
        );
        // The explanation walks the same IR over every statement: it must arrive at the same
        // decision and deciding statement.
        prop_assert!(
            explained.agrees_with(&a),
            "explanation {:?} disagrees with evaluation {} on policy set {}\npolicies: {}\nrequest: {:#?}",
            explained,
            describe(&a),
            i,
            text,
            req
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let [allow, deny, implicit] = outcomes.map(Cell::into_inner);
    println!("{allow} Allow, {deny} explicit Deny, {implicit} implicit Deny");
    let total = allow + deny + implicit;
    assert!(total >= cases, "only {total} pairs evaluated");
    // Each outcome is common (about 18% Allow, 12% explicit Deny with the fixed seeds), so
    // statements and conditions are really exercised.
    for (what, n) in [
        ("Allow", allow),
        ("explicit Deny", deny),
        ("implicit Deny", implicit),
    ] {
        assert!(
            n * 20 >= total,
            "{what} decided only {n} of {total} pairs: the requests miss the policies"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Disagreements found so far, replayed with their minimal requests.

fn bare_request(action: &str) -> Req {
    Req {
        action: action.to_string(),
        resource: "*".to_string(),
        principal: None,
        context: Vec::new(),
        principal_tags: Vec::new(),
        resource_tags: Vec::new(),
        request_tags: Vec::new(),
        time: None,
    }
}

#[test]
fn regressions_decide_as_intended_on_both_paths() {
    let empty_key = || vec![(String::new(), "ops".to_string())];
    let cases = [
        (
            regressions::EMPTY_TAG_KEY,
            Req {
                principal_tags: empty_key(),
                ..bare_request("s3:GetObject")
            },
            Decision::ImplicitDeny,
        ),
        (
            regressions::EMPTY_TAG_KEY,
            Req {
                resource_tags: empty_key(),
                ..bare_request("s3:PutObject")
            },
            Decision::ImplicitDeny,
        ),
        (
            regressions::EMPTY_TAG_KEY,
            Req {
                request_tags: empty_key(),
                ..bare_request("s3:DeleteObject")
            },
            Decision::ImplicitDeny,
        ),
    ];
    for set in regressions::ALL {
        assert!(
            RANDOM.iter().any(|(text, _)| text == set),
            "regression set missing from the corpus: {set}"
        );
    }
    let mut failures = Vec::new();
    for (set, req, expected) in cases {
        let i = RANDOM
            .iter()
            .position(|(text, _)| *text == set)
            .expect("every regression set opens the corpus");
        let (runtime, compiled) =
            req.with(|r| (runtime_policies()[i].evaluate(r), RANDOM[i].1.evaluate(r)));
        if runtime != expected || compiled != expected {
            failures.push(format!(
                "expected {}; run-time {}, compiled {}\npolicies: {set}\nrequest: {req:?}",
                describe(&expected),
                describe(&runtime),
                describe(&compiled)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// The corpus is big and varied.

/// The operator name without qualifier and `IfExists`.
fn base_operator(op: &str) -> &str {
    let op = op
        .strip_prefix("ForAllValues:")
        .or_else(|| op.strip_prefix("ForAnyValue:"))
        .unwrap_or(op);
    op.strip_suffix("IfExists").unwrap_or(op)
}

fn strings(j: Option<&Json>) -> Vec<&str> {
    match j {
        Some(j) => match j.as_array() {
            Some(items) => items.iter().filter_map(Json::as_str).collect(),
            None => j.as_str().into_iter().collect(),
        },
        None => Vec::new(),
    }
}

#[test]
fn random_corpus_is_big_and_varied() {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bump = |what: &'static str, by: usize| *n.entry(what).or_default() += by;
    let mut operators: BTreeMap<String, usize> = BTreeMap::new();
    for ((text, compiled), runtime) in RANDOM.iter().zip(runtime_policies()) {
        let ir = runtime.ir();
        assert_eq!(compiled.statement_count(), ir.statements.len());
        bump("sets", 1);
        bump("policies", ir.policies.len());
        bump("statements", ir.statements.len());
        bump("keys>8", usize::from(ir.keys.len() > 8));
        bump("keys>256", usize::from(ir.keys.len() > 256));
        bump("exact actions>8", usize::from(ir.index.exact.len() > 8));
        let effects: Vec<Effect> = ir.statements.iter().map(|s| s.effect).collect();
        bump(
            "sets with Allow and Deny",
            usize::from(effects.contains(&Effect::Allow) && effects.contains(&Effect::Deny)),
        );
        for st in &ir.statements {
            bump("Deny", usize::from(st.effect == Effect::Deny));
            match &st.actions {
                Actions::Any => bump("Action *", 1),
                Actions::Not(_) => bump("NotAction", 1),
                Actions::Patterns(_) => {}
            }
            match &st.resources {
                Resources::Any => bump("Resource *", 1),
                Resources::Not(_) => bump("NotResource", 1),
                Resources::Patterns(_) => {}
            }
            if let Resources::Patterns(p) | Resources::Not(p) = &st.resources {
                for pattern in p {
                    if let Pattern::Template(parts) = pattern {
                        if parts.iter().any(|x| matches!(x, Part::Var(_))) {
                            bump("resource variables", 1);
                        }
                    }
                }
            }
            bump(
                "Principal/NotPrincipal",
                usize::from(st.principals != Principals::Any),
            );
            for c in &st.conditions {
                bump("conditions", 1);
                *operators
                    .entry(base_operator(&c.operator).to_string())
                    .or_default() += 1;
                bump("IfExists", usize::from(c.operator.ends_with("IfExists")));
                bump(
                    "ForAllValues:",
                    usize::from(c.operator.starts_with("ForAllValues:")),
                );
                bump(
                    "ForAnyValue:",
                    usize::from(c.operator.starts_with("ForAnyValue:")),
                );
                bump("condition variables", usize::from(!c.vars.is_empty()));
                bump(
                    "variable defaults",
                    usize::from(c.vars.iter().any(|v| v.default.is_some())),
                );
                bump(
                    "key not in its usual case",
                    usize::from(!vocab::KEYS.contains(&c.key.as_str())),
                );
                match &c.test {
                    Test::Equals {
                        ignore_case: false,
                        constants,
                        ..
                    } if constants.len() > 8 => bump("StringEquals with > 8 constants", 1),
                    Test::Ip(blocks) => {
                        bump("IPv6 blocks", blocks.iter().filter(|b| b.is_v6()).count());
                        bump("IPv4 blocks", blocks.iter().filter(|b| !b.is_v6()).count());
                    }
                    _ => {}
                }
            }
        }
        // As written: versions, action spellings, escapes.
        let source = Source::new("corpus", text.to_string());
        let json = parse_json(&source).expect("JSON");
        for policy in json.as_array().expect("array") {
            match policy.get("Version").and_then(Json::as_str) {
                Some("2012-10-17") => bump("Version 2012-10-17", 1),
                Some("2008-10-17") => bump("Version 2008-10-17", 1),
                _ => bump("no Version", 1),
            }
            let statements = match policy.get("Statement") {
                Some(s) if s.as_array().is_some() => s.as_array().unwrap_or(&[]).iter().collect(),
                Some(s) => vec![s],
                None => Vec::new(),
            };
            for st in statements {
                let mut actions = strings(st.get("Action"));
                actions.extend(strings(st.get("NotAction")));
                for a in actions {
                    let (svc, name) = a.split_once(':').unwrap_or((a, ""));
                    bump("action ?", usize::from(a.contains('?')));
                    bump("action svc:*", usize::from(name == "*"));
                    bump(
                        "action prefix*",
                        usize::from(name.len() > 1 && name.contains('*')),
                    );
                    bump(
                        "action mixed case",
                        usize::from(
                            svc.bytes().any(|b| b.is_ascii_uppercase())
                                || (name.bytes().any(|b| b.is_ascii_alphabetic())
                                    && !name.bytes().any(|b| b.is_ascii_uppercase())),
                        ),
                    );
                    bump("exact action", usize::from(!a.contains(['*', '?'])));
                }
            }
        }
        bump("${*}", text.matches("${*}").count());
        bump("${?}", text.matches("${?}").count());
        bump("${$}", text.matches("${$}").count());
    }
    let report = format!("{n:#?}\n{operators:#?}");
    println!("{report}");
    let at_least = |what: &str, min: usize| {
        let got = n.get(what).copied().unwrap_or(0);
        assert!(got >= min, "{what}: {got} < {min}\n{report}");
    };
    at_least("sets", 300);
    at_least("policies", 600);
    at_least("statements", 1_500);
    at_least("conditions", 2_000);
    at_least("Deny", 400);
    at_least("sets with Allow and Deny", 150);
    at_least("NotAction", 150);
    at_least("NotResource", 100);
    at_least("Action *", 30);
    at_least("Resource *", 50);
    at_least("Principal/NotPrincipal", 50);
    at_least("action ?", 100);
    at_least("action svc:*", 100);
    at_least("action prefix*", 100);
    at_least("action mixed case", 300);
    at_least("exact action", 500);
    at_least("exact actions>8", 1);
    at_least("keys>8", 50);
    at_least("keys>256", 1);
    at_least("Version 2012-10-17", 300);
    at_least("Version 2008-10-17", 60);
    at_least("no Version", 60);
    at_least("resource variables", 300);
    at_least("condition variables", 200);
    at_least("variable defaults", 50);
    at_least("${*}", 50);
    at_least("${?}", 50);
    at_least("${$}", 50);
    at_least("IfExists", 200);
    at_least("ForAllValues:", 150);
    at_least("ForAnyValue:", 150);
    at_least("key not in its usual case", 500);
    at_least("StringEquals with > 8 constants", 20);
    at_least("IPv6 blocks", 50);
    at_least("IPv4 blocks", 50);
    // Every operator of every family.
    let all = [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    ];
    for op in all {
        let got = operators.get(op).copied().unwrap_or(0);
        assert!(got >= 10, "operator {op}: {got} conditions < 10\n{report}");
    }
}
