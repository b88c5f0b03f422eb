//! The checks run after every library call on the server it was made on:
//! Current Index Validity, the shape of the log (Log Accuracy), Applied
//! Index Validity, the term never going back (Term/Vote Durability); its
//! commit index and leadership go to the shared checker (`commits.rs`).

use crate::ffi::*;
use crate::invariants::names::*;
use crate::world::World;

impl World {
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
                CURRENT_INDEX_VALIDITY,
                format!("server {}: current idx {} (entry there: {}), log count {}, compaction base {}", id, cur, has, count, base),
            );
        }
        // Log Accuracy: the shape of the log equals the model's
        if cur != last {
            return self.fail(
                LOG_ACCURACY,
                format!("server {}: library log holds {}..={} (count {}), model holds {}..={}", id, cur - count + 1, cur, count, base + 1, last),
            );
        }
        // (raft_get_first_entry_idx is willemt's: 1 without a snapshot, else the snapshot's index)
        if snap_idx != want_snap || first != if want_snap == 0 { 1 } else { want_snap } {
            return self.fail(
                LOG_ACCURACY,
                format!("server {}: snapshot idx {} / first entry idx {}, but its snapshot (persisted or being taken) is at idx {}", id, snap_idx, first, want_snap),
            );
        }
        // Applied Index Validity (the commit index's rules: safety.c, below)
        if applied > commit {
            return self.fail(APPLIED_INDEX_VALIDITY, format!("server {}: applied idx {} is ahead of commit idx {}", id, applied, commit));
        }
        if applied < mem.applied {
            return self.fail(APPLIED_INDEX_VALIDITY, format!("server {}: applied idx went back from {} to {}", id, mem.applied, applied));
        }
        if term < mem.term {
            return self.fail(TERM_VOTE_DURABILITY, format!("server {}: current term went back from {} to {}", id, mem.term, term));
        }
        if !self.report_commit(s, mem.commit, commit, term) {
            return;
        }
        self.check_prevote_terms(s, term);
        if self.violation.is_some() {
            return;
        }
        {
            let m = &mut self.servers[s].mem;
            m.term = term;
            m.commit = commit;
            m.applied = applied;
        }
        if leader {
            self.report_leader(s, term, cur, commit);
        }
    }
}
