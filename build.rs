//! Build script of the C library (the cdylib, `libshmpi.so`):
//!
//! - gives it the SONAME of MPICH's binary interface, so that programs
//!   linked against it record `libmpi.so.12`, as programs built with
//!   MPICH do;
//! - makes it export every function of `src/capi/include/mpi.h`: for each
//!   `MPI_Name` prototype of the header that no module of `src/capi`
//!   defines (with `mpi_fn!` or by hand), it writes into
//!   `$OUT_DIR/unsupported.rs` a stub pair `MPI_Name` / `PMPI_Name` that
//!   raises MPI_ERR_UNSUPPORTED_OPERATION (`src/capi/unsupported.rs`
//!   includes that file).
//!
//! A stub takes no parameters. On the C calling conventions of the targets
//! shmpi supports (x86-64 System V, AArch64), the caller passes and cleans
//! up its arguments, so a callee that ignores them and only returns an
//! `int` is called correctly whatever the prototype says. A function that
//! returns anything else (MPI_Wtime, MPI_Aint_add, ...) has no error code
//! to return and cannot be a stub: the build fails until it is written.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

#[path = "src/capi/family.rs"]
#[allow(dead_code)]
mod family;

const HEADER: &str = "src/capi/include/mpi.h";
const CAPI: &str = "src/capi";

/// A function prototype of the header.
struct Prototype {
    name: String,
    ret: String,
    /// The header's section comment above it ("Point-to-point communication").
    section: String,
}

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmpi.so.12");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={HEADER}");
    println!("cargo:rerun-if-changed={CAPI}");
    println!("cargo:rerun-if-changed={CAPI}/family.rs");

    let header = std::fs::read_to_string(HEADER).expect("read src/capi/include/mpi.h");
    let prototypes = prototypes(&header);
    let defined = defined_in_capi();

    let mut missing_non_int = Vec::new();
    let mut stubs = Vec::new();
    for p in &prototypes {
        if defined.contains(&p.name) {
            continue;
        }
        if p.ret != "int" {
            missing_non_int.push(format!("{} {}", p.ret, p.name));
        } else {
            stubs.push(p.name.as_str());
        }
    }
    if !missing_non_int.is_empty() {
        panic!(
            "mpi.h declares functions that src/capi does not define and that cannot be \
             generated as MPI_ERR_UNSUPPORTED_OPERATION stubs, since they do not return an \
             int error code: {}. Write them (with mpi_fn!) in a module of src/capi.",
            missing_non_int.join(", ")
        );
    }

    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("unsupported.rs");
    std::fs::write(&out, generate(&prototypes, &stubs)).expect("write unsupported.rs");
}

/// The `MPI_` function prototypes of the header (not the `PMPI_` ones,
/// not the `MPI_Abi_` ones, which shmpi must not export: mpi4py would take
/// the library for one of the MPI-5 standard ABI).
fn prototypes(header: &str) -> Vec<Prototype> {
    let mut section = String::new();
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    for line in header.lines() {
        if let Some(title) = line.strip_prefix("/* ").and_then(|l| l.strip_suffix(" */")) {
            if !title.contains("*/") && !title.starts_with('=') {
                section = title.to_string();
            }
            continue;
        }
        let starts_declaration = line.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !starts_declaration || line.starts_with("typedef") || line.starts_with("extern") {
            continue;
        }
        let Some(paren) = line.find('(') else {
            continue;
        };
        let before = line[..paren].trim_end();
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let name = &before[start..];
        if !name.starts_with("MPI_") || name.starts_with("MPI_Abi_") {
            continue;
        }
        let ret = before[..start].trim().to_string();
        assert!(
            !ret.is_empty(),
            "mpi.h: no return type for {name} in {line:?}"
        );
        if seen.insert(name.to_string()) {
            found.push(Prototype {
                name: name.to_string(),
                ret,
                section: section.clone(),
            });
        }
    }
    assert!(
        found.len() > 400,
        "mpi.h: found only {} prototypes; has its layout changed?",
        found.len()
    );
    found
}

/// The `MPI_` names that the modules of src/capi define: every pair
/// `MPI_Name / PMPI_Name` (as `mpi_fn!` and the macros over it take them),
/// and `fn MPI_Name(` written by hand.
fn defined_in_capi() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(CAPI)
        .expect("read src/capi")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("read a file of src/capi");
        for (at, _) in text.match_indices("MPI_") {
            if at > 0 && text[..at].ends_with(|c: char| ident(c)) {
                continue;
            }
            let tail = &text[at..];
            let end = tail.find(|c: char| !ident(c)).unwrap_or(tail.len());
            let name = &tail[..end];
            let after = &tail[end..];
            let paired = after
                .strip_prefix(" / P")
                .is_some_and(|p| p.starts_with(name) && !p[name.len()..].starts_with(ident));
            let by_hand = text[..at].ends_with("fn ") && after.starts_with('(');
            if paired || by_hand {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// The text of `$OUT_DIR/unsupported.rs`.
fn generate(prototypes: &[Prototype], stubs: &[&str]) -> String {
    let mut s = String::new();
    s.push_str("// Generated by build.rs from mpi.h and src/capi: do not edit.\n\n");
    s.push_str(
        "/// The functions of mpi.h that shmpi does not implement (each is exported\n\
         /// as a stub raising MPI_ERR_UNSUPPORTED_OPERATION), in the header's order.\n",
    );
    s.push_str("pub const UNSUPPORTED: &[&str] = &[\n");
    for name in stubs {
        writeln!(s, "    {name:?},").unwrap();
    }
    s.push_str("];\n\n");
    s.push_str(
        "/// Every `MPI_` function of mpi.h with the header's section it is declared\n\
         /// in, in the header's order.\n",
    );
    s.push_str("pub const HEADER_FUNCTIONS: &[(&str, &str)] = &[\n");
    for p in prototypes {
        writeln!(s, "    ({:?}, {:?}),", p.name, p.section).unwrap();
    }
    s.push_str("];\n");
    for name in stubs {
        let pname = format!("P{name}");
        let message = family::unsupported_message(name);
        for (sym, doc) in [
            (pname.as_str(), format!("`{name}`: {message}.")),
            (*name, format!("`{name}`: {message} (calls `{pname}`).")),
        ] {
            if sym == *name {
                writeln!(
                    s,
                    "\n#[doc = {doc:?}]\n#[no_mangle]\n#[allow(non_snake_case)]\n\
                     pub extern \"C\" fn {sym}() -> c_int {{\n    {pname}()\n}}"
                )
                .unwrap();
            } else {
                writeln!(
                    s,
                    "\n#[doc = {doc:?}]\n#[no_mangle]\n#[allow(non_snake_case)]\n\
                     pub extern \"C\" fn {sym}() -> c_int {{\n    unsupported({name:?})\n}}"
                )
                .unwrap();
            }
        }
    }
    s
}
