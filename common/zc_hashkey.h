/*  zc_hashkey.h - CZMQ hash tables keyed by binary hashes and outpoints
 *
 *  Keys are 32-byte hashes (txids, wtxids, block hashes) or 36-byte
 *  outpoint keys (zc_outpoint_key). A borrowing table keeps the caller's
 *  key pointer (the key must live in the item, as long as the entry); an
 *  owning table copies each key and frees it with the entry.
 *
 *  Keys come from strangers (the outpoints a submitted transaction names,
 *  the ids a peer announces), so the tables hash them with SipHash-2-4
 *  under a key drawn at random once per process: nobody can choose keys
 *  that pile into one chain (zhashx grows its table for a long chain, and
 *  keys sharing a hash made it grow until memory ran out).
 */
#ifndef ZC_HASHKEY_H_INCLUDED
#define ZC_HASHKEY_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define ZC_HASHKEY_HASH 32
#define ZC_HASHKEY_OUTPOINT 36

//  A new table for keys of key_size bytes (32 or 36); NULL when out of
//  memory or for another size.
zhashx_t *
    zc_hashkey_table (size_t key_size, bool borrow_keys);

//  SipHash-2-4 of data under a 16-byte key (the tables' hash; public for
//  its test vectors).
uint64_t
    zc_hashkey_siphash (const uint8_t key [16], const void *data, size_t size);

//  SipHash-2-4 of data under the process's secret key (drawn at random
//  once per process): the hash of the tables here and of zc_keytable.h.
uint64_t
    zc_hashkey_hash (const void *data, size_t size);

#endif
