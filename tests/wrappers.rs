//! Tests of the compiler wrappers (`shmpicc`, `shmpicxx`) and of how
//! `shmrun` makes C programs load shmpi's library: the commands the
//! wrappers print and run, the `shmpi-lib/` link directory, linking and
//! CMake's FindMPI, and shmrun's refusal of Open MPI programs.
//!
//! None of these needs shmpi's C entry points: a test that links a program
//! does so in a scratch installed layout (`bin/` with a copy of the
//! wrapper and a stub `libshmpi.so`, `include/mpi.h` declaring the stub's
//! two functions), so it checks the wrapper, not the library.
//! `tests/c_examples.rs` builds and runs real programs against the real
//! library. Tests that need a tool that is missing (cc, cmake, Open MPI)
//! print a note and return.

mod c_tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use c_tools::*;

// ------------------------------------------------------ printed commands

#[test]
fn show_prints_the_whole_command() {
    let bin = bin_dir();
    assert_eq!(
        line(&mut command(
            SHMPICC,
            &["-show", "-o", "prog", "prog.c", "-O2"]
        )),
        format!(
            "cc -o prog prog.c -O2 {} {}",
            include_flag(),
            link_flags(&bin)
        )
    );
    assert_eq!(
        line(&mut command(SHMPICXX, &["-show", "-o", "prog", "prog.cc"])),
        format!(
            "c++ -o prog prog.cc {} {}",
            include_flag(),
            link_flags(&bin)
        )
    );
    // Open MPI's spelling; an argument that needs quoting is quoted.
    assert_eq!(
        line(&mut command(SHMPICC, &["-showme", "-DNAME=a b", "p.c"])),
        format!(
            "cc '-DNAME=a b' p.c {} {}",
            include_flag(),
            link_flags(&bin)
        )
    );
}

#[test]
fn compile_info_and_link_info() {
    let bin = bin_dir();
    for option in ["-compile_info", "-compile-info"] {
        assert_eq!(
            line(&mut command(SHMPICC, &[option])),
            format!("cc {}", include_flag()),
            "{option}"
        );
    }
    for option in ["-link_info", "-link-info"] {
        assert_eq!(
            line(&mut command(SHMPICC, &[option])),
            format!("cc {} {}", include_flag(), link_flags(&bin)),
            "{option}"
        );
    }
    for option in ["-showme:compile", "-show-compile-info"] {
        assert_eq!(line(&mut command(SHMPICC, &[option])), include_flag());
    }
    for option in ["-showme:link", "-show-link-info"] {
        assert_eq!(line(&mut command(SHMPICC, &[option])), link_flags(&bin));
    }
    assert_eq!(
        line(&mut command(SHMPICC, &["-showme:incdirs"])),
        format!("{}/src/capi/include", env!("CARGO_MANIFEST_DIR"))
    );
    assert_eq!(
        line(&mut command(SHMPICC, &["-showme:libdirs"])),
        bin.join("shmpi-lib").display().to_string()
    );
    assert_eq!(line(&mut command(SHMPICC, &["-showme:libs"])), "mpi");
}

#[test]
fn compile_only_flags_add_no_link_flags() {
    for flag in ["-c", "-S", "-E"] {
        assert_eq!(
            line(&mut command(SHMPICC, &["-show", flag, "prog.c"])),
            format!("cc {flag} prog.c {}", include_flag()),
            "{flag}"
        );
    }
}

#[test]
fn no_arguments_is_an_error() {
    let out = output(&mut command(SHMPICC, &[]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("usage: shmpicc"), "{}", stderr(&out));
}

// ------------------------------------------------------ the compiler

#[test]
fn cc_and_mpich_cc_choose_the_compiler() {
    let bin = bin_dir();
    let flags = format!("{} {}", include_flag(), link_flags(&bin));
    // With CC=echo the "compilation" prints the arguments it was given.
    assert_eq!(
        line(command(SHMPICC, &["-o", "p", "p.c"]).env("CC", "echo")),
        format!("-o p p.c {flags}")
    );
    // A value with options; MPICH_CC before CC; -cc= before both.
    assert_eq!(
        line(command(SHMPICC, &["-show", "p.c"]).env("CC", "gcc -m64")),
        format!("gcc -m64 p.c {flags}")
    );
    assert_eq!(
        line(
            command(SHMPICC, &["-show", "p.c"])
                .env("CC", "gcc")
                .env("MPICH_CC", "clang")
        ),
        format!("clang p.c {flags}")
    );
    assert_eq!(
        line(
            command(SHMPICC, &["-show", "-cc=tcc", "p.c"])
                .env("CC", "gcc")
                .env("MPICH_CC", "clang")
        ),
        format!("tcc p.c {flags}")
    );
    // shmpicxx reads CXX and MPICH_CXX, not CC.
    assert_eq!(
        line(
            command(SHMPICXX, &["-show", "p.cc"])
                .env("CC", "gcc")
                .env("CXX", "g++")
        ),
        format!("g++ p.cc {flags}")
    );
    assert_eq!(
        line(command(SHMPICXX, &["-show", "p.cc"]).env("MPICH_CXX", "clang++")),
        format!("clang++ p.cc {flags}")
    );
    // `export CC=shmpicc` must not make the wrapper run itself.
    assert_eq!(
        line(command(SHMPICC, &["-show", "p.c"]).env("CC", SHMPICC)),
        format!("cc p.c {flags}")
    );
}

#[test]
fn the_compilers_exit_status_is_the_wrappers() {
    let dir = scratch("status");
    let fake = dir.join("fake-cc");
    write_script(&fake, "#!/bin/sh\necho \"fake-cc $*\" >&2\nexit 3\n");
    let out = output(command(SHMPICC, &["-c", "p.c"]).env("CC", &fake));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        format!("fake-cc -c p.c {}", include_flag())
    );
    let out = output(command(SHMPICC, &["-c", "p.c"]).env("CC", "/nonexistent/cc"));
    assert_eq!(out.status.code(), Some(127));
    assert!(
        stderr(&out).contains("shmpicc: cannot run the compiler /nonexistent/cc"),
        "{}",
        stderr(&out)
    );
}

// ------------------------------------------------------ shmpi-lib

/// The target of each link in `dir/shmpi-lib`.
fn links(bin: &Path) -> Vec<PathBuf> {
    ["libmpi.so", "libmpi.so.12", "libmpich.so.12"]
        .iter()
        .map(|name| {
            fs::read_link(bin.join("shmpi-lib").join(name))
                .unwrap_or_else(|e| panic!("shmpi-lib/{name}: {e}"))
        })
        .collect()
}

#[test]
fn shmpi_lib_links_point_at_the_newest_library() {
    let root = scratch("libdir");
    let bin = root.join("bin");
    let shmpicc = install(SHMPICC, &bin);
    let uplifted = bin.join("libshmpi.so");
    let in_deps = bin.join("deps/libshmpi.so");

    // No library: a link fails and says why; -show still prints.
    let out = output(&mut command(&shmpicc, &["-o", "p", "p.c"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("shmpi's C library (libshmpi.so) is not in"),
        "{}",
        stderr(&out)
    );
    assert!(output(&mut command(&shmpicc, &["-show", "p.c"]))
        .status
        .success());

    // Only deps/ has it (as after `cargo test`).
    fs::create_dir_all(bin.join("deps")).unwrap();
    fs::write(&in_deps, "deps").unwrap();
    line(&mut command(&shmpicc, &["-showme:link"]));
    assert_eq!(links(&bin), vec![in_deps.clone(); 3]);

    // A newer uplifted copy wins; an older one does not.
    fs::write(&uplifted, "uplifted").unwrap();
    set_mtime(&uplifted, Duration::from_secs(3600));
    line(&mut command(&shmpicc, &["-showme:link"]));
    assert_eq!(links(&bin), vec![in_deps.clone(); 3]);
    set_mtime(&in_deps, Duration::from_secs(7200));
    line(&mut command(&shmpicc, &["-showme:link"]));
    assert_eq!(links(&bin), vec![uplifted.clone(); 3]);

    // A link pointing elsewhere, or missing, is put right.
    let lib = bin.join("shmpi-lib");
    fs::remove_file(lib.join("libmpich.so.12")).unwrap();
    fs::remove_file(lib.join("libmpi.so.12")).unwrap();
    std::os::unix::fs::symlink("/elsewhere", lib.join("libmpi.so.12")).unwrap();
    line(&mut command(&shmpicc, &["-showme:link"]));
    assert_eq!(links(&bin), vec![uplifted.clone(); 3]);
    // No temporary names are left behind.
    let mut names: Vec<String> = fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["libmpi.so", "libmpi.so.12", "libmpich.so.12"]);

    // shmrun sets the same directory up.
    let shmrun = install(SHMRUN, &bin);
    fs::remove_dir_all(&lib).unwrap();
    let out = line(
        command(
            &shmrun,
            &["-n", "1", "sh", "-c", "echo \"$LD_LIBRARY_PATH\""],
        )
        .env_remove("LD_LIBRARY_PATH"),
    );
    assert_eq!(out, lib.display().to_string());
    assert_eq!(links(&bin), vec![uplifted; 3]);
}

#[test]
fn an_installed_layout_uses_the_include_beside_bin() {
    let root = scratch("installed");
    let shmpicc = install(SHMPICC, &root.join("bin"));
    fs::create_dir_all(root.join("include")).unwrap();
    fs::write(root.join("include/mpi.h"), "").unwrap();
    assert_eq!(
        line(&mut command(&shmpicc, &["-showme:compile"])),
        format!("-I{}", root.join("include").display())
    );
}

// ------------------------------------------------------ shmrun

#[test]
fn shmrun_puts_shmpi_lib_first_in_ld_library_path() {
    let bin = bin_dir();
    let lib = bin.join("shmpi-lib");
    let out = line(
        command(
            SHMRUN,
            &[
                "--tag-output",
                "-n",
                "2",
                "sh",
                "-c",
                "echo \"$LD_LIBRARY_PATH\"",
            ],
        )
        .env("LD_LIBRARY_PATH", "/opt/before"),
    );
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    let want = format!("{}:/opt/before", lib.display());
    assert_eq!(lines, [format!("[0] {want}"), format!("[1] {want}")]);
    // They point at the library cargo built for this test run.
    let library = fs::canonicalize(lib.join("libmpi.so.12")).unwrap();
    assert!(library.ends_with("libshmpi.so"), "{}", library.display());
}

#[test]
fn shmrun_without_a_library_sets_nothing() {
    let root = scratch("nolib");
    let shmrun = install(SHMRUN, &root.join("bin"));
    let out = line(
        command(&shmrun, &["sh", "-c", "echo \"[$LD_LIBRARY_PATH]\""])
            .env_remove("LD_LIBRARY_PATH"),
    );
    assert_eq!(out, "[]");
    assert!(!root.join("bin/shmpi-lib").exists());
}

/// A program linked against Open MPI's `libmpi.so.40`, built with
/// `mpicc.openmpi`, or with cc straight against the library; `None` when
/// neither is installed.
fn open_mpi_program(dir: &Path) -> Option<PathBuf> {
    let source = dir.join("ompi.c");
    fs::write(
        &source,
        "int MPI_Init(int *, char ***);\nint MPI_Finalize(void);\n\
         int main(int c, char **v) { MPI_Init(&c, &v); return MPI_Finalize(); }\n",
    )
    .unwrap();
    let program = dir.join("ompi");
    let library = Path::new("/usr/lib/x86_64-linux-gnu/libmpi.so.40");
    let mut cmd = if have("mpicc.openmpi") {
        let mut cmd = Command::new("mpicc.openmpi");
        cmd.arg("-o").arg(&program).arg(&source);
        cmd
    } else if library.exists() && have("cc") {
        let mut cmd = Command::new("cc");
        cmd.arg("-o").arg(&program).arg(&source).arg(library);
        cmd
    } else {
        return None;
    };
    let out = output(&mut cmd);
    assert!(out.status.success(), "{cmd:?}: {}", stderr(&out));
    Some(program)
}

#[test]
fn shmrun_refuses_open_mpi_programs() {
    let dir = scratch("openmpi");
    let Some(program) = open_mpi_program(&dir) else {
        eprintln!(
            "note: Open MPI is not installed; shmrun_refuses_open_mpi_programs checks nothing"
        );
        return;
    };
    let check = |out: Output, shown: &str| {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(stdout(&out), "", "no rank started");
        assert_eq!(
            stderr(&out),
            format!(
                "shmrun: {shown} is linked against Open MPI (libmpi.so.40); shmpi runs \
                 programs built for the MPICH ABI: rebuild it with shmpicc (or MPICH's mpicc)\n"
            )
        );
    };
    let path = program.display().to_string();
    check(output(&mut command(SHMRUN, &["-n", "4", &path])), &path);
    // Found through PATH, as exec finds it.
    let search = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    check(
        output(command(SHMRUN, &["-n", "2", "ompi"]).env("PATH", search)),
        "ompi",
    );
}

// ------------------------------------------------------ linking

/// The stub library's source: the two calls a minimal MPI program (and
/// CMake's FindMPI test program) makes.
const STUB_LIBRARY: &str = r#"
#include <stdio.h>
int MPI_Init(int *argc, char ***argv) { (void)argc; (void)argv; puts("stub MPI_Init"); return 0; }
int MPI_Finalize(void) { puts("stub MPI_Finalize"); return 0; }
"#;

/// The stub's header: declarations of those two calls, and the version
/// macros FindMPI reads.
const STUB_HEADER: &str = "#define MPI_VERSION 3\n#define MPI_SUBVERSION 1\n\
    int MPI_Init(int *, char ***);\nint MPI_Finalize(void);\n";

const PROGRAM: &str = "#include <mpi.h>\n\
    int main(int argc, char **argv) { MPI_Init(&argc, &argv); return MPI_Finalize(); }\n";

/// A scratch installed layout: `bin/shmpicc` (a copy), `bin/libshmpi.so`
/// (the stub, SONAME libmpi.so.12, as the real one), `include/mpi.h`.
/// Returns the copy of shmpicc, or `None` without a C compiler.
fn stub_layout(name: &str) -> Option<(PathBuf, PathBuf)> {
    if !have("cc") {
        eprintln!("note: no C compiler (cc); {name} checks nothing");
        return None;
    }
    let root = scratch(name);
    let shmpicc = install(SHMPICC, &root.join("bin"));
    fs::create_dir_all(root.join("include")).unwrap();
    fs::write(root.join("include/mpi.h"), STUB_HEADER).unwrap();
    fs::write(root.join("stub.c"), STUB_LIBRARY).unwrap();
    let out = output(
        Command::new("cc")
            .args(["-shared", "-fPIC", "-Wl,-soname,libmpi.so.12", "-o"])
            .arg(root.join("bin/libshmpi.so"))
            .arg(root.join("stub.c")),
    );
    assert!(out.status.success(), "stub library: {}", stderr(&out));
    Some((root, shmpicc))
}

#[test]
fn shmpicc_links_against_shmpi_lib() {
    let Some((root, shmpicc)) = stub_layout("link") else {
        return;
    };
    fs::write(root.join("prog.c"), PROGRAM).unwrap();
    let program = root.join("prog");
    let out = output(
        command(&shmpicc, &["-o"])
            .arg(&program)
            .arg(root.join("prog.c")),
    );
    assert!(out.status.success(), "shmpicc: {}", stderr(&out));
    let lib = root.join("bin/shmpi-lib");
    let (needed, run_path) = dynamic_entries(&program);
    assert!(needed.contains(&"libmpi.so.12".to_string()), "{needed:?}");
    assert_eq!(run_path, [lib.display().to_string()]);
    // The run path is enough: it starts without shmrun or LD_LIBRARY_PATH.
    let out = line(Command::new(&program).env_remove("LD_LIBRARY_PATH"));
    assert_eq!(out, "stub MPI_Init\nstub MPI_Finalize");

    // Compiling and linking in two steps.
    let object_file = root.join("prog.o");
    let out = output(
        command(&shmpicc, &["-c", "-o"])
            .arg(&object_file)
            .arg(root.join("prog.c")),
    );
    assert!(out.status.success(), "shmpicc -c: {}", stderr(&out));
    let out = output(command(&shmpicc, &["-o"]).arg(&program).arg(&object_file));
    assert!(out.status.success(), "shmpicc (link): {}", stderr(&out));
    assert!(dynamic_entries(&program)
        .0
        .contains(&"libmpi.so.12".to_string()));
}

#[test]
fn cmake_find_mpi_finds_shmpicc() {
    let Some((root, shmpicc)) = stub_layout("cmake") else {
        return;
    };
    let Some(program) = cmake_builds_with(&shmpicc, &root, PROGRAM) else {
        return;
    };
    let out = line(Command::new(&program).env_remove("LD_LIBRARY_PATH"));
    assert_eq!(out, "stub MPI_Init\nstub MPI_Finalize");
}
