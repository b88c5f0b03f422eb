//! Log compaction on a server: `raft_begin_snapshot` (with or without
//! RAFT_SNAPSHOT_NONBLOCKING_APPLY), ended now or a few steps later, or
//! cancelled; the snapshot is persisted when `raft_end_snapshot` succeeds.

use crate::driver::Sim;
use crate::events::K;
use crate::ffi::c;
use crate::ffi::*;
use crate::invariants::names::*;
use crate::model::*;
use crate::world::*;

impl Sim {
    /// Begin a snapshot on server slot `s` (if it has enough to compact).
    pub(super) fn compaction(&self, s: usize) {
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
                w.fail(APPLIED_INDEX_VALIDITY, format!("server {}: raft_begin_snapshot at idx {} but the state machine has applied up to {}", id, sidx, a));
                return false;
            }
            if log.term_at(sidx) != Some(sterm) || sidx <= log.base {
                let t = log.term_at(sidx);
                w.fail(LOG_ACCURACY, format!("server {}: snapshot (idx {}, term {}) but its log has term {:?} there", id, sidx, sterm, t));
                return false;
            }
            let snap = Snapshot { idx: sidx, term: sterm, members: log.members_at(sidx) };
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

    /// End (or cancel, as decided at the start) the pending snapshot of slot `s`.
    pub(crate) fn end_snapshot(&self, s: usize) {
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
                let ok = sv.disk.log.base == p.snap.idx && sv.disk.log.base_term == p.snap.term;
                let b = sv.disk.log.base;
                if p.snap.idx > sv.disk.applied {
                    sv.disk.applied = p.snap.idx;
                }
                sv.disk.snap = Some(p.snap);
                w.stats.snaps_taken += 1;
                if !ok {
                    w.fail(LOG_ACCURACY, format!("server {}: raft_end_snapshot at idx {} left its oldest entry at {} (expected all entries up to the snapshot polled)", id, sidx, b + 1));
                }
            }
        });
        self.after_call(s);
    }
}
