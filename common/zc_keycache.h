/*  zc_keycache.h - a bounded cache of x-only public keys lifted to points
 *
 *  BIP340 verification first lifts the 32-byte x-only key to its curve
 *  point (lift_x, a square root): 5.1 us of a 43.6 us verification on the
 *  2-core bench machine. The output-key policy asks only whether the bytes
 *  are a point at all (zc_pubkey_is_valid, a Legendre symbol): 1.6 us a
 *  key, two keys a payment. A key that is paid or spends again (a hot
 *  address of an exchange or a merchant, change back to the key it came
 *  from) need not be lifted again: this cache keeps the keys it last saw,
 *  with their points once a verification has lifted them.
 *
 *  Bounded: a fixed number of slots, allocated at creation and never
 *  grown; a key goes to one slot, chosen by SipHash under the process's
 *  secret key (zc_hashkey_hash), and replaces what was there. Keys come
 *  from strangers, but nobody can predict a slot, and the worst a flood of
 *  fresh keys can do is make every look-up a miss: the cost without the
 *  cache plus one hash. Only keys that are points are kept. A hit compares
 *  all 32 bytes, so a cached point is only ever used for its own key.
 *
 *  Not thread-safe: one cache per thread (a validator has one thread).
 */
#ifndef ZC_KEYCACHE_H_INCLUDED
#define ZC_KEYCACHE_H_INCLUDED

#include "zc_key.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The default: 2,048 slots of 97 bytes, 194 KiB, a fifth of one core's
//  L2 on the bench machine
#define ZC_KEYCACHE_SLOTS 2048

typedef struct _zc_keycache_t zc_keycache_t;

typedef struct {
    uint64_t hits;                      //  answered from a slot
    uint64_t misses;                    //  computed (and kept, if a point)
} zc_keycache_stats_t;

//  A cache of slots slots (rounded up to a power of two, at least 1).
//  Returns it, or NULL when out of memory or slots is over 2^24.
zc_keycache_t *
    zc_keycache_new (size_t slots);

//  Free the cache and set *self_p to NULL.
void
    zc_keycache_destroy (zc_keycache_t **self_p);

//  zc_verify_msg: true when pubkey is a point and sig is its BIP340
//  signature of msg (size bytes), with the point from the cache when it
//  holds the key's (a miss lifts it and keeps it). In: self, or NULL for
//  no cache.
bool
    zc_keycache_verify (zc_keycache_t *self, const uint8_t pubkey [ZC_PUBKEY_SIZE],
                        const uint8_t *msg, size_t size, const uint8_t sig [ZC_SIG_SIZE]);

//  zc_pubkey_is_valid: true when the 32 bytes are the x coordinate of a
//  curve point, from the cache when it holds the key (a miss computes the
//  Legendre symbol and keeps a point's key, not yet lifted). In: self, or
//  NULL for no cache.
bool
    zc_keycache_is_valid (zc_keycache_t *self, const uint8_t pubkey [ZC_PUBKEY_SIZE]);

//  The counts since creation. Out: *stats (zeros for a NULL self).
void
    zc_keycache_stats (const zc_keycache_t *self, zc_keycache_stats_t *stats);

#endif
