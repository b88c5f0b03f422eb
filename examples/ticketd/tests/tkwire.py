"""Builds ticketd datagrams in Python (wire version 3, see ../wire.h) for the
tests that send bad or forged input."""
import hashlib
import hmac
import struct
import zlib

HDR = struct.Struct(">IBBHQiiII")
F_AUTH = 1
RV, RVR, AE, AER, SNAP, REMOVED, TIMEOUTNOW, READINDEX, READINDEX_RESP = 1, 2, 3, 4, 5, 6, 7, 8, 9
VERSION = 4


def dgram(mtype, sender, dest, body, cluster=0, version=VERSION, magic=0x544B5444, fix_crc=True, body_len=None,
          flags=0, trailer=b""):
    """a datagram: 32-byte header with the cluster id, CRC-32 over header and body"""
    bl = len(body) if body_len is None else body_len
    h = HDR.pack(magic, version, mtype, flags, cluster, sender, dest, bl, 0)
    crc = zlib.crc32(h[:28] + body) if fix_crc else 0xDEADBEEF
    return h[:28] + struct.pack(">I", crc) + body + trailer


def signed(mtype, sender, dest, body, cluster, key):
    """a datagram with its HMAC-SHA256 trailer under key"""
    d = dgram(mtype, sender, dest, body, cluster=cluster, flags=F_AUTH)
    return d + hmac.new(key, d, hashlib.sha256).digest()


def rv_body(term, candidate, last_idx, last_term, prevote=0, transfer=0):
    return struct.pack(">qiqqBB", term, candidate, last_idx, last_term, prevote, transfer)


def rvr_body(term, granted, prevote=0, request_term=0):
    return struct.pack(">qiBq", term, granted, prevote, request_term)


def aer_body(term, success, current_idx, first_idx, msg_id=0, hint_term=0):
    return struct.pack(">qiqqQq", term, success, current_idx, first_idx, msg_id, hint_term)


def ae_body(term, prev_idx, prev_term, commit, entries=(), msg_id=0):
    return struct.pack(">qqqqQI", term, prev_idx, prev_term, commit, msg_id, len(entries)) + b"".join(entries)


def timeoutnow_body(term):
    return struct.pack(">q", term)


def readindex_body(rid):
    return struct.pack(">Q", rid)


def readindex_resp_body(rid, read_idx, result):
    return struct.pack(">Qqi", rid, read_idx, result)
