/* ticketd store_verify.c: the verification pass run before a node opens
 * its store.  LMDB trusts its file: a damaged page can send it through a
 * wild pointer.  So a child process opens the environment read-only, walks
 * every page (LMDB's compacting copy to /dev/null visits every tree) and
 * checks every record's checksum, identity and log contiguity (store_load);
 * the parent only reads the child's exit status and message.  A child
 * killed by a signal, or stuck for VERIFY_TIMEOUT_S, means a damaged file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"

#define VERIFY_TIMEOUT_S 120

static void child(const char *dir, int out)
{
    char err[600] = "";
    alarm(VERIFY_TIMEOUT_S);
    store_t *s = store_open_readonly(dir, err, sizeof err);
    store_state_t st;
    int ok = s && store_walk_pages(s, err, sizeof err) == 0 && store_load(s, &st, NULL, NULL, err, sizeof err) == 0;
    if (!ok && write(out, err, strlen(err)) < 0)
        _exit(2);
    _exit(ok ? 0 : 1);
}

int store_verify(const char *dir, char *err, size_t errlen)
{
    char file[512];
    struct stat sb;
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    if (stat(file, &sb) != 0)
        return 0; /* nothing there yet */
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child(dir, fds[1]);
    }
    close(fds[1]);
    char msg[600];
    size_t n = 0;
    ssize_t k;
    while (n < sizeof msg - 1 && (k = read(fds[0], msg + n, sizeof msg - 1 - n)) > 0)
        n += (size_t)k;
    msg[n] = 0;
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(err, errlen, "%s: damaged: reading it %s (%s in the verification process)", file,
                 sig == SIGALRM ? "did not finish" : "crashed LMDB", strsignal(sig));
        return -1;
    }
    if (WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "%s", n ? msg : "verification failed");
        return -1;
    }
    return 0;
}
