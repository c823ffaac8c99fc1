//! Datatype handles: predefined ones, and the table of derived ones, each
//! a [`TypeMap`]; and how communication turns a (buffer, count, datatype)
//! triple into bytes and back.

use std::collections::HashMap;
use std::os::raw::{c_int, c_void};
use std::rc::Rc;

use super::attr::Attrs;
use super::consts::*;
use super::handle::{Kind, Table};
use super::state::with;
use super::typemap::TypeMap;
use crate::engine::Status;
use crate::error::{mpi_err, Result};

/// What a datatype's constructor call was, as MPI_Type_get_envelope and
/// MPI_Type_get_contents return it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    /// MPI_COMBINER_*.
    pub combiner: c_int,
    /// Integer arguments.
    pub integers: Vec<c_int>,
    /// Address arguments.
    pub addresses: Vec<isize>,
    /// Large-count arguments (types made by the `_c` constructors).
    pub large_counts: Vec<i64>,
    /// Datatype arguments (handles as given to the constructor).
    pub datatypes: Vec<c_int>,
}

/// A derived type another was made from, kept alive with it, so that
/// MPI_Type_get_contents can hand out a new handle for it even after the
/// user freed the original handle.
#[derive(Clone)]
pub struct Child {
    /// The handle the constructor was given.
    pub handle: c_int,
    /// What it was.
    pub desc: Rc<TypeDesc>,
    /// Whether it was committed when the new type was made.
    pub committed: bool,
}

/// What a datatype is, fixed when it is made.
pub struct TypeDesc {
    /// The type map.
    pub map: Rc<TypeMap>,
    /// The envelope, when it is not the type map's own contents (types of
    /// the large-count constructors, and of MPI_Type_create_f90_*).
    pub envelope: Option<Envelope>,
    /// The derived types it was made from.
    pub children: Vec<Child>,
}

impl TypeDesc {
    /// Its envelope and contents.
    pub fn envelope(&self) -> Envelope {
        match &self.envelope {
            Some(e) => e.clone(),
            None => {
                let c = self.map.contents();
                Envelope {
                    combiner: c.combiner,
                    integers: c.integers.clone(),
                    addresses: c.addresses.clone(),
                    large_counts: Vec::new(),
                    datatypes: c.datatypes.clone(),
                }
            }
        }
    }
}

/// What a derived datatype handle stands for.
pub struct TypeObj {
    /// The type.
    pub desc: Rc<TypeDesc>,
    /// Whether MPI_Type_commit was called (communication needs it).
    pub committed: bool,
    /// Its name (MPI_Type_set_name).
    pub name: String,
    /// Attributes: keyval -> value.
    pub attrs: Attrs,
    /// Whether the user may not free it (the pair types, whose MPICH
    /// handles look allocated, and the MPI_Type_create_f90_* types).
    pub permanent: bool,
}

impl TypeObj {
    /// A new, uncommitted, unnamed type.
    pub fn new(desc: TypeDesc) -> TypeObj {
        TypeObj {
            desc: Rc::new(desc),
            committed: false,
            name: String::new(),
            attrs: Attrs::default(),
            permanent: false,
        }
    }
}

/// The datatype table.
pub struct Types {
    /// Derived datatypes (and the pair types, see [`Types::default`]).
    pub table: Table<TypeObj>,
    /// Type maps of the predefined handles used so far, by the handle's
    /// low byte (MPICH numbers its basic types there; see [`slot`]).
    predefined: Vec<Option<(c_int, Rc<TypeMap>)>>,
    /// Names given to predefined types by MPI_Type_set_name.
    pub names: HashMap<c_int, String>,
    /// Attributes of predefined types.
    pub predefined_attrs: HashMap<c_int, Attrs>,
    /// The types MPI_Type_create_f90_* made: (combiner, p, r) -> handle.
    pub f90: HashMap<(c_int, c_int, c_int), c_int>,
}

impl Default for Types {
    /// MPICH gives the pair types MPI_FLOAT_INT, MPI_DOUBLE_INT,
    /// MPI_LONG_INT, MPI_SHORT_INT and MPI_LONG_DOUBLE_INT the handles
    /// `0x8c000000..=0x8c000004`, which are the first five handles the
    /// table allocates: they are put there, permanent, so that no derived
    /// type gets one of them.
    fn default() -> Types {
        let mut t = Types {
            table: Table::new(Kind::Datatype),
            predefined: vec![None; 256],
            names: HashMap::new(),
            predefined_attrs: HashMap::new(),
            f90: HashMap::new(),
        };
        for h in 0x8c00_0000u32..=0x8c00_0004 {
            let map = TypeMap::predefined(h as c_int).expect("a pair type");
            let mut o = TypeObj::new(TypeDesc {
                map: Rc::new(map),
                envelope: None,
                children: Vec::new(),
            });
            o.committed = true;
            o.permanent = true;
            let got = t.table.insert(o);
            debug_assert_eq!(got, h as c_int);
        }
        t
    }
}

impl Types {
    /// The type map of handle `h`; `for_comm` requires a committed type.
    pub fn get(&mut self, h: c_int, for_comm: bool) -> Result<Rc<TypeMap>> {
        if let Some((k, t)) = &self.predefined[slot(h)] {
            if *k == h {
                return Ok(t.clone());
            }
        }
        if let Some(t) = TypeMap::predefined(h) {
            let t = Rc::new(t);
            self.predefined[slot(h)] = Some((h, t.clone()));
            return Ok(t);
        }
        match self.table.get(h) {
            Some(o) if for_comm && !o.committed => {
                mpi_err!(
                    Type,
                    "datatype {h:#x} is not committed (call MPI_Type_commit first)"
                )
            }
            Some(o) => Ok(o.desc.map.clone()),
            None => bad_type(h),
        }
    }

    /// Whether `h` is a predefined handle (a basic or a pair type).
    pub fn is_predefined(&self, h: c_int) -> bool {
        TypeMap::predefined(h).is_some()
    }

    /// The type map of `h`, given to a constructor (committed or not), and
    /// what the new type must keep of it.
    pub fn operand(&mut self, h: c_int) -> Result<(Rc<TypeMap>, Option<Child>)> {
        let map = self.get(h, false)?;
        let child = match self.table.get(h) {
            Some(o) if !o.permanent => Some(Child {
                handle: h,
                desc: o.desc.clone(),
                committed: o.committed,
            }),
            _ => None,
        };
        Ok((map, child))
    }

    /// The description of `h` (predefined types get a fresh one).
    pub fn desc(&mut self, h: c_int) -> Result<Rc<TypeDesc>> {
        if let Some(o) = self.table.get(h) {
            return Ok(o.desc.clone());
        }
        let map = self.get(h, false)?;
        Ok(Rc::new(TypeDesc {
            map,
            envelope: None,
            children: Vec::new(),
        }))
    }

    /// The attributes of `h`.
    pub fn attrs_mut(&mut self, h: c_int) -> Result<&mut Attrs> {
        if self.is_predefined(h) && self.table.get(h).is_none() {
            return Ok(self.predefined_attrs.entry(h).or_default());
        }
        match self.table.get_mut(h) {
            Some(o) => Ok(&mut o.attrs),
            None => bad_type(h),
        }
    }
}

/// The error for `h`, which is no datatype.
pub fn bad_type<T>(h: c_int) -> Result<T> {
    if h == MPI_DATATYPE_NULL {
        mpi_err!(Type, "datatype is MPI_DATATYPE_NULL")
    } else {
        mpi_err!(
            Type,
            "{h:#x} is not a valid datatype handle (freed, or never made)"
        )
    }
}

/// The cache slot of predefined handle `h`: its low byte, which numbers
/// MPICH's basic types (0x4c00SSII) and the pair types (0x8c00000I) alike;
/// a slot holds the last handle cached there, so a collision only costs a
/// rebuild.
fn slot(h: c_int) -> usize {
    (h & 0xff) as usize
}

/// Size in bytes of a predefined contiguous type, read off its handle
/// (MPICH encodes it in bits 8-15), without taking the lock.
pub fn basic_size(h: c_int) -> Option<usize> {
    let u = h as u32;
    (u & 0xff00_0000 == 0x4c00_0000 && u & 0xff != 0x10 && u & 0xff != 0x11)
        .then_some(((u >> 8) & 0xff) as usize)
}

/// The type map of `h`, committed, for communication.
pub fn comm_type(h: c_int) -> Result<Rc<TypeMap>> {
    with(|m| m.types.get(h, true))
}

/// The size in bytes of one element of datatype `h`.
pub fn type_size(h: c_int) -> Result<usize> {
    match basic_size(h) {
        Some(s) => Ok(s),
        None => Ok(comm_type(h)?.size),
    }
}

/// Which side of a transfer a buffer argument is, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The data sent.
    Send,
    /// The space received into.
    Receive,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Send => "send",
            Side::Receive => "receive",
        }
    }
}

/// A buffer argument (buffer, count, datatype) of a send or a receive,
/// checked and resolved to its layout. It holds the type map itself, so a
/// persistent request that keeps it stays usable after MPI_Type_free.
#[derive(Clone)]
pub enum Buffer {
    /// `len` contiguous bytes at the pointer.
    Contiguous(*mut u8, usize),
    /// `count` elements of a non-contiguous type at `buf`.
    Typed {
        /// The caller's buffer.
        buf: *mut u8,
        /// Its length in elements.
        count: usize,
        /// The type map of an element.
        map: Rc<TypeMap>,
    },
}

impl Buffer {
    /// Checks `count` elements of datatype `dt` at `buf`: MPI_ERR_COUNT for
    /// a negative count, MPI_ERR_TYPE for a bad or uncommitted datatype,
    /// MPI_ERR_BUFFER for a null buffer that would hold data (as MPICH: a
    /// type whose data starts at its origin; one whose data lies at
    /// absolute addresses goes with MPI_BOTTOM, which is null) and for
    /// MPI_IN_PLACE.
    pub fn new(side: Side, buf: *const c_void, count: i64, dt: c_int) -> Result<Buffer> {
        let what = side.name();
        let Ok(n) = usize::try_from(count) else {
            return mpi_err!(Count, "{what} count {count} is negative");
        };
        let (size, map) = match basic_size(dt) {
            Some(size) => (size, None),
            None => {
                let t = comm_type(dt)?;
                (t.size, Some(t))
            }
        };
        let Some(bytes) = n.checked_mul(size) else {
            return mpi_err!(
                Count,
                "{what} count {count} of {size}-byte elements overflows"
            );
        };
        if buf as usize == MPI_IN_PLACE && bytes > 0 {
            return mpi_err!(
                Buffer,
                "MPI_IN_PLACE is not a {what} buffer (it is for collectives only)"
            );
        }
        let true_lb = map.as_ref().map_or(0, |t| t.true_lb);
        if buf.is_null() && bytes > 0 && true_lb == 0 {
            return match side {
                Side::Send => mpi_err!(
                    Buffer,
                    "buffer is a null pointer but {bytes} bytes are to be sent"
                ),
                Side::Receive => mpi_err!(
                    Buffer,
                    "buffer is a null pointer but up to {bytes} bytes are to be received"
                ),
            };
        }
        let buf = buf as *mut u8;
        Ok(match map {
            Some(t) if !t.is_contiguous() => Buffer::Typed {
                buf,
                count: n,
                map: t,
            },
            _ => Buffer::Contiguous(buf.wrapping_offset(true_lb), bytes),
        })
    }

    /// The bytes to send from it: borrowed when contiguous, else packed.
    pub fn send_data(&self) -> SendData {
        match self {
            Buffer::Contiguous(p, n) => SendData::Borrowed(*p, *n),
            Buffer::Typed { buf, count, map } => {
                let mut v = Vec::with_capacity(count * map.size);
                // SAFETY: the standard makes `buf` hold `count` elements of
                // the type.
                unsafe { map.pack(*buf, *count, &mut v) };
                SendData::Packed(v)
            }
        }
    }

    /// Where to receive into it.
    pub fn recv_target(self) -> RecvTarget {
        match self {
            Buffer::Contiguous(p, n) => RecvTarget::Direct(p, n),
            Buffer::Typed { buf, count, map } => RecvTarget::Unpack { buf, count, map },
        }
    }
}

/// Bytes to send: borrowed from the caller when contiguous, else packed.
pub enum SendData {
    /// `len` contiguous bytes at `ptr`, valid until the send completes.
    Borrowed(*const u8, usize),
    /// Packed bytes.
    Packed(Vec<u8>),
}

impl SendData {
    /// Pointer and length of the bytes.
    pub fn raw(&self) -> (*const u8, usize) {
        match self {
            SendData::Borrowed(p, n) => (*p, *n),
            SendData::Packed(v) => (v.as_ptr(), v.len()),
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        let (p, n) = self.raw();
        if n == 0 {
            return &[];
        }
        // SAFETY: a Borrowed buffer is valid for `n` bytes (see `send_data`).
        unsafe { std::slice::from_raw_parts(p, n) }
    }
}

/// The bytes of `count` elements of datatype `dt` at `buf`.
pub fn send_data(buf: *const c_void, count: i64, dt: c_int) -> Result<SendData> {
    Ok(Buffer::new(Side::Send, buf, count, dt)?.send_data())
}

/// Where received bytes go.
#[derive(Clone)]
pub enum RecvTarget {
    /// Straight into `cap` contiguous bytes at the pointer.
    Direct(*mut u8, usize),
    /// Into a vector, then unpacked into `count` elements at `buf`.
    Unpack {
        /// The caller's buffer.
        buf: *mut u8,
        /// Its capacity in elements.
        count: usize,
        /// Its type map.
        map: Rc<TypeMap>,
    },
    /// Into a vector, then stored into the inner target once the whole
    /// operation is complete (MPI_Sendrecv_replace: the buffer is still
    /// being sent from while the message arrives).
    Replace(Box<RecvTarget>),
}

impl RecvTarget {
    /// Capacity in bytes.
    pub fn capacity(&self) -> usize {
        match self {
            RecvTarget::Direct(_, cap) => *cap,
            RecvTarget::Unpack { count, map, .. } => count * map.size,
            RecvTarget::Replace(inner) => inner.capacity(),
        }
    }

    /// The bytes the engine may receive into directly; None when the
    /// message must come into a vector of its own and be [`store`]d.
    ///
    /// [`store`]: RecvTarget::store
    pub fn direct(&self) -> Option<(*mut u8, usize)> {
        match self {
            RecvTarget::Direct(p, cap) => Some((*p, *cap)),
            _ => None,
        }
    }

    /// Stores message `data` (whose status is `st`) into the target: as
    /// much as fits, then MPI_ERR_TRUNCATE if it did not all fit.
    pub fn store(&self, data: &[u8], st: &Status) -> Result<()> {
        let cap = self.capacity();
        let n = data.len().min(cap);
        match self {
            RecvTarget::Direct(p, _) => {
                if n > 0 {
                    // SAFETY: the target holds `cap` >= n bytes, and `data`
                    // is the engine's own vector: no overlap.
                    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), *p, n) };
                }
            }
            RecvTarget::Unpack { buf, count, map } => {
                // SAFETY: the caller's buffer holds `count` elements of the
                // type and stayed valid while the receive was pending (the
                // standard).
                unsafe { map.unpack(&data[..n], *buf, *count) };
            }
            RecvTarget::Replace(inner) => return inner.store(data, st),
        }
        if data.len() > cap {
            return mpi_err!(
                Truncate,
                "message of {} bytes from rank {} (tag {}) does not fit the receive buffer of {cap} bytes",
                data.len(),
                st.source,
                st.tag
            );
        }
        Ok(())
    }
}

/// Where to receive `count` elements of datatype `dt` at `buf`.
pub fn recv_target(buf: *mut c_void, count: i64, dt: c_int) -> Result<RecvTarget> {
    Ok(Buffer::new(Side::Receive, buf, count, dt)?.recv_target())
}
