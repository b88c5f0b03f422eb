/* willemt/raft fidelity (issue 11): behaviours a willemt program relies on,
 * each test named after the rule it checks. */
#include "fixture.h"

#include <stdint.h>
#include <string.h>

static const raft_term_t T1[] = {1, 1, 1, 1, 1, 1};

/* ---- AppendEntries with prev_log_idx 0: no previous entry to check ---- */

TEST(test_appendentries_with_prev_log_idx_0_ignores_prev_log_term)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 7, 0, T1, 2, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
}

/* ---- log callbacks run before the entry counts / while it is still there ---- */

static struct {
    raft_index_t idx_arg, current_idx, entry_at_idx_present;
    int calls;
    raft_index_t first_idx;
} seen;

static int offer_observer(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    fx_t *f = ud;
    (void)e;
    seen.calls++;
    seen.idx_arg = idx;
    seen.current_idx = raft_get_current_idx(r);
    seen.entry_at_idx_present = raft_get_entry_from_idx(r, idx) != NULL;
    return f->fail_offer;
}

static int pop_observer(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)ud;
    seen.calls++;
    seen.idx_arg = idx;
    seen.current_idx = raft_get_current_idx(r);
    seen.entry_at_idx_present = raft_get_entry_from_idx(r, idx) == e;
    return 0;
}

static int poll_observer(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)ud;
    seen.calls++;
    seen.idx_arg = idx;
    seen.first_idx = raft_get_current_idx(r) - raft_get_log_count(r) + 1;
    seen.entry_at_idx_present = raft_get_entry_from_idx(r, idx) == e;
    return 0;
}

TEST(test_log_offer_is_called_before_the_entry_counts_in_the_log)
{
    fx_t *f = fx_new(1, 3);
    memset(&seen, 0, sizeof(seen));
    f->cbs.log_offer = offer_observer;
    raft_set_callbacks(f->r, &f->cbs, f);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(seen.calls, 1);
    ASSERT_EQ(seen.idx_arg, 1);
    ASSERT_EQ(seen.current_idx, 0);
    ASSERT_EQ(seen.entry_at_idx_present, 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 1);
}

TEST(test_log_offer_failure_leaves_no_trace_of_a_configuration_entry)
{
    fx_t *f = fx_new(1, 3);
    memset(&seen, 0, sizeof(seen));
    f->cbs.log_offer = offer_observer;
    raft_set_callbacks(f->r, &f->cbs, f);
    fx_elect(f);
    f->fail_offer = -33;
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), -33);
    ASSERT_EQ(seen.calls, 1);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_NULL(fx_node(f, 4));
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
    ASSERT_EQ(f->n_mem, 0);
    ASSERT_EQ(f->n_ae, 0);
}

TEST(test_log_pop_sees_the_entry_still_in_the_log)
{
    fx_t *f = fx_new(1, 3);
    static const raft_term_t T2[] = {2};
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 2, NULL), 0);
    memset(&seen, 0, sizeof(seen));
    f->cbs.log_pop = pop_observer;
    raft_set_callbacks(f->r, &f->cbs, f);
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 1, 1, 0, T2, 1, NULL), 0);
    ASSERT_EQ(seen.calls, 1);
    ASSERT_EQ(seen.idx_arg, 2);
    ASSERT_EQ(seen.current_idx, 2);
    ASSERT_EQ(seen.entry_at_idx_present, 1);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2)->term, 2);
}

TEST(test_log_poll_sees_the_entry_still_first_in_the_log)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 3, T1, 3, NULL), 0);
    memset(&seen, 0, sizeof(seen));
    f->cbs.log_poll = poll_observer;
    raft_set_callbacks(f->r, &f->cbs, f);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(seen.calls, 3);
    ASSERT_EQ(seen.idx_arg, 3);
    ASSERT_EQ(seen.first_idx, 3);
    ASSERT_EQ(seen.entry_at_idx_present, 1);
}

/* ---- leader stickiness (thesis §4.2.3) ---- */

TEST(test_leader_stickiness_follower_neither_votes_nor_raises_its_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, NULL), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, raft_get_election_timeout(f->r) - 1), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 5, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(resp.term, 1);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(raft_get_current_leader(f->r), 3);
    ASSERT_EQ(f->n_pterm, 0);
}

TEST(test_leader_stickiness_ends_after_the_minimum_election_timeout)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, NULL), 0);
    /* The randomized timeout is above the minimum: no election yet. */
    ASSERT_GT(raft_get_randomized_election_timeout(f->r), raft_get_election_timeout(f->r));
    ASSERT_EQ(raft_periodic(f->r, raft_get_election_timeout(f->r)), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(fx_recv_rv(f, 2, 5, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_current_term(f->r), 5);
}

TEST(test_leader_stickiness_leader_ignores_a_higher_term_requestvote)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_elect(f);
    ASSERT_EQ(fx_recv_rv(f, 2, 5, 0, 0, &resp), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(resp.term, 1);
}

TEST(test_leader_stickiness_does_not_apply_to_the_leader_itself_as_candidate)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, NULL), 0);
    ASSERT_EQ(fx_recv_rv(f, 3, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
}

/* ---- snapshots and configuration changes ---- */

static fx_t *lone_leader_with_two_entries(void)
{
    fx_t *f = fx_new(1, 1);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    return f;
}

TEST(test_blocking_snapshot_refuses_only_voting_changes)
{
    fx_t *f = lone_leader_with_two_entries();
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(fx_retain_cfg(f, 3, RAFT_LOGTYPE_ADD_NODE, 4, NULL), RAFT_ERR_SNAPSHOT_IN_PROGRESS);
    ASSERT_NULL(fx_node(f, 4));
    ASSERT_EQ(fx_retain_cfg(f, 4, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT(!raft_node_is_voting(fx_node(f, 4)));
}

TEST(test_nonblocking_apply_snapshot_allows_voting_changes_and_applying)
{
    fx_t *f = lone_leader_with_two_entries();
    ASSERT_EQ(raft_begin_snapshot(f->r, RAFT_SNAPSHOT_NONBLOCKING_APPLY), 0);
    ASSERT_EQ(fx_retain_cfg(f, 3, RAFT_LOGTYPE_ADD_NODE, 4, NULL), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT(raft_node_is_voting(fx_node(f, 4)));
    ASSERT_EQ(fx_retain(f, 4, NULL), 0);
    /* Node 4 now votes and has nothing: entries 3 and 4 wait for it; the
     * entries the snapshot covers were applied, and applying goes on. */
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 2);
    ASSERT(raft_is_apply_allowed(f->r));
}

/* ---- loading a snapshot never discards committed entries ---- */

TEST(test_load_snapshot_below_commit_idx_is_refused_and_changes_nothing)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 4, T1, 5, NULL), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 4);
    fx_clear_rec(f);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 1, 3), -1);
    ASSERT_EQ(raft_get_commit_idx(f->r), 4);
    ASSERT_EQ(raft_get_current_idx(f->r), 5);
    ASSERT_EQ(raft_get_log_count(f->r), 5);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    ASSERT_EQ(f->n_cleared, 0);
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
    /* At the commit index it is accepted. */
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 1, 4), -1); /* our log holds it */
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 2, 4), 0);
}

/* ---- node_has_sufficient_logs only when the promotion would be accepted ---- */

TEST(test_node_has_sufficient_logs_waits_until_a_promotion_would_be_accepted)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t r;
    raft_node_t *n4;
    fx_append(f, 1, 1); /* an entry of an earlier term */
    fx_make_leader_at(f, 2);
    ASSERT_EQ(fx_retain_cfg(f, 2, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, &r), 0);
    n4 = fx_node(f, 4);
    ASSERT_NOT_NULL(n4);
    /* Node 4 has caught up, but no entry of term 2 is committed: a voting
     * change would be refused, so the host is not asked yet. */
    ASSERT_EQ(fx_recv_aer(f, 4, 2, 1, 2), 0);
    ASSERT_EQ(f->n_suff, 0);
    ASSERT_EQ(fx_retain_cfg(f, 3, RAFT_LOGTYPE_ADD_NODE, 4, NULL), RAFT_ERR_ONE_VOTING_CHANGE_ONLY);
    /* Commit the term-2 entry; the next response offers node 4. */
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 2), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    ASSERT_EQ(fx_recv_aer(f, 4, 2, 1, 2), 0);
    ASSERT_EQ(f->n_suff, 1);
    ASSERT_EQ(f->suff[0], 4);
    ASSERT_EQ(fx_retain_cfg(f, 3, RAFT_LOGTYPE_ADD_NODE, 4, NULL), 0);
}

/* ---- term arithmetic cannot overflow ---- */

TEST(test_term_at_the_top_of_the_range_is_refused_in_every_message)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t aer;
    msg_requestvote_t rv;
    msg_requestvote_response_t rvr;
    const raft_term_t top = INT64_MAX;
    memset(&ae, 0, sizeof(ae));
    ae.term = top;
    memset(&aer, 0x5a, sizeof(aer));
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &aer), RAFT_ERR_INVALID);
    ASSERT_EQ(aer.term, (raft_term_t)0x5a5a5a5a5a5a5a5aLL); /* response untouched */
    memset(&rv, 0, sizeof(rv));
    rv.term = top;
    rv.candidate_id = 2;
    ASSERT_EQ(raft_recv_requestvote(f->r, fx_node(f, 2), &rv, &rvr), RAFT_ERR_INVALID);
    rvr.term = top;
    rvr.vote_granted = 1;
    ASSERT_EQ(raft_recv_requestvote_response(f->r, fx_node(f, 2), &rvr), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_set_current_term(f->r, top), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, top, 5), RAFT_ERR_INVALID);
    fx_elect(f);
    memset(&aer, 0, sizeof(aer));
    aer.term = top;
    ASSERT_EQ(raft_recv_appendentries_response(f->r, fx_node(f, 2), &aer), RAFT_ERR_INVALID);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(f->n_pterm, 0);
}

TEST(test_term_increment_at_the_largest_term_is_refused)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, INT64_MAX - 1), 0);
    ASSERT_EQ(raft_become_candidate(f->r), RAFT_ERR_INVALID);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), INT64_MAX - 1);
    ASSERT_EQ(raft_periodic(f->r, 5000), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(f->r), INT64_MAX - 1);
}

/* ---- reproducible by default ---- */

static int timeout_of_fresh_server(int id)
{
    raft_server_t *r = raft_new();
    int t;
    raft_add_node(r, NULL, id, 1);
    raft_set_election_timeout(r, 1000);
    t = raft_get_randomized_election_timeout(r);
    raft_free(r);
    return t;
}

TEST(test_election_timeouts_replay_without_a_seed_and_differ_between_node_ids)
{
    int a1 = timeout_of_fresh_server(1), a2 = timeout_of_fresh_server(1);
    int b = timeout_of_fresh_server(2), c = timeout_of_fresh_server(3);
    ASSERT_EQ(a1, a2);
    ASSERT(a1 != b || b != c);
    ASSERT_GE(a1, 1000);
    ASSERT_LT(a1, 2000);
}

TEST(test_random_seed_overrides_the_node_id_default)
{
    raft_server_t *r = raft_new(), *s = raft_new();
    raft_set_random_seed(r, 99);
    raft_set_random_seed(s, 99);
    raft_add_node(r, NULL, 1, 1);
    raft_add_node(s, NULL, 2, 1);
    ASSERT_EQ(raft_get_randomized_election_timeout(r), raft_get_randomized_election_timeout(s));
    raft_free(r);
    raft_free(s);
}
