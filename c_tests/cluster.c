#include "cluster.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_RV, M_RVR, M_AE, M_AER, M_SNAP, M_TN, M_RI, M_RIR };

struct cl_msg {
    int type, from, to;
    msg_requestvote_t rv;
    msg_requestvote_response_t rvr;
    msg_appendentries_t ae;
    msg_appendentries_response_t aer;
    msg_timeoutnow_t tn;
    msg_readindex_t ri;
    msg_readindex_response_t rir;
    msg_entry_t *ents;      /* deep copy of ae entries (payloads malloc'd) */
};

static void violation(cluster_t *c, const char *what, int node, long a, long b)
{
    if (!c->violations)
        snprintf(c->violation, sizeof(c->violation), "%s (node %d: %ld vs %ld)", what, node, a, b);
    c->violations++;
}

static unsigned cl_rand(cluster_t *c)
{
    c->rng = c->rng * 1103515245u + 12345u;
    return (c->rng >> 16) & 0x7fff;
}

static void enqueue(cluster_t *c, cl_msg_t *m)
{
    if (c->qlen == c->qcap) {
        int cap = c->qcap ? c->qcap * 2 : 64;
        cl_msg_t *q = realloc(c->q, (size_t)cap * sizeof(*q));
        if (!q)
            abort();
        c->q = q;
        c->qcap = cap;
    }
    c->q[c->qlen++] = *m;
}

static void free_msg(cl_msg_t *m)
{
    int i;
    if (m->ents) {
        for (i = 0; i < m->ae.n_entries; i++)
            free(m->ents[i].data.buf);
        free(m->ents);
        m->ents = NULL;
    }
}

static void *dup_bytes(const void *p, unsigned len)
{
    void *d;
    if (!p || !len)
        return NULL;
    d = malloc(len);
    if (!d)
        abort();
    memcpy(d, p, len);
    return d;
}

/* ---- callbacks ---------------------------------------------------------- */

static int cb_send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m)
{
    cl_node_t *me = ud;
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_RV;
    msg.from = me->id;
    msg.to = raft_node_get_id(node);
    msg.rv = *m;
    enqueue(me->c, &msg);
    return 0;
}

static int cb_send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m)
{
    cl_node_t *me = ud;
    cl_msg_t msg;
    int i;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_AE;
    msg.from = me->id;
    msg.to = raft_node_get_id(node);
    msg.ae = *m;
    msg.ae.entries = NULL;
    if (m->n_entries > 0) {
        msg.ents = calloc((size_t)m->n_entries, sizeof(msg_entry_t));
        if (!msg.ents)
            abort();
        for (i = 0; i < m->n_entries; i++) {
            msg.ents[i] = m->entries[i];
            msg.ents[i].data.buf = dup_bytes(m->entries[i].data.buf, m->entries[i].data.len);
        }
    }
    enqueue(me->c, &msg);
    return 0;
}

static int cb_send_snapshot(raft_server_t *r, void *ud, raft_node_t *node)
{
    cl_node_t *me = ud;
    cl_msg_t msg;
    int i, to = raft_node_get_id(node);
    (void)r;
    for (i = 0; i < me->c->qlen; i++)
        if (me->c->q[i].type == M_SNAP && me->c->q[i].from == me->id && me->c->q[i].to == to)
            return 0;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_SNAP;
    msg.from = me->id;
    msg.to = to;
    enqueue(me->c, &msg);
    return 0;
}

static int cb_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_node_t *me = ud;
    cluster_t *c = me->c;
    (void)r;
    if (idx != me->last_applied + 1)
        violation(c, "applied out of order", me->id, idx, me->last_applied + 1);
    if (idx <= 0 || idx >= CL_MAX_LOG)
        return 0;
    if (e->type == RAFT_LOGTYPE_NORMAL) {
        char want[32];
        snprintf(want, sizeof(want), "v%d", e->id);
        if (e->data.len != strlen(want) + 1 || !e->data.buf || memcmp(e->data.buf, want, e->data.len))
            violation(c, "applied payload differs from submitted one", me->id, idx, e->id);
    }
    me->applied[idx] = e->id;
    me->last_applied = idx;
    if (c->committed_id[idx] == 0)
        c->committed_id[idx] = e->id;
    else if (c->committed_id[idx] != e->id)
        violation(c, "state machine safety: different entries applied at one index", me->id, c->committed_id[idx], e->id);
    return 0;
}

static int cb_persist_vote(raft_server_t *r, void *ud, raft_node_id_t vote)
{
    cl_node_t *me = ud;
    (void)r;
    me->p_vote = vote;
    return 0;
}

static int cb_persist_term(raft_server_t *r, void *ud, raft_term_t term, raft_node_id_t vote)
{
    cl_node_t *me = ud;
    (void)r;
    if (term < me->p_term)
        violation(me->c, "persisted term went backwards", me->id, term, me->p_term);
    me->p_term = term;
    me->p_vote = vote;
    return 0;
}

static int cb_offer(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_node_t *me = ud;
    cl_ent_t *x;
    (void)r;
    if (me->loading) {
        /* re-appending the persisted log after a restart: keep our copy */
        if (idx > me->base && idx <= me->base + me->count) {
            e->data.buf = me->log[idx - me->base - 1].buf;
            return 0;
        }
        violation(me->c, "restart re-append outside the persisted log", me->id, idx, me->base + me->count);
        return -1;
    }
    if (idx != me->base + me->count + 1) {
        violation(me->c, "log_offer index is not the next index", me->id, idx, me->base + me->count + 1);
        return -1;
    }
    if (me->count >= CL_MAX_LOG)
        return RAFT_ERR_NOMEM;
    x = &me->log[me->count++];
    x->term = e->term;
    x->id = e->id;
    x->type = e->type;
    x->len = e->data.len;
    x->buf = dup_bytes(e->data.buf, e->data.len);
    e->data.buf = x->buf;   /* the library keeps our persisted copy */
    return 0;
}

static int cb_pop(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_node_t *me = ud;
    (void)r; (void)e;
    if (me->count == 0 || idx != me->base + me->count) {
        violation(me->c, "log_pop of an entry that is not the newest", me->id, idx, me->base + me->count);
        return -1;
    }
    if (idx <= me->last_applied)
        violation(me->c, "popped an applied (committed) entry", me->id, idx, me->last_applied);
    me->count--;
    free(me->log[me->count].buf);
    me->log[me->count].buf = NULL;
    return 0;
}

static int cb_poll(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_node_t *me = ud;
    (void)r; (void)e;
    if (me->count == 0 || idx != me->base + 1) {
        violation(me->c, "log_poll of an entry that is not the oldest", me->id, idx, me->base + 1);
        return -1;
    }
    free(me->log[0].buf);
    memmove(&me->log[0], &me->log[1], (size_t)(me->count - 1) * sizeof(cl_ent_t));
    me->count--;
    me->base++;
    return 0;
}

static int cb_clear(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_node_t *me = ud;
    (void)r; (void)e;
    if (idx > me->base && idx <= me->base + me->count) {
        free(me->log[idx - me->base - 1].buf);
        me->log[idx - me->base - 1].buf = NULL;
    }
    return 0;
}

static int cb_node_id(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)r; (void)ud; (void)idx;
    if (!e->data.buf || e->data.len < sizeof(int))
        return -1;
    return *(int *)e->data.buf;
}

static int cb_suff(raft_server_t *r, void *ud, raft_node_t *node)
{
    cl_node_t *me = ud;
    (void)r;
    me->sufficient_logs = raft_node_get_id(node);
    return 0;
}

static raft_cbs_t cl_cbs = {
    cb_send_rv, cb_send_ae, cb_send_snapshot, cb_apply, cb_persist_vote, cb_persist_term,
    cb_offer, cb_poll, cb_pop, cb_clear, cb_node_id, cb_suff, NULL, NULL
};

/* ---- extension callbacks (raft_cbs_ext_t): messages on the same wire ---- */

static int send_ext(cl_node_t *me, raft_node_t *node, cl_msg_t *msg)
{
    msg->from = me->id;
    msg->to = raft_node_get_id(node);
    enqueue(me->c, msg);
    return 0;
}

static int cb_send_tn(raft_server_t *r, void *ud, raft_node_t *node, msg_timeoutnow_t *m)
{
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_TN;
    msg.tn = *m;
    return send_ext(ud, node, &msg);
}

static int cb_send_ri(raft_server_t *r, void *ud, raft_node_t *node, msg_readindex_t *m)
{
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_RI;
    msg.ri = *m;
    return send_ext(ud, node, &msg);
}

static int cb_send_rir(raft_server_t *r, void *ud, raft_node_t *node, msg_readindex_response_t *m)
{
    cl_msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_RIR;
    msg.rir = *m;
    return send_ext(ud, node, &msg);
}

static void cb_state(raft_server_t *r, void *ud, raft_state_e state)
{
    cl_node_t *me = ud;
    if (raft_get_state(r) != (int)state)
        violation(me->c, "notify_state_event before the state is in place", me->id, raft_get_state(r), state);
    me->n_state_events++;
    me->last_state = state;
}

static void cb_transfer(raft_server_t *r, void *ud, raft_leader_transfer_e result)
{
    cl_node_t *me = ud;
    (void)r;
    me->n_transfer_events++;
    me->last_transfer = result;
}

static const raft_cbs_ext_t cl_ext_cbs = { cb_send_tn, cb_state, cb_transfer, cb_send_ri, cb_send_rir };

/* Callbacks, the extension table and the test's options, on a new server. */
static void setup_server(cluster_t *c, cl_node_t *nd)
{
    raft_set_callbacks(nd->r, &cl_cbs, nd);
    if (c->extensions)
        raft_set_ext_callbacks(nd->r, &cl_ext_cbs, sizeof(cl_ext_cbs));
    raft_set_election_timeout(nd->r, 200);
    raft_set_request_timeout(nd->r, 50);
    if (c->configure)
        c->configure(nd->r);
}

void cl_configure(cluster_t *c, void (*configure)(raft_server_t *r))
{
    int i;
    c->extensions = 1;
    c->configure = configure;
    for (i = 1; i <= c->n; i++) {
        if (!c->nodes[i])
            continue;
        raft_set_ext_callbacks(c->nodes[i]->r, &cl_ext_cbs, sizeof(cl_ext_cbs));
        if (configure)
            configure(c->nodes[i]->r);
    }
}

/* ---- setup / teardown --------------------------------------------------- */

static void free_log(cl_node_t *nd)
{
    int i;
    for (i = 0; i < nd->count; i++) {
        free(nd->log[i].buf);
        nd->log[i].buf = NULL;
    }
    nd->count = 0;
}

static void cl_destroy(void *p)
{
    cluster_t *c = p;
    int i;
    for (i = 1; i <= c->n; i++) {
        if (!c->nodes[i])
            continue;
        raft_free(c->nodes[i]->r);
        free_log(c->nodes[i]);
        free(c->nodes[i]);
    }
    for (i = 0; i < c->qlen; i++)
        free_msg(&c->q[i]);
    free(c->q);
    free(c);
}

static cl_node_t *new_node(cluster_t *c, int id, unsigned seed)
{
    cl_node_t *nd = calloc(1, sizeof(*nd));
    if (!nd)
        abort();
    nd->c = c;
    nd->id = id;
    nd->up = 1;
    nd->p_vote = -1;
    nd->r = raft_new();
    if (!nd->r) {
        free(nd);
        th_fail(__FILE__, __LINE__, "raft_new() returned NULL");
    }
    c->nodes[id] = nd;
    if (id > c->n)
        c->n = id;
    raft_set_random_seed(nd->r, seed * 31u + (unsigned)id);
    setup_server(c, nd);
    return nd;
}

cluster_t *cl_new(int n, unsigned seed)
{
    cluster_t *c = calloc(1, sizeof(*c));
    int i, j;
    if (!c)
        abort();
    c->rng = seed;
    th_defer(cl_destroy, c);
    for (i = 1; i <= n; i++) {
        cl_node_t *nd = new_node(c, i, seed);
        for (j = 1; j <= n; j++)
            if (!raft_add_node(nd->r, NULL, j, i == j))
                th_fail(__FILE__, __LINE__, "raft_add_node failed");
    }
    return c;
}

cl_node_t *cl_add_joiner(cluster_t *c)
{
    int id = c->n + 1, j;
    cl_node_t *nd;
    if (id > CL_MAX_NODES)
        th_fail(__FILE__, __LINE__, "too many nodes");
    nd = new_node(c, id, c->rng);
    for (j = 1; j < id; j++)
        if (c->nodes[j] && !raft_add_node(nd->r, NULL, j, 0))
            th_fail(__FILE__, __LINE__, "raft_add_node failed");
    if (!raft_add_non_voting_node(nd->r, NULL, id, 1))
        th_fail(__FILE__, __LINE__, "raft_add_non_voting_node failed");
    return nd;
}

raft_server_t *cl_r(cluster_t *c, int id)
{
    return c->nodes[id] ? c->nodes[id]->r : NULL;
}

void cl_restart(cluster_t *c, int id)
{
    cl_node_t *nd = c->nodes[id];
    raft_term_t term;
    int vote, j, i;
    if (!nd)
        th_fail(__FILE__, __LINE__, "cl_restart: no node %d", id);
    if (nd->base != 0)
        th_fail(__FILE__, __LINE__, "cl_restart: compacted logs are not supported");
    term = nd->p_term;
    vote = nd->p_vote;
    raft_free(nd->r);
    nd->r = raft_new();
    if (!nd->r)
        th_fail(__FILE__, __LINE__, "raft_new() returned NULL");
    raft_set_random_seed(nd->r, c->rng + (unsigned)id * 7u);
    setup_server(c, nd);
    for (j = 1; j <= c->n; j++)
        if (c->nodes[j] && !raft_add_node(nd->r, NULL, j, j == id))
            th_fail(__FILE__, __LINE__, "raft_add_node failed");
    if (raft_set_current_term(nd->r, term) != 0)
        th_fail(__FILE__, __LINE__, "restoring the term failed");
    if (vote != -1 && raft_vote_for_nodeid(nd->r, vote) != 0)
        th_fail(__FILE__, __LINE__, "restoring the vote failed");
    nd->loading = 1;
    for (i = 0; i < nd->count; i++) {
        raft_entry_t e;
        memset(&e, 0, sizeof(e));
        e.term = nd->log[i].term;
        e.id = nd->log[i].id;
        e.type = nd->log[i].type;
        e.data.buf = nd->log[i].buf;
        e.data.len = nd->log[i].len;
        if (raft_append_entry(nd->r, &e) != 0) {
            nd->loading = 0;
            th_fail(__FILE__, __LINE__, "restoring log entry %d failed", i + 1);
        }
    }
    nd->loading = 0;
    /* the state machine is volatile: it is rebuilt by re-applying */
    nd->last_applied = 0;
    memset(nd->applied, 0, sizeof(nd->applied));
    nd->up = 1;
}

/* ---- running ------------------------------------------------------------ */

void cl_deliver_snapshot(cluster_t *c, int from, int to)
{
    cl_node_t *src = c->nodes[from], *dst = c->nodes[to];
    raft_index_t idx;
    raft_term_t term;
    cl_msg_t ack;
    int i, e;
    raft_node_t *n;
    if (!src || !dst || !dst->up)
        return;
    idx = raft_get_snapshot_last_idx(src->r);
    term = raft_get_snapshot_last_term(src->r);
    if (idx <= 0 || idx >= CL_MAX_LOG)
        return;
    e = raft_begin_load_snapshot(dst->r, term, idx);
    if (e == 0) {
        free_log(dst);
        dst->base = idx;
        for (i = 1; i <= idx; i++)
            dst->applied[i] = src->applied[i];
        dst->last_applied = idx;
        for (i = 0; (n = raft_get_node_from_idx(src->r, i)) != NULL; i++) {
            int id = raft_node_get_id(n);
            if (id == to || !raft_node_is_active(n))
                continue;
            if (raft_node_is_voting(n))
                raft_add_node(dst->r, NULL, id, 0);
            else
                raft_add_non_voting_node(dst->r, NULL, id, 0);
        }
        if (raft_end_load_snapshot(dst->r) != 0)
            violation(c, "raft_end_load_snapshot failed", to, 0, 0);
    } else if (e != RAFT_ERR_SNAPSHOT_ALREADY_LOADED) {
        return;
    }
    /* host protocol: tell the leader where we are now */
    memset(&ack, 0, sizeof(ack));
    ack.type = M_AER;
    ack.from = to;
    ack.to = from;
    ack.aer.term = raft_get_current_term(dst->r);
    ack.aer.success = 1;
    ack.aer.current_idx = raft_get_current_idx(dst->r);
    ack.aer.first_idx = idx;
    enqueue(c, &ack);
}

static void note_err(cl_node_t *nd, int e)
{
    if (e != 0)
        nd->last_err = e;
}

static void deliver(cluster_t *c, cl_msg_t *m)
{
    cl_node_t *dst = c->nodes[m->to];
    raft_node_t *from;
    cl_msg_t reply;
    if (!dst || !dst->up)
        return;
    from = raft_get_node(dst->r, m->from);
    memset(&reply, 0, sizeof(reply));
    reply.from = m->to;
    reply.to = m->from;
    switch (m->type) {
    case M_RV:
        reply.type = M_RVR;
        note_err(dst, raft_recv_requestvote(dst->r, from, &m->rv, &reply.rvr));
        enqueue(c, &reply);
        break;
    case M_RVR:
        note_err(dst, raft_recv_requestvote_response(dst->r, from, &m->rvr));
        break;
    case M_AE:
        reply.type = M_AER;
        m->ae.entries = m->ents;
        note_err(dst, raft_recv_appendentries(dst->r, from, &m->ae, &reply.aer));
        m->ae.entries = NULL;
        enqueue(c, &reply);
        break;
    case M_AER:
        if (from)
            note_err(dst, raft_recv_appendentries_response(dst->r, from, &m->aer));
        break;
    case M_SNAP:
        cl_deliver_snapshot(c, m->from, m->to);
        break;
    case M_TN:
        note_err(dst, raft_recv_timeoutnow(dst->r, from, &m->tn));
        break;
    case M_RI:
        if (from)
            note_err(dst, raft_recv_readindex(dst->r, from, &m->ri));
        break;
    case M_RIR:
        note_err(dst, raft_recv_readindex_response(dst->r, from, &m->rir));
        break;
    }
}

static void check_leaders(cluster_t *c)
{
    int i;
    for (i = 1; i <= c->n; i++) {
        cl_node_t *nd = c->nodes[i];
        raft_term_t t;
        if (!nd || !nd->up || !raft_is_leader(nd->r))
            continue;
        t = raft_get_current_term(nd->r);
        if (t < 0 || t >= 1024)
            continue;
        if (c->leader_of_term[t] == 0)
            c->leader_of_term[t] = i;
        else if (c->leader_of_term[t] != i)
            violation(c, "election safety: two leaders in one term", i, c->leader_of_term[t], t);
    }
}

static void deliver_all(cluster_t *c)
{
    int rounds;
    for (rounds = 0; rounds < 100 && c->qlen > 0; rounds++) {
        cl_msg_t *batch = c->q;
        int n = c->qlen, i;
        c->q = NULL;
        c->qlen = c->qcap = 0;
        for (i = 0; i < n; i++) {
            cl_msg_t *m = &batch[i];
            int times = 1;
            if (c->cut[m->from][m->to])
                times = 0;
            else if (c->drop_pct && (int)(cl_rand(c) % 100) < c->drop_pct)
                times = 0;
            else if (c->dup_pct && (int)(cl_rand(c) % 100) < c->dup_pct)
                times = 2;
            while (times-- > 0) {
                deliver(c, m);
                check_leaders(c);
            }
            free_msg(m);
        }
        free(batch);
    }
}

void cl_tick(cluster_t *c, int ms)
{
    int i;
    c->now += ms;
    for (i = 1; i <= c->n; i++) {
        cl_node_t *nd = c->nodes[i];
        if (nd && nd->up)
            note_err(nd, raft_periodic(nd->r, ms));
    }
    check_leaders(c);
    deliver_all(c);
}

void cl_run(cluster_t *c, int total_ms, int tick_ms)
{
    int t;
    for (t = 0; t < total_ms; t += tick_ms)
        cl_tick(c, tick_ms);
}

int cl_leader(cluster_t *c)
{
    int i, best = -1;
    raft_term_t bt = -1;
    for (i = 1; i <= c->n; i++) {
        cl_node_t *nd = c->nodes[i];
        if (nd && nd->up && raft_is_leader(nd->r) && raft_get_current_term(nd->r) > bt) {
            bt = raft_get_current_term(nd->r);
            best = i;
        }
    }
    return best;
}

int cl_count_leaders(cluster_t *c)
{
    int i, k = 0;
    for (i = 1; i <= c->n; i++)
        if (c->nodes[i] && c->nodes[i]->up && raft_is_leader(c->nodes[i]->r))
            k++;
    return k;
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

void cl_isolate(cluster_t *c, int id)
{
    int i;
    for (i = 1; i <= CL_MAX_NODES; i++)
        if (i != id)
            cl_cut(c, id, i);
}

void cl_cut(cluster_t *c, int a, int b)
{
    c->cut[a][b] = 1;
    c->cut[b][a] = 1;
}

void cl_heal(cluster_t *c)
{
    memset(c->cut, 0, sizeof(c->cut));
}

int cl_submit(cluster_t *c, int node, int entry_id, msg_entry_response_t *resp)
{
    char payload[32];
    msg_entry_t e;
    msg_entry_response_t tmp;
    memset(&e, 0, sizeof(e));
    snprintf(payload, sizeof(payload), "v%d", entry_id);
    e.id = entry_id;
    e.type = RAFT_LOGTYPE_NORMAL;
    e.data.buf = payload;   /* log_offer copies it: a stack buffer is fine */
    e.data.len = (unsigned)strlen(payload) + 1;
    return raft_retain_entries(cl_r(c, node), &e, resp ? resp : &tmp);
}

int cl_submit_cfg(cluster_t *c, int node, int entry_id, int type, int node_id, msg_entry_response_t *resp)
{
    msg_entry_t e;
    msg_entry_response_t tmp;
    int payload = node_id;
    memset(&e, 0, sizeof(e));
    e.id = entry_id;
    e.type = type;
    e.data.buf = &payload;
    e.data.len = sizeof(payload);
    return raft_retain_entries(cl_r(c, node), &e, resp ? resp : &tmp);
}

int cl_logs_match(cluster_t *c)
{
    int a, b;
    for (a = 1; a <= c->n; a++)
        for (b = a + 1; b <= c->n; b++) {
            cl_node_t *x = c->nodes[a], *y = c->nodes[b];
            raft_index_t i, lo, hi;
            if (!x || !y)
                continue;
            lo = (x->base > y->base ? x->base : y->base) + 1;
            hi = x->base + x->count < y->base + y->count ? x->base + x->count : y->base + y->count;
            /* Log Matching: same index and term => same entry and same prefix */
            for (i = hi; i >= lo; i--) {
                cl_ent_t *ex = &x->log[i - x->base - 1], *ey = &y->log[i - y->base - 1];
                if (ex->term == ey->term) {
                    raft_index_t j;
                    for (j = i; j >= lo; j--) {
                        ex = &x->log[j - x->base - 1];
                        ey = &y->log[j - y->base - 1];
                        if (ex->term != ey->term || ex->id != ey->id)
                            return 0;
                    }
                    break;
                }
            }
        }
    return 1;
}
