//! Broadcast of a typed buffer (mpi4py's uppercase `Bcast`): rank 0 holds
//! `np.linspace(0.0, 3.14, 10)`; its length goes out first as an object so
//! that the other ranks can allocate, then the doubles themselves.
//!
//! `shmrun -n 4 target/release/examples/bcast_array`
//!
//! Every rank R prints, as numpy would:
//!
//! ```text
//! Rank:  R , data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444
//!  2.09333333 2.44222222 2.79111111 3.14      ]
//! ```
mod common;

/// The tutorial's last value: 3.14 as written there, not pi.
#[allow(clippy::approx_constant)]
const STOP: f64 = 3.14;

fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let world = universe.world();
    let rank = world.rank();
    // In real code rank 0 might read these from a file.
    let (num_data, mut data) = if rank == 0 {
        let num_data: usize = 10;
        (Some(num_data), common::linspace(0.0, STOP, num_data))
    } else {
        (None, Vec::new())
    };
    let num_data = world.bcast_object(num_data, 0)?;
    if rank != 0 {
        data = vec![0.0; num_data];
    }
    world.bcast(&mut data[..], 0)?;
    common::say(&format!(
        "Rank:  {rank} , data received:  {}",
        common::array_str(&data)
    ));
    Ok(())
}
