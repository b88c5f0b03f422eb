//! Log replication, leader side (paper §5.3, Figure 2 "Rules for Servers:
//! Leaders"): sending AppendEntries, handling the answers, and the commit
//! rule (§5.4.2).

use crate::fault;
use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Sends `node` the entries it lacks (or a heartbeat). When its next entry
    /// was compacted away (next_idx <= the snapshot's last index), asks the
    /// host to send a snapshot instead and returns `NEEDS_SNAPSHOT`.
    pub fn send_appendentries(&mut self, node: NodeId) -> RaftResult {
        if node == self.tracker.self_id() {
            return Err(err::INVALID);
        }
        let Some(pos) = self.tracker.pos(node) else { return Err(err::INVALID) };
        let next_idx = self.tracker.next_idx(pos);
        let base = self.log.base();
        if next_idx <= base && base > 0 {
            log_msg!(self, Some(node), "sending snapshot: next_idx {} < base {}", next_idx, base);
            let e = H::send_snapshot(self, node);
            return Err(if e != 0 { e } else { err::NEEDS_SNAPSHOT });
        }
        self.send_appendentries_from(node, next_idx)
    }

    /// Sends AppendEntries with the entries from `first` (> compaction base).
    #[inline(always)]
    fn send_appendentries_from(&mut self, node: NodeId, first: Index) -> RaftResult {
        let prev_log_idx = first - 1;
        let prev_log_term = self.log.term_at(prev_log_idx).unwrap_or(0);
        let avail = (self.current_idx() - prev_log_idx).max(0) as usize;
        let msg = AppendEntriesHeader {
            term: self.current_term,
            prev_log_idx,
            prev_log_term,
            leader_commit: self.commit_idx,
            n_entries: avail.min(self.opts.max_entries_per_msg),
        };
        match H::send_appendentries(self, node, &msg) {
            0 => Ok(()),
            e => Err(e),
        }
    }

    /// Heartbeat: an AppendEntries to every other node, including nodes being
    /// removed (inactive), which must learn of their removal; resets the timer.
    /// A node that needs a snapshot also gets an empty AppendEntries anchored
    /// at the snapshot, so that once it has loaded the snapshot its answer
    /// moves `next_idx` past it.
    pub fn send_appendentries_all(&mut self) -> RaftResult {
        self.timers.reset();
        let mut first_err = Ok(());
        let mut pos = 0;
        while let Some(id) = self.tracker.id_at(pos) {
            pos += 1;
            if id == self.tracker.self_id() {
                continue;
            }
            match self.send_appendentries(id) {
                Err(err::NEEDS_SNAPSHOT) => {
                    let base = self.log.base();
                    let _ = self.send_appendentries_from(id, base + 1);
                }
                Err(e) if first_err.is_ok() && e != err::INVALID => first_err = Err(e),
                _ => {}
            }
        }
        first_err
    }

    /// Leader side of an AppendEntries answer from `from`.
    pub fn recv_appendentries_response(&mut self, from: NodeId, r: &AppendEntriesResponse) -> RaftResult {
        match self.tracker.pos(from) {
            Some(pos) => self.recv_appendentries_response_at(pos, r),
            None => Err(err::FAIL),
        }
    }

    /// [`Server::recv_appendentries_response`] from the member at position `pos`.
    pub fn recv_appendentries_response_at(&mut self, pos: usize, r: &AppendEntriesResponse) -> RaftResult {
        let from = match self.tracker.id_at(pos) {
            Some(id) if id != self.tracker.self_id() => id,
            _ => return Err(err::FAIL),
        };
        if !is_valid_term(r.term) || r.current_idx < 0 {
            return Err(err::INVALID);
        }
        let (next_idx, match_idx) = (self.tracker.next_idx(pos), self.tracker.match_idx(pos));
        log_msg!(self, Some(from), "received appendentries response {} ci:{} rci:{} 1stidx:{}",
                if r.success { "SUCCESS" } else { "fail" },
                self.current_idx(),
                r.current_idx,
                r.first_idx);
        if !self.is_leader() {
            return Err(err::NOT_LEADER);
        }
        if self.observe_term(r.term, NO_NODE)? {
            return Ok(());
        }
        if self.current_term != r.term {
            return Ok(());
        }

        if !r.success {
            // Log inconsistency: decrement nextIndex and retry (§5.3). An
            // answer below what the node already acknowledged is stale; any
            // other is retried, from no lower than just past match_idx.
            if r.current_idx < match_idx {
                return Ok(()); // stale
            }
            let mut new_next = if r.current_idx < next_idx - 1 {
                (r.current_idx + 1).min(self.current_idx())
            } else {
                next_idx - 1
            };
            new_next = new_next.max(match_idx + 1);
            if let Some(mut n) = self.tracker.slot(pos) {
                n.set_next_idx(new_next);
            }
            return match self.send_appendentries(from) {
                Err(err::NEEDS_SNAPSHOT) => Ok(()),
                other => other,
            };
        }

        if r.current_idx > self.current_idx() {
            return Err(err::INVALID); // it claims entries we never sent
        }

        if self.tracker.is_catching_up(pos) {
            self.maybe_report_sufficient_logs(from, r.current_idx);
        }

        if r.current_idx <= match_idx {
            return Ok(()); // stale or duplicate
        }
        // The callback above may have changed the membership.
        match self.tracker.pos(from) {
            Some(pos) => self.tracker.set_progress(pos, r.current_idx),
            None => return Ok(()),
        }
        self.commit_up_to(r.current_idx);

        // Keep streaming if it still lacks entries.
        if r.current_idx < self.current_idx() {
            return match self.send_appendentries(from) {
                Err(err::NEEDS_SNAPSHOT) => Ok(()),
                other => other,
            };
        }
        Ok(())
    }

    /// Tells the host once when a non-voting node has caught up, so it can
    /// propose promoting it — only while that promotion would be accepted
    /// (else it is offered again on a later response).
    fn maybe_report_sufficient_logs(&mut self, from: NodeId, current_idx: Index) {
        if self.voting_change_refusal().is_none()
            && self.current_idx() <= current_idx + 1
            && H::node_has_sufficient_logs(self, from) == 0
        {
            if let Some(mut n) = self.tracker.slot_of(from) {
                n.set_has_sufficient_logs();
            }
        }
    }

    /// A match index rose to `new_match`. Leader commit rule (Figure 2,
    /// §5.4.2): commit the highest index a majority of voters hold, if its
    /// entry is of the current term. Entries of the current term form a
    /// suffix of the log and the quorum index can only have moved to at most
    /// `new_match`, so nothing is committable unless `new_match` is above the
    /// commit index and of the current term; and when a majority holds
    /// `new_match` (the common case, one pass over the voters) it is the
    /// index to commit.
    #[inline(always)]
    pub(crate) fn commit_up_to(&mut self, new_match: Index) {
        if new_match <= self.commit_idx {
            return;
        }
        if self.log.term_at(new_match) != Some(self.current_term) && !self.has_fault(fault::COMMIT_PREVIOUS_TERM) {
            return;
        }
        if self.tracker.quorum_holds(new_match, self.current_idx()) {
            self.set_commit_idx(new_match);
        } else {
            self.advance_commit_idx();
        }
    }

    /// The leader commit rule itself: the quorum's index, if its entry is of
    /// the current term (§5.4.2), becomes the commit index.
    pub(crate) fn advance_commit_idx(&mut self) {
        let quorum_idx = self.tracker.committed_index(self.current_idx());
        if quorum_idx <= self.commit_idx {
            return;
        }
        if self.log.term_at(quorum_idx) == Some(self.current_term) || self.has_fault(fault::COMMIT_PREVIOUS_TERM) {
            self.set_commit_idx(quorum_idx);
        }
    }
}
