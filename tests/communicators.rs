//! Job tests of communicators: `dup` gives a separate message space,
//! `split` groups and orders ranks by colour and key, sub-communicators
//! run their own collectives and point-to-point traffic, and context ids
//! are recycled so that a program may create and drop communicators
//! without end.

#[macro_use]
mod common;

use common::{Jobs, SIZES};
use shmpi::{Communicator, Op, ANY_SOURCE, ANY_TAG};

const ALL_SIZES: &[usize] = &[1, 2, 3, 4, 5, 6, 7, 8];

/// The sum over `comm` of `value`, by allreduce.
fn sum(comm: &Communicator, value: i64) -> i64 {
    let mut out = [0i64];
    comm.allreduce(&[value], &mut out, &Op::sum()).unwrap();
    out[0]
}

/// A message sent on a dup is not received on the original, even by a
/// wildcard receive, and vice versa.
#[test]
fn dup_has_its_own_message_space() {
    Jobs::new(test_name!(), SIZES).run(|_, w| {
        let (r, n) = (w.rank(), w.size());
        let (to, from) = ((r + 1) % n, (r + n - 1) % n);
        let d = w.dup().unwrap();
        assert_eq!((d.rank(), d.size(), d.group()), (r, n, w.group()));
        assert_ne!(d.context_id(), w.context_id());

        // Sent on the dup first, then on the world, same tag: each
        // communicator's receive gets its own message.
        w.barrier().unwrap();
        let on_dup = [r * 10 + 1];
        let on_world = [r * 10 + 2];
        shmpi::scope(|s| {
            let a = d.isend(s, &on_dup, to, 5).unwrap();
            let b = w.isend(s, &on_world, to, 5).unwrap();
            let mut x = [0i32];
            let st = w.recv(&mut x, ANY_SOURCE, ANY_TAG).unwrap();
            assert_eq!((x[0], st.source, st.tag), (from * 10 + 2, from, 5));
            let st = d.recv(&mut x, from, 5).unwrap();
            assert_eq!((x[0], st.source), (from * 10 + 1, from));
            shmpi::wait_all(vec![a, b]).unwrap();
        });

        // A message waiting on the dup is invisible to probes of the world.
        d.send(&[7u8; 3][..], to, 1).unwrap();
        let st = d.probe(from, 1).unwrap();
        assert_eq!(st.bytes, 3);
        assert_eq!(w.iprobe(ANY_SOURCE, ANY_TAG).unwrap(), None);
        let (v, _) = d.recv_vec::<u8>(from, 1).unwrap();
        assert_eq!(v, vec![7; 3]);

        // A dup of a dup, and collectives on all three.
        let dd = d.dup().unwrap();
        assert!(dd.context_id() != d.context_id() && dd.context_id() != w.context_id());
        let n = n as i64;
        assert_eq!(sum(&dd, 1), n);
        assert_eq!(sum(w, r as i64), n * (n - 1) / 2);
        assert_eq!(sum(&d, 2), 2 * n);
        String::new()
    });
}

/// split by colour r % 3 with key -r (reverse order), and colour None for
/// the last rank: new ranks, sizes, groups, and collectives and messages
/// inside each part.
#[test]
fn split_by_colour_and_key() {
    Jobs::new(test_name!(), ALL_SIZES).run_and_check(
        |_, w| {
            let (r, n) = (w.rank(), w.size());
            let colour = if r == n - 1 && n > 1 {
                None
            } else {
                Some((r % 3) as u32)
            };
            let part = w.split(colour, -r).unwrap();
            let Some(part) = part else {
                assert_eq!(colour, None);
                // Everyone else still reaches this rank through the world.
                w.barrier().unwrap();
                return "none".to_string();
            };
            // Members: the ranks of this colour but the last, by falling rank.
            let members: Vec<usize> = (0..n)
                .rev()
                .filter(|&q| q % 3 == r % 3 && !(q == n - 1 && n > 1))
                .map(|q| q as usize)
                .collect();
            assert_eq!(part.group(), &members[..]);
            assert_eq!(part.size() as usize, members.len());
            assert_eq!(members[part.rank() as usize], r as usize);
            assert_ne!(part.context_id(), w.context_id());

            let total = sum(&part, r as i64);
            assert_eq!(total, members.iter().sum::<usize>() as i64);
            let mut root_world_rank = r;
            part.bcast(&mut root_world_rank, 0).unwrap();
            assert_eq!(root_world_rank as usize, members[0]);

            // A ring inside the part, with wildcards: only members answer.
            let (pr, pn) = (part.rank(), part.size());
            let mut got = [0i32];
            let st = part
                .sendrecv(&[r], (pr + 1) % pn, 3, &mut got, ANY_SOURCE, ANY_TAG)
                .unwrap();
            assert_eq!(st.source, (pr + pn - 1) % pn);
            assert_eq!(got[0] as usize, members[st.source as usize]);
            w.barrier().unwrap();
            format!("{} {} {}", part.rank(), part.size(), total)
        },
        |job, res| {
            let n = job.n;
            for (r, s) in res.iter().enumerate() {
                if r == n - 1 && n > 1 {
                    assert_eq!(*s, "none", "{}", job.what());
                    continue;
                }
                let members: Vec<usize> = (0..n)
                    .rev()
                    .filter(|&q| q % 3 == r % 3 && !(q == n - 1 && n > 1))
                    .collect();
                let me = members.iter().position(|&q| q == r).unwrap();
                let want = format!("{me} {} {}", members.len(), members.iter().sum::<usize>());
                assert_eq!(*s, want, "{}: rank {r}", job.what());
            }
        },
    );
}

/// Equal keys order by rank in the parent; every rank None gives None
/// everywhere.
#[test]
fn split_ties_and_all_none() {
    Jobs::new(test_name!(), SIZES).run(|_, w| {
        let r = w.rank();
        let same = w.split(Some(0), 7).unwrap().unwrap();
        assert_eq!((same.rank(), same.size()), (r, w.size()));
        assert!(w.split(None, r).unwrap().is_none());
        let singles = w.split(Some(r as u32), 0).unwrap().unwrap();
        assert_eq!(
            (singles.rank(), singles.size(), singles.group()),
            (0, 1, &[r as usize][..])
        );
        assert_eq!(sum(&singles, 5), 5);
        singles.barrier().unwrap();
        String::new()
    });
}

/// Halves, then quarters of the halves, then a dup of a quarter: each
/// level's ranks and groups, and collectives at every level.
#[test]
fn nested_splits() {
    Jobs::new(test_name!(), ALL_SIZES).run(|_, w| {
        let (r, n) = (w.rank() as usize, w.size() as usize);
        let half = w.split(Some((r * 2 / n) as u32), 0).unwrap().unwrap();
        let halves: Vec<usize> = (0..n).filter(|&q| q * 2 / n == r * 2 / n).collect();
        assert_eq!(half.group(), &halves[..]);
        let hr = half.rank() as usize;
        let quarter = half
            .split(Some((hr % 2) as u32), -(hr as i32))
            .unwrap()
            .unwrap();
        let quarters: Vec<usize> = halves
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| i % 2 == hr % 2)
            .map(|(_, q)| q)
            .rev()
            .collect();
        assert_eq!(quarter.group(), &quarters[..], "world ranks of my quarter");
        let qd = quarter.dup().unwrap();
        for round in 0..20i64 {
            assert_eq!(sum(w, round), round * n as i64);
            assert_eq!(sum(&qd, r as i64), quarters.iter().sum::<usize>() as i64);
            assert_eq!(sum(&half, 1), halves.len() as i64);
            let mut x = if quarter.rank() == 0 {
                round + r as i64
            } else {
                -1
            };
            quarter.bcast(&mut x, 0).unwrap();
            assert_eq!(x, round + quarters[0] as i64);
        }
        String::new()
    });
}

/// 2000 dups dropped at once must recycle context ids (there are 1024);
/// so must splits. A recycled context never meets stale collective data.
#[test]
fn create_and_drop_many_communicators() {
    Jobs::new(test_name!(), SIZES).run_and_check(
        |_, w| {
            let (r, n) = (w.rank() as i64, w.size() as i64);
            let mut highest = 0;
            for i in 0..2000i64 {
                let d = w.dup().unwrap();
                highest = highest.max(d.context_id());
                if i % 100 == 0 {
                    assert_eq!(sum(&d, i + r), n * i + n * (n - 1) / 2);
                }
            }
            for i in 0..300i64 {
                let s = w.split(Some((i % 2) as u32), 0).unwrap().unwrap();
                highest = highest.max(s.context_id());
                s.barrier().unwrap();
                if i % 50 == 0 {
                    assert_eq!(sum(&s, 1), n);
                }
            }
            // Many alive at once, then all dropped, twice over.
            for _ in 0..2 {
                let alive: Vec<Communicator> = (0..300).map(|_| w.dup().unwrap()).collect();
                let mut ids: Vec<u32> = alive.iter().map(|c| c.context_id()).collect();
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), 300, "live communicators have distinct contexts");
                assert_eq!(sum(&alive[299], 1), n);
                highest = highest.max(*ids.last().unwrap());
            }
            format!("highest context {highest}")
        },
        |job, res| {
            for s in res {
                let id: u32 = s.strip_prefix("highest context ").unwrap().parse().unwrap();
                assert!(id < 1024, "{}: context ids not recycled: {s}", job.what());
            }
        },
    );
}

/// Creating more communicators than there are contexts is an error, not a
/// crash; dropping some makes room again.
#[test]
fn running_out_of_contexts_is_an_error() {
    Jobs::new(test_name!(), &[1, 2, 4]).run(|_, w| {
        let mut alive = Vec::new();
        let e = loop {
            match w.dup() {
                Ok(c) => alive.push(c),
                Err(e) => break e,
            }
            assert!(alive.len() <= 4096, "no limit on communicators?");
        };
        assert!(alive.len() >= 1000, "only {} communicators", alive.len());
        assert!(e.message.contains("context"), "{e}");
        alive.truncate(10);
        let d = w.dup().unwrap();
        assert_eq!(sum(&d, 1), w.size() as i64);
        format!("{}", alive.len())
    });
}

/// Collectives and messages on two communicators, interleaved: each keeps
/// its own order and data.
#[test]
fn traffic_interleaved_on_two_communicators() {
    Jobs::new(test_name!(), ALL_SIZES).run(|_, w| {
        let (r, n) = (w.rank(), w.size());
        let d = w.dup().unwrap();
        let odd = w.split(Some((r % 2) as u32), 0).unwrap().unwrap();
        for round in 0..100i64 {
            let big = round % 10 == 0;
            let len = if big { 200_000 } else { 3 };
            // A message on the dup in flight across collectives on the world.
            let out: Vec<i64> = (0..len).map(|k| round * 1000 + r as i64 + k).collect();
            shmpi::scope(|s| {
                let q = d.isend(s, &out[..], (r + 1) % n, round as i32).unwrap();
                assert_eq!(sum(w, round), round * n as i64);
                let mut root = if r == (round as i32) % n { round } else { -1 };
                w.bcast(&mut root, (round as i32) % n).unwrap();
                assert_eq!(root, round);
                assert_eq!(sum(&odd, 1), odd.size() as i64);
                let (got, st) = d.recv_vec::<i64>((r + n - 1) % n, round as i32).unwrap();
                assert_eq!(st.count::<i64>(), len as usize);
                let from = ((r + n - 1) % n) as i64;
                assert!(got
                    .iter()
                    .enumerate()
                    .all(|(k, &x)| x == round * 1000 + from + k as i64));
                q.wait().unwrap();
            });
            let mut all = vec![0i32; n as usize];
            d.allgather(&[r], &mut all).unwrap();
            assert_eq!(all, (0..n).collect::<Vec<_>>());
        }
        String::new()
    });
}
