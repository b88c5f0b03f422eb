/*
 * raft_bench: replication throughput of an in-process cluster of N libraft
 * servers, driven through the C ABI only (include/raft.h, libraft.so).
 *
 * The cluster is the shared fixture (c_fixture/cluster.h) in lean mode: one
 * in-memory FIFO of messages; appendentries payloads are copied as a wire
 * would (entry array + payload bytes, the bytes into the receiver's arena,
 * where its log keeps pointing); persistence callbacks do nothing (the
 * library's log is the in-memory store); no checks. A leader is elected by
 * ticking, then M entries of 64 bytes are submitted in batches of B, with
 * one raft_retain_entries call per entry, or with --batch-call one
 * raft_retain_entries_batch call per batch. Then, per batch:
 *
 *   default     messages are delivered until the queue is empty, then every
 *               server gets raft_periodic(0) (a "tick", which applies what
 *               it knows to be committed);
 *   --rounds    delivery rounds until a round finds nothing queued: a round
 *               delivers the messages queued before it (replies wait for the
 *               next round), then ticks every server. This is the loop of
 *               the raft-rs reference (bench/src/lib.rs: a round steps the
 *               queued messages, then one Ready cycle per node).
 *
 * Followers learn the commit index from the next appendentries; after the
 * last batch the leader sends heartbeats (raft_send_appendentries_all,
 * counted) until every server applied all M.
 *
 *   raft_bench -n 3 -b 16 -m 200000 --runs 5     one configuration
 *   raft_bench ... --batch-call                   one raft_retain_entries_batch per batch
 *   raft_bench ... --batch-offer                  every server registers log_offer_batch (raft_cbs_ext_t):
 *                                                 one offer per run appended, instead of one log_offer each
 *   raft_bench ... --rounds                       delivery rounds (see above)
 *   raft_bench ... --inflight W                   raft_set_max_inflight_msgs(W) on every server
 *   raft_bench ... --warmup K                     K runs first that are not counted
 *   raft_bench ... --no-latency                   no per-message latency tracking (timed comparisons)
 *   raft_bench ... --instr                        one run, no latency tracking (callgrind)
 *   raft_bench ... --verify                       check every applied entry's id and payload
 *
 * Prints one human line and one "RESULT key=value ..." line (entries/s by
 * the wall clock: median, min and max over the counted runs; also the
 * median by this thread's CPU time, which the machine's other load does not
 * inflate).
 */
#include "bench_common.h"
#include "cluster.h"
#include <limits.h>
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
static int g_verify, g_batch_call, g_batch_offer, g_rounds, g_inflight;
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

/* Deliver at most `max` messages (fewer if the queue runs empty); with
 * latency tracking, noting when the leader's commit index moves. */
static long deliver(long max) {
    cl_step_t st;
    long k = 0;
    if (!C.track && max == LONG_MAX) {
        k = cl_deliver_all(C.c);
    } else {
        while (k < max && cl_step(C.c, &st)) {
            k++;
            if (C.track && st.type == CL_AER && st.to == C.leader) {
                long c = raft_get_commit_idx(cl_raft(C.c, C.leader));
                while (C.committed_seen < c && C.committed_seen < C.m) {
                    C.committed_seen++;
                    C.lat_commit[C.committed_seen - 1] = (int)(C.deliveries + (unsigned long)k -
                                                               C.submit_delivery[C.committed_seen]);
                }
            }
        }
    }
    C.deliveries += (unsigned long)k;
    check_deliveries();
    return k;
}

static void tick_all(int ms) {
    C.ticks++;
    check(cl_periodic_all(C.c, ms), "raft_periodic");
}

/* After a batch: deliver until the queue is empty, then tick; or, with
 * --rounds, rounds (deliver what is queued, tick every server) until a
 * round finds nothing queued. */
static void settle(void) {
    if (!g_rounds) {
        deliver(LONG_MAX);
        tick_all(0);
        return;
    }
    for (;;) {
        long queued = cl_msg_count(C.c);
        deliver(queued);
        tick_all(0);
        if (queued == 0) return;
    }
}

typedef struct {
    double secs, cpu_secs;      /* wall clock and this thread's CPU time of the timed part */
    unsigned long msgs, ae, ticks, heartbeats;
    long commit_p50, commit_p99, apply_p50, apply_p99;
    double lib_bytes_per_entry, lib_allocs_per_entry;
} run_t;

/* --batch-offer: entries live in the library's log only, as with log_offer */
static int offer_batch_nothing(raft_server_t *r, void *ud, raft_entry_t *entries, raft_index_t first_idx, int n) {
    (void)r; (void)ud; (void)entries; (void)first_idx; (void)n;
    return 0;
}

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
    if (g_inflight > 0)
        for (int i = 1; i <= n; i++) raft_set_max_inflight_msgs(cl_raft(C.c, i), g_inflight);
    if (g_batch_offer) {
        raft_cbs_ext_t ext;
        memset(&ext, 0, sizeof ext);
        ext.log_offer_batch = offer_batch_nothing;
        for (int i = 1; i <= n; i++) check(raft_set_ext_callbacks(cl_raft(C.c, i), &ext, sizeof ext), "raft_set_ext_callbacks");
    }

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

    msg_entry_t *batch = calloc((size_t)b, sizeof *batch);
    if (!batch) { perror("calloc"); exit(2); }
    double t0 = wall_s(), c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    for (long next = 1; next <= m; next += b) {
        long end = next + b - 1 < m ? next + b - 1 : m;
        for (long k = next; k <= end; k++) {
            msg_entry_t *e = &batch[k - next];
            e->id = (raft_entry_id_t)k;
            e->type = RAFT_LOGTYPE_NORMAL;
            e->data.buf = g_payloads + (size_t)(k - 1) * PAYLOAD;
            e->data.len = PAYLOAD;
            if (track) {
                C.submit_delivery[base + k] = C.deliveries;
                C.submit_tick[base + k] = (int)C.ticks;
            }
            if (!g_batch_call) check(raft_retain_entries(leader, e, NULL), "raft_retain_entries");
        }
        if (g_batch_call)
            check(raft_retain_entries_batch(leader, batch, (int)(end - next + 1), NULL), "raft_retain_entries_batch");
        settle();
    }
    while (C.applied_total < (unsigned long)n * (unsigned long)m) {
        check(raft_send_appendentries_all(leader), "raft_send_appendentries_all");
        C.heartbeats++;
        settle();
        if (C.heartbeats > 1000) { fprintf(stderr, "entries never applied everywhere\n"); exit(1); }
    }
    double t1 = wall_s(), c1 = now_s(CLOCK_THREAD_CPUTIME_ID);

    free(batch);
    out->secs = t1 - t0;
    out->cpu_secs = c1 - c0;
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
    int warmup = (int)arg_long(argc, argv, "--warmup", 0);
    int instr = arg_flag(argc, argv, "--instr");
    int track = !instr && !arg_flag(argc, argv, "--no-latency");
    g_verify = arg_flag(argc, argv, "--verify");
    g_batch_call = arg_flag(argc, argv, "--batch-call");
    g_batch_offer = arg_flag(argc, argv, "--batch-offer");
    g_rounds = arg_flag(argc, argv, "--rounds");
    g_inflight = (int)arg_long(argc, argv, "--inflight", 0);
    if (n < 1 || n > MAXN || b < 1 || b > 1000000 || m < 1 || runs < 1 || runs > 64 || warmup < 0 || g_inflight < 0) {
        fprintf(stderr, "usage: raft_bench -n N(1..%d) -b B -m M [--runs R(1..64)] [--warmup K] [--batch-call] "
                        "[--batch-offer] [--rounds] [--inflight W] [--no-latency] [--instr] [--verify]\n", MAXN);
        return 2;
    }
    if (instr) runs = 1, warmup = 0;
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

    double rates[64], cpu_rates[64];
    run_t r = {0};
    for (int i = 0; i < warmup; i++) run_once(n, m, b, track, &r);
    for (int i = 0; i < runs; i++) {
        run_once(n, m, b, track, &r);
        rates[i] = (double)m / r.secs;
        cpu_rates[i] = (double)m / r.cpu_secs;
    }
    double cpu_rate = median(cpu_rates, runs);
    double rate = median(rates, runs); /* sorts */
    double rate_min = rates[0], rate_max = rates[runs - 1];
    if (g_verify) {
        printf("verify: %lu entries applied with a wrong id or payload\n", g_bad);
        if (g_bad) return 1;
    }
    long rss = peak_rss_kb();
    free(g_payloads);

    printf("N=%d B=%-3d M=%ld: %.0f entries/s (median of %d, %.0f-%.0f), %.3f msgs/entry (%.3f AE/entry), "
           "%lu ticks, %lu heartbeats, commit latency p50/p99 %ld/%ld deliveries, "
           "applied-everywhere p50/p99 %ld/%ld ticks, peak RSS %ld KiB, "
           "library heap %.1f B/entry/node, %.3f library allocs/entry\n",
           n, b, m, rate, runs, rate_min, rate_max, (double)r.msgs / (double)m, (double)r.ae / (double)m, r.ticks,
           r.heartbeats, r.commit_p50, r.commit_p99, r.apply_p50, r.apply_p99, rss, r.lib_bytes_per_entry,
           r.lib_allocs_per_entry);
    printf("RESULT n=%d b=%d m=%ld runs=%d entries_per_s=%.0f min=%.0f max=%.0f batch_call=%d rounds=%d "
           "inflight=%d cpu_entries_per_s=%.0f msgs_per_entry=%.4f ae_per_entry=%.4f "
           "ticks=%lu heartbeats=%lu commit_p50=%ld commit_p99=%ld apply_p50=%ld apply_p99=%ld "
           "peak_rss_kb=%ld lib_bytes_per_entry=%.2f lib_allocs_per_entry=%.4f\n",
           n, b, m, runs, rate, rate_min, rate_max, g_batch_call, g_rounds, g_inflight, cpu_rate, (double)r.msgs / (double)m,
           (double)r.ae / (double)m, r.ticks, r.heartbeats,
           r.commit_p50, r.commit_p99, r.apply_p50, r.apply_p99, rss, r.lib_bytes_per_entry,
           r.lib_allocs_per_entry);
    return 0;
}
