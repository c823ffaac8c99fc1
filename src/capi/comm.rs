//! Communicators and groups: their handles, and the entry points that
//! make, compare, name and free them.

use std::collections::BTreeMap;
use std::os::raw::{c_char, c_int};

use super::consts::*;
use super::errors::call;
use super::handle::{Kind, Table};
use super::state::{with, Mpi};
use super::{mpi_fn, out, read_str, write_str};
use crate::api::comm::Communicator;
use crate::error::{mpi_err, Result};

/// What a communicator handle stands for.
pub struct CommObj {
    /// The communicator of the Rust API.
    pub comm: Communicator,
    /// Its error handler (a handle).
    pub errhandler: c_int,
    /// Its name (MPI_Comm_set_name).
    pub name: String,
    /// Attributes: keyval -> value.
    pub attrs: BTreeMap<c_int, usize>,
}

impl CommObj {
    /// A communicator with the default error handler and no name.
    pub fn new(comm: Communicator, name: &str) -> CommObj {
        CommObj {
            comm,
            errhandler: MPI_ERRORS_ARE_FATAL,
            name: name.into(),
            attrs: BTreeMap::new(),
        }
    }
}

/// A group: world ranks in group rank order.
pub type GroupObj = Vec<usize>;

/// The communicator and group tables.
pub struct Comms {
    /// MPI_COMM_WORLD, from MPI_Init to MPI_Finalize.
    pub world: Option<CommObj>,
    /// MPI_COMM_SELF, likewise.
    pub selfc: Option<CommObj>,
    /// Communicators made by the program.
    pub table: Table<CommObj>,
    /// Groups made by the program.
    pub groups: Table<GroupObj>,
}

impl Default for Comms {
    fn default() -> Comms {
        Comms {
            world: None,
            selfc: None,
            table: Table::new(Kind::Comm),
            groups: Table::new(Kind::Group),
        }
    }
}

impl Comms {
    /// The object of communicator handle `h`.
    pub fn get(&self, h: c_int) -> Option<&CommObj> {
        match h {
            MPI_COMM_WORLD => self.world.as_ref(),
            MPI_COMM_SELF => self.selfc.as_ref(),
            _ => self.table.get(h),
        }
    }

    /// The object of communicator handle `h`, mutably.
    pub fn get_mut(&mut self, h: c_int) -> Option<&mut CommObj> {
        match h {
            MPI_COMM_WORLD => self.world.as_mut(),
            MPI_COMM_SELF => self.selfc.as_mut(),
            _ => self.table.get_mut(h),
        }
    }

    /// The error handler errors on `h` go to: its own, or for an invalid
    /// communicator, that of MPI_COMM_WORLD.
    pub fn errhandler_of(&self, h: c_int) -> c_int {
        self.get(h)
            .or(self.world.as_ref())
            .map_or(MPI_ERRORS_ARE_FATAL, |c| c.errhandler)
    }

    /// The communicator of handle `h`, or an MPI_ERR_COMM error.
    pub fn comm(&self, h: c_int) -> Result<Communicator> {
        match self.get(h) {
            Some(c) => Ok(c.comm.clone()),
            None => bad_comm(h),
        }
    }

    /// The group of handle `h` (world ranks), or an MPI_ERR_GROUP error.
    pub fn group(&self, h: c_int) -> Result<GroupObj> {
        match h {
            MPI_GROUP_EMPTY => Ok(Vec::new()),
            _ => match self.groups.get(h) {
                Some(g) => Ok(g.clone()),
                None if h == MPI_GROUP_NULL => mpi_err!(Group, "group is MPI_GROUP_NULL"),
                None => mpi_err!(
                    Group,
                    "{h:#x} is not a valid group handle (freed, or never made)"
                ),
            },
        }
    }

    /// A handle for a new group (MPI_GROUP_EMPTY when it is empty).
    pub fn new_group(&mut self, g: GroupObj) -> c_int {
        if g.is_empty() {
            MPI_GROUP_EMPTY
        } else {
            self.groups.insert(g)
        }
    }
}

/// The error for an invalid communicator handle.
pub fn bad_comm<T>(h: c_int) -> Result<T> {
    if h == MPI_COMM_NULL {
        mpi_err!(Comm, "communicator is MPI_COMM_NULL")
    } else {
        mpi_err!(
            Comm,
            "{h:#x} is not a valid communicator handle (freed, or never made)"
        )
    }
}

/// The communicator of handle `h`.
pub fn comm_of(h: c_int) -> Result<Communicator> {
    with(|m| {
        m.check_running()?;
        m.comms.comm(h)
    })
}

impl Mpi {
    /// Refuses calls before MPI_Init and after MPI_Finalize.
    pub fn check_running(&self) -> Result<()> {
        match self.phase {
            super::state::Phase::Running => Ok(()),
            super::state::Phase::Before => {
                mpi_err!(Other, "MPI is not initialized (call MPI_Init first)")
            }
            super::state::Phase::Finalized => {
                mpi_err!(Other, "MPI has been finalized in this process")
            }
        }
    }
}

/// Registers a new communicator and writes its handle to `out`.
fn register(c: Option<Communicator>, parent: c_int, newcomm: *mut c_int) -> Result<()> {
    let h = with(|m| match c {
        Some(c) => {
            let errh = m.comms.errhandler_of(parent);
            let mut obj = CommObj::new(c, "");
            obj.errhandler = errh;
            m.comms.table.insert(obj)
        }
        None => MPI_COMM_NULL,
    });
    // SAFETY: the caller checked `newcomm` is not null.
    unsafe { *newcomm = h };
    Ok(())
}

mpi_fn! {
    fn MPI_Comm_size / PMPI_Comm_size(comm: c_int, size: *mut c_int) -> c_int {
        call("MPI_Comm_size", comm, || {
            let c = comm_of(comm)?;
            out("size", size, c.size())
        })
    }
}

mpi_fn! {
    fn MPI_Comm_rank / PMPI_Comm_rank(comm: c_int, rank: *mut c_int) -> c_int {
        call("MPI_Comm_rank", comm, || {
            let c = comm_of(comm)?;
            out("rank", rank, c.rank())
        })
    }
}

mpi_fn! {
    fn MPI_Comm_dup / PMPI_Comm_dup(comm: c_int, newcomm: *mut c_int) -> c_int {
        call("MPI_Comm_dup", comm, || {
            let c = comm_of(comm)?;
            out("newcomm", newcomm, MPI_COMM_NULL)?;
            let d = c.dup()?;
            register(Some(d), comm, newcomm)?;
            super::attr::copy_comm_attrs(comm, unsafe { *newcomm })
        })
    }
}

mpi_fn! {
    fn MPI_Comm_split / PMPI_Comm_split(comm: c_int, color: c_int, key: c_int, newcomm: *mut c_int) -> c_int {
        call("MPI_Comm_split", comm, || {
            let c = comm_of(comm)?;
            out("newcomm", newcomm, MPI_COMM_NULL)?;
            let colour = match color {
                MPI_UNDEFINED => None,
                c if c >= 0 => Some(c as u32),
                c => return mpi_err!(Arg, "color {c} is negative (use MPI_UNDEFINED to opt out)"),
            };
            let d = c.split(colour, key)?;
            register(d, comm, newcomm)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_free / PMPI_Comm_free(comm: *mut c_int) -> c_int {
        let h = if comm.is_null() { MPI_COMM_NULL } else { unsafe { *comm } };
        call("MPI_Comm_free", h, || {
            if comm.is_null() {
                return mpi_err!(Arg, "comm is a null pointer");
            }
            if h == MPI_COMM_WORLD || h == MPI_COMM_SELF {
                return mpi_err!(Comm, "MPI_COMM_WORLD and MPI_COMM_SELF cannot be freed");
            }
            comm_of(h)?;
            super::attr::delete_comm_attrs(h)?;
            with(|m| m.comms.table.remove(h));
            // SAFETY: checked non-null above.
            unsafe { *comm = MPI_COMM_NULL };
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Comm_compare / PMPI_Comm_compare(comm1: c_int, comm2: c_int, result: *mut c_int) -> c_int {
        call("MPI_Comm_compare", comm1, || {
            let a = comm_of(comm1)?;
            let b = comm_of(comm2)?;
            let r = if a.context_id() == b.context_id() {
                MPI_IDENT
            } else if a.group() == b.group() {
                MPI_CONGRUENT
            } else {
                let mut x = a.group().to_vec();
                let mut y = b.group().to_vec();
                x.sort();
                y.sort();
                if x == y { MPI_SIMILAR } else { MPI_UNEQUAL }
            };
            out("result", result, r)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_test_inter / PMPI_Comm_test_inter(comm: c_int, flag: *mut c_int) -> c_int {
        call("MPI_Comm_test_inter", comm, || {
            comm_of(comm)?;
            out("flag", flag, 0)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_set_name / PMPI_Comm_set_name(comm: c_int, name: *const c_char) -> c_int {
        call("MPI_Comm_set_name", comm, || {
            let s = read_str("comm_name", name)?;
            with(|m| {
                m.check_running()?;
                match m.comms.get_mut(comm) {
                    Some(c) => {
                        c.name = s.chars().take(MPI_MAX_OBJECT_NAME - 1).collect();
                        Ok(())
                    }
                    None => bad_comm(comm),
                }
            })
        })
    }
}

mpi_fn! {
    fn MPI_Comm_get_name / PMPI_Comm_get_name(comm: c_int, name: *mut c_char, len: *mut c_int) -> c_int {
        call("MPI_Comm_get_name", comm, || {
            let s = with(|m| {
                m.check_running()?;
                m.comms.get(comm).map(|c| c.name.clone()).map_or_else(|| bad_comm(comm), Ok)
            })?;
            write_str("comm_name", name, len, &s, MPI_MAX_OBJECT_NAME)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_set_errhandler / PMPI_Comm_set_errhandler(comm: c_int, errhandler: c_int) -> c_int {
        call("MPI_Comm_set_errhandler", comm, || {
            with(|m| {
                m.check_running()?;
                if m.errors.handler(errhandler).is_none() {
                    return mpi_err!(Arg, "{errhandler:#x} is not a valid error handler");
                }
                match m.comms.get_mut(comm) {
                    Some(c) => {
                        c.errhandler = errhandler;
                        Ok(())
                    }
                    None => bad_comm(comm),
                }
            })
        })
    }
}

mpi_fn! {
    fn MPI_Comm_get_errhandler / PMPI_Comm_get_errhandler(comm: c_int, errhandler: *mut c_int) -> c_int {
        call("MPI_Comm_get_errhandler", comm, || {
            let h = with(|m| {
                m.check_running()?;
                m.comms.get(comm).map(|c| c.errhandler).map_or_else(|| bad_comm(comm), Ok)
            })?;
            out("errhandler", errhandler, h)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_group / PMPI_Comm_group(comm: c_int, group: *mut c_int) -> c_int {
        call("MPI_Comm_group", comm, || {
            let c = comm_of(comm)?;
            let h = with(|m| m.comms.new_group(c.group().to_vec()));
            out("group", group, h)
        })
    }
}
