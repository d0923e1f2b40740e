//! IAM wildcard matching (`Action`, `Resource`, `StringLike`, `ArnLike`).
//!
//! `*` matches any run of characters, including the empty run, `/` and `:`; `?` matches exactly one
//! character, i.e. one Unicode scalar value (a whole UTF-8 sequence, never one byte of it). Every
//! other character is literal; there is no escape character (IAM spells a literal `*` as the policy
//! variable `${*}`, which the compiler turns into [`Piece::Text`]).
//!
//! The matcher is the greedy "remember the last star" algorithm: it never backtracks further than the
//! last `*` it passed, so its worst case is `O(len(pattern) × len(input))` and, for a fixed pattern,
//! linear in the input. Patterns such as `*a*a*a*a*b` cannot make it explode. It allocates nothing and
//! never panics.
//!
//! ```
//! use tagpolicy_runtime::glob::{self, Case, Piece};
//!
//! assert!(glob::matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b.txt"));
//! assert!(glob::matches_ascii_case_insensitive("s3:Get*", "S3:GETOBJECT"));
//! assert!(glob::matches("caf?", "café"));
//!
//! // A pattern assembled from literal policy text and a substituted variable value: the value's
//! // '*' is literal text, not a wildcard.
//! let pieces = [Piece::Text("home/"), Piece::Text("a*b"), Piece::Text("/"), Piece::Star];
//! assert!(glob::matches_pieces(&pieces, "home/a*b/notes.txt", Case::Sensitive));
//! assert!(!glob::matches_pieces(&pieces, "home/axxb/notes.txt", Case::Sensitive));
//! ```

/// Most pieces (text, wildcards, variable values) one pattern or template may have: the compiler
/// rejects longer ones, and evaluation (the run-time evaluator and the table walker) gathers a
/// template's pieces into a buffer of this size on the stack ([`with_pieces`],
/// [`crate::scalar::template_equals`]).
pub const MAX_TEMPLATE_PARTS: usize = 32;

/// Gathers `pieces` on the stack and hands them to `f`: `None` if a piece is `None` (a variable
/// without a value) or there are more than [`MAX_TEMPLATE_PARTS`].
#[inline]
pub fn with_pieces<'a, R>(
    pieces: impl IntoIterator<Item = Option<Piece<'a>>>,
    f: impl FnOnce(&[Piece<'a>]) -> R,
) -> Option<R> {
    let mut buf = [Piece::Star; MAX_TEMPLATE_PARTS];
    let mut n = 0usize;
    for piece in pieces {
        *buf.get_mut(n)? = piece?;
        n = n.saturating_add(1);
    }
    Some(f(buf.get(..n)?))
}

/// One element of a glob pattern whose text may come from several sources (literal text of the policy,
/// values of policy variables substituted at run time): text is always literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text; `*` and `?` inside it are ordinary characters. Adjacent `Text` pieces behave
    /// exactly like their concatenation; an empty `Text` matches the empty string.
    Text(&'a str),
    /// `*`: any run of characters, possibly empty. Consecutive stars behave like one.
    Star,
    /// `?`: exactly one character (one Unicode scalar value).
    AnyChar,
}

/// Case handling of a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Characters must be identical (resources, ARNs, `StringLike` values).
    Sensitive,
    /// ASCII letters compare case-insensitively (action names); other characters must be identical.
    AsciiInsensitive,
}

/// Does `input` match the IAM wildcard `pattern`, case-sensitively?
///
/// `*` and `?` in `pattern` are wildcards; every other character is literal.
///
/// ```
/// use tagpolicy_runtime::glob::matches;
/// assert!(matches("arn:aws:s3:::test*", "arn:aws:s3:::test"));
/// assert!(matches("test-?", "test-1"));
/// assert!(!matches("test-?", "test1"));
/// assert!(!matches("Bucket", "bucket"));
/// ```
pub fn matches(pattern: &str, input: &str) -> bool {
    let p = pattern.as_bytes();
    if crate::bytes::find_byte(p, b'?').is_none() {
        // Only `*` wildcards (the common case): the pieces between them, found left to right.
        return matches_star_text(p, input.as_bytes());
    }
    run(StrPattern(pattern), input, Case::Sensitive, &mut 0)
}

/// [`matches`] for a pattern without `?`: split at its `*`s as it is read, no allocation. The
/// first piece is a prefix of the input, the last a suffix, the others are found in order
/// (leftmost), which decides a star-only glob exactly.
fn matches_star_text(pattern: &[u8], input: &[u8]) -> bool {
    let Some(first_star) = crate::bytes::find_byte(pattern, b'*') else {
        return crate::bytes::eq(pattern, input);
    };
    let last_star = pattern
        .iter()
        .rposition(|&b| b == b'*')
        .unwrap_or(first_star);
    let first = pattern.get(..first_star).unwrap_or(&[]);
    let last = pattern.get(last_star.saturating_add(1)..).unwrap_or(&[]);
    let middle = pattern
        .get(first_star.saturating_add(1)..last_star)
        .unwrap_or(&[]);
    star_parts_match(first, middle.split(|&b| b == b'*'), last, input)
}

/// A star-only glob given as the text before its first `*` (a prefix of the input), the texts
/// between stars (found leftmost, in order; an empty one matches at once) and the text after its
/// last `*` (a suffix): what [`matches_stars`] and [`matches`] without `?` both decide, through
/// [`star_span`] and [`star_after`] as generated code does.
#[inline]
fn star_parts_match<'p>(
    first: &[u8],
    middle: impl IntoIterator<Item = &'p [u8]>,
    last: &[u8],
    input: &[u8],
) -> bool {
    let Some(mut rest) = star_span(input, first, last) else {
        return false;
    };
    for part in middle {
        match star_after(rest, part) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    true
}

/// For a star-only glob whose text before the first `*` is `first` and after the last `*` is
/// `last`: the part of `input` between them (where the texts between stars must be found), or
/// `None` when `input` does not start with `first` and end with `last` without overlap.
///
/// Generated code decides a constant star-only glob as `star_span` followed by one
/// [`star_after`] per text between stars, with every text a constant.
///
/// ```
/// use tagpolicy_runtime::glob::{star_after, star_span};
/// // arn:aws:ec2:*:*:instance/*
/// let m = |arn: &str| {
///     star_span(arn.as_bytes(), b"arn:aws:ec2:", b"")
///         .and_then(|r| star_after(r, b":"))
///         .and_then(|r| star_after(r, b":instance/"))
///         .is_some()
/// };
/// assert!(m("arn:aws:ec2:us-east-1:1:instance/i-1"));
/// assert!(!m("arn:aws:ec2:us-east-1:1:volume/v-1"));
/// ```
#[inline(always)]
pub fn star_span<'i>(input: &'i [u8], first: &[u8], last: &[u8]) -> Option<&'i [u8]> {
    // The first and last parts may not overlap in the input.
    let end = input.len().checked_sub(last.len())?;
    if end < first.len()
        || !crate::bytes::starts_with(input, first)
        || !crate::bytes::ends_with(input, last)
    {
        return None;
    }
    input.get(first.len()..end)
}

/// `rest` without `text` at its start, if it starts with it: how generated code matches the
/// literal text and policy-variable values before a template's first `*` (or all of a template
/// without `*`, which must then leave nothing).
#[inline(always)]
pub fn strip_prefix<'i>(rest: &'i [u8], text: &[u8]) -> Option<&'i [u8]> {
    if crate::bytes::starts_with(rest, text) {
        rest.get(text.len()..)
    } else {
        None
    }
}

/// `rest` without `text` at its end, if it ends with it (the texts after a template's last `*`,
/// stripped from the last).
#[inline(always)]
pub fn strip_suffix<'i>(rest: &'i [u8], text: &[u8]) -> Option<&'i [u8]> {
    if crate::bytes::ends_with(rest, text) {
        rest.get(..rest.len().saturating_sub(text.len()))
    } else {
        None
    }
}

/// The rest of `rest` after the leftmost occurrence of `part` (a text between two stars), or
/// `None` when it does not occur. See [`star_span`].
#[inline(always)]
pub fn star_after<'i>(rest: &'i [u8], part: &[u8]) -> Option<&'i [u8]> {
    let at = crate::bytes::find(rest, part)?;
    rest.get(at.checked_add(part.len())?..)
}

/// Like [`matches`], but ASCII letters compare case-insensitively (IAM action names).
///
/// ```
/// use tagpolicy_runtime::glob::matches_ascii_case_insensitive;
/// assert!(matches_ascii_case_insensitive("iam:*User", "IAM:createuser"));
/// assert!(!matches_ascii_case_insensitive("iam:*User", "iam:CreateRole"));
/// ```
pub fn matches_ascii_case_insensitive(pattern: &str, input: &str) -> bool {
    run(StrPattern(pattern), input, Case::AsciiInsensitive, &mut 0)
}

/// Does `input` match the pattern made of `pieces`?
///
/// [`Piece::Text`] is always literal (its `*` and `?` are plain characters), [`Piece::Star`] and
/// [`Piece::AnyChar`] are the wildcards. An empty slice matches only the empty input.
///
/// ```
/// use tagpolicy_runtime::glob::{matches_pieces, Case, Piece};
/// let p = [Piece::Text("s3:"), Piece::Text("Get"), Piece::Star];
/// assert!(matches_pieces(&p, "S3:getObject", Case::AsciiInsensitive));
/// assert!(!matches_pieces(&p, "S3:getObject", Case::Sensitive));
/// ```
pub fn matches_pieces(pieces: &[Piece<'_>], input: &str, case: Case) -> bool {
    run(PieceRange::whole(pieces), input, case, &mut 0)
}

/// Same as matches_pieces, also returns the number of elementary steps taken (for tests that prove linear time).
#[doc(hidden)]
pub fn matches_pieces_counting(pieces: &[Piece<'_>], input: &str, case: Case) -> (bool, u64) {
    let mut steps = 0;
    let result = run(PieceRange::whole(pieces), input, case, &mut steps);
    (result, steps)
}

/// Splits a pattern string into pieces lazily: an iterator (no allocation) of Piece over a &str, where
/// '*' -> Star, '?' -> AnyChar, maximal runs of other chars -> Text.
///
/// Matching the collected pieces gives the same result as [`matches`] on the string.
///
/// ```
/// use tagpolicy_runtime::glob::{pieces, Piece};
/// let mut it = pieces("a*?bc");
/// assert_eq!(it.next(), Some(Piece::Text("a")));
/// assert_eq!(it.next(), Some(Piece::Star));
/// assert_eq!(it.next(), Some(Piece::AnyChar));
/// assert_eq!(it.next(), Some(Piece::Text("bc")));
/// assert_eq!(it.next(), None);
/// ```
pub fn pieces(pattern: &str) -> impl Iterator<Item = Piece<'_>> + Clone {
    Pieces { rest: pattern }
}

/// The iterator behind [`pieces`].
#[derive(Clone, Debug)]
struct Pieces<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let piece = match self.rest.as_bytes().first()? {
            b'*' => Piece::Star,
            b'?' => Piece::AnyChar,
            _ => {
                let end = self.rest.find(['*', '?']).unwrap_or(self.rest.len());
                let (text, rest) = self.rest.split_at_checked(end)?;
                self.rest = rest;
                return Some(Piece::Text(text));
            }
        };
        self.rest = self.rest.get(1..).unwrap_or("");
        Some(piece)
    }
}

/// One element of a pattern as the matcher sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Star,
    AnyChar,
    Literal(char),
}

/// A pattern walked with a cursor, without building any buffer.
pub(crate) trait Pattern: Copy {
    /// A position in the pattern.
    type Pos: Copy;
    /// The position of the first token.
    fn start(self) -> Self::Pos;
    /// The token at `pos` and the position after it; `None` at the end of the pattern.
    fn token_at(self, pos: Self::Pos) -> Option<(Token, Self::Pos)>;
}

/// A pattern string: `*` and `?` are wildcards. Positions are byte offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StrPattern<'a>(pub(crate) &'a str);

impl Pattern for StrPattern<'_> {
    type Pos = usize;

    fn start(self) -> usize {
        0
    }

    fn token_at(self, pos: usize) -> Option<(Token, usize)> {
        let c = self.0.get(pos..)?.chars().next()?;
        let next = pos.saturating_add(c.len_utf8());
        let token = match c {
            '*' => Token::Star,
            '?' => Token::AnyChar,
            c => Token::Literal(c),
        };
        Some((token, next))
    }
}

/// A sub-range of a piece slice: from a start position up to (excluding) an end position.
///
/// Positions are `(piece index, byte offset inside that piece)`; the offset is only meaningful for
/// [`Piece::Text`]. The end `(i, o)` excludes piece `i` entirely when it is not text, and the text
/// of piece `i` from byte `o` on when it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PieceRange<'p, 'a> {
    pieces: &'p [Piece<'a>],
    start: (usize, usize),
    end: (usize, usize),
}

impl<'p, 'a> PieceRange<'p, 'a> {
    /// All of `pieces`.
    pub(crate) fn whole(pieces: &'p [Piece<'a>]) -> Self {
        PieceRange {
            pieces,
            start: (0, 0),
            end: (pieces.len(), 0),
        }
    }

    /// The pieces between `start` (inclusive) and `end` (exclusive).
    pub(crate) fn new(pieces: &'p [Piece<'a>], start: (usize, usize), end: (usize, usize)) -> Self {
        PieceRange { pieces, start, end }
    }
}

impl Pattern for PieceRange<'_, '_> {
    type Pos = (usize, usize);

    fn start(self) -> (usize, usize) {
        self.start
    }

    fn token_at(self, pos: (usize, usize)) -> Option<(Token, (usize, usize))> {
        let (mut idx, mut off) = pos;
        loop {
            if idx > self.end.0 {
                return None;
            }
            let at_end_piece = idx == self.end.0;
            match self.pieces.get(idx)? {
                Piece::Star | Piece::AnyChar if at_end_piece => return None,
                Piece::Star => return Some((Token::Star, (idx.saturating_add(1), 0))),
                Piece::AnyChar => return Some((Token::AnyChar, (idx.saturating_add(1), 0))),
                Piece::Text(text) => {
                    let limit = if at_end_piece {
                        self.end.1.min(text.len())
                    } else {
                        text.len()
                    };
                    if let Some(c) = text.get(off..limit).and_then(|rest| rest.chars().next()) {
                        return Some((Token::Literal(c), (idx, off.saturating_add(c.len_utf8()))));
                    }
                    if at_end_piece {
                        return None;
                    }
                    // This text is used up (or empty): go on with the next piece.
                    idx = idx.saturating_add(1);
                    off = 0;
                }
            }
        }
    }
}

/// The first character of `s` at byte offset `i`, if any.
fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|rest| rest.chars().next())
}

fn same_char(pattern: char, input: char, case: Case) -> bool {
    pattern == input || (case == Case::AsciiInsensitive && pattern.eq_ignore_ascii_case(&input))
}

/// The greedy "remember the last star" matcher.
///
/// On a mismatch it resumes just after the most recent `*`, with that star swallowing one more input
/// character. Earlier stars never need revisiting: whatever they could absorb, the last star can
/// absorb too. Each star restart advances the resume point by one character, so the work is at most
/// `len(pattern)` steps per input character. `steps` counts loop iterations.
pub(crate) fn run<P: Pattern>(pattern: P, input: &str, case: Case, steps: &mut u64) -> bool {
    let mut pos = pattern.start();
    let mut i = 0usize;
    // (pattern position after the last star, input offset that star's match ends at)
    let mut last_star: Option<(P::Pos, usize)> = None;
    loop {
        *steps = steps.saturating_add(1);
        let current = char_at(input, i);
        let advanced = match pattern.token_at(pos) {
            Some((Token::Star, next)) => {
                last_star = Some((next, i));
                pos = next;
                true
            }
            Some((Token::AnyChar, next)) => match current {
                Some(c) => {
                    pos = next;
                    i = i.saturating_add(c.len_utf8());
                    true
                }
                None => false,
            },
            Some((Token::Literal(p), next)) => match current {
                Some(c) if same_char(p, c, case) => {
                    pos = next;
                    i = i.saturating_add(c.len_utf8());
                    true
                }
                _ => false,
            },
            None => {
                if current.is_none() {
                    return true;
                }
                false
            }
        };
        if advanced {
            continue;
        }
        // Mismatch: let the last star swallow one more whole character and retry after it.
        let Some((star_pos, star_end)) = last_star else {
            return false;
        };
        let Some(c) = char_at(input, star_end) else {
            return false;
        };
        let star_end = star_end.saturating_add(c.len_utf8());
        last_star = Some((star_pos, star_end));
        pos = star_pos;
        i = star_end;
    }
}

/// Does `input` match a pattern with no `?` whose text between `*`s is `parts` (the pattern
/// `parts.join("*")`, at least two parts, so at least one `*`), case-sensitively?
///
/// What generated code calls for a constant resource pattern such as `arn:aws:ec2:*:*:instance/*`
/// (parts `["arn:aws:ec2:", "", ":instance/", ""]`): the first part must begin the input, the last
/// must end it, and the middle parts are found leftmost in order between them — exact for
/// `*`-only patterns, linear in the input, and as fast as a hand-written check.
///
/// ```
/// use tagpolicy_runtime::glob::matches_stars;
/// let parts = ["arn:aws:ec2:", ":", ":instance/", ""];
/// assert!(matches_stars(&parts, "arn:aws:ec2:us-east-1:1:instance/i-1"));
/// assert!(!matches_stars(&parts, "arn:aws:ec2:us-east-1:1:volume/v-1"));
/// ```
pub fn matches_stars(parts: &[&str], input: &str) -> bool {
    let [first, middle @ .., last] = parts else {
        // Fewer than two parts: no star; a caller compares such patterns with `==`.
        return parts.first().is_some_and(|p| *p == input);
    };
    star_parts_match(
        first.as_bytes(),
        middle.iter().map(|p| p.as_bytes()),
        last.as_bytes(),
        input.as_bytes(),
    )
}

/// [`matches_stars`] for action names: `parts` are lower-case and ASCII letters of `input` match
/// in any case.
///
/// ```
/// use tagpolicy_runtime::glob::matches_stars_folded;
/// assert!(matches_stars_folded(&["ec2:", ""], "EC2:StartInstances"));
/// assert!(matches_stars_folded(&["iam:", "user"], "IAM:CreateUser"));
/// assert!(!matches_stars_folded(&["iam:", "user"], "iam:CreateRole"));
/// ```
pub fn matches_stars_folded(parts: &[&str], input: &str) -> bool {
    let [first, middle @ .., last] = parts else {
        return parts.first().is_some_and(|p| p.eq_ignore_ascii_case(input));
    };
    let bytes = input.as_bytes();
    let (Some(head), Some(tail_at)) = (
        bytes.get(..first.len()),
        bytes.len().checked_sub(last.len()),
    ) else {
        return false;
    };
    if !head.eq_ignore_ascii_case(first.as_bytes()) || tail_at < first.len() {
        return false;
    }
    if !bytes
        .get(tail_at..)
        .is_some_and(|t| t.eq_ignore_ascii_case(last.as_bytes()))
    {
        return false;
    }
    let mut rest = bytes.get(first.len()..tail_at).unwrap_or(&[]);
    for part in middle {
        let n = part.len();
        let found = (0..rest.len().saturating_add(1).saturating_sub(n)).find(|&at| {
            rest.get(at..at.saturating_add(n))
                .is_some_and(|w| w.eq_ignore_ascii_case(part.as_bytes()))
        });
        match found {
            Some(at) => rest = rest.get(at.saturating_add(n)..).unwrap_or(&[]),
            None => return false,
        }
    }
    true
}

/// Does `input` match the pattern made of `pieces`, case-sensitively? The same as
/// [`matches_pieces`] with [`Case::Sensitive`], faster for patterns without [`Piece::AnyChar`]
/// (what a resource pattern with policy variables usually is): the text before the first `*`
/// must begin the input, the text after the last must end it, and the texts between stars are
/// found leftmost in order, each as the concatenation of its pieces.
///
/// ```
/// use tagpolicy_runtime::glob::{matches_star_pieces, Piece};
/// let p = [Piece::Text("arn:aws:sqs:*:1:"), Piece::Text("ops"), Piece::Text("-"), Piece::Star];
/// assert!(!matches_star_pieces(&p, "arn:aws:sqs:us-east-1:1:ops-queue")); // `*` in Text is literal
/// let p = [Piece::Text("arn:aws:sqs:"), Piece::Star, Piece::Text(":1:"), Piece::Text("ops"), Piece::Text("-"), Piece::Star];
/// assert!(matches_star_pieces(&p, "arn:aws:sqs:us-east-1:1:ops-queue"));
/// assert!(!matches_star_pieces(&p, "arn:aws:sqs:us-east-1:1:dev-queue"));
/// ```
pub fn matches_star_pieces(pieces: &[Piece<'_>], input: &str) -> bool {
    if pieces.iter().any(|p| matches!(p, Piece::AnyChar)) {
        return matches_pieces(pieces, input, Case::Sensitive);
    }
    let is_star = |p: &Piece<'_>| matches!(p, Piece::Star);
    let stars = pieces.iter().filter(|p| is_star(p)).count();
    let mut groups = pieces.split(is_star);
    let first = groups.next().unwrap_or(&[]);
    let Some(rest) = strip_prefix_pieces(input.as_bytes(), first) else {
        return false;
    };
    if stars == 0 {
        return rest.is_empty();
    }
    let last = pieces.rsplit(is_star).next().unwrap_or(&[]);
    let Some(mut rest) = strip_suffix_pieces(rest, last) else {
        return false;
    };
    for group in groups.take(stars.saturating_sub(1)) {
        match find_pieces(rest, group) {
            Some(end) => rest = rest.get(end..).unwrap_or(&[]),
            None => return false,
        }
    }
    true
}

fn piece_text<'a>(p: &Piece<'a>) -> &'a [u8] {
    match p {
        Piece::Text(t) => t.as_bytes(),
        Piece::Star | Piece::AnyChar => &[],
    }
}

/// `hay` without the concatenation of `group`'s texts at its start, if it starts with it.
fn strip_prefix_pieces<'h>(mut hay: &'h [u8], group: &[Piece<'_>]) -> Option<&'h [u8]> {
    for p in group {
        hay = strip_prefix(hay, piece_text(p))?;
    }
    Some(hay)
}

/// `hay` without the concatenation of `group`'s texts at its end, if it ends with it.
fn strip_suffix_pieces<'h>(mut hay: &'h [u8], group: &[Piece<'_>]) -> Option<&'h [u8]> {
    for p in group.iter().rev() {
        hay = strip_suffix(hay, piece_text(p))?;
    }
    Some(hay)
}

/// Where the leftmost occurrence of `group`'s concatenated texts in `hay` ends.
fn find_pieces(hay: &[u8], group: &[Piece<'_>]) -> Option<usize> {
    let Some(head) = group.iter().find_map(|p| piece_text(p).first().copied()) else {
        return Some(0);
    };
    let mut from = 0usize;
    loop {
        let at = from.checked_add(crate::bytes::find_byte(hay.get(from..)?, head)?)?;
        let tail = hay.get(at..)?;
        if let Some(left) = strip_prefix_pieces(tail, group) {
            return Some(hay.len().saturating_sub(left.len()));
        }
        from = at.checked_add(1)?;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn collect(p: &str) -> Vec<Piece<'_>> {
        pieces(p).collect()
    }

    /// Checks `matches` against the piece form of the same pattern, in both case modes.
    fn check(pattern: &str, input: &str, expected: bool) {
        assert_eq!(
            matches(pattern, input),
            expected,
            "matches({pattern:?}, {input:?})"
        );
        let p = collect(pattern);
        assert_eq!(
            matches_pieces(&p, input, Case::Sensitive),
            expected,
            "matches_pieces({pattern:?}, {input:?})"
        );
    }

    /// Obviously correct exponential reference matcher over chars, for small inputs.
    fn reference(p: &[char], s: &[char], ci: bool) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|k| reference(rest, &s[k..], ci)),
            Some(('?', rest)) => !s.is_empty() && reference(rest, &s[1..], ci),
            Some((c, rest)) => match s.split_first() {
                Some((d, srest)) => {
                    (c == d || (ci && c.eq_ignore_ascii_case(d))) && reference(rest, srest, ci)
                }
                None => false,
            },
        }
    }

    #[test]
    fn literal() {
        check("", "", true);
        check("", "a", false);
        check("a", "", false);
        check("abc", "abc", true);
        check("abc", "abd", false);
        check("abc", "ab", false);
        check("ab", "abc", false);
        check("Bucket", "bucket", false);
    }

    #[test]
    fn star() {
        check("*", "", true);
        check("*", "anything at all / : *", true);
        check("a*", "a", true);
        check("a*", "abc", true);
        check("a*", "ba", false);
        check("*a", "ba", true);
        check("*a", "ab", false);
        check("a*c", "abbbc", true);
        check("a*c", "ac", true);
        check("a*c", "abcd", false);
        check("a*b*c", "aXbYc", true);
        check("a*b*c", "acb", false);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", true);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false);
        check("arn:aws:s3:::test*", "arn:aws:s3:::test", true);
        check("arn:aws:s3:::test*", "arn:aws:s3:::test-123", true);
        check("arn:aws:s3:::test*", "arn:aws:s3:::tset", false);
        check("arn:*:iam::*", "arn:aws:iam::123:user/x", true);
    }

    #[test]
    fn consecutive_stars_are_one_star() {
        check("**", "", true);
        check("a***b", "ab", true);
        check("a***b", "a-x-b", true);
        check("***", "xyz", true);
        let p = [
            Piece::Star,
            Piece::Star,
            Piece::Text(""),
            Piece::Star,
            Piece::Text("b"),
        ];
        assert!(matches_pieces(&p, "aaab", Case::Sensitive));
        assert!(!matches_pieces(&p, "aaa", Case::Sensitive));
    }

    #[test]
    fn any_char() {
        check("?", "", false);
        check("?", "a", true);
        check("?", "ab", false);
        check("test-?", "test-1", true);
        check("test-?", "test1", false);
        check("??", "ab", true);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("*?", "", false);
        check("*?", "x", true);
        check("?*?", "x", false);
        check("?*?", "xy", true);
    }

    #[test]
    fn any_char_is_one_unicode_scalar() {
        check("caf?", "café", true);
        check("caf??", "café", false);
        check("?", "é", true);
        check("?", "😀", true);
        check("??", "😀", false);
        check("????", "😀", false);
        check("?", "e\u{301}", false); // two scalar values
        check("??", "e\u{301}", true);
        check("日?語", "日本語", true);
        check("日??語", "日本語", false);
    }

    #[test]
    fn star_retry_advances_over_whole_characters() {
        // The star must skip é/😀 as whole sequences so '?' never lands inside one.
        check("*?b", "éb", true);
        check("*?b", "é😀b", true);
        check("*?x", "é😀b", false);
        check("*é", "aéé", true);
        check("*?é", "😀é", true);
        check("*??é", "😀é", false);
        check("*😀?", "a😀😀😀é", true);
        check("*😀??", "a😀😀é", true);
        check("*😀???", "a😀😀é", false);
        check("*?", "😀", true);
        // Every suffix of a multi-byte text with a leading star.
        let s = "ab日本語😀é";
        for (k, _) in s.char_indices() {
            let pat = std::format!("*{}", &s[k..]);
            check(&pat, s, true);
            let pat = std::format!("*?{}", &s[k..]);
            check(&pat, s, k > 0);
        }
    }

    #[test]
    fn wildcard_characters_in_input_are_plain() {
        check("a*", "a*", true);
        check("a?", "a?", true);
        check("*", "*", true);
        check("a", "*", false);
        check("a", "?", false);
    }

    #[test]
    fn text_pieces_are_literal() {
        let p = [Piece::Text("a*b")];
        assert!(matches_pieces(&p, "a*b", Case::Sensitive));
        assert!(!matches_pieces(&p, "axb", Case::Sensitive));
        assert!(!matches_pieces(&p, "ab", Case::Sensitive));
        let p = [Piece::Text("a?b")];
        assert!(matches_pieces(&p, "a?b", Case::Sensitive));
        assert!(!matches_pieces(&p, "axb", Case::Sensitive));
    }

    #[test]
    fn adjacent_text_pieces_concatenate() {
        let p = [
            Piece::Text("ab"),
            Piece::Text(""),
            Piece::Text("c"),
            Piece::Text("d"),
        ];
        assert!(matches_pieces(&p, "abcd", Case::Sensitive));
        assert!(!matches_pieces(&p, "abc", Case::Sensitive));
        assert!(!matches_pieces(&p, "abcde", Case::Sensitive));
        // A split inside a multi-byte sequence is impossible (text is &str), but splitting between
        // characters of a star-retried suffix must work.
        let p = [
            Piece::Star,
            Piece::Text("ab"),
            Piece::Text("ab"),
            Piece::Text("c"),
        ];
        assert!(matches_pieces(&p, "abababc", Case::Sensitive));
        assert!(!matches_pieces(&p, "ababab", Case::Sensitive));
        let p = [
            Piece::Star,
            Piece::Text("é"),
            Piece::Text(""),
            Piece::Text("😀"),
        ];
        assert!(matches_pieces(&p, "xé😀é😀", Case::Sensitive));
        assert!(!matches_pieces(&p, "xé😀é", Case::Sensitive));
        // Only empty pieces: matches only the empty input.
        let p = [Piece::Text(""), Piece::Text("")];
        assert!(matches_pieces(&p, "", Case::Sensitive));
        assert!(!matches_pieces(&p, "a", Case::Sensitive));
        assert!(matches_pieces(&[], "", Case::Sensitive));
        assert!(!matches_pieces(&[], "a", Case::Sensitive));
    }

    #[test]
    fn case_handling() {
        assert!(matches_ascii_case_insensitive(
            "s3:GetObject",
            "S3:getobject"
        ));
        assert!(matches_ascii_case_insensitive("s3:get*", "S3:GetObject"));
        assert!(matches_ascii_case_insensitive("EC2:*", "ec2:RunInstances"));
        assert!(!matches_ascii_case_insensitive("s3:Get*", "s3:PutObject"));
        // Only ASCII folds.
        assert!(!matches_ascii_case_insensitive("É", "é"));
        assert!(matches_ascii_case_insensitive("é", "é"));
        assert!(!matches("s3:GetObject", "S3:getobject"));
        let p = [Piece::Text("IAM:"), Piece::Star, Piece::Text("user")];
        assert!(matches_pieces(&p, "iam:CreateUser", Case::AsciiInsensitive));
        assert!(!matches_pieces(&p, "iam:CreateUser", Case::Sensitive));
    }

    #[test]
    fn pieces_iterator() {
        assert_eq!(collect(""), []);
        assert_eq!(collect("*"), [Piece::Star]);
        assert_eq!(collect("?"), [Piece::AnyChar]);
        assert_eq!(collect("**"), [Piece::Star, Piece::Star]);
        assert_eq!(
            collect("arn:aws:s3:::b/*/?x"),
            [
                Piece::Text("arn:aws:s3:::b/"),
                Piece::Star,
                Piece::Text("/"),
                Piece::AnyChar,
                Piece::Text("x"),
            ]
        );
        assert_eq!(
            collect("日本*語"),
            [Piece::Text("日本"), Piece::Star, Piece::Text("語")]
        );
        let it = pieces("a*b");
        let again = it.clone();
        assert_eq!(it.count(), 3);
        assert_eq!(again.count(), 3);
    }

    #[test]
    fn agrees_with_reference_on_random_patterns() {
        // Deterministic LCG; alphabet mixes ASCII case, separators and multi-byte characters.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let palpha = ['a', 'A', 'b', ':', 'é', '😀', '*', '?', '*', '?'];
        let salpha = ['a', 'A', 'b', ':', 'é', '😀', '*'];
        for _ in 0..20_000 {
            let plen = next(7);
            let slen = next(8);
            let p: String = (0..plen)
                .map(|_| palpha[next(palpha.len() as u64) as usize])
                .collect();
            let s: String = (0..slen)
                .map(|_| salpha[next(salpha.len() as u64) as usize])
                .collect();
            let pc: Vec<char> = p.chars().collect();
            let sc: Vec<char> = s.chars().collect();
            let want = reference(&pc, &sc, false);
            let want_ci = reference(&pc, &sc, true);
            assert_eq!(matches(&p, &s), want, "{p:?} {s:?}");
            assert_eq!(
                matches_ascii_case_insensitive(&p, &s),
                want_ci,
                "{p:?} {s:?}"
            );
            // Same pattern as pieces, with every text piece split at a random char boundary.
            let mut split: Vec<Piece<'_>> = Vec::new();
            for piece in pieces(&p) {
                if let Piece::Text(t) = piece {
                    let bounds: Vec<usize> = t.char_indices().map(|(k, _)| k).collect();
                    let at = bounds[next(bounds.len() as u64) as usize];
                    split.push(Piece::Text(&t[..at]));
                    split.push(Piece::Text(&t[at..]));
                } else {
                    split.push(piece);
                }
            }
            assert_eq!(
                matches_pieces(&split, &s, Case::Sensitive),
                want,
                "{split:?} {s:?}"
            );
            assert_eq!(
                matches_pieces(&split, &s, Case::AsciiInsensitive),
                want_ci,
                "{split:?} {s:?}"
            );
        }
    }

    #[test]
    fn pathological_pattern_is_linear() {
        let pattern = collect("*a*a*a*a*a*a*a*a*b");
        let mut steps = [0u64; 3];
        for (slot, n) in [1_000usize, 10_000, 100_000].into_iter().enumerate() {
            let input = "a".repeat(n);
            let (result, count) = matches_pieces_counting(&pattern, &input, Case::Sensitive);
            assert!(!result, "n = {n}");
            assert!(count <= 40 * n as u64, "n = {n}: {count} steps");
            assert!(!matches("*a*a*a*a*a*a*a*a*b", &input));
            steps[slot] = count;
        }
        assert!(steps[2] <= 12 * steps[1], "steps: {steps:?}");
        assert!(steps[1] <= 12 * steps[0], "steps: {steps:?}");
        // And the successful variant.
        let input = std::format!("{}b", "a".repeat(100_000));
        let (result, count) = matches_pieces_counting(&pattern, &input, Case::Sensitive);
        assert!(result);
        assert!(count <= 4_000_000);
    }

    #[test]
    fn other_pathological_shapes_are_bounded() {
        let n = 100_000usize;
        let input = "ab".repeat(n / 2);
        for p in [
            "*ab*ab*ab*ab*ac",
            "*?*?*?*?*?*c",
            "*a?*a?*a?*a?*c",
            "a*a*a*a*a*a*a*a*a*a*a*a*a*a*c",
        ] {
            let (result, count) = matches_pieces_counting(&collect(p), &input, Case::Sensitive);
            assert!(!result, "{p}");
            assert!(count <= 40 * n as u64, "{p}: {count}");
        }
    }

    #[test]
    fn hostile_inputs() {
        let mb = "x".repeat(1 << 20);
        assert!(matches("*", &mb));
        assert!(matches("x*x", &mb));
        assert!(matches("*x", &mb));
        assert!(!matches("*y", &mb));
        assert!(!matches("", &mb));
        assert!(matches(&mb, &mb));
        assert!(!matches(&mb, ""));
        assert!(matches("*", ""));
        let mb_star = std::format!("{mb}*");
        assert!(matches(&mb_star, &mb));
        // A 1 MB pattern of stars is one star.
        let stars = "*".repeat(1 << 20);
        assert!(matches(&stars, "anything"));
        assert!(matches(&stars, ""));
        let qs = "?".repeat(1 << 20);
        assert!(!matches(&qs, "short"));
        assert!(matches(&qs, &mb));
        // Multi-byte megabyte.
        let emoji = "😀".repeat(1 << 18);
        assert!(matches("*😀", &emoji));
        assert!(matches("?*?", &emoji));
        assert!(!matches("*x", &emoji));
        // Many empty pieces.
        let empties = std::vec![Piece::Text(""); 10_000];
        assert!(matches_pieces(&empties, "", Case::Sensitive));
        assert!(!matches_pieces(&empties, "a", Case::Sensitive));
    }

    #[test]
    fn piece_range_bounds() {
        let p = [Piece::Text("ab:cd"), Piece::Star, Piece::Text("x:y")];
        // "ab"
        let r = PieceRange::new(&p, (0, 0), (0, 2));
        assert!(run(r, "ab", Case::Sensitive, &mut 0));
        assert!(!run(r, "ab:", Case::Sensitive, &mut 0));
        // "cd*x"
        let r = PieceRange::new(&p, (0, 3), (2, 1));
        assert!(run(r, "cdQQx", Case::Sensitive, &mut 0));
        assert!(!run(r, "cdQQx:", Case::Sensitive, &mut 0));
        // "y"
        let r = PieceRange::new(&p, (2, 2), (3, 0));
        assert!(run(r, "y", Case::Sensitive, &mut 0));
        // empty range
        let r = PieceRange::new(&p, (0, 2), (0, 2));
        assert!(run(r, "", Case::Sensitive, &mut 0));
        assert!(!run(r, ":", Case::Sensitive, &mut 0));
        // an end that excludes a star
        let r = PieceRange::new(&p, (0, 3), (1, 0));
        assert!(run(r, "cd", Case::Sensitive, &mut 0));
        assert!(!run(r, "cde", Case::Sensitive, &mut 0));
        // nonsense ranges never panic
        let r = PieceRange::new(&p, (7, 9), (1, 99));
        assert!(run(r, "", Case::Sensitive, &mut 0));
        let r = PieceRange::new(&p, (0, 99), (0, 1));
        assert!(run(r, "", Case::Sensitive, &mut 0));
    }

    #[test]
    fn star_only_patterns_match_as_the_general_matcher() {
        let patterns = [
            "arn:aws:ec2:*:*:instance/*",
            "*",
            "a*",
            "*a",
            "a*a",
            "*a*a*",
            "ab*ba",
            "arn:*:s3:::bucket/*.txt",
            "**",
            "x**y",
        ];
        let inputs = [
            "",
            "a",
            "aa",
            "aba",
            "aXa",
            "ab",
            "abba",
            "aba-ba",
            "arn:aws:ec2:us-east-1:1:instance/i-1",
            "arn:aws:ec2:us-east-1:1:volume/i-1",
            "arn:aws:ec2::instance/",
            "arn:aws:s3:::bucket/a/b.txt",
            "arn:aws:s3:::bucket/a/b.txt.gz",
            "xy",
            "x-y",
            "yx",
        ];
        for p in patterns {
            let parts: std::vec::Vec<&str> = p.split('*').collect();
            for i in inputs {
                assert_eq!(matches_stars(&parts, i), matches(p, i), "{p} on {i}");
            }
        }
    }

    #[test]
    fn star_pieces_match_as_the_general_matcher() {
        use std::vec::Vec;
        let patterns = [
            "arn:aws:sqs:*:1:{ops}-*",
            "{a}*{b}",
            "*{x}*",
            "{}*{}",
            "a{*}b",
            "{ab}{c}*{c}{ba}",
            "**{a}",
            "{a}?{b}",
        ];
        let values = ["", "a", "b", "ab", "ops", "*", "c"];
        let inputs = [
            "",
            "a",
            "ab",
            "aab",
            "ba",
            "abcba",
            "abccba",
            "a*b",
            "axb",
            "arn:aws:sqs:us-east-1:1:ops-queue",
            "arn:aws:sqs:us-east-1:1:ops",
            "xaxbx",
        ];
        for p in patterns {
            for v in values {
                // `{x}` stands for a substituted variable: literal text, here `v` + x.
                let mut pieces = Vec::new();
                let mut owned = Vec::new();
                let mut rest = p;
                while !rest.is_empty() {
                    if let Some(r) = rest.strip_prefix('{') {
                        let end = r.find('}').expect("closed");
                        owned.push(std::format!("{v}{}", &r[..end]));
                        rest = &r[end + 1..];
                    } else {
                        let end = rest.find('{').unwrap_or(rest.len());
                        owned.push(std::string::String::from(&rest[..end]));
                        rest = &rest[end..];
                    }
                }
                let mut texts = owned.iter();
                let mut rest = p;
                while !rest.is_empty() {
                    if let Some(r) = rest.strip_prefix('{') {
                        pieces.push(Piece::Text(texts.next().expect("text")));
                        rest = &r[r.find('}').expect("closed") + 1..];
                    } else {
                        let end = rest.find('{').unwrap_or(rest.len());
                        let t = texts.next().expect("text");
                        pieces.extend(pieces_of(t));
                        rest = &rest[end..];
                    }
                }
                for i in inputs {
                    assert_eq!(
                        matches_star_pieces(&pieces, i),
                        matches_pieces(&pieces, i, Case::Sensitive),
                        "{p} with {v:?} on {i:?}: {pieces:?}"
                    );
                }
            }
        }
    }

    fn pieces_of(s: &str) -> std::vec::Vec<Piece<'_>> {
        pieces(s).collect()
    }

    #[test]
    fn folded_star_patterns_match_as_the_general_matcher() {
        let patterns = [
            "ec2:*",
            "iam:*user",
            "*:get*",
            "s3:*object*",
            "*",
            "a*a",
            "sqs:deletequeue",
        ];
        let inputs = [
            "EC2:StartInstances",
            "iam:CreateUser",
            "IAM:CREATEUSER",
            "s3:GetObject",
            "S3:PutObjectAcl",
            "a",
            "aa",
            "AbA",
            "sqs:DeleteQueue",
            "",
            "iam:user",
        ];
        for p in patterns {
            let parts: std::vec::Vec<&str> = p.split('*').collect();
            for i in inputs {
                assert_eq!(
                    matches_stars_folded(&parts, i),
                    matches_ascii_case_insensitive(p, i),
                    "{p} on {i}"
                );
            }
        }
    }
}
