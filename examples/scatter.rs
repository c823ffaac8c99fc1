//! Scatter: rank 0 holds `np.linspace(1, size*10, size*10)` and every rank
//! (rank 0 included) receives its own 10 consecutive values: rank r gets
//! 10r+1 ... 10r+10.
//!
//! `shmrun -n 4 target/release/examples/scatter`
//!
//! Rank 1 prints `Rank:  1 , recvbuf received:  [11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]`.
mod common;

const NUM_DATA_PER_RANK: usize = 10;

fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size() as usize);
    let n = size * NUM_DATA_PER_RANK;
    // Only the root's send buffer is read.
    let data = if rank == 0 {
        common::linspace(1.0, n as f64, n)
    } else {
        Vec::new()
    };
    let mut recvbuf = vec![0.0f64; NUM_DATA_PER_RANK];
    world.scatter(&data, &mut recvbuf, 0)?;
    common::say(&format!(
        "Rank:  {rank} , recvbuf received:  {}",
        common::array_str(&recvbuf)
    ));
    Ok(())
}
