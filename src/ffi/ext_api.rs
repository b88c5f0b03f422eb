//! The exported functions of the extensions (issue 12): the second callback
//! table, pre-vote, check-quorum, the no-op, leadership transfer, reads,
//! the leader id and statistics. Every feature is off until the program
//! turns it on; a program written for willemt/raft calls none of these and
//! sees willemt's behaviour.

use super::ext_types::*;
use super::handle::*;
use super::types::*;
use super::{rc, with_server, with_server_ref, INVALID};
use crate::types::*;
use libc::{c_int, c_long, c_void};
use std::mem::size_of;

// ---- the extension callback table ------------------------------------------------

/// (extension) Registers the extension callbacks: `size` bytes are copied
/// from `*cbs` (pass `sizeof(raft_cbs_ext_t)` as your program sees it) and
/// the members beyond them are set to NULL, so a program built against an
/// older, shorter table keeps working (the table only ever grows at its
/// end; a larger `size`, from a newer header, is cut to the members this
/// library knows). The callbacks get the `user_data` of `raft_set_callbacks`.
/// Registering a table also tells the library the program was built with
/// this header: from then on it reads and writes the fields appended to
/// willemt's message structs (`msg_id` of appendentries and their
/// responses, `leadership_transfer` of requestvote), which the program must
/// then transport. Returns 0, or -9 for NULL `me` or `cbs`.
#[no_mangle]
pub unsafe extern "C" fn raft_set_ext_callbacks(me: *mut raft_server_t, cbs: *const raft_cbs_ext_t, size: usize) -> c_int {
    with_server!(me, INVALID, |s| {
        if cbs.is_null() {
            return INVALID;
        }
        let mut table = raft_cbs_ext_t::default();
        // Whole members only (each is one function pointer).
        let n = size.min(size_of::<raft_cbs_ext_t>());
        let n = n - n % size_of::<usize>();
        // SAFETY: the program promises `size` readable bytes at `cbs`; every
        // member is a nullable function pointer, for which any bytes the
        // program wrote as such are valid.
        std::ptr::copy_nonoverlapping(cbs as *const u8, &mut table as *mut raft_cbs_ext_t as *mut u8, n);
        s.host.ext = table;
        s.host.update_log_sink();
        s.host.ext_registered = true;
        let hint = s.reject_hint();
        s.host.update_ae_fields(hint);
        0
    })
}

// ---- options ------------------------------------------------------------------------

/// (extension) Turns pre-vote (thesis §9.6) on (`on` non-zero) or off (the
/// default). With it, a server whose election timer fires first becomes a
/// pre-candidate (RAFT_STATE_PRECANDIDATE) and sends requestvotes with
/// `prevote` = 1 for its term + 1 without changing any term; only if a
/// majority would vote does it start a real election. Voters answer a
/// pre-vote with `prevote` = 1 and `request_term` set, changing nothing of
/// theirs. The pre-vote fields of the requestvote structs must be
/// transported; every server of a cluster must agree on this option.
#[no_mangle]
pub unsafe extern "C" fn raft_set_prevote(me: *mut raft_server_t, on: c_int) {
    with_server!(me, (), |s| s.set_prevote(on != 0))
}

/// (extension) Returns 1 if pre-vote is on, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_get_prevote(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.prevote() as c_int)
}

/// (extension) Turns check-quorum on (`on` non-zero) or off (the default).
/// With it, a leader that has not heard from a majority of the voters
/// (appendentries responses of its term) within an election timeout steps
/// down, so a leader cut off from its quorum is a follower within two
/// election timeouts; and a server refuses votes and pre-votes while less
/// than an election timeout has passed since it last heard from a leader or,
/// if it has heard from none, since it was created. Lease reads need it.
#[no_mangle]
pub unsafe extern "C" fn raft_set_check_quorum(me: *mut raft_server_t, on: c_int) {
    with_server!(me, (), |s| s.set_check_quorum(on != 0))
}

/// (extension) Returns 1 if check-quorum is on, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_get_check_quorum(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.check_quorum() as c_int)
}

/// (extension) Turns the no-op on election on (`on` non-zero) or off (the
/// default). With it, a new leader appends an entry of type
/// RAFT_LOGTYPE_NO_OP (id 0, no payload, term = its term) at once, through
/// `log_offer`, so that an entry of its term commits without waiting for a
/// client; reads need one. The entry reaches `log_apply` like any other:
/// there is nothing to apply. If `log_offer` fails, no no-op is appended.
#[no_mangle]
pub unsafe extern "C" fn raft_set_noop_on_election(me: *mut raft_server_t, on: c_int) {
    with_server!(me, (), |s| s.set_noop_on_election(on != 0))
}

/// (extension) Returns 1 if the no-op on election is on, else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_get_noop_on_election(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.noop_on_election() as c_int)
}

/// (extension) Sets the clock-drift bound lease reads assume, in per mille
/// (0 to 999; values outside are clamped; default 50, i.e. 5%): the largest
/// rate at which any server's clock (the milliseconds it passes to
/// `raft_periodic`) may run faster or slower than real time. A leader's
/// lease lasts E * (1000 - drift) / (1000 + drift) ms of its own clock from
/// the sending of the newest heartbeat round a majority acknowledged, E
/// being the election timeout.
#[no_mangle]
pub unsafe extern "C" fn raft_set_clock_drift(me: *mut raft_server_t, permille: c_int) {
    with_server!(me, (), |s| s.set_clock_drift_permille(permille))
}

/// (extension) Returns the clock-drift bound, per mille.
#[no_mangle]
pub unsafe extern "C" fn raft_get_clock_drift(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, INVALID, |s| s.clock_drift_permille())
}

// ---- state --------------------------------------------------------------------------

/// (extension) Returns 1 if we are a pre-candidate (asking for pre-votes),
/// else 0.
#[no_mangle]
pub unsafe extern "C" fn raft_is_precandidate(me: *const raft_server_t) -> c_int {
    with_server_ref!(me, 0, |s| s.is_precandidate() as c_int)
}

/// (extension) Returns the id of the leader we follow (ourselves when
/// leading), or RAFT_NODE_ID_NONE (-1); RedisLabs/raft's name for
/// `raft_get_current_leader`.
#[no_mangle]
pub unsafe extern "C" fn raft_get_leader_id(me: *const raft_server_t) -> raft_node_id_t {
    with_server_ref!(me, RAFT_NODE_ID_NONE, |s| s.current_leader())
}

/// (extension) Copies the server's statistics into `*stats`: `size` bytes
/// (pass `sizeof(raft_stats_t)` as your program sees it; the struct only
/// grows at its end, so an older program gets the fields it knows). Returns
/// 0, or -9 for NULL `me` or `stats`.
#[no_mangle]
pub unsafe extern "C" fn raft_get_stats(me: *const raft_server_t, stats: *mut raft_stats_t, size: usize) -> c_int {
    with_server_ref!(me, INVALID, |s| {
        if stats.is_null() {
            return INVALID;
        }
        let all = raft_stats_t::from(s.stats());
        let n = size.min(size_of::<raft_stats_t>());
        // SAFETY: the program promises `size` writable bytes at `stats`.
        std::ptr::copy_nonoverlapping(&all as *const raft_stats_t as *const u8, stats as *mut u8, n);
        0
    })
}

// ---- leadership transfer (thesis §3.10) ----------------------------------------

/// (extension) Starts handing leadership over to `node_id`
/// (RAFT_NODE_ID_NONE: the voter whose log is the most up to date): the
/// leader refuses new entries (`raft_retain_entries` returns
/// RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS) until the transfer ends, brings the
/// target's log up to date and sends it a TimeoutNow (`send_timeoutnow`);
/// the target starts an election at once, which voters let through leader
/// stickiness. The transfer ends with `notify_transfer_event`: the target
/// leads (EXPECTED_LEADER), another server leads (UNEXPECTED_LEADER), the
/// target left the voters (TARGET_LEFT), or `timeout` ms passed (0: one
/// election timeout) without a new leader (TIMEOUT). After sending a
/// TimeoutNow, a leader answers no read from its lease for the rest of its term.
/// Returns 0; RAFT_ERR_NOT_LEADER; RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS; -9
/// for NULL `me`, a target that is ourselves, unknown or not a voter, a
/// negative timeout, or no `send_timeoutnow` callback.
#[no_mangle]
pub unsafe extern "C" fn raft_transfer_leader(me: *mut raft_server_t, node_id: raft_node_id_t, timeout: c_long) -> c_int {
    with_server!(me, INVALID, |s| rc(s.transfer_leader(node_id, timeout)))
}

/// (extension) Returns the target of the leadership transfer in progress, or
/// RAFT_NODE_ID_NONE.
#[no_mangle]
pub unsafe extern "C" fn raft_get_transfer_leader(me: *const raft_server_t) -> raft_node_id_t {
    with_server_ref!(me, RAFT_NODE_ID_NONE, |s| s.transfer_target())
}

/// (extension) Handles a TimeoutNow from `node` (may be NULL): if we are in
/// the message's term, a voter and not the leader, starts an election at
/// once, without pre-vote, whose requestvotes carry `leadership_transfer` = 1.
/// Otherwise (a late TimeoutNow) nothing happens. Returns 0, a persistence
/// callback's error, or -9 for NULL `me`/`msg`, a non-member `node` or a
/// negative term.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_timeoutnow(me: *mut raft_server_t, node: *mut raft_node_t, msg: *const msg_timeoutnow_t) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(m) = msg.as_ref() else { return INVALID };
        let from = if node.is_null() {
            None
        } else {
            match member_id(s, node) {
                Some(id) => Some(id),
                None => return INVALID,
            }
        };
        rc(s.recv_timeoutnow(from, &TimeoutNow { term: m.term }))
    })
}

/// (extension) Starts an election at once, as a TimeoutNow does (no
/// pre-vote; requestvotes carry `leadership_transfer` = 1), without checking
/// that a leader asked for it (RedisLabs/raft's function; prefer
/// `raft_recv_timeoutnow`, which ignores a TimeoutNow of another term).
/// A leader does nothing. Returns 0 or a persistence callback's error.
#[no_mangle]
pub unsafe extern "C" fn raft_timeout_now(me: *mut raft_server_t) -> c_int {
    with_server!(me, INVALID, |s| rc(s.timeout_now()))
}

// ---- reads (thesis §6.4) -----------------------------------------------------------

/// Registers a read's callback and asks the core for it.
unsafe fn read_request(me: *mut raft_server_t, cb: raft_read_request_callback_f, arg: *mut c_void, lease: bool) -> c_int {
    with_server!(me, INVALID, |s| {
        if cb.is_none() || !s.host.ext_registered {
            return INVALID;
        }
        s.host.last_read_token += 1;
        let token = s.host.last_read_token;
        s.host.reads.insert(token, (cb, arg));
        let r = s.read_request(token, lease);
        if r.is_err() {
            s.host.reads.remove(&token);
        }
        rc(r)
    })
}

/// (extension) A linearizable read without the log (ReadIndex, thesis
/// §6.4). On the leader: once an entry of its term is committed (see
/// `raft_set_noop_on_election`), its commit index becomes the read index;
/// a heartbeat round sent after that and acknowledged by a majority (matched
/// by `msg_id`) confirms its leadership; once the state machine has applied
/// the read index, `cb(arg, 1, 0)` says the read may be served. On a
/// follower with a `send_readindex` callback: the leader is asked for a read
/// index (`msg_readindex_t`), and `cb` follows once we have applied it.
/// Failures call `cb(arg, 0, err)` (see `raft_read_request_callback_f`):
/// reads not answered within an election timeout fail with
/// RAFT_ERR_TIMEOUT. `cb` is called exactly once, never from within this
/// function (ready reads are answered by the next `raft_periodic`, or by the
/// call that confirmed them). Needs an extension table (the `msg_id` fields
/// must be transported). Returns 0 (cb will be called); RAFT_ERR_NOT_LEADER
/// (a follower without `send_readindex`, or no known leader); the send
/// callback's error; -9 for NULL `me` or `cb`, or no extension table.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_read_request(me: *mut raft_server_t, cb: raft_read_request_callback_f, arg: *mut c_void) -> c_int {
    read_request(me, cb, arg, false)
}

/// (extension) A read served from the leader's lease (thesis §6.4.1): while
/// the lease holds, no heartbeat round is needed and `cb(arg, 1, 0)` follows
/// as soon as the commit index is applied (from the next `raft_periodic` at
/// the latest: call `raft_periodic(me, 0)` to answer at once). Otherwise it
/// behaves as `raft_recv_read_request`. The lease holds while check-quorum
/// is on, an entry of the leader's term is committed, no TimeoutNow was sent
/// in its term, and less than E * (1000 - drift) / (1000 + drift) ms of the
/// leader's clock have passed since it sent the newest heartbeat round a
/// majority acknowledged (`raft_set_clock_drift`). Safe only if every
/// server's clock (the ms passed to `raft_periodic`, which must be called
/// with the real time elapsed, and before serving a lease read) drifts from
/// real time by less than that bound. Returns as `raft_recv_read_request`;
/// -9 also when check-quorum is off.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_lease_read_request(me: *mut raft_server_t, cb: raft_read_request_callback_f, arg: *mut c_void) -> c_int {
    read_request(me, cb, arg, true)
}

/// (extension) Leader side of a follower's read-index request from `node`:
/// confirmed as a read of our own, then answered through
/// `send_readindex_response` (with RAFT_ERR_NOT_LEADER at once when we are
/// not the leader; with RAFT_ERR_TIMEOUT or RAFT_ERR_NOT_LEADER if it cannot
/// be confirmed). Returns 0, the send callback's error, or -9 for NULL
/// `me`/`msg` or a `node` that is not a member (or ourselves).
#[no_mangle]
pub unsafe extern "C" fn raft_recv_readindex(me: *mut raft_server_t, node: *mut raft_node_t, msg: *const msg_readindex_t) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(m) = msg.as_ref() else { return INVALID };
        let Some(from) = member_id(s, node) else { return INVALID };
        rc(s.recv_readindex(from, &ReadIndexRequest { id: m.id }))
    })
}

/// (extension) Follower side: the leader's answer to our read-index request
/// (`node`, the leader, may be NULL). The matching read is answered once we
/// have applied the read index, or failed with the leader's error; an
/// answer that matches no pending read (late, duplicated) is ignored.
/// Returns 0, or -9 for NULL `me`/`msg` or a negative read index with result 0.
#[no_mangle]
pub unsafe extern "C" fn raft_recv_readindex_response(
    me: *mut raft_server_t,
    node: *mut raft_node_t,
    msg: *const msg_readindex_response_t,
) -> c_int {
    with_server!(me, INVALID, |s| {
        let Some(m) = msg.as_ref() else { return INVALID };
        if !node.is_null() && member_id(s, node).is_none() {
            return INVALID;
        }
        rc(s.recv_readindex_response(&ReadIndexResponse { id: m.id, read_idx: m.read_idx, result: m.result }))
    })
}
