//! The C interface: `extern "C"` entry points with MPICH's binary
//! interface (the ABI of `libmpi.so.12`), over the Rust API and the engine.
//!
//! The crate builds as a cdylib, `libshmpi.so`, whose SONAME is
//! `libmpi.so.12`; `include/mpi.h` is its header. Every entry point is
//! exported twice, as `PMPI_Name` (the implementation) and `MPI_Name` (a
//! call of it), so that profiling tools can intercept the `MPI_` names.
//!
//! The layers of this module:
//! - [`handle`]: how handles encode objects; [`state`]: the one MPI state
//!   of the process and its lock; [`errors`]: error codes, handlers and
//!   [`errors::call`], which every entry point's body runs in.
//! - [`typemap`] and [`reduce`]: datatypes and predefined reductions as
//!   plain data, without handles.
//! - One module per family of entry points: [`env`], [`comm`], [`p2p`],
//!   [`message`] and [`request`], [`coll`], [`dtype`] (handles) and
//!   [`dtype_fns`] (its entry points), [`op`], [`info`], [`attr`].
//!
//! An entry point checks its arguments (handles, ranks, tags, counts,
//! pointers) and raises an error of the right class, with a message that
//! names the call and the values, through the communicator's error handler.
// The entry points' contract is the MPI standard's (pointers the caller
// passes are valid as it says), not Rust's: helpers here take the C
// arguments as they come, and MPI calls take many of them.
#![allow(
    clippy::missing_safety_doc,
    clippy::not_unsafe_ptr_arg_deref,
    clippy::too_many_arguments
)]

pub mod address;
pub mod attr;
pub mod coll;
pub mod comm;
pub mod consts;
pub mod dtype;
pub mod dtype_fns;
pub mod env;
pub mod errhandler;
pub mod errors;
pub mod family;
pub mod group;
pub mod handle;
pub mod info;
pub mod interop;
pub mod message;
pub mod op;
pub mod p2p;
pub mod reduce;
pub mod request;
pub mod state;
pub mod topo;
pub mod typemap;
pub mod unsupported;

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

use crate::error::{mpi_err, Result};

/// Defines an entry point: `PMPI_Name` with the body, and `MPI_Name`
/// calling it.
macro_rules! mpi_fn {
    (fn $name:ident / $pname:ident ( $($arg:ident : $ty:ty),* $(,)? ) -> $ret:ty $body:block) => {
        #[no_mangle]
        #[allow(non_snake_case)]
        #[doc = concat!("`", stringify!($name), "` of the MPI standard.")]
        pub unsafe extern "C" fn $pname($($arg: $ty),*) -> $ret $body

        #[no_mangle]
        #[allow(non_snake_case)]
        #[doc = concat!("`", stringify!($name), "`: calls `", stringify!($pname), "`.")]
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> $ret {
            // SAFETY: the same contract as the PMPI_ function.
            unsafe { $pname($($arg),*) }
        }
    };
}
pub(crate) use mpi_fn;

/// Writes `v` to the output argument `p` named `what`.
pub fn out<T>(what: &str, p: *mut T, v: T) -> Result<()> {
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    // SAFETY: `p` is not null; the MPI standard makes it point to a `T`
    // the caller owns.
    unsafe { p.write(v) };
    Ok(())
}

/// Reads the C string argument `what`.
pub fn read_str(what: &str, p: *const c_char) -> Result<String> {
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    // SAFETY: `p` is not null and, as the standard requires, points to a
    // NUL-terminated string.
    Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Writes `s` as a C string of at most `max` bytes (NUL included) to
/// `buf`, and its length to `len` (when `len` is not null).
pub fn write_str(what: &str, buf: *mut c_char, len: *mut c_int, s: &str, max: usize) -> Result<()> {
    if buf.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    let mut n = s.len().min(max - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: the standard makes `buf` hold at least `max` bytes
    // (MPI_MAX_OBJECT_NAME, MPI_MAX_ERROR_STRING, ...); n + 1 <= max.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf as *mut u8, n);
        *buf.add(n) = 0;
    }
    if !len.is_null() {
        // SAFETY: not null; points to the caller's int.
        unsafe { *len = n as c_int };
    }
    Ok(())
}
