//! The simulator's independent model of each server's durable state: the log
//! it was offered (minus what was popped or polled), its snapshot, its term
//! and vote. This is also what a restarted server is rebuilt from, so a server
//! can never come back with state it had not persisted.

use crate::ffi::c;
use std::collections::VecDeque;

/// One persisted log entry. `payload` is the application's copy of the bytes;
/// the library's entry points at it (log_offer repoints `data.buf` here).
pub struct MEntry {
    pub term: i64,
    pub id: i32,
    pub etype: i32,
    /// Node named by a configuration entry (0 for normal entries).
    pub node: i32,
    pub payload: Box<[u8]>,
}

/// Membership as (node id, voting), in order of addition.
pub type Members = Vec<(i32, bool)>;

/// A snapshot as it is persisted and shipped: the compacted prefix's last
/// entry and the membership at that point. (The entries it stands for are
/// the ones of the log that held (idx, term): Log Matching, checked by the
/// shared safety checker.)
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub idx: i64,
    pub term: i64,
    pub members: Members,
}

pub fn is_cfg(etype: i32) -> bool {
    etype == c::LOG_ADD_NONVOTING || etype == c::LOG_ADD_NODE || etype == c::LOG_DEMOTE || etype == c::LOG_REMOVE
}

/// Apply a configuration entry to a membership, as it stands once the entry
/// is applied.
pub fn apply_cfg(m: &mut Members, etype: i32, node: i32) {
    let pos = m.iter().position(|&(id, _)| id == node);
    match etype {
        x if x == c::LOG_ADD_NONVOTING && pos.is_none() => m.push((node, false)),
        x if x == c::LOG_ADD_NODE => match pos {
            Some(p) => m[p].1 = true,
            None => m.push((node, true)),
        },
        x if x == c::LOG_DEMOTE => {
            if let Some(p) = pos {
                m[p].1 = false;
            }
        }
        x if x == c::LOG_REMOVE => {
            if let Some(p) = pos {
                m.remove(p);
            }
        }
        _ => {}
    }
}

pub fn cfg_payload(node: i32) -> Vec<u8> {
    node.to_le_bytes().to_vec()
}

pub fn cfg_node(payload: &[u8]) -> i32 {
    if payload.len() >= 4 {
        i32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]])
    } else {
        -1
    }
}

#[derive(Default)]
pub struct ModelLog {
    /// Index of the last compacted entry (0: none).
    pub base: i64,
    pub base_term: i64,
    /// Membership after applying everything up to `base`.
    pub base_members: Members,
    pub entries: VecDeque<MEntry>,
}

impl ModelLog {
    pub fn last(&self) -> i64 {
        self.base + self.entries.len() as i64
    }
    pub fn len(&self) -> i64 {
        self.entries.len() as i64
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn get(&self, idx: i64) -> Option<&MEntry> {
        if idx <= self.base {
            return None;
        }
        self.entries.get((idx - self.base - 1) as usize)
    }
    pub fn get_mut(&mut self, idx: i64) -> Option<&mut MEntry> {
        if idx <= self.base {
            return None;
        }
        self.entries.get_mut((idx - self.base - 1) as usize)
    }
    pub fn term_at(&self, idx: i64) -> Option<i64> {
        if idx == self.base {
            Some(self.base_term)
        } else {
            self.get(idx).map(|e| e.term)
        }
    }
    /// Membership after applying entries up to `idx` (>= base).
    pub fn members_at(&self, idx: i64) -> Members {
        let mut m = self.base_members.clone();
        let mut i = self.base + 1;
        while i <= idx {
            if let Some(e) = self.get(i) {
                if is_cfg(e.etype) {
                    apply_cfg(&mut m, e.etype, e.node);
                }
            }
            i += 1;
        }
        m
    }
    /// Drop the oldest entry (compaction).
    pub fn poll(&mut self) -> Option<MEntry> {
        let e = self.entries.pop_front()?;
        self.base += 1;
        self.base_term = e.term;
        if is_cfg(e.etype) {
            apply_cfg(&mut self.base_members, e.etype, e.node);
        }
        Some(e)
    }
    /// Replace everything with a snapshot.
    pub fn reset_to(&mut self, s: &Snapshot) {
        self.entries.clear();
        self.base = s.idx;
        self.base_term = s.term;
        self.base_members = s.members.clone();
    }
}
