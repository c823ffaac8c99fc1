//! Groups, communicators, info objects and error handlers through the C
//! interface (tests/c/{groups,comms,info,errhandler}.c).

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
