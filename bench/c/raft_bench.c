/*
 * raft_bench: replication throughput of an in-process cluster of N libraft
 * servers, driven through the C ABI only (include/raft.h, libraft.so).
 *
 * Transport: one in-memory FIFO of messages. appendentries payloads are
 * copied as a wire would (entry array + payload bytes); persistence
 * callbacks do nothing. A leader is elected by ticking, then M entries of 64
 * bytes are submitted with raft_retain_entries in batches of B: a batch is B
 * retain calls, then messages are delivered until the queue is empty, then
 * every server gets raft_periodic(0) (a "tick", which applies what it knows
 * to be committed). Followers learn the commit index from the next
 * appendentries; after the last batch the leader sends heartbeats
 * (raft_send_appendentries_all, counted) until every server applied all M.
 *
 *   raft_bench -n 3 -b 16 -m 200000 --runs 5     one configuration
 *   raft_bench ... --instr                        no latency tracking (callgrind)
 *   raft_bench ... --verify                       check every applied entry's id and payload
 *
 * Prints one human line and one "RESULT key=value ..." line.
 */
/*
 * raft_bench: replication throughput of an in-process cluster of N libraft
 * servers, driven through the C ABI only (include/raft.h, libraft.so).
 *
 * The cluster is the shared fixture (c_fixture/cluster.h) in lean mode: one
 * in-memory FIFO of messages; appendentries payloads are copied as a wire
 * would (entry array + payload bytes, the bytes into the receiver's arena,
 * where its log keeps pointing); persistence callbacks do nothing; no checks.
 * A leader is elected by ticking, then M entries of 64 bytes are submitted
 * with raft_retain_entries in batches of B: a batch is B retain calls, then
 * messages are delivered until the queue is empty, then every server gets
 * raft_periodic(0) (a "tick", which applies what it knows to be committed).
 * Followers learn the commit index from the next appendentries; after the
 * last batch the leader sends heartbeats (raft_send_appendentries_all,
 * counted) until every server applied all M.
 *
 *   raft_bench -n 3 -b 16 -m 200000 --runs 5     one configuration
 *   raft_bench ... --instr                        no latency tracking (callgrind)
 *   raft_bench ... --verify                       check every applied entry's id and payload
 *
 * Prints one human line and one "RESULT key=value ..." line.
 */
#include "bench_common.h"
#include "cluster.h"
#include <malloc.h>

#define MAXN 7
#define PAYLOAD 64

static struct {
    cluster_t *c;
    int n;
    /* counters */
    unsigned long deliveries, ticks, heartbeats, applied_total;
    /* latency tracking (off under callgrind) */
    int track, leader;
    long m, committed_seen;
    unsigned long *submit_delivery;
    int *submit_tick, *lat_commit, *lat_apply;
    unsigned char *applied_cnt;
} C;

static char *g_payloads; /* the client's M payloads, owned by the application */
static int g_verify;
static unsigned long g_bad;

static int on_apply(void *ctx, cl_server_t *s, raft_entry_t *e, raft_index_t idx) {
    (void)ctx; (void)s;
    C.applied_total++;
    if (g_verify && (idx < 1 || idx > C.m || e->id != (raft_entry_id_t)idx || e->data.len != PAYLOAD ||
                     memcmp(e->data.buf, g_payloads + (size_t)(idx - 1) * PAYLOAD, PAYLOAD) != 0))
        g_bad++;
    if (C.track && idx >= 1 && idx <= C.m && ++C.applied_cnt[idx] == C.n)
        C.lat_apply[idx - 1] = (int)(C.ticks - (unsigned long)C.submit_tick[idx]);
    return 0;
}

static void check(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "%s failed: %d\n", what, rc);
        exit(1);
    }
}

/* No library call may fail while entries flow (the leader is stable). */
static void check_deliveries(void) {
    if (C.c->failures == 0) return;
    for (int t = 0; t < CL_NTYPES; t++)
        if (C.c->failed[t]) fprintf(stderr, "delivering %s failed %lu times\n", cl_msg_type_name[t], C.c->failed[t]);
    exit(1);
}

/* Deliver until the queue is empty; with latency tracking, one message at a
 * time, noting when the leader's commit index moves. */
static void deliver_all(void) {
    cl_step_t st;
    if (!C.track) {
        C.deliveries += (unsigned long)cl_deliver_all(C.c);
        check_deliveries();
        return;
    }
    while (cl_step(C.c, &st)) {
        C.deliveries++;
        if (st.type == CL_AER && st.to == C.leader) {
            long c = raft_get_commit_idx(cl_raft(C.c, C.leader));
            while (C.committed_seen < c && C.committed_seen < C.m) {
                C.committed_seen++;
                C.lat_commit[C.committed_seen - 1] = (int)(C.deliveries - C.submit_delivery[C.committed_seen]);
            }
        }
    }
    check_deliveries();
}

static void tick_all(int ms) {
    C.ticks++;
    check(cl_periodic_all(C.c, ms), "raft_periodic");
}

typedef struct {
    double secs;
    unsigned long msgs, ae, ticks, heartbeats;
    long commit_p50, commit_p99, apply_p50, apply_p99;
    double lib_bytes_per_entry, lib_allocs_per_entry;
} run_t;

static void run_once(int n, long m, int b, int track, run_t *out) {
    cl_options_t o;
    cl_options_init(&o);
    o.lean = 1;
    /* seed 8 elects server 3, as the harness did before the fixture: the
     * library's cost per entry depends a little on the leader's position */
    o.seed = 8;
    o.on_apply = on_apply;
    C.c = cl_new(&o);
    if (!C.c || cl_bootstrap(C.c, n) != 0) {
        fprintf(stderr, "cluster setup failed: %s\n", C.c ? cl_error(C.c) : "out of memory");
        exit(1);
    }
    C.n = n;
    C.m = m;
    C.track = track;

    /* Elect a leader by ticking. */
    C.leader = cl_elect(C.c, 100000);
    if (C.leader < 0) { fprintf(stderr, "no leader elected\n"); exit(1); }
    raft_server_t *leader = cl_raft(C.c, C.leader);

    if (track) {
        C.submit_delivery = calloc((size_t)m + 1, sizeof *C.submit_delivery);
        C.submit_tick = calloc((size_t)m + 1, sizeof *C.submit_tick);
        C.lat_commit = calloc((size_t)m, sizeof *C.lat_commit);
        C.lat_apply = calloc((size_t)m, sizeof *C.lat_apply);
        C.applied_cnt = calloc((size_t)m + 1, 1);
        if (!C.submit_delivery || !C.submit_tick || !C.lat_commit || !C.lat_apply || !C.applied_cnt) {
            perror("calloc");
            exit(2);
        }
    }
    C.committed_seen = raft_get_commit_idx(leader);
    long base = raft_get_current_idx(leader); /* 0: our leaders append no entry on election */
    memset(C.c->sent, 0, sizeof C.c->sent);
    memset(C.c->failed, 0, sizeof C.c->failed);
    C.c->failures = 0;
    C.deliveries = C.ticks = C.heartbeats = C.applied_total = 0;
    heapstat_t h0 = g_heap;

    double t0 = wall_s();
    for (long next = 1; next <= m; next += b) {
        long end = next + b - 1 < m ? next + b - 1 : m;
        for (long k = next; k <= end; k++) {
            msg_entry_t e = {0};
            e.id = (raft_entry_id_t)k;
            e.type = RAFT_LOGTYPE_NORMAL;
            e.data.buf = g_payloads + (size_t)(k - 1) * PAYLOAD;
            e.data.len = PAYLOAD;
            if (track) {
                C.submit_delivery[base + k] = C.deliveries;
                C.submit_tick[base + k] = (int)C.ticks;
            }
            check(raft_retain_entries(leader, &e, NULL), "raft_retain_entries");
        }
        deliver_all();
        tick_all(0);
    }
    while (C.applied_total < (unsigned long)n * (unsigned long)m) {
        check(raft_send_appendentries_all(leader), "raft_send_appendentries_all");
        C.heartbeats++;
        deliver_all();
        tick_all(0);
        if (C.heartbeats > 1000) { fprintf(stderr, "entries never applied everywhere\n"); exit(1); }
    }
    double t1 = wall_s();

    out->secs = t1 - t0;
    out->msgs = C.c->sent[CL_RV] + C.c->sent[CL_RVR] + C.c->sent[CL_AE] + C.c->sent[CL_AER];
    out->ae = C.c->sent[CL_AE];
    out->ticks = C.ticks;
    out->heartbeats = C.heartbeats;
    out->lib_bytes_per_entry = (double)(g_heap.live - h0.live) / ((double)n * (double)m);
    out->lib_allocs_per_entry =
        (double)(g_heap.n_malloc + g_heap.n_realloc - h0.n_malloc - h0.n_realloc) / (double)m;
    if (track) {
        out->commit_p50 = percentile_int(C.lat_commit, m, 50);
        out->commit_p99 = percentile_int(C.lat_commit, m, 99);
        out->apply_p50 = percentile_int(C.lat_apply, m, 50);
        out->apply_p99 = percentile_int(C.lat_apply, m, 99);
        free(C.submit_delivery);
        free(C.submit_tick);
        free(C.lat_commit);
        free(C.lat_apply);
        free(C.applied_cnt);
    }

    cl_free(C.c);
    C.c = NULL;
}

int main(int argc, char **argv) {
    int n = (int)arg_long(argc, argv, "-n", 3);
    int b = (int)arg_long(argc, argv, "-b", 1);
    long m = arg_long(argc, argv, "-m", 100000);
    int runs = (int)arg_long(argc, argv, "--runs", 5);
    int instr = arg_flag(argc, argv, "--instr");
    g_verify = arg_flag(argc, argv, "--verify");
    if (n < 1 || n > MAXN || b < 1 || m < 1 || runs < 1) {
        fprintf(stderr, "usage: raft_bench -n N(1..%d) -b B -m M [--runs R] [--instr]\n", MAXN);
        return 2;
    }
    if (instr) runs = 1;
    /* A warm heap, as in a long-running process: freed memory is kept and
     * large blocks are not mmapped one by one, so runs do not pay page faults
     * that depend on what the previous run freed. */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    if (!arg_flag(argc, argv, "--no-heap-count")) bench_count_library_heap();

    /* distinct bytes for every entry, written a word at a time */
    g_payloads = malloc((size_t)m * PAYLOAD);
    for (size_t i = 0; i < (size_t)m * PAYLOAD / 8; i++) {
        uint64_t word = (uint64_t)i * 0x9e3779b97f4a7c15ull + 7;
        memcpy(g_payloads + 8 * i, &word, 8);
    }

    double rates[64];
    if (runs > 64) runs = 64;
    run_t r = {0};
    for (int i = 0; i < runs; i++) {
        run_once(n, m, b, !instr, &r);
        rates[i] = (double)m / r.secs;
    }
    double rate = median(rates, runs);
    if (g_verify) {
        printf("verify: %lu entries applied with a wrong id or payload\n", g_bad);
        if (g_bad) return 1;
    }
    long rss = peak_rss_kb();
    free(g_payloads);

    printf("N=%d B=%-3d M=%ld: %.0f entries/s (median of %d), %.3f msgs/entry (%.3f AE/entry), "
           "%lu ticks, %lu heartbeats, commit latency p50/p99 %ld/%ld deliveries, "
           "applied-everywhere p50/p99 %ld/%ld ticks, peak RSS %ld KiB, "
           "library heap %.1f B/entry/node, %.3f library allocs/entry\n",
           n, b, m, rate, runs, (double)r.msgs / (double)m, (double)r.ae / (double)m, r.ticks, r.heartbeats,
           r.commit_p50, r.commit_p99, r.apply_p50, r.apply_p99, rss, r.lib_bytes_per_entry,
           r.lib_allocs_per_entry);
    printf("RESULT n=%d b=%d m=%ld runs=%d entries_per_s=%.0f msgs_per_entry=%.4f ae_per_entry=%.4f "
           "ticks=%lu heartbeats=%lu commit_p50=%ld commit_p99=%ld apply_p50=%ld apply_p99=%ld "
           "peak_rss_kb=%ld lib_bytes_per_entry=%.2f lib_allocs_per_entry=%.4f\n",
           n, b, m, runs, rate, (double)r.msgs / (double)m, (double)r.ae / (double)m, r.ticks, r.heartbeats,
           r.commit_p50, r.commit_p99, r.apply_p50, r.apply_p99, rss, r.lib_bytes_per_entry,
           r.lib_allocs_per_entry);
    return 0;
}
