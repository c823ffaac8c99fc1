//! Shared machinery of the job tests: a test's own body runs as the rank
//! program of a real `shmrun` job.
//!
//! # How a test becomes a job
//!
//! A job test is an ordinary `#[test]` function that hands its rank body to
//! [`Jobs::run`] (or, to act on the job while it runs, to [`as_rank`] and
//! then starts it with [`Running::start`]). In the test harness (the
//! *outer* process) that call starts `shmrun -n N <this test binary>
//! <the test's name> --exact ...` with `SHMPI_TEST_ROLE=<the test's name>`
//! in the environment, once per job size and environment variant, and
//! checks the outcome. Each rank is then this same test binary, running
//! only this same test function (`--exact`), whose [`as_rank`] sees the
//! role variable, calls `shmpi::init()`, runs the body and prints one
//! result line. So inside the job the test function *is* the rank program,
//! and no helper binaries are needed. [`test_name!`] gives a test its own
//! name, so no name is ever spelt out twice.
//!
//! A rank's body asserts what it received; a failed assertion panics, the
//! harness exits with status 101, `shmrun` ends the job with that status and
//! the outer test fails, showing the ranks' output. The body also returns a
//! summary string; every rank prints it as `@@result <role> <rank> <n>
//! <summary>`, and the outer test requires exactly one such line per rank
//! (a misspelt name would otherwise run no test and "pass") and may check
//! the summaries against values it computes itself.
//!
//! Every job runs under `shmrun --timeout`, so a hang fails instead of
//! blocking CI, and carries a unique marker argument (`shmpi-job-<pid>-<k>`,
//! an extra test filter that matches no test), by which
//! [`processes_with`] finds any process of it that outlived the job.
//!
//! Jobs of one test binary run one at a time ([`JOB_LOCK`]): the machine
//! has few cores, and two oversubscribed jobs at once would only make both
//! slower and timing bounds looser.

#![allow(dead_code)]

pub mod cprog;

use std::io::Write;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shmpi::{Communicator, Universe};

/// The environment variable that tells a process it is a rank of a job,
/// and of which test.
pub const ROLE_VAR: &str = "SHMPI_TEST_ROLE";
/// How the line with a rank's summary starts.
const RESULT: &str = "@@result";
/// The `--timeout` of every job, in seconds.
pub const JOB_TIMEOUT: u32 = 120;
/// The job sizes most tests use: one rank, a pair, 4, and 8 ranks, which
/// oversubscribe a small machine.
pub const SIZES: &[usize] = &[1, 2, 4, 8];
/// The protocol knobs, cleared for every job so that each variant runs
/// exactly the protocols it names, whatever the caller's environment.
const KNOBS: &[&str] = &[
    "SHMPI_NO_CMA",
    "SHMPI_EAGER_MAX",
    "SHMPI_CMA_MIN",
    "SHMPI_FRAGMENT",
];

/// Serializes the jobs of one test binary (see the module doc).
pub static JOB_LOCK: Mutex<()> = Mutex::new(());

/// Takes [`JOB_LOCK`], whatever a panicking test left it as.
pub fn job_lock() -> MutexGuard<'static, ()> {
    JOB_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The name libtest gives the enclosing test function (its path without
/// the crate name), which is also its role.
#[allow(unused_macros)]
macro_rules! test_name {
    () => {{
        fn here() {}
        $crate::common::strip_name(std::any::type_name_of_val(&here))
    }};
}

/// `crate::module::test::here` -> `module::test`.
pub fn strip_name(path: &'static str) -> &'static str {
    let start = path.find("::").map_or(0, |i| i + 2);
    let end = path.rfind("::").unwrap_or(path.len());
    &path[start..end]
}

/// The role of this process, if it is a rank of a job test.
pub fn role() -> Option<String> {
    std::env::var(ROLE_VAR).ok()
}

/// Whether this process is a rank of `role`'s job. A rank of another
/// test's job reaching here means the name given to `--exact` ran the
/// wrong function: it must not start jobs of its own, so it panics.
pub fn is_rank_of(role: &str) -> bool {
    match self::role() {
        None => false,
        Some(r) if r == role => true,
        Some(r) => panic!("a rank of test {r:?} ran test {role:?}"),
    }
}

/// A marker argument unique to one job.
pub fn marker() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "shmpi-job-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The `shmrun` command for a job of `n` ranks of test `role`, with
/// `marker` on every rank's command line and the protocol knobs set only as
/// `env` says. Interrupt signals are reset to their default action, since a
/// shell may start the harness with them ignored and shmrun keeps ignored
/// signals ignored.
pub fn command(n: usize, role: &str, env: &[(&str, &str)], marker: &str) -> Command {
    command_with_timeout(n, role, env, marker, JOB_TIMEOUT as f64)
}

/// [`command`] with a `--timeout` of `timeout` seconds.
pub fn command_with_timeout(
    n: usize,
    role: &str,
    env: &[(&str, &str)],
    marker: &str,
    timeout: f64,
) -> Command {
    let exe = std::env::current_exe().expect("path of the test binary");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shmrun"));
    cmd.arg("-n")
        .arg(n.to_string())
        .arg("--timeout")
        .arg(timeout.to_string())
        .arg(exe)
        .args([role, marker, "--exact", "--nocapture", "--test-threads=1"])
        // The test may be #[ignore]d and run on demand: the ranks run it too.
        .args(["--include-ignored", "--quiet", "--color=never"])
        .env(ROLE_VAR, role)
        .stdin(Stdio::null());
    for k in KNOBS {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    // SAFETY: the hook only calls signal(2), which is async-signal-safe,
    // with integer arguments.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    cmd
}

/// Runs a job of `n` ranks of test `role` to its end.
pub fn run_job(n: usize, role: &str, env: &[(&str, &str)]) -> Finished {
    let _serial = job_lock();
    let marker = marker();
    let start = Instant::now();
    let out = command(n, role, env, &marker)
        .output()
        .expect("start shmrun");
    let took = start.elapsed();
    let left = processes_with(&marker);
    let job = Finished {
        n,
        env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
        results: Vec::new(),
    };
    assert!(
        left.is_empty(),
        "{}: processes outlived the job: {left:?}",
        job.what()
    );
    Finished {
        results: job.parse_results(role),
        ..job
    }
}

/// A job that has ended.
pub struct Finished {
    /// Number of ranks.
    pub n: usize,
    /// The environment variant, as `KEY=VALUE`s.
    pub env: Vec<String>,
    /// shmrun's exit status.
    pub status: ExitStatus,
    /// Everything the ranks and shmrun wrote.
    pub stdout: String,
    /// Everything the ranks and shmrun wrote to stderr.
    pub stderr: String,
    /// Wall-clock time of the whole job.
    pub took: Duration,
    /// Each rank's summary, by rank (None: the rank printed none).
    pub results: Vec<Option<String>>,
}

impl Finished {
    /// "n=4 SHMPI_NO_CMA=1", for messages.
    pub fn what(&self) -> String {
        let mut s = format!("n={}", self.n);
        for e in &self.env {
            s.push(' ');
            s.push_str(e);
        }
        s
    }

    /// Enough of the output to see why a job failed.
    pub fn output(&self) -> String {
        fn tail(s: &str) -> &str {
            let mut start = s.len().saturating_sub(6000);
            while !s.is_char_boundary(start) {
                start += 1;
            }
            &s[start..]
        }
        format!(
            "--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }

    /// shmrun's exit code (it never dies of a signal itself here).
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("{}: shmrun itself died: {:?}", self.what(), self.status))
    }

    /// The lines shmrun itself printed on stderr.
    pub fn launcher_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("shmrun:"))
            .collect()
    }

    fn parse_results(&self, role: &str) -> Vec<Option<String>> {
        let mut results = vec![None; self.n];
        for line in self.stdout.lines() {
            // Other output of the ranks may precede the marker on its line.
            let Some(at) = line.find(RESULT) else {
                continue;
            };
            let rest = &line[at + RESULT.len()..];
            let mut parts = rest.trim_start().splitn(4, ' ');
            let (Some(r), Some(rank), Some(n), summary) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                panic!("{}: malformed result line {line:?}", self.what());
            };
            if r != role {
                continue;
            }
            let rank: usize = rank.parse().expect("rank in a result line");
            assert_eq!(n, self.n.to_string(), "{}: size in {line:?}", self.what());
            assert!(
                results[rank].is_none(),
                "{}: rank {rank} reported twice",
                self.what()
            );
            results[rank] = Some(summary.unwrap_or("").to_string());
        }
        results
    }

    /// Asserts the job succeeded and every rank reported; returns the
    /// summaries by rank.
    pub fn expect_success(&self) -> Vec<&str> {
        assert!(
            self.status.success(),
            "{}: job failed with {:?}\n{}",
            self.what(),
            self.status,
            self.output()
        );
        self.results
            .iter()
            .enumerate()
            .map(|(r, s)| {
                s.as_deref().unwrap_or_else(|| {
                    panic!(
                        "{}: rank {r} printed no result\n{}",
                        self.what(),
                        self.output()
                    )
                })
            })
            .collect()
    }
}

/// Prints a rank's result line in one write, so that lines of different
/// ranks sharing the pipe never mix (the harness's own output is written
/// in pieces: the leading newline ends any line of it in progress).
fn report(role: &str, rank: i32, n: i32, summary: &str) {
    let line = format!(
        "\n{RESULT} {role} {rank} {n} {}\n",
        summary.replace('\n', "\\n")
    );
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .expect("write the result line");
    out.flush().expect("flush the result line");
}

/// If this process is a rank of `role`'s job: runs `body` with the world,
/// prints its summary, and returns true (the caller returns at once).
pub fn as_rank(role: &str, body: impl FnOnce(&Universe, &Communicator) -> String) -> bool {
    if !is_rank_of(role) {
        return false;
    }
    let universe = shmpi::init().expect("shmpi::init in a rank");
    let world = universe.world();
    let summary = body(&universe, &world);
    report(role, world.rank(), world.size(), &summary);
    true
}

/// Prints `line` from a rank in one write, on a line of its own (for the
/// harness to find while the job runs).
pub fn announce(line: &str) {
    let mut out = std::io::stdout().lock();
    out.write_all(format!("\n{line}\n").as_bytes())
        .expect("write to stdout");
    out.flush().expect("flush stdout");
}

/// A job test: the sizes and environment variants to run, see the module doc.
pub struct Jobs {
    role: &'static str,
    sizes: Vec<usize>,
    envs: Vec<Vec<(&'static str, &'static str)>>,
}

impl Jobs {
    /// Jobs of test `role` (pass `test_name!()`) at each of `sizes`.
    pub fn new(role: &'static str, sizes: &[usize]) -> Jobs {
        Jobs {
            role,
            sizes: sizes.to_vec(),
            envs: Vec::new(),
        }
    }

    /// Adds an environment variant; every size runs once per variant
    /// (with none added, once with the default environment).
    pub fn env(mut self, vars: &[(&'static str, &'static str)]) -> Jobs {
        self.envs.push(vars.to_vec());
        self
    }

    /// In a rank: runs `body` with the world and prints its summary. In
    /// the harness: runs every job, requires success and a summary from
    /// every rank.
    pub fn run(self, body: impl FnOnce(&Universe, &Communicator) -> String) {
        self.run_and_check(body, |_, _| {});
    }

    /// As [`run`](Jobs::run), then hands every finished job and its
    /// summaries (by rank) to `check`.
    pub fn run_and_check(
        mut self,
        body: impl FnOnce(&Universe, &Communicator) -> String,
        check: impl Fn(&Finished, &[&str]),
    ) {
        if as_rank(self.role, body) {
            return;
        }
        if self.envs.is_empty() {
            self.envs.push(Vec::new());
        }
        for env in &self.envs {
            for &n in &self.sizes {
                let job = run_job(n, self.role, env);
                eprintln!("{}: {} took {:?}", self.role, job.what(), job.took);
                let results = job.expect_success();
                check(&job, &results);
            }
        }
    }
}

/// Pids of live processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == marker.as_bytes())
        {
            found.push(pid);
        }
    }
    found
}

/// Whether process `pid` has the job's segment (a memfd named `shmpi`)
/// open or mapped.
pub fn holds_segment(pid: u32) -> bool {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .any(|l| l.to_string_lossy().starts_with("/memfd:shmpi"));
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .is_ok_and(|m| m.contains("/memfd:shmpi"));
    fds || maps
}

/// The names in /dev/shm.
pub fn dev_shm() -> std::collections::BTreeSet<String> {
    std::fs::read_dir("/dev/shm")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Files in /dev/shm that are not in `before` and that no live process
/// has open or mapped: what a job that has ended left behind. (Files that
/// a live process uses belong to someone else: the machine may be running
/// other MPI jobs, whose segments come and go in /dev/shm.)
pub fn leaked_in_dev_shm(before: &std::collections::BTreeSet<String>) -> Vec<String> {
    let new: Vec<String> = dev_shm().difference(before).cloned().collect();
    if new.is_empty() {
        return new;
    }
    let mut in_use = String::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        if let Ok(maps) = std::fs::read_to_string(entry.path().join("maps")) {
            in_use.push_str(&maps);
        }
        for fd in std::fs::read_dir(entry.path().join("fd"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                in_use.push_str(&target.to_string_lossy());
                in_use.push('\n');
            }
        }
    }
    new.into_iter()
        .filter(|name| !in_use.contains(&format!("/dev/shm/{name}")))
        .collect()
}

/// A job started in the background, for tests that act on it while it runs.
pub struct Running {
    pub child: Child,
    pub marker: String,
    pub started: Instant,
    pub n: usize,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    seen: String,
}

impl Running {
    /// Starts a job of `n` ranks of test `role` under `--timeout timeout`;
    /// stdout and stderr are piped.
    pub fn start(n: usize, role: &str, env: &[(&str, &str)], timeout: f64) -> Running {
        let marker = marker();
        let mut child = command_with_timeout(n, role, env, &marker, timeout)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start shmrun");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        Running {
            child,
            marker,
            started: Instant::now(),
            n,
            stdout,
            seen: String::new(),
        }
    }

    /// Reads stdout until a line with `prefix` (see [`announce`]); returns
    /// what follows it. Panics at end of output.
    pub fn read_until(&mut self, prefix: &str) -> String {
        use std::io::BufRead;
        loop {
            let mut line = String::new();
            let got = self
                .stdout
                .read_line(&mut line)
                .expect("read the job's stdout");
            assert!(
                got > 0,
                "the job ended before printing {prefix:?}; stdout so far:\n{}",
                self.seen
            );
            self.seen.push_str(&line);
            if let Some(at) = line.find(prefix) {
                return line[at + prefix.len()..].trim().to_string();
            }
        }
    }

    /// Sends `sig` to shmrun.
    pub fn signal_launcher(&self, sig: libc::c_int) {
        // SAFETY: kill(2) with integer arguments; the child is not reaped
        // yet, so its pid is still its own.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, sig) },
            0
        );
    }

    /// Waits for the job to end; returns it with all its output.
    pub fn finish(mut self) -> Finished {
        use std::io::Read;
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .expect("piped stderr")
            .read_to_string(&mut stderr);
        let status = self.child.wait().expect("wait for shmrun");
        let took = self.started.elapsed();
        Finished {
            n: self.n,
            env: Vec::new(),
            status,
            stdout: self.seen + &rest,
            stderr,
            took,
            results: Vec::new(),
        }
    }
}
