/* Regression tests for library bugs the chaos simulator found (sim/LIB_BUGS.md),
 * each named after the bug. */
#include "fixture.h"

#include <string.h>

/* Bug 1: a popped configuration entry was handed to log_get_node_id after
 * log_pop had given its payload back to the application. */
static raft_index_t released[8];
static int n_released, asked_after_release;

static int pop_releasing(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)r; (void)ud;
    if (n_released < 8)
        released[n_released++] = idx;
    e->data.buf = NULL; /* the application has taken the payload back */
    return 0;
}

static int node_id_checking(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    int i;
    (void)r; (void)ud;
    for (i = 0; i < n_released; i++)
        if (released[i] == idx)
            asked_after_release = 1;
    return e->data.buf ? *(int *)e->data.buf : -1;
}

TEST(test_regress_sim_bug1_popped_cfg_entry_is_named_before_log_pop_releases_it)
{
    fx_t *f = fx_new(1, 3);
    raft_cbs_t cbs = f->cbs;
    n_released = 0;
    asked_after_release = 0;
    cbs.log_pop = pop_releasing;
    cbs.log_get_node_id = node_id_checking;
    raft_set_callbacks(f->r, &cbs, f);
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 7);
    ASSERT_NOT_NULL(fx_node(f, 7));
    /* A leader of term 2 overwrites index 1: the ADD is popped and reverted. */
    {
        raft_term_t terms[1] = {2};
        msg_appendentries_response_t resp;
        ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 0, terms, 1, &resp), 0);
        ASSERT_EQ(resp.success, 1);
    }
    ASSERT_EQ(n_released, 1);
    ASSERT_EQ(asked_after_release, 0);
    ASSERT_NULL(fx_node(f, 7));
}

/* Bug 2: a server named by its own uncommitted DEMOTE/REMOVE entry stopped
 * campaigning, so a 2-server cluster whose most up-to-date member was being
 * removed never elected a leader again (thesis §4.1). */
TEST(test_regress_sim_bug2_server_with_pending_self_removal_still_campaigns)
{
    fx_t *f = fx_new(1, 2);
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_REMOVE_NODE, 1);
    ASSERT_EQ(raft_node_is_active(raft_get_my_node(f->r)), 0);
    ASSERT_EQ(raft_periodic(f->r, 2500), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(fx_count_rv_to(f, 2), 1);
    /* Its own vote does not count: it is not in its latest configuration. */
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, raft_get_current_term(f->r), 1), 0);
    ASSERT(raft_is_leader(f->r));
}

TEST(test_regress_sim_bug2_demoted_learner_without_pending_change_does_not_campaign)
{
    fx_t *f = fx_new(1, 3);
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_DEMOTE_NODE, 1);
    raft_set_commit_idx(f->r, 1);
    ASSERT_EQ(raft_periodic(f->r, 2500), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(fx_count_rv_to(f, 2), 0);
}

/* Bug 3: REMOVE_NODE of a voter was not tracked as a voting change, so two
 * voter removals could be in flight and two leaders' quorums be disjoint. */
TEST(test_regress_sim_bug3_removing_a_voter_is_a_voting_change)
{
    fx_t *f = fx_new(1, 5);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_REMOVE_NODE, 4, NULL), 0);
    ASSERT_NE(raft_voting_change_is_in_progress(f->r), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_REMOVE_NODE, 5, NULL), RAFT_ERR_ONE_VOTING_CHANGE_ONLY);
    ASSERT_NE(raft_node_is_active(fx_node(f, 5)), 0);
}

TEST(test_regress_sim_bug3_follower_tracks_appended_voter_removal)
{
    fx_t *f = fx_new(1, 5);
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_REMOVE_NODE, 4);
    ASSERT_NE(raft_voting_change_is_in_progress(f->r), 0);
}

/* Bug 4: a leader appended a voting change before committing an entry of its
 * own term (the single-server membership change bug). */
TEST(test_regress_sim_bug4_no_voting_change_before_an_entry_of_the_term_commits)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t r;
    fx_append(f, 1, 1);
    raft_set_commit_idx(f->r, 1);
    fx_make_leader_at(f, 2);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_REMOVE_NODE, 3, NULL), RAFT_ERR_ONE_VOTING_CHANGE_ONLY);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain(f, 3, &r), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, r.idx), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), r.idx);
    ASSERT_EQ(fx_retain_cfg(f, 4, RAFT_LOGTYPE_REMOVE_NODE, 3, NULL), 0);
}

/* Bug 5: after loading a snapshot a server kept the membership status that
 * its discarded log had given it (inactive, from a superseded REMOVE of
 * itself) and refused to take part; the snapshot supersedes the log. */
TEST(test_regress_sim_bug5_loading_a_snapshot_resets_our_own_status)
{
    fx_t *f = fx_new(1, 3);
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_REMOVE_NODE, 1);
    ASSERT_EQ(raft_node_is_active(raft_get_my_node(f->r)), 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 2, 5), 0);
    ASSERT_NE(raft_node_is_active(raft_get_my_node(f->r)), 0);
    ASSERT_NE(raft_node_is_voting(raft_get_my_node(f->r)), 0);
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 3, 0));
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 3);
    ASSERT_EQ(raft_periodic(f->r, 2500), 0);
    ASSERT(raft_is_candidate(f->r));
}

/* Bug 6: a server whose (stale) log said it was non-voting refused every
 * vote, although newer logs had promoted it again and their candidates
 * needed its vote: no leader after chaos stopped. A server votes on the log
 * rule alone (thesis §4.1). */
TEST(test_regress_sim_bug6_server_demoted_in_its_stale_log_still_votes)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_DEMOTE_NODE, 1);
    raft_set_commit_idx(f->r, 1);
    ASSERT_EQ(raft_apply_all(f->r), 0);
    ASSERT_EQ(raft_node_is_voting(raft_get_my_node(f->r)), 0);
    /* Candidate 2's log is longer: it holds the entry that promoted us again. */
    ASSERT_EQ(fx_recv_rv(f, 2, 3, 2, 2, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
}
