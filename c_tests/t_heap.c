/* raft_set_heap_functions: the library allocates through the caller's
 * functions. This file is first in the registry: in --no-fork mode these
 * tests run before any other raft_new of the process. */
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

/* Counting wrappers: a 16-byte header stores the size. */
static long heap_live_blocks, heap_calls, heap_frees;
static int heap_installed;

static void *c_malloc(size_t n)
{
    unsigned char *p = malloc(n + 16);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof(n));
    heap_live_blocks++;
    heap_calls++;
    return p + 16;
}

static void *c_calloc(size_t k, size_t n)
{
    unsigned char *p;
    if (n && k > ((size_t)-1 - 16) / n)
        return NULL;
    p = c_malloc(k * n);
    if (p)
        memset(p, 0, k * n);
    return p;
}

static void c_free(void *q)
{
    if (!q)
        return;
    heap_live_blocks--;
    heap_frees++;
    free((unsigned char *)q - 16);
}

static void *c_realloc(void *q, size_t n)
{
    unsigned char *p;
    if (!q)
        return c_malloc(n);
    heap_calls++;
    p = realloc((unsigned char *)q - 16, n + 16);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return p + 16;
}

static void install(void)
{
    if (!heap_installed) {
        raft_set_heap_functions(c_malloc, c_calloc, c_realloc, c_free);
        heap_installed = 1;
    }
}

TEST(test_heap_functions_route_server_allocations_through_user_allocator)
{
    long calls0, live0;
    raft_server_t *r;
    install();
    calls0 = heap_calls;
    live0 = heap_live_blocks;
    r = raft_new();
    ASSERT_NOT_NULL(r);
    raft_add_node(r, NULL, 1, 1);
    raft_add_node(r, NULL, 2, 0);
    raft_free(r);
    ASSERT_GT(heap_calls, calls0);
    ASSERT_EQ(heap_live_blocks, live0);
}

TEST(test_heap_functions_cover_log_growth_and_everything_is_freed)
{
    long calls0, live0, frees0;
    fx_t *f;
    int i;
    install();
    calls0 = heap_calls;
    live0 = heap_live_blocks;
    frees0 = heap_frees;
    {
        raft_server_t *r = raft_new();
        msg_entry_t e;
        msg_entry_response_t resp;
        ASSERT_NOT_NULL(r);
        raft_add_node(r, NULL, 1, 1);
        ASSERT_EQ(raft_periodic(r, 1), 0);
        ASSERT(raft_is_leader(r));
        memset(&e, 0, sizeof(e));
        for (i = 0; i < 500; i++) {
            e.id = i;
            if (raft_retain_entries(r, &e, &resp) != 0)
                break;
        }
        ASSERT_EQ(raft_get_current_idx(r), 500);
        ASSERT_EQ(raft_periodic(r, 1), 0);
        ASSERT_EQ(raft_begin_snapshot(r, 0), 0);
        ASSERT_EQ(raft_end_snapshot(r), 0);
        raft_free(r);
    }
    ASSERT_GT(heap_calls, calls0 + 1);
    ASSERT_GT(heap_frees, frees0);
    ASSERT_EQ(heap_live_blocks, live0);
    /* the fixture's servers also work on the user allocator */
    f = fx_new(1, 3);
    fx_elect(f);
    ASSERT_EQ(fx_retain(f, 1, NULL), 0);
}
