//! Requests: nonblocking operations in flight, persistent requests, and
//! the wait and test families.
//!
//! A request handle names a [`Req`]: the engine request it waits on, what
//! to do when it completes (unpack into a derived datatype, check the
//! capacity), and for a persistent request how to start it again.

use std::os::raw::c_int;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::consts::*;
use super::dtype::{RecvTarget, SendData};
use super::errors::NO_OBJECT;
use super::errors::{bare, call, raise};
use super::handle::{Kind, Table};
use super::mpi_fn;
use super::state::with;
use crate::engine::{Engine, RequestId, Status};
use crate::error::{mpi_err, Error, ErrorClass, Result};

/// How a (re)started operation is in flight.
pub enum Pending {
    /// Waiting on engine request `id`.
    Active {
        /// The engine's request.
        id: RequestId,
        /// Packed send data, kept alive until the send completes.
        keep: Option<SendData>,
        /// For a receive: where the bytes go.
        target: Option<RecvTarget>,
    },
    /// A send and a receive that complete as one operation (MPI_Sendrecv,
    /// MPI_Isendrecv and their _replace forms); its status is the receive's.
    Pair(Box<(Pending, Pending)>),
    /// Already complete (a send to or receive from MPI_PROC_NULL).
    Done(Result<Status>),
    /// A persistent request not started (or completed and not restarted).
    Inactive,
}

impl Pending {
    /// The engine request to wait for next: one of this operation's that
    /// has not completed; None once all have.
    pub fn waiting_on(&self, engine: &Engine) -> Option<RequestId> {
        match self {
            Pending::Active { id, .. } => (!engine.is_complete(*id)).then_some(*id),
            Pending::Pair(p) => p.0.waiting_on(engine).or_else(|| p.1.waiting_on(engine)),
            Pending::Done(_) | Pending::Inactive => None,
        }
    }

    /// The status of a completed operation, leaving it as it is
    /// (MPI_Request_get_status); None while it is not complete.
    pub fn peek(&self, engine: &Engine) -> Option<Status> {
        match self {
            Pending::Active { id, .. } => engine.peek_status(*id),
            Pending::Pair(p) => p.0.peek(engine).and_then(|_| p.1.peek(engine)),
            Pending::Done(Ok(s)) => Some(*s),
            Pending::Done(Err(_)) | Pending::Inactive => None,
        }
    }

    /// The engine receive of this operation, if any (MPI_Cancel).
    pub fn receive(&self) -> Option<RequestId> {
        match self {
            Pending::Active {
                id,
                target: Some(_),
                ..
            } => Some(*id),
            Pending::Pair(p) => p.1.receive(),
            _ => None,
        }
    }

    /// The engine sends of this operation still in flight or not yet
    /// finished (MPI_Finalize delivers them).
    pub fn sends(&self) -> Vec<RequestId> {
        match self {
            Pending::Active {
                id, target: None, ..
            } => vec![*id],
            Pending::Pair(p) => p.0.sends(),
            _ => Vec::new(),
        }
    }

    /// The outcome of a completed operation (its engine requests, if any,
    /// have completed): unpacked, capacity checked, kept bytes released.
    /// None for an inactive request.
    pub fn finish(self, engine: &Engine) -> Option<Outcome> {
        match self {
            Pending::Active { id, keep, target } => {
                let o = finish(engine, id, target.as_ref());
                drop(keep);
                Some(o)
            }
            Pending::Pair(p) => {
                let (send, recv) = *p;
                let sent = send.finish(engine);
                let mut received = recv.finish(engine)?;
                if let Some(Outcome { result: Err(e), .. }) = sent {
                    received.result = Err(e);
                }
                Some(received)
            }
            Pending::Done(Ok(status)) => Some(Outcome {
                status,
                result: Ok(()),
            }),
            Pending::Done(Err(e)) => Some(Outcome {
                status: Status::default(),
                result: Err(e),
            }),
            Pending::Inactive => None,
        }
    }
}

/// How a completed operation ended: its status and whether it failed. A
/// truncated receive has both: the message's source and tag, the bytes
/// that fit, and MPI_ERR_TRUNCATE.
pub struct Outcome {
    /// What the status reports.
    pub status: Status,
    /// Its error, if it failed.
    pub result: Result<()>,
}

impl Outcome {
    /// The status, or the error if it failed.
    pub fn into_result(self) -> Result<Status> {
        self.result.map(|()| self.status)
    }
}

/// Starts a persistent request's operation again.
pub type Starter = Rc<dyn Fn() -> Result<Pending>>;

/// What a request handle names.
pub struct Req {
    /// The communicator errors are raised on.
    pub comm: c_int,
    /// The engine that runs it.
    pub engine: Rc<Engine>,
    /// Its operation.
    pub op: Pending,
    /// For a persistent request: how to start it.
    pub start: Option<Starter>,
    /// Whether MPI_Cancel was called on it.
    pub cancel: bool,
}

/// The request table.
pub struct Requests {
    /// Live requests.
    pub table: Table<Req>,
    /// Operations whose request was freed (MPI_Request_free) while they
    /// were active ([`Requests::detach`]): they go on, and are finished
    /// (unpacked, their engine request released) once complete, by
    /// [`reap_detached`], which every entry point runs (through [`call`],
    /// or as it tests or waits).
    pub detached: Vec<(Rc<Engine>, Pending)>,
}

impl Default for Requests {
    fn default() -> Requests {
        Requests {
            table: Table::new(Kind::Request),
            detached: Vec::new(),
        }
    }
}

impl Requests {
    /// Lets active operation `op` go on without its request.
    pub fn detach(&mut self, engine: Rc<Engine>, op: Pending) {
        self.detached.push((engine, op));
        ANY_DETACHED.store(true, Ordering::Relaxed);
    }
}

/// Whether [`Requests::detached`] may hold operations: [`reap_detached`],
/// which every entry point runs, reads it first, so that the usual case,
/// none, costs a load instead of the state's lock. Relaxed: the MPI calls
/// of a process never run at once (MPI_THREAD_SERIALIZED at most), and the
/// state's lock orders the list itself.
static ANY_DETACHED: AtomicBool = AtomicBool::new(false);

/// Status of a request with nothing to report (null or inactive).
pub fn empty_status() -> MPI_Status {
    MPI_Status {
        count_lo: 0,
        count_hi_and_cancelled: 0,
        MPI_SOURCE: MPI_ANY_SOURCE,
        MPI_TAG: MPI_ANY_TAG,
        MPI_ERROR: MPI_SUCCESS,
    }
}

/// The C status of engine status `s`.
pub fn c_status(s: &Status) -> MPI_Status {
    let mut c = MPI_Status {
        MPI_SOURCE: s.source,
        MPI_TAG: s.tag,
        ..Default::default()
    };
    c.set_bytes(s.bytes as u64);
    c.set_cancelled(s.cancelled);
    c
}

/// Writes `s` to `p` unless it is MPI_STATUS_IGNORE (or null). The
/// MPI_ERROR field of the caller's status is left as it is (only the
/// multiple-completion calls set it, when they return MPI_ERR_IN_STATUS;
/// MPICH too keeps it), except in an empty status (source MPI_ANY_SOURCE,
/// which no message has), whose error the standard defines as MPI_SUCCESS.
pub fn put_status(p: *mut MPI_Status, s: &MPI_Status) {
    if !p.is_null() && p as usize != MPI_STATUS_IGNORE {
        // SAFETY: not null nor MPI_STATUS_IGNORE: the caller's status.
        unsafe {
            let error = if s.MPI_SOURCE == MPI_ANY_SOURCE {
                s.MPI_ERROR
            } else {
                (*p).MPI_ERROR
            };
            p.write(MPI_Status {
                MPI_ERROR: error,
                ..*s
            })
        };
    }
}

/// Sets the MPI_ERROR field of status `p` (unless it is ignored).
fn put_error(p: *mut MPI_Status, code: c_int) {
    if !p.is_null() && p as usize != MPI_STATUS_IGNORE {
        // SAFETY: not null nor MPI_STATUS_IGNORE: the caller's status.
        unsafe { (*p).MPI_ERROR = code };
    }
}

/// Registers a new request and writes its handle to `out`.
pub fn register(
    comm: c_int,
    engine: Rc<Engine>,
    op: Pending,
    start: Option<Starter>,
    out: *mut c_int,
) -> Result<()> {
    if out.is_null() {
        return mpi_err!(Arg, "request is a null pointer");
    }
    reap_detached();
    let h = with(|m| {
        m.requests.table.insert(Req {
            comm,
            engine,
            op,
            start,
            cancel: false,
        })
    });
    // SAFETY: checked not null.
    unsafe { *out = h };
    Ok(())
}

/// Finishes the detached operations (see [`Requests::detached`]) that have
/// completed; their outcomes have nobody to go to and are dropped.
#[inline]
pub fn reap_detached() {
    if ANY_DETACHED.load(Ordering::Relaxed) {
        reap_detached_now();
    }
}

fn reap_detached_now() {
    let list = with(|m| std::mem::take(&mut m.requests.detached));
    let mut left = Vec::new();
    for (engine, op) in list {
        match op {
            op if op.waiting_on(&engine).is_some() => left.push((engine, op)),
            op => {
                let _ = op.finish(&engine);
            }
        }
    }
    with(|m| {
        m.requests.detached.append(&mut left);
        ANY_DETACHED.store(!m.requests.detached.is_empty(), Ordering::Relaxed);
    });
}

/// Finishes a completed engine request: takes its status, unpacks, checks capacity.
pub fn finish(engine: &Engine, id: RequestId, target: Option<&RecvTarget>) -> Outcome {
    // A failed request's status (what is known of a truncated message) is
    // read before the request is taken.
    let (status, result) = match target {
        Some(t) if t.direct().is_none() => {
            let status = engine.peek_status(id).unwrap_or_default();
            match engine.take_vec(id) {
                Ok((data, mut st)) => {
                    st.bytes = data.len().min(t.capacity());
                    (st, t.store(&data, &st))
                }
                Err(e) => (status, Err(e)),
            }
        }
        _ => engine.take_outcome(id),
    };
    Outcome { status, result }
}

/// The engine and the engine request that request `h` waits for next
/// (None: null, done, inactive, or every part complete; an error for an
/// invalid handle).
fn engine_id(h: c_int) -> Result<Option<(Rc<Engine>, RequestId)>> {
    with(|m| match m.requests.table.get(h) {
        Some(r) => Ok(r.op.waiting_on(&r.engine).map(|id| (r.engine.clone(), id))),
        None if h == MPI_REQUEST_NULL => Ok(None),
        None => mpi_err!(
            Request,
            "{h:#x} is not a valid request handle (freed, or never made)"
        ),
    })
}

/// Waits until request `h` may complete.
fn wait_ready(h: c_int) -> Result<()> {
    while let Some((engine, id)) = engine_id(h)? {
        engine.wait(id)?;
    }
    reap_detached();
    Ok(())
}

/// Completes request `*h` (whose engine request has completed, or which is
/// done/inactive): the communicator its errors go to, its status (also
/// when it failed: a truncated receive reports its message) and whether it
/// failed; the handle is freed (or made inactive).
fn complete(h: &mut c_int) -> (c_int, MPI_Status, Result<()>) {
    let taken = with(|m| {
        let r = m.requests.table.get_mut(*h)?;
        let op = std::mem::replace(&mut r.op, Pending::Inactive);
        let taken = (r.comm, r.engine.clone(), op);
        let persistent = r.start.is_some();
        if !persistent {
            m.requests.table.remove(*h);
        }
        Some((taken, persistent))
    });
    let Some(((comm, engine, op), persistent)) = taken else {
        *h = MPI_REQUEST_NULL;
        return (NO_OBJECT, empty_status(), Ok(()));
    };
    if !persistent {
        *h = MPI_REQUEST_NULL;
    }
    match op.finish(&engine) {
        Some(o) => (comm, c_status(&o.status), o.result),
        None => (comm, empty_status(), Ok(())),
    }
}

/// Whether request `h` may complete now (progresses once per engine
/// request it waits for).
fn ready(h: c_int) -> Result<bool> {
    reap_detached();
    while let Some((engine, id)) = engine_id(h)? {
        if !engine.test(id)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The positions of `hs` that MPI_Waitany/Testany/Waitsome/Testsome
/// consider: active requests (null and inactive ones are skipped);
/// MPI_ERR_REQUEST if one is not a request handle at all.
fn active(hs: &[c_int]) -> Result<Vec<usize>> {
    with(|m| {
        let mut live = Vec::new();
        for (i, &h) in hs.iter().enumerate() {
            match m.requests.table.get(h) {
                Some(r) if !matches!(r.op, Pending::Inactive) => live.push(i),
                Some(_) => {}
                None if h == MPI_REQUEST_NULL => {}
                None => {
                    return mpi_err!(
                        Request,
                        "array_of_requests[{i}] = {h:#x} is not a valid request handle (freed, or never made)"
                    )
                }
            }
        }
        Ok(live)
    })
}

/// Completes every request of a finalizing process that is still active
/// (sends must be delivered before the final barrier).
pub fn finalize_requests() -> Result<()> {
    let ids: Vec<(Rc<Engine>, RequestId)> = with(|m| {
        let live = m.requests.table.iter().map(|(_, r)| (&r.engine, &r.op));
        let detached = m.requests.detached.iter().map(|(e, op)| (e, op));
        live.chain(detached)
            .flat_map(|(e, op)| op.sends().into_iter().map(|id| (e.clone(), id)))
            .collect()
    });
    for (e, id) in ids {
        e.wait(id)?;
    }
    reap_detached();
    Ok(())
}

fn slice_mut<'a, T>(p: *mut T, n: c_int) -> Result<&'a mut [T]> {
    if n < 0 {
        return mpi_err!(Count, "count {n} is negative");
    }
    if n == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return mpi_err!(Arg, "array_of_requests is a null pointer");
    }
    // SAFETY: the standard makes the array hold `n` elements.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, n as usize) })
}

fn status_at(statuses: *mut MPI_Status, i: usize) -> *mut MPI_Status {
    if statuses.is_null() || statuses as usize == MPI_STATUS_IGNORE {
        statuses
    } else {
        statuses.wrapping_add(i)
    }
}

mpi_fn! {
    fn MPI_Wait / PMPI_Wait(request: *mut c_int, status: *mut MPI_Status) -> c_int {
        if request.is_null() {
            return call("MPI_Wait", NO_OBJECT, || mpi_err!(Arg, "request is a null pointer"));
        }
        // SAFETY: not null: the caller's request handle.
        let h = unsafe { &mut *request };
        if let Err(e) = wait_ready(*h) {
            return raise("MPI_Wait", comm_of_request(*h), e);
        }
        let (comm, s, r) = complete(h);
        put_status(status, &s);
        match r {
            Ok(()) => MPI_SUCCESS,
            Err(e) => raise("MPI_Wait", comm, e),
        }
    }
}

mpi_fn! {
    fn MPI_Test / PMPI_Test(request: *mut c_int, flag: *mut c_int, status: *mut MPI_Status) -> c_int {
        if request.is_null() || flag.is_null() {
            return call("MPI_Test", NO_OBJECT, || mpi_err!(Arg, "request or flag is a null pointer"));
        }
        // SAFETY: not null: the caller's request handle and flag.
        let (h, flag) = unsafe { (&mut *request, &mut *flag) };
        match ready(*h) {
            Err(e) => raise("MPI_Test", comm_of_request(*h), e),
            Ok(false) => {
                *flag = 0;
                MPI_SUCCESS
            }
            Ok(true) => {
                *flag = 1;
                let (comm, s, r) = complete(h);
                put_status(status, &s);
                match r {
                    Ok(()) => MPI_SUCCESS,
                    Err(e) => raise("MPI_Test", comm, e),
                }
            }
        }
    }
}

/// Completes requests `hs[i]` for the `i` in `which`, writing statuses;
/// MPI_ERR_IN_STATUS if any failed, however many there are (as MPICH), with
/// every status's MPI_ERROR field set.
fn complete_these(
    name: &str,
    hs: &mut [c_int],
    which: &[usize],
    statuses: *mut MPI_Status,
    slots: impl Fn(usize) -> usize,
) -> c_int {
    let mut failed: Option<(usize, c_int, Error)> = None;
    let mut codes = Vec::with_capacity(which.len());
    for &i in which {
        let (comm, s, r) = complete(&mut hs[i]);
        put_status(status_at(statuses, slots(i)), &s);
        match r {
            Ok(()) => codes.push(MPI_SUCCESS),
            Err(e) => {
                codes.push(e.class as c_int);
                failed.get_or_insert((i, comm, e));
            }
        }
    }
    match failed {
        None => MPI_SUCCESS,
        Some((i, comm, e)) => {
            for (&j, code) in which.iter().zip(codes) {
                put_error(status_at(statuses, slots(j)), code);
            }
            let msg = format!("array_of_requests[{i}]: {}", bare(&e.message));
            raise(name, comm, Error::new(ErrorClass::InStatus, msg))
        }
    }
}

mpi_fn! {
    fn MPI_Waitall / PMPI_Waitall(count: c_int, requests: *mut c_int, statuses: *mut MPI_Status) -> c_int {
        let hs = match slice_mut(requests, count) {
            Ok(s) => s,
            Err(e) => return raise("MPI_Waitall", NO_OBJECT, e),
        };
        for &h in hs.iter() {
            if let Err(e) = wait_ready(h) {
                return raise("MPI_Waitall", NO_OBJECT, e);
            }
        }
        let all: Vec<usize> = (0..hs.len()).collect();
        complete_these("MPI_Waitall", hs, &all, statuses, |i| i)
    }
}

mpi_fn! {
    fn MPI_Testall / PMPI_Testall(count: c_int, requests: *mut c_int, flag: *mut c_int, statuses: *mut MPI_Status) -> c_int {
        let hs = match slice_mut(requests, count) {
            Ok(s) => s,
            Err(e) => return raise("MPI_Testall", NO_OBJECT, e),
        };
        let mut all = true;
        for &h in hs.iter() {
            match ready(h) {
                Ok(r) => all &= r,
                Err(e) => return raise("MPI_Testall", NO_OBJECT, e),
            }
        }
        if let Err(e) = super::out("flag", flag, all as c_int) {
            return raise("MPI_Testall", NO_OBJECT, e);
        }
        if !all {
            return MPI_SUCCESS;
        }
        let which: Vec<usize> = (0..hs.len()).collect();
        complete_these("MPI_Testall", hs, &which, statuses, |i| i)
    }
}

fn any(
    name: &str,
    count: c_int,
    requests: *mut c_int,
    index: *mut c_int,
    flag: Option<*mut c_int>,
    status: *mut MPI_Status,
) -> c_int {
    let hs = match slice_mut(requests, count) {
        Ok(s) => s,
        Err(e) => return raise(name, NO_OBJECT, e),
    };
    if index.is_null() {
        return raise(
            name,
            NO_OBJECT,
            Error::new(ErrorClass::Arg, "index is a null pointer"),
        );
    }
    let live = match active(hs) {
        Ok(live) => live,
        Err(e) => return raise(name, NO_OBJECT, e),
    };
    let set = |idx: c_int, f: c_int| {
        // SAFETY: checked not null above (flag: by the caller).
        unsafe { *index = idx };
        if let Some(p) = flag {
            // SAFETY: checked not null by the caller.
            unsafe { *p = f };
        }
    };
    if live.is_empty() {
        set(MPI_UNDEFINED, 1);
        put_status(status, &empty_status());
        return MPI_SUCCESS;
    }
    let mut found = None;
    loop {
        for &i in &live {
            match ready(hs[i]) {
                Ok(true) => {
                    found = Some(i);
                    break;
                }
                Ok(false) => {}
                Err(e) => return raise(name, NO_OBJECT, e),
            }
        }
        if found.is_some() || flag.is_some() {
            break;
        }
        let ids: Vec<(Rc<Engine>, RequestId)> = live
            .iter()
            .filter_map(|&i| engine_id(hs[i]).ok().flatten())
            .collect();
        if let Some((engine, _)) = ids.first() {
            let just: Vec<RequestId> = ids.iter().map(|(_, id)| *id).collect();
            if let Err(e) = engine.wait_any_of(&just) {
                return raise(name, NO_OBJECT, e);
            }
        }
    }
    match found {
        None => {
            set(MPI_UNDEFINED, 0);
            MPI_SUCCESS
        }
        Some(i) => {
            set(i as c_int, 1);
            let (comm, s, r) = complete(&mut hs[i]);
            put_status(status, &s);
            match r {
                Ok(()) => MPI_SUCCESS,
                Err(e) => raise(name, comm, e),
            }
        }
    }
}

mpi_fn! {
    fn MPI_Waitany / PMPI_Waitany(count: c_int, requests: *mut c_int, index: *mut c_int, status: *mut MPI_Status) -> c_int {
        any("MPI_Waitany", count, requests, index, None, status)
    }
}

mpi_fn! {
    fn MPI_Testany / PMPI_Testany(count: c_int, requests: *mut c_int, index: *mut c_int, flag: *mut c_int, status: *mut MPI_Status) -> c_int {
        if flag.is_null() {
            return call("MPI_Testany", NO_OBJECT, || mpi_err!(Arg, "flag is a null pointer"));
        }
        any("MPI_Testany", count, requests, index, Some(flag), status)
    }
}

fn some(
    name: &str,
    incount: c_int,
    requests: *mut c_int,
    outcount: *mut c_int,
    indices: *mut c_int,
    statuses: *mut MPI_Status,
    block: bool,
) -> c_int {
    let hs = match slice_mut(requests, incount) {
        Ok(s) => s,
        Err(e) => return raise(name, NO_OBJECT, e),
    };
    if outcount.is_null() || (incount > 0 && indices.is_null()) {
        return raise(
            name,
            NO_OBJECT,
            Error::new(
                ErrorClass::Arg,
                "outcount or array_of_indices is a null pointer",
            ),
        );
    }
    let live = match active(hs) {
        Ok(live) => live,
        Err(e) => return raise(name, NO_OBJECT, e),
    };
    if live.is_empty() {
        // SAFETY: checked not null.
        unsafe { *outcount = MPI_UNDEFINED };
        return MPI_SUCCESS;
    }
    let mut done: Vec<usize> = Vec::new();
    loop {
        for &i in &live {
            match ready(hs[i]) {
                Ok(true) => done.push(i),
                Ok(false) => {}
                Err(e) => return raise(name, NO_OBJECT, e),
            }
        }
        if !done.is_empty() || !block {
            break;
        }
        let ids: Vec<(Rc<Engine>, RequestId)> = live
            .iter()
            .filter_map(|&i| engine_id(hs[i]).ok().flatten())
            .collect();
        if let Some((engine, _)) = ids.first() {
            let just: Vec<RequestId> = ids.iter().map(|(_, id)| *id).collect();
            if let Err(e) = engine.wait_any_of(&just) {
                return raise(name, NO_OBJECT, e);
            }
        }
    }
    // SAFETY: checked not null; `indices` holds `incount` ints (the standard).
    unsafe {
        *outcount = done.len() as c_int;
        for (k, &i) in done.iter().enumerate() {
            *indices.add(k) = i as c_int;
        }
    }
    let pos: std::collections::HashMap<usize, usize> =
        done.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    complete_these(name, hs, &done, statuses, |i| pos[&i])
}

mpi_fn! {
    fn MPI_Waitsome / PMPI_Waitsome(incount: c_int, requests: *mut c_int, outcount: *mut c_int, indices: *mut c_int, statuses: *mut MPI_Status) -> c_int {
        some("MPI_Waitsome", incount, requests, outcount, indices, statuses, true)
    }
}

mpi_fn! {
    fn MPI_Testsome / PMPI_Testsome(incount: c_int, requests: *mut c_int, outcount: *mut c_int, indices: *mut c_int, statuses: *mut MPI_Status) -> c_int {
        some("MPI_Testsome", incount, requests, outcount, indices, statuses, false)
    }
}

mpi_fn! {
    fn MPI_Request_free / PMPI_Request_free(request: *mut c_int) -> c_int {
        call("MPI_Request_free", NO_OBJECT, || {
            if request.is_null() {
                return mpi_err!(Arg, "request is a null pointer");
            }
            // SAFETY: not null.
            let h = unsafe { *request };
            let r = with(|m| m.requests.table.remove(h));
            let Some(r) = r else {
                return mpi_err!(Request, "{h:#x} is not a valid request handle (freed, or never made)");
            };
            // An active operation goes on without its handle (the standard's
            // free returns at once); it is finished once it completes.
            match r.op {
                op if op.waiting_on(&r.engine).is_some() => {
                    with(|m| m.requests.detach(r.engine, op));
                }
                op => {
                    let _ = op.finish(&r.engine);
                }
            }
            reap_detached();
            // SAFETY: not null.
            unsafe { *request = MPI_REQUEST_NULL };
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Request_get_status / PMPI_Request_get_status(request: c_int, flag: *mut c_int, status: *mut MPI_Status) -> c_int {
        call("MPI_Request_get_status", NO_OBJECT, || {
            let done = ready(request)?;
            super::out("flag", flag, done as c_int)?;
            if !done {
                return Ok(());
            }
            let s = with(|m| match m.requests.table.get(request) {
                Some(Req { op: op @ (Pending::Active { .. } | Pending::Pair(_)), engine, .. }) => {
                    op.peek(engine).map(|s| c_status(&s))
                }
                Some(Req { op: Pending::Done(Ok(s)), .. }) => Some(c_status(s)),
                _ => Some(empty_status()),
            });
            put_status(status, &s.unwrap_or_else(empty_status));
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Cancel / PMPI_Cancel(request: *mut c_int) -> c_int {
        let comm = if request.is_null() {
            NO_OBJECT
        } else {
            // SAFETY: not null: the caller's request handle.
            comm_of_request(unsafe { *request })
        };
        call("MPI_Cancel", comm, || {
            if request.is_null() {
                return mpi_err!(Arg, "request is a null pointer");
            }
            // SAFETY: not null.
            let h = unsafe { *request };
            // Only receives can be cancelled; a send completes anyway
            // (its status then says not cancelled, as the standard allows).
            let receive = with(|m| match m.requests.table.get(h) {
                Some(Req { op: Pending::Inactive, .. }) => {
                    mpi_err!(Request, "persistent request {h:#x} is not active (call MPI_Start first)")
                }
                Some(r) => Ok(r.op.receive().map(|id| (r.engine.clone(), id))),
                None if h == MPI_REQUEST_NULL => mpi_err!(Request, "request is MPI_REQUEST_NULL"),
                None => mpi_err!(Request, "{h:#x} is not a valid request handle (freed, or never made)"),
            })?;
            if let Some((engine, id)) = receive {
                engine.cancel_recv(id);
            }
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Test_cancelled / PMPI_Test_cancelled(status: *const MPI_Status, flag: *mut c_int) -> c_int {
        call("MPI_Test_cancelled", NO_OBJECT, || {
            if status.is_null() || status as usize == MPI_STATUS_IGNORE {
                return mpi_err!(Arg, "status is a null pointer or MPI_STATUS_IGNORE");
            }
            // SAFETY: a real status of the caller.
            let s = unsafe { *status };
            super::out("flag", flag, s.cancelled() as c_int)
        })
    }
}

mpi_fn! {
    fn MPI_Start / PMPI_Start(request: *mut c_int) -> c_int {
        if request.is_null() {
            return call("MPI_Start", NO_OBJECT, || mpi_err!(Arg, "request is a null pointer"));
        }
        // SAFETY: not null.
        let h = unsafe { *request };
        call("MPI_Start", comm_of_request(h), || start(h))
    }
}

mpi_fn! {
    fn MPI_Startall / PMPI_Startall(count: c_int, requests: *mut c_int) -> c_int {
        let hs = match slice_mut(requests, count) {
            Ok(s) => s,
            Err(e) => return raise("MPI_Startall", NO_OBJECT, e),
        };
        for &h in hs.iter() {
            if let Err(e) = start(h) {
                return raise("MPI_Startall", comm_of_request(h), e);
            }
        }
        MPI_SUCCESS
    }
}

/// The communicator the errors of request `h` are raised on: its own
/// (MPI_COMM_SELF for a null or invalid handle).
fn comm_of_request(h: c_int) -> c_int {
    with(|m| m.requests.table.get(h).map_or(NO_OBJECT, |r| r.comm))
}

/// Starts persistent request `h`.
pub fn start(h: c_int) -> Result<()> {
    let starter = with(|m| match m.requests.table.get(h) {
        Some(r) => match (&r.start, &r.op) {
            (Some(s), Pending::Inactive) => Ok(s.clone()),
            (Some(_), _) => mpi_err!(Request, "persistent request {h:#x} is already active"),
            (None, _) => mpi_err!(Request, "request {h:#x} is not a persistent request"),
        },
        None => mpi_err!(
            Request,
            "{h:#x} is not a valid request handle (freed, or never made)"
        ),
    })?;
    let op = starter()?;
    with(|m| {
        if let Some(r) = m.requests.table.get_mut(h) {
            r.op = op;
        }
    });
    Ok(())
}
