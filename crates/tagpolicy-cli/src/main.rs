//! `tagpolicy`: check policies, evaluate requests, run case files.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tagpolicy_compiler::cases::{self, Outcome, RequestSpec};
use tagpolicy_compiler::codegen::{generate_pretty, CodegenOptions};
use tagpolicy_compiler::diag::Diagnostics;
use tagpolicy_compiler::explain::explain;
use tagpolicy_compiler::json::{Json, JsonKind};
use tagpolicy_compiler::{compile_policies, parse_json, Diagnostic, Errors, RuntimePolicy, Source};
use tagpolicy_grants::{Grant, GrantStore};
use tagpolicy_runtime::{Decision, GrantTable, Policy, Timestamp};

/// Tag-based authorization: check policies, decide requests, run policy tests.
#[derive(Parser, Debug)]
#[command(name = "tagpolicy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse, validate and lint policy files and permission sets; exit 1 if any has an error.
    Check {
        /// Policy files or permission-set files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Decide one request (or a list of requests) against policies evaluated together.
    Eval {
        /// Policy files, evaluated together.
        #[arg(long = "policy", required = true, num_args = 1..)]
        policies: Vec<PathBuf>,
        /// A request file: one request object, or a list of them.
        #[arg(long)]
        request: PathBuf,
        /// A grants file (just-in-time access): its grants are taken as issued; a grant counts
        /// for a request of its principal at a time inside its window.
        #[arg(long)]
        grants: Option<PathBuf>,
        /// The evaluation time (RFC 3339), overriding the request's `time`.
        #[arg(long)]
        at: Option<String>,
        /// Explain the decision: every statement (or permission) with what matched, each
        /// condition with expected and actual values, and the status of the principal's grants.
        #[arg(long)]
        explain: bool,
        /// Print one JSON object per request.
        #[arg(long)]
        json: bool,
    },
    /// Print the Rust code that `policy!` / the build helper generate for policies compiled
    /// together, formatted, for inspection.
    Compile {
        /// Policy files, compiled as one set.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The path generated code uses for the runtime crate.
        #[arg(long, default_value = "::tagpolicy::__private::runtime")]
        runtime_path: String,
    },
    /// Just-in-time grants.
    Grants {
        #[command(subcommand)]
        command: GrantsCommand,
    },
    /// Run case files; print each failure; end with `N passed, M failed`.
    Test {
        /// Case files (JSON), or folders: every `.json` file below a folder, in path order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Prints a line to stdout; a closed pipe (`tagpolicy test … | head`) ends the program quietly.
macro_rules! out {
    ($($arg:tt)*) => {{
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// Prints a line to stderr, ignoring a closed pipe.
macro_rules! err {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

#[derive(Subcommand, Debug)]
enum GrantsCommand {
    /// Validate a grants file; with a grant policy, exit 1 on any grant issuing would reject
    /// (each grant is checked against the policy and the grants before it).
    Check {
        /// A grants file: a list of grants, or `{"grants": [...]}`.
        file: PathBuf,
        /// A grant policy (maximum duration, grantable tags and roles).
        #[arg(long)]
        policy: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Eval {
            policies,
            request,
            grants,
            at,
            explain,
            json,
        } => eval(
            &policies,
            &request,
            &EvalOptions {
                grants: grants.as_ref(),
                at: at.as_deref(),
                explain,
                json,
            },
        ),
        Command::Test { files } => test(&files),
        Command::Grants {
            command: GrantsCommand::Check { file, policy },
        } => grants_check(&file, policy.as_ref()),
        Command::Compile {
            files,
            runtime_path,
        } => compile(&files, &runtime_path),
    }
}

fn read(path: &PathBuf) -> Result<Source, String> {
    std::fs::read_to_string(path)
        .map(|text| Source::new(path.display().to_string(), text))
        .map_err(|e| format!("{}: error: cannot read: {e}", path.display()))
}

fn print_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        err!("{d}");
    }
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut errors = 0usize;
    let mut warnings = 0usize;
    for path in files {
        let source = match read(path) {
            Ok(s) => s,
            Err(e) => {
                err!("{e}");
                errors += 1;
                continue;
            }
        };
        let result = parse_json(&source).and_then(|json| {
            if tagpolicy_compiler::permissions::is_permission_set(&json) {
                tagpolicy_compiler::check_permission_set(&source, &json).map(|(_, w)| w)
            } else {
                compile_policies(&[(&source, &json)]).map(|c| c.warnings)
            }
        });
        match result {
            Ok(found) => {
                print_diagnostics(&found);
                warnings += found.len();
            }
            Err(Errors(diags)) => {
                print_diagnostics(&diags);
                errors += diags.iter().filter(|d| d.is_error()).count();
                warnings += diags.iter().filter(|d| !d.is_error()).count();
            }
        }
    }
    out!(
        "checked {} file{}: {errors} error{}, {warnings} warning{}",
        files.len(),
        plural(files.len()),
        plural(errors),
        plural(warnings)
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How `eval` runs.
struct EvalOptions<'a> {
    grants: Option<&'a PathBuf>,
    at: Option<&'a str>,
    explain: bool,
    json: bool,
}

/// Reads a grants file into a store (grants taken as issued).
fn read_grant_store(file: Option<&PathBuf>) -> Result<GrantStore, ExitCode> {
    let Some(file) = file else {
        return Ok(GrantStore::new());
    };
    let source = read(file).map_err(|e| {
        err!("{e}");
        ExitCode::FAILURE
    })?;
    match Grant::read_file(source.name(), source.text()) {
        Ok(grants) => Ok(GrantStore::from_grants(grants, &[])),
        Err(e) => {
            err!("{e}");
            Err(ExitCode::FAILURE)
        }
    }
}

fn eval(policies: &[PathBuf], request: &PathBuf, opts: &EvalOptions<'_>) -> ExitCode {
    let at = match opts.at.map(|t| (t, Timestamp::parse_rfc3339(t))) {
        Some((t, None)) => {
            err!("error: --at \"{t}\" is not an RFC 3339 time (e.g. 2026-11-22T10:00:00Z)");
            return ExitCode::from(2);
        }
        Some((_, Some(ts))) => Some(ts),
        None => None,
    };
    let store = match read_grant_store(opts.grants) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let [single] = policies {
        if let Some(code) = eval_permissions(single, request, at, &store, opts) {
            return code;
        }
    }
    let Some(policy) = compile_files(policies) else {
        return ExitCode::FAILURE;
    };
    let req_source = match read(request) {
        Ok(s) => s,
        Err(e) => {
            err!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let requests = match read_requests(&req_source) {
        Ok(r) => r,
        Err(Errors(diags)) => {
            print_diagnostics(&diags);
            return ExitCode::FAILURE;
        }
    };
    let snapshot = store.snapshot();
    for mut spec in requests {
        if at.is_some() {
            spec.time = at;
        }
        let line = spec.with_request(|r| {
            let grants = r
                .principal
                .map_or(&GrantTable::EMPTY, |p| snapshot.grants_of(p));
            let r = &r.with_grants(grants);
            let evaluation = policy.evaluate_with_grants(r);
            if opts.explain {
                let e = explain(&policy, r, Some(&store));
                if !e.decision.agrees_with(&evaluation.decision) {
                    // Never expected: explanation and evaluation walk the same IR.
                    err!(
                        "internal error: the explanation ({:?}) disagrees with the decision ({})",
                        e.decision,
                        cases::describe(&evaluation.decision)
                    );
                }
                if opts.json {
                    e.to_json().to_string()
                } else {
                    format!("{} on {}\n{e}", spec.action, spec.resource)
                }
            } else if opts.json {
                decision_json(
                    &policy,
                    &spec,
                    &evaluation.decision,
                    &evaluation.grants.ids(),
                )
            } else {
                let using = match evaluation.grants.ids().as_slice() {
                    [] => String::new(),
                    ids => format!(" using grant{} {}", plural(ids.len()), ids.join(", ")),
                };
                format!(
                    "{:<5} {} on {}: {}{using}",
                    evaluation.decision.as_str(),
                    spec.action,
                    spec.resource,
                    explain_short(&policy, &evaluation.decision)
                )
            }
        });
        out!("{line}");
    }
    ExitCode::SUCCESS
}

/// `eval` with a permission set: `None` when the file is not a permission set.
fn eval_permissions(
    policy: &PathBuf,
    request: &PathBuf,
    at: Option<Timestamp>,
    store: &GrantStore,
    opts: &EvalOptions<'_>,
) -> Option<ExitCode> {
    let json = opts.json;
    use tagpolicy_runtime::access::{AccessDecision, Permissions};
    let source = read(policy).ok()?;
    let parsed = parse_json(&source).ok()?;
    if !tagpolicy_compiler::permissions::is_permission_set(&parsed) {
        return None;
    }
    let doc = match tagpolicy_compiler::check_permission_set(&source, &parsed) {
        Ok((doc, warnings)) => {
            print_diagnostics(&warnings);
            doc
        }
        Err(Errors(diags)) => {
            print_diagnostics(&diags);
            return Some(ExitCode::FAILURE);
        }
    };
    let set = tagpolicy_compiler::perm_eval::RuntimePermissions::new(
        tagpolicy_compiler::perm_ir::lower_permission_set(&doc, source.name()),
    );
    let req_source = match read(request) {
        Ok(s) => s,
        Err(e) => {
            err!("{e}");
            return Some(ExitCode::FAILURE);
        }
    };
    let req_json = match parse_json(&req_source) {
        Ok(j) => j,
        Err(Errors(diags)) => {
            print_diagnostics(&diags);
            return Some(ExitCode::FAILURE);
        }
    };
    let items: Vec<&Json> = match &req_json.kind {
        JsonKind::Array(items) => items.iter().collect(),
        _ => vec![&req_json],
    };
    let snapshot = store.snapshot();
    for item in items {
        let line = cases::with_access_request(&req_source, item, |r| {
            let mut r = r.with_grants(snapshot.grants_of(r.subject.id));
            if at.is_some() {
                r.time = at;
            }
            let r = &r;
            if opts.explain {
                let e = tagpolicy_compiler::explain::explain_permissions(&set, r, Some(store));
                return if json {
                    e.to_json().to_string()
                } else {
                    e.to_string()
                };
            }
            let who = r.subject.id;
            let what = format!("{} {} {}", r.action, r.resource.kind, r.resource.id);
            let evaluation = set.decide_with_grants(r);
            let ids = evaluation.grants.ids();
            let grants = ids.as_slice();
            match evaluation.decision {
                AccessDecision::Allow { permission, roles } if json => serde_json::json!({
                    "subject": who, "request": what, "decision": "Allow",
                    "permission": permission, "roles": roles.names(), "grants": grants,
                })
                .to_string(),
                AccessDecision::Deny if json => serde_json::json!({
                    "subject": who, "request": what, "decision": "Deny", "grants": grants,
                })
                .to_string(),
                AccessDecision::Allow { permission, roles } => {
                    let using = match grants {
                        [] => String::new(),
                        ids => format!(" using grant{} {}", plural(ids.len()), ids.join(", ")),
                    };
                    format!(
                        "Allow {who}: {what}: permission `{permission}` granted by role{} {}{using}",
                        if roles.names().len() == 1 { "" } else { "s" },
                        roles.names().join(", ")
                    )
                }
                AccessDecision::Deny => {
                    format!("Deny  {who}: {what}: no permission of the subject's roles allows it")
                }
            }
        });
        match line {
            Ok(l) => out!("{l}"),
            Err(Errors(diags)) => {
                print_diagnostics(&diags);
                return Some(ExitCode::FAILURE);
            }
        }
    }
    Some(ExitCode::SUCCESS)
}

fn read_requests(source: &Source) -> Result<Vec<RequestSpec>, Errors> {
    let json = parse_json(source)?;
    let items: Vec<&Json> = match &json.kind {
        JsonKind::Array(items) => items.iter().collect(),
        _ => vec![&json],
    };
    let mut diags = Diagnostics::new(source);
    let specs: Vec<Option<RequestSpec>> = items
        .iter()
        .map(|j| RequestSpec::from_json(j, &mut diags))
        .collect();
    if diags.has_errors() {
        return Err(Errors(diags.into_vec()));
    }
    Ok(specs.into_iter().flatten().collect())
}

fn statement_label(policy: &RuntimePolicy, decision: &Decision<'_>) -> Option<String> {
    let s = decision.statement()?;
    let file = policy
        .ir()
        .policies
        .get(s.policy as usize)
        .map_or("?", |p| p.source.as_str());
    Some(match s.sid {
        Some(sid) => format!("{file} statement {} (Sid \"{sid}\")", s.statement),
        None => format!("{file} statement {}", s.statement),
    })
}

fn explain_short(policy: &RuntimePolicy, decision: &Decision<'_>) -> String {
    match (decision, statement_label(policy, decision)) {
        (Decision::Allow(_), Some(l)) => format!("allowed by {l}"),
        (Decision::Deny(_), Some(l)) => format!("explicitly denied by {l}"),
        _ => "implicitly denied: no statement applies".to_string(),
    }
}

fn decision_json(
    policy: &RuntimePolicy,
    spec: &RequestSpec,
    decision: &Decision<'_>,
    grants: &[&str],
) -> String {
    let statement = decision.statement().map(|s| {
        serde_json::json!({
            "policy": s.policy,
            "file": policy.ir().policies.get(s.policy as usize).map(|p| p.source.clone()),
            "statement": s.statement,
            "sid": s.sid,
        })
    });
    serde_json::json!({
        "action": spec.action,
        "resource": spec.resource,
        "decision": decision.as_str(),
        "explicit_deny": matches!(decision, Decision::Deny(_)),
        "statement": statement,
        "grants": grants,
    })
    .to_string()
}

/// Reads and compiles policy files as one set, printing warnings; errors are printed and `None`.
fn compile_files(paths: &[PathBuf]) -> Option<RuntimePolicy> {
    let mut sources = Vec::new();
    for p in paths {
        match read(p) {
            Ok(s) => sources.push(s),
            Err(e) => {
                err!("{e}");
                return None;
            }
        }
    }
    let parsed: Result<Vec<Json>, Errors> = sources.iter().map(parse_json).collect();
    let compiled = parsed.and_then(|jsons| {
        let inputs: Vec<(&Source, &Json)> = sources.iter().zip(&jsons).collect();
        compile_policies(&inputs)
    });
    match compiled {
        Ok(c) => {
            print_diagnostics(&c.warnings);
            Some(RuntimePolicy::new(c.ir))
        }
        Err(Errors(diags)) => {
            print_diagnostics(&diags);
            None
        }
    }
}

fn compile(files: &[PathBuf], runtime_path: &str) -> ExitCode {
    let Ok(path) = runtime_path.parse::<proc_macro2::TokenStream>() else {
        err!("error: --runtime-path \"{runtime_path}\" is not a Rust path");
        return ExitCode::from(2);
    };
    if let [single] = files {
        if let Some(code) = compile_permissions(single, &path) {
            return code;
        }
    }
    let Some(policy) = compile_files(files) else {
        return ExitCode::FAILURE;
    };
    let opts = CodegenOptions { runtime_path: path };
    out!("{}", generate_pretty(policy.ir(), &opts));
    ExitCode::SUCCESS
}

/// `compile` of a permission set: `None` when the file is not one.
fn compile_permissions(
    file: &PathBuf,
    runtime_path: &proc_macro2::TokenStream,
) -> Option<ExitCode> {
    let source = read(file).ok()?;
    let json = parse_json(&source).ok()?;
    if !tagpolicy_compiler::permissions::is_permission_set(&json) {
        return None;
    }
    let doc = match tagpolicy_compiler::check_permission_set(&source, &json) {
        Ok((doc, warnings)) => {
            print_diagnostics(&warnings);
            doc
        }
        Err(Errors(diags)) => {
            print_diagnostics(&diags);
            return Some(ExitCode::FAILURE);
        }
    };
    let ir = tagpolicy_compiler::perm_ir::lower_permission_set(&doc, source.name());
    let expr = tagpolicy_compiler::perm_codegen::generate_permissions(&ir, runtime_path);
    let file =
        quote::quote!(pub static PERMISSIONS: #runtime_path::access::CompiledPermissions = #expr;);
    let text = match syn::parse2::<syn::File>(file.clone()) {
        Ok(f) => prettyplease::unparse(&f),
        Err(_) => file.to_string(),
    };
    out!("{text}");
    Some(ExitCode::SUCCESS)
}

fn grants_check(file: &PathBuf, policy: Option<&PathBuf>) -> ExitCode {
    use tagpolicy_grants::GrantPolicy;
    let source = match read(file) {
        Ok(s) => s,
        Err(e) => {
            err!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let grants = match Grant::read_file(source.name(), source.text()) {
        Ok(g) => g,
        Err(e) => {
            err!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(policy_path) = policy else {
        out!(
            "{}: {} grant{} read",
            source.name(),
            grants.len(),
            plural(grants.len())
        );
        return ExitCode::SUCCESS;
    };
    let policy_source = match read(policy_path) {
        Ok(s) => s,
        Err(e) => {
            err!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let policy = match GrantPolicy::from_json(policy_source.text()) {
        Ok(p) => p,
        Err(e) => {
            err!("{}: error: {e}", policy_source.name());
            return ExitCode::FAILURE;
        }
    };
    let mut rejected = 0usize;
    for (i, g) in grants.iter().enumerate() {
        let before: Vec<&Grant> = grants.iter().take(i).collect();
        if let Err(reasons) = policy.check(g, &before) {
            rejected += 1;
            for r in reasons {
                err!("{}: grant `{}`: rejected: {r}", source.name(), g.id);
            }
        }
    }
    out!(
        "{}: {} grant{}, {rejected} rejected",
        source.name(),
        grants.len(),
        plural(grants.len())
    );
    if rejected > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The case files `paths` name: a file as it is, a folder as every `.json` file below it (in
/// path order). A folder that cannot be read stays as it is, so reading it reports the error.
fn case_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            match walk(path, &mut found) {
                Ok(()) => files.extend(found),
                Err(_) => files.push(path.clone()),
            }
        } else {
            files.push(path.clone());
        }
    }
    files
}

fn test(paths: &[PathBuf]) -> ExitCode {
    let mut passed = 0usize;
    let mut failed = 0usize;
    let files = case_files(paths);
    for path in &files {
        let source = match read(path) {
            Ok(s) => s,
            Err(e) => {
                err!("{e}");
                failed += 1;
                continue;
            }
        };
        let results = match cases::run_file(source.name(), source.text()) {
            Ok(r) => r,
            Err(e) => {
                err!("{e}");
                failed += 1;
                continue;
            }
        };
        for r in results {
            let why = match &r.outcome {
                Outcome::Passed => {
                    passed += 1;
                    continue;
                }
                Outcome::Failed { expected, got } => format!("expected {expected}, got {got}"),
                Outcome::Error(e) => format!("error:\n{e}"),
                Outcome::Unsupported(why) => format!("not run: {why}"),
            };
            failed += 1;
            out!("FAIL {}:{}: {}: {why}", source.name(), r.line, r.name);
        }
    }
    out!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
