/* Leader election (Raft paper §5.2, §5.4.1). */
#include "fixture.h"

TEST(test_single_voter_becomes_leader_on_first_periodic)
{
    fx_t *f = fx_new(1, 1);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(raft_get_current_leader(f->r), 1);
    ASSERT_EQ(raft_get_voted_for(f->r), 1);
}

TEST(test_follower_does_not_start_election_before_randomized_timeout)
{
    fx_t *f = fx_new(1, 3);
    int t = raft_get_randomized_election_timeout(f->r);
    ASSERT_EQ(raft_periodic(f->r, t - 1), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(f->n_rv, 0);
}

TEST(test_follower_starts_election_when_randomized_timeout_elapses)
{
    fx_t *f = fx_new(1, 3);
    int t = raft_get_randomized_election_timeout(f->r);
    ASSERT_EQ(raft_periodic(f->r, t - 1), 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(raft_get_voted_for(f->r), 1);
    ASSERT_EQ(fx_count_rv_to(f, 2), 1);
    ASSERT_EQ(fx_count_rv_to(f, 3), 1);
}

TEST(test_nonvoting_server_never_starts_an_election)
{
    fx_t *f = fx_new_empty();
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 1, 1));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 0));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 3, 0));
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(f->n_rv, 0);
}

TEST(test_become_candidate_increments_and_persists_term_and_votes_for_self)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, 4), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 5);
    ASSERT_EQ(raft_get_voted_for(f->r), 1);
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
    ASSERT_GE(f->n_pterm, 1);
    ASSERT_EQ(f->pterm[f->n_pterm - 1].term, 5);
    /* the self-vote reaches stable storage, through persist_vote or persist_term */
    ASSERT((f->n_pvote >= 1 && f->pvote[f->n_pvote - 1] == 1) || f->pterm[f->n_pterm - 1].vote == 1);
}

TEST(test_election_start_begins_a_candidacy)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_election_start(f->r), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(f->n_rv, 2);
}

TEST(test_requestvote_goes_only_to_active_voting_peers)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_NOT_NULL(raft_add_non_voting_node(f->r, NULL, 4, 0));
    raft_node_set_active(fx_node(f, 3), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_count_rv_to(f, 2), 1);
    ASSERT_EQ(fx_count_rv_to(f, 3), 0);
    ASSERT_EQ(fx_count_rv_to(f, 4), 0);
    ASSERT_EQ(fx_count_rv_to(f, 1), 0);
}

TEST(test_requestvote_carries_term_candidate_id_and_last_log_position)
{
    fx_t *f = fx_new(2, 3);
    fx_append(f, 1, 1);
    fx_append(f, 3, 2);
    ASSERT_EQ(raft_set_current_term(f->r, 3), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(f->n_rv, 2);
    ASSERT_EQ(f->rv[0].m.term, 4);
    ASSERT_EQ(f->rv[0].m.candidate_id, 2);
    ASSERT_EQ(f->rv[0].m.last_log_idx, 2);
    ASSERT_EQ(f->rv[0].m.last_log_term, 3);
}

TEST(test_send_requestvote_to_one_node_uses_current_term)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_send_requestvote(f->r, fx_node(f, 3)), 0);
    ASSERT_EQ(f->n_rv, 1);
    ASSERT_EQ(f->rv[0].node, 3);
    ASSERT_EQ(f->rv[0].m.term, 1);
}

TEST(test_become_candidate_forgets_current_leader)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, NULL, 0, NULL), 0);
    ASSERT_EQ(raft_get_current_leader(f->r), 2);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
    ASSERT_NULL(raft_get_current_leader_node(f->r));
}

TEST(test_candidate_becomes_leader_with_majority_of_three)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, RAFT_REQUESTVOTE_ERR_GRANTED), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_leader(f->r), 1);
    ASSERT_PTR_EQ(raft_get_current_leader_node(f->r), raft_get_my_node(f->r));
}

TEST(test_candidate_needs_three_of_five_votes)
{
    fx_t *f = fx_new(1, 5);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 2);
    ASSERT_EQ(fx_recv_vote(f, 4, 1, 1), 0);
    ASSERT(raft_is_leader(f->r));
}

TEST(test_two_node_candidate_needs_the_other_vote)
{
    fx_t *f = fx_new(1, 2);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT(raft_is_leader(f->r));
}

TEST(test_duplicate_vote_response_from_same_node_counts_once)
{
    fx_t *f = fx_new(1, 5);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 2);
    ASSERT(raft_is_candidate(f->r));
}

TEST(test_candidate_ignores_not_granted_vote)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, RAFT_REQUESTVOTE_ERR_NOT_GRANTED), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
}

TEST(test_candidate_ignores_granted_vote_from_previous_term)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
}

TEST(test_candidate_steps_down_on_vote_response_with_higher_term)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 7, 0), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 7);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_leader_ignores_vote_responses_of_its_term)
{
    fx_t *f = fx_new(1, 5);
    fx_elect(f);
    ASSERT_EQ(fx_recv_vote(f, 5, 1, 1), 0);
    ASSERT_EQ(fx_recv_vote(f, 4, 1, 0), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

TEST(test_follower_ignores_vote_responses)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 2, 1), 0);
    ASSERT_EQ(fx_recv_vote(f, 3, 2, 1), 0);
    ASSERT(raft_is_follower(f->r));
}

TEST(test_leader_steps_down_on_vote_response_with_higher_term)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_recv_vote(f, 3, 4, 0), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 4);
}

TEST(test_candidate_starts_new_election_after_split_vote_timeout)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 2000), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
    ASSERT_EQ(fx_count_rv_to(f, 2), 1);
    ASSERT_EQ(f->rv[0].m.term, 2);
}

TEST(test_candidate_votes_are_reset_for_a_new_election)
{
    fx_t *f = fx_new(1, 5);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(raft_node_has_vote_for_me(fx_node(f, 2)), 0);
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
    /* only votes of the new term count: 4 and 5 make it 3 of 5 */
    ASSERT_EQ(fx_recv_vote(f, 4, 2, 1), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(fx_recv_vote(f, 5, 2, 1), 0);
    ASSERT(raft_is_leader(f->r));
}

TEST(test_leader_does_not_start_elections)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT_EQ(raft_periodic(f->r, 5000), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

TEST(test_voter_grants_vote_to_up_to_date_candidate_with_higher_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(resp.term, 1);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
    ASSERT_GE(f->n_pvote, 1);
    ASSERT_EQ(f->pvote[f->n_pvote - 1], 2);
}

TEST(test_voter_rejects_candidate_with_stale_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(raft_set_current_term(f->r, 3), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(resp.term, 3);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_voter_rejects_second_candidate_in_same_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(fx_recv_rv(f, 3, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
}

TEST(test_voter_grants_repeated_request_from_candidate_it_voted_for)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
}

TEST(test_voter_rejects_candidate_whose_last_log_term_is_older)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append(f, 2, 1);
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 3, 5, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    /* the higher term is still adopted */
    ASSERT_EQ(raft_get_current_term(f->r), 3);
    ASSERT_EQ(resp.term, 3);
    ASSERT_NE(raft_get_voted_for(f->r), 2);
}

TEST(test_voter_rejects_candidate_with_shorter_log_of_same_last_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 2, 1, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
}

TEST(test_voter_grants_candidate_with_equal_log)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 2, 2, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
}

TEST(test_voter_grants_candidate_with_newer_last_term_but_shorter_log)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    fx_append(f, 1, 3);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 3, 1, 2, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
}

TEST(test_granting_vote_resets_election_timer)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(raft_periodic(f->r, 700), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_timeout_elapsed(f->r), 0);
}

TEST(test_granting_vote_forgets_current_leader)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, NULL), 0);
    ASSERT_EQ(raft_get_current_leader(f->r), 3);
    /* Past the minimum election timeout, the leader is no longer current
     * (leader stickiness, thesis §4.2.3). */
    ASSERT_EQ(raft_periodic(f->r, raft_get_election_timeout(f->r)), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(fx_recv_rv(f, 2, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
}

/* Thesis §4.1: a server does not consult its own configuration to vote — it
 * may be stale (a server its log calls non-voting may have been promoted by
 * entries it lacks; refusing left the simulator's clusters leaderless). The
 * candidate decides whose votes count. (willemt/raft refuses here.) */
TEST(test_nonvoting_server_grants_votes_on_the_log_rule)
{
    fx_t *f = fx_new_empty();
    msg_requestvote_response_t resp;
    raft_add_non_voting_node(f->r, NULL, 1, 1);
    raft_add_node(f->r, NULL, 2, 0);
    raft_add_node(f->r, NULL, 3, 0);
    fx_append(f, 1, 1);
    ASSERT_EQ(fx_recv_rv(f, 2, 2, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(fx_recv_rv(f, 3, 2, 1, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(raft_get_voted_for(f->r), 3);
}

TEST(test_candidate_rejects_other_candidate_of_same_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_voted_for(f->r), 1);
}

TEST(test_candidate_steps_down_and_votes_for_candidate_with_higher_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_rv(f, 3, 2, 0, 0, &resp), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(raft_get_voted_for(f->r), 3);
}

TEST(test_follower_raises_term_on_requestvote_even_if_vote_refused)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append(f, 1, 1);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    ASSERT_EQ(fx_recv_rv(f, 2, 5, 0, 0, &resp), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 5);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(resp.term, 5);
}

/* Thesis §4.1: a candidate outside our configuration (added by entries we
 * lack) gets our vote if its log is up to date; refused, it hears
 * UNKNOWN_NODE so that a removed server can learn it was removed. */
TEST(test_requestvote_from_unknown_node_with_stale_log_answers_unknown_node)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append(f, 1, 1);
    ASSERT_EQ(fx_recv_rv(f, 9, 5, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE);
    ASSERT_EQ(resp.term, 5);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_requestvote_from_unknown_node_with_up_to_date_log_is_granted)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 9, 5, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 5);
    ASSERT_EQ(raft_get_voted_for(f->r), 9);
}

/* Thesis §4.2.3: a server whose removal we applied must not disturb us. */
TEST(test_requestvote_from_removed_node_answers_unknown_node_and_keeps_term)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    fx_append_cfg(f, 1, 1, RAFT_LOGTYPE_REMOVE_NODE, 3);
    raft_set_commit_idx(f->r, 1);
    ASSERT_EQ(raft_apply_all(f->r), 0);
    ASSERT_NULL(raft_get_node(f->r, 3));
    ASSERT_EQ(fx_recv_rv(f, 3, 7, 5, 1, &resp), 0);
    ASSERT_EQ(resp.vote_granted, RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE);
    ASSERT_EQ(raft_get_current_term(f->r), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_requestvote_with_null_node_looks_candidate_up_by_id)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_t rv;
    msg_requestvote_response_t resp;
    rv.term = 1;
    rv.candidate_id = 3;
    rv.last_log_idx = 0;
    rv.last_log_term = 0;
    ASSERT_EQ(raft_recv_requestvote(f->r, NULL, &rv, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    ASSERT_EQ(raft_get_voted_for(f->r), 3);
}

TEST(test_candidate_being_removed_shuts_down_on_unknown_node_response)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    raft_node_set_active(raft_get_my_node(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE), RAFT_ERR_SHUTDOWN);
}

TEST(test_active_candidate_ignores_unknown_node_response)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE), 0);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
}

TEST(test_candidate_steps_down_on_appendentries_of_same_term)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, NULL, 0, &resp), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(raft_get_current_leader(f->r), 2);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

TEST(test_leader_steps_down_on_appendentries_with_higher_term)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 0, 0, 0, NULL, 0, NULL), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(raft_get_current_leader(f->r), 3);
}

TEST(test_become_leader_resets_next_idx_and_match_idx_of_peers)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    raft_node_set_match_idx(fx_node(f, 2), 1);
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    raft_become_leader(f->r);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_leader(f->r), 1);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 3);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 3)), 3);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 3)), 0);
}

TEST(test_become_leader_sends_appendentries_to_every_peer)
{
    fx_t *f = fx_new(1, 3);
    fx_append(f, 1, 1);
    fx_append(f, 1, 2);
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    fx_clear_rec(f);
    raft_become_leader(f->r);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_count_ae_to(f, 3), 1);
    ASSERT_EQ(fx_count_ae_to(f, 1), 0);
    ASSERT_EQ(f->ae[0].m.term, 2);
    ASSERT_EQ(f->ae[0].m.prev_log_idx, 2);
    ASSERT_EQ(f->ae[0].m.prev_log_term, 1);
}

TEST(test_appendentries_resets_follower_election_timer)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_periodic(f->r, 900), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, NULL, 0, NULL), 0);
    ASSERT_EQ(raft_get_timeout_elapsed(f->r), 0);
    ASSERT_EQ(raft_periodic(f->r, 900), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}

TEST(test_new_term_from_appendentries_clears_previous_vote)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 0, 0, 0, NULL, 0, NULL), 0);
    ASSERT_EQ(raft_get_current_term(f->r), 2);
    ASSERT_EQ(raft_get_voted_for(f->r), -1);
}

TEST(test_nvotes_for_me_counts_only_active_voting_voters)
{
    fx_t *f = fx_new(1, 5);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 2);
    raft_node_set_active(fx_node(f, 2), 0);
    ASSERT_EQ(raft_get_nvotes_for_me(f->r), 1);
}

TEST(test_candidate_rejects_appendentries_from_stale_leader)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t resp;
    ASSERT_EQ(raft_set_current_term(f->r, 2), 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    fx_recv_ae(f, 2, 2, 0, 0, 0, NULL, 0, &resp);
    ASSERT_EQ(resp.success, 0);
    ASSERT_EQ(resp.term, 3);
    ASSERT(raft_is_candidate(f->r));
    ASSERT_EQ(raft_get_current_leader(f->r), -1);
}

TEST(test_follower_that_voted_accepts_other_leader_of_same_term_keeping_its_vote)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t rv;
    msg_appendentries_response_t resp;
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &rv), 0);
    ASSERT_EQ(rv.vote_granted, 1);
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, &resp), 0);
    ASSERT_EQ(resp.success, 1);
    ASSERT_EQ(raft_get_current_leader(f->r), 3);
    ASSERT_EQ(raft_get_voted_for(f->r), 2);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
}
