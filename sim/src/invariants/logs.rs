//! Log Accuracy (the library's entries equal the model of what it was
//! offered) and Log Matching over the library's own entries.

use crate::ffi::*;
use crate::invariants::names::*;
use crate::model::entry_hash;
use crate::world::World;

impl World {
    pub fn check_range(&mut self, s: usize, lo: i64, hi: i64) {
        if self.violation.is_some() || !self.up(s) {
            return;
        }
        let r = self.servers[s].raft;
        let id = self.servers[s].id;
        let mut bad: Option<String> = None;
        {
            let log = &self.servers[s].disk.log;
            let lo = lo.max(log.base + 1);
            let hi = hi.min(log.last());
            let mut idx = lo;
            while idx <= hi {
                let m = log.get(idx).unwrap();
                let p = unsafe { raft_get_entry_from_idx(r, idx) };
                if p.is_null() {
                    bad = Some(format!("server {}: no entry at idx {}, the model holds (term {}, id {})", id, idx, m.term, m.id));
                    break;
                }
                let e = unsafe { &*p };
                let len = e.data.len as usize;
                if e.term != m.term
                    || e.id != m.id
                    || e.type_ != m.etype
                    || len != m.payload.len()
                    || (len > 0 && e.data.buf as *const u8 != m.payload.as_ptr())
                {
                    bad = Some(format!(
                        "server {}: entry at idx {} is (term {}, id {}, type {}, {} bytes at {:p}); the model (offered, not popped/polled) has (term {}, id {}, type {}, {} bytes at {:p})",
                        id, idx, e.term, e.id, e.type_, len, e.data.buf, m.term, m.id, m.etype, m.payload.len(), m.payload.as_ptr()
                    ));
                    break;
                }
                idx += 1;
            }
        }
        if let Some(b) = bad {
            self.fail(LOG_ACCURACY, b);
        }
    }

    /// Log Matching over the library's own entries lo..=hi (not the model):
    /// the prefix hash is chained from the model at lo-1 (already checked).
    pub fn check_matching_lib(&mut self, s: usize, lo: i64, hi: i64) {
        if self.violation.is_some() || !self.up(s) {
            return;
        }
        let r = self.servers[s].raft;
        let id = self.servers[s].id;
        let log = &self.servers[s].disk.log;
        let lo = lo.max(log.base + 1);
        let Some(mut h) = log.hash_at(lo - 1) else { return };
        let hi = hi.min(unsafe { raft_get_current_idx(r) });
        let mut bad = None;
        for idx in lo..=hi {
            let p = unsafe { raft_get_entry_from_idx(r, idx) };
            if p.is_null() {
                break;
            }
            let e = unsafe { &*p };
            h = entry_hash(h, idx, e.term, e.id, e.type_, e.data.len as usize);
            if let Some(&(gh, by)) = self.ledger.prefix_hashes.get(&(idx, e.term)) {
                if gh != h {
                    bad = Some((idx, e.term, by));
                    break;
                }
            }
        }
        if let Some((idx, t, by)) = bad {
            self.fail(
                LOG_MATCHING,
                format!("server {} holds an entry at idx {} with term {} like server {}, but their logs up to idx {} differ", id, idx, t, by, idx),
            );
        }
    }

    /// Rotating window of the log-accuracy check, a few entries per step.
    pub fn check_window(&mut self, s: usize, n: i64) {
        if !self.up(s) {
            return;
        }
        let (base, last, mut cur) = {
            let sv = &self.servers[s];
            (sv.disk.log.base, sv.disk.log.last(), sv.cursor)
        };
        if last <= base {
            return;
        }
        if cur <= base || cur > last {
            cur = base + 1;
        }
        let hi = (cur + n - 1).min(last);
        self.check_range(s, cur, hi);
        self.servers[s].cursor = hi + 1;
    }
}
