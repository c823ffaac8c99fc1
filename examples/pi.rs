//! Computes pi as the integral of 4/(1+x²) over [0, 1] by the midpoint
//! rule: the intervals are split into one contiguous block per rank, each
//! rank sums its block, and `reduce` with `Op::sum` adds the blocks on
//! rank 0, which prints the value, its error, the rank count and the wall
//! time. Run it at 1, 2, 4 ... ranks to see how it scales with the cores.
//!
//! `shmrun -n 4 target/release/examples/pi [INTERVALS]`
//!
//! INTERVALS defaults to 10_000_000 (underscores allowed). Prints:
//!
//! ```text
//! pi is approximately 3.1415926535897..., error 1.2e-14
//! 10000000 intervals on 4 ranks in 0.012345 s
//! ```
use shmpi::Op;

const DEFAULT_INTERVALS: u64 = 10_000_000;

fn main() -> shmpi::Result<()> {
    // Read the argument before init, so that a bad one ends the process
    // before it joins the job.
    let intervals = match std::env::args().nth(1) {
        None => DEFAULT_INTERVALS,
        Some(arg) => match arg.replace('_', "").parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("pi: the number of intervals must be a positive integer, not {arg:?}");
                std::process::exit(2);
            }
        },
    };
    let universe = shmpi::init()?;
    let world = universe.world();
    let (rank, size) = (world.rank() as u64, world.size() as u64);

    world.barrier()?;
    let start = shmpi::wtime();
    // Blocks differ by at most one interval; u128 keeps n * rank exact.
    let block = |r: u64| (intervals as u128 * r as u128 / size as u128) as u64;
    let h = 1.0 / intervals as f64;
    let sum: f64 = (block(rank)..block(rank + 1))
        .map(|i| {
            let x = h * (i as f64 + 0.5);
            4.0 / (1.0 + x * x)
        })
        .sum();
    let mut pi = [0.0f64];
    world.reduce(&[h * sum], &mut pi, &Op::sum(), 0)?;
    let elapsed = shmpi::wtime() - start;

    if rank == 0 {
        let pi = pi[0];
        println!(
            "pi is approximately {pi:.16}, error {:.2e}",
            (pi - std::f64::consts::PI).abs()
        );
        println!("{intervals} intervals on {size} ranks in {elapsed:.6} s");
    }
    Ok(())
}
