/* Reads without the log (thesis §6.4), each test named after the rule it
 * checks: ReadIndex on the leader (the commit index once an entry of its
 * term is committed, confirmed by a heartbeat round a majority acknowledges,
 * answered once applied), answers only by callback and exactly once,
 * failures (timeout, leadership lost, shutdown), reads through the leader on
 * a follower, and lease reads (check-quorum, no round while the lease
 * holds, no lease after a TimeoutNow). */
#include "cluster_test.h"
#include "fixture.h"

#include <string.h>

/* ---- read callbacks -------------------------------------------------------- */

typedef struct {
    int calls, can_read, err;
    raft_index_t applied_then;   /* the server's applied index during the call */
    raft_server_t *r;
    int *counter;                /* incremented in the call, if set */
} rd_t;

static void on_read(void *arg, int can_read, int err)
{
    rd_t *rd = arg;
    rd->calls++;
    rd->can_read = can_read;
    rd->err = err;
    rd->applied_then = rd->r ? raft_get_last_applied_idx(rd->r) : -1;
    if (rd->counter)
        (*rd->counter)++;
}

static int read_on(raft_server_t *r, rd_t *rd)
{
    memset(rd, 0, sizeof(*rd));
    rd->r = r;
    return raft_recv_read_request(r, on_read, rd);
}

static int lease_read_on(raft_server_t *r, rd_t *rd)
{
    memset(rd, 0, sizeof(*rd));
    rd->r = r;
    return raft_recv_lease_read_request(r, on_read, rd);
}

/* ---- a single server with an extension table ------------------------------ */

static fx_t *ext_server(int self, int n)
{
    fx_t *f = fx_new(self, n);
    raft_cbs_ext_t ext;
    memset(&ext, 0, sizeof(ext));
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    raft_set_noop_on_election(f->r, 1);
    return f;
}

/* An appendentries response from `from` in `term` acknowledging round `msg_id`. */
static int ack(fx_t *f, int from, raft_term_t term, raft_index_t current_idx, raft_msg_id_t msg_id)
{
    msg_appendentries_response_t r;
    memset(&r, 0, sizeof(r));
    r.term = term;
    r.success = 1;
    r.current_idx = current_idx;
    r.first_idx = current_idx;
    r.msg_id = msg_id;
    return raft_recv_appendentries_response(f->r, fx_node(f, from), &r);
}

/* Elect f (3 servers) and commit its no-op (index 1) with node 2's help
 * (node 2 acknowledges the round of the leader's first appendentries). */
static void lead_and_commit_noop(fx_t *f)
{
    fx_ae_t *first;
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT_EQ(fx_recv_vote(f, 2, 1, 1), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_current_idx(f->r), 1);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->type, RAFT_LOGTYPE_NO_OP);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->id, 0);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->term, 1);
    first = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(first);
    ASSERT_EQ(first->m.n_entries, 1);
    ASSERT_EQ(ack(f, 2, 1, 1, first->m.msg_id), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
    ASSERT_EQ(raft_periodic(f->r, 0), 0); /* applies it */
    fx_clear_rec(f);
}

TEST(test_read_needs_a_callback_and_an_extension_table)
{
    fx_t *f = fx_new(1, 1);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(read_on(f->r, &rd), RAFT_ERR_INVALID); /* no extension table */
    f = ext_server(1, 1);
    ASSERT_EQ(raft_recv_read_request(f->r, NULL, &rd), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_read_request(NULL, on_read, &rd), RAFT_ERR_INVALID);
    ASSERT_EQ(rd.calls, 0);
}

TEST(test_read_on_a_follower_that_does_not_forward_is_not_leader)
{
    fx_t *f = ext_server(2, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    msg_appendentries_response_t aer;
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(read_on(f->r, &rd), RAFT_ERR_NOT_LEADER);
    ASSERT_EQ(raft_periodic(f->r, 10), 0);
    ASSERT_EQ(rd.calls, 0);
}

TEST(test_readindex_is_confirmed_by_a_round_acknowledged_by_a_majority)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    fx_ae_t *hb;
    lead_and_commit_noop(f);
    ASSERT_EQ(read_on(f->r, &rd), 0);
    ASSERT_EQ(rd.calls, 0);
    /* the read started a heartbeat round at once: its msg_id is new */
    hb = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(hb);
    ASSERT_GT(hb->m.msg_id, 0);
    /* an acknowledgement of an earlier round does not confirm it */
    ASSERT_EQ(ack(f, 2, 1, 1, hb->m.msg_id - 1), 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 0);
    /* nor does one of another term */
    ASSERT_EQ(ack(f, 3, 0, 1, hb->m.msg_id), 0);
    ASSERT_EQ(rd.calls, 0);
    ASSERT_EQ(ack(f, 3, 1, 1, hb->m.msg_id), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 1);
    ASSERT_EQ(rd.err, 0);
    ASSERT_GE(rd.applied_then, 1);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 1); /* exactly once */
}

TEST(test_readindex_waits_for_an_entry_of_the_leaders_term)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    fx_ae_t *hb;
    raft_set_noop_on_election(f->r, 0);
    fx_append(f, 1, 1);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    fx_elect(f); /* term 2, entry 1 of term 1 not known committed */
    ASSERT_EQ(read_on(f->r, &rd), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 0); /* no round before an entry of the term commits */
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    hb = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(hb);
    ASSERT_EQ(ack(f, 2, 2, 2, hb->m.msg_id), 0); /* commits index 2, of term 2 */
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    ASSERT_EQ(rd.calls, 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 0), 0); /* applies, records the read index, starts a round */
    hb = fx_last_ae_to(f, 3);
    ASSERT_NOT_NULL(hb);
    ASSERT_EQ(ack(f, 3, 2, 2, hb->m.msg_id), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 1);
    ASSERT_EQ(rd.applied_then, 2);
}

TEST(test_readindex_not_confirmed_within_an_election_timeout_fails_with_timeout)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    lead_and_commit_noop(f);
    ASSERT_EQ(read_on(f->r, &rd), 0);
    ASSERT_EQ(raft_periodic(f->r, 999), 0);
    ASSERT_EQ(rd.calls, 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 0);
    ASSERT_EQ(rd.err, RAFT_ERR_TIMEOUT);
}

TEST(test_readindex_fails_with_not_leader_when_leadership_is_lost_first)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    msg_appendentries_response_t aer;
    lead_and_commit_noop(f);
    ASSERT_EQ(read_on(f->r, &rd), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 5, 1, 1, 1, NULL, 0, &aer), 0);
    ASSERT(raft_is_follower(f->r));
    ASSERT_EQ(rd.calls, 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.err, RAFT_ERR_NOT_LEADER);
}

TEST(test_readindex_of_a_lone_voter_needs_no_round)
{
    fx_t *f = ext_server(1, 1);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT(raft_is_leader(f->r));
    ASSERT_EQ(raft_get_commit_idx(f->r), 1); /* its no-op */
    ASSERT_EQ(read_on(f->r, &rd), 0);
    ASSERT_EQ(rd.calls, 0); /* never from within the request */
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 1);
}

TEST(test_reads_pending_at_raft_free_are_answered_with_shutdown)
{
    raft_server_t *r = raft_new();
    raft_cbs_ext_t ext;
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    ASSERT_NOT_NULL(r);
    memset(&ext, 0, sizeof(ext));
    ASSERT_EQ(raft_set_ext_callbacks(r, &ext, sizeof(ext)), 0);
    ASSERT_NOT_NULL(raft_add_node(r, NULL, 1, 1));
    ASSERT_NOT_NULL(raft_add_node(r, NULL, 2, 0));
    raft_become_leader(r);
    ASSERT_EQ(read_on(r, &rd), 0);
    rd.r = NULL;
    raft_free(r);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 0);
    ASSERT_EQ(rd.err, RAFT_ERR_SHUTDOWN);
}

TEST(test_many_reads_share_rounds)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd[10];
    fx_ae_t *hb;
    int i, rounds_before;
    raft_msg_id_t first;
    lead_and_commit_noop(f);
    ASSERT_EQ(read_on(f->r, &rd[0]), 0);
    hb = fx_last_ae_to(f, 2);
    first = hb->m.msg_id;
    rounds_before = f->n_ae;
    for (i = 1; i < 10; i++)
        ASSERT_EQ(read_on(f->r, &rd[i]), 0);
    ASSERT_EQ(f->n_ae, rounds_before); /* one round in flight at a time */
    ASSERT_EQ(ack(f, 2, 1, 1, first), 0);
    ASSERT_EQ(rd[0].calls, 1);
    ASSERT_EQ(rd[1].calls, 0);
    hb = fx_last_ae_to(f, 2);
    ASSERT_EQ(hb->m.msg_id, first + 1); /* the next round, for the nine */
    ASSERT_EQ(ack(f, 3, 1, 1, first + 1), 0);
    for (i = 1; i < 10; i++) {
        ASSERT_EQ(rd[i].calls, 1);
        ASSERT_EQ(rd[i].can_read, 1);
    }
}

/* ---- lease reads -------------------------------------------------------------- */

TEST(test_lease_read_needs_check_quorum)
{
    fx_t *f = ext_server(1, 1);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(lease_read_on(f->r, &rd), RAFT_ERR_INVALID);
    raft_set_check_quorum(f->r, 1);
    ASSERT_EQ(lease_read_on(f->r, &rd), 0);
}

TEST(test_lease_read_is_answered_without_a_round_while_the_lease_holds)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    fx_ae_t *hb;
    raft_stats_t st;
    raft_set_check_quorum(f->r, 1);
    lead_and_commit_noop(f);
    ASSERT_EQ(raft_periodic(f->r, 200), 0); /* heartbeat round */
    hb = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(hb);
    ASSERT_EQ(ack(f, 2, 1, 1, hb->m.msg_id), 0); /* lease: sent + 1000 * 950 / 1050 = +904 ms */
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 100), 0);
    ASSERT_EQ(lease_read_on(f->r, &rd), 0);
    ASSERT_EQ(f->n_ae, 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 1);
    ASSERT_EQ(f->n_ae, 0);
    ASSERT_EQ(raft_get_stats(f->r, &st, sizeof(st)), 0);
    ASSERT_EQ(st.reads_by_lease, 1);
}

TEST(test_lease_ends_at_the_drift_bounded_election_timeout)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    fx_ae_t *hb;
    raft_set_check_quorum(f->r, 1);
    raft_set_clock_drift(f->r, 0);
    ASSERT_EQ(raft_get_clock_drift(f->r), 0);
    raft_set_request_timeout(f->r, 5000); /* no heartbeat renews the lease */
    lead_and_commit_noop(f);
    ASSERT_EQ(raft_send_appendentries_all(f->r), 0); /* a round sent now */
    hb = fx_last_ae_to(f, 2);
    ASSERT_EQ(ack(f, 2, 1, 1, hb->m.msg_id), 0);
    ASSERT_EQ(raft_periodic(f->r, 999), 0); /* check-quorum keeps it leader */
    fx_clear_rec(f);
    ASSERT_EQ(lease_read_on(f->r, &rd), 0);
    ASSERT_EQ(f->n_ae, 0); /* still under the lease: 999 < 1000 */
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(rd.calls, 1);
    fx_clear_rec(f);
    ASSERT_EQ(lease_read_on(f->r, &rd), 0);
    ASSERT_GT(f->n_ae, 0); /* lease over: a round instead */
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 0);
}

static int send_tn_ok(raft_server_t *r, void *ud, raft_node_t *node, msg_timeoutnow_t *m)
{
    (void)r; (void)ud; (void)node; (void)m;
    return 0;
}

TEST(test_lease_is_given_up_for_the_term_once_timeoutnow_is_sent)
{
    /* The target of a transfer may be elected at once, stickiness aside. */
    fx_t *f = fx_new(1, 3);
    raft_cbs_ext_t ext;
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    fx_ae_t *hb;
    memset(&ext, 0, sizeof(ext));
    ext.send_timeoutnow = send_tn_ok;
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    raft_set_noop_on_election(f->r, 1);
    raft_set_check_quorum(f->r, 1);
    lead_and_commit_noop(f);
    ASSERT_EQ(raft_send_appendentries_all(f->r), 0);
    hb = fx_last_ae_to(f, 2);
    ASSERT_EQ(ack(f, 2, 1, 1, hb->m.msg_id), 0);
    fx_clear_rec(f);
    ASSERT_EQ(lease_read_on(f->r, &rd), 0);
    ASSERT_EQ(f->n_ae, 0); /* under the lease */
    ASSERT_EQ(raft_transfer_leader(f->r, 2, 0), 0); /* node 2 is up to date: TimeoutNow now */
    fx_clear_rec(f);
    ASSERT_EQ(lease_read_on(f->r, &rd), 0);
    ASSERT_GT(f->n_ae, 0); /* no lease: a round */
}

TEST(test_lease_read_on_a_new_leader_waits_for_a_round)
{
    fx_t *f = ext_server(1, 3);
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    raft_set_check_quorum(f->r, 1);
    fx_elect(f);
    ASSERT_EQ(ack(f, 2, 1, 1, 0), 0); /* commits the no-op; acknowledges no round of the term */
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
    fx_clear_rec(f);
    ASSERT_EQ(lease_read_on(f->r, &rd), 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 0); /* no lease yet: a round (the election's, still unacknowledged) */
}

/* ---- end to end: through the cluster ------------------------------------------ */

static void reads_on(raft_server_t *r)
{
    raft_set_noop_on_election(r, 1);
    raft_set_check_quorum(r, 1);
}

TEST(test_read_after_an_acknowledged_write_sees_it)
{
    cluster_t *c = new_cluster_ext(3, 31, reads_on);
    int leader, i;
    msg_entry_response_t w;
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(cl_submit(c, leader, i, &w), 0);
    for (i = 0; i < 50 && raft_msg_entry_response_committed(cl_raft(c, leader), &w) != 1; i++)
        cl_tick(c, 10);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, leader), &w), 1);
    ASSERT_EQ(read_on(cl_raft(c, leader), &rd), 0);
    for (i = 0; i < 20 && !rd.calls; i++)
        cl_tick(c, 10);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 1);
    ASSERT_GE(rd.applied_then, w.idx);
}

TEST(test_follower_read_gets_its_index_from_the_leader)
{
    cluster_t *c = new_cluster_ext(3, 33, reads_on);
    int leader, follower, i;
    msg_entry_response_t w;
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    raft_stats_t st;
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    follower = leader % 3 + 1;
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(cl_submit(c, leader, i, &w), 0);
    for (i = 0; i < 50 && raft_msg_entry_response_committed(cl_raft(c, leader), &w) != 1; i++)
        cl_tick(c, 1);
    ASSERT_EQ(raft_msg_entry_response_committed(cl_raft(c, leader), &w), 1);
    ASSERT_EQ(read_on(cl_raft(c, follower), &rd), 0);
    for (i = 0; i < 30 && !rd.calls; i++)
        cl_tick(c, 10);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 1);
    ASSERT_GE(rd.applied_then, w.idx);
    ASSERT_EQ(raft_get_stats(cl_raft(c, follower), &st, sizeof(st)), 0);
    ASSERT_EQ(st.readindex_sent, 1);
    ASSERT_EQ(st.readindex_responses_received, 1);
    ASSERT_EQ(raft_get_stats(cl_raft(c, leader), &st, sizeof(st)), 0);
    ASSERT_EQ(st.readindex_received, 1);
    ASSERT_EQ(st.readindex_responses_sent, 1);
}

TEST(test_follower_read_through_a_deposed_leader_fails)
{
    cluster_t *c = new_cluster_ext(3, 35, reads_on);
    int leader, follower, other, i;
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    follower = leader % 3 + 1;
    other = follower % 3 + 1;
    cl_cut(c, leader, other); /* the leader keeps only the asking follower */
    ASSERT_EQ(read_on(cl_raft(c, follower), &rd), 0);
    cl_cut(c, leader, follower);
    for (i = 0; i < 50 && !rd.calls; i++)
        cl_tick(c, 10);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 0);
    ASSERT(rd.err == RAFT_ERR_TIMEOUT || rd.err == RAFT_ERR_NOT_LEADER);
}

TEST(test_partitioned_leader_cannot_confirm_a_read)
{
    cluster_t *c = new_cluster_ext(3, 37, reads_on);
    int leader, i;
    static rd_t rd; /* outlives the test: reads still pending are answered at raft_free */
    leader = cl_elect(c, 5000);
    ASSERT_GT(leader, 0);
    cl_run(c, 100, 10);
    cl_isolate(c, leader);
    ASSERT_EQ(read_on(cl_raft(c, leader), &rd), 0);
    for (i = 0; i < 50 && !rd.calls; i++)
        cl_tick(c, 10);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 0);
}

/* ---- the read-index messages, one server at a time --------------------------- */

static struct {
    int n_ri, ri_node;
    msg_readindex_t ri;
    int n_rir, rir_node;
    msg_readindex_response_t rir;
} wire;

static int rec_send_ri(raft_server_t *r, void *ud, raft_node_t *node, msg_readindex_t *m)
{
    (void)r; (void)ud;
    wire.n_ri++;
    wire.ri_node = raft_node_get_id(node);
    wire.ri = *m;
    return 0;
}

static int rec_send_rir(raft_server_t *r, void *ud, raft_node_t *node, msg_readindex_response_t *m)
{
    (void)r; (void)ud;
    wire.n_rir++;
    wire.rir_node = raft_node_get_id(node);
    wire.rir = *m;
    return 0;
}

static fx_t *forwarding_server(int self, int n)
{
    fx_t *f = fx_new(self, n);
    raft_cbs_ext_t ext;
    memset(&wire, 0, sizeof(wire));
    memset(&ext, 0, sizeof(ext));
    ext.send_readindex = rec_send_ri;
    ext.send_readindex_response = rec_send_rir;
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    return f;
}

TEST(test_follower_read_asks_the_leader_it_follows_and_waits_for_the_index_to_apply)
{
    fx_t *f = forwarding_server(2, 3);
    static rd_t rd;
    msg_appendentries_response_t aer;
    msg_readindex_response_t ans;
    const raft_term_t t1[] = {1, 1};
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, t1, 2, &aer), 0); /* node 1 leads; 2 entries, none committed */
    ASSERT_EQ(read_on(f->r, &rd), 0);
    ASSERT_EQ(wire.n_ri, 1);
    ASSERT_EQ(wire.ri_node, 1);
    memset(&ans, 0, sizeof(ans));
    ans.id = wire.ri.id + 1; /* an answer to no read of ours: ignored */
    ans.read_idx = 1;
    ASSERT_EQ(raft_recv_readindex_response(f->r, fx_node(f, 1), &ans), 0);
    ans.id = wire.ri.id;
    ans.read_idx = 2;
    ASSERT_EQ(raft_recv_readindex_response(f->r, fx_node(f, 1), &ans), 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 0); /* index 2 not applied yet */
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 2, 1, 2, NULL, 0, &aer), 0); /* commit 2 */
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.can_read, 1);
    ASSERT_EQ(rd.applied_then, 2);
}

/* A follower matches the leader's answer to its read-index request by id.
 * An answer sent to the server before it restarted can reach the restarted
 * one: it must not confirm a read asked after the restart (found by the
 * simulator: a stale read). Each incarnation's ids start from its own seed
 * (raft_set_random_seed; unseeded servers draw one in raft_new), and
 * raft_clear keeps counting. */
TEST(test_follower_read_is_not_confirmed_by_an_answer_to_an_earlier_incarnation)
{
    fx_t *f = forwarding_server(2, 3), *g;
    static rd_t rd_old, rd_new, rd_clear;
    msg_appendentries_response_t aer;
    msg_readindex_response_t stale;
    raft_msg_id_t old_id;
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(read_on(f->r, &rd_old), 0);
    ASSERT_EQ(wire.n_ri, 1);
    old_id = wire.ri.id;
    memset(&stale, 0, sizeof(stale));
    stale.id = old_id;
    stale.read_idx = 0; /* the leader's commit index when the old request arrived */

    /* the restarted server: a new process, so a new seed */
    g = forwarding_server(2, 3);
    raft_set_random_seed(g->r, 4242);
    ASSERT_EQ(fx_recv_ae(g, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(read_on(g->r, &rd_new), 0);
    ASSERT_EQ(wire.n_ri, 1);
    ASSERT(wire.ri.id != old_id);
    ASSERT_EQ(raft_recv_readindex_response(g->r, fx_node(g, 1), &stale), 0);
    ASSERT_EQ(raft_periodic(g->r, 0), 0);
    ASSERT_EQ(rd_new.calls, 0); /* still waiting for its own answer */

    /* raft_clear: the ids go on, the answer to the read before it is stale */
    raft_clear(f->r);
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 1, 0));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 2, 1));
    ASSERT_NOT_NULL(raft_add_node(f->r, NULL, 3, 0));
    ASSERT_EQ(rd_old.calls, 1); /* answered RAFT_ERR_SHUTDOWN by the clear */
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(read_on(f->r, &rd_clear), 0);
    ASSERT(wire.ri.id != old_id);
    ASSERT_EQ(raft_recv_readindex_response(f->r, fx_node(f, 1), &stale), 0);
    ASSERT_EQ(raft_periodic(f->r, 0), 0);
    ASSERT_EQ(rd_clear.calls, 0);
}

TEST(test_follower_read_not_applied_within_an_election_timeout_fails_with_timeout)
{
    fx_t *f = forwarding_server(2, 3);
    static rd_t rd;
    msg_appendentries_response_t aer;
    msg_readindex_response_t ans;
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(read_on(f->r, &rd), 0);
    memset(&ans, 0, sizeof(ans));
    ans.id = wire.ri.id;
    ans.read_idx = 9; /* the leader is ahead; we are cut off from it now */
    ASSERT_EQ(raft_recv_readindex_response(f->r, fx_node(f, 1), &ans), 0);
    ASSERT_EQ(raft_periodic(f->r, 999), 0);
    ASSERT_EQ(rd.calls, 0);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.err, RAFT_ERR_TIMEOUT);
}

TEST(test_follower_read_fails_with_the_leaders_error)
{
    fx_t *f = forwarding_server(2, 3);
    static rd_t rd;
    msg_appendentries_response_t aer;
    msg_readindex_response_t ans;
    ASSERT_EQ(fx_recv_ae(f, 1, 1, 0, 0, 0, NULL, 0, &aer), 0);
    ASSERT_EQ(read_on(f->r, &rd), 0);
    memset(&ans, 0, sizeof(ans));
    ans.id = wire.ri.id;
    ans.result = RAFT_ERR_NOT_LEADER;
    ASSERT_EQ(raft_recv_readindex_response(f->r, fx_node(f, 1), &ans), 0);
    ASSERT_EQ(rd.calls, 1);
    ASSERT_EQ(rd.err, RAFT_ERR_NOT_LEADER);
}

TEST(test_readindex_request_to_a_non_leader_is_answered_not_leader_at_once)
{
    fx_t *f = forwarding_server(1, 3);
    msg_readindex_t ri;
    ri.id = 77;
    ASSERT_EQ(raft_recv_readindex(f->r, fx_node(f, 2), &ri), 0);
    ASSERT_EQ(wire.n_rir, 1);
    ASSERT_EQ(wire.rir_node, 2);
    ASSERT_EQ(wire.rir.id, 77);
    ASSERT_EQ(wire.rir.result, RAFT_ERR_NOT_LEADER);
}

TEST(test_readindex_request_is_confirmed_and_answered_by_the_leader)
{
    fx_t *f = forwarding_server(1, 3);
    msg_readindex_t ri;
    fx_ae_t *hb;
    raft_set_noop_on_election(f->r, 1);
    lead_and_commit_noop(f);
    ri.id = 5;
    ASSERT_EQ(raft_recv_readindex(f->r, fx_node(f, 3), &ri), 0);
    ASSERT_EQ(wire.n_rir, 0);
    hb = fx_last_ae_to(f, 2);
    ASSERT_NOT_NULL(hb);
    ASSERT_EQ(ack(f, 2, 1, 1, hb->m.msg_id), 0);
    ASSERT_EQ(wire.n_rir, 1);
    ASSERT_EQ(wire.rir_node, 3);
    ASSERT_EQ(wire.rir.id, 5);
    ASSERT_EQ(wire.rir.result, 0);
    ASSERT_EQ(wire.rir.read_idx, 1);
}

TEST(test_readindex_messages_with_bad_arguments_are_refused)
{
    fx_t *f = forwarding_server(1, 3);
    msg_readindex_t ri;
    msg_readindex_response_t ans;
    ri.id = 1;
    memset(&ans, 0, sizeof(ans));
    ASSERT_EQ(raft_recv_readindex(f->r, fx_node(f, 2), NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_readindex(f->r, NULL, &ri), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_readindex(f->r, fx_node(f, 1), &ri), RAFT_ERR_INVALID); /* ourselves */
    ASSERT_EQ(raft_recv_readindex(NULL, fx_node(f, 2), &ri), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_recv_readindex_response(f->r, NULL, NULL), RAFT_ERR_INVALID);
    ans.read_idx = -1;
    ASSERT_EQ(raft_recv_readindex_response(f->r, NULL, &ans), RAFT_ERR_INVALID);
    ASSERT_EQ(wire.n_rir, 0);
}
