//! A server's life: creation, boot (a new server, or a restart rebuilt from
//! its disk through the API), crash (`raft_free` with nothing volatile kept),
//! retirement, the cluster's bootstrap, and the checks after every library
//! call on a server.

use super::Sim;
use crate::callbacks;
use crate::config::Config;
use crate::events::K;
use crate::fault;
use crate::ffi::c;
use crate::ffi::*;
use crate::invariants::names::*;
use crate::model::*;
use crate::world::*;
use std::cell::RefCell;
use std::os::raw::c_void;
use std::ptr::null_mut;

/// The library options every server gets after `raft_new`, from the
/// simulator's options. A library feature's switch (pre-vote, check-quorum,
/// ...) is set here, from its option in `Config`.
unsafe fn configure(r: *mut raft_server_t, cfg: &Config) {
    raft_set_election_timeout(r, cfg.election_timeout as _);
    raft_set_request_timeout(r, cfg.request_timeout as _);
    raft_set_max_entries_per_msg(r, cfg.max_entries as _);
    raft_set_max_inflight_msgs(r, cfg.inflight as _);
    raft_set_max_msg_bytes(r, cfg.max_msg_bytes as _);
    raft_set_parallel_log_writes(r, cfg.parallel_write as _);
    raft_set_reject_hint(r, cfg.reject_hint as _);
    if cfg.extensions() {
        // A program built with the extensions: the second callback table
        // (and with it the appended message fields, which the wire carries).
        let ext = callbacks::ext_table();
        raft_set_ext_callbacks(r, &ext, std::mem::size_of::<raft_cbs_ext_t>());
    }
    raft_set_prevote(r, cfg.prevote as _);
    raft_set_check_quorum(r, cfg.check_quorum as _);
    raft_set_noop_on_election(r, (cfg.reads > 0) as _);
    fault::inject(r, cfg.fault);
}

impl Sim {
    /// A new server slot (id = slot + 1, never reused), not yet booted.
    pub(crate) fn add_server(&self) -> usize {
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
                transfer: None,
                led_term: 0,
            });
            if w.group.len() <= id as usize {
                w.group.resize(id as usize + 1, 0);
            }
            slot
        })
    }

    /// raft_new + rebuild from the server's disk (empty for a new server).
    pub(crate) fn boot(&self, s: usize) {
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
            configure(r, &cfg);
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
                    leader_term: 0,
                    applied_floor: applied,
                };
                sv.cursor = 0;
                let sid = sv.id as i64;
                if !problems.is_empty() {
                    w.fail(RESTORE, format!("server {}: rebuilding from its persisted state failed: {}", id, problems.join("; ")));
                } else if t2 != term || v2 != vote {
                    w.fail(
                        TERM_VOTE_DURABILITY,
                        format!("server {}: after restart term {} vote {}, but it had persisted term {} vote {}", id, t2, v2, term, vote),
                    );
                } else if c2 < applied {
                    w.fail(COMMIT_INDEX_VALIDITY, format!("server {}: after restart commit idx {} is below its durably applied idx {}", id, c2, applied));
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
    pub(crate) unsafe fn install_members(&self, r: *mut raft_server_t, me: i32, members: &Members) {
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

    /// Crash server slot `s` (`raft_free`); it restarts `down` steps later.
    pub(crate) fn crash(&self, s: usize, down: u64) {
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
            sv.transfer = None;
            let id = sv.id as i64;
            w.stats.crashes += 1;
            w.ev(K::Crash, [id, t, cm, l, down as i64, 0, 0]);
        });
        unsafe { raft_free(r) };
        self.with(|w| {
            let parallel = w.cfg.parallel_write;
            let sv = &mut w.servers[s];
            sv.raft = null_mut();
            sv.mode = Mode::Normal;
            // The checker forgets the volatile state: the state machine
            // starts again from the snapshot.
            let (id, snap_idx) = (sv.id, sv.disk.snap.as_ref().map_or(0, |x| x.idx));
            let mut lost_from = None;
            if parallel {
                // What the leader offered and never flushed is lost.
                let keep = sv.disk.synced.max(sv.disk.log.base);
                if sv.disk.log.last() > keep {
                    lost_from = Some(keep + 1);
                }
                while sv.disk.log.last() > keep {
                    sv.disk.log.entries.pop_back();
                }
            }
            let verdict = w.ledger.safety.restart(id, snap_idx);
            if w.judge(verdict) {
                if let Some(idx) = lost_from {
                    let verdict = w.ledger.safety.truncate(id, idx);
                    w.judge(verdict);
                }
            }
        });
    }

    /// --parallel-write: each up server's log is made durable on some steps
    /// (`raft_flush`), as a host's background fsync would.
    pub(crate) fn flush_logs(&self) {
        if !self.with(|w| w.cfg.parallel_write) {
            return;
        }
        let n = self.with(|w| w.servers.len());
        for s in 0..n {
            let r = self.raft(s);
            if r.is_null() || !self.with(|w| w.up(s) && w.rng.chance(1, 3)) {
                continue;
            }
            let last = self.with(|w| {
                w.servers[s].disk.synced = w.servers[s].disk.log.last();
                w.servers[s].disk.synced
            });
            unsafe { raft_flush(r, last) };
        }
    }

    /// Shut server slot `s` down for good (`why`: see `K::Gone`); its disk
    /// is wiped.
    pub(crate) fn decommission(&self, s: usize, why: i64) {
        let r = self.with(|w| {
            let sv = &mut w.servers[s];
            if sv.status == Status::Gone {
                return None;
            }
            let r = sv.raft;
            sv.mode = Mode::Freeing;
            sv.status = Status::Gone;
            sv.snap_pending = None;
            sv.transfer = None;
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

    /// After every library call on server slot `s`: release the payloads
    /// that left its log during the call, run the per-call checks, and shut
    /// it down if a callback asked for that.
    pub(crate) fn after_call(&self, s: usize) {
        let sd = self.with(|w| {
            w.graveyard.clear();
            w.check_node(s);
            w.servers.get_mut(s).and_then(|sv| sv.shutdown.take())
        });
        if let Some(why) = sd {
            self.decommission(s, why);
        }
    }

    /// Boot the initial servers and give them the bootstrap configuration.
    pub(crate) fn init(&self) {
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
                        self.with(|w| w.fail(RESTORE, format!("bootstrap raft_append_entry on server {} = {}", s + 1, rc)));
                    }
                }
            }
            self.after_call(s);
        }
    }
}
