//! Linearizable reads without the log (thesis §6.4): ReadIndex, its
//! follower variant, and lease reads (§6.4.1).
//!
//! ReadIndex on the leader: (1) once an entry of its term is committed, the
//! leader records its commit index as the read index; (2) it confirms it is
//! still the leader with a heartbeat round sent after that, acknowledged by a
//! majority; (3) once the state machine has applied the read index, the read
//! may be answered. Every AppendEntries carries the leader's current round
//! (`msg_id`) and every response echoes it, so an acknowledgement is matched
//! to the round it answers. Heartbeats start a new round; a read arriving
//! while no round is in flight starts one at once, otherwise it waits for
//! the next (so reads cost at most one round per round trip).
//!
//! A follower asks the leader for a read index with a message the host
//! transports (`send_readindex`); the leader confirms it as above and
//! answers, and the follower answers its read once it has applied that index.
//!
//! Lease reads (§6.4.1): with check-quorum, a follower that hears from the
//! leader refuses votes for an election timeout (leader stickiness, also
//! right after a restart), so no other leader can be elected within an
//! election timeout of a majority acknowledging a round. The leader
//! therefore answers reads without a round until `sent + E·(1−ρ)/(1+ρ)`,
//! where `sent` is when the newest round acknowledged by a majority was sent
//! (the leader's clock), E the election timeout and ρ the clock-drift bound.
//! A leader that has sent a TimeoutNow holds no lease for the rest of its term.
//!
//! Answers are delivered (host `read_done`) at the end of the call that
//! made them ready, never from within [`Server::read_request`] itself.

use crate::host::Host;
use crate::server::Server;
use crate::types::*;
use std::collections::VecDeque;

/// Rounds remembered, waiting to be acknowledged (their send times make the lease).
const MAX_ROUNDS_REMEMBERED: usize = 64;

/// Who asked for a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// This server's host, with its token.
    Local(u64),
    /// A follower, through a read-index request with its id.
    Remote(NodeId, u64),
}

/// Where a read stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Leader: no entry of its term is committed yet.
    AwaitTermCommit,
    /// Leader: the read index is recorded; waiting for a majority to
    /// acknowledge `round` (or a later one).
    AwaitRound(u64),
    /// Follower: asked the leader (request `id`), no answer yet.
    Forwarded(u64),
    /// The read index is confirmed: answer once it is applied.
    Confirmed,
    /// Answer with this error.
    Failed(i32),
}

#[derive(Clone, Copy, Debug)]
struct Read {
    origin: Origin,
    stage: Stage,
    read_idx: Index,
    /// Reads not answered by this time (server clock) fail with TIMEOUT.
    deadline: i64,
    by_lease: bool,
}

/// Pending reads, heartbeat rounds and the lease.
#[derive(Debug)]
pub(crate) struct ReadOnly {
    pending: Vec<Read>,
    /// The latest round started: the `msg_id` of AppendEntries sent now.
    pub round: u64,
    /// The highest round a majority acknowledged in the current term.
    acked: u64,
    /// (round, send time) of the rounds started and not yet acknowledged.
    sent_at: VecDeque<(u64, i64)>,
    /// The lease holds while the server clock is below this.
    lease_until: i64,
    /// A term in which this server sent a TimeoutNow: no lease in it.
    no_lease_term: Term,
    /// Id of the last read-index request this server sent as a follower.
    last_forward_id: u64,
}

impl ReadOnly {
    /// Read-index request ids continue from `start`. A follower matches the
    /// leader's answer to its request by id alone, and an answer can arrive
    /// after the follower restarted (sent to its old incarnation, delivered
    /// to the new one): were ids to start from the same value in every
    /// incarnation, that stale answer (a read index from before the
    /// restart) would confirm a new read, and the read could miss a write
    /// acknowledged in between (a stale read, found by the simulator). So
    /// each incarnation starts from a value drawn for it: from the seed of
    /// `raft_set_random_seed`, or else from the clock, the server's address
    /// and a process-wide count (raft_new).
    pub fn seed_forward_ids(&mut self, start: u64) {
        self.last_forward_id = start;
    }
    pub fn last_forward_id(&self) -> u64 {
        self.last_forward_id
    }
}

impl Default for ReadOnly {
    fn default() -> Self {
        ReadOnly {
            pending: Vec::new(),
            round: 0,
            acked: 0,
            sent_at: VecDeque::new(),
            lease_until: i64::MIN,
            no_lease_term: -1,
            last_forward_id: 0,
        }
    }
}

impl ReadOnly {
    /// Leadership ended: reads still waiting for it to be confirmed fail
    /// (NOT_LEADER), and the lease is gone. Confirmed reads stay: their
    /// index was a valid read index when it was confirmed.
    pub fn leadership_lost(&mut self) {
        for r in self.pending.iter_mut() {
            if matches!(r.stage, Stage::AwaitTermCommit | Stage::AwaitRound(_)) {
                r.stage = Stage::Failed(err::NOT_LEADER);
            }
        }
        self.lease_until = i64::MIN;
    }

    /// A new leader: no round of its term acknowledged, no lease yet.
    pub fn became_leader(&mut self) {
        self.acked = self.round;
        self.sent_at.clear();
        self.lease_until = i64::MIN;
    }

    /// Starts a new round at time `now`: messages sent from now on carry it.
    /// Its send time is kept when a lease may come of it (`lease`).
    #[inline(always)]
    pub fn begin_round(&mut self, now: i64, lease: bool) {
        self.round += 1;
        if lease {
            if self.sent_at.len() == MAX_ROUNDS_REMEMBERED {
                self.sent_at.pop_front();
            }
            self.sent_at.push_back((self.round, now));
        }
    }

    /// Whether some read waits for a round to be acknowledged.
    fn awaits_round(&self) -> bool {
        self.pending.iter().any(|r| matches!(r.stage, Stage::AwaitRound(_)))
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

impl<H: Host> Server<H> {
    /// A linearizable read (thesis §6.4): the host's `token` comes back
    /// through [`Host::read_done`] exactly once, with 0 once the state
    /// machine reflects every write acknowledged before this call, or with
    /// an error (NOT_LEADER: leadership was lost before the read was
    /// confirmed; TIMEOUT: not answered within an election timeout).
    /// With `lease`, a leader whose lease holds answers without a heartbeat
    /// round (and otherwise does one); lease reads need check-quorum
    /// (INVALID without it). A follower whose host forwards reads asks the
    /// leader for a read index; otherwise it refuses with NOT_LEADER.
    /// Returns Ok when `read_done` will be called; never calls it itself.
    pub fn read_request(&mut self, token: u64, lease: bool) -> RaftResult {
        if lease && !self.opts.check_quorum {
            return Err(err::INVALID);
        }
        let deadline = self.timers.now.saturating_add(self.timers.election_timeout as i64);
        let origin = Origin::Local(token);
        if self.is_leader() {
            if (lease && self.lease_holds()) || self.has_fault(crate::fault::READ_WITHOUT_ROUND) {
                let read_idx = self.commit_idx;
                self.reads.pending.push(Read { origin, stage: Stage::Confirmed, read_idx, deadline, by_lease: lease });
                return Ok(());
            }
            self.push_leader_read(origin, deadline);
            return Ok(());
        }
        let leader = self.current_leader;
        if !H::forwards_reads(self) || leader == NO_NODE || leader == self.tracker.self_id() || !self.tracker.contains(leader) {
            return Err(err::NOT_LEADER);
        }
        self.reads.last_forward_id = self.reads.last_forward_id.wrapping_add(1);
        let id = self.reads.last_forward_id;
        self.stats.readindex_sent += 1;
        match H::send_readindex(self, leader, &ReadIndexRequest { id }) {
            0 => {
                self.reads.pending.push(Read { origin, stage: Stage::Forwarded(id), read_idx: 0, deadline, by_lease: false });
                Ok(())
            }
            e => Err(e),
        }
    }

    /// Leader side of a follower's read-index request: confirmed like a
    /// local read, then answered through `send_readindex_response` (at once
    /// with NOT_LEADER when we are not the leader).
    pub fn recv_readindex(&mut self, from: NodeId, req: &ReadIndexRequest) -> RaftResult {
        if !self.tracker.contains(from) || from == self.tracker.self_id() {
            return Err(err::INVALID);
        }
        self.stats.readindex_received += 1;
        if !self.is_leader() {
            let resp = ReadIndexResponse { id: req.id, read_idx: 0, result: err::NOT_LEADER };
            self.stats.readindex_responses_sent += 1;
            return match H::send_readindex_response(self, from, &resp) {
                0 => Ok(()),
                e => Err(e),
            };
        }
        let deadline = self.timers.now.saturating_add(self.timers.election_timeout as i64);
        let origin = Origin::Remote(from, req.id);
        self.push_leader_read(origin, deadline);
        self.deliver_reads();
        Ok(())
    }

    /// Follower side: the leader's answer to our read-index request. An
    /// answer that matches no pending request (late, duplicated) is ignored.
    pub fn recv_readindex_response(&mut self, resp: &ReadIndexResponse) -> RaftResult {
        if resp.result == 0 && resp.read_idx < 0 {
            return Err(err::INVALID);
        }
        self.stats.readindex_responses_received += 1;
        if let Some(r) = self.reads.pending.iter_mut().find(|r| r.stage == Stage::Forwarded(resp.id)) {
            if resp.result != 0 {
                r.stage = Stage::Failed(if resp.result < 0 { resp.result } else { err::FAIL });
            } else {
                r.read_idx = resp.read_idx;
                r.stage = Stage::Confirmed;
            }
        }
        self.deliver_reads();
        Ok(())
    }

    /// Whether a leader may answer a read from its lease now (§6.4.1).
    pub fn lease_holds(&self) -> bool {
        self.is_leader()
            && self.opts.check_quorum
            && self.reads.no_lease_term != self.current_term
            && self.timers.now < self.reads.lease_until
            && self.log.term_at(self.commit_idx) == Some(self.current_term)
    }

    /// The lease's length: E·(1−ρ)/(1+ρ) of the leader's clock.
    fn lease_duration(&self) -> i64 {
        let e = self.timers.election_timeout as i64;
        let rho = self.opts.clock_drift_permille.clamp(0, 999) as i64;
        e * (1000 - rho) / (1000 + rho)
    }

    /// This term holds no lease any more (a TimeoutNow was sent: its target
    /// may be elected without waiting for stickiness to lapse).
    pub(crate) fn give_up_lease(&mut self) {
        self.reads.no_lease_term = self.current_term;
        self.reads.lease_until = i64::MIN;
    }

    /// A new leader: rounds and lease start afresh.
    pub(crate) fn reads_became_leader(&mut self) {
        self.reads.became_leader();
        self.tracker.reset_acked_rounds();
        self.reads.begin_round(self.timers.now, self.opts.check_quorum);
    }

    /// Starts a heartbeat round (every broadcast is one); its send time is
    /// kept only with check-quorum (the lease needs it).
    #[inline(always)]
    pub(crate) fn begin_round(&mut self) {
        self.reads.begin_round(self.timers.now, self.opts.check_quorum);
    }

    /// Leader: a new read waits for an entry of our term to commit, then for
    /// a round. Acknowledgements are not recorded while no read is pending
    /// (and check-quorum is off), so after such a pause no round counts as
    /// in flight: the read starts one at once.
    fn push_leader_read(&mut self, origin: Origin, deadline: i64) {
        if self.reads.pending.is_empty() && !self.opts.check_quorum {
            self.reads.acked = self.reads.round;
        }
        self.reads.pending.push(Read { origin, stage: Stage::AwaitTermCommit, read_idx: 0, deadline, by_lease: false });
        self.advance_reads();
    }

    /// Leader: moves reads forward. Once an entry of our term is committed,
    /// reads waiting for it record the commit index and wait for the next
    /// round, which starts at once unless one is in flight.
    pub(crate) fn advance_reads(&mut self) {
        if !self.is_leader() || self.reads.pending.is_empty() {
            return;
        }
        if self.log.term_at(self.commit_idx) == Some(self.current_term) {
            let (commit, next_round) = (self.commit_idx, self.reads.round + 1);
            for r in self.reads.pending.iter_mut() {
                if r.stage == Stage::AwaitTermCommit {
                    r.read_idx = commit;
                    r.stage = Stage::AwaitRound(next_round);
                }
            }
        }
        let wanted = self.reads.pending.iter().any(|r| matches!(r.stage, Stage::AwaitRound(n) if n > self.reads.round));
        if wanted && self.reads.acked >= self.reads.round {
            // No round in flight: start one now (errors: the next heartbeat retries).
            let _ = self.send_appendentries_all();
        }
        self.update_read_quorum();
    }

    /// Leader: the response of the member at `pos` in our term, to a message
    /// of round `msg_id`: check-quorum hears from it, reads and the lease
    /// may be confirmed by it, and a leadership transfer may proceed. (On
    /// every response: the common case, no extension in use, is two stores.)
    #[inline(always)]
    pub(crate) fn note_response(&mut self, pos: usize, r: &AppendEntriesResponse) {
        if self.opts.check_quorum || !self.reads.pending.is_empty() || self.transfer.is_some() {
            self.note_response_slow(pos, r);
        }
    }

    /// (Acknowledgements are recorded only while check-quorum is on or reads
    /// are pending: a read arriving when none is pending starts a round of
    /// its own, see [`Server::read_request`].)
    #[cold]
    #[inline(never)]
    fn note_response_slow(&mut self, pos: usize, r: &AppendEntriesResponse) {
        if r.msg_id <= self.reads.round {
            self.tracker.ack_round(pos, r.msg_id);
        }
        if self.opts.check_quorum {
            self.tracker.mark_recent_active(pos);
        }
        if self.opts.check_quorum || self.reads.awaits_round() {
            self.update_read_quorum();
        }
        if self.transfer.is_some() {
            self.transfer_progress(pos, r);
        }
        if !self.reads.pending.is_empty() {
            self.deliver_reads();
        }
    }

    /// Leader: the highest round a majority acknowledged confirms the reads
    /// waiting for it and extends the lease to its send time plus the lease
    /// duration; reads waiting for a later round get one started.
    fn update_read_quorum(&mut self) {
        if !self.is_leader() {
            return;
        }
        let q = self.tracker.quorum_round(self.reads.round);
        if q <= self.reads.acked {
            return;
        }
        self.reads.acked = q;
        while let Some(&(round, sent)) = self.reads.sent_at.front() {
            if round > q {
                break;
            }
            self.reads.sent_at.pop_front();
            if round == q {
                self.reads.lease_until = sent.saturating_add(self.lease_duration());
            }
        }
        let mut wanted = false;
        for r in self.reads.pending.iter_mut() {
            match r.stage {
                Stage::AwaitRound(n) if n <= q => r.stage = Stage::Confirmed,
                Stage::AwaitRound(n) if n > self.reads.round => wanted = true,
                _ => {}
            }
        }
        if wanted && q >= self.reads.round {
            // The reads that came while that round was in flight: the next one.
            let _ = self.send_appendentries_all();
            // A lone voter's round is acknowledged at once.
            let q = self.tracker.quorum_round(self.reads.round);
            if q > self.reads.acked {
                self.update_read_quorum();
            }
        }
    }

    /// Fails the reads whose time is up (TIMEOUT): not confirmed, or — a
    /// follower cut off after its answer came — not applied within an
    /// election timeout of the request.
    pub(crate) fn expire_reads(&mut self) {
        let now = self.timers.now;
        for r in self.reads.pending.iter_mut() {
            if !matches!(r.stage, Stage::Failed(_)) && r.deadline <= now {
                r.stage = Stage::Failed(err::TIMEOUT);
            }
        }
    }

    /// Answers every read that is ready: confirmed and applied (ours),
    /// confirmed (a follower's: its answer is sent), or failed.
    pub(crate) fn deliver_reads(&mut self) {
        if self.reads.pending.is_empty() {
            return;
        }
        let applied = self.last_applied_idx;
        let mut ready = Vec::new();
        self.reads.pending.retain(|r| {
            let done = match (r.stage, r.origin) {
                (Stage::Failed(_), _) => true,
                (Stage::Confirmed, Origin::Remote(..)) => true,
                (Stage::Confirmed, Origin::Local(_)) => applied >= r.read_idx,
                _ => false,
            };
            if done {
                ready.push(*r);
            }
            !done
        });
        for r in ready {
            let result = match r.stage {
                Stage::Failed(e) => e,
                _ => 0,
            };
            match r.origin {
                Origin::Local(token) => {
                    if result == 0 {
                        self.stats.reads_ok += 1;
                        self.stats.reads_by_lease += r.by_lease as u64;
                    } else {
                        self.stats.reads_failed += 1;
                    }
                    H::read_done(self, token, result);
                }
                Origin::Remote(node, id) => {
                    let resp = ReadIndexResponse { id, read_idx: if result == 0 { r.read_idx } else { 0 }, result };
                    self.stats.readindex_responses_sent += 1;
                    // A lost answer: the follower's read times out.
                    let _ = H::send_readindex_response(self, node, &resp);
                }
            }
        }
    }

    /// Answers every pending read with `result` (the server is going away).
    pub fn cancel_reads(&mut self, result: i32) {
        for r in self.reads.pending.iter_mut() {
            r.stage = Stage::Failed(result);
        }
        self.deliver_reads();
    }

    /// Reads not yet answered.
    pub fn pending_reads(&self) -> usize {
        self.reads.pending.len()
    }
}
