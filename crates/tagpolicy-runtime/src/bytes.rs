//! Byte-string primitives for the hot path, eight bytes at a time.
//!
//! Policy names, tag keys, ARNs and action names are short (mostly under 64 bytes). For such
//! strings a `memcmp` call, or a byte-at-a-time case-insensitive loop, costs more than the
//! comparison itself: these functions load 8-byte words, fold ASCII case with a few bit
//! operations per word, and find a byte with a word-wide zero test. They agree exactly with
//! `==`, `eq_ignore_ascii_case`, `starts_with` and `iter().position` (tests check every byte value
//! at every length and offset).

/// The first up-to-8 bytes of `b` as a big-endian number, zero-padded: numbers of two byte
/// strings compare as the strings' first 8 bytes do (with the shorter padded by zeros).
#[inline(always)]
pub fn word(b: &[u8]) -> u64 {
    if let Some(chunk) = b.first_chunk::<8>() {
        return u64::from_be_bytes(*chunk);
    }
    let len = b.len();
    match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        (Some(first), Some(last)) => {
            // 4 to 7 bytes: the first four and the last four (overlapping), each in place.
            let first = u64::from(u32::from_be_bytes(*first)) << 32;
            let last = u64::from(u32::from_be_bytes(*last));
            let shift = 8u32.saturating_mul(8u32.saturating_sub(len as u32));
            first | last.checked_shl(shift).unwrap_or(0)
        }
        _ => {
            let mut v = 0u64;
            for (i, b) in b.iter().enumerate() {
                let shift = 56u32.saturating_sub(8u32.saturating_mul(i as u32));
                v |= u64::from(*b) << shift;
            }
            v
        }
    }
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// Every ASCII upper-case letter of the 8 bytes in `x` lower-cased; other bytes unchanged.
#[inline]
pub const fn fold(x: u64) -> u64 {
    // Per byte (no carry crosses a byte: a 7-bit lane plus at most 0x3f stays below 0x100): the
    // high bit is set iff the byte is >= 'A', resp. > 'Z'; bytes >= 0x80 are never upper case.
    let low = x & LOW7;
    let ge_a = low.wrapping_add(0x3f3f_3f3f_3f3f_3f3f); // 0x80 - b'A'
    let gt_z = low.wrapping_add(0x2525_2525_2525_2525); // 0x7f - b'Z'
    let upper = ge_a & !gt_z & !x & HIGH;
    x | (upper >> 2)
}

/// `0x20` in each byte of `x` that is an ASCII letter (of either case), `0` in the others: the
/// bit that tells the two cases of a letter apart, where there is one.
#[inline]
pub const fn letter_bits(x: u64) -> u64 {
    // Per byte: a byte below 0x80 is a letter iff it is in 'a'..='z' with 0x20 set; a 7-bit lane
    // plus at most 0x1f stays below 0x100, so no carry crosses a byte; bytes >= 0x80 are masked.
    let low = (x | (0x20 * ONES)) & LOW7;
    let ge_a = low.wrapping_add(0x1f1f_1f1f_1f1f_1f1f); // 0x80 - b'a'
    let gt_z = low.wrapping_add(0x0505_0505_0505_0505); // 0x7f - b'z'
    (ge_a & !gt_z & !x & HIGH) >> 2
}

/// `a == b`.
#[inline(always)]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && eq_words(a, b, |x, y| x == y)
}

/// `a.eq_ignore_ascii_case(b)`.
///
/// Per word: where `b` has a letter, both sides with the case bit set must agree; elsewhere the
/// bytes must be equal. The mask comes from `b` alone, so with a constant `b` (a key name in
/// generated code) a word costs one OR and one compare.
#[inline(always)]
pub fn eq_ignore_ascii_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && eq_words(a, b, |x, y| {
            let m = letter_bits(y);
            (x | m) == (y | m)
        })
}

/// `lower == b.to_ascii_lowercase()`, for a `lower` that is lower-case already (an upper-case
/// letter in `lower` is not equal to anything).
///
/// Per word: `b` with the case bit set where `lower` has a letter must be `lower` (an upper-case
/// letter of `lower` lacks that bit, so nothing matches it). With a constant `lower` (an action
/// name in generated code) a word costs one OR and one compare.
#[inline(always)]
pub fn eq_lower(lower: &[u8], b: &[u8]) -> bool {
    lower.len() == b.len() && eq_words(lower, b, |x, y| (y | letter_bits(x)) == x)
}

/// Equal-length `a` and `b`, word by word through `same` (which must decide each byte alone, as
/// the comparisons above do): whole words, then the last 8 bytes (overlapping the last whole
/// word), or for strings shorter than a word, [`short`] of each.
#[inline(always)]
fn eq_words(a: &[u8], b: &[u8], same: impl Fn(u64, u64) -> bool) -> bool {
    if a.len() < 8 {
        return same(short(a), short(b));
    }
    let (mut ac, mut bc) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut ac).zip(&mut bc) {
        let (Some(x), Some(y)) = (x.first_chunk::<8>(), y.first_chunk::<8>()) else {
            return false;
        };
        if !same(u64::from_ne_bytes(*x), u64::from_ne_bytes(*y)) {
            return false;
        }
    }
    if ac.remainder().is_empty() {
        return bc.remainder().is_empty();
    }
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(x), Some(y)) => same(u64::from_ne_bytes(*x), u64::from_ne_bytes(*y)),
        _ => false,
    }
}

/// The bytes of a string shorter than 8 bytes in one number, each byte in a byte of its own
/// (some twice): for two strings of the same length, equal numbers mean equal strings, and a
/// per-byte function of the number is that function of the bytes. No shift by the length, no
/// byte loop: two overlapping loads.
#[inline(always)]
fn short(b: &[u8]) -> u64 {
    if let (Some(first), Some(last)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        return u64::from(u32::from_ne_bytes(*first))
            | (u64::from(u32::from_ne_bytes(*last)) << 32);
    }
    if let (Some(first), Some(last)) = (b.first_chunk::<2>(), b.last_chunk::<2>()) {
        return u64::from(u16::from_ne_bytes(*first))
            | (u64::from(u16::from_ne_bytes(*last)) << 16);
    }
    b.first().map_or(0, |&c| u64::from(c))
}

/// `hay.starts_with(needle)`.
#[inline(always)]
pub fn starts_with(hay: &[u8], needle: &[u8]) -> bool {
    hay.get(..needle.len()).is_some_and(|h| eq(h, needle))
}

/// `hay.ends_with(needle)`.
#[inline(always)]
pub fn ends_with(hay: &[u8], needle: &[u8]) -> bool {
    hay.len()
        .checked_sub(needle.len())
        .and_then(|at| hay.get(at..))
        .is_some_and(|h| eq(h, needle))
}

/// `hay.iter().position(|&c| c == byte)`.
#[inline(always)]
pub fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    let pattern = ONES.wrapping_mul(u64::from(byte));
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0usize;
    for chunk in &mut chunks {
        let Some(c) = chunk.first_chunk::<8>() else {
            break;
        };
        // A zero byte of x marks a match; the lowest set high bit is the first one (exact for
        // the first match, which is all we read).
        let x = u64::from_le_bytes(*c) ^ pattern;
        let found = zero_bytes(x);
        if found != 0 {
            return Some(at.saturating_add((found.trailing_zeros() / 8) as usize));
        }
        at = at.saturating_add(8);
    }
    let rest = chunks.remainder();
    rest.iter()
        .position(|&c| c == byte)
        .map(|i| at.saturating_add(i))
}

/// The high bit of every zero byte of `x` (and possibly of a `0x01` byte just above a zero
/// byte: callers verify candidates, and the lowest flagged byte is always a true zero).
#[inline(always)]
const fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The first position of `needle` in `hay` (`Some(0)` for an empty needle).
///
/// A one-byte needle is [`find_byte`]. A longer one is searched eight positions at a time by its
/// first and last bytes together (two overlapping word loads per step, so a position is only
/// compared in full when both ends match), then the rest of the positions one by one. With a
/// needle known at build time (generated code inlines this), the comparisons are constants.
#[inline(always)]
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (Some(&head), Some(&tail)) = (needle.first(), needle.last()) else {
        return Some(0);
    };
    if needle.len() == 1 {
        return find_byte(hay, head);
    }
    let last_at = hay.len().checked_sub(needle.len())?;
    let span = needle.len().saturating_sub(1);
    let (heads, tails) = (
        ONES.wrapping_mul(u64::from(head)),
        ONES.wrapping_mul(u64::from(tail)),
    );
    let mut at = 0usize;
    // Block at `at`: positions at..at+8, read at `at` (first bytes) and `at + span` (last bytes).
    while let (Some(h), Some(t)) = (
        hay.get(at..).and_then(<[u8]>::first_chunk::<8>),
        hay.get(at.saturating_add(span)..)
            .and_then(<[u8]>::first_chunk::<8>),
    ) {
        let both = (u64::from_le_bytes(*h) ^ heads) | (u64::from_le_bytes(*t) ^ tails);
        let mut found = zero_bytes(both);
        while found != 0 {
            let i = at.saturating_add((found.trailing_zeros() / 8) as usize);
            if hay
                .get(i..i.saturating_add(needle.len()))
                .is_some_and(|w| eq(w, needle))
            {
                return Some(i);
            }
            found &= found.wrapping_sub(1);
        }
        at = at.saturating_add(8);
    }
    while at <= last_at {
        if hay
            .get(at..at.saturating_add(needle.len()))
            .is_some_and(|w| eq(w, needle))
        {
            return Some(at);
        }
        at = at.saturating_add(1);
    }
    None
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// Strings of every length up to 20 around every byte value, at every offset.
    fn samples() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for b in 0..=255u8 {
            for len in 0..=20usize {
                let mut s: Vec<u8> = (0..len).map(|i| b"aZ:q@[`{09"[i % 10]).collect();
                if len > 0 {
                    s[(b as usize) % len] = b;
                }
                out.push(s);
            }
        }
        out
    }

    #[test]
    fn fold_lower_cases_exactly_the_ascii_letters() {
        for b in 0..=255u8 {
            let x = u64::from_ne_bytes([b, b'A', b, b'z', b, 0x80 | b, b'@', b'[']);
            let want: Vec<u8> = x.to_ne_bytes().iter().map(u8::to_ascii_lowercase).collect();
            assert_eq!(fold(x).to_ne_bytes().to_vec(), want, "{b:#x}");
        }
    }

    #[test]
    fn letter_bits_are_the_case_bit_of_exactly_the_ascii_letters() {
        for b in 0..=255u8 {
            let x = u64::from_ne_bytes([b, b'A', b, b'z', b, 0x80 | b, b'@', b'`']);
            let want: Vec<u8> = x
                .to_ne_bytes()
                .iter()
                .map(|c| if c.is_ascii_alphabetic() { 0x20 } else { 0 })
                .collect();
            assert_eq!(letter_bits(x).to_ne_bytes().to_vec(), want, "{b:#x}");
        }
    }

    #[test]
    fn comparisons_agree_with_the_standard_library() {
        let all = samples();
        for a in &all {
            assert_eq!(word(a), {
                let mut p = [0u8; 8];
                let m = a.len().min(8);
                p[..m].copy_from_slice(&a[..m]);
                u64::from_be_bytes(p)
            });
            let upper = a.to_ascii_uppercase();
            let lower = a.to_ascii_lowercase();
            for b in [a, &upper, &lower] {
                assert_eq!(eq(a, b), a == b);
                assert_eq!(eq_ignore_ascii_case(a, b), a.eq_ignore_ascii_case(b));
                assert_eq!(eq_lower(&lower, b), lower == b.to_ascii_lowercase());
                assert_eq!(eq_lower(a, b), *a == b.to_ascii_lowercase(), "{a:?} {b:?}");
                assert_eq!(starts_with(a, b), a.starts_with(b));
                assert_eq!(ends_with(a, b), a.ends_with(b));
            }
            for cut in 0..a.len() {
                let (x, y) = (&a[..cut], &a[cut..]);
                assert!(starts_with(a, x) && ends_with(a, y));
                assert_eq!(eq(x, y), x == y);
            }
            for byte in 0..=255u8 {
                assert_eq!(find_byte(a, byte), a.iter().position(|&c| c == byte));
            }
        }
    }

    /// Strings of one length that differ in one byte, at every position: the overlapping loads
    /// of the last word and of short strings see every byte.
    #[test]
    fn one_different_byte_is_seen_at_every_position() {
        for len in 0..=20usize {
            let a: Vec<u8> = (0..len).map(|i| b"abcdefghijklmnopqrstu"[i]).collect();
            for at in 0..len {
                for byte in [0u8, b'A' + at as u8, b'z', 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] = byte;
                    assert_eq!(eq(&a, &b), a == b, "{len} {at} {byte:#x}");
                    assert_eq!(
                        eq_ignore_ascii_case(&a, &b),
                        a.eq_ignore_ascii_case(&b),
                        "{len} {at} {byte:#x}"
                    );
                    assert_eq!(eq_lower(&a, &b), a == b.to_ascii_lowercase());
                }
            }
        }
    }

    /// Every pair of byte values, alone and at each end of a short and a long string.
    #[test]
    fn case_insensitive_comparisons_agree_on_every_byte_pair() {
        for c in 0..=255u8 {
            for d in 0..=255u8 {
                for (pre, post) in [(0, 0), (3, 0), (0, 3), (9, 0), (0, 9), (5, 6)] {
                    let with = |x: u8| -> Vec<u8> {
                        let mut v: Vec<u8> = (0..pre).map(|i| b"k-Q:z"[i % 5]).collect();
                        v.push(x);
                        v.extend((0..post).map(|i| b"/a9Z_"[i % 5]));
                        v
                    };
                    let (a, b) = (with(c), with(d));
                    assert_eq!(eq_ignore_ascii_case(&a, &b), a.eq_ignore_ascii_case(&b));
                    assert_eq!(
                        eq_lower(&a, &b),
                        a == b.to_ascii_lowercase(),
                        "{c:#x} {d:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn find_agrees_with_a_naive_search() {
        let hay = b"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc:instance/";
        let naive =
            |n: &[u8]| (0..=hay.len().saturating_sub(n.len())).find(|&i| hay[i..].starts_with(n));
        for start in 0..hay.len() {
            for end in start..=hay.len().min(start + 12) {
                let n = &hay[start..end];
                assert_eq!(find(hay, n), naive(n), "{:?}", std::str::from_utf8(n));
            }
        }
        assert_eq!(find(b"abc", b"abcd"), None);
        // Long haystacks over a small alphabet: many partial matches, every block position.
        let alphabet = b"ab:";
        let long: Vec<u8> = (0..97u32)
            .map(|i| alphabet[((i * i + 7 * i) % 3) as usize])
            .collect();
        for n in 2..=12usize {
            for code in 0..3u32.pow(n.min(6) as u32) {
                let needle: Vec<u8> = (0..n)
                    .map(|i| alphabet[((code / 3u32.pow((i % 6) as u32)) % 3) as usize])
                    .collect();
                for cut in [0, 1, 7, 8, 9, 30, 96, 97] {
                    let h = &long[..cut];
                    let want =
                        (0..=h.len().saturating_sub(n)).find(|&i| h[i..].starts_with(&needle));
                    assert_eq!(find(h, &needle), want, "{needle:?} in {cut}");
                }
            }
        }
        assert_eq!(find(b"", b""), Some(0));
    }
}
