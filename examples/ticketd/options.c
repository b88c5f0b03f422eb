/* ticketd options.c: the command line (--help text and parsing). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ticketd --id N --raft IP:PORT --http IP:PORT --dir DIR\n"
            "               [--peer ID@RAFT_IP:PORT@HTTP_IP:PORT]... | [--join LEADER_HTTP]\n"
            "               [options]\n"
            "\n"
            "A replicated ticket dispenser: POST /ticket returns a unique 64-bit\n"
            "ticket once the Raft entry that issued it is committed and applied.\n"
            "\n"
            "  --id N                 this node's id (> 0, unique in the cluster)\n"
            "  --raft IP:PORT         UDP address for Raft peer traffic\n"
            "  --http IP:PORT         HTTP address for clients\n"
            "  --dir DIR              data directory (LMDB); created if missing\n"
            "  --peer ID@RAFT@HTTP    another member of the initial cluster (repeat);\n"
            "                         every initial node is given the same set\n"
            "  --join HOST:PORT       join a running cluster through any member's HTTP\n"
            "                         address (POST /peers); the node starts as a\n"
            "                         non-voter and is promoted once it has caught up\n"
            "  --tick-ms N            timer period; requests within a tick share one\n"
            "                         log entry (default 10)\n"
            "  --flush MODE           tick: queued ticket requests become one entry on\n"
            "                         each tick (default); commit: also as soon as no\n"
            "                         batch is in flight (lower latency when idle)\n"
            "  --election-timeout-ms N  Raft election timeout (raft_set_election_timeout,\n"
            "                         default 1000)\n"
            "  --heartbeat-ms N       leader heartbeat period (raft_set_request_timeout,\n"
            "                         default 100)\n"
            "  --snapshot-every N     compact when the log holds more than N entries\n"
            "                         (default 1000, 0 = never)\n"
            "  --max-entries-per-msg N  appendentries batch cap (default 64)\n"
            "  --client-timeout-ms N  answer 503 if an entry is not committed in time\n"
            "                         (default 10000)\n"
            "  --sync MODE            callback: commit+fsync in every persisting\n"
            "                         callback (default); group: one commit per event,\n"
            "                         before any datagram or answer leaves; off: no\n"
            "                         fsync (unsafe, benchmarks only)\n"
            "  --max-dgram N          largest datagram sent, 512..16384 (default 16384);\n"
            "                         appendentries carry only the entries that fit\n"
            "  --check                verify the data directory and exit\n"
            "  --log-level LEVEL      error, warn, info (default), debug, or trace (adds\n"
            "                         the library's own log)\n"
            "  -v, --verbose          one level more than --log-level (repeatable)\n"
            "  -h, --help             this text\n"
            "\n"
            "Only the first start uses --peer/--join: afterwards the node recovers\n"
            "its membership, term, vote, log and snapshot from DIR alone.\n"
            "\n"
            "HTTP API:\n"
            "  POST /ticket        200 {\"ticket\":N,...} once committed and applied;\n"
            "                      307 to the leader on a follower; 503 + Retry-After\n"
            "                      when there is no leader or the entry was lost\n"
            "  GET /status         JSON: state, term, leader, indexes, peers, counters;\n"
            "                      next/match index per peer on the leader only\n"
            "  GET /metrics        the same figures in Prometheus text format\n"
            "  GET /peers          \"leader ID\", then \"member ID voter|nonvoter RAFT HTTP\"\n"
            "  POST /peers         id=N&raft=IP:PORT&http=IP:PORT: add a node\n"
            "  DELETE /peers/ID    remove a node (demote, then remove)\n"
            "\n"
            "Log lines: UTC time, node, level, Raft state and term, message.\n"
            "Exit status: 0 stopped or removed, 1 fatal error, 2 bad command line,\n"
            "3 data directory unusable, 4 join failed, 5 recovery failed, 6 cannot\n"
            "bind, 7 this node was removed earlier (wipe DIR and --join).\n"
            "\n"
            "Example (3 nodes; repeat with --id 2/3 and their addresses):\n"
            "  ticketd --id 1 --raft 127.0.0.1:9001 --http 127.0.0.1:8001 --dir data1 \\\n"
            "    --peer 1@127.0.0.1:9001@127.0.0.1:8001 --peer 2@127.0.0.1:9002@127.0.0.1:8002 \\\n"
            "    --peer 3@127.0.0.1:9003@127.0.0.1:8003\n"
            "  curl -L -X POST http://127.0.0.1:8002/ticket\n");
}

static int add_cli_peer(const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *a = strchr(buf, '@');
    char *b = a ? strchr(a + 1, '@') : NULL;
    if (!a || !b || S.n_cli_peers >= MAX_PEERS - 1)
        return -1;
    *a = *b = 0;
    wire_member_t *m = &S.cli_peers[S.n_cli_peers];
    memset(m, 0, sizeof(*m));
    if (parse_id(buf, &m->id) != 0 || !wire_addr_valid(a + 1) || !wire_addr_valid(b + 1))
        return -1;
    snprintf(m->raft, sizeof m->raft, "%s", a + 1);
    snprintf(m->http, sizeof m->http, "%s", b + 1);
    m->voting = 1;
    S.n_cli_peers++;
    return 0;
}

/* The numeric options: getopt value, where the value goes, its range. */
typedef struct {
    int val;
    const char *name;
    int *dst;
    int min, max;
} int_option_t;

static const int_option_t int_options[] = {
    {1, "tick-ms", &S.tick_ms, 1, 60000},
    {2, "election-timeout-ms", &S.election_ms, 10, 3600000},
    {3, "heartbeat-ms", &S.heartbeat_ms, 1, 3600000},
    {4, "snapshot-every", &S.snapshot_every, 0, INT32_MAX},
    {5, "max-entries-per-msg", &S.max_entries, 1, WIRE_MAX_ENTRIES},
    {6, "client-timeout-ms", &S.client_timeout_ms, 1, 3600000},
    {9, "max-dgram", &S.max_dgram, 512, WIRE_MAX_DGRAM},
};

/* Stores a numeric option; -1 (with a message) when it is not a number in
 * its range. */
static int set_int_option(int val, const char *arg)
{
    for (size_t i = 0; i < sizeof int_options / sizeof int_options[0]; i++) {
        const int_option_t *o = &int_options[i];
        if (o->val != val)
            continue;
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < o->min || v > o->max) {
            fprintf(stderr, "ticketd: --%s %s: want a number in %d..%d\n", o->name, arg, o->min, o->max);
            return -1;
        }
        *o->dst = (int)v;
        return 0;
    }
    return -1;
}

/* Index of arg in the NULL-terminated choices, or -1 with a message. */
static int choose(const char *opt, const char *arg, const char *const *choices)
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(arg, choices[i]) == 0)
            return i;
    fprintf(stderr, "ticketd: --%s %s: want one of", opt, arg);
    for (int i = 0; choices[i]; i++)
        fprintf(stderr, " %s", choices[i]);
    fputc('\n', stderr);
    return -1;
}

static const char *const sync_names[] = {"callback", "group", "off", NULL}; /* SYNC_* order */
static const char *const flush_names[] = {"tick", "commit", NULL};

static void set_defaults(void)
{
    S.tick_ms = 10;
    S.election_ms = 1000;
    S.heartbeat_ms = 100;
    S.snapshot_every = 1000;
    S.max_entries = 64;
    S.client_timeout_ms = 10000;
    S.max_dgram = WIRE_MAX_DGRAM;
    S.sync_mode = SYNC_CALLBACK;
    S.log_level = LOG_LEVEL_INFO;
}

/* One option: 0 when taken, 1 for --help, -1 for a bad one. */
static int take_option(int c)
{
    switch (c) {
    case 'i':
        if (parse_id(optarg, &S.id) != 0) {
            fprintf(stderr, "ticketd: bad --id\n");
            return -1;
        }
        return 0;
    case 'r':
        snprintf(S.raft_addr, sizeof S.raft_addr, "%s", optarg);
        return 0;
    case 'H':
        snprintf(S.http_addr, sizeof S.http_addr, "%s", optarg);
        return 0;
    case 'd':
        S.dir = optarg;
        return 0;
    case 'p':
        if (add_cli_peer(optarg) != 0) {
            fprintf(stderr, "ticketd: bad --peer %s (want ID@IP:PORT@IP:PORT)\n", optarg);
            return -1;
        }
        return 0;
    case 'j':
        S.join = optarg;
        return 0;
    case 7:
        return (S.sync_mode = choose("sync", optarg, sync_names)) < 0 ? -1 : 0;
    case 8:
        S.check_only = 1;
        return 0;
    case 10:
        return (S.flush_commit = choose("flush", optarg, flush_names)) < 0 ? -1 : 0;
    case 11:
        return (S.log_level = choose("log-level", optarg, log_level_names)) < 0 ? -1 : 0;
    case 'v':
        if (S.log_level < LOG_LEVEL_TRACE)
            S.log_level++;
        return 0;
    case 'h':
        return 1;
    case '?':
        return -1;
    default:
        return set_int_option(c, optarg);
    }
}

/* Reads the command line into S.  Returns -1 to go on, or the exit status
 * (0 after --help, 2 for a bad command line). */
int options_parse(int argc, char **argv)
{
    static const struct option opts[] = {
        {"id", required_argument, 0, 'i'},
        {"raft", required_argument, 0, 'r'},
        {"http", required_argument, 0, 'H'},
        {"dir", required_argument, 0, 'd'},
        {"peer", required_argument, 0, 'p'},
        {"join", required_argument, 0, 'j'},
        {"tick-ms", required_argument, 0, 1},
        {"election-timeout-ms", required_argument, 0, 2},
        {"heartbeat-ms", required_argument, 0, 3},
        {"snapshot-every", required_argument, 0, 4},
        {"max-entries-per-msg", required_argument, 0, 5},
        {"client-timeout-ms", required_argument, 0, 6},
        {"sync", required_argument, 0, 7},
        {"check", no_argument, 0, 8},
        {"max-dgram", required_argument, 0, 9},
        {"flush", required_argument, 0, 10},
        {"log-level", required_argument, 0, 11},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    set_defaults();
    int c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        int r = take_option(c);
        if (r == 1) {
            usage(stdout);
            return 0;
        }
        if (r < 0) {
            if (c == '?')
                usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ticketd: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    if (!S.dir || (!S.check_only && (S.id <= 0 || !wire_addr_valid(S.raft_addr) || !wire_addr_valid(S.http_addr)))) {
        usage(stderr);
        return 2;
    }
    return -1;
}
