//! The trivial program of the start-up figures: init, one barrier,
//! finalize, and nothing printed, as the peers' `hello.c`.
//!
//! `time shmrun -n 8 target/release/examples/hello`
fn main() -> shmpi::Result<()> {
    let universe = shmpi::init()?;
    universe.world().barrier()
}
