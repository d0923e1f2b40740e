//! Every case file under `conformance/cases/`, on the run-time path.

use conformance::{case_files, run_file};
use tagpolicy_compiler::cases::Outcome;

#[test]
fn every_case_file_passes_on_the_runtime_path() {
    let files = case_files();
    assert!(!files.is_empty(), "no case files under conformance/cases");
    let mut failures = Vec::new();
    let mut passed = 0usize;
    for path in &files {
        let results = run_file(path);
        assert!(!results.is_empty(), "{} holds no cases", path.display());
        for r in results {
            match r.outcome {
                Outcome::Passed => passed += 1,
                other => failures.push(format!(
                    "{}:{}: {}: {other:?}",
                    path.display(),
                    r.line,
                    r.name
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed ({passed} passed):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 566 IAM cases, 656 JSON Logic cases and 84 permission cases: fewer means files went missing.
    assert!(passed >= 566 + 656 + 84, "only {passed} cases ran");
}
