//! Reads (`--reads P`): on that percent of steps a random live server is
//! asked for a read — a lease read one time in three with check-quorum,
//! else ReadIndex; followers ask the leader through the read-index
//! messages. The answer is checked by `invariants/reads.rs`.

use super::Sim;
use crate::callbacks;
use crate::events::K;
use crate::ffi::*;
use crate::world::*;
use std::cell::RefCell;
use std::os::raw::c_void;

impl Sim {
    /// The reads of one step.
    pub(crate) fn reads(&self) {
        let wp: *const RefCell<World> = &*self.w;
        let pick = self.with(|w| {
            if w.cfg.reads == 0 || !w.rng.chance(w.cfg.reads, 100) {
                return None;
            }
            let ups: Vec<usize> = (0..w.servers.len()).filter(|&s| w.up(s)).collect();
            if ups.is_empty() {
                return None;
            }
            let s = ups[w.rng.below(ups.len() as u64) as usize];
            let lease = w.cfg.check_quorum && w.rng.chance(1, 3);
            w.last_read_id += 1;
            let id = w.last_read_id;
            let rec = ReadRec { slot: s, incarnation: w.servers[s].incarnation, floor: w.ledger.acked_max, lease, step: w.step };
            w.reads.insert(id, rec);
            Some((s, id, lease, rec.floor))
        });
        let Some((s, id, lease, floor)) = pick else { return };
        let r = self.raft(s);
        let arg = Box::into_raw(Box::new(ReadArg { world: wp, id })) as *mut c_void;
        let rc = unsafe {
            if lease {
                raft_recv_lease_read_request(r, Some(callbacks::on_read), arg)
            } else {
                raft_recv_read_request(r, Some(callbacks::on_read), arg)
            }
        };
        if rc != 0 {
            // Not accepted: the callback will never come.
            drop(unsafe { Box::from_raw(arg as *mut ReadArg) });
        }
        self.with(|w| {
            w.ev(K::Read, [0, id as i64, s as i64 + 1, lease as i64, floor, rc as i64, 0]);
            if rc != 0 {
                w.reads.remove(&id);
                w.stats.reads_refused += 1;
                if rc != crate::ffi::c::ERR_NOT_LEADER {
                    w.fail(
                        crate::invariants::names::LINEARIZABLE_READS,
                        format!("server {}: a read was refused with {} (only RAFT_ERR_NOT_LEADER is expected)", s + 1, rc),
                    );
                }
            }
        });
        self.after_call(s);
    }
}
