/* interact — interaction-script tests for libraft over its C ABI.
 *
 * A script (c_tests/interact/scripts/NAME.txt) is a sequence of commands,
 * each followed by `----` and the exact output it must produce, ended by a
 * blank line.  Lines starting with `#` (and blank lines) between blocks are
 * comments.  The runner drives a small in-process cluster of raft servers
 * (one per node id) whose messages wait in one FIFO queue until a command
 * delivers them, so that every step of a scenario is explicit and its output
 * is deterministic.  See c_tests/interact/README.md for the commands.
 *
 *   interact [--rewrite] [-v] SCRIPT...
 *
 * The last line printed is "N passed, N failed" (N = scripts); the exit
 * status is non-zero if any script failed.
 */
#include "raft.h"
#include "../raft_fault.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 9              /* node ids 1..MAXN */
#define MAX_DELIVERIES 10000 /* per stabilize: a runaway exchange is an error */

/* ------------------------------------------------------------------------
 * Utilities
 * ---------------------------------------------------------------------- */

static void oom(void)
{
    fputs("interact: out of memory\n", stderr);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        oom();
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

/* A copy of len bytes (NULL when len is 0). */
static char *xmemdup(const void *p, unsigned len)
{
    char *d;
    if (!p || !len)
        return NULL;
    d = xmalloc(len);
    memcpy(d, p, len);
    return d;
}

/* Growable string. */
typedef struct {
    char *s;
    size_t len, cap;
} buf_t;

static void buf_putn(buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_puts(buf_t *b, const char *s)
{
    buf_putn(b, s, strlen(s));
}

static void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    char tmp[512];
    va_list ap2;
    int n;
    va_copy(ap2, ap);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        buf_putn(b, tmp, (size_t)n);
    } else {
        char *big = xmalloc((size_t)n + 1);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        buf_putn(b, big, (size_t)n);
        free(big);
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

static void buf_reset(buf_t *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

static void buf_free(buf_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

static const char *rc_name(int rc)
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

static const char *state_name(int s)
{
    switch (s) {
    case RAFT_STATE_FOLLOWER: return "follower";
    case RAFT_STATE_CANDIDATE: return "candidate";
    case RAFT_STATE_LEADER: return "leader";
    default: return "none";
    }
}

static const char *cfg_name(int type)
{
    switch (type) {
    case RAFT_LOGTYPE_ADD_NONVOTING_NODE: return "add-nonvoting";
    case RAFT_LOGTYPE_ADD_NODE: return "add";
    case RAFT_LOGTYPE_DEMOTE_NODE: return "demote";
    case RAFT_LOGTYPE_REMOVE_NODE: return "remove";
    default: return NULL;
    }
}

/* `IDX/TERM:"data"` or `IDX/TERM:add(4)` for a configuration change. */
static void fmt_entry(buf_t *b, raft_index_t idx, raft_term_t term, int type, const char *data, unsigned len)
{
    unsigned i;
    const char *cfg = cfg_name(type);
    buf_printf(b, "%ld/%ld:", (long)idx, (long)term);
    if (cfg) {
        buf_printf(b, "%s(", cfg);
        buf_putn(b, data ? data : "", data ? len : 0);
        buf_puts(b, ")");
        return;
    }
    if (type != RAFT_LOGTYPE_NORMAL)
        buf_printf(b, "type%d:", type);
    buf_puts(b, "\"");
    for (i = 0; data && i < len; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '"' || ch == '\\')
            buf_printf(b, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f)
            buf_putn(b, (const char *)&ch, 1);
        else
            buf_printf(b, "\\x%02x", ch);
    }
    buf_puts(b, "\"");
}

/* ------------------------------------------------------------------------
 * The world: nodes, their persisted models, the message queue
 * ---------------------------------------------------------------------- */

typedef struct {
    raft_term_t term;
    int id;
    int type;
    char *buf;
    unsigned len;
} ent_t;

typedef struct {
    int id;
    int voting;
} member_t;

/* State machine content: which entry (term, id) was applied at each index. */
typedef struct {
    raft_term_t term;
    int id;
} sment_t;

typedef struct {
    raft_index_t idx;   /* last included index; 0 = no snapshot */
    raft_term_t term;   /* last included term */
    int nmembers;
    member_t members[MAXN];
    sment_t *sm;        /* state machine at idx: sm[1..idx] */
} snap_t;

struct world;

typedef struct node {
    struct world *w;
    int id;
    raft_server_t *r;       /* NULL while crashed */
    int restarts;
    int election, heartbeat;
    /* the configuration the node was created with (used on restart) */
    int nboot;
    member_t boot[MAXN];
    /* ---- persisted (survives crash) ---- */
    raft_term_t p_term;
    int p_vote;
    ent_t *log;             /* entries base+1 .. base+count */
    int count, cap;
    raft_index_t base;
    snap_t snap;
    /* ---- volatile ---- */
    sment_t *sm;            /* applied entries, sm[1..applied] */
    raft_index_t applied, smcap;
    int loading;            /* restart / setup in progress: callbacks are quiet */
    int seen_state;
    raft_term_t seen_term;
    raft_index_t seen_commit;
} node_t;

enum { M_RV, M_RVR, M_AE, M_AER, M_SNAP, M_NTYPES };
static const char *msg_type_name[M_NTYPES] = {
    "RequestVote", "RequestVoteResponse", "AppendEntries", "AppendEntriesResponse", "Snapshot"
};

typedef struct {
    int type, from, to;
    msg_requestvote_t rv;
    msg_requestvote_response_t rvr;
    msg_appendentries_t ae;     /* .entries unused: see ents */
    ent_t *ents;                /* deep copy of the entries */
    msg_appendentries_response_t aer;
    raft_term_t snap_leader_term;
    snap_t snap;                /* deep copy of the sender's snapshot */
} msg_t;

typedef struct world {
    node_t *nodes[MAXN + 1];
    int n;                      /* highest node id created */
    msg_t *q;
    int qlen, qcap;
    int cut[MAXN + 1][MAXN + 1];
    int election, heartbeat;
    unsigned long seed;
    int next_entry_id;
    int verbose;
    buf_t out;
    int indent;
    /* safety bookkeeping */
    int *leader_of_term;
    long nterms;
    sment_t *committed;         /* first entry applied at each index, any node */
    long ncommitted;
    char err[256];              /* usage error in the current command */
} world_t;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void say(world_t *w, const char *fmt, ...)
{
    va_list ap;
    int i;
    for (i = 0; i < w->indent; i++)
        buf_putn(&w->out, " ", 1);
    va_start(ap, fmt);
    buf_vprintf(&w->out, fmt, ap);
    va_end(ap);
    buf_putn(&w->out, "\n", 1);
}

static void say_buf(world_t *w, buf_t *b)
{
    say(w, "%s", b->s ? b->s : "");
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void usage_error(world_t *w, const char *fmt, ...)
{
    va_list ap;
    if (w->err[0])
        return;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
}

static node_t *get_node(world_t *w, int id)
{
    if (id < 1 || id > MAXN)
        return NULL;
    return w->nodes[id];
}

static ent_t *model_entry(node_t *n, raft_index_t idx)
{
    if (idx <= n->base || idx > n->base + n->count)
        return NULL;
    return &n->log[idx - n->base - 1];
}

static void snap_free(snap_t *s)
{
    free(s->sm);
    memset(s, 0, sizeof(*s));
}

static void snap_copy(snap_t *dst, const snap_t *src)
{
    *dst = *src;
    dst->sm = NULL;
    if (src->idx > 0 && src->sm) {
        dst->sm = xcalloc((size_t)src->idx + 1, sizeof(sment_t));
        memcpy(dst->sm, src->sm, ((size_t)src->idx + 1) * sizeof(sment_t));
    }
}

static void sm_reset(node_t *n, const snap_t *s)
{
    free(n->sm);
    n->smcap = (s && s->idx > 0 ? s->idx : 0) + 16;
    n->sm = xcalloc((size_t)n->smcap + 1, sizeof(sment_t));
    n->applied = 0;
    if (s && s->idx > 0 && s->sm) {
        memcpy(n->sm, s->sm, ((size_t)s->idx + 1) * sizeof(sment_t));
        n->applied = s->idx;
    }
}

static void free_msg(msg_t *m)
{
    int i;
    if (m->ents) {
        for (i = 0; i < m->ae.n_entries; i++)
            free(m->ents[i].buf);
        free(m->ents);
        m->ents = NULL;
    }
    snap_free(&m->snap);
}

static void copy_msg(msg_t *dst, const msg_t *src)
{
    int i;
    *dst = *src;
    if (src->ents) {
        dst->ents = xcalloc((size_t)src->ae.n_entries, sizeof(ent_t));
        for (i = 0; i < src->ae.n_entries; i++) {
            dst->ents[i] = src->ents[i];
            dst->ents[i].buf = xmemdup(src->ents[i].buf, src->ents[i].len);
        }
    }
    snap_copy(&dst->snap, &src->snap);
}

static void fmt_members(buf_t *b, const member_t *m, int n)
{
    int i;
    for (i = 0; i < n; i++)
        buf_printf(b, "%s%d%s", i ? "," : "", m[i].id, m[i].voting ? "" : "(non-voting)");
}

static void fmt_msg(buf_t *b, const msg_t *m)
{
    int i;
    buf_printf(b, "%d->%d %s ", m->from, m->to, msg_type_name[m->type]);
    switch (m->type) {
    case M_RV:
        buf_printf(b, "term=%ld last=(%ld,%ld)", (long)m->rv.term, (long)m->rv.last_log_idx,
                   (long)m->rv.last_log_term);
        if (m->rv.candidate_id != m->from)
            buf_printf(b, " candidate=%d", m->rv.candidate_id);
        break;
    case M_RVR:
        buf_printf(b, "term=%ld %s", (long)m->rvr.term,
                   m->rvr.vote_granted == RAFT_REQUESTVOTE_ERR_GRANTED ? "granted"
                   : m->rvr.vote_granted == RAFT_REQUESTVOTE_ERR_NOT_GRANTED ? "rejected"
                   : m->rvr.vote_granted == RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE ? "unknown-node" : "?");
        break;
    case M_AE:
        buf_printf(b, "term=%ld prev=(%ld,%ld) commit=%ld entries=[", (long)m->ae.term,
                   (long)m->ae.prev_log_idx, (long)m->ae.prev_log_term, (long)m->ae.leader_commit);
        for (i = 0; i < m->ae.n_entries; i++) {
            if (i)
                buf_puts(b, " ");
            fmt_entry(b, m->ae.prev_log_idx + 1 + i, m->ents[i].term, m->ents[i].type, m->ents[i].buf,
                      m->ents[i].len);
        }
        buf_puts(b, "]");
        break;
    case M_AER:
        buf_printf(b, "term=%ld %s current_idx=%ld first_idx=%ld", (long)m->aer.term,
                   m->aer.success ? "success" : "reject", (long)m->aer.current_idx, (long)m->aer.first_idx);
        break;
    case M_SNAP:
        buf_printf(b, "term=%ld last=(%ld,%ld) members=", (long)m->snap_leader_term, (long)m->snap.idx,
                   (long)m->snap.term);
        fmt_members(b, m->snap.members, m->snap.nmembers);
        break;
    }
}

/* Report changes of a node's role, term and commit index since last seen. */
static void note_changes(node_t *n)
{
    world_t *w = n->w;
    int st;
    raft_term_t t;
    raft_index_t c;
    if (!n->r || n->loading)
        return;
    st = raft_get_state(n->r);
    t = raft_get_current_term(n->r);
    c = raft_get_commit_idx(n->r);
    if (st != n->seen_state || t != n->seen_term)
        say(w, "%d became %s at term %ld", n->id, state_name(st), (long)t);
    if (c != n->seen_commit)
        say(w, "%d committed up to %ld", n->id, (long)c);
    n->seen_state = st;
    n->seen_term = t;
    n->seen_commit = c;
}

static void note_all(world_t *w)
{
    int i;
    for (i = 1; i <= w->n; i++)
        if (w->nodes[i])
            note_changes(w->nodes[i]);
}

static void violation(world_t *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void violation(world_t *w, const char *fmt, ...)
{
    va_list ap;
    buf_t b = {0, 0, 0};
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    say(w, "VIOLATION: %s", b.s);
    buf_free(&b);
}

static void enqueue(world_t *w, const msg_t *m)
{
    if (w->qlen == w->qcap) {
        w->qcap = w->qcap ? w->qcap * 2 : 64;
        w->q = xrealloc(w->q, (size_t)w->qcap * sizeof(msg_t));
    }
    w->q[w->qlen++] = *m;
}

/* A message leaves node n: print it and queue it (the queue owns *m's copies). */
static void send_msg(node_t *n, msg_t *m)
{
    buf_t b = {0, 0, 0};
    note_changes(n);
    fmt_msg(&b, m);
    say(n->w, "sent %s", b.s);
    buf_free(&b);
    enqueue(n->w, m);
}

/* ------------------------------------------------------------------------
 * Callbacks
 * ---------------------------------------------------------------------- */

static int cb_send_rv(raft_server_t *r, void *ud, raft_node_t *node, msg_requestvote_t *m)
{
    node_t *n = ud;
    msg_t msg;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_RV;
    msg.from = n->id;
    msg.to = raft_node_get_id(node);
    msg.rv = *m;
    send_msg(n, &msg);
    return 0;
}

static int cb_send_ae(raft_server_t *r, void *ud, raft_node_t *node, msg_appendentries_t *m)
{
    node_t *n = ud;
    msg_t msg;
    int i;
    (void)r;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_AE;
    msg.from = n->id;
    msg.to = raft_node_get_id(node);
    msg.ae = *m;
    msg.ae.entries = NULL;
    if (m->n_entries > 0) {
        msg.ents = xcalloc((size_t)m->n_entries, sizeof(ent_t));
        for (i = 0; i < m->n_entries; i++) {
            msg.ents[i].term = m->entries[i].term;
            msg.ents[i].id = m->entries[i].id;
            msg.ents[i].type = m->entries[i].type;
            msg.ents[i].len = m->entries[i].data.len;
            msg.ents[i].buf = xmemdup(m->entries[i].data.buf, m->entries[i].data.len);
        }
    }
    send_msg(n, &msg);
    return 0;
}

static int cb_send_snapshot(raft_server_t *r, void *ud, raft_node_t *node)
{
    node_t *n = ud;
    world_t *w = n->w;
    msg_t msg;
    int i, to = raft_node_get_id(node);
    /* one snapshot in flight per (from, to): the library asks on every heartbeat */
    for (i = 0; i < w->qlen; i++)
        if (w->q[i].type == M_SNAP && w->q[i].from == n->id && w->q[i].to == to &&
            w->q[i].snap.idx == n->snap.idx)
            return 0;
    memset(&msg, 0, sizeof(msg));
    msg.type = M_SNAP;
    msg.from = n->id;
    msg.to = to;
    msg.snap_leader_term = raft_get_current_term(r);
    snap_copy(&msg.snap, &n->snap);
    send_msg(n, &msg);
    return 0;
}

static int cb_apply(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    node_t *n = ud;
    world_t *w = n->w;
    buf_t b = {0, 0, 0};
    (void)r;
    note_changes(n);
    fmt_entry(&b, idx, e->term, e->type, e->data.buf, e->data.len);
    say(w, "%d applied %s", n->id, b.s);
    buf_free(&b);
    if (idx != n->applied + 1) {
        violation(w, "%d applied index %ld after %ld", n->id, (long)idx, (long)n->applied);
        return 0;
    }
    if (idx > n->smcap) {
        n->smcap = idx * 2;
        n->sm = xrealloc(n->sm, ((size_t)n->smcap + 1) * sizeof(sment_t));
    }
    n->sm[idx].term = e->term;
    n->sm[idx].id = e->id;
    n->applied = idx;
    if (idx >= w->ncommitted) {
        long old = w->ncommitted;
        w->ncommitted = idx * 2;
        w->committed = xrealloc(w->committed, (size_t)w->ncommitted * sizeof(sment_t));
        memset(w->committed + old, 0, (size_t)(w->ncommitted - old) * sizeof(sment_t));
    }
    if (w->committed[idx].id == 0) {
        w->committed[idx].term = e->term;
        w->committed[idx].id = e->id;
    } else if (w->committed[idx].id != e->id || w->committed[idx].term != e->term) {
        violation(w, "state machine safety: %d applied entry id %d (term %ld) at %ld, another node applied id %d (term %ld)",
                  n->id, e->id, (long)e->term, (long)idx, w->committed[idx].id, (long)w->committed[idx].term);
    }
    return 0;
}

static int cb_persist_vote(raft_server_t *r, void *ud, raft_node_id_t vote)
{
    node_t *n = ud;
    (void)r;
    if (n->loading)
        return 0;
    n->p_vote = vote;
    if (n->w->verbose)
        say(n->w, "%d persist vote=%d", n->id, vote);
    return 0;
}

static int cb_persist_term(raft_server_t *r, void *ud, raft_term_t term, raft_node_id_t vote)
{
    node_t *n = ud;
    (void)r;
    if (n->loading)
        return 0;
    if (term < n->p_term)
        violation(n->w, "%d persisted term went back from %ld to %ld", n->id, (long)n->p_term, (long)term);
    n->p_term = term;
    n->p_vote = vote;
    if (n->w->verbose)
        say(n->w, "%d persist term=%ld vote=%d", n->id, (long)term, vote);
    return 0;
}

static int cb_offer(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    node_t *n = ud;
    ent_t *x;
    (void)r;
    if (n->loading) {
        /* re-appending the persisted log on restart: keep our copy */
        x = model_entry(n, idx);
        if (!x) {
            violation(n->w, "%d log_offer at %ld outside the persisted log on restart", n->id, (long)idx);
            return -1;
        }
        e->data.buf = x->buf;
        return 0;
    }
    if (idx != n->base + n->count + 1) {
        violation(n->w, "%d log_offer at %ld, expected the next index %ld", n->id, (long)idx,
                  (long)(n->base + n->count + 1));
        return -1;
    }
    if (n->count == n->cap) {
        n->cap = n->cap ? n->cap * 2 : 16;
        n->log = xrealloc(n->log, (size_t)n->cap * sizeof(ent_t));
    }
    x = &n->log[n->count++];
    x->term = e->term;
    x->id = e->id;
    x->type = e->type;
    x->len = e->data.len;
    x->buf = xmemdup(e->data.buf, e->data.len);
    e->data.buf = x->buf;   /* the library keeps our persisted copy */
    if (n->w->verbose) {
        buf_t b = {0, 0, 0};
        fmt_entry(&b, idx, x->term, x->type, x->buf, x->len);
        say(n->w, "%d log_offer %s", n->id, b.s);
        buf_free(&b);
    }
    return 0;
}

static void say_entry_event(node_t *n, const char *what, raft_index_t idx, const ent_t *x)
{
    buf_t b = {0, 0, 0};
    note_changes(n);
    fmt_entry(&b, idx, x->term, x->type, x->buf, x->len);
    say(n->w, "%d %s %s", n->id, what, b.s);
    buf_free(&b);
}

static int cb_pop(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    node_t *n = ud;
    ent_t *x;
    (void)r; (void)e;
    if (n->count == 0 || idx != n->base + n->count) {
        violation(n->w, "%d log_pop at %ld, the newest entry is %ld", n->id, (long)idx, (long)(n->base + n->count));
        return -1;
    }
    x = &n->log[n->count - 1];
    say_entry_event(n, "log_pop", idx, x);
    if (idx <= n->applied)
        violation(n->w, "%d popped applied entry %ld", n->id, (long)idx);
    free(x->buf);
    x->buf = NULL;
    n->count--;
    return 0;
}

static int cb_poll(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    node_t *n = ud;
    (void)r; (void)e;
    if (n->count == 0 || idx != n->base + 1) {
        violation(n->w, "%d log_poll at %ld, the oldest entry is %ld", n->id, (long)idx, (long)(n->base + 1));
        return -1;
    }
    say_entry_event(n, "log_poll", idx, &n->log[0]);
    free(n->log[0].buf);
    memmove(&n->log[0], &n->log[1], (size_t)(n->count - 1) * sizeof(ent_t));
    n->count--;
    n->base++;
    return 0;
}

static int cb_clear(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
{
    node_t *n = ud;
    ent_t *x = model_entry(n, idx);
    (void)r; (void)e;
    if (!x) {
        violation(n->w, "%d log_clear at %ld outside the log", n->id, (long)idx);
        return 0;
    }
    if (!n->loading)
        say_entry_event(n, "log_clear", idx, x);
    free(x->buf);
    x->buf = NULL;
    return 0;
}

static int cb_node_id(raft_server_t *r, void *ud, raft_entry_t *e, raft_index_t idx)
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
    node_t *n = ud;
    (void)r;
    note_changes(n);
    say(n->w, "%d node_has_sufficient_logs %d", n->id, raft_node_get_id(node));
    return 0;
}

static void cb_membership(raft_server_t *r, void *ud, raft_node_t *node, raft_entry_t *e, raft_membership_e type)
{
    node_t *n = ud;
    (void)r; (void)e;
    if (n->loading)
        return;
    note_changes(n);
    say(n->w, "%d membership %s %d", n->id, type == RAFT_MEMBERSHIP_ADD ? "add" : "remove", raft_node_get_id(node));
}

static raft_cbs_t cbs = {
    cb_send_rv, cb_send_ae, cb_send_snapshot, cb_apply, cb_persist_vote, cb_persist_term,
    cb_offer, cb_poll, cb_pop, cb_clear, cb_node_id, cb_sufficient, cb_membership, NULL
};

/* ------------------------------------------------------------------------
 * Servers: start from the persisted model, crash
 * ---------------------------------------------------------------------- */

static void add_member(raft_server_t *r, int id, int voting, int is_self)
{
    if (voting)
        raft_add_node(r, NULL, id, is_self);
    else
        raft_add_non_voting_node(r, NULL, id, is_self);
}

/* (Re)build node n's server from what it persisted: configuration (its
 * bootstrap one, or its snapshot's), term, vote, then the log. */
static void start_server(world_t *w, node_t *n)
{
    int i, rc;
    n->r = raft_new();
    if (!n->r)
        oom();
    n->loading = 1;
    raft_set_callbacks(n->r, &cbs, n);
    raft_set_random_seed(n->r, (uint64_t)w->seed * 1000003u + (uint64_t)n->id * 101u + (uint64_t)n->restarts * 7919u);
    raft_set_election_timeout(n->r, n->election);
    raft_set_request_timeout(n->r, n->heartbeat);
    for (i = 0; i < n->nboot; i++)
        add_member(n->r, n->boot[i].id, n->boot[i].voting, n->boot[i].id == n->id);
    if (n->snap.idx > 0) {
        rc = raft_begin_load_snapshot(n->r, n->snap.term, n->snap.idx);
        if (rc != 0)
            violation(w, "%d restart: raft_begin_load_snapshot(%ld, %ld) returned %s", n->id, (long)n->snap.term,
                      (long)n->snap.idx, rc_name(rc));
        for (i = 0; i < n->snap.nmembers; i++) {
            if (n->snap.members[i].id == n->id)
                raft_node_set_voting(raft_get_my_node(n->r), n->snap.members[i].voting);
            else
                add_member(n->r, n->snap.members[i].id, n->snap.members[i].voting, 0);
        }
        raft_end_load_snapshot(n->r);
    }
    if (n->p_term > 0 && (rc = raft_set_current_term(n->r, n->p_term)) != 0)
        violation(w, "%d restart: raft_set_current_term returned %s", n->id, rc_name(rc));
    if (n->p_vote != -1 && (rc = raft_vote_for_nodeid(n->r, n->p_vote)) != 0)
        violation(w, "%d restart: raft_vote_for_nodeid returned %s", n->id, rc_name(rc));
    for (i = 0; i < n->count; i++) {
        raft_entry_t e;
        memset(&e, 0, sizeof(e));
        e.term = n->log[i].term;
        e.id = n->log[i].id;
        e.type = n->log[i].type;
        e.data.buf = n->log[i].buf;
        e.data.len = n->log[i].len;
        if ((rc = raft_append_entry(n->r, &e)) != 0)
            violation(w, "%d restart: raft_append_entry(%ld) returned %s", n->id, (long)(n->base + 1 + i), rc_name(rc));
    }
    n->loading = 0;
    sm_reset(n, &n->snap);
    n->seen_state = raft_get_state(n->r);
    n->seen_term = raft_get_current_term(n->r);
    n->seen_commit = raft_get_commit_idx(n->r);
}

static void free_node(node_t *n)
{
    int i;
    if (n->r)
        raft_free(n->r);
    for (i = 0; i < n->count; i++)
        free(n->log[i].buf);
    free(n->log);
    free(n->sm);
    snap_free(&n->snap);
    free(n);
}

static world_t *world_new(void)
{
    world_t *w = xcalloc(1, sizeof(*w));
    w->election = 100;
    w->heartbeat = 20;
    w->seed = 1;
    return w;
}

static void world_free(world_t *w)
{
    int i;
    for (i = 1; i <= MAXN; i++)
        if (w->nodes[i])
            free_node(w->nodes[i]);
    for (i = 0; i < w->qlen; i++)
        free_msg(&w->q[i]);
    free(w->q);
    free(w->leader_of_term);
    free(w->committed);
    buf_free(&w->out);
    free(w);
}

/* ------------------------------------------------------------------------
 * Safety checks, after every command
 * ---------------------------------------------------------------------- */

static void check_safety(world_t *w)
{
    int a, b;
    for (a = 1; a <= w->n; a++) {
        node_t *n = w->nodes[a];
        raft_term_t t;
        raft_index_t i, last;
        if (!n || !n->r)
            continue;
        /* Election Safety: at most one leader per term */
        if (raft_is_leader(n->r)) {
            t = raft_get_current_term(n->r);
            if (t >= w->nterms) {
                long old = w->nterms;
                w->nterms = t * 2 + 16;
                w->leader_of_term = xrealloc(w->leader_of_term, (size_t)w->nterms * sizeof(int));
                memset(w->leader_of_term + old, 0, (size_t)(w->nterms - old) * sizeof(int));
            }
            if (w->leader_of_term[t] == 0)
                w->leader_of_term[t] = a;
            else if (w->leader_of_term[t] != a)
                violation(w, "election safety: %d and %d both leaders in term %ld", w->leader_of_term[t], a, (long)t);
        }
        /* the library's log is the persisted one (log_offer/pop/poll accuracy) */
        last = raft_get_current_idx(n->r);
        if (last != n->base + n->count)
            violation(w, "%d library log ends at %ld, persisted log at %ld", a, (long)last, (long)(n->base + n->count));
        for (i = n->base + 1; i <= last && i <= n->base + n->count; i++) {
            raft_entry_t *e = raft_get_entry_from_idx(n->r, i);
            ent_t *x = model_entry(n, i);
            if (!e || e->term != x->term || e->id != x->id || e->data.len != x->len ||
                (x->len && (!e->data.buf || memcmp(e->data.buf, x->buf, x->len)))) {
                violation(w, "%d library entry %ld differs from the persisted one", a, (long)i);
                break;
            }
        }
    }
    /* Log Matching over the persisted logs (crashed nodes included) */
    for (a = 1; a <= w->n; a++)
        for (b = a + 1; b <= w->n; b++) {
            node_t *x = w->nodes[a], *y = w->nodes[b];
            raft_index_t lo, hi, i;
            if (!x || !y)
                continue;
            lo = (x->base > y->base ? x->base : y->base) + 1;
            hi = x->base + x->count < y->base + y->count ? x->base + x->count : y->base + y->count;
            for (i = hi; i >= lo; i--) {
                if (model_entry(x, i)->term == model_entry(y, i)->term) {
                    raft_index_t j;
                    for (j = i; j >= lo; j--)
                        if (model_entry(x, j)->term != model_entry(y, j)->term ||
                            model_entry(x, j)->id != model_entry(y, j)->id) {
                            violation(w, "log matching: %d and %d agree at %ld but differ at %ld", a, b, (long)i, (long)j);
                            break;
                        }
                    break;
                }
            }
        }
}

/* ------------------------------------------------------------------------
 * Delivery
 * ---------------------------------------------------------------------- */

static void recv_snapshot(world_t *w, node_t *dst, msg_t *m)
{
    raft_term_t cur = raft_get_current_term(dst->r);
    msg_t reply;
    int rc, i;
    memset(&reply, 0, sizeof(reply));
    reply.type = M_AER;
    reply.from = dst->id;
    reply.to = m->from;
    if (m->snap_leader_term < cur) {
        /* a stale leader's snapshot: refuse, with our term (Figure 13) */
        reply.aer.term = cur;
        reply.aer.success = 0;
        reply.aer.current_idx = raft_get_current_idx(dst->r);
        reply.aer.first_idx = m->snap.idx + 1;
        send_msg(dst, &reply);
        return;
    }
    if (m->snap_leader_term > cur && (rc = raft_set_current_term(dst->r, m->snap_leader_term)) != 0)
        say(w, "%d raft_set_current_term: %s", dst->id, rc_name(rc));
    rc = raft_begin_load_snapshot(dst->r, m->snap.term, m->snap.idx);
    if (rc == 0) {
        /* the log was discarded (log_clear freed the payloads) */
        free(dst->log);
        dst->log = NULL;
        dst->count = dst->cap = 0;
        dst->base = m->snap.idx;
        for (i = 0; i < m->snap.nmembers; i++)
            if (m->snap.members[i].id != dst->id)
                add_member(dst->r, m->snap.members[i].id, m->snap.members[i].voting, 0);
        if ((rc = raft_end_load_snapshot(dst->r)) != 0)
            say(w, "%d raft_end_load_snapshot: %s", dst->id, rc_name(rc));
        snap_free(&dst->snap);
        snap_copy(&dst->snap, &m->snap);
        sm_reset(dst, &dst->snap);
        note_changes(dst);
        say(w, "%d loaded snapshot last=(%ld,%ld)", dst->id, (long)m->snap.idx, (long)m->snap.term);
    } else {
        say(w, "%d raft_begin_load_snapshot: %s", dst->id, rc_name(rc));
        if (rc != RAFT_ERR_SNAPSHOT_ALREADY_LOADED)
            return;
    }
    /* host protocol: tell the leader where our log now ends */
    reply.aer.term = raft_get_current_term(dst->r);
    reply.aer.success = 1;
    reply.aer.current_idx = raft_get_current_idx(dst->r);
    reply.aer.first_idx = m->snap.idx;
    send_msg(dst, &reply);
}

/* Deliver one message (or drop it), printing it and what it caused. */
static void deliver(world_t *w, msg_t *m, int drop)
{
    node_t *dst = get_node(w, m->to);
    raft_node_t *from;
    msg_t reply;
    buf_t b = {0, 0, 0};
    int rc = 0;
    const char *call = NULL;

    fmt_msg(&b, m);
    if (drop)
        buf_puts(&b, " (dropped)");
    else if (!dst)
        buf_puts(&b, " (dropped: no such node)");
    else if (!dst->r)
        buf_printf(&b, " (dropped: %d is down)", m->to);
    else if (w->cut[m->from][m->to])
        buf_puts(&b, " (dropped: partition)");
    say_buf(w, &b);
    buf_free(&b);
    if (drop || !dst || !dst->r || w->cut[m->from][m->to])
        return;

    w->indent += 2;
    from = raft_get_node(dst->r, m->from);
    memset(&reply, 0, sizeof(reply));
    reply.from = m->to;
    reply.to = m->from;
    switch (m->type) {
    case M_RV:
        call = "raft_recv_requestvote";
        reply.type = M_RVR;
        rc = raft_recv_requestvote(dst->r, from, &m->rv, &reply.rvr);
        if (rc == 0)
            send_msg(dst, &reply);
        break;
    case M_RVR:
        call = "raft_recv_requestvote_response";
        rc = raft_recv_requestvote_response(dst->r, from, &m->rvr);
        break;
    case M_AE: {
        msg_appendentries_t ae = m->ae;
        msg_entry_t *ents = NULL;
        int i;
        if (ae.n_entries > 0) {
            ents = xcalloc((size_t)ae.n_entries, sizeof(msg_entry_t));
            for (i = 0; i < ae.n_entries; i++) {
                ents[i].term = m->ents[i].term;
                ents[i].id = m->ents[i].id;
                ents[i].type = m->ents[i].type;
                ents[i].data.buf = m->ents[i].buf;
                ents[i].data.len = m->ents[i].len;
            }
        }
        ae.entries = ents;
        call = "raft_recv_appendentries";
        reply.type = M_AER;
        rc = raft_recv_appendentries(dst->r, from, &ae, &reply.aer);
        free(ents);
        if (rc == 0)
            send_msg(dst, &reply);
        break;
    }
    case M_AER:
        if (!from) {
            say(w, "%d does not know node %d: ignored", m->to, m->from);
            break;
        }
        call = "raft_recv_appendentries_response";
        rc = raft_recv_appendentries_response(dst->r, from, &m->aer);
        break;
    case M_SNAP:
        recv_snapshot(w, dst, m);
        break;
    }
    note_changes(dst);
    if (rc != 0)
        say(w, "%d %s: %s", m->to, call, rc_name(rc));
    w->indent -= 2;
}

/* ------------------------------------------------------------------------
 * Commands
 * ---------------------------------------------------------------------- */

#define MAXTOK 16

typedef struct {
    int ntok;
    char *tok[MAXTOK];
} args_t;

/* value of key=... among the arguments (NULL if absent) */
static const char *kv(const args_t *a, const char *key)
{
    int i;
    size_t k = strlen(key);
    for (i = 1; i < a->ntok; i++)
        if (!strncmp(a->tok[i], key, k) && a->tok[i][k] == '=')
            return a->tok[i] + k + 1;
    return NULL;
}

static int has_flag(const args_t *a, const char *flag)
{
    int i;
    for (i = 1; i < a->ntok; i++)
        if (!strcmp(a->tok[i], flag))
            return 1;
    return 0;
}

static int parse_int(world_t *w, const char *s, const char *what)
{
    char *end;
    long v;
    if (!s || !*s) {
        usage_error(w, "missing %s", what);
        return -1;
    }
    v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 1000000000L) {
        usage_error(w, "bad %s '%s'", what, s);
        return -1;
    }
    return (int)v;
}

/* positional argument i (1-based) */
static const char *pos(const args_t *a, int i)
{
    int k, seen = 0;
    for (k = 1; k < a->ntok; k++) {
        if (strchr(a->tok[k], '='))
            continue;
        if (++seen == i)
            return a->tok[k];
    }
    return NULL;
}

/* An up node named by positional argument i. */
static node_t *arg_node(world_t *w, const args_t *a, int i, int must_be_up)
{
    int id = parse_int(w, pos(a, i), "node id");
    node_t *n;
    if (id < 0)
        return NULL;
    n = get_node(w, id);
    if (!n) {
        usage_error(w, "no node %d", id);
        return NULL;
    }
    if (must_be_up && !n->r) {
        usage_error(w, "node %d is down", id);
        return NULL;
    }
    return n;
}

/* comma-separated ids into ids[]; returns count or -1 */
static int parse_list(world_t *w, const char *s, int *ids)
{
    int n = 0;
    char tmp[128], *p, *save;
    if (!s || strlen(s) >= sizeof(tmp)) {
        usage_error(w, "bad node list");
        return -1;
    }
    strcpy(tmp, s);
    for (p = tmp; p; p = save) {
        save = strchr(p, ',');
        if (save)
            *save++ = '\0';
        if (!*p)
            continue;
        if (n >= MAXN) {
            usage_error(w, "too many nodes in list");
            return -1;
        }
        ids[n] = parse_int(w, p, "node id");
        if (ids[n] < 1 || ids[n] > MAXN) {
            usage_error(w, "bad node id '%s'", p);
            return -1;
        }
        n++;
    }
    return n;
}

static void status_line(world_t *w, node_t *n, int detail)
{
    buf_t b = {0, 0, 0};
    raft_index_t i, last;
    raft_server_t *r = n->r;
    if (!r) {
        buf_printf(&b, "%d down: persisted term=%ld vote=%d log=[", n->id, (long)n->p_term, n->p_vote);
        for (i = 0; i < n->count; i++) {
            if (i)
                buf_puts(&b, " ");
            fmt_entry(&b, n->base + 1 + i, n->log[i].term, n->log[i].type, n->log[i].buf, n->log[i].len);
        }
        buf_puts(&b, "]");
        if (n->snap.idx)
            buf_printf(&b, " snapshot=(%ld,%ld)", (long)n->snap.idx, (long)n->snap.term);
        say_buf(w, &b);
        buf_free(&b);
        return;
    }
    buf_printf(&b, "%d %s term=%ld vote=%d leader=%d commit=%ld applied=%ld", n->id, state_name(raft_get_state(r)),
               (long)raft_get_current_term(r), raft_get_voted_for(r), raft_get_current_leader(r),
               (long)raft_get_commit_idx(r), (long)raft_get_last_applied_idx(r));
    if (raft_get_snapshot_last_idx(r))
        buf_printf(&b, " snapshot=(%ld,%ld)", (long)raft_get_snapshot_last_idx(r), (long)raft_get_snapshot_last_term(r));
    if (!detail) {
        buf_printf(&b, " last=%ld", (long)raft_get_current_idx(r));
        if (!raft_is_leader(r))
            buf_printf(&b, " timer=%d/%d", raft_get_timeout_elapsed(r), raft_get_randomized_election_timeout(r));
        say_buf(w, &b);
        buf_free(&b);
        return;
    }
    if (raft_is_leader(r))
        buf_printf(&b, " elapsed=%d", raft_get_timeout_elapsed(r));
    else
        buf_printf(&b, " elapsed=%d timeout=%d", raft_get_timeout_elapsed(r), raft_get_randomized_election_timeout(r));
    say_buf(w, &b);
    buf_reset(&b);
    buf_puts(&b, "  log=[");
    last = raft_get_current_idx(r);
    for (i = raft_get_snapshot_last_idx(r) + 1; i <= last; i++) {
        raft_entry_t *e = raft_get_entry_from_idx(r, i);
        if (b.s[b.len - 1] != '[')
            buf_puts(&b, " ");
        if (!e)
            buf_printf(&b, "%ld:MISSING", (long)i);
        else
            fmt_entry(&b, i, e->term, e->type, e->data.buf, e->data.len);
    }
    buf_puts(&b, "]");
    say_buf(w, &b);
    buf_reset(&b);
    buf_puts(&b, "  nodes:");
    for (i = 0;; i++) {
        raft_node_t *nd = raft_get_node_from_idx(r, i);
        if (!nd)
            break;
        buf_printf(&b, " %d(%s", raft_node_get_id(nd), raft_node_is_voting(nd) ? "voter" : "non-voter");
        if (!raft_node_is_active(nd))
            buf_puts(&b, " inactive");
        if (nd == raft_get_my_node(r))
            buf_puts(&b, " self");
        else if (raft_is_leader(r))
            buf_printf(&b, " next=%ld match=%ld", (long)raft_node_get_next_idx(nd), (long)raft_node_get_match_idx(nd));
        buf_puts(&b, ")");
    }
    say_buf(w, &b);
    buf_free(&b);
}

static void cmd_add_nodes(world_t *w, const args_t *a)
{
    int count = parse_int(w, pos(a, 1), "node count");
    int voters[MAXN], nvoters = -1, i, j, first = w->n + 1;
    const char *s;
    if (count < 1 || w->n + count > MAXN) {
        usage_error(w, "add-nodes: count must be 1..%d in all", MAXN);
        return;
    }
    if ((s = kv(a, "voters")) != NULL) {
        if (w->n > 0) {
            usage_error(w, "add-nodes: voters= only when creating the cluster");
            return;
        }
        if ((nvoters = parse_list(w, s, voters)) < 0)
            return;
    }
    if ((s = kv(a, "election")) != NULL)
        w->election = parse_int(w, s, "election timeout");
    if ((s = kv(a, "heartbeat")) != NULL)
        w->heartbeat = parse_int(w, s, "heartbeat timeout");
    if ((s = kv(a, "seed")) != NULL)
        w->seed = (unsigned long)parse_int(w, s, "seed");
    if (w->err[0])
        return;
    for (i = first; i < first + count; i++) {
        node_t *n = xcalloc(1, sizeof(*n));
        n->w = w;
        n->id = i;
        n->p_vote = -1;
        n->election = w->election;
        n->heartbeat = w->heartbeat;
        if (first == 1) {
            /* the initial cluster: everyone knows everyone */
            for (j = 1; j <= count; j++) {
                int k, voting = nvoters < 0;
                for (k = 0; k < nvoters; k++)
                    if (voters[k] == j)
                        voting = 1;
                n->boot[n->nboot].id = j;
                n->boot[n->nboot++].voting = voting;
            }
        } else {
            /* a joiner: the existing nodes as voters, itself as non-voting */
            for (j = 1; j < first; j++) {
                n->boot[n->nboot].id = j;
                n->boot[n->nboot++].voting = 1;
            }
            n->boot[n->nboot].id = i;
            n->boot[n->nboot++].voting = 0;
        }
        w->nodes[i] = n;
        w->n = i;
        start_server(w, n);
    }
    for (i = first; i < first + count; i++) {
        node_t *n = w->nodes[i];
        buf_t b = {0, 0, 0};
        buf_printf(&b, "%d %s term=0 members=", i, state_name(raft_get_state(n->r)));
        fmt_members(&b, n->boot, n->nboot);
        buf_printf(&b, " election=%d heartbeat=%d timeout=%d", n->election, n->heartbeat,
                   raft_get_randomized_election_timeout(n->r));
        say_buf(w, &b);
        buf_free(&b);
    }
}

static void tick_node(world_t *w, node_t *n, int ms)
{
    int rc = raft_periodic(n->r, ms);
    note_changes(n);
    if (rc != 0)
        say(w, "%d raft_periodic: %s", n->id, rc_name(rc));
}

static void cmd_tick(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 1);
    int ms = parse_int(w, pos(a, 2), "milliseconds");
    if (!n || ms < 0)
        return;
    tick_node(w, n, ms);
}

static void cmd_tick_all(world_t *w, const args_t *a)
{
    int ms = parse_int(w, pos(a, 1), "milliseconds"), i;
    if (ms < 0)
        return;
    for (i = 1; i <= w->n; i++)
        if (w->nodes[i] && w->nodes[i]->r)
            tick_node(w, w->nodes[i], ms);
}

static void cmd_campaign(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 1);
    int rc;
    if (!n)
        return;
    rc = raft_election_start(n->r);
    note_changes(n);
    if (rc != 0)
        say(w, "%d raft_election_start: %s", n->id, rc_name(rc));
}

/* Propose an entry; the result line goes first, what it caused below it. */
static void propose(world_t *w, node_t *n, int type, const char *data)
{
    msg_entry_t e;
    msg_entry_response_t resp;
    size_t mark = w->out.len;
    buf_t rest = {0, 0, 0};
    int rc;
    memset(&e, 0, sizeof(e));
    memset(&resp, 0, sizeof(resp));
    e.id = ++w->next_entry_id;
    e.type = type;
    e.data.buf = (void *)data;     /* log_offer copies it */
    e.data.len = (unsigned)strlen(data);
    w->indent += 2;
    rc = raft_retain_entries(n->r, &e, &resp);
    note_changes(n);
    w->indent -= 2;
    buf_puts(&rest, w->out.s ? w->out.s + mark : "");
    w->out.len = mark;
    if (rc == 0)
        say(w, "OK idx=%ld term=%ld", (long)resp.idx, (long)resp.term);
    else
        say(w, "%s", rc_name(rc));
    buf_puts(&w->out, rest.s ? rest.s : "");
    buf_free(&rest);
}

static void cmd_propose(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 1);
    const char *data = pos(a, 2);
    if (!n)
        return;
    if (!data) {
        usage_error(w, "propose: missing DATA");
        return;
    }
    propose(w, n, RAFT_LOGTYPE_NORMAL, data);
}

static void cmd_propose_conf_change(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 1);
    const char *kind = pos(a, 2);
    int target = parse_int(w, pos(a, 3), "target node"), type;
    char data[16];
    if (!n || target < 0)
        return;
    if (!kind)
        type = -1;
    else if (!strcmp(kind, "add-nonvoting"))
        type = RAFT_LOGTYPE_ADD_NONVOTING_NODE;
    else if (!strcmp(kind, "add"))
        type = RAFT_LOGTYPE_ADD_NODE;
    else if (!strcmp(kind, "demote"))
        type = RAFT_LOGTYPE_DEMOTE_NODE;
    else if (!strcmp(kind, "remove"))
        type = RAFT_LOGTYPE_REMOVE_NODE;
    else
        type = -1;
    if (type < 0) {
        usage_error(w, "propose-conf-change: kind must be add-nonvoting, add, demote or remove");
        return;
    }
    snprintf(data, sizeof(data), "%d", target);
    propose(w, n, type, data);
}

static void cmd_proposal_status(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 1);
    msg_entry_response_t r;
    int rc;
    memset(&r, 0, sizeof(r));
    r.idx = parse_int(w, kv(a, "idx"), "idx");
    r.term = parse_int(w, kv(a, "term"), "term");
    if (!n || w->err[0])
        return;
    rc = raft_msg_entry_response_committed(n->r, &r);
    say(w, "%s", rc == 1 ? "committed" : rc == 0 ? "pending" : rc == -1 ? "overwritten" : rc_name(rc));
}

static int msg_matches(const msg_t *m, int from, int to, int type)
{
    return (from < 0 || m->from == from) && (to < 0 || m->to == to) && (type < 0 || m->type == type);
}

/* Deliver (or drop) the queued messages that match; messages they produce
 * are queued behind. Returns how many were handled. */
static int deliver_round(world_t *w, int from, int to, int type, int drop, int keep, int reverse, int limit)
{
    msg_t *take;
    int n = w->qlen, i, k = 0, ntake = 0;
    take = xcalloc((size_t)(n ? n : 1), sizeof(msg_t));
    for (i = 0; i < n; i++) {
        msg_t *m = &w->q[i];
        if ((limit < 0 || ntake < limit) && msg_matches(m, from, to, type)) {
            if (keep) {
                copy_msg(&take[ntake++], m);
                w->q[k++] = *m;
            } else {
                take[ntake++] = *m;
            }
        } else {
            w->q[k++] = *m;
        }
    }
    w->qlen = k;
    for (i = 0; i < ntake; i++) {
        msg_t *m = &take[reverse ? ntake - 1 - i : i];
        deliver(w, m, drop);
        free_msg(m);
    }
    free(take);
    return ntake;
}

static int parse_type(world_t *w, const char *s)
{
    int t;
    if (!s)
        return -1;
    for (t = 0; t < M_NTYPES; t++)
        if (!strcmp(s, msg_type_name[t]))
            return t;
    usage_error(w, "unknown message type '%s'", s);
    return -1;
}

static void cmd_deliver_msgs(world_t *w, const args_t *a)
{
    int from = kv(a, "from") ? parse_int(w, kv(a, "from"), "from") : -1;
    int to = kv(a, "to") ? parse_int(w, kv(a, "to"), "to") : -1;
    int type = parse_type(w, kv(a, "type"));
    int limit = kv(a, "n") ? parse_int(w, kv(a, "n"), "n") : -1;
    int i;
    for (i = 1; i < a->ntok; i++)
        if (!strchr(a->tok[i], '=') && strcmp(a->tok[i], "drop") && strcmp(a->tok[i], "keep") &&
            strcmp(a->tok[i], "reverse"))
            usage_error(w, "deliver-msgs: unknown argument '%s'", a->tok[i]);
    if (w->err[0])
        return;
    deliver_round(w, from, to, type, has_flag(a, "drop"), has_flag(a, "keep"), has_flag(a, "reverse"), limit);
}

static void cmd_stabilize(world_t *w, const args_t *a)
{
    int total = 0;
    (void)a;
    while (w->qlen > 0 && total < MAX_DELIVERIES)
        total += deliver_round(w, -1, -1, -1, 0, 0, 0, -1);
    if (w->qlen > 0)
        say(w, "stabilize: still %d messages after %d deliveries", w->qlen, total);
}

static void cmd_msgs(world_t *w, const args_t *a)
{
    int i;
    (void)a;
    for (i = 0; i < w->qlen; i++) {
        buf_t b = {0, 0, 0};
        fmt_msg(&b, &w->q[i]);
        say_buf(w, &b);
        buf_free(&b);
    }
    if (w->qlen == 0)
        say(w, "no messages");
}

static void cmd_partition(world_t *w, const args_t *a)
{
    int group[MAXN + 1], g = 1, i, j, ids[MAXN], n;
    char spec[256];
    char *p, *save;
    buf_t b = {0, 0, 0};
    spec[0] = '\0';
    for (i = 1; i < a->ntok; i++) {
        if (strlen(spec) + strlen(a->tok[i]) + 2 >= sizeof(spec)) {
            usage_error(w, "partition: too long");
            return;
        }
        strcat(spec, a->tok[i]);
    }
    memset(group, 0, sizeof(group));
    for (p = spec; p; p = save, g++) {
        save = strchr(p, '/');
        if (save)
            *save++ = '\0';
        if ((n = parse_list(w, p, ids)) < 0)
            return;
        for (i = 0; i < n; i++) {
            if (group[ids[i]]) {
                usage_error(w, "partition: node %d listed twice", ids[i]);
                return;
            }
            group[ids[i]] = g;
        }
    }
    /* unlisted nodes are alone */
    for (i = 1; i <= MAXN; i++)
        if (!group[i])
            group[i] = g++;
    for (i = 1; i <= MAXN; i++)
        for (j = 1; j <= MAXN; j++)
            w->cut[i][j] = group[i] != group[j];
    buf_puts(&b, "partitioned:");
    for (i = 1; i <= w->n; i++) {
        int first = 1;
        for (j = 1; j < i; j++)
            if (group[j] == group[i])
                first = 0;
        if (!first)
            continue;
        buf_puts(&b, i == 1 ? " " : " | ");
        for (j = i; j <= w->n; j++)
            if (group[j] == group[i])
                buf_printf(&b, "%s%d", j == i ? "" : ",", j);
    }
    say_buf(w, &b);
    buf_free(&b);
}

static void cmd_heal(world_t *w, const args_t *a)
{
    (void)a;
    memset(w->cut, 0, sizeof(w->cut));
    say(w, "healed");
}

static void cmd_crash(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 1);
    if (!n)
        return;
    raft_free(n->r);
    n->r = NULL;
    free(n->sm);
    n->sm = NULL;
    n->applied = n->smcap = 0;
    status_line(w, n, 0);
}

static void cmd_restart(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 0);
    if (!n)
        return;
    if (n->r) {
        usage_error(w, "node %d is up", n->id);
        return;
    }
    n->restarts++;
    start_server(w, n);
    status_line(w, n, 1);
}

static void cmd_snapshot(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 1);
    size_t mark;
    buf_t rest = {0, 0, 0};
    snap_t s;
    int rc, i;
    if (!n)
        return;
    mark = w->out.len;
    w->indent += 2;
    rc = raft_begin_snapshot(n->r, 0);
    memset(&s, 0, sizeof(s));
    if (rc == 0) {
        raft_node_t *nd;
        s.idx = raft_get_snapshot_last_idx(n->r);
        s.term = raft_get_snapshot_last_term(n->r);
        if (s.idx > n->applied) {
            violation(w, "%d snapshot at %ld beyond applied %ld", n->id, (long)s.idx, (long)n->applied);
            s.idx = n->applied;
        }
        for (i = 0; (nd = raft_get_node_from_idx(n->r, i)) != NULL && s.nmembers < MAXN; i++) {
            if (!raft_node_is_active(nd))
                continue;
            s.members[s.nmembers].id = raft_node_get_id(nd);
            s.members[s.nmembers++].voting = raft_node_is_voting(nd);
        }
        s.sm = xcalloc((size_t)s.idx + 1, sizeof(sment_t));
        memcpy(s.sm, n->sm, ((size_t)s.idx + 1) * sizeof(sment_t));
        snap_free(&n->snap);
        n->snap = s;    /* saved before end_snapshot: send_snapshot may ship it */
        rc = raft_end_snapshot(n->r);
    }
    note_changes(n);
    w->indent -= 2;
    buf_puts(&rest, w->out.s ? w->out.s + mark : "");
    w->out.len = mark;
    if (rc == 0)
        say(w, "snapshot last=(%ld,%ld)", (long)n->snap.idx, (long)n->snap.term);
    else
        say(w, "snapshot: %s", rc_name(rc));
    buf_puts(&w->out, rest.s ? rest.s : "");
    buf_free(&rest);
}

static void cmd_status(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 0);
    if (n)
        status_line(w, n, 1);
}

static void cmd_log(world_t *w, const args_t *a)
{
    node_t *n = arg_node(w, a, 1, 0);
    raft_index_t i;
    buf_t b = {0, 0, 0};
    if (!n)
        return;
    if (n->snap.idx)
        say(w, "snapshot last=(%ld,%ld)", (long)n->snap.idx, (long)n->snap.term);
    for (i = 0; i < n->count; i++) {
        raft_index_t idx = n->base + 1 + i;
        buf_reset(&b);
        fmt_entry(&b, idx, n->log[i].term, n->log[i].type, n->log[i].buf, n->log[i].len);
        if (n->r) {
            if (idx <= raft_get_last_applied_idx(n->r))
                buf_puts(&b, " applied");
            else if (idx <= raft_get_commit_idx(n->r))
                buf_puts(&b, " committed");
        }
        say_buf(w, &b);
    }
    if (n->count == 0)
        say(w, "empty log");
    buf_free(&b);
}

static void cmd_raft_state(world_t *w, const args_t *a)
{
    int i;
    (void)a;
    for (i = 1; i <= w->n; i++)
        if (w->nodes[i])
            status_line(w, w->nodes[i], 0);
}

static void cmd_verbose(world_t *w, const args_t *a)
{
    const char *v = pos(a, 1);
    if (v && !strcmp(v, "on"))
        w->verbose = 1;
    else if (v && !strcmp(v, "off"))
        w->verbose = 0;
    else
        usage_error(w, "verbose on|off");
}

/* fault ID NAME[,NAME...]|none: raft_set_fault_injection (testing only) */
static void cmd_fault(world_t *w, const args_t *a)
{
    static const struct { const char *name; int bit; } faults[] = {
        { "skip-persist-vote", RAFT_FAULT_SKIP_PERSIST_VOTE },
        { "commit-previous-term", RAFT_FAULT_COMMIT_PREVIOUS_TERM },
        { "no-log-check-on-vote", RAFT_FAULT_NO_LOG_CHECK_ON_VOTE },
        { "no-truncate-on-conflict", RAFT_FAULT_NO_TRUNCATE_ON_CONFLICT },
        { NULL, 0 }
    };
    node_t *n = arg_node(w, a, 1, 1);
    const char *spec = pos(a, 2);
    char tmp[128], *p, *save;
    int bits = 0, k;
    if (!n)
        return;
    if (!spec || strlen(spec) >= sizeof(tmp)) {
        usage_error(w, "fault ID NAME[,NAME...]|none");
        return;
    }
    strcpy(tmp, spec);
    for (p = tmp; p; p = save) {
        save = strchr(p, ',');
        if (save)
            *save++ = '\0';
        if (!strcmp(p, "none"))
            continue;
        for (k = 0; faults[k].name && strcmp(faults[k].name, p); k++)
            ;
        if (!faults[k].name) {
            usage_error(w, "unknown fault '%s'", p);
            return;
        }
        bits |= faults[k].bit;
    }
    raft_set_fault_injection(n->r, bits);
    say(w, "%d faults=%s", n->id, spec);
}

typedef struct {
    const char *name;
    void (*fn)(world_t *, const args_t *);
} command_t;

static const command_t commands[] = {
    { "add-nodes", cmd_add_nodes },
    { "campaign", cmd_campaign },
    { "tick", cmd_tick },
    { "tick-all", cmd_tick_all },
    { "propose", cmd_propose },
    { "propose-conf-change", cmd_propose_conf_change },
    { "proposal-status", cmd_proposal_status },
    { "deliver-msgs", cmd_deliver_msgs },
    { "stabilize", cmd_stabilize },
    { "msgs", cmd_msgs },
    { "partition", cmd_partition },
    { "heal", cmd_heal },
    { "crash", cmd_crash },
    { "restart", cmd_restart },
    { "snapshot", cmd_snapshot },
    { "status", cmd_status },
    { "log", cmd_log },
    { "raft-state", cmd_raft_state },
    { "verbose", cmd_verbose },
    { "fault", cmd_fault },
    { NULL, NULL }
};

/* Run one command line; its output is left in w->out. Returns 0, or -1 on
 * a usage error (message in w->err). */
static int run_command(world_t *w, const char *line)
{
    char *copy = xstrdup(line), *p = copy;
    args_t a;
    int i;
    memset(&a, 0, sizeof(a));
    w->err[0] = '\0';
    buf_reset(&w->out);
    w->indent = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (a.ntok == MAXTOK) {
            usage_error(w, "too many arguments");
            break;
        }
        a.tok[a.ntok++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (!w->err[0] && a.ntok > 0) {
        for (i = 0; commands[i].name; i++)
            if (!strcmp(commands[i].name, a.tok[0]))
                break;
        if (!commands[i].name) {
            usage_error(w, "unknown command '%s'", a.tok[0]);
        } else if (strcmp(a.tok[0], "add-nodes") && w->n == 0) {
            usage_error(w, "no nodes yet: start with add-nodes");
        } else {
            commands[i].fn(w, &a);
            w->indent = 0;
            note_all(w);
            check_safety(w);
        }
    }
    free(copy);
    if (!w->err[0] && w->out.len == 0)
        say(w, "ok");
    return w->err[0] ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Script files
 * ---------------------------------------------------------------------- */

typedef struct {
    char *pre;          /* comment and blank lines before the command, verbatim */
    char *cmd;
    int line;           /* line number of the command */
    char *expected;     /* expected output (lines ending in \n) */
    char *actual;
} block_t;

typedef struct {
    block_t *b;
    int n;
    char *trailer;
} script_t;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    buf_t b = {0, 0, 0};
    char tmp[4096];
    size_t k;
    if (!f)
        return NULL;
    while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_putn(&b, tmp, k);
    fclose(f);
    if (!b.s)
        buf_puts(&b, "");
    return b.s;
}

/* Split text into lines (without '\n'; a trailing '\r' is dropped). */
static char **split_lines(char *text, int *nlines)
{
    int n = 0, cap = 64;
    char **lines = xmalloc((size_t)cap * sizeof(char *));
    char *p = text;
    while (*p) {
        char *e = strchr(p, '\n');
        if (n == cap) {
            cap *= 2;
            lines = xrealloc(lines, (size_t)cap * sizeof(char *));
        }
        lines[n++] = p;
        if (!e)
            break;
        *e = '\0';
        if (e > p && e[-1] == '\r')
            e[-1] = '\0';
        p = e + 1;
    }
    *nlines = n;
    return lines;
}

static int parse_script(char *text, script_t *s)
{
    int nl, i = 0, cap = 16;
    char **L = split_lines(text, &nl);
    buf_t pre = {0, 0, 0};
    memset(s, 0, sizeof(*s));
    s->b = xmalloc((size_t)cap * sizeof(block_t));
    while (i < nl) {
        block_t *b;
        buf_t exp = {0, 0, 0};
        if (L[i][0] == '\0' || L[i][0] == '#') {
            buf_puts(&pre, L[i]);
            buf_puts(&pre, "\n");
            i++;
            continue;
        }
        if (s->n == cap) {
            cap *= 2;
            s->b = xrealloc(s->b, (size_t)cap * sizeof(block_t));
        }
        b = &s->b[s->n++];
        memset(b, 0, sizeof(*b));
        b->pre = xstrdup(pre.s ? pre.s : "");
        buf_reset(&pre);
        b->cmd = xstrdup(L[i]);
        b->line = i + 1;
        i++;
        if (i < nl && !strcmp(L[i], "----")) {
            i++;
            while (i < nl && L[i][0] != '\0') {
                buf_puts(&exp, L[i]);
                buf_puts(&exp, "\n");
                i++;
            }
            if (i < nl)
                i++;    /* the blank line that ends the block */
        } else if (i < nl && L[i][0] == '\0') {
            i++;        /* a new command without output yet: same layout */
        }
        b->expected = xstrdup(exp.s ? exp.s : "");
        buf_free(&exp);
    }
    s->trailer = xstrdup(pre.s ? pre.s : "");
    buf_free(&pre);
    free(L);
    return 0;
}

static void free_script(script_t *s)
{
    int i;
    for (i = 0; i < s->n; i++) {
        free(s->b[i].pre);
        free(s->b[i].cmd);
        free(s->b[i].expected);
        free(s->b[i].actual);
    }
    free(s->b);
    free(s->trailer);
}

/* Line diff (longest common subsequence) in unified style. */
static void print_diff(const char *path, const block_t *b)
{
    char *e = xstrdup(b->expected), *a = xstrdup(b->actual);
    int ne, na, i, j;
    char **E = split_lines(e, &ne), **A = split_lines(a, &na);
    int *t;
    /* split_lines counts a final empty piece after the last '\n': drop it */
    if (ne > 0 && E[ne - 1][0] == '\0' && b->expected[0] && b->expected[strlen(b->expected) - 1] == '\n')
        ne--;
    if (na > 0 && A[na - 1][0] == '\0' && b->actual[0] && b->actual[strlen(b->actual) - 1] == '\n')
        na--;
    t = xcalloc((size_t)(ne + 1) * (size_t)(na + 1), sizeof(int));
#define T(x, y) t[(x) * (na + 1) + (y)]
    for (i = ne - 1; i >= 0; i--)
        for (j = na - 1; j >= 0; j--)
            T(i, j) = !strcmp(E[i], A[j]) ? T(i + 1, j + 1) + 1
                      : (T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
    printf("--- %s:%d expected\n+++ actual\n@@ %s @@\n", path, b->line, b->cmd);
    i = j = 0;
    while (i < ne || j < na) {
        if (i < ne && j < na && !strcmp(E[i], A[j])) {
            printf(" %s\n", E[i]);
            i++;
            j++;
        } else if (i < ne && (j == na || T(i + 1, j) >= T(i, j + 1))) {
            printf("-%s\n", E[i++]);
        } else {
            printf("+%s\n", A[j++]);
        }
    }
#undef T
    free(t);
    free(E);
    free(A);
    free(e);
    free(a);
}

static int write_script(const char *path, const script_t *s)
{
    FILE *f = fopen(path, "wb");
    int i;
    if (!f)
        return -1;
    for (i = 0; i < s->n; i++)
        fprintf(f, "%s%s\n----\n%s\n", s->b[i].pre, s->b[i].cmd, s->b[i].actual);
    fputs(s->trailer, f);
    return fclose(f);
}

/* Run one script; returns 1 if it passed. */
static int run_script(const char *path, int rewrite, int verbose)
{
    char *text = read_file(path);
    script_t s;
    world_t *w;
    int i, failed = 0, mismatches = 0;
    if (!text) {
        printf("FAIL %s: cannot read\n", path);
        return 0;
    }
    parse_script(text, &s);
    w = world_new();
    for (i = 0; i < s.n; i++) {
        block_t *b = &s.b[i];
        if (run_command(w, b->cmd) != 0) {
            printf("FAIL %s:%d: %s: %s\n", path, b->line, b->cmd, w->err);
            failed = 1;
            break;
        }
        b->actual = xstrdup(w->out.s);
        if (verbose)
            printf("%s\n----\n%s\n", b->cmd, b->actual);
        if (strcmp(b->actual, b->expected)) {
            if (!rewrite)
                print_diff(path, b);
            mismatches++;
        }
    }
    world_free(w);
    if (!failed && rewrite && mismatches) {
        if (write_script(path, &s) != 0) {
            printf("FAIL %s: cannot write\n", path);
            failed = 1;
        } else {
            printf("REWROTE %s (%d block%s changed)\n", path, mismatches, mismatches == 1 ? "" : "s");
        }
    } else if (!failed && mismatches) {
        printf("FAIL %s (%d of %d commands differ)\n", path, mismatches, s.n);
        failed = 1;
    } else if (!failed) {
        printf("PASS %s (%d commands)\n", path, s.n);
    }
    free_script(&s);
    free(text);
    return !failed;
}

int main(int argc, char **argv)
{
    int i, rewrite = 0, verbose = 0, passed = 0, failed = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rewrite")) {
            rewrite = 1;
        } else if (!strcmp(argv[i], "-v")) {
            verbose = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--rewrite] [-v] SCRIPT...\n", argv[0]);
            return 2;
        }
    }
    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        if (run_script(argv[i], rewrite, verbose))
            passed++;
        else
            failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
