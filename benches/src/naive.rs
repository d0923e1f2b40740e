//! `naive_json`: what a first implementation does. Every request parses the policy text with
//! serde_json into a `serde_json::Value` and walks it: statements, actions, resources with
//! policy variables, and the condition operators the workloads use (`StringEquals`,
//! `StringNotEquals`, `StringLike`, `ForAllValues:`/`ForAnyValue:` on them, `Null`). Key names
//! and actions are compared case-insensitively, an explicit Deny wins.

use serde_json::Value as Json;
use tagpolicy::{Request, Value};

use crate::Decide;

/// The contender: the policy texts of the set and our requests.
pub struct NaiveJson {
    texts: Vec<&'static str>,
    requests: Vec<Request<'static>>,
}

impl NaiveJson {
    /// A contender deciding `requests` against the policies `texts` (evaluated together).
    pub fn new(texts: Vec<&'static str>, requests: Vec<Request<'static>>) -> Self {
        NaiveJson { texts, requests }
    }
}

impl Decide for NaiveJson {
    fn requests(&self) -> usize {
        self.requests.len()
    }

    fn decide(&mut self, i: usize) -> bool {
        decide(&self.texts, &self.requests[i])
    }
}

/// Parses every policy text and decides `req`.
pub fn decide(texts: &[&str], req: &Request<'_>) -> bool {
    let mut allowed = false;
    for text in texts {
        let doc: Json = match serde_json::from_str(text) {
            Ok(doc) => doc,
            Err(_) => return false,
        };
        let variables = doc.get("Version").and_then(Json::as_str) == Some("2012-10-17");
        let statements: Vec<&Json> = match doc.get("Statement") {
            Some(Json::Array(list)) => list.iter().collect(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for st in statements {
            if !applies(st, req, variables) {
                continue;
            }
            match st.get("Effect").and_then(Json::as_str) {
                Some("Deny") => return false,
                Some("Allow") => allowed = true,
                _ => {}
            }
        }
    }
    allowed
}

fn strings(v: Option<&Json>) -> Vec<&str> {
    match v {
        Some(Json::String(s)) => vec![s.as_str()],
        Some(Json::Array(list)) => list.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

fn applies(st: &Json, req: &Request<'_>, variables: bool) -> bool {
    let action_ok = match (st.get("Action"), st.get("NotAction")) {
        (Some(a), _) => strings(Some(a))
            .iter()
            .any(|p| glob(&lit(p), req.action, true)),
        (None, Some(na)) => !strings(Some(na))
            .iter()
            .any(|p| glob(&lit(p), req.action, true)),
        _ => false,
    };
    if !action_ok {
        return false;
    }
    let resource_ok = |patterns: Vec<&str>| {
        patterns.iter().any(|p| match pattern(p, req, variables) {
            Some(pat) => glob(&pat, req.resource, false),
            None => false,
        })
    };
    let res_ok = match (st.get("Resource"), st.get("NotResource")) {
        (Some(r), _) => resource_ok(strings(Some(r))),
        (None, Some(nr)) => !resource_ok(strings(Some(nr))),
        _ => false,
    };
    if !res_ok {
        return false;
    }
    match st.get("Condition").and_then(Json::as_object) {
        None => true,
        Some(block) => block.iter().all(|(op, keys)| match keys.as_object() {
            Some(keys) => keys
                .iter()
                .all(|(key, values)| condition(op, key, strings(Some(values)), req, variables)),
            None => false,
        }),
    }
}

/// The values of a key in the request: `None` when absent; a list for `aws:TagKeys`.
fn lookup<'a>(req: &Request<'a>, key: &str) -> Option<Vec<&'a str>> {
    let lower = key.to_ascii_lowercase();
    for (k, v) in req.context {
        if k.eq_ignore_ascii_case(&lower) {
            return match v {
                Value::Str(s) => Some(vec![*s]),
                Value::List(l) => Some(l.to_vec()),
                _ => None,
            };
        }
    }
    let tag = |tags: &[(&'a str, &'a str)], name: &str| {
        tags.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| vec![*v])
    };
    if let Some(name) = lower.strip_prefix("aws:resourcetag/") {
        return tag(req.resource_tags, name);
    }
    if let Some(name) = lower.strip_prefix("aws:principaltag/") {
        return tag(req.principal_tags, name);
    }
    if let Some(name) = lower.strip_prefix("aws:requesttag/") {
        return tag(req.request_tags, name);
    }
    if lower == "aws:tagkeys" && !req.request_tags.is_empty() {
        return Some(req.request_tags.iter().map(|(k, _)| *k).collect());
    }
    None
}

/// A piece of a pattern: literal text, `*` or `?`.
#[derive(Debug)]
enum Piece {
    Text(String),
    Star,
    One,
}

/// A pattern with no variables.
fn lit(p: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for c in p.chars() {
        match c {
            '*' => out.push(Piece::Star),
            '?' => out.push(Piece::One),
            c => match out.last_mut() {
                Some(Piece::Text(t)) => t.push(c),
                _ => out.push(Piece::Text(c.to_string())),
            },
        }
    }
    out
}

/// A pattern with its `${…}` variables replaced by their (literal) values; `None` when a variable
/// has no value and no default.
fn pattern(p: &str, req: &Request<'_>, variables: bool) -> Option<Vec<Piece>> {
    if !variables {
        return Some(lit(p));
    }
    let mut out = Vec::new();
    let mut rest = p;
    while let Some(start) = rest.find("${") {
        out.extend(lit(&rest[..start]));
        let end = rest[start..].find('}')? + start;
        let inner = &rest[start + 2..end];
        let (key, default) = match inner.split_once(',') {
            Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\''))),
            None => (inner.trim(), None),
        };
        let value = match key {
            "*" => Some("*".to_owned()),
            "?" => Some("?".to_owned()),
            "$" => Some("$".to_owned()),
            _ => match lookup(req, key) {
                Some(v) if v.len() == 1 && !key.eq_ignore_ascii_case("aws:tagkeys") => {
                    Some(v[0].to_owned())
                }
                _ => default.map(str::to_owned),
            },
        };
        out.push(Piece::Text(value?));
        rest = &rest[end + 1..];
    }
    out.extend(lit(rest));
    Some(out)
}

/// Matches `text` against pieces; `*` spans any characters. Greedy with one backtrack point,
/// linear in practice.
fn glob(pieces: &[Piece], text: &str, ignore_case: bool) -> bool {
    let eq = |a: &str, b: &str| {
        if ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let t = text;
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi == pieces.len() && ti == t.len() {
            return true;
        }
        let step = match pieces.get(pi) {
            Some(Piece::Star) => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(Piece::One) => t[ti..].chars().next().map(char::len_utf8),
            Some(Piece::Text(s)) => t
                .get(ti..ti + s.len())
                .filter(|chunk| eq(chunk, s))
                .map(|_| s.len()),
            None => None,
        };
        match step {
            Some(n) => {
                pi += 1;
                ti += n;
            }
            None => match star {
                Some((sp, st)) => match t[st..].chars().next() {
                    Some(c) => {
                        star = Some((sp, st + c.len_utf8()));
                        pi = sp + 1;
                        ti = st + c.len_utf8();
                    }
                    None => return false,
                },
                None => return false,
            },
        }
    }
}

fn condition(op: &str, key: &str, values: Vec<&str>, req: &Request<'_>, variables: bool) -> bool {
    let (set, base) = if let Some(b) = op.strip_prefix("ForAllValues:") {
        (Some(true), b)
    } else if let Some(b) = op.strip_prefix("ForAnyValue:") {
        (Some(false), b)
    } else {
        (None, op)
    };
    let (base, if_exists) = match base.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (base, false),
    };
    let actual = lookup(req, key);
    if base == "Null" {
        let want_absent = values.first() == Some(&"true");
        return actual.is_none() == want_absent;
    }
    let expanded: Vec<Vec<Piece>> = values
        .iter()
        .filter_map(|v| pattern(v, req, variables))
        .collect();
    let negated = matches!(base, "StringNotEquals" | "StringNotLike");
    let one = |s: &str| -> bool {
        expanded.iter().any(|pat| match base {
            "StringEquals" | "StringNotEquals" => glob_literal(pat).as_deref() == Some(s),
            "StringLike" | "StringNotLike" => glob(pat, s, false),
            _ => false,
        })
    };
    match (set, actual) {
        (Some(true), None) => true,
        (Some(false), None) => false,
        (Some(true), Some(list)) => list.iter().all(|s| one(s)),
        (Some(false), Some(list)) => list.iter().any(|s| one(s)),
        (None, None) => negated || if_exists,
        (None, Some(list)) => {
            if list.len() != 1 || key.eq_ignore_ascii_case("aws:tagkeys") {
                return false;
            }
            if expanded.len() != values.len() {
                return false;
            }
            let hit = one(list[0]);
            if negated {
                !hit
            } else {
                hit
            }
        }
    }
}

/// The text of a pattern read literally (for `StringEquals`, where `*` is not special).
fn glob_literal(pieces: &[Piece]) -> Option<String> {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => s.push_str(t),
            Piece::Star => s.push('*'),
            Piece::One => s.push('?'),
        }
    }
    Some(s)
}
