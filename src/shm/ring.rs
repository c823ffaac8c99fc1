//! The single-producer/single-consumer byte ring that carries the frames
//! from one rank to another.
//!
//! Each ordered pair of ranks (s, d) has one ring: only s pushes, only d
//! pops. The ring holds variable-length frames, each a 48-byte
//! [`FrameHeader`] followed by its payload rounded up to 8 bytes. A frame
//! never wraps around the end of the data area: when it would not fit
//! before the end, the producer writes a padding frame (or, when fewer
//! than 48 bytes remain, nothing at all) and starts again at offset 0. So a
//! consumer always sees a frame's payload as one contiguous slice and can
//! copy it straight into a receive buffer.
//!
//! `head` and `tail` are byte counters that only grow (64 bits: they never
//! wrap in practice); a position in the data area is the counter modulo
//! the capacity. Each side keeps its own counter and a cached copy of the
//! other side's on the same cache line as its own, as crossbeam's
//! array queue does, so a push or pop reads the other side's line only
//! when the cached value says the ring looks full (or empty).
//!
//! Orderings: the producer writes the frame, then stores `tail` with
//! `Release`; the consumer loads `tail` with `Acquire` before reading the
//! frame. The consumer stores `head` with `Release` after it has finished
//! reading; the producer loads `head` with `Acquire` before reusing space.

use std::sync::atomic::{AtomicU64, Ordering};

use bytemuck::{Pod, Zeroable};
use crossbeam_utils::CachePadded;

/// Frame kind reserved by the ring for padding up to the end of the data.
const PAD: u32 = 0;

/// The fixed header of every frame. Only `kind` (non-zero) and `len` mean
/// something to the ring; the rest is the engine's envelope.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable, PartialEq, Eq)]
pub struct FrameHeader {
    /// What the frame is (engine-defined, never 0).
    pub kind: u32,
    /// Communication context of the message.
    pub context: u32,
    /// MPI tag.
    pub tag: i32,
    /// Rank of the sender within the message's communicator.
    pub src: u32,
    /// Payload bytes that follow this header.
    pub len: u64,
    /// Bytes of the whole message.
    pub total: u64,
    /// Engine-defined (the address of a rendezvous buffer).
    pub addr: u64,
    /// Engine-defined (a rendezvous flag index).
    pub token: u64,
}

const HEADER: usize = std::mem::size_of::<FrameHeader>();

fn frame_bytes(len: usize) -> usize {
    HEADER + len.next_multiple_of(8)
}

#[repr(C)]
#[derive(Default)]
struct ProducerLine {
    tail: AtomicU64,
    head_cache: AtomicU64,
}

#[repr(C)]
#[derive(Default)]
struct ConsumerLine {
    head: AtomicU64,
    tail_cache: AtomicU64,
}

/// The counters of one ring, in the segment. Zeroed memory is an empty ring.
#[repr(C)]
#[derive(Default)]
pub struct RingControl {
    producer: CachePadded<ProducerLine>,
    consumer: CachePadded<ConsumerLine>,
}

/// The sending end of a ring.
pub struct RingProducer<'a> {
    ctl: &'a RingControl,
    data: *mut u8,
    cap: usize,
}

/// The receiving end of a ring.
pub struct RingConsumer<'a> {
    ctl: &'a RingControl,
    data: *mut u8,
    cap: usize,
}

/// A frame at the front of a ring, borrowed from the ring's memory.
pub struct Frame<'a> {
    /// The frame's header.
    pub header: FrameHeader,
    /// The frame's payload (`header.len` bytes).
    pub payload: &'a [u8],
}

impl<'a> RingProducer<'a> {
    /// # Safety
    /// `data` must point to `cap` bytes that belong to this ring for the
    /// lifetime `'a`, `cap` a power of two of at least 4 KiB, and the
    /// caller must be the ring's only producer.
    pub unsafe fn new(ctl: &'a RingControl, data: *mut u8, cap: usize) -> Self {
        debug_assert!(cap.is_power_of_two() && cap >= 4096);
        RingProducer { ctl, data, cap }
    }

    /// The largest payload a single frame may carry in this ring.
    pub fn max_payload(&self) -> usize {
        self.cap / 2 - HEADER
    }

    /// Pushes one frame if there is room; returns false (and writes
    /// nothing) when the ring is too full.
    pub fn try_push(&self, header: &FrameHeader, payload: &[u8]) -> bool {
        assert!(header.kind != PAD && header.len as usize == payload.len());
        assert!(payload.len() <= self.max_payload(), "frame too large");
        let p = &self.ctl.producer;
        let tail = p.tail.load(Ordering::Relaxed);
        let pos = (tail as usize) & (self.cap - 1);
        let need = frame_bytes(payload.len());
        let room_to_end = self.cap - pos;
        let skip = if need > room_to_end { room_to_end } else { 0 };
        let mut head = p.head_cache.load(Ordering::Relaxed);
        if (tail - head) as usize + skip + need > self.cap {
            head = self.ctl.consumer.head.load(Ordering::Acquire);
            p.head_cache.store(head, Ordering::Relaxed);
            if (tail - head) as usize + skip + need > self.cap {
                return false;
            }
        }
        // SAFETY: the bytes from `tail` to `tail + skip + need` are free
        // (checked against `head` above, which the consumer published with
        // Release after it finished reading them) and lie inside the data
        // area: a frame starts at `pos` only when `need <= cap - pos`.
        unsafe {
            if skip >= HEADER {
                let pad = FrameHeader {
                    kind: PAD,
                    ..Default::default()
                };
                std::ptr::write_unaligned(self.data.add(pos) as *mut FrameHeader, pad);
            }
            let at = (pos + skip) & (self.cap - 1);
            std::ptr::write_unaligned(self.data.add(at) as *mut FrameHeader, *header);
            std::ptr::copy_nonoverlapping(
                payload.as_ptr(),
                self.data.add(at + HEADER),
                payload.len(),
            );
        }
        p.tail.store(tail + (skip + need) as u64, Ordering::Release);
        true
    }
}

impl<'a> RingConsumer<'a> {
    /// # Safety
    /// As for [`RingProducer::new`], with the caller the ring's only consumer.
    pub unsafe fn new(ctl: &'a RingControl, data: *mut u8, cap: usize) -> Self {
        debug_assert!(cap.is_power_of_two() && cap >= 4096);
        RingConsumer { ctl, data, cap }
    }

    /// Whether the ring looks empty, reading only the consumer's own line
    /// unless the cached tail says it is empty.
    pub fn is_empty(&self) -> bool {
        let c = &self.ctl.consumer;
        let head = c.head.load(Ordering::Relaxed);
        if head != c.tail_cache.load(Ordering::Relaxed) {
            return false;
        }
        let tail = self.ctl.producer.tail.load(Ordering::Acquire);
        c.tail_cache.store(tail, Ordering::Relaxed);
        head == tail
    }

    /// The frame at the front, if any. It stays in the ring until [`pop`].
    ///
    /// [`pop`]: RingConsumer::pop
    pub fn peek(&self) -> Option<Frame<'_>> {
        let c = &self.ctl.consumer;
        let mut head = c.head.load(Ordering::Relaxed);
        let mut tail = c.tail_cache.load(Ordering::Relaxed);
        loop {
            if head == tail {
                tail = self.ctl.producer.tail.load(Ordering::Acquire);
                c.tail_cache.store(tail, Ordering::Relaxed);
                if head == tail {
                    return None;
                }
            }
            let pos = (head as usize) & (self.cap - 1);
            let room_to_end = self.cap - pos;
            if room_to_end < HEADER {
                head += room_to_end as u64;
                c.head.store(head, Ordering::Release);
                continue;
            }
            // SAFETY: `head < tail` and the producer published everything
            // below `tail` (Acquire above); a header lies at `pos` and does
            // not cross the end (checked just above).
            let header =
                unsafe { std::ptr::read_unaligned(self.data.add(pos) as *const FrameHeader) };
            if header.kind == PAD {
                head += room_to_end as u64;
                c.head.store(head, Ordering::Release);
                continue;
            }
            // SAFETY: the producer wrote `header.len` payload bytes right
            // after the header, contiguously; they stay untouched until the
            // consumer advances `head` past them in `pop`, which takes
            // `&mut self` and so cannot run while the returned frame lives.
            let payload = unsafe {
                std::slice::from_raw_parts(self.data.add(pos + HEADER), header.len as usize)
            };
            return Some(Frame { header, payload });
        }
    }

    /// Removes the front frame, whose header `peek` returned.
    pub fn pop(&mut self, header: &FrameHeader) {
        let c = &self.ctl.consumer;
        let head = c.head.load(Ordering::Relaxed);
        c.head.store(
            head + frame_bytes(header.len as usize) as u64,
            Ordering::Release,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(cap: usize) -> (Box<RingControl>, Vec<u64>) {
        (Box::default(), vec![0u64; cap / 8])
    }

    #[test]
    fn frames_arrive_in_order_across_wraparound() {
        let cap = 4096;
        let (ctl, mut mem) = ring(cap);
        let data = mem.as_mut_ptr() as *mut u8;
        // SAFETY: `mem` is cap bytes and outlives both ends; one of each.
        let (p, mut c) = unsafe {
            (
                RingProducer::new(&ctl, data, cap),
                RingConsumer::new(&ctl, data, cap),
            )
        };
        let mut next_out = 0u32;
        let mut next_in = 0u32;
        for round in 0..2000u32 {
            let len = (round as usize * 37) % 1500;
            let payload: Vec<u8> = (0..len).map(|i| (i as u32 ^ next_out) as u8).collect();
            let h = FrameHeader {
                kind: 1,
                tag: next_out as i32,
                len: len as u64,
                ..Default::default()
            };
            if p.try_push(&h, &payload) {
                next_out += 1;
            }
            if round % 3 != 0 {
                while let Some(f) = c.peek() {
                    assert_eq!(f.header.tag as u32, next_in);
                    for (i, b) in f.payload.iter().enumerate() {
                        assert_eq!(*b, (i as u32 ^ next_in) as u8);
                    }
                    let h = f.header;
                    c.pop(&h);
                    next_in += 1;
                }
            }
        }
        assert!(next_out > 1000);
    }

    #[test]
    fn full_ring_refuses_then_accepts() {
        let cap = 4096;
        let (ctl, mut mem) = ring(cap);
        let data = mem.as_mut_ptr() as *mut u8;
        // SAFETY: as above.
        let (p, mut c) = unsafe {
            (
                RingProducer::new(&ctl, data, cap),
                RingConsumer::new(&ctl, data, cap),
            )
        };
        let big = vec![7u8; p.max_payload()];
        let h = FrameHeader {
            kind: 2,
            len: big.len() as u64,
            ..Default::default()
        };
        assert!(p.try_push(&h, &big));
        assert!(!p.try_push(&h, &big) || !p.try_push(&h, &big));
        let f = c.peek().unwrap();
        assert_eq!(f.payload, &big[..]);
        let h2 = f.header;
        c.pop(&h2);
        assert!(p.try_push(&h, &big));
    }

    #[test]
    fn two_processes_worth_of_threads() {
        let cap = 8192;
        let (ctl, mut mem) = ring(cap);
        let data = mem.as_mut_ptr() as usize;
        let ctl_ref: &'static RingControl = Box::leak(ctl);
        let prod = std::thread::spawn(move || {
            // SAFETY: this thread is the only producer; memory is leaked-static in effect (joined below).
            let p = unsafe { RingProducer::new(ctl_ref, data as *mut u8, cap) };
            for i in 0..100_000u64 {
                let payload = i.to_le_bytes();
                let h = FrameHeader {
                    kind: 3,
                    len: 8,
                    ..Default::default()
                };
                while !p.try_push(&h, &payload) {
                    std::hint::spin_loop();
                }
            }
        });
        // SAFETY: this thread is the only consumer.
        let mut c = unsafe { RingConsumer::new(ctl_ref, data as *mut u8, cap) };
        let mut expect = 0u64;
        while expect < 100_000 {
            if let Some(f) = c.peek() {
                assert_eq!(u64::from_le_bytes(f.payload.try_into().unwrap()), expect);
                let h = f.header;
                c.pop(&h);
                expect += 1;
            }
        }
        prod.join().unwrap();
        drop(mem);
    }
}
