//! Point to point with a typed buffer (mpi4py's uppercase `Send`/`Recv`:
//! no pickling, the doubles are copied as they are). Rank 0 first sends
//! the count as an object, so that rank 1 can allocate the buffer, then
//! the 10 doubles of `np.linspace(0.0, 3.14, 10)`.
//!
//! `shmrun -n 4 target/release/examples/send_array`
//!
//! Rank 1 prints, as numpy would:
//!
//! ```text
//! Number of data to receive:  10
//! data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444
//!  2.09333333 2.44222222 2.79111111 3.14      ]
//! ```
//!
//! Needs 2 ranks.
mod common;

/// The tutorial's last value: 3.14 as written there, not pi.
#[allow(clippy::approx_constant)]
const STOP: f64 = 3.14;

fn main() -> shmpi::Result<()> {
    let universe = common::require_ranks(shmpi::init()?, 2, "send_array");
    let world = universe.world();
    match world.rank() {
        0 => {
            // In real code this might come from a file.
            let num_data: usize = 10;
            world.send_object(&num_data, 1, 0)?;
            let data = common::linspace(0.0, STOP, num_data);
            world.send(&data[..], 1, 0)?;
        }
        1 => {
            let (num_data, _): (usize, _) = world.recv_object(0, 0)?;
            println!("Number of data to receive:  {num_data}");
            let mut data = vec![0.0f64; num_data];
            world.recv(&mut data[..], 0, 0)?;
            common::say(&format!("data received:  {}", common::array_str(&data)));
        }
        _ => {}
    }
    Ok(())
}
