/*
 * cluster_demo: three Raft servers in one process, linked against libraft
 * through include/raft.h exactly as an application would. They run on the
 * shared in-process cluster (c_fixture/cluster.h): messages travel through an
 * in-memory queue (payloads copied, as a wire would) and each server's
 * callbacks persist its term, vote and log to an in-memory model of stable
 * storage. How those callbacks are written is in c_fixture/cluster_store.c
 * (persistence, apply) and c_fixture/cluster_net.c (sending, receiving). The
 * demo elects a leader, commits a few entries and prints what each server
 * applied; a safety checker watches every step.
 *
 *   make cluster-demo
 */
#include <stdio.h>
#include <string.h>
#include "cluster.h"

#define N 3

/* log_apply: the entry is committed; here the state machine just prints it. */
static int apply(void *ctx, cl_server_t *s, raft_entry_t *e, raft_index_t idx) {
    (void)ctx;
    printf("  node %d applies #%ld: %.*s\n", s->id, idx, (int)e->data.len, (char *)e->data.buf);
    return 0;
}

int main(void) {
    cl_options_t o;
    cl_options_init(&o);
    o.on_apply = apply;
    o.check_commits = 1;
    cluster_t *c = cl_new(&o);
    if (!c || cl_bootstrap(c, N) != 0) {
        fprintf(stderr, "setup failed: %s\n", c ? cl_error(c) : "out of memory");
        return 1;
    }

    int leader = cl_elect(c, 10000); /* raft_periodic on every server, deliver, repeat */
    if (leader < 0) { fprintf(stderr, "no leader elected\n"); return 1; }
    printf("leader: node %d (term %ld)\n", leader, raft_get_current_term(cl_raft(c, leader)));

    const char *words[] = {"alpha", "bravo", "charlie", "delta", "echo"};
    for (int k = 0; k < 5; k++) {
        msg_entry_response_t r;
        /* raft_retain_entries on the leader; log_offer keeps a copy of the payload */
        if (cl_propose(c, leader, k + 1, RAFT_LOGTYPE_NORMAL, words[k], (unsigned)strlen(words[k]), &r) != 0) {
            fprintf(stderr, "retain failed\n");
            return 1;
        }
        cl_deliver_all(c);
        printf("entry %d at index %ld committed: %s\n", k + 1, r.idx,
               raft_msg_entry_response_committed(cl_raft(c, leader), &r) == 1 ? "yes" : "no");
    }
    for (int t = 0; t < 3; t++) /* heartbeats carry the commit index to followers */
        cl_tick(c, 200);
    for (int i = 1; i <= N; i++) {
        raft_server_t *r = cl_raft(c, i);
        printf("node %d: %s term %ld commit %ld applied %ld\n", i, raft_is_leader(r) ? "leader  " : "follower",
               raft_get_current_term(r), raft_get_commit_idx(r), raft_get_last_applied_idx(r));
    }
    cl_check_logs(c);
    int safe = cl_violations(c) == 0;
    printf("safety: %s\n", safe ? "no violation" : cl_first_violation(c));
    cl_free(c);
    return safe ? 0 : 1;
}
