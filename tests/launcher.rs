//! Job tests of `shmrun`: every test starts the real launcher with `sh -c`
//! scripts as rank programs and checks what the ranks saw, what shmrun
//! printed, its exit status, and that no process of the job is left.
//!
//! Each test that leaves ranks sleeping gives them a unique sleep length
//! (`30.<pid><n>`), which appears in the command line of the rank's shell
//! and of its `sleep`, so a scan of `/proc/*/cmdline` finds exactly this
//! test's processes even when tests run in parallel.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A `Command` for shmrun whose interrupt signals are at their default
/// action, whatever the test harness was started with (a shell starts
/// background jobs with `SIGINT` ignored, and shmrun keeps ignored signals
/// ignored).
fn shmrun(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shmrun"));
    cmd.args(args);
    // SAFETY: the hook only calls signal(2), which is async-signal-safe,
    // with integer arguments.
    unsafe {
        cmd.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    cmd
}

struct Outcome {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Outcome {
    fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("shmrun itself died: {:?}", self.status))
    }

    /// The lines shmrun itself printed on stderr.
    fn launcher_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("shmrun:"))
            .collect()
    }

    fn sorted_stdout(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.stdout.lines().map(str::to_string).collect();
        lines.sort();
        lines
    }
}

fn run(args: &[&str]) -> Outcome {
    let start = Instant::now();
    let out = shmrun(args)
        .stdin(Stdio::null())
        .output()
        .expect("start shmrun");
    Outcome {
        status: out.status,
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        took: start.elapsed(),
    }
}

/// A sleep length unique to this call: `30.<pid><n>` seconds.
fn marker() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!(
        "30.{}{:03}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Pids of live processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            found.push(pid);
        }
    }
    found
}

/// Asserts that no process with `marker` remains, allowing `grace` for
/// processes that were sent `SIGKILL` but have not finished dying.
fn assert_no_leftovers(marker: &str, grace: Duration) {
    let until = Instant::now() + grace;
    loop {
        let left = processes_with(marker);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < until,
            "processes of the job outlived it: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts shmrun in the background and waits until `ready` lines have
/// appeared on its stdout (each rank announces itself before sleeping).
fn start_and_wait(args: &[&str], ready: usize) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = shmrun(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start shmrun");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..ready {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), "up", "rank did not start");
    }
    (child, stdout)
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) with integer arguments; the child is not reaped yet,
    // so its pid is still its own.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

fn finish(mut child: Child, mut stdout: impl Read) -> (ExitStatus, String, String) {
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap(), out, err)
}

#[test]
fn every_rank_sees_its_rank_and_the_size() {
    let script = "echo $SHMPI_RANK $SHMPI_SIZE $PMI_RANK $PMI_SIZE";
    for (flag, n) in [("-n", 4), ("-np", 3), ("--np", 3), ("-n", 8)] {
        let out = run(&[flag, &n.to_string(), "sh", "-c", script]);
        assert_eq!(out.code(), 0, "{flag} {n}: {}", out.stderr);
        let mut want: Vec<String> = (0..n).map(|r| format!("{r} {n} {r} {n}")).collect();
        want.sort();
        assert_eq!(out.sorted_stdout(), want, "{flag} {n}");
        assert!(out.launcher_lines().is_empty(), "{}", out.stderr);
    }
}

#[test]
fn one_rank_by_default() {
    let out = run(&["sh", "-c", "echo $SHMPI_RANK/$SHMPI_SIZE"]);
    assert_eq!(out.code(), 0);
    assert_eq!(out.stdout, "0/1\n");
}

#[test]
fn more_ranks_than_cores() {
    let n = std::thread::available_parallelism().map_or(4, |c| c.get()) * 2 + 1;
    let out = run(&["-n", &n.to_string(), "sh", "-c", "echo $SHMPI_RANK"]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let mut ranks: Vec<usize> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
    ranks.sort();
    assert_eq!(ranks, (0..n).collect::<Vec<_>>());
}

#[test]
fn shmpi_fd_is_the_segment_memfd_and_nothing_else_leaks() {
    let script = r#"
        echo "fd $SHMPI_FD $(readlink /proc/self/fd/$SHMPI_FD)"
        echo "size $(stat -L -c %s /proc/self/fd/$SHMPI_FD)"
        echo "memfds $(ls -l /proc/$$/fd | grep -c memfd:)"
        echo "signalfds $(ls -l /proc/$$/fd | grep -c signalfd)"
    "#;
    let out = run(&["-n", "3", "--tag-output", "sh", "-c", script]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let lines = out.sorted_stdout();
    assert_eq!(lines.len(), 12, "{lines:?}");
    let fds: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once("] fd ").map(|(_, rest)| rest))
        .collect();
    assert_eq!(fds.len(), 3);
    for fd in &fds {
        let (num, target) = fd.split_once(' ').unwrap();
        assert!(num.parse::<u32>().unwrap() > 2, "{fd}");
        assert!(target.starts_with("/memfd:shmpi"), "{fd}");
        assert_eq!(*fd, fds[0], "every rank has the segment at the same fd");
    }
    for line in &lines {
        if let Some((_, size)) = line.split_once("] size ") {
            assert!(size.parse::<u64>().unwrap() > 0, "{line}");
        }
        if let Some((_, count)) = line.split_once("] memfds ") {
            assert_eq!(count, "1", "exactly one memfd in a rank");
        }
        if let Some((_, count)) = line.split_once("] signalfds ") {
            assert_eq!(count, "0", "the launcher's signalfd leaked into a rank");
        }
    }
}

#[test]
fn program_flags_are_not_shmrun_flags() {
    let out = run(&[
        "-np",
        "2",
        "sh",
        "-c",
        r#"echo "$SHMPI_SIZE $*""#,
        "argv0",
        "-x",
        "--tag-output",
        "-np",
        "5",
    ]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(out.stdout, "2 -x --tag-output -np 5\n".repeat(2));
}

#[test]
fn rank_zero_gets_stdin_the_others_dev_null() {
    let mut child = shmrun(&["-n", "3", "sh", "-c", "read x; echo $SHMPI_RANK:$x"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let mut lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    lines.sort();
    assert_eq!(lines, ["0:hello", "1:", "2:"]);
}

#[test]
fn failing_rank_ends_the_job_with_its_status() {
    let m = marker();
    let script = format!("[ $SHMPI_RANK = 2 ] && exit 3; sleep {m}; true");
    let out = run(&["-n", "4", "sh", "-c", &script]);
    assert_eq!(out.code(), 3, "{}", out.stderr);
    let lines = out.launcher_lines();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].starts_with("shmrun: rank 2 (pid ")
            && lines[0].ends_with(") exited with status 3; ending the job"),
        "{}",
        lines[0]
    );
    assert!(out.took < Duration::from_secs(5), "took {:?}", out.took);
    assert_no_leftovers(&m, Duration::from_secs(2));
}

#[test]
fn first_failure_wins_over_later_ones() {
    let m = marker();
    // Rank 1 fails at once; the others would fail with 9 after the sleep,
    // but are ended first.
    let script = format!("[ $SHMPI_RANK = 1 ] && exit 5; sleep {m}; exit 9");
    let out = run(&["-n", "3", "sh", "-c", &script]);
    assert_eq!(out.code(), 5);
    assert!(out.took < Duration::from_secs(5), "took {:?}", out.took);
    assert_eq!(out.launcher_lines().len(), 1, "{}", out.stderr);
    assert!(out.launcher_lines()[0].contains("rank 1 (pid "));
    assert_no_leftovers(&m, Duration::from_secs(2));
}

#[test]
fn ranks_that_ignore_sigterm_are_killed() {
    let m = marker();
    // `trap '' TERM` also makes the rank's `sleep` ignore SIGTERM.
    let script =
        format!("trap '' TERM; [ $SHMPI_RANK = 0 ] && {{ sleep 0.5; exit 4; }}; sleep {m}; true");
    let out = run(&["-n", "3", "sh", "-c", &script]);
    assert_eq!(out.code(), 4);
    assert_eq!(out.launcher_lines().len(), 1, "{}", out.stderr);
    assert!(out.took < Duration::from_secs(5), "took {:?}", out.took);
    assert_no_leftovers(&m, Duration::from_secs(2));
}

#[test]
fn rank_killed_by_a_signal() {
    for (sig, name, status) in [("SEGV", "11 (SIGSEGV)", 139), ("KILL", "9 (SIGKILL)", 137)] {
        let m = marker();
        let script = format!("[ $SHMPI_RANK = 1 ] && kill -{sig} $$; sleep {m}; true");
        let out = run(&["-n", "3", "sh", "-c", &script]);
        assert_eq!(out.code(), status, "{}", out.stderr);
        let lines = out.launcher_lines();
        assert_eq!(lines.len(), 1, "{}", out.stderr);
        assert!(
            lines[0].starts_with("shmrun: rank 1 (pid ")
                && lines[0].ends_with(&format!(") was killed by signal {name}; ending the job")),
            "{}",
            lines[0]
        );
        assert!(out.took < Duration::from_secs(5), "took {:?}", out.took);
        assert_no_leftovers(&m, Duration::from_secs(2));
    }
}

#[test]
fn interrupts_end_the_job() {
    for (sig, name, status) in [
        (libc::SIGINT, "SIGINT", 130),
        (libc::SIGTERM, "SIGTERM", 143),
        (libc::SIGHUP, "SIGHUP", 129),
    ] {
        let m = marker();
        let script = format!("echo up; sleep {m}; true");
        let (child, stdout) = start_and_wait(&["-n", "3", "sh", "-c", &script], 3);
        let sent = Instant::now();
        signal(&child, sig);
        let (st, out, err) = finish(child, stdout);
        assert!(sent.elapsed() < Duration::from_secs(5));
        assert_eq!(st.code(), Some(status), "{name}: {err}");
        assert_eq!(out, "");
        assert_eq!(
            err,
            format!("shmrun: interrupted ({name}); ending the job\n")
        );
        assert_no_leftovers(&m, Duration::from_secs(2));
    }
}

#[test]
fn timeout_ends_the_job() {
    let m = marker();
    let script = format!("sleep {m}; true");
    let out = run(&["--timeout", "1", "-n", "3", "sh", "-c", &script]);
    assert_eq!(out.code(), 124, "{}", out.stderr);
    assert_eq!(out.stderr, "shmrun: job timed out after 1 s; ending it\n");
    assert!(
        out.took >= Duration::from_millis(950),
        "took {:?}",
        out.took
    );
    assert!(out.took < Duration::from_secs(5), "took {:?}", out.took);
    assert_no_leftovers(&m, Duration::from_secs(2));
}

#[test]
fn timeout_does_not_touch_a_job_that_finishes() {
    let out = run(&["--timeout", "30", "-n", "2", "sh", "-c", "echo ok"]);
    assert_eq!(out.code(), 0);
    assert_eq!(out.stdout, "ok\nok\n");
    assert_eq!(out.stderr, "");
    assert!(out.took < Duration::from_secs(5));
}

#[test]
fn tag_output_prefixes_whole_lines() {
    // Each rank writes 20 long lines to stdout and 20 to stderr at the same
    // time as the others, then one last line without a newline to each.
    let script = r#"
        pad=$(printf '%3000s' '' | tr ' ' x)
        i=0
        while [ $i -lt 20 ]; do
            echo "out $SHMPI_RANK $i $pad"
            echo "err $SHMPI_RANK $i $pad" >&2
            i=$((i + 1))
        done
        printf 'out %s last' $SHMPI_RANK
        printf 'err %s last' $SHMPI_RANK >&2
    "#;
    let n = 4;
    let out = run(&["--tag-output", "-n", &n.to_string(), "sh", "-c", script]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let pad = "x".repeat(3000);
    for (stream, text) in [("out", &out.stdout), ("err", &out.stderr)] {
        assert!(text.ends_with('\n'));
        let mut seen: Vec<String> = text.lines().map(str::to_string).collect();
        seen.sort();
        let mut want = Vec::new();
        for r in 0..n {
            for i in 0..20 {
                want.push(format!("[{r}] {stream} {r} {i} {pad}"));
            }
            want.push(format!("[{r}] {stream} {r} last"));
        }
        want.sort();
        assert_eq!(seen.len(), want.len(), "{stream}");
        assert!(seen == want, "{stream}: lines are not intact or not tagged");
    }
}

#[test]
fn tag_output_forwards_everything_before_a_failure_status() {
    let script = "echo before; [ $SHMPI_RANK = 1 ] && exit 2; echo after";
    let out = run(&["--tag-output", "-n", "2", "sh", "-c", script]);
    assert_eq!(out.code(), 2);
    assert!(out.stdout.contains("[1] before\n"), "{}", out.stdout);
    assert!(out
        .stdout
        .lines()
        .all(|l| l.starts_with("[0] ") || l.starts_with("[1] ")));
}

#[test]
fn missing_program() {
    let m = marker();
    let prog = format!("/nonexistent/prog-{m}");
    let out = run(&["-n", "3", &prog, "-x"]);
    assert_eq!(out.code(), 127);
    assert_eq!(out.launcher_lines().len(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(&format!(
            "shmrun: cannot run {prog}: No such file or directory"
        )),
        "{}",
        out.stderr
    );
    assert_no_leftovers(&m, Duration::from_secs(2));
}

#[test]
fn bad_arguments_are_refused() {
    assert_eq!(run(&["-n", "0", "true"]).code(), 2);
    assert_eq!(run(&["--timeout", "0", "true"]).code(), 2);
    assert_eq!(run(&["-n", "2"]).code(), 2);
    let help = run(&["--help"]);
    assert_eq!(help.code(), 0);
    assert!(help.stdout.contains("--tag-output"));
    let version = run(&["--version"]);
    assert_eq!(version.code(), 0);
    assert!(version.stdout.starts_with("shmrun "));
}

#[test]
fn processes_left_behind_by_ranks_are_ended() {
    let m = marker();
    // The rank exits 0 at once but leaves a sleep behind in its group.
    let script = format!("sleep {m} & echo started");
    let out = run(&["-n", "2", "sh", "-c", &script]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(out.stdout, "started\nstarted\n");
    assert!(out.took < Duration::from_secs(5), "took {:?}", out.took);
    assert_no_leftovers(&m, Duration::from_secs(2));
}

fn shmpi_files_in_dev_shm() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/dev/shm") else {
        return Vec::new();
    };
    dir.flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("shmpi"))
        .collect()
}

#[test]
fn no_files_in_dev_shm() {
    let before = shmpi_files_in_dev_shm();
    let out = run(&["-n", "4", "sh", "-c", "true"]);
    assert_eq!(out.code(), 0);
    let after = shmpi_files_in_dev_shm();
    let new: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
    assert!(new.is_empty(), "shmrun left {new:?} in /dev/shm");
}

#[test]
fn ranks_die_with_a_killed_launcher() {
    let m = marker();
    // exec: the rank itself is the sleeper (a process that a rank forks is
    // not covered by the death signal).
    let script = format!("echo up; exec sleep {m}");
    let (child, stdout) = start_and_wait(&["-n", "3", "sh", "-c", &script], 3);
    // A rank has printed "up" but may still be in its exec, when its
    // command line can read empty: wait until every rank is its `sleep`,
    // then count (a count taken while one is mid-exec comes out short).
    let sleepers = || {
        processes_with(&m)
            .into_iter()
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| c.starts_with(b"sleep\0"))
            })
            .count()
    };
    let until = Instant::now() + Duration::from_secs(10);
    while sleepers() != 3 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(sleepers(), 3, "3 ranks sleeping");
    assert_eq!(processes_with(&m).len(), 4, "shmrun and 3 ranks");
    signal(&child, libc::SIGKILL);
    // Not `finish`: reading to the end would wait for the ranks, which
    // hold the pipe, and pass once their sleeps ran out.
    let mut child = child;
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    assert_no_leftovers(&m, Duration::from_secs(3));
    drop(stdout);
}
