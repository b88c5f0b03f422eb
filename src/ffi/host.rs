//! The C callback table as a [`Host`], and the pointer conversions between
//! C handles and core objects. Every `unsafe` of the library lives in `ffi`.

use super::types::*;
use crate::host::Host;
use crate::node::Node;
use crate::server::Server;
use crate::types::*;
use libc::{c_int, c_void};

/// The core entry type the C interface stores: layout-identical to `raft_entry_t`.
pub(crate) type CEntry = Entry<raft_entry_data_t>;

const _: () = {
    assert!(std::mem::size_of::<libc::c_long>() == std::mem::size_of::<Term>());
    assert!(std::mem::size_of::<CEntry>() == std::mem::size_of::<raft_entry_t>());
    assert!(std::mem::align_of::<CEntry>() == std::mem::align_of::<raft_entry_t>());
    assert!(std::mem::offset_of!(CEntry, term) == std::mem::offset_of!(raft_entry_t, term));
    assert!(std::mem::offset_of!(CEntry, id) == std::mem::offset_of!(raft_entry_t, id));
    assert!(std::mem::offset_of!(CEntry, etype) == std::mem::offset_of!(raft_entry_t, r#type));
    assert!(std::mem::offset_of!(CEntry, data) == std::mem::offset_of!(raft_entry_t, data));
};

/// A node's user data pointer.
#[derive(Clone, Copy, Debug)]
pub struct UData(pub *mut c_void);

impl Default for UData {
    fn default() -> Self {
        UData(std::ptr::null_mut())
    }
}

pub(crate) type CNode = Node<UData>;
pub(crate) type CServer = Server<CHost>;

/// What a C server holds besides the core state.
pub struct CHost {
    pub(crate) cbs: raft_cbs_t,
    pub(crate) udata: *mut c_void,
    /// The entry most recently removed by `raft_poll_entry`.
    pub(crate) polled: raft_entry_t,
}

impl Default for CHost {
    fn default() -> Self {
        CHost {
            cbs: raft_cbs_t::default(),
            udata: std::ptr::null_mut(),
            polled: raft_entry_t {
                term: 0,
                id: 0,
                r#type: 0,
                data: raft_entry_data_t { buf: std::ptr::null_mut(), len: 0 },
            },
        }
    }
}

impl From<&raft_entry_t> for CEntry {
    fn from(e: &raft_entry_t) -> Self {
        Entry { term: e.term, id: e.id, etype: e.r#type, data: e.data }
    }
}

impl From<&CEntry> for raft_entry_t {
    fn from(e: &CEntry) -> Self {
        raft_entry_t { term: e.term, id: e.id, r#type: e.etype, data: e.data }
    }
}

/// The C handle of a server.
pub(crate) fn server_handle(s: &mut CServer) -> *mut raft_server_t {
    s as *mut CServer as *mut raft_server_t
}

/// The server behind a C handle (NULL → None).
///
/// # Safety
/// `me` must be NULL or a pointer returned by `raft_new` and not yet freed.
pub(crate) unsafe fn server<'a>(me: *mut raft_server_t) -> Option<&'a mut CServer> {
    (me as *mut CServer).as_mut()
}

/// The C handle of member `id`, or NULL.
#[inline]
pub(crate) fn node_handle(s: &mut CServer, id: NodeId) -> *mut raft_node_t {
    match s.node_mut(id) {
        Some(n) => n as *mut CNode as *mut raft_node_t,
        None => std::ptr::null_mut(),
    }
}

/// The position in `s`'s node list of the member whose handle is `node`,
/// found without dereferencing it: pointers that are not members are rejected.
#[inline]
pub(crate) fn member_pos(s: &CServer, node: *mut raft_node_t) -> Option<usize> {
    if node.is_null() {
        return None;
    }
    s.nodes().position(|n| std::ptr::eq(n as *const CNode as *const raft_node_t, node))
}

/// The id of the member whose handle is `node` (see [`member_pos`]).
#[inline]
pub(crate) fn member_id(s: &CServer, node: *mut raft_node_t) -> Option<NodeId> {
    member_pos(s, node).and_then(|p| s.node_at(p)).map(|n| n.id())
}

/// A standalone node handle (from `raft_node_new`) or a member's.
///
/// # Safety
/// `node` must be NULL or a live node handle.
pub(crate) unsafe fn node<'a>(node: *mut raft_node_t) -> Option<&'a mut CNode> {
    (node as *mut CNode).as_mut()
}

/// The log entry at `idx` as a C pointer (NULL when not held).
#[inline]
pub(crate) fn entry_ptr(s: &mut CServer, idx: Index) -> *mut raft_entry_t {
    match s.entry_mut(idx) {
        Some(e) => e as *mut CEntry as *mut raft_entry_t,
        None => std::ptr::null_mut(),
    }
}

/// Calls a `func_logentry_event_f` for the entry at `idx`.
#[inline(always)]
fn entry_event(raft: &mut CServer, f: func_logentry_event_f, idx: Index) -> Option<c_int> {
    let f = f?;
    let udata = raft.host.udata;
    let me = server_handle(raft);
    // SAFETY: `me` is derived from the live `&mut` we were given; the entry
    // pointer is derived from it too and valid until the log changes.
    unsafe {
        let ety = entry_ptr(&mut *(me as *mut CServer), idx);
        Some(f(me, udata, ety, idx))
    }
}

impl Host for CHost {
    type Data = raft_entry_data_t;
    type NodeData = UData;

    fn send_requestvote(raft: &mut CServer, node: NodeId, msg: &RequestVote) -> i32 {
        let Some(f) = raft.host.cbs.send_requestvote else { return 0 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        let mut m = msg_requestvote_t {
            term: msg.term,
            candidate_id: msg.candidate_id,
            last_log_idx: msg.last_log_idx,
            last_log_term: msg.last_log_term,
        };
        // SAFETY: the callback gets our own handle and a message on our stack.
        unsafe { f(server_handle(raft), udata, n, &mut m) }
    }

    fn send_appendentries(raft: &mut CServer, node: NodeId, msg: &AppendEntriesHeader) -> i32 {
        let Some(f) = raft.host.cbs.send_appendentries else { return -1 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        let me = server_handle(raft);
        // SAFETY: entries point into the log owned by `*me`, valid for the call.
        unsafe {
            let s = &mut *(me as *mut CServer);
            let entries = s.entries_from(msg.prev_log_idx + 1, msg.n_entries);
            let mut m = msg_appendentries_t {
                term: msg.term,
                prev_log_idx: msg.prev_log_idx,
                prev_log_term: msg.prev_log_term,
                leader_commit: msg.leader_commit,
                n_entries: entries.len().min(c_int::MAX as usize) as c_int,
                entries: if entries.is_empty() {
                    std::ptr::null_mut()
                } else {
                    entries.as_ptr() as *mut msg_entry_t
                },
            };
            f(me, udata, n, &mut m)
        }
    }

    fn send_snapshot(raft: &mut CServer, node: NodeId) -> i32 {
        let Some(f) = raft.host.cbs.send_snapshot else { return 0 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        // SAFETY: our own handle and a member's handle.
        unsafe { f(server_handle(raft), udata, n) }
    }

    fn log_apply(raft: &mut CServer, idx: Index) -> i32 {
        let f = raft.host.cbs.log_apply;
        entry_event(raft, f, idx).unwrap_or(0)
    }

    fn persist_vote(raft: &mut CServer, vote: NodeId) -> i32 {
        let Some(f) = raft.host.cbs.persist_vote else { return 0 };
        let udata = raft.host.udata;
        // SAFETY: our own handle.
        unsafe { f(server_handle(raft), udata, vote) }
    }

    fn persist_term(raft: &mut CServer, term: Term, vote: NodeId) -> i32 {
        let Some(f) = raft.host.cbs.persist_term else { return 0 };
        let udata = raft.host.udata;
        // SAFETY: our own handle.
        unsafe { f(server_handle(raft), udata, term, vote) }
    }

    fn log_offer(raft: &mut CServer, idx: Index) -> i32 {
        // The offered entry is always the newest: no index lookup.
        let Some(f) = raft.host.cbs.log_offer else { return 0 };
        let udata = raft.host.udata;
        let me = server_handle(raft);
        // SAFETY: as in `entry_event`.
        unsafe {
            let ety = match (*(me as *mut CServer)).last_entry_mut() {
                Some(e) => e as *mut CEntry as *mut raft_entry_t,
                None => std::ptr::null_mut(),
            };
            f(me, udata, ety, idx)
        }
    }

    fn log_poll(raft: &mut CServer, idx: Index) -> i32 {
        let f = raft.host.cbs.log_poll;
        entry_event(raft, f, idx).unwrap_or(0)
    }

    fn log_pop(raft: &mut CServer, idx: Index) -> i32 {
        let f = raft.host.cbs.log_pop;
        entry_event(raft, f, idx).unwrap_or(0)
    }

    fn log_clear(raft: &mut CServer, idx: Index) -> i32 {
        let f = raft.host.cbs.log_clear;
        entry_event(raft, f, idx).unwrap_or(0)
    }

    fn log_get_node_id(raft: &mut CServer, idx: Index) -> Option<NodeId> {
        let f = raft.host.cbs.log_get_node_id;
        entry_event(raft, f, idx)
    }

    fn node_has_sufficient_logs(raft: &mut CServer, node: NodeId) -> i32 {
        let Some(f) = raft.host.cbs.node_has_sufficient_logs else { return -1 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        // SAFETY: our own handle and a member's handle.
        unsafe { f(server_handle(raft), udata, n) }
    }

    fn notify_membership_event(raft: &mut CServer, node: NodeId, entry_idx: Option<Index>, ev: Membership) {
        let Some(f) = raft.host.cbs.notify_membership_event else { return };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        let ety = match entry_idx {
            Some(i) => entry_ptr(raft, i),
            None => std::ptr::null_mut(),
        };
        let ev = match ev {
            Membership::Add => raft_membership_e::RAFT_MEMBERSHIP_ADD,
            Membership::Remove => raft_membership_e::RAFT_MEMBERSHIP_REMOVE,
        };
        // SAFETY: handles derived from the live server, valid for the call.
        unsafe { f(server_handle(raft), udata, n, ety, ev) }
    }

    fn log_enabled(raft: &CServer) -> bool {
        raft.host.cbs.log.is_some()
    }

    fn log(raft: &mut CServer, node: Option<NodeId>, msg: &str) {
        let Some(f) = raft.host.cbs.log else { return };
        let udata = raft.host.udata;
        let n = match node {
            Some(id) => node_handle(raft, id),
            None => std::ptr::null_mut(),
        };
        let text: Vec<u8> = msg.bytes().filter(|&b| b != 0).chain(std::iter::once(0)).collect();
        // SAFETY: `text` is NUL-terminated and outlives the call.
        unsafe { f(server_handle(raft), n, udata, text.as_ptr() as *const libc::c_char) }
    }
}
