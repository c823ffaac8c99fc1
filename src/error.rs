//! The one error type of shmpi: an MPI error class and a message that names
//! the call and the values involved.

use std::fmt;

/// MPI error classes shmpi reports (numbers as in MPICH's `mpi.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorClass {
    /// Invalid buffer pointer.
    Buffer = 1,
    /// Invalid count argument.
    Count = 2,
    /// Invalid datatype argument.
    Type = 3,
    /// Invalid tag argument.
    Tag = 4,
    /// Invalid communicator.
    Comm = 5,
    /// Invalid rank.
    Rank = 6,
    /// Invalid root.
    Root = 7,
    /// Invalid operation.
    Op = 9,
    /// Invalid argument of some other kind.
    Arg = 12,
    /// Message truncated on receive.
    Truncate = 14,
    /// Other error.
    Other = 15,
    /// Internal error in the implementation.
    Intern = 16,
    /// Operation not supported by shmpi.
    UnsupportedOperation = 52,
}

impl ErrorClass {
    /// The class's name in the MPI standard, e.g. `MPI_ERR_RANK`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Buffer => "MPI_ERR_BUFFER",
            ErrorClass::Count => "MPI_ERR_COUNT",
            ErrorClass::Type => "MPI_ERR_TYPE",
            ErrorClass::Tag => "MPI_ERR_TAG",
            ErrorClass::Comm => "MPI_ERR_COMM",
            ErrorClass::Rank => "MPI_ERR_RANK",
            ErrorClass::Root => "MPI_ERR_ROOT",
            ErrorClass::Op => "MPI_ERR_OP",
            ErrorClass::Arg => "MPI_ERR_ARG",
            ErrorClass::Truncate => "MPI_ERR_TRUNCATE",
            ErrorClass::Other => "MPI_ERR_OTHER",
            ErrorClass::Intern => "MPI_ERR_INTERN",
            ErrorClass::UnsupportedOperation => "MPI_ERR_UNSUPPORTED_OPERATION",
        }
    }
}

/// An MPI error: its class and a message naming the call and the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The MPI error class.
    pub class: ErrorClass,
    /// What went wrong, starting with the name of the call.
    pub message: String,
}

impl Error {
    /// An error of `class` with `message`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Error {
        Error {
            class,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// The result type of every fallible shmpi call.
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for an [`Error`] of a class with a formatted message.
macro_rules! mpi_error {
    ($class:ident, $($arg:tt)*) => {
        $crate::error::Error::new($crate::error::ErrorClass::$class, format!($($arg)*))
    };
}
/// Shorthand for an `Err` of a class with a formatted message.
macro_rules! mpi_err {
    ($class:ident, $($arg:tt)*) => {
        Err($crate::error::mpi_error!($class, $($arg)*))
    };
}
pub(crate) use {mpi_err, mpi_error};
