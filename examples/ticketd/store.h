/* ticketd durable storage on LMDB.
 *
 * One LMDB environment per node directory with two named databases:
 *   "meta": node id, hard state (term + vote), snapshot, bootstrap membership
 *   "log":  one record per log entry, key = 8-byte big-endian index
 * Every value is a checksummed record:
 *   u32 magic "TKRC" | u32 crc32(len..payload) | u32 len | payload
 * so a damaged value is detected on load instead of being applied.
 *
 * Writes go into one write transaction; store_commit() commits (and, unless
 * the store was opened with nosync, LMDB fsyncs before returning).
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
    int has_node_id;
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

store_t *store_open(const char *dir, int nosync, char *err, size_t errlen);
void store_close(store_t *s);

/* Loads and verifies everything.  Returns 0, or -1 with a message in err
 * (corrupt record, gap in the log, LMDB error). */
int store_load(store_t *s, store_state_t *st, store_entry_cb cb, void *ud, char *err, size_t errlen);

int store_begin(store_t *s);  /* opens the write transaction if none is open */
int store_commit(store_t *s); /* commits (and syncs) it; no-op if none open */
int store_dirty(store_t *s);

/* each of these writes into the open transaction (opening one if needed) */
int store_put_node_id(store_t *s, int32_t id);
int store_put_hardstate(store_t *s, const store_hardstate_t *hs);
int store_put_snapshot(store_t *s, const wire_snapshot_t *snap);
int store_put_bootstrap(store_t *s, const wire_snapshot_t *boot);
int store_put_removed(store_t *s);
int store_put_entry(store_t *s, raft_index_t idx, const raft_entry_t *e);
int store_del_entry(store_t *s, raft_index_t idx);
int store_clear_log(store_t *s);

/* Statistics for /status */
uint64_t store_commits(store_t *s);

#endif
