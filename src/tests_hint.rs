//! Core tests of the reject hint (`reject_hint.rs`) through the safe Rust
//! API: the follower's hint, the leader's probe, the number of round trips a
//! long divergent suffix takes with and without it, stop-and-wait and
//! pipelined, duplicate rejections, and hostile hints (c_tests/t_hint.c
//! covers the same through the C interface).

use crate::*;

#[derive(Default)]
struct HintHost {
    sent: Vec<(NodeId, AppendEntriesHeader, Vec<Entry<u64>>)>,
    snapshots: Vec<NodeId>,
}

impl HostTypes for HintHost {
    type Data = u64;
    type NodeData = ();
}

impl Host for HintHost {
    fn send_requestvote(_raft: &mut Server<Self>, _node: NodeId, _msg: &RequestVote) -> i32 {
        0
    }
    fn send_appendentries(raft: &mut Server<Self>, node: NodeId, msg: &AppendEntriesHeader) -> i32 {
        let entries = raft.entries_from(msg.prev_log_idx + 1, msg.n_entries).to_vec();
        raft.host.sent.push((node, *msg, entries));
        0
    }
    fn send_snapshot(raft: &mut Server<Self>, node: NodeId) -> i32 {
        raft.host.snapshots.push(node);
        0
    }
    fn log_apply(_raft: &mut Server<Self>, _idx: Index) -> i32 {
        0
    }
}

fn entry(term: Term) -> Entry<u64> {
    Entry { term, id: 0, etype: entry_type::NORMAL, data: 0 }
}

/// Server `id` of a two-server cluster {1, 2} whose log holds `terms`.
fn server_with_log(id: NodeId, terms: &[Term], hint: bool) -> Server<HintHost> {
    let mut s = Server::new(HintHost::default());
    s.add_node((), 1, id == 1);
    s.add_node((), 2, id == 2);
    s.set_reject_hint(hint);
    for &t in terms {
        s.append_entry(entry(t), NO_NODE).unwrap();
    }
    s
}

/// Server 1, leader of `term` (at least its last entry's) over `terms`;
/// its first AppendEntries to 2 is in `host.sent`.
fn leader(terms: &[Term], term: Term, hint: bool, inflight: usize) -> Server<HintHost> {
    let mut l = server_with_log(1, terms, hint);
    l.set_max_inflight_msgs(inflight);
    l.set_current_term(term).unwrap();
    l.become_leader();
    l
}

fn follower(terms: &[Term], term: Term, hint: bool) -> Server<HintHost> {
    let mut f = server_with_log(2, terms, hint);
    f.set_current_term(term).unwrap();
    f
}

fn terms_of(s: &Server<HintHost>) -> Vec<Term> {
    (s.log_base() + 1..=s.current_idx()).map(|i| s.term_at(i).unwrap()).collect()
}

fn next_idx(l: &mut Server<HintHost>) -> Index {
    let pos = l.node_pos(2).unwrap();
    l.node_slot(pos).unwrap().next_idx()
}

fn match_idx(l: &mut Server<HintHost>) -> Index {
    let pos = l.node_pos(2).unwrap();
    l.node_slot(pos).unwrap().match_idx()
}

/// The follower's answer to one AppendEntries of the leader.
fn answer(f: &mut Server<HintHost>, h: &AppendEntriesHeader, entries: &[Entry<u64>]) -> AppendEntriesResponse {
    let ae = AppendEntries {
        term: h.term,
        prev_log_idx: h.prev_log_idx,
        prev_log_term: h.prev_log_term,
        leader_commit: h.leader_commit,
        entries,
        cfg_nodes: &vec![NO_NODE; entries.len()],
    };
    let mut r = AppendEntriesResponse::default();
    f.recv_appendentries(Some(1), &ae, &mut r).unwrap();
    r
}

/// Delivers every message between the two, in rounds (a round: every
/// AppendEntries the leader has sent, then every answer), until the
/// follower holds the leader's log. Returns the rounds with a rejection
/// (the round trips spent finding where the logs match) and the rounds.
fn catch_up(l: &mut Server<HintHost>, f: &mut Server<HintHost>) -> (usize, usize) {
    let (mut rejecting, mut rounds) = (0, 0);
    while terms_of(f) != terms_of(l) {
        rounds += 1;
        assert!(rounds < 10_000, "never caught up");
        let sent = std::mem::take(&mut l.host.sent);
        if sent.is_empty() {
            l.send_appendentries_all().unwrap(); // a heartbeat
            continue;
        }
        let answers: Vec<_> = sent.iter().map(|(_, h, e)| answer(f, h, e)).collect();
        if answers.iter().any(|r| !r.success) {
            rejecting += 1;
        }
        for r in answers {
            l.recv_appendentries_response(2, &r).unwrap();
        }
    }
    (rejecting, rounds)
}

// ---- follower side --------------------------------------------------------

#[test]
fn follower_hint_skips_its_entries_above_prev_log_term() {
    // Leader (term 6) probes at 7 with term 4; the follower's 5..7 are of term 5.
    let mut f = follower(&[1, 1, 2, 2, 5, 5, 5], 6, true);
    let h = AppendEntriesHeader { term: 6, prev_log_idx: 7, prev_log_term: 4, ..Default::default() };
    let r = answer(&mut f, &h, &[]);
    assert!(!r.success);
    assert_eq!((r.current_idx, r.reject_hint_term), (4, 2));
    assert_eq!(r.first_idx, 8);
    assert_eq!(f.current_idx(), 6, "the conflicting entry and those after it are removed, as without the hint");
}

#[test]
fn follower_hint_is_its_last_entry_when_its_terms_are_older() {
    let mut f = follower(&[1, 1, 2, 2, 2], 6, true);
    let h = AppendEntriesHeader { term: 6, prev_log_idx: 9, prev_log_term: 5, ..Default::default() };
    let r = answer(&mut f, &h, &[]);
    assert_eq!((r.success, r.current_idx, r.reject_hint_term), (false, 5, 2));
}

#[test]
fn follower_without_the_option_answers_as_before() {
    for hint in [false, true] {
        let mut f = follower(&[1, 1, 2, 2, 5, 5, 5], 6, hint);
        let h = AppendEntriesHeader { term: 6, prev_log_idx: 7, prev_log_term: 4, ..Default::default() };
        let r = answer(&mut f, &h, &[]);
        if hint {
            assert_eq!((r.current_idx, r.reject_hint_term), (4, 2));
        } else {
            assert_eq!((r.current_idx, r.reject_hint_term), (6, 0), "willemt's last index, no hint term");
        }
    }
}

#[test]
fn follower_success_carries_no_hint() {
    let mut f = follower(&[1, 1, 2], 3, true);
    let h = AppendEntriesHeader { term: 3, prev_log_idx: 3, prev_log_term: 2, ..Default::default() };
    let r = answer(&mut f, &h, &[entry(3)]);
    assert_eq!((r.success, r.current_idx, r.reject_hint_term), (true, 4, 0));
}

#[test]
fn follower_with_an_empty_log_hints_zero() {
    let mut f = follower(&[], 3, true);
    let h = AppendEntriesHeader { term: 3, prev_log_idx: 5, prev_log_term: 2, ..Default::default() };
    let r = answer(&mut f, &h, &[]);
    assert_eq!((r.success, r.current_idx, r.reject_hint_term), (false, 0, 0));
}

// ---- leader side and whole catch-ups -------------------------------------

#[test]
fn leader_skips_its_entries_above_the_hint_term() {
    // etcd's example: leader 1 3 3 3 5 5 5 5 5, follower 1 1 1 1 2 2.
    let leader_terms = [1, 3, 3, 3, 5, 5, 5, 5, 5];
    let mut l = leader(&leader_terms, 5, true, 1);
    let mut f = follower(&[1, 1, 1, 1, 2, 2], 5, true);
    let (_, h, e) = l.host.sent.pop().unwrap();
    assert_eq!(h.prev_log_idx, 9);
    let r = answer(&mut f, &h, &e);
    assert_eq!((r.current_idx, r.reject_hint_term), (6, 2));
    l.recv_appendentries_response(2, &r).unwrap();
    assert_eq!(next_idx(&mut l), 2, "probes at 1, the last index of term <= 2");
    let (_, h, e) = l.host.sent.pop().unwrap();
    assert_eq!(h.prev_log_idx, 1);
    let r = answer(&mut f, &h, &e);
    assert!(r.success);
    l.recv_appendentries_response(2, &r).unwrap();
    assert_eq!(terms_of(&f), leader_terms);
}

/// A common prefix of `prefix` entries of term 1, then the follower's
/// divergent suffix of older terms (`per_term` entries of each of
/// `follower_terms`) and the leader's of newer terms.
fn divergent(prefix: usize, follower_terms: &[Term], leader_terms: &[Term], per_term: usize) -> (Vec<Term>, Vec<Term>) {
    let mut f = vec![1; prefix];
    let mut l = vec![1; prefix];
    for &t in follower_terms {
        f.extend(std::iter::repeat_n(t, per_term));
    }
    for &t in leader_terms {
        l.extend(std::iter::repeat_n(t, per_term));
    }
    (l, f)
}

#[test]
fn long_divergent_suffix_of_older_terms_takes_a_round_trip_per_term_not_per_entry() {
    // LIB_BUGS 9's shape: 800 divergent follower entries of terms 2..5,
    // the leader's 900 of terms 6..8 (300 each) after 10 common ones.
    let (lt, ft) = divergent(10, &[2, 3, 4, 5], &[6, 7, 8], 200);
    let lt: Vec<Term> = lt.into_iter().chain(std::iter::repeat_n(8, 300)).collect();
    for inflight in [1, 8] {
        let mut l = leader(&lt, 9, true, inflight);
        let mut f = follower(&ft, 9, true);
        let (rejecting, _) = catch_up(&mut l, &mut f);
        // Distinct terms in the divergent parts: 4 + 3.
        assert!(rejecting <= 7, "inflight {}: {} rejecting round trips", inflight, rejecting);
        assert!(rejecting >= 1);
        assert_eq!(match_idx(&mut l), l.current_idx());
        // Without the hint: one entry per round trip.
        let mut l = leader(&lt, 9, false, inflight);
        let mut f = follower(&ft, 9, false);
        let (rejecting, _) = catch_up(&mut l, &mut f);
        assert!(rejecting >= 800, "inflight {}: {} rejecting round trips without the hint", inflight, rejecting);
    }
}

#[test]
fn long_divergent_suffix_of_newer_terms_is_skipped_by_the_follower() {
    // The follower was a stale leader of terms 4 and 5 with a long tail;
    // the leader (term 6) has term 3 there.
    let (lt, ft) = divergent(5, &[4, 5], &[3, 3, 6], 150);
    for inflight in [1, 8] {
        let mut l = leader(&lt, 6, true, inflight);
        let mut f = follower(&ft, 6, true);
        let (rejecting, _) = catch_up(&mut l, &mut f);
        assert!(rejecting <= 4, "inflight {}: {} rejecting round trips", inflight, rejecting);
    }
}

#[test]
fn hint_catch_up_with_interleaved_terms_matches_the_leader_log() {
    // Terms alternate between the two logs; whatever the path, the follower
    // ends with the leader's log and the rounds stay bounded by the terms.
    let lt = [1, 1, 2, 2, 4, 4, 6, 6, 6, 8, 8, 8, 8];
    let ft = [1, 1, 2, 3, 3, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7];
    for inflight in [1, 4] {
        let mut l = leader(&lt, 9, true, inflight);
        let mut f = follower(&ft, 9, true);
        let (rejecting, _) = catch_up(&mut l, &mut f);
        assert!(rejecting <= 8, "{}", rejecting);
        assert_eq!(terms_of(&f), lt);
    }
}

// ---- rejections acted on once (LIB_BUGS 8) --------------------------------

#[test]
fn duplicate_hinted_rejection_sends_no_second_probe() {
    let (lt, ft) = divergent(3, &[2], &[4], 50);
    for inflight in [1, 8] {
        let mut l = leader(&lt, 5, true, inflight);
        let mut f = follower(&ft, 5, true);
        let (_, h, e) = l.host.sent.pop().unwrap();
        let r = answer(&mut f, &h, &e);
        assert!(!r.success);
        l.recv_appendentries_response(2, &r).unwrap();
        assert_eq!(l.host.sent.len(), 1, "one probe for the rejection");
        let next = next_idx(&mut l);
        assert_eq!(next, 4, "skipped the leader's term-4 entries at once");
        l.recv_appendentries_response(2, &r).unwrap();
        assert_eq!(l.host.sent.len(), 1, "inflight {}: the duplicate sent nothing", inflight);
        assert_eq!(next_idx(&mut l), next);
    }
}

// ---- hostile hints ---------------------------------------------------------

/// A rejection of the leader's probe in flight (its `first_idx` is the
/// probe's), with the given hint.
fn rejection(l: &mut Server<HintHost>, current_idx: Index, hint_term: Term) -> AppendEntriesResponse {
    let first_idx = next_idx(l);
    AppendEntriesResponse { term: l.current_term(), success: false, current_idx, first_idx, msg_id: 0, reject_hint_term: hint_term }
}

#[test]
fn hostile_hints_keep_next_idx_between_match_and_last() {
    let lt: Vec<Term> = [1; 10].iter().chain([3; 10].iter()).chain([5; 10].iter()).copied().collect();
    let hints: [(Index, Term); 13] = [
        (-1, 3),             // negative index: refused as before (INVALID)
        (5, -1),             // negative term: ignored, willemt's rule
        (5, MAX_TERM + 1),   // impossible term: ignored
        (5, Term::MAX),
        (1_000_000, 1),      // beyond the leader's log
        (1_000_000, 1_000),  // index and term beyond
        (29, 1_000),         // a term beyond every one of ours at a real index
        (0, 0),              // zero: probe from the start
        (25, 0),
        (15, 2),             // a term we never had
        (30, 5),             // the rejected index itself
        (MAX_INDEX, MAX_TERM),
        (Index::MAX, MAX_TERM), // beyond MAX_INDEX: refused as before (INVALID)
    ];
    for inflight in [1, 8] {
        for &(idx, term) in &hints {
            let mut l = leader(&lt, 6, true, inflight);
            let r = rejection(&mut l, idx, term);
            let res = l.recv_appendentries_response(2, &r);
            if !is_valid_index(idx) {
                assert_eq!(res, Err(err::INVALID));
                continue;
            }
            assert_eq!(res, Ok(()), "hint {:?}", (idx, term));
            let next = next_idx(&mut l);
            assert!(next > match_idx(&mut l) && next <= l.current_idx() + 1, "hint {:?}: next {}", (idx, term), next);
            assert!(next <= 30, "hint {:?}: a rejection of 30 never probes higher", (idx, term));
            if idx >= 0 && !is_valid_term(term) {
                let plain = if idx < 30 { (idx + 1).min(30) } else { 30 };
                assert_eq!(next, plain, "an invalid hint term falls back to willemt's rule");
            }
        }
    }
}

#[test]
fn hostile_hint_never_moves_below_the_match_index() {
    let lt = vec![2; 40];
    for inflight in [1, 8] {
        let mut l = leader(&lt, 3, true, inflight);
        // The follower matched 30 ...
        let ok = AppendEntriesResponse { term: 3, success: true, current_idx: 30, first_idx: 41, ..Default::default() };
        l.recv_appendentries_response(2, &ok).unwrap();
        assert_eq!(match_idx(&mut l), 30);
        // ... then a rejection of a later probe claims nothing matches.
        let sent = std::mem::take(&mut l.host.sent);
        let probe_prev = sent.last().map(|(_, h, _)| h.prev_log_idx).unwrap_or(30);
        let r = AppendEntriesResponse { term: 3, success: false, current_idx: 0, first_idx: probe_prev + 1, reject_hint_term: 0, ..Default::default() };
        l.recv_appendentries_response(2, &r).unwrap();
        assert!(next_idx(&mut l) >= 31, "inflight {}: next {}", inflight, next_idx(&mut l));
    }
}

#[test]
fn hint_below_the_leader_snapshot_sends_the_snapshot() {
    let lt: Vec<Term> = [1; 20].iter().chain([4; 10].iter()).copied().collect();
    for inflight in [1, 8] {
        let mut l = leader(&lt, 5, true, inflight);
        l.set_commit_idx(20);
        l.begin_snapshot(0).unwrap();
        l.end_snapshot().unwrap();
        assert_eq!(l.log_base(), 20);
        l.host.snapshots.clear();
        // Hint at 10 (compacted here), term 1.
        let r = rejection(&mut l, 10, 1);
        l.recv_appendentries_response(2, &r).unwrap();
        assert_eq!(l.host.snapshots, vec![2], "inflight {}", inflight);
        // And a hint whose term is below the snapshot's, at an index above it.
        let mut l = leader(&lt, 5, true, inflight);
        l.set_commit_idx(25);
        l.begin_snapshot(0).unwrap();
        l.end_snapshot().unwrap();
        l.host.snapshots.clear();
        let r = rejection(&mut l, 28, 1);
        l.recv_appendentries_response(2, &r).unwrap();
        assert_eq!(l.host.snapshots, vec![2], "inflight {}: term 1 is older than the snapshot's 4", inflight);
    }
}

#[test]
fn random_hints_keep_next_idx_in_bounds_and_the_catch_up_correct() {
    // Arbitrary answers from a "follower" that lies, then the real follower:
    // next_idx stays within [match + 1, last + 1] after every answer, and the
    // real follower still ends with the leader's log.
    let lt: Vec<Term> = (0..60).map(|i| 1 + i / 7).collect();
    let mut rng = crate::rng::Rng::new(7);
    for inflight in [1, 8] {
        for _ in 0..50 {
            let mut l = leader(&lt, 10, true, inflight);
            for _ in 0..20 {
                let idx = (rng.next_u64() % 80) as Index - 5;
                let term = (rng.next_u64() % 14) as Term - 2;
                let r = rejection(&mut l, idx, term);
                let _ = l.recv_appendentries_response(2, &r);
                let next = next_idx(&mut l);
                assert!(next > match_idx(&mut l) && next <= l.current_idx() + 1, "next {}", next);
            }
            l.host.sent.clear();
            let mut f = follower(&[1, 1, 2, 9, 9, 9], 10, true);
            l.send_appendentries_all().unwrap();
            catch_up(&mut l, &mut f);
            assert_eq!(terms_of(&f), lt);
        }
    }
}

// ---- the search itself ----------------------------------------------------

/// The search by its definition: a scan down from `idx` that stops at an
/// index with a term at most `term`, or at a compacted one (no term here).
fn linear(s: &Server<HintHost>, idx: Index, term: Term) -> Index {
    let mut i = idx.min(s.current_idx());
    while i > 0 && s.term_at(i).is_some_and(|t| t > term) {
        i -= 1;
    }
    i
}

#[test]
fn binary_search_equals_the_scan_on_raft_logs() {
    let mut rng = crate::rng::Rng::new(11);
    for round in 0..200 {
        // A non-decreasing log of up to 300 entries with random term steps.
        let n = (rng.next_u64() % 300) as usize;
        let mut terms = Vec::with_capacity(n);
        let mut t = 1 + (rng.next_u64() % 3) as Term;
        for _ in 0..n {
            if rng.next_u64().is_multiple_of(8) {
                t += 1 + (rng.next_u64() % 3) as Term;
            }
            terms.push(t);
        }
        let mut s = server_with_log(1, &terms, true);
        if round % 3 == 0 && n > 10 {
            let upto = (rng.next_u64() % (n as u64 - 5)) as Index + 1;
            s.set_commit_idx(upto);
            s.begin_snapshot(0).unwrap();
            s.end_snapshot().unwrap();
        }
        for _ in 0..50 {
            let idx = (rng.next_u64() % (n as u64 + 20)) as Index - 5;
            let term = (rng.next_u64() % (t as u64 + 3)) as Term;
            let got = s.last_index_with_term_at_most(idx, term);
            let want = linear(&s, idx.max(0), term);
            assert_eq!(got, want, "log {:?} base {} idx {} term {}", terms, s.log_base(), idx, term);
        }
    }
}

#[test]
fn follower_answers_a_stale_leader_without_a_search() {
    let mut f = follower(&[1, 1, 2, 2, 5, 5, 5], 6, true);
    let h = AppendEntriesHeader { term: 4, prev_log_idx: 7, prev_log_term: 1, ..Default::default() };
    let r = answer(&mut f, &h, &[]);
    assert_eq!((r.success, r.term, r.current_idx, r.reject_hint_term), (false, 6, 7, 5));
    assert_eq!(f.current_idx(), 7, "a stale leader's message changes nothing");
}

#[test]
fn follower_log_restored_out_of_order_still_gets_a_bounded_hint() {
    // Terms that decrease (a program restoring a log wrongly): the hint is
    // still an index at or below prev whose term is at most prev_log_term.
    let mut f = follower(&[3, 1, 4, 1, 5, 9, 2, 6], 9, true);
    let h = AppendEntriesHeader { term: 9, prev_log_idx: 8, prev_log_term: 4, ..Default::default() };
    let r = answer(&mut f, &h, &[]);
    assert!(!r.success);
    assert!(r.current_idx <= 7);
    assert!(r.reject_hint_term <= 4);
    assert_eq!(f.term_at(r.current_idx).unwrap_or(0), r.reject_hint_term);
}
