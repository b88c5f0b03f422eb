//! The C callback table (raft_cbs_t) the simulator registers on every server,
//! exactly as a C host would. Each callback finds the simulator through the
//! server's user_data and works on its state.

use crate::events::{K, M_SNAP};
use crate::ffi::*;
use crate::invariants::names::*;
use crate::model::{cfg_node, is_cfg};
use crate::world::*;
use std::cell::RefMut;
use std::os::raw::{c_char, c_int, c_void};

unsafe fn world<'a>(ud: *mut c_void) -> (usize, RefMut<'a, World>) {
    let ctx = &*(ud as *const Ctx);
    match (*ctx.world).try_borrow_mut() {
        Ok(w) => (ctx.slot, w),
        Err(_) => {
            eprintln!("sim: internal error: a libraft callback ran while the simulator held its state");
            std::process::abort();
        }
    }
}

unsafe extern "C" fn send_requestvote(_r: *mut raft_server_t, ud: *mut c_void, node: *mut raft_node_t, m: *mut msg_requestvote_t) -> c_int {
    let (s, mut w) = world(ud);
    if w.servers[s].mode == Mode::Freeing || node.is_null() || m.is_null() {
        return 0;
    }
    let from = w.servers[s].id;
    let to = raft_node_get_id(node);
    w.send(from, to, Body::Rv(*m));
    0
}

unsafe extern "C" fn send_appendentries(_r: *mut raft_server_t, ud: *mut c_void, node: *mut raft_node_t, m: *mut msg_appendentries_t) -> c_int {
    let (s, mut w) = world(ud);
    if w.servers[s].mode == Mode::Freeing || node.is_null() || m.is_null() {
        return 0;
    }
    let from = w.servers[s].id;
    let to = raft_node_get_id(node);
    let mut hdr = *m;
    let n = hdr.n_entries.max(0) as usize;
    // Copy the entries (and their bytes) as a wire would: the library's
    // storage is only borrowed for this call.
    let mut ents = Vec::with_capacity(n);
    if n > 0 && !hdr.entries.is_null() {
        for e in std::slice::from_raw_parts(hdr.entries, n) {
            let len = e.data.len as usize;
            let payload = if len == 0 || e.data.buf.is_null() {
                Vec::new()
            } else {
                std::slice::from_raw_parts(e.data.buf as *const u8, len).to_vec()
            };
            ents.push(WireEntry { term: e.term, id: e.id, etype: e.type_, payload });
        }
    }
    hdr.entries = std::ptr::null_mut();
    w.send(from, to, Body::Ae(hdr, ents));
    0
}

unsafe extern "C" fn send_snapshot(r: *mut raft_server_t, ud: *mut c_void, node: *mut raft_node_t) -> c_int {
    let (s, mut w) = world(ud);
    if w.servers[s].mode == Mode::Freeing || node.is_null() {
        return 0;
    }
    let from = w.servers[s].id;
    let to = raft_node_get_id(node);
    if w.snap_inflight.contains(&(from, to)) {
        return 0;
    }
    let Some(snap) = w.servers[s].disk.snap.clone() else {
        return 0;
    };
    let term = raft_get_current_term(r);
    w.stats.snaps_sent += 1;
    w.ev(K::SnapSend, [from as i64, to as i64, snap.idx, M_SNAP, 0, 0, 0]);
    if w.send(from, to, Body::Snap(term, Box::new(snap))) {
        w.snap_inflight.insert((from, to));
    }
    0
}

unsafe extern "C" fn log_apply(_r: *mut raft_server_t, ud: *mut c_void, e: *mut raft_entry_t, idx: raft_index_t) -> c_int {
    let (s, mut w) = world(ud);
    if e.is_null() {
        w.fail(LOG_ACCURACY, format!("log_apply of idx {} with a NULL entry", idx));
        return 0;
    }
    w.on_apply(s, &*e, idx)
}

unsafe extern "C" fn persist_vote(_r: *mut raft_server_t, ud: *mut c_void, vote: raft_node_id_t) -> c_int {
    let (s, mut w) = world(ud);
    w.on_persist_vote(s, vote)
}

unsafe extern "C" fn persist_term(_r: *mut raft_server_t, ud: *mut c_void, term: raft_term_t, vote: raft_node_id_t) -> c_int {
    let (s, mut w) = world(ud);
    w.on_persist_term(s, term, vote)
}

unsafe extern "C" fn log_offer(_r: *mut raft_server_t, ud: *mut c_void, e: *mut raft_entry_t, idx: raft_index_t) -> c_int {
    let (s, mut w) = world(ud);
    if e.is_null() {
        w.fail(LOG_ACCURACY, format!("log_offer of idx {} with a NULL entry", idx));
        return 0;
    }
    w.on_offer(s, &mut *e, idx)
}

/// The batched offer (extension table): the same disk writes as one
/// `log_offer` per entry, in index order. The simulator's disk never
/// refuses, so "all or none" holds trivially.
unsafe extern "C" fn log_offer_batch(_r: *mut raft_server_t, ud: *mut c_void, entries: *mut raft_entry_t, first_idx: raft_index_t, n: c_int) -> c_int {
    let (s, mut w) = world(ud);
    if entries.is_null() || n <= 0 {
        w.fail(LOG_ACCURACY, format!("log_offer_batch at idx {} with {} entries at {:?}", first_idx, n, entries));
        return 0;
    }
    for k in 0..n as usize {
        let rc = w.on_offer(s, &mut *entries.add(k), first_idx + k as raft_index_t);
        if rc != 0 {
            return rc;
        }
    }
    0
}

unsafe extern "C" fn log_poll(_r: *mut raft_server_t, ud: *mut c_void, e: *mut raft_entry_t, idx: raft_index_t) -> c_int {
    let (s, mut w) = world(ud);
    if e.is_null() {
        w.fail(LOG_ACCURACY, format!("log_poll of idx {} with a NULL entry", idx));
        return 0;
    }
    w.on_poll(s, &*e, idx)
}

unsafe extern "C" fn log_pop(_r: *mut raft_server_t, ud: *mut c_void, e: *mut raft_entry_t, idx: raft_index_t) -> c_int {
    let (s, mut w) = world(ud);
    if e.is_null() {
        w.fail(LOG_ACCURACY, format!("log_pop of idx {} with a NULL entry", idx));
        return 0;
    }
    w.on_pop(s, &*e, idx)
}

unsafe extern "C" fn log_clear(_r: *mut raft_server_t, ud: *mut c_void, e: *mut raft_entry_t, idx: raft_index_t) -> c_int {
    let (s, mut w) = world(ud);
    if e.is_null() {
        return 0;
    }
    w.on_clear(s, &*e, idx)
}

/// Configuration entries carry the node id as 4 little-endian bytes.
unsafe extern "C" fn log_get_node_id(_r: *mut raft_server_t, ud: *mut c_void, e: *mut raft_entry_t, idx: raft_index_t) -> c_int {
    let (s, mut w) = world(ud);
    if e.is_null() {
        return -1;
    }
    let e = &*e;
    if !is_cfg(e.type_) || e.data.buf.is_null() || e.data.len < 4 {
        return -1;
    }
    if w.released(e.data.buf as *const u8, e.data.len as usize) && !w.cfg.tolerates("use-after-pop") {
        let id = w.servers[s].id;
        w.fail(
            PAYLOAD_OWNERSHIP,
            format!(
                "server {}: log_get_node_id(idx {}) reads the payload of an entry that log_pop/log_poll/log_clear had already handed back to the application (use after release)",
                id, idx
            ),
        );
    }
    // (still readable: released payloads are only freed once the call returns)
    cfg_node(std::slice::from_raw_parts(e.data.buf as *const u8, 4))
}

unsafe extern "C" fn node_has_sufficient_logs(_r: *mut raft_server_t, ud: *mut c_void, node: *mut raft_node_t) -> c_int {
    let (_s, mut w) = world(ud);
    if node.is_null() {
        return -1;
    }
    let id = raft_node_get_id(node);
    if !w.pending_promote.contains(&id) {
        w.pending_promote.push(id);
    }
    0
}

unsafe extern "C" fn notify_membership_event(_r: *mut raft_server_t, _ud: *mut c_void, _node: *mut raft_node_t, _e: *mut raft_entry_t, _t: raft_membership_e) {}

unsafe extern "C" fn log_cb(_r: *mut raft_server_t, _node: *mut raft_node_t, ud: *mut c_void, buf: *const c_char) {
    let (s, w) = world(ud);
    if w.cfg.trace && !buf.is_null() {
        eprintln!("    [lib {}] {}", w.servers[s].id, std::ffi::CStr::from_ptr(buf).to_string_lossy());
    }
}

// ---- the extension table (raft_cbs_ext_t) -------------------------------------

unsafe extern "C" fn send_timeoutnow(_r: *mut raft_server_t, ud: *mut c_void, node: *mut raft_node_t, m: *mut msg_timeoutnow_t) -> c_int {
    let (s, mut w) = world(ud);
    if w.servers[s].mode == Mode::Freeing || node.is_null() || m.is_null() {
        return 0;
    }
    let from = w.servers[s].id;
    w.send(from, raft_node_get_id(node), Body::Tn(*m));
    0
}

unsafe extern "C" fn send_readindex(_r: *mut raft_server_t, ud: *mut c_void, node: *mut raft_node_t, m: *mut msg_readindex_t) -> c_int {
    let (s, mut w) = world(ud);
    if w.servers[s].mode == Mode::Freeing || node.is_null() || m.is_null() {
        return 0;
    }
    let from = w.servers[s].id;
    w.send(from, raft_node_get_id(node), Body::Ri(*m));
    0
}

unsafe extern "C" fn send_readindex_response(
    _r: *mut raft_server_t,
    ud: *mut c_void,
    node: *mut raft_node_t,
    m: *mut msg_readindex_response_t,
) -> c_int {
    let (s, mut w) = world(ud);
    if w.servers[s].mode == Mode::Freeing || node.is_null() || m.is_null() {
        return 0;
    }
    let from = w.servers[s].id;
    w.send(from, raft_node_get_id(node), Body::Rir(*m));
    0
}

unsafe extern "C" fn notify_state_event(r: *mut raft_server_t, ud: *mut c_void, state: raft_state_e) {
    let (s, mut w) = world(ud);
    if w.servers[s].mode != Mode::Normal {
        return;
    }
    w.stats.state_events += 1;
    // (the C tests check the event's timing; here it must at least agree)
    debug_assert_eq!(raft_get_state(r), state as i32);
}

unsafe extern "C" fn notify_transfer_event(_r: *mut raft_server_t, ud: *mut c_void, result: raft_leader_transfer_e) {
    let (s, mut w) = world(ud);
    if w.servers[s].mode == Mode::Freeing {
        return;
    }
    w.on_transfer_event(s, result as i32);
}

/// A read's answer (`raft_read_request_callback_f`): `arg` is the boxed
/// [`ReadArg`] given with the request, reclaimed here (each read is answered
/// exactly once).
///
/// # Safety
/// `arg` must come from `Box::into_raw` of a `ReadArg` whose world is live,
/// and be passed here once.
pub unsafe extern "C" fn on_read(arg: *mut c_void, can_read: c_int, err: c_int) {
    let a = Box::from_raw(arg as *mut ReadArg);
    let mut w = match (*a.world).try_borrow_mut() {
        Ok(w) => w,
        Err(_) => {
            eprintln!("sim: internal error: a read callback ran while the simulator held its state");
            std::process::abort();
        }
    };
    w.on_read_done(a.id, can_read, err);
}

/// The extension callbacks every server registers when a feature is on.
pub fn ext_table() -> raft_cbs_ext_t {
    raft_cbs_ext_t {
        send_timeoutnow: Some(send_timeoutnow),
        notify_state_event: Some(notify_state_event),
        notify_transfer_event: Some(notify_transfer_event),
        send_readindex: Some(send_readindex),
        send_readindex_response: Some(send_readindex_response),
        log_offer_batch: Some(log_offer_batch),
        log_leveled: None,
    }
}

pub fn table(trace: bool) -> raft_cbs_t {
    raft_cbs_t {
        send_requestvote: Some(send_requestvote),
        send_appendentries: Some(send_appendentries),
        send_snapshot: Some(send_snapshot),
        log_apply: Some(log_apply),
        persist_vote: Some(persist_vote),
        persist_term: Some(persist_term),
        log_offer: Some(log_offer),
        log_poll: Some(log_poll),
        log_pop: Some(log_pop),
        log_clear: Some(log_clear),
        log_get_node_id: Some(log_get_node_id),
        node_has_sufficient_logs: Some(node_has_sufficient_logs),
        notify_membership_event: Some(notify_membership_event),
        log: if trace { Some(log_cb) } else { None },
    }
}
