/*
 * raft_pipeline: replication throughput when messages take time to arrive,
 * with and without pipelining, beside the same cluster with no delay, in one
 * run (issue 13's pipelining target: with a 1 ms one-way delay, 3 nodes,
 * batches of 16, entries/s within 20% of the no-delay figure).
 *
 * The cluster is the shared fixture (c_fixture/cluster.h) in lean mode, as
 * in raft_bench. Time is virtual: the clock is the CPU time this thread has
 * used (so the machine's other load does not count) plus the waits that
 * were skipped. It is read once per loop iteration (a read costs about as
 * much as delivering a few messages): every message queued during an
 * iteration is stamped with that iteration's time, at most one iteration
 * (a few microseconds) early, and is delivered once the clock has passed its
 * stamp plus the delay (the queue is FIFO and the delay is the same for
 * every message, so delivery order is queue order). When nothing can be
 * delivered and the client cannot propose, the clock jumps to the next
 * delivery. So one core runs all the servers and the client (what they
 * compute takes the time it takes), and the wire adds the delay.
 *
 * Loop: deliver every message that is due; raft_periodic(0) on every server
 * (applies); the client hands one batch of B entries to the leader with
 * raft_retain_entries_batch, unless the leader refuses it with
 * RAFT_ERR_UNCOMMITTED_LIMIT (raft_set_max_uncommitted_bytes: the client's
 * back-pressure). Messages carry at most --max-msg-bytes of payload
 * (raft_set_max_msg_bytes). Entries/s is measured in steady state: entries
 * applied by the leader between the M/5-th and the M-th, over the virtual
 * time between the two.
 *
 * Configurations, run in turn in each of --runs rounds (so that the
 * machine's load hits them alike):
 *   pipelined      raft_set_max_inflight_msgs(--inflight), no delay    (the reference)
 *   pipelined      the same, --delay-us one-way delay
 *   stop-and-wait  raft_set_max_inflight_msgs(1), no delay
 *   stop-and-wait  the same, --delay-us one-way delay
 *
 *   raft_pipeline -n 3 -b 16 -m 200000 --delay-us 1000 --runs 5
 *       [--inflight 256] [--max-msg-bytes 65536] [--max-uncommitted 4194304]
 *
 * Prints a human line per configuration and "RESULT pipeline ..." lines:
 * medians with min and max over the runs, and the ratio of each run's
 * delayed figure to the same run's no-delay figure.
 */
#include "bench_common.h"
#include "cluster.h"
#include <malloc.h>

#define PAYLOAD 64
#define STAMPS (1u << 20) /* ring of send times: more than the queue ever holds */

static struct {
    cluster_t *c;
    int leader;
    long m, m0;
    uint64_t t0_ns, skipped_ns, now;  /* now: the virtual time read this iteration */
    double t_m0, t_m;           /* virtual seconds at which the leader applied entry m0 / m */
    long leader_applied;
    uint64_t stamps[STAMPS];
    unsigned long stamped;      /* messages stamped so far (queued ever) */
} P;

static char *g_payloads;

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
/* Reads the virtual clock. */
static uint64_t vnow(void) { return P.now = cpu_ns() - P.t0_ns + P.skipped_ns; }

static unsigned long queued_ever(const cluster_t *c) {
    unsigned long s = 0;
    for (int t = 0; t < CL_NTYPES; t++) s += c->sent[t];
    return s;
}
static unsigned long dequeued_ever(const cluster_t *c) { return c->delivered + c->dropped; }

/* Stamp the messages queued since the last stamp with this iteration's
 * time. Called after every library call that may send. */
static void stamp(void) {
    unsigned long q = queued_ever(P.c);
    if (q - dequeued_ever(P.c) >= STAMPS) { fprintf(stderr, "queue longer than the stamp ring\n"); exit(1); }
    for (; P.stamped < q; P.stamped++) P.stamps[P.stamped % STAMPS] = P.now;
}

static int on_apply(void *ctx, cl_server_t *s, raft_entry_t *e, raft_index_t idx) {
    (void)ctx; (void)idx;
    if (s->id != P.leader) return 0;
    P.leader_applied++;
    if (e->id == P.m0) P.t_m0 = (double)vnow() * 1e-9;
    if (e->id == P.m) P.t_m = (double)vnow() * 1e-9;
    return 0;
}

static void check(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "%s failed: %d\n", what, rc);
        exit(1);
    }
}

typedef struct {
    int inflight;
    long delay_us;
} config_t;

typedef struct {
    double eps;                 /* steady-state entries/s, virtual time */
    double idle;                /* share of virtual time skipped (waiting for the wire) */
    double msgs_per_entry, entries_per_ae;
    unsigned long refused;      /* batches refused with RAFT_ERR_UNCOMMITTED_LIMIT */
    uint64_t max_uncommitted;
} result_t;

static void run_once(int n, long m, int b, const config_t *cfg, uint64_t max_msg_bytes, uint64_t max_uncommitted,
                     result_t *out) {
    cl_options_t o;
    cl_options_init(&o);
    o.lean = 1;
    o.seed = 8;
    o.on_apply = on_apply;
    P.c = cl_new(&o);
    if (!P.c || cl_bootstrap(P.c, n) != 0) {
        fprintf(stderr, "cluster setup failed: %s\n", P.c ? cl_error(P.c) : "out of memory");
        exit(1);
    }
    P.leader = cl_elect(P.c, 100000);
    if (P.leader < 0) { fprintf(stderr, "no leader elected\n"); exit(1); }
    for (int i = 1; i <= n; i++) {
        raft_server_t *r = cl_raft(P.c, i);
        raft_set_max_inflight_msgs(r, cfg->inflight);
        raft_set_max_msg_bytes(r, max_msg_bytes);
        raft_set_max_uncommitted_bytes(r, max_uncommitted);
    }
    raft_server_t *leader = cl_raft(P.c, P.leader);
    P.m = m;
    P.m0 = m / 5 > 0 ? m / 5 : 1;
    P.leader_applied = 0;
    P.t_m0 = P.t_m = 0;
    P.skipped_ns = 0;
    P.stamped = queued_ever(P.c);
    unsigned long sent0 = queued_ever(P.c), ae0 = P.c->sent[CL_AE];
    msg_entry_t *batch = calloc((size_t)b, sizeof *batch);
    msg_entry_response_t *resp = calloc((size_t)b, sizeof *resp);
    if (!batch || !resp) { perror("calloc"); exit(2); }
    uint64_t delay = (uint64_t)cfg->delay_us * 1000u;
    long proposed = 0;
    unsigned long refused = 0, stalls = 0;
    uint64_t max_unc = 0;

    P.t0_ns = cpu_ns();
    P.now = 0;
    while (P.leader_applied < m) {
        int progressed = 0;
        vnow();
        while (cl_msg_count(P.c) > 0) {
            if (P.stamps[dequeued_ever(P.c) % STAMPS] + delay > P.now) break;
            cl_step(P.c, NULL);
            stamp();
            progressed = 1;
        }
        if (P.c->failures) { fprintf(stderr, "a delivery failed: %d\n", P.c->servers[1]->last_err); exit(1); }
        check(cl_periodic_all(P.c, 0), "raft_periodic");
        stamp();
        if (proposed < m) {
            int k = (int)(m - proposed < b ? m - proposed : b);
            for (int i = 0; i < k; i++) {
                long id = proposed + 1 + i;
                batch[i].id = (raft_entry_id_t)id;
                batch[i].type = RAFT_LOGTYPE_NORMAL;
                batch[i].data.buf = g_payloads + (size_t)(id - 1) * PAYLOAD;
                batch[i].data.len = PAYLOAD;
                resp[i].idx = 0;
            }
            int rc = raft_retain_entries_batch(leader, batch, k, resp);
            int accepted = 0;
            while (accepted < k && resp[accepted].idx > 0) accepted++;
            if (rc == RAFT_ERR_UNCOMMITTED_LIMIT) refused++;
            else check(rc, "raft_retain_entries_batch");
            if (accepted > 0) progressed = 1;
            proposed += accepted;
            uint64_t u = raft_get_uncommitted_bytes(leader);
            if (u > max_unc) max_unc = u;
            stamp();
        }
        if (!progressed) {
            if (cl_msg_count(P.c) > 0) {
                uint64_t due = P.stamps[dequeued_ever(P.c) % STAMPS] + delay;
                if (due > vnow()) P.skipped_ns += due - P.now;
            } else if (P.leader_applied < m) {
                /* nothing queued, nothing accepted: only a heartbeat can move things */
                check(raft_send_appendentries_all(leader), "raft_send_appendentries_all");
                stamp();
                if (++stalls > 1000) { fprintf(stderr, "replication stalled\n"); exit(1); }
            }
        }
    }
    double total = (double)vnow() * 1e-9;
    out->eps = (double)(m - P.m0) / (P.t_m - P.t_m0);
    out->idle = (double)P.skipped_ns * 1e-9 / total;
    out->msgs_per_entry = (double)(queued_ever(P.c) - sent0) / (double)m;
    out->entries_per_ae = (double)m * (n - 1) / (double)(P.c->sent[CL_AE] - ae0);
    out->refused = refused;
    out->max_uncommitted = max_unc;
    free(batch);
    free(resp);
    cl_free(P.c);
    P.c = NULL;
}

static void summary(const char *name, const config_t *cfg, double *eps, double *ratio, int runs, const result_t *last,
                    int n, int b, long m, uint64_t max_msg_bytes, uint64_t max_uncommitted) {
    double med = median(eps, runs), rmed = ratio ? median(ratio, runs) : 1;
    printf("%-13s inflight=%-4d delay=%5ld us: %10.0f entries/s (median of %d, %.0f-%.0f)", name, cfg->inflight,
           cfg->delay_us, med, runs, eps[0], eps[runs - 1]);
    if (ratio) printf(", %.3f of no delay (%.3f-%.3f)", rmed, ratio[0], ratio[runs - 1]);
    printf("; %.3f msgs/entry, %.1f entries/AE, idle %.0f%%, %lu batches refused, max uncommitted %llu B\n",
           last->msgs_per_entry, last->entries_per_ae, 100 * last->idle, last->refused,
           (unsigned long long)last->max_uncommitted);
    printf("RESULT pipeline mode=%s n=%d b=%d m=%ld runs=%d inflight=%d delay_us=%ld max_msg_bytes=%llu "
           "max_uncommitted=%llu entries_per_s=%.0f min=%.0f max=%.0f ratio=%.4f ratio_min=%.4f ratio_max=%.4f "
           "msgs_per_entry=%.4f entries_per_ae=%.2f idle=%.4f refused=%lu max_uncommitted_seen=%llu\n",
           name, n, b, m, runs, cfg->inflight, cfg->delay_us, (unsigned long long)max_msg_bytes,
           (unsigned long long)max_uncommitted, med, eps[0], eps[runs - 1], rmed, ratio ? ratio[0] : 1,
           ratio ? ratio[runs - 1] : 1, last->msgs_per_entry, last->entries_per_ae, last->idle, last->refused,
           (unsigned long long)last->max_uncommitted);
}

int main(int argc, char **argv) {
    int n = (int)arg_long(argc, argv, "-n", 3);
    int b = (int)arg_long(argc, argv, "-b", 16);
    long m = arg_long(argc, argv, "-m", 200000);
    long delay_us = arg_long(argc, argv, "--delay-us", 1000);
    int runs = (int)arg_long(argc, argv, "--runs", 5);
    int inflight = (int)arg_long(argc, argv, "--inflight", 256);
    long max_msg_bytes = arg_long(argc, argv, "--max-msg-bytes", 65536);
    long max_uncommitted = arg_long(argc, argv, "--max-uncommitted", 4 << 20);
    if (n < 1 || n > 7 || b < 1 || b > 100000 || m < 10 || delay_us < 0 || runs < 1 || runs > 64 || inflight < 2 ||
        max_msg_bytes < 0 || max_uncommitted < 0) {
        fprintf(stderr, "usage: raft_pipeline -n N(1..7) -b B -m M(>=10) [--delay-us D] [--runs R(1..64)] "
                        "[--inflight W(>=2)] [--max-msg-bytes X] [--max-uncommitted U]\n");
        return 2;
    }
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    g_payloads = malloc((size_t)m * PAYLOAD);
    if (!g_payloads) { perror("malloc"); return 2; }
    for (size_t i = 0; i < (size_t)m * PAYLOAD / 8; i++) {
        uint64_t word = (uint64_t)i * 0x9e3779b97f4a7c15ull + 7;
        memcpy(g_payloads + 8 * i, &word, 8);
    }

    enum { NCFG = 4 };
    const config_t cfgs[NCFG] = {{inflight, 0}, {inflight, delay_us}, {1, 0}, {1, delay_us}};
    const char *names[NCFG] = {"pipelined", "pipelined", "stop-and-wait", "stop-and-wait"};
    double eps[NCFG][64], ratio[NCFG][64];
    result_t last[NCFG];
    result_t warm; /* one warm-up run of each configuration, not counted */
    for (int k = 0; k < NCFG; k++)
        run_once(n, m < 50000 ? m : 50000, b, &cfgs[k], (uint64_t)max_msg_bytes, (uint64_t)max_uncommitted, &warm);
    for (int r = 0; r < runs; r++) {
        for (int k = 0; k < NCFG; k++) {
            run_once(n, m, b, &cfgs[k], (uint64_t)max_msg_bytes, (uint64_t)max_uncommitted, &last[k]);
            eps[k][r] = last[k].eps;
        }
        for (int k = 0; k < NCFG; k++) ratio[k][r] = eps[k][r] / eps[k & ~1][r];
    }
    for (int k = 0; k < NCFG; k++)
        summary(names[k], &cfgs[k], eps[k], k & 1 ? ratio[k] : NULL, runs, &last[k], n, b, m,
                (uint64_t)max_msg_bytes, (uint64_t)max_uncommitted);
    free(g_payloads);
    return 0;
}
