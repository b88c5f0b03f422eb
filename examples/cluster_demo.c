/*
 * cluster_demo: three Raft servers in one process, linked against libraft
 * through include/raft.h exactly as an application would. Messages travel
 * through an in-memory queue (payloads copied, as a wire would); the demo
 * elects a leader, commits a few entries and prints what each server applied.
 *
 *   make cluster-demo
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "raft.h"

#define N 3
#define QMAX 4096

typedef enum { RV, RVR, AE, AER } kind_t;
typedef struct {
    kind_t kind;
    int from, to;
    msg_requestvote_t rv;
    msg_requestvote_response_t rvr;
    msg_appendentries_t ae;
    msg_appendentries_response_t aer;
} msg_t;

static raft_server_t *servers[N + 1];
static msg_t queue[QMAX];
static int qhead, qtail;

static void push(msg_t m) {
    if (qtail - qhead < QMAX) queue[qtail++ % QMAX] = m;
}

static int self_id(void *udata) { return (int)(size_t)udata; }

static int send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m) {
    (void)r;
    msg_t x = {.kind = RV, .from = self_id(ud), .to = raft_node_get_id(node), .rv = *m};
    push(x);
    return 0;
}

static int send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m) {
    (void)r;
    msg_t x = {.kind = AE, .from = self_id(ud), .to = raft_node_get_id(node), .ae = *m};
    if (m->n_entries > 0) { /* copy entries and payloads, as a wire would */
        x.ae.entries = malloc(sizeof(msg_entry_t) * (size_t)m->n_entries);
        for (int i = 0; i < m->n_entries; i++) {
            x.ae.entries[i] = m->entries[i];
            x.ae.entries[i].data.buf = malloc(m->entries[i].data.len);
            memcpy(x.ae.entries[i].data.buf, m->entries[i].data.buf, m->entries[i].data.len);
        }
    }
    push(x);
    return 0;
}

static int log_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx) {
    (void)r;
    printf("  node %d applies #%ld: %.*s\n", self_id(ud), idx, (int)e->data.len, (char *)e->data.buf);
    return 0;
}

/* The payload of an entry leaving the log is ours to free. */
static int log_free_payload(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx) {
    (void)r; (void)ud; (void)idx;
    free(e->data.buf);
    return 0;
}

static void deliver_all(void) {
    while (qhead < qtail) {
        msg_t m = queue[qhead++ % QMAX];
        raft_server_t *to = servers[m.to];
        raft_node_t *from = raft_get_node(to, m.from);
        msg_t reply = {.from = m.to, .to = m.from};
        switch (m.kind) {
        case RV:
            raft_recv_requestvote(to, from, &m.rv, &reply.rvr);
            reply.kind = RVR;
            push(reply);
            break;
        case RVR:
            raft_recv_requestvote_response(to, from, &m.rvr);
            break;
        case AE: {
            raft_recv_appendentries(to, from, &m.ae, &reply.aer);
            /* entries the receiver did not keep (duplicates) are still ours */
            for (int i = 0; i < m.ae.n_entries; i++) {
                raft_entry_t *kept = raft_get_entry_from_idx(to, m.ae.prev_log_idx + 1 + i);
                if (!kept || kept->data.buf != m.ae.entries[i].data.buf) free(m.ae.entries[i].data.buf);
            }
            free(m.ae.entries);
            reply.kind = AER;
            push(reply);
            break;
        }
        case AER:
            raft_recv_appendentries_response(to, from, &m.aer);
            break;
        }
    }
}

int main(void) {
    raft_cbs_t cbs = {0};
    cbs.send_requestvote = send_rv;
    cbs.send_appendentries = send_ae;
    cbs.log_apply = log_apply;
    cbs.log_pop = log_free_payload;
    cbs.log_poll = log_free_payload;
    cbs.log_clear = log_free_payload;

    for (int i = 1; i <= N; i++) {
        servers[i] = raft_new();
        raft_set_callbacks(servers[i], &cbs, (void *)(size_t)i);
        raft_set_random_seed(servers[i], (uint64_t)i);
        for (int j = 1; j <= N; j++) raft_add_node(servers[i], NULL, j, i == j);
    }

    int leader = 0;
    for (int t = 0; t < 100 && !leader; t++) {
        for (int i = 1; i <= N; i++) raft_periodic(servers[i], 100);
        deliver_all();
        for (int i = 1; i <= N; i++)
            if (raft_is_leader(servers[i])) leader = i;
    }
    if (!leader) { fprintf(stderr, "no leader elected\n"); return 1; }
    printf("leader: node %d (term %ld)\n", leader, raft_get_current_term(servers[leader]));

    const char *words[] = {"alpha", "bravo", "charlie", "delta", "echo"};
    for (int k = 0; k < 5; k++) {
        msg_entry_t e = {0};
        e.id = k + 1;
        e.data.len = (unsigned)strlen(words[k]);
        e.data.buf = malloc(e.data.len);
        memcpy(e.data.buf, words[k], e.data.len);
        msg_entry_response_t r;
        if (raft_retain_entries(servers[leader], &e, &r) != 0) { fprintf(stderr, "retain failed\n"); return 1; }
        deliver_all();
        printf("entry %d at index %ld committed: %s\n", k + 1, r.idx,
               raft_msg_entry_response_committed(servers[leader], &r) == 1 ? "yes" : "no");
    }
    for (int t = 0; t < 3; t++) { /* heartbeats carry the commit index to followers */
        for (int i = 1; i <= N; i++) raft_periodic(servers[i], 200);
        deliver_all();
    }
    for (int i = 1; i <= N; i++)
        printf("node %d: %s term %ld commit %ld applied %ld\n", i,
               raft_is_leader(servers[i]) ? "leader  " : "follower", raft_get_current_term(servers[i]),
               raft_get_commit_idx(servers[i]), raft_get_last_applied_idx(servers[i]));
    for (int i = 1; i <= N; i++) {
        for (raft_index_t idx = raft_get_current_idx(servers[i]) - raft_get_log_count(servers[i]) + 1;
             idx <= raft_get_current_idx(servers[i]); idx++)
            free(raft_get_entry_from_idx(servers[i], idx)->data.buf);
        raft_free(servers[i]);
    }
    return 0;
}
