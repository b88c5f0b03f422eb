/* Raft safety checker: see safety.h for the rules and the reports.
 *
 * Each server's log is kept as one record per index: (term, id, content
 * hash, prefix hash), where the prefix hash chains every entry up to that
 * index. Log Matching then reduces to one table lookup per append: the first
 * log seen holding (index, term) fixes the prefix hash every later holder
 * must have. Commits copy the committed entry (with its prefix hash) into a
 * per-index slot; a "stair" of (term, highest index committed in a term <=
 * it) answers, for a new leader of term T, which index its log must reach. */
#include "safety.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rare paths kept out of line, so that the common reports stay short. */
#if defined(__GNUC__)
#define SC_NOINLINE __attribute__((noinline))
#else
#define SC_NOINLINE
#endif

typedef struct {
    int64_t term, id;
    uint64_t content;   /* hash of (term, id, payload) */
    uint64_t prefix;    /* hash of the whole log up to this entry */
} sc_entry_t;

typedef struct {
    int64_t base, base_term;    /* the log holds base+1 .. base+count */
    uint64_t base_prefix;       /* prefix hash at base */
    int anchored;               /* base_prefix is the cluster's (else: Log Matching off for this log) */
    sc_entry_t *ents;           /* ents[start .. start+count) */
    size_t start, count, cap;
    int64_t commit, applied;
} sc_server_t;

enum { SLOT_EMPTY, SLOT_APPLIED, SLOT_COMMITTED };

/* The entry first applied or committed at an index. */
typedef struct {
    int64_t term, id;
    uint64_t content;
    uint64_t prefix;            /* valid when committed_prefix */
    int by;
    unsigned char how;          /* SLOT_* of the first report */
    unsigned char committed_prefix;
} sc_slot_t;

/* Open-addressing map from (a, b) to (v, w). */
typedef struct {
    int64_t a, b;
    uint64_t v;
    int w;
    int used;
} sc_cell_t;

typedef struct {
    sc_cell_t *cells;
    size_t cap, len;
} sc_map_t;

/* term -> highest index known committed in a term <= it; idx strictly
 * increasing with term. */
typedef struct {
    int64_t term, idx;
} sc_step_t;

struct safety {
    sc_server_t *servers;
    int nservers;
    sc_slot_t *slots;           /* slots[idx], idx < nslots */
    int64_t nslots;
    sc_map_t leaders;           /* (term, 0) -> leader */
    sc_map_t held;              /* (idx, term) -> prefix hash, first holder */
    sc_step_t *stair;
    size_t nstair, stair_cap;
    struct {
        int server;
        int active;             /* 0: no scan; 1: scanning; 2: scanning a log with nothing to compare */
        int64_t next;           /* index of the next entry of the scan */
        uint64_t prefix;        /* prefix hash up to next - 1 */
    } scan;
    long violations;
    long terms_with_leader;
    char first[512], last[512];
};

static void *sc_realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("safety: out of memory\n", stderr);
        abort();
    }
    return p;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Hash of an entry: its term, id and payload, the payload taken 8 bytes at
 * a time (the simulator hashes every entry it stores, applies and reads
 * back: this is its checker's main cost). */
static uint64_t content_hash(int64_t term, int64_t id, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = mix((uint64_t)term * 0x9e3779b97f4a7c15ull) ^ mix((uint64_t)id + (uint64_t)len * 0x632be59bd9b4e019ull);
    size_t i = 0;
    if (!p)
        len = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ull;
    }
    if (i < len) {
        uint64_t w = 0;
        for (; i < len; i++)
            w = w << 8 | p[i];
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ull;
    }
    return mix(h);
}

static uint64_t chain(uint64_t prev, int64_t idx, uint64_t content)
{
    return mix(prev * 0x9e3779b97f4a7c15ull + (uint64_t)idx) ^ content;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int violation(safety_t *sc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sc->last, sizeof(sc->last), fmt, ap);
    va_end(ap);
    if (sc->violations++ == 0)
        memcpy(sc->first, sc->last, sizeof(sc->first));
    return SAFETY_VIOLATION;
}

/* ---- the map ------------------------------------------------------------ */

static size_t map_pos(const sc_map_t *m, int64_t a, int64_t b)
{
    return (size_t)mix((uint64_t)a * 0x9e3779b97f4a7c15ull ^ (uint64_t)b) & (m->cap - 1);
}

/* The cell of (a, b); a new one (used == 0 until the caller fills it) if absent. */
static sc_cell_t *map_get(sc_map_t *m, int64_t a, int64_t b)
{
    size_t i;
    if ((m->len + 1) * 2 > m->cap) {
        sc_map_t bigger;
        bigger.cap = m->cap ? m->cap * 2 : 64;
        bigger.len = m->len;
        bigger.cells = sc_realloc(NULL, bigger.cap * sizeof(sc_cell_t));
        memset(bigger.cells, 0, bigger.cap * sizeof(sc_cell_t));
        for (i = 0; i < m->cap; i++) {
            size_t j;
            if (!m->cells[i].used)
                continue;
            for (j = map_pos(&bigger, m->cells[i].a, m->cells[i].b); bigger.cells[j].used; j = (j + 1) & (bigger.cap - 1))
                ;
            bigger.cells[j] = m->cells[i];
        }
        free(m->cells);
        *m = bigger;
    }
    for (i = map_pos(m, a, b); m->cells[i].used; i = (i + 1) & (m->cap - 1))
        if (m->cells[i].a == a && m->cells[i].b == b)
            return &m->cells[i];
    m->cells[i].a = a;
    m->cells[i].b = b;
    return &m->cells[i];
}

static const sc_cell_t *map_find(const sc_map_t *m, int64_t a, int64_t b)
{
    size_t i;
    if (!m->cap)
        return NULL;
    for (i = map_pos(m, a, b); m->cells[i].used; i = (i + 1) & (m->cap - 1))
        if (m->cells[i].a == a && m->cells[i].b == b)
            return &m->cells[i];
    return NULL;
}

/* ---- servers, slots, stair --------------------------------------------- */

/* The record of a server not heard of before (and of those below it). */
SC_NOINLINE static sc_server_t *servers_grow(safety_t *sc, int server)
{
    int n = server + 1, i;
    sc->servers = sc_realloc(sc->servers, (size_t)n * sizeof(sc_server_t));
    memset(sc->servers + sc->nservers, 0, (size_t)(n - sc->nservers) * sizeof(sc_server_t));
    for (i = sc->nservers; i < n; i++)
        sc->servers[i].anchored = 1;
    sc->nservers = n;
    return &sc->servers[server];
}

static sc_server_t *server_of(safety_t *sc, int server)
{
    if (server < 0 || server > SAFETY_MAX_SERVER)
        return NULL;
    if (server >= sc->nservers)
        return servers_grow(sc, server);
    return &sc->servers[server];
}

static int64_t last_idx(const sc_server_t *s)
{
    return s->base + (int64_t)s->count;
}

static sc_entry_t *entry_at(sc_server_t *s, int64_t idx)
{
    return &s->ents[s->start + (size_t)(idx - s->base - 1)];
}

static sc_slot_t *slot_at(safety_t *sc, int64_t idx)
{
    if (idx >= sc->nslots) {
        int64_t n = sc->nslots ? sc->nslots : 64;
        while (n <= idx)
            n *= 2;
        sc->slots = sc_realloc(sc->slots, (size_t)n * sizeof(sc_slot_t));
        memset(sc->slots + sc->nslots, 0, (size_t)(n - sc->nslots) * sizeof(sc_slot_t));
        sc->nslots = n;
    }
    return &sc->slots[idx];
}

static void stair_insert(safety_t *sc, int64_t term, int64_t idx)
{
    size_t lo = 0, hi = sc->nstair, k;
    /* first step with a term > `term` */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sc->stair[mid].term <= term)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && sc->stair[lo - 1].idx >= idx)
        return;
    if (lo > 0 && sc->stair[lo - 1].term == term) {
        sc->stair[--lo].idx = idx;
    } else {
        if (sc->nstair == sc->stair_cap) {
            sc->stair_cap = sc->stair_cap ? sc->stair_cap * 2 : 16;
            sc->stair = sc_realloc(sc->stair, sc->stair_cap * sizeof(sc_step_t));
        }
        memmove(sc->stair + lo + 1, sc->stair + lo, (sc->nstair - lo) * sizeof(sc_step_t));
        sc->stair[lo].term = term;
        sc->stair[lo].idx = idx;
        sc->nstair++;
    }
    /* later terms that knew no more than idx committed are covered by this step */
    for (k = lo + 1; k < sc->nstair && sc->stair[k].idx <= idx; k++)
        ;
    memmove(sc->stair + lo + 1, sc->stair + k, (sc->nstair - k) * sizeof(sc_step_t));
    sc->nstair -= k - (lo + 1);
}

/* Highest index known committed in a term < `term` (0 if none). */
static int64_t committed_before(const safety_t *sc, int64_t term)
{
    size_t lo = 0, hi = sc->nstair;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sc->stair[mid].term < term)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? sc->stair[lo - 1].idx : 0;
}

/* ---- reports ------------------------------------------------------------ */

safety_t *safety_new(void)
{
    return calloc(1, sizeof(safety_t));
}

void safety_free(safety_t *sc)
{
    int i;
    if (!sc)
        return;
    for (i = 0; i < sc->nservers; i++)
        free(sc->servers[i].ents);
    free(sc->servers);
    free(sc->slots);
    free(sc->leaders.cells);
    free(sc->held.cells);
    free(sc->stair);
    free(sc);
}

/* Leader Completeness for a new leader of `term` (Raft paper §5.4). */
static int check_completeness(safety_t *sc, int server, sc_server_t *s, int64_t term)
{
    int64_t c = committed_before(sc, term);
    const sc_slot_t *slot;
    if (c == 0)
        return SAFETY_OK;
    slot = &sc->slots[c];
    if (last_idx(s) < c)
        return violation(sc, "leader completeness: %d became leader of term %lld but its log ends at %lld, before index %lld committed in an earlier term",
                         server, (long long)term, (long long)last_idx(s), (long long)c);
    if (!s->anchored)
        return SAFETY_OK;
    if (c > s->base) {
        const sc_entry_t *e = entry_at(s, c);
        if (e->prefix != slot->prefix)
            return violation(sc, "leader completeness: %d became leader of term %lld but its log up to %lld differs from the committed one (it holds id %lld of term %lld there, committed: id %lld of term %lld)",
                             server, (long long)term, (long long)c, (long long)e->id, (long long)e->term,
                             (long long)slot->id, (long long)slot->term);
    } else if (s->base < sc->nslots && sc->slots[s->base].committed_prefix &&
               sc->slots[s->base].prefix != s->base_prefix) {
        return violation(sc, "leader completeness: %d became leader of term %lld but its snapshot at %lld differs from the committed log",
                         server, (long long)term, (long long)s->base);
    }
    return SAFETY_OK;
}

int safety_leader(safety_t *sc, int server, int64_t term)
{
    sc_server_t *s = server_of(sc, server);
    sc_cell_t *cell;
    if (!s || term < 0)
        return SAFETY_BAD_ARGUMENT;
    cell = map_get(&sc->leaders, term, 0);
    if (!cell->used) {
        cell->used = 1;
        cell->w = server;
        sc->leaders.len++;
        sc->terms_with_leader++;
        return check_completeness(sc, server, s, term);
    }
    if (cell->w != server)
        return violation(sc, "election safety: %d and %d both leaders in term %lld", cell->w, server, (long long)term);
    return SAFETY_OK;
}

int safety_append(safety_t *sc, int server, int64_t idx, int64_t term, int64_t id, const void *data, size_t len)
{
    sc_server_t *s = server_of(sc, server);
    sc_entry_t *e;
    uint64_t prev;
    int rc = SAFETY_OK;
    if (!s || idx <= s->base || idx > last_idx(s) + 1 || (len && !data))
        return SAFETY_BAD_ARGUMENT;
    if (idx <= s->commit)
        rc = violation(sc, "commit durability: %d replaced its entry at %lld, committed (its commit index is %lld)",
                       server, (long long)idx, (long long)s->commit);
    s->count = (size_t)(idx - s->base - 1);
    prev = s->count ? entry_at(s, idx - 1)->prefix : s->base_prefix;
    if (s->start + s->count == s->cap) {
        if (s->start > s->cap / 2) {
            memmove(s->ents, s->ents + s->start, s->count * sizeof(sc_entry_t));
            s->start = 0;
        } else {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->ents = sc_realloc(s->ents, s->cap * sizeof(sc_entry_t));
        }
    }
    e = &s->ents[s->start + s->count++];
    e->term = term;
    e->id = id;
    e->content = content_hash(term, id, data, len);
    e->prefix = chain(prev, idx, e->content);
    if (s->anchored) {
        sc_cell_t *cell = map_get(&sc->held, idx, term);
        if (!cell->used) {
            cell->used = 1;
            cell->v = e->prefix;
            cell->w = server;
            sc->held.len++;
        } else if (cell->v != e->prefix && rc == SAFETY_OK) {
            rc = violation(sc, "log matching: %d and %d both hold an entry of term %lld at %lld, but their logs up to it differ",
                           cell->w, server, (long long)term, (long long)idx);
        }
    }
    return rc;
}

int safety_truncate(safety_t *sc, int server, int64_t idx)
{
    sc_server_t *s = server_of(sc, server);
    if (!s || idx <= s->base || idx > last_idx(s) + 1)
        return SAFETY_BAD_ARGUMENT;
    s->count = (size_t)(idx - s->base - 1);
    if (idx <= s->commit)
        return violation(sc, "commit durability: %d removed its entry at %lld, committed (its commit index is %lld)",
                         server, (long long)idx, (long long)s->commit);
    return SAFETY_OK;
}

int safety_compact(safety_t *sc, int server, int64_t idx)
{
    sc_server_t *s = server_of(sc, server);
    const sc_entry_t *e;
    size_t k;
    (void)sc;
    if (!s || idx > last_idx(s))
        return SAFETY_BAD_ARGUMENT;
    if (idx <= s->base)
        return SAFETY_OK;
    e = entry_at(s, idx);
    k = (size_t)(idx - s->base);
    s->base_prefix = e->prefix;
    s->base_term = e->term;
    s->base = idx;
    s->start += k;
    s->count -= k;
    return SAFETY_OK;
}

int safety_load_snapshot(safety_t *sc, int server, int64_t idx, int64_t term)
{
    sc_server_t *s = server_of(sc, server);
    const sc_cell_t *held;
    if (!s || idx < 0 || term < 0)
        return SAFETY_BAD_ARGUMENT;
    s->base = idx;
    s->base_term = term;
    s->start = s->count = 0;
    s->commit = s->applied = idx;
    held = map_find(&sc->held, idx, term);
    if (idx == 0) {
        s->base_prefix = 0;
        s->anchored = 1;
    } else if (held) {
        s->base_prefix = held->v;
        s->anchored = 1;
    } else if (idx < sc->nslots && sc->slots[idx].committed_prefix && sc->slots[idx].term == term) {
        s->base_prefix = sc->slots[idx].prefix;
        s->anchored = 1;
    } else {
        s->anchored = 0;    /* nobody reported that entry: nothing to compare with */
        return SAFETY_OK;
    }
    if (idx < sc->nslots && sc->slots[idx].committed_prefix && sc->slots[idx].prefix != s->base_prefix)
        return violation(sc, "state machine safety: %d loaded a snapshot at %lld (term %lld) that differs from the committed log",
                         server, (long long)idx, (long long)term);
    return SAFETY_OK;
}

int safety_restart(safety_t *sc, int server, int64_t applied_idx)
{
    sc_server_t *s = server_of(sc, server);
    if (!s || applied_idx < 0)
        return SAFETY_BAD_ARGUMENT;
    s->commit = s->applied = applied_idx;
    return SAFETY_OK;
}

static const char *slot_how(const sc_slot_t *slot)
{
    return slot->how == SLOT_APPLIED ? "applied" : "committed";
}

/* A commit report that changes something (safety_commit): kept out of line
 * so that the common report stays a few instructions. */
SC_NOINLINE static int commit_moved(safety_t *sc, int server, sc_server_t *s, int64_t commit_idx, int64_t current_term)
{
    int64_t idx;
    if (commit_idx < s->commit)
        return violation(sc, "commit index: %d went back from %lld to %lld", server, (long long)s->commit,
                         (long long)commit_idx);
    if (commit_idx > last_idx(s)) {
        int64_t was = s->commit;
        s->commit = commit_idx;
        return violation(sc, "commit index: %d committed up to %lld but its log ends at %lld (commit was %lld)", server,
                         (long long)commit_idx, (long long)last_idx(s), (long long)was);
    }
    for (idx = s->commit + 1; idx <= commit_idx; idx++) {
        const sc_entry_t *e;
        sc_slot_t *slot;
        if (idx <= s->base)
            continue;   /* compacted before we heard of its commit */
        e = entry_at(s, idx);
        slot = slot_at(sc, idx);
        if (slot->how == SLOT_EMPTY) {
            slot->term = e->term;
            slot->id = e->id;
            slot->content = e->content;
            slot->by = server;
            slot->how = SLOT_COMMITTED;
        } else if (slot->content != e->content) {
            s->commit = idx;
            return violation(sc, "state machine safety: %d committed entry id %lld (term %lld) at %lld, another node %s id %lld (term %lld)",
                             server, (long long)e->id, (long long)e->term, (long long)idx, slot_how(slot),
                             (long long)slot->id, (long long)slot->term);
        }
        if (!slot->committed_prefix && s->anchored) {
            slot->prefix = e->prefix;
            slot->committed_prefix = 1;
            stair_insert(sc, current_term, idx);
        }
    }
    s->commit = commit_idx;
    return SAFETY_OK;
}

int safety_commit(safety_t *sc, int server, int64_t commit_idx, int64_t current_term)
{
    sc_server_t *s = server_of(sc, server);
    if (!s || current_term < 0)
        return SAFETY_BAD_ARGUMENT;
    /* (the same commit index again, the common report, costs nothing) */
    if (commit_idx == s->commit && commit_idx <= last_idx(s))
        return SAFETY_OK;
    return commit_moved(sc, server, s, commit_idx, current_term);
}

int safety_apply(safety_t *sc, int server, int64_t idx, int64_t term, int64_t id, const void *data, size_t len)
{
    sc_server_t *s = server_of(sc, server);
    sc_slot_t *slot;
    uint64_t content;
    if (!s || idx <= 0 || (len && !data))
        return SAFETY_BAD_ARGUMENT;
    if (idx != s->applied + 1)
        return violation(sc, "apply order: %d applied index %lld after %lld", server, (long long)idx, (long long)s->applied);
    s->applied = idx;
    content = content_hash(term, id, data, len);
    slot = slot_at(sc, idx);
    if (slot->how == SLOT_EMPTY) {
        slot->term = term;
        slot->id = id;
        slot->content = content;
        slot->by = server;
        slot->how = SLOT_APPLIED;
    } else if (slot->content != content) {
        return violation(sc, "state machine safety: %d applied entry id %lld (term %lld) at %lld, another node %s id %lld (term %lld)",
                         server, (long long)id, (long long)term, (long long)idx, slot_how(slot), (long long)slot->id,
                         (long long)slot->term);
    }
    return SAFETY_OK;
}

int safety_scan(safety_t *sc, int server, int64_t idx)
{
    sc_server_t *s = server_of(sc, server);
    sc->scan.active = 0;
    if (!s || idx - 1 < s->base || idx - 1 > last_idx(s))
        return SAFETY_BAD_ARGUMENT;
    sc->scan.server = server;
    sc->scan.next = idx;
    sc->scan.prefix = idx - 1 == s->base ? s->base_prefix : entry_at(s, idx - 1)->prefix;
    sc->scan.active = s->anchored ? 1 : 2;  /* 2: nothing to compare with */
    return SAFETY_OK;
}

int safety_scan_next(safety_t *sc, int64_t term, int64_t id, const void *data, size_t len)
{
    int64_t idx = sc->scan.next;
    const sc_cell_t *held;
    if (!sc->scan.active || (len && !data))
        return SAFETY_BAD_ARGUMENT;
    sc->scan.prefix = chain(sc->scan.prefix, idx, content_hash(term, id, data, len));
    sc->scan.next++;
    if (sc->scan.active != 1)
        return SAFETY_OK;
    held = map_find(&sc->held, idx, term);
    if (held && held->v != sc->scan.prefix)
        return violation(sc, "log matching: the log read back from %d holds an entry of term %lld at %lld after another prefix than %d's log",
                         sc->scan.server, (long long)term, (long long)idx, held->w);
    return SAFETY_OK;
}

int safety_committed(const safety_t *sc, int64_t idx, int64_t *term, int64_t *id)
{
    const sc_slot_t *slot;
    if (idx <= 0 || idx >= sc->nslots || sc->slots[idx].how == SLOT_EMPTY)
        return 0;
    slot = &sc->slots[idx];
    if (term)
        *term = slot->term;
    if (id)
        *id = slot->id;
    return 1;
}

long safety_violations(const safety_t *sc)
{
    return sc->violations;
}

const char *safety_first_violation(const safety_t *sc)
{
    return sc->violations ? sc->first : NULL;
}

const char *safety_last_violation(const safety_t *sc)
{
    return sc->violations ? sc->last : NULL;
}

long safety_terms_with_leader(const safety_t *sc)
{
    return sc->terms_with_leader;
}
