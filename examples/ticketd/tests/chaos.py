#!/usr/bin/env python3
"""make chaos: ticketd under partitions, loss, duplication, reordering,
replay and kill -9, across network namespaces.

Three nodes, each in its own network namespace (ip netns) joined to a bridge
in the root namespace by a veth pair (10.77.1.i; the root side is
10.77.1.254, where the clients run).  Raft traffic goes through a UDP proxy
in each namespace (chaos_proxy.py), so that it crosses the veth links where
iptables rules cut it (both ways or one way) or lose it at random, and so
that the proxy can duplicate, reorder and replay it (this kernel has no
netem).  Clients take tickets over HTTP the whole time.

For each scenario it prints the tickets acknowledged during it, how many
acknowledged tickets were lost (above the counter the cluster converges to
at the end: the counter only grows, so a ticket at or below it was issued
and kept) or duplicated (acknowledged twice), and the recovery time: the
longest stretch without any acknowledged ticket from the fault's start
until the scenario ends.  0 lost and 0 duplicated are required, and the
one-way partition (the leader's inbound dropped) must end within six
election timeouts (check-quorum and pre-vote); the run fails otherwise.

usage: chaos.py --ticketd PATH [--seconds S] [--rounds R] [--clients N] [--seed N]
                [--only NAME] [--keep] [--require-netns]
--only runs the scenarios whose name contains NAME; --keep keeps the work
directory (node logs, proxy statistics).
Needs root (namespaces, iptables).  Where namespaces cannot be created it
says so and exits 0 (--require-netns: exits 1).
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tkcluster import ALL_PROCS, Client, _kill_all  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
N = 3
BR = "tkcbr0"
# fast timers; a client whose entry is stuck (on a leader cut off from the
# others) hears 503 after 1.5 s and tries another node
ELECTION_MS = 600
FAST = ["--election-timeout-ms", str(ELECTION_MS), "--heartbeat-ms", "60", "--tick-ms", "5", "--client-timeout-ms", "1500"]
# With check-quorum the leader that hears nobody steps down within two
# election timeouts; pre-vote and a vote among the others take up to two
# more, and clients retry: the one-way partition must end within six.
ONE_WAY_MAX_S = 6 * ELECTION_MS / 1000.0


def sh(*cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


def ns(i):
    return "tkc%d" % i


def in_ns(i, *cmd, check=True):
    return sh("ip", "netns", "exec", ns(i), *cmd, check=check)


class Net:
    """the namespaces, the bridge, the veth pairs and the iptables rules"""

    def __init__(self):
        self.iptables = "iptables"

    def teardown(self):
        for i in range(1, N + 1):
            sh("ip", "netns", "del", ns(i), check=False)
        sh("ip", "link", "del", BR, check=False)

    def setup(self):
        self.teardown()
        sh("ip", "link", "add", BR, "type", "bridge")
        sh("ip", "addr", "add", "10.77.1.254/24", "dev", BR)
        sh("ip", "link", "set", BR, "up")
        for i in range(1, N + 1):
            sh("ip", "netns", "add", ns(i))
            sh("ip", "link", "add", "tkcv%d" % i, "type", "veth", "peer", "name", "tkce%d" % i)
            sh("ip", "link", "set", "tkce%d" % i, "netns", ns(i))
            sh("ip", "link", "set", "tkcv%d" % i, "master", BR, "up")
            in_ns(i, "ip", "link", "set", "lo", "up")
            in_ns(i, "ip", "addr", "add", "10.77.1.%d/24" % i, "dev", "tkce%d" % i)
            in_ns(i, "ip", "link", "set", "tkce%d" % i, "up")
            for j in range(1, N + 1):  # every member's known Raft address is local here (the proxy's)
                in_ns(i, "ip", "addr", "add", "10.77.0.%d/32" % j, "dev", "lo")
        if in_ns(1, self.iptables, "-L", "-n", check=False).returncode != 0:
            self.iptables = "iptables-legacy"
            in_ns(1, self.iptables, "-L", "-n")

    def drop_from(self, i, j):
        """node i no longer receives j's Raft traffic"""
        in_ns(i, self.iptables, "-A", "INPUT", "-p", "udp", "-s", "10.77.1.%d" % j, "-j", "DROP")

    def lose(self, i, p):
        in_ns(i, self.iptables, "-A", "INPUT", "-p", "udp", "-m", "statistic", "--mode", "random",
              "--probability", "%.2f" % p, "-j", "DROP")

    def heal(self):
        for i in range(1, N + 1):
            in_ns(i, self.iptables, "-F", "INPUT")


class Cluster:
    def __init__(self, ticketd, work, net):
        self.ticketd, self.work, self.net = ticketd, work, net
        self.cid = sh(ticketd, "--new-cluster-id").stdout.strip()
        self.procs, self.proxies, self.started = {}, {}, set()
        self.control = os.path.join(work, "proxy.json")
        self.set_proxy({})

    def http(self, i):
        return "10.77.1.%d:8000" % i

    def spec(self, i):
        return "%d@10.77.0.%d:9000@%s" % (i, i, self.http(i))

    def start(self, i):
        args = ["ip", "netns", "exec", ns(i), self.ticketd, "--id", str(i), "--raft", "10.77.0.%d:9000" % i,
                "--http", self.http(i), "--dir", os.path.join(self.work, "node%d" % i)] + FAST
        if i not in self.started:
            args += ["--init", "--cluster-id", self.cid] + sum((["--peer", self.spec(j)] for j in range(1, N + 1)), [])
        self.started.add(i)
        log = open(os.path.join(self.work, "node%d.log" % i), "ab")
        self.procs[i] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        ALL_PROCS.append(self.procs[i])

    def start_proxies(self):
        for i in range(1, N + 1):
            p = subprocess.Popen(["ip", "netns", "exec", ns(i), sys.executable, os.path.join(HERE, "chaos_proxy.py"),
                                  "--me", str(i), "--nodes", str(N), "--control", self.control])
            self.proxies[i] = p
            ALL_PROCS.append(p)

    def set_proxy(self, cfg):
        tmp = self.control + ".tmp"
        json.dump(cfg, open(tmp, "w"))
        os.replace(tmp, self.control)
        time.sleep(0.25)

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs.get(i)
        if p and p.poll() is None:
            p.send_signal(sig)
            p.wait(10)

    def status(self, i, timeout=1.5):
        import http.client
        c = http.client.HTTPConnection("10.77.1.%d" % i, 8000, timeout=timeout)
        try:
            c.request("GET", "/status")
            return json.loads(c.getresponse().read())
        finally:
            c.close()

    def leader(self):
        best = None
        for i in range(1, N + 1):
            try:
                s = self.status(i)
            except Exception:
                continue
            if s["state"] == "leader" and (best is None or s["term"] > best[1]):
                best = (i, s["term"])
        return best[0] if best else None

    def wait_leader(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            lid = self.leader()
            if lid:
                return lid
            time.sleep(0.1)
        raise AssertionError("no leader within %ss" % timeout)

    def http_nodes(self):
        return [self.http(i) for i in range(1, N + 1) if self.procs.get(i) and self.procs[i].poll() is None]


class Load:
    """client threads in the root namespace; every acknowledged ticket with its time"""

    def __init__(self, cl, n):
        self.cl, self.acks, self.lock, self.stop_ev = cl, [], threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(n)]

    def run(self):
        c = Client(self.cl, deadline=2.0)
        while not self.stop_ev.is_set():
            try:
                t = c.ticket()
            except AssertionError:
                continue
            with self.lock:
                self.acks.append((time.time(), t))
        c.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(30)


def scenario_list(rnd):
    """(name, fault(cluster, net) -> heal function)"""
    def partition_leader(cl, net):
        lid = cl.wait_leader()
        for j in range(1, N + 1):
            if j != lid:
                net.drop_from(lid, j)
                net.drop_from(j, lid)
        return net.heal

    def one_way(cl, net):
        lid = cl.wait_leader()
        for j in range(1, N + 1):
            if j != lid:
                net.drop_from(lid, j)  # the leader hears nobody; they still hear it
        return net.heal

    def minority(cl, net):
        lid = cl.wait_leader()
        f = rnd.choice([j for j in range(1, N + 1) if j != lid])
        for j in range(1, N + 1):
            if j != f:
                net.drop_from(f, j)
                net.drop_from(j, f)
        return net.heal

    def loss(cl, net):
        for i in range(1, N + 1):
            net.lose(i, 0.3)
        return net.heal

    def dup_reorder(cl, net):
        cl.set_proxy({"dup": 0.3, "reorder": 0.5, "delay_s": 0.04})
        return lambda: cl.set_proxy({})

    def replay(cl, net):
        cl.set_proxy({"replay": 0.2, "foreign": 0.05, "dup": 0.1})
        return lambda: cl.set_proxy({})

    def kill_leader(cl, net):
        lid = cl.wait_leader()
        cl.kill(lid)
        time.sleep(1.0)
        cl.start(lid)
        return lambda: None

    def kill_all(cl, net):
        for i in range(1, N + 1):
            cl.kill(i)
        time.sleep(0.5)
        for i in range(1, N + 1):
            cl.start(i)
        return lambda: None

    return [("partition: leader cut off", partition_leader), ("one-way: leader's inbound dropped", one_way),
            ("partition: one follower cut off", minority), ("loss: 30% of datagrams", loss),
            ("duplication 30% + reordering 50%", dup_reorder), ("replay: stale and foreign datagrams", replay),
            ("kill -9 of the leader", kill_leader), ("kill -9 of every node", kill_all)]


def drop_counts(cl):
    """datagrams dropped so far, by node and reason"""
    out = {}
    for i in range(1, N + 1):
        try:
            out[i] = cl.status(i)["counters"]["dropped"]
        except Exception:
            out[i] = {}
    return out


def drop_delta(before, after):
    """drops by reason between two drop_counts (a restarted node counts from 0)"""
    total = {}
    for i, d in after.items():
        for k, v in d.items():
            if k == "total":
                continue
            b = before.get(i, {}).get(k, 0)
            total[k] = total.get(k, 0) + (v - b if v >= b else v)
    return {k: v for k, v in total.items() if v}


def converge(cl, timeout=60):
    """the counter every node agrees on once the cluster is whole again: one
    more ticket (it commits what is pending), then every node applies up to
    the leader's commit index"""
    end = time.time() + timeout
    last = None
    lid = None
    while time.time() < end and lid is None:
        try:
            lid = cl.wait_leader(10)
            Client(cl, start=cl.http(lid), deadline=10).ticket()
            target = cl.status(lid)["commit_index"]
        except Exception as e:  # noqa
            last, lid = e, None
    while time.time() < end:
        try:
            st = [cl.status(i) for i in range(1, N + 1)]
            last = [(s["applied_index"], s["counter"]) for s in st]
            if all(s["applied_index"] >= target for s in st) and len({s["counter"] for s in st}) == 1:
                return st[0]["counter"]
        except Exception as e:  # noqa
            last = e
        time.sleep(0.2)
    raise AssertionError("nodes did not converge: %r" % (last,))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticketd", required=True)
    ap.add_argument("--seconds", type=float, default=20, help="length of each fault")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("TICKETD_CHAOS_SEED", "4242")))
    ap.add_argument("--require-netns", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--only", help="run only the scenarios whose name contains this")
    a = ap.parse_args()
    ticketd = os.path.abspath(a.ticketd)
    net = Net()
    try:
        net.setup()
    except (RuntimeError, FileNotFoundError) as e:
        net.teardown()
        print("chaos: network namespaces are not available here (%s): skipped" % e)
        return 1 if a.require_netns else 0
    work = tempfile.mkdtemp(prefix="ticketd-chaos-")
    rnd = random.Random(a.seed)
    rows, failed = [], False
    all_acks = []
    try:
        cl = Cluster(ticketd, work, net)
        cl.start_proxies()
        for i in range(1, N + 1):
            cl.start(i)
        cl.wait_leader()
        load = Load(cl, a.clients).start()
        time.sleep(2.0)
        for rnd_i in range(a.rounds):
            for name, fault in scenario_list(rnd):
                if a.only and a.only not in name:
                    continue
                d0 = drop_counts(cl)
                t0 = time.time()
                heal = fault(cl, net)
                time.sleep(a.seconds)
                heal()
                time.sleep(max(3.0, a.seconds / 4))
                t1 = time.time()
                with load.lock:
                    window = [x for x in load.acks if t0 <= x[0] <= t1]
                stamps = [t0] + [x[0] for x in window] + [t1]
                gap = max(b - a_ for a_, b in zip(stamps, stamps[1:]))
                drops = drop_delta(d0, drop_counts(cl))
                rows.append([name, len(window), gap, [x[1] for x in window], drops])
                print("   %-40s %6d acknowledged, longest gap %.1fs, dropped %s" % (name, len(window), gap, drops),
                      flush=True)
        load.stop()
        all_acks = [t for _, t in load.acks]
        final = converge(cl)
        cl.set_proxy({"stop": True})
        seen = set()
        print("\nscenario                                  acknowledged  lost  duplicated  recovery")
        for name, n, gap, tickets, _ in rows:
            lost = sum(1 for t in tickets if t > final)
            dup = sum(1 for t in tickets if t in seen)
            seen.update(tickets)
            failed |= lost > 0 or dup > 0
            slow = name.startswith("one-way") and gap > ONE_WAY_MAX_S
            failed |= slow
            print("%-42s %12d %5d %11d %8.1fs%s" % (name, n, lost, dup, gap, (
                "  FAILED: more than %.1fs (6 election timeouts)" % ONE_WAY_MAX_S) if slow else ""))
        total_dup = len(all_acks) - len(set(all_acks))
        total_lost = sum(1 for t in all_acks if t > final)
        print("all: %d tickets acknowledged, %d lost, %d duplicated; final counter %d (seed %d, %gs faults, %d round%s)"
              % (len(all_acks), total_lost, total_dup, final, a.seed, a.seconds, a.rounds, "s" * (a.rounds > 1)))
        for name, _, _, _, drops in rows:
            if drops:
                print("   dropped during %s: %s" % (name, drops))
        failed |= total_lost > 0 or total_dup > 0
    except Exception as e:
        print("chaos: FAILED: %r" % e)
        failed = True
    finally:
        _kill_all()
        net.teardown()
        if failed or a.keep:
            print("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("chaos: %s" % ("FAILED" if failed else "passed (0 lost, 0 duplicated)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
