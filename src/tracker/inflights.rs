//! The leader's window of AppendEntries in flight to one peer (flow
//! control in the spirit of etcd raft's `Inflights`): the last index each
//! unanswered message carried, oldest first, in a ring of fixed capacity.
//! While the ring is full the leader sends that peer nothing new.

use crate::types::Index;

#[derive(Debug, Default, Clone)]
pub struct Inflights {
    /// `ring[(start + i) % cap]` is the i-th oldest message's last index.
    ring: Vec<Index>,
    start: usize,
    count: usize,
}

impl Inflights {
    /// An empty window of `cap` messages (0 allocates nothing).
    pub fn new(cap: usize) -> Self {
        Inflights { ring: vec![0; cap], start: 0, count: 0 }
    }
    pub fn capacity(&self) -> usize {
        self.ring.len()
    }
    pub fn count(&self) -> usize {
        self.count
    }
    pub fn is_full(&self) -> bool {
        self.count >= self.ring.len()
    }
    /// Records a message whose last entry is `last`. The caller checked the
    /// window is not full.
    pub fn add(&mut self, last: Index) {
        let cap = self.ring.len();
        if cap == 0 || self.count == cap {
            return;
        }
        let slot = (self.start + self.count) % cap;
        self.ring[slot] = last;
        self.count += 1;
    }
    /// Forgets every message whose last index is at most `idx` (the peer
    /// acknowledged them).
    pub fn free_to(&mut self, idx: Index) {
        let cap = self.ring.len();
        while self.count > 0 && self.ring[self.start] <= idx {
            self.start = (self.start + 1) % cap;
            self.count -= 1;
        }
        if self.count == 0 {
            self.start = 0;
        }
    }
    /// Forgets every message in flight.
    pub fn reset(&mut self) {
        self.start = 0;
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_frees_in_order_and_wraps() {
        let mut w = Inflights::new(3);
        w.add(5);
        w.add(9);
        w.add(12);
        assert!(w.is_full());
        w.add(15); // refused: full
        assert_eq!(w.count(), 3);
        w.free_to(9);
        assert_eq!(w.count(), 1);
        w.add(20);
        w.add(25);
        assert!(w.is_full());
        w.free_to(19);
        assert_eq!(w.count(), 2);
        w.free_to(100);
        assert_eq!(w.count(), 0);
        w.reset();
        assert!(!w.is_full());
    }

    #[test]
    fn zero_capacity_is_always_full() {
        let mut w = Inflights::new(0);
        assert!(w.is_full());
        w.add(1);
        assert_eq!(w.count(), 0);
    }
}
