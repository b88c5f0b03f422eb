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

/* cl_options_t.configure takes a context: the test's function is it. */
static void call_configure(void *ctx, raft_server_t *r)
{
    void (*configure)(raft_server_t *) = *(void (**)(raft_server_t *))ctx;
    configure(r);
}

cluster_t *new_cluster_ext(int n, unsigned seed, void (*configure)(raft_server_t *r))
{
    cl_options_t o;
    void (**box)(raft_server_t *) = th_alloc(sizeof(*box));
    cl_options_init(&o);
    o.seed = seed;
    o.check_commits = 1;
    o.extensions = 1;
    if (configure) {
        *box = configure;
        o.configure = call_configure;
        o.ctx = box;
    }
    return new_cluster_with(&o, n);
}
