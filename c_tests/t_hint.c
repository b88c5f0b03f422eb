/* The reject hint (raft_set_reject_hint; paper section 5.3, etcd's reject
 * hint; sim/LIB_BUGS.md bug 9): off by default, and then not one byte beyond
 * willemt's fields of msg_appendentries_response_t is read or written; on,
 * a follower's rejection names where its log may match and the leader skips
 * what the hint rules out, so a long divergent suffix is found in a number
 * of round trips bounded by its terms, not its entries. Hostile hints move
 * the probe only between the match index and the leader's last index + 1.
 * Each test is named after the rule it checks. */
#include "fixture.h"
#include "cluster_test.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A follower (server 2 of 3) in `term` whose log holds `terms`. */
static fx_t *follower_with(const raft_term_t *terms, int n, raft_term_t term, int hint)
{
    fx_t *f = fx_new(2, 3);
    int i;
    raft_set_reject_hint(f->r, hint);
    for (i = 0; i < n; i++)
        fx_append(f, terms[i], i + 1);
    ASSERT_EQ(raft_set_current_term(f->r, term), 0);
    return f;
}

/* Server 1 of 3, leader of `term` over `terms`, with a window of `window`. */
static fx_t *leader_with(const raft_term_t *terms, int n, raft_term_t term, int hint, int window)
{
    fx_t *f = fx_new(1, 3);
    int i;
    raft_set_reject_hint(f->r, hint);
    raft_set_max_inflight_msgs(f->r, window);
    for (i = 0; i < n; i++)
        fx_append(f, terms[i], i + 1);
    fx_make_leader_at(f, term);
    return f;
}

/* An empty appendentries (a probe) at (prev_idx, prev_term) from node 1. */
static int probe(fx_t *f, raft_term_t term, raft_index_t prev_idx, raft_term_t prev_term, msg_appendentries_response_t *r)
{
    msg_appendentries_t ae;
    memset(&ae, 0, sizeof(ae));
    ae.term = term;
    ae.prev_log_idx = prev_idx;
    ae.prev_log_term = prev_term;
    return raft_recv_appendentries(f->r, fx_node(f, 1), &ae, r);
}

static const raft_term_t follower_log[] = { 1, 1, 2, 2, 5, 5, 5 };
#define FOLLOWER_N ((int)(sizeof(follower_log) / sizeof(follower_log[0])))

TEST(test_reject_hint_is_off_by_default_and_switches)
{
    fx_t *f = fx_new(1, 3);
    ASSERT_EQ(raft_get_reject_hint(f->r), 0);
    raft_set_reject_hint(f->r, 7);
    ASSERT_EQ(raft_get_reject_hint(f->r), 1);
    raft_set_reject_hint(f->r, 0);
    ASSERT_EQ(raft_get_reject_hint(f->r), 0);
    raft_set_reject_hint(NULL, 1);
    ASSERT_EQ(raft_get_reject_hint(NULL), 0);
}

TEST(test_reject_hint_off_rejection_writes_willemts_fields_only)
{
    /* The appended fields hold a pattern that must survive; current_idx is
     * willemt's (our last index after removing the conflict). */
    fx_t *f = follower_with(follower_log, FOLLOWER_N, 6, 0);
    msg_appendentries_response_t r, pattern;
    memset(&r, 0x5a, sizeof(r));
    memset(&pattern, 0x5a, sizeof(pattern));
    ASSERT_EQ(probe(f, 6, 7, 4, &r), 0);
    ASSERT_EQ(r.success, 0);
    ASSERT_EQ(r.current_idx, 6);
    ASSERT_EQ(r.first_idx, 8);
    ASSERT_EQ(r.term, 6);
    ASSERT(memcmp(&r.msg_id, &pattern.msg_id, sizeof(r) - offsetof(msg_appendentries_response_t, msg_id)) == 0);
}

TEST(test_reject_hint_off_with_extension_table_writes_msg_id_not_the_hint)
{
    fx_t *f = follower_with(follower_log, FOLLOWER_N, 6, 0);
    raft_cbs_ext_t ext;
    msg_appendentries_t ae;
    msg_appendentries_response_t r, pattern;
    memset(&ext, 0, sizeof(ext));
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    memset(&ae, 0, sizeof(ae));
    ae.term = 6;
    ae.prev_log_idx = 7;
    ae.prev_log_term = 4;
    ae.msg_id = 99;
    memset(&r, 0x5a, sizeof(r));
    memset(&pattern, 0x5a, sizeof(pattern));
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 1), &ae, &r), 0);
    ASSERT_EQ(r.success, 0);
    ASSERT_EQ(r.current_idx, 6);
    ASSERT_EQ(r.msg_id, 99);
    ASSERT(memcmp(&r.reject_hint_term, &pattern.reject_hint_term, sizeof(r.reject_hint_term)) == 0);
}

TEST(test_reject_hint_off_never_touches_memory_beyond_a_willemt_struct)
{
    /* A program built against willemt's header: its response struct ends
     * before msg_id. Exactly that much is allocated, so valgrind (make
     * memcheck) reports any read or write beyond it, on both sides. */
    size_t willemt = offsetof(msg_appendentries_response_t, msg_id);
    msg_appendentries_response_t *r = malloc(willemt);
    fx_t *fol = follower_with(follower_log, FOLLOWER_N, 6, 0);
    static const raft_term_t leader_log[] = { 1, 1, 3, 3, 3, 3, 3, 3 };
    fx_t *lead = leader_with(leader_log, 8, 6, 0, 1);
    ASSERT_NOT_NULL(r);
    memset(r, 0, willemt);
    ASSERT_EQ(probe(fol, 6, 7, 4, r), 0);
    ASSERT_EQ(r->success, 0);
    ASSERT_EQ(r->current_idx, 6);
    /* the leader reads it: first_idx 9 answers its probe at 8 */
    r->first_idx = 9;
    ASSERT_EQ(raft_recv_appendentries_response(lead->r, fx_node(lead, 2), r), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(lead, 2)), 7);
    free(r);
}

TEST(test_reject_hint_follower_reports_the_largest_index_with_a_term_not_above_prev_log_term)
{
    /* probe at 7 with term 4: our 5..7 are of term 5 (> 4), 4 is of term 2 */
    fx_t *f = follower_with(follower_log, FOLLOWER_N, 6, 1);
    msg_appendentries_response_t r;
    memset(&r, 0, sizeof(r));
    ASSERT_EQ(probe(f, 6, 7, 4, &r), 0);
    ASSERT_EQ(r.success, 0);
    ASSERT_EQ(r.current_idx, 4);
    ASSERT_EQ(r.reject_hint_term, 2);
    ASSERT_EQ(r.first_idx, 8);
    /* the log itself is handled as without the hint: 7 conflicted and left */
    ASSERT_EQ(raft_get_current_idx(f->r), 6);
    ASSERT_EQ(f->n_popped, 1);
}

TEST(test_reject_hint_follower_shorter_log_reports_its_last_entry)
{
    fx_t *f = follower_with(follower_log, FOLLOWER_N, 6, 1);
    msg_appendentries_response_t r;
    memset(&r, 0, sizeof(r));
    ASSERT_EQ(probe(f, 6, 20, 6, &r), 0);
    ASSERT_EQ(r.success, 0);
    ASSERT_EQ(r.current_idx, 7);
    ASSERT_EQ(r.reject_hint_term, 5);
}

TEST(test_reject_hint_success_leaves_the_hint_field_alone)
{
    fx_t *f = follower_with(follower_log, FOLLOWER_N, 6, 1);
    msg_appendentries_response_t r, pattern;
    memset(&r, 0x5a, sizeof(r));
    memset(&pattern, 0x5a, sizeof(pattern));
    ASSERT_EQ(probe(f, 6, 7, 5, &r), 0);
    ASSERT_EQ(r.success, 1);
    ASSERT_EQ(r.current_idx, 7);
    ASSERT(memcmp(&r.reject_hint_term, &pattern.reject_hint_term, sizeof(r.reject_hint_term)) == 0);
}

/* etcd's example: leader 1 3 3 3 5 5 5 5 5 (term 5), follower 1 1 1 1 2 2. */
static const raft_term_t etcd_leader[] = { 1, 3, 3, 3, 5, 5, 5, 5, 5 };

TEST(test_reject_hint_leader_skips_its_entries_above_the_hint_term)
{
    int window;
    for (window = 1; window <= 8; window += 7) {
        fx_t *f = leader_with(etcd_leader, 9, 5, 1, window);
        ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 10);
        /* the follower's hint: (6, term 2); nothing of ours in 2..6 has term <= 2 */
        ASSERT_EQ(fx_recv_aer_at(f, 2, 5, 0, 6, 10, 2), 0);
        ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
        ASSERT_EQ(fx_count_ae_to(f, 2), 1);
        ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 1);
        ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_term, 1);
    }
}

TEST(test_reject_hint_off_leader_backs_off_as_willemt)
{
    int window;
    for (window = 1; window <= 8; window += 7) {
        fx_t *f = leader_with(etcd_leader, 9, 5, 0, window);
        /* whatever the field holds, it is not read: next = current_idx + 1 */
        ASSERT_EQ(fx_recv_aer_at(f, 2, 5, 0, 6, 10, 2), 0);
        ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 7);
        ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 6);
    }
}

TEST(test_reject_hint_duplicate_rejection_is_acted_on_once)
{
    int window;
    for (window = 1; window <= 8; window += 7) {
        fx_t *f = leader_with(etcd_leader, 9, 5, 1, window);
        ASSERT_EQ(fx_recv_aer_at(f, 2, 5, 0, 6, 10, 2), 0);
        ASSERT_EQ(fx_count_ae_to(f, 2), 1);
        ASSERT_EQ(fx_recv_aer_at(f, 2, 5, 0, 6, 10, 2), 0); /* a duplicate */
        ASSERT_EQ(fx_recv_aer_at(f, 2, 5, 0, 3, 10, 1), 0); /* another answer to the same probe */
        ASSERT_EQ(fx_count_ae_to(f, 2), 1);
        ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
        /* the probe's own answer moves on */
        ASSERT_EQ(fx_recv_aer_at(f, 2, 5, 1, 9, 2, 0), 0);
        ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 9);
    }
}

/* A leader of term 6 over 10 entries of term 1, 10 of term 3, 10 of term 5,
 * whose peer 2 matched `match`; a probe to it is in flight at next_idx. */
static fx_t *hostile_target(int window, raft_index_t match)
{
    static raft_term_t terms[30];
    fx_t *f;
    int i;
    for (i = 0; i < 30; i++)
        terms[i] = 1 + 2 * (i / 10);
    f = leader_with(terms, 30, 6, 1, window);
    if (match > 0) {
        ASSERT_EQ(fx_recv_aer_at(f, 2, 6, 1, match, 31, 0), 0);
        ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), match);
        /* a later message (the heartbeat's) finds a gap: probe again at next_idx */
        if (raft_node_get_next_idx(fx_node(f, 2)) <= 30)
            ASSERT_EQ(raft_periodic(f->r, 200), 0);
    }
    fx_clear_rec(f);
    return f;
}

TEST(test_reject_hint_hostile_hints_keep_next_idx_between_match_and_last)
{
    static const struct { raft_index_t idx; raft_term_t term; int rc; } hints[] = {
        { -1, 3, RAFT_ERR_INVALID },               /* negative index: refused, as before */
        { 5, -1, 0 },                              /* negative term: ignored */
        { 5, INT64_MAX, 0 },                       /* a term no server can have: ignored */
        { 1000000, 1, 0 },                         /* beyond our log */
        { 1000000, 1000000, 0 },
        { 29, 1000, 0 },                           /* a term beyond all of ours */
        { 0, 0, 0 },                               /* zero: from the start */
        { 25, 0, 0 },
        { 15, 2, 0 },                              /* a term we never had */
        { 30, 5, 0 },                              /* the rejected index itself */
        { ((raft_index_t)1 << 62) - 1, INT64_MAX - 1, 0 },
    };
    int window, k;
    raft_index_t match;
    for (window = 1; window <= 8; window += 7)
        for (match = 0; match <= 12; match += 12)
            for (k = 0; k < (int)(sizeof(hints) / sizeof(hints[0])); k++) {
                fx_t *f = hostile_target(window, match);
                raft_node_t *n = fx_node(f, 2);
                raft_index_t next = raft_node_get_next_idx(n), after;
                ASSERT_EQ(fx_recv_aer_at(f, 2, 6, 0, hints[k].idx, next, hints[k].term), hints[k].rc);
                after = raft_node_get_next_idx(n);
                ASSERT_MSG(after > raft_node_get_match_idx(n) && after <= 31 && after <= next,
                           "window %d match %ld hint (%ld, %ld): next %ld -> %ld", window, (long)match,
                           (long)hints[k].idx, (long)hints[k].term, (long)next, (long)after);
                if (hints[k].rc == 0 && hints[k].term < 0)   /* willemt's rule */
                    ASSERT_EQ(after, hints[k].idx + 1 > match + 1 ? hints[k].idx + 1 : match + 1);
            }
}

TEST(test_reject_hint_below_the_leader_snapshot_sends_the_snapshot)
{
    int window;
    for (window = 1; window <= 8; window += 7) {
        fx_t *f = hostile_target(window, 0);
        raft_set_commit_idx(f->r, 20);
        ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
        ASSERT_EQ(raft_end_snapshot(f->r), 0);
        ASSERT_EQ(raft_get_snapshot_last_idx(f->r), 20);
        fx_clear_rec(f);
        /* a hint at 10, compacted here */
        ASSERT_EQ(fx_recv_aer_at(f, 2, 6, 0, 10, raft_node_get_next_idx(fx_node(f, 2)), 1), 0);
        ASSERT_EQ(f->n_snap, 1);
        ASSERT_EQ(f->snap[0], 2);
        ASSERT(raft_node_get_next_idx(fx_node(f, 2)) <= 20);
    }
}

TEST(test_reject_hint_term_older_than_the_snapshot_sends_the_snapshot)
{
    /* (28, term 1): every entry we hold after the snapshot (21..30, term 5)
     * and the snapshot's own (term 3) are newer than 1 */
    int window;
    for (window = 1; window <= 8; window += 7) {
        fx_t *f = hostile_target(window, 0);
        raft_set_commit_idx(f->r, 20);
        ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
        ASSERT_EQ(raft_end_snapshot(f->r), 0);
        fx_clear_rec(f);
        ASSERT_EQ(fx_recv_aer_at(f, 2, 6, 0, 28, raft_node_get_next_idx(fx_node(f, 2)), 1), 0);
        ASSERT_EQ(f->n_snap, 1);
    }
}

/* ---- a whole cluster: a long divergent suffix ------------------------------ */

typedef struct {
    int hint, window;
    int from;               /* count the rejections this server sends */
    long rejections;
} divergence_t;

static void divergence_configure(void *ctx, raft_server_t *r)
{
    divergence_t *d = ctx;
    raft_set_reject_hint(r, d->hint);
    raft_set_max_inflight_msgs(r, d->window);
}

static void divergence_event(void *ctx, const cl_event_t *ev)
{
    divergence_t *d = ctx;
    if (ev->kind == CL_EV_SENT && ev->msg->type == CL_AER && !ev->msg->u.aer.success && ev->msg->from == d->from)
        d->rejections++;
}

/* Leader A is cut off and appends `n_old` entries of its term; the other two
 * elect B, which commits `n_new` entries of its newer term; B restarts and a
 * third leader L (B or C) is elected, its next index for A past its last
 * entry. Once the network heals, A's divergent suffix (the older term) must
 * be replaced by L's log. Returns the rejections A sent until its log
 * matched L's. */
static long divergent_catch_up(int hint, int window, int n_old, int n_new)
{
    divergence_t *d = th_alloc(sizeof(*d));
    cl_options_t o;
    cluster_t *c;
    int a, b, l, i, ms;
    raft_term_t old_term;
    cl_options_init(&o);
    o.seed = 77;
    o.check_commits = 1;
    o.configure = divergence_configure;
    o.on_event = divergence_event;
    o.ctx = d;
    d->hint = hint;
    d->window = window;
    d->from = -1;
    c = new_cluster_with(&o, 3);
    a = cl_elect(c, 5000);
    ASSERT_GT(a, 0);
    ASSERT_EQ(cl_submit(c, a, 1, NULL), 0);
    cl_run(c, 200, 10);
    cl_isolate(c, a);
    for (i = 0; i < n_old; i++)
        ASSERT_EQ(cl_submit(c, a, 1000 + i, NULL), 0);
    cl_run(c, 2000, 10);
    b = -1;
    for (i = 1; i <= 3; i++)
        if (i != a && raft_is_leader(cl_raft(c, i)))
            b = i;
    ASSERT_GT(b, 0);
    ASSERT_GT(raft_get_current_term(cl_raft(c, b)), raft_get_current_term(cl_raft(c, a)));
    for (i = 0; i < n_new; i++)
        ASSERT_EQ(cl_submit(c, b, 5000 + i, NULL), 0);
    cl_run(c, 200, 10);
    ASSERT_EQ(raft_get_commit_idx(cl_raft(c, b)), raft_get_current_idx(cl_raft(c, b)));
    ASSERT_GT(raft_get_current_idx(cl_raft(c, a)), raft_get_current_idx(cl_raft(c, b)));
    /* a new leader, whose next index for A is past its whole log */
    old_term = raft_get_current_term(cl_raft(c, b));
    ASSERT_EQ(cl_restart(c, b), 0);
    l = -1;
    for (ms = 0; ms < 5000 && l == -1; ms += 10) {
        cl_tick(c, 10);
        for (i = 1; i <= 3; i++)
            if (i != a && raft_is_leader(cl_raft(c, i)) && raft_get_current_term(cl_raft(c, i)) > old_term)
                l = i;
    }
    ASSERT_GT(l, 0);
    ASSERT_EQ(raft_node_get_next_idx(raft_get_node(cl_raft(c, l), a)), raft_get_current_idx(cl_raft(c, l)) + 1);
    d->from = a;
    d->rejections = 0;
    cl_heal(c);
    for (ms = 0; ms < 20000; ms += 10) {
        cl_tick(c, 10);
        if (raft_get_current_idx(cl_raft(c, a)) == raft_get_current_idx(cl_raft(c, l)) &&
            raft_get_commit_idx(cl_raft(c, a)) == raft_get_commit_idx(cl_raft(c, l)))
            break;
    }
    ASSERT_EQ(cl_leader(c), l);
    ASSERT_EQ(raft_get_current_idx(cl_raft(c, a)), raft_get_current_idx(cl_raft(c, l)));
    ASSERT_EQ(raft_get_last_log_term(cl_raft(c, a)), raft_get_last_log_term(cl_raft(c, l)));
    ASSERT_SAFE(c);
    return d->rejections;
}

TEST(test_reject_hint_long_divergent_suffix_of_older_terms_costs_round_trips_per_term)
{
    /* Two terms in the divergent parts (A's and B's): at most two rounds of
     * rejections, against one per entry of B's suffix without the hint. */
    int window;
    for (window = 1; window <= 8; window += 7) {
        long with = divergent_catch_up(1, window, 300, 200);
        long without = divergent_catch_up(0, window, 300, 200);
        ASSERT_MSG(with >= 1 && with <= 2, "window %d: %ld rejections with the hint", window, with);
        ASSERT_MSG(without >= 190, "window %d: %ld rejections without the hint", window, without);
    }
}
