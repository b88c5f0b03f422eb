"""ticketd tests of what a node tells its operator: GET /peers, /status by
role, GET /metrics (Prometheus text), log lines, --help and the README.

Real processes, real HTTP.  Run by test_ticketd.py, which sets CTX.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import time

from tkcluster import Client, Cluster, split_addr

CTX = None  # set by test_ticketd.py: .ticketd, .work, .log, .fast
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def get(nd, path, method="GET"):
    c = http.client.HTTPConnection(*split_addr(nd.http), timeout=3)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


def test_peers_names_leader():
    """GET /peers: the first line names the leader, on the leader and on every follower"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "o1"), 30000, extra=CTX.fast)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        Client(cl).ticket()  # followers learn the leader from its appendentries
        time.sleep(0.3)
        for i, nd in cl.nodes.items():
            st, ctype, body = get(nd, "/peers")
            lines = body.splitlines()
            CTX.log("node %d: %s" % (i, " | ".join(lines)))
            assert st == 200 and ctype.startswith("text/plain"), (st, ctype)
            assert lines[0] == "leader %d" % lid, (i, lines[0], lid)
            assert lines[1] == "cluster %s" % cl.cluster_id, lines[1]
            members = sorted(int(ln.split()[1]) for ln in lines[2:])
            assert members == [1, 2, 3], members
            for ln in lines[2:]:
                f = ln.split()
                assert f[0] == "member" and f[2] in ("voter", "nonvoter") and len(f) == 5, ln
        # no leader: a lone survivor says so (leader 0)
        for i in cl.nodes:
            if i != lid:
                cl.kill(i)
        cl.kill(lid)
        cl.start(lid)
        time.sleep(0.5)
        st, _, body = get(cl.nodes[lid], "/peers")
        assert body.splitlines()[0] == "leader 0", body
        st, _, _ = get(cl.nodes[lid], "/peers", method="PUT")
        assert st == 405, st
    finally:
        cl.stop_all()


LEADER_ONLY_PEER = {"next_index", "match_index", "lag"}


def test_status_by_role():
    """/status: replication progress on the leader only, follower/candidate fields only in that role, states as words"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "o2"), 30400, extra=CTX.fast)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        Client(cl).ticket()
        time.sleep(0.3)
        s = cl.status(lid)
        assert s["state"] == "leader" and s["leader_ready"] is True, s
        assert "leader_http" not in s and "election_elapsed_ms" not in s and "votes_for_me" not in s
        for p in s["peers"]:
            assert LEADER_ONLY_PEER <= set(p), p
            assert p["match_index"] <= s["current_index"] and p["lag"] == s["current_index"] - p["match_index"], p
        for i in cl.nodes:
            if i == lid:
                continue
            f = cl.status(i)
            CTX.log("follower %d: leader %d leader_http %s elapsed %d ms" % (
                i, f["leader"], f["leader_http"], f["election_elapsed_ms"]))
            assert f["state"] == "follower" and f["leader"] == lid, f
            assert f["leader_http"] == cl.nodes[lid].http, f
            assert "leader_ready" not in f and "votes_for_me" not in f
            for p in f["peers"]:
                assert not (LEADER_ONLY_PEER & set(p)), p
        # a lone node of three cannot win: restarted alone, it asks for
        # pre-votes (thesis 9.6) again and again, and never raises its term
        term_before = cl.status(lid)["term"]
        for i in cl.nodes:
            cl.kill(i)
        cl.start(lid)
        c = cl.wait(lambda: (lambda x: x if x["state"] == "precandidate" else None)(cl.status(lid)), 10,
                    "the isolated node to ask for pre-votes")
        time.sleep(2.0)
        c = cl.wait(lambda: (lambda x: x if x["state"] == "precandidate" else None)(cl.status(lid)), 10,
                    "the isolated node to ask for pre-votes")
        CTX.log("isolated node %d: %s, votes_for_me %d, term %d (%d before), pre-vote rounds %d" % (
            lid, c["state"], c["votes_for_me"], c["term"], term_before, c["counters"]["prevotes_started"]))
        assert c["votes_for_me"] == 1 and "leader_ready" not in c and "leader_http" not in c
        assert c["term"] == term_before and c["counters"]["prevotes_started"] >= 2, c
        for p in c["peers"]:
            assert not (LEADER_ONLY_PEER & set(p)), p
    finally:
        cl.stop_all()


LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ticketd\[(\d+)\] (ERROR|WARN|INFO|DEBUG|TRACE) "
                  r"(starting|follower|precandidate|candidate|leader) term (\d+): (.*)$")


def parse_log(path):
    out = []
    for ln in open(path, errors="replace").read().splitlines():
        m = LINE.match(ln)
        assert m, "log line without time/level/state: %r" % ln
        out.append(m.groups())
    return out


def test_log_lines():
    """log lines: UTC time, level, Raft state as a word and term; --log-level filters; bad level refused"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "o3"), 30800, extra=CTX.fast)
    try:
        cl.start(1, extra=["--log-level", "warn"])
        cl.start(2, extra=["-vv"])
        cl.start(3)
        lid = cl.wait_leader()
        Client(cl).ticket()
        time.sleep(0.3)
        cl.stop_all()
        levels = {}
        for i in cl.nodes:
            lines = parse_log(cl.nodes[i].log)
            levels[i] = {g[2] for g in lines}
            assert all(g[1] == str(i) for g in lines)
        CTX.log("levels seen: %s" % levels)
        assert levels[1] <= {"ERROR", "WARN"}, levels[1]
        assert "TRACE" in levels[2] and "DEBUG" in levels[2], levels[2]
        assert "INFO" in levels[3] and not ({"DEBUG", "TRACE"} & levels[3]), levels[3]
        # the elected node logged its transitions in words, in the state it entered
        leader_lines = [g for g in parse_log(cl.nodes[lid].log) if g[5].startswith("state ")] if lid != 1 else []
        for g in leader_lines:
            assert re.match(r"state (follower|precandidate|candidate|leader) -> "
                            r"(follower|precandidate|candidate|leader)$", g[5]), g
        if lid != 1:
            assert any(g[5].endswith("-> leader") and g[3] == "leader" for g in leader_lines), leader_lines
        out = subprocess.run([CTX.ticketd, "--log-level", "loud", "--dir", "/nonexistent"], capture_output=True,
                             text=True)
        assert out.returncode == 2 and "log-level" in out.stderr, (out.returncode, out.stderr)
    finally:
        cl.stop_all()


def help_options():
    out = subprocess.run([CTX.ticketd, "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    return out.stdout, set(re.findall(r"^  (?:-\w, )?--([a-z-]+)", out.stdout, re.M))


def test_help_and_readme_document_everything():
    """every option the parser takes is in --help and the README; every /status drop reason is in the README"""
    text, in_help = help_options()
    src = open(os.path.join(SRC, "options.c")).read()
    parsed = set(re.findall(r'\{"([a-z-]+)", (?:required|no)_argument', src))
    readme = open(os.path.join(SRC, "README.md")).read()
    in_readme = set(re.findall(r"^\| (?:`-\w`, )?`--([a-z-]+)", readme, re.M))
    CTX.log("%d options parsed, %d in --help, %d in README" % (len(parsed), len(in_help), len(in_readme)))
    assert parsed == in_help, ("parsed but not in --help", parsed - in_help, "in --help, not parsed", in_help - parsed)
    assert parsed == in_readme, ("not in README", parsed - in_readme, "README only", in_readme - parsed)
    # each option --help shows is accepted by the binary (numbers: a valid value; --check: no cluster needed)
    d = os.path.join(CTX.work, "o4")
    subprocess.run([CTX.ticketd, "--check", "--dir", d], capture_output=True)
    for opt in sorted(in_help - {"help", "check", "dir"}):
        m = re.search(r"^  (?:-\w, )?--%s ([A-Z:@]+)?" % re.escape(opt), text, re.M)
        arg = {"N": "50" if "dgram" not in opt else "600", "MODE": None, "LEVEL": "info", "ADDR": "127.0.0.1:9",
               "HEX": "abc", "PATH": None}.get(m.group(1) or "", "")
        if opt == "sync":
            arg = "group"
        elif opt == "flush":
            arg = "commit"
        elif opt in ("peer",):
            arg = "2@127.0.0.1:9@127.0.0.1:10"
        elif opt in ("raft", "http", "join"):
            arg = "127.0.0.1:9"
        elif opt == "id":
            arg = "1"
        elif opt.endswith("-file"):
            continue  # needs a real key file: hardening_tests.test_authenticated_datagrams
        args = [CTX.ticketd, "--check", "--dir", d, "--" + opt] + ([arg] if arg else [])
        out = subprocess.run(args, capture_output=True, text=True)
        assert out.returncode == 0, (opt, arg, out.returncode, out.stderr)
    # bad values are refused with status 2
    for bad in (["--tick-ms", "abc"], ["--tick-ms", "0"], ["--max-dgram", "100"], ["--sync", "sometimes"],
                ["--no-such-option"], ["--id", "-4"], ["stray"]):
        out = subprocess.run([CTX.ticketd, "--check", "--dir", d] + bad, capture_output=True, text=True)
        assert out.returncode == 2, (bad, out.returncode)
    # every drop reason /status reports is explained in the README
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "o5"), 31200, n=1, extra=CTX.fast)
    try:
        cl.start(1)
        cl.wait_leader()
        reasons = set(cl.status(1)["counters"]["dropped"]) - {"total"}
    finally:
        cl.stop_all()
    missing = [r for r in reasons if "`%s`" % r not in readme]
    assert not missing, "drop reasons not in README: %s" % missing


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*)\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$')


def parse_metrics(text):
    """checks the Prometheus text format: HELP and TYPE before each family's samples, valid names and values,
    counters named *_total, no series twice; returns {(name, labels): value}"""
    series, typed, helped = {}, {}, set()
    for ln in text.splitlines():
        if ln.startswith("# HELP "):
            helped.add(ln.split()[2])
            continue
        if ln.startswith("# TYPE "):
            _, _, name, kind = ln.split()
            assert kind in ("gauge", "counter"), ln
            assert name not in typed, "family %s typed twice" % name
            typed[name] = kind
            continue
        m = SAMPLE.match(ln)
        assert m, "not a sample line: %r" % ln
        name, labels, value = m.group(1), m.group(3) or "", float(m.group(5))
        assert name in typed and name in helped, "sample before HELP/TYPE: %r" % ln
        if typed[name] == "counter":
            assert name.endswith("_total") and value >= 0, ln
        assert (name, labels) not in series, "series twice: %r" % ln
        series[(name, labels)] = value
    return series


def test_metrics():
    """GET /metrics: valid Prometheus text; term, state, indexes, tickets, per-peer lag (leader only), elections, messages by type"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "o6"), 31600, extra=CTX.fast)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        c = Client(cl, start=cl.nodes[lid].http)
        tickets = [c.ticket() for _ in range(25)]
        c.close()
        time.sleep(0.5)
        for i, nd in cl.nodes.items():
            st, ctype, text = get(nd, "/metrics")
            assert st == 200 and ctype.startswith("text/plain; version=0.0.4"), (st, ctype)
            m = parse_metrics(text)
            s = cl.status(i)
            assert m[("ticketd_term", "")] == s["term"]
            assert m[("ticketd_commit_index", "")] == s["commit_index"]
            assert m[("ticketd_applied_index", "")] == s["applied_index"]
            assert m[("ticketd_last_ticket", "")] == s["counter"] >= max(tickets)
            states = {lab: v for (n, lab), v in m.items() if n == "ticketd_state"}
            assert states == {'state="%s"' % w: float(w == s["state"]) for w in ("follower", "precandidate", "candidate", "leader")}
            lag = {lab for (n, lab), v in m.items() if n == "ticketd_peer_lag_entries"}
            sent = {lab: v for (n, lab), v in m.items() if n == "ticketd_messages_sent_total"}
            recv = {lab: v for (n, lab), v in m.items() if n == "ticketd_messages_received_total"}
            if i == lid:
                assert lag == {'peer="%d"' % j for j in cl.nodes if j != i}, lag
                assert m[("ticketd_tickets_issued_total", "")] == len(tickets)
                assert m[("ticketd_elections_won_total", "")] >= 1
                assert m[("ticketd_elections_started_total", "")] >= 1
                assert sent['type="appendentries"'] > 0 and recv['type="appendentries_response"'] > 0
                CTX.log("leader %d: %d series; appendentries sent %d, responses %d" % (
                    i, len(m), sent['type="appendentries"'], recv['type="appendentries_response"']))
            else:
                assert not lag, lag
                assert m[("ticketd_tickets_issued_total", "")] == 0
                assert recv['type="appendentries"'] > 0 and sent['type="appendentries_response"'] > 0
            assert m[("ticketd_datagrams_dropped_total", 'reason="bad_checksum"')] == 0
        st, _, _ = get(cl.nodes[lid], "/metrics", method="POST")
        assert st == 405, st
    finally:
        cl.stop_all()


TESTS = [
    test_peers_names_leader,
    test_status_by_role,
    test_log_lines,
    test_help_and_readme_document_everything,
    test_metrics,
]
