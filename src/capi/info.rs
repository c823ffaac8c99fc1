//! Info objects: ordered (key, value) string pairs, and MPI_INFO_ENV.
//!
//! MPI_INFO_ENV is predefined and read-only here: it holds what the
//! standard suggests about how the program was started (`command`,
//! `argv`, `maxprocs`, `host`, `arch`, `wdir`, `thread_level`), read from
//! the process (`/proc/self/cmdline`, the working directory) when first
//! asked for. Info calls work before MPI_Init too (MPI-4 allows it).

use std::os::raw::{c_char, c_int};

use super::consts::*;
use super::errors::call;
use super::errors::NO_OBJECT;
use super::handle::{Kind, Table};
use super::state::{with, Mpi, Phase};
use super::{mpi_fn, out, read_str, write_str};
use crate::error::{mpi_err, Result};

/// An info object: keys in insertion order.
pub type InfoObj = Vec<(String, String)>;

/// The info table.
pub struct Infos {
    /// Live info objects.
    pub table: Table<InfoObj>,
}

impl Default for Infos {
    fn default() -> Infos {
        Infos {
            table: Table::new(Kind::Info),
        }
    }
}

/// The name of thread level `l`.
fn thread_level_name(l: c_int) -> &'static str {
    match l {
        MPI_THREAD_SINGLE => "MPI_THREAD_SINGLE",
        MPI_THREAD_FUNNELED => "MPI_THREAD_FUNNELED",
        MPI_THREAD_SERIALIZED => "MPI_THREAD_SERIALIZED",
        _ => "MPI_THREAD_MULTIPLE",
    }
}

/// The contents of MPI_INFO_ENV (or of MPI_Info_create_env with `args`).
fn env_info(m: &Mpi, args: Option<Vec<String>>) -> InfoObj {
    let args = args.unwrap_or_else(|| {
        std::fs::read("/proc/self/cmdline")
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    });
    let mut v = Vec::new();
    if let Some(cmd) = args.first() {
        v.push(("command".to_string(), cmd.clone()));
    }
    if args.len() > 1 {
        v.push(("argv".to_string(), args[1..].join(" ")));
    }
    let size = m
        .universe
        .as_ref()
        .map(|u| u.world().size())
        .or_else(|| std::env::var("SHMPI_SIZE").ok()?.parse().ok())
        .unwrap_or(1);
    v.push(("maxprocs".into(), size.to_string()));
    if let Ok(h) = nix::unistd::gethostname() {
        v.push(("host".into(), h.to_string_lossy().into_owned()));
    }
    v.push(("arch".into(), std::env::consts::ARCH.into()));
    if let Ok(d) = std::env::current_dir() {
        v.push(("wdir".into(), d.to_string_lossy().into_owned()));
    }
    let level = if m.phase == Phase::Running {
        m.thread_level
    } else {
        MPI_THREAD_SERIALIZED
    };
    v.push(("thread_level".into(), thread_level_name(level).into()));
    v
}

/// The contents of info handle `h` (MPI_INFO_ENV included).
pub fn info_of(h: c_int) -> Result<InfoObj> {
    with(|m| {
        if h == MPI_INFO_ENV {
            Ok(env_info(m, None))
        } else {
            get(m, h).cloned()
        }
    })
}

fn get(m: &Mpi, h: c_int) -> Result<&InfoObj> {
    match m.infos.table.get(h) {
        Some(i) => Ok(i),
        None if h == MPI_INFO_NULL => mpi_err!(Info, "info is MPI_INFO_NULL"),
        None => mpi_err!(
            Info,
            "{h:#x} is not a valid info handle (freed, or never made)"
        ),
    }
}

fn get_mut(m: &mut Mpi, h: c_int) -> Result<&mut InfoObj> {
    if h == MPI_INFO_ENV {
        return mpi_err!(Info, "MPI_INFO_ENV is predefined and cannot be changed");
    }
    get(m, h)?;
    Ok(m.infos.table.get_mut(h).expect("checked above"))
}

/// Reads and checks an info key.
fn key(p: *const c_char) -> Result<String> {
    if p.is_null() {
        return mpi_err!(InfoKey, "key is a null pointer");
    }
    let k = read_str("key", p)?;
    if k.is_empty() {
        return mpi_err!(InfoKey, "the key is empty");
    }
    if k.len() > MPI_MAX_INFO_KEY {
        return mpi_err!(
            InfoKey,
            "key \"{}...\" is {} characters long (MPI_MAX_INFO_KEY is {MPI_MAX_INFO_KEY})",
            &k[..k.char_indices().nth(20).map_or(k.len(), |(i, _)| i)],
            k.len()
        );
    }
    Ok(k)
}

/// Registers a new info object and writes its handle to `p`.
fn give(what: &str, p: *mut c_int, v: InfoObj) -> Result<()> {
    if p.is_null() {
        return mpi_err!(Arg, "{what} is a null pointer");
    }
    let h = with(|m| m.infos.table.insert(v));
    out(what, p, h)
}

/// A new info handle holding `v` (for MPI_Comm_get_info).
pub fn new_info(v: InfoObj) -> c_int {
    with(|m| m.infos.table.insert(v))
}

/// The value of `key` in `info`.
fn lookup(info: c_int, k: &str) -> Result<Option<String>> {
    Ok(info_of(info)?
        .into_iter()
        .find(|(a, _)| a == k)
        .map(|(_, v)| v))
}

mpi_fn! {
    fn MPI_Info_create / PMPI_Info_create(info: *mut c_int) -> c_int {
        call("MPI_Info_create", NO_OBJECT, || give("info", info, Vec::new()))
    }
}

mpi_fn! {
    fn MPI_Info_create_env / PMPI_Info_create_env(argc: c_int, argv: *mut *mut c_char, info: *mut c_int) -> c_int {
        call("MPI_Info_create_env", NO_OBJECT, || {
            let args = if argc > 0 && !argv.is_null() {
                let mut a = Vec::with_capacity(argc as usize);
                for i in 0..argc as usize {
                    // SAFETY: `argv` holds `argc` pointers (main's arguments).
                    let p = unsafe { *argv.add(i) };
                    a.push(read_str("argv[i]", p)?);
                }
                Some(a)
            } else {
                None
            };
            let v = with(|m| env_info(m, args));
            give("info", info, v)
        })
    }
}

mpi_fn! {
    fn MPI_Info_set / PMPI_Info_set(info: c_int, key_: *const c_char, value: *const c_char) -> c_int {
        call("MPI_Info_set", NO_OBJECT, || {
            let k = key(key_)?;
            if value.is_null() {
                return mpi_err!(InfoValue, "the value of key \"{k}\" is a null pointer");
            }
            let v = read_str("value", value)?;
            if v.len() > MPI_MAX_INFO_VAL {
                return mpi_err!(
                    InfoValue,
                    "the value of key \"{k}\" is {} characters long (MPI_MAX_INFO_VAL is {MPI_MAX_INFO_VAL})",
                    v.len()
                );
            }
            with(|m| {
                let i = get_mut(m, info)?;
                match i.iter_mut().find(|(a, _)| *a == k) {
                    Some(e) => e.1 = v,
                    None => i.push((k, v)),
                }
                Ok(())
            })
        })
    }
}

mpi_fn! {
    fn MPI_Info_delete / PMPI_Info_delete(info: c_int, key_: *const c_char) -> c_int {
        call("MPI_Info_delete", NO_OBJECT, || {
            let k = key(key_)?;
            with(|m| {
                let i = get_mut(m, info)?;
                match i.iter().position(|(a, _)| *a == k) {
                    Some(p) => {
                        i.remove(p);
                        Ok(())
                    }
                    None => mpi_err!(InfoNokey, "key \"{k}\" is not in info {info:#x}"),
                }
            })
        })
    }
}

mpi_fn! {
    fn MPI_Info_get / PMPI_Info_get(info: c_int, key_: *const c_char, valuelen: c_int, value: *mut c_char, flag: *mut c_int) -> c_int {
        call("MPI_Info_get", NO_OBJECT, || {
            let k = key(key_)?;
            if valuelen < 0 {
                return mpi_err!(Arg, "valuelen {valuelen} is negative");
            }
            if flag.is_null() {
                return mpi_err!(Arg, "flag is a null pointer");
            }
            match lookup(info, &k)? {
                Some(v) => {
                    // `value` holds valuelen + 1 bytes (the NUL included).
                    write_str("value", value, std::ptr::null_mut(), &v, valuelen as usize + 1)?;
                    out("flag", flag, 1)
                }
                None => out("flag", flag, 0),
            }
        })
    }
}

mpi_fn! {
    fn MPI_Info_get_string / PMPI_Info_get_string(info: c_int, key_: *const c_char, buflen: *mut c_int, value: *mut c_char, flag: *mut c_int) -> c_int {
        call("MPI_Info_get_string", NO_OBJECT, || {
            let k = key(key_)?;
            if buflen.is_null() {
                return mpi_err!(Arg, "buflen is a null pointer");
            }
            if flag.is_null() {
                return mpi_err!(Arg, "flag is a null pointer");
            }
            // SAFETY: checked non-null; points to the caller's int.
            let len = unsafe { *buflen };
            if len < 0 {
                return mpi_err!(Arg, "*buflen = {len} is negative");
            }
            match lookup(info, &k)? {
                Some(v) => {
                    if len > 0 {
                        write_str("value", value, std::ptr::null_mut(), &v, len as usize)?;
                    }
                    out("buflen", buflen, v.len() as c_int + 1)?;
                    out("flag", flag, 1)
                }
                None => out("flag", flag, 0),
            }
        })
    }
}

mpi_fn! {
    fn MPI_Info_get_valuelen / PMPI_Info_get_valuelen(info: c_int, key_: *const c_char, valuelen: *mut c_int, flag: *mut c_int) -> c_int {
        call("MPI_Info_get_valuelen", NO_OBJECT, || {
            let k = key(key_)?;
            if flag.is_null() {
                return mpi_err!(Arg, "flag is a null pointer");
            }
            match lookup(info, &k)? {
                Some(v) => {
                    out("valuelen", valuelen, v.len() as c_int)?;
                    out("flag", flag, 1)
                }
                None => out("flag", flag, 0),
            }
        })
    }
}

mpi_fn! {
    fn MPI_Info_get_nkeys / PMPI_Info_get_nkeys(info: c_int, nkeys: *mut c_int) -> c_int {
        call("MPI_Info_get_nkeys", NO_OBJECT, || {
            let n = info_of(info)?.len();
            out("nkeys", nkeys, n as c_int)
        })
    }
}

mpi_fn! {
    fn MPI_Info_get_nthkey / PMPI_Info_get_nthkey(info: c_int, n: c_int, key_: *mut c_char) -> c_int {
        call("MPI_Info_get_nthkey", NO_OBJECT, || {
            let i = info_of(info)?;
            if n < 0 || n as usize >= i.len() {
                return mpi_err!(Arg, "n = {n} is not in 0..{} (the number of keys)", i.len());
            }
            write_str("key", key_, std::ptr::null_mut(), &i[n as usize].0, MPI_MAX_INFO_KEY + 1)
        })
    }
}

mpi_fn! {
    fn MPI_Info_dup / PMPI_Info_dup(info: c_int, newinfo: *mut c_int) -> c_int {
        call("MPI_Info_dup", NO_OBJECT, || {
            let v = info_of(info)?;
            give("newinfo", newinfo, v)
        })
    }
}

mpi_fn! {
    fn MPI_Info_free / PMPI_Info_free(info: *mut c_int) -> c_int {
        call("MPI_Info_free", NO_OBJECT, || {
            if info.is_null() {
                return mpi_err!(Arg, "info is a null pointer");
            }
            // SAFETY: checked non-null; points to the caller's handle.
            let h = unsafe { *info };
            if h == MPI_INFO_ENV {
                return mpi_err!(Info, "MPI_INFO_ENV is predefined and cannot be freed");
            }
            with(|m| {
                get(m, h)?;
                m.infos.table.remove(h);
                Ok(())
            })?;
            // SAFETY: as above.
            unsafe { *info = MPI_INFO_NULL };
            Ok(())
        })
    }
}
