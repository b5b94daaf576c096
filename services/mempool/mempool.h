/*  mempool.h - the mempool actor: unconfirmed transactions, checked in batches
 *
 *  Binds the api (ROUTER: SUBMIT_TXS, GET_TEMPLATE, GET_MEMPOOL, GET_TX),
 *  the events PUB (topic "tx": accepted and removed, numbered) and the
 *  work ROUTER (validators). Connects to storage's api (batched output
 *  look-ups) and events (blocks connected and disconnected).
 *
 *  A submitted batch goes through: form and policy checks and conflicts
 *  (first seen wins) -> one GET_UTXOS for all inputs not in the pool ->
 *  amounts, fee rate, maturity -> validator jobs -> commit in arrival
 *  order, persisted, announced, answered. Nothing on this path waits
 *  synchronously: many batches are in flight at once.
 */
#ifndef MEMPOOL_H_INCLUDED
#define MEMPOOL_H_INCLUDED

#include "zc_service.h"

typedef struct {
    zc_service_cfg_t common;
    const char *db;                     //  RocksDB directory for accepted transactions
    const char *api;
    const char *events;
    const char *work;
    const char *storage_api;
    const char *storage_events;
    int64_t max_bytes;                  //  pool size limit
    int64_t min_fee_rate;               //  base units per 1000 bytes
    int64_t dust_fee_rate;              //  outputs worth less than their spending at it are dust
    int64_t expiry_hours;
    int64_t max_ancestors;              //  package limits (pool_limits_t)
    int64_t max_descendants;
    int64_t max_package_bytes;
    int64_t max_in_flight;              //  transactions being checked at once
    int64_t job_items;
    int64_t address_scans;              //  GET_ADDRESS_TXS walks of the pool a second (0: none)
} mempool_cfg_t;

extern const zc_option_t mempool_options [];

//  The actor (zactor_fn); args is a mempool_cfg_t that outlives it. On
//  its pipe (zc_actor.h): signals 0 when up, which is once storage has
//  told it the tip (it waits for storage as long as that takes, and gives
//  up on $TERM), or 1 when it could not start (its store unreadable, an
//  endpoint that does not bind); takes $TERM and no other command; never
//  ends on its own (a store that cannot write makes it refuse
//  transactions until it can).
void
    mempool_actor (zsock_t *pipe, void *args);

#endif
