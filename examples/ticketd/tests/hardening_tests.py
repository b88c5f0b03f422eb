"""ticketd tests that trust nothing: other clusters' and forged datagrams,
absurd terms, missing and foreign stores, a full disk, IPv6, HTTP limits,
address conflicts, wildcard binds.  Real processes, sockets, files.

Run by test_ticketd.py, which sets CTX.  A "ghost" is a member of the
configuration that never runs: the test binds its Raft address and speaks
from it, as someone spoofing that member's address would.
"""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import time

from tkcluster import Client, Cluster, Load, split_addr
from tkwire import AER, AE, RV, RVR, aer_body, ae_body, dgram, rv_body, rvr_body, signed

CTX = None  # set by test_ticketd.py: .ticketd, .work, .log, .fast


def udp_at(addr):
    host, port = split_addr(addr)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    s.settimeout(0.2)
    return s


def dropped(cl, nid):
    return cl.status(nid)["counters"]["dropped"]


def with_ghost(name, base, n=3, extra=()):
    """a cluster whose node 1 never runs; returns (cluster, socket at node 1's Raft address, running ids)"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, name), base, n=n, extra=CTX.fast + list(extra))
    ghost = udp_at(cl.nodes[1].raft)
    running = list(range(2, n + 1))
    for i in running:
        cl.start(i)
    return cl, ghost, running


def test_other_cluster_datagrams_dropped():
    """datagrams captured from another cluster and replayed from a member's address are dropped (wrong_cluster), also in /metrics"""
    b = Cluster(CTX.ticketd, os.path.join(CTX.work, "h1b"), 11000, extra=CTX.fast)
    cap = udp_at(b.nodes[3].raft)
    captured = []
    try:
        b.start(1)
        b.start(2)
        end = time.time() + 2.5
        while time.time() < end:
            try:
                captured.append(cap.recv(65536))
            except socket.timeout:
                pass
    finally:
        b.stop_all()
        cap.close()
    CTX.log("captured %d datagrams of cluster %s (types %s)" % (
        len(captured), b.cluster_id, sorted({d[5] for d in captured})))
    assert len(captured) >= 3, len(captured)
    a, ghost, running = with_ghost("h1a", 11400)
    try:
        lid = a.wait_leader(among=running)
        target = [i for i in running if i != lid][0]
        before = a.status(target)
        for d in captured * 2:
            ghost.sendto(d, split_addr(a.nodes[target].raft))
        # the same kind of datagram with this cluster's id passes the check
        ok = dgram(RVR, 1, target, rvr_body(before["term"], 0), cluster=int(a.cluster_id, 16))
        ghost.sendto(ok, split_addr(a.nodes[target].raft))
        time.sleep(0.5)
        s = a.status(target)
        got = s["counters"]["dropped"]["wrong_cluster"] - before["counters"]["dropped"]["wrong_cluster"]
        CTX.log("node %d: %d wrong_cluster drops, term %d -> %d" % (target, got, before["term"], s["term"]))
        assert got == 2 * len(captured), (got, len(captured))
        assert s["term"] == before["term"] and s["leader"] == lid
        host, port = split_addr(a.nodes[target].http)
        c = http.client.HTTPConnection(host, port, timeout=3)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        assert 'ticketd_datagrams_dropped_total{reason="wrong_cluster"} %d' % got in text
        assert 'ticketd_messages_received_total{type="requestvote_response"} ' in text
        line = [ln for ln in text.splitlines() if 'received_total{type="requestvote_response"}' in ln][0]
        assert float(line.split()[-1]) >= 1, line
    finally:
        a.stop_all()
        ghost.close()


def test_authenticated_datagrams():
    """--key-file: the cluster serves; datagrams without an HMAC, or with one under another key, are dropped (bad_auth)"""
    key = os.path.join(CTX.work, "h2.key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(key, 0o600)
    a, ghost, running = with_ghost("h2", 11800, n=4, extra=["--key-file", key])
    try:
        lid = a.wait_leader(among=running)
        c = Client(a, start=a.nodes[lid].http)
        tickets = [c.ticket() for _ in range(20)]
        c.close()
        assert len(set(tickets)) == 20
        target = [i for i in running if i != lid][0]
        before = a.status(target)
        assert before["authenticated"] is True
        cid = int(a.cluster_id, 16)
        dest = split_addr(a.nodes[target].raft)
        forged = [
            dgram(RV, 1, target, rv_body(before["term"] + 5, 1, 10**6, before["term"]), cluster=cid),  # no HMAC
            signed(RV, 1, target, rv_body(before["term"] + 5, 1, 10**6, before["term"]), cid, b"x" * 32),  # wrong key
            signed(AE, 1, target, ae_body(before["term"] + 5, 0, 0, 0), cid, open(key, "rb").read())[:-1] + b"\0",
        ]
        for d in forged * 3:
            ghost.sendto(d, dest)
        genuine = signed(RVR, 1, target, rvr_body(before["term"], 0), cid, open(key, "rb").read())
        ghost.sendto(genuine, dest)
        time.sleep(0.5)
        s = a.status(target)
        got = s["counters"]["dropped"]["bad_auth"] - before["counters"]["dropped"]["bad_auth"]
        CTX.log("node %d: %d bad_auth drops; term %d -> %d" % (target, got, before["term"], s["term"]))
        assert got == 9, got
        assert s["term"] == before["term"] and s["voted_for"] == before["voted_for"]
        # a key that is too short is refused at start
        short = os.path.join(CTX.work, "h2.short")
        with open(short, "wb") as f:
            f.write(b"tooshort")
        out = subprocess.run([CTX.ticketd, "--id", "9", "--raft", "127.0.0.1:9", "--http", "127.0.0.1:9", "--dir",
                              os.path.join(CTX.work, "h2x"), "--init", "--key-file", short], capture_output=True,
                             text=True)
        assert out.returncode == 2 and "key-file" in out.stderr, (out.returncode, out.stderr)
    finally:
        a.stop_all()
        ghost.close()


def test_absurd_terms_dropped():
    """a response with term INT64_MAX or 2^61, an impossible match index or reject hint are dropped; the cluster still elects after a leader kill"""
    a, ghost, running = with_ghost("h3", 12200, n=5)
    try:
        lid = a.wait_leader(among=running)
        Client(a, start=a.nodes[lid].http).ticket()
        cid = int(a.cluster_id, 16)
        s0 = {i: a.status(i) for i in running}
        t = s0[lid]["term"]
        bad = [
            (AER, aer_body(2**63 - 1, 0, 0, 0), "malformed"),         # INT64_MAX: beyond any term
            (AER, aer_body(2**61, 0, 0, 0), "absurd_term"),           # below the limit, far above ours
            (RVR, rvr_body(2**40, 1), "absurd_term"),
            (AER, aer_body(t, 1, 10**9, 1), "absurd_index"),          # claims entries never sent
            (RV, rv_body(t + 1, 1, 5, t + 2), "malformed"),           # last log term above its own term
            (AE, ae_body(t, 0, t + 3, 0), "malformed"),               # previous term above its own term
            (AER, aer_body(t, 0, 0, 1, hint_term=t + 1), "malformed"),  # reject hint term above its own term
            (AER, aer_body(t, 0, 0, 1, hint_term=-1), "malformed"),     # negative reject hint term
            (AER, aer_body(t, 1, 0, 1, hint_term=1), "malformed"),      # a hint in a success
        ]
        for i in running:
            for mtype, body, _ in bad:
                ghost.sendto(dgram(mtype, 1, i, body, cluster=cid), split_addr(a.nodes[i].raft))
        time.sleep(0.5)
        for i in running:
            s = a.status(i)
            d, d0 = s["counters"]["dropped"], s0[i]["counters"]["dropped"]
            for reason in ("malformed", "absurd_term", "absurd_index"):
                want = sum(1 for b in bad if b[2] == reason)
                assert d[reason] - d0[reason] == want, (i, reason, d[reason] - d0[reason], want)
            assert s["term"] == s0[i]["term"], (i, s["term"], s0[i]["term"])
        CTX.log("every node dropped them; terms stay %s" % sorted({a.status(i)["term"] for i in running}))
        a.kill(lid)
        rest = [i for i in running if i != lid]
        t0 = time.time()
        new = a.wait_leader(among=rest, timeout=15)
        CTX.log("leader %d killed: node %d elected in %.1fs, term %d" % (
            lid, new, time.time() - t0, a.status(new)["term"]))
        assert a.status(new)["term"] < 100
        c = Client(a, start=a.nodes[new].http)
        c.ticket()
        c.close()
    finally:
        a.stop_all()
        ghost.close()


def run(args, timeout=30):
    return subprocess.run([CTX.ticketd] + args, capture_output=True, text=True, timeout=timeout)


def test_store_identity_required():
    """an empty, deleted, zeroed or foreign store refuses to start (clear message, no signal) unless told --init or --join"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "h4"), 12600, extra=CTX.fast)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        Client(cl).ticket()
        victim = [i for i in cl.nodes if i != lid][0]
        nd = cl.nodes[victim]
        cl.kill(victim, signal.SIGKILL)
        base = ["--id", str(victim), "--raft", nd.raft, "--http", nd.http, "--dir", nd.dir]
        saved = nd.dir + ".saved"
        shutil.copytree(nd.dir, saved)
        # data.mdb deleted: the node must not come back as a fresh voter
        os.remove(os.path.join(nd.dir, "data.mdb"))
        out = run(base)
        CTX.log("data.mdb deleted: rc %d: %s" % (out.returncode, out.stderr.strip()[:120]))
        assert out.returncode == 3 and "no cluster identity" in out.stderr
        # zeroed
        shutil.rmtree(nd.dir)
        shutil.copytree(saved, nd.dir)
        path = os.path.join(nd.dir, "data.mdb")
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.write(b"\0" * size)
        out = run(base)
        CTX.log("data.mdb zeroed: rc %d: %s" % (out.returncode, out.stderr.strip()[:160]))
        assert out.returncode == 3 and "data.mdb" in out.stderr, (out.returncode, out.stderr)
        # another cluster's id, another node's directory
        shutil.rmtree(nd.dir)
        shutil.copytree(saved, nd.dir)
        out = run(base + ["--init", "--cluster-id", "abcdef"])
        assert out.returncode == 3 and "belongs to cluster" in out.stderr, out.stderr
        out = run(["--id", "42"] + base[2:])
        assert out.returncode == 3 and "belongs to node" in out.stderr, out.stderr
        # --init with other members needs the shared id; --init and --join together are refused
        out = run(["--id", "7", "--raft", "127.0.0.1:9", "--http", "127.0.0.1:9", "--dir", nd.dir + ".new",
                   "--init", "--peer", "8@127.0.0.1:10@127.0.0.1:11"])
        assert out.returncode == 2 and "--cluster-id" in out.stderr, out.stderr
        out = run(base + ["--init", "--join", cl.nodes[lid].http])
        assert out.returncode == 2
        # the intact store still starts, without --init
        nd2 = cl.start(victim)
        cl.wait(lambda: cl.try_status(victim), 10, "node %d back" % victim)
        assert nd2.alive()
        out = run(["--new-cluster-id"])
        assert out.returncode == 0 and len(out.stdout.strip()) == 16, out.stdout
        int(out.stdout, 16)
    finally:
        cl.stop_all()


def test_ipv6_cluster():
    """a cluster on ::1: elections, tickets, a join and the member list in [v6]:port form"""
    if not socket.has_ipv6:
        CTX.log("no IPv6 in this Python: skipped")
        return
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "h6"), 13400, extra=CTX.fast, host="::1")
    try:
        cl.start_all()
        lid = cl.wait_leader()
        load = Load(cl, 4, count=25).start().join(60)
        assert not load.errors, load.errors[:3]
        assert len(set(load.tickets)) == 100
        cl.start(4, join=cl.nodes[[i for i in cl.nodes if i != lid][0]].http)
        cl.wait(lambda: any(p["id"] == 4 and p["voting"] for p in cl.status(cl.wait_leader(5))["peers"]), 30,
                "node 4 to become a voter")
        host, port = split_addr(cl.nodes[4].http)
        c = http.client.HTTPConnection(host, port, timeout=3)
        c.request("GET", "/peers")
        text = c.getresponse().read().decode()
        c.close()
        CTX.log(text.replace("\n", " | "))
        assert "member 4 voter [::1]:" in text and "127.0.0.1" not in text
    finally:
        cl.stop_all()


def open_idle(host, port, n, src="127.0.0.1"):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(2)
        try:
            s.connect((host, port))
            socks.append(s)
        except OSError:
            s.close()
    return socks


def served(host, port, src, timeout=2.0):
    """GET /status from source address src: True if answered"""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((src, 0))
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return s.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()


def test_http_limits():
    """idle connections from one address cannot lock others out (per-address limit); idle ones are closed on time"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "h7"), 13800, n=1,
                 extra=CTX.fast + ["--http-max-per-ip", "20", "--http-max-connections", "60",
                                   "--http-idle-timeout-s", "2"])
    try:
        cl.start(1)
        cl.wait_leader()
        host, port = split_addr(cl.nodes[1].http)
        hog = open_idle(host, port, 300)
        time.sleep(0.3)
        alive = 0
        for s in hog:  # MHD closes what is over the per-address limit: those read EOF at once
            s.setblocking(False)
            try:
                alive += s.recv(1) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        CTX.log("300 idle connections from 127.0.0.1: %d kept open" % alive)
        assert alive <= 20, alive
        assert not served(host, port, "127.0.0.1", 1.0), "over the per-address limit yet served"
        assert served(host, port, "127.0.0.2"), "another address was locked out"
        t0 = time.time()
        ok = False
        while time.time() - t0 < 6 and not ok:
            ok = served(host, port, "127.0.0.1", 1.0)
            time.sleep(0.2)
        CTX.log("idle connections closed: 127.0.0.1 served again after %.1fs" % (time.time() - t0))
        assert ok
        for s in hog:
            s.close()
        # the total limit: three addresses hold 20 each (60 in all): a fourth is not served until the idle
        # timeout frees connections (MHD stops accepting at the limit)
        many = []
        for k in range(3, 6):
            many += open_idle(host, port, 20, "127.0.0.%d" % k)
        time.sleep(0.3)
        assert not served(host, port, "127.0.0.9", 1.0), "served beyond the total limit"
        t0 = time.time()
        ok = False
        while time.time() - t0 < 6 and not ok:
            ok = served(host, port, "127.0.0.9", 1.0)
        CTX.log("60 idle connections from 3 addresses: a 4th address waited %.1fs (idle timeout 2 s)" % (time.time() - t0))
        assert ok
        for s in many:
            s.close()
    finally:
        cl.stop_all()


def post_form(addr, path, body):
    host, port = split_addr(addr)
    c = http.client.HTTPConnection(host, port, timeout=5)
    try:
        c.request("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def test_join_refuses_used_address():
    """POST /peers refuses an address another member uses (raft or http), and a wildcard bind needs an advertised address"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "h8"), 14200, extra=CTX.fast)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        Client(cl).ticket()
        other = [i for i in cl.nodes if i != lid][0]
        for raft, http_, holder in ((cl.nodes[other].raft, "127.0.0.1:14299", other),
                                    ("127.0.0.1:14298", cl.nodes[lid].http, lid)):
            st, body = post_form(cl.nodes[lid].http, "/peers", "id=9&raft=%s&http=%s" % (raft, http_))
            CTX.log("join with node %d's address: %d %s" % (holder, st, body.strip()))
            assert st == 409 and ("node %d" % holder) in body, (st, body)
        st, body = post_form(cl.nodes[lid].http, "/peers", "id=9&raft=[::1&http=x")
        assert st == 400, st
        # binding 0.0.0.0 without saying where the node is reached is refused
        out = run(["--id", "5", "--raft", "0.0.0.0:14205", "--http", "127.0.0.1:14305", "--dir",
                   os.path.join(CTX.work, "h8x"), "--join", cl.nodes[lid].http])
        assert out.returncode == 2 and "advertise" in out.stderr, out.stderr
    finally:
        cl.stop_all()


def test_snapshot_carries_advertised_address():
    """nodes bound to 0.0.0.0: the snapshot a lagging node loads names every member by its advertised address"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "h9"), 14600, extra=CTX.fast + ["--snapshot-every", "20"])
    try:
        for i, nd in cl.nodes.items():
            bind = ["--raft", "0.0.0.0:%d" % split_addr(nd.raft)[1]]
            cl.start(i, extra=bind)  # its own --peer entry gives the advertised address
        lid = cl.wait_leader()
        f = [i for i in cl.nodes if i != lid][0]
        cl.kill(f)
        load = Load(cl, 4, count=30).start().join(60)
        assert not load.errors, load.errors[:3]
        assert cl.status(lid)["snapshot_index"] > 0
        cl.start(f, extra=["--raft", "0.0.0.0:%d" % split_addr(cl.nodes[f].raft)[1]])
        st = cl.wait(lambda: (lambda s: s if s["counters"]["snapshots_loaded"] >= 1 and
                              s["applied_index"] >= cl.status(lid)["snapshot_index"] else None)(cl.status(f)),
                     30, "node %d to load a snapshot" % f)
        addrs = {p["id"]: p["raft"] for p in st["peers"]}
        CTX.log("node %d loaded a snapshot; peers %s" % (f, addrs))
        assert all(a.startswith("127.0.0.1:") for a in addrs.values()), addrs
        host, port = split_addr(cl.nodes[f].http)
        c = http.client.HTTPConnection(host, port, timeout=3)
        c.request("GET", "/peers")
        text = c.getresponse().read().decode()
        c.close()
        assert "0.0.0.0" not in text, text
    finally:
        cl.stop_all()


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path], capture_output=True)
    return r.returncode == 0


def fill(path, leave=16384):
    """a file that takes all the space left on path's filesystem but `leave` bytes"""
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize - leave
    with open(os.path.join(path, "filler"), "wb") as f:
        f.write(b"\0" * max(free, 0))


def test_disk_full_pauses_and_resumes():
    """a node whose disk fills reports it, stops writing (a leader steps down), loses nothing acknowledged and resumes when space returns"""
    fs = os.path.join(CTX.work, "h10fs")
    if not mount_tmpfs(fs, "8m"):
        CTX.log("cannot mount a tmpfs here (not root?): skipped")
        return
    # small log segments: writes into a segment created before the disk
    # filled still succeed; the disk is found full when the next one is made
    seg = ["--wal-segment-kib", "64"]
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "h10"), 15000, extra=CTX.fast + ["--snapshot-every", "0"] + seg)
    try:
        cl.nodes[3].dir = os.path.join(fs, "node3")
        cl.start_all()
        cl.wait_leader()
        load = Load(cl, 8).start()
        time.sleep(1.0)
        fill(fs)
        st = cl.wait(lambda: (lambda s: s if s["disk_full"] else None)(cl.status(3)), 60, "node 3 to find its disk full")
        CTX.log("node 3: disk_full, state %s, dropped disk_full %d" % (st["state"], st["counters"]["dropped"]["disk_full"]))
        time.sleep(2.0)
        lid = cl.wait_leader()
        assert lid != 3, "a node with a full disk stayed leader"
        c0 = cl.status(lid)["counter"]
        time.sleep(1.5)
        assert cl.status(lid)["counter"] > c0, "the cluster stopped serving while one disk was full"
        assert cl.status(3)["disk_full"]
        assert "disk full" in open(cl.nodes[3].log).read()
        os.remove(os.path.join(fs, "filler"))
        cl.wait(lambda: not cl.status(3)["disk_full"], 10, "node 3 to find space again")
        load.stop()
        assert not load.errors, load.errors[:3]
        lid = cl.wait_leader()
        target = cl.status(lid)["commit_index"]
        cl.wait(lambda: cl.status(3)["applied_index"] >= target, 30, "node 3 to catch up")
        counters = {cl.status(i)["counter"] for i in cl.nodes}
        assert len(counters) == 1, counters
        assert len(set(load.tickets)) == len(load.tickets) and max(load.tickets) <= counters.pop()
        CTX.log("%d tickets acknowledged around the full disk; node 3 caught up" % len(load.tickets))
    finally:
        cl.stop_all()
    # one node alone: nothing is acknowledged while full, nothing acknowledged is lost
    one = Cluster(CTX.ticketd, os.path.join(CTX.work, "h10b"), 15400, n=1, extra=CTX.fast + ["--snapshot-every", "0"] + seg)
    try:
        one.nodes[1].dir = os.path.join(fs, "single")
        one.start(1)
        one.wait_leader()
        c = Client(one, deadline=3)
        acked = [c.ticket() for _ in range(20)]
        fill(fs, leave=0)
        refused = 0
        for _ in range(10000):  # at most two 64 KiB segments (about 2,500 entries) were ready
            try:
                acked.append(c.ticket())
            except AssertionError:
                refused += 1
                break
        st = one.status(1)
        CTX.log("single node, disk full: %d more acknowledged before it filled, refused after; state %s" % (
            len(acked) - 20, st["state"]))
        assert refused and st["disk_full"]
        os.remove(os.path.join(fs, "filler"))
        one.wait(lambda: not one.status(1)["disk_full"], 10, "space back")
        c = Client(one, deadline=20)
        t = c.ticket()
        assert t > max(acked), (t, max(acked))
        acked.append(t)
        one.kill(1, signal.SIGKILL)
        one.start(1)
        one.wait_leader()
        c = Client(one, deadline=20)
        t2 = c.ticket()
        assert t2 > max(acked) and one.status(1)["counter"] >= max(acked)
    finally:
        one.stop_all()
        subprocess.run(["umount", "-l", fs], capture_output=True)


TESTS = [
    test_other_cluster_datagrams_dropped,
    test_authenticated_datagrams,
    test_absurd_terms_dropped,
    test_store_identity_required,
    test_ipv6_cluster,
    test_http_limits,
    test_join_refuses_used_address,
    test_snapshot_carries_advertised_address,
    test_disk_full_pauses_and_resumes,
]
