//! The exported replication options (issue 13): pipelining and flow control,
//! the per-message byte budget, the bound on the uncommitted log, parallel
//! leader log writes (`raft_flush`) and batched proposals. Every option is
//! off by default: a willemt program sees willemt's stop-and-wait replication.

use super::api::cfg_entry_nodes;
use super::handle::*;
use super::types::*;
use super::{rc, with_server, with_server_ref, INVALID};
use libc::c_int;

/// (extension) Lets the leader keep up to `n` appendentries messages in
/// flight to each peer whose log is known to match (pipelining, with etcd
/// raft's probe/replicate flow control): it streams entries without waiting
/// for each response; a rejection, or a heartbeat that finds a lost message,
/// makes it probe that peer again, one message at a time; a peer being sent
/// a snapshot gets only heartbeats. 1 or less (the default) is willemt's
/// stop-and-wait. Requires the transport to carry
/// `msg_appendentries_response_t.first_idx` back unchanged. Changing it
/// restarts every peer in the probe state. Ignored for a NULL `me`.
#[no_mangle]
pub unsafe extern "C" fn raft_set_max_inflight_msgs(me: *mut raft_server_t, n: c_int) {
    with_server!(me, (), |s| s.set_max_inflight_msgs(n.max(1) as usize))
}

/// (extension) Returns the appendentries allowed in flight per peer (1:
/// stop-and-wait); -9 for a NULL `me`.
#[no_mangle]
pub unsafe extern "C" fn raft_get_max_inflight_msgs(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, INVALID, |s| s.max_inflight_msgs().min(c_int::MAX as usize) as c_int)
}

/// (extension) Caps the payload bytes (the sum of `data.len`) one
/// appendentries carries, besides `raft_set_max_entries_per_msg`; a message
/// carries at least one entry whatever its size. 0 (the default): no cap.
#[no_mangle]
pub unsafe extern "C" fn raft_set_max_msg_bytes(me: *mut raft_server_t, bytes: u64) {
    with_server!(me, (), |s| s.set_max_msg_bytes(bytes.min(usize::MAX as u64) as usize))
}

/// (extension) Returns the per-message payload cap (0: none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_max_msg_bytes(me: *const raft_server_t) -> u64 {
    with_server_ref!(me, 0, |s| s.max_msg_bytes() as u64)
}

/// (extension) Bounds the payload bytes a leader holds appended but not yet
/// committed (etcd's MaxUncommittedEntriesSize): beyond it
/// `raft_retain_entries` returns RAFT_ERR_UNCOMMITTED_LIMIT (transient: back
/// off until entries commit). An empty entry, a configuration change, or an
/// entry proposed while nothing is uncommitted is never refused. 0 (the
/// default): no bound.
#[no_mangle]
pub unsafe extern "C" fn raft_set_max_uncommitted_bytes(me: *mut raft_server_t, bytes: u64) {
    with_server!(me, (), |s| s.set_max_uncommitted_bytes(bytes.min(usize::MAX as u64) as usize))
}

/// (extension) Returns the bound set by `raft_set_max_uncommitted_bytes` (0: none).
#[no_mangle]
pub unsafe extern "C" fn raft_get_max_uncommitted_bytes(me: *const raft_server_t) -> u64 {
    with_server_ref!(me, 0, |s| s.max_uncommitted_bytes() as u64)
}

/// (extension) Returns the payload bytes this leader holds uncommitted (the
/// figure the bound applies to; counted only while a bound is set).
#[no_mangle]
pub unsafe extern "C" fn raft_get_uncommitted_bytes(me: *const raft_server_t) -> u64 {
    with_server_ref!(me, 0, |s| s.uncommitted_bytes() as u64)
}

/// (extension) Turns the reject hint on (`on` non-zero) or off (the
/// default): the closing optimization of the Raft paper's §5.3, as etcd raft
/// does it. A follower that rejects an appendentries answers, as
/// `current_idx`, the largest index at or below both `prev_log_idx` and its
/// last index whose term is at most `prev_log_term` (instead of its last
/// index), and that entry's term in `msg_appendentries_response_t`'s
/// appended field `reject_hint_term`; a leader, given such a rejection,
/// probes next at the largest index at or below the hint whose term in its
/// log is at most the hint's term. A follower holding a long divergent
/// suffix then catches up in a number of round trips bounded by the number
/// of terms in the divergent parts of the two logs, not by the number of
/// entries. The probe only ever lands lower than without the hint (never
/// below the node's match index + 1, never above the leader's last index + 1;
/// below the leader's snapshot it sends the snapshot), so a wrong hint costs
/// entries sent again, never safety; a hint term that is negative or above
/// INT64_MAX - 1 is ignored. When on, the library writes `reject_hint_term`
/// into every response with `success` 0 (never into a success) and reads it
/// from every such response: the program's transport must carry it, and
/// every server of a cluster should agree on the option (a leader with it on
/// reads whatever a follower without it left in the field: still safe, but
/// a 0 there makes it probe from the node's match index + 1). When off, neither
/// the field nor anything beyond willemt's fields (but `msg_id`, see
/// `raft_set_ext_callbacks`) is read or written. Ignored for a NULL `me`.
#[no_mangle]
pub unsafe extern "C" fn raft_set_reject_hint(me: *mut raft_server_t, on: c_int) {
    with_server!(me, (), |s| {
        s.set_reject_hint(on != 0);
        s.host.update_ae_fields(on != 0);
    })
}

/// (extension) Returns 1 if the reject hint is on, else 0 (also for a NULL `me`).
#[no_mangle]
pub unsafe extern "C" fn raft_get_reject_hint(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.reject_hint() as c_int)
}

/// (extension) Parallel leader log writes (etcd's "parallel leader disk
/// writes"). When on, the leader's `log_offer` need not be durable when it
/// returns: the leader sends its appendentries at once, and counts its own
/// log towards the commit only up to the index the program reports durable
/// with `raft_flush`. The follower side is the program's: after
/// `raft_recv_appendentries` returns, make the entries it offered durable
/// (one fsync per message), then send the response. 0 (the default): every
/// `log_offer` is durable on return. Turning it on counts everything already
/// in the log as durable.
#[no_mangle]
pub unsafe extern "C" fn raft_set_parallel_log_writes(me: *mut raft_server_t, on: c_int) {
    with_server!(me, (), |s| s.set_parallel_log_writes(on != 0))
}

/// (extension) Returns 1 if parallel leader log writes are on, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_get_parallel_log_writes(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.parallel_log_writes() as c_int)
}

/// Reports that the log is durable up to `sync_index` (RedisLabs/raft's
/// name; meaningful with parallel log writes on): a leader counts its own
/// log up to there, which may raise its commit index (committed entries are
/// then applied by `raft_periodic`; no callback is called here). An index
/// above the last entry counts as the last entry; a lower index than
/// reported before changes nothing. Returns 0, or -9 for a NULL `me` or a
/// negative index.
#[no_mangle]
pub unsafe extern "C" fn raft_flush(me: *mut raft_server_t, sync_index: raft_index_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.flush(sync_index)))
}

/// Returns the last index known durable: the last log index, unless parallel
/// log writes are on (then what `raft_flush` reported, at most the last index).
#[no_mangle]
pub unsafe extern "C" fn raft_get_synced_idx(me: *const raft_server_t) -> raft_index_t {
    with_server_ref!(me, 0, |s| s.synced_idx())
}

/// (extension) Proposes `n_entries` client entries at once on the leader,
/// in order, as `n_entries` calls of `raft_retain_entries` would, but sending
/// the appendentries once for the whole batch. `entries` is borrowed for the
/// call (each entry's `term` is set; payloads are kept as for
/// `raft_retain_entries`); `responses` (NULL or room for `n_entries`) gets each
/// entry's id, term and index. Returns 0 when every entry was appended;
/// otherwise the error for the first entry that was not (those before it were
/// appended: their responses have `idx` > 0; the rest have `idx` 0). -9 for a
/// NULL `me`, NULL `entries` with `n_entries` > 0, or a negative count.
#[no_mangle]
pub unsafe extern "C" fn raft_retain_entries_batch(
    me: *mut raft_server_t,
    entries: *mut msg_entry_t,
    n_entries: c_int,
    responses: *mut msg_entry_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        if n_entries < 0 || (n_entries > 0 && entries.is_null()) {
            return INVALID;
        }
        if n_entries == 0 {
            return 0;
        }
        // SAFETY: the caller promises `n_entries` entries (and responses, if not NULL).
        let entries = std::slice::from_raw_parts_mut(entries, n_entries as usize);
        let responses = (!responses.is_null()).then(|| std::slice::from_raw_parts_mut(responses, n_entries as usize));
        let first = s.current_idx() + 1;
        let mut batch = std::mem::take(&mut s.host.batch);
        batch.clear();
        batch.extend(entries.iter().map(CEntry::from));
        let nodes = cfg_entry_nodes(s, &batch, first - 1);
        let (done, result) = match s.retain_entries(&mut batch, &nodes) {
            Ok(()) => (batch.len(), 0),
            Err((done, e)) => (done, e),
        };
        for (e, b) in entries.iter_mut().zip(batch.iter()).take(done) {
            e.term = b.term;
        }
        if let Some(rs) = responses {
            for (k, r) in rs.iter_mut().enumerate() {
                *r = match batch.get(k) {
                    Some(b) if k < done => msg_entry_response_t { id: b.id, term: b.term, idx: first + k as raft_index_t },
                    _ => msg_entry_response_t { id: 0, term: 0, idx: 0 },
                };
            }
        }
        s.host.batch = batch;
        result
    })
}
