//! The safety and liveness properties the simulator checks, and what it
//! remembers across servers and crashes to check them (the `Ledger`).
//!
//! The rules the C tests check too are decided by their shared checker,
//! `c_fixture/safety.c` (`crate::safety`): the simulator reports what its
//! servers do (offers, pops, polls, snapshot loads, restarts, commit
//! indexes, applies, leaders) and a broken rule is reported under the
//! invariant's name. The rest are the simulator's own.
//!
//! Where each invariant is checked (the names are in `names`; README.md
//! says what each one means):
//!
//! | invariant | checked in |
//! | --- | --- |
//! | Election Safety | safety.c, reported from `node.rs` `check_node` |
//! | Log Matching | safety.c, reported from `world/disk.rs` `on_offer` and `logs.rs` `check_matching_lib` (the library's own entries) |
//! | Leader Completeness | safety.c, reported from `node.rs` `check_node` (a new leader) |
//! | State Machine Safety | safety.c, reported from `node.rs` `check_node` (commits), `world/disk.rs` `on_apply`, `driver/delivery.rs` `recv_snapshot` |
//! | Client Acknowledgement | `acks.rs` `check_acks` (against safety.c's committed entries) |
//! | Current Index Validity | `node.rs` `check_node` |
//! | Commit Index Validity | safety.c (never back, never past the log), reported from `node.rs` `check_node`; `driver/servers.rs` `boot` (not below the durably applied index) |
//! | Applied Index Validity | safety.c (applied in order), reported from `world/disk.rs` `on_apply`; `node.rs` `check_node`, `world/disk.rs` `on_apply` (not beyond commit), `driver/delivery.rs` `periodic_all` (re-applied after a restart), `chaos/compaction.rs` |
//! | Log Accuracy | `logs.rs` `check_range`/`check_window`, `node.rs`, the storage callbacks in `world/disk.rs` |
//! | Entry ID Monotonicity | `world/disk.rs` `on_offer` |
//! | No Committed Entry Popped | safety.c, reported from `world/disk.rs` `on_pop`/`on_offer`; `driver/delivery.rs` (RAFT_ERR_SHUTDOWN from AppendEntries) |
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
//! step. Report with `World::fail(names::X, detail)` (or, for safety.c's
//! verdicts, `World::judge`): the first violation stops the run. A rule the
//! C tests need too belongs in safety.c instead (with its test in
//! `c_tests/t_safety.c`), and its name in `crate::safety`'s `RULES`.

mod acks;
mod commits;
mod leadership;
mod liveness;
mod logs;
mod node;
mod reads;

use crate::ffi::msg_entry_response_t;
use crate::safety::Checker;
use std::collections::VecDeque;

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
    /// The shared safety checker (c_fixture/safety.c): every server's
    /// reported log, the leaders of each term, the entries committed and
    /// applied at each index.
    pub safety: Checker,
    /// The highest index any server has committed (for the commit count and
    /// the committed removals).
    pub committed_max: i64,
    /// Accepted client entries still to be checked (at most 256).
    pub acks: VecDeque<Ack>,
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
