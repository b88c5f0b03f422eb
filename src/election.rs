//! Timers, elections and votes (paper §5.2 and Figure 2 "RequestVote RPC",
//! "Rules for Servers: Followers / Candidates").

use crate::host::Host;
use crate::quorum::votes_is_majority;
use crate::server::{fault, Server};
use crate::types::*;

impl<H: Host> Server<H> {
    /// Advances the clock by `msec`: a leader heartbeats every request
    /// timeout, anyone else starts an election when its randomized election
    /// timeout has passed; then committed entries are applied through
    /// `log_apply`. Returns the first error a callback reported.
    pub fn periodic(&mut self, msec: i32) -> RaftResult {
        self.timeout_elapsed = self.timeout_elapsed.saturating_add(msec.max(0));

        if self.is_leader() {
            if self.request_timeout <= self.timeout_elapsed {
                // A transport error is not the server's: the next heartbeat retries.
                let _ = self.send_appendentries_all();
            }
        } else if self.is_lone_voter() {
            // A lone voter needs nobody's vote (willemt: become leader at once).
            self.become_candidate()?;
            if votes_is_majority(self.num_voting_nodes(), self.nvotes_for_me()) {
                self.become_leader();
            }
        } else if self.election_timeout_rand <= self.timeout_elapsed && !self.snapshot_in_progress {
            // A server being demoted or removed by an uncommitted entry still
            // campaigns: it may be needed until that entry commits (thesis §4.1).
            if self.is_active_voter() || self.my_demotion_is_pending() {
                self.election_start()?;
            }
        }

        if self.last_applied_idx < self.commit_idx && self.is_apply_allowed() {
            self.apply_all()?;
        }
        Ok(())
    }

    /// Whether we are the only active voter (stops at a second voter).
    fn is_lone_voter(&self) -> bool {
        let (mut voters, mut me) = (0, false);
        for n in self.nodes.iter() {
            if n.is_active() && n.is_voting() {
                voters += 1;
                if voters == 2 {
                    return false;
                }
                me = n.id() == self.self_id;
            }
        }
        voters == 1 && me
    }

    /// Whether we are an active voter in our latest configuration.
    pub(crate) fn is_active_voter(&self) -> bool {
        self.my_node().is_some_and(|n| n.is_voting() && n.is_active())
    }

    /// Starts an election (willemt's `raft_election_start`).
    pub fn election_start(&mut self) -> RaftResult {
        log_msg!(self, None, "election starting: timeout {} elapsed {} term {} ci {}",
                self.election_timeout_rand,
                self.timeout_elapsed,
                self.current_term,
                self.current_idx());
        self.become_candidate()
    }

    /// Candidate rule (Figure 2): increment the term, vote for self, reset the
    /// election timer, send RequestVote to every other voter. The new term and
    /// the vote are persisted first; if that fails we stay as we were.
    pub fn become_candidate(&mut self) -> RaftResult {
        log_msg!(self, None, "becoming candidate");
        self.set_current_term(self.current_term + 1)?;
        for n in self.nodes.iter_mut() {
            n.vote_for_me(false);
        }
        let me = if self.my_node().is_some() { self.self_id } else { NO_NODE };
        self.vote_for(me)?;
        self.current_leader = NO_NODE;
        self.state = State::Candidate;
        self.randomize_election_timeout();
        self.timeout_elapsed = 0;
        let mut i = 0;
        while let Some(n) = self.nodes.get(i) {
            let (id, wanted) = (n.id(), n.id() != self.self_id && n.is_active() && n.is_voting());
            if wanted {
                // A transport error for one peer must not stop the campaign.
                let _ = self.send_requestvote(id);
            }
            i += 1;
        }
        Ok(())
    }

    /// Leader rule: initialise `nextIndex`/`matchIndex` and assert leadership
    /// with an AppendEntries to every node.
    pub fn become_leader(&mut self) {
        log_msg!(self, None, "becoming leader term:{}", self.current_term);
        self.state = State::Leader;
        self.current_leader = self.self_id;
        self.timeout_elapsed = 0;
        let next = self.current_idx() + 1;
        let mut i = 0;
        while let Some(n) = self.nodes.get_mut(i) {
            i += 1;
            if n.id() == self.self_id {
                continue;
            }
            n.set_next_idx(next);
            n.set_match_idx(0);
            // Nodes being removed (inactive) are still sent the log, so that
            // they learn of their removal instead of campaigning.
            let id = n.id();
            // An error here is the host's transport failing; heartbeats retry.
            let _ = self.send_appendentries(id);
        }
    }

    /// Steps down (or stays) a follower with a fresh election timeout.
    pub fn become_follower(&mut self) {
        log_msg!(self, None, "becoming follower");
        self.state = State::Follower;
        self.randomize_election_timeout();
        self.timeout_elapsed = 0;
    }

    /// Sends a RequestVote for our candidacy to `node`.
    pub fn send_requestvote(&mut self, node: NodeId) -> RaftResult {
        if self.node(node).is_none() {
            return Err(err::INVALID);
        }
        let msg = RequestVote {
            term: self.current_term,
            candidate_id: self.node_id(),
            last_log_idx: self.current_idx(),
            last_log_term: self.last_log_term(),
        };
        log_msg!(self, Some(node), "sending requestvote term:{} ci:{}", msg.term, msg.last_log_idx);
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
    fn should_grant_vote(&self, rv: &RequestVote) -> bool {
        if rv.term < self.current_term {
            return false;
        }
        if self.voted_for != NO_NODE && self.voted_for != rv.candidate_id {
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
        let known = from.is_some() || self.node(rv.candidate_id).is_some();
        resp.vote_granted = vote::NOT_GRANTED;
        if !known && self.removed_ids.contains(&rv.candidate_id) {
            // A server we removed that missed its removal: tell it, and do not
            // let its term disturb the cluster.
            resp.vote_granted = vote::UNKNOWN_NODE;
            resp.term = self.current_term;
            return Ok(());
        }
        let result = self.recv_requestvote_inner(rv, resp);
        if resp.vote_granted != vote::GRANTED && !known {
            resp.vote_granted = vote::UNKNOWN_NODE;
        }
        resp.term = self.current_term;
        result
    }

    fn recv_requestvote_inner(&mut self, rv: &RequestVote, resp: &mut RequestVoteResponse) -> RaftResult {
        if self.current_term < rv.term {
            self.set_current_term(rv.term)?;
            self.become_follower();
            self.current_leader = NO_NODE;
        }
        if self.should_grant_vote(rv) {
            self.vote_for(rv.candidate_id)?;
            resp.vote_granted = vote::GRANTED;
            // There must be an election going on.
            self.current_leader = NO_NODE;
            self.timeout_elapsed = 0;
        }
        log_msg!(self, None, "requestvote from {} term {}: granted {}", rv.candidate_id, rv.term, resp.vote_granted);
        Ok(())
    }

    /// Handles the answer to our RequestVote from `from`.
    pub fn recv_requestvote_response(&mut self, from: Option<NodeId>, r: &RequestVoteResponse) -> RaftResult {
        if self.current_term < r.term {
            self.set_current_term(r.term)?;
            self.become_follower();
            self.current_leader = NO_NODE;
            return Ok(());
        }
        if !self.is_candidate() || self.current_term != r.term {
            // Not campaigning, or an answer from an earlier election.
            return Ok(());
        }
        match r.vote_granted {
            vote::GRANTED => {
                if let Some(id) = from {
                    if let Some(n) = self.node_mut(id) {
                        n.vote_for_me(true);
                    }
                }
                if votes_is_majority(self.num_voting_nodes(), self.nvotes_for_me()) {
                    self.become_leader();
                }
            }
            vote::UNKNOWN_NODE => {
                if let Some(me) = self.my_node() {
                    if me.is_voting() && !me.is_active() {
                        return Err(err::SHUTDOWN);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
