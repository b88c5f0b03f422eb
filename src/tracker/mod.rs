//! The tracker: the configuration (who is a member, who votes) and the
//! leader's per-peer progress, in flat arrays indexed by a member's position
//! (in the spirit of raft-rs `tracker/`). It answers the questions the rules
//! ask of the membership: who the voters are, whether a vote is won, which
//! index a quorum holds, and what a configuration entry does to the members.

pub mod config;
pub mod inflights;
mod liveness;
pub mod node;
mod progress;

use crate::quorum;
use crate::types::{Index, NodeId, NO_NODE};
use config::{ChangeKind, ConfigChange, Effect, PendingChange, Phase};
pub use progress::ReplicationState;

use inflights::Inflights;
use node::{is_voter, NodeSlot, HAS_SUFFICIENT_LOGS, HAS_VOTE_FOR_ME, INACTIVE, NEW_NODE_FLAGS, VOTING};

/// How many removed node ids a server remembers (thesis §4.2.3: a removed
/// server that missed its removal must not disrupt the cluster).
const REMEMBERED_REMOVALS: usize = 64;

/// `self_pos` while we are not a member.
const NOT_MEMBER: usize = usize::MAX;

/// Members and progress. `U` is the host's data for each member.
/// Laid out in declaration order (`repr(C)`), what a tick and a message
/// read first, after the server's own hot fields (see `Server`).
#[derive(Debug)]
#[repr(C)]
pub struct Tracker<U> {
    /// How many members are voters, counted when first asked after a change
    /// of the members or of their flags ([`UNCOUNTED`] until then).
    voter_count: std::cell::Cell<usize>,
    /// Our own position while we are a member (else [`NOT_MEMBER`]).
    self_pos: usize,
    self_id: NodeId,
    flags: Vec<u8>,
    ids: Vec<NodeId>,
    next_idx: Vec<Index>,
    match_idx: Vec<Index>,
    /// Highest heartbeat round each member acknowledged in the leader's term
    /// (reads and leases, thesis §6.4; see `liveness.rs`).
    acked_round: Vec<u64>,
    /// How the leader replicates to each member (pipelining, [`progress`]).
    repl: Vec<ReplicationState>,
    /// Each member's messages in flight (capacity `window`).
    inflights: Vec<Inflights>,
    /// Messages in flight allowed per peer; 1 = stop-and-wait.
    window: usize,
    data: Vec<U>,
    /// Ids whose removal was applied, newest last.
    removed: Vec<NodeId>,
    /// Configuration entries appended and not yet applied, oldest first.
    pending: Vec<PendingChange>,
}

/// `voter_count` when it must be counted again.
const UNCOUNTED: usize = usize::MAX;

impl<U> Default for Tracker<U> {
    fn default() -> Self {
        Tracker {
            ids: Vec::new(),
            flags: Vec::new(),
            next_idx: Vec::new(),
            match_idx: Vec::new(),
            acked_round: Vec::new(),
            repl: Vec::new(),
            inflights: Vec::new(),
            window: 1,
            data: Vec::new(),
            self_id: NO_NODE,
            self_pos: NOT_MEMBER,
            removed: Vec::new(),
            pending: Vec::new(),
            voter_count: std::cell::Cell::new(UNCOUNTED),
        }
    }
}

impl<U> Tracker<U> {
    // ---- members ----------------------------------------------------------

    /// Number of members, voting or not, ourselves included.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Position of member `id`.
    #[inline]
    pub fn pos(&self, id: NodeId) -> Option<usize> {
        self.ids.iter().position(|&n| n == id)
    }
    pub fn contains(&self, id: NodeId) -> bool {
        self.pos(id).is_some()
    }
    /// The id of the member at `pos`.
    #[inline]
    pub fn id_at(&self, pos: usize) -> Option<NodeId> {
        self.ids.get(pos).copied()
    }
    /// The id we were given as ours (kept after our own removal).
    pub fn self_id(&self) -> NodeId {
        self.self_id
    }
    /// Our own position, while we are a member.
    #[inline(always)]
    pub fn self_pos(&self) -> Option<usize> {
        (self.self_pos != NOT_MEMBER).then_some(self.self_pos)
    }
    pub fn flags(&self, pos: usize) -> u8 {
        self.flags.get(pos).copied().unwrap_or(0)
    }
    #[inline]
    pub fn next_idx(&self, pos: usize) -> Index {
        self.next_idx.get(pos).copied().unwrap_or(1)
    }
    #[inline]
    pub fn match_idx(&self, pos: usize) -> Index {
        self.match_idx.get(pos).copied().unwrap_or(0)
    }
    /// A mutable view of the member at `pos`.
    pub fn slot(&mut self, pos: usize) -> Option<NodeSlot<'_>> {
        // The caller may change who votes.
        self.voter_count.set(UNCOUNTED);
        Some(NodeSlot {
            flags: self.flags.get_mut(pos)?,
            next_idx: self.next_idx.get_mut(pos)?,
            match_idx: self.match_idx.get_mut(pos)?,
        })
    }
    /// The slot of member `id`.
    pub fn slot_of(&mut self, id: NodeId) -> Option<NodeSlot<'_>> {
        let pos = self.pos(id)?;
        self.slot(pos)
    }
    pub fn data(&self, pos: usize) -> Option<&U> {
        self.data.get(pos)
    }
    pub fn data_mut(&mut self, pos: usize) -> Option<&mut U> {
        self.data.get_mut(pos)
    }
    /// Records the leader's progress for the member at `pos`: it holds
    /// everything up to `matched`, and the next entry to send follows it.
    #[inline]
    pub fn set_progress(&mut self, pos: usize, matched: Index) {
        if let (Some(n), Some(m)) = (self.next_idx.get_mut(pos), self.match_idx.get_mut(pos)) {
            *n = (matched + 1).max(1);
            *m = matched.max(0);
        }
    }

    /// Adds member `id` (voting or not) holding `data`; returns its position.
    /// The caller checked it is not a member.
    pub fn add(&mut self, id: NodeId, data: U, voting: bool, is_self: bool, next_idx: Index) -> usize {
        self.voter_count.set(UNCOUNTED);
        self.ids.push(id);
        self.flags.push(if voting { NEW_NODE_FLAGS } else { NEW_NODE_FLAGS & !VOTING });
        self.next_idx.push(next_idx.max(1));
        self.match_idx.push(0);
        self.acked_round.push(0);
        self.repl.push(ReplicationState::Probe);
        self.inflights.push(Inflights::new(if self.window > 1 { self.window } else { 0 }));
        self.data.push(data);
        self.removed.retain(|&r| r != id);
        let pos = self.ids.len() - 1;
        if is_self {
            self.self_id = id;
        }
        if id == self.self_id {
            self.self_pos = pos;
        }
        pos
    }

    /// Removes member `id`; later members move down one position.
    pub fn remove(&mut self, id: NodeId) -> bool {
        let Some(pos) = self.pos(id) else { return false };
        self.voter_count.set(UNCOUNTED);
        self.ids.remove(pos);
        self.flags.remove(pos);
        self.next_idx.remove(pos);
        self.match_idx.remove(pos);
        self.acked_round.remove(pos);
        self.repl.remove(pos);
        self.inflights.remove(pos);
        self.data.remove(pos);
        if pos == self.self_pos {
            self.self_pos = NOT_MEMBER;
        } else if pos < self.self_pos && self.self_pos != NOT_MEMBER {
            self.self_pos -= 1;
        }
        true
    }

    /// Keeps only ourselves (loading a snapshot: the host re-adds the others).
    pub fn retain_only_self(&mut self) {
        while let Some(pos) = self.ids.iter().position(|&id| id != self.self_id) {
            let id = self.ids[pos];
            self.remove(id);
        }
    }

    /// Forgets every member, removal and pending change.
    pub fn clear(&mut self) {
        let window = self.window;
        *self = Tracker::default();
        self.window = window;
    }

    // ---- voters and quorums (paper §5.2, §5.3) ----------------------------

    #[inline(always)]
    pub fn is_voter_at(&self, pos: usize) -> bool {
        is_voter(self.flags(pos))
    }
    /// Positions of the voters: members that vote and are not being removed.
    #[inline]
    pub fn voters(&self) -> impl Iterator<Item = usize> + '_ {
        self.flags.iter().enumerate().filter(|(_, &f)| is_voter(f)).map(|(p, _)| p)
    }
    #[inline]
    pub fn num_voters(&self) -> usize {
        let n = self.voter_count.get();
        if n != UNCOUNTED {
            return n;
        }
        let n = self.voters().count();
        self.voter_count.set(n);
        n
    }
    /// Whether we are an active voter in our latest configuration.
    pub fn self_is_voter(&self) -> bool {
        self.self_pos().is_some_and(|p| self.is_voter_at(p))
    }
    /// Whether we vote but a REMOVE_NODE entry for us is in the log.
    pub fn self_is_being_removed(&self) -> bool {
        self.self_pos().is_some_and(|p| self.flags[p] & (VOTING | INACTIVE) == VOTING | INACTIVE)
    }
    /// Whether we are the only voter (stops at a second voter). A server
    /// with no voter at all, its own node included, is not one.
    #[inline]
    pub fn self_is_lone_voter(&self) -> bool {
        self.num_voters() == 1 && self.self_is_voter()
    }

    /// Votes granted to us: the voters (other than us) that granted theirs,
    /// plus our own when `self_voted` and we are a voter.
    pub fn votes_for_me(&self, self_voted: bool) -> i32 {
        let self_pos = self.self_pos();
        let others = self
            .voters()
            .filter(|&p| Some(p) != self_pos && self.flags[p] & HAS_VOTE_FOR_ME != 0)
            .count() as i32;
        others + (self_voted && self.self_is_voter()) as i32
    }
    /// Whether the votes granted to us are a majority of the voters.
    pub fn vote_won(&self, self_voted: bool) -> bool {
        quorum::votes_is_majority(self.num_voters() as i32, self.votes_for_me(self_voted))
    }
    /// Forgets the votes of the last election.
    pub fn reset_votes(&mut self) {
        for f in self.flags.iter_mut() {
            *f &= !HAS_VOTE_FOR_ME;
        }
    }
    /// Marks that `pos` granted us its vote.
    pub fn record_vote(&mut self, pos: usize) {
        if let Some(f) = self.flags.get_mut(pos) {
            *f |= HAS_VOTE_FOR_ME;
        }
    }

    /// The highest index a majority of the voters hold (paper Figure 2, Rules
    /// for Servers, Leaders, last bullet; the term check is the caller's).
    /// Our own log counts as matching up to `self_match`. Linear in the
    /// number of voters.
    #[inline]
    pub fn committed_index(&self, self_match: Index) -> Index {
        const SMALL: usize = 8;
        let mut small = [0 as Index; SMALL];
        let mut n = 0;
        for (p, (&f, &m)) in self.flags.iter().zip(self.match_idx.iter()).enumerate() {
            if is_voter(f) {
                if n == SMALL {
                    return self.committed_index_many(self_match);
                }
                small[n] = if p == self.self_pos { self_match } else { m };
                n += 1;
            }
        }
        quorum::majority_index(&mut small[..n])
    }

    #[cold]
    fn committed_index_many(&self, self_match: Index) -> Index {
        let self_pos = self.self_pos();
        let mut all: Vec<Index> =
            self.voters().map(|p| if Some(p) == self_pos { self_match } else { self.match_idx[p] }).collect();
        quorum::majority_index(&mut all)
    }

    /// Whether a majority of the voters hold `idx` (our own log counting as
    /// holding up to `self_match`): one pass that stops at the majority, no
    /// buffer. When it holds, `idx` is at most [`Tracker::committed_index`].
    #[inline(always)]
    pub fn quorum_holds(&self, idx: Index, self_match: Index) -> bool {
        let majority = self.num_voters() / 2 + 1;
        let mut holding = 0usize;
        let members = self.flags.len().min(self.match_idx.len());
        for p in 0..members {
            let m = if p == self.self_pos { self_match } else { self.match_idx[p] };
            if m >= idx && is_voter(self.flags[p]) {
                holding += 1;
                if holding == majority {
                    return true;
                }
            }
        }
        false
    }

    /// A new leader's view of its peers (Figure 2, "Volatile state on
    /// leaders"): next index after its last entry, nothing known to match.
    pub fn reset_progress(&mut self, next: Index) {
        self.next_idx.iter_mut().for_each(|n| *n = next.max(1));
        self.match_idx.iter_mut().for_each(|m| *m = 0);
        self.repl.iter_mut().for_each(|r| *r = ReplicationState::Probe);
        self.inflights.iter_mut().for_each(Inflights::reset);
        self.flags.iter_mut().for_each(|f| *f &= !node::PROBE_SENT);
    }

    // ---- removed ids (thesis §4.2.3) ---------------------------------------

    /// Whether `id`'s removal was applied here (among the last few).
    pub fn was_removed(&self, id: NodeId) -> bool {
        self.removed.contains(&id)
    }
    fn remember_removed(&mut self, id: NodeId) {
        if self.removed.len() == REMEMBERED_REMOVALS {
            self.removed.remove(0);
        }
        self.removed.push(id);
    }

    // ---- configuration changes (thesis §4.1) --------------------------------

    /// Whether a change that may change the voters is appended and not applied.
    pub fn voting_change_in_progress(&self) -> bool {
        self.pending.iter().any(|p| p.changes_voters)
    }
    /// Whether an appended, uncommitted DEMOTE_NODE or REMOVE_NODE names us.
    pub fn own_demotion_pending(&self, commit_idx: Index) -> bool {
        self.self_pos().is_some()
            && self
                .pending
                .iter()
                .any(|p| p.idx > commit_idx && p.change.kind.removes_vote() && p.change.node == self.self_id)
    }
    /// Whether `change`, proposed now, may change the voters: always for
    /// ADD_NODE and DEMOTE_NODE; for REMOVE_NODE when it names a voter or a
    /// node we cannot identify.
    pub fn would_change_voters(&self, change: &ConfigChange) -> bool {
        match change.kind {
            ChangeKind::Remove if change.names_node() => self.pos(change.node).is_some_and(|p| self.is_voter_at(p)),
            kind => kind.may_change_voters(),
        }
    }

    /// Records the configuration entry just appended at `idx` and gives it
    /// effect (phase Appended).
    pub fn append_change(&mut self, idx: Index, change: ConfigChange, next_idx: Index) -> Effect
    where
        U: Default,
    {
        let changes_voters = self.would_change_voters(&change);
        self.pending.push(PendingChange { idx, change, changes_voters });
        self.apply(change, Phase::Appended, next_idx)
    }
    /// Undoes the pending change at `idx` (its entry was popped).
    pub fn pop_change(&mut self, idx: Index) -> Effect
    where
        U: Default,
    {
        match self.pending.iter().rposition(|p| p.idx == idx) {
            Some(i) => {
                let p = self.pending.remove(i);
                self.apply(p.change, Phase::Popped, 1)
            }
            None => Effect::None,
        }
    }
    /// Finalises the pending change at `idx` (its entry was applied).
    pub fn commit_change(&mut self, idx: Index) -> Effect
    where
        U: Default,
    {
        match self.pending.iter().position(|p| p.idx == idx) {
            Some(i) => {
                let p = self.pending.remove(i);
                self.apply(p.change, Phase::Committed, 1)
            }
            None => Effect::None,
        }
    }
    /// Forgets pending changes (the log they were in was discarded).
    pub fn clear_pending(&mut self) {
        self.pending.clear();
    }

    /// The effect of `change` on the members in `phase` (thesis §4.1).
    /// `next_idx` is where a leader starts replicating to an added node.
    pub fn apply(&mut self, change: ConfigChange, phase: Phase, next_idx: Index) -> Effect
    where
        U: Default,
    {
        if !change.names_node() {
            return Effect::None;
        }
        let id = change.node;
        let is_self = id == self.self_id;
        let pos = self.pos(id);
        match (phase, change.kind, pos) {
            (Phase::Appended, ChangeKind::AddNonVoting, None) => {
                self.add(id, U::default(), false, is_self, next_idx);
                Effect::Added(id)
            }
            (Phase::Appended, ChangeKind::Add, None) => {
                self.add(id, U::default(), true, is_self, next_idx);
                Effect::Added(id)
            }
            (_, _, None) => Effect::None,
            (Phase::Appended, kind, Some(p)) => {
                let mut n = self.slot(p).expect("member");
                match kind {
                    ChangeKind::AddNonVoting => n.set_active(true),
                    ChangeKind::Add => {
                        n.set_active(true);
                        n.set_voting(true);
                    }
                    ChangeKind::Demote => {
                        n.set_voting(false);
                        // A demoted voter is not a joining node waiting to be
                        // promoted: never offer it to node_has_sufficient_logs.
                        n.set_has_sufficient_logs();
                    }
                    ChangeKind::Remove => n.set_active(false),
                }
                Effect::None
            }
            (Phase::Popped, kind, Some(p)) => {
                if kind == ChangeKind::AddNonVoting {
                    return if is_self { Effect::None } else { Effect::Removing(id) };
                }
                let mut n = self.slot(p).expect("member");
                match kind {
                    ChangeKind::Add => n.set_voting(false),
                    ChangeKind::Demote => n.set_voting(true),
                    ChangeKind::Remove => n.set_active(true),
                    ChangeKind::AddNonVoting => {}
                }
                Effect::None
            }
            (Phase::Committed, kind, Some(p)) => {
                if kind == ChangeKind::Remove {
                    if !is_self {
                        self.remember_removed(id);
                    }
                    return Effect::Removing(id);
                }
                let mut n = self.slot(p).expect("member");
                match kind {
                    ChangeKind::Add => {
                        n.set_addition_committed(true);
                        n.set_voting_committed(true);
                        n.set_has_sufficient_logs();
                    }
                    ChangeKind::AddNonVoting => n.set_addition_committed(true),
                    ChangeKind::Demote => n.set_voting_committed(false),
                    ChangeKind::Remove => {}
                }
                Effect::None
            }
        }
    }

    /// Whether the member at `pos` is a joining node the host has not yet
    /// been told has caught up: active, non-voting, not reported.
    pub fn is_catching_up(&self, pos: usize) -> bool {
        self.flags(pos) & (VOTING | INACTIVE | HAS_SUFFICIENT_LOGS) == 0
    }
}

#[cfg(test)]
mod tests;
