//! Target `net_safety`: 3-5 correct servers; the fuzz input controls only
//! what a faulty network and faulty machines do — which message is
//! delivered, dropped or duplicated (any order: reordering), which server's
//! clock ticks and by how much, which server crashes and restarts from its
//! persisted state — plus when clients propose entries and when servers
//! compact their logs. Every message is one a correct peer sent.
//!
//! Invariants (Raft paper Figure 3, as the simulator checks them): Election
//! Safety (at most one leader per term), Log Matching (one entry per index
//! and term), Leader Completeness (a leader holds every entry committed
//! before its term), State Machine Safety (no two servers apply different
//! entries at one index; committed entries never differ or get popped),
//! durability of term and vote, and refusals by followers.

pub mod host;

use crate::ffi::c;
use crate::ffi::*;
use crate::gen::*;
use arbitrary::Unstructured;
use host::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ptr::null_mut;

pub const MAX_OPS: usize = 300;

thread_local! {
    /// Per thread: `cargo test` replays the plain corpus and the faulty
    /// runs on different threads at once.
    static FAULTS: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
}

/// Testing the harness itself: every server this thread starts from now on
/// runs with `raft_set_fault_injection(faults)` (deliberately broken Raft
/// rules), which the invariants must catch (tests/replay.rs).
pub fn set_faults(faults: i32) {
    FAULTS.with(|f| f.set(faults));
}
const ELECTION_TIMEOUT: i32 = 100;
const REQUEST_TIMEOUT: i32 = 25;

struct Cluster {
    world: Box<RefCell<World>>,
    cbs: Box<raft_cbs_t>,
    /// Boxed: C holds pointers to them (the user data of each server).
    #[allow(clippy::vec_box)]
    ctxs: Vec<Box<Ctx>>,
    /// NULL while the server is down.
    rafts: Vec<*mut raft_server_t>,
    seed: u64,
    /// Commit index up to which each server's committed entries were recorded.
    seen_commit: Vec<i64>,
    /// index -> (term, id) of every entry seen committed.
    committed: HashMap<i64, (i64, i32)>,
    /// term -> its leader.
    leaders: HashMap<i64, i32>,
    next_id: i32,
}

impl Cluster {
    fn new(n: usize, seed: u64) -> Cluster {
        let world = Box::new(RefCell::new(World {
            disks: (0..n)
                .map(|_| Disk {
                    vote: -1,
                    ..Default::default()
                })
                .collect(),
            quiet: vec![false; n],
            ..Default::default()
        }));
        let ctxs = (0..n)
            .map(|slot| {
                Box::new(Ctx {
                    world: &*world as *const _,
                    slot,
                })
            })
            .collect();
        let mut c = Cluster {
            world,
            cbs: Box::new(host::table()),
            ctxs,
            rafts: vec![null_mut(); n],
            seed,
            seen_commit: vec![0; n],
            committed: HashMap::new(),
            leaders: HashMap::new(),
            next_id: 1,
        };
        for s in 0..n {
            c.start(s);
        }
        c
    }

    fn n(&self) -> usize {
        self.rafts.len()
    }

    /// Starts server `s` from its disk (a new server has an empty one):
    /// members, snapshot, term, vote, log, and the durably applied index.
    fn start(&mut self, s: usize) {
        let n = self.n() as i32;
        let (snap, term, vote, log, applied) = {
            let w = self.world.borrow();
            let d = &w.disks[s];
            (d.snap, d.term, d.vote, d.log.clone(), d.applied)
        };
        self.world.borrow_mut().quiet[s] = true;
        unsafe {
            let r = raft_new();
            let ud = &mut *self.ctxs[s] as *mut Ctx as *mut std::os::raw::c_void;
            raft_set_callbacks(r, &mut *self.cbs, ud);
            raft_set_random_seed(
                r,
                self.seed
                    .wrapping_add(s as u64 * 7919)
                    .wrapping_add(self.world.borrow().net.len() as u64),
            );
            raft_set_election_timeout(r, ELECTION_TIMEOUT);
            raft_set_request_timeout(r, REQUEST_TIMEOUT);
            raft_set_fault_injection(r, FAULTS.with(|f| f.get()));
            // Half of the inputs (the seed's top bit) run with the reject hint
            // on every server: the same invariants must hold with it.
            raft_set_reject_hint(r, (self.seed >> 63) as i32);
            for id in 1..=n {
                raft_add_node(r, null_mut(), id, (id == s as i32 + 1) as i32);
            }
            if let Some(sn) = snap {
                assert_eq!(
                    raft_begin_load_snapshot(r, sn.term, sn.idx),
                    0,
                    "Restore: server {} cannot load its snapshot {:?}",
                    s + 1,
                    sn
                );
                for id in 1..=n {
                    if id != s as i32 + 1 {
                        raft_add_node(r, null_mut(), id, 0);
                    }
                }
                assert_eq!(
                    raft_end_load_snapshot(r),
                    0,
                    "Restore: raft_end_load_snapshot"
                );
            }
            assert_eq!(
                raft_set_current_term(r, term),
                0,
                "Restore: raft_set_current_term"
            );
            if vote != -1 {
                assert_eq!(
                    raft_vote_for_nodeid(r, vote),
                    0,
                    "Restore: raft_vote_for_nodeid"
                );
            }
            for mut e in log {
                assert_eq!(
                    raft_append_entry(r, &mut e),
                    0,
                    "Restore: raft_append_entry"
                );
            }
            raft_set_commit_idx(r, applied);
            assert_eq!(raft_get_current_term(r), term, "Restore: term");
            assert_eq!(raft_get_voted_for(r), vote, "Restore: vote");
            self.rafts[s] = r;
            self.seen_commit[s] = raft_get_snapshot_last_idx(r);
        }
        self.world.borrow_mut().quiet[s] = false;
    }

    fn crash(&mut self, s: usize) {
        self.world.borrow_mut().quiet[s] = true;
        unsafe { raft_free(self.rafts[s]) };
        self.rafts[s] = null_mut();
        self.world.borrow_mut().quiet[s] = false;
    }

    fn raise(&self, what: &str) {
        if let Some(v) = self.world.borrow_mut().violation.take() {
            panic!("after {}: {}", what, v);
        }
    }

    /// A return code for a message a correct peer sent: never "invalid",
    /// never "a committed entry would be overwritten".
    fn rc(&self, what: &str, rc: i32) {
        self.raise(what);
        assert!(
            rc == 0 || (-8..=-1).contains(&rc),
            "{} returned {}",
            what,
            rc
        );
        assert_ne!(
            rc,
            c::ERR_SHUTDOWN,
            "{}: RAFT_ERR_SHUTDOWN (a committed entry would be overwritten)",
            what
        );
    }

    fn deliver(&mut self, m: Msg) {
        let Some(dst) = (m.to >= 1 && m.to as usize <= self.n()).then(|| m.to as usize - 1) else {
            return;
        };
        let r = self.rafts[dst];
        if r.is_null() {
            return; // delivered to a crashed server: lost
        }
        let from = unsafe { raft_get_node(r, m.from) };
        let reply = unsafe {
            match m.body {
                Body::Rv(mut rv) => {
                    let mut resp = msg_requestvote_response_t::default();
                    self.rc(
                        "raft_recv_requestvote",
                        raft_recv_requestvote(r, from, &mut rv, &mut resp),
                    );
                    Some(Body::Rvr(resp))
                }
                Body::Rvr(mut x) => {
                    self.rc(
                        "raft_recv_requestvote_response",
                        raft_recv_requestvote_response(r, from, &mut x),
                    );
                    None
                }
                Body::Ae(mut ae, mut ents) => {
                    ae.entries = if ents.is_empty() {
                        null_mut()
                    } else {
                        ents.as_mut_ptr()
                    };
                    let mut resp = msg_appendentries_response_t::default();
                    self.rc(
                        "raft_recv_appendentries",
                        raft_recv_appendentries(r, from, &mut ae, &mut resp),
                    );
                    Some(Body::Aer(resp))
                }
                Body::Aer(mut x) => {
                    self.rc(
                        "raft_recv_appendentries_response",
                        raft_recv_appendentries_response(r, from, &mut x),
                    );
                    None
                }
                Body::Snap(leader_term, sn) => self.load_snapshot(dst, leader_term, sn),
            }
        };
        if let Some(body) = reply {
            self.world.borrow_mut().send(Msg {
                from: m.to,
                to: m.from,
                body,
            });
        }
    }

    /// A leader's snapshot arrives: take its term, load it, re-add the
    /// members, persist it, and acknowledge it as an appendentries success.
    unsafe fn load_snapshot(&mut self, s: usize, leader_term: i64, sn: Snap) -> Option<Body> {
        let r = self.rafts[s];
        if leader_term < raft_get_current_term(r) {
            return None;
        }
        self.rc(
            "raft_set_current_term (snapshot)",
            raft_set_current_term(r, leader_term),
        );
        let rc = raft_begin_load_snapshot(r, sn.term, sn.idx);
        self.rc("raft_begin_load_snapshot", rc);
        if rc != 0 {
            return None;
        }
        for id in 1..=self.n() as i32 {
            if id != s as i32 + 1 {
                raft_add_node(r, null_mut(), id, 0);
            }
        }
        self.rc("raft_end_load_snapshot", raft_end_load_snapshot(r));
        {
            let mut w = self.world.borrow_mut();
            let d = &mut w.disks[s];
            d.snap = Some(sn);
            d.log.clear();
            d.base = sn.idx;
            d.applied = d.applied.max(sn.idx);
        }
        self.seen_commit[s] = self.seen_commit[s].max(sn.idx);
        let term = raft_get_current_term(r);
        Some(Body::Aer(msg_appendentries_response_t {
            term,
            success: 1,
            current_idx: sn.idx,
            first_idx: sn.idx,
            ..Default::default()
        }))
    }

    fn tick(&mut self, s: usize, ms: i32) {
        let r = self.rafts[s];
        if !r.is_null() {
            self.rc("raft_periodic", unsafe { raft_periodic(r, ms) });
        }
    }

    fn client(&mut self, s: usize) {
        let r = self.rafts[s];
        if r.is_null() {
            return;
        }
        let mut e = raft_entry_t {
            id: self.next_id,
            type_: c::LOG_NORMAL,
            ..Default::default()
        };
        self.next_id += 1;
        let mut resp = msg_entry_response_t::default();
        let leader = unsafe { raft_is_leader(r) } == 1;
        let rc = unsafe { raft_retain_entries(r, &mut e, &mut resp) };
        self.raise("raft_retain_entries");
        if leader {
            assert_eq!(
                rc,
                0,
                "raft_retain_entries on the leader (server {}) returned {}",
                s + 1,
                rc
            );
        } else {
            assert_eq!(
                rc,
                c::ERR_NOT_LEADER,
                "Follower Refusal: raft_retain_entries on server {} (not leader) returned {}",
                s + 1,
                rc
            );
        }
    }

    fn compact(&mut self, s: usize, cancel: bool) {
        let r = self.rafts[s];
        if r.is_null() {
            return;
        }
        unsafe {
            let rc = raft_begin_snapshot(r, 0);
            self.rc("raft_begin_snapshot", rc);
            if rc != 0 {
                return;
            }
            if cancel {
                self.rc("raft_cancel_snapshot", raft_cancel_snapshot(r));
                return;
            }
            let sn = Snap {
                idx: raft_get_snapshot_last_idx(r),
                term: raft_get_snapshot_last_term(r),
            };
            self.rc("raft_end_snapshot", raft_end_snapshot(r));
            self.world.borrow_mut().disks[s].snap = Some(sn);
        }
    }

    /// Election Safety, Leader Completeness, committed entries agree.
    fn check(&mut self, after: &str) {
        for s in 0..self.n() {
            let r = self.rafts[s];
            if r.is_null() {
                continue;
            }
            let id = s as i32 + 1;
            unsafe {
                let commit = raft_get_commit_idx(r);
                let snap = raft_get_snapshot_last_idx(r);
                for idx in (self.seen_commit[s] + 1).max(snap + 1)..=commit {
                    let e = raft_get_entry_from_idx(r, idx);
                    assert!(
                        !e.is_null(),
                        "after {}: server {} has commit {} but no entry at {}",
                        after,
                        id,
                        commit,
                        idx
                    );
                    let got = ((*e).term, (*e).id);
                    let want = *self.committed.entry(idx).or_insert(got);
                    assert_eq!(got, want, "after {}: State Machine Safety: server {} committed {:?} at idx {}, another server {:?}", after, id, got, idx, want);
                }
                self.seen_commit[s] = self.seen_commit[s].max(commit);
                if raft_is_leader(r) == 1 {
                    let term = raft_get_current_term(r);
                    match self.leaders.get(&term) {
                        Some(&l) if l != id => panic!(
                            "after {}: Election Safety: servers {} and {} both lead term {}",
                            after, l, id, term
                        ),
                        Some(_) => {}
                        None => {
                            self.leaders.insert(term, id);
                            for (&idx, &want) in &self.committed {
                                if idx <= snap {
                                    continue;
                                }
                                let e = raft_get_entry_from_idx(r, idx);
                                let got = if e.is_null() {
                                    None
                                } else {
                                    Some(((*e).term, (*e).id))
                                };
                                assert_eq!(got, Some(want), "after {}: Leader Completeness: server {} leads term {} without committed idx {}", after, id, term, idx);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for r in &mut self.rafts {
            if !r.is_null() {
                unsafe { raft_free(*r) };
                *r = null_mut();
            }
        }
    }
}

/// How far one input got (for `tests/replay.rs`'s coverage summary).
#[derive(Default, Debug, Clone, Copy)]
pub struct Depth {
    pub leaders: usize,
    pub committed: usize,
    pub snapshots: usize,
}

/// One fuzz input: cluster size and seed, then network and machine events.
pub fn run(data: &[u8]) {
    depth(data);
}

/// Runs one input and says how deep it went: terms with a leader, entries
/// committed, servers holding a snapshot.
pub fn depth(data: &[u8]) -> Depth {
    let mut u = Unstructured::new(data);
    let n = 3 + below(&mut u, 3);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let mut c = Cluster::new(n, seed);
    let mut done = 0;
    while !u.is_empty() && done < MAX_OPS {
        let what = step(&mut c, &mut u);
        if tracing() {
            trace_state(&c, what);
        }
        c.raise(what);
        c.check(what);
        done += 1;
    }
    let snapshots = c
        .world
        .borrow()
        .disks
        .iter()
        .filter(|d| d.snap.is_some())
        .count();
    Depth {
        leaders: c.leaders.len(),
        committed: c.committed.len(),
        snapshots,
    }
}

/// `FUZZ_TRACE=1`: print every step and the servers' state after it (for
/// reading a failing input: `cargo run --example trace -- net_safety FILE`).
fn tracing() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

fn trace_state(c: &Cluster, what: &str) {
    let mut line = format!("{:>12} |", what);
    for (s, &r) in c.rafts.iter().enumerate() {
        if r.is_null() {
            line += &format!(" {}:down |", s + 1);
            continue;
        }
        unsafe {
            let role = match raft_get_state(r) {
                x if x == RAFT_STATE_LEADER as i32 => "L",
                x if x == RAFT_STATE_CANDIDATE as i32 => "C",
                _ => "f",
            };
            line += &format!(
                " {}:{} t{} v{} last{} c{} snap{} |",
                s + 1,
                role,
                raft_get_current_term(r),
                raft_get_voted_for(r),
                raft_get_current_idx(r),
                raft_get_commit_idx(r),
                raft_get_snapshot_last_idx(r)
            );
        }
    }
    eprintln!("{}", line);
}

fn trace_msg(m: &Msg) {
    let body = match &m.body {
        Body::Rv(x) => format!("RV t{} last{}/t{} prevote{}", x.term, x.last_log_idx, x.last_log_term, x.prevote),
        Body::Rvr(x) => format!("RVR t{} granted{} prevote{}", x.term, x.vote_granted, x.prevote),
        Body::Ae(x, e) => format!(
            "AE t{} prev{}/t{} commit{} n{} {:?}",
            x.term,
            x.prev_log_idx,
            x.prev_log_term,
            x.leader_commit,
            e.len(),
            e.iter().map(|e| (e.term, e.id)).collect::<Vec<_>>()
        ),
        Body::Aer(x) => format!("AER t{} ok{} cur{} first{}", x.term, x.success, x.current_idx, x.first_idx),
        Body::Snap(t, sn) => format!("SNAP t{} {:?}", t, sn),
    };
    eprintln!("{:>12}   {} -> {}: {}", "", m.from, m.to, body);
}

fn take(c: &mut Cluster, u: &mut Unstructured, keep: bool) -> Option<Msg> {
    let mut w = c.world.borrow_mut();
    if w.net.is_empty() {
        return None;
    }
    let k = below(u, w.net.len());
    Some(if keep {
        w.net[k].clone()
    } else {
        w.net.remove(k)
    })
}

fn step(c: &mut Cluster, u: &mut Unstructured) -> &'static str {
    let n = c.n();
    match byte(u) % 16 {
        0..=5 => {
            if let Some(m) = take(c, u, false) {
                if tracing() {
                    trace_msg(&m);
                }
                c.deliver(m);
            }
            "deliver"
        }
        6 => {
            if let Some(m) = take(c, u, true) {
                if tracing() {
                    trace_msg(&m);
                }
                c.deliver(m);
            }
            "duplicate"
        }
        7 => {
            take(c, u, false);
            "drop"
        }
        8..=10 => {
            let s = below(u, n);
            c.tick(s, 5 * (1 + below(u, 24) as i32));
            "tick"
        }
        11 => {
            let s = below(u, n);
            c.client(s);
            "client entry"
        }
        12 => {
            let s = below(u, n);
            let cancel = byte(u).is_multiple_of(4);
            c.compact(s, cancel);
            "compaction"
        }
        13 => {
            let s = below(u, n);
            if c.rafts[s].is_null() {
                c.start(s);
                "restart"
            } else {
                c.crash(s);
                "crash"
            }
        }
        14 => {
            let ms = 5 * (1 + below(u, 24) as i32);
            for s in 0..n {
                c.tick(s, ms);
            }
            "tick all"
        }
        _ => {
            let msgs = std::mem::take(&mut c.world.borrow_mut().net);
            for m in msgs {
                if tracing() {
                    trace_msg(&m);
                }
                c.deliver(m);
            }
            "deliver all"
        }
    }
}
