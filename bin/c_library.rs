//! Where shmpi's C library is, and the link directory that makes programs
//! find it: shared by `shmrun`, `shmpicc` and `shmpicxx` (each includes this
//! file with `#[path]`), so that the three agree on one library.
//!
//! # The library
//!
//! Cargo builds the C library as `libshmpi.so` (SONAME `libmpi.so.12`, see
//! `build.rs`) beside the binaries. `cargo build` puts it in the profile
//! directory, `<dir of the executable>/libshmpi.so`; `cargo test` builds it
//! only in `<dir>/deps/libshmpi.so` and does not copy it up. Either may be
//! stale, so of the two that exist the one modified last is taken.
//!
//! # The link directory
//!
//! `<dir of the executable>/shmpi-lib/` holds three symbolic links to that
//! library, by absolute path:
//!
//! | link | for |
//! |---|---|
//! | `libmpi.so` | the linker's `-lmpi` (shmpicc) |
//! | `libmpi.so.12` | the NEEDED entry of programs built with shmpicc or an MPICH `mpicc` |
//! | `libmpich.so.12` | the NEEDED entry of Debian's MPICH-built binaries (and mpi4py) |
//!
//! shmpicc links with `-L` and `-Wl,-rpath` of this directory, and shmrun
//! prepends it to the ranks' `LD_LIBRARY_PATH`, so a program loads shmpi's
//! library without the user setting anything. Every use checks the links and
//! re-points those that are missing or point elsewhere (after a rebuild into
//! the other location, say); a link is replaced atomically, by creating it
//! under a temporary name and renaming it over the old one, so concurrent
//! compilers and jobs never see a missing or half-made link.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

/// The file cargo builds the C library as.
pub const LIBRARY_FILE: &str = "libshmpi.so";
/// The link directory's name, beside the executable.
pub const LINK_DIR: &str = "shmpi-lib";
/// The names the link directory offers the library under.
pub const LINK_NAMES: [&str; 3] = ["libmpi.so", "libmpi.so.12", "libmpich.so.12"];

/// The directory of the running executable (symbolic links resolved).
pub fn exe_dir() -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    exe.parent().map(Path::to_path_buf).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} has no directory", exe.display()),
        )
    })
}

/// The C library for executables in `exe_dir`: of `exe_dir/libshmpi.so`
/// and `exe_dir/deps/libshmpi.so`, the one that exists, or the newer of the
/// two (by modification time); `None` when neither does.
pub fn find_library(exe_dir: &Path) -> Option<PathBuf> {
    [
        exe_dir.join(LIBRARY_FILE),
        exe_dir.join("deps").join(LIBRARY_FILE),
    ]
    .into_iter()
    .filter_map(|path| {
        let modified = std::fs::metadata(&path)
            .ok()
            .filter(|m| m.is_file())?
            .modified()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        Some((modified, path))
    })
    // On a tie, the uplifted copy (listed first) wins.
    .reduce(|newest, other| if other.0 > newest.0 { other } else { newest })
    .map(|(_, path)| path)
}

/// Makes `exe_dir/shmpi-lib/` hold the [`LINK_NAMES`], each pointing at
/// `library` (absolute), and returns the directory. Links that are right
/// already are left alone.
pub fn ensure_link_dir(exe_dir: &Path, library: &Path) -> io::Result<PathBuf> {
    let library = std::path::absolute(library)?;
    let dir = exe_dir.join(LINK_DIR);
    std::fs::create_dir_all(&dir)?;
    for name in LINK_NAMES {
        let link = dir.join(name);
        if std::fs::read_link(&link).is_ok_and(|to| to == library) {
            continue;
        }
        point(&link, &library)?;
    }
    Ok(dir)
}

/// Finds the library for `exe_dir` and ensures its link directory; the
/// error says what is missing, for a one-line message.
pub fn link_dir_for(exe_dir: &Path) -> Result<PathBuf, String> {
    let library = find_library(exe_dir).ok_or_else(|| {
        format!(
            "shmpi's C library ({LIBRARY_FILE}) is not in {} nor in its deps/ directory; \
             build it with `cargo build --release`",
            exe_dir.display()
        )
    })?;
    ensure_link_dir(exe_dir, &library)
        .map_err(|e| format!("cannot set up {}: {e}", exe_dir.join(LINK_DIR).display()))
}

/// Atomically makes `link` a symbolic link to `target`: a link under a
/// name unique to this process and call, renamed over `link`.
fn point(link: &Path, target: &Path) -> io::Result<()> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let mut temporary = link.as_os_str().to_owned();
    temporary.push(format!(
        ".tmp.{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let temporary = PathBuf::from(temporary);
    std::os::unix::fs::symlink(target, &temporary)?;
    std::fs::rename(&temporary, link).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// The file `program` names, found as `execvp` finds it: a name with a
/// `/` as it is, else the first executable file of that name in `PATH`.
pub fn resolve_program(program: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    if program.as_bytes().contains(&b'/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|file| {
            std::fs::metadata(file)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
