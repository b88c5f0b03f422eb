/* ticketd durability.c: when writes are committed (fsynced) for each --sync
 * mode, what happens when a commit fails, and the leader's parallel log
 * writes (README, "Durability").
 *
 *   callback   every persisting callback commits before it returns
 *   group      the callbacks write into one open transaction, committed
 *              before anything leaves the process and after every event
 *   parallel   group, and the leader's own log entries may leave in its
 *              appendentries before they are durable
 *              (raft_set_parallel_log_writes): the commit that follows
 *              reports them with raft_flush, and a follower makes what one
 *              appendentries offered durable with one commit before it
 *              answers (the default)
 *   off        LMDB without fsync (benchmarks only)
 *
 * The rule behind all of them: no datagram leaves and no client is answered
 * on the strength of a write that is not on disk, except the parallel
 * leader's appendentries, whose entries count towards a commit only once
 * raft_flush reports them (Raft needs a majority to hold an entry durably;
 * the leader need not be part of it).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

/* A write or commit failed.  A full disk (ENOSPC, EDQUOT, LMDB's map full)
 * pauses writing: the callback returns an error, the library leaves its
 * state as it was (raft.h: a persistence error changes nothing), nothing is
 * acknowledged, and on_tick tries a write once a second until one succeeds
 * (disk_space_probe).  In group and parallel modes the library's memory may
 * already count on writes of the lost transaction: nothing leaves the
 * process until resync_store has written them again (need_resync).  Any
 * other error is fatal.  Returns ERR_STORAGE. */
int storage_failed(int rollback_safe)
{
    int err = store_last_error(S.store);
    if (store_is_full_error(S.store, err)) {
        if (!S.disk_full)
            log_error("disk full: %s/data.mdb: %s: writes paused until space returns", S.dir, store_error_text(err));
        S.disk_full = 1;
        S.disk_probe_at = uv_now(S.loop) + 1000;
        if (!rollback_safe && S.sync_mode != SYNC_CALLBACK)
            S.need_resync = 1;
    } else if (!S.fatal) {
        log_error("%s/data.mdb: write failed: %s", S.dir, store_error_text(err));
        S.fatal = 1;
    }
    return ERR_STORAGE;
}

/* Commits the open transaction.  Everything the library's log holds is then
 * on disk (its offers wrote synchronously): the parallel leader reports it
 * with raft_flush (leader_sync, outside any callback). */
int commit_store(void)
{
    int had_writes = store_dirty(S.store);
    if (store_commit(S.store) != 0)
        return -1;
    S.txn_needs_sync = 0;
    S.disk_idx = raft_get_current_idx(S.raft);
    /* reported in any role: entries a leader appended and could not
     * commit before it stepped down become durable here too (resync_store) */
    if (had_writes && S.sync_mode == SYNC_PARALLEL)
        S.flush_idx = S.disk_idx;
    return 0;
}

/* end of a persisting callback: in callback mode the write is committed
 * (and fsynced) before the callback returns */
int persist_done(void)
{
    if (S.recovering || S.sync_mode == SYNC_GROUP || S.sync_mode == SYNC_PARALLEL)
        return 0;
    return commit_store() == 0 ? 0 : storage_failed(0);
}

/* before anything leaves the process (a datagram, a client answer) and
 * after every raft call: nothing is visible until it is durable.  A failed
 * commit on a full disk holds everything back until resync_store; any
 * other failure stops the process (a restart recovers what is on disk). */
void flush_before_io(void)
{
    if (S.fatal || S.need_resync || !store_dirty(S.store) || commit_store() == 0)
        return;
    storage_failed(0);
    if (S.fatal)
        shutdown_server("storage commit failed");
}

/* 1 while a datagram may leave: everything it may depend on is on disk */
int may_send(void) { return !S.fatal && !S.need_resync; }

/* the persisting callbacks refuse at once while the disk is full */
int may_write(void) { return !S.disk_full && !S.fatal; }

/* writes the hard state; S.hs changes only once it is stored */
int persist_hardstate(raft_term_t term, raft_node_id_t vote)
{
    store_hardstate_t hs = {.term = term, .vote = vote};
    if (S.recovering) {
        S.hs = hs;
        return 0;
    }
    if (!may_write())
        return ERR_STORAGE;
    if (store_put_hardstate(S.store, &hs) != 0)
        return storage_failed(0);
    S.txn_needs_sync = 1;
    int rc = persist_done();
    if (rc == 0)
        S.hs = hs;
    return rc;
}

/* The parallel leader's durability report: the log up to the last commit is
 * on disk (raft_flush), which may raise the commit index; committed entries
 * are then applied (and their clients answered).  Called outside library
 * callbacks, after every event. */
void leader_sync(void)
{
    flush_before_io();
    /* a lower index than reported before (after pops, in a later term)
     * changes nothing in the library, but is reported all the same */
    if (S.sync_mode != SYNC_PARALLEL || S.flush_idx == S.flushed_idx || S.stopping)
        return;
    S.flushed_idx = S.flush_idx;
    S.c.leader_syncs++;
    raft_flush(S.raft, S.flush_idx);
    if (raft_get_commit_idx(S.raft) > raft_get_last_applied_idx(S.raft)) {
        int rc = raft_apply_all(S.raft);
        after_raft(rc == -1 ? 0 : rc, "apply_all");
    }
}

/* After a failed commit (group, parallel): once the disk has room again,
 * write what the library holds that the disk may lack, in one commit:
 * term and vote, and the log above the last index known on disk (records
 * beyond the library's log, left by pops in the lost transaction, are
 * deleted).  0 when the node may send again. */
int resync_store(void)
{
    raft_index_t first = raft_get_first_entry_idx(S.raft);
    raft_index_t from = S.disk_idx + 1 > first ? S.disk_idx + 1 : first;
    raft_index_t last = raft_get_current_idx(S.raft);
    store_hardstate_t hs = {.term = raft_get_current_term(S.raft), .vote = raft_get_voted_for(S.raft)};
    int rc = store_truncate_log_after(S.store, from - 1) != 0 || store_put_hardstate(S.store, &hs) != 0;
    for (raft_index_t i = from; rc == 0 && i <= last && i > 0; i++) {
        raft_entry_t *e = raft_get_entry_from_idx(S.raft, i);
        rc = !e || store_put_entry(S.store, i, e) != 0;
    }
    if (rc != 0 || commit_store() != 0) {
        log_warn("disk still full: %ld log entries and the hard state not yet rewritten", (long)(last - from + 1));
        return -1;
    }
    S.hs = hs;
    S.need_resync = 0;
    log_info("rewrote term %ld, vote %d and log entries %ld..%ld after the failed commit", (long)hs.term, hs.vote,
             (long)from, (long)last);
    return 0;
}
