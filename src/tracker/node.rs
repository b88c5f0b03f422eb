//! What a server knows of one member besides its id: its role flags and the
//! leader's replication progress for it (paper Figure 2, `nextIndex[]` and
//! `matchIndex[]`). The tracker keeps these in flat arrays; a [`NodeSlot`]
//! is a mutable view of one member's entries, and [`NodeState`] is the same
//! record held on its own (a node that belongs to no server).

use crate::types::Index;

pub(crate) const VOTING: u8 = 1 << 0;
pub(crate) const HAS_VOTE_FOR_ME: u8 = 1 << 1;
pub(crate) const HAS_SUFFICIENT_LOGS: u8 = 1 << 2;
pub(crate) const INACTIVE: u8 = 1 << 3;
pub(crate) const VOTING_COMMITTED: u8 = 1 << 4;
pub(crate) const ADDITION_COMMITTED: u8 = 1 << 5;
/// Probing (pipelined replication): a message is in flight, wait for its answer.
pub(crate) const PROBE_SENT: u8 = 1 << 6;
/// The leader heard from this member since its last quorum check
/// (check-quorum; see `tracker/liveness.rs`).
pub(crate) const RECENT_ACTIVE: u8 = 1 << 7;

/// A new member: voting and active, nothing known about its log.
pub(crate) const NEW_NODE_FLAGS: u8 = VOTING;

/// Whether a member with these flags counts in elections and commit quorums:
/// it votes and no REMOVE_NODE entry for it is in the log.
#[inline(always)]
pub(crate) fn is_voter(flags: u8) -> bool {
    flags & (VOTING | INACTIVE) == VOTING
}

/// One member's record on its own (willemt's `raft_node_new`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub flags: u8,
    pub next_idx: Index,
    pub match_idx: Index,
}

impl Default for NodeState {
    fn default() -> Self {
        NodeState { flags: NEW_NODE_FLAGS, next_idx: 1, match_idx: 0 }
    }
}

impl NodeState {
    pub fn slot(&mut self) -> NodeSlot<'_> {
        NodeSlot { flags: &mut self.flags, next_idx: &mut self.next_idx, match_idx: &mut self.match_idx }
    }
}

/// A mutable view of one member's flags and progress, wherever they are kept.
pub struct NodeSlot<'a> {
    pub(crate) flags: &'a mut u8,
    pub(crate) next_idx: &'a mut Index,
    pub(crate) match_idx: &'a mut Index,
}

impl NodeSlot<'_> {
    fn flag(&self, f: u8) -> bool {
        *self.flags & f != 0
    }
    fn set_flag(&mut self, f: u8, on: bool) {
        if on {
            *self.flags |= f
        } else {
            *self.flags &= !f
        }
    }
    /// Index of the next entry the leader sends this node.
    pub fn next_idx(&self) -> Index {
        *self.next_idx
    }
    /// Sets `next_idx`; the log starts at 1, so smaller values become 1.
    pub fn set_next_idx(&mut self, idx: Index) {
        *self.next_idx = idx.max(1);
    }
    /// Highest index known to be replicated on this node.
    pub fn match_idx(&self) -> Index {
        *self.match_idx
    }
    /// Sets `match_idx`; negative values become 0.
    pub fn set_match_idx(&mut self, idx: Index) {
        *self.match_idx = idx.max(0);
    }
    /// Whether the node counts in elections and commit quorums (when active).
    pub fn is_voting(&self) -> bool {
        self.flag(VOTING)
    }
    pub fn set_voting(&mut self, on: bool) {
        self.set_flag(VOTING, on)
    }
    /// Inactive nodes (a REMOVE_NODE entry is in the log) have no say.
    pub fn is_active(&self) -> bool {
        !self.flag(INACTIVE)
    }
    pub fn set_active(&mut self, on: bool) {
        self.set_flag(INACTIVE, !on)
    }
    /// Whether this node granted us its vote in the current election.
    pub fn has_vote_for_me(&self) -> bool {
        self.flag(HAS_VOTE_FOR_ME)
    }
    pub fn vote_for_me(&mut self, on: bool) {
        self.set_flag(HAS_VOTE_FOR_ME, on)
    }
    /// Whether the host was told this (non-voting) node caught up.
    pub fn has_sufficient_logs(&self) -> bool {
        self.flag(HAS_SUFFICIENT_LOGS)
    }
    pub fn set_has_sufficient_logs(&mut self) {
        self.set_flag(HAS_SUFFICIENT_LOGS, true)
    }
    /// Whether the entry that made this node a voter (or not) is applied.
    pub fn is_voting_committed(&self) -> bool {
        self.flag(VOTING_COMMITTED)
    }
    pub fn set_voting_committed(&mut self, on: bool) {
        self.set_flag(VOTING_COMMITTED, on)
    }
    /// Whether the entry that added this node is applied.
    pub fn is_addition_committed(&self) -> bool {
        self.flag(ADDITION_COMMITTED)
    }
    pub fn set_addition_committed(&mut self, on: bool) {
        self.set_flag(ADDITION_COMMITTED, on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_node_defaults() {
        let mut n = NodeState::default();
        let s = n.slot();
        assert_eq!((s.next_idx(), s.match_idx()), (1, 0));
        assert!(s.is_voting() && s.is_active());
        assert!(!s.has_vote_for_me() && !s.has_sufficient_logs());
        assert!(!s.is_voting_committed() && !s.is_addition_committed());
    }

    #[test]
    fn flags_are_independent_and_indexes_clamped() {
        let mut n = NodeState::default();
        let mut s = n.slot();
        s.set_voting(false);
        s.set_active(false);
        s.vote_for_me(true);
        assert!(!s.is_voting() && !s.is_active() && s.has_vote_for_me());
        s.set_active(true);
        assert!(s.is_active() && !s.is_voting());
        s.set_next_idx(0);
        s.set_match_idx(-3);
        assert_eq!((s.next_idx(), s.match_idx()), (1, 0));
        assert!(!is_voter(n.flags));
    }
}
