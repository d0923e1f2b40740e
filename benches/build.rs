//! Writes the generated `scale_N` policy sets into `OUT_DIR` as IAM JSON and compiles them there
//! with `tagpolicy::build::Config`: `pub static SCALE_N` in `OUT_DIR/scale_N.rs`. The seed
//! workloads use `policy!` in `src/seeds.rs` instead.
//!
//! How long the code generation of each set took is written to `OUT_DIR/scale_codegen.txt`
//! (`N seconds` lines), for the results table.

#[path = "src/scale.rs"]
#[allow(dead_code)]
mod scale;

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    println!("cargo:rerun-if-changed=src/scale.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    let mut timings = String::new();
    for n in scale::SIZES {
        let path = out.join(format!("scale_{n}.json"));
        let json = scale::to_iam_json(&scale::generate(n));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(json.as_str()) {
            std::fs::write(&path, json).expect("write a generated policy set");
        }
        let started = Instant::now();
        tagpolicy::build::Config::new()
            .out_dir(&out)
            .out_file(format!("scale_{n}.rs"))
            .compile_files(&[&path])
            .unwrap_or_else(|e| panic!("{e}"));
        timings.push_str(&format!("{n} {:.3}\n", started.elapsed().as_secs_f64()));
    }
    std::fs::write(out.join("scale_codegen.txt"), timings).expect("write codegen timings");
}
