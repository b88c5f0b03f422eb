//! The safety and liveness properties the simulator checks, and what it
//! remembers across servers and crashes to check them (the `Ledger`).
//!
//! Where each invariant is checked (the names are in `names`; README.md
//! says what each one means):
//!
//! | invariant | checked in |
//! | --- | --- |
//! | Election Safety | `node.rs` `check_node` (leader of a term, ever) |
//! | Log Matching | `world/disk.rs` `on_offer` and `logs.rs` `check_matching_lib` (prefix hashes) |
//! | Leader Completeness | `commits.rs` `leader_completeness` (on every new leader) |
//! | State Machine Safety | `commits.rs` `record_commits`, `world/disk.rs` `on_apply`, `driver/delivery.rs` `recv_snapshot` |
//! | Client Acknowledgement | `acks.rs` `check_acks` |
//! | Current Index Validity, Commit/Applied Index Validity | `node.rs` `check_node`; also `world/disk.rs` `on_apply`, `driver/servers.rs` `boot`, `driver/delivery.rs` `periodic_all` |
//! | Log Accuracy | `logs.rs` `check_range`/`check_window`, `node.rs`, the storage callbacks in `world/disk.rs` |
//! | Entry ID Monotonicity | `world/disk.rs` `on_offer` |
//! | No Committed Entry Popped | `world/disk.rs` `on_pop`, `driver/delivery.rs` (RAFT_ERR_SHUTDOWN from AppendEntries) |
//! | Term/Vote Durability | `world/disk.rs` `on_persist_term`/`on_persist_vote`, `node.rs`, `driver/servers.rs` `boot` |
//! | Follower Refusal | `driver/clients.rs` `submit` |
//! | Payload Ownership | `callbacks.rs` `log_get_node_id` |
//! | Restore | `driver/servers.rs` `boot`/`init`, `driver/delivery.rs` `recv_snapshot` |
//! | Liveness | `liveness.rs` `liveness` |
//! | Linearizable Reads | `reads.rs` `on_read_done` (the read callback) |
//! | Pre-Vote Term Stability | `leadership.rs` `check_prevote_terms` (from `check_node`), groups recorded by `note_split` |
//! | Check-Quorum Step-Down | `leadership.rs` `check_stepdowns` (every step) |
//! | Transfer Completion | `leadership.rs` `on_transfer_event` and `check_transfers`; `liveness.rs` starts the healthy transfer |
//!
//! Adding the invariants of a new library feature: name it in `names`, put
//! its state (if it needs any beyond the servers') in `Ledger`, and its check
//! in a file of its own here as an `impl World` (or `impl Sim`, if it must
//! call the library) block, called from `check_node` (after every library
//! call), from the callback that observes the event, or from the driver's
//! step. Report with `World::fail(names::X, detail)`: the first violation
//! stops the run.

mod acks;
mod commits;
mod leadership;
mod liveness;
mod logs;
mod node;
mod reads;

use crate::ffi::msg_entry_response_t;
use crate::world::FxMap;
use std::collections::{BTreeMap, VecDeque};

/// The invariants' names, as reported in a violation (and matched by the
/// tests).
pub mod names {
    pub const ELECTION_SAFETY: &str = "Election Safety";
    pub const LOG_MATCHING: &str = "Log Matching";
    pub const LEADER_COMPLETENESS: &str = "Leader Completeness";
    pub const STATE_MACHINE_SAFETY: &str = "State Machine Safety";
    pub const CLIENT_ACKNOWLEDGEMENT: &str = "Client Acknowledgement";
    pub const CURRENT_INDEX_VALIDITY: &str = "Current Index Validity";
    pub const COMMIT_INDEX_VALIDITY: &str = "Commit Index Validity";
    pub const APPLIED_INDEX_VALIDITY: &str = "Applied Index Validity";
    pub const LOG_ACCURACY: &str = "Log Accuracy";
    pub const ENTRY_ID_MONOTONICITY: &str = "Entry ID Monotonicity";
    pub const NO_COMMITTED_ENTRY_POPPED: &str = "No Committed Entry Popped";
    pub const TERM_VOTE_DURABILITY: &str = "Term/Vote Durability";
    pub const FOLLOWER_REFUSAL: &str = "Follower Refusal";
    pub const PAYLOAD_OWNERSHIP: &str = "Payload Ownership";
    pub const RESTORE: &str = "Restore";
    pub const LIVENESS: &str = "Liveness";
    pub const LINEARIZABLE_READS: &str = "Linearizable Reads";
    pub const PREVOTE_TERM_STABILITY: &str = "Pre-Vote Term Stability";
    pub const CHECK_QUORUM_STEP_DOWN: &str = "Check-Quorum Step-Down";
    pub const TRANSFER_COMPLETION: &str = "Transfer Completion";
}

/// Per log index: what was committed and applied there (cluster-wide).
#[derive(Default, Clone, Copy)]
pub struct Slot {
    pub c_set: bool,
    pub c_term: i64,
    pub c_id: i32,
    pub c_hash: u64,
    /// Term of the server that first saw this committed (>= commit term).
    pub c_rterm: i64,
    pub c_by: i32,
    pub a_set: bool,
    pub a_term: i64,
    pub a_id: i32,
    pub a_digest: u64,
    pub a_by: i32,
}

/// A client entry a leader accepted, to be checked once it reports it
/// committed (Client Acknowledgement).
pub struct Ack {
    pub slot: usize,
    pub incarnation: u32,
    pub resp: msg_entry_response_t,
}

/// What the invariants remember across servers and crashes.
#[derive(Default)]
pub struct Ledger {
    /// term -> the leader of that term (Election Safety).
    pub leader_of_term: FxMap<i64, i32>,
    /// (idx, term) -> (prefix hash, server that first held it) (Log Matching).
    pub prefix_hashes: FxMap<(i64, i64), (u64, i32)>,
    /// Index - 1 -> what was committed and applied there.
    pub slots: Vec<Slot>,
    /// term -> highest committed index first seen in a term <= it (strictly
    /// increasing values), for Leader Completeness.
    pub stair: BTreeMap<i64, i64>,
    /// Accepted client entries still to be checked (at most 256).
    pub acks: VecDeque<Ack>,
    /// Reused buffer of `record_commits`: (idx, term, id, hash, type, node).
    pub scratch: Vec<(i64, i64, i32, u64, i32, i32)>,
    /// The highest index of a client write acknowledged committed so far
    /// (Linearizable Reads).
    pub acked_max: i64,
    /// While partitioned: (group, highest term in it at the split) of the
    /// groups that hold no majority of anyone's voters (Pre-Vote Term Stability).
    pub quorumless: Vec<(u8, i64)>,
    /// While partitioned: (slot, incarnation, term, deadline) of the leaders
    /// cut off from a majority (Check-Quorum Step-Down).
    pub cut_leaders: Vec<(usize, u32, i64, u64)>,
}
