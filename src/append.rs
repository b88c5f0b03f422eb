//! Growing and shrinking the log: client proposals on the leader
//! (willemt's `raft_recv_entry`), appending an entry anywhere (`log_offer`
//! before it counts), and removing conflicting entries (`log_pop`), each
//! with the configuration effect of the entries involved (thesis §4.1).

use crate::host::Host;
use crate::server::Server;
use crate::tracker::config::ConfigChange;
use crate::types::*;

impl<H: Host> Server<H> {
    /// A client proposal on the leader: appends `entry` (naming `node` when
    /// it is a configuration change) in the current term and sends it to the
    /// followers that were caught up.
    pub fn retain_entry(&mut self, mut entry: Entry<H::Data>, node: NodeId) -> RaftResult<EntryResponse> {
        if let Some(change) = ConfigChange::of(entry.etype, node) {
            if self.tracker.would_change_voters(&change) {
                if let Some(e) = self.voting_change_refusal() {
                    return Err(e);
                }
            }
        }
        if !self.is_leader() {
            return Err(err::NOT_LEADER);
        }
        entry.term = self.current_term;
        let id = entry.id;
        self.append_entry(entry, node)?;
        let idx = self.current_idx();
        // Send to followers that were caught up; count the other voters.
        let mut other_voters = 0;
        let mut pos = 0;
        while let Some(nid) = self.tracker.id_at(pos) {
            if nid != self.tracker.self_id() {
                other_voters += self.tracker.is_voter_at(pos) as i32;
                if self.tracker.next_idx(pos) == idx {
                    let _ = self.send_appendentries(nid);
                }
            }
            pos += 1;
        }
        if other_voters == 0 {
            self.advance_commit_idx(); // we may be the only voter
        }
        Ok(EntryResponse { id, term: self.current_term, idx })
    }

    /// Whether a leader may append a change of the voters now: none is in
    /// flight, and an entry of its own term is committed — otherwise an
    /// uncommitted change appended by an earlier leader, which this log may
    /// not even hold, could still commit beside ours and let two disjoint
    /// majorities form (the single-server change bug; Ongaro, raft-dev 2015).
    /// In term 1 there was no earlier leader, so the second condition holds.
    pub fn may_change_voters(&self) -> bool {
        !self.tracker.voting_change_in_progress()
            && (self.current_term <= 1 || self.log.term_at(self.commit_idx) == Some(self.current_term))
    }

    /// Why a change of the voters proposed now would be refused, if it
    /// would: another in flight or no entry of this term committed yet
    /// ([`Server::may_change_voters`]), or a snapshot being taken that blocks
    /// applying entries (the change could not be applied before it ends).
    pub(crate) fn voting_change_refusal(&self) -> Option<i32> {
        if !self.may_change_voters() {
            Some(err::ONE_VOTING_CHANGE_ONLY)
        } else if !self.is_apply_allowed() {
            Some(err::SNAPSHOT_IN_PROGRESS)
        } else {
            None
        }
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

    /// Appends `entry` as is (no term change) at `current_idx() + 1`:
    /// `log_offer` first, while the entry is not yet in the log; on its
    /// error nothing changes. A configuration entry naming `node` then takes
    /// effect (thesis §4.1: a configuration is used as soon as it is in the log).
    #[inline(always)]
    pub fn append_entry(&mut self, mut entry: Entry<H::Data>, node: NodeId) -> RaftResult {
        let idx = self.current_idx() + 1;
        let e = H::log_offer(self, &mut entry, idx);
        if e != 0 {
            return Err(e);
        }
        if self.current_idx() + 1 != idx {
            return Err(err::FAIL); // the host changed the log under us
        }
        let etype = entry.etype;
        self.log.push(entry);
        if let Some(change) = ConfigChange::of(etype, node) {
            let next = if self.is_leader() { self.current_idx() + 1 } else { 1 };
            let effect = self.tracker.append_change(idx, change, next);
            // The host hears of an added node (notify ADD) before any
            // callback names it, the `log` callback included.
            self.carry_out(effect, Some(idx));
            log_msg!(self, Some(node), "cfg change {:?} appended at {}", change.kind, idx);
        }
        Ok(())
    }

    /// Removes the entries from `idx` to the end, newest first, each after
    /// `log_pop` succeeds, undoing their configuration changes. Committed
    /// entries are never removed.
    pub(crate) fn delete_entries_from(&mut self, idx: Index) -> RaftResult {
        if idx <= self.commit_idx {
            return Err(err::SHUTDOWN);
        }
        while self.current_idx() >= idx && self.log.count() > 0 {
            let last = self.current_idx();
            let e = H::log_pop(self, last);
            if e != 0 {
                return Err(e);
            }
            if self.current_idx() != last {
                continue; // the host removed it itself
            }
            self.log.pop_back();
            let effect = self.tracker.pop_change(last);
            self.carry_out(effect, None);
        }
        Ok(())
    }
}
