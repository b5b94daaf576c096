/*  zc_hashkey.c - binary keys for zhashx, hashed under a secret key */
#include "zc_hashkey.h"
#include "zc_buf.h"
#include "zc_key.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint8_t s_secret [16];
static pthread_once_t s_secret_once = PTHREAD_ONCE_INIT;

static void
s_secret_init (void)
{
    if (zc_random_bytes (s_secret, sizeof s_secret) == 0)
        return;
    //  no getrandom: still different per process and per start
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    uint64_t a = (uint64_t) now.tv_nsec ^ ((uint64_t) getpid () << 32);
    uint64_t b = (uint64_t) now.tv_sec * 0x9e3779b97f4a7c15ULL ^ (uint64_t) (uintptr_t) &now;
    zc_put_le64 (s_secret, a);
    zc_put_le64 (s_secret + 8, b);
}

static inline uint64_t
s_rotl (uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define S_SIPROUND(v0, v1, v2, v3) do { \
    v0 += v1; v1 = s_rotl (v1, 13); v1 ^= v0; v0 = s_rotl (v0, 32); \
    v2 += v3; v3 = s_rotl (v3, 16); v3 ^= v2; \
    v0 += v3; v3 = s_rotl (v3, 21); v3 ^= v0; \
    v2 += v1; v1 = s_rotl (v1, 17); v1 ^= v2; v2 = s_rotl (v2, 32); \
} while (0)

uint64_t
zc_hashkey_siphash (const uint8_t key [16], const void *data, size_t size)
{
    const uint8_t *p = data;
    uint64_t k0 = zc_le64 (key), k1 = zc_le64 (key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    size_t whole = size - size % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = zc_le64 (p + i);
        v3 ^= m;
        S_SIPROUND (v0, v1, v2, v3);
        S_SIPROUND (v0, v1, v2, v3);
        v0 ^= m;
    }
    //  the last block: the remaining bytes and the length in the top byte
    uint64_t b = (uint64_t) size << 56;
    for (size_t i = 0; i < size % 8; i++)
        b |= (uint64_t) p [whole + i] << (8 * i);
    v3 ^= b;
    S_SIPROUND (v0, v1, v2, v3);
    S_SIPROUND (v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    for (int r = 0; r < 4; r++)
        S_SIPROUND (v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
zc_hashkey_hash (const void *data, size_t size)
{
    pthread_once (&s_secret_once, s_secret_init);
    return zc_hashkey_siphash (s_secret, data, size);
}

static size_t
s_hash_32 (const void *key)
{
    return (size_t) zc_hashkey_siphash (s_secret, key, 32);
}

static size_t
s_hash_36 (const void *key)
{
    return (size_t) zc_hashkey_siphash (s_secret, key, 36);
}

static int
s_cmp_32 (const void *a, const void *b)
{
    return memcmp (a, b, 32);
}

static int
s_cmp_36 (const void *a, const void *b)
{
    return memcmp (a, b, 36);
}

static void *
s_borrow (const void *key)
{
    return (void *) key;
}

static void
s_keep (void **key_p)
{
    *key_p = NULL;
}

static void *
s_dup_32 (const void *key)
{
    void *copy = malloc (32);
    if (copy)
        memcpy (copy, key, 32);
    return copy;
}

static void *
s_dup_36 (const void *key)
{
    void *copy = malloc (36);
    if (copy)
        memcpy (copy, key, 36);
    return copy;
}

static void
s_free (void **key_p)
{
    free (*key_p);
    *key_p = NULL;
}

zhashx_t *
zc_hashkey_table (size_t key_size, bool borrow_keys)
{
    if (key_size != ZC_HASHKEY_HASH && key_size != ZC_HASHKEY_OUTPOINT)
        return NULL;
    pthread_once (&s_secret_once, s_secret_init);
    zhashx_t *table = zhashx_new ();
    if (!table)
        return NULL;
    bool hash = key_size == ZC_HASHKEY_HASH;
    zhashx_set_key_hasher (table, hash ? s_hash_32 : s_hash_36);
    zhashx_set_key_comparator (table, hash ? s_cmp_32 : s_cmp_36);
    zhashx_set_key_duplicator (table, borrow_keys ? s_borrow : hash ? s_dup_32 : s_dup_36);
    zhashx_set_key_destructor (table, borrow_keys ? s_keep : s_free);
    return table;
}
