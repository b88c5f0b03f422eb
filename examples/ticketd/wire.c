/* ticketd peer wire format: encoder and (untrusting) decoder. See wire.h. */
#define _POSIX_C_SOURCE 200809L
#include "wire.h"

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
    "unknown", "requestvote", "requestvote_response", "appendentries", "appendentries_response", "snapshot", "removed",
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
static void hdr_begin(wbuf_t *w, uint8_t *buf, size_t cap, int type, int32_t sender, int32_t dest)
{
    w->p = buf;
    w->len = 0;
    w->cap = cap;
    w->err = 0;
    w_u32(w, WIRE_MAGIC);
    w_u8(w, WIRE_VERSION);
    w_u8(w, (uint8_t)type);
    w_u16(w, 0);
    w_i32(w, sender);
    w_i32(w, dest);
    w_u32(w, 0); /* body_len, patched */
    w_u32(w, 0); /* crc, patched */
}

static size_t hdr_finish(wbuf_t *w)
{
    if (w->err || w->len > WIRE_MAX_DGRAM)
        return 0;
    uint32_t body = (uint32_t)(w->len - WIRE_HDR_LEN);
    uint8_t *h = w->p;
    h[16] = (uint8_t)(body >> 24);
    h[17] = (uint8_t)(body >> 16);
    h[18] = (uint8_t)(body >> 8);
    h[19] = (uint8_t)body;
    uint32_t crc = wire_crc32(0, h, 20);
    crc = wire_crc32(crc, h + WIRE_HDR_LEN, body);
    h[20] = (uint8_t)(crc >> 24);
    h[21] = (uint8_t)(crc >> 16);
    h[22] = (uint8_t)(crc >> 8);
    h[23] = (uint8_t)crc;
    return w->len;
}

size_t wire_encode_rv(uint8_t *buf, size_t cap, int32_t sender, int32_t dest, const msg_requestvote_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_REQUESTVOTE, sender, dest);
    w_i64(&w, m->term);
    w_i32(&w, m->candidate_id);
    w_i64(&w, m->last_log_idx);
    w_i64(&w, m->last_log_term);
    return hdr_finish(&w);
}

size_t wire_encode_rvr(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                       const msg_requestvote_response_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_REQUESTVOTE_RESP, sender, dest);
    w_i64(&w, m->term);
    w_i32(&w, m->vote_granted);
    return hdr_finish(&w);
}

#define AE_FIXED 36   /* 4 x i64 + u32 */
#define ENTRY_FIXED 20 /* i64 term, i32 id, i32 type, u32 len */

size_t wire_encode_ae(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                      const msg_appendentries_t *m, int *n_sent)
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
    hdr_begin(&w, buf, cap, WIRE_T_APPENDENTRIES, sender, dest);
    w_i64(&w, m->term);
    w_i64(&w, m->prev_log_idx);
    w_i64(&w, m->prev_log_term);
    w_i64(&w, m->leader_commit);
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

size_t wire_encode_aer(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                       const msg_appendentries_response_t *m)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_APPENDENTRIES_RESP, sender, dest);
    w_i64(&w, m->term);
    w_i32(&w, m->success);
    w_i64(&w, m->current_idx);
    w_i64(&w, m->first_idx);
    return hdr_finish(&w);
}

size_t wire_encode_snapshot(uint8_t *buf, size_t cap, int32_t sender, int32_t dest, const wire_snapshot_t *s)
{
    wbuf_t w;
    if (s->n_members > WIRE_MAX_MEMBERS)
        return 0;
    hdr_begin(&w, buf, cap, WIRE_T_SNAPSHOT, sender, dest);
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

size_t wire_encode_removed(uint8_t *buf, size_t cap, int32_t sender, int32_t dest, int64_t term)
{
    wbuf_t w;
    hdr_begin(&w, buf, cap, WIRE_T_REMOVED, sender, dest);
    w_i64(&w, term);
    w_i32(&w, dest);
    return hdr_finish(&w);
}

int wire_decode(const uint8_t *buf, size_t len, wire_msg_t *out)
{
    if (len > WIRE_MAX_DGRAM)
        return WIRE_E_OVERSIZED;
    if (len < WIRE_HDR_LEN)
        return WIRE_E_SHORT;
    rbuf_t r = {buf, len, 0, 0};
    if (r_u32(&r) != WIRE_MAGIC)
        return WIRE_E_MAGIC;
    if (r_u8(&r) != WIRE_VERSION)
        return WIRE_E_VERSION;
    int type = r_u8(&r);
    uint16_t flags = r_u16(&r);
    int32_t sender = r_i32(&r);
    int32_t dest = r_i32(&r);
    uint32_t body_len = r_u32(&r);
    uint32_t crc = r_u32(&r);
    if ((size_t)body_len != len - WIRE_HDR_LEN)
        return WIRE_E_LENGTH;
    uint32_t c = wire_crc32(0, buf, 20);
    c = wire_crc32(c, buf + WIRE_HDR_LEN, body_len);
    if (c != crc)
        return WIRE_E_CHECKSUM;
    if (flags != 0)
        return WIRE_E_TYPE;
    memset(&out->u, 0, sizeof(out->u));
    out->type = type;
    out->sender = sender;
    out->dest = dest;
    switch (type) {
    case WIRE_T_REQUESTVOTE: {
        msg_requestvote_t *m = &out->u.rv;
        m->term = r_i64(&r);
        m->candidate_id = r_i32(&r);
        m->last_log_idx = r_i64(&r);
        m->last_log_term = r_i64(&r);
        if (m->term < 0 || m->last_log_idx < 0 || m->last_log_term < 0)
            return WIRE_E_MALFORMED;
        break;
    }
    case WIRE_T_REQUESTVOTE_RESP: {
        msg_requestvote_response_t *m = &out->u.rvr;
        m->term = r_i64(&r);
        m->vote_granted = r_i32(&r);
        if (m->term < 0 || m->vote_granted < -1 || m->vote_granted > 1)
            return WIRE_E_MALFORMED;
        break;
    }
    case WIRE_T_APPENDENTRIES: {
        msg_appendentries_t *m = &out->u.ae;
        m->term = r_i64(&r);
        m->prev_log_idx = r_i64(&r);
        m->prev_log_term = r_i64(&r);
        m->leader_commit = r_i64(&r);
        uint32_t n = r_u32(&r);
        if (r.err || m->term < 0 || m->prev_log_idx < 0 || m->prev_log_term < 0 || m->leader_commit < 0)
            return WIRE_E_MALFORMED;
        /* each entry needs at least ENTRY_FIXED bytes: reject absurd counts
         * before looking at them */
        if (n > WIRE_MAX_ENTRIES || (size_t)n * ENTRY_FIXED > len - r.off)
            return WIRE_E_MALFORMED;
        for (uint32_t i = 0; i < n; i++) {
            msg_entry_t *e = &out->entries[i];
            e->term = r_i64(&r);
            e->id = r_i32(&r);
            e->type = r_i32(&r);
            uint32_t dl = r_u32(&r);
            if (r.err || e->term < 0 || e->type < RAFT_LOGTYPE_NORMAL || e->type > RAFT_LOGTYPE_REMOVE_NODE ||
                dl > WIRE_MAX_PAYLOAD)
                return WIRE_E_MALFORMED;
            const uint8_t *d = r_bytes(&r, dl);
            if (!d)
                return WIRE_E_MALFORMED;
            e->data.buf = (void *)(uintptr_t)d;
            e->data.len = dl;
            /* payloads are ours; check them here so that the raft
             * callbacks never see one they cannot parse */
            if (e->type == RAFT_LOGTYPE_NORMAL) {
                uint32_t cnt;
                if (batch_decode(d, dl, &cnt) != 0)
                    return WIRE_E_MALFORMED;
            } else {
                wire_member_t mm;
                if (cfg_decode(d, dl, &mm) != 0)
                    return WIRE_E_MALFORMED;
            }
        }
        m->n_entries = (int)n;
        m->entries = n ? out->entries : NULL;
        break;
    }
    case WIRE_T_APPENDENTRIES_RESP: {
        msg_appendentries_response_t *m = &out->u.aer;
        m->term = r_i64(&r);
        m->success = r_i32(&r);
        m->current_idx = r_i64(&r);
        m->first_idx = r_i64(&r);
        if (m->term < 0 || (m->success != 0 && m->success != 1) || m->current_idx < 0 || m->first_idx < 0)
            return WIRE_E_MALFORMED;
        break;
    }
    case WIRE_T_SNAPSHOT: {
        wire_snapshot_t *s = &out->snap;
        s->term = r_i64(&r);
        s->snap_term = r_i64(&r);
        s->snap_idx = r_i64(&r);
        s->counter = r_u64(&r);
        s->n_members = r_u32(&r);
        if (r.err || s->term < 0 || s->snap_term <= 0 || s->snap_idx <= 0 || s->n_members == 0 ||
            s->n_members > WIRE_MAX_MEMBERS)
            return WIRE_E_MALFORMED;
        for (uint32_t i = 0; i < s->n_members; i++) {
            wire_member_t *mm = &s->members[i];
            mm->id = r_i32(&r);
            uint8_t v = r_u8(&r);
            r_str(&r, mm->raft);
            r_str(&r, mm->http);
            if (r.err || mm->id <= 0 || v > 1 || !wire_addr_valid(mm->raft) || !wire_addr_valid(mm->http))
                return WIRE_E_MALFORMED;
            mm->voting = v;
            for (uint32_t j = 0; j < i; j++)
                if (s->members[j].id == mm->id)
                    return WIRE_E_MALFORMED;
        }
        break;
    }
    case WIRE_T_REMOVED:
        out->removed.term = r_i64(&r);
        out->removed.id = r_i32(&r);
        if (out->removed.term < 0 || out->removed.id != dest)
            return WIRE_E_MALFORMED;
        break;
    default:
        return WIRE_E_TYPE;
    }
    if (r.err || r.off != len)
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

int wire_addr_valid(const char *s)
{
    unsigned a, b, c, d, port;
    char tail;
    if (!s || strnlen(s, WIRE_ADDR_LEN) >= WIRE_ADDR_LEN)
        return 0;
    if (sscanf(s, "%3u.%3u.%3u.%3u:%5u%c", &a, &b, &c, &d, &port, &tail) != 5)
        return 0;
    return a < 256 && b < 256 && c < 256 && d < 256 && port > 0 && port < 65536;
}
