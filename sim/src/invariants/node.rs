//! The checks run after every library call on the server it was made on:
//! Current Index Validity, the shape of the log (Log Accuracy), Commit and
//! Applied Index Validity, the term never going back (Term/Vote Durability)
//! and Election Safety; new commits and new leaders go on to `commits.rs`.

use crate::events::K;
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
        // Commit / applied validity
        if commit > cur {
            return self.fail(COMMIT_INDEX_VALIDITY, format!("server {}: commit idx {} is ahead of its log (last idx {})", id, commit, cur));
        }
        if commit < mem.commit {
            return self.fail(COMMIT_INDEX_VALIDITY, format!("server {}: commit idx went back from {} to {}", id, mem.commit, commit));
        }
        if applied > commit {
            return self.fail(APPLIED_INDEX_VALIDITY, format!("server {}: applied idx {} is ahead of commit idx {}", id, applied, commit));
        }
        if applied < mem.applied {
            return self.fail(APPLIED_INDEX_VALIDITY, format!("server {}: applied idx went back from {} to {}", id, mem.applied, applied));
        }
        if term < mem.term {
            return self.fail(TERM_VOTE_DURABILITY, format!("server {}: current term went back from {} to {}", id, mem.term, term));
        }
        if commit > mem.commit {
            self.record_commits(s, mem.commit + 1, commit, term);
            if self.violation.is_some() {
                return;
            }
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
            match self.ledger.leader_of_term.get(&term) {
                Some(&l) if l != id => {
                    return self.fail(ELECTION_SAFETY, format!("servers {} and {} were both leaders of term {}", l, id, term));
                }
                Some(_) => {}
                None => {
                    self.ledger.leader_of_term.insert(term, id);
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
}
