/* Lean mode (cl_options_t.lean): the fixture as a benchmark harness. Fixed
 * membership with cached node handles, no storage model (the library's log
 * points at received payload bytes kept in the receiver's arena), no checks,
 * and a delivery loop with nothing on it but the library calls: what this
 * file costs per entry is counted against the library's in bench/. */
#include "cluster_internal.h"

#include <stdlib.h>
#include <string.h>

static int lean_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_server_t *s = ud;
    (void)r;
    return s->c->o.on_apply ? s->c->o.on_apply(s->c->o.ctx, s, e, idx) : 0;
}

static int lean_persist_vote(raft_server_t *r, void *ud, raft_node_id_t vote)
{
    cl_server_t *s = ud;
    (void)r;
    s->p_vote = vote;
    return 0;
}

static int lean_persist_term(raft_server_t *r, void *ud, raft_term_t term, raft_node_id_t vote)
{
    cl_server_t *s = ud;
    (void)r;
    s->p_term = term;
    s->p_vote = vote;
    return 0;
}

/* log_offer/poll/pop/clear: the payload stays in the receiver's arena. */
static int lean_log_nothing(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)r; (void)ud; (void)e; (void)idx;
    return 0;
}

/* The peer's id from our cached handles, without calling the library. */
static int peer_id(const cl_server_t *s, const raft_node_t *node, int n)
{
    int j;
    for (j = 1; j <= n; j++)
        if (s->peer[j] == node)
            return j;
    return raft_node_get_id((raft_node_t *)node);
}

/* The message is written in place; entry headers go to the queue's pool,
 * payload bytes to the receiver's arena (the wire copies both). */
static int lean_send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m)
{
    cl_server_t *s = ud;
    cluster_t *c = s->c;
    int to = peer_id(s, node, c->n), i;
    cl_server_t *dst = (unsigned)(to - 1) < CL_MAX_SERVERS ? c->servers[to] : NULL;
    cl_msg_t *x = cl_queue_slot(c);
    (void)r;
    x->type = CL_AE;
    x->from = s->id;
    x->to = to;
    x->u.ae = *m;
    x->snap = NULL;
    if (m->n_entries > 0 && dst) {
        msg_entry_t *es = cl_arena_take(&c->pool, (size_t)m->n_entries * sizeof(msg_entry_t));
        for (i = 0; i < m->n_entries; i++) {
            unsigned len = m->entries[i].data.len;
            es[i] = m->entries[i];
            es[i].data.buf = NULL;
            if (len) {
                es[i].data.buf = cl_arena_take(&dst->arena, len);
                memcpy(es[i].data.buf, m->entries[i].data.buf, len);
            }
        }
        x->u.ae.entries = es;
    } else {
        x->u.ae.entries = NULL;
    }
    c->sent[CL_AE]++;
    if (c->o.on_event)
        cl_emit_sent(c, s, x);
    return 0;
}

const raft_cbs_t cl_cbs_lean = {
    cl_cb_send_rv, lean_send_ae, NULL, lean_apply, lean_persist_vote, lean_persist_term,
    lean_log_nothing, lean_log_nothing, lean_log_nothing, lean_log_nothing, cl_cb_node_id, NULL, NULL, NULL
};

static cl_msg_t *reply_slot(cluster_t *c, cl_msg_type_t type, int from, int to)
{
    cl_msg_t *x = cl_queue_slot(c);
    x->type = type;
    x->from = from;
    x->to = to;
    x->snap = NULL;
    c->sent[type]++;
    return x;
}

/* Deliver one popped message. Returns whether it reached a running server;
 * *rc is the library's result. */
static inline int deliver_one(cluster_t *c, cl_msg_t *m, int *rc)
{
    cl_server_t *dst = (unsigned)(m->to - 1) < CL_MAX_SERVERS ? c->servers[m->to] : NULL;
    raft_node_t *from;
    cl_msg_t *x;
    if (!dst || !dst->r || dst->paused || c->cut[m->from][m->to]) {
        c->dropped++;
        return 0;
    }
    from = dst->peer[m->from];
    c->delivered++;
    switch (m->type) {
    case CL_AE: {
        msg_appendentries_response_t aer;
        *rc = raft_recv_appendentries(dst->r, from, &m->u.ae, &aer);
        if (*rc == 0) {
            x = reply_slot(c, CL_AER, m->to, m->from);
            x->u.aer = aer;
            if (c->o.on_event)
                cl_emit_sent(c, dst, x);
        }
        break;
    }
    case CL_AER:
        *rc = raft_recv_appendentries_response(dst->r, from, &m->u.aer);
        break;
    case CL_RV: {
        msg_requestvote_response_t rvr;
        *rc = raft_recv_requestvote(dst->r, from, &m->u.rv, &rvr);
        if (*rc == 0) {
            x = reply_slot(c, CL_RVR, m->to, m->from);
            x->u.rvr = rvr;
            if (c->o.on_event)
                cl_emit_sent(c, dst, x);
        }
        break;
    }
    case CL_RVR:
        *rc = raft_recv_requestvote_response(dst->r, from, &m->u.rvr);
        break;
    case CL_SNAP:
    case CL_TN:
    case CL_RI:
    case CL_RIR:
    case CL_NTYPES:
        break;
    }
    if (*rc != 0) {
        dst->last_err = *rc;
        c->failed[m->type]++;
        c->failures++;
    }
    return 1;
}

/* The queue ran empty: nothing queued refers to the pool any more. */
static inline void queue_emptied(cluster_t *c)
{
    c->qhead = c->qtail = 0;
    if (c->pool && c->pool->next)
        cl_arena_reset(&c->pool);
    else if (c->pool)
        c->pool->used = 0;
}

/* Pop the oldest message and deliver it where it lies: sends during the
 * delivery never move it (cl_queue_make_room keeps the old storage). */
static inline int step_in_place(cluster_t *c, cl_step_t *out)
{
    cl_msg_t *m = &c->q[c->qhead++];
    int rc = 0, delivered;
    c->delivering = 1;
    delivered = deliver_one(c, m, &rc);
    c->delivering = 0;
    if (out) {
        out->type = m->type;
        out->from = m->from;
        out->to = m->to;
        out->times = delivered;
        out->rc = rc;
    }
    if (c->q_retired) {
        free(c->q_retired);
        c->q_retired = NULL;
    }
    if (c->qhead == c->qtail)
        queue_emptied(c);
    return 1;
}

int cl_lean_step(cluster_t *c, cl_step_t *out)
{
    if (c->qhead == c->qtail)
        return 0;
    return step_in_place(c, out);
}

long cl_lean_deliver_all(cluster_t *c, long max)
{
    long n = 0;
    while (c->qhead != c->qtail && n < max) {
        step_in_place(c, NULL);
        n++;
    }
    return n;
}
