//! `shmpicc`: compiles and links a C program against shmpi, as MPICH's
//! `mpicc` does against MPICH. See `wrapper/mod.rs`.

#[path = "c_library.rs"]
mod c_library;
#[path = "wrapper/mod.rs"]
mod wrapper;

fn main() {
    wrapper::main(wrapper::Language::C)
}
