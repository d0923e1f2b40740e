//! The run-time evaluator: decides requests by walking the IR.
//!
//! It executes what [`crate::ir`] decided and the condition semantics of
//! [`tagpolicy_runtime::cond`]; it decides nothing itself. Once built, evaluation allocates
//! nothing: the slot table and variable substitutions live on the stack.

use tagpolicy_runtime::arn;
use tagpolicy_runtime::cond::{self, Qualifier};
use tagpolicy_runtime::decision::Evaluation;
use tagpolicy_runtime::glob::{self, Piece};
use tagpolicy_runtime::grants::UsedGrants;
use tagpolicy_runtime::request::Scalar;
use tagpolicy_runtime::scalar;
use tagpolicy_runtime::slots::{Builtin, KeyInfo, KeyTable, Slots};
use tagpolicy_runtime::{Decision, Effect, Policy, Request, StatementRef, TagFamily};

use crate::ir::{Condition, Key, Part, Pattern, PolicySet, Principals, Resources, Statement, Test};

/// How many entries the slot table (a direct-mapped cache on the stack, see
/// [`tagpolicy_runtime::slots::Slots`]) of the run-time evaluator and of generated code has at
/// most: a policy with more keys shares entries.
pub const SLOT_CAPACITY: usize = 32;

/// The slot table of a policy with at most this many keys (most policies): smaller to set up.
const SMALL_SLOT_CAPACITY: usize = 8;

/// A policy set loaded at run time, ready to evaluate.
#[derive(Clone, Debug)]
pub struct RuntimePolicy {
    ir: PolicySet,
    keys: KeyIndex,
    /// For each policy, the flat index of its first statement.
    policy_offsets: Vec<u32>,
    /// For each statement (flat index), the slots of the principal tag keys it reads.
    principal_tag_slots: Vec<Vec<u16>>,
}

impl RuntimePolicy {
    /// Prepares a lowered policy set for evaluation.
    pub fn new(ir: PolicySet) -> Self {
        let keys = KeyIndex::new(&ir);
        let policy_offsets = policy_offsets(&ir);
        let principal_tag_slots = ir
            .statements
            .iter()
            .map(|st| ir.principal_tag_slots(st))
            .collect();
        RuntimePolicy {
            ir,
            keys,
            policy_offsets,
            principal_tag_slots,
        }
    }

    /// The IR this policy evaluates.
    pub fn ir(&self) -> &PolicySet {
        &self.ir
    }

    /// The key table (slot lookup) of this policy.
    pub fn keys(&self) -> &dyn KeyTable {
        &self.keys
    }

    fn statement_ref<'s>(&'s self, st: &'s Statement) -> StatementRef<'s> {
        StatementRef {
            policy: st.policy,
            statement: st.index,
            sid: st.sid.as_deref(),
        }
    }

    /// Decides, keeping the slot table in `slots` (made on first need) for the caller.
    fn decide<'s, 'r, const N: usize>(
        &'s self,
        request: &'r Request<'r>,
        slots: &mut Option<Slots<'r, N>>,
    ) -> Decision<'s> {
        let (bucket, action_known) = self.ir.index.select(request.action);
        let mut allow = None;
        for &id in bucket {
            let Some(st) = self.ir.statements.get(id as usize) else {
                continue;
            };
            if allow.is_some() && st.effect == Effect::Allow {
                continue;
            }
            if !action_known && !st.actions.matches(request.action) {
                continue;
            }
            if !principal_matches(&st.principals, request.principal) {
                continue;
            }
            let slots = slots.get_or_insert_with(|| Slots::resolve(&self.keys, request));
            if !resource_matches(&st.resources, request.resource, slots, &self.keys) {
                continue;
            }
            if !st
                .conditions
                .iter()
                .all(|c| condition_holds(c, slots, &self.keys))
            {
                continue;
            }
            match st.effect {
                Effect::Deny => return Decision::Deny(self.statement_ref(st)),
                Effect::Allow => allow = Some(self.statement_ref(st)),
            }
        }
        allow.map_or(Decision::ImplicitDeny, Decision::Allow)
    }

    /// [`Policy::evaluate_with_grants`] with a slot table of `N` entries.
    fn evaluate_naming<'s, 'r, const N: usize>(
        &'s self,
        request: &Request<'r>,
    ) -> Evaluation<'s, 'r> {
        let mut slots: Option<Slots<'_, N>> = None;
        let decision = self.decide(request, &mut slots);
        let mut grants = UsedGrants::of(request.grants);
        tagpolicy_runtime::slots::name_deciding_grants(
            &self.keys,
            request,
            &decision,
            &self.policy_offsets,
            &self.principal_tag_slots,
            &mut grants,
        );
        Evaluation { decision, grants }
    }
}

impl Policy for RuntimePolicy {
    fn evaluate<'s>(&'s self, request: &Request<'_>) -> Decision<'s> {
        // The slot table is set up on every evaluation: size it to the policy's keys.
        if self.ir.keys.len() <= SMALL_SLOT_CAPACITY {
            self.decide::<SMALL_SLOT_CAPACITY>(request, &mut None)
        } else {
            self.decide::<SLOT_CAPACITY>(request, &mut None)
        }
    }

    /// Decides and names the grants from the decision's own slot table (no second search).
    fn evaluate_with_grants<'s, 'r>(&'s self, request: &Request<'r>) -> Evaluation<'s, 'r> {
        if self.ir.keys.len() <= SMALL_SLOT_CAPACITY {
            self.evaluate_naming::<SMALL_SLOT_CAPACITY>(request)
        } else {
            self.evaluate_naming::<SLOT_CAPACITY>(request)
        }
    }

    fn principal_tags_read(&self, statement: StatementRef<'_>, f: &mut dyn FnMut(&str)) {
        let slots =
            tagpolicy_runtime::decision::flat_statement_index(&self.policy_offsets, statement)
                .and_then(|flat| self.principal_tag_slots.get(flat));
        for &slot in slots.map(Vec::as_slice).unwrap_or(&[]) {
            if let Some((_, key)) = self
                .ir
                .keys
                .get(usize::from(slot))
                .and_then(|k| k.tag.as_ref())
            {
                f(key);
            }
        }
    }
}

/// For each policy of a set, the flat index of its first statement (statements are stored in
/// (policy, statement) order).
pub fn policy_offsets(ir: &PolicySet) -> Vec<u32> {
    let mut offsets = vec![0u32; ir.policies.len()];
    for (flat, st) in ir.statements.iter().enumerate().rev() {
        if let (Some(o), Ok(flat)) = (offsets.get_mut(st.policy as usize), u32::try_from(flat)) {
            if st.index == 0 {
                *o = flat;
            }
        }
    }
    offsets
}

/// Whether the statement's principal element covers the request's principal.
pub fn principal_matches(p: &Principals, principal: Option<&str>) -> bool {
    match p {
        Principals::Any => true,
        Principals::Is(values) => principal.is_some_and(|who| values.iter().any(|v| v == who)),
        Principals::Not(values) => {
            principal.is_none_or(|who| !values.iter().any(|v| v == "*" || v == who))
        }
    }
}

/// Whether the resource element covers the request's resource.
pub fn resource_matches<const N: usize>(
    r: &Resources,
    resource: &str,
    slots: &Slots<'_, N>,
    keys: &dyn KeyTable,
) -> bool {
    match r {
        Resources::Any => true,
        Resources::Patterns(pats) => pats
            .iter()
            .any(|p| pattern_matches(p, resource, slots, keys) == Some(true)),
        // A pattern whose variable has no value leaves NotResource undecided: no match.
        Resources::Not(pats) => pats
            .iter()
            .all(|p| pattern_matches(p, resource, slots, keys) == Some(false)),
    }
}

/// Substitutes variables into a template's parts: `None` if a variable has no value and no default.
fn with_pieces<const N: usize, R>(
    parts: &[Part],
    slots: &Slots<'_, N>,
    keys: &dyn KeyTable,
    f: impl FnOnce(&[Piece<'_>]) -> R,
) -> Option<R> {
    let pieces = parts.iter().map(|part| match part {
        Part::Text(t) => Some(Piece::Text(t)),
        Part::Star => Some(Piece::Star),
        Part::AnyChar => Some(Piece::AnyChar),
        Part::Var(v) => variable(v, slots, keys).map(Piece::Text),
    });
    glob::with_pieces(pieces, f)
}

fn variable<'a, const N: usize>(
    v: &'a crate::ir::Var,
    slots: &Slots<'a, N>,
    keys: &dyn KeyTable,
) -> Option<&'a str> {
    cond::variable(slots.get(keys, v.slot), v.default.as_deref())
}

/// `Some(matched)`, or `None` when a variable of the pattern cannot be substituted.
fn pattern_matches<const N: usize>(
    p: &Pattern,
    input: &str,
    slots: &Slots<'_, N>,
    keys: &dyn KeyTable,
) -> Option<bool> {
    match p {
        Pattern::Glob(g) => Some(glob::matches(g, input)),
        Pattern::Template(parts) => with_pieces(parts, slots, keys, |pieces| {
            glob::matches_star_pieces(pieces, input)
        }),
    }
}

/// Whether a template (text and variables, no wildcards) equals `input`.
fn template_equals<const N: usize>(
    parts: &[Part],
    input: &str,
    ignore_case: bool,
    slots: &Slots<'_, N>,
    keys: &dyn KeyTable,
) -> bool {
    let texts = parts.iter().map(|part| match part {
        Part::Text(t) => Some(t.as_str()),
        Part::Var(v) => variable(v, slots, keys),
        Part::Star | Part::AnyChar => None,
    });
    scalar::template_equals(texts, input, ignore_case)
}

/// Whether one condition holds for the request.
pub fn condition_holds<const N: usize>(
    c: &Condition,
    slots: &Slots<'_, N>,
    keys: &dyn KeyTable,
) -> bool {
    if !c.vars.iter().all(|v| variable(v, slots, keys).is_some()) {
        return false;
    }
    let value = slots.get(keys, c.slot);
    match &c.test {
        Test::Null {
            want_missing,
            want_present,
        } => cond::null(value, *want_missing, *want_present),
        test => cond::check(c.mode, value, |s| matches_any(test, s, slots, keys)),
    }
}

/// Does one request value match at least one of the test's values (positive form)?
fn matches_any<const N: usize>(
    test: &Test,
    s: Scalar<'_>,
    slots: &Slots<'_, N>,
    keys: &dyn KeyTable,
) -> Option<bool> {
    match test {
        Test::Equals {
            ignore_case,
            constants,
            templates,
        } => {
            let text = cond::as_text(s)?;
            let in_constants = if *ignore_case {
                constants.iter().any(|c| scalar::eq_ignore_case(c, text))
            } else {
                constants.binary_search_by(|c| c.as_str().cmp(text)).is_ok()
            };
            Some(
                in_constants
                    || templates
                        .iter()
                        .any(|t| template_equals(t, text, *ignore_case, slots, keys)),
            )
        }
        Test::Like(pats) => {
            let text = cond::as_text(s)?;
            Some(
                pats.iter()
                    .any(|p| pattern_matches(p, text, slots, keys) == Some(true)),
            )
        }
        Test::Arn(pats) => {
            let text = cond::as_arn(s)?;
            Some(pats.iter().any(|parts| {
                with_pieces(parts, slots, keys, |pieces| {
                    arn::arn_matches(pieces, text) == Some(true)
                }) == Some(true)
            }))
        }
        Test::Number(cmp, values) => cond::number_any(s, *cmp, values),
        Test::Date(cmp, values) => cond::time_any(s, *cmp, values),
        Test::Bool(values) => cond::bool_any(s, values),
        Test::Binary(values) => {
            let text = cond::as_text(s)?;
            Some(values.iter().any(|v| v == text))
        }
        Test::Ip(blocks) => cond::ip_in_any(s, blocks),
        Test::Null { .. } => None,
    }
}

/// The run-time evaluator's key table: sorted names, searched case-insensitively.
#[derive(Clone, Debug)]
struct KeyIndex {
    /// (lower-cased name, slot), sorted by name.
    names: Vec<(String, u16)>,
    /// (family, lower-cased tag key, slot), sorted.
    tags: Vec<(TagFamily, String, u16)>,
    builtins: [Option<u16>; 3],
    infos: Vec<Key>,
}

impl KeyIndex {
    fn new(ir: &PolicySet) -> Self {
        let mut names: Vec<(String, u16)> = Vec::new();
        let mut tags = Vec::new();
        let mut builtins = [None; 3];
        for (slot, key) in ir.keys.iter().enumerate() {
            let slot = slot as u16;
            names.push((key.name.clone(), slot));
            names.extend(key.aliases.iter().map(|a| (a.clone(), slot)));
            if let Some((f, k)) = &key.tag {
                tags.push((*f, k.clone(), slot));
            }
            if let Some(b) = key.builtin {
                builtins[builtin_index(b)] = Some(slot);
            }
        }
        names.sort();
        tags.sort();
        let infos = ir.keys.clone();
        KeyIndex {
            names,
            tags,
            builtins,
            infos,
        }
    }
}

fn builtin_index(b: Builtin) -> usize {
    match b {
        Builtin::CurrentTime => 0,
        Builtin::EpochTime => 1,
        Builtin::TagKeys => 2,
    }
}

/// Compares a lower-cased key with a key in any case, as if both were lower-cased.
fn cmp_folded(lower: &str, any: &str) -> std::cmp::Ordering {
    lower
        .bytes()
        .cmp(any.bytes().map(|b| b.to_ascii_lowercase()))
}

impl KeyTable for KeyIndex {
    fn slot_count(&self) -> usize {
        self.infos.len()
    }

    fn slot_of(&self, key: &str) -> Option<u16> {
        self.names
            .binary_search_by(|(n, _)| cmp_folded(n, key))
            .ok()
            .and_then(|i| self.names.get(i))
            .map(|(_, s)| *s)
    }

    fn tag_slot_of(&self, family: TagFamily, tag_key: &str) -> Option<u16> {
        self.tags
            .binary_search_by(|(f, k, _)| f.cmp(&family).then_with(|| cmp_folded(k, tag_key)))
            .ok()
            .and_then(|i| self.tags.get(i))
            .map(|(_, _, s)| *s)
    }

    fn builtin_slot(&self, builtin: Builtin) -> Option<u16> {
        self.builtins[builtin_index(builtin)]
    }

    fn info(&self, slot: u16) -> KeyInfo<'_> {
        match self.infos.get(usize::from(slot)) {
            Some(key) => KeyInfo {
                name: &key.name,
                tag: key.tag.as_ref().map(|(f, k)| (*f, k.as_str())),
                builtin: key.builtin,
                aliased: !key.aliases.is_empty(),
            },
            None => KeyInfo {
                name: "",
                tag: None,
                builtin: None,
                aliased: false,
            },
        }
    }
}

/// Whether a qualifier is a set operator (for lints and explanations).
pub fn is_set_operator(q: Qualifier) -> bool {
    q != Qualifier::Single
}
