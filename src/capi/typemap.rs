//! Datatypes as type maps: what a datatype handle describes, and how a
//! buffer of `count` elements of it is packed into contiguous bytes and
//! unpacked again. Pure data, no handles or global state: the C interface
//! keeps one [`TypeMap`] per datatype handle and calls the constructors
//! here for `MPI_Type_contiguous`, `MPI_Type_vector`, ...
//!
//! # Representation
//!
//! A type map is flattened once, when the type is built, into two lists
//! in *type-map order* (the order MPI packs in, which is not address order:
//! a vector with a negative stride packs its blocks downwards):
//!
//! - [`Run`]s: (displacement, basic type, count), what `MPI_Get_elements`,
//!   reductions and external32 need to know about the bytes;
//! - [`Block`]s: (displacement, length) byte ranges, adjacent ones merged,
//!   what pack and unpack copy.
//!
//! Both describe one element; `count` elements are `count` copies of them
//! `extent` bytes apart. A type whose one block spans its extent is
//! *contiguous*: packing it is one copy. The cost is memory proportional to
//! the number of separate blocks of one element (a vector of a million
//! strided blocks keeps a million blocks); in exchange pack and unpack are
//! a loop of copies with no interpretation.
//!
//! # Bounds
//!
//! lb and ub follow the MPI standard: the lowest lower bound and highest
//! upper bound of the children placed (zero-length blocks place nothing,
//! as in MPICH), and `MPI_Type_create_resized` sets both. Like MPICH, a
//! struct's extent is then rounded up to the alignment of its most aligned
//! basic member (the C compiler's padding, x86-64 alignments), and no other
//! constructor pads. `true_lb`/`true_extent` come from the bytes.
//!
//! The MPI-1 markers `MPI_LB` and `MPI_UB` (deprecated, removed from the
//! standard in MPI-3, still in MPICH) are empty predefined types that make
//! their displacement the type's lb or ub: as in MPICH, a marker is
//! *sticky*, it overrides the bounds of the data and passes on to every
//! type built from one that has it, and a struct with a marker is not
//! padded.
//!
//! # Pair types
//!
//! `MPI_FLOAT_INT`, `MPI_DOUBLE_INT`, ..., `MPI_2INT` and the Fortran
//! `MPI_2INTEGER`, `MPI_2REAL`, `MPI_2DOUBLE_PRECISION` are predefined
//! handles built as structs ({value; index}, padded like a C struct). As in
//! MPICH, such a pair is the basic *unit* of a type for reductions: a type
//! made only of one pair type has [`TypeMap::pair`] set (and `prim` unset),
//! and only MPI_MINLOC/MPI_MAXLOC accept it.

use rustc_apfloat::ieee::{Quad, X87DoubleExtended};
use rustc_apfloat::{Float, FloatConvert};

/// MPI_COMBINER_NAMED: a predefined datatype.
pub const COMBINER_NAMED: i32 = 1;
/// MPI_COMBINER_DUP.
pub const COMBINER_DUP: i32 = 2;
/// MPI_COMBINER_CONTIGUOUS.
pub const COMBINER_CONTIGUOUS: i32 = 3;
/// MPI_COMBINER_VECTOR.
pub const COMBINER_VECTOR: i32 = 4;
/// MPI_COMBINER_HVECTOR.
pub const COMBINER_HVECTOR: i32 = 6;
/// MPI_COMBINER_INDEXED.
pub const COMBINER_INDEXED: i32 = 7;
/// MPI_COMBINER_HINDEXED.
pub const COMBINER_HINDEXED: i32 = 9;
/// MPI_COMBINER_INDEXED_BLOCK.
pub const COMBINER_INDEXED_BLOCK: i32 = 10;
/// MPI_COMBINER_STRUCT.
pub const COMBINER_STRUCT: i32 = 12;
/// MPI_COMBINER_SUBARRAY.
pub const COMBINER_SUBARRAY: i32 = 13;
/// MPI_COMBINER_DARRAY.
pub const COMBINER_DARRAY: i32 = 14;
/// MPI_COMBINER_RESIZED.
pub const COMBINER_RESIZED: i32 = 18;
/// MPI_COMBINER_HINDEXED_BLOCK.
pub const COMBINER_HINDEXED_BLOCK: i32 = 19;

/// MPI_LB, the MPI-1 lower bound marker.
const MPI_LB: u32 = 0x4c00_0010;
/// MPI_UB, the MPI-1 upper bound marker.
const MPI_UB: u32 = 0x4c00_0011;

/// MPI_ORDER_C.
pub const ORDER_C: i32 = 56;
/// MPI_ORDER_FORTRAN.
pub const ORDER_FORTRAN: i32 = 57;
/// MPI_DISTRIBUTE_BLOCK.
pub const DISTRIBUTE_BLOCK: i32 = 121;
/// MPI_DISTRIBUTE_CYCLIC.
pub const DISTRIBUTE_CYCLIC: i32 = 122;
/// MPI_DISTRIBUTE_NONE.
pub const DISTRIBUTE_NONE: i32 = 123;
/// MPI_DISTRIBUTE_DFLT_DARG.
pub const DISTRIBUTE_DFLT_DARG: i32 = -49767;

/// MPI_TYPECLASS_REAL.
pub const TYPECLASS_REAL: i32 = 1;
/// MPI_TYPECLASS_INTEGER.
pub const TYPECLASS_INTEGER: i32 = 2;
/// MPI_TYPECLASS_COMPLEX.
pub const TYPECLASS_COMPLEX: i32 = 3;

/// The groups of basic types of MPI-4.0 section 6.9.2, which say what
/// predefined reduction operations apply to a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpGroup {
    /// C integer (MPICH also counts MPI_CHAR and MPI_CHARACTER here).
    CInteger,
    /// Fortran integer.
    FortranInteger,
    /// Floating point.
    FloatingPoint,
    /// Logical (MPI_LOGICAL, MPI_C_BOOL, MPI_CXX_BOOL).
    Logical,
    /// Complex.
    Complex,
    /// MPI_BYTE.
    Byte,
    /// MPI_AINT, MPI_OFFSET, MPI_COUNT.
    MultiLanguage,
    /// No reduction applies (MPI_WCHAR, MPI_PACKED).
    None,
}

/// How the bytes of a basic type encode a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repr {
    /// Opaque bytes (MPI_BYTE, MPI_PACKED).
    Raw,
    /// A two's complement integer of the type's size.
    Int {
        /// Whether the integer is signed.
        signed: bool,
    },
    /// A real number.
    Real(FloatFormat),
    /// A complex number: two reals (real part first).
    Complex(FloatFormat),
    /// A logical: zero is false, anything else true (C_BOOL, LOGICAL).
    Logical,
}

/// The floating-point formats of x86-64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatFormat {
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
    /// x87 80-bit extended, stored in 16 bytes (C `long double`).
    X87,
    /// IEEE binary128 (gfortran `REAL*16`).
    Quad,
}

macro_rules! prims {
    ($($(#[$doc:meta])* $v:ident = $h:literal, $name:literal, $size:literal, $align:literal,
       $group:ident, $repr:expr;)*) => {
        /// A predefined (basic) MPI type, as the MPICH ABI numbers them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Prim {
            $($(#[$doc])* $v,)*
        }

        impl Prim {
            /// Every basic type.
            pub const ALL: &'static [Prim] = &[$(Prim::$v),*];

            /// The basic type of a predefined handle (MPICH ABI value);
            /// None for other handles, the pair types included.
            pub fn from_handle(handle: i32) -> Option<Prim> {
                match handle as u32 {
                    $($h => Some(Prim::$v),)*
                    _ => None,
                }
            }

            /// The MPICH ABI handle.
            pub fn handle(self) -> i32 {
                match self {
                    $(Prim::$v => $h as i32,)*
                }
            }

            /// The MPI name, as MPI_Type_get_name gives it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Prim::$v => $name,)*
                }
            }

            /// Bytes of one value (MPI_Type_size).
            pub fn size(self) -> usize {
                match self {
                    $(Prim::$v => $size,)*
                }
            }

            /// Alignment in a C struct on x86-64 (MPICH's struct padding).
            pub fn align(self) -> usize {
                match self {
                    $(Prim::$v => $align,)*
                }
            }

            /// The MPI-4.0 section 6.9.2 group of the type.
            pub fn op_group(self) -> OpGroup {
                match self {
                    $(Prim::$v => OpGroup::$group,)*
                }
            }

            pub(crate) fn repr(self) -> Repr {
                use FloatFormat::*;
                use Repr::*;
                match self {
                    $(Prim::$v => $repr,)*
                }
            }
        }
    };
}

const S: Repr = Repr::Int { signed: true };
const U: Repr = Repr::Int { signed: false };

prims! {
    /// MPI_CHAR: C `char` (signed on x86-64).
    Char = 0x4c000101, "MPI_CHAR", 1, 1, CInteger, S;
    /// MPI_SIGNED_CHAR.
    SignedChar = 0x4c000118, "MPI_SIGNED_CHAR", 1, 1, CInteger, S;
    /// MPI_UNSIGNED_CHAR.
    UnsignedChar = 0x4c000102, "MPI_UNSIGNED_CHAR", 1, 1, CInteger, U;
    /// MPI_BYTE.
    Byte = 0x4c00010d, "MPI_BYTE", 1, 1, Byte, Raw;
    /// MPI_WCHAR: `wchar_t`, 4 bytes on Linux.
    Wchar = 0x4c00040e, "MPI_WCHAR", 4, 4, None, S;
    /// MPI_SHORT.
    Short = 0x4c000203, "MPI_SHORT", 2, 2, CInteger, S;
    /// MPI_UNSIGNED_SHORT.
    UnsignedShort = 0x4c000204, "MPI_UNSIGNED_SHORT", 2, 2, CInteger, U;
    /// MPI_INT.
    Int = 0x4c000405, "MPI_INT", 4, 4, CInteger, S;
    /// MPI_UNSIGNED.
    Unsigned = 0x4c000406, "MPI_UNSIGNED", 4, 4, CInteger, U;
    /// MPI_LONG.
    Long = 0x4c000807, "MPI_LONG", 8, 8, CInteger, S;
    /// MPI_UNSIGNED_LONG.
    UnsignedLong = 0x4c000808, "MPI_UNSIGNED_LONG", 8, 8, CInteger, U;
    /// MPI_FLOAT.
    Float = 0x4c00040a, "MPI_FLOAT", 4, 4, FloatingPoint, Real(F32);
    /// MPI_DOUBLE.
    Double = 0x4c00080b, "MPI_DOUBLE", 8, 8, FloatingPoint, Real(F64);
    /// MPI_LONG_DOUBLE (x86-64: 80-bit in 16 bytes).
    LongDouble = 0x4c00100c, "MPI_LONG_DOUBLE", 16, 16, FloatingPoint, Real(X87);
    /// MPI_LONG_LONG_INT (also MPI_LONG_LONG).
    LongLong = 0x4c000809, "MPI_LONG_LONG_INT", 8, 8, CInteger, S;
    /// MPI_UNSIGNED_LONG_LONG.
    UnsignedLongLong = 0x4c000819, "MPI_UNSIGNED_LONG_LONG", 8, 8, CInteger, U;
    /// MPI_PACKED.
    Packed = 0x4c00010f, "MPI_PACKED", 1, 1, None, Raw;
    /// MPI_COMPLEX (Fortran COMPLEX).
    Complex = 0x4c00081e, "MPI_COMPLEX", 8, 4, Complex, Complex(F32);
    /// MPI_DOUBLE_COMPLEX (Fortran DOUBLE COMPLEX).
    DoubleComplex = 0x4c001022, "MPI_DOUBLE_COMPLEX", 16, 8, Complex, Complex(F64);
    /// MPI_LOGICAL (Fortran LOGICAL).
    Logical = 0x4c00041d, "MPI_LOGICAL", 4, 4, Logical, Logical;
    /// MPI_REAL (Fortran REAL).
    Real = 0x4c00041c, "MPI_REAL", 4, 4, FloatingPoint, Real(F32);
    /// MPI_DOUBLE_PRECISION.
    DoublePrecision = 0x4c00081f, "MPI_DOUBLE_PRECISION", 8, 8, FloatingPoint, Real(F64);
    /// MPI_INTEGER (Fortran INTEGER).
    Integer = 0x4c00041b, "MPI_INTEGER", 4, 4, FortranInteger, S;
    /// MPI_CHARACTER (Fortran CHARACTER).
    Character = 0x4c00011a, "MPI_CHARACTER", 1, 1, CInteger, S;
    /// MPI_REAL4.
    Real4 = 0x4c000427, "MPI_REAL4", 4, 4, FloatingPoint, Real(F32);
    /// MPI_REAL8.
    Real8 = 0x4c000829, "MPI_REAL8", 8, 8, FloatingPoint, Real(F64);
    /// MPI_REAL16 (IEEE binary128).
    Real16 = 0x4c00102b, "MPI_REAL16", 16, 16, FloatingPoint, Real(Quad);
    /// MPI_COMPLEX8.
    Complex8 = 0x4c000828, "MPI_COMPLEX8", 8, 4, Complex, Complex(F32);
    /// MPI_COMPLEX16.
    Complex16 = 0x4c00102a, "MPI_COMPLEX16", 16, 8, Complex, Complex(F64);
    /// MPI_COMPLEX32 (two IEEE binary128).
    Complex32 = 0x4c00202c, "MPI_COMPLEX32", 32, 16, Complex, Complex(Quad);
    /// MPI_INTEGER1.
    Integer1 = 0x4c00012d, "MPI_INTEGER1", 1, 1, FortranInteger, S;
    /// MPI_INTEGER2.
    Integer2 = 0x4c00022f, "MPI_INTEGER2", 2, 2, FortranInteger, S;
    /// MPI_INTEGER4.
    Integer4 = 0x4c000430, "MPI_INTEGER4", 4, 4, FortranInteger, S;
    /// MPI_INTEGER8.
    Integer8 = 0x4c000831, "MPI_INTEGER8", 8, 8, FortranInteger, S;
    /// MPI_INT8_T.
    Int8 = 0x4c000137, "MPI_INT8_T", 1, 1, CInteger, S;
    /// MPI_INT16_T.
    Int16 = 0x4c000238, "MPI_INT16_T", 2, 2, CInteger, S;
    /// MPI_INT32_T.
    Int32 = 0x4c000439, "MPI_INT32_T", 4, 4, CInteger, S;
    /// MPI_INT64_T.
    Int64 = 0x4c00083a, "MPI_INT64_T", 8, 8, CInteger, S;
    /// MPI_UINT8_T.
    Uint8 = 0x4c00013b, "MPI_UINT8_T", 1, 1, CInteger, U;
    /// MPI_UINT16_T.
    Uint16 = 0x4c00023c, "MPI_UINT16_T", 2, 2, CInteger, U;
    /// MPI_UINT32_T.
    Uint32 = 0x4c00043d, "MPI_UINT32_T", 4, 4, CInteger, U;
    /// MPI_UINT64_T.
    Uint64 = 0x4c00083e, "MPI_UINT64_T", 8, 8, CInteger, U;
    /// MPI_C_BOOL.
    CBool = 0x4c00013f, "MPI_C_BOOL", 1, 1, Logical, Logical;
    /// MPI_C_FLOAT_COMPLEX (also MPI_C_COMPLEX, the name MPICH gives).
    CFloatComplex = 0x4c000840, "MPI_C_COMPLEX", 8, 4, Complex, Complex(F32);
    /// MPI_C_DOUBLE_COMPLEX.
    CDoubleComplex = 0x4c001041, "MPI_C_DOUBLE_COMPLEX", 16, 8, Complex, Complex(F64);
    /// MPI_C_LONG_DOUBLE_COMPLEX.
    CLongDoubleComplex = 0x4c002042, "MPI_C_LONG_DOUBLE_COMPLEX", 32, 16, Complex, Complex(X87);
    /// MPI_AINT.
    Aint = 0x4c000843, "MPI_AINT", 8, 8, MultiLanguage, S;
    /// MPI_OFFSET.
    Offset = 0x4c000844, "MPI_OFFSET", 8, 8, MultiLanguage, S;
    /// MPI_COUNT.
    Count = 0x4c000845, "MPI_COUNT", 8, 8, MultiLanguage, S;
    /// MPI_CXX_BOOL.
    CxxBool = 0x4c000133, "MPI_CXX_BOOL", 1, 1, Logical, Logical;
    /// MPI_CXX_FLOAT_COMPLEX.
    CxxFloatComplex = 0x4c000834, "MPI_CXX_FLOAT_COMPLEX", 8, 4, Complex, Complex(F32);
    /// MPI_CXX_DOUBLE_COMPLEX.
    CxxDoubleComplex = 0x4c001035, "MPI_CXX_DOUBLE_COMPLEX", 16, 8, Complex, Complex(F64);
    /// MPI_CXX_LONG_DOUBLE_COMPLEX.
    CxxLongDoubleComplex = 0x4c002036, "MPI_CXX_LONG_DOUBLE_COMPLEX", 32, 16, Complex, Complex(X87);
}

/// A predefined pair type {value; index}, for MPI_MINLOC and MPI_MAXLOC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pair {
    /// MPI_FLOAT_INT: {float; int}.
    FloatInt,
    /// MPI_DOUBLE_INT: {double; int}.
    DoubleInt,
    /// MPI_LONG_INT: {long; int}.
    LongInt,
    /// MPI_SHORT_INT: {short; int}.
    ShortInt,
    /// MPI_2INT: {int; int}.
    TwoInt,
    /// MPI_LONG_DOUBLE_INT: {long double; int}.
    LongDoubleInt,
    /// MPI_2INTEGER: {INTEGER; INTEGER}.
    TwoInteger,
    /// MPI_2REAL: {REAL; REAL}.
    TwoReal,
    /// MPI_2DOUBLE_PRECISION: {DOUBLE PRECISION; DOUBLE PRECISION}.
    TwoDoublePrecision,
}

impl Pair {
    /// Every pair type.
    pub const ALL: &'static [Pair] = &[
        Pair::FloatInt,
        Pair::DoubleInt,
        Pair::LongInt,
        Pair::ShortInt,
        Pair::TwoInt,
        Pair::LongDoubleInt,
        Pair::TwoInteger,
        Pair::TwoReal,
        Pair::TwoDoublePrecision,
    ];

    /// The pair type of a predefined handle (MPICH ABI value).
    pub fn from_handle(handle: i32) -> Option<Pair> {
        Pair::ALL.iter().copied().find(|p| p.handle() == handle)
    }

    /// The MPICH ABI handle.
    pub fn handle(self) -> i32 {
        (match self {
            Pair::FloatInt => 0x8c000000u32,
            Pair::DoubleInt => 0x8c000001,
            Pair::LongInt => 0x8c000002,
            Pair::ShortInt => 0x8c000003,
            Pair::TwoInt => 0x4c000816,
            Pair::LongDoubleInt => 0x8c000004,
            Pair::TwoInteger => 0x4c000820,
            Pair::TwoReal => 0x4c000821,
            Pair::TwoDoublePrecision => 0x4c001023,
        }) as i32
    }

    /// The MPI name.
    pub fn name(self) -> &'static str {
        match self {
            Pair::FloatInt => "MPI_FLOAT_INT",
            Pair::DoubleInt => "MPI_DOUBLE_INT",
            Pair::LongInt => "MPI_LONG_INT",
            Pair::ShortInt => "MPI_SHORT_INT",
            Pair::TwoInt => "MPI_2INT",
            Pair::LongDoubleInt => "MPI_LONG_DOUBLE_INT",
            Pair::TwoInteger => "MPI_2INTEGER",
            Pair::TwoReal => "MPI_2REAL",
            Pair::TwoDoublePrecision => "MPI_2DOUBLE_PRECISION",
        }
    }

    /// The basic types of the value and of the index.
    pub fn parts(self) -> (Prim, Prim) {
        match self {
            Pair::FloatInt => (Prim::Float, Prim::Int),
            Pair::DoubleInt => (Prim::Double, Prim::Int),
            Pair::LongInt => (Prim::Long, Prim::Int),
            Pair::ShortInt => (Prim::Short, Prim::Int),
            Pair::TwoInt => (Prim::Int, Prim::Int),
            Pair::LongDoubleInt => (Prim::LongDouble, Prim::Int),
            Pair::TwoInteger => (Prim::Integer, Prim::Integer),
            Pair::TwoReal => (Prim::Real, Prim::Real),
            Pair::TwoDoublePrecision => (Prim::DoublePrecision, Prim::DoublePrecision),
        }
    }
}

/// The MPI name of any predefined datatype handle (MPI_Type_get_name), or
/// None for a handle that is not predefined.
pub fn predefined_name(handle: i32) -> Option<&'static str> {
    match handle as u32 {
        0x4c000010 => Some("MPI_LB"),
        0x4c000011 => Some("MPI_UB"),
        _ => Prim::from_handle(handle)
            .map(Prim::name)
            .or_else(|| Pair::from_handle(handle).map(Pair::name)),
    }
}

/// MPI_Type_match_size: the predefined type of class `typeclass`
/// (MPI_TYPECLASS_*) and `size` bytes, as MPICH picks it (the Fortran
/// sized types), or None when there is none.
pub fn match_size(typeclass: i32, size: usize) -> Option<i32> {
    let prim = match (typeclass, size) {
        (TYPECLASS_REAL, 4) => Prim::Real4,
        (TYPECLASS_REAL, 8) => Prim::Real8,
        (TYPECLASS_REAL, 16) => Prim::Real16,
        (TYPECLASS_INTEGER, 1) => Prim::Integer1,
        (TYPECLASS_INTEGER, 2) => Prim::Integer2,
        (TYPECLASS_INTEGER, 4) => Prim::Integer4,
        (TYPECLASS_INTEGER, 8) => Prim::Integer8,
        (TYPECLASS_COMPLEX, 8) => Prim::Complex8,
        (TYPECLASS_COMPLEX, 16) => Prim::Complex16,
        (TYPECLASS_COMPLEX, 32) => Prim::Complex32,
        _ => return None,
    };
    Some(prim.handle())
}

/// `count` basic values of one type at a displacement: one piece of the
/// type map, in type-map order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// Byte displacement from the element's start (the buffer address).
    pub disp: isize,
    /// The basic type.
    pub prim: Prim,
    /// How many values, back to back.
    pub count: usize,
}

/// A byte range of one element, adjacent ranges merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Byte displacement from the element's start.
    pub disp: isize,
    /// Bytes.
    pub len: usize,
}

/// How a datatype was made: what MPI_Type_get_envelope and
/// MPI_Type_get_contents return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contents {
    /// MPI_COMBINER_*.
    pub combiner: i32,
    /// The integer arguments, in the standard's order.
    pub integers: Vec<i32>,
    /// The address arguments.
    pub addresses: Vec<isize>,
    /// The datatype handles.
    pub datatypes: Vec<i32>,
}

impl Contents {
    fn named() -> Contents {
        Contents::new(COMBINER_NAMED, vec![], vec![], vec![])
    }

    fn new(combiner: i32, integers: Vec<i32>, addresses: Vec<isize>, datatypes: Vec<i32>) -> Self {
        Contents {
            combiner,
            integers,
            addresses,
            datatypes,
        }
    }
}

/// A datatype: its type map, flattened to runs and byte blocks, and how it
/// was made.
#[derive(Clone, Debug)]
pub struct TypeMap {
    /// Bytes of data in one element (MPI_Type_size).
    pub size: usize,
    /// Lower bound (MPI_Type_get_extent).
    pub lb: isize,
    /// Extent (MPI_Type_get_extent).
    pub extent: isize,
    /// Lowest byte touched (MPI_Type_get_true_extent).
    pub true_lb: isize,
    /// Span of the bytes touched (MPI_Type_get_true_extent).
    pub true_extent: isize,
    /// The basic type, when every value of the type map is of that one
    /// basic type (None when mixed, empty, or made of pair types).
    pub prim: Option<Prim>,
    /// The pair type, when the type is made of one pair type only.
    pair: Option<Pair>,
    /// Alignment of the most aligned basic member (MPICH's struct padding).
    align: usize,
    /// Whether lb comes from an MPI_LB marker (see "Bounds").
    sticky_lb: bool,
    /// Whether ub comes from an MPI_UB marker.
    sticky_ub: bool,
    runs: Vec<Run>,
    blocks: Vec<Block>,
    contents: Contents,
}

/// The basic unit a type is made of, for [`TypeMap::prim`] and
/// [`TypeMap::pair`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// No data yet.
    Empty,
    Prim(Prim),
    Pair(Pair),
    Mixed,
}

/// Builds a type map by placing copies of children, in type-map order.
struct Builder {
    runs: Vec<Run>,
    blocks: Vec<Block>,
    size: usize,
    bounds: Option<(isize, isize)>,
    /// Lowest lb of the MPI_LB markers placed, and highest ub of the MPI_UB ones.
    sticky_lb: Option<isize>,
    sticky_ub: Option<isize>,
    align: usize,
    unit: Unit,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            runs: Vec::new(),
            blocks: Vec::new(),
            size: 0,
            bounds: None,
            sticky_lb: None,
            sticky_ub: None,
            align: 1,
            unit: Unit::Empty,
        }
    }

    fn push_run(&mut self, run: Run) {
        if run.count == 0 {
            return;
        }
        if let Some(last) = self.runs.last_mut() {
            if last.prim == run.prim
                && last.disp + (last.count * last.prim.size()) as isize == run.disp
            {
                last.count += run.count;
                return;
            }
        }
        self.runs.push(run);
    }

    fn push_block(&mut self, block: Block) {
        if block.len == 0 {
            return;
        }
        if let Some(last) = self.blocks.last_mut() {
            if last.disp + last.len as isize == block.disp {
                last.len += block.len;
                return;
            }
        }
        self.blocks.push(block);
    }

    /// Places `n` copies of `child`, the first at `disp`, each next one
    /// `child.extent` bytes further.
    fn place(&mut self, child: &TypeMap, disp: isize, n: usize) {
        if n == 0 {
            return;
        }
        let last = disp + (n as isize - 1) * child.extent;
        let lo = disp.min(last) + child.lb;
        let hi = disp.max(last) + child.lb + child.extent;
        if child.sticky_lb {
            self.sticky_lb = Some(self.sticky_lb.map_or(lo, |l| l.min(lo)));
        }
        if child.sticky_ub {
            self.sticky_ub = Some(self.sticky_ub.map_or(hi, |h| h.max(hi)));
        }
        if child.is_marker() {
            // A marker places no data: only its sticky bound counts.
            return;
        }
        self.bounds = Some(match self.bounds {
            None => (lo, hi),
            Some((l, h)) => (l.min(lo), h.max(hi)),
        });
        self.align = self.align.max(child.align);
        if child.size > 0 {
            let unit = child.unit();
            self.unit = match self.unit {
                Unit::Empty => unit,
                u if u == unit => u,
                _ => Unit::Mixed,
            };
        }
        self.size += n * child.size;
        if child.blocks.len() == 1 && child.blocks[0].len as isize == child.extent {
            // The copies are back to back: one block, and one run when the
            // child is one run.
            let b = child.blocks[0];
            self.push_block(Block {
                disp: disp + b.disp,
                len: b.len * n,
            });
            if let [r] = child.runs[..] {
                self.push_run(Run {
                    disp: disp + r.disp,
                    prim: r.prim,
                    count: r.count * n,
                });
                return;
            }
            for i in 0..n as isize {
                let at = disp + i * child.extent;
                for r in &child.runs {
                    self.push_run(Run {
                        disp: at + r.disp,
                        ..*r
                    });
                }
            }
            return;
        }
        for i in 0..n as isize {
            let at = disp + i * child.extent;
            for b in &child.blocks {
                self.push_block(Block {
                    disp: at + b.disp,
                    ..*b
                });
            }
            for r in &child.runs {
                self.push_run(Run {
                    disp: at + r.disp,
                    ..*r
                });
            }
        }
    }

    fn finish(self, contents: Contents) -> TypeMap {
        let (lb, ub) = self.bounds.unwrap_or((0, 0));
        let lb = self.sticky_lb.unwrap_or(lb);
        let ub = self.sticky_ub.unwrap_or(ub);
        let (true_lb, true_ub) = if self.blocks.is_empty() {
            (0, 0)
        } else {
            let lo = self.blocks.iter().map(|b| b.disp).min().unwrap_or(0);
            let hi = self
                .blocks
                .iter()
                .map(|b| b.disp + b.len as isize)
                .max()
                .unwrap_or(0);
            (lo, hi)
        };
        let (prim, pair) = match self.unit {
            Unit::Prim(p) => (Some(p), None),
            Unit::Pair(p) => (None, Some(p)),
            Unit::Empty | Unit::Mixed => (None, None),
        };
        TypeMap {
            size: self.size,
            lb,
            extent: ub - lb,
            true_lb,
            true_extent: true_ub - true_lb,
            prim,
            pair,
            align: self.align,
            sticky_lb: self.sticky_lb.is_some(),
            sticky_ub: self.sticky_ub.is_some(),
            runs: self.runs,
            blocks: self.blocks,
            contents,
        }
    }
}

/// The error of a constructor given arguments MPI calls erroneous.
fn invalid(what: String) -> Result<TypeMap, String> {
    Err(what)
}

impl TypeMap {
    /// The type map of a predefined datatype handle (MPICH ABI value):
    /// a basic type or a pair type.
    pub fn predefined(handle: i32) -> Option<TypeMap> {
        if let Some(prim) = Prim::from_handle(handle) {
            return Some(TypeMap::basic(prim));
        }
        match handle as u32 {
            MPI_LB => return Some(TypeMap::marker(true, false)),
            MPI_UB => return Some(TypeMap::marker(false, true)),
            _ => {}
        }
        let pair = Pair::from_handle(handle)?;
        let (value, index) = pair.parts();
        let (v, i) = (TypeMap::basic(value), TypeMap::basic(index));
        // Laid out as the C struct {value; index}.
        let at = index.align().max(value.size()) as isize;
        let mut t = TypeMap::build_struct(&[1, 1], &[0, at], &[&v, &i]);
        t.unit_pair(pair);
        Some(t)
    }

    /// MPI_LB (`lb`) or MPI_UB (`ub`): no data, a sticky bound at 0.
    fn marker(lb: bool, ub: bool) -> TypeMap {
        TypeMap {
            size: 0,
            lb: 0,
            extent: 0,
            true_lb: 0,
            true_extent: 0,
            prim: None,
            pair: None,
            align: 1,
            sticky_lb: lb,
            sticky_ub: ub,
            runs: Vec::new(),
            blocks: Vec::new(),
            contents: Contents::named(),
        }
    }

    /// Whether this is MPI_LB or MPI_UB.
    fn is_marker(&self) -> bool {
        (self.sticky_lb || self.sticky_ub)
            && self.size == 0
            && self.contents.combiner == COMBINER_NAMED
    }

    fn basic(prim: Prim) -> TypeMap {
        let size = prim.size();
        TypeMap {
            size,
            lb: 0,
            extent: size as isize,
            true_lb: 0,
            true_extent: size as isize,
            prim: Some(prim),
            pair: None,
            align: prim.align(),
            sticky_lb: false,
            sticky_ub: false,
            runs: vec![Run {
                disp: 0,
                prim,
                count: 1,
            }],
            blocks: vec![Block { disp: 0, len: size }],
            contents: Contents::named(),
        }
    }

    fn unit_pair(&mut self, pair: Pair) {
        self.prim = None;
        self.pair = Some(pair);
    }

    fn unit(&self) -> Unit {
        match (self.prim, self.pair) {
            (Some(p), _) => Unit::Prim(p),
            (None, Some(p)) => Unit::Pair(p),
            (None, None) if self.size == 0 => Unit::Empty,
            (None, None) => Unit::Mixed,
        }
    }

    /// Whether `count` elements occupy `count * size` contiguous bytes
    /// starting at the buffer address + `true_lb`, so that no packing is needed.
    pub fn is_contiguous(&self) -> bool {
        self.size == 0
            || (self.blocks.len() == 1
                && self.blocks[0].len == self.size
                && self.size as isize == self.extent)
    }

    /// The basic type every value consists of (what reductions need);
    /// None for mixed types and types of pair types.
    pub fn prim_run(&self) -> Option<Prim> {
        self.prim
    }

    /// The pair type every element consists of, for MPI_MINLOC/MPI_MAXLOC.
    pub fn pair(&self) -> Option<Pair> {
        self.pair
    }

    /// The type map of one element: basic values in type-map order.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// The bytes of one element, in type-map order, adjacent ones merged.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// How the type was made (MPI_Type_get_contents).
    pub fn contents(&self) -> &Contents {
        &self.contents
    }

    /// MPI_Type_get_envelope and MPI_Type_get_contents in one: (combiner,
    /// integers, addresses, datatype handles). MPI_COMBINER_NAMED with no
    /// arguments for a predefined type.
    pub fn envelope(&self) -> (i32, Vec<i32>, Vec<isize>, Vec<i32>) {
        let c = &self.contents;
        (
            c.combiner,
            c.integers.clone(),
            c.addresses.clone(),
            c.datatypes.clone(),
        )
    }

    /// Whether the type is predefined (MPI_COMBINER_NAMED).
    pub fn is_named(&self) -> bool {
        self.contents.combiner == COMBINER_NAMED
    }

    // ---- constructors ----

    /// MPI_Type_dup: the same type map.
    pub fn dup(old: &TypeMap, old_handle: i32) -> TypeMap {
        TypeMap {
            contents: Contents::new(COMBINER_DUP, vec![], vec![], vec![old_handle]),
            ..old.clone()
        }
    }

    /// MPI_Type_contiguous.
    pub fn contiguous(count: usize, old: &TypeMap, old_handle: i32) -> TypeMap {
        let mut b = Builder::new();
        b.place(old, 0, count);
        b.finish(Contents::new(
            COMBINER_CONTIGUOUS,
            vec![count as i32],
            vec![],
            vec![old_handle],
        ))
    }

    /// MPI_Type_vector: `count` blocks of `blocklength` elements, block
    /// starts `stride` elements apart.
    pub fn vector(
        count: usize,
        blocklength: usize,
        stride: isize,
        old: &TypeMap,
        old_handle: i32,
    ) -> TypeMap {
        let mut b = Builder::new();
        for i in 0..count as isize {
            b.place(old, i * stride * old.extent, blocklength);
        }
        b.finish(Contents::new(
            COMBINER_VECTOR,
            vec![count as i32, blocklength as i32, stride as i32],
            vec![],
            vec![old_handle],
        ))
    }

    /// MPI_Type_create_hvector: as vector, with the stride in bytes.
    pub fn hvector(
        count: usize,
        blocklength: usize,
        stride: isize,
        old: &TypeMap,
        old_handle: i32,
    ) -> TypeMap {
        let mut b = Builder::new();
        for i in 0..count as isize {
            b.place(old, i * stride, blocklength);
        }
        b.finish(Contents::new(
            COMBINER_HVECTOR,
            vec![count as i32, blocklength as i32],
            vec![stride],
            vec![old_handle],
        ))
    }

    /// MPI_Type_indexed: blocks of `blocklengths[i]` elements at
    /// `displacements[i]` elements. The two slices have the same length.
    pub fn indexed(
        blocklengths: &[usize],
        displacements: &[isize],
        old: &TypeMap,
        old_handle: i32,
    ) -> TypeMap {
        let mut b = Builder::new();
        for (&n, &d) in blocklengths.iter().zip(displacements) {
            b.place(old, d * old.extent, n);
        }
        let mut ints = vec![blocklengths.len() as i32];
        ints.extend(blocklengths.iter().map(|&n| n as i32));
        ints.extend(displacements.iter().map(|&d| d as i32));
        b.finish(Contents::new(
            COMBINER_INDEXED,
            ints,
            vec![],
            vec![old_handle],
        ))
    }

    /// MPI_Type_create_hindexed: as indexed, displacements in bytes.
    pub fn hindexed(
        blocklengths: &[usize],
        displacements: &[isize],
        old: &TypeMap,
        old_handle: i32,
    ) -> TypeMap {
        let mut b = Builder::new();
        for (&n, &d) in blocklengths.iter().zip(displacements) {
            b.place(old, d, n);
        }
        let mut ints = vec![blocklengths.len() as i32];
        ints.extend(blocklengths.iter().map(|&n| n as i32));
        b.finish(Contents::new(
            COMBINER_HINDEXED,
            ints,
            displacements.to_vec(),
            vec![old_handle],
        ))
    }

    /// MPI_Type_create_indexed_block: blocks of `blocklength` elements at
    /// `displacements[i]` elements.
    pub fn indexed_block(
        blocklength: usize,
        displacements: &[isize],
        old: &TypeMap,
        old_handle: i32,
    ) -> TypeMap {
        let mut b = Builder::new();
        for &d in displacements {
            b.place(old, d * old.extent, blocklength);
        }
        let mut ints = vec![displacements.len() as i32, blocklength as i32];
        ints.extend(displacements.iter().map(|&d| d as i32));
        b.finish(Contents::new(
            COMBINER_INDEXED_BLOCK,
            ints,
            vec![],
            vec![old_handle],
        ))
    }

    /// MPI_Type_create_hindexed_block: as indexed_block, displacements in
    /// bytes.
    pub fn hindexed_block(
        blocklength: usize,
        displacements: &[isize],
        old: &TypeMap,
        old_handle: i32,
    ) -> TypeMap {
        let mut b = Builder::new();
        for &d in displacements {
            b.place(old, d, blocklength);
        }
        b.finish(Contents::new(
            COMBINER_HINDEXED_BLOCK,
            vec![displacements.len() as i32, blocklength as i32],
            displacements.to_vec(),
            vec![old_handle],
        ))
    }

    /// MPI_Type_create_struct: `blocklengths[i]` elements of `types[i]` at
    /// byte displacement `displacements[i]`; the extent is padded to the
    /// alignment of the most aligned member, as MPICH does. `handles[i]`
    /// is the handle of `types[i]`. The slices have the same length.
    pub fn structure(
        blocklengths: &[usize],
        displacements: &[isize],
        types: &[&TypeMap],
        handles: &[i32],
    ) -> TypeMap {
        let mut t = TypeMap::build_struct(blocklengths, displacements, types);
        let mut ints = vec![blocklengths.len() as i32];
        ints.extend(blocklengths.iter().map(|&n| n as i32));
        t.contents = Contents::new(
            COMBINER_STRUCT,
            ints,
            displacements.to_vec(),
            handles.to_vec(),
        );
        t
    }

    fn build_struct(
        blocklengths: &[usize],
        displacements: &[isize],
        types: &[&TypeMap],
    ) -> TypeMap {
        let mut b = Builder::new();
        let mut align = 1;
        for ((&n, &d), t) in blocklengths.iter().zip(displacements).zip(types) {
            if n > 0 {
                align = align.max(t.align);
            }
            b.place(t, d, n);
        }
        let mut t = b.finish(Contents::named());
        // MPICH: extent % alignsize, C remainder semantics; no padding
        // when a marker sets a bound.
        let epsilon = t.extent % align as isize;
        if epsilon != 0 && !t.sticky_lb && !t.sticky_ub {
            t.extent += align as isize - epsilon;
        }
        t.align = align;
        t
    }

    /// MPI_Type_create_resized: the same type map with lower bound `lb`
    /// and extent `extent`.
    pub fn resized(old: &TypeMap, lb: isize, extent: isize, old_handle: i32) -> TypeMap {
        TypeMap {
            lb,
            extent,
            contents: Contents::new(COMBINER_RESIZED, vec![], vec![lb, extent], vec![old_handle]),
            ..old.clone()
        }
    }

    /// Places, for each dimension from the innermost, the chosen indices
    /// of that dimension: `dims[k] = (size, indices)`, innermost first.
    /// The result has lb 0 and the extent of the whole array.
    fn array_of(old: &TypeMap, dims: &[(usize, Vec<usize>)]) -> TypeMap {
        let mut t = old.clone();
        for (size, indices) in dims {
            let mut b = Builder::new();
            for &i in indices {
                b.place(&t, i as isize * t.extent, 1);
            }
            let extent = *size as isize * t.extent;
            t = b.finish(Contents::named());
            t.lb = 0;
            t.extent = extent;
        }
        t
    }

    /// MPI_Type_create_subarray: the `subsizes` block at `starts` of an
    /// array of `sizes`, in C (row-major) or Fortran order.
    pub fn subarray(
        sizes: &[usize],
        subsizes: &[usize],
        starts: &[usize],
        order: i32,
        old: &TypeMap,
        old_handle: i32,
    ) -> Result<TypeMap, String> {
        let n = sizes.len();
        if n == 0 || subsizes.len() != n || starts.len() != n {
            return invalid(format!(
                "subarray: {n} dimensions, arrays of different lengths"
            ));
        }
        if order != ORDER_C && order != ORDER_FORTRAN {
            return invalid(format!(
                "subarray: order {order} is neither MPI_ORDER_C nor MPI_ORDER_FORTRAN"
            ));
        }
        let mut dims = Vec::with_capacity(n);
        for k in 0..n {
            // An empty subarray (subsize 0) is allowed, as in MPICH and
            // MPI-4.1: a process may own no part of the array.
            if sizes[k] == 0 || subsizes[k] > sizes[k] {
                return invalid(format!(
                    "subarray: dimension {k}: subsize {} of size {} (need 0 <= subsize <= size, 1 <= size)",
                    subsizes[k], sizes[k]
                ));
            }
            if starts[k] > sizes[k] - subsizes[k] {
                return invalid(format!(
                    "subarray: dimension {k}: start {} + subsize {} exceeds size {}",
                    starts[k], subsizes[k], sizes[k]
                ));
            }
            dims.push((sizes[k], (starts[k]..starts[k] + subsizes[k]).collect()));
        }
        if order == ORDER_C {
            dims.reverse();
        }
        let mut t = TypeMap::array_of(old, &dims);
        let mut ints = vec![n as i32];
        for a in [sizes, subsizes, starts] {
            ints.extend(a.iter().map(|&x| x as i32));
        }
        ints.push(order);
        t.contents = Contents::new(COMBINER_SUBARRAY, ints, vec![], vec![old_handle]);
        Ok(t)
    }

    /// MPI_Type_create_darray: the part of a `gsizes` array that process
    /// `rank` of `size` owns, processes laid out row-major on a `psizes`
    /// grid, each dimension distributed by `distribs[k]`
    /// (MPI_DISTRIBUTE_BLOCK/CYCLIC/NONE) with `dargs[k]` (or
    /// MPI_DISTRIBUTE_DFLT_DARG), as the MPI standard defines it.
    #[allow(clippy::too_many_arguments)]
    pub fn darray(
        size: usize,
        rank: usize,
        gsizes: &[usize],
        distribs: &[i32],
        dargs: &[i32],
        psizes: &[usize],
        order: i32,
        old: &TypeMap,
        old_handle: i32,
    ) -> Result<TypeMap, String> {
        let n = gsizes.len();
        if n == 0 || distribs.len() != n || dargs.len() != n || psizes.len() != n {
            return invalid(format!(
                "darray: {n} dimensions, arrays of different lengths"
            ));
        }
        if order != ORDER_C && order != ORDER_FORTRAN {
            return invalid(format!(
                "darray: order {order} is neither MPI_ORDER_C nor MPI_ORDER_FORTRAN"
            ));
        }
        if psizes.iter().product::<usize>() != size || rank >= size {
            return invalid(format!(
                "darray: process grid {psizes:?} does not hold {size} processes with rank {rank}"
            ));
        }
        // Row-major coordinates of `rank` in the process grid.
        let mut coords = vec![0; n];
        let mut r = rank;
        for k in (0..n).rev() {
            coords[k] = r % psizes[k];
            r /= psizes[k];
        }
        let mut dims = Vec::with_capacity(n);
        for k in 0..n {
            let (g, p, c, d) = (gsizes[k], psizes[k], coords[k], dargs[k]);
            if g == 0 {
                return invalid(format!("darray: dimension {k} has size 0"));
            }
            if d != DISTRIBUTE_DFLT_DARG && d <= 0 {
                return invalid(format!(
                    "darray: dimension {k}: distribution argument {d} must be positive"
                ));
            }
            let indices: Vec<usize> = match distribs[k] {
                DISTRIBUTE_NONE => {
                    if p != 1 {
                        return invalid(format!(
                            "darray: dimension {k} is MPI_DISTRIBUTE_NONE over {p} processes"
                        ));
                    }
                    (0..g).collect()
                }
                DISTRIBUTE_BLOCK => {
                    let b = if d == DISTRIBUTE_DFLT_DARG {
                        g.div_ceil(p)
                    } else {
                        d as usize
                    };
                    if b * p < g {
                        return invalid(format!(
                            "darray: dimension {k}: blocks of {b} on {p} processes do not cover {g}"
                        ));
                    }
                    let start = (c * b).min(g);
                    (start..(start + b).min(g)).collect()
                }
                DISTRIBUTE_CYCLIC => {
                    let b = if d == DISTRIBUTE_DFLT_DARG {
                        1
                    } else {
                        d as usize
                    };
                    let mut v = Vec::new();
                    let mut start = c * b;
                    while start < g {
                        v.extend(start..(start + b).min(g));
                        start += b * p;
                    }
                    v
                }
                other => {
                    return invalid(format!(
                        "darray: dimension {k}: distribution {other} is unknown"
                    ))
                }
            };
            dims.push((g, indices));
        }
        if order == ORDER_C {
            dims.reverse();
        }
        let mut t = TypeMap::array_of(old, &dims);
        let mut ints = vec![size as i32, rank as i32, n as i32];
        ints.extend(gsizes.iter().map(|&x| x as i32));
        ints.extend_from_slice(distribs);
        ints.extend_from_slice(dargs);
        ints.extend(psizes.iter().map(|&x| x as i32));
        ints.push(order);
        t.contents = Contents::new(COMBINER_DARRAY, ints, vec![], vec![old_handle]);
        Ok(t)
    }

    // ---- counting ----

    /// MPI_Get_elements: how many basic values `bytes` bytes of packed
    /// elements of this type hold; None when `bytes` ends inside a basic
    /// value (MPI_UNDEFINED). (MPICH rounds down instead.)
    pub fn elements(&self, bytes: usize) -> Option<usize> {
        if self.size == 0 {
            return (bytes == 0).then_some(0);
        }
        let per_element: usize = self.runs.iter().map(|r| r.count).sum();
        let mut n = bytes / self.size * per_element;
        let mut rest = bytes % self.size;
        for r in &self.runs {
            if rest == 0 {
                break;
            }
            let s = r.prim.size();
            let whole = (rest / s).min(r.count);
            n += whole;
            rest -= whole * s;
            if whole < r.count && rest > 0 {
                return None;
            }
        }
        Some(n)
    }

    // ---- pack and unpack ----

    /// Appends the data of `count` elements at `buf` to `out`.
    ///
    /// # Safety
    /// `buf` must be valid for reads over the type map of `count` elements.
    pub unsafe fn pack(&self, buf: *const u8, count: usize, out: &mut Vec<u8>) {
        if self.size == 0 || count == 0 {
            return;
        }
        if self.is_contiguous() || (count == 1 && self.blocks.len() == 1) {
            let start = buf.wrapping_offset(self.blocks[0].disp);
            // SAFETY: the caller guarantees the type map's bytes are
            // readable; contiguous, they are `size * count` bytes from the
            // first block.
            let src = unsafe { std::slice::from_raw_parts(start, self.size * count) };
            out.extend_from_slice(src);
            return;
        }
        out.reserve(self.size * count);
        for i in 0..count as isize {
            let base = buf.wrapping_offset(i * self.extent);
            for b in &self.blocks {
                // SAFETY: each block of each element is in the type map the
                // caller guarantees readable.
                let src =
                    unsafe { std::slice::from_raw_parts(base.wrapping_offset(b.disp), b.len) };
                out.extend_from_slice(src);
            }
        }
    }

    /// Writes `data` (whole or partial elements, as packed) into the
    /// buffer `buf` of `count` elements, in type-map order; returns the
    /// bytes consumed (all of `data`, or `count` elements' worth).
    ///
    /// # Safety
    /// `buf` must be valid for writes over the type map of `count` elements.
    pub unsafe fn unpack(&self, data: &[u8], buf: *mut u8, count: usize) -> usize {
        let total = data.len().min(self.size * count);
        if total == 0 {
            return 0;
        }
        if self.is_contiguous() || (count == 1 && self.blocks.len() == 1) {
            let start = buf.wrapping_offset(self.blocks[0].disp);
            // SAFETY: contiguous: the `total <= size * count` bytes from the
            // first block are in the writable type map.
            let dst = unsafe { std::slice::from_raw_parts_mut(start, total) };
            dst.copy_from_slice(&data[..total]);
            return total;
        }
        let mut pos = 0;
        for i in 0..count as isize {
            let base = buf.wrapping_offset(i * self.extent);
            for b in &self.blocks {
                let n = b.len.min(total - pos);
                if n == 0 {
                    return pos;
                }
                // SAFETY: the first `n <= len` bytes of a block of an element
                // are in the writable type map.
                let dst =
                    unsafe { std::slice::from_raw_parts_mut(base.wrapping_offset(b.disp), n) };
                dst.copy_from_slice(&data[pos..pos + n]);
                pos += n;
            }
        }
        pos
    }

    // ---- external32 ----

    /// Bytes of one element in the external32 representation.
    pub fn external32_size(&self) -> usize {
        self.runs
            .iter()
            .map(|r| r.count * r.prim.external32_size())
            .sum()
    }

    /// Appends `count` elements at `buf` in the external32 representation
    /// (MPI_Pack_external): big-endian, long double as IEEE binary128.
    ///
    /// # Safety
    /// `buf` must be valid for reads over the type map of `count` elements.
    pub unsafe fn pack_external32(&self, buf: *const u8, count: usize, out: &mut Vec<u8>) {
        out.reserve(self.external32_size() * count);
        for i in 0..count as isize {
            let base = buf.wrapping_offset(i * self.extent);
            for r in &self.runs {
                let s = r.prim.size();
                // SAFETY: a run of an element is in the type map the caller
                // guarantees readable.
                let src = unsafe {
                    std::slice::from_raw_parts(base.wrapping_offset(r.disp), s * r.count)
                };
                for value in src.chunks_exact(s) {
                    to_external32(r.prim, value, out);
                }
            }
        }
    }

    /// Reads external32 `data` into the buffer `buf` of `count` elements
    /// (MPI_Unpack_external), stopping at the first basic value `data`
    /// does not hold whole; returns the bytes consumed.
    ///
    /// # Safety
    /// `buf` must be valid for writes over the type map of `count` elements.
    pub unsafe fn unpack_external32(&self, data: &[u8], buf: *mut u8, count: usize) -> usize {
        let mut pos = 0;
        for i in 0..count as isize {
            let base = buf.wrapping_offset(i * self.extent);
            for r in &self.runs {
                let (s, e) = (r.prim.size(), r.prim.external32_size());
                let n = r.count.min((data.len() - pos) / e);
                // SAFETY: the first `n <= count` values of a run of an
                // element are in the writable type map.
                let dst =
                    unsafe { std::slice::from_raw_parts_mut(base.wrapping_offset(r.disp), s * n) };
                for value in dst.chunks_exact_mut(s) {
                    from_external32(r.prim, &data[pos..pos + e], value);
                    pos += e;
                }
                if n < r.count {
                    return pos;
                }
            }
        }
        pos
    }
}

impl Prim {
    /// Bytes of one value in external32 (the MPI standard's table of
    /// external32 sizes, as MPICH has it): the native size on x86-64 Linux,
    /// except MPI_LONG and MPI_UNSIGNED_LONG (4; the value is truncated on
    /// packing and extended on unpacking) and MPI_WCHAR (2); long double
    /// is 16 in both.
    pub fn external32_size(self) -> usize {
        match self {
            Prim::Long | Prim::UnsignedLong => 4,
            Prim::Wchar => 2,
            _ => self.size(),
        }
    }
}

fn x87_from_le(bytes: &[u8]) -> X87DoubleExtended {
    let mut b = [0u8; 16];
    b[..10].copy_from_slice(&bytes[..10]);
    X87DoubleExtended::from_bits(u128::from_le_bytes(b))
}

fn x87_to_le(x: X87DoubleExtended, out: &mut [u8]) {
    out[..10].copy_from_slice(&x.to_bits().to_le_bytes()[..10]);
    out[10..16].fill(0);
}

/// One native value to external32 (big-endian; x87 long double widened to
/// binary128, exactly).
fn to_external32(prim: Prim, native: &[u8], out: &mut Vec<u8>) {
    let part = |bytes: &[u8], fmt: Option<FloatFormat>, out: &mut Vec<u8>| {
        if fmt == Some(FloatFormat::X87) {
            let q: Quad = x87_from_le(bytes).convert(&mut false).value;
            out.extend_from_slice(&q.to_bits().to_be_bytes());
        } else {
            out.extend(bytes.iter().rev());
        }
    };
    match prim.repr() {
        Repr::Raw => out.extend_from_slice(native),
        Repr::Complex(f) => {
            let h = native.len() / 2;
            part(&native[..h], Some(f), out);
            part(&native[h..], Some(f), out);
        }
        Repr::Real(f) => part(native, Some(f), out),
        // Little-endian: a narrower external form keeps the low bytes.
        Repr::Int { .. } | Repr::Logical => part(&native[..prim.external32_size()], None, out),
    }
}

/// One external32 value to native.
fn from_external32(prim: Prim, ext: &[u8], native: &mut [u8]) {
    let part = |bytes: &[u8], fmt: Option<FloatFormat>, out: &mut [u8]| {
        if fmt == Some(FloatFormat::X87) {
            let mut b = [0u8; 16];
            b.copy_from_slice(bytes);
            let q = Quad::from_bits(u128::from_be_bytes(b));
            let x: X87DoubleExtended = q.convert(&mut false).value;
            x87_to_le(x, out);
        } else {
            for (o, i) in out.iter_mut().zip(bytes.iter().rev()) {
                *o = *i;
            }
        }
    };
    match prim.repr() {
        Repr::Raw => native.copy_from_slice(ext),
        Repr::Complex(f) => {
            let (h, eh) = (native.len() / 2, ext.len() / 2);
            let (re, im) = native.split_at_mut(h);
            part(&ext[..eh], Some(f), re);
            part(&ext[eh..], Some(f), im);
        }
        Repr::Real(f) => part(ext, Some(f), native),
        Repr::Int { signed } => {
            // A narrower external form is sign- or zero-extended.
            let negative = signed && ext.first().is_some_and(|b| b & 0x80 != 0);
            native.fill(if negative { 0xff } else { 0 });
            part(ext, None, &mut native[..ext.len()]);
        }
        Repr::Logical => part(ext, None, native),
    }
}

#[cfg(test)]
mod tests {
    //! Expected bounds and packed layouts are MPICH 4.0.2's, read with a
    //! small C program (MPI_Type_size/get_extent/get_true_extent, and
    //! MPI_Pack of an int array `a` with `a[i] = i` around the buffer
    //! address, so packed ints name the offsets, in ints, packed).
    use super::*;

    const INT: i32 = 0x4c000405;
    const CHAR: i32 = 0x4c000101;
    const DOUBLE: i32 = 0x4c00080b;

    fn int() -> TypeMap {
        TypeMap::predefined(INT).unwrap()
    }

    fn pre(h: i32) -> TypeMap {
        TypeMap::predefined(h).unwrap()
    }

    /// (size, lb, extent, true_lb, true_extent)
    type Bounds = (usize, isize, isize, isize, isize);

    fn bounds(t: &TypeMap) -> Bounds {
        (t.size, t.lb, t.extent, t.true_lb, t.true_extent)
    }

    /// Packs `count` elements of an int-based type from an int array whose
    /// value at each int offset from the buffer address is the offset.
    fn pack_ints(t: &TypeMap, count: usize) -> Vec<i32> {
        let arr: Vec<i32> = (-1024..1024).collect();
        let buf = arr.as_ptr().wrapping_add(1024) as *const u8;
        let mut out = Vec::new();
        // SAFETY: every type packed here stays within 1024 ints of `buf`.
        unsafe { t.pack(buf, count, &mut out) };
        assert_eq!(out.len(), t.size * count);
        out.chunks_exact(4)
            .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
            .collect()
    }

    /// Packs from a buffer of distinct bytes, unpacks into a zeroed one:
    /// the bytes of the type map come back, the others stay zero, and the
    /// second pack equals the first.
    fn roundtrip(t: &TypeMap, count: usize) {
        const N: usize = 1 << 14;
        let src: Vec<u8> = (0..N).map(|i| (i % 251 + 1) as u8).collect();
        let mut dst = vec![0u8; N];
        let mut packed = Vec::new();
        // SAFETY: the types tested span less than N/2 bytes either side.
        unsafe { t.pack(src.as_ptr().wrapping_add(N / 2), count, &mut packed) };
        assert_eq!(packed.len(), t.size * count);
        // SAFETY: as above.
        let n = unsafe { t.unpack(&packed, dst.as_mut_ptr().wrapping_add(N / 2), count) };
        assert_eq!(n, packed.len());
        let mut touched = vec![false; N];
        for i in 0..count as isize {
            for b in t.blocks() {
                let at = (N / 2) as isize + i * t.extent + b.disp;
                for k in at..at + b.len as isize {
                    touched[k as usize] = true;
                }
            }
        }
        for k in 0..N {
            assert_eq!(dst[k], if touched[k] { src[k] } else { 0 }, "byte {k}");
        }
        let mut again = Vec::new();
        // SAFETY: as above.
        unsafe { t.pack(dst.as_ptr().wrapping_add(N / 2), count, &mut again) };
        assert_eq!(again, packed);
    }

    fn strukt(bl: &[usize], d: &[isize], types: &[&TypeMap]) -> TypeMap {
        let handles = vec![0; types.len()];
        TypeMap::structure(bl, d, types, &handles)
    }

    #[test]
    fn every_basic_type_round_trips_its_handle_and_has_mpich_size() {
        // Every MPICH basic type but MPIX_C_FLOAT16 (and MPI_INTEGER16, null).
        assert_eq!(Prim::ALL.len(), 53);
        for &p in Prim::ALL {
            assert_eq!(Prim::from_handle(p.handle()), Some(p));
            // MPICH encodes the size in bits 8..16 of the handle.
            assert_eq!(
                p.size(),
                ((p.handle() >> 8) & 0xff) as usize,
                "{}",
                p.name()
            );
            assert_eq!(predefined_name(p.handle()), Some(p.name()));
            let t = pre(p.handle());
            assert_eq!(
                bounds(&t),
                (p.size(), 0, p.size() as isize, 0, p.size() as isize)
            );
            assert!(t.is_named() && t.is_contiguous());
            assert_eq!(t.prim_run(), Some(p));
            assert_eq!(t.envelope(), (COMBINER_NAMED, vec![], vec![], vec![]));
            assert_eq!(t.elements(p.size()), Some(1));
        }
        assert_eq!(Prim::from_handle(0x4c000809), Some(Prim::LongLong)); // MPI_LONG_LONG
        assert_eq!(Prim::CFloatComplex.name(), "MPI_C_COMPLEX");
        assert_eq!(Prim::Wchar.size(), 4);
        assert_eq!(Prim::from_handle(0x0c000000), None);
        assert_eq!(TypeMap::predefined(0x4c000010).map(|t| t.size), Some(0)); // MPI_LB
        assert_eq!(predefined_name(0x4c000011), Some("MPI_UB"));
        assert_eq!(predefined_name(0x4c000123), None);
    }

    #[test]
    fn pair_types_are_padded_structs_like_mpich() {
        // (pair, size, extent, true_extent) from MPICH.
        let expect = [
            (Pair::FloatInt, 8, 8, 8),
            (Pair::DoubleInt, 12, 16, 12),
            (Pair::LongInt, 12, 16, 12),
            (Pair::ShortInt, 6, 8, 8),
            (Pair::TwoInt, 8, 8, 8),
            (Pair::LongDoubleInt, 20, 32, 20),
            (Pair::TwoInteger, 8, 8, 8),
            (Pair::TwoReal, 8, 8, 8),
            (Pair::TwoDoublePrecision, 16, 16, 16),
        ];
        for (pair, size, extent, true_extent) in expect {
            let t = pre(pair.handle());
            assert_eq!(
                bounds(&t),
                (size, 0, extent, 0, true_extent),
                "{}",
                pair.name()
            );
            assert_eq!(Pair::from_handle(pair.handle()), Some(pair));
            assert_eq!(predefined_name(pair.handle()), Some(pair.name()));
            assert_eq!((t.pair(), t.prim_run()), (Some(pair), None));
            assert!(t.is_named());
            assert_eq!(t.elements(size), Some(2));
        }
        let t = pre(Pair::ShortInt.handle());
        assert_eq!(
            t.blocks(),
            &[Block { disp: 0, len: 2 }, Block { disp: 4, len: 4 }]
        );
        // A vector of pairs is still made of that pair type.
        let v = TypeMap::contiguous(3, &pre(Pair::DoubleInt.handle()), 0);
        assert_eq!(v.pair(), Some(Pair::DoubleInt));
        assert_eq!(bounds(&v), (36, 0, 48, 0, 44));
    }

    #[test]
    fn struct_extent_is_padded_to_the_most_aligned_member_as_mpich() {
        let c = pre(CHAR);
        let d = pre(DOUBLE);
        let t = |h: i32| pre(h);
        let cases: Vec<(TypeMap, Bounds)> = vec![
            (strukt(&[1, 1], &[0, 8], &[&c, &d]), (9, 0, 16, 0, 16)),
            (strukt(&[1, 1], &[0, 8], &[&d, &c]), (9, 0, 16, 0, 9)),
            (
                strukt(&[1, 1], &[0, 8], &[&c, &t(0x4c001041)]),
                (17, 0, 24, 0, 24),
            ),
            (
                strukt(&[1, 1], &[0, 4], &[&c, &t(0x4c000840)]),
                (9, 0, 12, 0, 12),
            ),
            (
                strukt(&[1, 1], &[0, 16], &[&t(0x4c00100c), &c]),
                (17, 0, 32, 0, 17),
            ),
            (
                strukt(&[1, 1], &[0, 8], &[&c, &t(Pair::DoubleInt.handle())]),
                (13, 0, 24, 0, 20),
            ),
            (
                strukt(&[1, 1], &[0, 4], &[&c, &t(0x4c000816)]),
                (9, 0, 12, 0, 12),
            ),
            (
                strukt(&[1, 1], &[0, 8], &[&c, &t(0x4c001022)]),
                (17, 0, 24, 0, 24),
            ),
            (
                strukt(&[1, 1], &[0, 2], &[&c, &t(0x4c000203)]),
                (3, 0, 4, 0, 4),
            ),
            (
                strukt(&[3, 1], &[0, 4], &[&c, &t(0x4c000203)]),
                (5, 0, 6, 0, 6),
            ),
            (strukt(&[1, 1], &[-8, 1], &[&d, &c]), (9, -8, 16, -8, 10)),
            (
                strukt(
                    &[1, 1],
                    &[0, 3],
                    &[&TypeMap::contiguous(3, &c, CHAR), &int()],
                ),
                (7, 0, 8, 0, 7),
            ),
            (
                strukt(
                    &[1, 1],
                    &[0, 12],
                    &[&TypeMap::resized(&d, 0, 12, DOUBLE), &c],
                ),
                (9, 0, 16, 0, 13),
            ),
            (
                strukt(
                    &[1, 1],
                    &[0, 20],
                    &[&c, &TypeMap::vector(2, 1, 3, &int(), INT)],
                ),
                (9, 0, 36, 0, 36),
            ),
            (strukt(&[0], &[8], &[&int()]), (0, 0, 0, 0, 0)),
            (strukt(&[0, 1], &[-8, 4], &[&d, &int()]), (4, 4, 4, 4, 4)),
            (strukt(&[], &[], &[]), (0, 0, 0, 0, 0)),
            (TypeMap::contiguous(0, &int(), INT), (0, 0, 0, 0, 0)),
        ];
        for (i, (t, want)) in cases.iter().enumerate() {
            assert_eq!(bounds(t), *want, "case {i}");
            roundtrip(t, 3);
        }
        assert_eq!(cases[0].0.prim_run(), None);
    }

    #[test]
    fn vectors_and_indexed_pack_in_type_map_order_as_mpich() {
        let i = int();
        // (type, count, MPICH bounds, MPICH packed ints)
        let cases: Vec<(TypeMap, usize, Bounds, Vec<i32>)> = vec![
            (
                TypeMap::vector(3, 2, 4, &i, INT),
                2,
                (24, 0, 40, 0, 40),
                vec![0, 1, 4, 5, 8, 9, 10, 11, 14, 15, 18, 19],
            ),
            (
                TypeMap::vector(3, 2, -4, &i, INT),
                2,
                (24, -32, 40, -32, 40),
                vec![0, 1, -4, -3, -8, -7, 10, 11, 6, 7, 2, 3],
            ),
            (
                TypeMap::vector(3, 2, 1, &i, INT),
                1,
                (24, 0, 16, 0, 16),
                vec![0, 1, 1, 2, 2, 3],
            ),
            (
                TypeMap::hvector(3, 1, -12, &i, INT),
                2,
                (12, -24, 28, -24, 28),
                vec![0, -3, -6, 7, 4, 1],
            ),
            (
                TypeMap::indexed(&[2, 0, 1], &[3, -50, -2], &i, INT),
                2,
                (12, -8, 28, -8, 28),
                vec![3, 4, -2, 10, 11, 5],
            ),
            (
                TypeMap::indexed_block(2, &[5, -3, 0], &i, INT),
                1,
                (24, -12, 40, -12, 40),
                vec![5, 6, -3, -2, 0, 1],
            ),
            (
                TypeMap::hindexed_block(1, &[8, -4], &i, INT),
                1,
                (8, -4, 16, -4, 16),
                vec![2, -1],
            ),
            (
                TypeMap::hindexed(&[1, 2], &[12, -8], &i, INT),
                2,
                (12, -8, 24, -8, 24),
                vec![3, -2, -1, 9, 4, 5],
            ),
            (
                TypeMap::resized(&i, -4, 12, INT),
                2,
                (4, -4, 12, 0, 4),
                vec![0, 3],
            ),
            (
                TypeMap::contiguous(3, &TypeMap::resized(&i, -4, 12, INT), 0),
                1,
                (12, -4, 36, 0, 28),
                vec![0, 3, 6],
            ),
            (
                TypeMap::vector(2, 2, 3, &TypeMap::resized(&i, 8, 4, INT), 0),
                1,
                (16, 8, 20, 0, 20),
                vec![0, 1, 3, 4],
            ),
            (
                TypeMap::vector(2, 2, 3, &TypeMap::vector(2, 1, 2, &i, INT), 0),
                1,
                (32, 0, 60, 0, 60),
                vec![0, 2, 3, 5, 9, 11, 12, 14],
            ),
        ];
        for (k, (t, count, want, packed)) in cases.iter().enumerate() {
            assert_eq!(bounds(t), *want, "case {k}");
            assert_eq!(pack_ints(t, *count), *packed, "case {k}");
            assert_eq!(t.prim_run(), Some(Prim::Int));
            if k != 2 {
                // (case 2 overlaps itself: unpacking it is erroneous)
                roundtrip(t, *count);
            }
        }
    }

    #[test]
    fn subarrays_pack_as_mpich() {
        let i = int();
        let c = TypeMap::subarray(&[4, 5], &[2, 3], &[1, 1], ORDER_C, &i, INT).unwrap();
        assert_eq!(bounds(&c), (24, 0, 80, 24, 32));
        assert_eq!(
            pack_ints(&c, 2),
            [6, 7, 8, 11, 12, 13, 26, 27, 28, 31, 32, 33]
        );
        let f = TypeMap::subarray(&[4, 5], &[2, 3], &[1, 1], ORDER_FORTRAN, &i, INT).unwrap();
        assert_eq!(bounds(&f), (24, 0, 80, 20, 40));
        assert_eq!(pack_ints(&f, 1), [5, 6, 9, 10, 13, 14]);
        let c3 = TypeMap::subarray(&[3, 4, 5], &[2, 2, 2], &[1, 2, 3], ORDER_C, &i, INT).unwrap();
        assert_eq!(bounds(&c3), (32, 0, 240, 132, 108));
        assert_eq!(pack_ints(&c3, 1), [33, 34, 38, 39, 53, 54, 58, 59]);
        for t in [&c, &f, &c3] {
            roundtrip(t, 2);
        }
        assert_eq!(
            c.envelope(),
            (
                COMBINER_SUBARRAY,
                vec![2, 4, 5, 2, 3, 1, 1, ORDER_C],
                vec![],
                vec![INT]
            )
        );
        // Whole-array subarray is contiguous.
        let all = TypeMap::subarray(&[3, 4], &[3, 4], &[0, 0], ORDER_C, &i, INT).unwrap();
        assert!(all.is_contiguous());
        assert!(TypeMap::subarray(&[4], &[3], &[2], ORDER_C, &i, INT).is_err());
        assert!(TypeMap::subarray(&[4], &[5], &[0], ORDER_C, &i, INT).is_err());
        assert!(TypeMap::subarray(&[4], &[1], &[0], 7, &i, INT).is_err());
        assert!(TypeMap::subarray(&[4, 4], &[1], &[0], ORDER_C, &i, INT).is_err());
    }

    #[test]
    fn darrays_pack_as_mpich() {
        const B: i32 = DISTRIBUTE_BLOCK;
        const C: i32 = DISTRIBUTE_CYCLIC;
        const N: i32 = DISTRIBUTE_NONE;
        const D: i32 = DISTRIBUTE_DFLT_DARG;
        let i = int();
        // (size, gsizes, distribs, dargs, psizes, order, per rank: bounds, packed)
        type Rank = (Bounds, Vec<i32>);
        type Case = (
            usize,
            Vec<usize>,
            [i32; 2],
            [i32; 2],
            Vec<usize>,
            i32,
            Vec<Rank>,
        );
        let cases: Vec<Case> = vec![
            (
                4,
                vec![8, 6],
                [B, C],
                [D, 2],
                vec![2, 2],
                ORDER_C,
                vec![
                    (
                        (64, 0, 192, 0, 96),
                        vec![0, 1, 4, 5, 6, 7, 10, 11, 12, 13, 16, 17, 18, 19, 22, 23],
                    ),
                    ((32, 0, 192, 8, 80), vec![2, 3, 8, 9, 14, 15, 20, 21]),
                    (
                        (64, 0, 192, 96, 96),
                        vec![
                            24, 25, 28, 29, 30, 31, 34, 35, 36, 37, 40, 41, 42, 43, 46, 47,
                        ],
                    ),
                    ((32, 0, 192, 104, 80), vec![26, 27, 32, 33, 38, 39, 44, 45]),
                ],
            ),
            (
                6,
                vec![7, 5],
                [C, B],
                [D, D],
                vec![3, 2],
                ORDER_FORTRAN,
                vec![
                    ((36, 0, 140, 0, 84), vec![0, 3, 6, 7, 10, 13, 14, 17, 20]),
                    ((24, 0, 140, 84, 56), vec![21, 24, 27, 28, 31, 34]),
                    ((24, 0, 140, 4, 72), vec![1, 4, 8, 11, 15, 18]),
                    ((16, 0, 140, 88, 44), vec![22, 25, 29, 32]),
                    ((24, 0, 140, 8, 72), vec![2, 5, 9, 12, 16, 19]),
                    ((16, 0, 140, 92, 44), vec![23, 26, 30, 33]),
                ],
            ),
            (
                3,
                vec![5, 4],
                [N, B],
                [D, 2],
                vec![1, 3],
                ORDER_C,
                vec![
                    ((40, 0, 80, 0, 72), vec![0, 1, 4, 5, 8, 9, 12, 13, 16, 17]),
                    ((40, 0, 80, 8, 72), vec![2, 3, 6, 7, 10, 11, 14, 15, 18, 19]),
                    ((0, 0, 80, 0, 0), vec![]),
                ],
            ),
        ];
        for (size, g, dist, darg, p, order, ranks) in &cases {
            for (rank, (want, packed)) in ranks.iter().enumerate() {
                let t = TypeMap::darray(*size, rank, g, dist, darg, p, *order, &i, INT).unwrap();
                assert_eq!(bounds(&t), *want, "{g:?} rank {rank}");
                assert_eq!(pack_ints(&t, 1), *packed, "{g:?} rank {rank}");
                roundtrip(&t, 2);
            }
        }
        // One dimension, cyclic(3) over 2.
        for (rank, want, packed) in [
            (0, (24, 0, 40, 0, 36), vec![0, 1, 2, 6, 7, 8]),
            (1, (16, 0, 40, 12, 28), vec![3, 4, 5, 9]),
        ] {
            let t = TypeMap::darray(2, rank, &[10], &[C], &[3], &[2], ORDER_C, &i, INT).unwrap();
            assert_eq!((bounds(&t), pack_ints(&t, 1)), (want, packed));
            assert_eq!(
                t.envelope(),
                (
                    COMBINER_DARRAY,
                    vec![2, rank as i32, 1, 10, C, 3, 2, ORDER_C],
                    vec![],
                    vec![INT]
                )
            );
        }
        // Erroneous: grid of the wrong size, NONE over 2, blocks too small,
        // bad rank, bad distribution.
        let bad = [
            TypeMap::darray(3, 0, &[4], &[B], &[D], &[2], ORDER_C, &i, INT),
            TypeMap::darray(2, 0, &[4], &[N], &[D], &[2], ORDER_C, &i, INT),
            TypeMap::darray(2, 0, &[9], &[B], &[4], &[2], ORDER_C, &i, INT),
            TypeMap::darray(2, 2, &[4], &[B], &[D], &[2], ORDER_C, &i, INT),
            TypeMap::darray(2, 0, &[4], &[99], &[D], &[2], ORDER_C, &i, INT),
            TypeMap::darray(2, 0, &[4], &[C], &[0], &[2], ORDER_C, &i, INT),
        ];
        for (k, r) in bad.iter().enumerate() {
            assert!(r.is_err(), "bad case {k}");
        }
    }

    #[test]
    fn envelopes_record_the_constructor_arguments() {
        let i = int();
        let d = pre(DOUBLE);
        assert_eq!(
            TypeMap::dup(&i, INT).envelope(),
            (COMBINER_DUP, vec![], vec![], vec![INT])
        );
        assert_eq!(TypeMap::dup(&i, INT).prim_run(), Some(Prim::Int));
        assert_eq!(
            TypeMap::contiguous(5, &i, INT).envelope(),
            (COMBINER_CONTIGUOUS, vec![5], vec![], vec![INT])
        );
        assert_eq!(
            TypeMap::vector(3, 2, -4, &i, INT).envelope(),
            (COMBINER_VECTOR, vec![3, 2, -4], vec![], vec![INT])
        );
        assert_eq!(
            TypeMap::hvector(3, 2, -40, &i, INT).envelope(),
            (COMBINER_HVECTOR, vec![3, 2], vec![-40], vec![INT])
        );
        assert_eq!(
            TypeMap::indexed(&[2, 1], &[5, -3], &i, INT).envelope(),
            (COMBINER_INDEXED, vec![2, 2, 1, 5, -3], vec![], vec![INT])
        );
        assert_eq!(
            TypeMap::hindexed(&[2, 1], &[20, -12], &i, INT).envelope(),
            (COMBINER_HINDEXED, vec![2, 2, 1], vec![20, -12], vec![INT])
        );
        assert_eq!(
            TypeMap::indexed_block(4, &[1, 9, 3], &i, INT).envelope(),
            (
                COMBINER_INDEXED_BLOCK,
                vec![3, 4, 1, 9, 3],
                vec![],
                vec![INT]
            )
        );
        assert_eq!(
            TypeMap::hindexed_block(4, &[8, 64], &i, INT).envelope(),
            (COMBINER_HINDEXED_BLOCK, vec![2, 4], vec![8, 64], vec![INT])
        );
        assert_eq!(
            TypeMap::structure(&[1, 3], &[0, 8], &[&i, &d], &[INT, DOUBLE]).envelope(),
            (
                COMBINER_STRUCT,
                vec![2, 1, 3],
                vec![0, 8],
                vec![INT, DOUBLE]
            )
        );
        assert_eq!(
            TypeMap::resized(&i, -4, 16, INT).envelope(),
            (COMBINER_RESIZED, vec![], vec![-4, 16], vec![INT])
        );
        assert_eq!(
            TypeMap::resized(&i, -4, 16, INT).contents().combiner,
            COMBINER_RESIZED
        );
    }

    #[test]
    fn runs_and_blocks_merge_and_keep_type_map_order() {
        let i = int();
        let d = pre(DOUBLE);
        // {int at 0, double at 4, int at 12}: one block, three runs.
        let t = strukt(&[1, 1, 1], &[0, 4, 12], &[&i, &d, &i]);
        assert_eq!(t.blocks(), &[Block { disp: 0, len: 16 }]);
        assert_eq!(t.runs().len(), 3);
        assert!(t.is_contiguous());
        // Two ints placed downwards do not merge.
        let t = TypeMap::hindexed(&[1, 1], &[4, 0], &i, INT);
        assert_eq!(
            t.blocks(),
            &[Block { disp: 4, len: 4 }, Block { disp: 0, len: 4 }]
        );
        assert!(!t.is_contiguous());
        // Contiguous of contiguous: one run, one block.
        let t = TypeMap::contiguous(4, &TypeMap::contiguous(3, &i, INT), 0);
        assert_eq!(
            t.runs(),
            &[Run {
                disp: 0,
                prim: Prim::Int,
                count: 12
            }]
        );
        assert!(t.is_contiguous());
        // A resized type with a hole is not contiguous even if size == extent.
        let h = TypeMap::hindexed(&[1, 1], &[0, 8], &i, INT);
        let r = TypeMap::resized(&h, 0, 8, 0);
        assert_eq!((r.size, r.extent), (8, 8));
        assert!(!r.is_contiguous());
        roundtrip(&r, 3);
        // resized(int, -4, 4): contiguous from byte 0 though lb is -4.
        let r = TypeMap::resized(&i, -4, 4, INT);
        assert!(r.is_contiguous());
        assert_eq!(pack_ints(&r, 3), [0, 1, 2]);
    }

    #[test]
    fn unpack_accepts_partial_data_in_type_map_order() {
        let i = int();
        let t = TypeMap::vector(2, 2, -3, &i, INT); // ints 0,1 then -3,-2
        let data: Vec<u8> = [10i32, 11, 12, 0x0102_0304, 14, 15]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let mut buf = [0i32; 16];
        let base = buf.as_mut_ptr().wrapping_add(8) as *mut u8;
        // 14 bytes: three ints and half of the fourth, of element 0.
        // SAFETY: the type spans ints -3..2 of `base`, inside `buf`.
        let n = unsafe { t.unpack(&data[..14], base, 2) };
        assert_eq!(n, 14);
        // (the low two bytes of 0x01020304 landed, little-endian)
        assert_eq!(&buf[5..10], &[12, 0x0304, 0, 10, 11]);
        // More data than count elements: only count elements are consumed.
        let mut buf = [0i32; 16];
        let base = buf.as_mut_ptr().wrapping_add(8) as *mut u8;
        // SAFETY: as above, one element.
        let n = unsafe { t.unpack(&data, base, 1) };
        assert_eq!(n, 16);
        assert_eq!(&buf[5..10], &[12, 0x0102_0304, 0, 10, 11]);
        // Contiguous fast path, partial.
        let c = TypeMap::contiguous(4, &i, INT);
        let mut buf = [0i32; 4];
        // SAFETY: `buf` holds one element of c.
        let n = unsafe { c.unpack(&data[..9], buf.as_mut_ptr() as *mut u8, 1) };
        assert_eq!((n, buf[0], buf[1]), (9, 10, 11));
    }

    #[test]
    fn elements_counts_basic_values_and_rejects_partial_ones() {
        let t = strukt(&[1, 1], &[0, 4], &[&int(), &pre(DOUBLE)]);
        assert_eq!(t.size, 12);
        // MPICH gives 0,1,1,2,3,3,4 (it rounds down the partial double).
        let got: Vec<_> = [0, 4, 6, 12, 16, 20, 24]
            .iter()
            .map(|&b| t.elements(b))
            .collect();
        assert_eq!(
            got,
            [Some(0), Some(1), None, Some(2), Some(3), None, Some(4)]
        );
        let v = TypeMap::vector(3, 2, 4, &int(), INT);
        assert_eq!(v.elements(24 * 2 + 8), Some(14));
        assert_eq!(v.elements(3), None);
        let e = TypeMap::contiguous(0, &int(), INT);
        assert_eq!((e.elements(0), e.elements(4)), (Some(0), None));
        let c = TypeMap::contiguous(2, &pre(0x4c001041), 0); // C_DOUBLE_COMPLEX
        assert_eq!((c.elements(32), c.elements(8)), (Some(2), None));
    }

    fn ext32(t: &TypeMap, native: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        assert_eq!(native.len() % t.extent as usize, 0);
        let count = native.len() / t.extent as usize;
        // SAFETY: `native` holds `count` elements of a type with lb 0.
        unsafe { t.pack_external32(native.as_ptr(), count, &mut out) };
        assert_eq!(out.len(), t.external32_size() * count);
        let mut back = vec![0u8; native.len()];
        // SAFETY: as above, writable.
        let n = unsafe { t.unpack_external32(&out, back.as_mut_ptr(), count) };
        assert_eq!(n, out.len());
        // Every data byte comes back (padding is not in external32).
        for i in 0..count {
            for b in t.blocks() {
                let at = i * t.extent as usize + b.disp as usize;
                assert_eq!(back[at..at + b.len], native[at..at + b.len]);
            }
        }
        out
    }

    #[test]
    fn external32_is_big_endian_with_binary128_long_double() {
        assert_eq!(ext32(&int(), &7i32.to_ne_bytes()), [0, 0, 0, 7]);
        assert_eq!(
            ext32(&pre(DOUBLE), &1.0f64.to_ne_bytes()),
            [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]
        );
        // LONG and UNSIGNED_LONG are 4 bytes in external32 (sign- and
        // zero-extended back), WCHAR 2, as in the standard's table and MPICH.
        assert_eq!(
            ext32(&pre(0x4c000807), &(-2i64).to_ne_bytes()),
            (-2i32).to_be_bytes()
        );
        assert_eq!(
            ext32(&pre(0x4c000808), &0xfffe_fffeu64.to_ne_bytes()),
            [0xff, 0xfe, 0xff, 0xfe]
        );
        assert_eq!(ext32(&pre(CHAR), b"a"), b"a");
        assert_eq!(ext32(&pre(0x4c00013f), &[1]), [1]); // C_BOOL
        assert_eq!(
            ext32(&pre(0x4c00040e), &0x263au32.to_ne_bytes()),
            [0x26, 0x3a]
        );
        // long double 1.5: x87 exponent 0x3fff, mantissa 0xc000...; binary128
        // 1.5 is 0x3fff8000...
        let mut ld = [0u8; 16];
        ld[..8].copy_from_slice(&0xc000_0000_0000_0000u64.to_le_bytes());
        ld[8..10].copy_from_slice(&0x3fffu16.to_le_bytes());
        let mut q = vec![0x3f, 0xff, 0x80];
        q.resize(16, 0);
        assert_eq!(ext32(&pre(0x4c00100c), &ld), q);
        // 1 + 2^-63, exact in both.
        ld[..8].copy_from_slice(&0x8000_0000_0000_0001u64.to_le_bytes());
        let e = ext32(&pre(0x4c00100c), &ld);
        assert_eq!(
            u128::from_be_bytes(e.try_into().unwrap()),
            (0x3fffu128 << 112) | (1 << 49)
        );
        // C_DOUBLE_COMPLEX 1 + 2i: each part big-endian.
        let z: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let want: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(ext32(&pre(0x4c001041), &z), want);
        // DOUBLE_INT: 12 bytes each, no padding.
        let mut di = [0u8; 32];
        di[..8].copy_from_slice(&2.0f64.to_ne_bytes());
        di[8..12].copy_from_slice(&5i32.to_ne_bytes());
        di[16..24].copy_from_slice(&(-1.0f64).to_ne_bytes());
        di[24..28].copy_from_slice(&6i32.to_ne_bytes());
        let e = ext32(&pre(Pair::DoubleInt.handle()), &di);
        assert_eq!(e.len(), 24);
        assert_eq!(&e[..12], &[0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
        // A short buffer stops at the last whole value.
        let t = TypeMap::contiguous(3, &int(), INT);
        let mut buf = [0i32; 3];
        // SAFETY: `buf` is one element of t.
        let n = unsafe {
            t.unpack_external32(&[0, 0, 0, 1, 0, 0, 0, 2, 9], buf.as_mut_ptr() as *mut u8, 1)
        };
        assert_eq!((n, buf), (8, [1, 2, 0]));
    }

    #[test]
    fn match_size_gives_mpichs_fortran_sized_types() {
        assert_eq!(match_size(TYPECLASS_REAL, 4), Some(0x4c000427));
        assert_eq!(match_size(TYPECLASS_REAL, 8), Some(0x4c000829));
        assert_eq!(match_size(TYPECLASS_REAL, 16), Some(0x4c00102b));
        assert_eq!(match_size(TYPECLASS_REAL, 2), None);
        assert_eq!(match_size(TYPECLASS_INTEGER, 1), Some(0x4c00012d));
        assert_eq!(match_size(TYPECLASS_INTEGER, 8), Some(0x4c000831));
        assert_eq!(match_size(TYPECLASS_INTEGER, 16), None);
        assert_eq!(match_size(TYPECLASS_COMPLEX, 8), Some(0x4c000828));
        assert_eq!(match_size(TYPECLASS_COMPLEX, 32), Some(0x4c00202c));
        assert_eq!(match_size(TYPECLASS_COMPLEX, 4), None);
        assert_eq!(match_size(9, 4), None);
    }
}
