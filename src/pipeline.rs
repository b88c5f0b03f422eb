//! Pipelined replication with flow control (a window of more than one
//! message per peer, `set_max_inflight_msgs`; etcd raft's probe/replicate
//! states and inflights): the leader streams AppendEntries to a peer whose
//! log is known to match without waiting for each answer, up to the window;
//! a rejection, or a heartbeat that finds a gap, sends the peer back to
//! probing; a peer being sent a snapshot gets only heartbeats. Safety is
//! unchanged: the follower's consistency check (§5.3) still accepts only
//! entries that follow a matching one. With a window of 1 (the default) none
//! of this runs: replication is willemt's stop-and-wait (`replication`).

use crate::host::Host;
use crate::server::Server;
use crate::tracker::ReplicationState;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Gives the peer at `pos` what it lacks within its flow control.
    pub(crate) fn replicate_to(&mut self, pos: usize) {
        let Some(id) = self.tracker.id_at(pos) else { return };
        match self.tracker.repl_state(pos) {
            ReplicationState::Snapshot => {}
            ReplicationState::Probe => {
                if !self.tracker.probe_paused(pos) {
                    self.tracker.set_probe_paused(pos, true);
                    if self.send_appendentries(id) == Err(err::NEEDS_SNAPSHOT) {
                        self.enter_snapshot(id);
                    }
                }
            }
            ReplicationState::Replicate => {
                // Each send may call back into the server: re-check the member.
                while self.tracker.id_at(pos) == Some(id) && !self.tracker.window_full(pos) {
                    let next = self.tracker.next_idx(pos);
                    if next > self.current_idx() {
                        break;
                    }
                    if next <= self.log.base() {
                        let _ = self.send_appendentries(id); // send_snapshot
                        self.enter_snapshot(id);
                        break;
                    }
                    match self.send_appendentries_from(pos, id, next, usize::MAX) {
                        Ok(last) if last >= next => {
                            if let Some(pos) = self.tracker.pos(id) {
                                self.tracker.sent(pos, last);
                            }
                        }
                        _ => break, // transport error: the heartbeat retries
                    }
                }
            }
        }
    }

    /// The peer `id` needs a snapshot: it waits in the snapshot state.
    fn enter_snapshot(&mut self, id: NodeId) {
        if let Some(pos) = self.tracker.pos(id) {
            self.tracker.become_snapshot(pos);
        }
    }

    /// A heartbeat to the peer at `pos`: a probe is resent; a replicating
    /// peer gets what the window allows, or an empty AppendEntries at its
    /// `next_idx`, which it rejects if a message in flight was lost (so it
    /// is probed again); a peer needing a snapshot is asked again
    /// (`send_snapshot`, and an AppendEntries anchored at the snapshot).
    pub(crate) fn heartbeat_pipelined(&mut self, pos: usize) {
        let Some(id) = self.tracker.id_at(pos) else { return };
        let next = self.tracker.next_idx(pos);
        if next <= self.log.base() && self.log.base() > 0 {
            if self.tracker.repl_state(pos) != ReplicationState::Snapshot {
                self.tracker.become_snapshot(pos);
            }
            let _ = self.send_appendentries(id);
            self.send_snapshot_anchor(id);
            return;
        }
        match self.tracker.repl_state(pos) {
            ReplicationState::Probe | ReplicationState::Snapshot => {
                self.tracker.become_probe(pos, next);
                self.tracker.set_probe_paused(pos, false);
                self.replicate_to(pos);
            }
            ReplicationState::Replicate => {
                if self.tracker.window_full(pos) || next > self.current_idx() {
                    let _ = self.send_appendentries_from(pos, id, next, 0);
                } else {
                    self.replicate_to(pos);
                }
            }
        }
    }

    /// An AppendEntries answer from the peer at `pos` (term checked), pipelined.
    pub(crate) fn recv_appendentries_response_pipelined(
        &mut self,
        pos: usize,
        from: NodeId,
        r: &AppendEntriesResponse,
    ) -> RaftResult {
        let matched = self.tracker.match_idx(pos);
        if !r.success {
            // The message after `rejected_prev` did not match (§5.3). A
            // rejection of a point the peer has since matched is stale; so
            // is, while probing, one that does not answer the probe in
            // flight (a duplicate, or an answer to a message sent before):
            // acting on each would send a probe per copy, and with
            // duplicating links the probes multiply (found by make soak).
            let rejected_prev = r.first_idx - 1;
            if rejected_prev <= matched
                || (self.tracker.repl_state(pos) == ReplicationState::Probe && rejected_prev != self.tracker.next_idx(pos) - 1)
            {
                return Ok(());
            }
            self.tracker.set_probe_paused(pos, false);
            let mut next = if r.current_idx < rejected_prev {
                (r.current_idx + 1).min(self.current_idx())
            } else {
                rejected_prev
            };
            if self.opts.reject_hint {
                next = self.next_by_reject_hint(next, r);
            }
            self.tracker.become_probe(pos, next.max(matched + 1));
            self.replicate_to(pos);
            return Ok(());
        }
        // A success below what the peer already acknowledged is a stale
        // copy: nothing to learn, and no new probe for it.
        if r.current_idx < matched {
            return Ok(());
        }
        self.tracker.set_probe_paused(pos, false);
        if self.tracker.is_catching_up(pos) {
            self.maybe_report_sufficient_logs(from, r.current_idx);
        }
        // The callback above may have changed the membership.
        let Some(pos) = self.tracker.pos(from) else { return Ok(()) };
        self.tracker.acknowledged(pos, r.current_idx);
        if self.tracker.repl_state(pos) != ReplicationState::Replicate && r.current_idx >= self.log.base() {
            self.tracker.become_replicate(pos);
        }
        if r.current_idx > matched {
            self.commit_up_to(r.current_idx);
        }
        if let Some(pos) = self.tracker.pos(from) {
            self.replicate_to(pos);
        }
        Ok(())
    }
}
