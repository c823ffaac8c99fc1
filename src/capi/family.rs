//! The parts of MPI that shmpi does not support yet, and which entry
//! points belong to each.
//!
//! A function of `mpi.h` that no module of the C interface defines is
//! still exported: build.rs generates it as a stub that raises
//! MPI_ERR_UNSUPPORTED_OPERATION (see [`super::unsupported`]). Its message
//! names the family the function belongs to, as given here ("shmpi does
//! not support one-sided communication (windows) yet"), and the README's
//! support table groups the missing functions by the same families.
//!
//! This file is plain code over names with no other item of the crate:
//! build.rs includes it as a module of its own.

/// One-sided communication: windows and RMA operations.
pub const ONE_SIDED: &str = "one-sided communication (windows)";
/// MPI-IO.
pub const IO: &str = "MPI-IO (files)";
/// MPI_Ibarrier, MPI_Ibcast, ...
pub const NONBLOCKING_COLLECTIVES: &str = "nonblocking collectives";
/// MPI_Barrier_init, MPI_Bcast_init, ...
pub const PERSISTENT_COLLECTIVES: &str = "persistent collectives";
/// MPI_Neighbor_* and MPI_Ineighbor_*.
pub const NEIGHBORHOOD_COLLECTIVES: &str = "neighborhood collectives";
/// Cartesian, graph and distributed graph topologies.
pub const TOPOLOGIES: &str = "process topologies";
/// Spawning processes, ports, name publishing.
pub const DYNAMIC_PROCESSES: &str = "dynamic processes";
/// MPI_Intercomm_* and the remote group of a communicator.
pub const INTERCOMMUNICATORS: &str = "intercommunicators";
/// MPI-4 sessions.
pub const SESSIONS: &str = "sessions";
/// MPI_Grequest_*.
pub const GENERALIZED_REQUESTS: &str = "generalized requests";
/// MPI-4 partitioned point to point.
pub const PARTITIONED: &str = "partitioned communication";
/// MPI_T_*.
pub const TOOLS: &str = "the tool information interface (MPI_T)";

/// Every family, in the order of the README's table.
pub const FAMILIES: &[&str] = &[
    NONBLOCKING_COLLECTIVES,
    PERSISTENT_COLLECTIVES,
    NEIGHBORHOOD_COLLECTIVES,
    PARTITIONED,
    GENERALIZED_REQUESTS,
    INTERCOMMUNICATORS,
    TOPOLOGIES,
    ONE_SIDED,
    IO,
    DYNAMIC_PROCESSES,
    SESSIONS,
    TOOLS,
];

/// The blocking collectives, whose names with an `I` before them are the
/// nonblocking forms, and with `_init` after them the persistent forms.
const COLLECTIVES: &[&str] = &[
    "Allgather",
    "Allgatherv",
    "Allreduce",
    "Alltoall",
    "Alltoallv",
    "Alltoallw",
    "Barrier",
    "Bcast",
    "Exscan",
    "Gather",
    "Gatherv",
    "Reduce",
    "Reduce_scatter",
    "Reduce_scatter_block",
    "Scan",
    "Scatter",
    "Scatterv",
];

/// RMA operations (without the `MPI_` prefix and `_c` suffix).
const RMA: &[&str] = &[
    "Put",
    "Get",
    "Accumulate",
    "Get_accumulate",
    "Fetch_and_op",
    "Compare_and_swap",
    "Rput",
    "Rget",
    "Raccumulate",
    "Rget_accumulate",
];

const DYNAMIC: &[&str] = &[
    "Comm_spawn",
    "Comm_spawn_multiple",
    "Comm_get_parent",
    "Open_port",
    "Close_port",
    "Comm_accept",
    "Comm_connect",
    "Comm_join",
    "Comm_disconnect",
    "Publish_name",
    "Unpublish_name",
    "Lookup_name",
];

const PARTITIONED_CALLS: &[&str] = &[
    "Psend_init",
    "Precv_init",
    "Pready",
    "Pready_list",
    "Pready_range",
    "Parrived",
];

/// The family MPI function `name` (`MPI_Win_create`) belongs to, among
/// those shmpi does not support yet; None for any other function.
pub fn family(name: &str) -> Option<&'static str> {
    let base = name.strip_prefix("MPI_")?;
    let base = base.strip_suffix("_c").unwrap_or(base);
    let is_collective = |s: &str| {
        let mut chars = s.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        let capitalized = format!("{}{}", first.to_ascii_uppercase(), chars.as_str());
        COLLECTIVES.contains(&capitalized.as_str())
    };
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| base.starts_with(p));
    let family = if starts(&["Neighbor_", "Ineighbor_"]) {
        NEIGHBORHOOD_COLLECTIVES
    } else if base.strip_suffix("_init").is_some_and(is_collective) {
        PERSISTENT_COLLECTIVES
    } else if base.strip_prefix('I').is_some_and(is_collective) {
        NONBLOCKING_COLLECTIVES
    } else if starts(&["Win_"]) || RMA.contains(&base) {
        ONE_SIDED
    } else if starts(&["File_", "Register_datarep"]) {
        IO
    } else if starts(&["Cart_", "Graph_", "Dist_graph_"])
        || ["Cartdim_get", "Graphdims_get", "Topo_test", "Dims_create"].contains(&base)
    {
        TOPOLOGIES
    } else if DYNAMIC.contains(&base) {
        DYNAMIC_PROCESSES
    } else if starts(&["Intercomm_"]) || ["Comm_remote_group", "Comm_remote_size"].contains(&base) {
        INTERCOMMUNICATORS
    } else if starts(&["Session_"])
        || ["Comm_create_from_group", "Group_from_session_pset"].contains(&base)
    {
        SESSIONS
    } else if starts(&["Grequest_"]) {
        GENERALIZED_REQUESTS
    } else if PARTITIONED_CALLS.contains(&base) {
        PARTITIONED
    } else if starts(&["T_"]) {
        TOOLS
    } else {
        return None;
    };
    Some(family)
}

/// The message of the MPI_ERR_UNSUPPORTED_OPERATION error of `name`,
/// without the call name in front.
pub fn unsupported_message(name: &str) -> String {
    let what = family(name).unwrap_or("this function");
    format!("shmpi does not support {what} yet")
}
