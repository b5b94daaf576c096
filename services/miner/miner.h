/*  miner.h - the miner actor: templates in, proof of work, blocks out
 *
 *  Takes a template from the mempool, searches nonces under its own random
 *  extranonce (so replicas never repeat each other's work), abandons the
 *  search within milliseconds when storage announces a new tip, and submits
 *  what it finds to storage. In regtest, where a block takes two hashes,
 *  it paces itself: one block per --block-interval, not a burning CPU.
 */
#ifndef MINER_H_INCLUDED
#define MINER_H_INCLUDED

#include "zc_service.h"

typedef struct {
    zc_service_cfg_t common;
    const char *address;                //  where the coinbase pays
    const char *wallet;                 //  else: the first key of this wallet file
    const char *mempool_api;
    const char *storage_api;
    const char *storage_events;
    int64_t block_interval_ms;          //  regtest pacing; 0: as fast as possible
    int64_t max_block_bytes;
} miner_cfg_t;

extern const zc_option_t miner_options [];

//  The actor (zactor_fn); args is a miner_cfg_t that outlives it. On its
//  pipe (zc_actor.h): signals 0 when up, or 1 when it could not start (no
//  address or wallet, an address of another network, an endpoint it
//  cannot connect); takes $TERM, seen between two batches of hashes (and
//  a new tip is too), though a template request or a block submission
//  under way is waited for first (5 s, 30 s at most); no other command;
//  never ends on its own.
void
    miner_actor (zsock_t *pipe, void *args);

#endif
