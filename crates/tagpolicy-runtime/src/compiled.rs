//! What generated code builds: the compiled policy value and its static lookup tables.
//!
//! The code generator of `tagpolicy-compiler` emits `static` literals of these types (their fields
//! are public but hidden, as `phf::Map`'s are) and one function per statement. Users only see
//! [`CompiledPolicy`].

use crate::decision::{flat_statement_index, Decision, Evaluation, Policy, StatementRef};
use crate::grants::UsedGrants;
use crate::request::{Request, TagFamily};
use crate::slots::{Builtin, KeyInfo, KeyTable};

/// A policy set compiled to Rust at build time (by `policy!` or a build script): a `static` value
/// that decides requests with no parsing and no allocation.
#[derive(Clone, Copy)]
pub struct CompiledPolicy {
    /// Decides; with `Some(used)`, also names there the grants the deciding statement relied on.
    #[doc(hidden)]
    pub evaluate: for<'r> fn(&Request<'r>, Option<&mut UsedGrants<'r>>) -> Decision<'static>,
    #[doc(hidden)]
    pub sources: &'static [&'static str],
    #[doc(hidden)]
    pub statements: usize,
    /// For each policy, the flat index of its first statement.
    #[doc(hidden)]
    pub policy_offsets: &'static [u32],
    /// For each statement (flat index), the principal tag keys it reads.
    #[doc(hidden)]
    pub principal_tags: &'static [&'static [&'static str]],
}

fn deny_all<'r>(_: &Request<'r>, _: Option<&mut UsedGrants<'r>>) -> Decision<'static> {
    Decision::ImplicitDeny
}

impl CompiledPolicy {
    /// A policy set with no statements: every request is implicitly denied. What `policy!`
    /// expands to next to its compile error, so the user sees that one error and no cascade.
    pub const DENY_ALL: CompiledPolicy = CompiledPolicy {
        evaluate: deny_all,
        sources: &[],
        statements: 0,
        policy_offsets: &[],
        principal_tags: &[],
    };

    /// Decides a request (the same as [`Policy::evaluate`], with a `'static` decision).
    #[inline]
    pub fn decide(&self, request: &Request<'_>) -> Decision<'static> {
        (self.evaluate)(request, None)
    }

    /// The files (or labels) of the policies, by policy index.
    pub fn sources(&self) -> &'static [&'static str] {
        self.sources
    }

    /// How many statements the set has.
    pub fn statement_count(&self) -> usize {
        self.statements
    }
}

impl Policy for CompiledPolicy {
    #[inline]
    fn evaluate<'s>(&'s self, request: &Request<'_>) -> Decision<'s> {
        (self.evaluate)(request, None)
    }

    /// Decides and names the grants from the decision's own slot table (no second search).
    #[inline]
    fn evaluate_with_grants<'s, 'r>(&'s self, request: &Request<'r>) -> Evaluation<'s, 'r> {
        let mut grants = UsedGrants::of(request.grants);
        let decision = if request.grants.is_empty() {
            (self.evaluate)(request, None)
        } else {
            (self.evaluate)(request, Some(&mut grants))
        };
        Evaluation { decision, grants }
    }

    fn principal_tags_read(&self, statement: StatementRef<'_>, f: &mut dyn FnMut(&str)) {
        let keys = flat_statement_index(self.policy_offsets, statement)
            .and_then(|flat| self.principal_tags.get(flat));
        for key in keys.copied().unwrap_or(&[]) {
            f(key);
        }
    }
}

impl core::fmt::Debug for CompiledPolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CompiledPolicy")
            .field("sources", &self.sources)
            .field("statements", &self.statements)
            .finish()
    }
}

/// Longest key that is folded on the stack for a perfect-hash lookup; longer keys are compared
/// entry by entry.
const FOLD_BUFFER: usize = 128;

/// A case-insensitive map from lower-cased names to small numbers: a short list compared one by
/// one (faster than hashing for a handful of names) or a perfect-hash map.
#[derive(Debug)]
pub enum NameMap {
    /// At most a few entries: linear, ASCII-case-insensitive comparison.
    #[doc(hidden)]
    Small(&'static [(&'static str, u32)]),
    /// A perfect-hash map over the lower-cased names (their bytes).
    #[doc(hidden)]
    Phf(phf::Map<&'static [u8], u32>),
}

impl NameMap {
    /// The value of `name`, compared ASCII-case-insensitively.
    #[inline]
    pub fn get(&self, name: &str) -> Option<u32> {
        match self {
            NameMap::Small(entries) => entries
                .iter()
                .find(|(k, _)| eq_folded(k, name))
                .map(|(_, v)| *v),
            NameMap::Phf(_) => self.get_prefixed("", name),
        }
    }

    /// The value of `prefix` followed by `name` (`prefix` already lower-case).
    pub fn get_prefixed(&self, prefix: &str, name: &str) -> Option<u32> {
        let len = prefix.len().checked_add(name.len())?;
        match self {
            NameMap::Small(entries) => entries
                .iter()
                .find(|(k, _)| is_prefixed(k.as_bytes(), prefix, name))
                .map(|(_, v)| *v),
            NameMap::Phf(map) => {
                let mut buf = [0u8; FOLD_BUFFER];
                let Some(dst) = buf.get_mut(..len) else {
                    return map
                        .entries()
                        .find(|(k, _)| is_prefixed(k, prefix, name))
                        .map(|(_, v)| *v);
                };
                let (head, tail) = dst.split_at_mut(prefix.len());
                head.copy_from_slice(prefix.as_bytes());
                tail.copy_from_slice(name.as_bytes());
                fold_in_place(dst);
                map.get(&*dst).copied()
            }
        }
    }
}

/// Lower-cases the ASCII letters of `bytes`, eight at a time.
#[inline]
fn fold_in_place(bytes: &mut [u8]) {
    let mut chunks = bytes.chunks_exact_mut(8);
    for chunk in &mut chunks {
        if let Some(word) = chunk.first_chunk_mut::<8>() {
            *word = crate::bytes::fold(u64::from_ne_bytes(*word)).to_ne_bytes();
        }
    }
    chunks.into_remainder().make_ascii_lowercase();
}

/// Whether the lower-cased `key` is `name` in any ASCII case.
#[inline]
fn eq_folded(key: &str, name: &str) -> bool {
    crate::bytes::eq_lower(key.as_bytes(), name.as_bytes())
}

/// Whether the lower-cased `key` is `prefix` followed by `name` in any ASCII case.
fn is_prefixed(key: &[u8], prefix: &str, name: &str) -> bool {
    key.len() == prefix.len().saturating_add(name.len())
        && key.get(..prefix.len()) == Some(prefix.as_bytes())
        && key
            .get(prefix.len()..)
            .is_some_and(|rest| rest.eq_ignore_ascii_case(name.as_bytes()))
}

/// The key table of a compiled policy: names → slots, with what each slot stands for.
#[derive(Debug)]
pub struct StaticKeys {
    #[doc(hidden)]
    pub names: NameMap,
    #[doc(hidden)]
    pub builtins: [Option<u16>; 3],
    #[doc(hidden)]
    pub infos: &'static [KeyInfo<'static>],
}

impl KeyTable for StaticKeys {
    #[inline]
    fn slot_count(&self) -> usize {
        self.infos.len()
    }

    #[inline]
    fn slot_of(&self, key: &str) -> Option<u16> {
        self.names.get(key).and_then(|s| u16::try_from(s).ok())
    }

    #[inline]
    fn tag_slot_of(&self, family: TagFamily, tag_key: &str) -> Option<u16> {
        let slot = self
            .names
            .get_prefixed(family.prefix(), tag_key)
            .and_then(|s| u16::try_from(s).ok())?;
        // Only keys the IR made tag keys of that family (never `aws:principaltag/` itself for an
        // empty tag key, which the IR treats as an ordinary key).
        let info = self.infos.get(usize::from(slot))?;
        matches!(info.tag, Some((f, _)) if f == family).then_some(slot)
    }

    #[inline]
    fn builtin_slot(&self, builtin: Builtin) -> Option<u16> {
        let i = match builtin {
            Builtin::CurrentTime => 0,
            Builtin::EpochTime => 1,
            Builtin::TagKeys => 2,
        };
        self.builtins.get(i).copied().flatten()
    }

    fn info(&self, slot: u16) -> KeyInfo<'_> {
        self.infos
            .get(usize::from(slot))
            .copied()
            .unwrap_or(KeyInfo {
                name: "",
                tag: None,
                builtin: None,
                aliased: false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_maps_fold_case_and_prefix() {
        let m = NameMap::Small(&[("aws:resourcetag/owner", 3), ("aws:username", 1)]);
        assert_eq!(m.get("AWS:UserName"), Some(1));
        assert_eq!(m.get_prefixed("aws:resourcetag/", "OWNER"), Some(3));
        assert_eq!(m.get_prefixed("aws:resourcetag/", "own"), None);
        assert_eq!(m.get("aws:user"), None);
    }
}
