/* ticketd durable storage: LMDB for the node's meta records, the
 * write-ahead log (wal.c) for the Raft log. See store.h. */
#define _GNU_SOURCE
#include "store.h"
#include "wal.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define REC_MAGIC 0x544B5243u /* "TKRC" */
#define REC_HDR 12

struct store {
    MDB_env *env;
    MDB_dbi meta;
    MDB_txn *txn;
    int dirty; /* the LMDB transaction holds writes */
    wal_t *wal;
    raft_index_t pending_snap; /* a snapshot in the open transaction */
    int last_error;
    uint64_t commits;
    char file[512]; /* DIR/data.mdb, for messages */
    char dir[512];
};

#define STORE_LOW_SPACE (1u << 20) /* bytes free below which an EIO means "disk full" */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- tiny big-endian serializer ---- */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} sbuf_t;

static void put(sbuf_t *b, const void *src, size_t n)
{
    if (b->len + n > b->cap)
        return; /* callers size their buffers; truncation is caught by len checks */
    memcpy(b->p + b->len, src, n);
    b->len += n;
}
static void put_u32(sbuf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}
static void put_u64(sbuf_t *b, uint64_t v)
{
    put_u32(b, (uint32_t)(v >> 32));
    put_u32(b, (uint32_t)v);
}
static void put_str(sbuf_t *b, const char *s)
{
    size_t n = strnlen(s, WIRE_ADDR_LEN - 1);
    uint8_t l = (uint8_t)n;
    put(b, &l, 1);
    put(b, s, n);
}

typedef struct {
    const uint8_t *p;
    size_t len, off;
    int err;
} gbuf_t;

static const uint8_t *get(gbuf_t *g, size_t n)
{
    if (g->err || n > g->len - g->off) {
        g->err = 1;
        return NULL;
    }
    const uint8_t *q = g->p + g->off;
    g->off += n;
    return q;
}
static uint32_t get_u32(gbuf_t *g)
{
    const uint8_t *q = get(g, 4);
    return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
}
static uint64_t get_u64(gbuf_t *g)
{
    uint64_t hi = get_u32(g);
    return (hi << 32) | get_u32(g);
}
static void get_str(gbuf_t *g, char out[WIRE_ADDR_LEN])
{
    const uint8_t *l = get(g, 1);
    out[0] = 0;
    if (!l)
        return;
    if (*l >= WIRE_ADDR_LEN) {
        g->err = 1;
        return;
    }
    const uint8_t *q = get(g, *l);
    if (!q)
        return;
    memcpy(out, q, *l);
    out[*l] = 0;
}

/* ---- records ---- */
/* wraps payload into a record in out (cap must be >= len + REC_HDR) */
static size_t rec_wrap(uint8_t *out, const uint8_t *payload, size_t len)
{
    sbuf_t b = {out, 0, len + REC_HDR};
    put_u32(&b, REC_MAGIC);
    put_u32(&b, 0);
    put_u32(&b, (uint32_t)len);
    put(&b, payload, len);
    uint32_t crc = wire_crc32(0, out + 8, len + 4);
    out[4] = (uint8_t)(crc >> 24);
    out[5] = (uint8_t)(crc >> 16);
    out[6] = (uint8_t)(crc >> 8);
    out[7] = (uint8_t)crc;
    return b.len;
}

/* verifies a record; returns the payload or NULL */
static const uint8_t *rec_open(const MDB_val *v, size_t *len)
{
    if (v->mv_size < REC_HDR)
        return NULL;
    gbuf_t g = {v->mv_data, v->mv_size, 0, 0};
    uint32_t magic = get_u32(&g);
    uint32_t crc = get_u32(&g);
    uint32_t l = get_u32(&g);
    if (magic != REC_MAGIC || (size_t)l != v->mv_size - REC_HDR)
        return NULL;
    if (wire_crc32(0, (const uint8_t *)v->mv_data + 8, (size_t)l + 4) != crc)
        return NULL;
    *len = l;
    return (const uint8_t *)v->mv_data + REC_HDR;
}

/* ---- environment ---- */
store_t *store_open(const char *dir, int nosync, char *err, size_t errlen)
{
    int rc;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        seterr(err, errlen, "mkdir %s: %s", dir, strerror(errno));
        return NULL;
    }
    store_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    snprintf(s->file, sizeof s->file, "%s/data.mdb", dir);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    if ((rc = mdb_env_create(&s->env)) != 0)
        goto fail;
    mdb_env_set_maxdbs(s->env, 4);
    mdb_env_set_mapsize(s->env, (size_t)1 << 30);
    /* MDB_NOTLS: the env is used from one thread only, but be safe.
     * Without MDB_NOSYNC, mdb_txn_commit() fsyncs data then meta page. */
    unsigned flags = MDB_NOTLS | (nosync ? MDB_NOSYNC : 0);
    if ((rc = mdb_env_open(s->env, dir, flags, 0644)) != 0)
        goto fail;
    MDB_txn *txn;
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
        goto fail;
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        goto fail;
    if (!(s->wal = wal_open(dir, nosync, 0))) {
        rc = ENOMEM;
        goto fail;
    }
    return s;
fail:
    seterr(err, errlen, "%s: %s%s", s->file, mdb_strerror(rc),
           rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ? " (zeroed or damaged: not a usable LMDB file)" : "");
    if (s->env)
        mdb_env_close(s->env);
    free(s);
    return NULL;
}

void store_close(store_t *s)
{
    if (!s)
        return;
    store_commit(s);
    wal_close(s->wal);
    mdb_env_close(s->env);
    free(s);
}

int store_begin(store_t *s)
{
    if (s->txn)
        return 0;
    int rc = mdb_txn_begin(s->env, NULL, 0, &s->txn);
    if (rc != 0) {
        s->last_error = rc;
        fprintf(stderr, "ticketd: %s: lmdb txn_begin: %s\n", s->file, mdb_strerror(rc));
        s->txn = NULL;
        return -1;
    }
    s->dirty = 0;
    return 0;
}

/* LMDB first, then the log (store.h, "Ordering"): the log's records are
 * only buffered until here, so none of them reaches even the page cache
 * before the meta records of the same transaction are durable */
int store_commit(store_t *s)
{
    int wrote = 0;
    if (s->txn && !s->dirty) {
        mdb_txn_abort(s->txn);
        s->txn = NULL;
    } else if (s->txn) {
        int rc = mdb_txn_commit(s->txn); /* on failure LMDB aborts the transaction */
        s->txn = NULL;
        s->dirty = 0;
        if (rc != 0) {
            s->last_error = rc;
            s->pending_snap = 0;
            wal_abort(s->wal);
            return -1;
        }
        wrote = 1;
        /* a test hook: die between the two commits (test_ticketd.py,
         * test_snapshot_install_dies_before_log_clear) */
        if (wal_pending_clear(s->wal) && getenv("TICKETD_TEST_EXIT_BEFORE_LOG_CLEAR"))
            _exit(99);
        if (s->pending_snap)
            wal_snapshot_durable(s->wal, s->pending_snap);
        s->pending_snap = 0;
    }
    if (wal_dirty(s->wal)) {
        if (wal_commit(s->wal) != 0) {
            s->last_error = wal_last_error(s->wal);
            return -1;
        }
        wrote = 1;
    }
    s->commits += (uint64_t)wrote;
    return 0;
}

int store_dirty(store_t *s) { return (s->txn && s->dirty) || wal_dirty(s->wal); }
int store_last_error(store_t *s) { return s->last_error; }
/* LMDB reports a short write as EIO: on a filesystem with (almost) no
 * room left, that is a full disk too */
int store_is_full_error(store_t *s, int err)
{
    if (err == ENOSPC || err == EDQUOT || err == MDB_MAP_FULL)
        return 1;
    struct statvfs fs;
    return err == EIO && statvfs(s->dir, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < STORE_LOW_SPACE;
}
const char *store_error_text(int err) { return mdb_strerror(err); }

/* a failed put leaves the transaction unusable: abort it, keep the error */
static int write_failed(store_t *s, int rc)
{
    s->last_error = rc;
    if (s->txn)
        mdb_txn_abort(s->txn);
    s->txn = NULL;
    s->dirty = 0;
    s->pending_snap = 0;
    wal_abort(s->wal); /* the transaction as a whole is lost */
    return -1;
}
uint64_t store_commits(store_t *s) { return s->commits; }

static int put_rec(store_t *s, MDB_dbi dbi, const void *key, size_t klen, const uint8_t *payload, size_t len)
{
    uint8_t stackbuf[2048];
    uint8_t *rec = len + REC_HDR <= sizeof(stackbuf) ? stackbuf : malloc(len + REC_HDR);
    if (!rec)
        return -1;
    if (store_begin(s) != 0) {
        if (rec != stackbuf)
            free(rec);
        return -1;
    }
    size_t rl = rec_wrap(rec, payload, len);
    MDB_val k = {klen, (void *)(uintptr_t)key}, v = {rl, rec};
    int rc = mdb_put(s->txn, dbi, &k, &v, 0);
    if (rec != stackbuf)
        free(rec);
    if (rc != 0)
        return write_failed(s, rc);
    s->dirty = 1;
    return 0;
}

static int put_meta(store_t *s, const char *key, const uint8_t *payload, size_t len)
{
    return put_rec(s, s->meta, key, strlen(key), payload, len);
}

int store_put_identity(store_t *s, uint64_t cluster_id, int32_t node_id)
{
    uint8_t b[12];
    sbuf_t sb = {b, 0, sizeof b};
    put_u64(&sb, cluster_id);
    put_u32(&sb, (uint32_t)node_id);
    return put_meta(s, "identity", b, sb.len);
}

int store_put_hardstate(store_t *s, const store_hardstate_t *hs)
{
    uint8_t b[12];
    sbuf_t sb = {b, 0, sizeof b};
    put_u64(&sb, (uint64_t)hs->term);
    put_u32(&sb, (uint32_t)hs->vote);
    return put_meta(s, "hardstate", b, sb.len);
}

int store_probe(store_t *s)
{
    static uint64_t n;
    struct statvfs fs;
    if (statvfs(s->dir, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < STORE_LOW_SPACE)
        return -1; /* a few free pages would only fill again at once */
    uint8_t b[8];
    sbuf_t sb = {b, 0, sizeof b};
    put_u64(&sb, ++n);
    if (put_meta(s, "probe", b, sb.len) != 0 || store_commit(s) != 0)
        return -1;
    if (wal_probe(s->wal) != 0) { /* and room for the log's next segment */
        s->last_error = wal_last_error(s->wal);
        return -1;
    }
    return 0;
}

int store_put_removed(store_t *s)
{
    uint8_t b[1] = {1};
    return put_meta(s, "removed", b, 1);
}

static size_t members_put(sbuf_t *sb, const wire_snapshot_t *snap)
{
    put_u32(sb, snap->n_members);
    for (uint32_t i = 0; i < snap->n_members && i < WIRE_MAX_MEMBERS; i++) {
        const wire_member_t *m = &snap->members[i];
        put_u32(sb, (uint32_t)m->id);
        uint8_t v = m->voting ? 1 : 0;
        put(sb, &v, 1);
        put_str(sb, m->raft);
        put_str(sb, m->http);
    }
    return sb->len;
}

static int members_get(gbuf_t *g, wire_snapshot_t *snap)
{
    snap->n_members = get_u32(g);
    if (g->err || snap->n_members > WIRE_MAX_MEMBERS)
        return -1;
    for (uint32_t i = 0; i < snap->n_members; i++) {
        wire_member_t *m = &snap->members[i];
        m->id = (int32_t)get_u32(g);
        const uint8_t *v = get(g, 1);
        m->voting = v ? *v : 0;
        get_str(g, m->raft);
        get_str(g, m->http);
        if (g->err || m->id <= 0)
            return -1;
    }
    return 0;
}

int store_put_snapshot(store_t *s, const wire_snapshot_t *snap)
{
    static uint8_t b[28 + 4 + WIRE_MAX_MEMBERS * (5 + 2 * WIRE_ADDR_LEN)];
    sbuf_t sb = {b, 0, sizeof b};
    put_u64(&sb, (uint64_t)snap->snap_term);
    put_u64(&sb, (uint64_t)snap->snap_idx);
    put_u64(&sb, snap->counter);
    members_put(&sb, snap);
    if (put_meta(s, "snapshot", b, sb.len) != 0)
        return -1;
    s->pending_snap = snap->snap_idx;
    return 0;
}

int store_put_bootstrap(store_t *s, const wire_snapshot_t *boot)
{
    static uint8_t b[4 + WIRE_MAX_MEMBERS * (5 + 2 * WIRE_ADDR_LEN)];
    sbuf_t sb = {b, 0, sizeof b};
    members_put(&sb, boot);
    return put_meta(s, "bootstrap", b, sb.len);
}

/* the log: records buffered in the log until store_commit */
static int wal_failed(store_t *s)
{
    s->last_error = wal_last_error(s->wal);
    return -1;
}

int store_put_entry(store_t *s, raft_index_t idx, const raft_entry_t *e)
{
    return wal_put_entry(s->wal, idx, e) == 0 ? 0 : wal_failed(s);
}

int store_del_entry(store_t *s, raft_index_t idx) { return wal_del_entry(s->wal, idx) == 0 ? 0 : wal_failed(s); }

int store_clear_log(store_t *s) { return wal_clear(s->wal) == 0 ? 0 : wal_failed(s); }

int store_truncate_log_after(store_t *s, raft_index_t idx)
{
    return wal_truncate_after(s->wal, idx) == 0 ? 0 : wal_failed(s);
}

void store_set_wal_segment_bytes(uint64_t bytes) { wal_set_segment_bytes(bytes); }

static int get_meta(store_t *s, MDB_txn *txn, const char *key, const uint8_t **p, size_t *len, char *err,
                    size_t errlen)
{
    MDB_val k = {strlen(key), (void *)(uintptr_t)key}, v;
    int rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0) {
        seterr(err, errlen, "%s: reading meta/%s: %s", s->file, key, mdb_strerror(rc));
        return -1;
    }
    *p = rec_open(&v, len);
    if (!*p) {
        seterr(err, errlen, "%s: corrupt record: meta/%s fails its checksum", s->file, key);
        return -1;
    }
    return 1;
}

/* the meta records, each verified; r < 0 on error, with err set */
static int load_meta(store_t *s, MDB_txn *txn, store_state_t *st, char *err, size_t errlen)
{
    const uint8_t *p;
    size_t len;
    int r;
    if ((r = get_meta(s, txn, "identity", &p, &len, err, errlen)) < 0)
        return -1;
    if (r) {
        gbuf_t g = {p, len, 0, 0};
        st->cluster_id = get_u64(&g);
        st->node_id = (int32_t)get_u32(&g);
        if (g.err || g.off != len || st->node_id <= 0 || st->cluster_id == 0)
            goto malformed_identity;
        st->has_identity = 1;
    }
    if ((r = get_meta(s, txn, "hardstate", &p, &len, err, errlen)) < 0)
        return -1;
    if (r) {
        gbuf_t g = {p, len, 0, 0};
        st->hs.term = (int64_t)get_u64(&g);
        st->hs.vote = (int32_t)get_u32(&g);
        if (g.err || g.off != len || st->hs.term < 0 || st->hs.term >= WIRE_MAX_TERM) {
            seterr(err, errlen, "%s: corrupt record: meta/hardstate malformed", s->file);
            return -1;
        }
        st->has_hardstate = 1;
    }
    if ((r = get_meta(s, txn, "snapshot", &p, &len, err, errlen)) < 0)
        return -1;
    if (r) {
        gbuf_t g = {p, len, 0, 0};
        st->snap.snap_term = (int64_t)get_u64(&g);
        st->snap.snap_idx = (int64_t)get_u64(&g);
        st->snap.counter = get_u64(&g);
        if (members_get(&g, &st->snap) != 0 || g.err || g.off != len || st->snap.snap_idx <= 0 ||
            st->snap.snap_term <= 0) {
            seterr(err, errlen, "%s: corrupt record: meta/snapshot malformed", s->file);
            return -1;
        }
        st->has_snapshot = 1;
    }
    if ((r = get_meta(s, txn, "removed", &p, &len, err, errlen)) < 0)
        return -1;
    st->removed = r > 0;
    if ((r = get_meta(s, txn, "bootstrap", &p, &len, err, errlen)) < 0)
        return -1;
    if (r) {
        gbuf_t g = {p, len, 0, 0};
        if (members_get(&g, &st->boot) != 0 || g.off != len) {
            seterr(err, errlen, "%s: corrupt record: meta/bootstrap malformed", s->file);
            return -1;
        }
        st->has_bootstrap = 1;
    }
    return 0;
malformed_identity:
    seterr(err, errlen, "%s: corrupt record: meta/identity malformed", s->file);
    return -1;
}

/* an initialised store has identity, hardstate and bootstrap; nothing
 * exists without an identity (has_log: the log holds entries) */
static int check_complete(store_t *s, MDB_txn *txn, const store_state_t *st, int has_log, char *err, size_t errlen)
{
    if (st->has_identity && (!st->has_hardstate || !st->has_bootstrap)) {
        seterr(err, errlen, "%s: damaged: meta/%s is missing although the node is initialised", s->file,
               st->has_hardstate ? "bootstrap" : "hardstate");
        return -1;
    }
    if (!st->has_identity && (st->has_hardstate || st->has_bootstrap || st->has_snapshot || st->removed)) {
        MDB_val k = {7, "node_id"}, v;
        int old = mdb_get(txn, s->meta, &k, &v) == 0;
        seterr(err, errlen, "%s: %s", s->file,
               old ? "written by an older ticketd without a cluster id: wipe the directory and --join"
                   : "damaged: meta/identity is missing but the store holds Raft state");
        return -1;
    }
    if (!st->has_identity && has_log) {
        seterr(err, errlen,
               "%s holds no cluster identity but its log (wal-*.seg) holds entries: data.mdb was lost or "
               "replaced; wipe the directory and --join",
               s->dir);
        return -1;
    }
    /* before the log moved to wal-*.seg files, it was LMDB's "log" database */
    MDB_dbi old;
    MDB_stat ls;
    if (mdb_dbi_open(txn, "log", 0, &old) == 0 && mdb_stat(txn, old, &ls) == 0 && ls.ms_entries > 0) {
        seterr(err, errlen, "%s: written by an older ticketd (log entries in data.mdb): wipe the directory and --join",
               s->file);
        return -1;
    }
    return 0;
}

/* meta from LMDB, then the log: every record verified, the entries above
 * the snapshot handed to cb in index order (wal_load) */
int store_load(store_t *s, store_state_t *st, store_entry_cb cb, void *ud, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        seterr(err, errlen, "%s: lmdb txn: %s", s->file, mdb_strerror(rc));
        return -1;
    }
    memset(st, 0, sizeof(*st));
    long n_entries = 0;
    int ret = -1;
    if (load_meta(s, txn, st, err, errlen) == 0 &&
        wal_load(s->wal, st->has_snapshot ? st->snap.snap_idx : 0, st->has_snapshot ? st->snap.snap_term : 0, cb, ud,
                 &n_entries, err, errlen) == 0 &&
        check_complete(s, txn, st, n_entries > 0, err, errlen) == 0)
        ret = 0;
    mdb_txn_abort(txn);
    return ret;
}

/* read-only opening for store_verify's child */
store_t *store_open_readonly(const char *dir, char *err, size_t errlen)
{
    store_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    snprintf(s->file, sizeof s->file, "%s/data.mdb", dir);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->wal = wal_open(dir, 1, 1);
    int rc = s->wal ? mdb_env_create(&s->env) : ENOMEM;
    MDB_txn *txn = NULL;
    if (rc == 0) {
        mdb_env_set_maxdbs(s->env, 4);
        mdb_env_set_mapsize(s->env, (size_t)1 << 30);
        rc = mdb_env_open(s->env, dir, MDB_NOTLS | MDB_RDONLY, 0644);
    }
    if (rc == 0)
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "meta", 0, &s->meta);
    if (rc == 0) /* committing keeps the handles (an abort would close them) */
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (rc != 0) {
        seterr(err, errlen, "%s: %s%s", s->file, mdb_strerror(rc),
               rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE
                   ? " (zeroed or damaged: not a usable ticketd store)"
                   : "");
        store_close_readonly(s);
        return NULL;
    }
    return s;
}

void store_close_readonly(store_t *s)
{
    wal_close(s->wal);
    if (s->env)
        mdb_env_close(s->env);
    free(s);
}

/* LMDB opens the newer of its two meta pages that looks valid, and reads
 * pages without checking that they are the page asked for: with the newer
 * meta page damaged, or a page swapped with a stale copy, it silently
 * opens an older state (now that LMDB holds only meta records: an older
 * term and vote).  So the file's own layout is checked (lmdb's mdb.c:
 * MDB_page header = u64 pgno, u16 pad, u16 flags, ...; MDB_meta = u32
 * magic 0xBEEFC0DE, u32 version 1): pages 0 and 1 are sound meta pages,
 * and every page that carries a branch, leaf or overflow header (flags
 * 0x01, 0x02, 0x04, 0x22) carries its own page number. */
static int check_page_numbers(store_t *s, char *err, size_t errlen)
{
    MDB_stat st;
    struct stat sb;
    int fd = open(s->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0 || mdb_env_stat(s->env, &st) != 0) {
        seterr(err, errlen, "%s: %s", s->file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint64_t pages = (uint64_t)sb.st_size / st.ms_psize, bad = UINT64_MAX, held = 0;
    for (uint64_t pg = 0; pg < pages && bad == UINT64_MAX; pg++) {
        uint8_t h[24];
        uint64_t pgno;
        uint16_t flags;
        uint32_t magic, version;
        if (pread(fd, h, sizeof h, (off_t)(pg * st.ms_psize)) != (ssize_t)sizeof h) {
            bad = pg;
            break;
        }
        memcpy(&pgno, h, 8), memcpy(&flags, h + 10, 2), memcpy(&magic, h + 16, 4), memcpy(&version, h + 20, 4);
        flags &= (uint16_t)~0xC010u; /* P_DIRTY, P_LOOSE, P_KEEP */
        if (pg < 2 ? pgno != pg || flags != 0x08 || magic != 0xBEEFC0DEu || version != 1
                   : (flags == 0x01 || flags == 0x02 || flags == 0x04 || flags == 0x22) && pgno != pg)
            bad = pg, held = pgno;
    }
    close(fd);
    if (bad == UINT64_MAX)
        return 0;
    if (bad < 2)
        seterr(err, errlen, "%s: damaged: LMDB meta page %d is not valid (LMDB would open an older state)", s->file,
               (int)bad);
    else
        seterr(err, errlen, "%s: damaged: page %" PRIu64 " holds page %" PRIu64 " (LMDB would read a stale copy)",
               s->file, bad, held);
    return -1;
}

/* every page of the environment, through LMDB's compacting copy (which
 * walks every tree) into /dev/null */
int store_walk_pages(store_t *s, char *err, size_t errlen)
{
    if (check_page_numbers(s, err, errlen) != 0)
        return -1;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        seterr(err, errlen, "/dev/null: %s", strerror(errno));
        return -1;
    }
    int rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
    close(fd);
    if (rc != 0) {
        seterr(err, errlen, "%s: damaged: reading every page failed: %s", s->file, mdb_strerror(rc));
        return -1;
    }
    return 0;
}
