//! Deadlock diagnosis: when no rank of the job can make progress, say who
//! waits for whom and end the job, instead of hanging silently.
//!
//! Before a rank sleeps on its doorbell it writes what it waits for into
//! its [`WaitRecord`](crate::shm::WaitRecord) (a receive from rank 2 with
//! tag 0, a collective waiting for rank 3, ...); a finalized rank says so
//! for good, and so does a process that exits without finalizing (the C
//! library's exit hook), so that ranks left waiting for it are diagnosed
//! instead of hanging. A rank that sleeps through a whole timeout looks at every
//! rank: if every rank sleeps (or has finalized) and the snapshot of all
//! wait records and doorbell counters stays the same for
//! [`PERSIST`], nobody can wake anybody: only a rank that is awake can
//! publish a message, and every rank was asleep. A rank that is computing,
//! starting up or blocked outside MPI counts as awake, so it never causes
//! a false alarm. The first rank to see it prints one line and exits;
//! shmrun then ends the others.

use std::time::{Duration, Instant};

use super::p2p::{ANY_SOURCE, ANY_TAG};
use super::Engine;
use crate::shm::WaitRecord;

/// How long the whole job must stay asleep and unchanged before it is
/// called deadlocked.
pub const PERSIST: Duration = Duration::from_secs(2);

/// Exit status of the rank that reports a deadlock.
pub const EXIT_STATUS: i32 = 86;

/// What a blocked call waits for.
#[derive(Clone, Copy, Debug)]
pub enum WaitFor<'a> {
    /// A receive from `source` (a communicator rank or ANY_SOURCE).
    Recv {
        /// Source rank in the communicator, or ANY_SOURCE.
        source: i32,
        /// Tag, or ANY_TAG.
        tag: i32,
        /// Communicator context.
        context: u32,
    },
    /// A send to world rank `dest` that its receiver has not taken yet.
    Send {
        /// World rank of the receiver.
        dest: usize,
        /// Tag of the message.
        tag: i32,
    },
    /// A probe.
    Probe {
        /// Source rank in the communicator, or ANY_SOURCE.
        source: i32,
        /// Tag, or ANY_TAG.
        tag: i32,
        /// Communicator context.
        context: u32,
    },
    /// A collective step that needs world rank `peer`.
    Collective {
        /// The collective's name.
        call: &'a str,
        /// World rank of the member it waits for.
        peer: usize,
    },
    /// Any of several requests.
    Requests,
}

const RECV: u32 = 1;
const SEND: u32 = 2;
const PROBE: u32 = 3;
const REQUESTS: u32 = 4;
/// Collective kinds are COLLECTIVE + the index of the name in CALLS.
const COLLECTIVE: u32 = 16;
const CALLS: [&str; 12] = [
    "collective",
    "barrier",
    "bcast",
    "gather",
    "scatter",
    "allgather",
    "alltoall",
    "reduce",
    "allreduce",
    "reduce_scatter",
    "scan",
    "exscan",
];

impl Engine {
    /// Writes `why` into this rank's wait record and marks it sleeping.
    pub(crate) fn record_wait(&self, why: &WaitFor<'_>) {
        let (kind, peer, tag, context) = match *why {
            WaitFor::Recv {
                source,
                tag,
                context,
            } => (RECV, source, tag, context),
            WaitFor::Send { dest, tag } => (SEND, dest as i32, tag, 0),
            WaitFor::Probe {
                source,
                tag,
                context,
            } => (PROBE, source, tag, context),
            WaitFor::Collective { call, peer } => {
                let i = CALLS.iter().position(|c| *c == call).unwrap_or(0);
                (COLLECTIVE + i as u32, peer as i32, 0, 0)
            }
            WaitFor::Requests => (REQUESTS, -1, 0, 0),
        };
        let w = &self.segment().rank(self.rank()).wait;
        w.kind.store(kind, Relaxed);
        w.peer.store(peer, Relaxed);
        w.tag.store(tag, Relaxed);
        w.context.store(context, Relaxed);
        w.state.store(WaitRecord::SLEEPING, Relaxed);
    }

    /// Marks this rank awake again.
    pub(crate) fn clear_wait(&self) {
        self.segment()
            .rank(self.rank())
            .wait
            .state
            .store(0, Relaxed);
    }

    /// Marks this rank finalized for good.
    pub(crate) fn record_finalized(&self) {
        let w = &self.segment().rank(self.rank()).wait;
        w.state.store(WaitRecord::FINALIZED, Relaxed);
    }

    /// Marks this rank's process as exiting without having finalized.
    pub(crate) fn record_exited(&self) {
        let w = &self.segment().rank(self.rank()).wait;
        w.state.store(WaitRecord::EXITED, Relaxed);
    }

    /// Called after sleeping through a whole timeout: reports and exits
    /// when the whole job has been asleep and unchanged for [`PERSIST`].
    pub(crate) fn check_deadlock(&self) {
        let seg = self.segment();
        let mut snap = Vec::with_capacity(self.size() * 6);
        for r in 0..self.size() {
            let b = seg.rank(r);
            let state = b.wait.state.load(Relaxed);
            if b.attached.load(Relaxed) == 0 || state == 0 {
                self.deadlock_watch.replace(None);
                return;
            }
            snap.extend([
                state as i64,
                b.doorbell.rings() as i64,
                b.wait.kind.load(Relaxed) as i64,
                b.wait.peer.load(Relaxed) as i64,
                b.wait.tag.load(Relaxed) as i64,
                b.wait.context.load(Relaxed) as i64,
            ]);
        }
        let mut watch = self.deadlock_watch.borrow_mut();
        match &*watch {
            Some((since, prev)) if *prev == snap => {
                if since.elapsed() >= PERSIST && seg.claim_report() {
                    crate::error::say(&self.deadlock_report(&snap));
                    std::process::exit(EXIT_STATUS);
                }
            }
            _ => *watch = Some((Instant::now(), snap)),
        }
    }

    fn deadlock_report(&self, snap: &[i64]) -> String {
        let mut parts = Vec::new();
        for (r, s) in snap.chunks(6).enumerate() {
            let (state, kind, peer, tag, ctx) = (
                s[0] as u32,
                s[2] as u32,
                s[3] as i32,
                s[4] as i32,
                s[5] as u32,
            );
            let from = |peer: i32| {
                if peer == ANY_SOURCE {
                    "any source".to_string()
                } else {
                    format!("rank {peer}")
                }
            };
            let tag_s = if tag == ANY_TAG {
                "any tag".to_string()
            } else {
                format!("tag {tag}")
            };
            let on = if ctx == 0 {
                String::new()
            } else {
                format!(" on communicator #{ctx}")
            };
            let what = match (state, kind) {
                (WaitRecord::FINALIZED, _) => "has finalized".to_string(),
                (WaitRecord::EXITED, _) => "exited without finalizing".to_string(),
                (_, RECV) => format!("waits in recv from {} ({tag_s}){on}", from(peer)),
                (_, PROBE) => format!("waits in probe for {} ({tag_s}){on}", from(peer)),
                (_, SEND) => {
                    format!("waits in send to rank {peer} ({tag_s}) for a matching receive")
                }
                (_, REQUESTS) => "waits for its requests".to_string(),
                (_, k) if k >= COLLECTIVE => {
                    let call = CALLS
                        .get((k - COLLECTIVE) as usize)
                        .unwrap_or(&"collective");
                    format!("waits in {call} for rank {peer}")
                }
                _ => "waits".to_string(),
            };
            parts.push(format!("rank {r} {what}"));
        }
        format!(
            "shmpi: deadlock: no rank can make progress: {}; ending the job",
            parts.join("; ")
        )
    }
}

use std::sync::atomic::Ordering::Relaxed;
