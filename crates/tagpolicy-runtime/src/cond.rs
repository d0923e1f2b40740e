//! Condition semantics shared by the run-time evaluator and generated code.
//!
//! The compiler's IR decides *which* operator a condition uses and *which* values it compares
//! with; the functions here say what that means for a request. Both evaluation paths call them, so
//! they cannot disagree.
//!
//! A condition is evaluated as [`check`]`(mode, value, matches_any)`: `matches_any` tells, for one
//! request value, whether it matches at least one policy value in the operator's positive form
//! (`StringNotEquals` is asked as `StringEquals`), or `None` when the request value cannot be read
//! as the operator's type (a date operator given `"yesterday"`). [`check`] then applies negation
//! (NOR over the policy values), set qualifiers and the missing-key rules.

use crate::ip::{self, Cidr, IpAddr};
use crate::request::Scalar;
use crate::scalar;
use crate::slots::Resolved;
use crate::time::Timestamp;

/// How a condition treats a multi-valued key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// No set operator: the key must have a single value.
    Single,
    /// `ForAllValues:`: every request value must satisfy the operator (true when there are none).
    ForAllValues,
    /// `ForAnyValue:`: at least one request value must satisfy the operator.
    ForAnyValue,
}

/// The shape of a condition operator, apart from its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mode {
    /// A negated operator (`StringNotEquals`, `NotIpAddress`, …): true when the value matches none
    /// of the policy values.
    pub negated: bool,
    /// The set qualifier.
    pub qualifier: Qualifier,
    /// The `…IfExists` suffix: a missing key satisfies the condition.
    pub if_exists: bool,
}

impl Mode {
    /// A plain, positive, single-valued operator.
    pub const PLAIN: Mode = Mode {
        negated: false,
        qualifier: Qualifier::Single,
        if_exists: false,
    };
}

/// Evaluates one condition operator over the value(s) of its key.
///
/// - Missing key: true with `IfExists` or `ForAllValues:`, false with `ForAnyValue:`, otherwise true
///   exactly for negated operators.
/// - A value that cannot be read as the operator's type never satisfies the condition, negated or
///   not (fail closed); under `ForAnyValue:` it just does not count.
/// - Without a set qualifier, a multi-valued key never satisfies the condition (AWS requires a set
///   operator for such keys; this follows the most complete open IAM simulator).
#[inline]
pub fn check<'a>(
    mode: Mode,
    value: Resolved<'a>,
    mut matches_any: impl FnMut(Scalar<'a>) -> Option<bool>,
) -> bool {
    if value.is_missing() {
        return mode.if_exists
            || match mode.qualifier {
                Qualifier::ForAllValues => true,
                Qualifier::ForAnyValue => false,
                Qualifier::Single => mode.negated,
            };
    }
    let mut holds = |s: Scalar<'a>| matches_any(s).map(|m| m != mode.negated);
    match mode.qualifier {
        Qualifier::Single => {
            if value.is_multi() {
                return false;
            }
            value.iter().next().and_then(&mut holds).unwrap_or(false)
        }
        Qualifier::ForAllValues => value.iter().all(|s| holds(s) == Some(true)),
        Qualifier::ForAnyValue => value.iter().any(|s| holds(s) == Some(true)),
    }
}

/// A `StringEquals`-family condition against constant values and at most one more value (a
/// policy variable's, already substituted): what generated code of large policy sets calls
/// instead of instantiating [`check`] per condition.
#[inline(always)]
pub fn text_in(
    mode: Mode,
    value: Resolved<'_>,
    constants: &[&str],
    extra: Option<&str>,
    ignore_case: bool,
) -> bool {
    if mode == Mode::PLAIN {
        // What `check` does for this mode, without a closure call per value: only a single
        // value that reads as text can match (tests check that the two agree).
        return match value {
            Resolved::One(s) => {
                as_text(s).is_some_and(|t| text_matches(t, constants, extra, ignore_case))
            }
            _ => false,
        };
    }
    text_in_any_mode(mode, value, constants, extra, ignore_case)
}

/// [`text_in`] of any mode, through [`check`] (kept out of its callers: most conditions are
/// plain).
#[inline(never)]
fn text_in_any_mode(
    mode: Mode,
    value: Resolved<'_>,
    constants: &[&str],
    extra: Option<&str>,
    ignore_case: bool,
) -> bool {
    check(mode, value, |s| {
        Some(text_matches(as_text(s)?, constants, extra, ignore_case))
    })
}

/// Whether `t` is one of `constants` or `extra`.
#[inline(always)]
fn text_matches(t: &str, constants: &[&str], extra: Option<&str>, ignore_case: bool) -> bool {
    let equal = |c: &str| {
        if ignore_case {
            eq_ignore_case(c, t)
        } else {
            crate::bytes::eq(c.as_bytes(), t.as_bytes())
        }
    };
    for c in constants {
        if equal(c) {
            return true;
        }
    }
    extra.is_some_and(equal)
}

/// [`crate::scalar::eq_ignore_case`], kept out of the callers of [`text_matches`] (which
/// mostly compare exactly).
#[inline(never)]
fn eq_ignore_case(a: &str, b: &str) -> bool {
    crate::scalar::eq_ignore_case(a, b)
}

/// The `Null` operator. `want_missing` / `want_present` say whether the policy values include
/// `true` / `false` (several values are ORed, so both makes the condition always true).
/// A multi-valued key with no values counts as missing.
pub fn null(value: Resolved<'_>, want_missing: bool, want_present: bool) -> bool {
    let missing = value.iter().next().is_none();
    (missing && want_missing) || (!missing && want_present)
}

/// Comparison of the numeric and date operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `…Equals` (and, negated, `…NotEquals`).
    Eq,
    /// `…LessThan`.
    Lt,
    /// `…LessThanEquals`.
    Le,
    /// `…GreaterThan`.
    Gt,
    /// `…GreaterThanEquals`.
    Ge,
}

impl Cmp {
    /// `request_value CMP policy_value`.
    #[inline]
    pub fn holds<T: PartialOrd>(self, request_value: T, policy_value: T) -> bool {
        match self {
            Cmp::Eq => request_value == policy_value,
            Cmp::Lt => request_value < policy_value,
            Cmp::Le => request_value <= policy_value,
            Cmp::Gt => request_value > policy_value,
            Cmp::Ge => request_value >= policy_value,
        }
    }
}

/// The value a policy variable stands for: the key's single string value, else the variable's
/// default; `None` when neither exists (the condition or pattern using it then fails).
#[inline]
pub fn variable<'a>(value: Resolved<'a>, default: Option<&'a str>) -> Option<&'a str> {
    value.as_variable().or(default)
}

/// A request value as text, for the string and ARN operators. Booleans read as `true`/`false`;
/// numbers, times and addresses have no text form here (they do not match string operators).
#[inline]
pub fn as_text(s: Scalar<'_>) -> Option<&str> {
    match s {
        Scalar::Str(t) => Some(t),
        Scalar::Bool(true) => Some("true"),
        Scalar::Bool(false) => Some("false"),
        _ => None,
    }
}

/// A request value as an ARN, for the ARN operators: `None` when it is not an ARN.
#[inline]
pub fn as_arn(s: Scalar<'_>) -> Option<&str> {
    as_text(s).filter(|t| crate::arn::is_arn(t))
}

/// A request value as a number, for the numeric operators.
#[inline]
pub fn as_number(s: Scalar<'_>) -> Option<f64> {
    match s {
        Scalar::Str(t) => scalar::parse_number(t),
        Scalar::Number(n) if !n.is_nan() => Some(n),
        _ => None,
    }
}

/// A request value as a point in time, for the date operators: a date string, a time, or a
/// whole number of seconds since the epoch.
#[inline]
pub fn as_time(s: Scalar<'_>) -> Option<Timestamp> {
    match s {
        Scalar::Str(t) => Timestamp::parse(t),
        Scalar::Time(t) => Some(t),
        // Whole seconds only (no `f64::fract` in core): the cast round-trips exactly.
        Scalar::Number(n) if n > -1e15 && n < 1e15 && (n as i64) as f64 == n => {
            Some(Timestamp::from_millis((n as i64).saturating_mul(1000)))
        }
        _ => None,
    }
}

/// A request value as a boolean, for `Bool` (`true`/`false` in any case).
#[inline]
pub fn as_bool(s: Scalar<'_>) -> Option<bool> {
    match s {
        Scalar::Str(t) => scalar::parse_bool(t),
        Scalar::Bool(b) => Some(b),
        _ => None,
    }
}

/// A request value as an IP address, for `IpAddress`.
#[inline]
pub fn as_ip(s: Scalar<'_>) -> Option<IpAddr> {
    match s {
        Scalar::Str(t) => ip::parse_ip(t),
        Scalar::Ip(ip) => Some(ip),
        _ => None,
    }
}

/// Does the request value fall in any of the blocks?
#[inline]
pub fn ip_in_any(s: Scalar<'_>, blocks: &[Cidr]) -> Option<bool> {
    let ip = as_ip(s)?;
    Some(blocks.iter().any(|b| b.contains(ip)))
}

/// Does the request value compare as `cmp` with any of the numbers?
#[inline]
pub fn number_any(s: Scalar<'_>, cmp: Cmp, values: &[f64]) -> Option<bool> {
    let n = as_number(s)?;
    Some(values.iter().any(|v| cmp.holds(n, *v)))
}

/// Does the request value compare as `cmp` with any of the times?
#[inline]
pub fn time_any(s: Scalar<'_>, cmp: Cmp, values: &[Timestamp]) -> Option<bool> {
    let t = as_time(s)?;
    Some(values.iter().any(|v| cmp.holds(t, *v)))
}

/// Is the request value one of the booleans?
#[inline]
pub fn bool_any(s: Scalar<'_>, values: &[bool]) -> Option<bool> {
    let b = as_bool(s)?;
    Some(values.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEG: Mode = Mode {
        negated: true,
        qualifier: Qualifier::Single,
        if_exists: false,
    };
    const ALL: Mode = Mode {
        negated: false,
        qualifier: Qualifier::ForAllValues,
        if_exists: false,
    };
    const ANY: Mode = Mode {
        negated: false,
        qualifier: Qualifier::ForAnyValue,
        if_exists: false,
    };

    fn eq_any(values: &'static [&'static str]) -> impl FnMut(Scalar<'_>) -> Option<bool> {
        move |s| as_text(s).map(|t| values.contains(&t))
    }

    #[test]
    fn missing_key_rules() {
        let m = Resolved::Missing;
        assert!(!check(Mode::PLAIN, m, eq_any(&["a"])));
        assert!(check(NEG, m, eq_any(&["a"])), "negated: true");
        assert!(check(ALL, m, eq_any(&["a"])), "ForAllValues: true");
        assert!(!check(ANY, m, eq_any(&["a"])), "ForAnyValue: false");
        let if_exists = Mode {
            if_exists: true,
            ..Mode::PLAIN
        };
        assert!(check(if_exists, m, eq_any(&["a"])));
        let any_if_exists = Mode {
            if_exists: true,
            ..ANY
        };
        assert!(check(any_if_exists, m, eq_any(&["a"])));
    }

    #[test]
    fn negation_is_nor_over_policy_values() {
        let v = Resolved::One(Scalar::Str("hr"));
        assert!(!check(NEG, v, eq_any(&["legal", "hr"])));
        let v = Resolved::One(Scalar::Str("eng"));
        assert!(check(NEG, v, eq_any(&["legal", "hr"])));
    }

    #[test]
    fn set_qualifiers() {
        let l = ["A", "B"];
        assert!(check(ALL, Resolved::List(&l), eq_any(&["A", "B", "C"])));
        assert!(!check(
            ALL,
            Resolved::List(&["A", "X"]),
            eq_any(&["A", "B"])
        ));
        assert!(
            check(ALL, Resolved::List(&[]), eq_any(&["A"])),
            "empty: true"
        );
        assert!(check(ANY, Resolved::List(&["Z", "A"]), eq_any(&["A"])));
        assert!(!check(ANY, Resolved::List(&[]), eq_any(&["A"])));
        // A single value behaves as a one-element set under a qualifier.
        assert!(check(ALL, Resolved::One(Scalar::Str("A")), eq_any(&["A"])));
        // ForAnyValue with a negated operator: some value matches none of the policy values.
        let any_not = Mode {
            negated: true,
            ..ANY
        };
        assert!(check(
            any_not,
            Resolved::List(&["Apple", "Cherry"]),
            eq_any(&["Apple"])
        ));
        let all_not = Mode {
            negated: true,
            ..ALL
        };
        assert!(!check(
            all_not,
            Resolved::List(&["Apple", "Cherry"]),
            eq_any(&["Apple"])
        ));
    }

    #[test]
    fn a_list_without_qualifier_never_matches() {
        assert!(!check(Mode::PLAIN, Resolved::List(&["A"]), eq_any(&["A"])));
        assert!(!check(NEG, Resolved::List(&["A"]), eq_any(&["B"])));
    }

    #[test]
    fn unreadable_values_fail_closed_even_when_negated() {
        let v = Resolved::One(Scalar::Str("not-a-number"));
        let num = |s| number_any(s, Cmp::Eq, &[1.0]);
        assert!(!check(Mode::PLAIN, v, num));
        assert!(!check(NEG, v, num));
        // Under ForAnyValue an unreadable element does not count; another may still match.
        let l = ["x", "1"];
        assert!(check(ANY, Resolved::List(&l), num));
        assert!(!check(ALL, Resolved::List(&l), num));
    }

    #[test]
    fn null_operator() {
        assert!(null(Resolved::Missing, true, false));
        assert!(!null(Resolved::Missing, false, true));
        assert!(null(Resolved::One(Scalar::Str("x")), false, true));
        assert!(!null(Resolved::One(Scalar::Str("x")), true, false));
        assert!(
            null(Resolved::List(&[]), true, false),
            "empty list is missing"
        );
        assert!(null(Resolved::Missing, true, true));
    }

    #[test]
    fn typed_reads() {
        assert_eq!(as_number(Scalar::Str("2.5")), Some(2.5));
        assert_eq!(as_number(Scalar::Number(f64::NAN)), None);
        assert_eq!(as_bool(Scalar::Str("TRUE")), Some(true));
        assert_eq!(
            as_time(Scalar::Number(1.0)),
            Some(Timestamp::from_millis(1000))
        );
        assert_eq!(as_text(Scalar::Number(1.0)), None);
        assert!(Cmp::Le.holds(1, 1) && !Cmp::Lt.holds(1, 1) && Cmp::Gt.holds(2, 1));
    }
}
