#!/usr/bin/env python3
"""ticketd cluster tests: real processes, real sockets, real files.

usage: test_ticketd.py --ticketd PATH [--fuzz PATH] [--only NAME] [--keep]

Every test uses its own port range and directory; every process is killed
at the end, even on failure.  Closes with 'N passed, N failed'.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tkcluster import ALL_PROCS, Client, Cluster, Load, _kill_all, check_unique, split_addr, wait_caught_up  # noqa: E402
import observe_tests  # noqa: E402
import hardening_tests  # noqa: E402
import storage_tests  # noqa: E402
import leadership_tests  # noqa: E402
from tkwire import dgram  # noqa: E402

ARGS = None
WORK = None
# fast timers so that elections and catch-up fit the time budget
FAST = ["--election-timeout-ms", "600", "--heartbeat-ms", "60", "--tick-ms", "5"]


def log(*a):
    print("   ", *a, flush=True)


# ---------------------------------------------------------------------------
def test_fuzz_decoder():
    """decoder fuzz target: deterministic random + mutated datagrams under ASan/UBSan"""
    if not ARGS.fuzz:
        log("no --fuzz binary given: skipped")
        return
    out = subprocess.run([ARGS.fuzz, "150000", "12345"], capture_output=True, text=True, timeout=120)
    log(out.stdout.strip())
    assert out.returncode == 0, out.stderr[-2000:]


def test_10k_tickets():
    """3-node cluster serves >= 10,000 tickets to concurrent clients, all unique"""
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t1"), 21000, extra=FAST)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        t0 = time.time()
        load = Load(cl, 32, count=313).start().join(180)
        dt = time.time() - t0
        assert not load.errors, load.errors[:3]
        log("%d tickets in %.1fs (%.0f/s), leader %d" % (len(load.tickets), dt, len(load.tickets) / dt, lid))
        assert len(load.tickets) >= 10000, len(load.tickets)
        check_unique(load.tickets)
        lid = cl.wait_leader()
        s = cl.status(lid)
        assert max(load.tickets) <= s["counter"], (max(load.tickets), s["counter"])
        log("leader counter %d, commit %d, batches %d, snapshots %d" % (
            s["counter"], s["commit_index"], s["counters"]["batches_appended"], s["snapshot_index"]))
        for i in cl.nodes:
            wait_caught_up(cl, i, lid)
        counters = {cl.status(i)["counter"] for i in cl.nodes}
        assert len(counters) == 1, counters
    finally:
        cl.stop_all()


def test_leader_crash():
    """leader SIGKILLed mid-load, restarted from its dir: new leader, no ticket twice, node catches up"""
    # small datagrams: catch-up appendentries carry fewer entries than the
    # library offers, and the follower's response says how far it got.
    # This test also runs the other durability/batching modes.
    leader_crash("t2", 22000, ["--snapshot-every", "400", "--max-dgram", "600", "--sync", "group", "--flush", "commit"])


def test_leader_crash_pipelined():
    """the same with pipelining: 4 appendentries per peer in flight, queued requests appended while fewer than 4 batches wait (--inflight 4)"""
    leader_crash("t2p", 22500, ["--snapshot-every", "400", "--sync", "parallel", "--flush", "commit", "--inflight", "4"])


def test_lone_client_not_gated_by_tick():
    """--flush commit: a lone client's ticket is appended at once, never held for the next tick (--tick-ms 300)"""
    # MHD runs from timers as well as from its socket: a request it reads
    # there used to wait in the queue until the next tick (or any other
    # event), about 5 ms a ticket at --tick-ms 10.  With a 300 ms tick and
    # 1 s heartbeats such a wait is unmistakable.
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t2l"), 22800,
                 extra=["--election-timeout-ms", "2500", "--heartbeat-ms", "1000", "--tick-ms", "300",
                        "--sync", "parallel", "--flush", "commit"])
    try:
        cl.start_all()
        lid = cl.wait_leader(timeout=30)
        c = Client(cl, start=cl.nodes[lid].http)
        c.ticket()
        lat = []
        for _ in range(40):
            t0 = time.time()
            c.ticket()
            lat.append(time.time() - t0)
        c.close()
        lat.sort()
        p50, p90 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.9)] * 1000
        log("lone client, 40 tickets: p50 %.2f ms, p90 %.2f ms (tick 300 ms)" % (p50, p90))
        assert p50 < 30 and p90 < 100, (p50, p90)
    finally:
        cl.stop_all()


def leader_crash(name, port, extra):
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, name), port, extra=FAST + extra)
    try:
        cl.start_all()
        old = cl.wait_leader()
        load = Load(cl, 16).start()
        time.sleep(2.0)
        before = cl.status(old)["counter"]
        log("killing leader %d (SIGKILL)" % old)
        cl.kill(old, signal.SIGKILL)
        new = cl.wait_leader(exclude=(old,), among=[i for i in cl.nodes if i != old])
        log("new leader %d" % new)
        time.sleep(1.5)
        log("restarting node %d from %s" % (old, cl.nodes[old].dir))
        cl.start(old)
        time.sleep(2.0)
        load.stop()
        assert not load.errors, load.errors[:3]
        tickets = load.tickets
        log("%d tickets (counter %d at the crash)" % (len(tickets), before))
        check_unique(tickets)
        lid = cl.wait_leader()
        s = cl.status(lid)
        assert s["term"] > 1 or lid != old
        assert max(tickets) <= s["counter"], (max(tickets), s["counter"])
        st = wait_caught_up(cl, old, lid)
        log("restarted node %d: state %s term %d applied %d counter %d" % (
            old, st["state"], st["term"], st["applied_index"], st["counter"]))
        counters = cl.status(cl.wait_leader())["counters"]
        log("appendentries cut short to fit a datagram: %d; most ticket batches in flight: %d" % (
            counters["partial_appendentries"], counters["batches_in_flight_max"]))
        assert counters["batches_in_flight_max"] >= 1, counters
        # one more ticket through the restarted node (redirect or leader)
        c = Client(cl, start=cl.nodes[old].http)
        t = c.ticket()
        assert t > max(tickets), (t, max(tickets))
        c.close()
    finally:
        cl.stop_all()


def test_snapshot_catch_up():
    """a follower killed and restarted past a snapshot catches up through the snapshot"""
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t3"), 23000, extra=FAST + ["--snapshot-every", "50"])
    try:
        cl.start_all()
        lid = cl.wait_leader()
        f = [i for i in cl.nodes if i != lid][0]
        load = Load(cl, 8, count=50).start().join(60)
        assert not load.errors, load.errors[:3]
        log("killing follower %d" % f)
        cl.kill(f, signal.SIGKILL)
        load2 = Load(cl, 8, count=150).start().join(90)
        assert not load2.errors, load2.errors[:3]
        s = cl.status(lid)
        fs_dir = cl.nodes[f].dir
        log("leader %d: commit %d, snapshot index %d, first index %d" % (
            lid, s["commit_index"], s["snapshot_index"], s["first_index"]))
        assert s["snapshot_index"] > 0, "leader never compacted"
        cl.start(f)
        st = wait_caught_up(cl, f, lid)
        log("follower %d: applied %d snapshot %d snapshots_loaded %d counter %d" % (
            f, st["applied_index"], st["snapshot_index"], st["counters"]["snapshots_loaded"], st["counter"]))
        assert st["counters"]["snapshots_loaded"] >= 1, "follower did not load a snapshot"
        assert cl.status(lid)["counters"]["snapshots_sent"] >= 1
        all_t = load.tickets + load2.tickets
        check_unique(all_t)
        assert st["counter"] >= max(all_t)
        # the follower survives a restart from its dir after loading a snapshot
        cl.kill(f, signal.SIGTERM)
        out = subprocess.run([ARGS.ticketd, "--check", "--dir", fs_dir], capture_output=True, text=True)
        log("check: " + out.stdout.strip())
        assert out.returncode == 0, out.stderr
        cl.start(f)
        wait_caught_up(cl, f, lid)
    finally:
        cl.stop_all()


def test_membership():
    """a fourth node joins and a node is removed while clients keep taking tickets"""
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t4"), 24000, extra=FAST + ["--snapshot-every", "200", "--flush", "commit"])
    try:
        cl.start_all()
        lid = cl.wait_leader()
        load = Load(cl, 8).start()
        time.sleep(1.0)
        # join through a follower: the join request is redirected to the leader
        via = [i for i in cl.nodes if i != lid][0]
        log("starting node 4 with --join %s" % cl.nodes[via].http)
        cl.start(4, join=cl.nodes[via].http)

        def node4_voting():
            lid2 = cl.leader()
            s = cl.status(lid2)
            for p in s["peers"]:
                if p["id"] == 4 and p["voting"] and p["active"]:
                    return s
            return None
        cl.wait(node4_voting, 40, "node 4 to become a voter")
        lid = cl.wait_leader()
        st4 = wait_caught_up(cl, 4, lid)
        log("node 4 is a voter; applied %d counter %d snapshots_loaded %d" % (
            st4["applied_index"], st4["counter"], st4["counters"]["snapshots_loaded"]))
        # remove a follower that is not node 4, asking another follower (redirect)
        victim = [i for i in (1, 2, 3) if i != lid][0]
        asker = [i for i in cl.nodes if i not in (lid, victim)][0]
        c = Client(cl, start=cl.nodes[asker].http)
        st, body = c.request("DELETE", "/peers/%d" % victim)
        c.close()
        log("DELETE /peers/%d -> %d %s" % (victim, st, body.decode().strip()))
        assert st == 200, (st, body)
        # the leader tells the removed node, which exits cleanly
        rc = cl.nodes[victim].proc.wait(10)
        log("removed node %d shut itself down (exit %d)" % (victim, rc))
        assert rc == 0, rc
        nd = cl.start(victim)
        rc = nd.proc.wait(10)
        assert rc == 7 and "was removed" in open(nd.log).read(), rc
        log("and refuses to start again on its old directory (exit %d)" % rc)
        time.sleep(1.5)
        load.stop()
        assert not load.errors, load.errors[:3]
        lid = cl.wait_leader()
        s = cl.status(lid)
        ids = sorted(p["id"] for p in s["peers"])
        log("leader %d peers now %s, members %s" % (lid, ids, [m["id"] for m in s["members"]]))
        assert victim not in ids and 4 in ids, ids
        assert victim not in [m["id"] for m in s["members"]]
        check_unique(load.tickets)
        assert max(load.tickets) <= s["counter"]
        # the cluster still works without the removed node
        more = Load(cl, 4, count=25).start().join(60)
        assert not more.errors, more.errors[:3]
        check_unique(load.tickets + more.tickets)
        for i in cl.nodes:
            if i != victim:
                wait_caught_up(cl, i, lid)
        log("%d tickets during the membership changes" % len(load.tickets))
        # the node that joined recovers from its own directory
        cl.kill(4, signal.SIGKILL)
        cl.start(4)
        more2 = Load(cl, 4, count=25).start().join(60)
        assert not more2.errors, more2.errors[:3]
        lid = cl.wait_leader()
        st4 = wait_caught_up(cl, 4, lid)
        assert st4["voting"], st4
        check_unique(load.tickets + more.tickets + more2.tickets)
        log("node 4 restarted from its dir: %s, applied %d, counter %d" % (
            st4["state"], st4["applied_index"], st4["counter"]))
    finally:
        cl.stop_all()


def test_chaos():
    """random SIGKILL+restart and SIGSTOP/SIGCONT of nodes under load: tickets stay unique, nodes converge"""
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t8"), 28000, extra=FAST + ["--snapshot-every", "150"])
    rnd = random.Random(int(os.environ.get("TICKETD_CHAOS_SEED", "4242")))
    try:
        cl.start_all()
        cl.wait_leader()
        load = Load(cl, 12).start()
        end = time.time() + 12
        actions = []
        while time.time() < end:
            time.sleep(rnd.uniform(0.8, 1.6))
            victim = rnd.choice(list(cl.nodes))
            if rnd.random() < 0.5:
                cl.kill(victim, signal.SIGKILL)
                time.sleep(rnd.uniform(0.1, 0.8))
                cl.start(victim)
                actions.append("kill %d" % victim)
            else:
                nd = cl.nodes[victim]
                nd.proc.send_signal(signal.SIGSTOP)
                time.sleep(rnd.uniform(0.7, 1.5))
                nd.proc.send_signal(signal.SIGCONT)
                actions.append("stop %d" % victim)
        log("actions: " + ", ".join(actions))
        load.stop()
        assert not load.errors, load.errors[:3]
        check_unique(load.tickets)
        lid = cl.wait_leader()
        c = Client(cl)
        last = c.ticket()
        c.close()
        assert last > max(load.tickets)
        s = cl.status(lid)
        for i in cl.nodes:
            wait_caught_up(cl, i, lid)
        counters = {cl.status(i)["counter"] for i in cl.nodes}
        log("%d tickets; leader %d term %d; counters %s" % (len(load.tickets), lid, s["term"], counters))
        assert len(counters) == 1, counters
    finally:
        for nd in cl.nodes.values():
            if nd.alive():
                nd.proc.send_signal(signal.SIGCONT)
        cl.stop_all()


def test_membership_chaos():
    """joins, removals, crashes and frequent compaction together under load"""
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t9"), 29000, extra=FAST + ["--snapshot-every", "30"])
    rnd = random.Random(int(os.environ.get("TICKETD_CHAOS_SEED", "4242")))
    members = {1, 2, 3}
    try:
        cl.start_all()
        cl.wait_leader()
        load = Load(cl, 8).start()
        steps = []
        next_id = 4

        def live_members():
            return [i for i in members if cl.nodes[i].alive()]

        for step in range(8):
            time.sleep(rnd.uniform(0.3, 0.8))
            op = rnd.choice(["join", "remove", "crash", "crash"]) if len(members) >= 3 else "join"
            if op == "remove" and len(members) <= 3:
                op = "join"
            if op == "join" and len(members) >= 5:
                op = "remove"
            if op == "join":
                nid = next_id
                next_id += 1
                via = rnd.choice(live_members())
                cl.start(nid, join=cl.nodes[via].http)
                members.add(nid)

                def voter(nid=nid):
                    s = cl.status(cl.wait_leader(5))
                    return any(p["id"] == nid and p["voting"] for p in s["peers"])
                cl.wait(voter, 40, "node %d to become a voter" % nid)
                steps.append("join %d" % nid)
            elif op == "remove":
                lid = cl.wait_leader()
                victim = rnd.choice([i for i in members if i != lid])
                c = Client(cl, start=cl.nodes[rnd.choice(live_members())].http, deadline=40)
                st, body = c.request("DELETE", "/peers/%d" % victim)
                c.close()
                assert st == 200, (st, body)
                members.discard(victim)
                try:
                    cl.nodes[victim].proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
                cl.kill(victim)
                steps.append("remove %d" % victim)
            else:
                victim = rnd.choice(list(members))
                cl.kill(victim, signal.SIGKILL)
                time.sleep(rnd.uniform(0.2, 1.0))
                cl.start(victim)
                steps.append("crash %d" % victim)
        log("steps: " + ", ".join(steps))
        load.stop()
        assert not load.errors, load.errors[:3]
        check_unique(load.tickets)
        lid = cl.wait_leader()
        c = Client(cl)
        last = c.ticket()
        c.close()
        assert last > max(load.tickets)
        s = cl.status(lid)
        assert sorted([lid] + [p["id"] for p in s["peers"]]) == sorted(members), (s["peers"], members)
        for i in members:
            wait_caught_up(cl, i, lid)
        counters = {i: cl.status(i)["counter"] for i in members}
        log("%d tickets; members %s; counters %s" % (len(load.tickets), sorted(members), counters))
        assert len(set(counters.values())) == 1, counters
    finally:
        cl.stop_all()


def test_join_idle_cluster():
    """a node joins a fresh cluster that has issued no ticket yet, then serves"""
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t7"), 27000, extra=FAST)
    try:
        cl.start_all()
        cl.wait_leader()
        cl.start(4, join=cl.nodes[1].http)

        def voter():
            s = cl.status(cl.leader())
            return any(p["id"] == 4 and p["voting"] for p in s["peers"]) and s
        s = cl.wait(voter, 30, "node 4 to become a voter")
        log("node 4 is a voter (leader commit %d, snapshot %d)" % (s["commit_index"], s["snapshot_index"]))
        c = Client(cl, start=cl.nodes[4].http)
        t = [c.ticket() for _ in range(3)]
        c.close()
        assert t == sorted(t) and len(set(t)) == 3, t
        # a 4-voter cluster survives losing one node
        lid = cl.wait_leader()
        victim = [i for i in cl.nodes if i != lid and i != 4][0]
        cl.kill(victim)
        c = Client(cl, start=cl.nodes[4].http)
        t2 = c.ticket()
        c.close()
        assert t2 > max(t)
    finally:
        cl.stop_all()


# --- malformed input --------------------------------------------------------
def test_malformed_input():
    """malformed datagrams and HTTP requests: node keeps serving, counters show drops, state unchanged"""
    cl = Cluster(ARGS.ticketd, os.path.join(WORK, "t5"), 25000, extra=FAST)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        c = Client(cl)
        first = [c.ticket() for _ in range(5)]
        f = [i for i in cl.nodes if i != lid][0]
        targets = [f, lid]
        before = {i: cl.status(i) for i in targets}
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        rnd = random.Random(7)
        sent = 0
        for i in targets:
            nd = cl.nodes[i]
            addr = split_addr(nd.raft)
            other = [j for j in cl.nodes if j != i][0]
            cid = int(cl.cluster_id, 16)
            valid_rv = struct.pack(">qiqqBB", 10**6, other, 10**6, 10**6, 0, 0)  # would win an election
            ae_huge = struct.pack(">qqqqQI", 10**6, 0, 0, 10**6, 0, 0xFFFFFFFF)
            msgs = [
                bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 200))),      # random bytes
                b"\x00" * 10,                                                          # short
                dgram(1, other, i, valid_rv, cluster=cid)[:40],                                     # truncated
                dgram(1, other, i, valid_rv, cluster=cid, version=9),                               # wrong version
                dgram(1, other, i, valid_rv, cluster=cid, magic=0x47455420),                        # foreign magic
                dgram(1, other, i, valid_rv, cluster=cid, fix_crc=False),                           # bad checksum
                dgram(3, other, i, ae_huge, cluster=cid),                                           # huge entry count
                dgram(5, other, i, struct.pack(">qqqQI", 10**6, 10**6, 10**6, 1, 0x7FFFFFFF), cluster=cid),  # huge members
                dgram(42, other, i, b"xx", cluster=cid),                                            # unknown type
                dgram(1, 99, i, valid_rv, cluster=cid),                                             # unknown sender
                dgram(1, other, i, valid_rv, cluster=cid),                                          # right id, wrong source addr
                dgram(1, i, i, valid_rv, cluster=cid),                                              # claims to be the receiver
                dgram(1, other, i + 50, valid_rv, cluster=cid),                                     # wrong destination
                b"\xAB" * 20000,                                                       # oversized
            ]
            for m in msgs * 3:
                sock.sendto(m, addr)
                sent += 1
        sock.close()
        time.sleep(0.5)
        for i in targets:
            s = cl.status(i)
            d = s["counters"]["dropped"]
            b = before[i]["counters"]["dropped"]
            log("node %d drops: %s" % (i, {k: d[k] - b[k] for k in d if d[k] != b[k]}))
            for k in ("short", "bad_magic", "bad_version", "bad_length", "bad_checksum", "bad_type",
                      "malformed", "oversized", "unknown_sender", "bad_source", "bad_sender", "wrong_dest"):
                assert d[k] > b[k], "node %d: no %s drops counted" % (i, k)
            assert d["total"] - b["total"] >= 14 * 3 - 3, (d["total"], b["total"])
            # state unchanged: same term, same leader, no vote for anybody new
            assert s["term"] == before[i]["term"], (s["term"], before[i]["term"])
            assert s["leader"] == before[i]["leader"]
            assert s["voted_for"] == before[i]["voted_for"]
            assert s["counter"] >= before[i]["counter"]

        # malformed HTTP
        nd = cl.nodes[lid]
        host, port = split_addr(nd.http)
        raw = [
            b"GARBAGE\r\n\r\n",
            b"POST /ticket HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
            b"POST /ticket HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",           # truncated body
            b"GET /status HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 200000 + b"\r\n\r\n",  # huge header
            b"POST /peers HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nid=abc&x=1",
            b"POST /peers HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"i" * 5000,
            b"\x00\x01\x02\x03" * 100,
            b"PUT /ticket HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /ticket?lease=2 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"DELETE /peers/notanumber HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /status HTTP/9.9\r\n\r\n",
        ]
        codes = []
        for r in raw:
            s = socket.create_connection((host, int(port)), timeout=2)
            try:
                s.sendall(r)
                s.shutdown(socket.SHUT_WR)
                data = b""
                while True:
                    try:
                        k = s.recv(65536)
                    except (socket.timeout, ConnectionResetError):
                        break
                    if not k:
                        break
                    data += k
                codes.append(data.split(b"\r\n", 1)[0].decode(errors="replace")[:40] or "(closed)")
            except OSError as e:
                codes.append("(%s)" % e.__class__.__name__)
            finally:
                s.close()
        log("HTTP answers: %s" % codes)
        assert any("400" in x for x in codes) and any("405" in x for x in codes) and any("404" in x for x in codes)
        assert any("413" in x for x in codes)
        # still serving, and tickets keep growing
        more = [c.ticket() for _ in range(5)]
        assert min(more) > max(first), (first, more)
        s = cl.status(lid)
        assert s["state"] == "leader" and s["term"] == before[lid]["term"]
        c.close()
    finally:
        cl.stop_all()


def dump_logs():
    """the last lines of every node log of the tests run so far"""
    for root, _, files in os.walk(WORK):
        for name in sorted(files):
            if name.endswith(".log"):
                path = os.path.join(root, name)
                lines = open(path, errors="replace").read().splitlines()[-15:]
                print("==== %s (last %d lines)" % (path, len(lines)))
                for ln in lines:
                    print("    " + ln)


TESTS = [
    test_fuzz_decoder,
    test_10k_tickets,
    test_leader_crash,
    test_leader_crash_pipelined,
    test_lone_client_not_gated_by_tick,
    test_snapshot_catch_up,
    test_membership,
    test_join_idle_cluster,
    test_chaos,
    test_membership_chaos,
    test_malformed_input,
] + storage_tests.TESTS + observe_tests.TESTS + hardening_tests.TESTS + leadership_tests.TESTS


def main():
    global ARGS, WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticketd", required=True)
    ap.add_argument("--fuzz")
    ap.add_argument("--only")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ARGS = ap.parse_args()
    ARGS.ticketd = os.path.abspath(ARGS.ticketd)
    if ARGS.fuzz:
        ARGS.fuzz = os.path.abspath(ARGS.fuzz)
    WORK = tempfile.mkdtemp(prefix="ticketd-test-")
    observe_tests.CTX = hardening_tests.CTX = leadership_tests.CTX = storage_tests.CTX = argparse.Namespace(ticketd=ARGS.ticketd, work=WORK, log=log, fast=FAST)
    passed = failed = 0
    t_all = time.time()
    try:
        for t in TESTS:
            if ARGS.only and ARGS.only not in t.__name__:
                continue
            print("--- %s: %s" % (t.__name__, t.__doc__.strip().splitlines()[0]), flush=True)
            t0 = time.time()
            try:
                t()
                passed += 1
                print("PASS %s (%.1fs)" % (t.__name__, time.time() - t0), flush=True)
            except Exception:
                failed += 1
                traceback.print_exc()
                print("FAIL %s (%.1fs)" % (t.__name__, time.time() - t0), flush=True)
                dump_logs()
            finally:
                _kill_all()
    finally:
        _kill_all()
        if failed or ARGS.keep:
            print("work directory kept: %s" % WORK)
        else:
            shutil.rmtree(WORK, ignore_errors=True)
    print("total %.1fs" % (time.time() - t_all))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
