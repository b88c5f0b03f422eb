//! What a server knows of each member: identity, role in the configuration,
//! and the leader's replication progress for it (paper Figure 2,
//! `nextIndex[]`/`matchIndex[]`).

use crate::types::{Index, NodeId};

const VOTING: u8 = 1 << 0;
const HAS_VOTE_FOR_ME: u8 = 1 << 1;
const HAS_SUFFICIENT_LOGS: u8 = 1 << 2;
const INACTIVE: u8 = 1 << 3;
const VOTING_COMMITTED: u8 = 1 << 4;
const ADDITION_COMMITTED: u8 = 1 << 5;

/// A cluster member as seen by one server. `U` is the host's per-node data.
#[derive(Debug)]
pub struct Node<U> {
    id: NodeId,
    /// The host's data for this node (a connection, an address...).
    pub udata: U,
    next_idx: Index,
    match_idx: Index,
    flags: u8,
}

impl<U> Node<U> {
    /// A voting, active node with `next_idx` 1 and `match_idx` 0.
    pub fn new(udata: U, id: NodeId) -> Self {
        Node { id, udata, next_idx: 1, match_idx: 0, flags: VOTING }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    /// Index of the next entry the leader sends this node.
    pub fn next_idx(&self) -> Index {
        self.next_idx
    }
    /// Sets `next_idx`; the log starts at 1, so smaller values become 1.
    pub fn set_next_idx(&mut self, idx: Index) {
        self.next_idx = idx.max(1);
    }
    /// Highest index known to be replicated on this node.
    pub fn match_idx(&self) -> Index {
        self.match_idx
    }
    pub fn set_match_idx(&mut self, idx: Index) {
        self.match_idx = idx.max(0);
    }

    fn flag(&self, f: u8) -> bool {
        self.flags & f != 0
    }
    fn set_flag(&mut self, f: u8, on: bool) {
        if on {
            self.flags |= f
        } else {
            self.flags &= !f
        }
    }

    /// Whether the node counts in elections and commit quorums.
    pub fn is_voting(&self) -> bool {
        self.flag(VOTING)
    }
    pub fn set_voting(&mut self, on: bool) {
        self.set_flag(VOTING, on)
    }
    /// Inactive nodes (a REMOVE entry is in the log) get no messages and no say.
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
        let n = Node::new((), 7);
        assert_eq!(n.id(), 7);
        assert_eq!(n.next_idx(), 1);
        assert_eq!(n.match_idx(), 0);
        assert!(n.is_voting() && n.is_active());
        assert!(!n.has_vote_for_me() && !n.has_sufficient_logs());
        assert!(!n.is_voting_committed() && !n.is_addition_committed());
    }

    #[test]
    fn flags_are_independent() {
        let mut n = Node::new((), 1);
        n.set_voting(false);
        n.set_active(false);
        n.vote_for_me(true);
        assert!(!n.is_voting() && !n.is_active() && n.has_vote_for_me());
        n.set_active(true);
        assert!(n.is_active() && !n.is_voting());
        n.set_next_idx(0);
        assert_eq!(n.next_idx(), 1);
        n.set_match_idx(-3);
        assert_eq!(n.match_idx(), 0);
    }
}
