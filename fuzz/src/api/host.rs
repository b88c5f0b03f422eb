//! The callback table of the API harness: records what the library sends,
//! fails callbacks on request (to reach every error path), calls back into
//! the server from inside callbacks (allowed by the header), and notes
//! anything the library hands over that breaks its documented contract.

use crate::ffi::*;
use std::cell::{RefCell, RefMut};
use std::collections::VecDeque;
use std::os::raw::{c_char, c_int, c_void};

/// What an injected callback failure returns; the library must hand it back
/// to its caller unchanged (docs/BEHAVIOUR.md: "A non-zero return from a
/// callback is returned to the caller unchanged").
pub const CB_FAIL: i32 = -1000;

/// Callbacks that can be made to fail.
#[derive(Clone, Copy)]
pub enum Cb {
    Apply,
    PersistVote,
    PersistTerm,
    Offer,
    Poll,
    Pop,
    SendAe,
    SendRv,
    SendSnap,
    Sufficient,
}
pub const NCB: usize = 10;

/// Most messages kept in flight (oldest dropped first): bounds each run.
pub const OUTBOX_CAP: usize = 48;
/// Entries a send callback copies (a transport may send a prefix).
pub const WIRE_ENTRIES: usize = 16;

/// Configuration-entry payloads: node id `k` as 4 little-endian bytes. Static,
/// so every payload pointer handed to the library outlives every server.
pub static NODE_PAYLOADS: [[u8; 4]; 10] = [
    [0, 0, 0, 0],
    [1, 0, 0, 0],
    [2, 0, 0, 0],
    [3, 0, 0, 0],
    [4, 0, 0, 0],
    [5, 0, 0, 0],
    [6, 0, 0, 0],
    [7, 0, 0, 0],
    [0xff, 0xff, 0xff, 0xff],
    [0xff, 0xff, 0xff, 0x7f],
];

pub fn payload_ptr(k: usize) -> *mut c_void {
    NODE_PAYLOADS[k % NODE_PAYLOADS.len()].as_ptr() as *mut c_void
}

fn is_our_payload(p: *const c_void) -> bool {
    let start = NODE_PAYLOADS.as_ptr() as usize;
    let end = start + std::mem::size_of_val(&NODE_PAYLOADS);
    let a = p as usize;
    a >= start && a + 4 <= end && (a - start).is_multiple_of(4)
}

pub enum Body {
    Rv(msg_requestvote_t),
    Rvr(msg_requestvote_response_t),
    /// Header (`entries` is NULL on the wire) and the copied entries.
    Ae(msg_appendentries_t, Vec<raft_entry_t>),
    Aer(msg_appendentries_response_t),
}

pub struct Sent {
    pub from: i32,
    pub to: i32,
    pub body: Body,
}

#[derive(Default)]
pub struct Shared {
    pub outbox: VecDeque<Sent>,
    /// Per callback kind: fail this many of its next calls.
    pub fail: [u8; NCB],
    /// Callbacks call getters on their own server (re-entrancy).
    pub reenter: bool,
    /// Slot -> our node id (the sender of what a slot's server sends).
    pub ids: Vec<i32>,
    /// Contract breaks seen inside callbacks; raised after the call returns.
    pub violation: Option<String>,
    pub snapshots_requested: u64,
}

impl Shared {
    pub fn push(&mut self, m: Sent) {
        if self.outbox.len() >= OUTBOX_CAP {
            self.outbox.pop_front();
        }
        self.outbox.push_back(m);
    }

    fn fails(&mut self, cb: Cb) -> bool {
        let k = &mut self.fail[cb as usize];
        if *k > 0 {
            *k -= 1;
            true
        } else {
            false
        }
    }

    fn note(&mut self, what: String) {
        self.violation.get_or_insert(what);
    }
}

pub struct Ctx {
    pub shared: *const RefCell<Shared>,
    pub slot: usize,
}

unsafe fn shared<'a>(ud: *mut c_void) -> (usize, RefMut<'a, Shared>) {
    let ctx = &*(ud as *const Ctx);
    match (*ctx.shared).try_borrow_mut() {
        Ok(s) => (ctx.slot, s),
        Err(_) => {
            eprintln!("fuzz harness: a callback ran while the harness held its state");
            std::process::abort();
        }
    }
}

/// Getters called from inside a callback, as the header allows.
unsafe fn reenter(r: *mut raft_server_t, idx: raft_index_t) {
    let _ = raft_get_current_idx(r);
    let _ = raft_get_commit_idx(r);
    let _ = raft_get_entry_from_idx(r, idx);
    let _ = raft_get_nodeid(r);
    let me = raft_get_my_node(r);
    let _ = raft_node_get_udata(me);
    let _ = raft_get_num_voting_nodes(r);
    let _ = raft_voting_change_is_in_progress(r);
}

unsafe fn send_requestvote(
    r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
    m: *mut msg_requestvote_t,
) -> c_int {
    let (slot, mut s) = shared(ud);
    if node.is_null() || m.is_null() {
        s.note("send_requestvote with a NULL node or message".into());
        return 0;
    }
    if s.fails(Cb::SendRv) {
        return CB_FAIL;
    }
    let from = s.ids[slot];
    s.push(Sent {
        from,
        to: raft_node_get_id(node),
        body: Body::Rv(*m),
    });
    let re = s.reenter;
    drop(s);
    if re {
        reenter(r, 1);
    }
    0
}

unsafe fn send_appendentries(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
    m: *mut msg_appendentries_t,
) -> c_int {
    let (slot, mut s) = shared(ud);
    if node.is_null() || m.is_null() {
        s.note("send_appendentries with a NULL node or message".into());
        return 0;
    }
    if s.fails(Cb::SendAe) {
        return CB_FAIL;
    }
    let mut hdr = *m;
    if hdr.n_entries < 0 || (hdr.n_entries > 0 && hdr.entries.is_null()) {
        s.note(format!(
            "send_appendentries with n_entries {} and entries {:?}",
            hdr.n_entries, hdr.entries
        ));
        return 0;
    }
    let n = (hdr.n_entries as usize).min(WIRE_ENTRIES);
    let ents = if n > 0 {
        std::slice::from_raw_parts(hdr.entries, n).to_vec()
    } else {
        Vec::new()
    };
    hdr.n_entries = n as c_int;
    hdr.entries = std::ptr::null_mut();
    let from = s.ids[slot];
    s.push(Sent {
        from,
        to: raft_node_get_id(node),
        body: Body::Ae(hdr, ents),
    });
    0
}

unsafe fn send_snapshot(_r: *mut raft_server_t, ud: *mut c_void, node: *mut raft_node_t) -> c_int {
    let (_, mut s) = shared(ud);
    if node.is_null() {
        s.note("send_snapshot with a NULL node".into());
        return 0;
    }
    s.snapshots_requested += 1;
    if s.fails(Cb::SendSnap) {
        return CB_FAIL;
    }
    0
}

/// The checks every log callback makes on what it is given.
unsafe fn log_event(
    r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
    what: &str,
    cb: Option<Cb>,
) -> c_int {
    let (_, mut s) = shared(ud);
    if e.is_null() {
        s.note(format!("{} of idx {} with a NULL entry", what, idx));
        return 0;
    }
    if idx <= 0 {
        s.note(format!("{} with index {}", what, idx));
    }
    if let Some(cb) = cb {
        if s.fails(cb) {
            return CB_FAIL;
        }
    }
    let re = s.reenter;
    drop(s);
    if re {
        reenter(r, idx);
    }
    0
}

unsafe fn log_apply(
    r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    log_event(r, ud, e, idx, "log_apply", Some(Cb::Apply))
}
unsafe fn log_offer(
    r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    log_event(r, ud, e, idx, "log_offer", Some(Cb::Offer))
}
unsafe fn log_poll(
    r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    log_event(r, ud, e, idx, "log_poll", Some(Cb::Poll))
}
unsafe fn log_pop(
    r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    log_event(r, ud, e, idx, "log_pop", Some(Cb::Pop))
}
unsafe fn log_clear(
    r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    log_event(r, ud, e, idx, "log_clear", None)
}

unsafe fn persist_vote(_r: *mut raft_server_t, ud: *mut c_void, _vote: raft_node_id_t) -> c_int {
    let (_, mut s) = shared(ud);
    if s.fails(Cb::PersistVote) {
        CB_FAIL
    } else {
        0
    }
}

unsafe fn persist_term(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    _term: raft_term_t,
    _vote: raft_node_id_t,
) -> c_int {
    let (_, mut s) = shared(ud);
    if s.fails(Cb::PersistTerm) {
        CB_FAIL
    } else {
        0
    }
}

/// Configuration entries carry the node id as 4 little-endian bytes; only
/// our own static payloads are read.
unsafe fn log_get_node_id(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    let (_, mut s) = shared(ud);
    if e.is_null() {
        s.note(format!("log_get_node_id of idx {} with a NULL entry", idx));
        return -1;
    }
    let e = &*e;
    if e.data.buf.is_null() || e.data.len < 4 || !is_our_payload(e.data.buf) {
        return -1;
    }
    i32::from_le_bytes(*(e.data.buf as *const [u8; 4]))
}

unsafe fn node_has_sufficient_logs(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
) -> c_int {
    let (_, mut s) = shared(ud);
    if node.is_null() {
        s.note("node_has_sufficient_logs with a NULL node".into());
        return 0;
    }
    if s.fails(Cb::Sufficient) {
        CB_FAIL
    } else {
        0
    }
}

unsafe fn notify_membership_event(
    r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
    _e: *mut raft_entry_t,
    t: raft_membership_e,
) {
    let (_, mut s) = shared(ud);
    if node.is_null() {
        s.note(format!("notify_membership_event({}) with a NULL node", t));
        return;
    }
    let re = s.reenter;
    drop(s);
    if re {
        let _ = raft_node_get_id(node);
        let _ = raft_node_is_voting(node);
        let _ = raft_get_num_nodes(r);
    }
}

unsafe fn log_cb(
    _r: *mut raft_server_t,
    _node: *mut raft_node_t,
    ud: *mut c_void,
    buf: *const c_char,
) {
    if buf.is_null() {
        shared(ud).1.note("log callback with a NULL message".into());
        return;
    }
    // Reads the whole message: a missing NUL shows as a sanitizer report.
    let _ = std::ffi::CStr::from_ptr(buf).to_bytes().len();
}

macro_rules! c_fn {
    ($name:ident ( $($a:ident : $t:ty),* ) -> $r:ty) => {{
        unsafe extern "C" fn f($($a: $t),*) -> $r { $name($($a),*) }
        Some(f as unsafe extern "C" fn($($t),*) -> $r)
    }};
}

pub fn table(with_log: bool) -> raft_cbs_t {
    type S = *mut raft_server_t;
    type V = *mut c_void;
    type N = *mut raft_node_t;
    type E = *mut raft_entry_t;
    raft_cbs_t {
        send_requestvote: c_fn!(send_requestvote(r: S, u: V, n: N, m: *mut msg_requestvote_t) -> c_int),
        send_appendentries: c_fn!(send_appendentries(r: S, u: V, n: N, m: *mut msg_appendentries_t) -> c_int),
        send_snapshot: c_fn!(send_snapshot(r: S, u: V, n: N) -> c_int),
        log_apply: c_fn!(log_apply(r: S, u: V, e: E, i: raft_index_t) -> c_int),
        persist_vote: c_fn!(persist_vote(r: S, u: V, v: raft_node_id_t) -> c_int),
        persist_term: c_fn!(persist_term(r: S, u: V, t: raft_term_t, v: raft_node_id_t) -> c_int),
        log_offer: c_fn!(log_offer(r: S, u: V, e: E, i: raft_index_t) -> c_int),
        log_poll: c_fn!(log_poll(r: S, u: V, e: E, i: raft_index_t) -> c_int),
        log_pop: c_fn!(log_pop(r: S, u: V, e: E, i: raft_index_t) -> c_int),
        log_clear: c_fn!(log_clear(r: S, u: V, e: E, i: raft_index_t) -> c_int),
        log_get_node_id: c_fn!(log_get_node_id(r: S, u: V, e: E, i: raft_index_t) -> c_int),
        node_has_sufficient_logs: c_fn!(node_has_sufficient_logs(r: S, u: V, n: N) -> c_int),
        notify_membership_event: c_fn!(notify_membership_event(r: S, u: V, n: N, e: E, t: raft_membership_e) -> ()),
        log: if with_log {
            c_fn!(log_cb(r: S, n: N, u: V, b: *const c_char) -> ())
        } else {
            None
        },
    }
}
