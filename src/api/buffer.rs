//! Typed buffers: any [`bytemuck::Pod`] value or slice can be sent and
//! received without a copy; the engine sees its bytes. Pass a vector as
//! `&v[..]` (or `&mut v[..]`).

use bytemuck::Pod;

/// Something whose bytes can be sent: a `Pod` scalar, array or slice.
pub trait Buffer {
    /// The bytes of the buffer.
    fn as_bytes(&self) -> &[u8];
}

/// Something whose bytes can be received into.
pub trait BufferMut: Buffer {
    /// The bytes of the buffer, writable.
    fn as_bytes_mut(&mut self) -> &mut [u8];
}

impl<T: Pod> Buffer for T {
    fn as_bytes(&self) -> &[u8] {
        bytemuck::bytes_of(self)
    }
}
impl<T: Pod> BufferMut for T {
    fn as_bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::bytes_of_mut(self)
    }
}
impl<T: Pod> Buffer for [T] {
    fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(self)
    }
}
impl<T: Pod> BufferMut for [T] {
    fn as_bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::cast_slice_mut(self)
    }
}
