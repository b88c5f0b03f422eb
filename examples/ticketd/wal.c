/* ticketd write-ahead log of segment files. See wal.h for the format and
 * store.h for how it and LMDB are written together. */
#define _GNU_SOURCE
#include "wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wire.h"

#define SEG_MAGIC 0x544B5753u /* "TKWS" */
#define REC_MAGIC 0x544B5752u /* "TKWR" */
#define SEG_HDR 32
#define REC_HDR 44
#define REC_LAST 1u /* flags: last record of its commit */
#define MAX_PAYLOAD (64u << 20)
enum { K_ENTRY = 1, K_TRUNCATE = 2, K_CLEAR = 3 };

static uint64_t seg_bytes = 1u << 20;
void wal_set_segment_bytes(uint64_t bytes) { seg_bytes = bytes < 65536 ? 65536 : bytes; }

static const uint8_t zeros[65536];

typedef struct {
    uint64_t num;
    raft_index_t max_idx; /* highest entry index it holds (0: none) */
} seg_t;

struct wal {
    char dir[512];
    int nosync, readonly, err;
    seg_t *segs; /* on disk, oldest first; the last one is written to */
    size_t nsegs, capsegs;
    int fd;             /* the current (last) segment, -1 if none yet */
    uint64_t size;      /* its size */
    uint64_t pos;       /* end of its last whole commit */
    uint64_t dirty_end; /* remains of an unfinished commit up to here: zero them before reuse */
    uint64_t seq;       /* number of the last commit written */
    /* the log as written so far, with the buffered records (c_: as committed) */
    int have, c_have;
    raft_index_t first, last, c_first, c_last;
    raft_index_t durable_snap;
    int need_clear, c_need_clear; /* load set aside entries that are still on disk */
    /* the open transaction's records */
    uint8_t *buf;
    size_t len, cap, last_rec;
    int buf_clear;
    raft_index_t buf_max;
    /* the next segment, prepared by a helper thread */
    pthread_t thr;
    int thr_started, stop, job; /* job: 0 none, 1 asked, 2 running, 3 done */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t job_num, job_size;
    int job_err;
    int next_ready; /* wal-(current+1).seg exists, zero-filled, of next_size bytes */
    uint64_t next_size;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
static void be64(uint8_t *p, uint64_t v) { be32(p, (uint32_t)(v >> 32)), be32(p + 4, (uint32_t)v); }
static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t rd64(const uint8_t *p) { return ((uint64_t)rd32(p) << 32) | rd32(p + 4); }

static void seg_name(char *out, size_t n, const char *dir, uint64_t num, const char *ext)
{
    snprintf(out, n, "%s/wal-%016" PRIx64 ".%s", dir, num, ext);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t k = pwrite(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = ENOSPC;
            return -1;
        }
        p = (const uint8_t *)p + k, n -= (size_t)k, off += (uint64_t)k;
    }
    return 0;
}

static int write_zeros(int fd, uint64_t from, uint64_t to)
{
    while (from < to) {
        size_t n = to - from < sizeof zeros ? (size_t)(to - from) : sizeof zeros;
        if (pwrite_all(fd, zeros, n, from) != 0)
            return -1;
        from += n;
    }
    return 0;
}

/* ---- creating segments ---- */

/* wal-NUM.seg of size bytes: header, zeros, synced, renamed into place and
 * the directory synced.  0 or an errno; nothing is left behind on error. */
static int prep_segment(const char *dir, uint64_t num, uint64_t size, int nosync)
{
    char tmp[600], fin[600];
    seg_name(tmp, sizeof tmp, dir, num, "tmp");
    seg_name(fin, sizeof fin, dir, num, "seg");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    uint8_t h[SEG_HDR] = {0};
    be32(h, SEG_MAGIC);
    be32(h + 4, 1);
    be64(h + 8, num);
    be32(h + 16, wire_crc32(0, h, 16));
    int rc = pwrite_all(fd, h, SEG_HDR, 0) != 0 || write_zeros(fd, SEG_HDR, size) != 0 ||
             (!nosync && fdatasync(fd) != 0);
    int e = errno;
    if (close(fd) != 0 && !rc)
        rc = 1, e = errno;
    if (!rc && rename(tmp, fin) != 0)
        rc = 1, e = errno;
    if (rc) {
        unlink(tmp);
        return e ? e : EIO;
    }
    return !nosync && fsync_dir(dir) != 0 ? errno : 0;
}

static void *prep_main(void *arg)
{
    wal_t *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->job != 1 && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        w->job = 2;
        uint64_t num = w->job_num, size = w->job_size;
        pthread_mutex_unlock(&w->mu);
        int e = prep_segment(w->dir, num, size, w->nosync);
        pthread_mutex_lock(&w->mu);
        w->job_err = e;
        w->job = 3;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* takes the helper's result, waiting for it if wait (or if it runs) */
static void prep_collect(wal_t *w, int wait)
{
    if (!w->thr_started)
        return;
    pthread_mutex_lock(&w->mu);
    while (w->job == 2 || (wait && w->job == 1))
        pthread_cond_wait(&w->cv, &w->mu);
    if (w->job == 3) {
        w->next_ready = w->job_err == 0 && w->job_num == (w->nsegs ? w->segs[w->nsegs - 1].num + 1 : 1);
        w->next_size = w->job_size;
        w->job = 0;
    }
    pthread_mutex_unlock(&w->mu);
}

/* asks the helper for the segment after the current one, once the current
 * one is half full (or when there is none yet) */
static void prep_ahead(wal_t *w)
{
    if (w->readonly || w->next_ready || (w->fd >= 0 && w->pos < w->size / 2))
        return;
    prep_collect(w, 0);
    if (w->next_ready || w->job)
        return;
    if (!w->thr_started) {
        if (pthread_create(&w->thr, NULL, prep_main, w) != 0)
            return; /* the switch will create it itself */
        w->thr_started = 1;
    }
    pthread_mutex_lock(&w->mu);
    w->job_num = w->nsegs ? w->segs[w->nsegs - 1].num + 1 : 1;
    w->job_size = seg_bytes;
    w->job = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static int push_seg(wal_t *w, uint64_t num, raft_index_t max_idx)
{
    if (w->nsegs == w->capsegs) {
        size_t cap = w->capsegs ? 2 * w->capsegs : 16;
        seg_t *p = realloc(w->segs, cap * sizeof *p);
        if (!p)
            return -1;
        w->segs = p, w->capsegs = cap;
    }
    w->segs[w->nsegs++] = (seg_t){num, max_idx};
    return 0;
}

/* moves on to a new segment that has room for need bytes of records */
static int switch_segment(wal_t *w, size_t need)
{
    uint64_t want = SEG_HDR + (uint64_t)need;
    uint64_t size = want > seg_bytes ? (want + 4095) / 4096 * 4096 : seg_bytes;
    /* the remains of an unfinished commit must not outlive the move: a
     * later segment's records would make them look like damage */
    if (w->fd >= 0 && w->dirty_end > w->pos) {
        if (write_zeros(w->fd, w->pos, w->dirty_end) != 0 || (!w->nosync && fdatasync(w->fd) != 0))
            return -1;
        w->dirty_end = 0;
    }
    uint64_t num = w->nsegs ? w->segs[w->nsegs - 1].num + 1 : 1;
    prep_collect(w, 1);
    char name[600];
    seg_name(name, sizeof name, w->dir, num, "seg");
    if (!w->next_ready || w->next_size < want) {
        unlink(name); /* a prepared one too small: empty */
        int e = prep_segment(w->dir, num, size, w->nosync);
        if (e) {
            errno = e;
            return -1;
        }
    }
    w->next_ready = 0;
    int fd = open(name, O_RDWR | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || push_seg(w, num, 0) != 0) {
        int e = errno ? errno : ENOMEM;
        if (fd >= 0)
            close(fd);
        errno = e;
        return -1;
    }
    if (w->fd >= 0)
        close(w->fd);
    w->fd = fd, w->size = (uint64_t)sb.st_size, w->pos = SEG_HDR, w->dirty_end = 0;
    return 0;
}

/* deletes the oldest segments while every entry they hold is at or below
 * the durable snapshot (never the current one, always a prefix, so that no
 * segment is missing between two others) */
static void drop_segments(wal_t *w)
{
    if (w->readonly)
        return;
    size_t k = 0;
    char name[600];
    while (k + 1 < w->nsegs && w->segs[k].max_idx <= w->durable_snap) {
        seg_name(name, sizeof name, w->dir, w->segs[k].num, "seg");
        if (unlink(name) != 0 && errno != ENOENT)
            break;
        k++;
    }
    if (!k)
        return;
    memmove(w->segs, w->segs + k, (w->nsegs - k) * sizeof *w->segs);
    w->nsegs -= k;
    if (!w->nosync)
        fsync_dir(w->dir);
}

/* ---- writing ---- */

wal_t *wal_open(const char *dir, int nosync, int readonly)
{
    wal_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    w->nosync = nosync, w->readonly = readonly, w->fd = -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    return w;
}

void wal_close(wal_t *w)
{
    if (!w)
        return;
    if (w->thr_started) {
        pthread_mutex_lock(&w->mu);
        while (w->job == 2)
            pthread_cond_wait(&w->cv, &w->mu);
        w->stop = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thr, NULL);
    }
    if (w->fd >= 0)
        close(w->fd);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->segs);
    free(w->buf);
    free(w);
}

static int add_rec(wal_t *w, int kind, int etype, raft_index_t idx, raft_term_t term, raft_entry_id_t id,
                   const void *payload, uint32_t plen)
{
    size_t need = REC_HDR + (size_t)plen;
    if (w->len + need > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + need)
            cap *= 2;
        uint8_t *p = realloc(w->buf, cap);
        if (!p) {
            w->err = ENOMEM;
            return -1;
        }
        w->buf = p, w->cap = cap;
    }
    uint8_t *r = w->buf + w->len;
    be32(r, REC_MAGIC);
    r[8] = (uint8_t)kind, r[9] = 0;
    r[10] = (uint8_t)(etype >> 8), r[11] = (uint8_t)etype;
    be32(r + 12, plen);
    be64(r + 16, w->seq + 1);
    be64(r + 24, (uint64_t)idx);
    be64(r + 32, (uint64_t)term);
    be32(r + 40, (uint32_t)id);
    if (plen)
        memcpy(r + REC_HDR, payload, plen);
    be32(r + 4, wire_crc32(0, r + 8, need - 8));
    w->last_rec = w->len;
    w->len += need;
    return 0;
}

static int add_clear(wal_t *w)
{
    if (add_rec(w, K_CLEAR, 0, 0, 0, 0, NULL, 0) != 0)
        return -1;
    w->have = 0, w->need_clear = 0, w->buf_clear = 1;
    return 0;
}

int wal_put_entry(wal_t *w, raft_index_t idx, const raft_entry_t *e)
{
    /* an entry that does not continue the log (the first after a snapshot
     * install, or after load set entries aside) starts it afresh */
    if ((w->need_clear || (w->have && (idx > w->last + 1 || idx < w->first))) && add_clear(w) != 0)
        return -1;
    if (add_rec(w, K_ENTRY, e->type, idx, e->term, e->id, e->data.buf, e->data.len) != 0)
        return -1;
    if (!w->have)
        w->first = idx;
    w->have = 1, w->last = idx;
    if (idx > w->buf_max)
        w->buf_max = idx;
    return 0;
}

int wal_truncate_after(wal_t *w, raft_index_t idx)
{
    if (add_rec(w, K_TRUNCATE, 0, idx, 0, 0, NULL, 0) != 0)
        return -1;
    if (w->have && idx < w->first)
        w->have = 0;
    else if (w->have && idx < w->last)
        w->last = idx;
    return 0;
}

int wal_del_entry(wal_t *w, raft_index_t idx)
{
    if (idx <= w->durable_snap) { /* log_poll: compacted, nothing to write */
        drop_segments(w);
        return 0;
    }
    if (!w->have || idx > w->last || idx < w->first)
        return 0;
    return wal_truncate_after(w, idx - 1); /* log_pop */
}

int wal_clear(wal_t *w) { return add_clear(w); }

int wal_dirty(wal_t *w) { return w->len > 0; }
int wal_last_error(wal_t *w) { return w->err; }

void wal_abort(wal_t *w)
{
    w->len = 0, w->buf_clear = 0, w->buf_max = 0;
    w->have = w->c_have, w->first = w->c_first, w->last = w->c_last;
    w->need_clear = w->c_need_clear;
}

int wal_commit(wal_t *w)
{
    if (!w->len)
        return 0;
    uint8_t *r = w->buf + w->last_rec;
    r[9] |= REC_LAST;
    be32(r + 4, wire_crc32(0, r + 8, w->len - w->last_rec - 8));
    if (w->fd < 0 || w->pos + w->len > w->size) {
        errno = 0;
        if (switch_segment(w, w->len) != 0)
            goto fail;
    }
    uint64_t end = w->pos + w->len;
    if (pwrite_all(w->fd, w->buf, w->len, w->pos) != 0 ||
        (w->dirty_end > end && write_zeros(w->fd, end, w->dirty_end) != 0) ||
        (!w->nosync && fdatasync(w->fd) != 0)) {
        if (w->dirty_end < end)
            w->dirty_end = end;
        goto fail;
    }
    w->pos = end, w->dirty_end = 0, w->seq++;
    seg_t *cur = &w->segs[w->nsegs - 1];
    if (w->buf_clear) /* the older segments no longer count */
        for (size_t i = 0; i + 1 < w->nsegs; i++)
            w->segs[i].max_idx = 0;
    if (w->buf_max > cur->max_idx)
        cur->max_idx = w->buf_max;
    w->len = 0, w->buf_clear = 0, w->buf_max = 0;
    w->c_have = w->have, w->c_first = w->first, w->c_last = w->last, w->c_need_clear = w->need_clear;
    if (w->nsegs > 1 && w->segs[0].max_idx <= w->durable_snap)
        drop_segments(w);
    prep_ahead(w);
    return 0;
fail:
    w->err = errno ? errno : EIO;
    wal_abort(w);
    return -1;
}

void wal_snapshot_durable(wal_t *w, raft_index_t idx)
{
    if (idx > w->durable_snap)
        w->durable_snap = idx;
    drop_segments(w);
}

int wal_probe(wal_t *w)
{
    if (w->fd >= 0 && w->pos < w->size / 2)
        return 0;
    prep_collect(w, 1);
    if (w->next_ready)
        return 0;
    uint64_t num = w->nsegs ? w->segs[w->nsegs - 1].num + 1 : 1;
    int e = prep_segment(w->dir, num, seg_bytes, w->nosync);
    if (e) {
        w->err = e;
        return -1;
    }
    w->next_ready = 1, w->next_size = seg_bytes;
    return 0;
}

/* ---- loading ---- */

typedef struct {
    int kind, flags, etype;
    uint32_t len;
    uint64_t seq, idx, term;
    uint32_t id;
    size_t total;
} rec_t;

/* 1: a whole record that passes its checksum at p; 0: none (zeros, torn or
 * damaged); -1: it passes its checksum but its fields make no sense */
static int parse_rec(const uint8_t *p, uint64_t avail, rec_t *r)
{
    if (avail < REC_HDR || rd32(p) != REC_MAGIC)
        return 0;
    r->len = rd32(p + 12);
    if (r->len > MAX_PAYLOAD || r->len > avail - REC_HDR)
        return 0;
    r->total = REC_HDR + (size_t)r->len;
    if (wire_crc32(0, p + 8, r->total - 8) != rd32(p + 4))
        return 0;
    r->kind = p[8], r->flags = p[9], r->etype = (p[10] << 8) | p[11];
    r->seq = rd64(p + 16), r->idx = rd64(p + 24), r->term = rd64(p + 32), r->id = rd32(p + 40);
    if (r->flags & ~REC_LAST || r->idx >= (uint64_t)WIRE_MAX_TERM)
        return -1;
    if (r->kind == K_ENTRY)
        return r->idx > 0 && r->term > 0 && r->term < (uint64_t)WIRE_MAX_TERM && r->etype <= RAFT_LOGTYPE_NO_OP ? 1 : -1;
    return (r->kind == K_TRUNCATE || (r->kind == K_CLEAR && r->idx == 0)) && r->len == 0 ? 1 : -1;
}

static void decode_entry(const uint8_t *p, raft_entry_t *e)
{
    memset(e, 0, sizeof *e);
    e->type = (p[10] << 8) | p[11];
    e->data.len = rd32(p + 12);
    e->term = (raft_term_t)rd64(p + 32);
    e->id = (raft_entry_id_t)rd32(p + 40);
    e->data.buf = (void *)(uintptr_t)(p + REC_HDR);
}

/* the log as the records build it: entries first .. first + n - 1 */
typedef struct {
    const uint8_t **ents;
    size_t n, cap;
    raft_index_t first;
} model_t;

/* 0, -1: an entry that does not continue the log, -2: out of memory */
static int model_apply(model_t *m, const rec_t *r, const uint8_t *p)
{
    raft_index_t idx = (raft_index_t)r->idx;
    if (r->kind == K_CLEAR) {
        m->n = 0;
    } else if (r->kind == K_TRUNCATE) {
        if (m->n && idx < m->first)
            m->n = 0;
        else if (m->n && (size_t)(idx - m->first + 1) < m->n)
            m->n = (size_t)(idx - m->first + 1);
    } else {
        if (!m->n)
            m->first = idx;
        else if (idx < m->first || idx > m->first + (raft_index_t)m->n)
            return -1;
        m->n = (size_t)(idx - m->first);
        if (m->n == m->cap) {
            size_t cap = m->cap ? 2 * m->cap : 1024;
            const uint8_t **q = realloc(m->ents, cap * sizeof *q);
            if (!q)
                return -2;
            m->ents = q, m->cap = cap;
        }
        m->ents[m->n++] = p;
    }
    return 0;
}

typedef struct {
    uint64_t num, size, end; /* end: of its last whole commit */
    char name[600];
    const uint8_t *p;
    raft_index_t max_idx;
    int pristine;
} lseg_t;

static int all_zero(const uint8_t *p, uint64_t n)
{
    while (n >= sizeof zeros) {
        if (memcmp(p, zeros, sizeof zeros))
            return 0;
        p += sizeof zeros, n -= sizeof zeros;
    }
    return memcmp(p, zeros, (size_t)n) == 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* the segment numbers in the directory, sorted; removes unfinished
 * wal-N.tmp files when writable */
static int list_segments(wal_t *w, uint64_t **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL, *n = 0;
    DIR *d = opendir(w->dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        seterr(err, errlen, "%s: %s", w->dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (strlen(nm) != 24 || strncmp(nm, "wal-", 4) != 0 || strspn(nm + 4, "0123456789abcdef") != 16)
            continue;
        uint64_t num = strtoull(nm + 4, NULL, 16);
        if (strcmp(nm + 20, ".tmp") == 0 && !w->readonly) {
            char path[600];
            snprintf(path, sizeof path, "%s/%s", w->dir, nm);
            unlink(path);
        }
        if (strcmp(nm + 20, ".seg") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            uint64_t *q = realloc(*out, cap * sizeof *q);
            if (!q) {
                closedir(d);
                seterr(err, errlen, "out of memory");
                return -1;
            }
            *out = q;
        }
        (*out)[(*n)++] = num;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_u64);
    return 0;
}

static int map_segment(lseg_t *s, char *err, size_t errlen)
{
    int fd = open(s->name, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        seterr(err, errlen, "%s: %s", s->name, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s->size = (uint64_t)sb.st_size;
    if (s->size >= SEG_HDR) {
        void *p = mmap(NULL, (size_t)s->size, PROT_READ, MAP_PRIVATE, fd, 0);
        s->p = p == MAP_FAILED ? NULL : p;
    }
    close(fd);
    if (!s->p || rd32(s->p) != SEG_MAGIC || rd32(s->p + 4) != 1 || rd64(s->p + 8) != s->num ||
        rd32(s->p + 16) != wire_crc32(0, s->p, 16)) {
        seterr(err, errlen, "%s: corrupt segment header%s", s->name, s->size < SEG_HDR ? " (file too short)" : "");
        return -1;
    }
    return 0;
}

/* Replays the whole commits of every segment into m; stops at the first
 * place that is neither a record continuing the last whole commit nor the
 * zeros after it (*bad: that segment, *bad_off: where).  -1 on damage that
 * passes its checksum (err set). */
static int replay(lseg_t *L, size_t n, model_t *m, uint64_t *last_seq, int *have_seq, size_t *bad,
                  uint64_t *bad_off, char *err, size_t errlen)
{
    rec_t r, prev = {0};
    int have_prev = 0;
    *bad = n;
    for (size_t i = 0; i < n; i++) {
        lseg_t *s = &L[i];
        uint64_t off = SEG_HDR, cstart = SEG_HDR;
        int k;
        while ((k = parse_rec(s->p + off, s->size - off, &r)) != 0) {
            if (k < 0) {
                seterr(err, errlen, "%s: corrupt record at offset %" PRIu64 ": fields out of range", s->name, off);
                return -1;
            }
            if (have_prev && (prev.flags & REC_LAST ? r.seq != prev.seq + 1 : r.seq != prev.seq))
                break; /* not the next record of this commit or the next commit */
            prev = r, have_prev = 1;
            off += r.total;
            if (!(r.flags & REC_LAST))
                continue;
            for (uint64_t o = cstart; o < off;) { /* the commit is whole: apply it */
                rec_t q;
                parse_rec(s->p + o, s->size - o, &q);
                int a = model_apply(m, &q, s->p + o);
                if (a == -2) {
                    seterr(err, errlen, "out of memory");
                    return -1;
                }
                if (a == -1) {
                    seterr(err, errlen, "%s: corrupt log: entry %ld missing (next record is %" PRIu64 ")", s->name,
                           (long)(m->first + (raft_index_t)m->n), q.idx);
                    return -1;
                }
                if (q.kind == K_ENTRY && (raft_index_t)q.idx > s->max_idx)
                    s->max_idx = (raft_index_t)q.idx;
                o += q.total;
            }
            *last_seq = r.seq, *have_seq = 1;
            cstart = off;
        }
        s->end = cstart;
        if (!all_zero(s->p + cstart, s->size - cstart)) {
            *bad = i, *bad_off = cstart;
            return 0;
        }
        s->pristine = cstart == SEG_HDR;
    }
    return 0;
}

/* What follows the last whole commit is not zeros.  A commit interrupted by
 * a crash (or a failed write) leaves records that all carry the number
 * after the last whole commit, in this segment only: a torn tail, dropped.
 * A record of any other commit, or anything in a later segment, was
 * written after a commit that was complete, synced and possibly
 * acknowledged, and is now damaged: refused.  *seen gets the torn commit's
 * number (if any record of it survives). */
static int tail_is_torn(lseg_t *L, size_t n, size_t bad, uint64_t bad_off, uint64_t last_seq, int have_seq,
                        uint64_t *seen, int *have_seen)
{
    static const uint8_t magic[4] = {0x54, 0x4B, 0x57, 0x52};
    const uint8_t *q = L[bad].p + bad_off, *end = L[bad].p + L[bad].size;
    *have_seen = 0;
    while (q < end && (q = memmem(q, (size_t)(end - q), magic, 4))) {
        rec_t x;
        if (parse_rec(q, (uint64_t)(end - q), &x) == 1) {
            if (have_seq ? x.seq != last_seq + 1 : (*have_seen && x.seq != *seen))
                return 0;
            *seen = x.seq, *have_seen = 1;
        }
        q++;
    }
    for (size_t j = bad + 1; j < n; j++)
        if (!all_zero(L[j].p + SEG_HDR, L[j].size - SEG_HDR))
            return 0;
    return 1;
}

/* sets the writer up after a load: current segment L[cur], appending at pos */
static int position(wal_t *w, lseg_t *L, size_t n, size_t cur, uint64_t pos, uint64_t dirty_end)
{
    for (size_t i = 0; i < n && i <= cur; i++)
        if (push_seg(w, L[i].num, L[i].max_idx) != 0)
            return -1;
    if (n) {
        w->fd = open(L[cur].name, O_RDWR | O_CLOEXEC);
        if (w->fd < 0)
            return -1;
        w->size = L[cur].size, w->pos = pos, w->dirty_end = dirty_end;
    }
    if (cur + 1 < n) /* prepared ahead and never used; more than one is not ours */
        w->next_ready = 1, w->next_size = L[cur + 1].size;
    for (size_t j = cur + 2; j < n; j++)
        unlink(L[j].name);
    return 0;
}

int wal_load(wal_t *w, raft_index_t snap_idx, raft_term_t snap_term, wal_entry_cb cb, void *ud, long *n_entries,
             char *err, size_t errlen)
{
    prep_collect(w, 1); /* the helper thread is idle from here on */
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1, w->nsegs = 0, w->len = 0, w->seq = 0, w->next_ready = 0, w->buf_clear = 0, w->buf_max = 0;
    w->durable_snap = snap_idx;
    uint64_t *nums;
    size_t n;
    if (list_segments(w, &nums, &n, err, errlen) != 0)
        return -1;
    int ret = -1;
    model_t m = {0};
    lseg_t *L = calloc(n ? n : 1, sizeof *L);
    if (!L) {
        seterr(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        L[i].num = nums[i];
        seg_name(L[i].name, sizeof L[i].name, w->dir, nums[i], "seg");
        if (i && nums[i] != nums[i - 1] + 1) {
            seterr(err, errlen, "%s/wal-%016" PRIx64 ".seg is missing (the log has a hole before %s)", w->dir,
                   nums[i - 1] + 1, L[i].name);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (map_segment(&L[i], err, errlen) != 0)
            goto out;
    uint64_t last_seq = 0, bad_off = 0, seen = 0;
    int have_seq = 0, have_seen = 0;
    size_t bad, cur = 0;
    if (replay(L, n, &m, &last_seq, &have_seq, &bad, &bad_off, err, errlen) != 0)
        goto out;
    uint64_t pos = n ? L[0].end : 0, dirty_end = 0;
    if (bad < n) {
        if (!tail_is_torn(L, n, bad, bad_off, last_seq, have_seq, &seen, &have_seen)) {
            seterr(err, errlen,
                   "%s: corrupt record at offset %" PRIu64 " (after log entry %ld), followed by records of later "
                   "commits: the log was damaged after it was synced",
                   L[bad].name, bad_off, (long)(m.n ? m.first + (raft_index_t)m.n - 1 : 0));
            goto out;
        }
        cur = bad, pos = bad_off;
        for (dirty_end = L[bad].size; dirty_end > bad_off && !L[bad].p[dirty_end - 1]; dirty_end--)
            ;
    } else {
        for (size_t i = 0; i < n; i++)
            if (!L[i].pristine)
                cur = i;
        pos = n ? L[cur].end : 0;
    }
    /* The snapshot.  Entries at or below it are leftovers of a compaction.
     * If the log holds the snapshot's own index, the entries after it
     * continue the snapshot only if that entry has the snapshot's term
     * (Raft's log matching); otherwise the snapshot came from a leader
     * (snapshot install) and the clear that follows it in the same store
     * transaction was lost in a crash between the LMDB commit and the log's
     * (store.h, "Ordering"): the entries conflict with a committed prefix,
     * none of them can be committed, and dropping them is what the lost
     * clear would have done.  They are set aside, and the next commit
     * starts with a clear record so that later entries are not appended
     * to them.  A log that starts above snapshot + 1 lacks entries. */
    raft_index_t first = m.first, last = m.first + (raft_index_t)m.n - 1;
    size_t from = 0;
    int set_aside = 0;
    if (m.n && snap_idx > 0) {
        if (last <= snap_idx) {
            from = m.n;
        } else if (first <= snap_idx) {
            raft_entry_t e;
            decode_entry(m.ents[snap_idx - first], &e);
            if (e.term != snap_term)
                set_aside = 1, from = m.n;
            else
                from = (size_t)(snap_idx - first + 1);
        } else if (first != snap_idx + 1) {
            seterr(err, errlen, "%s: corrupt log: entry %ld missing (the snapshot ends at %ld, the log starts at %ld)",
                   L[0].name, (long)snap_idx + 1, (long)snap_idx, (long)first);
            goto out;
        }
    } else if (m.n && first != 1) {
        seterr(err, errlen, "%s: corrupt log: entry 1 missing (no snapshot, the log starts at %ld)", L[0].name,
               (long)first);
        goto out;
    }
    for (size_t k = from; k < m.n; k++) {
        raft_entry_t e;
        decode_entry(m.ents[k], &e);
        if (cb && cb(ud, first + (raft_index_t)k, &e) != 0) {
            seterr(err, errlen, "%s: log entry %ld rejected on replay", L[0].name, (long)(first + (raft_index_t)k));
            goto out;
        }
    }
    if (n_entries)
        *n_entries = (long)m.n;
    w->seq = have_seq ? last_seq : have_seen ? seen - 1 : 0; /* a torn first commit is rewritten under its number */
    w->have = w->c_have = m.n > 0 && !set_aside;
    w->first = w->c_first = first, w->last = w->c_last = last;
    w->need_clear = w->c_need_clear = set_aside;
    if (!w->readonly) {
        if (position(w, L, n, cur, pos, dirty_end) != 0) {
            seterr(err, errlen, "%s: %s", n ? L[cur].name : w->dir, strerror(errno));
            goto out;
        }
        drop_segments(w);
        prep_ahead(w);
    }
    ret = 0;
out:
    for (size_t i = 0; L && i < n; i++)
        if (L[i].p)
            munmap((void *)(uintptr_t)L[i].p, (size_t)L[i].size);
    free(L);
    free(m.ents);
    free(nums);
    return ret;
}
