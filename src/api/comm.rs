//! Communicators: point to point, objects, collectives, dup and split.
//!
//! Every call checks its arguments first and returns an [`Error`] that
//! names the call and the values (a rank outside the communicator, a tag
//! below zero, a buffer of the wrong size) instead of misbehaving.

use std::ops::Range;
use std::rc::Rc;

use bytemuck::Pod;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::buffer::{Buffer, BufferMut};
use super::op::Op;
use super::request::{Request, Scope};
use crate::engine::p2p::{check_tag, ANY_SOURCE};
use crate::engine::{coll, Engine, Envelope, Status};
use crate::error::{mpi_err, Result};

/// The rank of no process: a send to it or a receive from it does nothing.
pub const PROC_NULL: i32 = -1;

struct Shared {
    engine: Rc<Engine>,
    comm: coll::Comm,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.comm.context > 1 {
            self.engine
                .contexts
                .borrow_mut()
                .release(self.comm.context, self.comm.last_seq());
        }
    }
}

/// A group of ranks with its own message space (MPI_Comm).
#[derive(Clone)]
pub struct Communicator {
    inner: Rc<Shared>,
}

fn bytes_of<T: Pod>(v: &[T]) -> &[u8] {
    bytemuck::cast_slice(v)
}

fn bytes_of_mut<T: Pod>(v: &mut [T]) -> &mut [u8] {
    bytemuck::cast_slice_mut(v)
}

/// Byte ranges of `counts`/`displs` (in elements of `elem` bytes), checked
/// against a buffer of `len` bytes.
fn byte_ranges(
    call: &str,
    what: &str,
    counts: &[usize],
    displs: &[usize],
    elem: usize,
    len: usize,
    n: usize,
) -> Result<Vec<Range<usize>>> {
    if counts.len() != n || displs.len() != n {
        return mpi_err!(
            Arg,
            "{call}: {what} counts and displacements need {n} entries each (one per rank), got {} and {}",
            counts.len(),
            displs.len()
        );
    }
    let mut out = Vec::with_capacity(n);
    for (i, (&c, &d)) in counts.iter().zip(displs).enumerate() {
        let r = d * elem..(d + c) * elem;
        if r.end > len {
            return mpi_err!(
                Buffer,
                "{call}: {what} part of rank {i} (displacement {d}, count {c}) ends past the buffer of {} elements",
                len / elem.max(1)
            );
        }
        out.push(r);
    }
    Ok(out)
}

/// Displacements that pack parts of `counts` one after another.
fn packed_displs(counts: &[usize]) -> Vec<usize> {
    counts
        .iter()
        .scan(0, |acc, c| {
            let d = *acc;
            *acc += c;
            Some(d)
        })
        .collect()
}

fn uniform(n: usize, len: usize) -> Vec<Range<usize>> {
    (0..n).map(|i| i * len..(i + 1) * len).collect()
}

fn op_bytes<'o, T: Pod>(op: &'o Op<'_, T>) -> impl Fn(&[u8], &mut [u8]) + 'o {
    move |a: &[u8], b: &mut [u8]| (op.f)(bytemuck::cast_slice(a), bytemuck::cast_slice_mut(b))
}

impl Communicator {
    /// The world communicator; `init` makes the one of the process.
    pub(crate) fn world(engine: Rc<Engine>) -> Communicator {
        let n = engine.size();
        let me = engine.rank();
        Communicator {
            inner: Rc::new(Shared {
                engine,
                comm: coll::Comm::new((0..n).collect(), me, 0, 0),
            }),
        }
    }

    /// This process alone (MPI_COMM_SELF): context 1, reserved in every process.
    pub(crate) fn self_comm(engine: Rc<Engine>) -> Communicator {
        let me = engine.rank();
        Communicator {
            inner: Rc::new(Shared {
                engine,
                comm: coll::Comm::new(vec![me], 0, 1, 0),
            }),
        }
    }

    pub(crate) fn engine(&self) -> &Rc<Engine> {
        &self.inner.engine
    }

    pub(crate) fn comm(&self) -> &coll::Comm {
        &self.inner.comm
    }

    /// This process's rank in the communicator.
    pub fn rank(&self) -> i32 {
        self.comm().me as i32
    }

    /// Number of ranks in the communicator.
    pub fn size(&self) -> i32 {
        self.comm().size() as i32
    }

    /// The world rank of each member, in rank order (MPI_Comm_group).
    pub fn group(&self) -> &[usize] {
        &self.comm().ranks
    }

    /// Context id of this communicator (distinct from every other live
    /// communicator this process belongs to).
    pub fn context_id(&self) -> u32 {
        self.comm().context
    }

    pub(crate) fn check_rank(&self, call: &str, what: &str, r: i32) -> Result<Option<usize>> {
        if r == PROC_NULL {
            return Ok(None);
        }
        if r < 0 || r >= self.size() {
            return mpi_err!(
                Rank,
                "{call}: {what} rank {r} is outside the communicator of size {}",
                self.size()
            );
        }
        Ok(Some(r as usize))
    }

    pub(crate) fn check_source(&self, call: &str, source: i32) -> Result<Option<i32>> {
        if source == ANY_SOURCE {
            return Ok(Some(ANY_SOURCE));
        }
        Ok(self.check_rank(call, "source", source)?.map(|r| r as i32))
    }

    fn check_root(&self, call: &str, root: i32) -> Result<usize> {
        if root < 0 || root >= self.size() {
            return mpi_err!(
                Root,
                "{call}: root {root} is outside the communicator of size {}",
                self.size()
            );
        }
        Ok(root as usize)
    }

    fn envelope(&self, source: i32, tag: i32) -> Envelope {
        Envelope {
            context: self.comm().context,
            source,
            tag,
        }
    }

    pub(crate) fn null_status() -> Status {
        Status {
            source: PROC_NULL,
            tag: crate::ANY_TAG,
            bytes: 0,
            cancelled: false,
        }
    }

    // ---------------------------------------------------------------- p2p

    /// Sends `buf` to rank `dest` with `tag` (blocking, standard mode: it
    /// returns once `buf` may be reused).
    ///
    /// ```
    /// let universe = shmpi::init().unwrap();
    /// let world = universe.world();
    /// if world.size() == 1 {
    ///     let x = [1.5f64, 2.5];
    ///     shmpi::scope(|s| {
    ///         let q = world.isend(s, &x, 0, 3).unwrap();
    ///         let mut y = [0.0f64; 2];
    ///         let st = world.recv(&mut y, 0, 3).unwrap();
    ///         assert_eq!((y, st.count::<f64>()), (x, 2));
    ///         q.wait().unwrap();
    ///     });
    /// }
    /// ```
    pub fn send<B: Buffer + ?Sized>(&self, buf: &B, dest: i32, tag: i32) -> Result<()> {
        check_tag("send", tag, false)?;
        let Some(d) = self.check_rank("send", "destination", dest)? else {
            return Ok(());
        };
        let c = self.comm();
        self.engine()
            .send(c.ranks[d], c.context, c.me as u32, tag, buf.as_bytes())
    }

    /// Receives into `buf` from `source` (or [`ANY_SOURCE`](crate::ANY_SOURCE))
    /// with `tag` (or [`ANY_TAG`](crate::ANY_TAG)). A message larger than
    /// `buf` is an `MPI_ERR_TRUNCATE` error.
    pub fn recv<B: BufferMut + ?Sized>(
        &self,
        buf: &mut B,
        source: i32,
        tag: i32,
    ) -> Result<Status> {
        check_tag("recv", tag, true)?;
        let Some(s) = self.check_source("recv", source)? else {
            return Ok(Self::null_status());
        };
        self.engine()
            .recv(self.envelope(s, tag), buf.as_bytes_mut())
    }

    /// Receives a message of any length as a vector of `T`.
    pub fn recv_vec<T: Pod>(&self, source: i32, tag: i32) -> Result<(Vec<T>, Status)> {
        check_tag("recv", tag, true)?;
        let Some(s) = self.check_source("recv", source)? else {
            return Ok((Vec::new(), Self::null_status()));
        };
        let (bytes, st) = self.engine().recv_vec(self.envelope(s, tag))?;
        let elem = std::mem::size_of::<T>().max(1);
        if bytes.len() % elem != 0 {
            return mpi_err!(
                Type,
                "recv: message of {} bytes is not a whole number of {elem}-byte elements",
                bytes.len()
            );
        }
        let mut out = vec![T::zeroed(); bytes.len() / elem];
        bytes_of_mut(&mut out).copy_from_slice(&bytes);
        Ok((out, st))
    }

    /// Waits for a matching message and returns its status without receiving it.
    pub fn probe(&self, source: i32, tag: i32) -> Result<Status> {
        check_tag("probe", tag, true)?;
        let Some(s) = self.check_source("probe", source)? else {
            return Ok(Self::null_status());
        };
        self.engine().probe(self.envelope(s, tag))
    }

    /// The status of a matching message, if one has arrived.
    pub fn iprobe(&self, source: i32, tag: i32) -> Result<Option<Status>> {
        check_tag("iprobe", tag, true)?;
        let Some(s) = self.check_source("iprobe", source)? else {
            return Ok(Some(Self::null_status()));
        };
        self.engine().iprobe(self.envelope(s, tag))
    }

    /// Sends `send` to `dest` and receives into `recv` from `source` at once
    /// (no deadlock when two ranks exchange).
    #[allow(clippy::too_many_arguments)]
    pub fn sendrecv<S: Buffer + ?Sized, R: BufferMut + ?Sized>(
        &self,
        send: &S,
        dest: i32,
        send_tag: i32,
        recv: &mut R,
        source: i32,
        recv_tag: i32,
    ) -> Result<Status> {
        super::request::scope(|s| {
            let r = self.irecv(s, recv, source, recv_tag)?;
            let q = self.isend(s, send, dest, send_tag)?;
            q.wait()?;
            r.wait()
        })
    }

    /// Starts a send; `buf` stays borrowed until the scope ends.
    pub fn isend<'a, B: Buffer + ?Sized>(
        &self,
        scope: &Scope<'a>,
        buf: &'a B,
        dest: i32,
        tag: i32,
    ) -> Result<Request<'a>> {
        check_tag("isend", tag, false)?;
        let Some(d) = self.check_rank("isend", "destination", dest)? else {
            let id = self.engine().completed(Self::null_status());
            return Ok(scope.register(self.engine(), id));
        };
        let c = self.comm();
        let bytes = buf.as_bytes();
        let id = self.engine().isend(
            c.ranks[d],
            c.context,
            c.me as u32,
            tag,
            bytes.as_ptr(),
            bytes.len(),
        )?;
        Ok(scope.register(self.engine(), id))
    }

    /// Starts a receive; `buf` stays borrowed until the scope ends.
    pub fn irecv<'a, B: BufferMut + ?Sized>(
        &self,
        scope: &Scope<'a>,
        buf: &'a mut B,
        source: i32,
        tag: i32,
    ) -> Result<Request<'a>> {
        check_tag("irecv", tag, true)?;
        let Some(s) = self.check_source("irecv", source)? else {
            let id = self.engine().completed(Self::null_status());
            return Ok(scope.register(self.engine(), id));
        };
        let bytes = buf.as_bytes_mut();
        let id = self
            .engine()
            .irecv(self.envelope(s, tag), bytes.as_mut_ptr(), bytes.len())?;
        Ok(scope.register(self.engine(), id))
    }

    // ------------------------------------------------------------ objects

    /// Sends any serde value (as mpi4py's lowercase `send` does with pickle).
    ///
    /// ```
    /// # let universe = shmpi::init().unwrap();
    /// # let world = universe.world();
    /// use std::collections::BTreeMap;
    /// if world.size() == 1 {
    ///     let data = BTreeMap::from([("a".to_string(), 7.0), ("b".to_string(), 3.14)]);
    ///     // Sending to oneself needs a nonblocking send (of the same encoding).
    ///     let bytes = shmpi::encode(&data).unwrap();
    ///     shmpi::scope(|s| {
    ///         let q = world.isend(s, &bytes[..], 0, 0).unwrap();
    ///         let (got, _): (BTreeMap<String, f64>, _) = world.recv_object(0, 0).unwrap();
    ///         assert_eq!(got, data);
    ///         q.wait().unwrap();
    ///     });
    /// }
    /// ```
    pub fn send_object<T: Serialize + ?Sized>(&self, value: &T, dest: i32, tag: i32) -> Result<()> {
        let bytes = crate::encode(value)?;
        self.send(&bytes[..], dest, tag)
    }

    /// Receives a serde value of any size.
    pub fn recv_object<T: DeserializeOwned>(&self, source: i32, tag: i32) -> Result<(T, Status)> {
        check_tag("recv_object", tag, true)?;
        let Some(s) = self.check_source("recv_object", source)? else {
            return mpi_err!(Rank, "recv_object: cannot receive an object from PROC_NULL");
        };
        let (bytes, st) = self.engine().recv_vec(self.envelope(s, tag))?;
        Ok((crate::decode(&bytes)?, st))
    }

    /// Broadcasts a serde value from `root`: the root passes `Some(value)`,
    /// the others `None`; everyone gets the value.
    pub fn bcast_object<T: Serialize + DeserializeOwned>(
        &self,
        value: Option<T>,
        root: i32,
    ) -> Result<T> {
        let r = self.check_root("bcast_object", root)?;
        if self.comm().me == r {
            let Some(v) = value else {
                return mpi_err!(Arg, "bcast_object: the root ({root}) must pass Some(value)");
            };
            let mut bytes = crate::encode(&v)?;
            let mut len = bytes.len() as u64;
            self.bcast(&mut len, root)?;
            self.bcast(&mut bytes[..], root)?;
            Ok(v)
        } else {
            let mut len = 0u64;
            self.bcast(&mut len, root)?;
            let mut bytes = vec![0u8; len as usize];
            self.bcast(&mut bytes[..], root)?;
            crate::decode(&bytes)
        }
    }

    /// Gathers a serde value from every rank; the root gets them in rank order.
    pub fn gather_object<T: Serialize + DeserializeOwned>(
        &self,
        value: &T,
        root: i32,
    ) -> Result<Option<Vec<T>>> {
        let r = self.check_root("gather_object", root)?;
        let bytes = crate::encode(value)?;
        let n = self.comm().size();
        let mut lens = vec![0u64; n];
        self.gather(&[bytes.len() as u64], &mut lens, root)?;
        let counts: Vec<usize> = lens.iter().map(|&l| l as usize).collect();
        let displs: Vec<usize> = packed_displs(&counts);
        let mut all = vec![0u8; counts.iter().sum()];
        self.gatherv(&bytes, &mut all, &counts, &displs, root)?;
        if self.comm().me != r {
            return Ok(None);
        }
        (0..n)
            .map(|i| crate::decode(&all[displs[i]..displs[i] + counts[i]]))
            .collect::<Result<Vec<T>>>()
            .map(Some)
    }

    /// Every rank gets every rank's serde value, in rank order.
    pub fn allgather_object<T: Serialize + DeserializeOwned>(&self, value: &T) -> Result<Vec<T>> {
        let bytes = crate::encode(value)?;
        let n = self.comm().size();
        let mut lens = vec![0u64; n];
        self.allgather(&[bytes.len() as u64], &mut lens)?;
        let counts: Vec<usize> = lens.iter().map(|&l| l as usize).collect();
        let displs: Vec<usize> = packed_displs(&counts);
        let mut all = vec![0u8; counts.iter().sum()];
        self.allgatherv(&bytes, &mut all, &counts, &displs)?;
        (0..n)
            .map(|i| crate::decode(&all[displs[i]..displs[i] + counts[i]]))
            .collect()
    }

    /// Scatters serde values: the root passes one per rank, in rank order.
    pub fn scatter_object<T: Serialize + DeserializeOwned>(
        &self,
        values: Option<Vec<T>>,
        root: i32,
    ) -> Result<T> {
        let r = self.check_root("scatter_object", root)?;
        let n = self.comm().size();
        let (all, counts) = if self.comm().me == r {
            let Some(values) = values.filter(|v| v.len() == n) else {
                return mpi_err!(
                    Arg,
                    "scatter_object: the root ({root}) must pass Some(values) with {n} values"
                );
            };
            let parts = values
                .iter()
                .map(|v| crate::encode(v))
                .collect::<Result<Vec<_>>>()?;
            let counts: Vec<u64> = parts.iter().map(|p| p.len() as u64).collect();
            (parts.concat(), counts)
        } else {
            (Vec::new(), Vec::new())
        };
        let mut len = 0u64;
        self.scatter(&counts, std::slice::from_mut(&mut len), root)?;
        let counts: Vec<usize> = counts.iter().map(|&c| c as usize).collect();
        let displs: Vec<usize> = packed_displs(&counts);
        let mut mine = vec![0u8; len as usize];
        self.scatterv(&all, &counts, &displs, &mut mine, root)?;
        crate::decode(&mine)
    }

    // -------------------------------------------------------- collectives

    /// Waits until every rank of the communicator has called `barrier`.
    pub fn barrier(&self) -> Result<()> {
        self.engine().barrier(self.comm())
    }

    /// Broadcasts `buf` from `root` to every rank.
    pub fn bcast<B: BufferMut + ?Sized>(&self, buf: &mut B, root: i32) -> Result<()> {
        let r = self.check_root("bcast", root)?;
        self.engine().bcast(self.comm(), buf.as_bytes_mut(), r)
    }

    /// Gathers every rank's `send` into the root's `recv` (size × `send.len()`
    /// elements, in rank order; ignored on other ranks).
    pub fn gather<T: Pod>(&self, send: &[T], recv: &mut [T], root: i32) -> Result<()> {
        let r = self.check_root("gather", root)?;
        let n = self.comm().size();
        if self.comm().me == r && recv.len() != n * send.len() {
            return mpi_err!(
                Count,
                "gather: root's receive buffer has {} elements, {n} ranks x {} expected",
                recv.len(),
                send.len()
            );
        }
        let len = std::mem::size_of_val(send);
        self.engine().gatherv(
            self.comm(),
            bytes_of(send),
            bytes_of_mut(recv),
            &uniform(n, len),
            r,
        )
    }

    /// Gathers `send` of every rank into the root's `recv`: rank i's
    /// `counts[i]` elements at `displs[i]` (root's arguments only).
    pub fn gatherv<T: Pod>(
        &self,
        send: &[T],
        recv: &mut [T],
        counts: &[usize],
        displs: &[usize],
        root: i32,
    ) -> Result<()> {
        let r = self.check_root("gatherv", root)?;
        let n = self.comm().size();
        let elem = std::mem::size_of::<T>();
        let ranges = if self.comm().me == r {
            let ranges = byte_ranges(
                "gatherv",
                "receive",
                counts,
                displs,
                elem,
                std::mem::size_of_val(recv),
                n,
            )?;
            if counts[r] != send.len() {
                return mpi_err!(
                    Count,
                    "gatherv: root sends {} elements to itself but counts[{r}] is {}",
                    send.len(),
                    counts[r]
                );
            }
            ranges
        } else {
            vec![0..0; n]
        };
        self.engine()
            .gatherv(self.comm(), bytes_of(send), bytes_of_mut(recv), &ranges, r)
    }

    /// Every rank gathers every rank's `send` into `recv` (size × `send.len()`).
    pub fn allgather<T: Pod>(&self, send: &[T], recv: &mut [T]) -> Result<()> {
        let n = self.comm().size();
        if recv.len() != n * send.len() {
            return mpi_err!(
                Count,
                "allgather: receive buffer has {} elements, {n} ranks x {} expected",
                recv.len(),
                send.len()
            );
        }
        let len = std::mem::size_of_val(send);
        self.engine().allgatherv(
            self.comm(),
            bytes_of(send),
            bytes_of_mut(recv),
            &uniform(n, len),
        )
    }

    /// Every rank gathers rank i's `send` at `recv[displs[i]..][..counts[i]]`.
    pub fn allgatherv<T: Pod>(
        &self,
        send: &[T],
        recv: &mut [T],
        counts: &[usize],
        displs: &[usize],
    ) -> Result<()> {
        let n = self.comm().size();
        let ranges = byte_ranges(
            "allgatherv",
            "receive",
            counts,
            displs,
            std::mem::size_of::<T>(),
            std::mem::size_of_val(recv),
            n,
        )?;
        let me = self.comm().me;
        if counts[me] != send.len() {
            return mpi_err!(
                Count,
                "allgatherv: rank {me} sends {} elements but counts[{me}] is {}",
                send.len(),
                counts[me]
            );
        }
        self.engine()
            .allgatherv(self.comm(), bytes_of(send), bytes_of_mut(recv), &ranges)
    }

    /// Scatters the root's `send` (size × `recv.len()` elements) so that rank
    /// i receives block i in `recv`. `send` is ignored on other ranks.
    pub fn scatter<T: Pod>(&self, send: &[T], recv: &mut [T], root: i32) -> Result<()> {
        let r = self.check_root("scatter", root)?;
        self.engine()
            .scatter(self.comm(), bytes_of(send), bytes_of_mut(recv), r)
    }

    /// Scatters `counts[i]` elements at `displs[i]` of the root's `send` to rank i.
    pub fn scatterv<T: Pod>(
        &self,
        send: &[T],
        counts: &[usize],
        displs: &[usize],
        recv: &mut [T],
        root: i32,
    ) -> Result<()> {
        let r = self.check_root("scatterv", root)?;
        let n = self.comm().size();
        let ranges = if self.comm().me == r {
            byte_ranges(
                "scatterv",
                "send",
                counts,
                displs,
                std::mem::size_of::<T>(),
                std::mem::size_of_val(send),
                n,
            )?
        } else {
            Vec::new()
        };
        self.engine()
            .scatterv(self.comm(), bytes_of(send), &ranges, bytes_of_mut(recv), r)
    }

    /// Rank i sends block j of `send` to rank j, which stores it as block i of `recv`.
    pub fn alltoall<T: Pod>(&self, send: &[T], recv: &mut [T]) -> Result<()> {
        let n = self.comm().size();
        if send.len() != recv.len() || send.len() % n != 0 {
            return mpi_err!(Count, "alltoall: send ({}) and receive ({}) buffers need the same length, a multiple of {n}", send.len(), recv.len());
        }
        self.engine()
            .alltoall(self.comm(), bytes_of(send), bytes_of_mut(recv))
    }

    /// All-to-all with per-rank counts and displacements (in elements).
    pub fn alltoallv<T: Pod>(
        &self,
        send: &[T],
        send_counts: &[usize],
        send_displs: &[usize],
        recv: &mut [T],
        recv_counts: &[usize],
        recv_displs: &[usize],
    ) -> Result<()> {
        let n = self.comm().size();
        let e = std::mem::size_of::<T>();
        let s = byte_ranges(
            "alltoallv",
            "send",
            send_counts,
            send_displs,
            e,
            std::mem::size_of_val(send),
            n,
        )?;
        let r = byte_ranges(
            "alltoallv",
            "receive",
            recv_counts,
            recv_displs,
            e,
            std::mem::size_of_val(recv),
            n,
        )?;
        self.engine()
            .alltoallv(self.comm(), bytes_of(send), &s, bytes_of_mut(recv), &r)
    }

    /// Combines every rank's `send` with `op` into the root's `recv`
    /// (ignored on other ranks; pass `&mut []`).
    pub fn reduce<T: Pod>(
        &self,
        send: &[T],
        recv: &mut [T],
        op: &Op<'_, T>,
        root: i32,
    ) -> Result<()> {
        let r = self.check_root("reduce", root)?;
        if self.comm().me == r && recv.len() != send.len() {
            return mpi_err!(
                Count,
                "reduce: root's receive buffer has {} elements, the send buffer {}",
                recv.len(),
                send.len()
            );
        }
        let f = op_bytes(op);
        self.engine().reduce(
            self.comm(),
            bytes_of(send),
            bytes_of_mut(recv),
            std::mem::size_of::<T>(),
            &f,
            r,
        )
    }

    /// Combines every rank's `send` with `op`; every rank gets the result.
    ///
    /// ```
    /// # let universe = shmpi::init().unwrap();
    /// # let world = universe.world();
    /// use shmpi::Op;
    /// let mut total = [0i64];
    /// world.allreduce(&[world.rank() as i64 + 1], &mut total, &Op::sum()).unwrap();
    /// let n = world.size() as i64;
    /// assert_eq!(total[0], n * (n + 1) / 2);
    /// ```
    pub fn allreduce<T: Pod>(&self, send: &[T], recv: &mut [T], op: &Op<'_, T>) -> Result<()> {
        if recv.len() != send.len() {
            return mpi_err!(
                Count,
                "allreduce: receive buffer has {} elements, the send buffer {}",
                recv.len(),
                send.len()
            );
        }
        let f = op_bytes(op);
        self.engine().allreduce(
            self.comm(),
            bytes_of(send),
            bytes_of_mut(recv),
            std::mem::size_of::<T>(),
            &f,
        )
    }

    /// Combines every rank's `send` (sum of `counts` elements) and leaves
    /// `counts[i]` elements of the result, in order, on rank i.
    pub fn reduce_scatter<T: Pod>(
        &self,
        send: &[T],
        recv: &mut [T],
        counts: &[usize],
        op: &Op<'_, T>,
    ) -> Result<()> {
        let n = self.comm().size();
        let me = self.comm().me;
        if counts.len() != n {
            return mpi_err!(
                Arg,
                "reduce_scatter: counts needs {n} entries (one per rank), got {}",
                counts.len()
            );
        }
        let total: usize = counts.iter().sum();
        if send.len() != total || recv.len() != counts[me] {
            return mpi_err!(
                Count,
                "reduce_scatter: send buffer has {} elements (sum of counts {total}), receive buffer {} (counts[{me}] {})",
                send.len(),
                recv.len(),
                counts[me]
            );
        }
        let displs: Vec<usize> = packed_displs(counts);
        let e = std::mem::size_of::<T>();
        let ranges = byte_ranges("reduce_scatter", "result", counts, &displs, e, total * e, n)?;
        let f = op_bytes(op);
        self.engine().reduce_scatter(
            self.comm(),
            bytes_of(send),
            &ranges,
            bytes_of_mut(recv),
            e,
            &f,
        )
    }

    /// Reduce-scatter with `recv.len()` elements per rank.
    pub fn reduce_scatter_block<T: Pod>(
        &self,
        send: &[T],
        recv: &mut [T],
        op: &Op<'_, T>,
    ) -> Result<()> {
        let counts = vec![recv.len(); self.comm().size()];
        self.reduce_scatter(send, recv, &counts, op)
    }

    /// Inclusive prefix reduction: rank i gets `send` of ranks 0..=i combined.
    pub fn scan<T: Pod>(&self, send: &[T], recv: &mut [T], op: &Op<'_, T>) -> Result<()> {
        self.prefix("scan", send, recv, op, false)
    }

    /// Exclusive prefix reduction: rank i gets ranks 0..i combined (rank 0's
    /// `recv` is left as it was).
    pub fn exscan<T: Pod>(&self, send: &[T], recv: &mut [T], op: &Op<'_, T>) -> Result<()> {
        self.prefix("exscan", send, recv, op, true)
    }

    fn prefix<T: Pod>(
        &self,
        call: &str,
        send: &[T],
        recv: &mut [T],
        op: &Op<'_, T>,
        exclusive: bool,
    ) -> Result<()> {
        if recv.len() != send.len() {
            return mpi_err!(
                Count,
                "{call}: receive buffer has {} elements, the send buffer {}",
                recv.len(),
                send.len()
            );
        }
        let f = op_bytes(op);
        self.engine().scan(
            self.comm(),
            bytes_of(send),
            bytes_of_mut(recv),
            std::mem::size_of::<T>(),
            &f,
            exclusive,
        )
    }

    // ------------------------------------------------------ communicators

    /// A new communicator with the same ranks and its own message space.
    pub fn dup(&self) -> Result<Communicator> {
        let (ctx, seq) = self.engine().agree_context(self.comm())?;
        let c = self.comm();
        Ok(self.derived(coll::Comm::new(c.ranks.clone(), c.me, ctx, seq)))
    }

    /// Splits into one communicator per `colour`, ranks ordered by `key`
    /// then by rank here. A rank with colour `None` gets `None`.
    ///
    /// ```
    /// # let universe = shmpi::init().unwrap();
    /// # let world = universe.world();
    /// let me = world.rank();
    /// let half = world.split(Some((me % 2) as u32), me).unwrap().unwrap();
    /// assert_eq!(half.rank(), me / 2);
    /// ```
    pub fn split(&self, colour: Option<u32>, key: i32) -> Result<Option<Communicator>> {
        let n = self.comm().size();
        let mine = [colour.map_or(-1, |c| c as i64), key as i64];
        let mut all = vec![0i64; 2 * n];
        self.allgather(&mine, &mut all)?;
        let (ctx, seq) = self.engine().agree_context(self.comm())?;
        let Some(colour) = colour else {
            self.engine().contexts.borrow_mut().release(ctx, seq);
            return Ok(None);
        };
        let mut members: Vec<(i64, usize)> = (0..n)
            .filter(|&i| all[2 * i] == colour as i64)
            .map(|i| (all[2 * i + 1], i))
            .collect();
        members.sort();
        let me = members
            .iter()
            .position(|&(_, i)| i == self.comm().me)
            .expect("this rank is in its own colour");
        let ranks = members.iter().map(|&(_, i)| self.comm().ranks[i]).collect();
        Ok(Some(self.derived(coll::Comm::new(ranks, me, ctx, seq))))
    }

    pub(crate) fn derived(&self, comm: coll::Comm) -> Communicator {
        Communicator {
            inner: Rc::new(Shared {
                engine: self.engine().clone(),
                comm,
            }),
        }
    }
}

impl std::fmt::Debug for Communicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Communicator(rank {} of {}, context {})",
            self.rank(),
            self.size(),
            self.context_id()
        )
    }
}
