/* ticketd log.c: log lines with a level, a UTC timestamp and the node's
 * Raft state as a word, filtered by --log-level (or -v, -vv).
 *
 *   2026-01-02T03:04:05.678Z ticketd[1] INFO leader term 3: appended ...
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "ticketd.h"

const char *const log_level_names[] = {"error", "warn", "info", "debug", "trace", NULL}; /* LOG_LEVEL_* order */

void log_at(int level, const char *fmt, ...)
{
    if (level > S.log_level)
        return;
    static const char *const tags[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t secs = tv.tv_sec;
    gmtime_r(&secs, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    const char *state = S.raft ? state_name(raft_get_state(S.raft)) : "starting";
    long term = S.raft ? (long)raft_get_current_term(S.raft) : 0;
    flockfile(stderr);
    fprintf(stderr, "%s.%03ldZ ticketd[%d] %s %s term %ld: ", when, (long)(tv.tv_usec / 1000), S.id,
            tags[level < 0 ? 0 : level > LOG_LEVEL_TRACE ? LOG_LEVEL_TRACE : level], state, term);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}
