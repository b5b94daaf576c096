/*  zc_keytable.h - open-addressing tables keyed by binary hashes and outpoints
 *
 *  For the mempool's hot look-ups (several per transaction), where a
 *  zhashx chain costs three cache misses a probe (bucket, item, key behind
 *  a pointer) and a call through a comparator. Here a slot holds the key
 *  itself, its hash and the value, side by side: a look-up reads one run
 *  of slots, and compares keys only where the stored hash matches.
 *
 *  Keys are 32-byte hashes or 36-byte outpoint keys (zc_outpoint_key),
 *  copied into the table. They come from strangers, so they are hashed
 *  with SipHash-2-4 under the process's secret key (zc_hashkey_hash):
 *  nobody can choose keys that share a run. Linear probing, at most three
 *  quarters full; a delete shifts the run back (no tombstones), so a table
 *  never slows with churn. Values are never NULL (NULL means "absent").
 */
#ifndef ZC_KEYTABLE_H_INCLUDED
#define ZC_KEYTABLE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _zc_keytable_t zc_keytable_t;

//  An empty table for keys of key_size bytes (ZC_HASHKEY_HASH or
//  ZC_HASHKEY_OUTPOINT, zc_hashkey.h). Returns it, or NULL when out of
//  memory or for another size.
zc_keytable_t *
    zc_keytable_new (size_t key_size);

//  Free the table (not the values) and set *self_p to NULL.
void
    zc_keytable_destroy (zc_keytable_t **self_p);

//  Returns the value stored under key, or NULL.
void *
    zc_keytable_lookup (const zc_keytable_t *self, const void *key);

//  Store value (not NULL) under key, replacing what was there. Returns 0,
//  or -1 when the table had to grow and memory is short (nothing stored).
int
    zc_keytable_update (zc_keytable_t *self, const void *key, void *value);

//  Store value (not NULL) under key unless the key is there. Returns 0, or
//  -1 when it is there already (nothing changed) or memory is short.
int
    zc_keytable_insert (zc_keytable_t *self, const void *key, void *value);

//  Make room for n more keys, so that the next n inserts and updates of
//  new keys cannot fail for memory. Returns 0, or -1 when memory is short.
int
    zc_keytable_reserve (zc_keytable_t *self, size_t n);

//  Remove key. Returns the value it had, or NULL when it was not there.
void *
    zc_keytable_delete (zc_keytable_t *self, const void *key);

//  Remove key if it holds value (one hash and one probe, where a look-up
//  then a delete take two). Returns true when it did.
bool
    zc_keytable_remove (zc_keytable_t *self, const void *key, const void *value);

//  Remove every key; the slots stay allocated.
void
    zc_keytable_purge (zc_keytable_t *self);

//  Walk the values: start with *cursor at 0; each call returns the next
//  value and moves *cursor past it, or NULL at the end. In slot order, so
//  in no order a caller may count on. The table must not change during a
//  walk (a store may grow it; a delete shifts a run back over the cursor).
void *
    zc_keytable_next (const zc_keytable_t *self, size_t *cursor);

//  Keys stored
size_t
    zc_keytable_size (const zc_keytable_t *self);

//  Bytes the table holds (its slots)
size_t
    zc_keytable_bytes (const zc_keytable_t *self);

#endif
