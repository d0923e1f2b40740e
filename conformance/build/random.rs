//! The random policy corpus of the agreement property test (`tests/agreement.rs`): policy sets
//! generated from a fixed seed by a hand-written PRNG (no build dependency), written as JSON text.
//!
//! Every set is valid: `build.rs` compiles each one and panics on a diagnostic, since a policy that
//! does not compile is a bug of this generator. The generator covers, over the corpus, the whole
//! policy language: Allow/Deny, Action/NotAction with exact names, `*`, `svc:*`, prefixes, `?` and
//! mixed case, Resource/NotResource with ARN globs, policy variables (with defaults) and the
//! escapes `${*}` `${?}` `${$}`, the three `Version` forms, and conditions of every operator family
//! with `IfExists` and `ForAllValues:`/`ForAnyValue:`, over the small key vocabulary of
//! [`crate::vocab`] written in random case.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::vocab;

/// splitmix64: small, fast, and good enough to drive a generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A JSON value, serialized in member order.
#[derive(Clone, Debug)]
pub enum J {
    Str(String),
    /// A number, as written.
    Num(String),
    Bool(bool),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn s(text: impl Into<String>) -> J {
    J::Str(text.into())
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

impl J {
    pub fn write(&self, out: &mut String) {
        match self {
            J::Str(t) => write_str(out, t),
            J::Num(n) => out.push_str(n),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            J::Obj(members) => {
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

/// Flips the case of ASCII letters at random (often not at all).
fn mix_case(rng: &mut Rng, text: &str) -> String {
    match rng.below(10) {
        0..=4 => text.to_string(),
        5 => text.to_ascii_uppercase(),
        6 => text.to_ascii_lowercase(),
        _ => text
            .chars()
            .map(|c| {
                if c.is_ascii_alphabetic() && rng.chance(35) {
                    if c.is_ascii_uppercase() {
                        c.to_ascii_lowercase()
                    } else {
                        c.to_ascii_uppercase()
                    }
                } else {
                    c
                }
            })
            .collect(),
    }
}

/// One value or a list of them: a bare value is allowed for a single one.
fn one_or_list(rng: &mut Rng, values: Vec<J>) -> J {
    if values.len() == 1 && rng.chance(55) {
        values.into_iter().next().expect("one value")
    } else {
        J::Arr(values)
    }
}

/// A policy variable, `${key}` or `${key, 'default'}`, with the key in random case and the
/// spacing AWS tolerates.
fn variable(rng: &mut Rng) -> String {
    const VARS: &[&str] = &[
        "aws:username",
        "aws:username",
        "aws:PrincipalTag/team",
        "aws:PrincipalTag/role",
        "aws:ResourceTag/owner",
        "aws:RequestTag/env",
        "aws:SourceIp",
        "aws:TagKeys",
        "aws:CurrentTime",
        "aws:SecureTransport",
    ];
    const DEFAULTS: &[&str] = &["none", "ops", "alice", "", "a*b"];
    let key = rng_pick_str(rng, VARS);
    let key = mix_case(rng, key);
    match rng.below(10) {
        0..=5 => format!("${{{key}}}"),
        6 => format!("${{ {key} }}"),
        7 => format!("${{{key},'{}'}}", rng.pick(DEFAULTS)),
        _ => format!("${{{key}, '{}'}}", rng.pick(DEFAULTS)),
    }
}

fn rng_pick_str(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len())]
}

fn escape(rng: &mut Rng) -> &'static str {
    rng_pick_str(rng, &["${*}", "${?}", "${$}"])
}

/// Generation state of one policy set. Variables are written whatever the `Version`: without
/// `2012-10-17` they are literal text.
struct Gen<'r> {
    rng: &'r mut Rng,
}

const STRING_OPS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
];
const NUMERIC_OPS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
];
const DATE_OPS: &[&str] = &[
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
];
const ARN_OPS: &[&str] = &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"];
const IP_OPS: &[&str] = &["IpAddress", "NotIpAddress"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Str,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

const FAMILIES: &[Family] = &[
    Family::Str,
    Family::Numeric,
    Family::Date,
    Family::Bool,
    Family::Binary,
    Family::Ip,
    Family::Arn,
    Family::Null,
];

/// The family a key is usually compared with.
fn natural_family(key: &str) -> Family {
    match key {
        "aws:SourceIp" => Family::Ip,
        "aws:CurrentTime" => Family::Date,
        "aws:EpochTime" | "s3:max-keys" => Family::Numeric,
        "aws:SecureTransport" | "aws:MultiFactorAuthPresent" => Family::Bool,
        "aws:SourceArn" => Family::Arn,
        _ => Family::Str,
    }
}

impl Gen<'_> {
    fn action(&mut self) -> String {
        let (svc, names) = *self.rng.pick(vocab::ACTIONS);
        let name = *self.rng.pick(names);
        let a = match self.rng.below(100) {
            0..=3 => "*".to_string(),
            4..=13 => format!("{svc}:*"),
            14..=25 => {
                let prefix = rng_pick_str(self.rng, &["Get", "Put", "List", "Describe", "Start"]);
                let suffix = rng_pick_str(self.rng, &["Instances", "Object", "Item", "User"]);
                match self.rng.below(3) {
                    0 => format!("{svc}:{prefix}*"),
                    1 => format!("{svc}:*{suffix}"),
                    _ => format!("{svc}:{prefix}*{suffix}"),
                }
            }
            26..=35 => {
                // Replace one or two characters of the name by `?`.
                let mut chars: Vec<char> = name.chars().collect();
                for _ in 0..self.rng.range(1, 2) {
                    let i = self.rng.below(chars.len());
                    chars[i] = '?';
                }
                format!("{svc}:{}", chars.into_iter().collect::<String>())
            }
            36..=39 => rng_pick_str(
                self.rng,
                &["*:Get*", "s?:*", "*:*", "*3:GetObject", "ec?:*Instances"],
            )
            .to_string(),
            _ => format!("{svc}:{name}"),
        };
        mix_case(self.rng, &a)
    }

    fn resource(&mut self) -> String {
        if self.rng.chance(8) {
            return "*".to_string();
        }
        if self.rng.chance(4) {
            return rng_pick_str(
                self.rng,
                &["arn:aws:s3:::*", "arn:*", "*/*", "arn:aws:*:*:*:*"],
            )
            .to_string();
        }
        let (svc, _) = *self.rng.pick(vocab::ACTIONS);
        let types = vocab::RESOURCE_TYPES
            .iter()
            .find(|(s, _)| *s == svc)
            .map(|(_, t)| *t)
            .unwrap_or(&[""]);
        let rtype = *self.rng.pick(types);
        let region = rng_pick_str(self.rng, &["us-east-1", "eu-west-1", "", "*", "us-?ast-1"]);
        let account = rng_pick_str(self.rng, &["111122223333", "444455556666", "", "*"]);
        let (region, account) = if svc == "s3" {
            ("", "")
        } else {
            (region, account)
        };
        let tail = match self.rng.below(21) {
            0..=2 => "*".to_string(),
            3 => String::new(),
            4..=7 => variable(self.rng),
            8 => format!("{}/*", variable(self.rng)),
            9 => format!("home/{}/*", variable(self.rng)),
            10 => format!("team-{}", variable(self.rng)),
            11 => format!("{}-{}*", variable(self.rng), variable(self.rng)),
            12 => format!("a{}b", escape(self.rng)),
            13 => format!("x{}{}*", escape(self.rng), escape(self.rng)),
            14 => "i-0a*".to_string(),
            15 => "obj?".to_string(),
            16 => rng_pick_str(self.rng, vocab::USERS).to_string(),
            17 => format!("*/{}", variable(self.rng)),
            18 => format!(
                "{}/x.txt",
                rng_pick_str(self.rng, &["home/alice", "home/*", "*"])
            ),
            19 => format!("*{}*", variable(self.rng)),
            _ => format!("ops{}", variable(self.rng)),
        };
        format!("arn:aws:{svc}:{region}:{account}:{rtype}{tail}")
    }

    /// A string value for a key: constants of the key's kind, sometimes with variables or escapes.
    fn string_value(&mut self, key: &str, like: bool) -> String {
        if self.rng.chance(18) {
            return match self.rng.below(8) {
                0..=2 => variable(self.rng),
                3 => format!("team-{}", variable(self.rng)),
                4 => format!("{}{}", variable(self.rng), variable(self.rng)),
                5 => format!("a{}b", escape(self.rng)),
                6 => format!("{}-*", variable(self.rng)),
                _ => format!("{}{}", escape(self.rng), variable(self.rng)),
            };
        }
        if like && self.rng.chance(55) {
            return rng_pick_str(
                self.rng,
                &[
                    "a*",
                    "*ops*",
                    "?ob",
                    "prod-*",
                    "team-*",
                    "*",
                    "Al*",
                    "*-eu",
                    "al?ce",
                    "?",
                    "*a*a*b",
                    "a*b",
                    "arn:aws:*",
                    "10.*",
                    "2026-*",
                    "tr?e",
                ],
            )
            .to_string();
        }
        let pool: &[&str] = match key {
            "aws:username" => vocab::USERS,
            "aws:TagKeys" => vocab::TAG_KEYS,
            k if k.contains("Tag/") => vocab::TAG_VALUES,
            "aws:SourceIp" => vocab::IPS,
            "aws:CurrentTime" => vocab::DATES,
            "aws:EpochTime" | "s3:max-keys" => vocab::NUMBERS,
            "aws:SourceArn" => vocab::ARNS,
            _ => &["true", "false", "TRUE", "True"],
        };
        if self.rng.chance(15) {
            // Any kind of value: a number, a date, an address, a user…
            let pools: &[&[&str]] = &[
                vocab::USERS,
                vocab::TAG_VALUES,
                vocab::NUMBERS,
                vocab::DATES,
                vocab::IPS,
                vocab::ARNS,
            ];
            let p = *self.rng.pick(pools);
            return self.rng.pick(p).to_string();
        }
        self.rng.pick(pool).to_string()
    }

    fn values(&mut self, family: Family, op: &str, key: &str) -> J {
        let n = self.rng.range(1, 3);
        // Sometimes a large set of constants (the perfect-hash set of generated code).
        if family == Family::Str && !op.contains("Like") && self.rng.chance(6) {
            let mut all: Vec<&str> = vocab::USERS
                .iter()
                .chain(vocab::TAG_VALUES)
                .chain(vocab::TAG_KEYS)
                .copied()
                .collect::<BTreeSet<&str>>()
                .into_iter()
                .collect();
            let want = self.rng.range(9, 14);
            let mut out = Vec::new();
            while out.len() < want && !all.is_empty() {
                let i = self.rng.below(all.len());
                out.push(s(all.swap_remove(i)));
            }
            return J::Arr(out);
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for _ in 0..n {
            let v = match family {
                Family::Str => s(self.string_value(key, op.contains("Like"))),
                Family::Numeric => {
                    if key == "aws:EpochTime" && self.rng.chance(50) {
                        J::Num(
                            rng_pick_str(self.rng, &["1795341600", "1767225600", "1800000000"])
                                .to_string(),
                        )
                    } else {
                        match self.rng.below(3) {
                            0 => s(self.rng.pick(vocab::NUMBERS).to_string()),
                            _ => J::Num(
                                rng_pick_str(
                                    self.rng,
                                    &[
                                        "0",
                                        "10",
                                        "100",
                                        "2.5",
                                        "-1",
                                        "1000",
                                        "1e3",
                                        "10.0",
                                        "-0",
                                        "1795341600",
                                    ],
                                )
                                .to_string(),
                            ),
                        }
                    }
                }
                Family::Date => {
                    if self.rng.chance(20) {
                        J::Num(
                            rng_pick_str(self.rng, &["1795341600", "1767225600", "0"]).to_string(),
                        )
                    } else {
                        s(self.rng.pick(vocab::DATES).to_string())
                    }
                }
                Family::Bool | Family::Null => match self.rng.below(5) {
                    0 => J::Bool(true),
                    1 => J::Bool(false),
                    _ => s(rng_pick_str(self.rng, &["true", "false", "TRUE", "False"])),
                },
                Family::Binary => s(self.rng.pick(vocab::BINARY).to_string()),
                Family::Ip => s(rng_pick_str(
                    self.rng,
                    &[
                        "10.0.0.0/8",
                        "10.1.2.3/8",
                        "192.168.1.0/24",
                        "203.0.113.5",
                        "203.0.113.0/24",
                        "0.0.0.0/0",
                        "172.16.0.0/12",
                        "10.0.0.1/32",
                        "2001:db8::/32",
                        "2001:DB8::1/128",
                        "::1",
                        "::/0",
                        "::ffff:10.0.0.0/104",
                        "2001:db8:0:0:0:0:0:1",
                    ],
                )),
                Family::Arn => {
                    if self.rng.chance(20) {
                        s(self.rng.pick(vocab::ARNS).to_string())
                    } else {
                        let user = variable(self.rng);
                        s(match self.rng.below(11) {
                            0 => "arn:aws:iam::111122223333:user/*".to_string(),
                            1 => "arn:aws:*:*:111122223333:*".to_string(),
                            2 => format!("arn:aws:iam::*:user/{user}"),
                            3 => "arn:aws:sns:*:*:topic*".to_string(),
                            4 => "arn:aws:s3:::*".to_string(),
                            5 => format!("arn:aws:iam::111122223333:role/{user}-*"),
                            6 => "arn:aws:ec2:*:*:instance/i-0a?b".to_string(),
                            7 => format!("arn:aws:s3:::bucket-a/home/{user}/*"),
                            8 => "arn:aws:iam::111122223333".to_string(),
                            // Many wildcards: up to the 32 pieces an ARN pattern may hold.
                            9 => {
                                if self.rng.chance(50) {
                                    let stars = "*a".repeat(self.rng.range(13, 15));
                                    let tail = if self.rng.chance(50) { "*" } else { "" };
                                    format!("arn:aws:s3:::{stars}{tail}")
                                } else {
                                    format!(
                                        "arn:aws:iam::111122223333:user/{}",
                                        "?".repeat(self.rng.range(26, 31))
                                    )
                                }
                            }
                            _ => format!("arn:aws:s3:::bucket-{}", escape(self.rng)),
                        })
                    }
                }
            };
            let mut text = String::new();
            v.write(&mut text);
            if seen.insert(text) {
                out.push(v);
            }
        }
        one_or_list(self.rng, out)
    }

    /// A `Condition` block: 1–3 operators with 1–2 keys each.
    fn condition(&mut self) -> J {
        let mut ops: Vec<(String, J)> = Vec::new();
        let mut names = BTreeSet::new();
        for _ in 0..self.rng.range(1, 3) {
            let key = if self.rng.chance(3) {
                *self.rng.pick(vocab::EDGE_KEYS)
            } else {
                *self.rng.pick(vocab::KEYS)
            };
            let family = if self.rng.chance(8) {
                Family::Null
            } else if self.rng.chance(68) {
                natural_family(key)
            } else {
                *self.rng.pick(FAMILIES)
            };
            let base = match family {
                Family::Str => rng_pick_str(self.rng, STRING_OPS),
                Family::Numeric => rng_pick_str(self.rng, NUMERIC_OPS),
                Family::Date => rng_pick_str(self.rng, DATE_OPS),
                Family::Bool => "Bool",
                Family::Binary => "BinaryEquals",
                Family::Ip => rng_pick_str(self.rng, IP_OPS),
                Family::Arn => rng_pick_str(self.rng, ARN_OPS),
                Family::Null => "Null",
            };
            let mut op = base.to_string();
            if family != Family::Null {
                let set_chance = if key == "aws:TagKeys" { 75 } else { 18 };
                if self.rng.chance(set_chance) {
                    let q = if self.rng.chance(50) {
                        "ForAllValues:"
                    } else {
                        "ForAnyValue:"
                    };
                    op = format!("{q}{op}");
                }
                if self.rng.chance(20) {
                    op.push_str("IfExists");
                }
            }
            if !names.insert(op.clone()) {
                continue;
            }
            let mut keys: Vec<(String, J)> = Vec::new();
            let mut written = BTreeSet::new();
            let nkeys = if self.rng.chance(25) { 2 } else { 1 };
            for k in 0..nkeys {
                // The first key is the one the family was chosen for.
                let key = if k == 0 {
                    key
                } else {
                    *self.rng.pick(vocab::KEYS)
                };
                let name = mix_case(self.rng, key);
                if !written.insert(name.clone()) {
                    continue;
                }
                let values = self.values(family, &op, key);
                keys.push((name, values));
            }
            ops.push((op, J::Obj(keys)));
        }
        J::Obj(ops)
    }

    fn principal(&mut self) -> J {
        if self.rng.chance(20) {
            return s("*");
        }
        let n = self.rng.range(1, 2);
        let mut who: Vec<J> = (0..n)
            .map(|_| s(self.rng.pick(vocab::USERS).to_string()))
            .collect();
        if self.rng.chance(15) {
            who.push(s("*"));
        }
        J::Obj(vec![("AWS".to_string(), one_or_list(self.rng, who))])
    }

    fn statement(&mut self, index: usize) -> J {
        let mut members: Vec<(String, J)> = Vec::new();
        if self.rng.chance(50) {
            let sid = match self.rng.below(4) {
                0 => "Same".to_string(),
                _ => format!("S{index}"),
            };
            members.push(("Sid".to_string(), s(sid)));
        }
        let effect = if self.rng.chance(35) { "Deny" } else { "Allow" };
        members.push(("Effect".to_string(), s(effect)));
        let actions: Vec<J> = (0..self.rng.range(1, 3))
            .map(|_| s(self.action()))
            .collect();
        let action_key = if self.rng.chance(15) {
            "NotAction"
        } else {
            "Action"
        };
        members.push((action_key.to_string(), one_or_list(self.rng, actions)));
        let resources: Vec<J> = (0..self.rng.range(1, 2))
            .map(|_| s(self.resource()))
            .collect();
        let resource_key = if self.rng.chance(12) {
            "NotResource"
        } else {
            "Resource"
        };
        members.push((resource_key.to_string(), one_or_list(self.rng, resources)));
        if self.rng.chance(10) {
            let key = if self.rng.chance(35) {
                "NotPrincipal"
            } else {
                "Principal"
            };
            members.push((key.to_string(), self.principal()));
        }
        if self.rng.chance(72) {
            members.push(("Condition".to_string(), self.condition()));
        }
        // Element order does not matter; shuffle a little.
        if self.rng.chance(20) {
            members.reverse();
        }
        J::Obj(members)
    }

    fn policy(&mut self, statements: usize) -> J {
        let mut members: Vec<(String, J)> = Vec::new();
        match self.rng.below(10) {
            0..=5 => members.push(("Version".to_string(), s("2012-10-17"))),
            6 | 7 => members.push(("Version".to_string(), s("2008-10-17"))),
            _ => {}
        }
        if self.rng.chance(15) {
            members.push(("Id".to_string(), s("random")));
        }
        let sts: Vec<J> = (0..statements).map(|i| self.statement(i)).collect();
        let body = if sts.len() == 1 && self.rng.chance(50) {
            sts.into_iter().next().expect("one statement")
        } else {
            J::Arr(sts)
        };
        members.push(("Statement".to_string(), body));
        J::Obj(members)
    }
}

fn set_text(policies: &[J]) -> String {
    let mut out = String::from("[\n");
    for (i, p) in policies.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str("  ");
        p.write(&mut out);
    }
    out.push_str("\n]");
    out
}

/// A set that lists more than eight exact action names (the perfect-hash action map of generated
/// code), in several statements, with NotAction naming exact actions too.
fn many_actions(rng: &mut Rng) -> String {
    let mut all: Vec<String> = Vec::new();
    for (svc, names) in vocab::ACTIONS {
        for n in *names {
            all.push(format!("{svc}:{n}"));
        }
    }
    let mut g = Gen { rng };
    let mut statements = Vec::new();
    for (i, chunk) in all.chunks(4).enumerate() {
        let actions: Vec<J> = chunk.iter().map(|a| s(mix_case(g.rng, a))).collect();
        let effect = if i % 3 == 2 { "Deny" } else { "Allow" };
        let mut members = vec![
            ("Sid".to_string(), s(format!("Exact{i}"))),
            ("Effect".to_string(), s(effect)),
        ];
        let key = if i == 4 { "NotAction" } else { "Action" };
        members.push((key.to_string(), J::Arr(actions)));
        members.push(("Resource".to_string(), s(g.resource())));
        if g.rng.chance(70) {
            members.push(("Condition".to_string(), g.condition()));
        }
        statements.push(J::Obj(members));
    }
    let policy = J::Obj(vec![
        ("Version".to_string(), s("2012-10-17")),
        ("Statement".to_string(), J::Arr(statements)),
    ]);
    set_text(&[policy])
}

/// A set whose first statement mentions more keys than the slot table holds (256), so that the
/// keys of the random statements after it are found by scanning the request.
fn many_keys(rng: &mut Rng) -> String {
    let filler: Vec<(String, J)> = (0..260)
        .map(|i| (format!("test:Filler{i}"), s("x")))
        .collect();
    let first = J::Obj(vec![
        ("Effect".to_string(), s("Allow")),
        ("Action".to_string(), s("s3:List*")),
        ("Resource".to_string(), s("*")),
        (
            "Condition".to_string(),
            J::Obj(vec![("StringEqualsIfExists".to_string(), J::Obj(filler))]),
        ),
    ]);
    let mut g = Gen { rng };
    let mut statements = vec![first];
    for i in 1..5 {
        statements.push(g.statement(i));
    }
    let policy = J::Obj(vec![
        ("Version".to_string(), s("2012-10-17")),
        ("Statement".to_string(), J::Arr(statements)),
    ]);
    set_text(&[policy])
}

/// The corpus: the regression sets of [`crate::regressions`], the two special sets above, then
/// `count` random policy sets from `seed`, each one JSON array of 1–4 policy documents with 1–5
/// statements each.
pub fn corpus(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<String> = crate::regressions::ALL
        .iter()
        .map(|s| s.to_string())
        .collect();
    out.push(many_actions(&mut rng));
    out.push(many_keys(&mut rng));
    let end = out.len() + count;
    while out.len() < end {
        let mut g = Gen { rng: &mut rng };
        let policies: Vec<J> = (0..g.rng.range(1, 4))
            .map(|_| {
                let n = g.rng.range(1, 5);
                g.policy(n)
            })
            .collect();
        out.push(set_text(&policies));
    }
    out
}
