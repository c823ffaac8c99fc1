//! Point to point through the C interface beyond the basics: the send
//! modes, matched probes, Sendrecv_replace, the large-count forms,
//! persistent requests and status setters (tests/c/p2p_modes.c), under
//! the default protocols and under variants that force streaming and
//! rendezvous for large messages.

mod common;

use common::cprog::check;

#[test]
fn p2p_modes() {
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
