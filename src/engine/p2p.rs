//! Point-to-point messaging: protocols, matching and requests.
//!
//! # Protocols
//!
//! A message from rank s to rank d travels in the ring (s, d) as frames:
//!
//! - **eager** (up to `eager_max` bytes): one `EAGER` frame holds the whole
//!   message; the send completes as soon as the frame is in the ring.
//! - **rendezvous** (from `cma_min` bytes, 1 MiB by default, when the job may use cross-memory
//!   attach): an `RTS` frame carries the address of the send buffer and the
//!   index of a rendezvous flag in s's rank block. When the receive is
//!   matched, d copies the data straight out of s's memory with
//!   `process_vm_readv` (one copy) and sets the flag; the send completes
//!   when s sees it.
//! - **stream** (everything in between, and all large messages when
//!   cross-memory attach is not allowed): a `STREAM` frame with the first
//!   fragment, then `FRAG` frames, pushed as the ring frees up, so the copy
//!   in and the copy out overlap.
//!
//! # Synchronous mode
//!
//! A synchronous send (MPI_Ssend) must not complete before its receive has
//! matched it. It reserves a rendezvous flag like an RTS does and marks
//! its first frame (`EAGER` or `STREAM`) with the [`SYNC`] bit, the flag's
//! index in `token`. The receiver sets the flag to `DONE` once, when it
//! matches the message: on arrival against a posted receive, when a
//! receive claims it from the unexpected queue, or when a matched probe
//! claims it (a plain probe does not). The send completes when all its
//! frames are pushed and the flag is set. An RTS needs no mark: the
//! receiver pulls, and sets the flag, only once it has matched.
//!
//! # Matched probes
//!
//! A matched probe ([`Engine::improbe`]) claims the first matching
//! unexpected message, so that no other receive or probe can match it, and
//! names it by a [`MessageId`]; [`Engine::imrecv`] then receives it (a
//! message still streaming in completes that receive with its last
//! fragment; a rendezvous one is pulled then).
//!
//! Frames of one sender are pushed in the order the sends were started:
//! while a send to d still has frames to push, later sends to d wait
//! behind it in `outgoing[d]`. So a `FRAG` always belongs to the last
//! `STREAM` from the same sender, and messages between a pair never
//! overtake each other.
//!
//! # Matching
//!
//! A receive names a context (the communicator), a source (or any) and a
//! tag (or any). Arriving frames are matched against posted receives in the
//! order they were posted; a frame no receive matches is queued, in arrival
//! order, in the unexpected queue, which a new receive searches first. This
//! is the MPI ordering rule: the first matching message, in order, goes to
//! the first matching receive, in order.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use super::{Engine, WaitFor};
use crate::error::{mpi_err, Error, ErrorClass, Result};
use crate::shm::{cma, rendezvous, FrameHeader, RENDEZVOUS_SLOTS};

/// Matches any source.
pub const ANY_SOURCE: i32 = -2;
/// Matches any tag.
pub const ANY_TAG: i32 = -1;

const EAGER: u32 = 1;
const RTS: u32 = 2;
const STREAM: u32 = 3;
const FRAG: u32 = 4;
/// Bit of a first frame's `kind`: the message is synchronous, and its
/// receiver sets the sender's rendezvous flag `token` when it matches it.
const SYNC: u32 = 0x100;

/// A message claimed by a matched probe, to be received with [`Engine::imrecv`].
pub type MessageId = u64;

/// Identifies a request of this engine.
pub type RequestId = usize;

/// What a completed receive (or a probe) learned about its message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Rank of the sender in the communicator.
    pub source: i32,
    /// Tag of the message.
    pub tag: i32,
    /// Bytes received (for a probe: bytes of the message).
    pub bytes: usize,
    /// Whether the request was cancelled.
    pub cancelled: bool,
}

impl Status {
    /// Number of whole elements of `T` received.
    pub fn count<T>(&self) -> usize {
        self.bytes / std::mem::size_of::<T>().max(1)
    }
}

/// What a receive matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Communication context.
    pub context: u32,
    /// Source rank in the communicator, or [`ANY_SOURCE`].
    pub source: i32,
    /// Tag, or [`ANY_TAG`].
    pub tag: i32,
}

impl Envelope {
    fn matches(&self, h: &FrameHeader) -> bool {
        self.context == h.context
            && (self.source == ANY_SOURCE || self.source == h.src as i32)
            && (self.tag == ANY_TAG || self.tag == h.tag)
    }
}

/// Where a receive puts its data.
enum Target {
    /// A caller's buffer, valid until the request completes.
    Buffer { ptr: *mut u8, cap: usize },
    /// A vector the engine sizes when the message is matched.
    Vec(Vec<u8>),
}

impl Target {
    fn prepare(&mut self, total: usize) {
        if let Target::Vec(v) = self {
            v.clear();
            v.resize(total, 0);
        }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        match self {
            // SAFETY: the API layer keeps the buffer borrowed (exclusively)
            // until the request completes, and only this engine writes it.
            Target::Buffer { ptr, cap } => unsafe { std::slice::from_raw_parts_mut(*ptr, *cap) },
            Target::Vec(v) => v,
        }
    }
}

/// How far one attempt to push a send's frames got.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Push {
    /// No frame fit.
    Nothing,
    /// Some frames went in; more are left.
    Part,
    /// Every frame is in the ring.
    All,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Eager,
    Rendezvous,
    Stream,
}

enum Kind {
    Send {
        dest: usize,
        header: FrameHeader,
        ptr: *const u8,
        len: usize,
        protocol: Protocol,
        pushed: usize,
        token: usize,
        /// Synchronous mode: complete only once the receiver has matched.
        sync: bool,
        /// The data, when the request had to stop borrowing the caller's.
        owned: Option<Vec<u8>>,
    },
    Recv {
        envelope: Envelope,
        target: Target,
        total: usize,
        received: usize,
    },
}

struct Request {
    kind: Kind,
    status: Status,
    complete: bool,
    error: Option<Error>,
}

enum Body {
    Data(Vec<u8>),
    Partial {
        data: Vec<u8>,
        filled: usize,
        waiter: Option<RequestId>,
    },
    Rendezvous,
}

struct Unexpected {
    uid: u64,
    src_world: usize,
    header: FrameHeader,
    body: Body,
    /// Claimed by a matched probe: only [`Engine::imrecv`] may take it.
    probed: bool,
}

impl Unexpected {
    /// Whether a receive already claimed this (still arriving) message, so
    /// that no other receive or probe may match it.
    fn claimed(&self) -> bool {
        self.probed
            || matches!(
                self.body,
                Body::Partial {
                    waiter: Some(_),
                    ..
                }
            )
    }
}

enum Sink {
    Posted(RequestId),
    Unexpected(u64),
}

/// The point-to-point state of one engine.
pub(crate) struct State {
    requests: Vec<Option<Request>>,
    free: Vec<RequestId>,
    posted: VecDeque<RequestId>,
    unexpected: VecDeque<Unexpected>,
    outgoing: Vec<VecDeque<RequestId>>,
    waiting_rendezvous: Vec<RequestId>,
    streaming_in: Vec<Option<Sink>>,
    free_flags: Vec<usize>,
    next_uid: u64,
    eager_max: usize,
    cma_min: usize,
    fragment: usize,
    queued_sends: usize,
}

/// A numeric setting from the environment, or `default`.
pub(crate) fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl State {
    pub(crate) fn new(size: usize, max_payload: usize) -> State {
        State {
            requests: Vec::new(),
            free: Vec::new(),
            posted: VecDeque::new(),
            unexpected: VecDeque::new(),
            outgoing: (0..size).map(|_| VecDeque::new()).collect(),
            waiting_rendezvous: Vec::new(),
            streaming_in: (0..size).map(|_| None).collect(),
            free_flags: (0..RENDEZVOUS_SLOTS).rev().collect(),
            next_uid: 0,
            eager_max: env_usize("SHMPI_EAGER_MAX", 16 * 1024).min(max_payload),
            cma_min: env_usize("SHMPI_CMA_MIN", 1024 * 1024),
            fragment: env_usize("SHMPI_FRAGMENT", 32 * 1024).clamp(64, max_payload),
            queued_sends: 0,
        }
    }

    fn insert(&mut self, r: Request) -> RequestId {
        match self.free.pop() {
            Some(id) => {
                self.requests[id] = Some(r);
                id
            }
            None => {
                self.requests.push(Some(r));
                self.requests.len() - 1
            }
        }
    }

    fn req(&mut self, id: RequestId) -> &mut Request {
        self.requests[id].as_mut().expect("live request")
    }
}

/// Copies `src` into `target` at `offset`, as far as the target reaches.
fn deliver(target: &mut Target, offset: usize, src: &[u8]) -> usize {
    let dst = target.as_mut_slice();
    if offset >= dst.len() {
        return 0;
    }
    let n = src.len().min(dst.len() - offset);
    dst[offset..offset + n].copy_from_slice(&src[..n]);
    n
}

fn finish_recv(r: &mut Request, header: &FrameHeader, total: usize) {
    let Kind::Recv {
        target, received, ..
    } = &mut r.kind
    else {
        unreachable!("finish_recv on a send")
    };
    let cap = target.as_mut_slice().len();
    r.status = Status {
        source: header.src as i32,
        tag: header.tag,
        bytes: (*received).min(cap),
        cancelled: false,
    };
    if total > cap {
        r.error = Some(Error::new(
            ErrorClass::Truncate,
            format!(
                "receive: message of {total} bytes from rank {} (tag {}) does not fit the {cap}-byte receive buffer",
                header.src, header.tag
            ),
        ));
    }
    r.complete = true;
}

impl Engine {
    /// Starts a send of `len` bytes at `ptr` to world rank `dest`. The
    /// bytes must stay valid and unchanged until the request completes.
    pub fn isend(
        &self,
        dest: usize,
        context: u32,
        src_in_comm: u32,
        tag: i32,
        ptr: *const u8,
        len: usize,
    ) -> Result<RequestId> {
        self.start_send(dest, context, src_in_comm, tag, ptr, len, false)
    }

    /// Starts a synchronous send (MPI_Ssend): like [`isend`](Engine::isend),
    /// but the request completes only once the receiver has matched the
    /// message (see the module doc).
    pub fn issend(
        &self,
        dest: usize,
        context: u32,
        src_in_comm: u32,
        tag: i32,
        ptr: *const u8,
        len: usize,
    ) -> Result<RequestId> {
        self.start_send(dest, context, src_in_comm, tag, ptr, len, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn start_send(
        &self,
        dest: usize,
        context: u32,
        src_in_comm: u32,
        tag: i32,
        ptr: *const u8,
        len: usize,
        sync: bool,
    ) -> Result<RequestId> {
        self.check_live("send")?;
        let mut st = self.state.borrow_mut();
        // A rendezvous with oneself would block a send that precedes its
        // receive; streaming to oneself drains into the unexpected queue.
        let protocol = if len <= st.eager_max {
            Protocol::Eager
        } else if self.cma && len >= st.cma_min && dest != self.rank {
            Protocol::Rendezvous
        } else {
            Protocol::Stream
        };
        let header = envelope_header(context, src_in_comm, tag, ptr, len);
        let id = st.insert(Request {
            kind: Kind::Send {
                dest,
                header,
                ptr,
                len,
                protocol,
                pushed: 0,
                token: usize::MAX,
                sync,
                owned: None,
            },
            status: Status::default(),
            complete: false,
            error: None,
        });
        let push = if st.outgoing[dest].is_empty() {
            self.push_send(&mut st, id)
        } else {
            Push::Nothing
        };
        if push != Push::All {
            st.outgoing[dest].push_back(id);
            st.queued_sends += 1;
        }
        drop(st);
        if push != Push::Nothing {
            self.wake(dest);
        }
        Ok(id)
    }

    /// Pushes what fits of send `id`; true when all its frames are in.
    fn push_send(&self, st: &mut State, id: RequestId) -> Push {
        let fragment = st.fragment;
        let (needs_flag, sync) = match st.req(id).kind {
            Kind::Send {
                protocol,
                token,
                sync,
                ..
            } => (
                token == usize::MAX && (sync || protocol == Protocol::Rendezvous),
                sync,
            ),
            Kind::Recv { .. } => unreachable!("push_send on a receive"),
        };
        let flag = if needs_flag {
            st.free_flags.pop()
        } else {
            None
        };
        if needs_flag && flag.is_none() && sync {
            // A synchronous send cannot start without a flag to learn of
            // its match by: it waits (queued) until one is free.
            return Push::Nothing;
        }
        if needs_flag && flag.is_none() {
            // Every rendezvous flag is taken by sends still waiting for
            // their receivers: stream this one instead of waiting for a
            // flag (which could deadlock a valid program).
            if let Kind::Send { protocol, .. } = &mut st.req(id).kind {
                *protocol = Protocol::Stream;
            }
        }
        let me = self.rank;
        let r = st.req(id);
        let Kind::Send {
            dest,
            header,
            ptr,
            len,
            protocol,
            pushed,
            token,
            sync,
            ..
        } = &mut r.kind
        else {
            unreachable!("push_send on a receive")
        };
        let ring = self.segment().producer(me, *dest);
        let before = *pushed;
        let sync_bit = if *sync { SYNC } else { 0 };
        if let (Some(f), true) = (flag, *sync) {
            *token = f;
            self.segment().rank(me).rendezvous[f].store(rendezvous::POSTED, Ordering::Relaxed);
        }
        // SAFETY: the API keeps the send buffer borrowed until completion.
        let data = unsafe { std::slice::from_raw_parts(*ptr, *len) };
        match protocol {
            Protocol::Eager => {
                let h = FrameHeader {
                    kind: EAGER | sync_bit,
                    len: *len as u64,
                    token: *token as u64,
                    ..*header
                };
                if !ring.try_push(&h, data) {
                    return Push::Nothing;
                }
                if *sync {
                    st.waiting_rendezvous.push(id);
                } else {
                    r.complete = true;
                }
                Push::All
            }
            Protocol::Rendezvous => {
                if let Some(f) = flag {
                    *token = f;
                }
                let h = FrameHeader {
                    kind: RTS,
                    token: *token as u64,
                    ..*header
                };
                let flags = &self.segment().rank(me).rendezvous;
                flags[*token].store(rendezvous::POSTED, Ordering::Relaxed);
                if !ring.try_push(&h, &[]) {
                    return Push::Nothing;
                }
                st.waiting_rendezvous.push(id);
                Push::All
            }
            Protocol::Stream => loop {
                let n = (*len - *pushed).min(fragment);
                let h = FrameHeader {
                    kind: if *pushed == 0 {
                        STREAM | sync_bit
                    } else {
                        FRAG
                    },
                    len: n as u64,
                    token: *token as u64,
                    ..*header
                };
                if !ring.try_push(&h, &data[*pushed..*pushed + n]) {
                    return if *pushed > before {
                        Push::Part
                    } else {
                        Push::Nothing
                    };
                }
                *pushed += n;
                if *pushed == *len {
                    if *sync {
                        st.waiting_rendezvous.push(id);
                    } else {
                        r.complete = true;
                    }
                    return Push::All;
                }
            },
        }
    }

    /// Posts a receive into a caller's buffer (valid until completion).
    pub fn irecv(&self, envelope: Envelope, ptr: *mut u8, cap: usize) -> Result<RequestId> {
        self.post(envelope, Target::Buffer { ptr, cap })
    }

    /// Posts a receive whose buffer the engine sizes to the message.
    pub fn irecv_vec(&self, envelope: Envelope) -> Result<RequestId> {
        self.post(envelope, Target::Vec(Vec::new()))
    }

    fn post(&self, envelope: Envelope, target: Target) -> Result<RequestId> {
        // No progress first: a message still in a ring arrived after every
        // unexpected one from its source, and the next progress matches it
        // against this receive in order.
        self.check_live("recv")?;
        let mut st = self.state.borrow_mut();
        let id = st.insert(Request {
            kind: Kind::Recv {
                envelope,
                target,
                total: 0,
                received: 0,
            },
            status: Status::default(),
            complete: false,
            error: None,
        });
        if let Some(pos) = st
            .unexpected
            .iter()
            .position(|u| !u.claimed() && envelope.matches(&u.header))
        {
            let u = &st.unexpected[pos];
            self.ack_sync(u.src_world, &u.header);
            if let Body::Partial { waiter, .. } = &mut st.unexpected[pos].body {
                // Still arriving: it stays in place, and completes this
                // receive when its last fragment comes in.
                *waiter = Some(id);
            } else {
                let u = st.unexpected.remove(pos).expect("position is in range");
                self.match_unexpected(&mut st, id, u);
            }
        } else {
            st.posted.push_back(id);
        }
        Ok(id)
    }

    /// Delivers a complete (or rendezvous) unexpected message to receive `id`.
    fn match_unexpected(&self, st: &mut State, id: RequestId, u: Unexpected) {
        let total = u.header.total as usize;
        match u.body {
            Body::Data(data) => {
                let r = st.req(id);
                if let Kind::Recv {
                    target, received, ..
                } = &mut r.kind
                {
                    match target {
                        Target::Vec(v) => {
                            *v = data;
                            *received = total;
                        }
                        t => *received = deliver(t, 0, &data),
                    }
                }
                finish_recv(r, &u.header, total);
            }
            Body::Partial { .. } => unreachable!("a partial message is claimed in place"),
            Body::Rendezvous => {
                self.pull(st, id, u.src_world, &u.header);
            }
        }
    }

    /// Tells the sender of a synchronous message that its receive has
    /// matched it (once per message: the flag may be reused right after).
    fn ack_sync(&self, src_world: usize, h: &FrameHeader) {
        if h.kind & SYNC != 0 {
            self.segment().rank(src_world).rendezvous[h.token as usize]
                .store(rendezvous::DONE, Ordering::Release);
            self.wake(src_world);
        }
    }

    /// Copies a rendezvous message out of the sender's memory into receive
    /// `id`, then releases the sender.
    fn pull(&self, st: &mut State, id: RequestId, src_world: usize, h: &FrameHeader) {
        let total = h.total as usize;
        let pid = self.segment().rank(src_world).pid.load(Ordering::Relaxed);
        let r = st.req(id);
        let Kind::Recv {
            target, received, ..
        } = &mut r.kind
        else {
            unreachable!()
        };
        target.prepare(total);
        let dst = target.as_mut_slice();
        let n = total.min(dst.len());
        if let Err(e) = cma::read_from(pid, h.addr, &mut dst[..n]) {
            r.error = Some(Error::new(
                ErrorClass::Intern,
                format!(
                    "receive: cannot copy {total} bytes from rank {} (pid {pid}): {e}",
                    h.src
                ),
            ));
        }
        *received = n;
        let err = r.error.take();
        finish_recv(r, h, total);
        if err.is_some() {
            r.error = err;
        }
        self.segment().rank(src_world).rendezvous[h.token as usize]
            .store(rendezvous::DONE, Ordering::Release);
        self.wake(src_world);
    }

    /// One round of progress: push queued frames, drain incoming rings,
    /// finish rendezvous sends.
    pub fn progress(&self) -> Result<()> {
        let mut st = self.state.borrow_mut();
        if st.queued_sends > 0 {
            for dest in 0..self.size {
                let mut pushed_any = false;
                while let Some(&id) = st.outgoing[dest].front() {
                    let push = self.push_send(&mut st, id);
                    pushed_any |= push != Push::Nothing;
                    if push != Push::All {
                        break;
                    }
                    st.outgoing[dest].pop_front();
                    st.queued_sends -= 1;
                }
                if pushed_any {
                    self.wake(dest);
                }
            }
        }
        for src in 0..self.size {
            let mut ring = self.segment().consumer(src, self.rank);
            if ring.is_empty() {
                continue;
            }
            while let Some(frame) = ring.peek() {
                let h = frame.header;
                self.on_frame(&mut st, src, &h, frame.payload);
                ring.pop(&h);
            }
            self.wake(src);
        }
        if !st.waiting_rendezvous.is_empty() {
            let flags = &self.segment().rank(self.rank).rendezvous;
            let mut i = 0;
            while i < st.waiting_rendezvous.len() {
                let id = st.waiting_rendezvous[i];
                let Kind::Send { token, .. } = st.req(id).kind else {
                    unreachable!()
                };
                if flags[token].load(Ordering::Acquire) == rendezvous::DONE {
                    flags[token].store(0, Ordering::Relaxed);
                    st.free_flags.push(token);
                    st.req(id).complete = true;
                    st.waiting_rendezvous.swap_remove(i);
                } else {
                    i += 1;
                }
            }
        }
        Ok(())
    }

    fn on_frame(&self, st: &mut State, src: usize, h: &FrameHeader, payload: &[u8]) {
        if h.kind == FRAG {
            let sink = st.streaming_in[src].take().expect("FRAG after a STREAM");
            if !self.append(st, &sink, h, payload) {
                st.streaming_in[src] = Some(sink);
            }
            return;
        }
        let total = h.total as usize;
        let base = h.kind & !SYNC;
        let posted = st.posted.iter().position(|&id| {
            match &st.requests[id].as_ref().expect("posted").kind {
                Kind::Recv { envelope, .. } => envelope.matches(h),
                _ => false,
            }
        });
        match (base, posted) {
            (RTS, Some(pos)) => {
                let id = st.posted.remove(pos).expect("in range");
                self.pull(st, id, src, h);
            }
            (RTS, None) => {
                let uid = st.next_uid;
                st.next_uid += 1;
                st.unexpected.push_back(Unexpected {
                    uid,
                    src_world: src,
                    header: *h,
                    body: Body::Rendezvous,
                    probed: false,
                });
            }
            (EAGER | STREAM, Some(pos)) => {
                let id = st.posted.remove(pos).expect("in range");
                self.ack_sync(src, h);
                let r = st.req(id);
                if let Kind::Recv {
                    target, total: t, ..
                } = &mut r.kind
                {
                    target.prepare(total);
                    *t = total;
                }
                if !self.append(st, &Sink::Posted(id), h, payload) {
                    st.streaming_in[src] = Some(Sink::Posted(id));
                }
            }
            (EAGER | STREAM, None) => {
                let uid = st.next_uid;
                st.next_uid += 1;
                let body = if payload.len() == total {
                    Body::Data(payload.to_vec())
                } else {
                    let mut data = Vec::with_capacity(total);
                    data.extend_from_slice(payload);
                    st.streaming_in[src] = Some(Sink::Unexpected(uid));
                    Body::Partial {
                        filled: payload.len(),
                        data,
                        waiter: None,
                    }
                };
                st.unexpected.push_back(Unexpected {
                    uid,
                    src_world: src,
                    header: *h,
                    body,
                    probed: false,
                });
            }
            (k, _) => panic!("shmpi: corrupt frame kind {k} from rank {src}"),
        }
    }

    /// Adds a fragment to where its message goes; true when the message is complete.
    fn append(&self, st: &mut State, sink: &Sink, h: &FrameHeader, payload: &[u8]) -> bool {
        match *sink {
            Sink::Posted(id) => {
                let r = st.req(id);
                let Kind::Recv {
                    target,
                    received,
                    total,
                    ..
                } = &mut r.kind
                else {
                    unreachable!()
                };
                let offset = *received;
                *received += payload.len();
                deliver(target, offset, payload);
                if *received < *total {
                    return false;
                }
                let t = *total;
                finish_recv(r, h, t);
                true
            }
            Sink::Unexpected(uid) => {
                let pos = st
                    .unexpected
                    .iter()
                    .position(|u| u.uid == uid)
                    .expect("partial message is queued");
                let u = &mut st.unexpected[pos];
                let Body::Partial {
                    data,
                    filled,
                    waiter,
                } = &mut u.body
                else {
                    unreachable!()
                };
                data.extend_from_slice(payload);
                *filled += payload.len();
                if *filled < u.header.total as usize {
                    return false;
                }
                let data = std::mem::take(data);
                match waiter.take() {
                    Some(id) => {
                        let u = st.unexpected.remove(pos).expect("in range");
                        let done = Unexpected {
                            body: Body::Data(data),
                            ..u
                        };
                        self.match_unexpected(st, id, done);
                    }
                    None => st.unexpected[pos].body = Body::Data(data),
                }
                true
            }
        }
    }

    /// Stops request `id` from ever touching its caller's buffer again: a
    /// receive not matched yet is withdrawn, one under way continues into
    /// a buffer of its own, and a send still to be pushed continues from a
    /// copy. For a caller that unwinds past its requests.
    pub fn abandon(&self, id: RequestId) {
        if self.cancel_recv(id) {
            return;
        }
        let mut st = self.state.borrow_mut();
        match &mut st.req(id).kind {
            Kind::Recv { target, .. } => {
                if let Target::Buffer { cap, .. } = *target {
                    *target = Target::Vec(vec![0; cap]);
                }
            }
            Kind::Send {
                ptr, len, owned, ..
            } => {
                // SAFETY: the caller's buffer is still borrowed (the scope
                // that owns the request is being dropped).
                let copy = unsafe { std::slice::from_raw_parts(*ptr, *len) }.to_vec();
                *ptr = copy.as_ptr();
                *owned = Some(copy);
            }
        }
    }

    /// A request that is already complete with `status` (for PROC_NULL).
    pub fn completed(&self, status: Status) -> RequestId {
        self.state.borrow_mut().insert(Request {
            kind: Kind::Recv {
                envelope: Envelope {
                    context: u32::MAX,
                    source: ANY_SOURCE,
                    tag: ANY_TAG,
                },
                target: Target::Vec(Vec::new()),
                total: 0,
                received: 0,
            },
            status,
            complete: true,
            error: None,
        })
    }

    /// What waiting for request `id` means, for deadlock diagnosis.
    fn wait_reason(&self, id: RequestId) -> WaitFor<'static> {
        match &self.state.borrow_mut().req(id).kind {
            Kind::Send { dest, header, .. } => WaitFor::Send {
                dest: *dest,
                tag: header.tag,
            },
            Kind::Recv { envelope, .. } => WaitFor::Recv {
                source: envelope.source,
                tag: envelope.tag,
                context: envelope.context,
            },
        }
    }

    /// Whether request `id` has completed (no progress is made).
    pub fn is_complete(&self, id: RequestId) -> bool {
        self.state.borrow_mut().req(id).complete
    }

    /// The status of completed request `id`, without freeing it.
    pub fn peek_status(&self, id: RequestId) -> Option<Status> {
        let mut st = self.state.borrow_mut();
        let r = st.req(id);
        r.complete.then_some(r.status)
    }

    /// Progresses once and tells whether request `id` has completed.
    pub fn test(&self, id: RequestId) -> Result<bool> {
        self.progress()?;
        Ok(self.is_complete(id))
    }

    /// Waits for request `id` to complete.
    pub fn wait(&self, id: RequestId) -> Result<()> {
        if self.is_complete(id) {
            return Ok(());
        }
        let why = self.wait_reason(id);
        self.wait_until(why, |e| Ok(e.is_complete(id)))
    }

    /// Waits until at least one of `ids` has completed.
    pub fn wait_any_of(&self, ids: &[RequestId]) -> Result<()> {
        let Some(&first) = ids.first() else {
            return Ok(());
        };
        if ids.iter().any(|&id| self.is_complete(id)) {
            return Ok(());
        }
        let why = self.wait_reason(first);
        self.wait_until(why, |e| Ok(ids.iter().any(|&id| e.is_complete(id))))
    }

    /// Frees completed request `id`, returning its status (or its error).
    pub fn take(&self, id: RequestId) -> Result<Status> {
        self.take_vec(id).map(|(_, s)| s)
    }

    /// Frees completed request `id`, returning its status and whether it
    /// failed: a truncated receive has both (the message's source and tag,
    /// the bytes that fit, and MPI_ERR_TRUNCATE).
    pub fn take_outcome(&self, id: RequestId) -> (Status, Result<()>) {
        let r = self.remove(id);
        (r.status, r.error.map_or(Ok(()), Err))
    }

    /// Frees completed request `id` and hands it over.
    fn remove(&self, id: RequestId) -> Request {
        let mut st = self.state.borrow_mut();
        let r = st.requests[id].take().expect("live request");
        assert!(r.complete, "take of an incomplete request");
        st.free.push(id);
        r
    }

    /// Frees completed request `id`, returning the engine-sized buffer of a
    /// receive posted with [`irecv_vec`](Engine::irecv_vec).
    pub fn take_vec(&self, id: RequestId) -> Result<(Vec<u8>, Status)> {
        let r = self.remove(id);
        if let Some(e) = r.error {
            return Err(e);
        }
        let data = match r.kind {
            Kind::Recv {
                target: Target::Vec(v),
                ..
            } => v,
            _ => Vec::new(),
        };
        Ok((data, r.status))
    }

    /// Cancels a receive that has not matched yet; true if it was cancelled.
    pub fn cancel_recv(&self, id: RequestId) -> bool {
        let mut st = self.state.borrow_mut();
        if let Some(pos) = st.posted.iter().position(|&p| p == id) {
            st.posted.remove(pos);
            let r = st.req(id);
            r.complete = true;
            r.status.cancelled = true;
            true
        } else {
            false
        }
    }

    /// Looks for a message matching `envelope` without receiving it.
    pub fn iprobe(&self, envelope: Envelope) -> Result<Option<Status>> {
        self.check_live("probe")?;
        self.progress()?;
        let st = self.state.borrow();
        Ok(st
            .unexpected
            .iter()
            .find(|u| !u.claimed() && envelope.matches(&u.header))
            .map(|u| Status {
                source: u.header.src as i32,
                tag: u.header.tag,
                bytes: u.header.total as usize,
                cancelled: false,
            }))
    }

    /// Looks for a message matching `envelope` and, if there is one,
    /// claims it (MPI_Improbe): no other receive or probe matches it any
    /// more; [`imrecv`](Engine::imrecv) receives it.
    pub fn improbe(&self, envelope: Envelope) -> Result<Option<(MessageId, Status)>> {
        self.check_live("probe")?;
        self.progress()?;
        let mut st = self.state.borrow_mut();
        let Some(u) = st
            .unexpected
            .iter_mut()
            .find(|u| !u.claimed() && envelope.matches(&u.header))
        else {
            return Ok(None);
        };
        u.probed = true;
        let (uid, src_world, h) = (u.uid, u.src_world, u.header);
        self.ack_sync(src_world, &h);
        Ok(Some((
            uid,
            Status {
                source: h.src as i32,
                tag: h.tag,
                bytes: h.total as usize,
                cancelled: false,
            },
        )))
    }

    /// Waits for a message matching `envelope` and claims it (MPI_Mprobe).
    pub fn mprobe(&self, envelope: Envelope) -> Result<(MessageId, Status)> {
        let mut found = None;
        let why = WaitFor::Probe {
            source: envelope.source,
            tag: envelope.tag,
            context: envelope.context,
        };
        self.wait_until(why, |e| {
            found = e.improbe(envelope)?;
            Ok(found.is_some())
        })?;
        Ok(found.expect("mprobe found a message"))
    }

    /// Receives claimed message `msg` into a caller's buffer (valid until
    /// the request completes).
    pub fn imrecv(&self, msg: MessageId, ptr: *mut u8, cap: usize) -> Result<RequestId> {
        self.receive_claimed(msg, Target::Buffer { ptr, cap })
    }

    /// Receives claimed message `msg` into a vector sized to it.
    pub fn imrecv_vec(&self, msg: MessageId) -> Result<RequestId> {
        self.receive_claimed(msg, Target::Vec(Vec::new()))
    }

    fn receive_claimed(&self, msg: MessageId, target: Target) -> Result<RequestId> {
        self.check_live("recv")?;
        let mut st = self.state.borrow_mut();
        let Some(pos) = st.unexpected.iter().position(|u| u.uid == msg && u.probed) else {
            return mpi_err!(
                Request,
                "receive: message {msg} was not claimed by a matched probe, or was received already"
            );
        };
        let h = st.unexpected[pos].header;
        let id = st.insert(Request {
            kind: Kind::Recv {
                envelope: Envelope {
                    context: h.context,
                    source: h.src as i32,
                    tag: h.tag,
                },
                target,
                total: 0,
                received: 0,
            },
            status: Status::default(),
            complete: false,
            error: None,
        });
        if let Body::Partial { waiter, .. } = &mut st.unexpected[pos].body {
            *waiter = Some(id);
        } else {
            let u = st.unexpected.remove(pos).expect("position is in range");
            self.match_unexpected(&mut st, id, u);
        }
        Ok(id)
    }

    /// Waits for a message matching `envelope` and returns its status.
    pub fn probe(&self, envelope: Envelope) -> Result<Status> {
        let mut found = None;
        let why = WaitFor::Probe {
            source: envelope.source,
            tag: envelope.tag,
            context: envelope.context,
        };
        self.wait_until(why, |e| {
            found = e.iprobe(envelope)?;
            Ok(found.is_some())
        })?;
        Ok(found.expect("probe found a message"))
    }

    /// Blocking send.
    pub fn send(
        &self,
        dest: usize,
        context: u32,
        src_in_comm: u32,
        tag: i32,
        data: &[u8],
    ) -> Result<()> {
        if self.send_eager_now(dest, context, src_in_comm, tag, data)? {
            return Ok(());
        }
        let id = self.isend(dest, context, src_in_comm, tag, data.as_ptr(), data.len())?;
        self.wait(id)?;
        self.take(id).map(|_| ())
    }

    /// The fast path of a blocking standard-mode send: a message that goes
    /// whole into the ring, when no earlier send to `dest` is still queued
    /// (which it must not overtake) and the ring has room, is pushed at
    /// once and needs no request. False when the general path must run.
    fn send_eager_now(
        &self,
        dest: usize,
        context: u32,
        src_in_comm: u32,
        tag: i32,
        data: &[u8],
    ) -> Result<bool> {
        self.check_live("send")?;
        {
            let st = self.state.borrow();
            if data.len() > st.eager_max || !st.outgoing[dest].is_empty() {
                return Ok(false);
            }
        }
        let h = FrameHeader {
            kind: EAGER,
            len: data.len() as u64,
            token: usize::MAX as u64,
            ..envelope_header(context, src_in_comm, tag, data.as_ptr(), data.len())
        };
        if !self.segment().producer(self.rank, dest).try_push(&h, data) {
            return Ok(false);
        }
        self.wake(dest);
        Ok(true)
    }

    /// Blocking receive into `buf`.
    pub fn recv(&self, envelope: Envelope, buf: &mut [u8]) -> Result<Status> {
        let id = self.irecv(envelope, buf.as_mut_ptr(), buf.len())?;
        self.wait(id)?;
        self.take(id)
    }

    /// Blocking receive of a message of any size.
    pub fn recv_vec(&self, envelope: Envelope) -> Result<(Vec<u8>, Status)> {
        let id = self.irecv_vec(envelope)?;
        self.wait(id)?;
        self.take_vec(id)
    }
}

/// The header fields every frame of a send of `len` bytes at `ptr`
/// carries; kind, frame length and token are the protocol's.
fn envelope_header(context: u32, src: u32, tag: i32, ptr: *const u8, len: usize) -> FrameHeader {
    FrameHeader {
        seq: 0,
        kind: 0,
        context,
        tag,
        src,
        len: 0,
        total: len as u64,
        addr: ptr as u64,
        token: 0,
    }
}

/// Checks a tag given to a send (receives may also use [`ANY_TAG`]).
pub fn check_tag(call: &str, tag: i32, any_ok: bool) -> Result<()> {
    if tag >= 0 || (any_ok && tag == ANY_TAG) {
        Ok(())
    } else {
        mpi_err!(
            Tag,
            "{call}: tag {tag} is invalid (tags are 0..={}{})",
            i32::MAX,
            if any_ok { " or ANY_TAG" } else { "" }
        )
    }
}
