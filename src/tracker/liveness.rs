//! What a leader knows of its followers' liveness: whether each voter was
//! heard from since the last quorum check (check-quorum: a leader that has
//! not heard from a majority within an election timeout steps down), and the
//! highest heartbeat round each one acknowledged (a round acknowledged by a
//! majority confirms the reads that were waiting for it, thesis §6.4, and
//! extends the leader's lease).

use super::node::{is_voter, RECENT_ACTIVE};
use super::Tracker;
use crate::quorum;

impl<U> Tracker<U> {
    /// Marks that the leader heard from the member at `pos` in its term.
    #[inline]
    pub fn mark_recent_active(&mut self, pos: usize) {
        if let Some(f) = self.flags.get_mut(pos) {
            *f |= RECENT_ACTIVE;
        }
    }

    /// Whether the voters heard from since the last check, the leader itself
    /// included, are a majority of the voters.
    pub fn quorum_active(&self) -> bool {
        let (mut voters, mut active) = (0usize, 0usize);
        for (p, &f) in self.flags.iter().enumerate() {
            if is_voter(f) {
                voters += 1;
                active += (p == self.self_pos || f & RECENT_ACTIVE != 0) as usize;
            }
        }
        active > voters / 2
    }

    /// Starts a new check-quorum period: nobody heard from yet.
    pub fn reset_recent_active(&mut self) {
        for f in self.flags.iter_mut() {
            *f &= !RECENT_ACTIVE;
        }
    }

    /// Records that the member at `pos` acknowledged round `round`.
    #[inline]
    pub fn ack_round(&mut self, pos: usize, round: u64) {
        if let Some(a) = self.acked_round.get_mut(pos) {
            *a = (*a).max(round);
        }
    }

    /// A new leader knows no acknowledgement of its term yet.
    pub fn reset_acked_rounds(&mut self) {
        self.acked_round.iter_mut().for_each(|a| *a = 0);
    }

    /// The highest round a majority of the voters acknowledged, the leader
    /// counting as having acknowledged `self_round` (0 with no voters).
    pub fn quorum_round(&self, self_round: u64) -> u64 {
        const SMALL: usize = 8;
        let self_pos = self.self_pos();
        let round_of = |p: usize| if Some(p) == self_pos { self_round } else { self.acked_round[p] } as i64;
        let mut small = [0i64; SMALL];
        let mut n = 0;
        for p in self.voters() {
            if n == SMALL {
                let mut all: Vec<i64> = self.voters().map(round_of).collect();
                return quorum::majority_index(&mut all) as u64;
            }
            small[n] = round_of(p);
            n += 1;
        }
        quorum::majority_index(&mut small[..n]) as u64
    }
}
