/* ticketd peer.c: the peer table (ids and addresses) and the UDP transport: sending
 * datagrams, receiving them, checking who sent them and handing them to
 * the library.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

int parse_sockaddr(const char *s, struct sockaddr_in *sa)
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

peer_t *peer_find(int32_t id)
{
    for (int i = 0; i < MAX_PEERS; i++)
        if (S.peers[i].used && S.peers[i].id == id)
            return &S.peers[i];
    return NULL;
}

/* records (or updates) the addresses of node id */
peer_t *peer_learn(int32_t id, const char *raft, const char *http)
{
    peer_t *p = peer_find(id);
    if (!p) {
        for (int i = 0; i < MAX_PEERS && !p; i++)
            if (!S.peers[i].used)
                p = &S.peers[i];
        if (!p) {
            log_error("peer table full, cannot add node %d", id);
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


/* ------------------------------------------------------------------ */
/* UDP */

int udp_send(peer_t *p, const uint8_t *buf, size_t len)
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
    S.c.tx_type[buf[5] < WIRE_T_NUM ? buf[5] : 0]++;
    return 0;
}

uint8_t txbuf[WIRE_MAX_DGRAM];


void send_aer(peer_t *p, msg_appendentries_response_t *r)
{
    size_t n = wire_encode_aer(txbuf, sizeof txbuf, S.id, p->id, r);
    udp_send(p, txbuf, n);
}


/* ------------------------------------------------------------------ */
/* peer datagrams */

static char rxbuf[65536];

void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = rxbuf;
    buf->len = sizeof rxbuf;
}

/* A requestvote from a candidate we do not know: it may have been added by
 * entries we lack, and its vote may be needed (thesis 4.1); the library
 * judges it on its log.  The answer goes back to where it came from. */
static void vote_for_unknown_candidate(wire_msg_t *m, const struct sockaddr *addr)
{
    msg_requestvote_response_t r;
    memset(&r, 0, sizeof r);
    S.c.rx_type[WIRE_T_REQUESTVOTE]++;
    int rc = raft_recv_requestvote(S.raft, NULL, &m->u.rv, &r);
    after_raft(rc, "recv_requestvote(unknown)");
    if (rc == 0 && !S.stopping) {
        size_t n = wire_encode_rvr(txbuf, sizeof txbuf, S.id, m->sender, &r);
        uv_buf_t b = uv_buf_init((char *)txbuf, (unsigned)n);
        if (n && uv_udp_try_send(&S.udp, &b, 1, addr) >= 0) {
            S.c.tx++;
            S.c.tx_type[WIRE_T_REQUESTVOTE_RESP]++;
        }
        S.c.votes_unknown_candidate++;
    }
}

static void recv_requestvote(raft_node_t *node, peer_t *p, msg_requestvote_t *rv)
{
    if (!raft_node_is_active(node)) {
        /* a node being removed must not disrupt the cluster */
        S.c.dropped[DROP_INACTIVE_SENDER]++;
        return;
    }
    if (leader_alive_for(rv->term)) {
        S.c.dropped[DROP_VOTE_LEADER_ALIVE]++;
        return;
    }
    msg_requestvote_response_t r;
    memset(&r, 0, sizeof r);
    int rc = raft_recv_requestvote(S.raft, node, rv, &r);
    after_raft(rc, "recv_requestvote");
    if (rc == 0 && !S.stopping) {
        size_t n = wire_encode_rvr(txbuf, sizeof txbuf, S.id, p->id, &r);
        udp_send(p, txbuf, n);
    }
}

/* only our current leader, in our term, can tell us we were removed */
static void recv_removed(const wire_msg_t *m)
{
    if (m->removed.term == raft_get_current_term(S.raft) && raft_get_current_leader(S.raft) == m->sender) {
        log_info("node %d (leader, term %ld) says our removal is committed", m->sender, (long)m->removed.term);
        S.removed = 1;
        shutdown_server("removed from the cluster");
    } else {
        S.c.dropped[DROP_STALE_REMOVAL]++;
    }
}

/* hands a datagram from a known member, from its own address, to the library */
static void dispatch(raft_node_t *node, peer_t *p, wire_msg_t *m)
{
    int rc;
    S.c.rx_type[m->type]++;
    switch (m->type) {
    case WIRE_T_REQUESTVOTE:
        recv_requestvote(node, p, &m->u.rv);
        break;
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
        recv_removed(m);
        break;
    }
}

/* every datagram: decode, check destination, sender and source address
 * (each failure dropped and counted), then dispatch */
void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
    (void)h;
    if (nread == 0 && !addr)
        return;
    if (nread < 0) {
        S.c.dropped[DROP_RECV_ERROR]++;
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
        S.c.dropped[DROP_WRONG_DEST]++;
        return;
    }
    if (m->sender == S.id || m->sender <= 0) {
        S.c.dropped[DROP_BAD_SENDER]++;
        return;
    }
    raft_node_t *node = raft_get_node(S.raft, m->sender);
    peer_t *p = node ? raft_node_get_udata(node) : NULL;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
    if (!node && m->type == WIRE_T_REQUESTVOTE && m->u.rv.candidate_id == m->sender && addr &&
        sin->sin_family == AF_INET && !leader_alive_for(m->u.rv.term)) {
        vote_for_unknown_candidate(m, addr);
        return;
    }
    if (!node || !p) {
        S.c.dropped[DROP_UNKNOWN_SENDER]++;
        return;
    }
    if (!addr || sin->sin_family != AF_INET || sin->sin_port != p->sa.sin_port ||
        sin->sin_addr.s_addr != p->sa.sin_addr.s_addr) {
        S.c.dropped[DROP_BAD_SOURCE]++;
        return;
    }
    dispatch(node, p, m);
    if (S.mhd_kick)
        mhd_run();
}

