/* The fixture's storage: the callbacks that persist (term, vote, log), apply
 * entries and answer membership questions, each updating the server's model
 * of stable storage and reporting to the safety checker. */
#include "cluster_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model ----------------------------------------------------------- */

raft_entry_t *cl_model_entry(cl_server_t *s, raft_index_t idx)
{
    if (idx <= s->base || idx > s->base + s->count)
        return NULL;
    return &s->log[idx - s->base - 1];
}

void cl_free_log(cl_server_t *s)
{
    int i;
    for (i = 0; i < s->count; i++)
        free(s->log[i].data.buf);
    free(s->log);
    s->log = NULL;
    s->count = s->cap = 0;
}

void cl_snapshot_clear(cl_snapshot_t *s)
{
    free(s->sm);
    memset(s, 0, sizeof(*s));
}

void cl_snapshot_copy(cl_snapshot_t *dst, const cl_snapshot_t *src)
{
    *dst = *src;
    dst->sm = NULL;
    if (src->idx > 0 && src->sm) {
        dst->sm = cl_xcalloc((size_t)src->idx + 1, sizeof(cl_applied_t));
        memcpy(dst->sm, src->sm, ((size_t)src->idx + 1) * sizeof(cl_applied_t));
    }
}

void cl_sm_reset(cl_server_t *s, const cl_snapshot_t *snap)
{
    free(s->sm);
    s->sm_cap = (snap && snap->idx > 0 ? snap->idx : 0) + 16;
    s->sm = cl_xcalloc((size_t)s->sm_cap + 1, sizeof(cl_applied_t));
    s->applied = 0;
    if (snap && snap->idx > 0 && snap->sm) {
        memcpy(s->sm, snap->sm, ((size_t)snap->idx + 1) * sizeof(cl_applied_t));
        s->applied = snap->idx;
    }
}

static void emit_entry(cl_server_t *s, cl_event_kind_t kind, raft_index_t idx, const raft_entry_t *e)
{
    cl_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.server = s;
    ev.idx = idx;
    ev.entry = e;
    cl_emit(s->c, &ev);
}

static void emit_node(cl_server_t *s, cl_event_kind_t kind, int node, raft_term_t term)
{
    cl_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.server = s;
    ev.node = node;
    ev.term = term;
    cl_emit(s->c, &ev);
}

/* ---- callbacks with the storage model ------------------------------------ */

static int cb_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_server_t *s = ud;
    cluster_t *c = s->c;
    int in_order = idx == s->applied + 1;
    (void)r;
    emit_entry(s, CL_EV_APPLIED, idx, e);
    cl_safety_result(c, safety_apply(c->safety, s->id, idx, e->term, e->id, e->data.buf, e->data.len));
    if (in_order) {
        if (idx > s->sm_cap) {
            s->sm_cap = idx * 2;
            s->sm = cl_xrealloc(s->sm, ((size_t)s->sm_cap + 1) * sizeof(cl_applied_t));
        }
        s->sm[idx].term = e->term;
        s->sm[idx].id = e->id;
        s->applied = idx;
    }
    return c->o.on_apply ? c->o.on_apply(c->o.ctx, s, e, idx) : 0;
}

static int cb_persist_vote(raft_server_t *r, void *ud, raft_node_id_t vote)
{
    cl_server_t *s = ud;
    (void)r;
    if (s->loading)
        return 0;
    s->p_vote = vote;
    emit_node(s, CL_EV_PERSIST_VOTE, vote, 0);
    return 0;
}

static int cb_persist_term(raft_server_t *r, void *ud, raft_term_t term, raft_node_id_t vote)
{
    cl_server_t *s = ud;
    (void)r;
    if (s->loading)
        return 0;
    if (term < s->p_term)
        cl_violation(s->c, "%d persisted term went back from %ld to %ld", s->id, (long)s->p_term, (long)term);
    s->p_term = term;
    s->p_vote = vote;
    emit_node(s, CL_EV_PERSIST_TERM, vote, term);
    return 0;
}

static int cb_offer(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_server_t *s = ud;
    raft_entry_t *x;
    (void)r;
    if (s->loading) {
        /* re-appending the persisted log on restart: keep our copy */
        x = cl_model_entry(s, idx);
        if (!x) {
            cl_violation(s->c, "%d log_offer at %ld outside the persisted log on restart", s->id, (long)idx);
            return -1;
        }
        e->data.buf = x->data.buf;
        return 0;
    }
    if (idx != s->base + s->count + 1) {
        cl_violation(s->c, "%d log_offer at %ld, expected the next index %ld", s->id, (long)idx,
                     (long)(s->base + s->count + 1));
        return -1;
    }
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->log = cl_xrealloc(s->log, (size_t)s->cap * sizeof(raft_entry_t));
    }
    x = &s->log[s->count++];
    *x = *e;
    x->data.buf = cl_memdup(e->data.buf, e->data.len);
    e->data.buf = x->data.buf;  /* the library keeps our persisted copy */
    cl_safety_result(s->c, safety_append(s->c->safety, s->id, idx, x->term, x->id, x->data.buf, x->data.len));
    emit_entry(s, CL_EV_OFFERED, idx, x);
    return 0;
}

static int cb_pop(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_server_t *s = ud;
    raft_entry_t *x;
    (void)r; (void)e;
    if (s->count == 0 || idx != s->base + s->count) {
        cl_violation(s->c, "%d log_pop at %ld, the newest entry is %ld", s->id, (long)idx, (long)(s->base + s->count));
        return -1;
    }
    x = &s->log[s->count - 1];
    emit_entry(s, CL_EV_POPPED, idx, x);
    if (idx <= s->applied)
        cl_violation(s->c, "%d popped applied entry %ld", s->id, (long)idx);
    cl_safety_result(s->c, safety_truncate(s->c->safety, s->id, idx));
    free(x->data.buf);
    x->data.buf = NULL;
    s->count--;
    return 0;
}

static int cb_poll(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_server_t *s = ud;
    (void)r; (void)e;
    if (s->count == 0 || idx != s->base + 1) {
        cl_violation(s->c, "%d log_poll at %ld, the oldest entry is %ld", s->id, (long)idx, (long)(s->base + 1));
        return -1;
    }
    emit_entry(s, CL_EV_POLLED, idx, &s->log[0]);
    cl_safety_result(s->c, safety_compact(s->c->safety, s->id, idx));
    free(s->log[0].data.buf);
    memmove(&s->log[0], &s->log[1], (size_t)(s->count - 1) * sizeof(raft_entry_t));
    s->count--;
    s->base++;
    return 0;
}

static int cb_clear(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    cl_server_t *s = ud;
    raft_entry_t *x = cl_model_entry(s, idx);
    (void)r; (void)e;
    if (!x) {
        cl_violation(s->c, "%d log_clear at %ld outside the log", s->id, (long)idx);
        return 0;
    }
    if (!s->loading)
        emit_entry(s, CL_EV_CLEARED, idx, x);
    free(x->data.buf);
    x->data.buf = NULL;
    return 0;
}

/* Configuration entries name their node in decimal ("4"). */
int cl_cb_node_id(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    char tmp[16];
    unsigned len = e->data.len;
    (void)r; (void)ud; (void)idx;
    if (!e->data.buf || len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, e->data.buf, len);
    tmp[len] = '\0';
    return atoi(tmp);
}

static int cb_sufficient(raft_server_t *r, void *ud, raft_node_t *node)
{
    cl_server_t *s = ud;
    (void)r;
    s->sufficient_logs = raft_node_get_id(node);
    emit_node(s, CL_EV_SUFFICIENT_LOGS, s->sufficient_logs, 0);
    return 0;
}

static void cb_membership(raft_server_t *r, void *ud, raft_node_t *node, raft_entry_t *e, raft_membership_e type)
{
    cl_server_t *s = ud;
    (void)r; (void)e;
    if (s->loading)
        return;
    emit_node(s, type == RAFT_MEMBERSHIP_ADD ? CL_EV_MEMBERSHIP_ADD : CL_EV_MEMBERSHIP_REMOVE, raft_node_get_id(node), 0);
}

const raft_cbs_t cl_cbs_model = {
    cl_cb_send_rv, cl_cb_send_ae, cl_cb_send_snapshot, cb_apply, cb_persist_vote, cb_persist_term,
    cb_offer, cb_poll, cb_pop, cb_clear, cl_cb_node_id, cb_sufficient, cb_membership, NULL
};
