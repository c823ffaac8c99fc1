//! The single-producer/single-consumer byte ring that carries the frames
//! from one rank to another.
//!
//! Each ordered pair of ranks (s, d) has one ring: only s pushes, only d
//! pops. The ring holds variable-length frames, each a 56-byte
//! [`FrameHeader`] followed by its payload, the whole rounded up to a
//! 64-byte cache line: a frame starts on a line, and a small message (up
//! to 8 bytes of payload) is exactly one line. A frame never wraps around
//! the end of the data area: when it would not fit before the end, the
//! producer writes a padding frame and starts again at offset 0. So a
//! consumer always sees a frame's payload as one contiguous slice and can
//! copy it straight into a receive buffer.
//!
//! `head` (the consumer's) and `tail` (the producer's) are byte counters
//! that only grow (64 bits: they never wrap in practice); a position in the
//! data area is the counter modulo the capacity.
//!
//! A frame says itself that it is there, as in FastForward: its header's
//! first word, `seq`, holds the counter at which it starts, plus one. The
//! consumer polls the word at `head` and finds a frame when it reads
//! `head + 1` there, so taking a small message moves one cache line from
//! producer to consumer (the frame's), not two (the frame's and a shared
//! `tail`'s). Whatever else lies at `head` cannot look like that: the
//! producer, before it publishes a frame, writes 0 to the first word after
//! it, where the next frame will start (it keeps one line free for this
//! when it checks for room); and zeroed memory is an empty ring, since
//! `seq` is never 0. The producer reads `head` only when its cached copy
//! says the ring looks full, as crossbeam's array queue does.
//!
//! Orderings: the producer writes the next frame's first word and the
//! frame, then stores the frame's `seq` with `Release`; the consumer loads
//! `seq` with `Acquire` before reading the rest of the frame. The consumer
//! stores `head` with `Release` after it has finished reading; the
//! producer loads `head` with `Acquire` before reusing space.

use std::sync::atomic::{AtomicU64, Ordering};

use bytemuck::{Pod, Zeroable};
use crossbeam_utils::CachePadded;

/// Frame kind reserved by the ring for padding up to the end of the data.
const PAD: u32 = 0;

/// Frames start on, and fill, whole cache lines.
const LINE: usize = 64;

/// The fixed header of every frame. Only `seq` (the ring's), `kind`
/// (non-zero) and `len` mean something to the ring; the rest is the
/// engine's envelope.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable, PartialEq, Eq)]
pub struct FrameHeader {
    /// Set by the ring: the counter at which the frame starts, plus one.
    pub seq: u64,
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
    (HEADER + len).next_multiple_of(LINE)
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

/// The `seq` word of the frame at byte `pos` of a ring's data area.
///
/// # Safety
/// `data + pos` must be inside the data area and 8-byte aligned (frames
/// start on lines of a line-aligned area).
unsafe fn seq_at<'a>(data: *mut u8, pos: usize) -> &'a AtomicU64 {
    // SAFETY: the caller's contract; the word is only accessed atomically
    // while either side may touch it.
    unsafe { &*(data.add(pos) as *const AtomicU64) }
}

impl<'a> RingProducer<'a> {
    /// # Safety
    /// `data` must point to `cap` bytes, 64-byte aligned, that belong to
    /// this ring for the lifetime `'a`, `cap` a power of two of at least
    /// 4 KiB, and the caller must be the ring's only producer.
    pub unsafe fn new(ctl: &'a RingControl, data: *mut u8, cap: usize) -> Self {
        debug_assert!(cap.is_power_of_two() && cap >= 4096);
        debug_assert!(data as usize % LINE == 0);
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
        // One more line: the first word of the next frame is cleared.
        let used = skip + need + LINE;
        let mut head = p.head_cache.load(Ordering::Relaxed);
        if (tail - head) as usize + used > self.cap {
            head = self.ctl.consumer.head.load(Ordering::Acquire);
            p.head_cache.store(head, Ordering::Relaxed);
            if (tail - head) as usize + used > self.cap {
                return false;
            }
        }
        let at = (pos + skip) & (self.cap - 1);
        let next = tail + (skip + need) as u64;
        // SAFETY: the bytes from `tail` to `tail + used` are free (checked
        // against `head` above, which the consumer published with Release
        // after it finished reading them) and lie inside the data area: a
        // frame starts at `pos` only when `need <= cap - pos`, every frame
        // is whole lines and the area is line aligned.
        unsafe {
            seq_at(self.data, next as usize & (self.cap - 1)).store(0, Ordering::Relaxed);
            let h = FrameHeader { seq: 0, ..*header };
            std::ptr::write(
                self.data.add(at + 8) as *mut [u8; HEADER - 8],
                bytes_after_seq(&h),
            );
            std::ptr::copy_nonoverlapping(
                payload.as_ptr(),
                self.data.add(at + HEADER),
                payload.len(),
            );
            // The frame (and the cleared word after it) before its seq.
            seq_at(self.data, at).store(tail + skip as u64 + 1, Ordering::Release);
            if skip > 0 {
                // The padding frame at the end, published after the frame
                // at offset 0 that the consumer goes on to.
                std::ptr::write(
                    self.data.add(pos + 8) as *mut [u8; HEADER - 8],
                    [0; HEADER - 8],
                );
                seq_at(self.data, pos).store(tail + 1, Ordering::Release);
            }
        }
        p.tail.store(next, Ordering::Relaxed);
        true
    }
}

/// The header's bytes after its `seq` word.
fn bytes_after_seq(h: &FrameHeader) -> [u8; HEADER - 8] {
    bytemuck::bytes_of(h)[8..].try_into().expect("header size")
}

impl<'a> RingConsumer<'a> {
    /// # Safety
    /// As for [`RingProducer::new`], with the caller the ring's only consumer.
    pub unsafe fn new(ctl: &'a RingControl, data: *mut u8, cap: usize) -> Self {
        debug_assert!(cap.is_power_of_two() && cap >= 4096);
        debug_assert!(data as usize % LINE == 0);
        RingConsumer { ctl, data, cap }
    }

    /// Whether the ring looks empty: no frame at `head` yet (reads the one
    /// line the next frame will be on).
    pub fn is_empty(&self) -> bool {
        let head = self.ctl.consumer.head.load(Ordering::Relaxed);
        // SAFETY: `head` is always at a frame start inside the area.
        let seq = unsafe { seq_at(self.data, head as usize & (self.cap - 1)) };
        seq.load(Ordering::Acquire) != head + 1
    }

    /// The frame at the front, if any. It stays in the ring until [`pop`].
    ///
    /// [`pop`]: RingConsumer::pop
    pub fn peek(&self) -> Option<Frame<'_>> {
        let c = &self.ctl.consumer;
        let mut head = c.head.load(Ordering::Relaxed);
        loop {
            let pos = (head as usize) & (self.cap - 1);
            // SAFETY: `head` is at a frame start inside the area.
            if unsafe { seq_at(self.data, pos) }.load(Ordering::Acquire) != head + 1 {
                return None;
            }
            // SAFETY: the producer published the frame at `pos` (its seq,
            // Acquire above) and leaves it alone until `head` passes it; a
            // header does not cross the end of the area.
            let header = unsafe { std::ptr::read(self.data.add(pos) as *const FrameHeader) };
            if header.kind == PAD {
                head += (self.cap - pos) as u64;
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

    /// A cache line of ring memory (the area must be line aligned).
    #[repr(C, align(64))]
    #[derive(Clone, Copy)]
    struct Line([u8; 64]);

    fn ring(cap: usize) -> (Box<RingControl>, Vec<Line>) {
        (Box::default(), vec![Line([0; 64]); cap / 64])
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
    fn old_payload_never_looks_like_a_frame() {
        // Payloads full of the words that would announce frames in the
        // next laps, at every line: the consumer must not see phantoms.
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
        let mut sent = 0u64;
        let mut got = 0u64;
        for lap in 0..40u64 {
            let len = 1000 + (lap as usize * 8) % 300;
            let mut payload = vec![0u8; len];
            for (i, w) in payload.chunks_exact_mut(8).enumerate() {
                let v = (lap + 1) * cap as u64 + (i as u64 * 8) + 1;
                w.copy_from_slice(&v.to_ne_bytes());
            }
            let h = FrameHeader {
                kind: 5,
                tag: lap as i32,
                len: len as u64,
                ..Default::default()
            };
            assert!(p.try_push(&h, &payload));
            sent += 1;
            while let Some(f) = c.peek() {
                assert_eq!(f.header.kind, 5);
                assert_eq!(f.header.tag as u64, got);
                let h = f.header;
                c.pop(&h);
                got += 1;
            }
            assert!(c.is_empty());
            assert_eq!(got, sent);
        }
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
        let data = mem.as_mut_ptr() as *mut u8 as usize;
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
