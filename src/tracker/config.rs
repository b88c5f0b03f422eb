//! What a configuration entry means (thesis §4.1, single-server changes):
//! which kind of change it is, whether it may change the voters, and its
//! effect on the membership when the entry is appended, popped or committed.
//! This is the one table of entry-type meaning; [`super::Tracker::apply`]
//! carries it out.

use crate::types::{entry_type, Index, NodeId, NO_NODE};

/// The four kinds of configuration entry (C `RAFT_LOGTYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Adds a node that receives the log but does not vote.
    AddNonVoting,
    /// Makes a (caught-up) node a voter.
    Add,
    /// Turns a voter into a non-voter.
    Demote,
    /// Removes a node.
    Remove,
}

impl ChangeKind {
    /// The kind of an entry type, or `None` for entries that are not
    /// configuration changes.
    #[inline(always)]
    pub fn of(etype: i32) -> Option<ChangeKind> {
        match etype {
            entry_type::ADD_NONVOTING_NODE => Some(ChangeKind::AddNonVoting),
            entry_type::ADD_NODE => Some(ChangeKind::Add),
            entry_type::DEMOTE_NODE => Some(ChangeKind::Demote),
            entry_type::REMOVE_NODE => Some(ChangeKind::Remove),
            _ => None,
        }
    }

    /// Whether a change of this kind may change the set of voters and so must
    /// be the only such change in flight (thesis §4.1). REMOVE_NODE changes
    /// the voters only when it names a voter: [`super::Tracker::apply`]
    /// decides that when the node is known.
    pub fn may_change_voters(self) -> bool {
        !matches!(self, ChangeKind::AddNonVoting)
    }

    /// Whether it is a change of the voters as willemt/raft defines one
    /// (`raft_entry_is_voting_cfg_change`: ADD_NODE or DEMOTE_NODE).
    pub fn is_willemt_voting_change(self) -> bool {
        matches!(self, ChangeKind::Add | ChangeKind::Demote)
    }

    /// Whether the change takes a vote away from the node it names.
    pub fn removes_vote(self) -> bool {
        matches!(self, ChangeKind::Demote | ChangeKind::Remove)
    }
}

/// Whether an entry type is a configuration change (any of the four kinds,
/// whose values are 1 to 4).
#[inline(always)]
pub fn is_cfg_change_type(etype: i32) -> bool {
    (etype as u32).wrapping_sub(entry_type::ADD_NONVOTING_NODE as u32) <= (entry_type::REMOVE_NODE - entry_type::ADD_NONVOTING_NODE) as u32
}

/// A configuration entry as the membership sees it: its kind and the node it
/// names ([`NO_NODE`] when the host cannot tell; the host then manages the
/// node list itself and the change has no effect here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigChange {
    pub kind: ChangeKind,
    pub node: NodeId,
}

impl ConfigChange {
    /// The change an entry of type `etype` naming `node` makes, if any.
    #[inline(always)]
    pub fn of(etype: i32, node: NodeId) -> Option<ConfigChange> {
        if !is_cfg_change_type(etype) {
            return None; // the common case, in one comparison
        }
        ChangeKind::of(etype).map(|kind| ConfigChange { kind, node })
    }
    pub fn names_node(&self) -> bool {
        self.node != NO_NODE
    }
}

/// When a configuration entry meets the membership: a configuration takes
/// effect when its entry is appended (thesis §4.1), is undone when the entry
/// is popped, and is finalised when the entry is committed and applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Appended,
    Popped,
    Committed,
}

/// A configuration entry appended and not yet applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingChange {
    pub idx: Index,
    pub change: ConfigChange,
    /// Whether it may change the voters (decided when it was appended).
    pub changes_voters: bool,
}

/// What the server must do after [`super::Tracker::apply`]: tell the host a
/// node was added, or tell the host a node is leaving and then remove it
/// (the host is told first so that it can still use the node's handle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    Added(NodeId),
    Removing(NodeId),
}
