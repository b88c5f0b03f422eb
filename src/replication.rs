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
        self.send_appendentries_at(pos, node)
    }

    /// [`Server::send_appendentries`] to member `node`, at position `pos`.
    #[inline(always)]
    pub(crate) fn send_appendentries_at(&mut self, pos: usize, node: NodeId) -> RaftResult {
        let next_idx = self.tracker.next_idx(pos);
        let base = self.log.base();
        if next_idx <= base && base > 0 {
            log_msg!(self, Info, Some(node), "sending snapshot: next_idx {} < base {}", next_idx, base);
            self.stats.snapshots_sent += 1;
            let e = H::send_snapshot(self, node);
            return Err(if e != 0 { e } else { err::NEEDS_SNAPSHOT });
        }
        self.send_appendentries_from(pos, node, next_idx, usize::MAX).map(|_| ())
    }

    /// Sends the member `node` at `pos` AppendEntries with up to `max` entries from `first` (>
    /// compaction base), within the per-message caps (entry count, payload
    /// bytes: at least one entry). Returns the last index it carried.
    #[inline(always)]
    pub(crate) fn send_appendentries_from(&mut self, pos: usize, node: NodeId, first: Index, max: usize) -> RaftResult<Index> {
        let prev_log_idx = first - 1;
        let prev_log_term = self.log.term_at(prev_log_idx).unwrap_or(0);
        let avail = (self.current_idx() - prev_log_idx).max(0) as usize;
        let mut n_entries = avail.min(self.opts.max_entries_per_msg).min(max);
        if n_entries > 1 {
            // One message carries one C array: a run of the log's memory.
            n_entries = self.log.run_from(first, n_entries);
        }
        if self.opts.max_msg_bytes > 0 && n_entries > 1 {
            n_entries = self.entries_within_bytes(first, n_entries);
        }
        let msg = AppendEntriesHeader {
            term: self.current_term,
            prev_log_idx,
            prev_log_term,
            leader_commit: self.commit_idx,
            n_entries,
            msg_id: self.reads.round,
            to_pos: pos,
        };
        self.stats.appendentries_sent += 1;
        match H::send_appendentries(self, node, &msg) {
            0 => Ok(prev_log_idx + n_entries as Index),
            e => Err(e),
        }
    }

    /// How many of the `n` entries from `first` fit the per-message payload
    /// budget (at least one, so that an entry larger than the budget still goes).
    fn entries_within_bytes(&self, first: Index, n: usize) -> usize {
        let mut bytes = 0usize;
        let mut fit = 0;
        for e in self.log.slice_from(first, n) {
            bytes = bytes.saturating_add(H::data_len(&e.data));
            if fit > 0 && bytes > self.opts.max_msg_bytes {
                break;
            }
            fit += 1;
        }
        fit
    }

    /// Heartbeat: an AppendEntries to every other node, including nodes being
    /// removed (inactive), which must learn of their removal; resets the timer.
    /// A node that needs a snapshot also gets an empty AppendEntries anchored
    /// at the snapshot, so that once it has loaded the snapshot its answer
    /// moves `next_idx` past it.
    pub fn send_appendentries_all(&mut self) -> RaftResult {
        self.timers.reset();
        self.begin_round(); // every broadcast is a heartbeat round (read_only.rs)
        let mut first_err = Ok(());
        let mut pos = 0;
        while let Some(id) = self.tracker.id_at(pos) {
            pos += 1;
            if id == self.tracker.self_id() {
                continue;
            }
            if self.tracker.pipelining() {
                self.heartbeat_pipelined(pos - 1);
                continue;
            }
            match self.send_appendentries(id) {
                Err(err::NEEDS_SNAPSHOT) => self.send_snapshot_anchor(id),
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
        if !is_valid_term(r.term) || !is_valid_index(r.current_idx) || !is_valid_index(r.first_idx) && !r.success {
            return Err(err::INVALID);
        }
        self.stats.appendentries_responses_received += 1;
        let (next_idx, match_idx) = (self.tracker.next_idx(pos), self.tracker.match_idx(pos));
        log_msg!(self, Trace, Some(from), "received appendentries response {} ci:{} rci:{} 1stidx:{}",
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
        if r.success && r.current_idx > self.current_idx() {
            return Err(err::INVALID); // it claims entries we never sent
        }
        self.note_response(pos, r); // check-quorum, reads, transfer (read_only.rs)
        if self.tracker.pipelining() {
            return self.recv_appendentries_response_pipelined(pos, from, r);
        }

        if !r.success {
            // Log inconsistency: decrement nextIndex and retry (§5.3). An
            // answer below what the node already acknowledged is stale, and
            // so is one to a message other than the one at next_idx (a
            // duplicate: each copy would send a message, and with
            // duplicating links they multiply; `first_idx` 0, from a
            // transport that does not carry it, is not checked); any other
            // is retried, from no lower than just past match_idx.
            if r.current_idx < match_idx || (r.first_idx > 0 && r.first_idx != next_idx) {
                return Ok(()); // stale
            }
            let mut new_next = if r.current_idx < next_idx - 1 {
                (r.current_idx + 1).min(self.current_idx())
            } else {
                next_idx - 1
            };
            if self.opts.reject_hint {
                new_next = self.next_by_reject_hint(new_next, r);
            }
            new_next = new_next.max(match_idx + 1);
            if let Some(mut n) = self.tracker.slot(pos) {
                n.set_next_idx(new_next);
            }
            return match self.send_appendentries(from) {
                Err(err::NEEDS_SNAPSHOT) => Ok(()),
                other => other,
            };
        }

        let mut pos = pos;
        if self.tracker.is_catching_up(pos) {
            self.maybe_report_sufficient_logs(from, r.current_idx);
            // The callback may have changed the membership.
            match self.tracker.pos(from) {
                Some(p) => pos = p,
                None => return Ok(()),
            }
        }

        if r.current_idx <= match_idx {
            return Ok(()); // stale or duplicate
        }
        self.tracker.set_progress(pos, r.current_idx);
        self.commit_up_to(r.current_idx);

        // Keep streaming if it still lacks entries (the commit rule calls
        // no host code: `pos` still names `from`).
        if r.current_idx < self.current_idx() {
            return match self.send_appendentries_at(pos, from) {
                Err(err::NEEDS_SNAPSHOT) => Ok(()),
                other => other,
            };
        }
        Ok(())
    }

    /// An AppendEntries anchored at the snapshot (with the entries after
    /// it), sent beside `send_snapshot`: once the peer has loaded the
    /// snapshot, its answer moves its `next_idx` past it.
    pub(crate) fn send_snapshot_anchor(&mut self, node: NodeId) {
        let base = self.log.base();
        if let Some(pos) = self.tracker.pos(node) {
            let _ = self.send_appendentries_from(pos, node, base + 1, usize::MAX);
        }
    }

    /// Tells the host once when a non-voting node has caught up, so it can
    /// propose promoting it — only while that promotion would be accepted
    /// (else it is offered again on a later response).
    pub(crate) fn maybe_report_sufficient_logs(&mut self, from: NodeId, current_idx: Index) {
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
    /// index to commit; when no majority holds even the entry after the
    /// commit index, nothing is committable.
    #[inline(always)]
    pub(crate) fn commit_up_to(&mut self, new_match: Index) {
        if new_match <= self.commit_idx {
            return;
        }
        if self.log.term_at(new_match) != Some(self.current_term) && !self.has_fault(fault::COMMIT_PREVIOUS_TERM) {
            return;
        }
        let synced = self.synced_idx();
        if self.tracker.quorum_holds(new_match, synced) {
            self.leader_commit_to(new_match);
        } else if new_match > self.commit_idx + 1 {
            self.commit_below(synced);
        }
    }

    /// No majority holds the new match index; one may hold an index between
    /// the commit index and it: find it, if a majority holds the next entry.
    #[cold]
    #[inline(never)]
    fn commit_below(&mut self, synced: Index) {
        if self.tracker.quorum_holds(self.commit_idx + 1, synced) {
            self.advance_commit_idx();
        }
    }

    /// The leader commit rule itself: the quorum's index, if its entry is of
    /// the current term (§5.4.2), becomes the commit index. Our own log counts
    /// up to what is durable ([`Server::synced_idx`]).
    pub(crate) fn advance_commit_idx(&mut self) {
        let quorum_idx = self.tracker.committed_index(self.synced_idx());
        if quorum_idx <= self.commit_idx {
            return;
        }
        if self.log.term_at(quorum_idx) == Some(self.current_term) || self.has_fault(fault::COMMIT_PREVIOUS_TERM) {
            self.leader_commit_to(quorum_idx);
        }
    }

    /// Raises the leader's commit index to `idx`, releasing the committed
    /// entries' bytes from the bound on the uncommitted log.
    #[inline(always)]
    fn leader_commit_to(&mut self, idx: Index) {
        if self.opts.max_uncommitted_bytes > 0 {
            let mut newly = 0usize;
            let mut next = self.commit_idx + 1;
            while next <= idx {
                let run = self.log.slice_from(next, (idx - next + 1) as usize);
                if run.is_empty() {
                    break;
                }
                newly = run.iter().fold(newly, |sum, e| sum.saturating_add(H::data_len(&e.data)));
                next += run.len() as Index;
            }
            self.load.uncommitted_bytes = self.load.uncommitted_bytes.saturating_sub(newly);
        }
        self.set_commit_idx(idx);
    }

    /// The host reports that our log is durable up to `idx` (parallel log
    /// writes): a leader's own log then counts for the commit up to there.
    pub fn flush(&mut self, idx: Index) -> RaftResult {
        if idx < 0 {
            return Err(err::INVALID);
        }
        let synced = idx.min(self.current_idx());
        if synced > self.load.synced_idx {
            self.load.synced_idx = synced;
            if self.is_leader() {
                self.advance_commit_idx();
            }
        }
        Ok(())
    }
}
