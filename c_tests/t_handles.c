/* Type-safe handles (issue 15): raft_server_t and raft_node_t are distinct
 * opaque types, so passing one for the other does not compile (checked by
 * `make test-header`); a handle of the wrong kind that reaches the library
 * anyway (through a cast or a void pointer) is recognised by its tag and
 * refused with RAFT_ERR_INVALID, never dereferenced as the wrong type. */
#include "fixture.h"

TEST(test_node_handle_passed_as_server_is_refused)
{
    fx_t *f = fx_new(1, 3);
    void *node = fx_node(f, 2);
    raft_server_t *wrong = node;
    msg_requestvote_t rv = { .term = 1, .candidate_id = 2 };
    msg_requestvote_response_t rvr;
    ASSERT_EQ(raft_periodic(wrong, 1000), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_requestvote(wrong, NULL, &rv, &rvr), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_become_candidate(wrong), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_current_term(wrong), 0);
    ASSERT_NULL(raft_get_node(wrong, 2));
    ASSERT_EQ(raft_get_nodeid(wrong), -1);
    raft_set_election_timeout(wrong, 5); /* ignored */
    raft_free(wrong);                    /* ignored: not a server */
    /* The node is untouched. */
    ASSERT_EQ(raft_node_get_id(fx_node(f, 2)), 2);
    ASSERT(raft_node_is_voting(fx_node(f, 2)));
}

TEST(test_server_handle_passed_as_node_is_refused)
{
    fx_t *f = fx_new(1, 3);
    void *server = f->r;
    raft_node_t *wrong = server;
    ASSERT_EQ(raft_node_get_id(wrong), -1);
    ASSERT_NULL(raft_node_get_udata(wrong));
    ASSERT_EQ(raft_node_get_next_idx(wrong), 0);
    raft_node_set_voting(wrong, 0);   /* ignored */
    raft_node_set_next_idx(wrong, 9); /* ignored */
    raft_node_free(wrong);            /* ignored: not a node */
    ASSERT_EQ(raft_vote(f->r, wrong), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_send_appendentries(f->r, wrong), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_appendentries_response(f->r, wrong, NULL), RAFT_ERR_INVALID);
    /* The server is untouched. */
    ASSERT_EQ(raft_get_num_nodes(f->r), 3);
    ASSERT_EQ(raft_get_election_timeout(f->r), 1000);
}

TEST(test_node_of_another_server_is_refused)
{
    fx_t *a = fx_new(1, 3);
    fx_t *b = fx_new(1, 3);
    msg_appendentries_response_t r = { .term = 1, .success = 1, .current_idx = 0, .first_idx = 1 };
    fx_elect(a);
    ASSERT_EQ(raft_recv_appendentries_response(a->r, fx_node(b, 2), &r), -1);
    ASSERT_EQ(raft_vote(a->r, fx_node(b, 2)), RAFT_ERR_INVALID);
    raft_remove_node(a->r, fx_node(b, 2)); /* ignored */
    ASSERT_EQ(raft_get_num_nodes(a->r), 3);
    ASSERT_EQ(raft_get_num_nodes(b->r), 3);
}

TEST(test_standalone_node_is_not_a_member_and_member_handles_are_not_freed_by_node_free)
{
    fx_t *f = fx_new(1, 3);
    raft_node_t *loose = raft_node_new(NULL, 2);
    ASSERT_EQ(raft_vote(f->r, loose), RAFT_ERR_INVALID);
    raft_node_free(fx_node(f, 3)); /* a member's handle is its server's: ignored */
    ASSERT_EQ(raft_node_get_id(fx_node(f, 3)), 3);
    raft_node_free(loose);
}
