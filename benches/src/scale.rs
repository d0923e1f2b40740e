//! The generated policy sets of the `scale_N` groups: N statements over 50 services and 200 tag
//! keys, from a fixed seed, written in every contender's language.
//!
//! This file is shared with `build.rs` (through `#[path]`), which writes the sets into `OUT_DIR`
//! and compiles the IAM JSON with `tagpolicy::build::Config`; so it uses `std` only.
//!
//! Statements come from one stream: the first 10 statements of every set are the same, so the
//! requests built from them ([`requests`]) are asked of every set. Each statement names one to
//! three exact actions of one service, out of 200 per service (10,000 in all), so a request
//! matches few statements even at 10,000.

use std::fmt::Write as _;

/// The sizes of the generated sets.
pub const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
/// How many services the actions come from.
pub const SERVICES: u32 = 50;
/// How many actions each service has.
pub const ACTIONS_PER_SERVICE: u32 = 200;
/// How many tag keys conditions use.
pub const TAG_KEYS: u32 = 200;
/// How many resource types each service has.
pub const RESOURCE_TYPES: u32 = 4;
/// How many distinct tag values conditions compare with.
pub const TAG_VALUES: u32 = 8;
/// The account and region of the requests' ARNs.
pub const ACCOUNT: &str = "111122223333";

/// A statement's condition: at most one, over a resource or principal tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// No condition.
    None,
    /// `StringEquals aws:ResourceTag/TagK = "vN"`.
    ResourceTagIs { key: u32, value: u32 },
    /// `StringEquals aws:ResourceTag/TagK = "${aws:username}"`.
    ResourceTagIsUser { key: u32 },
    /// `StringEquals aws:PrincipalTag/TagK = "vN"`.
    PrincipalTagIs { key: u32, value: u32 },
}

/// One generated statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    /// Deny rather than Allow.
    pub deny: bool,
    /// The service of every action of the statement.
    pub service: u32,
    /// The actions (indices within the service), distinct.
    pub actions: Vec<u32>,
    /// The resource type (`arn:aws:svcS:*:*:typeT/*`), or `None` for `*`.
    pub resource_type: Option<u32>,
    /// The condition.
    pub cond: Cond,
}

/// A deterministic generator (SplitMix64), fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
}

/// The first `n` statements of the stream.
pub fn generate(n: usize) -> Vec<Stmt> {
    let mut rng = Rng(0x7A6B_5C4D_3E2F_1003);
    (0..n)
        .map(|_| {
            let deny = rng.below(10) == 0;
            let service = rng.below(SERVICES);
            let count = 1 + rng.below(3);
            let mut actions = Vec::new();
            while actions.len() < count as usize {
                let a = rng.below(ACTIONS_PER_SERVICE);
                if !actions.contains(&a) {
                    actions.push(a);
                }
            }
            let resource_type = (rng.below(4) != 0).then(|| rng.below(RESOURCE_TYPES));
            let cond = match rng.below(20) {
                0..=4 => Cond::None,
                5..=10 => Cond::ResourceTagIs {
                    key: rng.below(TAG_KEYS),
                    value: rng.below(TAG_VALUES),
                },
                11..=15 => Cond::ResourceTagIsUser {
                    key: rng.below(TAG_KEYS),
                },
                _ => Cond::PrincipalTagIs {
                    key: rng.below(TAG_KEYS),
                    value: rng.below(TAG_VALUES),
                },
            };
            Stmt {
                deny,
                service,
                actions,
                resource_type,
                cond,
            }
        })
        .collect()
}

/// `svc07`.
pub fn service_name(s: u32) -> String {
    format!("svc{s:02}")
}

/// `svc07:Op123`.
pub fn action_name(s: u32, a: u32) -> String {
    format!("svc{s:02}:Op{a:03}")
}

/// The tag key as policies write it: `Tag017` (requests send it lower-case).
pub fn tag_key(k: u32) -> String {
    format!("Tag{k:03}")
}

/// `v3`.
pub fn tag_value(v: u32) -> String {
    format!("v{v}")
}

/// The statement's resource pattern.
pub fn resource_pattern(st: &Stmt) -> String {
    match st.resource_type {
        Some(t) => format!("arn:aws:svc{:02}:*:*:type{t}/*", st.service),
        None => "*".to_owned(),
    }
}

/// An ARN of a resource of type `t` of service `s`.
pub fn resource_arn(s: u32, t: u32, id: u32) -> String {
    format!("arn:aws:svc{s:02}:us-east-1:{ACCOUNT}:type{t}/r-{id}")
}

/// The IAM policy JSON of a set.
pub fn to_iam_json(stmts: &[Stmt]) -> String {
    let mut out = String::from("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n");
    for (i, st) in stmts.iter().enumerate() {
        let actions: Vec<String> = st
            .actions
            .iter()
            .map(|a| format!("\"{}\"", action_name(st.service, *a)))
            .collect();
        let effect = if st.deny { "Deny" } else { "Allow" };
        let _ = write!(
            out,
            "    {{\"Sid\": \"S{i}\", \"Effect\": \"{effect}\", \"Action\": [{}], \"Resource\": \"{}\"",
            actions.join(", "),
            resource_pattern(st)
        );
        match st.cond {
            Cond::None => {}
            Cond::ResourceTagIs { key, value } => {
                let _ = write!(
                    out,
                    ", \"Condition\": {{\"StringEquals\": {{\"aws:ResourceTag/{}\": \"{}\"}}}}",
                    tag_key(key),
                    tag_value(value)
                );
            }
            Cond::ResourceTagIsUser { key } => {
                let _ = write!(
                    out,
                    ", \"Condition\": {{\"StringEquals\": {{\"aws:ResourceTag/{}\": \"${{aws:username}}\"}}}}",
                    tag_key(key)
                );
            }
            Cond::PrincipalTagIs { key, value } => {
                let _ = write!(
                    out,
                    ", \"Condition\": {{\"StringEquals\": {{\"aws:PrincipalTag/{}\": \"{}\"}}}}",
                    tag_key(key),
                    tag_value(value)
                );
            }
        }
        out.push('}');
        out.push_str(if i + 1 < stmts.len() { ",\n" } else { "\n" });
    }
    out.push_str("  ]\n}\n");
    out
}

/// The same set as Cedar policies: one `permit`/`forbid` per statement. Tag keys are lower-case
/// (requests give Cedar lower-cased tag keys, as IAM compares keys case-insensitively); the
/// resource pattern is a `like` on the resource's `arn` attribute.
pub fn to_cedar(stmts: &[Stmt]) -> String {
    let mut out = String::new();
    for (i, st) in stmts.iter().enumerate() {
        let actions: Vec<String> = st
            .actions
            .iter()
            .map(|a| format!("Action::\"{}\"", action_name(st.service, *a)))
            .collect();
        let effect = if st.deny { "forbid" } else { "permit" };
        let mut conds = Vec::new();
        if st.resource_type.is_some() {
            conds.push(format!("resource.arn like \"{}\"", resource_pattern(st)));
        }
        match st.cond {
            Cond::None => {}
            Cond::ResourceTagIs { key, value } => {
                let k = tag_key(key).to_ascii_lowercase();
                conds.push(format!(
                    "resource.hasTag(\"{k}\") && resource.getTag(\"{k}\") == \"{}\"",
                    tag_value(value)
                ));
            }
            Cond::ResourceTagIsUser { key } => {
                let k = tag_key(key).to_ascii_lowercase();
                conds.push(format!(
                    "principal has name && resource.hasTag(\"{k}\") && resource.getTag(\"{k}\") == principal.name"
                ));
            }
            Cond::PrincipalTagIs { key, value } => {
                let k = tag_key(key).to_ascii_lowercase();
                conds.push(format!(
                    "principal.hasTag(\"{k}\") && principal.getTag(\"{k}\") == \"{}\"",
                    tag_value(value)
                ));
            }
        }
        let when = if conds.is_empty() {
            String::new()
        } else {
            format!(" when {{ {} }}", conds.join(" && "))
        };
        let _ = writeln!(
            out,
            "@id(\"S{i}\")\n{effect}(principal, action in [{}], resource){when};",
            actions.join(", ")
        );
    }
    out
}

/// The same set in Rego (package `bench`, rule `allow`): one `allow_any`/`deny_any` body per
/// statement; `allow` is some allow and no deny.
pub fn to_rego(stmts: &[Stmt]) -> String {
    let mut out = String::from(
        "package bench\nimport rego.v1\n\ndefault allow := false\ndefault allow_any := false\ndefault deny_any := false\n\nallow if {\n  allow_any\n  not deny_any\n}\n\n",
    );
    for st in stmts {
        let head = if st.deny { "deny_any" } else { "allow_any" };
        let _ = writeln!(out, "{head} if {{");
        if st.actions.len() == 1 {
            let _ = writeln!(
                out,
                "  input.action == \"{}\"",
                action_name(st.service, st.actions[0])
            );
        } else {
            let actions: Vec<String> = st
                .actions
                .iter()
                .map(|a| format!("\"{}\"", action_name(st.service, *a)))
                .collect();
            let _ = writeln!(out, "  input.action in {{{}}}", actions.join(", "));
        }
        if st.resource_type.is_some() {
            let _ = writeln!(
                out,
                "  glob.match(\"{}\", [], input.resource)",
                resource_pattern(st)
            );
        }
        match st.cond {
            Cond::None => {}
            Cond::ResourceTagIs { key, value } => {
                let _ = writeln!(
                    out,
                    "  input.resource_tags[\"{}\"] == \"{}\"",
                    tag_key(key).to_ascii_lowercase(),
                    tag_value(value)
                );
            }
            Cond::ResourceTagIsUser { key } => {
                let _ = writeln!(
                    out,
                    "  input.resource_tags[\"{}\"] == input.username",
                    tag_key(key).to_ascii_lowercase()
                );
            }
            Cond::PrincipalTagIs { key, value } => {
                let _ = writeln!(
                    out,
                    "  input.principal_tags[\"{}\"] == \"{}\"",
                    tag_key(key).to_ascii_lowercase(),
                    tag_value(value)
                );
            }
        }
        out.push_str("}\n\n");
    }
    out
}

/// The same set as casbin policy lines `act, obj, fam, key, val, eft` (one per action), for the
/// model in `casbin.rs`: `fam` is `-` (no condition), `res` or `pri`; `val` `$user` stands for
/// the user name.
pub fn to_casbin_lines(stmts: &[Stmt]) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    for st in stmts {
        let (fam, key, val) = match st.cond {
            Cond::None => ("-", "-".to_owned(), "-".to_owned()),
            Cond::ResourceTagIs { key, value } => {
                ("res", tag_key(key).to_ascii_lowercase(), tag_value(value))
            }
            Cond::ResourceTagIsUser { key } => {
                ("res", tag_key(key).to_ascii_lowercase(), "$user".to_owned())
            }
            Cond::PrincipalTagIs { key, value } => {
                ("pri", tag_key(key).to_ascii_lowercase(), tag_value(value))
            }
        };
        for a in &st.actions {
            lines.push(vec![
                action_name(st.service, *a),
                resource_pattern(st),
                fam.to_owned(),
                key.clone(),
                val.clone(),
                if st.deny { "deny" } else { "allow" }.to_owned(),
            ]);
        }
    }
    lines
}
