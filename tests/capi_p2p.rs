//! Point to point through the C interface beyond the basics: the send
//! modes, matched probes, Sendrecv_replace, the large-count forms,
//! persistent requests and status setters (tests/c/p2p_modes.c), under
//! the default protocols and under variants that force streaming and
//! rendezvous for large messages; argument checks and the reports of
//! failed operations (tests/c/p2p_checks.c).

mod common;

use common::cprog::check;

/// The tests of this file run one at a time: `cprog::run` relinks the
/// library directory, which two threads of one process must not do at once
/// (and `p2p_modes` changes the environment).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn p2p_modes() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for out in check("p2p_modes", &[1, 2, 4, 8]) {
        assert!(out.contains("p2p_modes ok on"), "{out}");
    }
    // The variants run in this one test: they change the environment
    // shmrun (and so every rank) inherits.
    let variants: &[&[(&str, &str)]] = &[
        &[("SHMPI_NO_CMA", "1")],
        &[("SHMPI_EAGER_MAX", "0"), ("SHMPI_CMA_MIN", "1")],
        &[("SHMPI_EAGER_MAX", "0"), ("SHMPI_NO_CMA", "1")],
    ];
    for vars in variants {
        for (k, v) in *vars {
            std::env::set_var(k, v);
        }
        for out in check("p2p_modes", &[2, 3]) {
            assert!(out.contains("p2p_modes ok on"), "{vars:?}: {out}");
        }
        for (k, _) in *vars {
            std::env::remove_var(k);
        }
    }
}

#[test]
fn p2p_checks() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for out in check("p2p_checks", &[1, 2, 4, 8]) {
        assert!(out.contains("p2p_checks ok on"), "{out}");
    }
}

#[test]
fn ssend_without_receive_is_a_deadlock_naming_the_send() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let prog = common::cprog::compile("p2p_ssend_deadlock", &[]);
    let o = common::cprog::run(&prog, 2, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stdout}\n{stderr}");
    assert!(!stdout.contains("Ssend completed"), "{stdout}");
    assert!(
        stderr.contains("deadlock") && stderr.contains("rank 0 waits in send to rank 1 (tag 0)"),
        "{stderr}"
    );
}
