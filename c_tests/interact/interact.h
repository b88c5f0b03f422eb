/* interact — interaction-script tests for libraft over its C ABI, on the
 * shared cluster fixture (c_fixture/cluster.h). Shared by the runner's files:
 *
 *   interact.c        script files: parse, run, compare, rewrite; main
 *   interact_cmds.c   the commands (c_tests/interact/README.md)
 *   interact_out.c    output: formatting, the fixture's events, status lines
 */
#ifndef C_TESTS_INTERACT_H
#define C_TESTS_INTERACT_H

#include "cluster.h"

#include <stdarg.h>
#include <stddef.h>

#define MAX_DELIVERIES 10000 /* per stabilize: a runaway exchange is an error */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Growable string. */
typedef struct {
    char *s;
    size_t len, cap;
} buf_t;

void buf_putn(buf_t *b, const char *s, size_t n);
void buf_puts(buf_t *b, const char *s);
void buf_vprintf(buf_t *b, const char *fmt, va_list ap);
void buf_printf(buf_t *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void buf_reset(buf_t *b);
void buf_free(buf_t *b);

/* What was last reported of a server's role, term and commit index. */
typedef struct {
    int state;
    raft_term_t term;
    raft_index_t commit;
} seen_t;

typedef struct world {
    cluster_t *c;
    seen_t seen[CL_MAX_SERVERS + 1];
    int next_entry_id;
    int verbose;
    buf_t out;              /* the current command's output */
    int indent;
    char err[256];          /* usage error in the current command */
} world_t;

world_t *world_new(void);
void world_free(world_t *w);
/* Run one command line; its output is left in w->out. Returns 0, or -1 on
 * a usage error (message in w->err). */
int run_command(world_t *w, const char *line);

/* ---- output (interact_out.c) -------------------------------------------- */

void say(world_t *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void say_buf(world_t *w, buf_t *b);
void usage_error(world_t *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* `IDX/TERM:"data"` or `IDX/TERM:add(4)` for a configuration change. */
void fmt_entry(buf_t *b, raft_index_t idx, raft_term_t term, int type, const char *data, unsigned len);
void fmt_members(buf_t *b, const cl_member_t *m, int n);
void fmt_msg(buf_t *b, const cl_msg_t *m);
/* Servers whose reject hint is on (the `reject-hint` command): their
 * rejections print `hint_term=`. */
extern int reject_hint_on[CL_MAX_SERVERS + 1];
const char *state_name(int s);
/* Report changes of a server's role, term and commit index since last seen. */
void note_changes(world_t *w, cl_server_t *s);
void note_all(world_t *w);
/* Forget what was reported: the server was (re)started. */
void seen_reset(world_t *w, cl_server_t *s);
/* One status line (detail: plus log and nodes). */
void status_line(world_t *w, cl_server_t *s, int detail);
/* The fixture's observer: prints what happened, in order. */
void on_cluster_event(void *ctx, const cl_event_t *ev);

#endif
