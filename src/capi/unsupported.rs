//! The functions of `mpi.h` that shmpi does not implement, exported as
//! honest errors, and the few header symbols that are not entry points.
//!
//! build.rs writes a stub pair `MPI_Name` / `PMPI_Name` for every
//! `int`-returning function of the header that no other module defines;
//! each calls [`unsupported`], which raises MPI_ERR_UNSUPPORTED_OPERATION
//! as an error tied to no object (so under the default MPI_ERRORS_ARE_FATAL the job
//! ends with one line saying what is missing, and under
//! MPI_ERRORS_RETURN the caller gets the class and MPI_Error_string says
//! "MPI_Win_create: shmpi does not support one-sided communication
//! (windows) yet"). The stubs take no parameters: the caller's arguments
//! are ignored, which the C calling convention allows for a function that
//! only returns an `int` (see build.rs). [`UNSUPPORTED`] lists them, and
//! [`HEADER_FUNCTIONS`] every function of the header; the README's support
//! table is generated from both (tests/exports.rs).
//!
//! The functions of the header that return something other than an error
//! code cannot be stubs; those of unsupported families are written here.

use std::os::raw::c_int;

use super::errors::raise_code;
use super::errors::NO_OBJECT;
use super::family::unsupported_message;
use crate::error::ErrorClass;

include!(concat!(env!("OUT_DIR"), "/unsupported.rs"));

/// Raises MPI_ERR_UNSUPPORTED_OPERATION for function `name` (tied to no
/// object: see `errors`) and returns its code.
pub fn unsupported(name: &'static str) -> c_int {
    raise_code(
        name,
        NO_OBJECT,
        ErrorClass::UnsupportedOperation as c_int,
        unsupported_message(name),
    )
}

/// A pointer exported as a constant data symbol (`T * const` in C).
#[repr(transparent)]
pub struct ConstPtr<T>(pub *mut T);

// SAFETY: the pointer is never written, and what it points to is never
// read or written through it by shmpi: it is only an address to compare.
unsafe impl<T> Sync for ConstPtr<T> {}

/// What MPI_UNWEIGHTED points to (only its address matters).
static UNWEIGHTED: c_int = 0x5eed_0001;
/// What MPI_WEIGHTS_EMPTY points to (only its address matters).
static WEIGHTS_EMPTY: c_int = 0x5eed_0002;

/// `int * const MPI_UNWEIGHTED`: the weights argument of an unweighted
/// graph; an address of its own, distinct from any array and from
/// MPI_WEIGHTS_EMPTY, as in MPICH.
#[no_mangle]
pub static MPI_UNWEIGHTED: ConstPtr<c_int> = ConstPtr(std::ptr::addr_of!(UNWEIGHTED) as *mut c_int);

/// `int * const MPI_WEIGHTS_EMPTY`: the weights of a node with no edges.
#[no_mangle]
pub static MPI_WEIGHTS_EMPTY: ConstPtr<c_int> =
    ConstPtr(std::ptr::addr_of!(WEIGHTS_EMPTY) as *mut c_int);

/// `MPI_F08_status` as mpi.h declares it: count_lo,
/// count_hi_and_cancelled, MPI_SOURCE, MPI_TAG, MPI_ERROR.
#[repr(C)]
pub struct F08Status {
    /// The five fields, in the header's order.
    pub words: [c_int; 5],
}

/// The status object MPI_F08_STATUS_IGNORE points to.
static mut F08_STATUS_IGNORE: F08Status = F08Status { words: [0; 5] };
/// The status array MPI_F08_STATUSES_IGNORE points to.
static mut F08_STATUSES_IGNORE: [F08Status; 1] = [F08Status { words: [0; 5] }];

/// `MPI_Fint *MPI_F_STATUS_IGNORE`: null, as in MPICH (whose Fortran
/// bindings set it; shmpi has none). A writable C variable, hence `mut`.
#[no_mangle]
pub static mut MPI_F_STATUS_IGNORE: *mut c_int = std::ptr::null_mut();

/// `MPI_Fint *MPI_F_STATUSES_IGNORE`: null, as in MPICH.
#[no_mangle]
pub static mut MPI_F_STATUSES_IGNORE: *mut c_int = std::ptr::null_mut();

/// `MPI_F08_status *MPI_F08_STATUS_IGNORE`: the address of a status
/// object of the library, as in MPICH.
#[no_mangle]
pub static mut MPI_F08_STATUS_IGNORE: *mut F08Status = std::ptr::addr_of_mut!(F08_STATUS_IGNORE);

/// `MPI_F08_status *MPI_F08_STATUSES_IGNORE`: the address of a status
/// array of the library, as in MPICH.
#[no_mangle]
pub static mut MPI_F08_STATUSES_IGNORE: *mut F08Status =
    std::ptr::addr_of_mut!(F08_STATUSES_IGNORE) as *mut F08Status;
