//! Nonblocking operations: requests live in a [`Scope`], which keeps the
//! buffers they borrow alive and waits for any request still pending when
//! it ends (so a request that is dropped or forgotten can never leave the
//! engine writing into freed memory).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;

use super::Status;
use crate::engine::{Engine, RequestId};
use crate::error::Result;

/// Runs `f` with a scope for nonblocking operations; every request started
/// in it is complete when `scope` returns.
///
/// ```
/// let universe = shmpi::init().unwrap();
/// let world = universe.world();
/// let (me, n) = (world.rank(), world.size());
/// let out = [me as u64; 4];
/// let mut inbox = [0u64; 4];
/// shmpi::scope(|s| {
///     let r = world.irecv(s, &mut inbox, (me + n - 1) % n, 7).unwrap();
///     let q = world.isend(s, &out, (me + 1) % n, 7).unwrap();
///     q.wait().unwrap();
///     r.wait().unwrap();
/// });
/// assert_eq!(inbox, [((me + n - 1) % n) as u64; 4]);
/// ```
pub fn scope<'a, R>(f: impl FnOnce(&Scope<'a>) -> R) -> R {
    let s = Scope {
        pending: Rc::new(RefCell::new(Vec::new())),
        _borrows: PhantomData,
    };
    let out = f(&s);
    s.finish();
    out
}

/// The requests of a scope that nobody has waited for yet.
type Pending = Rc<RefCell<Vec<(Rc<Engine>, RequestId)>>>;

/// Where requests live; see [`scope`].
pub struct Scope<'a> {
    pending: Pending,
    // Invariant in 'a, so buffers must outlive the whole scope.
    _borrows: PhantomData<Cell<&'a ()>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn register(&self, engine: &Rc<Engine>, id: RequestId) -> Request<'a> {
        self.pending.borrow_mut().push((engine.clone(), id));
        Request {
            engine: engine.clone(),
            id,
            pending: self.pending.clone(),
            _borrows: PhantomData,
        }
    }

    fn finish(&self) {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for (engine, id) in pending {
            // A request nobody waited for: its outcome has no one to go to.
            let _ = engine.wait(id);
            let _ = engine.take(id);
        }
    }
}

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        // Reached only when unwinding out of the scope's closure (a normal
        // return has emptied `pending`). Waiting could block forever (the
        // peer may never send), so the requests let go of their buffers.
        for (engine, id) in std::mem::take(&mut *self.pending.borrow_mut()) {
            engine.abandon(id);
        }
    }
}

/// A nonblocking send or receive in progress.
#[must_use = "a request is completed by wait(), or at the end of its scope"]
pub struct Request<'a> {
    engine: Rc<Engine>,
    id: RequestId,
    pending: Pending,
    _borrows: PhantomData<Cell<&'a ()>>,
}

impl<'a> Request<'a> {
    fn settle(self) -> Result<Status> {
        self.pending.borrow_mut().retain(|(_, id)| *id != self.id);
        self.engine.take(self.id)
    }

    /// Waits for the request to complete.
    pub fn wait(self) -> Result<Status> {
        self.engine.wait(self.id)?;
        self.settle()
    }

    /// Whether the request has completed (makes progress once).
    pub fn test(&self) -> Result<bool> {
        self.engine.test(self.id)
    }

    /// Cancels a receive that has not matched a message yet; its status then
    /// says `cancelled`. Sends cannot be cancelled (their status says not).
    pub fn cancel(&self) {
        self.engine.cancel_recv(self.id);
    }
}

/// Waits for all requests; returns their statuses in order (or the first error).
pub fn wait_all(requests: Vec<Request<'_>>) -> Result<Vec<Status>> {
    let mut out = Vec::with_capacity(requests.len());
    let mut first_err = None;
    for r in requests {
        match r.wait() {
            Ok(s) => out.push(s),
            Err(e) => {
                first_err.get_or_insert(e);
                out.push(Status::default());
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Waits until one request completes, removes it from `requests` and
/// returns its former index and status. `None` when `requests` is empty.
pub fn wait_any(requests: &mut Vec<Request<'_>>) -> Result<Option<(usize, Status)>> {
    let Some(first) = requests.first() else {
        return Ok(None);
    };
    let engine = first.engine.clone();
    let mut found = None;
    engine.wait_until(crate::engine::WaitFor::Requests, |e| {
        found = requests.iter().position(|r| e.is_complete(r.id));
        Ok(found.is_some())
    })?;
    let i = found.expect("a request completed");
    let r = requests.remove(i);
    r.settle().map(|s| Some((i, s)))
}
