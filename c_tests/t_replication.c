/* Log replication (Raft paper §5.3, §5.4.2, Figure 2). */
#include "fixture.h"

static const raft_term_t T1[] = {1, 1, 1, 1, 1, 1, 1, 1};
static const raft_term_t T2[] = {2, 2, 2, 2, 2, 2, 2, 2};

/* ---- follower side ---------------------------------------------------- */

TEST(test_follower_rejects_appendentries_with_stale_term)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 2, &resp);
    ASSERT_EQ(resp.success, 0);
    ASSERT_EQ(resp.term, 2);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(f->n_offered, 0);
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
}

TEST(test_follower_accepts_heartbeat_and_records_leader)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, NULL, 0, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.term, 1);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(raft_get_current_leader(f->r), 2);
    ASSERT_PTR_EQ(raft_get_current_leader_node(f->r), fx_node(f, 2));
}

TEST(test_follower_appends_new_entries_through_log_offer)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    raft_term_t terms[] = {1, 1};
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, terms, 2, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 2);
    ASSERT_EQ(resp.first_idx, 1);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
    ASSERT_EQ(f->n_offered, 2);
    ASSERT_EQ(f->offered[0].idx, 1);
    ASSERT_EQ(f->offered[0].e.id, 101);
    ASSERT_EQ(f->offered[1].idx, 2);
    ASSERT_EQ(f->offered[1].e.id, 102);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2)->term, 1);
}

TEST(test_follower_rejects_appendentries_whose_prev_log_idx_it_lacks)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 2, &resp);
    ASSERT_EQ(resp.success, 1);
    fx_recv_ae(f, 2, 1, 5, 1, 0, T1, 1, &resp);
    ASSERT_EQ(resp.success, 0);
    ASSERT_EQ(resp.current_idx, 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
}

TEST(test_follower_rejects_and_truncates_when_prev_log_term_mismatches)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, &resp);
    ASSERT_EQ(raft_get_current_idx(f->r), 3);
    fx_clear_rec(f);
    fx_recv_ae(f, 3, 3, 2, 2, 0, T2, 1, &resp);
    ASSERT_EQ(resp.success, 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 1);
    ASSERT_EQ(f->n_popped, 2);
    ASSERT_EQ(f->popped[0].idx, 3);
    ASSERT_EQ(f->popped[1].idx, 2);
    ASSERT_EQ(f->n_offered, 0);
}

TEST(test_follower_replaces_conflicting_suffix_with_leader_entries)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, &resp);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 1, 1, 0, T2, 2, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 3);
    ASSERT_EQ(f->n_popped, 2);
    ASSERT_EQ(f->popped[0].idx, 3);
    ASSERT_EQ(f->popped[1].idx, 2);
    ASSERT_EQ(f->n_offered, 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 3);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->term, 1);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2)->term, 2);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 3)->term, 2);
}

TEST(test_follower_skips_entries_it_already_has_with_same_term)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 2, &resp);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 3);
    ASSERT_EQ(f->n_popped, 0);
    ASSERT_EQ(f->n_offered, 1);
    ASSERT_EQ(f->offered[0].idx, 3);
}

TEST(test_duplicated_appendentries_is_idempotent)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 2, &resp);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 2, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
    ASSERT_EQ(f->n_offered, 0);
    ASSERT_EQ(f->n_popped, 0);
}

TEST(test_stale_reordered_appendentries_does_not_truncate_matching_log)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, &resp);
    fx_clear_rec(f);
    /* an older message carrying only the first entry arrives late */
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 1, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 1);
    ASSERT_EQ(raft_get_current_idx(f->r), 3);
    ASSERT_EQ(f->n_popped, 0);
}

TEST(test_heartbeat_with_matching_prev_does_not_truncate_longer_log)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, &resp);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 1, 1, 0, NULL, 0, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 1);
    ASSERT_EQ(resp.first_idx, 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 3);
    ASSERT_EQ(f->n_popped, 0);
}

TEST(test_follower_commit_is_min_of_leader_commit_and_last_new_entry)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 5, T1, 2, &resp), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
}

TEST(test_follower_commit_limited_to_entries_known_to_match_leader)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, &resp);
    /* leader says commit 3, but this message only vouches for index 1 */
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 3, T1, 1, &resp), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
}

TEST(test_follower_commit_idx_never_decreases)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 2, &resp);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 2, 1, 1, NULL, 0, &resp), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
}

TEST(test_failed_appendentries_does_not_advance_commit)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 2, &resp);
    fx_recv_ae(f, 2, 1, 4, 1, 4, T1, 1, &resp);
    ASSERT_EQ(resp.success, 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
}

TEST(test_follower_never_pops_committed_entries_and_returns_shutdown)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 2, &resp);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 1, 1, 2, T2, 1, &resp), RAFT_ERR_SHUTDOWN);
    ASSERT_EQ(f->n_popped, 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2)->term, 1);
}

TEST(test_follower_applies_committed_entries_on_periodic)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 3, &resp);
    ASSERT_EQ(raft_periodic(f->r, 10), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 2);
    ASSERT_EQ(f->n_applied, 2);
    ASSERT_EQ(f->applied[0].e.id, 101);
    ASSERT_EQ(f->applied[1].e.id, 102);
}

TEST(test_appendentries_with_higher_term_persists_term_before_adopting_it)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(fx_recv_ae(f, 2, 4, 0, 0, 0, NULL, 0, NULL), 0);
    ASSERT_EQ(raft_get_current_term(f->r), 4);
    ASSERT_GE(f->n_pterm, 1);
    ASSERT_EQ(f->pterm[0].term, 4);
}

/* ---- leader side ------------------------------------------------------ */

TEST(test_retain_entries_on_follower_returns_not_leader)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(fx_retain(f, 1, NULL), RAFT_ERR_NOT_LEADER);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(f->n_offered, 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_retain(f, 1, NULL), RAFT_ERR_NOT_LEADER);
}

TEST(test_retain_entries_stamps_current_term_and_fills_response)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t resp;
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 77, &resp), 0);
    ASSERT_EQ(resp.id, 77);
    ASSERT_EQ(resp.term, 3);
    ASSERT_EQ(resp.idx, 1);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->term, 3);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->id, 77);
    ASSERT_EQ(f->n_offered, 1);
    ASSERT_EQ(f->offered[0].idx, 1);
}

TEST(test_retain_entries_sends_appendentries_to_caught_up_followers_only)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_count_ae_to(f, 3), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    fx_clear_rec(f);
    /* node 3 never answered: next_idx 1 != new current_idx 2 */
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_count_ae_to(f, 3), 0);
}

TEST(test_leader_sends_heartbeats_when_request_timeout_elapses)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_periodic(f->r, 199), 0);
    ASSERT_EQ(f->n_ae, 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_count_ae_to(f, 3), 1);
    ASSERT_LT(raft_get_timeout_elapsed(f->r), 200);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 199), 0);
    ASSERT_EQ(f->n_ae, 0);
}

/* Thesis §4.2.2: a server being removed (inactive) still gets the log, so it
 * learns of its removal instead of timing out and campaigning. */
TEST(test_heartbeats_go_to_nonvoting_and_inactive_nodes_but_not_self)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 4, 0));
    raft_node_set_active(fx_node(f, 3), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_send_appendentries_all(f->r), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_count_ae_to(f, 4), 1);
    ASSERT_EQ(fx_count_ae_to(f, 3), 1);
    ASSERT_EQ(fx_count_ae_to(f, 1), 0);
}

TEST(test_appendentries_prev_log_fields_come_from_next_idx)
{
    fx_t *f = fx_new(1, 3);
    fx_ae_t *a;
    fx_append(f, 1, 1);
    fx_append(f, 2, 2);
    fx_append(f, 2, 3);
    fx_make_leader_at(f, 3);
    raft_node_set_next_idx(fx_node(f, 2), 2);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), 0);
    a = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(a->m.term, 3);
    ASSERT_EQ(a->m.prev_log_idx, 1);
    ASSERT_EQ(a->m.prev_log_term, 1);
    ASSERT_EQ(a->m.n_entries, 2);
    ASSERT_EQ(a->e[0].id, 2);
    ASSERT_EQ(a->e[0].term, 2);
    ASSERT_EQ(a->e[1].id, 3);
}

TEST(test_appendentries_carries_all_entries_from_next_idx_to_end)
{
    fx_t *f = fx_new(1, 3);
    fx_ae_t *a;
    int i;
    for (i = 1; i <= 6; i++)
        fx_append(f, 1, i);
    fx_make_leader_at(f, 2);
    raft_node_set_next_idx(fx_node(f, 3), 3);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 3)), 0);
    a = fx_last_ae_to(f, 3);
    ASSERT_EQ(a->m.n_entries, 4);
    for (i = 0; i < 4; i++)
        ASSERT_EQ(a->e[i].id, 3 + i);
}

TEST(test_max_entries_per_msg_caps_appendentries_batch)
{
    fx_t *f = fx_new(1, 3);
    int i;
    for (i = 1; i <= 6; i++)
        fx_append(f, 1, i);
    fx_make_leader_at(f, 2);
    raft_set_max_entries_per_msg(f->r, 2);
    raft_node_set_next_idx(fx_node(f, 2), 1);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), 0);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 2);
    ASSERT_EQ(fx_last_ae_to(f, 2)->e[1].id, 2);
    raft_set_max_entries_per_msg(f->r, 0);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), 0);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 6);
}

TEST(test_leader_commits_current_term_entry_replicated_on_majority)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 1);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
}

TEST(test_leader_commit_needs_three_of_five)
{
    fx_t *f = fx_new(1, 5);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(fx_recv_aer(f, 5, 1, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
}

TEST(test_leader_does_not_commit_previous_term_entry_by_counting_replicas)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    fx_elect(f);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 1), 0);
    ASSERT_EQ(fx_recv_aer(f, 3, 2, 1, 1), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 1);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
}

TEST(test_leader_commits_previous_term_entries_with_current_term_entry)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    fx_elect(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 1), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 2), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
}

TEST(test_nonvoting_replica_does_not_count_toward_commit)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 4, 0));
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 4, 1, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(fx_recv_aer(f, 3, 1, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
}

TEST(test_failed_response_decrements_next_idx_and_resends)
{
    fx_t *f = fx_new(1, 3);
    fx_ae_t *a;
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    fx_append(f, 1, 3);
    fx_make_leader_at(f, 2);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 4);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 0, 3), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 3);
    a = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(a->m.prev_log_idx, 2);
    ASSERT_EQ(a->m.n_entries, 1);
}

TEST(test_failed_response_jumps_next_idx_back_to_follower_last_index)
{
    fx_t *f = fx_new(1, 3);
    fx_ae_t *a;
    int i;
    for (i = 1; i <= 5; i++)
        fx_append(f, 1, i);
    fx_make_leader_at(f, 2);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 0, 1), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
    a = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(a->m.prev_log_idx, 1);
}

TEST(test_failed_response_never_moves_next_idx_below_match_plus_one)
{
    fx_t *f = fx_new(1, 3);
    int i;
    for (i = 1; i <= 5; i++)
        fx_append(f, 1, i);
    fx_make_leader_at(f, 2);
    raft_node_set_match_idx(fx_node(f, 2), 2);
    raft_node_set_next_idx(fx_node(f, 2), 5);
    /* An answer below the acknowledged index is stale (willemt's rule). */
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 0, 0), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 5);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 0, 2), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 3);
    /* Decrementing from match + 1 would resend entries it holds: it stays. */
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 0, 4), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 3);
}

TEST(test_stale_failed_response_is_ignored_once_match_reaches_next)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    fx_append(f, 1, 3);
    fx_make_leader_at(f, 2);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 3), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 3);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 4);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 0, 1), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 4);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 3);
}

TEST(test_stale_success_response_does_not_lower_match_idx)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    fx_append(f, 1, 3);
    fx_make_leader_at(f, 2);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 3), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 2), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 3);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 4);
}

TEST(test_leader_steps_down_on_appendentries_response_with_higher_term)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 5, 0, 0), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 5);
}

TEST(test_appendentries_response_from_older_term_is_ignored)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_make_leader_at(f, 3);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 1), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 0, 0), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
    ASSERT(raft_is_leader(f->r));
}

TEST(test_appendentries_response_on_non_leader_returns_not_leader)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(fx_recv_aer(f, 2, 0, 1, 0), RAFT_ERR_NOT_LEADER);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 0), RAFT_ERR_NOT_LEADER);
}

TEST(test_appendentries_response_from_null_node_returns_minus_one)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t r;
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    r.term = 1;
    r.success = 1;
    r.current_idx = 1;
    r.first_idx = 1;
    ASSERT_EQ(raft_recv_appendentries_response(f->r, NULL, &r), -1);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
}

TEST(test_entry_response_committed_is_0_until_committed_then_1)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t resp;
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 5, &resp), 0);
    ASSERT_EQ(raft_msg_entry_response_committed(f->r, &resp), 0);
    ASSERT_EQ(fx_recv_aer(f, 3, 1, 1, 1), 0);
    ASSERT_EQ(raft_msg_entry_response_committed(f->r, &resp), 1);
}

TEST(test_entry_response_committed_is_minus_one_when_entry_was_overwritten)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_response_t resp;
    msg_appendentries_response_t aer;
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 5, &resp), 0);
    /* a new leader of term 2 overwrites index 1 */
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 1, T2, 1, &aer), 0);
    ASSERT_EQ(aer.success, 1);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->term, 2);
    ASSERT_EQ(raft_msg_entry_response_committed(f->r, &resp), -1);
}

TEST(test_single_voter_leader_commits_retained_entry_at_once)
{
    fx_t *f = fx_new(1, 1);
    msg_entry_response_t resp;
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(fx_retain(f, 1, &resp), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
    ASSERT_EQ(raft_msg_entry_response_committed(f->r, &resp), 1);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 1);
}

TEST(test_leader_sends_next_batch_after_success_when_follower_still_behind)
{
    fx_t *f = fx_new(1, 3);
    fx_ae_t *a;
    int i;
    for (i = 1; i <= 3; i++)
        fx_append(f, 1, i);
    fx_make_leader_at(f, 2);
    raft_set_max_entries_per_msg(f->r, 1);
    raft_node_set_next_idx(fx_node(f, 2), 1);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), 0);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 1), 0);
    a = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(a->m.prev_log_idx, 1);
    ASSERT_EQ(a->m.n_entries, 1);
    ASSERT_EQ(a->e[0].id, 2);
}

TEST(test_appendentries_carries_leader_commit)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 3)), 0);
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.leader_commit, 1);
}

TEST(test_heartbeat_to_lagging_follower_carries_missing_entries)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 200), 0);
    ASSERT_NOT_NULL(fx_last_ae_to(f, 3));
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.prev_log_idx, 0);
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.n_entries, 2);
}
