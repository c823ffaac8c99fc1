//! Error handling: error codes, classes and strings, error handlers, and
//! [`call`], the wrapper every entry point runs its body in.
//!
//! An error is raised on an object, a communicator. Errors tied to no
//! object (and to an invalid communicator handle) are raised with
//! [`NO_OBJECT`]: they go to MPI_COMM_SELF's handler when the program has
//! set one (MPI-4 names MPI_COMM_SELF), and otherwise to MPI_COMM_WORLD's,
//! as in MPICH 4.0 and MPI-3, so that the usual
//! `MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)` makes
//! every call return its errors. Its handler decides:
//! MPI_ERRORS_ARE_FATAL (the default) and MPI_ERRORS_ABORT print one line
//! naming the rank, the call and the problem, and end the job;
//! MPI_ERRORS_RETURN returns the code; a user handler is called with the
//! handle and the code, then the code is returned.
//!
//! The returned code carries the message: the low 8 bits are the class,
//! the higher bits index the message in a ring of recent messages, so
//! that MPI_Error_string can say exactly what went wrong (MPICH does the
//! same). Codes and classes added with MPI_Add_error_class/code live in
//! the same code space, above the ring.

use std::os::raw::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::consts::*;
use super::handle::{Kind, Table};
use super::request::reap_detached;
use super::state::{with, Phase};
use crate::error::{say, Error, ErrorClass, Result};

/// Messages kept for MPI_Error_string.
const RING: usize = 4096;
/// First class number MPI_Add_error_class hands out.
const FIRST_USER_CLASS: c_int = 101;
/// First code index of MPI_Add_error_code (above the message ring).
const FIRST_USER_CODE: usize = RING + 1;

/// A C error handler: `void f(MPI_Comm *, int *, ...)` (and the same for
/// windows and files).
pub type HandlerFn = unsafe extern "C" fn(*mut c_int, *mut c_int, ...);

/// What an error handler object does.
#[derive(Clone, Copy, Debug)]
pub enum Handler {
    /// MPI_ERRORS_ARE_FATAL and MPI_ERRORS_ABORT.
    Fatal,
    /// MPI_ERRORS_RETURN.
    Return,
    /// A user function.
    User(HandlerFn),
}

/// Error handlers, user classes and codes, and recent messages.
pub struct Errors {
    /// User error handlers.
    pub handlers: Table<Handler>,
    messages: Vec<String>,
    next: usize,
    /// Strings of user classes, by class - FIRST_USER_CLASS.
    user_classes: Vec<String>,
    /// User codes: (class, string), by index - FIRST_USER_CODE.
    user_codes: Vec<(c_int, String)>,
}

impl Default for Errors {
    fn default() -> Errors {
        Errors {
            handlers: Table::new(Kind::Errhandler),
            messages: Vec::new(),
            next: 0,
            user_classes: Vec::new(),
            user_codes: Vec::new(),
        }
    }
}

impl Errors {
    /// The handler of error handler handle `h`.
    pub fn handler(&self, h: c_int) -> Option<Handler> {
        match h {
            MPI_ERRORS_ARE_FATAL | MPI_ERRORS_ABORT => Some(Handler::Fatal),
            MPI_ERRORS_RETURN => Some(Handler::Return),
            _ => self.handlers.get(h).copied(),
        }
    }

    /// A code of class `class` whose string is `message`.
    fn code_for(&mut self, class: c_int, message: String) -> c_int {
        let slot = self.next % RING;
        self.next += 1;
        if self.messages.len() <= slot {
            self.messages.push(message);
        } else {
            self.messages[slot] = message;
        }
        (((slot + 1) << 8) as c_int) | class
    }

    /// The class of error code `code`, if it is one.
    pub fn class_of(&self, code: c_int) -> Option<c_int> {
        if code < 0 {
            return None;
        }
        let class = code & 0xff;
        let index = (code >> 8) as usize;
        let known_class = class_name(class).is_some()
            || class == MPI_SUCCESS
            || (FIRST_USER_CLASS..FIRST_USER_CLASS + self.user_classes.len() as c_int)
                .contains(&class);
        match index {
            0 if known_class => Some(class),
            1..=RING if known_class && index <= self.messages.len() => Some(class),
            i if i >= FIRST_USER_CODE && i - FIRST_USER_CODE < self.user_codes.len() => {
                Some(self.user_codes[i - FIRST_USER_CODE].0)
            }
            _ => None,
        }
    }

    /// The string of error code `code`.
    pub fn string_of(&self, code: c_int) -> Option<String> {
        let class = self.class_of(code)?;
        let index = (code >> 8) as usize;
        if (1..=RING).contains(&index) {
            return Some(self.messages[index - 1].clone());
        }
        if index >= FIRST_USER_CODE {
            return Some(self.user_codes[index - FIRST_USER_CODE].1.clone());
        }
        if class >= FIRST_USER_CLASS {
            return Some(self.user_classes[(class - FIRST_USER_CLASS) as usize].clone());
        }
        Some(class_string(class))
    }

    /// MPI_Add_error_class.
    pub fn add_class(&mut self) -> Result<c_int> {
        if FIRST_USER_CLASS + self.user_classes.len() as c_int > 0xff {
            return crate::error::mpi_err!(
                Other,
                "MPI_Add_error_class: all {} user error classes are in use",
                0xff - FIRST_USER_CLASS + 1
            );
        }
        self.user_classes.push(String::new());
        Ok(FIRST_USER_CLASS + self.user_classes.len() as c_int - 1)
    }

    /// MPI_Add_error_code.
    pub fn add_code(&mut self, class: c_int) -> Result<c_int> {
        if self.class_of(class) != Some(class) || (class >> 8) != 0 {
            return crate::error::mpi_err!(
                Arg,
                "MPI_Add_error_code: {class} is not an error class"
            );
        }
        self.user_codes.push((class, String::new()));
        Ok((((FIRST_USER_CODE + self.user_codes.len() - 1) << 8) as c_int) | class)
    }

    /// MPI_Add_error_string.
    pub fn set_string(&mut self, code: c_int, s: String) -> Result<()> {
        let index = (code >> 8) as usize;
        if index >= FIRST_USER_CODE && self.class_of(code).is_some() {
            self.user_codes[index - FIRST_USER_CODE].1 = s;
            return Ok(());
        }
        if index == 0 && code >= FIRST_USER_CLASS && self.class_of(code).is_some() {
            self.user_classes[(code - FIRST_USER_CLASS) as usize] = s;
            return Ok(());
        }
        crate::error::mpi_err!(
            Arg,
            "MPI_Add_error_string: {code} is not an error class or code added by MPI_Add_error_class/code"
        )
    }

    /// The largest code or class in use (the MPI_LASTUSEDCODE attribute).
    pub fn last_used(&self) -> c_int {
        let classes = FIRST_USER_CLASS + self.user_classes.len() as c_int - 1;
        let codes = (((FIRST_USER_CODE + self.user_codes.len()) << 8) as c_int) | 0xff;
        if self.user_codes.is_empty() {
            classes.max(MPICH_LAST_CLASS)
        } else {
            codes
        }
    }
}

/// The highest standard class number (MPI_ERR_VALUE_TOO_LARGE).
const MPICH_LAST_CLASS: c_int = 77;

/// The standard classes shmpi never raises itself (files, one-sided,
/// ports, spawning, the tool interface, sessions): their names and texts,
/// so that MPI_Error_class and MPI_Error_string know every class of
/// `mpi.h` (a program or a handler may pass any of them).
const OTHER_CLASSES: &[(c_int, &str, &str)] = &[
    (20, "MPI_ERR_ACCESS", "permission denied"),
    (21, "MPI_ERR_AMODE", "invalid file access mode"),
    (22, "MPI_ERR_BAD_FILE", "invalid file name"),
    (
        23,
        "MPI_ERR_CONVERSION",
        "error in a data conversion function",
    ),
    (
        24,
        "MPI_ERR_DUP_DATAREP",
        "data representation already defined",
    ),
    (25, "MPI_ERR_FILE_EXISTS", "file exists"),
    (26, "MPI_ERR_FILE_IN_USE", "file in use by some process"),
    (27, "MPI_ERR_FILE", "invalid file handle"),
    (32, "MPI_ERR_IO", "input/output error"),
    (36, "MPI_ERR_NO_SPACE", "not enough space"),
    (37, "MPI_ERR_NO_SUCH_FILE", "file does not exist"),
    (38, "MPI_ERR_PORT", "invalid port name"),
    (39, "MPI_ERR_QUOTA", "quota exceeded"),
    (40, "MPI_ERR_READ_ONLY", "read-only file or file system"),
    (41, "MPI_ERR_SERVICE", "invalid service name"),
    (42, "MPI_ERR_SPAWN", "error in spawning processes"),
    (
        43,
        "MPI_ERR_UNSUPPORTED_DATAREP",
        "unsupported data representation",
    ),
    (45, "MPI_ERR_WIN", "invalid window"),
    (46, "MPI_ERR_BASE", "invalid base address"),
    (47, "MPI_ERR_LOCKTYPE", "invalid lock type"),
    (
        49,
        "MPI_ERR_RMA_CONFLICT",
        "conflicting accesses to a window",
    ),
    (50, "MPI_ERR_RMA_SYNC", "wrong synchronization of RMA calls"),
    (52, "MPI_ERR_DISP", "invalid displacement"),
    (53, "MPI_ERR_ASSERT", "invalid assert argument"),
    (
        55,
        "MPI_ERR_RMA_RANGE",
        "target memory is not part of the window",
    ),
    (56, "MPI_ERR_RMA_ATTACH", "memory cannot be attached"),
    (57, "MPI_ERR_RMA_SHARED", "memory cannot be shared"),
    (58, "MPI_ERR_RMA_FLAVOR", "wrong window flavor"),
    (59, "MPI_T_ERR_MEMORY", "out of memory (tool interface)"),
    (
        60,
        "MPI_T_ERR_NOT_INITIALIZED",
        "the tool interface is not initialized",
    ),
    (
        61,
        "MPI_T_ERR_CANNOT_INIT",
        "the tool interface cannot be initialized",
    ),
    (
        62,
        "MPI_T_ERR_INVALID_INDEX",
        "invalid index (tool interface)",
    ),
    (
        63,
        "MPI_T_ERR_INVALID_ITEM",
        "invalid item (tool interface)",
    ),
    (
        64,
        "MPI_T_ERR_INVALID_HANDLE",
        "invalid handle (tool interface)",
    ),
    (
        65,
        "MPI_T_ERR_OUT_OF_HANDLES",
        "no more handles (tool interface)",
    ),
    (
        66,
        "MPI_T_ERR_OUT_OF_SESSIONS",
        "no more sessions (tool interface)",
    ),
    (
        67,
        "MPI_T_ERR_INVALID_SESSION",
        "invalid session (tool interface)",
    ),
    (
        68,
        "MPI_T_ERR_CVAR_SET_NOT_NOW",
        "the variable cannot be set now",
    ),
    (
        69,
        "MPI_T_ERR_CVAR_SET_NEVER",
        "the variable can never be set",
    ),
    (
        70,
        "MPI_T_ERR_PVAR_NO_STARTSTOP",
        "the variable cannot be started or stopped",
    ),
    (
        71,
        "MPI_T_ERR_PVAR_NO_WRITE",
        "the variable cannot be written or reset",
    ),
    (
        72,
        "MPI_T_ERR_PVAR_NO_ATOMIC",
        "the variable cannot be read and written atomically",
    ),
    (
        73,
        "MPI_T_ERR_INVALID_NAME",
        "invalid variable or category name",
    ),
    (74, "MPI_T_ERR_INVALID", "invalid use of the tool interface"),
    (75, "MPI_ERR_SESSION", "invalid session"),
    (
        76,
        "MPI_ERR_PROC_ABORTED",
        "operation with an aborted process",
    ),
    (
        78,
        "MPI_T_ERR_NOT_SUPPORTED",
        "not supported by the tool interface",
    ),
];

/// The name of standard error class `class` (MPI_ERR_RANK, ...).
pub fn class_name(class: c_int) -> Option<&'static str> {
    match ErrorClass::from_code(class) {
        Some(c) => Some(c.name()),
        None => OTHER_CLASSES
            .iter()
            .find(|(k, _, _)| *k == class)
            .map(|(_, name, _)| *name),
    }
}

/// The standard string of error class `class`.
pub fn class_string(class: c_int) -> String {
    if class == MPI_SUCCESS {
        return "MPI_SUCCESS: no errors".into();
    }
    if let Some(c) = ErrorClass::from_code(class) {
        return format!("{}: {}", c.name(), class_text(c));
    }
    match OTHER_CLASSES.iter().find(|(k, _, _)| *k == class) {
        Some((_, name, text)) => format!("{name}: {text}"),
        None => format!("error class {class}"),
    }
}

fn class_text(c: ErrorClass) -> &'static str {
    use ErrorClass::*;
    match c {
        Buffer => "invalid buffer pointer",
        Count => "invalid count argument",
        Type => "invalid datatype",
        Tag => "invalid tag",
        Comm => "invalid communicator",
        Rank => "invalid rank",
        Root => "invalid root",
        Group => "invalid group",
        Op => "invalid reduce operation",
        Topology => "invalid topology",
        Dims => "invalid dimension argument",
        Arg => "invalid argument of some other kind",
        Unknown => "unknown error",
        Truncate => "message truncated",
        Other => "other error; see the error string",
        Intern => "internal error",
        InStatus => "error code is in the status",
        Pending => "pending request",
        Request => "invalid request",
        Info => "invalid info object",
        InfoKey => "invalid info key",
        InfoValue => "invalid info value",
        InfoNokey => "key not in the info object",
        Name => "invalid service name",
        NoMem => "out of memory",
        NotSame => "collective arguments not identical on all ranks",
        UnsupportedOperation => "operation not supported by shmpi",
        Keyval => "invalid keyval",
        Size => "invalid size argument",
        ValueTooLarge => "value too large to store",
    }
}

/// Drops the Rust API's own call name ("send: ...") from a message.
pub fn bare(message: &str) -> &str {
    match message.split_once(": ") {
        Some((head, rest))
            if !head.is_empty()
                && head
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == ' ') =>
        {
            rest
        }
        _ => message,
    }
}

/// Runs the body of entry point `name`: returns MPI_SUCCESS, or raises
/// its error on communicator `comm` (see the module doc). A panic in the
/// body is reported as MPI_ERR_INTERN instead of unwinding into C. Then
/// the operations whose request was freed while active and that have
/// completed meanwhile are finished ([`reap_detached`]), so that a freed
/// receive's data reaches a derived datatype's buffer as MPI progresses.
pub fn call(name: &'static str, comm: c_int, f: impl FnOnce() -> Result<()>) -> c_int {
    let outcome = catch_unwind(AssertUnwindSafe(f));
    reap_detached();
    match outcome {
        Ok(Ok(())) => MPI_SUCCESS,
        Ok(Err(e)) => raise(name, comm, e),
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            raise(
                name,
                comm,
                Error::new(ErrorClass::Intern, format!("internal error: {what}")),
            )
        }
    }
}

/// Raises error `e` of call `name` on communicator `comm`.
pub fn raise(name: &str, comm: c_int, e: Error) -> c_int {
    let class = e.class as c_int;
    raise_code(name, comm, class, bare(&e.message).to_string())
}

/// Raises an error of class `class` with `message` on communicator `comm`.
pub fn raise_code(name: &str, comm: c_int, class: c_int, message: String) -> c_int {
    let text = format!("{name}: {message}");
    let (code, handler, rank, comm) = with(|m| {
        let code = m.errors.code_for(class, text.clone());
        let comm = if m.comms.get(comm).is_some() {
            comm
        } else if m.comms.errhandler_of(MPI_COMM_SELF) != MPI_ERRORS_ARE_FATAL {
            MPI_COMM_SELF
        } else {
            MPI_COMM_WORLD
        };
        let handler = if m.phase == Phase::Running {
            let h = m.comms.errhandler_of(comm);
            m.errors.handler(h).unwrap_or(Handler::Fatal)
        } else {
            Handler::Fatal
        };
        let rank = my_rank(m);
        (code, handler, rank, comm)
    });
    match handler {
        Handler::Return => code,
        Handler::Fatal => fatal(rank, &text, class),
        Handler::User(f) => {
            let mut c = comm;
            let mut k = code;
            // SAFETY: `f` is the user's handler, registered through
            // MPI_Comm_create_errhandler with the standard's signature;
            // both pointers are valid for the call.
            unsafe { f(&mut c, &mut k) };
            code
        }
    }
}

/// The communicator argument of [`raise`] for errors tied to no object.
pub const NO_OBJECT: c_int = MPI_COMM_NULL;

/// The rank of this process, also before MPI_Init and after MPI_Finalize
/// (the one shmrun gave it); None in a program started without shmrun
/// before MPI_Init.
pub fn my_rank(m: &super::state::Mpi) -> Option<i32> {
    m.universe
        .as_ref()
        .map(|u| u.world().rank())
        .or_else(|| std::env::var("SHMPI_RANK").ok()?.parse().ok())
}

/// Ends the job after an error under MPI_ERRORS_ARE_FATAL.
fn fatal(rank: Option<i32>, text: &str, class: c_int) -> ! {
    let class = class_name(class).unwrap_or("MPI error");
    match rank {
        Some(r) => say(&format!("shmpi: rank {r}: {text} ({class})")),
        None => say(&format!("shmpi: {text} ({class})")),
    }
    std::process::exit(1)
}
