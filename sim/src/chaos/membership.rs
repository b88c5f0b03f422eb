//! Membership changes proposed to the leader: add a new server as
//! non-voting (promoted with ADD_NODE once `node_has_sufficient_logs` fires),
//! promote, demote or remove a node (the leader itself one time in three),
//! with the host-side workarounds of open library bugs when tolerated; and
//! new servers whose addition failed shut down again.

use crate::driver::Sim;
use crate::events::K;
use crate::ffi::c;
use crate::ffi::*;
use crate::model::*;
use crate::world::*;
use std::os::raw::c_void;

impl Sim {
    /// Shut down the new servers whose ADD_NONVOTING entry lost its index
    /// to another committed entry.
    pub(crate) fn resolve_adds(&self) {
        let fails: Vec<usize> = self.with(|w| {
            let mut out = Vec::new();
            let mut keep = Vec::new();
            for &(nid, idx, term, eid) in &w.pending_add {
                let s = slot_of(nid);
                if w.servers[s].status == Status::Gone {
                    continue;
                }
                match w.ledger.safety.committed(idx) {
                    Some((_, committed_id)) => {
                        if committed_id != eid {
                            out.push(s);
                        }
                    }
                    None => keep.push((nid, idx, term, eid)),
                }
            }
            w.pending_add = keep;
            out
        });
        for s in fails {
            self.decommission(s, 1);
        }
    }

    /// Propose ADD_NODE for the first non-voting node with sufficient logs.
    pub(super) fn promotions(&self) {
        let (calm, first) = self.with(|w| (w.calm, w.pending_promote.first().copied()));
        if calm {
            return;
        }
        let Some(nid) = first else { return };
        let Some(l) = self.best_leader() else { return };
        let r = self.raft(l);
        let node = unsafe { raft_get_node(r, nid) };
        if node.is_null() || unsafe { raft_node_is_voting(node) } != 0 || unsafe { raft_node_is_active(node) } == 0 {
            self.with(|w| w.pending_promote.retain(|&x| x != nid));
            return;
        }
        let rc = self.propose(l, c::LOG_ADD_NODE, nid);
        if rc == 0 {
            self.with(|w| w.pending_promote.retain(|&x| x != nid));
        }
    }

    /// Host-side workarounds for open library bugs, when tolerated: whether
    /// the leader may be asked for this voter-changing entry now.
    fn change_allowed(&self, l: usize, etype: i32, nid: i32) -> bool {
        let w = self.w.borrow();
        let r = w.servers[l].raft;
        let voter_change = etype == c::LOG_ADD_NODE
            || etype == c::LOG_DEMOTE
            || (etype == c::LOG_REMOVE && {
                let n = unsafe { raft_get_node(r, nid) };
                !n.is_null() && unsafe { raft_node_is_voting(n) } != 0
            });
        if !voter_change {
            return true;
        }
        let log = &w.servers[l].disk.log;
        let (applied, commit, term) = unsafe { (raft_get_last_applied_idx(r), raft_get_commit_idx(r), raft_get_current_term(r)) };
        if w.cfg.tolerates("remove-voter") {
            // LIB_BUGS #3: no other voter change (a REMOVE included) in flight
            let busy = (applied + 1..=log.last()).any(|i| log.get(i).map(|e| is_cfg(e.etype) && e.etype != c::LOG_ADD_NONVOTING).unwrap_or(false));
            if busy {
                return false;
            }
        }
        if w.cfg.tolerates("early-change") {
            // LIB_BUGS #4: only once an entry of the leader's term is committed
            if log.term_at(commit) != Some(term) {
                return false;
            }
        }
        true
    }

    /// Propose a configuration entry of type `etype` naming `nid` to leader slot `l`.
    fn propose(&self, l: usize, etype: i32, nid: i32) -> i32 {
        if !self.change_allowed(l, etype, nid) {
            return c::ERR_ONE_VOTING_CHANGE_ONLY;
        }
        let r = self.raft(l);
        let eid = self.with(|w| {
            w.next_eid += 1;
            w.stats.member_proposed += 1;
            w.next_eid
        });
        let p = cfg_payload(nid);
        let mut e = raft_entry_t { term: 0, id: eid, type_: etype, data: raft_entry_data_t { buf: p.as_ptr() as *mut c_void, len: p.len() as _ } };
        let mut resp = msg_entry_response_t::default();
        let rc = unsafe { raft_retain_entries(r, &mut e, &mut resp) };
        self.with(|w| {
            let lid = w.servers[l].id as i64;
            w.ev(K::Member, [lid, etype as i64, nid as i64, rc as i64, resp.idx, 0, 0]);
            if rc == 0 {
                w.stats.member_accepted += 1;
                if etype == c::LOG_ADD_NONVOTING {
                    w.pending_add.push((nid, resp.idx, resp.term, eid));
                }
            }
        });
        self.after_call(l);
        rc
    }

    /// One random membership change, proposed to the leader.
    pub(super) fn member_op(&self) {
        let Some(l) = self.best_leader() else { return };
        let r = self.raft(l);
        let lid = l as i32 + 1;
        // (id, voting, active, sufficient)
        let nodes: Vec<(i32, bool, bool, bool)> = unsafe {
            (0..raft_get_num_nodes(r))
                .filter_map(|i| {
                    let n = raft_get_node_from_idx(r, i as _);
                    if n.is_null() {
                        None
                    } else {
                        Some((raft_node_get_id(n), raft_node_is_voting(n) != 0, raft_node_is_active(n) != 0, raft_node_has_sufficient_logs(n) != 0))
                    }
                })
                .collect()
        };
        let members: Vec<&(i32, bool, bool, bool)> = nodes.iter().filter(|n| n.2).collect();
        let voters = members.iter().filter(|n| n.1).count();
        let (cap, live) = self.with(|w| (w.cfg.servers as usize, w.servers.iter().filter(|sv| sv.status != Status::Gone).count()));
        let min_voters = if cap <= 2 { 1 } else { cap.div_ceil(2) };
        let mut ops: Vec<i32> = Vec::new();
        if members.len() < cap && live < cap + 3 {
            ops.push(c::LOG_ADD_NONVOTING);
        }
        let promotable: Vec<i32> = members.iter().filter(|n| !n.1 && n.3 && n.0 != lid).map(|n| n.0).collect();
        if !promotable.is_empty() {
            ops.push(c::LOG_ADD_NODE);
        }
        if voters > min_voters {
            ops.push(c::LOG_DEMOTE);
        }
        let removable: Vec<i32> = members.iter().filter(|n| !n.1 || voters > min_voters).map(|n| n.0).collect();
        if members.len() > min_voters && !removable.is_empty() {
            ops.push(c::LOG_REMOVE);
        }
        if ops.is_empty() {
            return;
        }
        let (op, target) = self.with(|w| {
            let op = ops[w.rng.below(ops.len() as u64) as usize];
            let pick = |w: &mut World, v: &Vec<i32>| -> i32 {
                // the leader itself one time in three, when it qualifies
                if v.contains(&lid) && w.rng.chance(1, 3) {
                    lid
                } else {
                    v[w.rng.below(v.len() as u64) as usize]
                }
            };
            let t = match op {
                x if x == c::LOG_ADD_NODE => pick(w, &promotable),
                x if x == c::LOG_DEMOTE => {
                    let v: Vec<i32> = members.iter().filter(|n| n.1).map(|n| n.0).collect();
                    pick(w, &v)
                }
                x if x == c::LOG_REMOVE => pick(w, &removable),
                _ => 0,
            };
            (op, t)
        });
        if op == c::LOG_ADD_NONVOTING {
            let s = self.add_server();
            self.boot(s);
            let nid = s as i32 + 1;
            self.with(|w| {
                w.stats.servers_added += 1;
                w.ev(K::NewServer, [nid as i64, 0, 0, 0, 0, 0, 0]);
            });
            let rc = self.propose(l, op, nid);
            if rc != 0 {
                self.decommission(s, 1);
            }
        } else {
            self.propose(l, op, target);
        }
    }
}
