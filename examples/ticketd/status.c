/* ticketd status.c: the bodies of GET /status (JSON) and GET /peers (text).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

const char *const drop_names[DROP_NUM] = {
    [DROP_WRONG_DEST] = "wrong_dest",
    [DROP_BAD_SENDER] = "bad_sender",
    [DROP_UNKNOWN_SENDER] = "unknown_sender",
    [DROP_BAD_SOURCE] = "bad_source",
    [DROP_INACTIVE_SENDER] = "inactive_sender",
    [DROP_VOTE_LEADER_ALIVE] = "vote_leader_alive",
    [DROP_STALE_SNAPSHOT] = "stale_snapshot",
    [DROP_STALE_REMOVAL] = "stale_removal",
    [DROP_RECV_ERROR] = "recv_error",
    [DROP_WRONG_CLUSTER] = "wrong_cluster",
    [DROP_BAD_AUTH] = "bad_auth",
    [DROP_ABSURD_TERM] = "absurd_term",
    [DROP_ABSURD_INDEX] = "absurd_index",
    [DROP_DISK_FULL] = "disk_full",
};

void sb_printf(sb_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        char *np = realloc(b->p, nc);
        if (!np)
            return;
        b->p = np;
        b->cap = nc;
    }
}

/* pre-vote rounds started (the library counts them: a pre-candidate whose
 * timer fires again starts another round without a change of state) */
uint64_t prevote_rounds(void)
{
    raft_stats_t st;
    memset(&st, 0, sizeof st);
    raft_get_stats(S.raft, &st, sizeof st);
    return st.prevotes_started;
}

const char *state_name(int st)
{
    switch (st) {
    case RAFT_STATE_FOLLOWER:
        return "follower";
    case RAFT_STATE_PRECANDIDATE:
        return "precandidate";
    case RAFT_STATE_CANDIDATE:
        return "candidate";
    case RAFT_STATE_LEADER:
        return "leader";
    default:
        return "none";
    }
}

uint64_t dropped_total(void)
{
    uint64_t total = 0;
    for (int i = 1; i < WIRE_E_NUM; i++)
        total += S.c.drop[i];
    for (int i = 0; i < DROP_NUM; i++)
        total += S.c.dropped[i];
    return total;
}

static const char *jbool(int v) { return v ? "true" : "false"; }

/* fields every state has */
static void status_common(sb_t *b)
{
    raft_server_t *r = S.raft;
    raft_node_t *me = raft_get_my_node(r);
    sb_printf(b,
              "{\"id\":%d,\"state\":\"%s\",\"term\":%ld,\"voted_for\":%d,\"leader\":%d,\"voting\":%s,"
              "\"commit_index\":%ld,\"applied_index\":%ld,\"current_index\":%ld,\"log_count\":%ld,"
              "\"first_index\":%ld,\"snapshot_index\":%ld,\"snapshot_term\":%ld,\"counter\":%" PRIu64
              ",\"sync\":\"%s\",\"log_level\":\"%s\",\"cluster\":\"%016" PRIx64 "\",\"authenticated\":%s"
              ",\"disk_full\":%s",
              S.id, state_name(raft_get_state(r)), (long)raft_get_current_term(r), raft_get_voted_for(r),
              raft_get_current_leader(r), jbool(me && raft_node_is_voting(me)), (long)raft_get_commit_idx(r),
              (long)raft_get_last_applied_idx(r), (long)raft_get_current_idx(r), (long)raft_get_log_count(r),
              (long)raft_get_first_entry_idx(r), (long)raft_get_snapshot_last_idx(r),
              (long)raft_get_snapshot_last_term(r), S.counter,
              sync_mode_name(),
              log_level_names[S.log_level], S.cluster_id, jbool(S.auth_key_len > 0), jbool(S.disk_full));
}

/* the fields of one role only: a follower's view of its leader, a
 * candidate's votes, the leader's readiness */
static void status_role(sb_t *b)
{
    raft_server_t *r = S.raft;
    switch (raft_get_state(r)) {
    case RAFT_STATE_FOLLOWER: {
        raft_node_t *ln = raft_get_current_leader_node(r);
        peer_t *lp = ln ? raft_node_get_udata(ln) : NULL;
        sb_printf(b, ",\"leader_http\":\"%s\",\"election_elapsed_ms\":%d", lp ? lp->http : "",
                  raft_get_timeout_elapsed(r));
        break;
    }
    case RAFT_STATE_PRECANDIDATE: /* asks for pre-votes: its votes count nothing yet */
    case RAFT_STATE_CANDIDATE:
        sb_printf(b, ",\"votes_for_me\":%d,\"election_elapsed_ms\":%d", raft_get_nvotes_for_me(r),
                  raft_get_timeout_elapsed(r));
        break;
    case RAFT_STATE_LEADER:
        sb_printf(b, ",\"leader_ready\":%s", jbool(leader_ready()));
        break;
    }
}

/* the other nodes; replication progress (next/match index, lag) only on the
 * leader, the one server that tracks it (Figure 2, "Volatile state on
 * leaders") */
static void status_peers(sb_t *b)
{
    raft_server_t *r = S.raft;
    int leader = raft_is_leader(r);
    int first = 1;
    sb_printf(b, ",\"peers\":[");
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &S.peers[i];
        raft_node_t *n = p->used && p->id != S.id ? raft_get_node(r, p->id) : NULL;
        if (!n)
            continue;
        sb_printf(b, "%s{\"id\":%d,\"raft\":\"%s\",\"http\":\"%s\",\"voting\":%s,\"active\":%s", first ? "" : ",",
                  p->id, p->raft, p->http, jbool(raft_node_is_voting(n)), jbool(raft_node_is_active(n)));
        if (leader)
            sb_printf(b, ",\"next_index\":%ld,\"match_index\":%ld,\"lag\":%ld", (long)raft_node_get_next_idx(n),
                      (long)raft_node_get_match_idx(n),
                      (long)(raft_get_current_idx(r) - raft_node_get_match_idx(n)));
        sb_printf(b, "}");
        first = 0;
    }
    sb_printf(b, "],\"members\":[");
    for (uint32_t i = 0; i < S.members.n_members; i++)
        sb_printf(b, "%s{\"id\":%d,\"voting\":%s}", i ? "," : "", S.members.members[i].id,
                  jbool(S.members.members[i].voting));
    sb_printf(b, "]");
}

static void status_counters(sb_t *b)
{
    sb_printf(b,
              ",\"counters\":{\"datagrams_received\":%" PRIu64 ",\"datagrams_sent\":%" PRIu64
              ",\"send_errors\":%" PRIu64 ",\"dropped\":{",
              S.c.rx, S.c.tx, S.c.tx_errors);
    for (int i = 1; i < WIRE_E_NUM; i++)
        sb_printf(b, "\"%s\":%" PRIu64 ",", wire_error_names[i], S.c.drop[i]);
    for (int i = 0; i < DROP_NUM; i++)
        sb_printf(b, "\"%s\":%" PRIu64 ",", drop_names[i], S.c.dropped[i]);
    sb_printf(b, "\"total\":%" PRIu64 "},", dropped_total());
    sb_printf(b,
              "\"partial_appendentries\":%" PRIu64 ",\"snapshots_sent\":%" PRIu64 ",\"snapshots_loaded\":%" PRIu64
              ",\"snapshots_taken\":%" PRIu64 ",\"tickets_issued\":%" PRIu64 ",\"batches_appended\":%" PRIu64
              ",\"batches_in_flight_max\":%" PRIu64 ",\"entries_applied\":%" PRIu64 ",\"store_commits\":%" PRIu64 ",\"http_requests\":%" PRIu64
              ",\"http_redirects\":%" PRIu64 ",\"http_unavailable\":%" PRIu64 ",\"http_bad_requests\":%" PRIu64
              ",\"http_retry\":%" PRIu64 ",\"elections_started\":%" PRIu64 ",\"elections_won\":%" PRIu64
              ",\"prevotes_started\":%" PRIu64 ",\"reads_ok\":%" PRIu64 ",\"reads_lease\":%" PRIu64
              ",\"reads_redirected\":%" PRIu64 ",\"reads_failed\":%" PRIu64 ",\"pending_reads\":%d"
              ",\"transfers_started\":%" PRIu64 ",\"leader_syncs\":%" PRIu64
              ",\"votes_unknown_candidate\":%" PRIu64 ",\"pending_clients\":%zu}",
              S.c.partial_appendentries, S.c.snapshots_sent, S.c.snapshots_loaded, S.c.snapshots_taken,
              S.c.tickets_issued, S.c.batches_appended, S.c.batches_in_flight_max, S.c.entries_applied, store_commits(S.store),
              S.c.http_requests, S.c.http_redirects, S.c.http_unavailable, S.c.http_bad_requests, S.c.http_retry,
              S.c.elections_started, S.c.elections_won, prevote_rounds(), S.c.reads_ok, S.c.reads_lease,
              S.c.reads_redirected, S.c.reads_failed, S.pending_reads, S.c.transfers_started, S.c.leader_syncs,
              S.c.votes_unknown_candidate, S.q_len);
}

char *status_json(void)
{
    sb_t b = {0};
    status_common(&b);
    status_role(&b);
    status_peers(&b);
    status_counters(&b);
    sb_printf(&b, "}\n");
    return b.p;
}

char *members_text(void)
{
    sb_t b = {0};
    int leader = raft_get_current_leader(S.raft);
    sb_printf(&b, "leader %d\ncluster %016" PRIx64 "\n", leader > 0 ? leader : 0, S.cluster_id);
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &S.peers[i];
        if (!p->used)
            continue;
        raft_node_t *n = p->id == S.id ? raft_get_my_node(S.raft) : raft_get_node(S.raft, p->id);
        if (!n || !raft_node_is_active(n))
            continue;
        sb_printf(&b, "member %d %s %s %s\n", p->id, raft_node_is_voting(n) ? "voter" : "nonvoter", p->raft,
                  p->http);
    }
    return b.p;
}
