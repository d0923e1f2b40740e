//! Property test: the compiled path and the run-time path of JSON Logic compute the same result for
//! random rules on random data — the same value, or both fail.
//!
//! Rules cannot be compiled at test time, so `build.rs` generates a fixed corpus of random rules
//! (`conformance::random_logic::RANDOM_RULES`, from a fixed seed, over every supported operator)
//! and compiles each to a rule function. Here each rule is also read and lowered for the run-time
//! evaluator, and proptest draws data over the same small vocabulary (`build/logic_vocab.rs`) so
//! that the rules' paths find values. Both paths get fresh scratch space of the same size, usually
//! ample, sometimes tiny; after a success they run again with exactly the space the run-time path
//! used and with one value, byte or object member less, so they must use the same scratch budget
//! and fail at the same point. The run is deterministic: fixed RNG seed, no failure persistence.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use conformance::random_logic::RANDOM_RULES;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use tagpolicy_compiler::diag::Diagnostics;
use tagpolicy_compiler::json::{Json, JsonKind};
use tagpolicy_compiler::logic::read_rule;
use tagpolicy_compiler::perm_eval::{eval, Data};
use tagpolicy_compiler::perm_ir::{lower_rule, Expr};
use tagpolicy_compiler::values::{describe_val, json_to_val};
use tagpolicy_compiler::{parse_json, Errors, Source};
use tagpolicy_runtime::jsonlogic::Val;
use tagpolicy_runtime::scratch::{Scratch, CONDITION_BYTES, CONDITION_MEMBERS, CONDITION_VALS};

#[path = "../build/logic_vocab.rs"]
mod logic_vocab;

use logic_vocab::{DATA_ONLY_KEYS, KEYS, NUMBERS, STRINGS};

/// Rule-data pairs per run (`LOGIC_AGREEMENT_CASES` overrides it, for a longer search).
const CASES: u32 = 12_000;
/// The RNG seed of the data generator (`LOGIC_AGREEMENT_SEED` overrides it).
const SEED: u64 = 0x6c6f_6769_6364_6174;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// The corpus on the run-time path.

fn read(index: usize, text: &str) -> Expr {
    let source = Source::new(format!("random_logic[{index}]"), text.to_string());
    let json = parse_json(&source).unwrap_or_else(|e| panic!("random_logic[{index}]: {e}"));
    let mut diags = Diagnostics::new(&source);
    match read_rule(&json, &mut diags) {
        Some(rule) if !diags.has_errors() => lower_rule(&rule),
        _ => panic!(
            "random_logic[{index}] does not read:\n{}\n{text}",
            Errors(diags.into_vec())
        ),
    }
}

/// Rule `index` of [`RANDOM_RULES`], read and lowered once.
fn runtime_rule(index: usize) -> &'static Expr {
    static RULES: OnceLock<Vec<OnceLock<Expr>>> = OnceLock::new();
    let rules = RULES.get_or_init(|| RANDOM_RULES.iter().map(|_| OnceLock::new()).collect());
    rules[index].get_or_init(|| read(index, RANDOM_RULES[index].0))
}

// ---------------------------------------------------------------------------------------------
// Data.

/// A JSON value, owned, written as JSON text in member order.
#[derive(Clone, Debug)]
enum D {
    Null,
    Bool(bool),
    /// A number, as written.
    Num(String),
    Str(String),
    Arr(Vec<D>),
    Obj(Vec<(String, D)>),
}

fn write_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl D {
    fn write(&self, out: &mut String) {
        match self {
            D::Null => out.push_str("null"),
            D::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            D::Num(n) => out.push_str(n),
            D::Str(s) => write_str(out, s),
            D::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            D::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// An object without duplicate keys (the JSON reader rejects them): the first of each is kept.
fn object(members: Vec<(String, D)>) -> D {
    let mut seen = std::collections::BTreeSet::new();
    D::Obj(
        members
            .into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect(),
    )
}

/// Numbers: the vocabulary's (0, -0, fractions, large), small integers, random fractions and
/// large integers.
fn number() -> BoxedStrategy<D> {
    prop_oneof![
        4 => select(NUMBERS).prop_map(|n| D::Num(n.to_string())),
        3 => (-3i32..=10).prop_map(|n| D::Num(n.to_string())),
        1 => (-1e4f64..1e4).prop_map(|x| D::Num(format!("{x:?}"))),
        1 => any::<i64>().prop_map(|n| D::Num(n.to_string())),
    ]
    .boxed()
}

/// Strings: the vocabulary's (empty, numeric, with dots, non-ASCII), keys, and random short ones.
fn string() -> BoxedStrategy<D> {
    prop_oneof![
        5 => select(STRINGS).prop_map(|s| D::Str(s.to_string())),
        2 => select(KEYS).prop_map(|s| D::Str(s.to_string())),
        2 => "[ab01.-]{0,4}".prop_map(D::Str),
    ]
    .boxed()
}

fn scalar() -> BoxedStrategy<D> {
    prop_oneof![
        1 => Just(D::Null),
        1 => any::<bool>().prop_map(D::Bool),
        3 => number(),
        3 => string(),
    ]
    .boxed()
}

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        8 => select(KEYS).prop_map(str::to_string),
        1 => select(DATA_ONLY_KEYS).prop_map(str::to_string),
    ]
    .boxed()
}

/// Any value: scalars, arrays (empty and nested) and objects over the vocabulary's keys.
fn value() -> BoxedStrategy<D> {
    scalar()
        .prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                2 => prop::collection::vec(inner.clone(), 0..5).prop_map(D::Arr),
                2 => prop::collection::vec((key(), inner), 0..5).prop_map(object),
            ]
        })
        .boxed()
}

/// An array element: scalars, small objects and arrays, for the iterators.
fn element() -> BoxedStrategy<D> {
    prop_oneof![
        4 => scalar(),
        2 => prop::collection::vec((key(), value()), 0..4).prop_map(object),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(D::Arr),
    ]
    .boxed()
}

fn list() -> BoxedStrategy<D> {
    prop::collection::vec(element(), 0..6)
        .prop_map(D::Arr)
        .boxed()
}

/// The value of a top-level key: `list` is mostly an array, `s` a string, `n` a number, `obj` an
/// object (the generator's paths index them so).
fn value_for(name: &str) -> BoxedStrategy<D> {
    match name {
        "list" => prop_oneof![4 => list(), 1 => value()].boxed(),
        "s" => prop_oneof![4 => string(), 1 => value()].boxed(),
        "n" => prop_oneof![4 => number(), 1 => value()].boxed(),
        "obj" => prop_oneof![
            4 => prop::collection::vec((key(), value()), 0..6).prop_map(object),
            1 => value()
        ]
        .boxed(),
        _ => prop_oneof![2 => value(), 1 => list()].boxed(),
    }
}

/// The data: mostly an object holding each key with probability 3/4, sometimes any value or an
/// array (read by index paths).
fn data() -> BoxedStrategy<D> {
    let members: Vec<BoxedStrategy<Option<(String, D)>>> = KEYS
        .iter()
        .chain(DATA_ONLY_KEYS)
        .map(|k| {
            let k = k.to_string();
            let present = if DATA_ONLY_KEYS.contains(&k.as_str()) {
                0.2
            } else {
                0.75
            };
            prop::option::weighted(present, value_for(&k).prop_map(move |v| (k.clone(), v))).boxed()
        })
        .collect();
    let root = (members, any::<bool>()).prop_map(|(m, reverse)| {
        let mut m: Vec<(String, D)> = m.into_iter().flatten().collect();
        if reverse {
            m.reverse();
        }
        D::Obj(m)
    });
    prop_oneof![
        8 => root,
        1 => value(),
        1 => list(),
    ]
    .boxed()
}

/// Scratch space (values, bytes, object members): usually ample, sometimes what a permission
/// condition gets, sometimes tiny so that allocations fail.
fn scratch_size() -> BoxedStrategy<(usize, usize, usize)> {
    prop_oneof![
        7 => Just((1024, 16 * 1024, 64)),
        1 => Just((CONDITION_VALS, CONDITION_BYTES, CONDITION_MEMBERS)),
        2 => (0usize..24, 0usize..96, 0usize..4),
    ]
    .boxed()
}

fn case() -> impl Strategy<Value = (usize, D, (usize, usize, usize))> {
    (0..RANDOM_RULES.len(), data(), scratch_size())
}

// ---------------------------------------------------------------------------------------------
// Comparing results.

/// Structural equality: same types, numbers bit for bit (NaN equal to NaN, `-0` not equal to
/// `0`), strings, arrays element by element, objects member by member in order.
fn same(a: Val<'_>, b: Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Obj(x), Val::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(*vx, *vy))
        }
        (x, y) if x.is_array() && y.is_array() => {
            x.len() == y.len()
                && (0..x.len().unwrap_or(0)).all(|i| match (x.index(i), y.index(i)) {
                    (Some(p), Some(q)) => same(p, q),
                    _ => false,
                })
        }
        _ => false,
    }
}

fn describe(v: Option<Val<'_>>) -> String {
    v.map_or_else(|| "an evaluation failure".to_string(), describe_val)
}

/// The kind of a result, for the statistics.
fn kind(v: Option<Val<'_>>) -> usize {
    match v {
        None => 0,
        Some(Val::Null) => 1,
        Some(Val::Bool(_)) => 2,
        Some(Val::Num(_)) => 3,
        Some(Val::Str(_)) => 4,
        Some(Val::Arr(_) | Val::Strs(_)) => 5,
        Some(Val::Obj(_)) => 6,
    }
}

const KINDS: [&str; 7] = [
    "failure", "null", "boolean", "number", "string", "array", "object",
];

/// Scratch space: (values, bytes, object members).
type Size = (usize, usize, usize);

/// What one run of both paths showed: the kind of their common result, and for a run-time
/// success the values and bytes of scratch space it used.
struct Run {
    kind: usize,
    used: Option<(usize, usize)>,
}

/// Runs `rule` (the compiled function) and `expr` (the same rule lowered) on `data`, each with
/// fresh scratch space of `size`; `Err` with the two results when they disagree.
fn run_both(
    expr: &Expr,
    rule: conformance::random_logic::Rule,
    data: Val<'_>,
    size: Size,
) -> Result<Run, String> {
    let (n_vals, n_bytes, n_members) = size;
    let mut vals_a = vec![Val::Null; n_vals];
    let mut bytes_a = vec![0u8; n_bytes];
    let mut members_a = vec![("", Val::Null); n_members];
    let mut vals_b = vals_a.clone();
    let mut bytes_b = bytes_a.clone();
    let mut members_b = members_a.clone();
    let (agree, kind, vals_used, report) = {
        let mut scratch_a = Scratch::new(&mut vals_a, &mut bytes_a).with_members(&mut members_a);
        let mut scratch_b = Scratch::new(&mut vals_b, &mut bytes_b).with_members(&mut members_b);
        let runtime = eval(expr, Data::Value(data), &mut scratch_a);
        let generated = rule(data, &mut scratch_b);
        let agree = match (runtime, generated) {
            (None, None) => true,
            (Some(a), Some(b)) => same(a, b) && describe_val(a) == describe_val(b),
            _ => false,
        };
        let vals_used = runtime.map(|_| n_vals - scratch_a.vals_left());
        let report = format!(
            "run-time {}, compiled {}",
            describe(runtime),
            describe(generated)
        );
        (agree, kind(runtime), vals_used, report)
    };
    if !agree {
        return Err(report);
    }
    // Strings are written from the start of the byte buffer and never contain NUL.
    let bytes_used = bytes_a.iter().rposition(|b| *b != 0).map_or(0, |p| p + 1);
    Ok(Run {
        kind,
        used: vals_used.map(|v| (v, bytes_used)),
    })
}

/// Runs rule `index` on `data` on both paths with scratch space of `size`, and, when that
/// succeeds, with exactly the scratch space the run-time path needs and with one value, byte or
/// member less (where both must fail at the same point); `Err` with a report when they disagree,
/// else the kind of the common result.
fn check(index: usize, data: &D, size: Size) -> Result<usize, String> {
    let (text, rule) = RANDOM_RULES[index];
    let expr = runtime_rule(index);
    let data_text = data.text();
    let source = Source::new("data", data_text.clone());
    let json = parse_json(&source).map_err(|e| format!("data is not JSON: {e}\n{data_text}"))?;
    let bump = bumpalo::Bump::new();
    let value = json_to_val(&json, &bump);
    let fail = |size: Size, report: String| {
        format!(
            "paths disagree on random rule {index}: {report}\n\
             rule: {text}\ndata: {data_text}\nscratch (values, bytes, members): {size:?}"
        )
    };
    let run = |size: Size| run_both(expr, rule, value, size).map_err(|r| fail(size, r));
    let first = run(size)?;
    if let Some((vals, bytes)) = first.used {
        // The fewest members with which the run-time path succeeds given those values and bytes.
        let mut members = 0;
        while run((vals, bytes, members))?.used.is_none() {
            if members >= size.2 {
                return Err(fail(
                    (vals, bytes, members),
                    "the run-time path fails with the space it used".to_string(),
                ));
            }
            members += 1;
        }
        if vals > 0 {
            run((vals - 1, bytes, members))?;
        }
        if bytes > 0 {
            run((vals, bytes - 1, members))?;
        }
    }
    Ok(first.kind)
}

#[test]
fn compiled_equals_runtime_on_random_rules_and_data() {
    let config = Config {
        cases: env_or("LOGIC_AGREEMENT_CASES", CASES),
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(env_or("LOGIC_AGREEMENT_SEED", SEED)),
        max_shrink_iters: 20_000,
        ..Config::default()
    };
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let kinds: [Cell<u32>; 7] = Default::default();
    let result = runner.run(&case(), |(index, data, size)| {
        match check(index, &data, size) {
            Ok(k) => kinds[k].set(kinds[k].get() + 1),
            Err(report) => return Err(TestCaseError::fail(report)),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let kinds = kinds.map(Cell::into_inner);
    let report: Vec<String> = KINDS
        .iter()
        .zip(kinds)
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    println!("results: {}", report.join(", "));
    let total: u32 = kinds.iter().sum();
    assert!(total >= cases, "only {total} pairs evaluated");
    // Most pairs compute a value (failures come mostly from tiny scratch space), and every kind
    // of value comes out, so the rules really run.
    assert!(
        kinds[0] * 3 <= total,
        "{} of {total} pairs failed on both paths: {report:?}",
        kinds[0]
    );
    for (what, n) in KINDS.iter().zip(kinds) {
        assert!(n * 100 >= total, "only {n} results are {what}: {report:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus is big and covers every operator.

/// The operator names of JSON Logic that tagpolicy supports, `?:` included.
const OPERATORS: &[&str] = &[
    "var",
    "missing",
    "missing_some",
    "if",
    "?:",
    "==",
    "===",
    "!=",
    "!==",
    "!",
    "!!",
    "and",
    "or",
    "<",
    "<=",
    ">",
    ">=",
    "max",
    "min",
    "+",
    "-",
    "*",
    "/",
    "%",
    "map",
    "filter",
    "reduce",
    "all",
    "none",
    "some",
    "merge",
    "in",
    "cat",
    "substr",
];

const ITERATORS: &[&str] = &["map", "filter", "reduce", "all", "none", "some"];

/// Counts of operators and features in the corpus.
#[derive(Default)]
struct Tally {
    n: BTreeMap<String, usize>,
    max_depth: usize,
}

impl Tally {
    fn bump(&mut self, what: impl Into<String>) {
        *self.n.entry(what.into()).or_default() += 1;
    }
}

/// What a rule's `var` reads where it stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Root,
    Element,
    Reduce,
}

fn is_negative(j: &Json) -> bool {
    matches!(&j.kind, JsonKind::Number(n) if n.value < 0.0)
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Walks a rule as the reader does: an object with one key that names an operator is an
/// operation (its value the argument list, or one argument), an array a list of rules, anything
/// else a literal (not descended into). `depth` is the operation depth of `j` if it is one.
fn tally(j: &Json, depth: usize, scope: Scope, t: &mut Tally) {
    match &j.kind {
        JsonKind::Null => t.bump("constant null"),
        JsonKind::Bool(_) => t.bump("constant boolean"),
        JsonKind::Number(n) => {
            t.bump("constant number");
            if n.value == 0.0 && n.value.is_sign_negative() {
                t.bump("constant -0");
            }
        }
        JsonKind::String(s) => {
            t.bump("constant string");
            if looks_numeric(s) {
                t.bump("constant numeric string");
            }
        }
        JsonKind::Array(items) => {
            t.bump("array rule");
            for i in items {
                tally(i, depth, scope, t);
            }
        }
        JsonKind::Object(members) => {
            let op = match members.as_slice() {
                [m] if OPERATORS.contains(&m.key.as_str()) => m,
                [] => return t.bump("literal object {}"),
                [_, _] => return t.bump("literal object with 2 keys"),
                _ => return t.bump("other literal object"),
            };
            t.max_depth = t.max_depth.max(depth);
            let name = op.key.as_str();
            t.bump(name);
            let args: Vec<&Json> = match &op.value.kind {
                JsonKind::Array(items) => items.iter().collect(),
                _ => vec![&op.value],
            };
            let n = args.len();
            if n > 8 {
                t.bump("more than 8 arguments");
            }
            match name {
                "if" | "?:" => t.bump(format!("if with {n} arguments")),
                "and" | "or" => t.bump(format!("{name} with {n} arguments")),
                "<" | "<=" => t.bump(format!("{name} with {n} arguments")),
                "*" if n == 1 => t.bump("* with 1 argument"),
                "reduce" if n == 3 => t.bump("reduce with initial"),
                "reduce" if n == 2 => t.bump("reduce without initial"),
                "substr" => {
                    if args.get(1).is_some_and(|a| is_negative(a)) {
                        t.bump("substr negative start");
                    }
                    if args.get(2).is_some_and(|a| is_negative(a)) {
                        t.bump("substr negative length");
                    }
                }
                "in" => match args.get(1).map(|a| &a.kind) {
                    Some(JsonKind::String(_)) => t.bump("in string literal"),
                    Some(JsonKind::Array(_)) => t.bump("in array literal"),
                    _ => t.bump("in computed"),
                },
                "var" => {
                    if n == 2 {
                        t.bump("var with default");
                    }
                    match args.first().map(|a| &a.kind) {
                        None | Some(JsonKind::Null) => t.bump("var whole data"),
                        Some(JsonKind::String(p)) if p.is_empty() => t.bump("var whole data"),
                        Some(JsonKind::String(p)) => {
                            if p.contains('.') {
                                t.bump("var dotted path");
                            }
                            if p.split('.').any(|s| s.parse::<usize>().is_ok()) {
                                t.bump("var index in path");
                            }
                            match scope {
                                Scope::Element => {
                                    t.bump("var in element body");
                                    let first = p.split('.').next().unwrap_or("");
                                    if ["list", "obj", "s", "n"].contains(&first) {
                                        t.bump("var root path in element body");
                                    }
                                }
                                Scope::Reduce => t.bump("var in reduce body"),
                                Scope::Root => {}
                            }
                        }
                        Some(JsonKind::Number(_)) => t.bump("var number path"),
                        Some(JsonKind::Bool(_)) => t.bump("var boolean path"),
                        Some(JsonKind::Array(_) | JsonKind::Object(_)) => {
                            t.bump("var computed path")
                        }
                    }
                }
                _ => {}
            }
            if ITERATORS.contains(&name) && scope != Scope::Root {
                t.bump("nested iterator");
            }
            for (i, a) in args.iter().enumerate() {
                let inner = match name {
                    "reduce" if i == 1 => Scope::Reduce,
                    it if ITERATORS.contains(&it) && i == 1 => Scope::Element,
                    _ => scope,
                };
                tally(a, depth + 1, inner, t);
            }
        }
    }
}

#[test]
fn random_rules_cover_every_operator() {
    let mut t = Tally::default();
    for (i, (text, _)) in RANDOM_RULES.iter().enumerate() {
        let source = Source::new(format!("random_logic[{i}]"), text.to_string());
        let json = parse_json(&source).expect("a random rule is JSON");
        let before = t.max_depth;
        t.max_depth = 0;
        tally(&json, 1, Scope::Root, &mut t);
        assert!(
            t.max_depth <= 5,
            "random rule {i} nests operations {} deep: {text}",
            t.max_depth
        );
        t.max_depth = t.max_depth.max(before);
        // Every rule reads on the run-time path too.
        runtime_rule(i);
    }
    let report = format!("{} rules\n{:#?}", RANDOM_RULES.len(), t.n);
    println!("{report}");
    assert!(RANDOM_RULES.len() >= 400, "{report}");
    let at_least = |what: &str, min: usize| {
        let got = t.n.get(what).copied().unwrap_or(0);
        assert!(got >= min, "{what}: {got} < {min}\n{report}");
    };
    for op in OPERATORS {
        at_least(op, 15);
    }
    for n in 1..=5 {
        at_least(&format!("if with {n} arguments"), 5);
    }
    for op in ["and", "or"] {
        for n in 0..=4 {
            at_least(&format!("{op} with {n} arguments"), 3);
        }
    }
    for op in ["<", "<="] {
        for n in 2..=3 {
            at_least(&format!("{op} with {n} arguments"), 5);
        }
    }
    for what in [
        "* with 1 argument",
        "reduce with initial",
        "reduce without initial",
        "nested iterator",
        "var in element body",
        "var root path in element body",
        "var in reduce body",
        "substr negative start",
        "substr negative length",
        "in string literal",
        "in array literal",
        "in computed",
        "var with default",
        "var whole data",
        "var dotted path",
        "var index in path",
        "var number path",
        "var boolean path",
        "var computed path",
        "more than 8 arguments",
        "array rule",
        "literal object {}",
        "literal object with 2 keys",
        "constant null",
        "constant boolean",
        "constant number",
        "constant -0",
        "constant string",
        "constant numeric string",
    ] {
        at_least(what, 5);
    }
    assert!(t.max_depth >= 4, "no deep rules\n{report}");
}
