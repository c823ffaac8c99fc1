//! The C interface, through C programs (tests/c/*.c) run under shmrun.

mod common;

use common::cprog::check;

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
