/* ticketd tickets.c: ticket requests: the queue that becomes one log entry per tick,
 * waiters on log entries, and the tick itself (raft_periodic plus the
 * leader's periodic work).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

waiter_t *waiter_new(raft_index_t idx, raft_term_t term, int kind)
{
    waiter_t *w = calloc(1, sizeof(*w));
    if (!w)
        abort();
    w->idx = idx;
    w->term = term;
    w->kind = kind;
    w->deadline = uv_now(S.loop) + (uint64_t)S.client_timeout_ms;
    if (kind == K_TICKET && ++S.ticket_waiters > (int)S.c.batches_in_flight_max)
        S.c.batches_in_flight_max = (uint64_t)S.ticket_waiters;
    w->next = S.waiters;
    S.waiters = w;
    return w;
}

void waiter_add(waiter_t *w, req_t *r)
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

void waiter_unlink(waiter_t *w)
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

waiter_t *waiter_at(raft_index_t idx)
{
    for (waiter_t *w = S.waiters; w; w = w->next)
        if (w->idx == idx)
            return w;
    return NULL;
}

/* the entry a waiter waits on is gone (overwritten, timed out, snapshot) */
void waiter_fail(waiter_t *w, const char *why)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->reqs[i]) {
            S.c.http_retry++;
            req_unavailable(w->reqs[i], why);
        }
    waiter_unlink(w);
}


/* ------------------------------------------------------------------ */
/* leader work, done on each tick */

int append_entry(int type, const void *payload, unsigned len, msg_entry_response_t *resp)
{
    msg_entry_t e;
    memset(&e, 0, sizeof e);
    e.id = ++S.entry_seq;
    e.type = type;
    e.data.buf = (void *)(uintptr_t)payload;
    e.data.len = len;
    memset(resp, 0, sizeof(*resp));
    int rc = raft_retain_entries(S.raft, &e, resp);
    /* the appendentries left already: now our own commit; raft_flush
     * follows at the end of the event (leader_sync), once the caller has
     * registered whoever waits on the entry */
    flush_before_io();
    if (rc == ERR_STORAGE && !S.disk_full) {
        S.fatal = 1;
        shutdown_server("storage failed");
    }
    return rc;
}


static void flush_ticket_queue(void)
{
    /* while leadership is handed over the library refuses entries: keep
     * the requests queued; once another node leads they are redirected */
    if (!S.q_head || (raft_is_leader(S.raft) && raft_get_transfer_leader(S.raft) != RAFT_NODE_ID_NONE))
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
 * fewer than --inflight batches are in flight, append them now instead of
 * waiting for the tick */
static void flush_now(void)
{
    if (S.stopping || !S.q_head || S.ticket_waiters >= S.inflight || !raft_is_leader(S.raft))
        return;
    flush_ticket_queue();
    leader_sync();
    if (S.mhd_kick)
        mhd_run();
}

void on_check(uv_check_t *h)
{
    (void)h;
    flush_now();
}

static void on_flush_timer(uv_timer_t *t)
{
    (void)t;
    flush_now();
}

/* MHD also runs from timers (its own and the tick), after this iteration's
 * check: a request it queues there would sleep until the next tick (up to
 * --tick ms; a lone client's ticket waited 5 ms on average).  A zero timer
 * runs the flush at once; in the poll phase the check gets there first and
 * the timer finds the queue empty. */
void kick_flush(void)
{
    if (S.flush_timer_ready && !uv_is_active((uv_handle_t *)&S.flush_timer))
        uv_timer_start(&S.flush_timer, on_flush_timer, 0, 0);
}

/* While the disk is full: a leader steps down so that a node that can
 * write takes over (it cannot win again before its disk has room: its
 * term cannot be persisted), and once a second a small write tests whether
 * space has come back. */
static void disk_full_tick(uint64_t now)
{
    if (raft_is_leader(S.raft)) {
        log_warn("disk full: stepping down");
        raft_become_follower(S.raft);
        /* our entries may commit on the others, but we apply nothing
         * beyond what is on our disk (parallel writes) until space
         * returns: the clients retry elsewhere (503; a ticket number
         * skipped, never issued twice) */
        while (S.waiters)
            waiter_fail(S.waiters, "disk full, retry");
    }
    if (now < S.disk_probe_at)
        return;
    S.disk_probe_at = now + 1000;
    if (store_probe(S.store) == 0 && (!S.need_resync || resync_store() == 0)) {
        S.disk_full = 0;
        log_info("disk space is back: writes resume");
    }
}

void on_tick(uv_timer_t *t)
{
    (void)t;
    if (S.stopping)
        return;
    uint64_t now = uv_now(S.loop);
    int rc = raft_clock_advance();
    after_raft(rc, "periodic");
    if (S.stopping)
        return;
    if (S.disk_full)
        disk_full_tick(now);
    flush_ticket_queue();
    if (raft_is_leader(S.raft))
        process_promotions();
    else
        S.n_promote = 0;
    process_deferred();
    expire_waiters();
    if (S.snapshot_every > 0 && raft_get_log_count(S.raft) > S.snapshot_every)
        take_snapshot();
    leader_sync();
    if (S.removed || S.fatal) {
        shutdown_server(S.removed ? "removed from the cluster" : "fatal error");
        return;
    }
    mhd_run();
    hand_over_tick();
}
