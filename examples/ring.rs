//! A token passed around all ranks: rank 0 starts it, every rank adds its
//! rank and passes it on, and rank 0 prints what came back.
//!
//! `shmrun -n 4 target/release/examples/ring`
fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let next = (rank + 1) % size;
    let prev = (rank + size - 1) % size;
    let mut token = 0i64;
    if rank == 0 {
        world.send(&token, next, 0)?;
        world.recv(&mut token, prev, 0)?;
        println!(
            "Rank 0 received the token back from rank {prev}: {token} (sum of ranks {})",
            size * (size - 1) / 2
        );
    } else {
        world.recv(&mut token, prev, 0)?;
        println!("Rank {rank} received the token {token} from rank {prev}");
        token += rank as i64;
        world.send(&token, next, 0)?;
    }
    Ok(())
}
