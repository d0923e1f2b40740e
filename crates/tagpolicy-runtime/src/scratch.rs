//! Scratch space for values a JSON Logic condition computes (`cat`, `merge`, `map`, array
//! literals, …): a bump allocator over buffers the caller keeps on its stack. Nothing is freed
//! one by one and nothing touches the heap; when the space runs out, the allocation fails and the
//! condition is false (fail closed).

use core::fmt::{self, Write};

use crate::jsonlogic::Val;

/// Values of scratch space a permission condition that computes values gets at most (both
/// evaluation paths use the same budget, so they fail at the same point). A condition whose use
/// has a smaller upper bound known at build time gets only that much (the compiler's
/// `Expr::scratch_budget`): it cannot run out before its bound, so it fails at the same points.
pub const CONDITION_VALS: usize = 256;
/// Bytes of scratch space a permission condition gets.
pub const CONDITION_BYTES: usize = 4096;
/// Object members of scratch space a permission condition gets.
pub const CONDITION_MEMBERS: usize = 32;

/// A bump allocator over caller-provided buffers, handing out values that live as long as them.
///
/// ```
/// use core::fmt::Write;
/// use tagpolicy_runtime::jsonlogic::Val;
/// use tagpolicy_runtime::scratch::Scratch;
/// let mut vals = [Val::Null; 8];
/// let mut bytes = [0u8; 64];
/// let mut scratch = Scratch::new(&mut vals, &mut bytes);
/// let s = scratch.string(|w| write!(w, "home_{}", "alice")).unwrap();
/// assert_eq!(s, "home_alice");
/// let a = scratch.array([Val::Str(s), Val::Num(1.0)]).unwrap();
/// assert_eq!(a.len(), 2);
/// ```
#[derive(Debug)]
pub struct Scratch<'s> {
    vals: &'s mut [Val<'s>],
    bytes: &'s mut [u8],
    members: &'s mut [(&'s str, Val<'s>)],
}

impl<'s> Scratch<'s> {
    /// Scratch space over two buffers.
    pub fn new(vals: &'s mut [Val<'s>], bytes: &'s mut [u8]) -> Self {
        Scratch {
            vals,
            bytes,
            members: &mut [],
        }
    }

    /// Adds room for object members (literal objects in a rule).
    pub fn with_members(mut self, members: &'s mut [(&'s str, Val<'s>)]) -> Self {
        self.members = members;
        self
    }

    /// Reserves `n` object members (initialised to `("", null)`); `None` when there is no room.
    pub fn alloc_members(&mut self, n: usize) -> Option<&'s mut [(&'s str, Val<'s>)]> {
        let head = take_front(&mut self.members, n)?;
        head.fill(("", Val::Null));
        Some(head)
    }

    /// No space at all: every allocation fails. For conditions that never compute values.
    pub fn none() -> Scratch<'s> {
        Scratch {
            vals: &mut [],
            bytes: &mut [],
            members: &mut [],
        }
    }

    /// Room left for values.
    pub fn vals_left(&self) -> usize {
        self.vals.len()
    }

    /// Stores values as an array; `None` when there is no room.
    pub fn array<I>(&mut self, items: I) -> Option<&'s [Val<'s>]>
    where
        I: IntoIterator<Item = Val<'s>>,
        I::IntoIter: ExactSizeIterator,
    {
        let items = items.into_iter();
        let dst = self.alloc(items.len())?;
        for (slot, v) in dst.iter_mut().zip(items) {
            *slot = v;
        }
        Some(dst)
    }

    /// Reserves `n` values (initialised to null) to fill in; `None` when there is no room.
    pub fn alloc(&mut self, n: usize) -> Option<&'s mut [Val<'s>]> {
        let head = take_front(&mut self.vals, n)?;
        head.fill(Val::Null);
        Some(head)
    }

    /// Writes a string with `f`; `None` when it does not fit.
    pub fn string(
        &mut self,
        f: impl FnOnce(&mut ScratchWriter<'_>) -> fmt::Result,
    ) -> Option<&'s str> {
        let rest = core::mem::take(&mut self.bytes);
        let mut w = ScratchWriter {
            buf: rest,
            len: 0,
            overflow: false,
        };
        let ok = f(&mut w).is_ok() && !w.overflow;
        let ScratchWriter { buf, len, .. } = w;
        if !ok {
            self.bytes = buf;
            return None;
        }
        let (head, tail) = buf.split_at_mut(len);
        self.bytes = tail;
        core::str::from_utf8(head).ok()
    }
}

/// Splits the first `n` elements off a free region; `None` (region unchanged) when it is smaller.
fn take_front<'s, T>(region: &mut &'s mut [T], n: usize) -> Option<&'s mut [T]> {
    let rest = core::mem::take(region);
    if n > rest.len() {
        *region = rest;
        return None;
    }
    let (head, tail) = rest.split_at_mut(n);
    *region = tail;
    Some(head)
}

/// Writes into the free part of a [`Scratch`]'s byte buffer.
#[derive(Debug)]
pub struct ScratchWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: bool,
}

impl Write for ScratchWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
                Ok(())
            }
            None => {
                self.overflow = true;
                Err(fmt::Error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_are_disjoint_and_fail_when_full() {
        let mut vals = [Val::Null; 3];
        let mut bytes = [0u8; 8];
        let mut s = Scratch::new(&mut vals, &mut bytes);
        let a = s.string(|w| w.write_str("abcd")).unwrap();
        let b = s.string(|w| w.write_str("efgh")).unwrap();
        assert_eq!((a, b), ("abcd", "efgh"));
        assert!(s.string(|w| w.write_str("x")).is_none(), "bytes exhausted");
        let x = s.array([Val::Num(1.0), Val::Num(2.0)]).unwrap();
        assert!(
            s.array([Val::Null, Val::Null]).is_none(),
            "only one value left"
        );
        let y = s.array([Val::Bool(true)]).unwrap();
        assert_eq!(x, &[Val::Num(1.0), Val::Num(2.0)]);
        assert_eq!(y, &[Val::Bool(true)]);
        assert_eq!(s.vals_left(), 0);
    }

    #[test]
    fn a_failed_string_leaves_the_space_usable() {
        let mut vals: [Val<'_>; 0] = [];
        let mut bytes = [0u8; 4];
        let mut s = Scratch::new(&mut vals, &mut bytes);
        assert!(s.string(|w| w.write_str("too long")).is_none());
        assert_eq!(s.string(|w| w.write_str("ok")), Some("ok"));
        assert!(Scratch::none().array([Val::Null]).is_none());
    }
}
