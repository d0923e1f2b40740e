//! Compiles every policy under `policies/` into `$OUT_DIR/policies.rs`: one `static` per file.

fn main() {
    if let Err(e) = tagpolicy::build::compile_dir("policies") {
        // Cargo shows this; every diagnostic names file:line:col.
        panic!("{e}");
    }
}
