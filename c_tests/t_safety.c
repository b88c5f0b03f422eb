/* The safety checker (c_fixture/safety.h) on its own: each rule is broken on
 * purpose and must be reported, and the legal histories next to it must not
 * be. Server ids are small integers, entries (term, id, payload). */
#include "safety.h"
#include "harness.h"

#include <stdio.h>
#include <string.h>

static void free_checker(void *sc)
{
    safety_free(sc);
}

static safety_t *new_checker(void)
{
    safety_t *sc = safety_new();
    ASSERT_NOT_NULL(sc);
    th_defer(free_checker, sc);
    return sc;
}

/* Append entries idx 1..n with the given terms and payloads "e<idx>". */
static void append_log(safety_t *sc, int server, const int64_t *terms, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        char data[16];
        int len = snprintf(data, sizeof(data), "e%d", i + 1);
        ASSERT_EQ(safety_append(sc, server, i + 1, terms[i], 100 + i + 1, data, (size_t)len), SAFETY_OK);
    }
}

#define ASSERT_VIOLATION(sc, rc, text) do { \
    ASSERT_EQ(rc, SAFETY_VIOLATION); \
    ASSERT_MSG(strstr(safety_last_violation(sc), text) != NULL, "violation '%s' lacks '%s'", \
               safety_last_violation(sc), text); } while (0)

TEST(test_safety_nothing_reported_means_no_violation)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_violations(sc), 0);
    ASSERT_NULL(safety_first_violation(sc));
    ASSERT_NULL(safety_last_violation(sc));
    ASSERT_EQ(safety_terms_with_leader(sc), 0);
}

TEST(test_safety_two_leaders_in_one_term_break_election_safety)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_leader(sc, 1, 3), SAFETY_OK);
    ASSERT_EQ(safety_leader(sc, 1, 3), SAFETY_OK);      /* the same leader seen again */
    ASSERT_EQ(safety_leader(sc, 2, 4), SAFETY_OK);      /* another term, another leader */
    ASSERT_EQ(safety_violations(sc), 0);
    ASSERT_VIOLATION(sc, safety_leader(sc, 2, 3), "election safety: 1 and 2 both leaders in term 3");
    ASSERT_EQ(safety_violations(sc), 1);
    ASSERT_EQ(safety_terms_with_leader(sc), 2);
    ASSERT(strcmp(safety_first_violation(sc), safety_last_violation(sc)) == 0);
}

TEST(test_safety_same_index_and_term_with_other_entry_breaks_log_matching)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_append(sc, 1, 1, 1, 11, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 2, 1, 1, 11, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 1, 2, 1, 12, "b", 1), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_append(sc, 2, 2, 1, 12, "X", 1),
                     "log matching: 1 and 2 both hold an entry of term 1 at 2");
}

TEST(test_safety_log_matching_compares_the_whole_prefix)
{
    safety_t *sc = new_checker();
    /* index 1 differs (different terms: legal by itself); index 2 holds the
     * same entry of term 3 on both, so the prefixes must have been equal */
    ASSERT_EQ(safety_append(sc, 1, 1, 1, 11, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 2, 1, 2, 21, "z", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 1, 2, 3, 31, "c", 1), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_append(sc, 2, 2, 3, 31, "c", 1), "log matching");
}

TEST(test_safety_conflicting_suffix_repaired_by_truncation_is_legal)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_append(sc, 1, 1, 1, 11, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 1, 2, 2, 22, "old", 3), SAFETY_OK);   /* a deposed leader's entry */
    ASSERT_EQ(safety_append(sc, 2, 1, 1, 11, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 2, 2, 3, 32, "new", 3), SAFETY_OK);
    ASSERT_EQ(safety_truncate(sc, 1, 2), SAFETY_OK);                  /* log_pop */
    ASSERT_EQ(safety_append(sc, 1, 2, 3, 32, "new", 3), SAFETY_OK);
    /* an append over an uncommitted entry replaces it and what follows */
    ASSERT_EQ(safety_append(sc, 2, 3, 3, 33, "x", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 2, 3, 4, 43, "y", 1), SAFETY_OK);
    ASSERT_EQ(safety_violations(sc), 0);
}

TEST(test_safety_different_entries_applied_at_one_index_break_state_machine_safety)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_apply(sc, 1, 1, 1, 1, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_apply(sc, 1, 2, 2, 2, "b", 1), SAFETY_OK);
    ASSERT_EQ(safety_apply(sc, 5, 1, 1, 1, "a", 1), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_apply(sc, 5, 2, 3, 3, "c", 1),
                     "state machine safety: 5 applied entry id 3 (term 3) at 2, another node applied id 2 (term 2)");
    /* same term and id but other bytes: still another entry */
    ASSERT_EQ(safety_apply(sc, 6, 1, 1, 1, "A", 1), SAFETY_VIOLATION);
    ASSERT_EQ(safety_violations(sc), 2);
}

TEST(test_safety_applying_out_of_order_is_reported_and_restart_resets_the_order)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_apply(sc, 1, 1, 1, 1, "a", 1), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_apply(sc, 1, 3, 1, 3, "c", 1), "apply order: 1 applied index 3 after 1");
    ASSERT_EQ(safety_restart(sc, 1, 0), SAFETY_OK);     /* volatile state lost: applies again from 1 */
    ASSERT_EQ(safety_apply(sc, 1, 1, 1, 1, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_restart(sc, 1, 5), SAFETY_OK);     /* restarted from a snapshot at 5 */
    ASSERT_EQ(safety_apply(sc, 1, 6, 1, 6, "f", 1), SAFETY_OK);
    ASSERT_EQ(safety_violations(sc), 1);
}

TEST(test_safety_commit_rules)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_append(sc, 1, 1, 1, 11, "a", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 1, 2, 1, 12, "b", 1), SAFETY_OK);
    ASSERT_EQ(safety_commit(sc, 1, 1, 1), SAFETY_OK);
    ASSERT_EQ(safety_commit(sc, 1, 1, 1), SAFETY_OK);   /* unchanged */
    ASSERT_VIOLATION(sc, safety_commit(sc, 1, 0, 1), "commit index: 1 went back from 1 to 0");
    ASSERT_VIOLATION(sc, safety_commit(sc, 1, 5, 1), "commit index: 1 committed up to 5 but its log ends at 2");
    ASSERT_VIOLATION(sc, safety_truncate(sc, 1, 2), "commit durability: 1 removed its entry at 2");
    /* another server committing another entry at index 1 */
    ASSERT_EQ(safety_append(sc, 2, 1, 2, 21, "z", 1), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_commit(sc, 2, 1, 2),
                     "state machine safety: 2 committed entry id 21 (term 2) at 1, another node committed id 11 (term 1)");
    /* applying something else than what was committed there */
    ASSERT_VIOLATION(sc, safety_apply(sc, 3, 1, 2, 21, "z", 1), "another node committed id 11");
}

TEST(test_safety_leader_lacking_an_entry_committed_earlier_breaks_leader_completeness)
{
    safety_t *sc = new_checker();
    static const int64_t t12[] = { 1, 2 };
    append_log(sc, 1, t12, 2);
    append_log(sc, 2, t12, 2);
    ASSERT_EQ(safety_leader(sc, 1, 2), SAFETY_OK);
    ASSERT_EQ(safety_commit(sc, 1, 2, 2), SAFETY_OK);   /* index 2 committed in term 2 */
    /* server 3 holds only index 1 */
    append_log(sc, 3, t12, 1);
    ASSERT_VIOLATION(sc, safety_leader(sc, 3, 3),
                     "leader completeness: 3 became leader of term 3 but its log ends at 1, before index 2");
    /* server 4 holds another entry at 2 */
    ASSERT_EQ(safety_append(sc, 4, 1, 1, 101, "e1", 2), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 4, 2, 1, 999, "??", 2), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_leader(sc, 4, 4),
                     "its log up to 2 differs from the committed one (it holds id 999 of term 1 there, committed: id 102 of term 2)");
    /* server 2 has it: a fine leader of term 5 */
    ASSERT_EQ(safety_leader(sc, 2, 5), SAFETY_OK);
    ASSERT_EQ(safety_violations(sc), 2);
}

TEST(test_safety_leader_completeness_only_binds_later_terms)
{
    safety_t *sc = new_checker();
    static const int64_t t1[] = { 1, 1, 1 };
    append_log(sc, 1, t1, 3);
    ASSERT_EQ(safety_commit(sc, 1, 3, 4), SAFETY_OK);   /* known committed at term 4 */
    append_log(sc, 2, t1, 1);
    /* a leader of term 4 or earlier may lack it: it was not yet committed in an earlier term */
    ASSERT_EQ(safety_leader(sc, 2, 4), SAFETY_OK);
    ASSERT_EQ(safety_violations(sc), 0);
    ASSERT_EQ(safety_leader(sc, 2, 5), SAFETY_VIOLATION);
}

TEST(test_safety_compaction_and_snapshots_keep_the_chain)
{
    safety_t *sc = new_checker();
    static const int64_t t[] = { 1, 1, 2, 2 };
    append_log(sc, 1, t, 4);
    ASSERT_EQ(safety_commit(sc, 1, 4, 2), SAFETY_OK);
    ASSERT_EQ(safety_compact(sc, 1, 3), SAFETY_OK);     /* log_poll of 1..3 */
    ASSERT_EQ(safety_append(sc, 1, 5, 2, 105, "e5", 2), SAFETY_OK);
    /* server 2 loads the snapshot at (3, 2), then receives 4 and 5 */
    ASSERT_EQ(safety_load_snapshot(sc, 2, 3, 2), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 2, 4, 2, 104, "e4", 2), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 2, 5, 2, 105, "e5", 2), SAFETY_OK);
    ASSERT_EQ(safety_apply(sc, 2, 4, 2, 104, "e4", 2), SAFETY_OK);   /* applied continues after 3 */
    ASSERT_EQ(safety_leader(sc, 2, 3), SAFETY_OK);
    ASSERT_EQ(safety_violations(sc), 0);
    /* a different entry after the snapshot is still caught */
    ASSERT_EQ(safety_load_snapshot(sc, 3, 3, 2), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 3, 4, 2, 104, "XX", 2), SAFETY_VIOLATION);
    /* a snapshot ending in an entry of another term than the committed one */
    ASSERT_EQ(safety_append(sc, 4, 1, 1, 101, "e1", 2), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 4, 2, 1, 102, "e2", 2), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 4, 3, 3, 303, "x3", 2), SAFETY_OK);
    ASSERT_EQ(safety_compact(sc, 4, 3), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_load_snapshot(sc, 5, 3, 3),
                     "state machine safety: 5 loaded a snapshot at 3 (term 3) that differs from the committed log");
}

/* A library that changes its log in memory without telling its storage
 * (here: a conflict overwritten in place, the old suffix kept): the stored
 * log is fine, the scan of the one it holds breaks Log Matching. */
TEST(test_safety_scan_checks_log_matching_over_a_log_read_back)
{
    safety_t *sc = new_checker();
    static const int64_t t1[] = { 1, 1, 1, 1 };
    append_log(sc, 3, t1, 4);   /* first holder of (4, term 1) */
    append_log(sc, 2, t1, 4);
    ASSERT_EQ(safety_append(sc, 1, 1, 1, 101, "e1", 2), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 1, 2, 2, 202, "x", 1), SAFETY_OK);
    ASSERT_EQ(safety_append(sc, 1, 3, 2, 203, "y", 1), SAFETY_OK);
    /* the stored log read back as it is: nothing to report */
    ASSERT_EQ(safety_scan(sc, 2, 1), SAFETY_OK);
    ASSERT_EQ(safety_scan_next(sc, 1, 101, "e1", 2), SAFETY_OK);
    ASSERT_EQ(safety_scan_next(sc, 1, 102, "e2", 2), SAFETY_OK);
    ASSERT_EQ(safety_scan(sc, 2, 3), SAFETY_OK);        /* from the middle */
    ASSERT_EQ(safety_scan_next(sc, 1, 103, "e3", 2), SAFETY_OK);
    ASSERT_EQ(safety_scan_next(sc, 1, 104, "e4", 2), SAFETY_OK);
    ASSERT_EQ(safety_scan_next(sc, 1, 105, "e5", 2), SAFETY_OK);   /* past every log: nobody to differ from */
    ASSERT_EQ(safety_violations(sc), 0);
    /* server 2 holds the leader's entries at 2 and 3 and its old one at 4 */
    ASSERT_EQ(safety_scan(sc, 2, 2), SAFETY_OK);
    ASSERT_EQ(safety_scan_next(sc, 2, 202, "x", 1), SAFETY_OK);    /* same prefix as server 1's */
    ASSERT_EQ(safety_scan_next(sc, 2, 203, "y", 1), SAFETY_OK);
    ASSERT_VIOLATION(sc, safety_scan_next(sc, 1, 104, "e4", 2),
                     "log matching: the log read back from 2 holds an entry of term 1 at 4 after another prefix than 3's log");
    /* the scan recorded nothing: server 2's stored log is still the old one */
    ASSERT_EQ(safety_append(sc, 2, 5, 1, 105, "e5", 2), SAFETY_OK);
    ASSERT_EQ(safety_violations(sc), 1);
}

TEST(test_safety_scan_starts_inside_the_reported_log)
{
    safety_t *sc = new_checker();
    static const int64_t t[] = { 1, 1, 1, 1 };
    ASSERT_EQ(safety_scan_next(sc, 1, 1, "a", 1), SAFETY_BAD_ARGUMENT);   /* no scan started */
    ASSERT_EQ(safety_scan(sc, -1, 1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_scan(sc, 1, 0), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_scan(sc, 1, 1), SAFETY_OK);        /* an empty log: from its start */
    ASSERT_EQ(safety_scan(sc, 1, 2), SAFETY_BAD_ARGUMENT);   /* past its end */
    ASSERT_EQ(safety_scan_next(sc, 1, 1, "a", 1), SAFETY_BAD_ARGUMENT);  /* the failed scan ended the last one */
    append_log(sc, 1, t, 4);
    ASSERT_EQ(safety_compact(sc, 1, 2), SAFETY_OK);
    ASSERT_EQ(safety_scan(sc, 1, 2), SAFETY_BAD_ARGUMENT);   /* index 1 was compacted away */
    ASSERT_EQ(safety_scan(sc, 1, 3), SAFETY_OK);              /* right after the compacted prefix */
    ASSERT_EQ(safety_scan_next(sc, 1, 103, "e3", 2), SAFETY_OK);
    ASSERT_EQ(safety_scan_next(sc, 1, 1, NULL, 3), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_scan(sc, 1, 6), SAFETY_BAD_ARGUMENT);
    /* a snapshot nobody reported the entries of: nothing to compare with */
    ASSERT_EQ(safety_load_snapshot(sc, 2, 10, 7), SAFETY_OK);
    ASSERT_EQ(safety_scan(sc, 2, 11), SAFETY_OK);
    ASSERT_EQ(safety_scan_next(sc, 1, 104, "e4", 2), SAFETY_OK);
    ASSERT_EQ(safety_violations(sc), 0);
}

TEST(test_safety_committed_names_the_entry_first_committed_or_applied)
{
    safety_t *sc = new_checker();
    static const int64_t t[] = { 1, 2, 2 };
    int64_t term = -1, id = -1;
    ASSERT_EQ(safety_committed(sc, 1, &term, &id), 0);
    ASSERT_EQ(term, -1);
    append_log(sc, 1, t, 3);
    ASSERT_EQ(safety_committed(sc, 1, &term, &id), 0);   /* stored, not committed */
    ASSERT_EQ(safety_commit(sc, 1, 2, 2), SAFETY_OK);
    ASSERT_EQ(safety_committed(sc, 2, &term, &id), 1);
    ASSERT_EQ(term, 2);
    ASSERT_EQ(id, 102);
    ASSERT_EQ(safety_committed(sc, 1, NULL, &id), 1);
    ASSERT_EQ(id, 101);
    ASSERT_EQ(safety_committed(sc, 3, &term, NULL), 0);
    ASSERT_EQ(safety_apply(sc, 2, 1, 1, 101, "e1", 2), SAFETY_OK);
    ASSERT_EQ(safety_apply(sc, 2, 2, 2, 102, "e2", 2), SAFETY_OK);
    ASSERT_EQ(safety_apply(sc, 2, 3, 2, 103, "e3", 2), SAFETY_OK);   /* applied: committed somewhere */
    ASSERT_EQ(safety_committed(sc, 3, &term, &id), 1);
    ASSERT_EQ(id, 103);
    ASSERT_EQ(safety_committed(sc, 0, &term, &id), 0);
    ASSERT_EQ(safety_committed(sc, -5, &term, &id), 0);
    ASSERT_EQ(safety_committed(sc, 1000000, &term, &id), 0);
}

TEST(test_safety_reports_it_cannot_use_are_refused_not_counted)
{
    safety_t *sc = new_checker();
    ASSERT_EQ(safety_leader(sc, -1, 1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_leader(sc, SAFETY_MAX_SERVER + 1, 1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_append(sc, 1, 2, 1, 1, "a", 1), SAFETY_BAD_ARGUMENT);   /* a gap */
    ASSERT_EQ(safety_append(sc, 1, 0, 1, 1, "a", 1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_append(sc, 1, 1, 1, 1, NULL, 3), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_truncate(sc, 1, 5), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_compact(sc, 1, 5), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_apply(sc, 1, 0, 1, 1, "a", 1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_commit(sc, 1, 0, -1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_restart(sc, 1, -1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_load_snapshot(sc, 1, -1, 1), SAFETY_BAD_ARGUMENT);
    ASSERT_EQ(safety_violations(sc), 0);
    /* empty payloads are entries too */
    ASSERT_EQ(safety_append(sc, 1, 1, 1, 1, NULL, 0), SAFETY_OK);
}

/* Three servers replicate 200,000 entries over 50 terms with compaction:
 * no false positive, and each report stays O(1) (the test runs in well
 * under a second). */
TEST(test_safety_long_history_without_violation)
{
    safety_t *sc = new_checker();
    int64_t idx;
    int s;
    for (idx = 1; idx <= 200000; idx++) {
        int64_t term = 1 + idx / 4000, old = idx - 3;
        for (s = 1; s <= 3; s++) {
            ASSERT_EQ(safety_append(sc, s, idx, term, idx, &idx, sizeof(idx)), SAFETY_OK);
            if (idx > 2)
                ASSERT_EQ(safety_commit(sc, s, idx - 2, term), SAFETY_OK);
            if (old > 0)
                ASSERT_EQ(safety_apply(sc, s, old, 1 + old / 4000, old, &old, sizeof(old)), SAFETY_OK);
            if (idx % 1000 == 0)
                ASSERT_EQ(safety_compact(sc, s, idx - 500), SAFETY_OK);
        }
        if (idx % 4000 == 1)
            ASSERT_EQ(safety_leader(sc, (int)(term % 3) + 1, term), SAFETY_OK);
    }
    ASSERT_EQ(safety_terms_with_leader(sc), 50);
    ASSERT_EQ(safety_violations(sc), 0);
}
