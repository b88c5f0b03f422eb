//! Log compaction by snapshots of the state machine (thesis §5.1, §5.3) and
//! loading a snapshot received from the leader.

use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Starts a snapshot of everything committed: applies all committed
    /// entries and records the snapshot's last entry. The host then saves
    /// its state machine and calls [`Server::end_snapshot`].
    pub fn begin_snapshot(&mut self, flags: i32) -> RaftResult {
        if self.snapshot.in_progress || self.num_snapshottable_logs() == 0 {
            return Err(err::FAIL);
        }
        // Everything that may be applied: committed (and, with parallel log
        // writes, durable here).
        let target = self.applicable_idx();
        if target == 0 {
            return Err(err::FAIL);
        }
        let term = match self.log.get(target) {
            Some(e) => e.term,
            None => return Err(err::FAIL),
        };
        self.apply_all()?;
        self.snapshot.saved = (self.snapshot.last_idx, self.snapshot.last_term);
        self.set_snapshot_metadata(term, target);
        self.snapshot.in_progress = true;
        self.snapshot.flags = flags;
        log_msg!(self, Info, None, "begin snapshot sli:{} slt:{}", target, term);
        Ok(())
    }

    /// Finishes the snapshot: compacts (`log_poll`) every entry it covers.
    pub fn end_snapshot(&mut self) -> RaftResult {
        if !self.snapshot.in_progress || self.snapshot.last_idx == 0 {
            return Err(err::FAIL);
        }
        while self.log.base() < self.snapshot.last_idx && self.log.count() > 0 {
            self.poll_entry()?;
        }
        self.snapshot.in_progress = false;
        log_msg!(self, Info, None, "end snapshot base:{} commit:{}", self.log.base(), self.commit_idx);
        if self.is_leader() {
            let base = self.log.base();
            let mut pos = 0;
            while let Some(id) = self.tracker.id_at(pos) {
                if id != self.tracker.self_id() && self.tracker.next_idx(pos) <= base {
                    self.stats.snapshots_sent += 1;
                    H::send_snapshot(self, id);
                }
                pos += 1;
            }
        }
        Ok(())
    }

    /// Abandons the snapshot in progress, restoring the previous metadata.
    pub fn cancel_snapshot(&mut self) -> RaftResult {
        if !self.snapshot.in_progress {
            return Err(err::FAIL);
        }
        let (idx, term) = self.snapshot.saved;
        self.set_snapshot_metadata(term, idx);
        self.snapshot.in_progress = false;
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
    /// the leader. The snapshot's term is observed like a message's (Figure
    /// 2, All Servers) and we follow no known leader. Every node but
    /// ourselves is dropped and our own node is reset to a voting, active
    /// member (its status came from the discarded log): the host re-adds the
    /// snapshot's members, adjusts its own node if the snapshot says
    /// otherwise, then calls [`Server::end_load_snapshot`].
    pub fn begin_load_snapshot(&mut self, term: Term, idx: Index) -> RaftResult {
        if term > MAX_TERM || idx > MAX_INDEX {
            return Err(err::INVALID);
        }
        if idx <= 0 || term <= 0 {
            return Err(err::FAIL);
        }
        if idx < self.commit_idx || idx < self.last_applied_idx {
            // It would discard committed entries, or take back entries the
            // state machine has applied.
            return Err(err::FAIL);
        }
        if term == self.snapshot.last_term && idx == self.snapshot.last_idx {
            return Err(err::SNAPSHOT_ALREADY_LOADED);
        }
        if idx < self.current_idx() && self.log.term_at(idx) == Some(term) {
            return Err(err::FAIL); // our log already holds it: unnecessary
        }
        if !self.observe_term(term, NO_NODE)? {
            self.become_follower();
            self.current_leader = NO_NODE;
        }
        self.snapshot.in_progress = false;
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
        self.load.synced_idx = idx;
        self.set_snapshot_metadata(term, idx);
        self.stats.snapshots_loaded += 1;
        self.tracker.clear_pending();
        self.tracker.retain_only_self();
        // Our own status came from the discarded log: the snapshot supersedes
        // it. We are a plain voting member unless the host says otherwise
        // (raft_node_set_voting / raft_node_set_active on raft_get_my_node).
        if let Some(pos) = self.tracker.self_pos() {
            if let Some(mut n) = self.tracker.slot(pos) {
                n.set_voting(true);
                n.set_active(true);
            }
        }
        log_msg!(self, Info, None, "loaded snapshot sli:{} slt:{}", idx, term);
        Ok(())
    }

    /// Gives each entry to `log_clear`, oldest first while it is still in the
    /// log, and drops it; the callback's result is ignored. Before
    /// [`Server::clear`] (C `raft_clear`, as willemt's), so that the host can
    /// release the payloads.
    pub fn clear_log_entries(&mut self) {
        while self.log.count() > 0 {
            let first = self.log.base() + 1;
            let _ = H::log_clear(self, first);
            if self.log.base() + 1 == first && self.log.count() > 0 {
                self.log.pop_front();
            }
        }
    }

    /// Marks the members re-added after [`Server::begin_load_snapshot`] as
    /// committed.
    pub fn end_load_snapshot(&mut self) -> RaftResult {
        for pos in 0..self.tracker.len() {
            if let Some(mut n) = self.tracker.slot(pos) {
                let voting = n.is_voting();
                n.set_voting_committed(voting);
                n.set_addition_committed(true);
                if voting {
                    n.set_has_sufficient_logs();
                }
            }
        }
        Ok(())
    }
}
