//! shmpi: an MPI for one machine.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod shm;
pub mod engine;
pub mod error;

pub use error::{Error, ErrorClass, Result};
