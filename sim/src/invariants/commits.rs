//! Commits and leaders, cluster-wide. Each server's commit index and
//! leadership go to the shared checker (`crate::safety`: State Machine
//! Safety between committed entries, Commit Index Validity, Election Safety,
//! Leader Completeness); the simulator keeps the events, the commit count
//! and the committed removals (retired at the next liveness window).

use crate::events::K;
use crate::ffi::c;
use crate::world::World;

impl World {
    /// Server slot `s` now has commit index `commit` in `term` (it had
    /// `was`); false when the checker found a rule broken.
    #[inline]
    pub(super) fn report_commit(&mut self, s: usize, was: i64, commit: i64, term: i64) -> bool {
        let id = self.servers[s].id;
        let verdict = self.ledger.safety.commit(id, commit, term);
        if !self.judge(verdict) {
            return false;
        }
        if commit > was {
            self.record_commits(s, was + 1, commit, term);
        }
        true
    }

    /// Events and counts of the entries lo..=hi server slot `s` committed
    /// in term `rterm` (the ones it still holds: compacted ones were
    /// committed before).
    fn record_commits(&mut self, s: usize, lo: i64, hi: i64, rterm: i64) {
        let id = self.servers[s].id;
        let (first, last) = {
            let log = &self.servers[s].disk.log;
            (lo.max(log.base + 1), hi.min(log.last()))
        };
        if self.servers[s].mem.leader_term == rterm || last - first + 1 > 1 {
            self.ev(K::Commit, [id as i64, lo - 1, hi, 0, 0, 0, 0]);
        }
        let log = &self.servers[s].disk.log;
        for idx in first.max(self.ledger.committed_max + 1)..=last {
            self.stats.commits += 1;
            if let Some(e) = log.get(idx).filter(|e| e.etype == c::LOG_REMOVE) {
                self.removed_committed.insert(e.node);
            }
            self.ledger.committed_max = idx;
        }
    }

    /// Server slot `s` is leader of `term` (as seen after a library call):
    /// a new leader is recorded and reported to the checker, which holds it
    /// to Election Safety and, on the term's first report, Leader
    /// Completeness. (Seen again in the same term, it is not reported
    /// again: a repeated report can break no rule.)
    pub(super) fn report_leader(&mut self, s: usize, term: i64, cur: i64, commit: i64) -> bool {
        let sv = &mut self.servers[s];
        let id = sv.id;
        if sv.mem.leader_term == term {
            return true;
        }
        sv.mem.leader_term = term;
        sv.led_term = sv.led_term.max(term);
        self.stats.elections += 1;
        self.ev(K::Leader, [id as i64, term, cur, commit, 0, 0, 0]);
        let verdict = self.ledger.safety.leader(id, term);
        self.judge(verdict)
    }
}
