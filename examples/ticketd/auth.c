/* ticketd auth.c: optional authentication of every datagram with a shared
 * key (--key-file): HMAC-SHA256 from OpenSSL's libcrypto over the header and
 * body, carried in a 32-byte trailer and announced by WIRE_F_AUTH.
 *
 * With a key, a datagram without a valid HMAC is dropped (bad_auth) before
 * it is decoded; without one, a datagram that carries an HMAC is dropped
 * too (the two ends disagree on the configuration).  The comparison is
 * constant-time (CRYPTO_memcmp).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ticketd.h"

#define KEY_MIN 16
#define KEY_MAX 1024

int auth_load_key(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "--key-file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    ssize_t n = fstat(fd, &st) == 0 ? read(fd, S.auth_key, sizeof S.auth_key) : -1;
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "--key-file %s: %s", path, strerror(errno));
        return -1;
    }
    if (n < KEY_MIN || (size_t)st.st_size > KEY_MAX) {
        snprintf(err, errlen, "--key-file %s: want %d to %d bytes of key, found %lld", path, KEY_MIN, KEY_MAX,
                 (long long)st.st_size);
        return -1;
    }
    S.auth_key_len = (size_t)n;
    if (st.st_mode & 077)
        log_warn("--key-file %s can be read by other users (mode %03o)", path, (unsigned)(st.st_mode & 0777));
    return 0;
}

static int mac(const uint8_t *data, size_t len, uint8_t out[WIRE_AUTH_LEN])
{
    unsigned out_len = 0;
    if (!HMAC(EVP_sha256(), S.auth_key, (int)S.auth_key_len, data, len, out, &out_len) || out_len != WIRE_AUTH_LEN)
        return -1;
    return 0;
}

size_t auth_sign(uint8_t *buf, size_t len, size_t cap)
{
    if (!S.auth_key_len || !len)
        return len;
    if (len + WIRE_AUTH_LEN > cap)
        return 0;
    buf[7] |= WIRE_F_AUTH; /* low byte of the flags */
    wire_fix_header(buf, len + WIRE_AUTH_LEN);
    return mac(buf, len, buf + len) == 0 ? len + WIRE_AUTH_LEN : 0;
}

int auth_check(const uint8_t *buf, size_t len)
{
    int flagged = len >= WIRE_HDR_LEN && (buf[7] & WIRE_F_AUTH);
    if (!S.auth_key_len)
        return flagged ? -1 : 0;
    if (!flagged || len < WIRE_HDR_LEN + WIRE_AUTH_LEN)
        return -1;
    uint8_t want[WIRE_AUTH_LEN];
    if (mac(buf, len - WIRE_AUTH_LEN, want) != 0)
        return -1;
    return CRYPTO_memcmp(want, buf + len - WIRE_AUTH_LEN, WIRE_AUTH_LEN) == 0 ? 0 : -1;
}
