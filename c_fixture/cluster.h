/* The in-process cluster every C harness runs libraft in: the C tests
 * (c_tests/t_cluster.c), the interaction scripts (c_tests/interact/), the
 * demo (examples/cluster_demo.c) and the C benchmark (bench/c/raft_bench.c).
 *
 *   servers      raft servers with ids 1..CL_MAX_SERVERS, wired through the
 *                public header only (raft.h), each started from a bootstrap
 *                configuration; crash, restart from what was persisted, pause.
 *   network      one FIFO queue of messages. Send callbacks copy a message and
 *                its payloads as a wire would; nothing moves until the harness
 *                delivers: one message at a time (cl_msg_take + cl_deliver,
 *                for scripts that say which), or cl_step / cl_deliver_all with
 *                seeded drop, duplication and reordering, and cut links
 *                (partitions).
 *   persistence  per server, a model of stable storage written only by the
 *                callbacks (persist_term/vote, log_offer/pop/poll/clear, the
 *                snapshot it took or loaded); a restart rebuilds the server
 *                from it.
 *   checks       every event is reported to one safety checker (safety.h:
 *                Election Safety, Log Matching, Leader Completeness, State
 *                Machine Safety), plus the storage model's own rules (log
 *                indexes of offer/pop/poll, the library's log equals the
 *                persisted one, terms never go back). A violation is counted,
 *                kept as text and reported as an event: nothing aborts.
 *   events       what happened (message sent, entry applied, log_pop, ...)
 *                goes to one optional observer, for harnesses that print it.
 *
 * Lean mode (cl_options_t.lean) is for benchmarks: fixed membership, no
 * storage model and no checks (log_offer and friends do nothing, so the
 * library keeps pointing at the received payload bytes, which stay in a
 * per-server arena until cl_free), node handles cached, message entry arrays
 * taken from a pool that is reset whenever the queue runs empty.
 *
 * Errors: setup functions return 0 or -1 with the reason in cl_error();
 * library calls that fail while delivering or ticking are returned and kept
 * in the server's last_err. Only running out of memory aborts.
 */
#ifndef C_FIXTURE_CLUSTER_H
#define C_FIXTURE_CLUSTER_H

#include "raft.h"
#include "safety.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CL_MAX_SERVERS 9

/* CL_TN, CL_RI, CL_RIR: the extension messages (issue 12; cl_options_t.extensions). */
typedef enum { CL_RV, CL_RVR, CL_AE, CL_AER, CL_SNAP, CL_TN, CL_RI, CL_RIR, CL_NTYPES } cl_msg_type_t;
/* "RequestVote", "RequestVoteResponse", "AppendEntries", "AppendEntriesResponse", "Snapshot",
 * "TimeoutNow", "ReadIndex", "ReadIndexResponse" */
extern const char *const cl_msg_type_name[CL_NTYPES];

typedef struct {
    int id;
    int voting;
} cl_member_t;

/* The state machine's content at one index: which entry was applied. */
typedef struct {
    raft_term_t term;
    raft_entry_id_t id;
} cl_applied_t;

typedef struct {
    raft_index_t idx;               /* last included index; 0 = none */
    raft_term_t term;               /* last included term */
    int nmembers;
    cl_member_t members[CL_MAX_SERVERS];
    cl_applied_t *sm;               /* the state machine at idx: sm[1..idx] */
} cl_snapshot_t;

typedef struct {
    cl_msg_type_t type;
    int from, to;
    union {
        msg_requestvote_t rv;
        msg_requestvote_response_t rvr;
        msg_appendentries_t ae;     /* ae.entries: the message's own copy (headers and payloads) */
        msg_appendentries_response_t aer;
        msg_timeoutnow_t tn;
        msg_readindex_t ri;
        msg_readindex_response_t rir;
    } u;
    raft_term_t snap_leader_term;   /* CL_SNAP: the sender's term */
    cl_snapshot_t *snap;            /* CL_SNAP: a copy of the sender's snapshot */
} cl_msg_t;

struct cluster;
struct cl_arena;

typedef struct cl_server {
    struct cluster *c;
    int id;
    raft_server_t *r;               /* NULL while crashed */
    int paused;                     /* running, but neither ticked nor sent to (messages are dropped) */
    int restarts;
    int election_ms, request_ms;
    int nboot;
    cl_member_t boot[CL_MAX_SERVERS];   /* the configuration it starts from */
    /* persisted: what the callbacks saved; survives a crash */
    raft_term_t p_term;
    raft_node_id_t p_vote;          /* -1: none */
    raft_entry_t *log;              /* entries base+1 .. base+count; payloads owned here */
    int count, cap;
    raft_index_t base;
    cl_snapshot_t snap;
    /* volatile */
    cl_applied_t *sm;               /* applied entries: sm[1..applied] */
    raft_index_t applied, sm_cap;
    raft_index_t checked_commit;    /* commit index last reported to the checker */
    int sufficient_logs;            /* last node node_has_sufficient_logs reported, or 0 */
    int last_err;                   /* last non-zero return of a library call */
    int loading;                    /* starting from the persisted state: callbacks only re-attach */
    /* lean mode */
    raft_node_t *peer[CL_MAX_SERVERS + 1];  /* our handle of node j */
    struct cl_arena *arena;         /* received payload bytes */
    /* extensions (cl_options_t.extensions): the last events of this incarnation */
    int n_state_events, last_state;         /* notify_state_event */
    int n_transfer_events, last_transfer;   /* notify_transfer_event */
} cl_server_t;

typedef enum {
    CL_EV_SENT,             /* msg */
    CL_EV_APPLIED,          /* idx, entry */
    CL_EV_OFFERED,          /* idx, entry (the persisted copy) */
    CL_EV_POPPED,           /* idx, entry: log_pop */
    CL_EV_POLLED,           /* idx, entry: log_poll */
    CL_EV_CLEARED,          /* idx, entry: log_clear */
    CL_EV_PERSIST_TERM,     /* term, node (= vote) */
    CL_EV_PERSIST_VOTE,     /* node (= vote) */
    CL_EV_MEMBERSHIP_ADD,   /* node */
    CL_EV_MEMBERSHIP_REMOVE,/* node */
    CL_EV_SUFFICIENT_LOGS,  /* node */
    CL_EV_SNAPSHOT_LOADED,  /* idx, term */
    CL_EV_LIB_ERROR,        /* call, rc: a call the fixture made on its own (loading a snapshot) */
    CL_EV_VIOLATION,        /* text; server NULL */
    CL_EV_STATE,            /* node (= the new raft_state_e): notify_state_event (extensions) */
    CL_EV_TRANSFER          /* rc (= raft_leader_transfer_e): notify_transfer_event (extensions) */
} cl_event_kind_t;

typedef struct {
    cl_event_kind_t kind;
    cl_server_t *server;
    const cl_msg_t *msg;
    raft_index_t idx;
    const raft_entry_t *entry;
    raft_term_t term;
    int node;
    const char *call;
    int rc;
    const char *text;
} cl_event_t;

typedef struct {
    unsigned long seed;         /* server seeds: seed*1000003 + id*101 + restarts*7919 (cluster_t.o.seed
                                   may be changed between server creations) */
    int election_ms;            /* timeouts of the first servers (then cluster_t.election_ms/request_ms) */
    int request_ms;
    int lean;                   /* benchmark mode: see above */
    int check_commits;          /* report commit indexes to the checker (Leader Completeness) */
    void (*on_event)(void *ctx, const cl_event_t *ev);
    /* Called by log_apply after the checks; its return is log_apply's. In
     * lean mode log_apply calls only this. */
    int (*on_apply)(void *ctx, cl_server_t *s, raft_entry_t *e, raft_index_t idx);
    void *ctx;
    /* A program built with the extensions (issue 12; not in lean mode):
     * every server registers the extension table (raft_set_ext_callbacks),
     * TimeoutNow and read-index messages travel on the wire like the others,
     * state and transfer events are kept (cl_server_t) and reported. */
    int extensions;
    /* Called on every server the fixture starts (creation and restart),
     * after its callbacks and timeouts: options such as raft_set_prevote,
     * which a host sets again at every start. */
    void (*configure)(void *ctx, raft_server_t *r);
} cl_options_t;

typedef struct cluster {
    cl_options_t o;
    int election_ms, request_ms;    /* for servers created from now on */
    int n;                          /* highest server id */
    cl_server_t *servers[CL_MAX_SERVERS + 1];
    cl_msg_t *q;                    /* queued messages q[qhead .. qtail) */
    size_t qhead, qtail, qcap;
    int delivering;                 /* lean: a queued message is being read in place */
    cl_msg_t *q_retired;            /* lean: the queue's storage before it grew mid-delivery */
    unsigned char cut[CL_MAX_SERVERS + 1][CL_MAX_SERVERS + 1];  /* cut[a][b]: a->b dropped */
    int drop_pct, dup_pct, reorder_pct;     /* chaos of cl_step */
    uint64_t rng;
    unsigned long sent[CL_NTYPES], delivered, dropped, duplicated, reordered;
    unsigned long failed[CL_NTYPES];    /* deliveries whose library call failed, by type */
    unsigned long failures;             /* all of them */
    safety_t *safety;
    long violations;
    char first_violation[512];
    char error[256];
    struct cl_arena *pool;          /* lean: entry arrays of queued messages */
} cluster_t;

/* ---- setup -------------------------------------------------------------- */

/* seed 1, election 200 ms, request 50 ms, checks on, no commit reports, no observer. */
void cl_options_init(cl_options_t *o);
/* A cluster with no servers yet; NULL when out of memory. */
cluster_t *cl_new(const cl_options_t *o);
void cl_free(cluster_t *c);
/* Why the last setup call failed. */
const char *cl_error(const cluster_t *c);

/* Create server `id` (1..CL_MAX_SERVERS, unused) that starts from `boot`
 * (it must list `id`), with the cluster's current timeouts. */
int cl_add_server(cluster_t *c, int id, const cl_member_t *boot, int nboot);
/* Servers 1..n, each knowing all n as voters. */
int cl_bootstrap(cluster_t *c, int n);
/* One more server that knows the existing ones as voters and itself as
 * non-voting (BEHAVIOUR.md "Joining nodes"). Returns its id, or -1. */
int cl_add_joiner(cluster_t *c);

/* ---- servers ------------------------------------------------------------ */

cl_server_t *cl_server(const cluster_t *c, int id);   /* NULL if no such server */
raft_server_t *cl_raft(const cluster_t *c, int id);   /* NULL if none or crashed */
/* Free the server (raft_free); what it persisted stays. */
int cl_crash(cluster_t *c, int id);
/* A new server rebuilt from what `id` persisted: its bootstrap
 * configuration, or its snapshot's (raft_begin_load_snapshot, members,
 * raft_end_load_snapshot), then term, vote and every persisted entry
 * (raft_append_entry). Crashes it first if it is running. */
int cl_restart(cluster_t *c, int id);
void cl_pause(cluster_t *c, int id, int paused);
/* raft_periodic on one server; returns its result. */
int cl_periodic(cluster_t *c, int id, int ms);
/* raft_periodic on every running server in id order; the first non-zero result. */
int cl_periodic_all(cluster_t *c, int ms);
/* raft_begin_snapshot, save (index, term, members, state machine),
 * raft_end_snapshot; returns the first non-zero result. */
int cl_snapshot(cluster_t *c, int id);

/* raft_retain_entries on server `id` with an entry of this type and payload
 * (copied by log_offer: any buffer will do). resp may be NULL. */
int cl_propose(cluster_t *c, int id, raft_entry_id_t entry_id, int type, const void *data, unsigned len,
               msg_entry_response_t *resp);
/* A normal entry with payload "v<entry_id>". */
int cl_submit(cluster_t *c, int id, raft_entry_id_t entry_id, msg_entry_response_t *resp);
/* A configuration entry naming node_id (payload: the id in decimal, which
 * log_get_node_id parses). */
int cl_submit_cfg(cluster_t *c, int id, raft_entry_id_t entry_id, int type, int node_id, msg_entry_response_t *resp);

/* Entry id applied at idx by server id, 0 if none. */
raft_entry_id_t cl_applied_id(const cluster_t *c, int id, raft_index_t idx);
/* The running leader with the highest term, -1 if none. */
int cl_leader(const cluster_t *c);
int cl_count_leaders(const cluster_t *c);

/* ---- network ------------------------------------------------------------ */

typedef enum { CL_ROUTE_OK, CL_ROUTE_NO_SERVER, CL_ROUTE_DOWN, CL_ROUTE_CUT } cl_route_t;

typedef struct {
    int rc;             /* result of the library call (0 if none) */
    const char *call;   /* its name, NULL if none */
    int unknown_sender; /* an AppendEntriesResponse from a node the receiver does not know: ignored */
} cl_delivery_t;

int cl_msg_count(const cluster_t *c);
cl_msg_t *cl_msg_at(cluster_t *c, int i);             /* i-th queued message, 0 = oldest */
/* Remove the i-th queued message; the caller owns *out (cl_msg_release). */
void cl_msg_take(cluster_t *c, int i, cl_msg_t *out);
void cl_msg_copy(cluster_t *c, cl_msg_t *dst, const cl_msg_t *src);
void cl_msg_release(cluster_t *c, cl_msg_t *m);
/* Whether m can arrive now. */
cl_route_t cl_route(const cluster_t *c, const cl_msg_t *m);
/* Hand m to its receiver if cl_route says so (replies are queued). */
cl_delivery_t cl_deliver(cluster_t *c, cl_msg_t *m);

/* What cl_step did with a message. */
typedef struct {
    cl_msg_type_t type;
    int from, to;
    int times;          /* 0 dropped, 1, or 2 duplicated */
    int rc;             /* the last delivery's library result */
} cl_step_t;

/* The oldest message (or, with reorder_pct, sometimes a later one): cut or
 * dropped (drop_pct), delivered, or delivered twice (dup_pct); then the
 * per-step checks. Returns 0 when the queue is empty. out may be NULL. */
int cl_step(cluster_t *c, cl_step_t *out);
/* cl_step until the queue is empty (at most 100000 messages); returns how many. */
long cl_deliver_all(cluster_t *c);
/* cl_periodic_all(ms), the per-step checks, cl_deliver_all. */
void cl_tick(cluster_t *c, int ms);
void cl_run(cluster_t *c, int total_ms, int tick_ms);
/* Tick by 10 ms until exactly one leader runs (at most max_ms): its id or -1. */
int cl_elect(cluster_t *c, int max_ms);

void cl_cut(cluster_t *c, int a, int b);      /* both directions */
void cl_isolate(cluster_t *c, int id);        /* from everyone */
void cl_heal(cluster_t *c);
/* The fixture's seeded generator (for chaos schedules in tests). */
unsigned cl_rand(cluster_t *c);

/* ---- checks ------------------------------------------------------------- */

/* Report every running leader (and, with check_commits, commit index) to the
 * checker. cl_step and cl_tick do this after each delivery. */
void cl_check(cluster_t *c);
/* The library's log of every running server equals its persisted log. */
void cl_check_logs(cluster_t *c);
long cl_violations(const cluster_t *c);
const char *cl_first_violation(const cluster_t *c);   /* "" if none */

/* Name of a RAFT_ERR_* code ("OK" for 0, the number otherwise). */
const char *cl_rc_name(int rc);

#ifdef __cplusplus
}
#endif

#endif
