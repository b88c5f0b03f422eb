/* Raft safety checker: one implementation of the paper's safety properties
 * (Raft paper Figure 3) for every harness that runs a cluster, in C or in
 * Rust. It knows nothing of libraft: the harness reports what its servers
 * did, as plain numbers and bytes, and the checker says when a report breaks
 *
 *   Election Safety        at most one leader per term;
 *   Log Matching           two logs holding an entry with the same index and
 *                          term are identical up to that index;
 *   Leader Completeness    a leader's log holds every entry committed in an
 *                          earlier term (checked when commits are reported);
 *   State Machine Safety   every server applies (and commits) the same entry
 *                          at a given index;
 *
 * plus the bookkeeping rules they rest on: a server applies indexes in order,
 * never removes a committed entry, and its commit index never goes back.
 *
 * Entries are identified by (term, id, payload bytes); logs are tracked per
 * server as chained hashes, so each report costs O(1) amortized and O(1)
 * memory per index (a long simulation can feed millions of them).
 *
 * Every report returns SAFETY_OK, SAFETY_VIOLATION (the report broke a rule;
 * safety_last_violation() says which, the message starting with the rule's
 * name in lower case) or SAFETY_BAD_ARGUMENT (a report that cannot be
 * understood, e.g. a negative server id or an append past the end of the
 * log; nothing is recorded). Violations are counted and never abort.
 *
 * Server ids are 0..SAFETY_MAX_SERVER. Not thread-safe: one checker per
 * cluster, fed from one thread.
 *
 * From Rust (the simulator, sim/build.rs): compile safety.c with the `cc`
 * crate in a build script, `cc::Build::new().file("../c_fixture/safety.c")
 * .compile("safety")`, and have bindgen declare the functions below (or
 * declare them in an `extern "C"` block: int64_t = i64, size_t = usize, the
 * handle as an opaque pointer).
 */
#ifndef C_FIXTURE_SAFETY_H
#define C_FIXTURE_SAFETY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SAFETY_OK 0
#define SAFETY_VIOLATION (-1)
#define SAFETY_BAD_ARGUMENT (-2)
#define SAFETY_MAX_SERVER 65535

typedef struct safety safety_t;

/* A checker with nothing recorded; NULL when out of memory. */
safety_t *safety_new(void);
void safety_free(safety_t *sc);

/* `server` is leader of `term` (report it whenever it is seen; repeats are
 * free). Election Safety; the first report of a (server, term) also checks
 * Leader Completeness against the commits reported so far. */
int safety_leader(safety_t *sc, int server, int64_t term);

/* `server` stored an entry at index `idx` of its log (log_offer): entries at
 * idx and after it are replaced by this one. idx may be at most one past the
 * server's last index, and after its compacted prefix. Log Matching. */
int safety_append(safety_t *sc, int server, int64_t idx, int64_t term, int64_t id, const void *data, size_t len);

/* `server` removed the entries from `idx` on (log_pop of idx, conflicts). A
 * committed entry must never be removed. */
int safety_truncate(safety_t *sc, int server, int64_t idx);

/* `server` discarded the entries up to and including `idx` (log_poll,
 * compaction into a snapshot); the log keeps their chained hash. */
int safety_compact(safety_t *sc, int server, int64_t idx);

/* `server` replaced its log and state machine by a snapshot whose last entry
 * is (idx, term): its log is empty after idx, its commit and applied indexes
 * are idx. */
int safety_load_snapshot(safety_t *sc, int server, int64_t idx, int64_t term);

/* `server` lost its volatile state (a restart) or rebuilt it: its commit and
 * applied indexes start again at `applied_idx` (its snapshot's index, or 0).
 * Its log is durable and stays as reported. */
int safety_restart(safety_t *sc, int server, int64_t applied_idx);

/* `server`'s commit index is now `commit_idx` while its current term is
 * `current_term`. The entries up to it are taken from the log reported with
 * safety_append: State Machine Safety between committed entries, and the
 * data Leader Completeness checks later leaders against. */
int safety_commit(safety_t *sc, int server, int64_t commit_idx, int64_t current_term);

/* `server` applied the entry (term, id, payload) at `idx` to its state
 * machine (log_apply). Indexes must come in order; State Machine Safety. */
int safety_apply(safety_t *sc, int server, int64_t idx, int64_t term, int64_t id, const void *data, size_t len);

/* Log Matching over a log read back from `server` rather than reported
 * (e.g. the entries its Raft library holds in memory, which a buggy library
 * may change without telling its storage): safety_scan starts after index
 * idx - 1 of the log reported for `server` with safety_append, then each
 * safety_scan_next gives the entry at the next index (idx, idx + 1, ...),
 * chained onto the ones before it. An entry whose (index, term) a log held
 * after another prefix is a violation. Nothing is recorded; reports made
 * between two calls do not change the scan. safety_scan is a BAD_ARGUMENT
 * when idx - 1 is outside the reported log (compacted away or past its
 * end), safety_scan_next when no scan was started. */
int safety_scan(safety_t *sc, int server, int64_t idx);
int safety_scan_next(safety_t *sc, int64_t term, int64_t id, const void *data, size_t len);

/* The entry known committed at `idx` (the first one reported committed or
 * applied there): returns 1 and sets *term and *id (either may be NULL), or
 * returns 0 when none is known. */
int safety_committed(const safety_t *sc, int64_t idx, int64_t *term, int64_t *id);

/* Number of violations found so far. */
long safety_violations(const safety_t *sc);
/* The first / the most recent violation, or NULL when there is none. The
 * string stays valid until the next report (first: until safety_free). */
const char *safety_first_violation(const safety_t *sc);
const char *safety_last_violation(const safety_t *sc);
/* Number of distinct terms that had a leader reported. */
long safety_terms_with_leader(const safety_t *sc);

#ifdef __cplusplus
}
#endif

#endif
