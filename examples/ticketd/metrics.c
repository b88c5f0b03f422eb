/* ticketd metrics.c: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4): one "# HELP" and one "# TYPE" line per metric family,
 * then its samples; counters end in _total.
 *
 * Gauges: term, state (one sample per state word, 1 for the current one),
 * commit/applied/current/snapshot index, last ticket, and on the leader
 * only the replication lag (entries) of every peer.  Counters: tickets
 * issued, elections started and won, datagrams sent and received by
 * message type, datagrams dropped by reason, snapshots, store commits,
 * HTTP requests.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>

#include "ticketd.h"

static void family(sb_t *b, const char *name, const char *type, const char *help)
{
    sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(sb_t *b, const char *name, const char *help, int64_t v)
{
    family(b, name, "gauge", help);
    sb_printf(b, "%s %" PRId64 "\n", name, v);
}

static void counter(sb_t *b, const char *name, const char *help, uint64_t v)
{
    family(b, name, "counter", help);
    sb_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void raft_gauges(sb_t *b)
{
    raft_server_t *r = S.raft;
    gauge(b, "ticketd_node_id", "This node's id.", S.id);
    gauge(b, "ticketd_term", "Current Raft term.", raft_get_current_term(r));
    family(b, "ticketd_state", "gauge", "1 for the node's current Raft state, 0 for the others.");
    static const int states[] = {RAFT_STATE_FOLLOWER, RAFT_STATE_PRECANDIDATE, RAFT_STATE_CANDIDATE,
                                 RAFT_STATE_LEADER};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        sb_printf(b, "ticketd_state{state=\"%s\"} %d\n", state_name(states[i]), raft_get_state(r) == states[i]);
    gauge(b, "ticketd_leader_id", "Id of the leader this node knows of (0: none).",
          raft_get_current_leader(r) > 0 ? raft_get_current_leader(r) : 0);
    gauge(b, "ticketd_commit_index", "Highest log index known to be committed.", raft_get_commit_idx(r));
    gauge(b, "ticketd_applied_index", "Highest log index applied to the ticket counter.",
          raft_get_last_applied_idx(r));
    gauge(b, "ticketd_current_index", "Index of the last entry in the log.", raft_get_current_idx(r));
    gauge(b, "ticketd_snapshot_index", "Last index the snapshot covers.", raft_get_snapshot_last_idx(r));
    gauge(b, "ticketd_last_ticket", "Last ticket issued by the applied state.", (int64_t)S.counter);
    if (!raft_is_leader(r))
        return;
    family(b, "ticketd_peer_lag_entries", "gauge", "Leader only: entries the peer's log lacks (current - match index).");
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &S.peers[i];
        raft_node_t *n = p->used && p->id != S.id ? raft_get_node(r, p->id) : NULL;
        if (n)
            sb_printf(b, "ticketd_peer_lag_entries{peer=\"%d\"} %ld\n", p->id,
                      (long)(raft_get_current_idx(r) - raft_node_get_match_idx(n)));
    }
}

static void message_counters(sb_t *b)
{
    family(b, "ticketd_messages_sent_total", "counter", "Datagrams sent, by message type.");
    for (int t = 1; t < WIRE_T_NUM; t++)
        sb_printf(b, "ticketd_messages_sent_total{type=\"%s\"} %" PRIu64 "\n", wire_type_names[t], S.c.tx_type[t]);
    family(b, "ticketd_messages_received_total", "counter",
           "Datagrams received and accepted (after every check), by message type.");
    for (int t = 1; t < WIRE_T_NUM; t++)
        sb_printf(b, "ticketd_messages_received_total{type=\"%s\"} %" PRIu64 "\n", wire_type_names[t],
                  S.c.rx_type[t]);
    family(b, "ticketd_datagrams_dropped_total", "counter", "Datagrams dropped, by reason.");
    for (int i = 1; i < WIRE_E_NUM; i++)
        sb_printf(b, "ticketd_datagrams_dropped_total{reason=\"%s\"} %" PRIu64 "\n", wire_error_names[i],
                  S.c.drop[i]);
    for (int i = 0; i < DROP_NUM; i++)
        sb_printf(b, "ticketd_datagrams_dropped_total{reason=\"%s\"} %" PRIu64 "\n", drop_names[i],
                  S.c.dropped[i]);
    counter(b, "ticketd_send_errors_total", "Datagrams the socket refused to send.", S.c.tx_errors);
}

char *metrics_text(void)
{
    sb_t b = {0};
    raft_gauges(&b);
    counter(&b, "ticketd_tickets_issued_total", "Tickets this node answered to clients.", S.c.tickets_issued);
    counter(&b, "ticketd_elections_started_total", "Elections this node started as a candidate.",
            S.c.elections_started);
    counter(&b, "ticketd_elections_won_total", "Elections this node won.", S.c.elections_won);
    counter(&b, "ticketd_prevotes_started_total", "Pre-vote rounds this node started.", prevote_rounds());
    counter(&b, "ticketd_reads_total", "GET /ticket reads answered with the state (lease or read index).",
            S.c.reads_ok);
    counter(&b, "ticketd_reads_failed_total", "GET /ticket reads answered 503 (not confirmed in time).",
            S.c.reads_failed);
    counter(&b, "ticketd_entries_applied_total", "Log entries applied.", S.c.entries_applied);
    counter(&b, "ticketd_snapshots_taken_total", "Snapshots taken (log compactions).", S.c.snapshots_taken);
    counter(&b, "ticketd_snapshots_sent_total", "Snapshots sent to lagging peers.", S.c.snapshots_sent);
    counter(&b, "ticketd_snapshots_loaded_total", "Snapshots received and loaded.", S.c.snapshots_loaded);
    counter(&b, "ticketd_store_commits_total", "Store commits that wrote anything (an LMDB commit and/or a log append; synced unless --sync off).",
            store_commits(S.store));
    counter(&b, "ticketd_http_requests_total", "HTTP requests received.", S.c.http_requests);
    message_counters(&b);
    return b.p;
}
