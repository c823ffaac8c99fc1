//! Communicators and groups: their handles, and the entry points that
//! make, compare, name and free communicators (the group calls are in
//! [`super::group`]).
//!
//! Every communicator is an intracommunicator of processes on one machine:
//! MPI_Comm_split_type with MPI_COMM_TYPE_SHARED keeps all of them, there
//! is no parent (no MPI_Comm_spawn), and no intercommunicator exists.
//! MPI_Comm_create is a split (colour: the group, key: the rank in it);
//! MPI_Comm_create_group, which only the members call, agrees on a context
//! by point-to-point messages among them.
//!
//! User error handlers are counted: one reference per handle the program
//! holds (MPI_Comm_create_errhandler, MPI_Comm_get_errhandler), released
//! by MPI_Errhandler_free; a handler is dropped once no handle is held
//! and no communicator uses it.

use std::collections::HashMap;
use std::os::raw::{c_char, c_int};

use super::consts::*;
use super::errors::call;
use super::errors::NO_OBJECT;
use super::handle::{Kind, Table};
use super::info::{info_of, new_info, InfoObj};
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
    pub attrs: super::attr::Attrs,
    /// Info hints (MPI_Comm_set_info, MPI_Comm_dup_with_info).
    pub info: InfoObj,
}

impl CommObj {
    /// A communicator with the default error handler and no name.
    pub fn new(comm: Communicator, name: &str) -> CommObj {
        CommObj {
            comm,
            errhandler: MPI_ERRORS_ARE_FATAL,
            name: name.into(),
            attrs: Default::default(),
            info: Vec::new(),
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
    /// Handles the program holds of each user error handler.
    pub errh_refs: HashMap<c_int, usize>,
}

impl Default for Comms {
    fn default() -> Comms {
        Comms {
            world: None,
            selfc: None,
            table: Table::new(Kind::Comm),
            groups: Table::new(Kind::Group),
            errh_refs: HashMap::new(),
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

    /// Whether some communicator uses error handler `h`.
    pub fn uses_errhandler(&self, h: c_int) -> bool {
        self.world
            .iter()
            .chain(self.selfc.iter())
            .any(|c| c.errhandler == h)
            || self.table.iter().any(|(_, c)| c.errhandler == h)
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
    /// Drops user error handler `h` if the program holds no handle of it
    /// and no communicator uses it.
    pub fn collect_errhandler(&mut self, h: c_int) {
        if self.errors.handlers.get(h).is_some()
            && self.comms.errh_refs.get(&h).copied().unwrap_or(0) == 0
            && !self.comms.uses_errhandler(h)
        {
            self.errors.handlers.remove(h);
            self.comms.errh_refs.remove(&h);
        }
    }

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

/// Gives `new`, a dup of `comm`, the attributes of `comm`. When a copy
/// callback fails, `new` is freed and `*newcomm` is MPI_COMM_NULL again
/// (as in MPICH).
fn inherit_attrs(comm: c_int, new: c_int, newcomm: *mut c_int) -> Result<()> {
    if let Err(e) = super::attr::copy_attrs(Kind::Comm, comm, new) {
        let _ = super::attr::delete_all_attrs(Kind::Comm, new);
        with(|m| m.comms.table.remove(new));
        // SAFETY: the caller checked `newcomm` is not null.
        unsafe { *newcomm = MPI_COMM_NULL };
        return Err(e);
    }
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
            // SAFETY: `out` checked `newcomm` is not null.
            let new = unsafe { *newcomm };
            with(|m| {
                let hints = m.comms.get(comm).map(|c| c.info.clone()).unwrap_or_default();
                if let Some(n) = m.comms.get_mut(new) {
                    n.info = hints;
                }
            });
            inherit_attrs(comm, new, newcomm)
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
            super::attr::delete_all_attrs(Kind::Comm, h)?;
            with(|m| {
                if let Some(c) = m.comms.table.remove(h) {
                    m.collect_errhandler(c.errhandler);
                }
            });
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

/// Sets the error handler of `comm` (MPI_Comm_set_errhandler).
pub fn set_errhandler(comm: c_int, errhandler: c_int) -> Result<()> {
    with(|m| {
        m.check_running()?;
        if m.errors.handler(errhandler).is_none() {
            return if errhandler == MPI_ERRHANDLER_NULL {
                mpi_err!(Arg, "errhandler is MPI_ERRHANDLER_NULL")
            } else {
                mpi_err!(Arg, "{errhandler:#x} is not a valid error handler")
            };
        }
        let old = match m.comms.get_mut(comm) {
            Some(c) => std::mem::replace(&mut c.errhandler, errhandler),
            None => return bad_comm(comm),
        };
        m.collect_errhandler(old);
        Ok(())
    })
}

/// The error handler of `comm`: a new handle the program holds (and
/// frees with MPI_Errhandler_free).
pub fn get_errhandler(comm: c_int) -> Result<c_int> {
    with(|m| {
        m.check_running()?;
        let h = match m.comms.get(comm) {
            Some(c) => c.errhandler,
            None => return bad_comm(comm),
        };
        if m.errors.handlers.get(h).is_some() {
            *m.comms.errh_refs.entry(h).or_insert(0) += 1;
        }
        Ok(h)
    })
}

mpi_fn! {
    fn MPI_Comm_set_errhandler / PMPI_Comm_set_errhandler(comm: c_int, errhandler: c_int) -> c_int {
        call("MPI_Comm_set_errhandler", comm, || set_errhandler(comm, errhandler))
    }
}

mpi_fn! {
    fn MPI_Comm_get_errhandler / PMPI_Comm_get_errhandler(comm: c_int, errhandler: *mut c_int) -> c_int {
        call("MPI_Comm_get_errhandler", comm, || {
            if errhandler.is_null() {
                return mpi_err!(Arg, "errhandler is a null pointer");
            }
            out("errhandler", errhandler, get_errhandler(comm)?)
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

/// `MPI_COMM_TYPE_HW_GUIDED` and `MPI_COMM_TYPE_HW_UNGUIDED` (MPI-4).
const MPI_COMM_TYPE_HW_GUIDED: c_int = 2;
const MPI_COMM_TYPE_HW_UNGUIDED: c_int = 3;

/// The hints of info handle `info` (none for MPI_INFO_NULL).
fn hints(info: c_int) -> Result<InfoObj> {
    if info == MPI_INFO_NULL {
        Ok(Vec::new())
    } else {
        info_of(info)
    }
}

/// Sets the hints of communicator `h`.
fn set_hints(h: c_int, hints: InfoObj, merge: bool) -> Result<()> {
    with(|m| match m.comms.get_mut(h) {
        Some(c) if merge => {
            for (k, v) in hints {
                match c.info.iter_mut().find(|(a, _)| *a == k) {
                    Some(e) => e.1 = v,
                    None => c.info.push((k, v)),
                }
            }
            Ok(())
        }
        Some(c) => {
            c.info = hints;
            Ok(())
        }
        None => bad_comm(h),
    })
}

/// The ranks in `comm` of the members of group `g` (world ranks), or an
/// MPI_ERR_GROUP error naming one that is not in `comm`.
fn ranks_in(c: &Communicator, g: &[usize]) -> Result<Vec<usize>> {
    g.iter()
        .map(|w| match c.group().iter().position(|x| x == w) {
            Some(r) => Ok(r),
            None => mpi_err!(
                Group,
                "the group holds process {w} of MPI_COMM_WORLD, which is not in the communicator"
            ),
        })
        .collect()
}

mpi_fn! {
    fn MPI_Comm_create / PMPI_Comm_create(comm: c_int, group: c_int, newcomm: *mut c_int) -> c_int {
        call("MPI_Comm_create", comm, || {
            let c = comm_of(comm)?;
            let g = with(|m| m.comms.group(group))?;
            out("newcomm", newcomm, MPI_COMM_NULL)?;
            let ranks = ranks_in(&c, &g)?;
            // Disjoint groups may be given on different ranks (MPI-2.2):
            // each group's colour is its lowest rank in `comm`.
            let me = c.rank() as usize;
            let (colour, key) = match ranks.iter().position(|&r| r == me) {
                Some(k) => (ranks.iter().min().map(|&r| r as u32), k as c_int),
                None => (None, 0),
            };
            let d = c.split(colour, key)?;
            register(d, comm, newcomm)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_create_group / PMPI_Comm_create_group(comm: c_int, group: c_int, tag: c_int, newcomm: *mut c_int) -> c_int {
        call("MPI_Comm_create_group", comm, || {
            let c = comm_of(comm)?;
            let g = with(|m| m.comms.group(group))?;
            out("newcomm", newcomm, MPI_COMM_NULL)?;
            if tag < 0 {
                return mpi_err!(Tag, "tag {tag} is invalid (tags are 0..={})", i32::MAX);
            }
            ranks_in(&c, &g)?;
            let me_world = c.group()[c.rank() as usize];
            let Some(me) = g.iter().position(|&w| w == me_world) else {
                // Only members call it; a non-member gets MPI_COMM_NULL (as MPICH).
                return Ok(());
            };
            let members = crate::engine::coll::Comm::new(g.clone(), me, 0, 0);
            // Messages of a context no communicator has (ids are below
            // MAX_CONTEXTS): the parent's, with the top bit set.
            let p2p_context = 0x8000_0000 | c.context_id();
            let (ctx, seq) = c.engine().agree_context_among(&members, p2p_context, tag)?;
            let d = c.derived(crate::engine::coll::Comm::new(g, me, ctx, seq));
            register(Some(d), comm, newcomm)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_split_type / PMPI_Comm_split_type(comm: c_int, split_type: c_int, key: c_int, info: c_int, newcomm: *mut c_int) -> c_int {
        call("MPI_Comm_split_type", comm, || {
            let c = comm_of(comm)?;
            let h = hints(info)?;
            out("newcomm", newcomm, MPI_COMM_NULL)?;
            // One machine: shared memory spans the whole communicator. A
            // guided split names a resource; only "mpi_shared_memory" is
            // known (others give MPI_COMM_NULL, as MPI-4 allows). No
            // unguided split into strict subsets exists here, so it gives
            // MPI_COMM_NULL too.
            let whole = match split_type {
                MPI_UNDEFINED => false,
                MPI_COMM_TYPE_SHARED => true,
                MPI_COMM_TYPE_HW_GUIDED => h
                    .iter()
                    .any(|(k, v)| k == "mpi_hw_resource_type" && v == "mpi_shared_memory"),
                MPI_COMM_TYPE_HW_UNGUIDED => false,
                t => {
                    return mpi_err!(
                        Arg,
                        "split_type {t} is not MPI_COMM_TYPE_SHARED, MPI_COMM_TYPE_HW_GUIDED, MPI_COMM_TYPE_HW_UNGUIDED or MPI_UNDEFINED"
                    )
                }
            };
            // Always collective, so that ranks getting MPI_COMM_NULL still
            // take part in the split of those that do not.
            let d = c.split(whole.then_some(0), key)?;
            register(d, comm, newcomm)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_dup_with_info / PMPI_Comm_dup_with_info(comm: c_int, info: c_int, newcomm: *mut c_int) -> c_int {
        call("MPI_Comm_dup_with_info", comm, || {
            let c = comm_of(comm)?;
            let h = hints(info)?;
            out("newcomm", newcomm, MPI_COMM_NULL)?;
            let d = c.dup()?;
            register(Some(d), comm, newcomm)?;
            // SAFETY: `out` checked `newcomm` is not null.
            let new = unsafe { *newcomm };
            set_hints(new, h, false)?;
            inherit_attrs(comm, new, newcomm)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_set_info / PMPI_Comm_set_info(comm: c_int, info: c_int) -> c_int {
        call("MPI_Comm_set_info", comm, || {
            comm_of(comm)?;
            let h = hints(info)?;
            set_hints(comm, h, true)
        })
    }
}

mpi_fn! {
    fn MPI_Comm_get_info / PMPI_Comm_get_info(comm: c_int, info_used: *mut c_int) -> c_int {
        call("MPI_Comm_get_info", comm, || {
            if info_used.is_null() {
                return mpi_err!(Arg, "info_used is a null pointer");
            }
            let h = with(|m| {
                m.check_running()?;
                m.comms.get(comm).map(|c| c.info.clone()).map_or_else(|| bad_comm(comm), Ok)
            })?;
            out("info_used", info_used, new_info(h))
        })
    }
}

mpi_fn! {
    fn MPI_Comm_get_parent / PMPI_Comm_get_parent(parent: *mut c_int) -> c_int {
        call("MPI_Comm_get_parent", NO_OBJECT, || {
            with(|m| m.check_running())?;
            // No process is started by MPI_Comm_spawn here.
            out("parent", parent, MPI_COMM_NULL)
        })
    }
}

/// The error of the intercommunicator calls: every communicator is an
/// intracommunicator.
fn not_inter<T>(comm: c_int) -> Result<T> {
    comm_of(comm)?;
    mpi_err!(Comm, "communicator {comm:#x} is not an intercommunicator")
}

mpi_fn! {
    fn MPI_Comm_remote_size / PMPI_Comm_remote_size(comm: c_int, size: *mut c_int) -> c_int {
        let _ = size;
        call("MPI_Comm_remote_size", comm, || not_inter(comm))
    }
}

mpi_fn! {
    fn MPI_Comm_remote_group / PMPI_Comm_remote_group(comm: c_int, group: *mut c_int) -> c_int {
        let _ = group;
        call("MPI_Comm_remote_group", comm, || not_inter(comm))
    }
}

mpi_fn! {
    fn MPI_File_c2f / PMPI_File_c2f(file: *mut std::os::raw::c_void) -> c_int {
        // No file can be opened (the I/O family is unsupported), so every
        // MPI_File is MPI_FILE_NULL, whose Fortran handle is 0.
        let _ = file;
        0
    }
}

mpi_fn! {
    fn MPI_File_f2c / PMPI_File_f2c(file: c_int) -> *mut std::os::raw::c_void {
        let _ = file;
        std::ptr::null_mut()
    }
}
