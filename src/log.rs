//! The in-memory log: the entries after a compacted prefix, in chunks.
//!
//! Entries `base + 1 ..= base + count` are held; everything up to `base` has
//! been compacted into a snapshot whose last entry had term `base_term`
//! (thesis §5.1). The newest entries sit in one contiguous buffer, the tail;
//! once it holds [`CHUNK`] entries it is retired, as it is, to the list of
//! full chunks and a new tail begins. No entry moves when the log grows
//! beyond a chunk (an entry's address stays put until it is polled or
//! popped), the slots cost at most a quarter more than the entries they
//! hold, and a run of entries within one chunk can be handed to a transport
//! as one C array.

use crate::types::{Entry, Index, Term};

/// Entries per full chunk (a power of two: a slot is a shift and a mask).
/// The test-only fault-injection build (simulator, fuzzers, interaction
/// scripts) uses chunks of 16, so that their runs cross chunk boundaries
/// all the time.
#[cfg(not(feature = "fault-injection"))]
const CHUNK_SHIFT: u32 = 10;
#[cfg(feature = "fault-injection")]
const CHUNK_SHIFT: u32 = 4;
const CHUNK: usize = 1 << CHUNK_SHIFT;
/// The smallest tail buffer.
const MIN_SLOTS: usize = 16;
/// Polled slots of a lone tail are reclaimed in bulk once at least this many
/// have accumulated and they make up half of the buffer: amortised O(1) per
/// poll. (Polled slots of a full chunk go with the chunk.)
const RECLAIM_MIN: usize = 256;

#[derive(Debug)]
pub struct Log<D> {
    /// Retired chunks of exactly [`CHUNK`] entries, oldest first.
    full: Vec<Vec<Entry<D>>>,
    /// The newest entries (at most [`CHUNK`]).
    tail: Vec<Entry<D>>,
    /// Polled slots at the start of the oldest buffer (`full[0]`, or the tail
    /// when there are no full chunks).
    head: usize,
    /// Polled slots at the start of the tail: `head` without full chunks, else 0.
    tail_head: usize,
    base: Index,
    base_term: Term,
    /// Index of the last entry (`base + count`), kept so that the hot paths
    /// read it instead of computing it.
    last: Index,
    /// Index of the entry in slot 0 of the oldest buffer.
    origin: Index,
    /// Index of the entry in `tail[0]`, so that finding a recent entry's
    /// slot is one subtraction.
    tail_origin: Index,
}

impl<D> Default for Log<D> {
    fn default() -> Self {
        Log {
            full: Vec::new(),
            tail: Vec::new(),
            head: 0,
            tail_head: 0,
            base: 0,
            base_term: 0,
            last: 0,
            origin: 1,
            tail_origin: 1,
        }
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

    /// Where the entry at `idx` sits in the tail, if it is held there.
    #[inline(always)]
    fn tail_slot(&self, idx: Index) -> Option<usize> {
        // Below `tail_origin` the subtraction wraps to a huge slot; slots
        // before `tail_head` were polled, slots from `tail.len()` are beyond `last`.
        let t = idx.wrapping_sub(self.tail_origin) as usize;
        (t >= self.tail_head && t < self.tail.len()).then_some(t)
    }

    /// Where the entry at `idx` sits among the full chunks (chunk, offset).
    #[inline]
    fn full_slot(&self, idx: Index) -> Option<(usize, usize)> {
        let s = idx.wrapping_sub(self.origin) as usize;
        (s >= self.head && s < self.full.len() << CHUNK_SHIFT).then_some((s >> CHUNK_SHIFT, s & (CHUNK - 1)))
    }

    /// The newest entry, mutably.
    #[inline]
    pub fn last_mut(&mut self) -> Option<&mut Entry<D>> {
        if self.count() > 0 {
            self.tail.last_mut()
        } else {
            None
        }
    }

    /// The entry at `idx`, if it is held.
    #[inline(always)]
    pub fn get(&self, idx: Index) -> Option<&Entry<D>> {
        match self.tail_slot(idx) {
            Some(t) => self.tail.get(t),
            None if self.full.is_empty() => None,
            None => self.get_full(idx),
        }
    }

    #[inline(never)]
    fn get_full(&self, idx: Index) -> Option<&Entry<D>> {
        let (c, o) = self.full_slot(idx)?;
        self.full.get(c)?.get(o)
    }

    pub fn get_mut(&mut self, idx: Index) -> Option<&mut Entry<D>> {
        if let Some(t) = self.tail_slot(idx) {
            return self.tail.get_mut(t);
        }
        let (c, o) = self.full_slot(idx)?;
        self.full.get_mut(c)?.get_mut(o)
    }

    /// Term of the entry at `idx`: 0 for index 0, the base term for the base,
    /// `None` when the entry is compacted or beyond the log.
    #[inline(always)]
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
        match self.tail.last() {
            Some(e) if self.count() > 0 => e.term,
            _ => self.base_term,
        }
    }

    /// Up to `max` entries starting at `idx`, contiguous in memory: the run
    /// ends where `idx`'s chunk ends (empty when `idx` is not held).
    pub fn slice_from(&self, idx: Index, max: usize) -> &[Entry<D>] {
        if let Some(t) = self.tail_slot(idx) {
            let end = self.tail.len().min(t.saturating_add(max));
            return self.tail.get(t..end).unwrap_or(&[]);
        }
        match self.full_slot(idx) {
            Some((c, o)) => match self.full.get(c) {
                Some(chunk) => chunk.get(o..chunk.len().min(o.saturating_add(max))).unwrap_or(&[]),
                None => &[],
            },
            None => &[],
        }
    }

    /// How many entries from `idx` lie contiguously in memory (at most `max`):
    /// what one C array handed to a transport can carry.
    #[inline(always)]
    pub fn run_from(&self, idx: Index, max: usize) -> usize {
        match self.tail_slot(idx) {
            Some(t) => (self.tail.len() - t).min(max),
            None => self.slice_from(idx, max).len(),
        }
    }

    /// Appends an entry at `current_idx() + 1`.
    #[inline(always)]
    pub fn push(&mut self, e: Entry<D>) {
        if self.tail.len() == self.tail.capacity() {
            self.make_room();
        }
        self.tail.push(e);
        self.last += 1;
    }

    /// Appends `run` at `current_idx() + 1` onwards: the slots [`Log::push`]
    /// would use, filled a buffer's worth at a time.
    #[inline]
    pub fn extend_from_slice(&mut self, mut run: &[Entry<D>])
    where
        D: Clone,
    {
        while !run.is_empty() {
            if self.tail.len() == self.tail.capacity() {
                self.make_room();
            }
            let k = (self.tail.capacity() - self.tail.len()).min(run.len());
            self.tail.extend_from_slice(&run[..k]);
            self.last += k as Index;
            run = &run[k..];
        }
    }

    /// Room for one more entry in the tail. A tail short of a chunk grows by
    /// a quarter of the entries held (not doubling), so slots never take more
    /// than 1.25 entries' worth of memory per entry held (40 B for a C
    /// entry's 32); a full tail is retired as a chunk without moving its
    /// entries, and the new tail starts at a quarter of the entries held.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self) {
        // (a little under a quarter: the list of chunks takes its share)
        let held = self.count().max(0) as usize;
        let quarter = (held / 4).saturating_sub(held / 256 + 4).max(MIN_SLOTS);
        if self.tail.len() < CHUNK {
            let extra = quarter.min(CHUNK - self.tail.len());
            self.tail.reserve_exact(extra);
            return;
        }
        // (A tail longer than a chunk, should an allocator round capacities
        // up, leaves its excess in the new tail.)
        let excess = self.tail.split_off(CHUNK);
        let mut tail = Vec::with_capacity(quarter.min(CHUNK).max(excess.len() + 1));
        tail.extend(excess);
        let full = std::mem::replace(&mut self.tail, tail);
        self.full.push(full);
        self.tail_origin += CHUNK as Index;
        self.tail_head = 0;
    }

    /// Removes the newest entry.
    pub fn pop_back(&mut self) -> Option<Entry<D>> {
        if self.count() == 0 {
            return None;
        }
        let e = self.tail.pop();
        self.last -= 1;
        if self.tail.is_empty() {
            // The newest full chunk becomes the tail again.
            if let Some(chunk) = self.full.pop() {
                self.tail = chunk;
                self.tail_origin -= CHUNK as Index;
                self.tail_head = if self.full.is_empty() { self.head } else { 0 };
            }
        }
        e
    }

    /// Removes the oldest entry, advancing the base.
    pub fn pop_front(&mut self) -> Option<Entry<D>>
    where
        D: Clone,
    {
        if self.count() == 0 {
            return None;
        }
        let oldest = match self.full.first() {
            Some(chunk) => chunk,
            None => &self.tail,
        };
        let e = oldest.get(self.head)?.clone();
        self.head += 1;
        self.base += 1;
        self.base_term = e.term;
        if !self.full.is_empty() {
            if self.head == CHUNK {
                self.full.remove(0);
                self.head = 0;
                self.origin += CHUNK as Index;
            }
        } else if self.head == self.tail.len() {
            self.tail.clear();
            self.restart_tail();
        } else if self.head >= RECLAIM_MIN && self.head * 2 >= self.tail.len() {
            self.tail.drain(..self.head);
            self.restart_tail();
        } else {
            self.tail_head = self.head;
        }
        Some(e)
    }

    /// The lone tail's polled slots are gone: it starts after the base.
    fn restart_tail(&mut self) {
        self.head = 0;
        self.tail_head = 0;
        self.origin = self.base + 1;
        self.tail_origin = self.origin;
    }

    /// Drops every entry and restarts the log after a snapshot ending at
    /// (`base`, `base_term`).
    pub fn reset(&mut self, base: Index, base_term: Term) {
        self.full.clear();
        self.tail.clear();
        self.base = base;
        self.base_term = base_term;
        self.last = base;
        self.restart_tail();
    }

    /// Whether `other` shares memory with slots that may be written or moved
    /// while it is read: the tail's buffer, and the full chunks holding
    /// entries from `writable_from` on (what a follower may still truncate;
    /// older chunks never move and are not written).
    #[inline(always)]
    pub fn overlaps(&self, other: &[Entry<D>], writable_from: Index) -> bool {
        if other.is_empty() {
            return false;
        }
        if overlap(&self.tail, other) {
            return true;
        }
        if self.full.is_empty() || writable_from >= self.tail_origin {
            return false;
        }
        self.overlaps_full(other, writable_from)
    }

    #[cold]
    #[inline(never)]
    fn overlaps_full(&self, other: &[Entry<D>], writable_from: Index) -> bool {
        let mut first = self.tail_origin;
        for chunk in self.full.iter().rev() {
            first -= CHUNK as Index;
            if overlap(chunk, other) {
                return true;
            }
            if first <= writable_from {
                break;
            }
        }
        false
    }

    /// Bytes reserved for entry slots (for memory accounting).
    pub fn capacity_bytes(&self) -> usize {
        let slots: usize = self.full.iter().map(Vec::capacity).sum::<usize>() + self.tail.capacity();
        slots * std::mem::size_of::<Entry<D>>() + self.full.capacity() * std::mem::size_of::<Vec<Entry<D>>>()
    }
}

/// Whether `other` lies (partly) in `buf`'s allocation.
#[inline(always)]
fn overlap<D>(buf: &Vec<Entry<D>>, other: &[Entry<D>]) -> bool {
    let size = std::mem::size_of::<Entry<D>>();
    let (a0, a1) = (buf.as_ptr() as usize, buf.as_ptr() as usize + buf.capacity() * size);
    let (b0, b1) = (other.as_ptr() as usize, other.as_ptr() as usize + std::mem::size_of_val(other));
    a0 < b1 && b0 < a1
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
    #[cfg_attr(feature = "fault-injection", ignore = "chunks of 16 entries: each chunk's header is a larger share")]
    fn slots_grow_by_a_quarter() {
        let mut l = Log::default();
        for i in 0..100_000 {
            l.push(e(i));
            let slot_bytes = l.capacity_bytes() as f64 / l.count() as f64;
            assert!(l.count() < 64 || slot_bytes <= 1.25 * std::mem::size_of::<Entry<u32>>() as f64 + 1.0, "count {} cap bytes {}", l.count(), l.capacity_bytes());
        }
    }

    #[test]
    fn chunks_keep_indexes_addresses_and_runs() {
        let mut l = Log::default();
        let n = 3 * CHUNK + 100;
        for i in 1..=n as Index {
            l.push(e(i));
        }
        let first_addr = l.get(1).unwrap() as *const _ as usize;
        let mid_addr = l.get(CHUNK as Index + 5).unwrap() as *const _ as usize;
        for i in 0..CHUNK as Index {
            l.push(e(n as Index + 1 + i));
        }
        // retired chunks never move
        assert_eq!(l.get(1).unwrap() as *const _ as usize, first_addr);
        assert_eq!(l.get(CHUNK as Index + 5).unwrap() as *const _ as usize, mid_addr);
        let last = (n + CHUNK) as Index;
        for idx in [1, 2, CHUNK as Index, CHUNK as Index + 1, 2 * CHUNK as Index, last - 1, last] {
            assert_eq!(l.get(idx).unwrap().term, idx, "{idx}");
            assert_eq!(l.term_at(idx), Some(idx));
        }
        assert!(l.get(0).is_none() && l.get(last + 1).is_none() && l.get(-5).is_none());
        // a run stops at its chunk's end
        assert_eq!(l.slice_from(CHUNK as Index - 2, 10).len(), 3);
        assert_eq!(l.run_from(CHUNK as Index - 2, 10), 3);
        assert_eq!(l.slice_from(CHUNK as Index + 1, 10).len(), 10);
        assert_eq!(l.slice_from(last - 1, 10).len(), 2);
        assert_eq!(l.run_from(last - 1, 10), 2);
        assert_eq!(l.slice_from(last + 1, 10).len(), 0);
        // popping back across chunk boundaries and pushing again
        while l.current_idx() > CHUNK as Index - 3 {
            assert_eq!(l.pop_back().unwrap().term, l.current_idx() + 1);
        }
        assert_eq!(l.last_term(), CHUNK as Index - 3);
        for i in 0..(2 * CHUNK) as Index {
            l.push(e(1000 + i));
        }
        assert_eq!(l.get(CHUNK as Index - 3).unwrap().term, CHUNK as Index - 3);
        assert_eq!(l.get(CHUNK as Index - 2).unwrap().term, 1000);
        assert_eq!(l.get(CHUNK as Index + 10).unwrap().term, 1012);
        assert_eq!(l.last_term(), 1000 + 2 * CHUNK as Index - 1);
        // polling through whole chunks frees them and keeps the rest
        for k in 1..=(CHUNK as Index + 7) {
            assert_eq!(l.pop_front().unwrap().term, l.term_at(k).unwrap());
        }
        assert_eq!(l.base(), CHUNK as Index + 7);
        assert!(l.get(CHUNK as Index + 7).is_none());
        assert_eq!(l.get(CHUNK as Index + 8).unwrap().term, 1000 + 10);
        assert_eq!(l.count(), l.current_idx() - l.base());
        while l.pop_front().is_some() {}
        assert_eq!(l.count(), 0);
        assert_eq!(l.base(), l.current_idx());
        l.push(e(7));
        assert_eq!(l.get(l.current_idx()).unwrap().term, 7);
    }

    #[test]
    fn runs_land_where_pushes_would() {
        // runs of many lengths, crossing chunk ends and partly polled tails,
        // leave the same entries and the same chunks as one push each
        let (mut pushed, mut extended) = (Log::default(), Log::default());
        let mut next: Index = 1;
        for (k, len) in [1usize, 15, 16, 17, 300, CHUNK - 3, 2 * CHUNK + 7, 0, 5, 3 * CHUNK].iter().enumerate() {
            let run: Vec<_> = (0..*len as Index).map(|i| e(next + i)).collect();
            run.iter().for_each(|x| pushed.push(*x));
            extended.extend_from_slice(&run);
            next += *len as Index;
            if k % 3 == 2 {
                for _ in 0..(*len / 2) {
                    assert_eq!(pushed.pop_front(), extended.pop_front());
                }
            }
            assert_eq!((extended.base(), extended.current_idx()), (pushed.base(), pushed.current_idx()));
            assert_eq!(extended.capacity_bytes(), pushed.capacity_bytes());
            for idx in pushed.base()..=pushed.current_idx() + 1 {
                assert_eq!(extended.get(idx), pushed.get(idx), "{idx}");
                assert_eq!(extended.run_from(idx, usize::MAX), pushed.run_from(idx, usize::MAX), "{idx}");
            }
        }
        assert_eq!(extended.last_term(), next - 1);
    }

    #[test]
    fn overlaps_sees_the_tail_and_the_writable_chunks() {
        let mut l = Log::default();
        for i in 1..=(2 * CHUNK + 10) as Index {
            l.push(e(i));
        }
        let old = std::slice::from_ref(l.get(5).unwrap()).to_vec();
        assert!(!l.overlaps(&old, 1), "a copy is not the log");
        let in_first = std::slice::from_ref(l.get(5).unwrap());
        let in_second = std::slice::from_ref(l.get(CHUNK as Index + 5).unwrap());
        let in_tail = std::slice::from_ref(l.get(2 * CHUNK as Index + 5).unwrap());
        assert!(l.overlaps(in_tail, (3 * CHUNK) as Index));
        assert!(l.overlaps(in_second, CHUNK as Index + 1));
        assert!(l.overlaps(in_first, 1));
        assert!(!l.overlaps(in_first, CHUNK as Index + 1), "committed chunks are not written");
        assert!(!l.overlaps(in_second, 2 * CHUNK as Index + 1));
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
