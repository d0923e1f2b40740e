//! The random JSON Logic rule corpus of the logic agreement property test
//! (`tests/logic_agreement.rs`): rules generated from a fixed seed by the PRNG of
//! [`crate::random`] (no build dependency), written as JSON text.
//!
//! Every rule is valid: `build.rs` reads each one and panics on a diagnostic, since a rule that
//! does not read is a bug of this generator. Over the corpus the rules use every supported
//! operator (the first rules take each in turn as their root), at operation depth at most
//! [`MAX_DEPTH`]: `var` with dotted paths, array indexes, defaults, computed and whole-data
//! paths, `missing`, `missing_some`, `if`/`?:` with 1–5 arguments, the equalities, `!`, `!!`,
//! `and`/`or` with 0–4 arguments, the comparisons (`<`, `<=` also with three), arithmetic (`*`
//! also with one argument, `+`/`cat`/`merge`/`min` now and then with more than eight), the
//! iterators nested and reading both the element and paths meant for the root, `merge`, `in`
//! over strings and arrays, `cat`, `substr` with negative start and length, literal arrays,
//! literal objects with no and two keys, and constants of every JSON type. Paths and constants
//! come from [`crate::logic_vocab`], which the test's random data share.

use std::fmt::Write as _;

use crate::logic_vocab::{KEYS, NUMBERS, SEGMENTS, STRINGS};
use crate::random::Rng;

/// The deepest nesting of operations in a rule (the root operation is at depth 1).
pub const MAX_DEPTH: usize = 5;

/// Every operator name, `?:` included: the first rules of the corpus take each as their root.
pub const OPERATORS: &[&str] = &[
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

/// A JSON value, serialized in member order.
#[derive(Clone, Debug)]
pub enum L {
    Null,
    Bool(bool),
    /// A number, as written.
    Num(String),
    Str(String),
    Arr(Vec<L>),
    Obj(Vec<(String, L)>),
}

fn s(text: &str) -> L {
    L::Str(text.to_string())
}

fn num(text: &str) -> L {
    L::Num(text.to_string())
}

fn write_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl L {
    pub fn write(&self, out: &mut String) {
        match self {
            L::Null => out.push_str("null"),
            L::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            L::Num(n) => out.push_str(n),
            L::Str(t) => write_str(out, t),
            L::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            L::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str(out, k);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// What an argument should usually evaluate to (only a bias: any rule is valid anywhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Any,
    Num,
    Str,
    Arr,
    Bool,
}

/// What `var` reads where a rule is generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    /// The test's data.
    Root,
    /// The element, in the body of `map`, `filter`, `all`, `none`, `some`.
    Elem,
    /// `{current, accumulator}`, in the body of `reduce`.
    Reduce,
}

const ITERATORS: &[&str] = &["map", "filter", "reduce", "all", "none", "some"];

struct Gen<'r> {
    rng: &'r mut Rng,
    /// Operations left for this rule; when none are, arguments are leaves.
    budget: usize,
}

impl Gen<'_> {
    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.rng.below(items.len())]
    }

    /// `{"name": [args]}`, or `{"name": arg}` for one argument that is not an array.
    fn op(&mut self, name: &str, args: Vec<L>) -> L {
        let value = if args.len() == 1 && !matches!(args[0], L::Arr(_)) && self.rng.chance(40) {
            args.into_iter().next().expect("one argument")
        } else {
            L::Arr(args)
        };
        L::Obj(vec![(name.to_string(), value)])
    }

    fn number(&mut self) -> L {
        if self.rng.chance(30) {
            L::Num(format!("{}", self.rng.range(0, 12) as i64 - 4))
        } else {
            num(self.pick_str(NUMBERS))
        }
    }

    fn string(&mut self) -> L {
        s(self.pick_str(STRINGS))
    }

    /// A constant of the wanted kind (sometimes of another).
    fn constant(&mut self, want: Want) -> L {
        let want = if self.rng.chance(15) { Want::Any } else { want };
        match want {
            Want::Num => {
                if self.rng.chance(80) {
                    self.number()
                } else {
                    self.string()
                }
            }
            Want::Str => self.string(),
            Want::Bool => match self.rng.below(6) {
                0 | 1 => L::Bool(self.rng.chance(50)),
                2 => self.number(),
                3 => self.string(),
                4 => L::Null,
                _ => L::Arr(Vec::new()),
            },
            Want::Arr => self.literal_array(),
            Want::Any => match self.rng.below(12) {
                0 => L::Null,
                1 => L::Bool(self.rng.chance(50)),
                2..=4 => self.number(),
                5..=8 => self.string(),
                9 => self.literal_array(),
                10 => L::Arr(Vec::new()),
                _ => self.literal_object(),
            },
        }
    }

    /// An array of 0–4 constants (read as an array rule of literals).
    fn literal_array(&mut self) -> L {
        let n = self.rng.range(0, 4);
        L::Arr(
            (0..n)
                .map(|_| match self.rng.below(8) {
                    0 => L::Null,
                    1 => L::Bool(self.rng.chance(50)),
                    2..=4 => self.number(),
                    _ => self.string(),
                })
                .collect(),
        )
    }

    /// A literal object: `{}` or two keys, whose values are data (an object with an operator's
    /// name as its one key included: inside a literal it is not an operation).
    fn literal_object(&mut self) -> L {
        if self.rng.chance(40) {
            return L::Obj(Vec::new());
        }
        let k1 = self.pick_str(KEYS);
        let mut k2 = self.pick_str(KEYS);
        if k2 == k1 {
            k2 = "zz";
        }
        let value = |g: &mut Self| match g.rng.below(6) {
            0 => g.number(),
            1 => g.string(),
            2 => L::Null,
            3 => g.literal_array(),
            4 => L::Obj(vec![("var".to_string(), s(g.pick_str(KEYS)))]),
            _ => L::Obj(vec![
                ("x".to_string(), L::Bool(true)),
                ("y".to_string(), L::Obj(Vec::new())),
            ]),
        };
        let v1 = value(self);
        let v2 = value(self);
        L::Obj(vec![(k1.to_string(), v1), (k2.to_string(), v2)])
    }

    /// A constant `var` path for `ctx`.
    fn path(&mut self, ctx: Ctx) -> String {
        let root = |g: &mut Self| {
            let mut p = g.pick_str(KEYS).to_string();
            let more = match g.rng.below(10) {
                0..=4 => 0,
                5..=8 => 1,
                _ => 2,
            };
            for _ in 0..more {
                p.push('.');
                p.push_str(g.pick_str(SEGMENTS));
            }
            p
        };
        match ctx {
            Ctx::Root => match self.rng.below(20) {
                0 => String::new(),
                1 => self
                    .pick_str(&["a.", ".a", "a..b", "list.0.", "."])
                    .to_string(),
                _ => root(self),
            },
            Ctx::Elem => match self.rng.below(10) {
                0..=2 => String::new(),
                3..=6 => {
                    let mut p = self.pick_str(SEGMENTS).to_string();
                    if self.rng.chance(30) {
                        p.push('.');
                        p.push_str(self.pick_str(SEGMENTS));
                    }
                    p
                }
                // A path meant for the root: inside the body it reads the element.
                _ => root(self),
            },
            Ctx::Reduce => match self.rng.below(12) {
                0..=2 => "current".to_string(),
                3..=5 => "accumulator".to_string(),
                6..=7 => format!("current.{}", self.pick_str(SEGMENTS)),
                8 => format!("accumulator.{}", self.pick_str(SEGMENTS)),
                // The whole `{current, accumulator}` is not built (evaluation fails) …
                9 => String::new(),
                // … and other names are not found.
                _ => root(self),
            },
        }
    }

    /// `{"var": "path"}` (as a string or in a one-element list).
    fn simple_var(&mut self, ctx: Ctx) -> L {
        let p = self.path(ctx);
        self.op("var", vec![L::Str(p)])
    }

    /// A leaf: a simple `var` (if an operation fits at `depth`) or a constant.
    fn leaf(&mut self, want: Want, depth: usize, ctx: Ctx) -> L {
        if depth <= MAX_DEPTH && self.rng.chance(45) {
            self.simple_var(ctx)
        } else {
            self.constant(want)
        }
    }

    /// Any rule (an operation at `depth`, or a leaf).
    fn expr(&mut self, want: Want, depth: usize, ctx: Ctx) -> L {
        let leaf_percent = match depth {
            0 | 1 => 0,
            2 => 25,
            3 => 40,
            4 => 55,
            _ => 75,
        };
        if depth > MAX_DEPTH || self.budget == 0 || self.rng.chance(leaf_percent) {
            return self.leaf(want, depth, ctx);
        }
        let name = match want {
            Want::Any => {
                if self.rng.chance(8) {
                    return self.array_rule(depth, ctx);
                }
                self.pick_str(OPERATORS)
            }
            Want::Num => self.pick_str(&[
                "+", "-", "*", "/", "%", "max", "min", "var", "if", "reduce", "+", "-", "*",
            ]),
            Want::Str => self.pick_str(&["cat", "substr", "var", "if", "cat", "substr", "?:"]),
            Want::Arr => match self.rng.below(10) {
                0 | 1 => return self.array_rule(depth, ctx),
                2 => "missing",
                3 => "missing_some",
                4 | 5 => "var",
                6 => "merge",
                7 => "map",
                8 => "filter",
                _ => "if",
            },
            Want::Bool => self.pick_str(&[
                "==", "===", "!=", "!==", "!", "!!", "<", "<=", ">", ">=", "all", "none", "some",
                "in", "and", "or",
            ]),
        };
        self.apply(name, want, depth, ctx)
    }

    /// An array rule: each element a rule (not an operation itself).
    fn array_rule(&mut self, depth: usize, ctx: Ctx) -> L {
        let n = self.rng.range(0, 3);
        L::Arr(
            (0..n)
                .map(|_| self.expr(Want::Any, depth + 1, ctx))
                .collect(),
        )
    }

    fn args(&mut self, n: usize, want: Want, depth: usize, ctx: Ctx) -> Vec<L> {
        (0..n).map(|_| self.expr(want, depth + 1, ctx)).collect()
    }

    /// Usually `lo..=hi` arguments, now and then 9–10 (more than the evaluator keeps on the
    /// stack).
    fn many(&mut self, lo: usize, hi: usize) -> usize {
        if self.rng.chance(4) {
            self.rng.range(9, 10)
        } else {
            self.rng.range(lo, hi)
        }
    }

    /// The operation `name` at `depth`, with arguments suited to it.
    fn apply(&mut self, name: &str, want: Want, depth: usize, ctx: Ctx) -> L {
        self.budget = self.budget.saturating_sub(1);
        let d = depth;
        let args = match name {
            "var" => return self.var(d, ctx),
            "missing" => match self.rng.below(5) {
                0 | 1 => {
                    let n = self.rng.range(0, 3);
                    (0..n).map(|_| L::Str(self.path(ctx))).collect()
                }
                2 => {
                    let n = self.rng.range(0, 3);
                    vec![L::Arr((0..n).map(|_| L::Str(self.path(ctx))).collect())]
                }
                3 => vec![self.expr(Want::Arr, d + 1, ctx)],
                _ => {
                    let n = self.rng.range(1, 2);
                    self.args(n, Want::Any, d, ctx)
                }
            },
            "missing_some" => {
                let need = if self.rng.chance(70) {
                    L::Num(self.rng.range(0, 3).to_string())
                } else {
                    self.expr(Want::Num, d + 1, ctx)
                };
                let keys = if self.rng.chance(70) {
                    let n = self.rng.range(0, 4);
                    L::Arr((0..n).map(|_| L::Str(self.path(ctx))).collect())
                } else {
                    self.expr(Want::Arr, d + 1, ctx)
                };
                vec![need, keys]
            }
            "if" | "?:" => {
                let n = self.rng.range(1, 5);
                (0..n)
                    .map(|i| {
                        let w = if i % 2 == 0 && i + 1 < n {
                            Want::Bool
                        } else {
                            want
                        };
                        self.expr(w, d + 1, ctx)
                    })
                    .collect()
            }
            "==" | "===" | "!=" | "!==" => {
                let n = match self.rng.below(25) {
                    0 => 1,
                    1 => 3,
                    _ => 2,
                };
                if n == 2 && self.rng.chance(15) {
                    // The same rule twice: equal unless it builds a fresh array or object.
                    let x = self.expr(Want::Any, d + 1, ctx);
                    vec![x.clone(), x]
                } else {
                    self.args(n, Want::Any, d, ctx)
                }
            }
            "!" | "!!" => {
                let n = if self.rng.chance(6) { 0 } else { 1 };
                self.args(n, Want::Any, d, ctx)
            }
            "and" | "or" => {
                let n = self.rng.range(0, 4);
                self.args(n, Want::Any, d, ctx)
            }
            "<" | "<=" => {
                let n = self.rng.range(2, 3);
                let w = if self.rng.chance(25) {
                    Want::Str
                } else {
                    Want::Num
                };
                self.args(n, w, d, ctx)
            }
            ">" | ">=" => {
                let w = if self.rng.chance(25) {
                    Want::Any
                } else {
                    Want::Num
                };
                self.args(2, w, d, ctx)
            }
            "max" | "min" | "+" => {
                let n = self.many(0, 4);
                self.args(n, Want::Num, d, ctx)
            }
            "-" => {
                let n = self.rng.range(1, 2);
                self.args(n, Want::Num, d, ctx)
            }
            "*" => {
                let n = self.rng.range(1, 3);
                self.args(n, Want::Num, d, ctx)
            }
            "/" | "%" => self.args(2, Want::Num, d, ctx),
            "merge" => {
                let n = self.many(0, 4);
                (0..n)
                    .map(|_| {
                        let w = if self.rng.chance(70) {
                            Want::Arr
                        } else {
                            Want::Any
                        };
                        self.expr(w, d + 1, ctx)
                    })
                    .collect()
            }
            "in" => {
                let needle = self.expr(Want::Any, d + 1, ctx);
                let hay = if self.rng.chance(50) {
                    Want::Str
                } else {
                    Want::Arr
                };
                vec![needle, self.expr(hay, d + 1, ctx)]
            }
            "cat" => {
                let n = self.many(0, 4);
                self.args(n, Want::Any, d, ctx)
            }
            "substr" => {
                let source = self.expr(Want::Str, d + 1, ctx);
                let mut args = vec![source];
                let n = self.rng.range(0, 2);
                for _ in 0..n {
                    let x = if self.rng.chance(60) {
                        L::Num(format!("{}", self.rng.range(0, 10) as i64 - 5))
                    } else {
                        self.expr(Want::Num, d + 1, ctx)
                    };
                    args.push(x);
                }
                args
            }
            it if ITERATORS.contains(&it) => {
                let array = self.expr(Want::Arr, d + 1, ctx);
                let inner = if it == "reduce" {
                    Ctx::Reduce
                } else {
                    Ctx::Elem
                };
                let body_want = match it {
                    "map" | "reduce" => {
                        if self.rng.chance(50) {
                            Want::Num
                        } else {
                            Want::Any
                        }
                    }
                    _ => Want::Bool,
                };
                let body = if self.rng.chance(25) && d < MAX_DEPTH {
                    // A nested iterator in the body.
                    let nested = self.pick_str(ITERATORS);
                    self.apply(nested, body_want, d + 1, inner)
                } else {
                    self.expr(body_want, d + 1, inner)
                };
                let mut args = vec![array, body];
                if it == "reduce" && self.rng.chance(70) {
                    args.push(self.expr(Want::Any, d + 1, ctx));
                }
                args
            }
            other => panic!("random_logic: no generator for operator {other}"),
        };
        self.op(name, args)
    }

    /// A `var` operation at `depth`, in any of its forms.
    fn var(&mut self, depth: usize, ctx: Ctx) -> L {
        let d = depth;
        match self.rng.below(20) {
            0..=5 => self.simple_var(ctx),
            // A default.
            6..=8 => {
                let p = L::Str(self.path(ctx));
                let default = self.expr(Want::Any, d + 1, ctx);
                L::Obj(vec![("var".to_string(), L::Arr(vec![p, default]))])
            }
            // A number as the path: an array index or key.
            9 | 10 => {
                let n = num(self.pick_str(&["0", "1", "2", "1.5", "-1"]));
                if self.rng.chance(50) {
                    self.op("var", vec![n])
                } else {
                    let default = self.constant(Want::Any);
                    L::Obj(vec![("var".to_string(), L::Arr(vec![n, default]))])
                }
            }
            // A computed path (a constant one where no operation fits below).
            11..=14 => {
                let form = if d < MAX_DEPTH { self.rng.below(5) } else { 5 };
                let path = match form {
                    0 => {
                        let a = self.pick_str(KEYS);
                        let b = self.pick_str(SEGMENTS);
                        let prefix = if ctx == Ctx::Reduce { "current." } else { "" };
                        L::Obj(vec![(
                            "cat".to_string(),
                            L::Arr(vec![L::Str(format!("{prefix}{a}.")), s(b)]),
                        )])
                    }
                    1 => self.simple_var(ctx),
                    2 => self.expr(Want::Str, d + 1, ctx),
                    3 => self.expr(Want::Num, d + 1, ctx),
                    4 => self.expr(Want::Any, d + 1, ctx),
                    _ => L::Arr(vec![self.string()]),
                };
                let mut args = vec![path];
                if self.rng.chance(40) {
                    args.push(self.expr(Want::Any, d + 1, ctx));
                }
                self.op("var", args)
            }
            // The whole data.
            15 | 16 => match self.rng.below(4) {
                0 => self.op("var", vec![s("")]),
                1 => L::Obj(vec![("var".to_string(), L::Arr(Vec::new()))]),
                2 => self.op("var", vec![L::Null]),
                _ => L::Obj(vec![(
                    "var".to_string(),
                    L::Arr(vec![s(""), self.number()]),
                )]),
            },
            // Other constants as paths: `String(true)` is "true".
            _ => {
                let p = match self.rng.below(3) {
                    0 => L::Bool(self.rng.chance(50)),
                    1 => self.string(),
                    _ => self.number(),
                };
                self.op("var", vec![p])
            }
        }
    }
}

/// `count` rules from `seed`, as JSON text: rule `i` has operator `OPERATORS[i]` at its root for
/// the first three rounds of the operator list, then any rule.
pub fn corpus(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let mut g = Gen {
            rng: &mut rng,
            budget: 24,
        };
        let rule = if i < 3 * OPERATORS.len() {
            let name = OPERATORS[i % OPERATORS.len()];
            g.apply(name, Want::Any, 1, Ctx::Root)
        } else {
            match g.rng.below(20) {
                0 => g.constant(Want::Any),
                1 => g.array_rule(1, Ctx::Root),
                _ => g.expr(Want::Any, 1, Ctx::Root),
            }
        };
        let mut text = String::new();
        rule.write(&mut text);
        out.push(text);
    }
    out
}
