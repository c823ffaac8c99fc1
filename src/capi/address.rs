//! Address arithmetic: MPI_Aint_add and MPI_Aint_diff.
//!
//! Addresses are plain integers on the machines shmpi runs on (one flat
//! address space), so both are wrapping integer arithmetic, as in MPICH.

use super::mpi_fn;

mpi_fn! {
    fn MPI_Aint_add / PMPI_Aint_add(base: isize, disp: isize) -> isize {
        base.wrapping_add(disp)
    }
}

mpi_fn! {
    fn MPI_Aint_diff / PMPI_Aint_diff(addr1: isize, addr2: isize) -> isize {
        addr1.wrapping_sub(addr2)
    }
}
