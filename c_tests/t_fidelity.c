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

/* ---- found by running willemt/raft's own tests and simulator against us ---- */

TEST(test_server_without_a_voter_never_campaigns)
{
    /* Only a server whose own node is the one voter elects itself; a server
     * that knows no voter (not even itself) just counts time. */
    fx_t *f = fx_new_empty();
    raft_set_election_timeout(f->r, 1000);
    ASSERT_EQ(raft_periodic(f->r, 100), 0);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_timeout_elapsed(f->r), 5100);
    ASSERT_EQ(f->n_pterm, 0);
    /* Our own node, non-voting: still no candidacy. */
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 1, 1));
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    /* Voting: the lone voter elects itself. */
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 1, 1));
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT(raft_is_leader(f->r));
}

TEST(test_snapshot_load_below_the_applied_index_is_refused)
{
    /* The state machine has applied up to 5 (the host says so): a snapshot
     * ending at 2 would take applied entries back. */
    fx_t *f = fx_new(1, 3);
    raft_set_last_applied_idx(f->r, 5);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 2, 2), -1);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 5);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 2, 5), 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 5);
}

static int rv_from(fx_t *f, int sender, int candidate, raft_term_t term, msg_requestvote_response_t *resp)
{
    msg_requestvote_t rv;
    memset(&rv, 0, sizeof(rv));
    rv.term = term;
    rv.candidate_id = candidate;
    return raft_recv_requestvote(f->r, sender ? fx_node(f, sender) : NULL, &rv, resp);
}

TEST(test_vote_is_granted_again_only_to_a_request_from_the_candidate_itself)
{
    /* Figure 2: grant if votedFor is null or candidateId. The answer goes to
     * the sender, which counts it: a sender other than the candidate would
     * count a second vote of ours in the same term. */
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(rv_from(f, 2, 2, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
    /* The same request again (a duplicate, or a retry after a lost answer). */
    ASSERT_EQ(rv_from(f, 2, 2, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    /* With the sender not named, the candidate is taken as the sender. */
    ASSERT_EQ(rv_from(f, 0, 2, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    /* Node 3 sending a request that names candidate 2: not granted. */
    ASSERT_EQ(rv_from(f, 3, 2, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    /* Nor one naming ourselves, whom we did not vote for, nor for node 3. */
    ASSERT_EQ(rv_from(f, 3, 1, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(rv_from(f, 3, 3, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
}

TEST(test_appendentries_failure_at_next_idx_is_retried_with_a_snapshot_when_compacted)
{
    /* §5.3: on failure, retry. Node 2 acknowledged 1 (next 2); the leader
     * then compacted up to 2. A failure answer that is not below what node 2
     * acknowledged is retried at once: entry 2 is gone, so a snapshot. */
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(fx_retain(f, 3, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(fx_recv_aer(f, 3, 1, 1, 2), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 0, 1), 0);
    ASSERT_EQ(f->n_snap, 1);
    ASSERT_EQ(f->snap[0], 2);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 1);
    /* An answer below the acknowledged index is stale: nothing is sent. */
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 0, 0), 0);
    ASSERT_EQ(f->n_snap, 0);
    ASSERT_EQ(f->n_ae, 0);
}

static fx_t *log_checked;
static int log_named_unnotified_node;

static void log_checks_node_was_notified(raft_server_t *r, raft_node_t *node, void *ud, const char *buf)
{
    int i, id, notified = 0;
    (void)r; (void)ud; (void)buf;
    if (!node)
        return;
    id = raft_node_get_id(node);
    for (i = 0; i < log_checked->n_mem; i++)
        notified |= log_checked->mem[i].node == id && log_checked->mem[i].type == RAFT_MEMBERSHIP_ADD;
    for (i = 1; i <= 3; i++)
        notified |= id == i; /* the fixture's own nodes, added before recording */
    log_named_unnotified_node |= !notified;
}

TEST(test_log_callback_names_a_node_only_after_its_addition_was_notified)
{
    /* willemt's simulator reads a node's user data in `log`; that data is
     * set when notify_membership_event(ADD) tells it of the node. */
    fx_t *f = fx_new(1, 3);
    static const raft_term_t T[] = {1};
    log_checked = f;
    log_named_unnotified_node = 0;
    f->cbs.log = log_checks_node_was_notified;
    raft_set_callbacks(f->r, &f->cbs, f);
    fx_elect(f);
    ASSERT_EQ(fx_retain_cfg(f, 1, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_NOT_NULL(fx_node(f, 4));
    /* And on a follower, through appendentries. */
    {
        fx_t *g = fx_new(1, 3);
        msg_appendentries_t ae;
        msg_appendentries_response_t aer;
        raft_entry_t e;
        log_checked = g;
        g->cbs.log = log_checks_node_was_notified;
        raft_set_callbacks(g->r, &g->cbs, g);
        memset(&e, 0, sizeof(e));
        e.term = T[0];
        e.id = 7;
        e.type = RAFT_LOGTYPE_ADD_NONVOTING_NODE;
        e.data.buf = fx_node_id_payload(5);
        e.data.len = sizeof(int);
        memset(&ae, 0, sizeof(ae));
        ae.term = 1;
        ae.entries = &e;
        ae.n_entries = 1;
        ASSERT_EQ(raft_recv_appendentries(g->r, fx_node(g, 2), &ae, &aer), 0);
        ASSERT_EQ(aer.success, 1);
        ASSERT_NOT_NULL(fx_node(g, 5));
    }
    ASSERT_EQ(log_named_unnotified_node, 0);
}

static int failing_clear(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)r; (void)ud; (void)e; (void)idx;
    return -1;
}

TEST(test_clear_gives_every_entry_to_log_clear_oldest_first)
{
    /* As willemt's raft_clear: the application hears of each entry leaving
     * the log, so it can release the payload. */
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    fx_append(f, 2, 3);
    raft_set_commit_idx(f->r, 2);
    fx_clear_rec(f);
    raft_clear(f->r);
    ASSERT_EQ(f->n_cleared, 3);
    ASSERT_EQ(f->cleared[0].idx, 1);
    ASSERT_EQ(f->cleared[1].idx, 2);
    ASSERT_EQ(f->cleared[2].idx, 3);
    ASSERT_EQ(f->cleared[2].e.term, 2);
    ASSERT_EQ(raft_get_log_count(f->r), 0);
    ASSERT_EQ(raft_get_num_nodes(f->r), 0);
    /* A failing callback does not stop the reset (willemt ignores it too). */
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 1, 1));
    fx_append(f, 1, 1);
    f->cbs.log_clear = failing_clear;
    raft_set_callbacks(f->r, &f->cbs, f);
    raft_clear(f->r);
    ASSERT_EQ(raft_get_log_count(f->r), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
}
