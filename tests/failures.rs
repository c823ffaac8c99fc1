//! Job tests of how a job of real shmpi ranks ends when something goes
//! wrong: one rank panics, segfaults, exits with status 3, calls abort, or
//! is killed from outside, while the others are blocked in a receive or a
//! barrier that can never complete; shmrun is interrupted; the job times
//! out.
//!
//! Every test checks shmrun's exit status, that it printed exactly one
//! `shmrun:` line (naming the failed rank), that the whole job ended
//! within a few seconds, that no process of the job is left (found by the
//! marker argument every rank carries, see `common`), and that no segment
//! was left behind: nothing new in /dev/shm that nobody uses, and no
//! process of the job still maps the memfd.

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{as_rank, Finished, Running};
use shmpi::Communicator;

/// How long a failed job may take to end, start included (generous: the
/// launcher ends it in a fraction of a second).
const ENDS_WITHIN: Duration = Duration::from_secs(10);

/// Blocks forever: rank 0 in a receive from the failing rank, the others
/// in a barrier that the failing rank never joins.
fn block_forever(w: &Communicator, failing: i32) -> ! {
    if w.rank() == 0 {
        let mut x = [0u8; 8];
        let _ = w.recv(&mut x[..], failing, 0);
    } else {
        let _ = w.barrier();
    }
    unreachable!("rank {} got past a call that cannot complete", w.rank());
}

/// Announces this rank and its pid, then runs barriers until killed.
fn ready_then_barriers(w: &Communicator) -> ! {
    common::announce(&format!("ready {} {}", w.rank(), std::process::id()));
    loop {
        w.barrier().unwrap();
    }
}

/// Does not leave a core file in the working directory.
fn no_core_dump() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads one rlimit struct.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
}

/// The checks every failure test makes (see the module doc).
fn assert_ended(
    job: &Finished,
    marker: &str,
    shm_before: &BTreeSet<String>,
    code: i32,
    naming: &str,
) {
    assert_eq!(job.code(), code, "exit status\n{}", job.output());
    let lines = job.launcher_lines();
    assert_eq!(
        lines.len(),
        1,
        "one line from shmrun: {lines:?}\n{}",
        job.output()
    );
    assert!(
        lines[0].contains(naming),
        "{:?} should name {naming:?}",
        lines[0]
    );
    assert!(job.took < ENDS_WITHIN, "the job took {:?} to end", job.took);
    let left = common::processes_with(marker);
    assert!(
        left.is_empty(),
        "processes of the job outlived it: {left:?}"
    );
    let holders: Vec<u32> = left
        .into_iter()
        .filter(|&p| common::holds_segment(p))
        .collect();
    assert!(
        holders.is_empty(),
        "processes still map the segment: {holders:?}"
    );
    let leaked = common::leaked_in_dev_shm(shm_before);
    assert!(leaked.is_empty(), "files left in /dev/shm: {leaked:?}");
}

/// Runs a job of `n` ranks of `role` to its end and checks it ended with
/// `code`, naming `naming`.
fn expect_failure(role: &str, n: usize, code: i32, naming: &str) {
    let _serial = common::job_lock();
    let before = common::dev_shm();
    // A job that fails to end by itself is cut short: it fails the test.
    let job = Running::start(n, role, &[], 30.0);
    let marker = job.marker.clone();
    let done = job.finish();
    assert_ended(&done, &marker, &before, code, naming);
}

#[test]
fn a_rank_panics_while_the_others_wait() {
    if as_rank(test_name!(), |_, w| {
        if w.rank() == 2 {
            std::thread::sleep(Duration::from_millis(100));
            panic!("rank 2 fails on purpose");
        }
        block_forever(w, 2)
    }) {
        return;
    }
    expect_failure(test_name!(), 4, 101, "rank 2 ");
}

/// A panic while a scope holds a receive that nothing will match: the
/// rank must still die (its scope cannot wait for the receive forever).
#[test]
fn a_rank_panics_inside_a_scope_with_a_pending_receive() {
    if as_rank(test_name!(), |_, w| {
        if w.rank() == 1 {
            let mut buf = [0u8; 8];
            shmpi::scope(|s| {
                let _pending = w.irecv(s, &mut buf[..], 0, 5).unwrap();
                std::thread::sleep(Duration::from_millis(100));
                panic!("rank 1 fails with a receive pending");
            });
        }
        block_forever(w, 1)
    }) {
        return;
    }
    expect_failure(test_name!(), 3, 101, "rank 1 ");
}

#[test]
fn a_rank_segfaults_while_the_others_wait() {
    if as_rank(test_name!(), |_, w| {
        if w.rank() == 1 {
            no_core_dump();
            std::thread::sleep(Duration::from_millis(100));
            // SAFETY: none: this write faults on purpose.
            unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
        }
        block_forever(w, 1)
    }) {
        return;
    }
    expect_failure(test_name!(), 4, 128 + libc::SIGSEGV, "rank 1 ");
}

#[test]
fn a_rank_exits_with_status_3_while_the_others_wait() {
    if as_rank(test_name!(), |_, w| {
        if w.rank() == 3 {
            std::thread::sleep(Duration::from_millis(100));
            std::process::exit(3);
        }
        block_forever(w, 3)
    }) {
        return;
    }
    expect_failure(test_name!(), 4, 3, "rank 3 ");
}

#[test]
fn abort_ends_the_job_with_its_code() {
    if as_rank(test_name!(), |u, w| {
        if w.rank() == 1 {
            std::thread::sleep(Duration::from_millis(100));
            u.abort(3);
        }
        block_forever(w, 1)
    }) {
        return;
    }
    expect_failure(test_name!(), 3, 3, "rank 1 ");
}

/// A real deadlock (a cycle of receives and a barrier nobody else joins):
/// the job ends with the engine's diagnosis, which says who waits for whom.
#[test]
fn a_deadlock_is_diagnosed() {
    if as_rank(test_name!(), |_, w| {
        let mut x = [0u8; 4];
        match w.rank() {
            0 => w.recv(&mut x[..], 1, 1).map(|_| ()),
            1 => w.recv(&mut x[..], 2, 2).map(|_| ()),
            _ => w.barrier(),
        }
        .unwrap();
        unreachable!("rank {} left a deadlocked call", w.rank())
    }) {
        return;
    }
    let _serial = common::job_lock();
    let before = common::dev_shm();
    let job = Running::start(3, test_name!(), &[], 30.0);
    let marker = job.marker.clone();
    let done = job.finish();
    assert_ended(&done, &marker, &before, 86, "rank ");
    let diagnosis: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| l.contains("deadlock"))
        .collect();
    assert_eq!(diagnosis.len(), 1, "one diagnosis\n{}", done.output());
    for part in [
        "rank 0 waits in recv from rank 1 (tag 1)",
        "rank 1 waits in recv from rank 2 (tag 2)",
        "rank 2 waits in barrier",
    ] {
        assert!(
            diagnosis[0].contains(part),
            "{:?} should say {part:?}",
            diagnosis[0]
        );
    }
}

/// Starts a job of `n` ranks that announce themselves and then run
/// barriers forever; returns it and each rank's pid once all are up.
fn start_barrier_loop(role: &str, n: usize, timeout: f64) -> (Running, Vec<u32>) {
    let mut job = Running::start(n, role, &[], timeout);
    let mut pids = vec![0; n];
    for _ in 0..n {
        let line = job.read_until("ready ");
        let (rank, pid) = line.split_once(' ').expect("ready RANK PID");
        pids[rank.parse::<usize>().unwrap()] = pid.parse().unwrap();
    }
    (job, pids)
}

#[test]
fn a_rank_killed_from_outside() {
    if as_rank(test_name!(), |_, w| ready_then_barriers(w)) {
        return;
    }
    let _serial = common::job_lock();
    let before = common::dev_shm();
    let (job, pids) = start_barrier_loop(test_name!(), 8, common::JOB_TIMEOUT as f64);
    let marker = job.marker.clone();
    // The ranks are the job's processes, and they map its segment (so the
    // check that none is left after the job would see one).
    let found: BTreeSet<u32> = common::processes_with(&marker).into_iter().collect();
    for &pid in &pids {
        assert!(
            found.contains(&pid),
            "rank pid {pid} not found by its marker in {found:?}"
        );
        assert!(
            common::holds_segment(pid),
            "rank pid {pid} does not map the segment"
        );
    }
    // SAFETY: kill(2) with integer arguments; the rank cannot have been
    // reaped yet (it runs barriers until the job ends).
    assert_eq!(
        unsafe { libc::kill(pids[5] as libc::pid_t, libc::SIGKILL) },
        0
    );
    let done = job.finish();
    assert_ended(
        &done,
        &marker,
        &before,
        128 + libc::SIGKILL,
        &format!("rank 5 (pid {})", pids[5]),
    );
}

#[test]
fn ctrl_c_ends_the_job() {
    if as_rank(test_name!(), |_, w| ready_then_barriers(w)) {
        return;
    }
    let _serial = common::job_lock();
    let before = common::dev_shm();
    let (job, _) = start_barrier_loop(test_name!(), 4, common::JOB_TIMEOUT as f64);
    let marker = job.marker.clone();
    job.signal_launcher(libc::SIGINT);
    let done = job.finish();
    assert_ended(&done, &marker, &before, 128 + libc::SIGINT, "interrupted");
}

#[test]
fn timeout_ends_a_job_that_hangs() {
    if as_rank(test_name!(), |_, w| ready_then_barriers(w)) {
        return;
    }
    let _serial = common::job_lock();
    let before = common::dev_shm();
    let (job, _) = start_barrier_loop(test_name!(), 4, 1.5);
    let marker = job.marker.clone();
    let done = job.finish();
    assert!(
        done.took >= Duration::from_millis(1500),
        "ended early: {:?}",
        done.took
    );
    assert_ended(&done, &marker, &before, 124, "timed out");
}
