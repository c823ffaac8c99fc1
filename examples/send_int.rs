//! Point to point with an object, an int this time: rank 0 sends `1` to
//! rank 1 with `send_object`, and rank 1 prints it.
//!
//! `shmrun -n 4 target/release/examples/send_int`
//!
//! Prints `On process 1, data is  1`. Needs 2 ranks.
mod common;

fn main() -> shmpi::Result<()> {
    let universe = common::require_ranks(shmpi::init()?, 2, "send_int");
    let world = universe.world();
    match world.rank() {
        0 => {
            let idata: i64 = 1;
            world.send_object(&idata, 1, 0)?;
        }
        1 => {
            let (idata, _): (i64, _) = world.recv_object(0, 0)?;
            println!("On process 1, data is  {idata}");
        }
        _ => {}
    }
    Ok(())
}
