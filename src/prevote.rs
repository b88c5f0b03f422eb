//! Pre-vote (thesis §9.6): a server whose election timer fires first asks
//! the voters whether they would vote for it in the next term, without
//! raising its term or anyone's; only when a majority would does it start a
//! real election. A server cut off from the cluster therefore never raises
//! its term, and cannot disrupt the cluster when it comes back. Voters
//! answer a pre-vote as they would a vote (log up to date, leader
//! stickiness), but change nothing: no term, no vote, no timer.

use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Starts a pre-vote round: state PreCandidate, our term unchanged, a
    /// fresh randomized timeout, and a pre-vote RequestVote (for our term + 1)
    /// to every other voter. A majority of grants (our own counted) starts
    /// the real election.
    pub fn become_precandidate(&mut self) -> RaftResult {
        if self.current_term >= MAX_TERM {
            return Err(err::INVALID);
        }
        log_msg!(self, Info, None, "becoming pre-candidate for term {}", self.current_term + 1);
        self.stats.prevotes_started += 1;
        self.tracker.reset_votes();
        self.current_leader = NO_NODE;
        self.timers.randomize();
        self.timers.reset();
        self.change_state(State::PreCandidate);
        let msg = RequestVote {
            term: self.current_term + 1,
            candidate_id: self.node_id(),
            last_log_idx: self.current_idx(),
            last_log_term: self.last_log_term(),
            prevote: true,
            transfer: false,
        };
        let mut pos = 0;
        while let Some(id) = self.tracker.id_at(pos) {
            if id != self.tracker.self_id() && self.tracker.is_voter_at(pos) {
                self.stats.requestvotes_sent += 1;
                // A transport error for one peer must not stop the round.
                let _ = H::send_requestvote(self, id, &msg);
            }
            pos += 1;
        }
        if self.is_precandidate() && self.tracker.vote_won(true) {
            return self.become_candidate();
        }
        Ok(())
    }

    /// Voter side of a pre-vote: granted when the candidate's term would be
    /// newer than ours, no leader is heard from (stickiness), and its log is
    /// at least as up to date as ours. Nothing of ours changes.
    pub(crate) fn recv_prevote(&mut self, rv: &RequestVote, resp: &mut RequestVoteResponse) {
        let log_ok = {
            let my_last_term = self.last_log_term();
            rv.last_log_term > my_last_term || (rv.last_log_term == my_last_term && rv.last_log_idx >= self.current_idx())
        };
        let granted = rv.term > self.current_term && !self.refuses_votes_for(rv.candidate_id) && log_ok;
        resp.vote_granted = if granted { vote::GRANTED } else { vote::NOT_GRANTED };
        log_msg!(self, Debug, None, "pre-vote from {} for term {}: granted {}", rv.candidate_id, rv.term, resp.vote_granted);
    }

    /// Pre-candidate side: an answer to our pre-vote. A higher term makes us
    /// a follower (Figure 2); answers to another round are ignored; a
    /// majority of grants starts the real election.
    pub(crate) fn recv_prevote_response(&mut self, from: Option<NodeId>, r: &RequestVoteResponse) -> RaftResult {
        if self.observe_term(r.term, NO_NODE)? {
            return Ok(());
        }
        if !self.is_precandidate() || r.request_term != self.current_term + 1 {
            return Ok(());
        }
        match r.vote_granted {
            vote::GRANTED => {
                if let Some(pos) = from.and_then(|id| self.tracker.pos(id)) {
                    self.tracker.record_vote(pos);
                }
                if self.tracker.vote_won(true) {
                    return self.become_candidate();
                }
            }
            vote::UNKNOWN_NODE if self.tracker.self_is_being_removed() => return Err(err::SHUTDOWN),
            _ => {}
        }
        Ok(())
    }
}
