#include "cluster_test.h"

static void free_cluster(void *c)
{
    cl_free(c);
}

cluster_t *new_cluster_with(const cl_options_t *o, int n)
{
    cluster_t *c = cl_new(o);
    ASSERT_NOT_NULL(c);
    th_defer(free_cluster, c);
    if (n > 0)
        ASSERT_MSG(cl_bootstrap(c, n) == 0, "cl_bootstrap: %s", cl_error(c));
    return c;
}

cluster_t *new_cluster(int n, unsigned seed)
{
    cl_options_t o;
    cl_options_init(&o);
    o.seed = seed;
    o.check_commits = 1;
    return new_cluster_with(&o, n);
}
