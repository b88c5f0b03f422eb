//! Log replication, follower side: the AppendEntries receiver (paper §5.3,
//! Figure 2 "AppendEntries RPC, Receiver implementation").

use crate::fault;
use crate::host::Host;
use crate::server::Server;
use crate::types::*;

impl<H: Host> Server<H> {
    /// Handles an AppendEntries from `from` (the leader, when the host knows
    /// it) and fills the response: on success `current_idx` is the last index
    /// known to match the leader, on failure our last index (with the reject
    /// hint on, the hint: `reject_hint.rs`).
    #[inline(always)]
    pub fn recv_appendentries(
        &mut self,
        from: Option<NodeId>,
        ae: &AppendEntries<'_, H::Data>,
        resp: &mut AppendEntriesResponse,
    ) -> RaftResult {
        if !is_valid_term(ae.term)
            || !is_valid_term(ae.prev_log_term)
            || !is_valid_index(ae.prev_log_idx)
            || !is_valid_index(ae.leader_commit)
        {
            return Err(err::INVALID);
        }
        self.stats.appendentries_received += 1;
        resp.success = false;
        resp.first_idx = ae.prev_log_idx + 1;
        resp.current_idx = ae.prev_log_idx;
        let result = self.recv_appendentries_inner(from, ae, resp);
        resp.term = self.current_term;
        if !resp.success {
            resp.current_idx = self.current_idx();
            if self.opts.reject_hint {
                (resp.current_idx, resp.reject_hint_term) = self.reject_hint_for(ae.term, ae.prev_log_idx, ae.prev_log_term);
            }
        }
        result
    }

    #[inline(always)]
    fn recv_appendentries_inner(
        &mut self,
        from: Option<NodeId>,
        ae: &AppendEntries<'_, H::Data>,
        resp: &mut AppendEntriesResponse,
    ) -> RaftResult {
        if !ae.entries.is_empty() {
            log_msg!(self, Trace, from, "recvd appendentries t:{} ci:{} lc:{} pli:{} plt:{} #{}",
                    ae.term,
                    self.current_idx(),
                    ae.leader_commit,
                    ae.prev_log_idx,
                    ae.prev_log_term,
                    ae.entries.len());
        }
        // 1. Reply false if term < currentTerm (§5.1).
        if ae.term < self.current_term {
            return Ok(());
        }
        let leader = from.unwrap_or(NO_NODE);
        if !self.observe_term(ae.term, leader)? {
            if matches!(self.state, State::Candidate | State::PreCandidate) {
                // Someone won this term's election (§5.2).
                self.become_follower();
            } else if self.is_leader() {
                // Two leaders in one term cannot happen; refuse rather than follow.
                log_msg!(self, Warning, from, "appendentries from another leader of our term {}: refused", ae.term);
                return Ok(());
            }
        }
        self.current_leader = leader;
        self.timers.reset();
        self.timers.since_leader = 0;
        if self.transfer.is_some() {
            self.transfer_observe_leader(leader);
        }

        // 2. Reply false if log doesn't contain an entry at prevLogIndex whose
        //    term matches prevLogTerm (§5.3). Compacted entries are committed,
        //    hence match any legitimate leader's; with prevLogIndex 0 there is
        //    no previous entry, whatever prevLogTerm says.
        let base = self.log.base();
        if ae.prev_log_idx > 0 && ae.prev_log_idx >= base {
            match self.log.term_at(ae.prev_log_idx) {
                None => return Ok(()),
                Some(t) if t != ae.prev_log_term => {
                    if ae.prev_log_idx <= self.commit_idx {
                        return Err(err::SHUTDOWN);
                    }
                    // The entry and all that follow it cannot be the leader's.
                    self.delete_entries_from(ae.prev_log_idx)?;
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        resp.success = true;

        // 3. If an existing entry conflicts with a new one (same index but
        //    different terms), delete it and all that follow it (§5.3).
        // 4. Append any new entries not already in the log.
        let mut k = 0;
        // (When the entries start right after our last one, all are new.)
        let appending_at_end = ae.prev_log_idx == self.log.current_idx();
        while k < ae.entries.len() && !appending_at_end {
            let idx = ae.prev_log_idx + 1 + k as Index;
            if idx <= self.log.base() {
                resp.current_idx = idx;
                k += 1;
                continue;
            }
            match self.log.term_at(idx) {
                Some(t) if t == ae.entries[k].term => {
                    resp.current_idx = idx;
                    k += 1;
                }
                Some(_) => {
                    if idx <= self.commit_idx {
                        log_msg!(self, Error, from, "AE entry conflicts with committed entry {}", idx);
                        return Err(err::SHUTDOWN);
                    }
                    if self.has_fault(fault::NO_TRUNCATE_ON_CONFLICT) {
                        if let Some(e) = self.log.get_mut(idx) {
                            *e = ae.entries[k].clone();
                        }
                        resp.current_idx = idx;
                        k += 1;
                        continue;
                    }
                    self.delete_entries_from(idx)?;
                    break;
                }
                None => break,
            }
        }
        if k < ae.entries.len() {
            let nodes = ae.cfg_nodes.get(k..).unwrap_or(&[]);
            let appended = self.append_run(&ae.entries[k..], nodes);
            let n = match appended {
                Ok(()) => ae.entries.len() - k,
                Err((n, _)) => n,
            };
            if n > 0 {
                resp.current_idx = ae.prev_log_idx + (k + n) as Index;
            }
            appended.map_err(|(_, e)| e)?;
        }

        // 5. If leaderCommit > commitIndex, set commitIndex =
        //    min(leaderCommit, index of last new entry).
        if self.commit_idx < ae.leader_commit {
            self.set_commit_idx(ae.leader_commit.min(resp.current_idx));
        }
        Ok(())
    }
}
