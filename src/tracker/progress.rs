//! How the leader replicates to each peer, in the spirit of etcd raft's
//! `Progress` states: while probing, one AppendEntries at a time until the
//! peer's log is found to match; then, replicating, a window of messages in
//! flight with `next_idx` advanced optimistically as each is sent; while a
//! snapshot is shipped, nothing but heartbeats. A window of 1 (the default)
//! is willemt's stop-and-wait: the states are not used.

use super::inflights::Inflights;
use super::node::PROBE_SENT;
use super::Tracker;
use crate::types::Index;

/// A peer's replication state (meaningful with a window above 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicationState {
    /// Finding where the peer's log matches ours: one message in flight,
    /// `paused` until it is answered (or a heartbeat is due).
    Probe,
    /// The peer's log matches up to `match_idx`: messages stream within the window.
    Replicate,
    /// The peer needs a snapshot; it gets heartbeats until it has caught up.
    Snapshot,
}

impl<U> Tracker<U> {
    /// Sets the number of messages in flight per peer (1 or less:
    /// stop-and-wait, the default). Forgets what is in flight.
    pub fn set_window(&mut self, window: usize) {
        self.window = window.max(1);
        let cap = if self.window > 1 { self.window } else { 0 };
        for (w, r) in self.inflights.iter_mut().zip(self.repl.iter_mut()) {
            *w = Inflights::new(cap);
            *r = ReplicationState::Probe;
        }
    }
    /// Messages in flight allowed per peer.
    pub fn window(&self) -> usize {
        self.window
    }
    /// Whether more than one message may be in flight per peer.
    #[inline(always)]
    pub fn pipelining(&self) -> bool {
        self.window > 1
    }
    pub fn repl_state(&self, pos: usize) -> ReplicationState {
        self.repl.get(pos).copied().unwrap_or(ReplicationState::Probe)
    }
    /// Whether the window to `pos` is full.
    pub fn window_full(&self, pos: usize) -> bool {
        self.inflights.get(pos).is_none_or(Inflights::is_full)
    }
    /// Messages in flight to `pos`.
    pub fn in_flight(&self, pos: usize) -> usize {
        self.inflights.get(pos).map_or(0, Inflights::count)
    }

    /// Whether a probe to `pos` is unanswered (send no other until it is, or
    /// a heartbeat is due).
    pub fn probe_paused(&self, pos: usize) -> bool {
        self.flags(pos) & PROBE_SENT != 0
    }
    pub fn set_probe_paused(&mut self, pos: usize, paused: bool) {
        if let Some(f) = self.flags.get_mut(pos) {
            if paused {
                *f |= PROBE_SENT
            } else {
                *f &= !PROBE_SENT
            }
        }
    }

    /// Back to probing from `next`: a rejection or a lost message means the
    /// peer's log is not where we assumed.
    pub fn become_probe(&mut self, pos: usize, next: Index) {
        if let (Some(r), Some(w), Some(n)) = (self.repl.get_mut(pos), self.inflights.get_mut(pos), self.next_idx.get_mut(pos)) {
            *r = ReplicationState::Probe;
            w.reset();
            *n = next.max(1);
        }
    }
    /// The peer's log matches up to its match index: stream from there.
    pub fn become_replicate(&mut self, pos: usize) {
        if let (Some(r), Some(w), Some(&m)) = (self.repl.get_mut(pos), self.inflights.get_mut(pos), self.match_idx.get(pos)) {
            *r = ReplicationState::Replicate;
            w.reset();
            self.next_idx[pos] = m + 1;
        }
    }
    /// The peer needs a snapshot: nothing streams until it has caught up.
    pub fn become_snapshot(&mut self, pos: usize) {
        if let (Some(r), Some(w)) = (self.repl.get_mut(pos), self.inflights.get_mut(pos)) {
            *r = ReplicationState::Snapshot;
            w.reset();
        }
    }
    /// A message carrying entries up to `last` was sent to `pos`, in the
    /// replicate state: it is in flight and `next_idx` moves past it.
    pub fn sent(&mut self, pos: usize, last: Index) {
        if let (Some(w), Some(n)) = (self.inflights.get_mut(pos), self.next_idx.get_mut(pos)) {
            w.add(last);
            *n = (*n).max(last + 1);
        }
    }
    /// `pos` acknowledged everything up to `matched` (pipelined): its match
    /// index rises and the messages it answered leave the window; `next_idx`
    /// never moves back over messages still in flight.
    pub fn acknowledged(&mut self, pos: usize, matched: Index) {
        if let (Some(w), Some(n), Some(m)) = (self.inflights.get_mut(pos), self.next_idx.get_mut(pos), self.match_idx.get_mut(pos)) {
            w.free_to(matched);
            *m = (*m).max(matched);
            *n = (*n).max(matched + 1);
        }
    }
}
