//! A randomized message storm: every rank sends a few hundred messages to
//! random ranks (itself included), with random tags and sizes from 0 B to
//! 4 MiB (log-uniform, so every protocol is hit many times), all at once
//! with nonblocking sends; receivers take them with wildcard receives and
//! check that every message arrives exactly once, intact and in order.
//!
//! The whole plan comes from one seeded generator, the same in every rank
//! and in the harness, so each receiver knows how many messages to expect
//! and what each must contain. The payload of message `seq` of rank `src`
//! is derived from `(src, seq)`: a message delivered twice, to the wrong
//! rank, truncated, or mixed with another does not match its plan entry.
//!
//! Two phases per job:
//!
//! 1. `ANY_SOURCE`/`ANY_TAG` receives: each message from `src` must be the
//!    next one `src` planned for this rank (MPI keeps messages of one
//!    sender that match the same receive in order).
//! 2. Receives by tag, tags in descending order, with `ANY_SOURCE`: the
//!    messages of other tags pile up in the unexpected queue meanwhile;
//!    each message must be the next one its sender planned with its tag.
//!
//! The seed is fixed, printed in every failure, and can be changed with
//! `SHMPI_STORM_SEED` to explore.

#[macro_use]
mod common;

use std::collections::VecDeque;

use common::Jobs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shmpi::{ANY_SOURCE, ANY_TAG};

const MESSAGES_PER_RANK: usize = 200;
const TAGS: i32 = 5;
/// Sizes are 2^e - 1 bytes for e uniform in 0..MAX_LOG2.
const MAX_LOG2: f64 = 22.0;

/// The storm's seed: fixed, unless `SHMPI_STORM_SEED` says otherwise.
fn seed() -> u64 {
    std::env::var("SHMPI_STORM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_5707)
}

#[derive(Clone, Copy, Debug)]
struct Msg {
    src: usize,
    seq: usize,
    dst: usize,
    tag: i32,
    len: usize,
}

/// Every message of phase `phase` of a job of `n` ranks, by sender, in
/// sending order.
fn plan(seed: u64, phase: u64, n: usize) -> Vec<Vec<Msg>> {
    let mut rng = StdRng::seed_from_u64(seed ^ phase << 56 ^ (n as u64) << 48);
    (0..n)
        .map(|src| {
            (0..MESSAGES_PER_RANK)
                .map(|seq| Msg {
                    src,
                    seq,
                    dst: rng.gen_range(0..n),
                    tag: rng.gen_range(0..TAGS),
                    len: (2f64.powf(rng.gen_range(0.0..MAX_LOG2)) as usize) - 1,
                })
                .collect()
        })
        .collect()
}

/// The payload of `m`: words derived from (src, seq, word index).
fn payload(m: &Msg) -> Vec<u8> {
    let base = (m.src as u64) << 48 ^ (m.seq as u64) << 24;
    let words: Vec<u64> = (0..m.len.div_ceil(8) as u64)
        .map(|k| (base ^ k).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let mut bytes: Vec<u8> = bytemuck::cast_slice(&words).to_vec();
    bytes.truncate(m.len);
    bytes
}

/// Takes the message from `src` that `expected` has next (in order), and
/// checks that `got` is it.
fn check_next(expected: &mut VecDeque<Msg>, got: &[u8], src: usize, tag: i32, why: &str) {
    let seed = seed();
    let Some(m) = expected.pop_front() else {
        panic!("seed {seed:#x}, {why}: a message from {src} (tag {tag}, {} bytes) that was never sent, or a duplicate", got.len());
    };
    assert_eq!(
        (tag, got.len()),
        (m.tag, m.len),
        "seed {seed:#x}, {why}: from {src}, expected message {} (tag {}, {} bytes) next",
        m.seq,
        m.tag,
        m.len
    );
    if got != payload(&m) {
        panic!(
            "seed {seed:#x}, {why}: message {} from {src} ({} bytes) is corrupt",
            m.seq, m.len
        );
    }
}

/// One phase: send everything, then receive everything (see the module doc).
fn phase(w: &shmpi::Communicator, phase: u64) -> (usize, usize) {
    let (me, n) = (w.rank() as usize, w.size() as usize);
    let plan = plan(seed(), phase, n);
    let mine: Vec<Vec<u8>> = plan[me].iter().map(payload).collect();
    let mut received = (0, 0);
    shmpi::scope(|s| {
        for (m, bytes) in plan[me].iter().zip(&mine) {
            let _ = w.isend(s, &bytes[..], m.dst as i32, m.tag).unwrap();
        }
        if phase == 0 {
            // Per sender, in sending order.
            let mut expected: Vec<VecDeque<Msg>> = plan
                .iter()
                .map(|from| from.iter().filter(|m| m.dst == me).copied().collect())
                .collect();
            let count: usize = expected.iter().map(VecDeque::len).sum();
            for _ in 0..count {
                let (got, st) = w.recv_vec::<u8>(ANY_SOURCE, ANY_TAG).unwrap();
                let src = st.source as usize;
                check_next(&mut expected[src], &got, src, st.tag, "ANY_SOURCE/ANY_TAG");
                received = (received.0 + 1, received.1 + got.len());
            }
            assert!(expected.iter().all(VecDeque::is_empty));
        } else {
            // Per (sender, tag), tags from the highest.
            for tag in (0..TAGS).rev() {
                let mut expected: Vec<VecDeque<Msg>> = plan
                    .iter()
                    .map(|from| {
                        from.iter()
                            .filter(|m| m.dst == me && m.tag == tag)
                            .copied()
                            .collect()
                    })
                    .collect();
                let count: usize = expected.iter().map(VecDeque::len).sum();
                for _ in 0..count {
                    let (got, st) = w.recv_vec::<u8>(ANY_SOURCE, tag).unwrap();
                    let src = st.source as usize;
                    check_next(&mut expected[src], &got, src, st.tag, "by tag");
                    received = (received.0 + 1, received.1 + got.len());
                }
            }
        }
    });
    // Every send of the phase is complete once all ranks are past the
    // barrier, so nothing else may be waiting; the second barrier keeps
    // the next phase's messages out of the check.
    w.barrier().unwrap();
    assert_eq!(
        w.iprobe(ANY_SOURCE, ANY_TAG).unwrap(),
        None,
        "seed {:#x}: an extra message",
        seed()
    );
    w.barrier().unwrap();
    received
}

fn storm(role: &'static str, env: &'static [(&'static str, &'static str)]) {
    Jobs::new(role, &[4, 8]).env(env).run_and_check(
        |_, w| {
            let a = phase(w, 0);
            let b = phase(w, 1);
            format!("{} {} {} {}", a.0, a.1, b.0, b.1)
        },
        |job, res| {
            let n = job.n;
            let (p0, p1) = (plan(seed(), 0, n), plan(seed(), 1, n));
            for (r, s) in res.iter().enumerate() {
                let to_me = |p: &Vec<Vec<Msg>>| {
                    let ms = p.iter().flatten().filter(|m| m.dst == r);
                    (ms.clone().count(), ms.map(|m| m.len).sum::<usize>())
                };
                let (a, b) = (to_me(&p0), to_me(&p1));
                let want = format!("{} {} {} {}", a.0, a.1, b.0, b.1);
                assert_eq!(
                    *s,
                    want,
                    "seed {:#x}, {}: rank {r} received",
                    seed(),
                    job.what()
                );
            }
        },
    );
}

#[test]
fn storm_with_default_protocols() {
    storm(test_name!(), &[]);
}

#[test]
fn storm_streaming_without_single_copy() {
    storm(test_name!(), &[("SHMPI_NO_CMA", "1")]);
}
