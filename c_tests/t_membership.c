/* Membership changes through configuration log entries (thesis §4.1; seed doc
 * "Membership changes"). Configuration entries carry the node id as an int
 * payload; the fixture's log_get_node_id callback reads it. */
#include "fixture.h"

#include <string.h>

/* Follower receives one configuration entry at prev_idx+1 from `from`. */
static int recv_cfg(fx_t *f, int from, raft_term_t term, raft_index_t prev_idx, raft_term_t prev_term,
                    raft_index_t commit, int type, int node_id)
{
    msg_entry_t e;
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    memset(&e, 0, sizeof(e));
    e.term = term;
    e.id = 900 + (int)prev_idx;
    e.type = type;
    e.data.buf = fx_node_id_payload(node_id);
    e.data.len = sizeof(int);
    memset(&ae, 0, sizeof(ae));
    ae.term = term;
    ae.prev_log_idx = prev_idx;
    ae.prev_log_term = prev_term;
    ae.leader_commit = commit;
    ae.n_entries = 1;
    ae.entries = &e;
    return raft_recv_appendentries(f->r, fx_node(f, from), &ae, &resp) ? -100 : (resp.success ? 0 : -101);
}

/* A term-2 leader (node 3) overwrites everything from index 1. */
static void overwrite_from_index_1(fx_t *f)
{
    static const raft_term_t t2[] = {2};
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 0, 0, 0, t2, 1, &resp), 0);
    ASSERT_EQ(resp.success, 1);
}

static int find_mem(fx_t *f, int node, int type)
{
    int i;
    for (i = 0; i < f->n_mem; i++)
        if (f->mem[i].node == node && f->mem[i].type == type)
            return i;
    return -1;
}

TEST(test_appending_add_nonvoting_entry_adds_nonvoting_node_named_by_log_get_node_id)
{
    fx_t *f = fx_new(1, 3);
    int m;
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 3);
    m = find_mem(f, 4, RAFT_MEMBERSHIP_ADD);
    ASSERT_GE(m, 0);
    ASSERT_EQ(f->mem[m].has_entry, 1);
    ASSERT_EQ(f->mem[m].entry_type, RAFT_LOGTYPE_ADD_NONVOTING_NODE);
}

TEST(test_appending_add_node_entry_makes_nonvoting_node_voting)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_ADD_NODE, 4, NULL), 0);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 4);
}

TEST(test_appending_add_node_entry_for_unknown_id_adds_voting_node)
{
    fx_t *f = fx_new(1, 3);
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_ADD_NODE, 5);
    ASSERT_NOT_NULL(fx_node(f, 5));
    ASSERT_NE(raft_node_is_voting(fx_node(f, 5)), 0);
    ASSERT_GE(find_mem(f, 5, RAFT_MEMBERSHIP_ADD), 0);
}

TEST(test_appending_demote_entry_makes_node_nonvoting)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_DEMOTE_NODE, 3, NULL), 0);
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 3)), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 2);
}

TEST(test_appending_remove_entry_makes_node_inactive)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_REMOVE_NODE, 3, NULL), 0);
    ASSERT_NOT_NULL(fx_node(f, 3));
    ASSERT_EQ(raft_node_is_active(fx_node(f, 3)), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 2);
}

TEST(test_follower_applies_configuration_from_appendentries_when_appended)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 0, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 4)), 0);
    ASSERT_EQ(recv_cfg(f, 2, 1, 1, 1, 0, RAFT_LOGTYPE_ADD_NODE, 4), 0);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 4)), 0);
}

TEST(test_popping_add_nonvoting_entry_removes_the_node)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 0, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    overwrite_from_index_1(f);
    ASSERT_EQ(f->n_popped, 1);
    ASSERT_NULL(fx_node(f, 4));
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
}

TEST(test_popping_add_node_entry_makes_node_nonvoting_again)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 4, 0));
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 0, RAFT_LOGTYPE_ADD_NODE, 4), 0);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 4)), 0);
    overwrite_from_index_1(f);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 4)), 0);
}

TEST(test_popping_demote_entry_makes_node_voting_again)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 0, RAFT_LOGTYPE_DEMOTE_NODE, 3), 0);
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 3)), 0);
    overwrite_from_index_1(f);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 3)), 0);
}

TEST(test_popping_remove_entry_reactivates_node)
{
    fx_t *f = fx_new(1, 4);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 0, RAFT_LOGTYPE_REMOVE_NODE, 4), 0);
    ASSERT_EQ(raft_node_is_active(fx_node(f, 4)), 0);
    overwrite_from_index_1(f);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT_NE(raft_node_is_active(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 4);
}

TEST(test_applying_add_node_marks_addition_and_voting_committed)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 0, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4), 0);
    ASSERT_EQ(recv_cfg(f, 2, 1, 1, 1, 2, RAFT_LOGTYPE_ADD_NODE, 4), 0);
    ASSERT_EQ(raft_node_is_voting_committed(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 2);
    ASSERT_NE(raft_node_is_voting_committed(fx_node(f, 4)), 0);
    ASSERT_NE(raft_node_is_addition_committed(fx_node(f, 4)), 0);
    ASSERT_NE(raft_node_has_sufficient_logs(fx_node(f, 4)), 0);
}

TEST(test_applying_add_nonvoting_marks_addition_committed_only)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4), 0);
    ASSERT_EQ(raft_node_is_addition_committed(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_NE(raft_node_is_addition_committed(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_node_is_voting_committed(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 4)), 0);
}

TEST(test_applying_remove_entry_removes_node_and_notifies)
{
    fx_t *f = fx_new(1, 4);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 1, RAFT_LOGTYPE_REMOVE_NODE, 4), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_NULL(fx_node(f, 4));
    ASSERT_GE(find_mem(f, 4, RAFT_MEMBERSHIP_REMOVE), 0);
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
}

TEST(test_applying_demote_entry_clears_voting_committed)
{
    fx_t *f = fx_new(1, 3);
    raft_node_set_voting_committed(fx_node(f, 3), 1);
    ASSERT_EQ(recv_cfg(f, 2, 1, 0, 0, 1, RAFT_LOGTYPE_DEMOTE_NODE, 3), 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(raft_node_is_voting_committed(fx_node(f, 3)), 0);
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 3)), 0);
}

TEST(test_voting_change_is_in_progress_from_append_until_applied)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_voting_change_is_in_progress(f->r), 0);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_ADD_NODE, 4, NULL), 0);
    ASSERT_NE(raft_voting_change_is_in_progress(f->r), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 2), 0);
    ASSERT_EQ(fx_recv_aer(f, 3, 1, 1, 2), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    ASSERT_NE(raft_voting_change_is_in_progress(f->r), 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 2);
    ASSERT_EQ(raft_voting_change_is_in_progress(f->r), 0);
}

TEST(test_second_voting_change_is_rejected_while_one_is_uncommitted)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_ADD_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 3, RAFT_LOGTYPE_DEMOTE_NODE, 3, NULL), RAFT_ERR_ONE_VOTING_CHANGE_ONLY);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 3)), 0);
}

TEST(test_removing_voting_node_is_rejected_while_voting_change_in_progress)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_DEMOTE_NODE, 3, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_REMOVE_NODE, 2, NULL), RAFT_ERR_ONE_VOTING_CHANGE_ONLY);
    ASSERT_NE(raft_node_is_active(fx_node(f, 2)), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 1);
}

TEST(test_nonvoting_changes_are_allowed_while_voting_change_in_progress)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_DEMOTE_NODE, 3, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 3, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 5, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 4, RAFT_LOGTYPE_REMOVE_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain(f, 5, NULL), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 5);
}

TEST(test_node_has_sufficient_logs_fires_once_when_nonvoting_node_catches_up)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 2), 0);
    ASSERT_EQ(f->n_suff, 1);
    ASSERT_EQ(f->suff[0], 4);
    ASSERT_NE(raft_node_has_sufficient_logs(fx_node(f, 4)), 0);
    ASSERT_EQ(fx_retain(f, 3, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 3), 0);
    ASSERT_EQ(f->n_suff, 1);
}

TEST(test_node_has_sufficient_logs_not_fired_for_lagging_nonvoting_node)
{
    fx_t *f = fx_new(1, 3);
    int i;
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    for (i = 2; i <= 6; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 2), 0);
    ASSERT_EQ(f->n_suff, 0);
    ASSERT_EQ(raft_node_has_sufficient_logs(fx_node(f, 4)), 0);
}

TEST(test_node_has_sufficient_logs_not_fired_for_voting_nodes)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(fx_recv_aer(f, 3, 1, 1, 1), 0);
    ASSERT_EQ(f->n_suff, 0);
}

TEST(test_node_has_sufficient_logs_refused_by_callback_is_retried_later)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    f->fail_suff = 1;
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 1), 0);
    ASSERT_EQ(f->n_suff, 1);
    ASSERT_EQ(raft_node_has_sufficient_logs(fx_node(f, 4)), 0);
    f->fail_suff = 0;
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 2), 0);
    ASSERT_EQ(f->n_suff, 2);
    ASSERT_NE(raft_node_has_sufficient_logs(fx_node(f, 4)), 0);
}

TEST(test_node_has_sufficient_logs_not_fired_during_voting_change)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_DEMOTE_NODE, 3, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 2), 0);
    ASSERT_EQ(f->n_suff, 0);
}

TEST(test_without_log_get_node_id_library_leaves_membership_to_host)
{
    fx_t *f = fx_new(1, 3);
    f->cbs.log_get_node_id = NULL;
    raft_set_callbacks(f->r, &f->cbs, f);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_NULL(fx_node(f, 4));
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
}

TEST(test_host_may_add_and_promote_nodes_from_log_offer)
{
    fx_t *f = fx_new(1, 3);
    f->cbs.log_get_node_id = NULL;
    raft_set_callbacks(f->r, &f->cbs, f);
    f->host_membership = 1;
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 4)), 0);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_ADD_NODE, 4, NULL), 0);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 4)), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 4);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
}

TEST(test_removed_node_no_longer_counts_toward_commit_majority)
{
    fx_t *f = fx_new(1, 4);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_REMOVE_NODE, 4, NULL), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 3);
    /* 2 of the 3 remaining voters (leader + node 2) commit */
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
}

TEST(test_node_has_sufficient_logs_not_fired_on_failed_response)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 0, 0), 0);
    ASSERT_EQ(f->n_suff, 0);
    ASSERT_EQ(raft_node_has_sufficient_logs(fx_node(f, 4)), 0);
}

TEST(test_node_has_sufficient_logs_callback_may_append_add_node_entry)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    f->promote_in_suff = 1;
    f->promote_ret = -100;
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 1), 0);
    ASSERT_EQ(f->n_suff, 1);
    ASSERT_EQ(f->promote_ret, 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2)->type, RAFT_LOGTYPE_ADD_NODE);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 4)), 0);
    ASSERT_NE(raft_voting_change_is_in_progress(f->r), 0);
}
