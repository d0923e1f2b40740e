//! Lints: policies that are valid but probably not what their author meant. Warnings only.

use std::collections::HashMap;

use tagpolicy_runtime::cond::Qualifier;
use tagpolicy_runtime::Effect;

use crate::ast::{CondValue, OpFamily, PartAst, PolicyDoc, StatementAst};
use crate::diag::Diagnostics;
use crate::json::Span;

/// Keys AWS documents as multi-valued: they need `ForAllValues:` or `ForAnyValue:`.
const MULTI_VALUED: &[&str] = &[
    "aws:tagkeys",
    "aws:principalorgpaths",
    "aws:calledvia",
    "aws:principalservicenameslist",
];

/// Runs every lint on one checked policy.
pub fn lint_policy(doc: &PolicyDoc, diags: &mut Diagnostics<'_>) {
    key_case(doc, diags);
    for st in &doc.statements {
        allow_all(st, diags);
        request_tag_guard(st, diags);
        never_matches(st, diags);
        qualifier_use(st, diags);
    }
}

/// Condition keys (and variable keys) that differ only by case name the same key.
fn key_case(doc: &PolicyDoc, diags: &mut Diagnostics<'_>) {
    let mut first: HashMap<String, (String, Span)> = HashMap::new();
    let mut uses: Vec<(String, Span)> = Vec::new();
    for st in &doc.statements {
        for c in &st.conditions {
            uses.push((c.key.node.clone(), c.key.span));
            for v in &c.values {
                if let CondValue::Text(t) = &v.node {
                    for p in &t.parts {
                        if let PartAst::Var { key, .. } = p {
                            uses.push((key.clone(), v.span));
                        }
                    }
                }
            }
        }
    }
    for (key, span) in uses {
        let lower = key.to_ascii_lowercase();
        match first.get(&lower) {
            None => {
                first.insert(lower, (key, span));
            }
            Some((seen, seen_span)) if *seen != key => {
                let (line, col) = diags.source().line_col(seen_span.start);
                diags.warning(
                    span,
                    format!(
                        "condition key `{key}` differs only by case from `{seen}` (line {line}, column {col})"
                    ),
                    Some(
                        "condition key names are case-insensitive, so both name the same key; \
                         write them the same way"
                            .to_string(),
                    ),
                );
            }
            Some(_) => {}
        }
    }
}

fn allow_all(st: &StatementAst, diags: &mut Diagnostics<'_>) {
    let all_actions = !st.action.not && st.action.values.iter().any(|a| a.node == "*");
    let all_resources = !st.resource.not
        && st
            .resource
            .values
            .iter()
            .any(|r| r.node.parts == [PartAst::Text("*".to_string())]);
    if st.effect.node == Effect::Allow && all_actions && all_resources && st.conditions.is_empty() {
        diags.warning(
            st.action.key_span,
            "this statement allows every action on every resource",
            Some("grant the actions and resources the principal needs, or add a condition".into()),
        );
    }
}

fn request_tag_guard(st: &StatementAst, diags: &mut Diagnostics<'_>) {
    let guarded = st
        .conditions
        .iter()
        .any(|c| c.key.node.eq_ignore_ascii_case("aws:TagKeys"));
    if guarded {
        return;
    }
    if let Some(c) = st.conditions.iter().find(|c| {
        c.key
            .node
            .to_ascii_lowercase()
            .starts_with("aws:requesttag/")
    }) {
        diags.warning(
            c.key.span,
            format!(
                "`{}` is checked but `aws:TagKeys` is not: the request may set other tags too",
                c.key.node
            ),
            Some(
                "add \"ForAllValues:StringEquals\": {\"aws:TagKeys\": [\"…allowed keys…\"]} to the same statement"
                    .into(),
            ),
        );
    }
}

fn never_matches(st: &StatementAst, diags: &mut Diagnostics<'_>) {
    if st.action.not && st.action.values.iter().any(|a| a.node == "*") {
        diags.warning(
            st.action.key_span,
            "`NotAction: \"*\"` excludes every action: this statement never applies",
            None,
        );
    }
    if st.resource.not
        && st
            .resource
            .values
            .iter()
            .any(|r| r.node.parts == [PartAst::Text("*".to_string())])
    {
        diags.warning(
            st.resource.key_span,
            "`NotResource: \"*\"` excludes every resource: this statement never applies",
            None,
        );
    }
    // `Null: true` (key absent) together with an operator that needs the key present.
    for n in &st.conditions {
        let must_be_missing = n.operator.node.family == OpFamily::Null
            && n.values.iter().all(|v| v.node == CondValue::Bool(true));
        if !must_be_missing {
            continue;
        }
        let needs_present = st.conditions.iter().find(|c| {
            c.key.node.eq_ignore_ascii_case(&n.key.node)
                && c.operator.node.family != OpFamily::Null
                && !c.operator.node.negated
                && !c.operator.node.if_exists
                && c.operator.node.qualifier != Qualifier::ForAllValues
        });
        if let Some(c) = needs_present {
            diags.warning(
                c.operator.span,
                format!(
                    "`{}` needs `{}` present, but `Null` requires it absent: this statement never applies",
                    c.operator_name, c.key.node
                ),
                None,
            );
        }
    }
}

fn qualifier_use(st: &StatementAst, diags: &mut Diagnostics<'_>) {
    for c in &st.conditions {
        let key = c.key.node.to_ascii_lowercase();
        let op = c.operator.node;
        if op.family == OpFamily::Null {
            continue;
        }
        if op.qualifier == Qualifier::Single && MULTI_VALUED.contains(&key.as_str()) {
            diags.warning(
                c.operator.span,
                format!(
                    "`{}` is multi-valued; `{}` without `ForAllValues:` or `ForAnyValue:` never matches a list of values",
                    c.key.node, c.operator_name
                ),
                Some(format!(
                    "write `ForAllValues:{0}` (every value allowed) or `ForAnyValue:{0}` (at least one)",
                    c.operator_name
                )),
            );
        }
        let single_valued_tag = ["aws:resourcetag/", "aws:principaltag/", "aws:requesttag/"]
            .iter()
            .any(|p| key.starts_with(p));
        if op.qualifier == Qualifier::ForAllValues && single_valued_tag {
            diags.warning(
                c.operator.span,
                format!(
                    "`ForAllValues:` on the single-valued key `{}` is also true when the key is missing",
                    c.key.node
                ),
                Some(format!(
                    "use `{}` without a set qualifier",
                    c.operator_name.trim_start_matches("ForAllValues:")
                )),
            );
        }
    }
}
