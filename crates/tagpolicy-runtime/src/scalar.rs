//! Numbers, booleans and text comparisons for the `Numeric*`, `Bool` and `String*` operators.
//!
//! ```
//! use tagpolicy_runtime::scalar::{eq_ignore_case, parse_bool, parse_number};
//! assert_eq!(parse_number("10.0"), parse_number("10"));
//! assert_eq!(parse_bool("TRUE"), Some(true));
//! assert!(!eq_ignore_case("Straße", "STRASSE")); // lowercase mapping, not case folding
//! assert!(eq_ignore_case("ÉCOLE", "école"));
//! ```

/// AWS numeric value: decimal integer or decimal text with a fraction ("10", "-3", "2.5"); no
/// exponent, `NaN`, `inf`, empty text, whitespace, hex or digit separators.
///
/// Accepted syntax: an optional sign (`+` or `-`), one or more ASCII digits, then optionally a `.`
/// followed by one or more ASCII digits. AWS documents numeric condition values as "an integer or
/// decimal value", so exponents (`1e3`), a bare or trailing point (`.5`, `5.`), `NaN`, `inf`, hex,
/// separators and whitespace are rejected (`None`), as is a value too large for an `f64` (it would
/// be infinite). The text is converted with correct rounding, so `"10"` and `"10.0"` are equal
/// (case `iam-simulate/NumericEquals #5`); integers beyond 2^53 lose precision like any `f64`.
///
/// ```
/// use tagpolicy_runtime::scalar::parse_number;
/// assert_eq!(parse_number("10.5"), Some(10.5));
/// assert_eq!(parse_number("-3"), Some(-3.0));
/// assert_eq!(parse_number("1e3"), None);
/// assert_eq!(parse_number("a"), None);
/// ```
pub fn parse_number(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || !frac.is_none_or(all_digits) {
        return None;
    }
    let value: f64 = s.parse().ok()?;
    value.is_finite().then_some(value)
}

/// "true"/"false" in any ASCII case.
///
/// Anything else is `None` (case `iam-simulate/Bool #9`: the condition does not hold, also for
/// negated operators); `"True"` and `"TRUE"` are `true` (cases `pmapper/bool_condition #2`,
/// `iam-simulate/Bool #3`).
///
/// ```
/// use tagpolicy_runtime::scalar::parse_bool;
/// assert_eq!(parse_bool("False"), Some(false));
/// assert_eq!(parse_bool("tru"), None);
/// assert_eq!(parse_bool(" true"), None);
/// ```
pub fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Unicode case-insensitive equality (compare `char::to_lowercase` sequences), no allocation.
///
/// Both sides are mapped character by character with [`char::to_lowercase`] (full Unicode
/// lowercase mapping, context-free) and the resulting sequences compared. So `"ÉCOLE"` equals
/// `"école"` and `"ΣΑΣ"` equals `"σασ"`, but `"ß"` does not equal `"SS"` (that would need case
/// folding, which AWS does not document) and the final sigma `ς` does not equal `σ`.
///
/// ```
/// use tagpolicy_runtime::scalar::eq_ignore_case;
/// assert!(eq_ignore_case("Production", "PRODUCTION"));
/// assert!(!eq_ignore_case("prod", "production"));
/// ```
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    eq_ignore_case_parts(&[a], b)
}

/// Same over the concatenation of several text parts on the left (a template after variable substitution).
///
/// ```
/// use tagpolicy_runtime::scalar::eq_ignore_case_parts;
/// assert!(eq_ignore_case_parts(&["arn:aws:iam::1:user/", "BOB"], "arn:aws:iam::1:user/bob"));
/// ```
pub fn eq_ignore_case_parts(parts: &[&str], b: &str) -> bool {
    if eq_parts(parts, b) {
        return true;
    }
    let left = parts
        .iter()
        .flat_map(|p| p.chars())
        .flat_map(char::to_lowercase);
    let right = b.chars().flat_map(char::to_lowercase);
    left.eq(right)
}

/// Whether `texts`, joined, equal `b` (ASCII-case-insensitively with `ignore_case`): false if a
/// text is `None` (a variable without a value, or a wildcard) or there are more than
/// [`crate::glob::MAX_TEMPLATE_PARTS`]. The texts are gathered on the stack.
#[inline]
pub fn template_equals<'a>(
    texts: impl IntoIterator<Item = Option<&'a str>>,
    b: &str,
    ignore_case: bool,
) -> bool {
    let mut buf = [""; crate::glob::MAX_TEMPLATE_PARTS];
    let mut n = 0usize;
    for text in texts {
        match (text, buf.get_mut(n)) {
            (Some(t), Some(slot)) => *slot = t,
            _ => return false,
        }
        n = n.saturating_add(1);
    }
    let parts = buf.get(..n).unwrap_or(&[]);
    if ignore_case {
        eq_ignore_case_parts(parts, b)
    } else {
        eq_parts(parts, b)
    }
}

/// Exact equality of the concatenation of parts with b, no allocation.
///
/// ```
/// use tagpolicy_runtime::scalar::eq_parts;
/// assert!(eq_parts(&["team-", "", "ops"], "team-ops"));
/// assert!(!eq_parts(&["team-", "ops"], "team-Ops"));
/// ```
pub fn eq_parts(parts: &[&str], b: &str) -> bool {
    let mut rest = b.as_bytes();
    for part in parts {
        match rest.strip_prefix(part.as_bytes()) {
            Some(tail) => rest = tail,
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn numbers_conformance() {
        // iam-simulate/NumericEquals, conditions/numeric
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("10.5"), Some(10.5));
        assert_eq!(parse_number("10.0"), parse_number("10"));
        assert_eq!(parse_number("a"), None);
        assert!(parse_number("15") > parse_number("10"));
    }

    #[test]
    fn numbers_accepted() {
        assert_eq!(parse_number("0"), Some(0.0));
        assert_eq!(parse_number("-0"), Some(0.0));
        assert_eq!(parse_number("+7"), Some(7.0));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("-2.5"), Some(-2.5));
        assert_eq!(parse_number("007"), Some(7.0));
        assert_eq!(parse_number("0.1"), Some(0.1));
        assert_eq!(parse_number("12.375"), Some(12.375));
        assert_eq!(
            parse_number("9007199254740993"),
            Some(9_007_199_254_740_992.0)
        );
        assert_eq!(parse_number("1.00000000000000000000000000001"), Some(1.0));
        let big = "9".repeat(300);
        assert_eq!(parse_number(&big), Some(1e300));
    }

    #[test]
    fn numbers_rejected() {
        for bad in [
            "", " ", "+", "-", ".", "+.", ".5", "5.", "-.5", "1.2.3", "1..2", "1e3", "1E3", "1e-3",
            "NaN", "nan", "inf", "-inf", "Infinity", "0x10", "0b1", "1_000", "1,000", " 1", "1 ",
            "\t1", "1\n", "--1", "+-1", "-+1", "1-", "١", "１", "½", "1.5e", "10a", "a10",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
        // Too large for f64.
        assert_eq!(parse_number(&"9".repeat(400)), None);
        assert_eq!(parse_number(&std::format!("-{}", "9".repeat(400))), None);
    }

    #[test]
    fn numbers_hostile() {
        let mb = "1".repeat(1 << 20);
        assert_eq!(parse_number(&mb), None); // overflows to infinity
        let frac = std::format!("0.{}", "1".repeat(1 << 20));
        let v = parse_number(&frac).unwrap();
        assert!((v - 0.111_111_111_111_111_1).abs() < 1e-15);
        let zeros = std::format!("{}1", "0".repeat(1 << 20));
        assert_eq!(parse_number(&zeros), Some(1.0));
        assert_eq!(parse_number(&"x".repeat(1 << 20)), None);
        assert_eq!(parse_number(&"😀".repeat(1 << 18)), None);
    }

    #[test]
    fn bools() {
        for t in ["true", "TRUE", "True", "tRuE"] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in ["false", "FALSE", "False", "fAlSe"] {
            assert_eq!(parse_bool(f), Some(false));
        }
        for bad in [
            "",
            "t",
            "f",
            "tru",
            "truee",
            "yes",
            "1",
            "0",
            " true",
            "true ",
            "not a boolean",
            "asdf",
            "ＴＲＵＥ",
            "trué",
        ] {
            assert_eq!(parse_bool(bad), None, "{bad:?}");
        }
        assert_eq!(parse_bool(&"true".repeat(1 << 18)), None);
    }

    #[test]
    fn ignore_case() {
        assert!(eq_ignore_case("", ""));
        assert!(eq_ignore_case("test", "TEST"));
        assert!(eq_ignore_case("TeSt", "tEsT"));
        assert!(!eq_ignore_case("test", "test2"));
        assert!(!eq_ignore_case("test2", "test"));
        assert!(!eq_ignore_case("", "a"));
        assert!(eq_ignore_case("ÉCOLE", "école"));
        assert!(eq_ignore_case("ΣΑΣ", "σασ"));
        assert!(eq_ignore_case("ДОБРЫЙ", "добрый"));
        assert!(eq_ignore_case("日本語", "日本語"));
        assert!(!eq_ignore_case("日本語", "日本"));
        assert!(!eq_ignore_case("ß", "SS"));
        assert!(!eq_ignore_case("ς", "σ"));
        // 'İ' lowercases to "i̇" (two scalar values).
        assert!(eq_ignore_case("İ", "i\u{307}"));
        assert!(!eq_ignore_case("İ", "i"));
        // Kelvin sign lowercases to 'k'.
        assert!(eq_ignore_case("\u{212A}", "k"));
        // Wildcards are plain text here.
        assert!(!eq_ignore_case("test*", "test123"));
        assert!(eq_ignore_case("test*", "TEST*"));
    }

    #[test]
    fn ignore_case_parts() {
        assert!(eq_ignore_case_parts(&[], ""));
        assert!(!eq_ignore_case_parts(&[], "a"));
        assert!(eq_ignore_case_parts(&["", ""], ""));
        assert!(eq_ignore_case_parts(
            &["arn:aws:iam::123456789012:user/", "BOB"],
            "arn:aws:iam::123456789012:user/bob"
        ));
        assert!(eq_ignore_case_parts(&["É", "co", "", "LE"], "école"));
        assert!(!eq_ignore_case_parts(&["É", "co"], "école"));
        assert!(!eq_ignore_case_parts(&["test", "1"], "test"));
    }

    #[test]
    fn exact_parts() {
        assert!(eq_parts(&[], ""));
        assert!(!eq_parts(&[], "a"));
        assert!(eq_parts(&[""], ""));
        assert!(eq_parts(&["a", "b", "c"], "abc"));
        assert!(eq_parts(&["ab", "", "c"], "abc"));
        assert!(!eq_parts(&["ab", "c"], "ab"));
        assert!(!eq_parts(&["ab"], "abc"));
        assert!(!eq_parts(&["a", "B"], "ab"));
        assert!(eq_parts(&["日", "本語"], "日本語"));
        assert!(!eq_parts(&["日", "本"], "日本語"));
        // A split inside a multi-byte character of `b` cannot match a whole-character part wrongly.
        assert!(!eq_parts(&["\u{e9}"], "e\u{301}"));
    }

    #[test]
    fn text_hostile() {
        let a = "A".repeat(1 << 20);
        let b = "a".repeat(1 << 20);
        assert!(eq_ignore_case(&a, &b));
        assert!(!eq_parts(&[&a], &b));
        assert!(eq_parts(&[&b[..1000], &b[1000..]], &b));
        let shorter = "a".repeat((1 << 20) - 1);
        assert!(!eq_ignore_case(&a, &shorter));
        assert!(!eq_ignore_case(&shorter, &a));
        let e1 = "É".repeat(1 << 18);
        let e2 = "é".repeat(1 << 18);
        assert!(eq_ignore_case(&e1, &e2));
        let many: std::vec::Vec<&str> = std::vec!["a"; 100_000];
        let joined = "a".repeat(100_000);
        assert!(eq_parts(&many, &joined));
        assert!(eq_ignore_case_parts(&many, &joined.to_uppercase()));
    }
}
