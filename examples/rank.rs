//! The tutorial's first program (comm.py): every rank prints its rank in
//! the world communicator.
//!
//! `shmrun -n 4 target/release/examples/rank`
//!
//! Prints, in some order, `My rank is  0` ... `My rank is  3` (two spaces:
//! Python's `print('My rank is ', rank)` joins its arguments with one).
fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let rank = universe.world().rank();
    println!("My rank is  {rank}");
    Ok(())
}
