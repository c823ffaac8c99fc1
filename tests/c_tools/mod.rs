//! What the tests of the C side share (`tests/wrappers.rs`,
//! `tests/c_examples.rs`): running the wrappers with no compiler chosen in
//! the environment, scratch directories, reading an ELF file's NEEDED
//! entries and run path, and building a CMake project that finds MPI
//! through shmpicc.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

pub const SHMPICC: &str = env!("CARGO_BIN_EXE_shmpicc");
pub const SHMPICXX: &str = env!("CARGO_BIN_EXE_shmpicxx");
pub const SHMRUN: &str = env!("CARGO_BIN_EXE_shmrun");

/// The variables that choose a compiler, cleared so a test sees defaults.
const COMPILER_VARS: &[&str] = &[
    "CC",
    "CXX",
    "MPICH_CC",
    "MPICH_CXX",
    "SHMPI_WRAPPER_RUNNING",
];

/// A command for `program` with no compiler chosen in its environment.
pub fn command(program: impl AsRef<OsStr>, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for var in COMPILER_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd` to the end. Executables the tests write are written by
/// child processes (see [`install`]), but a file this process has just
/// closed can still be open for writing in a child of another test thread
/// between its fork and exec, so "text file busy" is retried.
pub fn output(cmd: &mut Command) -> Output {
    let mut tries = 0;
    loop {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result.unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}")),
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `cmd`, requires success, returns stdout without its last newline.
pub fn line(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}): {}",
        out.status,
        stderr(&out)
    );
    stdout(&out).trim_end_matches('\n').to_string()
}

/// The directory of the binaries under test (`target/<profile>`).
pub fn bin_dir() -> PathBuf {
    Path::new(SHMPICC).parent().unwrap().to_path_buf()
}

/// The compile flag the wrappers add for the binaries under test.
pub fn include_flag() -> String {
    format!("-I{}/src/capi/include", env!("CARGO_MANIFEST_DIR"))
}

/// The link flags the wrappers in `bin` add.
pub fn link_flags(bin: &Path) -> String {
    let lib = bin.join("shmpi-lib");
    format!("-L{} -Wl,-rpath,{} -lmpi", lib.display(), lib.display())
}

/// A fresh, empty scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `program` can be started (it is in `PATH`).
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Copies `binary` into `dir` (a copy, not a link: the binaries find their
/// directory through /proc/self/exe, which resolves links). `cp` does the
/// writing, so that no descriptor open for writing on the new executable
/// leaks into a child another test thread is starting (its exec would
/// fail with "text file busy").
pub fn install(binary: &str, dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let to = dir.join(Path::new(binary).file_name().unwrap());
    let status = Command::new("cp").arg(binary).arg(&to).status().unwrap();
    assert!(status.success(), "cp {binary} {}", to.display());
    to
}

/// Writes an executable script, through a child process as [`install`].
pub fn write_script(path: &Path, text: &str) {
    use std::io::Write;
    let mut sh = Command::new("sh")
        .args(["-c", "cat > \"$1\" && chmod +x \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    sh.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    assert!(sh.wait().unwrap().success(), "writing {}", path.display());
}

/// Sets a file's modification time to `age` ago.
pub fn set_mtime(path: &Path, age: Duration) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

/// The NEEDED entries and the run path (RUNPATH or RPATH) of an ELF file.
pub fn dynamic_entries(path: &Path) -> (Vec<String>, Vec<String>) {
    use object::read::elf::{Dyn, FileHeader};
    use object::Endianness;
    let data = fs::read(path).unwrap();
    let header = object::elf::FileHeader64::<Endianness>::parse(&*data).unwrap();
    let endian = header.endian().unwrap();
    let sections = header.sections(endian, &*data).unwrap();
    let (entries, link) = sections.dynamic(endian, &*data).unwrap().unwrap();
    let strings = sections.strings(endian, &*data, link).unwrap();
    let (mut needed, mut run_path) = (Vec::new(), Vec::new());
    for entry in entries {
        let string = || {
            let s = entry.string(endian, strings).unwrap();
            String::from_utf8_lossy(s).into_owned()
        };
        match entry.tag32(endian) {
            Some(object::elf::DT_NEEDED) => needed.push(string()),
            Some(object::elf::DT_RUNPATH | object::elf::DT_RPATH) => {
                run_path.extend(string().split(':').map(str::to_string))
            }
            _ => {}
        }
    }
    (needed, run_path)
}

/// Configures and builds a CMake project that finds MPI through `shmpicc`
/// (`find_package(MPI REQUIRED COMPONENTS C)`, `-DMPI_C_COMPILER=`) and
/// builds `source` with `MPI::MPI_C`; checks that FindMPI found MPI and took
/// the library from shmpi-lib, and that the program needs libmpi.so.12 and
/// has shmpi-lib in its run path. Returns the program, or `None` (with a
/// note) when cmake is not installed.
pub fn cmake_builds_with(shmpicc: &Path, dir: &Path, source: &str) -> Option<PathBuf> {
    if !have("cmake") {
        eprintln!("note: cmake is not installed; the FindMPI test checks nothing");
        return None;
    }
    let project = dir.join("project");
    let build = dir.join("build");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("CMakeLists.txt"),
        "cmake_minimum_required(VERSION 3.10)\n\
         project(findmpi C)\n\
         find_package(MPI REQUIRED COMPONENTS C)\n\
         message(STATUS \"shmpi-test MPI_C_FOUND=${MPI_C_FOUND}\")\n\
         add_executable(prog prog.c)\n\
         target_link_libraries(prog PRIVATE MPI::MPI_C)\n",
    )
    .unwrap();
    fs::write(project.join("prog.c"), source).unwrap();
    let mut configure = command("cmake", &["-S"]);
    configure
        .arg(&project)
        .arg("-B")
        .arg(&build)
        .arg(format!("-DMPI_C_COMPILER={}", shmpicc.display()));
    let out = output(&mut configure);
    assert!(
        out.status.success(),
        "cmake configure failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("shmpi-test MPI_C_FOUND=TRUE"),
        "{}",
        stdout(&out)
    );
    let cache = fs::read_to_string(build.join("CMakeCache.txt")).unwrap();
    let lib = shmpicc.parent().unwrap().join("shmpi-lib");
    let want = format!("MPI_mpi_LIBRARY:FILEPATH={}/libmpi.so", lib.display());
    assert!(
        cache.lines().any(|l| l == want),
        "no {want} in CMakeCache.txt:\n{}",
        cache
            .lines()
            .filter(|l| l.starts_with("MPI_"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out = output(command("cmake", &["--build"]).arg(&build));
    assert!(
        out.status.success(),
        "cmake --build failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let program = build.join("prog");
    let (needed, run_path) = dynamic_entries(&program);
    assert!(needed.contains(&"libmpi.so.12".to_string()), "{needed:?}");
    assert!(
        run_path.contains(&lib.display().to_string()),
        "{run_path:?}"
    );
    Some(program)
}
