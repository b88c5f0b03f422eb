//! The operations of the `api_calls` target, each chosen and parameterised
//! by the fuzz input.

use super::host::*;
use super::Harness;
use crate::ffi::c;
use crate::ffi::*;
use crate::gen::*;
use arbitrary::Unstructured;
use std::ptr::null_mut;

/// Runs one operation; returns its name (for failure messages).
pub fn op(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    match byte(u) % 16 {
        0 | 1 => periodic(h, u),
        2..=4 => deliver(h, u),
        5 => recv_appendentries(h, u),
        6 => recv_appendentries_response(h, u),
        7 => recv_requestvote(h, u),
        8 => recv_requestvote_response(h, u),
        9 | 10 => retain(h, u),
        11 => snapshot(h, u),
        12 => setter(h, u),
        13 => node_op(h, u),
        14 => lifecycle(h, u),
        _ => null_server(u),
    }
}

fn server(h: &Harness, u: &mut Unstructured) -> (usize, *mut raft_server_t) {
    let s = below(u, h.n());
    (s, h.raft(s))
}

/// A node handle to pass to server `s`: a member (by id or by position),
/// NULL, a member of another server, or a node of no server.
fn node(h: &Harness, u: &mut Unstructured, s: usize) -> *mut raft_node_t {
    let r = h.raft(s);
    unsafe {
        match byte(u) % 10 {
            0..=4 => raft_get_node(r, 1 + below(u, h.n()) as i32),
            5 => null_mut(),
            6 => raft_get_node_from_idx(
                r,
                below(u, raft_get_num_nodes(r).max(0) as usize + 1) as raft_index_t,
            ),
            7 => raft_get_my_node(r),
            8 => raft_get_node(h.raft((s + 1) % h.n()), 1 + below(u, h.n()) as i32),
            _ => h.standalone,
        }
    }
}

/// An entry with arbitrary fields; configuration payloads name a node.
fn entry(h: &Harness, u: &mut Unstructured, s: usize) -> raft_entry_t {
    let term = unsafe { raft_get_current_term(h.raft(s)) };
    let mut e = raft_entry_t {
        term: i64_near(u, term),
        id: i32_any(u),
        type_: match byte(u) % 8 {
            0..=2 => c::LOG_NORMAL,
            k @ 3..=6 => k as i32 - 2,
            _ => i32_any(u),
        },
        ..Default::default()
    };
    match byte(u) % 4 {
        0 => {}
        1 => e.data.len = i32_any(u) as u32,
        _ => {
            e.data.buf = payload_ptr(below(u, NODE_PAYLOADS.len()));
            e.data.len = if flag(u) { 4 } else { i32_any(u) as u32 };
        }
    }
    e
}

fn periodic(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (_, r) = server(h, u);
    let ms = match byte(u) % 4 {
        0 => i32_any(u),
        _ => (byte(u) as i32) * 8,
    };
    let rc = unsafe { raft_periodic(r, ms) };
    h.rc("raft_periodic", rc);
    "raft_periodic"
}

/// Delivers (or duplicates) a message a server sent, sometimes with one
/// field replaced; replies go back into the outbox.
fn deliver(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let len = h.shared.borrow().outbox.len();
    if len == 0 {
        return "deliver (nothing in flight)";
    }
    let k = below(u, len);
    let dup = byte(u).is_multiple_of(4);
    let mutate = byte(u).is_multiple_of(3);
    let m = if dup {
        let sh = h.shared.borrow();
        let m = &sh.outbox[k];
        let body = match &m.body {
            Body::Rv(x) => Body::Rv(*x),
            Body::Rvr(x) => Body::Rvr(*x),
            Body::Ae(x, e) => Body::Ae(*x, e.clone()),
            Body::Aer(x) => Body::Aer(*x),
        };
        Sent {
            from: m.from,
            to: m.to,
            body,
        }
    } else {
        h.shared.borrow_mut().outbox.remove(k).unwrap()
    };
    let Some(dst) = h.slot_of(m.to) else {
        return "deliver (no such server)";
    };
    let r = h.raft(dst);
    let from = unsafe { raft_get_node(r, m.from) };
    let mut reply = None;
    let what = match m.body {
        Body::Rv(mut rv) => {
            if mutate {
                match byte(u) % 4 {
                    0 => rv.term = i64_near(u, rv.term),
                    1 => rv.candidate_id = node_id(u, h.n()),
                    2 => rv.last_log_idx = i64_near(u, rv.last_log_idx),
                    _ => rv.last_log_term = i64_near(u, rv.last_log_term),
                }
            }
            let mut resp = msg_requestvote_response_t::default();
            let rc = unsafe { raft_recv_requestvote(r, from, &mut rv, &mut resp) };
            h.rc("raft_recv_requestvote (delivered)", rc);
            reply = Some(Body::Rvr(resp));
            "deliver requestvote"
        }
        Body::Rvr(mut x) => {
            if mutate {
                match byte(u) % 2 {
                    0 => x.term = i64_near(u, x.term),
                    _ => x.vote_granted = i32_any(u),
                }
            }
            let rc = unsafe { raft_recv_requestvote_response(r, from, &mut x) };
            h.rc("raft_recv_requestvote_response (delivered)", rc);
            "deliver requestvote response"
        }
        Body::Ae(mut ae, mut ents) => {
            if mutate {
                match byte(u) % 6 {
                    0 => ae.term = i64_near(u, ae.term),
                    1 => ae.prev_log_idx = i64_near(u, ae.prev_log_idx),
                    2 => ae.prev_log_term = i64_near(u, ae.prev_log_term),
                    3 => ae.leader_commit = i64_near(u, ae.leader_commit),
                    4 if !ents.is_empty() => {
                        let i = below(u, ents.len());
                        ents[i].term = i64_near(u, ents[i].term);
                    }
                    _ => ents.truncate(below(u, ents.len() + 1)),
                }
            }
            ae.n_entries = ents.len() as i32;
            ae.entries = if ents.is_empty() {
                null_mut()
            } else {
                ents.as_mut_ptr()
            };
            let mut resp = msg_appendentries_response_t::default();
            let rc = unsafe { raft_recv_appendentries(r, from, &mut ae, &mut resp) };
            h.rc("raft_recv_appendentries (delivered)", rc);
            reply = Some(Body::Aer(resp));
            "deliver appendentries"
        }
        Body::Aer(mut x) => {
            if mutate {
                match byte(u) % 4 {
                    0 => x.term = i64_near(u, x.term),
                    1 => x.success = i32_any(u),
                    2 => x.current_idx = i64_near(u, x.current_idx),
                    _ => x.first_idx = i64_near(u, x.first_idx),
                }
            }
            let rc = unsafe { raft_recv_appendentries_response(r, from, &mut x) };
            h.rc("raft_recv_appendentries_response (delivered)", rc);
            "deliver appendentries response"
        }
    };
    if let Some(body) = reply {
        h.shared.borrow_mut().push(Sent {
            from: m.to,
            to: m.from,
            body,
        });
    }
    what
}

fn recv_appendentries(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    let from = node(h, u, s);
    let (term, cur, lterm, commit) = unsafe {
        (
            raft_get_current_term(r),
            raft_get_current_idx(r),
            raft_get_last_log_term(r),
            raft_get_commit_idx(r),
        )
    };
    let k = below(u, 6);
    let mut ents: Vec<raft_entry_t> = (0..k).map(|_| entry(h, u, s)).collect();
    let mut ae = msg_appendentries_t {
        term: i64_near(u, term),
        prev_log_idx: i64_near(u, cur),
        prev_log_term: i64_near(u, lterm),
        leader_commit: i64_near(u, commit),
        n_entries: k as i32,
        entries: if k == 0 {
            null_mut()
        } else {
            ents.as_mut_ptr()
        },
        ..Default::default()
    };
    // Counts that do not match the array: only ones that cannot overrun it.
    match byte(u) % 8 {
        0 => ae.entries = null_mut(), // NULL entries with n_entries > 0: RAFT_ERR_INVALID
        1 => ae.n_entries = -(1 + below(u, 4) as i32),
        2 => ae.n_entries = below(u, k + 1) as i32,
        3 => {
            ae.entries = null_mut();
            ae.n_entries = i32_any(u);
        }
        _ => {}
    }
    let mut resp = msg_appendentries_response_t::default();
    let rc = unsafe {
        match byte(u) % 16 {
            0 => raft_recv_appendentries(r, from, null_mut(), &mut resp),
            1 => raft_recv_appendentries(r, from, &mut ae, null_mut()),
            _ => raft_recv_appendentries(r, from, &mut ae, &mut resp),
        }
    };
    if ae.entries.is_null() && ae.n_entries > 0 {
        h.raise("raft_recv_appendentries");
        assert_eq!(
            rc,
            c::ERR_INVALID,
            "raft_recv_appendentries with NULL entries and n_entries {}",
            ae.n_entries
        );
    }
    if ae.n_entries < 0 {
        h.raise("raft_recv_appendentries");
        assert_eq!(
            rc,
            c::ERR_INVALID,
            "raft_recv_appendentries with n_entries {}",
            ae.n_entries
        );
    }
    h.rc("raft_recv_appendentries", rc);
    "raft_recv_appendentries"
}

fn recv_appendentries_response(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    let from = node(h, u, s);
    let (term, cur) = unsafe { (raft_get_current_term(r), raft_get_current_idx(r)) };
    let mut m = msg_appendentries_response_t {
        term: i64_near(u, term),
        success: match byte(u) % 4 {
            0 => 0,
            1 | 2 => 1,
            _ => i32_any(u),
        },
        current_idx: i64_near(u, cur),
        first_idx: i64_near(u, cur),
        ..Default::default()
    };
    // With the hint off the field must not be read: it holds garbage then
    // (drawn from nothing, so that inputs without the flag read as before).
    m.reject_hint_term = if h.reject_hint { i64_near(u, term) } else { term ^ cur.rotate_left(17) };
    let rc = unsafe {
        if byte(u).is_multiple_of(16) {
            raft_recv_appendentries_response(r, from, null_mut())
        } else {
            raft_recv_appendentries_response(r, from, &mut m)
        }
    };
    h.rc("raft_recv_appendentries_response", rc);
    "raft_recv_appendentries_response"
}

fn recv_requestvote(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    let from = node(h, u, s);
    let (term, cur, lterm) = unsafe {
        (
            raft_get_current_term(r),
            raft_get_current_idx(r),
            raft_get_last_log_term(r),
        )
    };
    let mut m = msg_requestvote_t {
        term: i64_near(u, term),
        candidate_id: node_id(u, h.n()),
        last_log_idx: i64_near(u, cur),
        last_log_term: i64_near(u, lterm),
        ..Default::default()
    };
    let mut resp = msg_requestvote_response_t::default();
    let rc = unsafe {
        match byte(u) % 16 {
            0 => raft_recv_requestvote(r, from, null_mut(), &mut resp),
            1 => raft_recv_requestvote(r, from, &mut m, null_mut()),
            _ => raft_recv_requestvote(r, from, &mut m, &mut resp),
        }
    };
    h.rc("raft_recv_requestvote", rc);
    "raft_recv_requestvote"
}

fn recv_requestvote_response(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    let from = node(h, u, s);
    let term = unsafe { raft_get_current_term(r) };
    let mut m = msg_requestvote_response_t {
        term: i64_near(u, term),
        vote_granted: match byte(u) % 4 {
            0 => 0,
            1 => 1,
            2 => -1,
            _ => i32_any(u),
        },
        ..Default::default()
    };
    let rc = unsafe {
        if byte(u).is_multiple_of(16) {
            raft_recv_requestvote_response(r, from, null_mut())
        } else {
            raft_recv_requestvote_response(r, from, &mut m)
        }
    };
    h.rc("raft_recv_requestvote_response", rc);
    "raft_recv_requestvote_response"
}

/// A client or configuration entry; followers must refuse it.
fn retain(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    let mut e = entry(h, u, s);
    let mut resp = msg_entry_response_t::default();
    let leader = unsafe { raft_is_leader(r) } == 1;
    let rc = unsafe {
        match byte(u) % 16 {
            0 => raft_retain_entries(r, null_mut(), &mut resp),
            1 => raft_retain_entries(r, &mut e, null_mut()),
            _ => raft_retain_entries(r, &mut e, &mut resp),
        }
    };
    h.rc("raft_retain_entries", rc);
    if !leader {
        assert_ne!(
            rc, 0,
            "raft_retain_entries accepted an entry on a non-leader"
        );
    }
    if rc == 0 {
        h.retained.push((s, resp));
        if h.retained.len() > 64 {
            h.retained.remove(0);
        }
    }
    "raft_retain_entries"
}

fn snapshot(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    unsafe {
        match byte(u) % 8 {
            0 | 1 => {
                let flags = if flag(u) {
                    c::SNAPSHOT_NONBLOCKING_APPLY
                } else {
                    i32_any(u)
                };
                let rc = raft_begin_snapshot(r, flags);
                h.rc("raft_begin_snapshot", rc);
                "raft_begin_snapshot"
            }
            2 | 3 => {
                let rc = raft_end_snapshot(r);
                h.rc("raft_end_snapshot", rc);
                "raft_end_snapshot"
            }
            4 => {
                let rc = raft_cancel_snapshot(r);
                h.rc("raft_cancel_snapshot", rc);
                "raft_cancel_snapshot"
            }
            5 => {
                let mut ety: *mut raft_entry_t = null_mut();
                let rc = if flag(u) {
                    raft_poll_entry(r, &mut ety)
                } else {
                    raft_poll_entry(r, null_mut())
                };
                h.rc("raft_poll_entry", rc);
                "raft_poll_entry"
            }
            _ => {
                // Loading a leader's snapshot: begin, re-add the members, end.
                let (term, cur) = (raft_get_current_term(r), raft_get_current_idx(r));
                let rc = raft_begin_load_snapshot(
                    r,
                    i64_near(u, term),
                    i64_near(u, cur),
                );
                h.rc("raft_begin_load_snapshot", rc);
                if rc == 0 || flag(u) {
                    for k in 0..h.n() as i32 {
                        if k as usize != s && flag(u) {
                            if flag(u) {
                                raft_add_node(r, null_mut(), k + 1, 0);
                            } else {
                                raft_add_non_voting_node(r, null_mut(), k + 1, 0);
                            }
                        }
                    }
                    if flag(u) {
                        let rc = raft_end_load_snapshot(r);
                        h.rc("raft_end_load_snapshot", rc);
                    }
                }
                "raft_begin_load_snapshot"
            }
        }
    }
}

/// Direct setters and the lower-level calls of the header.
fn setter(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    let n = h.n();
    unsafe {
        let (term, cur, commit, applied) = (
            raft_get_current_term(r),
            raft_get_current_idx(r),
            raft_get_commit_idx(r),
            raft_get_last_applied_idx(r),
        );
        match byte(u) % 28 {
            0 => h.rc(
                "raft_set_current_term",
                raft_set_current_term(r, i64_near(u, term)),
            ),
            1 => {
                let nd = node(h, u, s);
                h.rc("raft_vote", raft_vote(r, nd))
            }
            2 => h.rc(
                "raft_vote_for_nodeid",
                raft_vote_for_nodeid(r, node_id(u, n)),
            ),
            3 => raft_set_commit_idx(r, i64_near(u, commit)),
            4 => raft_set_last_applied_idx(r, i64_near(u, applied)),
            5 => raft_set_state(r, i32_any(u)),
            6 => raft_become_leader(r),
            7 => raft_become_follower(r),
            8 => h.rc("raft_become_candidate", raft_become_candidate(r)),
            9 => h.rc("raft_election_start", raft_election_start(r)),
            10 => raft_set_election_timeout(r, i32_any(u)),
            11 => raft_set_request_timeout(r, i32_any(u)),
            12 => {
                let (t, i) = (
                    i64_near(u, term),
                    i64_near(u, cur),
                );
                raft_set_snapshot_metadata(r, t, i)
            }
            13 => raft_set_max_entries_per_msg(r, i32_any(u)),
            14 => raft_randomize_election_timeout(r),
            15 => {
                h.servers[s].unchecked = true;
                raft_set_fault_injection(r, i32_any(u))
            }
            16 => h.rc("raft_apply_entry", raft_apply_entry(r)),
            17 => h.rc("raft_apply_all", raft_apply_all(r)),
            18 => {
                let nd = node(h, u, s);
                h.rc("raft_send_appendentries", raft_send_appendentries(r, nd))
            }
            19 => {
                let nd = node(h, u, s);
                h.rc("raft_send_requestvote", raft_send_requestvote(r, nd))
            }
            20 => h.rc(
                "raft_send_appendentries_all",
                raft_send_appendentries_all(r),
            ),
            21 => {
                let mut e = entry(h, u, s);
                let rc = if byte(u).is_multiple_of(8) {
                    raft_append_entry(r, null_mut())
                } else {
                    raft_append_entry(r, &mut e)
                };
                h.rc("raft_append_entry", rc)
            }
            22 => {
                let resp = if !h.retained.is_empty() && flag(u) {
                    h.retained[below(u, h.retained.len())].1
                } else {
                    msg_entry_response_t {
                        id: i32_any(u),
                        term: i64_near(u, term),
                        idx: i64_near(u, cur),
                    }
                };
                let rc = if byte(u).is_multiple_of(8) {
                    raft_msg_entry_response_committed(r, null_mut())
                } else {
                    raft_msg_entry_response_committed(r, &resp)
                };
                h.raise("raft_msg_entry_response_committed");
                assert!(
                    (-9..=1).contains(&rc),
                    "raft_msg_entry_response_committed returned {}",
                    rc
                );
            }
            23 => {
                let (a, b) = (i32_any(u), i32_any(u));
                let v = raft_votes_is_majority(a, b);
                assert!(
                    v == 0 || v == 1,
                    "raft_votes_is_majority({}, {}) = {}",
                    a,
                    b,
                    v
                );
            }
            24 => {
                let mut e = entry(h, u, s);
                let p: *mut raft_entry_t = if flag(u) { &mut e } else { null_mut() };
                let (a, b) = (
                    raft_entry_is_cfg_change(p),
                    raft_entry_is_voting_cfg_change(p),
                );
                assert!(
                    (a == 0 || a == 1) && (b == 0 || b == 1) && b <= a,
                    "raft_entry_is_(voting_)cfg_change: {} {}",
                    a,
                    b
                );
            }
            25 => {
                let _ = raft_get_entry_from_idx(r, i64_near(u, cur));
                let _ = raft_get_node_from_idx(r, i64_near(u, 1));
                let _ = raft_is_apply_allowed(r);
                let _ = raft_get_randomized_election_timeout(r);
                let _ = raft_get_timeout_elapsed(r);
                let _ = raft_snapshot_is_in_progress(r);
                let _ = raft_get_snapshot_entry_idx(r);
                let _ = raft_get_udata(r);
            }
            26 => raft_set_random_seed(r, u.arbitrary::<u64>().unwrap_or(0)),
            _ => {
                let mut cbs = *h.cbs;
                // Callbacks switched off one at a time (unset ones are skipped),
                // then restored; NULL changes nothing.
                match byte(u) % 4 {
                    0 => cbs.log_get_node_id = None,
                    1 => cbs.log_pop = None,
                    2 => cbs.send_snapshot = None,
                    _ => {}
                }
                let ud = raft_get_udata(r);
                raft_set_callbacks(r, if flag(u) { &mut cbs } else { null_mut() }, ud);
                let rc = raft_periodic(r, 1 + byte(u) as i32 * 8);
                h.rc("raft_periodic (callbacks changed)", rc);
                raft_set_callbacks(r, &mut *h.cbs, ud);
            }
        }
    }
    "setter"
}

fn node_op(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    let n = h.n();
    unsafe {
        let nd = node(h, u, s);
        match byte(u) % 14 {
            0 => {
                let _ = raft_add_node(
                    r,
                    null_mut(),
                    node_id(u, n),
                    byte(u).is_multiple_of(8) as i32,
                );
            }
            1 => {
                let _ = raft_add_non_voting_node(
                    r,
                    null_mut(),
                    node_id(u, n),
                    byte(u).is_multiple_of(8) as i32,
                );
            }
            2 => raft_remove_node(r, nd),
            3 => raft_node_set_next_idx(nd, i64_near(u, raft_get_current_idx(r))),
            4 => raft_node_set_match_idx(nd, i64_near(u, raft_get_current_idx(r))),
            5 => raft_node_vote_for_me(nd, i32_any(u)),
            6 => raft_node_set_voting(nd, i32_any(u)),
            7 => raft_node_set_has_sufficient_logs(nd),
            8 => raft_node_set_active(nd, i32_any(u)),
            9 => raft_node_set_voting_committed(nd, i32_any(u)),
            10 => raft_node_set_addition_committed(nd, i32_any(u)),
            11 => raft_node_set_udata(nd, payload_ptr(0)),
            _ => {
                let _ = raft_node_get_id(nd);
                let _ = raft_node_get_udata(nd);
                let _ = raft_node_get_next_idx(nd);
                let _ = raft_node_get_match_idx(nd);
                let _ = raft_node_has_vote_for_me(nd);
                let _ = raft_node_is_voting(nd);
                let _ = raft_node_has_sufficient_logs(nd);
                let _ = raft_node_is_active(nd);
                let _ = raft_node_is_voting_committed(nd);
                let _ = raft_node_is_addition_committed(nd);
            }
        }
    }
    h.raise("node operation");
    "node operation"
}

/// Restarts, resets, failing callbacks and re-entrancy.
fn lifecycle(h: &mut Harness, u: &mut Unstructured) -> &'static str {
    let (s, r) = server(h, u);
    match byte(u) % 6 {
        0 => {
            unsafe { raft_free(r) };
            h.start(s);
            "restart"
        }
        1 => {
            unsafe { raft_clear(r) };
            h.servers[s].unchecked = false;
            "raft_clear"
        }
        2 => {
            h.shared.borrow_mut().reenter ^= true;
            "toggle re-entrancy"
        }
        _ => {
            let cb = below(u, NCB);
            h.shared.borrow_mut().fail[cb] = 1 + below(u, 3) as u8;
            "fail a callback"
        }
    }
}

/// Any function with a NULL server: no crash; int functions refuse with a
/// negative code.
fn null_server(u: &mut Unstructured) -> &'static str {
    let z: *mut raft_server_t = null_mut();
    unsafe {
        let rc = match byte(u) % 12 {
            0 => raft_periodic(z, 10),
            1 => raft_recv_appendentries(z, null_mut(), null_mut(), null_mut()),
            2 => raft_recv_appendentries_response(z, null_mut(), null_mut()),
            3 => raft_recv_requestvote(z, null_mut(), null_mut(), null_mut()),
            4 => raft_recv_requestvote_response(z, null_mut(), null_mut()),
            5 => raft_retain_entries(z, null_mut(), null_mut()),
            6 => raft_begin_snapshot(z, 0),
            7 => raft_end_snapshot(z),
            8 => raft_begin_load_snapshot(z, 1, 1),
            9 => raft_set_current_term(z, 5),
            10 => raft_vote_for_nodeid(z, 1),
            _ => {
                raft_free(z);
                raft_clear(z);
                raft_set_commit_idx(z, 3);
                let _ = raft_get_current_term(z);
                let _ = raft_get_entry_from_idx(z, 1);
                let _ = raft_get_node(z, 1);
                -1
            }
        };
        assert!(rc < 0, "a function given a NULL server returned {}", rc);
    }
    "NULL server"
}
