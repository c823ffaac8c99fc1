//! Reduction operations: predefined ones (see [`reduce`](super::reduce))
//! and those made by MPI_Op_create, and the entry points that make, query
//! and free them.
//!
//! A user function is called on the user's buffer layout (see
//! [`call_user`]), never while the state's lock is held: it may call MPI.

use std::os::raw::{c_int, c_void};

use super::consts::*;
use super::errors::call;
use super::errors::NO_OBJECT;
use super::handle::{Kind, Table};
use super::mpi_fn;
use super::reduce::PredefOp;
use super::state::with;
use super::typemap::TypeMap;
use crate::error::{mpi_err, mpi_error, Result};

/// `void f(void *invec, void *inoutvec, int *len, MPI_Datatype *type)`.
pub type UserFn = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_int, *mut c_int);

/// `void f(void *invec, void *inoutvec, MPI_Count *len, MPI_Datatype *type)`
/// (MPI_Op_create_c).
pub type UserFnC = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut i64, *mut c_int);

/// A user function of either kind.
#[derive(Clone, Copy)]
pub enum UserFunction {
    /// From MPI_Op_create.
    Int(UserFn),
    /// From MPI_Op_create_c.
    Count(UserFnC),
}

/// An op made by MPI_Op_create.
#[derive(Clone, Copy)]
pub struct UserOp {
    /// The user's function.
    pub f: UserFunction,
    /// Whether it commutes.
    pub commute: bool,
}

/// What an op handle stands for.
#[derive(Clone, Copy)]
pub enum OpRef {
    /// MPI_MAX ... MPI_NO_OP.
    Predef(PredefOp),
    /// An op made by MPI_Op_create(_c).
    User(UserOp),
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

impl Ops {
    /// The op of handle `h`, or an MPI_ERR_OP error.
    pub fn get(&self, h: c_int) -> Result<OpRef> {
        if let Some(p) = PredefOp::from_handle(h) {
            return Ok(OpRef::Predef(p));
        }
        match self.table.get(h) {
            Some(u) => Ok(OpRef::User(*u)),
            None if h == MPI_OP_NULL => mpi_err!(Op, "op is MPI_OP_NULL"),
            None => mpi_err!(Op, "{h:#x} is not a valid op handle (freed, or never made)"),
        }
    }
}

/// The op of handle `h`.
pub fn op_of(h: c_int) -> Result<OpRef> {
    with(|m| {
        m.check_running()?;
        m.ops.get(h)
    })
}

/// Calls user function `f` on `len` elements of datatype `dt` at `invec`
/// and `inoutvec` (the user's layout), in pieces of at most `c_int::MAX`
/// elements for MPI_Op_create's functions.
///
/// # Safety
/// Both pointers must address `len` elements of the type map of `dt`,
/// whose extent is `extent`; `inoutvec` writable.
pub unsafe fn call_user(
    f: UserFunction,
    invec: *mut u8,
    inoutvec: *mut u8,
    len: usize,
    dt: c_int,
    extent: isize,
) {
    let mut dt = dt;
    match f {
        UserFunction::Count(f) => {
            let mut n = len as i64;
            // SAFETY: the caller's contract is the user function's.
            unsafe {
                f(
                    invec as *mut c_void,
                    inoutvec as *mut c_void,
                    &mut n,
                    &mut dt,
                )
            };
        }
        UserFunction::Int(f) => {
            let mut done = 0usize;
            while done < len {
                let part = (len - done).min(c_int::MAX as usize);
                let mut n = part as c_int;
                let at = done as isize * extent;
                // SAFETY: elements done..done + part of the caller's buffers.
                unsafe {
                    f(
                        invec.wrapping_offset(at) as *mut c_void,
                        inoutvec.wrapping_offset(at) as *mut c_void,
                        &mut n,
                        &mut dt,
                    )
                };
                done += part;
            }
        }
    }
}

/// Checks that predefined op `op` may reduce datatype `t` in a collective
/// reduction or MPI_Reduce_local (MPI_ERR_OP). MPI_REPLACE and MPI_NO_OP
/// are one-sided accumulate operations: refused here, as MPICH does.
pub fn check_predef(op: PredefOp, t: &TypeMap) -> Result<()> {
    if matches!(op, PredefOp::Replace | PredefOp::NoOp) {
        return mpi_err!(
            Op,
            "{} is for one-sided accumulate operations, not reductions",
            op.name()
        );
    }
    super::reduce::apply(op, t, &[], &mut []).map_err(|e| mpi_error!(Op, "{e}"))
}

fn create(name: &'static str, f: UserFunction, commute: c_int, op: *mut c_int) -> c_int {
    call(name, NO_OBJECT, || {
        if op.is_null() {
            return mpi_err!(Arg, "op is a null pointer");
        }
        let h = with(|m| {
            m.check_running()?;
            Ok(m.ops.table.insert(UserOp {
                f,
                commute: commute != 0,
            }))
        })?;
        super::out("op", op, h)
    })
}

mpi_fn! {
    fn MPI_Op_create / PMPI_Op_create(user_fn: Option<UserFn>, commute: c_int, op: *mut c_int) -> c_int {
        match user_fn {
            Some(f) => create("MPI_Op_create", UserFunction::Int(f), commute, op),
            None => call("MPI_Op_create", NO_OBJECT, || mpi_err!(Arg, "user_fn is a null pointer")),
        }
    }
}

mpi_fn! {
    fn MPI_Op_create_c / PMPI_Op_create_c(user_fn: Option<UserFnC>, commute: c_int, op: *mut c_int) -> c_int {
        match user_fn {
            Some(f) => create("MPI_Op_create_c", UserFunction::Count(f), commute, op),
            None => call("MPI_Op_create_c", NO_OBJECT, || mpi_err!(Arg, "user_fn is a null pointer")),
        }
    }
}

mpi_fn! {
    fn MPI_Op_free / PMPI_Op_free(op: *mut c_int) -> c_int {
        call("MPI_Op_free", NO_OBJECT, || {
            if op.is_null() {
                return mpi_err!(Arg, "op is a null pointer");
            }
            // SAFETY: not null; points to the caller's MPI_Op.
            let h = unsafe { *op };
            with(|m| {
                m.check_running()?;
                if let Some(p) = PredefOp::from_handle(h) {
                    return mpi_err!(Op, "{} is predefined and cannot be freed", p.name());
                }
                m.ops.get(h)?;
                m.ops.table.remove(h);
                Ok(())
            })?;
            super::out("op", op, MPI_OP_NULL)
        })
    }
}

mpi_fn! {
    fn MPI_Op_commutative / PMPI_Op_commutative(op: c_int, commute: *mut c_int) -> c_int {
        call("MPI_Op_commutative", NO_OBJECT, || {
            let c = match op_of(op)? {
                OpRef::Predef(_) => true,
                OpRef::User(u) => u.commute,
            };
            super::out("commute", commute, c as c_int)
        })
    }
}
