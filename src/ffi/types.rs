//! C types of the interface: willemt/raft's names, layouts and values.

#![allow(non_camel_case_types)]

use libc::{c_char, c_int, c_long, c_uint, c_ulong, c_void};

/// A term. Terms start at 0 and only grow.
pub type raft_term_t = c_long;
/// A log index. The first entry has index 1; 0 means "no entry".
pub type raft_index_t = c_long;
/// A node id: a unique integer chosen by the application.
pub type raft_node_id_t = c_int;
/// An entry id chosen by the application.
pub type raft_entry_id_t = c_int;
/// A message id: the leader's heartbeat round carried by appendentries
/// messages and echoed by their responses (RedisLabs/raft's type name).
pub type raft_msg_id_t = c_ulong;

/// "No node" (RedisLabs/raft): e.g. `raft_transfer_leader(me, RAFT_NODE_ID_NONE, 0)`
/// picks the target itself.
pub const RAFT_NODE_ID_NONE: raft_node_id_t = -1;

/// A Raft server (opaque). Always used as `raft_server_t*`, from `raft_new`.
/// A distinct type from `raft_node_t`, so that passing one for the other is
/// a compile-time diagnostic; at run time a handle of the wrong kind is
/// recognised by a tag and refused with RAFT_ERR_INVALID.
pub struct raft_server_t {
    _opaque: [u8; 0],
}
/// A cluster member as seen by one server (opaque). Always used as
/// `raft_node_t*`: from a server (owned by it) or from `raft_node_new`.
pub struct raft_node_t {
    _opaque: [u8; 0],
}

/// Error codes. Functions return 0 on success.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum raft_error_e {
    /// The server is not the leader. Transient: redirect the client to
    /// `raft_get_current_leader()`.
    RAFT_ERR_NOT_LEADER = -2,
    /// A voting configuration change is already in progress (or none of the
    /// leader's term is committed yet). Transient: retry later.
    RAFT_ERR_ONE_VOTING_CHANGE_ONLY = -3,
    /// The server must shut down (it was removed, or its log conflicts with
    /// a committed entry, or `log_apply` asked for it). Fatal: stop the server.
    RAFT_ERR_SHUTDOWN = -4,
    /// Out of memory. Only ever a callback's own code passed back.
    RAFT_ERR_NOMEM = -5,
    /// The peer needs a snapshot: the entries it lacks were compacted.
    /// Informational (from `raft_send_appendentries`): `send_snapshot` was called.
    RAFT_ERR_NEEDS_SNAPSHOT = -6,
    /// A snapshot is being taken. Transient: retry after `raft_end_snapshot`.
    RAFT_ERR_SNAPSHOT_IN_PROGRESS = -7,
    /// That snapshot is already loaded. Transient: nothing to do.
    RAFT_ERR_SNAPSHOT_ALREADY_LOADED = -8,
    /// (extension) An argument was invalid: NULL pointer, negative count or
    /// index, a term out of range, a handle of the wrong kind, a node that
    /// is not a member of this server. Nothing changed; for a received
    /// message: drop it (transient).
    RAFT_ERR_INVALID = -9,
    /// (extension) The leader holds as many uncommitted payload bytes as
    /// `raft_set_max_uncommitted_bytes` allows: transient, back off and retry
    /// once entries commit.
    RAFT_ERR_UNCOMMITTED_LIMIT = -10,
    /// (extension) A leadership transfer is in progress: no new entries until it ends.
    RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS = -11,
    /// (extension) A read was not answered within an election timeout.
    RAFT_ERR_TIMEOUT = -12,
    /// The end of the library's range of codes (never returned).
    RAFT_ERR_LAST = -100,
}

/// Membership events reported by `notify_membership_event`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum raft_membership_e {
    RAFT_MEMBERSHIP_ADD = 0,
    RAFT_MEMBERSHIP_REMOVE = 1,
}

/// Server roles, as returned by `raft_get_state`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum raft_state_e {
    /// No state (`raft_get_state` on NULL).
    RAFT_STATE_NONE = 0,
    /// Follows a leader (or waits for one).
    RAFT_STATE_FOLLOWER = 1,
    /// Campaigns in an election.
    RAFT_STATE_CANDIDATE = 2,
    /// Leads.
    RAFT_STATE_LEADER = 3,
    /// (extension) Asks for pre-votes before an election; only with pre-vote
    /// on (`raft_set_prevote`). RedisLabs/raft numbers its states
    /// differently: compare with the names, never with numbers.
    RAFT_STATE_PRECANDIDATE = 4,
}

/// How a leadership transfer ended (`notify_transfer_event`); the first
/// three are RedisLabs/raft's names and values.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum raft_leader_transfer_e {
    /// No new leader within the transfer's timeout; the leader (if still
    /// leader) accepts entries again.
    RAFT_LEADER_TRANSFER_TIMEOUT = 0,
    /// Another server than the target became leader (this one included):
    /// leadership was lost otherwise.
    RAFT_LEADER_TRANSFER_UNEXPECTED_LEADER = 1,
    /// The target became leader: the transfer completed.
    RAFT_LEADER_TRANSFER_EXPECTED_LEADER = 2,
    /// (extension) The target left the voters (removed or demoted) first.
    RAFT_LEADER_TRANSFER_TARGET_LEFT = 3,
}

/// Log levels (`raft_set_log_level`): a server passes the `log` callback
/// the messages at its level or more important ones.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum raft_log_level_e {
    /// Something is wrong with the cluster or the program.
    RAFT_LOG_ERROR = 1,
    /// Something unusual that the protocol handles.
    RAFT_LOG_WARNING = 2,
    /// Role changes, elections, snapshots, configuration changes.
    RAFT_LOG_INFO = 3,
    /// Votes and requests.
    RAFT_LOG_DEBUG = 4,
    /// Every replication message (the default: everything, as willemt).
    RAFT_LOG_TRACE = 5,
}

/// Entry types (`raft_entry_t.type`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum raft_logtype_e {
    /// An application command.
    RAFT_LOGTYPE_NORMAL = 0,
    /// Adds a node that receives the log but does not vote.
    RAFT_LOGTYPE_ADD_NONVOTING_NODE = 1,
    /// Makes a caught-up node a voter.
    RAFT_LOGTYPE_ADD_NODE = 2,
    /// Makes a voter a non-voter.
    RAFT_LOGTYPE_DEMOTE_NODE = 3,
    /// Removes a node.
    RAFT_LOGTYPE_REMOVE_NODE = 4,
    /// (extension) The empty entry a new leader appends when
    /// `raft_set_noop_on_election` is on: id 0, no payload. It goes through
    /// `log_offer`, `log_apply` etc. like any entry; nothing is to be applied.
    RAFT_LOGTYPE_NO_OP = 5,
    /// Application-defined types start here.
    RAFT_LOGTYPE_NUM = 100,
}

/// `msg_requestvote_response_t.vote_granted`: the vote was granted.
pub const RAFT_REQUESTVOTE_ERR_GRANTED: c_int = 1;
/// `msg_requestvote_response_t.vote_granted`: the vote was refused.
pub const RAFT_REQUESTVOTE_ERR_NOT_GRANTED: c_int = 0;
/// `msg_requestvote_response_t.vote_granted`: the voter does not know the candidate.
pub const RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE: c_int = -1;
/// Flag for `raft_begin_snapshot`: keep applying entries while the snapshot is taken.
pub const RAFT_SNAPSHOT_NONBLOCKING_APPLY: c_int = 1;

/// An entry's payload. The library never copies, frees or reads the bytes:
/// the application owns them (see `log_offer`, `log_poll`, `log_pop`, `log_clear`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct raft_entry_data_t {
    /// The payload's bytes, owned by the application.
    pub buf: *mut c_void,
    /// The payload's length in bytes.
    pub len: c_uint,
}

/// A log entry.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct raft_entry_t {
    /// Term in which the entry was created (set by `raft_retain_entries`).
    pub term: raft_term_t,
    /// Application-chosen id.
    pub id: raft_entry_id_t,
    /// One of `raft_logtype_e`.
    pub r#type: c_int,
    /// The payload (never copied or freed by the library).
    pub data: raft_entry_data_t,
}

/// An entry as sent by a client or carried in an appendentries message.
pub type msg_entry_t = raft_entry_t;

/// What `raft_retain_entries` tells the client about its entry.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_entry_response_t {
    /// The entry's id, as proposed.
    pub id: raft_entry_id_t,
    /// The term the leader gave the entry.
    pub term: raft_term_t,
    /// The entry's log index.
    pub idx: raft_index_t,
}

/// RequestVote (paper Figure 2).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_requestvote_t {
    /// The candidate's term.
    pub term: raft_term_t,
    /// The candidate requesting the vote.
    pub candidate_id: raft_node_id_t,
    /// Index of the candidate's last log entry.
    pub last_log_idx: raft_index_t,
    /// Term of the candidate's last log entry.
    pub last_log_term: raft_term_t,
    /// (extension, read only with pre-vote on) 1 for a pre-vote: `term` is
    /// the term the candidate would campaign in; nobody's term or vote changes.
    pub prevote: c_int,
    /// (extension, read only once an extension table with `send_timeoutnow`
    /// is registered) 1 when the candidate campaigns because the leader
    /// handed leadership over (TimeoutNow): voters set leader stickiness aside.
    pub leadership_transfer: c_int,
}

/// RequestVote response.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_requestvote_response_t {
    /// The voter's current term, for the candidate to update itself.
    pub term: raft_term_t,
    /// RAFT_REQUESTVOTE_ERR_GRANTED, _NOT_GRANTED or _UNKNOWN_NODE.
    pub vote_granted: c_int,
    /// (extension, written and read only with pre-vote on) 1 when this
    /// answers a pre-vote.
    pub prevote: c_int,
    /// (extension, written and read only with pre-vote on) the `term` of the
    /// request answered, so that a late answer is not counted in a later round.
    pub request_term: raft_term_t,
}

/// AppendEntries (paper Figure 2). `entries` holds `n_entries` entries whose
/// indexes start at `prev_log_idx + 1`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_appendentries_t {
    /// The leader's term.
    pub term: raft_term_t,
    /// Index of the entry just before the new ones.
    pub prev_log_idx: raft_index_t,
    /// Term of the entry at `prev_log_idx`.
    pub prev_log_term: raft_term_t,
    /// The leader's commit index.
    pub leader_commit: raft_index_t,
    /// Number of entries at `entries` (0 for a heartbeat).
    pub n_entries: c_int,
    /// The entries to append (NULL when `n_entries` is 0).
    pub entries: *mut msg_entry_t,
    /// (extension, read only once an extension table is registered) the
    /// leader's heartbeat round; the receiver echoes it in its response,
    /// which confirms reads (`raft_recv_read_request`).
    pub msg_id: raft_msg_id_t,
}

/// AppendEntries response.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_appendentries_response_t {
    /// The receiver's current term, for the leader to update itself.
    pub term: raft_term_t,
    /// 1 on success, 0 on failure.
    pub success: c_int,
    /// Success: last index known to match the leader. Failure: the
    /// receiver's last log index (with `raft_set_reject_hint` on: the reject
    /// hint's index, at or below it; see `reject_hint_term`).
    pub current_idx: raft_index_t,
    /// First index the request carried (`prev_log_idx + 1`).
    pub first_idx: raft_index_t,
    /// (extension, written and read only once an extension table is
    /// registered) the request's `msg_id`, echoed.
    pub msg_id: raft_msg_id_t,
    /// (extension, written and read only with `raft_set_reject_hint` on, and
    /// only in a response with `success` 0) the reject hint's term: the
    /// receiver's term at `current_idx`, which is then the largest index at
    /// or below both `prev_log_idx` and its last index whose term is at most
    /// `prev_log_term` (0 when that index is 0 or below the receiver's
    /// snapshot). Not written in a success.
    pub reject_hint_term: raft_term_t,
}

/// (extension) TimeoutNow (thesis §3.10): the leader asks the target of a
/// leadership transfer to start an election at once.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_timeoutnow_t {
    /// The leader's term; a receiver in another term ignores the message.
    pub term: raft_term_t,
}

/// (extension) A follower asks the leader for a read index (thesis §6.4).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_readindex_t {
    /// The follower's id for the request, echoed in the answer.
    pub id: raft_msg_id_t,
}

/// (extension) The leader's answer to a `msg_readindex_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct msg_readindex_response_t {
    /// The request's `id`.
    pub id: raft_msg_id_t,
    /// The confirmed read index (when `result` is 0).
    pub read_idx: raft_index_t,
    /// 0, or a negative RAFT_ERR_* code (RAFT_ERR_NOT_LEADER, RAFT_ERR_TIMEOUT).
    pub result: c_int,
}

/// Membership configuration element (willemt compatibility).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct raft_node_configuration_t {
    /// The node's user data.
    pub udata_address: *mut c_void,
}

/// Send a RequestVote to `node`. `msg` is borrowed for the call. Return 0 on success.
pub type func_send_requestvote_f = Option<
    unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, node: *mut raft_node_t, msg: *mut msg_requestvote_t) -> c_int,
>;

/// Send an AppendEntries to `node`. `msg` and `msg->entries` (which point
/// into the library's log) are borrowed for the call: copy what you send.
/// A transport may send only a prefix of the entries. One message carries
/// one array: entries the log holds in different chunks of 1,024 go in
/// separate messages (besides the caps of `raft_set_max_entries_per_msg`
/// and `raft_set_max_msg_bytes`).
pub type func_send_appendentries_f = Option<
    unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, node: *mut raft_node_t, msg: *mut msg_appendentries_t) -> c_int,
>;

/// `node` needs entries that were compacted: send it a snapshot out of band.
pub type func_send_snapshot_f =
    Option<unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, node: *mut raft_node_t) -> c_int>;

/// A non-voting node caught up with the leader. Return 0 once acted upon.
pub type func_node_has_sufficient_logs_f =
    Option<unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, node: *mut raft_node_t) -> c_int>;

/// A debug message (NUL-terminated, borrowed for the call); `node` may be NULL.
pub type func_log_f =
    Option<unsafe extern "C" fn(raft: *mut raft_server_t, node: *mut raft_node_t, user_data: *mut c_void, buf: *const c_char)>;

/// Persist our vote (`-1` = none) before returning 0.
pub type func_persist_vote_f =
    Option<unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, vote: raft_node_id_t) -> c_int>;

/// Persist a new term and vote before returning 0.
pub type func_persist_term_f = Option<
    unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, term: raft_term_t, vote: raft_node_id_t) -> c_int,
>;

/// An event about the log entry `entry` at index `entry_idx`. `entry` points
/// into the library's log and is valid for the call.
pub type func_logentry_event_f = Option<
    unsafe extern "C" fn(raft: *mut raft_server_t, user_data: *mut c_void, entry: *mut raft_entry_t, entry_idx: raft_index_t) -> c_int,
>;

/// `node` was added to or removed from the membership, by `entry` (or NULL).
pub type func_membership_event_f = Option<
    unsafe extern "C" fn(
        raft: *mut raft_server_t,
        user_data: *mut c_void,
        node: *mut raft_node_t,
        entry: *mut raft_entry_t,
        r#type: raft_membership_e,
    ),
>;

/// The callbacks through which the library does all its I/O. Unset (NULL)
/// callbacks are skipped; `send_requestvote`, `send_appendentries`,
/// `log_apply`, `persist_vote`, `persist_term`, `log_offer` and `log_pop` must
/// be set for a working server.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct raft_cbs_t {
    /// Send a RequestVote. Called after the term and vote it carries were
    /// persisted; a non-zero return is a transport error (the election goes on).
    pub send_requestvote: func_send_requestvote_f,
    /// Send an AppendEntries. Called after the state it reports is in place;
    /// a non-zero return is a transport error (the next heartbeat retries).
    pub send_appendentries: func_send_appendentries_f,
    /// Send a snapshot (may be called on every heartbeat until the peer catches up).
    pub send_snapshot: func_send_snapshot_f,
    /// Apply a committed entry to the state machine. During the call
    /// `raft_get_last_applied_idx()` is already `entry_idx` (the entry counts
    /// as applied even if the callback fails). RAFT_ERR_SHUTDOWN stops the server.
    pub log_apply: func_logentry_event_f,
    /// Persist the vote. Called before the vote changes in memory: during the
    /// call `raft_get_voted_for()` is the old vote; on error nothing changes.
    pub persist_vote: func_persist_vote_f,
    /// Persist the term (and vote). Called before the term changes in memory:
    /// during the call `raft_get_current_term()` is the old term; on error
    /// nothing changes.
    pub persist_term: func_persist_term_f,
    /// An entry is about to be appended: persist it (synced before
    /// returning). Called before the entry counts in the log: during the call
    /// `raft_get_current_idx()` is `entry_idx - 1` and
    /// `raft_get_entry_from_idx(entry_idx)` is NULL; `entry` is the library's
    /// copy, which may be repointed (`entry->data.buf`) and is what the log
    /// then holds. A non-zero return: the entry is not appended and nothing
    /// about it takes effect (a configuration entry changes no node).
    pub log_offer: func_logentry_event_f,
    /// The oldest entry is about to be compacted (synced before returning).
    /// During the call it is still the first entry of the log; on error it stays.
    pub log_poll: func_logentry_event_f,
    /// The newest entry is about to be removed because it conflicts with the
    /// leader's log (synced before returning). During the call it is still the
    /// last entry of the log; on error it stays. A configuration entry's
    /// change is undone after the call.
    pub log_pop: func_logentry_event_f,
    /// An entry is discarded because a snapshot is loaded or `raft_clear` is
    /// called (oldest first); during the call it is still in the log.
    pub log_clear: func_logentry_event_f,
    /// Return the node id a configuration-change entry names. Asked once per
    /// entry, when it enters the library (`raft_retain_entries`,
    /// `raft_append_entry`, `raft_recv_appendentries`) and before it is in the
    /// log: `entry` is the caller's entry (or the message's), `entry_idx` the
    /// index it will have. Never asked again (not on pop, apply or snapshot).
    pub log_get_node_id: func_logentry_event_f,
    /// A non-voting node has caught up (leader only). Called only while a
    /// promotion (RAFT_LOGTYPE_ADD_NODE) would be accepted by
    /// `raft_retain_entries`; return 0 once acted upon, else it is asked
    /// again on a later response.
    pub node_has_sufficient_logs: func_node_has_sufficient_logs_f,
    /// A node was added (after it is a member; `entry` is the configuration
    /// entry, already in the log, or NULL) or is being removed (before it
    /// leaves: its handle is valid during the call, not after).
    pub notify_membership_event: func_membership_event_f,
    /// Debug log.
    pub log: func_log_f,
}
