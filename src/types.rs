//! Plain data shared by every core module: scalar aliases, log entries,
//! the four Raft messages (paper Figure 2) and the error codes.

/// A Raft term (paper §5.1). C: `raft_term_t` (`long`).
pub type Term = i64;
/// A log index; the first entry has index 1 (paper Figure 2). C: `raft_index_t`.
pub type Index = i64;
/// A node's identifier, unique in the cluster. C: `raft_node_id_t`.
pub type NodeId = i32;
/// The application's identifier for an entry. C: `raft_entry_id_t`.
pub type EntryId = i32;

/// "No vote" / "no node" sentinel used by `voted_for` and `current_leader`.
pub const NO_NODE: NodeId = -1;

/// The largest term a server can reach. A message or snapshot with a larger
/// term is refused (RAFT_ERR_INVALID), so that no term + 1 can overflow.
pub const MAX_TERM: Term = Term::MAX - 1;

/// The largest log index a server accepts (2^62 - 1): far beyond any log,
/// and with room for every `index + n` the rules compute, so none overflows.
pub const MAX_INDEX: Index = (1 << 62) - 1;

/// Whether `idx` is an index a correct peer could send: 0 to [`MAX_INDEX`].
#[inline(always)]
pub fn is_valid_index(idx: Index) -> bool {
    (0..=MAX_INDEX).contains(&idx)
}

/// Whether `term` is a term a correct peer could send: 0 to [`MAX_TERM`].
#[inline(always)]
pub fn is_valid_term(term: Term) -> bool {
    (0..=MAX_TERM).contains(&term)
}

/// Entry types (C `raft_logtype_e`).
pub mod entry_type {
    /// An application command.
    pub const NORMAL: i32 = 0;
    /// Adds a node that receives the log but does not vote.
    pub const ADD_NONVOTING_NODE: i32 = 1;
    /// Makes a (caught-up) node a voter.
    pub const ADD_NODE: i32 = 2;
    /// Turns a voter into a non-voter.
    pub const DEMOTE_NODE: i32 = 3;
    /// Removes a node from the cluster.
    pub const REMOVE_NODE: i32 = 4;
    /// The empty entry a new leader appends when the no-op option is on
    /// (thesis §6.4: it commits an entry of the leader's term at once).
    pub const NO_OP: i32 = 5;
}

/// One log entry. `#[repr(C)]` so that, with a `#[repr(C)]` payload, a slice of
/// entries has the layout of a C array of `raft_entry_t` and can be handed to a
/// transport without copying.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry<D> {
    /// Term in which a leader created the entry.
    pub term: Term,
    /// Application-chosen id.
    pub id: EntryId,
    /// One of [`entry_type`].
    pub etype: i32,
    /// Application payload; the core never looks inside it.
    pub data: D,
}

impl<D> Entry<D> {
    /// Whether the entry changes the membership (any of ADD_NONVOTING, ADD, DEMOTE, REMOVE).
    pub fn is_cfg_change(&self) -> bool {
        crate::tracker::config::is_cfg_change_type(self.etype)
    }
}

/// Whether any of `entries` changes the membership: one pass without a
/// branch per entry (the intake scan of every batch and appendentries).
#[inline(always)]
pub fn any_cfg_change<D>(entries: &[Entry<D>]) -> bool {
    match entries {
        [] => false,
        [e] => e.is_cfg_change(),
        _ => entries.iter().fold(false, |any, e| any | e.is_cfg_change()),
    }
}

/// RequestVote RPC arguments (paper Figure 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestVote {
    pub term: Term,
    pub candidate_id: NodeId,
    pub last_log_idx: Index,
    pub last_log_term: Term,
    /// A pre-vote (thesis §9.6): `term` is the term the candidate would
    /// campaign in, and nobody changes its term or vote for it. Read only
    /// when pre-vote is on.
    pub prevote: bool,
    /// The candidate campaigns because the leader handed leadership over
    /// (TimeoutNow, thesis §3.10): voters set leader stickiness aside.
    /// Read only when the host supports leadership transfer.
    pub transfer: bool,
}

/// `vote_granted` values of a RequestVote response.
pub mod vote {
    /// The vote was granted.
    pub const GRANTED: i32 = 1;
    /// The vote was refused.
    pub const NOT_GRANTED: i32 = 0;
    /// The voter does not know the candidate (it may have been removed).
    pub const UNKNOWN_NODE: i32 = -1;
}

/// RequestVote RPC results (paper Figure 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestVoteResponse {
    pub term: Term,
    /// One of [`vote`].
    pub vote_granted: i32,
    /// The answer to a pre-vote (read only when pre-vote is on).
    pub prevote: bool,
    /// The `term` of the request answered (pre-votes: the term the
    /// candidate would campaign in), to match an answer to its round.
    pub request_term: Term,
}

/// AppendEntries RPC arguments as received (paper Figure 2).
#[derive(Debug)]
pub struct AppendEntries<'a, D> {
    pub term: Term,
    pub prev_log_idx: Index,
    pub prev_log_term: Term,
    pub leader_commit: Index,
    /// The entries, which have indexes `prev_log_idx + 1 ..`.
    pub entries: &'a [Entry<D>],
    /// The node each configuration entry names, by position in `entries`
    /// ([`NO_NODE`] where unknown or not a configuration entry); empty when
    /// the message carries no configuration entry.
    pub cfg_nodes: &'a [NodeId],
}

/// AppendEntries RPC arguments as sent. The entries are not in the message:
/// they are the `n_entries` entries of the sender's log from
/// `prev_log_idx + 1`, read with [`crate::Server::entries_from`] (this keeps
/// sending zero-copy and lets the host callback borrow the server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppendEntriesHeader {
    pub term: Term,
    pub prev_log_idx: Index,
    pub prev_log_term: Term,
    pub leader_commit: Index,
    pub n_entries: usize,
    /// The leader's heartbeat round when the message was sent; the follower
    /// echoes it in its response so that reads can be confirmed (thesis §6.4).
    pub msg_id: u64,
    /// The receiver's member position when the message was made (no host
    /// code ran since): a host may find the member there without a lookup.
    pub to_pos: usize,
}

/// AppendEntries RPC results. `current_idx` is the last index the follower
/// knows matches the leader (on success) or its last log index (on failure;
/// with the reject hint on, the hint's index, `reject_hint.rs`);
/// `first_idx` is the first index the request carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppendEntriesResponse {
    pub term: Term,
    pub success: bool,
    pub current_idx: Index,
    pub first_idx: Index,
    /// The `msg_id` of the request answered. The core's AppendEntries
    /// receiver leaves it alone: the host copies it from the request.
    pub msg_id: u64,
    /// With the reject hint on ([`Server::set_reject_hint`](crate::Server::set_reject_hint)),
    /// in a rejection: the follower's term at `current_idx` (the hint's
    /// term). Not looked at otherwise.
    pub reject_hint_term: Term,
}

/// TimeoutNow (thesis §3.10): the leader asks a caught-up follower to start
/// an election at once. `term` is the leader's; a server in another term
/// ignores it, so a late TimeoutNow cannot disturb a later leader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeoutNow {
    pub term: Term,
}

/// A follower asks the leader for a read index (thesis §6.4); `id` is the
/// follower's, echoed in the answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadIndexRequest {
    pub id: u64,
}

/// The leader's answer to a [`ReadIndexRequest`]: `result` is 0 and
/// `read_idx` the confirmed read index, or a negative error code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadIndexResponse {
    pub id: u64,
    pub read_idx: Index,
    pub result: i32,
}

/// How a leadership transfer ended (C `raft_leader_transfer_e`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum TransferResult {
    /// No new leader within the transfer's timeout.
    Timeout = 0,
    /// Another server than the target leads (leadership lost otherwise).
    UnexpectedLeader = 1,
    /// The target is the leader: the transfer completed.
    ExpectedLeader = 2,
    /// The target left the voters (removed or demoted).
    TargetLeft = 3,
}

/// Result of a proposal accepted by the leader (C `msg_entry_response_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntryResponse {
    pub id: EntryId,
    pub term: Term,
    pub idx: Index,
}

/// Server roles (C `raft_state_e`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum State {
    Follower = 1,
    Candidate = 2,
    Leader = 3,
    /// Asking for pre-votes (thesis §9.6); only with pre-vote on.
    PreCandidate = 4,
}

/// How much a log message matters (C `raft_log_level_e`); a server passes
/// its host the messages at or below its level (`Server::set_log_level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum LogLevel {
    /// Something is wrong with the cluster or the host (e.g. a leader's entry
    /// conflicts with a committed one).
    Error = 1,
    /// Something unusual that the protocol handles (e.g. learning that we
    /// were removed).
    Warning = 2,
    /// Role changes, elections, snapshots, configuration changes.
    Info = 3,
    /// Votes and requests.
    Debug = 4,
    /// Every replication message.
    Trace = 5,
}

impl LogLevel {
    /// The level of a C `raft_log_level_e` value (out of range: clamped).
    pub fn from_i32(v: i32) -> LogLevel {
        match v {
            i32::MIN..=1 => LogLevel::Error,
            2 => LogLevel::Warning,
            3 => LogLevel::Info,
            4 => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

/// Membership events reported to the host (C `raft_membership_e`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Membership {
    Add = 0,
    Remove = 1,
}

/// Error codes (C `raft_error_e`); callbacks may return any non-zero `i32`,
/// which the core hands back unchanged.
pub mod err {
    /// Generic failure (bad argument, nothing to do); willemt returns -1 here.
    pub const FAIL: i32 = -1;
    pub const NOT_LEADER: i32 = -2;
    pub const ONE_VOTING_CHANGE_ONLY: i32 = -3;
    pub const SHUTDOWN: i32 = -4;
    pub const NOMEM: i32 = -5;
    pub const NEEDS_SNAPSHOT: i32 = -6;
    pub const SNAPSHOT_IN_PROGRESS: i32 = -7;
    pub const SNAPSHOT_ALREADY_LOADED: i32 = -8;
    /// Our extension: an argument was invalid (NULL pointer, negative count,
    /// unknown node). Within willemt's reserved range (> RAFT_ERR_LAST).
    pub const INVALID: i32 = -9;
    /// Our extension: the leader holds as many uncommitted payload bytes as
    /// `raft_set_max_uncommitted_bytes` allows; back off and retry.
    pub const UNCOMMITTED_LIMIT: i32 = -10;
    /// A leadership transfer is in progress: no new entries until it ends.
    pub const LEADER_TRANSFER_IN_PROGRESS: i32 = -11;
    /// A read was not answered in time.
    pub const TIMEOUT: i32 = -12;
    pub const LAST: i32 = -100;
}

/// Result type of core operations: `Err` carries a negative error code or a
/// callback's non-zero return value.
pub type RaftResult<T = ()> = Result<T, i32>;

/// What a host stores in the server: entry payloads and per-node data. The
/// server's state needs only these; the callbacks are [`crate::Host`]'s.
pub trait HostTypes: Sized {
    /// Entry payload. The core stores and clones it, never inspects it.
    type Data: Clone;
    /// Per-node data, e.g. a connection.
    type NodeData: Default;

    /// Payload bytes of an entry, for the per-message byte budget and the
    /// bound on the uncommitted log (0 when the host does not say).
    fn data_len(_data: &Self::Data) -> usize {
        0
    }
}
