/* ticketd durable storage: LMDB for what a node is, a write-ahead log for
 * its Raft log.
 *
 * In the node directory:
 *   data.mdb   one LMDB environment, database "meta": identity (cluster id +
 *              node id), hard state (term + vote), snapshot, bootstrap
 *              membership, removal marker.  Every value is a checksummed
 *              record: u32 magic "TKRC" | u32 crc32(len..payload) | u32 len |
 *              payload, so a damaged value is detected on load.
 *   wal-N.seg  the log entries: append-only segment files, preallocated with
 *              zeros (wal.h has the format).
 *
 * Writes go into one store transaction: meta records into an LMDB write
 * transaction, log records into a buffer.  store_commit() makes it
 * durable (unless the store was opened with nosync):
 *   1. if meta records were written: the LMDB commit (LMDB fsyncs);
 *   2. if log records were written: one pwrite into the current segment and
 *      one fdatasync.
 * The steady state (entries only) is step 2 alone: one fdatasync.
 *
 * Ordering, a crash between 1 and 2 (nothing leaves the process before
 * store_commit returns, so nothing was acted on yet):
 *  - hard state + entries (a follower meeting a new term): the new term is
 *    durable, the entries are not: they were never acknowledged.  (The other
 *    order could leave entries of a term newer than the stored one.)
 *  - snapshot + log clear (snapshot install): the snapshot is durable, the
 *    old log is still there.  The other order could lose the log without
 *    the snapshot that replaces it: entries this follower acknowledged.  At
 *    load, entries at or below the snapshot are ignored; entries above it
 *    are kept only if the log holds the snapshot's index with the
 *    snapshot's term (then they continue it, as Raft keeps the entries
 *    after a snapshot that describes a prefix of the log); otherwise they
 *    conflict with it, cannot be committed, and are set aside as the clear
 *    would have done (wal.c, wal_load).
 *  - log pop / truncate + anything: the log records are not even written
 *    before the LMDB commit succeeded, so a failed LMDB commit leaves the
 *    log as it was.
 * Compaction needs no log write: entries at or below the snapshot are
 * ignored at load, and whole segments are deleted (oldest first) once the
 * snapshot covering all their entries is durable.
 *
 * Once a directory is initialised, identity, hardstate and bootstrap always
 * exist: one of them missing (a lost or swapped page) is corruption, and so
 * is any record, or any log entry, without an identity.  store_verify()
 * reads every page of the environment and every log record in a child
 * process before the node opens them, so that a damaged file that would
 * crash LMDB ends in a message, not in a SIGSEGV.
 */
#ifndef TICKETD_STORE_H
#define TICKETD_STORE_H

#include <stdint.h>

#include "raft.h"
#include "wire.h"

typedef struct store store_t;

typedef struct {
    int64_t term;
    int32_t vote;
} store_hardstate_t;

/* What a node directory holds, as loaded at start-up. */
typedef struct {
    int has_identity; /* initialised: cluster_id and node_id are set */
    uint64_t cluster_id;
    int32_t node_id;
    int has_hardstate;
    store_hardstate_t hs;
    int has_snapshot;
    wire_snapshot_t snap; /* snap.term unused */
    int removed; /* this node was removed from the cluster */
    int has_bootstrap;
    wire_snapshot_t boot; /* only n_members/members used; counter unused */
} store_state_t;

/* called for each log entry above the snapshot, in index order; the
 * entry's data.buf is only valid during the call */
typedef int (*store_entry_cb)(void *ud, raft_index_t idx, raft_entry_t *e);

/* Reads every page and record of DIR's environment, and every log record, in a child process (so
 * that a crash inside LMDB cannot take the caller down).  0: sound or no
 * environment yet; -1 with a message naming the file in err. */
int store_verify(const char *dir, char *err, size_t errlen);

store_t *store_open(const char *dir, int nosync, char *err, size_t errlen);
void store_close(store_t *s);

/* Loads and verifies everything.  Returns 0, or -1 with a message in err
 * naming the file (corrupt or missing record, gap in the log, LMDB error). */
int store_load(store_t *s, store_state_t *st, store_entry_cb cb, void *ud, char *err, size_t errlen);

int store_begin(store_t *s);  /* opens the write transaction if none is open */
int store_commit(store_t *s); /* commits (and syncs) it; no-op if none open */
int store_dirty(store_t *s);
/* the error of the last failed write or commit (an errno or MDB_* code),
 * and whether it means that the disk (or the map) is full */
int store_last_error(store_t *s);
int store_is_full_error(store_t *s, int err);
const char *store_error_text(int err);

/* each of these writes into the open transaction (opening one if needed) */
int store_put_identity(store_t *s, uint64_t cluster_id, int32_t node_id);
int store_put_hardstate(store_t *s, const store_hardstate_t *hs);
int store_put_snapshot(store_t *s, const wire_snapshot_t *snap);
int store_put_bootstrap(store_t *s, const wire_snapshot_t *boot);
int store_put_removed(store_t *s);
/* 0 once the disk has room again: at least 1 MiB free, and a small record
 * written and committed */
int store_probe(store_t *s);
int store_put_entry(store_t *s, raft_index_t idx, const raft_entry_t *e);
int store_del_entry(store_t *s, raft_index_t idx);
int store_clear_log(store_t *s);
/* deletes every log record above idx */
int store_truncate_log_after(store_t *s, raft_index_t idx);

/* for store_verify's child: read-only opening, and a read of every page */
store_t *store_open_readonly(const char *dir, char *err, size_t errlen);
void store_close_readonly(store_t *s);
int store_walk_pages(store_t *s, char *err, size_t errlen);

/* the size of new log segments (default 1 MiB) */
void store_set_wal_segment_bytes(uint64_t bytes);

/* Statistics for /status: commits that wrote anything */
uint64_t store_commits(store_t *s);

#endif
