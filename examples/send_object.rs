//! Point to point with an object: rank 0 sends the dict
//! `{'a': 7, 'b': 3.14}` to rank 1 (mpi4py's lowercase `send`, which
//! pickles; here serde), and rank 1 prints it as Python does.
//!
//! `shmrun -n 4 target/release/examples/send_object`
//!
//! Prints `On process 1, data is  {'a': 7, 'b': 3.14}`. Needs 2 ranks.
mod common;

use common::Value;

fn main() -> shmpi::Result<()> {
    let universe = common::require_ranks(shmpi::init()?, 2, "send_object");
    let world = universe.world();
    match world.rank() {
        0 => {
            // 3.14 is the tutorial's value, not an approximation of pi.
            #[allow(clippy::approx_constant)]
            let data = Value::dict([("a", 7.into()), ("b", 3.14.into())]);
            world.send_object(&data, 1, 0)?;
        }
        1 => {
            let (data, _): (Value, _) = world.recv_object(0, 0)?;
            println!("On process 1, data is  {data}");
        }
        _ => {}
    }
    Ok(())
}
