//! The predefined reduction operations (MPI_MAX ... MPI_NO_OP) on packed
//! bytes: `inout[i] = invec[i] op inout[i]` for each basic value of the
//! packed representation of a datatype. Pure data, no handles: the C
//! interface packs both operands, calls [`apply`] and unpacks the result.
//!
//! Which operation applies to which basic type follows MPI-4.0 section
//! 6.9.2 (see [`OpGroup`]), plus what MPICH also accepts and programs rely
//! on: MPI_CHAR and MPI_CHARACTER as C integers, the logical operations on
//! MPI_AINT/MPI_OFFSET/MPI_COUNT. A derived datatype is reduced when all its
//! values are of one basic type (or, for MPI_MINLOC/MPI_MAXLOC, one pair
//! type); MPI_REPLACE and MPI_NO_OP apply to any datatype.
//!
//! Arithmetic is C's: integers wrap, max/min of floats is `a > b ? a : b`
//! as in MPICH, complex products are `(ac - bd) + (ad + bc)i` in the
//! component type. `long double` (x87 80-bit) and `REAL*16` (binary128)
//! are computed exactly, rounded to nearest as the hardware does, with the
//! `rustc_apfloat` software floats.
//!
//! The operands may be unaligned slices of a message: every value is read
//! with `from_ne_bytes` and written back with `to_ne_bytes`.

use super::typemap::{OpGroup, Pair, Prim, TypeMap};
use crate::capi::typemap::{FloatFormat, Repr};
use rustc_apfloat::ieee::{Quad, X87DoubleExtended};
use rustc_apfloat::Float;

/// A predefined reduction operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PredefOp {
    /// MPI_MAX.
    Max,
    /// MPI_MIN.
    Min,
    /// MPI_SUM.
    Sum,
    /// MPI_PROD.
    Prod,
    /// MPI_LAND.
    Land,
    /// MPI_BAND.
    Band,
    /// MPI_LOR.
    Lor,
    /// MPI_BOR.
    Bor,
    /// MPI_LXOR.
    Lxor,
    /// MPI_BXOR.
    Bxor,
    /// MPI_MINLOC.
    Minloc,
    /// MPI_MAXLOC.
    Maxloc,
    /// MPI_REPLACE.
    Replace,
    /// MPI_NO_OP.
    NoOp,
}

impl PredefOp {
    /// Every predefined operation, in handle order.
    pub const ALL: &'static [PredefOp] = &[
        PredefOp::Max,
        PredefOp::Min,
        PredefOp::Sum,
        PredefOp::Prod,
        PredefOp::Land,
        PredefOp::Band,
        PredefOp::Lor,
        PredefOp::Bor,
        PredefOp::Lxor,
        PredefOp::Bxor,
        PredefOp::Minloc,
        PredefOp::Maxloc,
        PredefOp::Replace,
        PredefOp::NoOp,
    ];

    /// The operation of a predefined handle (MPICH ABI: 0x58000001 for
    /// MPI_MAX to 0x5800000e for MPI_NO_OP).
    pub fn from_handle(handle: i32) -> Option<PredefOp> {
        let i = (handle as u32).checked_sub(0x5800_0001)? as usize;
        PredefOp::ALL.get(i).copied()
    }

    /// The MPICH ABI handle.
    pub fn handle(self) -> i32 {
        let i = PredefOp::ALL.iter().position(|&o| o == self).unwrap_or(0);
        0x5800_0001 + i as i32
    }

    /// The MPI name ("MPI_SUM").
    pub fn name(self) -> &'static str {
        match self {
            PredefOp::Max => "MPI_MAX",
            PredefOp::Min => "MPI_MIN",
            PredefOp::Sum => "MPI_SUM",
            PredefOp::Prod => "MPI_PROD",
            PredefOp::Land => "MPI_LAND",
            PredefOp::Band => "MPI_BAND",
            PredefOp::Lor => "MPI_LOR",
            PredefOp::Bor => "MPI_BOR",
            PredefOp::Lxor => "MPI_LXOR",
            PredefOp::Bxor => "MPI_BXOR",
            PredefOp::Minloc => "MPI_MINLOC",
            PredefOp::Maxloc => "MPI_MAXLOC",
            PredefOp::Replace => "MPI_REPLACE",
            PredefOp::NoOp => "MPI_NO_OP",
        }
    }

    /// Whether the operation applies to basic types of group `g`.
    pub fn applies_to(self, g: OpGroup) -> bool {
        use OpGroup::*;
        match self {
            PredefOp::Max | PredefOp::Min => {
                matches!(g, CInteger | FortranInteger | FloatingPoint | MultiLanguage)
            }
            PredefOp::Sum | PredefOp::Prod => matches!(
                g,
                CInteger | FortranInteger | FloatingPoint | Complex | MultiLanguage
            ),
            PredefOp::Land | PredefOp::Lor | PredefOp::Lxor => {
                matches!(g, CInteger | Logical | MultiLanguage)
            }
            PredefOp::Band | PredefOp::Bor | PredefOp::Bxor => {
                matches!(g, CInteger | FortranInteger | Byte | MultiLanguage)
            }
            PredefOp::Minloc | PredefOp::Maxloc => false,
            PredefOp::Replace | PredefOp::NoOp => true,
        }
    }
}

/// What a datatype is, for error messages.
fn describe(t: &TypeMap) -> String {
    let unit = t
        .prim_run()
        .map(Prim::name)
        .or_else(|| t.pair().map(Pair::name));
    match unit {
        Some(name) if t.is_named() => name.to_string(),
        Some(name) => format!("a derived datatype of {name}"),
        None if t.size == 0 => "an empty datatype".to_string(),
        None => "a derived datatype of mixed basic types".to_string(),
    }
}

fn not_defined(op: PredefOp, t: &TypeMap) -> String {
    format!("{} is not defined for {}", op.name(), describe(t))
}

/// `inout[i] = invec[i] op inout[i]` over the packed values of datatype
/// `t` (any number of elements); Err naming the operation and the type
/// when the combination is not allowed or the lengths do not fit.
pub fn apply(op: PredefOp, t: &TypeMap, invec: &[u8], inout: &mut [u8]) -> Result<(), String> {
    if invec.len() != inout.len() {
        return Err(format!(
            "{}: operands of {} and {} bytes",
            op.name(),
            invec.len(),
            inout.len()
        ));
    }
    match op {
        PredefOp::NoOp => return Ok(()),
        PredefOp::Replace => {
            inout.copy_from_slice(invec);
            return Ok(());
        }
        _ => {}
    }
    if t.size == 0 {
        return Ok(());
    }
    if matches!(op, PredefOp::Minloc | PredefOp::Maxloc) {
        let pair = t.pair().ok_or_else(|| not_defined(op, t))?;
        return apply_loc(op == PredefOp::Maxloc, pair, invec, inout)
            .map_err(|unit| misfit(op, t, invec.len(), unit));
    }
    let prim = t.prim_run().ok_or_else(|| not_defined(op, t))?;
    if !op.applies_to(prim.op_group()) {
        return Err(not_defined(op, t));
    }
    if invec.len() % prim.size() != 0 {
        return Err(misfit(op, t, invec.len(), prim.size()));
    }
    match prim.repr() {
        Repr::Int { signed } => apply_int(op, signed, prim.size(), invec, inout),
        Repr::Logical => apply_int(op, false, prim.size(), invec, inout),
        Repr::Raw => apply_int(op, false, 1, invec, inout),
        Repr::Real(f) => match f {
            FloatFormat::F32 => apply_real::<f32>(op, invec, inout),
            FloatFormat::F64 => apply_real::<f64>(op, invec, inout),
            FloatFormat::X87 => apply_real::<X87>(op, invec, inout),
            FloatFormat::Quad => apply_real::<Quad>(op, invec, inout),
        },
        Repr::Complex(f) => match f {
            FloatFormat::F32 => apply_complex::<f32>(op, invec, inout),
            FloatFormat::F64 => apply_complex::<f64>(op, invec, inout),
            FloatFormat::X87 => apply_complex::<X87>(op, invec, inout),
            FloatFormat::Quad => apply_complex::<Quad>(op, invec, inout),
        },
    }
    Ok(())
}

fn misfit(op: PredefOp, t: &TypeMap, len: usize, unit: usize) -> String {
    format!(
        "{} on {}: {len} bytes are not whole values of {unit} bytes",
        op.name(),
        describe(t)
    )
}

/// One integer operation on `x` (from invec) and `y` (from inout).
macro_rules! int_op {
    ($t:ty, $op:expr, $x:expr, $y:expr) => {{
        let (x, y): ($t, $t) = ($x, $y);
        match $op {
            PredefOp::Max => x.max(y),
            PredefOp::Min => x.min(y),
            PredefOp::Sum => x.wrapping_add(y),
            PredefOp::Prod => x.wrapping_mul(y),
            PredefOp::Land => (x != 0 && y != 0) as $t,
            PredefOp::Lor => (x != 0 || y != 0) as $t,
            PredefOp::Lxor => ((x != 0) != (y != 0)) as $t,
            PredefOp::Band => x & y,
            PredefOp::Bor => x | y,
            PredefOp::Bxor => x ^ y,
            // Checked by the caller: no other operation gets here.
            _ => y,
        }
    }};
}

macro_rules! int_loop {
    ($t:ty, $op:expr, $invec:expr, $inout:expr) => {{
        const N: usize = std::mem::size_of::<$t>();
        for (a, b) in $invec.chunks_exact(N).zip($inout.chunks_exact_mut(N)) {
            let x = <$t>::from_ne_bytes(a.try_into().expect("chunk of N bytes"));
            let y = <$t>::from_ne_bytes((&*b).try_into().expect("chunk of N bytes"));
            b.copy_from_slice(&int_op!($t, $op, x, y).to_ne_bytes());
        }
    }};
}

fn apply_int(op: PredefOp, signed: bool, size: usize, invec: &[u8], inout: &mut [u8]) {
    match (signed, size) {
        (true, 1) => int_loop!(i8, op, invec, inout),
        (true, 2) => int_loop!(i16, op, invec, inout),
        (true, 4) => int_loop!(i32, op, invec, inout),
        (true, 8) => int_loop!(i64, op, invec, inout),
        (false, 1) => int_loop!(u8, op, invec, inout),
        (false, 2) => int_loop!(u16, op, invec, inout),
        (false, 4) => int_loop!(u32, op, invec, inout),
        _ => int_loop!(u64, op, invec, inout),
    }
}

/// A real number format: read and written in native byte order, with C's
/// arithmetic.
trait Real: Copy + PartialOrd {
    /// Bytes in memory.
    const SIZE: usize;
    fn read(b: &[u8]) -> Self;
    fn write(self, b: &mut [u8]);
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
}

macro_rules! native_real {
    ($t:ty) => {
        impl Real for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                <$t>::from_ne_bytes(b.try_into().expect("value bytes"))
            }
            fn write(self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_ne_bytes());
            }
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn sub(self, o: Self) -> Self {
                self - o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
        }
    };
}
native_real!(f32);
native_real!(f64);

/// x87 `long double`: 10 bytes of value in 16.
type X87 = X87DoubleExtended;

impl Real for X87 {
    const SIZE: usize = 16;
    fn read(b: &[u8]) -> Self {
        let mut bits = [0u8; 16];
        bits[..10].copy_from_slice(&b[..10]);
        X87::from_bits(u128::from_le_bytes(bits))
    }
    fn write(self, b: &mut [u8]) {
        b[..10].copy_from_slice(&self.to_bits().to_le_bytes()[..10]);
    }
    fn add(self, o: Self) -> Self {
        (self + o).value
    }
    fn sub(self, o: Self) -> Self {
        (self - o).value
    }
    fn mul(self, o: Self) -> Self {
        (self * o).value
    }
}

impl Real for Quad {
    const SIZE: usize = 16;
    fn read(b: &[u8]) -> Self {
        Quad::from_bits(u128::from_ne_bytes(b.try_into().expect("16 bytes")))
    }
    fn write(self, b: &mut [u8]) {
        b.copy_from_slice(&self.to_bits().to_ne_bytes());
    }
    fn add(self, o: Self) -> Self {
        (self + o).value
    }
    fn sub(self, o: Self) -> Self {
        (self - o).value
    }
    fn mul(self, o: Self) -> Self {
        (self * o).value
    }
}

fn apply_real<R: Real>(op: PredefOp, invec: &[u8], inout: &mut [u8]) {
    for (a, b) in invec
        .chunks_exact(R::SIZE)
        .zip(inout.chunks_exact_mut(R::SIZE))
    {
        let (x, y) = (R::read(a), R::read(b));
        let r = match op {
            PredefOp::Max => {
                if x > y {
                    x
                } else {
                    y
                }
            }
            PredefOp::Min => {
                if x < y {
                    x
                } else {
                    y
                }
            }
            PredefOp::Sum => x.add(y),
            PredefOp::Prod => x.mul(y),
            _ => y,
        };
        r.write(b);
    }
}

fn apply_complex<R: Real>(op: PredefOp, invec: &[u8], inout: &mut [u8]) {
    let n = R::SIZE;
    for (a, b) in invec.chunks_exact(2 * n).zip(inout.chunks_exact_mut(2 * n)) {
        let (xr, xi) = (R::read(&a[..n]), R::read(&a[n..]));
        let (yr, yi) = (R::read(&b[..n]), R::read(&b[n..]));
        let (re, im) = match op {
            PredefOp::Sum => (xr.add(yr), xi.add(yi)),
            PredefOp::Prod => (xr.mul(yr).sub(xi.mul(yi)), xr.mul(yi).add(xi.mul(yr))),
            _ => (yr, yi),
        };
        re.write(&mut b[..n]);
        im.write(&mut b[n..]);
    }
}

/// A value or index of a pair type: what MINLOC/MAXLOC compare.
trait Ordered: Copy + PartialOrd {
    const SIZE: usize;
    fn read(b: &[u8]) -> Self;
    fn write(self, b: &mut [u8]);
}

macro_rules! ordered {
    ($($t:ty),*) => {$(
        impl Ordered for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                <$t>::from_ne_bytes(b.try_into().expect("value bytes"))
            }
            fn write(self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}
ordered!(i16, i32, i64, f32, f64);

impl Ordered for X87 {
    const SIZE: usize = 16;
    fn read(b: &[u8]) -> Self {
        <X87 as Real>::read(b)
    }
    fn write(self, b: &mut [u8]) {
        <X87 as Real>::write(self, b)
    }
}

/// MINLOC/MAXLOC on packed pairs; Err(unit size) when the bytes are not
/// whole pairs.
fn apply_loc(max: bool, pair: Pair, invec: &[u8], inout: &mut [u8]) -> Result<(), usize> {
    match pair {
        Pair::FloatInt => loc::<f32, i32>(max, invec, inout),
        Pair::DoubleInt => loc::<f64, i32>(max, invec, inout),
        Pair::LongInt => loc::<i64, i32>(max, invec, inout),
        Pair::ShortInt => loc::<i16, i32>(max, invec, inout),
        Pair::TwoInt | Pair::TwoInteger => loc::<i32, i32>(max, invec, inout),
        Pair::LongDoubleInt => loc::<X87, i32>(max, invec, inout),
        Pair::TwoReal => loc::<f32, f32>(max, invec, inout),
        Pair::TwoDoublePrecision => loc::<f64, f64>(max, invec, inout),
    }
}

/// The standard's definition: the larger (smaller) value wins with its
/// index; equal values keep the smaller index.
fn loc<V: Ordered, I: Ordered>(max: bool, invec: &[u8], inout: &mut [u8]) -> Result<(), usize> {
    let (vs, unit) = (V::SIZE, V::SIZE + I::SIZE);
    if invec.len() % unit != 0 {
        return Err(unit);
    }
    for (a, b) in invec.chunks_exact(unit).zip(inout.chunks_exact_mut(unit)) {
        let (u, i) = (V::read(&a[..vs]), I::read(&a[vs..]));
        let (v, j) = (V::read(&b[..vs]), I::read(&b[vs..]));
        let wins = if max { u > v } else { u < v };
        if wins {
            b.copy_from_slice(a);
        } else if u == v && i < j {
            i.write(&mut b[vs..]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::typemap::TypeMap;
    use PredefOp::*;

    fn pre(h: i32) -> TypeMap {
        TypeMap::predefined(h).unwrap()
    }

    fn bytes<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
        v.iter().flat_map(|&x| f(x)).collect()
    }

    /// Applies `op` to i32 operands of type `t`; returns inout.
    fn ints(op: PredefOp, t: i32, a: &[i32], b: &[i32]) -> Result<Vec<i32>, String> {
        let a = bytes(a, i32::to_ne_bytes);
        let mut b = bytes(b, i32::to_ne_bytes);
        apply(op, &pre(t), &a, &mut b)?;
        Ok(b.chunks(4)
            .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
            .collect())
    }

    const INT: i32 = 0x4c000405;
    const UNSIGNED: i32 = 0x4c000406;
    const DOUBLE: i32 = 0x4c00080b;
    const BYTE: i32 = 0x4c00010d;
    const C_BOOL: i32 = 0x4c00013f;
    const LOGICAL: i32 = 0x4c00041d;
    const LONG_DOUBLE: i32 = 0x4c00100c;

    #[test]
    fn handles_round_trip() {
        for (k, &op) in PredefOp::ALL.iter().enumerate() {
            assert_eq!(op.handle(), 0x5800_0001 + k as i32);
            assert_eq!(PredefOp::from_handle(op.handle()), Some(op));
        }
        assert_eq!(PredefOp::from_handle(0x5800_0003), Some(Sum));
        assert_eq!(PredefOp::from_handle(0x5800_000b), Some(Minloc));
        assert_eq!(PredefOp::from_handle(0x5800_0000), None);
        assert_eq!(PredefOp::from_handle(0x5800_000f), None);
        assert_eq!(PredefOp::from_handle(0x1800_0000), None);
        assert_eq!(Bxor.name(), "MPI_BXOR");
    }

    #[test]
    fn integer_arithmetic_and_bits() {
        let a = [3, -7, i32::MAX, 0b1100];
        let b = [5, 2, 1, 0b1010];
        assert_eq!(ints(Sum, INT, &a, &b).unwrap(), [8, -5, i32::MIN, 22]);
        assert_eq!(ints(Prod, INT, &a, &b).unwrap(), [15, -14, i32::MAX, 120]);
        assert_eq!(ints(Max, INT, &a, &b).unwrap(), [5, 2, i32::MAX, 12]);
        assert_eq!(ints(Min, INT, &a, &b).unwrap(), [3, -7, 1, 10]);
        assert_eq!(ints(Band, INT, &a, &b).unwrap(), [1, 0, 1, 0b1000]);
        assert_eq!(ints(Bor, INT, &a, &b).unwrap(), [7, -5, i32::MAX, 0b1110]);
        assert_eq!(
            ints(Bxor, INT, &a, &b).unwrap(),
            [6, -5, i32::MAX - 1, 0b0110]
        );
        // Unsigned compares as unsigned: -1 is the largest.
        assert_eq!(ints(Max, UNSIGNED, &[-1, 1], &[5, 2]).unwrap(), [-1, 2]);
        assert_eq!(ints(Max, INT, &[-1, 1], &[5, 2]).unwrap(), [5, 2]);
        // Logical on C integers: 0/1 results.
        let (a, b) = ([0, 0, 4, 9], [0, -3, 0, 2]);
        assert_eq!(ints(Land, INT, &a, &b).unwrap(), [0, 0, 0, 1]);
        assert_eq!(ints(Lor, INT, &a, &b).unwrap(), [0, 1, 1, 1]);
        assert_eq!(ints(Lxor, INT, &a, &b).unwrap(), [0, 1, 1, 0]);
        // Fortran integers and multi-language types.
        assert_eq!(ints(Sum, 0x4c00041b, &[2], &[40]).unwrap(), [42]);
        let mut b = bytes(&[-5i64], i64::to_ne_bytes);
        apply(
            Min,
            &pre(0x4c000843),
            &bytes(&[7i64], i64::to_ne_bytes),
            &mut b,
        )
        .unwrap();
        assert_eq!(b, (-5i64).to_ne_bytes());
        // MPICH's extension: MPI_CHAR sums.
        let mut b = vec![100u8];
        apply(Sum, &pre(0x4c000101), &[27], &mut b).unwrap();
        assert_eq!(b, [127]);
        // Signed char max is signed.
        let mut b = vec![0x80u8];
        apply(Max, &pre(0x4c000118), &[1], &mut b).unwrap();
        assert_eq!(b, [1]);
    }

    #[test]
    fn logical_and_byte_types() {
        let mut b = vec![0, 1, 0, 1];
        apply(Land, &pre(C_BOOL), &[0, 0, 1, 1], &mut b).unwrap();
        assert_eq!(b, [0, 0, 0, 1]);
        let mut b = vec![0, 1, 0, 1];
        apply(Lxor, &pre(C_BOOL), &[0, 0, 1, 1], &mut b).unwrap();
        assert_eq!(b, [0, 1, 1, 0]);
        assert_eq!(
            ints(Lor, LOGICAL, &[0, 0, 1], &[0, 1, 0]).unwrap(),
            [0, 1, 1]
        );
        let mut b = vec![0b1010, 0xff];
        apply(Bxor, &pre(BYTE), &[0b0110, 0x0f], &mut b).unwrap();
        assert_eq!(b, [0b1100, 0xf0]);
        for op in [Max, Sum, Land] {
            assert!(apply(op, &pre(BYTE), &[1], &mut [2]).is_err(), "{op:?}");
        }
        for op in [Max, Sum, Band] {
            assert!(apply(op, &pre(C_BOOL), &[1], &mut [1]).is_err(), "{op:?}");
        }
    }

    #[test]
    fn floating_point_and_complex() {
        let a = bytes(&[1.5f64, -2.0, f64::NAN], f64::to_ne_bytes);
        let mut b = bytes(&[2.25f64, -8.0, 1.0], f64::to_ne_bytes);
        apply(Max, &pre(DOUBLE), &a, &mut b).unwrap();
        // (NaN > 1.0 is false: inout's 1.0 stays, as MPICH's a > b ? a : b.)
        assert_eq!(b, bytes(&[2.25f64, -2.0, 1.0], f64::to_ne_bytes));
        apply(Sum, &pre(DOUBLE), &a[..16], &mut b[..16]).unwrap();
        assert_eq!(b[..16], bytes(&[3.75f64, -4.0], f64::to_ne_bytes));
        let mut b = bytes(&[3.0f32, 0.5], f32::to_ne_bytes);
        apply(
            Prod,
            &pre(0x4c00040a),
            &bytes(&[2.0f32, 0.5], f32::to_ne_bytes),
            &mut b,
        )
        .unwrap();
        assert_eq!(b, bytes(&[6.0f32, 0.25], f32::to_ne_bytes));
        // (1+2i)(3+4i) = -5+10i; sum 4+6i.
        for h in [0x4c001041, 0x4c001022, 0x4c001035] {
            let a = bytes(&[1.0f64, 2.0], f64::to_ne_bytes);
            let mut b = bytes(&[3.0f64, 4.0], f64::to_ne_bytes);
            apply(Prod, &pre(h), &a, &mut b).unwrap();
            assert_eq!(b, bytes(&[-5.0f64, 10.0], f64::to_ne_bytes));
            apply(Sum, &pre(h), &a, &mut b).unwrap();
            assert_eq!(b, bytes(&[-4.0f64, 12.0], f64::to_ne_bytes));
        }
        let mut b = bytes(&[3.0f32, 4.0], f32::to_ne_bytes);
        apply(
            Prod,
            &pre(0x4c000840),
            &bytes(&[1.0f32, 2.0], f32::to_ne_bytes),
            &mut b,
        )
        .unwrap();
        assert_eq!(b, bytes(&[-5.0f32, 10.0], f32::to_ne_bytes));
        // Not defined: MAX on complex, bitwise on floats, logical on floats.
        let z = bytes(&[1.0f64, 2.0], f64::to_ne_bytes);
        let e = apply(Max, &pre(0x4c001041), &z, &mut z.clone()).unwrap_err();
        assert_eq!(e, "MPI_MAX is not defined for MPI_C_DOUBLE_COMPLEX");
        assert!(apply(Band, &pre(DOUBLE), &z[..8], &mut z[..8].to_vec()).is_err());
        assert!(apply(Lor, &pre(DOUBLE), &z[..8], &mut z[..8].to_vec()).is_err());
    }

    /// An x87 long double (16 bytes) from mantissa and sign/exponent.
    fn x87(mant: u64, sign_exp: u16) -> Vec<u8> {
        let mut v = mant.to_le_bytes().to_vec();
        v.extend(sign_exp.to_le_bytes());
        v.resize(16, 0);
        v
    }

    #[test]
    fn long_double_is_exact_x87_arithmetic() {
        let ld = pre(LONG_DOUBLE);
        // 1.5 + 2.25 = 3.75
        let mut b = x87(0x9000_0000_0000_0000, 0x4000);
        apply(Sum, &ld, &x87(0xc000_0000_0000_0000, 0x3fff), &mut b).unwrap();
        assert_eq!(b, x87(0xf000_0000_0000_0000, 0x4000));
        // 1 + 2^-63: exact in x87's 64-bit mantissa (not in a double).
        let mut b = x87(0x8000_0000_0000_0000, 0x3fff - 63);
        apply(Sum, &ld, &x87(0x8000_0000_0000_0000, 0x3fff), &mut b).unwrap();
        assert_eq!(b, x87(0x8000_0000_0000_0001, 0x3fff));
        // -2 * 1.5 = -3; max(-3, 1) = 1.
        let mut b = x87(0x8000_0000_0000_0000, 0xc000);
        apply(Prod, &ld, &x87(0xc000_0000_0000_0000, 0x3fff), &mut b).unwrap();
        assert_eq!(b, x87(0xc000_0000_0000_0000, 0xc000));
        apply(Max, &ld, &x87(0x8000_0000_0000_0000, 0x3fff), &mut b).unwrap();
        assert_eq!(b, x87(0x8000_0000_0000_0000, 0x3fff));
        // C_LONG_DOUBLE_COMPLEX sum, and REAL16 (binary128) 1 + 2^-100.
        let one = x87(0x8000_0000_0000_0000, 0x3fff);
        let mut b = [one.clone(), one.clone()].concat();
        apply(Sum, &pre(0x4c002042), &[one.clone(), one].concat(), &mut b).unwrap();
        assert_eq!(b, [x87(1 << 63, 0x4000), x87(1 << 63, 0x4000)].concat());
        let q = |bits: u128| bits.to_ne_bytes().to_vec();
        let mut b = q(0x3fff << 112);
        apply(Sum, &pre(0x4c00102b), &q((0x3fff - 100) << 112), &mut b).unwrap();
        assert_eq!(b, q((0x3fff << 112) | (1 << 12)));
    }

    /// Packed pairs {value; int}: value bytes then the index.
    fn pairs<V: Copy, const N: usize>(v: &[(V, i32)], f: impl Fn(V) -> [u8; N]) -> Vec<u8> {
        v.iter()
            .flat_map(|&(x, i)| f(x).into_iter().chain(i.to_ne_bytes()))
            .collect()
    }

    #[test]
    fn maxloc_and_minloc_keep_the_lower_index_on_ties() {
        let di = pre(Pair::DoubleInt.handle());
        let a = pairs(
            &[(5.0f64, 3), (2.0, 7), (4.0, 9), (4.0, 1)],
            f64::to_ne_bytes,
        );
        let b = pairs(
            &[(1.0f64, 0), (2.0, 4), (4.0, 2), (4.0, 6)],
            f64::to_ne_bytes,
        );
        let mut io = b.clone();
        apply(Maxloc, &di, &a, &mut io).unwrap();
        assert_eq!(
            io,
            pairs(
                &[(5.0f64, 3), (2.0, 4), (4.0, 2), (4.0, 1)],
                f64::to_ne_bytes
            )
        );
        let mut io = b.clone();
        apply(Minloc, &di, &a, &mut io).unwrap();
        assert_eq!(
            io,
            pairs(
                &[(1.0f64, 0), (2.0, 4), (4.0, 2), (4.0, 1)],
                f64::to_ne_bytes
            )
        );
        // 2INT, SHORT_INT, LONG_INT, FLOAT_INT
        let mut io = pairs(&[(7i32, 5), (1, 1)], i32::to_ne_bytes);
        let a = pairs(&[(7i32, 2), (0, 8)], i32::to_ne_bytes);
        apply(Maxloc, &pre(Pair::TwoInt.handle()), &a, &mut io).unwrap();
        assert_eq!(io, pairs(&[(7i32, 2), (1, 1)], i32::to_ne_bytes));
        let mut io = pairs(&[(-3i16, 5)], i16::to_ne_bytes);
        apply(
            Minloc,
            &pre(Pair::ShortInt.handle()),
            &pairs(&[(-4i16, 6)], i16::to_ne_bytes),
            &mut io,
        )
        .unwrap();
        assert_eq!(io, pairs(&[(-4i16, 6)], i16::to_ne_bytes));
        let mut io = pairs(&[(1i64 << 40, 5)], i64::to_ne_bytes);
        apply(
            Maxloc,
            &pre(Pair::LongInt.handle()),
            &pairs(&[(1i64 << 40, 4)], i64::to_ne_bytes),
            &mut io,
        )
        .unwrap();
        assert_eq!(io, pairs(&[(1i64 << 40, 4)], i64::to_ne_bytes));
        let mut io = pairs(&[(0.5f32, 0)], f32::to_ne_bytes);
        apply(
            Maxloc,
            &pre(Pair::FloatInt.handle()),
            &pairs(&[(0.25f32, 1)], f32::to_ne_bytes),
            &mut io,
        )
        .unwrap();
        assert_eq!(io, pairs(&[(0.5f32, 0)], f32::to_ne_bytes));
        // 2REAL: the index is a REAL too.
        let two_real = |v: &[f32]| bytes(v, f32::to_ne_bytes);
        let mut io = two_real(&[2.0, 8.0]);
        apply(
            Minloc,
            &pre(Pair::TwoReal.handle()),
            &two_real(&[2.0, 3.0]),
            &mut io,
        )
        .unwrap();
        assert_eq!(io, two_real(&[2.0, 3.0]));
        // LONG_DOUBLE_INT: 20 packed bytes.
        let ldi = |m: u64, e: u16, i: i32| [x87(m, e), i.to_ne_bytes().to_vec()].concat();
        let mut io = ldi(1 << 63, 0x3fff, 9);
        apply(
            Maxloc,
            &pre(Pair::LongDoubleInt.handle()),
            &ldi(1 << 63, 0x4000, 3),
            &mut io,
        )
        .unwrap();
        assert_eq!(io, ldi(1 << 63, 0x4000, 3));
        // A derived type of pairs, and the pairs only with MINLOC/MAXLOC.
        let t = TypeMap::contiguous(2, &di, 0);
        let a = pairs(&[(1.0f64, 1), (9.0, 2)], f64::to_ne_bytes);
        let mut io = pairs(&[(3.0f64, 0), (3.0, 0)], f64::to_ne_bytes);
        apply(Maxloc, &t, &a, &mut io).unwrap();
        assert_eq!(io, pairs(&[(3.0f64, 0), (9.0, 2)], f64::to_ne_bytes));
        let e = apply(Sum, &pre(Pair::TwoInt.handle()), &[0; 8], &mut [0; 8]).unwrap_err();
        assert_eq!(e, "MPI_SUM is not defined for MPI_2INT");
        let e = apply(Maxloc, &pre(INT), &[0; 8], &mut [0; 8]).unwrap_err();
        assert_eq!(e, "MPI_MAXLOC is not defined for MPI_INT");
        assert!(apply(Maxloc, &di, &[0; 10], &mut [0; 10]).is_err());
    }

    #[test]
    fn derived_types_reduce_by_their_basic_type() {
        let i = pre(INT);
        let v = TypeMap::vector(2, 2, 3, &i, INT);
        assert_eq!(
            {
                let a = bytes(&[1, 2, 3, 4], i32::to_ne_bytes);
                let mut b = bytes(&[10, 20, 30, 40], i32::to_ne_bytes);
                apply(Sum, &v, &a, &mut b).unwrap();
                b
            },
            bytes(&[11, 22, 33, 44], i32::to_ne_bytes)
        );
        let d = pre(DOUBLE);
        let s = TypeMap::structure(&[1, 1], &[0, 8], &[&i, &d], &[INT, DOUBLE]);
        let e = apply(Sum, &s, &[0; 12], &mut [0; 12]).unwrap_err();
        assert_eq!(
            e,
            "MPI_SUM is not defined for a derived datatype of mixed basic types"
        );
        let e = apply(
            Band,
            &TypeMap::contiguous(2, &d, DOUBLE),
            &[0; 16],
            &mut [0; 16],
        )
        .unwrap_err();
        assert_eq!(
            e,
            "MPI_BAND is not defined for a derived datatype of MPI_DOUBLE"
        );
        // REPLACE and NO_OP take any type.
        let mut b = vec![0u8; 12];
        apply(NoOp, &s, &[7; 12], &mut b).unwrap();
        assert_eq!(b, [0; 12]);
        apply(Replace, &s, &[7; 12], &mut b).unwrap();
        assert_eq!(b, [7; 12]);
        // Empty type: nothing to do.
        apply(Sum, &TypeMap::contiguous(0, &i, INT), &[], &mut []).unwrap();
        // Lengths must agree and be whole values.
        assert!(apply(Sum, &i, &[0; 4], &mut [0; 8]).is_err());
        assert!(apply(Sum, &i, &[0; 6], &mut [0; 6]).is_err());
        // WCHAR and PACKED reduce with nothing.
        for h in [0x4c00040e, 0x4c00010f] {
            for &op in &PredefOp::ALL[..12] {
                let n = pre(h).size;
                assert!(apply(op, &pre(h), &vec![0; n], &mut vec![0; n]).is_err());
            }
        }
    }

    #[test]
    fn unaligned_operands() {
        let mut raw = [0u8; 1 + 16];
        raw[1..].copy_from_slice(&bytes(&[1.0f64, 2.0], f64::to_ne_bytes));
        let mut io = [0u8; 3 + 16];
        io[3..].copy_from_slice(&bytes(&[0.5f64, 0.25], f64::to_ne_bytes));
        apply(Sum, &pre(DOUBLE), &raw[1..], &mut io[3..]).unwrap();
        assert_eq!(io[3..], bytes(&[1.5f64, 2.25], f64::to_ne_bytes));
    }

    #[test]
    fn every_op_and_basic_type_follows_the_standards_table() {
        // Every combination either succeeds on zeros or names both.
        for &p in Prim::ALL {
            for &op in &PredefOp::ALL[..12] {
                let n = p.size();
                let r = apply(op, &pre(p.handle()), &vec![0; n], &mut vec![0; n]);
                match r {
                    Ok(()) => assert!(op.applies_to(p.op_group()), "{op:?} {p:?}"),
                    Err(e) => {
                        assert!(!op.applies_to(p.op_group()));
                        assert!(e.contains(op.name()) && e.contains(p.name()), "{e}");
                    }
                }
            }
        }
    }
}
