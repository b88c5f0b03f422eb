/* Runner for the libraft C tests: see harness.h.
 *
 * usage: raft_tests [--no-fork] [--list] [-v] [--timeout SEC] [test_name ...]
 *   test_name   run only the named tests (exact names; several allowed)
 *   --no-fork   run every test in this process (a crash stops the suite)
 *   --list      print the registered test names and exit
 *   -v          print a line for every passing test too
 * The last line printed is always "N passed, N failed"; the exit status is
 * non-zero when any test failed.
 */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define TH_EXIT_FAILED 3
#define TH_MAX_DEFERS 512

static jmp_buf th_jmp;
static const th_test_t *th_current;
static int th_current_failed;

static struct { void (*fn)(void *); void *arg; } th_defers[TH_MAX_DEFERS];
static int th_ndefers;

void th_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    th_current_failed = 1;
    printf("FAIL %s\n     %s:%d: ", th_current ? th_current->name : "?", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    longjmp(th_jmp, 1);
}

void th_defer(void (*fn)(void *), void *arg)
{
    if (th_ndefers >= TH_MAX_DEFERS) {
        printf("harness: too many deferred cleanups\n");
        abort();
    }
    th_defers[th_ndefers].fn = fn;
    th_defers[th_ndefers].arg = arg;
    th_ndefers++;
}

void *th_alloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        printf("harness: out of memory\n");
        abort();
    }
    th_defer(free, p);
    return p;
}

static void th_run_defers(void)
{
    while (th_ndefers > 0) {
        th_ndefers--;
        th_defers[th_ndefers].fn(th_defers[th_ndefers].arg);
    }
}

/* Runs one test in this process; returns 1 if it passed. */
static int th_run_here(const th_test_t *t)
{
    th_current = t;
    th_current_failed = 0;
    th_ndefers = 0;
    if (setjmp(th_jmp) == 0)
        t->fn();
    th_run_defers();
    th_current = NULL;
    return !th_current_failed;
}

static int th_run_forked(const th_test_t *t, int timeout)
{
    int status;
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return th_run_here(t);
    }
    if (pid == 0) {
        int ok;
        alarm((unsigned)timeout);
        ok = th_run_here(t);
        fflush(stdout);
        exit(ok ? 0 : TH_EXIT_FAILED);
    }
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        if (code == 0)
            return 1;
        if (code != TH_EXIT_FAILED)
            printf("FAIL %s\n     exited with status %d (1 = memory errors or leaks reported by valgrind)\n",
                   t->name, code);
        return 0;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        printf("FAIL %s\n     %s (signal %d)\n", t->name,
               sig == SIGALRM ? "timed out" : "crashed", sig);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int fork_mode = 1, verbose = 0, list = 0, timeout = 60;
    int passed = 0, failed = 0, i, j;
    const char **names = calloc((size_t)argc + 1, sizeof(char *));
    int nnames = 0;
    char *env = getenv("C_TESTS_TIMEOUT");

    if (env && atoi(env) > 0)
        timeout = atoi(env);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-fork"))
            fork_mode = 0;
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else if (!strcmp(argv[i], "--list"))
            list = 1;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = atoi(argv[++i]);
        else
            names[nnames++] = argv[i];
    }
    if (list) {
        for (i = 0; i < th_num_tests; i++)
            printf("%s\n", th_tests[i].name);
        free(names);
        return 0;
    }
    for (j = 0; j < nnames; j++) {
        int found = 0;
        for (i = 0; i < th_num_tests; i++)
            if (!strcmp(names[j], th_tests[i].name))
                found = 1;
        if (!found) {
            printf("unknown test: %s\n", names[j]);
            failed++;
        }
    }
    for (i = 0; i < th_num_tests; i++) {
        const th_test_t *t = &th_tests[i];
        int ok;
        if (nnames) {
            int wanted = 0;
            for (j = 0; j < nnames; j++)
                if (!strcmp(names[j], t->name))
                    wanted = 1;
            if (!wanted)
                continue;
        }
        ok = fork_mode ? th_run_forked(t, timeout) : th_run_here(t);
        if (ok) {
            passed++;
            if (verbose)
                printf("ok   %s\n", t->name);
        } else {
            failed++;
        }
    }
    free(names);
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}
