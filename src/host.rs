//! The callbacks through which the core does all its I/O (willemt's
//! `raft_cbs_t`). The core calls out only once it has decided: persistence
//! callbacks before the state they protect changes (if one fails, nothing
//! changes), `log_offer` before an entry counts in the log, `log_pop` and
//! `log_poll` while the entry is still there, sends and notifications after
//! the state change they report. Every callback receives the server itself,
//! so a host may read its state (or call back in) from a callback.
//!
//! Return values: 0 is success; any other value is an error the core hands
//! back to its caller unchanged.

use crate::server::Server;
use crate::types::{
    AppendEntriesHeader, Entry, HostTypes, Index, LogLevel, Membership, NodeId, ReadIndexRequest, ReadIndexResponse,
    RequestVote, State, Term, TimeoutNow, TransferResult,
};

pub trait Host: HostTypes {
    /// Send a RequestVote to `node`.
    fn send_requestvote(raft: &mut Server<Self>, node: NodeId, msg: &RequestVote) -> i32;

    /// Send an AppendEntries to `node`; its entries are
    /// `raft.entries_from(msg.prev_log_idx + 1, msg.n_entries)`.
    fn send_appendentries(raft: &mut Server<Self>, node: NodeId, msg: &AppendEntriesHeader) -> i32;

    /// `node` needs entries that were compacted: ship it a snapshot out of band.
    /// May be called on every heartbeat until the node has caught up.
    fn send_snapshot(_raft: &mut Server<Self>, _node: NodeId) -> i32 {
        0
    }

    /// Apply the committed entry at `idx` (`raft.entry(idx)`) to the state machine.
    fn log_apply(raft: &mut Server<Self>, idx: Index) -> i32;

    /// The apply step as the core takes it: the type of the entry at `idx`,
    /// then [`Host::log_apply`]'s result; None (nothing called) when the
    /// entry is not held. A host that must find the entry itself to apply
    /// it (the C shell passes a pointer) overrides this to find it once.
    #[inline(always)]
    fn apply_entry_at(raft: &mut Server<Self>, idx: Index) -> Option<(i32, i32)> {
        let etype = raft.entry(idx)?.etype;
        Some((etype, Self::log_apply(raft, idx)))
    }

    /// Durably record the vote (before the core acts on it).
    fn persist_vote(_raft: &mut Server<Self>, _vote: NodeId) -> i32 {
        0
    }

    /// Durably record a new term and vote (before the core acts on them).
    fn persist_term(_raft: &mut Server<Self>, _term: Term, _vote: NodeId) -> i32 {
        0
    }

    /// `entry` is about to be appended at `idx`; persist it. It is not yet in
    /// the log (`raft.current_idx()` is `idx - 1`); the host may rewrite its
    /// payload. On error the entry is not appended and nothing about it
    /// takes effect.
    fn log_offer(_raft: &mut Server<Self>, _entry: &mut Entry<Self::Data>, _idx: Index) -> i32 {
        0
    }

    /// Whether the host persists runs of entries in one call
    /// ([`Host::log_offer_batch`]) instead of one `log_offer` each.
    fn offers_in_batches(_raft: &Server<Self>) -> bool {
        false
    }

    /// `entries`, about to be appended from `first_idx`, none of them in the
    /// log yet: persist them all (the host may rewrite their payloads). On
    /// error none is appended and nothing about them takes effect. Called
    /// only when [`Host::offers_in_batches`].
    fn log_offer_batch(_raft: &mut Server<Self>, _entries: &mut [Entry<Self::Data>], _first_idx: Index) -> i32 {
        0
    }

    /// The oldest entry (`idx`, still in the log) is about to be compacted
    /// away. On error it stays.
    fn log_poll(_raft: &mut Server<Self>, _idx: Index) -> i32 {
        0
    }

    /// The newest entry (`idx`, still in the log) is about to be removed
    /// (conflict). On error it stays.
    fn log_pop(_raft: &mut Server<Self>, _idx: Index) -> i32 {
        0
    }

    /// The entry at `idx` is being discarded because a snapshot is loaded or
    /// the server is cleared.
    fn log_clear(_raft: &mut Server<Self>, _idx: Index) -> i32 {
        0
    }

    /// A non-voting node has caught up with the leader's log. Return 0 once
    /// the host has acted on it (e.g. proposed an ADD_NODE entry): the core
    /// then stops asking.
    fn node_has_sufficient_logs(_raft: &mut Server<Self>, _node: NodeId) -> i32 {
        -1
    }

    /// A node was added to or removed from this server's membership, by the
    /// configuration entry at `entry_idx` when there is one.
    fn notify_membership_event(_raft: &mut Server<Self>, _node: NodeId, _entry_idx: Option<Index>, _ev: Membership) {}

    // ---- extensions (issue 12); every one is optional ------------------------

    /// The role changed to `state` (it is in place during the call). The
    /// callback may read the server but must not change its role.
    fn notify_state_event(_raft: &mut Server<Self>, _state: State) {}

    /// Whether this host transports TimeoutNow and the `transfer` flag of
    /// RequestVote: leadership transfer needs it (thesis §3.10), and a voter
    /// reads that flag only when it holds.
    fn supports_transfer(_raft: &Server<Self>) -> bool {
        false
    }

    /// Send a TimeoutNow to `node` (leadership transfer, thesis §3.10).
    fn send_timeoutnow(_raft: &mut Server<Self>, _node: NodeId, _msg: &TimeoutNow) -> i32 {
        -1
    }

    /// A leadership transfer ended (after the state that ended it is in place).
    fn notify_transfer_event(_raft: &mut Server<Self>, _result: TransferResult) {}

    /// Whether this host forwards a follower's reads to the leader
    /// ([`Host::send_readindex`]); without it a follower refuses reads with
    /// NOT_LEADER.
    fn forwards_reads(_raft: &Server<Self>) -> bool {
        false
    }

    /// Send a follower's read-index request to the leader `node` (thesis §6.4).
    fn send_readindex(_raft: &mut Server<Self>, _node: NodeId, _msg: &ReadIndexRequest) -> i32 {
        -1
    }

    /// Send the leader's answer to a follower's read-index request.
    fn send_readindex_response(_raft: &mut Server<Self>, _node: NodeId, _msg: &ReadIndexResponse) -> i32 {
        -1
    }

    /// The read `token` (from [`Server::read_request`]) is answered: `result`
    /// is 0 (the state machine now reflects every write acknowledged before
    /// the read began) or a negative error code. Called exactly once per read.
    fn read_done(_raft: &mut Server<Self>, _token: u64, _result: i32) {}

    /// The payload of the no-op entry a new leader appends (option
    /// `noop_on_election`); None: this host cannot make one, no no-op is appended.
    fn noop_data(_raft: &Server<Self>) -> Option<Self::Data> {
        None
    }

    /// Whether [`Host::log`] wants messages (checked before formatting one).
    fn log_enabled(_raft: &Server<Self>) -> bool {
        false
    }

    /// A message of `level`, about `node` when it concerns one.
    fn log(_raft: &mut Server<Self>, _level: LogLevel, _node: Option<NodeId>, _msg: &str) {}
}

impl<H: Host> Server<H> {
    #[inline(always)]
    pub(crate) fn log_enabled(&self, level: LogLevel) -> bool {
        H::log_enabled(self) && level <= self.opts.log_level
    }
    pub(crate) fn emit_log(&mut self, level: LogLevel, node: Option<NodeId>, msg: &str) {
        H::log(self, level, node, msg);
    }
}
