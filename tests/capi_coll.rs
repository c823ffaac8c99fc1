//! Blocking collectives and reductions through the C interface
//! (tests/c/coll.c, tests/c/coll_ops.c) at n = 1, 2, 4, 8.

mod common;

use common::cprog::{check, compile, run};

#[test]
fn collectives() {
    for (out, n) in check("coll", &[1, 2, 4, 8]).iter().zip([1, 2, 4, 8]) {
        assert_eq!(out.matches("coll ok on rank").count(), n, "{out}");
    }
}

#[test]
fn reductions() {
    for (out, n) in check("coll_ops", &[1, 2, 4, 8]).iter().zip([1, 2, 4, 8]) {
        assert_eq!(out.matches("coll_ops ok on rank").count(), n, "{out}");
    }
}

/// Runs coll_ops in a fatal `mode` (every rank makes the same bad call
/// under MPI_ERRORS_ARE_FATAL): the job fails, and every rank's line
/// (never mixed with another's, though they fail at once) names the rank,
/// `call`, what is wrong and `class`.
fn fatal_lines(mode: &str, call: &str, what: &str, class: &str) {
    let prog = compile("coll_ops", &[]);
    for n in [1, 2, 4, 8] {
        let o = run(&prog, n, &[mode]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{mode} at n = {n}:\n{stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("shmpi:")).collect();
        assert!(!lines.is_empty(), "{mode} at n = {n}:\n{stderr}");
        for l in lines {
            let rest = l.strip_prefix("shmpi: rank ").unwrap_or("");
            let (r, msg) = rest.split_once(": ").unwrap_or(("", ""));
            assert!(
                r.parse::<usize>().is_ok_and(|r| r < n)
                    && msg.starts_with(&format!("{call}: "))
                    && msg.contains(what)
                    && msg.ends_with(&format!("({class})")),
                "{mode} at n = {n}: a malformed line: {l:?}\n{stderr}"
            );
        }
    }
}

#[test]
fn fatal_bad_root_lines_do_not_mix() {
    fatal_lines(
        "bad-root",
        "MPI_Bcast",
        "outside the communicator",
        "MPI_ERR_ROOT",
    );
}

#[test]
fn fatal_in_place_receive_buffer() {
    fatal_lines(
        "in-place-recvbuf",
        "MPI_Allreduce",
        "MPI_IN_PLACE is not allowed as recvbuf",
        "MPI_ERR_BUFFER",
    );
}
