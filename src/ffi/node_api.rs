//! `raft_node_*`: accessors of a node handle. A handle comes from a server
//! (`raft_add_node`, `raft_get_node`, ...; owned by that server) or from
//! `raft_node_new` (owned by the caller). NULL handles are ignored (getters
//! return 0, NULL or -1).

use super::guard;
use super::handle::*;
use super::types::*;
use libc::{c_int, c_void};

/// Runs `$body` with `$node`, the node's flags and progress (a
/// [`crate::NodeSlot`]); `$default` for NULL or a handle of another kind.
macro_rules! with_node {
    ($n:expr, $default:expr, |$node:ident| $body:expr) => {
        guard($default, || unsafe { with_node_slot($n, |_, #[allow(unused_mut)] mut $node| $body) }.unwrap_or($default))
    };
}

/// (lower-level) Creates a standalone node (voting, active, next index 1,
/// match index 0) holding `udata`, not attached to any server. The caller
/// owns it and releases it with `raft_node_free`. Returns NULL on failure.
#[no_mangle]
pub extern "C" fn raft_node_new(udata: *mut c_void, id: raft_node_id_t) -> *mut raft_node_t {
    guard(std::ptr::null_mut(), || new_standalone(udata, id))
}

/// (lower-level) Frees a node made by `raft_node_new`. Never pass a handle
/// owned by a server (use `raft_remove_node`). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn raft_node_free(me: *mut raft_node_t) {
    guard((), || free_standalone(me))
}

/// Returns the node's id (-1 for NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_node_get_id(me: *const raft_node_t) -> raft_node_id_t {
    guard(-1, || node_handle_ref(me).map_or(-1, |h| h.id()))
}

/// Returns the user data stored in the node (not owned by the library).
#[no_mangle]
pub unsafe extern "C" fn raft_node_get_udata(me: *const raft_node_t) -> *mut c_void {
    guard(std::ptr::null_mut(), || node_handle_ref(me).map_or(std::ptr::null_mut(), |h| h.udata))
}

/// Stores `user_data` in the node; the library never dereferences it.
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_udata(me: *mut raft_node_t, user_data: *mut c_void) {
    guard((), || {
        if let Some(h) = node_handle_ref(me) {
            h.udata = user_data;
        }
    })
}

/// Returns the index of the next entry the leader will send this node.
#[no_mangle]
pub unsafe extern "C" fn raft_node_get_next_idx(node: *const raft_node_t) -> raft_index_t {
    with_node!(node, 0, |n| n.next_idx())
}

/// (lower-level) Sets the next index (values below 1 become 1).
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_next_idx(node: *mut raft_node_t, next_idx: raft_index_t) {
    with_node!(node, (), |n| n.set_next_idx(next_idx))
}

/// Returns the highest index known to be replicated on this node.
#[no_mangle]
pub unsafe extern "C" fn raft_node_get_match_idx(me: *const raft_node_t) -> raft_index_t {
    with_node!(me, 0, |n| n.match_idx())
}

/// (lower-level) Sets the match index (negative values become 0).
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_match_idx(node: *mut raft_node_t, match_idx: raft_index_t) {
    with_node!(node, (), |n| n.set_match_idx(match_idx))
}

/// (lower-level) Records whether this node voted for us (`vote` non-zero).
#[no_mangle]
pub unsafe extern "C" fn raft_node_vote_for_me(me: *mut raft_node_t, vote: c_int) {
    with_node!(me, (), |n| n.vote_for_me(vote != 0))
}

/// (lower-level) Returns 1 if this node voted for us in the current election.
#[no_mangle]
pub unsafe extern "C" fn raft_node_has_vote_for_me(me: *const raft_node_t) -> c_int {
    with_node!(me, 0, |n| n.has_vote_for_me() as c_int)
}

/// Makes the node voting (`voting` non-zero) or non-voting.
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_voting(node: *mut raft_node_t, voting: c_int) {
    with_node!(node, (), |n| n.set_voting(voting != 0))
}

/// Returns 1 if the node votes.
#[no_mangle]
pub unsafe extern "C" fn raft_node_is_voting(me: *const raft_node_t) -> c_int {
    with_node!(me, 0, |n| n.is_voting() as c_int)
}

/// Returns 1 once `node_has_sufficient_logs` was reported for this node.
#[no_mangle]
pub unsafe extern "C" fn raft_node_has_sufficient_logs(me: *const raft_node_t) -> c_int {
    with_node!(me, 0, |n| n.has_sufficient_logs() as c_int)
}

/// (lower-level) Marks the node as having caught up.
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_has_sufficient_logs(me: *mut raft_node_t) {
    with_node!(me, (), |n| n.set_has_sufficient_logs())
}

/// Returns 1 if the node is active (0 while a REMOVE_NODE entry for it is in the log).
#[no_mangle]
pub unsafe extern "C" fn raft_node_is_active(me: *const raft_node_t) -> c_int {
    with_node!(me, 0, |n| n.is_active() as c_int)
}

/// Marks the node active (`active` non-zero) or inactive (no messages, no vote).
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_active(me: *mut raft_node_t, active: c_int) {
    with_node!(me, (), |n| n.set_active(active != 0))
}

/// Returns 1 if the entry that made this node voting is applied.
#[no_mangle]
pub unsafe extern "C" fn raft_node_is_voting_committed(me: *const raft_node_t) -> c_int {
    with_node!(me, 0, |n| n.is_voting_committed() as c_int)
}

/// Sets whether the node's voting status is committed.
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_voting_committed(me: *mut raft_node_t, voting: c_int) {
    with_node!(me, (), |n| n.set_voting_committed(voting != 0))
}

/// Returns 1 if the entry that added this node is applied.
#[no_mangle]
pub unsafe extern "C" fn raft_node_is_addition_committed(me: *const raft_node_t) -> c_int {
    with_node!(me, 0, |n| n.is_addition_committed() as c_int)
}

/// Sets whether the node's addition is committed.
#[no_mangle]
pub unsafe extern "C" fn raft_node_set_addition_committed(me: *mut raft_node_t, committed: c_int) {
    with_node!(me, (), |n| n.set_addition_committed(committed != 0))
}
