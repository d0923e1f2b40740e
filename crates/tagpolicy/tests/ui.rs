//! Compile-fail tests of `policy!`: every malformed policy or macro call gives positioned,
//! helpful errors and nothing else (no cascade from the stub). The `.stderr` snapshots follow the
//! compiler's wording: re-bless them with `TRYBUILD=overwrite cargo test -p tagpolicy --test ui`
//! when the toolchain changes, and read the diff.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
