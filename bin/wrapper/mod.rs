//! The compiler wrappers `shmpicc` (C) and `shmpicxx` (C++): they compile
//! and link a program against shmpi the way MPICH's `mpicc` and `mpicxx` do
//! against MPICH, so build systems (make, CMake's FindMPI, autotools) use
//! them unchanged.
//!
//! ```text
//! shmpicc [-show | -compile_info | -link_info | -showme[:compile|:link]] [-cc=CC] ARGS...
//! ```
//!
//! The command run is `CC ARGS... -I<include> -L<lib> -Wl,-rpath,<lib> -lmpi`
//! (the link flags only when linking, that is when ARGS has none of `-c`,
//! `-S`, `-E`, `-M`, `-MM`), and the wrapper exits with its status.
//!
//! * `<include>` holds `mpi.h`: `<dir of the wrapper>/../include` when that
//!   has one (an installed layout), else the source tree's
//!   `src/capi/include`, whose path is fixed when the wrapper is built.
//! * `<lib>` is the link directory `<dir of the wrapper>/shmpi-lib/` (see
//!   `c_library.rs`), checked and re-pointed at the newest `libshmpi.so` on
//!   every run; its `libmpi.so` has SONAME `libmpi.so.12`, so the program
//!   records MPICH's library name, and the run path lets it start with or
//!   without `shmrun`.
//! * `CC` is, first to last: `-cc=CC` (`-cxx=` for shmpicxx), `MPICH_CC`
//!   (`MPICH_CXX`), `CC` (`CXX`), then `cc` (`c++`). A value may carry
//!   options (`CC="gcc -m64"`). A compiler that is this very wrapper (as
//!   with `export CC=shmpicc`) is passed over rather than run again.
//!
//! Options that only print (nothing is run; each prints one line):
//!
//! | option | prints |
//! |---|---|
//! | `-show`, `-showme` | the whole command |
//! | `-compile_info`, `-compile-info` | the command without link flags (as with `-c`) |
//! | `-link_info`, `-link-info` | the command with link flags |
//! | `-show-compile-info`, `-showme:compile` | the compile flags alone |
//! | `-show-link-info`, `-showme:link` | the link flags alone |
//! | `-showme:incdirs`, `-showme:libdirs`, `-showme:libs` | as Open MPI's `mpicc` |
//!
//! (`-showme...` are Open MPI's spellings.) Every other argument goes to
//! the compiler unchanged.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::c_library;

/// Set in the compiler's environment; finding it set on start means the
/// compiler ran a wrapper again, which would never end.
const RECURSION_GUARD: &str = "SHMPI_WRAPPER_RUNNING";

/// The language a wrapper compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    C,
    Cxx,
}

impl Language {
    fn wrapper(self) -> &'static str {
        match self {
            Language::C => "shmpicc",
            Language::Cxx => "shmpicxx",
        }
    }

    /// The `-cc=` option, then the environment variables, in order.
    fn overrides(self) -> (&'static str, [&'static str; 2]) {
        match self {
            Language::C => ("-cc=", ["MPICH_CC", "CC"]),
            Language::Cxx => ("-cxx=", ["MPICH_CXX", "CXX"]),
        }
    }

    fn default_compiler(self) -> &'static str {
        match self {
            Language::C => "cc",
            Language::Cxx => "c++",
        }
    }
}

/// What the wrapper is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Run the compiler.
    Run,
    /// Print the whole command (`-show`).
    Show,
    /// Print the command without link flags (`-compile_info`).
    CompileInfo,
    /// Print the command with link flags (`-link_info`).
    LinkInfo,
    /// Print only the compile flags.
    CompileFlags,
    /// Print only the link flags.
    LinkFlags,
    IncludeDirs,
    LibraryDirs,
    Libraries,
}

/// A wrapper's command line, split into its own options and the
/// compiler's arguments.
#[derive(Debug, PartialEq, Eq)]
struct Invocation {
    mode: Mode,
    compiler: Option<OsString>,
    args: Vec<OsString>,
    links: bool,
}

fn parse(language: Language, argv: impl IntoIterator<Item = OsString>) -> Invocation {
    let (cc_option, _) = language.overrides();
    let mut invocation = Invocation {
        mode: Mode::Run,
        compiler: None,
        args: Vec::new(),
        links: true,
    };
    for arg in argv {
        let mode = match arg.as_bytes() {
            b"-show" | b"-showme" | b"--showme" => Some(Mode::Show),
            b"-compile_info" | b"-compile-info" => Some(Mode::CompileInfo),
            b"-link_info" | b"-link-info" => Some(Mode::LinkInfo),
            b"-show-compile-info" | b"-showme:compile" | b"--showme:compile" => {
                Some(Mode::CompileFlags)
            }
            b"-show-link-info" | b"-showme:link" | b"--showme:link" => Some(Mode::LinkFlags),
            b"-showme:incdirs" | b"--showme:incdirs" => Some(Mode::IncludeDirs),
            b"-showme:libdirs" | b"--showme:libdirs" => Some(Mode::LibraryDirs),
            b"-showme:libs" | b"--showme:libs" => Some(Mode::Libraries),
            _ => None,
        };
        if let Some(mode) = mode {
            invocation.mode = mode;
            continue;
        }
        if let Some(cc) = arg.as_bytes().strip_prefix(cc_option.as_bytes()) {
            invocation.compiler = Some(OsStr::from_bytes(cc).to_owned());
            continue;
        }
        if matches!(arg.as_bytes(), b"-c" | b"-S" | b"-E" | b"-M" | b"-MM") {
            invocation.links = false;
        }
        invocation.args.push(arg);
    }
    if invocation.mode == Mode::CompileInfo {
        invocation.links = false;
    }
    invocation
}

/// Where `mpi.h` is: `<exe dir>/../include` when it has one, else the
/// source tree's `src/capi/include`.
fn include_dir(exe_dir: &Path) -> PathBuf {
    if let Some(prefix) = exe_dir.parent() {
        let installed = prefix.join("include");
        if installed.join("mpi.h").is_file() {
            return installed;
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/capi/include")
}

/// The compiler and the options it came with, from the first source that
/// names one that is not a wrapper.
fn compiler(language: Language, option: Option<OsString>, exe_dir: &Path) -> Vec<OsString> {
    let (_, variables) = language.overrides();
    let candidates = option
        .into_iter()
        .chain(variables.iter().filter_map(std::env::var_os));
    for value in candidates {
        let words: Vec<OsString> = value
            .as_bytes()
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .map(|w| OsStr::from_bytes(w).to_owned())
            .collect();
        match words.first() {
            Some(program) if !is_wrapper(program, exe_dir) => return words,
            _ => {}
        }
    }
    vec![language.default_compiler().into()]
}

/// Whether `program` (a path, or a name looked up in `PATH`) is one of
/// the wrappers beside this one.
fn is_wrapper(program: &OsStr, exe_dir: &Path) -> bool {
    let Some(found) = crate::c_library::resolve_program(program) else {
        return false;
    };
    let Ok(found) = found.canonicalize() else {
        return false;
    };
    [Language::C, Language::Cxx]
        .iter()
        .filter_map(|l| exe_dir.join(l.wrapper()).canonicalize().ok())
        .any(|wrapper| wrapper == found)
}

/// The compile flags: `-I<include>`.
fn compile_flags(include: &Path) -> Vec<OsString> {
    vec![flag("-I", include)]
}

/// The link flags: `-L<lib> -Wl,-rpath,<lib> -lmpi`.
fn link_flags(lib: &Path) -> Vec<OsString> {
    vec![
        flag("-L", lib),
        flag("-Wl,-rpath,", lib),
        OsString::from("-lmpi"),
    ]
}

fn flag(prefix: &str, path: &Path) -> OsString {
    let mut flag = OsString::from(prefix);
    flag.push(path);
    flag
}

/// Words joined by spaces, each quoted for a POSIX shell when it needs it.
fn shell_line(words: &[OsString]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| {
            let w = w.to_string_lossy();
            let plain = !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./,=:+@%".contains(&b));
            if plain {
                w.into_owned()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect();
    quoted.join(" ")
}

/// Runs the wrapper for `language`; never returns.
pub fn main(language: Language) -> ! {
    let name = language.wrapper();
    if std::env::var_os(RECURSION_GUARD).is_some() {
        eprintln!(
            "{name}: the compiler ran {name} again; set CC/MPICH_CC (CXX/MPICH_CXX) to a real compiler"
        );
        std::process::exit(1);
    }
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    if argv.is_empty() || argv == ["-help"] || argv == ["--help"] {
        eprintln!(
            "usage: {name} [-show | -compile_info | -link_info | -showme:compile | -showme:link] \
             [-{}=COMPILER] COMPILER-ARGS...",
            if language == Language::C { "cc" } else { "cxx" }
        );
        std::process::exit(if argv.is_empty() { 1 } else { 0 });
    }
    let exe_dir = match c_library::exe_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("{name}: cannot find my own directory: {e}");
            std::process::exit(1);
        }
    };
    let invocation = parse(language, argv);
    let include = include_dir(&exe_dir);
    let lib = exe_dir.join(c_library::LINK_DIR);
    let compiler = compiler(language, invocation.compiler.clone(), &exe_dir);

    let mut command: Vec<OsString> = compiler;
    command.extend(invocation.args.iter().cloned());
    command.extend(compile_flags(&include));
    if invocation.links {
        command.extend(link_flags(&lib));
    }

    let printed = match invocation.mode {
        Mode::Run => None,
        Mode::Show | Mode::CompileInfo | Mode::LinkInfo => Some(command.clone()),
        Mode::CompileFlags => Some(compile_flags(&include)),
        Mode::LinkFlags => Some(link_flags(&lib)),
        Mode::IncludeDirs => Some(vec![include.into()]),
        Mode::LibraryDirs => Some(vec![lib.clone().into()]),
        Mode::Libraries => Some(vec!["mpi".into()]),
    };
    let needs_library = invocation.links
        || matches!(
            invocation.mode,
            Mode::LinkFlags | Mode::LibraryDirs | Mode::Libraries
        );
    if needs_library {
        // What is printed will be used to link: make it work. A failure
        // stops a link, but not a mere -show.
        if let Err(why) = c_library::link_dir_for(&exe_dir) {
            if invocation.mode == Mode::Run {
                eprintln!("{name}: {why}");
                std::process::exit(1);
            }
        }
    }
    if let Some(words) = printed {
        println!("{}", shell_line(&words));
        std::process::exit(0);
    }

    let error = Command::new(&command[0])
        .args(&command[1..])
        .env(RECURSION_GUARD, "1")
        .exec();
    eprintln!(
        "{name}: cannot run the compiler {}: {error}",
        command[0].to_string_lossy()
    );
    std::process::exit(127);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Invocation {
        parse(Language::C, args.iter().map(OsString::from))
    }

    #[test]
    fn wrapper_options_are_taken_out() {
        let i = parsed(&["-show", "-o", "x", "x.c", "-cc=clang"]);
        assert_eq!(i.mode, Mode::Show);
        assert_eq!(i.compiler, Some("clang".into()));
        assert_eq!(i.args, ["-o", "x", "x.c"]);
        assert!(i.links);
        assert_eq!(parsed(&["-showme:link"]).mode, Mode::LinkFlags);
        assert_eq!(parsed(&["-compile-info"]).mode, Mode::CompileInfo);
        assert!(!parsed(&["-compile_info", "x.c"]).links);
        assert!(parsed(&["-link_info", "x.c"]).links);
        // -cxx= belongs to shmpicxx only.
        assert_eq!(parsed(&["-cxx=g++"]).args, ["-cxx=g++"]);
        let cxx = parse(Language::Cxx, ["-cxx=g++"].map(OsString::from));
        assert_eq!(cxx.compiler, Some("g++".into()));
    }

    #[test]
    fn compile_only_flags_stop_linking() {
        for flag in ["-c", "-S", "-E", "-M", "-MM"] {
            assert!(!parsed(&[flag, "x.c"]).links, "{flag}");
        }
        assert!(parsed(&["-o", "x", "x.c", "-O2"]).links);
    }

    #[test]
    fn shell_quoting() {
        let words = ["cc", "-DX=1", "a b", "it's", ""].map(OsString::from);
        assert_eq!(shell_line(&words), r"cc -DX=1 'a b' 'it'\''s' ''");
    }
}
