//! Compiling a folder of policies from a build script, in the manner of prost-build.
//!
//! Every `*.json` file of a folder becomes one `pub static` — a `CompiledPolicy` for an IAM policy,
//! a `CompiledPermissions` for a permission set (`roles` + `permissions`) — in a single
//! generated file in `OUT_DIR`, which the crate pulls in with `include!`:
//!
//! ```no_run
//! // In build.rs's `fn main`, with `tagpolicy = { version = "…", features = ["build"] }` in
//! // [build-dependencies] (through the facade this module is `tagpolicy::build`):
//! tagpolicy_compiler::build::compile_dir("policies").unwrap();
//! ```
//!
//! ```text
//! // src/lib.rs: `policies/ec2-owner.json` is now `policies::EC2_OWNER`.
//! pub mod policies {
//!     include!(concat!(env!("OUT_DIR"), "/policies.rs"));
//! }
//! ```
//!
//! **Which files.** Only the folder itself is read, not its subfolders (so every file has a
//! distinct stem and the folder maps onto one flat list of names); files whose name does not end in
//! `.json` are ignored. Files are taken in sorted order, so the output is the same on every machine.
//!
//! **Names.** `NAME` is the file stem upper-cased, with every character that is not an ASCII
//! letter or digit replaced by `_` (`ec2-owner.json` → `EC2_OWNER`); a name that would start with
//! a digit, or be `_` alone, gets a leading `_` (`2fa.json` → `_2FA`). Two files that map to the
//! same name are an error.
//!
//! **Rebuilds.** [`Config::compile_dir`] prints `cargo:rerun-if-changed=` for the folder (so adding
//! or removing a file reruns the build script) and for every policy file. Any such line *replaces*
//! Cargo's default of rerunning the build script whenever any file of the package changes (the
//! reason prost-build prints none): if your build script also depends on other files, print
//! `rerun-if-changed` for them too.
//!
//! **Errors.** Every diagnostic of every file is collected before failing; [`BuildError`] prints
//! them as `file:line:col: error: message` with their help lines, and its `Debug` is the same text,
//! so `compile_dir(..).unwrap()` (or `?` from `main`) shows a readable list in Cargo's output.
//! Lint warnings are passed to Cargo as `cargo:warning=` lines.
//!
//! The output is written only when its content changed (as prost-build does), so its modification
//! time moves only when the generated code does.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::codegen::{generate, CodegenOptions};
use crate::diag::{Diagnostic, Errors, Source};
use crate::{compile_policies, parse_json};

/// The runtime path generated code uses unless [`Config::runtime_path`] says otherwise: the
/// hidden re-export of the `tagpolicy` facade crate.
pub const DEFAULT_RUNTIME_PATH: &str = "::tagpolicy::__private::runtime";

/// The name of the generated file in `OUT_DIR` unless [`Config::out_file`] says otherwise.
pub const DEFAULT_OUT_FILE: &str = "policies.rs";

/// Compiles every `*.json` file of `dir` into `OUT_DIR/policies.rs`, one `pub static` per file,
/// with the default [`Config`].
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     tagpolicy_compiler::build::compile_dir("policies")?;
///     Ok(())
/// }
/// ```
pub fn compile_dir(dir: impl AsRef<Path>) -> Result<(), BuildError> {
    Config::new().compile_dir(dir)
}

/// Settings of a build-script compilation, for what [`compile_dir`] does not cover.
///
/// ```no_run
/// // In build.rs's `fn main`, for a crate that depends on `tagpolicy-runtime` directly rather
/// // than on the `tagpolicy` facade:
/// tagpolicy_compiler::build::Config::new()
///     .runtime_path("::tagpolicy_runtime")
///     .out_file("access.rs")
///     .compile_files(&["policies/admin.json", "policies/owner.json"])
///     .unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    runtime_path: String,
    out_file: PathBuf,
    out_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The defaults: runtime path [`DEFAULT_RUNTIME_PATH`], output file [`DEFAULT_OUT_FILE`] in
    /// `OUT_DIR`.
    pub fn new() -> Self {
        Config {
            runtime_path: DEFAULT_RUNTIME_PATH.to_owned(),
            out_file: PathBuf::from(DEFAULT_OUT_FILE),
            out_dir: None,
        }
    }

    /// The path generated code names the runtime crate by, such as `::tagpolicy_runtime` for a
    /// crate that depends on the runtime directly (default [`DEFAULT_RUNTIME_PATH`]).
    pub fn runtime_path(&mut self, path: &str) -> &mut Self {
        path.clone_into(&mut self.runtime_path);
        self
    }

    /// The name of the generated file, relative to the output folder (default
    /// [`DEFAULT_OUT_FILE`]).
    pub fn out_file(&mut self, name: impl AsRef<Path>) -> &mut Self {
        self.out_file = name.as_ref().to_path_buf();
        self
    }

    /// The output folder (default: the `OUT_DIR` Cargo gives the build script).
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Compiles every `*.json` file directly in `dir` (not in its subfolders), in sorted order,
    /// into the output file, and prints `cargo:rerun-if-changed` for the folder and each file.
    pub fn compile_dir(&self, dir: impl AsRef<Path>) -> Result<(), BuildError> {
        let dir = dir.as_ref();
        println!("cargo:rerun-if-changed={}", dir.display());
        let files = policy_files(dir)?;
        self.compile_files(&files)
    }

    /// Compiles the given policy files, in the given order, into the output file, one static
    /// each, and prints `cargo:rerun-if-changed` for each file.
    pub fn compile_files(&self, files: &[impl AsRef<Path>]) -> Result<(), BuildError> {
        let files: Vec<&Path> = files.iter().map(AsRef::as_ref).collect();
        for file in &files {
            println!("cargo:rerun-if-changed={}", file.display());
        }
        let bundle = bundle(&files, &self.runtime_path)?;
        for warning in &bundle.warnings {
            for line in warning.to_string().lines() {
                println!("cargo:warning={line}");
            }
        }
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        write_if_changed(&out_dir.join(&self.out_file), &bundle.source)
    }
}

/// Why a build-script compilation failed.
///
/// `Display` and `Debug` print the same readable text, so that a build script's `.unwrap()` or
/// `?` shows it as is in Cargo's output.
#[non_exhaustive]
pub enum BuildError {
    /// A policy file or folder could not be read, or the output could not be written.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// Policies have errors: every error of every file, with its position.
    Policies(Errors),
    /// Two policy files map to the same static name.
    DuplicateName {
        /// The static name.
        name: String,
        /// The file that took the name first.
        first: PathBuf,
        /// The file that maps to it again.
        second: PathBuf,
    },
    /// The runtime path given to [`Config::runtime_path`] is not a Rust path.
    RuntimePath(String),
    /// `OUT_DIR` is not set (not running as a build script) and no [`Config::out_dir`] was given.
    NoOutDir,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Io { path, source } => {
                write!(f, "tagpolicy: cannot access `{}`: {source}", path.display())
            }
            BuildError::Policies(errors) => {
                let n = errors.0.len();
                let s = if n == 1 { "" } else { "s" };
                write!(f, "tagpolicy: {n} error{s} in policy files:\n{errors}")
            }
            BuildError::DuplicateName {
                name,
                first,
                second,
            } => write!(
                f,
                "tagpolicy: `{}` and `{}` both become the static `{name}`\n  help: rename one of the files",
                first.display(),
                second.display()
            ),
            BuildError::RuntimePath(path) => write!(
                f,
                "tagpolicy: runtime path `{path}` is not a Rust path\n  help: write it like `::tagpolicy::__private::runtime`"
            ),
            BuildError::NoOutDir => write!(
                f,
                "tagpolicy: OUT_DIR is not set\n  help: call this from a build script, or set Config::out_dir"
            ),
        }
    }
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io { source, .. } => Some(source),
            BuildError::Policies(errors) => Some(errors),
            _ => None,
        }
    }
}

/// The `*.json` files directly in `dir`, sorted.
fn policy_files(dir: &Path) -> Result<Vec<PathBuf>, BuildError> {
    let io_error = |source| BuildError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let path = entry.path();
        let is_file = entry.file_type().map_err(io_error)?.is_file() || path.is_file();
        if is_file && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The name of the static for a policy file: its stem upper-cased, non-alphanumerics as `_`, and
/// a leading `_` where the result would not be an identifier.
fn static_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name == "_" || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// The generated file and the lint warnings found on the way.
#[derive(Debug)]
struct Bundle {
    source: String,
    warnings: Vec<Diagnostic>,
}

/// Compiles each file on its own into a static; all policy errors of all files are returned
/// together.
fn bundle(files: &[&Path], runtime_path: &str) -> Result<Bundle, BuildError> {
    let rt: TokenStream = syn::parse_str::<syn::Path>(runtime_path)
        .map(|p| quote!(#p))
        .map_err(|_| BuildError::RuntimePath(runtime_path.to_owned()))?;
    let mut names: BTreeMap<String, &Path> = BTreeMap::new();
    for file in files {
        let name = static_name(file);
        if let Some(first) = names.get(&name) {
            return Err(BuildError::DuplicateName {
                name,
                first: first.to_path_buf(),
                second: file.to_path_buf(),
            });
        }
        names.insert(name, file);
    }
    let opts = CodegenOptions { runtime_path: rt };
    let rt = &opts.runtime_path;
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for file in files {
        let text = fs::read_to_string(file).map_err(|source| BuildError::Io {
            path: file.to_path_buf(),
            source,
        })?;
        let label = file.display().to_string();
        let source = Source::new(label.as_str(), text);
        let json = match parse_json(&source) {
            Ok(json) => json,
            Err(e) => {
                errors.extend(e.0);
                continue;
            }
        };
        let name = format_ident!("{}", static_name(file));
        let doc = format!(" Compiled from `{label}`.");
        if crate::permissions::is_permission_set(&json) {
            // A permission set becomes a `CompiledPermissions`.
            match crate::check_permission_set(&source, &json) {
                Ok((doc_ast, found)) => {
                    warnings.extend(found);
                    let ir = crate::perm_ir::lower_permission_set(&doc_ast, &label);
                    let expr = crate::perm_codegen::generate_permissions(&ir, rt);
                    items.push(quote! {
                        #[doc = #doc]
                        pub static #name: #rt::access::CompiledPermissions = #expr;
                    });
                }
                Err(e) => errors.extend(e.0),
            }
            continue;
        }
        match compile_policies(&[(&source, &json)]) {
            Ok(compiled) => {
                warnings.extend(compiled.warnings);
                let expr = generate(&compiled.ir, &opts);
                items.push(quote! {
                    #[doc = #doc]
                    pub static #name: #rt::CompiledPolicy = #expr;
                });
            }
            Err(e) => errors.extend(e.0),
        }
    }
    if !errors.is_empty() {
        return Err(BuildError::Policies(Errors(errors)));
    }
    let tokens = quote!(#(#items)*);
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    };
    Ok(Bundle {
        source: format!(
            "// @generated by tagpolicy-compiler's build module from policy files; do not edit.\n\n{body}"
        ),
        warnings,
    })
}

/// Writes `contents` to `path` unless the file already holds exactly that, so that Cargo sees no
/// change and recompiles nothing.
fn write_if_changed(path: &Path, contents: &str) -> Result<(), BuildError> {
    if fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(());
    }
    let io_error = |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_error)?;
    }
    fs::write(path, contents).map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{ "Sid": "Own", "Effect": "Allow", "Action": "ec2:StartInstances",
                  "Resource": "*",
                  "Condition": { "StringEquals": { "aws:ResourceTag/Owner": "${aws:username}" } } }]
}"#;

    const DENY: &str = r#"{ "Statement": { "Effect": "Deny", "Action": "*", "Resource": "*" } }"#;

    /// A fresh, empty folder under the system temp folder, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(test: &str) -> TempDir {
            let dir =
                std::env::temp_dir().join(format!("tagpolicy-build-{test}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn paths(files: &[PathBuf]) -> Vec<&Path> {
        files.iter().map(PathBuf::as_path).collect()
    }

    #[test]
    fn names_are_upper_cased_stems_with_underscores() {
        let name = |p: &str| static_name(Path::new(p));
        assert_eq!(name("policies/ec2-owner.json"), "EC2_OWNER");
        assert_eq!(name("team.queues v2.json"), "TEAM_QUEUES_V2");
        assert_eq!(name("Guard_Rails.json"), "GUARD_RAILS");
        assert_eq!(name("2fa.json"), "_2FA");
        assert_eq!(name("-.json"), "__");
        assert_eq!(name("ünï.json"), "_N_");
        for n in ["EC2_OWNER", "_2FA", "__", "_N_"] {
            assert!(syn::parse_str::<syn::Ident>(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn folder_is_read_sorted_and_flat() {
        let dir = TempDir::new("sorted");
        dir.write("b.json", DENY);
        dir.write("a.json", OWNER);
        dir.write("notes.txt", "not a policy");
        fs::create_dir(dir.0.join("nested.json")).unwrap();
        fs::create_dir(dir.0.join("sub")).unwrap();
        dir.write("sub/c.json", DENY);
        let files = policy_files(&dir.0).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap()).collect();
        assert_eq!(names, ["a.json", "b.json"]);
    }

    #[test]
    fn one_documented_static_per_file() {
        let dir = TempDir::new("statics");
        let files = [
            dir.write("ec2-owner.json", OWNER),
            dir.write("guard.json", DENY),
        ];
        let bundle = bundle(&paths(&files), DEFAULT_RUNTIME_PATH).unwrap();
        let file = syn::parse_file(&bundle.source).unwrap();
        let statics: Vec<(String, String)> = file
            .items
            .iter()
            .map(|item| match item {
                syn::Item::Static(s) => {
                    let doc = s
                        .attrs
                        .iter()
                        .find(|a| a.path().is_ident("doc"))
                        .map(|a| quote!(#a).to_string())
                        .unwrap_or_default();
                    let ty = &s.ty;
                    assert_eq!(
                        quote!(#ty).to_string(),
                        ":: tagpolicy :: __private :: runtime :: CompiledPolicy"
                    );
                    (s.ident.to_string(), doc)
                }
                other => panic!("unexpected item {}", quote!(#other)),
            })
            .collect();
        assert_eq!(statics.len(), 2);
        assert_eq!(statics[0].0, "EC2_OWNER");
        assert!(statics[0].1.contains("ec2-owner.json"), "{}", statics[0].1);
        assert_eq!(statics[1].0, "GUARD");
        assert!(bundle.source.starts_with("// @generated"));
    }

    #[test]
    fn runtime_path_is_used_and_checked() {
        let dir = TempDir::new("rtpath");
        let files = [dir.write("p.json", DENY)];
        let bundle = bundle(&paths(&files), "::tagpolicy_runtime").unwrap();
        assert!(bundle
            .source
            .contains("pub static P: ::tagpolicy_runtime::CompiledPolicy"));
        assert!(!bundle.source.contains("__private::runtime"));
        let err = super::bundle(&paths(&files), "not a path!").unwrap_err();
        assert!(matches!(err, BuildError::RuntimePath(_)), "{err}");
    }

    #[test]
    fn colliding_names_are_an_error() {
        let dir = TempDir::new("collide");
        let files = [
            dir.write("ec2-owner.json", DENY),
            dir.write("ec2_owner.json", DENY),
        ];
        let err = bundle(&paths(&files), DEFAULT_RUNTIME_PATH).unwrap_err();
        let BuildError::DuplicateName {
            name,
            first,
            second,
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!(name, "EC2_OWNER");
        assert_eq!((first, second), (&files[0], &files[1]));
        let text = err.to_string();
        assert!(text.contains("ec2-owner.json` and `"), "{text}");
        assert!(text.contains("help: rename"), "{text}");
    }

    #[test]
    fn every_diagnostic_of_every_file_is_reported() {
        let dir = TempDir::new("diags");
        let files = [
            dir.write(
                "a.json",
                "{\n  \"Statement\": [{ \"Effect\": \"Allow\",\n    \"Actoin\": \"s3:*\", \"Resource\": \"*\" }]\n}",
            ),
            dir.write("b.json", OWNER),
            dir.write("c.json", "{ \"Statement\": [ }"),
        ];
        let err = bundle(&paths(&files), DEFAULT_RUNTIME_PATH).unwrap_err();
        let BuildError::Policies(errors) = &err else {
            panic!("{err}");
        };
        let a = files[0].display().to_string();
        let c = files[2].display().to_string();
        assert!(errors
            .0
            .iter()
            .any(|d| d.file == a && d.line == 3 && d.col == 5));
        assert!(errors.0.iter().any(|d| d.file == c && d.line == 1));
        assert!(errors
            .0
            .iter()
            .all(|d| d.file != files[1].display().to_string()));
        let text = err.to_string();
        let debug = format!("{err:?}");
        assert_eq!(text, debug);
        assert!(text.starts_with(&format!(
            "tagpolicy: {} errors in policy files:\n",
            errors.0.len()
        )));
        assert!(
            text.contains(&format!(
                "{a}:3:5: error: unknown statement element `Actoin`"
            )),
            "{text}"
        );
        assert!(text.contains("  help: did you mean `Action`?"), "{text}");
        assert!(text.contains(&format!("{c}:1:")), "{text}");
    }

    #[test]
    fn missing_folder_and_file_are_io_errors() {
        let dir = TempDir::new("missing");
        let err = policy_files(&dir.0.join("nope")).unwrap_err();
        assert!(matches!(err, BuildError::Io { .. }), "{err}");
        assert!(err.to_string().contains("nope"), "{err}");
        let missing = dir.0.join("gone.json");
        let err = bundle(&[missing.as_path()], DEFAULT_RUNTIME_PATH).unwrap_err();
        assert!(err.to_string().contains("gone.json"), "{err}");
    }

    #[test]
    fn compile_dir_writes_only_when_changed() {
        let dir = TempDir::new("write");
        let policies = dir.0.join("policies");
        fs::create_dir(&policies).unwrap();
        fs::write(policies.join("owner.json"), OWNER).unwrap();
        let out = dir.0.join("out");
        let mut config = Config::new();
        config.out_dir(&out).out_file("gen/p.rs");
        config.compile_dir(&policies).unwrap();
        let written = out.join("gen/p.rs");
        let text = fs::read_to_string(&written).unwrap();
        syn::parse_file(&text).unwrap();
        assert!(text.contains("pub static OWNER:"), "{text}");

        // Same input: the file is left alone.
        let before = fs::metadata(&written).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        config.compile_dir(&policies).unwrap();
        assert_eq!(fs::metadata(&written).unwrap().modified().unwrap(), before);

        // A new file changes the output.
        fs::write(policies.join("deny.json"), DENY).unwrap();
        config.compile_dir(&policies).unwrap();
        let text = fs::read_to_string(&written).unwrap();
        let deny = text.find("pub static DENY:").unwrap();
        assert!(deny < text.find("pub static OWNER:").unwrap(), "{text}");
    }
}
