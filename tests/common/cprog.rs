//! C test programs: compile a C file of `tests/c/` against shmpi's header
//! and library, run it under `shmrun` at several sizes, check it passed.
//!
//! A C test program checks its own results and exits non-zero (or aborts)
//! when one is wrong; it prints what it checked. The library is the
//! cdylib cargo built for this test run (`target/<profile>/deps` or its
//! uplifted copy, whichever is newer); the program finds it through a
//! directory of symlinks named as MPI programs expect (`libmpi.so.12`,
//! `libmpich.so.12`), passed by `LD_LIBRARY_PATH`.

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

/// A directory with `libmpi.so`, `libmpi.so.12` and `libmpich.so.12` linking to the library.
pub fn lib_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(make_lib_dir).clone()
}

fn make_lib_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shmpi-test-lib");
    std::fs::create_dir_all(&dir).unwrap();
    let lib = library();
    for name in ["libmpi.so", "libmpi.so.12", "libmpich.so.12"] {
        let link = dir.join(name);
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&lib, &tmp).unwrap();
        std::fs::rename(&tmp, &link).unwrap();
    }
    dir
}

/// The header directory.
pub fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/capi/include")
}

/// Compiles `tests/c/<name>.c` (with `extra` compiler arguments) and returns the program.
pub fn compile(name: &str, extra: &[&str]) -> PathBuf {
    let _g = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/c")
        .join(format!("{name}.c"));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c-{name}"));
    let lib = lib_dir();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let o = Command::new(&cc)
        .arg("-std=c11")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-O1")
        .arg("-I")
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib.display()))
        .arg("-lmpi")
        .arg("-lm")
        .args(extra)
        .output()
        .expect("a C compiler (cc)");
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
        .env("LD_LIBRARY_PATH", lib_dir())
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
