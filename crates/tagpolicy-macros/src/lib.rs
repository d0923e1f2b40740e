//! The `policy!` macro of tagpolicy. Use it through the `tagpolicy` crate, which documents it and
//! provides the runtime its output names (`::tagpolicy::__private::runtime`).
//!
//! This crate is a shell: it parses the macro's arguments, reads the files, and hands the text to
//! `tagpolicy_compiler`; every diagnostic becomes a `compile_error!` next to a deny-all stub.
#![deny(missing_docs)]

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};
use tagpolicy_compiler::codegen::{generate, CodegenOptions};
use tagpolicy_compiler::perm_codegen::generate_permissions;
use tagpolicy_compiler::perm_ir::lower_permission_set;
use tagpolicy_compiler::permissions::is_permission_set;
use tagpolicy_compiler::{check_permission_set, compile_policies, parse_json, Errors, Source};

/// Compiles IAM policy JSON into a `tagpolicy::CompiledPolicy` expression at build time:
/// `policy!(r#"{…}"#)`, `policy!(file = "path.json")` or `policy!(files = ["a.json", "b.json"])`,
/// paths relative to `CARGO_MANIFEST_DIR`. See the `tagpolicy` crate for examples.
#[proc_macro]
pub fn policy(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let rt = quote!(::tagpolicy::__private::runtime);
    let (includes, result) = match syn::parse::<Args>(input) {
        Ok(args) => expand(args, &rt),
        Err(e) => (Vec::new(), Err((e, quote!(#rt::CompiledPolicy::DENY_ALL)))),
    };
    let includes = includes.iter().map(|p| {
        quote!(
            const _: &[u8] = ::core::include_bytes!(#p);
        )
    });
    let body = result.unwrap_or_else(|(e, stub)| {
        let errors = e.into_compile_error();
        quote!(#errors #stub)
    });
    quote!({ #(#includes)* #body }).into()
}

/// The macro's arguments: inline JSON, or the policy files (with the literal naming each).
enum Args {
    Inline(LitStr),
    Files(Vec<LitStr>),
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let args = if input.peek(LitStr) {
            Args::Inline(input.parse()?)
        } else if input.peek(Ident) {
            let key: Ident = input.parse()?;
            if key == "file" {
                input.parse::<Token![=]>()?;
                Args::Files(vec![input.parse()?])
            } else if key == "files" {
                input.parse::<Token![=]>()?;
                let content;
                let bracket = syn::bracketed!(content in input);
                let paths = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                if paths.is_empty() {
                    return Err(syn::Error::new(
                        bracket.span.join(),
                        "`files` needs at least one path",
                    ));
                }
                Args::Files(paths.into_iter().collect())
            } else {
                let msg = format!("unknown argument `{key}`: expected `file = \"path.json\"` or `files = [\"a.json\", …]`");
                return Err(syn::Error::new(key.span(), msg));
            }
        } else {
            return Err(input.error("expected policy JSON in a string literal, `file = \"path.json\"` or `files = [\"a.json\", …]`"));
        };
        input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            return Err(input.error("unexpected argument: `policy!` takes one"));
        }
        Ok(args)
    }
}

/// The absolute paths of the files read (for `include_bytes!`) and the policy expression, or the
/// errors, each spanned on the literal its source came from.
/// Expands the macro: the files to track, and the generated expression or the errors with the
/// deny-all stub of the type the input asked for.
fn expand(
    args: Args,
    rt: &TokenStream,
) -> (Vec<String>, Result<TokenStream, (syn::Error, TokenStream)>) {
    let mut sources: Vec<(Source, Span)> = Vec::new();
    let mut includes = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    match args {
        Args::Inline(lit) => sources.push((Source::new("<inline>", lit.value()), lit.span())),
        Args::Files(lits) => {
            let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
            for lit in lits {
                let path = root.join(lit.value());
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        includes.extend(path.to_str().map(str::to_owned));
                        sources.push((Source::new(lit.value(), text), lit.span()));
                    }
                    Err(e) => push(syn::Error::new(lit.span(), read_error(&lit.value(), &e))),
                }
            }
        }
    }
    let span_of = |file: &str| {
        sources
            .iter()
            .find(|(s, _)| s.name() == file)
            .map_or(Span::call_site(), |(_, span)| *span)
    };
    let mut report = |e: Errors| {
        e.0.iter()
            .for_each(|d| push(syn::Error::new(span_of(&d.file), d.located_message())))
    };
    let mut parsed = Vec::new();
    for (source, _) in &sources {
        match parse_json(source) {
            Ok(json) => parsed.push((source, json)),
            Err(e) => report(e),
        }
    }
    let permission_set = matches!(parsed.as_slice(), [(_, json)] if is_permission_set(json));
    let result = match parsed.as_slice() {
        [(source, json)] if permission_set => check_permission_set(source, json)
            .map(|(doc, _)| generate_permissions(&lower_permission_set(&doc, source.name()), rt))
            .map_err(&mut report),
        _ => {
            let inputs: Vec<_> = parsed.iter().map(|(s, j)| (*s, j)).collect();
            compile_policies(&inputs)
                .map(|compiled| {
                    generate(
                        &compiled.ir,
                        &CodegenOptions {
                            runtime_path: rt.clone(),
                        },
                    )
                })
                .map_err(&mut report)
        }
    };
    let result = match (result, errors) {
        (Ok(tokens), None) => Ok(tokens),
        (_, Some(errors)) => Err(errors),
        // `Errors` is never empty; should it be, still fail rather than panic.
        (Err(()), None) => Err(syn::Error::new(
            Span::call_site(),
            "policy does not compile",
        )),
    };
    let stub = if permission_set {
        quote!(#rt::access::CompiledPermissions::DENY_ALL)
    } else {
        quote!(#rt::CompiledPolicy::DENY_ALL)
    };
    (includes, result.map_err(|e| (e, stub)))
}

fn read_error(path: &str, e: &std::io::Error) -> String {
    let help =
        "help: the path is relative to CARGO_MANIFEST_DIR, the folder of this crate's Cargo.toml";
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("policy file `{path}` not found\n  {help}"),
        _ => format!("cannot read policy file `{path}`: {e}\n  {help}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: TokenStream) -> syn::Result<Args> {
        syn::parse2(tokens)
    }

    fn expand_files(paths: &[&str]) -> (Vec<String>, Result<TokenStream, String>) {
        let lits = paths.iter().map(|p| LitStr::new(p, Span::call_site()));
        let (includes, result) = expand(Args::Files(lits.collect()), &quote!(::rt));
        let messages = |e: syn::Error| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>();
        (
            includes,
            result.map_err(|(e, _)| messages(e).join("\n---\n")),
        )
    }

    #[test]
    fn arguments_parse_or_name_the_bad_token() {
        assert!(matches!(parse(quote!("{}")), Ok(Args::Inline(_))));
        assert!(matches!(parse(quote!(file = "a.json",)), Ok(Args::Files(f)) if f.len() == 1));
        assert!(
            matches!(parse(quote!(files = ["a.json", "b.json",])), Ok(Args::Files(f)) if f.len() == 2)
        );
        let err = |t| parse(t).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(quote!(fiel = "a.json")).starts_with("unknown argument `fiel`"));
        assert_eq!(err(quote!(files = [])), "`files` needs at least one path");
        assert_eq!(err(quote!(file = 3)), "expected string literal");
        assert!(err(quote!("{}" "{}")).starts_with("unexpected argument"));
        assert!(err(quote!()).contains("expected policy JSON"));
    }

    #[test]
    fn file_errors_name_the_path_and_the_json_position() {
        let dir = std::env::temp_dir().join(format!("tagpolicy-macros-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        let bad = dir.join("bad.json");
        std::fs::write(
            &good,
            r#"{ "Statement": { "Effect": "Deny", "Action": "*", "Resource": "*" } }"#,
        )
        .unwrap();
        std::fs::write(&bad, "{\n  \"Statement\": {\n    \"Effect\": \"Allow\", \"Actoin\": \"*\", \"Resource\": \"*\" }\n}").unwrap();
        let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());
        let missing = dir.join("missing.json");

        let (includes, result) = expand_files(&[good]);
        assert_eq!(includes, [good]);
        assert!(result
            .unwrap()
            .to_string()
            .contains(":: rt :: CompiledPolicy"));

        // Every error of every file; the files that were read are still tracked.
        let (includes, result) = expand_files(&[good, bad, missing.to_str().unwrap()]);
        assert_eq!(includes, [good, bad]);
        let text = result.unwrap_err();
        assert!(
            text.contains(&format!(
                "{bad}:3:24: unknown statement element `Actoin`\n  help: did you mean `Action`?"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("{bad}:2:16: statement has neither")),
            "{text}"
        );
        assert!(text.contains("missing.json` not found"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
