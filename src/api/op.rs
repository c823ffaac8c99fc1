//! Reduction operations: the predefined ones of MPI, typed so that an
//! operation that makes no sense for a type (a bitwise AND of doubles)
//! does not compile, and user closures.

use bytemuck::{Pod, Zeroable};

/// The function of an operation: `f(in, inout)`.
pub(crate) type OpFn<'a, T> = Box<dyn Fn(&[T], &mut [T]) + 'a>;

/// A reduction over elements of `T`: `inout[i] = in[i] op inout[i]`.
pub struct Op<'a, T> {
    pub(crate) f: OpFn<'a, T>,
    /// Whether `a op b == b op a` (shmpi always folds in rank order, so
    /// results are the same on every rank either way).
    pub commutative: bool,
}

impl<'a, T> Op<'a, T> {
    /// A user operation: `f(in, inout)` must set `inout[i] = in[i] op inout[i]`.
    /// Operands are combined in rank order: the result is x0 op x1 op ... .
    pub fn user(f: impl Fn(&[T], &mut [T]) + 'a, commutative: bool) -> Self {
        Op {
            f: Box::new(f),
            commutative,
        }
    }

    fn elementwise(f: impl Fn(T, T) -> T + 'a) -> Self
    where
        T: Copy,
    {
        Op::user(
            move |a: &[T], b: &mut [T]| {
                for (x, y) in a.iter().zip(b.iter_mut()) {
                    *y = f(*x, *y);
                }
            },
            true,
        )
    }
}

/// Element types with arithmetic: the integers and floats.
pub trait Number: Pod + PartialOrd {
    /// `a + b` (wrapping for integers).
    fn add(a: Self, b: Self) -> Self;
    /// `a * b` (wrapping for integers).
    fn mul(a: Self, b: Self) -> Self;
}

/// Integer element types, for the logical and bitwise operations.
pub trait Integer: Number + Eq {
    /// The zero of the type.
    const ZERO: Self;
    /// The one of the type.
    const ONE: Self;
    /// Bitwise and.
    fn band(a: Self, b: Self) -> Self;
    /// Bitwise or.
    fn bor(a: Self, b: Self) -> Self;
    /// Bitwise exclusive or.
    fn bxor(a: Self, b: Self) -> Self;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            fn mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
        }
        impl Integer for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            fn band(a: Self, b: Self) -> Self { a & b }
            fn bor(a: Self, b: Self) -> Self { a | b }
            fn bxor(a: Self, b: Self) -> Self { a ^ b }
        }
    )*};
}
integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn add(a: Self, b: Self) -> Self { a + b }
            fn mul(a: Self, b: Self) -> Self { a * b }
        }
    )*};
}
floats!(f32, f64);

impl<'a, T: Number> Op<'a, T> {
    /// MPI_SUM.
    pub fn sum() -> Self {
        Op::elementwise(T::add)
    }
    /// MPI_PROD.
    pub fn prod() -> Self {
        Op::elementwise(T::mul)
    }
    /// MPI_MAX.
    pub fn max() -> Self {
        Op::elementwise(|a, b| if a > b { a } else { b })
    }
    /// MPI_MIN.
    pub fn min() -> Self {
        Op::elementwise(|a, b| if a < b { a } else { b })
    }
}

impl<'a, T: Integer> Op<'a, T> {
    fn logical(f: impl Fn(bool, bool) -> bool + 'a) -> Self {
        Op::elementwise(move |a, b| {
            if f(a != T::ZERO, b != T::ZERO) {
                T::ONE
            } else {
                T::ZERO
            }
        })
    }
    /// MPI_LAND: 1 if both are non-zero, else 0.
    pub fn land() -> Self {
        Op::logical(|a, b| a && b)
    }
    /// MPI_LOR.
    pub fn lor() -> Self {
        Op::logical(|a, b| a || b)
    }
    /// MPI_LXOR.
    pub fn lxor() -> Self {
        Op::logical(|a, b| a != b)
    }
    /// MPI_BAND.
    pub fn band() -> Self {
        Op::elementwise(T::band)
    }
    /// MPI_BOR.
    pub fn bor() -> Self {
        Op::elementwise(T::bor)
    }
    /// MPI_BXOR.
    pub fn bxor() -> Self {
        Op::elementwise(T::bxor)
    }
}

/// A value and where it came from, for MPI_MAXLOC and MPI_MINLOC.
///
/// Implemented for value and index types of the same size, so that the
/// pair has no padding: `ValueIndex<f64, i64>`, `ValueIndex<f32, i32>`,
/// `ValueIndex<i32, i32>`, `ValueIndex<i64, i64>`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ValueIndex<V, I> {
    /// The value compared.
    pub value: V,
    /// Its index (a rank, a position): the lowest wins among equal values.
    pub index: I,
}

macro_rules! pairs {
    ($(($v:ty, $i:ty)),*) => {$(
        // SAFETY: repr(C) of two Pod fields of the same size and alignment:
        // no padding, every bit pattern valid.
        unsafe impl Zeroable for ValueIndex<$v, $i> {}
        // SAFETY: as above.
        unsafe impl Pod for ValueIndex<$v, $i> {}
    )*};
}
pairs!(
    (f64, i64),
    (f32, i32),
    (i32, i32),
    (i64, i64),
    (u32, u32),
    (u64, u64)
);

impl<'a, V: Number, I: Integer + Ord> Op<'a, ValueIndex<V, I>>
where
    ValueIndex<V, I>: Pod,
{
    fn loc(better: fn(&V, &V) -> bool) -> Self {
        Op::elementwise(move |a: ValueIndex<V, I>, b: ValueIndex<V, I>| {
            if better(&a.value, &b.value) {
                a
            } else if better(&b.value, &a.value) {
                b
            } else if a.index <= b.index {
                a
            } else {
                b
            }
        })
    }
    /// MPI_MAXLOC: the largest value, and the lowest index holding it.
    pub fn max_loc() -> Self {
        Op::loc(|a, b| a > b)
    }
    /// MPI_MINLOC: the smallest value, and the lowest index holding it.
    pub fn min_loc() -> Self {
        Op::loc(|a, b| a < b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply<T: Copy>(op: Op<T>, a: &[T], b: &[T]) -> Vec<T> {
        let mut out = b.to_vec();
        (op.f)(a, &mut out);
        out
    }

    #[test]
    fn predefined_ops() {
        assert_eq!(apply(Op::sum(), &[1, 2], &[10, 20]), vec![11, 22]);
        assert_eq!(apply(Op::prod(), &[2.0, 3.0], &[4.0, 5.0]), vec![8.0, 15.0]);
        assert_eq!(apply(Op::max(), &[1, 9], &[5, 5]), vec![5, 9]);
        assert_eq!(apply(Op::min(), &[1u8, 9], &[5, 5]), vec![1, 5]);
        assert_eq!(apply(Op::land(), &[0, 3, 2], &[1, 4, 0]), vec![0, 1, 0]);
        assert_eq!(apply(Op::lor(), &[0, 3, 0], &[0, 0, 0]), vec![0, 1, 0]);
        assert_eq!(apply(Op::lxor(), &[0, 3, 2], &[1, 4, 0]), vec![1, 0, 1]);
        assert_eq!(apply(Op::band(), &[0b1100], &[0b1010]), vec![0b1000]);
        assert_eq!(apply(Op::bor(), &[0b1100], &[0b1010]), vec![0b1110]);
        assert_eq!(apply(Op::bxor(), &[0b1100], &[0b1010]), vec![0b0110]);
        let v = |value, index| ValueIndex::<f64, i64> { value, index };
        assert_eq!(
            apply(
                Op::max_loc(),
                &[v(3.0, 1), v(2.0, 0)],
                &[v(3.0, 0), v(5.0, 2)]
            ),
            vec![v(3.0, 0), v(5.0, 2)]
        );
        assert_eq!(
            apply(Op::min_loc(), &[v(1.0, 4)], &[v(1.0, 3)]),
            vec![v(1.0, 3)]
        );
    }
}
