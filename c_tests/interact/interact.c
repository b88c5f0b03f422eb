/* interact — interaction-script tests for libraft over its C ABI.
 *
 * A script (c_tests/interact/scripts/NAME.txt) is a sequence of commands,
 * each followed by `----` and the exact output it must produce, ended by a
 * blank line.  Lines starting with `#` (and blank lines) between blocks are
 * comments.  The runner drives the shared in-process cluster
 * (c_fixture/cluster.h), whose messages wait in one FIFO queue until a
 * command delivers them, one at a time, so that every step of a scenario is
 * explicit and its output is deterministic.  See c_tests/interact/README.md
 * for the commands.  This file reads, runs, compares and rewrites scripts;
 * the commands are in interact_cmds.c, the output in interact_out.c.
 *
 *   interact [--rewrite] [-v] SCRIPT...
 *
 * The last line printed is "N passed, N failed" (N = scripts); the exit
 * status is non-zero if any script failed.
 */
#include "interact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Script files
 * ---------------------------------------------------------------------- */

typedef struct {
    char *pre;          /* comment and blank lines before the command, verbatim */
    char *cmd;
    int line;           /* line number of the command */
    char *expected;     /* expected output (lines ending in \n) */
    char *actual;
} block_t;

typedef struct {
    block_t *b;
    int n;
    char *trailer;
} script_t;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    buf_t b = {0, 0, 0};
    char tmp[4096];
    size_t k;
    if (!f)
        return NULL;
    while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_putn(&b, tmp, k);
    fclose(f);
    if (!b.s)
        buf_puts(&b, "");
    return b.s;
}

/* Split text into lines (without '\n'; a trailing '\r' is dropped). */
static char **split_lines(char *text, int *nlines)
{
    int n = 0, cap = 64;
    char **lines = xmalloc((size_t)cap * sizeof(char *));
    char *p = text;
    while (*p) {
        char *e = strchr(p, '\n');
        if (n == cap) {
            cap *= 2;
            lines = xrealloc(lines, (size_t)cap * sizeof(char *));
        }
        lines[n++] = p;
        if (!e)
            break;
        *e = '\0';
        if (e > p && e[-1] == '\r')
            e[-1] = '\0';
        p = e + 1;
    }
    *nlines = n;
    return lines;
}

static int parse_script(char *text, script_t *s)
{
    int nl, i = 0, cap = 16;
    char **L = split_lines(text, &nl);
    buf_t pre = {0, 0, 0};
    memset(s, 0, sizeof(*s));
    s->b = xmalloc((size_t)cap * sizeof(block_t));
    while (i < nl) {
        block_t *b;
        buf_t exp = {0, 0, 0};
        if (L[i][0] == '\0' || L[i][0] == '#') {
            buf_puts(&pre, L[i]);
            buf_puts(&pre, "\n");
            i++;
            continue;
        }
        if (s->n == cap) {
            cap *= 2;
            s->b = xrealloc(s->b, (size_t)cap * sizeof(block_t));
        }
        b = &s->b[s->n++];
        memset(b, 0, sizeof(*b));
        b->pre = xstrdup(pre.s ? pre.s : "");
        buf_reset(&pre);
        b->cmd = xstrdup(L[i]);
        b->line = i + 1;
        i++;
        if (i < nl && !strcmp(L[i], "----")) {
            i++;
            while (i < nl && L[i][0] != '\0') {
                buf_puts(&exp, L[i]);
                buf_puts(&exp, "\n");
                i++;
            }
            if (i < nl)
                i++;    /* the blank line that ends the block */
        } else if (i < nl && L[i][0] == '\0') {
            i++;        /* a new command without output yet: same layout */
        }
        b->expected = xstrdup(exp.s ? exp.s : "");
        buf_free(&exp);
    }
    s->trailer = xstrdup(pre.s ? pre.s : "");
    buf_free(&pre);
    free(L);
    return 0;
}

static void free_script(script_t *s)
{
    int i;
    for (i = 0; i < s->n; i++) {
        free(s->b[i].pre);
        free(s->b[i].cmd);
        free(s->b[i].expected);
        free(s->b[i].actual);
    }
    free(s->b);
    free(s->trailer);
}

/* Line diff (longest common subsequence) in unified style. */
static void print_diff(const char *path, const block_t *b)
{
    char *e = xstrdup(b->expected), *a = xstrdup(b->actual);
    int ne, na, i, j;
    char **E = split_lines(e, &ne), **A = split_lines(a, &na);
    int *t;
    /* split_lines counts a final empty piece after the last '\n': drop it */
    if (ne > 0 && E[ne - 1][0] == '\0' && b->expected[0] && b->expected[strlen(b->expected) - 1] == '\n')
        ne--;
    if (na > 0 && A[na - 1][0] == '\0' && b->actual[0] && b->actual[strlen(b->actual) - 1] == '\n')
        na--;
    t = xcalloc((size_t)(ne + 1) * (size_t)(na + 1), sizeof(int));
#define T(x, y) t[(x) * (na + 1) + (y)]
    for (i = ne - 1; i >= 0; i--)
        for (j = na - 1; j >= 0; j--)
            T(i, j) = !strcmp(E[i], A[j]) ? T(i + 1, j + 1) + 1
                      : (T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
    printf("--- %s:%d expected\n+++ actual\n@@ %s @@\n", path, b->line, b->cmd);
    i = j = 0;
    while (i < ne || j < na) {
        if (i < ne && j < na && !strcmp(E[i], A[j])) {
            printf(" %s\n", E[i]);
            i++;
            j++;
        } else if (i < ne && (j == na || T(i + 1, j) >= T(i, j + 1))) {
            printf("-%s\n", E[i++]);
        } else {
            printf("+%s\n", A[j++]);
        }
    }
#undef T
    free(t);
    free(E);
    free(A);
    free(e);
    free(a);
}

static int write_script(const char *path, const script_t *s)
{
    FILE *f = fopen(path, "wb");
    int i;
    if (!f)
        return -1;
    for (i = 0; i < s->n; i++)
        fprintf(f, "%s%s\n----\n%s\n", s->b[i].pre, s->b[i].cmd, s->b[i].actual);
    fputs(s->trailer, f);
    return fclose(f);
}

/* Run one script; returns 1 if it passed. */
static int run_script(const char *path, int rewrite, int verbose)
{
    char *text = read_file(path);
    script_t s;
    world_t *w;
    int i, failed = 0, mismatches = 0;
    if (!text) {
        printf("FAIL %s: cannot read\n", path);
        return 0;
    }
    parse_script(text, &s);
    w = world_new();
    for (i = 0; i < s.n; i++) {
        block_t *b = &s.b[i];
        if (run_command(w, b->cmd) != 0) {
            printf("FAIL %s:%d: %s: %s\n", path, b->line, b->cmd, w->err);
            failed = 1;
            break;
        }
        b->actual = xstrdup(w->out.s);
        if (verbose)
            printf("%s\n----\n%s\n", b->cmd, b->actual);
        if (strcmp(b->actual, b->expected)) {
            if (!rewrite)
                print_diff(path, b);
            mismatches++;
        }
    }
    world_free(w);
    if (!failed && rewrite && mismatches) {
        if (write_script(path, &s) != 0) {
            printf("FAIL %s: cannot write\n", path);
            failed = 1;
        } else {
            printf("REWROTE %s (%d block%s changed)\n", path, mismatches, mismatches == 1 ? "" : "s");
        }
    } else if (!failed && mismatches) {
        printf("FAIL %s (%d of %d commands differ)\n", path, mismatches, s.n);
        failed = 1;
    } else if (!failed) {
        printf("PASS %s (%d commands)\n", path, s.n);
    }
    free_script(&s);
    free(text);
    return !failed;
}

int main(int argc, char **argv)
{
    int i, rewrite = 0, verbose = 0, passed = 0, failed = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rewrite")) {
            rewrite = 1;
        } else if (!strcmp(argv[i], "-v")) {
            verbose = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--rewrite] [-v] SCRIPT...\n", argv[0]);
            return 2;
        }
    }
    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        if (run_script(argv[i], rewrite, verbose))
            passed++;
        else
            failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
