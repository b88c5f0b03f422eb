//! The exported snapshot functions (thesis §5): taking a snapshot, compacting
//! the log, loading a leader's snapshot.

use super::types::*;
use super::{rc, with_server, with_server_ref, INVALID};
use libc::c_int;

// ---- snapshots ----------------------------------------------------------------

/// Starts a snapshot of everything committed: applies all committed entries
/// and records the snapshot's last index/term. Save the state machine (and
/// membership), then call `raft_end_snapshot`. `flags` may be
/// RAFT_SNAPSHOT_NONBLOCKING_APPLY. Returns 0; -1 if a snapshot is in
/// progress, fewer than two entries are held, nothing is committed, or the
/// committed entry was compacted;
/// `log_apply`'s error.
#[no_mangle]
pub unsafe extern "C" fn raft_begin_snapshot(me: *mut raft_server_t, flags: c_int) -> c_int {
    with_server!(me, INVALID, |s| rc(s.begin_snapshot(flags)))
}

/// Ends the snapshot: removes (`log_poll`, oldest first) every entry it
/// covers; a leader then calls `send_snapshot` for nodes that need compacted
/// entries. Returns 0, -1 if no snapshot is in progress, or `log_poll`'s error.
#[no_mangle]
pub unsafe extern "C" fn raft_end_snapshot(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.end_snapshot()))
}

/// Abandons the snapshot in progress. Returns 0, or -1 if none is in progress.
#[no_mangle]
pub unsafe extern "C" fn raft_cancel_snapshot(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.cancel_snapshot()))
}

/// Returns the index of the last entry in the snapshot (0 if none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_snapshot_entry_idx(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.snapshot_last_idx())
}

/// Returns 1 while a snapshot is being taken.
#[no_mangle]
pub unsafe extern "C" fn raft_snapshot_is_in_progress(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.snapshot_is_in_progress() as c_int)
}

/// Removes the oldest log entry, which must be committed, after `log_poll`
/// succeeds. If `ety` is not NULL, `*ety` points to a copy of the removed
/// entry, owned by the server and valid until the next poll. Returns 0; -1
/// if the log is empty or the oldest entry is not committed; `log_poll`'s error.
#[no_mangle]
pub unsafe extern "C" fn raft_poll_entry(me: *mut raft_server_t, ety: *mut *mut raft_entry_t) -> c_int {
    with_server!(me, INVALID, |s| match s.poll_entry() {
        Ok(e) => {
            s.host.polled = raft_entry_t::from(&e);
            if let Some(out) = ety.as_mut() {
                *out = &mut s.host.polled;
            }
            0
        }
        Err(code) => code,
    })
}

/// Starts loading a snapshot received from the leader, whose last entry has
/// index `last_included_index` and term `last_included_term`: the log is
/// discarded (`log_clear` for each entry), commit and applied indexes jump
/// to the snapshot, every node but ourselves is removed, and our own node is
/// reset to a voting, active member (its status came from the discarded
/// log). Re-add the snapshot's members (`raft_add_node` /
/// `raft_add_non_voting_node`; for our own node use `raft_node_set_voting` /
/// `raft_node_set_active` on `raft_get_my_node`), then call
/// `raft_end_load_snapshot`. Returns 0; -1 for a non-positive index or
/// term, an index below the applied index, or a snapshot our log already
/// holds; RAFT_ERR_SNAPSHOT_ALREADY_LOADED; a callback's error.
#[no_mangle]
pub unsafe extern "C" fn raft_begin_load_snapshot(
    me: *mut raft_server_t,
    last_included_term: raft_term_t,
    last_included_index: raft_index_t,
) -> c_int {
    with_server!(me, INVALID, |s| rc(s.begin_load_snapshot(last_included_term, last_included_index)))
}

/// Ends loading a snapshot: marks the re-added members' voting status and
/// addition as committed. Returns 0.
#[no_mangle]
pub unsafe extern "C" fn raft_end_load_snapshot(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.end_load_snapshot()))
}

/// Returns the index of the last entry covered by the snapshot (0 if none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_snapshot_last_idx(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.snapshot_last_idx())
}

/// Returns the term of the last entry covered by the snapshot (0 if none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_snapshot_last_term(me: *const raft_server_t) -> raft_term_t {
    with_server_ref!(me, 0, |s| s.snapshot_last_term())
}

/// Records the snapshot's last included term and index (metadata only);
/// ignored for a negative or out-of-range term or index (above 2^63 - 2 / 2^62 - 1).
#[no_mangle]
pub unsafe extern "C" fn raft_set_snapshot_metadata(me: *mut raft_server_t, term: raft_term_t, idx: raft_index_t) {
    with_server!(me, (), |s| s.set_snapshot_metadata(term, idx))
}

/// (lower-level) Returns how many entries a snapshot taken now would
/// compact: 0 if the log holds at most one entry, else the commit index minus
/// the index of the last compacted entry.
#[no_mangle]
pub unsafe extern "C" fn raft_get_num_snapshottable_logs(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.num_snapshottable_logs())
}
