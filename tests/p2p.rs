//! Job tests of point-to-point messaging and serde objects: real jobs
//! through `shmrun` (see `common` for how a test body becomes the rank
//! program), checking the values, statuses and errors every rank gets.
//!
//! Message sizes straddle the protocol thresholds (eager up to 16 KiB,
//! stream below 64 KiB, rendezvous from 64 KiB by default), and the tests
//! of large messages run under environment variants that force each
//! protocol: [`PROTOCOLS`].
//!
//! Most tests send around a ring, right to `(r + 1) % n` and from
//! `(r - 1) % n`, with nonblocking sends in a scope, so they are also
//! meaningful for one rank (which then sends to itself).

#[macro_use]
mod common;

use std::collections::{BTreeMap, HashMap};

use common::{Jobs, SIZES};
use serde::{Deserialize, Serialize};
use shmpi::{Communicator, ErrorClass, Status, ANY_SOURCE, ANY_TAG, PROC_NULL};

/// Environment variants that between them run every protocol path.
const PROTOCOLS: &[&[(&str, &str)]] = &[
    // Default thresholds: eager, stream and (where the kernel allows
    // cross-memory attach) rendezvous.
    &[],
    // No single copy: everything large streams through the rings.
    &[("SHMPI_NO_CMA", "1")],
    // Everything but empty messages by rendezvous.
    &[("SHMPI_EAGER_MAX", "0"), ("SHMPI_CMA_MIN", "1")],
    // Everything but empty messages streamed, fragment by fragment.
    &[("SHMPI_EAGER_MAX", "0"), ("SHMPI_NO_CMA", "1")],
    // The largest eager frames the ring takes; stream up to 4 MiB.
    &[("SHMPI_EAGER_MAX", "1000000"), ("SHMPI_CMA_MIN", "4194304")],
];

/// Sizes around every protocol boundary, up to 9 MiB.
const BOUNDARY_SIZES: &[usize] = &[
    0,
    1,
    7,
    1024,
    16 * 1024 - 1,
    16 * 1024,
    16 * 1024 + 1,
    65488, // the largest frame payload of a 128 KiB ring
    65489,
    64 * 1024 - 1,
    64 * 1024,
    64 * 1024 + 1,
    1 << 20,
    4 << 20,
    9 << 20,
];

fn right(w: &Communicator) -> i32 {
    (w.rank() + 1) % w.size()
}

fn left(w: &Communicator) -> i32 {
    (w.rank() + w.size() - 1) % w.size()
}

/// The bytes of message `seq` from rank `src`, `len` long: every message
/// differs, so one delivered to the wrong receive, truncated, shifted or
/// mixed with another is caught.
fn payload(src: i32, seq: u64, len: usize) -> Vec<u8> {
    let seed = (src as u64) << 40 ^ seq << 8 ^ len as u64;
    let words: Vec<u64> = (0..len.div_ceil(8) as u64)
        .map(|k| {
            let mut x = seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            x ^= x >> 31;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x ^ x >> 29
        })
        .collect();
    let mut bytes: Vec<u8> = bytemuck::cast_slice(&words).to_vec();
    bytes.truncate(len);
    bytes
}

/// Asserts `got` is message `seq` of `src` (without printing megabytes).
fn check_payload(got: &[u8], src: i32, seq: u64, len: usize, what: &str) {
    assert_eq!(got.len(), len, "{what}: length of message {seq} from {src}");
    let want = payload(src, seq, len);
    if got != want {
        let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap();
        panic!("{what}: message {seq} from {src} ({len} bytes) differs at byte {at}");
    }
}

fn assert_status(st: &Status, source: i32, tag: i32, bytes: usize, what: &str) {
    assert_eq!(
        (st.source, st.tag, st.bytes, st.cancelled),
        (source, tag, bytes, false),
        "{what}: status (source, tag, bytes, cancelled)"
    );
}

#[test]
fn blocking_scalars_arrays_and_empty_messages() {
    Jobs::new(test_name!(), SIZES).run_and_check(
        |_, w| {
            let (r, from, to) = (w.rank(), left(w), right(w));
            // Eager sends complete once in the ring, so a ring of blocking
            // sends followed by receives cannot deadlock (not even to self).
            w.send(&(r * 1000 + 7), to, 1).unwrap();
            let arr = [r as f64 + 0.5, -1.25, 1e300, f64::MIN_POSITIVE, 0.0];
            w.send(&arr, to, 2).unwrap();
            let v: Vec<u64> = (0..100).map(|i| i * i + r as u64).collect();
            w.send(&v[..], to, 3).unwrap();
            w.send(&[0u8; 0][..], to, 4).unwrap();
            w.send(&(r as u8), to, 5).unwrap();
            w.send(&[1u16, 2, 3][..], to, 6).unwrap();

            let mut x = 0i32;
            let st = w.recv(&mut x, from, 1).unwrap();
            assert_status(&st, from, 1, 4, "i32");
            assert_eq!(x, from * 1000 + 7);

            let mut a = [0.0f64; 5];
            let st = w.recv(&mut a, from, 2).unwrap();
            assert_status(&st, from, 2, 40, "[f64; 5]");
            assert_eq!(a, [from as f64 + 0.5, -1.25, 1e300, f64::MIN_POSITIVE, 0.0]);

            let mut got = vec![0u64; 100];
            let st = w.recv(&mut got[..], from, 3).unwrap();
            assert_eq!(st.count::<u64>(), 100);
            assert!(got
                .iter()
                .enumerate()
                .all(|(i, &g)| g == (i * i) as u64 + from as u64));

            // An empty message into a non-empty buffer leaves it untouched.
            let mut untouched = [0xAAu8; 4];
            let st = w.recv(&mut untouched[..], from, 4).unwrap();
            assert_status(&st, from, 4, 0, "empty");
            assert_eq!(st.count::<u8>(), 0);
            assert_eq!(untouched, [0xAA; 4]);

            let mut b = 0u8;
            w.recv(&mut b, from, 5).unwrap();
            assert_eq!(b, from as u8);

            // A short message into a larger buffer: count says how much came.
            let mut big = [9u16; 10];
            let st = w.recv(&mut big[..], from, 6).unwrap();
            assert_eq!(st.count::<u16>(), 3);
            assert_eq!(big, [1, 2, 3, 9, 9, 9, 9, 9, 9, 9]);
            format!("got {x} from {from}")
        },
        |job, res| {
            for (r, s) in res.iter().enumerate() {
                let from = (r + job.n - 1) % job.n;
                assert_eq!(
                    *s,
                    format!("got {} from {from}", from * 1000 + 7),
                    "{}",
                    job.what()
                );
            }
        },
    );
}

/// Every size in [`BOUNDARY_SIZES`] around the ring, twice: once sent
/// before the receive is posted (it waits in the unexpected queue), once
/// received by a receive posted first; half into buffers, half with
/// `recv_vec`.
#[test]
fn sizes_across_protocol_boundaries() {
    let mut jobs = Jobs::new(test_name!(), SIZES);
    for env in PROTOCOLS {
        jobs = jobs.env(env);
    }
    jobs.run_and_check(
        |u, w| {
            let (r, from, to) = (w.rank(), left(w), right(w));
            let out: Vec<Vec<u8>> = BOUNDARY_SIZES
                .iter()
                .enumerate()
                .map(|(i, &len)| payload(r, i as u64, len))
                .collect();
            let from_left = |i: usize| (from, i as u64, BOUNDARY_SIZES[i]);

            // Unexpected: every send is under way before any receive.
            shmpi::scope(|s| {
                for (i, m) in out.iter().enumerate() {
                    let _ = w.isend(s, &m[..], to, i as i32).unwrap();
                }
                w.barrier().unwrap();
                for i in (0..out.len()).rev() {
                    let (src, seq, len) = from_left(i);
                    if i % 2 == 0 {
                        let mut buf = vec![0u8; len];
                        let st = w.recv(&mut buf[..], src, i as i32).unwrap();
                        assert_status(&st, src, i as i32, len, "unexpected recv");
                        check_payload(&buf, src, seq, len, "unexpected recv");
                    } else {
                        let (got, st) = w.recv_vec::<u8>(src, i as i32).unwrap();
                        assert_status(&st, src, i as i32, len, "unexpected recv_vec");
                        check_payload(&got, src, seq, len, "unexpected recv_vec");
                    }
                }
            });
            w.barrier().unwrap();

            // Posted: every receive is waiting before any send starts.
            let mut bufs: Vec<Vec<u8>> = BOUNDARY_SIZES.iter().map(|&l| vec![0u8; l]).collect();
            shmpi::scope(|s| {
                let recvs: Vec<_> = bufs
                    .iter_mut()
                    .enumerate()
                    .map(|(i, b)| w.irecv(s, &mut b[..], from, i as i32).unwrap())
                    .collect();
                w.barrier().unwrap();
                let sends: Vec<_> = out
                    .iter()
                    .enumerate()
                    .map(|(i, m)| w.isend(s, &m[..], to, i as i32).unwrap())
                    .collect();
                let statuses = shmpi::wait_all(recvs).unwrap();
                for (i, st) in statuses.iter().enumerate() {
                    assert_status(st, from, i as i32, BOUNDARY_SIZES[i], "posted irecv");
                }
                shmpi::wait_all(sends).unwrap();
            });
            for (i, b) in bufs.iter().enumerate() {
                let (src, seq, len) = from_left(i);
                check_payload(b, src, seq, len, "posted irecv");
            }
            format!("single_copy={}", u.single_copy())
        },
        |job, res| {
            if job.env.iter().any(|e| e == "SHMPI_NO_CMA=1") {
                assert!(
                    res.iter().all(|s| *s == "single_copy=false"),
                    "{}: {res:?}",
                    job.what()
                );
            }
        },
    );
}

/// Sends to itself, by every protocol, blocking where MPI allows it.
#[test]
fn send_to_self() {
    let mut jobs = Jobs::new(test_name!(), &[1, 2]);
    for env in PROTOCOLS {
        jobs = jobs.env(env);
    }
    jobs.run(|_, w| {
        let me = w.rank();
        // A small blocking send to self completes (eager) before its receive.
        w.send(&[me, 42][..], me, 9).unwrap();
        let mut pair = [0i32; 2];
        let st = w.recv(&mut pair[..], me, 9).unwrap();
        assert_status(&st, me, 9, 8, "blocking self send");
        assert_eq!(pair, [me, 42]);
        for (i, &len) in BOUNDARY_SIZES.iter().enumerate() {
            let m = payload(me, i as u64, len);
            let (got, st) = shmpi::scope(|s| {
                let q = w.isend(s, &m[..], me, 100 + i as i32).unwrap();
                let got = w.recv_vec::<u8>(me, 100 + i as i32).unwrap();
                q.wait().unwrap();
                got
            });
            assert_status(&st, me, 100 + i as i32, len, "self isend");
            check_payload(&got, me, i as u64, len, "self isend");
        }
        // The receive posted first, the send second.
        let m = payload(me, 77, 3 << 20);
        let mut buf = vec![0u8; 3 << 20];
        shmpi::scope(|s| {
            let r = w.irecv(s, &mut buf[..], me, 5).unwrap();
            let q = w.isend(s, &m[..], me, 5).unwrap();
            q.wait().unwrap();
            assert_status(&r.wait().unwrap(), me, 5, 3 << 20, "self irecv first");
        });
        check_payload(&buf, me, 77, 3 << 20, "self irecv first");
        String::new()
    });
}

/// Statuses of wildcard receives, probe then receive of the probed size,
/// iprobe polling. Every rank sends to rank 0, rank 0 to itself too.
#[test]
fn wildcards_probe_and_iprobe() {
    Jobs::new(test_name!(), SIZES).run_and_check(
        |_, w| {
            let (r, n) = (w.rank(), w.size());
            assert_eq!(
                w.iprobe(ANY_SOURCE, ANY_TAG).unwrap(),
                None,
                "nothing sent yet"
            );
            w.barrier().unwrap();

            // ANY_SOURCE and ANY_TAG: rank r sends 3r+1 u32s with tag 10 + r.
            let a: Vec<u32> = (0..3 * r as u32 + 1).map(|i| i + 1000 * r as u32).collect();
            let mut seen = Vec::new();
            shmpi::scope(|s| {
                let _ = w.isend(s, &a[..], 0, 10 + r).unwrap();
                if r == 0 {
                    for _ in 0..n {
                        let (got, st) = w.recv_vec::<u32>(ANY_SOURCE, ANY_TAG).unwrap();
                        let src = st.source;
                        assert_status(&st, src, 10 + src, 4 * (3 * src as usize + 1), "wildcard");
                        let want: Vec<u32> = (0..3 * src as u32 + 1)
                            .map(|i| i + 1000 * src as u32)
                            .collect();
                        assert_eq!(got, want);
                        seen.push(src);
                    }
                }
            });
            w.barrier().unwrap();

            // Probe, then receive exactly the probed size: sizes straddle the
            // eager, stream and rendezvous thresholds.
            let b = payload(r, 1, 20_000 * r as usize + 3);
            let mut probed = Vec::new();
            shmpi::scope(|s| {
                let _ = w.isend(s, &b[..], 0, 50).unwrap();
                if r == 0 {
                    for _ in 0..n {
                        let st = w.probe(ANY_SOURCE, 50).unwrap();
                        assert_eq!(st.tag, 50);
                        let mut buf = vec![0u8; st.bytes];
                        let got = w.recv(&mut buf[..], st.source, st.tag).unwrap();
                        assert_eq!(got, st, "the receive gets the probed message");
                        check_payload(&buf, st.source, 1, 20_000 * st.source as usize + 3, "probe");
                        probed.push(st.source);
                    }
                }
            });
            w.barrier().unwrap();

            // iprobe until a message is there, then receive it.
            let c = [r as i64; 4];
            shmpi::scope(|s| {
                let _ = w.isend(s, &c, 0, 60 + r).unwrap();
                if r == 0 {
                    let mut got_from = vec![false; n as usize];
                    for _ in 0..n {
                        let st = loop {
                            if let Some(st) = w.iprobe(ANY_SOURCE, ANY_TAG).unwrap() {
                                break st;
                            }
                            std::thread::yield_now();
                        };
                        assert_status(&st, st.source, 60 + st.source, 32, "iprobe");
                        let mut x = [0i64; 4];
                        assert_eq!(w.recv(&mut x, st.source, ANY_TAG).unwrap(), st);
                        assert_eq!(x, [st.source as i64; 4]);
                        got_from[st.source as usize] = true;
                    }
                    assert!(got_from.iter().all(|&g| g));
                }
            });
            w.barrier().unwrap();
            assert_eq!(w.iprobe(ANY_SOURCE, ANY_TAG).unwrap(), None, "all consumed");
            seen.sort();
            probed.sort();
            format!("{seen:?} {probed:?}")
        },
        |job, res| {
            let all: Vec<usize> = (0..job.n).collect();
            assert_eq!(res[0], format!("{all:?} {all:?}"), "{}", job.what());
        },
    );
}

/// Messages on different tags, received in the reverse order of sending,
/// all waiting in the unexpected queue; then ANY_TAG takes them in the
/// order they were sent.
#[test]
fn different_tags_received_in_reverse_order() {
    const LENS: &[usize] = &[10, 0, 20_000, 200_000, 3, 70_000, 16_384, 1 << 20];
    let mut jobs = Jobs::new(test_name!(), SIZES);
    for env in &PROTOCOLS[..2] {
        jobs = jobs.env(env);
    }
    jobs.run(|_, w| {
        let (r, from, to) = (w.rank(), left(w), right(w));
        let out: Vec<Vec<u8>> = LENS
            .iter()
            .enumerate()
            .map(|(i, &l)| payload(r, i as u64, l))
            .collect();
        shmpi::scope(|s| {
            for (i, m) in out.iter().enumerate() {
                let _ = w.isend(s, &m[..], to, i as i32).unwrap();
            }
            w.barrier().unwrap();
            for i in (0..LENS.len()).rev() {
                let (got, st) = w.recv_vec::<u8>(from, i as i32).unwrap();
                assert_status(&st, from, i as i32, LENS[i], "reverse");
                check_payload(&got, from, i as u64, LENS[i], "reverse");
            }
        });
        w.barrier().unwrap();
        let tags = [3, 1, 2, 0];
        shmpi::scope(|s| {
            for (i, &t) in tags.iter().enumerate() {
                let _ = w.isend(s, &out[i * 2][..], to, t).unwrap();
            }
            w.barrier().unwrap();
            for (i, &t) in tags.iter().enumerate() {
                let (got, st) = w.recv_vec::<u8>(from, ANY_TAG).unwrap();
                assert_status(&st, from, t, LENS[i * 2], "ANY_TAG order");
                check_payload(&got, from, (i * 2) as u64, LENS[i * 2], "ANY_TAG order");
            }
        });
        String::new()
    });
}

/// Many messages between the same pair with the same tag, small and large
/// mixed (so eager frames follow rendezvous and stream messages), arrive in
/// the order sent: the first 60 into receives posted in advance, the rest
/// as unexpected messages.
#[test]
fn same_pair_and_tag_arrive_in_order() {
    const COUNT: usize = 200;
    fn len_of(seq: usize) -> usize {
        match seq % 10 {
            0 if seq % 50 == 0 => 1 << 20,
            0 => 0,
            1 | 5 => 8,
            2 => 100,
            3 => 16 * 1024 + 1,
            4 => 40_000,
            6 => 70_000,
            7 => 300,
            8 => 200_000,
            _ => 65489,
        }
    }
    let mut jobs = Jobs::new(test_name!(), SIZES);
    for env in &PROTOCOLS[..3] {
        jobs = jobs.env(env);
    }
    jobs.run(|_, w| {
        let (r, from, to) = (w.rank(), left(w), right(w));
        let out: Vec<Vec<u8>> = (0..COUNT)
            .map(|i| payload(r, i as u64, len_of(i)))
            .collect();
        let mut early: Vec<Vec<u8>> = (0..60).map(|i| vec![0u8; len_of(i)]).collect();
        shmpi::scope(|s| {
            let posted: Vec<_> = early
                .iter_mut()
                .map(|b| w.irecv(s, &mut b[..], from, 7).unwrap())
                .collect();
            for m in &out {
                let _ = w.isend(s, &m[..], to, 7).unwrap();
            }
            for (i, st) in shmpi::wait_all(posted).unwrap().iter().enumerate() {
                assert_status(st, from, 7, len_of(i), "posted in order");
            }
            for i in 60..COUNT {
                let (got, st) = w.recv_vec::<u8>(from, 7).unwrap();
                assert_status(&st, from, 7, len_of(i), "unexpected in order");
                check_payload(&got, from, i as u64, len_of(i), "unexpected in order");
            }
        });
        for (i, b) in early.iter().enumerate() {
            check_payload(b, from, i as u64, len_of(i), "posted in order");
        }
        String::new()
    });
}

/// More large nonblocking sends to one rank than the sender has
/// rendezvous flags (256), the last one on another tag, which the receiver
/// takes first: MPI requires this to complete, whatever the protocol.
#[test]
fn more_large_isends_than_rendezvous_flags_received_out_of_order() {
    const COUNT: usize = 300;
    let mut jobs = Jobs::new(test_name!(), &[2, 4]);
    for env in &PROTOCOLS[..3] {
        jobs = jobs.env(env);
    }
    jobs.run(|_, w| {
        let (r, from, to) = (w.rank(), left(w), right(w));
        let out: Vec<Vec<u8>> = (0..=COUNT).map(|i| payload(r, i as u64, 100_000)).collect();
        shmpi::scope(|s| {
            for (i, m) in out.iter().enumerate() {
                let tag = if i == COUNT { 2 } else { 1 };
                let _ = w.isend(s, &m[..], to, tag).unwrap();
            }
            let (got, _) = w.recv_vec::<u8>(from, 2).unwrap();
            check_payload(&got, from, COUNT as u64, 100_000, "the last message, first");
            for i in 0..COUNT {
                let (got, _) = w.recv_vec::<u8>(from, 1).unwrap();
                check_payload(&got, from, i as u64, 100_000, "the others, in order");
            }
        });
        String::new()
    });
}

/// sendrecv shifts values around the ring by every distance 1..=n.
#[test]
fn sendrecv_ring_shift() {
    Jobs::new(test_name!(), &[1, 2, 3, 4, 5, 8]).run_and_check(
        |_, w| {
            let (r, n) = (w.rank(), w.size());
            let mut total = 0i64;
            for k in 1..=n {
                let (to, from) = ((r + k) % n, (r + n - k) % n);
                let mut got = [0i64; 3];
                let st = w
                    .sendrecv(&[r as i64, k as i64, -1], to, k, &mut got, from, k)
                    .unwrap();
                assert_status(&st, from, k, 24, "sendrecv");
                assert_eq!(got, [from as i64, k as i64, -1]);
                total += got[0];
                let big = payload(r, k as u64, 300_000);
                let mut back = vec![0u8; 300_000];
                // Another rank may be a shift ahead already, so the
                // wildcard source needs a tag of this shift.
                let st = w
                    .sendrecv(&big[..], to, 1000 + k, &mut back[..], ANY_SOURCE, 1000 + k)
                    .unwrap();
                assert_status(&st, from, 1000 + k, 300_000, "large sendrecv");
                check_payload(&back, from, k as u64, 300_000, "large sendrecv");
            }
            total.to_string()
        },
        |job, res| {
            // Each rank hears from every rank once.
            let want = (job.n * (job.n - 1) / 2).to_string();
            assert!(res.iter().all(|s| *s == want), "{}: {res:?}", job.what());
        },
    );
}

/// isend/irecv to and from every rank, completed with test, wait_any and
/// wait_all.
#[test]
fn nonblocking_wait_test_wait_any_wait_all() {
    Jobs::new(test_name!(), SIZES)
        .env(&[])
        .env(&[("SHMPI_NO_CMA", "1")])
        .run(|_, w| {
            let (r, n) = (w.rank(), w.size() as usize);
            let lens: Vec<usize> = (0..n).map(|d| [4, 4000, 30_000, 250_000][d % 4]).collect();
            let out: Vec<Vec<u8>> = (0..n).map(|d| payload(r, d as u64, lens[d])).collect();
            let mut inbox: Vec<Vec<u8>> = vec![vec![0u8; lens[r as usize]]; n];
            let mut completed = Vec::new();
            shmpi::scope(|s| {
                let mut recvs: Vec<_> = inbox
                    .iter_mut()
                    .enumerate()
                    .map(|(src, b)| w.irecv(s, &mut b[..], src as i32, 3).unwrap())
                    .collect();
                let sends: Vec<_> = out
                    .iter()
                    .enumerate()
                    .map(|(d, m)| w.isend(s, &m[..], d as i32, 3).unwrap())
                    .collect();
                // Poll the sends with test until all report completion.
                while !sends.iter().all(|q| q.test().unwrap()) {
                    std::thread::yield_now();
                }
                let mut sources: Vec<i32> = (0..n as i32).collect();
                while let Some((i, st)) = shmpi::wait_any(&mut recvs).unwrap() {
                    let src = sources.remove(i);
                    assert_status(&st, src, 3, lens[r as usize], "wait_any");
                    completed.push(src);
                }
                assert!(shmpi::wait_any(&mut recvs).unwrap().is_none());
                for st in shmpi::wait_all(sends).unwrap() {
                    assert!(!st.cancelled);
                }
            });
            for (src, b) in inbox.iter().enumerate() {
                check_payload(b, src as i32, r as u64, lens[r as usize], "irecv");
            }
            completed.sort();
            assert_eq!(completed, (0..n as i32).collect::<Vec<_>>());
            String::new()
        });
}

/// PROC_NULL: sends and receives complete at once and move nothing.
#[test]
fn proc_null() {
    Jobs::new(test_name!(), SIZES).run(|_, w| {
        let null = |st: Status| {
            assert_eq!(
                (st.source, st.tag, st.bytes, st.cancelled),
                (PROC_NULL, ANY_TAG, 0, false)
            );
        };
        w.send(&[1u8, 2, 3][..], PROC_NULL, 4).unwrap();
        w.send_object(&"ignored", PROC_NULL, 4).unwrap();
        let mut buf = [7u32; 3];
        null(w.recv(&mut buf[..], PROC_NULL, 4).unwrap());
        null(w.recv(&mut buf[..], PROC_NULL, ANY_TAG).unwrap());
        assert_eq!(
            buf, [7; 3],
            "a receive from PROC_NULL leaves the buffer alone"
        );
        let (v, st) = w.recv_vec::<u64>(PROC_NULL, 0).unwrap();
        assert!(v.is_empty());
        null(st);
        null(w.probe(PROC_NULL, ANY_TAG).unwrap());
        null(
            w.iprobe(PROC_NULL, 3)
                .unwrap()
                .expect("iprobe of PROC_NULL finds the null message"),
        );
        null(
            w.sendrecv(&[1i32][..], PROC_NULL, 0, &mut buf[..], PROC_NULL, 0)
                .unwrap(),
        );
        let big = vec![1u8; 1 << 20];
        shmpi::scope(|s| {
            let q = w.isend(s, &big[..], PROC_NULL, 1).unwrap();
            let r = w.irecv(s, &mut buf[..], PROC_NULL, 1).unwrap();
            assert!(q.test().unwrap() && r.test().unwrap(), "complete at once");
            null(r.wait().unwrap());
            q.wait().unwrap();
        });
        assert_eq!(buf, [7; 3]);
        // Half a sendrecv with PROC_NULL: send to nobody, receive from the left.
        let (r, from, to) = (w.rank(), left(w), right(w));
        let mut x = 0i32;
        shmpi::scope(|s| {
            let q = w.isend(s, &r, to, 2).unwrap();
            let st = w.sendrecv(&r, PROC_NULL, 2, &mut x, from, 2).unwrap();
            assert_status(&st, from, 2, 4, "sendrecv from the left, to PROC_NULL");
            q.wait().unwrap();
        });
        assert_eq!(x, from);
        String::new()
    });
}

/// A receive cancelled before any message matched it reports cancelled and
/// takes nothing: the message goes to the next receive. A receive that
/// already matched cannot be cancelled.
#[test]
fn cancel_unmatched_irecv() {
    Jobs::new(test_name!(), SIZES).run(|_, w| {
        let (r, from, to) = (w.rank(), left(w), right(w));
        let mut buf = [0i32; 2];
        shmpi::scope(|s| {
            let q = w.irecv(s, &mut buf[..], from, 99).unwrap();
            assert!(!q.test().unwrap());
            q.cancel();
            let st = q.wait().unwrap();
            assert!(st.cancelled, "status of a cancelled receive: {st:?}");
        });
        assert_eq!(buf, [0, 0]);
        // A cancelled wildcard receive, too.
        shmpi::scope(|s| {
            let q = w.irecv(s, &mut buf[..], ANY_SOURCE, ANY_TAG).unwrap();
            q.cancel();
            assert!(q.wait().unwrap().cancelled);
        });
        w.barrier().unwrap();
        w.send(&[r, 99][..], to, 99).unwrap();
        let st = w.recv(&mut buf[..], from, 99).unwrap();
        assert_status(&st, from, 99, 8, "after cancel");
        assert_eq!(buf, [from, 99]);

        // Matched first, cancelled after: the cancel does nothing.
        let mut got = [0i32; 2];
        shmpi::scope(|s| {
            let q = w.irecv(s, &mut got[..], from, 98).unwrap();
            w.send(&[r, 98][..], to, 98).unwrap();
            while !q.test().unwrap() {
                std::thread::yield_now();
            }
            q.cancel();
            let st = q.wait().unwrap();
            assert_status(&st, from, 98, 8, "cancel after match");
        });
        assert_eq!(got, [from, 98]);
        String::new()
    });
}

/// A message larger than the receive buffer is MPI_ERR_TRUNCATE naming
/// both sizes, by every protocol; the rank carries on communicating.
#[test]
fn truncation_is_an_error_naming_the_sizes() {
    let mut jobs = Jobs::new(test_name!(), SIZES);
    for env in PROTOCOLS {
        jobs = jobs.env(env);
    }
    jobs.run(|_, w| {
        let (r, from, to) = (w.rank(), left(w), right(w));
        for (i, &len) in [100usize, 30_000, 300_000, 5 << 20].iter().enumerate() {
            let big = payload(r, i as u64, len);
            let after = payload(r, 1000 + i as u64, 777);
            let cap = len / 10;
            shmpi::scope(|s| {
                let _ = w.isend(s, &big[..], to, 1).unwrap();
                let _ = w.isend(s, &after[..], to, 2).unwrap();
                let mut small = vec![0u8; cap];
                let e = w.recv(&mut small[..], from, 1).unwrap_err();
                assert_eq!(e.class, ErrorClass::Truncate, "{e}");
                assert!(
                    e.message.contains(&len.to_string()) && e.message.contains(&cap.to_string()),
                    "the message names {len} and {cap}: {e}"
                );
                // What follows the truncated message arrives intact.
                let (got, st) = w.recv_vec::<u8>(from, 2).unwrap();
                assert_status(&st, from, 2, 777, "after truncation");
                check_payload(&got, from, 1000 + i as u64, 777, "after truncation");
            });
            // The same through irecv and wait.
            let mut small = vec![0u8; cap];
            shmpi::scope(|s| {
                let q = w.irecv(s, &mut small[..], from, 3).unwrap();
                let _ = w.isend(s, &big[..], to, 3).unwrap();
                let e = q.wait().unwrap_err();
                assert_eq!(e.class, ErrorClass::Truncate, "irecv: {e}");
            });
        }
        // A message that is not a whole number of elements of the vector type.
        shmpi::scope(|s| {
            let _ = w.isend(s, &[1u8; 12][..], to, 4).unwrap();
            let e = w.recv_vec::<u64>(from, 4).unwrap_err();
            assert_eq!(e.class, ErrorClass::Type, "{e}");
            assert!(e.message.contains("12"), "{e}");
        });
        w.barrier().unwrap();
        String::new()
    });
}

/// Bad ranks, tags and roots are errors of the right class whose message
/// names the call and the value.
#[test]
fn argument_errors_name_the_call_and_value() {
    Jobs::new(test_name!(), SIZES).run(|_, w| {
        let n = w.size();
        let check = |e: shmpi::Error, class: ErrorClass, call: &str, value: i32| {
            assert_eq!(e.class, class, "{e}");
            assert!(e.message.contains(call), "{e} should name {call}");
            assert!(
                e.message.contains(&value.to_string()),
                "{e} should name {value}"
            );
        };
        let mut buf = [0u8; 4];
        check(
            w.send(&buf[..], n, 0).unwrap_err(),
            ErrorClass::Rank,
            "send",
            n,
        );
        check(
            w.send(&buf[..], -5, 0).unwrap_err(),
            ErrorClass::Rank,
            "send",
            -5,
        );
        check(
            w.recv(&mut buf[..], n + 3, 0).unwrap_err(),
            ErrorClass::Rank,
            "recv",
            n + 3,
        );
        check(
            w.recv_vec::<u8>(-7, 0).unwrap_err(),
            ErrorClass::Rank,
            "recv",
            -7,
        );
        check(w.probe(n, 0).unwrap_err(), ErrorClass::Rank, "probe", n);
        check(w.iprobe(-4, 0).unwrap_err(), ErrorClass::Rank, "iprobe", -4);
        check(
            w.send(&buf[..], 0, -3).unwrap_err(),
            ErrorClass::Tag,
            "send",
            -3,
        );
        check(
            w.send(&buf[..], 0, ANY_TAG).unwrap_err(),
            ErrorClass::Tag,
            "send",
            ANY_TAG,
        );
        check(
            w.recv(&mut buf[..], 0, -7).unwrap_err(),
            ErrorClass::Tag,
            "recv",
            -7,
        );
        check(w.probe(0, -9).unwrap_err(), ErrorClass::Tag, "probe", -9);
        check(
            w.send_object(&1u8, n, 0).unwrap_err(),
            ErrorClass::Rank,
            "send",
            n,
        );
        shmpi::scope(|s| {
            check(
                w.isend(s, &buf, n, 0).err().unwrap(),
                ErrorClass::Rank,
                "isend",
                n,
            );
            check(
                w.isend(s, &buf, 0, -2).err().unwrap(),
                ErrorClass::Tag,
                "isend",
                -2,
            );
        });
        shmpi::scope(|s| {
            check(
                w.irecv(s, &mut buf, -9, 0).err().unwrap(),
                ErrorClass::Rank,
                "irecv",
                -9,
            );
        });
        shmpi::scope(|s| {
            check(
                w.irecv(s, &mut buf, 0, -11).err().unwrap(),
                ErrorClass::Tag,
                "irecv",
                -11,
            );
        });
        check(
            w.bcast(&mut buf[..], n).unwrap_err(),
            ErrorClass::Root,
            "bcast",
            n,
        );
        check(
            w.bcast(&mut buf[..], -1).unwrap_err(),
            ErrorClass::Root,
            "bcast",
            -1,
        );
        check(
            w.reduce(&[1i32], &mut [0], &shmpi::Op::sum(), n)
                .unwrap_err(),
            ErrorClass::Root,
            "reduce",
            n,
        );
        check(
            w.gather(&[1i32], &mut [], -2).unwrap_err(),
            ErrorClass::Root,
            "gather",
            -2,
        );
        check(
            w.scatter(&[1i32], &mut [0], n + 1).unwrap_err(),
            ErrorClass::Root,
            "scatter",
            n + 1,
        );
        check(
            w.bcast_object(Some(1u8), n).unwrap_err(),
            ErrorClass::Root,
            "bcast_object",
            n,
        );
        let again = shmpi::init().err().expect("a second init is an error");
        assert_eq!(again.class, ErrorClass::Other, "{again}");
        // Nothing above sent anything: the communicator still works, and
        // the largest tag is a tag.
        let mut sum = [0i32];
        w.allreduce(&[1], &mut sum, &shmpi::Op::sum()).unwrap();
        assert_eq!(sum[0], n);
        let me = w.rank();
        w.send(&me, me, i32::MAX).unwrap();
        let mut x = -1;
        let st = w.recv(&mut x, me, i32::MAX).unwrap();
        assert_eq!((x, st.tag), (me, i32::MAX));
        String::new()
    });
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Point,
    Circle { r: f64 },
    Poly(Vec<(i32, i32)>),
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Record {
    name: String,
    rank: i32,
    weights: Vec<f32>,
    tags: BTreeMap<String, Option<u64>>,
    shape: Shape,
    nested: Vec<Vec<u16>>,
}

fn record(r: i32) -> Record {
    Record {
        name: format!("rank-{r}-ü"),
        rank: r,
        weights: (0..r).map(|i| i as f32 / 3.0).collect(),
        tags: (0..3)
            .map(|i| {
                (
                    format!("k{i}"),
                    if i == r % 3 { None } else { Some(i as u64 * 7) },
                )
            })
            .collect(),
        shape: match r % 3 {
            0 => Shape::Point,
            1 => Shape::Circle { r: r as f64 * 1.5 },
            _ => Shape::Poly(vec![(r, -r), (0, 1)]),
        },
        nested: (0..r as u16).map(|i| (0..i).collect()).collect(),
    }
}

/// send_object/recv_object of maps, tuples, structs and enums, nested and
/// several MiB large.
#[test]
fn objects_point_to_point() {
    Jobs::new(test_name!(), SIZES)
        .env(&[])
        .env(&[("SHMPI_NO_CMA", "1")])
        .run_and_check(
            |_, w| {
                let (r, from, to) = (w.rank(), left(w), right(w));
                let map: HashMap<String, Vec<f64>> = (0..=r)
                    .map(|i| (format!("key{i}"), vec![i as f64; i as usize]))
                    .collect();
                let tuple = (
                    r as u8,
                    format!("from {r}"),
                    Some(-(r as i64)),
                    [1.5f32, 2.5],
                );
                // About 4 MiB encoded: rendezvous or stream.
                let large: Vec<String> = (0..200_000).map(|i| format!("{r}:{i:014}")).collect();
                let bytes: Vec<Vec<u8>> = vec![
                    shmpi::encode(&map).unwrap(),
                    shmpi::encode(&tuple).unwrap(),
                    shmpi::encode(&record(r)).unwrap(),
                    shmpi::encode(&large).unwrap(),
                ];
                shmpi::scope(|s| {
                    for (tag, b) in bytes.iter().enumerate() {
                        let _ = w.isend(s, &b[..], to, tag as i32).unwrap();
                    }
                    // The blocking form as well, to self.
                    w.send_object(&vec![vec![r; 3]; 2], w.rank(), 10).unwrap();
                    let (m, st): (HashMap<String, Vec<f64>>, _) = w.recv_object(from, 0).unwrap();
                    assert_eq!(st.source, from);
                    assert_eq!(m.len(), from as usize + 1);
                    assert_eq!(m[&format!("key{from}")], vec![from as f64; from as usize]);
                    let (t, _): ((u8, String, Option<i64>, [f32; 2]), _) =
                        w.recv_object(from, 1).unwrap();
                    assert_eq!(
                        t,
                        (
                            from as u8,
                            format!("from {from}"),
                            Some(-(from as i64)),
                            [1.5, 2.5]
                        )
                    );
                    let (rec, _): (Record, _) = w.recv_object(from, ANY_TAG).unwrap();
                    assert_eq!(rec, record(from));
                    let (l, st): (Vec<String>, _) = w.recv_object(ANY_SOURCE, 3).unwrap();
                    assert!(st.bytes > 3 << 20, "{} bytes", st.bytes);
                    assert_eq!(l.len(), 200_000);
                    assert!(l
                        .iter()
                        .enumerate()
                        .all(|(i, s)| *s == format!("{from}:{i:014}")));
                    let (v, _): (Vec<Vec<i32>>, _) = w.recv_object(w.rank(), 10).unwrap();
                    assert_eq!(v, vec![vec![r; 3]; 2]);
                });
                // Bytes that do not decode as the type asked for are an error.
                w.send_object(&5u8, w.rank(), 11).unwrap();
                let e = w.recv_object::<String>(w.rank(), 11).unwrap_err();
                assert_eq!(e.class, ErrorClass::Other, "{e}");
                record(from).name
            },
            |job, res| {
                for (r, s) in res.iter().enumerate() {
                    assert_eq!(
                        *s,
                        format!("rank-{}-ü", (r + job.n - 1) % job.n),
                        "{}",
                        job.what()
                    );
                }
            },
        );
}
