//! Virtual topologies through the C interface: MPI_Dims_create (the rest
//! of the family is not supported yet; tests/exports.rs checks its stubs).

#[allow(unused_macros)] // test_name!: for the job tests, not used here
mod common;

use common::cprog::check;

#[test]
fn dims_create() {
    for (out, n) in check("dims_create", &[1, 2, 4, 6]).iter().zip([1, 2, 4, 6]) {
        for r in 0..n {
            assert!(
                out.contains(&format!("dims_create ok on rank {r} of {n}")),
                "{out}"
            );
        }
    }
}
