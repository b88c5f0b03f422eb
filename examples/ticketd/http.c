/* ticketd http.c: the HTTP front end: libmicrohttpd in external mode on our libuv loop,
 * request routing, and the lifecycle of a request that waits (suspended)
 * for its log entry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

/* completes a request: it will be answered when MHD runs it again */
void req_finish(req_t *r, int status, const char *ctype, const char *body, const char *location,
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

void req_unavailable(req_t *r, const char *why)
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
void req_redirect(req_t *r, const char *path)
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


enum MHD_Result respond(struct MHD_Connection *c, int status, const char *ctype, const char *body,
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

/* an immediate error answer (JSON {"error":why}) */
void req_error(req_t *r, int status, const char *why)
{
    char b[256];
    snprintf(b, sizeof b, "{\"error\":\"%s\"}\n", why);
    S.c.http_bad_requests++;
    req_finish(r, status, NULL, b, NULL, 0);
}

/* 200 with body (NULL: empty), which it frees */
void req_ok_owned(req_t *r, const char *ctype, char *body)
{
    req_finish(r, MHD_HTTP_OK, ctype, body ? body : "", NULL, 0);
    free(body);
}

/* value of key in an x-www-form-urlencoded body (no escapes needed for
 * our values); returns 0 when found */
int form_get(const char *body, const char *key, char *out, size_t len)
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

int parse_id(const char *s, int32_t *id)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= 0 || v > INT32_MAX)
        return -1;
    *id = (int32_t)v;
    return 0;
}


/* POST /ticket on the leader: queued for the next batch, the connection
 * suspended until its entry is applied */
static void enqueue_ticket(req_t *r)
{
    r->kind = K_TICKET;
    r->phase = R_QUEUED;
    r->next = NULL;
    if (S.q_tail)
        S.q_tail->next = r;
    else
        S.q_head = r;
    S.q_tail = r;
    S.q_len++;
    kick_flush();
}

/* A complete request, routed by method and path: on return r is either
 * answered (phase R_DONE: status, headers and body are in r) or waiting
 * (queued for a ticket batch, on a log entry, for a removal step, or for a
 * read to be confirmed), to be answered later through req_finish.  No
 * socket is involved: the fuzz target calls this directly.  lease_arg is
 * the value of the query argument "lease" (NULL if absent); the request
 * body is in r->up. */
void http_route(req_t *r, const char *method, const char *url, const char *lease_arg)
{
    if (r->up_overflow) {
        req_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
    } else if (strcmp(url, "/ticket") == 0) {
        if (strcmp(method, "GET") == 0)
            handle_read(r, lease_arg);
        else if (strcmp(method, "POST") != 0)
            req_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST (take a ticket) or GET (read the last one)");
        else if (!raft_is_leader(S.raft))
            req_redirect(r, "/ticket");
        else if (S.disk_full) {
            S.c.http_unavailable++;
            req_finish(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "{\"error\":\"disk full\"}\n", NULL, 1);
        } else
            enqueue_ticket(r);
    } else if (strcmp(url, "/status") == 0 || strcmp(url, "/metrics") == 0) {
        if (strcmp(method, "GET") != 0)
            req_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
        else if (url[1] == 's')
            req_ok_owned(r, NULL, status_json());
        else
            req_ok_owned(r, "text/plain; version=0.0.4; charset=utf-8", metrics_text());
    } else if (strcmp(url, "/peers") == 0) {
        if (strcmp(method, "GET") == 0)
            req_ok_owned(r, "text/plain", members_text());
        else if (strcmp(method, "POST") != 0)
            req_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET or POST");
        else
            handle_join(r);
    } else if (strncmp(url, "/peers/", 7) == 0) {
        if (strcmp(method, "DELETE") != 0)
            req_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use DELETE");
        else
            handle_delete(r, url + 7);
    } else {
        req_error(r, MHD_HTTP_NOT_FOUND, "not found");
    }
}

/* MHD's access handler: called once with no data (we allocate the request),
 * once per body chunk, once at the end of the body, and again after a
 * suspended request is resumed (then it is answered). */
enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
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
    http_route(r, method, url, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lease"));
    if (r->phase == R_DONE)
        return respond(c, r->status, r->ctype, r->body, r->location, r->retry_after);
    r->suspended = 1;
    MHD_suspend_connection(c);
    return MHD_YES;
}

void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_t *r = *con_cls;
    *con_cls = NULL;
    if (!r)
        return;
    if (r->phase == R_QUEUED || r->phase == R_WAIT || r->phase == R_DEFERRED || r->phase == R_READ) {
        /* still referenced by the queue, a waiter or a pending read: freed there */
        r->dead = 1;
        r->suspended = 0;
        return;
    }
    free(r->body);
    free(r);
}

static void mhd_arm_timer(void);

void mhd_run(void)
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

void on_mhd_poll(uv_poll_t *h, int status, int events)
{
    (void)h;
    (void)status;
    (void)events;
    mhd_run();
}

