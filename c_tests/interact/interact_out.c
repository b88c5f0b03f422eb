/* interact: everything the scripts print (README.md "Output"): entries,
 * messages, status lines, and the fixture's events in the order they happen. */
#include "interact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- utilities ----------------------------------------------------------- */

int reject_hint_on[CL_MAX_SERVERS + 1];

static void oom(void)
{
    fputs("interact: out of memory\n", stderr);
    exit(2);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

void buf_putn(buf_t *b, const char *s, size_t n)
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

void buf_puts(buf_t *b, const char *s)
{
    buf_putn(b, s, strlen(s));
}

void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
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

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

void buf_free(buf_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

void say(world_t *w, const char *fmt, ...)
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

void say_buf(world_t *w, buf_t *b)
{
    say(w, "%s", b->s ? b->s : "");
}

void usage_error(world_t *w, const char *fmt, ...)
{
    va_list ap;
    if (w->err[0])
        return;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
}

/* ---- formatting ---------------------------------------------------------- */

const char *state_name(int s)
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

void fmt_entry(buf_t *b, raft_index_t idx, raft_term_t term, int type, const char *data, unsigned len)
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

static void fmt_raft_entry(buf_t *b, raft_index_t idx, const raft_entry_t *e)
{
    fmt_entry(b, idx, e->term, e->type, e->data.buf, e->data.len);
}

void fmt_members(buf_t *b, const cl_member_t *m, int n)
{
    int i;
    for (i = 0; i < n; i++)
        buf_printf(b, "%s%d%s", i ? "," : "", m[i].id, m[i].voting ? "" : "(non-voting)");
}

void fmt_msg(buf_t *b, const cl_msg_t *m)
{
    int i;
    buf_printf(b, "%d->%d %s ", m->from, m->to, cl_msg_type_name[m->type]);
    switch (m->type) {
    case CL_RV:
        buf_printf(b, "term=%ld last=(%ld,%ld)", (long)m->u.rv.term, (long)m->u.rv.last_log_idx,
                   (long)m->u.rv.last_log_term);
        if (m->u.rv.candidate_id != m->from)
            buf_printf(b, " candidate=%d", m->u.rv.candidate_id);
        break;
    case CL_RVR:
        buf_printf(b, "term=%ld %s", (long)m->u.rvr.term,
                   m->u.rvr.vote_granted == RAFT_REQUESTVOTE_ERR_GRANTED ? "granted"
                   : m->u.rvr.vote_granted == RAFT_REQUESTVOTE_ERR_NOT_GRANTED ? "rejected"
                   : m->u.rvr.vote_granted == RAFT_REQUESTVOTE_ERR_UNKNOWN_NODE ? "unknown-node" : "?");
        break;
    case CL_AE:
        buf_printf(b, "term=%ld prev=(%ld,%ld) commit=%ld entries=[", (long)m->u.ae.term,
                   (long)m->u.ae.prev_log_idx, (long)m->u.ae.prev_log_term, (long)m->u.ae.leader_commit);
        for (i = 0; i < m->u.ae.n_entries; i++) {
            if (i)
                buf_puts(b, " ");
            fmt_raft_entry(b, m->u.ae.prev_log_idx + 1 + i, &m->u.ae.entries[i]);
        }
        buf_puts(b, "]");
        break;
    case CL_AER:
        buf_printf(b, "term=%ld %s current_idx=%ld first_idx=%ld", (long)m->u.aer.term,
                   m->u.aer.success ? "success" : "reject", (long)m->u.aer.current_idx, (long)m->u.aer.first_idx);
        if (!m->u.aer.success && m->from >= 1 && m->from <= CL_MAX_SERVERS && reject_hint_on[m->from])
            buf_printf(b, " hint_term=%ld", (long)m->u.aer.reject_hint_term);
        break;
    case CL_SNAP:
        buf_printf(b, "term=%ld last=(%ld,%ld) members=", (long)m->snap_leader_term, (long)m->snap->idx,
                   (long)m->snap->term);
        fmt_members(b, m->snap->members, m->snap->nmembers);
        break;
    case CL_TN:
        buf_printf(b, "term=%ld", (long)m->u.tn.term);
        break;
    case CL_RI:
        buf_printf(b, "id=%lu", (unsigned long)m->u.ri.id);
        break;
    case CL_RIR:
        buf_printf(b, "id=%lu read_idx=%ld result=%d", (unsigned long)m->u.rir.id, (long)m->u.rir.read_idx, m->u.rir.result);
        break;
    case CL_NTYPES:
        break;
    }
}

/* ---- what changed -------------------------------------------------------- */

void note_changes(world_t *w, cl_server_t *s)
{
    seen_t *seen;
    int st;
    raft_term_t t;
    raft_index_t c;
    if (!s || !s->r || s->loading)
        return;
    seen = &w->seen[s->id];
    st = raft_get_state(s->r);
    t = raft_get_current_term(s->r);
    c = raft_get_commit_idx(s->r);
    if (st != seen->state || t != seen->term)
        say(w, "%d became %s at term %ld", s->id, state_name(st), (long)t);
    if (c != seen->commit)
        say(w, "%d committed up to %ld", s->id, (long)c);
    seen->state = st;
    seen->term = t;
    seen->commit = c;
}

void note_all(world_t *w)
{
    int i;
    for (i = 1; i <= w->c->n; i++)
        note_changes(w, cl_server(w->c, i));
}

void seen_reset(world_t *w, cl_server_t *s)
{
    w->seen[s->id].state = raft_get_state(s->r);
    w->seen[s->id].term = raft_get_current_term(s->r);
    w->seen[s->id].commit = raft_get_commit_idx(s->r);
}

static void say_entry_event(world_t *w, cl_server_t *s, const char *what, raft_index_t idx, const raft_entry_t *e)
{
    buf_t b = {0, 0, 0};
    note_changes(w, s);
    fmt_raft_entry(&b, idx, e);
    say(w, "%d %s %s", s->id, what, b.s);
    buf_free(&b);
}

void on_cluster_event(void *ctx, const cl_event_t *ev)
{
    world_t *w = ctx;
    cl_server_t *s = ev->server;
    buf_t b = {0, 0, 0};
    switch (ev->kind) {
    case CL_EV_SENT:
        note_changes(w, s);
        fmt_msg(&b, ev->msg);
        say(w, "sent %s", b.s);
        break;
    case CL_EV_APPLIED:
        say_entry_event(w, s, "applied", ev->idx, ev->entry);
        break;
    case CL_EV_OFFERED:
        if (w->verbose) {
            fmt_raft_entry(&b, ev->idx, ev->entry);
            say(w, "%d log_offer %s", s->id, b.s);
        }
        break;
    case CL_EV_POPPED:
        say_entry_event(w, s, "log_pop", ev->idx, ev->entry);
        break;
    case CL_EV_POLLED:
        say_entry_event(w, s, "log_poll", ev->idx, ev->entry);
        break;
    case CL_EV_CLEARED:
        say_entry_event(w, s, "log_clear", ev->idx, ev->entry);
        break;
    case CL_EV_PERSIST_TERM:
        if (w->verbose)
            say(w, "%d persist term=%ld vote=%d", s->id, (long)ev->term, ev->node);
        break;
    case CL_EV_PERSIST_VOTE:
        if (w->verbose)
            say(w, "%d persist vote=%d", s->id, ev->node);
        break;
    case CL_EV_MEMBERSHIP_ADD:
    case CL_EV_MEMBERSHIP_REMOVE:
        note_changes(w, s);
        say(w, "%d membership %s %d", s->id, ev->kind == CL_EV_MEMBERSHIP_ADD ? "add" : "remove", ev->node);
        break;
    case CL_EV_SUFFICIENT_LOGS:
        note_changes(w, s);
        say(w, "%d node_has_sufficient_logs %d", s->id, ev->node);
        break;
    case CL_EV_SNAPSHOT_LOADED:
        note_changes(w, s);
        say(w, "%d loaded snapshot last=(%ld,%ld)", s->id, (long)ev->idx, (long)ev->term);
        break;
    case CL_EV_LIB_ERROR:
        say(w, "%d %s: %s", s->id, ev->call, cl_rc_name(ev->rc));
        break;
    case CL_EV_VIOLATION:
        say(w, "VIOLATION: %s", ev->text);
        break;
    case CL_EV_STATE:
        say(w, "%d state %s", s->id, raft_get_state_str(ev->node));
        break;
    case CL_EV_TRANSFER:
        say(w, "%d transfer ended %d", s->id, ev->rc);
        break;
    }
    buf_free(&b);
}

/* ---- status -------------------------------------------------------------- */

static void status_down(world_t *w, cl_server_t *s)
{
    buf_t b = {0, 0, 0};
    int i;
    buf_printf(&b, "%d down: persisted term=%ld vote=%d log=[", s->id, (long)s->p_term, s->p_vote);
    for (i = 0; i < s->count; i++) {
        if (i)
            buf_puts(&b, " ");
        fmt_raft_entry(&b, s->base + 1 + i, &s->log[i]);
    }
    buf_puts(&b, "]");
    if (s->snap.idx)
        buf_printf(&b, " snapshot=(%ld,%ld)", (long)s->snap.idx, (long)s->snap.term);
    say_buf(w, &b);
    buf_free(&b);
}

void status_line(world_t *w, cl_server_t *s, int detail)
{
    buf_t b = {0, 0, 0};
    raft_index_t i, last;
    raft_server_t *r = s->r;
    if (!r) {
        status_down(w, s);
        return;
    }
    buf_printf(&b, "%d %s term=%ld vote=%d leader=%d commit=%ld applied=%ld", s->id, state_name(raft_get_state(r)),
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
            fmt_raft_entry(&b, i, e);
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
