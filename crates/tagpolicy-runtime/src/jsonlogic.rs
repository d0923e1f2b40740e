//! JSON Logic value semantics: exactly those of the reference implementation, json-logic-js.
//!
//! json-logic-js operators are thin wrappers around JavaScript operations (`a == b`, `a < b`,
//! `parseFloat`, `String(x).substr(…)`, `b.indexOf(a)`), so this module implements the ECMAScript
//! abstract operations they rely on (ToNumber, ToString, ToPrimitive, IsLooselyEqual, IsLessThan,
//! Number::toString, `parseFloat`, `String.prototype.substr`/`indexOf`) over a borrowed [`Val`].
//! Nothing here allocates: strings built by JavaScript (the ToString of an array, of a number) are
//! streamed through [`core::fmt::Write`] adapters that compare as they go, or formatted into small
//! stack buffers.
//!
//! What a borrowed value cannot represent, and the choice made for it:
//! - **Identity of arrays and objects.** JavaScript compares two arrays (or objects) with `==` and
//!   `===` by identity. Here a [`Val::Arr`], [`Val::Strs`] or [`Val::Obj`] is "the same object" as
//!   another exactly when both are the same variant over the same slice (same address and length,
//!   [`core::ptr::eq`]). Callers must give distinct JavaScript objects distinct slices (a literal
//!   array in a rule is a fresh object at every evaluation in json-logic-js, so `[1] == [1]` is
//!   false) and the same slice for the same object (`{"var": "a"}` read twice). Empty slices may
//!   share an address, so two different empty arrays can look identical: decide that case before
//!   calling if it matters.
//! - **Lone surrogates.** JavaScript strings are UTF-16 and `substr` can cut a surrogate pair in
//!   half; a `&str` cannot hold half a character, so a cut inside a pair keeps the whole character
//!   (see [`substr`]).
//!
//! ```
//! use tagpolicy_runtime::jsonlogic::{contains, loose_eq, lt, truthy, Val};
//! assert!(loose_eq(Val::Num(1.0), Val::Str("1")));
//! assert!(contains(Val::Str("a1"), Val::Num(1.0)));
//! assert!(!truthy(Val::Arr(&[])) && truthy(Val::Str("0")));
//! assert!(!lt(Val::Strs(&["2"]), Val::Str("10"))); // both strings: "2" < "10" is false
//! ```

use core::cmp::Ordering;
use core::fmt::{self, Write};

/// A JSON value as JSON Logic sees it, borrowed from the request, the rule's constants, or an evaluation's scratch space.
///
/// The derived `PartialEq` is Rust's structural equality (handy in tests); JavaScript's equalities
/// are [`loose_eq`] and [`strict_eq`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val<'a> {
    /// JSON `null` (json-logic-js also turns `undefined` into `null` where it returns values).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (IEEE double, as in JavaScript; may be NaN, infinite or `-0`).
    Num(f64),
    /// A string.
    Str(&'a str),
    /// An array of strings (a tag group), without building `Val`s for its elements.
    Strs(&'a [&'a str]),
    /// An array.
    Arr(&'a [Val<'a>]),
    /// An object: its members in order.
    Obj(&'a [(&'a str, Val<'a>)]),
}

impl<'a> Val<'a> {
    /// The number of elements of an array ([`Val::Arr`] or [`Val::Strs`]); `None` for anything else.
    pub fn len(&self) -> Option<usize> {
        match *self {
            Val::Arr(xs) => Some(xs.len()),
            Val::Strs(xs) => Some(xs.len()),
            _ => None,
        }
    }

    /// Whether this is an array without elements; `None` if it is not an array.
    pub fn is_empty(&self) -> Option<bool> {
        self.len().map(|n| n == 0)
    }

    /// Element `i` of an array (a [`Val::Strs`] element as [`Val::Str`]); `None` past the end or
    /// for anything that is not an array.
    pub fn index(&self, i: usize) -> Option<Val<'a>> {
        match *self {
            Val::Arr(xs) => xs.get(i).copied(),
            Val::Strs(xs) => xs.get(i).map(|s| Val::Str(s)),
            _ => None,
        }
    }

    /// JavaScript property access `value[key]` for the properties JSON data has, as json-logic-js
    /// `var` uses it; `None` is `undefined`.
    ///
    /// - Object: the first member named `key` (a parser should keep the *last* of duplicate keys,
    ///   as `JSON.parse` does, before building the slice).
    /// - Array: `key` a canonical array index (`"0"`, `"12"`; not `"01"`, `"+1"`, `"1.0"`) gives the
    ///   element; `"length"` gives the length as a number.
    /// - String: `"length"` is its length in UTF-16 code units; an index gives that code unit as a
    ///   one-character string (a unit inside a surrogate pair gives the whole character, see
    ///   [`substr`]).
    /// - Anything else: `None`. Inherited JavaScript properties (`"constructor"`, `"toString"`, …)
    ///   are not modelled.
    pub fn get(&self, key: &str) -> Option<Val<'a>> {
        match *self {
            Val::Obj(members) => members.iter().find(|(k, _)| *k == key).map(|&(_, v)| v),
            Val::Arr(_) | Val::Strs(_) => {
                if key == "length" {
                    self.len().map(|n| Val::Num(n as f64))
                } else {
                    array_index(key).and_then(|i| self.index(i))
                }
            }
            Val::Str(s) => {
                if key == "length" {
                    Some(Val::Num(utf16_len(s) as f64))
                } else {
                    let i = array_index(key)?;
                    (i < utf16_len(s)).then(|| Val::Str(utf16_slice(s, i, i.saturating_add(1))))
                }
            }
            _ => None,
        }
    }

    /// Whether this is an array (`Array.isArray`): [`Val::Arr`] or [`Val::Strs`].
    pub fn is_array(&self) -> bool {
        matches!(self, Val::Arr(_) | Val::Strs(_))
    }
}

/// A canonical array index: `"0"` or decimal digits without a leading zero, fitting a `usize`.
fn array_index(key: &str) -> Option<usize> {
    let bytes = key.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes.first() == Some(&b'0') {
        return None;
    }
    bytes.iter().try_fold(0usize, |acc, &b| {
        acc.checked_mul(10)?
            .checked_add(usize::from(b.saturating_sub(b'0')))
    })
}

/// JSON Logic truthiness (`jsonLogic.truthy`: `[]` is falsy, otherwise JavaScript `!!value`).
///
/// Falsy: `[]`, `0`, `-0`, `NaN`, `""`, `null`, `false`. Truthy: everything else, including `{}`,
/// `"0"`, `"false"` and non-empty arrays.
#[inline]
pub fn truthy(v: Val<'_>) -> bool {
    match v {
        Val::Null => false,
        Val::Bool(b) => b,
        Val::Num(n) => !(n == 0.0 || n.is_nan()),
        Val::Str(s) => !s.is_empty(),
        Val::Strs(xs) => !xs.is_empty(),
        Val::Arr(xs) => !xs.is_empty(),
        Val::Obj(_) => true,
    }
}

/// ECMAScript ToNumber (`+v`, and what `-`, `/`, `%`, `<` and `==` apply).
///
/// `null` → 0, booleans → 0/1, strings by StringToNumber (JavaScript whitespace trimmed, `""` → 0,
/// decimal literals with optional sign, fraction and exponent, `Infinity` with optional sign,
/// unsigned `0x`/`0o`/`0b` integers, anything else NaN), objects NaN, arrays through ToPrimitive:
/// their ToString, so `[]` → 0, `[5]` → 5, `["7"]` → 7, `[null]` → 0, `[true]` → NaN, `[1,2]` →
/// NaN (the join contains a comma, which no number does).
pub fn to_number(v: Val<'_>) -> f64 {
    match v {
        Val::Null => 0.0,
        Val::Bool(b) => bool_number(b),
        Val::Num(n) => n,
        Val::Str(s) => str_to_number(s),
        Val::Arr(xs) => match xs {
            [] => 0.0,
            [x] => element_to_number(*x),
            _ => f64::NAN,
        },
        Val::Strs(xs) => match xs {
            [] => 0.0,
            [s] => str_to_number(s),
            _ => f64::NAN,
        },
        Val::Obj(_) => f64::NAN,
    }
}

/// ToNumber(ToString(x)) for the only element `x` of an array (array ToString writes `null` as "").
fn element_to_number(v: Val<'_>) -> f64 {
    match v {
        Val::Null => 0.0,
        Val::Bool(_) | Val::Obj(_) => f64::NAN,
        // ToString(-0) is "0": the round trip loses the sign of zero; other numbers round-trip.
        Val::Num(n) => n + 0.0,
        Val::Str(s) => str_to_number(s),
        Val::Arr(_) | Val::Strs(_) => to_number(v),
    }
}

fn bool_number(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// JavaScript whitespace for number parsing (StrWhiteSpaceChar: WhiteSpace and LineTerminator).
///
/// Unlike `char::is_whitespace` it includes U+FEFF and excludes U+0085.
fn is_js_ws(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// StringToNumber.
fn str_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_ws);
    if t.is_empty() {
        return 0.0;
    }
    if let Some(v) = non_decimal_integer(t) {
        return v;
    }
    match decimal_prefix(t) {
        Some((n, v)) if n == t.len() => v,
        _ => f64::NAN,
    }
}

/// `0x…`, `0o…`, `0b…` (any case of the letter, no sign): `Some(value)`, `Some(NaN)` if the digits
/// are invalid or missing, `None` if `t` does not start with such a prefix.
fn non_decimal_integer(t: &str) -> Option<f64> {
    let (radix, digits) = match t.as_bytes() {
        [b'0', b'x' | b'X', rest @ ..] => (16u32, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        _ => return None,
    };
    if digits.is_empty() {
        return Some(f64::NAN);
    }
    // Exact value = acc · radix^extra, plus something non-zero below if `sticky`.
    let mut acc: u64 = 0;
    let mut extra: u32 = 0;
    let mut sticky = false;
    let mut overflowed = false;
    for &b in digits {
        let Some(d) = char::from(b).to_digit(radix) else {
            return Some(f64::NAN);
        };
        if !overflowed {
            match acc
                .checked_mul(u64::from(radix))
                .and_then(|x| x.checked_add(u64::from(d)))
            {
                Some(next) => {
                    acc = next;
                    continue;
                }
                None => overflowed = true,
            }
        }
        extra = extra.saturating_add(1);
        sticky |= d != 0;
    }
    // Once overflowed, `acc` has at least 60 significant bits, so its lowest bit lies below the
    // rounding position of a double: setting it for a non-zero tail keeps round-half-to-even right.
    let mut v = (acc | u64::from(sticky)) as f64;
    let bits_per_digit = match radix {
        16 => 4,
        8 => 3,
        _ => 1,
    };
    // Scaling by a power of two is exact until it overflows to infinity (2^1100 > f64::MAX).
    let shift = extra.saturating_mul(bits_per_digit).min(1100);
    for _ in 0..shift {
        v *= 2.0;
    }
    Some(v)
}

/// The longest prefix of `s` that is a StrDecimalLiteral (sign, then `Infinity` or digits with an
/// optional fraction and exponent): its length in bytes and its value. `None` if there is none.
fn decimal_prefix(s: &str) -> Option<(usize, f64)> {
    let bytes = s.as_bytes();
    let (negative, body) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    if let Some(rest) = body.strip_prefix(b"Infinity") {
        let v = if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Some((bytes.len().saturating_sub(rest.len()), v));
    }
    let (mut rest, int_digits) = skip_digits(body);
    let mut frac_digits = 0;
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let (after_frac, n) = skip_digits(after_dot);
        if int_digits > 0 || n > 0 {
            rest = after_frac;
            frac_digits = n;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if let Some(after_e) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let unsigned = after_e
            .strip_prefix(b"+")
            .or_else(|| after_e.strip_prefix(b"-"))
            .unwrap_or(after_e);
        let (after_exp, n) = skip_digits(unsigned);
        if n > 0 {
            rest = after_exp;
        }
    }
    let len = bytes.len().saturating_sub(rest.len());
    // The prefix is ASCII digits, sign, '.', 'e': core's correctly rounded parser accepts all of
    // it (including "1.", ".5", huge exponents) and never fails here.
    let value = s.get(..len)?.parse::<f64>().unwrap_or(f64::NAN);
    Some((len, value))
}

fn skip_digits(b: &[u8]) -> (&[u8], usize) {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    (b.get(n..).unwrap_or_default(), n)
}

/// JavaScript `parseFloat(ToString(v))`, which json-logic-js `+` and `*` apply to every operand.
///
/// Leading JavaScript whitespace is skipped, then the longest prefix that is a decimal literal
/// (`"12px"` → 12, `"1e"` → 1, `".5"` → 0.5, `"-Infinity!"` → -∞) is converted; no such prefix
/// gives NaN (`""`, `"x1"`, `"0x10"` → 0 since only the `0` is read). Non-strings go through
/// ToString first: `null`, booleans and objects give NaN, `-0` gives `0`, arrays read their first
/// element (`[1, 2]` is `"1,2"` → 1; `[]` is `""` → NaN).
pub fn parse_float(v: Val<'_>) -> f64 {
    match v {
        // "null", "true", "false", "[object Object]".
        Val::Null | Val::Bool(_) | Val::Obj(_) => f64::NAN,
        // ToString round-trips every number except -0 ("0").
        Val::Num(n) => n + 0.0,
        Val::Str(s) => parse_float_str(s),
        // The join is ToString(first) "," …: the comma ends any number, and a first element that
        // is empty or blank gives NaN either way (array ToString writes null as "": NaN too).
        Val::Arr(xs) => xs.first().map_or(f64::NAN, |x| parse_float(*x)),
        Val::Strs(xs) => xs.first().map_or(f64::NAN, |s| parse_float_str(s)),
    }
}

fn parse_float_str(s: &str) -> f64 {
    decimal_prefix(s.trim_start_matches(is_js_ws)).map_or(f64::NAN, |(_, v)| v)
}

/// JavaScript Number::toString (radix 10), what `String(n)` and `"" + n` produce.
///
/// Shortest digits that round-trip; `-0` → `"0"`, `"NaN"`, `"Infinity"`, `"-Infinity"`; decimal
/// notation for 1e-6 ≤ |n| < 1e21 (`"0.000001"`, `"123456789012345680000"`), exponential
/// otherwise (`"1e-7"`, `"1.5e-7"`, `"1e+21"`, `"-2e-9"`). When two shortest digit strings are
/// equally close to `n` (its exact value lies halfway between them), JavaScript takes the even one
/// (`22749.710083007812`, exactly …8125), while Rust's shortest formatting may take the other:
/// that case is detected exactly and corrected.
pub fn write_number(n: f64, out: &mut impl Write) -> fmt::Result {
    if n.is_nan() {
        return out.write_str("NaN");
    }
    if n == 0.0 {
        return out.write_str("0");
    }
    if n.is_infinite() {
        return out.write_str(if n < 0.0 { "-Infinity" } else { "Infinity" });
    }
    if n < 0.0 {
        out.write_char('-')?;
    }
    let x = n.abs();
    // `{:e}` gives the shortest round-trip digits: "1.2345e-7", "5e-324", "1.7976931348623157e308".
    let mut sci = StackBuf::<32>::new();
    write!(sci, "{x:e}")?;
    let (mantissa, exponent) = sci.as_str().split_once('e').ok_or(fmt::Error)?;
    let exponent: i32 = exponent.parse().map_err(|_| fmt::Error)?;
    // x ≈ s × 10^q with s an integer of at most 17 digits.
    let mut s: u64 = 0;
    let mut len: i32 = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        s = s
            .checked_mul(10)
            .and_then(|s| s.checked_add(u64::from(b.saturating_sub(b'0'))))
            .ok_or(fmt::Error)?;
        len = len.saturating_add(1);
    }
    let q = exponent.saturating_sub(len).saturating_add(1);
    let s = even_on_tie(x, s, q);
    let mut digit_buf = StackBuf::<24>::new();
    write!(digit_buf, "{s}")?;
    let all_digits = digit_buf.as_str();
    let digits = all_digits.trim_end_matches('0');
    let k = i32::try_from(digits.len()).map_err(|_| fmt::Error)?;
    // ECMAScript's n: the value is 0.d1d2…dk × 10^point.
    let point = i32::try_from(all_digits.len())
        .map_err(|_| fmt::Error)?
        .saturating_add(q);
    if k <= point && point <= 21 {
        out.write_str(digits)?;
        for _ in 0..point.saturating_sub(k) {
            out.write_char('0')?;
        }
        Ok(())
    } else if 0 < point && point <= 21 {
        let split = usize::try_from(point).map_err(|_| fmt::Error)?;
        let (int, frac) = digits.split_at_checked(split).ok_or(fmt::Error)?;
        out.write_str(int)?;
        out.write_char('.')?;
        out.write_str(frac)
    } else if -6 < point && point <= 0 {
        out.write_str("0.")?;
        for _ in 0..point.saturating_neg() {
            out.write_char('0')?;
        }
        out.write_str(digits)
    } else {
        let (first, rest) = digits.split_at_checked(1).ok_or(fmt::Error)?;
        out.write_str(first)?;
        if !rest.is_empty() {
            out.write_char('.')?;
            out.write_str(rest)?;
        }
        let e = point.saturating_sub(1);
        out.write_str(if e < 0 { "e-" } else { "e+" })?;
        write!(out, "{}", e.unsigned_abs())
    }
}

/// Given the shortest digits `s × 10^q` of the positive finite `x`, the digits JavaScript prints:
/// if `x` is exactly halfway between `s` and `s ± 1` (both then round-trip) and `s` is odd, the
/// even neighbour.
///
/// Exact test without big numbers: write `x = r × 2^z / 2` with `r` odd. `2x = (2s ± 1) × 10^q`
/// has the odd factor `(2s ± 1) × 5^q` and the power of two `2^q`, so it holds iff `z == q` and
/// `r == (2s ± 1) × 5^q` (for `q ≥ 0`) or `r × 5^-q == 2s ± 1` (for `q < 0`); anything that
/// overflows a `u64` cannot be equal (`r < 2^53`, `2s ± 1 < 2^58`).
fn even_on_tie(x: f64, s: u64, q: i32) -> u64 {
    if s % 2 == 0 {
        return s;
    }
    let bits = x.to_bits();
    let biased = (bits >> 52) & 0x7FF;
    let fraction = bits & 0x000F_FFFF_FFFF_FFFF;
    let (m, e) = if biased == 0 {
        (fraction, -1074i32)
    } else {
        (
            fraction | 0x0010_0000_0000_0000,
            i32::try_from(biased).unwrap_or(0).saturating_sub(1075),
        )
    };
    if m == 0 {
        return s;
    }
    let tz = m.trailing_zeros();
    let r = m.checked_shr(tz).unwrap_or(m);
    let z = e
        .saturating_add(1)
        .saturating_add(i32::try_from(tz).unwrap_or(0));
    if z != q {
        return s;
    }
    let five_q = 5u64.checked_pow(q.unsigned_abs());
    let halfway = |twice: Option<u64>| -> bool {
        match (twice, five_q) {
            (Some(t), Some(p)) if q >= 0 => t.checked_mul(p) == Some(r),
            (Some(t), Some(p)) => r.checked_mul(p) == Some(t),
            _ => false,
        }
    };
    let twice = s.checked_mul(2);
    let candidate = if halfway(twice.and_then(|t| t.checked_sub(1))) {
        s.checked_sub(1)
    } else if halfway(twice.and_then(|t| t.checked_add(1))) {
        s.checked_add(1)
    } else {
        None
    };
    // Both neighbours are equally close; make sure the even one reads back as `x` (it does unless
    // `x` sits at a power-of-two boundary, where the gap below is narrower).
    match candidate {
        Some(c) if c > 0 && reads_back(c, q, x) => c,
        _ => s,
    }
}

/// Whether `c × 10^q` parses back to `x`.
fn reads_back(c: u64, q: i32, x: f64) -> bool {
    let mut text = StackBuf::<40>::new();
    write!(text, "{c}e{q}").is_ok() && text.as_str().parse::<f64>() == Ok(x)
}

/// JavaScript ToString (`String(v)`).
///
/// `null` → `"null"`, `"true"`/`"false"`, numbers by [`write_number`], strings as they are,
/// arrays as `join(",")` with `null` elements written as `""` and nested arrays recursively, objects
/// `"[object Object]"`. (json-logic-js `cat` joins its arguments, so there a `null` argument is
/// `""` too: the caller handles that.) Stops at the first error of `out`.
pub fn write_string(v: Val<'_>, out: &mut impl Write) -> fmt::Result {
    match v {
        Val::Null => out.write_str("null"),
        Val::Bool(b) => out.write_str(if b { "true" } else { "false" }),
        Val::Num(n) => write_number(n, out),
        Val::Str(s) => out.write_str(s),
        Val::Strs(xs) => {
            for (i, s) in xs.iter().enumerate() {
                if i > 0 {
                    out.write_char(',')?;
                }
                out.write_str(s)?;
            }
            Ok(())
        }
        Val::Arr(xs) => {
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.write_char(',')?;
                }
                if *x != Val::Null {
                    write_string(*x, out)?;
                }
            }
            Ok(())
        }
        Val::Obj(_) => out.write_str("[object Object]"),
    }
}

/// JavaScript `a == b` (IsLooselyEqual).
///
/// `null` equals only `null`; a boolean is compared as the number 0 or 1; a number and a string
/// compare as numbers (ToNumber of the string); an array or object against a primitive is
/// converted with ToPrimitive (its ToString) first (`[1] == 1`, `["a"] == "a"`, `[] == ""`,
/// `[] == false`, `[0] == false`, `{} == "[object Object]"`); two arrays or objects are equal only
/// if they are the same object, i.e. the same variant over the identical slice (see the module
/// documentation). NaN equals nothing.
pub fn loose_eq(a: Val<'_>, b: Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Bool(x), _) => loose_eq(Val::Num(bool_number(x)), b),
        (_, Val::Bool(y)) => loose_eq(a, Val::Num(bool_number(y))),
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Num(x), Val::Str(s)) | (Val::Str(s), Val::Num(x)) => x == str_to_number(s),
        // Array or object against a number: ToPrimitive gives a string, compared as a number.
        (Val::Num(x), other) | (other, Val::Num(x)) => to_number(other) == x,
        (Val::Str(s), other) | (other, Val::Str(s)) => {
            cmp_to_string(other, Val::Str(s)) == Ordering::Equal
        }
        _ => strict_eq(a, b),
    }
}

/// JavaScript `a === b` (IsStrictlyEqual).
///
/// Same type and value; NaN is not equal to itself, `-0 === 0`; arrays and objects only if they
/// are the same object (same variant over the identical slice, so a [`Val::Strs`] and a
/// [`Val::Arr`] holding the same strings are different objects).
pub fn strict_eq(a: Val<'_>, b: Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Strs(x), Val::Strs(y)) => core::ptr::eq(x, y),
        (Val::Arr(x), Val::Arr(y)) => core::ptr::eq(x, y),
        (Val::Obj(x), Val::Obj(y)) => core::ptr::eq(x, y),
        _ => false,
    }
}

/// JavaScript IsLessThan(a, b): `Some(a < b)`, or `None` for "undefined" (a NaN operand).
///
/// Both operands ToPrimitive'd (arrays and objects become their ToString). If both are then strings
/// they are compared by UTF-16 code units, not bytes or code points (`"\u{10000}" < "\u{FFFF}"`)
/// and never undefined (`[2] < "10"` is false: `"2"` against `"10"`); otherwise both go through
/// ToNumber and a NaN gives `None`.
#[inline]
pub fn less_than(a: Val<'_>, b: Val<'_>) -> Option<bool> {
    if let (Val::Num(x), Val::Num(y)) = (a, b) {
        // Two numbers: ToPrimitive and ToNumber change nothing.
        return (!x.is_nan() && !y.is_nan()).then_some(x < y);
    }
    less_than_converted(a, b)
}

/// [`less_than`] of operands that are not both numbers.
fn less_than_converted(a: Val<'_>, b: Val<'_>) -> Option<bool> {
    if is_string_like(a) && is_string_like(b) {
        return Some(cmp_to_string(a, b) == Ordering::Less);
    }
    let (x, y) = (to_number(a), to_number(b));
    if x.is_nan() || y.is_nan() {
        None
    } else {
        Some(x < y)
    }
}

/// Whether ToPrimitive(v) is a string.
fn is_string_like(v: Val<'_>) -> bool {
    matches!(v, Val::Str(_) | Val::Strs(_) | Val::Arr(_) | Val::Obj(_))
}

/// JavaScript `a < b`: [`less_than`], undefined counting as false.
#[inline]
pub fn lt(a: Val<'_>, b: Val<'_>) -> bool {
    less_than(a, b) == Some(true)
}

/// JavaScript `a <= b`: `!(b < a)`, except that undefined (NaN) gives false.
#[inline]
pub fn le(a: Val<'_>, b: Val<'_>) -> bool {
    less_than(b, a) == Some(false)
}

/// JavaScript `a > b`: `b < a`, undefined counting as false.
#[inline]
pub fn gt(a: Val<'_>, b: Val<'_>) -> bool {
    less_than(b, a) == Some(true)
}

/// JavaScript `a >= b`: `!(a < b)`, except that undefined (NaN) gives false.
#[inline]
pub fn ge(a: Val<'_>, b: Val<'_>) -> bool {
    less_than(a, b) == Some(false)
}

/// json-logic-js `in`: `if (!b || typeof b.indexOf === "undefined") return false; return
/// b.indexOf(a) !== -1;` with `b` the haystack and `a` the needle.
///
/// - String haystack: `String.prototype.indexOf`, a substring test of ToString(needle) (`1` is in
///   `"a1"`, `""` is in any non-empty string). An empty haystack is falsy: always false.
/// - Array haystack: `Array.prototype.indexOf`, strict equality with some element (so `"1"` is not
///   in `[1]`, NaN is never found).
/// - Anything else: false. (In JavaScript an object with its own `indexOf` member would make the
///   call throw; here it is simply false.)
#[inline]
pub fn contains(haystack: Val<'_>, needle: Val<'_>) -> bool {
    match haystack {
        Val::Str(h) => !h.is_empty() && str_contains_to_string(h, needle),
        Val::Arr(xs) => xs.iter().any(|x| strict_eq(*x, needle)),
        Val::Strs(xs) => match needle {
            Val::Str(n) => xs.contains(&n),
            _ => false,
        },
        _ => false,
    }
}

/// Whether ToString(needle) occurs in `hay`.
///
/// UTF-16 code unit search and UTF-8 byte search agree: neither string has lone surrogates, so a
/// match always starts and ends on character boundaries.
fn str_contains_to_string(hay: &str, needle: Val<'_>) -> bool {
    if let Val::Str(n) = needle {
        return hay.contains(n);
    }
    let mut small = StackBuf::<64>::new();
    if write_string(needle, &mut small).is_ok() {
        return hay.contains(small.as_str());
    }
    // A long array: stream its ToString against every position (it has more than 64 bytes, so it
    // can only match where that much text is left).
    hay.char_indices().any(|(i, _)| {
        let mut m = PrefixMatch {
            rest: hay.get(i..).unwrap_or_default(),
        };
        write_string(needle, &mut m).is_ok()
    })
}

/// Accepts what it is written while it is a prefix of `rest`.
struct PrefixMatch<'s> {
    rest: &'s str,
}

impl Write for PrefixMatch<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.rest = self.rest.strip_prefix(s).ok_or(fmt::Error)?;
        Ok(())
    }
}

/// json-logic-js `substr`: `String(source).substr(start, end)`, or for a negative `end`
/// `temp = String(source).substr(start); temp.substr(0, temp.length + end)`.
///
/// `source` is already ToString'd by the caller. Positions count UTF-16 code units. `start`:
/// ToIntegerOrInfinity of the argument (NaN → 0, truncated); negative counts from the end (clamped
/// to 0), past the end gives `""`. `len`: `None` when the argument is absent (`undefined`: to the
/// end); otherwise its ToNumber, negative meaning "stop that many units before the end".
///
/// A caveat for the caller about non-number `end` arguments: when `end` is *not* a number but is
/// negative after ToNumber (`"-1"`, `[-1]`), JavaScript computes `temp.length + end` as a string
/// concatenation (`"5-1"`), which is NaN, and returns `""`. Pass `Some(f64::NAN)` for such an
/// argument (which gives `""` too); `null` is `Some(0.0)` (`""`); `true` is `Some(1.0)`.
///
/// Surrogate pairs: JavaScript can cut a character above U+FFFF in half and return a lone
/// surrogate, which a `&str` cannot hold. A cut inside a pair keeps the whole character (the start
/// rounds down, the end rounds up), so the result holds every code unit JavaScript's result holds
/// and as little more as possible: `substr("a😀b", 2, None)` is `"😀b"` (JavaScript: `"\uDE00b"`),
/// `substr("😀", 0, Some(1.0))` is `"😀"` (JavaScript: `"\uD83D"`). An empty JavaScript result stays
/// empty.
pub fn substr(source: &str, start: f64, len: Option<f64>) -> &str {
    let size = utf16_len(source) as f64;
    let begin = {
        let s = to_integer_or_infinity(start);
        if s < 0.0 {
            (size + s).max(0.0)
        } else {
            s.min(size)
        }
    };
    let end = match len {
        Some(l) if l < 0.0 => {
            let rest = size - begin;
            begin + to_integer_or_infinity(rest + l).clamp(0.0, rest)
        }
        Some(l) => (begin + to_integer_or_infinity(l).clamp(0.0, size)).min(size),
        None => size,
    };
    if end <= begin {
        return "";
    }
    // Both are integers in [0, size]: the casts are exact.
    utf16_slice(source, begin as usize, end as usize)
}

/// ToIntegerOrInfinity: NaN → 0, ±∞ kept, otherwise truncated toward zero.
fn to_integer_or_infinity(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else if x.abs() >= 4_503_599_627_370_496.0 {
        // 2^52 and beyond (and ±∞): already integral.
        x
    } else {
        (x as i64) as f64
    }
}

/// Length in UTF-16 code units.
fn utf16_len(s: &str) -> usize {
    s.chars()
        .map(char::len_utf16)
        .fold(0, usize::saturating_add)
}

/// The characters covering UTF-16 units `start..end` (`start < end`), rounding a position inside
/// a surrogate pair outward (start down, end up).
fn utf16_slice(s: &str, start: usize, end: usize) -> &str {
    let mut unit = 0usize;
    let mut from = None;
    let mut to = s.len();
    for (i, c) in s.char_indices() {
        let next = unit.saturating_add(c.len_utf16());
        if from.is_none() && start < next {
            from = Some(i);
        }
        if end <= unit {
            to = i;
            break;
        }
        if end < next {
            to = i.saturating_add(c.len_utf8());
            break;
        }
        unit = next;
    }
    s.get(from.unwrap_or(s.len())..to).unwrap_or_default()
}

/// An order of `char`s equal to the order of their UTF-16 encodings: supplementary characters
/// (surrogates D800–DFFF) sort between U+D7FF and U+E000.
fn utf16_key(c: char) -> u32 {
    let c = u32::from(c);
    if c < 0xD800 {
        c
    } else if c >= 0x1_0000 {
        c.saturating_sub(0x1_0000).saturating_add(0xD800)
    } else {
        c.saturating_add(0x10_0000)
    }
}

/// Compares two strings by UTF-16 code units.
fn cmp_utf16(a: &str, b: &str) -> Ordering {
    match prefix_cmp(a, b) {
        Err(o) => o,
        Ok(()) if a.len() < b.len() => Ordering::Less,
        Ok(()) => Ordering::Equal,
    }
}

/// Compares `chunk` with the start of `rest`: `Ok` if `rest` starts with `chunk`, otherwise how
/// `chunk` orders against `rest` (`Greater` if `rest` is a proper prefix of `chunk`).
fn prefix_cmp(chunk: &str, rest: &str) -> Result<(), Ordering> {
    let mut theirs = rest.chars();
    for ours in chunk.chars() {
        match theirs.next() {
            None => return Err(Ordering::Greater),
            Some(c) if c == ours => {}
            Some(c) => return Err(utf16_key(ours).cmp(&utf16_key(c))),
        }
    }
    Ok(())
}

/// Compares ToString(a) with ToString(b) by UTF-16 code units, without building either string.
///
/// ToString(a) is streamed in chunks of up to 64 bytes; each chunk is compared with ToString(b) at
/// the same offset (re-streaming `b` and skipping what was already matched, unless `b` is a
/// string). Strings stop at the first difference, so the re-streaming only costs when two long
/// arrays share a long common prefix: O(|a| · |b| / 64) in the worst case.
fn cmp_to_string(a: Val<'_>, b: Val<'_>) -> Ordering {
    if let (Val::Str(x), Val::Str(y)) = (a, b) {
        return cmp_utf16(x, y);
    }
    let mut feeder = Feeder {
        target: b,
        pos: 0,
        buf: StackBuf::new(),
        result: None,
    };
    // An error means the order was decided (or, impossibly, a formatting failure).
    if write_string(a, &mut feeder).is_ok() {
        let _ = feeder.flush();
    }
    match feeder.result {
        Some(o) => o,
        None if has_more(b, feeder.pos) => Ordering::Less,
        None => Ordering::Equal,
    }
}

/// Whether ToString(v) has more than `pos` bytes.
fn has_more(v: Val<'_>, pos: usize) -> bool {
    if let Val::Str(s) = v {
        return s.len() > pos;
    }
    let mut w = RangeCmp {
        skip: pos,
        chunk: "",
        result: None,
        more: false,
    };
    let _ = write_string(v, &mut w);
    w.more
}

/// Compares `chunk` (the next piece of the left string, starting at byte `pos`) with ToString(target)
/// at `pos`: `Ok` if equal, else how the left string orders against the target.
fn compare_at(target: Val<'_>, pos: usize, chunk: &str) -> Result<(), Ordering> {
    if let Val::Str(t) = target {
        return prefix_cmp(chunk, t.get(pos..).unwrap_or_default());
    }
    let mut w = RangeCmp {
        skip: pos,
        chunk,
        result: None,
        more: false,
    };
    let _ = write_string(target, &mut w);
    match w.result {
        Some(o) => Err(o),
        // The target ended before the chunk did: it is a proper prefix of the left string.
        None if !w.chunk.is_empty() => Err(Ordering::Greater),
        None => Ok(()),
    }
}

/// Receives ToString of the left operand of [`cmp_to_string`], batching it for [`compare_at`].
struct Feeder<'v> {
    target: Val<'v>,
    /// Bytes of the left string already matched against the target.
    pos: usize,
    buf: StackBuf<64>,
    result: Option<Ordering>,
}

impl Feeder<'_> {
    fn compare(&mut self, chunk: &str) -> fmt::Result {
        match compare_at(self.target, self.pos, chunk) {
            Ok(()) => {
                self.pos = self.pos.saturating_add(chunk.len());
                Ok(())
            }
            Err(o) => {
                self.result = Some(o);
                Err(fmt::Error)
            }
        }
    }

    fn flush(&mut self) -> fmt::Result {
        let buf = self.buf;
        self.buf = StackBuf::new();
        self.compare(buf.as_str())
    }
}

impl Write for Feeder<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.buf.push(s) {
            return Ok(());
        }
        self.flush()?;
        if self.buf.push(s) {
            Ok(())
        } else {
            self.compare(s)
        }
    }
}

/// Receives ToString of the target: skips `skip` bytes, then compares with `chunk`.
struct RangeCmp<'c> {
    skip: usize,
    /// What is left to compare.
    chunk: &'c str,
    /// Decided: how the chunk orders against the target.
    result: Option<Ordering>,
    /// The target goes on after the chunk.
    more: bool,
}

impl Write for RangeCmp<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let s = if self.skip >= s.len() {
            self.skip = self.skip.saturating_sub(s.len());
            return Ok(());
        } else {
            let tail = s.get(self.skip..).unwrap_or_default();
            self.skip = 0;
            tail
        };
        let mut ours = self.chunk.chars();
        for theirs in s.chars() {
            match ours.next() {
                None => {
                    self.chunk = "";
                    self.more = true;
                    return Err(fmt::Error);
                }
                Some(c) if c == theirs => {}
                Some(c) => {
                    self.result = Some(utf16_key(c).cmp(&utf16_key(theirs)));
                    return Err(fmt::Error);
                }
            }
        }
        self.chunk = ours.as_str();
        Ok(())
    }
}

/// A fixed-capacity string on the stack; writing past the capacity is an error.
#[derive(Clone, Copy)]
struct StackBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    fn new() -> Self {
        StackBuf {
            bytes: [0; N],
            len: 0,
        }
    }

    /// Appends all of `s`, or nothing if it does not fit.
    fn push(&mut self, s: &str) -> bool {
        let Some(end) = self.len.checked_add(s.len()) else {
            return false;
        };
        match self.bytes.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
                true
            }
            None => false,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are pushed, so this is always valid UTF-8.
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl<const N: usize> Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.push(s) {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;
    use std::string::String;
    use std::vec::Vec;
    use std::{format, vec};

    const NAN: f64 = f64::NAN;
    const INF: f64 = f64::INFINITY;

    fn s(v: Val<'_>) -> String {
        let mut out = String::new();
        write_string(v, &mut out).unwrap();
        out
    }

    fn num(n: f64) -> String {
        let mut out = String::new();
        write_number(n, &mut out).unwrap();
        out
    }

    /// Same number, NaN equal to NaN, and the sign of zero checked.
    fn same(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
    }

    #[test]
    fn truthiness() {
        use Val::*;
        let one = [Num(0.0)];
        let table: &[(Val<'_>, bool)] = &[
            (Null, false),
            (Bool(false), false),
            (Bool(true), true),
            (Num(0.0), false),
            (Num(-0.0), false),
            (Num(NAN), false),
            (Num(1.0), true),
            (Num(-1.0), true),
            (Num(INF), true),
            (Str(""), false),
            (Str("0"), true),
            (Str("false"), true),
            (Str(" "), true),
            (Arr(&[]), false),
            (Arr(&[Null]), true),
            (Arr(&one), true),
            (Strs(&[]), false),
            (Strs(&[""]), true),
            (Obj(&[]), true),
        ];
        for (v, want) in table {
            assert_eq!(truthy(*v), *want, "{v:?}");
        }
    }

    #[test]
    fn to_number_table() {
        use Val::*;
        let nested = [Num(3.0)];
        let table: &[(Val<'_>, f64)] = &[
            (Null, 0.0),
            (Bool(true), 1.0),
            (Bool(false), 0.0),
            (Num(-0.0), -0.0),
            (Str(""), 0.0),
            (Str("  "), 0.0),
            (Str(" 12 "), 12.0),
            (
                Str("\t\n\u{A0}\u{FEFF}\u{3000}1\u{2028}\u{2029}\r\u{B}\u{C}"),
                1.0,
            ),
            (Str("\u{85}1"), NAN),   // NEL is not JavaScript whitespace
            (Str("\u{180E}1"), NAN), // no longer Zs
            (Str("1e3"), 1000.0),
            (Str("1E-2"), 0.01),
            (Str("-1.5"), -1.5),
            (Str("+1.5"), 1.5),
            (Str(".5"), 0.5),
            (Str("5."), 5.0),
            (Str("-.5e1"), -5.0),
            (Str("."), NAN),
            (Str("-"), NAN),
            (Str("e5"), NAN),
            (Str("1e"), NAN),
            (Str("1e+"), NAN),
            (Str("1.2.3"), NAN),
            (Str("Infinity"), INF),
            (Str("-Infinity"), -INF),
            (Str("+Infinity"), INF),
            (Str(" Infinity "), INF),
            (Str("infinity"), NAN),
            (Str("inf"), NAN),
            (Str("NaN"), NAN),
            (Str("0x1F"), 31.0),
            (Str("0X1f"), 31.0),
            (Str("0o17"), 15.0),
            (Str("0O17"), 15.0),
            (Str("0b101"), 5.0),
            (Str(" 0x10 "), 16.0),
            (Str("-0x1"), NAN),
            (Str("+0x1"), NAN),
            (Str("0x"), NAN),
            (Str("0xg"), NAN),
            (Str("0b2"), NAN),
            (Str("0o8"), NAN),
            (Str("0x1.5"), NAN),
            (Str("1_000"), NAN),
            (Str("12px"), NAN),
            (Str("1 2"), NAN),
            (Str("00012"), 12.0),
            (Str("-0"), -0.0),
            (Str("1e400"), INF),
            (Str("-1e400"), -INF),
            (Str("1e-400"), 0.0),
            (Str("0.1"), 0.1),
            // Hexadecimal rounds to nearest, ties to even.
            (Str("0x20000000000001"), 9_007_199_254_740_992.0),
            (Str("0x20000000000003"), 9_007_199_254_740_996.0),
            (Str("0x10000000000000800"), 18_446_744_073_709_551_616.0), // 2^64 + 2^11: tie → 2^64
            (Str("0x100000000000008001"), 295_147_905_179_352_891_392.0), // 2^68+2^15+1 → 2^68+2^16
            (Str("0x0000000000000000000000001"), 1.0),
            (Obj(&[]), NAN),
            (Arr(&[]), 0.0),
            (Arr(&[Num(5.0)]), 5.0),
            (Arr(&[Num(-0.0)]), 0.0), // "0"
            (Arr(&[Str(" 7 ")]), 7.0),
            (Arr(&[Null]), 0.0),
            (Arr(&[Str("")]), 0.0),
            (Arr(&[Bool(true)]), NAN),
            (Arr(&[Obj(&[])]), NAN),
            (Arr(&[Arr(&nested)]), 3.0),
            (Arr(&[Arr(&[])]), 0.0),
            (Arr(&[Num(1.0), Num(2.0)]), NAN),
            (Arr(&[Null, Null]), NAN), // ","
            (Strs(&[]), 0.0),
            (Strs(&[" 4 "]), 4.0),
            (Strs(&["1", "2"]), NAN),
        ];
        for (v, want) in table {
            assert!(
                same(to_number(*v), *want),
                "{v:?}: {} != {want}",
                to_number(*v)
            );
        }
        let many_f = format!("0x{}", "f".repeat(300));
        assert_eq!(to_number(Str(&many_f)), INF);
        let long = format!("{}1{}", "0".repeat(1000), "0".repeat(20));
        assert_eq!(to_number(Str(&long)), 1e20);
    }

    #[test]
    fn parse_float_table() {
        use Val::*;
        let table: &[(Val<'_>, f64)] = &[
            (Str("12px"), 12.0),
            (Str("  -3.5e2x"), -350.0),
            (Str("1e"), 1.0),
            (Str("1e+"), 1.0),
            (Str("1.e5"), 100_000.0),
            (Str(".5"), 0.5),
            (Str("-.5"), -0.5),
            (Str("."), NAN),
            (Str(""), NAN),
            (Str("   "), NAN),
            (Str("x1"), NAN),
            (Str("0x10"), 0.0),
            (Str("0b1"), 0.0),
            (Str("Infinityx"), INF),
            (Str("-Infinity"), -INF),
            (Str("infinity"), NAN),
            (Str("\u{FEFF} \n7"), 7.0),
            (Str("1,2"), 1.0),
            (Str("-0"), -0.0),
            (Str("1e400"), INF),
            (Str("1.5"), 1.5),
            (Num(-0.0), 0.0),
            (Num(2.5), 2.5),
            (Num(NAN), NAN),
            (Num(-INF), -INF),
            (Null, NAN),
            (Bool(true), NAN),
            (Obj(&[]), NAN),
            (Arr(&[]), NAN),
            (Arr(&[Num(1.0), Num(2.0)]), 1.0),
            (Arr(&[Null, Num(5.0)]), NAN),
            (Arr(&[Str(" 5"), Num(1.0)]), 5.0),
            (Arr(&[Str(" "), Num(1.0)]), NAN),
            (Arr(&[Arr(&[Str("3x")])]), 3.0),
            (Strs(&["8", "9"]), 8.0),
            (Strs(&[]), NAN),
        ];
        for (v, want) in table {
            assert!(same(parse_float(*v), *want), "{v:?}: {}", parse_float(*v));
        }
    }

    #[test]
    fn number_to_string_table() {
        let table: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (NAN, "NaN"),
            (INF, "Infinity"),
            (-INF, "-Infinity"),
            (1.0, "1"),
            (-1.0, "-1"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (100.0, "100"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (4.35, "4.35"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (1e20, "100000000000000000000"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (1e21, "1e+21"),
            (1.234_567_890_123_456_7e21, "1.2345678901234568e+21"),
            (1e300, "1e+300"),
            (-1.5e300, "-1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1e-6, "0.000001"),
            (0.000_001_234, "0.000001234"),
            (-1e-6, "-0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (-2e-9, "-2e-9"),
            (5e-324, "5e-324"),
            (0.5, "0.5"),
            (12_345.678, "12345.678"),
            // Exactly halfway between two shortest candidates: the even one (checked with node).
            (22_749.710_083_007_812, "22749.710083007812"),
            (73_618_489_316.703_12, "73618489316.70312"),
            (-10_492_053_051.570_312, "-10492053051.570312"),
            (942_979_812_622_070.2, "942979812622070.2"),
            (2_516_583_712.378_906_2, "2516583712.3789062"),
        ];
        for (n, want) in table {
            assert_eq!(num(*n), *want, "{n:e}");
        }
    }

    /// A small deterministic generator (xorshift) for property checks.
    fn random_doubles(count: usize) -> impl Iterator<Item = f64> {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        core::iter::repeat_with(move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f64::from_bits(state)
        })
        .filter(|x| x.is_finite())
        .take(count)
    }

    #[test]
    fn number_to_string_round_trips_and_matches_rust_in_decimal_range() {
        let scaled = random_doubles(20_000).map(|x| {
            // Bring many into the decimal-notation range too.
            let m = x.abs().log10();
            if m.is_finite() {
                x / 10f64.powi(m as i32 - (m as i32).rem_euclid(30) + 8)
            } else {
                x
            }
        });
        for x in random_doubles(20_000)
            .chain(scaled)
            .filter(|x| x.is_finite())
        {
            let text = num(x);
            assert!(same(str_to_number(&text), x + 0.0), "{x:e} -> {text}");
            assert!(
                same(parse_float(Val::Str(&text)), x + 0.0),
                "{x:e} -> {text}"
            );
            if x != 0.0 && (1e-6..1e21).contains(&x.abs()) {
                let rust = format!("{x}");
                // Rust may take the odd one of two equally close shortest candidates.
                let even_tie = text.len() == rust.len()
                    && str_to_number(&rust) == x
                    && text.bytes().last().is_some_and(|d| (d - b'0') % 2 == 0);
                assert!(text == rust || even_tie, "{x:e}: {text} vs {rust}");
            } else {
                assert!(x == 0.0 || text.contains('e'), "{x:e} -> {text}");
            }
        }
    }

    #[test]
    fn to_string_table() {
        use Val::*;
        let inner = [Num(3.0), Null];
        let mixed = [
            Num(1.0),
            Str("a"),
            Bool(true),
            Null,
            Arr(&[Num(2.0), Arr(&inner)]),
            Obj(&[]),
            Strs(&["x", "y"]),
        ];
        let table: &[(Val<'_>, &str)] = &[
            (Null, "null"),
            (Bool(true), "true"),
            (Bool(false), "false"),
            (Num(1.5), "1.5"),
            (Num(-0.0), "0"),
            (Str("a b"), "a b"),
            (Arr(&[]), ""),
            (Arr(&[Null]), ""),
            (Arr(&[Null, Null]), ","),
            (Arr(&[Num(-0.0)]), "0"),
            (Arr(&mixed), "1,a,true,,2,3,,[object Object],x,y"),
            (Strs(&["a", "b"]), "a,b"),
            (Strs(&[]), ""),
            (Obj(&[("a", Num(1.0))]), "[object Object]"),
        ];
        for (v, want) in table {
            assert_eq!(s(*v), *want, "{v:?}");
        }
    }

    #[test]
    fn loose_equality_table() {
        use Val::*;
        let one = [Num(1.0)];
        let one_again = [Num(1.0)];
        let obj = [("a", Num(1.0))];
        let obj_again = [("a", Num(1.0))];
        let strs: &[&str] = &["a", "b"];
        let arr_ab = [Str("a"), Str("b")];
        let table: &[(Val<'_>, Val<'_>, bool)] = &[
            (Null, Null, true),
            (Null, Bool(false), false),
            (Null, Num(0.0), false),
            (Null, Str(""), false),
            (Null, Arr(&[]), false),
            (Null, Obj(&[]), false),
            (Bool(false), Num(0.0), true),
            (Bool(true), Num(1.0), true),
            (Bool(true), Num(2.0), false),
            (Bool(true), Str("1"), true),
            (Bool(true), Str("true"), false),
            (Bool(false), Str(""), true),
            (Bool(false), Str("0"), true),
            (Bool(false), Bool(false), true),
            (Num(1.0), Str("1"), true),
            (Num(1.0), Str("1.0"), true),
            (Num(1.0), Str(" 1\n"), true),
            (Num(0.0), Str(""), true),
            (Num(0.0), Str(" \n"), true),
            (Num(16.0), Str("0x10"), true),
            (Num(1e21), Str("1e+21"), true),
            (Num(NAN), Num(NAN), false),
            (Num(NAN), Str("NaN"), false),
            (Num(-0.0), Num(0.0), true),
            (Str("a"), Str("a"), true),
            (Str("1"), Str("1.0"), false),
            (Arr(&[]), Str(""), true),
            (Arr(&[]), Num(0.0), true),
            (Arr(&[]), Bool(false), true),
            (Arr(&[Num(0.0)]), Bool(false), true),
            (Arr(&one), Bool(true), true),
            (Arr(&one), Str("1"), true),
            (Arr(&one), Num(1.0), true),
            (Arr(&[Num(1.0), Num(2.0)]), Str("1,2"), true),
            (Arr(&[Num(1.0), Num(2.0)]), Str("1,2,"), false),
            (Arr(&[Num(1.0), Num(2.0)]), Str("1,"), false),
            (Arr(&[Num(1.0), Num(2.0)]), Num(1.0), false),
            (Arr(&[Null]), Str(""), true),
            (Arr(&[Null]), Num(0.0), true),
            (Arr(&[Arr(&[])]), Num(0.0), true),
            (Arr(&[Str("1e3")]), Num(1000.0), true),
            (Arr(&[Bool(true)]), Num(1.0), false),
            (Arr(&[Bool(true)]), Str("true"), true),
            (Arr(&[Num(1e21)]), Str("1e+21"), true),
            (Arr(&[Arr(&one), Arr(&[Num(2.0)])]), Str("1,2"), true),
            (Str("a,b"), Strs(strs), true),
            (Strs(&["a"]), Str("a"), true),
            (Strs(&["7"]), Num(7.0), true),
            (Obj(&[]), Str("[object Object]"), true),
            (Obj(&[]), Num(1.0), false),
            (Obj(&[]), Num(NAN), false),
            (Obj(&obj), Obj(&obj), true),
            (Obj(&obj), Obj(&obj_again), false),
            (Arr(&one), Arr(&one), true),
            (Arr(&one), Arr(&one_again), false),
            (Strs(strs), Strs(strs), true),
            (Strs(strs), Arr(&arr_ab), false),
            (Arr(&one), Obj(&obj), false),
        ];
        for (a, b, want) in table {
            assert_eq!(loose_eq(*a, *b), *want, "{a:?} == {b:?}");
            assert_eq!(loose_eq(*b, *a), *want, "{b:?} == {a:?}");
        }
    }

    #[test]
    fn strict_equality_table() {
        use Val::*;
        let one = [Num(1.0)];
        let one_again = [Num(1.0)];
        let obj = [("a", Num(1.0))];
        let strs: &[&str] = &["a", "b"];
        let arr_ab = [Str("a"), Str("b")];
        let table: &[(Val<'_>, Val<'_>, bool)] = &[
            (Num(1.0), Num(1.0), true),
            (Num(1.0), Str("1"), false),
            (Num(NAN), Num(NAN), false),
            (Num(-0.0), Num(0.0), true),
            (Null, Null, true),
            (Null, Bool(false), false),
            (Bool(true), Num(1.0), false),
            (Bool(true), Bool(true), true),
            (Str("a"), Str("a"), true),
            (Str("a"), Str("b"), false),
            (Arr(&one), Arr(&one), true),
            (Arr(&one), Arr(&one_again), false),
            (Strs(strs), Strs(strs), true),
            (Strs(strs), Strs(&strs[..1]), false),
            (Strs(strs), Arr(&arr_ab), false),
            (Obj(&obj), Obj(&obj), true),
            (Arr(&[]), Str(""), false),
        ];
        for (a, b, want) in table {
            assert_eq!(strict_eq(*a, *b), *want, "{a:?} === {b:?}");
            assert_eq!(strict_eq(*b, *a), *want, "{b:?} === {a:?}");
        }
    }

    #[test]
    fn less_than_table() {
        use Val::*;
        let t = Some(true);
        let f = Some(false);
        let table: &[(Val<'_>, Val<'_>, Option<bool>)] = &[
            (Num(1.0), Num(2.0), t),
            (Num(2.0), Num(1.0), f),
            (Str("1"), Num(2.0), t),
            (Str("10"), Str("9"), t), // strings
            (Str("10"), Num(9.0), f),
            (Str("a"), Str("b"), t),
            (Str("a"), Str("a"), f),
            (Str(""), Str("a"), t),
            (Str("a"), Str(""), f),
            (Str("ab"), Str("abc"), t),
            (Str("B"), Str("a"), t),
            (Str("é"), Str("z"), f),
            // UTF-16 order: a supplementary character (D800 DC00) sorts before U+E000..U+FFFF.
            (Str("\u{10000}"), Str("\u{FFFF}"), t),
            (Str("\u{FFFF}"), Str("\u{10000}"), f),
            (Str("\u{10000}"), Str("\u{E000}"), t),
            (Str("\u{D7FF}"), Str("\u{10000}"), t),
            (Str("\u{10000}"), Str("\u{10001}"), t),
            (Str("\u{1F600}"), Str("\u{10FFFF}"), t),
            (Null, Num(1.0), t),
            (Null, Num(0.0), f),
            (Num(0.0), Null, f),
            (Null, Bool(true), t),
            (Str("a"), Num(1.0), None),
            (Num(1.0), Str("a"), None),
            (Num(NAN), Num(1.0), None),
            (Num(1.0), Num(NAN), None),
            (Null, Str("x"), None),
            (Bool(true), Num(2.0), t),
            (Bool(false), Bool(true), t),
            (Num(-INF), Num(INF), t),
            (Arr(&[Num(2.0)]), Str("10"), f), // "2" < "10" as strings
            (Arr(&[Num(2.0)]), Num(10.0), t),
            (Arr(&[Num(10.0)]), Arr(&[Num(9.0)]), t),
            (Arr(&[Num(1.0), Num(2.0)]), Arr(&[Num(1.0), Num(3.0)]), t),
            (Arr(&[Num(1.0), Num(2.0)]), Arr(&[Num(1.0), Num(2.0)]), f),
            (
                Arr(&[Num(1.0), Num(2.0)]),
                Arr(&[Num(1.0), Num(2.0), Num(0.0)]),
                t,
            ),
            (
                Arr(&[Num(1.0), Num(2.0), Num(0.0)]),
                Arr(&[Num(1.0), Num(2.0)]),
                f,
            ),
            (Arr(&[Num(1.0), Num(2.0)]), Num(2.0), None),
            (Arr(&[Null]), Arr(&[Num(0.0)]), t), // "" < "0"
            (Obj(&[]), Str("[object Object]"), f),
            (Obj(&[]), Str("[object Objecu"), t),
            (Str("[object Object]"), Obj(&[]), f),
            (Obj(&[]), Obj(&[]), f),
            (Obj(&[]), Num(1.0), None),
            (Arr(&[]), Str(""), f),
            (Arr(&[]), Str("a"), t),
            (Str("a"), Arr(&[]), f),
            (Arr(&[]), Num(1.0), t),
            (Strs(&["a", "b"]), Arr(&[Str("a"), Str("c")]), t),
            (Strs(&["a", "c"]), Arr(&[Str("a"), Str("b")]), f),
            (Strs(&["a,b"]), Strs(&["a", "b"]), f), // both "a,b"
            (Strs(&["\u{FFFF}"]), Strs(&["\u{10000}"]), f),
            (Strs(&["\u{10000}"]), Strs(&["\u{FFFF}"]), t),
            (Strs(&["a"]), Strs(&["a", ""]), t), // "a" < "a,"
        ];
        for (a, b, want) in table {
            assert_eq!(less_than(*a, *b), *want, "{a:?} < {b:?}");
        }
    }

    /// Arrays whose ToString exceeds the 64-byte chunks, compared every way.
    #[test]
    fn long_array_comparisons() {
        use Val::*;
        let words: Vec<String> = (0..40).map(|i| format!("word-{i:02}-é😀")).collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let vals: Vec<Val<'_>> = refs.iter().map(|w| Str(w)).collect();
        let joined = refs.join(",");
        let mut later = refs.clone();
        let tweaked = format!("{}!", refs[39]);
        later[39] = &tweaked;
        let later_joined = later.join(",");
        // Nested: [[w0, w1, …, w19], w20, …] joins the same way.
        let head: Vec<Val<'_>> = vals[..20].to_vec();
        let mut nested: Vec<Val<'_>> = vec![Arr(&head)];
        nested.extend_from_slice(&vals[20..]);
        let sides = [Strs(&refs), Arr(&vals), Arr(&nested), Str(&joined)];
        let later_sides = [Strs(&later), Str(&later_joined)];
        for a in sides {
            for b in sides {
                assert_eq!(cmp_to_string(a, b), Ordering::Equal, "{a:?} vs {b:?}");
                assert!(!lt(a, b) && le(a, b) && ge(a, b));
            }
            for b in later_sides {
                assert_eq!(cmp_to_string(a, b), Ordering::Less);
                assert_eq!(cmp_to_string(b, a), Ordering::Greater);
            }
            if !matches!(a, Str(_)) {
                assert!(loose_eq(a, Str(&joined)));
                assert!(!loose_eq(a, Str(&later_joined)));
                let shorter = &joined[..joined.char_indices().last().unwrap().0];
                assert!(!loose_eq(a, Str(shorter)));
            }
            assert!(contains(Str(&format!("<{joined}>")), a));
            assert!(!contains(Str(&joined[1..]), a));
        }
    }

    #[test]
    fn ordering_operators() {
        use Val::*;
        let table: &[(Val<'_>, Val<'_>, [bool; 4])] = &[
            // a, b, [a < b, a <= b, a > b, a >= b]
            (Num(1.0), Num(2.0), [true, true, false, false]),
            (Num(1.0), Num(1.0), [false, true, false, true]),
            (Num(NAN), Num(1.0), [false, false, false, false]),
            (Num(1.0), Num(NAN), [false, false, false, false]),
            (Str("a"), Num(1.0), [false, false, false, false]),
            (Null, Num(0.0), [false, true, false, true]),
            (Str("a"), Str("a"), [false, true, false, true]),
            (Str("b"), Str("a"), [false, false, true, true]),
            (Obj(&[]), Obj(&[]), [false, true, false, true]), // both "[object Object]"
            (Arr(&[Num(2.0)]), Str("10"), [false, false, true, true]),
            (Num(-0.0), Num(0.0), [false, true, false, true]),
            (Bool(true), Str("1"), [false, true, false, true]),
        ];
        for (a, b, [l, le_, g, ge_]) in table {
            assert_eq!(lt(*a, *b), *l, "{a:?} < {b:?}");
            assert_eq!(le(*a, *b), *le_, "{a:?} <= {b:?}");
            assert_eq!(gt(*a, *b), *g, "{a:?} > {b:?}");
            assert_eq!(ge(*a, *b), *ge_, "{a:?} >= {b:?}");
        }
    }

    #[test]
    fn contains_table() {
        use Val::*;
        let one = [Num(1.0)];
        let table: &[(Val<'_>, Val<'_>, bool)] = &[
            (Str("Springfield"), Str("Spring"), true),
            (Str("Springfield"), Str("spring"), false),
            (Str("team"), Str("i"), false),
            (Str("test"), Str(""), true),
            (Str(""), Str(""), false), // `!b`
            (Str(""), Str("a"), false),
            (Str("a1"), Num(1.0), true),
            (Str("a1.5"), Num(1.5), true),
            (Str("1e+21"), Num(1e21), true),
            (Str("x0"), Num(-0.0), true),
            (Str("x"), Num(0.0), false),
            (Str("NaN"), Num(NAN), true),
            (Str("null"), Null, true),
            (Str("xtruex"), Bool(true), true),
            (Str("abc"), Arr(&[]), true), // ""
            (Str("a,b,c"), Strs(&["b", "c"]), true),
            (Str("a,b,c"), Arr(&[Str("b"), Str("c")]), true),
            (Str("a,c"), Arr(&[Str("a"), Null, Str("c")]), false),
            (Str("a,,c"), Arr(&[Str("a"), Null, Str("c")]), true),
            (Str("[object Object]!"), Obj(&[]), true),
            (Str("é😀x"), Str("😀"), true),
            (Arr(&[Num(1.0), Num(2.0)]), Num(1.0), true),
            (Arr(&[Num(1.0), Num(2.0)]), Str("1"), false),
            (Arr(&[Num(NAN)]), Num(NAN), false),
            (Arr(&[Num(-0.0)]), Num(0.0), true),
            (Arr(&[Null]), Null, true),
            (Arr(&[Arr(&one)]), Arr(&one), true),
            (Arr(&[Arr(&[Num(1.0)])]), Arr(&one), false),
            (Arr(&[]), Null, false),
            (Strs(&["a", "b"]), Str("a"), true),
            (Strs(&["a", "b"]), Str("c"), false),
            (Strs(&["1"]), Num(1.0), false),
            (Obj(&[("a", Num(1.0))]), Str("a"), false),
            (Num(1.0), Num(1.0), false),
            (Null, Null, false),
            (Bool(true), Bool(true), false),
        ];
        for (hay, needle, want) in table {
            assert_eq!(contains(*hay, *needle), *want, "{needle:?} in {hay:?}");
        }
    }

    #[test]
    fn substr_table() {
        let table: &[(&str, f64, Option<f64>, &str)] = &[
            // official tests.json
            ("jsonlogic", 4.0, None, "logic"),
            ("jsonlogic", -5.0, None, "logic"),
            ("jsonlogic", 0.0, Some(1.0), "j"),
            ("jsonlogic", -1.0, Some(1.0), "c"),
            ("jsonlogic", 4.0, Some(5.0), "logic"),
            ("jsonlogic", -5.0, Some(5.0), "logic"),
            ("jsonlogic", -5.0, Some(-2.0), "log"),
            ("jsonlogic", 1.0, Some(-5.0), "son"),
            // compat tables
            ("", 0.0, Some(1.0), ""),
            ("test", 10.0, Some(1.0), ""),
            ("test", -10.0, Some(1.0), "t"),
            // ToIntegerOrInfinity and clamping
            ("test", NAN, None, "test"),
            ("test", 1.9, Some(1.9), "e"),
            ("test", -1.5, None, "t"),
            ("test", INF, None, ""),
            ("test", -INF, None, "test"),
            ("test", 0.0, Some(INF), "test"),
            ("test", 0.0, Some(-INF), ""),
            ("test", 0.0, Some(-0.0), ""),
            ("test", 0.0, Some(NAN), ""),
            ("test", 1.0, Some(-1.5), "e"), // "est".substr(0, 3 + -1.5 = 1.5 → 1)
            ("test", 2.0, Some(-5.0), ""),
            ("test", 4.0, Some(-1.0), ""),
            ("test", 1e300, Some(1e300), ""),
            ("test", -1e300, Some(1e300), "test"),
            ("héllo", 1.0, Some(3.0), "éll"),
            // UTF-16 positions: "a😀b" is a, D83D, DE00, b.
            ("a😀b", 1.0, Some(2.0), "😀"),
            ("a😀b", 3.0, None, "b"),
            ("a😀b", -1.0, None, "b"),
            ("a😀b", -2.0, None, "😀b"), // JS "\uDE00b": start rounds down
            ("a😀b", 2.0, None, "😀b"),
            ("a😀b", 0.0, Some(2.0), "a😀"), // JS "a\uD83D": end rounds up
            ("a😀b", 2.0, Some(1.0), "😀"),  // JS "\uDE00"
            ("a😀b", 2.0, Some(0.0), ""),
            ("a😀b", 1.0, Some(-1.0), "😀"),
            ("a😀b", 1.0, Some(-2.0), "😀"), // JS "\uD83D"
            ("😀", 0.0, Some(1.0), "😀"),
        ];
        for (source, start, len, want) in table {
            assert_eq!(
                substr(source, *start, *len),
                *want,
                "{source:?}.substr({start}, {len:?})"
            );
        }
    }

    #[test]
    fn value_access() {
        use Val::*;
        let arr = [Str("apple"), Arr(&[Str("banana"), Str("beer")])];
        let tags: &[&str] = &["x", "y"];
        let obj = [("a", Num(1.0)), ("b", Null), ("a", Num(2.0))];
        let a = Arr(&arr);
        assert_eq!(a.len(), Some(2));
        assert_eq!(a.is_empty(), Some(false));
        assert_eq!(Strs(&[]).is_empty(), Some(true));
        assert_eq!(Obj(&obj).len(), None);
        assert_eq!(a.index(0), Some(Str("apple")));
        assert_eq!(a.index(2), None);
        assert_eq!(a.get("0"), Some(Str("apple")));
        assert_eq!(a.get("1").and_then(|v| v.get("1")), Some(Str("beer")));
        for bad in [
            "01",
            "+1",
            "1.0",
            "-1",
            "",
            " 1",
            "2",
            "99999999999999999999999999",
        ] {
            assert_eq!(a.get(bad), None, "{bad:?}");
        }
        assert_eq!(a.get("length"), Some(Num(2.0)));
        assert_eq!(Strs(tags).get("1"), Some(Str("y")));
        assert_eq!(Strs(tags).index(0), Some(Str("x")));
        assert_eq!(Strs(tags).get("length"), Some(Num(2.0)));
        assert_eq!(Obj(&obj).get("a"), Some(Num(1.0)));
        assert_eq!(Obj(&obj).get("b"), Some(Null));
        assert_eq!(Obj(&obj).get("c"), None);
        assert_eq!(Obj(&obj).get("length"), None);
        assert_eq!(Str("a😀").get("length"), Some(Num(3.0)));
        assert_eq!(Str("a😀").get("0"), Some(Str("a")));
        assert_eq!(Str("a😀").get("1"), Some(Str("😀")));
        assert_eq!(Str("a😀").get("2"), Some(Str("😀")));
        assert_eq!(Str("a😀").get("3"), None);
        assert_eq!(Num(1.0).get("0"), None);
        assert_eq!(Null.get("a"), None);
        assert!(a.is_array() && Strs(tags).is_array());
        assert!(!Obj(&obj).is_array() && !Str("a").is_array() && !Null.is_array());
    }

    // ---- The conformance files: a tiny JSON reader and an evaluator of the value-level operators.

    #[derive(Debug)]
    enum J {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<J>),
        Obj(Vec<(String, J)>),
    }

    struct Reader<'t> {
        text: &'t [u8],
        pos: usize,
    }

    impl Reader<'_> {
        fn ws(&mut self) {
            while matches!(self.text.get(self.pos), Some(b' ' | b'\n' | b'\r' | b'\t')) {
                self.pos += 1;
            }
        }

        fn eat(&mut self, lit: &str) -> bool {
            if self.text[self.pos..].starts_with(lit.as_bytes()) {
                self.pos += lit.len();
                true
            } else {
                false
            }
        }

        fn value(&mut self) -> J {
            self.ws();
            let first = self.text[self.pos];
            let v = match first {
                b'n' if self.eat("null") => J::Null,
                b't' if self.eat("true") => J::Bool(true),
                b'f' if self.eat("false") => J::Bool(false),
                b'"' => J::Str(self.string()),
                b'[' => {
                    self.pos += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if !self.eat("]") {
                        loop {
                            items.push(self.value());
                            self.ws();
                            if self.eat("]") {
                                break;
                            }
                            assert!(self.eat(","), "expected , at {}", self.pos);
                        }
                    }
                    J::Arr(items)
                }
                b'{' => {
                    self.pos += 1;
                    let mut members = Vec::new();
                    self.ws();
                    if !self.eat("}") {
                        loop {
                            self.ws();
                            let key = self.string();
                            self.ws();
                            assert!(self.eat(":"));
                            members.push((key, self.value()));
                            self.ws();
                            if self.eat("}") {
                                break;
                            }
                            assert!(self.eat(","), "expected , at {}", self.pos);
                        }
                    }
                    J::Obj(members)
                }
                _ => {
                    let start = self.pos;
                    while matches!(
                        self.text.get(self.pos),
                        Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    ) {
                        self.pos += 1;
                    }
                    J::Num(
                        core::str::from_utf8(&self.text[start..self.pos])
                            .unwrap()
                            .parse()
                            .unwrap(),
                    )
                }
            };
            self.ws();
            v
        }

        fn hex4(&mut self) -> u32 {
            let h = core::str::from_utf8(&self.text[self.pos..self.pos + 4]).unwrap();
            self.pos += 4;
            u32::from_str_radix(h, 16).unwrap()
        }

        fn string(&mut self) -> String {
            assert!(self.eat("\""));
            let mut out = Vec::new();
            loop {
                let b = self.text[self.pos];
                self.pos += 1;
                match b {
                    b'"' => break,
                    b'\\' => {
                        let e = self.text[self.pos];
                        self.pos += 1;
                        let c = match e {
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            b'b' => '\u{8}',
                            b'f' => '\u{C}',
                            b'u' => {
                                let mut u = self.hex4();
                                if (0xD800..0xDC00).contains(&u) && self.eat("\\u") {
                                    let lo = self.hex4();
                                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                }
                                char::from_u32(u).unwrap_or('\u{FFFD}')
                            }
                            other => char::from(other),
                        };
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    other => out.push(other),
                }
            }
            String::from_utf8(out).unwrap()
        }
    }

    fn leak<T>(v: Vec<T>) -> &'static [T] {
        Box::leak(v.into_boxed_slice())
    }

    fn leak_str(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    fn to_val(j: &J) -> Val<'static> {
        match j {
            J::Null => Val::Null,
            J::Bool(b) => Val::Bool(*b),
            J::Num(n) => Val::Num(*n),
            J::Str(s) => Val::Str(leak_str(s.clone())),
            J::Arr(xs) => Val::Arr(leak(xs.iter().map(to_val).collect())),
            J::Obj(ms) => Val::Obj(leak(
                ms.iter()
                    .map(|(k, v)| (leak_str(k.clone()), to_val(v)))
                    .collect(),
            )),
        }
    }

    /// Deep equality of results (numbers as numbers, arrays by contents).
    fn deep_eq(a: Val<'_>, b: Val<'_>) -> bool {
        match (a, b) {
            (Val::Num(x), Val::Num(y)) => x == y || (x.is_nan() && y.is_nan()),
            (Val::Obj(x), Val::Obj(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| Val::Obj(y).get(k).is_some_and(|w| deep_eq(*v, w)))
            }
            _ if a.is_array() && b.is_array() => {
                a.len() == b.len()
                    && (0..a.len().unwrap())
                        .all(|i| deep_eq(a.index(i).unwrap(), b.index(i).unwrap()))
            }
            _ => a == b,
        }
    }

    struct Unsupported;

    /// json-logic-js `apply` for the operators whose semantics live in this module (and the few
    /// control operators needed to reach them). `None` is `undefined`.
    fn eval(rule: &J, data: Val<'static>) -> Result<Val<'static>, Unsupported> {
        match rule {
            J::Arr(items) => Ok(Val::Arr(leak(
                items
                    .iter()
                    .map(|r| eval(r, data))
                    .collect::<Result<_, _>>()?,
            ))),
            J::Obj(members) if members.len() == 1 => {
                let (op, values) = &members[0];
                let args: Vec<&J> = match values {
                    J::Arr(xs) => xs.iter().collect(),
                    other => vec![other],
                };
                apply(op, &args, data)
            }
            other => Ok(to_val(other)),
        }
    }

    fn apply(op: &str, args: &[&J], data: Val<'static>) -> Result<Val<'static>, Unsupported> {
        let arg = |i: usize| -> Result<Option<Val<'static>>, Unsupported> {
            args.get(i).map(|r| eval(r, data)).transpose()
        };
        let need = |i: usize| -> Result<Val<'static>, Unsupported> { arg(i)?.ok_or(Unsupported) };
        let all = || -> Result<Vec<Val<'static>>, Unsupported> {
            args.iter().map(|r| eval(r, data)).collect()
        };
        Ok(match op {
            "var" => {
                let default = arg(1)?.unwrap_or(Val::Null);
                let path = match arg(0)? {
                    None | Some(Val::Null) | Some(Val::Str("")) => return Ok(data),
                    Some(p) => s(p),
                };
                let mut cur = data;
                for part in path.split('.') {
                    if cur == Val::Null {
                        return Ok(default);
                    }
                    match cur.get(part) {
                        Some(v) => cur = v,
                        None => return Ok(default),
                    }
                }
                cur
            }
            "==" => Val::Bool(loose_eq(need(0)?, need(1)?)),
            "!=" => Val::Bool(!loose_eq(need(0)?, need(1)?)),
            "===" => Val::Bool(strict_eq(need(0)?, need(1)?)),
            "!==" => Val::Bool(!strict_eq(need(0)?, need(1)?)),
            ">" => Val::Bool(gt(need(0)?, need(1)?)),
            ">=" => Val::Bool(ge(need(0)?, need(1)?)),
            "<" | "<=" => {
                let cmp = if op == "<" { lt } else { le };
                let (a, b) = (need(0)?, need(1)?);
                Val::Bool(match arg(2)? {
                    None => cmp(a, b),
                    Some(c) => cmp(a, b) && cmp(b, c),
                })
            }
            "!!" => Val::Bool(arg(0)?.is_some_and(truthy)),
            "!" => Val::Bool(!arg(0)?.is_some_and(truthy)),
            "in" => Val::Bool(contains(need(1)?, need(0)?)),
            "cat" => {
                let mut out = String::new();
                for v in all()? {
                    if v != Val::Null {
                        out += &s(v);
                    }
                }
                Val::Str(leak_str(out))
            }
            "substr" => {
                let source = s(need(0)?);
                let start = arg(1)?.map_or(NAN, to_number);
                let len = arg(2)?.map(|v| match v {
                    Val::Num(n) => n,
                    other if to_number(other) < 0.0 => NAN,
                    other => to_number(other),
                });
                Val::Str(leak_str(String::from(substr(&source, start, len))))
            }
            "+" => Val::Num(
                all()?
                    .into_iter()
                    .fold(0.0, |acc, v| parse_float(Val::Num(acc)) + parse_float(v)),
            ),
            "*" => {
                let vals = all()?;
                match vals.as_slice() {
                    [] => return Err(Unsupported), // reduce of an empty array throws
                    [only] => *only,
                    [first, rest @ ..] => Val::Num(
                        rest.iter()
                            .fold(parse_float(*first), |acc, v| acc * parse_float(*v)),
                    ),
                }
            }
            "-" => match arg(1)? {
                None => Val::Num(-to_number(need(0)?)),
                Some(b) => Val::Num(to_number(need(0)?) - to_number(b)),
            },
            "/" => Val::Num(to_number(need(0)?) / to_number(need(1)?)),
            "%" => Val::Num(to_number(need(0)?) % to_number(need(1)?)),
            "max" => Val::Num(all()?.into_iter().map(to_number).fold(-INF, |m, x| {
                if x.is_nan() || m.is_nan() {
                    NAN
                } else {
                    m.max(x)
                }
            })),
            "min" => Val::Num(all()?.into_iter().map(to_number).fold(INF, |m, x| {
                if x.is_nan() || m.is_nan() {
                    NAN
                } else {
                    m.min(x)
                }
            })),
            "and" | "or" => {
                let mut last = Err(Unsupported);
                for r in args {
                    let v = eval(r, data)?;
                    if truthy(v) == (op == "or") {
                        return Ok(v);
                    }
                    last = Ok(v);
                }
                return last;
            }
            "if" | "?:" => {
                let mut i = 0;
                while i + 1 < args.len() {
                    if truthy(eval(args[i], data)?) {
                        return eval(args[i + 1], data);
                    }
                    i += 2;
                }
                match args.get(i) {
                    Some(r) => eval(r, data)?,
                    None => Val::Null,
                }
            }
            _ => return Err(Unsupported),
        })
    }

    #[test]
    fn conformance_files() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/conformance/jsonlogic"
        );
        let Ok(entries) = std::fs::read_dir(dir) else {
            std::eprintln!("{dir} not found: skipped");
            return;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        let (mut ran, mut skipped) = (0, 0);
        let mut failures = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut reader = Reader {
                text: text.as_bytes(),
                pos: 0,
            };
            let cases = match reader.value() {
                J::Arr(cases) => cases,
                J::Obj(mut m) => match m.remove(0) {
                    (_, J::Arr(cases)) => cases,
                    _ => panic!("no cases in {path:?}"),
                },
                _ => panic!("no cases in {path:?}"),
            };
            for case in &cases {
                let J::Obj(fields) = case else { panic!() };
                let field = |name: &str| &fields.iter().find(|(k, _)| k == name).unwrap().1;
                let J::Str(name) = field("name") else {
                    panic!()
                };
                let expected = to_val(field("expected"));
                match eval(field("rule"), to_val(field("data"))) {
                    Err(Unsupported) => skipped += 1,
                    Ok(got) => {
                        ran += 1;
                        if !deep_eq(got, expected) {
                            failures.push(format!("{name}: got {got:?}, expected {expected:?}"));
                        }
                    }
                }
            }
        }
        std::eprintln!("conformance: {ran} cases ran, {skipped} use operators outside this module");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(ran >= 300, "only {ran} cases ran");
    }
}
