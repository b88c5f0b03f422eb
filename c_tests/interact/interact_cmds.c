/* interact: the commands of the scripts (README.md "Commands"), each driving
 * the shared cluster fixture; the checks after every command. */
#include "interact.h"
#include "../raft_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

world_t *world_new(void)
{
    world_t *w = xcalloc(1, sizeof(*w));
    cl_options_t o;
    memset(reject_hint_on, 0, sizeof(reject_hint_on));
    cl_options_init(&o);
    o.election_ms = 100;
    o.request_ms = 20;
    o.seed = 1;
    o.on_event = on_cluster_event;
    o.ctx = w;
    /* Commits are not reported to the checker: the scripts' expected output
     * was written with Election Safety, Log Matching and State Machine Safety
     * (plus the storage model's checks); Leader Completeness would add lines
     * to figure8_unsafe_fault.txt. */
    o.check_commits = 0;
    w->c = cl_new(&o);
    if (!w->c) {
        fputs("interact: out of memory\n", stderr);
        exit(2);
    }
    return w;
}

void world_free(world_t *w)
{
    cl_free(w->c);
    buf_free(&w->out);
    free(w);
}

/* ---- arguments ----------------------------------------------------------- */

#define MAXTOK 16

typedef struct {
    int ntok;
    char *tok[MAXTOK];
} args_t;

/* value of key=... among the arguments (NULL if absent) */
static const char *kv(const args_t *a, const char *key)
{
    int i;
    size_t k = strlen(key);
    for (i = 1; i < a->ntok; i++)
        if (!strncmp(a->tok[i], key, k) && a->tok[i][k] == '=')
            return a->tok[i] + k + 1;
    return NULL;
}

static int has_flag(const args_t *a, const char *flag)
{
    int i;
    for (i = 1; i < a->ntok; i++)
        if (!strcmp(a->tok[i], flag))
            return 1;
    return 0;
}

static int parse_int(world_t *w, const char *s, const char *what)
{
    char *end;
    long v;
    if (!s || !*s) {
        usage_error(w, "missing %s", what);
        return -1;
    }
    v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 1000000000L) {
        usage_error(w, "bad %s '%s'", what, s);
        return -1;
    }
    return (int)v;
}

/* positional argument i (1-based) */
static const char *pos(const args_t *a, int i)
{
    int k, seen = 0;
    for (k = 1; k < a->ntok; k++) {
        if (strchr(a->tok[k], '='))
            continue;
        if (++seen == i)
            return a->tok[k];
    }
    return NULL;
}

/* The server named by positional argument i. */
static cl_server_t *arg_server(world_t *w, const args_t *a, int i, int must_be_up)
{
    int id = parse_int(w, pos(a, i), "node id");
    cl_server_t *s;
    if (id < 0)
        return NULL;
    s = cl_server(w->c, id);
    if (!s) {
        usage_error(w, "no node %d", id);
        return NULL;
    }
    if (must_be_up && !s->r) {
        usage_error(w, "node %d is down", id);
        return NULL;
    }
    return s;
}

/* comma-separated ids into ids[]; returns count or -1 */
static int parse_list(world_t *w, const char *s, int *ids)
{
    int n = 0;
    char tmp[128], *p, *save;
    if (!s || strlen(s) >= sizeof(tmp)) {
        usage_error(w, "bad node list");
        return -1;
    }
    strcpy(tmp, s);
    for (p = tmp; p; p = save) {
        save = strchr(p, ',');
        if (save)
            *save++ = '\0';
        if (!*p)
            continue;
        if (n >= CL_MAX_SERVERS) {
            usage_error(w, "too many nodes in list");
            return -1;
        }
        ids[n] = parse_int(w, p, "node id");
        if (ids[n] < 1 || ids[n] > CL_MAX_SERVERS) {
            usage_error(w, "bad node id '%s'", p);
            return -1;
        }
        n++;
    }
    return n;
}

/* The output that `fn` produced goes below the line `head` prints. */
static void output_below(world_t *w, size_t mark, buf_t *rest)
{
    buf_puts(rest, w->out.s ? w->out.s + mark : "");
    w->out.len = mark;
    if (w->out.s)
        w->out.s[mark] = '\0';
}

/* ---- servers ------------------------------------------------------------- */

static void cmd_add_nodes(world_t *w, const args_t *a)
{
    cluster_t *c = w->c;
    int count = parse_int(w, pos(a, 1), "node count");
    int voters[CL_MAX_SERVERS], nvoters = -1, i, j, first = c->n + 1;
    const char *s;
    if (count < 1 || c->n + count > CL_MAX_SERVERS) {
        usage_error(w, "add-nodes: count must be 1..%d in all", CL_MAX_SERVERS);
        return;
    }
    if ((s = kv(a, "voters")) != NULL) {
        if (c->n > 0) {
            usage_error(w, "add-nodes: voters= only when creating the cluster");
            return;
        }
        if ((nvoters = parse_list(w, s, voters)) < 0)
            return;
    }
    if ((s = kv(a, "election")) != NULL)
        c->election_ms = parse_int(w, s, "election timeout");
    if ((s = kv(a, "heartbeat")) != NULL)
        c->request_ms = parse_int(w, s, "heartbeat timeout");
    if ((s = kv(a, "seed")) != NULL)
        c->o.seed = (unsigned long)parse_int(w, s, "seed");
    if (w->err[0])
        return;
    for (i = first; i < first + count; i++) {
        cl_member_t boot[CL_MAX_SERVERS];
        int nboot = 0;
        if (first == 1) {
            /* the initial cluster: everyone knows everyone */
            for (j = 1; j <= count; j++) {
                int k, voting = nvoters < 0;
                for (k = 0; k < nvoters; k++)
                    if (voters[k] == j)
                        voting = 1;
                boot[nboot].id = j;
                boot[nboot++].voting = voting;
            }
        } else {
            /* a joiner: the existing nodes as voters, itself as non-voting */
            for (j = 1; j < first; j++) {
                boot[nboot].id = j;
                boot[nboot++].voting = 1;
            }
            boot[nboot].id = i;
            boot[nboot++].voting = 0;
        }
        if (cl_add_server(c, i, boot, nboot) != 0) {
            usage_error(w, "add-nodes: %s", cl_error(c));
            return;
        }
        seen_reset(w, cl_server(c, i));
    }
    for (i = first; i < first + count; i++) {
        cl_server_t *n = cl_server(c, i);
        buf_t b = {0, 0, 0};
        buf_printf(&b, "%d %s term=0 members=", i, state_name(raft_get_state(n->r)));
        fmt_members(&b, n->boot, n->nboot);
        buf_printf(&b, " election=%d heartbeat=%d timeout=%d", n->election_ms, n->request_ms,
                   raft_get_randomized_election_timeout(n->r));
        say_buf(w, &b);
        buf_free(&b);
    }
}

static void tick_server(world_t *w, cl_server_t *s, int ms)
{
    int rc = cl_periodic(w->c, s->id, ms);
    note_changes(w, s);
    if (rc != 0)
        say(w, "%d raft_periodic: %s", s->id, cl_rc_name(rc));
}

static void cmd_tick(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 1);
    int ms = parse_int(w, pos(a, 2), "milliseconds");
    if (!s || ms < 0)
        return;
    tick_server(w, s, ms);
}

static void cmd_tick_all(world_t *w, const args_t *a)
{
    int ms = parse_int(w, pos(a, 1), "milliseconds"), i;
    if (ms < 0)
        return;
    for (i = 1; i <= w->c->n; i++)
        if (cl_raft(w->c, i))
            tick_server(w, cl_server(w->c, i), ms);
}

static void cmd_campaign(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 1);
    int rc;
    if (!s)
        return;
    rc = raft_election_start(s->r);
    note_changes(w, s);
    if (rc != 0)
        say(w, "%d raft_election_start: %s", s->id, cl_rc_name(rc));
}

/* Propose an entry; the result line goes first, what it caused below it. */
static void propose(world_t *w, cl_server_t *s, int type, const char *data)
{
    msg_entry_response_t resp;
    size_t mark = w->out.len;
    buf_t rest = {0, 0, 0};
    int rc;
    w->indent += 2;
    rc = cl_propose(w->c, s->id, ++w->next_entry_id, type, data, (unsigned)strlen(data), &resp);
    note_changes(w, s);
    w->indent -= 2;
    output_below(w, mark, &rest);
    if (rc == 0)
        say(w, "OK idx=%ld term=%ld", (long)resp.idx, (long)resp.term);
    else
        say(w, "%s", cl_rc_name(rc));
    buf_puts(&w->out, rest.s ? rest.s : "");
    buf_free(&rest);
}

static void cmd_propose(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 1);
    const char *data = pos(a, 2);
    if (!s)
        return;
    if (!data) {
        usage_error(w, "propose: missing DATA");
        return;
    }
    propose(w, s, RAFT_LOGTYPE_NORMAL, data);
}

static void cmd_propose_conf_change(world_t *w, const args_t *a)
{
    static const struct { const char *name; int type; } kinds[] = {
        { "add-nonvoting", RAFT_LOGTYPE_ADD_NONVOTING_NODE },
        { "add", RAFT_LOGTYPE_ADD_NODE },
        { "demote", RAFT_LOGTYPE_DEMOTE_NODE },
        { "remove", RAFT_LOGTYPE_REMOVE_NODE },
        { NULL, 0 }
    };
    cl_server_t *s = arg_server(w, a, 1, 1);
    const char *kind = pos(a, 2);
    int target = parse_int(w, pos(a, 3), "target node"), k;
    char data[16];
    if (!s || target < 0)
        return;
    for (k = 0; kind && kinds[k].name && strcmp(kinds[k].name, kind); k++)
        ;
    if (!kind || !kinds[k].name) {
        usage_error(w, "propose-conf-change: kind must be add-nonvoting, add, demote or remove");
        return;
    }
    snprintf(data, sizeof(data), "%d", target);
    propose(w, s, kinds[k].type, data);
}

static void cmd_proposal_status(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 1);
    msg_entry_response_t r;
    int rc;
    memset(&r, 0, sizeof(r));
    r.idx = parse_int(w, kv(a, "idx"), "idx");
    r.term = parse_int(w, kv(a, "term"), "term");
    if (!s || w->err[0])
        return;
    rc = raft_msg_entry_response_committed(s->r, &r);
    say(w, "%s", rc == 1 ? "committed" : rc == 0 ? "pending" : rc == -1 ? "overwritten" : cl_rc_name(rc));
}

static void cmd_crash(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 1);
    if (!s)
        return;
    cl_crash(w->c, s->id);
    status_line(w, s, 0);
}

static void cmd_restart(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 0);
    if (!s)
        return;
    if (s->r) {
        usage_error(w, "node %d is up", s->id);
        return;
    }
    if (cl_restart(w->c, s->id) != 0) {
        usage_error(w, "restart: %s", cl_error(w->c));
        return;
    }
    seen_reset(w, s);
    reject_hint_on[s->id] = 0;   /* a new server: the option is off again */
    status_line(w, s, 1);
}

/* reject-hint ID on|off: raft_set_reject_hint */
static void cmd_reject_hint(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 1);
    const char *v = pos(a, 2);
    if (!s)
        return;
    if (!v || (strcmp(v, "on") && strcmp(v, "off"))) {
        usage_error(w, "reject-hint ID on|off");
        return;
    }
    raft_set_reject_hint(s->r, !strcmp(v, "on"));
    reject_hint_on[s->id] = raft_get_reject_hint(s->r);
    say(w, "%d reject-hint=%s", s->id, v);
}

static void cmd_snapshot(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 1);
    size_t mark;
    buf_t rest = {0, 0, 0};
    int rc;
    if (!s)
        return;
    mark = w->out.len;
    w->indent += 2;
    rc = cl_snapshot(w->c, s->id);
    note_changes(w, s);
    w->indent -= 2;
    output_below(w, mark, &rest);
    if (rc == 0)
        say(w, "snapshot last=(%ld,%ld)", (long)s->snap.idx, (long)s->snap.term);
    else
        say(w, "snapshot: %s", cl_rc_name(rc));
    buf_puts(&w->out, rest.s ? rest.s : "");
    buf_free(&rest);
}

static void cmd_status(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 0);
    if (s)
        status_line(w, s, 1);
}

static void cmd_log(world_t *w, const args_t *a)
{
    cl_server_t *s = arg_server(w, a, 1, 0);
    buf_t b = {0, 0, 0};
    int i;
    if (!s)
        return;
    if (s->snap.idx)
        say(w, "snapshot last=(%ld,%ld)", (long)s->snap.idx, (long)s->snap.term);
    for (i = 0; i < s->count; i++) {
        raft_index_t idx = s->base + 1 + i;
        buf_reset(&b);
        fmt_entry(&b, idx, s->log[i].term, s->log[i].type, s->log[i].data.buf, s->log[i].data.len);
        if (s->r) {
            if (idx <= raft_get_last_applied_idx(s->r))
                buf_puts(&b, " applied");
            else if (idx <= raft_get_commit_idx(s->r))
                buf_puts(&b, " committed");
        }
        say_buf(w, &b);
    }
    if (s->count == 0)
        say(w, "empty log");
    buf_free(&b);
}

static void cmd_raft_state(world_t *w, const args_t *a)
{
    int i;
    (void)a;
    for (i = 1; i <= w->c->n; i++)
        if (cl_server(w->c, i))
            status_line(w, cl_server(w->c, i), 0);
}

static void cmd_verbose(world_t *w, const args_t *a)
{
    const char *v = pos(a, 1);
    if (v && !strcmp(v, "on"))
        w->verbose = 1;
    else if (v && !strcmp(v, "off"))
        w->verbose = 0;
    else
        usage_error(w, "verbose on|off");
}

/* fault ID NAME[,NAME...]|none: raft_set_fault_injection (testing only) */
static void cmd_fault(world_t *w, const args_t *a)
{
    static const struct { const char *name; int bit; } faults[] = {
        { "skip-persist-vote", RAFT_FAULT_SKIP_PERSIST_VOTE },
        { "commit-previous-term", RAFT_FAULT_COMMIT_PREVIOUS_TERM },
        { "no-log-check-on-vote", RAFT_FAULT_NO_LOG_CHECK_ON_VOTE },
        { "no-truncate-on-conflict", RAFT_FAULT_NO_TRUNCATE_ON_CONFLICT },
        { NULL, 0 }
    };
    cl_server_t *s = arg_server(w, a, 1, 1);
    const char *spec = pos(a, 2);
    char tmp[128], *p, *save;
    int bits = 0, k;
    if (!s)
        return;
    if (!spec || strlen(spec) >= sizeof(tmp)) {
        usage_error(w, "fault ID NAME[,NAME...]|none");
        return;
    }
    strcpy(tmp, spec);
    for (p = tmp; p; p = save) {
        save = strchr(p, ',');
        if (save)
            *save++ = '\0';
        if (!strcmp(p, "none"))
            continue;
        for (k = 0; faults[k].name && strcmp(faults[k].name, p); k++)
            ;
        if (!faults[k].name) {
            usage_error(w, "unknown fault '%s'", p);
            return;
        }
        bits |= faults[k].bit;
    }
#ifdef INTERACT_NO_FAULTS
    /* Built against a library without the test-only fault-injection feature. */
    (void)bits;
    usage_error(w, "fault: this runner was built without fault injection");
#else
    raft_set_fault_injection(s->r, bits);
    say(w, "%d faults=%s", s->id, spec);
#endif
}

/* ---- messages ------------------------------------------------------------ */

/* Deliver (or drop) one message, printing it and, indented, what it caused. */
static void deliver(world_t *w, cl_msg_t *m, int drop)
{
    cl_route_t route = cl_route(w->c, m);
    cl_delivery_t d;
    buf_t b = {0, 0, 0};
    fmt_msg(&b, m);
    if (drop)
        buf_puts(&b, " (dropped)");
    else if (route == CL_ROUTE_NO_SERVER)
        buf_puts(&b, " (dropped: no such node)");
    else if (route == CL_ROUTE_DOWN)
        buf_printf(&b, " (dropped: %d is down)", m->to);
    else if (route == CL_ROUTE_CUT)
        buf_puts(&b, " (dropped: partition)");
    say_buf(w, &b);
    buf_free(&b);
    if (drop || route != CL_ROUTE_OK)
        return;
    w->indent += 2;
    d = cl_deliver(w->c, m);
    if (d.unknown_sender)
        say(w, "%d does not know node %d: ignored", m->to, m->from);
    note_changes(w, cl_server(w->c, m->to));
    if (d.rc != 0)
        say(w, "%d %s: %s", m->to, d.call, cl_rc_name(d.rc));
    w->indent -= 2;
}

static int msg_matches(const cl_msg_t *m, int from, int to, int type)
{
    return (from < 0 || m->from == from) && (to < 0 || m->to == to) && (type < 0 || (int)m->type == type);
}

/* Deliver (or drop) the queued messages that match; messages they produce
 * are queued behind. Returns how many were handled. */
static int deliver_round(world_t *w, int from, int to, int type, int drop, int keep, int reverse, int limit)
{
    cluster_t *c = w->c;
    int n = cl_msg_count(c), i, at = 0, ntake = 0;
    cl_msg_t *take = xcalloc((size_t)(n ? n : 1), sizeof(cl_msg_t));
    for (i = 0; i < n; i++) {
        cl_msg_t *m = cl_msg_at(c, at);
        if ((limit < 0 || ntake < limit) && msg_matches(m, from, to, type)) {
            if (keep) {
                cl_msg_copy(c, &take[ntake++], m);
                at++;
            } else {
                cl_msg_take(c, at, &take[ntake++]);
            }
        } else {
            at++;
        }
    }
    for (i = 0; i < ntake; i++) {
        cl_msg_t *m = &take[reverse ? ntake - 1 - i : i];
        deliver(w, m, drop);
        cl_msg_release(c, m);
    }
    free(take);
    return ntake;
}

static int parse_type(world_t *w, const char *s)
{
    int t;
    if (!s)
        return -1;
    for (t = 0; t < CL_NTYPES; t++)
        if (!strcmp(s, cl_msg_type_name[t]))
            return t;
    usage_error(w, "unknown message type '%s'", s);
    return -1;
}

static void cmd_deliver_msgs(world_t *w, const args_t *a)
{
    int from = kv(a, "from") ? parse_int(w, kv(a, "from"), "from") : -1;
    int to = kv(a, "to") ? parse_int(w, kv(a, "to"), "to") : -1;
    int type = parse_type(w, kv(a, "type"));
    int limit = kv(a, "n") ? parse_int(w, kv(a, "n"), "n") : -1;
    int i;
    for (i = 1; i < a->ntok; i++)
        if (!strchr(a->tok[i], '=') && strcmp(a->tok[i], "drop") && strcmp(a->tok[i], "keep") &&
            strcmp(a->tok[i], "reverse"))
            usage_error(w, "deliver-msgs: unknown argument '%s'", a->tok[i]);
    if (w->err[0])
        return;
    deliver_round(w, from, to, type, has_flag(a, "drop"), has_flag(a, "keep"), has_flag(a, "reverse"), limit);
}

static void cmd_stabilize(world_t *w, const args_t *a)
{
    int total = 0;
    (void)a;
    while (cl_msg_count(w->c) > 0 && total < MAX_DELIVERIES)
        total += deliver_round(w, -1, -1, -1, 0, 0, 0, -1);
    if (cl_msg_count(w->c) > 0)
        say(w, "stabilize: still %d messages after %d deliveries", cl_msg_count(w->c), total);
}

static void cmd_msgs(world_t *w, const args_t *a)
{
    int i;
    (void)a;
    for (i = 0; i < cl_msg_count(w->c); i++) {
        buf_t b = {0, 0, 0};
        fmt_msg(&b, cl_msg_at(w->c, i));
        say_buf(w, &b);
        buf_free(&b);
    }
    if (cl_msg_count(w->c) == 0)
        say(w, "no messages");
}

static void cmd_partition(world_t *w, const args_t *a)
{
    cluster_t *c = w->c;
    int group[CL_MAX_SERVERS + 1], g = 1, i, j, ids[CL_MAX_SERVERS], n;
    char spec[256];
    char *p, *save;
    buf_t b = {0, 0, 0};
    spec[0] = '\0';
    for (i = 1; i < a->ntok; i++) {
        if (strlen(spec) + strlen(a->tok[i]) + 2 >= sizeof(spec)) {
            usage_error(w, "partition: too long");
            return;
        }
        strcat(spec, a->tok[i]);
    }
    memset(group, 0, sizeof(group));
    for (p = spec; p; p = save, g++) {
        save = strchr(p, '/');
        if (save)
            *save++ = '\0';
        if ((n = parse_list(w, p, ids)) < 0)
            return;
        for (i = 0; i < n; i++) {
            if (group[ids[i]]) {
                usage_error(w, "partition: node %d listed twice", ids[i]);
                return;
            }
            group[ids[i]] = g;
        }
    }
    /* unlisted nodes are alone */
    for (i = 1; i <= CL_MAX_SERVERS; i++)
        if (!group[i])
            group[i] = g++;
    for (i = 1; i <= CL_MAX_SERVERS; i++)
        for (j = 1; j <= CL_MAX_SERVERS; j++)
            c->cut[i][j] = group[i] != group[j];
    buf_puts(&b, "partitioned:");
    for (i = 1; i <= c->n; i++) {
        int first = 1;
        for (j = 1; j < i; j++)
            if (group[j] == group[i])
                first = 0;
        if (!first)
            continue;
        buf_puts(&b, i == 1 ? " " : " | ");
        for (j = i; j <= c->n; j++)
            if (group[j] == group[i])
                buf_printf(&b, "%s%d", j == i ? "" : ",", j);
    }
    say_buf(w, &b);
    buf_free(&b);
}

static void cmd_heal(world_t *w, const args_t *a)
{
    (void)a;
    cl_heal(w->c);
    say(w, "healed");
}

/* ---- dispatch ------------------------------------------------------------ */

typedef struct {
    const char *name;
    void (*fn)(world_t *, const args_t *);
} command_t;

static const command_t commands[] = {
    { "add-nodes", cmd_add_nodes },
    { "campaign", cmd_campaign },
    { "tick", cmd_tick },
    { "tick-all", cmd_tick_all },
    { "propose", cmd_propose },
    { "propose-conf-change", cmd_propose_conf_change },
    { "proposal-status", cmd_proposal_status },
    { "deliver-msgs", cmd_deliver_msgs },
    { "stabilize", cmd_stabilize },
    { "msgs", cmd_msgs },
    { "partition", cmd_partition },
    { "heal", cmd_heal },
    { "crash", cmd_crash },
    { "restart", cmd_restart },
    { "snapshot", cmd_snapshot },
    { "status", cmd_status },
    { "log", cmd_log },
    { "raft-state", cmd_raft_state },
    { "verbose", cmd_verbose },
    { "fault", cmd_fault },
    { "reject-hint", cmd_reject_hint },
    { NULL, NULL }
};

int run_command(world_t *w, const char *line)
{
    char *copy = xstrdup(line), *p = copy;
    args_t a;
    int i;
    memset(&a, 0, sizeof(a));
    w->err[0] = '\0';
    buf_reset(&w->out);
    w->indent = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (a.ntok == MAXTOK) {
            usage_error(w, "too many arguments");
            break;
        }
        a.tok[a.ntok++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (!w->err[0] && a.ntok > 0) {
        for (i = 0; commands[i].name; i++)
            if (!strcmp(commands[i].name, a.tok[0]))
                break;
        if (!commands[i].name) {
            usage_error(w, "unknown command '%s'", a.tok[0]);
        } else if (strcmp(a.tok[0], "add-nodes") && w->c->n == 0) {
            usage_error(w, "no nodes yet: start with add-nodes");
        } else {
            commands[i].fn(w, &a);
            w->indent = 0;
            note_all(w);
            /* Election Safety, and the library's log equals the persisted
             * one; the other rules are checked as the events happen */
            cl_check(w->c);
            cl_check_logs(w->c);
        }
    }
    free(copy);
    if (!w->err[0] && w->out.len == 0)
        say(w, "ok");
    return w->err[0] ? -1 : 0;
}
