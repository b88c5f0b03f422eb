//! Core tests of the extensions through the safe Rust API (the C tests in
//! c_tests/t_prevote.c, t_check_quorum.c, t_transfer.c, t_reads.c and
//! t_ext.c cover the same rules through the C interface).

use crate::*;

/// A host that records what the extensions hand it.
#[derive(Default)]
struct ExtHost {
    reads: Vec<(u64, i32)>,
    states: Vec<State>,
    sent_ae: Vec<(NodeId, AppendEntriesHeader)>,
    sent_rv: Vec<(NodeId, RequestVote)>,
    noop: bool,
}

impl HostTypes for ExtHost {
    type Data = u64;
    type NodeData = ();
}

impl Host for ExtHost {
    fn send_requestvote(raft: &mut Server<Self>, node: NodeId, msg: &RequestVote) -> i32 {
        raft.host.sent_rv.push((node, *msg));
        0
    }
    fn send_appendentries(raft: &mut Server<Self>, node: NodeId, msg: &AppendEntriesHeader) -> i32 {
        raft.host.sent_ae.push((node, *msg));
        0
    }
    fn log_apply(_raft: &mut Server<Self>, _idx: Index) -> i32 {
        0
    }
    fn notify_state_event(raft: &mut Server<Self>, state: State) {
        raft.host.states.push(state);
    }
    fn read_done(raft: &mut Server<Self>, token: u64, result: i32) {
        raft.host.reads.push((token, result));
    }
    fn noop_data(raft: &Server<Self>) -> Option<u64> {
        raft.host.noop.then_some(0)
    }
}

fn server(id: NodeId, n: NodeId) -> Server<ExtHost> {
    let mut s = Server::new(ExtHost::default());
    s.set_random_seed(id as u64);
    for i in 1..=n {
        s.add_node((), i, i == id);
    }
    s
}

fn elect(s: &mut Server<ExtHost>) {
    s.become_candidate().unwrap();
    let r = RequestVoteResponse { term: s.current_term(), vote_granted: vote::GRANTED, ..Default::default() };
    s.recv_requestvote_response(Some(2), &r).unwrap();
    assert!(s.is_leader());
}

#[test]
fn no_op_needs_a_host_that_can_make_one() {
    let mut s = server(1, 3);
    s.set_noop_on_election(true);
    elect(&mut s);
    assert_eq!(s.current_idx(), 0, "the default Host::noop_data makes none");
    let mut s = server(1, 3);
    s.host.noop = true;
    s.set_noop_on_election(true);
    elect(&mut s);
    assert_eq!(s.current_idx(), 1);
    assert_eq!(s.entry(1).unwrap().etype, entry_type::NO_OP);
}

#[test]
fn read_is_answered_once_after_a_majority_acknowledges_a_later_round() {
    let mut s = server(1, 3);
    s.host.noop = true;
    s.set_noop_on_election(true);
    elect(&mut s);
    let round = s.host.sent_ae.last().unwrap().1.msg_id;
    let ack = |idx, msg_id| AppendEntriesResponse { term: 1, success: true, current_idx: idx, first_idx: 1, msg_id, ..Default::default() };
    s.recv_appendentries_response(2, &ack(1, round)).unwrap();
    s.periodic(0).unwrap();
    s.read_request(7, false).unwrap();
    assert!(s.host.reads.is_empty());
    let round = s.host.sent_ae.last().unwrap().1.msg_id;
    s.recv_appendentries_response(3, &ack(1, round - 1)).unwrap();
    assert!(s.host.reads.is_empty());
    s.recv_appendentries_response(3, &ack(1, round)).unwrap();
    assert_eq!(s.host.reads, vec![(7, 0)]);
    s.periodic(0).unwrap();
    assert_eq!(s.host.reads.len(), 1);
    assert_eq!(s.stats().reads_ok, 1);
}

#[test]
fn follower_without_forwarding_refuses_reads() {
    let mut s = server(2, 3);
    assert_eq!(s.read_request(1, false), Err(err::NOT_LEADER));
    assert_eq!(s.read_request(1, true), Err(err::INVALID), "lease reads need check-quorum");
}

#[test]
fn prevote_round_then_election_reports_each_state_once() {
    let mut s = server(1, 3);
    s.set_prevote(true);
    s.periodic(2000).unwrap();
    assert!(s.is_precandidate());
    assert_eq!(s.current_term(), 0);
    let (_, rv) = s.host.sent_rv[0];
    assert!(rv.prevote && rv.term == 1);
    let r = RequestVoteResponse { term: 0, vote_granted: vote::GRANTED, prevote: true, request_term: 1 };
    s.recv_requestvote_response(Some(3), &r).unwrap();
    assert!(s.is_candidate());
    assert_eq!(s.current_term(), 1);
    assert_eq!(s.host.states, vec![State::PreCandidate, State::Candidate]);
}

#[test]
fn transfer_needs_a_host_that_sends_timeoutnow() {
    let mut s = server(1, 3);
    elect(&mut s);
    assert_eq!(s.transfer_leader(2, 0), Err(err::INVALID));
    assert_eq!(s.transfer_target(), NO_NODE);
}
