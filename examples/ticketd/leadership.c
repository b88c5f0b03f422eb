/* ticketd leadership.c: what ticketd does with the library's leadership and
 * read extensions (issue 12; docs/BEHAVIOUR.md, "Extensions of issue 12"):
 * the extension callback table (state and transfer events, TimeoutNow and
 * read-index messages), linearizable reads of the last ticket (GET /ticket,
 * ReadIndex or lease), handing leadership over on SIGTERM, and the clock
 * that raft_periodic is given.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

/* ------------------------------------------------------------------ */
/* extension callbacks */

static int cb_send_timeoutnow(raft_server_t *raft, void *ud, raft_node_t *node, msg_timeoutnow_t *m)
{
    (void)raft;
    (void)ud;
    peer_t *p = raft_node_get_udata(node);
    if (!p)
        return 0;
    log_info("leadership transfer: TimeoutNow to node %d (term %ld)", p->id, (long)m->term);
    udp_send(p, txbuf, wire_encode_timeoutnow(txbuf, tx_room(sizeof txbuf), ROUTE_TO(p->id), m));
    return 0;
}

static int cb_send_readindex(raft_server_t *raft, void *ud, raft_node_t *node, msg_readindex_t *m)
{
    (void)raft;
    (void)ud;
    peer_t *p = raft_node_get_udata(node);
    if (!p)
        return -1; /* raft.h: the send callback's error is returned to the reader */
    return udp_send(p, txbuf, wire_encode_readindex(txbuf, tx_room(sizeof txbuf), ROUTE_TO(p->id), m)) ? -1 : 0;
}

static int cb_send_readindex_response(raft_server_t *raft, void *ud, raft_node_t *node, msg_readindex_response_t *m)
{
    (void)raft;
    (void)ud;
    peer_t *p = raft_node_get_udata(node);
    if (p)
        udp_send(p, txbuf, wire_encode_readindex_resp(txbuf, tx_room(sizeof txbuf), ROUTE_TO(p->id), m));
    return 0;
}

/* every change of role: logged and counted (the library calls this after
 * the change, so the log line's state word is already the new one) */
static void cb_notify_state_event(raft_server_t *raft, void *ud, raft_state_e st)
{
    (void)raft;
    (void)ud;
    log_info("state %s -> %s", state_name(S.last_state), state_name(st));
    S.last_state = st;
    if (st == RAFT_STATE_CANDIDATE)
        S.c.elections_started++;
    else if (st == RAFT_STATE_LEADER) {
        S.c.elections_won++; /* the library appends the no-op of our term (raft_set_noop_on_election) */
        S.flushed_idx = -1;  /* report our durable log afresh (durability.c, leader_sync) */
    }
}

static const char *const transfer_results[] = {"timed out", "another node leads", "handed over", "target left"};

static void cb_notify_transfer_event(raft_server_t *raft, void *ud, raft_leader_transfer_e result)
{
    (void)raft;
    (void)ud;
    unsigned i = (unsigned)result;
    log_info("leadership transfer ended: %s (leader now %d)",
             i < sizeof transfer_results / sizeof transfer_results[0] ? transfer_results[i] : "?",
             raft_get_leader_id(S.raft));
    if (S.handing_over)
        S.handed_over = 1;
}

raft_cbs_ext_t ext_callbacks = {
    .send_timeoutnow = cb_send_timeoutnow,
    .notify_state_event = cb_notify_state_event,
    .notify_transfer_event = cb_notify_transfer_event,
    .send_readindex = cb_send_readindex,
    .send_readindex_response = cb_send_readindex_response,
};

void leadership_configure(void)
{
    /* the table also says we transport msg_id and leadership_transfer (wire v3) */
    raft_set_ext_callbacks(S.raft, &ext_callbacks, sizeof ext_callbacks);
    /* a rejoining node cannot raise the cluster's term (thesis 9.6) */
    raft_set_prevote(S.raft, 1);
    /* a follower with a long divergent suffix is found in a round trip per
     * term, not per entry (paper 5.3; wire v4 carries reject_hint_term) */
    raft_set_reject_hint(S.raft, 1);
    /* a leader that hears from no majority steps down: the one-way partition
     * (the leader hears nobody, the others hear it) ends within two
     * election timeouts; followers that hear a leader refuse votes */
    raft_set_check_quorum(S.raft, 1);
    /* reads and configuration changes need an entry of the leader's term */
    raft_set_noop_on_election(S.raft, 1);
}

/* ------------------------------------------------------------------ */
/* the clock */

/* raft_periodic with the milliseconds elapsed since the last call.  A
 * leader is given the real time elapsed: its lease (lease reads) ends by
 * its own clock, which must not run slower than real time (raft.h,
 * raft_recv_lease_read_request).  Any other role gets at most four ticks
 * (+20 ms) at once: time the loop spent blocked (fsyncs while handling a
 * long appendentries, a stopped process) is not silence from the leader,
 * whose heartbeats are still waiting in the socket; a slower clock only
 * makes a follower wait longer before it campaigns or votes, which is the
 * safe side for leases too. */
int raft_clock_advance(void)
{
    uint64_t now = uv_hrtime() / 1000000;
    uint64_t elapsed = now - S.last_tick;
    S.last_tick = now;
    uint64_t cap = (uint64_t)(4 * S.tick_ms + 20);
    if (!raft_is_leader(S.raft) && elapsed > cap)
        elapsed = cap;
    if (elapsed > 3600000)
        elapsed = 3600000;
    return raft_periodic(S.raft, (int)elapsed);
}

/* ------------------------------------------------------------------ */
/* GET /ticket: the last ticket issued, linearizably */

/* raft_read_request_callback_f: called exactly once per accepted read */
static void on_read(void *arg, int can_read, int err)
{
    req_t *r = arg;
    S.pending_reads--;
    if (r->dead) {
        free(r->body);
        free(r);
        return;
    }
    if (can_read) {
        /* the applied state reflects every ticket acknowledged before the
         * read began (thesis 6.4) */
        char b[192];
        snprintf(b, sizeof b, "{\"ticket\":%" PRIu64 ",\"applied_index\":%ld,\"read\":\"%s\",\"node\":%d}\n",
                 S.counter, (long)raft_get_last_applied_idx(S.raft), r->step ? "lease" : "readindex", S.id);
        S.c.reads_ok++;
        req_finish(r, MHD_HTTP_OK, NULL, b, NULL, 0);
    } else if (err == RAFT_ERR_NOT_LEADER) {
        S.c.reads_redirected++;
        req_redirect(r, r->lease ? "/ticket?lease=1" : "/ticket");
    } else {
        S.c.reads_failed++;
        S.c.http_retry++;
        req_unavailable(r, err == RAFT_ERR_TIMEOUT ? "read not confirmed in time, retry" : "shutting down");
    }
}

/* A read on the leader is confirmed by a heartbeat round (ReadIndex) or its
 * lease; on a follower the library asks the leader for a read index
 * (send_readindex) and answers once it has applied that index, so any node
 * serves reads. Answers: 200 {"ticket":N,...}; 307 to the leader if
 * leadership moved before the read was confirmed; 503 + Retry-After when
 * no leader is known or the read was not confirmed in time. */
void handle_read(req_t *r, const char *lease_arg)
{
    if (lease_arg && strcmp(lease_arg, "0") != 0 && strcmp(lease_arg, "1") != 0) {
        req_error(r, MHD_HTTP_BAD_REQUEST, "lease must be 0 or 1");
        return;
    }
    r->kind = K_READ;
    r->lease = lease_arg && strcmp(lease_arg, "1") == 0;
    r->step = 0;
    r->phase = R_READ;
    /* a lease is judged by the clock: bring it to now first */
    if (r->lease) {
        int rc = raft_clock_advance();
        after_raft(rc, "periodic");
    }
    int rc = r->lease ? raft_recv_lease_read_request(S.raft, on_read, r) : raft_recv_read_request(S.raft, on_read, r);
    if (rc == 0) {
        S.pending_reads++;
        if (r->lease && raft_is_leader(S.raft)) {
            r->step = 1; /* asked of the leader: its lease may answer (followers ask the leader for an index) */
            S.c.reads_lease++;
            after_raft(raft_periodic(S.raft, 0), "periodic"); /* answers a read the lease covers at once */
        }
        return;
    }
    r->phase = R_NEW;
    if (rc == RAFT_ERR_NOT_LEADER) {
        S.c.reads_redirected++;
        req_redirect(r, r->lease ? "/ticket?lease=1" : "/ticket");
    } else {
        S.c.reads_failed++;
        req_unavailable(r, "read refused, retry");
    }
}

/* ------------------------------------------------------------------ */
/* SIGTERM on a leader: hand leadership over, then stop */

int begin_hand_over(void)
{
    if (S.stopping || S.handing_over || !raft_is_leader(S.raft))
        return 0;
    /* RAFT_NODE_ID_NONE: the voter whose log is the most up to date */
    int rc = raft_transfer_leader(S.raft, RAFT_NODE_ID_NONE, 0);
    if (rc != 0) {
        log_info("no leadership transfer (%d): stopping at once", rc);
        return 0;
    }
    S.handing_over = 1;
    S.c.transfers_started++;
    /* the transfer ends within an election timeout (TIMEOUT at worst);
     * then the entries in flight get one more to commit */
    S.hand_over_until = uv_now(S.loop) + 3 * (uint64_t)S.election_ms;
    log_info("handing leadership over to node %d before stopping", raft_get_transfer_leader(S.raft));
    return 1;
}

void hand_over_tick(void)
{
    if (!S.handing_over || S.stopping)
        return;
    if (uv_now(S.loop) >= S.hand_over_until)
        shutdown_server("stop signal (leadership hand-over took too long)");
    else if (S.handed_over && (S.ticket_waiters == 0 || raft_is_leader(S.raft)))
        shutdown_server("stop signal, leadership handed over");
    else if (S.handed_over && uv_now(S.loop) + (uint64_t)S.election_ms < S.hand_over_until)
        S.hand_over_until = uv_now(S.loop) + (uint64_t)S.election_ms; /* wait for the new leader's commit */
}
