//! `shmrun`: starts the ranks of a shmpi job on this machine and supervises
//! them until the job ends.
//!
//! ```text
//! shmrun [-n N | -np N] [--tag-output] [--timeout SECS] PROGRAM [ARGS...]
//! ```
//!
//! # Environment protocol
//!
//! The launcher creates the job's one shared segment (an anonymous `memfd`,
//! see `shmpi::shm`) before starting any rank, then starts N processes of
//! PROGRAM. Each rank inherits the memfd at the same descriptor number and
//! finds everything else in its environment (the rest of shmrun's
//! environment is passed on unchanged):
//!
//! | variable      | value                                          |
//! |---------------|------------------------------------------------|
//! | `SHMPI_RANK`  | the rank, `0..N`                               |
//! | `SHMPI_SIZE`  | N                                              |
//! | `SHMPI_FD`    | the descriptor of the segment's memfd          |
//! | `PMI_RANK`    | as `SHMPI_RANK`, for tools that read PMI's     |
//! | `PMI_SIZE`    | as `SHMPI_SIZE`                                |
//! | `LD_LIBRARY_PATH` | shmpi's link directory, then shmrun's value |
//!
//! The segment records whether ranks may copy from each other with
//! cross-memory attach: shmrun runs `shm::cma::probe` once, unless
//! `SHMPI_NO_CMA` is set to a non-empty value other than `0`. Rank 0 gets
//! shmrun's standard input unless that is a terminal (the ranks run in a
//! background process group, where reading the terminal would stop them);
//! every other rank reads `/dev/null`.
//!
//! # C programs
//!
//! Before starting any rank, shmrun makes sure a C program will load
//! shmpi's C library: it sets up the link directory `shmpi-lib/` beside
//! itself (links `libmpi.so.12` and `libmpich.so.12` to the newest
//! `libshmpi.so`; see `c_library.rs`, shared with `shmpicc`) and puts it
//! first in the ranks' `LD_LIBRARY_PATH`. That covers programs built with
//! `shmpicc`, with MPICH's `mpicc` and Debian's MPICH-built binaries (which
//! need `libmpich.so.12`). When no library has been built, nothing is set,
//! and a program that needs one gets a warning.
//!
//! It also reads PROGRAM's NEEDED entries (found in `PATH` as `execvp` would;
//! a script, or a file that is not ELF or cannot be read, is not checked).
//! A program linked against Open MPI (`libmpi.so.40`, or an older Open MPI
//! library) cannot run on shmpi, whose binary interface is MPICH's, so
//! shmrun refuses it with one line saying so, and exit status 1, before
//! starting any rank.
//!
//! # Starting a rank
//!
//! Ranks are started with `std::process::Command` and a `pre_exec` hook.
//! `Command::spawn` returns only once the child has called `execve` (it
//! waits on a close-on-exec pipe), and reports a failed exec as an error, so
//! a missing program is reported once, by shmrun, as `shmrun: cannot run
//! PROGRAM: ...` with exit status 127. Between fork and exec the child runs
//! only async-signal-safe system calls:
//!
//! * `setpgid` (done by `Command::process_group`): rank 0 founds a new
//!   process group, whose id is its pid, and every other rank joins it. The
//!   group is what shmrun signals to end the job, and it also takes in any
//!   process a rank forks. Because `spawn` returns after the exec, the child
//!   has joined the group before shmrun can signal it, so no call to
//!   `setpgid` from the parent side is needed (after the exec it would fail
//!   anyway).
//! * `prctl(PR_SET_PDEATHSIG, SIGKILL)`, then a check that the parent is
//!   still shmrun (if shmrun died before the `prctl`, the child exits at
//!   once). So no rank outlives even a `SIGKILL`ed shmrun. The death signal
//!   fires when the *thread* that forked exits; shmrun has only its main
//!   thread. It is not inherited by processes that a rank forks: those die
//!   with the group when shmrun ends the job, but not if shmrun is killed
//!   with `SIGKILL`.
//! * clearing `FD_CLOEXEC` on the memfd, so that the rank inherits it;
//! * resetting every signal to its default action and emptying the signal
//!   mask (shmrun blocks the signals it supervises, and may have been
//!   started with some ignored);
//! * restoring the open-file limit if shmrun raised it for its pipes.
//!
//! # Supervision
//!
//! shmrun is single-threaded and event driven: it blocks `SIGCHLD`,
//! `SIGINT`, `SIGTERM` and `SIGHUP` before the first fork and reads them
//! from a `signalfd`, so no handler runs and none can be lost; one `poll`
//! waits on that descriptor, on the ranks' output pipes (with
//! `--tag-output`) and on the next deadline (`--timeout`, the kill grace).
//!
//! Exits are observed with `waitid(WNOWAIT)`, which reports an exit without
//! reaping: every rank stays a zombie until the very end. A zombie keeps its
//! pid and its process group id in use, so signalling the group can never
//! reach an unrelated process that reused the id; ranks are reaped only
//! after the last signal is sent.
//!
//! # Failure handling
//!
//! The job ends, and shmrun exits with the status given, at the first of:
//!
//! * a rank exits non-zero or is killed by a signal: its exit code, or 128 +
//!   the signal number; one line names the rank, e.g. `shmrun: rank 2 (pid
//!   1234) exited with status 3; ending the job`;
//! * shmrun receives `SIGINT`, `SIGTERM` or `SIGHUP`: 128 + the signal
//!   number, with `shmrun: interrupted (SIGINT); ending the job` (a signal
//!   that shmrun was started with ignored, as under `nohup`, stays ignored);
//! * `--timeout` expires: 124, with `shmrun: job timed out after SECS s;
//!   ending it`;
//! * a rank cannot be started: 127.
//!
//! Ending the job sends `SIGTERM` to the process group, then `SIGKILL` to
//! the group and to every rank still running 200 ms later. Whatever happens
//! afterwards (ranks dying of those signals, another rank failing) prints
//! nothing more. When every rank has exited, successfully or not, shmrun
//! sends `SIGKILL` to the group once more, so that no process a rank left
//! behind outlives the job, and then reaps the ranks. The exit status is 0
//! only when every rank exited 0.
//!
//! # Output
//!
//! Without `--tag-output` the ranks write straight to shmrun's standard
//! output and error. With it, each rank's stdout and stderr are pipes that
//! shmrun reads; it writes each complete line as `[rank] line` to its own
//! stdout or stderr in one `write`, so lines of different ranks never mix.
//! A final line without a newline gets one; a line longer than 64 KiB is
//! cut into several. Pipes are read until end of file, so everything the
//! ranks wrote is forwarded before shmrun exits. Should a process outside
//! the job hold a pipe open, shmrun stops waiting for more 1 s after the
//! last rank exited, once the pipes hold nothing more to read.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, killpg, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::Pid;

use shmpi::shm::{cma, Segment, CAP_CMA};

#[path = "c_library.rs"]
mod c_library;

/// How long ranks get between `SIGTERM` and `SIGKILL`.
const TERM_GRACE: Duration = Duration::from_millis(200);
/// How long output pipes are still read after the last rank exited.
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// The longest line `--tag-output` forwards in one piece.
const MAX_LINE: usize = 64 * 1024;
/// Exit status when a rank cannot be started (as a shell's).
const CANNOT_RUN: i32 = 127;
/// Exit status when `--timeout` expires (as timeout(1)'s).
const TIMED_OUT: i32 = 124;

/// Run PROGRAM as N ranks of an shmpi job on this machine.
///
/// Every rank finds SHMPI_RANK, SHMPI_SIZE, SHMPI_FD (the shared segment's
/// memfd), PMI_RANK and PMI_SIZE in its environment. The job ends when all
/// ranks have exited, or as soon as one fails; shmrun then exits with the
/// status of the first failing rank (128 + N for signal N), or 0.
#[derive(Parser, Debug)]
#[command(name = "shmrun", version)]
struct Cli {
    /// Number of ranks (mpirun's -np N is accepted too)
    #[arg(
        short = 'n',
        long = "np",
        value_name = "N",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    np: u32,

    /// Prefix every line the ranks print (stdout and stderr) with "[rank] "
    #[arg(long)]
    tag_output: bool,

    /// End the job after SECS seconds (exit status 124)
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    timeout: Option<f64>,

    /// The program every rank runs
    #[arg(value_name = "PROGRAM", required = true)]
    program: OsString,

    /// Arguments of PROGRAM, passed as they are
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<OsString>,
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs > 0.0 && Duration::try_from_secs_f64(secs).is_ok() => Ok(secs),
        _ => Err(format!("'{s}' is not a positive number of seconds")),
    }
}

/// Rewrites mpirun's single-dash `-np N` (also `-np=N`, `-npN`) as `--np`,
/// among shmrun's own options only: everything from PROGRAM on is left
/// alone, since it belongs to the program.
fn mpirun_spelling(argv: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut argv = argv.into_iter();
    let mut out: Vec<OsString> = argv.next().into_iter().collect();
    let mut value_next = false;
    let mut options = true;
    for arg in argv {
        if !options || value_next {
            value_next = false;
            out.push(arg);
            continue;
        }
        let Some(s) = arg.to_str() else {
            options = false;
            out.push(arg);
            continue;
        };
        if s == "-np" {
            value_next = true;
            out.push("--np".into());
        } else if let Some(n) = s.strip_prefix("-np") {
            let n = n.strip_prefix('=').unwrap_or(n);
            out.push(format!("--np={n}").into());
        } else if matches!(s, "-n" | "--np" | "--timeout") {
            value_next = true;
            out.push(arg);
        } else if s == "--" || !s.starts_with('-') || s == "-" {
            options = false;
            out.push(arg);
        } else {
            out.push(arg);
        }
    }
    out
}

fn main() {
    let cli = Cli::parse_from(mpirun_spelling(std::env::args_os()));
    let status = run(&cli);
    let _ = std::io::stdout().flush();
    std::process::exit(status);
}

/// Runs the job; returns shmrun's exit status.
fn run(cli: &Cli) -> i32 {
    let n = cli.np as usize;
    let library_path = match prepare_program(&cli.program) {
        Ok(path) => path,
        Err(why) => {
            eprintln!("shmrun: {why}");
            return 1;
        }
    };
    let no_cma = std::env::var_os("SHMPI_NO_CMA").is_some_and(|v| !v.is_empty() && v != "0");
    let caps = if !no_cma && cma::probe() { CAP_CMA } else { 0 };
    let (segment, memfd) = match Segment::create(n, caps) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("shmrun: cannot create the shared segment for {n} ranks: {e}");
            return 1;
        }
    };

    // Block before the first fork so that no SIGCHLD or interrupt is lost;
    // from here on they arrive only through `signals`.
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGCHLD);
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        if !ignored(sig) {
            mask.add(sig);
        }
    }
    let signals = mask
        .thread_block()
        .and_then(|()| SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC));
    let signals = match signals {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("shmrun: cannot set up signal handling: {e}");
            return 1;
        }
    };

    let pipes = if cli.tag_output { 2 * n } else { 0 };
    let child_setup = ChildSetup::new(&memfd, raise_open_file_limit(pipes + 64));
    let mut job = Job::new(cli.tag_output, library_path);
    for rank in 0..n {
        if let Err(e) = job.start(rank, n, cli, &memfd, child_setup) {
            job.end(
                CANNOT_RUN,
                format!("cannot run {}: {e}", cli.program.to_string_lossy()),
            );
            break;
        }
    }

    let deadline = cli
        .timeout
        .map(|secs| (Instant::now() + Duration::from_secs_f64(secs), secs));
    let status = job.supervise(&signals, deadline);
    drop(segment);
    drop(memfd);
    status
}

/// Checks that `program` can run on shmpi and sets up the link directory
/// (see "C programs" above); returns the ranks' `LD_LIBRARY_PATH`, or why
/// the program cannot run.
fn prepare_program(program: &OsStr) -> Result<Option<OsString>, String> {
    let needed = c_library::resolve_program(program)
        .and_then(|file| needed_libraries(&file))
        .unwrap_or_default();
    if let Some(open_mpi) = needed.iter().find(|name| is_open_mpi(name)) {
        return Err(format!(
            "{} is linked against Open MPI ({open_mpi}); shmpi runs programs built for the \
             MPICH ABI: rebuild it with shmpicc (or MPICH's mpicc)",
            program.to_string_lossy()
        ));
    }
    let link_dir = c_library::exe_dir()
        .map_err(|e| e.to_string())
        .and_then(|dir| c_library::link_dir_for(&dir));
    match link_dir {
        Ok(dir) => {
            let mut path = dir.into_os_string();
            if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|p| !p.is_empty()) {
                path.push(":");
                path.push(old);
            }
            Ok(Some(path))
        }
        Err(why) => {
            if let Some(mpi) = needed.iter().find(|name| is_mpich_abi(name)) {
                eprintln!(
                    "shmrun: warning: {} needs {mpi}, but {why}",
                    program.to_string_lossy()
                );
            }
            Ok(None)
        }
    }
}

/// The NEEDED entries of an ELF file's dynamic section; `None` when it
/// cannot be read or is not ELF (a script, say).
fn needed_libraries(path: &Path) -> Option<Vec<String>> {
    use object::read::elf::{Dyn, FileHeader};
    use object::read::ReadCache;

    fn needed<Elf: FileHeader<Endian = object::Endianness>>(
        data: &ReadCache<File>,
    ) -> Option<Vec<String>> {
        let header = Elf::parse(data).ok()?;
        let endian = header.endian().ok()?;
        let sections = header.sections(endian, data).ok()?;
        let Some((entries, strings_index)) = sections.dynamic(endian, data).ok()? else {
            return Some(Vec::new()); // statically linked
        };
        let strings = sections.strings(endian, data, strings_index).ok()?;
        let names = entries
            .iter()
            .filter(|entry| entry.tag32(endian) == Some(object::elf::DT_NEEDED))
            .filter_map(|entry| strings.get(entry.val32(endian)?).ok())
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect();
        Some(names)
    }

    let data = ReadCache::new(File::open(path).ok()?);
    match object::FileKind::parse(&data).ok()? {
        object::FileKind::Elf64 => needed::<object::elf::FileHeader64<object::Endianness>>(&data),
        object::FileKind::Elf32 => needed::<object::elf::FileHeader32<object::Endianness>>(&data),
        _ => None,
    }
}

/// Whether a NEEDED name is one of Open MPI's libraries: `libmpi.so.40`
/// (Open MPI 3 to 5), `.20` (2.x), `.0`/`.1` (1.x), or its runtime and
/// language-binding libraries. (Open MPI 1.10's `libmpi.so.12` clashes
/// with MPICH's name and cannot be told apart by it; its `libopen-rte` can.)
fn is_open_mpi(name: &str) -> bool {
    matches!(
        name,
        "libmpi.so.40" | "libmpi.so.20" | "libmpi.so.1" | "libmpi.so.0"
    ) || [
        "libopen-rte.so",
        "libopen-pal.so",
        "libmpi_cxx.so",
        "libmpi_mpifh.so",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

/// Whether a NEEDED name is the MPICH ABI's library, which shmpi provides.
fn is_mpich_abi(name: &str) -> bool {
    matches!(name, "libmpi.so.12" | "libmpich.so.12")
}

/// Whether shmrun was started with `sig` ignored (as `nohup` does with
/// `SIGHUP`, and shells with `SIGINT` for background jobs). Such a signal
/// stays ignored: blocking it would queue it for the signalfd instead.
fn ignored(sig: Signal) -> bool {
    // SAFETY: all-zero bytes are a valid sigaction; with a null new action,
    // sigaction only reads the current one into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig as libc::c_int, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// If the open-file limit is below `needed`, raises it as far as allowed
/// and returns the old limit, which ranks get back.
fn raise_open_file_limit(needed: usize) -> Option<libc::rlimit> {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit through a valid pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) } != 0
        || old.rlim_cur >= needed as libc::rlim_t
    {
        return None;
    }
    let new = libc::rlimit {
        rlim_cur: (needed as libc::rlim_t).min(old.rlim_max),
        rlim_max: old.rlim_max,
    };
    // SAFETY: setrlimit reads one rlimit through a valid pointer.
    (unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0).then_some(old)
}

/// What a rank's child does between fork and exec; everything is prepared
/// in the parent so that the child only makes system calls.
#[derive(Clone, Copy)]
struct ChildSetup {
    launcher: libc::pid_t,
    memfd: libc::c_int,
    default_action: libc::sigaction,
    empty_mask: libc::sigset_t,
    last_signal: libc::c_int,
    open_file_limit: Option<libc::rlimit>,
}

impl ChildSetup {
    fn new(memfd: &OwnedFd, open_file_limit: Option<libc::rlimit>) -> ChildSetup {
        // SAFETY: sigaction and sigset_t are plain C structs for which all
        // zero bytes are a valid value (handler SIG_DFL, no flags).
        let (mut default_action, mut empty_mask): (libc::sigaction, libc::sigset_t) =
            unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
        default_action.sa_sigaction = libc::SIG_DFL;
        // SAFETY: both pointers are to live, writable sigset_t values.
        unsafe {
            libc::sigemptyset(&mut default_action.sa_mask);
            libc::sigemptyset(&mut empty_mask);
        }
        ChildSetup {
            launcher: std::process::id() as libc::pid_t,
            memfd: memfd.as_raw_fd(),
            default_action,
            empty_mask,
            last_signal: libc::SIGRTMAX(),
            open_file_limit,
        }
    }

    /// Runs in the child after fork: only async-signal-safe calls, no
    /// allocation.
    fn apply(&self) -> std::io::Result<()> {
        // SAFETY: prctl, getppid, fcntl, sigaction, sigprocmask, setrlimit
        // and _exit are async-signal-safe system calls, given integers and
        // pointers to values owned by `self`.
        unsafe {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // shmrun died before the prctl took effect: nobody will kill us.
            if libc::getppid() != self.launcher {
                libc::_exit(CANNOT_RUN);
            }
            let flags = libc::fcntl(self.memfd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(self.memfd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            for sig in 1..=self.last_signal {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    // Fails harmlessly for the signals glibc reserves.
                    libc::sigaction(sig, &self.default_action, std::ptr::null_mut());
                }
            }
            if libc::sigprocmask(libc::SIG_SETMASK, &self.empty_mask, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(limit) = &self.open_file_limit {
                libc::setrlimit(libc::RLIMIT_NOFILE, limit);
            }
        }
        Ok(())
    }
}

/// How a rank ended.
#[derive(Clone, Copy, Debug)]
enum Exit {
    Code(i32),
    Signal(i32),
    /// `waitid` failed for it; cannot happen for a child not yet reaped.
    Lost,
}

impl Exit {
    /// shmrun's exit status for a job that ended this way.
    fn status(self) -> i32 {
        match self {
            Exit::Code(code) => code,
            Exit::Signal(sig) => 128 + sig,
            Exit::Lost => 1,
        }
    }

    fn describe(self) -> String {
        match self {
            Exit::Code(code) => format!("exited with status {code}"),
            Exit::Signal(sig) => format!("was killed by signal {sig} ({})", signal_name(sig)),
            Exit::Lost => "could not be waited for".to_string(),
        }
    }
}

fn signal_name(sig: i32) -> String {
    match Signal::try_from(sig) {
        Ok(s) => s.as_str().to_string(),
        Err(_) if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&sig) => {
            format!("SIGRTMIN+{}", sig - libc::SIGRTMIN())
        }
        Err(_) => "unknown".to_string(),
    }
}

/// Whether `pid` has exited, without reaping it (`WNOWAIT`): the zombie
/// keeps the pid and the job's process group id from being reused.
fn peek_exit(pid: Pid) -> Option<Exit> {
    loop {
        // SAFETY: all-zero bytes are a valid siginfo_t; waitid writes one
        // through the valid pointer.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above; the flags ask for a non-blocking peek.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid.as_raw() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc != 0 {
            if Errno::last() == Errno::EINTR {
                continue;
            }
            return Some(Exit::Lost);
        }
        // SAFETY: waitid filled `info` for a SIGCHLD-style event (or left
        // it zeroed when nothing happened, which reads as pid 0).
        let (who, status) = unsafe { (info.si_pid(), info.si_status()) };
        return match info.si_code {
            _ if who == 0 => None,
            libc::CLD_EXITED => Some(Exit::Code(status)),
            libc::CLD_KILLED | libc::CLD_DUMPED => Some(Exit::Signal(status)),
            _ => None,
        };
    }
}

struct Rank {
    pid: Pid,
    exit: Option<Exit>,
}

/// One output pipe of a rank (`--tag-output`), with the part of a line
/// read so far.
struct Stream {
    pipe: File,
    rank: usize,
    to_stderr: bool,
    pending: Vec<u8>,
    open: bool,
}

impl Stream {
    fn new(fd: OwnedFd, rank: usize, to_stderr: bool) -> Stream {
        Stream {
            pipe: File::from(fd),
            rank,
            to_stderr,
            pending: Vec::new(),
            open: true,
        }
    }

    /// Reads what the pipe has (poll said it would not block) and forwards
    /// the complete lines; at end of file, forwards the rest.
    fn read_some(&mut self, chunk: &mut [u8]) {
        match self.pipe.read(chunk) {
            Ok(0) => self.close(),
            Ok(got) => {
                self.pending.extend_from_slice(&chunk[..got]);
                self.forward(false);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => self.close(),
        }
    }

    fn close(&mut self) {
        self.open = false;
        self.forward(true);
    }

    /// Writes every complete line of `pending` (and, if `all`, the partial
    /// last one) in one write, each with the rank's tag.
    fn forward(&mut self, all: bool) {
        let tag = format!("[{}] ", self.rank);
        let mut out = Vec::new();
        let mut start = 0;
        while start < self.pending.len() {
            let rest = &self.pending[start..];
            let len = match rest.iter().position(|&b| b == b'\n') {
                Some(nl) if nl < MAX_LINE => nl + 1,
                _ if rest.len() >= MAX_LINE => MAX_LINE,
                _ if all => rest.len(),
                _ => break,
            };
            out.extend_from_slice(tag.as_bytes());
            out.extend_from_slice(&rest[..len]);
            if rest[len - 1] != b'\n' {
                out.push(b'\n');
            }
            start += len;
        }
        self.pending.drain(..start);
        if out.is_empty() {
            return;
        }
        // A closed stdout must not stop the job: keep draining, drop output.
        let _ = if self.to_stderr {
            std::io::stderr().lock().write_all(&out)
        } else {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out).and_then(|()| stdout.flush())
        };
    }
}

/// Why the job is ending, and how far ending it has gone.
struct Ending {
    status: i32,
    since: Instant,
    killed: bool,
}

struct Job {
    tag_output: bool,
    /// The ranks' `LD_LIBRARY_PATH`, when shmpi's link directory is set up.
    library_path: Option<OsString>,
    ranks: Vec<Rank>,
    /// The process group of the ranks: rank 0's pid.
    group: Option<Pid>,
    streams: Vec<Stream>,
    ending: Option<Ending>,
    /// When the final `SIGKILL` went to the group (all ranks had exited).
    swept: Option<Instant>,
}

impl Job {
    fn new(tag_output: bool, library_path: Option<OsString>) -> Job {
        Job {
            tag_output,
            library_path,
            ranks: Vec::new(),
            group: None,
            streams: Vec::new(),
            ending: None,
            swept: None,
        }
    }

    /// Starts `rank`; returns once it has exec'd PROGRAM.
    fn start(
        &mut self,
        rank: usize,
        size: usize,
        cli: &Cli,
        memfd: &OwnedFd,
        setup: ChildSetup,
    ) -> std::io::Result<()> {
        let mut cmd = Command::new(&cli.program);
        // std opens /dev/null on any of fds 0-2 found closed at start-up, so
        // the memfd lies above them and survives the child's stdio dup2s.
        cmd.args(&cli.args)
            .env("SHMPI_RANK", rank.to_string())
            .env("SHMPI_SIZE", size.to_string())
            .env("SHMPI_FD", memfd.as_raw_fd().to_string())
            .env("PMI_RANK", rank.to_string())
            .env("PMI_SIZE", size.to_string())
            .process_group(self.group.map_or(0, Pid::as_raw));
        if let Some(path) = &self.library_path {
            cmd.env("LD_LIBRARY_PATH", path);
        }
        if rank != 0 || std::io::stdin().is_terminal() {
            cmd.stdin(Stdio::null());
        }
        if self.tag_output {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
        // SAFETY: `apply` makes only async-signal-safe system calls and does
        // not allocate, as required between fork and exec.
        unsafe {
            cmd.pre_exec(move || setup.apply());
        }
        let mut child = cmd.spawn()?;
        let pid = Pid::from_raw(child.id() as i32);
        self.group.get_or_insert(pid);
        self.ranks.push(Rank { pid, exit: None });
        if let Some(out) = child.stdout.take() {
            self.streams.push(Stream::new(out.into(), rank, false));
        }
        if let Some(err) = child.stderr.take() {
            self.streams.push(Stream::new(err.into(), rank, true));
        }
        Ok(())
    }

    /// Begins ending the job with `status`, saying why; does nothing if it
    /// is already ending.
    fn end(&mut self, status: i32, why: String) {
        if self.ending.is_some() {
            return;
        }
        // One write: ranks failing at this moment write their lines too.
        let _ = std::io::stderr().write_all(format!("shmrun: {why}\n").as_bytes());
        self.ending = Some(Ending {
            status,
            since: Instant::now(),
            killed: false,
        });
        if let Some(group) = self.group {
            let _ = killpg(group, Signal::SIGTERM);
        }
    }

    /// `SIGKILL` to the group and to every rank still running (in case one
    /// left the group).
    fn kill_all(&self) {
        if let Some(group) = self.group {
            let _ = killpg(group, Signal::SIGKILL);
        }
        for rank in self.ranks.iter().filter(|r| r.exit.is_none()) {
            let _ = kill(rank.pid, Signal::SIGKILL);
        }
    }

    fn all_exited(&self) -> bool {
        self.ranks.iter().all(|r| r.exit.is_some())
    }

    /// Records the exits that happened; the first failure ends the job.
    fn observe_exits(&mut self) {
        for r in 0..self.ranks.len() {
            if self.ranks[r].exit.is_some() {
                continue;
            }
            let Some(exit) = peek_exit(self.ranks[r].pid) else {
                continue;
            };
            self.ranks[r].exit = Some(exit);
            if !matches!(exit, Exit::Code(0)) {
                let why = format!(
                    "rank {r} (pid {}) {}; ending the job",
                    self.ranks[r].pid,
                    exit.describe()
                );
                self.end(exit.status(), why);
            }
        }
    }

    /// The event loop: runs until every rank has exited and its output is
    /// forwarded, then reaps the ranks and returns the job's exit status.
    fn supervise(&mut self, signals: &SignalFd, deadline: Option<(Instant, f64)>) -> i32 {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut scan = true;
        loop {
            if scan {
                scan = false;
                self.observe_exits();
            }
            let now = Instant::now();
            self.act_on_time(now, deadline);
            if self.swept.is_some() && self.streams.iter().all(|s| !s.open) {
                break;
            }
            // Past the grace, only what the pipes already hold is forwarded.
            let draining = self.swept.is_some_and(|t| now >= t + DRAIN_GRACE);

            let (signalled, readable) = self.wait(signals, self.poll_timeout(now, deadline));
            if signalled {
                while let Ok(Some(info)) = signals.read_signal() {
                    let sig = info.ssi_signo as i32;
                    if sig == libc::SIGCHLD {
                        scan = true;
                    } else {
                        let why = format!("interrupted ({}); ending the job", signal_name(sig));
                        self.end(128 + sig, why);
                    }
                }
            }
            if draining && readable.is_empty() {
                break;
            }
            for i in readable {
                self.streams[i].read_some(&mut chunk);
            }
        }

        for stream in self.streams.iter_mut().filter(|s| s.open) {
            stream.close();
        }
        for rank in &self.ranks {
            let _ = nix::sys::wait::waitpid(rank.pid, None);
        }
        self.ending.as_ref().map_or(0, |e| e.status)
    }

    /// The timed steps: the `--timeout` deadline, `SIGKILL` after the
    /// `SIGTERM` grace, and the sweep of the group once all ranks exited.
    fn act_on_time(&mut self, now: Instant, deadline: Option<(Instant, f64)>) {
        if let Some((at, secs)) = deadline {
            if now >= at {
                let why = format!("job timed out after {secs} s; ending it");
                self.end(TIMED_OUT, why);
            }
        }
        let all_exited = self.all_exited();
        if let Some(ending) = &self.ending {
            if !ending.killed && !all_exited && now >= ending.since + TERM_GRACE {
                self.kill_all();
                self.ending.as_mut().unwrap().killed = true;
            }
        }
        if all_exited && self.swept.is_none() {
            // Every rank is a zombie now; the group id is still ours.
            self.kill_all();
            self.swept = Some(now);
        }
    }

    /// How long to wait for events before the next timed step is due.
    fn poll_timeout(&self, now: Instant, deadline: Option<(Instant, f64)>) -> PollTimeout {
        let due = match &self.ending {
            None => deadline.map(|(at, _)| at),
            Some(e) if !e.killed && !self.all_exited() => Some(e.since + TERM_GRACE),
            Some(_) => None,
        };
        let drained = self.swept.map(|t| t + DRAIN_GRACE);
        match due.into_iter().chain(drained).min() {
            None => PollTimeout::NONE,
            Some(t) => {
                let ms = t.saturating_duration_since(now).as_micros().div_ceil(1000);
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
            }
        }
    }

    /// Waits for a signal or output; returns whether the signalfd is ready
    /// and which open streams are.
    fn wait(&mut self, signals: &SignalFd, timeout: PollTimeout) -> (bool, Vec<usize>) {
        let open: Vec<usize> = (0..self.streams.len())
            .filter(|&i| self.streams[i].open)
            .collect();
        let mut fds = Vec::with_capacity(open.len() + 1);
        fds.push(PollFd::new(signals.as_fd(), PollFlags::POLLIN));
        for &i in &open {
            fds.push(PollFd::new(self.streams[i].pipe.as_fd(), PollFlags::POLLIN));
        }
        let polled = poll(&mut fds, timeout);
        let ready: Vec<bool> = fds
            .iter()
            .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if let Err(e) = polled {
            if e != Errno::EINTR {
                // Cannot happen with valid descriptors; do not spin.
                self.end(1, format!("poll failed: {e}; ending the job"));
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let readable = open
            .into_iter()
            .zip(&ready[1..])
            .filter_map(|(i, &r)| r.then_some(i))
            .collect();
        (ready[0], readable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(args: &[&str]) -> Vec<String> {
        let argv = std::iter::once("shmrun")
            .chain(args.iter().copied())
            .map(OsString::from);
        mpirun_spelling(argv)
            .into_iter()
            .skip(1)
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn np_is_rewritten_before_program_only() {
        assert_eq!(spelled(&["-np", "3", "prog"]), ["--np", "3", "prog"]);
        assert_eq!(spelled(&["-np=3", "prog"]), ["--np=3", "prog"]);
        assert_eq!(spelled(&["-np3", "prog"]), ["--np=3", "prog"]);
        assert_eq!(
            spelled(&["--tag-output", "-np", "2", "prog", "-np", "5"]),
            ["--tag-output", "--np", "2", "prog", "-np", "5"]
        );
        assert_eq!(
            spelled(&["-n", "-np", "prog", "-np"]),
            ["-n", "-np", "prog", "-np"]
        );
        assert_eq!(spelled(&["--", "-np", "x"]), ["--", "-np", "x"]);
        assert_eq!(
            spelled(&["--timeout", "2", "-np", "2", "p"]),
            ["--timeout", "2", "--np", "2", "p"]
        );
    }

    #[test]
    fn program_flags_are_passed_through() {
        let cli = Cli::try_parse_from(mpirun_spelling(
            [
                "shmrun",
                "-np",
                "2",
                "sh",
                "-c",
                "echo -x",
                "--tag-output",
                "-n",
                "5",
            ]
            .map(OsString::from),
        ))
        .unwrap();
        assert_eq!(cli.np, 2);
        assert!(!cli.tag_output);
        assert_eq!(cli.program, "sh");
        assert_eq!(cli.args, ["-c", "echo -x", "--tag-output", "-n", "5"]);
    }

    #[test]
    fn timeout_must_be_positive() {
        assert_eq!(parse_secs("1.5"), Ok(1.5));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("nan").is_err());
        assert!(parse_secs("x").is_err());
    }

    #[test]
    fn open_mpi_libraries_are_told_from_mpich() {
        for name in [
            "libmpi.so.40",
            "libmpi.so.20",
            "libopen-rte.so.12",
            "libmpi_cxx.so.40",
        ] {
            assert!(is_open_mpi(name), "{name}");
        }
        for name in [
            "libmpi.so.12",
            "libmpich.so.12",
            "libc.so.6",
            "libmpi.so.400",
        ] {
            assert!(!is_open_mpi(name), "{name}");
        }
    }

    #[test]
    fn needed_of_this_test_binary() {
        let me = std::env::current_exe().unwrap();
        let needed = needed_libraries(&me).unwrap();
        assert!(
            needed.iter().any(|n| n.starts_with("libc.so")),
            "{needed:?}"
        );
        // A script is not ELF: not checked.
        assert_eq!(needed_libraries(Path::new("/bin/sh")).map(|_| ()), Some(()));
        let script = std::env::temp_dir().join(format!("shmrun-script-{}", std::process::id()));
        std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
        assert_eq!(needed_libraries(&script), None);
        std::fs::remove_file(&script).unwrap();
        assert_eq!(needed_libraries(Path::new("/nonexistent/program")), None);
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(11), "SIGSEGV");
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(libc::SIGRTMIN() + 2), "SIGRTMIN+2");
    }
}
