/*
 * Shared helpers of the libraft C benchmarks: a counting allocator that is
 * handed to the library with raft_set_heap_functions (so that every byte the
 * library holds is seen), clocks, peak RSS, percentiles.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "raft.h"

/* ---- counting allocator ------------------------------------------------
 * Each block carries a 16-byte header holding the requested size (16 keeps
 * malloc's alignment). `live` is what the library asked for and still holds. */
typedef struct {
    size_t live, peak;
    unsigned long n_malloc, n_realloc, n_free;
} heapstat_t;

static heapstat_t g_heap;

#define HEAP_HDR 16

static inline void heap_note(long delta) {
    g_heap.live += (size_t)delta;
    if (g_heap.live > g_heap.peak) g_heap.peak = g_heap.live;
}

static inline void *cnt_malloc(size_t n) {
    char *p = malloc(n + HEAP_HDR);
    if (!p) return NULL;
    *(size_t *)p = n;
    g_heap.n_malloc++;
    heap_note((long)n);
    return p + HEAP_HDR;
}

static inline void *cnt_calloc(size_t a, size_t b) {
    if (b && a > (SIZE_MAX - HEAP_HDR) / b) return NULL;
    size_t n = a * b;
    char *p = calloc(1, n + HEAP_HDR);
    if (!p) return NULL;
    *(size_t *)p = n;
    g_heap.n_malloc++;
    heap_note((long)n);
    return p + HEAP_HDR;
}

static inline void *cnt_realloc(void *q, size_t n) {
    if (!q) return cnt_malloc(n);
    char *h = (char *)q - HEAP_HDR;
    size_t old = *(size_t *)h;
    char *p = realloc(h, n + HEAP_HDR);
    if (!p) return NULL;
    *(size_t *)p = n;
    g_heap.n_realloc++;
    heap_note((long)n - (long)old);
    return p + HEAP_HDR;
}

static inline void cnt_free(void *q) {
    if (!q) return;
    char *h = (char *)q - HEAP_HDR;
    g_heap.n_free++;
    heap_note(-(long)*(size_t *)h);
    free(h);
}

/* Must be called before the first raft_new. */
static inline void bench_count_library_heap(void) {
    raft_set_heap_functions(cnt_malloc, cnt_calloc, cnt_realloc, cnt_free);
}

/* ---- clocks ------------------------------------------------------------ */
static inline double now_s(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static inline double wall_s(void) { return now_s(CLOCK_MONOTONIC); }
static inline double cpu_s(void) { return now_s(CLOCK_PROCESS_CPUTIME_ID); }

static inline long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ---- statistics -------------------------------------------------------- */
static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static inline double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* p-th percentile (0..100) of non-negative integer samples, by counting. */
static inline long percentile_int(const int *v, long n, double p) {
    if (n <= 0) return 0;
    int max = 0;
    for (long i = 0; i < n; i++)
        if (v[i] > max) max = v[i];
    long *hist = calloc((size_t)max + 1, sizeof *hist);
    for (long i = 0; i < n; i++) hist[v[i] < 0 ? 0 : v[i]]++;
    long rank = (long)((p / 100.0) * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    long acc = 0, r = max;
    for (int x = 0; x <= max; x++) {
        acc += hist[x];
        if (acc >= rank) { r = x; break; }
    }
    free(hist);
    return r;
}

static inline long arg_long(int argc, char **argv, const char *name, long dflt) {
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return strtol(argv[i + 1], NULL, 10);
    return dflt;
}
static inline int arg_flag(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name)) return 1;
    return 0;
}

#endif
