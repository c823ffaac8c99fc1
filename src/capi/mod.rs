//! The C interface: MPICH's binary interface over the Rust API.

pub mod reduce;
pub mod typemap;
