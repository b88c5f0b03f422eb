//! The driver: builds the cluster, advances the virtual clock, injects chaos,
//! delivers messages and runs every server through the C API.
//!
//! Borrow discipline: `World` lives in a RefCell that the C callbacks borrow;
//! the driver never holds a borrow across a library call that can call back.

use crate::callbacks;
use crate::config::Config;
use crate::events::*;
use crate::ffi::c;
use crate::ffi::*;
use crate::model::*;
use crate::rng::payload_for;
use crate::world::*;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::os::raw::c_void;
use std::ptr::null_mut;
use std::time::Instant;

pub struct Outcome {
    pub violation: Option<Violation>,
    /// Set when a tolerated known library bug stopped the run (not a failure).
    pub known_bug: Option<String>,
    pub stats: Stats,
    /// Per-node table and totals (deterministic).
    pub summary: String,
    /// Violation report (seed, replay command, recent events); empty if none.
    pub report: String,
    pub trace_digest: u64,
    pub wall_secs: f64,
}

impl Outcome {
    pub fn speed_line(&self) -> String {
        let secs = self.wall_secs.max(1e-9);
        format!(
            "speed: {:.0} delivered messages/s, {:.0} steps/s ({} messages, {} steps in {:.2}s wall, one core)",
            self.stats.delivered as f64 / secs,
            (self.stats.steps + self.stats.live_ticks) as f64 / secs,
            self.stats.delivered,
            self.stats.steps + self.stats.live_ticks,
            secs
        )
    }
}

pub struct Sim {
    w: Box<RefCell<World>>,
}

const FULL_CHECK_EVERY: u64 = 4096;

impl Sim {
    pub fn new(cfg: Config) -> Sim {
        Sim { w: Box::new(RefCell::new(World::new(cfg))) }
    }

    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.w.borrow_mut())
    }

    fn failed(&self) -> bool {
        let w = self.w.borrow();
        w.violation.is_some() || w.known_bug.is_some()
    }

    fn raft(&self, s: usize) -> *mut raft_server_t {
        let w = self.w.borrow();
        if w.up(s) {
            w.servers[s].raft
        } else {
            null_mut()
        }
    }

    // ------------------------------------------------------------ lifecycle

    fn add_server(&self) -> usize {
        let wp: *const RefCell<World> = &*self.w;
        self.with(|w| {
            let slot = w.servers.len();
            let id = slot as i32 + 1;
            let trace = w.cfg.trace;
            w.servers.push(Server {
                id,
                raft: null_mut(),
                ctx: Box::new(Ctx { world: wp, slot }),
                cbs: Box::new(callbacks::table(trace)),
                status: Status::Up,
                mode: Mode::Normal,
                disk: Disk { vote: -1, ..Default::default() },
                mem: Mem::default(),
                restarts: 0,
                incarnation: 0,
                shutdown: None,
                snap_pending: None,
                clears: 0,
                cursor: 0,
            });
            if w.group.len() <= id as usize {
                w.group.resize(id as usize + 1, 0);
            }
            slot
        })
    }

    /// raft_new + rebuild from the server's disk (empty for a new server).
    fn boot(&self, s: usize) {
        let (id, seed, cfg, ctxp, cbsp, snap, term, vote, ents, applied) = self.with(|w| {
            let seed = w.rng.next_u64();
            let cfg = w.cfg.clone();
            let sv = &mut w.servers[s];
            sv.mode = Mode::Restoring;
            sv.status = Status::Up;
            sv.incarnation += 1;
            sv.shutdown = None;
            sv.snap_pending = None;
            let ents: Vec<raft_entry_t> = sv
                .disk
                .log
                .entries
                .iter()
                .map(|m| raft_entry_t {
                    term: m.term,
                    id: m.id,
                    type_: m.etype,
                    data: raft_entry_data_t { buf: m.payload.as_ptr() as *mut c_void, len: m.payload.len() as _ },
                })
                .collect();
            (
                sv.id,
                seed,
                cfg,
                &*sv.ctx as *const Ctx as *mut c_void,
                &mut *sv.cbs as *mut raft_cbs_t,
                sv.disk.snap.clone(),
                sv.disk.term,
                sv.disk.vote,
                ents,
                sv.disk.applied,
            )
        });
        let mut problems = Vec::new();
        unsafe {
            let r = raft_new();
            assert!(!r.is_null(), "raft_new returned NULL");
            self.with(|w| w.servers[s].raft = r);
            raft_set_callbacks(r, cbsp, ctxp);
            raft_set_random_seed(r, seed);
            raft_set_election_timeout(r, cfg.election_timeout as _);
            raft_set_request_timeout(r, cfg.request_timeout as _);
            raft_set_max_entries_per_msg(r, cfg.max_entries as _);
            if cfg.fault != 0 {
                raft_set_fault_injection(r, cfg.fault);
            }
            if raft_add_non_voting_node(r, null_mut(), id, 1).is_null() {
                problems.push("raft_add_non_voting_node(self) returned NULL".to_string());
            }
            if let Some(sn) = &snap {
                let rc = raft_begin_load_snapshot(r, sn.term, sn.idx);
                if rc != 0 {
                    problems.push(format!("raft_begin_load_snapshot(term {}, idx {}) = {}", sn.term, sn.idx, rc));
                } else {
                    self.install_members(r, id, &sn.members);
                    let rc = raft_end_load_snapshot(r);
                    if rc != 0 {
                        problems.push(format!("raft_end_load_snapshot = {}", rc));
                    }
                }
            }
            if term > 0 {
                let rc = raft_set_current_term(r, term);
                if rc != 0 {
                    problems.push(format!("raft_set_current_term({}) = {}", term, rc));
                }
            }
            if vote != -1 {
                let rc = raft_vote_for_nodeid(r, vote);
                if rc != 0 {
                    problems.push(format!("raft_vote_for_nodeid({}) = {}", vote, rc));
                }
            }
            for mut e in ents {
                let rc = raft_append_entry(r, &mut e);
                if rc != 0 {
                    problems.push(format!("raft_append_entry(id {}) = {}", e.id, rc));
                    break;
                }
            }
            if applied > 0 {
                raft_set_commit_idx(r, applied);
            }
            let (t2, v2, c2, a2, cur) = (
                raft_get_current_term(r),
                raft_get_voted_for(r),
                raft_get_commit_idx(r),
                raft_get_last_applied_idx(r),
                raft_get_current_idx(r),
            );
            self.with(|w| {
                let restarted = w.servers[s].incarnation > 1;
                let sv = &mut w.servers[s];
                sv.mode = Mode::Normal;
                sv.mem = Mem {
                    term: t2,
                    commit: c2,
                    applied: a2,
                    sm_applied: snap.as_ref().map(|x| x.idx).unwrap_or(0),
                    sm_digest: snap.as_ref().map(|x| x.digest).unwrap_or(0),
                    leader_term: 0,
                    applied_floor: applied,
                };
                sv.cursor = 0;
                let sid = sv.id as i64;
                if !problems.is_empty() {
                    w.fail("Restore", format!("server {}: rebuilding from its persisted state failed: {}", id, problems.join("; ")));
                } else if t2 != term || v2 != vote {
                    w.fail(
                        "Term/Vote Durability",
                        format!("server {}: after restart term {} vote {}, but it had persisted term {} vote {}", id, t2, v2, term, vote),
                    );
                } else if c2 < applied {
                    w.fail("Commit Index Validity", format!("server {}: after restart commit idx {} is below its durably applied idx {}", id, c2, applied));
                }
                if restarted {
                    let sn = snap.as_ref().map(|x| x.idx).unwrap_or(0);
                    w.ev(K::Restart, [sid, term, vote as i64, sn, cur, applied, c2]);
                }
            });
        }
        self.after_call(s);
    }

    /// Re-add the members a snapshot lists (between begin/end_load_snapshot).
    unsafe fn install_members(&self, r: *mut raft_server_t, me: i32, members: &Members) {
        let mut self_voting = false;
        for &(nid, voting) in members {
            if nid == me {
                self_voting = voting;
                continue;
            }
            if voting {
                raft_add_node(r, null_mut(), nid, 0);
            } else {
                raft_add_non_voting_node(r, null_mut(), nid, 0);
            }
        }
        let mine = raft_get_my_node(r);
        if self_voting {
            if !mine.is_null() && raft_node_is_voting(mine) == 0 {
                raft_add_node(r, null_mut(), me, 1);
            }
        } else if !mine.is_null() && raft_node_is_voting(mine) != 0 {
            raft_node_set_voting(mine, 0);
        }
    }

    fn crash(&self, s: usize, down: u64) {
        let r = self.raft(s);
        if r.is_null() {
            return;
        }
        let (t, cm, l) = unsafe { (raft_get_current_term(r), raft_get_commit_idx(r), raft_get_current_idx(r)) };
        self.with(|w| {
            let until = w.step + down;
            let sv = &mut w.servers[s];
            sv.mode = Mode::Freeing;
            sv.status = Status::Down(until);
            sv.snap_pending = None;
            let id = sv.id as i64;
            w.stats.crashes += 1;
            w.ev(K::Crash, [id, t, cm, l, down as i64, 0, 0]);
        });
        unsafe { raft_free(r) };
        self.with(|w| {
            let sv = &mut w.servers[s];
            sv.raft = null_mut();
            sv.mode = Mode::Normal;
        });
    }

    fn decommission(&self, s: usize, why: i64) {
        let r = self.with(|w| {
            let sv = &mut w.servers[s];
            if sv.status == Status::Gone {
                return None;
            }
            let r = sv.raft;
            sv.mode = Mode::Freeing;
            sv.status = Status::Gone;
            sv.snap_pending = None;
            let id = sv.id as i64;
            w.stats.servers_gone += 1;
            w.ev(K::Gone, [id, why, 0, 0, 0, 0, 0]);
            Some(r)
        });
        let Some(r) = r else { return };
        if !r.is_null() {
            unsafe { raft_free(r) };
        }
        self.with(|w| {
            let sv = &mut w.servers[s];
            sv.raft = null_mut();
            sv.mode = Mode::Normal;
            sv.disk = Disk::default();
        });
    }

    fn after_call(&self, s: usize) {
        let sd = self.with(|w| {
            w.graveyard.clear();
            w.check_node(s);
            w.servers.get_mut(s).and_then(|sv| sv.shutdown.take())
        });
        if let Some(why) = sd {
            self.decommission(s, why);
        }
    }

    // ----------------------------------------------------------------- setup

    fn init(&self) {
        let n = self.with(|w| w.cfg.servers) as i32;
        for _ in 0..n {
            let s = self.add_server();
            self.boot(s);
        }
        // Bootstrap: every initial server persists the same configuration
        // entries (term 1), so joining servers learn the membership from the log.
        for s in 0..n as usize {
            let r = self.raft(s);
            unsafe {
                raft_set_current_term(r, 1);
                for nid in 1..=n {
                    let p = cfg_payload(nid);
                    let mut e = raft_entry_t {
                        term: 1,
                        id: nid,
                        type_: c::LOG_ADD_NODE,
                        data: raft_entry_data_t { buf: p.as_ptr() as *mut c_void, len: p.len() as _ },
                    };
                    let rc = raft_append_entry(r, &mut e);
                    if rc != 0 {
                        self.with(|w| w.fail("Restore", format!("bootstrap raft_append_entry on server {} = {}", s + 1, rc)));
                    }
                }
            }
            self.after_call(s);
        }
    }

    // ------------------------------------------------------------------ run

    pub fn run(&mut self) -> Outcome {
        let t0 = Instant::now();
        self.init();
        let (steps, every, lt) = self.with(|w| (w.cfg.steps, w.cfg.liveness_every, w.cfg.liveness_timeouts));
        for i in 1..=steps {
            if self.failed() {
                break;
            }
            self.step();
            if lt > 0 && every > 0 && i % every == 0 && i < steps && !self.failed() {
                self.liveness();
            }
        }
        if !self.failed() {
            self.full_check();
        }
        if !self.failed() && lt > 0 {
            self.liveness();
        }
        if !self.failed() {
            self.full_check();
        }
        let wall = t0.elapsed().as_secs_f64();
        let summary = self.summary();
        let status = self.status_line();
        let w = self.w.borrow();
        let report = match &w.violation {
            None => String::new(),
            Some(v) => {
                let mut r = String::new();
                let _ = writeln!(r, "VIOLATION: {}", v.invariant);
                let _ = writeln!(r, "  {}", v.detail);
                let _ = writeln!(r, "  at step {} (virtual time {} ms)", v.step, v.now);
                let _ = writeln!(r, "  servers then: {}", status);
                let _ = writeln!(r, "  seed: {}", w.cfg.seed);
                let _ = writeln!(r, "  replay: {}", w.cfg.command());
                let _ = writeln!(r, "last {} events (oldest first):", w.ring.buf.len());
                for e in w.ring.iter() {
                    let _ = writeln!(r, "  {}", e);
                }
                let _ = writeln!(r, "VIOLATION: {} (seed {}; replay: {})", v.invariant, w.cfg.seed, w.cfg.command());
                r
            }
        };
        Outcome {
            violation: w.violation.clone(),
            known_bug: w.known_bug.clone(),
            stats: w.stats.clone(),
            summary,
            report,
            trace_digest: w.trace,
            wall_secs: wall,
        }
    }

    fn step(&self) {
        let (member, compaction, crash, partition, client_base) = self.with(|w| {
            w.step += 1;
            w.stats.steps += 1;
            w.now += w.cfg.tick_ms as u64;
            (w.cfg.member, w.cfg.compaction, w.cfg.crash, w.cfg.partition, w.cfg.client)
        });
        // restarts due
        let due: Vec<usize> = self.with(|w| {
            let st = w.step;
            (0..w.servers.len()).filter(|&s| matches!(w.servers[s].status, Status::Down(t) if t <= st)).collect()
        });
        for s in due {
            self.with(|w| {
                w.servers[s].restarts += 1;
                w.stats.restarts += 1;
            });
            self.boot(s);
        }
        // partitions
        if partition > 0 && self.with(|w| w.rng.chance(partition, 1000)) {
            self.with(|w| {
                if w.partitioned {
                    w.partitioned = false;
                    for g in w.group.iter_mut() {
                        *g = 0;
                    }
                    w.ev(K::Heal, [0; 7]);
                } else {
                    Self::partition(w);
                }
            });
        }
        // crashes
        if crash > 0 && self.with(|w| w.rng.chance(crash, 1000)) {
            let pick = self.with(|w| {
                let ups: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s)).collect();
                if ups.is_empty() {
                    return None;
                }
                let s = ups[w.rng.below(ups.len() as u64) as usize];
                let down = w.rng.range(1, w.cfg.max_down.max(1) as u64);
                Some((s, down))
            });
            if let Some((s, down)) = pick {
                self.crash(s, down);
            }
        }
        // snapshots due to end
        let ends: Vec<usize> = self.with(|w| {
            let st = w.step;
            (0..w.servers.len())
                .filter(|&s| w.up(s) && w.servers[s].snap_pending.as_ref().map(|p| p.end_step <= st).unwrap_or(false))
                .collect()
        });
        for s in ends {
            self.end_snapshot(s);
        }
        if compaction > 0 && self.with(|w| w.rng.chance(compaction, 1000)) {
            let pick = self.with(|w| {
                let ups: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s)).collect();
                if ups.is_empty() {
                    None
                } else {
                    Some(ups[w.rng.below(ups.len() as u64) as usize])
                }
            });
            if let Some(s) = pick {
                self.compaction(s);
            }
        }
        self.resolve_adds();
        self.promotions();
        if member > 0 && self.with(|w| w.rng.chance(member, 1000)) {
            self.member_op();
        }
        // client entries
        self.with(|w| {
            if w.step % 500 == 1 {
                let hi = (client_base * 2).min(100) as u64;
                w.client_rate = w.rng.range(0, hi) as u32;
            }
        });
        self.client();
        self.check_acks();
        self.tick_common();
    }

    /// Deliver what is due, run periodic everywhere, per-step checks.
    fn tick_common(&self) {
        self.deliver_due();
        self.periodic_all();
        let full = self.with(|w| {
            for s in 0..w.servers.len() {
                if w.up(s) {
                    w.check_node(s);
                    w.check_window(s, 8);
                }
            }
            w.step % FULL_CHECK_EVERY == 0
        });
        if full {
            self.full_check();
        }
    }

    fn full_check(&self) {
        self.with(|w| {
            for s in 0..w.servers.len() {
                if w.up(s) {
                    let (b, l) = (w.servers[s].disk.log.base, w.servers[s].disk.log.last());
                    w.check_range(s, b + 1, l);
                    w.check_node(s);
                }
            }
        });
    }

    fn partition(w: &mut World) {
        let mut alive: Vec<i32> = w.servers.iter().filter(|sv| sv.status != Status::Gone).map(|sv| sv.id).collect();
        let n = alive.len();
        if n < 2 {
            return;
        }
        // shuffle
        for i in (1..n).rev() {
            let j = w.rng.below(i as u64 + 1) as usize;
            alive.swap(i, j);
        }
        let mut kind = w.rng.below(4) as i64;
        if kind == 3 && n < 3 {
            kind = 0;
        }
        for g in w.group.iter_mut() {
            *g = 0;
        }
        let (mut m1, mut m2) = (0i64, 0i64);
        let bit = |id: i32| 1i64 << (id % 63);
        match kind {
            1 => {
                let l = (0..w.servers.len()).filter(|&s| w.up(s) && unsafe { raft_is_leader(w.servers[s].raft) } != 0).map(|s| w.servers[s].id).max();
                let victim = l.unwrap_or(alive[0]);
                if l.is_none() {
                    kind = 2;
                }
                w.group[victim as usize] = 1;
                m1 |= bit(victim);
            }
            2 => {
                w.group[alive[0] as usize] = 1;
                m1 |= bit(alive[0]);
            }
            3 => {
                let a = w.rng.range(1, (n - 2) as u64) as usize;
                let b = w.rng.range(a as u64 + 1, (n - 1) as u64) as usize;
                for (i, &id) in alive.iter().enumerate() {
                    if i < a {
                        w.group[id as usize] = 1;
                        m1 |= bit(id);
                    } else if i < b {
                        w.group[id as usize] = 2;
                        m2 |= bit(id);
                    }
                }
            }
            _ => {
                let k = w.rng.range(1, (n / 2) as u64) as usize;
                for &id in &alive[..k] {
                    w.group[id as usize] = 1;
                    m1 |= bit(id);
                }
            }
        }
        w.partitioned = true;
        w.stats.partitions += 1;
        w.ev(K::Partition, [m1, m2, kind, 0, 0, 0, 0]);
    }

    // ------------------------------------------------------------- messages

    fn deliver_due(&self) {
        loop {
            let m = self.with(|w| {
                if w.violation.is_some() {
                    return None;
                }
                match w.net.peek() {
                    Some(m) if m.at <= w.now => w.net.pop(),
                    _ => None,
                }
            });
            match m {
                Some(m) => self.deliver(m),
                None => break,
            }
        }
    }

    fn deliver(&self, m: Msg) {
        let from = m.from;
        let to = m.to;
        let s = slot_of(to);
        let go = self.with(|w| {
            let is_snap = matches!(m.body, Body::Snap(..));
            if is_snap {
                w.snap_inflight.remove(&(from, to));
            }
            let kind = match &m.body {
                Body::Rv(_) => M_RV,
                Body::Rvr(_) => M_RVR,
                Body::Ae(..) => M_AE,
                Body::Aer(_) => M_AER,
                Body::Snap(..) => M_SNAP,
            };
            if !w.up(s) {
                w.stats.dropped += 1;
                return false;
            }
            if w.cut(from, to) {
                w.stats.dropped += 1;
                if is_snap {
                    w.ev(K::Drop, [kind, from as i64, to as i64, 1, 0, 0, 0]);
                }
                return false;
            }
            w.stats.delivered += 1;
            true
        });
        if !go {
            return;
        }
        let r = self.raft(s);
        let node = unsafe { raft_get_node(r, from) };
        match m.body {
            Body::Rv(mut rv) => {
                let mut resp = msg_requestvote_response_t::default();
                let rc = unsafe { raft_recv_requestvote(r, node, &mut rv, &mut resp) };
                self.with(|w| {
                    w.ev(K::Deliver, [M_RV, from as i64, to as i64, rv.term, rv.last_log_idx, rv.last_log_term, rc as i64]);
                    if rc == 0 && w.up(s) {
                        w.send(to, from, Body::Rvr(resp));
                    }
                });
            }
            Body::Rvr(mut rr) => {
                let rc = unsafe { raft_recv_requestvote_response(r, node, &mut rr) };
                self.with(|w| {
                    w.ev(K::Deliver, [M_RVR, from as i64, to as i64, rr.term, rr.vote_granted as i64, 0, rc as i64]);
                    if rc == c::ERR_SHUTDOWN {
                        w.servers[s].shutdown = Some(2);
                    }
                });
            }
            Body::Ae(mut hdr, ents) => {
                let mut arr: Vec<msg_entry_t> = ents
                    .iter()
                    .map(|e| msg_entry_t {
                        term: e.term,
                        id: e.id,
                        type_: e.etype,
                        data: raft_entry_data_t { buf: e.payload.as_ptr() as *mut c_void, len: e.payload.len() as _ },
                    })
                    .collect();
                hdr.entries = if arr.is_empty() { null_mut() } else { arr.as_mut_ptr() };
                hdr.n_entries = arr.len() as _;
                let mut resp = msg_appendentries_response_t::default();
                let rc = unsafe { raft_recv_appendentries(r, node, &mut hdr, &mut resp) };
                drop(arr);
                drop(ents);
                self.with(|w| {
                    let n = hdr.n_entries as i64;
                    w.ev(K::Deliver, [M_AE, from as i64, to as i64, hdr.term, hdr.prev_log_idx, n | (hdr.leader_commit << 16), rc as i64]);
                    if rc == c::ERR_SHUTDOWN {
                        w.fail(
                            "No Committed Entry Popped",
                            format!(
                                "server {} refused AppendEntries from {} (term {}, prev {}) with RAFT_ERR_SHUTDOWN: the leader would overwrite an entry at or below the follower's commit idx",
                                to, from, hdr.term, hdr.prev_log_idx
                            ),
                        );
                        return;
                    }
                    if w.up(s) {
                        w.send(to, from, Body::Aer(resp));
                        let lo = hdr.prev_log_idx + 1;
                        w.check_matching_lib(s, lo, lo + n + 64);
                        w.check_node(s);
                        w.check_range(s, lo, lo + n + 4);
                    }
                });
            }
            Body::Aer(mut ar) => {
                let rc = unsafe { raft_recv_appendentries_response(r, node, &mut ar) };
                self.with(|w| w.ev(K::Deliver, [M_AER, from as i64, to as i64, ar.term, ar.success as i64, ar.current_idx, rc as i64]));
            }
            Body::Snap(lt, snap) => {
                self.recv_snapshot(s, from, lt, *snap);
            }
        }
        self.after_call(s);
    }

    fn recv_snapshot(&self, s: usize, from: i32, lt: i64, snap: Snapshot) {
        let r = self.raft(s);
        let id = s as i32 + 1;
        let cur = unsafe { raft_get_current_term(r) };
        if lt < cur {
            self.with(|w| w.ev(K::SnapLoad, [id as i64, snap.idx, snap.term, from as i64, -100, 0, 0]));
            return;
        }
        // A snapshot comes from the leader of term lt: like any message of a
        // newer term (or from the current term's leader, for a candidate) it
        // makes us a follower in that term.
        unsafe {
            if lt > cur {
                raft_set_current_term(r, lt);
            }
            if raft_is_follower(r) == 0 {
                raft_become_follower(r);
            }
        }
        let expect_clears = self.with(|w| {
            w.servers[s].clears = 0;
            w.servers[s].disk.log.len()
        });
        let rc = unsafe { raft_begin_load_snapshot(r, snap.term, snap.idx) };
        if rc == 0 {
            unsafe { self.install_members(r, id, &snap.members) };
            let rc2 = unsafe { raft_end_load_snapshot(r) };
            self.with(|w| {
                let clears = w.servers[s].clears;
                if rc2 != 0 {
                    w.fail("Restore", format!("server {}: raft_end_load_snapshot = {}", id, rc2));
                }
                if clears != expect_clears {
                    w.fail("Log Accuracy", format!("server {}: loading a snapshot cleared {} entries, its log held {}", id, clears, expect_clears));
                }
                if let Some(sl) = w.slots.get((snap.idx - 1) as usize).copied() {
                    if sl.a_set && sl.a_digest != snap.digest {
                        w.fail("State Machine Safety", format!("server {}: snapshot idx {} from {} has a state other than what was applied there", id, snap.idx, from));
                    }
                }
                let sv = &mut w.servers[s];
                sv.disk.log.reset_to(&snap);
                if snap.idx > sv.disk.applied {
                    sv.disk.applied = snap.idx;
                }
                sv.mem.sm_applied = snap.idx;
                sv.mem.sm_digest = snap.digest;
                sv.snap_pending = None;
                sv.cursor = 0;
                sv.disk.snap = Some(snap.clone());
                w.stats.snaps_loaded += 1;
            });
        }
        self.with(|w| {
            w.ev(K::SnapLoad, [id as i64, snap.idx, snap.term, from as i64, rc as i64, 0, 0]);
            if w.up(s) && (rc == 0 || rc == -1 || rc == c::ERR_SNAPSHOT_ALREADY_LOADED) {
                let t = unsafe { raft_get_current_term(r) };
                let resp = msg_appendentries_response_t { term: t, success: 1, current_idx: snap.idx, first_idx: snap.idx };
                w.send(id, from, Body::Aer(resp));
            }
        });
    }

    fn periodic_all(&self) {
        let (order, tick) = self.with(|w| {
            let n = w.servers.len();
            let start = if n > 0 { w.rng.below(n as u64) as usize } else { 0 };
            let order: Vec<usize> = (0..n).map(|i| (i + start) % n).filter(|&s| w.up(s)).collect();
            (order, w.cfg.tick_ms as i32)
        });
        for s in order {
            let r = self.raft(s);
            if r.is_null() {
                continue;
            }
            unsafe { raft_periodic(r, tick) };
            self.after_call(s);
            self.with(|w| {
                if w.up(s) && w.servers[s].mem.applied_floor > 0 {
                    let floor = w.servers[s].mem.applied_floor;
                    w.servers[s].mem.applied_floor = 0;
                    let a = unsafe { raft_get_last_applied_idx(w.servers[s].raft) };
                    if a < floor {
                        let id = w.servers[s].id;
                        w.fail(
                            "Applied Index Validity",
                            format!("server {}: after restarting, its first periodic applied only up to idx {}, below its durably applied idx {}", id, a, floor),
                        );
                    }
                }
            });
            if self.failed() {
                return;
            }
        }
    }

    // --------------------------------------------------------------- clients

    fn leaders(&self) -> Vec<usize> {
        self.with(|w| (0..w.servers.len()).filter(|&s| w.up(s) && unsafe { raft_is_leader(w.servers[s].raft) } != 0).collect())
    }

    /// The leader with the highest term, if any.
    fn best_leader(&self) -> Option<usize> {
        let ls = self.leaders();
        ls.into_iter().max_by_key(|&s| {
            let r = self.raft(s);
            unsafe { raft_get_current_term(r) }
        })
    }

    fn client(&self) {
        let ls = self.leaders();
        for s in ls {
            let k = self.with(|w| if w.rng.chance(w.client_rate, 100) { w.rng.range(1, 3) } else { 0 });
            for _ in 0..k {
                if self.raft(s).is_null() {
                    break;
                }
                self.submit(s, true);
            }
        }
        let pick = self.with(|w| {
            if !w.rng.chance(w.cfg.follower_client, 100) {
                return None;
            }
            let f: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s) && unsafe { raft_is_leader(w.servers[s].raft) } == 0).collect();
            if f.is_empty() {
                None
            } else {
                Some(f[w.rng.below(f.len() as u64) as usize])
            }
        });
        if let Some(s) = pick {
            self.submit(s, false);
        }
    }

    /// Offer a client entry; returns (rc, response).
    fn submit(&self, s: usize, to_leader: bool) -> (i32, msg_entry_response_t) {
        let r = self.raft(s);
        let eid = self.with(|w| {
            w.next_eid += 1;
            w.next_eid
        });
        let p = payload_for(eid);
        let mut e = raft_entry_t {
            term: 0,
            id: eid,
            type_: c::LOG_NORMAL,
            data: raft_entry_data_t { buf: p.as_ptr() as *mut c_void, len: p.len() as _ },
        };
        let mut resp = msg_entry_response_t::default();
        let was_leader = unsafe { raft_is_leader(r) } != 0;
        let rc = unsafe { raft_retain_entries(r, &mut e, &mut resp) };
        drop(p);
        self.with(|w| {
            let id = w.servers[s].id;
            if !to_leader {
                w.ev(K::Refused, [id as i64, rc as i64, 0, 0, 0, 0, 0]);
                if !was_leader && rc != c::ERR_NOT_LEADER {
                    w.fail("Follower Refusal", format!("server {} is not leader but raft_retain_entries returned {} (expected RAFT_ERR_NOT_LEADER)", id, rc));
                } else {
                    w.stats.follower_refused += 1;
                }
                return;
            }
            w.ev(K::Client, [id as i64, eid as i64, rc as i64, resp.idx, resp.term, 0, 0]);
            if rc == 0 {
                w.stats.client_ok += 1;
                let last = w.servers[s].disk.log.last();
                let term = unsafe { raft_get_current_term(r) };
                if resp.idx != last || resp.id != eid || resp.term != term {
                    w.fail(
                        "Log Accuracy",
                        format!(
                            "server {}: raft_retain_entries response (id {}, term {}, idx {}) but the entry was offered as id {} at idx {} in term {}",
                            id, resp.id, resp.term, resp.idx, eid, last, term
                        ),
                    );
                }
                let inc = w.servers[s].incarnation;
                w.acks.push_back(Ack { slot: s, incarnation: inc, resp });
                if w.acks.len() > 256 {
                    w.acks.pop_front();
                }
            } else {
                w.stats.client_failed += 1;
            }
        });
        self.after_call(s);
        (rc, resp)
    }

    /// Entries a leader acknowledged as committed must stay committed.
    fn check_acks(&self) {
        self.with(|w| {
            for _ in 0..2 {
                let Some(a) = w.acks.pop_front() else { return };
                if !w.up(a.slot) || w.servers[a.slot].incarnation != a.incarnation {
                    continue;
                }
                let r = w.servers[a.slot].raft;
                let rc = unsafe { raft_msg_entry_response_committed(r, &a.resp) };
                let sl = w.slots.get((a.resp.idx - 1) as usize).copied().unwrap_or_default();
                let same = sl.c_set && sl.c_term == a.resp.term && sl.c_id == a.resp.id;
                let id = w.servers[a.slot].id;
                if rc == 1 && sl.c_set && !same {
                    w.fail(
                        "Client Acknowledgement",
                        format!(
                            "server {} reports entry (id {}, term {}, idx {}) committed, but (term {}, id {}) was committed there",
                            id, a.resp.id, a.resp.term, a.resp.idx, sl.c_term, sl.c_id
                        ),
                    );
                    return;
                }
                // rc == -1 while the entry is committed elsewhere is allowed:
                // this server's slot was overwritten by a stale leader and
                // the entry survived on a majority (the API's -1 only means
                // "this server now holds another term there").
                if rc == 0 || (rc == 1 && !sl.c_set) {
                    w.acks.push_back(a);
                }
            }
        });
    }

    // ------------------------------------------------------------ membership

    fn resolve_adds(&self) {
        let fails: Vec<usize> = self.with(|w| {
            let mut out = Vec::new();
            let mut keep = Vec::new();
            for &(nid, idx, term, eid) in &w.pending_add {
                let s = slot_of(nid);
                if w.servers[s].status == Status::Gone {
                    continue;
                }
                match w.slots.get((idx - 1) as usize) {
                    Some(sl) if sl.c_set => {
                        if sl.c_id != eid {
                            out.push(s);
                        }
                    }
                    _ => keep.push((nid, idx, term, eid)),
                }
            }
            w.pending_add = keep;
            out
        });
        for s in fails {
            self.decommission(s, 1);
        }
    }

    fn promotions(&self) {
        let (calm, first) = self.with(|w| (w.calm, w.pending_promote.first().copied()));
        if calm {
            return;
        }
        let Some(nid) = first else { return };
        let Some(l) = self.best_leader() else { return };
        let r = self.raft(l);
        let node = unsafe { raft_get_node(r, nid) };
        if node.is_null() || unsafe { raft_node_is_voting(node) } != 0 || unsafe { raft_node_is_active(node) } == 0 {
            self.with(|w| w.pending_promote.retain(|&x| x != nid));
            return;
        }
        let rc = self.propose(l, c::LOG_ADD_NODE, nid);
        if rc == 0 {
            self.with(|w| w.pending_promote.retain(|&x| x != nid));
        }
    }

    /// Host-side workarounds for open library bugs, when tolerated: whether
    /// the leader may be asked for this voter-changing entry now.
    fn change_allowed(&self, l: usize, etype: i32, nid: i32) -> bool {
        let w = self.w.borrow();
        let r = w.servers[l].raft;
        let voter_change = etype == c::LOG_ADD_NODE
            || etype == c::LOG_DEMOTE
            || (etype == c::LOG_REMOVE && {
                let n = unsafe { raft_get_node(r, nid) };
                !n.is_null() && unsafe { raft_node_is_voting(n) } != 0
            });
        if !voter_change {
            return true;
        }
        let log = &w.servers[l].disk.log;
        let (applied, commit, term) = unsafe { (raft_get_last_applied_idx(r), raft_get_commit_idx(r), raft_get_current_term(r)) };
        if w.cfg.tolerates("remove-voter") {
            // LIB_BUGS #3: no other voter change (a REMOVE included) in flight
            let busy = (applied + 1..=log.last()).any(|i| log.get(i).map(|e| is_cfg(e.etype) && e.etype != c::LOG_ADD_NONVOTING).unwrap_or(false));
            if busy {
                return false;
            }
        }
        if w.cfg.tolerates("early-change") {
            // LIB_BUGS #4: only once an entry of the leader's term is committed
            if log.term_at(commit) != Some(term) {
                return false;
            }
        }
        true
    }

    fn propose(&self, l: usize, etype: i32, nid: i32) -> i32 {
        if !self.change_allowed(l, etype, nid) {
            return c::ERR_ONE_VOTING_CHANGE_ONLY;
        }
        let r = self.raft(l);
        let eid = self.with(|w| {
            w.next_eid += 1;
            w.stats.member_proposed += 1;
            w.next_eid
        });
        let p = cfg_payload(nid);
        let mut e = raft_entry_t { term: 0, id: eid, type_: etype, data: raft_entry_data_t { buf: p.as_ptr() as *mut c_void, len: p.len() as _ } };
        let mut resp = msg_entry_response_t::default();
        let rc = unsafe { raft_retain_entries(r, &mut e, &mut resp) };
        self.with(|w| {
            let lid = w.servers[l].id as i64;
            w.ev(K::Member, [lid, etype as i64, nid as i64, rc as i64, resp.idx, 0, 0]);
            if rc == 0 {
                w.stats.member_accepted += 1;
                if etype == c::LOG_ADD_NONVOTING {
                    w.pending_add.push((nid, resp.idx, resp.term, eid));
                }
            }
        });
        self.after_call(l);
        rc
    }

    fn member_op(&self) {
        let Some(l) = self.best_leader() else { return };
        let r = self.raft(l);
        let lid = l as i32 + 1;
        // (id, voting, active, sufficient)
        let nodes: Vec<(i32, bool, bool, bool)> = unsafe {
            (0..raft_get_num_nodes(r))
                .filter_map(|i| {
                    let n = raft_get_node_from_idx(r, i as _);
                    if n.is_null() {
                        None
                    } else {
                        Some((raft_node_get_id(n), raft_node_is_voting(n) != 0, raft_node_is_active(n) != 0, raft_node_has_sufficient_logs(n) != 0))
                    }
                })
                .collect()
        };
        let members: Vec<&(i32, bool, bool, bool)> = nodes.iter().filter(|n| n.2).collect();
        let voters = members.iter().filter(|n| n.1).count();
        let (cap, live) = self.with(|w| (w.cfg.servers as usize, w.servers.iter().filter(|sv| sv.status != Status::Gone).count()));
        let min_voters = if cap <= 2 { 1 } else { (cap + 1) / 2 };
        let mut ops: Vec<i32> = Vec::new();
        if members.len() < cap && live < cap + 3 {
            ops.push(c::LOG_ADD_NONVOTING);
        }
        let promotable: Vec<i32> = members.iter().filter(|n| !n.1 && n.3 && n.0 != lid).map(|n| n.0).collect();
        if !promotable.is_empty() {
            ops.push(c::LOG_ADD_NODE);
        }
        if voters > min_voters {
            ops.push(c::LOG_DEMOTE);
        }
        let removable: Vec<i32> = members.iter().filter(|n| !n.1 || voters > min_voters).map(|n| n.0).collect();
        if members.len() > min_voters && !removable.is_empty() {
            ops.push(c::LOG_REMOVE);
        }
        if ops.is_empty() {
            return;
        }
        let (op, target) = self.with(|w| {
            let op = ops[w.rng.below(ops.len() as u64) as usize];
            let pick = |w: &mut World, v: &Vec<i32>| -> i32 {
                // the leader itself one time in three, when it qualifies
                if v.contains(&lid) && w.rng.chance(1, 3) {
                    lid
                } else {
                    v[w.rng.below(v.len() as u64) as usize]
                }
            };
            let t = match op {
                x if x == c::LOG_ADD_NODE => pick(w, &promotable),
                x if x == c::LOG_DEMOTE => {
                    let v: Vec<i32> = members.iter().filter(|n| n.1).map(|n| n.0).collect();
                    pick(w, &v)
                }
                x if x == c::LOG_REMOVE => pick(w, &removable),
                _ => 0,
            };
            (op, t)
        });
        if op == c::LOG_ADD_NONVOTING {
            let s = self.add_server();
            self.boot(s);
            let nid = s as i32 + 1;
            self.with(|w| {
                w.stats.servers_added += 1;
                w.ev(K::NewServer, [nid as i64, 0, 0, 0, 0, 0, 0]);
            });
            let rc = self.propose(l, op, nid);
            if rc != 0 {
                self.decommission(s, 1);
            }
        } else {
            self.propose(l, op, target);
        }
    }

    // ------------------------------------------------------------- snapshots

    fn compaction(&self, s: usize) {
        let r = self.raft(s);
        if r.is_null() || self.with(|w| w.servers[s].snap_pending.is_some()) {
            return;
        }
        if unsafe { raft_get_num_snapshottable_logs(r) } < 2 {
            return;
        }
        let flags = self.with(|w| if w.rng.coin() { c::SNAPSHOT_NONBLOCKING_APPLY } else { 0 });
        let rc = unsafe { raft_begin_snapshot(r, flags) };
        let id = s as i32 + 1;
        if rc != 0 {
            self.with(|w| w.ev(K::SnapBegin, [id as i64, 0, 0, flags as i64, rc as i64, 0, 0]));
            self.after_call(s);
            return;
        }
        let (sidx, sterm) = unsafe { (raft_get_snapshot_last_idx(r), raft_get_snapshot_last_term(r)) };
        let end_now = self.with(|w| {
            w.ev(K::SnapBegin, [id as i64, sidx, sterm, flags as i64, rc as i64, 0, 0]);
            let sv = &w.servers[s];
            let log = &sv.disk.log;
            if sv.mem.sm_applied != sidx {
                let a = sv.mem.sm_applied;
                w.fail("Applied Index Validity", format!("server {}: raft_begin_snapshot at idx {} but the state machine has applied up to {}", id, sidx, a));
                return false;
            }
            if log.term_at(sidx) != Some(sterm) || sidx <= log.base {
                let t = log.term_at(sidx);
                w.fail("Log Accuracy", format!("server {}: snapshot (idx {}, term {}) but its log has term {:?} there", id, sidx, sterm, t));
                return false;
            }
            let snap = Snapshot { idx: sidx, term: sterm, members: log.members_at(sidx), digest: sv.mem.sm_digest, hash: log.hash_at(sidx).unwrap() };
            let end_now = w.rng.coin();
            let end_step = w.step + if end_now { 0 } else { w.rng.range(1, 20) };
            let cancel = w.rng.chance(1, 10);
            w.servers[s].snap_pending = Some(PendingSnap { snap, end_step, cancel });
            end_now
        });
        self.after_call(s);
        if end_now {
            self.end_snapshot(s);
        }
    }

    fn end_snapshot(&self, s: usize) {
        let r = self.raft(s);
        let Some((sidx, cancel)) = self.with(|w| w.servers[s].snap_pending.as_ref().map(|p| (p.snap.idx, p.cancel))) else { return };
        if r.is_null() {
            return;
        }
        let id = s as i32 + 1;
        if cancel {
            let rc = unsafe { raft_cancel_snapshot(r) };
            self.with(|w| {
                w.servers[s].snap_pending = None;
                w.ev(K::SnapEnd, [id as i64, sidx, rc as i64, 1, 0, 0, 0]);
            });
            self.after_call(s);
            return;
        }
        let rc = unsafe { raft_end_snapshot(r) };
        self.with(|w| {
            let p = w.servers[s].snap_pending.take().unwrap();
            w.ev(K::SnapEnd, [id as i64, sidx, rc as i64, 0, 0, 0, 0]);
            if rc == 0 {
                let sv = &mut w.servers[s];
                let ok = sv.disk.log.base == p.snap.idx && sv.disk.log.base_hash == p.snap.hash;
                let b = sv.disk.log.base;
                if p.snap.idx > sv.disk.applied {
                    sv.disk.applied = p.snap.idx;
                }
                sv.disk.snap = Some(p.snap);
                w.stats.snaps_taken += 1;
                if !ok {
                    w.fail("Log Accuracy", format!("server {}: raft_end_snapshot at idx {} left its oldest entry at {} (expected all entries up to the snapshot polled)", id, sidx, b + 1));
                }
            }
        });
        self.after_call(s);
    }

    // -------------------------------------------------------------- liveness

    fn liveness(&self) {
        let (bound, tick) = self.with(|w| {
            w.calm = true;
            w.partitioned = false;
            for g in w.group.iter_mut() {
                *g = 0;
            }
            w.stats.liveness_windows += 1;
            w.ev(K::Liveness, [0; 7]);
            ((w.cfg.liveness_timeouts as u64 * w.cfg.election_timeout as u64) / w.cfg.tick_ms as u64 + 1, w.cfg.tick_ms as u64)
        });
        let _ = tick;
        // restart crashed servers, finish snapshots, retire removed servers
        let (down, snaps, removed): (Vec<usize>, Vec<usize>, Vec<usize>) = self.with(|w| {
            let down = (0..w.servers.len()).filter(|&s| matches!(w.servers[s].status, Status::Down(_))).collect();
            let snaps = (0..w.servers.len()).filter(|&s| w.up(s) && w.servers[s].snap_pending.is_some()).collect();
            let removed = (0..w.servers.len()).filter(|&s| w.servers[s].status != Status::Gone && w.removed_committed.contains(&w.servers[s].id)).collect();
            (down, snaps, removed)
        });
        for s in removed {
            self.decommission(s, 3);
        }
        for s in down {
            if self.with(|w| w.servers[s].status != Status::Gone) {
                self.with(|w| {
                    w.servers[s].restarts += 1;
                    w.stats.restarts += 1;
                });
                self.boot(s);
            }
        }
        for s in snaps {
            self.with(|w| {
                if let Some(p) = w.servers[s].snap_pending.as_mut() {
                    p.cancel = false;
                }
            });
            self.end_snapshot(s);
        }
        let mut probe: Option<(usize, u32, msg_entry_response_t)> = None;
        for t in 0..bound {
            if self.failed() {
                return;
            }
            self.with(|w| {
                w.now += w.cfg.tick_ms as u64;
                w.stats.live_ticks += 1;
            });
            self.resolve_adds();
            self.tick_common();
            if self.failed() {
                return;
            }
            match probe {
                None => {
                    if let Some(l) = self.best_leader() {
                        let (rc, resp) = self.submit(l, true);
                        let inc = self.with(|w| w.servers[l].incarnation);
                        self.with(|w| w.ev(K::Liveness, [2, resp.id as i64, l as i64 + 1, rc as i64, resp.idx, 0, 0]));
                        if rc == 0 {
                            probe = Some((l, inc, resp));
                        }
                    }
                }
                Some((l, inc, resp)) => {
                    let r = self.raft(l);
                    if r.is_null() || self.with(|w| w.servers[l].incarnation) != inc {
                        probe = None;
                        continue;
                    }
                    let rc = unsafe { raft_msg_entry_response_committed(r, &resp) };
                    if rc == 1 {
                        self.with(|w| {
                            w.ev(K::Liveness, [1, l as i64 + 1, resp.term, resp.idx, t as i64 + 1, 0, 0]);
                            w.calm = false;
                        });
                        return;
                    }
                    if rc == -1 || unsafe { raft_is_leader(r) } == 0 {
                        probe = None;
                    }
                }
            }
        }
        let status = self.status_line();
        if self.with(|w| w.cfg.tolerates("config-vote")) {
            if let Some(why) = self.config_disagreement() {
                self.with(|w| {
                    w.known_bug = Some(format!(
                        "known library bug 2 (config-vote) stopped the run at step {}: no leader could be elected after chaos stopped because {}; servers: {}",
                        w.step, why, status
                    ))
                });
                return;
            }
        }
        self.with(|w| {
            let k = w.cfg.liveness_timeouts;
            w.fail(
                "Liveness",
                format!("no new entry committed within {} election timeouts after the network healed and chaos stopped; servers: {}", k, status),
            )
        });
    }

    /// A voter whose own latest configuration disagrees with another
    /// server's, so that it refuses that server's votes (LIB_BUGS.md #2).
    fn config_disagreement(&self) -> Option<String> {
        let w = self.w.borrow();
        let ups: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s)).collect();
        for &s in &ups {
            let rs = w.servers[s].raft;
            let sid = w.servers[s].id;
            unsafe {
                let mine = raft_get_my_node(rs);
                let self_voting = !mine.is_null() && raft_node_is_voting(mine) != 0 && raft_node_is_active(mine) != 0;
                for &t in &ups {
                    if t == s {
                        continue;
                    }
                    let rt = w.servers[t].raft;
                    let tid = w.servers[t].id;
                    let n = raft_get_node(rt, sid);
                    if n.is_null() || raft_node_is_voting(n) == 0 || raft_node_is_active(n) == 0 {
                        continue;
                    }
                    let tm = raft_get_my_node(rt);
                    let t_voting = !tm.is_null() && raft_node_is_voting(tm) != 0;
                    if !self_voting {
                        return Some(format!(
                            "server {} counts server {} as a voter, but {}'s own latest (uncommitted) configuration demotes or removes it, so it does not campaign (nor, before d94d884, vote)",
                            tid, sid, sid
                        ));
                    }
                    if t_voting && raft_get_node(rs, tid).is_null() {
                        return Some(format!(
                            "server {} counts server {} as a voter, but {} does not know {} and answers its RequestVote with UNKNOWN_NODE",
                            tid, sid, sid, tid
                        ));
                    }
                }
            }
        }
        None
    }

    fn status_line(&self) -> String {
        let w = self.w.borrow();
        let mut out = Vec::new();
        for (s, sv) in w.servers.iter().enumerate() {
            if sv.status == Status::Gone {
                continue;
            }
            if !w.up(s) {
                out.push(format!("{}:down", sv.id));
                continue;
            }
            let r = sv.raft;
            unsafe {
                let mut cfgs = Vec::new();
                for i in 0..raft_get_num_nodes(r) {
                    let n = raft_get_node_from_idx(r, i as _);
                    if !n.is_null() {
                        cfgs.push(format!(
                            "{}{}{}",
                            raft_node_get_id(n),
                            if raft_node_is_voting(n) != 0 { "" } else { "nv" },
                            if raft_node_is_active(n) != 0 { "" } else { "(inactive)" }
                        ));
                    }
                }
                out.push(format!(
                    "{}:{} term {} last {} commit {} members [{}]",
                    sv.id,
                    state_name(raft_get_state(r)),
                    raft_get_current_term(r),
                    raft_get_current_idx(r),
                    raft_get_commit_idx(r),
                    cfgs.join(" ")
                ));
            }
        }
        out.join(", ")
    }

    // --------------------------------------------------------------- summary

    fn summary(&self) -> String {
        let w = self.w.borrow();
        let mut o = String::new();
        if !w.cfg.quiet {
            let _ = writeln!(o, "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}", "node", "state", "term", "commit", "applied", "last", "log", "snapshot", "restarts");
            for (s, sv) in w.servers.iter().enumerate() {
                if w.up(s) {
                    let r = sv.raft;
                    unsafe {
                        let _ = writeln!(
                            o,
                            "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}",
                            sv.id,
                            state_name(raft_get_state(r)),
                            raft_get_current_term(r),
                            raft_get_commit_idx(r),
                            raft_get_last_applied_idx(r),
                            raft_get_current_idx(r),
                            raft_get_log_count(r),
                            raft_get_snapshot_last_idx(r),
                            sv.restarts
                        );
                    }
                } else if matches!(sv.status, Status::Down(_)) {
                    let d = &sv.disk;
                    let _ = writeln!(
                        o,
                        "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}",
                        sv.id,
                        "down",
                        d.term,
                        "-",
                        d.applied,
                        d.log.last(),
                        d.log.len(),
                        d.log.base,
                        sv.restarts
                    );
                } else {
                    let _ = writeln!(o, "{:>4} {:<9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>8}", sv.id, "gone", "-", "-", "-", "-", "-", "-", sv.restarts);
                }
            }
        }
        let st = &w.stats;
        let _ = writeln!(
            o,
            "steps {} (+{} liveness ticks, {} windows), virtual time {:.1}s",
            st.steps,
            st.live_ticks,
            st.liveness_windows,
            w.now as f64 / 1000.0
        );
        let _ = writeln!(
            o,
            "messages: sent {} delivered {} dropped {} duplicated {} reordered {}",
            st.sent, st.delivered, st.dropped, st.duplicated, st.reordered
        );
        let _ = writeln!(
            o,
            "elections {} commits {} client entries {} (failed {}, follower refusals {}) partitions {}",
            st.elections, st.commits, st.client_ok, st.client_failed, st.follower_refused, st.partitions
        );
        let _ = writeln!(
            o,
            "snapshots: taken {} sent {} loaded {}; crashes {} restarts {}; membership: proposed {} accepted {} servers added {} retired {}",
            st.snaps_taken, st.snaps_sent, st.snaps_loaded, st.crashes, st.restarts, st.member_proposed, st.member_accepted, st.servers_added, st.servers_gone
        );
        let _ = writeln!(o, "violations {}", st.violations);
        if let Some(k) = &w.known_bug {
            let _ = writeln!(o, "{}", k);
        }
        let _ = writeln!(o, "trace digest {:016x}", w.trace);
        o
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let n = self.w.borrow().servers.len();
        for s in 0..n {
            let r = self.with(|w| {
                let sv = &mut w.servers[s];
                let r = sv.raft;
                sv.raft = null_mut();
                sv.mode = Mode::Freeing;
                r
            });
            if !r.is_null() {
                unsafe { raft_free(r) };
            }
        }
    }
}

pub fn state_name(s: i32) -> &'static str {
    match s {
        x if x == c::STATE_LEADER => "leader",
        x if x == c::STATE_CANDIDATE => "candidate",
        x if x == c::STATE_FOLLOWER => "follower",
        _ => "none",
    }
}

/// Run one simulation.
pub fn run(cfg: Config) -> Outcome {
    let mut sim = Sim::new(cfg);
    sim.run()
}
