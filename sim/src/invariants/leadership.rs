//! The invariants of the leadership extensions:
//!
//! - Pre-Vote Term Stability (`--prevote`): while the network is split, no
//!   server of a group that holds no majority of anyone's voters raises its
//!   term above the highest term the group had at the split (it cannot win
//!   a pre-vote there, so it never starts an election; and when it rejoins
//!   it has raised no term) — except that a pre-vote round already under way
//!   at the split may still be won with grants from before it: a
//!   pre-candidate of term T may reach T + 1 (and its vote requests take
//!   the group there), never further; the group's highest term counts its
//!   members that are down (their disks' terms) and the messages already on
//!   the wire between its members; and the target of a leadership
//!   transfer campaigns without pre-vote (thesis §3.10), so a TimeoutNow
//!   delivered in the group lets its term rise to the target's new term.
//! - Check-Quorum Step-Down (`--check-quorum`): a leader cut off from a
//!   majority of its voters is no longer leader of that term two election
//!   timeouts (plus one tick) after the split.
//! - Transfer Completion (`--transfer`): every transfer ends with one event;
//!   "completed" only once the target led a later term; a transfer asked for
//!   in a healthy cluster (a liveness window, every voter following the
//!   leader, the target up to date, and five message latencies within an
//!   election timeout) makes the target leader within one election timeout
//!   (+1 tick). (The old leader may report TIMEOUT if it hears of the new
//!   leader only after its own timeout: that is the event's meaning.)

use crate::events::K;
use crate::ffi::c;
use crate::ffi::*;
use crate::invariants::names::*;
use crate::world::*;

/// The voters (voting, active) of a server's own configuration.
fn voters_of(r: *mut raft_server_t) -> Vec<i32> {
    let mut v = Vec::new();
    unsafe {
        for i in 0..raft_get_num_nodes(r) {
            let n = raft_get_node_from_idx(r, i as _);
            if !n.is_null() && raft_node_is_voting(n) != 0 && raft_node_is_active(n) != 0 {
                v.push(raft_node_get_id(n));
            }
        }
    }
    v
}

impl World {
    fn group(&self, id: i32) -> u8 {
        *self.group.get(id as usize).unwrap_or(&0)
    }

    /// Whether the live server at slot `s` sees a majority of its voters in `g`.
    fn sees_quorum_in(&self, s: usize, g: u8) -> bool {
        let v = voters_of(self.servers[s].raft);
        let inside = v.iter().filter(|&&id| self.group(id) == g).count();
        inside * 2 > v.len()
    }

    /// Whether group `g` can elect nobody: every member is up (a down
    /// member's configuration is unknown until it restarts) and none sees a
    /// majority of its own voters in the group.
    fn quorumless(&self, g: u8) -> bool {
        let members: Vec<usize> = (0..self.servers.len()).filter(|&s| self.servers[s].status != Status::Gone && self.group(self.servers[s].id) == g).collect();
        !members.is_empty() && members.iter().all(|&s| self.up(s) && !self.sees_quorum_in(s, g))
    }

    /// The network was just split: remember the groups that cannot elect
    /// and the leaders cut off from a majority.
    pub fn note_split(&mut self) {
        self.ledger.quorumless.clear();
        self.ledger.cut_leaders.clear();
        let bound = 2 * self.cfg.election_timeout as u64 + self.cfg.tick_ms as u64;
        for g in 0..3u8 {
            if !self.quorumless(g) {
                continue;
            }
            let mut max_term = 0;
            for s in 0..self.servers.len() {
                if self.group(self.servers[s].id) != g || self.servers[s].status == Status::Gone {
                    continue;
                }
                if !self.up(s) {
                    // (a member that is down comes back with the term on its disk)
                    max_term = max_term.max(self.servers[s].disk.term);
                    continue;
                }
                let r = self.servers[s].raft;
                // (a round under way may still win with grants from before the split)
                let pre = unsafe { raft_is_precandidate(r) } as i64;
                max_term = max_term.max(unsafe { raft_get_current_term(r) } + pre);
                if unsafe { raft_is_leader(r) } != 0 {
                    let t = unsafe { raft_get_current_term(r) };
                    self.ledger.cut_leaders.push((s, self.servers[s].incarnation, t, self.now + bound));
                }
            }
            // Messages already on the wire inside the group are delivered
            // after the split (e.g. from a member that crashed meanwhile).
            for m in self.net.iter() {
                if self.group(m.from) == g && self.group(m.to) == g {
                    if let Some(t) = m.body.term() {
                        max_term = max_term.max(t);
                    }
                }
            }
            self.ledger.quorumless.push((g, max_term));
        }
    }

    /// A TimeoutNow was handled by slot `s`: its election skips pre-vote, so
    /// its group may reach its new term.
    pub fn note_timeoutnow(&mut self, s: usize) {
        if !self.up(s) {
            return;
        }
        let g = self.group(self.servers[s].id);
        let term = unsafe { raft_get_current_term(self.servers[s].raft) };
        for q in self.ledger.quorumless.iter_mut() {
            if q.0 == g {
                q.1 = q.1.max(term);
            }
        }
    }

    /// The network healed: nothing to hold partitioned servers to any more.
    pub fn note_heal(&mut self) {
        self.ledger.quorumless.clear();
        self.ledger.cut_leaders.clear();
    }

    /// Pre-Vote Term Stability, after a library call on slot `s`.
    pub(super) fn check_prevote_terms(&mut self, s: usize, term: i64) {
        if !self.cfg.prevote || !self.partitioned || self.calm {
            return;
        }
        let g = self.group(self.servers[s].id);
        let Some(&(_, max_term)) = self.ledger.quorumless.iter().find(|(q, _)| *q == g) else { return };
        if term <= max_term {
            return;
        }
        // A configuration appended since (by a leader of the group, still
        // leading) may have given the group a majority: then terms may rise.
        if !self.quorumless(g) {
            self.ledger.quorumless.retain(|(q, _)| *q != g);
            return;
        }
        let id = self.servers[s].id;
        self.fail(
            PREVOTE_TERM_STABILITY,
            format!(
                "server {} raised its term to {} while partitioned in a group that holds no majority (the highest term the group could reach from the split on is {}): pre-vote should have stopped it",
                id, term, max_term
            ),
        );
    }

    /// Check-Quorum Step-Down, once a step.
    pub fn check_stepdowns(&mut self) {
        if !self.cfg.check_quorum || !self.partitioned || self.calm || self.ledger.cut_leaders.is_empty() {
            return;
        }
        let now = self.now;
        let cut = std::mem::take(&mut self.ledger.cut_leaders);
        let mut keep = Vec::new();
        for (s, inc, term, deadline) in cut {
            if !self.up(s) || self.servers[s].incarnation != inc {
                continue;
            }
            let r = self.servers[s].raft;
            let (leader, t) = unsafe { (raft_is_leader(r) != 0, raft_get_current_term(r)) };
            if !leader || t != term {
                self.stats.stepdowns += 1;
                continue;
            }
            // Its own configuration may have changed since (it appended one).
            if self.sees_quorum_in(s, self.group(self.servers[s].id)) {
                continue;
            }
            if now > deadline {
                let id = self.servers[s].id;
                let bound = 2 * self.cfg.election_timeout;
                self.fail(
                    CHECK_QUORUM_STEP_DOWN,
                    format!("server {} still leads term {} more than {} ms (two election timeouts) after being cut off from a majority", id, term, bound),
                );
                return;
            }
            keep.push((s, inc, term, deadline));
        }
        self.ledger.cut_leaders = keep;
    }

    /// A transfer asked of the leader at slot `s` ended with `result`.
    pub fn on_transfer_event(&mut self, s: usize, result: i32) {
        let id = self.servers[s].id;
        let Some(t) = self.servers[s].transfer.take() else {
            return self.fail(TRANSFER_COMPLETION, format!("server {} reported the end of a leadership transfer it was never asked for", id));
        };
        self.ev(K::Transfer, [1, id as i64, t.target as i64, result as i64, 0, 0, 0]);
        let led = self.target_led(&t);
        if result == c::TRANSFER_EXPECTED_LEADER {
            self.stats.transfers_completed += 1;
            if !led {
                self.fail(
                    TRANSFER_COMPLETION,
                    format!("server {} reported its transfer to {} completed, but {} never led a term after {}", id, t.target, t.target, t.term),
                );
            }
        } else if t.deadline.is_some() && !led {
            self.fail(
                TRANSFER_COMPLETION,
                format!("a transfer from server {} to {} in a healthy cluster ended (result {}) without the target leading", id, t.target, result),
            );
        }
    }

    /// Whether the target of transfer `t` led a term after the one it was asked in.
    fn target_led(&self, t: &TransferRec) -> bool {
        self.servers.get(slot_of(t.target)).is_some_and(|sv| sv.led_term > t.term)
    }

    /// Whether the server at slot `l` leads and every voter of its
    /// configuration is up and follows it in its term; without pre-vote,
    /// also that every other server up follows it and that no message on
    /// the wire carries a higher term. (A server outside the configuration,
    /// e.g. one removed that missed its removal, campaigns with ever higher
    /// terms, and its RequestVotes may still be on the wire after it was
    /// retired; the followers' stickiness ignores them, but a transfer's
    /// target stops being sticky once it campaigns and adopts such a term:
    /// thesis §4.2.3 counts on pre-vote against such servers.)
    pub fn follow_leader(&self, l: usize) -> bool {
        if !self.up(l) {
            return false;
        }
        let r = self.servers[l].raft;
        if unsafe { raft_is_leader(r) } == 0 {
            return false;
        }
        let (me, term) = (self.servers[l].id, unsafe { raft_get_current_term(r) });
        let follows = |t: usize| {
            self.up(t) && unsafe { raft_get_current_term(self.servers[t].raft) == term && raft_get_current_leader(self.servers[t].raft) == me }
        };
        let voters = voters_of(r);
        if !voters.iter().all(|&id| id == me || follows(slot_of(id))) {
            return false;
        }
        self.cfg.prevote
            || ((0..self.servers.len()).all(|t| t == l || !self.up(t) || follows(t))
                && !self.net.iter().any(|m| m.body.term().is_some_and(|t| t > term)))
    }

    /// Transfers in a healthy cluster whose target does not lead by their deadline.
    pub fn check_transfers(&mut self) {
        for s in 0..self.servers.len() {
            if let Some(t @ TransferRec { target, deadline: Some(d), .. }) = self.servers[s].transfer {
                if self.target_led(&t) {
                    if let Some(rec) = self.servers[s].transfer.as_mut() {
                        rec.deadline = None; // done: the event may follow later
                    }
                } else if self.now > d {
                    let id = self.servers[s].id;
                    let e = self.cfg.election_timeout;
                    self.fail(
                        TRANSFER_COMPLETION,
                        format!("a transfer from server {} to {} in a healthy cluster did not complete within one election timeout ({} ms)", id, target, e),
                    );
                    return;
                }
            }
        }
    }
}
