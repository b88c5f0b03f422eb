//! C types of the extensions (issue 12): the second callback table
//! `raft_cbs_ext_t`, the read callback and the statistics struct. willemt's
//! `raft_cbs_t` is left exactly as it is.

#![allow(non_camel_case_types)]

use super::types::*;
use libc::{c_int, c_void};

/// (extension) The role changed to `state` (it is in place during the call;
/// `raft_get_state()` returns it). Read the server from it if you like; do
/// not change its role from it.
pub type func_state_event_f = Option<unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, state: raft_state_e)>;

/// (extension) Send a TimeoutNow to `node`, the target of a leadership
/// transfer (thesis §3.10). `msg` is borrowed for the call; the receiver
/// passes it to `raft_recv_timeoutnow`. Return 0 on success. (RedisLabs/raft's
/// callback has no message: ours carries the leader's term, so that a late
/// TimeoutNow cannot start an election in a later term.)
pub type func_send_timeoutnow_f = Option<
    unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, node: *mut raft_node_t, msg: *mut msg_timeoutnow_t) -> c_int,
>;

/// (extension) A leadership transfer started by `raft_transfer_leader` ended
/// with `result` (after the state that ended it is in place).
pub type func_transfer_event_f =
    Option<unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, result: raft_leader_transfer_e)>;

/// (extension) Send a follower's read-index request to the leader `node`;
/// the leader passes it to `raft_recv_readindex`. `msg` is borrowed for the
/// call. Return 0 on success.
pub type func_send_readindex_f = Option<
    unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, node: *mut raft_node_t, msg: *mut msg_readindex_t) -> c_int,
>;

/// (extension) Send the leader's answer to a read-index request back to the
/// follower `node`, which passes it to `raft_recv_readindex_response`.
/// `msg` is borrowed for the call. Return 0 on success.
pub type func_send_readindex_response_f = Option<
    unsafe extern "C" fn(
        raft: *mut raft_server_t,
        user_data: *mut c_void,
        node: *mut raft_node_t,
        msg: *mut msg_readindex_response_t,
    ) -> c_int,
>;

/// (extension) The second callback table, registered with
/// `raft_set_ext_callbacks` (`raft_cbs_t` stays exactly willemt's). Every
/// member is optional (NULL). The table only ever grows at its end: a
/// program built against an older, shorter table passes its own
/// `sizeof(raft_cbs_ext_t)` and the members it does not know stay NULL.
/// Registering a table (even one of NULLs) also tells the library that the
/// program was built with this header, so that it may read and write the
/// fields appended to willemt's message structs (`msg_id`,
/// `leadership_transfer`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct raft_cbs_ext_t {
    /// Send a TimeoutNow (leadership transfer). Needed by `raft_transfer_leader`.
    pub send_timeoutnow: func_send_timeoutnow_f,
    /// The role changed (follower, pre-candidate, candidate, leader).
    pub notify_state_event: func_state_event_f,
    /// A leadership transfer ended.
    pub notify_transfer_event: func_transfer_event_f,
    /// Send a follower's read-index request to the leader. Without it a
    /// follower refuses reads with RAFT_ERR_NOT_LEADER.
    pub send_readindex: func_send_readindex_f,
    /// Send the leader's answer to a read-index request.
    pub send_readindex_response: func_send_readindex_response_f,
    /// (batched offer) When set, called instead of `log_offer` once for a
    /// run of entries appended together — a batch of proposals
    /// (`raft_retain_entries_batch`) or the new entries of one appendentries —
    /// so that the program persists them with one write. Same timing as
    /// `log_offer`: none of them counts in the log yet. NULL: `log_offer`
    /// per entry (the default).
    pub log_offer_batch: func_log_offer_batch_f,
    /// A log message with its level (`raft_log_level_e`), as filtered by
    /// `raft_set_log_level`. Called besides `raft_cbs_t.log` when both are set.
    pub log_leveled: func_log_leveled_f,
}

/// (extension) `n_entries` entries, the library's copies in an array it
/// owns, are about to be appended at indexes from `first_idx` to
/// `first_idx + n_entries - 1`. None counts in the log yet
/// (`raft_get_current_idx()` is `first_idx - 1`). Persist them all (synced
/// before returning); each `entries[i].data.buf` may be repointed and the
/// log keeps the new pointer. `entries` is valid for the call only. A
/// non-zero return: none of them is appended and nothing about them takes
/// effect; the error is returned to the caller.
pub type func_log_offer_batch_f = Option<
    unsafe extern "C" fn(
        raft: *mut raft_server_t,
        user_data: *mut c_void,
        entries: *mut raft_entry_t,
        first_idx: raft_index_t,
        n_entries: c_int,
    ) -> c_int,
>;

/// (extension) A log message: `level` is a `raft_log_level_e`; `node` is the
/// node it concerns, or NULL; `buf` is NUL-terminated and borrowed for the call.
pub type func_log_leveled_f = Option<
    unsafe extern "C" fn(
        raft: *mut raft_server_t,
        node: *mut raft_node_t,
        user_data: *mut c_void,
        level: c_int,
        buf: *const libc::c_char,
    ),
>;

/// (extension) Called once per read accepted by `raft_recv_read_request` or
/// `raft_recv_lease_read_request`, never from within those functions:
/// `can_read` is 1 when the read may be served now (the state machine
/// reflects every write acknowledged before the read was requested), with
/// `err` 0; otherwise `can_read` is 0 and `err` says why: RAFT_ERR_NOT_LEADER
/// (leadership was lost before the read was confirmed: ask the leader),
/// RAFT_ERR_TIMEOUT (not answered within an election timeout: retry),
/// RAFT_ERR_SHUTDOWN (the server is being freed or cleared). `arg` is the
/// caller's. (RedisLabs/raft's callback has no `err`; a two-argument callback
/// does not compile against this type, so its `if (can_read)` cannot be
/// misread.)
pub type raft_read_request_callback_f = Option<unsafe extern "C" fn(arg: *mut c_void, can_read: c_int, err: c_int)>;

/// (extension) What a server has done since `raft_new` (or `raft_clear`),
/// filled by `raft_get_stats`. Every field counts events and only grows. The
/// struct only ever grows at its end: pass your own `sizeof(raft_stats_t)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct raft_stats_t {
    /// Times the current term rose.
    pub term_changes: u64,
    /// Pre-vote rounds started.
    pub prevotes_started: u64,
    /// Elections started (became candidate).
    pub elections_started: u64,
    /// Elections won (became leader).
    pub elections_won: u64,
    /// Elections started because of a TimeoutNow.
    pub elections_by_timeoutnow: u64,
    /// Times a leader stepped down because check-quorum found no majority.
    pub check_quorum_stepdowns: u64,
    /// Requestvotes (and pre-votes) sent.
    pub requestvotes_sent: u64,
    /// Requestvotes (and pre-votes) received.
    pub requestvotes_received: u64,
    /// Requestvote responses received.
    pub requestvote_responses_received: u64,
    /// Appendentries sent.
    pub appendentries_sent: u64,
    /// Appendentries received.
    pub appendentries_received: u64,
    /// Appendentries responses received.
    pub appendentries_responses_received: u64,
    /// `send_snapshot` calls.
    pub snapshots_sent: u64,
    /// Snapshots loaded (`raft_begin_load_snapshot` accepted).
    pub snapshots_loaded: u64,
    /// TimeoutNow messages sent.
    pub timeoutnows_sent: u64,
    /// TimeoutNow messages received.
    pub timeoutnows_received: u64,
    /// Read-index requests sent (follower).
    pub readindex_sent: u64,
    /// Read-index requests received (leader).
    pub readindex_received: u64,
    /// Read-index answers sent (leader).
    pub readindex_responses_sent: u64,
    /// Read-index answers received (follower).
    pub readindex_responses_received: u64,
    /// Entries appended to the log.
    pub entries_appended: u64,
    /// Growth of the commit index (snapshot loads excluded).
    pub entries_committed: u64,
    /// Entries applied (`log_apply` calls).
    pub entries_applied: u64,
    /// Reads answered with `can_read` 1.
    pub reads_ok: u64,
    /// Reads answered with an error.
    pub reads_failed: u64,
    /// Reads answered under the leader's lease (no heartbeat round).
    pub reads_by_lease: u64,
    /// Leadership transfers started.
    pub transfers_started: u64,
    /// Leadership transfers that ended with the target leading.
    pub transfers_completed: u64,
}

impl From<&crate::stats::Stats> for raft_stats_t {
    fn from(s: &crate::stats::Stats) -> Self {
        raft_stats_t {
            term_changes: s.term_changes,
            prevotes_started: s.prevotes_started,
            elections_started: s.elections_started,
            elections_won: s.elections_won,
            elections_by_timeoutnow: s.elections_by_timeoutnow,
            check_quorum_stepdowns: s.check_quorum_stepdowns,
            requestvotes_sent: s.requestvotes_sent,
            requestvotes_received: s.requestvotes_received,
            requestvote_responses_received: s.requestvote_responses_received,
            appendentries_sent: s.appendentries_sent,
            appendentries_received: s.appendentries_received,
            appendentries_responses_received: s.appendentries_responses_received,
            snapshots_sent: s.snapshots_sent,
            snapshots_loaded: s.snapshots_loaded,
            timeoutnows_sent: s.timeoutnows_sent,
            timeoutnows_received: s.timeoutnows_received,
            readindex_sent: s.readindex_sent,
            readindex_received: s.readindex_received,
            readindex_responses_sent: s.readindex_responses_sent,
            readindex_responses_received: s.readindex_responses_received,
            entries_appended: s.entries_appended,
            entries_committed: s.entries_committed,
            entries_applied: s.entries_applied,
            reads_ok: s.reads_ok,
            reads_failed: s.reads_failed,
            reads_by_lease: s.reads_by_lease,
            transfers_started: s.transfers_started,
            transfers_completed: s.transfers_completed,
        }
    }
}
