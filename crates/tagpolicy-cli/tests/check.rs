//! The `tagpolicy` binary, run on files written into a temporary folder.
//!
//! `check`: one test per kind of malformed input, each asserting exit code 1 and an
//! `<path>:<line>:<col>: error:` line at the exact position of the offending JSON, with its
//! message. Then `eval` (the README's quick start, `--json`, bad request files, bad `--at`) and
//! `test` (passing and failing case files, the conformance suite).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tagpolicy");

/// A fresh folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "tagpolicy-cli-test-{}-{n}-{label}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run of the binary produced.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in<S: AsRef<std::ffi::OsStr>>(dir: Option<&Path>, args: &[S]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.output().expect("run tagpolicy");
    Run {
        code: out
            .status
            .code()
            .expect("exit code (not killed by a signal)"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    run_in(None, args)
}

/// The workspace root (for examples/ and conformance/).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The stderr line that starts with `<path>:<line>:<col>: error: `; asserts it exists and
/// contains `message`. Returns the line and the `help:` line after it, if any.
fn error_at(
    run: &Run,
    path: &Path,
    line: u32,
    col: u32,
    message: &str,
) -> (String, Option<String>) {
    diagnostic_at(run, path, line, col, "error", message)
}

fn diagnostic_at(
    run: &Run,
    path: &Path,
    line: u32,
    col: u32,
    severity: &str,
    message: &str,
) -> (String, Option<String>) {
    let prefix = format!("{}:{line}:{col}: {severity}: ", path.display());
    let lines: Vec<&str> = run.stderr.lines().collect();
    let Some(i) = lines.iter().position(|l| l.starts_with(&prefix)) else {
        panic!(
            "no line starting with {prefix:?} in stderr:\n{}",
            run.stderr
        );
    };
    let found = lines[i];
    assert!(
        found.contains(message),
        "{found:?} does not contain {message:?}"
    );
    let help = lines
        .get(i + 1)
        .and_then(|l| l.strip_prefix("  help: "))
        .map(str::to_string);
    (found.to_string(), help)
}

/// A failed `check` of one file.
struct Failed {
    run: Run,
    path: PathBuf,
    /// The help of the expected error.
    help: Option<String>,
}

/// Writes `text` as `name` and runs `tagpolicy check` on it: exit code 1, an error at
/// `line:col` with `message`.
fn check_fails(name: &str, text: impl AsRef<[u8]>, line: u32, col: u32, message: &str) -> Failed {
    let dir = TempDir::new(name);
    let path = dir.write(&format!("{name}.json"), text);
    let r = run(&[Path::new("check"), &path]);
    assert_eq!(r.code, 1, "exit code; stderr:\n{}", r.stderr);
    let (_, help) = error_at(&r, &path, line, col, message);
    assert!(
        r.stdout.starts_with("checked 1 file: "),
        "summary line: {:?}",
        r.stdout
    );
    Failed { run: r, path, help }
}

/// A policy with one statement whose lines are `body`:
///
/// ```text
/// 1 {
/// 2   "Version": "2012-10-17",
/// 3   "Statement": [
/// 4     {
/// 5       <body[0]>        (body lines are indented by 6 spaces: text starts in column 7)
/// ```
fn statement(body: &[&str]) -> String {
    let mut text = String::from("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n");
    for line in body {
        text.push_str("      ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("    }\n  ]\n}\n");
    text
}

/// A policy allowing `x:Y` on `*` with one condition line, written on line 9 from column 9:
/// `"Condition": {` is line 8, and `condition` is its only content.
fn with_condition(condition: &str) -> String {
    let line = format!("  {condition}");
    statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "x:Y","#,
        r#""Resource": "*","#,
        r#""Condition": {"#,
        &line,
        "}",
    ])
}

// =============================================================================================
// check: malformed JSON
// =============================================================================================

#[test]
fn check_missing_comma() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject""#,
        r#""Resource": "*""#,
    ]);
    // The first token that cannot follow: the key on the next line.
    check_fails(
        "missing-comma",
        text,
        7,
        7,
        "expected ',' or '}' after an object member",
    );
}

#[test]
fn check_duplicate_key_points_at_the_second_occurrence() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*","#,
        r#""Effect": "Deny""#,
    ]);
    let Failed { help, .. } = check_fails("duplicate-key", text, 8, 7, "duplicate key \"Effect\"");
    assert_eq!(help.as_deref(), Some("see line 5, column 7"));
}

#[test]
fn check_empty_file() {
    check_fails("empty", "", 1, 1, "empty input");
}

#[test]
fn check_whitespace_only_file() {
    check_fails("whitespace", "  \n\t\n ", 1, 1, "empty input");
}

#[test]
fn check_nesting_deeper_than_the_bound() {
    let text = format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Id\": {}{},\n  \"Statement\": {{ \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\" }}\n}}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    // The policy object is level 1, so the 128th `[` (column 9 + 127) is level 129.
    check_fails("deep", text, 3, 136, "nesting deeper than 128 levels");
}

#[test]
fn check_a_megabyte_of_open_brackets_fails_fast() {
    let start = Instant::now();
    check_fails(
        "brackets",
        "[".repeat(1 << 20),
        1,
        129,
        "nesting deeper than 128 levels",
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

// =============================================================================================
// check: policy structure
// =============================================================================================

#[test]
fn check_unknown_statement_element_suggests_the_element() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Actoin": "s3:GetObject","#,
        r#""Resource": "*""#,
    ]);
    let f = check_fails("actoin", text, 6, 7, "unknown statement element `Actoin`");
    assert_eq!(f.help.as_deref(), Some("did you mean `Action`?"));
    // The statement then has no action at all: reported too, at the statement.
    error_at(
        &f.run,
        &f.path,
        4,
        5,
        "statement has neither `Action` nor `NotAction`",
    );
    assert_eq!(f.run.stdout, "checked 1 file: 2 errors, 0 warnings\n");
}

#[test]
fn check_unknown_policy_element() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statment\": [],\n  \"Statement\": { \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\" }\n}\n";
    let Failed { help, .. } = check_fails(
        "policy-element",
        text,
        3,
        3,
        "unknown policy element `Statment`",
    );
    assert_eq!(help.as_deref(), Some("did you mean `Statement`?"));

    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": { \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\" },\n  \"Owner\": \"me\"\n}\n";
    let Failed { help, .. } = check_fails(
        "policy-element-2",
        text,
        4,
        3,
        "unknown policy element `Owner`",
    );
    assert!(help.is_some_and(|h| h.contains("Version, Id, Statement")));
}

#[test]
fn check_effect_other_than_allow_or_deny() {
    let text = statement(&[
        r#""Effect": "allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*""#,
    ]);
    let Failed { help, .. } = check_fails(
        "effect",
        text,
        5,
        17,
        r#"`Effect` must be "Allow" or "Deny", found "allow""#,
    );
    assert!(help.is_some_and(|h| h.contains("case-sensitive")));
}

#[test]
fn check_action_together_with_not_action() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""NotAction": "s3:PutObject","#,
        r#""Resource": "*""#,
    ]);
    check_fails(
        "action-notaction",
        text,
        7,
        7,
        "statement has both `Action` and `NotAction`",
    );
}

#[test]
fn check_statement_without_action() {
    let text = statement(&[r#""Effect": "Allow","#, r#""Resource": "*""#]);
    let Failed { help, .. } = check_fails(
        "no-action",
        text,
        4,
        5,
        "statement has neither `Action` nor `NotAction`",
    );
    assert!(help.is_some_and(|h| h.contains("\"Action\"")));
}

#[test]
fn check_statement_without_resource() {
    let text = statement(&[r#""Effect": "Allow","#, r#""Action": "s3:GetObject""#]);
    check_fails(
        "no-resource",
        text,
        4,
        5,
        "statement has neither `Resource` nor `NotResource`",
    );
}

#[test]
fn check_statement_that_is_not_an_object() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\"Allow\"]\n}\n";
    check_fails(
        "statement-string",
        text,
        3,
        17,
        "a statement must be an object, found the string \"Allow\"",
    );
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": 42\n}\n";
    check_fails(
        "statement-number",
        text,
        3,
        16,
        "`Statement` must be an object or a list of objects, found a number",
    );
}

#[test]
fn check_unknown_version() {
    let text = "{\n  \"Version\": \"2020-01-01\",\n  \"Statement\": { \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\" }\n}\n";
    let Failed { help, .. } = check_fails(
        "version",
        text,
        2,
        14,
        "unknown policy `Version` \"2020-01-01\"",
    );
    assert!(help.is_some_and(|h| h.contains("2012-10-17")));
}

#[test]
fn check_empty_action_list() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": [],"#,
        r#""Resource": "*""#,
    ]);
    check_fails("empty-actions", text, 6, 17, "`Action` is an empty list");
}

#[test]
fn check_action_with_whitespace() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3 GetObject","#,
        r#""Resource": "*""#,
    ]);
    check_fails(
        "action-space",
        text,
        6,
        17,
        "action \"s3 GetObject\" contains whitespace",
    );
}

#[test]
fn check_action_without_action_name() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": ["s3:GetObject", "s3:"],"#,
        r#""Resource": "*""#,
    ]);
    check_fails(
        "action-no-name",
        text,
        6,
        34,
        "action \"s3:\" is not of the form `service:Action`",
    );
}

#[test]
fn check_sid_that_is_not_a_string() {
    let text = statement(&[
        r#""Sid": 42,"#,
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "*""#,
    ]);
    check_fails("sid", text, 5, 14, "`Sid` must be a string, found a number");
}

#[test]
fn check_unterminated_variable_in_resource() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "s3:GetObject","#,
        r#""Resource": "arn:aws:s3:::home/${aws:username/*""#,
    ]);
    let Failed { help, .. } = check_fails(
        "unterminated-var",
        text,
        7,
        19,
        "unterminated policy variable in \"arn:aws:s3:::home/${aws:username/*\"",
    );
    assert!(help.is_some_and(|h| h.contains("${$}")));
}

#[test]
fn check_columns_count_characters_and_lines_end_with_crlf_or_cr() {
    // Multi-byte characters before the error count one column each (é, —, 😀: 2, 3, 4 bytes).
    let text = "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": {\"Sid\": \"é—😀\", \"Effect\": \"Deny \", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}}";
    check_fails("multibyte", text, 3, 40, r#"found "Deny ""#);
    // CRLF line ends.
    let text = "{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": {\r\n    \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Sid\": 1\r\n  }\r\n}\r\n";
    check_fails("crlf", text, 4, 74, "`Sid` must be a string");
    // A lone CR ends a line too.
    let text = "{\"Version\": \"2012-10-17\",\r\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Sid\": 1}}";
    check_fails("cr", text, 2, 84, "`Sid` must be a string");
    // A byte order mark is not a column.
    let text = "\u{FEFF}{\"Version\": \"2020-01-01\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}}";
    check_fails("bom", text, 1, 13, "unknown policy `Version`");
}

// =============================================================================================
// check: conditions
// =============================================================================================

#[test]
fn check_unknown_condition_operator_typo() {
    check_fails(
        "op-typo",
        with_condition(r#""StringEqualz": { "aws:username": "a" }"#),
        9,
        9,
        "unknown condition operator `StringEqualz` (did you mean `StringEquals`?)",
    );
}

#[test]
fn check_unknown_condition_operator_lower_case() {
    check_fails(
        "op-lower",
        with_condition(r#""stringequals": { "aws:username": "a" }"#),
        9,
        9,
        "unknown condition operator `stringequals` (did you mean `StringEquals`?)",
    );
}

#[test]
fn check_unknown_condition_operator_suggests_the_negated_operator() {
    check_fails(
        "op-not-ip",
        with_condition(r#""NotIPAddress": { "aws:SourceIp": "10.0.0.0/8" }"#),
        9,
        9,
        "unknown condition operator `NotIPAddress` (did you mean `NotIpAddress`?)",
    );
}

#[test]
fn check_unknown_condition_operator_suggestion_keeps_the_qualifier() {
    check_fails(
        "op-qualifier",
        with_condition(r#""forallvalues:StringEquals": { "aws:TagKeys": "a" }"#),
        9,
        9,
        "(did you mean `ForAllValues:StringEquals`?)",
    );
}

#[test]
fn check_null_if_exists() {
    check_fails(
        "null-if-exists",
        with_condition(r#""NullIfExists": { "aws:TokenIssueTime": "true" }"#),
        9,
        9,
        "`Null` has no `IfExists` form",
    );
}

#[test]
fn check_numeric_operator_with_a_non_number() {
    let Failed { help, .. } = check_fails(
        "numeric",
        with_condition(r#""NumericLessThan": { "s3:max-keys": "ten" }"#),
        9,
        45,
        "\"ten\" is not a number, as `NumericLessThan` requires",
    );
    assert!(help.is_some());
}

#[test]
fn check_date_operator_with_a_non_date() {
    check_fails(
        "date",
        with_condition(r#""DateGreaterThan": { "aws:CurrentTime": "yesterday" }"#),
        9,
        49,
        "\"yesterday\" is not a date, as `DateGreaterThan` requires",
    );
}

#[test]
fn check_ip_address_with_a_prefix_too_long() {
    check_fails(
        "cidr-33",
        with_condition(r#""IpAddress": { "aws:SourceIp": "10.0.0.0/33" }"#),
        9,
        40,
        "\"10.0.0.0/33\" is not an IP address or CIDR block, as `IpAddress` requires",
    );
}

#[test]
fn check_ip_address_that_is_not_an_address() {
    check_fails(
        "not-an-ip",
        with_condition(r#""IpAddress": { "aws:SourceIp": ["10.0.0.0/8", "not-an-ip"] }"#),
        9,
        55,
        "\"not-an-ip\" is not an IP address or CIDR block",
    );
}

#[test]
fn check_bool_with_yes() {
    check_fails(
        "bool-yes",
        with_condition(r#""Bool": { "aws:SecureTransport": "yes" }"#),
        9,
        42,
        "\"yes\" is not a boolean, as `Bool` requires",
    );
}

#[test]
fn check_variable_default_without_quotes() {
    let Failed { help, .. } = check_fails(
        "bad-default",
        with_condition(
            r#""StringEquals": { "aws:ResourceTag/team": "${aws:PrincipalTag/team, none}" }"#,
        ),
        9,
        51,
        "bad default value in policy variable `${aws:PrincipalTag/team, none}`",
    );
    assert!(help.is_some_and(|h| h.contains("single quotes")));
}

#[test]
fn check_condition_value_that_is_an_object() {
    check_fails(
        "value-object",
        with_condition(r#""StringEquals": { "aws:username": { "a": "b" } }"#),
        9,
        43,
        "a value of `StringEquals` must be a string, number or boolean, found an object",
    );
}

// =============================================================================================
// check: several errors, warnings, files
// =============================================================================================

#[test]
fn check_reports_every_error_of_a_file() {
    let text = r#"{
  "Version": "2012-10-17",
  "Statment": [],
  "Statement": [
    { "Effect": "allow", "Action": "s3:GetObject", "Resource": "*" },
    { "Effect": "Allow", "Action": "s3 GetObject", "Resource": "*",
      "Condition": { "IpAddress": { "aws:SourceIp": "10.0.0.0/33" } } }
  ]
}
"#;
    let dir = TempDir::new("several-errors");
    let path = dir.write("several.json", text);
    let r = run(&[Path::new("check"), &path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    error_at(&r, &path, 3, 3, "unknown policy element `Statment`");
    error_at(&r, &path, 5, 17, "`Effect` must be \"Allow\" or \"Deny\"");
    error_at(&r, &path, 6, 36, "contains whitespace");
    error_at(&r, &path, 7, 53, "\"10.0.0.0/33\" is not an IP address");
    assert_eq!(r.stdout, "checked 1 file: 4 errors, 0 warnings\n");
}

#[test]
fn check_warnings_do_not_fail() {
    let text = statement(&[
        r#""Effect": "Allow","#,
        r#""Action": "*","#,
        r#""Resource": "*""#,
    ]);
    let dir = TempDir::new("warnings");
    let path = dir.write("admin.json", text);
    let r = run(&[Path::new("check"), &path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    diagnostic_at(
        &r,
        &path,
        6,
        7,
        "warning",
        "this statement allows every action on every resource",
    );
    assert!(!r.stderr.contains(": error:"), "{}", r.stderr);
    assert_eq!(r.stdout, "checked 1 file: 0 errors, 1 warning\n");
}

#[test]
fn check_a_missing_file() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("no-such-policy.json");
    let r = run(&[Path::new("check"), &path]);
    assert_eq!(r.code, 1);
    let expected = format!("{}: error: cannot read", path.display());
    assert!(r.stderr.contains(&expected), "{}", r.stderr);
    assert!(
        r.stderr.to_lowercase().contains("no such file"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "checked 1 file: 1 error, 0 warnings\n");
}

#[test]
fn check_several_files_at_once() {
    let dir = TempDir::new("several-files");
    let good = dir.write(
        "good.json",
        statement(&[
            r#""Effect": "Allow","#,
            r#""Action": "s3:GetObject","#,
            r#""Resource": "*""#,
        ]),
    );
    let warn = dir.write(
        "warn.json",
        statement(&[
            r#""Effect": "Deny","#,
            r#""NotAction": "*","#,
            r#""Resource": "*""#,
        ]),
    );
    let bad = dir.write(
        "bad.json",
        statement(&[
            r#""Effect": "Allow","#,
            r#""Action": "s3:GetObject","#,
            r#""Resource": "*","#,
            r#""Condition": { "Bool": { "aws:SecureTransport": "yes" } }"#,
        ]),
    );
    let missing = dir.0.join("missing.json");

    let r = run(&[Path::new("check"), &good, &warn, &bad]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    diagnostic_at(
        &r,
        &warn,
        6,
        7,
        "warning",
        "`NotAction: \"*\"` excludes every action",
    );
    error_at(&r, &bad, 8, 55, "\"yes\" is not a boolean");
    assert!(
        !r.stderr.contains(&good.display().to_string()),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "checked 3 files: 1 error, 1 warning\n");

    // The good files alone pass; a missing file among them fails the run.
    let r = run(&[Path::new("check"), &good, &warn]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "checked 2 files: 0 errors, 1 warning\n");
    let r = run(&[Path::new("check"), &good, &missing]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("missing.json: error: cannot read"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_the_example_policies_are_clean() {
    let r = run_in(
        Some(&workspace()),
        &[
            "check",
            "examples/policies/ec2-owner.json",
            "examples/policies/guardrails.json",
            "examples/policies/team-queues.json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout, "checked 3 files: 0 errors, 0 warnings\n");
}

// =============================================================================================
// eval
// =============================================================================================

const EXAMPLE_POLICIES: [&str; 3] = [
    "examples/policies/ec2-owner.json",
    "examples/policies/guardrails.json",
    "examples/policies/team-queues.json",
];

fn eval_examples(extra: &[&str]) -> Run {
    let mut args = vec!["eval", "--policy"];
    args.extend(EXAMPLE_POLICIES);
    args.extend(["--request", "examples/requests.json"]);
    args.extend(extra);
    run_in(Some(&workspace()), &args)
}

#[test]
fn eval_quick_start_prints_the_eight_decisions() {
    let r = eval_examples(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let expected = [
        r#"Allow ec2:StartInstances on arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c: allowed by examples/policies/ec2-owner.json statement 0 (Sid "StartStopOwnInstances")"#,
        r#"Deny  ec2:StartInstances on arn:aws:ec2:eu-west-1:111122223333:instance/i-0d4e5f: implicitly denied: no statement applies"#,
        r#"Deny  ec2:StopInstances on arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c: explicitly denied by examples/policies/guardrails.json statement 0 (Sid "ProductionNeedsSre")"#,
        r#"Allow ec2:StopInstances on arn:aws:ec2:eu-west-1:111122223333:instance/i-0c9d8e: allowed by examples/policies/ec2-owner.json statement 0 (Sid "StartStopOwnInstances")"#,
        r#"Deny  ec2:CreateTags on arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c: implicitly denied: no statement applies"#,
        r#"Allow sqs:SendMessage on arn:aws:sqs:eu-west-1:111122223333:payments-orders: allowed by examples/policies/team-queues.json statement 0 (Sid "OwnTeamQueues")"#,
        r#"Deny  sqs:SendMessage on arn:aws:sqs:eu-west-1:111122223333:payments-orders: explicitly denied by examples/policies/guardrails.json statement 1 (Sid "OfficeNetworkOnly")"#,
        r#"Allow ec2:DescribeInstances on *: allowed by examples/policies/ec2-owner.json statement 1 (Sid "DescribeEverything")"#,
    ];
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines, expected);
}

#[test]
fn eval_json_prints_one_json_object_per_request() {
    let r = eval_examples(&["--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let values: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(values.len(), 8);
    // (decision, deciding statement as (file, index, Sid), explicit deny)
    type Expected<'a> = (&'a str, Option<(&'a str, u64, &'a str)>, bool);
    let expected: [Expected<'_>; 8] = [
        (
            "Allow",
            Some((
                "examples/policies/ec2-owner.json",
                0,
                "StartStopOwnInstances",
            )),
            false,
        ),
        ("Deny", None, false),
        (
            "Deny",
            Some(("examples/policies/guardrails.json", 0, "ProductionNeedsSre")),
            true,
        ),
        (
            "Allow",
            Some((
                "examples/policies/ec2-owner.json",
                0,
                "StartStopOwnInstances",
            )),
            false,
        ),
        ("Deny", None, false),
        (
            "Allow",
            Some(("examples/policies/team-queues.json", 0, "OwnTeamQueues")),
            false,
        ),
        (
            "Deny",
            Some(("examples/policies/guardrails.json", 1, "OfficeNetworkOnly")),
            true,
        ),
        (
            "Allow",
            Some(("examples/policies/ec2-owner.json", 1, "DescribeEverything")),
            false,
        ),
    ];
    let policy_index =
        |file: &str| EXAMPLE_POLICIES.iter().position(|p| *p == file).unwrap() as u64;
    for (i, (v, (decision, statement, explicit))) in values.iter().zip(expected).enumerate() {
        assert_eq!(v["decision"], decision, "request {i}: {v}");
        assert_eq!(v["explicit_deny"], explicit, "request {i}: {v}");
        assert!(v["action"].is_string() && v["resource"].is_string(), "{v}");
        match statement {
            None => assert!(v["statement"].is_null(), "request {i}: {v}"),
            Some((file, index, sid)) => {
                assert_eq!(v["statement"]["file"], file, "request {i}: {v}");
                assert_eq!(
                    v["statement"]["policy"],
                    policy_index(file),
                    "request {i}: {v}"
                );
                assert_eq!(v["statement"]["statement"], index, "request {i}: {v}");
                assert_eq!(v["statement"]["sid"], sid, "request {i}: {v}");
            }
        }
    }
    assert_eq!(values[0]["action"], "ec2:StartInstances");
    assert_eq!(values[7]["resource"], "*");
}

#[test]
fn eval_rejects_a_request_with_an_unknown_field() {
    let dir = TempDir::new("eval-unknown-field");
    let policy = dir.write(
        "p.json",
        statement(&[
            r#""Effect": "Allow","#,
            r#""Action": "x:Y","#,
            r#""Resource": "*""#,
        ]),
    );
    let request = dir.write(
        "req.json",
        "[\n  {\n    \"action\": \"x:Y\",\n    \"resource\": \"*\",\n    \"contxt\": {}\n  }\n]\n",
    );
    let r = run(&[
        Path::new("eval"),
        Path::new("--policy"),
        &policy,
        Path::new("--request"),
        &request,
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let (_, help) = error_at(&r, &request, 5, 5, "unknown request field `contxt`");
    assert!(help.is_some_and(|h| h.contains("context")));
    assert_eq!(r.stdout, "", "no decision is printed");
}

#[test]
fn eval_with_a_bad_at_time_exits_2() {
    let r = eval_examples(&["--at", "yesterday"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--at"), "{}", r.stderr);
    assert!(r.stderr.contains("yesterday"), "{}", r.stderr);
    assert!(r.stderr.contains("RFC 3339"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn eval_at_sets_the_evaluation_time() {
    let dir = TempDir::new("eval-at");
    let policy = dir.write(
        "p.json",
        with_condition(r#""DateLessThan": { "aws:CurrentTime": "2030-01-01T00:00:00Z" }"#),
    );
    let request = dir.write(
        "req.json",
        r#"{ "action": "x:Y", "resource": "*", "time": "2035-01-01T00:00:00Z" }"#,
    );
    let args = |at: Option<&str>| {
        let mut a: Vec<String> = vec![
            "eval".into(),
            "--policy".into(),
            policy.display().to_string(),
            "--request".into(),
            request.display().to_string(),
        ];
        if let Some(at) = at {
            a.extend(["--at".into(), at.into()]);
        }
        a
    };
    let r = run(&args(None));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("Deny  x:Y on *: implicitly denied"),
        "{}",
        r.stdout
    );
    let r = run(&args(Some("2026-11-22T10:00:00Z")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("Allow x:Y on *: allowed by "),
        "{}",
        r.stdout
    );
}

// =============================================================================================
// test
// =============================================================================================

const PASSING_CASES: &str = r#"[
  {
    "name": "owner may start",
    "policies": [{ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
                   "Condition": { "StringEquals": { "aws:ResourceTag/Owner": "${aws:username}" } } }] }],
    "request": { "action": "ec2:StartInstances", "resource": "arn:aws:ec2:us-east-1:1:instance/i-1",
                 "context": { "aws:username": "alice", "aws:ResourceTag/owner": "alice" } },
    "expected": "Allow"
  },
  {
    "name": "others may not",
    "policies": [{ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
                   "Condition": { "StringEquals": { "aws:ResourceTag/Owner": "${aws:username}" } } }] }],
    "request": { "action": "ec2:StartInstances", "resource": "arn:aws:ec2:us-east-1:1:instance/i-1",
                 "context": { "aws:username": "bob", "aws:ResourceTag/owner": "alice" } },
    "expected": "Deny"
  }
]
"#;

#[test]
fn test_a_passing_file() {
    let dir = TempDir::new("test-pass");
    let path = dir.write("cases.json", PASSING_CASES);
    let r = run(&[Path::new("test"), &path]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "2 passed, 0 failed\n");
    // `{"cases": [...]}` works too.
    let path = dir.write("wrapped.json", format!("{{\"cases\": {PASSING_CASES}}}"));
    let r = run(&[Path::new("test"), &path]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "2 passed, 0 failed\n");
}

#[test]
fn test_a_wrong_expectation_fails() {
    let text = r#"[
  {
    "name": "admin is denied (wrong)",
    "policies": [{ "Version": "2012-10-17", "Statement": [{ "Sid": "Admin", "Effect": "Allow", "Action": "s3:*", "Resource": "*" }] }],
    "request": { "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k" },
    "expected": "Deny"
  }
]
"#;
    let dir = TempDir::new("test-fail");
    let path = dir.write("wrong.json", text);
    let r = run(&[Path::new("test"), &path]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    let fail = format!("FAIL {}:2: admin is denied (wrong): ", path.display());
    assert!(
        lines[0].starts_with(&fail),
        "{:?} should start with {fail:?}",
        lines[0]
    );
    assert!(lines[0].contains("expected Deny"), "{}", lines[0]);
    assert!(lines[0].contains("got Allow"), "{}", lines[0]);
    assert!(lines[0].contains("Sid \"Admin\""), "{}", lines[0]);
    assert_eq!(lines[1], "0 passed, 1 failed");
}

#[test]
fn test_a_case_with_a_bad_policy_fails_with_its_position() {
    let text = r#"[
  {
    "name": "typo",
    "policies": [{ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Actoin": "s3:*", "Resource": "*" }] }],
    "request": { "action": "s3:GetObject", "resource": "*" },
    "expected": "Allow"
  }
]
"#;
    let dir = TempDir::new("test-bad-policy");
    let path = dir.write("typo.json", text);
    let r = run(&[Path::new("test"), &path]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let fail = format!("FAIL {}:2: typo: ", path.display());
    assert!(r.stdout.starts_with(&fail), "{}", r.stdout);
    let at = format!(
        "{}:4:80: error: unknown statement element `Actoin`",
        path.display()
    );
    assert!(r.stdout.contains(&at), "{}", r.stdout);
    assert!(r.stdout.ends_with("0 passed, 1 failed\n"), "{}", r.stdout);
}

/// A folder stands for every `.json` case file below it, sub-folders included; other files are
/// skipped; a file named beside the folder still runs.
#[test]
fn test_a_folder_runs_every_case_file_below_it() {
    let dir = TempDir::new("test-folder");
    dir.write("a.json", PASSING_CASES);
    std::fs::create_dir_all(dir.0.join("more")).unwrap();
    dir.write("more/b.json", PASSING_CASES);
    dir.write("notes.txt", "not a case file");
    let r = run(&[Path::new("test"), dir.0.as_path()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "4 passed, 0 failed\n");
    let other = TempDir::new("test-folder-file");
    let single = other.write("c.json", PASSING_CASES);
    let r = run(&[Path::new("test"), dir.0.as_path(), single.as_path()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "6 passed, 0 failed\n");
    // The repository's conformance folder (with its sub-folders), as a folder: what the same
    // files named one by one give.
    fn json_below(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                json_below(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let cases = workspace().join("conformance/cases");
    let mut args = vec![PathBuf::from("test")];
    json_below(&cases, &mut args);
    assert!(args.len() > 4, "{args:?}");
    let by_file = run(&args);
    let by_folder = run(&[PathBuf::from("test"), cases]);
    assert_eq!(
        by_folder.code, 0,
        "{}\n{}",
        by_folder.stdout, by_folder.stderr
    );
    assert_eq!(by_folder.stdout, by_file.stdout);
    assert!(by_folder.stdout.ends_with(" passed, 0 failed\n"));
}

#[test]
fn test_the_conformance_suite_passes() {
    let dir = workspace().join("conformance/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("conformance/cases")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut args = vec![PathBuf::from("test")];
    args.extend(files);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.lines().last(), Some("566 passed, 0 failed"));
}
