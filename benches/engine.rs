//! The engine micro-benchmark: the measurements of the peers' `mpibench.c`
//! (`/work/shared/peers/`), made through shmpi's Rust API, so that shmpi's
//! figures can be set beside Open MPI's and MPICH's.
//!
//! ```text
//! cargo bench --bench engine                     # n = 2, 4 and 8, then start-up
//! SHMPI_BENCH_N=2 cargo bench --bench engine     # only n = 2
//! cargo bench --bench engine -- -n 2,4           # the same, as an argument
//! SHMPI_BENCH_SIZES=16384,32768 SHMPI_BENCH_N=2 cargo bench --bench engine
//! ```
//!
//! `SHMPI_BENCH_SIZES` (bytes, comma separated) replaces the ping-pong
//! sizes, for sweeps of the protocol thresholds (`SHMPI_EAGER_MAX`,
//! `SHMPI_CMA_MIN`); `SHMPI_BENCH_COLL=0` skips the collectives and the
//! barrier (to profile ping-pong alone); `SHMPI_BENCH_STARTUP=0` skips the
//! start-up timing.
//!
//! # Two roles in one binary
//!
//! Started by hand (or by `cargo bench`), `SHMPI_RANK` is unset and the
//! binary is the *driver*: for every n it re-launches itself under
//! `shmrun -n N` (the launcher cargo built beside the bench,
//! `CARGO_BIN_EXE_shmrun`), and the ranks, which find `SHMPI_RANK` set, run
//! the measurements; rank 0 prints one markdown table per n. Then the
//! driver times start-up: the wall-clock time of `shmrun -n N` running this
//! binary as a trivial program (`SHMPI_BENCH_ROLE=hello`: init, barrier,
//! finalize, as `examples/hello.rs`), median of 10 runs for n = 1, 2, 8.
//! Arguments other than `-n LIST` (cargo passes `--bench`) are ignored.
//!
//! # What is measured, and how (as `mpibench.c`)
//!
//! - **Ping-pong** (n = 2 only): rank 0 sends, rank 1 sends back; after a
//!   barrier, a straight loop of `iters` round trips is timed and one-way
//!   latency is the round trip / 2 (no median, no outlier removal). A
//!   warm-up of `iters / 10` round trips comes first. 20 000 iterations
//!   below 64 KiB, 200 from 64 KiB. MB/s is bytes / one-way us.
//! - **Collectives** at 8 B and 1 MiB of `f64` (1 and 131 072 elements):
//!   bcast, reduce (sum), allreduce (sum), gather, scatter, allgather, all
//!   rooted at 0. `iters / 10` warm-up calls, a barrier, then `iters` calls
//!   timed in a loop (2000 at 8 B, 50 at 1 MiB); each rank's time per call
//!   is reduced with max to rank 0. The loop is not synchronised, so for
//!   rooted operations at 8 B it measures pipelined throughput rather than
//!   latency, as the peers' figures do. MB/s is the per-rank message size
//!   over that time.
//! - **Barrier**: after one barrier, 5000 barriers in a loop, rank 0's time
//!   per barrier (no reduce, as `mpibench.c`).
//!
//! Buffers are the same as the C program's: the ping-pong buffer (4 MiB of
//! ones), `a` with 4 MiB of `f64` (`a[i] = rank + i`), and `b` of n × 4 MiB,
//! left unwritten as in the C program, so that its page faults fall in the
//! warm-up calls rather than in the timed loops.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use shmpi::{Communicator, Op};

/// Ping-pong message sizes, in bytes.
const PINGPONG_SIZES: [usize; 8] = [0, 8, 64, 1024, 8192, 65536, 1 << 20, 1 << 22];
/// Collective sizes, in `f64` elements: 8 B and 1 MiB.
const COLL_COUNTS: [usize; 2] = [1, 1 << 17];
/// Bytes of the send buffer `a` (and of each rank's part of `b`).
const MAX_BYTES: usize = 1 << 22;
/// Barriers in the timed barrier loop.
const BARRIER_ITERS: usize = 5000;
/// Runs of the trivial program per start-up figure.
const STARTUP_RUNS: usize = 10;
/// Job sizes whose start-up is timed.
const STARTUP_N: [usize; 3] = [1, 2, 8];

fn main() -> ExitCode {
    if std::env::var_os("SHMPI_RANK").is_none() {
        return drive();
    }
    let result = if std::env::var("SHMPI_BENCH_ROLE").is_ok_and(|r| r == "hello") {
        hello()
    } else {
        rank_main()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engine bench: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------ driver

/// Parses a comma-separated list of numbers of at least `min`.
fn number_list(list: &str, min: usize, what: &str) -> Result<Vec<usize>, String> {
    list.split(',')
        .map(|s| match s.trim().parse::<usize>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(format!("'{s}' in '{list}' is not {what}")),
        })
        .collect()
}

/// The job sizes to run: `-n LIST` on the command line, else
/// `SHMPI_BENCH_N`, else 2, 4, 8.
fn job_sizes() -> Result<Vec<usize>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let list = match args.iter().position(|a| a == "-n") {
        Some(i) => args
            .get(i + 1)
            .cloned()
            .ok_or("-n needs a list, e.g. -n 2,4")?,
        None => std::env::var("SHMPI_BENCH_N").unwrap_or_else(|_| "2,4,8".into()),
    };
    number_list(&list, 1, "a number of ranks")
}

fn drive() -> ExitCode {
    let shmrun = env!("CARGO_BIN_EXE_shmrun");
    let me = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("engine bench: cannot find my own executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sizes = match job_sizes() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("engine bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = std::env::var("SHMPI_BENCH_TIMEOUT").unwrap_or_else(|_| "600".into());
    let mut failed = false;
    for &n in &sizes {
        let status = Command::new(shmrun)
            .args(["-n", &n.to_string(), "--timeout", &timeout])
            .arg(&me)
            .env_remove("SHMPI_BENCH_ROLE")
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("engine bench: the job of {n} ranks failed ({s})");
                failed = true;
            }
            Err(e) => {
                eprintln!("engine bench: cannot run {shmrun}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if std::env::var("SHMPI_BENCH_STARTUP").is_ok_and(|v| v == "0") {
        return exit_code(failed);
    }
    println!("\n### Start-up: `shmrun -n N hello` (init, barrier, finalize), median of {STARTUP_RUNS} runs\n");
    println!("| n | ms |\n|---:|---:|");
    for n in STARTUP_N {
        let mut times = Vec::with_capacity(STARTUP_RUNS);
        for _ in 0..STARTUP_RUNS {
            let t0 = Instant::now();
            let status = Command::new(shmrun)
                .args(["-n", &n.to_string(), "--timeout", &timeout])
                .arg(&me)
                .env("SHMPI_BENCH_ROLE", "hello")
                .status();
            times.push(t0.elapsed());
            if !status.is_ok_and(|s| s.success()) {
                eprintln!("engine bench: start-up run of {n} ranks failed");
                failed = true;
            }
        }
        println!("| {n} | {:.1} |", median(&mut times).as_secs_f64() * 1e3);
    }
    exit_code(failed)
}

fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The trivial program of the start-up figure.
fn hello() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    universe.world().barrier()
}

// ------------------------------------------------------------------- ranks

/// One row of the table, printed by rank 0.
fn row(label: &str, bytes: usize, us: f64) {
    if bytes == 0 {
        println!("| {label} | {us:.3} | |");
    } else {
        println!("| {label} | {us:.3} | {:.1} |", bytes as f64 / us);
    }
}

fn size_label(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

fn rank_main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size() as usize);
    let elems = MAX_BYTES / 8;
    let mut buf = vec![1u8; MAX_BYTES];
    let mut a: Vec<f64> = (0..elems).map(|i| (rank as usize + i) as f64).collect();
    let mut b = vec![0.0f64; elems * size];

    if rank == 0 {
        println!(
            "\n### shmpi, n = {size} (cma: {})\n",
            universe.single_copy()
        );
        println!("| size / op | us | MB/s |\n|---|---:|---:|");
    }
    let sizes = match std::env::var("SHMPI_BENCH_SIZES") {
        Ok(list) => number_list(&list, 0, "a size in bytes").map_err(|e| {
            shmpi::Error::new(shmpi::ErrorClass::Arg, format!("SHMPI_BENCH_SIZES: {e}"))
        })?,
        Err(_) => PINGPONG_SIZES.to_vec(),
    };
    if size == 2 {
        if let Some(&big) = sizes.iter().max() {
            buf.resize(buf.len().max(big), 1);
        }
        for bytes in sizes {
            let iters = if bytes >= 65536 { 200 } else { 20000 };
            pingpong(&world, &mut buf[..bytes], iters / 10)?;
            let us = pingpong(&world, &mut buf[..bytes], iters)?;
            if rank == 0 {
                row(&format!("latency {}", size_label(bytes)), bytes, us);
            }
        }
    }
    if std::env::var("SHMPI_BENCH_COLL").is_ok_and(|v| v == "0") {
        return Ok(());
    }
    for count in COLL_COUNTS {
        let iters = if count == 1 { 2000 } else { 50 };
        let bytes = count * 8;
        let label = |op: &str| format!("{op} {}", size_label(bytes));
        let (a, b) = (&mut a[..], &mut b[..]);
        let sum = Op::sum();
        let t = timed(&world, iters, |w| w.bcast(&mut a[..count], 0))?;
        report(&world, &label("bcast"), bytes, t)?;
        let t = timed(&world, iters, |w| {
            w.reduce(&a[..count], &mut b[..count], &sum, 0)
        })?;
        report(&world, &label("reduce"), bytes, t)?;
        let t = timed(&world, iters, |w| {
            w.allreduce(&a[..count], &mut b[..count], &sum)
        })?;
        report(&world, &label("allreduce"), bytes, t)?;
        let t = timed(&world, iters, |w| {
            w.gather(&a[..count], &mut b[..count * size], 0)
        })?;
        report(&world, &label("gather"), bytes, t)?;
        let t = timed(&world, iters, |w| {
            w.scatter(&b[..count * size], &mut a[..count], 0)
        })?;
        report(&world, &label("scatter"), bytes, t)?;
        let t = timed(&world, iters, |w| {
            w.allgather(&a[..count], &mut b[..count * size])
        })?;
        report(&world, &label("allgather"), bytes, t)?;
    }
    world.barrier()?;
    let t0 = shmpi::wtime();
    for _ in 0..BARRIER_ITERS {
        world.barrier()?;
    }
    if rank == 0 {
        row(
            "barrier",
            0,
            (shmpi::wtime() - t0) / BARRIER_ITERS as f64 * 1e6,
        );
    }
    Ok(())
}

/// One-way latency in us: `iters` round trips between ranks 0 and 1, after
/// a barrier; other ranks do nothing.
fn pingpong(world: &Communicator, buf: &mut [u8], iters: usize) -> shmpi::Result<f64> {
    world.barrier()?;
    let t0 = shmpi::wtime();
    for _ in 0..iters {
        match world.rank() {
            0 => {
                world.send(&*buf, 1, 1)?;
                world.recv(buf, 1, 1)?;
            }
            1 => {
                world.recv(buf, 0, 1)?;
                world.send(&*buf, 0, 1)?;
            }
            _ => {}
        }
    }
    Ok((shmpi::wtime() - t0) / iters as f64 / 2.0 * 1e6)
}

/// This rank's us per call of `call`: `iters / 10` warm-up calls, a
/// barrier, then `iters` calls in a loop.
fn timed(
    world: &Communicator,
    iters: usize,
    mut call: impl FnMut(&Communicator) -> shmpi::Result<()>,
) -> shmpi::Result<f64> {
    for _ in 0..iters / 10 {
        call(world)?;
    }
    world.barrier()?;
    let t0 = shmpi::wtime();
    for _ in 0..iters {
        call(world)?;
    }
    Ok((shmpi::wtime() - t0) / iters as f64 * 1e6)
}

/// Reduces each rank's time with max to rank 0, which prints the row.
fn report(world: &Communicator, label: &str, bytes: usize, us: f64) -> shmpi::Result<()> {
    let mut max = [0.0f64];
    let recv: &mut [f64] = if world.rank() == 0 { &mut max } else { &mut [] };
    world.reduce(&[us], recv, &Op::max(), 0)?;
    if world.rank() == 0 {
        row(label, bytes, max[0]);
    }
    Ok(())
}
