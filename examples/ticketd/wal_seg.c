/* ticketd log segment files: see wal_seg.h */
#define _GNU_SOURCE
#include "wal_seg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wire.h"

const uint8_t wal_zeros[WAL_ZEROS];

void wal_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
void wal_be64(uint8_t *p, uint64_t v) { wal_be32(p, (uint32_t)(v >> 32)), wal_be32(p + 4, (uint32_t)v); }
uint32_t wal_rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
uint64_t wal_rd64(const uint8_t *p) { return (uint64_t)wal_rd32(p) << 32 | wal_rd32(p + 4); }

void wal_seg_name(char *out, size_t n, const char *dir, uint64_t num, const char *ext)
{
    snprintf(out, n, "%s/wal-%016" PRIx64 ".%s", dir, num, ext);
}

int wal_fsync_dir(const char *dir)
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

int wal_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
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

int wal_write_zeros(int fd, uint64_t from, uint64_t to)
{
    while (from < to) {
        size_t n = to - from < WAL_ZEROS ? (size_t)(to - from) : WAL_ZEROS;
        if (wal_pwrite_all(fd, wal_zeros, n, from) != 0)
            return -1;
        from += n;
    }
    return 0;
}

/* zeros rather than fallocate: appending into unwritten extents costs a
 * metadata update at every fdatasync (112 us against 79 us here) */
int wal_seg_create(const char *dir, uint64_t num, uint64_t size, int nosync)
{
    char tmp[600], fin[600];
    wal_seg_name(tmp, sizeof tmp, dir, num, "tmp");
    wal_seg_name(fin, sizeof fin, dir, num, "seg");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    uint8_t h[SEG_HDR] = {0};
    wal_be32(h, SEG_MAGIC);
    wal_be32(h + 4, 1);
    wal_be64(h + 8, num);
    wal_be32(h + 16, wire_crc32(0, h, 16));
    int rc = wal_pwrite_all(fd, h, SEG_HDR, 0) != 0 || wal_write_zeros(fd, SEG_HDR, size) != 0 ||
             (!nosync && fdatasync(fd) != 0);
    int e = errno;
    if (close(fd) != 0 && !rc)
        rc = 1, e = errno;
    /* link, not rename: never replaces a segment that exists */
    if (!rc && link(tmp, fin) != 0)
        rc = 1, e = errno;
    unlink(tmp);
    if (rc)
        return e ? e : EIO;
    return !nosync && wal_fsync_dir(dir) != 0 ? errno : 0;
}

struct wal_prep {
    char dir[512];
    int nosync;
    pthread_t thr;
    int started, stop, job; /* job: 0 none, 1 asked, 2 under way, 3 done */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t num, size;
    int err;
};

wal_prep_t *wal_prep_new(const char *dir, int nosync)
{
    wal_prep_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    p->nosync = nosync;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void wal_prep_free(wal_prep_t *p)
{
    if (!p)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thr, NULL); /* finishes a creation under way first */
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

static void *prep_main(void *arg)
{
    wal_prep_t *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->job != 1 && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop)
            break;
        p->job = 2;
        uint64_t num = p->num, size = p->size;
        pthread_mutex_unlock(&p->mu);
        int e = wal_seg_create(p->dir, num, size, p->nosync);
        pthread_mutex_lock(&p->mu);
        p->err = e;
        p->job = 3;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int wal_prep_ask(wal_prep_t *p, uint64_t num, uint64_t size)
{
    if (!p->started) {
        if (pthread_create(&p->thr, NULL, prep_main, p) != 0)
            return -1;
        p->started = 1;
    }
    pthread_mutex_lock(&p->mu);
    int ok = p->job == 0 || p->job == 3;
    if (ok) {
        p->num = num, p->size = size, p->err = 0, p->job = 1;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return ok ? 0 : -1;
}

int wal_prep_take(wal_prep_t *p, int wait, uint64_t *num, uint64_t *size, int *err)
{
    if (!p->started)
        return 0;
    pthread_mutex_lock(&p->mu);
    while (p->job == 2 || (wait && p->job == 1))
        pthread_cond_wait(&p->cv, &p->mu);
    int got = p->job == 3;
    if (got)
        *num = p->num, *size = p->size, *err = p->err, p->job = 0;
    pthread_mutex_unlock(&p->mu);
    return got;
}

int wal_prep_busy(wal_prep_t *p)
{
    if (!p->started)
        return 0;
    pthread_mutex_lock(&p->mu);
    int busy = p->job == 1 || p->job == 2;
    pthread_mutex_unlock(&p->mu);
    return busy;
}
