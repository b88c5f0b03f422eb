//! The reject hint: finding where a follower's log stops matching the
//! leader's in a number of round trips bounded by the terms of the
//! divergent entries rather than by their count. This is the optimization
//! that closes §5.3 of the Raft paper, also in the thesis's section on log
//! replication (§3.5): a rejection tells the leader about the follower's
//! conflicting term, so that the leader skips a whole term per round trip
//! instead of one entry. We use the form etcd raft calls the reject hint
//! (`RejectHint`, `LogTerm`, `findConflictByTerm`), which skips on both
//! sides: the paper's form only skips the follower's term. Off by default
//! ([`Server::set_reject_hint`]); without it a rejection moves the leader's
//! `next_idx` back to the follower's last index + 1 or by one index
//! (willemt's rule, `replication.rs` and `pipeline.rs`), so a follower holding
//! a long divergent suffix of older terms is walked back one entry per round
//! trip (`sim/LIB_BUGS.md` bug 9).
//!
//! The whole rule is the two functions below, one per side, over one search:
//! - the follower, rejecting an AppendEntries at (`prev_log_idx`,
//!   `prev_log_term`), reports the largest index `i` <= min(`prev_log_idx`,
//!   its last index) whose term `t` is <= `prev_log_term`, as the response's
//!   `current_idx` and `reject_hint_term` (its entries after `i` have terms
//!   above `prev_log_term`, which the leader's log, whose terms never
//!   decrease, cannot have at or below `prev_log_idx`: none of them can
//!   match);
//! - the leader probes next at the largest index `j` <= `i` whose term in its
//!   own log is <= `t` (its entries after `j` have terms above `t`, and the
//!   follower has nothing above `t` at or below `i`: none of them can match).
//!
//! Each round trip crosses at least one term boundary of one of the two
//! logs. The terms of a Raft log never decrease, so each side's search is a
//! binary search (etcd's `findConflictByTerm` scans): a rejection costs
//! O(log n) whatever the hint. A message of an older term (whose sender
//! steps down on our answer) gets our last index and its term, no search. A hint only ever moves the probe lower than willemt's rule would
//! (never below `match_idx + 1`, never above the leader's last index + 1), so
//! a wrong or hostile hint costs entries sent again, never safety: the
//! consistency check of the next AppendEntries (§5.3) still decides what the
//! follower accepts, and a probe below the leader's snapshot sends the
//! snapshot, as any other probe there does.

use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Follower side: the hint for a rejection of an AppendEntries of
    /// `ae_term` at (`prev_log_idx`, `prev_log_term`), from the log as it is
    /// after the rejection (a conflicting entry and those after it already
    /// removed): (index, term) = the largest index at or below both
    /// `prev_log_idx` and our last index whose term is at most
    /// `prev_log_term`, and that term. An index below our snapshot (only a
    /// stale leader's message is rejected there) has no known term: 0. A
    /// message of an older term, or one we refuse as the leader, gets our last
    /// index and its term without a search: its sender steps down, or is no
    /// leader of ours.
    #[cold]
    #[inline(never)]
    pub(crate) fn reject_hint_for(&self, ae_term: Term, prev_log_idx: Index, prev_log_term: Term) -> (Index, Term) {
        let last = self.log.current_idx();
        if ae_term < self.current_term || self.is_leader() {
            return (last, self.log.last_term());
        }
        let idx = self.last_index_with_term_at_most(prev_log_idx.min(last), prev_log_term);
        (idx, self.log.term_at(idx).unwrap_or(0))
    }

    /// Leader side: where to probe a follower after its rejection `r`, given
    /// `plain`, the `next_idx` willemt's rule chose. The largest index `j` at
    /// or below both the hint's index (`r.current_idx`) and `plain - 1` whose
    /// term in our log is at most the hint's term (`r.reject_hint_term`);
    /// the search stops at our snapshot (a `j` below it sends the snapshot).
    /// Returns `j + 1`, never above `plain` nor our last index + 1 (the
    /// caller keeps it above `match_idx`). A hint term that no correct
    /// follower sends (negative, above [`MAX_TERM`]) is ignored: `plain`.
    #[cold]
    #[inline(never)]
    pub(crate) fn next_by_reject_hint(&self, plain: Index, r: &AppendEntriesResponse) -> Index {
        let plain = plain.min(self.current_idx() + 1);
        if !is_valid_term(r.reject_hint_term) {
            return plain;
        }
        let j = self.last_index_with_term_at_most(r.current_idx.min(plain - 1), r.reject_hint_term);
        (j + 1).min(plain)
    }

    /// etcd's `findConflictByTerm`: the largest index at or below `idx`
    /// (clamped to our log) whose term is at most `term`, searched down to
    /// our snapshot; the snapshot's index - 1 if even the snapshot's term is
    /// above `term` (0 has term 0). The terms of a Raft log never decrease,
    /// so this is a binary search (on a log restored out of order it still
    /// returns an index whose term is at most `term`, or that bound).
    pub(crate) fn last_index_with_term_at_most(&self, idx: Index, term: Term) -> Index {
        let base = self.log.base();
        let at_most = |i: Index| self.log.term_at(i).is_some_and(|t| t <= term);
        let mut hi = idx.min(self.log.current_idx());
        if hi < base {
            return hi.max(0);
        }
        if !at_most(base) {
            return base - 1; // (base > 0: index 0's term 0 is at most any term)
        }
        // Invariant: at_most(lo); the answer is in [lo, hi].
        let mut lo = base;
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if at_most(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }
}
