/* End-to-end scenarios on the shared in-process cluster (c_fixture/):
 * messages are copied like a wire would, links can be cut, messages dropped,
 * duplicated or reordered; every delivery is checked for safety. */
#include "cluster_test.h"

/* Every running server committed and applied up to `upto`, the same entries
 * as the first server. */
static void assert_all_applied(cluster_t *c, raft_index_t upto)
{
    int i;
    raft_index_t k;
    for (i = 1; i <= c->n; i++) {
        cl_server_t *s = cl_server(c, i);
        if (!s || !s->r || s->paused)
            continue;
        ASSERT_MSG(raft_get_commit_idx(s->r) >= upto, "node %d commit %ld < %ld", i,
                   (long)raft_get_commit_idx(s->r), (long)upto);
        ASSERT_MSG(s->applied >= upto, "node %d applied %ld < %ld", i, (long)s->applied, (long)upto);
        for (k = 1; k <= upto; k++)
            ASSERT_MSG(cl_applied_id(c, i, k) == cl_applied_id(c, 1, k) || !cl_raft(c, 1),
                       "node %d applied id %d at %ld, node 1 applied %d", i, cl_applied_id(c, i, k), (long)k,
                       cl_applied_id(c, 1, k));
    }
}

TEST(test_cluster_of_three_elects_exactly_one_leader)
{
    cluster_t *c = new_cluster(3, 1);
    int l = cl_elect(c, 5000), i;
    ASSERT_NE(l, -1);
    cl_run(c, 200, 10);
    ASSERT_EQ(cl_count_leaders(c), 1);
    ASSERT_EQ(cl_leader(c), l);
    for (i = 1; i <= 3; i++) {
        ASSERT_EQ(raft_get_current_leader(cl_raft(c, i)), l);
        ASSERT_EQ(raft_get_current_term(cl_raft(c, i)), raft_get_current_term(cl_raft(c, l)));
        if (i != l)
            ASSERT(raft_is_follower(cl_raft(c, i)));
    }
    ASSERT_SAFE(c);
}

TEST(test_cluster_of_five_elects_exactly_one_leader)
{
    cluster_t *c = new_cluster(5, 2);
    int l = cl_elect(c, 5000), i;
    ASSERT_NE(l, -1);
    cl_run(c, 300, 10);
    ASSERT_EQ(cl_count_leaders(c), 1);
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(raft_get_current_leader(cl_raft(c, i)), l);
    ASSERT_SAFE(c);
}

TEST(test_cluster_leader_stays_stable_without_failures)
{
    cluster_t *c = new_cluster(3, 3);
    int l = cl_elect(c, 5000);
    raft_term_t t;
    ASSERT_NE(l, -1);
    t = raft_get_current_term(cl_raft(c, l));
    cl_run(c, 5000, 10);
    ASSERT_EQ(cl_leader(c), l);
    ASSERT_EQ(raft_get_current_term(cl_raft(c, l)), t);
    ASSERT_SAFE(c);
}

TEST(test_cluster_replicates_and_commits_entries_on_all_nodes)
{
    cluster_t *c = new_cluster(3, 4);
    msg_entry_response_t resp[5];
    int l = cl_elect(c, 5000), i;
    ASSERT_NE(l, -1);
    for (i = 0; i < 5; i++)
        ASSERT_EQ(cl_submit(c, l, 1000 + i, &resp[i]), 0);
    cl_run(c, 500, 10);
    for (i = 0; i < 5; i++)
        ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l), &resp[i]), 1);
    assert_all_applied(c, 5);
    for (i = 1; i <= 3; i++)
        ASSERT_EQ(cl_applied_id(c, i, 3), 1002);
    ASSERT_SAFE(c);
}

TEST(test_cluster_client_entry_on_follower_is_redirected)
{
    cluster_t *c = new_cluster(3, 5);
    int l = cl_elect(c, 5000), f;
    ASSERT_NE(l, -1);
    cl_run(c, 100, 10);
    f = l == 1 ? 2 : 1;
    ASSERT_EQ(cl_submit(c, f, 1, NULL), RAFT_ERR_NOT_LEADER);
    ASSERT_EQ(raft_get_current_leader(cl_raft(c, f)), l);
    ASSERT_NOT_NULL(raft_get_current_leader_node(cl_raft(c, f)));
    ASSERT_EQ(raft_node_get_id(raft_get_current_leader_node(cl_raft(c, f))), l);
}

TEST(test_cluster_isolated_leader_is_replaced_and_its_uncommitted_entry_overwritten)
{
    cluster_t *c = new_cluster(5, 6);
    msg_entry_response_t old_resp, new_resp;
    int l = cl_elect(c, 5000), l2, i;
    ASSERT_NE(l, -1);
    cl_run(c, 100, 10);
    cl_isolate(c, l);
    ASSERT_EQ(cl_submit(c, l, 77, &old_resp), 0);
    cl_run(c, 3000, 10);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l), &old_resp), 0);
    l2 = -1;
    for (i = 1; i <= 5; i++)
        if (i != l && raft_is_leader(cl_raft(c, i)))
            l2 = i;
    ASSERT_NE(l2, -1);
    ASSERT_GT(raft_get_current_term(cl_raft(c, l2)), raft_get_current_term(cl_raft(c, l)));
    ASSERT_EQ(cl_submit(c, l2, 88, &new_resp), 0);
    cl_run(c, 500, 10);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l2), &new_resp), 1);
    cl_heal(c);
    cl_run(c, 1000, 10);
    ASSERT(!raft_is_leader(cl_raft(c, l)));
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l), &old_resp), -1);
    ASSERT_EQ(raft_get_commit_idx(cl_raft(c, l)), raft_get_commit_idx(cl_raft(c, l2)));
    ASSERT_SAFE(c);
}

TEST(test_cluster_minority_partition_cannot_commit)
{
    cluster_t *c = new_cluster(5, 7);
    msg_entry_response_t resp;
    int l = cl_elect(c, 5000), buddy, i, j;
    raft_index_t commit;
    ASSERT_NE(l, -1);
    cl_run(c, 100, 10);
    buddy = l == 1 ? 2 : 1;
    for (i = 1; i <= 5; i++)
        for (j = 1; j <= 5; j++)
            if ((i == l || i == buddy) != (j == l || j == buddy))
                cl_cut(c, i, j);
    commit = raft_get_commit_idx(cl_raft(c, l));
    ASSERT_EQ(cl_submit(c, l, 5, &resp), 0);
    cl_run(c, 2000, 10);
    ASSERT_EQ(raft_get_commit_idx(cl_raft(c, l)), commit);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l), &resp), 0);
    ASSERT_EQ(raft_get_commit_idx(cl_raft(c, buddy)), commit);
    ASSERT_SAFE(c);
}

TEST(test_cluster_majority_partition_elects_leader_and_commits)
{
    cluster_t *c = new_cluster(5, 8);
    msg_entry_response_t resp;
    int l = cl_elect(c, 5000), buddy, i, j, l2 = -1;
    ASSERT_NE(l, -1);
    cl_run(c, 100, 10);
    buddy = l == 1 ? 2 : 1;
    for (i = 1; i <= 5; i++)
        for (j = 1; j <= 5; j++)
            if ((i == l || i == buddy) != (j == l || j == buddy))
                cl_cut(c, i, j);
    cl_run(c, 3000, 10);
    for (i = 1; i <= 5; i++)
        if (i != l && i != buddy && raft_is_leader(cl_raft(c, i)))
            l2 = i;
    ASSERT_NE(l2, -1);
    ASSERT_EQ(cl_submit(c, l2, 9, &resp), 0);
    cl_run(c, 500, 10);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l2), &resp), 1);
    ASSERT_SAFE(c);
}

TEST(test_cluster_recovers_and_converges_after_partition_heals)
{
    cluster_t *c = new_cluster(5, 9);
    int l = cl_elect(c, 5000), buddy, i, j, k, id = 1;
    ASSERT_NE(l, -1);
    buddy = l == 1 ? 2 : 1;
    for (i = 1; i <= 5; i++)
        for (j = 1; j <= 5; j++)
            if ((i == l || i == buddy) != (j == l || j == buddy))
                cl_cut(c, i, j);
    /* both sides receive client entries; only the majority side commits */
    for (k = 0; k < 20; k++) {
        int x;
        for (x = 1; x <= 5; x++)
            if (raft_is_leader(cl_raft(c, x)))
                cl_submit(c, x, id++, NULL);
        cl_run(c, 100, 10);
    }
    cl_heal(c);
    cl_run(c, 3000, 10);
    ASSERT_EQ(cl_count_leaders(c), 1);
    l = cl_leader(c);
    ASSERT_EQ(cl_submit(c, l, id++, NULL), 0);
    cl_run(c, 500, 10);
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(raft_get_current_idx(cl_raft(c, i)), raft_get_current_idx(cl_raft(c, l)));
    assert_all_applied(c, raft_get_commit_idx(cl_raft(c, l)));
    ASSERT_SAFE(c);
}

TEST(test_cluster_crashed_leader_is_replaced_and_rejoins_as_follower)
{
    cluster_t *c = new_cluster(3, 10);
    int l = cl_elect(c, 5000), l2;
    ASSERT_NE(l, -1);
    ASSERT_EQ(cl_submit(c, l, 1, NULL), 0);
    cl_run(c, 200, 10);
    cl_pause(c, l, 1);
    cl_run(c, 3000, 10);
    l2 = cl_leader(c);
    ASSERT_NE(l2, -1);
    ASSERT_NE(l2, l);
    ASSERT_EQ(cl_submit(c, l2, 2, NULL), 0);
    cl_run(c, 300, 10);
    cl_pause(c, l, 0);
    cl_run(c, 1000, 10);
    ASSERT_EQ(cl_count_leaders(c), 1);
    ASSERT(!raft_is_leader(cl_raft(c, l)) || raft_get_current_term(cl_raft(c, l)) > raft_get_current_term(cl_raft(c, l2)));
    assert_all_applied(c, 2);
    ASSERT_SAFE(c);
}

TEST(test_cluster_survives_duplicated_messages)
{
    cluster_t *c = new_cluster(3, 11);
    int l, i;
    c->dup_pct = 50;
    l = cl_elect(c, 5000);
    ASSERT_NE(l, -1);
    for (i = 1; i <= 10; i++) {
        l = cl_leader(c);
        ASSERT_NE(l, -1);
        ASSERT_EQ(cl_submit(c, l, i, NULL), 0);
        cl_run(c, 50, 10);
    }
    cl_run(c, 1000, 10);
    l = cl_leader(c);
    assert_all_applied(c, raft_get_current_idx(cl_raft(c, l)));
    ASSERT_EQ(raft_get_current_idx(cl_raft(c, l)), 10);
    ASSERT_SAFE(c);
}

TEST(test_cluster_makes_progress_despite_message_loss)
{
    cluster_t *c = new_cluster(5, 12);
    int i, id = 1, l;
    c->drop_pct = 20;
    for (i = 0; i < 100; i++) {
        l = cl_leader(c);
        if (l != -1)
            cl_submit(c, l, id++, NULL);
        cl_run(c, 50, 10);
    }
    c->drop_pct = 0;
    cl_run(c, 3000, 10);
    l = cl_leader(c);
    ASSERT_NE(l, -1);
    ASSERT_GT(raft_get_commit_idx(cl_raft(c, l)), 10);
    assert_all_applied(c, raft_get_commit_idx(cl_raft(c, l)));
    ASSERT_SAFE(c);
}

TEST(test_cluster_chaos_keeps_election_and_state_machine_safety)
{
    cluster_t *c = new_cluster(5, 13);
    int round, id = 1, l, i;
    c->drop_pct = 15;
    c->dup_pct = 10;
    for (round = 0; round < 30; round++) {
        int a = (int)(cl_rand(c) % 5) + 1, b = (int)(cl_rand(c) % 5) + 1;
        cl_heal(c);
        if (round % 3 != 2 && a != b)
            cl_cut(c, a, b);
        if (round % 5 == 4)
            cl_isolate(c, (int)(cl_rand(c) % 5) + 1);
        for (i = 0; i < 5; i++) {
            l = cl_leader(c);
            if (l != -1)
                cl_submit(c, l, id++, NULL);
            cl_run(c, 60, 10);
        }
    }
    cl_heal(c);
    c->drop_pct = c->dup_pct = 0;
    cl_run(c, 3000, 10);
    ASSERT_EQ(cl_count_leaders(c), 1);
    l = cl_leader(c);
    ASSERT_EQ(cl_submit(c, l, id++, NULL), 0);
    cl_run(c, 500, 10);
    /* the chaos really did cause leader changes, and entries got committed */
    ASSERT_GE(safety_terms_with_leader(c->safety), 3);
    ASSERT_GT(raft_get_commit_idx(cl_raft(c, l)), 20);
    assert_all_applied(c, raft_get_commit_idx(cl_raft(c, l)));
    ASSERT_SAFE(c);
}

TEST(test_cluster_adds_server_as_nonvoting_then_promotes_it)
{
    cluster_t *c = new_cluster(3, 14);
    int l = cl_elect(c, 5000), i;
    int j;
    ASSERT_NE(l, -1);
    for (i = 1; i <= 3; i++)
        ASSERT_EQ(cl_submit(c, l, i, NULL), 0);
    cl_run(c, 300, 10);
    j = cl_add_joiner(c);
    ASSERT_MSG(j > 0, "cl_add_joiner: %s", cl_error(c));
    ASSERT_EQ(cl_submit_cfg(c, l, 100, RAFT_LOGTYPE_ADD_NONVOTING_NODE, j, NULL), 0);
    for (i = 0; i < 100 && cl_server(c, l)->sufficient_logs != j; i++)
        cl_tick(c, 10);
    ASSERT_EQ(cl_server(c, l)->sufficient_logs, j);
    ASSERT_EQ(raft_node_is_voting(raft_get_node(cl_raft(c, l), j)), 0);
    ASSERT_EQ(cl_submit_cfg(c, l, 101, RAFT_LOGTYPE_ADD_NODE, j, NULL), 0);
    cl_run(c, 500, 10);
    ASSERT_EQ(raft_get_num_voting_nodes(cl_raft(c, l)), 4);
    ASSERT_NE(raft_node_is_voting(raft_get_node(cl_raft(c, l), j)), 0);
    ASSERT_NE(raft_node_is_voting_committed(raft_get_node(cl_raft(c, l), j)), 0);
    ASSERT_NE(raft_node_is_voting(raft_get_my_node(cl_raft(c, j))), 0);
    ASSERT_EQ(raft_voting_change_is_in_progress(cl_raft(c, l)), 0);
    ASSERT_EQ(raft_get_current_idx(cl_raft(c, j)), raft_get_current_idx(cl_raft(c, l)));
    ASSERT_EQ(cl_applied_id(c, j, 2), 2);
    ASSERT_SAFE(c);
}

TEST(test_cluster_removes_server_and_keeps_committing_with_the_rest)
{
    cluster_t *c = new_cluster(3, 15);
    msg_entry_response_t resp;
    int l = cl_elect(c, 5000), victim;
    ASSERT_NE(l, -1);
    victim = l == 3 ? 2 : 3;
    ASSERT_EQ(cl_submit_cfg(c, l, 200, RAFT_LOGTYPE_REMOVE_NODE, victim, &resp), 0);
    cl_run(c, 500, 10);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l), &resp), 1);
    ASSERT_NULL(raft_get_node(cl_raft(c, l), victim));
    ASSERT_EQ(raft_get_num_voting_nodes(cl_raft(c, l)), 2);
    cl_pause(c, victim, 1);
    ASSERT_EQ(cl_submit(c, l, 201, &resp), 0);
    cl_run(c, 300, 10);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, l), &resp), 1);
    ASSERT_SAFE(c);
}

TEST(test_cluster_lagging_follower_catches_up_through_snapshot)
{
    cluster_t *c = new_cluster(3, 16);
    int l = cl_elect(c, 5000), lag, i;
    ASSERT_NE(l, -1);
    cl_run(c, 100, 10);
    lag = l == 3 ? 2 : 3;
    cl_isolate(c, lag);
    for (i = 1; i <= 10; i++)
        ASSERT_EQ(cl_submit(c, l, i, NULL), 0);
    cl_run(c, 300, 10);
    ASSERT_EQ(raft_get_commit_idx(cl_raft(c, l)), 10);
    ASSERT_EQ(cl_snapshot(c, l), 0);
    ASSERT_EQ(raft_get_snapshot_last_idx(cl_raft(c, l)), 10);
    ASSERT_EQ(cl_server(c, l)->base, 10);
    cl_heal(c);
    ASSERT_EQ(cl_submit(c, l, 11, NULL), 0);
    cl_run(c, 1000, 10);
    /* the isolated server campaigned: its higher term may force a new
     * election, and a leader commits entry 11 of an earlier term only
     * together with an entry of its own term (Raft paper §5.4.2) */
    l = cl_leader(c);
    ASSERT_NE(l, -1);
    ASSERT_NE(l, lag);
    ASSERT_EQ(cl_submit(c, l, 12, NULL), 0);
    cl_run(c, 500, 10);
    ASSERT_EQ(raft_get_snapshot_last_idx(cl_raft(c, lag)), 10);
    ASSERT_EQ(raft_get_current_idx(cl_raft(c, lag)), 12);
    ASSERT_EQ(raft_get_commit_idx(cl_raft(c, lag)), 12);
    ASSERT_EQ(cl_applied_id(c, lag, 12), 12);
    ASSERT_EQ(cl_applied_id(c, lag, 11), 11);
    ASSERT_EQ(cl_applied_id(c, lag, 5), 5);
    ASSERT_SAFE(c);
}

TEST(test_cluster_compaction_during_traffic_keeps_logs_consistent)
{
    cluster_t *c = new_cluster(3, 17);
    int l = cl_elect(c, 5000), round, id = 1, i;
    ASSERT_NE(l, -1);
    for (round = 0; round < 5; round++) {
        for (i = 0; i < 6; i++)
            ASSERT_EQ(cl_submit(c, l, id++, NULL), 0);
        cl_run(c, 200, 10);
        for (i = 1; i <= 3; i++)
            if (raft_get_num_snapshottable_logs(cl_raft(c, i)) > 0)
                ASSERT_EQ(cl_snapshot(c, i), 0);
    }
    cl_run(c, 300, 10);
    assert_all_applied(c, 30);
    ASSERT_SAFE(c);
}

TEST(test_cluster_restarted_node_recovers_persisted_term_vote_and_log)
{
    cluster_t *c = new_cluster(3, 18);
    int l = cl_elect(c, 5000), f, i;
    raft_term_t term;
    int vote;
    ASSERT_NE(l, -1);
    for (i = 1; i <= 3; i++)
        ASSERT_EQ(cl_submit(c, l, i, NULL), 0);
    cl_run(c, 300, 10);
    f = l == 1 ? 2 : 1;
    term = raft_get_current_term(cl_raft(c, f));
    vote = raft_get_voted_for(cl_raft(c, f));
    cl_restart(c, f);
    ASSERT_EQ(raft_get_current_term(cl_raft(c, f)), term);
    ASSERT_EQ(raft_get_voted_for(cl_raft(c, f)), vote);
    ASSERT_EQ(raft_get_current_idx(cl_raft(c, f)), 3);
    ASSERT_EQ(raft_get_commit_idx(cl_raft(c, f)), 0);
    ASSERT_EQ(cl_submit(c, l, 4, NULL), 0);
    cl_run(c, 500, 10);
    ASSERT_EQ(cl_leader(c), l);
    assert_all_applied(c, 4);
    ASSERT_SAFE(c);
}

TEST(test_cluster_restarted_voter_does_not_vote_twice_in_one_term)
{
    cluster_t *c = new_cluster(3, 19);
    int l = cl_elect(c, 5000), f, other;
    msg_requestvote_t rv;
    msg_requestvote_response_t resp;
    ASSERT_NE(l, -1);
    f = l == 1 ? 2 : 1;
    other = 6 - l - f;
    ASSERT_EQ(raft_get_voted_for(cl_raft(c, f)), l);
    cl_restart(c, f);
    rv.term = raft_get_current_term(cl_raft(c, f));
    rv.candidate_id = other;
    rv.last_log_idx = 100;
    rv.last_log_term = rv.term;
    ASSERT_EQ(raft_recv_requestvote(cl_raft(c, f), raft_get_node(cl_raft(c, f), other), &rv, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 0);
    ASSERT_EQ(raft_get_voted_for(cl_raft(c, f)), l);
}
