/* The fixture's network: send callbacks that copy messages as a wire would,
 * one FIFO queue, delivery of one message (with the host's side of snapshot
 * shipping), and the seeded chaos of cl_step. See cluster.h. */
#include "cluster_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- arenas -------------------------------------------------------------- */

#define ARENA_CHUNK (1u << 20)

void *cl_arena_alloc(struct cl_arena **a, size_t n)
{
    void *p;
    n = (n + 7) & ~(size_t)7;   /* keeps entry arrays aligned */
    if (!*a || (*a)->used + n > (*a)->cap) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        struct cl_arena *chunk = cl_xmalloc(sizeof(*chunk) + cap);
        chunk->next = *a;
        chunk->used = 0;
        chunk->cap = cap;
        *a = chunk;
    }
    p = (*a)->data + (*a)->used;
    (*a)->used += n;
    return p;
}

void cl_arena_free(struct cl_arena **a)
{
    while (*a) {
        struct cl_arena *next = (*a)->next;
        free(*a);
        *a = next;
    }
}

void cl_arena_reset(struct cl_arena **a)
{
    if (!*a)
        return;
    cl_arena_free(&(*a)->next);
    (*a)->used = 0;
}

/* ---- the queue ----------------------------------------------------------- */

void cl_queue_make_room(cluster_t *c)
{
    size_t len = c->qtail - c->qhead;
    if (c->delivering) {
        /* lean delivery reads a message in place: keep the old storage
         * until the delivery ends */
        cl_msg_t *q = cl_xmalloc(2 * c->qcap * sizeof(cl_msg_t));
        memcpy(q, c->q, c->qtail * sizeof(cl_msg_t));
        free(c->q_retired);
        c->q_retired = c->q;
        c->q = q;
        c->qcap *= 2;
    } else if (c->qhead > 0 && len < c->qcap / 2) {
        memmove(c->q, c->q + c->qhead, len * sizeof(cl_msg_t));
        c->qhead = 0;
        c->qtail = len;
    } else {
        c->qcap = c->qcap ? c->qcap * 2 : 256;
        c->q = cl_xrealloc(c->q, c->qcap * sizeof(cl_msg_t));
    }
}

void cl_emit_sent(cluster_t *c, cl_server_t *s, const cl_msg_t *m)
{
    cl_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = CL_EV_SENT;
    ev.server = s;
    ev.msg = m;
    cl_emit(c, &ev);
}

void cl_send(cl_server_t *s, const cl_msg_t *m)
{
    cluster_t *c = s->c;
    cl_msg_t *x = cl_queue_slot(c);
    *x = *m;
    c->sent[m->type]++;
    if (c->o.on_event)
        cl_emit_sent(c, s, x);
}

int cl_msg_count(const cluster_t *c)
{
    return (int)(c->qtail - c->qhead);
}

cl_msg_t *cl_msg_at(cluster_t *c, int i)
{
    if (i < 0 || (size_t)i >= c->qtail - c->qhead)
        return NULL;
    return &c->q[c->qhead + (size_t)i];
}

void cl_msg_take(cluster_t *c, int i, cl_msg_t *out)
{
    size_t k = c->qhead + (size_t)i;
    *out = c->q[k];
    if (i == 0) {
        c->qhead++;
    } else {
        memmove(&c->q[k], &c->q[k + 1], (c->qtail - k - 1) * sizeof(cl_msg_t));
        c->qtail--;
    }
    if (c->qhead == c->qtail)
        c->qhead = c->qtail = 0;
}

void cl_msg_copy(cluster_t *c, cl_msg_t *dst, const cl_msg_t *src)
{
    *dst = *src;
    if (src->type == CL_AE && src->u.ae.n_entries > 0 && src->u.ae.entries) {
        size_t n = (size_t)src->u.ae.n_entries;
        int i;
        if (c->o.lean) {
            /* payloads are immutable arena bytes of the receiver: shared */
            dst->u.ae.entries = cl_arena_alloc(&c->pool, n * sizeof(msg_entry_t));
            memcpy(dst->u.ae.entries, src->u.ae.entries, n * sizeof(msg_entry_t));
        } else {
            dst->u.ae.entries = cl_xmalloc(n * sizeof(msg_entry_t));
            for (i = 0; i < src->u.ae.n_entries; i++) {
                dst->u.ae.entries[i] = src->u.ae.entries[i];
                dst->u.ae.entries[i].data.buf = cl_memdup(src->u.ae.entries[i].data.buf, src->u.ae.entries[i].data.len);
            }
        }
    }
    if (src->snap) {
        dst->snap = cl_xmalloc(sizeof(cl_snapshot_t));
        cl_snapshot_copy(dst->snap, src->snap);
    }
}

void cl_msg_release(cluster_t *c, cl_msg_t *m)
{
    if (m->type == CL_AE && m->u.ae.entries && !c->o.lean) {
        int i;
        for (i = 0; i < m->u.ae.n_entries; i++)
            free(m->u.ae.entries[i].data.buf);
        free(m->u.ae.entries);
    }
    if (m->type == CL_AE)
        m->u.ae.entries = NULL;
    if (m->snap) {
        cl_snapshot_clear(m->snap);
        free(m->snap);
        m->snap = NULL;
    }
    if (c->o.lean && c->qhead == c->qtail)
        cl_arena_reset(&c->pool);
}

/* ---- send callbacks ------------------------------------------------------ */

int cl_cb_send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m)
{
    cl_server_t *s = ud;
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = CL_RV;
    msg.from = s->id;
    msg.to = raft_node_get_id(node);
    msg.u.rv = *m;
    cl_send(s, &msg);
    return 0;
}

/* The wire: entry headers and payload bytes are copied. */
int cl_cb_send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m)
{
    cl_server_t *s = ud;
    cl_msg_t msg;
    int i;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = CL_AE;
    msg.from = s->id;
    msg.to = raft_node_get_id(node);
    msg.u.ae = *m;
    msg.u.ae.entries = NULL;
    if (m->n_entries > 0) {
        msg.u.ae.entries = cl_xmalloc((size_t)m->n_entries * sizeof(msg_entry_t));
        for (i = 0; i < m->n_entries; i++) {
            msg.u.ae.entries[i] = m->entries[i];
            msg.u.ae.entries[i].data.buf = cl_memdup(m->entries[i].data.buf, m->entries[i].data.len);
        }
    }
    cl_send(s, &msg);
    return 0;
}

/* A Snapshot message holds a copy of the sender's last snapshot; one in
 * flight per (from, to): the library asks on every heartbeat. */
int cl_cb_send_snapshot(raft_server_t *r, void *ud, raft_node_t *node)
{
    cl_server_t *s = ud;
    cluster_t *c = s->c;
    cl_msg_t msg;
    size_t k;
    int to = raft_node_get_id(node);
    for (k = c->qhead; k < c->qtail; k++)
        if (c->q[k].type == CL_SNAP && c->q[k].from == s->id && c->q[k].to == to && c->q[k].snap->idx == s->snap.idx)
            return 0;
    memset(&msg, 0, sizeof(msg));
    msg.type = CL_SNAP;
    msg.from = s->id;
    msg.to = to;
    msg.snap_leader_term = raft_get_current_term(r);
    msg.snap = cl_xmalloc(sizeof(cl_snapshot_t));
    cl_snapshot_copy(msg.snap, &s->snap);
    cl_send(s, &msg);
    return 0;
}

/* ---- delivery ------------------------------------------------------------ */

cl_route_t cl_route(const cluster_t *c, const cl_msg_t *m)
{
    const cl_server_t *dst = cl_server(c, m->to);
    if (!dst)
        return CL_ROUTE_NO_SERVER;
    if (!dst->r || dst->paused)
        return CL_ROUTE_DOWN;
    if (m->from >= 1 && m->from <= CL_MAX_SERVERS && c->cut[m->from][m->to])
        return CL_ROUTE_CUT;
    return CL_ROUTE_OK;
}

static void lib_error(cl_server_t *s, const char *call, int rc)
{
    cl_event_t ev;
    s->last_err = rc;
    memset(&ev, 0, sizeof(ev));
    ev.kind = CL_EV_LIB_ERROR;
    ev.server = s;
    ev.call = call;
    ev.rc = rc;
    cl_emit(s->c, &ev);
}

/* The host's side of InstallSnapshot (Raft paper Figure 13): a stale
 * leader's snapshot is refused with our term; a newer term is adopted; then
 * raft_begin_load_snapshot, the snapshot's members, raft_end_load_snapshot,
 * and a success response that moves the leader past the snapshot. */
void cl_recv_snapshot(cluster_t *c, cl_server_t *dst, cl_msg_t *m)
{
    raft_term_t cur = raft_get_current_term(dst->r);
    cl_msg_t reply;
    int rc, i;
    memset(&reply, 0, sizeof(reply));
    reply.type = CL_AER;
    reply.from = dst->id;
    reply.to = m->from;
    if (m->snap_leader_term < cur) {
        reply.u.aer.term = cur;
        reply.u.aer.success = 0;
        reply.u.aer.current_idx = raft_get_current_idx(dst->r);
        reply.u.aer.first_idx = m->snap->idx + 1;
        cl_send(dst, &reply);
        return;
    }
    if (m->snap_leader_term > cur && (rc = raft_set_current_term(dst->r, m->snap_leader_term)) != 0)
        lib_error(dst, "raft_set_current_term", rc);
    rc = raft_begin_load_snapshot(dst->r, m->snap->term, m->snap->idx);
    if (rc == 0) {
        cl_event_t ev;
        cl_free_log(dst);   /* log_clear released the payloads */
        dst->base = m->snap->idx;
        for (i = 0; i < m->snap->nmembers; i++)
            if (m->snap->members[i].id != dst->id)
                cl_add_member(dst->r, m->snap->members[i].id, m->snap->members[i].voting, 0);
        if ((rc = raft_end_load_snapshot(dst->r)) != 0)
            lib_error(dst, "raft_end_load_snapshot", rc);
        cl_snapshot_clear(&dst->snap);
        cl_snapshot_copy(&dst->snap, m->snap);
        cl_sm_reset(dst, &dst->snap);
        cl_safety_result(c, safety_load_snapshot(c->safety, dst->id, m->snap->idx, m->snap->term));
        memset(&ev, 0, sizeof(ev));
        ev.kind = CL_EV_SNAPSHOT_LOADED;
        ev.server = dst;
        ev.idx = m->snap->idx;
        ev.term = m->snap->term;
        cl_emit(c, &ev);
    } else {
        lib_error(dst, "raft_begin_load_snapshot", rc);
        if (rc != RAFT_ERR_SNAPSHOT_ALREADY_LOADED)
            return;
    }
    /* host protocol: tell the leader where our log now ends */
    reply.u.aer.term = raft_get_current_term(dst->r);
    reply.u.aer.success = 1;
    reply.u.aer.current_idx = raft_get_current_idx(dst->r);
    reply.u.aer.first_idx = m->snap->idx;
    cl_send(dst, &reply);
}

cl_delivery_t cl_deliver(cluster_t *c, cl_msg_t *m)
{
    cl_delivery_t d = { 0, NULL, 0 };
    cl_server_t *dst;
    raft_node_t *from;
    cl_msg_t reply;
    if (cl_route(c, m) != CL_ROUTE_OK)
        return d;
    dst = c->servers[m->to];
    from = c->o.lean ? dst->peer[m->from] : raft_get_node(dst->r, m->from);
    c->delivered++;
    reply.from = m->to;
    reply.to = m->from;
    reply.snap = NULL;
    reply.snap_leader_term = 0;
    switch (m->type) {
    case CL_RV:
        d.call = "raft_recv_requestvote";
        reply.type = CL_RVR;
        d.rc = raft_recv_requestvote(dst->r, from, &m->u.rv, &reply.u.rvr);
        if (d.rc == 0)
            cl_send(dst, &reply);
        break;
    case CL_RVR:
        d.call = "raft_recv_requestvote_response";
        d.rc = raft_recv_requestvote_response(dst->r, from, &m->u.rvr);
        break;
    case CL_AE:
        d.call = "raft_recv_appendentries";
        reply.type = CL_AER;
        d.rc = raft_recv_appendentries(dst->r, from, &m->u.ae, &reply.u.aer);
        if (d.rc == 0)
            cl_send(dst, &reply);
        break;
    case CL_AER:
        if (!from) {
            d.unknown_sender = 1;
            break;
        }
        d.call = "raft_recv_appendentries_response";
        d.rc = raft_recv_appendentries_response(dst->r, from, &m->u.aer);
        break;
    case CL_SNAP:
        cl_recv_snapshot(c, dst, m);
        break;
    case CL_TN:
    case CL_RI:
    case CL_RIR:
        cl_deliver_ext(c, dst, from, m, &d);
        break;
    case CL_NTYPES:
        break;
    }
    if (d.rc != 0) {
        dst->last_err = d.rc;
        c->failed[m->type]++;
        c->failures++;
    }
    return d;
}

/* ---- chaos and batches --------------------------------------------------- */

unsigned cl_rand(cluster_t *c)
{
    /* xorshift64* */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (unsigned)((c->rng * 0x2545f4914f6cdd1dull) >> 33);
}

static int chance(cluster_t *c, int pct)
{
    return pct > 0 && (int)(cl_rand(c) % 100) < pct;
}

/* cl_step with the storage model, checks and chaos. */
static int model_step(cluster_t *c, cl_step_t *out)
{
    cl_msg_t m;
    cl_delivery_t d = { 0, NULL, 0 };
    size_t len = c->qtail - c->qhead;
    int times = 1, k;
    if (len == 0)
        return 0;
    if (len > 1 && chance(c, c->reorder_pct)) {
        size_t j = c->qhead + 1 + cl_rand(c) % (len - 1);
        cl_msg_t tmp = c->q[c->qhead];
        c->q[c->qhead] = c->q[j];
        c->q[j] = tmp;
        c->reordered++;
    }
    cl_msg_take(c, 0, &m);
    if (cl_route(c, &m) == CL_ROUTE_CUT || chance(c, c->drop_pct))
        times = 0;
    else if (chance(c, c->dup_pct))
        times = 2;
    c->dropped += times == 0;
    c->duplicated += times == 2;
    for (k = 0; k < times; k++) {
        d = cl_deliver(c, &m);
        cl_check(c);
    }
    if (out) {
        out->type = m.type;
        out->from = m.from;
        out->to = m.to;
        out->times = times;
        out->rc = d.rc;
    }
    cl_msg_release(c, &m);
    return 1;
}

int cl_step(cluster_t *c, cl_step_t *out)
{
    if (c->o.lean && !(c->drop_pct | c->dup_pct | c->reorder_pct))
        return cl_lean_step(c, out);
    return model_step(c, out);
}

long cl_deliver_all(cluster_t *c)
{
    long n = 0;
    if (c->o.lean && !(c->drop_pct | c->dup_pct | c->reorder_pct))
        return cl_lean_deliver_all(c, 100000);
    while (n < 100000 && cl_step(c, NULL))
        n++;
    return n;
}

void cl_tick(cluster_t *c, int ms)
{
    cl_periodic_all(c, ms);
    cl_check(c);
    cl_deliver_all(c);
}

void cl_run(cluster_t *c, int total_ms, int tick_ms)
{
    int t;
    for (t = 0; t < total_ms; t += tick_ms)
        cl_tick(c, tick_ms);
}

int cl_elect(cluster_t *c, int max_ms)
{
    int t;
    for (t = 0; t < max_ms; t += 10) {
        cl_tick(c, 10);
        if (cl_count_leaders(c) == 1)
            return cl_leader(c);
    }
    return -1;
}

void cl_cut(cluster_t *c, int a, int b)
{
    if (a < 1 || b < 1 || a > CL_MAX_SERVERS || b > CL_MAX_SERVERS)
        return;
    c->cut[a][b] = 1;
    c->cut[b][a] = 1;
}

void cl_isolate(cluster_t *c, int id)
{
    int i;
    for (i = 1; i <= CL_MAX_SERVERS; i++)
        if (i != id)
            cl_cut(c, id, i);
}

void cl_heal(cluster_t *c)
{
    memset(c->cut, 0, sizeof(c->cut));
}
