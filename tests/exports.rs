//! What the C library exports, and the README's table of what it supports.
//!
//! - Every function of mpi.h is exported with its PMPI_ twin (those shmpi
//!   does not implement as MPI_ERR_UNSUPPORTED_OPERATION stubs, generated
//!   by build.rs), with the header's data symbols; no MPI_Abi_* (mpi4py
//!   would take the library for one of the MPI-5 standard ABI).
//! - Every symbol the mpi4py 4.1.2 wheel needs (`../shared/abi`) is there.
//! - The stubs fail honestly: tests/c/unsupported.c under
//!   MPI_ERRORS_RETURN, and a fatal run under MPI_ERRORS_ARE_FATAL.
//! - The README's support table matches the header and the stubs;
//!   `SHMPI_BLESS=1 cargo test --release --test exports` rewrites it.

#[allow(unused_macros)] // test_name!: for the job tests, not used here
mod common;

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::cprog;
use shmpi::capi::family::{family, FAMILIES};
use shmpi::capi::unsupported::{HEADER_FUNCTIONS, UNSUPPORTED};

/// The dynamic symbols the library defines.
fn exported() -> BTreeSet<String> {
    let lib = cprog::library();
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("run nm (binutils)");
    assert!(
        out.status.success(),
        "nm -D {}: {}",
        lib.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(String::from)
        .collect()
}

/// `<repo>/../shared/abi/<name>`: the lists of names mpi4py's wheel uses
/// (CI has `shared/` beside the clone).
fn abi_list(name: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/abi")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): the list of symbols mpi4py 4.1.2 needs is expected in \
             shared/abi beside the repository",
            path.display()
        )
    });
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

fn missing<'a>(
    names: impl IntoIterator<Item = &'a String>,
    have: &BTreeSet<String>,
) -> Vec<String> {
    names
        .into_iter()
        .filter(|n| !have.contains(*n))
        .cloned()
        .collect()
}

#[test]
fn exports_what_mpi4py_requires() {
    let have = exported();
    let required = abi_list("mpi4py-4.1.2-required.txt");
    assert!(required.len() > 300, "{} names", required.len());
    let lost = missing(&required, &have);
    assert!(
        lost.is_empty(),
        "{} of the {} symbols mpi4py 4.1.2 requires are not exported: {lost:?}",
        lost.len(),
        required.len()
    );

    let optional = abi_list("mpi4py-4.1.2-optional.txt");
    let found: Vec<&String> = optional.iter().filter(|n| have.contains(*n)).collect();
    eprintln!(
        "{} of the {} optional symbols of mpi4py 4.1.2 are exported; not exported: {:?}",
        found.len(),
        optional.len(),
        missing(&optional, &have)
    );
    assert!(
        found.iter().all(|n| !n.starts_with("MPI_Abi_")),
        "MPI_Abi_* is exported"
    );
}

#[test]
fn exports_every_function_of_the_header() {
    let have = exported();
    assert!(HEADER_FUNCTIONS.len() > 500, "{}", HEADER_FUNCTIONS.len());
    let mut lost = Vec::new();
    for (name, _) in HEADER_FUNCTIONS {
        for sym in [name.to_string(), format!("P{name}")] {
            if !have.contains(&sym) {
                lost.push(sym);
            }
        }
    }
    assert!(lost.is_empty(), "mpi.h functions not exported: {lost:?}");

    // The header's other symbols.
    for sym in [
        "MPI_UNWEIGHTED",
        "MPI_WEIGHTS_EMPTY",
        "MPI_F_STATUS_IGNORE",
        "MPI_F_STATUSES_IGNORE",
        "MPI_F08_STATUS_IGNORE",
        "MPI_F08_STATUSES_IGNORE",
        "MPIR_Dup_fn",
    ] {
        assert!(have.contains(sym), "{sym} is not exported");
    }

    let abi: Vec<&String> = have.iter().filter(|s| s.contains("MPI_Abi_")).collect();
    assert!(
        abi.is_empty(),
        "the library exports {abi:?}: mpi4py would take it for the MPI-5 standard ABI"
    );

    // Every stub is a function of the header, and the list has no repeats.
    let header: BTreeSet<&str> = HEADER_FUNCTIONS.iter().map(|(n, _)| *n).collect();
    let stubs: BTreeSet<&str> = UNSUPPORTED.iter().copied().collect();
    assert_eq!(stubs.len(), UNSUPPORTED.len());
    assert!(stubs.is_subset(&header));
}

/// Compiles tests/c/unsupported.c once.
fn unsupported_program() -> PathBuf {
    cprog::compile("unsupported", &[])
}

#[test]
fn unsupported_functions_return_their_error() {
    let prog = unsupported_program();
    for n in [1, 2, 4] {
        let o = cprog::run(&prog, n, &[]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "unsupported at n = {n} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        for r in 0..n {
            assert!(
                stdout.contains(&format!("unsupported ok on rank {r} of {n}")),
                "{stdout}"
            );
        }
        assert!(
            stdout.contains(
                "MPI_Win_create -> MPI_Win_create: shmpi does not support one-sided \
                 communication (windows) yet"
            ),
            "{stdout}"
        );
    }
}

#[test]
fn unsupported_function_under_errors_are_fatal_ends_the_job() {
    let prog = unsupported_program();
    let o = cprog::run(&prog, 2, &["fatal"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let what = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(!o.status.success(), "the job succeeded:\n{what}");
    assert!(!stdout.contains("survived"), "{what}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("does not support"))
        .collect();
    assert_eq!(lines.len(), 1, "one line about the error expected:\n{what}");
    assert!(
        lines[0].contains(
            "rank 0: MPI_Win_create: shmpi does not support one-sided communication (windows) \
             yet (MPI_ERR_UNSUPPORTED_OPERATION)"
        ),
        "{what}"
    );
}

// ---------------------------------------------------------------------
// The README's support table
// ---------------------------------------------------------------------

const BEGIN: &str = "<!-- support-table:begin -->";
const END: &str = "<!-- support-table:end -->";

/// A row of the table: the functions of one family.
struct Row {
    title: String,
    /// None: a section of the header; Some: an unsupported family.
    family: Option<&'static str>,
    implemented: usize,
    not_yet: Vec<&'static str>,
    all: Vec<&'static str>,
}

/// The missing functions `names` of a row whose functions are `row`,
/// written compactly: a prefix `MPI_Word_` whose functions in the row are
/// nearly all missing as `MPI_Word_*`, and `X`, `X_c` as `X(_c)`.
fn compact(names: &[&'static str], row: &[&'static str]) -> String {
    let missing: BTreeSet<&str> = names.iter().copied().collect();
    let mut parts = Vec::new();
    let mut done = BTreeSet::new();
    for &name in names {
        if done.contains(name) {
            continue;
        }
        // A whole prefix?
        let prefix = name
            .strip_prefix("MPI_")
            .and_then(|rest| rest.find('_'))
            .map(|i| &name[..4 + i + 1]);
        if let Some(prefix) = prefix {
            let all: Vec<&str> = row
                .iter()
                .copied()
                .filter(|n| n.starts_with(prefix))
                .collect();
            let have: Vec<&str> = all
                .iter()
                .copied()
                .filter(|n| !missing.contains(n))
                .collect();
            let lacking = all.len() - have.len();
            if lacking >= 8 && have.len() <= 3 {
                let mut s = format!("`{prefix}*` ({lacking} functions");
                if !have.is_empty() {
                    let list: Vec<String> = have.iter().map(|n| format!("`{n}`")).collect();
                    write!(s, "; all but {}", list.join(", ")).unwrap();
                }
                s.push(')');
                parts.push(s);
                done.extend(all.iter().filter(|n| missing.contains(*n)).copied());
                continue;
            }
        }
        let large = format!("{name}_c");
        if missing.contains(large.as_str()) {
            parts.push(format!("`{name}(_c)`"));
            done.insert(name);
            done.insert(names.iter().copied().find(|n| *n == large).unwrap());
        } else {
            parts.push(format!("`{name}`"));
            done.insert(name);
        }
    }
    parts.join(", ")
}

/// The text between the README's markers.
fn support_table() -> String {
    let stubs: BTreeSet<&str> = UNSUPPORTED.iter().copied().collect();
    let mut rows: Vec<Row> = Vec::new();
    let mut row_of = |title: String, family: Option<&'static str>| -> usize {
        match rows.iter().position(|r| r.title == title) {
            Some(i) => i,
            None => {
                rows.push(Row {
                    title,
                    family,
                    implemented: 0,
                    not_yet: Vec::new(),
                    all: Vec::new(),
                });
                rows.len() - 1
            }
        }
    };
    // The header's sections first, in its order, then the families.
    let mut placed = Vec::new();
    for &(name, section) in HEADER_FUNCTIONS {
        let f = family(name);
        if f.is_none() {
            row_of(section.to_string(), None);
        }
        placed.push((name, f, section));
    }
    for f in FAMILIES {
        if placed.iter().any(|(_, pf, _)| *pf == Some(*f)) {
            row_of(f.to_string(), Some(f));
        }
    }
    let mut rows_filled = rows;
    for (name, f, section) in placed {
        let title = f.map_or(section.to_string(), str::to_string);
        let row = rows_filled
            .iter_mut()
            .find(|r| r.title == title)
            .expect("a row for every function");
        row.all.push(name);
        if stubs.contains(name) {
            row.not_yet.push(name);
        } else {
            row.implemented += 1;
        }
    }

    let mut s = String::new();
    s.push_str("| functions | implemented | not yet |\n|---|---:|---|\n");
    for r in &rows_filled {
        let not_yet = if r.not_yet.is_empty() {
            "—".to_string()
        } else {
            let why = match r.family {
                Some(_) => "family not supported yet",
                None => "not written yet",
            };
            format!("{} — {why}", compact(&r.not_yet, &r.all))
        };
        let title = match r.family {
            // "Nonblocking collectives", as the header's section titles.
            Some(f) => f[..1].to_uppercase() + &f[1..],
            None => r.title.clone(),
        };
        writeln!(s, "| {title} | {} | {not_yet} |", r.implemented).unwrap();
    }
    let total = HEADER_FUNCTIONS.len();
    writeln!(
        s,
        "| **all of mpi.h** | **{}** of {total} | {} stubs that return MPI_ERR_UNSUPPORTED_OPERATION |",
        total - UNSUPPORTED.len(),
        UNSUPPORTED.len()
    )
    .unwrap();
    s
}

#[test]
fn support_table_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let begin = readme
        .find(BEGIN)
        .unwrap_or_else(|| panic!("README.md has no {BEGIN} marker"));
    let end = readme
        .find(END)
        .unwrap_or_else(|| panic!("README.md has no {END} marker"));
    assert!(begin < end, "README.md: {END} before {BEGIN}");
    let current = &readme[begin + BEGIN.len()..end];
    let expected = format!("\n{}", support_table());
    if current == expected {
        return;
    }
    if std::env::var_os("SHMPI_BLESS").is_some_and(|v| v == "1") {
        let updated = format!(
            "{}{expected}{}",
            &readme[..begin + BEGIN.len()],
            &readme[end..]
        );
        std::fs::write(&path, updated).expect("write README.md");
        eprintln!("README.md: support table rewritten");
        return;
    }
    panic!(
        "README.md's support table is out of date; run \
         `SHMPI_BLESS=1 cargo test --release --test exports support_table_is_current` \
         or put this between the markers:\n{expected}"
    );
}
