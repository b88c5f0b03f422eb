//! Membership: nodes added and removed by the host, and the server-level
//! consequences of configuration entries (thesis §4.1, §4.2). What each
//! entry type does to the members is the tracker's ([`crate::tracker::config`]);
//! here the server tells the host and applies the rules that concern itself.

use crate::host::Host;
use crate::server::Server;
use crate::tracker::config::Effect;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Adds a voting node. If `id` is already a non-voting member it becomes
    /// voting; if it is already voting nothing changes and `false` is returned.
    pub fn add_node(&mut self, udata: H::NodeData, id: NodeId, is_self: bool) -> bool {
        if let Some(mut n) = self.tracker.slot_of(id) {
            if !n.is_voting() {
                n.set_voting(true);
                return true;
            }
            return false;
        }
        self.insert_node(udata, id, is_self, true);
        true
    }

    /// Adds a non-voting node; `false` if `id` is already a member.
    pub fn add_non_voting_node(&mut self, udata: H::NodeData, id: NodeId, is_self: bool) -> bool {
        if self.tracker.contains(id) {
            return false;
        }
        self.insert_node(udata, id, is_self, false);
        true
    }

    fn insert_node(&mut self, udata: H::NodeData, id: NodeId, is_self: bool, voting: bool) {
        let next = if self.is_leader() { self.current_idx() + 1 } else { 1 };
        self.tracker.add(id, udata, voting, is_self, next);
        if is_self {
            self.timers.seed_from_node_id(id);
        }
        H::notify_membership_event(self, id, None, Membership::Add);
    }

    /// Removes node `id` (after telling the host), if it is a member.
    pub fn remove_node(&mut self, id: NodeId) -> bool {
        if !self.tracker.contains(id) {
            return false;
        }
        H::notify_membership_event(self, id, None, Membership::Remove);
        if !self.tracker.remove(id) {
            return false; // the host removed it from the callback
        }
        if self.current_leader == id {
            self.current_leader = NO_NODE;
        }
        true
    }

    /// Tells the host what a configuration entry did to the members: a node
    /// added (by the entry at `entry_idx`), or a node leaving, which is
    /// removed once the host has been told.
    pub(crate) fn carry_out(&mut self, effect: Effect, entry_idx: Option<Index>) {
        match effect {
            Effect::None => {}
            Effect::Added(id) => H::notify_membership_event(self, id, entry_idx, Membership::Add),
            Effect::Removing(id) => {
                self.remove_node(id);
            }
        }
    }

    /// The configuration entry at `idx` was applied: finalise its change. A
    /// leader that removed itself steps down (thesis §4.2.2).
    pub(crate) fn commit_config_change(&mut self, idx: Index) {
        let self_id = self.tracker.self_id();
        let effect = self.tracker.commit_change(idx);
        self.carry_out(effect, None);
        if effect == Effect::Removing(self_id) && self.is_leader() {
            self.become_follower();
            self.current_leader = NO_NODE;
        }
    }
}
