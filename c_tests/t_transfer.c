/* Leadership transfer (thesis §3.10), each test named after the rule it
 * checks: only a leader transfers, to a voter other than itself, one at a
 * time, refusing new entries meanwhile; the target is brought up to date and
 * then sent TimeoutNow; it campaigns at once, skipping pre-vote, and voters
 * set stickiness aside for it; a TimeoutNow of another term is ignored; the
 * transfer ends with an event (completed, other leader, target left,
 * timeout). */
#include "cluster_test.h"
#include "fixture.h"

#include <string.h>

/* ---- a single server with an extension table ---------------------------- */

static struct {
    int n_tn, tn_node;
    raft_term_t tn_term;
    int n_events, last_event;
} seen;

static int rec_send_tn(raft_server_t *r, void *ud, raft_node_t *node, msg_timeoutnow_t *m)
{
    (void)r; (void)ud;
    seen.n_tn++;
    seen.tn_node = raft_node_get_id(node);
    seen.tn_term = m->term;
    return 0;
}

static void rec_transfer(raft_server_t *r, void *ud, raft_leader_transfer_e result)
{
    (void)r; (void)ud;
    seen.n_events++;
    seen.last_event = result;
}

static fx_t *ext_server(int self, int n)
{
    fx_t *f = fx_new(self, n);
    raft_cbs_ext_t ext;
    memset(&seen, 0, sizeof(seen));
    memset(&ext, 0, sizeof(ext));
    ext.send_timeoutnow = rec_send_tn;
    ext.notify_transfer_event = rec_transfer;
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    return f;
}

/* An appendentries response from `from` carrying `msg_id`. */
static int recv_aer(fx_t *f, int from, raft_term_t term, int success, raft_index_t current_idx)
{
    msg_appendentries_response_t r;
    memset(&r, 0, sizeof(r));
    r.term = term;
    r.success = success;
    r.current_idx = current_idx;
    return raft_recv_appendentries_response(f->r, fx_node(f, from), &r);
}

TEST(test_transfer_needs_a_leader)
{
    fx_t *f = ext_server(1, 3);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), RAFT_ERR_NOT_LEADER);
    ASSERT_EQ(raft_get_transfer_leader(f->r), RAFT_NODE_ID_NONE);
}

TEST(test_transfer_target_must_be_another_voter_and_timeoutnow_sendable)
{
    fx_t *f = ext_server(1, 3);
    fx_t *g = fx_new(1, 3);
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 4, 0));
    fx_elect(f);
    ASSERT_EQ(raft_transfer_leader(f->r, 1, 0), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_transfer_leader(f->r, 9, 0), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_transfer_leader(f->r, 4, 0), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, -1), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_transfer_leader(NULL, 2, 0), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_transfer_leader(f->r), RAFT_NODE_ID_NONE);
    /* no send_timeoutnow callback: no transfer */
    fx_elect(g);
    ASSERT_EQ(raft_transfer_leader(g->r, 2, 0), RAFT_ERR_INVALID);
}

TEST(test_transfer_in_progress_refuses_another_and_new_entries)
{
    fx_t *f = ext_server(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0);
    ASSERT_EQ(raft_get_transfer_leader(f->r), 2);
    ASSERT_EQ(raft_transfer_leader(f->r, 3, 0), RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS);
    ASSERT_EQ(fx_retain(f, 2, NULL), RAFT_ERR_LEADER_TRANSFER_IN_PROGRESS);
    ASSERT_EQ(raft_get_current_idx(f->r), 1);
}

TEST(test_transfer_sends_timeoutnow_only_once_the_target_is_up_to_date)
{
    fx_t *f = ext_server(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0);
    ASSERT_EQ(seen.n_tn, 0);
    ASSERT_NOT_NULL(fx_last_ae_to(f, 2)); /* catching it up now */
    ASSERT_EQ(recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(seen.n_tn, 0);
    ASSERT_EQ(recv_aer(f, 3, 1, 1, 2), 0); /* not the target */
    ASSERT_EQ(seen.n_tn, 0);
    ASSERT_EQ(recv_aer(f, 2, 1, 1, 2), 0);
    ASSERT_EQ(seen.n_tn, 1);
    ASSERT_EQ(seen.tn_node, 2);
    ASSERT_EQ(seen.tn_term, 1);
}

TEST(test_transfer_to_an_up_to_date_target_sends_timeoutnow_at_once)
{
    fx_t *f = ext_server(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_transfer_leader(f->r, 3, 0), 0);
    ASSERT_EQ(seen.n_tn, 1);
    ASSERT_EQ(seen.tn_node, 3);
}

TEST(test_transfer_times_out_and_entries_are_accepted_again)
{
    fx_t *f = ext_server(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 500), 0);
    ASSERT_EQ(raft_periodic(f->r, 499), 0);
    ASSERT_EQ(seen.n_events, 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(seen.n_events, 1);
    ASSERT_EQ(seen.last_event, RAFT_LEADER_TRANSFER_TIMEOUT);
    ASSERT_EQ(raft_get_transfer_leader(f->r), RAFT_NODE_ID_NONE);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
}

TEST(test_transfer_default_timeout_is_one_election_timeout)
{
    fx_t *f = ext_server(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0);
    ASSERT_EQ(raft_periodic(f->r, 999), 0);
    ASSERT_EQ(seen.n_events, 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(seen.last_event, RAFT_LEADER_TRANSFER_TIMEOUT);
}

TEST(test_transfer_ends_when_its_target_leaves_the_voters)
{
    fx_t *f = ext_server(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0);
    raft_node_set_voting(fx_node(f, 2), 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(seen.last_event, RAFT_LEADER_TRANSFER_TARGET_LEFT);
    ASSERT_EQ(raft_get_transfer_leader(f->r), RAFT_NODE_ID_NONE);
}

TEST(test_transfer_ends_when_the_target_leads)
{
    fx_t *f = ext_server(1, 3);
    msg_appendentries_response_t aer;
    fx_elect(f);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(seen.n_events, 1);
    ASSERT_EQ(seen.last_event, RAFT_LEADER_TRANSFER_EXPECTED_LEADER);
}

TEST(test_transfer_ends_when_another_server_leads)
{
    fx_t *f = ext_server(1, 3);
    msg_appendentries_response_t aer;
    fx_elect(f);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0);
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(seen.last_event, RAFT_LEADER_TRANSFER_UNEXPECTED_LEADER);
}

TEST(test_transfer_to_the_most_up_to_date_voter_when_no_target_is_named)
{
    fx_t *f = ext_server(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(recv_aer(f, 3, 1, 1, 1), 0);
    ASSERT_EQ(raft_transfer_leader(f->r, RAFT_NODE_ID_NONE, 0), 0);
    ASSERT_EQ(raft_get_transfer_leader(f->r), 3);
    ASSERT_EQ(seen.tn_node, 3);
}

TEST(test_timeoutnow_of_the_current_term_starts_an_election_at_once)
{
    fx_t *f = ext_server(2, 3);
    msg_appendentries_response_t aer;
    msg_timeoutnow_t tn;
    raft_set_prevote(f->r, 1); /* a transfer's election skips pre-vote */
    ASSERT_EQ(fx_recv_ae(f, 1, 4, 0, 0, 0, NULL, 0, &aer), 0);
    fx_clear_rec(f);
    tn.term = 4;
    ASSERT_EQ(raft_recv_timeoutnow(f->r, fx_node(f, 1), &tn), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 5);
    ASSERT_EQ(f->n_rv, 2);
    ASSERT_EQ(f->rv[0].m.leadership_transfer, 1);
    ASSERT_EQ(f->rv[0].m.prevote, 0);
}

TEST(test_timeoutnow_of_another_term_is_ignored)
{
    fx_t *f = ext_server(2, 3);
    msg_appendentries_response_t aer;
    msg_timeoutnow_t tn;
    ASSERT_EQ(fx_recv_ae(f, 1, 4, 0, 0, 0, NULL, 0, &aer), 0);
    tn.term = 3;
    ASSERT_EQ(raft_recv_timeoutnow(f->r, fx_node(f, 1), &tn), 0);
    ASSERT(raft_is_follower(f->r));
    tn.term = 5;
    ASSERT_EQ(raft_recv_timeoutnow(f->r, fx_node(f, 1), &tn), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 4);
    ASSERT_EQ(raft_recv_timeoutnow(f->r, fx_node(f, 1), NULL), RAFT_ERR_INVALID);
    tn.term = -1;
    ASSERT_EQ(raft_recv_timeoutnow(f->r, fx_node(f, 1), &tn), RAFT_ERR_INVALID);
}

TEST(test_timeoutnow_to_a_non_voter_is_ignored)
{
    fx_t *f = ext_server(2, 3);
    msg_timeoutnow_t tn;
    raft_node_set_voting(raft_get_my_node(f->r), 0);
    tn.term = 0;
    ASSERT_EQ(raft_recv_timeoutnow(f->r, NULL, &tn), 0);
    ASSERT(raft_is_follower(f->r));
}

static int recv_rv_transfer(fx_t *f, int from, raft_term_t term, int transfer, msg_requestvote_response_t *resp)
{
    msg_requestvote_t rv;
    memset(&rv, 0, sizeof(rv));
    rv.term = term;
    rv.candidate_id = from;
    rv.leadership_transfer = transfer;
    memset(resp, 0, sizeof(*resp));
    return raft_recv_requestvote(f->r, fx_node(f, from), &rv, resp);
}

TEST(test_transfer_election_sets_leader_stickiness_aside)
{
    fx_t *f = ext_server(3, 3);
    msg_appendentries_response_t aer;
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0); /* node 1 leads */
    ASSERT_EQ(recv_rv_transfer(f, 2, 2, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(recv_rv_transfer(f, 2, 2, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
}

TEST(test_transfer_flag_is_not_read_without_send_timeoutnow)
{
    /* a willemt program may leave the appended field uninitialised */
    fx_t *f = fx_new(3, 3);
    msg_appendentries_response_t aer;
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(recv_rv_transfer(f, 2, 2, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

TEST(test_raft_timeout_now_starts_a_transfer_election_unchecked)
{
    fx_t *f = ext_server(2, 3);
    ASSERT_EQ(raft_timeout_now(f->r), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(f->rv[0].m.leadership_transfer, 1);
    ASSERT_EQ(raft_timeout_now(NULL), RAFT_ERR_INVALID);
}

/* ---- end to end ------------------------------------------------------------ */

TEST(test_transfer_in_a_healthy_cluster_completes_within_one_election_timeout)
{
    cluster_t *c = new_cluster_ext(3, 21, NULL);
    int leader, target, t, i;
    raft_stats_t st;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(cl_submit(c, leader, i, NULL), 0);
    target = leader % 3 + 1;
    ASSERT_EQ(raft_transfer_leader(cl_raft(c, leader), target, 0), 0);
    for (t = 0; t < 200 && cl_leader(c) != target; t += 10)
        cl_tick(c, 10);
    ASSERT_EQ(cl_leader(c), target);
    ASSERT_LT(t, 200);
    ASSERT_EQ(cl_count_leaders(c), 1);
    ASSERT_EQ(cl_server(c, leader)->n_transfer_events, 1);
    ASSERT_EQ(cl_server(c, leader)->last_transfer, RAFT_LEADER_TRANSFER_EXPECTED_LEADER);
    ASSERT_EQ(raft_get_transfer_leader(cl_raft(c, leader)), RAFT_NODE_ID_NONE);
    ASSERT_EQ(raft_get_stats(cl_raft(c, leader), &st, sizeof(st)), 0);
    ASSERT_EQ(st.transfers_started, 1);
    ASSERT_EQ(st.transfers_completed, 1);
    ASSERT_GE(st.timeoutnows_sent, 1);
    ASSERT_EQ(raft_get_stats(cl_raft(c, target), &st, sizeof(st)), 0);
    ASSERT_EQ(st.elections_by_timeoutnow, 1);
    /* the new leader has every entry and takes new ones */
    ASSERT_EQ(cl_submit(c, target, 6, NULL), 0);
    cl_run(c, 200, 10);
    ASSERT_GE(raft_get_commit_idx(cl_raft(c, target)), 6);
    ASSERT_SAFE(c);
}

TEST(test_transfer_to_a_lagging_target_catches_it_up_first)
{
    cluster_t *c = new_cluster_ext(3, 23, NULL);
    int leader, target, i;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    target = leader % 3 + 1;
    cl_cut(c, leader, target);
    for (i = 1; i <= 20; i++) {
        ASSERT_EQ(cl_submit(c, leader, i, NULL), 0);
        cl_tick(c, 1);
    }
    ASSERT_LT(raft_get_current_idx(cl_raft(c, target)), raft_get_current_idx(cl_raft(c, leader)));
    ASSERT_EQ(raft_transfer_leader(cl_raft(c, leader), target, 1000), 0);
    cl_heal(c);
    cl_run(c, 400, 10);
    ASSERT_EQ(cl_leader(c), target);
    ASSERT_EQ(cl_server(c, leader)->last_transfer, RAFT_LEADER_TRANSFER_EXPECTED_LEADER);
    ASSERT_GE(raft_get_commit_idx(cl_raft(c, target)), 20);
    ASSERT_SAFE(c);
}

TEST(test_transfer_to_a_cut_off_target_times_out_and_the_leader_stays)
{
    cluster_t *c = new_cluster_ext(3, 25, NULL);
    int leader, target;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    target = leader % 3 + 1;
    cl_isolate(c, target);
    ASSERT_EQ(raft_transfer_leader(cl_raft(c, leader), target, 300), 0);
    cl_run(c, 310, 10);
    ASSERT_EQ(cl_server(c, leader)->last_transfer, RAFT_LEADER_TRANSFER_TIMEOUT);
    ASSERT(raft_is_leader(cl_raft(c, leader)));
    ASSERT_EQ(cl_submit(c, leader, 1, NULL), 0);
}
