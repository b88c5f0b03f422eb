/* ticketd raft_glue.c: the raft_cbs_t callbacks: persistence (when it is
 * synced is durability.c's), applying entries, sending messages; the leader
 * checks the callbacks rely on; taking and loading snapshots.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

/* ------------------------------------------------------------------ */
/* raft callbacks */

static int cb_send_requestvote(raft_server_t *raft, void *ud, raft_node_t *node, msg_requestvote_t *m)
{
    (void)raft;
    (void)ud;
    peer_t *p = raft_node_get_udata(node);
    if (!p)
        return 0;
    size_t n = wire_encode_rv(txbuf, tx_room(sizeof txbuf), ROUTE_TO(p->id), m);
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
    size_t n = wire_encode_ae(txbuf, tx_room((size_t)S.max_dgram), ROUTE_TO(p->id), m, &sent);
    if (sent < m->n_entries)
        S.c.partial_appendentries++;
    /* parallel leader writes: the entries go out while our own commit is
     * pending; they count towards the commit once raft_flush says so */
    if (S.sync_mode == SYNC_PARALLEL && raft_is_leader(raft) && !S.txn_needs_sync)
        udp_send_unsynced(p, txbuf, n);
    else
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
    size_t n = wire_encode_snapshot(txbuf, tx_room(sizeof txbuf), ROUTE_TO(p->id), &s);
    if (udp_send(p, txbuf, n) == 0) {
        S.c.snapshots_sent++;
        log_debug("sent snapshot idx %" PRId64 " to node %d", s.snap_idx, p->id);
    }
    return 0;
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
    if (e->type == RAFT_LOGTYPE_NO_OP) {
        /* a new leader's empty entry (raft_set_noop_on_election): nothing to
         * apply, and nobody waits on it */
        if (w)
            waiter_fail(w, "entry overwritten, retry");
    } else if (e->type == RAFT_LOGTYPE_NORMAL) {
        uint32_t count = 0;
        if (batch_decode(e->data.buf, e->data.len, &count) != 0) {
            log_error("entry %ld: bad ticket payload, not applied", (long)idx);
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
                    char *b = members_text();
                    req_finish(r, MHD_HTTP_OK, "text/plain", b, NULL, 0);
                    free(b);
                }
            }
            waiter_unlink(w);
        }
    }
    return 0;
}

static int cb_persist_vote(raft_server_t *raft, void *ud, raft_node_id_t vote)
{
    (void)ud;
    return persist_hardstate(raft_get_current_term(raft), vote);
}

static int cb_persist_term(raft_server_t *raft, void *ud, raft_term_t term, raft_node_id_t vote)
{
    (void)raft;
    (void)ud;
    return persist_hardstate(term, vote);
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
    if (raft_entry_is_cfg_change(e)) {
        wire_member_t m;
        if (cfg_decode(e->data.buf, e->data.len, &m) == 0)
            peer_learn(m.id, m.raft, m.http);
    }
    if (!S.recovering) {
        if (!may_write() || store_put_entry(S.store, idx, e) != 0) {
            free(copy);
            return may_write() ? storage_failed(0) : ERR_STORAGE;
        }
        /* only a leader's own entries may leave before they are durable
         * (raft_set_parallel_log_writes); anything else in the open
         * transaction makes the next datagram wait for the commit */
        if (!raft_is_leader(raft))
            S.txn_needs_sync = 1;
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
     * deletes are committed together right after raft_end_snapshot; they
     * may fail (records at or below the snapshot are skipped at load) */
    if (!S.recovering && !S.disk_full && store_del_entry(S.store, idx) != 0)
        storage_failed(1);
    free(e->data.buf);
    e->data.buf = NULL;
    return 0;
}

static int cb_log_pop(raft_server_t *raft, void *ud, raft_entry_t *e, raft_index_t idx)
{
    (void)raft;
    (void)ud;
    if (!S.recovering) {
        if (!may_write())
            return ERR_STORAGE;
        if (store_del_entry(S.store, idx) != 0)
            return storage_failed(0);
        S.txn_needs_sync = 1;
        if (S.disk_idx >= idx)
            S.disk_idx = idx - 1; /* what resync_store rewrites starts here */
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
    log_info("node %d has caught up: promoting it to voter", id);
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
        log_debug("membership: node %d added", id);
    } else {
        raft_node_set_udata(node, NULL);
        log_debug("membership: node %d removed", id);
    }
}

static void cb_log(raft_server_t *raft, raft_node_t *node, void *ud, const char *buf)
{
    (void)raft;
    (void)ud;
    log_trace("raft[%d]: %s", node ? raft_node_get_id(node) : -1, buf);
}

raft_cbs_t callbacks = {
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
void after_raft(int rc, const char *what)
{
    leader_sync();
    if (rc == RAFT_ERR_SHUTDOWN) {
        S.removed = 1;
        log_warn("%s: raft asks to shut down", what);
    } else if (rc == ERR_STORAGE && !S.disk_full) {
        S.fatal = 1;
        log_error("%s: storage failed", what);
    }
    if (S.removed || S.fatal)
        shutdown_server(S.removed ? "removed from the cluster" : "fatal error");
}

/* A leader appends configuration entries only once it has committed an
 * entry of its own term (the no-op it appends on election): otherwise two
 * single-server changes made by leaders of different terms can combine
 * into disjoint quorums (Ongaro, raft-dev 2015; sim/LIB_BUGS.md #4). */
int leader_ready(void)
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
int leader_alive_for(raft_term_t term)
{
    if (term <= raft_get_current_term(S.raft))
        return 0;
    int st = raft_get_state(S.raft);
    return st == RAFT_STATE_LEADER || (st == RAFT_STATE_FOLLOWER && raft_get_current_leader(S.raft) != -1 &&
                                       raft_get_timeout_elapsed(S.raft) < S.election_ms);
}


/* ------------------------------------------------------------------ */
/* snapshots */

int take_snapshot(void)
{
    if (raft_snapshot_is_in_progress(S.raft) || S.disk_full)
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
        log_warn("snapshot: committed entry %ld not applied/held, cancelled", (long)idx);
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
        /* the transaction held only the snapshot: cancelling undoes it */
        raft_cancel_snapshot(S.raft);
        storage_failed(1);
        if (S.fatal)
            shutdown_server("cannot persist snapshot");
        return -1;
    }
    S.snap = snap;
    S.has_snap = 1;
    rc = raft_end_snapshot(S.raft);
    if (store_commit(S.store) != 0) /* the log_poll deletes, which may be lost */
        storage_failed(1);
    if (rc != 0)
        log_error("raft_end_snapshot: %d", rc);
    S.c.snapshots_taken++;
    log_debug("snapshot at index %ld term %ld counter %" PRIu64, (long)idx, (long)snap.snap_term, snap.counter);
    return 0;
}


void handle_snapshot(peer_t *from, const wire_snapshot_t *s)
{
    raft_term_t cur = raft_get_current_term(S.raft);
    if (s->term < cur || raft_snapshot_is_in_progress(S.raft)) {
        S.c.dropped[DROP_STALE_SNAPSHOT]++;
        return;
    }
    if (s->snap_idx <= raft_get_commit_idx(S.raft)) {
        S.c.dropped[DROP_STALE_SNAPSHOT]++;
        return;
    }
    if (S.disk_full) { /* loading changes the library's state before it is written */
        S.c.dropped[DROP_DISK_FULL]++;
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
        log_debug("begin_load_snapshot(%ld,%ld) = %d", (long)s->snap_term, (long)s->snap_idx, rc);
        after_raft(rc, "begin_load_snapshot");
        return;
    }
    for (uint32_t i = 0; i < s->n_members; i++)
        raft_add_member(&s->members[i]);
    rc = raft_end_load_snapshot(S.raft);
    if (rc != 0)
        log_error("raft_end_load_snapshot: %d", rc);
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
        store_put_hardstate(S.store, &S.hs) != 0 || commit_store() != 0) {
        /* the library already holds the snapshot: stop (nothing was answered;
         * a restart recovers the state on disk) */
        storage_failed(0);
        S.fatal = 1;
        shutdown_server("cannot persist received snapshot");
        return;
    }
    S.c.snapshots_loaded++;
    log_info("loaded snapshot from node %d: index %ld term %ld counter %" PRIu64, from->id, (long)s->snap_idx,
          (long)s->snap_term, s->counter);
    /* tell the leader where we are now */
    msg_appendentries_response_t r = {
        .term = raft_get_current_term(S.raft), .success = 1, .current_idx = s->snap_idx, .first_idx = s->snap_idx + 1};
    send_aer(from, &r);
}

