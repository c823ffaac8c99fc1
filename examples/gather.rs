//! Gather, the inverse of scatter: every rank holds 10 values,
//! `np.linspace(rank*10+1, (rank+1)*10, 10)`, and rank 0 receives all
//! `size*10` of them in rank order.
//!
//! `shmrun -n 4 target/release/examples/gather`
//!
//! Every rank R prints `Rank:  R , sendbuf:  [...]`; rank 0 then prints
//! `Rank:  0 , recvbuf received:  [ 1.  2.  3. ...` with 1 ... size*10.
mod common;

const NUM_DATA_PER_RANK: usize = 10;

fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size() as usize);
    let first = rank as usize * NUM_DATA_PER_RANK + 1;
    let last = (rank as usize + 1) * NUM_DATA_PER_RANK;
    let sendbuf = common::linspace(first as f64, last as f64, NUM_DATA_PER_RANK);
    common::say(&format!(
        "Rank:  {rank} , sendbuf:  {}",
        common::array_str(&sendbuf)
    ));
    // Only the root receives; the others pass an empty buffer.
    let recv_len = if rank == 0 {
        NUM_DATA_PER_RANK * size
    } else {
        0
    };
    let mut recvbuf = vec![0.0f64; recv_len];
    world.gather(&sendbuf, &mut recvbuf, 0)?;
    if rank == 0 {
        common::say(&format!(
            "Rank:  {rank} , recvbuf received:  {}",
            common::array_str(&recvbuf)
        ));
    }
    Ok(())
}
