/*  pool.h - the set of accepted unconfirmed transactions, without sockets
 *
 *  Holds each transaction with its fee, indexed by txid and by the
 *  outpoints it spends; knows parents and children inside the pool; orders
 *  by fee rate for block templates (parents first) and for eviction; caps
 *  its size in bytes and expires old entries. Removing a transaction
 *  removes its descendants too (they spend outputs that no longer exist).
 */
#ifndef MEMPOOL_POOL_H_INCLUDED
#define MEMPOOL_POOL_H_INCLUDED

#include "zc_err.h"
#include "zc_tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _pool_t pool_t;

typedef struct {
    zc_tx_t *tx;                        //  owned
    uint8_t *raw;                       //  canonical bytes, owned
    uint64_t fee;
    uint64_t time_ms;                   //  when accepted
    uint64_t rate;                      //  fee per 1000 bytes (units/kB)
    uint32_t n_parents;                 //  in-pool transactions it spends
    uint32_t depth;                     //  longest in-pool ancestor chain
} pool_entry_t;

//  Why entries left the pool (the numbers of zc.RemoveReason)
typedef enum {
    POOL_CONFIRMED = 1,
    POOL_CONFLICT = 2,
    POOL_EXPIRED = 3,
    POOL_EVICTED = 4,
    POOL_REORG = 6
} pool_remove_t;

//  Called for each entry removed, just before it is freed.
typedef void (pool_removed_fn) (void *arg, const pool_entry_t *entry, pool_remove_t why);

//  A pool holding at most max_bytes of transactions.
pool_t *
    pool_new (size_t max_bytes, uint32_t max_depth);

void
    pool_destroy (pool_t **self_p);

//  Set the callback told about removals (events, metrics, persistence).
void
    pool_set_removed (pool_t *self, pool_removed_fn *fn, void *arg);

size_t
    pool_count (const pool_t *self);

size_t
    pool_bytes (const pool_t *self);

//  Memory the entries take, estimated (what max_bytes caps)
size_t
    pool_usage (const pool_t *self);

//  The entry with this txid, or NULL.
const pool_entry_t *
    pool_find (const pool_t *self, const zc_hash_t *txid);

//  The pool transaction spending outpoint, or NULL.
const pool_entry_t *
    pool_spender (const pool_t *self, const zc_outpoint_t *outpoint);

//  The coin outpoint names if it is an output of a pool transaction:
//  1 filled (height 0xffffffff marks "unconfirmed"), 0 not in the pool.
int
    pool_coin (const pool_t *self, const zc_outpoint_t *outpoint, zc_coin_t *coin);

//  Can a transaction of this size and fee rate enter now? ZC_OK, or
//  ZC_ERR_MEMPOOL_FULL when the pool is full of better-paying ones, or
//  ZC_ERR_TOO_LONG_CHAIN when its unconfirmed ancestry is too deep.
zc_err_t
    pool_admits (const pool_t *self, const zc_tx_t *tx, uint64_t rate);

//  Add a checked transaction (its inputs exist, unspent by the pool);
//  takes tx and raw. Evicts the lowest fee rates if over the byte limit
//  (never the new entry's own ancestors). ZC_OK, ZC_ERR_DUPLICATE,
//  ZC_ERR_DOUBLE_SPEND if an input is spent in the pool, ZC_ERR_INTERNAL.
//  On error tx and raw are freed.
zc_err_t
    pool_add (pool_t *self, zc_tx_t **tx_p, uint8_t **raw_p, size_t raw_size, uint64_t fee,
              uint64_t now_ms);

//  Remove a transaction and its descendants.
void
    pool_remove (pool_t *self, const zc_hash_t *txid, pool_remove_t why);

//  A block connected: remove its transactions (confirmed) and whatever
//  else spends their inputs (conflict), with descendants.
void
    pool_block_connected (pool_t *self, zc_tx_t *const *txs, uint32_t n_tx);

//  Remove entries accepted before now_ms - max_age_ms.
void
    pool_expire (pool_t *self, uint64_t now_ms, uint64_t max_age_ms);

//  Choose transactions for a block: highest fee rate first, each after its
//  in-pool parents, within max_bytes. Fills out (up to max_out pointers
//  to entries, valid until the pool changes); returns how many; *fees_p
//  gets their fees.
size_t
    pool_template (pool_t *self, size_t max_bytes, const pool_entry_t **out, size_t max_out,
                   uint64_t *fees_p);

//  Visit entries (any order).
void
    pool_each (pool_t *self, void (*visit) (void *arg, const pool_entry_t *entry), void *arg);

//  Fee rate (units/kB) of fee paid by size bytes.
uint64_t
    pool_rate (uint64_t fee, size_t size);

#endif
