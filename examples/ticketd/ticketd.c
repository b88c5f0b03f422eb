/* ticketd: a replicated ticket dispenser on libraft.
 *
 * One process per node, one thread: a libuv loop drives the Raft timer,
 * the peer UDP socket and libmicrohttpd (run in "external" mode on its
 * epoll fd, with client connections suspended while their log entry
 * commits).  LMDB keeps term, vote, log and snapshot on disk.
 *
 * See README.md for usage, the HTTP API and the durability rules.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "raft.h"
#include "store.h"
#include "wire.h"

#define MAX_PEERS WIRE_MAX_MEMBERS
#define ERR_STORAGE (-1000) /* our callbacks' error: storage failed */
#define UP_MAX 2048         /* largest request body we accept */

enum { SYNC_CALLBACK, SYNC_GROUP, SYNC_OFF };

/* ------------------------------------------------------------------ */
/* types */

typedef struct peer {
    int used;
    int32_t id;
    char raft[WIRE_ADDR_LEN];
    char http[WIRE_ADDR_LEN];
    struct sockaddr_in sa;
    uint64_t last_snapshot_ms;
} peer_t;

typedef struct waiter waiter_t;

enum { R_NEW, R_QUEUED, R_WAIT, R_DEFERRED, R_DONE };
enum { K_TICKET = 1, K_JOIN, K_DELETE };

typedef struct req {
    struct MHD_Connection *conn;
    int kind;
    int phase;
    int suspended;
    int dead; /* connection completed while we still referenced it */
    waiter_t *w;
    struct req *next; /* queue / deferred link */
    uint64_t deadline;
    /* request body */
    char up[UP_MAX + 1];
    size_t up_len;
    int up_overflow;
    /* DELETE /peers/ID */
    int32_t target;
    int step;
    /* result */
    int status;
    char *body;
    const char *ctype;
    char location[256];
    int retry_after;
} req_t;

/* a log entry that clients (or the promotion logic) wait on */
struct waiter {
    waiter_t *next;
    raft_index_t idx;
    raft_term_t term;
    int kind; /* K_TICKET: batch of tickets; K_JOIN/K_DELETE: cfg entry */
    req_t **reqs;
    size_t n, cap;
    uint64_t deadline;
};

typedef struct {
    uint64_t rx, tx, tx_errors, drop[WIRE_E_NUM];
    uint64_t drop_wrong_dest, drop_bad_sender, drop_unknown_sender, drop_bad_source, drop_inactive_sender,
        drop_vote_leader_alive, drop_stale_snapshot, drop_recv_error, votes_unknown_candidate,
        drop_stale_removal;
    uint64_t snapshots_sent, snapshots_loaded, snapshots_taken, partial_appendentries;
    uint64_t tickets_issued, batches_appended, entries_applied;
    uint64_t http_requests, http_redirects, http_unavailable, http_bad_requests, http_retry;
    uint64_t elections_won;
} counters_t;

/* ------------------------------------------------------------------ */
/* state (one server per process) */

static struct {
    /* configuration */
    int32_t id;
    char raft_addr[WIRE_ADDR_LEN], http_addr[WIRE_ADDR_LEN];
    const char *dir;
    const char *join;
    int tick_ms, election_ms, heartbeat_ms, snapshot_every, max_entries, client_timeout_ms, verbose;
    int max_dgram;
    int flush_commit; /* --flush commit: also flush when no batch is in flight */
    int sync_mode;
    wire_member_t cli_peers[MAX_PEERS];
    int n_cli_peers;

    /* runtime */
    raft_server_t *raft;
    store_t *store;
    store_hardstate_t hs;
    uv_loop_t *loop;
    uv_udp_t udp;
    uv_timer_t tick, mhd_timer;
    uv_check_t check;
    uv_poll_t mhd_poll;
    uv_signal_t sigint, sigterm;
    struct MHD_Daemon *mhd;
    int mhd_kick;

    peer_t peers[MAX_PEERS];
    uint64_t counter;          /* state machine: last ticket issued */
    wire_snapshot_t members;   /* state machine: applied membership */
    wire_snapshot_t snap;      /* last snapshot (persisted) */
    int has_snap;

    int recovering;
    int last_state;
    uint64_t last_tick;
    int32_t entry_seq;

    req_t *q_head, *q_tail; /* ticket requests not yet in an entry */
    size_t q_len;
    req_t *deferred;        /* DELETE requests waiting for their next step */
    waiter_t *waiters;
    int ticket_waiters; /* ticket batches appended, not yet applied */
    int32_t promote[MAX_PEERS];
    int n_promote;

    int stopping, removed, fatal;
    counters_t c;
    wire_msg_t msg; /* decode buffer (large) */
} S;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%ld.%03ld ticketd[%d]: ", (long)tv.tv_sec, (long)(tv.tv_usec / 1000), S.id);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
#define VLOG(...)                \
    do {                         \
        if (S.verbose)           \
            logf_(__VA_ARGS__); \
    } while (0)

static void shutdown_server(const char *why);

/* ------------------------------------------------------------------ */
/* peers and membership */

static int parse_sockaddr(const char *s, struct sockaddr_in *sa)
{
    char host[WIRE_ADDR_LEN];
    if (!wire_addr_valid(s))
        return -1;
    const char *colon = strrchr(s, ':');
    size_t hl = (size_t)(colon - s);
    memcpy(host, s, hl);
    host[hl] = 0;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)atoi(colon + 1));
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static peer_t *peer_find(int32_t id)
{
    for (int i = 0; i < MAX_PEERS; i++)
        if (S.peers[i].used && S.peers[i].id == id)
            return &S.peers[i];
    return NULL;
}

/* records (or updates) the addresses of node id */
static peer_t *peer_learn(int32_t id, const char *raft, const char *http)
{
    peer_t *p = peer_find(id);
    if (!p) {
        for (int i = 0; i < MAX_PEERS && !p; i++)
            if (!S.peers[i].used)
                p = &S.peers[i];
        if (!p) {
            logf_("peer table full, cannot add node %d", id);
            return NULL;
        }
        memset(p, 0, sizeof(*p));
        p->used = 1;
        p->id = id;
    }
    if (raft && strcmp(p->raft, raft) != 0) {
        struct sockaddr_in sa;
        if (parse_sockaddr(raft, &sa) == 0) {
            snprintf(p->raft, sizeof p->raft, "%s", raft);
            p->sa = sa;
        }
    }
    if (http)
        snprintf(p->http, sizeof p->http, "%s", http);
    return p;
}

static wire_member_t *member_find(wire_snapshot_t *m, int32_t id)
{
    for (uint32_t i = 0; i < m->n_members; i++)
        if (m->members[i].id == id)
            return &m->members[i];
    return NULL;
}

static void member_upsert(wire_snapshot_t *m, const wire_member_t *x, int voting)
{
    wire_member_t *e = member_find(m, x->id);
    if (!e) {
        if (m->n_members >= WIRE_MAX_MEMBERS)
            return;
        e = &m->members[m->n_members++];
        *e = *x;
    }
    e->voting = voting;
}

static void member_remove(wire_snapshot_t *m, int32_t id)
{
    for (uint32_t i = 0; i < m->n_members; i++)
        if (m->members[i].id == id) {
            m->members[i] = m->members[m->n_members - 1];
            m->n_members--;
            return;
        }
}

/* adds a (non-self) member to the raft server */
static void raft_add_member(const wire_member_t *m)
{
    if (m->id == S.id) {
        raft_node_t *me = raft_get_my_node(S.raft);
        if (me)
            raft_node_set_voting(me, m->voting);
        return;
    }
    peer_t *p = peer_learn(m->id, m->raft, m->http);
    raft_node_t *n = m->voting ? raft_add_node(S.raft, p, m->id, 0) : raft_add_non_voting_node(S.raft, p, m->id, 0);
    if (!n)
        n = raft_get_node(S.raft, m->id);
    if (n)
        raft_node_set_udata(n, p);
}

/* ------------------------------------------------------------------ */
/* storage helpers */

/* end of a persisting callback: in callback mode the write is committed
 * (and fsynced) before the callback returns */
static int persist_done(void)
{
    if (S.recovering || S.sync_mode == SYNC_GROUP)
        return 0;
    return store_commit(S.store) == 0 ? 0 : ERR_STORAGE;
}

/* before anything leaves the process (a datagram, a client answer) and
 * after every raft call: nothing is visible until it is durable */
static void flush_before_io(void)
{
    if (store_dirty(S.store) && store_commit(S.store) != 0) {
        S.fatal = 1;
        shutdown_server("storage commit failed");
    }
}

/* ------------------------------------------------------------------ */
/* UDP */

static int udp_send(peer_t *p, const uint8_t *buf, size_t len)
{
    if (!p || !p->raft[0] || !len)
        return -1;
    flush_before_io();
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    int rc = uv_udp_try_send(&S.udp, &b, 1, (const struct sockaddr *)&p->sa);
    if (rc < 0) {
        S.c.tx_errors++;
        return -1;
    }
    S.c.tx++;
    return 0;
}

static uint8_t txbuf[WIRE_MAX_DGRAM];

/* ------------------------------------------------------------------ */
/* client requests */

/* completes a request: it will be answered when MHD runs it again */
static void req_finish(req_t *r, int status, const char *ctype, const char *body, const char *location,
                       int retry_after)
{
    r->phase = R_DONE;
    r->w = NULL;
    r->status = status;
    r->ctype = ctype ? ctype : "application/json";
    free(r->body);
    r->body = strdup(body ? body : "");
    r->location[0] = 0;
    if (location)
        snprintf(r->location, sizeof r->location, "%s", location);
    r->retry_after = retry_after;
    if (r->dead) {
        free(r->body);
        free(r);
        return;
    }
    if (r->suspended) {
        r->suspended = 0;
        MHD_resume_connection(r->conn);
        S.mhd_kick = 1;
    }
}

static void req_unavailable(req_t *r, const char *why)
{
    char b[256];
    snprintf(b, sizeof b, "{\"error\":\"%s\"}\n", why);
    S.c.http_unavailable++;
    req_finish(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, b, NULL, 1);
}

/* the URL of the leader for path, or NULL when no leader is known */
static const char *leader_url(const char *path, char *buf, size_t len)
{
    raft_node_t *ln = raft_get_current_leader_node(S.raft);
    if (!ln)
        return NULL;
    peer_t *p = raft_node_get_udata(ln);
    if (!p || !p->http[0] || raft_node_get_id(ln) == S.id)
        return NULL;
    snprintf(buf, len, "http://%s%s", p->http, path);
    return buf;
}

/* not the leader: redirect to it, or 503 if there is none */
static void req_redirect(req_t *r, const char *path)
{
    char url[256];
    if (leader_url(path, url, sizeof url)) {
        char b[320];
        snprintf(b, sizeof b, "{\"leader\":\"%s\"}\n", url);
        S.c.http_redirects++;
        req_finish(r, MHD_HTTP_TEMPORARY_REDIRECT, NULL, b, url, 0);
    } else {
        req_unavailable(r, "no leader");
    }
}

static waiter_t *waiter_new(raft_index_t idx, raft_term_t term, int kind)
{
    waiter_t *w = calloc(1, sizeof(*w));
    if (!w)
        abort();
    w->idx = idx;
    w->term = term;
    w->kind = kind;
    w->deadline = uv_now(S.loop) + (uint64_t)S.client_timeout_ms;
    if (kind == K_TICKET)
        S.ticket_waiters++;
    w->next = S.waiters;
    S.waiters = w;
    return w;
}

static void waiter_add(waiter_t *w, req_t *r)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 8;
        w->reqs = realloc(w->reqs, w->cap * sizeof(*w->reqs));
        if (!w->reqs)
            abort();
    }
    w->reqs[w->n++] = r;
    r->w = w;
    r->phase = R_WAIT;
}

static void waiter_unlink(waiter_t *w)
{
    for (waiter_t **pp = &S.waiters; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    if (w->kind == K_TICKET)
        S.ticket_waiters--;
    free(w->reqs);
    free(w);
}

static waiter_t *waiter_at(raft_index_t idx)
{
    for (waiter_t *w = S.waiters; w; w = w->next)
        if (w->idx == idx)
            return w;
    return NULL;
}

/* the entry a waiter waits on is gone (overwritten, timed out, snapshot) */
static void waiter_fail(waiter_t *w, const char *why)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->reqs[i]) {
            S.c.http_retry++;
            req_unavailable(w->reqs[i], why);
        }
    waiter_unlink(w);
}

static void members_text(char *out, size_t len)
{
    size_t off = 0;
    off += (size_t)snprintf(out + off, len - off, "leader %d\n", S.id);
    for (int i = 0; i < MAX_PEERS && off < len; i++) {
        peer_t *p = &S.peers[i];
        if (!p->used)
            continue;
        raft_node_t *n = p->id == S.id ? raft_get_my_node(S.raft) : raft_get_node(S.raft, p->id);
        if (!n || !raft_node_is_active(n))
            continue;
        off += (size_t)snprintf(out + off, len - off, "member %d %s %s %s\n", p->id,
                                raft_node_is_voting(n) ? "voter" : "nonvoter", p->raft, p->http);
    }
}

/* ------------------------------------------------------------------ */
/* raft callbacks */

static int cb_send_requestvote(raft_server_t *raft, void *ud, raft_node_t *node, msg_requestvote_t *m)
{
    (void)raft;
    (void)ud;
    peer_t *p = raft_node_get_udata(node);
    if (!p)
        return 0;
    size_t n = wire_encode_rv(txbuf, sizeof txbuf, S.id, p->id, m);
    udp_send(p, txbuf, n);
    return 0;
}

static int cb_send_appendentries(raft_server_t *raft, void *ud, raft_node_t *node, msg_appendentries_t *m)
{
    (void)raft;
    (void)ud;
    peer_t *p = raft_node_get_udata(node);
    if (!p)
        return 0;
    int sent = 0;
    /* may carry fewer entries than offered: the follower's response says
     * how far it got and the leader continues from there */
    size_t n = wire_encode_ae(txbuf, (size_t)S.max_dgram, S.id, p->id, m, &sent);
    if (sent < m->n_entries)
        S.c.partial_appendentries++;
    udp_send(p, txbuf, n);
    return 0;
}

static int cb_send_snapshot(raft_server_t *raft, void *ud, raft_node_t *node)
{
    (void)raft;
    (void)ud;
    peer_t *p = raft_node_get_udata(node);
    if (!p || !S.has_snap)
        return 0;
    /* called on every heartbeat while the peer lags: rate-limit */
    uint64_t now = uv_now(S.loop);
    if (p->last_snapshot_ms && now - p->last_snapshot_ms < 250)
        return 0;
    p->last_snapshot_ms = now;
    wire_snapshot_t s = S.snap;
    s.term = raft_get_current_term(S.raft);
    size_t n = wire_encode_snapshot(txbuf, sizeof txbuf, S.id, p->id, &s);
    if (udp_send(p, txbuf, n) == 0) {
        S.c.snapshots_sent++;
        VLOG("sent snapshot idx %" PRId64 " to node %d", s.snap_idx, p->id);
    }
    return 0;
}

static void apply_cfg(const raft_entry_t *e)
{
    wire_member_t m;
    if (cfg_decode(e->data.buf, e->data.len, &m) != 0)
        return;
    switch (e->type) {
    case RAFT_LOGTYPE_ADD_NONVOTING_NODE:
        if (!member_find(&S.members, m.id))
            member_upsert(&S.members, &m, 0);
        break;
    case RAFT_LOGTYPE_ADD_NODE:
        member_upsert(&S.members, &m, 1);
        break;
    case RAFT_LOGTYPE_DEMOTE_NODE:
        member_upsert(&S.members, &m, 0);
        break;
    case RAFT_LOGTYPE_REMOVE_NODE:
        member_remove(&S.members, m.id);
        if (m.id == S.id) {
            S.removed = 1;
        } else if (raft_is_leader(S.raft)) {
            /* the library stops talking to it now: tell it (twice, UDP) */
            peer_t *p = peer_find(m.id);
            size_t n = wire_encode_removed(txbuf, sizeof txbuf, S.id, m.id, raft_get_current_term(S.raft));
            udp_send(p, txbuf, n);
            udp_send(p, txbuf, n);
        }
        break;
    }
}

static int cb_log_apply(raft_server_t *raft, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)raft;
    (void)ud;
    flush_before_io();
    S.c.entries_applied++;
    waiter_t *w = waiter_at(idx);
    if (w && w->term != e->term) {
        waiter_fail(w, "entry overwritten, retry");
        w = NULL;
    }
    if (e->type == RAFT_LOGTYPE_NORMAL) {
        uint32_t count = 0;
        if (batch_decode(e->data.buf, e->data.len, &count) != 0) {
            logf_("entry %ld: bad ticket payload, not applied", (long)idx);
            return 0;
        }
        uint64_t first = S.counter + 1;
        S.counter += count;
        if (w && w->kind == K_TICKET) {
            char b[128];
            for (size_t i = 0; i < w->n && i < count; i++) {
                if (!w->reqs[i])
                    continue;
                snprintf(b, sizeof b, "{\"ticket\":%" PRIu64 ",\"index\":%ld,\"term\":%ld}\n", first + i,
                         (long)idx, (long)e->term);
                S.c.tickets_issued++;
                req_finish(w->reqs[i], MHD_HTTP_OK, NULL, b, NULL, 0);
            }
            waiter_unlink(w);
        }
    } else {
        apply_cfg(e);
        if (w) {
            for (size_t i = 0; i < w->n; i++) {
                req_t *r = w->reqs[i];
                if (!r)
                    continue;
                if (r->kind == K_DELETE && r->step == 1) {
                    /* demoted: the REMOVE entry is appended on the next tick */
                    r->step = 2;
                    r->w = NULL;
                    r->phase = R_DEFERRED;
                    r->next = S.deferred;
                    S.deferred = r;
                } else if (r->kind == K_DELETE) {
                    char b[128];
                    snprintf(b, sizeof b, "{\"removed\":%d,\"index\":%ld}\n", r->target, (long)idx);
                    req_finish(r, MHD_HTTP_OK, NULL, b, NULL, 0);
                } else {
                    static char b[8192];
                    members_text(b, sizeof b);
                    req_finish(r, MHD_HTTP_OK, "text/plain", b, NULL, 0);
                }
            }
            waiter_unlink(w);
        }
    }
    return 0;
}

static int cb_persist_vote(raft_server_t *raft, void *ud, raft_node_id_t vote)
{
    (void)raft;
    (void)ud;
    S.hs.vote = vote;
    if (S.recovering)
        return 0;
    if (store_put_hardstate(S.store, &S.hs) != 0)
        return ERR_STORAGE;
    return persist_done();
}

static int cb_persist_term(raft_server_t *raft, void *ud, raft_term_t term, raft_node_id_t vote)
{
    (void)raft;
    (void)ud;
    S.hs.term = term;
    S.hs.vote = vote;
    if (S.recovering)
        return 0;
    if (store_put_hardstate(S.store, &S.hs) != 0)
        return ERR_STORAGE;
    return persist_done();
}

static int cb_log_offer(raft_server_t *raft, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)raft;
    (void)ud;
    /* the library keeps data.buf but does not own it: keep our own copy */
    void *copy = NULL;
    if (e->data.len) {
        copy = malloc(e->data.len);
        if (!copy)
            return RAFT_ERR_NOMEM;
        memcpy(copy, e->data.buf, e->data.len);
    }
    if (e->type != RAFT_LOGTYPE_NORMAL) {
        wire_member_t m;
        if (cfg_decode(e->data.buf, e->data.len, &m) == 0)
            peer_learn(m.id, m.raft, m.http);
    }
    if (!S.recovering) {
        if (store_put_entry(S.store, idx, e) != 0) {
            free(copy);
            return ERR_STORAGE;
        }
        int rc = persist_done();
        if (rc != 0) {
            free(copy);
            return rc;
        }
    }
    e->data.buf = copy;
    return 0;
}

static int cb_log_poll(raft_server_t *raft, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)raft;
    (void)ud;
    /* compaction: the snapshot covering idx is already durable, so the
     * deletes are committed together right after raft_end_snapshot */
    if (!S.recovering && store_del_entry(S.store, idx) != 0)
        return ERR_STORAGE;
    free(e->data.buf);
    e->data.buf = NULL;
    return 0;
}

static int cb_log_pop(raft_server_t *raft, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)raft;
    (void)ud;
    if (!S.recovering) {
        if (store_del_entry(S.store, idx) != 0)
            return ERR_STORAGE;
        int rc = persist_done();
        if (rc != 0)
            return rc;
    }
    waiter_t *w = waiter_at(idx);
    if (w)
        waiter_fail(w, "entry overwritten by a new leader, retry");
    free(e->data.buf);
    e->data.buf = NULL;
    return 0;
}

static int cb_log_clear(raft_server_t *raft, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)raft;
    (void)ud;
    /* only on snapshot install; the store's log is dropped in the same
     * transaction that records the snapshot */
    waiter_t *w = waiter_at(idx);
    if (w)
        waiter_fail(w, "log replaced by a snapshot, retry");
    free(e->data.buf);
    e->data.buf = NULL;
    return 0;
}

static int cb_log_get_node_id(raft_server_t *raft, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)raft;
    (void)ud;
    (void)idx;
    wire_member_t m;
    if (cfg_decode(e->data.buf, e->data.len, &m) != 0)
        return -1;
    return m.id;
}

static int cb_node_has_sufficient_logs(raft_server_t *raft, void *ud, raft_node_t *node)
{
    (void)raft;
    (void)ud;
    int32_t id = raft_node_get_id(node);
    for (int i = 0; i < S.n_promote; i++)
        if (S.promote[i] == id)
            return 0;
    if (S.n_promote < MAX_PEERS)
        S.promote[S.n_promote++] = id;
    logf_("node %d has caught up: promoting it to voter", id);
    return 0;
}

static void cb_notify_membership_event(raft_server_t *raft, void *ud, raft_node_t *node, raft_entry_t *e,
                                       raft_membership_e type)
{
    (void)raft;
    (void)ud;
    int32_t id = raft_node_get_id(node);
    if (type == RAFT_MEMBERSHIP_ADD) {
        peer_t *p = NULL;
        wire_member_t m;
        if (e && cfg_decode(e->data.buf, e->data.len, &m) == 0 && m.id == id)
            p = peer_learn(m.id, m.raft, m.http);
        else
            p = peer_find(id);
        raft_node_set_udata(node, p);
        VLOG("membership: node %d added", id);
    } else {
        raft_node_set_udata(node, NULL);
        VLOG("membership: node %d removed", id);
    }
}

static void cb_log(raft_server_t *raft, raft_node_t *node, void *ud, const char *buf)
{
    (void)raft;
    (void)ud;
    if (S.verbose > 1)
        logf_("raft[%d]: %s", node ? raft_node_get_id(node) : -1, buf);
}

static raft_cbs_t callbacks = {
    .send_requestvote = cb_send_requestvote,
    .send_appendentries = cb_send_appendentries,
    .send_snapshot = cb_send_snapshot,
    .log_apply = cb_log_apply,
    .persist_vote = cb_persist_vote,
    .persist_term = cb_persist_term,
    .log_offer = cb_log_offer,
    .log_poll = cb_log_poll,
    .log_pop = cb_log_pop,
    .log_clear = cb_log_clear,
    .log_get_node_id = cb_log_get_node_id,
    .node_has_sufficient_logs = cb_node_has_sufficient_logs,
    .notify_membership_event = cb_notify_membership_event,
    .log = cb_log,
};

/* checks what a raft call returned */
static void after_raft(int rc, const char *what)
{
    flush_before_io();
    if (rc == RAFT_ERR_SHUTDOWN) {
        S.removed = 1;
        logf_("%s: raft asks to shut down", what);
    } else if (rc == ERR_STORAGE) {
        S.fatal = 1;
        logf_("%s: storage failed", what);
    }
    if (S.removed || S.fatal)
        shutdown_server(S.removed ? "removed from the cluster" : "fatal error");
}

/* A leader appends configuration entries only once it has committed an
 * entry of its own term (the no-op it appends on election): otherwise two
 * single-server changes made by leaders of different terms can combine
 * into disjoint quorums (Ongaro, raft-dev 2015; sim/LIB_BUGS.md #4). */
static int leader_ready(void)
{
    if (!raft_is_leader(S.raft))
        return 0;
    raft_index_t ci = raft_get_commit_idx(S.raft);
    raft_entry_t *e = raft_get_entry_from_idx(S.raft, ci);
    raft_term_t t;
    if (e)
        t = e->term;
    else if (ci > 0 && ci == raft_get_snapshot_last_idx(S.raft))
        t = raft_get_snapshot_last_term(S.raft);
    else
        return 0;
    return t == raft_get_current_term(S.raft);
}

/* thesis 4.2.3: a node that heard from a live leader within the election
 * timeout ignores candidates with a higher term (a node being removed, or
 * one that was cut off, must not depose a working leader) */
static int leader_alive_for(raft_term_t term)
{
    if (term <= raft_get_current_term(S.raft))
        return 0;
    int st = raft_get_state(S.raft);
    return st == RAFT_STATE_LEADER || (st == RAFT_STATE_FOLLOWER && raft_get_current_leader(S.raft) != -1 &&
                                       raft_get_timeout_elapsed(S.raft) < S.election_ms);
}

/* ------------------------------------------------------------------ */
/* snapshots */

static int take_snapshot(void)
{
    if (raft_snapshot_is_in_progress(S.raft))
        return -1;
    raft_index_t ci = raft_get_commit_idx(S.raft);
    if (ci <= raft_get_snapshot_last_idx(S.raft) || ci <= 0)
        return -1;
    int rc = raft_begin_snapshot(S.raft, 0);
    if (rc != 0)
        return -1;
    /* begin_snapshot applied every committed entry; the snapshot covers
     * the log up to the commit index */
    raft_index_t idx = raft_get_commit_idx(S.raft);
    raft_entry_t *e = raft_get_entry_from_idx(S.raft, idx);
    if (!e || raft_get_last_applied_idx(S.raft) != idx) {
        logf_("snapshot: committed entry %ld not applied/held, cancelled", (long)idx);
        raft_cancel_snapshot(S.raft);
        return -1;
    }
    wire_snapshot_t snap = S.members;
    snap.term = 0;
    snap.snap_idx = idx;
    snap.snap_term = e->term;
    snap.counter = S.counter;
    flush_before_io();
    if (store_put_snapshot(S.store, &snap) != 0 || store_commit(S.store) != 0) {
        raft_cancel_snapshot(S.raft);
        S.fatal = 1;
        shutdown_server("cannot persist snapshot");
        return -1;
    }
    S.snap = snap;
    S.has_snap = 1;
    rc = raft_end_snapshot(S.raft);
    flush_before_io(); /* the log_poll deletes */
    if (rc != 0)
        logf_("raft_end_snapshot: %d", rc);
    S.c.snapshots_taken++;
    VLOG("snapshot at index %ld term %ld counter %" PRIu64, (long)idx, (long)snap.snap_term, snap.counter);
    return 0;
}

static void send_aer(peer_t *p, msg_appendentries_response_t *r)
{
    size_t n = wire_encode_aer(txbuf, sizeof txbuf, S.id, p->id, r);
    udp_send(p, txbuf, n);
}

static void handle_snapshot(peer_t *from, const wire_snapshot_t *s)
{
    raft_term_t cur = raft_get_current_term(S.raft);
    if (s->term < cur || raft_snapshot_is_in_progress(S.raft)) {
        S.c.drop_stale_snapshot++;
        return;
    }
    if (s->snap_idx <= raft_get_commit_idx(S.raft)) {
        S.c.drop_stale_snapshot++;
        return;
    }
    if (s->term > cur) {
        int rc = raft_set_current_term(S.raft, s->term);
        after_raft(rc, "set_current_term");
        if (rc != 0)
            return;
    }
    int rc = raft_begin_load_snapshot(S.raft, s->snap_term, s->snap_idx);
    if (rc != 0) {
        VLOG("begin_load_snapshot(%ld,%ld) = %d", (long)s->snap_term, (long)s->snap_idx, rc);
        after_raft(rc, "begin_load_snapshot");
        return;
    }
    for (uint32_t i = 0; i < s->n_members; i++)
        raft_add_member(&s->members[i]);
    rc = raft_end_load_snapshot(S.raft);
    if (rc != 0)
        logf_("raft_end_load_snapshot: %d", rc);
    S.counter = s->counter;
    S.members = *s;
    S.members.term = 0;
    S.snap = S.members;
    S.has_snap = 1;
    /* waiters on entries the snapshot replaced */
    while (S.waiters)
        waiter_fail(S.waiters, "log replaced by a snapshot, retry");
    /* one transaction: snapshot + empty log + hard state */
    S.hs.term = raft_get_current_term(S.raft);
    S.hs.vote = raft_get_voted_for(S.raft);
    if (store_put_snapshot(S.store, &S.snap) != 0 || store_clear_log(S.store) != 0 ||
        store_put_hardstate(S.store, &S.hs) != 0 || store_commit(S.store) != 0) {
        S.fatal = 1;
        shutdown_server("cannot persist received snapshot");
        return;
    }
    S.c.snapshots_loaded++;
    logf_("loaded snapshot from node %d: index %ld term %ld counter %" PRIu64, from->id, (long)s->snap_idx,
          (long)s->snap_term, s->counter);
    /* tell the leader where we are now */
    msg_appendentries_response_t r = {
        .term = raft_get_current_term(S.raft), .success = 1, .current_idx = s->snap_idx, .first_idx = s->snap_idx + 1};
    send_aer(from, &r);
}

/* ------------------------------------------------------------------ */
/* peer datagrams */

static char rxbuf[65536];

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = rxbuf;
    buf->len = sizeof rxbuf;
}

static void mhd_run(void);

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                        unsigned flags)
{
    (void)h;
    if (nread == 0 && !addr)
        return;
    if (nread < 0) {
        S.c.drop_recv_error++;
        return;
    }
    S.c.rx++;
    if (S.stopping)
        return;
    if ((flags & UV_UDP_PARTIAL) || nread > WIRE_MAX_DGRAM) {
        S.c.drop[WIRE_E_OVERSIZED]++;
        return;
    }
    wire_msg_t *m = &S.msg;
    int rc = wire_decode((const uint8_t *)buf->base, (size_t)nread, m);
    if (rc != WIRE_OK) {
        S.c.drop[rc]++;
        return;
    }
    if (m->dest != S.id) {
        S.c.drop_wrong_dest++;
        return;
    }
    if (m->sender == S.id || m->sender <= 0) {
        S.c.drop_bad_sender++;
        return;
    }
    raft_node_t *node = raft_get_node(S.raft, m->sender);
    peer_t *p = node ? raft_node_get_udata(node) : NULL;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
    if (!node && m->type == WIRE_T_REQUESTVOTE && m->u.rv.candidate_id == m->sender && addr &&
        sin->sin_family == AF_INET && !leader_alive_for(m->u.rv.term)) {
        /* a candidate we do not know: it may have been added by entries we
         * lack, and its vote may be needed (thesis 4.1); the library judges
         * it on its log.  The answer goes back to where it came from. */
        msg_requestvote_response_t r;
        memset(&r, 0, sizeof r);
        rc = raft_recv_requestvote(S.raft, NULL, &m->u.rv, &r);
        after_raft(rc, "recv_requestvote(unknown)");
        if (rc == 0 && !S.stopping) {
            size_t n = wire_encode_rvr(txbuf, sizeof txbuf, S.id, m->sender, &r);
            uv_buf_t b = uv_buf_init((char *)txbuf, (unsigned)n);
            if (n && uv_udp_try_send(&S.udp, &b, 1, addr) >= 0)
                S.c.tx++;
            S.c.votes_unknown_candidate++;
        }
        return;
    }
    if (!node || !p) {
        S.c.drop_unknown_sender++;
        return;
    }
    if (!addr || sin->sin_family != AF_INET || sin->sin_port != p->sa.sin_port ||
        sin->sin_addr.s_addr != p->sa.sin_addr.s_addr) {
        S.c.drop_bad_source++;
        return;
    }
    switch (m->type) {
    case WIRE_T_REQUESTVOTE: {
        if (!raft_node_is_active(node)) {
            /* a node being removed must not disrupt the cluster */
            S.c.drop_inactive_sender++;
            break;
        }
        if (leader_alive_for(m->u.rv.term)) {
            S.c.drop_vote_leader_alive++;
            break;
        }
        msg_requestvote_response_t r;
        memset(&r, 0, sizeof r);
        rc = raft_recv_requestvote(S.raft, node, &m->u.rv, &r);
        after_raft(rc, "recv_requestvote");
        if (rc == 0 && !S.stopping) {
            size_t n = wire_encode_rvr(txbuf, sizeof txbuf, S.id, p->id, &r);
            udp_send(p, txbuf, n);
        }
        break;
    }
    case WIRE_T_REQUESTVOTE_RESP:
        rc = raft_recv_requestvote_response(S.raft, node, &m->u.rvr);
        after_raft(rc, "recv_requestvote_response");
        break;
    case WIRE_T_APPENDENTRIES: {
        msg_appendentries_response_t r;
        memset(&r, 0, sizeof r);
        rc = raft_recv_appendentries(S.raft, node, &m->u.ae, &r);
        after_raft(rc, "recv_appendentries");
        if (rc != ERR_STORAGE && rc != RAFT_ERR_SHUTDOWN && !S.stopping)
            send_aer(p, &r);
        break;
    }
    case WIRE_T_APPENDENTRIES_RESP:
        rc = raft_recv_appendentries_response(S.raft, node, &m->u.aer);
        after_raft(rc, "recv_appendentries_response");
        if (!S.stopping && raft_get_commit_idx(S.raft) > raft_get_last_applied_idx(S.raft)) {
            rc = raft_apply_all(S.raft);
            after_raft(rc == -1 ? 0 : rc, "apply_all");
        }
        break;
    case WIRE_T_SNAPSHOT:
        handle_snapshot(p, &m->snap);
        break;
    case WIRE_T_REMOVED:
        /* only our current leader, in our term, can tell us */
        if (m->removed.term == raft_get_current_term(S.raft) && raft_get_current_leader(S.raft) == m->sender) {
            logf_("node %d (leader, term %ld) says our removal is committed", m->sender, (long)m->removed.term);
            S.removed = 1;
            shutdown_server("removed from the cluster");
        } else {
            S.c.drop_stale_removal++;
        }
        break;
    }
    if (S.mhd_kick)
        mhd_run();
}

/* ------------------------------------------------------------------ */
/* leader work, done on each tick */

static int append_entry(int type, const void *payload, unsigned len, msg_entry_response_t *resp)
{
    msg_entry_t e;
    memset(&e, 0, sizeof e);
    e.id = ++S.entry_seq;
    e.type = type;
    e.data.buf = (void *)(uintptr_t)payload;
    e.data.len = len;
    memset(resp, 0, sizeof(*resp));
    int rc = raft_retain_entries(S.raft, &e, resp);
    flush_before_io();
    if (rc == ERR_STORAGE) {
        S.fatal = 1;
        shutdown_server("storage failed");
    }
    return rc;
}

static int append_cfg(int type, int32_t id, msg_entry_response_t *resp)
{
    peer_t *p = peer_find(id);
    if (!p)
        return -1;
    wire_member_t m;
    memset(&m, 0, sizeof m);
    m.id = id;
    snprintf(m.raft, sizeof m.raft, "%s", p->raft);
    snprintf(m.http, sizeof m.http, "%s", p->http);
    uint8_t buf[256];
    size_t n = cfg_encode(buf, sizeof buf, &m);
    if (!n)
        return -1;
    return append_entry(type, buf, (unsigned)n, resp);
}

/* all ticket requests of this tick become one log entry */
static void flush_ticket_queue(void)
{
    if (!S.q_head)
        return;
    req_t *list = S.q_head;
    S.q_head = S.q_tail = NULL;
    size_t n = S.q_len;
    S.q_len = 0;
    if (!raft_is_leader(S.raft)) {
        for (req_t *r = list, *nx; r; r = nx) {
            nx = r->next;
            r->next = NULL;
            if (r->dead) {
                free(r);
                continue;
            }
            req_redirect(r, "/ticket");
        }
        return;
    }
    uint8_t payload[BATCH_PAYLOAD_LEN];
    batch_encode(payload, (uint32_t)n);
    msg_entry_response_t resp;
    int rc = append_entry(RAFT_LOGTYPE_NORMAL, payload, sizeof payload, &resp);
    waiter_t *w = rc == 0 ? waiter_new(resp.idx, resp.term, K_TICKET) : NULL;
    if (w)
        S.c.batches_appended++;
    for (req_t *r = list, *nx; r; r = nx) {
        nx = r->next;
        r->next = NULL;
        if (w)
            waiter_add(w, r); /* dead ones too: they hold a ticket slot */
        else if (r->dead)
            free(r);
        else if (rc == RAFT_ERR_NOT_LEADER)
            req_redirect(r, "/ticket");
        else
            req_unavailable(r, "cannot append, retry");
    }
    /* dead requests in a waiter are freed when it resolves */
    if (w)
        for (size_t i = 0; i < w->n; i++)
            if (w->reqs[i] && w->reqs[i]->dead) {
                free(w->reqs[i]);
                w->reqs[i] = NULL;
            }
}

static void process_promotions(void)
{
    if (!leader_ready())
        return; /* retried on a later tick */
    int keep = 0;
    for (int i = 0; i < S.n_promote; i++) {
        int32_t id = S.promote[i];
        raft_node_t *n = raft_get_node(S.raft, id);
        if (!n || !raft_node_is_active(n) || raft_node_is_voting(n))
            continue; /* gone or done */
        msg_entry_response_t resp;
        int rc = append_cfg(RAFT_LOGTYPE_ADD_NODE, id, &resp);
        if (rc == 0) {
            logf_("appended ADD_NODE for node %d at index %ld", id, (long)resp.idx);
            continue;
        }
        if (rc == RAFT_ERR_ONE_VOTING_CHANGE_ONLY || rc == RAFT_ERR_SNAPSHOT_IN_PROGRESS)
            S.promote[keep++] = id; /* try again next tick */
    }
    S.n_promote = keep;
}

static void process_deferred(void)
{
    req_t *list = S.deferred, *keep = NULL;
    S.deferred = NULL;
    for (req_t *r = list, *nx; r; r = nx) {
        nx = r->next;
        r->next = NULL;
        if (r->dead) {
            free(r);
            continue;
        }
        if (!raft_is_leader(S.raft)) {
            req_unavailable(r, "leadership lost, retry");
            continue;
        }
        if (!leader_ready() && uv_now(S.loop) < r->deadline) {
            r->next = keep;
            keep = r;
            continue;
        }
        raft_node_t *n = raft_get_node(S.raft, r->target);
        if (!n) {
            req_finish(r, MHD_HTTP_NOT_FOUND, NULL, "{\"error\":\"no such node\"}\n", NULL, 0);
            continue;
        }
        msg_entry_response_t resp;
        int type = r->step == 1 ? RAFT_LOGTYPE_DEMOTE_NODE : RAFT_LOGTYPE_REMOVE_NODE;
        if (r->step == 1 && !raft_node_is_voting(n)) {
            r->step = 2;
            type = RAFT_LOGTYPE_REMOVE_NODE;
        }
        int rc = append_cfg(type, r->target, &resp);
        if (rc == 0) {
            waiter_t *w = waiter_new(resp.idx, resp.term, K_DELETE);
            waiter_add(w, r);
            logf_("appended %s for node %d at index %ld", r->step == 1 ? "DEMOTE_NODE" : "REMOVE_NODE", r->target,
                  (long)resp.idx);
        } else if ((rc == RAFT_ERR_ONE_VOTING_CHANGE_ONLY || rc == RAFT_ERR_SNAPSHOT_IN_PROGRESS) &&
                   uv_now(S.loop) < r->deadline) {
            r->next = keep;
            keep = r;
        } else {
            req_unavailable(r, "configuration change refused, retry");
        }
    }
    /* keep the ones to retry */
    while (keep) {
        req_t *nx = keep->next;
        keep->next = S.deferred;
        S.deferred = keep;
        keep = nx;
    }
}

static void expire_waiters(void)
{
    uint64_t now = uv_now(S.loop);
    for (waiter_t *w = S.waiters, *nx; w; w = nx) {
        nx = w->next;
        if (now >= w->deadline)
            waiter_fail(w, "not committed in time, retry");
    }
}

/* --flush commit: after every loop iteration, if requests are queued and
 * no batch is in flight, append them now instead of waiting for the tick */
static void on_check(uv_check_t *h)
{
    (void)h;
    if (S.stopping || !S.q_head || S.ticket_waiters > 0 || !raft_is_leader(S.raft))
        return;
    flush_ticket_queue();
    flush_before_io();
    if (S.mhd_kick)
        mhd_run();
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    if (S.stopping)
        return;
    uint64_t now = uv_now(S.loop);
    int elapsed = (int)(now - S.last_tick);
    S.last_tick = now;
    /* Time the loop spent blocked (fsyncs while handling a long
     * appendentries, a stopped process) is not silence from the leader:
     * its heartbeats are waiting in the socket buffer, read after this
     * timer.  Advance the raft clock by at most a few ticks at once. */
    if (elapsed > 4 * S.tick_ms + 20)
        elapsed = 4 * S.tick_ms + 20;
    int rc = raft_periodic(S.raft, elapsed);
    after_raft(rc, "periodic");
    if (S.stopping)
        return;
    int st = raft_get_state(S.raft);
    if (st != S.last_state) {
        logf_("state %d -> %d (term %ld)", S.last_state, st, (long)raft_get_current_term(S.raft));
        S.last_state = st;
        if (st == RAFT_STATE_LEADER) {
            S.c.elections_won++;
            /* a no-op entry of our term commits what earlier leaders left */
            uint8_t payload[BATCH_PAYLOAD_LEN];
            batch_encode(payload, 0);
            msg_entry_response_t resp;
            append_entry(RAFT_LOGTYPE_NORMAL, payload, sizeof payload, &resp);
        }
    }
    flush_ticket_queue();
    if (raft_is_leader(S.raft))
        process_promotions();
    else
        S.n_promote = 0;
    process_deferred();
    expire_waiters();
    if (S.snapshot_every > 0 && raft_get_log_count(S.raft) > S.snapshot_every)
        take_snapshot();
    flush_before_io();
    if (S.removed || S.fatal) {
        shutdown_server(S.removed ? "removed from the cluster" : "fatal error");
        return;
    }
    mhd_run();
}

/* ------------------------------------------------------------------ */
/* HTTP */

typedef struct {
    char *p;
    size_t len, cap;
} sb_t;

static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        char *np = realloc(b->p, nc);
        if (!np)
            return;
        b->p = np;
        b->cap = nc;
    }
}

static const char *state_name(int st)
{
    switch (st) {
    case RAFT_STATE_FOLLOWER:
        return "follower";
    case RAFT_STATE_CANDIDATE:
        return "candidate";
    case RAFT_STATE_LEADER:
        return "leader";
    default:
        return "none";
    }
}

static char *status_json(void)
{
    sb_t b = {0};
    raft_server_t *r = S.raft;
    raft_node_t *ln = raft_get_current_leader_node(r);
    peer_t *lp = ln ? raft_node_get_udata(ln) : NULL;
    raft_node_t *me = raft_get_my_node(r);
    sb_printf(&b,
              "{\"id\":%d,\"state\":\"%s\",\"term\":%ld,\"voted_for\":%d,\"leader\":%d,\"leader_http\":\"%s\","
              "\"voting\":%s,\"commit_index\":%ld,\"applied_index\":%ld,\"current_index\":%ld,"
              "\"log_count\":%ld,\"first_index\":%ld,\"snapshot_index\":%ld,\"snapshot_term\":%ld,"
              "\"counter\":%" PRIu64 ",\"sync\":\"%s\",\"peers\":[",
              S.id, state_name(raft_get_state(r)), (long)raft_get_current_term(r), raft_get_voted_for(r),
              raft_get_current_leader(r),
              raft_get_current_leader(r) == S.id ? S.http_addr : (lp ? lp->http : ""),
              me && raft_node_is_voting(me) ? "true" : "false", (long)raft_get_commit_idx(r),
              (long)raft_get_last_applied_idx(r), (long)raft_get_current_idx(r), (long)raft_get_log_count(r),
              (long)raft_get_first_entry_idx(r), (long)raft_get_snapshot_last_idx(r),
              (long)raft_get_snapshot_last_term(r), S.counter,
              S.sync_mode == SYNC_CALLBACK ? "callback" : S.sync_mode == SYNC_GROUP ? "group" : "off");
    int first = 1;
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &S.peers[i];
        if (!p->used || p->id == S.id)
            continue;
        raft_node_t *n = raft_get_node(r, p->id);
        if (!n)
            continue;
        sb_printf(&b,
                  "%s{\"id\":%d,\"raft\":\"%s\",\"http\":\"%s\",\"voting\":%s,\"active\":%s,"
                  "\"next_index\":%ld,\"match_index\":%ld}",
                  first ? "" : ",", p->id, p->raft, p->http, raft_node_is_voting(n) ? "true" : "false",
                  raft_node_is_active(n) ? "true" : "false", (long)raft_node_get_next_idx(n),
                  (long)raft_node_get_match_idx(n));
        first = 0;
    }
    sb_printf(&b, "],\"members\":[");
    for (uint32_t i = 0; i < S.members.n_members; i++)
        sb_printf(&b, "%s{\"id\":%d,\"voting\":%s}", i ? "," : "", S.members.members[i].id,
                  S.members.members[i].voting ? "true" : "false");
    sb_printf(&b, "],\"counters\":{\"datagrams_received\":%" PRIu64 ",\"datagrams_sent\":%" PRIu64
                  ",\"send_errors\":%" PRIu64 ",\"dropped\":{",
              S.c.rx, S.c.tx, S.c.tx_errors);
    uint64_t total = 0;
    for (int i = 1; i < WIRE_E_NUM; i++) {
        sb_printf(&b, "\"%s\":%" PRIu64 ",", wire_error_names[i], S.c.drop[i]);
        total += S.c.drop[i];
    }
    total += S.c.drop_wrong_dest + S.c.drop_bad_sender + S.c.drop_unknown_sender + S.c.drop_bad_source +
             S.c.drop_inactive_sender + S.c.drop_vote_leader_alive + S.c.drop_stale_snapshot + S.c.drop_recv_error +
             S.c.drop_stale_removal;
    sb_printf(&b,
              "\"wrong_dest\":%" PRIu64 ",\"bad_sender\":%" PRIu64 ",\"unknown_sender\":%" PRIu64
              ",\"bad_source\":%" PRIu64 ",\"inactive_sender\":%" PRIu64 ",\"vote_leader_alive\":%" PRIu64
              ",\"stale_snapshot\":%" PRIu64 ",\"stale_removal\":%" PRIu64 ",\"recv_error\":%" PRIu64
              ",\"total\":%" PRIu64 "},",
              S.c.drop_wrong_dest, S.c.drop_bad_sender, S.c.drop_unknown_sender, S.c.drop_bad_source,
              S.c.drop_inactive_sender, S.c.drop_vote_leader_alive, S.c.drop_stale_snapshot, S.c.drop_stale_removal,
              S.c.drop_recv_error, total);
    sb_printf(&b,
              "\"partial_appendentries\":%" PRIu64 ",\"snapshots_sent\":%" PRIu64 ",\"snapshots_loaded\":%" PRIu64 ",\"snapshots_taken\":%" PRIu64
              ",\"tickets_issued\":%" PRIu64 ",\"batches_appended\":%" PRIu64 ",\"entries_applied\":%" PRIu64
              ",\"store_commits\":%" PRIu64 ",\"http_requests\":%" PRIu64 ",\"http_redirects\":%" PRIu64
              ",\"http_unavailable\":%" PRIu64 ",\"http_bad_requests\":%" PRIu64 ",\"http_retry\":%" PRIu64
              ",\"elections_won\":%" PRIu64 ",\"votes_unknown_candidate\":%" PRIu64
              ",\"pending_clients\":%zu}}\n",
              S.c.partial_appendentries, S.c.snapshots_sent, S.c.snapshots_loaded, S.c.snapshots_taken, S.c.tickets_issued,
              S.c.batches_appended, S.c.entries_applied, store_commits(S.store), S.c.http_requests,
              S.c.http_redirects, S.c.http_unavailable, S.c.http_bad_requests, S.c.http_retry, S.c.elections_won,
              S.c.votes_unknown_candidate, S.q_len);
    return b.p;
}

static enum MHD_Result respond(struct MHD_Connection *c, int status, const char *ctype, const char *body,
                               const char *location, int retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype ? ctype : "application/json");
    if (location && location[0])
        MHD_add_response_header(r, "Location", location);
    if (retry_after > 0) {
        char b[16];
        snprintf(b, sizeof b, "%d", retry_after);
        MHD_add_response_header(r, "Retry-After", b);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result bad_request(struct MHD_Connection *c, int status, const char *why)
{
    char b[256];
    snprintf(b, sizeof b, "{\"error\":\"%s\"}\n", why);
    S.c.http_bad_requests++;
    return respond(c, status, NULL, b, NULL, 0);
}

/* value of key in an x-www-form-urlencoded body (no escapes needed for
 * our values); returns 0 when found */
static int form_get(const char *body, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    const char *p = body;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t seg = amp ? (size_t)(amp - p) : strlen(p);
        if (seg > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = seg - kl - 1;
            if (vl >= len)
                return -1;
            memcpy(out, p + kl + 1, vl);
            out[vl] = 0;
            return 0;
        }
        p = amp ? amp + 1 : NULL;
    }
    return -1;
}

static int parse_id(const char *s, int32_t *id)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= 0 || v > INT32_MAX)
        return -1;
    *id = (int32_t)v;
    return 0;
}

static enum MHD_Result handle_join(struct MHD_Connection *c, req_t *r)
{
    char ids[16], raft[WIRE_ADDR_LEN], http[WIRE_ADDR_LEN];
    const char *body = r->up;
    int32_t id;
    if (form_get(body, "id", ids, sizeof ids) != 0 || parse_id(ids, &id) != 0 ||
        form_get(body, "raft", raft, sizeof raft) != 0 || !wire_addr_valid(raft) ||
        form_get(body, "http", http, sizeof http) != 0 || !wire_addr_valid(http))
        return bad_request(c, MHD_HTTP_BAD_REQUEST, "need id=N&raft=IP:PORT&http=IP:PORT");
    if (!raft_is_leader(S.raft)) {
        req_redirect(r, "/peers");
        return respond(c, r->status, NULL, r->body, r->location, r->retry_after);
    }
    raft_node_t *n = raft_get_node(S.raft, id);
    peer_t *p = peer_find(id);
    if (n && raft_node_is_active(n)) {
        if (p && strcmp(p->raft, raft) == 0 && strcmp(p->http, http) == 0) {
            static char b[8192];
            members_text(b, sizeof b);
            return respond(c, MHD_HTTP_OK, "text/plain", b, NULL, 0); /* retried join */
        }
        return bad_request(c, MHD_HTTP_CONFLICT, "node id already in use");
    }
    if (id == S.id)
        return bad_request(c, MHD_HTTP_CONFLICT, "node id already in use");
    if (!leader_ready()) {
        S.c.http_unavailable++;
        return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "{\"error\":\"new leader, retry\"}\n", NULL, 1);
    }
    /* make sure the newcomer starts from a snapshot, which carries the
     * exact membership */
    if (raft_get_snapshot_last_idx(S.raft) == 0 && take_snapshot() != 0) {
        /* too little committed to snapshot (the library wants more than
         * one entry): add a no-op so that the retry can */
        uint8_t payload[BATCH_PAYLOAD_LEN];
        msg_entry_response_t nr;
        batch_encode(payload, 0);
        append_entry(RAFT_LOGTYPE_NORMAL, payload, sizeof payload, &nr);
        S.c.http_unavailable++;
        return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "{\"error\":\"nothing committed yet, retry\"}\n",
                       NULL, 1);
    }
    peer_learn(id, raft, http);
    msg_entry_response_t resp;
    int rc = append_cfg(RAFT_LOGTYPE_ADD_NONVOTING_NODE, id, &resp);
    if (rc != 0) {
        S.c.http_unavailable++;
        return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "{\"error\":\"configuration change refused, retry\"}\n",
                       NULL, 1);
    }
    logf_("appended ADD_NONVOTING_NODE for node %d (%s, %s) at index %ld", id, raft, http, (long)resp.idx);
    r->kind = K_JOIN;
    waiter_t *w = waiter_new(resp.idx, resp.term, K_JOIN);
    waiter_add(w, r);
    r->suspended = 1;
    MHD_suspend_connection(c);
    return MHD_YES;
}

static enum MHD_Result handle_delete(struct MHD_Connection *c, req_t *r, const char *ids)
{
    int32_t id;
    if (parse_id(ids, &id) != 0)
        return bad_request(c, MHD_HTTP_BAD_REQUEST, "bad node id");
    if (!raft_is_leader(S.raft)) {
        char path[64];
        snprintf(path, sizeof path, "/peers/%d", id);
        req_redirect(r, path);
        return respond(c, r->status, NULL, r->body, r->location, r->retry_after);
    }
    if (id == S.id)
        return bad_request(c, MHD_HTTP_CONFLICT, "cannot remove the current leader; stop it and retry on the new leader");
    raft_node_t *n = raft_get_node(S.raft, id);
    if (!n || !raft_node_is_active(n))
        return bad_request(c, MHD_HTTP_NOT_FOUND, "no such node");
    r->kind = K_DELETE;
    r->target = id;
    r->step = 1;
    r->phase = R_DEFERRED;
    r->deadline = uv_now(S.loop) + (uint64_t)S.client_timeout_ms;
    r->next = S.deferred;
    S.deferred = r;
    r->suspended = 1;
    MHD_suspend_connection(c);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    req_t *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        r->conn = c;
        *con_cls = r;
        S.c.http_requests++;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->up_len + *upload_size > UP_MAX)
            r->up_overflow = 1;
        else {
            memcpy(r->up + r->up_len, upload_data, *upload_size);
            r->up_len += *upload_size;
            r->up[r->up_len] = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->phase == R_DONE)
        return respond(c, r->status, r->ctype, r->body, r->location, r->retry_after);
    if (r->phase != R_NEW)
        return MHD_YES; /* still waiting (should not be called while suspended) */
    if (r->up_overflow)
        return bad_request(c, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");

    if (strcmp(url, "/ticket") == 0) {
        if (strcmp(method, "POST") != 0)
            return bad_request(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST");
        if (!raft_is_leader(S.raft)) {
            req_redirect(r, "/ticket");
            return respond(c, r->status, NULL, r->body, r->location, r->retry_after);
        }
        r->kind = K_TICKET;
        r->phase = R_QUEUED;
        r->next = NULL;
        if (S.q_tail)
            S.q_tail->next = r;
        else
            S.q_head = r;
        S.q_tail = r;
        S.q_len++;
        r->suspended = 1;
        MHD_suspend_connection(c);
        return MHD_YES;
    }
    if (strcmp(url, "/status") == 0) {
        if (strcmp(method, "GET") != 0)
            return bad_request(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
        char *js = status_json();
        enum MHD_Result ret = respond(c, MHD_HTTP_OK, NULL, js ? js : "{}", NULL, 0);
        free(js);
        return ret;
    }
    if (strcmp(url, "/peers") == 0) {
        if (strcmp(method, "GET") == 0) {
            static char b[8192];
            members_text(b, sizeof b);
            return respond(c, MHD_HTTP_OK, "text/plain", b, NULL, 0);
        }
        if (strcmp(method, "POST") != 0)
            return bad_request(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET or POST");
        return handle_join(c, r);
    }
    if (strncmp(url, "/peers/", 7) == 0) {
        if (strcmp(method, "DELETE") != 0)
            return bad_request(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use DELETE");
        return handle_delete(c, r, url + 7);
    }
    return bad_request(c, MHD_HTTP_NOT_FOUND, "not found");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_t *r = *con_cls;
    *con_cls = NULL;
    if (!r)
        return;
    if (r->phase == R_QUEUED || r->phase == R_WAIT || r->phase == R_DEFERRED) {
        /* still referenced by the queue or a waiter: freed there */
        r->dead = 1;
        r->suspended = 0;
        return;
    }
    free(r->body);
    free(r);
}

static void mhd_arm_timer(void);

static void mhd_run(void)
{
    S.mhd_kick = 0;
    if (!S.mhd)
        return;
    MHD_run(S.mhd);
    mhd_arm_timer();
}

static void on_mhd_timer(uv_timer_t *t)
{
    (void)t;
    mhd_run();
}

static void mhd_arm_timer(void)
{
    MHD_UNSIGNED_LONG_LONG to;
    if (MHD_get_timeout(S.mhd, &to) == MHD_YES)
        uv_timer_start(&S.mhd_timer, on_mhd_timer, to > 1000 ? 1000 : to, 0);
    else
        uv_timer_stop(&S.mhd_timer);
}

static void on_mhd_poll(uv_poll_t *h, int status, int events)
{
    (void)h;
    (void)status;
    (void)events;
    mhd_run();
}

/* ------------------------------------------------------------------ */
/* joining an existing cluster: blocking HTTP client, before the loop */

static int http_post(const char *hostport, const char *path, const char *body, int *status, char *location,
                     size_t loclen, char *resp, size_t resplen)
{
    struct sockaddr_in sa;
    if (parse_sockaddr(hostport, &sa) != 0)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, hostport, strlen(body), body);
    if (n < 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    static char buf[16384];
    size_t len = 0;
    for (;;) {
        ssize_t k = read(fd, buf + len, sizeof buf - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
        if (len >= sizeof buf - 1)
            break;
    }
    close(fd);
    buf[len] = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
        return -1;
    location[0] = 0;
    char *hdr_end = strstr(buf, "\r\n\r\n");
    if (!hdr_end)
        return -1;
    *hdr_end = 0;
    for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Location:", 9) == 0) {
            const char *v = line + 11;
            while (*v == ' ')
                v++;
            size_t l = strcspn(v, "\r\n");
            if (l >= loclen)
                l = loclen - 1;
            memcpy(location, v, l);
            location[l] = 0;
        }
    }
    snprintf(resp, resplen, "%s", hdr_end + 4);
    return 0;
}

/* "http://host:port/path" or "host:port" -> "host:port" */
static void url_hostport(const char *url, char *out, size_t len)
{
    const char *p = strncmp(url, "http://", 7) == 0 ? url + 7 : url;
    size_t l = strcspn(p, "/");
    if (l >= len)
        l = len - 1;
    memcpy(out, p, l);
    out[l] = 0;
}

static int join_cluster(wire_snapshot_t *boot)
{
    char target[WIRE_ADDR_LEN], body[256], loc[256];
    static char resp[16384];
    url_hostport(S.join, target, sizeof target);
    snprintf(body, sizeof body, "id=%d&raft=%s&http=%s", S.id, S.raft_addr, S.http_addr);
    uint64_t deadline = uv_hrtime() / 1000000 + 120000;
    int hops = 0;
    while (uv_hrtime() / 1000000 < deadline && !S.stopping) {
        int status = 0;
        if (http_post(target, "/peers", body, &status, loc, sizeof loc, resp, sizeof resp) == 0) {
            if (status == 200) {
                memset(boot, 0, sizeof(*boot));
                char *save = NULL;
                for (char *line = strtok_r(resp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                    wire_member_t m;
                    char kind[16];
                    memset(&m, 0, sizeof m);
                    if (sscanf(line, "member %d %15s %63s %63s", &m.id, kind, m.raft, m.http) == 4 &&
                        boot->n_members < WIRE_MAX_MEMBERS && wire_addr_valid(m.raft) && wire_addr_valid(m.http)) {
                        m.voting = strcmp(kind, "voter") == 0;
                        if (m.id == S.id)
                            m.voting = 0;
                        boot->members[boot->n_members++] = m;
                    }
                }
                if (!member_find(boot, S.id)) {
                    wire_member_t self = {.id = S.id, .voting = 0};
                    snprintf(self.raft, sizeof self.raft, "%s", S.raft_addr);
                    snprintf(self.http, sizeof self.http, "%s", S.http_addr);
                    boot->members[boot->n_members++] = self;
                }
                logf_("joined via %s: %u members", target, boot->n_members);
                return 0;
            }
            if ((status == 307 || status == 308 || status == 301 || status == 302) && loc[0] && hops++ < 8) {
                url_hostport(loc, target, sizeof target);
                continue;
            }
            logf_("join via %s: HTTP %d, retrying", target, status);
            if (status >= 400 && status < 500 && status != 409)
                return -1;
        } else {
            VLOG("join via %s: no answer, retrying", target);
        }
        url_hostport(S.join, target, sizeof target);
        hops = 0;
        usleep(300000);
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* start-up and recovery */

static int replay_entry(void *ud, raft_index_t idx, raft_entry_t *e)
{
    (void)ud;
    uint32_t cnt;
    wire_member_t m;
    if (e->type == RAFT_LOGTYPE_NORMAL ? batch_decode(e->data.buf, e->data.len, &cnt) != 0
                                       : cfg_decode(e->data.buf, e->data.len, &m) != 0) {
        logf_("log entry %ld: payload does not parse", (long)idx);
        return -1;
    }
    if (raft_get_current_idx(S.raft) + 1 != idx) {
        logf_("log entry %ld does not follow index %ld", (long)idx, (long)raft_get_current_idx(S.raft));
        return -1;
    }
    raft_entry_t copy = *e;
    int rc = raft_append_entry(S.raft, &copy);
    if (rc != 0) {
        logf_("raft_append_entry(%ld) = %d", (long)idx, rc);
        return -1;
    }
    return 0;
}

static void shutdown_server(const char *why)
{
    if (S.stopping)
        return;
    S.stopping = 1;
    logf_("shutting down: %s", why);
    uv_timer_stop(&S.tick);
    uv_stop(S.loop);
}

static void on_signal(uv_signal_t *h, int sig)
{
    (void)h;
    shutdown_server(sig == SIGINT ? "SIGINT" : "SIGTERM");
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ticketd --id N --raft IP:PORT --http IP:PORT --dir DIR\n"
            "               [--peer ID@RAFT_IP:PORT@HTTP_IP:PORT]... | [--join LEADER_HTTP]\n"
            "               [options]\n"
            "\n"
            "A replicated ticket dispenser: POST /ticket returns a unique 64-bit\n"
            "ticket once the Raft entry that issued it is committed and applied.\n"
            "\n"
            "  --id N                 this node's id (> 0, unique in the cluster)\n"
            "  --raft IP:PORT         UDP address for Raft peer traffic\n"
            "  --http IP:PORT         HTTP address for clients\n"
            "  --dir DIR              data directory (LMDB); created if missing\n"
            "  --peer ID@RAFT@HTTP    another member of the initial cluster (repeat);\n"
            "                         every initial node is given the same set\n"
            "  --join HOST:PORT       join a running cluster through any member's HTTP\n"
            "                         address (POST /peers); the node starts as a\n"
            "                         non-voter and is promoted once it has caught up\n"
            "  --tick-ms N            timer period; requests within a tick share one\n"
            "                         log entry (default 10)\n"
            "  --flush MODE           tick: queued ticket requests become one entry on\n"
            "                         each tick (default); commit: also as soon as no\n"
            "                         batch is in flight (lower latency when idle)\n"
            "  --election-timeout-ms N  (default 1000)\n"
            "  --heartbeat-ms N       (default 100)\n"
            "  --snapshot-every N     compact when the log holds more than N entries\n"
            "                         (default 1000, 0 = never)\n"
            "  --max-entries-per-msg N  appendentries batch cap (default 64)\n"
            "  --client-timeout-ms N  answer 503 if an entry is not committed in time\n"
            "                         (default 10000)\n"
            "  --sync MODE            callback: commit+fsync in every persisting\n"
            "                         callback (default); group: one commit per event,\n"
            "                         before any datagram or answer leaves; off: no\n"
            "                         fsync (unsafe, benchmarks only)\n"
            "  --max-dgram N          largest datagram sent, 512..16384 (default 16384);\n"
            "                         appendentries carry only the entries that fit\n"
            "  --check                verify the data directory and exit\n"
            "  -v, --verbose          more logging (twice: library log too)\n"
            "  -h, --help             this text\n"
            "\n"
            "Only the first start uses --peer/--join: afterwards the node recovers\n"
            "its membership, term, vote, log and snapshot from DIR alone.\n"
            "\n"
            "HTTP API:\n"
            "  POST /ticket        200 {\"ticket\":N,...} once committed and applied;\n"
            "                      307 to the leader on a follower; 503 + Retry-After\n"
            "                      when there is no leader or the entry was lost\n"
            "  GET /status         JSON: state, term, leader, indexes, peers, counters\n"
            "  GET /peers          members, one per line\n"
            "  POST /peers         id=N&raft=IP:PORT&http=IP:PORT: add a node\n"
            "  DELETE /peers/ID    remove a node (demote, then remove)\n"
            "\n"
            "Example (3 nodes; repeat with --id 2/3 and their addresses):\n"
            "  ticketd --id 1 --raft 127.0.0.1:9001 --http 127.0.0.1:8001 --dir data1 \\\n"
            "    --peer 1@127.0.0.1:9001@127.0.0.1:8001 --peer 2@127.0.0.1:9002@127.0.0.1:8002 \\\n"
            "    --peer 3@127.0.0.1:9003@127.0.0.1:8003\n"
            "  curl -L -X POST http://127.0.0.1:8002/ticket\n");
}

static int add_cli_peer(const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *a = strchr(buf, '@');
    char *b = a ? strchr(a + 1, '@') : NULL;
    if (!a || !b || S.n_cli_peers >= MAX_PEERS - 1)
        return -1;
    *a = *b = 0;
    wire_member_t *m = &S.cli_peers[S.n_cli_peers];
    memset(m, 0, sizeof(*m));
    if (parse_id(buf, &m->id) != 0 || !wire_addr_valid(a + 1) || !wire_addr_valid(b + 1))
        return -1;
    snprintf(m->raft, sizeof m->raft, "%s", a + 1);
    snprintf(m->http, sizeof m->http, "%s", b + 1);
    m->voting = 1;
    S.n_cli_peers++;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"id", required_argument, 0, 'i'},
        {"raft", required_argument, 0, 'r'},
        {"http", required_argument, 0, 'H'},
        {"dir", required_argument, 0, 'd'},
        {"peer", required_argument, 0, 'p'},
        {"join", required_argument, 0, 'j'},
        {"tick-ms", required_argument, 0, 1},
        {"election-timeout-ms", required_argument, 0, 2},
        {"heartbeat-ms", required_argument, 0, 3},
        {"snapshot-every", required_argument, 0, 4},
        {"max-entries-per-msg", required_argument, 0, 5},
        {"client-timeout-ms", required_argument, 0, 6},
        {"sync", required_argument, 0, 7},
        {"check", no_argument, 0, 8},
        {"max-dgram", required_argument, 0, 9},
        {"flush", required_argument, 0, 10},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    S.tick_ms = 10;
    S.election_ms = 1000;
    S.heartbeat_ms = 100;
    S.snapshot_every = 1000;
    S.max_entries = 64;
    S.client_timeout_ms = 10000;
    S.max_dgram = WIRE_MAX_DGRAM;
    S.sync_mode = SYNC_CALLBACK;
    int check = 0, c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (parse_id(optarg, &S.id) != 0) {
                fprintf(stderr, "ticketd: bad --id\n");
                return 2;
            }
            break;
        case 'r':
            snprintf(S.raft_addr, sizeof S.raft_addr, "%s", optarg);
            break;
        case 'H':
            snprintf(S.http_addr, sizeof S.http_addr, "%s", optarg);
            break;
        case 'd':
            S.dir = optarg;
            break;
        case 'p':
            if (add_cli_peer(optarg) != 0) {
                fprintf(stderr, "ticketd: bad --peer %s (want ID@IP:PORT@IP:PORT)\n", optarg);
                return 2;
            }
            break;
        case 'j':
            S.join = optarg;
            break;
        case 1:
            S.tick_ms = atoi(optarg);
            break;
        case 2:
            S.election_ms = atoi(optarg);
            break;
        case 3:
            S.heartbeat_ms = atoi(optarg);
            break;
        case 4:
            S.snapshot_every = atoi(optarg);
            break;
        case 5:
            S.max_entries = atoi(optarg);
            break;
        case 6:
            S.client_timeout_ms = atoi(optarg);
            break;
        case 7:
            if (strcmp(optarg, "callback") == 0)
                S.sync_mode = SYNC_CALLBACK;
            else if (strcmp(optarg, "group") == 0)
                S.sync_mode = SYNC_GROUP;
            else if (strcmp(optarg, "off") == 0)
                S.sync_mode = SYNC_OFF;
            else {
                fprintf(stderr, "ticketd: --sync callback|group|off\n");
                return 2;
            }
            break;
        case 8:
            check = 1;
            break;
        case 9:
            S.max_dgram = atoi(optarg);
            break;
        case 10:
            if (strcmp(optarg, "tick") == 0)
                S.flush_commit = 0;
            else if (strcmp(optarg, "commit") == 0)
                S.flush_commit = 1;
            else {
                fprintf(stderr, "ticketd: --flush tick|commit\n");
                return 2;
            }
            break;
        case 'v':
            S.verbose++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!S.dir || (!check && (S.id <= 0 || !wire_addr_valid(S.raft_addr) || !wire_addr_valid(S.http_addr)))) {
        usage(stderr);
        return 2;
    }
    if (S.tick_ms < 1 || S.election_ms < 10 || S.heartbeat_ms < 1 || S.max_entries < 1 ||
        S.max_entries > WIRE_MAX_ENTRIES || S.client_timeout_ms < 1 || S.max_dgram < 512 ||
        S.max_dgram > WIRE_MAX_DGRAM) {
        fprintf(stderr, "ticketd: option out of range\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    S.store = store_open(S.dir, S.sync_mode == SYNC_OFF, err, sizeof err);
    if (!S.store) {
        fprintf(stderr, "ticketd: %s\n", err);
        return 3;
    }
    store_state_t st;
    if (store_load(S.store, &st, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "ticketd: %s: %s\n", S.dir, err);
        return 3;
    }
    if (check) {
        printf("node_id %d term %" PRId64 " vote %d snapshot %" PRId64 "/%" PRId64 " counter %" PRIu64 "%s: ok\n",
               st.node_id, st.hs.term, st.hs.vote, st.snap.snap_idx, st.snap.snap_term, st.snap.counter,
               st.removed ? " (removed from its cluster)" : "");
        store_close(S.store);
        return 0;
    }
    if (st.removed) {
        fprintf(stderr, "ticketd: node %d was removed from the cluster; wipe %s and use --join to come back\n",
                st.node_id, S.dir);
        return 7;
    }
    if (st.has_node_id && st.node_id != S.id) {
        fprintf(stderr, "ticketd: %s belongs to node %d, not %d\n", S.dir, st.node_id, S.id);
        return 3;
    }
    S.loop = uv_default_loop();

    /* the membership we start from */
    wire_snapshot_t boot;
    memset(&boot, 0, sizeof boot);
    if (st.has_bootstrap) {
        boot = st.boot;
    } else if (!st.has_snapshot && S.join) {
        if (join_cluster(&boot) != 0) {
            fprintf(stderr, "ticketd: could not join via %s\n", S.join);
            return 4;
        }
    } else {
        wire_member_t self = {.id = S.id, .voting = 1};
        snprintf(self.raft, sizeof self.raft, "%s", S.raft_addr);
        snprintf(self.http, sizeof self.http, "%s", S.http_addr);
        boot.members[boot.n_members++] = self;
        for (int i = 0; i < S.n_cli_peers; i++)
            if (S.cli_peers[i].id != S.id && !member_find(&boot, S.cli_peers[i].id))
                boot.members[boot.n_members++] = S.cli_peers[i];
    }
    if (!st.has_bootstrap || !st.has_node_id) {
        if (store_put_node_id(S.store, S.id) != 0 || store_put_bootstrap(S.store, &boot) != 0 ||
            store_commit(S.store) != 0) {
            fprintf(stderr, "ticketd: cannot write %s\n", S.dir);
            return 3;
        }
    }

    /* raft server */
    S.raft = raft_new();
    raft_set_callbacks(S.raft, &callbacks, NULL);
    raft_set_election_timeout(S.raft, S.election_ms);
    raft_set_request_timeout(S.raft, S.heartbeat_ms);
    raft_set_random_seed(S.raft, ((uint64_t)S.id << 32) ^ uv_hrtime());
    raft_set_max_entries_per_msg(S.raft, S.max_entries);
    S.recovering = 1;
    const wire_snapshot_t *base = st.has_snapshot ? &st.snap : &boot;
    wire_member_t *self_m = member_find((wire_snapshot_t *)base, S.id);
    if (!self_m)
        self_m = member_find(&boot, S.id);
    peer_t *self_p = peer_learn(S.id, S.raft_addr, S.http_addr);
    int self_voting = self_m ? self_m->voting : 0;
    if (self_voting)
        raft_add_node(S.raft, self_p, S.id, 1);
    else
        raft_add_non_voting_node(S.raft, self_p, S.id, 1);
    if (st.has_snapshot) {
        int rc = raft_begin_load_snapshot(S.raft, st.snap.snap_term, st.snap.snap_idx);
        if (rc != 0) {
            fprintf(stderr, "ticketd: raft_begin_load_snapshot(%" PRId64 ", %" PRId64 ") = %d\n", st.snap.snap_term,
                    st.snap.snap_idx, rc);
            return 5;
        }
    }
    for (uint32_t i = 0; i < base->n_members; i++)
        if (base->members[i].id != S.id)
            raft_add_member(&base->members[i]);
    if (st.has_snapshot) {
        raft_end_load_snapshot(S.raft);
        S.counter = st.snap.counter;
        S.snap = st.snap;
        S.has_snap = 1;
    }
    S.members = *base;
    if (st.has_hardstate) {
        raft_set_current_term(S.raft, st.hs.term);
        if (st.hs.vote != -1 && st.hs.vote != 0)
            raft_vote_for_nodeid(S.raft, st.hs.vote);
    }
    S.hs.term = raft_get_current_term(S.raft);
    S.hs.vote = raft_get_voted_for(S.raft);
    if (store_load(S.store, &st, replay_entry, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "ticketd: %s: %s\n", S.dir, err);
        return 3;
    }
    S.recovering = 0;
    S.entry_seq = (int32_t)((uv_hrtime() & 0xFFFF) << 12);
    logf_("recovered: term %ld vote %d snapshot %ld log %ld..%ld counter %" PRIu64 " members %u", (long)S.hs.term,
          S.hs.vote, (long)raft_get_snapshot_last_idx(S.raft), (long)raft_get_first_entry_idx(S.raft),
          (long)raft_get_current_idx(S.raft), S.counter, S.members.n_members);

    /* sockets */
    struct sockaddr_in sa;
    parse_sockaddr(S.raft_addr, &sa);
    uv_udp_init(S.loop, &S.udp);
    int rc = uv_udp_bind(&S.udp, (const struct sockaddr *)&sa, 0);
    if (rc != 0) {
        fprintf(stderr, "ticketd: bind udp %s: %s\n", S.raft_addr, uv_strerror(rc));
        return 6;
    }
    int bufsz = 4 << 20;
    uv_recv_buffer_size((uv_handle_t *)&S.udp, &bufsz);
    bufsz = 4 << 20;
    uv_send_buffer_size((uv_handle_t *)&S.udp, &bufsz);
    uv_udp_recv_start(&S.udp, on_alloc, on_udp_recv);

    struct sockaddr_in hsa;
    parse_sockaddr(S.http_addr, &hsa);
    S.mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | (S.verbose ? MHD_USE_ERROR_LOG : 0),
                             ntohs(hsa.sin_port), NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                             (struct sockaddr *)&hsa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000, MHD_OPTION_CONNECTION_TIMEOUT,
                             (unsigned)60, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    if (!S.mhd) {
        fprintf(stderr, "ticketd: cannot start HTTP server on %s\n", S.http_addr);
        return 6;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(S.mhd, MHD_DAEMON_INFO_EPOLL_FD);
    uv_poll_init(S.loop, &S.mhd_poll, info->epoll_fd);
    uv_poll_start(&S.mhd_poll, UV_READABLE, on_mhd_poll);
    uv_timer_init(S.loop, &S.mhd_timer);

    uv_signal_init(S.loop, &S.sigint);
    uv_signal_start(&S.sigint, on_signal, SIGINT);
    uv_signal_init(S.loop, &S.sigterm);
    uv_signal_start(&S.sigterm, on_signal, SIGTERM);

    S.last_state = raft_get_state(S.raft);
    S.last_tick = uv_now(S.loop);
    uv_timer_init(S.loop, &S.tick);
    uv_timer_start(&S.tick, on_tick, (uint64_t)S.tick_ms, (uint64_t)S.tick_ms);
    if (S.flush_commit) {
        uv_check_init(S.loop, &S.check);
        uv_check_start(&S.check, on_check);
    }
    logf_("node %d up: raft udp %s, http %s, dir %s, sync %s", S.id, S.raft_addr, S.http_addr, S.dir,
          S.sync_mode == SYNC_CALLBACK ? "callback" : S.sync_mode == SYNC_GROUP ? "group" : "off");

    uv_run(S.loop, UV_RUN_DEFAULT);

    flush_before_io();
    if (S.removed && (store_put_removed(S.store) != 0 || store_commit(S.store) != 0))
        logf_("could not record the removal in %s", S.dir);
    /* answer whoever still waits, then let the process exit close the
     * sockets (MHD must not be stopped with suspended connections) */
    for (req_t *r = S.q_head, *nx; r; r = nx) {
        nx = r->next;
        if (r->dead)
            free(r);
        else
            req_unavailable(r, "shutting down");
    }
    S.q_head = S.q_tail = NULL;
    for (req_t *r = S.deferred, *nx; r; r = nx) {
        nx = r->next;
        if (r->dead)
            free(r);
        else
            req_unavailable(r, "shutting down");
    }
    S.deferred = NULL;
    while (S.waiters)
        waiter_fail(S.waiters, "shutting down");
    for (int i = 0; i < 3; i++)
        MHD_run(S.mhd);
    store_close(S.store);
    logf_("stopped");
    return S.fatal ? 1 : 0;
}
