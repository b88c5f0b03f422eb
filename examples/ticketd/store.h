/* ticketd durable storage on LMDB.
 *
 * One LMDB environment per node directory with two named databases:
 *   "meta": identity (cluster id + node id), hard state (term + vote),
 *           snapshot, bootstrap membership, removal marker
 *   "log":  one record per log entry, key = 8-byte big-endian index
 * Every value is a checksummed record:
 *   u32 magic "TKRC" | u32 crc32(len..payload) | u32 len | payload
 * so a damaged value is detected on load instead of being applied.
 *
 * Writes go into one write transaction; store_commit() commits (and, unless
 * the store was opened with nosync, LMDB fsyncs before returning).
 *
 * Once a directory is initialised, identity, hardstate and bootstrap always
 * exist: one of them missing (a lost or swapped page) is corruption, and so
 * is any record without an identity.  store_verify() reads every page of the
 * environment in a child process before the node opens it, so that a
 * damaged file that would crash LMDB ends in a message, not in a SIGSEGV.
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

/* Reads every page and record of DIR's environment in a child process (so
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

/* Statistics for /status */
uint64_t store_commits(store_t *s);

#endif
