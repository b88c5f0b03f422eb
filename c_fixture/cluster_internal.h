/* Shared by the fixture's own files (cluster.c, cluster_net.c,
 * cluster_store.c, cluster_lean.c); not for harnesses. */
#ifndef C_FIXTURE_CLUSTER_INTERNAL_H
#define C_FIXTURE_CLUSTER_INTERNAL_H

#include "cluster.h"

#include <stddef.h>

/* Allocation that aborts when memory runs out (the only abort). */
void *cl_xmalloc(size_t n);
void *cl_xcalloc(size_t n, size_t size);
void *cl_xrealloc(void *p, size_t n);
/* A copy of len bytes; NULL when len is 0. */
void *cl_memdup(const void *p, unsigned len);

/* Bytes that live until the arena is freed (lean mode's received payloads,
 * and the entry arrays of queued messages). Chunks of at least 1 MiB. */
struct cl_arena {
    struct cl_arena *next;
    size_t used, cap;
    char data[];
};
void *cl_arena_alloc(struct cl_arena **a, size_t n);
void cl_arena_free(struct cl_arena **a);
/* Forget every allocation but keep the newest chunk for reuse. */
void cl_arena_reset(struct cl_arena **a);

/* The allocation fast path, inlined on lean mode's hot path. */
static inline void *cl_arena_take(struct cl_arena **a, size_t n)
{
    struct cl_arena *chunk = *a;
    n = (n + 7) & ~(size_t)7;   /* keeps entry arrays aligned */
    if (chunk && chunk->used + n <= chunk->cap) {
        void *p = chunk->data + chunk->used;
        chunk->used += n;
        return p;
    }
    return cl_arena_alloc(a, n);
}

/* Grow or compact the queue so that one more message fits. */
void cl_queue_make_room(cluster_t *c);
/* A new slot at the tail of the queue. */
static inline cl_msg_t *cl_queue_slot(cluster_t *c)
{
    if (c->qtail == c->qcap)
        cl_queue_make_room(c);
    return &c->q[c->qtail++];
}

void cl_emit(cluster_t *c, const cl_event_t *ev);
void cl_emit_sent(cluster_t *c, cl_server_t *s, const cl_msg_t *m);
/* Count a violation, keep the first, report it as a CL_EV_VIOLATION event. */
void cl_violation(cluster_t *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A safety_* report's result: a violation becomes the cluster's. */
void cl_safety_result(cluster_t *c, int rc);

/* Queue a message leaving server s (the queue takes over m's copies). */
void cl_send(cl_server_t *s, const cl_msg_t *m);

/* The model's entry at idx, NULL outside base+1 .. base+count. */
raft_entry_t *cl_model_entry(cl_server_t *s, raft_index_t idx);
void cl_snapshot_copy(cl_snapshot_t *dst, const cl_snapshot_t *src);
void cl_snapshot_clear(cl_snapshot_t *s);
/* The state machine becomes the snapshot's (empty without one). */
void cl_sm_reset(cl_server_t *s, const cl_snapshot_t *snap);
void cl_free_log(cl_server_t *s);

/* Load a Snapshot message into dst and answer it. */
void cl_recv_snapshot(cluster_t *c, cl_server_t *dst, cl_msg_t *m);
/* Add a member to a server's configuration. */
void cl_add_member(raft_server_t *r, int id, int voting, int is_self);

/* Send callbacks (cluster_net.c), used by the tables below. */
int cl_cb_send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m);
int cl_cb_send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m);
int cl_cb_send_snapshot(raft_server_t *r, void *ud, raft_node_t *node);
/* log_get_node_id: configuration entries name their node in decimal. */
int cl_cb_node_id(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx);

/* Callback tables: with the storage model, and lean mode's. */
extern const raft_cbs_t cl_cbs_model;
extern const raft_cbs_t cl_cbs_lean;

/* The extension table (cluster_ext.c), and the delivery of its messages
 * (CL_TN, CL_RI, CL_RIR) to dst, from its handle of the sender. */
extern const raft_cbs_ext_t cl_cbs_ext;
void cl_deliver_ext(cluster_t *c, cl_server_t *dst, raft_node_t *from, cl_msg_t *m, cl_delivery_t *d);

/* cl_step and cl_deliver_all in lean mode without chaos (cluster_lean.c). */
int cl_lean_step(cluster_t *c, cl_step_t *out);
long cl_lean_deliver_all(cluster_t *c, long max);

#endif
