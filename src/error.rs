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
    /// Invalid group.
    Group = 8,
    /// Invalid operation.
    Op = 9,
    /// Invalid topology.
    Topology = 10,
    /// Invalid dimension argument.
    Dims = 11,
    /// Invalid argument of some other kind.
    Arg = 12,
    /// Unknown error.
    Unknown = 13,
    /// Message truncated on receive.
    Truncate = 14,
    /// Other error.
    Other = 15,
    /// Internal error in the implementation.
    Intern = 16,
    /// Error code is in the status.
    InStatus = 17,
    /// Pending request.
    Pending = 18,
    /// Invalid request.
    Request = 19,
    /// Invalid info object.
    Info = 28,
    /// Invalid info key.
    InfoKey = 29,
    /// Invalid info value.
    InfoValue = 30,
    /// Key not in the info object.
    InfoNokey = 31,
    /// Invalid service name.
    Name = 33,
    /// Out of memory (MPI_Alloc_mem).
    NoMem = 34,
    /// Collective arguments not the same on all ranks.
    NotSame = 35,
    /// Operation not supported by shmpi.
    UnsupportedOperation = 44,
    /// Invalid keyval.
    Keyval = 48,
    /// Invalid size argument.
    Size = 51,
    /// A value is too large to be stored in an argument.
    ValueTooLarge = 77,
}

impl ErrorClass {
    /// The class of MPI error class number `code`, if shmpi knows it.
    pub fn from_code(code: i32) -> Option<ErrorClass> {
        ALL_CLASSES.iter().copied().find(|c| *c as i32 == code)
    }

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
            ErrorClass::Group => "MPI_ERR_GROUP",
            ErrorClass::Op => "MPI_ERR_OP",
            ErrorClass::Topology => "MPI_ERR_TOPOLOGY",
            ErrorClass::Dims => "MPI_ERR_DIMS",
            ErrorClass::Arg => "MPI_ERR_ARG",
            ErrorClass::Unknown => "MPI_ERR_UNKNOWN",
            ErrorClass::Truncate => "MPI_ERR_TRUNCATE",
            ErrorClass::Other => "MPI_ERR_OTHER",
            ErrorClass::Intern => "MPI_ERR_INTERN",
            ErrorClass::InStatus => "MPI_ERR_IN_STATUS",
            ErrorClass::Pending => "MPI_ERR_PENDING",
            ErrorClass::Request => "MPI_ERR_REQUEST",
            ErrorClass::Info => "MPI_ERR_INFO",
            ErrorClass::InfoKey => "MPI_ERR_INFO_KEY",
            ErrorClass::InfoValue => "MPI_ERR_INFO_VALUE",
            ErrorClass::InfoNokey => "MPI_ERR_INFO_NOKEY",
            ErrorClass::Name => "MPI_ERR_NAME",
            ErrorClass::NoMem => "MPI_ERR_NO_MEM",
            ErrorClass::NotSame => "MPI_ERR_NOT_SAME",
            ErrorClass::UnsupportedOperation => "MPI_ERR_UNSUPPORTED_OPERATION",
            ErrorClass::Keyval => "MPI_ERR_KEYVAL",
            ErrorClass::Size => "MPI_ERR_SIZE",
            ErrorClass::ValueTooLarge => "MPI_ERR_VALUE_TOO_LARGE",
        }
    }
}

/// Every class shmpi knows, in number order.
pub const ALL_CLASSES: &[ErrorClass] = &[
    ErrorClass::Buffer,
    ErrorClass::Count,
    ErrorClass::Type,
    ErrorClass::Tag,
    ErrorClass::Comm,
    ErrorClass::Rank,
    ErrorClass::Root,
    ErrorClass::Group,
    ErrorClass::Op,
    ErrorClass::Topology,
    ErrorClass::Dims,
    ErrorClass::Arg,
    ErrorClass::Unknown,
    ErrorClass::Truncate,
    ErrorClass::Other,
    ErrorClass::Intern,
    ErrorClass::InStatus,
    ErrorClass::Pending,
    ErrorClass::Request,
    ErrorClass::Info,
    ErrorClass::InfoKey,
    ErrorClass::InfoValue,
    ErrorClass::InfoNokey,
    ErrorClass::Name,
    ErrorClass::NoMem,
    ErrorClass::NotSame,
    ErrorClass::UnsupportedOperation,
    ErrorClass::Keyval,
    ErrorClass::Size,
    ErrorClass::ValueTooLarge,
];

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

/// Writes `line` and a newline to stderr in one write, so that the lines
/// of ranks failing at the same moment never mix (`eprintln!` writes each
/// formatted piece separately on the unbuffered stderr).
pub(crate) fn say(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}
