//! Terms, votes and role changes: the persistent state of Figure 2 and the
//! one rule every message obeys ("Rules for Servers, All Servers": a higher
//! term makes us a follower of that term, §5.1). Every message handler and
//! the snapshot loader call [`Server::observe_term`]; nothing else lowers a
//! server to follower because of a term.

use crate::fault;
use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// The term rule (Figure 2, All Servers; §5.1): if `term` is newer than
    /// ours, persist it with no vote (`persist_term(term, -1)`), then adopt
    /// it, clear the vote and become a follower of `leader` (or of no known
    /// leader). If persisting fails nothing changes. Returns whether the term
    /// was newer.
    #[inline(always)]
    pub(crate) fn observe_term(&mut self, term: Term, leader: NodeId) -> RaftResult<bool> {
        if term <= self.current_term {
            return Ok(false);
        }
        self.adopt_newer_term(term, leader)
    }

    /// [`Server::observe_term`] for a newer term.
    #[cold]
    #[inline(never)]
    fn adopt_newer_term(&mut self, term: Term, leader: NodeId) -> RaftResult<bool> {
        self.set_current_term(term)?;
        self.become_follower();
        self.current_leader = leader;
        Ok(true)
    }

    /// Moves to a higher term, clearing the vote, once `persist_term` has
    /// recorded it; if that fails nothing changes. Lower or equal terms are
    /// ignored. The role is left as it is (willemt's `raft_set_current_term`).
    pub fn set_current_term(&mut self, term: Term) -> RaftResult {
        if term > MAX_TERM {
            return Err(err::INVALID);
        }
        if self.current_term < term {
            let e = H::persist_term(self, term, NO_NODE);
            if e != 0 {
                return Err(e);
            }
            self.current_term = term;
            self.voted_for = NO_NODE;
            self.stats.term_changes += 1;
        }
        Ok(())
    }

    /// Records our vote for `id` (-1 clears it) once `persist_vote` has
    /// recorded it (Figure 2: votedFor is persistent state).
    pub fn vote_for(&mut self, id: NodeId) -> RaftResult {
        let e = if self.has_fault(fault::SKIP_PERSIST_VOTE) { 0 } else { H::persist_vote(self, id) };
        if e != 0 {
            return Err(e);
        }
        self.voted_for = id;
        Ok(())
    }

    /// Steps down (or stays) a follower with a fresh election timeout.
    pub fn become_follower(&mut self) {
        log_msg!(self, Info, None, "becoming follower");
        self.timers.randomize();
        self.timers.reset();
        self.change_state(State::Follower);
    }

    /// Forces the role (tests, simulators). Becoming leader this way makes us
    /// the current leader.
    pub fn set_state(&mut self, state: State) {
        if state == State::Leader {
            self.current_leader = self.tracker.self_id();
        }
        self.change_state(state);
    }

    /// The one place the role changes. Leaving leadership fails the reads
    /// that were waiting for it to be confirmed (thesis §6.4); a change is
    /// reported through `notify_state_event` once it is in place. (Kept out
    /// of line: rare, and it would make every message's term check larger.)
    #[inline(never)]
    pub(crate) fn change_state(&mut self, state: State) {
        let old = self.state;
        if old == state {
            return;
        }
        self.state = state;
        if old == State::Leader {
            self.reads.leadership_lost();
        }
        H::notify_state_event(self, state);
    }
}
