//! Core tests through the safe Rust API: single rules and small clusters
//! driven by an in-memory host.

use crate::*;

#[derive(Clone, Debug)]
enum Msg {
    Rv(RequestVote),
    Rvr(RequestVoteResponse),
    Ae(AppendEntriesHeader, Vec<Entry<u64>>),
    Aer(AppendEntriesResponse),
}

#[derive(Default)]
struct TestHost {
    outbox: Vec<(NodeId, Msg)>,
    applied: Vec<(Index, u64)>,
    persisted: (Term, NodeId),
    fail_persist: bool,
    fail_offer: bool,
    popped: Vec<Index>,
    polled: Vec<Index>,
    snapshots_requested: Vec<NodeId>,
    sufficient: Vec<NodeId>,
}

impl HostTypes for TestHost {
    type Data = u64;
    type NodeData = ();
}

impl Host for TestHost {
    fn send_requestvote(raft: &mut Server<Self>, node: NodeId, msg: &RequestVote) -> i32 {
        raft.host.outbox.push((node, Msg::Rv(*msg)));
        0
    }
    fn send_appendentries(raft: &mut Server<Self>, node: NodeId, msg: &AppendEntriesHeader) -> i32 {
        let entries = raft.entries_from(msg.prev_log_idx + 1, msg.n_entries).to_vec();
        raft.host.outbox.push((node, Msg::Ae(*msg, entries)));
        0
    }
    fn send_snapshot(raft: &mut Server<Self>, node: NodeId) -> i32 {
        raft.host.snapshots_requested.push(node);
        0
    }
    fn log_apply(raft: &mut Server<Self>, idx: Index) -> i32 {
        let d = raft.entry(idx).map(|e| e.data).unwrap_or(u64::MAX);
        raft.host.applied.push((idx, d));
        0
    }
    fn persist_vote(raft: &mut Server<Self>, vote: NodeId) -> i32 {
        if raft.host.fail_persist {
            return -42;
        }
        raft.host.persisted.1 = vote;
        0
    }
    fn persist_term(raft: &mut Server<Self>, term: Term, vote: NodeId) -> i32 {
        if raft.host.fail_persist {
            return -42;
        }
        raft.host.persisted = (term, vote);
        0
    }
    fn log_offer(raft: &mut Server<Self>, _entry: &mut Entry<u64>, _idx: Index) -> i32 {
        if raft.host.fail_offer {
            -43
        } else {
            0
        }
    }
    fn log_pop(raft: &mut Server<Self>, idx: Index) -> i32 {
        raft.host.popped.push(idx);
        0
    }
    fn log_poll(raft: &mut Server<Self>, idx: Index) -> i32 {
        raft.host.polled.push(idx);
        0
    }
    fn node_has_sufficient_logs(raft: &mut Server<Self>, node: NodeId) -> i32 {
        raft.host.sufficient.push(node);
        0
    }
}

fn server(id: NodeId, n: NodeId) -> Server<TestHost> {
    let mut s = Server::new(TestHost::default());
    s.set_random_seed(id as u64);
    for i in 1..=n {
        s.add_node((), i, i == id);
    }
    s
}

fn entry(term: Term, data: u64) -> Entry<u64> {
    Entry { term, id: data as EntryId, etype: entry_type::NORMAL, data }
}

/// The node each configuration entry names: these tests' cfg entries carry
/// the node id as their payload.
fn cfg_nodes(entries: &[Entry<u64>]) -> Vec<NodeId> {
    entries.iter().map(|e| if e.is_cfg_change() { e.data as NodeId } else { NO_NODE }).collect()
}

/// Whether member `id` of `s` votes (None if not a member).
fn voting(s: &mut Server<TestHost>, id: NodeId) -> Option<bool> {
    let pos = s.node_pos(id)?;
    s.node_slot(pos).map(|n| n.is_voting())
}

struct Cluster {
    servers: Vec<Server<TestHost>>,
    /// Messages to servers in this set, or from them, are dropped.
    isolated: Vec<NodeId>,
}

impl Cluster {
    fn new(n: NodeId) -> Self {
        Cluster { servers: (1..=n).map(|i| server(i, n)).collect(), isolated: vec![] }
    }
    fn s(&mut self, id: NodeId) -> &mut Server<TestHost> {
        &mut self.servers[(id - 1) as usize]
    }
    /// Delivers messages until none is left.
    fn deliver(&mut self) {
        for _ in 0..1000 {
            let mut any = false;
            for from in 1..=self.servers.len() as NodeId {
                let out = std::mem::take(&mut self.s(from).host.outbox);
                for (to, m) in out {
                    any = true;
                    if self.isolated.contains(&to) || self.isolated.contains(&from) {
                        continue;
                    }
                    self.handle(from, to, m);
                }
            }
            if !any {
                return;
            }
        }
        panic!("messages never stopped");
    }
    fn handle(&mut self, from: NodeId, to: NodeId, m: Msg) {
        let s = self.s(to);
        match m {
            Msg::Rv(rv) => {
                let mut r = RequestVoteResponse::default();
                s.recv_requestvote(Some(from), &rv, &mut r).unwrap();
                s.host.outbox.push((from, Msg::Rvr(r)));
            }
            Msg::Rvr(r) => {
                let _ = s.recv_requestvote_response(Some(from), &r);
            }
            Msg::Ae(h, entries) => {
                let ae = AppendEntries {
                    term: h.term,
                    prev_log_idx: h.prev_log_idx,
                    prev_log_term: h.prev_log_term,
                    leader_commit: h.leader_commit,
                    entries: &entries,
                    cfg_nodes: &cfg_nodes(&entries),
                };
                let mut r = AppendEntriesResponse::default();
                s.recv_appendentries(Some(from), &ae, &mut r).unwrap();
                s.host.outbox.push((from, Msg::Aer(r)));
            }
            Msg::Aer(r) => {
                let _ = s.recv_appendentries_response(from, &r);
            }
        }
    }
    fn tick(&mut self, ms: i32) {
        for s in self.servers.iter_mut() {
            s.periodic(ms).unwrap();
        }
        self.deliver();
    }
    fn leaders(&self) -> Vec<NodeId> {
        self.servers.iter().filter(|s| s.is_leader()).map(|s| s.node_id()).collect()
    }
    fn elect(&mut self, id: NodeId) {
        self.s(id).election_start().unwrap();
        self.deliver();
        assert!(self.s(id).is_leader());
    }
}

#[test]
fn lone_voter_becomes_leader_on_first_tick() {
    let mut s = server(1, 1);
    s.periodic(0).unwrap();
    assert!(s.is_leader());
    assert_eq!(s.current_term(), 1);
    assert_eq!(s.voted_for(), 1);
    let r = s.retain_entry(entry(0, 7), NO_NODE).unwrap();
    assert_eq!(r.idx, 1);
    assert_eq!(s.commit_idx(), 1);
    s.periodic(0).unwrap();
    assert_eq!(s.host.applied, vec![(1, 7)]);
}

#[test]
fn three_nodes_elect_and_replicate() {
    let mut c = Cluster::new(3);
    c.elect(1);
    assert_eq!(c.leaders(), vec![1]);
    for i in 0..10 {
        c.s(1).retain_entry(entry(0, 100 + i), NO_NODE).unwrap();
        c.deliver();
    }
    assert_eq!(c.s(1).commit_idx(), 10);
    c.tick(200); // heartbeat carries the commit index
    c.tick(0); // followers apply on their next tick
    for id in 1..=3 {
        assert_eq!(c.s(id).commit_idx(), 10, "node {id}");
        assert_eq!(c.s(id).host.applied.len(), 10, "node {id}");
        assert_eq!(c.s(id).host.applied[9], (10, 109));
    }
}

#[test]
fn election_timeout_starts_election_and_someone_wins() {
    let mut c = Cluster::new(5);
    for _ in 0..40 {
        c.tick(100);
        if c.leaders().len() == 1 {
            break;
        }
    }
    assert_eq!(c.leaders().len(), 1);
}

#[test]
fn follower_refuses_vote_to_stale_log() {
    let mut s = server(1, 3);
    s.append_entry(entry(2, 1), NO_NODE).unwrap();
    s.set_current_term(2).unwrap();
    let mut r = RequestVoteResponse::default();
    let rv = RequestVote { term: 3, candidate_id: 2, last_log_idx: 5, last_log_term: 1, ..Default::default() };
    s.recv_requestvote(Some(2), &rv, &mut r).unwrap();
    assert_eq!(r.vote_granted, vote::NOT_GRANTED);
    assert_eq!(r.term, 3);
    let rv = RequestVote { term: 3, candidate_id: 2, last_log_idx: 1, last_log_term: 2, ..Default::default() };
    s.recv_requestvote(Some(2), &rv, &mut r).unwrap();
    assert_eq!(r.vote_granted, vote::GRANTED);
    assert_eq!(s.voted_for(), 2);
    assert_eq!(s.host.persisted, (3, 2));
    // One vote per term.
    let rv = RequestVote { term: 3, candidate_id: 3, last_log_idx: 1, last_log_term: 2, ..Default::default() };
    s.recv_requestvote(Some(3), &rv, &mut r).unwrap();
    assert_eq!(r.vote_granted, vote::NOT_GRANTED);
}

#[test]
fn failed_persist_leaves_term_and_vote_unchanged() {
    let mut s = server(1, 3);
    s.host.fail_persist = true;
    assert_eq!(s.become_candidate(), Err(-42));
    assert_eq!(s.current_term(), 0);
    assert!(s.is_follower());
    let mut r = RequestVoteResponse::default();
    let rv = RequestVote { term: 1, candidate_id: 2, last_log_idx: 0, last_log_term: 0, ..Default::default() };
    assert_eq!(s.recv_requestvote(Some(2), &rv, &mut r), Err(-42));
    assert_eq!(r.vote_granted, vote::NOT_GRANTED);
    assert_eq!(s.voted_for(), NO_NODE);
}

#[test]
fn unknown_candidate_is_voted_for_on_its_log_and_told_when_refused() {
    // Thesis §4.1: a server votes for a candidate outside its configuration
    // if its log is up to date (the candidate may be a member we have not
    // heard of yet); a refusal says UNKNOWN_NODE so a removed server learns it.
    let mut s = server(1, 3);
    s.append_entry(entry(1, 0), NO_NODE).unwrap();
    let mut r = RequestVoteResponse::default();
    let stale = RequestVote { term: 9, candidate_id: 77, last_log_idx: 0, last_log_term: 0, ..Default::default() };
    s.recv_requestvote(None, &stale, &mut r).unwrap();
    assert_eq!(r.vote_granted, vote::UNKNOWN_NODE);
    assert_eq!(r.term, 9);
    let fresh = RequestVote { term: 10, candidate_id: 78, last_log_idx: 1, last_log_term: 1, ..Default::default() };
    s.recv_requestvote(None, &fresh, &mut r).unwrap();
    assert_eq!(r.vote_granted, vote::GRANTED);
    assert_eq!(s.voted_for(), 78);
}

#[test]
fn popped_cfg_entry_is_undone_while_log_pop_still_sees_it() {
    // The host may free a payload in log_pop: the entry must still be in the
    // log then, and undoing its change must not need the payload afterwards.
    #[derive(Default)]
    struct H2 {
        popped_while_held: Vec<Index>,
    }
    impl HostTypes for H2 {
        type Data = u64;
        type NodeData = ();
    }
    impl Host for H2 {
        fn send_requestvote(_: &mut Server<Self>, _: NodeId, _: &RequestVote) -> i32 {
            0
        }
        fn send_appendentries(_: &mut Server<Self>, _: NodeId, _: &AppendEntriesHeader) -> i32 {
            0
        }
        fn log_apply(_: &mut Server<Self>, _: Index) -> i32 {
            0
        }
        fn log_pop(raft: &mut Server<Self>, idx: Index) -> i32 {
            if raft.entry(idx).is_some() && raft.current_idx() == idx {
                raft.host.popped_while_held.push(idx);
            }
            0
        }
    }
    let mut s = Server::new(H2::default());
    s.add_node((), 1, true);
    s.add_node((), 2, false);
    let add = Entry { term: 1, id: 1, etype: entry_type::ADD_NONVOTING_NODE, data: 9 };
    s.append_entry(add, 9).unwrap();
    assert!(s.node_pos(9).is_some());
    s.delete_entries_from(1).unwrap();
    assert!(s.node_pos(9).is_none());
    assert_eq!(s.host.popped_while_held, vec![1]);
}

#[test]
fn conflicting_suffix_is_popped_and_replaced() {
    let mut s = server(2, 3);
    s.set_current_term(2).unwrap();
    for t in [1, 1, 2, 2] {
        s.append_entry(entry(t, 0), NO_NODE).unwrap();
    }
    let new = [entry(3, 9), entry(3, 10)];
    let ae = AppendEntries { term: 3, prev_log_idx: 2, prev_log_term: 1, leader_commit: 3, entries: &new, cfg_nodes: &[] };
    let mut r = AppendEntriesResponse::default();
    s.recv_appendentries(Some(1), &ae, &mut r).unwrap();
    assert!(r.success);
    assert_eq!(r.current_idx, 4);
    assert_eq!(s.host.popped, vec![4, 3]);
    assert_eq!(s.entry(3).unwrap().data, 9);
    assert_eq!(s.commit_idx(), 3);
    assert_eq!(s.current_leader(), 1);
}

#[test]
fn mismatched_prev_fails_and_reports_last_index() {
    let mut s = server(2, 3);
    s.append_entry(entry(1, 0), NO_NODE).unwrap();
    let ae = AppendEntries { term: 1, prev_log_idx: 5, prev_log_term: 1, leader_commit: 0, entries: &[], cfg_nodes: &[] };
    let mut r = AppendEntriesResponse::default();
    s.recv_appendentries(Some(1), &ae, &mut r).unwrap();
    assert!(!r.success);
    assert_eq!(r.current_idx, 1);
    assert_eq!(r.first_idx, 6);
}

#[test]
fn stale_term_appendentries_is_rejected() {
    let mut s = server(2, 3);
    s.set_current_term(5).unwrap();
    let ae = AppendEntries { term: 4, prev_log_idx: 0, prev_log_term: 0, leader_commit: 0, entries: &[entry(4, 1)], cfg_nodes: &[] };
    let mut r = AppendEntriesResponse::default();
    s.recv_appendentries(Some(1), &ae, &mut r).unwrap();
    assert!(!r.success);
    assert_eq!(r.term, 5);
    assert_eq!(s.log_count(), 0);
}

#[test]
fn leader_does_not_commit_previous_term_entries_by_counting() {
    // Figure 8: an old-term entry replicated on a majority is not committed
    // until an entry of the leader's own term is.
    let mut c = Cluster::new(3);
    c.s(1).set_current_term(1).unwrap();
    c.s(1).append_entry(entry(1, 5), NO_NODE).unwrap();
    c.elect(1); // term 2
    c.tick(200);
    assert_eq!(c.s(2).current_idx(), 1);
    assert_eq!(c.s(1).commit_idx(), 0);
    c.s(1).retain_entry(entry(0, 6), NO_NODE).unwrap();
    c.deliver();
    assert_eq!(c.s(1).commit_idx(), 2);
}

#[test]
fn partitioned_leader_is_replaced_and_its_entries_overwritten() {
    let mut c = Cluster::new(3);
    c.elect(1);
    c.s(1).retain_entry(entry(0, 1), NO_NODE).unwrap();
    c.deliver();
    c.isolated = vec![1];
    c.s(1).retain_entry(entry(0, 99), NO_NODE).unwrap();
    c.deliver();
    // Node 3 stops treating 1 as a current leader only after a minimum
    // election timeout without hearing from it (leader stickiness, §4.2.3).
    let t = c.s(3).election_timeout();
    c.s(3).periodic(t).unwrap();
    assert!(c.s(3).is_follower());
    c.elect(2);
    c.s(2).retain_entry(entry(0, 2), NO_NODE).unwrap();
    c.deliver();
    assert_eq!(c.s(2).commit_idx(), 2);
    c.isolated.clear();
    c.tick(200);
    c.tick(200);
    assert!(c.s(1).is_follower());
    assert_eq!(c.s(1).entry(2).unwrap().data, 2);
    assert_eq!(c.s(1).commit_idx(), 2);
    assert!(c.s(1).host.applied.iter().all(|&(_, d)| d != 99));
}

#[test]
fn snapshot_compacts_and_lagging_follower_needs_snapshot() {
    let mut c = Cluster::new(3);
    c.elect(1);
    c.isolated = vec![3];
    for i in 0..5 {
        c.s(1).retain_entry(entry(0, i), NO_NODE).unwrap();
        c.deliver();
    }
    c.tick(200);
    assert_eq!(c.s(1).commit_idx(), 5);
    c.s(1).begin_snapshot(0).unwrap();
    c.s(1).end_snapshot().unwrap();
    assert_eq!(c.s(1).log_count(), 0);
    assert_eq!(c.s(1).host.polled, vec![1, 2, 3, 4, 5]);
    assert_eq!(c.s(1).snapshot_last_idx(), 5);
    c.isolated.clear();
    c.tick(200);
    assert!(c.s(1).host.snapshots_requested.contains(&3));
    // The host ships the snapshot: node 3 loads it, then catches up.
    let term = c.s(1).snapshot_last_term();
    let s3 = c.s(3);
    s3.begin_load_snapshot(term, 5).unwrap();
    for i in 1..=3 {
        if i != 3 {
            s3.add_node((), i, false);
        }
    }
    s3.end_load_snapshot().unwrap();
    assert_eq!(s3.commit_idx(), 5);
    c.s(1).retain_entry(entry(0, 42), NO_NODE).unwrap();
    c.deliver();
    c.tick(200);
    c.tick(200);
    assert_eq!(c.s(3).current_idx(), 6);
    assert_eq!(c.s(3).commit_idx(), 6);
}

#[test]
fn membership_add_nonvoting_then_promote_then_remove() {
    let mut c = Cluster::new(3);
    c.elect(1);
    // A fourth server that knows the current members and itself as non-voting.
    let mut s4 = Server::new(TestHost::default());
    for i in 1..=3 {
        s4.add_node((), i, false);
    }
    s4.add_non_voting_node((), 4, true);
    c.servers.push(s4);
    let add = Entry { term: 0, id: 1, etype: entry_type::ADD_NONVOTING_NODE, data: 4 };
    c.s(1).retain_entry(add, 4).unwrap();
    assert_eq!(voting(c.s(1), 4), Some(false));
    c.deliver();
    c.tick(200);
    c.tick(200);
    assert_eq!(c.s(1).host.sufficient, vec![4]);
    let promote = Entry { term: 0, id: 2, etype: entry_type::ADD_NODE, data: 4 };
    c.s(1).retain_entry(promote, 4).unwrap();
    assert!(c.s(1).voting_change_is_in_progress());
    let another = Entry { term: 0, id: 3, etype: entry_type::DEMOTE_NODE, data: 2 };
    assert_eq!(c.s(1).retain_entry(another, 2), Err(err::ONE_VOTING_CHANGE_ONLY));
    c.deliver();
    c.tick(200);
    assert!(!c.s(1).voting_change_is_in_progress());
    assert_eq!(c.s(1).num_voting_nodes(), 4);
    assert_eq!(voting(c.s(4), 4), Some(true));
    let remove = Entry { term: 0, id: 4, etype: entry_type::REMOVE_NODE, data: 3 };
    c.s(1).retain_entry(remove, 3).unwrap();
    c.deliver();
    c.tick(200);
    assert!(c.s(1).node_pos(3).is_none());
    assert_eq!(c.s(1).num_voting_nodes(), 3);
}

#[test]
fn popped_cfg_entry_is_reverted() {
    let mut s = server(2, 3);
    s.set_current_term(1).unwrap();
    let add = Entry { term: 1, id: 1, etype: entry_type::ADD_NONVOTING_NODE, data: 9 };
    let ae = AppendEntries { term: 1, prev_log_idx: 0, prev_log_term: 0, leader_commit: 0, entries: &[add], cfg_nodes: &[9] };
    let mut r = AppendEntriesResponse::default();
    s.recv_appendentries(Some(1), &ae, &mut r).unwrap();
    assert!(s.node_pos(9).is_some());
    let other = entry(2, 0);
    let ae = AppendEntries { term: 2, prev_log_idx: 0, prev_log_term: 0, leader_commit: 0, entries: &[other], cfg_nodes: &[] };
    s.recv_appendentries(Some(1), &ae, &mut r).unwrap();
    assert!(r.success);
    assert!(s.node_pos(9).is_none());
}

#[test]
fn failed_offer_drops_the_entry() {
    let mut s = server(1, 1);
    s.periodic(0).unwrap();
    s.host.fail_offer = true;
    assert_eq!(s.retain_entry(entry(0, 1), NO_NODE), Err(-43));
    assert_eq!(s.log_count(), 0);
}

#[test]
fn entry_response_committed_detects_overwrite() {
    let mut s = server(2, 3);
    s.set_current_term(1).unwrap();
    s.append_entry(entry(1, 1), NO_NODE).unwrap();
    let r = EntryResponse { id: 1, term: 1, idx: 1 };
    assert_eq!(s.entry_response_committed(&r), 0);
    s.set_commit_idx(1);
    assert_eq!(s.entry_response_committed(&r), 1);
    let r2 = EntryResponse { id: 1, term: 2, idx: 1 };
    assert_eq!(s.entry_response_committed(&r2), -1);
}
