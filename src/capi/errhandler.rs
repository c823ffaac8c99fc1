//! Error handler objects: MPI_Comm_create_errhandler, calling a
//! communicator's handler, freeing handlers, and the MPI-1 names of the
//! same calls.
//!
//! How errors reach handlers is in [`super::errors`]; the reference
//! counting of user handlers is described in [`super::comm`]. Freeing a
//! predefined handler (MPI_ERRORS_ARE_FATAL, ...) only sets the handle to
//! MPI_ERRHANDLER_NULL, as in MPICH, so that the common pattern of
//! freeing what MPI_Comm_get_errhandler returned works whatever it was.

use std::os::raw::c_int;

use super::comm::{bad_comm, get_errhandler, set_errhandler};
use super::consts::*;
use super::errors::NO_OBJECT;
use super::errors::{call, raise_code, Handler, HandlerFn};
use super::state::with;
use super::{mpi_fn, out};
use crate::error::{mpi_err, Result};

/// Registers user handler `f` and writes its handle to `errhandler`.
fn create(f: Option<HandlerFn>, errhandler: *mut c_int) -> Result<()> {
    let Some(f) = f else {
        return mpi_err!(Arg, "the error handler function is a null pointer");
    };
    if errhandler.is_null() {
        return mpi_err!(Arg, "errhandler is a null pointer");
    }
    let h = with(|m| {
        m.check_running()?;
        let h = m.errors.handlers.insert(Handler::User(f));
        m.comms.errh_refs.insert(h, 1);
        Ok(h)
    })?;
    out("errhandler", errhandler, h)
}

mpi_fn! {
    fn MPI_Comm_create_errhandler / PMPI_Comm_create_errhandler(comm_errhandler_fn: Option<HandlerFn>, errhandler: *mut c_int) -> c_int {
        call("MPI_Comm_create_errhandler", NO_OBJECT, || create(comm_errhandler_fn, errhandler))
    }
}

mpi_fn! {
    fn MPI_Errhandler_create / PMPI_Errhandler_create(comm_errhandler_fn: Option<HandlerFn>, errhandler: *mut c_int) -> c_int {
        call("MPI_Errhandler_create", NO_OBJECT, || create(comm_errhandler_fn, errhandler))
    }
}

mpi_fn! {
    fn MPI_Errhandler_set / PMPI_Errhandler_set(comm: c_int, errhandler: c_int) -> c_int {
        call("MPI_Errhandler_set", comm, || set_errhandler(comm, errhandler))
    }
}

mpi_fn! {
    fn MPI_Errhandler_get / PMPI_Errhandler_get(comm: c_int, errhandler: *mut c_int) -> c_int {
        call("MPI_Errhandler_get", comm, || {
            if errhandler.is_null() {
                return mpi_err!(Arg, "errhandler is a null pointer");
            }
            out("errhandler", errhandler, get_errhandler(comm)?)
        })
    }
}

mpi_fn! {
    fn MPI_Errhandler_free / PMPI_Errhandler_free(errhandler: *mut c_int) -> c_int {
        call("MPI_Errhandler_free", NO_OBJECT, || {
            if errhandler.is_null() {
                return mpi_err!(Arg, "errhandler is a null pointer");
            }
            // SAFETY: checked non-null; points to the caller's handle.
            let h = unsafe { *errhandler };
            with(|m| {
                m.check_running()?;
                match h {
                    MPI_ERRORS_ARE_FATAL | MPI_ERRORS_RETURN | MPI_ERRORS_ABORT => Ok(()),
                    MPI_ERRHANDLER_NULL => mpi_err!(Arg, "errhandler is MPI_ERRHANDLER_NULL"),
                    _ => match m.comms.errh_refs.get_mut(&h) {
                        Some(n) if *n > 0 && m.errors.handlers.get(h).is_some() => {
                            *n -= 1;
                            m.collect_errhandler(h);
                            Ok(())
                        }
                        _ => mpi_err!(
                            Arg,
                            "{h:#x} is not a valid error handler (freed, or never made)"
                        ),
                    },
                }
            })?;
            // SAFETY: as above.
            unsafe { *errhandler = MPI_ERRHANDLER_NULL };
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Comm_call_errhandler / PMPI_Comm_call_errhandler(comm: c_int, errorcode: c_int) -> c_int {
        let handler = with(|m| {
            if m.check_running().is_err() {
                return None;
            }
            let h = m.comms.get(comm)?.errhandler;
            Some((m.errors.handler(h).unwrap_or(Handler::Fatal), m.errors.string_of(errorcode)))
        });
        match handler {
            None => call("MPI_Comm_call_errhandler", comm, || {
                with(|m| m.check_running())?;
                bad_comm(comm)
            }),
            Some((Handler::Return, _)) => MPI_SUCCESS,
            Some((Handler::User(f), _)) => {
                let mut c = comm;
                let mut k = errorcode;
                // SAFETY: `f` is the user's handler, registered through
                // MPI_Comm_create_errhandler with the standard's signature;
                // both pointers are valid for the call.
                unsafe { f(&mut c, &mut k) };
                MPI_SUCCESS
            }
            Some((Handler::Fatal, text)) => {
                let class = with(|m| m.errors.class_of(errorcode)).unwrap_or(MPI_ERR_OTHER);
                let text = text.unwrap_or_else(|| format!("error code {errorcode}"));
                // Ends the job: the handler is fatal.
                raise_code("MPI_Comm_call_errhandler", comm, class, format!("called with {text}"))
            }
        }
    }
}

const MPI_ERR_OTHER: c_int = 15;
