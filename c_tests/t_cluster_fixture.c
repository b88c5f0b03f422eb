/* The shared cluster fixture itself (c_fixture/cluster.h): setup errors are
 * returned, one message can be stepped at a time, chaos stays safe, restarts
 * rebuild from what was persisted (snapshot included), corrupted storage is
 * caught by the checks, and lean mode replicates like the model mode. */
#include "cluster_test.h"

#include <string.h>

TEST(test_fixture_setup_errors_are_returned_not_aborted)
{
    cl_options_t o;
    cluster_t *c;
    cl_member_t boot[2] = { { 1, 1 }, { 2, 1 } };
    cl_options_init(&o);
    c = new_cluster_with(&o, 0);
    ASSERT_EQ(cl_add_server(c, 0, boot, 2), -1);
    ASSERT(strstr(cl_error(c), "not in 1..9") != NULL);
    ASSERT_EQ(cl_add_server(c, 10, boot, 2), -1);
    ASSERT_EQ(cl_add_server(c, 3, boot, 2), -1);            /* not among its members */
    ASSERT(strstr(cl_error(c), "not among its own members") != NULL);
    ASSERT_EQ(cl_add_server(c, 1, boot, 0), -1);
    ASSERT_EQ(cl_bootstrap(c, 10), -1);
    ASSERT_EQ(cl_crash(c, 1), -1);
    ASSERT_EQ(cl_restart(c, 4), -1);
    ASSERT_EQ(cl_add_server(c, 1, boot, 2), 0);
    ASSERT_EQ(cl_add_server(c, 1, boot, 2), -1);            /* exists */
    ASSERT(strstr(cl_error(c), "exists") != NULL);
    ASSERT_EQ(cl_propose(c, 2, 1, RAFT_LOGTYPE_NORMAL, "x", 1, NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(cl_periodic(c, 7, 10), RAFT_ERR_INVALID);
    ASSERT_EQ(cl_violations(c), 0);
}

TEST(test_fixture_steps_one_message_at_a_time)
{
    cluster_t *c = new_cluster(3, 21);
    cl_msg_t m, copy;
    cl_delivery_t d;
    ASSERT_EQ(raft_election_start(cl_raft(c, 1)), 0);
    ASSERT_EQ(cl_msg_count(c), 2);
    ASSERT_EQ(cl_msg_at(c, 0)->type, CL_RV);
    ASSERT_EQ(cl_msg_at(c, 0)->to, 2);
    ASSERT_EQ(cl_msg_at(c, 1)->to, 3);
    ASSERT_NULL(cl_msg_at(c, 2));
    /* the second message first: to 3, over a cut link */
    cl_msg_take(c, 1, &m);
    ASSERT_EQ(cl_msg_count(c), 1);
    cl_cut(c, 1, 3);
    ASSERT_EQ(cl_route(c, &m), CL_ROUTE_CUT);
    d = cl_deliver(c, &m);
    ASSERT_NULL(d.call);
    ASSERT_EQ(cl_msg_count(c), 1);                          /* nothing happened */
    cl_heal(c);
    /* delivered twice (a duplicate): one vote, two identical answers */
    cl_msg_copy(c, &copy, &m);
    d = cl_deliver(c, &m);
    ASSERT_EQ(d.rc, 0);
    ASSERT(strcmp(d.call, "raft_recv_requestvote") == 0);
    d = cl_deliver(c, &copy);
    ASSERT_EQ(d.rc, 0);
    cl_msg_release(c, &m);
    cl_msg_release(c, &copy);
    ASSERT_EQ(cl_msg_count(c), 3);
    ASSERT_EQ(cl_msg_at(c, 1)->type, CL_RVR);
    ASSERT_EQ(cl_msg_at(c, 1)->u.rvr.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    ASSERT_EQ(cl_msg_at(c, 2)->u.rvr.vote_granted, RAFT_REQUESTVOTE_ERR_GRANTED);
    /* a crashed receiver, then an unknown one */
    ASSERT_EQ(cl_crash(c, 2), 0);
    ASSERT_EQ(cl_route(c, cl_msg_at(c, 0)), CL_ROUTE_DOWN);
    m = *cl_msg_at(c, 1);
    m.to = 7;
    ASSERT_EQ(cl_route(c, &m), CL_ROUTE_NO_SERVER);
    /* the rest in order: 1 becomes leader with 3's vote */
    ASSERT_EQ(cl_step(c, NULL), 1);                         /* RV to the crashed 2: dropped */
    ASSERT_EQ(cl_step(c, NULL), 1);
    ASSERT(raft_is_leader(cl_raft(c, 1)));
    ASSERT_SAFE(c);
}

TEST(test_fixture_reordering_duplication_and_loss_keep_safety)
{
    cluster_t *c = new_cluster(5, 22);
    int i, id = 1, l;
    c->reorder_pct = 30;
    c->dup_pct = 10;
    c->drop_pct = 5;
    for (i = 0; i < 100; i++) {
        l = cl_leader(c);
        if (l != -1)
            cl_submit(c, l, id++, NULL);
        cl_run(c, 30, 10);
    }
    c->reorder_pct = c->dup_pct = c->drop_pct = 0;
    cl_run(c, 2000, 10);
    l = cl_leader(c);
    ASSERT_NE(l, -1);
    ASSERT_GT(raft_get_commit_idx(cl_raft(c, l)), 20);
    ASSERT_GT(c->reordered, 0);
    ASSERT_GT(c->duplicated, 0);
    ASSERT_GT(c->dropped, 0);
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(raft_get_commit_idx(cl_raft(c, i)), raft_get_commit_idx(cl_raft(c, l)));
    ASSERT_SAFE(c);
}

TEST(test_fixture_restart_rebuilds_a_server_from_its_snapshot_and_log)
{
    cluster_t *c = new_cluster(3, 23);
    int l = cl_elect(c, 5000), f, i;
    cl_server_t *s;
    ASSERT_NE(l, -1);
    f = l == 1 ? 2 : 1;
    for (i = 1; i <= 10; i++)
        ASSERT_EQ(cl_submit(c, l, i, NULL), 0);
    cl_run(c, 300, 10);
    ASSERT_EQ(cl_snapshot(c, f), 0);
    s = cl_server(c, f);
    ASSERT_EQ(s->snap.idx, 10);
    ASSERT_EQ(s->base, 10);
    ASSERT_EQ(cl_submit(c, l, 11, NULL), 0);
    ASSERT_EQ(cl_submit(c, l, 12, NULL), 0);
    cl_run(c, 300, 10);
    ASSERT_EQ(cl_restart(c, f), 0);
    ASSERT_EQ(s->restarts, 1);
    ASSERT_EQ(raft_get_snapshot_last_idx(cl_raft(c, f)), 10);
    ASSERT_EQ(raft_get_current_idx(cl_raft(c, f)), 12);
    ASSERT_EQ(s->applied, 10);                              /* the snapshot's state machine */
    ASSERT_EQ(cl_applied_id(c, f, 7), 7);
    ASSERT_EQ(raft_get_num_voting_nodes(cl_raft(c, f)), 3);
    cl_run(c, 300, 10);
    ASSERT_EQ(cl_applied_id(c, f, 12), 12);
    ASSERT_SAFE(c);
}

TEST(test_fixture_corrupted_persisted_entry_is_caught_when_applied)
{
    cluster_t *c = new_cluster(3, 24);
    int l = cl_elect(c, 5000), f, i;
    cl_server_t *s;
    ASSERT_NE(l, -1);
    f = l == 1 ? 2 : 1;
    for (i = 1; i <= 3; i++)
        ASSERT_EQ(cl_submit(c, l, i, NULL), 0);
    cl_run(c, 300, 10);
    ASSERT_SAFE(c);
    ASSERT_EQ(cl_crash(c, f), 0);
    s = cl_server(c, f);
    ((char *)s->log[1].data.buf)[0] = 'X';                  /* "v2" rots on disk */
    ASSERT_EQ(cl_restart(c, f), 0);
    cl_run(c, 300, 10);
    ASSERT_GT(cl_violations(c), 0);
    ASSERT_MSG(strstr(cl_first_violation(c), "state machine safety") != NULL, "%s", cl_first_violation(c));
}

TEST(test_fixture_library_log_differing_from_the_persisted_one_is_caught)
{
    cluster_t *c = new_cluster(3, 25);
    int l = cl_elect(c, 5000);
    ASSERT_NE(l, -1);
    ASSERT_EQ(cl_submit(c, l, 1, NULL), 0);
    cl_run(c, 100, 10);
    ASSERT_SAFE(c);
    cl_server(c, l)->log[0].id = 99;                       /* the model drifts from the library */
    cl_check_logs(c);
    ASSERT_EQ(cl_violations(c), 1);
    ASSERT_MSG(strstr(cl_first_violation(c), "library entry 1 differs from the persisted one") != NULL, "%s",
               cl_first_violation(c));
}

static int count_events(void *ctx, int kind, int set)
{
    int *counts = ctx;
    if (set)
        counts[kind]++;
    return counts[kind];
}

static void on_event(void *ctx, const cl_event_t *ev)
{
    count_events(ctx, ev->kind, 1);
    if (ev->kind == CL_EV_APPLIED)
        ((int *)ctx)[CL_EV_VIOLATION + 1] = (int)ev->idx;   /* the last index applied */
}

TEST(test_fixture_observer_sees_what_the_callbacks_did)
{
    static int counts[CL_EV_VIOLATION + 2];
    cl_options_t o;
    cluster_t *c;
    int l;
    memset(counts, 0, sizeof(counts));
    cl_options_init(&o);
    o.on_event = on_event;
    o.ctx = counts;
    c = new_cluster_with(&o, 3);
    l = cl_elect(c, 5000);
    ASSERT_NE(l, -1);
    ASSERT_GT(count_events(counts, CL_EV_PERSIST_TERM, 0), 0);
    ASSERT_EQ(count_events(counts, CL_EV_OFFERED, 0), 0);
    ASSERT_EQ(cl_submit(c, l, 1, NULL), 0);
    ASSERT_EQ(count_events(counts, CL_EV_OFFERED, 0), 1);   /* the leader's own copy */
    cl_run(c, 200, 10);
    ASSERT_EQ(count_events(counts, CL_EV_OFFERED, 0), 3);
    ASSERT_EQ(count_events(counts, CL_EV_APPLIED, 0), 3);
    ASSERT_EQ(counts[CL_EV_VIOLATION + 1], 1);
    ASSERT_GT(count_events(counts, CL_EV_SENT, 0), 4);
    ASSERT_EQ(count_events(counts, CL_EV_VIOLATION, 0), 0);
}

static char lean_payload[64] = "lean payload";

static int lean_apply(void *ctx, cl_server_t *s, raft_entry_t *e, raft_index_t idx)
{
    int *applied = ctx;
    (void)idx;
    if (e->data.len == sizeof(lean_payload) && memcmp(e->data.buf, lean_payload, sizeof(lean_payload)) == 0 &&
        (e->data.buf == lean_payload) == (s->id == applied[0]))
        applied[s->id]++;
    return 0;
}

/* Lean mode: entries flow, followers' payloads are copies in their arenas,
 * the leader's are the client's bytes; the queue may grow while a message is
 * being delivered in place (5 servers, 1,200 messages queued at once). */
TEST(test_fixture_lean_mode_replicates_without_a_storage_model)
{
    static int applied[CL_MAX_SERVERS + 1];
    cl_options_t o;
    cluster_t *c;
    int l, i;
    memset(applied, 0, sizeof(applied));
    cl_options_init(&o);
    o.lean = 1;
    o.on_apply = lean_apply;
    o.ctx = applied;
    c = new_cluster_with(&o, 5);
    l = cl_elect(c, 5000);
    ASSERT_NE(l, -1);
    applied[0] = l;
    for (i = 1; i <= 20; i++)
        ASSERT_EQ(cl_propose(c, l, i, RAFT_LOGTYPE_NORMAL, lean_payload, sizeof(lean_payload), NULL), 0);
    /* 300 rounds of appendentries (the same entries again and again) */
    for (i = 0; i < 300; i++)
        ASSERT_EQ(raft_send_appendentries_all(cl_raft(c, l)), 0);
    ASSERT_GE(cl_msg_count(c), 1200);
    cl_deliver_all(c);
    ASSERT_EQ(cl_msg_count(c), 0);
    ASSERT_EQ(c->failures, 0);
    for (i = 0; i < 3; i++)
        cl_tick(c, 50);
    for (i = 1; i <= 5; i++)
        ASSERT_MSG(applied[i] == 20, "server %d applied %d of 20 as expected", i, applied[i]);
    ASSERT_EQ(cl_snapshot(c, l), RAFT_ERR_INVALID);
    ASSERT_EQ(cl_restart(c, l), -1);
    ASSERT(strstr(cl_error(c), "lean") != NULL);
}
