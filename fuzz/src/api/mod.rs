//! Target `api_calls`: 3-5 servers in one process, driven through the C API
//! by arbitrary call sequences with arbitrary arguments — messages the
//! servers sent (delivered, duplicated, or with one field replaced), forged
//! messages, client and configuration entries, snapshots, direct setters,
//! node setters, NULL and foreign handles, failing callbacks, restarts.
//!
//! Properties (issue 14, "Fuzzing"): no panic, no abort, no sanitizer report,
//! no leak; every return code is 0 or a negative error (or the callback's
//! own error, returned unchanged); callbacks are only handed what the header
//! promises; and the getters stay consistent with each other.

pub mod host;
mod ops;

use crate::ffi::*;
use crate::gen::*;
use arbitrary::Unstructured;
use host::*;
use std::cell::RefCell;

/// Most operations per input (bounds the time of one run).
pub const MAX_OPS: usize = 200;

pub struct Srv {
    pub raft: *mut raft_server_t,
    pub ctx: Box<Ctx>,
    /// Fault injection was switched on (Raft rules broken on purpose): the
    /// log-shape checks are skipped on this server.
    pub unchecked: bool,
}

pub struct Harness {
    pub shared: Box<RefCell<Shared>>,
    pub servers: Vec<Srv>,
    pub cbs: Box<raft_cbs_t>,
    /// A node that belongs to no server (`raft_node_new`).
    pub standalone: *mut raft_node_t,
    /// Responses from `raft_retain_entries`, asked about later.
    pub retained: Vec<(usize, msg_entry_response_t)>,
    pub seed: u64,
    /// Header flag 4: every server has `raft_set_reject_hint` on, and the
    /// appendentries responses the input makes up carry a hint term.
    pub reject_hint: bool,
}

impl Harness {
    fn new(n: usize, flags: u8, seed: u64) -> Harness {
        let shared = Box::new(RefCell::new(Shared {
            reenter: flags & 2 != 0,
            ids: (1..=n as i32).collect(),
            ..Default::default()
        }));
        let cbs = Box::new(host::table(flags & 1 != 0));
        let mut h = Harness {
            shared,
            servers: Vec::new(),
            cbs,
            standalone: unsafe { raft_node_new(std::ptr::null_mut(), 99) },
            retained: Vec::new(),
            seed,
            reject_hint: flags & 4 != 0,
        };
        for slot in 0..n {
            let ctx = Box::new(Ctx {
                shared: &*h.shared as *const _,
                slot,
            });
            h.servers.push(Srv {
                raft: std::ptr::null_mut(),
                ctx,
                unchecked: false,
            });
            h.start(slot);
        }
        h
    }

    /// A fresh server in `slot`: itself and every peer as voting nodes.
    pub fn start(&mut self, slot: usize) {
        let n = self.servers.len();
        unsafe {
            let r = raft_new();
            assert!(!r.is_null(), "raft_new returned NULL");
            let cbs: *mut raft_cbs_t = &mut *self.cbs;
            let ud = &mut *self.servers[slot].ctx as *mut Ctx as *mut std::os::raw::c_void;
            raft_set_callbacks(r, cbs, ud);
            raft_set_random_seed(r, self.seed ^ slot as u64);
            raft_set_reject_hint(r, self.reject_hint as i32);
            for k in 0..n {
                let node = raft_add_node(r, std::ptr::null_mut(), k as i32 + 1, (k == slot) as i32);
                assert!(!node.is_null(), "raft_add_node of a new id returned NULL");
            }
            self.servers[slot].raft = r;
            self.servers[slot].unchecked = false;
        }
    }

    pub fn n(&self) -> usize {
        self.servers.len()
    }

    pub fn raft(&self, slot: usize) -> *mut raft_server_t {
        self.servers[slot].raft
    }

    /// The slot of the server whose id is `id`.
    pub fn slot_of(&self, id: i32) -> Option<usize> {
        if id >= 1 && id as usize <= self.servers.len() {
            Some(id as usize - 1)
        } else {
            None
        }
    }

    /// Raises what a callback noted during the last call.
    pub fn raise(&self, what: &str) {
        if let Some(v) = self.shared.borrow_mut().violation.take() {
            panic!("during {}: {}", what, v);
        }
    }

    /// A return code of a function documented as "0 or a negative error".
    pub fn rc(&self, what: &str, rc: i32) {
        self.raise(what);
        assert!(
            rc == 0 || (-9..=-1).contains(&rc) || rc == CB_FAIL,
            "{} returned {}: not 0, a RAFT_ERR_* code, -1, or the callback's own error",
            what,
            rc
        );
    }

    /// The getters agree with each other (paper Figure 2 state; BEHAVIOUR.md).
    fn check(&self, after: &str) {
        for (slot, srv) in self.servers.iter().enumerate() {
            let r = srv.raft;
            unsafe {
                let cur = raft_get_current_idx(r);
                let commit = raft_get_commit_idx(r);
                let applied = raft_get_last_applied_idx(r);
                let snap = raft_get_snapshot_last_idx(r);
                let count = raft_get_log_count(r);
                let state = raft_get_state(r);
                let _ = raft_get_last_log_term(r);
                let _ = raft_get_first_entry_idx(r);
                let _ = raft_get_num_snapshottable_logs(r);
                let _ = raft_get_nvotes_for_me(r);
                let _ = raft_get_current_leader_node(r);
                let _ = raft_get_last_applied_entry(r);
                let ctx = || {
                    format!("server {} after {}: current_idx {} commit {} applied {} snapshot {} count {}", slot + 1, after, cur, commit, applied, snap, count)
                };
                // follower, candidate, leader, or pre-candidate (pre-vote, or forced by raft_set_state)
                assert!((1..=4).contains(&state), "{}: state {}", ctx(), state);
                assert!(
                    count >= 0 && cur >= 0 && commit >= 0 && applied >= 0 && snap >= 0,
                    "{}: a negative index",
                    ctx()
                );
                if srv.unchecked {
                    continue;
                }
                // The log holds exactly the entries base+1..=current_idx.
                let base = cur - count;
                assert!(base >= 0, "{}: more entries than current_idx", ctx());
                assert!(
                    count == 0 || !raft_get_entry_from_idx(r, cur).is_null(),
                    "{}: no entry at current_idx",
                    ctx()
                );
                assert!(
                    count == 0 || !raft_get_entry_from_idx(r, base + 1).is_null(),
                    "{}: no entry at the log's start",
                    ctx()
                );
                assert!(
                    cur == i64::MAX || raft_get_entry_from_idx(r, cur + 1).is_null(),
                    "{}: an entry past current_idx",
                    ctx()
                );
                assert!(
                    base == 0 || raft_get_entry_from_idx(r, base).is_null(),
                    "{}: an entry before the log's start",
                    ctx()
                );
            }
        }
    }

    fn finish(&mut self) {
        for srv in &mut self.servers {
            unsafe { raft_free(srv.raft) };
            srv.raft = std::ptr::null_mut();
        }
        unsafe { raft_node_free(self.standalone) };
        self.standalone = std::ptr::null_mut();
        self.raise("raft_free");
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Also on a failed check (unwinding): no leak reported on top of it.
        for srv in &mut self.servers {
            if !srv.raft.is_null() {
                unsafe { raft_free(srv.raft) };
            }
        }
        if !self.standalone.is_null() {
            unsafe { raft_node_free(self.standalone) };
        }
    }
}

/// One fuzz input: a header (cluster size, options, seed), then operations.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let n = 3 + below(&mut u, 3);
    let flags = byte(&mut u);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let mut h = Harness::new(n, flags, seed);
    let mut done = 0;
    while !u.is_empty() && done < MAX_OPS {
        let what = ops::op(&mut h, &mut u);
        h.raise(what);
        h.check(what);
        done += 1;
    }
    h.finish();
}
