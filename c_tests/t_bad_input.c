/* Bad input must be refused with an error code (RAFT_ERR_INVALID = -9 per
 * BEHAVIOUR.md, or the function's documented error) or ignored: never a
 * crash. Each test runs in a forked child, so a crash fails only that test. */
#include "fixture.h"

#include <limits.h>
#include <string.h>

static const raft_term_t T1[] = {1, 1, 1};

TEST(test_null_server_message_handlers_return_invalid)
{
    msg_appendentries_t ae;
    msg_appendentries_response_t aer;
    msg_requestvote_t rv;
    msg_requestvote_response_t rvr;
    memset(&ae, 0, sizeof(ae));
    memset(&aer, 0, sizeof(aer));
    memset(&rv, 0, sizeof(rv));
    memset(&rvr, 0, sizeof(rvr));
    ASSERT_EQ(raft_recv_appendentries(NULL, NULL, &ae, &aer), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_appendentries_response(NULL, NULL, &aer), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_requestvote(NULL, NULL, &rv, &rvr), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_requestvote_response(NULL, NULL, &rvr), RAFT_ERR_INVALID);
}

TEST(test_null_server_state_changers_return_invalid)
{
    msg_entry_t e;
    msg_entry_response_t r;
    memset(&e, 0, sizeof(e));
    memset(&r, 0, sizeof(r));
    ASSERT_EQ(raft_periodic(NULL, 10), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_retain_entries(NULL, &e, &r), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_append_entry(NULL, &e), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_vote(NULL, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_vote_for_nodeid(NULL, 1), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_set_current_term(NULL, 3), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_become_candidate(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_election_start(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_send_appendentries_all(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_send_appendentries(NULL, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_send_requestvote(NULL, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_apply_all(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_apply_entry(NULL), RAFT_ERR_INVALID);
    ASSERT(raft_msg_entry_response_committed(NULL, &r) < 0);
}

TEST(test_null_server_snapshot_functions_return_invalid)
{
    raft_entry_t *e = NULL;
    ASSERT_EQ(raft_begin_snapshot(NULL, 0), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_end_snapshot(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_cancel_snapshot(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_poll_entry(NULL, &e), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_begin_load_snapshot(NULL, 1, 1), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_end_load_snapshot(NULL), RAFT_ERR_INVALID);
}

TEST(test_null_server_pointer_getters_return_null)
{
    ASSERT_NULL(raft_get_my_node(NULL));
    ASSERT_NULL(raft_get_node(NULL, 1));
    ASSERT_NULL(raft_get_node_from_idx(NULL, 0));
    ASSERT_NULL(raft_get_entry_from_idx(NULL, 1));
    ASSERT_NULL(raft_get_current_leader_node(NULL));
    ASSERT_NULL(raft_get_udata(NULL));
    ASSERT_NULL(raft_get_last_applied_entry(NULL));
    ASSERT_NULL(raft_add_node(NULL, NULL, 1, 1));
    ASSERT_NULL(raft_add_non_voting_node(NULL, NULL, 1, 1));
}

TEST(test_null_server_value_getters_do_not_crash)
{
    long sum = 0;
    sum += raft_get_nodeid(NULL);
    sum += raft_get_election_timeout(NULL);
    sum += raft_get_request_timeout(NULL);
    sum += raft_get_num_nodes(NULL);
    sum += raft_get_num_voting_nodes(NULL);
    sum += raft_get_log_count(NULL);
    sum += raft_get_current_term(NULL);
    sum += raft_get_current_idx(NULL);
    sum += raft_get_commit_idx(NULL);
    sum += raft_is_follower(NULL) + raft_is_leader(NULL) + raft_is_candidate(NULL);
    sum += raft_get_timeout_elapsed(NULL);
    sum += raft_get_last_applied_idx(NULL);
    sum += raft_get_nvotes_for_me(NULL);
    sum += raft_get_voted_for(NULL);
    sum += raft_get_current_leader(NULL);
    sum += raft_get_state(NULL);
    sum += raft_get_last_log_term(NULL);
    sum += raft_get_snapshot_entry_idx(NULL);
    sum += raft_snapshot_is_in_progress(NULL);
    sum += raft_is_apply_allowed(NULL);
    sum += raft_get_first_entry_idx(NULL);
    sum += raft_get_snapshot_last_idx(NULL);
    sum += raft_get_snapshot_last_term(NULL);
    sum += raft_voting_change_is_in_progress(NULL);
    sum += raft_get_num_snapshottable_logs(NULL);
    sum += raft_get_randomized_election_timeout(NULL);
    /* a NULL server is neither leader nor candidate */
    ASSERT_EQ(raft_is_leader(NULL), 0);
    ASSERT_EQ(raft_is_candidate(NULL), 0);
    (void)sum;
}

TEST(test_null_server_void_functions_are_ignored)
{
    raft_cbs_t cbs;
    memset(&cbs, 0, sizeof(cbs));
    raft_free(NULL);
    raft_clear(NULL);
    raft_set_callbacks(NULL, &cbs, NULL);
    raft_remove_node(NULL, NULL);
    raft_set_election_timeout(NULL, 100);
    raft_set_request_timeout(NULL, 100);
    raft_set_commit_idx(NULL, 3);
    raft_become_leader(NULL);
    raft_become_follower(NULL);
    raft_set_snapshot_metadata(NULL, 1, 1);
    raft_randomize_election_timeout(NULL);
    raft_set_last_applied_idx(NULL, 1);
    raft_set_state(NULL, RAFT_STATE_LEADER);
    raft_set_random_seed(NULL, 5);
    raft_set_max_entries_per_msg(NULL, 5);
    ASSERT(1);
}

TEST(test_null_node_functions_do_not_crash)
{
    long sum = 0;
    raft_node_set_udata(NULL, NULL);
    raft_node_set_voting(NULL, 1);
    raft_node_set_active(NULL, 1);
    raft_node_set_voting_committed(NULL, 1);
    raft_node_set_addition_committed(NULL, 1);
    raft_node_set_next_idx(NULL, 3);
    raft_node_set_match_idx(NULL, 3);
    raft_node_vote_for_me(NULL, 1);
    raft_node_set_has_sufficient_logs(NULL);
    raft_node_free(NULL);
    sum += raft_node_get_next_idx(NULL) + raft_node_get_match_idx(NULL);
    sum += raft_node_get_id(NULL);
    sum += raft_node_is_voting(NULL) + raft_node_is_active(NULL) + raft_node_has_sufficient_logs(NULL);
    sum += raft_node_is_voting_committed(NULL) + raft_node_is_addition_committed(NULL);
    sum += raft_node_has_vote_for_me(NULL);
    ASSERT_NULL(raft_node_get_udata(NULL));
    (void)sum;
}

TEST(test_entry_classifiers_with_null_entry_return_zero)
{
    ASSERT_EQ(raft_entry_is_cfg_change(NULL), 0);
    ASSERT_EQ(raft_entry_is_voting_cfg_change(NULL), 0);
}

TEST(test_recv_appendentries_with_null_message_or_response_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    memset(&ae, 0, sizeof(ae));
    ae.term = 5;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), NULL, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
}

TEST(test_recv_appendentries_with_null_entries_and_positive_count_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    memset(&ae, 0, sizeof(ae));
    ae.term = 5;
    ae.n_entries = 3;
    ae.entries = NULL;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
}

TEST(test_recv_appendentries_with_negative_entry_count_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e[1];
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    memset(e, 0, sizeof(e));
    memset(&ae, 0, sizeof(ae));
    ae.term = 1;
    ae.n_entries = -2;
    ae.entries = e;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ae.entries = NULL;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), RAFT_ERR_INVALID);
}

TEST(test_recv_appendentries_with_negative_indexes_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    memset(&ae, 0, sizeof(ae));
    ae.term = 1;
    ae.prev_log_idx = -1;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), RAFT_ERR_INVALID);
    ae.prev_log_idx = 0;
    ae.leader_commit = -5;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
}

TEST(test_recv_appendentries_with_huge_prev_log_idx_is_refused_gracefully)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    int e = fx_recv_ae(f, 2, 1, 0x7fffffffL, 1, 0x7fffffffL, T1, 1, &resp);
    ASSERT(e == 0 || e == RAFT_ERR_INVALID);
    ASSERT_EQ(resp.success, 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
}

static void free_server(void *r) { raft_free(r); }

/* A second server whose node 2 is a valid pointer, but not a member of f. */
static raft_node_t *foreign_node(void)
{
    raft_server_t *other = raft_new();
    ASSERT_NOT_NULL(other);
    th_defer(free_server, other);
    raft_add_node(other, NULL, 1, 1);
    return raft_add_node(other, NULL, 2, 0);
}

TEST(test_recv_appendentries_from_node_of_another_server_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    memset(&ae, 0, sizeof(ae));
    ae.term = 4;
    ASSERT_EQ(raft_recv_appendentries(f->r, alien, &ae, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
}

TEST(test_recv_appendentries_from_unknown_sender_does_not_crash)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    int e;
    memset(&ae, 0, sizeof(ae));
    ae.term = 1;
    e = raft_recv_appendentries(f->r, NULL, &ae, &resp);
    ASSERT(e == 0 || e == RAFT_ERR_INVALID);
    ASSERT_NE(raft_get_current_leader(f->r), 1);
}

TEST(test_recv_requestvote_with_null_message_or_response_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_t rv;
    msg_requestvote_response_t resp;
    memset(&rv, 0, sizeof(rv));
    rv.term = 3;
    rv.candidate_id = 2;
    ASSERT_EQ(raft_recv_requestvote(f->r, fx_node(f, 2), NULL, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_requestvote(f->r, fx_node(f, 2), &rv, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_recv_requestvote_with_negative_last_log_idx_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, -3, 0, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
}

TEST(test_recv_requestvote_from_node_of_another_server_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    msg_requestvote_t rv;
    msg_requestvote_response_t resp;
    rv.term = 1;
    rv.candidate_id = 2;
    rv.last_log_idx = 0;
    rv.last_log_term = 0;
    resp.vote_granted = 0;
    ASSERT_EQ(raft_recv_requestvote(f->r, alien, &rv, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_recv_requestvote_response_with_null_response_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(raft_recv_requestvote_response(f->r, fx_node(f, 2), NULL), RAFT_ERR_INVALID);
    ASSERT(raft_is_candidate(f->r));
}

TEST(test_vote_response_from_null_node_is_not_counted)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t r;
    int e;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    r.term = 1;
    r.vote_granted = 1;
    /* refused with an error or ignored: either way no vote is counted */
    e = raft_recv_requestvote_response(f->r, NULL, &r);
    ASSERT(e <= 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
}

TEST(test_vote_response_from_node_of_another_server_is_not_counted)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    msg_requestvote_response_t r;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    r.term = 1;
    r.vote_granted = 1;
    ASSERT(raft_recv_requestvote_response(f->r, alien, &r) < 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
}

TEST(test_appendentries_response_with_null_response_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_recv_appendentries_response(f->r, fx_node(f, 2), NULL), RAFT_ERR_INVALID);
}

TEST(test_appendentries_response_from_node_of_another_server_is_refused)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    msg_appendentries_response_t r;
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    r.term = 1;
    r.success = 1;
    r.current_idx = 1;
    r.first_idx = 1;
    ASSERT(raft_recv_appendentries_response(f->r, alien, &r) < 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(raft_node_get_match_idx(alien), 0);
}

TEST(test_appendentries_response_beyond_leader_log_does_not_commit_past_it)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    fx_recv_aer(f, 2, 1, 1, 1000);
    ASSERT_LE(raft_get_commit_idx(f->r), raft_get_current_idx(f->r));
    ASSERT_LE(raft_node_get_next_idx(fx_node(f, 2)), raft_get_current_idx(f->r) + 1);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_LE(raft_get_last_applied_idx(f->r), 1);
}

TEST(test_appendentries_response_with_negative_current_idx_is_refused)
{
    fx_t *f = fx_new(1, 3);
    int e;
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    e = fx_recv_aer(f, 2, 1, 0, -7);
    ASSERT(e == RAFT_ERR_INVALID || e == 0);
    ASSERT_GE(raft_node_get_next_idx(fx_node(f, 2)), 1);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 0);
}

TEST(test_duplicate_success_response_changes_nothing)
{
    fx_t *f = fx_new(1, 5);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    /* one follower + leader is 2 of 5: a duplicate must not count twice */
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 1);
}

TEST(test_retain_entries_with_null_entry_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t r;
    fx_elect(f);
    ASSERT_EQ(raft_retain_entries(f->r, NULL, &r), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(f->n_offered, 0);
}

TEST(test_retain_entries_with_null_response_is_refused_or_fully_done)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e;
    int ret;
    fx_elect(f);
    memset(&e, 0, sizeof(e));
    e.id = 4;
    /* willemt accepts a NULL response pointer; refusing it is fine too,
     * but then nothing may have been appended */
    ret = raft_retain_entries(f->r, &e, NULL);
    ASSERT(ret == 0 || ret == RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_idx(f->r), ret == 0 ? 1 : 0);
    ASSERT_EQ(f->n_offered, ret == 0 ? 1 : 0);
}

TEST(test_append_entry_with_null_entry_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_append_entry(f->r, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
}

TEST(test_entry_response_committed_with_null_response_is_not_committed)
{
    fx_t *f = fx_new(1, 1);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT(raft_msg_entry_response_committed(f->r, NULL) != 1);
}

TEST(test_entry_response_committed_for_index_never_written_is_zero)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t r;
    r.id = 1;
    r.term = 1;
    r.idx = 50;
    ASSERT_EQ(raft_msg_entry_response_committed(f->r, &r), 0);
    r.idx = -3;
    ASSERT(raft_msg_entry_response_committed(f->r, &r) != 1);
}

TEST(test_get_entry_from_idx_with_negative_or_huge_index_returns_null)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, -1));
    ASSERT_NULL(raft_get_entry_from_idx(f->r, -1000000L));
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 2));
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 0x7fffffffL));
}

TEST(test_get_node_from_idx_with_negative_index_returns_null)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_NULL(raft_get_node_from_idx(f->r, -1));
    ASSERT_NULL(raft_get_node_from_idx(f->r, 3));
}

TEST(test_set_commit_idx_negative_is_ignored)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    raft_set_commit_idx(f->r, 1);
    raft_set_commit_idx(f->r, -4);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
}

TEST(test_set_current_term_negative_leaves_term_unchanged)
{
    fx_t *f = fx_new(1, 3);
    int e;
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    e = raft_set_current_term(f->r, -1);
    ASSERT(e == 0 || e == RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
}

TEST(test_vote_for_node_of_another_server_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    ASSERT_EQ(raft_vote(f->r, alien), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(f->n_pvote, 0);
}

TEST(test_remove_node_of_another_server_is_ignored)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    raft_remove_node(f->r, alien);
    raft_remove_node(f->r, NULL);
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
    ASSERT_NOT_NULL(fx_node(f, 2));
    /* the alien node is untouched and still usable */
    ASSERT_EQ(raft_node_get_id(alien), 2);
}

TEST(test_send_appendentries_to_null_or_foreign_node_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    fx_elect(f);
    ASSERT_EQ(raft_send_appendentries(f->r, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_send_appendentries(f->r, alien), RAFT_ERR_INVALID);
    ASSERT_EQ(f->n_ae, 0);
}

TEST(test_send_requestvote_to_null_or_foreign_node_returns_invalid)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *alien = foreign_node();
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_send_requestvote(f->r, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_send_requestvote(f->r, alien), RAFT_ERR_INVALID);
    ASSERT_EQ(f->n_rv, 0);
}

TEST(test_poll_entry_with_null_out_pointer_is_refused_or_fully_done)
{
    fx_t *f = fx_new(1, 3);
    int ret;
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 3, NULL);
    ret = raft_poll_entry(f->r, NULL);
    ASSERT(ret == 0 || ret == RAFT_ERR_INVALID);
    /* either nothing happened, or the entry left through log_poll */
    ASSERT_EQ(raft_get_log_count(f->r), ret == 0 ? 2 : 3);
    ASSERT_EQ(f->n_polled, ret == 0 ? 1 : 0);
}

TEST(test_set_callbacks_with_null_table_is_ignored)
{
    fx_t *f = fx_new(1, 3);
    static int other_udata;
    raft_set_callbacks(f->r, NULL, &other_udata);
    /* ignored means ignored: callbacks and their user_data stay as they were */
    ASSERT_PTR_EQ(raft_get_udata(f->r), f);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(f->n_rv, 2);
}

TEST(test_periodic_with_negative_msec_starts_no_election)
{
    fx_t *f = fx_new(1, 3);
    int e = raft_periodic(f->r, -5000);
    ASSERT(e == 0 || e == RAFT_ERR_INVALID);
    ASSERT(raft_is_follower(f->r));
    ASSERT_GE(raft_get_timeout_elapsed(f->r), 0);
    ASSERT_EQ(raft_periodic(f->r, 999), 0);
    ASSERT(raft_is_follower(f->r));
}

TEST(test_votes_is_majority_with_negative_counts_is_false)
{
    ASSERT_EQ(raft_votes_is_majority(-3, 2), 0);
    ASSERT_EQ(raft_votes_is_majority(3, -2), 0);
    ASSERT_EQ(raft_votes_is_majority(-1, -1), 0);
}

TEST(test_negative_max_entries_per_msg_does_not_stop_replication)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    raft_set_max_entries_per_msg(f->r, -3);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 3)), 0);
    ASSERT_GE(fx_last_ae_to(f, 3)->m.n_entries, 1);
}

TEST(test_begin_load_snapshot_with_negative_index_is_refused)
{
    fx_t *f = fx_new(1, 3);
    ASSERT(raft_begin_load_snapshot(f->r, 1, -1) < 0);
    ASSERT(raft_begin_load_snapshot(f->r, -1, -1) < 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
}

TEST(test_stale_vote_response_from_older_election_is_not_counted)
{
    fx_t *f = fx_new(1, 5);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(fx_recv_vote(f, 3, 2, 1), 0);
    ASSERT_EQ(fx_recv_vote(f, 4, 3, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 2);
}

TEST(test_add_node_with_duplicate_self_does_not_replace_self)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *me = raft_get_my_node(f->r);
    ASSERT_NULL(raft_add_node(f->r, NULL, 1, 1));
    ASSERT_PTR_EQ(raft_get_my_node(f->r), me);
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
}

/* Entries that point into the receiver's own log (which an append may move)
 * are copied first: appending them must neither crash nor read freed memory. */
TEST(test_appendentries_whose_entries_point_into_the_receivers_own_log)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    int i;
    for (i = 1; i <= 15; i++)
        fx_append(f, 1, i);
    memset(&ae, 0, sizeof(ae));
    ae.term = 1;
    ae.prev_log_idx = 15;
    ae.prev_log_term = 1;
    ae.n_entries = 15;
    ae.entries = raft_get_entry_from_idx(f->r, 1); /* our own first 15 entries */
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(raft_get_current_idx(f->r), 30);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 30)->id, raft_get_entry_from_idx(f->r, 15)->id);
}

/* ---- the range bugs fuzzing found (RELIABILITY.md FUZZ-1..5) ---- */

TEST(test_election_timeout_of_int_max_is_clamped_and_starts_no_election_at_once)
{
    fx_t *f = fx_new(1, 3);
    raft_set_election_timeout(f->r, INT_MAX);
    ASSERT(raft_get_election_timeout(f->r) > 0);
    ASSERT(raft_get_randomized_election_timeout(f->r) >= raft_get_election_timeout(f->r));
    ASSERT_EQ(raft_periodic(f->r, 1000), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
}

TEST(test_snapshot_metadata_out_of_range_is_ignored)
{
    fx_t *f = fx_new(1, 3);
    raft_set_snapshot_metadata(f->r, 1, -5);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    raft_set_snapshot_metadata(f->r, 1, INT64_MAX);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    raft_set_snapshot_metadata(f->r, INT64_MAX, 3);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 0);
    raft_set_snapshot_metadata(f->r, 2, 3);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 3);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 2);
}

TEST(test_appendentries_with_index_or_commit_above_the_range_is_invalid)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    memset(&ae, 0, sizeof(ae));
    ae.term = 1;
    ae.prev_log_idx = INT64_MAX;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), RAFT_ERR_INVALID);
    ae.prev_log_idx = 0;
    ae.leader_commit = INT64_MAX;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
}

TEST(test_load_snapshot_at_int64_max_index_is_refused_and_leadership_still_works)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 1, INT64_MAX), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    fx_elect(f);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
}
