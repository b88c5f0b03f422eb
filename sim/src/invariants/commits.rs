//! What is committed, cluster-wide: State Machine Safety between the
//! entries servers commit at the same index, and Leader Completeness (a new
//! leader holds every entry committed in an earlier term).

use crate::events::K;
use crate::ffi::c;
use crate::invariants::names::*;
use crate::invariants::Slot;
use crate::world::World;

impl World {
    pub(super) fn record_commits(&mut self, s: usize, lo: i64, hi: i64, rterm: i64) {
        let id = self.servers[s].id;
        let mut sc = std::mem::take(&mut self.ledger.scratch);
        sc.clear();
        {
            let log = &self.servers[s].disk.log;
            for idx in lo..=hi {
                if let Some(e) = log.get(idx) {
                    sc.push((idx, e.term, e.id, e.hash, e.etype, e.node));
                }
            }
        }
        if self.servers[s].mem.leader_term == rterm || sc.len() > 1 {
            self.ev(K::Commit, [id as i64, lo - 1, hi, 0, 0, 0, 0]);
        }
        for &(idx, term, eid, hash, etype, node) in sc.iter() {
            let need = idx as usize;
            if self.ledger.slots.len() < need {
                self.ledger.slots.resize(need, Slot::default());
            }
            let sl = self.ledger.slots[need - 1];
            if sl.c_set {
                if sl.c_term != term || sl.c_id != eid {
                    self.fail(
                        STATE_MACHINE_SAFETY,
                        format!(
                            "server {} commits (term {}, id {}) at idx {}, but server {} had committed (term {}, id {}) there",
                            id, term, eid, idx, sl.c_by, sl.c_term, sl.c_id
                        ),
                    );
                    break;
                }
            } else {
                let sl = &mut self.ledger.slots[need - 1];
                sl.c_set = true;
                sl.c_term = term;
                sl.c_id = eid;
                sl.c_hash = hash;
                sl.c_rterm = rterm;
                sl.c_by = id;
                self.stats.commits += 1;
                self.stair_insert(rterm, idx);
                if etype == c::LOG_REMOVE {
                    self.removed_committed.insert(node);
                }
            }
        }
        self.ledger.scratch = sc;
    }

    fn stair_insert(&mut self, r: i64, i: i64) {
        if let Some((_, &v)) = self.ledger.stair.range(..=r).next_back() {
            if v >= i {
                return;
            }
        }
        self.ledger.stair.insert(r, i);
        loop {
            let next = self.ledger.stair.range(r + 1..).next().map(|(&k, &v)| (k, v));
            match next {
                Some((k, v)) if v <= i => {
                    self.ledger.stair.remove(&k);
                }
                _ => break,
            }
        }
    }

    /// Highest index known committed in a term < t.
    fn committed_before(&self, t: i64) -> i64 {
        self.ledger.stair.range(..t).next_back().map(|(_, &v)| v).unwrap_or(0)
    }

    pub(super) fn leader_completeness(&mut self, s: usize, term: i64) {
        let c = self.committed_before(term);
        if c == 0 {
            return;
        }
        let sl = self.ledger.slots[(c - 1) as usize];
        let log = &self.servers[s].disk.log;
        let id = self.servers[s].id;
        if log.last() < c {
            return self.fail(
                LEADER_COMPLETENESS,
                format!(
                    "server {} became leader of term {} but its log ends at idx {}: it lacks committed entries up to idx {} (committed in term <= {})",
                    id, term, log.last(), c, sl.c_rterm
                ),
            );
        }
        if c >= log.base {
            if log.hash_at(c) != Some(sl.c_hash) {
                let (lt, li) = log.get(c).map(|e| (e.term, e.id)).unwrap_or((log.base_term, -1));
                self.fail(
                    LEADER_COMPLETENESS,
                    format!(
                        "server {} became leader of term {} but its log up to idx {} differs from the committed one (it has term {} id {} there; committed: term {} id {})",
                        id, term, c, lt, li, sl.c_term, sl.c_id
                    ),
                )
            }
        } else {
            let b = log.base;
            let bs = self.ledger.slots.get((b - 1) as usize).copied().unwrap_or_default();
            if bs.c_set && bs.c_hash != log.base_hash {
                self.fail(
                    LEADER_COMPLETENESS,
                    format!("server {} became leader of term {} but its snapshot at idx {} differs from the committed log", id, term, b),
                )
            }
        }
    }
}
