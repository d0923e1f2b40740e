//! JSON data as JSON Logic values, for tooling: case files, the CLI and tests build request data
//! and test data with these. (Evaluation itself only borrows values; it never builds them.)

use bumpalo::Bump;
use tagpolicy_runtime::jsonlogic::Val;

use crate::json::{Json, JsonKind};

/// A JSON value as a [`Val`] whose strings and arrays live in `bump`.
pub fn json_to_val<'b>(json: &Json, bump: &'b Bump) -> Val<'b> {
    match &json.kind {
        JsonKind::Null => Val::Null,
        JsonKind::Bool(b) => Val::Bool(*b),
        JsonKind::Number(n) => Val::Num(n.value),
        JsonKind::String(s) => Val::Str(bump.alloc_str(s)),
        JsonKind::Array(items) => {
            Val::Arr(bump.alloc_slice_fill_iter(items.iter().map(|i| json_to_val(i, bump))))
        }
        JsonKind::Object(members) => Val::Obj(bump.alloc_slice_fill_iter(members.iter().map(
            |m| -> (&'b str, Val<'b>) { (bump.alloc_str(&m.key), json_to_val(&m.value, bump)) },
        ))),
    }
}

/// Whether a value equals an expected JSON value: numbers as numbers (`1` equals `1.0`), arrays
/// element by element, objects member by member in any order.
pub fn val_matches_json(v: Val<'_>, json: &Json) -> bool {
    match (&json.kind, v) {
        (JsonKind::Null, Val::Null) => true,
        (JsonKind::Bool(a), Val::Bool(b)) => *a == b,
        (JsonKind::Number(n), Val::Num(m)) => n.value == m,
        (JsonKind::String(s), Val::Str(t)) => s == t,
        (JsonKind::Array(items), v) if v.is_array() => {
            v.len() == Some(items.len())
                && items
                    .iter()
                    .enumerate()
                    .all(|(i, j)| v.index(i).is_some_and(|e| val_matches_json(e, j)))
        }
        (JsonKind::Object(members), Val::Obj(pairs)) => {
            members.len() == pairs.len()
                && members.iter().all(|m| {
                    pairs
                        .iter()
                        .any(|(k, e)| *k == m.key && val_matches_json(*e, &m.value))
                })
        }
        _ => false,
    }
}

/// A value as JSON text, for messages.
pub fn describe_val(v: Val<'_>) -> String {
    match v {
        Val::Str(s) => serde_json::Value::String(s.to_string()).to_string(),
        Val::Num(n) => {
            let mut s = String::new();
            let _ = tagpolicy_runtime::jsonlogic::write_number(n, &mut s);
            s
        }
        Val::Obj(pairs) => {
            let inner: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{:?}: {}", k, describe_val(*v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        v if v.is_array() => {
            let n = v.len().unwrap_or(0);
            let inner: Vec<String> = (0..n)
                .filter_map(|i| v.index(i))
                .map(describe_val)
                .collect();
            format!("[{}]", inner.join(", "))
        }
        Val::Bool(b) => b.to_string(),
        _ => "null".to_string(),
    }
}
