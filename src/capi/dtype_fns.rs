//! Datatype entry points: the constructors, commit and free, envelopes
//! and contents, extents and sizes, names, attributes, packing (native and
//! external32) and addresses. The type maps themselves are built by
//! [`super::typemap`]; this module checks the C arguments and keeps the
//! handles (see [`super::dtype::Types`]).
//!
//! Each constructor has its `int` form and, where the header has one, its
//! large-count `_c` form; both go through one function taking 64-bit
//! values. A type made by a `_c` constructor records its arguments as
//! large counts, as MPI-4.0 section 5.1.13 lays them out, so that
//! MPI_Type_get_envelope_c reports them and MPI_Type_get_envelope refuses
//! the type (MPI_ERR_TYPE).
//!
//! MPI_Type_get_contents returns, as the standard says, new handles for
//! the derived types a type was made from (the user frees them), and the
//! same handles for predefined ones. A type keeps its children alive, so
//! this works after the user freed the originals.

use std::os::raw::{c_char, c_int, c_void};
use std::rc::Rc;

use super::attr::{
    self, copy_attrs, create_keyval, delete_all_attrs, delete_attr_of, free_keyval, set_attr_of,
    CopyFn, DeleteFn,
};
use super::consts::*;
use super::dtype::{bad_type, Child, Envelope, TypeDesc, TypeObj};
use super::errors::call;
use super::errors::NO_OBJECT;
use super::handle::Kind;
use super::state::with;
use super::typemap::{self, Prim, TypeMap};
use super::{mpi_fn, out, read_str, write_str};
use crate::error::{mpi_err, mpi_error, Result};

const COMBINER_F90_REAL: c_int = 15;
const COMBINER_F90_COMPLEX: c_int = 16;
const COMBINER_F90_INTEGER: c_int = 17;
const TYPECLASS_NAMES: &str =
    "MPI_TYPECLASS_REAL (1), MPI_TYPECLASS_INTEGER (2) or MPI_TYPECLASS_COMPLEX (3)";

// ---- argument helpers ----

/// A non-negative count argument.
fn count(what: &str, v: i64) -> Result<usize> {
    if v < 0 {
        return mpi_err!(Count, "{what} {v} is negative");
    }
    usize::try_from(v).map_err(|_| mpi_error!(Count, "{what} {v} is too large"))
}

/// The `n` entries of the C array `what` at `p`.
fn array<'a, T>(what: &str, p: *const T, n: usize) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer but {n} entries are needed");
    }
    // SAFETY: not null; the standard makes the caller's array hold `n` entries.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// The entries of `what` as counts (non-negative).
fn counts<T: Copy + Into<i64>>(what: &str, p: *const T, n: usize) -> Result<Vec<usize>> {
    array(what, p, n)?
        .iter()
        .enumerate()
        .map(|(i, &v)| count(&format!("{what}[{i}]"), v.into()))
        .collect()
}

/// The entries of `what` as displacements.
fn disps<T: Copy + Into<i64>>(what: &str, p: *const T, n: usize) -> Result<Vec<isize>> {
    Ok(array(what, p, n)?
        .iter()
        .map(|&v| v.into() as isize)
        .collect())
}

/// Reads the datatype handle behind `p`.
fn read_handle(what: &str, p: *const c_int) -> Result<c_int> {
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    // SAFETY: not null; points to the caller's handle.
    Ok(unsafe { *p })
}

/// The large-count arguments of a `_c` constructor, as its envelope.
struct Large {
    combiner: c_int,
    integers: Vec<c_int>,
    large_counts: Vec<i64>,
}

/// Makes a new type from the types `olds` with `build`, and writes its
/// handle to `newtype`. `large`: the envelope of a `_c` constructor.
fn construct(
    newtype: *mut c_int,
    olds: &[c_int],
    large: Option<Large>,
    build: impl FnOnce(&[&TypeMap]) -> std::result::Result<TypeMap, String>,
) -> Result<()> {
    if newtype.is_null() {
        return mpi_err!(Arg, "newtype is a null pointer");
    }
    let h = with(|m| -> Result<c_int> {
        let mut maps = Vec::with_capacity(olds.len());
        let mut children: Vec<Child> = Vec::new();
        for &o in olds {
            let (map, child) = m.types.operand(o)?;
            maps.push(map);
            if let Some(c) = child {
                if !children.iter().any(|k| k.handle == c.handle) {
                    children.push(c);
                }
            }
        }
        let refs: Vec<&TypeMap> = maps.iter().map(|m| &**m).collect();
        let map = match build(&refs) {
            Ok(t) => t,
            Err(e) => return mpi_err!(Arg, "{e}"),
        };
        let envelope = large.map(|l| Envelope {
            combiner: l.combiner,
            integers: l.integers,
            addresses: Vec::new(),
            large_counts: l.large_counts,
            datatypes: olds.to_vec(),
        });
        Ok(m.types.table.insert(TypeObj::new(TypeDesc {
            map: Rc::new(map),
            envelope,
            children,
        })))
    })?;
    out("newtype", newtype, h)
}

fn i64s<T: Copy + Into<i64>>(v: &[T]) -> Vec<i64> {
    v.iter().map(|&x| x.into()).collect()
}

// ---- constructors, shared by the int and _c forms ----

fn contiguous(n: i64, old: c_int, newtype: *mut c_int, large: bool) -> Result<()> {
    let n_ = count("count", n)?;
    let l = large.then(|| Large {
        combiner: typemap::COMBINER_CONTIGUOUS,
        integers: vec![],
        large_counts: vec![n],
    });
    construct(newtype, &[old], l, |t| {
        Ok(TypeMap::contiguous(n_, t[0], old))
    })
}

fn vector(
    n: i64,
    bl: i64,
    stride: i64,
    old: c_int,
    newtype: *mut c_int,
    bytes: bool,
    large: bool,
) -> Result<()> {
    let (n_, bl_) = (count("count", n)?, count("blocklength", bl)?);
    let combiner = if bytes {
        typemap::COMBINER_HVECTOR
    } else {
        typemap::COMBINER_VECTOR
    };
    let l = large.then(|| Large {
        combiner,
        integers: vec![],
        large_counts: vec![n, bl, stride],
    });
    construct(newtype, &[old], l, |t| {
        Ok(if bytes {
            TypeMap::hvector(n_, bl_, stride as isize, t[0], old)
        } else {
            TypeMap::vector(n_, bl_, stride as isize, t[0], old)
        })
    })
}

/// indexed (`bytes` false) and hindexed.
fn indexed<B: Copy + Into<i64>, D: Copy + Into<i64>>(
    n: i64,
    bls: *const B,
    ds: *const D,
    old: c_int,
    newtype: *mut c_int,
    bytes: bool,
    large: bool,
) -> Result<()> {
    let n_ = count("count", n)?;
    let bl = counts("array_of_blocklengths", bls, n_)?;
    let d = disps("array_of_displacements", ds, n_)?;
    let l = large.then(|| {
        let mut lc = vec![n];
        lc.extend(bl.iter().map(|&x| x as i64));
        lc.extend(d.iter().map(|&x| x as i64));
        Large {
            combiner: if bytes {
                typemap::COMBINER_HINDEXED
            } else {
                typemap::COMBINER_INDEXED
            },
            integers: vec![],
            large_counts: lc,
        }
    });
    construct(newtype, &[old], l, |t| {
        Ok(if bytes {
            TypeMap::hindexed(&bl, &d, t[0], old)
        } else {
            TypeMap::indexed(&bl, &d, t[0], old)
        })
    })
}

/// indexed_block (`bytes` false) and hindexed_block.
fn indexed_block<D: Copy + Into<i64>>(
    n: i64,
    bl: i64,
    ds: *const D,
    old: c_int,
    newtype: *mut c_int,
    bytes: bool,
    large: bool,
) -> Result<()> {
    let (n_, bl_) = (count("count", n)?, count("blocklength", bl)?);
    let d = disps("array_of_displacements", ds, n_)?;
    let l = large.then(|| {
        let mut lc = vec![n, bl];
        lc.extend(d.iter().map(|&x| x as i64));
        Large {
            combiner: if bytes {
                typemap::COMBINER_HINDEXED_BLOCK
            } else {
                typemap::COMBINER_INDEXED_BLOCK
            },
            integers: vec![],
            large_counts: lc,
        }
    });
    construct(newtype, &[old], l, |t| {
        Ok(if bytes {
            TypeMap::hindexed_block(bl_, &d, t[0], old)
        } else {
            TypeMap::indexed_block(bl_, &d, t[0], old)
        })
    })
}

fn structure<B: Copy + Into<i64>, D: Copy + Into<i64>>(
    n: i64,
    bls: *const B,
    ds: *const D,
    types: *const c_int,
    newtype: *mut c_int,
    large: bool,
) -> Result<()> {
    let n_ = count("count", n)?;
    let bl = counts("array_of_blocklengths", bls, n_)?;
    let d = disps("array_of_displacements", ds, n_)?;
    let ts = array("array_of_types", types, n_)?.to_vec();
    let l = large.then(|| {
        let mut lc = vec![n];
        lc.extend(bl.iter().map(|&x| x as i64));
        lc.extend(d.iter().map(|&x| x as i64));
        Large {
            combiner: typemap::COMBINER_STRUCT,
            integers: vec![],
            large_counts: lc,
        }
    });
    construct(newtype, &ts, l, |t| Ok(TypeMap::structure(&bl, &d, t, &ts)))
}

fn subarray<T: Copy + Into<i64>>(
    ndims: c_int,
    sizes: *const T,
    subsizes: *const T,
    starts: *const T,
    order: c_int,
    old: c_int,
    newtype: *mut c_int,
    large: bool,
) -> Result<()> {
    if ndims <= 0 {
        return mpi_err!(Dims, "ndims {ndims} is not positive");
    }
    let n = ndims as usize;
    let sz = array("array_of_sizes", sizes, n)?;
    let sub = array("array_of_subsizes", subsizes, n)?;
    let st = array("array_of_starts", starts, n)?;
    let non_neg = |what: &str, a: &[T]| -> Result<Vec<usize>> {
        a.iter()
            .enumerate()
            .map(|(i, &v)| {
                let v: i64 = v.into();
                usize::try_from(v).map_err(|_| mpi_error!(Arg, "{what}[{i}] = {v} is negative"))
            })
            .collect()
    };
    let (a, b, c) = (
        non_neg("array_of_sizes", sz)?,
        non_neg("array_of_subsizes", sub)?,
        non_neg("array_of_starts", st)?,
    );
    let l = large.then(|| {
        let mut lc = i64s(sz);
        lc.extend(i64s(sub));
        lc.extend(i64s(st));
        Large {
            combiner: typemap::COMBINER_SUBARRAY,
            integers: vec![ndims, order],
            large_counts: lc,
        }
    });
    construct(newtype, &[old], l, |t| {
        TypeMap::subarray(&a, &b, &c, order, t[0], old)
    })
}

fn darray<T: Copy + Into<i64>>(
    size: c_int,
    rank: c_int,
    ndims: c_int,
    gsizes: *const T,
    distribs: *const c_int,
    dargs: *const c_int,
    psizes: *const c_int,
    order: c_int,
    old: c_int,
    newtype: *mut c_int,
    large: bool,
) -> Result<()> {
    if size <= 0 {
        return mpi_err!(Arg, "size {size} is not positive");
    }
    if rank < 0 || rank >= size {
        return mpi_err!(Rank, "rank {rank} is not in 0..{size}");
    }
    if ndims <= 0 {
        return mpi_err!(Dims, "ndims {ndims} is not positive");
    }
    let n = ndims as usize;
    let g = array("array_of_gsizes", gsizes, n)?;
    let dist = array("array_of_distribs", distribs, n)?.to_vec();
    let darg = array("array_of_dargs", dargs, n)?.to_vec();
    let ps = array("array_of_psizes", psizes, n)?;
    let mut gs = Vec::with_capacity(n);
    for (i, &v) in g.iter().enumerate() {
        let v: i64 = v.into();
        match usize::try_from(v) {
            Ok(u) if u > 0 => gs.push(u),
            _ => return mpi_err!(Arg, "array_of_gsizes[{i}] = {v} is not positive"),
        }
    }
    let mut pv = Vec::with_capacity(n);
    for (i, &v) in ps.iter().enumerate() {
        if v <= 0 {
            return mpi_err!(Arg, "array_of_psizes[{i}] = {v} is not positive");
        }
        pv.push(v as usize);
    }
    let l = large.then(|| {
        let mut ints = vec![size, rank, ndims];
        ints.extend_from_slice(&dist);
        ints.extend_from_slice(&darg);
        ints.extend_from_slice(ps);
        ints.push(order);
        Large {
            combiner: typemap::COMBINER_DARRAY,
            integers: ints,
            large_counts: i64s(g),
        }
    });
    construct(newtype, &[old], l, |t| {
        TypeMap::darray(
            size as usize,
            rank as usize,
            &gs,
            &dist,
            &darg,
            &pv,
            order,
            t[0],
            old,
        )
    })
}

fn resized(old: c_int, lb: i64, extent: i64, newtype: *mut c_int, large: bool) -> Result<()> {
    let l = large.then(|| Large {
        combiner: typemap::COMBINER_RESIZED,
        integers: vec![],
        large_counts: vec![lb, extent],
    });
    construct(newtype, &[old], l, |t| {
        Ok(TypeMap::resized(t[0], lb as isize, extent as isize, old))
    })
}

mpi_fn! {
    fn MPI_Type_contiguous / PMPI_Type_contiguous(n: c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_contiguous", NO_OBJECT, || contiguous(n.into(), old, newtype, false))
    }
}

mpi_fn! {
    fn MPI_Type_contiguous_c / PMPI_Type_contiguous_c(n: i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_contiguous_c", NO_OBJECT, || contiguous(n, old, newtype, true))
    }
}

mpi_fn! {
    fn MPI_Type_vector / PMPI_Type_vector(n: c_int, bl: c_int, stride: c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_vector", NO_OBJECT, || vector(n.into(), bl.into(), stride.into(), old, newtype, false, false))
    }
}

mpi_fn! {
    fn MPI_Type_vector_c / PMPI_Type_vector_c(n: i64, bl: i64, stride: i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_vector_c", NO_OBJECT, || vector(n, bl, stride, old, newtype, false, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_hvector / PMPI_Type_create_hvector(n: c_int, bl: c_int, stride: isize, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_hvector", NO_OBJECT, || vector(n.into(), bl.into(), stride as i64, old, newtype, true, false))
    }
}

mpi_fn! {
    fn MPI_Type_hvector / PMPI_Type_hvector(n: c_int, bl: c_int, stride: isize, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_hvector", NO_OBJECT, || vector(n.into(), bl.into(), stride as i64, old, newtype, true, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_hvector_c / PMPI_Type_create_hvector_c(n: i64, bl: i64, stride: i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_hvector_c", NO_OBJECT, || vector(n, bl, stride, old, newtype, true, true))
    }
}

mpi_fn! {
    fn MPI_Type_indexed / PMPI_Type_indexed(n: c_int, bls: *const c_int, ds: *const c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_indexed", NO_OBJECT, || indexed(n.into(), bls, ds, old, newtype, false, false))
    }
}

mpi_fn! {
    fn MPI_Type_indexed_c / PMPI_Type_indexed_c(n: i64, bls: *const i64, ds: *const i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_indexed_c", NO_OBJECT, || indexed(n, bls, ds, old, newtype, false, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_hindexed / PMPI_Type_create_hindexed(n: c_int, bls: *const c_int, ds: *const i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_hindexed", NO_OBJECT, || indexed(n.into(), bls, ds, old, newtype, true, false))
    }
}

mpi_fn! {
    fn MPI_Type_hindexed / PMPI_Type_hindexed(n: c_int, bls: *const c_int, ds: *const i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_hindexed", NO_OBJECT, || indexed(n.into(), bls, ds, old, newtype, true, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_hindexed_c / PMPI_Type_create_hindexed_c(n: i64, bls: *const i64, ds: *const i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_hindexed_c", NO_OBJECT, || indexed(n, bls, ds, old, newtype, true, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_indexed_block / PMPI_Type_create_indexed_block(n: c_int, bl: c_int, ds: *const c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_indexed_block", NO_OBJECT, || indexed_block(n.into(), bl.into(), ds, old, newtype, false, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_indexed_block_c / PMPI_Type_create_indexed_block_c(n: i64, bl: i64, ds: *const i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_indexed_block_c", NO_OBJECT, || indexed_block(n, bl, ds, old, newtype, false, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_hindexed_block / PMPI_Type_create_hindexed_block(n: c_int, bl: c_int, ds: *const i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_hindexed_block", NO_OBJECT, || indexed_block(n.into(), bl.into(), ds, old, newtype, true, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_hindexed_block_c / PMPI_Type_create_hindexed_block_c(n: i64, bl: i64, ds: *const i64, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_hindexed_block_c", NO_OBJECT, || indexed_block(n, bl, ds, old, newtype, true, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_struct / PMPI_Type_create_struct(n: c_int, bls: *const c_int, ds: *const i64, types: *const c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_struct", NO_OBJECT, || structure(n.into(), bls, ds, types, newtype, false))
    }
}

mpi_fn! {
    fn MPI_Type_struct / PMPI_Type_struct(n: c_int, bls: *const c_int, ds: *const i64, types: *const c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_struct", NO_OBJECT, || structure(n.into(), bls, ds, types, newtype, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_struct_c / PMPI_Type_create_struct_c(n: i64, bls: *const i64, ds: *const i64, types: *const c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_struct_c", NO_OBJECT, || structure(n, bls, ds, types, newtype, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_subarray / PMPI_Type_create_subarray(ndims: c_int, sizes: *const c_int, subsizes: *const c_int, starts: *const c_int, order: c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_subarray", NO_OBJECT, || subarray(ndims, sizes, subsizes, starts, order, old, newtype, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_subarray_c / PMPI_Type_create_subarray_c(ndims: c_int, sizes: *const i64, subsizes: *const i64, starts: *const i64, order: c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_subarray_c", NO_OBJECT, || subarray(ndims, sizes, subsizes, starts, order, old, newtype, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_darray / PMPI_Type_create_darray(size: c_int, rank: c_int, ndims: c_int, gsizes: *const c_int, distribs: *const c_int, dargs: *const c_int, psizes: *const c_int, order: c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_darray", NO_OBJECT, || darray(size, rank, ndims, gsizes, distribs, dargs, psizes, order, old, newtype, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_darray_c / PMPI_Type_create_darray_c(size: c_int, rank: c_int, ndims: c_int, gsizes: *const i64, distribs: *const c_int, dargs: *const c_int, psizes: *const c_int, order: c_int, old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_darray_c", NO_OBJECT, || darray(size, rank, ndims, gsizes, distribs, dargs, psizes, order, old, newtype, true))
    }
}

mpi_fn! {
    fn MPI_Type_create_resized / PMPI_Type_create_resized(old: c_int, lb: isize, extent: isize, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_resized", NO_OBJECT, || resized(old, lb as i64, extent as i64, newtype, false))
    }
}

mpi_fn! {
    fn MPI_Type_create_resized_c / PMPI_Type_create_resized_c(old: c_int, lb: i64, extent: i64, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_resized_c", NO_OBJECT, || resized(old, lb, extent, newtype, true))
    }
}

// ---- dup, commit, free ----

mpi_fn! {
    fn MPI_Type_dup / PMPI_Type_dup(old: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_dup", NO_OBJECT, || {
            if newtype.is_null() {
                return mpi_err!(Arg, "newtype is a null pointer");
            }
            let h = with(|m| -> Result<_> {
                let (map, child) = m.types.operand(old)?;
                let committed = m.types.is_predefined(old)
                    || m.types.table.get(old).is_some_and(|o| o.committed);
                let mut o = TypeObj::new(TypeDesc {
                    map: Rc::new(TypeMap::dup(&map, old)),
                    envelope: None,
                    children: child.into_iter().collect(),
                });
                o.committed = committed;
                Ok(m.types.table.insert(o))
            })?;
            if let Err(e) = copy_attrs(Kind::Datatype, old, h) {
                let _ = free_type(h);
                return Err(e);
            }
            out("newtype", newtype, h)
        })
    }
}

mpi_fn! {
    fn MPI_Type_commit / PMPI_Type_commit(datatype: *mut c_int) -> c_int {
        call("MPI_Type_commit", NO_OBJECT, || {
            let h = read_handle("datatype", datatype)?;
            with(|m| {
                if m.types.is_predefined(h) {
                    return Ok(());
                }
                match m.types.table.get_mut(h) {
                    Some(o) => {
                        o.committed = true;
                        Ok(())
                    }
                    None => bad_type(h),
                }
            })
        })
    }
}

/// Frees derived type `h`: calls the delete callbacks of its attributes,
/// then drops the handle (requests in flight keep the type map).
fn free_type(h: c_int) -> Result<()> {
    with(|m| -> Result<()> {
        if m.types.is_predefined(h) {
            let name = typemap::predefined_name(h).unwrap_or("a predefined type");
            return mpi_err!(Type, "{name} is predefined and cannot be freed");
        }
        match m.types.table.get(h) {
            Some(o) if o.permanent => {
                mpi_err!(Type, "datatype {h:#x} (from MPI_Type_create_f90_*) is predefined and cannot be freed")
            }
            Some(_) => Ok(()),
            None => bad_type(h),
        }
    })?;
    delete_all_attrs(Kind::Datatype, h)?;
    with(|m| m.types.table.remove(h));
    Ok(())
}

mpi_fn! {
    fn MPI_Type_free / PMPI_Type_free(datatype: *mut c_int) -> c_int {
        call("MPI_Type_free", NO_OBJECT, || {
            let h = read_handle("datatype", datatype)?;
            free_type(h)?;
            // SAFETY: not null (read_handle checked).
            unsafe { *datatype = MPI_DATATYPE_NULL };
            Ok(())
        })
    }
}

// ---- envelope and contents ----

fn envelope_of(h: c_int) -> Result<Envelope> {
    with(|m| Ok(m.types.desc(h)?.envelope()))
}

/// Checks an output count fits an `int`.
fn as_int(what: &str, v: usize) -> Result<c_int> {
    c_int::try_from(v).map_err(|_| mpi_error!(ValueTooLarge, "{what} {v} does not fit in an int"))
}

mpi_fn! {
    fn MPI_Type_get_envelope / PMPI_Type_get_envelope(datatype: c_int, ni: *mut c_int, na: *mut c_int, nd: *mut c_int, combiner: *mut c_int) -> c_int {
        call("MPI_Type_get_envelope", NO_OBJECT, || {
            let e = envelope_of(datatype)?;
            if !e.large_counts.is_empty() {
                return mpi_err!(Type, "datatype {datatype:#x} was made by a large-count constructor: use MPI_Type_get_envelope_c");
            }
            out("num_integers", ni, as_int("num_integers", e.integers.len())?)?;
            out("num_addresses", na, as_int("num_addresses", e.addresses.len())?)?;
            out("num_datatypes", nd, as_int("num_datatypes", e.datatypes.len())?)?;
            out("combiner", combiner, e.combiner)
        })
    }
}

mpi_fn! {
    fn MPI_Type_get_envelope_c / PMPI_Type_get_envelope_c(datatype: c_int, ni: *mut i64, na: *mut i64, nl: *mut i64, nd: *mut i64, combiner: *mut c_int) -> c_int {
        call("MPI_Type_get_envelope_c", NO_OBJECT, || {
            let e = envelope_of(datatype)?;
            out("num_integers", ni, e.integers.len() as i64)?;
            out("num_addresses", na, e.addresses.len() as i64)?;
            out("num_large_counts", nl, e.large_counts.len() as i64)?;
            out("num_datatypes", nd, e.datatypes.len() as i64)?;
            out("combiner", combiner, e.combiner)
        })
    }
}

/// Copies `v` to the caller's array `p` of `max` entries.
fn fill<T: Copy>(what: &str, p: *mut T, max: i64, v: &[T]) -> Result<()> {
    if max < 0 {
        return mpi_err!(Arg, "max for {what} is negative ({max})");
    }
    if (max as u64) < v.len() as u64 {
        return mpi_err!(
            Arg,
            "{what} holds {max} entries but the datatype has {}",
            v.len()
        );
    }
    if v.is_empty() {
        return Ok(());
    }
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    // SAFETY: not null; the caller's array holds `max >= v.len()` entries.
    unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), p, v.len()) };
    Ok(())
}

/// MPI_Type_get_contents: writes the arguments; derived children get new handles.
fn contents(
    h: c_int,
    max: [i64; 4],
    ints: *mut c_int,
    addrs: *mut isize,
    large: *mut i64,
    types: *mut c_int,
    large_ok: bool,
) -> Result<()> {
    let desc = with(|m| m.types.desc(h))?;
    let e = desc.envelope();
    if e.combiner == typemap::COMBINER_NAMED {
        return mpi_err!(Type, "datatype {h:#x} is predefined: it has no contents");
    }
    if !large_ok && !e.large_counts.is_empty() {
        return mpi_err!(
            Type,
            "datatype {h:#x} was made by a large-count constructor: use MPI_Type_get_contents_c"
        );
    }
    if max[3] < e.datatypes.len() as i64 {
        return mpi_err!(
            Arg,
            "array_of_datatypes holds {} entries but the datatype has {}",
            max[3],
            e.datatypes.len()
        );
    }
    fill("array_of_integers", ints, max[0], &e.integers)?;
    fill("array_of_addresses", addrs, max[1], &e.addresses)?;
    if large_ok {
        fill("array_of_large_counts", large, max[2], &e.large_counts)?;
    }
    if !e.datatypes.is_empty() && types.is_null() {
        return mpi_err!(Arg, "array_of_datatypes is a null pointer");
    }
    let handles: Vec<c_int> = with(|m| {
        e.datatypes
            .iter()
            .map(|&d| match desc.children.iter().find(|c| c.handle == d) {
                Some(c) => m.types.table.insert(TypeObj {
                    desc: c.desc.clone(),
                    committed: c.committed,
                    name: String::new(),
                    attrs: Default::default(),
                    permanent: false,
                }),
                None => d,
            })
            .collect()
    });
    fill("array_of_datatypes", types, max[3], &handles)
}

mpi_fn! {
    fn MPI_Type_get_contents / PMPI_Type_get_contents(datatype: c_int, max_integers: c_int, max_addresses: c_int, max_datatypes: c_int, ints: *mut c_int, addrs: *mut isize, types: *mut c_int) -> c_int {
        call("MPI_Type_get_contents", NO_OBJECT, || {
            let max = [max_integers.into(), max_addresses.into(), 0, max_datatypes.into()];
            contents(datatype, max, ints, addrs, std::ptr::null_mut(), types, false)
        })
    }
}

mpi_fn! {
    fn MPI_Type_get_contents_c / PMPI_Type_get_contents_c(datatype: c_int, max_integers: i64, max_addresses: i64, max_large_counts: i64, max_datatypes: i64, ints: *mut c_int, addrs: *mut isize, large: *mut i64, types: *mut c_int) -> c_int {
        call("MPI_Type_get_contents_c", NO_OBJECT, || {
            let max = [max_integers, max_addresses, max_large_counts, max_datatypes];
            contents(datatype, max, ints, addrs, large, types, true)
        })
    }
}

// ---- extents and sizes ----

fn map_of(h: c_int) -> Result<Rc<TypeMap>> {
    with(|m| m.types.get(h, false))
}

mpi_fn! {
    fn MPI_Type_get_extent / PMPI_Type_get_extent(datatype: c_int, lb: *mut isize, extent: *mut isize) -> c_int {
        call("MPI_Type_get_extent", NO_OBJECT, || {
            let t = map_of(datatype)?;
            out("lb", lb, t.lb)?;
            out("extent", extent, t.extent)
        })
    }
}

mpi_fn! {
    fn MPI_Type_get_extent_c / PMPI_Type_get_extent_c(datatype: c_int, lb: *mut i64, extent: *mut i64) -> c_int {
        call("MPI_Type_get_extent_c", NO_OBJECT, || {
            let t = map_of(datatype)?;
            out("lb", lb, t.lb as i64)?;
            out("extent", extent, t.extent as i64)
        })
    }
}

mpi_fn! {
    fn MPI_Type_get_extent_x / PMPI_Type_get_extent_x(datatype: c_int, lb: *mut i64, extent: *mut i64) -> c_int {
        call("MPI_Type_get_extent_x", NO_OBJECT, || {
            let t = map_of(datatype)?;
            out("lb", lb, t.lb as i64)?;
            out("extent", extent, t.extent as i64)
        })
    }
}

mpi_fn! {
    fn MPI_Type_extent / PMPI_Type_extent(datatype: c_int, extent: *mut isize) -> c_int {
        call("MPI_Type_extent", NO_OBJECT, || out("extent", extent, map_of(datatype)?.extent))
    }
}

mpi_fn! {
    fn MPI_Type_lb / PMPI_Type_lb(datatype: c_int, displacement: *mut isize) -> c_int {
        call("MPI_Type_lb", NO_OBJECT, || out("displacement", displacement, map_of(datatype)?.lb))
    }
}

mpi_fn! {
    fn MPI_Type_ub / PMPI_Type_ub(datatype: c_int, displacement: *mut isize) -> c_int {
        call("MPI_Type_ub", NO_OBJECT, || {
            let t = map_of(datatype)?;
            out("displacement", displacement, t.lb + t.extent)
        })
    }
}

mpi_fn! {
    fn MPI_Type_get_true_extent / PMPI_Type_get_true_extent(datatype: c_int, lb: *mut isize, extent: *mut isize) -> c_int {
        call("MPI_Type_get_true_extent", NO_OBJECT, || {
            let t = map_of(datatype)?;
            out("true_lb", lb, t.true_lb)?;
            out("true_extent", extent, t.true_extent)
        })
    }
}

mpi_fn! {
    fn MPI_Type_get_true_extent_c / PMPI_Type_get_true_extent_c(datatype: c_int, lb: *mut i64, extent: *mut i64) -> c_int {
        call("MPI_Type_get_true_extent_c", NO_OBJECT, || {
            let t = map_of(datatype)?;
            out("true_lb", lb, t.true_lb as i64)?;
            out("true_extent", extent, t.true_extent as i64)
        })
    }
}

mpi_fn! {
    fn MPI_Type_get_true_extent_x / PMPI_Type_get_true_extent_x(datatype: c_int, lb: *mut i64, extent: *mut i64) -> c_int {
        call("MPI_Type_get_true_extent_x", NO_OBJECT, || {
            let t = map_of(datatype)?;
            out("true_lb", lb, t.true_lb as i64)?;
            out("true_extent", extent, t.true_extent as i64)
        })
    }
}

mpi_fn! {
    fn MPI_Type_size / PMPI_Type_size(datatype: c_int, size: *mut c_int) -> c_int {
        call("MPI_Type_size", NO_OBJECT, || {
            let s = map_of(datatype)?.size;
            // MPI-4.0 5.1.5: MPI_UNDEFINED when the size does not fit.
            out("size", size, c_int::try_from(s).unwrap_or(MPI_UNDEFINED))
        })
    }
}

mpi_fn! {
    fn MPI_Type_size_c / PMPI_Type_size_c(datatype: c_int, size: *mut i64) -> c_int {
        call("MPI_Type_size_c", NO_OBJECT, || out("size", size, map_of(datatype)?.size as i64))
    }
}

mpi_fn! {
    fn MPI_Type_size_x / PMPI_Type_size_x(datatype: c_int, size: *mut i64) -> c_int {
        call("MPI_Type_size_x", NO_OBJECT, || out("size", size, map_of(datatype)?.size as i64))
    }
}

// ---- names ----

mpi_fn! {
    fn MPI_Type_get_name / PMPI_Type_get_name(datatype: c_int, name: *mut c_char, len: *mut c_int) -> c_int {
        call("MPI_Type_get_name", NO_OBJECT, || {
            let s = with(|m| -> Result<String> {
                if let Some(s) = m.types.names.get(&datatype) {
                    return Ok(s.clone());
                }
                if let Some(o) = m.types.table.get(datatype) {
                    if !o.permanent || !o.name.is_empty() {
                        return Ok(o.name.clone());
                    }
                }
                match typemap::predefined_name(datatype) {
                    Some(s) => Ok(s.to_string()),
                    None if m.types.table.get(datatype).is_some() => Ok(String::new()),
                    None => bad_type(datatype),
                }
            })?;
            write_str("type_name", name, len, &s, MPI_MAX_OBJECT_NAME)
        })
    }
}

mpi_fn! {
    fn MPI_Type_set_name / PMPI_Type_set_name(datatype: c_int, name: *const c_char) -> c_int {
        call("MPI_Type_set_name", NO_OBJECT, || {
            let mut s = read_str("type_name", name)?;
            let mut n = s.len().min(MPI_MAX_OBJECT_NAME - 1);
            while !s.is_char_boundary(n) {
                n -= 1;
            }
            s.truncate(n);
            // Predefined types may be renamed too, as in MPICH.
            with(|m| {
                if m.types.is_predefined(datatype) && m.types.table.get(datatype).is_none() {
                    m.types.names.insert(datatype, s);
                    return Ok(());
                }
                match m.types.table.get_mut(datatype) {
                    Some(o) => {
                        o.name = s;
                        Ok(())
                    }
                    None => bad_type(datatype),
                }
            })
        })
    }
}

// ---- predefined types by size or precision ----

mpi_fn! {
    fn MPI_Type_match_size / PMPI_Type_match_size(typeclass: c_int, size: c_int, datatype: *mut c_int) -> c_int {
        call("MPI_Type_match_size", NO_OBJECT, || {
            if ![typemap::TYPECLASS_REAL, typemap::TYPECLASS_INTEGER, typemap::TYPECLASS_COMPLEX].contains(&typeclass) {
                return mpi_err!(Arg, "typeclass {typeclass} is not {TYPECLASS_NAMES}");
            }
            let found = usize::try_from(size).ok().and_then(|s| typemap::match_size(typeclass, s));
            match found {
                Some(h) => out("datatype", datatype, h),
                None => mpi_err!(Arg, "no predefined type of typeclass {typeclass} has {size} bytes"),
            }
        })
    }
}

/// The type MPI_Type_create_f90_* returns for (combiner, p, r), made
/// once: the sized Fortran type with that precision and range, with the
/// f90 combiner as its envelope.
fn f90(combiner: c_int, p: c_int, r: c_int, prim: Prim, newtype: *mut c_int) -> Result<()> {
    if newtype.is_null() {
        return mpi_err!(Arg, "newtype is a null pointer");
    }
    let h = with(|m| {
        if let Some(&h) = m.types.f90.get(&(combiner, p, r)) {
            return h;
        }
        let integers = if combiner == COMBINER_F90_INTEGER {
            vec![r]
        } else {
            vec![p, r]
        };
        let mut o = TypeObj::new(TypeDesc {
            map: Rc::new(TypeMap::predefined(prim.handle()).expect("a basic type")),
            envelope: Some(Envelope {
                combiner,
                integers,
                ..Envelope::default()
            }),
            children: Vec::new(),
        });
        o.committed = true;
        o.permanent = true;
        let h = m.types.table.insert(o);
        m.types.f90.insert((combiner, p, r), h);
        h
    });
    out("newtype", newtype, h)
}

/// The smallest real kind (4, 8 or 16 bytes) with decimal precision `p`
/// and exponent range `r` (MPI_UNDEFINED: any), as Fortran's
/// SELECTED_REAL_KIND picks it for IEEE types.
fn real_kind(p: c_int, r: c_int) -> Result<usize> {
    let ok = |pmax: c_int, rmax: c_int| {
        (p == MPI_UNDEFINED || p <= pmax) && (r == MPI_UNDEFINED || r <= rmax)
    };
    if (p != MPI_UNDEFINED && p < 0) || (r != MPI_UNDEFINED && r < 0) {
        return mpi_err!(Arg, "precision {p} or range {r} is negative");
    }
    if ok(6, 37) {
        Ok(4)
    } else if ok(15, 307) {
        Ok(8)
    } else if ok(33, 4931) {
        Ok(16)
    } else {
        mpi_err!(Arg, "no real type has precision {p} and range {r}")
    }
}

mpi_fn! {
    fn MPI_Type_create_f90_integer / PMPI_Type_create_f90_integer(r: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_f90_integer", NO_OBJECT, || {
            let prim = match r {
                _ if r < 0 && r != MPI_UNDEFINED => return mpi_err!(Arg, "range {r} is negative"),
                MPI_UNDEFINED => Prim::Integer4,
                0..=2 => Prim::Integer1,
                3..=4 => Prim::Integer2,
                5..=9 => Prim::Integer4,
                10..=18 => Prim::Integer8,
                _ => return mpi_err!(Arg, "no integer type has range {r} (at most 18)"),
            };
            f90(COMBINER_F90_INTEGER, MPI_UNDEFINED, r, prim, newtype)
        })
    }
}

mpi_fn! {
    fn MPI_Type_create_f90_real / PMPI_Type_create_f90_real(p: c_int, r: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_f90_real", NO_OBJECT, || {
            let prim = match real_kind(p, r)? {
                4 => Prim::Real4,
                8 => Prim::Real8,
                _ => Prim::Real16,
            };
            f90(COMBINER_F90_REAL, p, r, prim, newtype)
        })
    }
}

mpi_fn! {
    fn MPI_Type_create_f90_complex / PMPI_Type_create_f90_complex(p: c_int, r: c_int, newtype: *mut c_int) -> c_int {
        call("MPI_Type_create_f90_complex", NO_OBJECT, || {
            let prim = match real_kind(p, r)? {
                4 => Prim::Complex8,
                8 => Prim::Complex16,
                _ => Prim::Complex32,
            };
            f90(COMBINER_F90_COMPLEX, p, r, prim, newtype)
        })
    }
}

// ---- attributes ----

mpi_fn! {
    fn MPI_Type_create_keyval / PMPI_Type_create_keyval(copy: Option<CopyFn>, delete: Option<DeleteFn>, keyval: *mut c_int, extra: *mut c_void) -> c_int {
        call("MPI_Type_create_keyval", NO_OBJECT, || {
            if keyval.is_null() {
                return mpi_err!(Arg, "type_keyval is a null pointer");
            }
            let k = create_keyval(Kind::Datatype, copy, delete, extra)?;
            out("type_keyval", keyval, k)
        })
    }
}

mpi_fn! {
    fn MPI_Type_free_keyval / PMPI_Type_free_keyval(keyval: *mut c_int) -> c_int {
        call("MPI_Type_free_keyval", NO_OBJECT, || {
            free_keyval("type_keyval", Kind::Datatype, keyval)
        })
    }
}

mpi_fn! {
    fn MPI_Type_set_attr / PMPI_Type_set_attr(datatype: c_int, keyval: c_int, value: *mut c_void) -> c_int {
        call("MPI_Type_set_attr", NO_OBJECT, || set_attr_of(Kind::Datatype, datatype, keyval, value as usize))
    }
}

mpi_fn! {
    fn MPI_Type_get_attr / PMPI_Type_get_attr(datatype: c_int, keyval: c_int, value: *mut c_void, flag: *mut c_int) -> c_int {
        call("MPI_Type_get_attr", NO_OBJECT, || {
            attr::keyval(keyval, Kind::Datatype)?;
            let found = with(|m| m.types.attrs_mut(datatype).map(|a| a.get(keyval)))?;
            out("flag", flag, found.is_some() as c_int)?;
            if let Some(v) = found {
                out("attribute_val", value as *mut usize, v)?;
            }
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Type_delete_attr / PMPI_Type_delete_attr(datatype: c_int, keyval: c_int) -> c_int {
        call("MPI_Type_delete_attr", NO_OBJECT, || delete_attr_of(Kind::Datatype, datatype, keyval))
    }
}

// ---- packing ----

/// The committed type map of `dt` for packing, after checking `comm`.
fn pack_type(dt: c_int, comm: Option<c_int>) -> Result<Rc<TypeMap>> {
    with(|m| {
        if let Some(c) = comm {
            m.check_running()?;
            m.comms.comm(c)?;
        }
        m.types.get(dt, true)
    })
}

/// Reads `*position` (must lie in 0..=`size`).
fn position_in(p: *const i64, size: i64) -> Result<usize> {
    if p.is_null() {
        return mpi_err!(Arg, "position is a null pointer");
    }
    // SAFETY: not null; points to the caller's position.
    let pos = unsafe { *p };
    if pos < 0 || pos > size {
        return mpi_err!(Arg, "position {pos} is outside the buffer of {size} bytes");
    }
    Ok(pos as usize)
}

/// The bytes of `count` elements at `buf`: native (`external` false) or external32.
fn packed(t: &TypeMap, buf: *const c_void, count: usize, external: bool) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    if t.size == 0 || count == 0 {
        return Ok(v);
    }
    if buf.is_null() && t.is_contiguous() && t.true_lb == 0 {
        return mpi_err!(
            Buffer,
            "inbuf is a null pointer but {count} elements are to be packed"
        );
    }
    // SAFETY: the standard makes `buf` hold `count` elements of the type.
    unsafe {
        if external {
            t.pack_external32(buf as *const u8, count, &mut v);
        } else {
            t.pack(buf as *const u8, count, &mut v);
        }
    }
    Ok(v)
}

/// Bytes of `n` packed elements: native or external32.
fn packed_size(t: &TypeMap, n: usize, external: bool) -> Result<usize> {
    let per = if external {
        t.external32_size()
    } else {
        t.size
    };
    n.checked_mul(per)
        .ok_or_else(|| mpi_error!(Count, "{n} elements of {per} bytes overflow"))
}

/// MPI_Pack and MPI_Pack_external: appends at `*position` of `outbuf`.
fn pack(
    inbuf: *const c_void,
    incount: i64,
    dt: c_int,
    outbuf: *mut c_void,
    outsize: i64,
    position: *mut i64,
    comm: Option<c_int>,
) -> Result<()> {
    let n = count("incount", incount)?;
    if outsize < 0 {
        return mpi_err!(Arg, "outsize {outsize} is negative");
    }
    let t = pack_type(dt, comm)?;
    let pos = position_in(position, outsize)?;
    let need = packed_size(&t, n, comm.is_none())?;
    if pos + need > outsize as usize {
        return mpi_err!(
            Truncate,
            "{n} elements need {need} bytes but the buffer of {outsize} bytes has {} left after position {pos}",
            outsize as usize - pos
        );
    }
    let v = packed(&t, inbuf, n, comm.is_none())?;
    if !v.is_empty() {
        if outbuf.is_null() {
            return mpi_err!(Buffer, "outbuf is a null pointer");
        }
        // SAFETY: the caller's buffer holds `outsize` bytes and
        // pos + v.len() <= outsize (checked above).
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), (outbuf as *mut u8).add(pos), v.len()) };
    }
    // SAFETY: not null (position_in checked).
    unsafe { *position = (pos + v.len()) as i64 };
    Ok(())
}

/// MPI_Unpack and MPI_Unpack_external: reads from `*position` of `inbuf`.
fn unpack(
    inbuf: *const c_void,
    insize: i64,
    position: *mut i64,
    outbuf: *mut c_void,
    outcount: i64,
    dt: c_int,
    comm: Option<c_int>,
) -> Result<()> {
    let n = count("outcount", outcount)?;
    if insize < 0 {
        return mpi_err!(Arg, "insize {insize} is negative");
    }
    let t = pack_type(dt, comm)?;
    let pos = position_in(position, insize)?;
    let need = packed_size(&t, n, comm.is_none())?;
    if pos + need > insize as usize {
        return mpi_err!(
            Truncate,
            "{n} elements need {need} bytes but the buffer of {insize} bytes has {} left after position {pos}",
            insize as usize - pos
        );
    }
    if need > 0 {
        if inbuf.is_null() {
            return mpi_err!(Buffer, "inbuf is a null pointer");
        }
        if outbuf.is_null() && t.is_contiguous() && t.true_lb == 0 {
            return mpi_err!(
                Buffer,
                "outbuf is a null pointer but {n} elements are to be unpacked"
            );
        }
        // SAFETY: the caller's buffer holds `insize` bytes, pos + need <= insize.
        let data = unsafe { std::slice::from_raw_parts((inbuf as *const u8).add(pos), need) };
        // SAFETY: the standard makes `outbuf` hold `n` elements of the type.
        unsafe {
            if comm.is_some() {
                t.unpack(data, outbuf as *mut u8, n);
            } else {
                t.unpack_external32(data, outbuf as *mut u8, n);
            }
        }
    }
    // SAFETY: not null (position_in checked).
    unsafe { *position = (pos + need) as i64 };
    Ok(())
}

/// Runs `f` on a 64-bit copy of the `int` position `p`, and writes it back.
fn with_int_position(p: *mut c_int, f: impl FnOnce(*mut i64) -> Result<()>) -> Result<()> {
    if p.is_null() {
        return mpi_err!(Arg, "position is a null pointer");
    }
    // SAFETY: not null; points to the caller's int.
    let mut pos = unsafe { *p } as i64;
    f(&mut pos)?;
    // SAFETY: as above.
    unsafe { *p = as_int("position", pos as usize)? };
    Ok(())
}

fn check_datarep(datarep: *const c_char) -> Result<()> {
    let d = read_str("datarep", datarep)?;
    if d != "external32" {
        return mpi_err!(Arg, "data representation \"{d}\" is not \"external32\"");
    }
    Ok(())
}

mpi_fn! {
    fn MPI_Pack / PMPI_Pack(inbuf: *const c_void, incount: c_int, datatype: c_int, outbuf: *mut c_void, outsize: c_int, position: *mut c_int, comm: c_int) -> c_int {
        call("MPI_Pack", comm, || {
            with_int_position(position, |p| pack(inbuf, incount.into(), datatype, outbuf, outsize.into(), p, Some(comm)))
        })
    }
}

mpi_fn! {
    fn MPI_Pack_c / PMPI_Pack_c(inbuf: *const c_void, incount: i64, datatype: c_int, outbuf: *mut c_void, outsize: i64, position: *mut i64, comm: c_int) -> c_int {
        call("MPI_Pack_c", comm, || pack(inbuf, incount, datatype, outbuf, outsize, position, Some(comm)))
    }
}

mpi_fn! {
    fn MPI_Unpack / PMPI_Unpack(inbuf: *const c_void, insize: c_int, position: *mut c_int, outbuf: *mut c_void, outcount: c_int, datatype: c_int, comm: c_int) -> c_int {
        call("MPI_Unpack", comm, || {
            with_int_position(position, |p| unpack(inbuf, insize.into(), p, outbuf, outcount.into(), datatype, Some(comm)))
        })
    }
}

mpi_fn! {
    fn MPI_Unpack_c / PMPI_Unpack_c(inbuf: *const c_void, insize: i64, position: *mut i64, outbuf: *mut c_void, outcount: i64, datatype: c_int, comm: c_int) -> c_int {
        call("MPI_Unpack_c", comm, || unpack(inbuf, insize, position, outbuf, outcount, datatype, Some(comm)))
    }
}

/// MPI_Pack_size: `count * size` (no header, as in MPICH).
fn pack_size(incount: i64, dt: c_int, comm: c_int) -> Result<usize> {
    let n = count("incount", incount)?;
    let t = pack_type(dt, Some(comm))?;
    packed_size(&t, n, false)
}

mpi_fn! {
    fn MPI_Pack_size / PMPI_Pack_size(incount: c_int, datatype: c_int, comm: c_int, size: *mut c_int) -> c_int {
        call("MPI_Pack_size", comm, || {
            let s = pack_size(incount.into(), datatype, comm)?;
            out("size", size, as_int("pack size", s)?)
        })
    }
}

mpi_fn! {
    fn MPI_Pack_size_c / PMPI_Pack_size_c(incount: i64, datatype: c_int, comm: c_int, size: *mut i64) -> c_int {
        call("MPI_Pack_size_c", comm, || out("size", size, pack_size(incount, datatype, comm)? as i64))
    }
}

mpi_fn! {
    fn MPI_Pack_external / PMPI_Pack_external(datarep: *const c_char, inbuf: *const c_void, incount: c_int, datatype: c_int, outbuf: *mut c_void, outsize: isize, position: *mut isize) -> c_int {
        call("MPI_Pack_external", NO_OBJECT, || {
            check_datarep(datarep)?;
            pack(inbuf, incount.into(), datatype, outbuf, outsize as i64, position as *mut i64, None)
        })
    }
}

mpi_fn! {
    fn MPI_Pack_external_c / PMPI_Pack_external_c(datarep: *const c_char, inbuf: *const c_void, incount: i64, datatype: c_int, outbuf: *mut c_void, outsize: i64, position: *mut i64) -> c_int {
        call("MPI_Pack_external_c", NO_OBJECT, || {
            check_datarep(datarep)?;
            pack(inbuf, incount, datatype, outbuf, outsize, position, None)
        })
    }
}

mpi_fn! {
    fn MPI_Unpack_external / PMPI_Unpack_external(datarep: *const c_char, inbuf: *const c_void, insize: isize, position: *mut isize, outbuf: *mut c_void, outcount: c_int, datatype: c_int) -> c_int {
        call("MPI_Unpack_external", NO_OBJECT, || {
            check_datarep(datarep)?;
            unpack(inbuf, insize as i64, position as *mut i64, outbuf, outcount.into(), datatype, None)
        })
    }
}

mpi_fn! {
    fn MPI_Unpack_external_c / PMPI_Unpack_external_c(datarep: *const c_char, inbuf: *const c_void, insize: i64, position: *mut i64, outbuf: *mut c_void, outcount: i64, datatype: c_int) -> c_int {
        call("MPI_Unpack_external_c", NO_OBJECT, || {
            check_datarep(datarep)?;
            unpack(inbuf, insize, position, outbuf, outcount, datatype, None)
        })
    }
}

fn external_size(datarep: *const c_char, incount: i64, dt: c_int) -> Result<i64> {
    check_datarep(datarep)?;
    let n = count("incount", incount)?;
    let t = with(|m| m.types.get(dt, false))?;
    Ok(packed_size(&t, n, true)? as i64)
}

mpi_fn! {
    fn MPI_Pack_external_size / PMPI_Pack_external_size(datarep: *const c_char, incount: c_int, datatype: c_int, size: *mut isize) -> c_int {
        call("MPI_Pack_external_size", NO_OBJECT, || {
            out("size", size, external_size(datarep, incount.into(), datatype)? as isize)
        })
    }
}

mpi_fn! {
    fn MPI_Pack_external_size_c / PMPI_Pack_external_size_c(datarep: *const c_char, incount: i64, datatype: c_int, size: *mut i64) -> c_int {
        call("MPI_Pack_external_size_c", NO_OBJECT, || out("size", size, external_size(datarep, incount, datatype)?))
    }
}

// ---- addresses ----

mpi_fn! {
    fn MPI_Get_address / PMPI_Get_address(location: *const c_void, address: *mut isize) -> c_int {
        call("MPI_Get_address", NO_OBJECT, || out("address", address, location as isize))
    }
}

mpi_fn! {
    fn MPI_Address / PMPI_Address(location: *mut c_void, address: *mut isize) -> c_int {
        call("MPI_Address", NO_OBJECT, || out("address", address, location as isize))
    }
}
