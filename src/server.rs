//! The server's state (paper Figure 2, "State") and the small operations on
//! it: terms, votes, roles, membership list, timers. The protocol rules live
//! in `election`, `replication`, `membership` and `snapshot`.

use crate::host::Host;
use crate::log::Log;
use crate::node::Node;
use crate::rng::Rng;
use crate::types::*;

/// Default election timeout, ms (willemt: 1000).
pub const DEFAULT_ELECTION_TIMEOUT: i32 = 1000;
/// Default request (heartbeat) timeout, ms (willemt: 200).
pub const DEFAULT_REQUEST_TIMEOUT: i32 = 200;

/// Flag for [`Server::begin_snapshot`]: keep applying entries while the
/// snapshot is taken (C `RAFT_SNAPSHOT_NONBLOCKING_APPLY`).
pub const SNAPSHOT_NONBLOCKING_APPLY: i32 = 1;

/// Deliberate rule violations, so that a simulator can prove it catches them.
/// Never set them outside such tests.
pub mod fault {
    /// Votes are not handed to `persist_vote`.
    pub const SKIP_PERSIST_VOTE: u32 = 1;
    /// A leader commits entries of earlier terms by counting replicas (paper §5.4.2, Figure 8).
    pub const COMMIT_PREVIOUS_TERM: u32 = 2;
    /// Votes are granted without the log up-to-date check (paper §5.4.1).
    pub const NO_LOG_CHECK_ON_VOTE: u32 = 4;
    /// A follower overwrites a conflicting entry without removing the entries after it.
    pub const NO_TRUNCATE_ON_CONFLICT: u32 = 8;
}

/// One Raft server. Not thread-safe; all calls on one server must be serialized.
pub struct Server<H: Host> {
    /// The host's own state, reachable from every callback.
    pub host: H,
    pub(crate) current_term: Term,
    pub(crate) voted_for: NodeId,
    pub(crate) state: State,
    pub(crate) current_leader: NodeId,
    pub(crate) commit_idx: Index,
    pub(crate) last_applied_idx: Index,
    pub(crate) timeout_elapsed: i32,
    pub(crate) election_timeout: i32,
    pub(crate) election_timeout_rand: i32,
    pub(crate) request_timeout: i32,
    pub(crate) nodes: Vec<Box<Node<H::NodeData>>>,
    /// `nodes[i].id()`, kept beside them so lookups scan a flat array.
    pub(crate) node_ids: Vec<NodeId>,
    /// Ids whose removal we applied (newest last, bounded): their votes
    /// requests must not disturb the cluster (thesis §4.2.3).
    pub(crate) removed_ids: Vec<NodeId>,
    pub(crate) self_id: NodeId,
    pub(crate) log: Log<H::Data>,
    /// Index of the newest voting configuration change not yet applied, or -1.
    pub(crate) voting_cfg_change_log_idx: Index,
    pub(crate) snapshot_last_idx: Index,
    pub(crate) snapshot_last_term: Term,
    pub(crate) saved_snapshot: (Index, Term),
    pub(crate) snapshot_in_progress: bool,
    pub(crate) snapshot_flags: i32,
    pub(crate) max_entries_per_msg: usize,
    pub(crate) rng: Rng,
    /// Deliberate rule violations for simulator self-tests ([`fault`]).
    pub(crate) faults: u32,
}

impl<H: Host> Server<H> {
    /// A follower in term 0 with no nodes and an empty log.
    pub fn new(host: H) -> Self {
        let mut s = Server {
            host,
            current_term: 0,
            voted_for: NO_NODE,
            state: State::Follower,
            current_leader: NO_NODE,
            commit_idx: 0,
            last_applied_idx: 0,
            timeout_elapsed: 0,
            election_timeout: DEFAULT_ELECTION_TIMEOUT,
            election_timeout_rand: DEFAULT_ELECTION_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            nodes: Vec::new(),
            node_ids: Vec::new(),
            removed_ids: Vec::new(),
            self_id: NO_NODE,
            log: Log::default(),
            voting_cfg_change_log_idx: -1,
            snapshot_last_idx: 0,
            snapshot_last_term: 0,
            saved_snapshot: (0, 0),
            snapshot_in_progress: false,
            snapshot_flags: 0,
            max_entries_per_msg: usize::MAX,
            rng: Rng::from_entropy(),
            faults: 0,
        };
        s.randomize_election_timeout();
        s
    }

    /// Back to the state of a new server: term 0, no vote, no nodes, empty
    /// log. No callback is made (the host still owns the payloads of the
    /// entries dropped here).
    pub fn clear(&mut self) {
        self.current_term = 0;
        self.voted_for = NO_NODE;
        self.timeout_elapsed = 0;
        self.randomize_election_timeout();
        self.voting_cfg_change_log_idx = -1;
        self.state = State::Follower;
        self.current_leader = NO_NODE;
        self.commit_idx = 0;
        self.last_applied_idx = 0;
        self.nodes.clear();
        self.node_ids.clear();
        self.removed_ids.clear();
        self.self_id = NO_NODE;
        self.log.reset(0, 0);
        self.snapshot_last_idx = 0;
        self.snapshot_last_term = 0;
        self.saved_snapshot = (0, 0);
        self.snapshot_in_progress = false;
        self.snapshot_flags = 0;
    }

    // ---- timers -------------------------------------------------------

    /// Sets the election timeout (ms) and draws a new randomized timeout.
    pub fn set_election_timeout(&mut self, msec: i32) {
        self.election_timeout = msec.max(0);
        self.randomize_election_timeout();
    }
    pub fn election_timeout(&self) -> i32 {
        self.election_timeout
    }
    /// The current randomized election timeout, in [timeout, 2 × timeout).
    pub fn election_timeout_rand(&self) -> i32 {
        self.election_timeout_rand
    }
    /// Sets the heartbeat interval (ms).
    pub fn set_request_timeout(&mut self, msec: i32) {
        self.request_timeout = msec.max(0);
    }
    pub fn request_timeout(&self) -> i32 {
        self.request_timeout
    }
    /// Milliseconds since the election timer or heartbeat timer was reset.
    pub fn timeout_elapsed(&self) -> i32 {
        self.timeout_elapsed
    }
    /// Draws the election timeout uniformly from [timeout, 2 × timeout)
    /// (paper §5.2).
    pub fn randomize_election_timeout(&mut self) {
        let t = self.election_timeout;
        self.election_timeout_rand = if t > 0 { t + (self.rng.next_u64() % t as u64) as i32 } else { 0 };
    }
    /// Seeds this server's generator, so that runs replay exactly.
    pub fn set_random_seed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
        self.randomize_election_timeout();
    }
    /// Caps the entries carried by one AppendEntries (0 = no cap).
    pub fn set_max_entries_per_msg(&mut self, n: usize) {
        self.max_entries_per_msg = if n == 0 { usize::MAX } else { n };
    }

    // ---- plain getters --------------------------------------------------

    pub fn current_term(&self) -> Term {
        self.current_term
    }
    /// Who we voted for in the current term, or -1.
    pub fn voted_for(&self) -> NodeId {
        self.voted_for
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn is_leader(&self) -> bool {
        self.state == State::Leader
    }
    pub fn is_follower(&self) -> bool {
        self.state == State::Follower
    }
    pub fn is_candidate(&self) -> bool {
        self.state == State::Candidate
    }
    /// Id of the leader we currently follow (ourselves when leading), or -1.
    pub fn current_leader(&self) -> NodeId {
        self.current_leader
    }
    pub fn commit_idx(&self) -> Index {
        self.commit_idx
    }
    pub fn last_applied_idx(&self) -> Index {
        self.last_applied_idx
    }
    /// Index of the last log entry (or of the snapshot when the log is empty).
    pub fn current_idx(&self) -> Index {
        self.log.current_idx()
    }
    /// Number of entries in the log (compacted ones excluded).
    pub fn log_count(&self) -> Index {
        self.log.count()
    }
    /// willemt's `raft_get_first_entry_idx`: 1 before any snapshot, else the
    /// snapshot's last index. (The oldest entry held is `log_base() + 1`.)
    pub fn first_entry_idx(&self) -> Index {
        if self.snapshot_last_idx == 0 {
            1
        } else {
            self.snapshot_last_idx
        }
    }
    /// Index of the last compacted entry (0 when none).
    pub fn log_base(&self) -> Index {
        self.log.base()
    }
    /// Term of the last entry (or of the snapshot when the log is empty).
    pub fn last_log_term(&self) -> Term {
        self.log.last_term()
    }
    /// Term of the entry at `idx`, when known (also for the snapshot's index).
    pub fn term_at(&self, idx: Index) -> Option<Term> {
        self.log.term_at(idx)
    }
    pub fn entry(&self, idx: Index) -> Option<&Entry<H::Data>> {
        self.log.get(idx)
    }
    pub fn entry_mut(&mut self, idx: Index) -> Option<&mut Entry<H::Data>> {
        self.log.get_mut(idx)
    }
    /// Whether `entries` lie in this server's own log storage.
    pub fn log_overlaps(&self, entries: &[Entry<H::Data>]) -> bool {
        self.log.overlaps(entries)
    }
    /// The newest entry, mutably (what `log_offer` is about).
    pub fn last_entry_mut(&mut self) -> Option<&mut Entry<H::Data>> {
        self.log.last_mut()
    }
    /// Up to `n` contiguous entries from `idx`.
    pub fn entries_from(&self, idx: Index, n: usize) -> &[Entry<H::Data>] {
        self.log.slice_from(idx, n)
    }
    /// The most recently applied entry, while it is still in the log.
    pub fn last_applied_entry(&self) -> Option<&Entry<H::Data>> {
        self.log.get(self.last_applied_idx)
    }
    /// Bytes of log slots reserved (payloads excluded).
    pub fn log_capacity_bytes(&self) -> usize {
        self.log.capacity_bytes()
    }

    // ---- nodes ----------------------------------------------------------

    /// Our own id, or -1 when no node was added as self (or it was removed).
    pub fn node_id(&self) -> NodeId {
        if self.my_node().is_some() {
            self.self_id
        } else {
            NO_NODE
        }
    }
    pub fn node(&self, id: NodeId) -> Option<&Node<H::NodeData>> {
        self.node_pos(id).and_then(|p| self.nodes.get(p)).map(|b| &**b)
    }
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut Node<H::NodeData>> {
        match self.node_pos(id) {
            Some(p) => self.nodes.get_mut(p).map(|b| &mut **b),
            None => None,
        }
    }
    /// The `i`-th node in insertion order.
    pub fn node_at(&self, i: usize) -> Option<&Node<H::NodeData>> {
        self.nodes.get(i).map(|b| &**b)
    }
    pub fn node_at_mut(&mut self, i: usize) -> Option<&mut Node<H::NodeData>> {
        self.nodes.get_mut(i).map(|b| &mut **b)
    }
    pub fn my_node(&self) -> Option<&Node<H::NodeData>> {
        if self.self_id == NO_NODE {
            return None;
        }
        self.node(self.self_id)
    }
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }
    pub fn nodes(&self) -> impl Iterator<Item = &Node<H::NodeData>> {
        self.nodes.iter().map(|b| &**b)
    }
    /// Active voting nodes, ourselves included.
    pub fn num_voting_nodes(&self) -> i32 {
        self.nodes.iter().filter(|n| n.is_active() && n.is_voting()).count() as i32
    }
    #[inline]
    pub(crate) fn node_pos(&self, id: NodeId) -> Option<usize> {
        self.node_ids.iter().position(|&n| n == id)
    }

    /// Adds a voting node. If `id` is already a non-voting member it becomes
    /// voting; if it is already voting nothing changes and `false` is returned.
    pub fn add_node(&mut self, udata: H::NodeData, id: NodeId, is_self: bool) -> bool {
        self.add_node_internal(None, udata, id, is_self, true)
    }

    /// Adds a non-voting node; `false` if `id` is already a member.
    pub fn add_non_voting_node(&mut self, udata: H::NodeData, id: NodeId, is_self: bool) -> bool {
        if self.node(id).is_some() {
            return false;
        }
        self.add_node_internal(None, udata, id, is_self, false)
    }

    pub(crate) fn add_node_internal(
        &mut self,
        entry_idx: Option<Index>,
        udata: H::NodeData,
        id: NodeId,
        is_self: bool,
        voting: bool,
    ) -> bool {
        if let Some(n) = self.node_mut(id) {
            if voting && !n.is_voting() {
                n.set_voting(true);
                return true;
            }
            return false;
        }
        let mut node = Node::new(udata, id);
        node.set_voting(voting);
        if self.is_leader() {
            node.set_next_idx(self.current_idx() + 1);
        }
        self.nodes.push(Box::new(node));
        self.node_ids.push(id);
        self.removed_ids.retain(|&r| r != id);
        if is_self {
            self.self_id = id;
        }
        H::notify_membership_event(self, id, entry_idx, Membership::Add);
        true
    }

    /// Removes node `id` (after telling the host), if it is a member.
    pub fn remove_node(&mut self, id: NodeId) -> bool {
        if self.node(id).is_none() {
            return false;
        }
        H::notify_membership_event(self, id, None, Membership::Remove);
        match self.node_pos(id) {
            Some(pos) => {
                self.nodes.remove(pos);
                self.node_ids.remove(pos);
                if self.current_leader == id {
                    self.current_leader = NO_NODE;
                }
                true
            }
            None => false,
        }
    }

    /// Votes granted to us in this election, our own included when we are an
    /// active voter.
    pub fn nvotes_for_me(&self) -> i32 {
        let mut votes = self
            .nodes
            .iter()
            .filter(|n| n.id() != self.self_id && n.is_active() && n.is_voting() && n.has_vote_for_me())
            .count() as i32;
        // Our own vote counts only if we are in our latest configuration.
        if self.voted_for == self.self_id && self.is_active_voter() {
            votes += 1;
        }
        votes
    }

    // ---- persistent state: term and vote (paper Figure 2) ----------------

    /// Moves to a higher term, clearing the vote. `persist_term` is called
    /// first; if it fails nothing changes. Lower or equal terms are ignored.
    pub fn set_current_term(&mut self, term: Term) -> RaftResult {
        if self.current_term < term {
            let e = H::persist_term(self, term, NO_NODE);
            if e != 0 {
                return Err(e);
            }
            self.current_term = term;
            self.voted_for = NO_NODE;
        }
        Ok(())
    }

    /// Records our vote for `id` (-1 clears it) after `persist_vote` succeeds.
    pub fn vote_for(&mut self, id: NodeId) -> RaftResult {
        let e = if self.has_fault(fault::SKIP_PERSIST_VOTE) { 0 } else { H::persist_vote(self, id) };
        if e != 0 {
            return Err(e);
        }
        self.voted_for = id;
        Ok(())
    }

    // ---- low-level setters (tests, simulators, recovery) ----------------

    /// Forces the role. Becoming leader this way makes us the current leader.
    pub fn set_state(&mut self, state: State) {
        if state == State::Leader {
            self.current_leader = self.self_id;
        }
        self.state = state;
    }

    /// Raises the commit index, up to the last log index; never lowers it.
    pub fn set_commit_idx(&mut self, idx: Index) {
        let idx = idx.min(self.current_idx());
        if idx > self.commit_idx {
            self.commit_idx = idx;
        }
    }

    /// Sets the last applied index (recovery and tests).
    pub fn set_last_applied_idx(&mut self, idx: Index) {
        self.last_applied_idx = idx.max(0);
    }

    /// Enables the [`fault`] bits (testing only).
    pub fn set_fault_injection(&mut self, faults: u32) {
        self.faults = faults;
    }
    pub(crate) fn has_fault(&self, f: u32) -> bool {
        self.faults & f != 0
    }

    pub(crate) fn log_enabled(&self) -> bool {
        H::log_enabled(self)
    }
    pub(crate) fn emit_log(&mut self, node: Option<NodeId>, msg: &str) {
        H::log(self, node, msg);
    }
}
