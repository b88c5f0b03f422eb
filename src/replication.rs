//! Log replication (paper §5.3, Figure 2 "AppendEntries RPC" and "Rules for
//! Servers: Leaders"), proposals and applying committed entries.

use crate::host::Host;
use crate::quorum::majority_index;
use crate::server::{fault, Server};
use crate::types::*;

impl<H: Host> Server<H> {
    /// Sends `node` the entries it lacks (or a heartbeat). When its next entry
    /// was compacted away (next_idx <= the snapshot's last index), asks the
    /// host to send a snapshot instead and returns `NEEDS_SNAPSHOT`.
    pub fn send_appendentries(&mut self, node: NodeId) -> RaftResult {
        if node == self.self_id {
            return Err(err::INVALID);
        }
        let next_idx = match self.node(node) {
            Some(n) => n.next_idx(),
            None => return Err(err::INVALID),
        };
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
            n_entries: avail.min(self.max_entries_per_msg),
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
        self.timeout_elapsed = 0;
        let mut first_err = Ok(());
        let mut i = 0;
        while let Some(n) = self.nodes.get(i) {
            i += 1;
            let id = n.id();
            if id == self.self_id {
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

    /// Follower side of AppendEntries (Figure 2, receiver implementation).
    pub fn recv_appendentries(
        &mut self,
        from: Option<NodeId>,
        ae: &AppendEntries<'_, H::Data>,
        resp: &mut AppendEntriesResponse,
    ) -> RaftResult {
        if ae.prev_log_idx < 0 || ae.leader_commit < 0 || ae.term < 0 {
            resp.term = self.current_term;
            resp.success = false;
            resp.current_idx = self.current_idx();
            return Err(err::INVALID);
        }
        resp.success = false;
        resp.first_idx = ae.prev_log_idx + 1;
        resp.current_idx = ae.prev_log_idx;
        let result = self.recv_appendentries_inner(from, ae, resp);
        resp.term = self.current_term;
        if !resp.success {
            resp.current_idx = self.current_idx();
        }
        result
    }

    #[inline(always)]
    fn recv_appendentries_inner(
        &mut self,
        from: Option<NodeId>,
        ae: &AppendEntries<'_, H::Data>,
        resp: &mut AppendEntriesResponse,
    ) -> RaftResult {
        if !ae.entries.is_empty() {
            log_msg!(self, from, "recvd appendentries t:{} ci:{} lc:{} pli:{} plt:{} #{}",
                    ae.term,
                    self.current_idx(),
                    ae.leader_commit,
                    ae.prev_log_idx,
                    ae.prev_log_term,
                    ae.entries.len());
        }
        // 1. Reply false if term < currentTerm (§5.1).
        if ae.term < self.current_term {
            return Ok(());
        }
        if self.current_term < ae.term {
            self.set_current_term(ae.term)?;
            self.become_follower();
        } else if self.is_candidate() {
            // Someone won this term's election.
            self.become_follower();
        } else if self.is_leader() {
            // Two leaders in one term cannot happen; refuse rather than follow.
            return Ok(());
        }
        self.current_leader = from.unwrap_or(NO_NODE);
        self.timeout_elapsed = 0;

        // 2. Reply false if log doesn't contain an entry at prevLogIndex whose
        //    term matches prevLogTerm (§5.3). Compacted entries are committed,
        //    hence match any legitimate leader's.
        let base = self.log.base();
        if ae.prev_log_idx >= base {
            match self.log.term_at(ae.prev_log_idx) {
                None => return Ok(()),
                Some(t) if t != ae.prev_log_term => {
                    if ae.prev_log_idx <= self.commit_idx {
                        return Err(err::SHUTDOWN);
                    }
                    // The entry and all that follow it cannot be the leader's.
                    self.delete_entries_from(ae.prev_log_idx)?;
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        resp.success = true;

        // 3. If an existing entry conflicts with a new one (same index but
        //    different terms), delete it and all that follow it (§5.3).
        // 4. Append any new entries not already in the log.
        let mut k = 0;
        // (When the entries start right after our last one, all are new.)
        let appending_at_end = ae.prev_log_idx == self.log.current_idx();
        while k < ae.entries.len() && !appending_at_end {
            let idx = ae.prev_log_idx + 1 + k as Index;
            if idx <= self.log.base() {
                resp.current_idx = idx;
                k += 1;
                continue;
            }
            match self.log.term_at(idx) {
                Some(t) if t == ae.entries[k].term => {
                    resp.current_idx = idx;
                    k += 1;
                }
                Some(_) => {
                    if idx <= self.commit_idx {
                        log_msg!(self, from, "AE entry conflicts with committed entry {}", idx);
                        return Err(err::SHUTDOWN);
                    }
                    if self.has_fault(fault::NO_TRUNCATE_ON_CONFLICT) {
                        if let Some(e) = self.log.get_mut(idx) {
                            *e = ae.entries[k].clone();
                        }
                        resp.current_idx = idx;
                        k += 1;
                        continue;
                    }
                    self.delete_entries_from(idx)?;
                    break;
                }
                None => break,
            }
        }
        while k < ae.entries.len() {
            self.append_entry(ae.entries[k].clone())?;
            resp.current_idx = ae.prev_log_idx + 1 + k as Index;
            k += 1;
        }

        // 5. If leaderCommit > commitIndex, set commitIndex =
        //    min(leaderCommit, index of last new entry).
        if self.commit_idx < ae.leader_commit {
            self.set_commit_idx(ae.leader_commit.min(resp.current_idx));
        }
        Ok(())
    }

    /// Leader side of an AppendEntries answer from `from`.
    pub fn recv_appendentries_response(&mut self, from: NodeId, r: &AppendEntriesResponse) -> RaftResult {
        match self.node_pos(from) {
            Some(pos) => self.recv_appendentries_response_at(pos, r),
            None => Err(err::FAIL),
        }
    }

    /// [`Server::recv_appendentries_response`] from the node at position `pos`
    /// of the node list.
    pub(crate) fn recv_appendentries_response_at(&mut self, pos: usize, r: &AppendEntriesResponse) -> RaftResult {
        let (from, next_idx, match_idx, catching_up) = match self.nodes.get(pos) {
            Some(n) if n.id() != self.self_id => {
                (n.id(), n.next_idx(), n.match_idx(), !n.is_voting() && n.is_active() && !n.has_sufficient_logs())
            }
            _ => return Err(err::FAIL),
        };
        log_msg!(self, Some(from), "received appendentries response {} ci:{} rci:{} 1stidx:{}",
                if r.success { "SUCCESS" } else { "fail" },
                self.current_idx(),
                r.current_idx,
                r.first_idx);
        if !self.is_leader() {
            return Err(err::NOT_LEADER);
        }
        // If RPC response contains term T > currentTerm: set currentTerm = T,
        // convert to follower (§5.1).
        if self.current_term < r.term {
            self.set_current_term(r.term)?;
            self.become_follower();
            self.current_leader = NO_NODE;
            return Ok(());
        }
        if self.current_term != r.term {
            return Ok(());
        }

        if !r.success {
            // Log inconsistency: decrement nextIndex and retry (§5.3).
            if match_idx >= next_idx - 1 {
                return Ok(()); // stale
            }
            let mut new_next = if r.current_idx < next_idx - 1 {
                (r.current_idx + 1).min(self.current_idx())
            } else {
                next_idx - 1
            };
            new_next = new_next.max(match_idx + 1);
            if let Some(n) = self.nodes.get_mut(pos) {
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

        if catching_up {
            self.maybe_report_sufficient_logs(from, r.current_idx);
        }

        if r.current_idx <= match_idx {
            return Ok(()); // stale or duplicate
        }
        // The callback above may have changed the membership.
        match self.node_mut(from) {
            Some(n) => {
                n.set_next_idx(r.current_idx + 1);
                n.set_match_idx(r.current_idx);
            }
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

    /// Tells the host once when a non-voting node has caught up (so it can
    /// propose promoting it).
    fn maybe_report_sufficient_logs(&mut self, from: NodeId, current_idx: Index) {
        if !self.voting_change_is_in_progress()
            && self.current_idx() <= current_idx + 1
            && H::node_has_sufficient_logs(self, from) == 0
        {
            if let Some(n) = self.node_mut(from) {
                n.set_has_sufficient_logs();
            }
        }
    }

    /// A match index rose to `new_match`: the commit index can only move if
    /// `new_match` is above it and (Figure 2, §5.4.2) from the current term;
    /// entries of the current term form a suffix of the log, so otherwise
    /// nothing at or below `new_match` is committable. If a majority holds
    /// `new_match`, it is committed (one pass over the nodes, the common
    /// case); otherwise the full quorum computation decides.
    #[inline(always)]
    fn commit_up_to(&mut self, new_match: Index) {
        if new_match <= self.commit_idx {
            return;
        }
        if self.log.term_at(new_match) != Some(self.current_term) && !self.has_fault(fault::COMMIT_PREVIOUS_TERM) {
            return;
        }
        let current_idx = self.current_idx();
        let (mut voters, mut holding) = (0, 0);
        for n in self.nodes.iter() {
            if n.is_active() && n.is_voting() {
                voters += 1;
                let m = if n.id() == self.self_id { current_idx } else { n.match_idx() };
                holding += (m >= new_match) as i32;
            }
        }
        if holding > voters / 2 {
            self.set_commit_idx(new_match);
        } else {
            self.advance_commit_idx();
        }
    }

    /// Leader commit rule (Figure 2): the highest N replicated on a majority of
    /// voters with log[N].term == currentTerm (§5.4.2).
    pub(crate) fn advance_commit_idx(&mut self) {
        let current_idx = self.current_idx();
        let self_id = self.self_id;
        let voters = self
            .nodes
            .iter()
            .filter(|n| n.is_active() && n.is_voting())
            .map(|n| if n.id() == self_id { current_idx } else { n.match_idx() });
        let quorum_idx = majority_index(voters);
        if quorum_idx <= self.commit_idx {
            return;
        }
        if self.has_fault(fault::COMMIT_PREVIOUS_TERM) {
            self.set_commit_idx(quorum_idx);
            return;
        }
        if self.log.term_at(quorum_idx) == Some(self.current_term) {
            self.set_commit_idx(quorum_idx);
        }
    }

    /// A client proposal on the leader (willemt's `raft_recv_entry`): appends
    /// `entry` in the current term and starts replicating it.
    pub fn retain_entry(&mut self, mut entry: Entry<H::Data>) -> RaftResult<EntryResponse> {
        if entry.is_cfg_change() {
            if self.entry_changes_voters(&entry) && !self.may_change_voters() {
                return Err(err::ONE_VOTING_CHANGE_ONLY);
            }
            if self.snapshot_in_progress {
                return Err(err::SNAPSHOT_IN_PROGRESS);
            }
        }
        if !self.is_leader() {
            return Err(err::NOT_LEADER);
        }
        entry.term = self.current_term;
        let id = entry.id;
        self.append_entry(entry)?;
        let idx = self.current_idx();
        // Send to followers that were caught up; count the other voters.
        let mut other_voters = 0;
        let mut i = 0;
        while let Some(n) = self.nodes.get(i) {
            i += 1;
            if n.id() == self.self_id {
                continue;
            }
            other_voters += (n.is_voting() && n.is_active()) as i32;
            if n.next_idx() == idx {
                let nid = n.id();
                let _ = self.send_appendentries(nid);
            }
        }
        if other_voters == 0 {
            self.advance_commit_idx(); // we may be the only voter
        }
        Ok(EntryResponse { id, term: self.current_term, idx })
    }

    /// Whether a proposed configuration entry may change the voters: ADD_NODE,
    /// DEMOTE_NODE, or REMOVE_NODE of a voter (asked of `log_get_node_id`).
    fn entry_changes_voters(&mut self, entry: &Entry<H::Data>) -> bool {
        if entry.etype != entry_type::REMOVE_NODE {
            return changes_voters(entry.etype);
        }
        // Put the entry where the callback can see it, then take it back.
        self.log.push(entry.clone());
        let idx = self.current_idx();
        let id = H::log_get_node_id(self, idx);
        if self.current_idx() == idx {
            self.log.pop_back();
        }
        match id {
            Some(id) => self.node(id).is_some_and(|n| n.is_voting() && n.is_active()),
            None => true,
        }
    }

    /// Whether a leader may append a change of the voters now: none is in
    /// flight, and an entry of its own term is committed — otherwise an
    /// uncommitted change appended by an earlier leader, which this log may
    /// not even hold, could still commit beside ours and let two disjoint
    /// majorities form (the single-server change bug; Ongaro, raft-dev 2015).
    /// In term 1 there was no earlier leader, so the second condition holds.
    pub fn may_change_voters(&self) -> bool {
        !self.voting_change_is_in_progress()
            && (self.current_term <= 1 || self.log.term_at(self.commit_idx) == Some(self.current_term))
    }

    /// 1 when the proposal `r` is committed, 0 while it is not (yet), -1 when
    /// its index now holds another term's entry (it was overwritten).
    pub fn entry_response_committed(&self, r: &EntryResponse) -> i32 {
        match self.log.term_at(r.idx) {
            Some(t) if r.idx > 0 => {
                if t != r.term {
                    -1
                } else if r.idx <= self.commit_idx {
                    1
                } else {
                    0
                }
            }
            _ => {
                if r.idx > 0 && r.idx < self.log.base() && r.term > self.log.base_term() {
                    -1 // every compacted entry is older than the proposal's term
                } else {
                    0
                }
            }
        }
    }

    /// Appends `entry` as is (no term change): `log_offer` first; on its error
    /// the entry is dropped. Configuration entries take effect at once.
    #[inline(always)]
    pub fn append_entry(&mut self, entry: Entry<H::Data>) -> RaftResult {
        let etype = entry.etype;
        self.log.push(entry);
        let idx = self.current_idx();
        let e = H::log_offer(self, idx);
        if e != 0 {
            if self.current_idx() == idx {
                self.log.pop_back();
            }
            return Err(e);
        }
        if etype != entry_type::NORMAL && is_cfg_change_type(etype) && self.apply_cfg_change_on_append(idx) {
            self.voting_cfg_change_log_idx = idx;
        }
        Ok(())
    }

    /// Removes the entries from `idx` to the end, newest first, each after
    /// `log_pop` succeeds. Committed entries are never removed.
    pub(crate) fn delete_entries_from(&mut self, idx: Index) -> RaftResult {
        if idx <= self.commit_idx {
            return Err(err::SHUTDOWN);
        }
        while self.current_idx() >= idx && self.log.count() > 0 {
            let last = self.current_idx();
            // Learn which node a configuration entry names while its payload
            // is still the library's to read: `log_pop` hands it back.
            let cfg = match self.log.get(last) {
                Some(e) if e.is_cfg_change() => Some(e.etype),
                _ => None,
            };
            let named = if cfg.is_some() { H::log_get_node_id(self, last) } else { None };
            let e = H::log_pop(self, last);
            if e != 0 {
                return Err(e);
            }
            if self.current_idx() != last {
                continue; // the host removed it itself
            }
            self.log.pop_back();
            if let (Some(etype), Some(id)) = (cfg, named) {
                self.revert_cfg_change(etype, id);
            }
            if self.voting_cfg_change_log_idx >= last {
                self.voting_cfg_change_log_idx = self.last_voting_change_after_applied();
            }
        }
        Ok(())
    }

    /// Applies the next committed entry through `log_apply`.
    pub fn apply_entry(&mut self) -> RaftResult {
        if !self.is_apply_allowed() || self.last_applied_idx >= self.commit_idx {
            return Err(err::FAIL);
        }
        self.apply_next()
    }

    /// Applies entry `last_applied_idx + 1` (the caller checked it is committed).
    #[inline(always)]
    fn apply_next(&mut self) -> RaftResult {
        let idx = self.last_applied_idx + 1;
        let etype = match self.log.get(idx) {
            Some(e) => e.etype,
            None => return Err(err::FAIL),
        };
        self.last_applied_idx = idx;
        let e = H::log_apply(self, idx);
        if e == err::SHUTDOWN {
            return Err(err::SHUTDOWN);
        }
        if self.voting_cfg_change_log_idx == idx {
            self.voting_cfg_change_log_idx = -1;
        }
        if etype != entry_type::NORMAL && is_cfg_change_type(etype) {
            self.apply_cfg_change_on_commit(idx);
        }
        if e != 0 {
            return Err(e);
        }
        Ok(())
    }

    /// Applies every committed entry not yet applied.
    pub fn apply_all(&mut self) -> RaftResult {
        if !self.is_apply_allowed() {
            return Ok(());
        }
        while self.last_applied_idx < self.commit_idx {
            self.apply_next()?;
            if self.snapshot_in_progress && !self.is_apply_allowed() {
                break; // a callback started a blocking snapshot
            }
        }
        Ok(())
    }
}
