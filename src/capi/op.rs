//! Reduction operations: predefined ones and those made by MPI_Op_create.

use std::os::raw::{c_int, c_void};

use super::handle::{Kind, Table};

/// `void f(void *invec, void *inoutvec, int *len, MPI_Datatype *type)`.
pub type UserFn = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_int, *mut c_int);

/// An op made by MPI_Op_create.
#[derive(Clone, Copy)]
pub struct UserOp {
    /// The user's function.
    pub f: UserFn,
    /// Whether it commutes.
    pub commute: bool,
}

/// The op table.
pub struct Ops {
    /// User ops.
    pub table: Table<UserOp>,
}

impl Default for Ops {
    fn default() -> Ops {
        Ops {
            table: Table::new(Kind::Op),
        }
    }
}
