/*  zc_hashkey.c - binary keys for zhashx */
#include "zc_hashkey.h"
#include "zc_buf.h"

#include <stdlib.h>
#include <string.h>

//  Hashes are hash output: any 8 of their bytes hash well
static size_t
s_hash_32 (const void *key)
{
    return (size_t) zc_le64 (key);
}

//  Outputs of one transaction share the txid: mix in the index, or a parent
//  with many spent outputs would pile them into one chain
static size_t
s_hash_36 (const void *key)
{
    const uint8_t *k = key;
    return (size_t) ((zc_le64 (k) ^ zc_le64 (k + 8)) + zc_be32 (k + 32) * 0x9e3779b97f4a7c15ULL);
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
