/* Fuzz target for ticketd's HTTP handlers: request parsing and routing
 * (http_route: POST/GET /ticket, /status, /metrics, GET/POST /peers,
 * DELETE /peers/ID, the ?lease= argument, form bodies) without a socket.
 *
 * It links all of ticketd but main() and drives the real code against a
 * real libraft server (three voters; we are node 1, the others never
 * answer except when an input asks for an acknowledgement) and a real LMDB
 * store in a temporary directory (--sync off: no fsync, for speed).
 *
 * Input: byte 0 chooses the role (follower; leader; leader with an entry of
 * its term committed, acknowledged by node 2 through
 * raft_recv_appendentries_response), bit 2 whether a lease argument is
 * present; the rest is "METHOD\nURL\nLEASE\nBODY" (missing parts empty).
 * Properties: no crash, no sanitizer report, no leak; every request is
 * either answered with a status in 200..599 and a body, or left waiting in
 * a place the server frees (queue, waiter, removal list, pending read).
 *
 * libFuzzer (make fuzz-ticketd-http): clang -fsanitize=fuzzer,address,undefined -DTICKETD_LIBFUZZER ...
 * replay (make test-ticketd): the same file without -DTICKETD_LIBFUZZER
 * reads every file given on the command line (or in the directories given).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ticketd.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_http: invariant violated: %s\n", what);
        abort();
    }
}

static char dir_template[] = "/tmp/ticketd-fuzz-http-XXXXXX";

static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    char *dir = mkdtemp(dir_template);
    check(dir != NULL, "temporary directory");
    char *argv[] = {"ticketd", "--id", "1", "--raft", "127.0.0.1:1", "--http", "127.0.0.1:2", "--dir", dir,
                    "--sync", "off", "--log-level", "error", NULL};
    check(options_parse(13, argv) == -1, "options");
    S.loop = uv_default_loop();
    char err[512];
    S.store = store_open(dir, 1, err, sizeof err);
    check(S.store != NULL, err);
    S.cluster_id = 0x1234;
    S.raft = raft_new();
    raft_set_callbacks(S.raft, &callbacks, NULL);
    leadership_configure();
    raft_set_election_timeout(S.raft, S.election_ms);
    raft_set_request_timeout(S.raft, S.heartbeat_ms);
    peer_t *me = peer_learn(1, "127.0.0.1:1", "127.0.0.1:2");
    raft_add_node(S.raft, me, 1, 1);
    for (int32_t id = 2; id <= 3; id++) {
        wire_member_t m = {.id = id, .voting = 1};
        snprintf(m.raft, sizeof m.raft, "127.0.0.1:%d", 9 + id);
        snprintf(m.http, sizeof m.http, "127.0.0.1:%d", 19 + id);
        raft_add_member(&m);
    }
    S.members.n_members = 0;
    S.last_tick = uv_hrtime() / 1000000;
}

/* node 2 acknowledges our whole log: an entry of our term commits */
static void ack_from_node2(void)
{
    msg_appendentries_response_t r = {.term = raft_get_current_term(S.raft), .success = 1,
                                      .current_idx = raft_get_current_idx(S.raft),
                                      .first_idx = raft_get_current_idx(S.raft)};
    raft_recv_appendentries_response(S.raft, raft_get_node(S.raft, 2), &r);
    if (raft_get_commit_idx(S.raft) > raft_get_last_applied_idx(S.raft))
        raft_apply_all(S.raft);
}

static void set_role(int role)
{
    if (role == 0) {
        if (raft_is_leader(S.raft))
            raft_become_follower(S.raft);
        return;
    }
    if (!raft_is_leader(S.raft)) {
        raft_become_candidate(S.raft);
        msg_requestvote_response_t v = {.term = raft_get_current_term(S.raft), .vote_granted = 1};
        raft_recv_requestvote_response(S.raft, raft_get_node(S.raft, 2), &v);
    }
    if (role == 2)
        ack_from_node2();
}

/* splits off the text up to the next '\n' (or the end) into out */
static const uint8_t *field(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
    size_t n = 0;
    while (p < end && *p != '\n') {
        if (n + 1 < cap)
            out[n++] = *p ? (char)*p : '?';
        p++;
    }
    out[n] = 0;
    return p < end ? p + 1 : p;
}

/* requests left waiting are marked as MHD marks closed connections, then
 * freed by the structures that hold them */
static void release_waiting(void)
{
    for (req_t *r = S.q_head, *nx; r; r = nx) {
        nx = r->next;
        free(r->body);
        free(r);
    }
    S.q_head = S.q_tail = NULL;
    S.q_len = 0;
    while (S.waiters)
        waiter_fail(S.waiters, "fuzz: released");
    for (req_t *r = S.deferred, *nx; r; r = nx) {
        nx = r->next;
        free(r->body);
        free(r);
    }
    S.deferred = NULL;
    /* pending reads end with RAFT_ERR_TIMEOUT after an election timeout */
    if (S.pending_reads > 0)
        raft_periodic(S.raft, 2 * S.election_ms);
}

static int one_input(const uint8_t *data, size_t size)
{
    setup();
    if (size < 1)
        return 0;
    char method[32], url[512], lease[64];
    const uint8_t *p = data + 1, *end = data + size;
    p = field(p, end, method, sizeof method);
    p = field(p, end, url, sizeof url);
    p = field(p, end, lease, sizeof lease);
    set_role(data[0] % 3);
    req_t *r = calloc(1, sizeof *r);
    check(r != NULL, "calloc");
    size_t body = (size_t)(end - p);
    if (body > UP_MAX)
        r->up_overflow = 1;
    else {
        memcpy(r->up, p, body);
        r->up[body] = 0;
        r->up_len = body;
    }
    http_route(r, method, url, (data[0] & 4) ? lease : NULL);
    if (r->phase == R_DONE) {
        check(r->status >= 200 && r->status <= 599 && r->body != NULL, "an answer has a status and a body");
        free(r->body);
        free(r);
    } else {
        check(r->phase == R_QUEUED || r->phase == R_WAIT || r->phase == R_DEFERRED || r->phase == R_READ,
              "an unanswered request waits somewhere");
        r->dead = 1; /* as on_completed does for a closed connection */
        if (r->phase == R_READ)
            r->suspended = 0;
    }
    release_waiting();
    /* keep the log short: compact now and then */
    if (raft_get_log_count(S.raft) > 50 && raft_get_commit_idx(S.raft) > raft_get_snapshot_last_idx(S.raft) + 1)
        take_snapshot();
    return 0;
}

#ifdef TICKETD_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    return 0;
}
#else
static long replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    one_input(buf, n);
    return 1;
}

int main(int argc, char **argv)
{
    long n = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            continue;
        if (!S_ISDIR(st.st_mode)) {
            n += replay_file(argv[i]);
            continue;
        }
        DIR *d = opendir(argv[i]);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            n += replay_file(path);
        }
        if (d)
            closedir(d);
    }
    printf("fuzz_http: %ld inputs replayed\n", n);
    store_close(S.store);
    char path[sizeof dir_template + 16];
    snprintf(path, sizeof path, "%s/data.mdb", dir_template);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir_template);
    unlink(path);
    rmdir(dir_template);
    return n > 0 ? 0 : 1;
}
#endif
