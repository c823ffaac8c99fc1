//! Job tests of the tutorial examples (`examples/*.rs`): each one runs under
//! `shmrun --tag-output` and what it prints is compared, rank by rank, with
//! what the tutorial's mpi4py program prints under `mpirun` at the same
//! rank count.
//!
//! The expected lines are written out below exactly as Python prints them
//! (they were produced by running the tutorial's `print` calls with
//! CPython 3 and numpy 2.4): two spaces where `print('x ', y)` joins a
//! trailing space and its separator, numpy's column padding and its line
//! wrapping at 75 characters. Ranks print concurrently, so the output is
//! grouped by the `[rank] ` tag (each rank's lines keep their order) and
//! compared with the expected lines in rank order.
//!
//! The examples are the binaries `cargo test` builds next to `shmrun`
//! (`target/<profile>/examples/NAME`); if they are missing (a run of only
//! this test target), the first test builds them with the same profile.
//!
//! Including `examples/common/mod.rs` here also runs its unit tests: the
//! Python `repr` and numpy `str` formatters against numpy's own output.

#[path = "../examples/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The directory of the example binaries, `examples/` beside `shmrun`.
/// `cargo test` builds the examples there, but `cargo test --test
/// examples` does not, so the first test to ask runs `cargo build
/// --examples` for the same profile and target directory: a no-op when
/// they are up to date, and never a stale binary.
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shmrun = Path::new(env!("CARGO_BIN_EXE_shmrun"));
        let profile_dir = shmrun.parent().expect("shmrun has a directory");
        let target_dir = profile_dir
            .parent()
            .expect("the profile directory has a parent");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--examples", "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => {}
            Some(profile) => {
                cargo.args(["--profile", profile]);
            }
            None => panic!("no profile directory above {}", shmrun.display()),
        }
        let out = cargo.output().expect("start cargo to build the examples");
        assert!(
            out.status.success(),
            "cargo build --examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        profile_dir.join("examples")
    })
}

/// What one job printed and how it ended.
struct Job {
    success: bool,
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
                let (tag, _) = line
                    .split_once("] ")
                    .unwrap_or_else(|| panic!("untagged line {line:?}"));
                let rank = tag
                    .trim_start_matches('[')
                    .parse()
                    .unwrap_or_else(|_| panic!("bad tag in {line:?}"));
                (rank, line)
            })
            .collect();
        // A stable sort: each rank's lines stay in their order.
        tagged.sort_by_key(|&(rank, _)| rank);
        tagged
            .into_iter()
            .map(|(_, line)| line.to_string())
            .collect()
    }
}

/// Runs example `name` as `n` ranks with `args`; at most 2 minutes.
fn run(n: usize, name: &str, args: &[&str]) -> Job {
    let out = Command::new(env!("CARGO_BIN_EXE_shmrun"))
        .args(["--tag-output", "--timeout", "120", "-n", &n.to_string()])
        .arg(examples_dir().join(name))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("start shmrun");
    Job {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs example `name` as `n` ranks and checks that it succeeds and prints
/// exactly `expected` (tagged lines in rank order; a leading newline of
/// the literal is ignored).
fn check(n: usize, name: &str, expected: &str) {
    let job = run(n, name, &[]);
    assert!(
        job.success,
        "{name} at n={n} failed ({:?}); stderr:\n{}",
        job.code, job.stderr
    );
    let want: Vec<&str> = expected.trim_start_matches('\n').lines().collect();
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

// ------------------------------------------------------ the tutorial, n = 4

#[test]
fn rank_prints_every_rank() {
    check(
        4,
        "rank",
        r#"
[0] My rank is  0
[1] My rank is  1
[2] My rank is  2
[3] My rank is  3
"#,
    );
}

#[test]
fn send_object_sends_a_dict() {
    check(
        4,
        "send_object",
        r#"
[1] On process 1, data is  {'a': 7, 'b': 3.14}
"#,
    );
    check(
        2,
        "send_object",
        r#"
[1] On process 1, data is  {'a': 7, 'b': 3.14}
"#,
    );
    check_needs_two("send_object");
}

#[test]
fn send_int_sends_an_int() {
    check(
        4,
        "send_int",
        r#"
[1] On process 1, data is  1
"#,
    );
    check_needs_two("send_int");
}

#[test]
fn send_array_sends_count_then_doubles() {
    let expected = r#"
[1] Number of data to receive:  10
[1] data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444
[1]  2.09333333 2.44222222 2.79111111 3.14      ]
"#;
    check(4, "send_array", expected);
    check(2, "send_array", expected);
    check_needs_two("send_array");
}

#[test]
fn bcast_object_reaches_every_rank() {
    check(
        4,
        "bcast_object",
        r#"
[0] Rank:  0 , data:  {'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}
[1] Rank:  1 , data:  {'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}
[2] Rank:  2 , data:  {'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}
[3] Rank:  3 , data:  {'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}
"#,
    );
}

#[test]
fn bcast_array_reaches_every_rank() {
    check(
        4,
        "bcast_array",
        r#"
[0] Rank:  0 , data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444
[0]  2.09333333 2.44222222 2.79111111 3.14      ]
[1] Rank:  1 , data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444
[1]  2.09333333 2.44222222 2.79111111 3.14      ]
[2] Rank:  2 , data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444
[2]  2.09333333 2.44222222 2.79111111 3.14      ]
[3] Rank:  3 , data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444
[3]  2.09333333 2.44222222 2.79111111 3.14      ]
"#,
    );
}

#[test]
fn scatter_deals_ten_values_per_rank() {
    check(
        4,
        "scatter",
        r#"
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
[1] Rank:  1 , recvbuf received:  [11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]
[2] Rank:  2 , recvbuf received:  [21. 22. 23. 24. 25. 26. 27. 28. 29. 30.]
[3] Rank:  3 , recvbuf received:  [31. 32. 33. 34. 35. 36. 37. 38. 39. 40.]
"#,
    );
}

#[test]
fn gather_collects_all_values_on_rank_0() {
    check(
        4,
        "gather",
        r#"
[0] Rank:  0 , sendbuf:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17. 18.
[0]  19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29. 30. 31. 32. 33. 34. 35. 36.
[0]  37. 38. 39. 40.]
[1] Rank:  1 , sendbuf:  [11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]
[2] Rank:  2 , sendbuf:  [21. 22. 23. 24. 25. 26. 27. 28. 29. 30.]
[3] Rank:  3 , sendbuf:  [31. 32. 33. 34. 35. 36. 37. 38. 39. 40.]
"#,
    );
}

#[test]
fn reduce_sums_and_maximizes_ranks() {
    check(
        4,
        "reduce",
        r#"
[0]  Rank:  0  value =  0.0
[0]  Rank 0: value_sum =     6.0
[0]  Rank 0: value_max =     3.0
[1]  Rank:  1  value =  1.0
[2]  Rank:  2  value =  2.0
[3]  Rank:  3  value =  3.0
"#,
    );
}

// ------------------------------------------------ other rank counts

#[test]
fn scatter_at_1_2_and_8_ranks() {
    check(
        1,
        "scatter",
        r#"
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
"#,
    );
    check(
        2,
        "scatter",
        r#"
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
[1] Rank:  1 , recvbuf received:  [11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]
"#,
    );
    check(
        8,
        "scatter",
        r#"
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
[1] Rank:  1 , recvbuf received:  [11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]
[2] Rank:  2 , recvbuf received:  [21. 22. 23. 24. 25. 26. 27. 28. 29. 30.]
[3] Rank:  3 , recvbuf received:  [31. 32. 33. 34. 35. 36. 37. 38. 39. 40.]
[4] Rank:  4 , recvbuf received:  [41. 42. 43. 44. 45. 46. 47. 48. 49. 50.]
[5] Rank:  5 , recvbuf received:  [51. 52. 53. 54. 55. 56. 57. 58. 59. 60.]
[6] Rank:  6 , recvbuf received:  [61. 62. 63. 64. 65. 66. 67. 68. 69. 70.]
[7] Rank:  7 , recvbuf received:  [71. 72. 73. 74. 75. 76. 77. 78. 79. 80.]
"#,
    );
}

#[test]
fn gather_at_1_2_and_8_ranks() {
    check(
        1,
        "gather",
        r#"
[0] Rank:  0 , sendbuf:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
"#,
    );
    check(
        2,
        "gather",
        r#"
[0] Rank:  0 , sendbuf:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17. 18.
[0]  19. 20.]
[1] Rank:  1 , sendbuf:  [11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]
"#,
    );
    check(
        8,
        "gather",
        r#"
[0] Rank:  0 , sendbuf:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]
[0] Rank:  0 , recvbuf received:  [ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17. 18.
[0]  19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29. 30. 31. 32. 33. 34. 35. 36.
[0]  37. 38. 39. 40. 41. 42. 43. 44. 45. 46. 47. 48. 49. 50. 51. 52. 53. 54.
[0]  55. 56. 57. 58. 59. 60. 61. 62. 63. 64. 65. 66. 67. 68. 69. 70. 71. 72.
[0]  73. 74. 75. 76. 77. 78. 79. 80.]
[1] Rank:  1 , sendbuf:  [11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]
[2] Rank:  2 , sendbuf:  [21. 22. 23. 24. 25. 26. 27. 28. 29. 30.]
[3] Rank:  3 , sendbuf:  [31. 32. 33. 34. 35. 36. 37. 38. 39. 40.]
[4] Rank:  4 , sendbuf:  [41. 42. 43. 44. 45. 46. 47. 48. 49. 50.]
[5] Rank:  5 , sendbuf:  [51. 52. 53. 54. 55. 56. 57. 58. 59. 60.]
[6] Rank:  6 , sendbuf:  [61. 62. 63. 64. 65. 66. 67. 68. 69. 70.]
[7] Rank:  7 , sendbuf:  [71. 72. 73. 74. 75. 76. 77. 78. 79. 80.]
"#,
    );
}

#[test]
fn reduce_at_1_2_and_8_ranks() {
    check(
        1,
        "reduce",
        r#"
[0]  Rank:  0  value =  0.0
[0]  Rank 0: value_sum =     0.0
[0]  Rank 0: value_max =     0.0
"#,
    );
    check(
        2,
        "reduce",
        r#"
[0]  Rank:  0  value =  0.0
[0]  Rank 0: value_sum =     1.0
[0]  Rank 0: value_max =     1.0
[1]  Rank:  1  value =  1.0
"#,
    );
    check(
        8,
        "reduce",
        r#"
[0]  Rank:  0  value =  0.0
[0]  Rank 0: value_sum =     28.0
[0]  Rank 0: value_max =     7.0
[1]  Rank:  1  value =  1.0
[2]  Rank:  2  value =  2.0
[3]  Rank:  3  value =  3.0
[4]  Rank:  4  value =  4.0
[5]  Rank:  5  value =  5.0
[6]  Rank:  6  value =  6.0
[7]  Rank:  7  value =  7.0
"#,
    );
}

#[test]
fn bcast_at_1_and_8_ranks() {
    let dict = "{'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}";
    for n in [1, 8] {
        let want: String = (0..n)
            .map(|r| format!("[{r}] Rank:  {r} , data:  {dict}\n"))
            .collect();
        check(n, "bcast_object", &want);
        let want: String = (0..n)
            .map(|r| {
                format!(
                    "[{r}] Rank:  {r} , data received:  [0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444\n\
                     [{r}]  2.09333333 2.44222222 2.79111111 3.14      ]\n"
                )
            })
            .collect();
        check(n, "bcast_array", &want);
    }
}

#[test]
fn ring_passes_the_token_around() {
    for n in [1, 4, 8] {
        let mut want = vec![format!(
            "[0] Rank 0 received the token back from rank {}: {} (sum of ranks {})",
            n - 1,
            n * (n - 1) / 2,
            n * (n - 1) / 2
        )];
        for r in 1..n {
            want.push(format!(
                "[{r}] Rank {r} received the token {} from rank {}",
                r * (r - 1) / 2,
                r - 1
            ));
        }
        let job = run(n, "ring", &[]);
        assert!(job.success, "ring at n={n}; stderr:\n{}", job.stderr);
        assert_eq!(job.by_rank(), want, "ring at n={n}");
    }
}

// ------------------------------------------------------------------- pi

/// The value in pi's first line, `pi is approximately X, error E`.
fn pi_value(job: &Job) -> f64 {
    let line = job
        .stdout
        .lines()
        .next()
        .unwrap_or_else(|| panic!("pi printed nothing; stderr:\n{}", job.stderr));
    let rest = line
        .strip_prefix("[0] pi is approximately ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    let (value, _) = rest
        .split_once(',')
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    value
        .parse()
        .unwrap_or_else(|_| panic!("not a number in {line:?}"))
}

#[test]
fn pi_is_close_at_1_2_4_and_8_ranks() {
    for n in [1, 2, 4, 8] {
        let job = run(n, "pi", &[]);
        assert!(job.success, "pi at n={n}; stderr:\n{}", job.stderr);
        let pi = pi_value(&job);
        assert!(
            (pi - std::f64::consts::PI).abs() < 1e-6,
            "pi at n={n}: {pi}"
        );
        let lines = job.by_rank();
        assert_eq!(
            lines.len(),
            2,
            "pi at n={n} prints two lines on rank 0: {lines:?}"
        );
        let prefix = format!("[0] 10000000 intervals on {n} ranks in ");
        assert!(
            lines[1].starts_with(&prefix) && lines[1].ends_with(" s"),
            "pi at n={n}: {:?}",
            lines[1]
        );
    }
}

#[test]
fn pi_takes_the_interval_count() {
    // Fewer intervals than ranks: some ranks have an empty block.
    for (n, intervals) in [(3, "1_000_001"), (8, "5")] {
        let job = run(n, "pi", &[intervals]);
        assert!(
            job.success,
            "pi {intervals} at n={n}; stderr:\n{}",
            job.stderr
        );
        let count = intervals.replace('_', "");
        let h = 1.0 / count.parse::<f64>().unwrap();
        // The midpoint rule's error is at most h²/24 max|f''|, and
        // |f''| <= 8 on [0, 1].
        let pi = pi_value(&job);
        assert!(
            (pi - std::f64::consts::PI).abs() < h * h / 3.0 + 1e-12,
            "pi {intervals} at n={n}: {pi}"
        );
        assert!(job.by_rank()[1].starts_with(&format!("[0] {count} intervals on {n} ranks")));
    }
    let job = run(2, "pi", &["many"]);
    assert_eq!(job.code, Some(2), "a bad count ends the job with status 2");
    assert!(
        job.stderr.contains("must be a positive integer"),
        "{}",
        job.stderr
    );
}
