//! Membership changes carried by log entries, one voter change at a time
//! (thesis §4.1, §4.2.1). A configuration takes effect as soon as its entry
//! is appended, is undone if the entry is popped, and is finalised when the
//! entry is applied. The host names the node an entry is about through
//! `log_get_node_id`; without it the host manages the node list itself.

use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Whether a configuration change that may change the voters (ADD_NODE,
    /// DEMOTE_NODE, REMOVE_NODE) is appended and not yet applied.
    pub fn voting_change_is_in_progress(&self) -> bool {
        self.voting_cfg_change_log_idx != -1
    }

    /// The newest voting change above `last_applied_idx`, or -1.
    pub(crate) fn last_voting_change_after_applied(&self) -> Index {
        let mut idx = self.current_idx();
        while idx > self.last_applied_idx {
            match self.log.get(idx) {
                Some(e) if changes_voters(e.etype) => return idx,
                Some(_) => idx -= 1,
                None => break,
            }
        }
        -1
    }

    /// Whether an appended, uncommitted DEMOTE_NODE or REMOVE_NODE entry names
    /// us: such a server must keep starting elections, since it may still be
    /// needed until that entry commits (thesis §4.1).
    pub(crate) fn my_demotion_is_pending(&mut self) -> bool {
        if self.my_node().is_none() {
            return false;
        }
        let mut idx = self.current_idx();
        while idx > self.commit_idx {
            let etype = match self.log.get(idx) {
                Some(e) => e.etype,
                None => break,
            };
            if (etype == entry_type::DEMOTE_NODE || etype == entry_type::REMOVE_NODE)
                && H::log_get_node_id(self, idx) == Some(self.self_id)
            {
                return true;
            }
            idx -= 1;
        }
        false
    }

    /// Gives effect to the configuration entry just appended at `idx`.
    /// Returns whether it may change the voters: ADD_NODE and DEMOTE_NODE
    /// always, REMOVE_NODE when it names a voter (or an unknown node).
    pub(crate) fn apply_cfg_change_on_append(&mut self, idx: Index) -> bool {
        let etype = match self.log.get(idx) {
            Some(e) => e.etype,
            None => return false,
        };
        let id = match H::log_get_node_id(self, idx) {
            Some(id) => id,
            None => return changes_voters(etype),
        };
        let is_self = id == self.self_id;
        let mut changes = changes_voters(etype);
        match etype {
            entry_type::ADD_NONVOTING_NODE => match self.node_mut(id) {
                Some(n) => n.set_active(true),
                None => {
                    self.add_node_internal(Some(idx), H::NodeData::default(), id, is_self, false);
                }
            },
            entry_type::ADD_NODE => match self.node_mut(id) {
                Some(n) => {
                    n.set_active(true);
                    n.set_voting(true);
                }
                None => {
                    self.add_node_internal(Some(idx), H::NodeData::default(), id, is_self, true);
                }
            },
            entry_type::DEMOTE_NODE => {
                if let Some(n) = self.node_mut(id) {
                    n.set_voting(false);
                    // A demoted voter is not a joining node waiting to be
                    // promoted: never offer it to node_has_sufficient_logs.
                    n.set_has_sufficient_logs();
                }
            }
            entry_type::REMOVE_NODE => {
                if let Some(n) = self.node_mut(id) {
                    changes = n.is_voting() && n.is_active();
                    n.set_active(false);
                }
            }
            _ => {}
        }
        log_msg!(self, Some(id), "cfg change type {} appended at {}", etype, idx);
        changes
    }

    /// Undoes the effect of a popped configuration entry of type `etype`
    /// naming node `id`.
    pub(crate) fn revert_cfg_change(&mut self, etype: i32, id: NodeId) {
        match etype {
            entry_type::ADD_NONVOTING_NODE if id != self.self_id => {
                self.remove_node(id);
            }
            entry_type::ADD_NODE => {
                if let Some(n) = self.node_mut(id) {
                    n.set_voting(false);
                }
            }
            entry_type::DEMOTE_NODE => {
                if let Some(n) = self.node_mut(id) {
                    n.set_voting(true);
                }
            }
            entry_type::REMOVE_NODE => {
                if let Some(n) = self.node_mut(id) {
                    n.set_active(true);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn apply_cfg_change_on_commit(&mut self, idx: Index) {
        let etype = match self.log.get(idx) {
            Some(e) => e.etype,
            None => return,
        };
        let id = match H::log_get_node_id(self, idx) {
            Some(id) => id,
            None => return,
        };
        match etype {
            entry_type::ADD_NODE => {
                if let Some(n) = self.node_mut(id) {
                    n.set_addition_committed(true);
                    n.set_voting_committed(true);
                    n.set_has_sufficient_logs();
                }
            }
            entry_type::ADD_NONVOTING_NODE => {
                if let Some(n) = self.node_mut(id) {
                    n.set_addition_committed(true);
                }
            }
            entry_type::DEMOTE_NODE => {
                if let Some(n) = self.node_mut(id) {
                    n.set_voting_committed(false);
                }
            }
            entry_type::REMOVE_NODE => {
                let was_self = id == self.self_id;
                self.remove_node(id);
                if !was_self {
                    const REMEMBERED: usize = 64;
                    if self.removed_ids.len() == REMEMBERED {
                        self.removed_ids.remove(0);
                    }
                    self.removed_ids.push(id);
                }
                if was_self && self.is_leader() {
                    // A leader that removed itself steps down (thesis §4.2.2).
                    self.become_follower();
                    self.current_leader = NO_NODE;
                }
            }
            _ => {}
        }
    }
}
