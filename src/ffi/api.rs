//! The exported C functions. Each checks its pointers, converts to core
//! types, calls the core and converts back; none lets a panic unwind into C.

use super::guard;
use super::host::*;
use super::types::*;
use crate::server::Server;
use crate::types::*;
use libc::{c_int, c_void};

const INVALID: c_int = err::INVALID;


fn rc(r: RaftResult) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e,
    }
}

macro_rules! with_server {
    ($me:expr, $default:expr, |$s:ident| $body:expr) => {
        guard($default, || match unsafe { server($me) } {
            Some($s) => $body,
            None => $default,
        })
    };
}

// ---- lifetime ---------------------------------------------------------------

/// Creates a server: a follower in term 0, no nodes, empty log, election
/// timeout 1000 ms, request timeout 200 ms.
/// Returns a handle owned by the caller (release it with `raft_free`), or NULL
/// if memory is exhausted.
#[no_mangle]
pub extern "C" fn raft_new() -> *mut raft_server_t {
    guard(std::ptr::null_mut(), || Box::into_raw(Box::new(Server::new(CHost::default()))) as *mut raft_server_t)
}

/// Frees a server, its nodes and its log. Payload buffers are not touched
/// (the application owns them). `me` may be NULL; it is invalid afterwards.
/// Never call it (or `raft_clear`) from within one of this server's callbacks.
#[no_mangle]
pub unsafe extern "C" fn raft_free(me: *mut raft_server_t) {
    guard((), || {
        if !me.is_null() {
            drop(Box::from_raw(me as *mut CServer));
        }
    })
}

/// Resets the server to its new state (term 0, no vote, follower, no nodes,
/// empty log, commit and applied 0). Callbacks and user data are kept; no
/// callback is made (payloads stay the application's).
#[no_mangle]
pub unsafe extern "C" fn raft_clear(me: *mut raft_server_t) {
    with_server!(me, (), |s| s.clear())
}

/// Sets the callbacks (copied from `*funcs`) and the `user_data` passed to
/// them. `funcs` is borrowed for the call; NULL changes nothing.
#[no_mangle]
pub unsafe extern "C" fn raft_set_callbacks(me: *mut raft_server_t, funcs: *mut raft_cbs_t, user_data: *mut c_void) {
    with_server!(me, (), |s| {
        if let Some(f) = funcs.as_ref() {
            s.host.cbs = *f;
            s.host.udata = user_data;
        }
    })
}

// ---- membership -------------------------------------------------------------

/// Adds a voting node with id `id`; `is_self` non-zero marks our own node.
/// If `id` is a non-voting member it becomes voting and its handle is returned;
/// if it is already a voting member NULL is returned. `user_data` is stored in
/// the node (see `raft_node_get_udata`). Calls `notify_membership_event` (ADD).
/// The handle is owned by the server and valid until the node is removed.
#[no_mangle]
pub unsafe extern "C" fn raft_add_node(
    me: *mut raft_server_t,
    user_data: *mut c_void,
    id: raft_node_id_t,
    is_self: c_int,
) -> *mut raft_node_t {
    with_server!(me, std::ptr::null_mut(), |s| {
        if s.add_node(UData(user_data), id, is_self != 0) {
            if let Some(n) = s.node_mut(id) {
                if n.udata.0.is_null() {
                    n.udata = UData(user_data);
                }
            }
            node_handle(s, id)
        } else {
            std::ptr::null_mut()
        }
    })
}

/// Adds a non-voting node (it receives the log but does not vote). Returns
/// NULL if `id` is already a member. Ownership as for `raft_add_node`.
#[no_mangle]
pub unsafe extern "C" fn raft_add_non_voting_node(
    me: *mut raft_server_t,
    udata: *mut c_void,
    id: raft_node_id_t,
    is_self: c_int,
) -> *mut raft_node_t {
    with_server!(me, std::ptr::null_mut(), |s| {
        if s.add_non_voting_node(UData(udata), id, is_self != 0) {
            node_handle(s, id)
        } else {
            std::ptr::null_mut()
        }
    })
}

/// Removes `node` from the server after calling `notify_membership_event`
/// (REMOVE); the handle is freed. Non-members and NULL are ignored.
#[no_mangle]
pub unsafe extern "C" fn raft_remove_node(me: *mut raft_server_t, node: *mut raft_node_t) {
    with_server!(me, (), |s| {
        if let Some(id) = member_id(s, node) {
            s.remove_node(id);
        }
    })
}

// ---- configuration ----------------------------------------------------------

/// Sets the election timeout (ms; negative values become 0) and draws a new
/// randomized timeout in [msec, 2*msec).
#[no_mangle]
pub unsafe extern "C" fn raft_set_election_timeout(me: *mut raft_server_t, msec: c_int) {
    with_server!(me, (), |s| s.set_election_timeout(msec))
}

/// Sets the request (heartbeat) timeout in ms.
#[no_mangle]
pub unsafe extern "C" fn raft_set_request_timeout(me: *mut raft_server_t, msec: c_int) {
    with_server!(me, (), |s| s.set_request_timeout(msec))
}

/// Returns the election timeout in ms (-9 if `me` is NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_get_election_timeout(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| s.election_timeout())
}

/// Returns the request timeout in ms (-9 if `me` is NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_get_request_timeout(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| s.request_timeout())
}

/// (extension) Returns the current randomized election timeout in ms, in
/// [election timeout, 2 * election timeout).
#[no_mangle]
pub unsafe extern "C" fn raft_get_randomized_election_timeout(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| s.election_timeout_rand())
}

/// (extension) Seeds the server's election-timeout generator so that a run
/// replays exactly, and redraws the randomized timeout.
#[no_mangle]
pub unsafe extern "C" fn raft_set_random_seed(me: *mut raft_server_t, seed: u64) {
    with_server!(me, (), |s| s.set_random_seed(seed))
}

/// (extension) Caps the number of entries one appendentries message carries
/// (e.g. so that it fits a datagram). 0 or negative: no cap (the default).
#[no_mangle]
pub unsafe extern "C" fn raft_set_max_entries_per_msg(me: *mut raft_server_t, n: c_int) {
    with_server!(me, (), |s| s.set_max_entries_per_msg(n.max(0) as usize))
}

/// (extension, TESTING ONLY) Deliberately breaks Raft rules, so that a
/// simulator can prove it detects the violation: a bitwise OR of the
/// RAFT_FAULT_* constants; 0 (the default) disables all faults.
#[no_mangle]
pub unsafe extern "C" fn raft_set_fault_injection(me: *mut raft_server_t, faults: c_int) {
    with_server!(me, (), |s| s.set_fault_injection(faults as u32))
}

// ---- driving the server -----------------------------------------------------

/// Advances the server's clock by `msec_elapsed` ms: a leader sends
/// heartbeats every request timeout; a follower or candidate starts an
/// election when its randomized election timeout has passed (a lone voter
/// becomes leader at once); committed entries are then applied with
/// `log_apply`. Returns 0, or the first error a callback returned (e.g.
/// RAFT_ERR_SHUTDOWN from `log_apply`); -9 if `me` is NULL.
#[no_mangle]
pub unsafe extern "C" fn raft_periodic(me: *mut raft_server_t, msec_elapsed: c_int) -> c_int {
    with_server!(me, INVALID, |s| rc(s.periodic(msec_elapsed)))
}

/// Converts a C appendentries message into the core's view of it.
unsafe fn ae_entries<'a>(ae: &msg_appendentries_t) -> Result<&'a [CEntry], c_int> {
    if ae.n_entries < 0 || (ae.n_entries > 0 && ae.entries.is_null()) {
        return Err(INVALID);
    }
    if ae.n_entries == 0 {
        return Ok(&[]);
    }
    // SAFETY: the caller promises `n_entries` entries at `entries`; CEntry has
    // raft_entry_t's layout (checked at compile time).
    Ok(std::slice::from_raw_parts(ae.entries as *const CEntry, ae.n_entries as usize))
}

/// Resolves an optional sender handle: NULL → Ok(None), member → Ok(Some(id)),
/// anything else → Err.
fn sender(s: &CServer, node: *mut raft_node_t) -> Result<Option<NodeId>, c_int> {
    if node.is_null() {
        Ok(None)
    } else {
        member_id(s, node).map(Some).ok_or(INVALID)
    }
}

/// Handles an appendentries message from `node` (the leader; may be NULL when
/// unknown) and fills the response `*r` to send back (paper Figure 2).
/// `ae` and its entries are borrowed for the call: entries are copied into the
/// log by value, payload pointers are kept as they are (each appended entry is
/// passed to `log_offer`, which typically persists and repoints it).
/// Returns 0, a callback's error, RAFT_ERR_SHUTDOWN if the message conflicts
/// with a committed entry, or -9 (nothing changed) for NULL `me`/`ae`/`r`, a
/// non-member `node`, a negative term, index or `n_entries`, or
/// `entries == NULL` with `n_entries > 0`.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_appendentries(
    me: *mut raft_server_t,
    node: *mut raft_node_t,
    ae: *mut msg_appendentries_t,
    r: *mut msg_appendentries_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        let (Some(ae), Some(r)) = (ae.as_ref(), r.as_mut()) else { return INVALID };
        if ae.term < 0 || ae.prev_log_idx < 0 || ae.prev_log_term < 0 || ae.leader_commit < 0 {
            return INVALID;
        }
        let from = match sender(s, node) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let mut entries = match ae_entries(ae) {
            Ok(e) => e,
            Err(e) => return e,
        };
        // Entries pointing into this server's own log (e.g. from
        // raft_get_entry_from_idx) would move when the log grows: copy them.
        let copied: Vec<CEntry>;
        if s.log_overlaps(entries) {
            copied = entries.to_vec();
            entries = &copied;
        }
        let msg = AppendEntries {
            term: ae.term,
            prev_log_idx: ae.prev_log_idx,
            prev_log_term: ae.prev_log_term,
            leader_commit: ae.leader_commit,
            entries,
        };
        let mut resp = AppendEntriesResponse::default();
        let res = s.recv_appendentries(from, &msg, &mut resp);
        *r = msg_appendentries_response_t {
            term: resp.term,
            success: resp.success as c_int,
            current_idx: resp.current_idx,
            first_idx: resp.first_idx,
        };
        rc(res)
    })
}

/// Handles the response `*r` to our appendentries from `node` (leader only):
/// updates the node's next/match indexes, advances the commit index and sends
/// more entries if the node still lacks some. `r` is borrowed.
/// Returns 0; -1 if `node` is NULL or not a member; RAFT_ERR_NOT_LEADER if
/// we are not the leader; a callback's error; -9 for NULL `me` or `r`.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_appendentries_response(
    me: *mut raft_server_t,
    node: *mut raft_node_t,
    r: *mut msg_appendentries_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(r) = r.as_ref() else { return INVALID };
        let Some(pos) = member_pos(s, node) else { return err::FAIL };
        if r.term < 0 || r.current_idx < 0 {
            return INVALID;
        }
        let resp = AppendEntriesResponse {
            term: r.term,
            success: r.success != 0,
            current_idx: r.current_idx,
            first_idx: r.first_idx,
        };
        rc(s.recv_appendentries_response_at(pos, &resp))
    })
}

/// Handles a requestvote from `node` (NULL: looked up by `vr->candidate_id`)
/// and fills the response `*r` (paper Figure 2). An unknown candidate gets
/// `vote_granted = RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE` and does not change our
/// term. A granted vote is persisted (`persist_vote`) before this returns.
/// Returns 0, a callback's error, or -9 (nothing changed) for NULL
/// `me`/`vr`/`r`, a negative term or index, or a non-member `node`.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_requestvote(
    me: *mut raft_server_t,
    node: *mut raft_node_t,
    vr: *mut msg_requestvote_t,
    r: *mut msg_requestvote_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        let (Some(vr), Some(r)) = (vr.as_ref(), r.as_mut()) else { return INVALID };
        if vr.term < 0 || vr.last_log_idx < 0 || vr.last_log_term < 0 {
            return INVALID;
        }
        let from = match sender(s, node) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let rv = RequestVote {
            term: vr.term,
            candidate_id: vr.candidate_id,
            last_log_idx: vr.last_log_idx,
            last_log_term: vr.last_log_term,
        };
        let mut resp = RequestVoteResponse::default();
        let res = s.recv_requestvote(from, &rv, &mut resp);
        *r = msg_requestvote_response_t { term: resp.term, vote_granted: resp.vote_granted };
        rc(res)
    })
}

/// Handles the response `*r` to our requestvote from `node` (may be NULL):
/// a candidate that gathers a majority becomes leader; a higher term makes us
/// a follower. Returns 0, RAFT_ERR_SHUTDOWN if we are being removed and the
/// voter no longer knows us, a callback's error, or -9 for NULL `me`/`r` or a
/// non-member `node`.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_requestvote_response(
    me: *mut raft_server_t,
    node: *mut raft_node_t,
    r: *mut msg_requestvote_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(r) = r.as_ref() else { return INVALID };
        if r.term < 0 {
            return INVALID;
        }
        let from = match sender(s, node) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let resp = RequestVoteResponse { term: r.term, vote_granted: r.vote_granted };
        rc(s.recv_requestvote_response(from, &resp))
    })
}

/// Proposes the client entry `*ety` (willemt's `raft_recv_entry`): on the
/// leader, sets `ety->term` to the current term, appends a copy of it to the
/// log (`log_offer`) and sends it to followers that are caught up. The
/// payload pointer is kept, not copied: it must stay valid until the entry
/// leaves the log. On success fills `*r` (id, term, index) for
/// `raft_msg_entry_response_committed`; `r` may be NULL.
/// Returns 0; RAFT_ERR_NOT_LEADER; RAFT_ERR_ONE_VOTING_CHANGE_ONLY for a
/// voting change while another is in progress; RAFT_ERR_SNAPSHOT_IN_PROGRESS
/// for a configuration change during a snapshot; `log_offer`'s error (the
/// entry is then not in the log); -9 for NULL `me` or `ety`.
#[no_mangle]
pub unsafe extern "C" fn raft_retain_entries(
    me: *mut raft_server_t,
    ety: *mut msg_entry_t,
    r: *mut msg_entry_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(e) = ety.as_mut() else { return INVALID };
        match s.retain_entry(CEntry::from(&*e)) {
            Ok(resp) => {
                e.term = resp.term;
                if let Some(r) = r.as_mut() {
                    *r = msg_entry_response_t { id: resp.id, term: resp.term, idx: resp.idx };
                }
                0
            }
            Err(code) => code,
        }
    })
}

/// Whether the entry described by `*r` (from `raft_retain_entries`) is
/// committed: 1 once it is; 0 while it is not (yet); -1 if its index now
/// holds an entry of another term (a new leader overwrote it: retry).
/// -9 for NULL arguments.
#[no_mangle]
pub unsafe extern "C" fn raft_msg_entry_response_committed(me: *mut raft_server_t, r: *const msg_entry_response_t) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(r) = r.as_ref() else { return INVALID };
        s.entry_response_committed(&EntryResponse { id: r.id, term: r.term, idx: r.idx })
    })
}

/// Appends a copy of `*ety` to the log as it is (term included), through
/// `log_offer`. Used to restore a log from disk and by tests. Configuration
/// entries take effect at once. Returns 0, `log_offer`'s error, or -9.
#[no_mangle]
pub unsafe extern "C" fn raft_append_entry(me: *mut raft_server_t, ety: *mut raft_entry_t) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(e) = ety.as_ref() else { return INVALID };
        rc(s.append_entry(CEntry::from(e)))
    })
}

// ---- getters ----------------------------------------------------------------

/// Returns our node's id, or -1 if no node was added with `is_self` (or it was removed).
#[no_mangle]
pub unsafe extern "C" fn raft_get_nodeid(me: *mut raft_server_t) -> c_int {
    with_server!(me, -1, |s| s.node_id())
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
pub unsafe extern "C" fn raft_get_num_nodes(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.num_nodes() as c_int)
}

/// Returns the number of active voting nodes, ourselves included.
#[no_mangle]
pub unsafe extern "C" fn raft_get_num_voting_nodes(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.num_voting_nodes())
}

/// Returns the number of entries in the log (compacted entries excluded).
#[no_mangle]
pub unsafe extern "C" fn raft_get_log_count(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.log_count())
}

/// Returns the current term.
#[no_mangle]
pub unsafe extern "C" fn raft_get_current_term(me: *mut raft_server_t) -> raft_term_t {
    with_server!(me, 0, |s| s.current_term())
}

/// Returns the index of the last log entry (the snapshot's index when the log is empty).
#[no_mangle]
pub unsafe extern "C" fn raft_get_current_idx(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.current_idx())
}

/// Returns the commit index.
#[no_mangle]
pub unsafe extern "C" fn raft_get_commit_idx(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.commit_idx())
}

/// Returns 1 if we are a follower, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_is_follower(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.is_follower() as c_int)
}

/// Returns 1 if we are the leader, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_is_leader(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.is_leader() as c_int)
}

/// Returns 1 if we are a candidate, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_is_candidate(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.is_candidate() as c_int)
}

/// Returns the ms elapsed since the election/heartbeat timer was last reset.
#[no_mangle]
pub unsafe extern "C" fn raft_get_timeout_elapsed(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.timeout_elapsed())
}

/// Returns the index of the last entry applied to the state machine.
#[no_mangle]
pub unsafe extern "C" fn raft_get_last_applied_idx(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.last_applied_idx())
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
        match s.node_at_mut(idx as usize) {
            Some(n) => n as *mut CNode as *mut raft_node_t,
            None => std::ptr::null_mut(),
        }
    })
}

/// Returns the number of votes we hold in the current election (ours included).
#[no_mangle]
pub unsafe extern "C" fn raft_get_nvotes_for_me(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.nvotes_for_me())
}

/// Returns the id we voted for in the current term, or -1.
#[no_mangle]
pub unsafe extern "C" fn raft_get_voted_for(me: *mut raft_server_t) -> c_int {
    with_server!(me, -1, |s| s.voted_for())
}

/// Returns the id of the current leader as far as we know, or -1.
#[no_mangle]
pub unsafe extern "C" fn raft_get_current_leader(me: *mut raft_server_t) -> raft_node_id_t {
    with_server!(me, -1, |s| s.current_leader())
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
pub unsafe extern "C" fn raft_get_udata(me: *mut raft_server_t) -> *mut c_void {
    with_server!(me, std::ptr::null_mut(), |s| s.host.udata)
}

/// Returns the state: RAFT_STATE_FOLLOWER, _CANDIDATE or _LEADER
/// (RAFT_STATE_NONE if `me` is NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_get_state(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.state() as c_int)
}

/// Returns the term of the last log entry (the snapshot's when the log is empty; 0 if none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_last_log_term(me: *mut raft_server_t) -> raft_term_t {
    with_server!(me, 0, |s| s.last_log_term())
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
pub unsafe extern "C" fn raft_get_first_entry_idx(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.first_entry_idx())
}

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
pub unsafe extern "C" fn raft_is_apply_allowed(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.is_apply_allowed() as c_int)
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

/// (lower-level) Forces the state (RAFT_STATE_FOLLOWER, _CANDIDATE or
/// _LEADER; other values are ignored). Forcing leader makes us the current leader.
#[no_mangle]
pub unsafe extern "C" fn raft_set_state(me: *mut raft_server_t, state: c_int) {
    with_server!(me, (), |s| match state {
        1 => s.set_state(State::Follower),
        2 => s.set_state(State::Candidate),
        3 => s.set_state(State::Leader),
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
pub unsafe extern "C" fn raft_entry_is_voting_cfg_change(ety: *mut raft_entry_t) -> c_int {
    guard(0, || ety.as_ref().is_some_and(|e| CEntry::from(e).is_voting_cfg_change()) as c_int)
}

/// Returns 1 if `ety` is a configuration change (ADD_NONVOTING_NODE,
/// ADD_NODE, DEMOTE_NODE or REMOVE_NODE), else 0 (also for NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_entry_is_cfg_change(ety: *mut raft_entry_t) -> c_int {
    guard(0, || ety.as_ref().is_some_and(|e| is_cfg_change_type(e.r#type)) as c_int)
}

/// Returns 1 while a voting configuration change is appended but not applied.
#[no_mangle]
pub unsafe extern "C" fn raft_voting_change_is_in_progress(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.voting_change_is_in_progress() as c_int)
}

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
pub unsafe extern "C" fn raft_get_snapshot_entry_idx(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.snapshot_last_idx())
}

/// Returns 1 while a snapshot is being taken.
#[no_mangle]
pub unsafe extern "C" fn raft_snapshot_is_in_progress(me: *mut raft_server_t) -> c_int {
    with_server!(me, 0, |s| s.snapshot_is_in_progress() as c_int)
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
pub unsafe extern "C" fn raft_get_snapshot_last_idx(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.snapshot_last_idx())
}

/// Returns the term of the last entry covered by the snapshot (0 if none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_snapshot_last_term(me: *mut raft_server_t) -> raft_term_t {
    with_server!(me, 0, |s| s.snapshot_last_term())
}

/// Records the snapshot's last included term and index (metadata only).
#[no_mangle]
pub unsafe extern "C" fn raft_set_snapshot_metadata(me: *mut raft_server_t, term: raft_term_t, idx: raft_index_t) {
    with_server!(me, (), |s| s.set_snapshot_metadata(term, idx))
}

/// (lower-level) Returns how many entries a snapshot taken now would
/// compact: 0 if the log holds at most one entry, else the commit index minus
/// the index of the last compacted entry.
#[no_mangle]
pub unsafe extern "C" fn raft_get_num_snapshottable_logs(me: *mut raft_server_t) -> raft_index_t {
    with_server!(me, 0, |s| s.num_snapshottable_logs())
}
