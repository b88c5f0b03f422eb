/* ticketd peer.c: the peer table (ids and addresses) and the UDP transport: sending
 * datagrams, receiving them, checking who sent them and handing them to
 * the library.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

int resolve_addr(const char *addr, int socktype, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[WIRE_ADDR_LEN], port[8];
    unsigned portnum;
    if (wire_addr_split(addr, host, &portnum) != 0)
        return -1;
    snprintf(port, sizeof port, "%u", portnum);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* same family, address and port */
int sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    if (!a || !b || a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

peer_t *peer_find(int32_t id)
{
    for (int i = 0; i < MAX_PEERS; i++)
        if (S.peers[i].used && S.peers[i].id == id)
            return &S.peers[i];
    return NULL;
}

/* the Raft address resolved now; a name that does not resolve yet is
 * tried again when we next send to it */
static void peer_resolve(peer_t *p)
{
    if (resolve_addr(p->raft, SOCK_DGRAM, &p->sa, &p->sa_len) != 0) {
        p->sa_len = 0;
        log_warn("node %d: cannot resolve %s", p->id, p->raft);
    }
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
    if (raft && wire_addr_valid(raft) && strcmp(p->raft, raft) != 0) {
        snprintf(p->raft, sizeof p->raft, "%s", raft);
        peer_resolve(p);
    }
    if (http)
        snprintf(p->http, sizeof p->http, "%s", http);
    return p;
}

/* ------------------------------------------------------------------ */
/* UDP */

uint8_t txbuf[WIRE_MAX_DGRAM];

size_t tx_room(size_t cap) { return S.auth_key_len ? cap - WIRE_AUTH_LEN : cap; }

/* signs (with a key) and sends one datagram; nothing leaves before the
 * writes it depends on are durable */
static int send_to_sync(const struct sockaddr *to, uint8_t *buf, size_t len, int sync)
{
    if (sync)
        flush_before_io();
    if (!may_send())
        return -1;
    len = auth_sign(buf, len, sizeof txbuf);
    if (!len)
        return -1;
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    int rc = uv_udp_try_send(&S.udp, &b, 1, to);
    if (rc < 0) {
        S.c.tx_errors++;
        return -1;
    }
    S.c.tx++;
    S.c.tx_type[buf[5] < WIRE_T_NUM ? buf[5] : 0]++;
    return 0;
}

static int send_to(const struct sockaddr *to, uint8_t *buf, size_t len) { return send_to_sync(to, buf, len, 1); }

static int udp_send_sync(peer_t *p, const uint8_t *buf, size_t len, int sync)
{
    if (!p || !p->raft[0] || !len)
        return -1;
    if (!p->sa_len)
        peer_resolve(p);
    if (!p->sa_len)
        return -1;
    return send_to_sync((const struct sockaddr *)&p->sa, (uint8_t *)buf, len, sync);
}

int udp_send(peer_t *p, const uint8_t *buf, size_t len) { return udp_send_sync(p, buf, len, 1); }

int udp_send_unsynced(peer_t *p, const uint8_t *buf, size_t len) { return udp_send_sync(p, buf, len, 0); }

void send_aer(peer_t *p, msg_appendentries_response_t *r)
{
    size_t n = wire_encode_aer(txbuf, tx_room(sizeof txbuf), ROUTE_TO(p->id), r);
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
        size_t n = wire_encode_rvr(txbuf, tx_room(sizeof txbuf), ROUTE_TO(m->sender), &r);
        if (n)
            send_to(addr, txbuf, n);
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
    /* a candidate the leader handed over to (TimeoutNow) campaigns past
     * stickiness (thesis 3.10) */
    if (!rv->leadership_transfer && leader_alive_for(rv->term)) {
        S.c.dropped[DROP_VOTE_LEADER_ALIVE]++;
        return;
    }
    msg_requestvote_response_t r;
    memset(&r, 0, sizeof r);
    int rc = raft_recv_requestvote(S.raft, node, rv, &r);
    after_raft(rc, "recv_requestvote");
    if (rc == ERR_STORAGE && S.disk_full)
        S.c.dropped[DROP_DISK_FULL]++;
    if (rc == 0 && !S.stopping) {
        size_t n = wire_encode_rvr(txbuf, tx_room(sizeof txbuf), ROUTE_TO(p->id), &r);
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
        if (rc == ERR_STORAGE && S.disk_full)
            S.c.dropped[DROP_DISK_FULL]++; /* no answer: the leader sends it again */
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
    case WIRE_T_TIMEOUTNOW:
        rc = raft_recv_timeoutnow(S.raft, node, &m->u.tn);
        after_raft(rc, "recv_timeoutnow");
        break;
    case WIRE_T_READINDEX:
        rc = raft_recv_readindex(S.raft, node, &m->u.ri);
        after_raft(rc == -1 ? 0 : rc, "recv_readindex");
        break;
    case WIRE_T_READINDEX_RESP:
        rc = raft_recv_readindex_response(S.raft, node, &m->u.rir);
        after_raft(rc, "recv_readindex_response");
        break;
    }
}

/* the term a message carries */
static raft_term_t msg_term(const wire_msg_t *m)
{
    switch (m->type) {
    case WIRE_T_REQUESTVOTE:
        return m->u.rv.term;
    case WIRE_T_REQUESTVOTE_RESP:
        return m->u.rvr.term;
    case WIRE_T_APPENDENTRIES:
        return m->u.ae.term;
    case WIRE_T_APPENDENTRIES_RESP:
        return m->u.aer.term;
    case WIRE_T_SNAPSHOT:
        return m->snap.term;
    case WIRE_T_TIMEOUTNOW:
        return m->u.tn.term;
    case WIRE_T_READINDEX:
    case WIRE_T_READINDEX_RESP:
        return 0; /* they carry no term */
    default:
        return m->removed.term;
    }
}

/* Checks a datagram that decoded: our cluster, to us, from a plausible
 * sender, no absurd term or index.  Returns -1 (dropped and counted) or 0. */
static int plausible(const wire_msg_t *m)
{
    int reason = -1;
    raft_term_t term = msg_term(m);
    if (m->cluster_id != S.cluster_id)
        reason = DROP_WRONG_CLUSTER;
    else if (m->dest != S.id)
        reason = DROP_WRONG_DEST;
    else if (m->sender == S.id || m->sender <= 0)
        reason = DROP_BAD_SENDER;
    else if (term > raft_get_current_term(S.raft) + MAX_TERM_LEAP)
        reason = DROP_ABSURD_TERM; /* one such term would end every later election (see MAX_TERM_LEAP) */
    else if (m->type == WIRE_T_APPENDENTRIES_RESP && m->u.aer.success &&
             m->u.aer.current_idx > raft_get_current_idx(S.raft))
        reason = DROP_ABSURD_INDEX; /* a follower cannot hold entries we never sent */
    if (reason < 0)
        return 0;
    S.c.dropped[reason]++;
    return -1;
}

/* every datagram: authenticate (with a key), decode, check cluster,
 * destination, sender, term and source address (each failure dropped and
 * counted), then dispatch */
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
    if (auth_check((const uint8_t *)buf->base, (size_t)nread) != 0) {
        S.c.dropped[DROP_BAD_AUTH]++;
        return;
    }
    wire_msg_t *m = &S.msg;
    int rc = wire_decode((const uint8_t *)buf->base, (size_t)nread, m);
    if (rc != WIRE_OK) {
        S.c.drop[rc]++;
        return;
    }
    if (plausible(m) != 0)
        return;
    raft_node_t *node = raft_get_node(S.raft, m->sender);
    peer_t *p = node ? raft_node_get_udata(node) : NULL;
    if (!node && m->type == WIRE_T_REQUESTVOTE && m->u.rv.candidate_id == m->sender && addr &&
        !leader_alive_for(m->u.rv.term)) {
        vote_for_unknown_candidate(m, addr);
        return;
    }
    if (!node || !p) {
        S.c.dropped[DROP_UNKNOWN_SENDER]++;
        return;
    }
    if (!p->sa_len || !sockaddr_equal(addr, (const struct sockaddr *)&p->sa)) {
        S.c.dropped[DROP_BAD_SOURCE]++;
        return;
    }
    dispatch(node, p, m);
    if (S.mhd_kick)
        mhd_run();
}
