/* ticketd peer wire format: one UDP datagram per Raft message.
 *
 * Every datagram starts with a 24-byte header (all integers big-endian):
 *
 *   off size field
 *     0    4 magic      0x544B5444 ("TKTD")
 *     4    1 version    WIRE_VERSION
 *     5    1 type       WIRE_T_*
 *     6    2 flags      must be 0
 *     8    4 sender     node id of the sender
 *    12    4 dest       node id the datagram is addressed to
 *    16    4 body_len   bytes following the header (must match the datagram)
 *    20    4 crc32      IEEE CRC-32 of bytes 0..19 followed by the body
 *
 * The body layout depends on the type (see wire.c).  The decoder never
 * trusts a field: lengths, counts and enum values are range-checked and a
 * datagram is accepted only if it is consumed exactly.
 */
#ifndef TICKETD_WIRE_H
#define TICKETD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "raft.h"

#define WIRE_MAGIC 0x544B5444u
#define WIRE_VERSION 1
#define WIRE_HDR_LEN 24
/* Largest datagram ticketd sends or accepts. */
#define WIRE_MAX_DGRAM 16384
/* Most entries in one appendentries datagram / most bytes in one payload. */
#define WIRE_MAX_ENTRIES 256
#define WIRE_MAX_PAYLOAD 1024
#define WIRE_MAX_MEMBERS 64
#define WIRE_ADDR_LEN 64 /* "a.b.c.d:port" + NUL fits easily */

enum {
    WIRE_T_REQUESTVOTE = 1,
    WIRE_T_REQUESTVOTE_RESP = 2,
    WIRE_T_APPENDENTRIES = 3,
    WIRE_T_APPENDENTRIES_RESP = 4,
    WIRE_T_SNAPSHOT = 5,
    WIRE_T_REMOVED = 6, /* leader -> removed node: your removal is committed */
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

typedef struct {
    int type;
    int32_t sender;
    int32_t dest;
    union {
        msg_requestvote_t rv;
        msg_requestvote_response_t rvr;
        msg_appendentries_t ae;
        msg_appendentries_response_t aer;
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

/* Decode one datagram.  Returns WIRE_OK or a WIRE_E_* drop reason. */
int wire_decode(const uint8_t *buf, size_t len, wire_msg_t *out);

/* Encoders return the datagram length (> 0) or 0 if it does not fit. */
size_t wire_encode_rv(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                      const msg_requestvote_t *m);
size_t wire_encode_rvr(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                       const msg_requestvote_response_t *m);
/* Encodes as many of m's entries as fit (and at most WIRE_MAX_ENTRIES);
 * *n_sent says how many. */
size_t wire_encode_ae(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                      const msg_appendentries_t *m, int *n_sent);
size_t wire_encode_aer(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                       const msg_appendentries_response_t *m);
size_t wire_encode_snapshot(uint8_t *buf, size_t cap, int32_t sender, int32_t dest,
                            const wire_snapshot_t *s);
size_t wire_encode_removed(uint8_t *buf, size_t cap, int32_t sender, int32_t dest, int64_t term);

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

/* Address check: "a.b.c.d:port" with a valid IPv4 address and port 1..65535 */
int wire_addr_valid(const char *s);

#endif
