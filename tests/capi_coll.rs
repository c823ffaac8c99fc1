//! Blocking collectives and reductions through the C interface
//! (tests/c/coll.c, tests/c/coll_ops.c) at n = 1, 2, 4, 8.

mod common;

use common::cprog::check;

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
