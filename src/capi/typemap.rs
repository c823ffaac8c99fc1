//! Datatypes as type maps: what a datatype handle describes, and how a
//! buffer of `count` elements of it is packed into contiguous bytes and
//! unpacked again. Pure data, no handles or global state: the C interface
//! keeps one [`TypeMap`] per datatype handle.
//!
//! (Interface skeleton: the constructors and pack/unpack of derived types
//! are being filled in.)

/// A predefined (basic) MPI type, as the MPICH ABI numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prim {
    /// C `char` and the other one-byte types.
    Char,
    /// `signed char`.
    SignedChar,
    /// `unsigned char`.
    UnsignedChar,
    /// MPI_BYTE.
    Byte,
    /// MPI_PACKED.
    Packed,
    /// `short`.
    Short,
    /// `unsigned short`.
    UnsignedShort,
    /// `int`.
    Int,
    /// `unsigned`.
    Unsigned,
    /// `long`.
    Long,
    /// `unsigned long`.
    UnsignedLong,
    /// `long long`.
    LongLong,
    /// `unsigned long long`.
    UnsignedLongLong,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `long double` (x86-64: 80-bit in 16 bytes).
    LongDouble,
}

/// A datatype: its type map, flattened to byte blocks, and how it was made.
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
    /// The basic type, when the type map is a run of one basic type.
    pub prim: Option<Prim>,
}

impl TypeMap {
    /// The type map of a predefined datatype handle (MPICH ABI value).
    pub fn predefined(handle: i32) -> Option<TypeMap> {
        let (prim, size) = match handle as u32 {
            0x4c000101 => (Prim::Char, 1),
            0x4c000118 => (Prim::SignedChar, 1),
            0x4c000102 => (Prim::UnsignedChar, 1),
            0x4c00010d => (Prim::Byte, 1),
            0x4c00010f => (Prim::Packed, 1),
            0x4c000203 => (Prim::Short, 2),
            0x4c000204 => (Prim::UnsignedShort, 2),
            0x4c000405 => (Prim::Int, 4),
            0x4c000406 => (Prim::Unsigned, 4),
            0x4c000807 => (Prim::Long, 8),
            0x4c000808 => (Prim::UnsignedLong, 8),
            0x4c000809 => (Prim::LongLong, 8),
            0x4c000819 => (Prim::UnsignedLongLong, 8),
            0x4c00040a => (Prim::Float, 4),
            0x4c00080b => (Prim::Double, 8),
            0x4c00100c => (Prim::LongDouble, 16),
            _ => return None,
        };
        Some(TypeMap {
            size,
            lb: 0,
            extent: size as isize,
            true_lb: 0,
            true_extent: size as isize,
            prim: Some(prim),
        })
    }

    /// Whether `count` elements occupy `count * size` contiguous bytes
    /// starting at the buffer address + `true_lb`, so that no packing is needed.
    pub fn is_contiguous(&self) -> bool {
        self.size as isize == self.extent && self.true_lb == self.lb
    }

    /// Appends the data of `count` elements at `buf` to `out`.
    ///
    /// # Safety
    /// `buf` must be valid for reads over the type map of `count` elements.
    pub unsafe fn pack(&self, buf: *const u8, count: usize, out: &mut Vec<u8>) {
        let len = self.size * count;
        // SAFETY: contiguous (the only kind so far): `len` bytes from true_lb.
        let src = unsafe { std::slice::from_raw_parts(buf.offset(self.true_lb), len) };
        out.extend_from_slice(src);
    }

    /// Writes `data` (whole or partial elements, as packed) into the
    /// buffer `buf` of `count` elements; returns the bytes consumed.
    ///
    /// # Safety
    /// `buf` must be valid for writes over the type map of `count` elements.
    pub unsafe fn unpack(&self, data: &[u8], buf: *mut u8, count: usize) -> usize {
        let len = data.len().min(self.size * count);
        // SAFETY: contiguous: `len` bytes from true_lb fit the buffer.
        let dst = unsafe { std::slice::from_raw_parts_mut(buf.offset(self.true_lb), len) };
        dst.copy_from_slice(&data[..len]);
        len
    }
}
