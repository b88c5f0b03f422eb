/* ticketd status.c: the bodies of GET /status (JSON) and GET /peers (text).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

typedef struct {
    char *p;
    size_t len, cap;
} sb_t;

static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb_t *b, const char *fmt, ...)
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

const char *state_name(int st)
{
    switch (st) {
    case RAFT_STATE_FOLLOWER:
        return "follower";
    case RAFT_STATE_CANDIDATE:
        return "candidate";
    case RAFT_STATE_LEADER:
        return "leader";
    default:
        return "none";
    }
}

char *status_json(void)
{
    sb_t b = {0};
    raft_server_t *r = S.raft;
    raft_node_t *ln = raft_get_current_leader_node(r);
    peer_t *lp = ln ? raft_node_get_udata(ln) : NULL;
    raft_node_t *me = raft_get_my_node(r);
    sb_printf(&b,
              "{\"id\":%d,\"state\":\"%s\",\"term\":%ld,\"voted_for\":%d,\"leader\":%d,\"leader_http\":\"%s\","
              "\"voting\":%s,\"commit_index\":%ld,\"applied_index\":%ld,\"current_index\":%ld,"
              "\"log_count\":%ld,\"first_index\":%ld,\"snapshot_index\":%ld,\"snapshot_term\":%ld,"
              "\"counter\":%" PRIu64 ",\"sync\":\"%s\",\"peers\":[",
              S.id, state_name(raft_get_state(r)), (long)raft_get_current_term(r), raft_get_voted_for(r),
              raft_get_current_leader(r),
              raft_get_current_leader(r) == S.id ? S.http_addr : (lp ? lp->http : ""),
              me && raft_node_is_voting(me) ? "true" : "false", (long)raft_get_commit_idx(r),
              (long)raft_get_last_applied_idx(r), (long)raft_get_current_idx(r), (long)raft_get_log_count(r),
              (long)raft_get_first_entry_idx(r), (long)raft_get_snapshot_last_idx(r),
              (long)raft_get_snapshot_last_term(r), S.counter,
              S.sync_mode == SYNC_CALLBACK ? "callback" : S.sync_mode == SYNC_GROUP ? "group" : "off");
    int first = 1;
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &S.peers[i];
        if (!p->used || p->id == S.id)
            continue;
        raft_node_t *n = raft_get_node(r, p->id);
        if (!n)
            continue;
        sb_printf(&b,
                  "%s{\"id\":%d,\"raft\":\"%s\",\"http\":\"%s\",\"voting\":%s,\"active\":%s,"
                  "\"next_index\":%ld,\"match_index\":%ld}",
                  first ? "" : ",", p->id, p->raft, p->http, raft_node_is_voting(n) ? "true" : "false",
                  raft_node_is_active(n) ? "true" : "false", (long)raft_node_get_next_idx(n),
                  (long)raft_node_get_match_idx(n));
        first = 0;
    }
    sb_printf(&b, "],\"members\":[");
    for (uint32_t i = 0; i < S.members.n_members; i++)
        sb_printf(&b, "%s{\"id\":%d,\"voting\":%s}", i ? "," : "", S.members.members[i].id,
                  S.members.members[i].voting ? "true" : "false");
    sb_printf(&b, "],\"counters\":{\"datagrams_received\":%" PRIu64 ",\"datagrams_sent\":%" PRIu64
                  ",\"send_errors\":%" PRIu64 ",\"dropped\":{",
              S.c.rx, S.c.tx, S.c.tx_errors);
    uint64_t total = 0;
    for (int i = 1; i < WIRE_E_NUM; i++) {
        sb_printf(&b, "\"%s\":%" PRIu64 ",", wire_error_names[i], S.c.drop[i]);
        total += S.c.drop[i];
    }
    total += S.c.drop_wrong_dest + S.c.drop_bad_sender + S.c.drop_unknown_sender + S.c.drop_bad_source +
             S.c.drop_inactive_sender + S.c.drop_vote_leader_alive + S.c.drop_stale_snapshot + S.c.drop_recv_error +
             S.c.drop_stale_removal;
    sb_printf(&b,
              "\"wrong_dest\":%" PRIu64 ",\"bad_sender\":%" PRIu64 ",\"unknown_sender\":%" PRIu64
              ",\"bad_source\":%" PRIu64 ",\"inactive_sender\":%" PRIu64 ",\"vote_leader_alive\":%" PRIu64
              ",\"stale_snapshot\":%" PRIu64 ",\"stale_removal\":%" PRIu64 ",\"recv_error\":%" PRIu64
              ",\"total\":%" PRIu64 "},",
              S.c.drop_wrong_dest, S.c.drop_bad_sender, S.c.drop_unknown_sender, S.c.drop_bad_source,
              S.c.drop_inactive_sender, S.c.drop_vote_leader_alive, S.c.drop_stale_snapshot, S.c.drop_stale_removal,
              S.c.drop_recv_error, total);
    sb_printf(&b,
              "\"partial_appendentries\":%" PRIu64 ",\"snapshots_sent\":%" PRIu64 ",\"snapshots_loaded\":%" PRIu64 ",\"snapshots_taken\":%" PRIu64
              ",\"tickets_issued\":%" PRIu64 ",\"batches_appended\":%" PRIu64 ",\"entries_applied\":%" PRIu64
              ",\"store_commits\":%" PRIu64 ",\"http_requests\":%" PRIu64 ",\"http_redirects\":%" PRIu64
              ",\"http_unavailable\":%" PRIu64 ",\"http_bad_requests\":%" PRIu64 ",\"http_retry\":%" PRIu64
              ",\"elections_won\":%" PRIu64 ",\"votes_unknown_candidate\":%" PRIu64
              ",\"pending_clients\":%zu}}\n",
              S.c.partial_appendentries, S.c.snapshots_sent, S.c.snapshots_loaded, S.c.snapshots_taken, S.c.tickets_issued,
              S.c.batches_appended, S.c.entries_applied, store_commits(S.store), S.c.http_requests,
              S.c.http_redirects, S.c.http_unavailable, S.c.http_bad_requests, S.c.http_retry, S.c.elections_won,
              S.c.votes_unknown_candidate, S.q_len);
    return b.p;
}


void members_text(char *out, size_t len)
{
    size_t off = 0;
    off += (size_t)snprintf(out + off, len - off, "leader %d\n", S.id);
    for (int i = 0; i < MAX_PEERS && off < len; i++) {
        peer_t *p = &S.peers[i];
        if (!p->used)
            continue;
        raft_node_t *n = p->id == S.id ? raft_get_my_node(S.raft) : raft_get_node(S.raft, p->id);
        if (!n || !raft_node_is_active(n))
            continue;
        off += (size_t)snprintf(out + off, len - off, "member %d %s %s %s\n", p->id,
                                raft_node_is_voting(n) ? "voter" : "nonvoter", p->raft, p->http);
    }
}

