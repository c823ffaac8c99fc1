//! Groups, communicators, info objects and error handlers through the C
//! interface (tests/c/{groups,comms,info,errhandler}.c).

#[allow(unused_macros)]
mod common;

use common::cprog::{check, compile, run};

/// One test at a time: `cprog::lib_dir` (called by `run`) renames a
/// symlink whose temporary name is per process, not per thread, so
/// parallel tests of one binary can race on it.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn groups() {
    let _g = serial();
    for out in check("groups", &[1, 2, 4, 8]) {
        assert!(out.contains("groups ok on"), "{out}");
    }
}

#[test]
fn comms() {
    let _g = serial();
    for out in check("comms", &[1, 2, 4, 8]) {
        assert!(out.contains("comms ok on"), "{out}");
    }
}

#[test]
fn info() {
    let _g = serial();
    for out in check("info", &[1, 2, 4, 8]) {
        assert!(out.contains("info ok on"), "{out}");
    }
}

#[test]
fn errhandler() {
    let _g = serial();
    for out in check("errhandler", &[1, 2, 4, 8]) {
        assert!(out.contains("errhandler ok on"), "{out}");
    }
}

/// Runs the errhandler program in `mode` and checks that the job ended
/// with one line from rank 0 naming `call` and `class`.
fn fatal_ends_job(mode: &str, call: &str, class: &str) {
    let _g = serial();
    let prog = compile("errhandler", &[]);
    for n in [1, 2, 4, 8] {
        let o = run(&prog, n, &[mode]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success(),
            "{mode} at n = {n}: the job succeeded:\n{stderr}"
        );
        assert!(
            !stderr.contains("still running"),
            "{mode} at n = {n}:\n{stderr}"
        );
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("shmpi:")).collect();
        assert_eq!(
            lines.len(),
            1,
            "{mode} at n = {n}: one line from shmpi:\n{stderr}"
        );
        let l = lines[0];
        assert!(
            l.contains("rank 0") && l.contains(call) && l.contains(class),
            "{mode} at n = {n}: the line names rank 0, {call} and {class}: {l}"
        );
    }
}

#[test]
fn errors_are_fatal_ends_the_job() {
    fatal_ends_job("fatal", "MPI_Send", "MPI_ERR_RANK");
}

#[test]
fn call_errhandler_fatal_ends_the_job() {
    fatal_ends_job("call", "MPI_Comm_call_errhandler", "MPI_ERR_TRUNCATE");
}
