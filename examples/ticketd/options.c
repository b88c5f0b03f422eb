/* ticketd options.c: the command line (--help text and parsing). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ticketd.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ticketd --id N --raft ADDR --http ADDR --dir DIR\n"
            "               [--init [--cluster-id HEX] [--peer ID@RAFT@HTTP]...] | [--join HTTP_ADDR]\n"
            "               [options]\n"
            "\n"
            "A replicated ticket dispenser: POST /ticket returns a unique 64-bit\n"
            "ticket once the Raft entry that issued it is committed and applied.\n"
            "\n"
            "  --id N                 this node's id (> 0, unique in the cluster)\n"
            "  --raft ADDR            UDP address to bind for Raft traffic; ADDR is\n"
            "                         IPv4:PORT, [IPv6]:PORT or NAME:PORT (getaddrinfo)\n"
            "  --http ADDR            HTTP address to bind for clients\n"
            "  --dir DIR              data directory (LMDB); created if missing\n"
            "  --init                 first start of a new cluster: record a cluster id\n"
            "                         and the --peer members in an empty DIR (ignored\n"
            "                         once DIR is initialised); never on a node that\n"
            "                         was a member (it could vote twice in a term)\n"
            "  --cluster-id HEX       the cluster id to --init with (1-16 hex digits);\n"
            "                         required when --peer names other members, so\n"
            "                         that all initial nodes share it; a lone node\n"
            "                         picks a random one\n"
            "  --new-cluster-id       print a random cluster id and exit\n"
            "  --peer ID@RAFT@HTTP    a member of the initial cluster (repeat; with\n"
            "                         --init); every initial node is given the same set\n"
            "  --join HOST:PORT       join a running cluster through any member's HTTP\n"
            "                         address (POST /peers); the node starts as a\n"
            "                         non-voter and is promoted once it has caught up\n"
            "  --advertise-raft ADDR  the Raft address the other members reach this\n"
            "                         node at (default: its own --peer entry, else\n"
            "                         --raft; required when --raft is 0.0.0.0 or [::])\n"
            "  --advertise-http ADDR  the same for HTTP (clients are redirected there)\n"
            "  --key-file PATH        authenticate every datagram with HMAC-SHA256 under\n"
            "                         the key in PATH (16..1024 bytes, the same file on\n"
            "                         every node); datagrams without a valid HMAC are\n"
            "                         dropped\n"
            "  --http-max-connections N  HTTP connections at once (default 1000)\n"
            "  --http-max-per-ip N    HTTP connections from one address (default 200)\n"
            "  --http-idle-timeout-s N  close an idle HTTP connection after N s\n"
            "                         (default 30; a waiting ticket request is not idle)\n"
            "  --tick-ms N            timer period; requests within a tick share one\n"
            "                         log entry (default 10)\n"
            "  --flush MODE           tick: queued ticket requests become one entry on\n"
            "                         each tick (default); commit: also as soon as no\n"
            "                         batch is in flight (lower latency when idle)\n"
            "  --inflight N           appendentries in flight per peer\n"
            "                         (raft_set_max_inflight_msgs: pipelining; default 1:\n"
            "                         wait for each answer); with --flush commit, also\n"
            "                         append queued requests while fewer than N ticket\n"
            "                         batches await commit\n"
            "  --election-timeout-ms N  Raft election timeout (raft_set_election_timeout,\n"
            "                         default 1000)\n"
            "  --heartbeat-ms N       leader heartbeat period (raft_set_request_timeout,\n"
            "                         default 100)\n"
            "  --snapshot-every N     compact when the log holds more than N entries\n"
            "                         (default 1000, 0 = never)\n"
            "  --max-entries-per-msg N  appendentries batch cap (default 64)\n"
            "  --wal-segment-kib N    size of the log's segment files, wal-*.seg\n"
            "                         (default 1024; preallocated, one ahead)\n"
            "  --client-timeout-ms N  answer 503 if an entry is not committed in time\n"
            "                         (default 10000)\n"
            "  --sync MODE            parallel (default): one commit per event, before\n"
            "                         any datagram or answer leaves, except that the\n"
            "                         leader's appendentries leave before its own commit\n"
            "                         (raft_set_parallel_log_writes + raft_flush); a\n"
            "                         follower commits once per appendentries; group:\n"
            "                         the same without the leader's head start;\n"
            "                         callback: commit+fsync in every persisting\n"
            "                         callback; off: no fsync (unsafe, benchmarks only)\n"
            "  --max-dgram N          largest datagram sent, 512..16384 (default 16384);\n"
            "                         appendentries carry only the entries that fit\n"
            "  --check                verify the data directory and exit\n"
            "  --log-level LEVEL      error, warn, info (default), debug, or trace (adds\n"
            "                         the library's own log)\n"
            "  -v, --verbose          one level more than --log-level (repeatable)\n"
            "  -h, --help             this text\n"
            "\n"
            "Only the first start uses --init/--peer/--join: afterwards the node\n"
            "recovers its identity, membership, term, vote, log and snapshot from DIR\n"
            "alone, and refuses to start on a DIR without them unless told --init or\n"
            "--join.\n"
            "\n"
            "HTTP API:\n"
            "  POST /ticket        200 {\"ticket\":N,...} once committed and applied;\n"
            "                      307 to the leader on a follower; 503 + Retry-After\n"
            "                      when there is no leader or the entry was lost\n"
            "  GET /status         JSON: state, term, leader, indexes, peers, counters;\n"
            "                      next/match index per peer on the leader only\n"
            "  GET /metrics        the same figures in Prometheus text format\n"
            "  GET /peers          \"leader ID\", \"cluster HEX\", then one line per member:\n"
            "                      \"member ID voter|nonvoter RAFT HTTP\"\n"
            "  POST /peers         id=N&raft=ADDR&http=ADDR: add a node (409 if the id\n"
            "                      or an address is another member's)\n"
            "  DELETE /peers/ID    remove a node (demote, then remove)\n"
            "\n"
            "Log lines: UTC time, node, level, Raft state and term, message.\n"
            "Exit status: 0 stopped or removed, 1 fatal error, 2 bad command line,\n"
            "3 data directory unusable (damaged, another node's or cluster's, not\n"
            "initialised), 4 join failed, 5 recovery failed, 6 cannot bind, 7 this\n"
            "node was removed earlier (wipe DIR and --join).\n"
            "\n"
            "Example (3 nodes; repeat with --id 2/3 and their addresses):\n"
            "  CID=$(ticketd --new-cluster-id)\n"
            "  ticketd --id 1 --raft 127.0.0.1:9001 --http 127.0.0.1:8001 --dir data1 \\\n"
            "    --init --cluster-id $CID \\\n"
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
    {12, "http-max-connections", &S.http_max_conns, 1, 100000},
    {13, "http-max-per-ip", &S.http_max_per_ip, 1, 100000},
    {14, "http-idle-timeout-s", &S.http_idle_s, 1, 86400},
    {21, "inflight", &S.inflight, 1, 64},
    {22, "wal-segment-kib", &S.wal_segment_kib, 16, 1048576},
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

static const char *const sync_names[] = {"callback", "group", "off", "parallel", NULL}; /* SYNC_* order */
static const char *const flush_names[] = {"tick", "commit", NULL};

const char *sync_mode_name(void) { return sync_names[S.sync_mode]; }

static void set_defaults(void)
{
    S.tick_ms = 10;
    S.election_ms = 1000;
    S.heartbeat_ms = 100;
    S.snapshot_every = 1000;
    S.max_entries = 64;
    S.client_timeout_ms = 10000;
    S.max_dgram = WIRE_MAX_DGRAM;
    S.sync_mode = SYNC_PARALLEL;
    S.log_level = LOG_LEVEL_INFO;
    S.http_max_conns = 1000;
    S.http_max_per_ip = 200;
    S.http_idle_s = 30;
    S.inflight = 1;
    S.wal_segment_kib = 1024;
}

/* One option: 0 when taken, 1 for --help, 2 when it did its job
 * (--new-cluster-id), -1 for a bad one. */
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
    case 15:
        S.init = 1;
        return 0;
    case 16: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(optarg, &end, 16);
        if (errno || end == optarg || *end || v == 0 || strlen(optarg) > 16) {
            fprintf(stderr, "ticketd: --cluster-id %s: want 1 to 16 hex digits, not all zero\n", optarg);
            return -1;
        }
        S.cluster_id = v;
        S.cluster_id_arg = optarg;
        return 0;
    }
    case 17: {
        uint64_t id;
        if (random_cluster_id(&id) != 0)
            return -1;
        printf("%016" PRIx64 "\n", id);
        return 2; /* done: exit 0 */
    }
    case 18:
        S.key_file = optarg;
        return 0;
    case 19:
    case 20:
        if (!wire_addr_valid(optarg)) {
            fprintf(stderr, "ticketd: --advertise-%s %s: want HOST:PORT or [V6]:PORT\n", c == 19 ? "raft" : "http",
                    optarg);
            return -1;
        }
        snprintf(c == 19 ? S.adv_raft : S.adv_http, WIRE_ADDR_LEN, "%s", optarg);
        return 0;
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

/* the node's own --peer entry names the addresses the others know it by */
static void advertised_from_peers(void)
{
    for (int i = 0; i < S.n_cli_peers; i++)
        if (S.cli_peers[i].id == S.id) {
            if (!S.adv_raft[0])
                snprintf(S.adv_raft, sizeof S.adv_raft, "%s", S.cli_peers[i].raft);
            if (!S.adv_http[0])
                snprintf(S.adv_http, sizeof S.adv_http, "%s", S.cli_peers[i].http);
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
        {"http-max-connections", required_argument, 0, 12},
        {"http-max-per-ip", required_argument, 0, 13},
        {"http-idle-timeout-s", required_argument, 0, 14},
        {"init", no_argument, 0, 15},
        {"cluster-id", required_argument, 0, 16},
        {"new-cluster-id", no_argument, 0, 17},
        {"key-file", required_argument, 0, 18},
        {"advertise-raft", required_argument, 0, 19},
        {"advertise-http", required_argument, 0, 20},
        {"inflight", required_argument, 0, 21},
        {"wal-segment-kib", required_argument, 0, 22},
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
        if (r == 2)
            return 0;
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
    if (S.init && S.join) {
        fprintf(stderr, "ticketd: --init creates a cluster, --join joins one: not both\n");
        return 2;
    }
    advertised_from_peers();
    return -1;
}
