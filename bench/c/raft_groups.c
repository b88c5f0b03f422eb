/*
 * raft_groups: one process holding many idle Raft servers, each a member of
 * a different 3-node group (as a multi-raft host holds them): every server
 * knows 3 nodes, itself (id 1) and two remote ones (ids 2, 3). One server in
 * three leads its group (forced: term 1, raft_set_state(LEADER),
 * raft_become_leader); the others follow node 2, whose heartbeats arrive
 * every request timeout (200 ms).
 *
 * Measured:
 *   - library heap per server (counting allocator, raft_set_heap_functions);
 *   - CPU (CLOCK_PROCESS_CPUTIME_ID) per simulated second at a 100 ms tick:
 *     raft_periodic on every server, the heartbeats leaders send (the send
 *     callback only counts them) and their responses (raft_recv_appendentries_
 *     response), and the heartbeats followers receive (raft_recv_appendentries).
 *
 *   raft_groups --groups 10000 --seconds 30
 */
#include "bench_common.h"

#define TICK_MS 100
#define REQUEST_TIMEOUT_MS 200

typedef struct {
    raft_server_t *s;
    raft_node_t *n2, *n3;
    int leader;
} group_t;

static unsigned long g_ae_sent, g_rv_sent;
/* Heartbeats sent by the server being ticked, answered right after. */
static raft_node_t *g_pending[8];
static int g_npending;

static int send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m) {
    (void)r; (void)ud; (void)m;
    g_ae_sent++;
    if (g_npending < 8) g_pending[g_npending++] = node;
    return 0;
}
static int send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m) {
    (void)r; (void)ud; (void)node; (void)m;
    g_rv_sent++;
    return 0;
}
static int nop_entry(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx) {
    (void)r; (void)ud; (void)e; (void)idx;
    return 0;
}
static int nop_vote(raft_server_t *r, void *ud, raft_node_id_t v) { (void)r; (void)ud; (void)v; return 0; }
static int nop_term(raft_server_t *r, void *ud, raft_term_t t, raft_node_id_t v) {
    (void)r; (void)ud; (void)t; (void)v;
    return 0;
}

static void answer_heartbeats(group_t *g) {
    for (int i = 0; i < g_npending; i++) {
        msg_appendentries_response_t resp = {.term = 1, .success = 1, .current_idx = 0, .first_idx = 1};
        int rc = raft_recv_appendentries_response(g->s, g_pending[i], &resp);
        if (rc != 0) { fprintf(stderr, "recv_appendentries_response: %d\n", rc); exit(1); }
    }
    g_npending = 0;
}

int main(int argc, char **argv) {
    long ngroups = arg_long(argc, argv, "--groups", 10000);
    long seconds = arg_long(argc, argv, "--seconds", 30);
    int runs = (int)arg_long(argc, argv, "--runs", 5);
    if (ngroups < 1 || seconds < 1 || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: raft_groups [--groups G] [--seconds S] [--runs R<=64]\n");
        return 2;
    }
    bench_count_library_heap();

    raft_cbs_t cbs = {0};
    cbs.send_requestvote = send_rv;
    cbs.send_appendentries = send_ae;
    cbs.log_apply = nop_entry;
    cbs.persist_vote = nop_vote;
    cbs.persist_term = nop_term;
    cbs.log_offer = nop_entry;
    cbs.log_poll = nop_entry;
    cbs.log_pop = nop_entry;

    group_t *gs = calloc((size_t)ngroups, sizeof *gs);
    size_t h0 = g_heap.live;
    long nleaders = 0;
    for (long i = 0; i < ngroups; i++) {
        group_t *g = &gs[i];
        g->s = raft_new();
        if (!g->s) { fprintf(stderr, "raft_new failed\n"); return 1; }
        raft_set_callbacks(g->s, &cbs, g);
        raft_set_random_seed(g->s, (uint64_t)i + 1);
        raft_add_node(g->s, NULL, 1, 1);
        g->n2 = raft_add_node(g->s, NULL, 2, 0);
        g->n3 = raft_add_node(g->s, NULL, 3, 0);
        if (raft_set_current_term(g->s, 1) != 0) return 1;
        g->leader = i % 3 == 0;
        if (g->leader) {
            raft_vote_for_nodeid(g->s, 1);
            raft_set_state(g->s, RAFT_STATE_LEADER);
            raft_become_leader(g->s);
            answer_heartbeats(g);
            nleaders++;
        }
    }
    size_t h1 = g_heap.live;
    double per_server = (double)(h1 - h0) / (double)ngroups;

    /* Followers hear from their leader (node 2) every request timeout. */
    msg_appendentries_t hb = {.term = 1, .prev_log_idx = 0, .prev_log_term = 0, .leader_commit = 0,
                              .n_entries = 0, .entries = NULL};
    long ticks = seconds * 1000 / TICK_MS;
    unsigned long hb_recv = 0;
    g_ae_sent = g_rv_sent = 0;
    double cpus[64], wall = 0;
    long t = 0;
    for (int r = 0; r < runs; r++) {
        double c0 = cpu_s(), w0 = wall_s();
        for (long k = 1; k <= ticks; k++) {
            t++;
            int hb_due = (t * TICK_MS) % REQUEST_TIMEOUT_MS == 0;
            for (long i = 0; i < ngroups; i++) {
                group_t *g = &gs[i];
                if (!g->leader && hb_due) {
                    msg_appendentries_response_t resp;
                    if (raft_recv_appendentries(g->s, g->n2, &hb, &resp) != 0) return 1;
                    hb_recv++;
                }
                if (raft_periodic(g->s, TICK_MS) != 0) return 1;
                answer_heartbeats(g);
            }
        }
        cpus[r] = cpu_s() - c0;
        wall += wall_s() - w0;
    }
    double cpu = median(cpus, runs); /* sorts: cpus[0] is the least, cpus[runs - 1] the most */
    double sim = (double)ticks * TICK_MS / 1000.0;
    double core_pct = 100.0 * cpu / sim;
    double core_pct_min = 100.0 * cpus[0] / sim, core_pct_max = 100.0 * cpus[runs - 1] / sim;
    double wall_per_run = wall / runs;
    g_ae_sent /= (unsigned long)runs;
    hb_recv /= (unsigned long)runs;

    long still_leading = 0, still_following = 0;
    for (long i = 0; i < ngroups; i++) {
        if (gs[i].leader && raft_is_leader(gs[i].s)) still_leading++;
        if (!gs[i].leader && raft_is_follower(gs[i].s)) still_following++;
    }
    int stable = still_leading == nleaders && still_following == ngroups - nleaders && g_rv_sent == 0;

    printf("groups: %ld servers (%ld leading), library heap %.0f B/server; %.0f simulated s at a %d ms tick: "
           "%.3f CPU s (median of %d runs) = %.3f%% of one core (%.3f-%.3f%%; %.0f ns per server-tick incl. heartbeats; "
           "wall %.3f s); "
           "%lu heartbeats sent, %lu received, %lu requestvotes; roles %s\n",
           ngroups, nleaders, per_server, sim, TICK_MS, cpu, runs, core_pct, core_pct_min, core_pct_max,
           cpu * 1e9 / ((double)ticks * (double)ngroups), wall_per_run, g_ae_sent, hb_recv, g_rv_sent,
           stable ? "stable" : "CHANGED");
    printf("RESULT groups=%ld leaders=%ld bytes_per_server=%.1f sim_seconds=%.0f tick_ms=%d cpu_s=%.4f "
           "runs=%d core_pct=%.4f core_pct_min=%.4f core_pct_max=%.4f ns_per_server_tick=%.1f hb_sent=%lu hb_recv=%lu rv_sent=%lu stable=%s\n",
           ngroups, nleaders, per_server, sim, TICK_MS, cpu, runs, core_pct, core_pct_min, core_pct_max,
           cpu * 1e9 / ((double)ticks * (double)ngroups), g_ae_sent, hb_recv, g_rv_sent, stable ? "yes" : "no");

    for (long i = 0; i < ngroups; i++) raft_free(gs[i].s);
    free(gs);
    return stable ? 0 : 1;
}
