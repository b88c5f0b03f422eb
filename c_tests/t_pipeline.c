/* Replication flow control and the hot-path options (issue 13): pipelining
 * with probe/replicate states, the per-message byte budget, the bound on the
 * uncommitted log, parallel leader log writes and batched proposals. Each
 * test is named after the rule it checks; all are off by default. */
#include "fixture.h"

#include <string.h>

/* A leader of term 1 with peers 2 and 3 known to match at index 0
 * (replicate state), with a window of `window` messages. */
static fx_t *pipelined_leader(int window)
{
    fx_t *f = fx_new(1, 3);
    raft_set_max_inflight_msgs(f->r, window);
    fx_elect(f);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 1, 0, 1, 0), 0);
    ASSERT_EQ(fx_recv_aer_at(f, 3, 1, 1, 0, 1, 0), 0);
    fx_clear_rec(f);
    return f;
}

TEST(test_stop_and_wait_is_the_default_one_message_in_flight)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(raft_get_max_inflight_msgs(f->r), 1);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(fx_retain(f, 3, NULL), 0);
    /* Only the first entry went to each follower: the rest waits for answers. */
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1);
}

TEST(test_pipelining_streams_within_the_window_without_waiting)
{
    fx_t *f = pipelined_leader(3);
    int i;
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    /* Three messages of one entry each are in flight; the window is full. */
    ASSERT_EQ(fx_count_ae_to(f, 2), 3);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 2);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 4);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 0);
    /* An answer frees the window: the rest goes out in one message. */
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 1, 1, 1, 0), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 3);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 2);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
}

TEST(test_pipelining_rejection_sends_the_peer_back_to_probing)
{
    fx_t *f = pipelined_leader(4);
    int i;
    for (i = 1; i <= 3; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 4);
    fx_clear_rec(f);
    /* The message after index 1 did not match: the peer holds nothing. */
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 0, 2, 0), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 1);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 0);
    /* Probing: one message at a time until it is answered. */
    ASSERT_EQ(fx_retain(f, 4, NULL), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    /* A stale rejection (of a point since matched) is ignored. */
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 1, 4, 1, 0), 0);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 0, 2, 0), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 4);
    ASSERT_EQ(fx_count_ae_to(f, 2), 0);
}

/* A rejection is acted on once: a duplicate of it, or the rejection of a
 * message sent before the probe, sends nothing (found by the simulator: on
 * links that duplicate, every copy sent a probe, whose answer was
 * duplicated in turn, until the queues held millions of messages). */
TEST(test_pipelining_duplicate_rejection_sends_no_second_probe)
{
    fx_t *f = pipelined_leader(3);
    int i;
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    fx_clear_rec(f);
    /* the message after index 2 did not match; the peer holds 1 entry */
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 1, 3, 0), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 1);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 1, 3, 0), 0); /* the same answer again */
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 1, 4, 0), 0); /* the answer to a later message */
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    /* the probe's own answer moves on */
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 1, 5, 2, 0), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 5);
    ASSERT_EQ(raft_get_commit_idx(f->r), 5);
    /* and a stale copy of an old success changes nothing */
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 1, 3, 2, 0), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 2)), 5);
}

TEST(test_stop_and_wait_duplicate_rejection_sends_nothing)
{
    fx_t *f = fx_new(1, 3);
    int i;
    fx_elect(f);
    for (i = 1; i <= 3; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    raft_node_set_next_idx(fx_node(f, 2), 4);
    fx_clear_rec(f);
    /* the message at next index 4 did not match; the peer holds 1 entry */
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 1, 4, 0), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 1);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 1, 4, 0), 0); /* a duplicate */
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 2)), 2);
    /* a transport that does not carry first_idx (0) is not checked */
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 0, 1, 0, 0), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 2);
}

TEST(test_pipelining_heartbeat_finds_a_lost_message)
{
    fx_t *f = pipelined_leader(4);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(raft_node_get_next_idx(fx_node(f, 3)), 2);
    fx_clear_rec(f);
    /* The message was lost: the heartbeat is anchored at next_idx - 1 = 1. */
    ASSERT_EQ(raft_periodic(f->r, 200), 0);
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.prev_log_idx, 1);
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.n_entries, 0);
    /* The peer rejects it; the leader probes from the start again. */
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer_at(f, 3, 1, 0, 0, 2, 0), 0);
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.prev_log_idx, 0);
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.n_entries, 1);
}

TEST(test_pipelining_peer_being_sent_a_snapshot_gets_no_entries)
{
    fx_t *f = fx_new(1, 3);
    int i;
    raft_set_max_inflight_msgs(f->r, 4);
    fx_elect(f);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 1, 0, 1, 0), 0);
    for (i = 1; i <= 3; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    ASSERT_EQ(fx_recv_aer_at(f, 2, 1, 1, 3, 1, 0), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 3);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    /* Node 3 never answered: its next entry is compacted away. */
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 200), 0);
    ASSERT_EQ(f->n_snap, 1);
    ASSERT_EQ(f->snap[0], 3);
    fx_clear_rec(f);
    ASSERT_EQ(fx_retain(f, 4, NULL), 0);
    ASSERT_EQ(fx_count_ae_to(f, 3), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    /* Once it loaded the snapshot, its answer moves it to replicating. */
    ASSERT_EQ(fx_recv_aer_at(f, 3, 1, 1, 3, 4, 0), 0);
    ASSERT_EQ(raft_node_get_match_idx(fx_node(f, 3)), 3);
    ASSERT_EQ(fx_count_ae_to(f, 3), 1);
    ASSERT_EQ(fx_last_ae_to(f, 3)->m.prev_log_idx, 3);
}

TEST(test_max_msg_bytes_caps_payload_but_always_sends_one_entry)
{
    fx_t *f = fx_new(1, 3);
    int i;
    fx_elect(f);
    raft_set_max_msg_bytes(f->r, 20); /* fx entries carry 8 bytes */
    ASSERT_EQ(raft_get_max_msg_bytes(f->r), 20);
    for (i = 1; i <= 5; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 200), 0);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 2);
    raft_set_max_msg_bytes(f->r, 1);
    fx_clear_rec(f);
    ASSERT_EQ(raft_periodic(f->r, 200), 0);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1);
}

TEST(test_uncommitted_bound_refuses_proposals_but_never_empty_or_configuration_entries)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t empty;
    fx_elect(f);
    raft_set_max_uncommitted_bytes(f->r, 20);
    ASSERT_EQ(raft_get_max_uncommitted_bytes(f->r), 20);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    ASSERT_EQ(raft_get_uncommitted_bytes(f->r), 16);
    ASSERT_EQ(fx_retain(f, 3, NULL), RAFT_ERR_UNCOMMITTED_LIMIT);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
    memset(&empty, 0, sizeof(empty));
    ASSERT_EQ(raft_retain_entries(f->r, &empty, NULL), 0);
    ASSERT_EQ(fx_retain_cfg(f, 4, RAFT_LOGTYPE_ADD_NONVOTING_NODE, 4, NULL), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 4);
    /* Committing releases the bytes. */
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 4), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 4);
    ASSERT_EQ(raft_get_uncommitted_bytes(f->r), 0);
    ASSERT_EQ(fx_retain(f, 5, NULL), 0);
}

TEST(test_uncommitted_bound_admits_a_large_entry_when_nothing_is_uncommitted)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    raft_set_max_uncommitted_bytes(f->r, 4);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), RAFT_ERR_UNCOMMITTED_LIMIT);
    ASSERT(strcmp(raft_get_error_str(RAFT_ERR_UNCOMMITTED_LIMIT), "unknown error") != 0);
}

TEST(test_parallel_log_writes_leader_counts_its_log_only_up_to_flush)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    raft_set_parallel_log_writes(f->r, 1);
    ASSERT_EQ(raft_get_parallel_log_writes(f->r), 1);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_retain(f, 2, NULL), 0);
    /* The appendentries left at once; the leader's own write is pending. */
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(raft_get_synced_idx(f->r), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 2), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
    ASSERT_EQ(raft_flush(f->r, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
    ASSERT_EQ(raft_flush(f->r, 99), 0);
    ASSERT_EQ(raft_get_synced_idx(f->r), 2);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2);
    ASSERT_EQ(raft_flush(f->r, -1), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_flush(NULL, 1), RAFT_ERR_INVALID);
}

/* The log keeps its entries in chunks of 1,024 that never move once full
 * (src/log.rs): one appendentries carries one C array, so a catch-up
 * message ends where a chunk ends and the next one carries on. */
TEST(test_a_message_carries_entries_from_one_chunk_of_the_log)
{
    fx_t *f = fx_new(1, 3);
    int i;
    raft_entry_t *first;
    fx_elect(f);
    for (i = 1; i <= 2500; i++)
        ASSERT_EQ(fx_retain(f, i, NULL), 0);
    first = raft_get_entry_from_idx(f->r, 1);
    ASSERT(first != NULL);
    ASSERT_EQ(first->id, 1);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1023);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1024), 0);
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 1024);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1024);
    fx_clear_rec(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 2048), 0);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.prev_log_idx, 2048);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 452);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 2500), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 2500);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1024)->id, 1024);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1025)->id, 1025);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 2500)->id, 2500);
    ASSERT(raft_get_entry_from_idx(f->r, 2501) == NULL);
    ASSERT(raft_get_entry_from_idx(f->r, 1) == first); /* never moved */
}

TEST(test_parallel_log_writes_off_every_offer_counts_at_once)
{
    fx_t *f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(raft_get_synced_idx(f->r), 1);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 1);
}

static void normal_entries(msg_entry_t *e, int n)
{
    int i;
    memset(e, 0, sizeof(*e) * (size_t)n);
    for (i = 0; i < n; i++) {
        e[i].id = 100 + i;
        e[i].data.buf = fx_payload;
        e[i].data.len = 8;
    }
}

TEST(test_retain_entries_batch_appends_in_order_and_sends_once)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e[4];
    msg_entry_response_t r[4];
    int i;
    fx_elect(f);
    normal_entries(e, 4);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 4, r), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 4);
    ASSERT_EQ(f->n_offered, 4);
    for (i = 0; i < 4; i++) {
        ASSERT_EQ(r[i].idx, i + 1);
        ASSERT_EQ(r[i].id, 100 + i);
        ASSERT_EQ(r[i].term, 1);
        ASSERT_EQ(e[i].term, 1);
    }
    ASSERT_EQ(fx_count_ae_to(f, 2), 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 4);
    ASSERT_EQ(raft_msg_entry_response_committed(f->r, &r[3]), 0);
}

TEST(test_retain_entries_batch_stops_at_the_first_refused_entry)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e[3];
    msg_entry_response_t r[3];
    fx_append(f, 1, 1);
    fx_make_leader_at(f, 2);
    normal_entries(e, 3);
    /* A voting change before an entry of term 2 commits is refused. */
    e[1].type = RAFT_LOGTYPE_ADD_NODE;
    e[1].data.buf = fx_node_id_payload(4);
    e[1].data.len = sizeof(int);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 3, r), RAFT_ERR_ONE_VOTING_CHANGE_ONLY);
    ASSERT_EQ(r[0].idx, 2);
    ASSERT_EQ(r[1].idx, 0);
    ASSERT_EQ(r[2].idx, 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
}

TEST(test_retain_entries_batch_refuses_bad_arguments_and_non_leaders)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e[2];
    msg_entry_response_t r[2];
    normal_entries(e, 2);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 2, r), RAFT_ERR_NOT_LEADER);
    ASSERT_EQ(r[0].idx, 0);
    ASSERT_EQ(raft_retain_entries_batch(f->r, NULL, 2, r), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, -1, r), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_retain_entries_batch(NULL, e, 2, r), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 0, NULL), 0);
    fx_elect(f);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 2, NULL), 0);
    ASSERT_EQ(raft_get_current_idx(f->r), 2);
}

TEST(test_replication_options_ignore_null_servers)
{
    raft_set_max_inflight_msgs(NULL, 4);
    raft_set_max_msg_bytes(NULL, 4);
    raft_set_max_uncommitted_bytes(NULL, 4);
    raft_set_parallel_log_writes(NULL, 1);
    ASSERT_EQ(raft_get_max_inflight_msgs(NULL), RAFT_ERR_INVALID);
    ASSERT_EQ(raft_get_max_msg_bytes(NULL), 0);
    ASSERT_EQ(raft_get_uncommitted_bytes(NULL), 0);
    ASSERT_EQ(raft_get_synced_idx(NULL), 0);
}
