//! Log compaction by snapshots of the state machine (thesis §5.1, §5.3) and
//! loading a snapshot received from the leader.

use crate::host::Host;
use crate::server::{Server, SNAPSHOT_NONBLOCKING_APPLY};
use crate::types::*;

impl<H: Host> Server<H> {
    pub fn snapshot_is_in_progress(&self) -> bool {
        self.snapshot_in_progress
    }
    /// Entries may be applied unless a blocking snapshot is being taken.
    pub fn is_apply_allowed(&self) -> bool {
        !self.snapshot_in_progress || self.snapshot_flags & SNAPSHOT_NONBLOCKING_APPLY != 0
    }
    pub fn snapshot_last_idx(&self) -> Index {
        self.snapshot_last_idx
    }
    pub fn snapshot_last_term(&self) -> Term {
        self.snapshot_last_term
    }
    /// Records the snapshot's last included entry.
    pub fn set_snapshot_metadata(&mut self, term: Term, idx: Index) {
        self.snapshot_last_term = term;
        self.snapshot_last_idx = idx;
    }
    /// Entries a snapshot ending at the commit index would compact.
    pub fn num_snapshottable_logs(&self) -> Index {
        if self.log.count() <= 1 {
            return 0;
        }
        (self.commit_idx.min(self.current_idx()) - self.log.base()).max(0)
    }

    /// Starts a snapshot of everything committed: applies all committed
    /// entries and records the snapshot's last entry. The host then saves
    /// its state machine and calls [`Server::end_snapshot`].
    pub fn begin_snapshot(&mut self, flags: i32) -> RaftResult {
        if self.snapshot_in_progress || self.num_snapshottable_logs() == 0 {
            return Err(err::FAIL);
        }
        let target = self.commit_idx;
        if target == 0 {
            return Err(err::FAIL);
        }
        let term = match self.log.get(target) {
            Some(e) => e.term,
            None => return Err(err::FAIL),
        };
        self.apply_all()?;
        self.saved_snapshot = (self.snapshot_last_idx, self.snapshot_last_term);
        self.set_snapshot_metadata(term, target);
        self.snapshot_in_progress = true;
        self.snapshot_flags = flags;
        log_msg!(self, None, "begin snapshot sli:{} slt:{}", target, term);
        Ok(())
    }

    /// Finishes the snapshot: compacts (`log_poll`) every entry it covers.
    pub fn end_snapshot(&mut self) -> RaftResult {
        if !self.snapshot_in_progress || self.snapshot_last_idx == 0 {
            return Err(err::FAIL);
        }
        while self.log.base() < self.snapshot_last_idx && self.log.count() > 0 {
            self.poll_entry()?;
        }
        self.snapshot_in_progress = false;
        log_msg!(self, None, "end snapshot base:{} commit:{}", self.log.base(), self.commit_idx);
        if self.is_leader() {
            let base = self.log.base();
            let mut i = 0;
            while let Some(n) = self.nodes.get(i) {
                i += 1;
                let (id, wanted) = (n.id(), n.id() != self.self_id && n.next_idx() <= base);
                if wanted {
                    H::send_snapshot(self, id);
                }
            }
        }
        Ok(())
    }

    /// Abandons the snapshot in progress, restoring the previous metadata.
    pub fn cancel_snapshot(&mut self) -> RaftResult {
        if !self.snapshot_in_progress {
            return Err(err::FAIL);
        }
        let (idx, term) = self.saved_snapshot;
        self.set_snapshot_metadata(term, idx);
        self.snapshot_in_progress = false;
        Ok(())
    }

    /// Compacts the oldest entry, which must be committed; `log_poll` first.
    pub fn poll_entry(&mut self) -> RaftResult<Entry<H::Data>> {
        if self.log.count() == 0 {
            return Err(err::FAIL);
        }
        let idx = self.log.base() + 1;
        if idx > self.commit_idx {
            return Err(err::FAIL);
        }
        let e = H::log_poll(self, idx);
        if e != 0 {
            return Err(e);
        }
        if self.log.base() + 1 != idx {
            return Err(err::FAIL); // the host changed the log under us
        }
        self.log.pop_front().ok_or(err::FAIL)
    }

    /// Replaces the log by a snapshot ending at (`term`, `idx`) received from
    /// the leader. Every node but ourselves is dropped and our own node is
    /// reset to a voting, active member (its status came from the discarded
    /// log): the host re-adds the snapshot's members, adjusts its own node if
    /// the snapshot says otherwise, then calls [`Server::end_load_snapshot`].
    pub fn begin_load_snapshot(&mut self, term: Term, idx: Index) -> RaftResult {
        if idx <= 0 || term <= 0 {
            return Err(err::FAIL);
        }
        if idx < self.last_applied_idx {
            return Err(err::FAIL); // would undo applied entries
        }
        if term == self.snapshot_last_term && idx == self.snapshot_last_idx {
            return Err(err::SNAPSHOT_ALREADY_LOADED);
        }
        if idx < self.current_idx() && self.log.term_at(idx) == Some(term) {
            return Err(err::FAIL); // our log already holds it: unnecessary
        }
        if self.current_term < term {
            self.set_current_term(term)?;
        }
        self.state = State::Follower;
        self.current_leader = NO_NODE;
        self.snapshot_in_progress = false;
        // Discard the whole log: it is either covered by the snapshot or
        // conflicts with it.
        while self.log.count() > 0 {
            let first = self.log.base() + 1;
            let e = H::log_clear(self, first);
            if e != 0 {
                return Err(e);
            }
            if self.log.base() + 1 == first && self.log.count() > 0 {
                self.log.pop_front();
            }
        }
        self.log.reset(idx, term);
        if self.commit_idx < idx {
            self.commit_idx = idx;
        }
        self.last_applied_idx = idx;
        self.set_snapshot_metadata(term, idx);
        self.voting_cfg_change_log_idx = -1;
        let me = self.self_id;
        self.nodes.retain(|n| n.id() == me);
        self.node_ids.retain(|&id| id == me);
        // Our own status came from the discarded log: the snapshot supersedes
        // it. We are a plain voting member unless the host says otherwise
        // (raft_node_set_voting / raft_node_set_active on raft_get_my_node).
        if let Some(n) = self.node_mut(me) {
            n.set_voting(true);
            n.set_active(true);
        }
        log_msg!(self, None, "loaded snapshot sli:{} slt:{}", idx, term);
        Ok(())
    }

    /// Marks the members re-added after [`Server::begin_load_snapshot`] as
    /// committed.
    pub fn end_load_snapshot(&mut self) -> RaftResult {
        for n in self.nodes.iter_mut() {
            let voting = n.is_voting();
            n.set_voting_committed(voting);
            n.set_addition_committed(true);
            if voting {
                n.set_has_sufficient_logs();
            }
        }
        Ok(())
    }
}
