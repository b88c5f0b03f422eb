/* Check-quorum, each test named after the rule it checks: off by default
 * (willemt: a leader cut off keeps leading); with it a leader that has not
 * heard from a majority within an election timeout steps down (within two
 * election timeouts of being cut off), one that hears from a majority stays;
 * and a server refuses votes within an election timeout of hearing from a
 * leader, or of its own start. */
#include "cluster_test.h"
#include "fixture.h"

#include <string.h>

static void check_quorum_on(raft_server_t *r)
{
    raft_set_check_quorum(r, 1);
}

TEST(test_check_quorum_is_off_by_default_and_a_cut_off_leader_keeps_leading)
{
    cluster_t *c = new_cluster(3, 5);
    int leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    ASSERT_EQ(raft_get_check_quorum(cl_raft(c, leader)), 0);
    cl_isolate(c, leader);
    cl_run(c, 2000, 10);
    ASSERT(raft_is_leader(cl_raft(c, leader)));
}

TEST(test_check_quorum_leader_cut_off_steps_down_within_two_election_timeouts)
{
    cluster_t *c = new_cluster_ext(3, 5, check_quorum_on);
    int leader, t;
    raft_stats_t st;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    cl_run(c, 330, 10); /* somewhere inside a check period */
    ASSERT(raft_is_leader(cl_raft(c, leader)));
    cl_isolate(c, leader);
    for (t = 0; t < 400 && raft_is_leader(cl_raft(c, leader)); t += 10)
        cl_tick(c, 10);
    ASSERT(!raft_is_leader(cl_raft(c, leader)));
    ASSERT_LE(t, 400); /* 2 x election timeout (200 ms) */
    ASSERT_EQ(raft_get_current_leader(cl_raft(c, leader)), -1);
    ASSERT_EQ(cl_server(c, leader)->last_state, RAFT_STATE_FOLLOWER);
    ASSERT_EQ(raft_get_stats(cl_raft(c, leader), &st, sizeof(st)), 0);
    ASSERT_EQ(st.check_quorum_stepdowns, 1);
}

TEST(test_check_quorum_leader_hearing_from_a_majority_stays_leader)
{
    cluster_t *c = new_cluster_ext(5, 9, check_quorum_on);
    int leader, a, b;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    a = leader % 5 + 1;
    b = a % 5 + 1;
    cl_isolate(c, a);
    cl_isolate(c, b); /* 3 of 5 remain together */
    cl_run(c, 3000, 10);
    ASSERT(raft_is_leader(cl_raft(c, leader)));
    ASSERT_EQ(cl_leader(c), leader);
}

TEST(test_check_quorum_minority_side_leader_steps_down_and_majority_elects)
{
    cluster_t *c = new_cluster_ext(5, 11, check_quorum_on);
    int leader, other, i, newl;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    other = leader % 5 + 1;
    /* the leader and one follower on one side, three servers on the other */
    for (i = 1; i <= 5; i++)
        if (i != leader && i != other) {
            cl_cut(c, leader, i);
            cl_cut(c, other, i);
        }
    cl_run(c, 1500, 10);
    ASSERT(!raft_is_leader(cl_raft(c, leader)));
    newl = cl_leader(c);
    ASSERT(newl != leader && newl != other && newl > 0);
    ASSERT_SAFE(c);
}

TEST(test_check_quorum_server_refuses_votes_within_an_election_timeout_of_its_start)
{
    /* A restarted follower may have acknowledged a leader just before it
     * crashed: it must not help elect another before that leader's lease ends. */
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    raft_set_check_quorum(f->r, 1);
    ASSERT_EQ(raft_periodic(f->r, 900), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_periodic(f->r, 100), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
}

TEST(test_check_quorum_off_a_new_server_votes_at_once)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
}

TEST(test_check_quorum_follower_refuses_votes_while_it_hears_from_the_leader)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    msg_appendentries_response_t aer;
    raft_set_check_quorum(f->r, 1);
    ASSERT_EQ(raft_periodic(f->r, 1000), 0);
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(raft_periodic(f->r, 999), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(resp.term, 1);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
}

TEST(test_check_quorum_counts_only_responses_of_the_leaders_term)
{
    fx_t *f = fx_new(1, 3);
    int i;
    raft_set_check_quorum(f->r, 1);
    fx_elect(f);
    /* a response of an earlier term does not count as hearing from node 2 */
    for (i = 0; i < 10 && raft_is_leader(f->r); i++) {
        ASSERT_EQ(fx_recv_aer(f, 2, 0, 1, 0), 0);
        ASSERT_EQ(raft_periodic(f->r, 200), 0);
    }
    ASSERT(!raft_is_leader(f->r));
    ASSERT_LE(i, 10);
}

TEST(test_check_quorum_responses_of_the_term_keep_the_leader)
{
    fx_t *f = fx_new(1, 3);
    int i;
    raft_set_check_quorum(f->r, 1);
    fx_elect(f);
    for (i = 0; i < 20; i++) {
        ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 0), 0);
        ASSERT_EQ(raft_periodic(f->r, 200), 0);
    }
    ASSERT(raft_is_leader(f->r));
}

TEST(test_check_quorum_lone_voter_waits_an_election_timeout_after_hearing_a_leader)
{
    /* The leader's removal (or a demotion) may leave a follower the only
     * voter of its configuration while it may have acknowledged that
     * leader's lease: it must not elect itself before the lease ends. */
    fx_t *f = fx_new(2, 2);
    msg_appendentries_response_t aer;
    raft_set_check_quorum(f->r, 1);
    ASSERT_EQ(raft_periodic(f->r, 1000), 0);
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    raft_node_set_voting(fx_node(f, 1), 0); /* now the lone voter */
    ASSERT_EQ(raft_periodic(f->r, 999), 0);
    ASSERT(!raft_is_leader(f->r));
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT(raft_is_leader(f->r));
}

TEST(test_lone_voter_becomes_leader_at_once_without_check_quorum)
{
    fx_t *f = fx_new(2, 2);
    msg_appendentries_response_t aer;
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    raft_node_set_voting(fx_node(f, 1), 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT(raft_is_leader(f->r));
}
