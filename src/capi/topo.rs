//! Virtual topologies. Of them shmpi implements only MPI_Dims_create,
//! which is arithmetic on the caller's numbers; the Cartesian, graph and
//! distributed graph communicators are not written yet (their entry
//! points are stubs, see [`super::unsupported`]).
//!
//! MPI_Dims_create splits `nnodes` into `ndims` factors, some of which the
//! caller may fix, as evenly as it can, the free ones in non-increasing
//! order. "As evenly as possible" is taken as: the smallest difference
//! between the largest and the smallest free factor, and among those the
//! smallest largest factor. [`balanced_factors`] finds that by a search
//! over the divisors of the number to split, pruned by that bound (the
//! numbers are small: a 31-bit count of processes).

use std::os::raw::c_int;

use super::errors::call;
use super::errors::NO_OBJECT;
use super::mpi_fn;
use crate::error::{mpi_err, Result};

/// The divisors of `m`, ascending.
fn divisors(m: u64) -> Vec<u64> {
    let mut small = Vec::new();
    let mut large = Vec::new();
    let mut d = 1;
    while d * d <= m {
        if m % d == 0 {
            small.push(d);
            if d * d != m {
                large.push(m / d);
            }
        }
        d += 1;
    }
    small.extend(large.into_iter().rev());
    small
}

/// The smallest integer `r` with `r^k >= m` (k >= 1).
fn ceil_root(m: u64, k: u32) -> u64 {
    let mut r = (m as f64).powf(1.0 / k as f64).round().max(1.0) as u64;
    while r > 1 && (r - 1).checked_pow(k).is_some_and(|p| p >= m) {
        r -= 1;
    }
    while r.checked_pow(k).is_some_and(|p| p < m) {
        r += 1;
    }
    r
}

/// `m` as a product of `k` factors in non-increasing order, as even as
/// can be (see the module doc). `k` >= 1, `m` >= 1.
pub fn balanced_factors(m: u64, k: usize) -> Vec<u64> {
    /// Best so far: (largest - smallest, factors).
    type Best = Option<(u64, Vec<u64>)>;

    /// Extends `prefix` (non-increasing, each at most `max`) with `k`
    /// factors of `m` that are at most `max`.
    fn search(m: u64, k: usize, max: u64, divs: &[u64], prefix: &mut Vec<u64>, best: &mut Best) {
        if k == 1 {
            if m <= max {
                prefix.push(m);
                let spread = prefix[0] - m;
                let better = match best {
                    None => true,
                    Some((s, f)) => (spread, &prefix[..]) < (*s, &f[..]),
                };
                if better {
                    *best = Some((spread, prefix.clone()));
                }
                prefix.pop();
            }
            return;
        }
        // The next factor d is the largest of the k left: d^k >= m.
        let lowest = ceil_root(m, k as u32);
        for &d in divs
            .iter()
            .filter(|&&d| d >= lowest && d <= max && m % d == 0)
        {
            // The smallest of the k - 1 factors after d is at most
            // (m/d)^(1/(k-1)), which bounds the spread from below; the
            // bound only grows with d.
            let first = prefix.first().copied().unwrap_or(d);
            let rest_max = ceil_root(m / d, (k - 1) as u32);
            if best
                .as_ref()
                .is_some_and(|(s, _)| first.saturating_sub(rest_max) > *s)
            {
                break;
            }
            prefix.push(d);
            search(m / d, k - 1, d, divs, prefix, best);
            prefix.pop();
        }
    }

    assert!(k >= 1 && m >= 1);
    let divs = divisors(m);
    let mut best = None;
    search(m, k, m, &divs, &mut Vec::with_capacity(k), &mut best);
    best.expect("m = m * 1 * ... * 1 is always a factorization")
        .1
}

/// The body of MPI_Dims_create on the caller's array.
fn dims_create(nnodes: c_int, dims: &mut [c_int]) -> Result<()> {
    if nnodes < 1 {
        return mpi_err!(
            Arg,
            "nnodes = {nnodes}: the number of processes must be positive"
        );
    }
    if let Some((i, d)) = dims.iter().enumerate().find(|(_, &d)| d < 0) {
        return mpi_err!(Dims, "dims[{i}] = {d} is negative");
    }
    let fixed: u64 = dims
        .iter()
        .filter(|&&d| d > 0)
        .map(|&d| d as u64)
        .try_fold(1u64, |p, d| p.checked_mul(d))
        .unwrap_or(u64::MAX);
    let free = dims.iter().filter(|&&d| d == 0).count();
    let n = nnodes as u64;
    if n % fixed != 0 || (free == 0 && fixed != n) {
        return mpi_err!(
            Dims,
            "the fixed entries of dims (product {fixed}) do not divide nnodes = {nnodes}{}",
            if free == 0 { " exactly" } else { "" }
        );
    }
    if free == 0 {
        return Ok(());
    }
    let factors = balanced_factors(n / fixed, free);
    let mut next = factors.into_iter();
    for d in dims.iter_mut().filter(|d| **d == 0) {
        *d = next.next().expect("one factor per free entry") as c_int;
    }
    Ok(())
}

mpi_fn! {
    fn MPI_Dims_create / PMPI_Dims_create(nnodes: c_int, ndims: c_int, dims: *mut c_int) -> c_int {
        call("MPI_Dims_create", NO_OBJECT, || {
            if ndims < 0 {
                return mpi_err!(Dims, "ndims = {ndims} is negative");
            }
            if ndims == 0 {
                if nnodes != 1 {
                    return mpi_err!(Dims, "ndims = 0, but nnodes = {nnodes} is not 1");
                }
                return Ok(());
            }
            if dims.is_null() {
                return mpi_err!(Arg, "dims is a null pointer (ndims = {ndims})");
            }
            // SAFETY: not null; the standard makes `dims` an array of
            // `ndims` ints of the caller's, which nothing else accesses
            // during the call.
            let dims = unsafe { std::slice::from_raw_parts_mut(dims, ndims as usize) };
            dims_create(nnodes, dims)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(f: &[u64]) -> u64 {
        f.iter().max().unwrap() - f.iter().min().unwrap()
    }

    /// Every non-increasing factorization of `m` into `k` factors.
    fn all(m: u64, k: usize, max: u64) -> Vec<Vec<u64>> {
        if k == 1 {
            return if m <= max { vec![vec![m]] } else { vec![] };
        }
        let mut out = Vec::new();
        for d in 1..=max.min(m) {
            if m % d == 0 {
                for mut rest in all(m / d, k - 1, d) {
                    rest.insert(0, d);
                    out.push(rest);
                }
            }
        }
        out
    }

    #[test]
    fn factors_are_the_most_even() {
        for m in 1..=300u64 {
            for k in 1..=4 {
                let got = balanced_factors(m, k);
                assert_eq!(got.len(), k);
                assert_eq!(got.iter().product::<u64>(), m, "{m} {k}");
                assert!(got.windows(2).all(|w| w[0] >= w[1]), "{got:?}");
                let best = all(m, k, m)
                    .into_iter()
                    .min_by_key(|f| (spread(f), f.clone()))
                    .unwrap();
                assert_eq!(got, best, "m = {m}, k = {k}");
            }
        }
    }

    #[test]
    fn known_answers() {
        assert_eq!(balanced_factors(6, 2), [3, 2]);
        assert_eq!(balanced_factors(7, 2), [7, 1]);
        assert_eq!(balanced_factors(72, 2), [9, 8]);
        assert_eq!(balanced_factors(24, 3), [4, 3, 2]);
        assert_eq!(balanced_factors(1 << 20, 3), [128, 128, 64]);
        assert_eq!(balanced_factors(2147483647, 2), [2147483647, 1]);
        assert_eq!(balanced_factors(1, 5), [1, 1, 1, 1, 1]);
        let big = balanced_factors(735134400, 6);
        assert_eq!(big.iter().product::<u64>(), 735134400);
        assert!(spread(&big) <= 10, "{big:?}");
    }

    #[test]
    fn dims_with_fixed_entries() {
        let mut d = [0, 3, 0];
        dims_create(24, &mut d).unwrap();
        assert_eq!(d, [4, 3, 2]);
        let mut d = [2, 0, 0, 0];
        dims_create(16, &mut d).unwrap();
        assert_eq!(d, [2, 2, 2, 2]);
        let mut d = [5, 2];
        assert!(dims_create(10, &mut d).is_ok());
        assert!(dims_create(12, &mut d).is_err());
        let mut d = [0, 5];
        assert_eq!(
            dims_create(12, &mut d).unwrap_err().class,
            crate::error::ErrorClass::Dims
        );
        let mut d = [0, -1];
        assert!(dims_create(12, &mut d).is_err());
        assert!(dims_create(0, &mut [0]).is_err());
    }
}
