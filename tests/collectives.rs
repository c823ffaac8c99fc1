//! Job tests of the collectives: every collective of the Rust API, at
//! every job size from 1 to 8 ranks (odd ones too), with buffers of 0, 1,
//! 7, 1000 and 300 000 elements (the largest cross the 128 KiB chunk of
//! the collective sub-buffers), checked element by element on every rank
//! against values computed independently from the same generators.
//!
//! Reductions run every predefined operation on the types it applies to,
//! and two non-commutative user operations whose result shows the order
//! of the fold: 2x2 matrix products and the concatenation of decimal
//! digits, which must equal the rank-order fold x0 op x1 op ... op x(n-1).
//! The generated floats are small multiples of 1/2 (and their products
//! stay within the mantissa), so every float result is exact and may be
//! compared with `==` whatever the order of combination.
//!
//! Streams of 64 KiB and more move directly between the ranks' buffers
//! (cross-memory attach) and smaller ones through the collective
//! sub-buffers; the tests of long vectors and mismatched sizes also run
//! with every stream direct (`SHMPI_COLL_CMA_MIN=1`) and with none
//! (`SHMPI_NO_CMA=1`).

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::fmt::Debug;

use bytemuck::Pod;
use common::Jobs;
use shmpi::{Communicator, ErrorClass, Op, ValueIndex};

/// Job sizes: all of 1..=8.
const ALL_SIZES: &[usize] = &[1, 2, 3, 4, 5, 6, 7, 8];
/// Fewer sizes for the heaviest tests, odd ones included.
const SOME_SIZES: &[usize] = &[1, 2, 3, 5, 8];
/// Element counts of every collective test.
const COUNTS: &[usize] = &[0, 1, 7, 1000, 300_000];

/// A value of rank `r`'s buffer at index `i`, as an i64 every type can hold.
fn gen_i64(r: usize, i: usize) -> i64 {
    ((r * 0x9E37 + i * 0x79B9 + 3) % 251) as i64
}

/// Rank `r`'s `count` elements, made by `f(r, i)`.
fn buffer<T>(r: usize, count: usize, f: impl Fn(usize, usize) -> T) -> Vec<T> {
    (0..count).map(|i| f(r, i)).collect()
}

/// Asserts two slices are equal, naming the first difference (and not
/// printing 300 000 elements).
fn assert_same<T: PartialEq + Debug>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!(
            "{what}: element {i} is {:?}, expected {:?}",
            got[i], want[i]
        );
    }
}

#[test]
fn barrier_and_bcast_from_every_root() {
    Jobs::new(test_name!(), ALL_SIZES).run_and_check(
        |_, w| {
            let (r, n) = (w.rank() as usize, w.size());
            for _ in 0..50 {
                w.barrier().unwrap();
            }
            let mut checksum = 0i64;
            for root in 0..n {
                for &count in COUNTS {
                    let want = buffer(root as usize, count, |r, i| gen_i64(r, i) as f64 * 0.5);
                    let mut buf = if r == root as usize {
                        want.clone()
                    } else {
                        vec![-1.0; count]
                    };
                    w.bcast(&mut buf[..], root).unwrap();
                    assert_same(&buf, &want, &format!("bcast f64 x{count} from {root}"));
                    // Odd-sized elements too (3 bytes do not divide the chunk).
                    let want3 = buffer(root as usize, count, |r, i| {
                        [r as u8, i as u8, (i >> 8) as u8]
                    });
                    let mut buf3 = if r == root as usize {
                        want3.clone()
                    } else {
                        vec![[0u8; 3]; count]
                    };
                    w.bcast(&mut buf3[..], root).unwrap();
                    assert_same(
                        &buf3,
                        &want3,
                        &format!("bcast [u8; 3] x{count} from {root}"),
                    );
                    checksum += buf.iter().map(|&x| (x * 2.0) as i64).sum::<i64>();
                }
                // A scalar.
                let mut x = if r == root as usize { root * 11 } else { -1 };
                w.bcast(&mut x, root).unwrap();
                assert_eq!(x, root * 11);
                w.barrier().unwrap();
            }
            checksum.to_string()
        },
        |job, res| {
            let want: i64 = (0..job.n)
                .flat_map(|root| {
                    COUNTS
                        .iter()
                        .flat_map(move |&c| (0..c).map(move |i| gen_i64(root, i)))
                })
                .sum();
            assert!(
                res.iter().all(|s| *s == want.to_string()),
                "{}: {res:?} != {want}",
                job.what()
            );
        },
    );
}

#[test]
fn scatter_gather_allgather_alltoall() {
    Jobs::new(test_name!(), ALL_SIZES)
        .env(&[])
        .env(&[("SHMPI_COLL_CMA_MIN", "1")])
        .run_and_check(
            |_, w| {
                let (r, n) = (w.rank() as usize, w.size() as usize);
                let val = |owner: usize, i: usize| (owner as i64) << 40 | i as i64;
                let mut summary = Vec::new();
                for &count in COUNTS {
                    let mine = buffer(r, count, val);
                    let all: Vec<i64> = (0..n).flat_map(|o| buffer(o, count, val)).collect();
                    for root in 0..n {
                        // Gather: the root gets every rank's block in rank order.
                        let mut got = vec![0i64; if r == root { n * count } else { 0 }];
                        w.gather(&mine, &mut got, root as i32).unwrap();
                        if r == root {
                            assert_same(&got, &all, &format!("gather x{count} to {root}"));
                        }
                        // Scatter: rank i gets block i of the root's buffer.
                        let send: Vec<i64> = if r == root {
                            (0..n * count).map(|k| val(root, k)).collect()
                        } else {
                            Vec::new()
                        };
                        let mut part = vec![-1i64; count];
                        w.scatter(&send, &mut part, root as i32).unwrap();
                        let want: Vec<i64> =
                            (r * count..(r + 1) * count).map(|k| val(root, k)).collect();
                        assert_same(&part, &want, &format!("scatter x{count} from {root}"));
                    }
                    let mut every = vec![0i64; n * count];
                    w.allgather(&mine, &mut every).unwrap();
                    assert_same(&every, &all, &format!("allgather x{count}"));

                    // Alltoall: block j of rank i's send goes to rank j as block i.
                    let code = |src: usize, dst: usize, k: usize| {
                        (src * 1_000_000 + dst * 1000) as u64 * 1_000_000 + k as u64
                    };
                    let send: Vec<u64> = (0..n)
                        .flat_map(|d| (0..count).map(move |k| code(r, d, k)))
                        .collect();
                    let mut recv = vec![0u64; n * count];
                    w.alltoall(&send, &mut recv).unwrap();
                    let want: Vec<u64> = (0..n)
                        .flat_map(|s| (0..count).map(move |k| code(s, r, k)))
                        .collect();
                    assert_same(&recv, &want, &format!("alltoall x{count}"));
                    summary.push(every.iter().map(|&x| x & 0xff).sum::<i64>());
                }
                format!("{summary:?}")
            },
            |job, res| {
                let want: Vec<i64> = COUNTS
                    .iter()
                    .map(|&c| job.n as i64 * (0..c as i64).map(|i| i & 0xff).sum::<i64>())
                    .collect();
                assert!(
                    res.iter().all(|s| *s == format!("{want:?}")),
                    "{}: {res:?}",
                    job.what()
                );
            },
        );
}

/// Uneven counts (some zero) for each rank, in elements.
fn uneven(base: usize, n: usize) -> Vec<usize> {
    (0..n).map(|j| base * (j % 3) / 2 + (j % 2)).collect()
}

/// Displacements of `counts` laid out in reverse rank order with gaps.
fn gappy_reversed(counts: &[usize]) -> (Vec<usize>, usize) {
    let mut displs = vec![0; counts.len()];
    let mut at = 5;
    for j in (0..counts.len()).rev() {
        displs[j] = at;
        at += counts[j] + 3;
    }
    (displs, at + 2)
}

/// Marks the gaps between the blocks of a v-collective's buffer.
const HOLE: i64 = -7;

/// Element `k` of `owner`'s buffer in the v-collective tests.
fn val(owner: usize, k: usize) -> i64 {
    (owner as i64) << 32 | k as i64
}

/// Base counts of the v-collective tests (see [`uneven`]).
const BASES: &[usize] = &[0, 1, 7, 1000, 100_000];

#[test]
fn scatterv_with_uneven_counts_and_gaps() {
    Jobs::new(test_name!(), ALL_SIZES).run(|_, w| {
        let (r, n) = (w.rank() as usize, w.size() as usize);
        for &base in BASES {
            let counts = uneven(base, n);
            let (displs, len) = gappy_reversed(&counts);
            for root in 0..n {
                // From a buffer with gaps, blocks in reverse rank order.
                let send: Vec<i64> = if r == root {
                    (0..len).map(|k| val(root, k)).collect()
                } else {
                    Vec::new()
                };
                let mut part = vec![HOLE; counts[r]];
                w.scatterv(&send, &counts, &displs, &mut part, root as i32)
                    .unwrap();
                let want: Vec<i64> = (displs[r]..displs[r] + counts[r])
                    .map(|k| val(root, k))
                    .collect();
                assert_same(&part, &want, &format!("scatterv base {base} from {root}"));
            }
        }
        String::new()
    });
}

#[test]
fn gatherv_allgatherv_alltoallv_with_uneven_counts_and_gaps() {
    Jobs::new(test_name!(), ALL_SIZES).run(|_, w| {
        let (r, n) = (w.rank() as usize, w.size() as usize);
        for &base in BASES {
            let counts = uneven(base, n);
            let (displs, len) = gappy_reversed(&counts);
            for root in 0..n {
                // Gatherv into a buffer with gaps, blocks in reverse rank
                // order; the gaps stay untouched.
                let mine = buffer(r, counts[r], val);
                let mut got = vec![HOLE; if r == root { len } else { 0 }];
                w.gatherv(&mine, &mut got, &counts, &displs, root as i32)
                    .unwrap();
                if r == root {
                    let mut want = vec![HOLE; len];
                    for j in 0..n {
                        want[displs[j]..displs[j] + counts[j]]
                            .copy_from_slice(&buffer(j, counts[j], val));
                    }
                    assert_same(&got, &want, &format!("gatherv base {base} to {root}"));
                }
            }
            let mine = buffer(r, counts[r], val);
            let mut every = vec![HOLE; len];
            w.allgatherv(&mine, &mut every, &counts, &displs).unwrap();
            let mut want = vec![HOLE; len];
            for j in 0..n {
                want[displs[j]..displs[j] + counts[j]].copy_from_slice(&buffer(j, counts[j], val));
            }
            assert_same(&every, &want, &format!("allgatherv base {base}"));

            // Alltoallv: rank s sends (s + 2d) % 4 * base / 2 elements to d.
            let amount = |s: usize, d: usize| (s + 2 * d) % 4 * base / 2 + (s + d) % 2;
            let code =
                |s: usize, d: usize, k: usize| (s as i64) << 48 | (d as i64) << 32 | k as i64;
            let scounts: Vec<usize> = (0..n).map(|d| amount(r, d)).collect();
            let rcounts: Vec<usize> = (0..n).map(|s| amount(s, r)).collect();
            let sdispls: Vec<usize> = scounts
                .iter()
                .scan(1, |at, c| Some(std::mem::replace(at, *at + c + 2)))
                .collect();
            let (rdispls, rlen) = gappy_reversed(&rcounts);
            let mut send = vec![HOLE; sdispls[n - 1] + scounts[n - 1] + 1];
            for d in 0..n {
                for k in 0..scounts[d] {
                    send[sdispls[d] + k] = code(r, d, k);
                }
            }
            let mut recv = vec![HOLE; rlen];
            w.alltoallv(&send, &scounts, &sdispls, &mut recv, &rcounts, &rdispls)
                .unwrap();
            let mut want = vec![HOLE; rlen];
            for s in 0..n {
                for k in 0..rcounts[s] {
                    want[rdispls[s] + k] = code(s, r, k);
                }
            }
            assert_same(&recv, &want, &format!("alltoallv base {base}"));
        }
        String::new()
    });
}

// ------------------------------------------------------------ reductions

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Sum,
    Prod,
    Max,
    Min,
    Land,
    Lor,
    Lxor,
    Band,
    Bor,
    Bxor,
    MaxLoc,
    MinLoc,
}

const ARITHMETIC: &[Kind] = &[Kind::Sum, Kind::Prod, Kind::Max, Kind::Min];
const INTEGER: &[Kind] = &[
    Kind::Sum,
    Kind::Prod,
    Kind::Max,
    Kind::Min,
    Kind::Land,
    Kind::Lor,
    Kind::Lxor,
    Kind::Band,
    Kind::Bor,
    Kind::Bxor,
];
const LOCATION: &[Kind] = &[Kind::MaxLoc, Kind::MinLoc];

/// An element type under test: its generator, the predefined ops that
/// apply to it, and a reference implementation of each (not shmpi's).
trait Elem: Pod + PartialEq + Debug {
    fn gen(r: usize, i: usize) -> Self;
    fn reference(k: Kind, a: Self, b: Self) -> Self;
    fn op(k: Kind) -> Op<'static, Self>;
}

macro_rules! integer_elem {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            fn gen(r: usize, i: usize) -> Self {
                gen_i64(r, i) as $t
            }
            fn reference(k: Kind, a: Self, b: Self) -> Self {
                let (x, y) = (a != 0, b != 0);
                match k {
                    Kind::Sum => a.wrapping_add(b),
                    Kind::Prod => a.wrapping_mul(b),
                    Kind::Max => a.max(b),
                    Kind::Min => a.min(b),
                    Kind::Land => (x && y) as $t,
                    Kind::Lor => (x || y) as $t,
                    Kind::Lxor => (x != y) as $t,
                    Kind::Band => a & b,
                    Kind::Bor => a | b,
                    Kind::Bxor => a ^ b,
                    _ => unreachable!("{k:?} on an integer"),
                }
            }
            fn op(k: Kind) -> Op<'static, Self> {
                match k {
                    Kind::Sum => Op::sum(),
                    Kind::Prod => Op::prod(),
                    Kind::Max => Op::max(),
                    Kind::Min => Op::min(),
                    Kind::Land => Op::land(),
                    Kind::Lor => Op::lor(),
                    Kind::Lxor => Op::lxor(),
                    Kind::Band => Op::band(),
                    Kind::Bor => Op::bor(),
                    Kind::Bxor => Op::bxor(),
                    _ => unreachable!("{k:?} on an integer"),
                }
            }
        }
    )*};
}
integer_elem!(i32, i64, u8);

macro_rules! float_elem {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            fn gen(r: usize, i: usize) -> Self {
                // Products of at most 8 of these need 13 mantissa bits.
                [0.5, 1.0, 2.0, 1.5, -1.0, 0.0, -0.5][(r * 3 + i) % 7]
            }
            fn reference(k: Kind, a: Self, b: Self) -> Self {
                match k {
                    Kind::Sum => a + b,
                    Kind::Prod => a * b,
                    Kind::Max => a.max(b),
                    Kind::Min => a.min(b),
                    _ => unreachable!("{k:?} on a float"),
                }
            }
            fn op(k: Kind) -> Op<'static, Self> {
                match k {
                    Kind::Sum => Op::sum(),
                    Kind::Prod => Op::prod(),
                    Kind::Max => Op::max(),
                    Kind::Min => Op::min(),
                    _ => unreachable!("{k:?} on a float"),
                }
            }
        }
    )*};
}
float_elem!(f32, f64);

macro_rules! location_elem {
    ($(($v:ty, $i:ty)),*) => {$(
        impl Elem for ValueIndex<$v, $i> {
            fn gen(r: usize, i: usize) -> Self {
                // Many ties, and indices that fall as ranks rise, so that
                // "lowest index wins" is not "lowest rank wins".
                ValueIndex { value: ((r * 5 + i) % 4) as $v, index: (100 - r * 3 + i % 2) as $i }
            }
            fn reference(k: Kind, a: Self, b: Self) -> Self {
                let better = match k {
                    Kind::MaxLoc => a.value > b.value,
                    Kind::MinLoc => a.value < b.value,
                    _ => unreachable!("{k:?} on a location"),
                };
                if better || (a.value == b.value && a.index <= b.index) { a } else { b }
            }
            fn op(k: Kind) -> Op<'static, Self> {
                match k {
                    Kind::MaxLoc => Op::max_loc(),
                    Kind::MinLoc => Op::min_loc(),
                    _ => unreachable!("{k:?} on a location"),
                }
            }
        }
    )*};
}
location_elem!((f64, i64), (f32, i32), (i32, i32), (i64, i64));

/// The rank-order fold x0 op x1 op ... of `ranks`' element `i`.
fn fold<T: Elem>(k: Kind, ranks: std::ops::Range<usize>, i: usize) -> T {
    let mut ranks = ranks;
    let first = ranks.next().expect("a fold of at least one rank");
    ranks.fold(T::gen(first, i), |acc, r| {
        T::reference(k, acc, T::gen(r, i))
    })
}

/// Runs reduce (at a root that varies), allreduce, scan, exscan,
/// reduce_scatter_block and reduce_scatter with op `k` on `count`
/// elements of `T` and checks every result; returns the allreduce result.
fn check_reductions<T: Elem>(w: &Communicator, k: Kind, count: usize, root: usize) -> Vec<T> {
    let (r, n) = (w.rank() as usize, w.size() as usize);
    let op = T::op(k);
    let what = |call: &str| format!("{call} {k:?} {} x{count}", std::any::type_name::<T>());
    let mine: Vec<T> = buffer(r, count, T::gen);
    let total: Vec<T> = (0..count).map(|i| fold(k, 0..n, i)).collect();

    let mut out = vec![T::zeroed(); if r == root { count } else { 0 }];
    w.reduce(&mine, &mut out, &op, root as i32).unwrap();
    if r == root {
        assert_same(&out, &total, &what(&format!("reduce to {root}")));
    }
    let mut all = vec![T::zeroed(); count];
    w.allreduce(&mine, &mut all, &op).unwrap();
    assert_same(&all, &total, &what("allreduce"));

    let mut prefix = vec![T::zeroed(); count];
    w.scan(&mine, &mut prefix, &op).unwrap();
    let want: Vec<T> = (0..count).map(|i| fold(k, 0..r + 1, i)).collect();
    assert_same(&prefix, &want, &what("scan"));

    // Exscan leaves rank 0's buffer as it was.
    let sentinel = T::gen(33, 1);
    let mut before = vec![sentinel; count];
    w.exscan(&mine, &mut before, &op).unwrap();
    let want: Vec<T> = (0..count)
        .map(|i| if r == 0 { sentinel } else { fold(k, 0..r, i) })
        .collect();
    assert_same(&before, &want, &what("exscan"));

    // Reduce-scatter: element i of the reduced n*count vector goes to rank i / count.
    let long: Vec<T> = buffer(r, n * count, T::gen);
    let mut block = vec![T::zeroed(); count];
    w.reduce_scatter_block(&long, &mut block, &op).unwrap();
    let want: Vec<T> = (r * count..(r + 1) * count)
        .map(|i| fold(k, 0..n, i))
        .collect();
    assert_same(&block, &want, &what("reduce_scatter_block"));

    let counts = uneven(count, n);
    let start: usize = counts[..r].iter().sum();
    let long: Vec<T> = buffer(r, counts.iter().sum(), T::gen);
    let mut part = vec![T::zeroed(); counts[r]];
    w.reduce_scatter(&long, &mut part, &counts, &op).unwrap();
    let want: Vec<T> = (start..start + counts[r])
        .map(|i| fold(k, 0..n, i))
        .collect();
    assert_same(&part, &want, &what("reduce_scatter"));
    all
}

fn all_ops_on<T: Elem>(w: &Communicator, kinds: &[Kind], counts: &[usize]) {
    for (j, &k) in kinds.iter().enumerate() {
        for &count in counts {
            check_reductions::<T>(w, k, count, (j + count) % w.size() as usize);
        }
    }
}

/// Every predefined op on every type it applies to, every reduction, on
/// 0, 1, 7 and 1000 elements.
#[test]
fn every_predefined_op_on_every_reduction() {
    Jobs::new(test_name!(), ALL_SIZES).run_and_check(
        |_, w| {
            let counts = &COUNTS[..4];
            all_ops_on::<i32>(w, INTEGER, counts);
            all_ops_on::<i64>(w, INTEGER, counts);
            all_ops_on::<u8>(w, INTEGER, counts);
            all_ops_on::<f32>(w, ARITHMETIC, counts);
            all_ops_on::<f64>(w, ARITHMETIC, counts);
            all_ops_on::<ValueIndex<f64, i64>>(w, LOCATION, counts);
            all_ops_on::<ValueIndex<f32, i32>>(w, LOCATION, counts);
            all_ops_on::<ValueIndex<i32, i32>>(w, LOCATION, counts);
            all_ops_on::<ValueIndex<i64, i64>>(w, LOCATION, counts);
            let sum = check_reductions::<i64>(w, Kind::Sum, 7, 0);
            let maxloc = check_reductions::<ValueIndex<f64, i64>>(w, Kind::MaxLoc, 3, 0);
            format!(
                "{sum:?} {:?}",
                maxloc
                    .iter()
                    .map(|v| (v.value, v.index))
                    .collect::<Vec<_>>()
            )
        },
        |job, res| {
            // The outer test's own fold of the same inputs.
            let n = job.n;
            let sum: Vec<i64> = (0..7)
                .map(|i| (0..n).map(|r| gen_i64(r, i)).sum())
                .collect();
            let maxloc: Vec<(f64, i64)> = (0..3)
                .map(|i| {
                    let v = |r: usize| (((r * 5 + i) % 4) as f64, (100 - r * 3 + i % 2) as i64);
                    let best = (0..n).map(v).fold(f64::MIN, |m, (x, _)| m.max(x));
                    (
                        best,
                        (0..n)
                            .map(v)
                            .filter(|p| p.0 == best)
                            .map(|p| p.1)
                            .min()
                            .unwrap(),
                    )
                })
                .collect();
            let want = format!("{sum:?} {maxloc:?}");
            assert!(
                res.iter().all(|s| *s == want),
                "{}: {res:?} != {want}",
                job.what()
            );
        },
    );
}

/// Reductions of 300 000 elements (several 128 KiB chunks).
#[test]
fn reductions_of_long_vectors() {
    Jobs::new(test_name!(), SOME_SIZES)
        .env(&[])
        .env(&[("SHMPI_NO_CMA", "1")])
        .run(|_, w| {
            let big = &[COUNTS[4]];
            all_ops_on::<i64>(w, &[Kind::Sum, Kind::Bxor], big);
            all_ops_on::<f64>(w, &[Kind::Sum, Kind::Max], big);
            all_ops_on::<u8>(w, &[Kind::Min], big);
            all_ops_on::<ValueIndex<f64, i64>>(w, &[Kind::MinLoc], big);
            String::new()
        });
}

/// Reduce to every root in turn, and allreduce, interleaved.
#[test]
fn reduce_to_every_root() {
    Jobs::new(test_name!(), ALL_SIZES).run(|_, w| {
        let (r, n) = (w.rank() as usize, w.size() as usize);
        for root in 0..n {
            for &count in &COUNTS[..4] {
                let mine: Vec<i32> = buffer(r, count, |r, i| (r * 10 + i) as i32);
                let mut out = vec![0; if r == root { count } else { 0 }];
                w.reduce(&mine, &mut out, &Op::sum(), root as i32).unwrap();
                if r == root {
                    let want: Vec<i32> = (0..count)
                        .map(|i| (0..n).map(|s| (s * 10 + i) as i32).sum())
                        .collect();
                    assert_same(&out, &want, &format!("reduce x{count} to {root}"));
                }
                let mut mx = [0i32];
                w.allreduce(&[r as i32 - root as i32], &mut mx, &Op::max())
                    .unwrap();
                assert_eq!(mx[0], (n - 1 - root) as i32);
            }
        }
        String::new()
    });
}

/// A 2x2 matrix of wrapping integers, row-major.
type Mat = [i64; 4];

fn mat_mul(a: Mat, b: Mat) -> Mat {
    [
        a[0].wrapping_mul(b[0])
            .wrapping_add(a[1].wrapping_mul(b[2])),
        a[0].wrapping_mul(b[1])
            .wrapping_add(a[1].wrapping_mul(b[3])),
        a[2].wrapping_mul(b[0])
            .wrapping_add(a[3].wrapping_mul(b[2])),
        a[2].wrapping_mul(b[1])
            .wrapping_add(a[3].wrapping_mul(b[3])),
    ]
}

fn mat(r: usize, i: usize) -> Mat {
    let (r, i) = (r as i64, i as i64);
    [1 + (r + i) % 3, (r * 2 + i) % 5, i % 4 - 1, 1 + r % 2]
}

/// A decimal string as (its value, 10^its length): concatenation is
/// associative and not commutative, and the result is readable.
type Digits = [u64; 2];

fn concat(a: Digits, b: Digits) -> Digits {
    [
        a[0].wrapping_mul(b[1]).wrapping_add(b[0]),
        a[1].wrapping_mul(b[1]),
    ]
}

fn digit(r: usize, i: usize) -> Digits {
    [((r + i) % 9 + 1) as u64, 10]
}

/// Checks the non-commutative user op `f` (as `inout = in f inout`) on
/// every reduction against the rank-order fold of `gen`.
fn check_user_op<T: Pod + PartialEq + Debug>(
    w: &Communicator,
    f: fn(T, T) -> T,
    gen: fn(usize, usize) -> T,
    count: usize,
) -> Vec<T> {
    let (r, n) = (w.rank() as usize, w.size() as usize);
    let op = Op::user(
        move |a: &[T], b: &mut [T]| {
            for (x, y) in a.iter().zip(b.iter_mut()) {
                *y = f(*x, *y);
            }
        },
        false,
    );
    let fold = |ranks: std::ops::Range<usize>, i: usize| {
        let mut it = ranks.map(|s| gen(s, i));
        let first = it.next().unwrap();
        it.fold(first, f)
    };
    let what = |call: &str| format!("{call} of {} x{count}", std::any::type_name::<T>());
    let mine = buffer(r, count, gen);
    let total: Vec<T> = (0..count).map(|i| fold(0..n, i)).collect();
    for root in [0, n - 1, n / 2] {
        let mut out = vec![T::zeroed(); if r == root { count } else { 0 }];
        w.reduce(&mine, &mut out, &op, root as i32).unwrap();
        if r == root {
            assert_same(&out, &total, &what("reduce"));
        }
    }
    let mut all = vec![T::zeroed(); count];
    w.allreduce(&mine, &mut all, &op).unwrap();
    assert_same(&all, &total, &what("allreduce"));
    let mut prefix = vec![T::zeroed(); count];
    w.scan(&mine, &mut prefix, &op).unwrap();
    assert_same(
        &prefix,
        &(0..count).map(|i| fold(0..r + 1, i)).collect::<Vec<_>>(),
        &what("scan"),
    );
    if r > 0 {
        w.exscan(&mine, &mut prefix, &op).unwrap();
        assert_same(
            &prefix,
            &(0..count).map(|i| fold(0..r, i)).collect::<Vec<_>>(),
            &what("exscan"),
        );
    } else {
        w.exscan(&mine, &mut prefix, &op).unwrap();
    }
    let counts = uneven(count, n);
    let start: usize = counts[..r].iter().sum();
    let long = buffer(r, counts.iter().sum(), gen);
    let mut part = vec![T::zeroed(); counts[r]];
    w.reduce_scatter(&long, &mut part, &counts, &op).unwrap();
    assert_same(
        &part,
        &(start..start + counts[r])
            .map(|i| fold(0..n, i))
            .collect::<Vec<_>>(),
        &what("reduce_scatter"),
    );
    let long = buffer(r, n * count, gen);
    let mut block = vec![T::zeroed(); count];
    w.reduce_scatter_block(&long, &mut block, &op).unwrap();
    assert_same(
        &block,
        &(r * count..(r + 1) * count)
            .map(|i| fold(0..n, i))
            .collect::<Vec<_>>(),
        &what("reduce_scatter_block"),
    );
    all
}

/// Non-commutative user ops are folded in rank order.
#[test]
fn non_commutative_user_ops_fold_in_rank_order() {
    assert_ne!(
        mat_mul(mat(0, 0), mat(1, 0)),
        mat_mul(mat(1, 0), mat(0, 0)),
        "the test op must not commute"
    );
    Jobs::new(test_name!(), ALL_SIZES).run_and_check(
        |_, w| {
            for &count in &COUNTS[..4] {
                check_user_op(w, mat_mul, mat, count);
            }
            // Long vectors only at some sizes: they cost the most.
            if [1, 3, 8].contains(&w.size()) {
                check_user_op(w, mat_mul, mat, 100_000);
            }
            for &count in &COUNTS[1..4] {
                check_user_op(w, concat, digit, count);
            }
            let d = check_user_op(w, concat, digit, 1);
            d[0][0].to_string()
        },
        |job, res| {
            // "123...n": digit r + 1 of every rank r, in rank order.
            let want: String = (1..=job.n).map(|d| char::from(b'0' + d as u8)).collect();
            assert!(
                res.iter().all(|s| *s == want),
                "{}: {res:?} != {want}",
                job.what()
            );
        },
    );
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Clone)]
struct Item {
    owner: usize,
    label: String,
    data: Vec<u32>,
    extra: BTreeMap<u8, (bool, f64)>,
}

fn item(owner: usize, size: usize) -> Item {
    Item {
        owner,
        label: "x".repeat(owner),
        data: (0..size as u32).map(|k| k ^ owner as u32).collect(),
        extra: (0..owner as u8)
            .map(|k| (k, (k % 2 == 0, k as f64 / 4.0)))
            .collect(),
    }
}

/// bcast/gather/allgather of serde objects, from every root, of sizes
/// that differ by rank, some several MiB large.
#[test]
fn object_collectives() {
    Jobs::new(test_name!(), SOME_SIZES).run_and_check(
        |_, w| {
            let (r, n) = (w.rank() as usize, w.size() as usize);
            for root in 0..n {
                for size in [0, 10, 1_000_000] {
                    let got = w
                        .bcast_object(
                            if r == root {
                                Some(item(root, size))
                            } else {
                                None
                            },
                            root as i32,
                        )
                        .unwrap();
                    assert_eq!(got, item(root, size), "bcast_object of {size} from {root}");
                }
                let mine = item(r, r * 1000);
                match w.gather_object(&mine, root as i32).unwrap() {
                    Some(all) => {
                        assert_eq!(r, root);
                        assert_eq!(all, (0..n).map(|o| item(o, o * 1000)).collect::<Vec<_>>());
                    }
                    None => assert_ne!(r, root),
                }
            }
            let all = w.allgather_object(&item(r, 500_000 * (r % 2))).unwrap();
            assert_eq!(
                all,
                (0..n)
                    .map(|o| item(o, 500_000 * (o % 2)))
                    .collect::<Vec<_>>()
            );
            let labels: Vec<usize> = all.iter().map(|i| i.label.len()).collect();
            format!("{labels:?}")
        },
        |job, res| {
            let want = format!("{:?}", (0..job.n).collect::<Vec<_>>());
            assert!(res.iter().all(|s| *s == want), "{}: {res:?}", job.what());
        },
    );
}

/// scatter_object from every root, of objects that differ in size.
#[test]
fn scatter_object_from_every_root() {
    Jobs::new(test_name!(), SOME_SIZES).run(|_, w| {
        let (r, n) = (w.rank() as usize, w.size() as usize);
        for root in 0..n {
            for size in [0, 3, 200_000] {
                let values = (r == root).then(|| {
                    (0..n)
                        .map(|o| (o, format!("for {o}"), item(o, size * o)))
                        .collect()
                });
                let got: (usize, String, Item) = w.scatter_object(values, root as i32).unwrap();
                assert_eq!(got, (r, format!("for {r}"), item(r, size * r)));
            }
        }
        String::new()
    });
}

/// A program whose only collective is one allreduce (the finalizing
/// barrier once took the same sequence number and read its chunks), and
/// two handles of the world used in turn: they are one communicator.
#[test]
fn one_collective_then_finalize_and_two_world_handles() {
    Jobs::new(test_name!(), &[5, 6, 7, 8, 8, 8]).run(|u, w| {
        let n = w.size() as i64;
        assert_eq!(
            {
                let mut out = [0i64];
                w.allreduce(&[1i64], &mut out, &Op::sum()).unwrap();
                out[0]
            },
            n
        );
        let again = u.world();
        assert_eq!(again.context_id(), w.context_id());
        for round in 0..20i64 {
            let c = if round % 2 == 0 { w } else { &again };
            let mut out = [0i64];
            c.allreduce(&[round], &mut out, &Op::sum()).unwrap();
            assert_eq!(out[0], round * n, "round {round}");
        }
        String::new()
    });
}

/// Wrong buffer sizes that a rank can see by itself are errors of the
/// right class, and the communicator keeps working after them.
#[test]
fn size_errors() {
    Jobs::new(test_name!(), &[1, 2, 3, 4, 8]).run(|_, w| {
        let (r, n) = (w.rank() as usize, w.size() as usize);
        let class = |res: shmpi::Result<()>, want: ErrorClass, call: &str| {
            let e = res.expect_err(call);
            assert_eq!(e.class, want, "{call}: {e}");
            assert!(e.message.starts_with(call), "{e} should start with {call}");
        };
        let one = [1i32];
        class(
            w.allgather(&one, &mut vec![0; n + 1]),
            ErrorClass::Count,
            "allgather",
        );
        class(
            w.allreduce(&one, &mut [0, 0], &Op::sum()),
            ErrorClass::Count,
            "allreduce",
        );
        class(
            w.scan(&[1i32, 2], &mut [0], &Op::sum()),
            ErrorClass::Count,
            "scan",
        );
        class(
            w.exscan(&[1i32, 2], &mut [0, 0, 0], &Op::sum()),
            ErrorClass::Count,
            "exscan",
        );
        class(
            w.alltoall(&vec![1i32; n], &mut vec![0; 2 * n]),
            ErrorClass::Count,
            "alltoall",
        );
        if n > 1 {
            class(
                w.alltoall(&vec![1i32; n + 1], &mut vec![0; n + 1]),
                ErrorClass::Count,
                "alltoall",
            );
        }
        class(
            w.reduce_scatter(&[1i32], &mut [0], &vec![1; n + 1], &Op::sum()),
            ErrorClass::Arg,
            "reduce_scatter",
        );
        class(
            w.reduce_scatter(&vec![1i32; n + 1], &mut [0], &vec![1; n], &Op::sum()),
            ErrorClass::Count,
            "reduce_scatter",
        );
        class(
            w.allgatherv(&one, &mut [0; 4], &vec![1; n - 1], &vec![0; n]),
            ErrorClass::Arg,
            "allgatherv",
        );
        class(
            w.allgatherv(&one, &mut vec![0; n], &vec![1; n], &vec![n; n]),
            ErrorClass::Buffer,
            "allgatherv",
        );
        class(
            w.allgatherv(
                &[1i32, 2],
                &mut vec![0; 2 * n],
                &vec![1; n],
                &(0..n).collect::<Vec<_>>(),
            ),
            ErrorClass::Count,
            "allgatherv",
        );
        class(
            w.alltoallv(
                &one,
                &vec![1; n],
                &vec![1; n],
                &mut vec![0; n],
                &vec![1; n],
                &(0..n).collect::<Vec<_>>(),
            ),
            ErrorClass::Buffer,
            "alltoallv",
        );
        // Root-only checks fail on the root alone; only local arguments are
        // wrong, so no other rank is left waiting if every rank is the root
        // of its own failing call, in turn, with the others not calling.
        for root in 0..n {
            if r == root {
                class(
                    w.gather(&one, &mut vec![0; n + 2], root as i32),
                    ErrorClass::Count,
                    "gather",
                );
                class(
                    w.reduce(&one, &mut [0, 0], &Op::sum(), root as i32),
                    ErrorClass::Count,
                    "reduce",
                );
                class(
                    w.scatter(&vec![1i32; n + 1], &mut [0], root as i32),
                    ErrorClass::Count,
                    "scatter",
                );
                class(
                    w.gatherv(
                        &one,
                        &mut vec![0; 2 * n],
                        &vec![2; n],
                        &vec![0; n],
                        root as i32,
                    ),
                    ErrorClass::Count,
                    "gatherv",
                );
                class(
                    w.scatterv(&one, &vec![1; n], &vec![3; n], &mut [0], root as i32),
                    ErrorClass::Buffer,
                    "scatterv",
                );
            }
            w.barrier().unwrap();
        }
        // Every rank still agrees on everything.
        let mut sum = [0i64];
        w.allreduce(&[r as i64], &mut sum, &Op::sum()).unwrap();
        assert_eq!(sum[0] as usize, n * (n - 1) / 2);
        String::new()
    });
}

/// Ranks that disagree about a collective's size within one chunk: the
/// ranks that can tell get MPI_ERR_COUNT naming the sizes, nobody hangs,
/// and the next collectives work.
#[test]
fn mismatched_sizes_across_ranks_are_count_errors() {
    Jobs::new(test_name!(), &[2, 3, 4, 8])
        .env(&[])
        .env(&[("SHMPI_COLL_CMA_MIN", "1")])
        .run(|_, w| {
            let (r, n) = (w.rank() as usize, w.size() as usize);
            // The root broadcasts 10 elements, the others expect 12; then the
            // same beyond one sub-buffer (a direct stream where CMA is on).
            for (root_len, len) in [(10, 12), (100_000, 100_001)] {
                let mut buf = vec![r as u32; if r == 0 { root_len } else { len }];
                let res = w.bcast(&mut buf[..], 0);
                if r == 0 {
                    res.unwrap();
                } else {
                    let e = res.unwrap_err();
                    assert_eq!(e.class, ErrorClass::Count, "{e}");
                    let (sent, wanted) = (format!("{}", 4 * root_len), format!("{}", 4 * len));
                    assert!(
                        e.message.contains(&sent) && e.message.contains(&wanted),
                        "sizes named: {e}"
                    );
                }
            }
            // Rank 1 contributes 3 elements to an allreduce of 2.
            let mine = vec![1i32; if r == 1 { 3 } else { 2 }];
            let mut out = mine.clone();
            let res = w.allreduce(&mine, &mut out, &Op::sum());
            // Every rank sees rank 1's wrong size, or (rank 1) everyone else's.
            assert_eq!(
                res.expect_err("allreduce of disagreeing sizes").class,
                ErrorClass::Count
            );
            w.barrier().unwrap();
            let mut sum = [0i64];
            w.allreduce(&[1i64], &mut sum, &Op::sum()).unwrap();
            assert_eq!(sum[0] as usize, n);
            let mut x = if r == 0 { 5u64 } else { 0 };
            w.bcast(&mut x, 0).unwrap();
            assert_eq!(x, 5);
            String::new()
        });
}
