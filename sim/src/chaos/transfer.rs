//! Leadership transfers (`--transfer R`): the leader is asked to hand
//! leadership to a random voter of its configuration. In a liveness window
//! (a healthy cluster) the driver asks for one to an up-to-date voter,
//! which must complete within an election timeout.

use crate::driver::Sim;
use crate::events::K;
use crate::ffi::*;
use crate::world::*;

impl Sim {
    /// Asks the leader at slot `l` to transfer to a voter: any voter but
    /// itself, or (`healthy`) an up voter holding the leader's whole log.
    /// Returns whether a transfer started.
    pub(crate) fn transfer(&self, l: usize, healthy: bool) -> bool {
        let r = self.raft(l);
        if r.is_null() || unsafe { raft_is_leader(r) } == 0 {
            return false;
        }
        let pick = self.with(|w| {
            let me = w.servers[l].id;
            let last = unsafe { raft_get_current_idx(r) };
            let mut cands = Vec::new();
            unsafe {
                for i in 0..raft_get_num_nodes(r) {
                    let n = raft_get_node_from_idx(r, i as _);
                    if n.is_null() || raft_node_is_voting(n) == 0 || raft_node_is_active(n) == 0 {
                        continue;
                    }
                    let id = raft_node_get_id(n);
                    if id == me {
                        continue;
                    }
                    if healthy {
                        let t = slot_of(id);
                        if !w.up(t) || raft_get_current_idx(w.servers[t].raft) != last || raft_node_get_match_idx(n) != last {
                            continue;
                        }
                    }
                    cands.push(id);
                }
            }
            if cands.is_empty() {
                None
            } else {
                Some(cands[w.rng.below(cands.len() as u64) as usize])
            }
        });
        let Some(target) = pick else { return false };
        let term = unsafe { raft_get_current_term(r) };
        let rc = unsafe { raft_transfer_leader(r, target, 0) };
        self.with(|w| {
            let id = w.servers[l].id;
            w.ev(K::Transfer, [0, id as i64, term, target as i64, rc as i64, healthy as i64, 0]);
            if rc == 0 {
                w.stats.transfers += 1;
                let deadline = healthy.then(|| w.now + w.cfg.election_timeout as u64 + w.cfg.tick_ms as u64);
                w.servers[l].transfer = Some(TransferRec { target, term, deadline });
            }
        });
        self.after_call(l);
        rc == 0
    }

    /// The transfer chaos of one step.
    pub(crate) fn transfer_chaos(&self) {
        if !self.with(|w| w.cfg.transfer > 0 && w.rng.chance(w.cfg.transfer, 1000)) {
            return;
        }
        if let Some(l) = self.best_leader() {
            self.transfer(l, false);
        }
    }
}
