/* ticketd peer wire format: encoder and (untrusting) decoder. See wire.h. */
#define _GNU_SOURCE
#include "wire.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const wire_error_names[WIRE_E_NUM] = {
    [WIRE_OK] = "ok",
    [WIRE_E_SHORT] = "short",
    [WIRE_E_MAGIC] = "bad_magic",
    [WIRE_E_VERSION] = "bad_version",
    [WIRE_E_LENGTH] = "bad_length",
    [WIRE_E_CHECKSUM] = "bad_checksum",
    [WIRE_E_TYPE] = "bad_type",
    [WIRE_E_MALFORMED] = "malformed",
    [WIRE_E_OVERSIZED] = "oversized",
};

const char *const wire_type_names[WIRE_T_NUM] = {
    "unknown",  "requestvote", "requestvote_response", "appendentries", "appendentries_response",
    "snapshot", "removed",     "timeoutnow",           "readindex",     "readindex_response",
};

/* ---- CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) ---- */
static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = 1;
}

uint32_t wire_crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- bounded writer ---- */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    int err;
} wbuf_t;

static void w_bytes(wbuf_t *w, const void *src, size_t n)
{
    if (w->err || n > w->cap - w->len) {
        w->err = 1;
        return;
    }
    if (n)
        memcpy(w->p + w->len, src, n);
    w->len += n;
}
static void w_u8(wbuf_t *w, uint8_t v) { w_bytes(w, &v, 1); }
static void w_u16(wbuf_t *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    w_bytes(w, b, 2);
}
static void w_u32(wbuf_t *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    w_bytes(w, b, 4);
}
static void w_u64(wbuf_t *w, uint64_t v)
{
    w_u32(w, (uint32_t)(v >> 32));
    w_u32(w, (uint32_t)v);
}
static void w_i32(wbuf_t *w, int32_t v) { w_u32(w, (uint32_t)v); }
static void w_i64(wbuf_t *w, int64_t v) { w_u64(w, (uint64_t)v); }
static void w_str(wbuf_t *w, const char *s)
{
    size_t n = strnlen(s, WIRE_ADDR_LEN - 1);
    w_u8(w, (uint8_t)n);
    w_bytes(w, s, n);
}

/* ---- bounded reader ---- */
typedef struct {
    const uint8_t *p;
    size_t len, off;
    int err;
} rbuf_t;

static const uint8_t *r_bytes(rbuf_t *r, size_t n)
{
    if (r->err || n > r->len - r->off) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->off;
    r->off += n;
    return q;
}
static uint8_t r_u8(rbuf_t *r)
{
    const uint8_t *q = r_bytes(r, 1);
    return q ? q[0] : 0;
}
static uint16_t r_u16(rbuf_t *r)
{
    const uint8_t *q = r_bytes(r, 2);
    return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}
static uint32_t r_u32(rbuf_t *r)
{
    const uint8_t *q = r_bytes(r, 4);
    return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
}
static uint64_t r_u64(rbuf_t *r)
{
    uint64_t hi = r_u32(r);
    return (hi << 32) | r_u32(r);
}
static int32_t r_i32(rbuf_t *r) { return (int32_t)r_u32(r); }
static int64_t r_i64(rbuf_t *r) { return (int64_t)r_u64(r); }
/* reads a length-prefixed address; rejects empty, over-long or
 * non-printable strings */
static void r_str(rbuf_t *r, char out[WIRE_ADDR_LEN])
{
    uint8_t n = r_u8(r);
    const uint8_t *q = r_bytes(r, n);
    out[0] = 0;
    if (!q)
        return;
    if (n == 0 || n >= WIRE_ADDR_LEN) {
        r->err = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (q[i] < 0x21 || q[i] > 0x7e) {
            r->err = 1;
            return;
        }
    memcpy(out, q, n);
    out[n] = 0;
}

/* ---- header ---- */
static void hdr_begin(wbuf_t *w, uint8_t *buf, size_t cap, int type, const wire_route_t *rt)
{
    w->p = buf;
    w->len = 0;
    w->cap = cap;
    w->err = 0;
    w_u32(w, WIRE_MAGIC);
    w_u8(w, WIRE_VERSION);
    w_u8(w, (uint8_t)type);
    w_u16(w, 0);
    w_u64(w, rt->cluster_id);
    w_i32(w, rt->sender);
    w_i32(w, rt->dest);
    w_u32(w, 0); /* body_len, patched */
    w_u32(w, 0); /* crc, patched */
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t datagram_crc(const uint8_t *buf, size_t body_len)
{
    uint32_t crc = wire_crc32(0, buf, 28);
    return wire_crc32(crc, buf + WIRE_HDR_LEN, body_len);
}

void wire_fix_header(uint8_t *buf, size_t len)
{
    if (len < WIRE_HDR_LEN)
        return;
    size_t trailer = (((unsigned)buf[6] << 8 | buf[7]) & WIRE_F_AUTH) ? WIRE_AUTH_LEN : 0;
    size_t body = len >= WIRE_HDR_LEN + trailer ? len - WIRE_HDR_LEN - trailer : 0;
    put_be32(buf + 24, (uint32_t)body);
    put_be32(buf + 28, datagram_crc(buf, body));
}

static size_t hdr_finish(wbuf_t *w)
{
    if (w->err || w->len > WIRE_MAX_DGRAM)
        return 0;
    wire_fix_header(w->p, w->len);
    return w->len;
}

size_t wire_encode_rv(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_requestvote_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_REQUESTVOTE, rt);
    w_i64(&w, m->term);
    w_i32(&w, m->candidate_id);
    w_i64(&w, m->last_log_idx);
    w_i64(&w, m->last_log_term);
    w_u8(&w, m->prevote ? 1 : 0);
    w_u8(&w, m->leadership_transfer ? 1 : 0);
    return hdr_finish(&w);
}

size_t wire_encode_rvr(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_requestvote_response_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_REQUESTVOTE_RESP, rt);
    w_i64(&w, m->term);
    w_i32(&w, m->vote_granted);
    w_u8(&w, m->prevote ? 1 : 0);
    w_i64(&w, m->request_term);
    return hdr_finish(&w);
}

#define AE_FIXED 44    /* 4 x i64 + u64 msg_id + u32 */
#define ENTRY_FIXED 20 /* i64 term, i32 id, i32 type, u32 len */

size_t wire_encode_ae(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_appendentries_t *m, int *n_sent)
{
    if (cap > WIRE_MAX_DGRAM)
        cap = WIRE_MAX_DGRAM;
    /* count how many entries fit */
    size_t room = cap > WIRE_HDR_LEN + AE_FIXED ? cap - WIRE_HDR_LEN - AE_FIXED : 0;
    int n = 0;
    int offered = m->n_entries > 0 && m->entries ? m->n_entries : 0;
    while (n < offered && n < WIRE_MAX_ENTRIES) {
        size_t need = ENTRY_FIXED + (size_t)m->entries[n].data.len;
        if (m->entries[n].data.len > WIRE_MAX_PAYLOAD || need > room)
            break;
        room -= need;
        n++;
    }
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_APPENDENTRIES, rt);
    w_i64(&w, m->term);
    w_i64(&w, m->prev_log_idx);
    w_i64(&w, m->prev_log_term);
    w_i64(&w, m->leader_commit);
    w_u64(&w, m->msg_id);
    w_u32(&w, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        const msg_entry_t *e = &m->entries[i];
        w_i64(&w, e->term);
        w_i32(&w, e->id);
        w_i32(&w, e->type);
        w_u32(&w, e->data.len);
        w_bytes(&w, e->data.buf, e->data.len);
    }
    if (n_sent)
        *n_sent = n;
    return hdr_finish(&w);
}

size_t wire_encode_aer(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_appendentries_response_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_APPENDENTRIES_RESP, rt);
    w_i64(&w, m->term);
    w_i32(&w, m->success);
    w_i64(&w, m->current_idx);
    w_i64(&w, m->first_idx);
    w_u64(&w, m->msg_id);
    /* written by the library only into a rejection (raft_set_reject_hint) */
    w_i64(&w, m->success ? 0 : m->reject_hint_term);
    return hdr_finish(&w);
}

size_t wire_encode_snapshot(uint8_t *buf, size_t cap, const wire_route_t *rt, const wire_snapshot_t *s)
{
    wbuf_t w;
    if (s->n_members > WIRE_MAX_MEMBERS)
        return 0;
    hdr_begin(&w, buf, cap, WIRE_T_SNAPSHOT, rt);
    w_i64(&w, s->term);
    w_i64(&w, s->snap_term);
    w_i64(&w, s->snap_idx);
    w_u64(&w, s->counter);
    w_u32(&w, s->n_members);
    for (uint32_t i = 0; i < s->n_members; i++) {
        w_i32(&w, s->members[i].id);
        w_u8(&w, s->members[i].voting ? 1 : 0);
        w_str(&w, s->members[i].raft);
        w_str(&w, s->members[i].http);
    }
    return hdr_finish(&w);
}

size_t wire_encode_removed(uint8_t *buf, size_t cap, const wire_route_t *rt, int64_t term)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_REMOVED, rt);
    w_i64(&w, term);
    w_i32(&w, rt->dest);
    return hdr_finish(&w);
}

size_t wire_encode_timeoutnow(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_timeoutnow_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_TIMEOUTNOW, rt);
    w_i64(&w, m->term);
    return hdr_finish(&w);
}

size_t wire_encode_readindex(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_readindex_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_READINDEX, rt);
    w_u64(&w, m->id);
    return hdr_finish(&w);
}

size_t wire_encode_readindex_resp(uint8_t *buf, size_t cap, const wire_route_t *rt,
                                  const msg_readindex_response_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_READINDEX_RESP, rt);
    w_u64(&w, m->id);
    w_i64(&w, m->read_idx);
    w_i32(&w, m->result);
    return hdr_finish(&w);
}

/* a term a correct peer could send: not negative, below WIRE_MAX_TERM */
static int term_ok(int64_t t) { return t >= 0 && t < WIRE_MAX_TERM; }

static int decode_rv(rbuf_t *r, msg_requestvote_t *m)
{
    m->term = r_i64(r);
    m->candidate_id = r_i32(r);
    m->last_log_idx = r_i64(r);
    m->last_log_term = r_i64(r);
    uint8_t prevote = r_u8(r), transfer = r_u8(r);
    /* the candidate's last entry is of its term or an earlier one (a
     * pre-candidate's term is its own + 1, still above its last entry's) */
    if (!term_ok(m->term) || m->last_log_idx < 0 || m->last_log_term < 0 || m->last_log_term > m->term ||
        prevote > 1 || transfer > 1 || (prevote && transfer))
        return WIRE_E_MALFORMED;
    m->prevote = prevote;
    m->leadership_transfer = transfer;
    return WIRE_OK;
}

static int decode_rvr(rbuf_t *r, msg_requestvote_response_t *m)
{
    m->term = r_i64(r);
    m->vote_granted = r_i32(r);
    uint8_t prevote = r_u8(r);
    m->request_term = r_i64(r);
    if (!term_ok(m->term) || m->vote_granted < -1 || m->vote_granted > 1 || prevote > 1 ||
        !term_ok(m->request_term))
        return WIRE_E_MALFORMED;
    m->prevote = prevote;
    return WIRE_OK;
}

int entry_payload_valid(const raft_entry_t *e)
{
    uint32_t cnt;
    wire_member_t mm;
    switch (e->type) {
    case RAFT_LOGTYPE_NORMAL:
        return batch_decode(e->data.buf, e->data.len, &cnt) == 0;
    case RAFT_LOGTYPE_NO_OP: /* the library's empty entry: id 0, no payload */
        return e->data.len == 0 && e->id == 0;
    case RAFT_LOGTYPE_ADD_NONVOTING_NODE:
    case RAFT_LOGTYPE_ADD_NODE:
    case RAFT_LOGTYPE_DEMOTE_NODE:
    case RAFT_LOGTYPE_REMOVE_NODE:
        return cfg_decode(e->data.buf, e->data.len, &mm) == 0;
    default:
        return 0;
    }
}

/* one entry of an appendentries; its payload is checked here so that the
 * raft callbacks never see one they cannot parse */
static int decode_entry(rbuf_t *r, raft_term_t msg_term, msg_entry_t *e)
{
    e->term = r_i64(r);
    e->id = r_i32(r);
    e->type = r_i32(r);
    uint32_t dl = r_u32(r);
    /* a leader only sends entries of its term or earlier ones */
    if (r->err || e->term < 0 || e->term > msg_term || e->type < RAFT_LOGTYPE_NORMAL ||
        e->type > RAFT_LOGTYPE_NO_OP || dl > WIRE_MAX_PAYLOAD)
        return WIRE_E_MALFORMED;
    const uint8_t *d = r_bytes(r, dl);
    if (!d)
        return WIRE_E_MALFORMED;
    e->data.buf = (void *)(uintptr_t)d;
    e->data.len = dl;
    return entry_payload_valid(e) ? WIRE_OK : WIRE_E_MALFORMED;
}

static int decode_ae(rbuf_t *r, size_t len, msg_appendentries_t *m, msg_entry_t *entries)
{
    m->term = r_i64(r);
    m->prev_log_idx = r_i64(r);
    m->prev_log_term = r_i64(r);
    m->leader_commit = r_i64(r);
    m->msg_id = r_u64(r);
    uint32_t n = r_u32(r);
    if (r->err || !term_ok(m->term) || m->prev_log_idx < 0 || m->prev_log_term < 0 || m->prev_log_term > m->term ||
        m->leader_commit < 0)
        return WIRE_E_MALFORMED;
    /* each entry needs at least ENTRY_FIXED bytes: reject absurd counts
     * before looking at them */
    if (n > WIRE_MAX_ENTRIES || (size_t)n * ENTRY_FIXED > len - r->off)
        return WIRE_E_MALFORMED;
    for (uint32_t i = 0; i < n; i++)
        if (decode_entry(r, m->term, &entries[i]) != WIRE_OK)
            return WIRE_E_MALFORMED;
    m->n_entries = (int)n;
    m->entries = n ? entries : NULL;
    return WIRE_OK;
}

static int decode_aer(rbuf_t *r, msg_appendentries_response_t *m)
{
    m->term = r_i64(r);
    m->success = r_i32(r);
    m->current_idx = r_i64(r);
    m->first_idx = r_i64(r);
    m->msg_id = r_u64(r);
    m->reject_hint_term = r_i64(r);
    /* the hint is a term of the sender's log: at most its own term, and 0
     * in a success */
    if (!term_ok(m->term) || (m->success != 0 && m->success != 1) || m->current_idx < 0 || m->first_idx < 0 ||
        m->reject_hint_term < 0 || m->reject_hint_term > m->term || (m->success && m->reject_hint_term != 0))
        return WIRE_E_MALFORMED;
    return WIRE_OK;
}

static int decode_snapshot(rbuf_t *r, wire_snapshot_t *s)
{
    s->term = r_i64(r);
    s->snap_term = r_i64(r);
    s->snap_idx = r_i64(r);
    s->counter = r_u64(r);
    s->n_members = r_u32(r);
    if (r->err || !term_ok(s->term) || s->snap_term <= 0 || s->snap_term > s->term || s->snap_idx <= 0 ||
        s->n_members == 0 || s->n_members > WIRE_MAX_MEMBERS)
        return WIRE_E_MALFORMED;
    for (uint32_t i = 0; i < s->n_members; i++) {
        wire_member_t *mm = &s->members[i];
        mm->id = r_i32(r);
        uint8_t v = r_u8(r);
        r_str(r, mm->raft);
        r_str(r, mm->http);
        if (r->err || mm->id <= 0 || v > 1 || !wire_addr_valid(mm->raft) || !wire_addr_valid(mm->http))
            return WIRE_E_MALFORMED;
        mm->voting = v;
        for (uint32_t j = 0; j < i; j++)
            if (s->members[j].id == mm->id)
                return WIRE_E_MALFORMED;
    }
    return WIRE_OK;
}

/* the header: returns WIRE_OK with r positioned at the body and the body
 * length in *body_len, or a drop reason */
static int decode_header(rbuf_t *r, wire_msg_t *out, size_t *body_len)
{
    size_t len = r->len;
    if (len > WIRE_MAX_DGRAM)
        return WIRE_E_OVERSIZED;
    if (len < WIRE_HDR_LEN)
        return WIRE_E_SHORT;
    if (r_u32(r) != WIRE_MAGIC)
        return WIRE_E_MAGIC;
    if (r_u8(r) != WIRE_VERSION)
        return WIRE_E_VERSION;
    out->type = r_u8(r);
    out->flags = r_u16(r);
    out->cluster_id = r_u64(r);
    out->sender = r_i32(r);
    out->dest = r_i32(r);
    uint32_t bl = r_u32(r);
    uint32_t crc = r_u32(r);
    size_t trailer = (out->flags & WIRE_F_AUTH) ? WIRE_AUTH_LEN : 0;
    if (len < WIRE_HDR_LEN + trailer || (size_t)bl != len - WIRE_HDR_LEN - trailer)
        return WIRE_E_LENGTH;
    if (datagram_crc(r->p, bl) != crc)
        return WIRE_E_CHECKSUM;
    if (out->flags & ~WIRE_F_AUTH)
        return WIRE_E_TYPE;
    *body_len = bl;
    return WIRE_OK;
}

int wire_decode(const uint8_t *buf, size_t len, wire_msg_t *out)
{
    rbuf_t r = {buf, len, 0, 0};
    size_t body_len = 0;
    int rc = decode_header(&r, out, &body_len);
    if (rc != WIRE_OK)
        return rc;
    memset(&out->u, 0, sizeof(out->u));
    size_t end = WIRE_HDR_LEN + body_len;
    r.len = end; /* the body parsers must not read the HMAC */
    switch (out->type) {
    case WIRE_T_REQUESTVOTE:
        rc = decode_rv(&r, &out->u.rv);
        break;
    case WIRE_T_REQUESTVOTE_RESP:
        rc = decode_rvr(&r, &out->u.rvr);
        break;
    case WIRE_T_APPENDENTRIES:
        rc = decode_ae(&r, end, &out->u.ae, out->entries);
        break;
    case WIRE_T_APPENDENTRIES_RESP:
        rc = decode_aer(&r, &out->u.aer);
        break;
    case WIRE_T_SNAPSHOT:
        rc = decode_snapshot(&r, &out->snap);
        break;
    case WIRE_T_TIMEOUTNOW:
        out->u.tn.term = r_i64(&r);
        rc = term_ok(out->u.tn.term) ? WIRE_OK : WIRE_E_MALFORMED;
        break;
    case WIRE_T_READINDEX:
        out->u.ri.id = r_u64(&r);
        break;
    case WIRE_T_READINDEX_RESP:
        out->u.rir.id = r_u64(&r);
        out->u.rir.read_idx = r_i64(&r);
        out->u.rir.result = r_i32(&r);
        /* an index, and 0 or a RAFT_ERR_* code */
        rc = out->u.rir.read_idx < 0 || out->u.rir.result > 0 || out->u.rir.result < RAFT_ERR_LAST ? WIRE_E_MALFORMED
                                                                                                 : WIRE_OK;
        break;
    case WIRE_T_REMOVED:
        out->removed.term = r_i64(&r);
        out->removed.id = r_i32(&r);
        rc = !term_ok(out->removed.term) || out->removed.id != out->dest ? WIRE_E_MALFORMED : WIRE_OK;
        break;
    default:
        return WIRE_E_TYPE;
    }
    if (rc != WIRE_OK || r.err || r.off != end)
        return WIRE_E_MALFORMED;
    return WIRE_OK;
}

/* ---- entry payloads ---- */
size_t cfg_encode(uint8_t *buf, size_t cap, const wire_member_t *m)
{
    wbuf_t w = {buf, 0, cap, 0};
    w_u32(&w, CFG_MAGIC);
    w_i32(&w, m->id);
    w_str(&w, m->raft);
    w_str(&w, m->http);
    return w.err ? 0 : w.len;
}

int cfg_decode(const void *buf, size_t len, wire_member_t *m)
{
    if (!buf)
        return -1;
    rbuf_t r = {buf, len, 0, 0};
    if (r_u32(&r) != CFG_MAGIC)
        return -1;
    m->id = r_i32(&r);
    m->voting = 0;
    r_str(&r, m->raft);
    r_str(&r, m->http);
    if (r.err || r.off != len || m->id <= 0 || !wire_addr_valid(m->raft) || !wire_addr_valid(m->http))
        return -1;
    return 0;
}

void batch_encode(uint8_t buf[BATCH_PAYLOAD_LEN], uint32_t count)
{
    wbuf_t w = {buf, 0, BATCH_PAYLOAD_LEN, 0};
    w_u32(&w, BATCH_MAGIC);
    w_u32(&w, count);
}

int batch_decode(const void *buf, size_t len, uint32_t *count)
{
    if (!buf || len != BATCH_PAYLOAD_LEN)
        return -1;
    rbuf_t r = {buf, len, 0, 0};
    if (r_u32(&r) != BATCH_MAGIC)
        return -1;
    *count = r_u32(&r);
    return *count > 1000000 ? -1 : 0;
}

int wire_addr_split(const char *s, char host[WIRE_ADDR_LEN], unsigned *port)
{
    if (!s || strnlen(s, WIRE_ADDR_LEN) >= WIRE_ADDR_LEN)
        return -1;
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -1;
    const char *h = s, *h_end = colon;
    if (s[0] == '[') { /* [v6]:port */
        if (colon[-1] != ']')
            return -1;
        h = s + 1;
        h_end = colon - 1;
    }
    size_t hl = (size_t)(h_end - h);
    if (hl == 0)
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
        return -1;
    unsigned long v = strtoul(p, NULL, 10);
    if (v < 1 || v > 65535)
        return -1;
    *port = (unsigned)v;
    if (s[0] == '[') {
        struct in6_addr a6;
        return inet_pton(AF_INET6, host, &a6) == 1 ? 0 : -1;
    }
    /* an IPv4 address, or a host name (letters, digits, '-', '.') */
    if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != hl ||
        host[0] == '-' || host[0] == '.')
        return -1;
    if (strspn(host, "0123456789.") == hl) {
        struct in_addr a4;
        return inet_pton(AF_INET, host, &a4) == 1 ? 0 : -1;
    }
    return 0;
}

int wire_addr_valid(const char *s)
{
    char host[WIRE_ADDR_LEN];
    unsigned port;
    return wire_addr_split(s, host, &port) == 0;
}
