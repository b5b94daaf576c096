/*  zc_keycache.c - x-only keys kept with their points, one slot a key */
#include "zc_keycache.h"
#include "zc_hashkey.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SLOTS ((size_t) 1 << 24)

typedef enum {
    S_EMPTY = 0,
    S_POINT,                            //  the key is a point, not yet lifted here
    S_LIFTED                            //  the key and its point
} s_state_t;

typedef struct {
    uint8_t key [ZC_PUBKEY_SIZE];
    secp256k1_xonly_pubkey point;
    uint8_t state;
} s_slot_t;

struct _zc_keycache_t {
    s_slot_t *slots;
    size_t mask;
    zc_keycache_stats_t stats;
};

zc_keycache_t *
zc_keycache_new (size_t slots)
{
    if (slots > MAX_SLOTS)
        return NULL;
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    zc_keycache_t *self = calloc (1, sizeof *self);
    if (self)
        self->slots = calloc (n, sizeof *self->slots);
    if (!self || !self->slots) {
        free (self);
        return NULL;
    }
    self->mask = n - 1;
    return self;
}

void
zc_keycache_destroy (zc_keycache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

static s_slot_t *
s_slot (zc_keycache_t *self, const uint8_t pubkey [ZC_PUBKEY_SIZE])
{
    return &self->slots [zc_hashkey_hash (pubkey, ZC_PUBKEY_SIZE) & self->mask];
}

static bool
s_holds (const s_slot_t *slot, const uint8_t pubkey [ZC_PUBKEY_SIZE], s_state_t at_least)
{
    return slot->state >= at_least && memcmp (slot->key, pubkey, ZC_PUBKEY_SIZE) == 0;
}

bool
zc_keycache_verify (zc_keycache_t *self, const uint8_t pubkey [ZC_PUBKEY_SIZE],
                    const uint8_t *msg, size_t size, const uint8_t sig [ZC_SIG_SIZE])
{
    if (!self)
        return zc_verify_msg (pubkey, msg, size, sig);
    const secp256k1_context *ctx = zc_key_context ();
    if (!ctx)
        return false;
    s_slot_t *slot = s_slot (self, pubkey);
    if (s_holds (slot, pubkey, S_LIFTED))
        self->stats.hits++;
    else {
        self->stats.misses++;
        secp256k1_xonly_pubkey point;
        if (!secp256k1_xonly_pubkey_parse (ctx, &point, pubkey))
            return false;
        memcpy (slot->key, pubkey, ZC_PUBKEY_SIZE);
        slot->point = point;
        slot->state = S_LIFTED;
    }
    return secp256k1_schnorrsig_verify (ctx, sig, msg, size, &slot->point) == 1;
}

bool
zc_keycache_is_valid (zc_keycache_t *self, const uint8_t pubkey [ZC_PUBKEY_SIZE])
{
    if (!self)
        return zc_pubkey_is_valid (pubkey);
    s_slot_t *slot = s_slot (self, pubkey);
    if (s_holds (slot, pubkey, S_POINT)) {
        self->stats.hits++;
        return true;
    }
    self->stats.misses++;
    if (!zc_pubkey_is_valid (pubkey))
        return false;
    memcpy (slot->key, pubkey, ZC_PUBKEY_SIZE);
    slot->state = S_POINT;
    return true;
}

void
zc_keycache_stats (const zc_keycache_t *self, zc_keycache_stats_t *stats)
{
    if (self)
        *stats = self->stats;
    else
        memset (stats, 0, sizeof *stats);
}
