"""ticketd's storage under crashes and damage: the write-ahead log's segment
files (a damaged record, a torn last commit, a crash between a snapshot and
the log clear, SIGKILL under load) and single-page damage to data.mdb and to
log segments.  Real processes and files.

Run by test_ticketd.py, which sets CTX.
"""
import os
import random
import shutil
import signal
import struct
import threading
import time
import zlib

from hardening_tests import run
from tkcluster import Client, Cluster, Load, check_unique, cluster_counter, wait_caught_up

CTX = None  # set by test_ticketd.py: .ticketd, .work, .log, .fast


# the log's segment files (wal.h): a 32-byte header, then records
WAL_REC = struct.Struct(">IIBBHIQQQI")  # magic crc kind flags etype len commit index term id
WAL_MAGIC = 0x544B5752


def wal_segments(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith("wal-") and f.endswith(".seg"))


def wal_records(path):
    """(contents, the records up to the first that does not verify)"""
    data = bytearray(open(path, "rb").read())
    off, recs = 32, []
    while off + WAL_REC.size <= len(data):
        magic, crc, kind, flags, etype, ln, seq, idx, term, eid = WAL_REC.unpack_from(data, off)
        end = off + WAL_REC.size + ln
        if magic != WAL_MAGIC or end > len(data) or zlib.crc32(bytes(data[off + 8:end])) != crc:
            break
        recs.append(dict(off=off, end=end, kind=kind, flags=flags, etype=etype, seq=seq, idx=idx, term=term))
        off = end
    return data, recs


def wal_last_segment(d):
    """the last segment holding records: (path, contents, records)"""
    for path in reversed(wal_segments(d)):
        data, recs = wal_records(path)
        if recs:
            return path, data, recs
    raise AssertionError("no log records in %s" % d)


def test_corrupt_record_detected():
    """a damaged log record followed by later commits is refused at start-up (exit 3, a message naming the segment file), never applied"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "t6"), 26000, n=1, extra=CTX.fast)
    try:
        cl.start(1)
        cl.wait_leader()
        c = Client(cl)
        for _ in range(20):
            c.ticket()
        c.close()
        cl.stop_all()
        path, data, recs = wal_last_segment(cl.nodes[1].dir)
        tickets = [r for r in recs if r["kind"] == 1 and r["etype"] == 0]
        assert len(tickets) >= 20, len(tickets)
        r = tickets[len(tickets) // 2]  # each ticket was its own commit: later commits follow it
        data[r["off"] + 39] ^= 0x40  # its term
        open(path, "wb").write(bytes(data))
        CTX.log("flipped a bit in the term of log entry %d in %s" % (r["idx"], os.path.basename(path)))
        out = run(["--check", "--dir", cl.nodes[1].dir])
        CTX.log("--check: rc %d: %s" % (out.returncode, out.stderr.strip()))
        assert out.returncode == 3 and "corrupt record" in out.stderr and os.path.basename(path) in out.stderr, out.stderr
        nd = cl.start(1)
        rc = nd.proc.wait(10)
        text = open(nd.log).read()
        assert rc == 3 and "corrupt record" in text and os.path.basename(path) in text, (rc, text[-500:])
    finally:
        cl.stop_all()


def test_torn_wal_tail():
    """a torn last commit (a crash in the middle of its write) and garbage after it are dropped at start-up; the follower catches up"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "t6t"), 26200, extra=CTX.fast + ["--wal-segment-kib", "64"])
    try:
        cl.start_all()
        lid = cl.wait_leader()
        c = Client(cl)
        first = [c.ticket() for _ in range(30)]
        f = [i for i in cl.nodes if i != lid][0]
        cl.kill(f, signal.SIGKILL)
        path, data, recs = wal_last_segment(cl.nodes[f].dir)
        last = recs[-1]
        # a crash in the middle of the next commit's write: its first record
        # whole (but not marked as its commit's last), the second cut in
        # half, then stale bytes with a record magic
        rec = bytearray(data[last["off"]:last["end"]])
        rec[9] = 0
        struct.pack_into(">Q", rec, 16, last["seq"] + 1)
        struct.pack_into(">Q", rec, 24, last["idx"] + 1)
        struct.pack_into(">I", rec, 4, zlib.crc32(bytes(rec[8:])))
        rec2 = bytearray(rec)
        rec2[9] = 1
        struct.pack_into(">Q", rec2, 24, last["idx"] + 2)
        struct.pack_into(">I", rec2, 4, zlib.crc32(bytes(rec2[8:])))
        torn = bytes(rec) + bytes(rec2[:len(rec2) // 2])
        data[last["end"]:last["end"] + len(torn)] = torn
        data[last["end"] + 300:last["end"] + 344] = b"TKWR" + bytes(random.getrandbits(8) for _ in range(40))
        open(path, "wb").write(bytes(data))
        CTX.log("node %d: a torn commit %d (entries %d, %d) after log entry %d" % (
            f, last["seq"] + 1, last["idx"] + 1, last["idx"] + 2, last["idx"]))
        out = run(["--check", "--dir", cl.nodes[f].dir])
        CTX.log("--check: rc %d: %s" % (out.returncode, (out.stdout + out.stderr).strip()))
        assert out.returncode == 0, out.stderr
        more = [c.ticket() for _ in range(30)]
        cl.start(f)
        lid = cl.wait_leader()
        more += [c.ticket() for _ in range(30)]
        s = wait_caught_up(cl, f, lid)
        assert s["counter"] == cluster_counter(cl, lid), (s["counter"], cluster_counter(cl, lid))
        check_unique(first + more)
        rec_lines = [ln for ln in open(cl.nodes[f].log) if "recovered:" in ln]
        assert " log 1..%d " % last["idx"] in rec_lines[-1], rec_lines[-1]  # every whole commit, not the torn one
        # and it writes on over the torn tail: a clean restart loads everything
        cl.kill(f, signal.SIGTERM)
        out = run(["--check", "--dir", cl.nodes[f].dir])
        assert out.returncode == 0, out.stderr
        c.close()
    finally:
        cl.stop_all()


def test_snapshot_install_dies_before_log_clear():
    """a follower dies after recording a received snapshot (LMDB) and before clearing its log: it restarts on a safe state and catches up"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "t6s"), 26600, extra=CTX.fast + ["--snapshot-every", "50"])
    try:
        cl.start_all()
        lid = cl.wait_leader()
        f = [i for i in cl.nodes if i != lid][0]
        load = Load(cl, 8, count=30).start().join(60)
        cl.kill(f, signal.SIGKILL)
        load2 = Load(cl, 8, count=50).start().join(90)
        assert not load.errors and not load2.errors, (load.errors + load2.errors)[:3]
        assert cl.status(lid)["snapshot_index"] > 0, "leader never compacted"
        # the test hook: exit(99) right after the LMDB commit of a transaction that clears the log
        os.environ["TICKETD_TEST_EXIT_BEFORE_LOG_CLEAR"] = "1"
        try:
            nd = cl.start(f)
        finally:
            del os.environ["TICKETD_TEST_EXIT_BEFORE_LOG_CLEAR"]
        rc = nd.proc.wait(30)
        assert rc == 99, "node %d exited with %d, not at the hook" % (f, rc)
        out = run(["--check", "--dir", nd.dir])
        CTX.log("died between the snapshot and the log clear; --check: rc %d: %s" % (
            out.returncode, (out.stdout + out.stderr).strip()))
        assert out.returncode == 0 and " snapshot 0/" not in out.stdout, out.stdout + out.stderr
        # make the old log hold the snapshot's index with another term (as a
        # deposed leader's log would): load must set those entries aside
        snap_idx, snap_term = [int(x) for x in out.stdout.split(" snapshot ")[1].split()[0].split("/")]
        path, data, recs = wal_last_segment(nd.dir)
        tmpl = next(r for r in reversed(recs) if r["kind"] == 1 and r["etype"] == 0)
        off, seq = recs[-1]["end"], recs[-1]["seq"]
        for idx in range(recs[-1]["idx"] + 1, snap_idx + 5):
            rec = bytearray(data[tmpl["off"]:tmpl["end"]])
            rec[9] = 1
            seq += 1
            struct.pack_into(">QQQ", rec, 16, seq, idx, snap_term + 1)
            struct.pack_into(">I", rec, 4, zlib.crc32(bytes(rec[8:])))
            data[off:off + len(rec)] = rec
            off += len(rec)
        open(path, "wb").write(bytes(data))
        out = run(["--check", "--dir", nd.dir])
        CTX.log("old log extended to %d in term %d (snapshot %d/%d): --check rc %d" % (
            snap_idx + 4, snap_term + 1, snap_idx, snap_term, out.returncode))
        assert out.returncode == 0, out.stderr
        cl.start(f)
        cl.wait(lambda: [ln for ln in open(nd.log) if "recovered:" in ln][2:], 10, "node %d to recover" % f)
        rec_line = [ln for ln in open(nd.log) if "recovered:" in ln][2]
        CTX.log(rec_line.split("recovered: ")[1].strip())
        assert "snapshot %d log %d..%d " % (snap_idx, snap_idx, snap_idx) in rec_line, rec_line  # none of them
        load3 = Load(cl, 8, count=30).start().join(90)
        assert not load3.errors, load3.errors[:3]
        st = wait_caught_up(cl, f, cl.wait_leader())
        all_t = load.tickets + load2.tickets + load3.tickets
        check_unique(all_t)
        assert st["counter"] >= max(all_t), (st["counter"], max(all_t))
        cl.kill(f, signal.SIGTERM)
        out = run(["--check", "--dir", nd.dir])
        assert out.returncode == 0, out.stderr
        kinds = [r["kind"] for p in wal_segments(nd.dir) for r in wal_records(p)[1]]
        assert 3 in kinds, "no clear record after the set-aside entries"
    finally:
        cl.stop_all()


def test_kill9_single_node_keeps_acked():
    """a lone node SIGKILLed under load (3 rounds, small segments, snapshots) restarts with every acknowledged ticket"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, "t6k"), 26400, n=1,
                 extra=CTX.fast + ["--wal-segment-kib", "64", "--snapshot-every", "300"])
    acked, lock = [], threading.Lock()

    def client(stop):
        c = Client(cl, deadline=2)
        try:
            while not stop.is_set():
                t = c.ticket()
                with lock:
                    acked.append(t)
        except AssertionError:
            pass
        finally:
            c.close()
    try:
        cl.start(1)
        cl.wait_leader()
        for rnd in range(3):
            stop = threading.Event()
            ths = [threading.Thread(target=client, args=(stop,), daemon=True) for _ in range(8)]
            for t in ths:
                t.start()
            time.sleep(1.5)
            cl.kill(1, signal.SIGKILL)
            stop.set()
            for t in ths:
                t.join(10)
            n, top = len(acked), max(acked)
            cl.start(1)
            cl.wait_leader()
            t = Client(cl).ticket()
            s = cl.status(1)
            CTX.log("round %d: %d tickets acknowledged, highest %d; after the restart: ticket %d, counter %d, "
                "%d segment files" % (rnd, n, top, t, s["counter"], len(wal_segments(cl.nodes[1].dir))))
            assert t > top and s["counter"] >= top, (t, top, s["counter"])
            acked.append(t)
        check_unique(acked)
    finally:
        cl.stop_all()


def filled_lone_node(name, port, tickets, extra=()):
    """a stopped lone node that issued `tickets` tickets (no snapshot): (cluster, its directory, its --check)"""
    cl = Cluster(CTX.ticketd, os.path.join(CTX.work, name), port, n=1,
                 extra=["--tick-ms", "1", "--election-timeout-ms", "100", "--snapshot-every", "0"] + list(extra))
    try:
        cl.start(1)
        cl.wait_leader()
        c = Client(cl)
        for _ in range(tickets):
            c.ticket()
        c.close()
    finally:
        cl.stop_all()
    good = cl.nodes[1].dir
    ref = run(["--check", "--dir", good])
    assert ref.returncode == 0, ref.stderr
    return cl, good, ref


def test_damaged_pages_never_crash():
    """single-page damage (random bytes, zeroed, swapped pages) ends in a clear message naming data.mdb or in the
    intact state, never in a signal"""
    cl, good, ref = filled_lone_node("h5", 13000, 400)
    CTX.log("intact: " + ref.stdout.strip())
    path = os.path.join(good, "data.mdb")
    data = open(path, "rb").read()
    pages = len(data) // 4096
    rnd = random.Random(int(os.environ.get("TICKETD_CHAOS_SEED", "4242")))
    work = os.path.join(CTX.work, "h5-damaged")
    outcomes = {"refused": 0, "intact": 0, "of which LMDB crashed in the verification process": 0}
    n = int(os.environ.get("TICKETD_DAMAGE_CASES", "90"))
    for k in range(n):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(good, work)
        buf = bytearray(data)
        p = rnd.randrange(pages)
        how = k % 3
        if how == 0:
            buf[p * 4096:(p + 1) * 4096] = bytes(rnd.getrandbits(8) for _ in range(4096))
        elif how == 1:
            buf[p * 4096:(p + 1) * 4096] = bytes(4096)
        else:
            q = rnd.randrange(pages)
            buf[p * 4096:(p + 1) * 4096], buf[q * 4096:(q + 1) * 4096] = \
                data[q * 4096:(q + 1) * 4096], data[p * 4096:(p + 1) * 4096]
        with open(os.path.join(work, "data.mdb"), "wb") as f:
            f.write(bytes(buf))
        out = run(["--check", "--dir", work], timeout=180)
        assert out.returncode >= 0, "case %d (page %d, kind %d): killed by signal %d" % (k, p, how, -out.returncode)
        if out.returncode == 0:
            # nothing reachable was damaged: the state must be exactly the intact one
            assert out.stdout == ref.stdout, (k, out.stdout, ref.stdout)
            outcomes["intact"] += 1
        else:
            assert out.returncode == 3 and "data.mdb" in out.stderr, (k, out.returncode, out.stderr)
            outcomes["refused"] += 1
            outcomes["of which LMDB crashed in the verification process"] += "crashed LMDB" in out.stderr
    CTX.log("%d damaged copies (%d pages): %s; no signal" % (n, pages, outcomes))
    # the server itself on a damaged store: a message, never a crash
    buf = bytearray(data)
    for p in range(2, pages):
        buf[p * 4096 + 16:p * 4096 + 64] = bytes(48)
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(good, work)
    with open(os.path.join(work, "data.mdb"), "wb") as f:
        f.write(bytes(buf))
    nd = cl.nodes[1]
    out = run(["--id", "1", "--raft", nd.raft, "--http", nd.http, "--dir", work])
    CTX.log("server on a damaged store: rc %d: %s" % (out.returncode, out.stderr.strip()[-160:]))
    assert out.returncode == 3 and "data.mdb" in out.stderr


def test_damaged_wal_never_crash():
    """damage to a log segment (random bytes or zeros over a 4 KiB page, a truncated file) ends in a clear message
    naming the segment, or (damage after the last commit) in the intact state, never in a signal"""
    _, good, ref = filled_lone_node("h5w", 13200, 2000, ["--wal-segment-kib", "64"])
    segs = [os.path.basename(p) for p in wal_segments(good)]
    rnd = random.Random(int(os.environ.get("TICKETD_CHAOS_SEED", "4242")))
    work = os.path.join(CTX.work, "h5w-damaged")
    outcomes = {"refused": 0, "intact": 0}
    for k in range(40):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(good, work)
        name = rnd.choice(segs)
        path = os.path.join(work, name)
        data = bytearray(open(path, "rb").read())
        p = rnd.randrange(len(data) // 4096)
        if k % 4 == 3:
            data = data[:p * 4096 + rnd.randrange(4096)]
        elif k % 2:
            data[p * 4096:(p + 1) * 4096] = bytes(4096)
        else:
            data[p * 4096:(p + 1) * 4096] = bytes(rnd.getrandbits(8) for _ in range(4096))
        open(path, "wb").write(bytes(data))
        out = run(["--check", "--dir", work], timeout=60)
        assert out.returncode >= 0, "case %d (%s page %d): killed by signal %d" % (k, name, p, -out.returncode)
        if out.returncode == 0:
            assert out.stdout == ref.stdout, (k, out.stdout, ref.stdout)
            outcomes["intact"] += 1
        else:
            assert out.returncode == 3 and "wal-" in out.stderr, (k, name, p, out.returncode, out.stderr)
            outcomes["refused"] += 1
    CTX.log("40 damaged copies of %d segments: %s; no signal" % (len(segs), outcomes))


TESTS = [
    test_corrupt_record_detected,
    test_torn_wal_tail,
    test_snapshot_install_dies_before_log_clear,
    test_kill9_single_node_keeps_acked,
    test_damaged_pages_never_crash,
    test_damaged_wal_never_crash,
]
