//! The shared segment and its lock-free structures: the bottom layer.
//!
//! A job has exactly one segment: an anonymous `memfd` created by `shmrun`,
//! sized by [`Layout`] for the job's rank count and mapped `MAP_SHARED` by
//! every rank. Because every process maps it at its own address, nothing in
//! the segment holds a pointer: every structure is found by an offset that
//! [`Layout`] computes from the rank count alone, the same in every process.
//!
//! ```text
//! +-------------------+  0
//! | SegmentHeader     |  magic, size, capability flags
//! +-------------------+  layout.ranks
//! | RankBlock x n     |  doorbell, pid, rendezvous flags, collective slot and direct stream headers
//! +-------------------+  layout.ring_controls
//! | RingControl x n*n |  head/tail of the SPSC ring from rank s to rank d
//! +-------------------+  layout.coll_data
//! | slot data x 2n    |  two collective sub-buffers per rank
//! +-------------------+  layout.ring_data   (page aligned)
//! | ring data x n*n   |  one byte ring per ordered pair
//! +-------------------+  layout.total
//! ```
//!
//! The memfd is sparse: a page costs memory only once a process touches it,
//! so the ring of a pair that never talks is never allocated, and a 64-rank
//! job pays for the rings it uses, not for 64 x 64 of them.
//!
//! # Memory orderings
//!
//! Every structure here follows one publication protocol: the writer fills
//! plain memory, then stores a counter or flag with `Release`; the reader
//! loads that counter with `Acquire` and only then reads the memory. The
//! ring's `tail` (written by the producer) publishes frames, its `head`
//! (written by the consumer) publishes free space; a rendezvous flag
//! publishes that a pull finished; a collective slot's `tag` publishes its
//! data and its `done` counter publishes that readers are finished with it;
//! a direct stream's `tag` publishes the address of a rank's own buffer
//! and its `done` counter that readers have copied what they wanted.
//! Sleeping is the one place that needs `SeqCst`: see [`doorbell`].

pub mod cma;
pub mod doorbell;
pub mod ring;

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use crossbeam_utils::CachePadded;
use memmap2::MmapMut;

pub use doorbell::Doorbell;
pub use ring::{Frame, FrameHeader, RingConsumer, RingControl, RingProducer};

/// Identifies a shmpi segment of this very layout: ASCII "shmpi" in the
/// high bytes, and in the low 16 bits a fingerprint of the structure sizes
/// and constants, so that a program built with another shmpi than the
/// `shmrun` that started it is told so instead of misreading the segment.
const MAGIC: u64 = 0x0073_686d_7069_0000 | (layout_fingerprint() & 0xffff);

const fn layout_fingerprint() -> u64 {
    let parts = [
        std::mem::size_of::<SegmentHeader>(),
        std::mem::size_of::<RankBlock>(),
        std::mem::size_of::<RingControl>(),
        COLL_CHUNK,
        COLL_SLOTS,
        RENDEZVOUS_SLOTS,
        std::mem::size_of::<ring::FrameHeader>(),
    ];
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < parts.len() {
        h = (h ^ parts[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h ^ (h >> 32) ^ (h >> 16)
}

/// Number of rendezvous flags per rank: at most this many large sends of
/// one rank can wait for their receivers at the same time.
pub const RENDEZVOUS_SLOTS: usize = 256;

/// Bytes of one collective sub-buffer.
pub const COLL_CHUNK: usize = 128 * 1024;

/// Collective sub-buffers per rank: a chunk can be published while the
/// readers of the previous `COLL_SLOTS - 1` chunks are still copying.
pub const COLL_SLOTS: usize = 8;

/// Capability flag: ranks may copy directly between address spaces with
/// `process_vm_readv` (cross-memory attach).
pub const CAP_CMA: u32 = 1;

const PAGE: usize = 4096;

/// The first bytes of the segment.
#[repr(C)]
pub struct SegmentHeader {
    magic: AtomicU64,
    size: AtomicU32,
    caps: AtomicU32,
    ring_capacity: AtomicU64,
    reported: AtomicU32,
}

/// The state of one rendezvous flag (see [`RankBlock::rendezvous`]).
pub mod rendezvous {
    /// The sender has announced a message and waits.
    pub const POSTED: u32 = 1;
    /// The receiver has copied the message; the sender may complete.
    pub const DONE: u32 = 2;
}

/// The header of one collective sub-buffer of a rank.
///
/// The owner waits until `done` reaches the number of reads it expects for
/// the sub-buffer's previous content, fills the data and `total`, then
/// stores `tag` (`Release`). A reader waits for `tag` to equal the tag of
/// the collective step it is in (`Acquire`), copies, then adds one to
/// `done` (`Release`).
#[repr(C)]
pub struct SlotHeader {
    /// What the owner published last.
    pub published: CachePadded<Published>,
    /// How many reads of this sub-buffer have finished, ever.
    pub done: CachePadded<AtomicU64>,
}

/// The owner's side of a [`SlotHeader`].
#[repr(C)]
pub struct Published {
    /// Which collective step the data belongs to (see `engine::coll`).
    pub tag: AtomicU64,
    /// Bytes of the whole stream the chunk is part of, so that readers can
    /// tell when ranks disagree about a collective's sizes.
    pub total: AtomicU64,
    /// A chunk of at most [`INLINE`] bytes travels here, on the tag's own
    /// cache line, instead of in the sub-buffer: one line for a reader to
    /// fetch instead of two.
    inline: std::cell::UnsafeCell<[u8; INLINE]>,
}

/// Largest chunk carried on the slot header's cache line.
pub const INLINE: usize = 96;

/// The header of a rank's direct stream: a large collective contribution
/// that readers copy straight out of the owner's own buffer with
/// cross-memory attach, one copy instead of two through the sub-buffers.
///
/// The owner waits until `done` reaches the number of reads it expects for
/// its previous direct stream, stores `addr` and `total`, then `tag`
/// (`Release`); it keeps the buffer unchanged until `done` counts every
/// read of this stream. A reader waits for `tag` (`Acquire`), copies what
/// it wants, then adds one to `done` (`Release`).
#[repr(C)]
pub struct DirectHeader {
    /// What the owner published last.
    pub published: CachePadded<DirectPublished>,
    /// How many reads of direct streams have finished, ever.
    pub done: CachePadded<AtomicU64>,
}

/// The owner's side of a [`DirectHeader`].
#[repr(C)]
pub struct DirectPublished {
    /// Which collective the stream belongs to (see `engine::coll`).
    pub tag: AtomicU64,
    /// Bytes of the stream.
    pub total: AtomicU64,
    /// Where the stream starts in the owner's address space.
    pub addr: AtomicU64,
}

/// The part of the segment that belongs to one rank.
#[repr(C)]
pub struct RankBlock {
    /// Rung by anyone who publishes something this rank may be waiting for.
    pub doorbell: CachePadded<Doorbell>,
    /// The rank's process id, for cross-memory attach.
    pub pid: AtomicU32,
    /// Set once the rank has attached to the segment.
    pub attached: AtomicU32,
    /// Rendezvous flags: the receiver of a large message sets the flag that
    /// the sender named to `rendezvous::DONE` once it has pulled the data.
    pub rendezvous: [AtomicU32; RENDEZVOUS_SLOTS],
    /// Headers of the collective sub-buffers.
    pub slots: [SlotHeader; COLL_SLOTS],
    /// Header of the rank's direct stream.
    pub direct: DirectHeader,
    /// What the rank sleeps on, for deadlock diagnosis.
    pub wait: WaitRecord,
}

/// What a rank is blocked on, written by the rank before it sleeps and read
/// by the others only to explain a deadlock (all `Relaxed`: a diagnosis
/// needs values that stay put for seconds, not a precise order).
#[repr(C)]
#[derive(Default)]
pub struct WaitRecord {
    /// 0 running, [`WaitRecord::SLEEPING`] or [`WaitRecord::FINALIZED`].
    pub state: AtomicU32,
    /// Engine-defined kind of wait.
    pub kind: AtomicU32,
    /// The rank waited for (engine-defined numbering), or a negative code.
    pub peer: AtomicI32,
    /// The tag waited for, or a negative code.
    pub tag: AtomicI32,
    /// The context of the communicator.
    pub context: AtomicU32,
}

impl WaitRecord {
    /// The rank sleeps in a blocking call.
    pub const SLEEPING: u32 = 1;
    /// The rank has finalized: it will never make progress again.
    pub const FINALIZED: u32 = 2;
}

/// Where everything lives in a segment for `n` ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Number of ranks.
    pub n: usize,
    /// Bytes of each ring's data area (a power of two).
    pub ring_capacity: usize,
    ranks: usize,
    ring_controls: usize,
    coll_data: usize,
    ring_data: usize,
    /// Total bytes of the segment.
    pub total: usize,
}

fn align_up(x: usize, a: usize) -> usize {
    x.div_ceil(a) * a
}

impl Layout {
    /// The layout of a segment for `n` ranks.
    ///
    /// Rings are 128 KiB up to 64 ranks and shrink (to at least 16 KiB) so
    /// that the address space of all rings stays within 8 GiB; only the
    /// pages a pair writes are ever backed by memory.
    pub fn new(n: usize) -> Layout {
        assert!(n >= 1, "a job has at least one rank");
        let mut ring_capacity = 128 * 1024;
        while ring_capacity > 16 * 1024 && n * n * ring_capacity > (8 << 30) {
            ring_capacity /= 2;
        }
        let ranks = align_up(std::mem::size_of::<SegmentHeader>(), 128);
        let ring_controls = align_up(ranks + n * std::mem::size_of::<RankBlock>(), 128);
        let coll_data = align_up(
            ring_controls + n * n * std::mem::size_of::<RingControl>(),
            PAGE,
        );
        let ring_data = align_up(coll_data + COLL_SLOTS * n * COLL_CHUNK, PAGE);
        let total = ring_data + n * n * ring_capacity;
        Layout {
            n,
            ring_capacity,
            ranks,
            ring_controls,
            coll_data,
            ring_data,
            total,
        }
    }
}

/// A mapped segment.
pub struct Segment {
    map: MmapMut,
    layout: Layout,
}

// SAFETY: everything a `Segment` hands out is an atomic or a raw pointer
// whose use is governed by the protocols of this module; the mapping itself
// is valid in every thread.
unsafe impl Sync for Segment {}
// SAFETY: as above; the mapping does not belong to a thread.
unsafe impl Send for Segment {}

impl Segment {
    /// Creates a zeroed segment for `n` ranks in a new memfd. The fd is
    /// close-on-exec; the launcher clears that flag in each rank's child.
    pub fn create(n: usize, caps: u32) -> std::io::Result<(Segment, OwnedFd)> {
        let layout = Layout::new(n);
        let fd =
            nix::sys::memfd::memfd_create(c"shmpi", nix::sys::memfd::MemFdCreateFlag::MFD_CLOEXEC)?;
        let file = File::from(fd.try_clone()?);
        file.set_len(layout.total as u64)?;
        let seg = Segment::map(&file, n)?;
        let h = seg.header();
        h.size.store(n as u32, Ordering::Relaxed);
        h.caps.store(caps, Ordering::Relaxed);
        h.ring_capacity
            .store(layout.ring_capacity as u64, Ordering::Relaxed);
        h.magic.store(MAGIC, Ordering::Release);
        Ok((seg, fd))
    }

    /// Maps the segment of a job of `n` ranks from an inherited fd (which
    /// stays open; the caller closes it).
    pub fn attach(fd: i32, n: usize) -> std::io::Result<Segment> {
        // SAFETY: `fd` is borrowed only for the duration of the mapping
        // call; ManuallyDrop keeps the File from closing it.
        let file = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
        let seg = Segment::map(&file, n)?;
        let h = seg.header();
        let magic = h.magic.load(Ordering::Acquire);
        if magic >> 16 == MAGIC >> 16 && magic != MAGIC {
            return Err(std::io::Error::other(
                "the segment was made by a shmrun of another shmpi version: rebuild the program and shmrun from the same shmpi",
            ));
        }
        if magic != MAGIC || h.size.load(Ordering::Relaxed) as usize != n {
            return Err(std::io::Error::other(format!(
                "fd {fd} is not a shmpi segment for {n} ranks"
            )));
        }
        Ok(seg)
    }

    /// Maps the segment from the fd the launcher handed down, then closes
    /// that fd: the mapping keeps the memfd alive, and a process the rank
    /// starts should not inherit it.
    pub fn adopt(fd: i32, n: usize) -> std::io::Result<Segment> {
        let seg = Segment::attach(fd, n)?;
        // SAFETY: the launcher gave this process the fd for this purpose
        // only; nothing else in the process owns or uses it.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
        Ok(seg)
    }

    fn map(file: &File, n: usize) -> std::io::Result<Segment> {
        let layout = Layout::new(n);
        let len = file.metadata()?.len() as usize;
        if len < layout.total {
            return Err(std::io::Error::other(format!(
                "segment fd {} has {len} bytes, {} needed for {n} ranks (were the program and shmrun built from different shmpi versions?)",
                file.as_raw_fd(),
                layout.total
            )));
        }
        // SAFETY: the memfd is shared only among the ranks of this job, and
        // every access to it goes through the atomics and protocols of this
        // module; nobody truncates it while mapped.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .len(layout.total)
                .map_mut(file)?
        };
        Ok(Segment { map, layout })
    }

    /// The layout this segment was mapped with.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Number of ranks of the job.
    pub fn size(&self) -> usize {
        self.layout.n
    }

    /// The capability flags the launcher found (`CAP_*`).
    pub fn caps(&self) -> u32 {
        self.header().caps.load(Ordering::Relaxed)
    }

    /// Claims the right to report the job's fate (a deadlock): true for
    /// exactly one caller in the whole job.
    pub fn claim_report(&self) -> bool {
        self.header()
            .reported
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }

    fn base(&self) -> *mut u8 {
        self.map.as_ptr() as *mut u8
    }

    fn header(&self) -> &SegmentHeader {
        // SAFETY: offset 0 holds a SegmentHeader (all atomics, valid when
        // zeroed) and the mapping outlives the borrow.
        unsafe { &*(self.base() as *const SegmentHeader) }
    }

    /// The block of rank `r`.
    pub fn rank(&self, r: usize) -> &RankBlock {
        assert!(r < self.layout.n);
        // SAFETY: Layout reserves n RankBlocks at `ranks`, 128-byte aligned;
        // a RankBlock is atomics only, valid when zeroed.
        unsafe {
            &*(self
                .base()
                .add(self.layout.ranks + r * std::mem::size_of::<RankBlock>())
                as *const RankBlock)
        }
    }

    fn ring_parts(&self, src: usize, dst: usize) -> (&RingControl, *mut u8) {
        let n = self.layout.n;
        assert!(src < n && dst < n);
        let pair = src * n + dst;
        // SAFETY: Layout reserves n*n RingControls at `ring_controls` and
        // n*n data areas of `ring_capacity` bytes at `ring_data`.
        unsafe {
            let ctl = &*(self
                .base()
                .add(self.layout.ring_controls + pair * std::mem::size_of::<RingControl>())
                as *const RingControl);
            let data = self
                .base()
                .add(self.layout.ring_data + pair * self.layout.ring_capacity);
            (ctl, data)
        }
    }

    /// The sending end of the ring from `src` to `dst`. Only rank `src` may
    /// hold it, and only one at a time.
    pub fn producer(&self, src: usize, dst: usize) -> RingProducer<'_> {
        let (ctl, data) = self.ring_parts(src, dst);
        // SAFETY: (ctl, data) are the control and data of one ring of
        // `ring_capacity` bytes inside this mapping.
        unsafe { RingProducer::new(ctl, data, self.layout.ring_capacity) }
    }

    /// The receiving end of the ring from `src` to `dst`. Only rank `dst`
    /// may hold it, and only one at a time.
    pub fn consumer(&self, src: usize, dst: usize) -> RingConsumer<'_> {
        let (ctl, data) = self.ring_parts(src, dst);
        // SAFETY: as in `producer`.
        unsafe { RingConsumer::new(ctl, data, self.layout.ring_capacity) }
    }

    /// Collective sub-buffer `sub` (below `COLL_SLOTS`) of rank `r`.
    pub fn coll_slot(&self, r: usize, sub: usize) -> CollSlot<'_> {
        assert!(r < self.layout.n && sub < COLL_SLOTS);
        CollSlot {
            header: &self.rank(r).slots[sub],
            // SAFETY: Layout reserves COLL_SLOTS * n chunks of COLL_CHUNK bytes at `coll_data`.
            data: unsafe {
                self.base()
                    .add(self.layout.coll_data + (COLL_SLOTS * r + sub) * COLL_CHUNK)
            },
        }
    }
}

/// One collective sub-buffer: its header and its `COLL_CHUNK` bytes. The
/// protocol of [`SlotHeader`] is enforced here, so that the engine above
/// needs no unsafe code: the owner can write only once every expected
/// read is done, and a reader sees the data only while its read counts as
/// not done.
pub struct CollSlot<'a> {
    header: &'a SlotHeader,
    data: *mut u8,
}

impl<'a> CollSlot<'a> {
    /// How many reads of this sub-buffer have finished, ever (`Acquire`).
    pub fn reads_done(&self) -> u64 {
        self.header.done.load(Ordering::Acquire)
    }

    /// The tag of the last publication (`Acquire`).
    pub fn tag(&self) -> u64 {
        self.header.published.tag.load(Ordering::Acquire)
    }

    /// Owner only: writes `data` and publishes it under `tag`, as part of a
    /// stream of `total` bytes. Panics unless `reads_done()` has reached
    /// `reads_expected`, the count of reads of everything published before.
    pub fn publish(&self, tag: u64, total: u64, data: &[u8], reads_expected: u64) {
        assert!(
            data.len() <= COLL_CHUNK,
            "a chunk is at most COLL_CHUNK bytes"
        );
        assert!(
            self.reads_done() >= reads_expected,
            "collective slot reused before its readers finished"
        );
        let to = if data.len() <= INLINE {
            self.header.published.inline.get() as *mut u8
        } else {
            self.data
        };
        // SAFETY: every read of the previous content is done (Acquire
        // above) and no reader looks at the data again until it sees the
        // new tag, stored below with Release; `data` fits where it goes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), to, data.len()) };
        self.header.published.total.store(total, Ordering::Relaxed);
        self.header.published.tag.store(tag, Ordering::Release);
    }

    /// Reader: the published chunk if its tag is `tag`. The read counts as
    /// done when the returned guard is dropped.
    pub fn read(&self, tag: u64) -> Option<SlotRead<'a>> {
        (self.tag() == tag).then(|| SlotRead {
            header: self.header,
            data: self.data,
            total: self.header.published.total.load(Ordering::Relaxed),
        })
    }
}

/// A chunk being read; see [`CollSlot::read`].
pub struct SlotRead<'a> {
    header: &'a SlotHeader,
    data: *const u8,
    total: u64,
}

impl SlotRead<'_> {
    /// Bytes of the whole stream the chunk belongs to.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The first `len` bytes of the chunk; `len` must be the length the
    /// owner published (it says where a short chunk travels).
    pub fn bytes(&self, len: usize) -> &[u8] {
        assert!(len <= COLL_CHUNK);
        let from = if len <= INLINE {
            self.header.published.inline.get() as *const u8
        } else {
            self.data
        };
        // SAFETY: the owner published this chunk (tag seen with Acquire)
        // and does not write it again until `done` counts this read, which
        // happens only when the guard (and so this borrow) ends.
        unsafe { std::slice::from_raw_parts(from, len) }
    }
}

impl Drop for SlotRead<'_> {
    fn drop(&mut self) {
        self.header.done.fetch_add(1, Ordering::Release);
    }
}

impl Segment {
    /// The direct stream of rank `r`.
    pub fn direct_stream(&self, r: usize) -> DirectStream<'_> {
        let block = self.rank(r);
        DirectStream {
            header: &block.direct,
            pid: &block.pid,
        }
    }
}

/// A rank's direct stream (see [`DirectHeader`]). Readers copy with
/// [`cma::read_from`], which checks every address in the kernel: a wrong
/// address gives an error, never a bad read in this process.
pub struct DirectStream<'a> {
    header: &'a DirectHeader,
    /// The owner's pid, stored before anything it publishes.
    pid: &'a AtomicU32,
}

impl<'a> DirectStream<'a> {
    /// How many reads of this rank's direct streams have finished, ever (`Acquire`).
    pub fn reads_done(&self) -> u64 {
        self.header.done.load(Ordering::Acquire)
    }

    /// The tag of the last publication (`Acquire`).
    pub fn tag(&self) -> u64 {
        self.header.published.tag.load(Ordering::Acquire)
    }

    /// Owner only: offers `buf` under `tag`. Panics unless `reads_done()`
    /// has reached `reads_expected`, the count of reads of every stream
    /// published before. The caller keeps `buf` alive and unchanged until
    /// its readers are done.
    pub fn publish(&self, tag: u64, buf: &[u8], reads_expected: u64) {
        assert!(
            self.reads_done() >= reads_expected,
            "direct stream reused before its readers finished"
        );
        let p = &self.header.published;
        p.addr.store(buf.as_ptr() as u64, Ordering::Relaxed);
        p.total.store(buf.len() as u64, Ordering::Relaxed);
        p.tag.store(tag, Ordering::Release);
    }

    /// Reader: the published stream if its tag is `tag`. The read counts as
    /// done when the returned guard is dropped.
    pub fn read(&self, tag: u64) -> Option<DirectRead<'a>> {
        (self.tag() == tag).then(|| {
            let p = &self.header.published;
            DirectRead {
                header: self.header,
                pid: self.pid.load(Ordering::Relaxed),
                addr: p.addr.load(Ordering::Relaxed),
                total: p.total.load(Ordering::Relaxed),
            }
        })
    }
}

/// A direct stream being read; see [`DirectStream::read`].
pub struct DirectRead<'a> {
    header: &'a DirectHeader,
    pid: u32,
    addr: u64,
    total: u64,
}

impl DirectRead<'_> {
    /// Bytes of the stream.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Copies bytes `offset..offset + dst.len()` of the stream into `dst`.
    pub fn copy(&self, offset: usize, dst: &mut [u8]) -> std::io::Result<()> {
        assert!(offset + dst.len() <= self.total as usize);
        cma::read_from(self.pid, self.addr + offset as u64, dst)
    }
}

impl Drop for DirectRead<'_> {
    fn drop(&mut self) {
        self.header.done.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_aligned_and_sparse() {
        for n in [1, 2, 8, 64, 256] {
            let l = Layout::new(n);
            assert_eq!(l.ring_data % PAGE, 0);
            assert_eq!(l.coll_data % PAGE, 0);
            assert!(l.total >= l.ring_data + n * n * l.ring_capacity);
            assert!(l.ring_capacity.is_power_of_two());
        }
        assert_eq!(Layout::new(64).ring_capacity, 128 * 1024);
        assert!(Layout::new(1024).total < 20 << 30);
    }

    #[test]
    fn collective_slot_protocol() {
        let (seg, _fd) = Segment::create(2, 0).unwrap();
        let owner = seg.coll_slot(0, 1);
        owner.publish(7, 5, b"hello", 0);
        let reader = seg.coll_slot(0, 1);
        assert!(reader.read(8).is_none());
        let r = reader.read(7).unwrap();
        assert_eq!((r.total(), r.bytes(5)), (5, &b"hello"[..]));
        let long = vec![7u8; INLINE + 1];
        assert_eq!(owner.reads_done(), 0);
        drop(r);
        assert_eq!(owner.reads_done(), 1);
        owner.publish(9, 3, b"abc", 1);
        let reuse_too_early = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            owner.publish(10, 1, b"x", 2)
        }));
        assert!(reuse_too_early.is_err());
        assert_eq!(reader.read(9).unwrap().bytes(3), b"abc");
        owner.publish(11, long.len() as u64, &long, 2);
        assert_eq!(reader.read(11).unwrap().bytes(long.len()), &long[..]);
    }

    #[test]
    fn direct_stream_protocol() {
        let (seg, _fd) = Segment::create(2, CAP_CMA).unwrap();
        seg.rank(1).pid.store(std::process::id(), Ordering::Relaxed);
        let owner = seg.direct_stream(1);
        let buf: Vec<u8> = (0..=255).collect();
        owner.publish(5, &buf, 0);
        let reader = seg.direct_stream(1);
        assert!(reader.read(6).is_none());
        let r = reader.read(5).unwrap();
        assert_eq!(r.total(), 256);
        let mut got = [0u8; 4];
        r.copy(100, &mut got).unwrap();
        assert_eq!(got, [100, 101, 102, 103]);
        assert_eq!(owner.reads_done(), 0);
        let reuse_too_early =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| owner.publish(7, &buf, 1)));
        assert!(reuse_too_early.is_err());
        drop(r);
        assert_eq!(owner.reads_done(), 1);
        owner.publish(7, &buf[..3], 1);
        assert_eq!(reader.read(7).unwrap().total(), 3);
    }

    #[test]
    fn create_then_attach_sees_same_memory() {
        let (seg, fd) = Segment::create(4, CAP_CMA).unwrap();
        seg.rank(3).pid.store(42, Ordering::Relaxed);
        let other = Segment::attach(fd.as_raw_fd(), 4).unwrap();
        assert_eq!(other.rank(3).pid.load(Ordering::Relaxed), 42);
        assert_eq!(other.caps(), CAP_CMA);
        assert!(Segment::attach(fd.as_raw_fd(), 5).is_err());
    }
}
