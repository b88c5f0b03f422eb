#!/usr/bin/env python3
"""The UDP proxy of `make chaos`, one per node namespace (see chaos.py).

In namespace i every member's known Raft address 10.77.0.j:9000 is local (on
the namespace's loopback interface), so node i's datagrams to j arrive at the proxy socket bound
there; the proxy carries them over the namespaces' real link (10.77.1.i ->
10.77.1.j, where iptables rules cut, drop one way or lose) to the proxy of
namespace j, which hands them to node j from the socket bound to
10.77.0.i:9000: node j sees them coming from i's known address, as without
the proxy.  On the way out the proxy can duplicate, reorder (hold for a
random delay), replay old datagrams and inject copies stamped with another
cluster's id, as chaos.py's control file says (re-read every 100 ms).

usage: chaos_proxy.py --me I --nodes N --control FILE
"""
import argparse
import heapq
import json
import os
import random
import select
import socket
import struct
import time
import zlib

RAFT_PORT = 9000
LINK_PORT = 7000  # proxy i listens for datagrams from j at 10.77.1.i:LINK_PORT+j


def known(i):
    return "10.77.0.%d" % i


def link(i):
    return "10.77.1.%d" % i


def foreign(d):
    """the same datagram stamped with another cluster id (a valid CRC)"""
    if len(d) < 32:
        return d
    b = bytearray(d)
    b[8:16] = bytes(x ^ 0x5A for x in b[8:16])
    body_len = struct.unpack(">I", b[24:28])[0]
    crc = zlib.crc32(bytes(b[:28]) + bytes(b[32:32 + body_len]))
    b[28:32] = struct.pack(">I", crc)
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--me", type=int, required=True)
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--control", required=True)
    a = ap.parse_args()
    me = a.me
    peers = [j for j in range(1, a.nodes + 1) if j != me]
    out, inn = {}, {}  # out[j]: node me's datagrams to j arrive here; inn[j]: from proxy j over the link
    for j in peers:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((known(j), RAFT_PORT))
        out[j] = s
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t.bind((link(me), LINK_PORT + j))
        inn[j] = t
    by_fd = {s.fileno(): ("out", j) for j, s in out.items()}
    by_fd.update({t.fileno(): ("in", j) for j, t in inn.items()})
    cfg, cfg_at, cfg_mtime = {}, 0.0, None
    held = []  # (due, seq, j, datagram): reordered or delayed
    history = []  # (time, j, datagram) for replays
    rnd = random.Random(me * 7919 + os.getpid())
    seq = 0
    stats = {"forwarded": 0, "duplicated": 0, "delayed": 0, "replayed": 0, "foreign": 0}

    def send(j, d):
        try:
            inn[j].sendto(d, (link(j), LINK_PORT + me))
        except OSError:
            pass  # dropped by an iptables rule (EPERM): that is the point

    while True:
        now = time.time()
        if now - cfg_at > 0.1:
            cfg_at = now
            try:
                m = os.stat(a.control).st_mtime
                if m != cfg_mtime:
                    cfg, cfg_mtime = json.load(open(a.control)), m
                    if cfg.get("stop"):
                        json.dump(stats, open(a.control + ".stats.%d" % me, "w"))
                        return
            except (OSError, ValueError):
                pass
        while held and held[0][0] <= now:
            _, _, j, d = heapq.heappop(held)
            send(j, d)
        timeout = max(0.0, min(0.05, held[0][0] - now)) if held else 0.05
        ready, _, _ = select.select(list(out.values()) + list(inn.values()), [], [], timeout)
        for s in ready:
            kind, j = by_fd[s.fileno()]
            try:
                d = s.recv(65536)
            except OSError:
                continue
            if kind == "in":  # from proxy j: hand it to our node from j's known address
                try:
                    out[j].sendto(d, (known(me), RAFT_PORT))
                except OSError:
                    pass
                continue
            stats["forwarded"] += 1
            copies = 2 if rnd.random() < cfg.get("dup", 0) else 1
            stats["duplicated"] += copies - 1
            for _ in range(copies):
                if rnd.random() < cfg.get("reorder", 0):
                    seq += 1
                    stats["delayed"] += 1
                    heapq.heappush(held, (now + rnd.uniform(0.001, cfg.get("delay_s", 0.04)), seq, j, d))
                else:
                    send(j, d)
            if cfg.get("replay", 0):
                history.append((now, j, d))
                if len(history) > 4000:
                    del history[:1000]
                if rnd.random() < cfg["replay"]:
                    old = [h for h in history[:-1] if now - h[0] > 0.5]
                    if old:
                        _, oj, od = rnd.choice(old)
                        send(oj, od)
                        stats["replayed"] += 1
                if rnd.random() < cfg.get("foreign", 0):
                    send(j, foreign(d))
                    stats["foreign"] += 1


if __name__ == "__main__":
    main()
