/* Single-server fixture: a raft server whose callbacks record every call
 * (sent messages, persisted term/vote, log offer/pop/poll/clear/apply,
 * membership events) and can be told to fail. Tests drive it by hand. */
#ifndef C_TESTS_FIXTURE_H
#define C_TESTS_FIXTURE_H

#include "raft.h"
#include "harness.h"

#define FX_MAX_REC 256
#define FX_MAX_AE_ENTRIES 16

typedef struct { int node; msg_requestvote_t m; } fx_rv_t;
typedef struct {
    int node;
    msg_appendentries_t m;                 /* m.entries is NULL: see e[] */
    raft_entry_t e[FX_MAX_AE_ENTRIES];     /* struct copies of the first entries */
} fx_ae_t;
typedef struct { raft_entry_t e; raft_index_t idx; } fx_ent_t;
typedef struct { int node; int type; int has_entry; int entry_type; } fx_mem_t;

typedef struct fx {
    raft_server_t *r;
    raft_cbs_t cbs;

    fx_rv_t rv[FX_MAX_REC]; int n_rv;
    fx_ae_t ae[FX_MAX_REC]; int n_ae;
    int snap[FX_MAX_REC]; int n_snap;
    fx_ent_t applied[FX_MAX_REC]; int n_applied;
    fx_ent_t offered[FX_MAX_REC]; int n_offered;
    fx_ent_t popped[FX_MAX_REC]; int n_popped;
    fx_ent_t polled[FX_MAX_REC]; int n_polled;
    fx_ent_t cleared[FX_MAX_REC]; int n_cleared;
    struct { raft_term_t term; int vote; } pterm[FX_MAX_REC]; int n_pterm;
    int pvote[FX_MAX_REC]; int n_pvote;
    fx_mem_t mem[FX_MAX_REC]; int n_mem;
    int suff[FX_MAX_REC]; int n_suff;
    int n_log_msgs;

    /* failure injection: the callback returns this value when non-zero */
    int fail_persist_term, fail_persist_vote, fail_offer, fail_pop, fail_poll,
        fail_apply, fail_send_ae, fail_send_rv, fail_suff;
    raft_index_t fail_offer_at;   /* if > 0, log_offer fails only for this index */
    raft_index_t fail_apply_at;   /* if > 0, log_apply fails only for this index */
    void *repoint_buf;            /* if set, log_offer repoints entry->data.buf here */
    int reenter;                  /* log_offer / log_apply read state back from the server */
    int reenter_nodeid, reenter_term_ok;
    int promote_in_suff;          /* node_has_sufficient_logs retains ADD_NODE itself (ticketd style) */
    int promote_ret;              /* what that raft_retain_entries returned */
    int host_membership;          /* log_offer adds/removes nodes itself (seed doc style) */
} fx_t;

/* A server with nodes 1..n (voting), `self` being ours; election timeout 1000,
 * request timeout 200, fixed seed. Freed automatically at the end of the test. */
fx_t *fx_new(int self, int n);
/* A server with no nodes at all. */
fx_t *fx_new_empty(void);
raft_node_t *fx_node(fx_t *f, int id);
void fx_clear_rec(fx_t *f);

/* Make f leader by a real election (become_candidate + granted votes). */
void fx_elect(fx_t *f);
/* Set term then become leader directly (raft_set_current_term + raft_become_leader). */
void fx_make_leader_at(fx_t *f, raft_term_t term);

/* Append an entry with raft_append_entry (no term change). */
void fx_append(fx_t *f, raft_term_t term, int id);
void fx_append_cfg(fx_t *f, raft_term_t term, int id, int type, int node_id);

/* Leader-side: client entry via raft_retain_entries; returns its result. */
int fx_retain(fx_t *f, int id, msg_entry_response_t *resp);
int fx_retain_cfg(fx_t *f, int id, int type, int node_id, msg_entry_response_t *resp);

/* Follower-side: appendentries from node `from` carrying n entries with the
 * given terms (ids 100+index). Returns raft_recv_appendentries' result. */
int fx_recv_ae(fx_t *f, int from, raft_term_t term, raft_index_t prev_idx, raft_term_t prev_term,
               raft_index_t commit, const raft_term_t *terms, int n, msg_appendentries_response_t *resp);
/* Leader-side: appendentries response from `from` (first_idx 0, no hint). */
int fx_recv_aer(fx_t *f, int from, raft_term_t term, int success, raft_index_t current_idx);
/* The same with the request's first index and the reject hint's term. */
int fx_recv_aer_at(fx_t *f, int from, raft_term_t term, int success, raft_index_t current_idx,
                   raft_index_t first_idx, raft_term_t hint_term);
/* Candidate-side: vote response. */
int fx_recv_vote(fx_t *f, int from, raft_term_t term, int granted);
/* Voter-side: requestvote from `from` (node looked up by id; NULL if unknown). */
int fx_recv_rv(fx_t *f, int from, raft_term_t term, raft_index_t last_idx, raft_term_t last_term,
               msg_requestvote_response_t *resp);

/* Number of recorded appendentries / requestvotes sent to node id. */
int fx_count_ae_to(fx_t *f, int node);
int fx_count_rv_to(fx_t *f, int node);
/* Last recorded appendentries to node (NULL if none). */
fx_ae_t *fx_last_ae_to(fx_t *f, int node);

/* Node-id payloads for configuration entries (log_get_node_id reads an int). */
void *fx_node_id_payload(int node_id);
/* Static, never-freed payload bytes for normal entries. */
extern char fx_payload[64];

#endif
