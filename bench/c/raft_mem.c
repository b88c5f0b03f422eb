/*
 * raft_mem: library heap per retained log entry, and heap over a long run
 * with periodic compaction. Every allocation of libraft goes through a
 * counting allocator (raft_set_heap_functions, before raft_new); payloads are
 * the application's (one shared 64-byte buffer), so what is counted is the
 * library's own memory beyond the payload.
 *
 *   raft_mem --retain 1000000 --total 10000000 --every 10000 --attempts 1000000 --limit 1048576
 *
 * Part 1: a single-node leader retains `--retain` entries, no compaction:
 *   bytes per entry = (heap after - heap before) / entries, printed at the
 *   end and as the worst value seen over the run (the log's newest chunk
 *   grows by a quarter of the entries held, and a new chunk starts at a
 *   quarter: right after a growth step the ratio is highest).
 * Part 2: a single-node leader retains `--total` entries, and every
 *   `--every` entries applies them and compacts (raft_begin_snapshot /
 *   raft_end_snapshot); heap is printed at 1M, 5M and 10M (scaled when
 *   --total is smaller) and must stay flat.
 * Part 3: a leader without a quorum (3 voters; its messages go nowhere and
 *   nothing answers) with raft_set_max_uncommitted_bytes(--limit): a client
 *   tries `--attempts` proposals of one 64-byte entry, with a tick of 10 ms
 *   (heartbeats) every 1,000. Refusals (RAFT_ERR_UNCOMMITTED_LIMIT) are
 *   counted; the uncommitted bytes must stay within the limit and the heap
 *   flat from the first tenth of the attempts on. The reference, in the same
 *   run: the same leader with no limit, whose heap grows with every entry.
 */
#include "bench_common.h"

#define PAYLOAD 64

static char g_payload[PAYLOAD];

static int nop_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx) {
    (void)r; (void)ud; (void)e; (void)idx;
    return 0;
}
static int nop_send_ae(raft_server_t *r, void *ud, raft_node_t *n, msg_appendentries_t *m) {
    (void)r; (void)ud; (void)n; (void)m;
    return 0;
}
static int nop_send_rv(raft_server_t *r, void *ud, raft_node_t *n, msg_requestvote_t *m) {
    (void)r; (void)ud; (void)n; (void)m;
    return 0;
}

static void leader_callbacks(raft_server_t *s) {
    raft_cbs_t cbs = {0};
    cbs.send_requestvote = nop_send_rv;
    cbs.send_appendentries = nop_send_ae;
    cbs.log_apply = nop_apply;
    cbs.log_offer = nop_apply;
    cbs.log_poll = nop_apply;
    cbs.log_pop = nop_apply;
    raft_set_callbacks(s, &cbs, NULL);
}

static raft_server_t *single_node_leader(void) {
    raft_server_t *s = raft_new();
    if (!s) { fprintf(stderr, "raft_new failed\n"); exit(1); }
    leader_callbacks(s);
    raft_add_node(s, NULL, 1, 1);
    raft_periodic(s, 0); /* lone voter: leader at once */
    if (!raft_is_leader(s)) { fprintf(stderr, "not leader\n"); exit(1); }
    return s;
}

static void retain(raft_server_t *s, long k) {
    msg_entry_t e = {0};
    e.id = (raft_entry_id_t)k;
    e.data.buf = g_payload;
    e.data.len = PAYLOAD;
    int rc = raft_retain_entries(s, &e, NULL);
    if (rc != 0) { fprintf(stderr, "retain failed: %d\n", rc); exit(1); }
}

/* A leader of 3 voters whose peers never answer (forced: term 1, vote for
 * itself, leader state), as raft_groups.c makes its leaders. */
static raft_server_t *leader_without_quorum(uint64_t limit) {
    raft_server_t *s = raft_new();
    if (!s) { fprintf(stderr, "raft_new failed\n"); exit(1); }
    leader_callbacks(s);
    raft_add_node(s, NULL, 1, 1);
    raft_add_node(s, NULL, 2, 0);
    raft_add_node(s, NULL, 3, 0);
    if (raft_set_current_term(s, 1) != 0 || raft_vote_for_nodeid(s, 1) != 0) { fprintf(stderr, "term\n"); exit(1); }
    raft_set_state(s, RAFT_STATE_LEADER);
    raft_become_leader(s);
    raft_set_max_uncommitted_bytes(s, limit);
    if (!raft_is_leader(s)) { fprintf(stderr, "not leader\n"); exit(1); }
    return s;
}

typedef struct {
    long accepted, refused;
    uint64_t max_uncommitted;
    size_t heap_at[3];          /* library heap at a tenth, half and all of the attempts */
    int flat;
} noquorum_t;

static void noquorum_run(uint64_t limit, long attempts, noquorum_t *r) {
    memset(r, 0, sizeof *r);
    size_t h0 = g_heap.live;
    raft_server_t *s = leader_without_quorum(limit);
    long marks[3] = {attempts / 10, attempts / 2, attempts};
    int mi = 0;
    for (long k = 1; k <= attempts; k++) {
        msg_entry_t e = {0};
        e.id = (raft_entry_id_t)k;
        e.data.buf = g_payload;
        e.data.len = PAYLOAD;
        int rc = raft_retain_entries(s, &e, NULL);
        if (rc == 0) r->accepted++;
        else if (rc == RAFT_ERR_UNCOMMITTED_LIMIT) r->refused++;
        else { fprintf(stderr, "retain failed: %d\n", rc); exit(1); }
        uint64_t u = raft_get_uncommitted_bytes(s);
        if (u > r->max_uncommitted) r->max_uncommitted = u;
        if (k % 1000 == 0 && raft_periodic(s, 10) != 0) { fprintf(stderr, "periodic failed\n"); exit(1); }
        while (mi < 3 && k == marks[mi]) r->heap_at[mi++] = g_heap.live - h0;
    }
    if (!raft_is_leader(s)) { fprintf(stderr, "lost leadership\n"); exit(1); }
    r->flat = r->heap_at[2] == r->heap_at[0] && r->heap_at[1] == r->heap_at[0];
    raft_free(s);
}

int main(int argc, char **argv) {
    long n_retain = arg_long(argc, argv, "--retain", 1000000);
    long total = arg_long(argc, argv, "--total", 10000000);
    long every = arg_long(argc, argv, "--every", 10000);
    long attempts = arg_long(argc, argv, "--attempts", 1000000);
    long limit = arg_long(argc, argv, "--limit", 1 << 20);
    if (n_retain < 1000 || total < 10 || every < 2 || attempts < 10 || limit < PAYLOAD) {
        fprintf(stderr, "usage: raft_mem [--retain N>=1000] [--total T>=10] [--every E>=2] [--attempts A>=10] "
                        "[--limit BYTES>=64]\n");
        return 2;
    }
    bench_count_library_heap();

    /* ---- part 1: bytes per retained entry ---- */
    size_t h_empty = g_heap.live;
    raft_server_t *s = single_node_leader();
    size_t h0 = g_heap.live;
    double worst = 0;
    long worst_at = 0;
    for (long k = 1; k <= n_retain; k++) {
        retain(s, k);
        if (k >= 1000) {
            double per = (double)(g_heap.live - h0) / (double)k;
            if (per > worst) { worst = per; worst_at = k; }
        }
    }
    size_t h1 = g_heap.live;
    double per_entry = (double)(h1 - h0) / (double)n_retain;
    printf("per-entry: server %zu B; %ld entries retained: %zu B of library heap = %.2f B/entry beyond the "
           "%d-byte payload (worst over 1000..%ld entries: %.2f B/entry at %ld, just after the log grew)\n",
           h0 - h_empty, n_retain, h1 - h0, per_entry, PAYLOAD, n_retain, worst, worst_at);
    printf("RESULT part=per_entry entries=%ld server_bytes=%zu bytes_per_entry=%.2f worst_bytes_per_entry=%.2f "
           "worst_at=%ld\n",
           n_retain, h0 - h_empty, per_entry, worst, worst_at);
    raft_free(s);

    /* ---- part 2: long run with compaction every `every` entries ---- */
    s = single_node_leader();
    long marks[3] = {total / 10, total / 2, total};
    int mi = 0;
    size_t at_mark[3] = {0, 0, 0};
    size_t peak_live = 0, base = g_heap.live;
    g_heap.peak = g_heap.live;
    double t0 = wall_s();
    printf("compaction: %ld entries, snapshot every %ld:", total, every);
    char line[512];
    int off = snprintf(line, sizeof line, "RESULT part=compaction total=%ld every=%ld", total, every);
    for (long k = 1; k <= total; k++) {
        retain(s, k);
        if (k % every == 0) {
            if (raft_periodic(s, 0) != 0 || raft_begin_snapshot(s, 0) != 0 || raft_end_snapshot(s) != 0) {
                fprintf(stderr, "snapshot failed at %ld\n", k);
                return 1;
            }
        }
        if (g_heap.live > peak_live) peak_live = g_heap.live;
        while (mi < 3 && k == marks[mi]) {
            printf(" heap at %ld = %zu B (log holds %ld);", k, g_heap.live, (long)raft_get_log_count(s));
            off += snprintf(line + off, sizeof line - (size_t)off, " heap_at_%ld=%zu", k, g_heap.live);
            at_mark[mi++] = g_heap.live;
        }
    }
    double t1 = wall_s();
    printf(" peak %zu B (server %zu B); %.0f entries/s\n", peak_live, base, (double)total / (t1 - t0));
    /* Flat: the heap at the last mark is within 10% (or 4 KiB) of the first. */
    size_t slack = at_mark[0] / 10 > 4096 ? at_mark[0] / 10 : 4096;
    int flat = at_mark[2] <= at_mark[0] + slack && at_mark[1] <= at_mark[0] + slack;
    printf("%s peak=%zu server_bytes=%zu flat=%s\n", line, peak_live, base, flat ? "yes" : "no");
    raft_free(s);
    printf("after raft_free: %zu B live\n", g_heap.live);

    /* ---- part 3: a leader without quorum, bounded and unbounded ---- */
    noquorum_t lim, unl;
    noquorum_run((uint64_t)limit, attempts, &lim);
    noquorum_run(0, attempts, &unl);
    printf("no quorum: %ld proposals, limit %ld B: %ld accepted, %ld refused, max uncommitted %llu B; library heap "
           "%zu / %zu / %zu B at %ld / %ld / %ld proposals (%s); without a limit: %ld accepted, heap %zu / %zu / %zu B\n",
           attempts, limit, lim.accepted, lim.refused, (unsigned long long)lim.max_uncommitted, lim.heap_at[0],
           lim.heap_at[1], lim.heap_at[2], attempts / 10, attempts / 2, attempts, lim.flat ? "flat" : "NOT flat",
           unl.accepted, unl.heap_at[0], unl.heap_at[1], unl.heap_at[2]);
    printf("RESULT part=noquorum attempts=%ld limit=%ld accepted=%ld refused=%ld max_uncommitted=%llu within=%s "
           "heap_10pct=%zu heap_50pct=%zu heap_end=%zu flat=%s unlimited_accepted=%ld unlimited_heap_10pct=%zu "
           "unlimited_heap_end=%zu\n",
           attempts, limit, lim.accepted, lim.refused, (unsigned long long)lim.max_uncommitted,
           lim.max_uncommitted <= (uint64_t)limit ? "yes" : "no", lim.heap_at[0], lim.heap_at[1], lim.heap_at[2],
           lim.flat ? "yes" : "no", unl.accepted, unl.heap_at[0], unl.heap_at[2]);
    return 0;
}
