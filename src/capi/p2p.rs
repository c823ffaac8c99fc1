//! Point-to-point entry points: blocking and nonblocking sends and
//! receives in the four modes, probes, persistent requests, and status
//! queries; matched probes are in [`message`](super::message).
//!
//! Every call has its large-count twin (`MPI_Send_c`, ...); both forms
//! share one body over `MPI_Count` counts.
//!
//! Modes: standard and ready sends are the engine's plain send (a ready
//! send finds its receive posted, so a standard send is correct);
//! synchronous sends are the engine's synchronous send, which completes
//! only once the receive has matched; buffered sends copy the data (the
//! attached buffer is accounting only: each message takes its packed size
//! plus `MPI_BSEND_OVERHEAD` of it until it is delivered) and send from the
//! copy, through a request the user never sees (so MPI_Finalize, which
//! completes every request, delivers them too).

use std::os::raw::{c_int, c_void};
use std::rc::Rc;

use super::comm::comm_of;
use super::consts::*;
use super::dtype::{
    comm_type, recv_target, send_data, type_size, Buffer, RecvTarget, SendData, Side,
};
use super::errors::call;
use super::errors::NO_OBJECT;
use super::mpi_fn;
use super::request::{c_status, put_status, register, Outcome, Pending, Req, Starter};
use super::state::with;
use crate::api::comm::Communicator;
use crate::engine::p2p::check_tag;
use crate::engine::{Engine, Envelope, Status};
use crate::error::{mpi_err, Result};

/// How a send hands its message over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// MPI_Send (and MPI_Rsend: its receive is posted).
    Standard,
    /// MPI_Ssend: complete only once the receive has matched.
    Sync,
    /// MPI_Bsend: from a copy accounted in the attached buffer.
    Buffered,
}

/// Starts a standard send; the operation for a request.
pub fn start_send(
    c: &Communicator,
    buf: *const c_void,
    count: c_int,
    dt: c_int,
    dest: c_int,
    tag: c_int,
) -> Result<Pending> {
    start_send_mode(c, buf, count as i64, dt, dest, tag, Mode::Standard)
}

/// Starts a send in `mode`; the operation for a request.
pub fn start_send_mode(
    c: &Communicator,
    buf: *const c_void,
    count: i64,
    dt: c_int,
    dest: c_int,
    tag: c_int,
    mode: Mode,
) -> Result<Pending> {
    check_tag("send", tag, false)?;
    let data = send_data(buf, count, dt)?;
    start_send_data(c, data, dest, tag, mode)
}

/// The world rank of destination `dest` of a send on `c` (checked), or
/// None for MPI_PROC_NULL.
fn destination(c: &Communicator, dest: c_int) -> Result<Option<usize>> {
    Ok(c.check_rank("send", "destination", dest)?
        .map(|d| c.comm().ranks[d]))
}

/// The envelope a receive from `source` (checked) with `tag` on `c`
/// matches, or None for MPI_PROC_NULL.
fn envelope(c: &Communicator, source: c_int, tag: c_int) -> Result<Option<Envelope>> {
    Ok(c.check_source("receive", source)?.map(|s| Envelope {
        context: c.comm().context,
        source: s,
        tag,
    }))
}

/// Starts a send of `data` (its tag checked) in `mode`.
fn start_send_data(
    c: &Communicator,
    data: SendData,
    dest: c_int,
    tag: c_int,
    mode: Mode,
) -> Result<Pending> {
    let Some(world) = destination(c, dest)? else {
        return Ok(Pending::Done(Ok(Communicator::null_status())));
    };
    let cc = c.comm();
    if mode == Mode::Buffered {
        bsend(c, data, world, tag)?;
        return Ok(Pending::Done(Ok(Status::default())));
    }
    let (p, n) = data.raw();
    let e = c.engine();
    let id = match mode {
        Mode::Sync => e.issend(world, cc.context, cc.me as u32, tag, p, n)?,
        _ => e.isend(world, cc.context, cc.me as u32, tag, p, n)?,
    };
    Ok(Pending::Active {
        id,
        keep: Some(data),
        target: None,
    })
}

/// Starts a receive; the operation for a request.
pub fn start_recv(
    c: &Communicator,
    buf: *mut c_void,
    count: c_int,
    dt: c_int,
    source: c_int,
    tag: c_int,
) -> Result<Pending> {
    start_recv_n(c, buf, count as i64, dt, source, tag)
}

/// Starts a receive of any count; the operation for a request.
pub fn start_recv_n(
    c: &Communicator,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    source: c_int,
    tag: c_int,
) -> Result<Pending> {
    check_tag("receive", tag, true)?;
    let target = recv_target(buf, count, dt)?;
    start_recv_into(c, target, source, tag)
}

/// Starts a receive (its tag checked) into `target`.
fn start_recv_into(
    c: &Communicator,
    target: RecvTarget,
    source: c_int,
    tag: c_int,
) -> Result<Pending> {
    let Some(env) = envelope(c, source, tag)? else {
        return Ok(Pending::Done(Ok(Communicator::null_status())));
    };
    let id = match target.direct() {
        Some((p, cap)) => c.engine().irecv(env, p, cap)?,
        None => c.engine().irecv_vec(env)?,
    };
    Ok(Pending::Active {
        id,
        keep: None,
        target: Some(target),
    })
}

/// Runs a pending operation to completion; how it ended.
pub fn wait_pending(c: &Communicator, p: Pending) -> Result<Outcome> {
    wait_on(c.engine(), p)
}

/// Runs a pending operation of `engine` to completion; how it ended.
pub fn wait_on(engine: &Engine, p: Pending) -> Result<Outcome> {
    while let Some(id) = p.waiting_on(engine) {
        engine.wait(id)?;
    }
    Ok(p.finish(engine).unwrap_or_else(|| Outcome {
        status: Communicator::null_status(),
        result: Ok(()),
    }))
}

/// Completes a blocking receive: writes its status (also that of a
/// truncated message, as MPICH does) and returns its error, if any.
pub fn received(status: *mut MPI_Status, o: Outcome) -> Result<()> {
    put_status(status, &c_status(&o.status));
    o.result
}

// ---- buffered mode ----

/// The buffer of MPI_Buffer_attach and the buffered sends using it.
#[derive(Default)]
pub struct BsendBuffer {
    /// Address and size of the attached buffer.
    attached: Option<(usize, usize)>,
    /// Bytes taken by messages not delivered yet.
    used: usize,
    /// Those messages: the hidden request sending each, and its bytes.
    pending: Vec<(c_int, usize)>,
}

/// Frees the space of buffered sends that have been delivered.
fn reap_bsends() -> Result<()> {
    let pending: Vec<(c_int, Rc<Engine>, crate::engine::RequestId)> = with(|m| {
        m.bsend
            .pending
            .iter()
            .filter_map(|&(h, _)| match m.requests.table.get(h) {
                Some(Req {
                    engine,
                    op: Pending::Active { id, .. },
                    ..
                }) => Some((h, engine.clone(), *id)),
                _ => None,
            })
            .collect()
    });
    if let Some((_, e, _)) = pending.first() {
        e.progress()?;
    }
    for (h, e, id) in pending {
        if !e.is_complete(id) {
            continue;
        }
        let req = with(|m| {
            if let Some(pos) = m.bsend.pending.iter().position(|&(p, _)| p == h) {
                let (_, n) = m.bsend.pending.swap_remove(pos);
                m.bsend.used -= n;
            }
            m.requests.table.remove(h)
        });
        // A delivered message's send cannot fail any more; its copy goes.
        let _ = e.take(id);
        drop(req);
    }
    Ok(())
}

/// Sends `data` to world rank `world` from a copy accounted in the
/// attached buffer.
fn bsend(c: &Communicator, data: SendData, world: usize, tag: c_int) -> Result<()> {
    reap_bsends()?;
    let bytes = data.bytes().len();
    let need = bytes + MPI_BSEND_OVERHEAD;
    with(|m| {
        let b = &mut m.bsend;
        let Some((_, size)) = b.attached else {
            return mpi_err!(
                Buffer,
                "no buffer is attached (MPI_Buffer_attach) for a buffered send of {bytes} bytes"
            );
        };
        if b.used + need > size {
            return mpi_err!(
                Buffer,
                "a buffered send of {bytes} bytes needs {need} bytes of the attached buffer \
                 ({bytes} + MPI_BSEND_OVERHEAD {MPI_BSEND_OVERHEAD}), but only {} of its {size} bytes are free",
                size - b.used
            );
        }
        b.used += need;
        Ok(())
    })?;
    let copy = match data {
        SendData::Packed(v) => SendData::Packed(v),
        SendData::Borrowed(..) => SendData::Packed(data.bytes().to_vec()),
    };
    let cc = c.comm();
    let (p, n) = copy.raw();
    let started = c.engine().isend(world, cc.context, cc.me as u32, tag, p, n);
    let id = match started {
        Ok(id) => id,
        Err(e) => {
            with(|m| m.bsend.used -= need);
            return Err(e);
        }
    };
    let engine = c.engine().clone();
    with(|m| {
        let h = m.requests.table.insert(Req {
            comm: NO_OBJECT,
            engine,
            op: Pending::Active {
                id,
                keep: Some(copy),
                target: None,
            },
            start: None,
            cancel: false,
        });
        m.bsend.pending.push((h, need));
    });
    Ok(())
}

fn buffer_attach(buffer: *mut c_void, size: i64) -> Result<()> {
    with(|m| m.check_running())?;
    let Ok(size) = usize::try_from(size) else {
        return mpi_err!(Arg, "buffer size {size} is negative");
    };
    if buffer.is_null() && size > 0 {
        return mpi_err!(Buffer, "buffer is a null pointer but its size is {size}");
    }
    with(|m| {
        if let Some((addr, n)) = m.bsend.attached {
            return mpi_err!(
                Buffer,
                "a buffer ({n} bytes at {addr:#x}) is already attached; detach it first"
            );
        }
        m.bsend.attached = Some((buffer as usize, size));
        Ok(())
    })
}

/// Waits until every buffered message is delivered, detaches the buffer
/// and returns its address and size (null and 0 when none was attached).
fn buffer_detach() -> Result<(usize, usize)> {
    with(|m| m.check_running())?;
    loop {
        reap_bsends()?;
        let first = with(|m| {
            m.bsend
                .pending
                .first()
                .and_then(|&(h, _)| match m.requests.table.get(h) {
                    Some(Req {
                        engine,
                        op: Pending::Active { id, .. },
                        ..
                    }) => Some((engine.clone(), *id)),
                    _ => None,
                })
        });
        match first {
            Some((e, id)) => e.wait(id)?,
            None => break,
        }
    }
    Ok(with(|m| {
        m.bsend.pending.clear();
        m.bsend.used = 0;
        m.bsend.attached.take().unwrap_or((0, 0))
    }))
}

mpi_fn! {
    fn MPI_Buffer_attach / PMPI_Buffer_attach(buffer: *mut c_void, size: c_int) -> c_int {
        call("MPI_Buffer_attach", NO_OBJECT, || buffer_attach(buffer, size as i64))
    }
}

mpi_fn! {
    fn MPI_Buffer_attach_c / PMPI_Buffer_attach_c(buffer: *mut c_void, size: i64) -> c_int {
        call("MPI_Buffer_attach_c", NO_OBJECT, || buffer_attach(buffer, size))
    }
}

mpi_fn! {
    fn MPI_Buffer_detach / PMPI_Buffer_detach(buffer_addr: *mut c_void, size: *mut c_int) -> c_int {
        call("MPI_Buffer_detach", NO_OBJECT, || {
            if buffer_addr.is_null() || size.is_null() {
                return mpi_err!(Arg, "buffer_addr or size is a null pointer");
            }
            let (addr, n) = buffer_detach()?;
            super::out("buffer_addr", buffer_addr as *mut usize, addr)?;
            super::out("size", size, c_int::try_from(n).unwrap_or(MPI_UNDEFINED))
        })
    }
}

mpi_fn! {
    fn MPI_Buffer_detach_c / PMPI_Buffer_detach_c(buffer_addr: *mut c_void, size: *mut i64) -> c_int {
        call("MPI_Buffer_detach_c", NO_OBJECT, || {
            if buffer_addr.is_null() || size.is_null() {
                return mpi_err!(Arg, "buffer_addr or size is a null pointer");
            }
            let (addr, n) = buffer_detach()?;
            super::out("buffer_addr", buffer_addr as *mut usize, addr)?;
            super::out("size", size, n as i64)
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn send(
    name: &'static str,
    buf: *const c_void,
    count: i64,
    dt: c_int,
    dest: c_int,
    tag: c_int,
    comm: c_int,
    mode: Mode,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        check_tag("send", tag, false)?;
        let data = send_data(buf, count, dt)?;
        if mode != Mode::Standard {
            return wait_pending(&c, start_send_data(&c, data, dest, tag, mode)?)?.result;
        }
        // Blocking: straight to the engine's send (and its eager fast
        // path), with no request.
        let Some(world) = destination(&c, dest)? else {
            return Ok(());
        };
        let cc = c.comm();
        c.engine()
            .send(world, cc.context, cc.me as u32, tag, data.bytes())
    })
}

#[allow(clippy::too_many_arguments)]
fn recv(
    name: &'static str,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    source: c_int,
    tag: c_int,
    comm: c_int,
    status: *mut MPI_Status,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        check_tag("receive", tag, true)?;
        let target = recv_target(buf, count, dt)?;
        let Some((p, cap)) = target.direct() else {
            let p = start_recv_into(&c, target, source, tag)?;
            return received(status, wait_pending(&c, p)?);
        };
        // Blocking, into the caller's bytes: straight to the engine, with
        // no pending operation in between.
        let Some(env) = envelope(&c, source, tag)? else {
            put_status(status, &c_status(&Communicator::null_status()));
            return Ok(());
        };
        let e = c.engine();
        let id = e.irecv(env, p, cap)?;
        e.wait(id)?;
        let (st, result) = e.take_outcome(id);
        received(status, Outcome { status: st, result })
    })
}

#[allow(clippy::too_many_arguments)]
fn isend(
    name: &'static str,
    buf: *const c_void,
    count: i64,
    dt: c_int,
    dest: c_int,
    tag: c_int,
    comm: c_int,
    request: *mut c_int,
    mode: Mode,
) -> c_int {
    call(name, comm, || {
        if request.is_null() {
            return mpi_err!(Arg, "request is a null pointer");
        }
        let c = comm_of(comm)?;
        let p = start_send_mode(&c, buf, count, dt, dest, tag, mode)?;
        register(comm, c.engine().clone(), p, None, request)
    })
}

#[allow(clippy::too_many_arguments)]
fn irecv(
    name: &'static str,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    source: c_int,
    tag: c_int,
    comm: c_int,
    request: *mut c_int,
) -> c_int {
    call(name, comm, || {
        if request.is_null() {
            return mpi_err!(Arg, "request is a null pointer");
        }
        let c = comm_of(comm)?;
        let p = start_recv_n(&c, buf, count, dt, source, tag)?;
        register(comm, c.engine().clone(), p, None, request)
    })
}

/// Defines a blocking send entry point and its large-count twin.
macro_rules! send_fns {
    ($name:ident / $pname:ident, $cname:ident / $pcname:ident, $mode:expr) => {
        mpi_fn! {
            fn $name / $pname(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int) -> c_int {
                send(stringify!($name), buf, count as i64, datatype, dest, tag, comm, $mode)
            }
        }
        mpi_fn! {
            fn $cname / $pcname(buf: *const c_void, count: i64, datatype: c_int, dest: c_int, tag: c_int, comm: c_int) -> c_int {
                send(stringify!($cname), buf, count, datatype, dest, tag, comm, $mode)
            }
        }
    };
}

/// Defines a nonblocking send entry point and its large-count twin.
macro_rules! isend_fns {
    ($name:ident / $pname:ident, $cname:ident / $pcname:ident, $mode:expr) => {
        mpi_fn! {
            fn $name / $pname(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
                isend(stringify!($name), buf, count as i64, datatype, dest, tag, comm, request, $mode)
            }
        }
        mpi_fn! {
            fn $cname / $pcname(buf: *const c_void, count: i64, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
                isend(stringify!($cname), buf, count, datatype, dest, tag, comm, request, $mode)
            }
        }
    };
}

/// Defines a persistent send entry point and its large-count twin.
macro_rules! send_init_fns {
    ($name:ident / $pname:ident, $cname:ident / $pcname:ident, $mode:expr) => {
        mpi_fn! {
            fn $name / $pname(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
                send_init(stringify!($name), buf, count as i64, datatype, dest, tag, comm, request, $mode)
            }
        }
        mpi_fn! {
            fn $cname / $pcname(buf: *const c_void, count: i64, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
                send_init(stringify!($cname), buf, count, datatype, dest, tag, comm, request, $mode)
            }
        }
    };
}

// Ready mode: a matching receive is posted; a standard send is correct.
send_fns!(
    MPI_Send / PMPI_Send,
    MPI_Send_c / PMPI_Send_c,
    Mode::Standard
);
send_fns!(
    MPI_Rsend / PMPI_Rsend,
    MPI_Rsend_c / PMPI_Rsend_c,
    Mode::Standard
);
send_fns!(
    MPI_Ssend / PMPI_Ssend,
    MPI_Ssend_c / PMPI_Ssend_c,
    Mode::Sync
);
send_fns!(
    MPI_Bsend / PMPI_Bsend,
    MPI_Bsend_c / PMPI_Bsend_c,
    Mode::Buffered
);
isend_fns!(
    MPI_Isend / PMPI_Isend,
    MPI_Isend_c / PMPI_Isend_c,
    Mode::Standard
);
isend_fns!(
    MPI_Irsend / PMPI_Irsend,
    MPI_Irsend_c / PMPI_Irsend_c,
    Mode::Standard
);
isend_fns!(
    MPI_Issend / PMPI_Issend,
    MPI_Issend_c / PMPI_Issend_c,
    Mode::Sync
);
isend_fns!(
    MPI_Ibsend / PMPI_Ibsend,
    MPI_Ibsend_c / PMPI_Ibsend_c,
    Mode::Buffered
);
send_init_fns!(
    MPI_Send_init / PMPI_Send_init,
    MPI_Send_init_c / PMPI_Send_init_c,
    Mode::Standard
);
send_init_fns!(
    MPI_Rsend_init / PMPI_Rsend_init,
    MPI_Rsend_init_c / PMPI_Rsend_init_c,
    Mode::Standard
);
send_init_fns!(
    MPI_Ssend_init / PMPI_Ssend_init,
    MPI_Ssend_init_c / PMPI_Ssend_init_c,
    Mode::Sync
);
send_init_fns!(
    MPI_Bsend_init / PMPI_Bsend_init,
    MPI_Bsend_init_c / PMPI_Bsend_init_c,
    Mode::Buffered
);

mpi_fn! {
    fn MPI_Recv / PMPI_Recv(buf: *mut c_void, count: c_int, datatype: c_int, source: c_int, tag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        recv("MPI_Recv", buf, count as i64, datatype, source, tag, comm, status)
    }
}

mpi_fn! {
    fn MPI_Recv_c / PMPI_Recv_c(buf: *mut c_void, count: i64, datatype: c_int, source: c_int, tag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        recv("MPI_Recv_c", buf, count, datatype, source, tag, comm, status)
    }
}

mpi_fn! {
    fn MPI_Irecv / PMPI_Irecv(buf: *mut c_void, count: c_int, datatype: c_int, source: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        irecv("MPI_Irecv", buf, count as i64, datatype, source, tag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Irecv_c / PMPI_Irecv_c(buf: *mut c_void, count: i64, datatype: c_int, source: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        irecv("MPI_Irecv_c", buf, count, datatype, source, tag, comm, request)
    }
}

/// Starts MPI_Sendrecv's send and receive as one operation; every
/// argument is checked before either starts.
#[allow(clippy::too_many_arguments)]
fn start_sendrecv(
    c: &Communicator,
    sendbuf: *const c_void,
    sendcount: i64,
    sendtype: c_int,
    dest: c_int,
    sendtag: c_int,
    recvbuf: *mut c_void,
    recvcount: i64,
    recvtype: c_int,
    source: c_int,
    recvtag: c_int,
) -> Result<Pending> {
    check_tag("send", sendtag, false)?;
    c.check_rank("send", "destination", dest)?;
    let data = send_data(sendbuf, sendcount, sendtype)?;
    check_tag("receive", recvtag, true)?;
    let target = recv_target(recvbuf, recvcount, recvtype)?;
    c.check_source("receive", source)?;
    let r = start_recv_into(c, target, source, recvtag)?;
    let s = start_send_data(c, data, dest, sendtag, Mode::Standard)?;
    Ok(Pending::Pair(Box::new((s, r))))
}

/// Starts MPI_Sendrecv_replace's send and receive as one operation: the
/// message comes into a vector of its own, and into the buffer only once
/// the send from the buffer has completed.
#[allow(clippy::too_many_arguments)]
fn start_sendrecv_replace(
    c: &Communicator,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    dest: c_int,
    sendtag: c_int,
    source: c_int,
    recvtag: c_int,
) -> Result<Pending> {
    check_tag("send", sendtag, false)?;
    c.check_rank("send", "destination", dest)?;
    let data = send_data(buf, count, dt)?;
    check_tag("receive", recvtag, true)?;
    let target = RecvTarget::Replace(Box::new(recv_target(buf, count, dt)?));
    c.check_source("receive", source)?;
    let r = start_recv_into(c, target, source, recvtag)?;
    let s = start_send_data(c, data, dest, sendtag, Mode::Standard)?;
    Ok(Pending::Pair(Box::new((s, r))))
}

#[allow(clippy::too_many_arguments)]
fn sendrecv(
    name: &'static str,
    sendbuf: *const c_void,
    sendcount: i64,
    sendtype: c_int,
    dest: c_int,
    sendtag: c_int,
    recvbuf: *mut c_void,
    recvcount: i64,
    recvtype: c_int,
    source: c_int,
    recvtag: c_int,
    comm: c_int,
    status: *mut MPI_Status,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        let p = start_sendrecv(
            &c, sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source,
            recvtag,
        )?;
        received(status, wait_pending(&c, p)?)
    })
}

#[allow(clippy::too_many_arguments)]
fn isendrecv(
    name: &'static str,
    sendbuf: *const c_void,
    sendcount: i64,
    sendtype: c_int,
    dest: c_int,
    sendtag: c_int,
    recvbuf: *mut c_void,
    recvcount: i64,
    recvtype: c_int,
    source: c_int,
    recvtag: c_int,
    comm: c_int,
    request: *mut c_int,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        let p = start_sendrecv(
            &c, sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source,
            recvtag,
        )?;
        register(comm, c.engine().clone(), p, None, request)
    })
}

mpi_fn! {
    fn MPI_Isendrecv / PMPI_Isendrecv(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, dest: c_int, sendtag: c_int,
        recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, source: c_int, recvtag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        isendrecv("MPI_Isendrecv", sendbuf, sendcount as i64, sendtype, dest, sendtag, recvbuf, recvcount as i64, recvtype, source, recvtag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Isendrecv_c / PMPI_Isendrecv_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, dest: c_int, sendtag: c_int,
        recvbuf: *mut c_void, recvcount: i64, recvtype: c_int, source: c_int, recvtag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        isendrecv("MPI_Isendrecv_c", sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source, recvtag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Sendrecv / PMPI_Sendrecv(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, dest: c_int, sendtag: c_int,
        recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, source: c_int, recvtag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        sendrecv("MPI_Sendrecv", sendbuf, sendcount as i64, sendtype, dest, sendtag, recvbuf, recvcount as i64, recvtype, source, recvtag, comm, status)
    }
}

mpi_fn! {
    fn MPI_Sendrecv_c / PMPI_Sendrecv_c(sendbuf: *const c_void, sendcount: i64, sendtype: c_int, dest: c_int, sendtag: c_int,
        recvbuf: *mut c_void, recvcount: i64, recvtype: c_int, source: c_int, recvtag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        sendrecv("MPI_Sendrecv_c", sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source, recvtag, comm, status)
    }
}

/// Writes received `data` into `target`; MPI_ERR_TRUNCATE if it does not fit.
#[allow(clippy::too_many_arguments)]
fn sendrecv_replace(
    name: &'static str,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    dest: c_int,
    sendtag: c_int,
    source: c_int,
    recvtag: c_int,
    comm: c_int,
    status: *mut MPI_Status,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        let p = start_sendrecv_replace(&c, buf, count, dt, dest, sendtag, source, recvtag)?;
        received(status, wait_pending(&c, p)?)
    })
}

#[allow(clippy::too_many_arguments)]
fn isendrecv_replace(
    name: &'static str,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    dest: c_int,
    sendtag: c_int,
    source: c_int,
    recvtag: c_int,
    comm: c_int,
    request: *mut c_int,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        let p = start_sendrecv_replace(&c, buf, count, dt, dest, sendtag, source, recvtag)?;
        register(comm, c.engine().clone(), p, None, request)
    })
}

mpi_fn! {
    fn MPI_Isendrecv_replace / PMPI_Isendrecv_replace(buf: *mut c_void, count: c_int, datatype: c_int, dest: c_int, sendtag: c_int,
        source: c_int, recvtag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        isendrecv_replace("MPI_Isendrecv_replace", buf, count as i64, datatype, dest, sendtag, source, recvtag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Isendrecv_replace_c / PMPI_Isendrecv_replace_c(buf: *mut c_void, count: i64, datatype: c_int, dest: c_int, sendtag: c_int,
        source: c_int, recvtag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        isendrecv_replace("MPI_Isendrecv_replace_c", buf, count, datatype, dest, sendtag, source, recvtag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Sendrecv_replace / PMPI_Sendrecv_replace(buf: *mut c_void, count: c_int, datatype: c_int, dest: c_int, sendtag: c_int,
        source: c_int, recvtag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        sendrecv_replace("MPI_Sendrecv_replace", buf, count as i64, datatype, dest, sendtag, source, recvtag, comm, status)
    }
}

mpi_fn! {
    fn MPI_Sendrecv_replace_c / PMPI_Sendrecv_replace_c(buf: *mut c_void, count: i64, datatype: c_int, dest: c_int, sendtag: c_int,
        source: c_int, recvtag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        sendrecv_replace("MPI_Sendrecv_replace_c", buf, count, datatype, dest, sendtag, source, recvtag, comm, status)
    }
}

/// Makes a persistent request on `comm`: `init` checks the arguments, as
/// MPICH does at MPI_Send_init and MPI_Recv_init rather than at MPI_Start,
/// and returns how to start the operation.
fn persistent<S>(
    name: &'static str,
    comm: c_int,
    request: *mut c_int,
    init: impl FnOnce(&Communicator) -> Result<S>,
) -> c_int
where
    S: Fn(&Communicator) -> Result<Pending> + 'static,
{
    call(name, comm, || {
        if request.is_null() {
            return mpi_err!(Arg, "request is a null pointer");
        }
        let c = comm_of(comm)?;
        let make = init(&c)?;
        let cc = c.clone();
        let starter: Starter = Rc::new(move || make(&cc));
        register(
            comm,
            c.engine().clone(),
            Pending::Inactive,
            Some(starter),
            request,
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn send_init(
    name: &'static str,
    buf: *const c_void,
    count: i64,
    dt: c_int,
    dest: c_int,
    tag: c_int,
    comm: c_int,
    request: *mut c_int,
    mode: Mode,
) -> c_int {
    persistent(name, comm, request, |c| {
        check_tag("send", tag, false)?;
        let buffer = Buffer::new(Side::Send, buf, count, dt)?;
        c.check_rank("send", "destination", dest)?;
        Ok(move |c: &Communicator| start_send_data(c, buffer.send_data(), dest, tag, mode))
    })
}

#[allow(clippy::too_many_arguments)]
fn recv_init(
    name: &'static str,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    source: c_int,
    tag: c_int,
    comm: c_int,
    request: *mut c_int,
) -> c_int {
    persistent(name, comm, request, |c| {
        check_tag("receive", tag, true)?;
        let buffer = Buffer::new(Side::Receive, buf, count, dt)?;
        c.check_source("receive", source)?;
        Ok(move |c: &Communicator| start_recv_into(c, buffer.clone().recv_target(), source, tag))
    })
}

mpi_fn! {
    fn MPI_Recv_init / PMPI_Recv_init(buf: *mut c_void, count: c_int, datatype: c_int, source: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        recv_init("MPI_Recv_init", buf, count as i64, datatype, source, tag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Recv_init_c / PMPI_Recv_init_c(buf: *mut c_void, count: i64, datatype: c_int, source: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        recv_init("MPI_Recv_init_c", buf, count, datatype, source, tag, comm, request)
    }
}

/// The envelope a probe of (source, tag) on `c` looks for; None for MPI_PROC_NULL.
pub fn probe_status(c: &Communicator, source: c_int, tag: c_int) -> Result<Option<Envelope>> {
    check_tag("probe", tag, true)?;
    Ok(c.check_source("probe", source)?.map(|s| Envelope {
        context: c.comm().context,
        source: s,
        tag,
    }))
}

mpi_fn! {
    fn MPI_Probe / PMPI_Probe(source: c_int, tag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        call("MPI_Probe", comm, || {
            let c = comm_of(comm)?;
            let s = match probe_status(&c, source, tag)? {
                Some(env) => c_status(&c.engine().probe(env)?),
                None => c_status(&Communicator::null_status()),
            };
            put_status(status, &s);
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Iprobe / PMPI_Iprobe(source: c_int, tag: c_int, comm: c_int, flag: *mut c_int, status: *mut MPI_Status) -> c_int {
        call("MPI_Iprobe", comm, || {
            let c = comm_of(comm)?;
            let found = match probe_status(&c, source, tag)? {
                Some(env) => c.engine().iprobe(env)?,
                None => Some(Communicator::null_status()),
            };
            super::out("flag", flag, found.is_some() as c_int)?;
            if let Some(s) = found {
                put_status(status, &c_status(&s));
            }
            Ok(())
        })
    }
}

fn status_ref<'a>(status: *const MPI_Status) -> Result<&'a MPI_Status> {
    if status.is_null() || status as usize == MPI_STATUS_IGNORE {
        return mpi_err!(Arg, "status is a null pointer or MPI_STATUS_IGNORE");
    }
    // SAFETY: a real status of the caller.
    Ok(unsafe { &*status })
}

/// MPI_Get_count's answer for `bytes` received of a type of `size` bytes.
pub fn count_of(bytes: u64, size: usize) -> i64 {
    if size == 0 {
        if bytes == 0 {
            0
        } else {
            MPI_UNDEFINED as i64
        }
    } else if bytes % size as u64 != 0 {
        MPI_UNDEFINED as i64
    } else {
        (bytes / size as u64) as i64
    }
}

mpi_fn! {
    fn MPI_Get_count / PMPI_Get_count(status: *const MPI_Status, datatype: c_int, count: *mut c_int) -> c_int {
        call("MPI_Get_count", NO_OBJECT, || {
            let s = status_ref(status)?;
            let n = count_of(s.bytes(), type_size(datatype)?);
            super::out("count", count, if n > i32::MAX as i64 { MPI_UNDEFINED } else { n as c_int })
        })
    }
}

mpi_fn! {
    fn MPI_Get_count_c / PMPI_Get_count_c(status: *const MPI_Status, datatype: c_int, count: *mut i64) -> c_int {
        call("MPI_Get_count_c", NO_OBJECT, || {
            let s = status_ref(status)?;
            super::out("count", count, count_of(s.bytes(), type_size(datatype)?))
        })
    }
}

fn status_mut<'a>(status: *mut MPI_Status) -> Result<&'a mut MPI_Status> {
    if status.is_null() || status as usize == MPI_STATUS_IGNORE {
        return mpi_err!(Arg, "status is a null pointer or MPI_STATUS_IGNORE");
    }
    // SAFETY: a real status of the caller.
    Ok(unsafe { &mut *status })
}

/// MPI_Get_elements's answer: basic elements of datatype `dt` in `bytes`
/// (MPI_UNDEFINED when `bytes` ends inside one; a pair type such as
/// MPI_FLOAT_INT holds two basic elements).
fn elements_of(bytes: u64, dt: c_int) -> Result<i64> {
    let t = comm_type(dt)?;
    Ok(usize::try_from(bytes)
        .ok()
        .and_then(|b| t.elements(b))
        .map_or(MPI_UNDEFINED as i64, |n| n as i64))
}

fn get_elements(status: *const MPI_Status, dt: c_int) -> Result<i64> {
    let s = status_ref(status)?;
    elements_of(s.bytes(), dt)
}

mpi_fn! {
    fn MPI_Get_elements / PMPI_Get_elements(status: *const MPI_Status, datatype: c_int, count: *mut c_int) -> c_int {
        call("MPI_Get_elements", NO_OBJECT, || {
            let n = get_elements(status, datatype)?;
            super::out("count", count, c_int::try_from(n).unwrap_or(MPI_UNDEFINED))
        })
    }
}

mpi_fn! {
    fn MPI_Get_elements_x / PMPI_Get_elements_x(status: *const MPI_Status, datatype: c_int, count: *mut i64) -> c_int {
        call("MPI_Get_elements_x", NO_OBJECT, || {
            super::out("count", count, get_elements(status, datatype)?)
        })
    }
}

mpi_fn! {
    fn MPI_Get_elements_c / PMPI_Get_elements_c(status: *const MPI_Status, datatype: c_int, count: *mut i64) -> c_int {
        call("MPI_Get_elements_c", NO_OBJECT, || {
            super::out("count", count, get_elements(status, datatype)?)
        })
    }
}

fn set_elements(status: *mut MPI_Status, dt: c_int, count: i64) -> Result<()> {
    if count < 0 {
        return mpi_err!(Count, "count {count} is negative");
    }
    let size = type_size(dt)? as u64;
    let Some(bytes) = (count as u64).checked_mul(size) else {
        return mpi_err!(Count, "count {count} of {size}-byte elements overflows");
    };
    status_mut(status)?.set_bytes(bytes);
    Ok(())
}

mpi_fn! {
    fn MPI_Status_set_elements / PMPI_Status_set_elements(status: *mut MPI_Status, datatype: c_int, count: c_int) -> c_int {
        call("MPI_Status_set_elements", NO_OBJECT, || set_elements(status, datatype, count as i64))
    }
}

mpi_fn! {
    fn MPI_Status_set_elements_x / PMPI_Status_set_elements_x(status: *mut MPI_Status, datatype: c_int, count: i64) -> c_int {
        call("MPI_Status_set_elements_x", NO_OBJECT, || set_elements(status, datatype, count))
    }
}

mpi_fn! {
    fn MPI_Status_set_cancelled / PMPI_Status_set_cancelled(status: *mut MPI_Status, flag: c_int) -> c_int {
        call("MPI_Status_set_cancelled", NO_OBJECT, || {
            status_mut(status)?.set_cancelled(flag != 0);
            Ok(())
        })
    }
}
