//! ARN condition operators: `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike`.
//!
//! As in AWS, an ARN `arn:partition:service:region:account:resource` is compared component by
//! component: each of the six colon-delimited components is matched separately and case-sensitively,
//! with `*`/`?` wildcards that cannot cross the `:` ending one of the first five components. The
//! resource component is everything after the fifth colon: it may contain colons, and a `*` there may
//! match colons. `ArnEquals` honours wildcards exactly like `ArnLike` (PMapper's simulator-checked
//! tests, case `pmapper/arn_condition #3`).
//!
//! ```
//! use tagpolicy_runtime::arn::arn_matches;
//! use tagpolicy_runtime::glob::pieces;
//! let pattern: Vec<_> = pieces("arn:aws:iam::*:user/test1").collect();
//! assert_eq!(arn_matches(&pattern, "arn:aws:iam::000000000000:user/test1"), Some(true));
//! assert_eq!(arn_matches(&pattern, "arn:aws:iam::000000000000:user/test2"), Some(false));
//! assert_eq!(arn_matches(&pattern, "test2"), None); // not an ARN
//! ```

use crate::glob::{run, Case, Piece, PieceRange};

/// Number of colons that separate the six components of an ARN.
const SEPARATORS: usize = 5;

/// Does the ARN `value` match the ARN pattern given as pieces? None when `value` is not an ARN
/// (does not start with "arn:" or has fewer than 6 colon-separated components).
///
/// The pattern is split into its six components at the first five `:` found in its
/// [`Piece::Text`] pieces (wildcard pieces never split; text substituted from a policy variable
/// splits like literal policy text). Each component of the pattern is then glob-matched
/// ([`crate::glob`]), case-sensitively, against the same component of `value`; the sixth
/// (resource) component of each side is everything after its fifth colon.
///
/// A pattern with fewer than six components matches nothing: `Some(false)` for every ARN value
/// (so `ArnNotLike` with such a pattern holds for every ARN). Callers implementing negated
/// operators must treat `None` as "condition does not hold" (fail closed): a value that is not an ARN
/// makes `ArnNotLike` false, as the IAM policy simulator does (cases `pmapper/arn_condition #7`,
/// `iam-simulate/ArnNotLike #1`).
///
/// ```
/// use tagpolicy_runtime::arn::arn_matches;
/// use tagpolicy_runtime::glob::{pieces, Piece};
/// let p: Vec<_> = pieces("arn:???:*:*:*:*").collect();
/// assert_eq!(arn_matches(&p, "arn:aws:ec2:us-east-1:123456789012:instance/i-1"), Some(true));
/// // '*' does not cross the colon that ends the region component...
/// let p: Vec<_> = pieces("arn:aws:ec2:*:instance/i-1").collect();
/// assert_eq!(arn_matches(&p, "arn:aws:ec2:us-east-1:123456789012:instance/i-1"), Some(false));
/// // ...but may cross colons inside the resource.
/// let p: Vec<_> = pieces("arn:aws:sns:*:*:topic*").collect();
/// assert_eq!(arn_matches(&p, "arn:aws:sns:us-east-1:1:topic:sub:x"), Some(true));
/// // A pattern assembled with a substituted variable value (literal text).
/// let p = [Piece::Text("arn:aws:iam::123456789012:user/"), Piece::Text("Bob")];
/// assert_eq!(arn_matches(&p, "arn:aws:iam::123456789012:user/Bob"), Some(true));
/// ```
pub fn arn_matches(pattern: &[Piece<'_>], value: &str) -> Option<bool> {
    let value_parts = split_value(value)?;
    let Some(bounds) = pattern_colons(pattern) else {
        return Some(false);
    };
    let mut start = (0usize, 0usize);
    let mut ends = bounds
        .iter()
        .copied()
        .map(Some)
        .chain(core::iter::once(None));
    for part in value_parts {
        let end = match ends.next() {
            Some(Some(colon)) => colon,
            Some(None) => (pattern.len(), 0),
            None => return Some(false),
        };
        let range = PieceRange::new(pattern, start, end);
        if !run(range, part, Case::Sensitive, &mut 0) {
            return Some(false);
        }
        // The next component starts just after the colon (one byte, always at a char boundary).
        start = (end.0, end.1.saturating_add(1));
    }
    Some(true)
}

/// Whether `value` is an ARN (`arn:` and at least six colon-separated components): what the ARN
/// operators can compare. A value that is not one fails those conditions, negated or not.
pub fn is_arn(value: &str) -> bool {
    split_value(value).is_some()
}

/// Splits an ARN value into its six components; `None` when it is not an ARN.
fn split_value(value: &str) -> Option<[&str; 6]> {
    let mut parts = [""; 6];
    let mut rest = value;
    for slot in parts.iter_mut().take(SEPARATORS) {
        let (head, tail) = rest.split_once(':')?;
        *slot = head;
        rest = tail;
    }
    if let Some(last) = parts.last_mut() {
        *last = rest;
    }
    if parts.first() != Some(&"arn") {
        return None;
    }
    Some(parts)
}

/// Positions `(piece index, byte offset)` of the first five colons in the text of `pattern`;
/// `None` when it has fewer.
fn pattern_colons(pattern: &[Piece<'_>]) -> Option<[(usize, usize); SEPARATORS]> {
    let mut found = [(0usize, 0usize); SEPARATORS];
    let mut slots = found.iter_mut();
    'pieces: for (idx, piece) in pattern.iter().enumerate() {
        if let Piece::Text(text) = piece {
            for (off, _) in text.match_indices(':') {
                match slots.next() {
                    Some(slot) => *slot = (idx, off),
                    None => break 'pieces,
                }
            }
        }
    }
    if slots.next().is_some() {
        return None;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::glob::pieces;
    use std::string::String;
    use std::vec::Vec;

    fn m(pattern: &str, value: &str) -> Option<bool> {
        let p: Vec<Piece<'_>> = pieces(pattern).collect();
        arn_matches(&p, value)
    }

    const EC2: &str = "arn:aws:ec2:us-east-1:123456789012:instance/i-12345";

    #[test]
    fn conformance_cases() {
        // iam-simulate/ArnLike #1, ArnNotLike #1: request value is not a valid ARN.
        assert_eq!(
            m("arn:aws:iam::123456789012:user/Bob", "arn:::bucket-name"),
            None
        );
        // #2, #3: exact match.
        assert_eq!(m(EC2, EC2), Some(true));
        assert_eq!(
            m("arn:aws:ec2:us-east-1:123456789012:instance/i-98765", EC2),
            Some(false)
        );
        // #4: no region or account id.
        assert_eq!(
            m(
                "arn:aws:s3:::my_corporate_bucket",
                "arn:aws:s3:::my_corporate_bucket"
            ),
            Some(true)
        );
        // #5: case sensitive.
        assert_eq!(
            m(EC2, "arn:aws:ec2:us-east-1:123456789012:INSTANCE/I-12345"),
            Some(false)
        );
        // #6: wildcards in every segment.
        assert_eq!(m("arn:???:*:*:*:*", EC2), Some(true));
        // ArnNotLike #4, #5: root of the same / another account.
        assert_eq!(
            m(
                "arn:aws:iam::123456789012:*",
                "arn:aws:iam::123456789012:root"
            ),
            Some(true)
        );
        assert_eq!(
            m(
                "arn:aws:iam::111111111111:*",
                "arn:aws:iam::222222222222:root"
            ),
            Some(false)
        );
        // pmapper/arn_condition
        assert_eq!(
            m(
                "arn:aws:iam::000000000000:user/test1",
                "arn:aws:iam::000000000000:user/test1"
            ),
            Some(true)
        );
        assert_eq!(
            m(
                "arn:aws:iam::000000000000:user/test1",
                "arn:aws:iam::000000000000:user/test2"
            ),
            Some(false)
        );
        assert_eq!(
            m(
                "arn:aws:iam::*:user/test1",
                "arn:aws:iam::000000000000:user/test1"
            ),
            Some(true)
        );
        assert_eq!(
            m(
                "arn:aws:iam::*:user/test1",
                "arn:aws:iam::000000000000:user/test2"
            ),
            Some(false)
        );
        assert_eq!(m("arn:aws:iam::*:user/test1", "test2"), None);
    }

    #[test]
    fn wildcards_stay_inside_their_component() {
        // '*' in the region cannot swallow the account.
        assert_eq!(m("arn:aws:ec2:*:instance/i-12345", EC2), Some(false));
        assert_eq!(m("arn:aws:ec2:*:*:instance/i-12345", EC2), Some(true));
        // '?' cannot match a separator colon.
        assert_eq!(m("arn:aws:s3?::bucket", "arn:aws:s3:::bucket"), Some(false));
        assert_eq!(m("arn:aws:s?:::bucket", "arn:aws:s3:::bucket"), Some(true));
        // An empty component is matched by '*' but not by '?'.
        assert_eq!(
            m("arn:aws:s3:*:*:bucket", "arn:aws:s3:::bucket"),
            Some(true)
        );
        assert_eq!(
            m("arn:aws:s3:?::bucket", "arn:aws:s3:::bucket"),
            Some(false)
        );
        // Component-wise '*' is not a whole-string '*': "arn:aws:*" has only three components.
        assert_eq!(m("arn:aws:*", EC2), Some(false));
        assert_eq!(m("*", EC2), Some(false));
        assert_eq!(m("", EC2), Some(false));
        assert_eq!(m("arn:*:*:*:*", EC2), Some(false));
    }

    #[test]
    fn resource_may_contain_colons() {
        let v = "arn:aws:sns:us-east-1:123456789012:topic:subscription:abc";
        assert_eq!(
            m("arn:aws:sns:us-east-1:123456789012:topic:*", v),
            Some(true)
        );
        assert_eq!(m("arn:aws:sns:us-east-1:123456789012:*", v), Some(true));
        assert_eq!(
            m("arn:aws:sns:us-east-1:123456789012:topic*abc", v),
            Some(true)
        );
        assert_eq!(
            m(
                "arn:aws:sns:us-east-1:123456789012:topic:subscription:abc",
                v
            ),
            Some(true)
        );
        assert_eq!(
            m("arn:aws:sns:us-east-1:123456789012:topic", v),
            Some(false)
        );
        assert_eq!(
            m("arn:aws:sns:us-east-1:123456789012:topic:subscription", v),
            Some(false)
        );
        assert_eq!(m("arn:aws:sns:*:*:*:*:*", v), Some(true));
        assert_eq!(m("arn:aws:sns:*:*:*:*:*:*", v), Some(false));
    }

    #[test]
    fn first_component_is_matched_too() {
        assert_eq!(m("arn:aws:s3:::b", "arn:aws:s3:::b"), Some(true));
        assert_eq!(m("ARN:aws:s3:::b", "arn:aws:s3:::b"), Some(false));
        assert_eq!(m("a?n:aws:s3:::b", "arn:aws:s3:::b"), Some(true));
        assert_eq!(m("*:aws:s3:::b", "arn:aws:s3:::b"), Some(true));
        assert_eq!(m("x:aws:s3:::b", "arn:aws:s3:::b"), Some(false));
    }

    #[test]
    fn not_an_arn() {
        for v in [
            "",
            "arn",
            "arn:",
            "arn:aws:s3::",
            "arn:aws:s3:::",
            "ARN:aws:s3:::b",
            " arn:aws:s3:::b",
            "urn:aws:s3:::b",
            "arnx:aws:s3:::b",
            "test2",
            "日本:a:b:c:d:e",
        ] {
            if v == "arn:aws:s3:::" {
                // Six components, the last one empty: an ARN.
                assert_eq!(m("arn:aws:s3:::*", v), Some(true));
                assert_eq!(m("arn:aws:s3:::?*", v), Some(false));
                continue;
            }
            assert_eq!(m("arn:*:*:*:*:*", v), None, "{v:?}");
            assert_eq!(m("*", v), None, "{v:?}");
        }
        // Minimal ARN: all components empty but the first.
        assert_eq!(m("arn:::::", "arn:::::"), Some(true));
        assert_eq!(m("arn:*:*:*:*:*", "arn:::::"), Some(true));
    }

    #[test]
    fn pieces_from_variables() {
        // Colons in substituted text split components like literal text.
        let p = [
            Piece::Text("arn:aws:iam::"),
            Piece::Text("123456789012:user/"),
            Piece::Text("Bob"),
        ];
        assert_eq!(
            arn_matches(&p, "arn:aws:iam::123456789012:user/Bob"),
            Some(true)
        );
        assert_eq!(
            arn_matches(&p, "arn:aws:iam::123456789012:user/bob"),
            Some(false)
        );
        // Text '*' is literal.
        let p = [
            Piece::Text("arn:aws:iam::123456789012:user/"),
            Piece::Text("*"),
        ];
        assert_eq!(
            arn_matches(&p, "arn:aws:iam::123456789012:user/*"),
            Some(true)
        );
        assert_eq!(
            arn_matches(&p, "arn:aws:iam::123456789012:user/Bob"),
            Some(false)
        );
        // Wildcard pieces between colons.
        let p = [
            Piece::Text("arn:"),
            Piece::Star,
            Piece::Text(":s3:"),
            Piece::AnyChar,
            Piece::Star,
            Piece::Text(":"),
            Piece::Text(":"),
            Piece::Star,
        ];
        assert_eq!(arn_matches(&p, "arn:aws-cn:s3:x::bucket/k"), Some(true));
        assert_eq!(arn_matches(&p, "arn:aws-cn:s3:::bucket/k"), Some(false));
        // Colons as separate one-character pieces and empty texts.
        let p = [
            Piece::Text("arn"),
            Piece::Text(":"),
            Piece::Text(""),
            Piece::Text("aws:"),
            Piece::Text("s3"),
            Piece::Text(":"),
            Piece::Text(":"),
            Piece::Text(":b"),
            Piece::Text(""),
        ];
        assert_eq!(arn_matches(&p, "arn:aws:s3:::b"), Some(true));
        assert_eq!(arn_matches(&p, "arn:aws:s3:::bb"), Some(false));
        assert_eq!(arn_matches(&[], "arn:aws:s3:::b"), Some(false));
        assert_eq!(arn_matches(&[Piece::Star], "arn:aws:s3:::b"), Some(false));
    }

    #[test]
    fn unicode_components() {
        assert_eq!(m("arn:aws:s3:::日本/?", "arn:aws:s3:::日本/語"), Some(true));
        assert_eq!(
            m("arn:aws:s3:::日本/??", "arn:aws:s3:::日本/語"),
            Some(false)
        );
        assert_eq!(m("arn:aws:s3:?::x", "arn:aws:s3:é::x"), Some(true));
        assert_eq!(m("arn:aws:s3:*é::x", "arn:aws:s3:😀é::x"), Some(true));
    }

    #[test]
    fn hostile_inputs() {
        let big = "x".repeat(1 << 20);
        let value = std::format!("arn:aws:s3:::{big}");
        assert_eq!(m("arn:aws:s3:::*", &value), Some(true));
        assert_eq!(m("arn:aws:s3:::*y", &value), Some(false));
        assert_eq!(m("arn:aws:s3:::*a*a*a*a*a*a*b", &value), Some(false));
        let colons = ":".repeat(1 << 20);
        let value = std::format!("arn{colons}");
        assert_eq!(m("arn:*:*:*:*:*", &value), Some(true));
        assert_eq!(m("arn:::::", &value), Some(false));
        assert_eq!(m(&value, &value), Some(true));
        assert_eq!(m(&value, "arn:::::"), Some(false));
        assert_eq!(m("arn:*:*:*:*:*", &big), None);
        let long_region: String = "r".repeat(1 << 20);
        let value = std::format!("arn:aws:ec2:{long_region}:1:i");
        assert_eq!(m("arn:aws:ec2:r*r:1:i", &value), Some(true));
        assert_eq!(m("arn:aws:ec2:*:2:i", &value), Some(false));
        assert_eq!(m(&big, "arn:aws:s3:::b"), Some(false));
    }
}
