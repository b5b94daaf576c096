/*  zc_hashkey.h - CZMQ hash tables keyed by binary hashes and outpoints
 *
 *  Keys are 32-byte hashes (txids, wtxids, block hashes) or 36-byte
 *  outpoint keys (zc_outpoint_key). A borrowing table keeps the caller's
 *  key pointer (the key must live in the item, as long as the entry); an
 *  owning table copies each key and frees it with the entry.
 */
#ifndef ZC_HASHKEY_H_INCLUDED
#define ZC_HASHKEY_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#define ZC_HASHKEY_HASH 32
#define ZC_HASHKEY_OUTPOINT 36

//  A new table for keys of key_size bytes (32 or 36); NULL when out of
//  memory or for another size.
zhashx_t *
    zc_hashkey_table (size_t key_size, bool borrow_keys);

#endif
