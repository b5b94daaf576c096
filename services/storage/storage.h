/*  storage.h - the storage actor: the single writer of chain state
 *
 *  Binds the api (ROUTER: tip, blocks, headers, transactions, outputs,
 *  addresses, events replay, block submission), the events PUB (topic
 *  "chain": every connect and disconnect, numbered) and the work ROUTER
 *  (signature checks go to validators). Follows the mempool's events to
 *  skip verifying transactions the mempool had verified already.
 */
#ifndef STORAGE_H_INCLUDED
#define STORAGE_H_INCLUDED

#include "zc_service.h"

typedef struct {
    zc_service_cfg_t common;
    const char *db;                     //  RocksDB directory
    const char *api;
    const char *events;
    const char *work;
    const char *mempool_events;         //  empty: verify every transaction
    bool sync;                          //  fsync every connected block
    int64_t verified_cache;             //  wtxids remembered as verified
    int64_t utxo_cache_mb;              //  bound of the coin cache
    int64_t job_items;                  //  transactions per validator job
    int64_t scrub_rate;                 //  MB a second the scrub reads; 0: none
    int64_t scrub_hours;                //  from one scrub pass's end to the next's start
    int64_t crash_after_event;          //  testing only: see storage_options
} storage_cfg_t;

//  Exit status of --crash-after-event
#define STORAGE_CRASH_STATUS 86

extern const zc_option_t storage_options [];

//  The actor (zactor_fn); args is a storage_cfg_t that outlives it. On
//  its pipe (zc_actor.h): signals 0 when up, serving or, on damaged chain
//  data, halted (every request refused with the damage, pings answered:
//  it stays up for an operator rather than be restarted in a loop), or 1
//  when it could not start (store unreadable, an endpoint that does not
//  bind); takes $TERM and no other command; ends on its own, with
//  ZC_ACTOR_STOPPED, when the store fails to write, to be started again
//  from the last good state.
void
    storage_actor (zsock_t *pipe, void *args);

#endif
