//! The small vocabulary shared by the random JSON Logic rules (`build/random_logic.rs`) and the
//! random data of `tests/logic_agreement.rs`: rules read paths made of these keys, and the data
//! are objects with these keys, so that `var`, `missing` and the iterators find things.
// Each side uses only part of the vocabulary.
#![allow(dead_code)]

/// Object keys that rule paths are made of. `list` is usually an array in the data, `s` a string,
/// `n` a number and `obj` an object; the others hold anything.
pub const KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "n",
    "s",
    "list",
    "obj",
    "0",
    "1",
    "current",
    "accumulator",
    "length",
];

/// Further object keys of the data only: a key with a dot (never reached by a path, which is
/// split at dots) and the empty key (reached by paths such as `"a."`).
pub const DATA_ONLY_KEYS: &[&str] = &["a.b", ""];

/// Path segments after the first: keys, array indexes (canonical and not) and `length`.
pub const SEGMENTS: &[&str] = &[
    "a", "b", "n", "s", "list", "obj", "0", "1", "2", "3", "length", "01", "-1",
];

/// String constants, in rules and data: empty, numeric-looking, paths, dots, non-ASCII.
pub const STRINGS: &[&str] = &[
    "",
    "a",
    "b",
    "abc",
    "0",
    "1",
    "2",
    "10",
    "-1",
    "1.5",
    " 3 ",
    "1e3",
    "0x1F",
    "Infinity",
    "-0",
    "a.b",
    "list.0",
    "obj.a",
    "list",
    "s",
    ".",
    "a.",
    "true",
    "null",
    "é",
    "x😀y",
    "[object Object]",
    "1,2",
];

/// Number constants, as JSON text: zero and negative zero, fractions, large and tiny.
pub const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "2",
    "3",
    "-1",
    "0.5",
    "-2.5",
    "10",
    "0.1",
    "1e21",
    "1.5e-7",
    "9007199254740993",
    "1e308",
    "-1e308",
    "123.456",
    "7",
    "-7",
    "100",
];
