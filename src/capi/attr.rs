//! Attributes and keyvals (caching): user keyvals with copy and delete
//! callbacks, and the predefined attributes (MPI_TAG_UB, ...), which every
//! communicator answers, as in MPICH.
//!
//! A keyval the program frees while attributes still use it stays alive,
//! marked freed, until the last of them is deleted (the standard): their
//! delete and copy callbacks still run. A freed keyval cannot be freed
//! again nor given to a new attribute.

use std::os::raw::{c_int, c_void};

use super::comm::bad_comm;
use super::consts::*;
use super::errors::call;
use super::errors::NO_OBJECT;
use super::handle::{Kind, Table};
use super::mpi_fn;
use super::state::{with, Mpi};
use crate::error::{mpi_err, Result};

/// `int copy(MPI_Comm old, int keyval, void *extra, void *in, void *out, int *flag)`.
pub type CopyFn =
    unsafe extern "C" fn(c_int, c_int, *mut c_void, *mut c_void, *mut c_void, *mut c_int) -> c_int;
/// `int delete(MPI_Comm comm, int keyval, void *value, void *extra)`.
pub type DeleteFn = unsafe extern "C" fn(c_int, c_int, *mut c_void, *mut c_void) -> c_int;

/// A keyval made by MPI_Comm_create_keyval (or the type/win forms).
#[derive(Clone, Copy)]
pub struct Keyval {
    /// Copy callback (None: MPI_NULL_COPY_FN, never copied).
    pub copy: Option<CopyFn>,
    /// Delete callback (None: nothing to call).
    pub delete: Option<DeleteFn>,
    /// The extra state given at creation.
    pub extra: usize,
    /// Which objects it is for.
    pub kind: Kind,
    /// Freed by the program, kept for the attributes that still use it.
    pub freed: bool,
}

/// The keyval table.
pub struct Keyvals {
    /// Live keyvals.
    pub table: Table<Keyval>,
}

impl Default for Keyvals {
    fn default() -> Keyvals {
        Keyvals {
            table: Table::new(Kind::Keyval),
        }
    }
}

/// Storage for the values of predefined attributes (their addresses are
/// handed out by MPI_Comm_get_attr, so they must not move).
static TAG_UB: c_int = MPI_TAG_UB_VALUE;
static WTIME_IS_GLOBAL: c_int = 1;
static HOST: c_int = MPI_PROC_NULL;
static IO: c_int = MPI_ANY_SOURCE;
static APPNUM: c_int = 0;
static UNIVERSE_SIZE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(1);
static LASTUSEDCODE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

fn predefined(keyval: c_int) -> Option<*const c_int> {
    Some(match keyval {
        MPI_TAG_UB => &TAG_UB,
        MPI_WTIME_IS_GLOBAL => &WTIME_IS_GLOBAL,
        MPI_HOST => &HOST,
        MPI_IO => &IO,
        MPI_APPNUM => &APPNUM,
        MPI_UNIVERSE_SIZE => UNIVERSE_SIZE.as_ptr(),
        MPI_LASTUSEDCODE => LASTUSEDCODE.as_ptr(),
        _ => return None,
    })
}

/// The keyval `kv`, made for objects of `kind` (it may be freed but still
/// in use: see the module doc).
pub fn keyval(kv: c_int, kind: Kind) -> Result<Keyval> {
    with(|m| match m.keyvals.table.get(kv) {
        Some(k) if k.kind == kind => Ok(*k),
        Some(_) => mpi_err!(Keyval, "keyval {kv:#x} was made for another kind of object"),
        None => mpi_err!(
            Keyval,
            "{kv:#x} is not a valid keyval (freed, or never made)"
        ),
    })
}

impl Mpi {
    /// Whether some communicator or datatype holds an attribute of `kv`.
    fn keyval_in_use(&self, kv: c_int) -> bool {
        let c = &self.comms;
        c.world
            .iter()
            .chain(c.selfc.iter())
            .any(|o| o.attrs.contains_key(kv))
            || c.table.iter().any(|(_, o)| o.attrs.contains_key(kv))
            || self
                .types
                .table
                .iter()
                .any(|(_, o)| o.attrs.contains_key(kv))
            || self
                .types
                .predefined_attrs
                .values()
                .any(|a| a.contains_key(kv))
    }

    /// Drops keyval `kv` if the program has freed it and no attribute
    /// uses it any more.
    pub fn collect_keyval(&mut self, kv: c_int) {
        if self.keyvals.table.get(kv).is_some_and(|k| k.freed) && !self.keyval_in_use(kv) {
            self.keyvals.table.remove(kv);
        }
    }
}

/// Makes a keyval for objects of `kind` (MPI_Comm_create_keyval, ...).
pub fn create_keyval(
    kind: Kind,
    copy: Option<CopyFn>,
    delete: Option<DeleteFn>,
    extra: *mut c_void,
) -> Result<c_int> {
    Ok(with(|m| {
        m.keyvals.table.insert(Keyval {
            copy,
            delete,
            extra: extra as usize,
            kind,
            freed: false,
        })
    }))
}

/// Frees the keyval `*keyval` of objects of `kind` (MPI_Comm_free_keyval,
/// ...) and sets it to MPI_KEYVAL_INVALID.
pub fn free_keyval(what: &str, kind: Kind, keyval: *mut c_int) -> Result<()> {
    if keyval.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    // SAFETY: not null; points to the caller's keyval.
    let kv = unsafe { *keyval };
    if predefined(kv).is_some() {
        return mpi_err!(Keyval, "predefined keyval {kv:#x} cannot be freed");
    }
    if self::keyval(kv, kind)?.freed {
        return mpi_err!(Keyval, "keyval {kv:#x} has already been freed");
    }
    with(|m| {
        if let Some(k) = m.keyvals.table.get_mut(kv) {
            k.freed = true;
        }
        m.collect_keyval(kv);
    });
    // SAFETY: not null (checked above).
    unsafe { *keyval = MPI_KEYVAL_INVALID };
    Ok(())
}

/// The keyval `kv` of objects of `kind` for a new attribute: not freed.
fn keyval_to_set(kv: c_int, kind: Kind) -> Result<Keyval> {
    let k = keyval(kv, kind)?;
    if k.freed {
        return mpi_err!(Keyval, "keyval {kv:#x} has been freed");
    }
    Ok(k)
}

/// The attributes of one object, in the order they were set. They are
/// deleted newest first: MPI-2.2 asks that order of MPI_COMM_SELF's at
/// MPI_Finalize (tools use them as at-exit hooks).
#[derive(Clone, Debug, Default)]
pub struct Attrs(Vec<(c_int, usize)>);

impl Attrs {
    /// The value of keyval `kv`.
    pub fn get(&self, kv: c_int) -> Option<usize> {
        self.0.iter().find(|a| a.0 == kv).map(|a| a.1)
    }

    /// Sets `kv` to `v` (in its place when set already); the old value.
    pub fn insert(&mut self, kv: c_int, v: usize) -> Option<usize> {
        match self.0.iter_mut().find(|a| a.0 == kv) {
            Some(a) => Some(std::mem::replace(&mut a.1, v)),
            None => {
                self.0.push((kv, v));
                None
            }
        }
    }

    /// Removes `kv`; its value.
    pub fn remove(&mut self, kv: c_int) -> Option<usize> {
        let i = self.0.iter().position(|a| a.0 == kv)?;
        Some(self.0.remove(i).1)
    }

    /// Whether `kv` is set.
    pub fn contains_key(&self, kv: c_int) -> bool {
        self.get(kv).is_some()
    }

    /// (keyval, value) pairs, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (c_int, usize)> + '_ {
        self.0.iter().copied()
    }

    /// The newest attribute.
    fn newest(&self) -> Option<(c_int, usize)> {
        self.0.last().copied()
    }
}

/// The attributes of object `h` of `kind` (a communicator or a datatype).
fn attrs_of(m: &mut Mpi, kind: Kind, h: c_int) -> Result<&mut Attrs> {
    if kind == Kind::Comm {
        m.check_running()?;
        match m.comms.get_mut(h) {
            Some(c) => Ok(&mut c.attrs),
            None => bad_comm(h),
        }
    } else {
        m.types.attrs_mut(h)
    }
}

/// Calls the delete callback of attribute `kv` = `value` of object `h`.
fn call_delete(kind: Kind, h: c_int, kv: c_int, value: usize) -> Result<()> {
    if let Ok(k) = keyval(kv, kind) {
        if let Some(f) = k.delete {
            // SAFETY: the user's delete callback, with the standard's signature.
            let rc = unsafe { f(h, kv, value as *mut c_void, k.extra as *mut c_void) };
            if rc != MPI_SUCCESS {
                return mpi_err!(Other, "the delete callback of keyval {kv:#x} returned {rc}");
            }
        }
    }
    Ok(())
}

/// Sets attribute `kv` of object `h` of `kind` to `value`; an old value
/// goes through the delete callback first, and stays when that fails (as
/// in MPICH).
pub fn set_attr_of(kind: Kind, h: c_int, kv: c_int, value: usize) -> Result<()> {
    if predefined(kv).is_some() {
        return mpi_err!(Keyval, "predefined attribute {kv:#x} cannot be set");
    }
    keyval_to_set(kv, kind)?;
    let old = with(|m| attrs_of(m, kind, h).map(|a| a.get(kv)))?;
    if let Some(v) = old {
        call_delete(kind, h, kv, v)?;
    }
    with(|m| attrs_of(m, kind, h).map(|a| a.insert(kv, value)))?;
    Ok(())
}

/// Deletes attribute `kv` of object `h` of `kind` through its delete
/// callback; one that fails leaves the attribute (as in MPICH). Deleting
/// an attribute the object does not hold does nothing (as in MPICH).
pub fn delete_attr_of(kind: Kind, h: c_int, kv: c_int) -> Result<()> {
    if predefined(kv).is_some() {
        return mpi_err!(Keyval, "predefined attribute {kv:#x} cannot be deleted");
    }
    keyval(kv, kind)?;
    let Some(v) = with(|m| attrs_of(m, kind, h).map(|a| a.get(kv)))? else {
        return Ok(());
    };
    call_delete(kind, h, kv, v)?;
    with(|m| {
        if let Ok(a) = attrs_of(m, kind, h) {
            a.remove(kv);
        }
        m.collect_keyval(kv);
    });
    Ok(())
}

/// Deletes every attribute of object `h` of `kind`, newest first
/// (MPI_Comm_free, MPI_Type_free, MPI_COMM_SELF at MPI_Finalize); stops at
/// the first delete callback that fails, which keeps the rest.
pub fn delete_all_attrs(kind: Kind, h: c_int) -> Result<()> {
    while let Some((kv, _)) = with(|m| attrs_of(m, kind, h).ok().and_then(|a| a.newest())) {
        delete_attr_of(kind, h, kv)?;
    }
    Ok(())
}

/// Copies the attributes of `old` to `new` (objects of `kind`) through
/// their copy callbacks (MPI_Comm_dup, MPI_Type_dup).
pub fn copy_attrs(kind: Kind, old: c_int, new: c_int) -> Result<()> {
    let attrs: Vec<(c_int, usize)> = with(|m| attrs_of(m, kind, old).map(|a| a.iter().collect()))?;
    for (kv, value) in attrs {
        let Ok(k) = keyval(kv, kind) else {
            continue;
        };
        let Some(f) = k.copy else { continue };
        let mut outv: *mut c_void = std::ptr::null_mut();
        let mut flag: c_int = 0;
        // SAFETY: the user's copy callback, with the standard's signature;
        // the out pointers are valid locals.
        let rc = unsafe {
            f(
                old,
                kv,
                k.extra as *mut c_void,
                value as *mut c_void,
                &mut outv as *mut *mut c_void as *mut c_void,
                &mut flag,
            )
        };
        if rc != MPI_SUCCESS {
            return mpi_err!(Other, "the copy callback of keyval {kv:#x} returned {rc}");
        }
        if flag != 0 {
            with(|m| attrs_of(m, kind, new).map(|a| a.insert(kv, outv as usize)))?;
        }
    }
    Ok(())
}

/// MPI_DUP_FN (MPICH's name): copies the attribute value.
#[no_mangle]
pub unsafe extern "C" fn MPIR_Dup_fn(
    _old: c_int,
    _keyval: c_int,
    _extra: *mut c_void,
    attr_in: *mut c_void,
    attr_out: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    // SAFETY: the standard's contract for copy callbacks: `attr_out` points
    // to a `void *`, `flag` to an int.
    unsafe {
        *(attr_out as *mut *mut c_void) = attr_in;
        *flag = 1;
    }
    MPI_SUCCESS
}

fn create_comm_keyval(
    name: &'static str,
    copy: Option<CopyFn>,
    delete: Option<DeleteFn>,
    keyval: *mut c_int,
    extra: *mut c_void,
) -> c_int {
    call(name, NO_OBJECT, || {
        let k = create_keyval(Kind::Comm, copy, delete, extra)?;
        super::out("comm_keyval", keyval, k)
    })
}

mpi_fn! {
    fn MPI_Comm_create_keyval / PMPI_Comm_create_keyval(copy: Option<CopyFn>, delete: Option<DeleteFn>, keyval: *mut c_int, extra: *mut c_void) -> c_int {
        create_comm_keyval("MPI_Comm_create_keyval", copy, delete, keyval, extra)
    }
}

fn free_comm_keyval(name: &'static str, keyval: *mut c_int) -> c_int {
    call(name, NO_OBJECT, || {
        free_keyval("comm_keyval", Kind::Comm, keyval)
    })
}

mpi_fn! {
    fn MPI_Comm_free_keyval / PMPI_Comm_free_keyval(keyval: *mut c_int) -> c_int {
        free_comm_keyval("MPI_Comm_free_keyval", keyval)
    }
}

fn set_attr(name: &'static str, comm: c_int, keyval: c_int, value: *mut c_void) -> c_int {
    call(name, comm, || {
        set_attr_of(Kind::Comm, comm, keyval, value as usize)
    })
}

mpi_fn! {
    fn MPI_Comm_set_attr / PMPI_Comm_set_attr(comm: c_int, keyval: c_int, value: *mut c_void) -> c_int {
        set_attr("MPI_Comm_set_attr", comm, keyval, value)
    }
}

fn get_attr(
    name: &'static str,
    comm: c_int,
    keyval: c_int,
    value: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    call(name, comm, || {
        let found: Option<usize> = with(|m| {
            m.check_running()?;
            let Some(c) = m.comms.get(comm) else {
                return bad_comm(comm);
            };
            if let Some(p) = predefined(keyval) {
                UNIVERSE_SIZE.store(
                    c.comm
                        .size()
                        .max(m.comms.world.as_ref().map_or(1, |w| w.comm.size())),
                    std::sync::atomic::Ordering::Relaxed,
                );
                LASTUSEDCODE.store(m.errors.last_used(), std::sync::atomic::Ordering::Relaxed);
                // Every communicator answers them, as in MPICH (libraries
                // ask their own communicator for MPI_TAG_UB).
                return Ok(Some(p as usize));
            }
            match m.keyvals.table.get(keyval) {
                Some(k) if k.kind == Kind::Comm => Ok(c.attrs.get(keyval)),
                Some(_) => mpi_err!(
                    Keyval,
                    "keyval {keyval:#x} was made for another kind of object"
                ),
                None => mpi_err!(
                    Keyval,
                    "{keyval:#x} is not a valid keyval (freed, or never made)"
                ),
            }
        })?;
        super::out("flag", flag, found.is_some() as c_int)?;
        if let Some(v) = found {
            super::out("attribute_val", value as *mut usize, v)?;
        }
        Ok(())
    })
}

mpi_fn! {
    fn MPI_Comm_get_attr / PMPI_Comm_get_attr(comm: c_int, keyval: c_int, value: *mut c_void, flag: *mut c_int) -> c_int {
        get_attr("MPI_Comm_get_attr", comm, keyval, value, flag)
    }
}

fn delete_attr(name: &'static str, comm: c_int, keyval: c_int) -> c_int {
    call(name, comm, || delete_attr_of(Kind::Comm, comm, keyval))
}

mpi_fn! {
    fn MPI_Comm_delete_attr / PMPI_Comm_delete_attr(comm: c_int, keyval: c_int) -> c_int {
        delete_attr("MPI_Comm_delete_attr", comm, keyval)
    }
}

// The MPI-1 names (deprecated, removed from MPI-4's C bindings but kept by
// MPICH): the same operations on communicators.

mpi_fn! {
    fn MPI_Keyval_create / PMPI_Keyval_create(copy: Option<CopyFn>, delete: Option<DeleteFn>, keyval: *mut c_int, extra: *mut c_void) -> c_int {
        create_comm_keyval("MPI_Keyval_create", copy, delete, keyval, extra)
    }
}

mpi_fn! {
    fn MPI_Keyval_free / PMPI_Keyval_free(keyval: *mut c_int) -> c_int {
        free_comm_keyval("MPI_Keyval_free", keyval)
    }
}

mpi_fn! {
    fn MPI_Attr_put / PMPI_Attr_put(comm: c_int, keyval: c_int, value: *mut c_void) -> c_int {
        set_attr("MPI_Attr_put", comm, keyval, value)
    }
}

mpi_fn! {
    fn MPI_Attr_get / PMPI_Attr_get(comm: c_int, keyval: c_int, value: *mut c_void, flag: *mut c_int) -> c_int {
        get_attr("MPI_Attr_get", comm, keyval, value, flag)
    }
}

mpi_fn! {
    fn MPI_Attr_delete / PMPI_Attr_delete(comm: c_int, keyval: c_int) -> c_int {
        delete_attr("MPI_Attr_delete", comm, keyval)
    }
}
