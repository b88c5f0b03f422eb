//! Log Accuracy (the library's entries equal the model of what it was
//! offered) and Log Matching over the library's own entries.

use crate::ffi::*;
use crate::invariants::names::*;
use crate::world::{WireEntry, World};

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

    /// Log Matching over the library's own entries lo..=hi (not the model,
    /// which a library may change without telling its storage): scanned by
    /// the shared checker from the first entry that is not the stored one
    /// (up to there the library's log is the one reported, whose prefixes
    /// the checker checked when they were stored). A payload is read only
    /// where the simulator knows it lives (the model's copy, or `wire`, the
    /// message just delivered); an entry pointing elsewhere ends the scan
    /// (Log Accuracy reports it).
    pub fn check_matching_lib(&mut self, s: usize, lo: i64, hi: i64, wire: &[WireEntry]) {
        if self.violation.is_some() || !self.up(s) {
            return;
        }
        let r = self.servers[s].raft;
        let id = self.servers[s].id;
        let log = &self.servers[s].disk.log;
        let lo = lo.max(log.base + 1);
        let hi = hi.min(unsafe { raft_get_current_idx(r) });
        let mut scanning = false;
        for idx in lo..=hi {
            let p = unsafe { raft_get_entry_from_idx(r, idx) };
            if p.is_null() {
                break;
            }
            let e = unsafe { &*p };
            let (buf, len) = (e.data.buf as *const u8, e.data.len as usize);
            let here = |b: &[u8]| b.len() == len && (len == 0 || b.as_ptr() == buf);
            let stored = log.get(idx).filter(|m| m.term == e.term && m.id == e.id && here(&m.payload));
            if !scanning {
                if stored.is_some() {
                    continue;
                }
                if !self.ledger.safety.scan(id, idx) {
                    return;
                }
                scanning = true;
            }
            let payload: &[u8] = if len == 0 {
                &[]
            } else if let Some(m) = stored.or(log.get(idx).filter(|m| here(&m.payload))) {
                &m.payload
            } else if let Some(w) = wire.iter().find(|w| here(&w.payload)) {
                &w.payload
            } else {
                break;
            };
            let verdict = self.ledger.safety.scan_next(e.term, e.id, payload);
            if let Err(b) = verdict {
                return self.fail(b.invariant, b.detail);
            }
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
