/* ticketd main.c: command-line options, start-up (store checks, membership to boot
 * from, recovery of the Raft state), the event loop, shutdown, logging.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ticketd.h"

struct ticketd_state S;

#ifdef TICKETD_NO_MAIN /* the HTTP fuzz target (fuzz_http.c) links all of this but has its own main */
#define main ticketd_main
int ticketd_main(int argc, char **argv);
#endif

int random_cluster_id(uint64_t *id)
{
    do {
        if (getrandom(id, sizeof *id, 0) != (ssize_t)sizeof *id) {
            fprintf(stderr, "ticketd: getrandom: %s\n", strerror(errno));
            return -1;
        }
    } while (*id == 0);
    return 0;
}

/* ------------------------------------------------------------------ */
/* start-up and recovery */

static int replay_entry(void *ud, raft_index_t idx, raft_entry_t *e)
{
    (void)ud;
    if (!entry_payload_valid(e)) {
        log_error("log entry %ld: payload does not parse", (long)idx);
        return -1;
    }
    if (raft_get_current_idx(S.raft) + 1 != idx) {
        log_error("log entry %ld does not follow index %ld", (long)idx, (long)raft_get_current_idx(S.raft));
        return -1;
    }
    raft_entry_t copy = *e;
    int rc = raft_append_entry(S.raft, &copy);
    if (rc != 0) {
        log_error("raft_append_entry(%ld) = %d", (long)idx, rc);
        return -1;
    }
    return 0;
}

void shutdown_server(const char *why)
{
    if (S.stopping)
        return;
    S.stopping = 1;
    log_info("shutting down: %s", why);
    uv_timer_stop(&S.tick);
    uv_stop(S.loop);
}

/* a leader hands leadership over first (leadership.c); a second signal,
 * or any other role, stops at once */
static void on_signal(uv_signal_t *h, int sig)
{
    (void)h;
    if (S.handing_over || !begin_hand_over())
        shutdown_server(sig == SIGINT ? "SIGINT" : "SIGTERM");
}


/* --check, or the checks that decide whether this directory may start:
 * the verification pass (in a child process), then the store's own
 * checks, then whose directory it is.  Returns -1 to go on, or the exit
 * status. */
static int open_store(store_state_t *st)
{
    char err[700];
    if (store_verify(S.dir, err, sizeof err) != 0) {
        fprintf(stderr, "ticketd: %s\n", err);
        return 3;
    }
    store_set_wal_segment_bytes((uint64_t)S.wal_segment_kib << 10);
    S.store = store_open(S.dir, S.sync_mode == SYNC_OFF, err, sizeof err);
    if (!S.store) {
        fprintf(stderr, "ticketd: %s\n", err);
        return 3;
    }
    if (store_load(S.store, st, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "ticketd: %s\n", err);
        return 3;
    }
    if (S.check_only) {
        printf("cluster %016" PRIx64 " node_id %d term %" PRId64 " vote %d snapshot %" PRId64 "/%" PRId64
               " counter %" PRIu64 "%s: ok\n",
               st->cluster_id, st->node_id, st->hs.term, st->hs.vote, st->snap.snap_idx, st->snap.snap_term,
               st->snap.counter, st->removed ? " (removed from its cluster)" : st->has_identity ? "" : " (empty)");
        store_close(S.store);
        return 0;
    }
    if (st->removed) {
        fprintf(stderr, "ticketd: node %d was removed from the cluster; wipe %s and use --join to come back\n",
                st->node_id, S.dir);
        return 7;
    }
    if (st->has_identity && st->node_id != S.id) {
        fprintf(stderr, "ticketd: %s belongs to node %d, not %d\n", S.dir, st->node_id, S.id);
        return 3;
    }
    if (st->has_identity && S.cluster_id && st->cluster_id != S.cluster_id) {
        fprintf(stderr, "ticketd: %s belongs to cluster %016" PRIx64 ", not %016" PRIx64 "\n", S.dir,
                st->cluster_id, S.cluster_id);
        return 3;
    }
    if (!st->has_identity && !S.init && !S.join) {
        fprintf(stderr,
                "ticketd: %s holds no cluster identity (a new, emptied or lost store): start with --init to "
                "create a cluster, or --join to join one.  A node that was a member must --join again, "
                "never --init: with its vote forgotten it could vote twice in one term\n",
                S.dir);
        return 3;
    }
    if (st->has_identity)
        S.cluster_id = st->cluster_id;
    return -1;
}

/* a wildcard address (0.0.0.0, [::]) can be bound but not sent to */
static int is_wildcard(const char *addr)
{
    char host[WIRE_ADDR_LEN];
    unsigned port;
    return wire_addr_split(addr, host, &port) == 0 && (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0);
}

/* What the other members know this node by: --advertise-*, else its own
 * --peer entry (options.c), else its entry in the membership it recorded,
 * else the bind address, which must then not be a wildcard.  Returns -1 to
 * go on, or 2. */
static int settle_advertised(const store_state_t *st)
{
    const wire_snapshot_t *m = st->has_snapshot ? &st->snap : &st->boot;
    for (uint32_t i = 0; i < m->n_members; i++)
        if (m->members[i].id == S.id) {
            if (!S.adv_raft[0])
                snprintf(S.adv_raft, sizeof S.adv_raft, "%s", m->members[i].raft);
            if (!S.adv_http[0])
                snprintf(S.adv_http, sizeof S.adv_http, "%s", m->members[i].http);
        }
    if (!S.adv_raft[0])
        snprintf(S.adv_raft, sizeof S.adv_raft, "%s", S.raft_addr);
    if (!S.adv_http[0])
        snprintf(S.adv_http, sizeof S.adv_http, "%s", S.http_addr);
    if (is_wildcard(S.adv_raft) || is_wildcard(S.adv_http)) {
        fprintf(stderr, "ticketd: bound to a wildcard address: give the address the others reach this node at "
                        "with --advertise-raft/--advertise-http (or in its own --peer entry)\n");
        return 2;
    }
    return -1;
}

/* The membership this node starts from: the one recorded in its directory,
 * the one a running cluster answers to --join (with its cluster id), or
 * --init with --peer.  The first start records identity, term 0 and the
 * membership in one commit.  Returns -1 to go on, or the exit status. */
static int boot_membership(const store_state_t *st, wire_snapshot_t *boot)
{
    memset(boot, 0, sizeof *boot);
    if (st->has_identity) {
        *boot = st->boot;
        return -1;
    }
    if (S.join) {
        if (join_cluster(boot) != 0) {
            fprintf(stderr, "ticketd: could not join via %s\n", S.join);
            return 4;
        }
    } else {
        wire_member_t self = {.id = S.id, .voting = 1};
        snprintf(self.raft, sizeof self.raft, "%s", S.adv_raft);
        snprintf(self.http, sizeof self.http, "%s", S.adv_http);
        boot->members[boot->n_members++] = self;
        for (int i = 0; i < S.n_cli_peers; i++)
            if (S.cli_peers[i].id != S.id && !member_find(boot, S.cli_peers[i].id))
                boot->members[boot->n_members++] = S.cli_peers[i];
        if (!S.cluster_id && boot->n_members > 1) {
            fprintf(stderr, "ticketd: --init with other --peer members needs the same --cluster-id on every "
                            "initial node (make one with ticketd --new-cluster-id)\n");
            return 2;
        }
        if (!S.cluster_id && random_cluster_id(&S.cluster_id) != 0)
            return 3;
    }
    store_hardstate_t hs = {.term = 0, .vote = -1};
    if (store_put_identity(S.store, S.cluster_id, S.id) != 0 || store_put_hardstate(S.store, &hs) != 0 ||
        store_put_bootstrap(S.store, boot) != 0 || store_commit(S.store) != 0) {
        fprintf(stderr, "ticketd: cannot write %s/data.mdb: %s\n", S.dir,
                store_error_text(store_last_error(S.store)));
        return 3;
    }
    log_info("initialised: cluster %016" PRIx64 ", node %d, %u members", S.cluster_id, S.id, boot->n_members);
    return -1;
}

/* Rebuilds the Raft server from the directory (README, "Recovery order"):
 * our node, the snapshot and its members (or the boot members), term and
 * vote, then every persisted entry.  Persisting callbacks are suppressed
 * meanwhile.  Returns -1 to go on, or the exit status. */
static int recover_raft(store_state_t *st, wire_snapshot_t *boot)
{
    S.raft = raft_new();
    raft_set_callbacks(S.raft, &callbacks, NULL);
    leadership_configure();
    raft_set_election_timeout(S.raft, S.election_ms);
    raft_set_request_timeout(S.raft, S.heartbeat_ms);
    raft_set_random_seed(S.raft, ((uint64_t)S.id << 32) ^ uv_hrtime());
    raft_set_max_entries_per_msg(S.raft, S.max_entries);
    raft_set_max_inflight_msgs(S.raft, S.inflight);
    S.recovering = 1;
    wire_snapshot_t *base = st->has_snapshot ? &st->snap : boot;
    wire_member_t *self_m = member_find(base, S.id);
    if (!self_m)
        self_m = member_find(boot, S.id);
    peer_t *self_p = peer_learn(S.id, S.adv_raft, S.adv_http);
    if (self_m && self_m->voting)
        raft_add_node(S.raft, self_p, S.id, 1);
    else
        raft_add_non_voting_node(S.raft, self_p, S.id, 1);
    if (st->has_snapshot) {
        int rc = raft_begin_load_snapshot(S.raft, st->snap.snap_term, st->snap.snap_idx);
        if (rc != 0) {
            fprintf(stderr, "ticketd: raft_begin_load_snapshot(%" PRId64 ", %" PRId64 ") = %d\n",
                    st->snap.snap_term, st->snap.snap_idx, rc);
            return 5;
        }
    }
    for (uint32_t i = 0; i < base->n_members; i++)
        if (base->members[i].id != S.id)
            raft_add_member(&base->members[i]);
    if (st->has_snapshot) {
        raft_end_load_snapshot(S.raft);
        S.counter = st->snap.counter;
        S.snap = st->snap;
        S.has_snap = 1;
    }
    S.members = *base;
    if (st->has_hardstate) {
        raft_set_current_term(S.raft, st->hs.term);
        if (st->hs.vote != -1 && st->hs.vote != 0)
            raft_vote_for_nodeid(S.raft, st->hs.vote);
    }
    S.hs.term = raft_get_current_term(S.raft);
    S.hs.vote = raft_get_voted_for(S.raft);
    char err[512];
    store_state_t again;
    if (store_load(S.store, &again, replay_entry, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "ticketd: %s: %s\n", S.dir, err);
        return 3;
    }
    S.recovering = 0;
    /* everything recovered is on disk; from now on the leader's own entries
     * count towards a commit only once raft_flush reports them */
    if (S.sync_mode == SYNC_PARALLEL)
        raft_set_parallel_log_writes(S.raft, 1);
    S.disk_idx = raft_get_current_idx(S.raft);
    S.entry_seq = (int32_t)((uv_hrtime() & 0xFFFF) << 12);
    log_info("recovered: term %ld vote %d snapshot %ld log %ld..%ld counter %" PRIu64 " members %u", (long)S.hs.term,
          S.hs.vote, (long)raft_get_snapshot_last_idx(S.raft), (long)raft_get_first_entry_idx(S.raft),
          (long)raft_get_current_idx(S.raft), S.counter, S.members.n_members);
    return -1;
}

/* The peer UDP socket and the HTTP server on the loop.  Returns -1 to go
 * on, or the exit status. */
static int start_network(void)
{
    struct sockaddr_storage sa, hsa;
    socklen_t sa_len, hsa_len;
    if (resolve_addr(S.raft_addr, SOCK_DGRAM, &sa, &sa_len) != 0 ||
        resolve_addr(S.http_addr, SOCK_STREAM, &hsa, &hsa_len) != 0) {
        fprintf(stderr, "ticketd: cannot resolve --raft %s or --http %s\n", S.raft_addr, S.http_addr);
        return 6;
    }
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

    /* limits from libmicrohttpd itself: total and per-address connections,
     * idle timeout (a suspended request is not idle: MHD does not time it out).
     * Each connection's memory pool (request line, headers, a small body) is
     * zeroed for every request on a kept-alive connection: at the default
     * 32 KiB that memset was 18% of a leader's CPU under 64 clients
     * (BENCHMARKS.md); our requests fit 8 KiB. */
    uint16_t port = ntohs(hsa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&hsa)->sin6_port
                                                    : ((struct sockaddr_in *)&hsa)->sin_port);
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | (hsa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                     (S.log_level >= LOG_LEVEL_DEBUG ? MHD_USE_ERROR_LOG : 0);
    S.mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&hsa,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
                             (unsigned)S.http_max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                             (unsigned)S.http_max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)S.http_idle_s,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_POOL_BYTES,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    if (!S.mhd) {
        fprintf(stderr, "ticketd: cannot start HTTP server on %s\n", S.http_addr);
        return 6;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(S.mhd, MHD_DAEMON_INFO_EPOLL_FD);
    uv_poll_init(S.loop, &S.mhd_poll, info->epoll_fd);
    uv_poll_start(&S.mhd_poll, UV_READABLE, on_mhd_poll);
    uv_timer_init(S.loop, &S.mhd_timer);
    return -1;
}

/* signals, the tick timer and (--flush commit) the check handle */
static void start_timers(void)
{
    uv_signal_init(S.loop, &S.sigint);
    uv_signal_start(&S.sigint, on_signal, SIGINT);
    uv_signal_init(S.loop, &S.sigterm);
    uv_signal_start(&S.sigterm, on_signal, SIGTERM);

    S.last_state = raft_get_state(S.raft);
    S.last_tick = uv_hrtime() / 1000000;
    uv_timer_init(S.loop, &S.tick);
    uv_timer_start(&S.tick, on_tick, (uint64_t)S.tick_ms, (uint64_t)S.tick_ms);
    if (S.flush_commit) {
        uv_check_init(S.loop, &S.check);
        uv_check_start(&S.check, on_check);
        uv_timer_init(S.loop, &S.flush_timer);
        S.flush_timer_ready = 1;
    }
}

/* after the loop: record a removal, answer whoever still waits, then let
 * the process exit close the sockets (MHD must not be stopped with
 * suspended connections) */
static void drain(void)
{
    flush_before_io();
    if (S.removed && (store_put_removed(S.store) != 0 || store_commit(S.store) != 0))
        log_error("could not record the removal in %s", S.dir);
    for (req_t *r = S.q_head, *nx; r; r = nx) {
        nx = r->next;
        if (r->dead)
            free(r);
        else
            req_redirect(r, "/ticket"); /* to the new leader, or 503 */
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
}

int main(int argc, char **argv)
{
    int rc = options_parse(argc, argv);
    if (rc >= 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    char err[512];
    if (S.key_file && auth_load_key(S.key_file, err, sizeof err) != 0) {
        fprintf(stderr, "ticketd: %s\n", err);
        return 2;
    }
    store_state_t st;
    wire_snapshot_t boot;
    if ((rc = open_store(&st)) >= 0 || (rc = settle_advertised(&st)) >= 0)
        return rc;
    S.loop = uv_default_loop();
    if ((rc = boot_membership(&st, &boot)) >= 0 || (rc = recover_raft(&st, &boot)) >= 0 ||
        (rc = start_network()) >= 0)
        return rc;
    start_timers();
    log_info("node %d up: cluster %016" PRIx64 ", raft udp %s (known as %s), http %s (known as %s), dir %s, sync %s, "
             "datagrams %s",
             S.id, S.cluster_id, S.raft_addr, S.adv_raft, S.http_addr, S.adv_http, S.dir,
             sync_mode_name(),
             S.auth_key_len ? "authenticated (HMAC-SHA256)" : "not authenticated");
    uv_run(S.loop, UV_RUN_DEFAULT);
    drain();
    log_info("stopped");
    return S.fatal ? 1 : 0;
}
