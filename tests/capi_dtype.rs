//! Datatypes through the C interface (tests/c/datatypes.c) under shmrun.

mod common;

use common::cprog::check;

#[test]
fn datatypes() {
    let sizes = [1, 2, 4, 8];
    for (out, n) in check("datatypes", &sizes).iter().zip(sizes) {
        for r in 0..n {
            let line = format!("datatypes ok on rank {r} of {n}\n");
            assert!(out.contains(&line), "missing {line:?} in:\n{out}");
        }
    }
}
