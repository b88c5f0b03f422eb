/* ticketd wal_seg.c: the log's segment files below wal.c: names, writes,
 * and their creation, in the caller or on a helper thread (wal.h has the
 * format). */
#ifndef TICKETD_WAL_SEG_H
#define TICKETD_WAL_SEG_H

#include <stddef.h>
#include <stdint.h>

#define SEG_MAGIC 0x544B5753u /* "TKWS" */
#define SEG_HDR 32
#define WAL_ZEROS 65536

extern const uint8_t wal_zeros[WAL_ZEROS];

void wal_be32(uint8_t *p, uint32_t v);
void wal_be64(uint8_t *p, uint64_t v);
uint32_t wal_rd32(const uint8_t *p);
uint64_t wal_rd64(const uint8_t *p);

/* DIR/wal-<num as 16 hex digits>.<ext> */
void wal_seg_name(char *out, size_t n, const char *dir, uint64_t num, const char *ext);
int wal_fsync_dir(const char *dir);
/* the whole buffer or -1 (errno; a write of 0 bytes is ENOSPC) */
int wal_pwrite_all(int fd, const void *p, size_t n, uint64_t off);
int wal_write_zeros(int fd, uint64_t from, uint64_t to);

/* Creates wal-NUM.seg of size bytes: header and zeros written and synced
 * under the name wal-NUM.tmp, linked into place (EEXIST if it exists), the
 * directory synced (no syncs with nosync).  0 or an errno; nothing is left
 * behind on error. */
int wal_seg_create(const char *dir, uint64_t num, uint64_t size, int nosync);

/* A helper thread that creates one segment at a time, so that the loop
 * never waits for it (started at the first request). */
typedef struct wal_prep wal_prep_t;
wal_prep_t *wal_prep_new(const char *dir, int nosync);
void wal_prep_free(wal_prep_t *p); /* waits for a creation under way */
/* asks for wal-NUM.seg; 0, or -1 if a request is pending or no thread */
int wal_prep_ask(wal_prep_t *p, uint64_t num, uint64_t size);
/* 1 with the result of the last request (its num, size, errno or 0), 0 if
 * there is none; waits for a pending request if wait, and always for one
 * under way */
int wal_prep_take(wal_prep_t *p, int wait, uint64_t *num, uint64_t *size, int *err);
/* 1 while a request is pending or under way */
int wal_prep_busy(wal_prep_t *p);

#endif
