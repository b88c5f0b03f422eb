//! Check-quorum (thesis §6.2, the leader's side of leader stickiness): a
//! leader that has not heard from a majority of the voters within an
//! election timeout steps down, so that clients stop waiting on a leader cut
//! off from its cluster; and a server refuses votes while it hears from a
//! leader, counting from its own start when it has heard from none (which
//! lease reads rely on: see `read_only.rs`).

use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Leader, check-quorum on, `msec` later: every election timeout, step
    /// down unless a majority of the voters (ourselves included) answered
    /// since the last check. A leader cut off at any time therefore steps
    /// down within two election timeouts. Returns whether it stepped down.
    pub(crate) fn check_quorum_tick(&mut self, msec: i32) -> bool {
        self.timers.quorum_check = self.timers.quorum_check.saturating_add(msec);
        if self.timers.quorum_check < self.timers.election_timeout {
            return false;
        }
        self.timers.quorum_check = 0;
        if self.tracker.quorum_active() || self.has_fault(crate::fault::NO_CHECK_QUORUM_STEPDOWN) {
            self.tracker.reset_recent_active();
            return false;
        }
        log_msg!(self, Warning, None, "check-quorum: no majority heard from in an election timeout, stepping down");
        self.stats.check_quorum_stepdowns += 1;
        self.become_follower();
        self.current_leader = NO_NODE;
        true
    }

    /// With check-quorum, a lone voter does not elect itself at once while a
    /// leader was heard from (or the server started) less than an election
    /// timeout ago: it may have acknowledged that leader's lease (its own
    /// configuration can make it a lone voter by an entry the leader sent,
    /// e.g. the leader's own removal), and electing itself at once would cut
    /// the lease short.
    pub(crate) fn lone_voter_waits(&self) -> bool {
        self.opts.check_quorum && self.timers.since_leader < self.timers.election_timeout
    }

    /// A new leader's check-quorum period starts now, nobody heard from.
    pub(crate) fn check_quorum_reset(&mut self) {
        self.timers.quorum_check = 0;
        self.tracker.reset_recent_active();
    }

    /// Leader stickiness (thesis §4.2.3): whether a vote (or pre-vote) for
    /// `candidate` is refused because a current leader is heard from.
    /// Always (willemt's rule): we know a leader other than the candidate
    /// and heard from it within the minimum election timeout (a leader hears
    /// from itself). With check-quorum, also when the last leader we heard
    /// from (or our own start, if we heard from none) is less than an
    /// election timeout ago: a follower that acknowledged a leader, even one
    /// restarted since, cannot help elect another before that leader's lease
    /// has lapsed.
    pub(crate) fn refuses_votes_for(&self, candidate: NodeId) -> bool {
        self.hears_from_leader(candidate)
            || (self.opts.check_quorum
                && self.current_leader != candidate
                && self.timers.since_leader < self.timers.election_timeout)
    }
}
