//! Collectives through the collective slots: every byte moves by a direct
//! copy from one rank's slot (or its own buffer) into another rank's
//! buffer, never as a chain of point-to-point messages.
//!
//! # Slots and streams
//!
//! Every rank owns [`COLL_SLOTS`] sub-buffers of [`COLL_CHUNK`] bytes in the segment.
//! A collective is a set of *streams*: each rank that contributes data (the
//! root of a broadcast, every rank of an allgather) publishes its buffer in
//! chunks, chunk k into sub-buffer (k + s) mod COLL_SLOTS where s is the
//! collective's sequence number (so that consecutive small collectives
//! alternate sub-buffers and rarely wait for each other's readers), and
//! every rank reads the byte
//! ranges of other ranks' streams that it needs. All collectives run one
//! loop, [`Engine::exchange`]: at step k a rank publishes its chunk k (if any
//! reader wants bytes of it), then reads chunk k of every stream it wants,
//! owners in descending rank order (so reductions fold as x0 op (x1 op
//! (... op xn-1)), the order the standard asks for non-commutative ops).
//!
//! A chunk is identified by a 64-bit tag: context id (16 bits), the
//! communicator's collective sequence number (32 bits) and the chunk index
//! (16 bits). Before reusing a sub-buffer the owner waits until `done`
//! counts every read of its previous chunk. This needs no deadlock-prone
//! ordering: publishing chunk k waits only for reads of chunk
//! k - COLL_SLOTS, which every rank performs at that earlier step.
//!
//! The owner also publishes its stream's total length; a reader that
//! expects another length reports mismatched collective arguments instead
//! of waiting forever.
//!
//! # Direct streams
//!
//! Copying through a sub-buffer costs two copies, and the second one pulls
//! cache lines that the owner has just dirtied on another core, which is
//! the slowest way to move memory between cores (on the 2-core machine of
//! benches/RESULTS.md: about 3 GB/s, against about 8 GB/s for one
//! `process_vm_readv` out of the owner's buffer). So a stream of at least
//! `SHMPI_COLL_CMA_MIN` bytes (64 KiB by default), where the job may use
//! cross-memory attach, is published *directly*: the owner publishes its
//! buffer's address once ([`crate::shm::DirectStream`]), every reader copies
//! the byte ranges it wants straight out of it, chunk by chunk in the same
//! steps as above (so folds keep their order), and the owner returns only
//! once every reader is done with its buffer. Readers tell the two kinds
//! apart by which header carries the collective's tag, so ranks need not
//! agree beforehand which streams are direct.
//!
//! Orderings: see the [`shm`](crate::shm) module doc (`tag` and `done` are
//! the publication counters of a slot).

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;

use super::{Engine, WaitFor};
use crate::error::{mpi_err, mpi_error, Result};
use crate::shm::{DirectRead, COLL_CHUNK, COLL_SLOTS};

/// The engine's view of a communicator: its members and its context.
#[derive(Debug)]
pub struct Comm {
    /// World rank of each member, in communicator rank order.
    pub ranks: Vec<usize>,
    /// This process's rank in the communicator.
    pub me: usize,
    /// Context id: messages and collective chunks of this communicator carry it.
    pub context: u32,
    seq: Cell<u32>,
}

impl Comm {
    /// A communicator whose first collective will use sequence `first_seq`.
    pub fn new(ranks: Vec<usize>, me: usize, context: u32, first_seq: u32) -> Comm {
        Comm {
            ranks,
            me,
            context,
            seq: Cell::new(first_seq),
        }
    }

    /// Number of members.
    pub fn size(&self) -> usize {
        self.ranks.len()
    }

    /// The sequence number the last collective used.
    pub fn last_seq(&self) -> u32 {
        self.seq.get()
    }

    fn next_seq(&self) -> u32 {
        let s = self.seq.get().wrapping_add(1).max(1);
        self.seq.set(s);
        s
    }
}

/// How many reads this rank's sub-buffers and direct stream must see
/// before reuse, and the buffers an exchange works in.
#[derive(Default)]
pub(crate) struct SlotState {
    expected: [Cell<u64>; COLL_SLOTS],
    direct_expected: Cell<u64>,
    scratch: Cell<Vec<u8>>,
    tables: Cell<Tables>,
}

/// The per-member tables of an [`Engine::exchange`], kept between calls.
#[derive(Default)]
struct Tables {
    wants: Vec<(Range<usize>, Option<usize>)>,
    reader_ranges: Vec<Range<usize>>,
    readers: Vec<usize>,
    done_with: Vec<bool>,
}

/// Maximum number of communicators a process can have at once.
pub const MAX_CONTEXTS: usize = 1024;
const WORDS: usize = MAX_CONTEXTS / 64;

/// Which context ids this process uses, and the last collective sequence
/// number used on each, so that a reused id never meets a stale chunk.
pub(crate) struct ContextTable {
    used: [u64; WORDS],
    last_seq: HashMap<u32, u32>,
}

impl ContextTable {
    pub(crate) fn new() -> ContextTable {
        let mut used = [0; WORDS];
        used[0] = 0b11; // the world (0) and every process's MPI_COMM_SELF (1)
        ContextTable {
            used,
            last_seq: HashMap::new(),
        }
    }

    /// Returns context `ctx` of a freed communicator whose last collective was `seq`.
    pub(crate) fn release(&mut self, ctx: u32, seq: u32) {
        self.used[ctx as usize / 64] &= !(1 << (ctx % 64));
        self.last_seq.insert(ctx, seq);
    }
}

fn tag(context: u32, seq: u32, chunk: usize) -> u64 {
    ((context as u64) << 48) | ((seq as u64) << 16) | (chunk as u64 & 0xffff)
}

/// What one rank does in an [`Engine::exchange`].
pub(crate) struct Plan<'a, W, R> {
    /// This rank's stream (empty when it contributes nothing).
    pub mine: &'a [u8],
    /// Bytes of this rank's stream that reader `r` (a communicator rank) wants.
    pub readers: R,
    /// Bytes of owner `o`'s stream this rank wants, and the stream length it expects (None: unknown).
    pub wants: W,
    /// Chunk size in bytes (a multiple of the element size).
    pub chunk: usize,
}

/// Where the bytes an [`Engine::exchange`] reads go.
pub(crate) trait Sink {
    /// Receives bytes `off..off + d.len()` of owner `o`'s stream.
    fn take(&mut self, o: usize, off: usize, d: &[u8]);

    /// The place where bytes `off..off + len` of owner `o`'s stream belong
    /// when they are simply copied (not folded): a direct read lands there
    /// without a copy in between.
    fn place(&mut self, _o: usize, _off: usize, _len: usize) -> Option<&mut [u8]> {
        None
    }
}

impl<F: FnMut(usize, usize, &[u8])> Sink for F {
    fn take(&mut self, o: usize, off: usize, d: &[u8]) {
        self(o, off, d)
    }
}

/// A sink that copies every byte into `recv`, byte `off` of owner `o`'s
/// stream at `at(o, off)`.
struct CopyTo<'a, A> {
    recv: &'a mut [u8],
    at: A,
}

impl<A: Fn(usize, usize) -> usize> Sink for CopyTo<'_, A> {
    fn take(&mut self, o: usize, off: usize, d: &[u8]) {
        if let Some(dst) = self.place(o, off, d.len()) {
            dst.copy_from_slice(d);
        }
    }

    fn place(&mut self, o: usize, off: usize, len: usize) -> Option<&mut [u8]> {
        let at = (self.at)(o, off);
        Some(&mut self.recv[at..at + len])
    }
}

fn chunks_of(r: &Range<usize>, chunk: usize) -> Range<usize> {
    if r.is_empty() {
        0..0
    } else {
        r.start / chunk..r.end.div_ceil(chunk)
    }
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> Range<usize> {
    a.start.max(b.start)..a.end.min(b.end)
}

/// The chunk size for elements of `elem` bytes.
pub(crate) fn chunk_for(elem: usize) -> usize {
    let elem = elem.max(1);
    COLL_CHUNK - COLL_CHUNK % elem
}

impl Engine {
    /// Publishes chunk `k` of `mine` for `readers` (communicator ranks).
    fn publish(
        &self,
        comm: &Comm,
        seq: u32,
        k: usize,
        chunk: usize,
        mine: &[u8],
        readers: &[usize],
    ) -> Result<()> {
        let sub = (k + seq as usize) % COLL_SLOTS;
        let slot = self.segment().coll_slot(self.rank, sub);
        let expected = self.coll.expected[sub].get();
        if slot.reads_done() < expected {
            let why = WaitFor::Collective {
                call: "collective",
                peer: self.rank,
            };
            self.wait_until(why, |_| Ok(slot.reads_done() >= expected))?;
        }
        let part = &mine[(k * chunk).min(mine.len())..((k + 1) * chunk).min(mine.len())];
        slot.publish(tag(comm.context, seq, k), mine.len() as u64, part, expected);
        self.coll.expected[sub].set(expected + readers.len() as u64);
        for &r in readers {
            self.wake(comm.ranks[r]);
        }
        Ok(())
    }

    /// Offers `mine` as this rank's direct stream to `readers` readers.
    fn publish_direct(&self, comm: &Comm, seq: u32, mine: &[u8], readers: &[usize]) {
        let stream = self.segment().direct_stream(self.rank);
        let expected = self.coll.direct_expected.get();
        stream.publish(tag(comm.context, seq, 0), mine, expected);
        self.coll
            .direct_expected
            .set(expected + readers.len() as u64);
        for &r in readers {
            self.wake(comm.ranks[r]);
        }
    }

    /// Waits until every reader of this rank's direct stream is done with it.
    fn wait_direct_readers(&self) -> Result<()> {
        let stream = self.segment().direct_stream(self.rank);
        let expected = self.coll.direct_expected.get();
        if stream.reads_done() < expected {
            let why = WaitFor::Collective {
                call: "collective",
                peer: self.rank,
            };
            self.wait_until(why, |_| Ok(stream.reads_done() >= expected))?;
        }
        Ok(())
    }

    /// Waits for bytes `want` (within chunk `k`) of owner `o`'s stream and
    /// hands them to `sink`; `want_end` is where the bytes this rank wants
    /// of the stream end, and `direct` keeps an open direct read of it
    /// between steps. Returns whether this rank has all it wants of the
    /// stream: after its last chunk, or at once when the stream is direct
    /// and the sink has a place for all the rest (one copy, no steps).
    #[allow(clippy::too_many_arguments)]
    fn read_chunk<'s>(
        &'s self,
        call: &str,
        comm: &Comm,
        seq: u32,
        o: usize,
        k: usize,
        chunk: usize,
        want: Range<usize>,
        want_end: usize,
        expect_total: Option<usize>,
        direct: &mut Option<DirectRead<'s>>,
        sink: &mut impl Sink,
    ) -> Result<bool> {
        let w = comm.ranks[o];
        let sub = (k + seq as usize) % COLL_SLOTS;
        let slot = self.segment().coll_slot(w, sub);
        let stream = self.segment().direct_stream(w);
        let t = tag(comm.context, seq, k);
        let t0 = tag(comm.context, seq, 0);
        let mismatch = |total: usize| {
            match expect_total {
            Some(e) if e != total => mpi_err!(
                Count,
                "{call}: rank {} contributes {total} bytes but rank {} expects {e} (the ranks' counts or types disagree)",
                o,
                comm.me
            ),
            _ => Ok(()),
        }
        };
        if direct.is_none() {
            if slot.tag() != t && stream.tag() != t0 {
                self.wait_until(WaitFor::Collective { call, peer: w }, |_| {
                    Ok(slot.tag() == t || stream.tag() == t0)
                })?;
            }
            if let Some(read) = stream.read(t0) {
                if let Err(e) = mismatch(read.total() as usize) {
                    drop(read);
                    self.wake(w);
                    return Err(e);
                }
                *direct = Some(read);
            }
        }
        if let Some(read) = direct.as_ref() {
            let total = read.total() as usize;
            let clip =
                |r: Range<usize>| r.start.min(total)..r.end.min(total).max(r.start.min(total));
            let rest = clip(want.start..want_end);
            let want = clip(want);
            let (copied, finished) = if let Some(dst) = sink.place(o, rest.start, rest.len()) {
                (read.copy(rest.start, dst), true)
            } else {
                let mut scratch = self.coll.scratch.take();
                scratch.resize(scratch.len().max(want.len()), 0);
                let dst = &mut scratch[..want.len()];
                let copied = read.copy(want.start, dst);
                if copied.is_ok() {
                    sink.take(o, want.start, dst);
                }
                self.coll.scratch.set(scratch);
                (copied, want.end >= rest.end)
            };
            let copied = copied.map_err(|e| {
                mpi_error!(
                    Other,
                    "{call}: cannot copy from rank {o}'s buffer (process_vm_readv: {e})"
                )
            });
            if finished || copied.is_err() {
                *direct = None;
                self.wake(w);
            }
            return copied.map(|()| finished);
        }
        let read = slot.read(t).expect("the tag was seen");
        let total = read.total() as usize;
        let result = mismatch(total).map(|()| {
            let base = k * chunk;
            let data = read.bytes(total.saturating_sub(base).min(chunk));
            let (lo, hi) = (want.start - base, (want.end - base).min(data.len()));
            if lo < hi {
                sink.take(o, want.start, &data[lo..hi]);
            }
            want.end >= want_end
        });
        drop(read);
        self.wake(w);
        result
    }

    /// Runs one collective: see the module doc. `sink` receives the bytes
    /// of every stream this rank wants (own data included, taken straight
    /// from `plan.mine`), owners in descending order per step.
    pub(crate) fn exchange<W, R>(
        &self,
        call: &str,
        comm: &Comm,
        plan: Plan<'_, W, R>,
        mut sink: impl Sink,
    ) -> Result<()>
    where
        W: Fn(usize) -> (Range<usize>, Option<usize>),
        R: Fn(usize) -> Range<usize>,
    {
        self.check_live(call)?;
        let seq = comm.next_seq();
        let n = comm.size();
        let me = comm.me;
        let c = plan.chunk;
        // The per-member tables come from buffers kept between calls: a
        // small collective is over in well under a microsecond, and a heap
        // allocation per table would be a large part of it.
        let mut t = self.coll.tables.take();
        t.wants.clear();
        t.wants.extend((0..n).map(&plan.wants));
        t.reader_ranges.clear();
        t.reader_ranges
            .extend((0..n).map(|r| if r == me { 0..0 } else { (plan.readers)(r) }));
        // Owners whose streams this rank has read all it wants of, or that
        // disagree with what it expects (their later chunks may never come).
        t.done_with.clear();
        t.done_with.resize(n, false);
        let Tables {
            wants,
            reader_ranges,
            readers,
            done_with,
        } = &mut t;
        let mut steps = plan.mine.len().div_ceil(c);
        for (o, (w, _)) in wants.iter().enumerate() {
            if o != me {
                steps = steps.max(chunks_of(w, c).end);
            }
        }
        let direct =
            plan.mine.len() >= self.direct_min && reader_ranges.iter().any(|r| !r.is_empty());
        if direct {
            readers.clear();
            readers.extend((0..n).filter(|&r| !reader_ranges[r].is_empty()));
            self.publish_direct(comm, seq, plan.mine, readers);
        }
        // Open direct reads, by owner; allocated only once one is opened.
        let mut open: Vec<Option<DirectRead<'_>>> = Vec::new();
        let mut first_error = None;
        for k in 0..steps {
            let step = k * c..(k + 1) * c;
            let span = k * c..((k + 1) * c).min(plan.mine.len());
            if !direct {
                readers.clear();
                readers.extend((0..n).filter(|&r| !overlap(&reader_ranges[r], &span).is_empty()));
                if !readers.is_empty() {
                    if let Err(e) = self.publish(comm, seq, k, c, plan.mine, readers) {
                        first_error.get_or_insert(e);
                        break;
                    }
                }
            }
            for o in (0..n).rev() {
                let (want, expect) = &wants[o];
                let span = overlap(want, &step);
                if span.is_empty() || done_with[o] {
                    continue;
                }
                if o == me {
                    sink.take(o, span.start, &plan.mine[span.clone()]);
                    continue;
                }
                let mut opened = None;
                let direct_read = if open.is_empty() {
                    &mut opened
                } else {
                    &mut open[o]
                };
                let r = self.read_chunk(
                    call,
                    comm,
                    seq,
                    o,
                    k,
                    c,
                    span.clone(),
                    want.end,
                    *expect,
                    direct_read,
                    &mut sink,
                );
                if opened.is_some() {
                    open.resize_with(n, || None);
                    open[o] = opened;
                }
                match r {
                    Ok(finished) => done_with[o] = finished,
                    Err(e) => {
                        done_with[o] = true;
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        self.coll.tables.set(t);
        // Reads left open (an error stopped this rank early) end here.
        drop(open);
        if direct {
            if let Err(e) = self.wait_direct_readers() {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits for the empty chunk `k` by which member `o` says it has
    /// arrived in barrier `seq`.
    fn wait_arrival(&self, comm: &Comm, seq: u32, o: usize, k: usize) -> Result<()> {
        let nothing = &mut |_, _, _: &[u8]| {};
        self.read_chunk(
            "barrier",
            comm,
            seq,
            o,
            k,
            0,
            0..0,
            0,
            None,
            &mut None,
            nothing,
        )
        .map(|_| ())
    }

    /// Blocks until every member of `comm` has called it.
    pub fn barrier(&self, comm: &Comm) -> Result<()> {
        self.check_live("barrier")?;
        let n = comm.size();
        if n == 1 {
            return Ok(());
        }
        let seq = comm.next_seq();
        let me = comm.me;
        if n <= 4 {
            // Few ranks: everyone announces itself to everyone (one hop).
            let others: Vec<usize> = (0..n).filter(|&r| r != me).collect();
            self.publish(comm, seq, 0, COLL_CHUNK, &[], &others)?;
            for o in others {
                self.wait_arrival(comm, seq, o, 0)?;
            }
            return Ok(());
        }
        // More: gather the arrivals at rank 0, which releases everyone (two
        // hops, but O(n) reads instead of O(n^2)).
        let all_but_root: Vec<usize> = (1..n).collect();
        if me == 0 {
            for o in 1..n {
                self.wait_arrival(comm, seq, o, 0)?;
            }
            self.publish(comm, seq, 1, COLL_CHUNK, &[], &all_but_root)
        } else {
            self.publish(comm, seq, 0, COLL_CHUNK, &[], &[0])?;
            self.wait_arrival(comm, seq, 0, 1)
        }
    }

    /// Agrees on a context id free in every member of `comm` and on the
    /// first sequence number to use with it.
    pub(crate) fn agree_context(&self, comm: &Comm) -> Result<(u32, u32)> {
        self.agree_context_by(|send, recv, f| self.allreduce_u64(comm, send, recv, f))
    }

    /// Like [`Engine::agree_context`], among the members of `comm` only,
    /// by point-to-point messages of context `p2p_context` and tag `tag`
    /// (MPI_Comm_create_group: only the new communicator's members take
    /// part, so no collective of a larger communicator can be used).
    pub(crate) fn agree_context_among(
        &self,
        comm: &Comm,
        p2p_context: u32,
        tag: i32,
    ) -> Result<(u32, u32)> {
        self.agree_context_by(|send, recv, f| {
            self.allreduce_u64_by_messages(comm, p2p_context, tag, send, recv, f)
        })
    }

    /// The agreement of [`Engine::agree_context`], over an allreduce of
    /// u64 words: the ids free everywhere (bitwise and), the lowest of
    /// them, then the largest last sequence number any member used it with.
    fn agree_context_by(
        &self,
        allreduce: impl Fn(&[u64], &mut [u64], fn(u64, u64) -> u64) -> Result<()>,
    ) -> Result<(u32, u32)> {
        let free: Vec<u64> = self.contexts.borrow().used.iter().map(|w| !w).collect();
        let mut all_free = vec![0u64; WORDS];
        allreduce(&free, &mut all_free, |a, b| a & b)?;
        let Some(ctx) = all_free
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| (i * 64) as u32 + w.trailing_zeros())
        else {
            return mpi_err!(
                Other,
                "comm create: all {MAX_CONTEXTS} communicator contexts are in use"
            );
        };
        let last = *self.contexts.borrow().last_seq.get(&ctx).unwrap_or(&0) as u64;
        let mut max_last = [0u64];
        allreduce(&[last], &mut max_last, |a, b| a.max(b))?;
        self.contexts.borrow_mut().used[ctx as usize / 64] |= 1 << (ctx % 64);
        Ok((ctx, max_last[0] as u32))
    }

    /// An allreduce of u64 words (for commutative `f`) by point-to-point
    /// messages of context `p2p_context` and tag `tag`: member 0 gathers
    /// and folds, then sends the result to every member.
    fn allreduce_u64_by_messages(
        &self,
        comm: &Comm,
        p2p_context: u32,
        tag: i32,
        send: &[u64],
        recv: &mut [u64],
        f: fn(u64, u64) -> u64,
    ) -> Result<()> {
        // Members are named by their world rank, not their rank in `comm`:
        // calls for overlapping groups with the same tag may run at once,
        // and their members' ranks in those groups collide.
        let env = |member: usize| super::Envelope {
            context: p2p_context,
            source: comm.ranks[member] as i32,
            tag,
        };
        let me = comm.ranks[comm.me] as u32;
        recv.copy_from_slice(send);
        let out: &mut [u8] = bytemuck::cast_slice_mut(recv);
        if comm.me == 0 {
            let mut theirs = vec![0u64; send.len()];
            for r in 1..comm.size() {
                self.recv(env(r), bytemuck::cast_slice_mut(&mut theirs))?;
                let acc: &mut [u64] = bytemuck::cast_slice_mut(out);
                for (a, t) in acc.iter_mut().zip(&theirs) {
                    *a = f(*a, *t);
                }
            }
            for r in 1..comm.size() {
                self.send(comm.ranks[r], p2p_context, me, tag, out)?;
            }
        } else {
            self.send(
                comm.ranks[0],
                p2p_context,
                me,
                tag,
                bytemuck::cast_slice(send),
            )?;
            self.recv(env(0), out)?;
        }
        Ok(())
    }

    fn allreduce_u64(
        &self,
        comm: &Comm,
        send: &[u64],
        recv: &mut [u64],
        f: impl Fn(u64, u64) -> u64,
    ) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(send);
        let out: &mut [u8] = bytemuck::cast_slice_mut(recv);
        self.allreduce(comm, bytes, out, 8, &|a: &[u8], b: &mut [u8]| {
            let a: &[u64] = bytemuck::cast_slice(a);
            let b: &mut [u64] = bytemuck::cast_slice_mut(b);
            for (x, y) in a.iter().zip(b) {
                *y = f(*x, *y);
            }
        })
    }
}

/// A reduction on raw bytes: `inout = in op inout`, element-wise, both
/// slices aligned for and a whole number of the element type.
pub type ByteOp<'a> = &'a dyn Fn(&[u8], &mut [u8]);

impl Engine {
    /// Broadcasts `buf` from `root` to every member.
    pub fn bcast(&self, comm: &Comm, buf: &mut [u8], root: usize) -> Result<()> {
        let len = buf.len();
        if comm.me == root {
            let plan = Plan {
                mine: &*buf,
                readers: |_| 0..len,
                wants: |_| (0..0, None),
                chunk: COLL_CHUNK,
            };
            self.exchange("bcast", comm, plan, |_, _, _: &[u8]| {})
        } else {
            let plan = Plan {
                mine: &[],
                readers: |_| 0..0,
                wants: |o: usize| {
                    if o == root {
                        (0..len, Some(len))
                    } else {
                        (0..0, None)
                    }
                },
                chunk: COLL_CHUNK,
            };
            let sink = CopyTo {
                recv: buf,
                at: |_, off: usize| off,
            };
            self.exchange("bcast", comm, plan, sink)
        }
    }

    /// Gathers each member's `send` into `recv` of `root`, member i's bytes at `ranges[i]`.
    pub fn gatherv(
        &self,
        comm: &Comm,
        send: &[u8],
        recv: &mut [u8],
        ranges: &[Range<usize>],
        root: usize,
    ) -> Result<()> {
        let me = comm.me;
        let plan = Plan {
            mine: send,
            readers: |r| if r == root { 0..send.len() } else { 0..0 },
            wants: |o: usize| {
                if me == root {
                    (0..ranges[o].len(), Some(ranges[o].len()))
                } else {
                    (0..0, None)
                }
            },
            chunk: COLL_CHUNK,
        };
        let sink = CopyTo {
            recv,
            at: |o: usize, off: usize| ranges[o].start + off,
        };
        self.exchange("gather", comm, plan, sink)
    }

    /// Every member gathers every member's `send`, member i's bytes at `ranges[i]`.
    pub fn allgatherv(
        &self,
        comm: &Comm,
        send: &[u8],
        recv: &mut [u8],
        ranges: &[Range<usize>],
    ) -> Result<()> {
        let plan = Plan {
            mine: send,
            readers: |_| 0..send.len(),
            wants: |o: usize| (0..ranges[o].len(), Some(ranges[o].len())),
            chunk: COLL_CHUNK,
        };
        let sink = CopyTo {
            recv,
            at: |o: usize, off: usize| ranges[o].start + off,
        };
        self.exchange("allgather", comm, plan, sink)
    }

    /// Scatters: member i receives `send[ranges[i]]` of `root` into `recv`.
    pub fn scatterv(
        &self,
        comm: &Comm,
        send: &[u8],
        ranges: &[Range<usize>],
        recv: &mut [u8],
        root: usize,
    ) -> Result<()> {
        // Each member first learns where its part starts in the root's buffer.
        let mut mine = [0u64; 2];
        let starts: Vec<u64> = if comm.me == root {
            ranges
                .iter()
                .flat_map(|r| [r.start as u64, r.len() as u64])
                .collect()
        } else {
            Vec::new()
        };
        let uniform: Vec<Range<usize>> = (0..comm.size()).map(|i| i * 16..(i + 1) * 16).collect();
        let me = comm.me;
        self.scatter_known(
            comm,
            bytemuck::cast_slice(&starts),
            &uniform,
            uniform[me].clone(),
            bytemuck::cast_slice_mut(&mut mine),
            root,
        )?;
        let want = mine[0] as usize..(mine[0] + mine[1]) as usize;
        if want.len() != recv.len() {
            // Take part anyway (the root waits for this read), then refuse.
            let mut sink = vec![0u8; want.len()];
            self.scatter_known(comm, send, ranges, want.clone(), &mut sink, root)?;
            return mpi_err!(
                Count,
                "scatterv: root {root} sends {} bytes to rank {me} but it expects {}",
                want.len(),
                recv.len()
            );
        }
        self.scatter_known(comm, send, ranges, want, recv, root)
    }

    /// Scatter where every member knows where its part lies in the root's
    /// buffer (`want`, as long as `recv`); `ranges` (every member's part)
    /// is the root's only (others may pass none). The root's own `want`
    /// may be empty (its part stays where it is: MPI_IN_PLACE).
    pub fn scatter_known(
        &self,
        comm: &Comm,
        send: &[u8],
        ranges: &[Range<usize>],
        want: Range<usize>,
        recv: &mut [u8],
        root: usize,
    ) -> Result<()> {
        let me = comm.me;
        let plan = Plan {
            mine: if me == root { send } else { &[] },
            // Only the root knows (and needs) every rank's part.
            readers: |r: usize| if me == root { ranges[r].clone() } else { 0..0 },
            wants: |o: usize| {
                if o == root {
                    (want.clone(), None)
                } else {
                    (0..0, None)
                }
            },
            chunk: COLL_CHUNK,
        };
        let base = want.start;
        let sink = CopyTo {
            recv,
            at: |_, off: usize| off - base,
        };
        self.exchange("scatter", comm, plan, sink)
    }

    /// Scatter of equal parts: member i receives bytes `i*len..(i+1)*len` of root's `send`.
    pub fn scatter(&self, comm: &Comm, send: &[u8], recv: &mut [u8], root: usize) -> Result<()> {
        let len = recv.len();
        let ranges: Vec<Range<usize>> = (0..comm.size()).map(|i| i * len..(i + 1) * len).collect();
        if comm.me == root && send.len() != len * comm.size() {
            return mpi_err!(
                Count,
                "scatter: root's send buffer has {} bytes, {} ranks x {len} expected",
                send.len(),
                comm.size()
            );
        }
        let want = ranges[comm.me].clone();
        self.scatter_known(comm, send, &ranges, want, recv, root)
    }

    /// All-to-all of equal parts: member i sends bytes `j*len..(j+1)*len`
    /// of `send` to member j, which receives them at `i*len..` of `recv`.
    pub fn alltoall(&self, comm: &Comm, send: &[u8], recv: &mut [u8]) -> Result<()> {
        let n = comm.size();
        let len = send.len() / n;
        let parts: Vec<Range<usize>> = (0..n).map(|i| i * len..(i + 1) * len).collect();
        let want = vec![parts[comm.me].clone(); n];
        let place: Vec<usize> = parts.iter().map(|r| r.start).collect();
        self.alltoall_known(comm, send, &parts, recv, &want, &place, true)
    }

    /// All-to-all: member i sends `send[sranges[j]]` to member j, which
    /// receives it at `recv[rranges[i]]`.
    pub fn alltoallv(
        &self,
        comm: &Comm,
        send: &[u8],
        sranges: &[Range<usize>],
        recv: &mut [u8],
        rranges: &[Range<usize>],
    ) -> Result<()> {
        let n = comm.size();
        // Learn where each owner keeps our part: an all-to-all of (start, len).
        let mine: Vec<u64> = sranges
            .iter()
            .flat_map(|r| [r.start as u64, r.len() as u64])
            .collect();
        let mut theirs = vec![0u64; 2 * n];
        self.alltoall(
            comm,
            bytemuck::cast_slice(&mine),
            bytemuck::cast_slice_mut(&mut theirs),
        )?;
        for o in 0..n {
            if theirs[2 * o + 1] as usize != rranges[o].len() {
                return mpi_err!(
                    Count,
                    "alltoallv: rank {o} sends {} bytes to rank {} but it expects {}",
                    theirs[2 * o + 1],
                    comm.me,
                    rranges[o].len()
                );
            }
        }
        let want: Vec<Range<usize>> = (0..n)
            .map(|o| theirs[2 * o] as usize..(theirs[2 * o] + theirs[2 * o + 1]) as usize)
            .collect();
        let place: Vec<usize> = rranges.iter().map(|r| r.start).collect();
        self.alltoall_known(comm, send, sranges, recv, &want, &place, false)
    }

    /// All-to-all where every member knows which bytes of each owner's
    /// buffer it wants (`want[o]`) and where they go (`place[o]`).
    #[allow(clippy::too_many_arguments)]
    fn alltoall_known(
        &self,
        comm: &Comm,
        send: &[u8],
        sranges: &[Range<usize>],
        recv: &mut [u8],
        want: &[Range<usize>],
        place: &[usize],
        check_total: bool,
    ) -> Result<()> {
        let total = send.len();
        let plan = Plan {
            mine: send,
            readers: |r: usize| sranges[r].clone(),
            wants: |o: usize| {
                (
                    want[o].clone(),
                    if check_total { Some(total) } else { None },
                )
            },
            chunk: COLL_CHUNK,
        };
        let sink = CopyTo {
            recv,
            at: |o: usize, off: usize| place[o] + off - want[o].start,
        };
        self.exchange("alltoall", comm, plan, sink)
    }
}

impl Engine {
    /// Reduces every member's `send` into `recv` of `root` (rank order).
    pub fn reduce(
        &self,
        comm: &Comm,
        send: &[u8],
        recv: &mut [u8],
        elem: usize,
        op: ByteOp<'_>,
        root: usize,
    ) -> Result<()> {
        let me = comm.me;
        let len = send.len();
        let plan = Plan {
            mine: send,
            readers: |r| if r == root { 0..len } else { 0..0 },
            wants: |_| {
                if me == root {
                    (0..len, Some(len))
                } else {
                    (0..0, None)
                }
            },
            chunk: chunk_for(elem),
        };
        let last = comm.size() - 1;
        self.exchange("reduce", comm, plan, |o, off, d: &[u8]| {
            fold(recv, off, d, o == last, op)
        })
    }

    /// Reduces every member's `send` into every member's `recv` (rank order).
    ///
    /// Short vectors: every rank reads every contribution and folds them
    /// all (one step, n reads per rank). Long ones, from three ranks up:
    /// a reduce-scatter, where each rank folds one n-th, then an allgather
    /// of the folded parts, so each rank reads about 2x the vector instead
    /// of n x.
    pub fn allreduce(
        &self,
        comm: &Comm,
        send: &[u8],
        recv: &mut [u8],
        elem: usize,
        op: ByteOp<'_>,
    ) -> Result<()> {
        let len = send.len();
        let n = comm.size();
        let elems = len / elem.max(1);
        if n >= 3 && len >= 64 * 1024 && elems >= n {
            let ranges: Vec<Range<usize>> = (0..n)
                .map(|i| (i * elems / n) * elem..((i + 1) * elems / n) * elem)
                .collect();
            let mine = ranges[comm.me].clone();
            self.reduce_scatter(comm, send, &ranges, &mut recv[mine.clone()], elem, op)?;
            let part = recv[mine].to_vec();
            return self.allgatherv(comm, &part, recv, &ranges);
        }
        let plan = Plan {
            mine: send,
            readers: |_| 0..len,
            wants: |_| (0..len, Some(len)),
            chunk: chunk_for(elem),
        };
        let last = comm.size() - 1;
        self.exchange("allreduce", comm, plan, |o, off, d: &[u8]| {
            fold(recv, off, d, o == last, op)
        })
    }

    /// Reduces every member's `send` and leaves bytes `ranges[i]` of the
    /// result in member i's `recv`.
    pub fn reduce_scatter(
        &self,
        comm: &Comm,
        send: &[u8],
        ranges: &[Range<usize>],
        recv: &mut [u8],
        elem: usize,
        op: ByteOp<'_>,
    ) -> Result<()> {
        let me = comm.me;
        let len = send.len();
        let mine = ranges[me].clone();
        let plan = Plan {
            mine: send,
            readers: |r: usize| ranges[r].clone(),
            wants: |_| (mine.clone(), Some(len)),
            chunk: chunk_for(elem),
        };
        let last = comm.size() - 1;
        let base = mine.start;
        self.exchange("reduce_scatter", comm, plan, |o, off, d: &[u8]| {
            fold(recv, off - base, d, o == last, op)
        })
    }

    /// Inclusive (or, with `exclusive`, exclusive) prefix reduction in rank order.
    pub fn scan(
        &self,
        comm: &Comm,
        send: &[u8],
        recv: &mut [u8],
        elem: usize,
        op: ByteOp<'_>,
        exclusive: bool,
    ) -> Result<()> {
        let me = comm.me;
        let len = send.len();
        let top = if exclusive {
            me.checked_sub(1)
        } else {
            Some(me)
        };
        let plan = Plan {
            mine: send,
            readers: |r| if r > me { 0..len } else { 0..0 },
            wants: |o: usize| match top {
                Some(t) if o <= t => (0..len, Some(len)),
                _ => (0..0, None),
            },
            chunk: chunk_for(elem),
        };
        self.exchange(
            if exclusive { "exscan" } else { "scan" },
            comm,
            plan,
            |o, off, d: &[u8]| fold(recv, off, d, Some(o) == top, op),
        )
    }
}

/// Folds `d` into `acc[off..]`: the first (highest-ranked) contribution is
/// copied, the others combined as `acc = d op acc`.
fn fold(acc: &mut [u8], off: usize, d: &[u8], first: bool, op: ByteOp<'_>) {
    let dst = &mut acc[off..off + d.len()];
    if first {
        dst.copy_from_slice(d);
    } else {
        op(d, dst);
    }
}
