/* Fuzz target for the ticketd datagram decoder (wire_decode) and the
 * entry-payload decoders.
 *
 * libFuzzer:  clang -g -fsanitize=fuzzer,address,undefined -DTICKETD_LIBFUZZER \
 *               -Iinclude examples/ticketd/fuzz_wire.c examples/ticketd/wire.c
 * standalone: cc -fsanitize=address,undefined -Iinclude fuzz_wire.c wire.c
 *             ./a.out [iterations] [seed]
 * The standalone driver feeds a deterministic mix of random bytes and
 * mutations (bit flips, truncation, extension, header field overwrites) of
 * valid encodings of every message type, and checks the invariants:
 *   - the decoder never reads out of bounds (ASan) nor crashes;
 *   - an accepted appendentries has 0 <= n_entries <= WIRE_MAX_ENTRIES and
 *     every entry's bytes lie inside the input;
 *   - every valid encoding decodes to what was encoded (round trip);
 *   - a mutated datagram that still decodes re-encodes to the same bytes
 *     (nothing is accepted that we would not have produced; an HMAC
 *     trailer is opaque to the decoder and copied over).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static wire_msg_t msg;

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_wire: invariant violated: %s\n", what);
        abort();
    }
}

/* re-encodes a decoded message; returns its length */
static size_t reencode(const wire_msg_t *m, uint8_t *out, size_t cap)
{
    int sent = 0;
    wire_route_t rt = {m->cluster_id, m->sender, m->dest};
    size_t n = 0;
    switch (m->type) {
    case WIRE_T_REQUESTVOTE:
        n = wire_encode_rv(out, cap, &rt, &m->u.rv);
        break;
    case WIRE_T_REQUESTVOTE_RESP:
        n = wire_encode_rvr(out, cap, &rt, &m->u.rvr);
        break;
    case WIRE_T_APPENDENTRIES:
        n = wire_encode_ae(out, cap, &rt, &m->u.ae, &sent);
        break;
    case WIRE_T_APPENDENTRIES_RESP:
        n = wire_encode_aer(out, cap, &rt, &m->u.aer);
        break;
    case WIRE_T_SNAPSHOT:
        n = wire_encode_snapshot(out, cap, &rt, &m->snap);
        break;
    case WIRE_T_REMOVED:
        n = wire_encode_removed(out, cap, &rt, m->removed.term);
        break;
    case WIRE_T_TIMEOUTNOW:
        n = wire_encode_timeoutnow(out, cap, &rt, &m->u.tn);
        break;
    case WIRE_T_READINDEX:
        n = wire_encode_readindex(out, cap, &rt, &m->u.ri);
        break;
    case WIRE_T_READINDEX_RESP:
        n = wire_encode_readindex_resp(out, cap, &rt, &m->u.rir);
        break;
    }
    /* an accepted datagram with an HMAC trailer: the trailer is not the
     * decoder's business; re-encode with it copied back */
    if (n && (m->flags & WIRE_F_AUTH) && n + WIRE_AUTH_LEN <= cap) {
        out[7] |= WIRE_F_AUTH;
        n += WIRE_AUTH_LEN;
    }
    return n;
}

static int one_input(const uint8_t *data, size_t size)
{
    int rc = wire_decode(data, size, &msg);
    check(rc >= 0 && rc < WIRE_E_NUM, "result in range");
    if (rc != WIRE_OK)
        return rc;
    if (msg.type == WIRE_T_APPENDENTRIES) {
        check(msg.u.ae.n_entries >= 0 && msg.u.ae.n_entries <= WIRE_MAX_ENTRIES, "entry count");
        for (int i = 0; i < msg.u.ae.n_entries; i++) {
            const uint8_t *b = msg.u.ae.entries[i].data.buf;
            check(b >= data && b + msg.u.ae.entries[i].data.len <= data + size, "entry inside input");
            volatile uint8_t sink = 0;
            for (unsigned k = 0; k < msg.u.ae.entries[i].data.len; k++)
                sink ^= b[k];
            (void)sink;
        }
    }
    static uint8_t again[WIRE_MAX_DGRAM + WIRE_AUTH_LEN];
    size_t n = reencode(&msg, again, sizeof again);
    if (n && (msg.flags & WIRE_F_AUTH)) { /* the trailer is opaque here: take it from the input */
        memcpy(again + n - WIRE_AUTH_LEN, data + size - WIRE_AUTH_LEN, WIRE_AUTH_LEN);
        wire_fix_header(again, n);
    }
    check(n == size && memcmp(again, data, size) == 0, "accepted input re-encodes identically");
    return rc;
}

#ifdef TICKETD_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    wire_member_t m;
    uint32_t cnt;
    cfg_decode(data, size, &m);
    batch_decode(data, size, &cnt);
    return 0;
}
#else

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* builds a valid datagram of a random type into buf */
static size_t make_valid(uint8_t *buf, size_t cap)
{
    int32_t s = (int32_t)(rnd() % 8) + 1, d = (int32_t)(rnd() % 8) + 1;
    wire_route_t rt = {rnd() % 4 ? 0x1234abcd5678ef90ull : rnd(), s, d};
    raft_term_t term = (raft_term_t)(rnd() % 100) + 50; /* every other term in a message is at most this */
    switch (rnd() % 9) {
    case 5:
        return wire_encode_removed(buf, cap, &rt, term);
    case 6: {
        msg_timeoutnow_t m = {.term = term};
        return wire_encode_timeoutnow(buf, cap, &rt, &m);
    }
    case 7: {
        msg_readindex_t m = {.id = rnd()};
        return wire_encode_readindex(buf, cap, &rt, &m);
    }
    case 8: {
        msg_readindex_response_t m = {.id = rnd(), .read_idx = (raft_index_t)(rnd() % 1000),
                                      .result = rnd() % 2 ? 0 : RAFT_ERR_NOT_LEADER};
        return wire_encode_readindex_resp(buf, cap, &rt, &m);
    }
    case 0: {
        int kind = (int)(rnd() % 3); /* a vote, a pre-vote, a transfer's vote */
        msg_requestvote_t m = {.term = term, .candidate_id = s, .last_log_idx = (raft_index_t)(rnd() % 1000),
                               .last_log_term = (raft_term_t)(rnd() % 50), .prevote = kind == 1,
                               .leadership_transfer = kind == 2};
        return wire_encode_rv(buf, cap, &rt, &m);
    }
    case 1: {
        msg_requestvote_response_t m = {.term = term, .vote_granted = (int)(rnd() % 3) - 1,
                                        .prevote = (int)(rnd() % 2), .request_term = (raft_term_t)(rnd() % 200)};
        return wire_encode_rvr(buf, cap, &rt, &m);
    }
    case 2: {
        static msg_entry_t es[300];
        static uint8_t payloads[300][160];
        int n = (int)(rnd() % 300);
        for (int i = 0; i < n; i++) {
            es[i].term = (raft_term_t)(rnd() % 50) + 1;
            es[i].id = (raft_entry_id_t)rnd();
            if (rnd() % 8 == 0) {
                es[i].type = RAFT_LOGTYPE_NO_OP;
                es[i].id = 0;
                es[i].data.len = 0;
            } else if (rnd() % 4) {
                es[i].type = RAFT_LOGTYPE_NORMAL;
                batch_encode(payloads[i], (uint32_t)(rnd() % 5000));
                es[i].data.len = BATCH_PAYLOAD_LEN;
            } else {
                wire_member_t m = {.id = (int32_t)(rnd() % 100) + 1};
                snprintf(m.raft, sizeof m.raft, "127.0.0.%d:%d", (int)(rnd() % 250) + 1, (int)(rnd() % 60000) + 1);
                snprintf(m.http, sizeof m.http, "10.1.2.3:%d", (int)(rnd() % 60000) + 1);
                es[i].type = RAFT_LOGTYPE_ADD_NONVOTING_NODE + (int)(rnd() % 4);
                es[i].data.len = (unsigned)cfg_encode(payloads[i], sizeof payloads[i], &m);
            }
            es[i].data.buf = payloads[i];
        }
        msg_appendentries_t m = {.term = term, .prev_log_idx = (raft_index_t)(rnd() % 1000),
                                 .prev_log_term = (raft_term_t)(rnd() % 50),
                                 .leader_commit = (raft_index_t)(rnd() % 1000), .msg_id = rnd(), .n_entries = n,
                                 .entries = n ? es : NULL};
        int sent = 0;
        size_t len = wire_encode_ae(buf, cap, &rt, &m, &sent);
        check(sent <= n && len > 0, "ae encodes");
        check(wire_decode(buf, len, &msg) == WIRE_OK && msg.u.ae.n_entries == sent, "ae round trip");
        for (int i = 0; i < sent; i++)
            check(msg.u.ae.entries[i].term == es[i].term && msg.u.ae.entries[i].type == es[i].type &&
                      msg.u.ae.entries[i].data.len == es[i].data.len &&
                      memcmp(msg.u.ae.entries[i].data.buf, es[i].data.buf, es[i].data.len) == 0,
                  "ae entries round trip");
        return len;
    }
    case 3: {
        msg_appendentries_response_t m = {.term = term, .success = (int)(rnd() % 2),
                                          .current_idx = (raft_index_t)(rnd() % 1000),
                                          .first_idx = (raft_index_t)(rnd() % 1000), .msg_id = rnd()};
        m.reject_hint_term = m.success ? 0 : (raft_term_t)(rnd() % (uint64_t)(term + 1));
        return wire_encode_aer(buf, cap, &rt, &m);
    }
    default: {
        static wire_snapshot_t sn;
        memset(&sn, 0, sizeof sn);
        sn.term = term;
        sn.snap_term = (int64_t)(rnd() % 50) + 1;
        sn.snap_idx = (int64_t)(rnd() % 100000) + 1;
        sn.counter = rnd();
        sn.n_members = (uint32_t)(rnd() % WIRE_MAX_MEMBERS) + 1;
        for (uint32_t i = 0; i < sn.n_members; i++) {
            sn.members[i].id = (int32_t)i + 1;
            sn.members[i].voting = (int)(rnd() % 2);
            if (i % 3 == 1)
                snprintf(sn.members[i].raft, WIRE_ADDR_LEN, "[fd00::%x]:%u", i, 9000 + i);
            else if (i % 3 == 2)
                snprintf(sn.members[i].raft, WIRE_ADDR_LEN, "node-%u.example:%u", i, 9000 + i);
            else
                snprintf(sn.members[i].raft, WIRE_ADDR_LEN, "127.0.0.1:%u", 9000 + i);
            snprintf(sn.members[i].http, WIRE_ADDR_LEN, "127.0.0.1:%u", 8000 + i);
        }
        size_t len = wire_encode_snapshot(buf, cap, &rt, &sn);
        check(len > 0 && wire_decode(buf, len, &msg) == WIRE_OK && msg.snap.counter == sn.counter &&
                  msg.snap.n_members == sn.n_members,
              "snapshot round trip");
        return len;
    }
    }
}

/* --replay DIR...: every file of the committed corpus once */
static int replay(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    long n = 0;
    for (int i = 2; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        for (struct dirent *e; d && (e = readdir(d));) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            FILE *f = e->d_name[0] == '.' ? NULL : fopen(path, "rb");
            if (!f)
                continue;
            size_t len = fread(buf, 1, sizeof buf, f);
            fclose(f);
            one_input(buf, len);
            n++;
        }
        if (d)
            closedir(d);
    }
    printf("fuzz_wire: %ld corpus inputs replayed\n", n);
    return n > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--replay") == 0)
        return replay(argc, argv);
    long iters = argc > 1 ? atol(argv[1]) : 100000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9E3779B97F4A7C15ull;
    if (!rng_state)
        rng_state = 1;
    static uint8_t buf[WIRE_MAX_DGRAM + 64];
    long accepted = 0, valid = 0;
    long reasons[WIRE_E_NUM] = {0};
    for (long it = 0; it < iters; it++) {
        size_t len;
        int mode = (int)(rnd() % 9);
        if (mode == 0) {
            /* pure random bytes, random length */
            len = (size_t)(rnd() % (sizeof buf));
            for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)rnd();
        } else {
            len = make_valid(buf, WIRE_MAX_DGRAM);
            check(len > 0, "valid encodes");
            check(wire_decode(buf, len, &msg) == WIRE_OK, "valid decodes");
            valid++;
            switch (mode) {
            case 1: /* bit flips */
                for (int k = (int)(rnd() % 4) + 1; k > 0; k--)
                    buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
                break;
            case 2: /* truncation */
                len = (size_t)(rnd() % len);
                break;
            case 3: /* extension with junk */
                for (int k = (int)(rnd() % 64) + 1; k > 0 && len < sizeof buf; k--)
                    buf[len++] = (uint8_t)rnd();
                break;
            case 4: { /* overwrite a header field, fix length and crc so the body parser is exercised */
                size_t off = rnd() % 28;
                buf[off] = (uint8_t)rnd();
                if (rnd() % 2)
                    wire_fix_header(buf, len);
                break;
            }
            case 5: { /* corrupt the body and recompute crc and length: the body parser must cope */
                if (len > WIRE_HDR_LEN) {
                    for (int k = (int)(rnd() % 8) + 1; k > 0; k--)
                        buf[WIRE_HDR_LEN + rnd() % (len - WIRE_HDR_LEN)] = (uint8_t)rnd();
                }
                if (rnd() % 3 == 0)
                    len = WIRE_HDR_LEN + (len > WIRE_HDR_LEN ? rnd() % (len - WIRE_HDR_LEN) : 0);
                wire_fix_header(buf, len);
                break;
            }
            case 6: { /* huge counts at the entry-count / member-count offset (40 / 32 bytes into the bodies) */
                if (len >= WIRE_HDR_LEN + 44) {
                    size_t off = WIRE_HDR_LEN + (buf[5] == WIRE_T_APPENDENTRIES ? 40 : 32);
                    buf[off] = 0xFF, buf[off + 1] = 0xFF, buf[off + 2] = (uint8_t)rnd(), buf[off + 3] = (uint8_t)rnd();
                    wire_fix_header(buf, len);
                }
                break;
            }
            case 7: { /* an HMAC trailer (random bytes): the decoder must find the body before it */
                if (len + WIRE_AUTH_LEN <= sizeof buf) {
                    buf[7] |= WIRE_F_AUTH;
                    for (int k = 0; k < WIRE_AUTH_LEN; k++)
                        buf[len + (size_t)k] = (uint8_t)rnd();
                    len += WIRE_AUTH_LEN;
                    if (rnd() % 4)
                        wire_fix_header(buf, len);
                }
                break;
            }
            default: /* unmodified */
                break;
            }
        }
        int rc = one_input(buf, len);
        reasons[rc]++;
        if (rc == WIRE_OK)
            accepted++;
        wire_member_t m;
        uint32_t cnt;
        cfg_decode(buf, len < 200 ? len : 200, &m);
        batch_decode(buf, len < 8 ? len : 8, &cnt);
    }
    printf("fuzz_wire: %ld inputs (%ld from valid encodings), %ld accepted;", iters, valid, accepted);
    for (int i = 1; i < WIRE_E_NUM; i++)
        printf(" %s=%ld", wire_error_names[i], reasons[i]);
    printf("\n");
    return 0;
}
#endif
