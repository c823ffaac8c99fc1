//! The C interface, through C programs (tests/c/*.c) run under shmrun.

mod common;

use common::cprog::{check, compile, run};

#[test]
fn p2p_basic() {
    for out in check("p2p_basic", &[1, 2, 4, 8]) {
        assert!(out.contains("p2p_basic ok on"), "{out}");
    }
}

#[test]
fn env_attr() {
    for out in check("env_attr", &[1, 2, 4]) {
        assert!(out.contains("env_attr ok on"), "{out}");
    }
}

/// A rank that returns from main without MPI_Finalize while the others
/// finalize: the job ends with the deadlock diagnosis naming it, instead of
/// hanging in MPI_Finalize's barrier. When no rank finalizes, nobody waits
/// and the job succeeds (as with MPICH).
#[test]
fn a_rank_skipping_finalize_is_diagnosed() {
    let prog = compile("env_attr", &[]);
    for n in [2, 4] {
        let started = std::time::Instant::now();
        let o = run(&prog, n, &["skip_finalize"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(86), "n = {n}:\n{stderr}");
        assert!(
            stderr.contains(&format!("rank {} exited without finalizing", n - 1)),
            "n = {n}:\n{stderr}"
        );
        assert!(
            started.elapsed().as_secs() < 30,
            "n = {n}: took {:?}",
            started.elapsed()
        );
        let o = run(&prog, n, &["no_finalize"]);
        assert!(
            o.status.success(),
            "n = {n}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
