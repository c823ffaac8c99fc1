//! Handles: the `int` values C programs hold for MPI objects, encoded as
//! MPICH encodes them, and the tables that map them to objects.
//!
//! MPICH's handles carry their kind: bits 30-31 say builtin (`01`) or
//! allocated (`10`), bits 26-29 the object kind (communicator, group,
//! datatype...). Predefined handles (MPI_COMM_WORLD = 0x44000000) are
//! fixed by the ABI; the handles shmpi allocates are
//! `0x80000000 | kind << 26 | generation << 18 | index`. The generation
//! changes every time a slot is reused, so a freed handle, or a handle of
//! another kind, is reported as invalid instead of reaching a wrong object.

use std::os::raw::c_int;

/// Kinds of object, as MPICH numbers them in bits 26-29 of a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// MPI_Comm.
    Comm = 0x1,
    /// MPI_Group.
    Group = 0x2,
    /// MPI_Datatype.
    Datatype = 0x3,
    /// MPI_Errhandler.
    Errhandler = 0x5,
    /// MPI_Op.
    Op = 0x6,
    /// MPI_Info.
    Info = 0x7,
    /// MPI_Win.
    Win = 0x8,
    /// Attribute keyvals.
    Keyval = 0x9,
    /// MPI_Request (and MPI_Message).
    Request = 0xb,
    /// MPI_Message.
    Message = 0xc,
}

const ALLOCATED: u32 = 0x8000_0000;
const INDEX_BITS: u32 = 18;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u32 = 0xff;

/// A slab of objects of one kind, addressed by allocated handles.
pub struct Table<T> {
    kind: Kind,
    slots: Vec<(u8, Option<T>)>,
    free: Vec<u32>,
}

impl<T> Table<T> {
    /// An empty table for objects of `kind`.
    pub const fn new(kind: Kind) -> Table<T> {
        Table {
            kind,
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Stores `v` and returns its new handle.
    pub fn insert(&mut self, v: T) -> c_int {
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push((0, None));
                (self.slots.len() - 1) as u32
            }
        };
        assert!(
            idx <= INDEX_MASK,
            "more than {INDEX_MASK} live MPI objects of one kind"
        );
        let slot = &mut self.slots[idx as usize];
        slot.1 = Some(v);
        (ALLOCATED | (self.kind as u32) << 26 | (slot.0 as u32 & GEN_MASK) << INDEX_BITS | idx)
            as c_int
    }

    fn index(&self, h: c_int) -> Option<usize> {
        let h = h as u32;
        if h & 0xc000_0000 != ALLOCATED || (h >> 26) & 0xf != self.kind as u32 {
            return None;
        }
        let idx = (h & INDEX_MASK) as usize;
        let gen = ((h >> INDEX_BITS) & GEN_MASK) as u8;
        match self.slots.get(idx) {
            Some((g, Some(_))) if *g == gen => Some(idx),
            _ => None,
        }
    }

    /// The object of handle `h`, if `h` is a live handle of this table.
    pub fn get(&self, h: c_int) -> Option<&T> {
        self.index(h).and_then(|i| self.slots[i].1.as_ref())
    }

    /// The object of handle `h`, mutably.
    pub fn get_mut(&mut self, h: c_int) -> Option<&mut T> {
        self.index(h).and_then(|i| self.slots[i].1.as_mut())
    }

    /// Removes the object of handle `h`; the handle becomes invalid.
    pub fn remove(&mut self, h: c_int) -> Option<T> {
        let i = self.index(h)?;
        let slot = &mut self.slots[i];
        slot.0 = slot.0.wrapping_add(1);
        self.free.push(i as u32);
        slot.1.take()
    }

    /// Whether `h` looks like a handle this table allocates (live or not).
    pub fn is_own_kind(&self, h: c_int) -> bool {
        let h = h as u32;
        h & 0xc000_0000 == ALLOCATED && (h >> 26) & 0xf == self.kind as u32
    }

    /// Live handles and their objects.
    pub fn iter(&self) -> impl Iterator<Item = (c_int, &T)> {
        let kind = self.kind as u32;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, (g, v))| {
                v.as_ref().map(|v| {
                    (
                        (ALLOCATED | kind << 26 | (*g as u32) << INDEX_BITS | i as u32) as c_int,
                        v,
                    )
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_and_foreign_handles_are_invalid() {
        let mut t = Table::new(Kind::Comm);
        let a = t.insert(1);
        assert_eq!(a as u32 & 0xfc00_0000, 0x8400_0000);
        assert_eq!(t.get(a), Some(&1));
        assert_eq!(t.remove(a), Some(1));
        assert_eq!(t.get(a), None);
        let b = t.insert(2);
        assert_ne!(a, b, "a reused slot gets a new generation");
        assert_eq!(t.get(a), None);
        assert_eq!(t.get(b), Some(&2));
        let mut g: Table<i32> = Table::new(Kind::Group);
        let h = g.insert(3);
        assert_eq!(t.get(h), None, "a group handle is no communicator");
        assert_eq!(t.get(0x4400_0000), None);
    }
}
