/* The fixture's servers: creation from a bootstrap configuration, restart
 * from what was persisted, crash, snapshots, proposals, and the checks run
 * against the library's own state. See cluster.h. */
#include "cluster_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cl_msg_type_name[CL_NTYPES] = {
    "RequestVote", "RequestVoteResponse", "AppendEntries", "AppendEntriesResponse", "Snapshot",
    "TimeoutNow", "ReadIndex", "ReadIndexResponse"
};

/* ---- utilities ----------------------------------------------------------- */

static void out_of_memory(void)
{
    fputs("cluster fixture: out of memory\n", stderr);
    abort();
}

void *cl_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *cl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *cl_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *cl_memdup(const void *p, unsigned len)
{
    void *d;
    if (!p || !len)
        return NULL;
    d = cl_xmalloc(len);
    memcpy(d, p, len);
    return d;
}

const char *cl_rc_name(int rc)
{
    static char other[32];
    switch (rc) {
    case 0: return "OK";
    case RAFT_ERR_NOT_LEADER: return "RAFT_ERR_NOT_LEADER";
    case RAFT_ERR_ONE_VOTING_CHANGE_ONLY: return "RAFT_ERR_ONE_VOTING_CHANGE_ONLY";
    case RAFT_ERR_SHUTDOWN: return "RAFT_ERR_SHUTDOWN";
    case RAFT_ERR_NOMEM: return "RAFT_ERR_NOMEM";
    case RAFT_ERR_NEEDS_SNAPSHOT: return "RAFT_ERR_NEEDS_SNAPSHOT";
    case RAFT_ERR_SNAPSHOT_IN_PROGRESS: return "RAFT_ERR_SNAPSHOT_IN_PROGRESS";
    case RAFT_ERR_SNAPSHOT_ALREADY_LOADED: return "RAFT_ERR_SNAPSHOT_ALREADY_LOADED";
    case RAFT_ERR_INVALID: return "RAFT_ERR_INVALID";
    default:
        snprintf(other, sizeof(other), "%d", rc);
        return other;
    }
}

void cl_emit(cluster_t *c, const cl_event_t *ev)
{
    if (c->o.on_event)
        c->o.on_event(c->o.ctx, ev);
}

void cl_violation(cluster_t *c, const char *fmt, ...)
{
    char text[512];
    cl_event_t ev;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (c->violations++ == 0)
        memcpy(c->first_violation, text, sizeof(text));
    memset(&ev, 0, sizeof(ev));
    ev.kind = CL_EV_VIOLATION;
    ev.text = text;
    cl_emit(c, &ev);
}

void cl_safety_result(cluster_t *c, int rc)
{
    if (rc == SAFETY_VIOLATION)
        cl_violation(c, "%s", safety_last_violation(c->safety));
    else if (rc == SAFETY_BAD_ARGUMENT)
        cl_violation(c, "safety checker: a report it cannot use (the fixture's model and the checker disagree)");
}

static int setup_error(cluster_t *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int setup_error(cluster_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof(c->error), fmt, ap);
    va_end(ap);
    return -1;
}

const char *cl_error(const cluster_t *c)
{
    return c->error;
}

long cl_violations(const cluster_t *c)
{
    return c->violations;
}

const char *cl_first_violation(const cluster_t *c)
{
    return c->first_violation;
}

/* ---- lifetime ------------------------------------------------------------ */

void cl_options_init(cl_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->election_ms = 200;
    o->request_ms = 50;
}

cluster_t *cl_new(const cl_options_t *o)
{
    cluster_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->o = *o;
    c->election_ms = o->election_ms;
    c->request_ms = o->request_ms;
    c->rng = (uint64_t)o->seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
    c->safety = safety_new();
    if (!c->safety) {
        free(c);
        return NULL;
    }
    return c;
}

static void free_server(cl_server_t *s)
{
    raft_free(s->r);
    cl_free_log(s);
    free(s->sm);
    cl_snapshot_clear(&s->snap);
    cl_arena_free(&s->arena);
    free(s);
}

void cl_free(cluster_t *c)
{
    int i;
    size_t k;
    if (!c)
        return;
    for (i = 1; i <= CL_MAX_SERVERS; i++)
        if (c->servers[i])
            free_server(c->servers[i]);
    for (k = c->qhead; k < c->qtail; k++)
        cl_msg_release(c, &c->q[k]);
    free(c->q);
    free(c->q_retired);
    cl_arena_free(&c->pool);
    safety_free(c->safety);
    free(c);
}

/* ---- servers ------------------------------------------------------------- */

void cl_add_member(raft_server_t *r, int id, int voting, int is_self)
{
    if (voting)
        raft_add_node(r, NULL, id, is_self);
    else
        raft_add_non_voting_node(r, NULL, id, is_self);
}

/* (Re)build s's server from what it persisted: configuration (its
 * bootstrap one, then its snapshot's), term, vote, then the log. */
static int start_server(cluster_t *c, cl_server_t *s)
{
    raft_cbs_t cbs = c->o.lean ? cl_cbs_lean : cl_cbs_model;   /* copied by the library */
    int i, rc;
    s->r = raft_new();
    if (!s->r)
        return setup_error(c, "raft_new() returned NULL");
    s->loading = 1;
    raft_set_callbacks(s->r, &cbs, s);
    raft_set_random_seed(s->r, (uint64_t)c->o.seed * 1000003u + (uint64_t)s->id * 101u + (uint64_t)s->restarts * 7919u);
    raft_set_election_timeout(s->r, s->election_ms);
    raft_set_request_timeout(s->r, s->request_ms);
    if (c->o.extensions && !c->o.lean)
        raft_set_ext_callbacks(s->r, &cl_cbs_ext, sizeof(cl_cbs_ext));
    s->n_state_events = s->n_transfer_events = 0;
    s->last_state = s->last_transfer = -1;
    if (c->o.configure)
        c->o.configure(c->o.ctx, s->r);
    for (i = 0; i < s->nboot; i++) {
        int self = s->boot[i].id == s->id;
        raft_node_t *nd = s->boot[i].voting ? raft_add_node(s->r, NULL, s->boot[i].id, self)
                                            : raft_add_non_voting_node(s->r, NULL, s->boot[i].id, self);
        if (!nd) {
            s->loading = 0;
            return setup_error(c, "server %d: adding member %d failed", s->id, s->boot[i].id);
        }
    }
    if (s->snap.idx > 0) {
        rc = raft_begin_load_snapshot(s->r, s->snap.term, s->snap.idx);
        if (rc != 0)
            cl_violation(c, "%d restart: raft_begin_load_snapshot(%ld, %ld) returned %s", s->id, (long)s->snap.term,
                         (long)s->snap.idx, cl_rc_name(rc));
        for (i = 0; i < s->snap.nmembers; i++) {
            if (s->snap.members[i].id == s->id)
                raft_node_set_voting(raft_get_my_node(s->r), s->snap.members[i].voting);
            else
                cl_add_member(s->r, s->snap.members[i].id, s->snap.members[i].voting, 0);
        }
        raft_end_load_snapshot(s->r);
    }
    if (s->p_term > 0 && (rc = raft_set_current_term(s->r, s->p_term)) != 0)
        cl_violation(c, "%d restart: raft_set_current_term returned %s", s->id, cl_rc_name(rc));
    if (s->p_vote != -1 && (rc = raft_vote_for_nodeid(s->r, s->p_vote)) != 0)
        cl_violation(c, "%d restart: raft_vote_for_nodeid returned %s", s->id, cl_rc_name(rc));
    for (i = 0; i < s->count; i++) {
        raft_entry_t e = s->log[i];
        if ((rc = raft_append_entry(s->r, &e)) != 0)
            cl_violation(c, "%d restart: raft_append_entry(%ld) returned %s", s->id, (long)(s->base + 1 + i),
                         cl_rc_name(rc));
    }
    s->loading = 0;
    if (c->o.lean) {
        for (i = 0; i < s->nboot; i++)
            s->peer[s->boot[i].id] = raft_get_node(s->r, s->boot[i].id);
    } else {
        cl_sm_reset(s, &s->snap);
        cl_safety_result(c, safety_restart(c->safety, s->id, s->snap.idx));
    }
    s->checked_commit = raft_get_commit_idx(s->r);
    return 0;
}

int cl_add_server(cluster_t *c, int id, const cl_member_t *boot, int nboot)
{
    cl_server_t *s;
    int i, self = 0;
    if (id < 1 || id > CL_MAX_SERVERS)
        return setup_error(c, "server id %d is not in 1..%d", id, CL_MAX_SERVERS);
    if (c->servers[id])
        return setup_error(c, "server %d exists", id);
    if (nboot < 1 || nboot > CL_MAX_SERVERS)
        return setup_error(c, "server %d: %d members (1..%d)", id, nboot, CL_MAX_SERVERS);
    for (i = 0; i < nboot; i++) {
        if (boot[i].id < 1 || boot[i].id > CL_MAX_SERVERS)
            return setup_error(c, "server %d: member id %d is not in 1..%d", id, boot[i].id, CL_MAX_SERVERS);
        self |= boot[i].id == id;
    }
    if (!self)
        return setup_error(c, "server %d is not among its own members", id);
    s = cl_xcalloc(1, sizeof(*s));
    s->c = c;
    s->id = id;
    s->p_vote = -1;
    s->election_ms = c->election_ms;
    s->request_ms = c->request_ms;
    s->nboot = nboot;
    memcpy(s->boot, boot, (size_t)nboot * sizeof(cl_member_t));
    c->servers[id] = s;
    if (start_server(c, s) != 0) {
        c->servers[id] = NULL;
        free_server(s);
        return -1;
    }
    if (id > c->n)
        c->n = id;
    return 0;
}

int cl_bootstrap(cluster_t *c, int n)
{
    cl_member_t boot[CL_MAX_SERVERS];
    int i;
    if (n < 1 || n > CL_MAX_SERVERS)
        return setup_error(c, "cluster of %d servers (1..%d)", n, CL_MAX_SERVERS);
    for (i = 0; i < n; i++) {
        boot[i].id = i + 1;
        boot[i].voting = 1;
    }
    for (i = 1; i <= n; i++)
        if (cl_add_server(c, i, boot, n) != 0)
            return -1;
    return 0;
}

int cl_add_joiner(cluster_t *c)
{
    cl_member_t boot[CL_MAX_SERVERS];
    int id = c->n + 1, nboot = 0, j;
    if (id > CL_MAX_SERVERS)
        return setup_error(c, "no room for server %d", id);
    for (j = 1; j < id; j++)
        if (c->servers[j]) {
            boot[nboot].id = j;
            boot[nboot++].voting = 1;
        }
    boot[nboot].id = id;
    boot[nboot++].voting = 0;
    return cl_add_server(c, id, boot, nboot) == 0 ? id : -1;
}

cl_server_t *cl_server(const cluster_t *c, int id)
{
    return id >= 1 && id <= CL_MAX_SERVERS ? c->servers[id] : NULL;
}

raft_server_t *cl_raft(const cluster_t *c, int id)
{
    cl_server_t *s = cl_server(c, id);
    return s ? s->r : NULL;
}

int cl_crash(cluster_t *c, int id)
{
    cl_server_t *s = cl_server(c, id);
    if (!s || !s->r)
        return setup_error(c, "cl_crash: server %d is not running", id);
    raft_free(s->r);
    s->r = NULL;
    free(s->sm);
    s->sm = NULL;
    s->applied = s->sm_cap = 0;
    return 0;
}

int cl_restart(cluster_t *c, int id)
{
    cl_server_t *s = cl_server(c, id);
    if (!s)
        return setup_error(c, "cl_restart: no server %d", id);
    if (c->o.lean)
        return setup_error(c, "cl_restart: lean mode persists nothing");
    if (s->r)
        cl_crash(c, id);
    s->restarts++;
    return start_server(c, s);
}

void cl_pause(cluster_t *c, int id, int paused)
{
    cl_server_t *s = cl_server(c, id);
    if (s)
        s->paused = paused;
}

int cl_periodic(cluster_t *c, int id, int ms)
{
    cl_server_t *s = cl_server(c, id);
    int rc;
    if (!s || !s->r)
        return RAFT_ERR_INVALID;
    rc = raft_periodic(s->r, ms);
    if (rc != 0)
        s->last_err = rc;
    return rc;
}

int cl_periodic_all(cluster_t *c, int ms)
{
    int i, first = 0;
    for (i = 1; i <= c->n; i++) {
        cl_server_t *s = c->servers[i];
        if (s && s->r && !s->paused) {
            int rc = raft_periodic(s->r, ms);
            if (rc != 0) {
                s->last_err = rc;
                if (!first)
                    first = rc;
            }
        }
    }
    return first;
}

int cl_snapshot(cluster_t *c, int id)
{
    cl_server_t *s = cl_server(c, id);
    cl_snapshot_t snap;
    raft_node_t *nd;
    int rc, i;
    if (!s || !s->r || c->o.lean)
        return RAFT_ERR_INVALID;
    rc = raft_begin_snapshot(s->r, 0);
    if (rc != 0)
        return rc;
    memset(&snap, 0, sizeof(snap));
    snap.idx = raft_get_snapshot_last_idx(s->r);
    snap.term = raft_get_snapshot_last_term(s->r);
    if (snap.idx > s->applied) {
        cl_violation(c, "%d snapshot at %ld beyond applied %ld", s->id, (long)snap.idx, (long)s->applied);
        snap.idx = s->applied;
    }
    for (i = 0; (nd = raft_get_node_from_idx(s->r, i)) != NULL && snap.nmembers < CL_MAX_SERVERS; i++) {
        if (!raft_node_is_active(nd))
            continue;
        snap.members[snap.nmembers].id = raft_node_get_id(nd);
        snap.members[snap.nmembers++].voting = raft_node_is_voting(nd);
    }
    snap.sm = cl_xcalloc((size_t)snap.idx + 1, sizeof(cl_applied_t));
    memcpy(snap.sm, s->sm, ((size_t)snap.idx + 1) * sizeof(cl_applied_t));
    cl_snapshot_clear(&s->snap);
    s->snap = snap;     /* saved before raft_end_snapshot: send_snapshot may ship it */
    return raft_end_snapshot(s->r);
}

int cl_propose(cluster_t *c, int id, raft_entry_id_t entry_id, int type, const void *data, unsigned len,
               msg_entry_response_t *resp)
{
    raft_server_t *r = cl_raft(c, id);
    msg_entry_t e;
    msg_entry_response_t tmp;
    if (!r)
        return RAFT_ERR_INVALID;
    if (!resp)
        resp = &tmp;
    memset(&e, 0, sizeof(e));
    memset(resp, 0, sizeof(*resp));
    e.id = entry_id;
    e.type = type;
    e.data.buf = (void *)data;  /* log_offer copies it */
    e.data.len = len;
    return raft_retain_entries(r, &e, resp);
}

int cl_submit(cluster_t *c, int id, raft_entry_id_t entry_id, msg_entry_response_t *resp)
{
    char payload[32];
    snprintf(payload, sizeof(payload), "v%d", entry_id);
    return cl_propose(c, id, entry_id, RAFT_LOGTYPE_NORMAL, payload, (unsigned)strlen(payload), resp);
}

int cl_submit_cfg(cluster_t *c, int id, raft_entry_id_t entry_id, int type, int node_id, msg_entry_response_t *resp)
{
    char payload[16];
    snprintf(payload, sizeof(payload), "%d", node_id);
    return cl_propose(c, id, entry_id, type, payload, (unsigned)strlen(payload), resp);
}

raft_entry_id_t cl_applied_id(const cluster_t *c, int id, raft_index_t idx)
{
    cl_server_t *s = cl_server(c, id);
    if (!s || !s->sm || idx < 1 || idx > s->applied)
        return 0;
    return s->sm[idx].id;
}

static int running(const cl_server_t *s)
{
    return s && s->r && !s->paused;
}

int cl_leader(const cluster_t *c)
{
    int i, best = -1;
    raft_term_t best_term = -1;
    for (i = 1; i <= c->n; i++) {
        cl_server_t *s = c->servers[i];
        if (running(s) && raft_is_leader(s->r) && raft_get_current_term(s->r) > best_term) {
            best_term = raft_get_current_term(s->r);
            best = i;
        }
    }
    return best;
}

int cl_count_leaders(const cluster_t *c)
{
    int i, k = 0;
    for (i = 1; i <= c->n; i++)
        if (running(c->servers[i]) && raft_is_leader(c->servers[i]->r))
            k++;
    return k;
}

/* ---- checks against the library's state ---------------------------------- */

void cl_check(cluster_t *c)
{
    int i;
    if (c->o.lean)
        return;
    for (i = 1; i <= c->n; i++) {
        cl_server_t *s = c->servers[i];
        raft_term_t term;
        if (!running(s))
            continue;
        term = raft_get_current_term(s->r);
        if (raft_is_leader(s->r))
            cl_safety_result(c, safety_leader(c->safety, s->id, term));
        if (c->o.check_commits) {
            raft_index_t commit = raft_get_commit_idx(s->r);
            if (commit != s->checked_commit) {
                s->checked_commit = commit;
                cl_safety_result(c, safety_commit(c->safety, s->id, commit, term));
            }
        }
    }
}

void cl_check_logs(cluster_t *c)
{
    int i;
    if (c->o.lean)
        return;
    for (i = 1; i <= c->n; i++) {
        cl_server_t *s = c->servers[i];
        raft_index_t k, last;
        if (!s || !s->r)
            continue;
        last = raft_get_current_idx(s->r);
        if (last != s->base + s->count)
            cl_violation(c, "%d library log ends at %ld, persisted log at %ld", i, (long)last, (long)(s->base + s->count));
        for (k = s->base + 1; k <= last && k <= s->base + s->count; k++) {
            raft_entry_t *e = raft_get_entry_from_idx(s->r, k);
            raft_entry_t *x = cl_model_entry(s, k);
            if (!e || e->term != x->term || e->id != x->id || e->data.len != x->data.len ||
                (x->data.len && (!e->data.buf || memcmp(e->data.buf, x->data.buf, x->data.len)))) {
                cl_violation(c, "%d library entry %ld differs from the persisted one", i, (long)k);
                break;
            }
        }
    }
}
