//! The simulated network: messages copied onto the wire by the send
//! callbacks, held in a queue ordered by (delivery time, sequence number),
//! and lost, duplicated, delayed or cut by a partition on the way.

use super::World;
use crate::ffi::*;
use crate::model::Snapshot;
use std::cmp::Ordering;

#[derive(Clone, Debug)]
pub struct WireEntry {
    pub term: i64,
    pub id: i32,
    pub etype: i32,
    pub payload: Vec<u8>,
}

#[derive(Clone)]
pub enum Body {
    Rv(msg_requestvote_t),
    Rvr(msg_requestvote_response_t),
    /// Header (its `entries` pointer is null on the wire) and copied entries.
    Ae(msg_appendentries_t, Vec<WireEntry>),
    Aer(msg_appendentries_response_t),
    /// Leader's term and the snapshot.
    Snap(i64, Box<Snapshot>),
    /// TimeoutNow (leadership transfer).
    Tn(msg_timeoutnow_t),
    /// A follower's read-index request, and the leader's answer.
    Ri(msg_readindex_t),
    Rir(msg_readindex_response_t),
}

pub struct Msg {
    pub at: u64,
    pub seq: u64,
    pub from: i32,
    pub to: i32,
    pub body: Body,
}
impl PartialEq for Msg {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl Eq for Msg {}
impl PartialOrd for Msg {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Msg {
    // BinaryHeap is a max-heap: earliest (at, seq) must compare greatest.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

impl Body {
    /// The sender's term, for the messages that carry one.
    pub fn term(&self) -> Option<i64> {
        match self {
            Body::Rv(m) => Some(m.term),
            Body::Rvr(m) => Some(m.term),
            Body::Ae(m, _) => Some(m.term),
            Body::Aer(m) => Some(m.term),
            Body::Snap(t, _) => Some(*t),
            Body::Tn(m) => Some(m.term),
            Body::Ri(_) | Body::Rir(_) => None,
        }
    }
}

impl World {
    fn group_of(&self, id: i32) -> u8 {
        *self.group.get(id as usize).unwrap_or(&0)
    }

    /// Whether a partition separates `a` and `b` (never in a liveness window).
    pub fn cut(&self, a: i32, b: i32) -> bool {
        self.partitioned && !self.calm && self.group_of(a) != self.group_of(b)
    }

    /// Latency of one message, plus the extra delay of a reordered one.
    fn delay(&mut self) -> u64 {
        let mut d = self.rng.range(self.cfg.min_latency as u64, self.cfg.max_latency as u64);
        if !self.calm && self.cfg.reorder > 0 && self.rng.chance(self.cfg.reorder, 100) {
            d += self.rng.range(0, self.cfg.reorder_delay as u64);
            self.stats.reordered += 1;
        }
        d
    }

    /// A server hands a message to the network; false if it was lost.
    pub fn send(&mut self, from: i32, to: i32, body: Body) -> bool {
        self.stats.sent += 1;
        if self.cut(from, to) {
            self.stats.dropped += 1;
            return false;
        }
        if !self.calm && self.cfg.drop > 0 && self.rng.chance(self.cfg.drop, 100) {
            self.stats.dropped += 1;
            return false;
        }
        if !self.calm && self.cfg.dupe > 0 && self.rng.chance(self.cfg.dupe, 100) {
            self.stats.duplicated += 1;
            let d = self.delay();
            self.seq += 1;
            self.net.push(Msg { at: self.now + d, seq: self.seq, from, to, body: body.clone() });
        }
        let d = self.delay();
        self.seq += 1;
        self.net.push(Msg { at: self.now + d, seq: self.seq, from, to, body });
        true
    }
}
