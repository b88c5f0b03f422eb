/* Server lifecycle, node bookkeeping and plain getters/setters. */
#include "fixture.h"

#include <string.h>

TEST(test_new_server_is_follower_at_term_zero_with_empty_log)
{
    fx_t *f = fx_new_empty();
    ASSERT_EQ(raft_get_state(f->r), RAFT_STATE_FOLLOWER);
    ASSERT(raft_is_follower(f->r));
    ASSERT(!raft_is_leader(f->r));
    ASSERT(!raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(raft_get_log_count(f->r), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 0);
    ASSERT_EQ(raft_get_last_log_term(f->r), 0);
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
    ASSERT_NULL(raft_get_current_leader_node(f->r));
    ASSERT_EQ(raft_get_num_nodes(f->r), 0);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 1));
    ASSERT_EQ(raft_snapshot_is_in_progress(f->r), 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 0);
    ASSERT_EQ(raft_get_snapshot_last_term(f->r), 0);
}

TEST(test_new_server_has_default_election_timeout_1000_and_request_timeout_200)
{
    raft_server_t *r = raft_new();
    int e, q;
    ASSERT_NOT_NULL(r);
    e = raft_get_election_timeout(r);
    q = raft_get_request_timeout(r);
    raft_free(r);
    ASSERT_EQ(e, 1000);
    ASSERT_EQ(q, 200);
}

TEST(test_get_udata_returns_user_data_given_to_set_callbacks)
{
    fx_t *f = fx_new(1, 1);
    ASSERT_PTR_EQ(raft_get_udata(f->r), f);
}

TEST(test_nodeid_is_minus_one_without_self_node)
{
    fx_t *f = fx_new_empty();
    ASSERT_EQ(raft_get_nodeid(f->r), -1);
    ASSERT_NULL(raft_get_my_node(f->r));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 5, 0));
    ASSERT_EQ(raft_get_nodeid(f->r), -1);
    ASSERT_NULL(raft_get_my_node(f->r));
}

TEST(test_add_node_with_is_self_sets_nodeid_and_my_node)
{
    fx_t *f = fx_new_empty();
    raft_node_t *n = raft_add_node(f->r, NULL, 7, 1);
    ASSERT_NOT_NULL(n);
    ASSERT_EQ(raft_get_nodeid(f->r), 7);
    ASSERT_PTR_EQ(raft_get_my_node(f->r), n);
    ASSERT_PTR_EQ(raft_get_node(f->r, 7), n);
    ASSERT_EQ(raft_node_get_id(n), 7);
}

TEST(test_add_peer_macro_is_add_node)
{
    fx_t *f = fx_new_empty();
    raft_node_t *n = raft_add_peer(f->r, NULL, 3, 0);
    ASSERT_NOT_NULL(n);
    ASSERT_PTR_EQ(raft_get_node(f->r, 3), n);
    ASSERT(raft_node_is_voting(n));
}

TEST(test_add_node_returns_null_for_existing_voting_id)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
}

TEST(test_add_node_on_existing_nonvoting_id_makes_it_voting_and_returns_it)
{
    fx_t *f = fx_new(1, 1);
    raft_node_t *n = raft_add_non_voting_node(f->r, NULL, 2, 0);
    ASSERT_NOT_NULL(n);
    ASSERT(!raft_node_is_voting(n));
    ASSERT_PTR_EQ(raft_add_node(f->r, NULL, 2, 0), n);
    ASSERT(raft_node_is_voting(n));
    ASSERT_EQ(raft_get_num_nodes(f->r), 2);
}

TEST(test_add_non_voting_node_returns_null_for_existing_id)
{
    fx_t *f = fx_new(1, 2);
    ASSERT_NULL(raft_add_non_voting_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 3, 0));
    ASSERT_NULL(raft_add_non_voting_node(f->r, NULL, 3, 0));
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
}

TEST(test_add_node_notifies_membership_add_without_entry)
{
    fx_t *f = fx_new(1, 1);
    raft_node_t *n = raft_add_node(f->r, NULL, 2, 0);
    ASSERT_NOT_NULL(n);
    ASSERT_EQ(f->n_mem, 1);
    ASSERT_EQ(f->mem[0].node, 2);
    ASSERT_EQ(f->mem[0].type, RAFT_MEMBERSHIP_ADD);
    ASSERT_EQ(f->mem[0].has_entry, 0);
}

TEST(test_remove_node_notifies_membership_remove_and_forgets_node)
{
    fx_t *f = fx_new(1, 3);
    raft_remove_node(f->r, fx_node(f, 3));
    ASSERT_EQ(f->n_mem, 1);
    ASSERT_EQ(f->mem[0].node, 3);
    ASSERT_EQ(f->mem[0].type, RAFT_MEMBERSHIP_REMOVE);
    ASSERT_NULL(fx_node(f, 3));
    ASSERT_EQ(raft_get_num_nodes(f->r), 2);
    ASSERT_NOT_NULL(fx_node(f, 2));
}

TEST(test_added_node_defaults_voting_active_next_idx_1_match_0)
{
    fx_t *f = fx_new(1, 2);
    raft_node_t *n = fx_node(f, 2);
    ASSERT(raft_node_is_voting(n));
    ASSERT(raft_node_is_active(n));
    ASSERT_EQ(raft_node_get_next_idx(n), 1);
    ASSERT_EQ(raft_node_get_match_idx(n), 0);
    ASSERT_EQ(raft_node_has_vote_for_me(n), 0);
    ASSERT_EQ(raft_node_has_sufficient_logs(n), 0);
    ASSERT_EQ(raft_node_is_voting_committed(n), 0);
    ASSERT_EQ(raft_node_is_addition_committed(n), 0);
    ASSERT_NULL(raft_node_get_udata(n));
}

static void free_node(void *n) { raft_node_free(n); }

TEST(test_standalone_node_new_has_defaults_and_setters_work)
{
    int tag = 5;
    raft_node_t *n = raft_node_new(&tag, 9);
    ASSERT_NOT_NULL(n);
    th_defer(free_node, n);
    ASSERT_EQ(raft_node_get_id(n), 9);
    ASSERT_PTR_EQ(raft_node_get_udata(n), &tag);
    ASSERT(raft_node_is_voting(n));
    ASSERT(raft_node_is_active(n));
    ASSERT_EQ(raft_node_get_next_idx(n), 1);
    ASSERT_EQ(raft_node_get_match_idx(n), 0);
    raft_node_set_next_idx(n, 12);
    raft_node_set_match_idx(n, 11);
    ASSERT_EQ(raft_node_get_next_idx(n), 12);
    ASSERT_EQ(raft_node_get_match_idx(n), 11);
    raft_node_vote_for_me(n, 1);
    ASSERT_EQ(raft_node_has_vote_for_me(n), 1);
    raft_node_vote_for_me(n, 0);
    ASSERT_EQ(raft_node_has_vote_for_me(n), 0);
}

TEST(test_node_set_next_idx_clamps_to_at_least_one)
{
    fx_t *f = fx_new(1, 2);
    raft_node_t *n = fx_node(f, 2);
    raft_node_set_next_idx(n, 0);
    ASSERT_EQ(raft_node_get_next_idx(n), 1);
    raft_node_set_next_idx(n, -4);
    ASSERT_EQ(raft_node_get_next_idx(n), 1);
    raft_node_set_next_idx(n, 6);
    ASSERT_EQ(raft_node_get_next_idx(n), 6);
}

TEST(test_node_udata_set_and_get)
{
    fx_t *f = fx_new_empty();
    int a = 1, b = 2;
    raft_node_t *n = raft_add_node(f->r, &a, 2, 0);
    ASSERT_PTR_EQ(raft_node_get_udata(n), &a);
    raft_node_set_udata(n, &b);
    ASSERT_PTR_EQ(raft_node_get_udata(raft_get_node(f->r, 2)), &b);
}

TEST(test_node_flag_setters_voting_active_committed_sufficient_logs)
{
    fx_t *f = fx_new(1, 2);
    raft_node_t *n = fx_node(f, 2);
    raft_node_set_voting(n, 0);
    ASSERT_EQ(raft_node_is_voting(n), 0);
    raft_node_set_voting(n, 1);
    ASSERT_NE(raft_node_is_voting(n), 0);
    raft_node_set_active(n, 0);
    ASSERT_EQ(raft_node_is_active(n), 0);
    raft_node_set_active(n, 1);
    ASSERT_NE(raft_node_is_active(n), 0);
    raft_node_set_voting_committed(n, 1);
    ASSERT_NE(raft_node_is_voting_committed(n), 0);
    raft_node_set_voting_committed(n, 0);
    ASSERT_EQ(raft_node_is_voting_committed(n), 0);
    raft_node_set_addition_committed(n, 1);
    ASSERT_NE(raft_node_is_addition_committed(n), 0);
    raft_node_set_has_sufficient_logs(n);
    ASSERT_NE(raft_node_has_sufficient_logs(n), 0);
}

TEST(test_get_node_from_idx_enumerates_all_nodes_and_null_past_end)
{
    fx_t *f = fx_new(2, 4);
    int seen[5] = {0, 0, 0, 0, 0}, i;
    for (i = 0; i < 4; i++) {
        raft_node_t *n = raft_get_node_from_idx(f->r, i);
        int id;
        ASSERT_NOT_NULL(n);
        id = raft_node_get_id(n);
        ASSERT(id >= 1 && id <= 4);
        seen[id]++;
    }
    for (i = 1; i <= 4; i++)
        ASSERT_EQ(seen[i], 1);
    ASSERT_NULL(raft_get_node_from_idx(f->r, 4));
    ASSERT_NULL(raft_get_node_from_idx(f->r, 1000));
}

TEST(test_get_node_returns_null_for_unknown_id)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_NULL(raft_get_node(f->r, 4));
    ASSERT_NULL(raft_get_node(f->r, -1));
    ASSERT_NULL(raft_get_node(f->r, 0));
}

TEST(test_num_voting_nodes_counts_active_voting_nodes_including_self)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 3);
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 4, 0));
    ASSERT_EQ(raft_get_num_nodes(f->r), 4);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 3);
    raft_node_set_active(fx_node(f, 3), 0);
    ASSERT_EQ(raft_get_num_voting_nodes(f->r), 2);
}

TEST(test_clear_resets_term_vote_log_and_indexes)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, 4), 0);
    ASSERT_EQ(raft_vote_for_nodeid(f->r, 2), 0);
    fx_append(f, 4, 1);
    fx_append(f, 4, 2);
    raft_set_commit_idx(f->r, 1);
    raft_clear(f->r);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(raft_get_log_count(f->r), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 0);
    ASSERT(raft_is_follower(f->r));
}

TEST(test_set_election_timeout_redraws_randomized_timeout_in_range)
{
    fx_t *f = fx_new(1, 3);
    int t;
    raft_set_election_timeout(f->r, 500);
    ASSERT_EQ(raft_get_election_timeout(f->r), 500);
    t = raft_get_randomized_election_timeout(f->r);
    ASSERT_GE(t, 500);
    ASSERT_LT(t, 1000);
}

TEST(test_set_request_timeout_is_returned_by_getter)
{
    fx_t *f = fx_new(1, 3);
    raft_set_request_timeout(f->r, 75);
    ASSERT_EQ(raft_get_request_timeout(f->r), 75);
}

TEST(test_randomized_election_timeout_stays_in_timeout_to_twice_timeout)
{
    fx_t *f = fx_new(1, 3);
    int i, lo = 1 << 30, hi = 0;
    raft_set_election_timeout(f->r, 100);
    for (i = 0; i < 500; i++) {
        int t;
        raft_randomize_election_timeout(f->r);
        t = raft_get_randomized_election_timeout(f->r);
        ASSERT_GE(t, 100);
        ASSERT_LT(t, 200);
        if (t < lo) lo = t;
        if (t > hi) hi = t;
    }
    /* 500 draws from [100,200) are not all alike: the timeout is randomized */
    ASSERT_LT(lo + 10, hi);
}

TEST(test_same_random_seed_gives_same_timeout_sequence)
{
    raft_server_t *a = raft_new(), *b = raft_new();
    int i, same = 1;
    raft_set_random_seed(a, 1234);
    raft_set_random_seed(b, 1234);
    raft_set_election_timeout(a, 300);
    raft_set_election_timeout(b, 300);
    for (i = 0; i < 20; i++) {
        if (raft_get_randomized_election_timeout(a) != raft_get_randomized_election_timeout(b))
            same = 0;
        raft_randomize_election_timeout(a);
        raft_randomize_election_timeout(b);
    }
    raft_free(a);
    raft_free(b);
    ASSERT(same);
}

TEST(test_different_random_seeds_give_different_timeout_sequences)
{
    raft_server_t *a = raft_new(), *b = raft_new();
    int i, differ = 0;
    raft_set_random_seed(a, 1);
    raft_set_random_seed(b, 2);
    raft_set_election_timeout(a, 1000);
    raft_set_election_timeout(b, 1000);
    for (i = 0; i < 20; i++) {
        raft_randomize_election_timeout(a);
        raft_randomize_election_timeout(b);
        if (raft_get_randomized_election_timeout(a) != raft_get_randomized_election_timeout(b))
            differ = 1;
    }
    raft_free(a);
    raft_free(b);
    ASSERT(differ);
}

TEST(test_periodic_accumulates_timeout_elapsed)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_get_timeout_elapsed(f->r), 0);
    ASSERT_EQ(raft_periodic(f->r, 100), 0);
    ASSERT_EQ(raft_periodic(f->r, 150), 0);
    ASSERT_EQ(raft_get_timeout_elapsed(f->r), 250);
}

TEST(test_votes_is_majority_requires_more_than_half)
{
    ASSERT_EQ(raft_votes_is_majority(1, 1), 1);
    ASSERT_EQ(raft_votes_is_majority(2, 1), 0);
    ASSERT_EQ(raft_votes_is_majority(2, 2), 1);
    ASSERT_EQ(raft_votes_is_majority(3, 1), 0);
    ASSERT_EQ(raft_votes_is_majority(3, 2), 1);
    ASSERT_EQ(raft_votes_is_majority(4, 2), 0);
    ASSERT_EQ(raft_votes_is_majority(4, 3), 1);
    ASSERT_EQ(raft_votes_is_majority(5, 2), 0);
    ASSERT_EQ(raft_votes_is_majority(5, 3), 1);
    ASSERT_EQ(raft_votes_is_majority(0, 0), 0);
    ASSERT_EQ(raft_votes_is_majority(3, 4), 0);
}

TEST(test_entry_is_cfg_change_for_the_four_membership_types_only)
{
    raft_entry_t e;
    memset(&e, 0, sizeof(e));
    e.type = RAFT_LOGTYPE_NORMAL;
    ASSERT_EQ(raft_entry_is_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_ADD_NONVOTING_NODE;
    ASSERT_NE(raft_entry_is_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_ADD_NODE;
    ASSERT_NE(raft_entry_is_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_DEMOTE_NODE;
    ASSERT_NE(raft_entry_is_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_REMOVE_NODE;
    ASSERT_NE(raft_entry_is_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_NUM;
    ASSERT_EQ(raft_entry_is_cfg_change(&e), 0);
}

TEST(test_entry_is_voting_cfg_change_for_add_node_and_demote_only)
{
    raft_entry_t e;
    memset(&e, 0, sizeof(e));
    e.type = RAFT_LOGTYPE_NORMAL;
    ASSERT_EQ(raft_entry_is_voting_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_ADD_NONVOTING_NODE;
    ASSERT_EQ(raft_entry_is_voting_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_ADD_NODE;
    ASSERT_NE(raft_entry_is_voting_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_DEMOTE_NODE;
    ASSERT_NE(raft_entry_is_voting_cfg_change(&e), 0);
    e.type = RAFT_LOGTYPE_REMOVE_NODE;
    ASSERT_EQ(raft_entry_is_voting_cfg_change(&e), 0);
}

TEST(test_set_state_is_reflected_by_state_getters)
{
    fx_t *f = fx_new(1, 3);
    raft_set_state(f->r, RAFT_STATE_CANDIDATE);
    ASSERT_EQ(raft_get_state(f->r), RAFT_STATE_CANDIDATE);
    ASSERT(raft_is_candidate(f->r));
    raft_set_state(f->r, RAFT_STATE_LEADER);
    ASSERT(raft_is_leader(f->r));
    raft_set_state(f->r, RAFT_STATE_FOLLOWER);
    ASSERT(raft_is_follower(f->r));
}

TEST(test_become_follower_resets_elapsed_and_sets_state)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_periodic(f->r, 50), 0);
    raft_become_follower(f->r);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_timeout_elapsed(f->r), 0);
}

TEST(test_set_current_term_persists_new_term_and_clears_vote)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_vote_for_nodeid(f->r, 2), 0);
    ASSERT_EQ(raft_set_current_term(f->r, 5), 0);
    ASSERT_EQ(raft_get_current_term(f->r), 5);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
    ASSERT_EQ(f->n_pterm, 1);
    ASSERT_EQ(f->pterm[0].term, 5);
    ASSERT_EQ(f->pterm[0].vote, -1);
}

TEST(test_set_current_term_to_same_or_lower_term_is_a_noop)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, 5), 0);
    ASSERT_EQ(raft_vote_for_nodeid(f->r, 3), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_set_current_term(f->r, 5), 0);
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    ASSERT_EQ(raft_get_current_term(f->r), 5);
    ASSERT_EQ(raft_get_voted_for(f->r), 3);
    ASSERT_EQ(f->n_pterm, 0);
}

TEST(test_vote_persists_vote_then_records_voted_for)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_vote(f->r, fx_node(f, 2)), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
    ASSERT_EQ(f->n_pvote, 1);
    ASSERT_EQ(f->pvote[0], 2);
}

TEST(test_vote_for_nodeid_persists_vote_then_records_voted_for)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_vote_for_nodeid(f->r, 3), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), 3);
    ASSERT_EQ(f->n_pvote, 1);
    ASSERT_EQ(f->pvote[0], 3);
}

TEST(test_set_last_applied_idx_is_returned_by_getter)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    raft_set_commit_idx(f->r, 2);
    raft_set_last_applied_idx(f->r, 2);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 2);
}

TEST(test_set_commit_idx_never_exceeds_current_idx_and_never_decreases)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    fx_append(f, 1, 3);
    raft_set_commit_idx(f->r, 2);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    raft_set_commit_idx(f->r, 1);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    raft_set_commit_idx(f->r, 10);
    ASSERT_LE(raft_get_commit_idx(f->r), 3);
    ASSERT_GE(raft_get_commit_idx(f->r), 2);
}

TEST(test_append_entry_offers_entry_and_keeps_its_term)
{
    fx_t *f = fx_new(1, 3);
    raft_entry_t *e;
    ASSERT_EQ(raft_set_current_term(f->r, 3), 0);
    fx_append(f, 1, 11);
    ASSERT_EQ(raft_get_current_term(f->r), 3);
    ASSERT_EQ(raft_get_current_idx(f->r), 1);
    ASSERT_EQ(raft_get_log_count(f->r), 1);
    ASSERT_EQ(f->n_offered, 1);
    ASSERT_EQ(f->offered[0].idx, 1);
    ASSERT_EQ(f->offered[0].e.id, 11);
    e = raft_get_entry_from_idx(f->r, 1);
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(e->term, 1);
    ASSERT_EQ(e->id, 11);
    ASSERT_EQ(raft_get_last_log_term(f->r), 1);
}

TEST(test_get_entry_from_idx_returns_null_outside_held_range)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 2, 2);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 0));
    ASSERT_NOT_NULL(raft_get_entry_from_idx(f->r, 1));
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2)->term, 2);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 3));
}

TEST(test_last_log_term_is_term_of_newest_entry)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 3, 2);
    ASSERT_EQ(raft_get_last_log_term(f->r), 3);
}

TEST(test_apply_entry_applies_next_committed_entry)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 21);
    fx_append(f, 1, 22);
    raft_set_commit_idx(f->r, 1);
    ASSERT_EQ(raft_apply_entry(f->r), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 1);
    ASSERT_EQ(f->n_applied, 1);
    ASSERT_EQ(f->applied[0].idx, 1);
    ASSERT_EQ(f->applied[0].e.id, 21);
    ASSERT_EQ(raft_get_last_applied_entry(f->r)->id, 21);
}

TEST(test_apply_entry_returns_minus_one_when_nothing_committed_to_apply)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_apply_entry(f->r), -1);
    fx_append(f, 1, 1);
    ASSERT_EQ(raft_apply_entry(f->r), -1);
    ASSERT_EQ(f->n_applied, 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 0);
    ASSERT_NULL(raft_get_last_applied_entry(f->r));
}

TEST(test_apply_all_applies_every_entry_up_to_commit_idx_in_order)
{
    fx_t *f = fx_new(1, 3);
    int i;
    for (i = 1; i <= 4; i++)
        fx_append(f, 1, i);
    raft_set_commit_idx(f->r, 3);
    ASSERT_EQ(raft_apply_all(f->r), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 3);
    ASSERT_EQ(f->n_applied, 3);
    for (i = 0; i < 3; i++)
        ASSERT_EQ(f->applied[i].idx, i + 1);
}

TEST(test_periodic_applies_committed_entries)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    raft_set_commit_idx(f->r, 2);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(raft_get_last_applied_idx(f->r), 2);
    ASSERT_EQ(f->n_applied, 2);
}

TEST(test_callbacks_may_call_back_into_the_server)
{
    fx_t *f = fx_new(2, 3);
    f->reenter = 1;
    f->reenter_nodeid = -5;
    fx_append(f, 1, 1);
    ASSERT_EQ(f->reenter_nodeid, 2);
    ASSERT(f->reenter_term_ok);
}

TEST(test_log_callback_is_optional_and_may_be_called)
{
    fx_t *f = fx_new(1, 3);
    /* the debug log callback may fire any number of times; it must not be required */
    f->cbs.log = NULL;
    raft_set_callbacks(f->r, &f->cbs, f);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_candidate(f->r));
}

TEST(test_server_without_callbacks_survives_election_and_entries)
{
    raft_server_t *r = raft_new();
    msg_entry_t e;
    msg_entry_response_t resp;
    int ok = 1;
    memset(&e, 0, sizeof(e));
    e.id = 1;
    raft_add_node(r, NULL, 1, 1);
    raft_add_node(r, NULL, 2, 0);
    raft_add_node(r, NULL, 3, 0);
    if (raft_periodic(r, 5000) != 0 || !raft_is_candidate(r))
        ok = 0;
    raft_become_leader(r);
    if (raft_retain_entries(r, &e, &resp) != 0 || raft_get_current_idx(r) != 1)
        ok = 0;
    raft_free(r);
    ASSERT(ok);
}

TEST(test_removing_own_node_forgets_self)
{
    fx_t *f = fx_new(2, 3);
    raft_remove_node(f->r, raft_get_my_node(f->r));
    ASSERT_EQ(raft_get_num_nodes(f->r), 2);
    ASSERT_NULL(raft_get_my_node(f->r));
    ASSERT_EQ(raft_get_nodeid(f->r), -1);
    ASSERT_NULL(fx_node(f, 2));
}
