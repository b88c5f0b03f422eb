"""ticketd tests of issue 12's features: linearizable reads (GET /ticket,
ReadIndex and lease, on the leader and on followers), leadership hand-over
on SIGTERM (a rolling restart of every node under load), and durability of
acknowledged tickets across it.  Real processes, sockets and files; run by
test_ticketd.py, which sets CTX."""
import http.client
import json
import os
import random
import signal
import threading
import time

from tkcluster import Client, Cluster, Load, split_addr

CTX = None  # argparse.Namespace(ticketd, work, log, fast)


def _get(addr, path, timeout=5):
    c = http.client.HTTPConnection(*split_addr(addr), timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read(), r.getheader("Location")
    finally:
        c.close()


def read_ticket(cl, nid, lease, deadline=10.0):
    """GET /ticket[?lease=1] starting at node nid, following redirects and
    retrying 503s; returns the JSON answer"""
    addr = cl.nodes[nid].http
    path = "/ticket?lease=1" if lease else "/ticket"
    end = time.time() + deadline
    while time.time() < end:
        try:
            st, body, loc = _get(addr, path)
        except OSError:
            time.sleep(0.05)
            continue
        if st == 200:
            return json.loads(body)
        if st == 307 and loc:
            addr = loc.split("/")[2]
            continue
        assert st == 503, (st, body)
        time.sleep(0.05)
    raise AssertionError("GET %s on node %d: no answer in %ss" % (path, nid, deadline))


def test_linearizable_reads():
    """GET /ticket (ReadIndex, ?lease=1) on leader and followers: a read started after a ticket was acknowledged returns at least that ticket"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "r1"), 16000, extra=CTX.fast)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        # the newest acknowledged ticket, and when it was acknowledged
        acked = {"t": 0}
        lock = threading.Lock()
        stop = threading.Event()
        errors = []

        def writer():
            c = Client(cl)
            try:
                while not stop.is_set():
                    t = c.ticket()
                    with lock:
                        acked["t"] = max(acked["t"], t)
            except Exception as e:  # noqa
                errors.append(repr(e))
            c.close()

        def reader(nid, lease, out):
            try:
                while not stop.is_set():
                    with lock:
                        floor = acked["t"]  # acknowledged before this read starts
                    ans = read_ticket(cl, nid, lease)
                    out.append((floor, ans["ticket"], ans["read"], ans["node"]))
            except Exception as e:  # noqa
                errors.append(repr(e))

        results = {}
        threads = [threading.Thread(target=writer, daemon=True) for _ in range(4)]
        for nid in cl.nodes:
            for lease in (False, True):
                results[(nid, lease)] = []
                threads.append(threading.Thread(target=reader, args=(nid, lease, results[(nid, lease)]), daemon=True))
        for t in threads:
            t.start()
        time.sleep(4.0)
        stop.set()
        for t in threads:
            t.join(30)
        assert not errors, errors[:3]
        stale = [(k, r) for k, rs in results.items() for r in rs if r[1] < r[0]]
        assert not stale, "reads older than an acknowledged ticket: %r" % stale[:5]
        for (nid, lease), rs in sorted(results.items()):
            kinds = sorted({r[2] for r in rs})
            CTX.log("node %d %s: %d reads (%s), last %s" % (
                nid, "lease" if lease else "readindex", len(rs), "/".join(kinds), rs[-1][1] if rs else None))
            assert rs, "no read answered for node %d lease=%s" % (nid, lease)
            assert all(r[3] == nid for r in rs), "reads are served by the node asked (followers too)"
        s = cl.status(lid)["counters"]
        CTX.log("leader %d: reads_ok %d, reads_lease %d; followers' reads: %s" % (
            lid, s["reads_ok"], s["reads_lease"],
            [cl.status(i)["counters"]["reads_ok"] for i in cl.nodes if i != lid]))
        assert s["reads_lease"] > 0
        # bad query
        st, body, _ = _get(cl.nodes[lid].http, "/ticket?lease=yes")
        assert st == 400, (st, body)
        # a follower that knows no leader answers 503 (no read index to get)
        f = [i for i in cl.nodes if i != lid]
        for i in cl.nodes:
            if i != f[0]:
                cl.kill(i, signal.SIGKILL)
        time.sleep(1.5)
        st, body, _ = _get(cl.nodes[f[0]].http, "/ticket")
        CTX.log("lone follower: GET /ticket -> %d %s" % (st, body.strip()))
        assert st == 503, (st, body)
    finally:
        cl.stop_all()


def _stop_timed(cl, nid):
    """SIGTERM node nid; (exit status, seconds to exit)"""
    nd = cl.nodes[nid]
    t0 = time.time()
    nd.proc.send_signal(signal.SIGTERM)
    rc = nd.proc.wait(15)
    return rc, time.time() - t0


def test_rolling_restart():
    """rolling restart under load: SIGTERM each node in turn (a leader hands over first), restart it; nothing acknowledged lost, nothing twice"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "r2"), 16400, extra=CTX.fast + ["--snapshot-every", "300"])
    try:
        cl.start_all()
        cl.wait_leader()
        load = Load(cl, 8).start()
        time.sleep(1.0)
        order = list(cl.nodes)
        # the leader last but one, so that at least one hand-over happens
        # while another node was restarted just before
        random.Random(5).shuffle(order)
        handovers = 0
        for nid in order + [cl.wait_leader()]:
            was_leader = cl.try_status(nid) and cl.status(nid)["state"] == "leader"
            n_before = len(load.tickets)
            rc, dt = _stop_timed(cl, nid)
            log_text = open(cl.nodes[nid].log, errors="replace").read()
            stops = [ln for ln in log_text.splitlines() if "shutting down:" in ln]
            handed = bool(stops) and "leadership handed over" in stops[-1]
            CTX.log("node %d (%s) stopped in %.2fs, status %d%s" % (
                nid, "leader" if was_leader else "follower", dt, rc, ", leadership handed over" if handed else ""))
            assert rc == 0, rc
            if was_leader:
                assert "handing leadership over" in log_text, "the leader did not try to hand over"
                handovers += handed
            t_gap = time.time()
            others = [i for i in cl.nodes if i != nid]
            new = cl.wait_leader(10, among=others)
            CTX.log("   leader %d after %.2fs" % (new, time.time() - t_gap))
            time.sleep(0.5)
            cl.start(nid)
            time.sleep(1.0)
            assert len(load.tickets) >= n_before or load.errors, "no ticket while node %d restarted" % nid
        load.stop()
        assert not load.errors, load.errors[:3]
        tickets = load.tickets
        dups = len(tickets) - len(set(tickets))
        lid = cl.wait_leader()
        c = Client(cl)
        last = c.ticket()
        c.close()
        for i in cl.nodes:
            cl.wait(lambda i=i: cl.status(i)["applied_index"] >= cl.status(lid)["commit_index"] - 1, 20,
                    "node %d to catch up" % i)
        final = {i: cl.status(i)["counter"] for i in cl.nodes}
        lost = [t for t in tickets if t > min(final.values())]
        CTX.log("%d tickets acknowledged, %d duplicated, %d lost; %d hand-overs; counters %s; one more: %d" % (
            len(tickets), dups, len(lost), handovers, final, last))
        assert dups == 0 and not lost
        assert handovers >= 1, "no leader handed over on SIGTERM"
        assert last > max(tickets)
    finally:
        cl.stop_all()


TESTS = [test_linearizable_reads, test_rolling_restart]
