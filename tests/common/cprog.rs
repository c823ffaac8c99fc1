//! C test programs: compile a C file of `tests/c/` with this build's
//! `shmpicc`, run it under this build's `shmrun` at several sizes, check it
//! passed.
//!
//! A C test program checks its own results and exits non-zero (or aborts)
//! when one is wrong; it prints what it checked. Finding the C library is
//! the wrappers' job, as for any user: shmpicc links through the
//! `shmpi-lib/` directory beside it, and shmrun puts that directory first
//! in the ranks' `LD_LIBRARY_PATH` (see `bin/c_library.rs`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// The shmrun of this build.
pub fn shmrun() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shmrun"))
}

/// The C library of this build (the newer of the uplifted and deps copies).
pub fn library() -> PathBuf {
    let dir = shmrun().parent().unwrap().to_path_buf();
    let candidates = [
        dir.join("libshmpi.so"),
        dir.join("deps").join("libshmpi.so"),
    ];
    candidates
        .iter()
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p.clone())))
        .max()
        .map(|(_, p)| p)
        .expect("libshmpi.so is built with the crate (crate-type cdylib)")
}

/// Compiles `tests/c/<name>.c` (with `extra` compiler arguments) and returns the program.
pub fn compile(name: &str, extra: &[&str]) -> PathBuf {
    let _g = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/c")
        .join(format!("{name}.c"));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c-{name}"));
    let o = Command::new(env!("CARGO_BIN_EXE_shmpicc"))
        .arg("-std=c11")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-O1")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .arg("-lm")
        .args(extra)
        .output()
        .expect("shmpicc of this build");
    assert!(
        o.status.success(),
        "compiling {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Runs `prog` under shmrun with `n` ranks (and `args`).
pub fn run(prog: &Path, n: usize, args: &[&str]) -> Output {
    Command::new(shmrun())
        .args(["--timeout", "60", "-n", &n.to_string()])
        .arg(prog)
        .args(args)
        .output()
        .unwrap()
}

/// Compiles `tests/c/<name>.c` and runs it at each of `sizes`, requiring
/// success; returns the outputs.
pub fn check(name: &str, sizes: &[usize]) -> Vec<String> {
    let prog = compile(name, &[]);
    sizes
        .iter()
        .map(|&n| {
            let o = run(&prog, n, &[]);
            let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
            assert!(
                o.status.success(),
                "{name} at n = {n} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
                o.status,
                String::from_utf8_lossy(&o.stderr)
            );
            stdout
        })
        .collect()
}
