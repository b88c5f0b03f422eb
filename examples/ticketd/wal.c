/* ticketd write-ahead log of segment files. See wal.h for the format and
 * store.h for how it and LMDB are written together. */
#define _GNU_SOURCE
#include "wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wal_seg.h"
#include "wire.h"

#define REC_MAGIC 0x544B5752u /* "TKWR" */
#define REC_HDR 44
#define REC_LAST 1u /* flags: last record of its commit */
#define MAX_PAYLOAD (64u << 20)
enum { K_ENTRY = 1, K_TRUNCATE = 2, K_CLEAR = 3 };

static uint64_t seg_bytes = 1u << 20;
void wal_set_segment_bytes(uint64_t bytes) { seg_bytes = bytes < 16384 ? 16384 : bytes; }

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
    wal_prep_t *prep;
    int next_ready; /* wal-(current+1).seg exists, zero-filled, of next_size bytes */
    int prep_failed; /* the helper could not make it: no new attempt before the switch */
    uint64_t next_size;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- creating segments ---- */

static uint64_t next_num(wal_t *w) { return w->nsegs ? w->segs[w->nsegs - 1].num + 1 : 1; }

/* takes the helper's result, waiting for it if wait (or if it runs) */
static void prep_collect(wal_t *w, int wait)
{
    uint64_t num, size;
    int e;
    if (w->prep && wal_prep_take(w->prep, wait, &num, &size, &e)) {
        w->next_ready = !e && num == next_num(w);
        w->prep_failed = e != 0;
        w->next_size = size;
    }
}

/* asks the helper for the segment after the current one, once the current
 * one is half full (or when there is none yet) */
static void prep_ahead(wal_t *w)
{
    if (w->readonly || w->next_ready || w->prep_failed || (w->fd >= 0 && w->pos < w->size / 2))
        return;
    prep_collect(w, 0);
    if (w->next_ready || w->prep_failed || wal_prep_busy(w->prep))
        return;
    wal_prep_ask(w->prep, next_num(w), seg_bytes); /* if it cannot, the switch creates it */
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
        if (wal_write_zeros(w->fd, w->pos, w->dirty_end) != 0 || (!w->nosync && fdatasync(w->fd) != 0))
            return -1;
        w->dirty_end = 0;
    }
    uint64_t num = next_num(w);
    prep_collect(w, 1);
    char name[600];
    wal_seg_name(name, sizeof name, w->dir, num, "seg");
    if (!w->next_ready || w->next_size < want) {
        if (w->next_ready)
            unlink(name); /* prepared by us, empty, too small */
        int e = wal_seg_create(w->dir, num, size, w->nosync);
        if (e) {
            errno = e;
            return -1;
        }
    }
    w->next_ready = 0, w->prep_failed = 0;
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
        wal_seg_name(name, sizeof name, w->dir, w->segs[k].num, "seg");
        if (unlink(name) != 0 && errno != ENOENT)
            break;
        k++;
    }
    if (!k)
        return;
    memmove(w->segs, w->segs + k, (w->nsegs - k) * sizeof *w->segs);
    w->nsegs -= k;
    if (!w->nosync)
        wal_fsync_dir(w->dir);
}

/* ---- writing ---- */

wal_t *wal_open(const char *dir, int nosync, int readonly)
{
    wal_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    w->nosync = nosync, w->readonly = readonly, w->fd = -1;
    if (!readonly && !(w->prep = wal_prep_new(dir, nosync))) {
        free(w);
        return NULL;
    }
    return w;
}

void wal_close(wal_t *w)
{
    if (!w)
        return;
    wal_prep_free(w->prep);
    if (w->fd >= 0)
        close(w->fd);
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
    wal_be32(r, REC_MAGIC);
    r[8] = (uint8_t)kind, r[9] = 0;
    r[10] = (uint8_t)(etype >> 8), r[11] = (uint8_t)etype;
    wal_be32(r + 12, plen);
    wal_be64(r + 16, w->seq + 1);
    wal_be64(r + 24, (uint64_t)idx);
    wal_be64(r + 32, (uint64_t)term);
    wal_be32(r + 40, (uint32_t)id);
    if (plen)
        memcpy(r + REC_HDR, payload, plen);
    wal_be32(r + 4, wire_crc32(0, r + 8, need - 8));
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
int wal_pending_clear(wal_t *w) { return w->buf_clear; }
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
    wal_be32(r + 4, wire_crc32(0, r + 8, w->len - w->last_rec - 8));
    if (w->fd < 0 || w->pos + w->len > w->size) {
        errno = 0;
        if (switch_segment(w, w->len) != 0)
            goto fail;
    }
    uint64_t end = w->pos + w->len;
    if (wal_pwrite_all(w->fd, w->buf, w->len, w->pos) != 0 ||
        (w->dirty_end > end && wal_write_zeros(w->fd, end, w->dirty_end) != 0) ||
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
    int e = wal_seg_create(w->dir, next_num(w), seg_bytes, w->nosync);
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
    if (avail < REC_HDR || wal_rd32(p) != REC_MAGIC)
        return 0;
    r->len = wal_rd32(p + 12);
    if (r->len > MAX_PAYLOAD || r->len > avail - REC_HDR)
        return 0;
    r->total = REC_HDR + (size_t)r->len;
    if (wire_crc32(0, p + 8, r->total - 8) != wal_rd32(p + 4))
        return 0;
    r->kind = p[8], r->flags = p[9], r->etype = (p[10] << 8) | p[11];
    r->seq = wal_rd64(p + 16), r->idx = wal_rd64(p + 24), r->term = wal_rd64(p + 32), r->id = wal_rd32(p + 40);
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
    e->data.len = wal_rd32(p + 12);
    e->term = (raft_term_t)wal_rd64(p + 32);
    e->id = (raft_entry_id_t)wal_rd32(p + 40);
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
    while (n >= WAL_ZEROS) {
        if (memcmp(p, wal_zeros, WAL_ZEROS))
            return 0;
        p += WAL_ZEROS, n -= WAL_ZEROS;
    }
    return memcmp(p, wal_zeros, (size_t)n) == 0;
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
            snprintf(path, sizeof path, "%s/%.24s", w->dir, nm);
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
    if (!s->p || wal_rd32(s->p) != SEG_MAGIC || wal_rd32(s->p + 4) != 1 || wal_rd64(s->p + 8) != s->num ||
        wal_rd32(s->p + 16) != wire_crc32(0, s->p, 16)) {
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
    w->fd = -1, w->nsegs = 0, w->len = 0, w->seq = 0, w->next_ready = 0, w->prep_failed = 0;
    w->buf_clear = 0, w->buf_max = 0;
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
        wal_seg_name(L[i].name, sizeof L[i].name, w->dir, nums[i], "seg");
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
        raft_entry_t e;
        if (first > snap_idx + 1) {
            seterr(err, errlen, "%s: corrupt log: entry %ld missing (the snapshot ends at %ld, the log starts at %ld)",
                   L[0].name, (long)snap_idx + 1, (long)snap_idx, (long)first);
            goto out;
        }
        if (first <= snap_idx && snap_idx <= last && (decode_entry(m.ents[snap_idx - first], &e), e.term != snap_term))
            set_aside = 1, from = m.n;
        else
            from = last <= snap_idx ? m.n : first > snap_idx ? 0 : (size_t)(snap_idx - first + 1);
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
