/* A failing callback makes the calling function fail without acting on what
 * could not be persisted; log_apply errors are returned by raft_periodic. */
#include "fixture.h"

static const raft_term_t T1[] = {1, 1, 1, 1, 1, 1, 1, 1};
static const raft_term_t T2[] = {2, 2, 2, 2};
#define ERR (-33)

TEST(test_persist_term_failure_leaves_term_unchanged_on_set_current_term)
{
    fx_t *f = fx_new(1, 3);
    f->fail_persist_term = ERR;
    ASSERT_EQ(raft_set_current_term(f->r, 5), ERR);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
}

TEST(test_persist_vote_failure_leaves_voted_for_unchanged)
{
    fx_t *f = fx_new(1, 3);
    f->fail_persist_vote = ERR;
    ASSERT_EQ(raft_vote(f->r, fx_node(f, 2)), ERR);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(raft_vote_for_nodeid(f->r, 3), ERR);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_persist_term_failure_prevents_becoming_candidate)
{
    fx_t *f = fx_new(1, 3);
    f->fail_persist_term = ERR;
    ASSERT_EQ(raft_become_candidate(f->r), ERR);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(f->n_rv, 0);
}

TEST(test_persist_term_failure_during_periodic_election_is_returned)
{
    fx_t *f = fx_new(1, 3);
    f->fail_persist_term = ERR;
    ASSERT_EQ(raft_periodic(f->r, 5000), ERR);
    ASSERT(!raft_is_candidate(f->r));
    ASSERT(!raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(f->n_rv, 0);
}

TEST(test_persist_vote_failure_for_self_vote_sends_no_requestvote)
{
    fx_t *f = fx_new(1, 3);
    f->fail_persist_vote = ERR;
    ASSERT_EQ(raft_become_candidate(f->r), ERR);
    ASSERT_NE(raft_get_voted_for(f->r), 1);
    ASSERT_EQ(f->n_rv, 0);
    ASSERT(!raft_is_leader(f->r));
}

TEST(test_persist_vote_failure_when_granting_vote_fails_the_call)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    f->fail_persist_vote = ERR;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), ERR);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_NE(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
}

TEST(test_persist_term_failure_on_requestvote_keeps_term_and_refuses_vote)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    f->fail_persist_term = ERR;
    ASSERT_EQ(fx_recv_rv(f, 2, 4, 0, 0, &resp), ERR);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_NE(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
}

TEST(test_persist_term_failure_on_appendentries_keeps_term_and_log)
{
    fx_t *f = fx_new(1, 3);
    f->fail_persist_term = ERR;
    ASSERT_EQ(fx_recv_ae(f, 2, 3, 0, 0, 0, T1, 2, NULL), ERR);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(f->n_offered, 0);
}

TEST(test_persist_term_failure_on_vote_response_keeps_candidate_term)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    f->fail_persist_term = ERR;
    ASSERT_EQ(fx_recv_vote(f, 2, 5, 0), ERR);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

TEST(test_persist_term_failure_on_appendentries_response_keeps_leader_term)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    f->fail_persist_term = ERR;
    ASSERT_EQ(fx_recv_aer(f, 2, 5, 0, 0), ERR);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

TEST(test_log_offer_failure_drops_retained_entry)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t resp;
    fx_elect(f);
    f->fail_offer = ERR;
    ASSERT_EQ(fx_retain(f, 1, &resp), ERR);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 1));
    ASSERT_EQ(f->n_ae, 0);
    f->fail_offer = 0;
    ASSERT_EQ(fx_retain(f, 2, &resp), 0);
    ASSERT_EQ(resp.idx, 1);
}

TEST(test_log_offer_failure_on_append_entry_leaves_log_unchanged)
{
    fx_t *f = fx_new(1, 3);
    raft_entry_t e;
    e.term = 1;
    e.id = 1;
    e.type = RAFT_LOGTYPE_NORMAL;
    e.data.buf = fx_payload;
    e.data.len = 4;
    f->fail_offer = ERR;
    ASSERT_EQ(raft_append_entry(f->r, &e), ERR);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(raft_get_log_count(f->r), 0);
}

TEST(test_log_offer_failure_on_received_entries_keeps_only_persisted_ones)
{
    fx_t *f = fx_new(1, 3);
    f->fail_offer = ERR;
    f->fail_offer_at = 2;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 3, T1, 3, NULL), ERR);
    ASSERT_EQ(raft_get_current_idx(f->r), 1);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 2));
    ASSERT_LE(raft_get_commit_idx(f->r), 1);
}

TEST(test_log_offer_failure_on_cfg_entry_does_not_change_membership)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    f->fail_offer = ERR;
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), ERR);
    ASSERT_NULL(fx_node(f, 4));
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_DEMOTE_NODE, 3, NULL), ERR);
    ASSERT_NE(raft_node_is_voting(fx_node(f, 3)), 0);
    ASSERT_EQ(raft_voting_change_is_in_progress(f->r), 0);
}

TEST(test_log_pop_failure_keeps_conflicting_entries)
{
    fx_t *f = fx_new(1, 3);
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, NULL);
    f->fail_pop = ERR;
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 1, 1, 0, T2, 2, NULL), ERR);
    ASSERT_EQ(raft_get_current_idx(f->r), 3);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 3)->term, 1);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2)->term, 1);
}

TEST(test_log_poll_failure_keeps_entry_on_poll_entry)
{
    fx_t *f = fx_new(1, 3);
    raft_entry_t *e = NULL;
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 3, NULL);
    f->fail_poll = ERR;
    ASSERT_EQ(raft_poll_entry(f->r, &e), ERR);
    ASSERT_EQ(raft_get_log_count(f->r), 3);
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 1));
}

TEST(test_log_poll_failure_on_end_snapshot_is_returned_and_entry_kept)
{
    fx_t *f = fx_new(1, 3);
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 3, NULL);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    f->fail_poll = ERR;
    ASSERT_EQ(raft_end_snapshot(f->r), ERR);
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 1));
    ASSERT_EQ(raft_get_log_count(f->r), 3);
}

TEST(test_log_apply_error_is_returned_by_periodic)
{
    fx_t *f = fx_new(1, 3);
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 2, NULL);
    f->fail_apply = ERR;
    ASSERT_EQ(raft_periodic(f->r, 1), ERR);
    ASSERT_GE(raft_get_last_applied_idx(f->r), 1);
}

TEST(test_log_apply_shutdown_is_returned_by_periodic)
{
    fx_t *f = fx_new(1, 3);
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 2, NULL);
    f->fail_apply = RAFT_ERR_SHUTDOWN;
    ASSERT_EQ(raft_periodic(f->r, 1), RAFT_ERR_SHUTDOWN);
}

TEST(test_log_apply_error_counts_entry_as_applied)
{
    fx_t *f = fx_new(1, 3);
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 2, NULL);
    f->fail_apply = ERR;
    f->fail_apply_at = 1;
    ASSERT_EQ(raft_apply_entry(f->r), ERR);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 1);
    ASSERT_EQ(raft_apply_entry(f->r), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 2);
    ASSERT_EQ(f->n_applied, 2);
    ASSERT_EQ(f->applied[1].idx, 2);
}

TEST(test_send_appendentries_callback_error_is_returned)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    f->fail_send_ae = ERR;
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), ERR);
    ASSERT_EQ(f->n_ae, 1);
}

TEST(test_send_requestvote_callback_error_is_returned)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    fx_clear_rec(f);
    f->fail_send_rv = ERR;
    ASSERT_EQ(raft_send_requestvote(f->r, fx_node(f, 2)), ERR);
    ASSERT_EQ(f->n_rv, 1);
}
