/* Log levels (issue 15): raft_set_log_level filters what reaches the log
 * callback; the default passes everything, as willemt does. */
#include "fixture.h"

#include <string.h>

static struct {
    int n;
    int becoming;   /* role-change messages (INFO) */
    int replication; /* appendentries traffic (TRACE) */
} logged;

static void count_log(raft_server_t *r, raft_node_t *node, void *ud, const char *buf)
{
    (void)r; (void)node; (void)ud;
    logged.n++;
    logged.becoming += strstr(buf, "becoming") != NULL;
    logged.replication += strstr(buf, "appendentries") != NULL;
}

static fx_t *logging_server(int level)
{
    fx_t *f = fx_new(1, 3);
    memset(&logged, 0, sizeof(logged));
    f->cbs.log = count_log;
    raft_set_callbacks(f->r, &f->cbs, f);
    if (level)
        raft_set_log_level(f->r, level);
    return f;
}

static void election_and_traffic(fx_t *f)
{
    static const raft_term_t T[] = {1};
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    raft_become_follower(f->r);
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 1, 1, 1, T, 1, NULL), 0);
}

TEST(test_log_level_default_passes_every_message_as_willemt)
{
    fx_t *f = logging_server(0);
    ASSERT_EQ(raft_get_log_level(f->r), RAFT_LOG_TRACE);
    election_and_traffic(f);
    ASSERT_GT(logged.becoming, 0);
    ASSERT_GT(logged.replication, 0);
}

TEST(test_log_level_info_keeps_role_changes_and_drops_replication_traffic)
{
    fx_t *f = logging_server(RAFT_LOG_INFO);
    ASSERT_EQ(raft_get_log_level(f->r), RAFT_LOG_INFO);
    election_and_traffic(f);
    ASSERT_GT(logged.becoming, 0);
    ASSERT_EQ(logged.replication, 0);
}

TEST(test_log_level_error_passes_nothing_in_a_healthy_run)
{
    fx_t *f = logging_server(RAFT_LOG_ERROR);
    election_and_traffic(f);
    ASSERT_EQ(logged.n, 0);
}

TEST(test_log_level_error_still_reports_a_conflict_with_a_committed_entry)
{
    static const raft_term_t T1[] = {1, 1};
    static const raft_term_t T2[] = {2};
    fx_t *f = logging_server(RAFT_LOG_ERROR);
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 2, T1, 2, NULL), 0);
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 1, 1, 2, T2, 1, NULL), RAFT_ERR_SHUTDOWN);
    ASSERT_EQ(logged.n, 1);
}

TEST(test_log_level_out_of_range_values_are_clamped)
{
    fx_t *f = logging_server(-7);
    ASSERT_EQ(raft_get_log_level(f->r), RAFT_LOG_ERROR);
    raft_set_log_level(f->r, 99);
    ASSERT_EQ(raft_get_log_level(f->r), RAFT_LOG_TRACE);
    raft_set_log_level(NULL, 3);
    ASSERT_EQ(raft_get_log_level(NULL), RAFT_ERR_INVALID);
}
