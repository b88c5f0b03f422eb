/* Log compaction and snapshots (thesis ch. 5; seed doc "Log Compaction"). */
#include "fixture.h"

#include <string.h>

static const raft_term_t T1[] = {1, 1, 1, 1, 1, 1, 1, 1};

/* Follower (node 1 of 3) holding n term-1 entries from leader 2, commit `commit`. */
static fx_t *follower_with(int n, raft_index_t commit)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, commit, T1, n, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(raft_get_commit_idx(f->r), commit);
    fx_clear_rec(f);
    return f;
}

/* Follower that has taken and finished a snapshot at index `snap` of 5 entries. */
static fx_t *compacted_follower(raft_index_t snap)
{
    fx_t *f = follower_with(5, snap);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    fx_clear_rec(f);
    return f;
}

TEST(test_begin_snapshot_fails_when_nothing_is_committed)
{
    fx_t *f = follower_with(3, 0);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), -1);
    ASSERT_EQ(raft_snapshot_is_in_progress(f->r), 0);
}

TEST(test_begin_snapshot_applies_committed_entries_and_records_metadata)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_NE(raft_snapshot_is_in_progress(f->r), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 3);
    ASSERT_EQ(f->n_applied, 3);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 3);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 1);
    ASSERT_EQ(raft_get_snapshot_entry_idx(f->r), 3);
}

TEST(test_begin_snapshot_twice_fails_while_in_progress)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), -1);
    ASSERT_NE(raft_snapshot_is_in_progress(f->r), 0);
}

TEST(test_end_snapshot_polls_entries_oldest_first_up_to_snapshot_index)
{
    fx_t *f = follower_with(5, 3);
    int i;
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(raft_snapshot_is_in_progress(f->r), 0);
    ASSERT_EQ(f->n_polled, 3);
    for (i = 0; i < 3; i++) {
        ASSERT_EQ(f->polled[i].idx, i + 1);
        ASSERT_EQ(f->polled[i].e.id, 101 + i);
    }
    ASSERT_EQ(raft_get_log_count(f->r), 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 5);
    /* willemt's definition: the snapshot's last index once a snapshot exists */
    ASSERT_EQ(raft_get_first_entry_idx(f->r), 3);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 3);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 3));
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 4));
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 4)->id, 104);
}

TEST(test_end_snapshot_without_begin_fails)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_EQ(raft_end_snapshot(f->r), -1);
    ASSERT_EQ(f->n_polled, 0);
    ASSERT_EQ(raft_get_log_count(f->r), 5);
}

TEST(test_cancel_snapshot_restores_previous_metadata_and_keeps_log)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_cancel_snapshot(f->r), 0);
    ASSERT_EQ(raft_snapshot_is_in_progress(f->r), 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 0);
    ASSERT_EQ(raft_get_log_count(f->r), 5);
    ASSERT_EQ(f->n_polled, 0);
    ASSERT_EQ(raft_end_snapshot(f->r), -1);
}

TEST(test_cancel_snapshot_without_begin_fails)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_EQ(raft_cancel_snapshot(f->r), -1);
}

TEST(test_second_snapshot_fails_when_committed_entry_already_compacted)
{
    fx_t *f = compacted_follower(3);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), -1);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 3);
}

TEST(test_second_snapshot_compacts_further_after_more_commits)
{
    fx_t *f = compacted_follower(2);
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 5, 1, 4, NULL, 0, &resp), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 4);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(f->n_polled, 2);
    ASSERT_EQ(f->polled[0].idx, 3);
    ASSERT_EQ(f->polled[1].idx, 4);
    ASSERT_EQ(raft_get_first_entry_idx(f->r), 4);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 4));
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 5));
}

TEST(test_num_snapshottable_logs_is_commit_minus_compaction_base)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_EQ(raft_get_num_snapshottable_logs(f->r), 3);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(raft_get_num_snapshottable_logs(f->r), 0);
}

TEST(test_num_snapshottable_logs_is_zero_with_at_most_one_entry)
{
    fx_t *f = follower_with(1, 1);
    ASSERT_EQ(raft_get_num_snapshottable_logs(f->r), 0);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), -1);
}

TEST(test_poll_entry_removes_oldest_committed_entry)
{
    fx_t *f = follower_with(5, 3);
    raft_entry_t *e = NULL;
    ASSERT_EQ(raft_poll_entry(f->r, &e), 0);
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(e->id, 101);
    ASSERT_EQ(f->n_polled, 1);
    ASSERT_EQ(f->polled[0].idx, 1);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 1));
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 2));
    ASSERT_EQ(raft_get_log_count(f->r), 4);
    ASSERT_EQ(raft_get_current_idx(f->r), 5);
}

TEST(test_poll_entry_refuses_uncommitted_entry)
{
    fx_t *f = follower_with(3, 0);
    raft_entry_t *e = NULL;
    ASSERT_EQ(raft_poll_entry(f->r, &e), -1);
    ASSERT_EQ(raft_get_log_count(f->r), 3);
    ASSERT_EQ(raft_get_first_entry_idx(f->r), 1);
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 1));
}

TEST(test_leader_calls_send_snapshot_when_follower_needs_compacted_entries)
{
    fx_t *f = compacted_follower(3);
    fx_elect(f);
    raft_node_set_next_idx(fx_node(f, 2), 2);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), RAFT_ERR_NEEDS_SNAPSHOT);
    ASSERT_EQ(f->n_snap, 1);
    ASSERT_EQ(f->snap[0], 2);
    ASSERT_EQ(fx_count_ae_to(f, 2), 0);
}

TEST(test_leader_sends_appendentries_from_first_held_entry_with_snapshot_prev_term)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    static const raft_term_t terms[] = {1, 1, 2, 2, 2};
    fx_ae_t *a;
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 3, terms, 5, &resp), 0);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 2);
    fx_elect(f);
    raft_node_set_next_idx(fx_node(f, 2), 4);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), 0);
    a = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(a->m.prev_log_idx, 3);
    ASSERT_EQ(a->m.prev_log_term, 2);
    ASSERT_EQ(a->m.n_entries, 2);
    ASSERT_EQ(f->n_snap, 0);
}

TEST(test_end_snapshot_on_leader_sends_snapshot_to_lagging_followers)
{
    fx_t *f = fx_new(1, 3);
    int i;
    fx_elect(f);
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 5), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 5);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 3)), 1);
    fx_clear_rec(f);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_GE(f->n_snap, 1);
    for (i = 0; i < f->n_snap; i++)
        ASSERT_EQ(f->snap[i], 3);
}

TEST(test_apply_not_allowed_during_blocking_snapshot)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_NE(raft_is_apply_allowed(f->r), 0);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_is_apply_allowed(f->r), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_NE(raft_is_apply_allowed(f->r), 0);
}

TEST(test_periodic_does_not_apply_during_blocking_snapshot)
{
    fx_t *f = follower_with(5, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 5, 1, 5, NULL, 0, &resp), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 5);
    ASSERT_EQ(raft_periodic(f->r, 10), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 3);
    ASSERT_EQ(raft_apply_entry(f->r), -1);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(raft_periodic(f->r, 10), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 5);
}

TEST(test_periodic_keeps_applying_during_nonblocking_snapshot)
{
    fx_t *f = follower_with(5, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(raft_begin_snapshot(f->r, RAFT_SNAPSHOT_NONBLOCKING_APPLY), 0);
    ASSERT_NE(raft_is_apply_allowed(f->r), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 5, 1, 5, NULL, 0, &resp), 0);
    ASSERT_EQ(raft_periodic(f->r, 10), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 5);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 3);
    ASSERT_EQ(raft_get_first_entry_idx(f->r), 3);
}

TEST(test_no_election_is_started_while_snapshot_in_progress)
{
    fx_t *f = follower_with(5, 3);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(f->n_rv, 0);
}

TEST(test_voting_change_rejected_with_blocking_snapshot_in_progress_but_normal_entry_accepted)
{
    fx_t *f = fx_new(1, 1);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(fx_retain_cfg(f, 3, RAFT_LOGTYPE_ADD_NODE, 4, NULL), RAFT_ERR_SNAPSHOT_IN_PROGRESS);
    ASSERT_NULL(fx_node(f, 4));
    ASSERT_EQ(fx_retain(f, 4, NULL), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 3);
}

TEST(test_begin_load_snapshot_replaces_log_and_indexes)
{
    fx_t *f = follower_with(2, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_EQ(f->n_cleared, 2);
    ASSERT_EQ(raft_get_log_count(f->r), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 10);
    ASSERT_EQ(raft_get_commit_idx(f->r), 10);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 10);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 10);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 3);
    ASSERT_EQ(raft_get_current_term(f->r), 3);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 1));
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
}

TEST(test_begin_load_snapshot_removes_every_node_but_self)
{
    fx_t *f = follower_with(2, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_EQ(raft_get_num_nodes(f->r), 1);
    ASSERT_NOT_NULL(raft_get_my_node(f->r));
    ASSERT_EQ(raft_get_nodeid(f->r), 1);
    ASSERT_NULL(fx_node(f, 2));
    ASSERT_NULL(fx_node(f, 3));
}

TEST(test_end_load_snapshot_marks_readded_nodes_committed)
{
    fx_t *f = follower_with(2, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 3, 0));
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
    ASSERT_NE(raft_node_is_voting_committed(fx_node(f, 2)), 0);
    ASSERT_NE(raft_node_is_addition_committed(fx_node(f, 2)), 0);
    ASSERT_NE(raft_node_is_addition_committed(fx_node(f, 3)), 0);
    ASSERT_EQ(raft_node_is_voting(fx_node(f, 3)), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 2);
}

TEST(test_begin_load_snapshot_rejects_nonpositive_term_or_index)
{
    fx_t *f = follower_with(2, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 0), -1);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 0, 10), -1);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, -1, 10), -1);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, -5), -1);
    ASSERT_EQ(raft_get_log_count(f->r), 2);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    ASSERT_EQ(f->n_cleared, 0);
}

TEST(test_begin_load_snapshot_of_current_snapshot_returns_already_loaded)
{
    fx_t *f = follower_with(2, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), RAFT_ERR_SNAPSHOT_ALREADY_LOADED);
}

TEST(test_begin_load_snapshot_older_than_last_applied_is_refused)
{
    fx_t *f = follower_with(5, 5);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 5);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 1, 3), -1);
    ASSERT_EQ(raft_get_log_count(f->r), 5);
}

TEST(test_begin_load_snapshot_refused_when_log_already_holds_that_entry)
{
    fx_t *f = follower_with(5, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 1, 4), -1);
    ASSERT_EQ(raft_get_log_count(f->r), 5);
    ASSERT_EQ(f->n_cleared, 0);
}

TEST(test_appendentries_right_after_loaded_snapshot_index_is_accepted)
{
    fx_t *f = follower_with(2, 0);
    msg_appendentries_response_t resp;
    static const raft_term_t t3[] = {3};
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 3, 0));
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 3, 10, 3, 11, t3, 1, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 11);
    ASSERT_EQ(raft_get_current_idx(f->r), 11);
    ASSERT_EQ(raft_get_commit_idx(f->r), 11);
    ASSERT_EQ(raft_get_first_entry_idx(f->r), 10);
}

TEST(test_last_log_term_is_snapshot_term_when_log_is_empty)
{
    fx_t *f = follower_with(2, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_EQ(raft_get_last_log_term(f->r), 3);
}

TEST(test_requestvote_after_snapshot_carries_snapshot_position)
{
    fx_t *f = follower_with(2, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 3, 0));
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(f->n_rv, 2);
    ASSERT_EQ(f->rv[0].m.last_log_idx, 10);
    ASSERT_EQ(f->rv[0].m.last_log_term, 3);
    ASSERT_EQ(f->rv[0].m.term, 4);
}

TEST(test_set_snapshot_metadata_is_reported_by_getters)
{
    fx_t *f = fx_new(1, 3);
    raft_set_snapshot_metadata(f->r, 2, 7);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 2);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 7);
    ASSERT_EQ(raft_get_snapshot_entry_idx(f->r), 7);
}

TEST(test_compacted_follower_still_accepts_appendentries_after_compacted_prefix)
{
    fx_t *f = compacted_follower(3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 5, 1, 5, T1, 2, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(raft_get_current_idx(f->r), 7);
    ASSERT_EQ(raft_get_commit_idx(f->r), 5);
}

TEST(test_leader_sends_snapshot_when_next_idx_is_the_snapshot_index)
{
    fx_t *f = compacted_follower(3);
    fx_elect(f);
    /* entry 3 itself was compacted: the follower cannot be sent it */
    raft_node_set_next_idx(fx_node(f, 2), 3);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), RAFT_ERR_NEEDS_SNAPSHOT);
    ASSERT_EQ(f->n_snap, 1);
    ASSERT_EQ(fx_count_ae_to(f, 2), 0);
}

TEST(test_follower_accepts_appendentries_overlapping_its_compacted_prefix)
{
    fx_t *f = compacted_follower(3);
    msg_appendentries_response_t resp;
    static const raft_term_t t1x4[] = {1, 1, 1, 1};
    /* prev 1 lies in the compacted part; entries 2..3 are compacted, 4..5 held */
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 1, 1, 5, t1x4, 4, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(resp.current_idx, 5);
    ASSERT_EQ(f->n_popped, 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 5);
    ASSERT_EQ(raft_get_commit_idx(f->r), 5);
}

TEST(test_voter_uses_snapshot_position_for_up_to_date_check)
{
    fx_t *f = follower_with(2, 0);
    msg_requestvote_response_t resp;
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 3, 0));
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 4, 5, 3, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(fx_recv_rv(f, 3, 4, 10, 3, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
}

TEST(test_cancel_snapshot_restores_earlier_snapshot_metadata)
{
    fx_t *f = compacted_follower(2);
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 5, 1, 4, NULL, 0, &resp), 0);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 4);
    ASSERT_EQ(raft_cancel_snapshot(f->r), 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 2);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 1);
    ASSERT_EQ(raft_get_log_count(f->r), 3);
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 3));
}

TEST(test_entries_after_loaded_snapshot_are_applied_from_snapshot_index_on)
{
    fx_t *f = follower_with(2, 0);
    static const raft_term_t t3[] = {3, 3};
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 3, 10), 0);
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 3, 0));
    ASSERT_EQ(raft_end_load_snapshot(f->r), 0);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_ae(f, 2, 3, 10, 3, 12, t3, 2, NULL), 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(f->n_applied, 2);
    ASSERT_EQ(f->applied[0].idx, 11);
    ASSERT_EQ(f->applied[1].idx, 12);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 12);
}

TEST(test_follower_lacking_only_the_snapshot_index_entry_gets_a_snapshot)
{
    fx_t *f = compacted_follower(3);
    int i, snaps_to_2 = 0;
    fx_elect(f);
    /* follower 2 holds entries 1..2 only: entry 3 exists solely in the snapshot */
    ASSERT_EQ(fx_recv_aer(f, 2, raft_get_current_term(f->r), 0, 2), 0);
    ASSERT_EQ(raft_periodic(f->r, 200), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, raft_get_current_term(f->r), 0, 2), 0);
    for (i = 0; i < f->n_snap; i++)
        snaps_to_2 += f->snap[i] == 2;
    ASSERT_GE(snaps_to_2, 1);
}
