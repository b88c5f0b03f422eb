//! The server's state (paper Figure 2, "State") and its read-only view:
//! terms and votes, role, timers, the tracker (members and progress), the log
//! with its commit and applied indexes, snapshot metadata and options. The
//! rules that change this state live in `role`, `election`, `replication`,
//! `follower`, `apply`, `membership` and `snapshot`; this file holds no rule.

use crate::log::Log;
use crate::read_only::ReadOnly;
use crate::rng::Rng;
use crate::stats::Stats;
use crate::transfer::Transfer;
use crate::tracker::node::NodeSlot;
use crate::tracker::Tracker;
use crate::types::*;

/// Default election timeout, ms (willemt: 1000).
pub const DEFAULT_ELECTION_TIMEOUT: i32 = 1000;
/// Default request (heartbeat) timeout, ms (willemt: 200).
pub const DEFAULT_REQUEST_TIMEOUT: i32 = 200;

/// Flag for [`Server::begin_snapshot`]: keep applying entries while the
/// snapshot is taken (C `RAFT_SNAPSHOT_NONBLOCKING_APPLY`).
pub const SNAPSHOT_NONBLOCKING_APPLY: i32 = 1;

/// The election and heartbeat clocks (paper §5.2).
#[derive(Debug)]
pub(crate) struct Timers {
    /// Milliseconds since the election or heartbeat timer was reset.
    pub elapsed: i32,
    pub election_timeout: i32,
    /// This term's election timeout, drawn from [timeout, 2 × timeout).
    pub election_timeout_rand: i32,
    pub request_timeout: i32,
    pub rng: Rng,
    /// Whether the host seeded `rng` (`raft_set_random_seed`); until it
    /// does, the generator is seeded from our node id, so that runs replay.
    pub seeded: bool,
    /// The server's clock: milliseconds passed to `periodic` since creation.
    pub now: i64,
    /// Milliseconds since we last heard from a leader (or since creation, or
    /// since check-quorum was turned on; counted only while it is on): with
    /// check-quorum, votes are refused while it is below the election
    /// timeout (leader stickiness, also right after a restart).
    pub since_leader: i32,
    /// Leader with check-quorum: milliseconds since the last quorum check.
    pub quorum_check: i32,
}

impl Timers {
    /// Draws the election timeout uniformly from [timeout, 2 × timeout)
    /// (paper §5.2: randomized timeouts make split votes rare).
    pub fn randomize(&mut self) {
        let t = self.election_timeout;
        self.election_timeout_rand = if t > 0 { t + (self.rng.next_u64() % t as u64) as i32 } else { 0 };
    }
    /// Seeds the generator from our node id, unless the host seeded it:
    /// reproducible by default, as willemt's use of `rand()` is, yet
    /// different on each server of a cluster.
    pub fn seed_from_node_id(&mut self, id: NodeId) {
        if !self.seeded {
            self.rng = Rng::new(0x5241_4654_0000_0000 ^ id as u32 as u64);
            self.randomize();
        }
    }
    /// Restarts the election (or heartbeat) timer.
    pub fn reset(&mut self) {
        self.elapsed = 0;
    }
}

/// A snapshot's metadata and the one being taken (thesis §5.1).
#[derive(Debug, Default)]
pub(crate) struct SnapshotState {
    /// The last entry the newest snapshot covers.
    pub last_idx: Index,
    pub last_term: Term,
    /// (index, term) before the snapshot in progress, for `cancel_snapshot`.
    pub saved: (Index, Term),
    pub in_progress: bool,
    pub flags: i32,
}

/// Settings: message size, and the optional rules of issue 12 (all off by
/// default, so that a willemt program sees willemt's behaviour).
#[derive(Debug)]
pub(crate) struct Options {
    pub max_entries_per_msg: usize,
    /// Pre-vote before elections (thesis §9.6).
    pub prevote: bool,
    /// A leader steps down when it has not heard from a majority within an
    /// election timeout; required for lease reads.
    pub check_quorum: bool,
    /// A new leader appends a no-op entry of its term at once.
    pub noop_on_election: bool,
    /// Largest clock drift rate between servers, per mille, that lease reads
    /// must tolerate.
    pub clock_drift_permille: i32,
    /// Payload bytes per AppendEntries (at least one entry is sent); 0: no cap.
    pub max_msg_bytes: usize,
    /// Payload bytes the leader may hold uncommitted before refusing
    /// proposals (etcd's MaxUncommittedEntriesSize); 0: no bound.
    pub max_uncommitted_bytes: usize,
    /// The leader's `log_offer` need not be durable on return: its own log
    /// counts for the commit only up to what the host reported synced.
    pub parallel_log_writes: bool,
    /// The most detailed log level passed to the host (Trace: all, willemt's).
    pub log_level: LogLevel,
    /// Rejections carry, and the leader uses, the reject hint (paper §5.3;
    /// `reject_hint.rs`).
    pub reject_hint: bool,
}

/// The leader's bookkeeping for the options above.
#[derive(Debug, Default)]
pub(crate) struct LeaderLoad {
    /// Payload bytes appended by this leader and not yet committed.
    pub uncommitted_bytes: usize,
    /// The last index the host reported durable (`raft_flush`).
    pub synced_idx: Index,
}

/// Default clock-drift bound for lease reads, per mille (5%).
pub const DEFAULT_CLOCK_DRIFT_PERMILLE: i32 = 50;

/// One Raft server. Not thread-safe; all calls on one server must be serialized.
///
/// Laid out in declaration order (`repr(C)`), the fields every call reads
/// first: a host holding many idle servers (multi-raft) walks each on every
/// tick, and its cost is the cache lines touched, not the instructions.
#[repr(C)]
pub struct Server<H: HostTypes> {
    pub(crate) state: State,
    /// Whether our current candidacy was asked for by a TimeoutNow: its
    /// RequestVotes then say so, and voters set stickiness aside.
    pub(crate) campaign_by_transfer: bool,
    /// Candidate voted for in this term, or [`NO_NODE`] (persistent).
    pub(crate) voted_for: NodeId,
    /// Latest term seen (Figure 2, persistent); changed only by `role`.
    pub(crate) current_term: Term,
    pub(crate) current_leader: NodeId,
    pub(crate) commit_idx: Index,
    pub(crate) last_applied_idx: Index,
    pub(crate) timers: Timers,
    pub(crate) opts: Options,
    pub(crate) snapshot: SnapshotState,
    /// The leadership transfer in progress, if any (thesis §3.10).
    pub(crate) transfer: Option<Transfer>,
    pub(crate) load: LeaderLoad,
    pub(crate) log: Log<H::Data>,
    pub(crate) tracker: Tracker<H::NodeData>,
    /// The host's own state, reachable from every callback.
    pub host: H,
    /// Pending reads and the heartbeat rounds that confirm them (thesis §6.4).
    pub(crate) reads: ReadOnly,
    pub(crate) stats: Stats,
    /// Room for a run of entries offered in one batch (kept between calls,
    /// so the steady path allocates nothing).
    pub(crate) staging: Vec<Entry<H::Data>>,
    /// Deliberate rule violations for simulator self-tests.
    #[cfg(feature = "fault-injection")]
    pub(crate) faults: u32,
}

impl<H: HostTypes> Server<H> {
    /// A follower in term 0 with no nodes and an empty log.
    pub fn new(host: H) -> Self {
        let mut s = Server {
            host,
            current_term: 0,
            voted_for: NO_NODE,
            state: State::Follower,
            current_leader: NO_NODE,
            timers: Timers {
                elapsed: 0,
                election_timeout: DEFAULT_ELECTION_TIMEOUT,
                election_timeout_rand: DEFAULT_ELECTION_TIMEOUT,
                request_timeout: DEFAULT_REQUEST_TIMEOUT,
                rng: Rng::new(0x5241_4654_0000_0000),
                seeded: false,
                now: 0,
                since_leader: 0,
                quorum_check: 0,
            },
            tracker: Tracker::default(),
            log: Log::default(),
            commit_idx: 0,
            last_applied_idx: 0,
            snapshot: SnapshotState::default(),
            opts: Options {
                max_entries_per_msg: usize::MAX,
                max_msg_bytes: 0,
                max_uncommitted_bytes: 0,
                parallel_log_writes: false,
                log_level: LogLevel::Trace,
                prevote: false,
                check_quorum: false,
                noop_on_election: false,
                clock_drift_permille: DEFAULT_CLOCK_DRIFT_PERMILLE,
                reject_hint: false,
            },
            load: LeaderLoad::default(),
            staging: Vec::new(),
            reads: ReadOnly::default(),
            transfer: None,
            campaign_by_transfer: false,
            stats: Stats::default(),
            #[cfg(feature = "fault-injection")]
            faults: 0,
        };
        s.timers.randomize();
        s
    }

    /// Back to the state of a new server: term 0, no vote, no nodes, empty
    /// log. No callback is made (the host still owns the payloads of the
    /// entries dropped here).
    pub fn clear(&mut self) {
        self.current_term = 0;
        self.voted_for = NO_NODE;
        self.timers.reset();
        self.timers.randomize();
        self.state = State::Follower;
        self.current_leader = NO_NODE;
        self.commit_idx = 0;
        self.last_applied_idx = 0;
        self.tracker.clear();
        self.log.reset(0, 0);
        self.snapshot = SnapshotState::default();
        self.timers.since_leader = 0;
        self.timers.quorum_check = 0;
        // Read ids keep counting: an answer to a read asked before the
        // clear must not match one asked after it.
        let last_forward_id = self.reads.last_forward_id();
        self.reads = ReadOnly::default();
        self.reads.seed_forward_ids(last_forward_id);
        self.transfer = None;
        self.campaign_by_transfer = false;
        self.stats = Stats::default();
    }

    // ---- timers and options ---------------------------------------------

    /// Sets the election timeout (ms) and draws a new randomized timeout.
    /// Values are clamped to 0 ..= `i32::MAX / 2`, so that the randomized
    /// timeout (up to twice the timeout) fits.
    pub fn set_election_timeout(&mut self, msec: i32) {
        self.timers.election_timeout = msec.clamp(0, i32::MAX / 2);
        self.timers.randomize();
    }
    pub fn election_timeout(&self) -> i32 {
        self.timers.election_timeout
    }
    /// The current randomized election timeout, in [timeout, 2 × timeout).
    pub fn election_timeout_rand(&self) -> i32 {
        self.timers.election_timeout_rand
    }
    /// Sets the heartbeat interval (ms).
    pub fn set_request_timeout(&mut self, msec: i32) {
        self.timers.request_timeout = msec.max(0);
    }
    pub fn request_timeout(&self) -> i32 {
        self.timers.request_timeout
    }
    /// Milliseconds since the election timer or heartbeat timer was reset.
    pub fn timeout_elapsed(&self) -> i32 {
        self.timers.elapsed
    }
    /// Draws a new randomized election timeout.
    pub fn randomize_election_timeout(&mut self) {
        self.timers.randomize();
    }
    /// Seeds this server's generator, so that runs replay exactly.
    pub fn set_random_seed(&mut self, seed: u64) {
        self.timers.rng = Rng::new(seed);
        self.timers.seeded = true;
        self.timers.randomize();
        // (its own stream: the election timeouts a seed draws stay the same)
        self.seed_read_ids(Rng::new(seed ^ 0x5245_4144_4944_5321).next_u64());
    }
    /// Where this incarnation's read-index request ids start (see
    /// [`ReadOnly::seed_forward_ids`]): a value an earlier incarnation of
    /// this server (before a restart) is unlikely to have used.
    pub fn seed_read_ids(&mut self, start: u64) {
        self.reads.seed_forward_ids(start);
    }
    /// Caps the entries carried by one AppendEntries (0 = no cap).
    pub fn set_max_entries_per_msg(&mut self, n: usize) {
        self.opts.max_entries_per_msg = if n == 0 { usize::MAX } else { n };
    }
    /// Passes the host only messages at `level` or more important ones.
    pub fn set_log_level(&mut self, level: LogLevel) {
        self.opts.log_level = level;
    }
    pub fn log_level(&self) -> LogLevel {
        self.opts.log_level
    }
    /// Caps the payload bytes of one AppendEntries (0 = no cap); a message
    /// carries at least one entry whatever its size.
    pub fn set_max_msg_bytes(&mut self, bytes: usize) {
        self.opts.max_msg_bytes = bytes;
    }
    pub fn max_msg_bytes(&self) -> usize {
        self.opts.max_msg_bytes
    }
    /// AppendEntries in flight per peer (pipelining); 1 (the default) is
    /// stop-and-wait. Changing it restarts every peer in the probe state.
    pub fn set_max_inflight_msgs(&mut self, n: usize) {
        self.tracker.set_window(n);
    }
    pub fn max_inflight_msgs(&self) -> usize {
        if self.tracker.pipelining() {
            self.tracker.window()
        } else {
            1
        }
    }
    /// Bounds the payload bytes a leader holds uncommitted (0 = no bound).
    pub fn set_max_uncommitted_bytes(&mut self, bytes: usize) {
        self.opts.max_uncommitted_bytes = bytes;
    }
    pub fn max_uncommitted_bytes(&self) -> usize {
        self.opts.max_uncommitted_bytes
    }
    /// Payload bytes this leader holds uncommitted.
    pub fn uncommitted_bytes(&self) -> usize {
        self.load.uncommitted_bytes
    }
    /// Whether the leader's own log writes may complete after `log_offer`
    /// returns (reported with `flush`).
    pub fn set_parallel_log_writes(&mut self, on: bool) {
        self.opts.parallel_log_writes = on;
        self.load.synced_idx = self.current_idx();
    }
    pub fn parallel_log_writes(&self) -> bool {
        self.opts.parallel_log_writes
    }
    /// The last index known durable on this server: everything, unless
    /// parallel log writes are on.
    #[inline(always)]
    pub fn synced_idx(&self) -> Index {
        if self.opts.parallel_log_writes {
            self.load.synced_idx.min(self.current_idx())
        } else {
            self.current_idx()
        }
    }
    /// Pre-vote (thesis §9.6) before each election. Off by default.
    pub fn set_prevote(&mut self, on: bool) {
        self.opts.prevote = on;
    }
    pub fn prevote(&self) -> bool {
        self.opts.prevote
    }
    /// The reject hint (paper §5.3, etcd's RejectHint; `reject_hint.rs`): a
    /// follower's rejection names where its log may match the leader's, and
    /// the leader skips the indexes that hint rules out. Off by default;
    /// every server of a cluster should agree on it.
    pub fn set_reject_hint(&mut self, on: bool) {
        self.opts.reject_hint = on;
    }
    pub fn reject_hint(&self) -> bool {
        self.opts.reject_hint
    }
    /// Check-quorum: a leader steps down when it has not heard from a
    /// majority within an election timeout, and votes wait for a heard
    /// leader's election timeout to pass. Off by default; lease reads need it.
    pub fn set_check_quorum(&mut self, on: bool) {
        if on && !self.opts.check_quorum {
            self.timers.quorum_check = 0;
            self.tracker.reset_recent_active();
            // (not kept while off: count as if a leader was just heard from)
            self.timers.since_leader = 0;
        }
        self.opts.check_quorum = on;
    }
    pub fn check_quorum(&self) -> bool {
        self.opts.check_quorum
    }
    /// A new leader appends a no-op entry of its term. Off by default.
    pub fn set_noop_on_election(&mut self, on: bool) {
        self.opts.noop_on_election = on;
    }
    pub fn noop_on_election(&self) -> bool {
        self.opts.noop_on_election
    }
    /// The clock-drift bound lease reads assume, per mille (0 to 999;
    /// default 50): the lease lasts E·(1000−ρ)/(1000+ρ) ms.
    pub fn set_clock_drift_permille(&mut self, permille: i32) {
        self.opts.clock_drift_permille = permille.clamp(0, 999);
    }
    pub fn clock_drift_permille(&self) -> i32 {
        self.opts.clock_drift_permille
    }
    /// What this server has done since its creation (or `clear`).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// The server's clock: the milliseconds given to `periodic` so far.
    pub fn now_ms(&self) -> i64 {
        self.timers.now
    }

    // ---- role and terms ---------------------------------------------------

    pub fn current_term(&self) -> Term {
        self.current_term
    }
    /// Who we voted for in the current term, or -1.
    pub fn voted_for(&self) -> NodeId {
        self.voted_for
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn is_leader(&self) -> bool {
        self.state == State::Leader
    }
    pub fn is_follower(&self) -> bool {
        self.state == State::Follower
    }
    pub fn is_candidate(&self) -> bool {
        self.state == State::Candidate
    }
    /// Whether we are asking for pre-votes (thesis §9.6).
    pub fn is_precandidate(&self) -> bool {
        self.state == State::PreCandidate
    }
    /// Id of the leader we currently follow (ourselves when leading), or -1.
    pub fn current_leader(&self) -> NodeId {
        self.current_leader
    }

    // ---- log --------------------------------------------------------------

    pub fn commit_idx(&self) -> Index {
        self.commit_idx
    }
    pub fn last_applied_idx(&self) -> Index {
        self.last_applied_idx
    }
    /// Index of the last log entry (or of the snapshot when the log is empty).
    pub fn current_idx(&self) -> Index {
        self.log.current_idx()
    }
    /// Number of entries in the log (compacted ones excluded).
    pub fn log_count(&self) -> Index {
        self.log.count()
    }
    /// willemt's `raft_get_first_entry_idx`: 1 before any snapshot, else the
    /// snapshot's last index. (The oldest entry held is `log_base() + 1`.)
    pub fn first_entry_idx(&self) -> Index {
        if self.snapshot.last_idx == 0 {
            1
        } else {
            self.snapshot.last_idx
        }
    }
    /// Index of the last compacted entry (0 when none).
    pub fn log_base(&self) -> Index {
        self.log.base()
    }
    /// Term of the last entry (or of the snapshot when the log is empty).
    pub fn last_log_term(&self) -> Term {
        self.log.last_term()
    }
    /// Term of the entry at `idx`, when known (also for the snapshot's index).
    pub fn term_at(&self, idx: Index) -> Option<Term> {
        self.log.term_at(idx)
    }
    pub fn entry(&self, idx: Index) -> Option<&Entry<H::Data>> {
        self.log.get(idx)
    }
    pub fn entry_mut(&mut self, idx: Index) -> Option<&mut Entry<H::Data>> {
        self.log.get_mut(idx)
    }
    /// Whether `entries` lie in this server's own log storage where an
    /// AppendEntries may move or overwrite them (beyond the commit index, or
    /// in a buffer that may grow).
    pub fn log_overlaps(&self, entries: &[Entry<H::Data>]) -> bool {
        self.log.overlaps(entries, self.commit_idx + 1)
    }
    /// Up to `n` entries from `idx`, contiguous in memory (a run ends at the
    /// end of its chunk of the log: `send_appendentries` never asks for more).
    pub fn entries_from(&self, idx: Index, n: usize) -> &[Entry<H::Data>] {
        self.log.slice_from(idx, n)
    }
    /// Bytes of log slots reserved (payloads excluded).
    pub fn log_capacity_bytes(&self) -> usize {
        self.log.capacity_bytes()
    }

    // ---- members ------------------------------------------------------------

    /// Our own id, or -1 when no node was added as self (or it was removed).
    pub fn node_id(&self) -> NodeId {
        if self.tracker.self_pos().is_some() {
            self.tracker.self_id()
        } else {
            NO_NODE
        }
    }
    pub fn num_nodes(&self) -> usize {
        self.tracker.len()
    }
    /// Active voting nodes, ourselves included.
    pub fn num_voting_nodes(&self) -> i32 {
        self.tracker.num_voters() as i32
    }
    /// Position of member `id` in the member list.
    pub fn node_pos(&self, id: NodeId) -> Option<usize> {
        self.tracker.pos(id)
    }
    /// Id of the member at position `pos` (members in the order they joined).
    pub fn node_id_at(&self, pos: usize) -> Option<NodeId> {
        self.tracker.id_at(pos)
    }
    /// Flags and progress of the member at `pos`.
    pub fn node_slot(&mut self, pos: usize) -> Option<NodeSlot<'_>> {
        self.tracker.slot(pos)
    }
    /// The host's data for the member at `pos`.
    pub fn node_data(&self, pos: usize) -> Option<&H::NodeData> {
        self.tracker.data(pos)
    }
    pub fn node_data_mut(&mut self, pos: usize) -> Option<&mut H::NodeData> {
        self.tracker.data_mut(pos)
    }
    /// Votes granted to us in this election, our own included when we are an
    /// active voter.
    pub fn nvotes_for_me(&self) -> i32 {
        self.tracker.votes_for_me(self.voted_for_self())
    }
    pub(crate) fn voted_for_self(&self) -> bool {
        self.voted_for != NO_NODE && self.voted_for == self.tracker.self_id()
    }
    /// Whether a configuration change that may change the voters (ADD_NODE,
    /// DEMOTE_NODE, REMOVE_NODE of a voter) is appended and not yet applied.
    pub fn voting_change_is_in_progress(&self) -> bool {
        self.tracker.voting_change_in_progress()
    }

    /// The last entry that may be applied: the commit index, and with
    /// parallel log writes no further than what is durable here (an entry is
    /// never applied before its own log record is safe).
    #[inline(always)]
    pub fn applicable_idx(&self) -> Index {
        if self.opts.parallel_log_writes {
            self.commit_idx.min(self.synced_idx())
        } else {
            self.commit_idx
        }
    }

    // ---- snapshots --------------------------------------------------------

    pub fn snapshot_is_in_progress(&self) -> bool {
        self.snapshot.in_progress
    }
    /// Entries may be applied unless a blocking snapshot is being taken.
    pub fn is_apply_allowed(&self) -> bool {
        !self.snapshot.in_progress || self.snapshot.flags & SNAPSHOT_NONBLOCKING_APPLY != 0
    }
    pub fn snapshot_last_idx(&self) -> Index {
        self.snapshot.last_idx
    }
    pub fn snapshot_last_term(&self) -> Term {
        self.snapshot.last_term
    }
    /// Records the snapshot's last included entry (metadata only).
    /// Ignored for a term or index out of range (negative, or above
    /// [`MAX_TERM`] / [`MAX_INDEX`]).
    pub fn set_snapshot_metadata(&mut self, term: Term, idx: Index) {
        if is_valid_term(term) && is_valid_index(idx) {
            self.snapshot.last_term = term;
            self.snapshot.last_idx = idx;
        }
    }
    /// Entries a snapshot ending at the commit index would compact.
    pub fn num_snapshottable_logs(&self) -> Index {
        if self.log.count() <= 1 {
            return 0;
        }
        (self.applicable_idx().min(self.current_idx()) - self.log.base()).max(0)
    }

    // ---- low-level setters (tests, simulators, recovery) ----------------

    /// Raises the commit index, up to the last log index; never lowers it.
    pub fn set_commit_idx(&mut self, idx: Index) {
        let idx = idx.min(self.current_idx());
        if idx > self.commit_idx {
            self.stats.entries_committed += (idx - self.commit_idx) as u64;
            self.commit_idx = idx;
        }
    }
    /// Sets the last applied index (recovery and tests).
    pub fn set_last_applied_idx(&mut self, idx: Index) {
        self.last_applied_idx = idx.max(0);
    }
}
