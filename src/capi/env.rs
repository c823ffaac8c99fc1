//! The environment: init and finalize, versions, clocks, error strings.

use std::os::raw::{c_char, c_int, c_void};

use super::comm::CommObj;
use super::consts::*;
use super::errors::NO_OBJECT;
use super::errors::{call, class_string};
use super::state::{with, Phase};
use super::{mpi_fn, out, write_str};
use crate::api::{self, comm::Communicator};
use crate::error::{mpi_err, say, Result};

fn init(call_name: &str, required: c_int) -> Result<c_int> {
    let phase = with(|m| m.phase);
    match phase {
        Phase::Running => return mpi_err!(Other, "MPI is already initialized"),
        Phase::Finalized => {
            return mpi_err!(Other, "MPI cannot be initialized again after MPI_Finalize")
        }
        Phase::Before => {}
    }
    let universe = api::init()?;
    let world = universe.world();
    let selfc = Communicator::self_comm(universe.engine().clone());
    // The engine serializes nothing itself: one thread at a time.
    let provided = required.clamp(MPI_THREAD_SINGLE, MPI_THREAD_SERIALIZED);
    // SAFETY: registers a plain extern "C" function with no arguments,
    // which stays in the library for the life of the process.
    if unsafe { libc::atexit(exit_hook) } != 0 {
        return mpi_err!(Other, "{call_name}: cannot register the exit hook (atexit)");
    }
    with(|m| {
        m.comms.world = Some(CommObj::new(world, "MPI_COMM_WORLD"));
        m.comms.selfc = Some(CommObj::new(selfc, "MPI_COMM_SELF"));
        m.universe = Some(universe);
        m.thread_level = provided;
        m.main_thread = Some(std::thread::current().id());
        m.phase = Phase::Running;
    });
    Ok(provided)
}

/// Runs when the process exits (registered by MPI_Init): a process that
/// leaves without MPI_Finalize (a forgotten call, an early `return` on some
/// ranks) is marked gone, so that ranks still waiting for it, in a barrier
/// or MPI_Finalize's own, get the deadlock diagnosis instead of hanging.
extern "C" fn exit_hook() {
    let _ = super::state::try_with(|m| {
        if m.phase == Phase::Running {
            if let Some(u) = &m.universe {
                u.engine().exit_unfinalized();
            }
        }
    });
}

mpi_fn! {
    fn MPI_Init / PMPI_Init(argc: *mut c_int, argv: *mut *mut *mut c_char) -> c_int {
        let _ = (argc, argv);
        call("MPI_Init", MPI_COMM_WORLD, || init("MPI_Init", MPI_THREAD_SINGLE).map(|_| ()))
    }
}

mpi_fn! {
    fn MPI_Init_thread / PMPI_Init_thread(argc: *mut c_int, argv: *mut *mut *mut c_char, required: c_int, provided: *mut c_int) -> c_int {
        let _ = (argc, argv);
        call("MPI_Init_thread", MPI_COMM_WORLD, || {
            if !(MPI_THREAD_SINGLE..=MPI_THREAD_MULTIPLE).contains(&required) {
                return mpi_err!(Arg, "required thread level {required} is not one of MPI_THREAD_SINGLE..MPI_THREAD_MULTIPLE");
            }
            let p = init("MPI_Init_thread", required)?;
            out("provided", provided, p)
        })
    }
}

mpi_fn! {
    fn MPI_Finalize / PMPI_Finalize() -> c_int {
        call("MPI_Finalize", MPI_COMM_WORLD, || {
            with(|m| m.check_running())?;
            // The very first thing (MPI-2.2): MPI_COMM_SELF's attributes,
            // then, as MPICH does, MPI_COMM_WORLD's. Their delete callbacks
            // may communicate (receive what others' pending sends carry),
            // so this comes before those sends are completed.
            for comm in [MPI_COMM_SELF, MPI_COMM_WORLD] {
                super::attr::delete_all_attrs(super::handle::Kind::Comm, comm)?;
            }
            super::request::finalize_requests()?;
            let universe = with(|m| {
                m.phase = Phase::Finalized;
                m.comms.table = super::handle::Table::new(super::handle::Kind::Comm);
                m.comms.world = None;
                m.comms.selfc = None;
                m.universe.take()
            });
            // Dropping the universe is the finalize of the Rust API: a
            // barrier, then the engine refuses further calls.
            drop(universe);
            Ok(())
        })
    }
}

mpi_fn! {
    fn MPI_Initialized / PMPI_Initialized(flag: *mut c_int) -> c_int {
        call("MPI_Initialized", NO_OBJECT, || {
            let f = with(|m| m.phase != Phase::Before);
            out("flag", flag, f as c_int)
        })
    }
}

mpi_fn! {
    fn MPI_Finalized / PMPI_Finalized(flag: *mut c_int) -> c_int {
        call("MPI_Finalized", NO_OBJECT, || {
            let f = with(|m| m.phase == Phase::Finalized);
            out("flag", flag, f as c_int)
        })
    }
}

mpi_fn! {
    fn MPI_Query_thread / PMPI_Query_thread(provided: *mut c_int) -> c_int {
        call("MPI_Query_thread", NO_OBJECT, || {
            let p = with(|m| m.thread_level);
            out("provided", provided, p)
        })
    }
}

mpi_fn! {
    fn MPI_Is_thread_main / PMPI_Is_thread_main(flag: *mut c_int) -> c_int {
        call("MPI_Is_thread_main", NO_OBJECT, || {
            let main = with(|m| m.main_thread);
            out("flag", flag, (main == Some(std::thread::current().id())) as c_int)
        })
    }
}

mpi_fn! {
    fn MPI_Abort / PMPI_Abort(comm: c_int, errorcode: c_int) -> c_int {
        let rank = with(|m| super::errors::my_rank(m));
        let _ = comm;
        match rank {
            Some(r) => say(&format!("shmpi: rank {r} called MPI_Abort({errorcode}); ending the job")),
            None => say(&format!("shmpi: MPI_Abort({errorcode}) called; ending the job")),
        }
        std::process::exit(if errorcode & 0xff == 0 { 1 } else { errorcode & 0xff })
    }
}

mpi_fn! {
    fn MPI_Wtime / PMPI_Wtime() -> f64 {
        api::wtime()
    }
}

mpi_fn! {
    fn MPI_Wtick / PMPI_Wtick() -> f64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_getres writes one timespec into `ts`.
        unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    }
}

mpi_fn! {
    fn MPI_Get_version / PMPI_Get_version(version: *mut c_int, subversion: *mut c_int) -> c_int {
        call("MPI_Get_version", NO_OBJECT, || {
            out("version", version, MPI_VERSION)?;
            out("subversion", subversion, MPI_SUBVERSION)
        })
    }
}

/// What MPI_Get_library_version says.
pub fn library_version() -> String {
    format!(
        "shmpi {} (MPICH ABI, libmpi.so.12): an MPI for one machine over shared memory",
        env!("CARGO_PKG_VERSION")
    )
}

mpi_fn! {
    fn MPI_Get_library_version / PMPI_Get_library_version(version: *mut c_char, resultlen: *mut c_int) -> c_int {
        call("MPI_Get_library_version", NO_OBJECT, || {
            write_str("version", version, resultlen, &library_version(), MPI_MAX_LIBRARY_VERSION_STRING)
        })
    }
}

mpi_fn! {
    fn MPI_Get_processor_name / PMPI_Get_processor_name(name: *mut c_char, resultlen: *mut c_int) -> c_int {
        call("MPI_Get_processor_name", NO_OBJECT, || {
            let host = nix::unistd::gethostname()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "localhost".into());
            write_str("name", name, resultlen, &host, MPI_MAX_PROCESSOR_NAME)
        })
    }
}

mpi_fn! {
    fn MPI_Error_class / PMPI_Error_class(errorcode: c_int, errorclass: *mut c_int) -> c_int {
        call("MPI_Error_class", NO_OBJECT, || {
            match with(|m| m.errors.class_of(errorcode)) {
                Some(c) => out("errorclass", errorclass, c),
                None => mpi_err!(Arg, "{errorcode} is not a valid error code"),
            }
        })
    }
}

mpi_fn! {
    fn MPI_Error_string / PMPI_Error_string(errorcode: c_int, string: *mut c_char, resultlen: *mut c_int) -> c_int {
        call("MPI_Error_string", NO_OBJECT, || {
            match with(|m| m.errors.string_of(errorcode)) {
                Some(s) => write_str("string", string, resultlen, &s, MPI_MAX_ERROR_STRING),
                None => mpi_err!(Arg, "{errorcode} is not a valid error code"),
            }
        })
    }
}

mpi_fn! {
    fn MPI_Add_error_class / PMPI_Add_error_class(errorclass: *mut c_int) -> c_int {
        call("MPI_Add_error_class", NO_OBJECT, || {
            let c = with(|m| m.errors.add_class())?;
            out("errorclass", errorclass, c)
        })
    }
}

mpi_fn! {
    fn MPI_Add_error_code / PMPI_Add_error_code(errorclass: c_int, errorcode: *mut c_int) -> c_int {
        call("MPI_Add_error_code", NO_OBJECT, || {
            let c = with(|m| m.errors.add_code(errorclass))?;
            out("errorcode", errorcode, c)
        })
    }
}

mpi_fn! {
    fn MPI_Add_error_string / PMPI_Add_error_string(errorcode: c_int, string: *const c_char) -> c_int {
        call("MPI_Add_error_string", NO_OBJECT, || {
            let s = super::read_str("string", string)?;
            with(|m| m.errors.set_string(errorcode, s))
        })
    }
}

mpi_fn! {
    fn MPI_Alloc_mem / PMPI_Alloc_mem(size: isize, info: c_int, baseptr: *mut c_void) -> c_int {
        let _ = info;
        call("MPI_Alloc_mem", NO_OBJECT, || {
            if size < 0 {
                return mpi_err!(Size, "size {size} is negative");
            }
            // SAFETY: malloc of a non-negative size; freed by MPI_Free_mem.
            let p = unsafe { libc::malloc((size as usize).max(1)) };
            if p.is_null() {
                return mpi_err!(NoMem, "cannot allocate {size} bytes");
            }
            out("baseptr", baseptr as *mut *mut c_void, p)
        })
    }
}

mpi_fn! {
    fn MPI_Free_mem / PMPI_Free_mem(base: *mut c_void) -> c_int {
        // SAFETY: `base` came from MPI_Alloc_mem (malloc), or is null.
        unsafe { libc::free(base) };
        MPI_SUCCESS
    }
}

mpi_fn! {
    fn MPI_Pcontrol / PMPI_Pcontrol(level: c_int) -> c_int {
        // Profiling control has no effect without a profiler (as in MPICH).
        let _ = level;
        MPI_SUCCESS
    }
}

/// The text of class `c` (for the support table's tests).
pub fn class_text(c: c_int) -> String {
    class_string(c)
}
