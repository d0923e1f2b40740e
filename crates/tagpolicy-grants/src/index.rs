//! Principal name → position of its grants in a snapshot: the one lookup every evaluation with
//! grants makes.
//!
//! An open-addressing table built once per snapshot (a store change rebuilds it; evaluations only
//! read it): each entry keeps a principal's full 64-bit hash and position, at most half the
//! entries are used, and a lookup probes linearly from the hash's top bits. A short name is
//! hashed in a few instructions (one or two word loads and one multiply), and a position is only
//! returned once the caller has compared the name itself, so a collision costs a probe, never
//! another principal's grants. The hash is keyed by a per-store random seed, so names cannot be
//! chosen to collide.

use std::hash::BuildHasher;

/// `K` from the golden ratio: odd, with its bits spread.
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The 128-bit product of `a` and `b`, its halves xor-ed: every output bit depends on every
/// input bit of both.
#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let p = u128::from(a).wrapping_mul(u128::from(b));
    (p as u64) ^ ((p >> 64) as u64)
}

/// A store's hash key: the random seed and a second word derived from it once (so a lookup
/// does not derive it again).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Seed {
    lo: u64,
    hi: u64,
}

impl Seed {
    /// The key of `seed`.
    pub(crate) const fn new(seed: u64) -> Seed {
        Seed {
            lo: seed,
            hi: seed.rotate_left(32) ^ K,
        }
    }
}

/// A name of at most 8 bytes as one number, little-endian (no byte swapping): with its length,
/// every such name has its own. 4 to 8 bytes: the first four and the last four (overlapping);
/// 1 to 3: the first, middle and last byte.
#[inline(always)]
fn short_word(name: &[u8]) -> u64 {
    match (name.first_chunk::<4>(), name.last_chunk::<4>()) {
        (Some(first), Some(last)) => {
            u64::from(u32::from_le_bytes(*first)) | (u64::from(u32::from_le_bytes(*last)) << 32)
        }
        _ => {
            let byte = |i: usize| u64::from(name.get(i).copied().unwrap_or(0));
            let last = name.len().saturating_sub(1);
            byte(0) | (byte(name.len() / 2) << 8) | (byte(last) << 16)
        }
    }
}

/// The hash of `name` under `seed`. Names of at most 16 bytes (almost all) take one multiply;
/// longer ones one per 16 bytes.
#[inline(always)]
fn hash(seed: Seed, name: &[u8]) -> u64 {
    let len = name.len() as u64;
    let (lo, hi) = match (name.first_chunk::<8>(), name.last_chunk::<8>()) {
        (Some(first), Some(last)) if name.len() <= 16 => {
            (u64::from_le_bytes(*first), u64::from_le_bytes(*last))
        }
        (Some(_), Some(last)) => {
            // Every whole 16 bytes, then the last 16 (overlapping the last whole chunk).
            let mut acc = seed.lo;
            for chunk in name.chunks_exact(16) {
                if let (Some(a), Some(b)) = (chunk.first_chunk::<8>(), chunk.last_chunk::<8>()) {
                    acc = mix(acc ^ u64::from_le_bytes(*a), u64::from_le_bytes(*b) ^ K);
                }
            }
            let tail = name.len().saturating_sub(16);
            let a = name
                .get(tail..)
                .and_then(<[u8]>::first_chunk::<8>)
                .map_or(0, |a| u64::from_le_bytes(*a));
            (mix(acc ^ a, K), u64::from_le_bytes(*last))
        }
        // Below 8 bytes: one number (with the length, unique).
        _ => (short_word(name), 0),
    };
    // Both factors keyed by the seed (as foldhash does), so no name can be chosen to zero one.
    mix(lo ^ seed.lo, hi ^ seed.hi.wrapping_add(len))
}

/// One entry: a name's hash and its value (`None`: empty).
#[derive(Clone, Debug)]
struct Entry<T> {
    hash: u64,
    value: Option<T>,
}

/// Name → value, for one snapshot. See the module docs. The values sit in the entries, so a
/// lookup reads one entry (and what its value points to).
#[derive(Clone, Debug)]
pub(crate) struct PrincipalIndex<T> {
    seed: Seed,
    /// Top bits of a hash that pick its first entry: `64 - log2(entries.len())`.
    shift: u32,
    /// A power of two of entries, at most half of them used.
    entries: Box<[Entry<T>]>,
}

/// The fewest entries a table has.
const MIN_ENTRIES: usize = 8;

impl<T> Default for PrincipalIndex<T> {
    fn default() -> Self {
        PrincipalIndex::new(0, std::iter::empty::<(&str, T)>())
    }
}

/// A fresh random seed (one per store).
pub(crate) fn random_seed() -> u64 {
    foldhash::fast::RandomState::default().hash_one(0x7461_6770_6f6c_6963_u64)
}

impl<T> PrincipalIndex<T> {
    /// The index of `(name, value)` pairs (names distinct).
    pub(crate) fn new<'a>(seed: u64, items: impl ExactSizeIterator<Item = (&'a str, T)>) -> Self {
        let seed = Seed::new(seed);
        let len = items
            .len()
            .saturating_mul(2)
            .max(MIN_ENTRIES)
            .next_power_of_two();
        let mut entries: Box<[Entry<T>]> = (0..len)
            .map(|_| Entry {
                hash: 0,
                value: None,
            })
            .collect();
        let shift = 64u32.saturating_sub(len.trailing_zeros());
        let mask = len.wrapping_sub(1);
        for (name, value) in items {
            let h = hash(seed, name.as_bytes());
            let mut at = (h >> shift) as usize & mask;
            while entries.get(at).is_some_and(|e| e.value.is_some()) {
                at = at.wrapping_add(1) & mask;
            }
            if let Some(e) = entries.get_mut(at) {
                *e = Entry {
                    hash: h,
                    value: Some(value),
                };
            }
        }
        PrincipalIndex {
            seed,
            shift,
            entries,
        }
    }

    /// The values, in entry order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter_map(|e| e.value.as_ref())
    }

    /// The value in entry `entry` (a position [`PrincipalIndex::find`] gave), if it has one.
    #[inline(always)]
    pub(crate) fn at(&self, entry: usize) -> Option<&T> {
        self.entries.get(entry)?.value.as_ref()
    }

    /// The value of `name` and the entry it is in: the first candidate (same hash) that
    /// `is_name` confirms. Inlined: it is the one lookup of every evaluation with grants.
    #[inline(always)]
    pub(crate) fn find(&self, name: &str, is_name: impl Fn(&T) -> bool) -> Option<(usize, &T)> {
        let h = hash(self.seed, name.as_bytes());
        let mask = self.entries.len().wrapping_sub(1);
        let mut at = (h >> self.shift) as usize & mask;
        // At most half the entries are used, so the probe meets an empty one.
        loop {
            let e = self.entries.get(at)?;
            let value = e.value.as_ref()?;
            if e.hash == h && is_name(value) {
                return Some((at, value));
            }
            at = at.wrapping_add(1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("user-{i}")).collect()
    }

    #[test]
    fn every_name_is_found_at_its_position_and_no_other_name_is() {
        for n in [0, 1, 3, 4, 5, 100, 25_000] {
            let names = names(n);
            let index = PrincipalIndex::new(
                random_seed(),
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.as_str(), (i as u32, n.clone()))),
            );
            assert_eq!(index.values().count(), n);
            let find = |name: &str| {
                let (entry, (i, _)) = index.find(name, |(_, n)| n == name)?;
                assert_eq!(index.at(entry).map(|(_, n)| n.as_str()), Some(name));
                Some(*i)
            };
            for (i, name) in names.iter().enumerate() {
                assert_eq!(find(name), Some(i as u32), "{name}");
            }
            let past = format!("user-{n}");
            for absent in ["", "user-", "User-0", "user-00", "alice", &past] {
                assert_eq!(find(absent), None, "{absent}");
            }
        }
    }

    /// Names of every length up to 40 bytes, differing in one byte anywhere, hash apart (the
    /// lookup stays correct anyway: equal hashes only cost a comparison).
    #[test]
    fn names_differing_in_one_byte_hash_apart() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=base.len() {
            let name = &base[..len];
            let h = hash(Seed::new(7), name);
            for at in 0..len {
                let mut other = name.to_vec();
                other[at] ^= 0x20;
                assert_ne!(hash(Seed::new(7), &other), h, "len {len}, byte {at}");
            }
            if len > 0 {
                assert_ne!(
                    hash(Seed::new(7), &name[..len - 1]),
                    h,
                    "len {len} vs shorter"
                );
            }
            assert_ne!(hash(Seed::new(8), name), h, "seed, len {len}");
        }
    }

    #[test]
    fn a_name_hashed_like_another_is_told_apart_by_the_caller() {
        let index = PrincipalIndex::new(1, [("a", 0), ("b", 1)].into_iter());
        // The caller rejects every candidate: nothing is found.
        assert_eq!(index.find("a", |_| false), None);
        assert_eq!(index.find("b", |p| *p == 1).map(|(_, p)| *p), Some(1));
    }
}
