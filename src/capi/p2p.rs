//! Point-to-point entry points: blocking and nonblocking sends and
//! receives, probes, persistent requests, and status queries.

use std::os::raw::{c_int, c_void};
use std::rc::Rc;

use super::comm::comm_of;
use super::consts::*;
use super::dtype::{recv_target, send_data, type_size, RecvTarget};
use super::errors::call;
use super::mpi_fn;
use super::request::{c_status, put_status, register, Pending, Starter};
use crate::api::comm::Communicator;
use crate::engine::p2p::check_tag;
use crate::engine::{Envelope, Status};
use crate::error::{mpi_err, Result};

/// Starts a send; the operation for a request.
pub fn start_send(
    c: &Communicator,
    buf: *const c_void,
    count: c_int,
    dt: c_int,
    dest: c_int,
    tag: c_int,
) -> Result<Pending> {
    check_tag("send", tag, false)?;
    let data = send_data(buf, count, dt)?;
    let Some(d) = c.check_rank("send", "destination", dest)? else {
        return Ok(Pending::Done(Ok(Communicator::null_status())));
    };
    let cc = c.comm();
    let (p, n) = data.raw();
    let id = c
        .engine()
        .isend(cc.ranks[d], cc.context, cc.me as u32, tag, p, n)?;
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
    check_tag("receive", tag, true)?;
    let target = recv_target(buf, count, dt)?;
    let Some(s) = c.check_source("receive", source)? else {
        return Ok(Pending::Done(Ok(Communicator::null_status())));
    };
    let env = Envelope {
        context: c.comm().context,
        source: s,
        tag,
    };
    let id = match &target {
        RecvTarget::Direct(p, cap) => c.engine().irecv(env, *p, *cap)?,
        RecvTarget::Unpack { .. } => c.engine().irecv_vec(env)?,
    };
    Ok(Pending::Active {
        id,
        keep: None,
        target: Some(target),
    })
}

/// Runs a pending operation to completion and returns its status.
pub fn wait_pending(c: &Communicator, p: Pending) -> Result<Status> {
    if let Pending::Active { id, .. } = &p {
        c.engine().wait(*id)?;
    }
    p.finish(c.engine())
        .unwrap_or_else(|| Ok(Communicator::null_status()))
}

fn send(
    name: &'static str,
    buf: *const c_void,
    count: c_int,
    dt: c_int,
    dest: c_int,
    tag: c_int,
    comm: c_int,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        let p = start_send(&c, buf, count, dt, dest, tag)?;
        wait_pending(&c, p).map(|_| ())
    })
}

mpi_fn! {
    fn MPI_Send / PMPI_Send(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int) -> c_int {
        send("MPI_Send", buf, count, datatype, dest, tag, comm)
    }
}

mpi_fn! {
    fn MPI_Rsend / PMPI_Rsend(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int) -> c_int {
        // Ready mode: a matching receive is posted; a standard send is correct.
        send("MPI_Rsend", buf, count, datatype, dest, tag, comm)
    }
}

mpi_fn! {
    fn MPI_Recv / PMPI_Recv(buf: *mut c_void, count: c_int, datatype: c_int, source: c_int, tag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        call("MPI_Recv", comm, || {
            let c = comm_of(comm)?;
            let p = start_recv(&c, buf, count, datatype, source, tag)?;
            let s = wait_pending(&c, p)?;
            put_status(status, &c_status(&s));
            Ok(())
        })
    }
}

fn isend(
    name: &'static str,
    buf: *const c_void,
    count: c_int,
    dt: c_int,
    dest: c_int,
    tag: c_int,
    comm: c_int,
    request: *mut c_int,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        let p = start_send(&c, buf, count, dt, dest, tag)?;
        register(comm, c.engine().clone(), p, None, request)
    })
}

mpi_fn! {
    fn MPI_Isend / PMPI_Isend(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        isend("MPI_Isend", buf, count, datatype, dest, tag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Irsend / PMPI_Irsend(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        isend("MPI_Irsend", buf, count, datatype, dest, tag, comm, request)
    }
}

mpi_fn! {
    fn MPI_Irecv / PMPI_Irecv(buf: *mut c_void, count: c_int, datatype: c_int, source: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        call("MPI_Irecv", comm, || {
            let c = comm_of(comm)?;
            let p = start_recv(&c, buf, count, datatype, source, tag)?;
            register(comm, c.engine().clone(), p, None, request)
        })
    }
}

mpi_fn! {
    fn MPI_Sendrecv / PMPI_Sendrecv(sendbuf: *const c_void, sendcount: c_int, sendtype: c_int, dest: c_int, sendtag: c_int,
        recvbuf: *mut c_void, recvcount: c_int, recvtype: c_int, source: c_int, recvtag: c_int, comm: c_int, status: *mut MPI_Status) -> c_int {
        call("MPI_Sendrecv", comm, || {
            let c = comm_of(comm)?;
            let r = start_recv(&c, recvbuf, recvcount, recvtype, source, recvtag)?;
            let s = start_send(&c, sendbuf, sendcount, sendtype, dest, sendtag)?;
            let st = wait_pending(&c, r)?;
            wait_pending(&c, s)?;
            put_status(status, &c_status(&st));
            Ok(())
        })
    }
}

fn persistent(
    name: &'static str,
    comm: c_int,
    request: *mut c_int,
    make: impl Fn(&Communicator) -> Result<Pending> + 'static,
) -> c_int {
    call(name, comm, || {
        let c = comm_of(comm)?;
        // Check the arguments now: start them once against PROC_NULL-free
        // validation by building the operation lazily at MPI_Start.
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

mpi_fn! {
    fn MPI_Send_init / PMPI_Send_init(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        let buf = buf as usize;
        persistent("MPI_Send_init", comm, request, move |c| start_send(c, buf as *const c_void, count, datatype, dest, tag))
    }
}

mpi_fn! {
    fn MPI_Rsend_init / PMPI_Rsend_init(buf: *const c_void, count: c_int, datatype: c_int, dest: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        let buf = buf as usize;
        persistent("MPI_Rsend_init", comm, request, move |c| start_send(c, buf as *const c_void, count, datatype, dest, tag))
    }
}

mpi_fn! {
    fn MPI_Recv_init / PMPI_Recv_init(buf: *mut c_void, count: c_int, datatype: c_int, source: c_int, tag: c_int, comm: c_int, request: *mut c_int) -> c_int {
        let buf = buf as usize;
        persistent("MPI_Recv_init", comm, request, move |c| start_recv(c, buf as *mut c_void, count, datatype, source, tag))
    }
}

fn probe_status(c: &Communicator, source: c_int, tag: c_int) -> Result<Option<Envelope>> {
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
        call("MPI_Get_count", MPI_COMM_SELF, || {
            let s = status_ref(status)?;
            let n = count_of(s.bytes(), type_size(datatype)?);
            super::out("count", count, if n > i32::MAX as i64 { MPI_UNDEFINED } else { n as c_int })
        })
    }
}

mpi_fn! {
    fn MPI_Get_count_c / PMPI_Get_count_c(status: *const MPI_Status, datatype: c_int, count: *mut i64) -> c_int {
        call("MPI_Get_count_c", MPI_COMM_SELF, || {
            let s = status_ref(status)?;
            super::out("count", count, count_of(s.bytes(), type_size(datatype)?))
        })
    }
}
