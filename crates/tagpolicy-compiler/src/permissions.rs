//! Permission sets (SPEC §3): roles grant permissions; a permission may carry a JSON Logic
//! condition over the subject, the resource and the request context.
//!
//! ```json
//! { "roles": { "reader": ["document:read:dept"] },
//!   "permissions": [
//!     { "key": "document:read:dept", "action": "read", "resource_type": "document",
//!       "resource_pattern": "*", "description": "read documents of one's department",
//!       "logic": { "in": [ { "var": "resource.meta.department" }, { "var": "subject.tags.departments" } ] } } ] }
//! ```

use std::collections::HashMap;

use crate::ast::Spanned;
use crate::diag::Diagnostics;
use crate::json::{Json, Span};
use crate::logic::{lint_rule, read_rule, Rule};

/// A permission set, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct PermissionSetDoc {
    /// The roles, in file order.
    pub roles: Vec<RoleAst>,
    /// The permissions, in file order.
    pub permissions: Vec<PermissionAst>,
}

/// A role and the permission keys it grants.
#[derive(Clone, Debug, PartialEq)]
pub struct RoleAst {
    /// The role's name.
    pub name: Spanned<String>,
    /// The keys of the permissions it grants, in order.
    pub permissions: Vec<Spanned<String>>,
}

/// One permission.
#[derive(Clone, Debug, PartialEq)]
pub struct PermissionAst {
    /// Its key (what roles list).
    pub key: Spanned<String>,
    /// The action it allows, compared exactly.
    pub action: Spanned<String>,
    /// The resource type it applies to, compared exactly.
    pub resource_type: Spanned<String>,
    /// A glob over resource ids (`*` when absent).
    pub resource_pattern: Option<Spanned<String>>,
    /// The condition, when there is one.
    pub logic: Option<Rule>,
    /// What it is for.
    pub description: Option<String>,
    /// The whole permission object.
    pub span: Span,
}

const PERMISSION_FIELDS: &[&str] = &[
    "key",
    "action",
    "resource_type",
    "resource_pattern",
    "logic",
    "description",
];

/// Whether a JSON object looks like a permission set (has `roles` or `permissions`).
pub fn is_permission_set(json: &Json) -> bool {
    json.get("roles").is_some() || json.get("permissions").is_some()
}

/// Reads a permission set from an object; `extra` lists other keys the object may have (a case
/// file's `name`, `request`, …). Problems go to `diags`.
pub fn read_permission_set(
    json: &Json,
    extra: &[&str],
    diags: &mut Diagnostics<'_>,
) -> Option<PermissionSetDoc> {
    let Some(members) = json.as_object() else {
        diags.error(
            json.span,
            format!(
                "a permission set must be an object with `roles` and `permissions`, found {}",
                json.kind_name()
            ),
        );
        return None;
    };
    for m in members {
        if m.key != "roles" && m.key != "permissions" && !extra.contains(&m.key.as_str()) {
            diags.error_help(
                m.key_span,
                format!("unknown permission-set element `{}`", m.key),
                "a permission set has `roles` and `permissions`",
            );
        }
    }
    let permissions = read_permissions(json, diags);
    let roles = read_roles(json, diags);
    // Cross-references: a role naming an undefined key, or a key no role names, is a warning.
    let defined: HashMap<&str, Span> = permissions
        .iter()
        .map(|p| (p.key.node.as_str(), p.key.span))
        .collect();
    for role in &roles {
        for key in &role.permissions {
            if !defined.contains_key(key.node.as_str()) {
                // SPEC §3: an undefined key grants nothing, and `check` says so (a warning: the
                // conformance cases evaluate such sets).
                let names = defined.keys().copied();
                let help = match crate::ast::closest(&key.node, names) {
                    Some(s) => format!("did you mean `{s}`? As written it grants nothing"),
                    None => {
                        "define it under `permissions`; as written it grants nothing".to_string()
                    }
                };
                diags.warning(
                    key.span,
                    format!(
                        "role `{}` grants permission `{}`, which is not defined",
                        role.name.node, key.node
                    ),
                    Some(help),
                );
            }
        }
    }
    for p in &permissions {
        let used = roles
            .iter()
            .any(|r| r.permissions.iter().any(|k| k.node == p.key.node));
        if !used {
            diags.warning(
                p.key.span,
                format!("permission `{}` is granted by no role", p.key.node),
                Some("list it under a role in `roles`, or remove it".to_string()),
            );
        }
    }
    Some(PermissionSetDoc { roles, permissions })
}

fn read_roles(json: &Json, diags: &mut Diagnostics<'_>) -> Vec<RoleAst> {
    let Some(roles) = json.get("roles") else {
        diags.error(json.span, "permission set has no `roles`");
        return Vec::new();
    };
    let Some(members) = roles.as_object() else {
        diags.error(
            roles.span,
            format!(
                "`roles` must map role names to lists of permission keys, found {}",
                roles.kind_name()
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in members {
        let Some(items) = m.value.as_array() else {
            diags.error(
                m.value.span,
                format!(
                    "role `{}` must list permission keys, found {}",
                    m.key,
                    m.value.kind_name()
                ),
            );
            continue;
        };
        let mut keys = Vec::new();
        for i in items {
            match i.as_str() {
                Some(k) => keys.push(Spanned::new(k.to_string(), i.span)),
                None => diags.error(
                    i.span,
                    format!("a permission key must be a string, found {}", i.kind_name()),
                ),
            }
        }
        out.push(RoleAst {
            name: Spanned::new(m.key.clone(), m.key_span),
            permissions: keys,
        });
    }
    out
}

fn read_permissions(json: &Json, diags: &mut Diagnostics<'_>) -> Vec<PermissionAst> {
    let Some(perms) = json.get("permissions") else {
        diags.error(json.span, "permission set has no `permissions`");
        return Vec::new();
    };
    let Some(items) = perms.as_array() else {
        diags.error(
            perms.span,
            format!(
                "`permissions` must be a list of permission objects, found {}",
                perms.kind_name()
            ),
        );
        return Vec::new();
    };
    let mut out: Vec<PermissionAst> = Vec::new();
    for item in items {
        let Some(members) = item.as_object() else {
            diags.error(
                item.span,
                format!("a permission must be an object, found {}", item.kind_name()),
            );
            continue;
        };
        for m in members {
            if !PERMISSION_FIELDS.contains(&m.key.as_str()) {
                let message = format!("unknown permission field `{}`", m.key);
                match crate::ast::closest(&m.key, PERMISSION_FIELDS.iter().copied()) {
                    Some(s) => {
                        diags.error_help(m.key_span, message, format!("did you mean `{s}`?"))
                    }
                    None => diags.error_help(
                        m.key_span,
                        message,
                        format!("a permission has {}", PERMISSION_FIELDS.join(", ")),
                    ),
                }
            }
        }
        let mut text = |field: &str, required: bool| -> Option<Spanned<String>> {
            let Some(v) = item.get(field) else {
                if required {
                    diags.error(item.span, format!("permission has no `{field}`"));
                }
                return None;
            };
            match v.as_str() {
                Some("") => {
                    diags.error(v.span, format!("permission `{field}` is empty"));
                    None
                }
                Some(s) => Some(Spanned::new(s.to_string(), v.span)),
                None => {
                    diags.error(
                        v.span,
                        format!(
                            "permission `{field}` must be a string, found {}",
                            v.kind_name()
                        ),
                    );
                    None
                }
            }
        };
        let key = text("key", true);
        let action = text("action", true);
        let resource_type = text("resource_type", true);
        let resource_pattern = text("resource_pattern", false);
        let description = text("description", false).map(|d| d.node);
        let logic = item.get("logic").and_then(|l| {
            let rule = read_rule(l, diags)?;
            lint_rule(&rule, diags);
            Some(rule)
        });
        let (Some(key), Some(action), Some(resource_type)) = (key, action, resource_type) else {
            continue;
        };
        if let Some(first) = out.iter().find(|p| p.key.node == key.node) {
            let (line, col) = diags.source().line_col(first.key.span.start);
            diags.error_help(
                key.span,
                format!("permission `{}` is defined twice", key.node),
                format!("first defined at line {line}, column {col}"),
            );
            continue;
        }
        out.push(PermissionAst {
            key,
            action,
            resource_type,
            resource_pattern,
            logic,
            description,
            span: item.span,
        });
    }
    out
}
