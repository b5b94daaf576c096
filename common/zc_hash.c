/*  zc_hash.c - SHA-256 on OpenSSL's low-level interface */
#define OPENSSL_SUPPRESS_DEPRECATED     //  SHA256_* are deprecated but twice as fast
#include "zc_hash.h"
#include "zc_hex.h"

#include <openssl/sha.h>
#include <string.h>

_Static_assert (sizeof (zc_sha256_t) >= sizeof (SHA256_CTX), "zc_sha256_t too small");

void
zc_sha256_init (zc_sha256_t *ctx)
{
    SHA256_Init ((SHA256_CTX *) ctx);
}

void
zc_sha256_update (zc_sha256_t *ctx, const void *data, size_t size)
{
    SHA256_Update ((SHA256_CTX *) ctx, data, size);
}

void
zc_sha256_final (zc_sha256_t *ctx, uint8_t out [32])
{
    SHA256_Final (out, (SHA256_CTX *) ctx);
}

void
zc_sha256 (const void *data, size_t size, uint8_t out [32])
{
    SHA256_CTX ctx;
    SHA256_Init (&ctx);
    SHA256_Update (&ctx, data, size);
    SHA256_Final (out, &ctx);
}

void
zc_sha256d (const void *data, size_t size, uint8_t out [32])
{
    uint8_t first [32];
    zc_sha256 (data, size, first);
    zc_sha256 (first, 32, out);
}

void
zc_sha256_tagged_init (zc_sha256_t *ctx, const char *tag)
{
    uint8_t th [32];
    zc_sha256 (tag, strlen (tag), th);
    zc_sha256_init (ctx);
    zc_sha256_update (ctx, th, 32);
    zc_sha256_update (ctx, th, 32);
}

bool
zc_hash_eq (const zc_hash_t *a, const zc_hash_t *b)
{
    return memcmp (a->b, b->b, ZC_HASH_SIZE) == 0;
}

bool
zc_hash_is_zero (const zc_hash_t *h)
{
    uint8_t acc = 0;
    for (int i = 0; i < ZC_HASH_SIZE; i++)
        acc |= h->b [i];
    return acc == 0;
}

char *
zc_hash_hex (const zc_hash_t *h, char out [65])
{
    return zc_hex_encode (h->b, ZC_HASH_SIZE, out);
}

int
zc_hash_from_hex (const char *hex, zc_hash_t *h)
{
    return zc_hex_decode (hex, h->b, ZC_HASH_SIZE);
}

void
zc_header_hasher_init (zc_header_hasher_t *self, const uint8_t header [80])
{
    zc_sha256_init (&self->mid);
    zc_sha256_update (&self->mid, header, 64);
}

void
zc_header_hasher_hash (const zc_header_hasher_t *self, const uint8_t tail [16],
                       uint8_t out [32])
{
    SHA256_CTX ctx;
    memcpy (&ctx, &self->mid, sizeof ctx);
    SHA256_Update (&ctx, tail, 16);
    uint8_t first [32];
    SHA256_Final (first, &ctx);
    SHA256_Init (&ctx);
    SHA256_Update (&ctx, first, 32);
    SHA256_Final (out, &ctx);
}
