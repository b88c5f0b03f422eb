//! Leadership transfer (thesis §3.10): the leader stops accepting new
//! entries, brings the target's log up to date, and sends it TimeoutNow; the
//! target starts an election at once, and voters set leader stickiness aside
//! for that one election (its RequestVotes say it is a transfer). The
//! transfer ends with an event: the target leads (completed), another server
//! leads, the target left the voters, or the timeout passed.

use crate::host::Host;
use crate::server::Server;
use crate::types::*;

/// A transfer in progress.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transfer {
    pub target: NodeId,
    /// Server clock at which it times out.
    pub deadline: i64,
    /// When the last TimeoutNow was sent (server clock), if one was.
    pub timeoutnow_sent_at: Option<i64>,
}

impl<H: Host> Server<H> {
    /// Starts handing leadership to `target` (NO_NODE: the voter whose log
    /// is the most up to date), giving up after `timeout_ms` (0: one election
    /// timeout). Until the transfer ends, new entries are refused with
    /// LEADER_TRANSFER_IN_PROGRESS. Errors: NOT_LEADER;
    /// LEADER_TRANSFER_IN_PROGRESS if one is under way; INVALID if the target
    /// is ourselves, not a voter, there is none, the timeout is negative, or
    /// the host does not support transfers.
    pub fn transfer_leader(&mut self, target: NodeId, timeout_ms: i64) -> RaftResult {
        if !self.is_leader() {
            return Err(err::NOT_LEADER);
        }
        if self.transfer.is_some() {
            return Err(err::LEADER_TRANSFER_IN_PROGRESS);
        }
        if timeout_ms < 0 || !H::supports_transfer(self) {
            return Err(err::INVALID);
        }
        let me = self.tracker.self_id();
        let target = if target == NO_NODE {
            let best = self.tracker.voters().filter(|&p| self.tracker.id_at(p) != Some(me)).max_by_key(|&p| self.tracker.match_idx(p));
            match best.and_then(|p| self.tracker.id_at(p)) {
                Some(id) => id,
                None => return Err(err::INVALID),
            }
        } else {
            target
        };
        match self.tracker.pos(target) {
            Some(p) if target != me && self.tracker.is_voter_at(p) => {}
            _ => return Err(err::INVALID),
        }
        let timeout = if timeout_ms == 0 { self.timers.election_timeout as i64 } else { timeout_ms };
        self.transfer = Some(Transfer { target, deadline: self.timers.now.saturating_add(timeout), timeoutnow_sent_at: None });
        self.stats.transfers_started += 1;
        log_msg!(self, Info, Some(target), "leadership transfer to {} started", target);
        if let Some(p) = self.tracker.pos(target) {
            if self.tracker.match_idx(p) >= self.current_idx() {
                self.send_timeoutnow(target);
            } else {
                // Bring it up to date now rather than at the next heartbeat.
                let _ = self.send_appendentries(target);
            }
        }
        Ok(())
    }

    /// The target of the transfer in progress, or NO_NODE.
    pub fn transfer_target(&self) -> NodeId {
        self.transfer.map(|t| t.target).unwrap_or(NO_NODE)
    }

    /// Whether new entries must wait for a transfer to end.
    pub(crate) fn transfer_blocks_entries(&self) -> bool {
        self.transfer.is_some() && self.is_leader()
    }

    /// Sends TimeoutNow to `target`; from then on this term holds no lease.
    fn send_timeoutnow(&mut self, target: NodeId) {
        self.give_up_lease();
        let now = self.timers.now;
        if let Some(t) = self.transfer.as_mut() {
            t.timeoutnow_sent_at = Some(now);
        }
        self.stats.timeoutnows_sent += 1;
        log_msg!(self, Info, Some(target), "sending timeoutnow term {}", self.current_term);
        let msg = TimeoutNow { term: self.current_term };
        // A lost TimeoutNow is sent again on a later response of the target.
        let _ = H::send_timeoutnow(self, target, &msg);
    }

    /// Leader: an AppendEntries response from the member at `pos`. Once the
    /// target holds our whole log it gets TimeoutNow (again after a request
    /// timeout, in case it was lost).
    pub(crate) fn transfer_progress(&mut self, pos: usize, r: &AppendEntriesResponse) {
        let Some(t) = self.transfer else { return };
        if !self.is_leader() || self.tracker.id_at(pos) != Some(t.target) || !r.success || r.current_idx < self.current_idx() {
            return;
        }
        let resend_after = self.timers.request_timeout as i64;
        if t.timeoutnow_sent_at.is_none_or(|at| self.timers.now - at >= resend_after) {
            self.send_timeoutnow(t.target);
        }
    }

    /// Ends the transfer in progress with `result`.
    fn end_transfer(&mut self, result: TransferResult) {
        if self.transfer.take().is_some() {
            if result == TransferResult::ExpectedLeader {
                self.stats.transfers_completed += 1;
            }
            log_msg!(self, Info, None, "leadership transfer ended: {:?}", result);
            H::notify_transfer_event(self, result);
        }
    }

    /// We learnt that `leader` leads (a message of its term, or we won an
    /// election): a transfer in progress ends.
    #[cold]
    #[inline(never)]
    pub(crate) fn transfer_observe_leader(&mut self, leader: NodeId) {
        if let Some(t) = self.transfer {
            if leader == t.target {
                self.end_transfer(TransferResult::ExpectedLeader);
            } else if leader != NO_NODE {
                self.end_transfer(TransferResult::UnexpectedLeader);
            }
        }
    }

    /// From `periodic`: the transfer times out, or ends because its target
    /// is no longer a voter.
    #[cold]
    #[inline(never)]
    pub(crate) fn transfer_tick(&mut self) {
        let Some(t) = self.transfer else { return };
        if !self.tracker.pos(t.target).is_some_and(|p| self.tracker.is_voter_at(p)) {
            self.end_transfer(TransferResult::TargetLeft);
        } else if self.timers.now >= t.deadline {
            self.end_transfer(TransferResult::Timeout);
        }
    }

    /// Target side: the leader of `msg.term` asks us to start an election at
    /// once (thesis §3.10). Ignored unless we are in that term, a voter,
    /// and not the leader (a late TimeoutNow cannot disturb a later term).
    /// The election skips pre-vote, and its RequestVotes tell voters to set
    /// stickiness aside.
    pub fn recv_timeoutnow(&mut self, from: Option<NodeId>, msg: &TimeoutNow) -> RaftResult {
        if !is_valid_term(msg.term) {
            return Err(err::INVALID);
        }
        self.stats.timeoutnows_received += 1;
        if msg.term != self.current_term || self.is_leader() || !self.tracker.self_is_voter() || self.has_fault(crate::fault::IGNORE_TIMEOUTNOW) {
            log_msg!(self, Debug, from, "timeoutnow term {} ignored (term {})", msg.term, self.current_term);
            return Ok(());
        }
        self.timeout_now()
    }

    /// Starts an election at once, as a TimeoutNow does: no pre-vote, and
    /// its RequestVotes ask voters to set stickiness aside (RedisLabs'
    /// `raft_timeout_now`; it does not check that a leader asked for it).
    pub fn timeout_now(&mut self) -> RaftResult {
        if self.is_leader() {
            return Ok(());
        }
        self.stats.elections_by_timeoutnow += 1;
        self.campaign_by_transfer = true;
        let r = self.election_start();
        self.campaign_by_transfer = false;
        if self.is_candidate() && self.tracker.vote_won(self.voted_for_self()) {
            self.become_leader();
        }
        r
    }
}
