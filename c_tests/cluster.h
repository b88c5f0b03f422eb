/* In-process cluster for end-to-end tests: N raft servers, a message queue
 * whose callbacks copy messages and payloads like a wire would, link cuts
 * (partitions), optional seeded drop/duplication, and safety checks
 * (one leader per term, identical applied entries, log accuracy). */
#ifndef C_TESTS_CLUSTER_H
#define C_TESTS_CLUSTER_H

#include "raft.h"

#define CL_MAX_NODES 8
#define CL_MAX_LOG 4096

typedef struct cl_ent { raft_term_t term; int id; int type; char *buf; unsigned len; } cl_ent_t;

struct cluster;

typedef struct cl_node {
    struct cluster *c;
    int id;                 /* node id, 1..n */
    int up;                 /* 0: crashed, receives and does nothing */
    raft_server_t *r;
    /* the application's copy of the log (payloads owned here) */
    cl_ent_t log[CL_MAX_LOG];
    raft_index_t base;      /* index before log[0] */
    int count;
    /* state machine: applied entry ids by index */
    int applied[CL_MAX_LOG];
    raft_index_t last_applied;
    /* persisted term/vote (what a restart would reload) */
    raft_term_t p_term;
    int p_vote;
    int sufficient_logs;    /* node ids reported by node_has_sufficient_logs, or 0 */
    int last_err;           /* last non-zero return from the library */
    int loading;            /* restart: log_offer re-attaches the persisted copy */
    /* extension events (raft_cbs_ext_t, registered on every server) */
    int n_state_events, last_state;
    int n_transfer_events, last_transfer;
} cl_node_t;

typedef struct cl_msg cl_msg_t;

typedef struct cluster {
    int n;
    cl_node_t *nodes[CL_MAX_NODES + 1];
    cl_msg_t *q;
    int qlen, qcap;
    int cut[CL_MAX_NODES + 1][CL_MAX_NODES + 1]; /* cut[a][b]: a->b dropped */
    unsigned rng;
    int drop_pct, dup_pct;
    long now;
    /* safety bookkeeping */
    int leader_of_term[1024];
    /* set by cl_configure: every server registers the extension table and
     * gets `configure` (may be NULL) when it is created or restarted */
    int extensions;
    void (*configure)(raft_server_t *r);
    int committed_id[CL_MAX_LOG];   /* id applied at each index (first applier) */
    int violations;
    char violation[256];
} cluster_t;

/* n servers with ids 1..n, all voting, election timeout 200 ms, request
 * timeout 50 ms, seeded; freed at the end of the test. */
cluster_t *cl_new(int n, unsigned seed);
/* Add a server that is not yet part of the cluster: it knows members 1..n
 * as voters and itself as non-voting (BEHAVIOUR.md "Joining nodes"). */
cl_node_t *cl_add_joiner(cluster_t *c);
raft_server_t *cl_r(cluster_t *c, int id);

/* Advance time by ms on every up server, then deliver queued messages
 * (including the responses they produce) until the queue is empty. */
void cl_tick(cluster_t *c, int ms);
void cl_run(cluster_t *c, int total_ms, int tick_ms);
/* Run until exactly one leader exists among up nodes (max `max_ms`). Returns id or -1. */
int cl_elect(cluster_t *c, int max_ms);
/* The unique up leader with the highest term, -1 if none. */
int cl_leader(cluster_t *c);
int cl_count_leaders(cluster_t *c);

/* Partition: isolate node from everyone (both directions) / heal all links. */
void cl_isolate(cluster_t *c, int id);
void cl_cut(cluster_t *c, int a, int b);   /* both directions */
void cl_heal(cluster_t *c);

/* Client request on node id; payload "v<id>". Returns raft_retain_entries' result. */
int cl_submit(cluster_t *c, int node, int entry_id, msg_entry_response_t *resp);
int cl_submit_cfg(cluster_t *c, int node, int entry_id, int type, int node_id, msg_entry_response_t *resp);

/* Crash and restart node id: a new raft server rebuilt from what was
 * persisted (term, vote, log; no compaction). Volatile state is lost. */
void cl_restart(cluster_t *c, int id);

/* Deliver the snapshot of `from` to `to` (what send_snapshot triggers). */
void cl_deliver_snapshot(cluster_t *c, int from, int to);

/* Make the cluster a program built with the extensions: every server
 * registers the extension table (TimeoutNow and read-index messages travel
 * on the wire, state and transfer events are recorded) and gets `configure`
 * (may be NULL), now and after every restart (options such as
 * raft_set_prevote are not persisted: a host sets them again). Without it
 * the cluster is a willemt program. */
void cl_configure(cluster_t *c, void (*configure)(raft_server_t *r));

/* Whether the logs of all up nodes agree on every index both hold (Log Matching). */
int cl_logs_match(cluster_t *c);

#endif
