//! Linearizable Reads: every read a server answers with `can_read` sees
//! state at least as new as every write acknowledged to a client before
//! the read began (a linearizability check over the client history in the
//! spirit of Knossos/porcupine, reduced to what a log makes decisive: the
//! state after index i contains every write at an index <= i, so a read
//! whose server has applied less than the highest index acknowledged before
//! it began returned stale state). Each read is answered exactly once.

use crate::events::K;
use crate::ffi::c;
use crate::invariants::names::*;
use crate::world::World;

impl World {
    /// The read callback: read `id` was answered.
    pub fn on_read_done(&mut self, id: u64, can_read: i32, err: i32) {
        let Some(rec) = self.reads.remove(&id) else {
            return self.fail(LINEARIZABLE_READS, format!("read {} answered twice (or never asked)", id));
        };
        let sid = rec.slot as i64 + 1;
        if can_read == 0 {
            self.stats.reads_failed += 1;
            self.ev(K::Read, [1, id as i64, sid, 0, err as i64, 0, rec.floor]);
            if ![c::ERR_NOT_LEADER, c::ERR_TIMEOUT, c::ERR_SHUTDOWN].contains(&err) {
                self.fail(LINEARIZABLE_READS, format!("read {} on server {} failed with {}, not a documented read error", id, sid, err));
            }
            return;
        }
        let sv = &self.servers[rec.slot];
        let applied = sv.mem.sm_applied;
        let same = self.up(rec.slot) && sv.incarnation == rec.incarnation;
        self.stats.reads_ok += 1;
        self.ev(K::Read, [1, id as i64, sid, 1, err as i64, applied, rec.floor]);
        if !same {
            return self.fail(LINEARIZABLE_READS, format!("read {} answered can_read for server {} after it crashed", id, sid));
        }
        if applied < rec.floor {
            self.fail(
                LINEARIZABLE_READS,
                format!(
                    "read {} on server {} ({}) sees the state after idx {}, but a write at idx {} was acknowledged before the read began (step {}): a stale read",
                    id,
                    sid,
                    if rec.lease { "lease read" } else { "ReadIndex" },
                    applied,
                    rec.floor,
                    rec.step
                ),
            );
        }
    }
}
