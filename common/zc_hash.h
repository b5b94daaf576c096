/*  zc_hash.h - SHA-256, double SHA-256, tagged hashes and a header midstate
 *
 *  Uses OpenSSL's low-level SHA256_* functions: in OpenSSL 3 the EVP and
 *  one-shot paths pay a provider look-up per call, twice the cost for the
 *  80-byte headers the miner hashes (see docs/benchmarks.md).
 */
#ifndef ZC_HASH_H_INCLUDED
#define ZC_HASH_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ZC_HASH_SIZE 32

//  A 32-byte hash: block hashes, txids, merkle nodes. Stored and shown in
//  this byte order (no reversal for display, unlike Bitcoin).
typedef struct {
    uint8_t b [ZC_HASH_SIZE];
} zc_hash_t;

//  Incremental SHA-256, same size and layout as OpenSSL's SHA256_CTX so it
//  can live on the stack without exposing OpenSSL to every includer.
typedef struct {
    uint64_t opaque [14];
} zc_sha256_t;

void
    zc_sha256_init (zc_sha256_t *ctx);
void
    zc_sha256_update (zc_sha256_t *ctx, const void *data, size_t size);
void
    zc_sha256_final (zc_sha256_t *ctx, uint8_t out [32]);

//  out = SHA256 (data)
void
    zc_sha256 (const void *data, size_t size, uint8_t out [32]);

//  out = SHA256 (SHA256 (data))
void
    zc_sha256d (const void *data, size_t size, uint8_t out [32]);

//  Start a BIP340-style tagged hash: SHA256 (SHA256 (tag) || SHA256 (tag) || ...);
//  feed the message with zc_sha256_update, finish with zc_sha256_final.
void
    zc_sha256_tagged_init (zc_sha256_t *ctx, const char *tag);

//  True when the two hashes are equal.
bool
    zc_hash_eq (const zc_hash_t *a, const zc_hash_t *b);

//  True when every byte is zero.
bool
    zc_hash_is_zero (const zc_hash_t *h);

//  Write the 64-character lowercase hex of h and a NUL into out; returns out.
char *
    zc_hash_hex (const zc_hash_t *h, char out [65]);

//  Parse 64 hex characters; 0, or -1 if not exactly that.
int
    zc_hash_from_hex (const char *hex, zc_hash_t *h);

//  Double SHA-256 of an 80-byte block header whose first 64 bytes are fixed:
//  the miner hashes the first block once and then only the last 16 bytes
//  (merkle tail, time, bits, nonce) per nonce.
typedef struct {
    zc_sha256_t mid;                //  state after the first 64 bytes
} zc_header_hasher_t;

void
    zc_header_hasher_init (zc_header_hasher_t *self, const uint8_t header [80]);

//  out = SHA256d (header) where header's bytes 64..79 are tail.
void
    zc_header_hasher_hash (const zc_header_hasher_t *self, const uint8_t tail [16],
                           uint8_t out [32]);

#endif
