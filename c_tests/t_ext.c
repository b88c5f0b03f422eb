/* The extension table, state events, the no-op, the leader id and the
 * statistics; and the rule that a program written for willemt/raft sees no
 * change: every extension is off until turned on, and the fields appended
 * to willemt's message structs are neither read nor written until then. */
#include "cluster_test.h"
#include "fixture.h"

#include <stddef.h>
#include <string.h>

static struct {
    int n, states[16];
    int state_in_place;
    int n_transfer;
} ev;

static void rec_state(raft_server_t *r, void *ud, raft_state_e state)
{
    (void)ud;
    if (ev.n < 16)
        ev.states[ev.n] = state;
    ev.n++;
    ev.state_in_place += raft_get_state(r) == (int)state;
}

static void rec_transfer(raft_server_t *r, void *ud, raft_leader_transfer_e result)
{
    (void)r; (void)ud; (void)result;
    ev.n_transfer++;
}

static int send_tn(raft_server_t *r, void *ud, raft_node_t *node, msg_timeoutnow_t *m)
{
    (void)r; (void)ud; (void)node; (void)m;
    return 0;
}

static fx_t *with_events(int self, int n)
{
    fx_t *f = fx_new(self, n);
    raft_cbs_ext_t ext;
    memset(&ev, 0, sizeof(ev));
    memset(&ext, 0, sizeof(ext));
    ext.notify_state_event = rec_state;
    ext.notify_transfer_event = rec_transfer;
    ext.send_timeoutnow = send_tn;
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    return f;
}

TEST(test_state_event_on_every_change_of_state_and_only_then)
{
    fx_t *f = with_events(1, 3);
    msg_appendentries_response_t aer;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 0, NULL, 0, &aer), 0); /* no change, no event */
    raft_set_prevote(f->r, 1);
    ASSERT_EQ(raft_periodic(f->r, 2000), 0);
    ASSERT(raft_is_precandidate(f->r));
    ASSERT_EQ(ev.n, 4);
    ASSERT_EQ(ev.states[0], RAFT_STATE_CANDIDATE);
    ASSERT_EQ(ev.states[1], RAFT_STATE_LEADER);
    ASSERT_EQ(ev.states[2], RAFT_STATE_FOLLOWER);
    ASSERT_EQ(ev.states[3], RAFT_STATE_PRECANDIDATE);
    ASSERT_EQ(ev.state_in_place, 4);
}

TEST(test_ext_table_shorter_than_ours_leaves_later_members_null)
{
    /* A program built when the table had only its first member. */
    fx_t *f = fx_new(1, 3);
    raft_cbs_ext_t ext;
    memset(&ev, 0, sizeof(ev));
    memset(&ext, 0, sizeof(ext));
    ext.send_timeoutnow = send_tn;
    ext.notify_state_event = rec_state; /* beyond the size given: not copied */
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, offsetof(raft_cbs_ext_t, notify_state_event)), 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(ev.n, 0);
    /* the first member was copied: transfers work */
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0);
    /* a partial member is not copied either */
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(void *) - 1), 0);
    ASSERT_EQ(raft_set_ext_callbacks(f->r, NULL, sizeof(ext)), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_set_ext_callbacks(NULL, &ext, sizeof(ext)), RAFT_ERR_INVALID);
}

TEST(test_ext_table_larger_than_ours_is_cut_to_what_we_know)
{
    fx_t *f = fx_new(1, 3);
    struct { raft_cbs_ext_t known; void (*future[4])(void); } newer;
    memset(&ev, 0, sizeof(ev));
    memset(&newer, 0xff, sizeof(newer));
    memset(&newer.known, 0, sizeof(newer.known));
    newer.known.notify_state_event = rec_state;
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &newer.known, sizeof(newer)), 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(ev.n, 1);
}

TEST(test_noop_on_election_appends_an_empty_entry_of_the_new_term)
{
    fx_t *f = fx_new(1, 3);
    raft_entry_t *e;
    ASSERT_EQ(raft_get_noop_on_election(f->r), 0);
    raft_set_noop_on_election(f->r, 1);
    ASSERT_EQ(raft_get_noop_on_election(f->r), 1);
    fx_append(f, 1, 7);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 2, 1), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
    e = raft_get_entry_from_idx(f->r, 2);
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(e->type, RAFT_LOGTYPE_NO_OP);
    ASSERT_EQ(e->term, 2);
    ASSERT_EQ(e->id, 0);
    ASSERT_EQ(e->data.len, 0);
    ASSERT_EQ(f->n_offered, 1); /* through log_offer */
    ASSERT_EQ(f->offered[0].idx, 2);
    /* the leader's first appendentries carry it */
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->e[0].type, RAFT_LOGTYPE_NO_OP);
    /* committing it commits the earlier term's entry too, and both are applied */
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 2), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(f->n_applied, 2);
    ASSERT_EQ(f->applied[1].e.type, RAFT_LOGTYPE_NO_OP);
}

TEST(test_noop_on_election_is_off_by_default)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
}

TEST(test_noop_not_appended_when_log_offer_fails)
{
    fx_t *f = fx_new(1, 3);
    raft_set_noop_on_election(f->r, 1);
    f->fail_offer = -55;
    fx_elect(f);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    f->fail_offer = 0;
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
}

TEST(test_leader_id_getter_follows_the_leader)
{
    fx_t *f = fx_new(1, 3);
    msg_appendentries_response_t aer;
    ASSERT_EQ(raft_get_leader_id(f->r), RAFT_NODE_ID_NONE);
    ASSERT_EQ(fx_recv_ae(f, 3, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(raft_get_leader_id(f->r), 3);
    ASSERT_EQ(raft_get_leader_id(f->r), raft_get_current_leader(f->r));
    ASSERT_EQ(raft_get_leader_id(NULL), RAFT_NODE_ID_NONE);
}

TEST(test_stats_count_elections_messages_and_entries)
{
    fx_t *f = fx_new(1, 3);
    raft_stats_t st;
    msg_requestvote_response_t rvr;
    memset(&st, 0xff, sizeof(st));
    ASSERT_EQ(raft_get_stats(f->r, &st, sizeof(st)), 0);
    ASSERT_EQ(st.term_changes, 0);
    ASSERT_EQ(st.entries_appended, 0);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 2), 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(fx_recv_rv(f, 3, 1, 0, 0, &rvr), 0);
    ASSERT_EQ(raft_get_stats(f->r, &st, sizeof(st)), 0);
    ASSERT_EQ(st.term_changes, 1);
    ASSERT_EQ(st.elections_started, 1);
    ASSERT_EQ(st.elections_won, 1);
    ASSERT_EQ(st.requestvotes_sent, 2);
    ASSERT_EQ(st.requestvote_responses_received, 1);
    ASSERT_EQ(st.requestvotes_received, 1);
    ASSERT_EQ(st.appendentries_sent, (unsigned)f->n_ae);
    ASSERT_EQ(st.appendentries_responses_received, 1);
    ASSERT_EQ(st.entries_appended, 2);
    ASSERT_EQ(st.entries_committed, 2);
    ASSERT_EQ(st.entries_applied, 2);
    ASSERT_EQ(st.prevotes_started, 0);
}

TEST(test_stats_copy_only_the_size_the_program_knows)
{
    fx_t *f = fx_new(1, 3);
    raft_stats_t st;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    memset(&st, 0xab, sizeof(st));
    ASSERT_EQ(raft_get_stats(f->r, &st, offsetof(raft_stats_t, prevotes_started)), 0);
    ASSERT_EQ(st.term_changes, 1);
    {
        raft_stats_t untouched;
        memset(&untouched, 0xab, sizeof(untouched));
        ASSERT(memcmp(&st.prevotes_started, &untouched.prevotes_started, sizeof(st) - sizeof(st.term_changes)) == 0);
    }
    ASSERT_EQ(raft_get_stats(f->r, NULL, sizeof(st)), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_stats(NULL, &st, sizeof(st)), RAFT_ERR_INVALID);
}

TEST(test_every_extension_is_off_by_default)
{
    raft_server_t *r = raft_new();
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(raft_get_prevote(r), 0);
    ASSERT_EQ(raft_get_check_quorum(r), 0);
    ASSERT_EQ(raft_get_noop_on_election(r), 0);
    ASSERT_EQ(raft_get_transfer_leader(r), RAFT_NODE_ID_NONE);
    ASSERT_EQ(raft_get_clock_drift(r), 50);
    raft_free(r);
}

TEST(test_appended_message_fields_are_untouched_without_extensions)
{
    /* A program built against willemt's header has structs without the
     * appended fields: the library must neither read nor write them. Here
     * they hold a pattern that must survive; reading them would be caught
     * by the pattern's effect (a huge msg_id, a transfer flag). */
    fx_t *f = fx_new(2, 3);
    msg_appendentries_t ae;
    msg_appendentries_response_t aer;
    msg_requestvote_t rv;
    msg_requestvote_response_t rvr;
    memset(&ae, 0, sizeof(ae));
    ae.term = 1;
    memset(&ae.msg_id, 0x77, sizeof(ae.msg_id));
    memset(&aer, 0x66, sizeof(aer));
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 1), &ae, &aer), 0);
    ASSERT_EQ(aer.success, 1);
    {
        msg_appendentries_response_t pattern;
        memset(&pattern, 0x66, sizeof(pattern));
        ASSERT(memcmp(&aer.msg_id, &pattern.msg_id, sizeof(aer.msg_id)) == 0);
    }
    memset(&rv, 0, sizeof(rv));
    rv.term = 2;
    rv.candidate_id = 3;
    rv.leadership_transfer = 1; /* garbage to a willemt program: stickiness holds */
    memset(&rvr, 0x55, sizeof(rvr));
    ASSERT_EQ(raft_recv_requestvote(f->r, fx_node(f, 3), &rv, &rvr), 0);
    ASSERT_EQ(rvr.vote_granted, RAFT_REQUESTVOTE_ERR_NOT_GRANTED);
    ASSERT_EQ(raft_get_current_term(f->r), 1);
    {
        msg_requestvote_response_t pattern;
        memset(&pattern, 0x55, sizeof(pattern));
        ASSERT(memcmp(&rvr.prevote, &pattern.prevote, sizeof(rvr.prevote)) == 0);
        ASSERT(memcmp(&rvr.request_term, &pattern.request_term, sizeof(rvr.request_term)) == 0);
    }
}

TEST(test_msg_id_is_echoed_once_an_extension_table_is_registered)
{
    fx_t *f = fx_new(2, 3);
    raft_cbs_ext_t ext;
    msg_appendentries_t ae;
    msg_appendentries_response_t aer;
    memset(&ext, 0, sizeof(ext));
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    memset(&ae, 0, sizeof(ae));
    ae.term = 1;
    ae.msg_id = 12345;
    memset(&aer, 0, sizeof(aer));
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 1), &ae, &aer), 0);
    ASSERT_EQ(aer.msg_id, 12345);
}

TEST(test_cluster_with_the_extension_table_and_no_option_replicates_and_elects)
{
    cluster_t *c = new_cluster_ext(5, 41, NULL);
    int leader, i, j;
    for (j = 0; j < 3; j++) {
        leader = cl_elect(c, 5000);
        ASSERT_GT(leader, 0);
        for (i = 1; i <= 10; i++)
            ASSERT_EQ(cl_submit(c, leader, j * 100 + i, NULL), 0);
        cl_run(c, 300, 10);
        cl_isolate(c, leader);
        cl_run(c, 1000, 10);
        cl_heal(c);
    }
    ASSERT_SAFE(c);
}

static void all_on(raft_server_t *r)
{
    raft_set_prevote(r, 1);
    raft_set_check_quorum(r, 1);
    raft_set_noop_on_election(r, 1);
}

TEST(test_cluster_with_prevote_check_quorum_and_noop_survives_partitions)
{
    cluster_t *c = new_cluster_ext(5, 43, all_on);
    int leader, i, j;
    for (j = 0; j < 4; j++) {
        leader = cl_elect(c, 5000);
        ASSERT_GT(leader, 0);
        for (i = 1; i <= 10; i++)
            ASSERT_EQ(cl_submit(c, leader, j * 100 + i, NULL), 0);
        cl_run(c, 300, 10);
        cl_isolate(c, leader);
        cl_run(c, 1000, 10);
        ASSERT(!raft_is_leader(cl_raft(c, leader))); /* check-quorum */
        cl_heal(c);
        if (j == 2)
            cl_restart(c, leader);
    }
    cl_run(c, 1000, 10);
    ASSERT_SAFE(c);
    ASSERT_EQ(cl_count_leaders(c), 1);
}

static void never_called(void *arg, int can_read, int err)
{
    (void)arg; (void)can_read; (void)err;
}

TEST(test_extension_functions_refuse_a_null_server)
{
    raft_cbs_ext_t ext;
    raft_stats_t st;
    msg_timeoutnow_t tn;
    msg_readindex_t ri;
    msg_readindex_response_t rir;
    memset(&ext, 0, sizeof(ext));
    memset(&tn, 0, sizeof(tn));
    memset(&ri, 0, sizeof(ri));
    memset(&rir, 0, sizeof(rir));
    raft_set_prevote(NULL, 1);
    raft_set_check_quorum(NULL, 1);
    raft_set_noop_on_election(NULL, 1);
    raft_set_clock_drift(NULL, 10);
    ASSERT_EQ(raft_get_prevote(NULL), 0);
    ASSERT_EQ(raft_get_check_quorum(NULL), 0);
    ASSERT_EQ(raft_get_noop_on_election(NULL), 0);
    ASSERT_EQ(raft_get_clock_drift(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_is_precandidate(NULL), 0);
    ASSERT_EQ(raft_get_transfer_leader(NULL), RAFT_NODE_ID_NONE);
    ASSERT_EQ(raft_set_ext_callbacks(NULL, &ext, sizeof(ext)), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_stats(NULL, &st, sizeof(st)), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_transfer_leader(NULL, 1, 0), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_timeoutnow(NULL, NULL, &tn), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_timeout_now(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_read_request(NULL, never_called, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_lease_read_request(NULL, never_called, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_readindex(NULL, NULL, &ri), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_readindex_response(NULL, NULL, &rir), RAFT_ERR_INVALID);
}

TEST(test_clock_drift_is_clamped_to_its_range)
{
    fx_t *f = fx_new(1, 3);
    raft_set_clock_drift(f->r, -5);
    ASSERT_EQ(raft_get_clock_drift(f->r), 0);
    raft_set_clock_drift(f->r, 5000);
    ASSERT_EQ(raft_get_clock_drift(f->r), 999);
}

TEST(test_a_handle_of_another_kind_is_refused_by_the_extensions)
{
    fx_t *f = fx_new(1, 3);
    raft_server_t *not_a_server = (raft_server_t *)fx_node(f, 2);
    raft_cbs_ext_t ext;
    memset(&ext, 0, sizeof(ext));
    ASSERT_EQ(raft_set_ext_callbacks(not_a_server, &ext, sizeof(ext)), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_transfer_leader(not_a_server, 2, 0), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_prevote(not_a_server), 0);
}
