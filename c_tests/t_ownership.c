/* Payload ownership: the library stores entry structs by value but keeps the
 * caller's data.buf pointer; it never copies, frees or reallocates payloads;
 * log_offer may repoint data.buf and the library keeps the new pointer. */
#include "fixture.h"

#include <string.h>

static char buf_a[16] = "AAAA";
static char buf_b[16] = "BBBB";
static char buf_c[16] = "CCCC";

/* Follower receives three entries whose payloads are bufs[0..2]. */
static void recv_three(fx_t *f, raft_term_t term, void **bufs, raft_index_t commit)
{
    msg_entry_t e[3];
    msg_appendentries_t ae;
    msg_appendentries_response_t resp;
    int i;
    memset(e, 0, sizeof(e));
    for (i = 0; i < 3; i++) {
        e[i].term = term;
        e[i].id = 10 + i;
        e[i].data.buf = bufs[i];
        e[i].data.len = 4;
    }
    memset(&ae, 0, sizeof(ae));
    ae.term = term;
    ae.leader_commit = commit;
    ae.n_entries = 3;
    ae.entries = e;
    ASSERT_EQ(raft_recv_appendentries(f->r, fx_node(f, 2), &ae, &resp), 0);
    ASSERT_EQ(resp.success, 1);
}

TEST(test_retained_entry_keeps_callers_payload_pointer)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e;
    msg_entry_response_t resp;
    raft_entry_t *stored;
    fx_elect(f);
    memset(&e, 0, sizeof(e));
    e.id = 1;
    e.data.buf = buf_a;
    e.data.len = 3;
    ASSERT_EQ(raft_retain_entries(f->r, &e, &resp), 0);
    stored = raft_get_entry_from_idx(f->r, 1);
    ASSERT_NOT_NULL(stored);
    ASSERT_PTR_EQ(stored->data.buf, buf_a);
    ASSERT_EQ(stored->data.len, 3);
    ASSERT_PTR_EQ(f->offered[0].e.data.buf, buf_a);
}

TEST(test_retained_entry_struct_is_copied_by_value)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e;
    msg_entry_response_t resp;
    fx_elect(f);
    memset(&e, 0, sizeof(e));
    e.id = 1;
    e.data.buf = buf_a;
    e.data.len = 3;
    ASSERT_EQ(raft_retain_entries(f->r, &e, &resp), 0);
    e.id = 999;
    e.data.buf = buf_b;
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->id, 1);
    ASSERT_PTR_EQ(raft_get_entry_from_idx(f->r, 1)->data.buf, buf_a);
}

TEST(test_log_offer_may_repoint_payload_and_library_keeps_new_pointer)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e;
    msg_entry_response_t resp;
    fx_elect(f);
    f->repoint_buf = buf_c;
    memset(&e, 0, sizeof(e));
    e.id = 1;
    e.data.buf = buf_a;
    e.data.len = 3;
    ASSERT_EQ(raft_retain_entries(f->r, &e, &resp), 0);
    ASSERT_PTR_EQ(raft_get_entry_from_idx(f->r, 1)->data.buf, buf_c);
    /* what goes out on the wire is the repointed payload too */
    fx_clear_rec(f);
    ASSERT_EQ(raft_send_appendentries(f->r, fx_node(f, 2)), 0);
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1);
    ASSERT_PTR_EQ(fx_last_ae_to(f, 2)->e[0].data.buf, buf_c);
}

TEST(test_log_offer_repoint_applies_to_received_entries)
{
    fx_t *f = fx_new(1, 3);
    void *bufs[3];
    bufs[0] = buf_a;
    bufs[1] = buf_a;
    bufs[2] = buf_a;
    f->repoint_buf = buf_b;
    recv_three(f, 1, bufs, 3);
    ASSERT_PTR_EQ(raft_get_entry_from_idx(f->r, 2)->data.buf, buf_b);
    ASSERT_EQ(raft_periodic(f->r, 1), 0);
    ASSERT_EQ(f->n_applied, 3);
    ASSERT_PTR_EQ(f->applied[0].e.data.buf, buf_b);
}

TEST(test_appendentries_message_entries_carry_stored_payload_pointers)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e;
    msg_entry_response_t resp;
    fx_elect(f);
    memset(&e, 0, sizeof(e));
    e.id = 1;
    e.data.buf = buf_a;
    e.data.len = 4;
    ASSERT_EQ(raft_retain_entries(f->r, &e, &resp), 0);
    ASSERT_NOT_NULL(fx_last_ae_to(f, 2));
    ASSERT_EQ(fx_last_ae_to(f, 2)->m.n_entries, 1);
    ASSERT_PTR_EQ(fx_last_ae_to(f, 2)->e[0].data.buf, buf_a);
    ASSERT_EQ(fx_last_ae_to(f, 2)->e[0].data.len, 4);
    ASSERT_EQ(fx_last_ae_to(f, 2)->e[0].id, 1);
    ASSERT_EQ(fx_last_ae_to(f, 2)->e[0].term, 1);
}

TEST(test_received_entries_keep_senders_payload_pointers)
{
    fx_t *f = fx_new(1, 3);
    void *bufs[3];
    bufs[0] = buf_a;
    bufs[1] = buf_b;
    bufs[2] = buf_c;
    recv_three(f, 1, bufs, 0);
    ASSERT_PTR_EQ(raft_get_entry_from_idx(f->r, 1)->data.buf, buf_a);
    ASSERT_PTR_EQ(raft_get_entry_from_idx(f->r, 2)->data.buf, buf_b);
    ASSERT_PTR_EQ(raft_get_entry_from_idx(f->r, 3)->data.buf, buf_c);
}

TEST(test_log_pop_hands_back_payload_pointers_newest_first)
{
    fx_t *f = fx_new(1, 3);
    void *bufs[3];
    static const raft_term_t t2[] = {2};
    bufs[0] = buf_a;
    bufs[1] = buf_b;
    bufs[2] = buf_c;
    recv_three(f, 1, bufs, 0);
    ASSERT_EQ(fx_recv_ae(f, 3, 2, 1, 1, 0, t2, 1, NULL), 0);
    ASSERT_EQ(f->n_popped, 2);
    ASSERT_PTR_EQ(f->popped[0].e.data.buf, buf_c);
    ASSERT_PTR_EQ(f->popped[1].e.data.buf, buf_b);
}

TEST(test_log_poll_hands_back_payload_pointers_oldest_first)
{
    fx_t *f = fx_new(1, 3);
    void *bufs[3];
    bufs[0] = buf_a;
    bufs[1] = buf_b;
    bufs[2] = buf_c;
    recv_three(f, 1, bufs, 2);
    ASSERT_EQ(raft_begin_snapshot(f->r, 0), 0);
    ASSERT_EQ(raft_end_snapshot(f->r), 0);
    ASSERT_EQ(f->n_polled, 2);
    ASSERT_PTR_EQ(f->polled[0].e.data.buf, buf_a);
    ASSERT_PTR_EQ(f->polled[1].e.data.buf, buf_b);
}

TEST(test_log_clear_hands_back_payload_pointers_on_snapshot_load)
{
    fx_t *f = fx_new(1, 3);
    void *bufs[3];
    int i, seen_a = 0, seen_b = 0, seen_c = 0;
    bufs[0] = buf_a;
    bufs[1] = buf_b;
    bufs[2] = buf_c;
    recv_three(f, 1, bufs, 0);
    ASSERT_EQ(raft_begin_load_snapshot(f->r, 2, 20), 0);
    ASSERT_EQ(f->n_cleared, 3);
    for (i = 0; i < 3; i++) {
        seen_a += f->cleared[i].e.data.buf == buf_a;
        seen_b += f->cleared[i].e.data.buf == buf_b;
        seen_c += f->cleared[i].e.data.buf == buf_c;
    }
    ASSERT(seen_a == 1 && seen_b == 1 && seen_c == 1);
}

TEST(test_library_never_frees_payloads)
{
    /* allocated before the server, so freed by us after raft_free(): if the
     * library had freed it, this is a double free (abort / valgrind error) */
    char *heap_buf = th_alloc(32);
    fx_t *f = fx_new(1, 3);
    msg_entry_t e;
    msg_entry_response_t resp;
    static const raft_term_t t2[] = {2};
    fx_elect(f);
    memset(&e, 0, sizeof(e));
    e.id = 1;
    e.data.buf = heap_buf;
    e.data.len = 32;
    ASSERT_EQ(raft_retain_entries(f->r, &e, &resp), 0);
    /* overwritten by a new leader: popped, still not freed by the library */
    ASSERT_EQ(fx_recv_ae(f, 2, 2, 0, 0, 0, t2, 1, NULL), 0);
    ASSERT_EQ(f->n_popped, 1);
    ASSERT_PTR_EQ(f->popped[0].e.data.buf, heap_buf);
    heap_buf[0] = 'x';
}

TEST(test_zero_length_null_payload_is_accepted)
{
    fx_t *f = fx_new(1, 3);
    msg_entry_t e;
    msg_entry_response_t resp;
    fx_elect(f);
    memset(&e, 0, sizeof(e));
    e.id = 3;
    ASSERT_EQ(raft_retain_entries(f->r, &e, &resp), 0);
    ASSERT_NULL(raft_get_entry_from_idx(f->r, 1)->data.buf);
    ASSERT_EQ(raft_get_entry_from_idx(f->r, 1)->data.len, 0);
}
