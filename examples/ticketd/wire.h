/* ticketd peer wire format: one UDP datagram per Raft message.
 *
 * Every datagram starts with a 32-byte header (all integers big-endian):
 *
 *   off size field
 *     0    4 magic      0x544B5444 ("TKTD")
 *     4    1 version    WIRE_VERSION
 *     5    1 type       WIRE_T_*
 *     6    2 flags      WIRE_F_AUTH or 0; other bits must be 0
 *     8    8 cluster    the cluster id (random, chosen when the cluster was
 *                       initialised); the receiver drops other clusters'
 *    16    4 sender     node id of the sender
 *    20    4 dest       node id the datagram is addressed to
 *    24    4 body_len   bytes of body after the header
 *    28    4 crc32      IEEE CRC-32 of bytes 0..27 followed by the body
 *
 * then the body, then, when flags has WIRE_F_AUTH, a 32-byte
 * HMAC-SHA256 of everything before it (auth.c).  The datagram length must
 * be exactly header + body_len (+ 32).
 *
 * The body layout depends on the type (see wire.c).  The decoder never
 * trusts a field: lengths, counts and enum values are range-checked, terms
 * are below WIRE_MAX_TERM and no term in a message exceeds the message's
 * own term (a correct sender never does that), and a datagram is accepted
 * only if it is consumed exactly.
 */
#ifndef TICKETD_WIRE_H
#define TICKETD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "raft.h"

#define WIRE_MAGIC 0x544B5444u
/* 3: msg_id on appendentries and their responses, pre-vote and transfer
 * fields on requestvotes, TimeoutNow and read-index messages, no-op entries
 * 4: reject_hint_term on appendentries responses (raft_set_reject_hint) */
#define WIRE_VERSION 4
#define WIRE_HDR_LEN 32
#define WIRE_F_AUTH 0x0001u   /* a WIRE_AUTH_LEN-byte HMAC follows the body */
#define WIRE_AUTH_LEN 32      /* HMAC-SHA256 */
/* Terms at or above this are malformed: far beyond any real cluster's, and
 * far enough below INT64_MAX that term + 1 never overflows. */
#define WIRE_MAX_TERM ((int64_t)1 << 62)
/* Largest datagram ticketd sends or accepts (including the HMAC). */
#define WIRE_MAX_DGRAM 16384
/* Most entries in one appendentries datagram / most bytes in one payload. */
#define WIRE_MAX_ENTRIES 256
#define WIRE_MAX_PAYLOAD 1024
#define WIRE_MAX_MEMBERS 64
#define WIRE_ADDR_LEN 64 /* "host:port" or "[v6]:port" + NUL */

enum {
    WIRE_T_REQUESTVOTE = 1,
    WIRE_T_REQUESTVOTE_RESP = 2,
    WIRE_T_APPENDENTRIES = 3,
    WIRE_T_APPENDENTRIES_RESP = 4,
    WIRE_T_SNAPSHOT = 5,
    WIRE_T_REMOVED = 6, /* leader -> removed node: your removal is committed */
    WIRE_T_TIMEOUTNOW = 7,     /* leader -> transfer target: campaign now (thesis 3.10) */
    WIRE_T_READINDEX = 8,      /* follower -> leader: confirm a read index (thesis 6.4) */
    WIRE_T_READINDEX_RESP = 9, /* leader -> follower: the confirmed read index, or an error */
    WIRE_T_NUM
};

/* "requestvote", ... by WIRE_T_* (index 0: "unknown") */
extern const char *const wire_type_names[WIRE_T_NUM];

/* Decode results; > 0 values are drop reasons. */
enum {
    WIRE_OK = 0,
    WIRE_E_SHORT,     /* shorter than a header */
    WIRE_E_MAGIC,     /* not ours (foreign traffic) */
    WIRE_E_VERSION,   /* unknown version */
    WIRE_E_LENGTH,    /* body_len does not match the datagram (truncated/padded) */
    WIRE_E_CHECKSUM,  /* CRC mismatch (corrupted) */
    WIRE_E_TYPE,      /* unknown message type or non-zero flags */
    WIRE_E_MALFORMED, /* body does not parse (bad counts, lengths, values) */
    WIRE_E_OVERSIZED, /* larger than WIRE_MAX_DGRAM */
    WIRE_E_NUM
};

extern const char *const wire_error_names[WIRE_E_NUM];

/* One cluster member as carried by snapshots and configuration entries. */
typedef struct {
    int32_t id;
    int voting;
    char raft[WIRE_ADDR_LEN];
    char http[WIRE_ADDR_LEN];
} wire_member_t;

/* The whole replicated state machine: small enough for one datagram. */
typedef struct {
    int64_t term;      /* sender's current term */
    int64_t snap_term; /* term of the last entry the snapshot includes */
    int64_t snap_idx;  /* index of that entry */
    uint64_t counter;  /* last ticket issued */
    uint32_t n_members;
    wire_member_t members[WIRE_MAX_MEMBERS];
} wire_snapshot_t;

/* Who a datagram is from and to, and which cluster it belongs to. */
typedef struct {
    uint64_t cluster_id;
    int32_t sender;
    int32_t dest;
} wire_route_t;

typedef struct {
    int type;
    unsigned flags;
    uint64_t cluster_id;
    int32_t sender;
    int32_t dest;
    union {
        msg_requestvote_t rv;
        msg_requestvote_response_t rvr;
        msg_appendentries_t ae;
        msg_appendentries_response_t aer;
        msg_timeoutnow_t tn;
        msg_readindex_t ri;
        msg_readindex_response_t rir;
    } u;
    wire_snapshot_t snap;
    struct {
        int64_t term;
        int32_t id;
    } removed;
    /* decoded appendentries entries; data.buf points into the input buffer */
    msg_entry_t entries[WIRE_MAX_ENTRIES];
} wire_msg_t;

uint32_t wire_crc32(uint32_t crc, const void *buf, size_t len);

/* Decode one datagram.  Returns WIRE_OK or a WIRE_E_* drop reason.  The
 * HMAC, if any, is not checked here (auth.c does that first). */
int wire_decode(const uint8_t *buf, size_t len, wire_msg_t *out);

/* Encoders return the datagram length (> 0) or 0 if it does not fit; the
 * datagram has no HMAC yet (auth_sign adds it). */
size_t wire_encode_rv(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_requestvote_t *m);
size_t wire_encode_rvr(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_requestvote_response_t *m);
/* Encodes as many of m's entries as fit (and at most WIRE_MAX_ENTRIES);
 * *n_sent says how many. */
size_t wire_encode_ae(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_appendentries_t *m,
                      int *n_sent);
size_t wire_encode_aer(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_appendentries_response_t *m);
size_t wire_encode_snapshot(uint8_t *buf, size_t cap, const wire_route_t *rt, const wire_snapshot_t *s);
size_t wire_encode_removed(uint8_t *buf, size_t cap, const wire_route_t *rt, int64_t term);
size_t wire_encode_timeoutnow(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_timeoutnow_t *m);
size_t wire_encode_readindex(uint8_t *buf, size_t cap, const wire_route_t *rt, const msg_readindex_t *m);
size_t wire_encode_readindex_resp(uint8_t *buf, size_t cap, const wire_route_t *rt,
                                  const msg_readindex_response_t *m);

/* Rewrites body_len and crc32 of a datagram of len bytes (after its
 * flags or body were changed); len includes the HMAC if WIRE_F_AUTH. */
void wire_fix_header(uint8_t *buf, size_t len);

/* Configuration-entry payload: member id and addresses.
 *   u32 magic "TKCF", i32 id, u8 len + raft addr, u8 len + http addr */
#define CFG_MAGIC 0x544B4346u
size_t cfg_encode(uint8_t *buf, size_t cap, const wire_member_t *m);
int cfg_decode(const void *buf, size_t len, wire_member_t *m); /* 0 ok, -1 bad */

/* Normal-entry payload: a batch of tickets.
 *   u32 magic "TKBT", u32 count */
#define BATCH_MAGIC 0x544B4254u
#define BATCH_PAYLOAD_LEN 8
void batch_encode(uint8_t buf[BATCH_PAYLOAD_LEN], uint32_t count);
int batch_decode(const void *buf, size_t len, uint32_t *count); /* 0 ok, -1 bad */

/* 1 if an entry's payload parses for its type: a ticket batch, a member
 * for a configuration change, nothing (and id 0) for the library's no-op
 * (RAFT_LOGTYPE_NO_OP); 0 for any other type or payload */
int entry_payload_valid(const raft_entry_t *e);

/* Address syntax: "host:port" (an IPv4 address or a host name) or
 * "[IPv6 address]:port", port 1..65535, shorter than WIRE_ADDR_LEN. */
int wire_addr_valid(const char *s);
/* Splits a valid address into host (brackets removed) and port; -1 if invalid. */
int wire_addr_split(const char *s, char host[WIRE_ADDR_LEN], unsigned *port);

#endif
