//! The one MPI state of the process, behind one lock.
//!
//! The engine and the Rust API are single-threaded (`Rc`, `RefCell`): the C
//! library therefore provides MPI_THREAD_SERIALIZED, and keeps everything
//! (the universe, every handle table) in one [`Mpi`] behind a reentrant
//! lock. An entry point takes what it needs under the lock ([`with`]),
//! clones of communicators and type maps, and releases it before it
//! blocks or calls back into user code (error handlers, user ops,
//! attribute callbacks), which may themselves call MPI.

use std::cell::RefCell;
use std::os::raw::c_int;

use parking_lot::ReentrantMutex;

use super::{attr, comm, dtype, errors, info, message, op, p2p, request};
use crate::api::Universe;

/// Where the process is in MPI's life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// MPI_Init has not been called.
    Before,
    /// Between MPI_Init and MPI_Finalize.
    Running,
    /// MPI_Finalize has returned.
    Finalized,
}

/// Everything the C library knows.
pub struct Mpi {
    /// Where the process is in MPI's life cycle.
    pub phase: Phase,
    /// The Rust API's environment, from MPI_Init to MPI_Finalize.
    pub universe: Option<Universe>,
    /// The thread level granted by MPI_Init_thread.
    pub thread_level: c_int,
    /// The thread that initialized MPI (MPI_Is_thread_main).
    pub main_thread: Option<std::thread::ThreadId>,
    /// Communicators and groups.
    pub comms: comm::Comms,
    /// Datatypes.
    pub types: dtype::Types,
    /// Reduction operations.
    pub ops: op::Ops,
    /// Requests.
    pub requests: request::Requests,
    /// Messages claimed by matched probes.
    pub messages: message::Messages,
    /// The buffer of buffered sends.
    pub bsend: p2p::BsendBuffer,
    /// Error handlers, codes and strings.
    pub errors: errors::Errors,
    /// Info objects.
    pub infos: info::Infos,
    /// Attribute keyvals.
    pub keyvals: attr::Keyvals,
}

impl Mpi {
    fn new() -> Mpi {
        Mpi {
            phase: Phase::Before,
            universe: None,
            thread_level: 0,
            main_thread: None,
            comms: comm::Comms::default(),
            types: dtype::Types::default(),
            ops: op::Ops::default(),
            requests: request::Requests::default(),
            messages: message::Messages::default(),
            bsend: p2p::BsendBuffer::default(),
            errors: errors::Errors::default(),
            infos: info::Infos::default(),
            keyvals: attr::Keyvals::default(),
        }
    }
}

struct Global(RefCell<Option<Mpi>>);

// SAFETY: the `Rc`s inside `Mpi` are only touched by the thread holding
// the lock around `GLOBAL`; MPI_THREAD_SERIALIZED (the level this library
// grants) makes the application call MPI from one thread at a time, so
// clones taken out of the lock are never used by two threads at once.
unsafe impl Send for Global {}

static GLOBAL: ReentrantMutex<Global> =
    parking_lot::const_reentrant_mutex(Global(RefCell::new(None)));

/// Runs `f` on the MPI state, unless it is in use (by a `with` further up
/// this thread's stack): for the exit hook, which may run anywhere.
pub fn try_with<R>(f: impl FnOnce(&mut Mpi) -> R) -> Option<R> {
    let guard = GLOBAL.lock();
    let mut cell = guard.0.try_borrow_mut().ok()?;
    Some(f(cell.get_or_insert_with(Mpi::new)))
}

/// Runs `f` on the MPI state. Must not be nested, and `f` must not call
/// user code: a nested call panics (the borrow is exclusive).
pub fn with<R>(f: impl FnOnce(&mut Mpi) -> R) -> R {
    let guard = GLOBAL.lock();
    let mut cell = guard.0.borrow_mut();
    f(cell.get_or_insert_with(Mpi::new))
}
