//! Groups, communicators, info objects and error handlers through the C
//! interface (tests/c/{groups,comms,info,errhandler}.c).

#[allow(unused_macros)]
mod common;

use common::cprog::{check, compile, run};

#[test]
fn groups() {
    for out in check("groups", &[1, 2, 4, 8]) {
        assert!(out.contains("groups ok on"), "{out}");
    }
}

#[test]
fn comms() {
    for out in check("comms", &[1, 2, 4, 8]) {
        assert!(out.contains("comms ok on"), "{out}");
    }
}

#[test]
fn info() {
    for out in check("info", &[1, 2, 4, 8]) {
        assert!(out.contains("info ok on"), "{out}");
    }
}

#[test]
fn errhandler() {
    for out in check("errhandler", &[1, 2, 4, 8]) {
        assert!(out.contains("errhandler ok on"), "{out}");
    }
}

/// Runs the errhandler program in `mode` and checks that the job ended
/// with one line from rank 0 naming `call` and `class`.
fn fatal_ends_job(mode: &str, call: &str, class: &str) {
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
