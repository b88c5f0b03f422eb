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
#include "bench_common.h"
#include <malloc.h>

#define MAXN 7
#define PAYLOAD 64

enum { RV, RVR, AE, AER, NKINDS };

typedef struct {
    int kind, from, to;
    union {
        msg_requestvote_t rv;
        msg_requestvote_response_t rvr;
        msg_appendentries_t ae;
        msg_appendentries_response_t aer;
    } u;
} msg_t;

/* Payload bytes received over the "wire" stay in a per-node arena until the
 * cluster is torn down (the receiver's log points at them; log_offer, the
 * persistence callback, does nothing). */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk_t;

static void *arena_alloc(chunk_t **a, size_t n) {
    if (!*a || (*a)->used + n > (*a)->cap) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        chunk_t *c = malloc(sizeof *c + cap);
        if (!c) { perror("malloc"); exit(2); }
        c->next = *a;
        c->used = 0;
        c->cap = cap;
        *a = c;
    }
    void *p = (*a)->data + (*a)->used;
    (*a)->used += n;
    return p;
}

static void arena_free(chunk_t **a) {
    while (*a) {
        chunk_t *n = (*a)->next;
        free(*a);
        *a = n;
    }
}

static struct {
    int n;
    raft_server_t *s[MAXN + 1];
    raft_node_t *peer[MAXN + 1][MAXN + 1]; /* peer[i][j]: server i's handle of node j */
    chunk_t *arena[MAXN + 1];
    msg_t *q;
    size_t qcap, qhead, qtail;
    /* counters */
    unsigned long sent[NKINDS], deliveries, ticks, heartbeats, applied_total;
    /* latency tracking (off under callgrind) */
    int track, leader;
    long m, committed_seen;
    unsigned long *submit_delivery;
    int *submit_tick, *lat_commit, *lat_apply;
    unsigned char *applied_cnt;
} C;

static void push(const msg_t *m) {
    if (C.qtail == C.qcap) {
        if (C.qhead > 0) {
            memmove(C.q, C.q + C.qhead, (C.qtail - C.qhead) * sizeof *C.q);
            C.qtail -= C.qhead;
            C.qhead = 0;
        } else {
            C.qcap = C.qcap ? 2 * C.qcap : 1024;
            C.q = realloc(C.q, C.qcap * sizeof *C.q);
            if (!C.q) { perror("realloc"); exit(2); }
        }
    }
    C.q[C.qtail++] = *m;
    C.sent[m->kind]++;
}

static int id_of(void *udata) { return (int)(size_t)udata; }

/* Peer id from a node handle without calling into the library. */
static int node_to_id(int self, raft_node_t *node) {
    for (int j = 1; j <= C.n; j++)
        if (C.peer[self][j] == node) return j;
    fprintf(stderr, "unknown node handle\n");
    exit(2);
}

static int send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m) {
    (void)r;
    msg_t x = {.kind = RV, .from = id_of(ud)};
    x.to = node_to_id(x.from, node);
    x.u.rv = *m;
    push(&x);
    return 0;
}

static int send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m) {
    (void)r;
    msg_t x = {.kind = AE, .from = id_of(ud)};
    x.to = node_to_id(x.from, node);
    x.u.ae = *m;
    if (m->n_entries > 0) { /* the wire: entry headers and payload bytes are copied */
        msg_entry_t *es = malloc(sizeof *es * (size_t)m->n_entries);
        if (!es) { perror("malloc"); exit(2); }
        for (int i = 0; i < m->n_entries; i++) {
            es[i] = m->entries[i];
            es[i].data.buf = arena_alloc(&C.arena[x.to], m->entries[i].data.len);
            memcpy(es[i].data.buf, m->entries[i].data.buf, m->entries[i].data.len);
        }
        x.u.ae.entries = es;
    } else {
        x.u.ae.entries = NULL;
    }
    push(&x);
    return 0;
}

static char *g_payloads; /* the client's M payloads, owned by the application */
static int g_verify;
static unsigned long g_bad;

static int log_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx) {
    (void)r; (void)ud;
    C.applied_total++;
    if (g_verify && (idx < 1 || idx > C.m || e->id != (raft_entry_id_t)idx || e->data.len != PAYLOAD ||
                     memcmp(e->data.buf, g_payloads + (size_t)(idx - 1) * PAYLOAD, PAYLOAD) != 0))
        g_bad++;
    if (C.track && idx >= 1 && idx <= C.m && ++C.applied_cnt[idx] == C.n)
        C.lat_apply[idx - 1] = (int)(C.ticks - (unsigned long)C.submit_tick[idx]);
    return 0;
}

static int persist_vote(raft_server_t *r, void *ud, raft_node_id_t v) { (void)r; (void)ud; (void)v; return 0; }
static int persist_term(raft_server_t *r, void *ud, raft_term_t t, raft_node_id_t v) {
    (void)r; (void)ud; (void)t; (void)v;
    return 0;
}
static int log_nop(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx) {
    (void)r; (void)ud; (void)e; (void)idx;
    return 0;
}

static void check(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "%s failed: %d\n", what, rc);
        exit(1);
    }
}

static void deliver_all(void) {
    while (C.qhead < C.qtail) {
        msg_t m = C.q[C.qhead++];
        C.deliveries++;
        raft_server_t *to = C.s[m.to];
        raft_node_t *from = C.peer[m.to][m.from];
        msg_t reply = {.from = m.to, .to = m.from};
        switch (m.kind) {
        case RV:
            check(raft_recv_requestvote(to, from, &m.u.rv, &reply.u.rvr), "recv_requestvote");
            reply.kind = RVR;
            push(&reply);
            break;
        case RVR:
            check(raft_recv_requestvote_response(to, from, &m.u.rvr), "recv_requestvote_response");
            break;
        case AE:
            check(raft_recv_appendentries(to, from, &m.u.ae, &reply.u.aer), "recv_appendentries");
            free(m.u.ae.entries);
            reply.kind = AER;
            push(&reply);
            break;
        case AER: {
            int rc = raft_recv_appendentries_response(to, from, &m.u.aer);
            if (rc != 0 && rc != RAFT_ERR_NOT_LEADER) check(rc, "recv_appendentries_response");
            if (C.track && m.to == C.leader) {
                long c = raft_get_commit_idx(to);
                while (C.committed_seen < c && C.committed_seen < C.m) {
                    C.committed_seen++;
                    C.lat_commit[C.committed_seen - 1] =
                        (int)(C.deliveries - C.submit_delivery[C.committed_seen]);
                }
            }
            break;
        }
        }
        if (C.qhead == C.qtail) C.qhead = C.qtail = 0;
    }
}

static void tick_all(int ms) {
    C.ticks++;
    for (int i = 1; i <= C.n; i++) check(raft_periodic(C.s[i], ms), "raft_periodic");
}

typedef struct {
    double secs;
    unsigned long msgs, ae, ticks, heartbeats;
    long commit_p50, commit_p99, apply_p50, apply_p99;
    double lib_bytes_per_entry, lib_allocs_per_entry;
} run_t;

static void run_once(int n, long m, int b, int track, run_t *out) {
    raft_cbs_t cbs = {0};
    cbs.send_requestvote = send_rv;
    cbs.send_appendentries = send_ae;
    cbs.log_apply = log_apply;
    cbs.persist_vote = persist_vote;
    cbs.persist_term = persist_term;
    cbs.log_offer = log_nop;
    cbs.log_poll = log_nop;
    cbs.log_pop = log_nop;
    cbs.log_clear = log_nop;

    C.n = n;
    C.m = m;
    C.track = track;
    for (int i = 1; i <= n; i++) {
        C.s[i] = raft_new();
        if (!C.s[i]) { fprintf(stderr, "raft_new failed\n"); exit(1); }
        raft_set_callbacks(C.s[i], &cbs, (void *)(size_t)i);
        raft_set_random_seed(C.s[i], (uint64_t)i * 7919u);
        for (int j = 1; j <= n; j++)
            if (!raft_add_node(C.s[i], NULL, j, i == j)) { fprintf(stderr, "add_node failed\n"); exit(1); }
    }
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= n; j++) C.peer[i][j] = raft_get_node(C.s[i], j);

    /* Elect a leader by ticking. */
    C.leader = 0;
    for (int t = 0; t < 1000 && !C.leader; t++) {
        tick_all(100);
        deliver_all();
        for (int i = 1; i <= n; i++)
            if (raft_is_leader(C.s[i])) C.leader = i;
    }
    if (!C.leader) { fprintf(stderr, "no leader elected\n"); exit(1); }
    raft_server_t *leader = C.s[C.leader];

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
    memset(C.sent, 0, sizeof C.sent);
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
    out->msgs = C.sent[RV] + C.sent[RVR] + C.sent[AE] + C.sent[AER];
    out->ae = C.sent[AE];
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

    for (int i = 1; i <= n; i++) {
        raft_free(C.s[i]);
        arena_free(&C.arena[i]);
    }
    C.qhead = C.qtail = 0;
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

    g_payloads = malloc((size_t)m * PAYLOAD);
    for (size_t i = 0; i < (size_t)m * PAYLOAD; i++) g_payloads[i] = (char)(i * 31 + 7);

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
