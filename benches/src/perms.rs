//! The permission-set workloads (SPEC §3, §8): roles grant permissions whose `logic` is a JSON
//! Logic condition over `subject`, `resource` and `context`. Four patterns, one group each:
//!
//! - `perm_department`: the subject's department is one of the resource's department tags
//!   (`in` over a tag list);
//! - `perm_clearance`: the subject's clearance is at least the resource's sensitivity (numbers);
//! - `perm_certifications`: the subject holds every certification the resource requires: the
//!   subject's list is carried through `reduce`'s accumulator and emptied at the first
//!   requirement it lacks (`{"all": [..., {"in": [{"var": ""}, {"var": "subject..."}]}]}` cannot
//!   work: a `var` inside an iterator reads the element, and `tagpolicy check` says so);
//! - `perm_combined`: an owner override OR (department AND clearance AND office hours from
//!   `context.hour` AND certifications).
//!
//! Each set has two roles and two permissions (one role grants both), and 12 to 14 requests that
//! mix Allow and Deny: condition true or false, a role that lacks the permission, no role, another
//! action or resource type, a `resource_pattern` miss. The permission sets live in
//! `benches/policies/perm-*.json`.
//!
//! Contenders: `compiled` (`policy!` of the file), `runtime` (the same file loaded at run time),
//! and two JSON Logic engines with the role→permission selection written around them in plain
//! Rust ([`crate::logic_peers`]).

use tagpolicy::{policy, AccessRequest, CompiledPermissions, Entity, Permissions, Val};
use tagpolicy_compiler::perm_eval::RuntimePermissions;

use crate::logic_peers::{Datalogic, JsonlogicRs};
use crate::{Decide, Visitor};

/// `perm_department`, compiled by `policy!`.
pub static DEPARTMENT: CompiledPermissions = policy!(file = "policies/perm-department.json");
/// `perm_clearance`, compiled by `policy!`.
pub static CLEARANCE: CompiledPermissions = policy!(file = "policies/perm-clearance.json");
/// `perm_certifications`, compiled by `policy!`.
pub static CERTIFICATIONS: CompiledPermissions =
    policy!(file = "policies/perm-certifications.json");
/// `perm_combined`, compiled by `policy!`.
pub static COMBINED: CompiledPermissions = policy!(file = "policies/perm-combined.json");

/// The permission-set texts, for the run-time path and the JSON Logic peers.
pub const DEPARTMENT_JSON: &str = include_str!("../policies/perm-department.json");
/// See [`DEPARTMENT_JSON`].
pub const CLEARANCE_JSON: &str = include_str!("../policies/perm-clearance.json");
/// See [`DEPARTMENT_JSON`].
pub const CERTIFICATIONS_JSON: &str = include_str!("../policies/perm-certifications.json");
/// See [`DEPARTMENT_JSON`].
pub const COMBINED_JSON: &str = include_str!("../policies/perm-combined.json");

/// A permission set loaded at run time from its text, as `tagpolicy eval` loads one.
pub fn load(name: &str, text: &str) -> RuntimePermissions {
    use tagpolicy_compiler::{check_permission_set, parse_json, perm_ir, Source};
    let source = Source::new(name, text);
    let json = parse_json(&source).unwrap_or_else(|e| panic!("{e}"));
    let (doc, _warnings) = check_permission_set(&source, &json).unwrap_or_else(|e| panic!("{e}"));
    RuntimePermissions::new(perm_ir::lower_permission_set(&doc, source.name()))
}

/// An attribute value of an entity or of the context.
#[derive(Clone, Debug)]
pub enum Attr {
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
}

impl Attr {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Attr::Str(s) => serde_json::Value::from(s.as_str()),
            Attr::Num(n) => serde_json::Value::from(*n),
        }
    }

    fn to_val(&self) -> Val<'static> {
        match self {
            Attr::Str(s) => Val::Str(leak_str(s)),
            Attr::Num(n) => Val::Num(*n),
        }
    }
}

/// A subject or resource in neutral form.
#[derive(Clone, Debug, Default)]
pub struct Ent {
    /// Its id.
    pub id: String,
    /// Its type.
    pub kind: String,
    /// For a subject, its roles.
    pub roles: Vec<String>,
    /// Attributes (`meta`).
    pub meta: Vec<(String, Attr)>,
    /// Tag groups.
    pub tags: Vec<(String, Vec<String>)>,
}

impl Ent {
    /// An entity of a type with an id.
    pub fn new(kind: &str, id: &str) -> Self {
        Ent {
            id: id.to_owned(),
            kind: kind.to_owned(),
            ..Ent::default()
        }
    }

    /// With roles.
    pub fn roles(mut self, roles: &[&str]) -> Self {
        self.roles = roles.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    /// With a string attribute.
    pub fn text(mut self, key: &str, value: &str) -> Self {
        self.meta
            .push((key.to_owned(), Attr::Str(value.to_owned())));
        self
    }

    /// With a number attribute.
    pub fn num(mut self, key: &str, value: f64) -> Self {
        self.meta.push((key.to_owned(), Attr::Num(value)));
        self
    }

    /// With a tag group.
    pub fn tags(mut self, group: &str, values: &[&str]) -> Self {
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        self.tags.push((group.to_owned(), values));
        self
    }

    /// The entity as conditions see it: `{"id", "type", "meta", "tags"}`, without roles.
    pub fn to_json(&self) -> serde_json::Value {
        let meta: serde_json::Map<String, serde_json::Value> = self
            .meta
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        let tags: serde_json::Map<String, serde_json::Value> = self
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())))
            .collect();
        serde_json::json!({ "id": self.id, "type": self.kind, "meta": meta, "tags": tags })
    }

    fn to_entity(&self) -> Entity<'static> {
        let roles: Vec<&'static str> = self.roles.iter().map(|r| leak_str(r)).collect();
        let meta: Vec<(&'static str, Val<'static>)> = self
            .meta
            .iter()
            .map(|(k, v)| (leak_str(k), v.to_val()))
            .collect();
        let tags: Vec<(&'static str, &'static [&'static str])> = self
            .tags
            .iter()
            .map(|(k, vs)| (leak_str(k), leak(vs.iter().map(|v| leak_str(v)).collect())))
            .collect();
        Entity::new(leak_str(&self.kind), leak_str(&self.id))
            .with_roles(leak(roles))
            .with_meta(leak(meta))
            .with_tags(leak(tags))
    }
}

/// One request of a permission workload, with its expected decision.
#[derive(Clone, Debug)]
pub struct PermCase {
    /// Who acts.
    pub subject: Ent,
    /// The action.
    pub action: String,
    /// What is acted on.
    pub resource: Ent,
    /// `context.*`.
    pub context: Vec<(String, Attr)>,
    /// Allow (`true`) or Deny.
    pub expected: bool,
}

impl PermCase {
    /// `subject` does `action` on `resource`, expecting `expected`.
    pub fn new(subject: &Ent, action: &str, resource: Ent, expected: bool) -> Self {
        PermCase {
            subject: subject.clone(),
            action: action.to_owned(),
            resource,
            context: Vec::new(),
            expected,
        }
    }

    /// With `context.hour`.
    pub fn at_hour(mut self, hour: f64) -> Self {
        self.context.push(("hour".to_owned(), Attr::Num(hour)));
        self
    }

    /// The data a condition is applied to: `{subject (without roles), resource, context}`.
    pub fn data_json(&self) -> serde_json::Value {
        let context: serde_json::Map<String, serde_json::Value> = self
            .context
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        serde_json::json!({
            "subject": self.subject.to_json(),
            "resource": self.resource.to_json(),
            "context": context,
        })
    }

    /// Our borrowed request; its data is leaked (benchmark setup, once per process).
    pub fn to_request(&self) -> AccessRequest<'static> {
        let context: Vec<(&'static str, Val<'static>)> = self
            .context
            .iter()
            .map(|(k, v)| (leak_str(k), v.to_val()))
            .collect();
        AccessRequest::new(
            self.subject.to_entity(),
            leak_str(&self.action),
            self.resource.to_entity(),
        )
        .with_context(leak(context))
    }
}

/// Our requests for a list of cases.
pub fn requests(cases: &[PermCase]) -> Vec<AccessRequest<'static>> {
    cases.iter().map(PermCase::to_request).collect()
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// One of our two paths (compiled or run time) deciding permission requests.
pub struct OursPerm<P> {
    set: P,
    requests: Vec<AccessRequest<'static>>,
}

impl<P: Permissions> OursPerm<P> {
    /// A contender deciding `requests` with `set`.
    pub fn new(set: P, requests: Vec<AccessRequest<'static>>) -> Self {
        OursPerm { set, requests }
    }
}

impl<P: Permissions> Decide for OursPerm<P> {
    fn requests(&self) -> usize {
        self.requests.len()
    }

    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        self.set.decide(&self.requests[i]).is_allowed()
    }
}

/// Hands the four contenders of a permission group to `v`.
fn contenders<V: Visitor>(
    v: &mut V,
    compiled: CompiledPermissions,
    name: &str,
    text: &'static str,
    cases: &[PermCase],
) {
    v.contender("compiled", || OursPerm::new(compiled, requests(cases)));
    v.contender("runtime", || {
        OursPerm::new(load(name, text), requests(cases))
    });
    v.contender("datalogic", || Datalogic::new(text, cases));
    v.contender("jsonlogic_rs", || JsonlogicRs::new(text, cases));
}

/// The requests of `perm_department`.
pub fn department_cases() -> Vec<PermCase> {
    let jane = Ent::new("user", "u-jane")
        .roles(&["viewer"])
        .text("department", "research");
    let kim = Ent::new("user", "u-kim")
        .roles(&["editor"])
        .text("department", "finance");
    let lee = Ent::new("user", "u-lee")
        .roles(&["viewer", "editor"])
        .text("department", "engineering");
    let ada = Ent::new("user", "u-ada").text("department", "research");
    let bo = Ent::new("user", "u-bo").roles(&["viewer"]);
    let doc = |id: &str, departments: &[&str]| {
        Ent::new("document", id)
            .text("owner", "u-kim")
            .tags("departments", departments)
    };
    vec![
        PermCase::new(
            &jane,
            "read",
            doc("doc-1", &["research", "engineering"]),
            true,
        ),
        PermCase::new(&jane, "read", doc("doc-2", &["finance"]), false),
        PermCase::new(&jane, "edit", doc("doc-1", &["research"]), false),
        PermCase::new(&kim, "edit", doc("doc-3", &["finance", "audit"]), true),
        PermCase::new(&kim, "edit", doc("tpl-4", &["finance"]), false),
        PermCase::new(&kim, "read", Ent::new("document", "doc-5"), false),
        PermCase::new(&ada, "read", doc("doc-1", &["research"]), false),
        PermCase::new(&bo, "read", doc("doc-1", &["research"]), false),
        PermCase::new(
            &kim,
            "read",
            Ent::new("folder", "doc-6").tags("departments", &["finance"]),
            false,
        ),
        PermCase::new(
            &lee,
            "read",
            doc("doc-7", &["sales", "engineering", "research", "finance"]),
            true,
        ),
        PermCase::new(&lee, "edit", doc("doc-8", &["sales"]), false),
        PermCase::new(&lee, "edit", doc("doc-9", &["sales", "engineering"]), true),
        PermCase::new(&jane, "read", doc("doc-10", &["research-archive"]), false),
    ]
}

/// The requests of `perm_clearance`.
pub fn clearance_cases() -> Vec<PermCase> {
    let analyst = |clearance: f64| {
        Ent::new("user", "u-ann")
            .roles(&["analyst"])
            .num("clearance", clearance)
    };
    let officer = |clearance: f64| {
        Ent::new("user", "u-oz")
            .roles(&["officer"])
            .num("clearance", clearance)
    };
    let report = |id: &str, sensitivity: f64| {
        Ent::new("report", id)
            .text("title", "quarterly figures")
            .num("sensitivity", sensitivity)
    };
    let nobody = Ent::new("user", "u-nil").num("clearance", 5.0);
    let unknown = Ent::new("user", "u-new").roles(&["officer"]);
    vec![
        PermCase::new(&analyst(3.0), "read", report("r-1", 2.0), true),
        PermCase::new(&analyst(3.0), "read", report("r-2", 3.0), true),
        PermCase::new(&analyst(1.0), "read", report("r-3", 4.0), false),
        PermCase::new(&analyst(3.0), "declassify", report("r-4", 1.0), false),
        PermCase::new(&officer(3.0), "declassify", report("r-5", 2.0), true),
        PermCase::new(&officer(3.0), "declassify", report("r-6", 3.0), false),
        PermCase::new(&unknown, "read", report("r-7", 1.0), false),
        PermCase::new(&officer(5.0), "read", report("r-8", 0.0), true),
        PermCase::new(
            &analyst(2.0),
            "read",
            Ent::new("dashboard", "d-1").num("sensitivity", 1.0),
            false,
        ),
        PermCase::new(&officer(4.0), "read", report("r-9", 4.0), true),
        PermCase::new(&nobody, "read", report("r-10", 1.0), false),
        PermCase::new(&officer(2.5), "read", report("r-11", 3.0), false),
    ]
}

/// The requests of `perm_certifications`.
pub fn certifications_cases() -> Vec<PermCase> {
    let tech = |certs: &[&str]| {
        Ent::new("user", "u-tess")
            .roles(&["technician"])
            .tags("certs", certs)
    };
    let supervisor = |certs: &[&str]| {
        Ent::new("user", "u-sam")
            .roles(&["supervisor"])
            .tags("certs", certs)
    };
    let machine = |id: &str, required: &[&str]| {
        Ent::new("machine", id)
            .text("site", "plant-2")
            .tags("required_certs", required)
    };
    let many = [
        "forklift",
        "crane",
        "hazmat",
        "welding",
        "first-aid",
        "electrical",
        "confined-space",
        "lockout",
    ];
    vec![
        PermCase::new(
            &tech(&["forklift", "crane", "hazmat"]),
            "operate",
            machine("m-1", &["forklift"]),
            true,
        ),
        PermCase::new(
            &tech(&["forklift"]),
            "operate",
            machine("m-2", &["forklift", "hazmat"]),
            false,
        ),
        PermCase::new(
            &tech(&["forklift", "hazmat", "crane"]),
            "operate",
            machine("m-3", &["crane", "hazmat"]),
            true,
        ),
        PermCase::new(
            &tech(&["crane"]),
            "inspect",
            machine("m-4", &["crane"]),
            false,
        ),
        PermCase::new(
            &supervisor(&["crane", "forklift", "hazmat", "welding"]),
            "inspect",
            machine("m-5", &["welding", "hazmat", "forklift"]),
            true,
        ),
        PermCase::new(
            &supervisor(&["welding"]),
            "inspect",
            machine("m-6", &["welding", "crane"]),
            false,
        ),
        PermCase::new(
            &Ent::new("user", "u-new").roles(&["technician"]),
            "operate",
            machine("m-7", &["forklift"]),
            false,
        ),
        PermCase::new(&tech(&["forklift"]), "operate", machine("m-8", &[]), true),
        PermCase::new(
            &tech(&["hazmat", "forklift"]),
            "operate",
            machine("m-9", &["forklift", "hazmat", "crane"]),
            false,
        ),
        PermCase::new(
            &tech(&many),
            "operate",
            machine(
                "m-10",
                &["lockout", "electrical", "crane", "first-aid", "hazmat"],
            ),
            true,
        ),
        PermCase::new(
            &tech(&["forklift"]),
            "operate",
            Ent::new("vehicle", "v-1").tags("required_certs", &["forklift"]),
            false,
        ),
        PermCase::new(
            &Ent::new("user", "u-visitor").tags("certs", &["forklift"]),
            "operate",
            machine("m-1", &["forklift"]),
            false,
        ),
    ]
}

/// The requests of `perm_combined`.
pub fn combined_cases() -> Vec<PermCase> {
    let jane = Ent::new("user", "u-jane")
        .roles(&["employee"])
        .text("department", "research")
        .num("clearance", 2.0)
        .tags("certs", &["privacy"]);
    let kim = Ent::new("user", "u-kim")
        .roles(&["manager"])
        .text("department", "finance")
        .num("clearance", 4.0)
        .tags("certs", &["export"]);
    let guest = Ent::new("user", "u-guest")
        .text("department", "research")
        .num("clearance", 5.0)
        .tags("certs", &["privacy"]);
    let doc = |id: &str, owner: &str, departments: &[&str], sensitivity: f64, certs: &[&str]| {
        Ent::new("document", id)
            .text("owner", owner)
            .num("sensitivity", sensitivity)
            .tags("departments", departments)
            .tags("required_certs", certs)
    };
    let research = |id: &str, sensitivity: f64, certs: &[&str]| {
        doc(id, "u-kim", &["research"], sensitivity, certs)
    };
    vec![
        PermCase::new(&jane, "read", research("doc-1", 1.0, &["privacy"]), true).at_hour(10.0),
        PermCase::new(&jane, "read", research("doc-1", 1.0, &["privacy"]), false).at_hour(20.0),
        PermCase::new(
            &jane,
            "read",
            doc("doc-2", "u-jane", &["finance"], 5.0, &["export"]),
            true,
        )
        .at_hour(22.0),
        PermCase::new(&jane, "read", research("doc-3", 3.0, &[]), false).at_hour(11.0),
        PermCase::new(
            &jane,
            "read",
            research("doc-4", 1.0, &["privacy", "export"]),
            false,
        )
        .at_hour(12.0),
        PermCase::new(&jane, "edit", research("doc-1", 1.0, &[]), false).at_hour(10.0),
        PermCase::new(
            &kim,
            "edit",
            doc("doc-5", "u-lee", &["finance"], 3.0, &[]),
            true,
        )
        .at_hour(9.0),
        PermCase::new(
            &kim,
            "edit",
            doc("doc-6", "u-kim", &["legal"], 3.0, &[]),
            true,
        )
        .at_hour(18.0),
        PermCase::new(
            &kim,
            "edit",
            doc("doc-7", "u-lee", &["legal"], 1.0, &[]),
            false,
        )
        .at_hour(12.0),
        PermCase::new(
            &kim,
            "edit",
            doc("doc-6", "u-kim", &["legal"], 3.0, &[]),
            false,
        )
        .at_hour(7.0),
        PermCase::new(
            &kim,
            "read",
            doc("doc-8", "u-lee", &["finance", "legal"], 4.0, &[]),
            true,
        )
        .at_hour(8.0),
        PermCase::new(&guest, "read", research("doc-1", 1.0, &["privacy"]), false).at_hour(10.0),
        PermCase::new(
            &jane,
            "read",
            Ent::new("document", "doc-9")
                .num("sensitivity", 2.0)
                .tags("departments", &["research", "legal"])
                .tags("required_certs", &["privacy"]),
            true,
        )
        .at_hour(18.0),
        PermCase::new(
            &jane,
            "read",
            Ent::new("spreadsheet", "doc-1").text("owner", "u-jane"),
            false,
        )
        .at_hour(10.0),
    ]
}

/// The `perm_department` group.
pub fn department<V: Visitor>(v: &mut V) {
    let cases = department_cases();
    contenders(
        v,
        DEPARTMENT,
        "perm-department.json",
        DEPARTMENT_JSON,
        &cases,
    );
}

/// The `perm_clearance` group.
pub fn clearance<V: Visitor>(v: &mut V) {
    let cases = clearance_cases();
    contenders(v, CLEARANCE, "perm-clearance.json", CLEARANCE_JSON, &cases);
}

/// The `perm_certifications` group.
pub fn certifications<V: Visitor>(v: &mut V) {
    let cases = certifications_cases();
    contenders(
        v,
        CERTIFICATIONS,
        "perm-certifications.json",
        CERTIFICATIONS_JSON,
        &cases,
    );
}

/// The `perm_combined` group.
pub fn combined<V: Visitor>(v: &mut V) {
    let cases = combined_cases();
    contenders(v, COMBINED, "perm-combined.json", COMBINED_JSON, &cases);
}

/// The cases of a permission group, by name.
pub fn cases(group: &str) -> Option<Vec<PermCase>> {
    Some(match group {
        "perm_department" => department_cases(),
        "perm_clearance" => clearance_cases(),
        "perm_certifications" => certifications_cases(),
        "perm_combined" => combined_cases(),
        _ => return None,
    })
}
