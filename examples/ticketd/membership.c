/* ticketd membership.c: the member list (applied configuration), configuration entries,
 * POST /peers (join), DELETE /peers/ID (demote then remove), promotion of
 * caught-up non-voters, and the blocking HTTP client a joining node uses.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ticketd.h"

wire_member_t *member_find(wire_snapshot_t *m, int32_t id)
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
void raft_add_member(const wire_member_t *m)
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


void apply_cfg(const raft_entry_t *e)
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
            size_t n = wire_encode_removed(txbuf, tx_room(sizeof txbuf), ROUTE_TO(m.id), raft_get_current_term(S.raft));
            udp_send(p, txbuf, n);
            udp_send(p, txbuf, n);
        }
        break;
    }
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

void process_promotions(void)
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
            log_info("appended ADD_NODE for node %d at index %ld", id, (long)resp.idx);
            continue;
        }
        if (rc == RAFT_ERR_ONE_VOTING_CHANGE_ONLY || rc == RAFT_ERR_SNAPSHOT_IN_PROGRESS)
            S.promote[keep++] = id; /* try again next tick */
    }
    S.n_promote = keep;
}

void process_deferred(void)
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
            log_info("appended %s for node %d at index %ld", r->step == 1 ? "DEMOTE_NODE" : "REMOVE_NODE", r->target,
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


/* two spellings of one address: equal strings, or equal once resolved */
static int same_address(const char *a, const char *b, int socktype)
{
    if (strcmp(a, b) == 0)
        return 1;
    struct sockaddr_storage x, y;
    socklen_t xl, yl;
    return resolve_addr(a, socktype, &x, &xl) == 0 && resolve_addr(b, socktype, &y, &yl) == 0 &&
           sockaddr_equal((struct sockaddr *)&x, (struct sockaddr *)&y);
}

/* the id of another member of the configuration (not id) that uses the raft
 * or http address, or 0: two members on one address would receive each
 * other's datagrams and clients */
static int32_t address_holder(int32_t id, const char *raft, const char *http)
{
    for (int i = 0; i < MAX_PEERS; i++) {
        const peer_t *p = &S.peers[i];
        raft_node_t *n = !p->used || p->id == id ? NULL
                         : p->id == S.id         ? raft_get_my_node(S.raft)
                                                 : raft_get_node(S.raft, p->id);
        if (n && raft_node_is_active(n) &&
            (same_address(p->raft, raft, SOCK_DGRAM) || same_address(p->http, http, SOCK_STREAM)))
            return p->id;
    }
    return 0;
}

/* POST /peers id=N&raft=ADDR&http=ADDR: on the leader, once an entry of
 * its term is committed, appends ADD_NONVOTING_NODE (after making sure a
 * snapshot exists) and answers with the member list once it is applied */
void handle_join(req_t *r)
{
    char ids[16], raft[WIRE_ADDR_LEN], http[WIRE_ADDR_LEN];
    const char *body = r->up;
    int32_t id;
    if (form_get(body, "id", ids, sizeof ids) != 0 || parse_id(ids, &id) != 0 ||
        form_get(body, "raft", raft, sizeof raft) != 0 || !wire_addr_valid(raft) ||
        form_get(body, "http", http, sizeof http) != 0 || !wire_addr_valid(http)) {
        req_error(r, MHD_HTTP_BAD_REQUEST, "need id=N&raft=IP:PORT&http=IP:PORT");
        return;
    }
    if (!raft_is_leader(S.raft)) {
        req_redirect(r, "/peers");
        return;
    }
    raft_node_t *n = raft_get_node(S.raft, id);
    peer_t *p = peer_find(id);
    if (n && raft_node_is_active(n)) {
        if (p && strcmp(p->raft, raft) == 0 && strcmp(p->http, http) == 0) {
            req_ok_owned(r, "text/plain", members_text()); /* retried join */
            return;
        }
        req_error(r, MHD_HTTP_CONFLICT, "node id already in use");
        return;
    }
    if (id == S.id) {
        req_error(r, MHD_HTTP_CONFLICT, "node id already in use");
        return;
    }
    int32_t holder = address_holder(id, raft, http);
    if (holder) {
        char why[128];
        snprintf(why, sizeof why, "address already used by node %d", holder);
        req_error(r, MHD_HTTP_CONFLICT, why);
        return;
    }
    if (!leader_ready()) {
        req_unavailable(r, "new leader, retry");
        return;
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
        req_unavailable(r, "nothing committed yet, retry");
        return;
    }
    peer_learn(id, raft, http);
    msg_entry_response_t resp;
    int rc = append_cfg(RAFT_LOGTYPE_ADD_NONVOTING_NODE, id, &resp);
    if (rc != 0) {
        req_unavailable(r, "configuration change refused, retry");
        return;
    }
    log_info("appended ADD_NONVOTING_NODE for node %d (%s, %s) at index %ld", id, raft, http, (long)resp.idx);
    r->kind = K_JOIN;
    waiter_t *w = waiter_new(resp.idx, resp.term, K_JOIN);
    waiter_add(w, r);
}

void handle_delete(req_t *r, const char *ids)
{
    int32_t id;
    if (parse_id(ids, &id) != 0) {
        req_error(r, MHD_HTTP_BAD_REQUEST, "bad node id");
        return;
    }
    if (!raft_is_leader(S.raft)) {
        char path[64];
        snprintf(path, sizeof path, "/peers/%d", id);
        req_redirect(r, path);
        return;
    }
    if (id == S.id) {
        req_error(r, MHD_HTTP_CONFLICT, "cannot remove the current leader; stop it and retry on the new leader");
        return;
    }
    raft_node_t *n = raft_get_node(S.raft, id);
    if (!n || !raft_node_is_active(n)) {
        req_error(r, MHD_HTTP_NOT_FOUND, "no such node");
        return;
    }
    r->kind = K_DELETE;
    r->target = id;
    r->step = 1;
    r->phase = R_DEFERRED;
    r->deadline = uv_now(S.loop) + (uint64_t)S.client_timeout_ms;
    r->next = S.deferred;
    S.deferred = r;
}


/* ------------------------------------------------------------------ */
/* joining an existing cluster: blocking HTTP client, before the loop */

static int http_post(const char *hostport, const char *path, const char *body, int *status, char *location,
                     size_t loclen, char *resp, size_t resplen)
{
    struct sockaddr_storage sa;
    socklen_t sa_len;
    if (resolve_addr(hostport, SOCK_STREAM, &sa, &sa_len) != 0)
        return -1;
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sa_len) != 0) {
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

/* the answer to POST /peers (the GET /peers text): the cluster id and the
 * members; we join as a non-voter */
static int parse_members(char *resp, wire_snapshot_t *boot)
{
    memset(boot, 0, sizeof(*boot));
    uint64_t cluster = 0;
    char *save = NULL;
    for (char *line = strtok_r(resp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        wire_member_t m;
        char kind[16];
        memset(&m, 0, sizeof m);
        if (sscanf(line, "cluster %" SCNx64, &cluster) == 1)
            continue;
        if (sscanf(line, "member %d %15s %63s %63s", &m.id, kind, m.raft, m.http) == 4 &&
            boot->n_members < WIRE_MAX_MEMBERS && wire_addr_valid(m.raft) && wire_addr_valid(m.http)) {
            m.voting = strcmp(kind, "voter") == 0 && m.id != S.id;
            boot->members[boot->n_members++] = m;
        }
    }
    if (!cluster || (S.cluster_id && cluster != S.cluster_id)) {
        log_error("join: the answer names cluster %016" PRIx64 ", want %016" PRIx64, cluster, S.cluster_id);
        return -1;
    }
    S.cluster_id = cluster;
    return 0;
}

int join_cluster(wire_snapshot_t *boot)
{
    char target[WIRE_ADDR_LEN], body[256], loc[256];
    static char resp[16384];
    url_hostport(S.join, target, sizeof target);
    snprintf(body, sizeof body, "id=%d&raft=%s&http=%s", S.id, S.adv_raft, S.adv_http);
    uint64_t deadline = uv_hrtime() / 1000000 + 120000;
    int hops = 0;
    while (uv_hrtime() / 1000000 < deadline && !S.stopping) {
        int status = 0;
        if (http_post(target, "/peers", body, &status, loc, sizeof loc, resp, sizeof resp) == 0) {
            if (status == 200) {
                if (parse_members(resp, boot) != 0)
                    return -1;
                if (!member_find(boot, S.id)) {
                    wire_member_t self = {.id = S.id, .voting = 0};
                    snprintf(self.raft, sizeof self.raft, "%s", S.adv_raft);
                    snprintf(self.http, sizeof self.http, "%s", S.adv_http);
                    boot->members[boot->n_members++] = self;
                }
                log_info("joined via %s: %u members", target, boot->n_members);
                return 0;
            }
            if ((status == 307 || status == 308 || status == 301 || status == 302) && loc[0] && hops++ < 8) {
                url_hostport(loc, target, sizeof target);
                continue;
            }
            log_warn("join via %s: HTTP %d, retrying", target, status);
            if (status >= 400 && status < 500 && status != 409)
                return -1;
        } else {
            log_debug("join via %s: no answer, retrying", target);
        }
        url_hostport(S.join, target, sizeof target);
        hops = 0;
        usleep(300000);
    }
    return -1;
}

