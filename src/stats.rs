//! Counters of what a server did (C `raft_stats_t`): terms, elections,
//! messages by type, entries and snapshots. They only ever grow (from the
//! server's creation or `raft_clear`); nothing reads them but the host.

/// What a server has done since it was created. Each field counts events;
/// none is ever decremented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Times the current term rose (elections, messages, snapshots).
    pub term_changes: u64,
    /// Pre-vote rounds started (thesis §9.6).
    pub prevotes_started: u64,
    /// Elections started (this server became a candidate).
    pub elections_started: u64,
    /// Elections won (this server became the leader).
    pub elections_won: u64,
    /// Elections started because a TimeoutNow asked for one (thesis §3.10).
    pub elections_by_timeoutnow: u64,
    /// Times a leader stepped down because it had not heard from a majority
    /// within an election timeout (check-quorum).
    pub check_quorum_stepdowns: u64,
    pub requestvotes_sent: u64,
    pub requestvotes_received: u64,
    pub requestvote_responses_received: u64,
    pub appendentries_sent: u64,
    pub appendentries_received: u64,
    pub appendentries_responses_received: u64,
    /// `send_snapshot` calls.
    pub snapshots_sent: u64,
    /// Snapshots loaded (`raft_begin_load_snapshot` accepted).
    pub snapshots_loaded: u64,
    pub timeoutnows_sent: u64,
    pub timeoutnows_received: u64,
    pub readindex_sent: u64,
    pub readindex_received: u64,
    pub readindex_responses_sent: u64,
    pub readindex_responses_received: u64,
    /// Entries appended to the log (client, replicated, restored, no-ops).
    pub entries_appended: u64,
    /// Growth of the commit index (snapshot loads excluded).
    pub entries_committed: u64,
    /// Entries applied through `log_apply`.
    pub entries_applied: u64,
    /// Reads answered successfully (`raft_recv_read_request`).
    pub reads_ok: u64,
    /// Reads answered with an error.
    pub reads_failed: u64,
    /// Reads answered under the leader's lease, without a heartbeat round.
    pub reads_by_lease: u64,
    /// Leadership transfers started with `raft_transfer_leader`.
    pub transfers_started: u64,
    /// Transfers that ended with the target as leader.
    pub transfers_completed: u64,
}
