//! A strict JSON parser (RFC 8259) that keeps the byte span of every value and object key.
//!
//! `serde_json` forgets where values came from; policy diagnostics must name a line and column,
//! so policy input is parsed here instead. The parser:
//!
//! - makes a single pass over the bytes of the input, in linear time;
//! - never panics and never recurses deeper than [`MAX_DEPTH`] levels;
//! - rejects everything RFC 8259 does not allow (comments, trailing commas, single quotes,
//!   `NaN`/`Infinity`, leading zeros, raw control characters in strings, unpaired surrogates, …)
//!   and, in addition, duplicate object keys and numbers too large for an `f64`;
//! - skips a UTF-8 byte order mark (U+FEFF) at the very start of the input, as RFC 8259 §8.1
//!   permits. Spans stay byte offsets into the original text (so the first value after a BOM
//!   starts at offset 3), and [`LineIndex`] does not count the BOM as a column.
//!
//! Spans are byte offsets into the text given to [`parse`]; turn them into 1-based line and column
//! numbers with [`LineIndex`].

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

/// A byte range in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// Creates a span; offsets beyond `u32::MAX` saturate to `u32::MAX`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: saturate(start),
            end: saturate(end),
        }
    }

    /// The span as a `usize` range, for slicing the source text.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

fn saturate(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// A JSON value with the span of its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Json {
    /// What the value is.
    pub kind: JsonKind,
    /// The text of the value: for strings including the quotes, for arrays and objects from the
    /// opening to the closing bracket inclusive.
    pub span: Span,
}

/// The kinds of JSON value. Objects keep member order and every key's span.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: its source text (exactly as written) and its value as f64.
    Number(JsonNumber),
    /// A string, with escapes decoded.
    String(String),
    /// An array, in source order.
    Array(Vec<Json>),
    /// An object: its members in source order. [`parse`] guarantees keys are unique.
    Object(Vec<Member>),
}

/// A JSON number.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonNumber {
    /// The number exactly as written in the source, e.g. `-1.50e+3`.
    pub text: String,
    /// The value, correctly rounded to the nearest `f64` (always finite).
    pub value: f64,
}

/// One member of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The key, with escapes decoded.
    pub key: String,
    /// The key's string literal in the source, including the quotes.
    pub key_span: Span,
    /// The member's value.
    pub value: Json,
}

/// A syntax error with the span it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// The text the error is about (empty at the end of the input).
    pub span: Span,
    /// A message for the user, e.g. `expected ',' or '}' after an object member, found '"'`.
    pub message: String,
    /// A second place the error refers to: the first occurrence of a duplicate key, or the
    /// opening bracket of an array or object that is not closed.
    pub related: Option<Span>,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsonError {}

/// Maximum nesting depth of arrays/objects accepted by `parse`.
pub const MAX_DEPTH: usize = 128;

/// Parses a complete JSON text (RFC 8259).
///
/// The input must hold exactly one value, optionally surrounded by JSON whitespace and preceded
/// by a byte order mark. Duplicate object keys, nesting deeper than [`MAX_DEPTH`] and numbers
/// whose magnitude is too large for an `f64` are errors. (Numbers too small for an `f64`
/// round to zero, as in every mainstream JSON parser.)
pub fn parse(src: &str) -> Result<Json, JsonError> {
    let mut p = Parser {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        depth: 0,
    };
    if src.starts_with('\u{FEFF}') {
        p.pos = '\u{FEFF}'.len_utf8();
    }
    let content_start = p.pos;
    p.skip_ws();
    if p.pos >= src.len() {
        return Err(JsonError {
            span: Span::new(content_start, src.len()),
            message: "empty input: expected a JSON value".to_string(),
            related: None,
        });
    }
    let value = p.parse_value()?;
    p.skip_ws();
    if p.pos < src.len() {
        return Err(p.unexpected(p.pos, "unexpected content after the JSON value"));
    }
    Ok(value)
}

impl Json {
    /// Exact-key member lookup on objects; `None` for other kinds or a missing key.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JsonKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            JsonKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn as_number(&self) -> Option<&JsonNumber> {
        match &self.kind {
            JsonKind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match &self.kind {
            JsonKind::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            JsonKind::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The kind's name for messages: "null", "boolean", "number", "string", "array" or "object".
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "boolean",
            JsonKind::Number(_) => "number",
            JsonKind::String(_) => "string",
            JsonKind::Array(_) => "array",
            JsonKind::Object(_) => "object",
        }
    }

    /// Converts to serde_json::Value (for tooling and tests only; not used on evaluation paths).
    ///
    /// Integers written without fraction or exponent that fit in `i64`/`u64` stay integers;
    /// other numbers become `f64`. If a hand-built object has duplicate keys, the last wins.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n) => n.to_serde().map_or(Value::Null, Value::Number),
            JsonKind::String(s) => Value::String(s.clone()),
            JsonKind::Array(a) => Value::Array(a.iter().map(Json::to_value).collect()),
            JsonKind::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.to_value()))
                    .collect(),
            ),
        }
    }
}

impl JsonNumber {
    fn to_serde(&self) -> Option<serde_json::Number> {
        let integral = !self.text.contains(['.', 'e', 'E']);
        if integral && self.text != "-0" {
            if let Ok(i) = self.text.parse::<i64>() {
                return Some(i.into());
            }
            if let Ok(u) = self.text.parse::<u64>() {
                return Some(u.into());
            }
        }
        serde_json::Number::from_f64(self.value)
    }
}

/// Maps byte offsets of one source text to 1-based line and column (column counted in characters, tabs count 1).
///
/// Lines end at `\n`, `\r\n` or a lone `\r`. A byte order mark at the start of the text is not
/// counted as a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset at which each line starts; the first is always 0.
    line_starts: Vec<u32>,
}

impl LineIndex {
    /// Indexes the line starts of `src`.
    pub fn new(src: &str) -> LineIndex {
        let bytes = src.as_bytes();
        let mut line_starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends_line {
                line_starts.push(saturate(i + 1));
            }
        }
        LineIndex { line_starts }
    }

    /// The 1-based line and column of byte `offset` in `src` (the text given to [`LineIndex::new`]).
    ///
    /// Offsets past the end map to the end of the text; an offset inside a multi-byte character
    /// maps to that character's column.
    pub fn line_col(&self, src: &str, offset: u32) -> (u32, u32) {
        let offset = (offset as usize).min(src.len());
        let line = self
            .line_starts
            .partition_point(|&s| s as usize <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line).map_or(0, |&s| s as usize);
        let bytes = src.as_bytes();
        let is_lead = |b: &u8| *b & 0xC0 != 0x80;
        // Characters that start before `offset`, less the one `offset` is inside of, if any.
        let mut col = bytes
            .get(line_start..offset)
            .map_or(0, |text| text.iter().filter(|b| is_lead(b)).count());
        if bytes.get(offset).is_some_and(|b| !is_lead(b)) {
            col = col.saturating_sub(1);
        }
        if line_start == 0 && src.starts_with('\u{FEFF}') && offset >= 3 {
            col = col.saturating_sub(1);
        }
        (saturate(line + 1), saturate(col + 1))
    }
}

/// Objects with more members than this get a hash index for the duplicate-key check.
const INDEX_THRESHOLD: usize = 16;

/// Longest piece of input quoted in a message before it is cut with `…`.
const SNIPPET_CHARS: usize = 40;

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

/// Bytes that continue a bare word (an unquoted identifier or literal).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// `text` for a message, cut to [`SNIPPET_CHARS`] characters.
fn snippet(text: &str) -> String {
    match text.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn err(span: Span, message: String) -> JsonError {
    JsonError {
        span,
        message,
        related: None,
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The end of the run of word bytes starting at `pos`.
    fn word_end(&self, pos: usize) -> usize {
        let mut end = pos;
        while self.bytes.get(end).is_some_and(|&b| is_word_byte(b)) {
            end += 1;
        }
        end
    }

    /// The character at `pos` (which must be a char boundary), if any.
    fn char_at(&self, pos: usize) -> Option<char> {
        self.src.get(pos..).and_then(|rest| rest.chars().next())
    }

    /// What is found at `pos`, as a span and a description for a message: a whole bare word,
    /// one character, or the end of the input.
    fn found(&self, pos: usize) -> (Span, String) {
        let Some(c) = self.char_at(pos) else {
            let end = self.src.len();
            return (Span::new(end, end), "end of input".to_string());
        };
        if c.is_ascii() && is_word_byte(c as u8) {
            let end = self.word_end(pos);
            let word = &self.src[pos..end];
            let hint = if matches!(word, "NaN" | "Infinity") {
                " (NaN and Infinity are not allowed in JSON)"
            } else if ["true", "false", "null"]
                .iter()
                .any(|l| l.eq_ignore_ascii_case(word))
            {
                " (the JSON literals true, false and null are lowercase)"
            } else {
                ""
            };
            return (Span::new(pos, end), format!("'{}'{hint}", snippet(word)));
        }
        let span = Span::new(pos, pos + c.len_utf8());
        let desc = match c {
            '\'' => "a single quote (JSON strings must use double quotes)".to_string(),
            '/' => "'/' (comments are not allowed in JSON)".to_string(),
            '\u{FEFF}' => "U+FEFF (a byte order mark)".to_string(),
            c if c.is_control() => format!("control character U+{:04X}", c as u32),
            c if c.is_whitespace() => {
                format!("U+{:04X} (not a JSON whitespace character)", c as u32)
            }
            c => format!("'{c}'"),
        };
        (span, desc)
    }

    /// "`expected`, found X" about what is at `pos`.
    fn unexpected(&self, pos: usize, expected: &str) -> JsonError {
        let (span, found) = self.found(pos);
        err(span, format!("{expected}, found {found}"))
    }

    /// Like [`Parser::unexpected`], but at the end of the input also names the unclosed bracket.
    fn unexpected_in(&self, pos: usize, expected: &str, open: usize, what: &str) -> JsonError {
        let mut e = self.unexpected(pos, expected);
        if pos >= self.src.len() {
            e.message.push_str(&format!(" (the {what} is not closed)"));
            e.related = Some(Span::new(open, open + 1));
        }
        e
    }

    fn parse_value(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.parse_object(),
            Some(b'[') => self.parse_array(),
            Some(b'"') => {
                let s = self.parse_string()?;
                Ok(Json {
                    kind: JsonKind::String(s),
                    span: Span::new(start, self.pos),
                })
            }
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(b) if is_word_byte(b) => self.parse_word(),
            Some(b'+') => Err(err(
                Span::new(start, start + 1),
                "expected a JSON value, found '+' (numbers must not start with '+')".to_string(),
            )),
            Some(b'.') => Err(err(
                Span::new(start, start + 1),
                "expected a JSON value, found '.' (numbers must start with a digit)".to_string(),
            )),
            _ => Err(self.unexpected(start, "expected a JSON value")),
        }
    }

    /// `true`, `false`, `null`, or an error about a bare word.
    fn parse_word(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        let end = self.word_end(start);
        let kind = match &self.src[start..end] {
            "true" => JsonKind::Bool(true),
            "false" => JsonKind::Bool(false),
            "null" => JsonKind::Null,
            _ => {
                let mut e = self.unexpected(start, "expected a JSON value");
                if !e.message.ends_with(')') {
                    e.message.push_str(" (strings must be in double quotes)");
                }
                return Err(e);
            }
        };
        self.pos = end;
        Ok(Json {
            kind,
            span: Span::new(start, end),
        })
    }

    fn skip_digits(&self, mut pos: usize) -> usize {
        while self.bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        pos
    }

    /// An error in the number starting at `start`: `expected` a digit at `pos`.
    fn number_error(&self, start: usize, pos: usize, expected: &str) -> JsonError {
        let (found_span, found) = self.found(pos);
        let text = snippet(&self.src[start..pos]);
        err(
            Span::new(start, found_span.end as usize),
            format!("invalid number '{text}': expected {expected}, found {found}"),
        )
    }

    fn parse_number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        let mut p = start;
        if self.bytes.get(p) == Some(&b'-') {
            p += 1;
        }
        match self.bytes.get(p) {
            Some(b'0') => {
                p += 1;
                if self.bytes.get(p).is_some_and(u8::is_ascii_digit) {
                    let end = self.skip_digits(p);
                    return Err(err(
                        Span::new(start, end),
                        format!(
                            "invalid number '{}': leading zeros are not allowed",
                            snippet(&self.src[start..end])
                        ),
                    ));
                }
            }
            Some(b'1'..=b'9') => p = self.skip_digits(p),
            _ => return Err(self.number_error(start, p, "a digit after '-'")),
        }
        if self.bytes.get(p) == Some(&b'.') {
            p += 1;
            if !self.bytes.get(p).is_some_and(u8::is_ascii_digit) {
                return Err(self.number_error(start, p, "a digit after the decimal point"));
            }
            p = self.skip_digits(p);
        }
        if let Some(b'e' | b'E') = self.bytes.get(p) {
            p += 1;
            if let Some(b'+' | b'-') = self.bytes.get(p) {
                p += 1;
            }
            if !self.bytes.get(p).is_some_and(u8::is_ascii_digit) {
                return Err(self.number_error(start, p, "a digit in the exponent"));
            }
            p = self.skip_digits(p);
        }
        // Something like `0x1F`, `1.2.3`, `12abc`: report the whole thing as one bad number.
        if self
            .bytes
            .get(p)
            .is_some_and(|&b| is_word_byte(b) || b == b'.')
        {
            let mut end = p;
            while self
                .bytes
                .get(end)
                .is_some_and(|&b| is_word_byte(b) || matches!(b, b'.' | b'+' | b'-'))
            {
                end += 1;
            }
            return Err(err(
                Span::new(start, end),
                format!("invalid number '{}'", snippet(&self.src[start..end])),
            ));
        }
        let text = &self.src[start..p];
        let span = Span::new(start, p);
        let value: f64 = match text.parse() {
            Ok(v) => v,
            Err(_) => return Err(err(span, format!("invalid number '{}'", snippet(text)))),
        };
        if !value.is_finite() {
            return Err(err(
                span,
                format!(
                    "number out of range: '{}' is too large for a 64-bit float",
                    snippet(text)
                ),
            ));
        }
        self.pos = p;
        Ok(Json {
            kind: JsonKind::Number(JsonNumber {
                text: text.to_string(),
                value,
            }),
            span,
        })
    }

    /// Parses the string literal at `self.pos` (which is at its opening quote).
    fn parse_string(&mut self) -> Result<String, JsonError> {
        let open = self.pos;
        let bytes = self.bytes;
        let mut p = open + 1;
        let mut chunk = p;
        let mut out = String::new();
        loop {
            while p < bytes.len() && !matches!(bytes[p], b'"' | b'\\' | 0..=0x1F) {
                p += 1;
            }
            let Some(&b) = bytes.get(p) else {
                return Err(err(
                    Span::new(open, bytes.len()),
                    "unterminated string: expected a closing '\"', found end of input".to_string(),
                ));
            };
            match b {
                b'"' => {
                    out.push_str(&self.src[chunk..p]);
                    self.pos = p + 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.src[chunk..p]);
                    p = self.parse_escape(open, p, &mut out)?;
                    chunk = p;
                }
                _ => {
                    let hint = if b == b'\n' || b == b'\r' {
                        " (is a closing '\"' missing? a line break inside a string must be written as \\n)"
                    } else if b == b'\t' {
                        " (a tab inside a string must be written as \\t)"
                    } else {
                        " (it must be escaped, e.g. as \\u00XX)"
                    };
                    return Err(JsonError {
                        span: Span::new(p, p + 1),
                        message: format!("control character U+{b:04X} in a string{hint}"),
                        related: Some(Span::new(open, open + 1)),
                    });
                }
            }
        }
    }

    /// Decodes the escape at `p` (a backslash) into `out`; returns the offset after it.
    fn parse_escape(&self, open: usize, p: usize, out: &mut String) -> Result<usize, JsonError> {
        let decoded = match self.bytes.get(p + 1) {
            None => {
                return Err(err(
                    Span::new(open, self.bytes.len()),
                    "unterminated string: expected a closing '\"', found end of input".to_string(),
                ))
            }
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{C}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (c, end) = self.parse_unicode_escape(p)?;
                out.push(c);
                return Ok(end);
            }
            Some(_) => {
                // `p + 1` is a char boundary: the byte before it is an ASCII backslash.
                let c = self.char_at(p + 1).unwrap_or('\u{FFFD}');
                let shown = if c.is_control() || c.is_whitespace() {
                    format!("U+{:04X} after '\\'", c as u32)
                } else {
                    format!("'\\{c}'")
                };
                return Err(err(
                    Span::new(p, p + 1 + c.len_utf8()),
                    format!(
                        "invalid escape {shown} in a string (valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX)"
                    ),
                ));
            }
        };
        out.push(decoded);
        Ok(p + 2)
    }

    /// Reads the four hex digits of the `\u` escape at `p` (its backslash).
    fn hex4(&self, p: usize) -> Result<u32, JsonError> {
        let mut value = 0;
        for i in p + 2..p + 6 {
            let digit = self.bytes.get(i).and_then(|&b| char::from(b).to_digit(16));
            match digit {
                Some(d) => value = value * 16 + d,
                None => {
                    let (found_span, found) = self.found(i);
                    return Err(err(
                        Span::new(p, found_span.end as usize),
                        format!(
                            "invalid \\u escape: expected 4 hex digits after '\\u', found {found}"
                        ),
                    ));
                }
            }
        }
        Ok(value)
    }

    /// Decodes the `\uXXXX` escape at `p`, and its low surrogate if it is a high surrogate.
    fn parse_unicode_escape(&self, p: usize) -> Result<(char, usize), JsonError> {
        const NEEDS_LOW: &str =
            "a high surrogate must be followed by a low surrogate escape (\\uDC00 to \\uDFFF)";
        let first = self.hex4(p)?;
        let lone = |what: &str| {
            err(
                Span::new(p, p + 6),
                format!(
                    "unpaired surrogate '{}' in a string: {what}",
                    &self.src[p..p + 6]
                ),
            )
        };
        match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(p + 6..p + 8) != Some(b"\\u") {
                    return Err(lone(NEEDS_LOW));
                }
                let second = self.hex4(p + 6)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone(NEEDS_LOW));
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                let c = char::from_u32(code).unwrap_or('\u{FFFD}');
                Ok((c, p + 12))
            }
            0xDC00..=0xDFFF => Err(lone(
                "a low surrogate must follow a high surrogate escape (\\uD800 to \\uDBFF)",
            )),
            _ => Ok((char::from_u32(first).unwrap_or('\u{FFFD}'), p + 6)),
        }
    }

    /// Enters an array or object whose opening bracket is at `open`.
    fn enter(&mut self, open: usize) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                Span::new(open, open + 1),
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.pos = open + 1;
        Ok(())
    }

    fn parse_array(&mut self) -> Result<Json, JsonError> {
        let open = self.pos;
        self.enter(open)?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                if self.pos >= self.src.len() {
                    let expected = if items.is_empty() {
                        "expected a JSON value or ']'"
                    } else {
                        "expected a JSON value"
                    };
                    return Err(self.unexpected_in(self.pos, expected, open, "array"));
                }
                items.push(self.parse_value()?);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        let comma = self.pos;
                        self.pos += 1;
                        self.skip_ws();
                        if self.peek() == Some(b']') {
                            return Err(err(
                                Span::new(comma, self.pos + 1),
                                "expected a JSON value after ',', found ']' (trailing commas are not allowed)".to_string(),
                            ));
                        }
                    }
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(self.unexpected_in(
                            self.pos,
                            "expected ',' or ']' after an array element",
                            open,
                            "array",
                        ))
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Json {
            kind: JsonKind::Array(items),
            span: Span::new(open, self.pos),
        })
    }

    fn parse_object(&mut self) -> Result<Json, JsonError> {
        let open = self.pos;
        self.enter(open)?;
        let mut members: Vec<Member> = Vec::new();
        let mut index: Option<HashMap<String, usize>> = None;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                if self.peek() != Some(b'"') {
                    let expected = if members.is_empty() {
                        "expected a string key or '}'"
                    } else {
                        "expected a string key after ','"
                    };
                    let mut e = self.unexpected_in(self.pos, expected, open, "object");
                    let bare = self.peek().is_some_and(is_word_byte);
                    if bare && !e.message.ends_with(')') {
                        e.message
                            .push_str(" (object keys must be in double quotes)");
                    }
                    return Err(e);
                }
                let key_start = self.pos;
                let key = self.parse_string()?;
                let key_span = Span::new(key_start, self.pos);
                let first = match &index {
                    Some(index) => index.get(&key).copied(),
                    None => members.iter().position(|m| m.key == key),
                };
                if let Some(first) = first {
                    return Err(JsonError {
                        span: key_span,
                        message: format!("duplicate key {:?}", snippet(&key)),
                        related: Some(members[first].key_span),
                    });
                }
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(self.unexpected_in(
                        self.pos,
                        "expected ':' after the object key",
                        open,
                        "object",
                    ));
                }
                self.pos += 1;
                self.skip_ws();
                if self.pos >= self.src.len() {
                    return Err(self.unexpected_in(
                        self.pos,
                        "expected a JSON value after ':'",
                        open,
                        "object",
                    ));
                }
                let value = self.parse_value()?;
                match &mut index {
                    Some(index) => {
                        index.insert(key.clone(), members.len());
                    }
                    None if members.len() >= INDEX_THRESHOLD => {
                        let mut map: HashMap<String, usize> = members
                            .iter()
                            .enumerate()
                            .map(|(i, m)| (m.key.clone(), i))
                            .collect();
                        map.insert(key.clone(), members.len());
                        index = Some(map);
                    }
                    None => {}
                }
                members.push(Member {
                    key,
                    key_span,
                    value,
                });
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        let comma = self.pos;
                        self.pos += 1;
                        self.skip_ws();
                        if self.peek() == Some(b'}') {
                            return Err(err(
                                Span::new(comma, self.pos + 1),
                                "expected a string key after ',', found '}' (trailing commas are not allowed)".to_string(),
                            ));
                        }
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(self.unexpected_in(
                            self.pos,
                            "expected ',' or '}' after an object member",
                            open,
                            "object",
                        ))
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Json {
            kind: JsonKind::Object(members),
            span: Span::new(open, self.pos),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Parses `src`, expecting an error; returns it with the line/column of its span start.
    fn fail(src: &str) -> (JsonError, (u32, u32)) {
        match parse(src) {
            Ok(v) => panic!("expected an error for {src:?}, got {v:?}"),
            Err(e) => {
                let at = LineIndex::new(src).line_col(src, e.span.start);
                (e, at)
            }
        }
    }

    /// Asserts the error for `src`: message contains `msg` and the span covers `text`.
    fn check(src: &str, msg: &str, text: &str) -> JsonError {
        let (e, _) = fail(src);
        assert!(
            e.message.contains(msg),
            "message for {src:?} is {:?}, expected it to contain {msg:?}",
            e.message
        );
        assert_eq!(&src[e.span.range()], text, "span for {src:?}: {e:?}");
        e
    }

    fn ok(src: &str) -> Json {
        parse(src).unwrap_or_else(|e| panic!("{src:?} should parse: {e:?}"))
    }

    #[test]
    fn empty_input() {
        for src in ["", "   ", " \n\t\r\n ", "\u{FEFF}", "\u{FEFF}  "] {
            let (e, at) = fail(src);
            assert_eq!(e.message, "empty input: expected a JSON value");
            assert_eq!(at, (1, 1));
        }
    }

    #[test]
    fn trailing_content() {
        let e = check(
            "{\"a\": 1}\n}",
            "unexpected content after the JSON value",
            "}",
        );
        assert_eq!(
            e.message,
            "unexpected content after the JSON value, found '}'"
        );
        check(
            "1 2",
            "unexpected content after the JSON value, found '2'",
            "2",
        );
        check("[] []", "unexpected content after the JSON value", "[");
        check("null garbage", "found 'garbage'", "garbage");
        check("{} // note", "comments are not allowed", "/");
    }

    #[test]
    fn duplicate_keys_point_at_second_occurrence() {
        let src = "{\n  \"Effect\": \"Allow\",\n  \"Action\": \"*\",\n  \"Effect\": \"Deny\"\n}";
        let (e, at) = fail(src);
        assert_eq!(e.message, "duplicate key \"Effect\"");
        assert_eq!(&src[e.span.range()], "\"Effect\"");
        assert_eq!(at, (4, 3));
        let first = e.related.expect("first occurrence");
        assert_eq!(LineIndex::new(src).line_col(src, first.start), (2, 3));
        // Keys compare after unescaping.
        let e = check(
            r#"{"ab": 1, "a\u0062": 2}"#,
            "duplicate key \"ab\"",
            r#""a\u0062""#,
        );
        assert_eq!(e.related, Some(Span::new(1, 5)));
        // Nested objects have their own key sets.
        ok(r#"{"a": {"a": 1}, "b": {"a": 2}}"#);
    }

    #[test]
    fn duplicate_keys_in_large_objects() {
        let mut src = String::from("{");
        for i in 0..10_000 {
            src.push_str(&format!("\"k{i}\": {i},"));
        }
        let good = format!("{}}}", src.trim_end_matches(','));
        let v = ok(&good);
        assert_eq!(v.as_object().map(<[Member]>::len), Some(10_000));
        assert_eq!(
            v.get("k9999").and_then(Json::as_number).map(|n| n.value),
            Some(9999.0)
        );
        src.push_str("\"k5000\": 0}");
        let e = check(&src, "duplicate key \"k5000\"", "\"k5000\"");
        let first = e.related.unwrap();
        assert_eq!(&src[first.range()], "\"k5000\"");
        assert!(first.start < e.span.start);
        // Duplicate right at the index threshold.
        let keys: Vec<String> = (0..=INDEX_THRESHOLD + 1)
            .map(|i| format!("\"k{i}\":0"))
            .collect();
        for dup in [0, INDEX_THRESHOLD - 1, INDEX_THRESHOLD, INDEX_THRESHOLD + 1] {
            let src = format!("{{{},\"k{dup}\":1}}", keys.join(","));
            check(
                &src,
                &format!("duplicate key \"k{dup}\""),
                &format!("\"k{dup}\""),
            );
        }
    }

    #[test]
    fn nesting_limit() {
        let deep_ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        ok(&deep_ok);
        let objects_ok = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        ok(&objects_ok);
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = check(&too_deep, "nesting deeper than 128 levels", "[");
        assert_eq!(e.span.start as usize, MAX_DEPTH);
        let mixed = "[{\"a\":".repeat(MAX_DEPTH);
        let e = check(&mixed, "nesting deeper than 128 levels", "[");
        assert_eq!(e.span.start as usize, mixed.len() / 2);

        let start = Instant::now();
        let huge = "[".repeat(1 << 20);
        let (e, _) = fail(&huge);
        assert_eq!(e.message, "nesting deeper than 128 levels");
        let huge = "{\"a\":".repeat(1 << 18);
        let (e, _) = fail(&huge);
        assert_eq!(e.message, "nesting deeper than 128 levels");
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn one_megabyte_strings() {
        let body = "x".repeat(1 << 20);
        let start = Instant::now();
        let v = ok(&format!("\"{body}\""));
        assert_eq!(v.as_str().map(str::len), Some(1 << 20));
        let escaped = "\\n\\u00e9é".repeat(1 << 17);
        let v = ok(&format!("[\"{escaped}\"]"));
        assert_eq!(
            v.as_array().unwrap()[0].as_str().unwrap().chars().count(),
            3 << 17
        );
        let (e, _) = fail(&format!("\"{body}"));
        assert!(e.message.starts_with("unterminated string"));
        let digits = format!("1{}", "0".repeat(1 << 20));
        let (e, _) = fail(&digits);
        assert!(e.message.starts_with("number out of range"), "{e:?}");
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn string_errors() {
        check(r#""a\x""#, r"invalid escape '\x' in a string", r"\x");
        check(r#""a\'""#, r"invalid escape '\''", r"\'");
        check(r#"["\é"]"#, r"invalid escape '\é'", r"\é");
        check("\"a\\\nb\"", "invalid escape U+000A after '\\'", "\\\n");
        check(
            r#""\u12""#,
            r#"invalid \u escape: expected 4 hex digits after '\u', found '"'"#,
            r#"\u12""#,
        );
        check(r#""\u12G4""#, "found 'G4'", r"\u12G4");
        check(r#""\u00é""#, "found 'é'", r"\u00é");
        check(r#""\u12"#, "found end of input", r"\u12");
        check(r#""\"#, "unterminated string", r#""\"#);
        let e = check(
            r#""\uD83D""#,
            r"unpaired surrogate '\uD83D' in a string",
            r"\uD83D",
        );
        assert!(e.message.contains("must be followed by a low surrogate"));
        check(r#""\uD83Dx""#, r"unpaired surrogate '\uD83D'", r"\uD83D");
        check(r#""\uD83D\n""#, r"unpaired surrogate '\uD83D'", r"\uD83D");
        check(
            r#""\uD83D\uD83D""#,
            r"unpaired surrogate '\uD83D'",
            r"\uD83D",
        );
        check(
            r#""\uD83D\u0041""#,
            r"unpaired surrogate '\uD83D'",
            r"\uD83D",
        );
        check(r#""\uD83D\u00""#, r"invalid \u escape", r#"\u00""#);
        let e = check(r#""ok \udc00""#, r"unpaired surrogate '\udc00'", r"\udc00");
        assert!(e.message.contains("must follow a high surrogate"));
        let src = "{\"a\": \"line one\nline two\"}";
        let e = check(src, "control character U+000A in a string", "\n");
        assert!(e.message.contains("closing '\"' missing"));
        assert_eq!(e.related, Some(Span::new(6, 7)));
        check("\"a\tb\"", "control character U+0009 in a string", "\t");
        check(
            "\"a\u{1}b\"",
            "control character U+0001 in a string",
            "\u{1}",
        );
        check("\"a\u{7f}b\" x", "unexpected content", "x"); // DEL is allowed raw
        let e = check("{\"a\": \"abc", "unterminated string", "\"abc");
        assert_eq!(
            e.message,
            "unterminated string: expected a closing '\"', found end of input"
        );
        check(
            "['a']",
            "a single quote (JSON strings must use double quotes)",
            "'",
        );
        check(
            "{'a': 1}",
            "expected a string key or '}', found a single quote",
            "'",
        );
    }

    #[test]
    fn number_errors() {
        check(
            "01",
            "invalid number '01': leading zeros are not allowed",
            "01",
        );
        check("[-007]", "leading zeros", "-007");
        check(
            "1.",
            "invalid number '1.': expected a digit after the decimal point, found end of input",
            "1.",
        );
        check(
            "[1.]",
            "expected a digit after the decimal point, found ']'",
            "1.]",
        );
        check(
            ".5",
            "expected a JSON value, found '.' (numbers must start with a digit)",
            ".",
        );
        check(
            "+1",
            "expected a JSON value, found '+' (numbers must not start with '+')",
            "+",
        );
        check(
            "-",
            "invalid number '-': expected a digit after '-', found end of input",
            "-",
        );
        check("[-]", "expected a digit after '-', found ']'", "-]");
        check(
            "1e",
            "invalid number '1e': expected a digit in the exponent, found end of input",
            "1e",
        );
        check("1e+", "expected a digit in the exponent", "1e+");
        check(
            "[1E-x]",
            "expected a digit in the exponent, found 'x'",
            "1E-x",
        );
        check("0x1F", "invalid number '0x1F'", "0x1F");
        check("1.2.3", "invalid number '1.2.3'", "1.2.3");
        check("[12abc, 1]", "invalid number '12abc'", "12abc");
        check("1e400", "number out of range", "1e400");
        check("[-1e400]", "number out of range", "-1e400");
        check(
            "NaN",
            "found 'NaN' (NaN and Infinity are not allowed in JSON)",
            "NaN",
        );
        check("[Infinity]", "found 'Infinity' (NaN", "Infinity");
        check(
            "-Infinity",
            "expected a digit after '-', found 'Infinity' (NaN",
            "-Infinity",
        );
        check(
            "True",
            "found 'True' (the JSON literals true, false and null are lowercase)",
            "True",
        );
        check(
            "[nul]",
            "expected a JSON value, found 'nul' (strings must be in double quotes)",
            "nul",
        );
        check("truex", "found 'truex'", "truex");
        // Tiny numbers round to zero; they are not errors.
        assert_eq!(ok("1e-400").as_number().map(|n| n.value), Some(0.0));
        // Text is kept exactly as written.
        let v = ok("[-0, 1.50E+03, 0.1, 123456789012345678901234567890]");
        let texts: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_number().unwrap().text.as_str())
            .collect();
        assert_eq!(
            texts,
            ["-0", "1.50E+03", "0.1", "123456789012345678901234567890"]
        );
        assert_eq!(v.as_array().unwrap()[1].as_number().unwrap().value, 1500.0);
        assert!(v.as_array().unwrap()[0]
            .as_number()
            .unwrap()
            .value
            .is_sign_negative());
    }

    #[test]
    fn structure_errors() {
        let e = check(
            r#"{"a": 1 "b": 2}"#,
            "expected ',' or '}' after an object member, found '\"'",
            "\"",
        );
        assert_eq!(
            e.message,
            "expected ',' or '}' after an object member, found '\"'"
        );
        check(
            r#"{"a" 1}"#,
            "expected ':' after the object key, found '1'",
            "1",
        );
        check(r#"{"a": }"#, "expected a JSON value, found '}'", "}");
        check(
            r#"{"a": 1,}"#,
            "expected a string key after ',', found '}' (trailing commas are not allowed)",
            ",}",
        );
        check("{\"a\": 1,\n\n}", "trailing commas", ",\n\n}");
        check(
            "[1, 2,]",
            "expected a JSON value after ',', found ']' (trailing commas are not allowed)",
            ",]",
        );
        check(
            "[1 2]",
            "expected ',' or ']' after an array element, found '2'",
            "2",
        );
        check("[1,,2]", "expected a JSON value, found ','", ",");
        check("[,]", "expected a JSON value, found ','", ",");
        check("{,}", "expected a string key or '}', found ','", ",");
        check(
            "{Effect: 1}",
            "found 'Effect' (object keys must be in double quotes)",
            "Effect",
        );
        check(
            "{\"a\": 1, b: 2}",
            "expected a string key after ',', found 'b' (object keys",
            "b",
        );
        check(
            "[1, /* c */ 2]",
            "found '/' (comments are not allowed in JSON)",
            "/",
        );
        check("{\"a\": 1 // c\n}", "comments are not allowed", "/");
        check(
            "[1,\u{a0}2]",
            "found U+00A0 (not a JSON whitespace character)",
            "\u{a0}",
        );
        check(
            "[\u{FEFF}1]",
            "found U+FEFF (a byte order mark)",
            "\u{FEFF}",
        );
        check("[\u{c}1]", "found control character U+000C", "\u{c}");
        check(
            "{\"a\":1}\u{0}",
            "unexpected content after the JSON value, found control character U+0000",
            "\u{0}",
        );
        check("[1,2", "expected ',' or ']' after an array element, found end of input (the array is not closed)", "");
        check(
            "[1,",
            "expected a JSON value, found end of input (the array is not closed)",
            "",
        );
        check("[", "expected a JSON value or ']', found end of input", "");
        let e = check("{\"a\":[1]", "(the object is not closed)", "");
        assert_eq!(e.related, Some(Span::new(0, 1)));
        check(
            "{\"a\"",
            "expected ':' after the object key, found end of input (the object is not closed)",
            "",
        );
        check(
            "{\"a\":",
            "expected a JSON value after ':', found end of input",
            "",
        );
        check("{", "expected a string key or '}', found end of input", "");
        check("é", "expected a JSON value, found 'é'", "é");
        check("}", "expected a JSON value, found '}'", "}");
    }

    #[test]
    fn error_positions_on_multiline_input() {
        let src = "{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": [\r\n    {\"Effect\": \"Allow\" \"Action\": \"*\"}\r\n  ]\r\n}\r\n";
        let (e, at) = fail(src);
        assert!(e
            .message
            .starts_with("expected ',' or '}' after an object member"));
        assert_eq!(at, (4, 24));
        let src = "[\n  \"é\", \"日本\", 01\n]";
        let (e, at) = fail(src);
        assert!(e.message.contains("leading zeros"));
        assert_eq!(at, (2, 14));
        let src = "\u{FEFF}{\n\t\"a\":\t.5}";
        let (e, at) = fail(src);
        assert!(e.message.contains("found '.'"));
        assert_eq!(at, (2, 7));
    }

    #[test]
    fn bom_is_skipped() {
        let src = "\u{FEFF}{\"a\": 1}";
        let v = ok(src);
        assert_eq!(v.span, Span::new(3, src.len()));
        assert_eq!(LineIndex::new(src).line_col(src, v.span.start), (1, 1));
        // Only at the very start.
        check(" \u{FEFF}1", "found U+FEFF", "\u{FEFF}");
    }

    #[test]
    fn round_trips() {
        let docs = [
            "null",
            "true",
            " false ",
            "0",
            "-0.5e-3",
            "123456789012345678",
            "18446744073709551615",
            "-9223372036854775808",
            "1e300",
            "\"\"",
            r#""esc \" \\ \/ \b \f \n \r \t \u0000 \u00e9 \u20AC \uD83D\uDE00 \ud834\udd1e""#,
            "\"raw é 日本 😀 \u{7f}\"",
            "[]",
            "{}",
            "[[], {}, [[[]]], {\"\": {\"\": []}}]",
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow",
                "Action": ["ec2:StartInstances", "ec2:Stop*"], "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"},
                "NumericLessThan": {"n": 3.25}, "Bool": {"aws:SecureTransport": true}, "Null": {"x": null}}}]}"#,
        ];
        for doc in docs {
            let ours = ok(doc).to_value();
            let theirs: serde_json::Value = serde_json::from_str(doc).unwrap();
            assert_eq!(ours, theirs, "{doc}");
        }
        let v = ok(r#""\uD83D\uDE00\u00e9\u0041\/""#);
        assert_eq!(v.as_str(), Some("😀éA/"));
        assert_eq!(v.to_value(), serde_json::json!("😀éA/"));
        assert!(ok("1").to_value().is_i64());
        assert!(ok("18446744073709551615").to_value().is_u64());
        assert!(ok("1.0").to_value().is_f64());
        assert!(ok("1e2").to_value().is_f64());
        assert!(ok("100000000000000000000000").to_value().is_f64());
    }

    #[test]
    fn spans_of_nested_values_and_keys() {
        let src = "{\n  \"a\": [1, {\"b\\n\": \"x\"}],\n  \"c\" :\ttrue }";
        let v = ok(src);
        assert_eq!(v.span, Span::new(0, src.len()));
        assert_eq!(v.kind_name(), "object");
        let members = v.as_object().unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].key, "a");
        assert_eq!(&src[members[0].key_span.range()], "\"a\"");
        let a = &members[0].value;
        assert_eq!(&src[a.span.range()], "[1, {\"b\\n\": \"x\"}]");
        assert_eq!(a.kind_name(), "array");
        let items = a.as_array().unwrap();
        assert_eq!(&src[items[0].span.range()], "1");
        assert_eq!(items[0].kind_name(), "number");
        assert_eq!(&src[items[1].span.range()], "{\"b\\n\": \"x\"}");
        let inner = items[1].as_object().unwrap();
        assert_eq!(inner[0].key, "b\n");
        assert_eq!(&src[inner[0].key_span.range()], "\"b\\n\"");
        let x = items[1].get("b\n").unwrap();
        assert_eq!(&src[x.span.range()], "\"x\"");
        assert_eq!(x.kind_name(), "string");
        assert_eq!(x.as_str(), Some("x"));
        let c = v.get("c").unwrap();
        assert_eq!(&src[c.span.range()], "true");
        assert_eq!(c.kind_name(), "boolean");
        assert_eq!(c.as_bool(), Some(true));
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, members[1].key_span.start), (3, 3));
        assert_eq!(idx.line_col(src, c.span.start), (3, 9));
        assert_eq!(idx.line_col(src, x.span.start), (2, 20));
        // Accessors on the wrong kinds.
        assert_eq!(v.get("missing"), None);
        assert_eq!(c.get("c"), None);
        assert_eq!(c.as_str(), None);
        assert_eq!(c.as_array(), None);
        assert_eq!(c.as_object(), None);
        assert_eq!(c.as_number(), None);
        assert_eq!(ok("null").kind_name(), "null");
        assert_eq!(ok("null").as_bool(), None);
        // Member order is kept.
        let keys: Vec<String> = ok(r#"{"z":1,"a":2,"m":3}"#)
            .as_object()
            .unwrap()
            .iter()
            .map(|m| m.key.clone())
            .collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn line_index() {
        let src = "ab\r\ncd\n\néf\rg日本h";
        let idx = LineIndex::new(src);
        let at = |needle: &str| idx.line_col(src, src.find(needle).unwrap() as u32);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        assert_eq!(at("b"), (1, 2));
        assert_eq!(at("\r"), (1, 3));
        assert_eq!(at("\n"), (1, 4));
        assert_eq!(at("c"), (2, 1));
        assert_eq!(at("\n\n"), (2, 3));
        assert_eq!(at("é"), (4, 1));
        assert_eq!(at("f"), (4, 2));
        assert_eq!(at("g"), (5, 1));
        assert_eq!(at("本"), (5, 3));
        assert_eq!(at("h"), (5, 4));
        // Inside a multi-byte character: that character's column.
        assert_eq!(
            idx.line_col(src, src.find("本").unwrap() as u32 + 1),
            (5, 3)
        );
        // End of text and beyond.
        assert_eq!(idx.line_col(src, src.len() as u32), (5, 5));
        assert_eq!(idx.line_col(src, u32::MAX), (5, 5));
        // Tabs count one column.
        let src = "\t\tx";
        assert_eq!(LineIndex::new(src).line_col(src, 2), (1, 3));
        assert_eq!(LineIndex::new("").line_col("", 0), (1, 1));
        let src = "a\n";
        assert_eq!(LineIndex::new(src).line_col(src, 2), (2, 1));
    }

    #[test]
    fn error_display_and_span() {
        let (e, _) = fail("[1,]");
        assert_eq!(e.to_string(), e.message);
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().contains("trailing commas"));
        assert_eq!(
            Span::new(usize::MAX, 5),
            Span {
                start: u32::MAX,
                end: 5
            }
        );
        assert_eq!(Span::default().range(), 0..0);
    }

    const FUZZ_DOC: &str = r#"{
  "Version": "2012-10-17",
  "Id": "pol-1 \u00e9\uD83D\uDE00 \"q\" \\ \/ \t",
  "Statement": [
    {
      "Sid": "OwnerCanStart",
      "Effect": "Allow",
      "Action": ["ec2:StartInstances", "ec2:StopInstances", "ec2:Describe*"],
      "Resource": "arn:aws:ec2:us-east-1:111122223333:instance/*",
      "Condition": {
        "StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"},
        "ForAllValues:StringLike": {"aws:TagKeys": ["env*", "owner"]},
        "NumericLessThanEquals": {"s3:max-keys": 10, "x": -0.5e-3, "y": 1E+2, "z": 0},
        "Bool": {"aws:MultiFactorAuthPresent": true, "b": false},
        "Null": {"aws:TokenIssueTime": null},
        "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}
      }
    },
    {"Effect": "Deny", "NotAction": "iam:*", "Resource": [], "Condition": {}},
    [[[[1, [2, [3]]]]], {"日本": "語", "": ""}]
  ]
}"#;

    #[test]
    fn every_prefix_is_handled() {
        let full = ok(FUZZ_DOC);
        assert_eq!(
            full.to_value(),
            serde_json::from_str::<serde_json::Value>(FUZZ_DOC).unwrap()
        );
        let idx = LineIndex::new(FUZZ_DOC);
        for (end, _) in FUZZ_DOC.char_indices().chain([(FUZZ_DOC.len(), ' ')]) {
            let prefix = &FUZZ_DOC[..end];
            let ours = parse(prefix);
            let theirs = serde_json::from_str::<serde_json::Value>(prefix);
            assert_eq!(ours.is_ok(), theirs.is_ok(), "prefix {prefix:?}: {ours:?}");
            match ours {
                Ok(v) => assert_eq!(v.to_value(), theirs.unwrap()),
                Err(e) => {
                    assert!(
                        e.span.start <= e.span.end && e.span.end as usize <= prefix.len(),
                        "{e:?}"
                    );
                    assert!(prefix.is_char_boundary(e.span.start as usize));
                    assert!(prefix.is_char_boundary(e.span.end as usize));
                    assert!(!e.message.is_empty());
                    let _ = idx.line_col(prefix, e.span.start);
                }
            }
        }
    }

    #[test]
    fn every_single_byte_mutation_is_handled() {
        let replacements = [
            "", "\"", "\\", "{", "}", "[", "]", ",", ":", "0", "-", ".", "e", "u", "/", "'", "\n",
            "\u{0}", "é", "\u{FEFF}",
        ];
        let mut checked = 0;
        for (at, c) in FUZZ_DOC.char_indices() {
            for r in replacements {
                let mut doc = String::with_capacity(FUZZ_DOC.len() + 4);
                doc.push_str(&FUZZ_DOC[..at]);
                doc.push_str(r);
                doc.push_str(&FUZZ_DOC[at + c.len_utf8()..]);
                match parse(&doc) {
                    Ok(v) => {
                        let theirs: serde_json::Value = serde_json::from_str(&doc)
                            .unwrap_or_else(|e| panic!("{doc:?}: we accept, serde_json says {e}"));
                        assert_eq!(v.to_value(), theirs);
                    }
                    Err(e) => {
                        assert!(
                            e.span.start <= e.span.end && e.span.end as usize <= doc.len(),
                            "{e:?}"
                        );
                        assert!(doc.is_char_boundary(e.span.start as usize), "{doc:?} {e:?}");
                        assert!(doc.is_char_boundary(e.span.end as usize), "{doc:?} {e:?}");
                        // Anything we reject that serde_json accepts must be a duplicate key.
                        if serde_json::from_str::<serde_json::Value>(&doc).is_ok() {
                            assert!(e.message.starts_with("duplicate key"), "{doc:?} {e:?}");
                        }
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 10_000);
    }
}
