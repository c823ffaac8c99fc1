//! Reduce: every rank holds one double, its rank (a 0-d numpy array in
//! the tutorial); rank 0 receives their sum and their maximum.
//!
//! `shmrun -n 4 target/release/examples/reduce`
//!
//! Every rank R prints ` Rank:  R  value =  R.0`; rank 0 then prints
//! ` Rank 0: value_sum =     6.0` and ` Rank 0: value_max =     3.0`
//! (the spacing is that of the Python source's `print` calls).
mod common;

use shmpi::Op;

fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let world = universe.world();
    let rank = world.rank();
    let value = [rank as f64];
    println!(" Rank:  {rank}  value =  {}", common::scalar_str(value[0]));
    // The results, meaningful on the root only.
    let mut value_sum = [0.0f64];
    let mut value_max = [0.0f64];
    world.reduce(&value, &mut value_sum, &Op::sum(), 0)?;
    world.reduce(&value, &mut value_max, &Op::max(), 0)?;
    if rank == 0 {
        println!(
            " Rank 0: value_sum =     {}",
            common::scalar_str(value_sum[0])
        );
        println!(
            " Rank 0: value_max =     {}",
            common::scalar_str(value_max[0])
        );
    }
    Ok(())
}
