//! shmpi's `mpi.h` against MPICH's: the C header must give programs the
//! binary interface of MPICH 4.0.2 (`libmpi.so.12`), so every value,
//! layout and type it declares is compared with MPICH's installed header.
//! No MPI library is linked and no job is run.
//!
//! - `constants_equal_mpich`: `tests/c/abi_constants.c`, compiled once
//!   against each header, prints every constant, predefined handle, type
//!   size and struct offset; the two outputs must be identical.
//! - `every_mpich_macro_is_defined_and_compared`: each `MPI_`/`PMPI_`/
//!   `MPIO_` macro of MPICH's header is defined by ours (but for a short
//!   list of MPICH-only names) and printed by that program, and ours defines
//!   no `MPI_` name MPICH lacks (ours makes MPICH's enumerators macros).
//! - `prototypes_and_typedefs_match_mpich`: every MPI_/PMPI_ function,
//!   typedef and extern object of MPICH's header (the MPI_T_ tool interface
//!   aside) is declared by ours, and MPICH's declarations, compiled after
//!   ours, do not conflict with it (C11 allows a compatible redeclaration,
//!   also of a typedef; an incompatible one is an error).
//! - `header_compiles_warning_free`: a C99 `-pedantic` and a C++ program
//!   that include the header compile with `-Wall -Wextra -Werror`.
//!
//! MPICH's header comes from Debian's `libmpich-dev`
//! (`/usr/include/x86_64-linux-gnu/mpich`; `SHMPI_MPICH_INCLUDE` names
//! another directory). The compilers are `$CC` and `$CXX`, or `cc` and
//! `c++`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// MPICH's macros that shmpi's header leaves out on purpose, with why.
const MPICH_ONLY_MACROS: &[(&str, &str)] = &[
    (
        "MPI_AINT_FMT_DEC_SPEC",
        "MPICH's printf format, not an MPI name",
    ),
    (
        "MPI_AINT_FMT_HEX_SPEC",
        "MPICH's printf format, not an MPI name",
    ),
    ("MPI_FILE_DEFINED", "ROMIO's internal marker"),
    (
        "MPI_PROTO_H_INCLUDED",
        "include guard of MPICH's mpi_proto.h",
    ),
    (
        "MPIO_INCLUDE",
        "include guard of mpio.h (ours defines it in mpio.h)",
    ),
    ("MPIO_REQUEST_DEFINED", "ROMIO's internal marker"),
    ("MPIO_USES_MPI_REQUEST", "ROMIO's internal marker"),
    (
        "MPI_T_ENUM_NULL",
        "the MPI_T_ tool interface is not declared",
    ),
    (
        "MPI_T_CVAR_HANDLE_NULL",
        "the MPI_T_ tool interface is not declared",
    ),
    (
        "MPI_T_PVAR_HANDLE_NULL",
        "the MPI_T_ tool interface is not declared",
    ),
    (
        "MPI_T_PVAR_SESSION_NULL",
        "the MPI_T_ tool interface is not declared",
    ),
];

/// Macros of both headers that are not values, compared by their
/// definitions' text instead of by abi_constants.c.
const ALIAS_MACROS: &[&str] = &[
    "MPIO_Request",
    "MPIO_Wait",
    "MPIO_Test",
    "PMPIO_Wait",
    "PMPIO_Test",
];

/// Include guards: defined by both, compared by neither.
const GUARDS: &[&str] = &["MPI_INCLUDED"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn our_include() -> PathBuf {
    root().join("src/capi/include")
}

fn mpich_include() -> PathBuf {
    let dir = std::env::var_os("SHMPI_MPICH_INCLUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/include/x86_64-linux-gnu/mpich"));
    assert!(
        dir.join("mpi.h").is_file(),
        "MPICH's mpi.h is not in {}: these tests compare shmpi's header with \
         MPICH 4.0.2's; install it (Debian/Ubuntu: apt-get install libmpich-dev) \
         or set SHMPI_MPICH_INCLUDE to the directory holding it",
        dir.display()
    );
    dir
}

/// A fresh directory for one test's files.
fn work_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("abi")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn compiler(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// Runs `cmd`, panicking with its output unless it succeeds; returns stdout.
fn run(mut cmd: Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cc(include: &Path) -> Command {
    let mut cmd = Command::new(compiler("CC", "cc"));
    cmd.arg("-I").arg(include);
    cmd
}

/// Compiles and runs abi_constants.c against the header in `include`.
fn constants(include: &Path, dir: &Path, name: &str, warnings_are_errors: bool) -> String {
    let exe = dir.join(name);
    let mut build = cc(include);
    build.args(["-std=c11", "-Wall", "-Wextra"]);
    if warnings_are_errors {
        build.arg("-Werror");
    }
    build
        .arg(root().join("tests/c/abi_constants.c"))
        .arg("-o")
        .arg(&exe);
    run(build);
    run(Command::new(exe))
}

/// `NAME VALUE...` lines as a map from NAME to the rest.
fn by_name(output: &str) -> BTreeMap<&str, &str> {
    let mut map = BTreeMap::new();
    for line in output.lines() {
        let (name, value) = line.split_once(' ').unwrap_or((line, ""));
        assert!(map.insert(name, value).is_none(), "{name} printed twice");
    }
    map
}

#[test]
fn constants_equal_mpich() {
    let dir = work_dir("constants");
    let ours = constants(&our_include(), &dir, "ours", true);
    let mpich = constants(&mpich_include(), &dir, "mpich", false);
    let (ours_map, mpich_map) = (by_name(&ours), by_name(&mpich));

    let mut differences = Vec::new();
    for (name, theirs) in &mpich_map {
        match ours_map.get(name) {
            Some(mine) if mine == theirs => {}
            Some(mine) => differences.push(format!("{name}: shmpi {mine}, MPICH {theirs}")),
            None => differences.push(format!("{name}: printed only under MPICH")),
        }
    }
    for name in ours_map.keys().filter(|n| !mpich_map.contains_key(*n)) {
        differences.push(format!("{name}: printed only under shmpi"));
    }
    assert!(
        differences.is_empty(),
        "shmpi's mpi.h differs from MPICH's in {} of {} names:\n  {}",
        differences.len(),
        mpich_map.len(),
        differences.join("\n  ")
    );
    // Same names and values, and in the same order: the outputs are equal.
    assert_eq!(ours, mpich);
    assert!(
        mpich_map.len() > 350,
        "only {} names compared",
        mpich_map.len()
    );
}

/// The macros an `#include <mpi.h>` defines, by name, with their
/// definitions; only names of MPI's namespaces (`MPI_`, `PMPI_`, `MPIO_`,
/// `PMPIO_`) are kept. A function-like macro keeps its name without the
/// parameter list.
fn macros(include: &Path, dir: &Path) -> BTreeMap<String, String> {
    let src = dir.join("include.c");
    std::fs::write(&src, "#include <mpi.h>\n").unwrap();
    let mut cmd = cc(include);
    cmd.args(["-dM", "-E"]).arg(&src);
    let mut map = BTreeMap::new();
    for line in run(cmd).lines() {
        let Some(rest) = line.strip_prefix("#define ") else {
            continue;
        };
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if ["MPI_", "PMPI_", "MPIO_", "PMPIO_"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            map.insert(name.to_string(), rest[end..].trim().to_string());
        }
    }
    map
}

#[test]
fn every_mpich_macro_is_defined_and_compared() {
    let dir = work_dir("macros");
    let ours = macros(&our_include(), &dir);
    let mpich = macros(&mpich_include(), &dir);
    let printed = constants(&our_include(), &dir, "ours", true);
    let printed: BTreeSet<&str> = printed
        .lines()
        .map(|l| l.split([' ', '(']).next().unwrap())
        .collect();
    let left_out: BTreeSet<&str> = MPICH_ONLY_MACROS.iter().map(|(n, _)| *n).collect();

    let mut problems = Vec::new();
    for (name, definition) in &mpich {
        let name = name.as_str();
        if left_out.contains(name) || GUARDS.contains(&name) {
            continue;
        }
        if !ours.contains_key(name) {
            problems.push(format!("{name}: defined by MPICH, not by shmpi"));
        } else if ALIAS_MACROS.contains(&name) {
            if ours[name] != *definition {
                problems.push(format!(
                    "{name}: shmpi defines it as `{}`, MPICH as `{definition}`",
                    ours[name]
                ));
            }
        } else if !printed.contains(name) {
            problems.push(format!("{name}: not printed by tests/c/abi_constants.c"));
        }
    }
    // A macro of ours that is no macro of MPICH's must be one of MPICH's
    // enumerators (MPI_COMBINER_*, MPI_GRAPH...): printed by
    // abi_constants.c, it compiled against MPICH's header and compared.
    for name in ours.keys().filter(|n| !mpich.contains_key(*n)) {
        if !printed.contains(name.as_str()) {
            problems.push(format!("{name}: defined by shmpi, not by MPICH"));
        }
    }
    for name in &left_out {
        if ours.contains_key(*name) {
            problems.push(format!("{name}: listed as MPICH-only but shmpi defines it"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// One declaration of a preprocessed header: what kind, and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Decl {
    Function(String),
    Typedef(String),
    Object(String),
}

/// The MPI declarations of a preprocessed header: functions, typedefs and
/// extern objects whose names are in MPI's namespace (the MPI_T_ tool
/// interface aside), plus `MPIR_Dup_fn` (MPI_DUP_FN), each with its text.
/// Structs and enums (anything with braces) are left out: their contents
/// are compared by abi_constants.c.
fn declarations(include: &Path, dir: &Path) -> BTreeMap<Decl, String> {
    let src = dir.join("include.c");
    std::fs::write(&src, "#include <mpi.h>\n").unwrap();
    let mut cmd = cc(include);
    cmd.args(["-E", "-P"]).arg(&src);
    let text = run(cmd);
    let wanted = |name: &str| {
        name == "MPIR_Dup_fn"
            || ((name.starts_with("MPI_") || name.starts_with("PMPI_"))
                && !name.starts_with("MPI_T_")
                && !name.starts_with("PMPI_T_"))
    };
    let ident_end = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let last_ident = |s: &str| {
        let s = s.trim_end();
        let start = s
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        s[start..].to_string()
    };

    let mut decls = BTreeMap::new();
    for statement in text.split(';') {
        let s = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() || s.contains('{') || s.contains('}') {
            continue;
        }
        let decl = if let Some(rest) = s.strip_prefix("typedef ") {
            // `typedef T (NAME)(...)`, `typedef T (*NAME)(...)` or `typedef T NAME`
            let name = match rest.find('(') {
                Some(open) => {
                    let inner = rest[open + 1..].trim_start_matches(['*', ' ']);
                    inner[..ident_end(inner)].to_string()
                }
                None => last_ident(rest),
            };
            Decl::Typedef(name)
        } else if s.starts_with("extern ") && !s.contains('(') {
            Decl::Object(last_ident(&s))
        } else if let Some(open) = s.find('(') {
            if !s.ends_with(')') {
                continue;
            }
            Decl::Function(last_ident(&s[..open]))
        } else {
            continue;
        };
        let name = match &decl {
            Decl::Function(n) | Decl::Typedef(n) | Decl::Object(n) => n.clone(),
        };
        if wanted(&name) {
            decls.insert(decl, s);
        }
    }
    decls
}

#[test]
fn prototypes_and_typedefs_match_mpich() {
    let dir = work_dir("prototypes");
    let ours = declarations(&our_include(), &dir);
    let mpich = declarations(&mpich_include(), &dir);

    let missing: Vec<_> = mpich.keys().filter(|d| !ours.contains_key(*d)).collect();
    let extra: Vec<_> = ours.keys().filter(|d| !mpich.contains_key(*d)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "declared by MPICH only: {missing:?}\ndeclared by shmpi only: {extra:?}"
    );
    let functions = mpich
        .keys()
        .filter(|d| matches!(d, Decl::Function(_)))
        .count();
    assert!(functions > 1000, "only {functions} functions found");

    // MPICH's declarations after ours: any incompatible type is an error.
    let mut check = String::from("#include <mpi.h>\n\n");
    for text in mpich.values() {
        check.push_str(text);
        check.push_str(";\n");
    }
    let src = dir.join("redeclare.c");
    std::fs::write(&src, check).unwrap();
    let mut cmd = cc(&our_include());
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .arg(&src);
    run(cmd);
}

const USES_THE_HEADER: &str = r#"#include <mpi.h>
#include <mpio.h>

int shmpi_header_check(int argc, char **argv);

int shmpi_header_check(int argc, char **argv)
{
    MPI_Status status;
    MPI_File file = MPI_FILE_NULL;
    int rank = 0, keyval = MPI_KEYVAL_INVALID;
    double t;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Allreduce(MPI_IN_PLACE, &rank, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Recv(MPI_BOTTOM, 0, MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_SELF, &status);
    MPI_Send_c(&rank, (MPI_Count)1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
    MPI_Waitall(0, (MPI_Request *)0, MPI_STATUSES_IGNORE);
    MPI_Comm_create_keyval(MPI_COMM_DUP_FN, MPI_COMM_NULL_DELETE_FN, &keyval, (void *)0);
    MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, 0, (int *)0, MPI_UNWEIGHTED, 0, (int *)0,
                                   MPI_WEIGHTS_EMPTY, MPI_INFO_NULL, 0, (MPI_Comm *)0);
    MPI_File_open(MPI_COMM_SELF, "f", MPI_MODE_RDONLY, MPI_INFO_NULL, &file);
    PMPI_Barrier(MPI_COMM_WORLD);
    t = MPI_Wtime() + MPI_Wtick();
    MPI_Finalize();
    return status.MPI_SOURCE + (int)t + (int)MPI_Comm_c2f(MPI_COMM_WORLD);
}
"#;

#[test]
fn header_compiles_warning_free() {
    let dir = work_dir("warnings");
    let c = dir.join("uses_header.c");
    let cxx = dir.join("uses_header.cpp");
    std::fs::write(&c, USES_THE_HEADER).unwrap();
    std::fs::write(&cxx, USES_THE_HEADER).unwrap();

    let mut c_build = cc(&our_include());
    c_build
        .args(["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-c"])
        .arg(&c)
        .arg("-o")
        .arg(dir.join("c.o"));
    run(c_build);

    let mut cxx_build = Command::new(compiler("CXX", "c++"));
    cxx_build
        .arg("-I")
        .arg(our_include())
        .args(["-Wall", "-Wextra", "-Werror", "-c"])
        .arg(&cxx)
        .arg("-o")
        .arg(dir.join("cxx.o"));
    run(cxx_build);
}
