//! Groups: ordered sets of processes, as lists of world ranks.
//!
//! A group is local: none of these calls communicates. The empty group is
//! always MPI_GROUP_EMPTY (a predefined handle), so every group made here
//! that turns out empty is reported as MPI_GROUP_EMPTY, as MPICH does.
//! Argument checks follow MPICH: a negative count or a zero stride is
//! MPI_ERR_ARG, a rank outside the group or given twice is MPI_ERR_RANK in
//! a list of ranks (MPI_Group_incl/excl) and MPI_ERR_ARG in a range
//! (MPI_Group_range_incl/excl).

use std::os::raw::c_int;

use super::comm::GroupObj;
use super::consts::*;
use super::errors::call;
use super::errors::NO_OBJECT;
use super::state::with;
use super::{mpi_fn, out};
use crate::error::{mpi_err, Result};

/// The group of handle `h` (world ranks).
fn group(h: c_int) -> Result<GroupObj> {
    with(|m| m.comms.group(h))
}

/// Registers group `g` and writes its handle to `newgroup`.
fn give(newgroup: *mut c_int, g: GroupObj) -> Result<()> {
    if newgroup.is_null() {
        return mpi_err!(Arg, "newgroup is a null pointer");
    }
    let h = with(|m| m.comms.new_group(g));
    out("newgroup", newgroup, h)
}

/// This process's world rank.
fn my_world_rank() -> Result<usize> {
    with(|m| {
        m.check_running()?;
        Ok(m.universe.as_ref().map_or(0, |u| u.world().rank() as usize))
    })
}

/// The `n` ints at `p`, named `what`.
fn ints<'a>(what: &str, n: c_int, p: *const c_int) -> Result<&'a [c_int]> {
    if n < 0 {
        return mpi_err!(Arg, "n = {n} is negative");
    }
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer (n = {n})");
    }
    // SAFETY: `p` is not null and, as the standard requires, points to
    // `n` ints the caller owns for the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts(p, n as usize) })
}

/// Checks that `ranks` are distinct ranks of a group of `size`.
fn check_ranks(what: &str, ranks: &[c_int], size: usize) -> Result<Vec<usize>> {
    let mut seen = vec![false; size];
    let mut v = Vec::with_capacity(ranks.len());
    for (i, &r) in ranks.iter().enumerate() {
        if r < 0 || r as usize >= size {
            return mpi_err!(
                Rank,
                "{what}[{i}] = {r} is not a rank of the group of size {size}"
            );
        }
        if std::mem::replace(&mut seen[r as usize], true) {
            return mpi_err!(Rank, "{what}[{i}] = {r} appears twice");
        }
        v.push(r as usize);
    }
    Ok(v)
}

/// The ranks `ranges` (triplets first, last, stride) name in a group of
/// `size`, checked as MPICH checks them (every problem is MPI_ERR_ARG).
fn expand_ranges(n: c_int, ranges: *const [c_int; 3], size: usize) -> Result<Vec<usize>> {
    if n < 0 {
        return mpi_err!(Arg, "n = {n} is negative");
    }
    if n > 0 && ranges.is_null() {
        return mpi_err!(Arg, "ranges is a null pointer (n = {n})");
    }
    let triplets: &[[c_int; 3]] = if n == 0 {
        &[]
    } else {
        // SAFETY: not null; the standard makes it point to `n` triplets.
        unsafe { std::slice::from_raw_parts(ranges, n as usize) }
    };
    let mut seen = vec![false; size];
    let mut v = Vec::new();
    for (i, &[first, last, stride]) in triplets.iter().enumerate() {
        let valid = |r: c_int| r >= 0 && (r as usize) < size;
        if !valid(first) {
            return mpi_err!(
                Arg,
                "ranges[{i}] first rank {first} is not a rank of the group of size {size}"
            );
        }
        if !valid(last) {
            return mpi_err!(
                Arg,
                "ranges[{i}] last rank {last} is not a rank of the group of size {size}"
            );
        }
        if stride == 0 {
            return mpi_err!(Arg, "ranges[{i}] has stride 0");
        }
        if (stride > 0 && first > last) || (stride < 0 && first < last) {
            return mpi_err!(
                Arg,
                "ranges[{i}] = ({first}, {last}, {stride}): the stride goes away from the last rank"
            );
        }
        let mut r = first as i64;
        while (stride > 0 && r <= last as i64) || (stride < 0 && r >= last as i64) {
            if std::mem::replace(&mut seen[r as usize], true) {
                return mpi_err!(
                    Arg,
                    "rank {r} (in ranges[{i}] = ({first}, {last}, {stride})) is named twice"
                );
            }
            v.push(r as usize);
            r += stride as i64;
        }
    }
    Ok(v)
}

mpi_fn! {
    fn MPI_Group_size / PMPI_Group_size(group_: c_int, size: *mut c_int) -> c_int {
        call("MPI_Group_size", NO_OBJECT, || {
            let g = group(group_)?;
            out("size", size, g.len() as c_int)
        })
    }
}

mpi_fn! {
    fn MPI_Group_rank / PMPI_Group_rank(group_: c_int, rank: *mut c_int) -> c_int {
        call("MPI_Group_rank", NO_OBJECT, || {
            let g = group(group_)?;
            let me = my_world_rank()?;
            let r = g.iter().position(|&w| w == me).map_or(MPI_UNDEFINED, |r| r as c_int);
            out("rank", rank, r)
        })
    }
}

mpi_fn! {
    fn MPI_Group_translate_ranks / PMPI_Group_translate_ranks(group1: c_int, n: c_int, ranks1: *const c_int, group2: c_int, ranks2: *mut c_int) -> c_int {
        call("MPI_Group_translate_ranks", NO_OBJECT, || {
            let a = group(group1)?;
            let b = group(group2)?;
            let r1 = ints("ranks1", n, ranks1)?;
            if n > 0 && ranks2.is_null() {
                return mpi_err!(Arg, "ranks2 is a null pointer (n = {n})");
            }
            let mut res = Vec::with_capacity(r1.len());
            for (i, &r) in r1.iter().enumerate() {
                if r == MPI_PROC_NULL {
                    res.push(MPI_PROC_NULL);
                    continue;
                }
                if r < 0 || r as usize >= a.len() {
                    return mpi_err!(
                        Rank,
                        "ranks1[{i}] = {r} is not a rank of group1 (size {})",
                        a.len()
                    );
                }
                let w = a[r as usize];
                res.push(b.iter().position(|&x| x == w).map_or(MPI_UNDEFINED, |p| p as c_int));
            }
            if !res.is_empty() {
                // SAFETY: not null; the standard makes it hold `n` ints.
                unsafe { std::ptr::copy_nonoverlapping(res.as_ptr(), ranks2, res.len()) };
            }
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Group_compare / PMPI_Group_compare(group1: c_int, group2: c_int, result: *mut c_int) -> c_int {
        call("MPI_Group_compare", NO_OBJECT, || {
            let a = group(group1)?;
            let b = group(group2)?;
            let r = if a == b {
                MPI_IDENT
            } else {
                let (mut x, mut y) = (a, b);
                x.sort_unstable();
                y.sort_unstable();
                if x == y { MPI_SIMILAR } else { MPI_UNEQUAL }
            };
            out("result", result, r)
        })
    }
}

mpi_fn! {
    fn MPI_Group_union / PMPI_Group_union(group1: c_int, group2: c_int, newgroup: *mut c_int) -> c_int {
        call("MPI_Group_union", NO_OBJECT, || {
            let a = group(group1)?;
            let b = group(group2)?;
            let mut g = a.clone();
            g.extend(b.iter().filter(|w| !a.contains(w)));
            give(newgroup, g)
        })
    }
}

mpi_fn! {
    fn MPI_Group_intersection / PMPI_Group_intersection(group1: c_int, group2: c_int, newgroup: *mut c_int) -> c_int {
        call("MPI_Group_intersection", NO_OBJECT, || {
            let a = group(group1)?;
            let b = group(group2)?;
            give(newgroup, a.into_iter().filter(|w| b.contains(w)).collect())
        })
    }
}

mpi_fn! {
    fn MPI_Group_difference / PMPI_Group_difference(group1: c_int, group2: c_int, newgroup: *mut c_int) -> c_int {
        call("MPI_Group_difference", NO_OBJECT, || {
            let a = group(group1)?;
            let b = group(group2)?;
            give(newgroup, a.into_iter().filter(|w| !b.contains(w)).collect())
        })
    }
}

mpi_fn! {
    fn MPI_Group_incl / PMPI_Group_incl(group_: c_int, n: c_int, ranks: *const c_int, newgroup: *mut c_int) -> c_int {
        call("MPI_Group_incl", NO_OBJECT, || {
            let g = group(group_)?;
            let r = check_ranks("ranks", ints("ranks", n, ranks)?, g.len())?;
            give(newgroup, r.into_iter().map(|i| g[i]).collect())
        })
    }
}

mpi_fn! {
    fn MPI_Group_excl / PMPI_Group_excl(group_: c_int, n: c_int, ranks: *const c_int, newgroup: *mut c_int) -> c_int {
        call("MPI_Group_excl", NO_OBJECT, || {
            let g = group(group_)?;
            let r = check_ranks("ranks", ints("ranks", n, ranks)?, g.len())?;
            give(newgroup, (0..g.len()).filter(|i| !r.contains(i)).map(|i| g[i]).collect())
        })
    }
}

mpi_fn! {
    fn MPI_Group_range_incl / PMPI_Group_range_incl(group_: c_int, n: c_int, ranges: *const [c_int; 3], newgroup: *mut c_int) -> c_int {
        call("MPI_Group_range_incl", NO_OBJECT, || {
            let g = group(group_)?;
            let r = expand_ranges(n, ranges, g.len())?;
            give(newgroup, r.into_iter().map(|i| g[i]).collect())
        })
    }
}

mpi_fn! {
    fn MPI_Group_range_excl / PMPI_Group_range_excl(group_: c_int, n: c_int, ranges: *const [c_int; 3], newgroup: *mut c_int) -> c_int {
        call("MPI_Group_range_excl", NO_OBJECT, || {
            let g = group(group_)?;
            let r = expand_ranges(n, ranges, g.len())?;
            give(newgroup, (0..g.len()).filter(|i| !r.contains(i)).map(|i| g[i]).collect())
        })
    }
}

mpi_fn! {
    fn MPI_Group_free / PMPI_Group_free(group_: *mut c_int) -> c_int {
        call("MPI_Group_free", NO_OBJECT, || {
            if group_.is_null() {
                return mpi_err!(Arg, "group is a null pointer");
            }
            // SAFETY: checked non-null; points to the caller's handle.
            let h = unsafe { *group_ };
            // MPICH lets MPI_GROUP_EMPTY be freed (many programs free
            // whatever MPI_Comm_group or MPI_Group_incl gave them).
            if h != MPI_GROUP_EMPTY {
                group(h)?;
                with(|m| m.comms.groups.remove(h));
            }
            // SAFETY: as above.
            unsafe { *group_ = MPI_GROUP_NULL };
            Ok(())
        })
    }
}
