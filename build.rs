//! Gives the C library (the cdylib, `libshmpi.so`) the SONAME of MPICH's
//! binary interface, so that programs linked against it record
//! `libmpi.so.12`, as programs built with MPICH do.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmpi.so.12");
    println!("cargo:rerun-if-changed=build.rs");
}
