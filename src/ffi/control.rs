//! Lower-level exported functions (willemt keeps most in a private header):
//! votes and terms, applying, roles, single messages, configuration-entry
//! predicates. Tests, simulators and recovery code use them.

use super::handle::*;
use super::types::*;
use super::{guard, rc, with_server, with_server_ref, INVALID};
use crate::types::*;
use libc::c_int;
use crate::ChangeKind;

// ---- votes and terms --------------------------------------------------------

/// Votes for `node` (NULL: clears the vote) after `persist_vote` succeeds.
/// Returns 0, `persist_vote`'s error (nothing changed), or -9 if `node` is
/// not a member.
#[no_mangle]
pub unsafe extern "C" fn raft_vote(me: *mut raft_server_t, node: *mut raft_node_t) -> c_int {
    with_server!(me, INVALID, |s| {
        let id = if node.is_null() {
            NO_NODE
        } else {
            match member_id(s, node) {
                Some(id) => id,
                None => return INVALID,
            }
        };
        rc(s.vote_for(id))
    })
}

/// Votes for node id `nodeid` after `persist_vote` succeeds.
/// Returns 0 or `persist_vote`'s error (nothing changed).
#[no_mangle]
pub unsafe extern "C" fn raft_vote_for_nodeid(me: *mut raft_server_t, nodeid: raft_node_id_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.vote_for(nodeid)))
}

/// Moves to term `term` if it is higher than the current one, clearing the
/// vote, after `persist_term(term, -1)` succeeds. Lower or equal terms are
/// ignored. Returns 0 or `persist_term`'s error (nothing changed).
#[no_mangle]
pub unsafe extern "C" fn raft_set_current_term(me: *mut raft_server_t, term: raft_term_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.set_current_term(term)))
}

/// Raises the commit index to `commit_idx` (never lowers it, never beyond
/// the last log index). Entries are applied by `raft_periodic`.
#[no_mangle]
pub unsafe extern "C" fn raft_set_commit_idx(me: *mut raft_server_t, commit_idx: raft_index_t) {
    with_server!(me, (), |s| s.set_commit_idx(commit_idx))
}

// ---- applying ---------------------------------------------------------------

/// Applies every committed entry not yet applied (`log_apply`), unless a
/// blocking snapshot is in progress. Returns 0 or the first callback error.
#[no_mangle]
pub unsafe extern "C" fn raft_apply_all(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.apply_all()))
}

/// (lower-level) Applies the next committed entry with `log_apply`.
/// Returns 0; -1 if there is nothing to apply, the entry is not held, or a
/// blocking snapshot is in progress; `log_apply`'s error (the entry still
/// counts as applied).
#[no_mangle]
pub unsafe extern "C" fn raft_apply_entry(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.apply_entry()))
}

/// Returns 1 if entries may be applied now (no blocking snapshot in progress).
#[no_mangle]
pub unsafe extern "C" fn raft_is_apply_allowed(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.is_apply_allowed() as c_int)
}

/// (lower-level) Sets the last applied index (recovery, tests).
#[no_mangle]
pub unsafe extern "C" fn raft_set_last_applied_idx(me: *mut raft_server_t, idx: raft_index_t) {
    with_server!(me, (), |s| s.set_last_applied_idx(idx))
}

// ---- roles ------------------------------------------------------------------

/// Becomes leader: next index of every other node = last index + 1, match
/// index 0, and an appendentries is sent to each active node.
#[no_mangle]
pub unsafe extern "C" fn raft_become_leader(me: *mut raft_server_t) {
    with_server!(me, (), |s| s.become_leader())
}

/// Becomes follower with a fresh randomized election timeout.
#[no_mangle]
pub unsafe extern "C" fn raft_become_follower(me: *mut raft_server_t) {
    with_server!(me, (), |s| s.become_follower())
}

/// (lower-level) Becomes candidate: term + 1 (`persist_term`), votes for
/// itself (`persist_vote`), sends requestvote to every other active voter.
/// Returns 0 or a persistence callback's error (then it stays as it was).
#[no_mangle]
pub unsafe extern "C" fn raft_become_candidate(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.become_candidate()))
}

/// (lower-level) Starts an election; same as `raft_become_candidate`.
#[no_mangle]
pub unsafe extern "C" fn raft_election_start(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.election_start()))
}

/// (lower-level) Forces the state (RAFT_STATE_FOLLOWER, _CANDIDATE,
/// _LEADER or _PRECANDIDATE; other values are ignored). Forcing leader makes us the current leader.
#[no_mangle]
pub unsafe extern "C" fn raft_set_state(me: *mut raft_server_t, state: c_int) {
    with_server!(me, (), |s| match state {
        1 => s.set_state(State::Follower),
        2 => s.set_state(State::Candidate),
        3 => s.set_state(State::Leader),
        4 => s.set_state(State::PreCandidate),
        _ => {}
    })
}

/// (lower-level) Draws a new randomized election timeout.
#[no_mangle]
pub unsafe extern "C" fn raft_randomize_election_timeout(me: *mut raft_server_t) {
    with_server!(me, (), |s| s.randomize_election_timeout())
}

// ---- messages (lower-level) ---------------------------------------------------

/// (lower-level) Sends a requestvote to `node`. Returns 0, the send
/// callback's error, or -9 if `node` is not a member.
#[no_mangle]
pub unsafe extern "C" fn raft_send_requestvote(me: *mut raft_server_t, node: *mut raft_node_t) -> c_int {
    with_server!(me, INVALID, |s| match member_id(s, node) {
        Some(id) => rc(s.send_requestvote(id)),
        None => INVALID,
    })
}

/// (lower-level) Sends `node` an appendentries with the entries from its
/// next index. If those were compacted, calls `send_snapshot` instead and
/// returns RAFT_ERR_NEEDS_SNAPSHOT. Returns 0, the send callback's error
/// (-1 if `send_appendentries` is not set), or -9 if `node` is not a member
/// or is ourselves.
#[no_mangle]
pub unsafe extern "C" fn raft_send_appendentries(me: *mut raft_server_t, node: *mut raft_node_t) -> c_int {
    with_server!(me, INVALID, |s| match member_id(s, node) {
        Some(id) => rc(s.send_appendentries(id)),
        None => INVALID,
    })
}

/// (lower-level) Sends an appendentries to every other active node (a
/// heartbeat) and resets the timer. Returns 0 or the first send error.
#[no_mangle]
pub unsafe extern "C" fn raft_send_appendentries_all(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.send_appendentries_all()))
}

/// (lower-level) Returns 1 if `nvotes` is a majority of `nnodes` voters
/// (never when nvotes > nnodes), else 0.
#[no_mangle]
pub extern "C" fn raft_votes_is_majority(nnodes: c_int, nvotes: c_int) -> c_int {
    crate::quorum::votes_is_majority(nnodes, nvotes) as c_int
}

// ---- configuration entries ----------------------------------------------------

/// Returns 1 if `ety` changes who votes (RAFT_LOGTYPE_ADD_NODE or
/// RAFT_LOGTYPE_DEMOTE_NODE), else 0 (also for NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_entry_is_voting_cfg_change(ety: *const raft_entry_t) -> c_int {
    guard(0, || {
        ety.as_ref().and_then(|e| ChangeKind::of(e.r#type)).is_some_and(|k| k.is_willemt_voting_change()) as c_int
    })
}

/// Returns 1 if `ety` is a configuration change (ADD_NONVOTING_NODE,
/// ADD_NODE, DEMOTE_NODE or REMOVE_NODE), else 0 (also for NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_entry_is_cfg_change(ety: *const raft_entry_t) -> c_int {
    guard(0, || ety.as_ref().is_some_and(|e| ChangeKind::of(e.r#type).is_some()) as c_int)
}

/// Returns 1 while a voting configuration change is appended but not applied.
#[no_mangle]
pub unsafe extern "C" fn raft_voting_change_is_in_progress(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.voting_change_is_in_progress() as c_int)
}
