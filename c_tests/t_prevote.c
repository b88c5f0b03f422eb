/* Pre-vote (thesis §9.6), each test named after the rule it checks:
 * off by default; a server whose timer fires asks for pre-votes without
 * raising its term; a majority of pre-votes starts the real election; voters
 * change nothing for a pre-vote and respect leader stickiness; a partitioned
 * server that comes back raises no term. */
#include "cluster_test.h"
#include "fixture.h"

#include <string.h>

/* A pre-vote request from `from` for term `term`, its log ending at
 * (last_idx, last_term); the response is filled. */
static int recv_prevote(fx_t *f, int from, raft_term_t term, raft_index_t last_idx, raft_term_t last_term,
                        msg_requestvote_response_t *resp)
{
    msg_requestvote_t rv;
    memset(&rv, 0, sizeof(rv));
    rv.term = term;
    rv.candidate_id = from;
    rv.last_log_idx = last_idx;
    rv.last_log_term = last_term;
    rv.prevote = 1;
    memset(resp, 0, sizeof(*resp));
    return raft_recv_requestvote(f->r, fx_node(f, from), &rv, resp);
}

/* A pre-vote answer from `from`: granted or not, for the round asking for `request_term`. */
static int recv_prevote_answer(fx_t *f, int from, raft_term_t term, raft_term_t request_term, int granted)
{
    msg_requestvote_response_t r;
    memset(&r, 0, sizeof(r));
    r.term = term;
    r.vote_granted = granted;
    r.prevote = 1;
    r.request_term = request_term;
    return raft_recv_requestvote_response(f->r, fx_node(f, from), &r);
}

static fx_t *prevote_server(int self, int n)
{
    fx_t *f = fx_new(self, n);
    raft_set_prevote(f->r, 1);
    ASSERT_EQ(raft_get_prevote(f->r), 1);
    return f;
}

/* Let the election timer of a follower fire (randomized in [1000, 2000)). */
static void fire_election_timer(fx_t *f)
{
    int i;
    for (i = 0; i < 25 && raft_is_follower(f->r); i++)
        ASSERT_EQ(raft_periodic(f->r, 100), 0);
}

TEST(test_prevote_is_off_by_default_and_the_timer_starts_a_real_election)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_get_prevote(f->r), 0);
    fire_election_timer(f);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(f->rv[0].m.prevote, 0);
}

TEST(test_prevote_timer_makes_a_precandidate_that_keeps_its_term)
{
    fx_t *f = prevote_server(1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, 4), 0);
    fx_clear_rec(f);
    fire_election_timer(f);
    ASSERT(raft_is_precandidate(f->r));
    ASSERT_EQ(raft_get_state(f->r), RAFT_STATE_PRECANDIDATE);
    ASSERT(!raft_is_candidate(f->r) && !raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 4);
    ASSERT_EQ(f->n_pterm, 0);
    ASSERT_EQ(f->n_pvote, 0);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(f->n_rv, 2);
    ASSERT_EQ(f->rv[0].m.prevote, 1);
    ASSERT_EQ(f->rv[0].m.term, 5); /* the term it would campaign in */
    ASSERT_EQ(f->rv[0].m.candidate_id, 1);
    ASSERT_EQ(f->rv[0].m.leadership_transfer, 0);
}

TEST(test_prevote_majority_of_grants_starts_the_real_election)
{
    fx_t *f = prevote_server(1, 3);
    fire_election_timer(f);
    ASSERT(raft_is_precandidate(f->r));
    fx_clear_rec(f);
    ASSERT_EQ(recv_prevote_answer(f, 2, 0, 1, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(raft_get_voted_for(f->r), 1);
    ASSERT_EQ(f->n_rv, 2);
    ASSERT_EQ(f->rv[0].m.prevote, 0);
    ASSERT_EQ(f->rv[0].m.term, 1);
}

TEST(test_prevote_refusals_leave_the_precandidate_in_its_term)
{
    fx_t *f = prevote_server(1, 5);
    fire_election_timer(f);
    ASSERT_EQ(recv_prevote_answer(f, 2, 0, 1, 1), 0);
    ASSERT_EQ(recv_prevote_answer(f, 3, 0, 1, 0), 0);
    ASSERT_EQ(recv_prevote_answer(f, 4, 0, 1, 0), 0);
    ASSERT(raft_is_precandidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
}

TEST(test_prevote_answer_of_another_round_is_not_counted)
{
    fx_t *f = prevote_server(1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, 3), 0);
    fire_election_timer(f);
    /* a grant for the round that asked for term 3 (an earlier one) */
    ASSERT_EQ(recv_prevote_answer(f, 2, 2, 3, 1), 0);
    ASSERT(raft_is_precandidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 3);
    ASSERT_EQ(recv_prevote_answer(f, 2, 3, 4, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 4);
}

TEST(test_prevote_answer_with_a_higher_term_makes_a_follower)
{
    fx_t *f = prevote_server(1, 3);
    fire_election_timer(f);
    ASSERT_EQ(recv_prevote_answer(f, 2, 7, 1, 0), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 7);
}

TEST(test_prevote_voter_changes_neither_term_nor_vote_nor_timer)
{
    fx_t *f = prevote_server(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    ASSERT_EQ(raft_periodic(f->r, 300), 0);
    fx_clear_rec(f);
    ASSERT_EQ(recv_prevote(f, 2, 3, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(resp.prevote, 1);
    ASSERT_EQ(resp.request_term, 3);
    ASSERT_EQ(resp.term, 2);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(f->n_pterm + f->n_pvote, 0);
    ASSERT_EQ(raft_get_timeout_elapsed(f->r), 300);
}

TEST(test_prevote_is_refused_for_a_term_not_above_ours)
{
    fx_t *f = prevote_server(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(raft_set_current_term(f->r, 5), 0);
    ASSERT_EQ(recv_prevote(f, 2, 5, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(resp.term, 5);
}

TEST(test_prevote_is_refused_to_a_stale_log)
{
    fx_t *f = prevote_server(1, 3);
    msg_requestvote_response_t resp;
    fx_append(f, 1, 1);
    fx_append(f, 2, 2);
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    ASSERT_EQ(recv_prevote(f, 2, 3, 5, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(recv_prevote(f, 2, 3, 2, 2, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
}

TEST(test_prevote_respects_leader_stickiness)
{
    fx_t *f = prevote_server(1, 3);
    msg_requestvote_response_t resp;
    msg_appendentries_response_t aer;
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, &aer), 0); /* node 3 leads term 1 */
    ASSERT_EQ(recv_prevote(f, 2, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    /* an election timeout later the leader is no longer heard from */
    ASSERT_EQ(raft_periodic(f->r, 1000), 0);
    ASSERT_EQ(recv_prevote(f, 2, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
}

TEST(test_prevote_flag_is_not_read_with_prevote_off)
{
    /* A willemt program may leave the appended field uninitialised: with the
     * option off it is a real vote request. */
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    memset(&resp, 0x5a, sizeof(resp));
    {
        msg_requestvote_t rv;
        memset(&rv, 0, sizeof(rv));
        rv.term = 3;
        rv.candidate_id = 2;
        rv.prevote = 1;
        ASSERT_EQ(raft_recv_requestvote(f->r, fx_node(f, 2), &rv, &resp), 0);
    }
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 3);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
    /* nor are the appended response fields written */
    {
        msg_requestvote_response_t sentinel;
        memset(&sentinel, 0x5a, sizeof(sentinel));
        ASSERT(memcmp(&resp.prevote, &sentinel.prevote, sizeof(resp.prevote)) == 0);
        ASSERT(memcmp(&resp.request_term, &sentinel.request_term, sizeof(resp.request_term)) == 0);
    }
}

TEST(test_prevote_candidate_timer_starts_a_new_prevote_round_not_a_new_term)
{
    fx_t *f = prevote_server(1, 3);
    fire_election_timer(f);
    ASSERT_EQ(recv_prevote_answer(f, 2, 0, 1, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 2000), 0);
    ASSERT(raft_is_precandidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(f->rv[0].m.term, 2);
    ASSERT_EQ(f->rv[0].m.prevote, 1);
}

TEST(test_prevote_precandidate_follows_a_leader_of_its_term)
{
    fx_t *f = prevote_server(1, 3);
    msg_appendentries_response_t aer;
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    fire_election_timer(f);
    ASSERT(raft_is_precandidate(f->r));
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_leader(f->r), 2);
    ASSERT_EQ(aer.success, 1);
}

TEST(test_prevote_lone_voter_still_becomes_leader_at_once)
{
    fx_t *f = prevote_server(1, 1);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

static void prevote_on(raft_server_t *r)
{
    raft_set_prevote(r, 1);
}

/* The highest term of the servers other than `except`. */
static raft_term_t max_term_except(cluster_t *c, int except)
{
    raft_term_t t = 0;
    int i;
    for (i = 1; i <= c->n; i++)
        if (i != except && raft_get_current_term(cl_raft(c, i)) > t)
            t = raft_get_current_term(cl_raft(c, i));
    return t;
}

TEST(test_prevote_partitioned_server_rejoins_without_raising_any_term)
{
    cluster_t *c = new_cluster_ext(3, 17, prevote_on);
    int leader, other, i;
    raft_term_t term;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    other = leader == 3 ? 2 : 3;
    term = raft_get_current_term(cl_raft(c, leader));
    cl_isolate(c, other);
    cl_run(c, 5000, 10); /* 25 election timeouts cut off */
    ASSERT_EQ(raft_get_current_term(cl_raft(c, other)), term);
    {
        raft_stats_t st;
        ASSERT_EQ(raft_get_stats(cl_raft(c, other), &st, sizeof(st)), 0);
        ASSERT_GT(st.prevotes_started, 10);
        ASSERT_EQ(st.elections_started, 0);
    }
    cl_heal(c);
    for (i = 0; i < 50; i++) {
        cl_tick(c, 10);
        ASSERT_EQ(max_term_except(c, other), term);
    }
    ASSERT_EQ(cl_leader(c), leader);
    ASSERT_EQ(raft_get_current_term(cl_raft(c, other)), term);
    ASSERT_EQ(raft_get_current_leader(cl_raft(c, other)), leader);
    ASSERT_SAFE(c);
}

TEST(test_without_prevote_a_rejoining_server_raises_the_term)
{
    /* The behaviour pre-vote prevents (willemt's, the default). */
    cluster_t *c = new_cluster(3, 17);
    int leader, other;
    raft_term_t term;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    other = leader == 3 ? 2 : 3;
    term = raft_get_current_term(cl_raft(c, leader));
    cl_isolate(c, other);
    cl_run(c, 5000, 10);
    ASSERT_GT(raft_get_current_term(cl_raft(c, other)), term + 5);
    cl_heal(c);
    cl_run(c, 2000, 10);
    ASSERT_GT(max_term_except(c, other), term);
}
