//! The exported getters: reads of a server's state. None changes it.

use super::handle::*;
use super::host::*;
use super::types::*;
use super::{with_server, with_server_ref};
use libc::{c_int, c_void};

// ---- getters ----------------------------------------------------------------

/// Returns our node's id, or -1 if no node was added with `is_self` (or it was removed).
#[no_mangle]
pub unsafe extern "C" fn raft_get_nodeid(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, -1, |s| s.node_id())
}

/// Returns our own node's handle, or NULL. Owned by the server.
#[no_mangle]
pub unsafe extern "C" fn raft_get_my_node(me: *mut raft_server_t) -> *mut raft_node_t {
    with_server!(me, std::ptr::null_mut(), |s| {
        let id = s.node_id();
        node_handle(s, id)
    })
}

/// Returns the number of nodes (voting or not, ourselves included).
#[no_mangle]
pub unsafe extern "C" fn raft_get_num_nodes(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.num_nodes() as c_int)
}

/// Returns the number of active voting nodes, ourselves included.
#[no_mangle]
pub unsafe extern "C" fn raft_get_num_voting_nodes(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.num_voting_nodes())
}

/// Returns the number of entries in the log (compacted entries excluded).
#[no_mangle]
pub unsafe extern "C" fn raft_get_log_count(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.log_count())
}

/// Returns the current term.
#[no_mangle]
pub unsafe extern "C" fn raft_get_current_term(me: *const raft_server_t) -> raft_term_t {
    with_server_ref!(me, 0, |s| s.current_term())
}

/// Returns the index of the last log entry (the snapshot's index when the log is empty).
#[no_mangle]
pub unsafe extern "C" fn raft_get_current_idx(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.current_idx())
}

/// Returns the commit index.
#[no_mangle]
pub unsafe extern "C" fn raft_get_commit_idx(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.commit_idx())
}

/// Returns 1 if we are a follower, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_is_follower(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.is_follower() as c_int)
}

/// Returns 1 if we are the leader, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_is_leader(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.is_leader() as c_int)
}

/// Returns 1 if we are a candidate, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_is_candidate(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.is_candidate() as c_int)
}

/// Returns the ms elapsed since the election/heartbeat timer was last reset.
#[no_mangle]
pub unsafe extern "C" fn raft_get_timeout_elapsed(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.timeout_elapsed())
}

/// Returns the index of the last entry applied to the state machine.
#[no_mangle]
pub unsafe extern "C" fn raft_get_last_applied_idx(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.last_applied_idx())
}

/// Returns the entry at index `idx`, or NULL if the log does not hold it.
/// The pointer is owned by the server and valid until the log changes; the
/// entry may be modified in place (not its term, for safety's sake).
#[no_mangle]
pub unsafe extern "C" fn raft_get_entry_from_idx(me: *mut raft_server_t, idx: raft_index_t) -> *mut raft_entry_t {
    with_server!(me, std::ptr::null_mut(), |s| entry_ptr(s, idx))
}

/// Returns the node with id `id`, or NULL. Owned by the server.
#[no_mangle]
pub unsafe extern "C" fn raft_get_node(me: *mut raft_server_t, id: raft_node_id_t) -> *mut raft_node_t {
    with_server!(me, std::ptr::null_mut(), |s| node_handle(s, id))
}

/// Returns the `idx`-th node (0-based, in the order they were added), or
/// NULL if `idx` is out of range. Owned by the server.
#[no_mangle]
pub unsafe extern "C" fn raft_get_node_from_idx(me: *mut raft_server_t, idx: raft_index_t) -> *mut raft_node_t {
    with_server!(me, std::ptr::null_mut(), |s| {
        if idx < 0 {
            return std::ptr::null_mut();
        }
        member_handle_at(s, idx as usize)
    })
}

/// Returns the number of votes we hold in the current election (ours included).
#[no_mangle]
pub unsafe extern "C" fn raft_get_nvotes_for_me(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.nvotes_for_me())
}

/// Returns the id we voted for in the current term, or -1.
#[no_mangle]
pub unsafe extern "C" fn raft_get_voted_for(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, -1, |s| s.voted_for())
}

/// Returns the id of the current leader as far as we know, or -1.
#[no_mangle]
pub unsafe extern "C" fn raft_get_current_leader(me: *const raft_server_t) -> raft_node_id_t {
    with_server_ref!(me, -1, |s| s.current_leader())
}

/// Returns the current leader's node handle, or NULL. Owned by the server.
#[no_mangle]
pub unsafe extern "C" fn raft_get_current_leader_node(me: *mut raft_server_t) -> *mut raft_node_t {
    with_server!(me, std::ptr::null_mut(), |s| {
        let id = s.current_leader();
        node_handle(s, id)
    })
}

/// Returns the `user_data` given to `raft_set_callbacks`.
#[no_mangle]
pub unsafe extern "C" fn raft_get_udata(me: *const raft_server_t) -> *mut c_void {
    with_server_ref!(me, std::ptr::null_mut(), |s| s.host.udata)
}

/// Returns the state: RAFT_STATE_FOLLOWER, _CANDIDATE or _LEADER, or
/// RAFT_STATE_PRECANDIDATE while a pre-vote is running (`raft_set_prevote`)
/// or after `raft_set_state` forced it (RAFT_STATE_NONE if `me` is NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_get_state(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.state() as c_int)
}

/// Returns the term of the last log entry (the snapshot's when the log is empty; 0 if none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_last_log_term(me: *const raft_server_t) -> raft_term_t {
    with_server_ref!(me, 0, |s| s.last_log_term())
}

/// Returns the last applied entry if the log still holds it, else NULL.
/// Owned by the server; valid until the log changes.
#[no_mangle]
pub unsafe extern "C" fn raft_get_last_applied_entry(me: *mut raft_server_t) -> *mut raft_entry_t {
    with_server!(me, std::ptr::null_mut(), |s| {
        let idx = s.last_applied_idx();
        entry_ptr(s, idx)
    })
}

/// Returns 1 if no snapshot was taken or loaded, else the snapshot's last
/// index (willemt's definition; the oldest entry held is the index after the
/// last compacted one).
#[no_mangle]
pub unsafe extern "C" fn raft_get_first_entry_idx(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.first_entry_idx())
}
