/* raft_set_fault_injection (testing only): each fault deliberately breaks one
 * rule. These tests show that the rule checks used elsewhere in this suite
 * do detect the broken behaviour, and that faults are off by default. */
#include "fixture.h"
#include "raft_fault.h"

static const raft_term_t T1[] = {1, 1, 1};
static const raft_term_t T2[] = {2, 2};

/* Figure 8 setup: entry of term 1 replicated on a majority by a term-2 leader. */
static raft_index_t figure8_commit(int faults)
{
    fx_t *f = fx_new(1, 3);
    raft_set_fault_injection(f->r, faults);
    fx_append(f, 1, 1);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    fx_elect(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 1), 0);
    return raft_get_commit_idx(f->r);
}

TEST(test_fault_commit_previous_term_is_detected_by_figure8_rule)
{
    ASSERT_EQ(figure8_commit(0), 0);
    ASSERT_EQ(figure8_commit(RAFT_FAULT_COMMIT_PREVIOUS_TERM), 1);
}

static int stale_candidate_granted(int faults)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    raft_set_fault_injection(f->r, faults);
    fx_append(f, 2, 1);
    ASSERT_EQ(fx_recv_rv(f, 2, 3, 1, 1, &resp), 0);
    return resp.vote_granted == RAFT_REQUESTVOTE_ERR_GRANTED;
}

TEST(test_fault_no_log_check_on_vote_is_detected_by_up_to_date_rule)
{
    ASSERT_EQ(stale_candidate_granted(0), 0);
    ASSERT_EQ(stale_candidate_granted(RAFT_FAULT_NO_LOG_CHECK_ON_VOTE), 1);
}

static int persisted_votes_when_granting(int faults)
{
    fx_t *f = fx_new(1, 3);
    msg_requestvote_response_t resp;
    int i, n = 0;
    raft_set_fault_injection(f->r, faults);
    ASSERT_EQ(fx_recv_rv(f, 2, 1, 0, 0, &resp), 0);
    ASSERT_EQ(resp.vote_granted, 1);
    for (i = 0; i < f->n_pvote; i++)
        n += f->pvote[i] == 2;
    for (i = 0; i < f->n_pterm; i++)
        n += f->pterm[i].vote == 2;
    return n;
}

TEST(test_fault_skip_persist_vote_is_detected_by_persistence_check)
{
    ASSERT_GE(persisted_votes_when_granting(0), 1);
    ASSERT_EQ(persisted_votes_when_granting(RAFT_FAULT_SKIP_PERSIST_VOTE), 0);
}

static int pops_on_conflict(int faults)
{
    fx_t *f = fx_new(1, 3);
    raft_set_fault_injection(f->r, faults);
    fx_recv_ae(f, 2, 1, 0, 0, 0, T1, 3, NULL);
    fx_clear_rec(f);
    fx_recv_ae(f, 3, 2, 1, 1, 0, T2, 1, NULL);
    return f->n_popped;
}

TEST(test_fault_no_truncate_on_conflict_is_detected_by_log_pop_check)
{
    ASSERT_EQ(pops_on_conflict(0), 2);
    ASSERT_EQ(pops_on_conflict(RAFT_FAULT_NO_TRUNCATE_ON_CONFLICT), 0);
}

TEST(test_fault_injection_can_be_switched_off_again)
{
    fx_t *f = fx_new(1, 3);
    raft_set_fault_injection(f->r, RAFT_FAULT_COMMIT_PREVIOUS_TERM | RAFT_FAULT_NO_LOG_CHECK_ON_VOTE);
    raft_set_fault_injection(f->r, 0);
    fx_append(f, 1, 1);
    ASSERT_EQ(raft_set_current_term(f->r, 1), 0);
    fx_elect(f);
    ASSERT_EQ(fx_recv_aer(f, 2, 2, 1, 1), 0);
    ASSERT_EQ(raft_get_commit_idx(f->r), 0);
}
