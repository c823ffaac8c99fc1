//! Cross-memory attach: copying straight from another rank's address space
//! with `process_vm_readv`, one copy for a message of any size.
//!
//! The kernel allows it between processes of the same user unless Yama's
//! `ptrace_scope` forbids it (scope 1 lets only ancestors read a process,
//! unless the process names a reader with `PR_SET_PTRACER`; scope 2 and 3
//! need privilege) or a seccomp policy blocks the call. Each rank calls
//! [`allow_siblings`] at start-up, and the launcher calls [`probe`] once per
//! job between two of its children; the segment records the answer, and
//! the engine streams large messages through the rings when it is no.

use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use std::io::IoSliceMut;

/// Lets any process of this user read this one (Yama scope 1). Harmless
/// where Yama is absent.
pub fn allow_siblings() {
    // SAFETY: prctl with PR_SET_PTRACER takes integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY, 0, 0, 0);
    }
}

/// Copies `dst.len()` bytes from address `addr` of process `pid`.
pub fn read_from(pid: u32, addr: u64, dst: &mut [u8]) -> std::io::Result<()> {
    let mut done = 0;
    while done < dst.len() {
        let remote = [RemoteIoVec {
            base: addr as usize + done,
            len: dst.len() - done,
        }];
        let mut local = [IoSliceMut::new(&mut dst[done..])];
        match process_vm_readv(Pid::from_raw(pid as i32), &mut local, &remote) {
            Ok(0) => return Err(std::io::Error::other("process_vm_readv copied nothing")),
            Ok(n) => done += n,
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Whether a child of this process can read a sibling child's memory. Forks
/// two short-lived children; takes about a millisecond.
pub fn probe() -> bool {
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::{fork, pipe, read, write, ForkResult};
    static MARK: u64 = 0x5348_4d50_4943_4d41;
    let Ok((r, w)) = pipe() else { return false };
    // SAFETY: the child only calls async-signal-safe functions (prctl, read, _exit).
    let target = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            allow_siblings();
            let mut b = [0u8; 1];
            let _ = read(std::os::fd::AsRawFd::as_raw_fd(&r), &mut b);
            // SAFETY: _exit is async-signal-safe and skips atexit handlers.
            unsafe { libc::_exit(0) }
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(_) => return false,
    };
    // SAFETY: as above; the reader child calls process_vm_readv and _exit.
    let reader = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let mut buf = [0u8; 8];
            let ok = read_from(target.as_raw() as u32, &MARK as *const u64 as u64, &mut buf)
                .is_ok()
                && u64::from_ne_bytes(buf) == MARK;
            // SAFETY: as above.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        Ok(ForkResult::Parent { child }) => Some(child),
        Err(_) => None,
    };
    let ok = reader.is_some_and(|c| matches!(waitpid(c, None), Ok(WaitStatus::Exited(_, 0))));
    let _ = write(&w, &[0u8]);
    drop(w);
    let _ = waitpid(target, None);
    ok
}
