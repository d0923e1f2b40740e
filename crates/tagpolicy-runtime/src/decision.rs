//! Decisions and the statements that make them.

use crate::grants::UsedGrants;
use crate::request::Request;

/// The effect of a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The statement allows.
    Allow,
    /// The statement denies; an applicable Deny wins over every Allow.
    Deny,
}

/// Which statement decided: its policy's position in the set, its own position in the policy and
/// its `Sid`, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatementRef<'p> {
    /// Index of the policy in the policy set (0-based).
    pub policy: u32,
    /// Index of the statement in its policy (0-based).
    pub statement: u32,
    /// The statement's `Sid`.
    pub sid: Option<&'p str>,
}

/// The answer to a request.
///
/// When several statements apply, an explicit Deny names the first applicable Deny statement and
/// an Allow names the first applicable Allow statement, in (policy, statement) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision<'p> {
    /// Some statement allows and none denies.
    Allow(StatementRef<'p>),
    /// An applicable Deny statement.
    Deny(StatementRef<'p>),
    /// No statement applies.
    ImplicitDeny,
}

impl<'p> Decision<'p> {
    /// Whether the request is allowed.
    pub const fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The deciding statement, if a statement decided.
    pub const fn statement(&self) -> Option<StatementRef<'p>> {
        match *self {
            Decision::Allow(s) | Decision::Deny(s) => Some(s),
            Decision::ImplicitDeny => None,
        }
    }

    /// `"Allow"` or `"Deny"`.
    pub const fn as_str(&self) -> &'static str {
        if self.is_allowed() {
            "Allow"
        } else {
            "Deny"
        }
    }
}

/// A decision with the grants the deciding statement relied on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Evaluation<'p, 'r> {
    /// The decision.
    pub decision: Decision<'p>,
    /// The grants that gave a value the deciding statement read (an `aws:PrincipalTag/k` in a
    /// condition or a policy variable). Empty for an implicit deny.
    pub grants: UsedGrants<'r>,
}

/// The position of a statement among all statements of a set, given each policy's first
/// statement's position (`policy_offsets`): what per-statement tables are indexed by.
pub fn flat_statement_index(policy_offsets: &[u32], statement: StatementRef<'_>) -> Option<usize> {
    let first = policy_offsets.get(statement.policy as usize)?;
    usize::try_from(first.checked_add(statement.statement)?).ok()
}

/// A set of policies that decides requests: implemented by compiled policies and by policies
/// loaded at run time. Evaluation allocates nothing.
pub trait Policy {
    /// Decides a request.
    fn evaluate<'s>(&'s self, request: &Request<'_>) -> Decision<'s>;

    /// Calls `f` with each principal tag key (lower-cased, `team` for `aws:PrincipalTag/team`)
    /// that a statement reads, in conditions or policy variables; nothing for an unknown
    /// statement.
    fn principal_tags_read(&self, statement: StatementRef<'_>, f: &mut dyn FnMut(&str));

    /// Decides a request and names the grants the deciding statement relied on: those whose
    /// granted tag replaced a principal tag the statement reads. No allocation.
    fn evaluate_with_grants<'s, 'r>(&'s self, request: &Request<'r>) -> Evaluation<'s, 'r> {
        let decision = self.evaluate(request);
        let mut grants = UsedGrants::of(request.grants);
        let table = request.grants;
        let ctx = request.grant_context();
        if let Some(statement) = decision.statement() {
            if table.applies(&ctx) {
                self.principal_tags_read(statement, &mut |key| {
                    if let Some((_, g)) = table.tag(key, &ctx) {
                        grants.push(g);
                    }
                });
            }
        }
        Evaluation { decision, grants }
    }
}
