//! shmpi: an MPI for one machine.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod shm;
