//! The host's storage, as the C callbacks drive it: each server's "disk"
//! (term and vote, the log as offered minus what was popped, polled or
//! cleared, the durably applied index) and its state machine. Every write is
//! checked where it happens (Log Accuracy, Entry ID Monotonicity, Applied
//! Index Validity, Term/Vote Durability) and reported to the shared safety
//! checker (Log Matching, No Committed Entry Popped, applied in order, State
//! Machine Safety); see `crate::invariants`.

use super::{Mode, World};
use crate::ffi::*;
use crate::invariants::names::*;
use crate::model::*;
use crate::rng::payload_for;

/// The type of the no-op entry a new leader appends (`--reads`).
const NO_OP: i32 = crate::ffi::c::LOG_NO_OP;

impl World {
    pub fn on_offer(&mut self, s: usize, e: &mut raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        match self.servers[s].mode {
            Mode::Freeing => return 0,
            Mode::Restoring => {
                let log = &self.servers[s].disk.log;
                match log.get(idx) {
                    Some(m) if m.term == e.term && m.id == e.id => {
                        e.data.buf = m.payload.as_ptr() as *mut _;
                    }
                    _ => {
                        let msg = format!("server {}: while restoring, log_offer at idx {} (term {}, id {}) does not match the persisted log", id, idx, e.term, e.id);
                        self.fail(LOG_ACCURACY, msg);
                    }
                }
                return 0;
            }
            Mode::Normal => {}
        }
        if self.violation.is_some() {
            // keep the library consistent with the model until we stop
        }
        let len = e.data.len as usize;
        let bytes: Box<[u8]> = if len == 0 || e.data.buf.is_null() {
            Box::new([])
        } else {
            unsafe { std::slice::from_raw_parts(e.data.buf as *const u8, len) }.into()
        };
        let etype = e.type_;
        let node = if is_cfg(etype) { cfg_node(&bytes) } else { 0 };
        if etype == crate::ffi::c::LOG_NORMAL && e.id >= 1000 && *bytes != *payload_for(e.id) {
            self.fail(LOG_ACCURACY, format!("server {}: entry id {} offered at idx {} carries a payload other than the client's", id, e.id, idx));
        }
        let (base, last) = {
            let l = &self.servers[s].disk.log;
            (l.base, l.last())
        };
        if idx <= base || idx > last + 1 {
            self.fail(LOG_ACCURACY, format!("server {}: log_offer at idx {} but its log holds {}..={}", id, idx, base + 1, last));
            return 0;
        }
        // A follower's offer is durable before its response leaves; with
        // parallel writes a leader's is not until the simulator flushes.
        let leader = unsafe { raft_is_leader(self.servers[s].raft) } != 0;
        if !self.cfg.parallel_write || !leader {
            self.servers[s].disk.synced = idx;
        }
        // Log Matching (and no committed entry replaced): safety.c
        let verdict = self.ledger.safety.append(id, idx, e.term, e.id, &bytes);
        let log = &mut self.servers[s].disk.log;
        // (no-op entries carry id 0: ids increase along the other entries)
        let prev_id = (log.base + 1..idx).rev().filter_map(|j| log.get(j)).find(|p| p.etype != NO_OP).map(|p| p.id);
        e.data.buf = bytes.as_ptr() as *mut _;
        let me = MEntry { term: e.term, id: e.id, etype, node, payload: bytes };
        let mut next_id = None;
        if idx == last + 1 {
            log.entries.push_back(me);
        } else {
            // overwritten in place (no log_pop for the old entry): mirror it
            *log.get_mut(idx).unwrap() = me;
            next_id = (idx + 1..=last).filter_map(|j| log.get(j)).find(|n| n.etype != NO_OP).map(|n| n.id);
        }
        if !self.judge(verdict) {
            return 0;
        }
        if let Some(p) = prev_id.filter(|_| etype != NO_OP) {
            if p >= e.id {
                self.fail(ENTRY_ID_MONOTONICITY, format!("server {}: entry id {} appended at idx {} after entry id {}", id, e.id, idx, p));
            }
        }
        if let Some(n) = next_id.filter(|_| etype != NO_OP) {
            if n <= e.id {
                self.fail(ENTRY_ID_MONOTONICITY, format!("server {}: entry id {} written at idx {} before entry id {}", id, e.id, idx, n));
            }
        }
        if idx != last + 1 {
            self.fail(
                LOG_ACCURACY,
                format!("server {}: entry at idx {} overwritten by log_offer without log_pop (log held {}..={})", id, idx, base + 1, last),
            );
        }
        0
    }

    pub fn on_pop(&mut self, s: usize, e: &raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        if self.servers[s].mode != Mode::Normal {
            return 0;
        }
        let r = self.servers[s].raft;
        let last = self.servers[s].disk.log.last();
        if idx != last || self.servers[s].disk.log.get(idx).is_none() {
            self.fail(LOG_ACCURACY, format!("server {}: log_pop of idx {} but its newest entry is {}", id, idx, last));
            return 0;
        }
        let commit = unsafe { raft_get_commit_idx(r) };
        let (mt, mi) = {
            let m = self.servers[s].disk.log.get(idx).unwrap();
            (m.term, m.id)
        };
        if mt != e.term || mi != e.id {
            self.fail(LOG_ACCURACY, format!("server {}: log_pop of idx {} (term {}, id {}) but the model has (term {}, id {}) there", id, idx, e.term, e.id, mt, mi));
            return 0;
        }
        // No Committed Entry Popped: safety.c, against the commit index as
        // it is now. (A follower outside the quorum may still lose an entry
        // that was committed at a later term than its own, to a stale
        // leader: only its own commit index binds it. After a restart that
        // index starts at the durably applied one: `boot`.)
        let term = unsafe { raft_get_current_term(r) };
        let verdict = self.ledger.safety.commit(id, commit, term).and_then(|()| self.ledger.safety.truncate(id, idx));
        if !self.judge(verdict) {
            return 0;
        }
        if let Some(m) = self.servers[s].disk.log.entries.pop_back() {
            self.graveyard.push(m.payload);
        }
        let disk = &mut self.servers[s].disk;
        disk.synced = disk.synced.min(idx - 1);
        0
    }

    pub fn on_poll(&mut self, s: usize, e: &raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        if self.servers[s].mode != Mode::Normal {
            return 0;
        }
        let r = self.servers[s].raft;
        let base = self.servers[s].disk.log.base;
        let snap_idx = self.servers[s].snap_pending.as_ref().map(|p| p.snap.idx).unwrap_or(0);
        let commit = unsafe { raft_get_commit_idx(r) };
        let m = self.servers[s].disk.log.get(idx).map(|m| (m.term, m.id));
        if idx != base + 1 || m.is_none() {
            self.fail(LOG_ACCURACY, format!("server {}: log_poll of idx {} but its oldest entry is {}", id, idx, base + 1));
            return 0;
        }
        if m != Some((e.term, e.id)) {
            self.fail(LOG_ACCURACY, format!("server {}: log_poll of idx {} (term {}, id {}) differs from the model's {:?}", id, idx, e.term, e.id, m));
            return 0;
        }
        if idx > snap_idx || idx > commit {
            self.fail(LOG_ACCURACY, format!("server {}: log_poll of idx {} beyond its snapshot idx {} / commit idx {}", id, idx, snap_idx, commit));
            return 0;
        }
        if let Some(m) = self.servers[s].disk.log.poll() {
            self.graveyard.push(m.payload);
        }
        let verdict = self.ledger.safety.compact(id, idx);
        self.judge(verdict);
        0
    }

    pub fn on_clear(&mut self, s: usize, _e: &raft_entry_t, idx: i64) -> i32 {
        if self.servers[s].mode != Mode::Normal {
            return 0;
        }
        let l = &self.servers[s].disk.log;
        if idx <= l.base || idx > l.last() {
            let msg = format!("server {}: log_clear of idx {} outside its log {}..={}", self.servers[s].id, idx, l.base + 1, l.last());
            self.fail(LOG_ACCURACY, msg);
        }
        self.servers[s].clears += 1;
        if let Some(m) = self.servers[s].disk.log.get_mut(idx) {
            let p = std::mem::take(&mut m.payload);
            self.graveyard.push(p);
        }
        0
    }

    /// Whether `buf` is the payload of an entry that already left the log.
    pub fn released(&self, buf: *const u8, len: usize) -> bool {
        len > 0 && self.graveyard.iter().any(|p| p.as_ptr() == buf && !p.is_empty())
    }

    pub fn on_apply(&mut self, s: usize, e: &raft_entry_t, idx: i64) -> i32 {
        let id = self.servers[s].id;
        if self.servers[s].mode == Mode::Freeing {
            return 0;
        }
        let r = self.servers[s].raft;
        let commit = unsafe { raft_get_commit_idx(r) };
        let Some(m) = self.servers[s].disk.log.get(idx) else {
            self.fail(LOG_ACCURACY, format!("server {}: log_apply of idx {}, which its log does not hold", id, idx));
            return 0;
        };
        let (mt, mi, etype, node) = (m.term, m.id, m.etype, m.node);
        let len = e.data.len as usize;
        if mt != e.term || mi != e.id || len != m.payload.len() || (len > 0 && e.data.buf as *const u8 != m.payload.as_ptr()) {
            self.fail(
                LOG_ACCURACY,
                format!(
                    "server {}: log_apply of (term {}, id {}, {} bytes at {:p}) at idx {}, the model has (term {}, id {}, {} bytes at {:p})",
                    id, e.term, e.id, len, e.data.buf, idx, mt, mi, m.payload.len(), m.payload.as_ptr()
                ),
            );
            return 0;
        }
        if idx > commit {
            self.fail(APPLIED_INDEX_VALIDITY, format!("server {}: applies idx {} beyond its commit idx {}", id, idx, commit));
            return 0;
        }
        // Applied in order, State Machine Safety: safety.c
        let verdict = self.ledger.safety.apply(id, idx, mt, mi, &m.payload);
        if !self.judge(verdict) {
            return 0;
        }
        let sv = &mut self.servers[s];
        sv.mem.sm_applied = idx;
        if idx > sv.disk.applied {
            sv.disk.applied = idx;
        }
        if etype == crate::ffi::c::LOG_REMOVE && node == id {
            sv.shutdown = Some(0);
            return crate::ffi::c::ERR_SHUTDOWN;
        }
        0
    }

    pub fn on_persist_term(&mut self, s: usize, term: i64, vote: i32) -> i32 {
        let sv = &self.servers[s];
        if sv.mode != Mode::Normal {
            return 0;
        }
        let (dt, dv, id) = (sv.disk.term, sv.disk.vote, sv.id);
        if term < dt || (term == dt && dv != -1 && vote != dv) {
            self.fail(TERM_VOTE_DURABILITY, format!("server {}: persist_term(term {}, vote {}) after it had persisted term {} vote {}", id, term, vote, dt, dv));
            return 0;
        }
        let sv = &mut self.servers[s];
        sv.disk.term = term;
        sv.disk.vote = vote;
        0
    }

    pub fn on_persist_vote(&mut self, s: usize, vote: i32) -> i32 {
        let sv = &self.servers[s];
        if sv.mode != Mode::Normal {
            return 0;
        }
        let term = unsafe { raft_get_current_term(sv.raft) };
        let (dt, dv, id) = (sv.disk.term, sv.disk.vote, sv.id);
        if dt != term {
            self.fail(TERM_VOTE_DURABILITY, format!("server {}: persist_vote({}) in term {} but the persisted term is {}", id, vote, term, dt));
            return 0;
        }
        if dv != -1 && vote != dv {
            self.fail(TERM_VOTE_DURABILITY, format!("server {}: persist_vote({}) in term {} after it had persisted a vote for {}", id, vote, term, dv));
            return 0;
        }
        self.servers[s].disk.vote = vote;
        0
    }
}
