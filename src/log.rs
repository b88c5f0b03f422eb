//! The in-memory log: a contiguous run of entries after a compacted prefix.
//!
//! Entries `base + 1 ..= base + count` are held; everything up to `base` has
//! been compacted into a snapshot whose last entry had term `base_term`
//! (thesis §5.1). The entries stay contiguous in memory so that a run of them
//! can be handed to a transport as one C array.

use crate::types::{Entry, Index, Term};

/// Polled slots are reclaimed in bulk once at least this many have accumulated
/// and they make up half of the buffer: amortised O(1) per poll.
const RECLAIM_MIN: usize = 256;

#[derive(Debug)]
pub struct Log<D> {
    /// `entries[head..]` are live; `entries[..head]` were polled.
    entries: Vec<Entry<D>>,
    head: usize,
    base: Index,
    base_term: Term,
    /// Index of the last entry (`base + entries.len() - head`), kept so that
    /// the hot paths read it instead of computing it.
    last: Index,
    /// Index of the entry in `entries[0]` (`base + 1 - head`), kept so that
    /// finding an entry's slot is one subtraction.
    origin: Index,
}

impl<D> Default for Log<D> {
    fn default() -> Self {
        Log { entries: Vec::new(), head: 0, base: 0, base_term: 0, last: 0, origin: 1 }
    }
}

impl<D> Log<D> {
    /// Number of entries held.
    #[inline(always)]
    pub fn count(&self) -> Index {
        self.last - self.base
    }
    /// Index of the last compacted entry (0 when nothing was compacted).
    pub fn base(&self) -> Index {
        self.base
    }
    /// Term of the entry at [`Log::base`].
    pub fn base_term(&self) -> Term {
        self.base_term
    }
    /// Index of the last entry (the base when the log is empty).
    #[inline(always)]
    pub fn current_idx(&self) -> Index {
        self.last
    }

    /// Where the entry at `idx` sits in `entries`, if it is held.
    #[inline(always)]
    fn slot(&self, idx: Index) -> Option<usize> {
        // Below `origin` the subtraction wraps to a huge slot; slots before
        // `head` were polled, slots from `entries.len()` are beyond `last`.
        let s = idx.wrapping_sub(self.origin) as usize;
        (s >= self.head && s < self.entries.len()).then_some(s)
    }

    /// The newest entry, mutably.
    #[inline]
    pub fn last_mut(&mut self) -> Option<&mut Entry<D>> {
        if self.entries.len() > self.head {
            self.entries.last_mut()
        } else {
            None
        }
    }


    /// The entry at `idx`, if it is held.
    #[inline]
    pub fn get(&self, idx: Index) -> Option<&Entry<D>> {
        self.slot(idx).and_then(|s| self.entries.get(s))
    }

    pub fn get_mut(&mut self, idx: Index) -> Option<&mut Entry<D>> {
        match self.slot(idx) {
            Some(s) => self.entries.get_mut(s),
            None => None,
        }
    }

    /// Term of the entry at `idx`: 0 for index 0, the base term for the base,
    /// `None` when the entry is compacted or beyond the log.
    #[inline]
    pub fn term_at(&self, idx: Index) -> Option<Term> {
        if let Some(e) = self.get(idx) {
            return Some(e.term);
        }
        if idx == self.base {
            Some(self.base_term)
        } else if idx == 0 {
            Some(0)
        } else {
            None
        }
    }

    /// Term of the last entry (or of the base when the log is empty).
    pub fn last_term(&self) -> Term {
        match self.entries.last() {
            Some(e) if self.count() > 0 => e.term,
            _ => self.base_term,
        }
    }

    /// Up to `max` entries starting at `idx` (empty when `idx` is not held).
    pub fn slice_from(&self, idx: Index, max: usize) -> &[Entry<D>] {
        match self.slot(idx) {
            Some(s) => {
                let end = self.entries.len().min(s.saturating_add(max));
                self.entries.get(s..end).unwrap_or(&[])
            }
            None => &[],
        }
    }

    /// Appends an entry at `current_idx() + 1`. The buffer grows by a
    /// quarter of its size (not doubling), so slots never take more than
    /// 1.25 entries' worth of memory per entry held (40 B for a C entry's 32).
    #[inline(always)]
    pub fn push(&mut self, e: Entry<D>) {
        if self.entries.len() == self.entries.capacity() {
            self.grow();
        }
        self.entries.push(e);
        self.last += 1;
    }

    #[cold]
    fn grow(&mut self) {
        let extra = (self.entries.capacity() / 4).max(16);
        self.entries.reserve_exact(extra);
    }

    /// Removes the newest entry.
    pub fn pop_back(&mut self) -> Option<Entry<D>> {
        if self.count() == 0 {
            return None;
        }
        self.last -= 1;
        self.entries.pop()
    }

    /// Removes the oldest entry, advancing the base.
    pub fn pop_front(&mut self) -> Option<Entry<D>>
    where
        D: Clone,
    {
        let e = self.entries.get(self.head)?.clone();
        self.head += 1;
        self.base += 1;
        self.base_term = e.term;
        if self.head == self.entries.len() {
            self.entries.clear();
            self.head = 0;
            self.origin = self.base + 1;
        } else if self.head >= RECLAIM_MIN && self.head * 2 >= self.entries.len() {
            self.entries.drain(..self.head);
            self.head = 0;
            self.origin = self.base + 1;
        }
        Some(e)
    }

    /// Drops every entry and restarts the log after a snapshot ending at
    /// (`base`, `base_term`).
    pub fn reset(&mut self, base: Index, base_term: Term) {
        self.entries.clear();
        self.head = 0;
        self.base = base;
        self.base_term = base_term;
        self.last = base;
        self.origin = base + 1;
    }

    /// Whether `other` shares memory with the entry slots (a caller handing
    /// the log its own entries, which an append could move).
    #[inline(always)]
    pub fn overlaps(&self, other: &[Entry<D>]) -> bool {
        let size = std::mem::size_of::<Entry<D>>();
        let (a0, a1) = (self.entries.as_ptr() as usize, self.entries.as_ptr() as usize + self.entries.capacity() * size);
        let (b0, b1) = (other.as_ptr() as usize, other.as_ptr() as usize + std::mem::size_of_val(other));
        !other.is_empty() && a0 < b1 && b0 < a1
    }

    /// Bytes reserved for entry slots (for memory accounting).
    pub fn capacity_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<D>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(term: Term) -> Entry<u32> {
        Entry { term, id: 0, etype: 0, data: 0 }
    }

    #[test]
    fn indexes_start_at_one() {
        let mut l = Log::default();
        assert_eq!(l.current_idx(), 0);
        assert_eq!(l.term_at(0), Some(0));
        l.push(e(1));
        l.push(e(2));
        assert_eq!(l.current_idx(), 2);
        assert_eq!(l.get(1).unwrap().term, 1);
        assert_eq!(l.get(2).unwrap().term, 2);
        assert!(l.get(3).is_none());
        assert!(l.get(0).is_none());
        assert_eq!(l.last_term(), 2);
    }

    #[test]
    fn only_held_indexes_have_slots() {
        let mut l = Log::default();
        for t in 1..=600 {
            l.push(e(t));
        }
        for _ in 0..400 {
            l.pop_front(); // reclaims polled slots on the way
        }
        l.pop_back();
        assert_eq!((l.base(), l.current_idx()), (400, 599));
        for idx in [i64::MIN, -1, 0, 1, 399, 400, 600, 601, i64::MAX] {
            assert!(l.get(idx).is_none(), "{idx}");
        }
        assert_eq!(l.get(401).unwrap().term, 401);
        assert_eq!(l.get(599).unwrap().term, 599);
        assert_eq!(l.slice_from(598, 10).len(), 2);
        l.reset(1000, 9);
        assert!(l.get(1000).is_none() && l.get(1001).is_none());
        l.push(e(10));
        assert_eq!(l.get(1001).unwrap().term, 10);
    }

    #[test]
    fn pop_front_moves_base_and_keeps_term() {
        let mut l = Log::default();
        for t in 1..=5 {
            l.push(e(t));
        }
        assert_eq!(l.pop_front().unwrap().term, 1);
        assert_eq!(l.base(), 1);
        assert_eq!(l.base_term(), 1);
        assert!(l.get(1).is_none());
        assert_eq!(l.term_at(1), Some(1));
        assert_eq!(l.get(2).unwrap().term, 2);
        assert_eq!(l.count(), 4);
        assert_eq!(l.slice_from(3, 10).len(), 3);
        assert_eq!(l.slice_from(3, 2).len(), 2);
        assert!(l.slice_from(1, 2).is_empty());
    }

    #[test]
    fn reclaiming_polled_slots_keeps_indexes() {
        let mut l = Log::default();
        for i in 0..10_000 {
            l.push(e(i));
            if i % 2 == 1 {
                l.pop_front();
            }
        }
        assert_eq!(l.count(), 5000);
        assert_eq!(l.base(), 5000);
        for idx in 5001..=10_000 {
            assert_eq!(l.get(idx).unwrap().term, idx - 1);
        }
        assert!(l.capacity_bytes() < 40_000 * std::mem::size_of::<Entry<u32>>());
    }

    #[test]
    fn slots_grow_by_a_quarter() {
        let mut l = Log::default();
        for i in 0..100_000 {
            l.push(e(i));
            let slot_bytes = l.capacity_bytes() as f64 / l.count() as f64;
            assert!(l.count() < 64 || slot_bytes <= 1.25 * std::mem::size_of::<Entry<u32>>() as f64 + 1.0, "count {} cap bytes {}", l.count(), l.capacity_bytes());
        }
    }

    #[test]
    fn reset_after_snapshot() {
        let mut l = Log::default();
        l.push(e(1));
        l.reset(10, 3);
        assert_eq!(l.count(), 0);
        assert_eq!(l.current_idx(), 10);
        assert_eq!(l.last_term(), 3);
        assert_eq!(l.term_at(10), Some(3));
        assert!(l.pop_back().is_none());
    }
}
