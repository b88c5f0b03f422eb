//! The exported C functions. Each checks its pointers, converts to core
//! types, calls the core and converts back; none lets a panic unwind into C.

use super::handle::*;
use super::host::*;
use super::msgs::*;
use super::types::*;
use super::{guard, rc, with_server, with_server_ref, INVALID};
use crate::server::Server;
use crate::types::*;

use libc::{c_int, c_void};


// ---- lifetime ---------------------------------------------------------------

/// Creates a server: a follower in term 0, no nodes, empty log, election
/// timeout 1000 ms, request timeout 200 ms.
/// Returns a handle owned by the caller (release it with `raft_free`), or NULL
/// if memory is exhausted.
#[no_mangle]
pub extern "C" fn raft_new() -> *mut raft_server_t {
    guard(std::ptr::null_mut(), || {
        let me = new_server(Server::new(CHost::default()));
        with_server!(me, (), |s| s.seed_read_ids(incarnation_nonce(me as usize)));
        me
    })
}

/// A value for this server's read-index request ids that an earlier
/// incarnation of it, in this process or an earlier one, is unlikely to
/// have drawn (ReadOnly::seed_forward_ids): the wall clock, the server's
/// address and a count of the servers this process created, mixed.
/// `raft_set_random_seed` replaces it with one drawn from its seed.
fn incarnation_nonce(addr: usize) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CREATED: AtomicU64 = AtomicU64::new(0);
    let n = CREATED.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    crate::rng::Rng::new(t ^ (addr as u64).rotate_left(29) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64()
}

/// Frees a server, its nodes (every `raft_node_t*` it returned becomes
/// invalid) and its log (the entry structs). No callback is called: payload
/// buffers are not touched (the application owns them and frees them itself),
/// user data pointers are not freed. `me` may be NULL (or a handle of another
/// kind: ignored); it is invalid afterwards. Never call it (or `raft_clear`)
/// from within one of this server's callbacks.
#[no_mangle]
pub unsafe extern "C" fn raft_free(me: *mut raft_server_t) {
    // Every accepted read is answered exactly once: pending ones now.
    with_server!(me, (), |s| s.cancel_reads(err::SHUTDOWN));
    guard((), || free_server(me))
}

/// Resets the server to its new state (term 0, no vote, follower, no nodes,
/// empty log, commit and applied 0). Callbacks and user data are kept. Each
/// entry is given to `log_clear` first (oldest first, while it is still in
/// the log; its result is ignored), so that the application can release its
/// payload. Node handles are invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn raft_clear(me: *mut raft_server_t) {
    with_server!(me, (), |s| {
        s.cancel_reads(err::SHUTDOWN);
        s.clear_log_entries();
        s.clear()
    })
}

/// Sets the callbacks (copied from `*funcs`) and the `user_data` passed to
/// them. `funcs` is borrowed for the call; NULL changes nothing.
#[no_mangle]
pub unsafe extern "C" fn raft_set_callbacks(me: *mut raft_server_t, funcs: *const raft_cbs_t, user_data: *mut c_void) {
    with_server!(me, (), |s| {
        if let Some(f) = funcs.as_ref() {
            s.host.cbs = *f;
            s.host.update_log_sink();
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
        if !s.add_node(NodeData::default(), id, is_self != 0) {
            return std::ptr::null_mut();
        }
        let n = node_handle(s, id);
        if let Some(h) = node_handle_ref(n) {
            if h.udata.is_null() {
                h.udata = user_data;
            }
        }
        n
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
        if !s.add_non_voting_node(NodeData::default(), id, is_self != 0) {
            return std::ptr::null_mut();
        }
        let n = node_handle(s, id);
        if let Some(h) = node_handle_ref(n) {
            h.udata = udata;
        }
        n
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

/// Sets the election timeout (ms; clamped to 0 .. INT_MAX / 2) and draws a new
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
pub unsafe extern "C" fn raft_get_election_timeout(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, INVALID, |s| s.election_timeout())
}

/// Returns the request timeout in ms (-9 if `me` is NULL).
#[no_mangle]
pub unsafe extern "C" fn raft_get_request_timeout(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, INVALID, |s| s.request_timeout())
}

/// (extension) Returns the current randomized election timeout in ms, in
/// [election timeout, 2 * election timeout).
#[no_mangle]
pub unsafe extern "C" fn raft_get_randomized_election_timeout(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, INVALID, |s| s.election_timeout_rand())
}

/// (extension) Seeds the server's election-timeout generator so that a run
/// replays exactly, and redraws the randomized timeout. The seed also sets
/// where this server's read-index request ids (follower reads) start: a
/// follower matches the leader's answer by id, and an answer sent to the
/// server before a restart can arrive after it, so give every incarnation
/// (every process start) its own seed, e.g. the clock mixed with the node
/// id, or leave the server unseeded (`raft_new` draws a start from the
/// clock and the server's address). Reusing a seed across restarts can let
/// such a stale answer confirm a new follower read.
#[no_mangle]
pub unsafe extern "C" fn raft_set_random_seed(me: *mut raft_server_t, seed: u64) {
    with_server!(me, (), |s| s.set_random_seed(seed))
}

/// (extension) Passes the `log` callback only the messages at `level`
/// (a `raft_log_level_e`) or more important ones: RAFT_LOG_ERROR, _WARNING,
/// _INFO, _DEBUG, _TRACE (the default: every message, willemt's behaviour).
/// Values below RAFT_LOG_ERROR count as it, above RAFT_LOG_TRACE as it.
/// Messages filtered out are not even formatted.
#[no_mangle]
pub unsafe extern "C" fn raft_set_log_level(me: *mut raft_server_t, level: c_int) {
    with_server!(me, (), |s| s.set_log_level(LogLevel::from_i32(level)))
}

/// (extension) Returns the log level (a `raft_log_level_e`); -9 for a NULL `me`.
#[no_mangle]
pub unsafe extern "C" fn raft_get_log_level(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, INVALID, |s| s.log_level() as c_int)
}

/// (extension) Caps the number of entries one appendentries message carries
/// (e.g. so that it fits a datagram). 0 or negative: no cap (the default).
#[no_mangle]
pub unsafe extern "C" fn raft_set_max_entries_per_msg(me: *mut raft_server_t, n: c_int) {
    with_server!(me, (), |s| s.set_max_entries_per_msg(n.max(0) as usize))
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

/// The entries of a C appendentries message (`entries`, `n_entries`) as a slice.
#[inline(always)]
unsafe fn ae_entries<'a>(entries: *const msg_entry_t, n_entries: c_int) -> Result<&'a [CEntry], c_int> {
    if n_entries == 0 {
        return Ok(&[]);
    }
    if n_entries < 0 || entries.is_null() {
        return Err(INVALID);
    }
    // SAFETY: the caller promises `n_entries` entries at `entries`; CEntry has
    // raft_entry_t's layout (checked at compile time).
    Ok(std::slice::from_raw_parts(entries as *const CEntry, n_entries as usize))
}

/// The nodes the configuration entries among `entries` (which follow
/// `prev_idx`) name; empty when there are none (the common case) or when
/// the host cannot name them (no `log_get_node_id`), or when `prev_idx` is
/// out of range (the core refuses such a message before it looks at them).
#[inline(always)]
pub(crate) fn cfg_entry_nodes(s: &mut CServer, entries: &[CEntry], prev_idx: Index) -> Vec<NodeId> {
    if !crate::types::any_cfg_change(entries)
        || s.host.cbs.log_get_node_id.is_none()
        || !crate::types::is_valid_index(prev_idx)
    {
        return Vec::new();
    }
    let mut nodes = Vec::with_capacity(entries.len());
    for (k, e) in entries.iter().enumerate() {
        let ety = e as *const CEntry as *const raft_entry_t;
        nodes.push(cfg_entry_node(s, ety, e.etype, Some(prev_idx + 1 + k as Index)));
    }
    nodes
}

/// Resolves an optional sender handle: NULL → Ok(None), member → Ok(Some(id)),
/// anything else → Err.
#[inline(always)]
unsafe fn sender(s: &CServer, node: *mut raft_node_t) -> Result<Option<NodeId>, c_int> {
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
    ae: *const msg_appendentries_t,
    r: *mut msg_appendentries_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        if ae.is_null() || r.is_null() {
            return INVALID;
        }
        let from = match sender(s, node) {
            Ok(f) => f,
            Err(e) => return e,
        };
        // The program's struct is read field by field, never as a whole
        // (it may be willemt's, without the appended fields: msgs.rs).
        let mut entries = match ae_entries((*ae).entries, (*ae).n_entries) {
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
        let prev_log_idx = (*ae).prev_log_idx;
        let cfg_nodes = cfg_entry_nodes(s, entries, prev_log_idx);
        let msg = AppendEntries {
            term: (*ae).term,
            prev_log_idx,
            prev_log_term: (*ae).prev_log_term,
            leader_commit: (*ae).leader_commit,
            entries,
            cfg_nodes: &cfg_nodes,
        };
        let mut resp = AppendEntriesResponse::default();
        let res = s.recv_appendentries(from, &msg, &mut resp);
        if res != Err(INVALID) {
            write_ae_response(r, &resp, s.host.ae_fields, ae);
        }
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
    r: *const msg_appendentries_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        if r.is_null() {
            return INVALID;
        }
        let Some(pos) = member_pos(s, node) else { return err::FAIL };
        let resp = read_ae_response(r, s.host.ae_fields);
        rc(s.recv_appendentries_response_at(pos, &resp))
    })
}

/// Handles a requestvote from `node` (NULL: looked up by `vr->candidate_id`)
/// and fills the response `*r` (paper Figure 2). A candidate whose removal
/// this server applied gets `vote_granted = RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE`
/// and does not change our term (thesis §4.2.3); another candidate we do not
/// know is treated as a member (entries we lack may have added it) and gets
/// UNKNOWN_NODE when refused. A granted vote is persisted (`persist_vote`)
/// before this returns.
/// Returns 0, a callback's error, or -9 (nothing changed) for NULL
/// `me`/`vr`/`r`, a negative term or index, or a non-member `node`.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_requestvote(
    me: *mut raft_server_t,
    node: *mut raft_node_t,
    vr: *const msg_requestvote_t,
    r: *mut msg_requestvote_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        if vr.is_null() || r.is_null() {
            return INVALID;
        }
        let from = match sender(s, node) {
            Ok(f) => f,
            Err(e) => return e,
        };
        // The appended fields are read only when their feature is on (msgs.rs).
        let rv = read_rv(vr, s.prevote(), s.host.ext.send_timeoutnow.is_some());
        let mut resp = RequestVoteResponse::default();
        let res = s.recv_requestvote(from, &rv, &mut resp);
        if res != Err(INVALID) {
            write_rv_response(r, &resp, s.prevote());
        }
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
    r: *const msg_requestvote_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        if r.is_null() {
            return INVALID;
        }
        let from = match sender(s, node) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let resp = read_rv_response(r, s.prevote());
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
        let node = cfg_entry_node(s, e, e.r#type, None);
        match s.retain_entry(CEntry::from(&*e), node) {
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
pub unsafe extern "C" fn raft_msg_entry_response_committed(me: *const raft_server_t, r: *const msg_entry_response_t) -> c_int {
    with_server_ref!(me, INVALID, |s| {
        let Some(r) = r.as_ref() else { return INVALID };
        s.entry_response_committed(&EntryResponse { id: r.id, term: r.term, idx: r.idx })
    })
}

/// Appends a copy of `*ety` to the log as it is (term included), through
/// `log_offer`. Used to restore a log from disk and by tests. Configuration
/// entries take effect at once. Returns 0, `log_offer`'s error, or -9.
#[no_mangle]
pub unsafe extern "C" fn raft_append_entry(me: *mut raft_server_t, ety: *const raft_entry_t) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(e) = ety.as_ref() else { return INVALID };
        let node = cfg_entry_node(s, e, e.r#type, None);
        rc(s.append_entry(CEntry::from(e), node))
    })
}
