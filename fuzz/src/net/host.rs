//! The `net_safety` host: a careful C host, as docs/BEHAVIOUR.md and the
//! header describe one. Its "disk" keeps the term, the vote, the log as
//! offered minus popped/polled/cleared, the snapshot and the durably applied
//! index; its callbacks check what the library hands them against the
//! cluster-wide tables (Log Matching, State Machine Safety, durability).

use crate::ffi::*;
use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::os::raw::{c_int, c_void};

/// Most messages in flight (the oldest is lost first).
pub const NET_CAP: usize = 64;
/// Entries a send callback copies (a transport may send a prefix).
pub const WIRE_ENTRIES: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Snap {
    pub idx: i64,
    pub term: i64,
}

#[derive(Clone)]
pub enum Body {
    Rv(msg_requestvote_t),
    Rvr(msg_requestvote_response_t),
    Ae(msg_appendentries_t, Vec<raft_entry_t>),
    Aer(msg_appendentries_response_t),
    /// The leader's term and its persisted snapshot (sent out of band).
    Snap(i64, Snap),
}

#[derive(Clone)]
pub struct Msg {
    pub from: i32,
    pub to: i32,
    pub body: Body,
}

/// What one server has durably written.
#[derive(Default)]
pub struct Disk {
    pub term: i64,
    pub vote: i32,
    /// Index of the entry before `log[0]` (the snapshot's, or what was polled).
    pub base: i64,
    pub log: Vec<raft_entry_t>,
    pub snap: Option<Snap>,
    pub applied: i64,
}

#[derive(Default)]
pub struct World {
    pub disks: Vec<Disk>,
    /// Being rebuilt from its disk, or freed: callbacks are not new writes.
    pub quiet: Vec<bool>,
    pub net: Vec<Msg>,
    /// (index, term) -> entry id of every entry ever offered (Log Matching:
    /// only one entry can be created at an index in a term).
    pub created: HashMap<(i64, i64), i32>,
    /// index -> (term, id) of what any server applied (State Machine Safety).
    pub applied: HashMap<i64, (i64, i32)>,
    pub violation: Option<String>,
}

impl World {
    pub fn send(&mut self, m: Msg) {
        if self.net.len() >= NET_CAP {
            self.net.remove(0);
        }
        self.net.push(m);
    }

    pub fn fail(&mut self, what: String) {
        self.violation.get_or_insert(what);
    }
}

pub struct Ctx {
    pub world: *const RefCell<World>,
    pub slot: usize,
}

unsafe fn world<'a>(ud: *mut c_void) -> (usize, RefMut<'a, World>) {
    let ctx = &*(ud as *const Ctx);
    match (*ctx.world).try_borrow_mut() {
        Ok(w) => (ctx.slot, w),
        Err(_) => {
            eprintln!("fuzz harness: a callback ran while the harness held its state");
            std::process::abort();
        }
    }
}

unsafe extern "C" fn send_requestvote(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
    m: *mut msg_requestvote_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if !w.quiet[s] && !node.is_null() && !m.is_null() {
        w.send(Msg {
            from: s as i32 + 1,
            to: raft_node_get_id(node),
            body: Body::Rv(*m),
        });
    }
    0
}

unsafe extern "C" fn send_appendentries(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
    m: *mut msg_appendentries_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.quiet[s] || node.is_null() || m.is_null() {
        return 0;
    }
    let mut hdr = *m;
    let n = (hdr.n_entries.max(0) as usize).min(WIRE_ENTRIES);
    let ents = if n > 0 && !hdr.entries.is_null() {
        std::slice::from_raw_parts(hdr.entries, n).to_vec()
    } else {
        Vec::new()
    };
    hdr.n_entries = ents.len() as c_int;
    hdr.entries = std::ptr::null_mut();
    w.send(Msg {
        from: s as i32 + 1,
        to: raft_node_get_id(node),
        body: Body::Ae(hdr, ents),
    });
    0
}

unsafe extern "C" fn send_snapshot(
    r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.quiet[s] || node.is_null() {
        return 0;
    }
    let (from, to) = (s as i32 + 1, raft_node_get_id(node));
    let Some(snap) = w.disks[s].snap else {
        return 0;
    };
    if w.net
        .iter()
        .any(|m| m.from == from && m.to == to && matches!(m.body, Body::Snap(..)))
    {
        return 0; // one in flight per pair
    }
    w.send(Msg {
        from,
        to,
        body: Body::Snap(raft_get_current_term(r), snap),
    });
    0
}

unsafe extern "C" fn persist_term(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    term: raft_term_t,
    vote: raft_node_id_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.quiet[s] {
        return 0;
    }
    if term < w.disks[s].term {
        let old = w.disks[s].term;
        w.fail(format!(
            "Term Durability: server {} persisted term {} after term {}",
            s + 1,
            term,
            old
        ));
    }
    w.disks[s].term = term;
    w.disks[s].vote = vote;
    0
}

unsafe extern "C" fn persist_vote(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    vote: raft_node_id_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.quiet[s] {
        return 0;
    }
    let d = &w.disks[s];
    if d.vote != -1 && vote != -1 && vote != d.vote {
        let (old, term) = (d.vote, d.term);
        w.fail(format!(
            "Vote Durability: server {} voted for {} in term {} after voting for {}",
            s + 1,
            vote,
            term,
            old
        ));
    }
    w.disks[s].vote = vote;
    0
}

unsafe extern "C" fn log_offer(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.quiet[s] || e.is_null() {
        return 0;
    }
    let e = *e;
    let d = &w.disks[s];
    if idx != d.base + d.log.len() as i64 + 1 {
        let want = d.base + d.log.len() as i64 + 1;
        w.fail(format!(
            "Log Accuracy: server {} offered idx {} where its log continues at {}",
            s + 1,
            idx,
            want
        ));
    }
    if let Some(&id) = w.created.get(&(idx, e.term)) {
        if id != e.id {
            w.fail(format!("Log Matching: server {} offered entry {} at idx {} term {}, where entry {} was created", s + 1, e.id, idx, e.term, id));
        }
    } else {
        w.created.insert((idx, e.term), e.id);
    }
    w.disks[s].log.push(e);
    0
}

unsafe extern "C" fn log_pop(
    r: *mut raft_server_t,
    ud: *mut c_void,
    _e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.quiet[s] {
        return 0;
    }
    let commit = raft_get_commit_idx(r);
    let d = &mut w.disks[s];
    let last = d.base + d.log.len() as i64;
    d.log.pop();
    let applied = d.applied;
    if idx != last {
        w.fail(format!(
            "Log Accuracy: server {} popped idx {} but its last entry is {}",
            s + 1,
            idx,
            last
        ));
    }
    if idx <= commit || idx <= applied {
        w.fail(format!(
            "No Committed Entry Popped: server {} popped idx {} (commit {}, applied {})",
            s + 1,
            idx,
            commit,
            applied
        ));
    }
    0
}

unsafe extern "C" fn log_poll(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    _e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.quiet[s] {
        return 0;
    }
    let d = &mut w.disks[s];
    let first = d.base + 1;
    if !d.log.is_empty() {
        d.log.remove(0);
        d.base += 1;
    }
    if idx != first {
        w.fail(format!(
            "Log Accuracy: server {} polled idx {} but its first entry is {}",
            s + 1,
            idx,
            first
        ));
    }
    0
}

unsafe extern "C" fn log_clear(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    _e: *mut raft_entry_t,
    _idx: raft_index_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if !w.quiet[s] {
        w.disks[s].log.clear(); // the loaded snapshot sets the new base
    }
    0
}

unsafe extern "C" fn log_apply(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    e: *mut raft_entry_t,
    idx: raft_index_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if e.is_null() {
        return 0;
    }
    let got = ((*e).term, (*e).id);
    match w.applied.get(&idx) {
        Some(&want) if want != got => {
            w.fail(format!("State Machine Safety: server {} applied entry {:?} at idx {}, another server applied {:?}", s + 1, got, idx, want));
        }
        None => {
            w.applied.insert(idx, got);
        }
        _ => {}
    }
    if idx > w.disks[s].applied {
        if idx != w.disks[s].applied + 1 {
            let a = w.disks[s].applied;
            w.fail(format!(
                "Applied Index Validity: server {} applied idx {} after idx {}",
                s + 1,
                idx,
                a
            ));
        }
        w.disks[s].applied = idx;
    }
    0
}

pub fn table() -> raft_cbs_t {
    raft_cbs_t {
        send_requestvote: Some(send_requestvote),
        send_appendentries: Some(send_appendentries),
        send_snapshot: Some(send_snapshot),
        log_apply: Some(log_apply),
        persist_vote: Some(persist_vote),
        persist_term: Some(persist_term),
        log_offer: Some(log_offer),
        log_poll: Some(log_poll),
        log_pop: Some(log_pop),
        log_clear: Some(log_clear),
        ..Default::default()
    }
}
