//! Language interoperability of statuses: a C `MPI_Status`, a Fortran
//! status (`MPI_F_STATUS_SIZE` = 5 `MPI_Fint`s) and a Fortran 2008
//! `MPI_F08_status` hold the same five integers in the same order
//! (count_lo, count_hi_and_cancelled, MPI_SOURCE, MPI_TAG, MPI_ERROR), as
//! in MPICH; each conversion copies them.

use std::os::raw::c_int;

use super::consts::*;
use super::errors::call;
use super::errors::NO_OBJECT;
use super::mpi_fn;
use crate::error::{mpi_err, Result};

/// The number of integers in every form of a status.
const WORDS: usize = 5;

/// Copies a status of five integers from `from` to `to`, refusing null
/// pointers and the IGNORE constants (MPI_STATUS_IGNORE and MPI_STATUSES_IGNORE are both 1; neither holds a status).
fn copy(from: *const c_int, to: *mut c_int, names: (&str, &str)) -> Result<()> {
    for (p, name) in [(from as usize, names.0), (to as usize, names.1)] {
        if p == 0 || p == MPI_STATUS_IGNORE {
            return mpi_err!(
                Arg,
                "{name} is a null pointer or a STATUS(ES)_IGNORE constant"
            );
        }
    }
    // SAFETY: both point to a status (five integers) of the caller, as the
    // standard requires; `copy` allows them to overlap.
    unsafe { std::ptr::copy(from, to, WORDS) };
    Ok(())
}

/// Defines a status conversion entry point.
macro_rules! convert {
    ($name:ident / $pname:ident, $from:ident: $fty:ty, $to:ident: $tty:ty) => {
        mpi_fn! {
            fn $name / $pname($from: *const $fty, $to: *mut $tty) -> c_int {
                call(stringify!($name), NO_OBJECT, || {
                    copy($from as *const c_int, $to as *mut c_int, (stringify!($from), stringify!($to)))
                })
            }
        }
    };
}

convert!(MPI_Status_c2f / PMPI_Status_c2f, c_status: MPI_Status, f_status: c_int);
convert!(MPI_Status_f2c / PMPI_Status_f2c, f_status: c_int, c_status: MPI_Status);
convert!(MPI_Status_c2f08 / PMPI_Status_c2f08, c_status: MPI_Status, f08_status: MPI_Status);
convert!(MPI_Status_f082c / PMPI_Status_f082c, f08_status: MPI_Status, c_status: MPI_Status);
convert!(MPI_Status_f082f / PMPI_Status_f082f, f08_status: MPI_Status, f_status: c_int);
convert!(MPI_Status_f2f08 / PMPI_Status_f2f08, f_status: c_int, f08_status: MPI_Status);
