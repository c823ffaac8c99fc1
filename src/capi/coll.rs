//! Blocking collective entry points, and MPI_Reduce_local.
//!
//! Every collective runs on packed bytes through the engine's collectives
//! (`engine::coll`). A user buffer is described as [`Part`]s, `count`
//! elements of a datatype at a byte offset; [`pack_parts`] turns the
//! send side into bytes (borrowing the caller's memory when every part is
//! contiguous, packing otherwise) and [`Unpacked`] gives the receive side
//! a byte space (the caller's memory, or a staging vector unpacked at the
//! end). Send and receive types may differ: only the byte counts of their
//! signatures must agree, which the engine checks where it can (a
//! disagreement comes back as MPI_ERR_COUNT).
//!
//! The int and large-count (`_c`) forms of an entry point share one
//! implementation over `i64` counts and displacements.
//!
//! Reductions ([`Reduction`]) combine packed elements: a predefined op
//! through [`reduce::apply`], a user function on the user's layout (the
//! packed bytes themselves for a contiguous type, unpacked copies
//! otherwise). The engine folds contributions in rank order,
//! `x0 op (x1 op (...))`, so non-commutative ops are right. The engine
//! cuts streams into chunks of whole elements; a user function on
//! elements larger than a chunk instead gets whole contributions moved
//! (gathered, or all-to-all for reduce-scatter) and folded here, in the
//! same order.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;
use std::os::raw::{c_int, c_void};
use std::rc::Rc;

use super::comm::comm_of;
use super::consts::*;
use super::dtype::{basic_size, comm_type};
use super::errors::call;
use super::errors::NO_OBJECT;
use super::mpi_fn;
use super::op::{call_user, check_predef, op_of, OpRef, UserOp};
use super::reduce;
use super::typemap::TypeMap;
use crate::api::comm::Communicator;
use crate::error::{mpi_err, mpi_error, Result};
use crate::shm::COLL_CHUNK;

// ------------------------------------------------------------ arguments

/// Whether a buffer argument is MPI_IN_PLACE (`(void *)-1`).
fn in_place(p: *const c_void) -> bool {
    p as isize == -1
}

/// An integer argument of either width (int, MPI_Count, MPI_Aint).
trait Wide: Copy {
    fn wide(self) -> i64;
}

impl Wide for c_int {
    fn wide(self) -> i64 {
        self as i64
    }
}

impl Wide for i64 {
    fn wide(self) -> i64 {
        self
    }
}

impl Wide for isize {
    fn wide(self) -> i64 {
        self as i64
    }
}

/// Checks count argument `what`.
fn count(what: &str, n: i64) -> Result<usize> {
    if n < 0 {
        return mpi_err!(Count, "{what} {n} is negative");
    }
    Ok(n as usize)
}

/// Reads the array argument `what` of `n` entries.
///
/// # Safety
/// A non-null `p` must point to `n` readable entries (the standard).
unsafe fn ints<T: Wide>(what: &str, p: *const T, n: usize) -> Result<Vec<i64>> {
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    // SAFETY: not null; the standard makes it hold one entry per rank.
    let s = unsafe { std::slice::from_raw_parts(p, n) };
    Ok(s.iter().map(|v| v.wide()).collect())
}

/// Reads the datatype array argument `what` of `n` entries.
///
/// # Safety
/// As [`ints`].
unsafe fn handles(what: &str, p: *const c_int, n: usize) -> Result<Vec<c_int>> {
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    // SAFETY: not null; one entry per rank.
    Ok(unsafe { std::slice::from_raw_parts(p, n) }.to_vec())
}

fn check_root(c: &Communicator, root: c_int) -> Result<usize> {
    if root < 0 || root >= c.size() {
        return mpi_err!(
            Root,
            "root {root} is outside the communicator of size {}",
            c.size()
        );
    }
    Ok(root as usize)
}

/// Refuses MPI_IN_PLACE as buffer argument `what`, where the standard
/// does not allow it (it is no address: using it would write at -1).
fn not_in_place(what: &str, p: *const c_void) -> Result<()> {
    if in_place(p) {
        return mpi_err!(Buffer, "MPI_IN_PLACE is not allowed as {what}");
    }
    Ok(())
}

/// Refuses `sendbuf == recvbuf` (the standard asks for MPI_IN_PLACE).
fn no_alias(sendbuf: *const c_void, recvbuf: *mut c_void, bytes: usize) -> Result<()> {
    if bytes > 0 && std::ptr::eq(sendbuf, recvbuf) {
        return mpi_err!(
            Buffer,
            "sendbuf and recvbuf are the same buffer {sendbuf:?} (use MPI_IN_PLACE)"
        );
    }
    Ok(())
}

/// Refuses a rank's own buffer that is its part `own` of the other
/// buffer `all` (a gather's or an allgather's send buffer in its receive
/// buffer, or a scatter's receive buffer in its send buffer), as MPICH
/// does: the standard asks for MPI_IN_PLACE there.
fn no_alias_part(buf: *const c_void, all: *const c_void, own: &Part) -> Result<()> {
    let at = (all as *const u8).wrapping_offset(own.at);
    if own.bytes()? > 0 && std::ptr::eq(buf as *const u8, at) {
        return mpi_err!(
            Buffer,
            "buffer {buf:?} is this rank's own part of the other buffer (use MPI_IN_PLACE)"
        );
    }
    Ok(())
}

// ------------------------------------------------------ parts and bytes

/// `count` elements of a datatype at byte offset `at` of a user buffer.
#[derive(Clone)]
struct Part {
    at: isize,
    count: usize,
    map: Rc<TypeMap>,
}

impl Part {
    /// `count` elements of `map` at the start of the buffer.
    fn whole(count: usize, map: &Rc<TypeMap>) -> Part {
        Part {
            at: 0,
            count,
            map: map.clone(),
        }
    }

    /// Packed bytes.
    fn bytes(&self) -> Result<usize> {
        match self.count.checked_mul(self.map.size) {
            Some(b) if b <= isize::MAX as usize => Ok(b),
            _ => mpi_err!(
                Count,
                "{} elements of {} bytes overflow the address space",
                self.count,
                self.map.size
            ),
        }
    }
}

/// Element displacement `d` of a type of extent `extent`, in bytes.
fn byte_offset(d: i64, extent: isize) -> Result<isize> {
    match (d as isize).checked_mul(extent) {
        Some(b) => Ok(b),
        None => mpi_err!(
            Arg,
            "displacement {d} x extent {extent} overflows the address space"
        ),
    }
}

/// One part per rank: `counts[i]` elements at element displacement `displs[i]`.
fn parts_v(what: &str, counts: &[i64], displs: &[i64], map: &Rc<TypeMap>) -> Result<Vec<Part>> {
    counts
        .iter()
        .zip(displs)
        .enumerate()
        .map(|(i, (&c, &d))| {
            Ok(Part {
                at: byte_offset(d, map.extent)?,
                count: count(&format!("{what}[{i}]"), c)?,
                map: map.clone(),
            })
        })
        .collect()
}

/// `n` consecutive parts of `count` elements each.
fn parts_uniform(n: usize, count: usize, map: &Rc<TypeMap>) -> Result<Vec<Part>> {
    (0..n)
        .map(|i| {
            Ok(Part {
                at: byte_offset((i as i64).wrapping_mul(count as i64), map.extent)?,
                count,
                map: map.clone(),
            })
        })
        .collect()
}

/// One part per rank, each of its own datatype, at byte displacements.
fn parts_w(what: &str, counts: &[i64], displs: &[i64], types: &[c_int]) -> Result<Vec<Part>> {
    let mut parts = Vec::with_capacity(counts.len());
    for (i, ((&c, &d), &t)) in counts.iter().zip(displs).zip(types).enumerate() {
        let count = count(&format!("{what}[{i}]"), c)?;
        // A type with a zero count is not significant (programs pass
        // MPI_DATATYPE_NULL there).
        let map = if count == 0 {
            Rc::new(TypeMap::predefined(MPI_BYTE).expect("MPI_BYTE is predefined"))
        } else {
            comm_type(t)?
        };
        parts.push(Part {
            at: d as isize,
            count,
            map,
        });
    }
    Ok(parts)
}

/// Byte lengths of `parts` and their sum.
fn lengths(parts: &[Part]) -> Result<(Vec<usize>, usize)> {
    let lens = parts.iter().map(Part::bytes).collect::<Result<Vec<_>>>()?;
    let mut total = 0usize;
    for &l in &lens {
        total = match total.checked_add(l) {
            Some(t) if t <= isize::MAX as usize => t,
            _ => return mpi_err!(Count, "the parts' sizes overflow the address space"),
        };
    }
    Ok((lens, total))
}

/// When every non-empty part is contiguous: the byte span they cover
/// (from the buffer address) and each part's range within it.
fn direct_span(parts: &[Part], lens: &[usize]) -> Option<(isize, usize, Vec<Range<usize>>)> {
    if !parts
        .iter()
        .zip(lens)
        .all(|(p, &l)| l == 0 || p.map.is_contiguous())
    {
        return None;
    }
    let starts: Vec<isize> = parts.iter().map(|p| p.at + p.map.true_lb).collect();
    let used = || starts.iter().zip(lens).filter(|(_, &l)| l > 0);
    let lo = used().map(|(&s, _)| s).min().unwrap_or(0);
    let hi = used().map(|(&s, &l)| s + l as isize).max().unwrap_or(0);
    let ranges = starts
        .iter()
        .zip(lens)
        .map(|(&s, &l)| {
            if l == 0 {
                0..0
            } else {
                (s - lo) as usize..(s - lo) as usize + l
            }
        })
        .collect();
    Some((lo, (hi - lo) as usize, ranges))
}

/// The send side: the bytes of some parts of a user buffer, and where each
/// part lies in them.
struct Packed<'a> {
    data: Cow<'a, [u8]>,
    ranges: Vec<Range<usize>>,
}

/// The bytes of `parts` of `buf`: borrowed when all are contiguous (and
/// `copy` is false), else packed one after the other.
fn pack_parts<'a>(buf: *const c_void, parts: &[Part], copy: bool) -> Result<Packed<'a>> {
    let (lens, total) = lengths(parts)?;
    if total > 0 && buf.is_null() {
        return mpi_err!(
            Buffer,
            "send buffer is a null pointer but {total} bytes are to be sent"
        );
    }
    if !copy {
        if let Some((lo, len, ranges)) = direct_span(parts, &lens) {
            let data: &[u8] = if len == 0 {
                &[]
            } else {
                // SAFETY: the standard makes the buffer hold every part;
                // contiguous, they lie within `len` bytes from `lo`.
                unsafe { std::slice::from_raw_parts((buf as *const u8).wrapping_offset(lo), len) }
            };
            return Ok(Packed {
                data: Cow::Borrowed(data),
                ranges,
            });
        }
    }
    let mut v = Vec::with_capacity(total);
    let mut ranges = Vec::with_capacity(parts.len());
    for p in parts {
        let start = v.len();
        // SAFETY: the standard makes the buffer hold `count` elements of
        // the part's type at its offset.
        unsafe {
            p.map
                .pack((buf as *const u8).wrapping_offset(p.at), p.count, &mut v)
        };
        ranges.push(start..v.len());
    }
    Ok(Packed {
        data: Cow::Owned(v),
        ranges,
    })
}

/// The receive side: a byte space for some parts of a user buffer, each
/// part at `ranges[i]`; the caller's memory when all parts are contiguous,
/// else a staging vector that [`Unpacked::finish`] unpacks.
struct Unpacked<'a> {
    buf: *mut u8,
    parts: Vec<Part>,
    ranges: Vec<Range<usize>>,
    space: Space<'a>,
}

enum Space<'a> {
    Direct(&'a mut [u8]),
    Staged(Vec<u8>),
}

impl<'a> Unpacked<'a> {
    fn new(buf: *mut c_void, parts: Vec<Part>) -> Result<Unpacked<'a>> {
        let (lens, total) = lengths(&parts)?;
        if total > 0 && buf.is_null() {
            return mpi_err!(
                Buffer,
                "receive buffer is a null pointer but {total} bytes are to be received"
            );
        }
        let buf = buf as *mut u8;
        if let Some((lo, len, ranges)) = direct_span(&parts, &lens) {
            let space: &mut [u8] = if len == 0 {
                &mut []
            } else {
                // SAFETY: the standard makes the buffer hold every part,
                // writable; contiguous, they lie within `len` bytes from `lo`.
                unsafe { std::slice::from_raw_parts_mut(buf.wrapping_offset(lo), len) }
            };
            return Ok(Unpacked {
                buf,
                parts,
                ranges,
                space: Space::Direct(space),
            });
        }
        let mut at = 0;
        let ranges = lens
            .iter()
            .map(|&l| {
                at += l;
                at - l..at
            })
            .collect();
        Ok(Unpacked {
            buf,
            parts,
            ranges,
            space: Space::Staged(vec![0; total]),
        })
    }

    /// The byte space.
    fn bytes(&mut self) -> &mut [u8] {
        match &mut self.space {
            Space::Direct(s) => s,
            Space::Staged(v) => v,
        }
    }

    /// Copies the user's data into a staging space (a broadcast's root).
    fn load(&mut self) {
        if let Space::Staged(v) = &mut self.space {
            v.clear();
            for p in &self.parts {
                // SAFETY: the buffer holds the parts (see `new`).
                unsafe { p.map.pack(self.buf.wrapping_offset(p.at), p.count, v) };
            }
        }
    }

    /// Unpacks a staging space into the user's buffer.
    fn finish(self) {
        if let Space::Staged(v) = &self.space {
            for (p, r) in self.parts.iter().zip(&self.ranges) {
                // SAFETY: the buffer holds the parts, writable (see `new`).
                unsafe {
                    p.map
                        .unpack(&v[r.clone()], self.buf.wrapping_offset(p.at), p.count)
                };
            }
        }
    }
}

// ----------------------------------------------------------- fast paths

/// `count` elements of a contiguous datatype in a user buffer, as one run
/// of bytes: its first byte and its length.
#[derive(Clone, Copy)]
struct Run {
    at: *mut u8,
    len: usize,
}

impl Run {
    /// The run of `count` (argument `what`) elements of datatype `dt` at
    /// `buf`; None when the type is not contiguous (the general path packs
    /// it). A predefined basic type's size is read off its handle, without
    /// the lock or a table.
    fn of(buf: *const c_void, what: &str, count_: i64, dt: c_int) -> Result<Option<Run>> {
        let n = count(what, count_)?;
        let (lb, size) = match basic_size(dt) {
            Some(size) => (0, size),
            None => {
                let t = comm_type(dt)?;
                if !t.is_contiguous() {
                    return Ok(None);
                }
                (t.true_lb, t.size)
            }
        };
        let Some(len) = n.checked_mul(size).filter(|&l| l <= isize::MAX as usize) else {
            return mpi_err!(
                Count,
                "{what} {count_} of {size}-byte elements overflows the address space"
            );
        };
        if len > 0 && buf.is_null() {
            return mpi_err!(Buffer, "buffer is a null pointer but {what} is {count_}");
        }
        Ok(Some(Run {
            at: (buf as *mut u8).wrapping_offset(lb),
            len,
        }))
    }

    /// As [`Run::of`], but None for MPI_IN_PLACE (whose datatype is not
    /// significant).
    fn given(buf: *const c_void, what: &str, count_: i64, dt: c_int) -> Result<Option<Run>> {
        if in_place(buf) {
            return Ok(None);
        }
        Run::of(buf, what, count_, dt)
    }

    /// `n` runs of this one's length, one after the other (the receive
    /// buffer of a gather); None if that overflows.
    fn times(self, n: usize) -> Option<Run> {
        let len = self
            .len
            .checked_mul(n)
            .filter(|&l| l <= isize::MAX as usize)?;
        Some(Run { at: self.at, len })
    }

    /// Whether the two runs share a byte.
    fn overlaps(self, o: Run) -> bool {
        let (a, b) = (self.at as usize, o.at as usize);
        self.len > 0 && o.len > 0 && a < b + o.len && b < a + self.len
    }

    /// The bytes of the run.
    ///
    /// # Safety
    /// The run must lie in memory readable for the returned lifetime (the
    /// standard makes the user's buffer hold the elements for the call).
    unsafe fn bytes<'a>(self) -> &'a [u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the caller's contract; not null (checked in `of`).
        unsafe { std::slice::from_raw_parts(self.at, self.len) }
    }

    /// The bytes of the run, writable.
    ///
    /// # Safety
    /// As [`Run::bytes`], writable, and no other live slice overlaps it.
    unsafe fn bytes_mut<'a>(self) -> &'a mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: the caller's contract; not null (checked in `of`).
        unsafe { std::slice::from_raw_parts_mut(self.at, self.len) }
    }
}

/// `n` consecutive ranges of `each` bytes.
fn uniform_ranges(n: usize, each: usize) -> Vec<Range<usize>> {
    (0..n).map(|i| i * each..(i + 1) * each).collect()
}

// ------------------------------------------------------------ reductions

/// A reduction operation on packed elements of one datatype.
struct Reduction {
    op: OpRef,
    dt: c_int,
    map: Rc<TypeMap>,
    /// The first error a predefined op reported during the collective.
    error: RefCell<Option<String>>,
}

impl Reduction {
    /// Op handle `op` on datatype handle `dt` (checked to apply).
    fn new(op: c_int, dt: c_int, map: &Rc<TypeMap>) -> Result<Reduction> {
        let op = op_of(op)?;
        if let OpRef::Predef(p) = op {
            check_predef(p, map)?;
        }
        Ok(Reduction {
            op,
            dt,
            map: map.clone(),
            error: RefCell::new(None),
        })
    }

    /// The unit the engine may cut the packed bytes at: a basic value (or
    /// pair) for predefined ops, a whole element for user functions; None
    /// for a user function on elements larger than a collective chunk,
    /// which the engine, folding chunk by chunk, cannot call (those
    /// reductions move whole contributions and fold them here).
    fn unit(&self) -> Option<usize> {
        let m = &self.map;
        match self.op {
            OpRef::Predef(_) => Some(
                m.prim_run()
                    .map(|p| p.size())
                    .or_else(|| {
                        m.pair().map(|p| {
                            let (a, b) = p.parts();
                            a.size() + b.size()
                        })
                    })
                    .unwrap_or(1),
            ),
            OpRef::User(_) if m.size > COLL_CHUNK => None,
            OpRef::User(_) => Some(m.size.max(1)),
        }
    }

    /// Folds whole contributions `all` (member i's at `ranges[i]`) of
    /// members `members` into `out`, in rank order: `x0 op (x1 op (...))`.
    fn fold(&self, all: &[u8], ranges: &[Range<usize>], members: Range<usize>, out: &mut [u8]) {
        let mut members = members.rev();
        if let Some(last) = members.next() {
            out.copy_from_slice(&all[ranges[last].clone()]);
        }
        for i in members {
            self.apply(&all[ranges[i].clone()], out);
        }
    }

    /// Reduces every member's `send` into `recv` of `root` (rank order).
    fn reduce(&self, c: &Communicator, send: &[u8], recv: &mut [u8], root: usize) -> Result<()> {
        let (e, cc) = (c.engine(), c.comm());
        let f = |a: &[u8], b: &mut [u8]| self.apply(a, b);
        match self.unit() {
            Some(unit) => e.reduce(cc, send, recv, unit, &f, root)?,
            None if cc.me == root => {
                let ranges = uniform_ranges(cc.size(), send.len());
                let mut all = vec![0u8; cc.size() * send.len()];
                e.gatherv(cc, send, &mut all, &ranges, root)?;
                self.fold(&all, &ranges, 0..cc.size(), recv);
            }
            None => e.gatherv(cc, send, &mut [], &[], root)?,
        }
        self.check()
    }

    /// Reduces every member's `send` into every member's `recv`.
    fn allreduce(&self, c: &Communicator, send: &[u8], recv: &mut [u8]) -> Result<()> {
        let f = |a: &[u8], b: &mut [u8]| self.apply(a, b);
        match self.unit() {
            Some(unit) => c.engine().allreduce(c.comm(), send, recv, unit, &f)?,
            None => {
                self.reduce(c, send, recv, 0)?;
                c.engine().bcast(c.comm(), recv, 0)?;
            }
        }
        self.check()
    }

    /// Inclusive (or, with `exclusive`, exclusive) prefix reduction.
    fn scan(&self, c: &Communicator, send: &[u8], recv: &mut [u8], exclusive: bool) -> Result<()> {
        let (e, cc) = (c.engine(), c.comm());
        let f = |a: &[u8], b: &mut [u8]| self.apply(a, b);
        match self.unit() {
            Some(unit) => e.scan(cc, send, recv, unit, &f, exclusive)?,
            None => {
                let ranges = uniform_ranges(cc.size(), send.len());
                let mut all = vec![0u8; cc.size() * send.len()];
                e.allgatherv(cc, send, &mut all, &ranges)?;
                let upto = if exclusive { cc.me } else { cc.me + 1 };
                self.fold(&all, &ranges, 0..upto, recv);
            }
        }
        self.check()
    }

    /// Reduces every member's `send` and leaves bytes `ranges[i]` of the
    /// result in member i's `recv`.
    fn reduce_scatter(
        &self,
        c: &Communicator,
        send: &[u8],
        ranges: &[Range<usize>],
        recv: &mut [u8],
    ) -> Result<()> {
        let (e, cc) = (c.engine(), c.comm());
        let f = |a: &[u8], b: &mut [u8]| self.apply(a, b);
        match self.unit() {
            Some(unit) => e.reduce_scatter(cc, send, ranges, recv, unit, &f)?,
            None => {
                // Every member sends member i its part, which i folds.
                let mine = uniform_ranges(cc.size(), recv.len());
                let mut all = vec![0u8; cc.size() * recv.len()];
                e.alltoallv(cc, send, ranges, &mut all, &mine)?;
                self.fold(&all, &mine, 0..cc.size(), recv);
            }
        }
        self.check()
    }

    /// `inout = invec op inout` on packed elements.
    fn apply(&self, invec: &[u8], inout: &mut [u8]) {
        match self.op {
            OpRef::Predef(p) => {
                if let Err(e) = reduce::apply(p, &self.map, invec, inout) {
                    self.error.borrow_mut().get_or_insert(e);
                }
            }
            OpRef::User(u) => user_on_packed(&u, self.dt, &self.map, invec, inout),
        }
    }

    /// The error a predefined op reported, if any.
    fn check(&self) -> Result<()> {
        match self.error.borrow_mut().take() {
            Some(e) => mpi_err!(Op, "{e}"),
            None => Ok(()),
        }
    }
}

/// A zeroed buffer of `len` bytes aligned for any C type (16 bytes).
fn aligned(len: usize) -> Vec<u128> {
    vec![0u128; len.div_ceil(16)]
}

/// Calls user op `u` on packed elements of datatype `dt`: on the packed
/// bytes themselves for a contiguous type, else on unpacked copies. The
/// function gets its own copy of `invec` (it may not write a message).
fn user_on_packed(u: &UserOp, dt: c_int, map: &TypeMap, invec: &[u8], inout: &mut [u8]) {
    if map.size == 0 || invec.is_empty() {
        return;
    }
    let n = invec.len() / map.size;
    if map.is_contiguous() {
        let mut a = aligned(invec.len());
        let a = &mut bytemuck::cast_slice_mut::<u128, u8>(&mut a)[..invec.len()];
        a.copy_from_slice(invec);
        let mut staged = Vec::new();
        let b: &mut [u8] = if inout.as_ptr() as usize % 16 == 0 {
            &mut *inout
        } else {
            staged = aligned(inout.len());
            let s = &mut bytemuck::cast_slice_mut::<u128, u8>(&mut staged)[..inout.len()];
            s.copy_from_slice(inout);
            s
        };
        // SAFETY: both spaces hold `n` contiguous elements, whose data
        // starts true_lb bytes after the address the function gets.
        unsafe {
            call_user(
                u.f,
                a.as_mut_ptr().wrapping_offset(-map.true_lb),
                b.as_mut_ptr().wrapping_offset(-map.true_lb),
                n,
                dt,
                map.extent,
            )
        };
        if !staged.is_empty() {
            let s = &bytemuck::cast_slice::<u128, u8>(&staged)[..inout.len()];
            inout.copy_from_slice(s);
        }
        return;
    }
    // The span the type map of n elements touches, from the buffer address.
    let last = (n as isize - 1) * map.extent;
    let lo = map.true_lb.min(last + map.true_lb);
    let hi = (map.true_lb + map.true_extent).max(last + map.true_lb + map.true_extent);
    let span = (hi - lo) as usize;
    let mut a = aligned(span);
    let mut b = aligned(span);
    let pa = (bytemuck::cast_slice_mut::<u128, u8>(&mut a).as_mut_ptr()).wrapping_offset(-lo);
    let pb = (bytemuck::cast_slice_mut::<u128, u8>(&mut b).as_mut_ptr()).wrapping_offset(-lo);
    let mut out = Vec::with_capacity(inout.len());
    // SAFETY: both buffers span the type map of `n` elements from `pa`/`pb`.
    unsafe {
        map.unpack(invec, pa, n);
        map.unpack(inout, pb, n);
        call_user(u.f, pa, pb, n, dt, map.extent);
        map.pack(pb, n, &mut out);
    }
    inout.copy_from_slice(&out);
}

// ----------------------------------------------------------- collectives

fn bcast(buf: *mut c_void, count_: i64, dt: c_int, root: c_int, comm: c_int) -> Result<()> {
    let c = comm_of(comm)?;
    let r = check_root(&c, root)?;
    if in_place(buf) {
        return mpi_err!(Buffer, "MPI_IN_PLACE is not allowed in a broadcast");
    }
    if let Some(run) = Run::of(buf, "count", count_, dt)? {
        // SAFETY: the user's buffer holds `count` elements, writable.
        return c.engine().bcast(c.comm(), unsafe { run.bytes_mut() }, r);
    }
    let n = count("count", count_)?;
    let map = comm_type(dt)?;
    let mut space = Unpacked::new(buf, vec![Part::whole(n, &map)])?;
    let me = c.comm().me;
    if me == r {
        space.load();
    }
    c.engine().bcast(c.comm(), space.bytes(), r)?;
    if me != r {
        space.finish();
    }
    Ok(())
}

/// Gather and gatherv: `recv_parts(n)` (the root's receive parts) is only
/// evaluated at the root, where the receive arguments are significant.
fn gather(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    recv_parts: impl FnOnce(usize) -> Result<Vec<Part>>,
    root: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let r = check_root(&c, root)?;
    let (n, me) = (c.comm().size(), c.comm().me);
    if me != r {
        if in_place(sendbuf) {
            return mpi_err!(
                Buffer,
                "MPI_IN_PLACE is sendbuf on rank {me}, not the root {r}"
            );
        }
        let send = pack_parts(
            sendbuf,
            &[Part::whole(count("sendcount", scount)?, &comm_type(stype)?)],
            false,
        )?;
        return c
            .engine()
            .gatherv(c.comm(), &send.data, &mut [], &vec![0..0; n], r);
    }
    not_in_place("recvbuf", recvbuf)?;
    let mut parts = recv_parts(n)?;
    let own = parts[me].bytes()?;
    if !in_place(sendbuf) {
        no_alias_part(sendbuf, recvbuf, &parts[me])?;
    }
    let mut mismatch = None;
    let send = if in_place(sendbuf) {
        parts[me].count = 0;
        None
    } else {
        let s = pack_parts(
            sendbuf,
            &[Part::whole(count("sendcount", scount)?, &comm_type(stype)?)],
            false,
        )?;
        if s.data.len() != own {
            // Take part without the root's own data, then report.
            mismatch = Some(s.data.len());
            parts[me].count = 0;
            None
        } else {
            Some(s)
        }
    };
    let mut space = Unpacked::new(recvbuf, parts)?;
    let data: &[u8] = send.as_ref().map_or(&[], |s| &s.data);
    let ranges = space.ranges.clone();
    c.engine()
        .gatherv(c.comm(), data, space.bytes(), &ranges, r)?;
    space.finish();
    match mismatch {
        Some(s) => mpi_err!(
            Count,
            "the root sends itself {s} bytes but expects {own} bytes from itself"
        ),
        None => Ok(()),
    }
}

/// Scatter and scatterv: `send_parts(n)` (the root's send parts) is only
/// evaluated at the root.
/// With `uniform` (MPI_Scatter: equal parts, one after the other in the
/// root's packed bytes) every member knows where its part lies and the
/// engine scatters in one round; scatterv first scatters the places.
#[allow(clippy::too_many_arguments)]
fn scatter(
    sendbuf: *const c_void,
    send_parts: impl FnOnce(usize) -> Result<Vec<Part>>,
    recvbuf: *mut c_void,
    rcount: i64,
    rtype: c_int,
    root: c_int,
    comm: c_int,
    uniform: bool,
) -> Result<()> {
    let c = comm_of(comm)?;
    let r = check_root(&c, root)?;
    let (n, me) = (c.comm().size(), c.comm().me);
    if me != r {
        if in_place(recvbuf) {
            return mpi_err!(
                Buffer,
                "MPI_IN_PLACE is recvbuf on rank {me}, not the root {r}"
            );
        }
        let part = Part::whole(count("recvcount", rcount)?, &comm_type(rtype)?);
        let mut space = Unpacked::new(recvbuf, vec![part])?;
        let recv = space.bytes();
        if uniform {
            let want = me * recv.len()..(me + 1) * recv.len();
            c.engine()
                .scatter_known(c.comm(), &[], &[], want, recv, r)?;
        } else {
            c.engine().scatterv(c.comm(), &[], &[], recv, r)?;
        }
        space.finish();
        return Ok(());
    }
    not_in_place("sendbuf", sendbuf)?;
    let parts = send_parts(n)?;
    if !in_place(recvbuf) {
        no_alias_part(recvbuf, sendbuf, &parts[me])?;
    }
    let send = pack_parts(sendbuf, &parts, false)?;
    let mut ranges = send.ranges.clone();
    let own = ranges[me].len();
    let mut recv = Vec::new();
    let mut mismatch = None;
    if !in_place(recvbuf) {
        let part = Part::whole(count("recvcount", rcount)?, &comm_type(rtype)?);
        let b = part.bytes()?;
        if b == own {
            recv.push(part);
        } else {
            mismatch = Some(b);
        }
    }
    if recv.is_empty() {
        ranges[me] = 0..0;
    }
    let mut space = Unpacked::new(recvbuf, recv)?;
    if uniform {
        let want = ranges[me].clone();
        c.engine()
            .scatter_known(c.comm(), &send.data, &ranges, want, space.bytes(), r)?;
    } else {
        c.engine()
            .scatterv(c.comm(), &send.data, &ranges, space.bytes(), r)?;
    }
    space.finish();
    match mismatch {
        Some(b) => mpi_err!(
            Count,
            "the root sends itself {own} bytes but expects {b} bytes"
        ),
        None => Ok(()),
    }
}

/// Allgather and allgatherv, with the receive parts of every rank.
fn allgather(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    parts: Vec<Part>,
    c: &Communicator,
) -> Result<()> {
    not_in_place("recvbuf", recvbuf)?;
    let me = c.comm().me;
    let own = parts[me].bytes()?;
    let send = if in_place(sendbuf) {
        pack_parts(recvbuf, &parts[me..me + 1], true)?
    } else {
        let p = Part::whole(count("sendcount", scount)?, &comm_type(stype)?);
        no_alias(sendbuf, recvbuf, p.bytes()?)?;
        // Every rank checks its own part, so that all of them refuse
        // a call like MPI_Allgather(&buf[rank], 1, .., buf, 1, ..) alike:
        // refusing it only on rank 0 (sendbuf == recvbuf) left the others
        // waiting for rank 0 forever.
        no_alias_part(sendbuf, recvbuf, &parts[me])?;
        pack_parts(sendbuf, &[p], false)?
    };
    if send.data.len() != own {
        return mpi_err!(
            Count,
            "rank {me} sends {} bytes but expects {own} bytes from itself",
            send.data.len()
        );
    }
    let mut space = Unpacked::new(recvbuf, parts)?;
    let ranges = space.ranges.clone();
    c.engine()
        .allgatherv(c.comm(), &send.data, space.bytes(), &ranges)?;
    space.finish();
    Ok(())
}

/// Alltoall, alltoallv and alltoallw. `send_parts()` is not evaluated for
/// MPI_IN_PLACE (the data comes from the receive parts); `uniform` runs
/// the engine's equal-parts all-to-all.
fn alltoall(
    sendbuf: *const c_void,
    send_parts: impl FnOnce() -> Result<Vec<Part>>,
    recvbuf: *mut c_void,
    recv_parts: Vec<Part>,
    uniform: bool,
    c: &Communicator,
) -> Result<()> {
    not_in_place("recvbuf", recvbuf)?;
    let send = if in_place(sendbuf) {
        pack_parts(recvbuf, &recv_parts, true)?
    } else {
        let parts = send_parts()?;
        let (_, total) = lengths(&parts)?;
        no_alias(sendbuf, recvbuf, total)?;
        pack_parts(sendbuf, &parts, false)?
    };
    let mut space = Unpacked::new(recvbuf, recv_parts)?;
    if uniform {
        let (s, r) = (send.data.len(), space.bytes().len());
        if s != r {
            return mpi_err!(
                Count,
                "each rank sends {} bytes to each but expects {} bytes from each",
                s / c.comm().size(),
                r / c.comm().size()
            );
        }
        c.engine().alltoall(c.comm(), &send.data, space.bytes())?;
    } else {
        let ranges = space.ranges.clone();
        c.engine()
            .alltoallv(c.comm(), &send.data, &send.ranges, space.bytes(), &ranges)?;
    }
    space.finish();
    Ok(())
}

/// The send bytes of a reduction: `count` elements at `sendbuf`, or (for
/// MPI_IN_PLACE) a copy of those at `recvbuf`.
fn reduction_input<'a>(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    part: &Part,
) -> Result<Packed<'a>> {
    if in_place(sendbuf) {
        pack_parts(recvbuf, std::slice::from_ref(part), true)
    } else {
        no_alias(sendbuf, recvbuf, part.bytes()?)?;
        pack_parts(sendbuf, std::slice::from_ref(part), false)
    }
}

#[allow(clippy::too_many_arguments)]
fn reduce(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count_: i64,
    dt: c_int,
    op: c_int,
    root: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let r = check_root(&c, root)?;
    let n = count("count", count_)?;
    let map = comm_type(dt)?;
    let red = Reduction::new(op, dt, &map)?;
    let part = Part::whole(n, &map);
    let me = c.comm().me;
    if me == r {
        not_in_place("recvbuf", recvbuf)?;
    }
    // Contiguous types, no MPI_IN_PLACE: straight between the buffers.
    if let Some(send) = Run::given(sendbuf, "count", count_, dt)? {
        let recv = if me == r {
            Run::of(recvbuf, "count", count_, dt)?.filter(|recv| !recv.overlaps(send))
        } else {
            Some(Run {
                at: recvbuf as *mut u8,
                len: 0,
            })
        };
        if let Some(recv) = recv {
            // SAFETY: the buffers hold `count` elements, the root's
            // receive buffer writable and apart from the send buffer.
            let (data, space) = unsafe { (send.bytes(), recv.bytes_mut()) };
            return red.reduce(&c, data, space, r);
        }
    }
    if me != r {
        if in_place(sendbuf) {
            return mpi_err!(
                Buffer,
                "MPI_IN_PLACE is sendbuf on rank {me}, not the root {r}"
            );
        }
        let send = pack_parts(sendbuf, &[part], false)?;
        return red.reduce(&c, &send.data, &mut [], r);
    }
    let send = reduction_input(sendbuf, recvbuf, &part)?;
    let mut space = Unpacked::new(recvbuf, vec![part])?;
    red.reduce(&c, &send.data, space.bytes(), r)?;
    space.finish();
    Ok(())
}

/// Which all-rank reduction to run.
#[derive(Clone, Copy, PartialEq)]
enum AllKind {
    Allreduce,
    Scan,
    Exscan,
}

fn reduce_all(
    kind: AllKind,
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count_: i64,
    dt: c_int,
    op: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let n = count("count", count_)?;
    let map = comm_type(dt)?;
    let red = Reduction::new(op, dt, &map)?;
    not_in_place("recvbuf", recvbuf)?;
    // Contiguous types, no MPI_IN_PLACE, allreduce: straight between the
    // buffers.
    if kind == AllKind::Allreduce && !in_place(sendbuf) {
        let send = Run::of(sendbuf, "count", count_, dt)?;
        let recv = Run::of(recvbuf, "count", count_, dt)?;
        if let Some((send, recv)) = send.zip(recv).filter(|(s, r)| !s.overlaps(*r)) {
            // SAFETY: the buffers hold `count` elements, the receive
            // buffer writable and apart from the send buffer.
            let (data, space) = unsafe { (send.bytes(), recv.bytes_mut()) };
            return red.allreduce(&c, data, space);
        }
    }
    let part = Part::whole(n, &map);
    let send = reduction_input(sendbuf, recvbuf, &part)?;
    let mut space = Unpacked::new(recvbuf, vec![part])?;
    match kind {
        AllKind::Allreduce => red.allreduce(&c, &send.data, space.bytes())?,
        AllKind::Scan => red.scan(&c, &send.data, space.bytes(), false)?,
        AllKind::Exscan => red.scan(&c, &send.data, space.bytes(), true)?,
    }
    // Rank 0's exscan result is undefined: its buffer is left as it was.
    if !(kind == AllKind::Exscan && c.comm().me == 0) {
        space.finish();
    }
    Ok(())
}

/// Reduce-scatter with `counts[i]` elements of the result for rank i.
fn reduce_scatter(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    counts: &[i64],
    dt: c_int,
    op: c_int,
    c: &Communicator,
) -> Result<()> {
    let map = comm_type(dt)?;
    let red = Reduction::new(op, dt, &map)?;
    not_in_place("recvbuf", recvbuf)?;
    let me = c.comm().me;
    let mut total = 0usize;
    let mut ranges = Vec::with_capacity(counts.len());
    for (i, &k) in counts.iter().enumerate() {
        let k = count(&format!("recvcounts[{i}]"), k)?;
        let bytes = Part::whole(k, &map).bytes()?;
        let start = total;
        total = match total.checked_add(bytes) {
            Some(t) if t <= isize::MAX as usize => t,
            _ => return mpi_err!(Count, "the sum of recvcounts overflows"),
        };
        ranges.push(start..total);
    }
    let all: usize = counts.iter().map(|&k| k as usize).sum();
    let send = reduction_input(sendbuf, recvbuf, &Part::whole(all, &map))?;
    let mine = Part::whole(counts[me] as usize, &map);
    let mut space = Unpacked::new(recvbuf, vec![mine])?;
    red.reduce_scatter(c, &send.data, &ranges, space.bytes())?;
    space.finish();
    Ok(())
}

fn reduce_local(
    inbuf: *const c_void,
    inoutbuf: *mut c_void,
    count_: i64,
    dt: c_int,
    op: c_int,
) -> Result<()> {
    let n = count("count", count_)?;
    let map = with_running(|| comm_type(dt))?;
    let red = Reduction::new(op, dt, &map)?;
    let part = Part::whole(n, &map);
    let bytes = part.bytes()?;
    if bytes == 0 {
        return Ok(());
    }
    if inbuf.is_null() || inoutbuf.is_null() || in_place(inbuf) || in_place(inoutbuf) {
        return mpi_err!(
            Buffer,
            "inbuf {inbuf:?} and inoutbuf {inoutbuf:?} must both be buffers of {bytes} bytes"
        );
    }
    if std::ptr::eq(inbuf, inoutbuf) {
        return mpi_err!(Buffer, "inbuf and inoutbuf are the same buffer {inbuf:?}");
    }
    match red.op {
        OpRef::User(u) => {
            // SAFETY: the standard makes both buffers hold `n` elements of
            // the type; the user function works on the user's layout.
            unsafe {
                call_user(
                    u.f,
                    inbuf as *mut u8,
                    inoutbuf as *mut u8,
                    n,
                    dt,
                    map.extent,
                )
            };
            Ok(())
        }
        OpRef::Predef(p) => {
            let input = pack_parts(inbuf, std::slice::from_ref(&part), false)?;
            let mut space = Unpacked::new(inoutbuf, vec![part])?;
            space.load();
            reduce::apply(p, &map, &input.data, space.bytes())
                .map_err(|e| mpi_error!(Op, "{e}"))?;
            space.finish();
            Ok(())
        }
    }
}

/// Runs `f` after checking that MPI is initialized and not finalized.
fn with_running<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    super::state::with(|m| m.check_running())?;
    f()
}

// ---------------------------------------------------------- entry points

mpi_fn! {
    fn MPI_Barrier / PMPI_Barrier(comm: c_int) -> c_int {
        call("MPI_Barrier", comm, || comm_of(comm)?.barrier())
    }
}

mpi_fn! {
    fn MPI_Bcast / PMPI_Bcast(buffer: *mut c_void, count: c_int, datatype: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Bcast", comm, || bcast(buffer, count.wide(), datatype, root, comm))
    }
}

mpi_fn! {
    fn MPI_Bcast_c / PMPI_Bcast_c(buffer: *mut c_void, count: i64, datatype: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Bcast_c", comm, || bcast(buffer, count, datatype, root, comm))
    }
}

#[allow(clippy::too_many_arguments)]
fn gather_uniform(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    rcount: i64,
    rtype: c_int,
    root: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let r = check_root(&c, root)?;
    let (n, me) = (c.comm().size(), c.comm().me);
    if me == r {
        not_in_place("recvbuf", recvbuf)?;
    }
    // Contiguous types, no MPI_IN_PLACE: straight between the buffers.
    if let Some(send) = Run::given(sendbuf, "sendcount", scount, stype)? {
        if me != r {
            // SAFETY: the user's send buffer holds `sendcount` elements.
            return c
                .engine()
                .gatherv(c.comm(), unsafe { send.bytes() }, &mut [], &[], r);
        }
        let recv = Run::of(recvbuf, "recvcount", rcount, rtype)?;
        if let Some((each, all)) = recv.and_then(|one| Some((one.len, one.times(n)?))) {
            if each == send.len && !all.overlaps(send) {
                let ranges = uniform_ranges(n, each);
                // SAFETY: the root's receive buffer holds `recvcount`
                // elements per rank, writable, apart from the send buffer.
                let (data, space) = unsafe { (send.bytes(), all.bytes_mut()) };
                return c.engine().gatherv(c.comm(), data, space, &ranges, r);
            }
        }
    }
    let parts = |n| parts_uniform(n, count("recvcount", rcount)?, &comm_type(rtype)?);
    gather(sendbuf, scount, stype, recvbuf, parts, root, comm)
}

mpi_fn! {
    fn MPI_Gather / PMPI_Gather(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Gather", comm, || gather_uniform(sendbuf, sendcount.wide(), sendtype, recvbuf, recvcount.wide(), recvtype, root, comm))
    }
}

mpi_fn! {
    fn MPI_Gather_c / PMPI_Gather_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, recvbuf: *mut c_void, recvcount: i64, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Gather_c", comm, || gather_uniform(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm))
    }
}

/// Gatherv with either width of counts and displacements.
///
/// # Safety
/// At the root, `recvcounts` and `displs` hold one entry per rank.
#[allow(clippy::too_many_arguments)]
unsafe fn gatherv<C: Wide, D: Wide>(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    recvcounts: *const C,
    displs: *const D,
    rtype: c_int,
    root: c_int,
    comm: c_int,
) -> Result<()> {
    let parts = |n| {
        // SAFETY: the root's arrays hold one entry per rank.
        let (k, d) = unsafe {
            (
                ints("recvcounts", recvcounts, n)?,
                ints("displs", displs, n)?,
            )
        };
        parts_v("recvcounts", &k, &d, &comm_type(rtype)?)
    };
    gather(sendbuf, scount, stype, recvbuf, parts, root, comm)
}

mpi_fn! {
    fn MPI_Gatherv / PMPI_Gatherv(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, recvbuf: *mut c_void, recvcounts: *const c_int, displs: *const c_int, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Gatherv", comm, || unsafe { gatherv(sendbuf, sendcount.wide(), sendtype, recvbuf, recvcounts, displs, recvtype, root, comm) })
    }
}

mpi_fn! {
    fn MPI_Gatherv_c / PMPI_Gatherv_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, recvbuf: *mut c_void, recvcounts: *const i64, displs: *const isize, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Gatherv_c", comm, || unsafe { gatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root, comm) })
    }
}

#[allow(clippy::too_many_arguments)]
fn scatter_uniform(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    rcount: i64,
    rtype: c_int,
    root: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let r = check_root(&c, root)?;
    let (n, me) = (c.comm().size(), c.comm().me);
    if me == r {
        not_in_place("sendbuf", sendbuf)?;
    }
    // Contiguous types, no MPI_IN_PLACE: straight between the buffers.
    if let Some(recv) = Run::given(recvbuf, "recvcount", rcount, rtype)? {
        let want = me * recv.len..(me + 1) * recv.len;
        if me != r {
            // SAFETY: the user's receive buffer holds `recvcount` elements.
            let space = unsafe { recv.bytes_mut() };
            return c.engine().scatter_known(c.comm(), &[], &[], want, space, r);
        }
        let send = Run::of(sendbuf, "sendcount", scount, stype)?;
        if let Some((each, all)) = send.and_then(|one| Some((one.len, one.times(n)?))) {
            if each == recv.len && !all.overlaps(recv) {
                let ranges = uniform_ranges(n, each);
                // SAFETY: the root's send buffer holds `sendcount` elements
                // per rank, apart from the receive buffer.
                let (data, space) = unsafe { (all.bytes(), recv.bytes_mut()) };
                return c
                    .engine()
                    .scatter_known(c.comm(), data, &ranges, want, space, r);
            }
        }
    }
    let parts = |n| parts_uniform(n, count("sendcount", scount)?, &comm_type(stype)?);
    scatter(sendbuf, parts, recvbuf, rcount, rtype, root, comm, true)
}

mpi_fn! {
    fn MPI_Scatter / PMPI_Scatter(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Scatter", comm, || scatter_uniform(sendbuf, sendcount.wide(), sendtype, recvbuf, recvcount.wide(), recvtype, root, comm))
    }
}

mpi_fn! {
    fn MPI_Scatter_c / PMPI_Scatter_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, recvbuf: *mut c_void, recvcount: i64, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Scatter_c", comm, || scatter_uniform(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm))
    }
}

/// Scatterv with either width of counts and displacements.
///
/// # Safety
/// At the root, `sendcounts` and `displs` hold one entry per rank.
#[allow(clippy::too_many_arguments)]
unsafe fn scatterv<C: Wide, D: Wide>(
    sendbuf: *const c_void,
    sendcounts: *const C,
    displs: *const D,
    stype: c_int,
    recvbuf: *mut c_void,
    rcount: i64,
    rtype: c_int,
    root: c_int,
    comm: c_int,
) -> Result<()> {
    let parts = |n| {
        // SAFETY: the root's arrays hold one entry per rank.
        let (k, d) = unsafe {
            (
                ints("sendcounts", sendcounts, n)?,
                ints("displs", displs, n)?,
            )
        };
        parts_v("sendcounts", &k, &d, &comm_type(stype)?)
    };
    scatter(sendbuf, parts, recvbuf, rcount, rtype, root, comm, false)
}

mpi_fn! {
    fn MPI_Scatterv / PMPI_Scatterv(sendbuf: *const c_void, sendcounts: *const c_int, displs: *const c_int, sendtype: c_int, recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Scatterv", comm, || unsafe { scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount.wide(), recvtype, root, comm) })
    }
}

mpi_fn! {
    fn MPI_Scatterv_c / PMPI_Scatterv_c(sendbuf: *const c_void, sendcounts: *const i64, displs: *const isize, sendtype: c_int, recvbuf: *mut c_void, recvcount: i64, recvtype: c_int, root: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Scatterv_c", comm, || unsafe { scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root, comm) })
    }
}

fn allgather_uniform(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    rcount: i64,
    rtype: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let n = c.comm().size();
    not_in_place("recvbuf", recvbuf)?;
    // Contiguous types, no MPI_IN_PLACE: straight between the buffers.
    if let Some(send) = Run::given(sendbuf, "sendcount", scount, stype)? {
        let recv = Run::of(recvbuf, "recvcount", rcount, rtype)?;
        if let Some((each, all)) = recv.and_then(|one| Some((one.len, one.times(n)?))) {
            if each == send.len && !all.overlaps(send) {
                let ranges = uniform_ranges(n, each);
                // SAFETY: the receive buffer holds `recvcount` elements per
                // rank, writable, apart from the send buffer.
                let (data, space) = unsafe { (send.bytes(), all.bytes_mut()) };
                return c.engine().allgatherv(c.comm(), data, space, &ranges);
            }
        }
    }
    let parts = parts_uniform(n, count("recvcount", rcount)?, &comm_type(rtype)?)?;
    allgather(sendbuf, scount, stype, recvbuf, parts, &c)
}

mpi_fn! {
    fn MPI_Allgather / PMPI_Allgather(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, comm: c_int) -> c_int {
        call("MPI_Allgather", comm, || allgather_uniform(sendbuf, sendcount.wide(), sendtype, recvbuf, recvcount.wide(), recvtype, comm))
    }
}

mpi_fn! {
    fn MPI_Allgather_c / PMPI_Allgather_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, recvbuf: *mut c_void, recvcount: i64, recvtype: c_int, comm: c_int) -> c_int {
        call("MPI_Allgather_c", comm, || allgather_uniform(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm))
    }
}

/// Allgatherv with either width of counts and displacements.
///
/// # Safety
/// `recvcounts` and `displs` hold one entry per rank.
#[allow(clippy::too_many_arguments)]
unsafe fn allgatherv<C: Wide, D: Wide>(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    recvcounts: *const C,
    displs: *const D,
    rtype: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let n = c.comm().size();
    // SAFETY: the arrays hold one entry per rank.
    let (k, d) = unsafe {
        (
            ints("recvcounts", recvcounts, n)?,
            ints("displs", displs, n)?,
        )
    };
    let parts = parts_v("recvcounts", &k, &d, &comm_type(rtype)?)?;
    allgather(sendbuf, scount, stype, recvbuf, parts, &c)
}

mpi_fn! {
    fn MPI_Allgatherv / PMPI_Allgatherv(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, recvbuf: *mut c_void, recvcounts: *const c_int, displs: *const c_int, recvtype: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Allgatherv", comm, || unsafe { allgatherv(sendbuf, sendcount.wide(), sendtype, recvbuf, recvcounts, displs, recvtype, comm) })
    }
}

mpi_fn! {
    fn MPI_Allgatherv_c / PMPI_Allgatherv_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, recvbuf: *mut c_void, recvcounts: *const i64, displs: *const isize, recvtype: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Allgatherv_c", comm, || unsafe { allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm) })
    }
}

fn alltoall_uniform(
    sendbuf: *const c_void,
    scount: i64,
    stype: c_int,
    recvbuf: *mut c_void,
    rcount: i64,
    rtype: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let n = c.comm().size();
    not_in_place("recvbuf", recvbuf)?;
    // Contiguous types, no MPI_IN_PLACE: straight between the buffers.
    if let Some(send) = Run::given(sendbuf, "sendcount", scount, stype)? {
        let recv = Run::of(recvbuf, "recvcount", rcount, rtype)?;
        let both = send.times(n).zip(recv.and_then(|r| r.times(n)));
        if let Some((data, space)) = both {
            if data.len == space.len && !data.overlaps(space) {
                // SAFETY: the buffers hold their counts per rank, the
                // receive buffer writable, apart from each other.
                let (data, space) = unsafe { (data.bytes(), space.bytes_mut()) };
                return c.engine().alltoall(c.comm(), data, space);
            }
        }
    }
    let recv = parts_uniform(n, count("recvcount", rcount)?, &comm_type(rtype)?)?;
    let send = || parts_uniform(n, count("sendcount", scount)?, &comm_type(stype)?);
    alltoall(sendbuf, send, recvbuf, recv, true, &c)
}

mpi_fn! {
    fn MPI_Alltoall / PMPI_Alltoall(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, comm: c_int) -> c_int {
        call("MPI_Alltoall", comm, || alltoall_uniform(sendbuf, sendcount.wide(), sendtype, recvbuf, recvcount.wide(), recvtype, comm))
    }
}

mpi_fn! {
    fn MPI_Alltoall_c / PMPI_Alltoall_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, recvbuf: *mut c_void, recvcount: i64, recvtype: c_int, comm: c_int) -> c_int {
        call("MPI_Alltoall_c", comm, || alltoall_uniform(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm))
    }
}

/// Alltoallv with either width of counts and displacements.
///
/// # Safety
/// The arrays hold one entry per rank (the send ones unless MPI_IN_PLACE).
#[allow(clippy::too_many_arguments)]
unsafe fn alltoallv<C: Wide, D: Wide>(
    sendbuf: *const c_void,
    sendcounts: *const C,
    sdispls: *const D,
    stype: c_int,
    recvbuf: *mut c_void,
    recvcounts: *const C,
    rdispls: *const D,
    rtype: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let n = c.comm().size();
    // SAFETY: the arrays hold one entry per rank.
    let (k, d) = unsafe {
        (
            ints("recvcounts", recvcounts, n)?,
            ints("rdispls", rdispls, n)?,
        )
    };
    let recv = parts_v("recvcounts", &k, &d, &comm_type(rtype)?)?;
    let send = || {
        // SAFETY: as above.
        let (k, d) = unsafe {
            (
                ints("sendcounts", sendcounts, n)?,
                ints("sdispls", sdispls, n)?,
            )
        };
        parts_v("sendcounts", &k, &d, &comm_type(stype)?)
    };
    alltoall(sendbuf, send, recvbuf, recv, false, &c)
}

mpi_fn! {
    fn MPI_Alltoallv / PMPI_Alltoallv(sendbuf: *const c_void, sendcounts: *const c_int, sdispls: *const c_int, sendtype: c_int, recvbuf: *mut c_void, recvcounts: *const c_int, rdispls: *const c_int, recvtype: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Alltoallv", comm, || unsafe { alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm) })
    }
}

mpi_fn! {
    fn MPI_Alltoallv_c / PMPI_Alltoallv_c(sendbuf: *const c_void, sendcounts: *const i64, sdispls: *const isize, sendtype: c_int, recvbuf: *mut c_void, recvcounts: *const i64, rdispls: *const isize, recvtype: c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Alltoallv_c", comm, || unsafe { alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm) })
    }
}

/// Alltoallw with either width of counts and displacements (in bytes).
///
/// # Safety
/// The arrays hold one entry per rank (the send ones unless MPI_IN_PLACE).
#[allow(clippy::too_many_arguments)]
unsafe fn alltoallw<C: Wide, D: Wide>(
    sendbuf: *const c_void,
    sendcounts: *const C,
    sdispls: *const D,
    stypes: *const c_int,
    recvbuf: *mut c_void,
    recvcounts: *const C,
    rdispls: *const D,
    rtypes: *const c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    let n = c.comm().size();
    // SAFETY: the arrays hold one entry per rank.
    let recv = unsafe {
        let k = ints("recvcounts", recvcounts, n)?;
        let d = ints("rdispls", rdispls, n)?;
        parts_w("recvcounts", &k, &d, &handles("recvtypes", rtypes, n)?)?
    };
    let send = || {
        // SAFETY: as above.
        unsafe {
            let k = ints("sendcounts", sendcounts, n)?;
            let d = ints("sdispls", sdispls, n)?;
            parts_w("sendcounts", &k, &d, &handles("sendtypes", stypes, n)?)
        }
    };
    alltoall(sendbuf, send, recvbuf, recv, false, &c)
}

mpi_fn! {
    fn MPI_Alltoallw / PMPI_Alltoallw(sendbuf: *const c_void, sendcounts: *const c_int, sdispls: *const c_int, sendtypes: *const c_int, recvbuf: *mut c_void, recvcounts: *const c_int, rdispls: *const c_int, recvtypes: *const c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Alltoallw", comm, || unsafe { alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls, recvtypes, comm) })
    }
}

mpi_fn! {
    fn MPI_Alltoallw_c / PMPI_Alltoallw_c(sendbuf: *const c_void, sendcounts: *const i64, sdispls: *const isize, sendtypes: *const c_int, recvbuf: *mut c_void, recvcounts: *const i64, rdispls: *const isize, recvtypes: *const c_int, comm: c_int) -> c_int {
        // SAFETY: the arrays are the caller's, as the standard describes.
        call("MPI_Alltoallw_c", comm, || unsafe { alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls, recvtypes, comm) })
    }
}

mpi_fn! {
    fn MPI_Reduce / PMPI_Reduce(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: c_int, op: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Reduce", comm, || reduce(sendbuf, recvbuf, count.wide(), datatype, op, root, comm))
    }
}

mpi_fn! {
    fn MPI_Reduce_c / PMPI_Reduce_c(sendbuf: *const c_void, recvbuf: *mut c_void, count: i64, datatype: c_int, op: c_int, root: c_int, comm: c_int) -> c_int {
        call("MPI_Reduce_c", comm, || reduce(sendbuf, recvbuf, count, datatype, op, root, comm))
    }
}

mpi_fn! {
    fn MPI_Allreduce / PMPI_Allreduce(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Allreduce", comm, || reduce_all(AllKind::Allreduce, sendbuf, recvbuf, count.wide(), datatype, op, comm))
    }
}

mpi_fn! {
    fn MPI_Allreduce_c / PMPI_Allreduce_c(sendbuf: *const c_void, recvbuf: *mut c_void, count: i64, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Allreduce_c", comm, || reduce_all(AllKind::Allreduce, sendbuf, recvbuf, count, datatype, op, comm))
    }
}

mpi_fn! {
    fn MPI_Scan / PMPI_Scan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Scan", comm, || reduce_all(AllKind::Scan, sendbuf, recvbuf, count.wide(), datatype, op, comm))
    }
}

mpi_fn! {
    fn MPI_Scan_c / PMPI_Scan_c(sendbuf: *const c_void, recvbuf: *mut c_void, count: i64, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Scan_c", comm, || reduce_all(AllKind::Scan, sendbuf, recvbuf, count, datatype, op, comm))
    }
}

mpi_fn! {
    fn MPI_Exscan / PMPI_Exscan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Exscan", comm, || reduce_all(AllKind::Exscan, sendbuf, recvbuf, count.wide(), datatype, op, comm))
    }
}

mpi_fn! {
    fn MPI_Exscan_c / PMPI_Exscan_c(sendbuf: *const c_void, recvbuf: *mut c_void, count: i64, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Exscan_c", comm, || reduce_all(AllKind::Exscan, sendbuf, recvbuf, count, datatype, op, comm))
    }
}

/// Reduce_scatter with either width of counts.
///
/// # Safety
/// `recvcounts` holds one entry per rank.
unsafe fn reduce_scatter_v<C: Wide>(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    recvcounts: *const C,
    dt: c_int,
    op: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    // SAFETY: one entry per rank.
    let k = unsafe { ints("recvcounts", recvcounts, c.comm().size())? };
    reduce_scatter(sendbuf, recvbuf, &k, dt, op, &c)
}

fn reduce_scatter_block(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    recvcount: i64,
    dt: c_int,
    op: c_int,
    comm: c_int,
) -> Result<()> {
    let c = comm_of(comm)?;
    count("recvcount", recvcount)?;
    let k = vec![recvcount; c.comm().size()];
    reduce_scatter(sendbuf, recvbuf, &k, dt, op, &c)
}

mpi_fn! {
    fn MPI_Reduce_scatter / PMPI_Reduce_scatter(sendbuf: *const c_void, recvbuf: *mut c_void, recvcounts: *const c_int, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        // SAFETY: the array is the caller's, as the standard describes.
        call("MPI_Reduce_scatter", comm, || unsafe { reduce_scatter_v(sendbuf, recvbuf, recvcounts, datatype, op, comm) })
    }
}

mpi_fn! {
    fn MPI_Reduce_scatter_c / PMPI_Reduce_scatter_c(sendbuf: *const c_void, recvbuf: *mut c_void, recvcounts: *const i64, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        // SAFETY: the array is the caller's, as the standard describes.
        call("MPI_Reduce_scatter_c", comm, || unsafe { reduce_scatter_v(sendbuf, recvbuf, recvcounts, datatype, op, comm) })
    }
}

mpi_fn! {
    fn MPI_Reduce_scatter_block / PMPI_Reduce_scatter_block(sendbuf: *const c_void, recvbuf: *mut c_void, recvcount: c_int, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Reduce_scatter_block", comm, || reduce_scatter_block(sendbuf, recvbuf, recvcount.wide(), datatype, op, comm))
    }
}

mpi_fn! {
    fn MPI_Reduce_scatter_block_c / PMPI_Reduce_scatter_block_c(sendbuf: *const c_void, recvbuf: *mut c_void, recvcount: i64, datatype: c_int, op: c_int, comm: c_int) -> c_int {
        call("MPI_Reduce_scatter_block_c", comm, || reduce_scatter_block(sendbuf, recvbuf, recvcount, datatype, op, comm))
    }
}

mpi_fn! {
    fn MPI_Reduce_local / PMPI_Reduce_local(inbuf: *const c_void, inoutbuf: *mut c_void, count: c_int, datatype: c_int, op: c_int) -> c_int {
        call("MPI_Reduce_local", NO_OBJECT, || reduce_local(inbuf, inoutbuf, count.wide(), datatype, op))
    }
}

mpi_fn! {
    fn MPI_Reduce_local_c / PMPI_Reduce_local_c(inbuf: *const c_void, inoutbuf: *mut c_void, count: i64, datatype: c_int, op: c_int) -> c_int {
        call("MPI_Reduce_local_c", NO_OBJECT, || reduce_local(inbuf, inoutbuf, count, datatype, op))
    }
}
