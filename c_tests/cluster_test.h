/* The shared cluster fixture (c_fixture/cluster.h) inside a test: created
 * with the test's seed, freed when the test ends, its setup errors and
 * safety violations turned into test failures. */
#ifndef C_TESTS_CLUSTER_TEST_H
#define C_TESTS_CLUSTER_TEST_H

#include "cluster.h"
#include "harness.h"

/* Every violation so far (and the library's logs against the persisted ones). */
#define ASSERT_SAFE(c) do { cl_check_logs(c); \
    ASSERT_MSG(cl_violations(c) == 0, "safety violation: %s", cl_first_violation(c)); } while (0)

/* n servers with ids 1..n, all voting, election timeout 200 ms, request
 * timeout 50 ms, seeded; commits reported to the checker; freed at the end
 * of the test. */
cluster_t *new_cluster(int n, unsigned seed);
/* The same from options (n may be 0: no servers yet). */
cluster_t *new_cluster_with(const cl_options_t *o, int n);
/* new_cluster as a program built with the extensions of issue 12: every
 * server registers the extension table and gets `configure` (may be NULL)
 * at every start (cl_options_t.extensions, .configure). */
cluster_t *new_cluster_ext(int n, unsigned seed, void (*configure)(raft_server_t *r));

#endif
