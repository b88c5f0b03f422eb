//! Simulator state shared by the driver and the C callbacks: servers with
//! their persisted state ("disk") and models, the network, and the global
//! tables the invariants are checked against.

use crate::config::Config;
use crate::events::{Ev, Ring, K};
use crate::ffi::*;
use crate::model::*;
use crate::rng::{hcomb, payload_for, Rng};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Deterministic, fast hasher (std's default is randomly seeded; we never
/// iterate maps anyway, but lookups should be cheap).
#[derive(Default)]
pub struct FxHasher(u64);
impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, x: i64) {
        self.write_u64(x as u64)
    }
    fn write_i32(&mut self, x: i32) {
        self.write_u64(x as u32 as u64)
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64)
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64)
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
pub type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

#[derive(Clone, Debug)]
pub struct WireEntry {
    pub term: i64,
    pub id: i32,
    pub etype: i32,
    pub payload: Vec<u8>,
}

#[derive(Clone)]
pub enum Body {
    Rv(msg_requestvote_t),
    Rvr(msg_requestvote_response_t),
    /// Header (its `entries` pointer is null on the wire) and copied entries.
    Ae(msg_appendentries_t, Vec<WireEntry>),
    Aer(msg_appendentries_response_t),
    /// Leader's term and the snapshot.
    Snap(i64, Box<Snapshot>),
}

pub struct Msg {
    pub at: u64,
    pub seq: u64,
    pub from: i32,
    pub to: i32,
    pub body: Body,
}
impl PartialEq for Msg {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl Eq for Msg {}
impl PartialOrd for Msg {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Msg {
    // BinaryHeap is a max-heap: earliest (at, seq) must compare greatest.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Up,
    /// Crashed; restarts at this step.
    Down(u64),
    /// Out of the cluster for good.
    Gone,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Normal,
    /// Being rebuilt from disk: offers/persists are not new writes.
    Restoring,
    /// raft_free in progress: callbacks are ignored.
    Freeing,
}

/// What a server has durably written.
#[derive(Default)]
pub struct Disk {
    pub term: i64,
    pub vote: i32,
    pub log: ModelLog,
    pub snap: Option<Snapshot>,
    /// Highest index applied to the (durable) state machine.
    pub applied: i64,
}

/// What the simulator remembers about the current incarnation (volatile).
#[derive(Default, Clone)]
pub struct Mem {
    pub term: i64,
    pub commit: i64,
    pub applied: i64,
    /// State machine: last applied index and digest of everything applied.
    pub sm_applied: i64,
    pub sm_digest: u64,
    /// Term in which we last saw this server as leader.
    pub leader_term: i64,
    /// After a restart: last_applied must reach this by the first periodic.
    pub applied_floor: i64,
}

pub struct Ctx {
    pub world: *const RefCell<World>,
    pub slot: usize,
}

pub struct PendingSnap {
    pub snap: Snapshot,
    pub end_step: u64,
    pub cancel: bool,
}

pub struct Server {
    pub id: i32,
    pub raft: *mut raft_server_t,
    pub ctx: Box<Ctx>,
    pub cbs: Box<raft_cbs_t>,
    pub status: Status,
    pub mode: Mode,
    pub disk: Disk,
    pub mem: Mem,
    pub restarts: u32,
    pub incarnation: u32,
    /// Set by a callback: shut this server down once the call returns.
    pub shutdown: Option<i64>,
    pub snap_pending: Option<PendingSnap>,
    /// log_clear calls during a snapshot load.
    pub clears: i64,
    /// Next index of the rotating log-accuracy check.
    pub cursor: i64,
}

/// Per log index: what was committed and applied there (cluster-wide).
#[derive(Default, Clone, Copy)]
pub struct Slot {
    pub c_set: bool,
    pub c_term: i64,
    pub c_id: i32,
    pub c_hash: u64,
    /// Term of the server that first saw this committed (>= commit term).
    pub c_rterm: i64,
    pub c_by: i32,
    pub a_set: bool,
    pub a_term: i64,
    pub a_id: i32,
    pub a_digest: u64,
    pub a_by: i32,
}

#[derive(Default, Clone, Debug)]
pub struct Stats {
    pub steps: u64,
    pub live_ticks: u64,
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub elections: u64,
    pub commits: u64,
    pub client_ok: u64,
    pub client_failed: u64,
    pub follower_refused: u64,
    pub snaps_taken: u64,
    pub snaps_sent: u64,
    pub snaps_loaded: u64,
    pub crashes: u64,
    pub restarts: u64,
    pub partitions: u64,
    pub member_proposed: u64,
    pub member_accepted: u64,
    pub servers_added: u64,
    pub servers_gone: u64,
    pub liveness_windows: u64,
    pub violations: u64,
}

#[derive(Clone, Debug)]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
    pub step: u64,
    pub now: u64,
}

pub struct Ack {
    pub slot: usize,
    pub incarnation: u32,
    pub resp: msg_entry_response_t,
}

pub struct World {
    pub cfg: Config,
    pub rng: Rng,
    pub step: u64,
    pub now: u64,
    pub servers: Vec<Server>,
    pub net: BinaryHeap<Msg>,
    pub seq: u64,
    pub group: Vec<u8>,
    pub partitioned: bool,
    pub snap_inflight: FxSet<(i32, i32)>,
    pub leaders: FxMap<i64, i32>,
    /// (idx, term) -> (prefix hash, server that first held it).
    pub g_log: FxMap<(i64, i64), (u64, i32)>,
    pub slots: Vec<Slot>,
    /// term -> highest committed index first seen in a term <= it (strictly
    /// increasing values), for Leader Completeness.
    pub stair: BTreeMap<i64, i64>,
    pub next_eid: i32,
    pub pending_promote: Vec<i32>,
    /// (node id, idx, term, entry id) of ADD_NONVOTING entries not yet decided.
    pub pending_add: Vec<(i32, i64, i64, i32)>,
    pub acks: VecDeque<Ack>,
    pub removed_committed: FxSet<i32>,
    pub violation: Option<Violation>,
    /// A tolerated known library bug that ended the run early.
    pub known_bug: Option<String>,
    pub ring: Ring,
    pub trace: u64,
    pub stats: Stats,
    pub calm: bool,
    pub client_rate: u32,
    pub scratch: Vec<(i64, i64, i32, u64, i32, i32)>,
    /// Payloads of entries that left the log (log_pop/poll/clear) during the
    /// current library call: released once the call returns, so that a
    /// library touching them afterwards is caught instead of reading freed
    /// memory.
    pub graveyard: Vec<Box<[u8]>>,
}

pub fn slot_of(id: i32) -> usize {
    (id - 1) as usize
}

impl World {
    pub fn new(cfg: Config) -> World {
        let rng = Rng::new(cfg.seed);
        let hist = cfg.history;
        World {
            cfg,
            rng,
            step: 0,
            now: 0,
            servers: Vec::new(),
            net: BinaryHeap::new(),
            seq: 0,
            group: Vec::new(),
            partitioned: false,
            snap_inflight: FxSet::default(),
            leaders: FxMap::default(),
            g_log: FxMap::default(),
            slots: Vec::new(),
            stair: BTreeMap::new(),
            next_eid: 1000,
            pending_promote: Vec::new(),
            pending_add: Vec::new(),
            acks: VecDeque::new(),
            removed_committed: FxSet::default(),
            violation: None,
            known_bug: None,
            ring: Ring::new(hist),
            trace: 0,
            stats: Stats::default(),
            calm: false,
            client_rate: 0,
            scratch: Vec::new(),
            graveyard: Vec::new(),
        }
    }

    pub fn ev(&mut self, k: K, a: [i64; 7]) {
        let e = Ev { step: self.step, now: self.now, k, a };
        self.trace = e.digest(self.trace);
        if self.cfg.trace {
            eprintln!("{}", e);
        }
        self.ring.push(e);
    }

    pub fn fail(&mut self, invariant: &'static str, detail: String) {
        if self.violation.is_none() {
            self.stats.violations += 1;
            self.violation = Some(Violation { invariant, detail, step: self.step, now: self.now });
        }
    }

    pub fn up(&self, s: usize) -> bool {
        s < self.servers.len() && self.servers[s].status == Status::Up && !self.servers[s].raft.is_null()
    }

    fn group_of(&self, id: i32) -> u8 {
        *self.group.get(id as usize).unwrap_or(&0)
    }

    pub fn cut(&self, a: i32, b: i32) -> bool {
        self.partitioned && !self.calm && self.group_of(a) != self.group_of(b)
    }

    fn delay(&mut self) -> u64 {
        let mut d = self.rng.range(self.cfg.min_latency as u64, self.cfg.max_latency as u64);
        if !self.calm && self.cfg.reorder > 0 && self.rng.chance(self.cfg.reorder, 100) {
            d += self.rng.range(0, self.cfg.reorder_delay as u64);
            self.stats.reordered += 1;
        }
        d
    }

    /// A server hands a message to the network; false if it was lost.
    pub fn send(&mut self, from: i32, to: i32, body: Body) -> bool {
        self.stats.sent += 1;
        if self.cut(from, to) {
            self.stats.dropped += 1;
            return false;
        }
        if !self.calm && self.cfg.drop > 0 && self.rng.chance(self.cfg.drop, 100) {
            self.stats.dropped += 1;
            return false;
        }
        if !self.calm && self.cfg.dupe > 0 && self.rng.chance(self.cfg.dupe, 100) {
            self.stats.duplicated += 1;
            let d = self.delay();
            self.seq += 1;
            self.net.push(Msg { at: self.now + d, seq: self.seq, from, to, body: body.clone() });
        }
        let d = self.delay();
        self.seq += 1;
        self.net.push(Msg { at: self.now + d, seq: self.seq, from, to, body });
        true
    }

    // ---------------------------------------------------------------- checks

    /// Cheap per-call checks of one server's library state against the
    /// models and the global tables.
    pub fn check_node(&mut self, s: usize) {
        if self.violation.is_some() || !self.up(s) {
            return;
        }
        let r = self.servers[s].raft;
        let id = self.servers[s].id;
        let (term, commit, applied, cur, count, first, snap_idx, leader) = unsafe {
            (
                raft_get_current_term(r),
                raft_get_commit_idx(r),
                raft_get_last_applied_idx(r),
                raft_get_current_idx(r),
                raft_get_log_count(r),
                raft_get_first_entry_idx(r),
                raft_get_snapshot_last_idx(r),
                raft_is_leader(r) != 0,
            )
        };
        let sv = &self.servers[s];
        let base = sv.disk.log.base;
        let last = sv.disk.log.last();
        let mem = sv.mem.clone();
        let want_snap = sv.snap_pending.as_ref().map(|p| p.snap.idx).unwrap_or(base);
        // Current Index Validity
        if cur < base || count != cur - base || (cur > base && unsafe { raft_get_entry_from_idx(r, cur) }.is_null()) {
            let has = cur > 0 && !unsafe { raft_get_entry_from_idx(r, cur) }.is_null();
            return self.fail(
                "Current Index Validity",
                format!("server {}: current idx {} (entry there: {}), log count {}, compaction base {}", id, cur, has, count, base),
            );
        }
        // Log Accuracy: the shape of the log equals the model's
        if cur != last {
            return self.fail(
                "Log Accuracy",
                format!("server {}: library log holds {}..={} (count {}), model holds {}..={}", id, cur - count + 1, cur, count, base + 1, last),
            );
        }
        // (raft_get_first_entry_idx is willemt's: 1 without a snapshot, else the snapshot's index)
        if snap_idx != want_snap || first != if want_snap == 0 { 1 } else { want_snap } {
            return self.fail(
                "Log Accuracy",
                format!("server {}: snapshot idx {} / first entry idx {}, but its snapshot (persisted or being taken) is at idx {}", id, snap_idx, first, want_snap),
            );
        }
        // Commit / applied validity
        if commit > cur {
            return self.fail("Commit Index Validity", format!("server {}: commit idx {} is ahead of its log (last idx {})", id, commit, cur));
        }
        if commit < mem.commit {
            return self.fail("Commit Index Validity", format!("server {}: commit idx went back from {} to {}", id, mem.commit, commit));
        }
        if applied > commit {
            return self.fail("Applied Index Validity", format!("server {}: applied idx {} is ahead of commit idx {}", id, applied, commit));
        }
        if applied < mem.applied {
            return self.fail("Applied Index Validity", format!("server {}: applied idx went back from {} to {}", id, mem.applied, applied));
        }
        if term < mem.term {
            return self.fail("Term/Vote Durability", format!("server {}: current term went back from {} to {}", id, mem.term, term));
        }
        if commit > mem.commit {
            self.record_commits(s, mem.commit + 1, commit, term);
            if self.violation.is_some() {
                return;
            }
        }
        {
            let m = &mut self.servers[s].mem;
            m.term = term;
            m.commit = commit;
            m.applied = applied;
        }
        if leader {
            match self.leaders.get(&term) {
                Some(&l) if l != id => {
                    return self.fail("Election Safety", format!("servers {} and {} were both leaders of term {}", l, id, term));
                }
                Some(_) => {}
                None => {
                    self.leaders.insert(term, id);
                }
            }
            if mem.leader_term != term {
                self.servers[s].mem.leader_term = term;
                self.stats.elections += 1;
                self.ev(K::Leader, [id as i64, term, cur, commit, 0, 0, 0]);
                self.leader_completeness(s, term);
            }
        }
    }

    fn record_commits(&mut self, s: usize, lo: i64, hi: i64, rterm: i64) {
        let id = self.servers[s].id;
        let mut sc = std::mem::take(&mut self.scratch);
        sc.clear();
        {
            let log = &self.servers[s].disk.log;
            for idx in lo..=hi {
                if let Some(e) = log.get(idx) {
                    sc.push((idx, e.term, e.id, e.hash, e.etype, e.node));
                }
            }
        }
        if self.servers[s].mem.leader_term == rterm || sc.len() > 1 {
            self.ev(K::Commit, [id as i64, lo - 1, hi, 0, 0, 0, 0]);
        }
        for &(idx, term, eid, hash, etype, node) in sc.iter() {
            let need = idx as usize;
            if self.slots.len() < need {
                self.slots.resize(need, Slot::default());
            }
            let sl = self.slots[need - 1];
            if sl.c_set {
                if sl.c_term != term || sl.c_id != eid {
                    self.fail(
                        "State Machine Safety",
                        format!(
                            "server {} commits (term {}, id {}) at idx {}, but server {} had committed (term {}, id {}) there",
                            id, term, eid, idx, sl.c_by, sl.c_term, sl.c_id
                        ),
                    );
                    break;
                }
            } else {
                let sl = &mut self.slots[need - 1];
                sl.c_set = true;
                sl.c_term = term;
                sl.c_id = eid;
                sl.c_hash = hash;
                sl.c_rterm = rterm;
                sl.c_by = id;
                self.stats.commits += 1;
                self.stair_insert(rterm, idx);
                if etype == crate::ffi::c::LOG_REMOVE {
                    self.removed_committed.insert(node);
                }
            }
        }
        self.scratch = sc;
    }

    fn stair_insert(&mut self, r: i64, i: i64) {
        if let Some((_, &v)) = self.stair.range(..=r).next_back() {
            if v >= i {
                return;
            }
        }
        self.stair.insert(r, i);
        loop {
            let next = self.stair.range(r + 1..).next().map(|(&k, &v)| (k, v));
            match next {
                Some((k, v)) if v <= i => {
                    self.stair.remove(&k);
                }
                _ => break,
            }
        }
    }

    /// Highest index known committed in a term < t.
    fn committed_before(&self, t: i64) -> i64 {
        self.stair.range(..t).next_back().map(|(_, &v)| v).unwrap_or(0)
    }

    fn leader_completeness(&mut self, s: usize, term: i64) {
        let c = self.committed_before(term);
        if c == 0 {
            return;
        }
        let sl = self.slots[(c - 1) as usize];
        let log = &self.servers[s].disk.log;
        let id = self.servers[s].id;
        if log.last() < c {
            return self.fail(
                "Leader Completeness",
                format!(
                    "server {} became leader of term {} but its log ends at idx {}: it lacks committed entries up to idx {} (committed in term <= {})",
                    id, term, log.last(), c, sl.c_rterm
                ),
            );
        }
        if c >= log.base {
            if log.hash_at(c) != Some(sl.c_hash) {
                let (lt, li) = log.get(c).map(|e| (e.term, e.id)).unwrap_or((log.base_term, -1));
                return self.fail(
                    "Leader Completeness",
                    format!(
                        "server {} became leader of term {} but its log up to idx {} differs from the committed one (it has term {} id {} there; committed: term {} id {})",
                        id, term, c, lt, li, sl.c_term, sl.c_id
                    ),
                );
            }
        } else {
            let b = log.base;
            let bs = self.slots.get((b - 1) as usize).copied().unwrap_or_default();
            if bs.c_set && bs.c_hash != log.base_hash {
                return self.fail(
                    "Leader Completeness",
                    format!("server {} became leader of term {} but its snapshot at idx {} differs from the committed log", id, term, b),
                );
            }
        }
    }

    /// Compare the library's entries lo..=hi with the model.
    pub fn check_range(&mut self, s: usize, lo: i64, hi: i64) {
        if self.violation.is_some() || !self.up(s) {
            return;
        }
        let r = self.servers[s].raft;
        let id = self.servers[s].id;
        let mut bad: Option<String> = None;
        {
            let log = &self.servers[s].disk.log;
            let lo = lo.max(log.base + 1);
            let hi = hi.min(log.last());
            let mut idx = lo;
            while idx <= hi {
                let m = log.get(idx).unwrap();
                let p = unsafe { raft_get_entry_from_idx(r, idx) };
                if p.is_null() {
                    bad = Some(format!("server {}: no entry at idx {}, the model holds (term {}, id {})", id, idx, m.term, m.id));
                    break;
                }
                let e = unsafe { &*p };
                let len = e.data.len as usize;
                if e.term != m.term
                    || e.id != m.id
                    || e.type_ != m.etype
                    || len != m.payload.len()
                    || (len > 0 && e.data.buf as *const u8 != m.payload.as_ptr())
                {
                    bad = Some(format!(
                        "server {}: entry at idx {} is (term {}, id {}, type {}, {} bytes at {:p}); the model (offered, not popped/polled) has (term {}, id {}, type {}, {} bytes at {:p})",
                        id, idx, e.term, e.id, e.type_, len, e.data.buf, m.term, m.id, m.etype, m.payload.len(), m.payload.as_ptr()
                    ));
                    break;
                }
                idx += 1;
            }
        }
        if let Some(b) = bad {
            self.fail("Log Accuracy", b);
        }
    }

    /// Log Matching over the library's own entries lo..=hi (not the model):
    /// the prefix hash is chained from the model at lo-1 (already checked).
    pub fn check_matching_lib(&mut self, s: usize, lo: i64, hi: i64) {
        if self.violation.is_some() || !self.up(s) {
            return;
        }
        let r = self.servers[s].raft;
        let id = self.servers[s].id;
        let log = &self.servers[s].disk.log;
        let lo = lo.max(log.base + 1);
        let Some(mut h) = log.hash_at(lo - 1) else { return };
        let hi = hi.min(unsafe { raft_get_current_idx(r) });
        let mut bad = None;
        for idx in lo..=hi {
            let p = unsafe { raft_get_entry_from_idx(r, idx) };
            if p.is_null() {
                break;
            }
            let e = unsafe { &*p };
            h = entry_hash(h, idx, e.term, e.id, e.type_, e.data.len as usize);
            if let Some(&(gh, by)) = self.g_log.get(&(idx, e.term)) {
                if gh != h {
                    bad = Some((idx, e.term, by));
                    break;
                }
            }
        }
        if let Some((idx, t, by)) = bad {
            self.fail(
                "Log Matching",
                format!("server {} holds an entry at idx {} with term {} like server {}, but their logs up to idx {} differ", id, idx, t, by, idx),
            );
        }
    }

    /// Rotating window of the log-accuracy check, a few entries per step.
    pub fn check_window(&mut self, s: usize, n: i64) {
        if !self.up(s) {
            return;
        }
        let (base, last, mut cur) = {
            let sv = &self.servers[s];
            (sv.disk.log.base, sv.disk.log.last(), sv.cursor)
        };
        if last <= base {
            return;
        }
        if cur <= base || cur > last {
            cur = base + 1;
        }
        let hi = (cur + n - 1).min(last);
        self.check_range(s, cur, hi);
        self.servers[s].cursor = hi + 1;
    }

    // ------------------------------------------------------------- callbacks

    pub fn on_offer(&mut self, s: usize, e: &mut raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        match self.servers[s].mode {
            Mode::Freeing => return 0,
            Mode::Restoring => {
                let log = &self.servers[s].disk.log;
                match log.get(idx) {
                    Some(m) if m.term == e.term && m.id == e.id => {
                        e.data.buf = m.payload.as_ptr() as *mut _;
                    }
                    _ => {
                        let msg = format!("server {}: while restoring, log_offer at idx {} (term {}, id {}) does not match the persisted log", id, idx, e.term, e.id);
                        self.fail("Log Accuracy", msg);
                    }
                }
                return 0;
            }
            Mode::Normal => {}
        }
        if self.violation.is_some() {
            // keep the library consistent with the model until we stop
        }
        let len = e.data.len as usize;
        let bytes: Box<[u8]> = if len == 0 || e.data.buf.is_null() {
            Box::new([])
        } else {
            unsafe { std::slice::from_raw_parts(e.data.buf as *const u8, len) }.into()
        };
        let etype = e.type_;
        let node = if is_cfg(etype) { cfg_node(&bytes) } else { 0 };
        if etype == crate::ffi::c::LOG_NORMAL && e.id >= 1000 && *bytes != *payload_for(e.id) {
            self.fail("Log Accuracy", format!("server {}: entry id {} offered at idx {} carries a payload other than the client's", id, e.id, idx));
        }
        let (base, last) = {
            let l = &self.servers[s].disk.log;
            (l.base, l.last())
        };
        if idx <= base || idx > last + 1 {
            self.fail("Log Accuracy", format!("server {}: log_offer at idx {} but its log holds {}..={}", id, idx, base + 1, last));
            return 0;
        }
        let log = &mut self.servers[s].disk.log;
        let prev_hash = log.hash_at(idx - 1).unwrap();
        let prev_id = log.get(idx - 1).map(|p| p.id);
        let h = entry_hash(prev_hash, idx, e.term, e.id, etype, bytes.len());
        e.data.buf = bytes.as_ptr() as *mut _;
        let me = MEntry { term: e.term, id: e.id, etype, node, payload: bytes, hash: h };
        let mut checks: Vec<(i64, i64, u64)> = vec![(idx, e.term, h)];
        let mut next_id = None;
        if idx == last + 1 {
            log.entries.push_back(me);
        } else {
            // overwritten in place (no log_pop for the old entry): mirror it
            *log.get_mut(idx).unwrap() = me;
            let mut ph = h;
            for j in idx + 1..=last {
                let t = log.get_mut(j).unwrap();
                t.hash = entry_hash(ph, j, t.term, t.id, t.etype, t.payload.len());
                ph = t.hash;
                checks.push((j, t.term, t.hash));
            }
            next_id = log.get(idx + 1).map(|n| n.id);
        }
        for (j, t, hh) in checks {
            match self.g_log.get(&(j, t)) {
                Some(&(gh, by)) if gh != hh => {
                    self.fail(
                        "Log Matching",
                        format!(
                            "server {} holds an entry at idx {} with term {} like server {}, but their logs up to idx {} differ",
                            id, j, t, by, j
                        ),
                    );
                    return 0;
                }
                Some(_) => {}
                None => {
                    self.g_log.insert((j, t), (hh, id));
                }
            }
        }
        if let Some(p) = prev_id {
            if p >= e.id {
                self.fail("Entry ID Monotonicity", format!("server {}: entry id {} appended at idx {} after entry id {}", id, e.id, idx, p));
            }
        }
        if let Some(n) = next_id {
            if n <= e.id {
                self.fail("Entry ID Monotonicity", format!("server {}: entry id {} written at idx {} before entry id {}", id, e.id, idx, n));
            }
        }
        if idx != last + 1 {
            self.fail(
                "Log Accuracy",
                format!("server {}: entry at idx {} overwritten by log_offer without log_pop (log held {}..={})", id, idx, base + 1, last),
            );
        }
        0
    }

    pub fn on_pop(&mut self, s: usize, e: &raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        if self.servers[s].mode != Mode::Normal {
            return 0;
        }
        let r = self.servers[s].raft;
        let last = self.servers[s].disk.log.last();
        if idx != last || self.servers[s].disk.log.get(idx).is_none() {
            self.fail("Log Accuracy", format!("server {}: log_pop of idx {} but its newest entry is {}", id, idx, last));
            return 0;
        }
        let commit = unsafe { raft_get_commit_idx(r) };
        let (mt, mi) = {
            let m = self.servers[s].disk.log.get(idx).unwrap();
            (m.term, m.id)
        };
        if mt != e.term || mi != e.id {
            self.fail("Log Accuracy", format!("server {}: log_pop of idx {} (term {}, id {}) but the model has (term {}, id {}) there", id, idx, e.term, e.id, mt, mi));
            return 0;
        }
        if idx <= commit {
            self.fail("No Committed Entry Popped", format!("server {} pops idx {} (term {}, id {}) at or below its commit idx {}", id, idx, mt, mi, commit));
            return 0;
        }
        // (A follower outside the quorum may still lose an entry that was
        // committed at a later term than its own, to a stale leader: only
        // its own commit index binds it.)
        let durable = self.servers[s].disk.applied;
        if idx <= durable {
            self.fail("No Committed Entry Popped", format!("server {} pops idx {} (term {}, id {}) at or below its durably applied idx {}", id, idx, mt, mi, durable));
            return 0;
        }
        if let Some(m) = self.servers[s].disk.log.entries.pop_back() {
            self.graveyard.push(m.payload);
        }
        0
    }

    pub fn on_poll(&mut self, s: usize, e: &raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        if self.servers[s].mode != Mode::Normal {
            return 0;
        }
        let r = self.servers[s].raft;
        let base = self.servers[s].disk.log.base;
        let snap_idx = self.servers[s].snap_pending.as_ref().map(|p| p.snap.idx).unwrap_or(0);
        let commit = unsafe { raft_get_commit_idx(r) };
        let m = self.servers[s].disk.log.get(idx).map(|m| (m.term, m.id));
        if idx != base + 1 || m.is_none() {
            self.fail("Log Accuracy", format!("server {}: log_poll of idx {} but its oldest entry is {}", id, idx, base + 1));
            return 0;
        }
        if m != Some((e.term, e.id)) {
            self.fail("Log Accuracy", format!("server {}: log_poll of idx {} (term {}, id {}) differs from the model's {:?}", id, idx, e.term, e.id, m));
            return 0;
        }
        if idx > snap_idx || idx > commit {
            self.fail("Log Accuracy", format!("server {}: log_poll of idx {} beyond its snapshot idx {} / commit idx {}", id, idx, snap_idx, commit));
            return 0;
        }
        if let Some(m) = self.servers[s].disk.log.poll() {
            self.graveyard.push(m.payload);
        }
        0
    }

    pub fn on_clear(&mut self, s: usize, _e: &raft_entry_t, idx: i64) -> i32 {
        if self.servers[s].mode != Mode::Normal {
            return 0;
        }
        let l = &self.servers[s].disk.log;
        if idx <= l.base || idx > l.last() {
            let msg = format!("server {}: log_clear of idx {} outside its log {}..={}", self.servers[s].id, idx, l.base + 1, l.last());
            self.fail("Log Accuracy", msg);
        }
        self.servers[s].clears += 1;
        if let Some(m) = self.servers[s].disk.log.get_mut(idx) {
            let p = std::mem::take(&mut m.payload);
            self.graveyard.push(p);
        }
        0
    }

    /// Whether `buf` is the payload of an entry that already left the log.
    pub fn released(&self, buf: *const u8, len: usize) -> bool {
        len > 0 && self.graveyard.iter().any(|p| p.as_ptr() == buf && !p.is_empty())
    }

    pub fn on_apply(&mut self, s: usize, e: &raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        if self.servers[s].mode == Mode::Freeing {
            return 0;
        }
        let r = self.servers[s].raft;
        let commit = unsafe { raft_get_commit_idx(r) };
        let m = self.servers[s].disk.log.get(idx).map(|m| (m.term, m.id, m.etype, m.node));
        let Some((mt, mi, etype, node)) = m else {
            self.fail("Log Accuracy", format!("server {}: log_apply of idx {}, which its log does not hold", id, idx));
            return 0;
        };
        if mt != e.term || mi != e.id {
            self.fail("Log Accuracy", format!("server {}: log_apply of (term {}, id {}) at idx {}, the model has (term {}, id {})", id, e.term, e.id, idx, mt, mi));
            return 0;
        }
        let sm = self.servers[s].mem.sm_applied;
        if idx != sm + 1 {
            self.fail("Applied Index Validity", format!("server {}: applies idx {} right after idx {}", id, idx, sm));
            return 0;
        }
        if idx > commit {
            self.fail("Applied Index Validity", format!("server {}: applies idx {} beyond its commit idx {}", id, idx, commit));
            return 0;
        }
        let digest = hcomb(self.servers[s].mem.sm_digest, ((mt as u64) << 32) ^ (mi as u32 as u64));
        let need = idx as usize;
        if self.slots.len() < need {
            self.slots.resize(need, Slot::default());
        }
        let sl = self.slots[need - 1];
        if sl.a_set {
            if sl.a_term != mt || sl.a_id != mi || sl.a_digest != digest {
                self.fail(
                    "State Machine Safety",
                    format!(
                        "server {} applies (term {}, id {}) at idx {}, but server {} applied (term {}, id {}) there{}",
                        id, mt, mi, idx, sl.a_by, sl.a_term, sl.a_id,
                        if sl.a_term == mt && sl.a_id == mi { " (with a different state before it)" } else { "" }
                    ),
                );
                return 0;
            }
        } else {
            if sl.c_set && (sl.c_term != mt || sl.c_id != mi) {
                self.fail(
                    "State Machine Safety",
                    format!("server {} applies (term {}, id {}) at idx {}, but (term {}, id {}) was committed there", id, mt, mi, idx, sl.c_term, sl.c_id),
                );
                return 0;
            }
            let slm = &mut self.slots[need - 1];
            slm.a_set = true;
            slm.a_term = mt;
            slm.a_id = mi;
            slm.a_digest = digest;
            slm.a_by = id;
        }
        let sv = &mut self.servers[s];
        sv.mem.sm_applied = idx;
        sv.mem.sm_digest = digest;
        if idx > sv.disk.applied {
            sv.disk.applied = idx;
        }
        if etype == crate::ffi::c::LOG_REMOVE && node == id {
            sv.shutdown = Some(0);
            return crate::ffi::c::ERR_SHUTDOWN;
        }
        0
    }

    pub fn on_persist_term(&mut self, s: usize, term: i64, vote: i32) -> i32 {
        let sv = &self.servers[s];
        if sv.mode != Mode::Normal {
            return 0;
        }
        let (dt, dv, id) = (sv.disk.term, sv.disk.vote, sv.id);
        if term < dt || (term == dt && dv != -1 && vote != dv) {
            self.fail("Term/Vote Durability", format!("server {}: persist_term(term {}, vote {}) after it had persisted term {} vote {}", id, term, vote, dt, dv));
            return 0;
        }
        let sv = &mut self.servers[s];
        sv.disk.term = term;
        sv.disk.vote = vote;
        0
    }

    pub fn on_persist_vote(&mut self, s: usize, vote: i32) -> i32 {
        let sv = &self.servers[s];
        if sv.mode != Mode::Normal {
            return 0;
        }
        let term = unsafe { raft_get_current_term(sv.raft) };
        let (dt, dv, id) = (sv.disk.term, sv.disk.vote, sv.id);
        if dt != term {
            self.fail("Term/Vote Durability", format!("server {}: persist_vote({}) in term {} but the persisted term is {}", id, vote, term, dt));
            return 0;
        }
        if dv != -1 && vote != dv {
            self.fail("Term/Vote Durability", format!("server {}: persist_vote({}) in term {} after it had persisted a vote for {}", id, vote, term, dv));
            return 0;
        }
        self.servers[s].disk.vote = vote;
        0
    }
}
