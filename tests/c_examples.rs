//! Job tests of the C examples (`examples/c/*.c`) through the C library:
//! each one is compiled with `shmpicc`, run under `shmrun --tag-output` at
//! 1, 2, 4 and 8 ranks, and what it prints is compared, rank by rank, with
//! the lines it must print (the C twins of `tests/examples.rs`; arrays are
//! printed with `%g`, see `examples/c/README.md`).
//!
//! Also through the real library: a program built by CMake's FindMPI with
//! shmpicc, and one built with MPICH's own `mpicc` (its binaries need
//! `libmpich.so.12`, which shmrun's link directory provides), when those
//! tools are installed.

mod c_tools;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use c_tools::*;

/// Every example, compiled once per test run into a scratch directory.
fn examples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("examples");
        let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/c");
        for entry in std::fs::read_dir(&sources).unwrap() {
            let source = entry.unwrap().path();
            if source.extension() != Some("c".as_ref()) {
                continue;
            }
            let name = source.file_stem().unwrap();
            let out = output(
                command(SHMPICC, &["-Wall", "-Werror", "-O2", "-o"])
                    .arg(dir.join(name))
                    .arg(&source),
            );
            assert!(
                out.status.success(),
                "shmpicc {}:\n{}",
                source.display(),
                stderr(&out)
            );
        }
        dir
    })
}

/// What one job printed and how it ended.
struct Job {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Job {
    /// stdout's lines grouped by their `[rank] ` tag, in rank order, each
    /// rank's lines in the order it printed them.
    fn by_rank(&self) -> Vec<String> {
        let mut tagged: Vec<(usize, &str)> = self
            .stdout
            .lines()
            .map(|line| {
                let rank = line
                    .strip_prefix('[')
                    .and_then(|l| l.split_once("] "))
                    .and_then(|(rank, _)| rank.parse().ok())
                    .unwrap_or_else(|| panic!("untagged line {line:?}"));
                (rank, line)
            })
            .collect();
        tagged.sort_by_key(|&(rank, _)| rank);
        tagged.into_iter().map(|(_, l)| l.to_string()).collect()
    }
}

/// Runs `program` as `n` ranks with `args`; at most 2 minutes.
fn run_program(n: usize, program: &Path, args: &[&str]) -> Job {
    let out = output(
        command(
            SHMRUN,
            &["--tag-output", "--timeout", "120", "-n", &n.to_string()],
        )
        .arg(program)
        .args(args),
    );
    Job {
        code: out.status.code(),
        stdout: stdout(&out),
        stderr: stderr(&out),
    }
}

fn run(n: usize, name: &str, args: &[&str]) -> Job {
    run_program(n, &examples().join(name), args)
}

/// Runs example `name` as `n` ranks; it must succeed and print exactly
/// `want` (tagged lines in rank order).
fn check(n: usize, name: &str, want: &[String]) {
    let job = run(n, name, &[]);
    assert_eq!(
        job.code,
        Some(0),
        "{name} at n={n} failed; stderr:\n{}",
        job.stderr
    );
    assert_eq!(
        job.by_rank(),
        want,
        "{name} at n={n}; stderr:\n{}",
        job.stderr
    );
}

/// An example that needs two ranks, run as one: status 1 and a message.
fn check_needs_two(name: &str) {
    let job = run(1, name, &[]);
    assert_eq!(job.code, Some(1), "{name} at n=1; stderr:\n{}", job.stderr);
    assert!(
        job.stderr
            .contains(&format!("{name} needs at least 2 ranks")),
        "{name} at n=1 says why on stderr:\n{}",
        job.stderr
    );
    assert_eq!(job.stdout, "", "{name} at n=1 prints nothing on stdout");
}

const SIZES: [usize; 4] = [1, 2, 4, 8];

/// `[a b c]` as the examples print arrays of whole or short numbers.
fn array(values: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", values.into_iter().collect::<Vec<_>>().join(" "))
}

fn range(first: usize, last: usize) -> String {
    array((first..=last).map(|v| v.to_string()))
}

/// np.linspace(0.0, 3.14, 10) printed with %g.
const LINSPACE: &str = "[0 0.348889 0.697778 1.04667 1.39556 1.74444 2.09333 2.44222 2.79111 3.14]";

#[test]
fn rank_prints_every_rank() {
    for n in SIZES {
        let want: Vec<String> = (0..n).map(|r| format!("[{r}] My rank is  {r}")).collect();
        check(n, "rank", &want);
    }
}

#[test]
fn point_to_point_examples() {
    for n in [2, 4, 8] {
        check(
            n,
            "send_object",
            &["[1] On process 1, data is  {'a': 7, 'b': 3.14}".to_string()],
        );
        check(n, "send_int", &["[1] On process 1, data is  1".to_string()]);
        check(
            n,
            "send_array",
            &[
                "[1] Number of data to receive:  10".to_string(),
                format!("[1] data received:  {LINSPACE}"),
            ],
        );
    }
    for name in ["send_object", "send_int", "send_array"] {
        check_needs_two(name);
    }
}

#[test]
fn bcast_examples_reach_every_rank() {
    for n in SIZES {
        let want: Vec<String> = (0..n)
            .map(|r| {
                format!("[{r}] Rank:  {r} , data:  {{'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}}")
            })
            .collect();
        check(n, "bcast_object", &want);
        let want: Vec<String> = (0..n)
            .map(|r| format!("[{r}] Rank:  {r} , data received:  {LINSPACE}"))
            .collect();
        check(n, "bcast_array", &want);
    }
}

#[test]
fn scatter_deals_ten_values_per_rank() {
    for n in SIZES {
        let want: Vec<String> = (0..n)
            .map(|r| {
                format!(
                    "[{r}] Rank:  {r} , recvbuf received:  {}",
                    range(10 * r + 1, 10 * r + 10)
                )
            })
            .collect();
        check(n, "scatter", &want);
    }
}

#[test]
fn gather_collects_all_values_on_rank_0() {
    for n in SIZES {
        let mut want = vec![
            format!("[0] Rank:  0 , sendbuf:  {}", range(1, 10)),
            format!("[0] Rank:  0 , recvbuf received:  {}", range(1, 10 * n)),
        ];
        want.extend((1..n).map(|r| {
            format!(
                "[{r}] Rank:  {r} , sendbuf:  {}",
                range(10 * r + 1, 10 * r + 10)
            )
        }));
        check(n, "gather", &want);
    }
}

#[test]
fn reduce_sums_and_maximizes_ranks() {
    for n in SIZES {
        let mut want = vec![
            "[0]  Rank:  0  value =  0.0".to_string(),
            format!("[0]  Rank 0: value_sum =     {}.0", n * (n - 1) / 2),
            format!("[0]  Rank 0: value_max =     {}.0", n - 1),
        ];
        want.extend((1..n).map(|r| format!("[{r}]  Rank:  {r}  value =  {r}.0")));
        check(n, "reduce", &want);
    }
}

#[test]
fn ring_passes_the_token_around() {
    for n in SIZES {
        let mut want = vec![format!(
            "[0] Rank 0 received the token back from rank {}: {} (sum of ranks {})",
            n - 1,
            n * (n - 1) / 2,
            n * (n - 1) / 2
        )];
        want.extend((1..n).map(|r| {
            format!(
                "[{r}] Rank {r} received the token {} from rank {}",
                r * (r - 1) / 2,
                r - 1
            )
        }));
        check(n, "ring", &want);
    }
}

#[test]
fn hello_prints_nothing() {
    for n in SIZES {
        check(n, "hello", &[]);
    }
}

#[test]
fn pi_is_close_at_every_size() {
    for n in SIZES {
        let job = run(n, "pi", &[]);
        assert_eq!(job.code, Some(0), "pi at n={n}; stderr:\n{}", job.stderr);
        let lines = job.by_rank();
        assert_eq!(lines.len(), 2, "pi at n={n}: {lines:?}");
        let value: f64 = lines[0]
            .strip_prefix("[0] pi is approximately ")
            .and_then(|rest| rest.split_once(", error "))
            .and_then(|(value, _)| value.parse().ok())
            .unwrap_or_else(|| panic!("pi at n={n}: {:?}", lines[0]));
        assert!(
            (value - std::f64::consts::PI).abs() < 1e-6,
            "pi at n={n}: {value}"
        );
        let prefix = format!("[0] 10000000 intervals on {n} ranks in ");
        assert!(
            lines[1].starts_with(&prefix) && lines[1].ends_with(" s"),
            "pi at n={n}: {:?}",
            lines[1]
        );
    }
    let job = run(2, "pi", &["1_000"]);
    assert_eq!(job.code, Some(0), "pi 1_000; stderr:\n{}", job.stderr);
    assert!(job.by_rank()[1].starts_with("[0] 1000 intervals on 2 ranks"));
    let job = run(2, "pi", &["many"]);
    assert_eq!(job.code, Some(2), "a bad count ends the job with status 2");
    assert!(
        job.stderr.contains("must be a positive integer"),
        "{}",
        job.stderr
    );
}

#[test]
fn an_mpich_built_program_runs_on_shmpi() {
    if !have("mpicc.mpich") {
        eprintln!(
            "note: MPICH is not installed; an_mpich_built_program_runs_on_shmpi checks nothing"
        );
        return;
    }
    let dir = scratch("mpich");
    let program = dir.join("rank");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/c/rank.c");
    let out = output(
        Command::new("mpicc.mpich")
            .arg("-o")
            .arg(&program)
            .arg(&source),
    );
    assert!(out.status.success(), "mpicc.mpich: {}", stderr(&out));
    let (needed, _) = dynamic_entries(&program);
    assert!(needed.contains(&"libmpich.so.12".to_string()), "{needed:?}");
    for n in [1, 4] {
        let job = run_program(n, &program, &[]);
        assert_eq!(job.code, Some(0), "stderr:\n{}", job.stderr);
        let want: Vec<String> = (0..n).map(|r| format!("[{r}] My rank is  {r}")).collect();
        assert_eq!(job.by_rank(), want, "n={n}; stderr:\n{}", job.stderr);
    }
}

#[test]
fn a_cmake_project_finds_shmpi_and_runs() {
    let dir = scratch("cmake-real");
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/c/reduce.c"))
            .unwrap();
    let Some(program) = cmake_builds_with(Path::new(SHMPICC), &dir, &source) else {
        return;
    };
    let job = run_program(2, &program, &[]);
    assert_eq!(job.code, Some(0), "stderr:\n{}", job.stderr);
    assert_eq!(
        job.by_rank(),
        [
            "[0]  Rank:  0  value =  0.0",
            "[0]  Rank 0: value_sum =     1.0",
            "[0]  Rank 0: value_max =     1.0",
            "[1]  Rank:  1  value =  1.0",
        ]
    );
}
