//! The clock, elections and votes (paper §5.2; Figure 2 "RequestVote RPC",
//! "Rules for Servers: Followers / Candidates").

use crate::fault;
use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Advances the clock by `msec`: a leader heartbeats every request
    /// timeout, anyone else starts an election when its randomized election
    /// timeout has passed; then committed entries are applied through
    /// `log_apply`. Returns the first error a callback reported.
    pub fn periodic(&mut self, msec: i32) -> RaftResult {
        let msec = msec.max(0);
        self.timers.elapsed = self.timers.elapsed.saturating_add(msec);
        self.timers.now += msec as i64; // (2^63 ms: no overflow in practice)
        if self.opts.check_quorum {
            self.timers.since_leader = self.timers.since_leader.saturating_add(msec);
        }

        if self.is_leader() {
            if self.opts.check_quorum && self.check_quorum_tick(msec) {
                // Stepped down: no heartbeat.
            } else if self.timers.request_timeout <= self.timers.elapsed {
                // A transport error is not the server's: the next heartbeat retries.
                let _ = self.send_appendentries_all();
            }
        } else if self.tracker.self_is_lone_voter() && !self.lone_voter_waits() {
            // A lone voter needs nobody's vote (willemt: become leader at once).
            self.become_candidate()?;
            if self.tracker.vote_won(self.voted_for_self()) {
                self.become_leader();
            }
        } else if self.timers.election_timeout_rand <= self.timers.elapsed && !self.snapshot.in_progress {
            // A server being demoted or removed by an uncommitted entry still
            // campaigns: it may be needed until that entry commits (thesis §4.1).
            if self.tracker.self_is_voter() || self.tracker.own_demotion_pending(self.commit_idx) {
                if self.opts.prevote && !self.has_fault(crate::fault::SKIP_PREVOTE) {
                    self.become_precandidate()?;
                } else {
                    self.election_start()?;
                }
            }
        }

        self.apply_all()?;
        if self.transfer.is_some() | !self.reads.is_empty() {
            self.periodic_extensions();
        }
        Ok(())
    }

    /// The extensions' share of `periodic`: a transfer may end, reads time
    /// out, move on and are answered.
    #[cold]
    #[inline(never)]
    fn periodic_extensions(&mut self) {
        if self.transfer.is_some() {
            self.transfer_tick();
        }
        if !self.reads.is_empty() {
            self.expire_reads();
            self.advance_reads();
            self.deliver_reads();
        }
    }

    /// Starts an election (willemt's `raft_election_start`).
    pub fn election_start(&mut self) -> RaftResult {
        log_msg!(self, Info, None, "election starting: timeout {} elapsed {} term {} ci {}",
                self.timers.election_timeout_rand,
                self.timers.elapsed,
                self.current_term,
                self.current_idx());
        self.become_candidate()
    }

    /// Candidate rule (Figure 2): increment the term, vote for self, reset the
    /// election timer, send RequestVote to every other voter. The new term and
    /// the vote are persisted first; if that fails we stay as we were.
    pub fn become_candidate(&mut self) -> RaftResult {
        log_msg!(self, Info, None, "becoming candidate");
        self.set_current_term(self.current_term + 1)?;
        self.tracker.reset_votes();
        let me = self.node_id();
        self.vote_for(me)?;
        self.stats.elections_started += 1;
        self.current_leader = NO_NODE;
        self.timers.randomize();
        self.timers.reset();
        self.change_state(State::Candidate);
        let mut pos = 0;
        while let Some(id) = self.tracker.id_at(pos) {
            if id != self.tracker.self_id() && self.tracker.is_voter_at(pos) {
                // A transport error for one peer must not stop the campaign.
                let _ = self.send_requestvote(id);
            }
            pos += 1;
        }
        Ok(())
    }

    /// Leader rule: initialise `nextIndex`/`matchIndex` and assert leadership
    /// with an AppendEntries to every node, including nodes being removed
    /// (inactive), so that they learn of their removal instead of campaigning.
    pub fn become_leader(&mut self) {
        log_msg!(self, Info, None, "becoming leader term:{}", self.current_term);
        self.stats.elections_won += 1;
        self.current_leader = self.tracker.self_id();
        self.timers.reset();
        self.tracker.reset_progress(self.current_idx() + 1);
        self.load.uncommitted_bytes = 0;
        self.reads_became_leader();
        self.check_quorum_reset();
        self.change_state(State::Leader);
        self.transfer_observe_leader(self.tracker.self_id());
        if self.opts.noop_on_election {
            self.append_noop();
        }
        let mut pos = 0;
        while let Some(id) = self.tracker.id_at(pos) {
            pos += 1;
            if id == self.tracker.self_id() {
                continue;
            }
            if self.tracker.pipelining() {
                self.replicate_to(pos - 1);
            } else {
                // An error here is the host's transport failing; heartbeats retry.
                let _ = self.send_appendentries(id);
            }
        }
    }

    /// Sends a RequestVote for our candidacy to `node`.
    pub fn send_requestvote(&mut self, node: NodeId) -> RaftResult {
        if !self.tracker.contains(node) {
            return Err(err::INVALID);
        }
        let msg = RequestVote {
            term: self.current_term,
            candidate_id: self.node_id(),
            last_log_idx: self.current_idx(),
            last_log_term: self.last_log_term(),
            prevote: false,
            transfer: self.campaign_by_transfer,
        };
        self.stats.requestvotes_sent += 1;
        log_msg!(self, Debug, Some(node), "sending requestvote term:{} ci:{}", msg.term, msg.last_log_idx);
        match H::send_requestvote(self, node, &msg) {
            0 => Ok(()),
            e => Err(e),
        }
    }

    /// Whether a RequestVote may be granted (Figure 2, RequestVote receiver
    /// rules 1 and 2; §5.4.1 election restriction). The candidate decides
    /// whose votes count, so granting is always safe, and a server does not
    /// consult its own configuration, which may be stale: a server that its
    /// log says is non-voting may have been promoted by entries it lacks, and
    /// refusing would leave the cluster without a leader (thesis §4.1).
    /// The vote already given is given again only to a request that comes
    /// from the candidate itself (`sender`): the answer goes to the sender,
    /// which would count it as a second vote of ours in this term.
    fn should_grant_vote(&self, rv: &RequestVote, sender: NodeId) -> bool {
        if rv.term < self.current_term {
            return false;
        }
        if self.voted_for != NO_NODE && (self.voted_for != rv.candidate_id || sender != rv.candidate_id) {
            return false;
        }
        if self.has_fault(fault::NO_LOG_CHECK_ON_VOTE) {
            return true;
        }
        let my_last_term = self.last_log_term();
        rv.last_log_term > my_last_term
            || (rv.last_log_term == my_last_term && rv.last_log_idx >= self.current_idx())
    }

    /// Handles a RequestVote from `from` (or from `rv.candidate_id` when the
    /// host does not know the sender) and fills the response. A candidate we
    /// do not know is treated like any other (it may have been added by
    /// entries we lack); if refused it is told UNKNOWN_NODE, so that a
    /// removed server can learn it was removed.
    pub fn recv_requestvote(&mut self, from: Option<NodeId>, rv: &RequestVote, resp: &mut RequestVoteResponse) -> RaftResult {
        if !is_valid_term(rv.term) || !is_valid_term(rv.last_log_term) || !is_valid_index(rv.last_log_idx) {
            return Err(err::INVALID);
        }
        self.stats.requestvotes_received += 1;
        let known = from.is_some() || self.tracker.contains(rv.candidate_id);
        let prevote = rv.prevote && self.opts.prevote;
        resp.vote_granted = vote::NOT_GRANTED;
        resp.prevote = prevote;
        resp.request_term = rv.term;
        if !known && self.tracker.was_removed(rv.candidate_id) {
            // A server we removed that missed its removal: tell it, and do not
            // let its term disturb the cluster (thesis §4.2.3).
            resp.vote_granted = vote::UNKNOWN_NODE;
            resp.term = self.current_term;
            return Ok(());
        }
        if prevote {
            self.recv_prevote(rv, resp);
            if resp.vote_granted != vote::GRANTED && !known {
                resp.vote_granted = vote::UNKNOWN_NODE;
            }
            resp.term = self.current_term;
            return Ok(());
        }
        // A candidate of a leadership transfer: the leader itself asked for
        // this election, stickiness does not apply (thesis §3.10).
        let transfer = rv.transfer && H::supports_transfer(self);
        if !transfer && self.refuses_votes_for(rv.candidate_id) {
            // Leader stickiness (thesis §4.2.3): neither the term nor the vote
            // changes while a current leader is heard from.
            log_msg!(self, Debug, None, "requestvote from {} term {}: refused, leader {} is current", rv.candidate_id, rv.term, self.current_leader);
            resp.term = self.current_term;
            return Ok(());
        }
        let result = self.recv_requestvote_inner(from.unwrap_or(rv.candidate_id), rv, resp);
        if resp.vote_granted != vote::GRANTED && !known {
            resp.vote_granted = vote::UNKNOWN_NODE;
        }
        resp.term = self.current_term;
        result
    }

    /// Leader stickiness (thesis §4.2.3): whether we heard from a current
    /// leader other than `candidate` within the minimum election timeout (a
    /// leader hears from itself). Such a server disregards RequestVotes, so
    /// that a server that cannot hear the leader cannot disrupt the cluster.
    pub(crate) fn hears_from_leader(&self, candidate: NodeId) -> bool {
        self.current_leader != NO_NODE
            && self.current_leader != candidate
            && self.timers.elapsed < self.timers.election_timeout
    }

    fn recv_requestvote_inner(&mut self, sender: NodeId, rv: &RequestVote, resp: &mut RequestVoteResponse) -> RaftResult {
        self.observe_term(rv.term, NO_NODE)?;
        if self.should_grant_vote(rv, sender) {
            self.vote_for(rv.candidate_id)?;
            resp.vote_granted = vote::GRANTED;
            // There must be an election going on.
            self.current_leader = NO_NODE;
            self.timers.reset();
        }
        log_msg!(self, Debug, None, "requestvote from {} term {}: granted {}", rv.candidate_id, rv.term, resp.vote_granted);
        Ok(())
    }

    /// Handles the answer to our RequestVote from `from`.
    pub fn recv_requestvote_response(&mut self, from: Option<NodeId>, r: &RequestVoteResponse) -> RaftResult {
        if !is_valid_term(r.term) {
            return Err(err::INVALID);
        }
        self.stats.requestvote_responses_received += 1;
        if r.prevote && self.opts.prevote {
            return self.recv_prevote_response(from, r);
        }
        if self.observe_term(r.term, NO_NODE)? {
            return Ok(());
        }
        if !self.is_candidate() || self.current_term != r.term {
            // Not campaigning, or an answer from an earlier election.
            return Ok(());
        }
        match r.vote_granted {
            vote::GRANTED => {
                if let Some(pos) = from.and_then(|id| self.tracker.pos(id)) {
                    self.tracker.record_vote(pos);
                }
                if self.tracker.vote_won(self.voted_for_self()) {
                    self.become_leader();
                }
            }
            // We are being removed and the voter already applied it.
            vote::UNKNOWN_NODE if self.tracker.self_is_being_removed() => {
                log_msg!(self, Warning, from, "a voter no longer knows us: our removal is applied, shutting down");
                return Err(err::SHUTDOWN);
            }
            _ => {}
        }
        Ok(())
    }
}
