//! The simulated world, shared by the driver and the C callbacks: the
//! servers (each with its library handle, its "disk" and what the simulator
//! remembers of its current incarnation), the network (`net`), the host's
//! storage callbacks (`disk`), the run's counters and event history, and the
//! ledger the invariants are checked against (`crate::invariants::Ledger`).
//!
//! Nothing here calls the library except through the accessors the checks
//! and callbacks need; the driver (`crate::driver`) makes the calls that can
//! call back.

mod disk;
mod net;

pub use net::{Body, Msg, WireEntry};

use crate::config::Config;
use crate::events::{Ev, Ring, K};
use crate::ffi::*;
use crate::invariants::Ledger;
use crate::model::*;
use crate::rng::Rng;
use crate::safety::Verdict;
use std::cell::RefCell;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Deterministic, fast hasher (std's default is randomly seeded; we never
/// iterate maps anyway, but lookups should be cheap).
#[derive(Default)]
pub struct FxHasher(u64);
impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, x: i64) {
        self.write_u64(x as u64)
    }
    fn write_i32(&mut self, x: i32) {
        self.write_u64(x as u32 as u64)
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64)
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64)
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
pub type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Up,
    /// Crashed; restarts at this step.
    Down(u64),
    /// Out of the cluster for good.
    Gone,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Normal,
    /// Being rebuilt from disk: offers/persists are not new writes.
    Restoring,
    /// raft_free in progress: callbacks are ignored.
    Freeing,
}

/// What a server has durably written.
#[derive(Default)]
pub struct Disk {
    pub term: i64,
    pub vote: i32,
    pub log: ModelLog,
    pub snap: Option<Snapshot>,
    /// Highest index applied to the (durable) state machine.
    pub applied: i64,
    /// With --parallel-write: the last log index made durable (a leader's
    /// offers are not until the simulator calls raft_flush); a crash loses
    /// the entries after it.
    pub synced: i64,
}

/// What the simulator remembers about the current incarnation (volatile).
#[derive(Default, Clone)]
pub struct Mem {
    pub term: i64,
    pub commit: i64,
    pub applied: i64,
    /// State machine: last applied index.
    pub sm_applied: i64,
    /// Term in which we last saw this server as leader.
    pub leader_term: i64,
    /// After a restart: last_applied must reach this by the first periodic.
    pub applied_floor: i64,
}

pub struct Ctx {
    pub world: *const RefCell<World>,
    pub slot: usize,
}

pub struct PendingSnap {
    pub snap: Snapshot,
    pub end_step: u64,
    pub cancel: bool,
}

pub struct Server {
    pub id: i32,
    pub raft: *mut raft_server_t,
    pub ctx: Box<Ctx>,
    pub cbs: Box<raft_cbs_t>,
    pub status: Status,
    pub mode: Mode,
    pub disk: Disk,
    pub mem: Mem,
    pub restarts: u32,
    pub incarnation: u32,
    /// Set by a callback: shut this server down once the call returns.
    pub shutdown: Option<i64>,
    pub snap_pending: Option<PendingSnap>,
    /// log_clear calls during a snapshot load.
    pub clears: i64,
    /// Next index of the rotating log-accuracy check.
    pub cursor: i64,
    /// The leadership transfer this server (as leader) was asked for.
    pub transfer: Option<TransferRec>,
    /// The highest term this server was seen leading, in any incarnation
    /// (Transfer Completion).
    pub led_term: i64,
}

/// A leadership transfer the simulator asked a leader for.
#[derive(Clone, Copy, Debug)]
pub struct TransferRec {
    pub target: i32,
    /// The leader's term when asked.
    pub term: i64,
    /// In a healthy cluster (a liveness window, target up to date): it must
    /// complete by this virtual time (Transfer Completion).
    pub deadline: Option<u64>,
}

/// A read the simulator asked a server for, until its callback.
#[derive(Clone, Copy, Debug)]
pub struct ReadRec {
    pub slot: usize,
    pub incarnation: u32,
    /// The highest index of a write acknowledged to a client when the read
    /// began: the read must see at least that (Linearizable Reads).
    pub floor: i64,
    pub lease: bool,
    pub step: u64,
}

/// What the read callback's `arg` points to.
pub struct ReadArg {
    pub world: *const RefCell<World>,
    pub id: u64,
}

#[derive(Default, Clone, Debug)]
pub struct Stats {
    pub steps: u64,
    pub live_ticks: u64,
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub elections: u64,
    pub commits: u64,
    pub client_ok: u64,
    pub client_failed: u64,
    pub follower_refused: u64,
    pub snaps_taken: u64,
    pub snaps_sent: u64,
    pub snaps_loaded: u64,
    pub crashes: u64,
    pub restarts: u64,
    pub partitions: u64,
    pub member_proposed: u64,
    pub member_accepted: u64,
    pub servers_added: u64,
    pub servers_gone: u64,
    pub liveness_windows: u64,
    pub reads_ok: u64,
    pub reads_failed: u64,
    pub reads_refused: u64,
    pub transfers: u64,
    pub transfers_completed: u64,
    pub stepdowns: u64,
    pub state_events: u64,
    pub violations: u64,
}

/// The first invariant violation of a run.
#[derive(Clone, Debug)]
pub struct Violation {
    /// One of `crate::invariants::names`.
    pub invariant: &'static str,
    pub detail: String,
    pub step: u64,
    /// Virtual time, ms.
    pub now: u64,
}

pub struct World {
    pub cfg: Config,
    /// The run's only source of randomness (seeded by `--seed`).
    pub rng: Rng,
    pub step: u64,
    /// Virtual time, ms.
    pub now: u64,
    /// Indexed by slot (node id - 1); a retired server keeps its slot.
    pub servers: Vec<Server>,
    /// Messages in flight, earliest (time, sequence) first.
    pub net: BinaryHeap<Msg>,
    /// Sequence number of the last message sent.
    pub seq: u64,
    /// Node id -> partition group (0, 1 or 2), while `partitioned`.
    pub group: Vec<u8>,
    pub partitioned: bool,
    /// (from, to) pairs with a snapshot on the wire (one at a time).
    pub snap_inflight: FxSet<(i32, i32)>,
    /// What the invariants remember across servers and crashes.
    pub ledger: Ledger,
    /// Id of the last entry proposed (client and configuration entries).
    pub next_eid: i32,
    /// Non-voting nodes reported by `node_has_sufficient_logs`, to promote.
    pub pending_promote: Vec<i32>,
    /// (node id, idx, term, entry id) of ADD_NONVOTING entries not yet decided.
    pub pending_add: Vec<(i32, i64, i64, i32)>,
    /// Nodes whose REMOVE_NODE entry is committed (retired at the next liveness window).
    pub removed_committed: FxSet<i32>,
    pub violation: Option<Violation>,
    /// A tolerated known library bug that ended the run early.
    pub known_bug: Option<String>,
    /// The most recent events, for the violation report.
    pub ring: Ring,
    /// Digest of every event so far (the run's fingerprint).
    pub trace: u64,
    pub stats: Stats,
    /// In a liveness window: no chaos, no message loss.
    pub calm: bool,
    /// Current percent of steps on which leaders get client entries.
    pub client_rate: u32,
    /// Payloads of entries that left the log (log_pop/poll/clear) during the
    /// current library call: released once the call returns, so that a
    /// library touching them afterwards is caught instead of reading freed
    /// memory.
    pub graveyard: Vec<Box<[u8]>>,
    /// Reads asked for and not yet answered, by id.
    pub reads: FxMap<u64, ReadRec>,
    pub last_read_id: u64,
}

/// The server slot of a node id.
pub fn slot_of(id: i32) -> usize {
    (id - 1) as usize
}

impl World {
    pub fn new(cfg: Config) -> World {
        let rng = Rng::new(cfg.seed);
        let hist = cfg.history;
        World {
            cfg,
            rng,
            step: 0,
            now: 0,
            servers: Vec::new(),
            net: BinaryHeap::new(),
            seq: 0,
            group: Vec::new(),
            partitioned: false,
            snap_inflight: FxSet::default(),
            ledger: Ledger::default(),
            next_eid: 1000,
            pending_promote: Vec::new(),
            pending_add: Vec::new(),
            removed_committed: FxSet::default(),
            violation: None,
            known_bug: None,
            ring: Ring::new(hist),
            trace: 0,
            stats: Stats::default(),
            calm: false,
            client_rate: 0,
            graveyard: Vec::new(),
            reads: FxMap::default(),
            last_read_id: 0,
        }
    }

    /// Record an event: into the digest, the ring, and stderr with `--trace`.
    pub fn ev(&mut self, k: K, a: [i64; 7]) {
        let e = Ev { step: self.step, now: self.now, k, a };
        self.trace = e.digest(self.trace);
        if self.cfg.trace {
            eprintln!("{}", e);
        }
        self.ring.push(e);
    }

    /// Report a violation of `invariant` (only the first one of a run counts).
    pub fn fail(&mut self, invariant: &'static str, detail: String) {
        if self.violation.is_none() {
            self.stats.violations += 1;
            self.violation = Some(Violation { invariant, detail, step: self.step, now: self.now });
        }
    }

    /// Report a verdict of the shared safety checker (`crate::safety`): a
    /// broken rule is a violation of the invariant of its name. Whether the
    /// rule held.
    pub fn judge(&mut self, verdict: Verdict) -> bool {
        match verdict {
            Ok(()) => true,
            Err(b) => {
                self.fail(b.invariant, b.detail);
                false
            }
        }
    }

    /// Whether server slot `s` is running (not crashed, not retired).
    pub fn up(&self, s: usize) -> bool {
        s < self.servers.len() && self.servers[s].status == Status::Up && !self.servers[s].raft.is_null()
    }
}
