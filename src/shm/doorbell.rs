//! The doorbell: how a rank sleeps until another rank gives it something to
//! do, without losing a wake-up.
//!
//! Every rank has one doorbell in the segment. A rank that has waited
//! (spinning) for a while and still has nothing to do goes to sleep on its
//! doorbell with a shared futex (plain `FUTEX_WAIT`, not the private kind:
//! the word lives in memory mapped by several processes). Whoever
//! publishes something that rank might wait for (a frame in a ring, free
//! space, a finished rendezvous, collective data) rings its doorbell.
//!
//! Ringing must be cheap when nobody sleeps, since it happens on every
//! message; so the waiter announces itself in `sleeping`, and the ringer
//! only bumps `seq` and calls `FUTEX_WAKE` when it sees that flag. This is
//! a Dekker-style handshake and needs `SeqCst` fences on both sides:
//!
//! ```text
//! waiter                               ringer
//! s = seq.load()                       publish(work)          (Release)
//! sleeping = 1                         fence(SeqCst)
//! fence(SeqCst)                        if sleeping == 1 {
//! if work visible: sleeping = 0; done      seq += 1
//! futex_wait(seq, s)                       futex_wake(seq)
//! sleeping = 0                         }
//! ```
//!
//! Either the waiter's re-check sees the work, or the ringer sees
//! `sleeping == 1`; in the second case it changes `seq`, so the futex wait
//! returns at once if it has not started yet, or is woken if it has.

use std::sync::atomic::{fence, AtomicU32, Ordering};
use std::time::Duration;

/// A futex word and a sleeping flag, in the segment. Zeroed is valid.
#[repr(C)]
#[derive(Default)]
pub struct Doorbell {
    seq: AtomicU32,
    sleeping: AtomicU32,
}

/// What the waiter read before announcing itself; passed back to [`Doorbell::sleep`].
#[derive(Clone, Copy)]
pub struct Ticket(u32);

impl Doorbell {
    /// Wakes the owner if it sleeps. Call after publishing the work.
    #[inline]
    pub fn ring(&self) {
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) != 0 {
            self.seq.fetch_add(1, Ordering::Relaxed);
            futex_wake(&self.seq);
        }
    }

    /// How many times the bell rang a sleeper (for deadlock diagnosis: a
    /// count that stays put means nobody woke the owner).
    pub fn rings(&self) -> u32 {
        self.seq.load(Ordering::Relaxed)
    }

    /// First half of going to sleep: announces the owner as sleeping. The
    /// owner must then re-check for work, and call [`sleep`] only if there
    /// is none, or [`cancel`] if there is.
    ///
    /// [`sleep`]: Doorbell::sleep
    /// [`cancel`]: Doorbell::cancel
    pub fn prepare(&self) -> Ticket {
        let t = Ticket(self.seq.load(Ordering::Relaxed));
        self.sleeping.store(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        t
    }

    /// Sleeps until rung (or `timeout` passes), then clears the flag.
    pub fn sleep(&self, ticket: Ticket, timeout: Duration) {
        futex_wait(&self.seq, ticket.0, timeout);
        self.sleeping.store(0, Ordering::Relaxed);
    }

    /// Withdraws a [`prepare`](Doorbell::prepare): work turned up.
    pub fn cancel(&self) {
        self.sleeping.store(0, Ordering::Relaxed);
    }
}

fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `word` is a valid, aligned u32 for the duration of the call;
    // FUTEX_WAIT (shared) only reads it and compares with `expected`.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
        );
    }
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a valid, aligned u32; FUTEX_WAKE does not touch it.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    #[test]
    fn no_lost_wakeup() {
        let bell = Arc::new(Doorbell::default());
        let work = Arc::new(AtomicBool::new(false));
        for _ in 0..200 {
            work.store(false, Ordering::Relaxed);
            let (b, w) = (bell.clone(), work.clone());
            let t = std::thread::spawn(move || {
                w.store(true, Ordering::Release);
                b.ring();
            });
            loop {
                if work.load(Ordering::Acquire) {
                    break;
                }
                let ticket = bell.prepare();
                if work.load(Ordering::Acquire) {
                    bell.cancel();
                    break;
                }
                // A lost wake-up would show as a 10 s stall and fail below.
                let t0 = std::time::Instant::now();
                bell.sleep(ticket, Duration::from_secs(10));
                assert!(t0.elapsed() < Duration::from_secs(5));
            }
            t.join().unwrap();
        }
    }
}
