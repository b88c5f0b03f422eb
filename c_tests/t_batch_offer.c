/* The batched offer (issue 13) and the levelled log callback (issue 15) of
 * the extension table: one log_offer_batch call per run of entries appended
 * together, with log_offer's timing; a level passed with each message. */
#include "fixture.h"

#include <stddef.h>
#include <string.h>

static struct {
    int calls, entries, fail;
    raft_index_t first, current_in_call, last_n;
    void *repoint;
} batch;

static int offer_batch(raft_server_t *r, void *ud, raft_entry_t *es, raft_index_t first, int n)
{
    int i;
    (void)ud;
    batch.calls++;
    batch.entries += n;
    batch.first = first;
    batch.last_n = n;
    batch.current_in_call = raft_get_current_idx(r);
    if (batch.fail)
        return batch.fail;
    for (i = 0; batch.repoint && i < n; i++)
        es[i].data.buf = batch.repoint;
    return 0;
}

static fx_t *batching_server(void)
{
    fx_t *f = fx_new(1, 3);
    raft_cbs_ext_t ext;
    memset(&ext, 0, sizeof(ext));
    memset(&batch, 0, sizeof(batch));
    ext.log_offer_batch = offer_batch;
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    return f;
}

static void entries_of(msg_entry_t *e, int n)
{
    int i;
    memset(e, 0, sizeof(*e) * (size_t)n);
    for (i = 0; i < n; i++) {
        e[i].id = i + 1;
        e[i].data.buf = fx_payload;
        e[i].data.len = 8;
    }
}

TEST(test_batched_offer_persists_a_batch_of_proposals_in_one_call)
{
    fx_t *f = batching_server();
    msg_entry_t e[5];
    msg_entry_response_t r[5];
    static char elsewhere[8];
    fx_elect(f);
    entries_of(e, 5);
    batch.repoint = elsewhere;
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 5, r), 0);
    ASSERT_EQ(batch.calls, 1);
    ASSERT_EQ(batch.entries, 5);
    ASSERT_EQ(batch.first, 1);
    ASSERT_EQ(batch.current_in_call, 0); /* none counted during the call */
    ASSERT_EQ(f->n_offered, 0);          /* log_offer is not called */
    ASSERT_EQ(raft_get_current_idx(f->r), 5);
    ASSERT_PTR_EQ(raft_get_entry_from_idx(f->r, 3)->data.buf, elsewhere);
    ASSERT_EQ(r[4].idx, 5);
}

/* A batch longer than the log's chunks (1,024 entries) lands in order, with
 * each entry as the offer left it, and a follower's offered run is held as
 * it came. */
TEST(test_batched_offer_of_a_batch_longer_than_a_chunk)
{
    enum { N = 2600 };
    static msg_entry_t e[N];
    static msg_entry_response_t r[N];
    static char elsewhere[8];
    fx_t *f = batching_server();
    raft_index_t i;
    fx_elect(f);
    entries_of(e, 3);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 3, r), 0); /* not aligned to a chunk */
    entries_of(e, N);
    batch.repoint = elsewhere;
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, N, r), 0);
    ASSERT_EQ(batch.calls, 2);
    ASSERT_EQ(batch.first, 4);
    ASSERT_EQ(batch.last_n, N);
    ASSERT_EQ(raft_get_current_idx(f->r), N + 3);
    for (i = 4; i <= N + 3; i++) {
        raft_entry_t *got = raft_get_entry_from_idx(f->r, i);
        ASSERT_NOT_NULL(got);
        ASSERT_EQ(got->id, i - 3);
        ASSERT_EQ(got->term, raft_get_current_term(f->r));
        ASSERT_PTR_EQ(got->data.buf, elsewhere);
    }
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->id, 1);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, N + 4));
    ASSERT_EQ(r[N - 1].idx, N + 3);
}

TEST(test_batched_offer_failure_appends_none_of_the_batch)
{
    fx_t *f = batching_server();
    msg_entry_t e[3];
    msg_entry_response_t r[3];
    fx_elect(f);
    entries_of(e, 3);
    batch.fail = -77;
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 3, r), -77);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(r[0].idx, 0);
    ASSERT_EQ(f->n_ae, 0);
}

TEST(test_batched_offer_takes_the_new_entries_of_an_appendentries_at_once)
{
    static const raft_term_t T[] = {1, 1, 1, 1};
    fx_t *f = batching_server();
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, T, 2, NULL), 0);
    ASSERT_EQ(batch.calls, 1);
    ASSERT_EQ(batch.last_n, 2);
    /* Entries 1 and 2 are already held: only 3 and 4 are offered. */
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, T, 4, NULL), 0);
    ASSERT_EQ(batch.calls, 2);
    ASSERT_EQ(batch.first, 3);
    ASSERT_EQ(batch.last_n, 2);
    ASSERT_EQ(raft_get_current_idx(f->r), 4);
}

TEST(test_batched_offer_failure_on_a_follower_reports_what_it_holds)
{
    static const raft_term_t T[] = {1, 1, 1};
    fx_t *f = batching_server();
    msg_appendentries_response_t resp;
    batch.fail = -5;
    ASSERT_EQ(fx_recv_ae(f, 2, 1, 0, 0, 0, T, 3, &resp), -5);
    ASSERT_EQ(raft_get_current_idx(f->r), 0);
    ASSERT_EQ(resp.current_idx, 0);
}

TEST(test_batched_proposals_split_around_a_configuration_entry)
{
    fx_t *f = batching_server();
    msg_entry_t e[4];
    msg_entry_response_t r[4];
    fx_elect(f);
    entries_of(e, 4);
    e[2].type = RAFT_LOGTYPE_ADD_NONVOTING_NODE;
    e[2].data.buf = fx_node_id_payload(4);
    e[2].data.len = sizeof(int);
    ASSERT_EQ(raft_retain_entries_batch(f->r, e, 4, r), 0);
    /* [1 2] then [3: the configuration entry] then [4]. */
    ASSERT_EQ(batch.calls, 3);
    ASSERT_EQ(batch.entries, 4);
    ASSERT_NOT_NULL(fx_node(f, 4));
    ASSERT_EQ(r[3].idx, 4);
}

static struct {
    int n, last_level, info, trace;
} leveled;

static void log_leveled(raft_server_t *r, raft_node_t *node, void *ud, int level, const char *buf)
{
    (void)r; (void)node; (void)ud;
    leveled.n++;
    leveled.last_level = level;
    leveled.info += level == RAFT_LOG_INFO && strstr(buf, "becoming") != NULL;
    leveled.trace += level == RAFT_LOG_TRACE;
}

TEST(test_levelled_log_callback_receives_each_message_with_its_level)
{
    fx_t *f = fx_new(1, 3);
    raft_cbs_ext_t ext;
    memset(&ext, 0, sizeof(ext));
    memset(&leveled, 0, sizeof(leveled));
    ext.log_leveled = log_leveled;
    ASSERT_EQ(raft_set_ext_callbacks(f->r, &ext, sizeof(ext)), 0);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
    ASSERT_EQ(fx_recv_aer(f, 2, 1, 1, 1), 0);
    ASSERT_GT(leveled.info, 0);
    ASSERT_GT(leveled.trace, 0);
    /* The level filter applies to it too. */
    raft_set_log_level(f->r, RAFT_LOG_INFO);
    leveled.trace = 0;
    ASSERT_EQ(fx_recv_aer(f, 3, 1, 1, 1), 0);
    ASSERT_EQ(leveled.trace, 0);
}
