//! Growing and shrinking the log: client proposals on the leader
//! (willemt's `raft_recv_entry`), appending an entry anywhere (`log_offer`
//! before it counts), and removing conflicting entries (`log_pop`), each
//! with the configuration effect of the entries involved (thesis §4.1).

use crate::host::Host;
use crate::server::Server;
use crate::tracker::config::ConfigChange;
use crate::types::*;

impl<H: Host> Server<H> {
    /// A client proposal on the leader: appends `entry` (naming `node` when
    /// it is a configuration change) in the current term and sends it to the
    /// followers that were caught up.
    pub fn retain_entry(&mut self, entry: Entry<H::Data>, node: NodeId) -> RaftResult<EntryResponse> {
        let id = entry.id;
        self.propose(entry, node)?;
        let idx = self.current_idx();
        self.replicate_new_entries(idx);
        Ok(EntryResponse { id, term: self.current_term, idx })
    }

    /// Client proposals on the leader, in order, as [`Server::retain_entry`]
    /// each, but sent on once for the whole batch. Each entry's term is set.
    /// On a refusal, returns how many were appended and the error for the next.
    pub fn retain_entries(&mut self, entries: &mut [Entry<H::Data>], nodes: &[NodeId]) -> Result<(), (usize, i32)> {
        let first = self.current_idx() + 1;
        if self.opts.max_uncommitted_bytes == 0 && !any_cfg_change(entries) {
            // No entry needs checks of its own: those of the leader hold for all.
            return self.retain_plain_entries(entries, first);
        }
        let node_of = |k: usize| named_node(nodes, k);
        // entries[..done] are appended; entries[done..done + run] passed
        // their checks and are appended together (one batched offer).
        let (mut done, mut run, mut run_bytes) = (0, 0, 0);
        let mut refusal = None;
        for k in 0..entries.len() {
            let cfg = entries[k].is_cfg_change();
            if cfg && run > 0 {
                // A configuration entry is checked against the log as it is
                // once the entries before it are in.
                if let Err(e) = self.append_proposals(&entries[done..done + run], nodes.get(done..).unwrap_or(&[]), &mut done, run_bytes) {
                    refusal = Some(e);
                    break;
                }
                (run, run_bytes) = (0, 0);
            }
            match self.check_proposal(&entries[k], node_of(k), run_bytes) {
                Ok(len) => {
                    entries[k].term = self.current_term;
                    run += 1;
                    run_bytes += len;
                }
                Err(e) => {
                    refusal = Some(e);
                    break;
                }
            }
            if cfg {
                if let Err(e) = self.append_proposals(&entries[k..k + 1], nodes.get(k..k + 1).unwrap_or(&[]), &mut done, run_bytes) {
                    refusal = Some(e);
                    break;
                }
                (run, run_bytes) = (0, 0);
            }
        }
        if refusal.is_none() && run > 0 {
            if let Err(e) = self.append_proposals(&entries[done..done + run], nodes.get(done..).unwrap_or(&[]), &mut done, run_bytes) {
                refusal = Some(e);
            }
        }
        if done > 0 {
            self.replicate_new_entries(first);
        }
        match refusal {
            None => Ok(()),
            Some(e) => Err((done, e)),
        }
    }

    /// [`Server::retain_entries`] for a batch without configuration entries
    /// while the uncommitted log is unbounded: checked once, appended as one run.
    fn retain_plain_entries(&mut self, entries: &mut [Entry<H::Data>], first: Index) -> Result<(), (usize, i32)> {
        if let Some(first) = entries.first() {
            self.check_proposal(first, NO_NODE, 0).map_err(|e| (0, e))?;
        }
        let term = self.current_term;
        entries.iter_mut().for_each(|e| e.term = term);
        let result = self.append_run(entries, &[]);
        let done = match result {
            Ok(()) => entries.len(),
            Err((n, _)) => n,
        };
        if done > 0 {
            self.replicate_new_entries(first);
        }
        result
    }

    /// Appends proposals that passed their checks (as one run), counting
    /// them in `done` and their bytes against the uncommitted bound.
    fn append_proposals(&mut self, run: &[Entry<H::Data>], nodes: &[NodeId], done: &mut usize, bytes: usize) -> RaftResult {
        let nodes = if nodes.is_empty() { nodes } else { &nodes[..run.len()] };
        let result = self.append_run(run, nodes);
        let appended = match result {
            Ok(()) => run.len(),
            Err((n, _)) => n,
        };
        *done += appended;
        if appended == run.len() {
            self.load.uncommitted_bytes += bytes;
        }
        result.map_err(|(_, e)| e)
    }

    /// The checks a proposal must pass before it is appended in the leader's
    /// term (`pending` payload bytes are about to be appended before it).
    /// Returns its payload bytes as the uncommitted bound counts them.
    #[inline(always)]
    fn check_proposal(&self, entry: &Entry<H::Data>, node: NodeId, pending: usize) -> RaftResult<usize> {
        if let Some(change) = ConfigChange::of(entry.etype, node) {
            if self.tracker.would_change_voters(&change) {
                if let Some(e) = self.voting_change_refusal() {
                    return Err(e);
                }
            }
        }
        if !self.is_leader() {
            return Err(err::NOT_LEADER);
        }
        if self.transfer_blocks_entries() {
            return Err(err::LEADER_TRANSFER_IN_PROGRESS);
        }
        if self.opts.max_uncommitted_bytes == 0 {
            return Ok(0);
        }
        let len = H::data_len(&entry.data);
        self.check_uncommitted_bound(len, pending, entry)?;
        Ok(len)
    }

    /// The checks and the append of one proposal, in the leader's term;
    /// sending is the caller's.
    #[inline(always)]
    fn propose(&mut self, mut entry: Entry<H::Data>, node: NodeId) -> RaftResult {
        let len = self.check_proposal(&entry, node, 0)?;
        entry.term = self.current_term;
        self.append_entry(entry, node)?;
        self.load.uncommitted_bytes += len;
        Ok(())
    }

    /// The bound on the uncommitted log (etcd's MaxUncommittedEntriesSize):
    /// a proposal that would take the leader's uncommitted payload bytes
    /// over the limit is refused, unless it is empty, a configuration
    /// change, or the only uncommitted entry.
    fn check_uncommitted_bound(&self, len: usize, pending: usize, entry: &Entry<H::Data>) -> RaftResult {
        let limit = self.opts.max_uncommitted_bytes;
        let held = self.load.uncommitted_bytes + pending;
        if len > 0 && !entry.is_cfg_change() && held > 0 && held.saturating_add(len) > limit {
            return Err(err::UNCOMMITTED_LIMIT);
        }
        Ok(())
    }

    /// Sends the entries just appended (from `first`) on: to followers that
    /// were caught up (stop-and-wait), or within each peer's window
    /// (pipelined). A lone voter commits at once.
    #[inline(always)]
    fn replicate_new_entries(&mut self, first: Index) {
        let me = self.tracker.self_pos();
        let members = self.tracker.len();
        if self.tracker.pipelining() {
            for pos in (0..members).filter(|&p| Some(p) != me) {
                self.replicate_to(pos);
            }
        } else {
            for pos in (0..members).filter(|&p| Some(p) != me) {
                if self.tracker.next_idx(pos) == first {
                    if let Some(nid) = self.tracker.id_at(pos) {
                        let _ = self.send_appendentries_at(pos, nid);
                    }
                }
            }
        }
        let voters = self.tracker.num_voters();
        if voters == 0 || (voters == 1 && self.tracker.self_is_voter()) {
            self.advance_commit_idx(); // no other voter: we may be the only one
        }
    }

    /// A new leader's no-op (option `noop_on_election`): an empty entry of its
    /// term, so that an entry of its term commits without waiting for a
    /// client (reads need one, thesis §6.4). If the host cannot make one, or
    /// `log_offer` fails, no no-op is appended (reads then wait for a client
    /// entry of the term to commit).
    pub(crate) fn append_noop(&mut self) {
        let Some(data) = H::noop_data(self) else { return };
        let noop = Entry { term: self.current_term, id: 0, etype: entry_type::NO_OP, data };
        match self.append_entry(noop, NO_NODE) {
            Ok(()) => self.advance_commit_idx(), // we may be the only voter
            Err(e) => log_msg!(self, Warning, None, "no-op entry not appended: log_offer returned {}", e),
        }
    }

    /// Whether a leader may append a change of the voters now: none is in
    /// flight, and an entry of its own term is committed — otherwise an
    /// uncommitted change appended by an earlier leader, which this log may
    /// not even hold, could still commit beside ours and let two disjoint
    /// majorities form (the single-server change bug; Ongaro, raft-dev 2015).
    /// In term 1 there was no earlier leader, so the second condition holds.
    pub fn may_change_voters(&self) -> bool {
        !self.tracker.voting_change_in_progress()
            && (self.current_term <= 1 || self.log.term_at(self.commit_idx) == Some(self.current_term))
    }

    /// Why a change of the voters proposed now would be refused, if it
    /// would: another in flight or no entry of this term committed yet
    /// ([`Server::may_change_voters`]), or a snapshot being taken that blocks
    /// applying entries (the change could not be applied before it ends).
    pub(crate) fn voting_change_refusal(&self) -> Option<i32> {
        if !self.may_change_voters() {
            Some(err::ONE_VOTING_CHANGE_ONLY)
        } else if !self.is_apply_allowed() {
            Some(err::SNAPSHOT_IN_PROGRESS)
        } else {
            None
        }
    }

    /// 1 when the proposal `r` is committed, 0 while it is not (yet), -1 when
    /// its index now holds another term's entry (it was overwritten).
    pub fn entry_response_committed(&self, r: &EntryResponse) -> i32 {
        match self.log.term_at(r.idx) {
            Some(t) if r.idx > 0 => {
                if t != r.term {
                    -1
                } else if r.idx <= self.commit_idx {
                    1
                } else {
                    0
                }
            }
            _ => {
                if r.idx > 0 && r.idx < self.log.base() && r.term > self.log.base_term() {
                    -1 // every compacted entry is older than the proposal's term
                } else {
                    0
                }
            }
        }
    }

    /// Appends `entry` as is (no term change) at `current_idx() + 1`:
    /// `log_offer` first, while the entry is not yet in the log; on its
    /// error nothing changes. A configuration entry naming `node` then takes
    /// effect (thesis §4.1: a configuration is used as soon as it is in the log).
    #[inline(always)]
    pub fn append_entry(&mut self, entry: Entry<H::Data>, node: NodeId) -> RaftResult {
        self.offer_and_admit(entry, || node)
    }

    /// [`Server::append_entry`], asking `node_of` for the node only when the
    /// entry is a configuration change.
    #[inline(always)]
    fn offer_and_admit(&mut self, mut entry: Entry<H::Data>, node_of: impl FnOnce() -> NodeId) -> RaftResult {
        let idx = self.log.current_idx() + 1;
        let e = H::log_offer(self, &mut entry, idx);
        if e != 0 {
            return Err(e);
        }
        if self.log.current_idx() + 1 != idx {
            return Err(err::FAIL); // the host changed the log under us
        }
        if entry.is_cfg_change() {
            self.admit(entry, idx, node_of());
        } else {
            self.admit_plain(entry, idx);
        }
        Ok(())
    }

    /// Appends `run` as it is from `current_idx() + 1` (`nodes`: the node each
    /// configuration entry names, by position, or empty): offered to the host
    /// in one call when it takes batches (then all or none is appended),
    /// else one `log_offer` each. On an error, how many were appended.
    #[inline(always)]
    pub(crate) fn append_run(&mut self, run: &[Entry<H::Data>], nodes: &[NodeId]) -> Result<(), (usize, i32)> {
        if H::offers_in_batches(self) {
            return self.append_run_batched(run, nodes);
        }
        for (k, entry) in run.iter().enumerate() {
            let node_of = || named_node(nodes, k);
            self.offer_and_admit(entry.clone(), node_of).map_err(|e| (k, e))?;
        }
        Ok(())
    }

    /// [`Server::append_run`] for a host that takes batches: one offer.
    fn append_run_batched(&mut self, run: &[Entry<H::Data>], nodes: &[NodeId]) -> Result<(), (usize, i32)> {
        let node_of = |k: usize| named_node(nodes, k);
        let first = self.current_idx() + 1;
        let mut staged = std::mem::take(&mut self.staging);
        staged.clear();
        staged.extend_from_slice(run);
        let e = H::log_offer_batch(self, &mut staged, first);
        let result = if e != 0 {
            Err((0, e))
        } else if self.current_idx() + 1 != first {
            Err((0, err::FAIL)) // the host changed the log under us
        } else if !any_cfg_change(&staged) {
            self.admit_plain_run(&staged);
            staged.clear();
            Ok(())
        } else {
            for (k, entry) in staged.drain(..).enumerate() {
                self.admit(entry, first + k as Index, node_of(k));
            }
            Ok(())
        };
        self.staging = staged;
        result
    }

    /// The entry offered for `idx` (= `current_idx() + 1`) counts in the log;
    /// a configuration entry naming `node` takes effect (thesis §4.1: a
    /// configuration is used as soon as it is in the log).
    #[inline(always)]
    fn admit(&mut self, entry: Entry<H::Data>, idx: Index, node: NodeId) {
        let etype = entry.etype;
        self.admit_plain(entry, idx);
        if let Some(change) = ConfigChange::of(etype, node) {
            let next = if self.is_leader() { self.current_idx() + 1 } else { 1 };
            let effect = self.tracker.append_change(idx, change, next);
            // The host hears of an added node (notify ADD) before any
            // callback names it, the `log` callback included.
            self.carry_out(effect, Some(idx));
            log_msg!(self, Info, Some(node), "cfg change {:?} appended at {}", change.kind, idx);
        }
    }

    /// The entry offered for `idx` counts in the log (no configuration effect).
    #[inline(always)]
    fn admit_plain(&mut self, entry: Entry<H::Data>, idx: Index) {
        self.log.push(entry);
        self.stats.entries_appended += 1;
        if !self.is_leader() {
            // Only a leader's own proposals wait for `flush` (parallel log
            // writes): a follower's entries are durable before its response
            // leaves, restored entries were durable already.
            self.load.synced_idx = idx;
        }
    }

    /// [`Server::admit_plain`] for a run offered as one batch.
    fn admit_plain_run(&mut self, run: &[Entry<H::Data>]) {
        self.log.extend_from_slice(run);
        self.stats.entries_appended += run.len() as u64;
        if !self.is_leader() {
            self.load.synced_idx = self.log.current_idx();
        }
    }

    /// Removes the entries from `idx` to the end, newest first, each after
    /// `log_pop` succeeds, undoing their configuration changes. Committed
    /// entries are never removed.
    pub(crate) fn delete_entries_from(&mut self, idx: Index) -> RaftResult {
        if idx <= self.commit_idx {
            return Err(err::SHUTDOWN);
        }
        while self.current_idx() >= idx && self.log.count() > 0 {
            let last = self.current_idx();
            let e = H::log_pop(self, last);
            if e != 0 {
                return Err(e);
            }
            if self.current_idx() != last {
                continue; // the host removed it itself
            }
            self.log.pop_back();
            self.load.synced_idx = self.load.synced_idx.min(last - 1);
            let effect = self.tracker.pop_change(last);
            self.carry_out(effect, None);
        }
        Ok(())
    }
}

/// The node the configuration entry at position `k` of a run names, from
/// `nodes` (one per entry, or empty when the run holds no configuration entry).
#[inline(always)]
fn named_node(nodes: &[NodeId], k: usize) -> NodeId {
    nodes.get(k).copied().unwrap_or(NO_NODE)
}
