#!/usr/bin/env python3
"""make demo: a 3-node ticketd cluster on 127.0.0.1.

Starts three nodes (Raft UDP 127.0.0.1:9001-9003, HTTP 127.0.0.1:8001-8003,
data under build/ticketd/demo), waits for a leader, takes tickets with curl
through a follower (first showing the 307 redirect, then following it with
curl -L), prints /status from every node, the member list and some metrics,
and stops the cluster with SIGTERM.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tkcluster import Cluster, Client  # noqa: E402


def sh(cmd):
    print("$ " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(out.stdout if out.stdout.endswith("\n") or not out.stdout else out.stdout + "\n")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticketd", required=True)
    ap.add_argument("--dir", default="build/ticketd/demo")
    ap.add_argument("--base", type=int, default=8000, help="HTTP ports base+1.., Raft ports base+1001..")
    a = ap.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    # Cluster puts Raft at base+i and HTTP at base+100+i; the demo wants
    # 9001../8001.., so build the node table by hand
    cl = Cluster(os.path.abspath(a.ticketd), a.dir, a.base + 1000)
    for i, nd in cl.nodes.items():
        nd.raft = "127.0.0.1:%d" % (a.base + 1000 + i)
        nd.http = "127.0.0.1:%d" % (a.base + i)
    have_curl = shutil.which("curl") is not None
    ok = False
    try:
        print("== starting 3 nodes (logs in %s/node*.log)" % a.dir)
        for i in cl.nodes:
            nd = cl.nodes[i]
            cl.start(i)
            print("   node %d: raft udp %s, http %s, dir %s" % (i, nd.raft, nd.http, nd.dir))
        lid = cl.wait_leader(20)
        s = cl.status(lid)
        print("== leader elected: node %d (term %d)" % (lid, s["term"]))
        f = [i for i in cl.nodes if i != lid][0]
        fh = cl.nodes[f].http
        print("== a ticket through follower %d: it redirects to the leader" % f)
        if have_curl:
            sh(["curl", "-s", "-i", "-X", "POST", "http://%s/ticket" % fh])
            print("== following the redirect (curl -L), three times")
            for _ in range(3):
                sh(["curl", "-s", "-L", "-X", "POST", "http://%s/ticket" % fh])
        else:
            c = Client(cl, start=fh)
            for _ in range(3):
                print("ticket %d" % c.ticket())
            c.close()
        time.sleep(0.3)  # let the followers learn the commit index
        print("== /status of every node")
        for i in cl.nodes:
            st = cl.status(i)
            print("-- node %d: %s, term %d, leader %d, commit %d, applied %d, counter %d" % (
                i, st["state"], st["term"], st["leader"], st["commit_index"], st["applied_index"], st["counter"]))
            print("{")
            print(",\n".join('  "%s": %s' % (k, json.dumps(v)) for k, v in st.items()))
            print("}")
        if have_curl:
            print("== the member list and a few metrics, from follower %d" % f)
            sh(["curl", "-s", "http://%s/peers" % fh])
            m = subprocess.run(
                ["curl", "-s", "http://%s/metrics" % fh], capture_output=True, text=True)
            print("$ curl -s http://%s/metrics | grep -E '^ticketd_(term|state|commit_index|messages_received_total)'" % fh)
            for ln in m.stdout.splitlines():
                if ln.startswith(("ticketd_term", "ticketd_state", "ticketd_commit_index",
                                  "ticketd_messages_received_total")):
                    print(ln)
        ok = True
    finally:
        print("== stopping the cluster (SIGTERM)")
        cl.stop_all(signal.SIGTERM)
        for i, nd in cl.nodes.items():
            if nd.proc is not None:
                print("   node %d exited with %d" % (i, nd.proc.returncode))
    print("== demo %s" % ("done" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
