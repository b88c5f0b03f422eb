/* ticketd write-ahead log: the Raft log entries, in append-only segment
 * files next to data.mdb (store.h has the overall layout and ordering).
 *
 * Files: DIR/wal-<16 hex digits>.seg, numbered consecutively.  A segment is
 * created at its full size, filled with zeros and fsynced (file and
 * directory) under a temporary name (wal-N.tmp) and linked into place (never
 * replacing a segment that exists), by a helper
 * thread while the previous segment is still half empty, so that a commit
 * never waits for it.  Appending into zeroed, allocated blocks makes a
 * commit one pwrite + one fdatasync that changes no file metadata.
 *
 *   segment header (32 bytes): u32 "TKWS" | u32 version 1 | u64 number |
 *                              u32 crc32(bytes 0..15) | zeros
 *   record (44 bytes + payload, big-endian):
 *     u32 "TKWR" | u32 crc32(bytes 8..end) | u8 kind | u8 flags |
 *     u16 entry type | u32 payload length | u64 commit | u64 index |
 *     u64 term | u32 entry id | payload
 *   kind: 1 entry (index, term, type, id, payload), 2 truncate (drop every
 *   entry above index), 3 clear (drop every entry).
 *   commit: the number of the commit (one store_commit) that wrote the
 *   record, consecutive; flags bit 0 marks the last record of a commit.
 *
 * One commit = the records of one transaction, written with one pwrite into
 * one segment, then one fdatasync.  At load only whole commits count: the
 * records of a commit without its last record are a torn write (never
 * acknowledged: nothing leaves the process before the fdatasync returns)
 * and are dropped.  What follows the last whole commit must be zeros, or
 * the remains of that one interrupted commit (records that all carry the
 * next commit number); a record of any later commit after a damaged one
 * means that acknowledged data was damaged: the node refuses to start and
 * names the file.  Before a new commit is written over such remains, or the
 * writer moves on to the next segment, the remains are overwritten with
 * zeros, so that they can never be taken for a later commit.
 */
#ifndef TICKETD_WAL_H
#define TICKETD_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "raft.h"

typedef struct wal wal_t;

/* called for each loaded entry above the snapshot, in index order; the
 * entry's data.buf is only valid during the call */
typedef int (*wal_entry_cb)(void *ud, raft_index_t idx, raft_entry_t *e);

/* Opens DIR's log (no file is read or created yet).  readonly: for the
 * verification child, never writes. */
wal_t *wal_open(const char *dir, int nosync, int readonly);
void wal_close(wal_t *w);

/* Reads and checks every segment and calls cb for each entry above the
 * snapshot (snap_idx, snap_term; 0, 0 without one).  *n_entries gets the
 * number of entries the log holds (also those at or below the snapshot).
 * 0, or -1 with a message naming the file in err.  A writable log is then
 * positioned for appending. */
int wal_load(wal_t *w, raft_index_t snap_idx, raft_term_t snap_term, wal_entry_cb cb, void *ud, long *n_entries,
             char *err, size_t errlen);

/* these only buffer a record (0, or -1 when out of memory) */
int wal_put_entry(wal_t *w, raft_index_t idx, const raft_entry_t *e);
/* the last entry (log_pop) or a compacted one at or below the snapshot
 * (log_poll: nothing to write; whole segments go once all their entries
 * are compacted) */
int wal_del_entry(wal_t *w, raft_index_t idx);
int wal_truncate_after(wal_t *w, raft_index_t idx);
int wal_clear(wal_t *w);

int wal_dirty(wal_t *w);
int wal_pending_clear(wal_t *w); /* the buffered records include a clear */
/* writes the buffered records and fdatasyncs: 0, or -1 with the errno in
 * wal_last_error; a failed commit writes nothing the log will load */
int wal_commit(wal_t *w);
/* drops the buffered records (the transaction failed elsewhere) */
void wal_abort(wal_t *w);
int wal_last_error(wal_t *w);

/* a snapshot at idx is durable: segments holding only entries at or below
 * it may be deleted */
void wal_snapshot_durable(wal_t *w, raft_index_t idx);
/* 0 once the next commit has a segment to go to (creates it if needed) */
int wal_probe(wal_t *w);
/* the size of new segments (default 1 MiB; at least 16 KiB) */
void wal_set_segment_bytes(uint64_t bytes);

#endif
