//! The engine: one per process, it owns this rank's view of the segment and
//! moves messages (point to point in [`p2p`], collectives in [`coll`]).
//!
//! Everything here is safe code over the [`shm`](crate::shm) layer, except
//! where a request's buffer, borrowed by the API layer for the request's
//! lifetime, is kept as a raw pointer until the request completes.
//!
//! # Progress and waiting
//!
//! There is no progress thread. Every call that must wait runs
//! [`Engine::wait_until`]: it makes progress (pushes queued frames, drains
//! incoming rings, checks rendezvous flags) and tests its condition; it
//! spins a little, then, if the machine has fewer cores than the job has
//! ranks, yields the core (up to 500 times: a rank that waits is usually
//! waiting for a rank that needs this very core, and a yield hands it over
//! far more cheaply than a futex sleep and wake), and finally sleeps on its
//! doorbell
//! (see [`Doorbell`](crate::shm::Doorbell)) until another rank rings it.
//! Draining incoming rings while waiting for anything (even a collective)
//! means a rank never blocks a sender whose ring to it is full.

pub mod coll;
pub mod deadlock;
pub mod p2p;

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use crate::error::{mpi_err, mpi_error, Result};
use crate::shm::{cma, Segment, CAP_CMA};

pub use deadlock::WaitFor;
pub use p2p::{Envelope, RequestId, Status};

/// Longest single sleep on the doorbell (then the rank looks for a deadlock).
const SLEEP: Duration = Duration::from_millis(500);

/// How a process joined the job.
pub enum Launch {
    /// Started by shmrun: the inherited segment fd, this rank and the size.
    Shmrun {
        /// The fd of the job's memfd.
        fd: i32,
        /// This process's rank.
        rank: usize,
        /// The number of ranks.
        size: usize,
    },
    /// Started on its own: a job of one rank with a private segment.
    Singleton,
}

impl Launch {
    /// Reads `SHMPI_FD`, `SHMPI_RANK` and `SHMPI_SIZE` from the environment.
    pub fn from_env() -> Result<Launch> {
        let var = |k: &str| std::env::var(k).ok();
        match (var("SHMPI_FD"), var("SHMPI_RANK"), var("SHMPI_SIZE")) {
            (Some(fd), Some(rank), Some(size)) => {
                let parse = |k: &str, v: &str| {
                    v.parse::<usize>().map_err(|_| {
                        crate::Error::new(
                            crate::ErrorClass::Other,
                            format!("init: {k}={v:?} is not a number"),
                        )
                    })
                };
                Ok(Launch::Shmrun {
                    fd: parse("SHMPI_FD", &fd)? as i32,
                    rank: parse("SHMPI_RANK", &rank)?,
                    size: parse("SHMPI_SIZE", &size)?,
                })
            }
            _ => Ok(Launch::Singleton),
        }
    }
}

/// One process's engine.
pub struct Engine {
    seg: Segment,
    rank: usize,
    size: usize,
    cma: bool,
    /// Collective streams of at least this many bytes are direct (see `coll`).
    direct_min: usize,
    spin: u32,
    yields: u32,
    state: RefCell<p2p::State>,
    coll: coll::SlotState,
    /// Context ids this process uses (bit set), for communicator creation.
    pub(crate) contexts: RefCell<coll::ContextTable>,
    finalized: Cell<bool>,
    deadlock_watch: RefCell<Option<(Instant, Vec<i64>)>>,
}

impl Engine {
    /// Attaches to the job's segment (or makes a private one for a singleton).
    pub fn start(launch: Launch) -> Result<Engine> {
        let (seg, rank, size) = match launch {
            Launch::Shmrun { fd, rank, size } => {
                let seg = Segment::adopt(fd, size).map_err(|e| {
                    mpi_error!(
                        Other,
                        "init: cannot map the job's segment (SHMPI_FD={fd}): {e}"
                    )
                })?;
                if rank >= size {
                    return mpi_err!(
                        Other,
                        "init: SHMPI_RANK={rank} is not below SHMPI_SIZE={size}"
                    );
                }
                (seg, rank, size)
            }
            Launch::Singleton => {
                let (seg, _fd) = Segment::create(1, 0)
                    .map_err(|e| mpi_error!(Other, "init: cannot create a segment: {e}"))?;
                (seg, 0, 1)
            }
        };
        cma::allow_siblings();
        let me = seg.rank(rank);
        me.pid
            .store(std::process::id(), std::sync::atomic::Ordering::Relaxed);
        me.attached.store(1, std::sync::atomic::Ordering::Release);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let oversubscribed = size > cores;
        let cma = seg.caps() & CAP_CMA != 0;
        Ok(Engine {
            state: RefCell::new(p2p::State::new(size, seg.producer(0, 0).max_payload())),
            coll: coll::SlotState::default(),
            contexts: RefCell::new(coll::ContextTable::new()),
            seg,
            rank,
            size,
            cma,
            direct_min: if cma {
                p2p::env_usize("SHMPI_COLL_CMA_MIN", 64 * 1024).max(1)
            } else {
                usize::MAX
            },
            spin: p2p::env_usize("SHMPI_SPIN", if oversubscribed { 4 } else { 20_000 }) as u32,
            yields: p2p::env_usize("SHMPI_YIELDS", if oversubscribed { 500 } else { 0 }) as u32,
            finalized: Cell::new(false),
            deadlock_watch: RefCell::new(None),
        })
    }

    /// This process's rank in the job.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of ranks in the job.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether large messages move by cross-memory attach (else through the rings).
    pub fn uses_cma(&self) -> bool {
        self.cma
    }

    pub(crate) fn segment(&self) -> &Segment {
        &self.seg
    }

    /// Refuses calls after finalize: the other ranks may be gone.
    pub(crate) fn check_live(&self, call: &str) -> Result<()> {
        if self.finalized.get() {
            return mpi_err!(
                Other,
                "{call}: MPI has been finalized in this process (the Universe was dropped)"
            );
        }
        Ok(())
    }

    /// Marks the engine finalized; later calls are refused.
    pub fn finalize(&self) {
        self.finalized.set(true);
        self.record_finalized();
    }

    /// Marks a process that exits without finalizing (MPI_Finalize never
    /// called): gone for good, for the deadlock diagnosis of the ranks
    /// left waiting for it.
    pub fn exit_unfinalized(&self) {
        self.finalized.set(true);
        self.record_exited();
    }

    /// Makes progress and tests `done` until it holds: spin, yield, sleep.
    /// `why` says what the caller waits for, should the job deadlock.
    pub fn wait_until(
        &self,
        why: WaitFor<'_>,
        mut done: impl FnMut(&Engine) -> Result<bool>,
    ) -> Result<()> {
        let bell = &self.seg.rank(self.rank).doorbell;
        loop {
            for _ in 0..self.spin {
                self.progress()?;
                if done(self)? {
                    return Ok(());
                }
                std::hint::spin_loop();
            }
            for _ in 0..self.yields {
                self.progress()?;
                if done(self)? {
                    return Ok(());
                }
                std::thread::yield_now();
            }
            let ticket = bell.prepare();
            self.progress()?;
            if done(self)? {
                bell.cancel();
                return Ok(());
            }
            self.record_wait(&why);
            let slept = Instant::now();
            bell.sleep(ticket, SLEEP);
            if slept.elapsed() >= SLEEP {
                // Still marked asleep, as it was all along.
                self.check_deadlock();
            }
            self.clear_wait();
        }
    }

    /// Rings the doorbell of world rank `r`.
    pub(crate) fn wake(&self, r: usize) {
        self.seg.rank(r).doorbell.ring();
    }
}
