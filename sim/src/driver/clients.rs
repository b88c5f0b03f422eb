//! Client entries: to every server that claims leadership (the rate drifts
//! every 500 steps), now and then to a follower (which must refuse:
//! Follower Refusal), and the liveness probe.

use super::Sim;
use crate::events::K;
use crate::ffi::c;
use crate::ffi::*;
use crate::invariants::names::*;
use crate::invariants::Ack;
use crate::rng::payload_for;
use std::os::raw::c_void;

impl Sim {
    /// Slots of the live servers that claim leadership.
    fn leaders(&self) -> Vec<usize> {
        self.with(|w| (0..w.servers.len()).filter(|&s| w.up(s) && unsafe { raft_is_leader(w.servers[s].raft) } != 0).collect())
    }

    /// The leader with the highest term, if any.
    pub(crate) fn best_leader(&self) -> Option<usize> {
        let ls = self.leaders();
        ls.into_iter().max_by_key(|&s| {
            let r = self.raft(s);
            unsafe { raft_get_current_term(r) }
        })
    }

    /// The client load of one step.
    pub(crate) fn client(&self) {
        self.with(|w| {
            if w.step % 500 == 1 {
                let hi = (w.cfg.client * 2).min(100) as u64;
                w.client_rate = w.rng.range(0, hi) as u32;
            }
        });
        let ls = self.leaders();
        for s in ls {
            let k = self.with(|w| if w.rng.chance(w.client_rate, 100) { w.rng.range(1, 3) } else { 0 });
            for _ in 0..k {
                if self.raft(s).is_null() {
                    break;
                }
                self.submit(s, true);
            }
        }
        let pick = self.with(|w| {
            if !w.rng.chance(w.cfg.follower_client, 100) {
                return None;
            }
            let f: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s) && unsafe { raft_is_leader(w.servers[s].raft) } == 0).collect();
            if f.is_empty() {
                None
            } else {
                Some(f[w.rng.below(f.len() as u64) as usize])
            }
        });
        if let Some(s) = pick {
            self.submit(s, false);
        }
    }

    /// Offer a client entry; returns (rc, response).
    pub(crate) fn submit(&self, s: usize, to_leader: bool) -> (i32, msg_entry_response_t) {
        let r = self.raft(s);
        let eid = self.with(|w| {
            w.next_eid += 1;
            w.next_eid
        });
        let p = payload_for(eid);
        let mut e = raft_entry_t {
            term: 0,
            id: eid,
            type_: c::LOG_NORMAL,
            data: raft_entry_data_t { buf: p.as_ptr() as *mut c_void, len: p.len() as _ },
        };
        let mut resp = msg_entry_response_t::default();
        let was_leader = unsafe { raft_is_leader(r) } != 0;
        let rc = unsafe { raft_retain_entries(r, &mut e, &mut resp) };
        drop(p);
        self.with(|w| {
            let id = w.servers[s].id;
            if !to_leader {
                w.ev(K::Refused, [id as i64, rc as i64, 0, 0, 0, 0, 0]);
                if !was_leader && rc != c::ERR_NOT_LEADER {
                    w.fail(FOLLOWER_REFUSAL, format!("server {} is not leader but raft_retain_entries returned {} (expected RAFT_ERR_NOT_LEADER)", id, rc));
                } else {
                    w.stats.follower_refused += 1;
                }
                return;
            }
            w.ev(K::Client, [id as i64, eid as i64, rc as i64, resp.idx, resp.term, 0, 0]);
            if rc == 0 {
                w.stats.client_ok += 1;
                let last = w.servers[s].disk.log.last();
                let term = unsafe { raft_get_current_term(r) };
                if resp.idx != last || resp.id != eid || resp.term != term {
                    w.fail(
                        LOG_ACCURACY,
                        format!(
                            "server {}: raft_retain_entries response (id {}, term {}, idx {}) but the entry was offered as id {} at idx {} in term {}",
                            id, resp.id, resp.term, resp.idx, eid, last, term
                        ),
                    );
                }
                let inc = w.servers[s].incarnation;
                w.ledger.acks.push_back(Ack { slot: s, incarnation: inc, resp });
                if w.ledger.acks.len() > 256 {
                    w.ledger.acks.pop_front();
                }
            } else {
                w.stats.client_failed += 1;
            }
        });
        self.after_call(s);
        (rc, resp)
    }
}
