#!/usr/bin/env python3
"""make bench-ticketd: ticket throughput and latency on a 3-node loopback cluster.

For each mode (--sync[+--flush]) and client count, runs a fresh 3-node
cluster --runs times; in each run N keep-alive HTTP connections send
`POST /ticket` to the leader for --seconds (wrk, one connection per client,
a C load generator, so that the clients do not eat the CPU the servers
need; without wrk, Python clients) and the run reports tickets/s, p50/p99
latency, tickets per log entry, and the CPU seconds each process used.
Every figure is printed as the median over the runs with the least and
greatest.

Beside the lone client's rate it prints the bound of issue 13, measured in
the same run: 1 / (two fdatasyncs + one loopback UDP round trip), where the
fdatasync is a 4 KiB pwrite + fdatasync in the data directory (an LMDB
commit costs two: data pages, then the meta page) and the round trip is a
UDP datagram to an echo process and back (Python on both ends, so it is
an upper bound on the round trip; the bound is then a lower bound).

  bench.py --ticketd PATH [--clients 1,16,64] [--seconds 5] [--runs 3]
           [--modes parallel+commit,callback+commit,parallel,parallel+commit@4]
           (MODE = SYNC[+FLUSH][@INFLIGHT]: --sync, --flush, --inflight)
           [--write BENCHMARKS.md]   (replaces the '## ticketd' section)
           [--perf]   (a perf profile of the leader at the largest client count)
           [--syscalls]   (perf trace -s of the three nodes in the first lone-client run)
"""
import argparse
import multiprocessing as mp
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tkcluster import Client, Cluster, _kill_all  # noqa: E402

WRK_SCRIPT = 'wrk.method = "POST"\n'


def fsync_seconds(d, n=400):
    """median seconds of one 4 KiB pwrite + fdatasync in directory d"""
    path = os.path.join(d, "fsync.probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    buf = b"x" * 4096
    times = []
    try:
        for i in range(n):
            t0 = time.perf_counter()
            os.pwrite(fd, buf, (i % 64) * 4096)
            os.fdatasync(fd)
            times.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    return statistics.median(times)


def _echo(port_q):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port_q.put(s.getsockname()[1])
    while True:
        data, addr = s.recvfrom(2048)
        if data == b"stop":
            return
        s.sendto(data, addr)


def udp_rtt_seconds(n=2000):
    """median seconds of a 100-byte UDP datagram to an echo process on 127.0.0.1 and back"""
    q = mp.Queue()
    p = mp.Process(target=_echo, args=(q,))
    p.start()
    port = q.get()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    msg = b"x" * 100
    times = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            s.sendto(msg, ("127.0.0.1", port))
            s.recvfrom(2048)
            times.append(time.perf_counter() - t0)
    finally:
        s.sendto(b"stop", ("127.0.0.1", port))
        p.join(5)
        s.close()
    return statistics.median(times)


def cpu_seconds(pid):
    """user + system CPU seconds of a process so far"""
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def _unit(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else 0.0


def run_wrk(addr, clients, seconds, script):
    """(tickets, non-2xx, p50 ms, p99 ms, wrk CPU s) from wrk on http://addr/ticket"""
    threads = min(clients, 2)
    t_cpu = os.times()
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % clients, "-d%gs" % seconds, "--latency", "--timeout",
                          "10s", "-s", script, "http://%s/ticket" % addr], capture_output=True, text=True)
    t_cpu2 = os.times()
    text = out.stdout
    reqs = int(re.search(r"(\d+) requests in", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    bad = int(bad.group(1)) if bad else 0
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", text, re.M))
    return (reqs - bad, bad, _unit(lat.get("50", "0ms")), _unit(lat.get("99", "0ms")),
            (t_cpu2.children_user + t_cpu2.children_system) - (t_cpu.children_user + t_cpu.children_system))


def _py_worker(addr, nthreads, seconds, q):
    import threading

    class One:
        def http_nodes(self):
            return [addr]
    lat, lock = [], threading.Lock()
    end = time.time() + seconds

    def run():
        c = Client(One(), start=addr, deadline=10)
        mine = []
        while time.time() < end:
            t0 = time.perf_counter()
            c.ticket()
            mine.append(time.perf_counter() - t0)
        c.close()
        with lock:
            lat.extend(mine)
    ts = [threading.Thread(target=run) for _ in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    q.put(lat)


def run_python(addr, clients, seconds):
    """the same as run_wrk with Python clients (when wrk is missing)"""
    nproc = min(clients, 4)
    per = [clients // nproc + (1 if i < clients % nproc else 0) for i in range(nproc)]
    q = mp.Queue()
    ps = [mp.Process(target=_py_worker, args=(addr, n, seconds, q)) for n in per if n]
    for p in ps:
        p.start()
    lat = []
    for _ in ps:
        lat += q.get()
    cpu = 0.0
    for p in ps:
        p.join()
    lat.sort()
    n = len(lat)
    return n, 0, lat[n // 2] * 1000 if n else 0, lat[min(n - 1, int(n * 0.99))] * 1000 if n else 0, cpu


def perf_start(pid, path):
    """perf record (software cpu-clock sampling, no hardware counters needed) of process pid"""
    return subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2999", "-p", str(pid), "-o", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def perf_stop(proc, path):
    """{object: share of the samples}, [(share, symbol, object)] of the 12 costliest symbols"""
    proc.send_signal(2)
    proc.wait(30)

    def report(keys):
        out = subprocess.run(["perf", "report", "-i", path, "--stdio", "--no-children", "--sort", keys],
                             capture_output=True, text=True).stdout
        return [ln.split(None, 1 + keys.count(",")) for ln in out.splitlines()
                if ln.strip() and not ln.startswith("#") and ln.strip()[0].isdigit()]
    by_dso = {}
    for f in report("dso"):
        by_dso[os.path.basename(f[1].strip())] = float(f[0].rstrip("%")) / 100
    syms = [(float(f[0].rstrip("%")) / 100, f[2].strip(), os.path.basename(f[1].strip())) for f in report("dso,sym")[:12]]
    return by_dso, syms


def syscalls_start(pids, path):
    """perf trace -s (syscall counts and times) of the processes pids"""
    return subprocess.Popen(["perf", "trace", "-s", "-p", ",".join(str(p) for p in pids), "-o", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def syscalls_stop(proc, path, names):
    """{pid: {syscall: (calls, total ms, avg ms, max ms)}} of perf trace -s's summary"""
    proc.send_signal(2)
    proc.wait(30)
    out, pid = {}, None
    for ln in open(path, errors="replace"):
        m = re.match(r"\s*\S+ \((\d+)\), \d+ events", ln)
        if m:
            pid = int(m.group(1))
            out[pid] = {}
            continue
        f = ln.split()
        if pid is not None and len(f) >= 8 and f[0] in names and f[1].isdigit():
            out[pid][f[0]] = (int(f[1]), float(f[3]), float(f[5]), float(f[6]))
    return out


def run_one(ticketd, work, base, mode, clients, seconds, script, perf_out=None, trace_out=None):
    sync_flush, _, inflight = mode.partition("@")
    sync, _, flush = sync_flush.partition("+")
    extra = ["--sync", sync, "--flush", flush or "tick", "--snapshot-every", "5000"]
    if inflight:
        extra += ["--inflight", inflight]
    cl = Cluster(ticketd, os.path.join(work, "%s-%d-%d" % (mode.replace("@", "-"), clients, base)), base, extra=extra)
    try:
        cl.start_all()
        lid = cl.wait_leader()
        c = Client(cl, start=cl.nodes[lid].http)
        for _ in range(20):
            c.ticket()
        c.close()
        lid = cl.wait_leader()
        addr = cl.nodes[lid].http
        before = cl.status(lid)
        cpu0 = {i: cpu_seconds(nd.proc.pid) for i, nd in cl.nodes.items()}
        perf = perf_start(cl.nodes[lid].proc.pid, perf_out) if perf_out else None
        pids = [cl.nodes[lid].proc.pid] + [nd.proc.pid for i, nd in cl.nodes.items() if i != lid]
        trace = syscalls_start(pids, trace_out) if trace_out else None
        if trace:
            time.sleep(1.0)  # perf trace attaches
        t0 = time.time()
        if script:
            n, bad, p50, p99, client_cpu = run_wrk(addr, clients, seconds, script)
        else:
            n, bad, p50, p99, client_cpu = run_python(addr, clients, seconds)
        dt = time.time() - t0
        profile = perf_stop(perf, perf_out) if perf else None
        syscalls = None
        if trace:
            sc = syscalls_stop(trace, trace_out, ("fdatasync", "pwrite64", "writev", "sendmsg", "epoll_wait"))
            syscalls = {"leader": sc.get(pids[0], {}), "followers": [sc.get(x, {}) for x in pids[1:]], "tickets": n}
        cpu = {i: cpu_seconds(nd.proc.pid) - cpu0[i] for i, nd in cl.nodes.items()}
        after = cl.status(lid)
        assert after["state"] == "leader", "leadership moved during the run"
        batches = after["counters"]["batches_appended"] - before["counters"]["batches_appended"]
        return {"rate": n / dt, "p50": p50, "p99": p99, "bad": bad, "per_entry": n / batches if batches else 0,
                "leader_cpu": cpu[lid] / dt, "follower_cpu": sum(v for i, v in cpu.items() if i != lid) / dt,
                "client_cpu": client_cpu / dt, "profile": profile, "syscalls": syscalls}
    finally:
        cl.stop_all()


def med(xs):
    """'median (least-greatest)'"""
    return statistics.median(xs), min(xs), max(xs)


def fmt(t, spec="%.0f"):
    return (spec + " (" + spec + "–" + spec + ")") % t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticketd", required=True)
    ap.add_argument("--clients", default="1,16,64")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--modes", default="parallel+commit,callback+commit,parallel")
    ap.add_argument("--base", type=int, default=31000)
    ap.add_argument("--python-clients", action="store_true", help="use Python clients even if wrk is there")
    ap.add_argument("--write", help="update the '## ticketd' section of this markdown file")
    ap.add_argument("--perf", action="store_true",
                    help="profile the leader (perf record, cpu-clock) in the first run of the first mode at the "
                         "largest client count: CPU share by object and the costliest symbols")
    ap.add_argument("--syscalls", action="store_true",
                    help="trace the three nodes' syscalls (perf trace -s) in the first lone-client run of the "
                         "first mode: fdatasync and pwrite64 per ticket (the log's append; LMDB's pages only when meta records change)")
    a = ap.parse_args()
    ticketd = os.path.abspath(a.ticketd)
    work = tempfile.mkdtemp(prefix="ticketd-bench-", dir=os.path.abspath("build") if os.path.isdir("build") else None)
    script = None
    if shutil.which("wrk") and not a.python_clients:
        script = os.path.join(work, "post.lua")
        open(script, "w").write(WRK_SCRIPT)
    client_kind = "wrk" if script else "Python http.client"
    rows, bounds = [], []
    profile = None
    syscalls = None
    want_perf = a.perf and shutil.which("perf")
    want_trace = a.syscalls and shutil.which("perf")
    if a.perf and not want_perf:
        print("bench: perf not found, no profile", flush=True)
    try:
        base = a.base
        for mode in a.modes.split(","):
            for n in [int(x) for x in a.clients.split(",")]:
                runs = []
                for _ in range(a.runs):
                    if n == 1 and mode == a.modes.split(",")[0]:
                        fs, rtt = fsync_seconds(work), udp_rtt_seconds()
                        bounds.append((fs, rtt, 1.0 / (2 * fs + rtt)))
                    top = n == max(int(x) for x in a.clients.split(",")) and mode == a.modes.split(",")[0]
                    perf_out = os.path.join(work, "perf.data") if want_perf and top and not runs else None
                    lone = n == 1 and mode == a.modes.split(",")[0]
                    trace_out = os.path.join(work, "trace.txt") if want_trace and lone and not runs else None
                    runs.append(run_one(ticketd, work, base, mode, n, a.seconds, script, perf_out, trace_out))
                    if runs[-1]["profile"]:
                        profile = (mode, n, runs[-1]["profile"], runs[-1]["leader_cpu"])
                    if runs[-1]["syscalls"]:
                        syscalls = (mode, runs[-1]["syscalls"], runs[-1]["rate"])
                    del runs[-1]["profile"], runs[-1]["syscalls"]
                    base = a.base + (base - a.base + 200) % 1000
                r = {k: med([x[k] for x in runs]) for k in runs[0]}
                r.update(mode=mode, clients=n)
                rows.append(r)
                line = "%-16s clients=%3d: %s tickets/s  p50 %s ms  p99 %s ms  %s tickets/entry  CPU: leader %s, " \
                       "followers %s, clients %s cores" % (
                           mode, n, fmt(r["rate"]), fmt(r["p50"], "%.2f"), fmt(r["p99"], "%.2f"),
                           fmt(r["per_entry"], "%.1f"), fmt(r["leader_cpu"], "%.2f"),
                           fmt(r["follower_cpu"], "%.2f"), fmt(r["client_cpu"], "%.2f"))
                if n == 1 and bounds and mode == a.modes.split(",")[0]:
                    b = med([x[2] for x in bounds])
                    line += "\n%-16s bound 1/(2 fdatasync + UDP RTT): %s tickets/s (fdatasync %s us, RTT %s us); " \
                            "lone client at %.0f%% of it" % (
                                "", fmt(b), fmt(med([x[0] * 1e6 for x in bounds])),
                                fmt(med([x[1] * 1e6 for x in bounds])), 100 * r["rate"][0] / b[0])
                print(line, flush=True)
        if profile:
            print(profile_text(profile), flush=True)
        if syscalls:
            print(syscalls_text(syscalls), flush=True)
    finally:
        _kill_all()
        shutil.rmtree(work, ignore_errors=True)
    if a.write:
        write_section(a, rows, bounds, client_kind, profile, syscalls)
    return 0


def syscalls_text(syscalls):
    """Markdown: where a lone client's ticket waits (perf trace -s of the three nodes)"""
    mode, sc, rate = syscalls
    n = max(sc["tickets"], 1)

    def node(calls):
        parts = []
        for name in ("fdatasync", "pwrite64", "writev"):
            if name in calls:
                c, total, avg, mx = calls[name]
                parts.append("%s %.2f calls and %.3f ms a ticket (%.3f ms each on average, at most %.1f ms)" % (
                    name, c / n, total / n, avg, mx))
        return "; ".join(parts) or "no writes"
    return ("Where a lone client's ticket waits (`--syscalls`: `perf trace -s` of the three nodes during the first "
            "%s lone-client run, %d tickets at %.0f tickets/s, tracing included): leader: %s. Followers: %s." % (
                mode, n, rate, node(sc["leader"]), " / ".join(node(f) for f in sc["followers"])))


def profile_text(profile):
    """Markdown: where the leader's CPU went in the profiled run"""
    mode, n, (by_dso, syms), cpu = profile
    objs = sorted(by_dso.items(), key=lambda kv: -kv[1])
    lines = ["Where the leader's CPU goes (`--perf`: `perf record -e cpu-clock` of the leader during the first "
             "%s run with %d clients, which used %.2f cores): by object, %s." % (
                 mode, n, cpu, ", ".join("%s %.0f%%" % (o, 100 * v) for o, v in objs if v >= 0.005)),
             "Costliest symbols: %s." % ", ".join("`%s` (%s) %.1f%%" % (sym, o, 100 * v) for v, sym, o in syms)]
    return "\n\n".join(lines)


def write_section(a, rows, bounds, client_kind, profile=None, syscalls=None):
    b = med([x[2] for x in bounds])
    cmd = "make bench-ticketd BENCH_ARGS='--runs %d --seconds %g --modes %s%s%s --write BENCHMARKS.md'" % (
        a.runs, a.seconds, a.modes, " --perf" if a.perf else "", " --syscalls" if a.syscalls else "")
    lines = [
        "## ticketd",
        "",
        "`make bench-ticketd` (examples/ticketd/tests/bench.py): a 3-node ticketd cluster on 127.0.0.1, fsync on, "
        "N keep-alive HTTP connections (%s) sending `POST /ticket` to the leader for %g s; each row is the median "
        "of %d runs (a fresh cluster each) with the least and greatest in brackets. Machine: %s, %d cores shared "
        "by the 3 nodes and the clients, load average %.1f at the end; %s." % (
            client_kind, a.seconds, a.runs, platform.machine(), os.cpu_count() or 0, os.getloadavg()[0],
            time.strftime("%Y-%m-%d")),
        "",
        "Bound for a lone client (issue 13), measured in the same run before each lone-client run: "
        "1 / (2 fdatasync + UDP round trip) = **%s tickets/s**; fdatasync %s µs (4 KiB pwrite + fdatasync in "
        "the data directory), loopback UDP round trip %s µs (Python echo). Command: `%s`." % (
            fmt(b), fmt(med([x[0] * 1e6 for x in bounds])), fmt(med([x[1] * 1e6 for x in bounds])), cmd),
        "",
        "| mode (--sync+--flush[@--inflight]) | clients | tickets/s | of the bound | p50 ms | p99 ms | tickets per entry "
        "| leader CPU (cores) | followers' CPU | clients' CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        of = "%.0f%%" % (100 * r["rate"][0] / b[0]) if r["clients"] == 1 else ""
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["mode"], r["clients"], fmt(r["rate"]), of, fmt(r["p50"], "%.2f"), fmt(r["p99"], "%.2f"),
            fmt(r["per_entry"], "%.1f"), fmt(r["leader_cpu"], "%.2f"), fmt(r["follower_cpu"], "%.2f"),
            fmt(r["client_cpu"], "%.2f")))
    lines.append("")
    if profile:
        lines += [profile_text(profile), ""]
    if syscalls:
        lines += [syscalls_text(syscalls), ""]
    text = open(a.write).read() if os.path.exists(a.write) else "# Benchmarks\n\n"
    start = text.find("## ticketd")
    end = text.find("<!-- end of the generated ticketd table -->", start)
    section = "\n".join(lines) + "<!-- end of the generated ticketd table -->"
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    elif end < 0:
        nxt = text.find("\n## ", start + 1)
        text = text[:start] + section + ("\n\n" + text[nxt + 1:] if nxt >= 0 else "\n")
    else:
        text = text[:start] + section + text[end + len("<!-- end of the generated ticketd table -->"):]
    open(a.write, "w").write(text)
    print("updated the '## ticketd' table of %s" % a.write)


if __name__ == "__main__":
    sys.exit(main())
