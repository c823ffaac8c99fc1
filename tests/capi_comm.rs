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

#[test]
fn errors_tied_to_no_object() {
    for out in check("errors_no_object", &[1, 2]) {
        assert!(out.contains("errors_no_object ok on"), "{out}");
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

/// Ranks failing at the same moment (errors after MPI_Finalize, where
/// MPI_ERRORS_ARE_FATAL applies) each write whole lines that name their
/// rank: the lines of two ranks never mix.
#[test]
fn fatal_lines_of_ranks_do_not_mix() {
    let prog = compile("errhandler", &[]);
    for _ in 0..5 {
        let o = run(&prog, 8, &["after"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "the job succeeded:\n{stderr}");
        assert!(!stderr.contains("still running"), "{stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("shmpi:")).collect();
        assert!(!lines.is_empty(), "{stderr}");
        for l in lines {
            let rest = l
                .strip_prefix("shmpi: rank ")
                .unwrap_or_else(|| panic!("{l}"));
            let (rank, rest) = rest.split_once(": ").unwrap_or_else(|| panic!("{l}"));
            assert!(rank.parse::<usize>().is_ok_and(|r| r < 8), "{l}");
            assert_eq!(
                rest, "MPI_Comm_size: MPI has been finalized in this process (MPI_ERR_OTHER)",
                "one whole line per rank"
            );
        }
    }
}
