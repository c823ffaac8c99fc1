//! Matched probes: MPI_Mprobe and MPI_Improbe claim a message, so that no
//! other receive can match it, and name it by an `MPI_Message` handle;
//! MPI_Mrecv and MPI_Imrecv receive exactly that message.
//!
//! A message handle names a [`MessageObj`]: the engine's id of the claimed
//! message and the engine that holds it. Allocated handles have the
//! `Message` kind, so they never equal `MPI_MESSAGE_NULL` (0x2c000000) nor
//! `MPI_MESSAGE_NO_PROC` (0x6c000000), the message of a probe of
//! MPI_PROC_NULL, which receives nothing, at once.

use std::os::raw::{c_int, c_void};
use std::rc::Rc;

use super::comm::comm_of;
use super::consts::*;
use super::dtype::recv_target;
use super::errors::call;
use super::errors::NO_OBJECT;
use super::handle::{Kind, Table};
use super::mpi_fn;
use super::p2p::{probe_status, received, wait_on};
use super::request::{c_status, put_status, register, Pending};
use super::state::with;
use crate::api::comm::Communicator;
use crate::engine::p2p::MessageId;
use crate::engine::{Engine, Status};
use crate::error::{mpi_err, Result};

/// What a message handle names.
pub struct MessageObj {
    /// The communicator it was probed on (errors are raised on it).
    pub comm: c_int,
    /// The engine that holds the message.
    pub engine: Rc<Engine>,
    /// The engine's name for the claimed message.
    pub id: MessageId,
}

/// The message table.
pub struct Messages {
    /// Claimed messages not received yet.
    pub table: Table<MessageObj>,
}

impl Default for Messages {
    fn default() -> Messages {
        Messages {
            table: Table::new(Kind::Message),
        }
    }
}

/// Probes (blocking or not) for a message on `comm` and claims it: its
/// handle and status, or None when `block` is false and none is there.
fn mprobe(comm: c_int, source: c_int, tag: c_int, block: bool) -> Result<Option<(c_int, Status)>> {
    let c = comm_of(comm)?;
    let Some(env) = probe_status(&c, source, tag)? else {
        return Ok(Some((MPI_MESSAGE_NO_PROC, Communicator::null_status())));
    };
    let e = c.engine();
    let found = if block {
        Some(e.mprobe(env)?)
    } else {
        e.improbe(env)?
    };
    Ok(found.map(|(id, st)| {
        let engine = e.clone();
        let h = with(|m| m.messages.table.insert(MessageObj { comm, engine, id }));
        (h, st)
    }))
}

mpi_fn! {
    fn MPI_Mprobe / PMPI_Mprobe(source: c_int, tag: c_int, comm: c_int, message: *mut c_int, status: *mut MPI_Status) -> c_int {
        call("MPI_Mprobe", comm, || {
            if message.is_null() {
                return mpi_err!(Arg, "message is a null pointer");
            }
            let (h, st) = mprobe(comm, source, tag, true)?.expect("a blocking probe finds a message");
            super::out("message", message, h)?;
            put_status(status, &c_status(&st));
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Improbe / PMPI_Improbe(source: c_int, tag: c_int, comm: c_int, flag: *mut c_int, message: *mut c_int, status: *mut MPI_Status) -> c_int {
        call("MPI_Improbe", comm, || {
            if message.is_null() || flag.is_null() {
                return mpi_err!(Arg, "flag or message is a null pointer");
            }
            let found = mprobe(comm, source, tag, false)?;
            super::out("flag", flag, found.is_some() as c_int)?;
            if let Some((h, st)) = found {
                super::out("message", message, h)?;
                put_status(status, &c_status(&st));
            }
            Ok(())
        })
    }
}

/// The communicator message `h` was probed on (MPI_COMM_SELF if none).
fn comm_of_message(message: *const c_int) -> c_int {
    if message.is_null() {
        return NO_OBJECT;
    }
    // SAFETY: not null: the caller's message handle.
    let h = unsafe { *message };
    with(|m| m.messages.table.get(h).map(|o| o.comm)).unwrap_or(NO_OBJECT)
}

/// Starts the receive of message `*message` into (`buf`, `count`, `dt`),
/// and sets `*message` to MPI_MESSAGE_NULL. Returns the engine and the
/// operation (None for MPI_MESSAGE_NO_PROC, with the communicator: none).
fn start_mrecv(
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    message: *mut c_int,
) -> Result<Option<(c_int, Rc<Engine>, Pending)>> {
    if message.is_null() {
        return mpi_err!(Arg, "message is a null pointer");
    }
    // SAFETY: not null: the caller's message handle.
    let h = unsafe { *message };
    match h {
        MPI_MESSAGE_NO_PROC => {
            // SAFETY: as above.
            unsafe { *message = MPI_MESSAGE_NULL };
            return Ok(None);
        }
        MPI_MESSAGE_NULL => return mpi_err!(Request, "message is MPI_MESSAGE_NULL"),
        _ => {}
    }
    if with(|m| m.messages.table.get(h).is_none()) {
        return mpi_err!(
            Request,
            "{h:#x} is not a valid message handle (received already, or never made)"
        );
    }
    // Check the buffer before the message is taken, so that a bad
    // argument leaves the message to a corrected call.
    let target = recv_target(buf, count, dt)?;
    let obj = with(|m| m.messages.table.remove(h)).expect("checked above");
    // SAFETY: as above.
    unsafe { *message = MPI_MESSAGE_NULL };
    let e = obj.engine;
    let id = match target.direct() {
        Some((p, cap)) => e.imrecv(obj.id, p, cap)?,
        None => e.imrecv_vec(obj.id)?,
    };
    Ok(Some((
        obj.comm,
        e,
        Pending::Active {
            id,
            keep: None,
            target: Some(target),
        },
    )))
}

fn mrecv(
    name: &'static str,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    message: *mut c_int,
    status: *mut MPI_Status,
) -> c_int {
    call(name, comm_of_message(message), || {
        match start_mrecv(buf, count, dt, message)? {
            Some((_, e, p)) => received(status, wait_on(&e, p)?),
            None => {
                put_status(status, &c_status(&Communicator::null_status()));
                Ok(())
            }
        }
    })
}

fn imrecv(
    name: &'static str,
    buf: *mut c_void,
    count: i64,
    dt: c_int,
    message: *mut c_int,
    request: *mut c_int,
) -> c_int {
    call(name, comm_of_message(message), || {
        if request.is_null() {
            return mpi_err!(Arg, "request is a null pointer");
        }
        match start_mrecv(buf, count, dt, message)? {
            Some((comm, e, p)) => register(comm, e, p, None, request),
            None => {
                let e = with(|m| m.universe.as_ref().map(|u| u.world().engine().clone()));
                let Some(e) = e else {
                    return mpi_err!(Other, "MPI is not initialized");
                };
                register(
                    NO_OBJECT,
                    e,
                    Pending::Done(Ok(Communicator::null_status())),
                    None,
                    request,
                )
            }
        }
    })
}

mpi_fn! {
    fn MPI_Mrecv / PMPI_Mrecv(buf: *mut c_void, count: c_int, datatype: c_int, message: *mut c_int, status: *mut MPI_Status) -> c_int {
        mrecv("MPI_Mrecv", buf, count as i64, datatype, message, status)
    }
}

mpi_fn! {
    fn MPI_Mrecv_c / PMPI_Mrecv_c(buf: *mut c_void, count: i64, datatype: c_int, message: *mut c_int, status: *mut MPI_Status) -> c_int {
        mrecv("MPI_Mrecv_c", buf, count, datatype, message, status)
    }
}

mpi_fn! {
    fn MPI_Imrecv / PMPI_Imrecv(buf: *mut c_void, count: c_int, datatype: c_int, message: *mut c_int, request: *mut c_int) -> c_int {
        imrecv("MPI_Imrecv", buf, count as i64, datatype, message, request)
    }
}

mpi_fn! {
    fn MPI_Imrecv_c / PMPI_Imrecv_c(buf: *mut c_void, count: i64, datatype: c_int, message: *mut c_int, request: *mut c_int) -> c_int {
        imrecv("MPI_Imrecv_c", buf, count, datatype, message, request)
    }
}
