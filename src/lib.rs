//! shmpi: an MPI for one machine.
//!
//! `shmrun -n 8 ./prog` starts 8 ranks of a program; they talk through one
//! shared-memory segment. The crate is layered, each layer depending only
//! on the one below:
//!
//! - [`shm`]: the segment and its lock-free structures (rings, doorbells,
//!   collective slots): all the unsafe memory code.
//! - [`engine`]: matching, requests, progress, collective algorithms.
//! - the Rust API, re-exported here: [`init`], [`Communicator`],
//!   [`scope`] and requests, [`Op`].
//!
//! ```
//! let universe = shmpi::init().unwrap();
//! let world = universe.world();
//! let mut x = [0.0f64; 3];
//! if world.rank() == 0 {
//!     x = [1.0, 2.0, 3.0];
//! }
//! world.bcast(&mut x[..], 0).unwrap();
//! assert_eq!(x, [1.0, 2.0, 3.0]);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod api;
pub mod capi;
pub mod engine;
pub mod error;
pub mod shm;

pub use api::buffer::{Buffer, BufferMut};
pub use api::comm::{Communicator, PROC_NULL};
pub use api::op::{Integer, Number, Op, ValueIndex};
pub use api::request::{scope, wait_all, wait_any, Request, Scope};
pub use api::{decode, encode, init, wtime, Status, Universe};
pub use engine::p2p::{ANY_SOURCE, ANY_TAG};
pub use error::{Error, ErrorClass, Result};

/// The README's code, compiled and run as a doctest so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
