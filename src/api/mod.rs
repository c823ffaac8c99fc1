//! The Rust API: `init`, communicators, typed buffers, requests and ops.

pub mod buffer;
pub mod comm;
pub mod op;
pub mod request;

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::engine::Status;
use crate::engine::{Engine, Launch};
use crate::error::{mpi_err, mpi_error, Result};
use comm::Communicator;

static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// Starts MPI in this process: joins the job `shmrun` started, or becomes
/// a job of one rank when started on its own. Returns the guard that
/// finalizes when dropped. A process can initialize only once.
///
/// ```
/// let universe = shmpi::init().unwrap();
/// let world = universe.world();
/// assert!(world.rank() < world.size());
/// ```
pub fn init() -> Result<Universe> {
    if INITIALIZED.swap(true, Ordering::SeqCst) {
        return mpi_err!(Other, "init: MPI is already initialized in this process");
    }
    let engine = Rc::new(Engine::start(Launch::from_env()?)?);
    let world = Communicator::world(engine.clone());
    Ok(Universe { engine, world })
}

/// The initialized MPI environment; dropping it finalizes.
pub struct Universe {
    engine: Rc<Engine>,
    // One world for the whole process: every handle to it must share its
    // collective sequence numbers.
    world: Communicator,
}

impl Universe {
    /// The communicator of all ranks of the job (MPI_COMM_WORLD).
    pub fn world(&self) -> Communicator {
        self.world.clone()
    }

    /// Wall-clock seconds from a fixed point, the same for every rank of
    /// the machine (MPI_Wtime; MPI_WTIME_IS_GLOBAL holds).
    pub fn wtime(&self) -> f64 {
        wtime()
    }

    /// Ends the whole job with exit status `code` (MPI_Abort).
    pub fn abort(&self, code: i32) -> ! {
        abort(self.engine.rank(), code)
    }

    /// The engine of this process.
    pub(crate) fn engine(&self) -> &Rc<Engine> {
        &self.engine
    }

    /// Whether large messages move by a single cross-memory copy.
    pub fn single_copy(&self) -> bool {
        self.engine.uses_cma()
    }
}

impl Drop for Universe {
    fn drop(&mut self) {
        // Finalize: deliver every queued frame, then wait for all ranks so
        // that none reads from a rank that has gone.
        let e = &self.engine;
        if !std::thread::panicking() {
            let _ = self.world.barrier();
        }
        e.finalize();
    }
}

/// Seconds of the machine's monotonic clock (MPI_Wtime).
pub fn wtime() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into `ts`.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn abort(rank: usize, code: i32) -> ! {
    crate::error::say(&format!(
        "shmpi: rank {rank} called abort({code}); ending the job"
    ));
    std::process::exit(if code == 0 { 1 } else { code & 0xff })
}

/// Encodes a serde value as shmpi sends objects (postcard).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    postcard::to_stdvec(value)
        .map_err(|e| mpi_error!(Other, "send_object: cannot encode the value: {e}"))
}

/// Decodes a value encoded by [`encode`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| {
        mpi_error!(
            Other,
            "recv_object: the {} bytes received do not decode as {}: {e}",
            bytes.len(),
            std::any::type_name::<T>()
        )
    })
}
