//! Messages into the library: due messages are delivered in (time,
//! sequence) order through `raft_recv_*` (entries copied back from the wire),
//! snapshots are loaded as a host would, and every live server gets its
//! `raft_periodic`. The checks that need the message itself (Log Matching
//! over the library's entries after an AppendEntries, No Committed Entry
//! Popped) run here.

use super::Sim;
use crate::events::*;
use crate::ffi::c;
use crate::ffi::*;
use crate::invariants::names::*;
use crate::model::*;
use crate::world::*;
use std::os::raw::c_void;
use std::ptr::null_mut;

impl Sim {
    /// Deliver every message due by now (until a violation).
    pub(crate) fn deliver_due(&self) {
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
                Body::Tn(_) => M_TN,
                Body::Ri(_) => M_RI,
                Body::Rir(_) => M_RIR,
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
                // (`ents` lives on until the checks: the library's entries
                // may point at its payloads)
                self.with(|w| {
                    let n = hdr.n_entries as i64;
                    w.ev(K::Deliver, [M_AE, from as i64, to as i64, hdr.term, hdr.prev_log_idx, n | (hdr.leader_commit << 16), rc as i64]);
                    if rc == c::ERR_SHUTDOWN {
                        w.fail(
                            NO_COMMITTED_ENTRY_POPPED,
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
                        w.check_matching_lib(s, lo, lo + n + 64, &ents);
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
            Body::Tn(mut tn) => {
                let rc = unsafe { raft_recv_timeoutnow(r, node, &mut tn) };
                self.with(|w| {
                    w.ev(K::Deliver, [M_TN, from as i64, to as i64, tn.term, 0, 0, rc as i64]);
                    w.note_timeoutnow(s);
                });
            }
            Body::Ri(mut ri) => {
                // (a sender we do not know, e.g. removed: nothing to answer)
                let rc = if node.is_null() { 0 } else { unsafe { raft_recv_readindex(r, node, &mut ri) } };
                self.with(|w| w.ev(K::Deliver, [M_RI, from as i64, to as i64, 0, ri.id as i64, 0, rc as i64]));
            }
            Body::Rir(mut rir) => {
                let rc = unsafe { raft_recv_readindex_response(r, node, &mut rir) };
                self.with(|w| w.ev(K::Deliver, [M_RIR, from as i64, to as i64, 0, rir.id as i64, rir.read_idx, rc as i64]));
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
                    w.fail(RESTORE, format!("server {}: raft_end_load_snapshot = {}", id, rc2));
                }
                if clears != expect_clears {
                    w.fail(LOG_ACCURACY, format!("server {}: loading a snapshot cleared {} entries, its log held {}", id, clears, expect_clears));
                }
                // the snapshot must be the committed log's prefix (State
                // Machine Safety): safety.c
                let verdict = w.ledger.safety.load_snapshot(id, snap.idx, snap.term);
                w.judge(verdict);
                let sv = &mut w.servers[s];
                sv.disk.log.reset_to(&snap);
                sv.disk.synced = snap.idx;
                if snap.idx > sv.disk.applied {
                    sv.disk.applied = snap.idx;
                }
                sv.mem.sm_applied = snap.idx;
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
                let resp = msg_appendentries_response_t { term: t, success: 1, current_idx: snap.idx, first_idx: snap.idx, ..Default::default() };
                w.send(id, from, Body::Aer(resp));
            }
        });
    }

    /// `raft_periodic` on every live server, from a random one on (rotating
    /// order); after a restart, the first one must re-apply up to the
    /// durably applied index.
    pub(crate) fn periodic_all(&self) {
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
                            APPLIED_INDEX_VALIDITY,
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
}
