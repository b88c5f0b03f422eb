/* ticketd: a replicated ticket dispenser on libraft.  Shared state and the
 * interfaces between its parts.
 *
 * One process per node, one thread: a libuv loop drives the Raft timer,
 * the peer UDP socket and libmicrohttpd (run in "external" mode on its
 * epoll fd, with client connections suspended while their log entry
 * commits).  LMDB keeps term, vote, log and snapshot on disk.
 *
 * The parts, one file each:
 *   main.c        start-up and recovery, the loop, shutdown
 *   log.c         levelled log lines
 *   options.c     the command line and --help
 *   raft_glue.c   the raft_cbs_t callbacks, persistence rules, snapshots
 *   peer.c        peer table and the UDP transport (datagram dispatch)
 *   leadership.c  the extension callbacks (state and transfer events,
 *                 TimeoutNow, read-index messages), linearizable reads
 *                 (GET /ticket), leadership hand-over on SIGTERM, the clock
 *   membership.c  the member list, configuration entries, join/remove
 *   tickets.c     ticket batching, waiters on log entries, the tick
 *   http.c        the libmicrohttpd front end and request lifecycle
 *   status.c      GET /status and GET /peers bodies
 *   store.c       LMDB storage;  wire.c  datagram encoding/decoding
 *
 * See README.md for usage, the HTTP API and the durability rules.
 */
#ifndef TICKETD_H
#define HTTP_POOL_BYTES 8192 /* libmicrohttpd memory per connection (MHD_OPTION_CONNECTION_MEMORY_LIMIT) */
#define TICKETD_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "raft.h"
#include "store.h"
#include "wire.h"

#define MAX_PEERS WIRE_MAX_MEMBERS
#define ERR_STORAGE (-1000) /* our callbacks' error: storage failed */
#define UP_MAX 2048         /* largest request body we accept */
/* A datagram whose term exceeds ours by more than this is dropped: no
 * cluster gets there by elections (2^24 of them, at one per second, take
 * half a year), while one such term accepted once would leave the cluster
 * unable to elect anyone when terms run out (issue 14). */
#define MAX_TERM_LEAP ((raft_term_t)1 << 24)

enum { SYNC_CALLBACK, SYNC_GROUP, SYNC_OFF, SYNC_PARALLEL };

/* A node we may talk to: its addresses as configured, the resolved Raft
 * address, and when we last sent it a snapshot (rate limit). */
typedef struct peer {
    int used;
    int32_t id;
    char raft[WIRE_ADDR_LEN];
    char http[WIRE_ADDR_LEN];
    struct sockaddr_storage sa; /* raft resolved (getaddrinfo); sa_len 0: unresolved */
    socklen_t sa_len;
    uint64_t last_snapshot_ms;
} peer_t;

typedef struct waiter waiter_t;

/* request phases: new; queued for the next ticket batch; waiting on a log
 * entry; waiting for the next step of a removal; waiting for the library
 * to confirm a read; answered */
enum { R_NEW, R_QUEUED, R_WAIT, R_DEFERRED, R_READ, R_DONE };
/* what a request (or waiter) is for */
enum { K_TICKET = 1, K_JOIN, K_DELETE, K_READ };

/* One HTTP request, from its first callback until MHD completes it. */
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
    /* GET /ticket: served from the leader's lease (?lease=1) */
    int lease;
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

/* Why a datagram that decoded was dropped (the decoder's own reasons are
 * WIRE_E_*); names in drop_names[], the keys of /status "dropped". */
enum {
    DROP_WRONG_DEST,        /* addressed to another node id */
    DROP_BAD_SENDER,        /* claims to come from us, or from id <= 0 */
    DROP_UNKNOWN_SENDER,    /* from an id not in our configuration */
    DROP_BAD_SOURCE,        /* from a known id but not from its address */
    DROP_INACTIVE_SENDER,   /* requestvote from a node being removed */
    DROP_VOTE_LEADER_ALIVE, /* requestvote while a leader is alive (thesis 4.2.3) */
    DROP_STALE_SNAPSHOT,    /* snapshot of an older term, or not newer than our commit */
    DROP_STALE_REMOVAL,     /* "removed" not from our current leader in our term */
    DROP_RECV_ERROR,        /* the socket reported an error */
    DROP_WRONG_CLUSTER,     /* carries another cluster's id */
    DROP_BAD_AUTH,          /* HMAC missing or wrong (or present while we have no key) */
    DROP_ABSURD_TERM,       /* a term too far above ours (MAX_TERM_LEAP) */
    DROP_ABSURD_INDEX,      /* a response claiming more log than we have */
    DROP_DISK_FULL,         /* needs a write while our disk is full */
    DROP_NUM
};
extern const char *const drop_names[DROP_NUM];

/* Event counters shown by GET /status and GET /metrics. */
typedef struct {
    uint64_t rx, tx, tx_errors, drop[WIRE_E_NUM], dropped[DROP_NUM];
    uint64_t votes_unknown_candidate;
    uint64_t snapshots_sent, snapshots_loaded, snapshots_taken, partial_appendentries;
    uint64_t tickets_issued, batches_appended, entries_applied;
    uint64_t batches_in_flight_max; /* most ticket batches appended and not yet applied at once */
    uint64_t http_requests, http_redirects, http_unavailable, http_bad_requests, http_retry;
    uint64_t elections_started, elections_won;
    uint64_t reads_ok, reads_lease, reads_redirected, reads_failed;
    uint64_t transfers_started, leader_syncs;
    uint64_t rx_type[WIRE_T_NUM], tx_type[WIRE_T_NUM]; /* datagrams by WIRE_T_* */
} counters_t;

/* Everything the one server of this process holds: configuration from the
 * command line, then the runtime state.  One instance, S. */
struct ticketd_state {
    /* configuration */
    int32_t id;
    char raft_addr[WIRE_ADDR_LEN], http_addr[WIRE_ADDR_LEN]; /* where we bind */
    char adv_raft[WIRE_ADDR_LEN], adv_http[WIRE_ADDR_LEN];   /* what the others know us by */
    int init;                 /* --init: this directory may start a new cluster */
    const char *key_file;     /* --key-file */
    const char *cluster_id_arg; /* --cluster-id HEX, for --init */
    uint64_t cluster_id;      /* from the store (or --init/--join on the first start) */
    uint8_t auth_key[1024];   /* --key-file */
    size_t auth_key_len;      /* 0: no authentication */
    int http_max_conns, http_max_per_ip, http_idle_s;
    const char *dir;
    const char *join;
    int tick_ms, election_ms, heartbeat_ms, snapshot_every, max_entries, client_timeout_ms;
    int wal_segment_kib;
    int log_level; /* LOG_LEVEL_*: --log-level, raised by -v */
    int max_dgram;
    int flush_commit; /* --flush commit: also flush when no batch is in flight */
    int inflight;     /* --inflight: appendentries per peer in flight; flush below this many ticket batches */
    int sync_mode;
    wire_member_t cli_peers[MAX_PEERS];
    int n_cli_peers;
    int check_only; /* --check */

    /* runtime */
    raft_server_t *raft;
    store_t *store;
    store_hardstate_t hs;
    uv_loop_t *loop;
    uv_udp_t udp;
    uv_timer_t tick, mhd_timer;
    uv_check_t check;
    uv_timer_t flush_timer; /* --flush commit: a queue filled outside the poll phase */
    int flush_timer_ready;
    uv_poll_t mhd_poll;
    uv_signal_t sigint, sigterm;
    struct MHD_Daemon *mhd;
    int mhd_kick;

    peer_t peers[MAX_PEERS];
    uint64_t counter;        /* state machine: last ticket issued */
    wire_snapshot_t members; /* state machine: applied membership */
    wire_snapshot_t snap;    /* last snapshot (persisted) */
    int has_snap;

    int recovering;
    int last_state;
    uint64_t last_tick; /* ms (uv_hrtime) of the last raft_periodic */
    int32_t entry_seq;

    req_t *q_head, *q_tail; /* ticket requests not yet in an entry */
    size_t q_len;
    req_t *deferred; /* DELETE requests waiting for their next step */
    waiter_t *waiters;
    int ticket_waiters; /* ticket batches appended, not yet applied */
    int32_t promote[MAX_PEERS];
    int n_promote;

    int stopping, removed, fatal;
    int handing_over;          /* SIGTERM on a leader: a leadership transfer is under way */
    int handed_over;           /* ... and it ended (notify_transfer_event) */
    uint64_t hand_over_until;  /* stop by then whatever happens */
    int pending_reads;         /* reads accepted by the library, not yet called back */
    int disk_full;          /* the last commit found no space: writes paused */
    int need_resync;        /* a lost commit may have held what the library counts on: nothing leaves */
    int txn_needs_sync;     /* the open transaction holds more than a leader's own entries */
    raft_index_t disk_idx;  /* the log is on disk up to here (last commit) */
    raft_index_t flush_idx, flushed_idx; /* parallel leader: durable / reported with raft_flush */
    uint64_t disk_probe_at; /* next attempt to write while disk_full */
    counters_t c;
    wire_msg_t msg; /* decode buffer (large) */
};

extern struct ticketd_state S;

/* ---- options.c ---- */
int options_parse(int argc, char **argv);
const char *sync_mode_name(void); /* --sync as a word */

/* ---- auth.c ---- */
int auth_load_key(const char *path, char *err, size_t errlen);
/* adds the HMAC to a datagram of len bytes in buf (cap bytes): the new
 * length, or 0 if it does not fit; unchanged without a key */
size_t auth_sign(uint8_t *buf, size_t len, size_t cap);
/* 0 if the datagram is authentic for our configuration, -1 to drop it */
int auth_check(const uint8_t *buf, size_t len);

/* ---- log.c: levelled log lines on stderr ---- */
enum { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG, LOG_LEVEL_TRACE };
extern const char *const log_level_names[]; /* "error".."trace", NULL-terminated */
void log_at(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_trace(...) log_at(LOG_LEVEL_TRACE, __VA_ARGS__)

/* ---- main.c: shutdown ---- */
/* a random non-zero cluster id (getrandom) */
int random_cluster_id(uint64_t *id);/* stops the loop; the rest of main() answers waiting clients and exits */
void shutdown_server(const char *why);

/* ---- durability.c ---- */
/* commits pending writes: before anything leaves the process */
void flush_before_io(void);
/* a write failed: pause on a full disk, else fatal; returns ERR_STORAGE */
int storage_failed(int rollback_safe);
/* commits the open transaction (0, or -1 with the store's error) */
int commit_store(void);
/* end of a persisting callback (commits in --sync callback) */
int persist_done(void);
int persist_hardstate(raft_term_t term, raft_node_id_t vote);
int may_write(void);
int may_send(void);
/* commit, then raft_flush what is durable (--sync parallel leader) */
void leader_sync(void);
/* after a failed commit: rewrite what the disk may lack; 0 when done */
int resync_store(void);

/* ---- raft_glue.c ---- */
extern raft_cbs_t callbacks;
/* checks what a raft call returned (storage failure, shutdown) */
void after_raft(int rc, const char *what);
int leader_ready(void);
int leader_alive_for(raft_term_t term);
int take_snapshot(void);
void handle_snapshot(peer_t *from, const wire_snapshot_t *s);

/* ---- peer.c ---- */
extern uint8_t txbuf[WIRE_MAX_DGRAM];
/* the route of a datagram from us to node dest, in our cluster */
#define ROUTE_TO(dest) (&(wire_route_t){S.cluster_id, S.id, (dest)})
/* room for the encoder in cap bytes, leaving space for the HMAC */
size_t tx_room(size_t cap);
/* resolves "host:port" / "[v6]:port" with getaddrinfo (numeric or a name) */
int resolve_addr(const char *addr, int socktype, struct sockaddr_storage *ss, socklen_t *len);
int sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b);
peer_t *peer_find(int32_t id);
peer_t *peer_learn(int32_t id, const char *raft, const char *http);
int udp_send(peer_t *p, const uint8_t *buf, size_t len);
/* the parallel leader's appendentries: may leave before its entries are durable */
int udp_send_unsynced(peer_t *p, const uint8_t *buf, size_t len);
void send_aer(peer_t *p, msg_appendentries_response_t *r);
void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags);

/* ---- leadership.c ---- */
extern raft_cbs_ext_t ext_callbacks;
/* turns on what issue 12 added to the library: pre-vote, check-quorum, the
 * no-op on election (and registers ext_callbacks) */
void leadership_configure(void);
/* raft_periodic with the time elapsed since the last call (see the file) */
int raft_clock_advance(void);
/* GET /ticket: a linearizable read of the last ticket issued */
void handle_read(req_t *r, const char *lease_arg);
/* SIGTERM/SIGINT: hand leadership over first when leading; 1 if under way */
int begin_hand_over(void);
/* on each tick while handing over: stops once done (or out of time) */
void hand_over_tick(void);

/* ---- membership.c ---- */
wire_member_t *member_find(wire_snapshot_t *m, int32_t id);
void raft_add_member(const wire_member_t *m);
void apply_cfg(const raft_entry_t *e);
void process_promotions(void);
void process_deferred(void);
void handle_join(req_t *r);
void handle_delete(req_t *r, const char *ids);
int join_cluster(wire_snapshot_t *boot);

/* ---- tickets.c ---- */
waiter_t *waiter_new(raft_index_t idx, raft_term_t term, int kind);
void waiter_add(waiter_t *w, req_t *r);
void waiter_unlink(waiter_t *w);
waiter_t *waiter_at(raft_index_t idx);
void waiter_fail(waiter_t *w, const char *why);
int append_entry(int type, const void *payload, unsigned len, msg_entry_response_t *resp);
void on_check(uv_check_t *h);
void kick_flush(void);
void on_tick(uv_timer_t *t);

/* ---- http.c ---- */
void req_finish(req_t *r, int status, const char *ctype, const char *body, const char *location, int retry_after);
void req_unavailable(req_t *r, const char *why);
void req_redirect(req_t *r, const char *path);
enum MHD_Result respond(struct MHD_Connection *c, int status, const char *ctype, const char *body,
                        const char *location, int retry_after);
/* an immediate error answer, JSON {"error":why} */
void req_error(req_t *r, int status, const char *why);
/* 200 with body (NULL: empty), which it frees */
void req_ok_owned(req_t *r, const char *ctype, char *body);
/* routes a complete request (no socket needed): answered or waiting on return */
void http_route(req_t *r, const char *method, const char *url, const char *lease_arg);
int form_get(const char *body, const char *key, char *out, size_t len);
int parse_id(const char *s, int32_t *id);
enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *upload_data, size_t *upload_size, void **con_cls);
void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);
void mhd_run(void);
void on_mhd_poll(uv_poll_t *h, int status, int events);

/* ---- status.c ---- */
/* a growing string */
typedef struct {
    char *p;
    size_t len, cap;
} sb_t;
void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *state_name(int st);
uint64_t prevote_rounds(void);
uint64_t dropped_total(void);
char *status_json(void);
/* GET /peers: "leader ID" (0 when none is known), then "member ID
 * voter|nonvoter RAFT HTTP" per active member */
char *members_text(void);

/* ---- metrics.c ---- */
char *metrics_text(void); /* GET /metrics, Prometheus text format 0.0.4 */

#endif
