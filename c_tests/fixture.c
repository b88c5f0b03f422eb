#include "fixture.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char fx_payload[64] = "payload-bytes";
static int fx_ids[64];

void *fx_node_id_payload(int node_id)
{
    int i;
    for (i = 0; i < 64; i++)
        fx_ids[i] = i;
    return &fx_ids[node_id & 63];
}

static int node_id_of(raft_node_t *n)
{
    return n ? raft_node_get_id(n) : -1;
}

static int cb_send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m)
{
    fx_t *f = ud;
    (void)r;
    if (f->n_rv < FX_MAX_REC) {
        f->rv[f->n_rv].node = node_id_of(node);
        f->rv[f->n_rv].m = *m;
        f->n_rv++;
    }
    return f->fail_send_rv;
}

static int cb_send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m)
{
    fx_t *f = ud;
    (void)r;
    if (f->n_ae < FX_MAX_REC) {
        fx_ae_t *a = &f->ae[f->n_ae++];
        int i;
        a->node = node_id_of(node);
        a->m = *m;
        a->m.entries = NULL;
        for (i = 0; i < m->n_entries && i < FX_MAX_AE_ENTRIES; i++)
            a->e[i] = m->entries[i];
    }
    return f->fail_send_ae;
}

static int cb_send_snapshot(raft_server_t *r, void *ud, raft_node_t *node)
{
    fx_t *f = ud;
    (void)r;
    if (f->n_snap < FX_MAX_REC)
        f->snap[f->n_snap++] = node_id_of(node);
    return 0;
}

static void rec_ent(fx_ent_t *arr, int *n, raft_entry_t *e, raft_index_t idx)
{
    if (*n < FX_MAX_REC) {
        arr[*n].e = *e;
        arr[*n].idx = idx;
        (*n)++;
    }
}

static int cb_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    fx_t *f = ud;
    (void)r;
    rec_ent(f->applied, &f->n_applied, e, idx);
    if (f->fail_apply && (f->fail_apply_at == 0 || f->fail_apply_at == idx))
        return f->fail_apply;
    return 0;
}

static int cb_persist_vote(raft_server_t *r, void *ud, raft_node_id_t vote)
{
    fx_t *f = ud;
    (void)r;
    if (f->n_pvote < FX_MAX_REC)
        f->pvote[f->n_pvote++] = vote;
    return f->fail_persist_vote;
}

static int cb_persist_term(raft_server_t *r, void *ud, raft_term_t term, raft_node_id_t vote)
{
    fx_t *f = ud;
    (void)r;
    if (f->n_pterm < FX_MAX_REC) {
        f->pterm[f->n_pterm].term = term;
        f->pterm[f->n_pterm].vote = vote;
        f->n_pterm++;
    }
    return f->fail_persist_term;
}

static int payload_node_id(raft_entry_t *e)
{
    if (!e->data.buf || e->data.len < sizeof(int))
        return -1;
    return *(int *)e->data.buf;
}

static int cb_offer(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    fx_t *f = ud;
    rec_ent(f->offered, &f->n_offered, e, idx);
    if (f->fail_offer && (f->fail_offer_at == 0 || f->fail_offer_at == idx))
        return f->fail_offer;
    if (f->repoint_buf)
        e->data.buf = f->repoint_buf;
    if (f->reenter) {
        f->reenter_nodeid = raft_get_nodeid(r);
        f->reenter_term_ok = raft_get_current_term(r) >= 0 && raft_get_my_node(r) != NULL;
    }
    if (f->host_membership) {
        int id = payload_node_id(e);
        if (e->type == RAFT_LOGTYPE_ADD_NONVOTING_NODE)
            raft_add_non_voting_node(r, NULL, id, id == raft_get_nodeid(r));
        else if (e->type == RAFT_LOGTYPE_ADD_NODE)
            raft_add_node(r, NULL, id, id == raft_get_nodeid(r));
        else if (e->type == RAFT_LOGTYPE_REMOVE_NODE && raft_get_node(r, id))
            raft_remove_node(r, raft_get_node(r, id));
    }
    return 0;
}

static int cb_pop(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    fx_t *f = ud;
    (void)r;
    rec_ent(f->popped, &f->n_popped, e, idx);
    return f->fail_pop;
}

static int cb_poll(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    fx_t *f = ud;
    (void)r;
    rec_ent(f->polled, &f->n_polled, e, idx);
    return f->fail_poll;
}

static int cb_clear(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    fx_t *f = ud;
    (void)r;
    rec_ent(f->cleared, &f->n_cleared, e, idx);
    return 0;
}

static int cb_get_node_id(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)r; (void)ud; (void)idx;
    return payload_node_id(e);
}

static int cb_suff(raft_server_t *r, void *ud, raft_node_t *node)
{
    fx_t *f = ud;
    (void)r;
    if (f->n_suff < FX_MAX_REC)
        f->suff[f->n_suff++] = node_id_of(node);
    if (f->promote_in_suff) {
        msg_entry_t e;
        msg_entry_response_t resp;
        memset(&e, 0, sizeof(e));
        e.id = 5000;
        e.type = RAFT_LOGTYPE_ADD_NODE;
        e.data.buf = fx_node_id_payload(node_id_of(node));
        e.data.len = sizeof(int);
        f->promote_ret = raft_retain_entries(r, &e, &resp);
    }
    return f->fail_suff;
}

static void cb_membership(raft_server_t *r, void *ud, raft_node_t *node, raft_entry_t *e, raft_membership_e type)
{
    fx_t *f = ud;
    (void)r;
    if (f->n_mem < FX_MAX_REC) {
        f->mem[f->n_mem].node = node_id_of(node);
        f->mem[f->n_mem].type = (int)type;
        f->mem[f->n_mem].has_entry = e != NULL;
        f->mem[f->n_mem].entry_type = e ? e->type : -1;
        f->n_mem++;
    }
}

static void cb_log(raft_server_t *r, raft_node_t *node, void *ud, const char *buf)
{
    fx_t *f = ud;
    (void)r; (void)node; (void)buf;
    f->n_log_msgs++;
}

static void fx_destroy(void *p)
{
    fx_t *f = p;
    raft_free(f->r);
    free(f);
}

fx_t *fx_new_empty(void)
{
    fx_t *f = calloc(1, sizeof(*f));
    ASSERT_NOT_NULL(f);
    f->r = raft_new();
    if (!f->r) {
        free(f);
        th_fail(__FILE__, __LINE__, "raft_new() returned NULL");
    }
    th_defer(fx_destroy, f);
    f->cbs.send_requestvote = cb_send_rv;
    f->cbs.send_appendentries = cb_send_ae;
    f->cbs.send_snapshot = cb_send_snapshot;
    f->cbs.log_apply = cb_apply;
    f->cbs.persist_vote = cb_persist_vote;
    f->cbs.persist_term = cb_persist_term;
    f->cbs.log_offer = cb_offer;
    f->cbs.log_poll = cb_poll;
    f->cbs.log_pop = cb_pop;
    f->cbs.log_clear = cb_clear;
    f->cbs.log_get_node_id = cb_get_node_id;
    f->cbs.node_has_sufficient_logs = cb_suff;
    f->cbs.notify_membership_event = cb_membership;
    f->cbs.log = cb_log;
    raft_set_callbacks(f->r, &f->cbs, f);
    raft_set_random_seed(f->r, 42);
    return f;
}

fx_t *fx_new(int self, int n)
{
    fx_t *f = fx_new_empty();
    int i;
    for (i = 1; i <= n; i++)
        ASSERT_NOT_NULL(raft_add_node(f->r, NULL, i, i == self));
    raft_set_election_timeout(f->r, 1000);
    raft_set_request_timeout(f->r, 200);
    fx_clear_rec(f);
    return f;
}

raft_node_t *fx_node(fx_t *f, int id)
{
    return raft_get_node(f->r, id);
}

void fx_clear_rec(fx_t *f)
{
    f->n_rv = f->n_ae = f->n_snap = f->n_applied = f->n_offered = f->n_popped = 0;
    f->n_polled = f->n_cleared = f->n_pterm = f->n_pvote = f->n_mem = f->n_suff = 0;
    f->n_log_msgs = 0;
}

void fx_elect(fx_t *f)
{
    int i, n = raft_get_num_nodes(f->r);
    ASSERT_EQ(raft_become_candidate(f->r), 0);
    ASSERT(raft_is_candidate(f->r));
    for (i = 0; i < n && !raft_is_leader(f->r); i++) {
        raft_node_t *node = raft_get_node_from_idx(f->r, i);
        int id = raft_node_get_id(node);
        if (id == raft_get_nodeid(f->r) || !raft_node_is_voting(node))
            continue;
        ASSERT_EQ(fx_recv_vote(f, id, raft_get_current_term(f->r), 1), 0);
    }
    ASSERT_MSG(raft_is_leader(f->r), "fx_elect: server did not become leader");
    fx_clear_rec(f);
}

void fx_make_leader_at(fx_t *f, raft_term_t term)
{
    ASSERT_EQ(raft_set_current_term(f->r, term), 0);
    raft_become_leader(f->r);
    ASSERT(raft_is_leader(f->r));
    fx_clear_rec(f);
}

void fx_append(fx_t *f, raft_term_t term, int id)
{
    raft_entry_t e;
    memset(&e, 0, sizeof(e));
    e.term = term;
    e.id = id;
    e.type = RAFT_LOGTYPE_NORMAL;
    e.data.buf = fx_payload;
    e.data.len = 8;
    ASSERT_EQ(raft_append_entry(f->r, &e), 0);
}

void fx_append_cfg(fx_t *f, raft_term_t term, int id, int type, int node_id)
{
    raft_entry_t e;
    memset(&e, 0, sizeof(e));
    e.term = term;
    e.id = id;
    e.type = type;
    e.data.buf = fx_node_id_payload(node_id);
    e.data.len = sizeof(int);
    ASSERT_EQ(raft_append_entry(f->r, &e), 0);
}

int fx_retain(fx_t *f, int id, msg_entry_response_t *resp)
{
    msg_entry_t e;
    msg_entry_response_t tmp;
    memset(&e, 0, sizeof(e));
    e.id = id;
    e.type = RAFT_LOGTYPE_NORMAL;
    e.data.buf = fx_payload;
    e.data.len = 8;
    return raft_retain_entries(f->r, &e, resp ? resp : &tmp);
}

int fx_retain_cfg(fx_t *f, int id, int type, int node_id, msg_entry_response_t *resp)
{
    msg_entry_t e;
    msg_entry_response_t tmp;
    memset(&e, 0, sizeof(e));
    e.id = id;
    e.type = type;
    e.data.buf = fx_node_id_payload(node_id);
    e.data.len = sizeof(int);
    return raft_retain_entries(f->r, &e, resp ? resp : &tmp);
}

int fx_recv_ae(fx_t *f, int from, raft_term_t term, raft_index_t prev_idx, raft_term_t prev_term,
               raft_index_t commit, const raft_term_t *terms, int n, msg_appendentries_response_t *resp)
{
    msg_entry_t ents[FX_MAX_AE_ENTRIES];
    msg_appendentries_t ae;
    msg_appendentries_response_t tmp;
    int i;
    memset(ents, 0, sizeof(ents));
    memset(&ae, 0, sizeof(ae));
    for (i = 0; i < n && i < FX_MAX_AE_ENTRIES; i++) {
        ents[i].term = terms[i];
        ents[i].id = (int)(100 + prev_idx + 1 + i);
        ents[i].type = RAFT_LOGTYPE_NORMAL;
        ents[i].data.buf = fx_payload;
        ents[i].data.len = 8;
    }
    ae.term = term;
    ae.prev_log_idx = prev_idx;
    ae.prev_log_term = prev_term;
    ae.leader_commit = commit;
    ae.n_entries = n;
    ae.entries = n ? ents : NULL;
    memset(resp ? resp : &tmp, 0, sizeof(tmp));
    return raft_recv_appendentries(f->r, fx_node(f, from), &ae, resp ? resp : &tmp);
}

int fx_recv_aer(fx_t *f, int from, raft_term_t term, int success, raft_index_t current_idx)
{
    return fx_recv_aer_at(f, from, term, success, current_idx, 0, 0);
}

int fx_recv_aer_at(fx_t *f, int from, raft_term_t term, int success, raft_index_t current_idx,
                   raft_index_t first_idx, raft_term_t hint_term)
{
    msg_appendentries_response_t r;
    memset(&r, 0, sizeof(r));
    r.term = term;
    r.success = success;
    r.current_idx = current_idx;
    r.first_idx = first_idx;
    r.reject_hint_term = hint_term;
    return raft_recv_appendentries_response(f->r, fx_node(f, from), &r);
}

int fx_recv_vote(fx_t *f, int from, raft_term_t term, int granted)
{
    msg_requestvote_response_t r;
    r.term = term;
    r.vote_granted = granted;
    return raft_recv_requestvote_response(f->r, fx_node(f, from), &r);
}

int fx_recv_rv(fx_t *f, int from, raft_term_t term, raft_index_t last_idx, raft_term_t last_term,
               msg_requestvote_response_t *resp)
{
    msg_requestvote_t rv;
    rv.term = term;
    rv.candidate_id = from;
    rv.last_log_idx = last_idx;
    rv.last_log_term = last_term;
    resp->term = -77;
    resp->vote_granted = -77;
    return raft_recv_requestvote(f->r, fx_node(f, from), &rv, resp);
}

int fx_count_ae_to(fx_t *f, int node)
{
    int i, n = 0;
    for (i = 0; i < f->n_ae; i++)
        n += f->ae[i].node == node;
    return n;
}

int fx_count_rv_to(fx_t *f, int node)
{
    int i, n = 0;
    for (i = 0; i < f->n_rv; i++)
        n += f->rv[i].node == node;
    return n;
}

fx_ae_t *fx_last_ae_to(fx_t *f, int node)
{
    int i;
    for (i = f->n_ae - 1; i >= 0; i--)
        if (f->ae[i].node == node)
            return &f->ae[i];
    return NULL;
}
