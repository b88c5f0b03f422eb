//! The C callback table as a [`Host`]: each callback converts the core's
//! arguments to C types and calls the application's function, if set.

use super::ext_types::*;
use super::handle::*;
use super::types::*;
use crate::host::Host;
use crate::types::*;
use libc::{c_int, c_void};

const _: () = {
    assert!(std::mem::size_of::<libc::c_long>() == std::mem::size_of::<Term>());
    assert!(std::mem::size_of::<CEntry>() == std::mem::size_of::<raft_entry_t>());
    assert!(std::mem::align_of::<CEntry>() == std::mem::align_of::<raft_entry_t>());
    assert!(std::mem::offset_of!(CEntry, term) == std::mem::offset_of!(raft_entry_t, term));
    assert!(std::mem::offset_of!(CEntry, id) == std::mem::offset_of!(raft_entry_t, id));
    assert!(std::mem::offset_of!(CEntry, etype) == std::mem::offset_of!(raft_entry_t, r#type));
    assert!(std::mem::offset_of!(CEntry, data) == std::mem::offset_of!(raft_entry_t, data));
};

/// What a C server holds besides the core state.
pub struct CHost {
    pub(crate) cbs: raft_cbs_t,
    pub(crate) udata: *mut c_void,
    /// The entry most recently removed by `raft_poll_entry`.
    pub(crate) polled: raft_entry_t,
    /// Room for a batch of proposals (`raft_retain_entries_batch`), kept
    /// between calls so that the steady path allocates nothing.
    pub(crate) batch: Vec<CEntry>,
    /// The extension callbacks (`raft_set_ext_callbacks`).
    pub(crate) ext: raft_cbs_ext_t,
    /// Whether an extension table was registered: the program was built
    /// with the fields appended to willemt's message structs, which the
    /// library may then read and write.
    pub(crate) ext_registered: bool,
    /// Which fields appended to `msg_appendentries_response_t` the library
    /// touches ([`AE_MSG_ID`], [`AE_REJECT_HINT`]), kept by the two setters
    /// so that the appendentries paths test one byte, as before there was
    /// more than one (`msgs.rs`).
    pub(crate) ae_fields: u8,
    /// Whether a logging callback is set (`cbs.log` or `ext.log_leveled`),
    /// kept by the two setters so that the hot paths test one flag.
    pub(crate) log_sink: bool,
    /// Pending reads: token -> the program's callback and argument.
    pub(crate) reads: std::collections::HashMap<u64, (raft_read_request_callback_f, *mut c_void)>,
    pub(crate) last_read_token: u64,
}

/// [`CHost::ae_fields`]: `msg_id` (an extension table is registered).
pub(crate) const AE_MSG_ID: u8 = 1;
/// [`CHost::ae_fields`]: `reject_hint_term` (`raft_set_reject_hint` on).
pub(crate) const AE_REJECT_HINT: u8 = 2;

impl CHost {
    /// Records which appended appendentries fields are in use, after an
    /// extension table was registered or the reject hint switched.
    pub(crate) fn update_ae_fields(&mut self, reject_hint: bool) {
        self.ae_fields = (self.ext_registered as u8 * AE_MSG_ID) | (reject_hint as u8 * AE_REJECT_HINT);
    }

    /// Records whether a logging callback is set, after either table changed.
    pub(crate) fn update_log_sink(&mut self) {
        self.log_sink = self.cbs.log.is_some() || self.ext.log_leveled.is_some();
    }
}

impl Default for CHost {
    fn default() -> Self {
        CHost {
            cbs: raft_cbs_t::default(),
            udata: std::ptr::null_mut(),
            polled: raft_entry_t::from(&CEntry::default()),
            batch: Vec::new(),
            ext: raft_cbs_ext_t::default(),
            log_sink: false,
            ext_registered: false,
            ae_fields: 0,
            reads: std::collections::HashMap::new(),
            last_read_token: 0,
        }
    }
}

impl Default for raft_entry_data_t {
    fn default() -> Self {
        raft_entry_data_t { buf: std::ptr::null_mut(), len: 0 }
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

/// The log entry at `idx` as a C pointer (NULL when not held).
#[inline]
pub(crate) fn entry_ptr(s: &mut CServer, idx: Index) -> *mut raft_entry_t {
    match s.entry_mut(idx) {
        Some(e) => e as *mut CEntry as *mut raft_entry_t,
        None => std::ptr::null_mut(),
    }
}

/// The node a configuration entry names, asked of `log_get_node_id` when
/// the entry enters the library (at `idx`, or after our last entry when
/// `idx` is None); [`NO_NODE`] for other entries or when the callback is not set.
#[inline(always)]
pub(crate) fn cfg_entry_node(s: &mut CServer, ety: *const raft_entry_t, etype: c_int, idx: Option<Index>) -> NodeId {
    if !crate::tracker::config::is_cfg_change_type(etype) {
        return NO_NODE;
    }
    let Some(f) = s.host.cbs.log_get_node_id else { return NO_NODE };
    let idx = idx.unwrap_or(s.current_idx() + 1);
    let udata = s.host.udata;
    // SAFETY: our own handle; the entry is borrowed for the call.
    unsafe { f(server_handle(s), udata, ety as *mut raft_entry_t, idx) }
}

/// Calls a `func_logentry_event_f` for the log entry at `idx`.
#[inline(always)]
fn entry_event(raft: &mut CServer, f: func_logentry_event_f, idx: Index) -> c_int {
    if f.is_none() {
        return 0;
    }
    let ety = entry_ptr(raft, idx);
    call_entry_event(raft, f, ety, idx)
}

/// Calls `f` (0 when it is not set) with the log entry `ety` at `idx`.
#[inline(always)]
fn call_entry_event(raft: &mut CServer, f: func_logentry_event_f, ety: *mut raft_entry_t, idx: Index) -> c_int {
    let Some(f) = f else { return 0 };
    let udata = raft.host.udata;
    // SAFETY: our own handle; the entry pointer is valid until the log changes.
    unsafe { f(server_handle(raft), udata, ety, idx) }
}

impl HostTypes for CHost {
    type Data = raft_entry_data_t;
    type NodeData = NodeData;

    #[inline(always)]
    fn data_len(data: &raft_entry_data_t) -> usize {
        data.len as usize
    }
}

impl Host for CHost {
    fn send_requestvote(raft: &mut CServer, node: NodeId, msg: &RequestVote) -> i32 {
        let Some(f) = raft.host.cbs.send_requestvote else { return 0 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        let mut m = msg_requestvote_t {
            term: msg.term,
            candidate_id: msg.candidate_id,
            last_log_idx: msg.last_log_idx,
            last_log_term: msg.last_log_term,
            prevote: msg.prevote as c_int,
            leadership_transfer: msg.transfer as c_int,
        };
        // SAFETY: the callback gets our own handle and a message on our stack.
        unsafe { f(server_handle(raft), udata, n, &mut m) }
    }

    #[inline(always)]
    fn send_appendentries(raft: &mut CServer, node: NodeId, msg: &AppendEntriesHeader) -> i32 {
        let Some(f) = raft.host.cbs.send_appendentries else { return -1 };
        let udata = raft.host.udata;
        let n = if raft.node_id_at(msg.to_pos) == Some(node) { member_handle_at(raft, msg.to_pos) } else { node_handle(raft, node) };
        let me = server_handle(raft);
        let entries = raft.entries_from(msg.prev_log_idx + 1, msg.n_entries);
        let mut m = msg_appendentries_t {
            term: msg.term,
            prev_log_idx: msg.prev_log_idx,
            prev_log_term: msg.prev_log_term,
            leader_commit: msg.leader_commit,
            n_entries: entries.len().min(c_int::MAX as usize) as c_int,
            entries: if entries.is_empty() { std::ptr::null_mut() } else { entries.as_ptr() as *mut msg_entry_t },
            msg_id: msg.msg_id as raft_msg_id_t,
        };
        // SAFETY: the entries point into our log, valid for the call.
        unsafe { f(me, udata, n, &mut m) }
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
        entry_event(raft, f, idx)
    }

    #[inline(always)]
    fn apply_entry_at(raft: &mut CServer, idx: Index) -> Option<(i32, i32)> {
        let ety = entry_ptr(raft, idx);
        if ety.is_null() {
            return None;
        }
        // SAFETY: a pointer into our log, valid until the log changes; read
        // before the callback, which may change the entry.
        let etype = unsafe { (*ety).r#type };
        let f = raft.host.cbs.log_apply;
        Some((etype, call_entry_event(raft, f, ety, idx)))
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

    fn log_offer(raft: &mut CServer, entry: &mut CEntry, idx: Index) -> i32 {
        let Some(f) = raft.host.cbs.log_offer else { return 0 };
        let udata = raft.host.udata;
        // SAFETY: our own handle; the entry is ours and borrowed for the call.
        unsafe { f(server_handle(raft), udata, entry as *mut CEntry as *mut raft_entry_t, idx) }
    }

    fn log_poll(raft: &mut CServer, idx: Index) -> i32 {
        let f = raft.host.cbs.log_poll;
        entry_event(raft, f, idx)
    }

    fn log_pop(raft: &mut CServer, idx: Index) -> i32 {
        let f = raft.host.cbs.log_pop;
        entry_event(raft, f, idx)
    }

    fn log_clear(raft: &mut CServer, idx: Index) -> i32 {
        let f = raft.host.cbs.log_clear;
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

    fn notify_state_event(raft: &mut CServer, state: State) {
        let Some(f) = raft.host.ext.notify_state_event else { return };
        let udata = raft.host.udata;
        let st = match state {
            State::Follower => raft_state_e::RAFT_STATE_FOLLOWER,
            State::Candidate => raft_state_e::RAFT_STATE_CANDIDATE,
            State::Leader => raft_state_e::RAFT_STATE_LEADER,
            State::PreCandidate => raft_state_e::RAFT_STATE_PRECANDIDATE,
        };
        // SAFETY: our own handle.
        unsafe { f(server_handle(raft), udata, st) }
    }

    fn supports_transfer(raft: &CServer) -> bool {
        raft.host.ext.send_timeoutnow.is_some()
    }

    fn send_timeoutnow(raft: &mut CServer, node: NodeId, msg: &TimeoutNow) -> i32 {
        let Some(f) = raft.host.ext.send_timeoutnow else { return -1 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        let mut m = msg_timeoutnow_t { term: msg.term };
        // SAFETY: our own handle, a member's handle, a message on our stack.
        unsafe { f(server_handle(raft), udata, n, &mut m) }
    }

    fn notify_transfer_event(raft: &mut CServer, result: TransferResult) {
        let Some(f) = raft.host.ext.notify_transfer_event else { return };
        let udata = raft.host.udata;
        let r = match result {
            TransferResult::Timeout => raft_leader_transfer_e::RAFT_LEADER_TRANSFER_TIMEOUT,
            TransferResult::UnexpectedLeader => raft_leader_transfer_e::RAFT_LEADER_TRANSFER_UNEXPECTED_LEADER,
            TransferResult::ExpectedLeader => raft_leader_transfer_e::RAFT_LEADER_TRANSFER_EXPECTED_LEADER,
            TransferResult::TargetLeft => raft_leader_transfer_e::RAFT_LEADER_TRANSFER_TARGET_LEFT,
        };
        // SAFETY: our own handle.
        unsafe { f(server_handle(raft), udata, r) }
    }

    fn forwards_reads(raft: &CServer) -> bool {
        raft.host.ext.send_readindex.is_some()
    }

    fn send_readindex(raft: &mut CServer, node: NodeId, msg: &ReadIndexRequest) -> i32 {
        let Some(f) = raft.host.ext.send_readindex else { return -1 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        let mut m = msg_readindex_t { id: msg.id as raft_msg_id_t };
        // SAFETY: our own handle, a member's handle, a message on our stack.
        unsafe { f(server_handle(raft), udata, n, &mut m) }
    }

    fn send_readindex_response(raft: &mut CServer, node: NodeId, msg: &ReadIndexResponse) -> i32 {
        let Some(f) = raft.host.ext.send_readindex_response else { return -1 };
        let udata = raft.host.udata;
        let n = node_handle(raft, node);
        let mut m = msg_readindex_response_t { id: msg.id as raft_msg_id_t, read_idx: msg.read_idx, result: msg.result };
        // SAFETY: our own handle, a member's handle, a message on our stack.
        unsafe { f(server_handle(raft), udata, n, &mut m) }
    }

    fn read_done(raft: &mut CServer, token: u64, result: i32) {
        let Some((cb, arg)) = raft.host.reads.remove(&token) else { return };
        let Some(f) = cb else { return };
        let (can_read, err) = if result == 0 { (1, 0) } else { (0, result) };
        // SAFETY: the program's callback with its own argument.
        unsafe { f(arg, can_read, err) }
    }

    fn noop_data(_raft: &CServer) -> Option<raft_entry_data_t> {
        Some(raft_entry_data_t::default())
    }

    #[inline(always)]
    fn offers_in_batches(raft: &CServer) -> bool {
        raft.host.ext.log_offer_batch.is_some()
    }

    fn log_offer_batch(raft: &mut CServer, entries: &mut [CEntry], first_idx: Index) -> i32 {
        let Some(f) = raft.host.ext.log_offer_batch else { return 0 };
        let udata = raft.host.udata;
        let n = entries.len().min(c_int::MAX as usize) as c_int;
        // SAFETY: our own handle; the entries are ours (raft_entry_t's
        // layout) and borrowed for the call.
        unsafe { f(server_handle(raft), udata, entries.as_mut_ptr() as *mut raft_entry_t, first_idx, n) }
    }

    #[inline(always)]
    fn log_enabled(raft: &CServer) -> bool {
        raft.host.log_sink
    }

    fn log(raft: &mut CServer, level: LogLevel, node: Option<NodeId>, msg: &str) {
        let (plain, leveled) = (raft.host.cbs.log, raft.host.ext.log_leveled);
        let udata = raft.host.udata;
        let n = match node {
            Some(id) => node_handle(raft, id),
            None => std::ptr::null_mut(),
        };
        let text: Vec<u8> = msg.bytes().filter(|&b| b != 0).chain(std::iter::once(0)).collect();
        let buf = text.as_ptr() as *const libc::c_char;
        // SAFETY: `text` is NUL-terminated and outlives the calls.
        unsafe {
            if let Some(f) = plain {
                f(server_handle(raft), n, udata, buf);
            }
            if let Some(f) = leveled {
                f(server_handle(raft), n, udata, level as c_int, buf);
            }
        }
    }
}
