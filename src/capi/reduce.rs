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
