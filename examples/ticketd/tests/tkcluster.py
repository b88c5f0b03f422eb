"""Helpers shared by the ticketd tests, demo and benchmark (Python 3 stdlib only).

A Cluster runs real ticketd processes on 127.0.0.1 (or another host, e.g.
::1): node i has its Raft UDP port at base+i and its HTTP port at
base+100+i, and its data directory under workdir.  The first start of an
initial node passes --init with the cluster's id and the --peer list; a
restart passes neither (the node recovers from its directory).  Every
process started is remembered in ALL_PROCS and killed at interpreter exit,
whatever happens.
"""
import atexit
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

ALL_PROCS = []


def _kill_all():
    for p in ALL_PROCS:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except Exception:
                pass


atexit.register(_kill_all)
signal.signal(signal.SIGTERM, lambda *a: (_kill_all(), os._exit(1)))


def fmt_addr(host, port):
    """host:port, with brackets for an IPv6 host"""
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def split_addr(addr):
    """(host, port) of host:port or [v6]:port"""
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port)


class Node:
    def __init__(self, cluster, nid):
        self.cluster = cluster
        self.id = nid
        self.raft = fmt_addr(cluster.host, cluster.base + nid)
        self.http = fmt_addr(cluster.host, cluster.base + 100 + nid)
        self.dir = os.path.join(cluster.workdir, "node%d" % nid)
        self.log = os.path.join(cluster.workdir, "node%d.log" % nid)
        self.proc = None
        self.started = False

    def spec(self):
        return "%d@%s@%s" % (self.id, self.raft, self.http)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    def __init__(self, ticketd, workdir, base, n=3, extra=(), host="127.0.0.1"):
        self.ticketd = ticketd
        self.workdir = workdir
        self.host = host
        self.base = base + int(os.environ.get("TICKETD_PORT_OFFSET", "0"))
        self.extra = list(extra)
        self.cluster_id = secrets.token_hex(8)
        os.makedirs(workdir, exist_ok=True)
        self.nodes = {i: Node(self, i) for i in range(1, n + 1)}
        self.initial = list(self.nodes)

    def start(self, nid, join=None, extra=()):
        if nid not in self.nodes:
            self.nodes[nid] = Node(self, nid)
        nd = self.nodes[nid]
        args = [self.ticketd, "--id", str(nid), "--raft", nd.raft, "--http", nd.http, "--dir", nd.dir]
        if join:
            args += ["--join", join]
        elif not nd.started:
            args += ["--init", "--cluster-id", self.cluster_id]
            for i in self.initial:
                args += ["--peer", self.nodes[i].spec()]
        nd.started = True
        args += self.extra + list(extra)
        logf = open(nd.log, "ab")
        nd.proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        ALL_PROCS.append(nd.proc)
        return nd

    def start_all(self):
        for i in list(self.nodes):
            self.start(i)

    def kill(self, nid, sig=signal.SIGKILL):
        nd = self.nodes[nid]
        if nd.alive():
            nd.proc.send_signal(sig)
            try:
                nd.proc.wait(10)
            except subprocess.TimeoutExpired:
                nd.proc.kill()
                nd.proc.wait()

    def stop_all(self, sig=signal.SIGTERM):
        for nd in self.nodes.values():
            if nd.alive():
                nd.proc.send_signal(sig)
        for nd in self.nodes.values():
            if nd.proc is not None:
                try:
                    nd.proc.wait(10)
                except subprocess.TimeoutExpired:
                    nd.proc.kill()
                    nd.proc.wait()

    def status(self, nid, timeout=2.0):
        nd = self.nodes[nid]
        c = http.client.HTTPConnection(*split_addr(nd.http), timeout=timeout)
        try:
            c.request("GET", "/status")
            r = c.getresponse()
            return json.loads(r.read())
        finally:
            c.close()

    def try_status(self, nid):
        try:
            return self.status(nid)
        except Exception:
            return None

    def leader(self, among=None):
        """id of the node that says it is leader (with the highest term), or None"""
        best = None
        for i in among or list(self.nodes):
            if not self.nodes[i].alive():
                continue
            s = self.try_status(i)
            if s and s["state"] == "leader" and (best is None or s["term"] > best[1]):
                best = (i, s["term"])
        return best[0] if best else None

    def wait_leader(self, timeout=20, among=None, exclude=()):
        end = time.time() + timeout
        while time.time() < end:
            lid = self.leader(among)
            if lid is not None and lid not in exclude:
                return lid
            time.sleep(0.1)
        raise AssertionError("no leader within %ss" % timeout)

    def wait(self, pred, timeout, what):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            try:
                last = pred()
                if last:
                    return last
            except Exception as e:  # noqa
                last = e
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))

    def http_nodes(self):
        return [nd.http for nd in self.nodes.values() if nd.alive()]


class Client:
    """Takes tickets: follows 307 redirects to the leader, retries 503s and
    dropped connections on other nodes.  Keeps one keep-alive connection."""

    def __init__(self, cluster, start=None, deadline=30.0):
        self.cluster = cluster
        self.addr = start
        self.conn = None
        self.deadline = deadline
        self.redirects = 0
        self.retries = 0

    def _connect(self, addr):
        if self.conn:
            self.conn.close()
        self.addr = addr
        self.conn = http.client.HTTPConnection(*split_addr(addr), timeout=15)

    def _pick(self):
        nodes = self.cluster.http_nodes()
        return random.choice(nodes) if nodes else self.addr

    def request(self, method, path, body=None, headers=None):
        end = time.time() + self.deadline
        if self.addr is None:
            self.addr = self._pick()
        if self.conn is None:
            self._connect(self.addr)
        while time.time() < end:
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                self.retries += 1
                time.sleep(0.05)
                self._connect(self._pick())
                continue
            if r.status in (301, 302, 307, 308):
                self.redirects += 1
                loc = urllib.parse.urlparse(r.getheader("Location"))
                self._connect(loc.netloc)
                path = loc.path or path
                continue
            if r.status == 503:
                self.retries += 1
                time.sleep(min(float(r.getheader("Retry-After") or 1), 0.2))
                self._connect(self._pick())
                continue
            return r.status, data
        raise AssertionError("%s %s: no answer in %ss" % (method, path, self.deadline))

    def ticket(self):
        st, data = self.request("POST", "/ticket")
        if st != 200:
            raise AssertionError("POST /ticket: HTTP %d %r" % (st, data))
        return json.loads(data)["ticket"]

    def close(self):
        if self.conn:
            self.conn.close()


class Load:
    """n client threads taking tickets until stop() (or each has taken
    `count`).  Records every ticket received with its latency."""

    def __init__(self, cluster, nthreads, count=None):
        self.cluster = cluster
        self.count = count
        self.tickets = []
        self.latencies = []
        self.errors = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(nthreads)]

    def _run(self):
        c = Client(self.cluster)
        mine, lat = [], []
        n = 0
        try:
            while not self.stopping.is_set() and (self.count is None or n < self.count):
                t0 = time.time()
                mine.append(c.ticket())
                lat.append(time.time() - t0)
                n += 1
        except Exception as e:
            with self.lock:
                self.errors.append(repr(e))
        finally:
            c.close()
            with self.lock:
                self.tickets += mine
                self.latencies += lat

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self, timeout=60):
        self.stopping.set()
        return self.join(timeout)

    def join(self, timeout=120):
        end = time.time() + timeout
        for t in self.threads:
            t.join(max(0.1, end - time.time()))
        return self


def free_udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


# helpers the test modules share

def check_unique(tickets):
    dups = len(tickets) - len(set(tickets))
    assert dups == 0, "%d tickets issued twice" % dups


def cluster_counter(cl, nid):
    return cl.status(nid)["counter"]


def wait_caught_up(cl, nid, leader, timeout=30):
    """node nid has applied everything the leader had committed when we asked"""
    target = cl.status(leader)["commit_index"]

    def ok():
        s = cl.status(nid)
        return s["applied_index"] >= target and s
    return cl.wait(ok, timeout, "node %d to apply up to %d" % (nid, target))
