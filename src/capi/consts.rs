//! MPICH's ABI values that the Rust side of the C library uses. The header
//! `include/mpi.h` states the same values for C; `tests/abi.rs` checks the
//! header against MPICH's, and the C tests check these through behaviour.
#![allow(missing_docs)]

use std::os::raw::c_int;

pub const MPI_SUCCESS: c_int = 0;

pub const MPI_COMM_NULL: c_int = 0x0400_0000;
pub const MPI_COMM_WORLD: c_int = 0x4400_0000;
pub const MPI_COMM_SELF: c_int = 0x4400_0001;
pub const MPI_GROUP_NULL: c_int = 0x0800_0000;
pub const MPI_GROUP_EMPTY: c_int = 0x4800_0000;
pub const MPI_DATATYPE_NULL: c_int = 0x0c00_0000;
pub const MPI_OP_NULL: c_int = 0x1800_0000;
pub const MPI_ERRHANDLER_NULL: c_int = 0x1400_0000;
pub const MPI_ERRORS_ARE_FATAL: c_int = 0x5400_0000;
pub const MPI_ERRORS_RETURN: c_int = 0x5400_0001;
pub const MPI_ERRORS_ABORT: c_int = 0x5400_0003;
pub const MPI_INFO_NULL: c_int = 0x1c00_0000;
pub const MPI_INFO_ENV: c_int = 0x5c00_0001;
pub const MPI_REQUEST_NULL: c_int = 0x2c00_0000;
pub const MPI_MESSAGE_NULL: c_int = 0x2c00_0000;
pub const MPI_MESSAGE_NO_PROC: c_int = 0x6c00_0000;
pub const MPI_WIN_NULL: c_int = 0x2000_0000;
pub const MPI_KEYVAL_INVALID: c_int = 0x2400_0000;

pub const MPI_BYTE: c_int = 0x4c00_010d;
pub const MPI_PACKED: c_int = 0x4c00_010f;
pub const MPI_INT: c_int = 0x4c00_0405;

pub const MPI_UNDEFINED: c_int = -32766;
pub const MPI_PROC_NULL: c_int = -1;
pub const MPI_ANY_SOURCE: c_int = -2;
pub const MPI_ROOT: c_int = -3;
pub const MPI_ANY_TAG: c_int = -1;
pub const MPI_TAG_UB_VALUE: c_int = i32::MAX;

pub const MPI_IDENT: c_int = 0;
pub const MPI_CONGRUENT: c_int = 1;
pub const MPI_SIMILAR: c_int = 2;
pub const MPI_UNEQUAL: c_int = 3;

pub const MPI_THREAD_SINGLE: c_int = 0;
pub const MPI_THREAD_FUNNELED: c_int = 1;
pub const MPI_THREAD_SERIALIZED: c_int = 2;
pub const MPI_THREAD_MULTIPLE: c_int = 3;

pub const MPI_TAG_UB: c_int = 0x6440_0001;
pub const MPI_HOST: c_int = 0x6440_0003;
pub const MPI_IO: c_int = 0x6440_0005;
pub const MPI_WTIME_IS_GLOBAL: c_int = 0x6440_0007;
pub const MPI_UNIVERSE_SIZE: c_int = 0x6440_0009;
pub const MPI_LASTUSEDCODE: c_int = 0x6440_000b;
pub const MPI_APPNUM: c_int = 0x6440_000d;

pub const MPI_MAX_PROCESSOR_NAME: usize = 128;
pub const MPI_MAX_LIBRARY_VERSION_STRING: usize = 8192;
pub const MPI_MAX_ERROR_STRING: usize = 512;
pub const MPI_MAX_OBJECT_NAME: usize = 128;
pub const MPI_MAX_INFO_KEY: usize = 255;
pub const MPI_MAX_INFO_VAL: usize = 1024;
pub const MPI_BSEND_OVERHEAD: usize = 96;
pub const MPI_COMM_TYPE_SHARED: c_int = 1;
pub const MPI_ERR_LASTCODE: c_int = 0x3fff_ffff;

pub const MPI_VERSION: c_int = 4;
pub const MPI_SUBVERSION: c_int = 0;

/// `MPI_BOTTOM`: address zero.
pub const MPI_BOTTOM: usize = 0;
/// `MPI_IN_PLACE`: `(void *)-1`.
pub const MPI_IN_PLACE: usize = usize::MAX;
/// `MPI_STATUS_IGNORE` and `MPI_STATUSES_IGNORE`: `(MPI_Status *)1`.
pub const MPI_STATUS_IGNORE: usize = 1;

/// MPICH's `MPI_Status`: the count in bytes split in two, the cancelled
/// flag in the lowest bit of the high word.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(non_snake_case)]
pub struct MPI_Status {
    pub count_lo: c_int,
    pub count_hi_and_cancelled: c_int,
    pub MPI_SOURCE: c_int,
    pub MPI_TAG: c_int,
    pub MPI_ERROR: c_int,
}

impl MPI_Status {
    /// Bytes received.
    pub fn bytes(&self) -> u64 {
        (self.count_lo as u32 as u64) | ((self.count_hi_and_cancelled as u32 as u64) >> 1) << 32
    }

    /// Sets the bytes received, keeping the cancelled flag.
    pub fn set_bytes(&mut self, n: u64) {
        self.count_lo = n as u32 as c_int;
        let cancelled = self.count_hi_and_cancelled & 1;
        self.count_hi_and_cancelled = (((n >> 32) as u32) << 1) as c_int | cancelled;
    }

    /// Whether the request was cancelled.
    pub fn cancelled(&self) -> bool {
        self.count_hi_and_cancelled & 1 != 0
    }

    /// Sets the cancelled flag.
    pub fn set_cancelled(&mut self, c: bool) {
        self.count_hi_and_cancelled = (self.count_hi_and_cancelled & !1) | c as c_int;
    }
}
