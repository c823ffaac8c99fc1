//! Broadcast of an object: rank 0 builds the dict
//! `{'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}` and `bcast_object` gives
//! every rank a copy.
//!
//! `shmrun -n 4 target/release/examples/bcast_object`
//!
//! Every rank R prints
//! `Rank:  R , data:  {'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}`.
mod common;

use common::Value;

fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    let world = universe.world();
    let rank = world.rank();
    let data = (rank == 0).then(|| {
        Value::dict([
            ("key1", Value::List(vec![1.into(), 2.into(), 3.into()])),
            ("key2", Value::Tuple(vec!["abc".into(), "xyz".into()])),
        ])
    });
    let data = world.bcast_object(data, 0)?;
    println!("Rank:  {rank} , data:  {data}");
    Ok(())
}
