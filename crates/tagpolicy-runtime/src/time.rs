//! Dates for the `Date*` condition operators and for just-in-time grants.
//!
//! A date is a [`Timestamp`]: milliseconds since the Unix epoch, UTC. Calendar conversion is Howard
//! Hinnant's `days_from_civil` / `civil_from_days` (proleptic Gregorian calendar), written out here
//! with checked arithmetic; nothing allocates or panics.
//!
//! ```
//! use tagpolicy_runtime::time::Timestamp;
//! let a = Timestamp::parse("2018-08-10T00:00:00Z").unwrap();
//! assert_eq!(Timestamp::parse("1533859200"), Some(a)); // epoch seconds
//! assert_eq!(Timestamp::parse("2018-08-10"), Some(a)); // midnight UTC
//! assert_eq!(Timestamp::parse("2018-08-10T05:30:00+05:30"), Some(a));
//! let mut buf = [0u8; 32];
//! assert_eq!(a.write_rfc3339(&mut buf), "2018-08-10T00:00:00Z");
//! ```

use core::fmt;

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The timestamp `ms` milliseconds after (or, if negative, before) 1970-01-01T00:00:00Z.
    ///
    /// ```
    /// use tagpolicy_runtime::time::Timestamp;
    /// const T: Timestamp = Timestamp::from_millis(1_704_067_200_000);
    /// assert_eq!(Timestamp::parse("2024-01-01"), Some(T));
    /// ```
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Parses any date form accepted in a `Date*` condition value or a date request value:
    ///
    /// - a date alone, meaning midnight UTC: `2020-01-01`;
    /// - a date and time with a zone: `2020-01-01T00:00:00Z`, with seconds optional
    ///   (`2020-01-01T00:00Z`), a fraction of any length after the seconds (`00:00:00.123456Z`,
    ///   truncated toward the past to whole milliseconds), and the zone `Z` or an offset `+05:30`,
    ///   `-0800` or `+05`; `T` and `Z` may be lower case;
    /// - integer epoch SECONDS, optionally negative: `1533859200`, `-86400` (case
    ///   `pmapper/datetime_condition #3`).
    ///
    /// An integer is always epoch seconds, never milliseconds: `1704067200000` is a date in the year
    /// 55970, as AWS reads it (disputed case `iam-simulate/DateEquals #2`), and `2024` is 2024
    /// seconds after the epoch, not a year.
    ///
    /// Rejected (`None`): a date-time without a zone (its meaning depends on a local time zone),
    /// fractional epoch seconds such as `1533859200.0` (AWS documents whole seconds; see the
    /// disputed case `pmapper/datetime_condition #2`), a `+` before epoch seconds, other ISO 8601
    /// forms (basic `20240101T000000Z`, week or ordinal dates, `,` as decimal mark, a space instead
    /// of `T`), years outside `0000`..=`9999` in date form, impossible dates
    /// (`2023-02-29`, month 13, day 0, hour 24, minute 60), second 60 (leap seconds are not
    /// represented: rejected rather than silently folded into the next minute), offsets of 24 hours
    /// or more, surrounding whitespace, and epoch values whose milliseconds overflow `i64`.
    ///
    /// ```
    /// use tagpolicy_runtime::time::Timestamp;
    /// assert_eq!(Timestamp::parse("1970-01-01T00:00:01.9999Z"), Some(Timestamp(1_999)));
    /// assert_eq!(Timestamp::parse("-1"), Some(Timestamp(-1_000)));
    /// assert_eq!(Timestamp::parse("1533859200.0"), None);
    /// assert_eq!(Timestamp::parse("2024-02-29"), Some(Timestamp(1_709_164_800_000)));
    /// assert_eq!(Timestamp::parse("2023-02-29"), None);
    /// assert_eq!(Timestamp::parse("not a date"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Timestamp> {
        if let Some(epoch) = parse_epoch_seconds(s) {
            return epoch;
        }
        parse_date_time(s.as_bytes(), Syntax::Lenient)
    }

    /// Parses strict RFC 3339: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of any length (truncated
    /// to milliseconds), then `Z` or `±HH:MM`. `T`/`Z` may be lower case (RFC 3339 §5.6). No date-only
    /// form, no missing seconds, no `±HHMM`, no epoch numbers. Second 60 is rejected (see
    /// [`Timestamp::parse`]).
    ///
    /// ```
    /// use tagpolicy_runtime::time::Timestamp;
    /// assert_eq!(Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").map(|t| t.millis()), Some(1_795_341_600_000));
    /// assert_eq!(
    ///     Timestamp::parse_rfc3339("2026-11-22T11:00:00.5+01:00"),
    ///     Some(Timestamp(1_795_341_600_500))
    /// );
    /// assert_eq!(Timestamp::parse_rfc3339("2026-11-22"), None);
    /// assert_eq!(Timestamp::parse_rfc3339("2026-11-22T10:00Z"), None);
    /// ```
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        parse_date_time(s.as_bytes(), Syntax::Rfc3339)
    }

    /// Writes RFC 3339 UTC with milliseconds only when non-zero ("2026-11-22T10:00:00Z" / "...00.250Z") into buf, returns the str.
    ///
    /// Years outside `0000`..=`9999` (reachable only from timestamps built from numbers) are written
    /// with a sign and at least four digits (`+12345-01-01T00:00:00Z`, `-0001-12-31T00:00:00Z`), which
    /// is ISO 8601 expanded form rather than RFC 3339; every `i64` fits in the buffer.
    ///
    /// ```
    /// use tagpolicy_runtime::time::Timestamp;
    /// let mut buf = [0u8; 32];
    /// assert_eq!(Timestamp(1_795_341_600_250).write_rfc3339(&mut buf), "2026-11-22T10:00:00.250Z");
    /// assert_eq!(Timestamp(-1).write_rfc3339(&mut buf), "1969-12-31T23:59:59.999Z");
    /// ```
    #[allow(clippy::needless_lifetimes)] // spelled out: the str borrows `buf`
    pub fn write_rfc3339<'b>(self, buf: &'b mut [u8; 32]) -> &'b str {
        let days = self.0.wrapping_div_euclid(MS_PER_DAY);
        let in_day = self.0.wrapping_rem_euclid(MS_PER_DAY); // 0..MS_PER_DAY
        let (year, month, day) = civil_from_days(days);
        let in_day = in_day.unsigned_abs();
        let ms = in_day.wrapping_rem(1_000);
        let secs = in_day.wrapping_div(1_000);
        let (hour, minute, second) = (
            secs.wrapping_div(3_600),
            secs.wrapping_div(60).wrapping_rem(60),
            secs.wrapping_rem(60),
        );

        let mut out = Out { buf, len: 0 };
        if (0..=9_999).contains(&year) {
            out.number(year.unsigned_abs(), 4);
        } else {
            out.push(if year < 0 { b'-' } else { b'+' });
            out.number(year.unsigned_abs(), 4);
        }
        out.push(b'-');
        out.number(u64::from(month), 2);
        out.push(b'-');
        out.number(u64::from(day), 2);
        out.push(b'T');
        out.number(hour, 2);
        out.push(b':');
        out.number(minute, 2);
        out.push(b':');
        out.number(second, 2);
        if ms != 0 {
            out.push(b'.');
            out.number(ms, 3);
        }
        out.push(b'Z');
        out.finish()
    }
}

/// Formats as [`Timestamp::write_rfc3339`] does.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 32];
        f.write_str(self.write_rfc3339(&mut buf))
    }
}

/// A bounded writer into the caller's buffer; bytes past the end are dropped (cannot happen for the
/// at most 30 bytes a timestamp needs).
struct Out<'b> {
    buf: &'b mut [u8; 32],
    len: usize,
}

impl<'b> Out<'b> {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len = self.len.saturating_add(1);
        }
    }

    /// Writes `value` in decimal, zero-padded to at least `width` digits.
    fn number(&mut self, mut value: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut count = 0usize;
        for slot in digits.iter_mut() {
            // value % 10 < 10, so the cast cannot truncate
            *slot = b'0'.wrapping_add(value.wrapping_rem(10) as u8);
            value = value.wrapping_div(10);
            count = count.saturating_add(1);
            if value == 0 {
                break;
            }
        }
        let count = count.max(width).min(digits.len());
        for &d in digits.iter().take(count).rev() {
            self.push(d);
        }
    }

    fn finish(self) -> &'b str {
        let Out { buf, len } = self;
        let buf: &'b [u8; 32] = buf;
        core::str::from_utf8(buf.get(..len).unwrap_or(&[])).unwrap_or("")
    }
}

/// `Some(result)` when `s` has the shape of an integer (optional `-`, then ASCII digits only), with
/// `result` `None` when the value overflows; `None` when `s` is not an integer at all.
fn parse_epoch_seconds(s: &str) -> Option<Option<Timestamp>> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut seconds: i64 = 0;
    for b in digits.bytes() {
        let d = i64::from(b.wrapping_sub(b'0'));
        let next = seconds.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(d)
            } else {
                v.checked_add(d)
            }
        });
        match next {
            Some(v) => seconds = v,
            None => return Some(None),
        }
    }
    Some(seconds.checked_mul(MS_PER_SECOND).map(Timestamp))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// Everything [`Timestamp::parse`] accepts besides epoch seconds.
    Lenient,
    /// RFC 3339 `date-time`.
    Rfc3339,
}

/// A cursor over ASCII date text.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    /// Consumes `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.rest = self.rest.get(1..).unwrap_or(&[]);
            true
        } else {
            false
        }
    }

    fn digit(&mut self) -> Option<u32> {
        match self.peek() {
            Some(b @ b'0'..=b'9') => {
                self.rest = self.rest.get(1..).unwrap_or(&[]);
                Some(u32::from(b.wrapping_sub(b'0')))
            }
            _ => None,
        }
    }

    /// Exactly `n` (at most 4) decimal digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let mut value: u32 = 0;
        for _ in 0..n {
            value = value.checked_mul(10)?.checked_add(self.digit()?)?;
        }
        Some(value)
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of the proleptic Gregorian date `year-month-day` (Hinnant's
/// `days_from_civil`); `None` on overflow or when `month` is not 1..=12.
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) {
        return None;
    }
    // Years start in March so that the leap day is the last day of the year.
    let y = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = y.checked_div_euclid(400)?;
    let yoe = y.checked_rem_euclid(400)?; // [0, 399]
    let mp = i64::from(month.checked_add(9)? % 12); // March = 0, ..., February = 11
    let doy = mp
        .checked_mul(153)?
        .checked_add(2)?
        .checked_div(5)?
        .checked_add(i64::from(day))?
        .checked_sub(1)?;
    let doe = yoe
        .checked_mul(365)?
        .checked_add(yoe.checked_div(4)?)?
        .checked_sub(yoe.checked_div(100)?)?
        .checked_add(doy)?; // [0, 146096]
    era.checked_mul(146_097)?
        .checked_add(doe)?
        .checked_sub(719_468)
}

/// The proleptic Gregorian `(year, month, day)` of `days` since 1970-01-01 (Hinnant's
/// `civil_from_days`). Exact for every `days` within ±2^50 (far beyond any `i64` of milliseconds);
/// wrapping arithmetic keeps it panic-free outside that range.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.wrapping_add(719_468);
    let era = z.wrapping_div_euclid(146_097);
    let doe = z.wrapping_rem_euclid(146_097); // [0, 146096]
    let yoe = doe
        .wrapping_sub(doe.wrapping_div(1_460))
        .wrapping_add(doe.wrapping_div(36_524))
        .wrapping_sub(doe.wrapping_div(146_096))
        .wrapping_div(365); // [0, 399]
    let doy = doe.wrapping_sub(
        yoe.wrapping_mul(365)
            .wrapping_add(yoe.wrapping_div(4))
            .wrapping_sub(yoe.wrapping_div(100)),
    ); // [0, 365]
    let mp = doy.wrapping_mul(5).wrapping_add(2).wrapping_div(153); // [0, 11]
    let day = doy
        .wrapping_sub(mp.wrapping_mul(153).wrapping_add(2).wrapping_div(5))
        .wrapping_add(1); // [1, 31]
    let month = if mp < 10 {
        mp.wrapping_add(3)
    } else {
        mp.wrapping_sub(9)
    }; // [1, 12]
    let year = yoe
        .wrapping_add(era.wrapping_mul(400))
        .wrapping_add(i64::from(month <= 2));
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Parses `date` or `date T time zone` per `syntax`.
fn parse_date_time(text: &[u8], syntax: Syntax) -> Option<Timestamp> {
    let strict = syntax == Syntax::Rfc3339;
    let mut c = Cursor { rest: text };
    let year = i64::from(c.digits(4)?);
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let date_ms = days_from_civil(year, month, day)?.checked_mul(MS_PER_DAY)?;
    if c.is_empty() {
        return if strict {
            None
        } else {
            Some(Timestamp(date_ms))
        };
    }
    if !(c.eat(b'T') || c.eat(b't')) {
        return None;
    }
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    if hour > 23 || minute > 59 {
        return None;
    }
    let mut second = 0;
    let mut millis: u32 = 0;
    if c.eat(b':') {
        second = c.digits(2)?;
        if second > 59 {
            return None;
        }
        if c.eat(b'.') {
            let mut count = 0usize;
            while let Some(d) = c.digit() {
                if count < 3 {
                    millis = millis.checked_mul(10)?.checked_add(d)?;
                }
                count = count.saturating_add(1);
            }
            if count == 0 {
                return None;
            }
            for _ in count..3 {
                millis = millis.checked_mul(10)?;
            }
        }
    } else if strict {
        return None;
    }
    let offset_minutes = parse_zone(&mut c, strict)?;
    if !c.is_empty() {
        return None;
    }
    let time_ms = i64::from(hour)
        .checked_mul(60)?
        .checked_add(i64::from(minute))?
        .checked_mul(60)?
        .checked_add(i64::from(second))?
        .checked_mul(MS_PER_SECOND)?
        .checked_add(i64::from(millis))?;
    let utc = date_ms
        .checked_add(time_ms)?
        .checked_sub(offset_minutes.checked_mul(MS_PER_MINUTE)?)?;
    Some(Timestamp(utc))
}

/// Parses the zone designator; returns the offset from UTC in minutes (local = UTC + offset).
fn parse_zone(c: &mut Cursor<'_>, strict: bool) -> Option<i64> {
    let sign: i64 = match c.bump()? {
        b'Z' | b'z' => return Some(0),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = c.digits(2)?;
    let minutes = if c.eat(b':') {
        c.digits(2)?
    } else if strict {
        return None;
    } else if c.is_empty() {
        0
    } else {
        c.digits(2)?
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    sign.checked_mul(
        i64::from(hours)
            .checked_mul(60)?
            .checked_add(i64::from(minutes))?,
    )
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::{String, ToString};

    fn p(s: &str) -> Option<i64> {
        Timestamp::parse(s).map(Timestamp::millis)
    }

    fn strict(s: &str) -> Option<i64> {
        Timestamp::parse_rfc3339(s).map(Timestamp::millis)
    }

    fn w(ms: i64) -> String {
        let mut buf = [0u8; 32];
        Timestamp(ms).write_rfc3339(&mut buf).to_string()
    }

    const Y2024: i64 = 1_704_067_200_000;
    const AUG10: i64 = 1_533_859_200_000;

    #[test]
    fn conformance_cases() {
        // iam-simulate/DateEquals #1, DateGreaterThan, ...
        assert_eq!(p("2024-01-01"), Some(Y2024));
        assert_eq!(p("2024-01-01T00:00:00Z"), Some(Y2024));
        assert_eq!(
            p("2023-01-01T23:59:59Z"),
            Some(Y2024 - 365 * 86_400_000 + 86_399_000)
        );
        assert_eq!(p("2024-01-01T00:00:01Z"), Some(Y2024 + 1_000));
        assert_eq!(p("not a date"), None);
        assert_eq!(p("a"), None);
        // pmapper/datetime_condition
        assert_eq!(p("2018-08-10T00:00:00Z"), Some(AUG10));
        assert_eq!(p("1533859200"), Some(AUG10));
        assert_eq!(p("1533859201"), Some(AUG10 + 1_000));
        // disputed: fractional epoch seconds are not a date; epoch values are seconds.
        assert_eq!(p("1533859200.0"), None);
        assert_ne!(p("1704067200000"), Some(Y2024));
        assert_eq!(p("1704067200000"), Some(1_704_067_200_000_000));
        // jit grants
        assert_eq!(strict("2026-11-22T10:00:00Z"), Some(1_795_341_600_000));
        assert!(strict("2026-11-22T12:00:00Z") > strict("2026-11-22T10:00:00Z"));
    }

    #[test]
    fn date_only_and_times() {
        assert_eq!(p("1970-01-01"), Some(0));
        assert_eq!(p("1970-01-01T00:00Z"), Some(0));
        assert_eq!(p("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(p("1970-01-01t00:00:00z"), Some(0));
        assert_eq!(p("1970-01-02"), Some(86_400_000));
        assert_eq!(p("1969-12-31"), Some(-86_400_000));
        assert_eq!(p("1969-12-31T23:59:59Z"), Some(-1_000));
        assert_eq!(p("2000-03-01"), Some(951_868_800_000));
        assert_eq!(p("2000-02-29T23:59:59.999Z"), Some(951_868_799_999));
        assert_eq!(p("0000-01-01"), Some(-62_167_219_200_000));
        assert_eq!(p("9999-12-31T23:59:59.999Z"), Some(253_402_300_799_999));
        assert_eq!(p("1600-03-01"), Some(-11_670_912_000_000));
        assert_eq!(p("2020-06-15T12:34Z"), p("2020-06-15T12:34:00Z"));
    }

    #[test]
    fn fractions() {
        assert_eq!(p("1970-01-01T00:00:00.1Z"), Some(100));
        assert_eq!(p("1970-01-01T00:00:00.12Z"), Some(120));
        assert_eq!(p("1970-01-01T00:00:00.123Z"), Some(123));
        assert_eq!(p("1970-01-01T00:00:00.1239Z"), Some(123));
        assert_eq!(p("1970-01-01T00:00:00.999999999999Z"), Some(999));
        assert_eq!(p("1969-12-31T23:59:59.9999Z"), Some(-1));
        assert_eq!(p("1970-01-01T00:00:00.Z"), None);
        assert_eq!(p("1970-01-01T00:00:00.Z"), None);
        assert_eq!(p("1970-01-01T00:00.5Z"), None);
        assert_eq!(p("1970-01-01T00:00:00,5Z"), None);
        assert_eq!(p("1970-01-01T00:00:00.5x"), None);
        let long = std::format!("1970-01-01T00:00:00.{}Z", "7".repeat(1 << 20));
        assert_eq!(p(&long), Some(777));
        assert_eq!(strict(&long), Some(777));
    }

    #[test]
    fn offsets() {
        assert_eq!(p("2020-01-01T05:30:00+05:30"), p("2020-01-01T00:00:00Z"));
        assert_eq!(p("2020-01-01T05:30:00+0530"), p("2020-01-01T00:00:00Z"));
        assert_eq!(p("2020-01-01T05:00:00+05"), p("2020-01-01T00:00:00Z"));
        assert_eq!(p("2019-12-31T16:00:00-0800"), p("2020-01-01T00:00:00Z"));
        assert_eq!(p("2019-12-31T16:00:00-08:00"), p("2020-01-01T00:00:00Z"));
        assert_eq!(p("2020-01-01T00:00-00:00"), p("2020-01-01T00:00:00Z"));
        assert_eq!(
            p("2020-01-01T00:00:00+23:59"),
            Some(1_577_836_800_000 - (23 * 60 + 59) * 60_000)
        );
        assert_eq!(
            strict("2020-01-01T05:30:00+05:30"),
            p("2020-01-01T00:00:00Z")
        );
        for bad in [
            "2020-01-01T00:00:00+24:00",
            "2020-01-01T00:00:00+05:60",
            "2020-01-01T00:00:00+5:30",
            "2020-01-01T00:00:00+05:3",
            "2020-01-01T00:00:00+05:",
            "2020-01-01T00:00:00+",
            "2020-01-01T00:00:00+053",
            "2020-01-01T00:00:00+05300",
            "2020-01-01T00:00:00 +05:30",
            "2020-01-01T00:00:00UTC",
            "2020-01-01T00:00:00",
            "2020-01-01T00:00",
            "2020-01-01T00:00:00ZZ",
            "2020-01-01T00:00:00Z ",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
            assert_eq!(strict(bad), None, "{bad:?}");
        }
        assert_eq!(strict("2020-01-01T05:30:00+0530"), None);
        assert_eq!(strict("2020-01-01T05:00:00+05"), None);
    }

    #[test]
    fn calendar_validation() {
        assert!(p("2024-02-29").is_some());
        assert!(p("2000-02-29").is_some());
        assert_eq!(p("2023-02-29"), None);
        assert_eq!(p("1900-02-29"), None);
        assert_eq!(p("2100-02-29"), None);
        assert_eq!(p("2024-02-30"), None);
        assert_eq!(p("2024-04-31"), None);
        assert!(p("2024-05-31").is_some());
        assert_eq!(p("2024-00-10"), None);
        assert_eq!(p("2024-13-10"), None);
        assert_eq!(p("2024-01-00"), None);
        assert_eq!(p("2024-01-32"), None);
        assert_eq!(p("2024-01-01T24:00:00Z"), None);
        assert_eq!(p("2024-01-01T23:60:00Z"), None);
        assert_eq!(p("2024-01-01T23:59:60Z"), None); // leap second: rejected
        assert_eq!(strict("2016-12-31T23:59:60Z"), None);
        assert!(p("2024-01-01T23:59:59Z").is_some());
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            " ",
            "-",
            "+1",
            "1.5",
            "1e9",
            "0x10",
            "1_000",
            " 1533859200",
            "1533859200 ",
            "--1",
            "2024",
            "24-01-01",
            "2024-1-01",
            "2024-01-1",
            "2024/01/01",
            "20240101",
            "20240101T000000Z",
            "2024-W01-1",
            "2024-001",
            "2024-01-01 00:00:00Z",
            "2024-01-01T",
            "2024-01-01T0:00:00Z",
            "2024-01-01T00:0:00Z",
            "2024-01-01T00:00:0Z",
            "2024-01-01T00Z",
            "2024-01-01Z",
            " 2024-01-01",
            "2024-01-01 ",
            "+2024-01-01",
            "-2024-01-01",
            "12024-01-01",
            "２０２４-01-01",
            "2024-01-01T00:00:00Ż",
            "２",
            "é",
        ] {
            // "2024" is an integer: epoch seconds, not a year.
            if bad == "2024" {
                assert_eq!(p(bad), Some(2_024_000));
                assert_eq!(strict(bad), None);
                continue;
            }
            if bad == "20240101" {
                assert_eq!(p(bad), Some(20_240_101_000));
                continue;
            }
            assert_eq!(p(bad), None, "{bad:?}");
            assert_eq!(strict(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn epoch_seconds() {
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("-0"), Some(0));
        assert_eq!(p("0000001"), Some(1_000));
        assert_eq!(p("-86400"), Some(-86_400_000));
        assert_eq!(p("9223372036854775"), Some(9_223_372_036_854_775_000));
        assert_eq!(p("9223372036854776"), None);
        assert_eq!(p("-9223372036854775"), Some(-9_223_372_036_854_775_000));
        assert_eq!(p("-9223372036854776"), None);
        assert_eq!(p("9223372036854775807"), None);
        assert_eq!(p("99999999999999999999999999"), None);
        assert_eq!(p(&"9".repeat(1 << 20)), None);
        assert_eq!(p(&std::format!("-{}", "9".repeat(1 << 20))), None);
        assert_eq!(p(&"0".repeat(1 << 20)), Some(0));
        assert_eq!(strict("1533859200"), None);
    }

    #[test]
    fn writes_rfc3339() {
        assert_eq!(w(0), "1970-01-01T00:00:00Z");
        assert_eq!(w(1_795_341_600_000), "2026-11-22T10:00:00Z");
        assert_eq!(w(1_795_341_600_250), "2026-11-22T10:00:00.250Z");
        assert_eq!(w(1_795_341_600_001), "2026-11-22T10:00:00.001Z");
        assert_eq!(w(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(w(951_868_799_999), "2000-02-29T23:59:59.999Z");
        assert_eq!(w(-62_167_219_200_000), "0000-01-01T00:00:00Z");
        assert_eq!(w(-62_167_219_200_001), "-0001-12-31T23:59:59.999Z");
        assert_eq!(w(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(w(253_402_300_800_000), "+10000-01-01T00:00:00Z");
        assert_eq!(w(i64::MAX), "+292278994-08-17T07:12:55.807Z");
        assert_eq!(w(i64::MIN), "-292275055-05-16T16:47:04.192Z");
        assert_eq!(
            std::format!("{}", Timestamp(1_795_341_600_250)),
            "2026-11-22T10:00:00.250Z"
        );
    }

    #[test]
    fn round_trips() {
        // Deterministic LCG over years 0000..=9999.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let lo = -62_167_219_200_000i64;
        let span = (253_402_300_799_999i64 - lo) as u64;
        for k in 0..100_000u64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mut ms = lo + ((state >> 11) % span) as i64;
            if k % 3 == 0 {
                ms -= ms.rem_euclid(1_000); // whole seconds too
            }
            let text = w(ms);
            assert_eq!(strict(&text), Some(ms), "{text}");
            assert_eq!(p(&text), Some(ms), "{text}");
        }
        // Every day across leap-year boundaries agrees with stepping one day at a time.
        let mut ms = p("1899-12-25").unwrap();
        for _ in 0..(8 * 365 + 1) {
            // 1900 is not a leap year, 1904 is
            let text = w(ms);
            assert_eq!(p(&text[..10]), Some(ms), "{text}");
            ms += 86_400_000;
        }
        assert_eq!(w(ms), "1907-12-25T00:00:00Z");
    }

    #[test]
    fn civil_conversions() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(-1, 12, 31), Some(-719_529));
        assert_eq!(days_from_civil(2024, 13, 1), None);
        assert_eq!(days_from_civil(2024, 0, 1), None);
        assert_eq!(days_from_civil(i64::MAX, 6, 1), None);
        assert_eq!(days_from_civil(i64::MIN, 1, 1), None);
        for days in [
            -800_000i64,
            -719_529,
            -1,
            0,
            1,
            11_016,
            11_017,
            2_932_896,
            10_000_000,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days), "{days}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        // Extreme inputs never panic.
        let _ = civil_from_days(i64::MAX);
        let _ = civil_from_days(i64::MIN);
    }

    #[test]
    fn ordering() {
        assert!(Timestamp(1) > Timestamp(0));
        assert!(
            Timestamp::parse("2018-08-09T23:59:59Z") < Timestamp::parse("2018-08-10T00:00:00Z")
        );
        assert_eq!(Timestamp::from_millis(42).millis(), 42);
    }

    #[test]
    fn hostile_inputs() {
        let mb = "x".repeat(1 << 20);
        assert_eq!(p(&mb), None);
        let tail = std::format!("2024-01-01T00:00:00Z{mb}");
        assert_eq!(p(&tail), None);
        let emoji = "😀".repeat(1 << 18);
        assert_eq!(p(&emoji), None);
        assert_eq!(strict(&emoji), None);
        let dashes = "-".repeat(1 << 20);
        assert_eq!(p(&dashes), None);
        let mut buf = [0u8; 32];
        for ms in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
            let s = Timestamp(ms).write_rfc3339(&mut buf);
            assert!(s.ends_with('Z') && s.len() <= 32, "{s}");
        }
    }
}
