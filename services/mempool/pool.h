/*  pool.h - the set of accepted unconfirmed transactions, without sockets
 *
 *  Holds each transaction with its fee, indexed by txid and by the
 *  outpoints it spends; links parents and children inside the pool and
 *  keeps, per entry, the count, bytes and fees of its in-pool ancestors and
 *  of its descendants (itself included in both), up to date on every add
 *  and removal. Those packages are capped (Bitcoin Core's limits: 25
 *  ancestors, 25 descendants, 101,000 bytes each way), so every walk along
 *  the links is bounded by the limits: no operation costs more than about
 *  limits x inputs per transaction it touches. Orders by ancestor fee rate
 *  for block templates (parents first) and by descendant fee rate for
 *  eviction; caps its memory and expires old entries. Removing a
 *  transaction removes its descendants too (they spend outputs that no
 *  longer exist).
 */
#ifndef MEMPOOL_POOL_H_INCLUDED
#define MEMPOOL_POOL_H_INCLUDED

#include "zc_err.h"
#include "zc_tx.h"
#include "zc_utxo.h"

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
    uint32_t n_children;                //  in-pool transactions spending it
    //  its packages, the entry itself included
    uint32_t n_ancestors;
    uint32_t n_descendants;
    uint64_t ancestor_bytes;
    uint64_t descendant_bytes;
    uint64_t ancestor_fees;
    uint64_t descendant_fees;
    zc_coin_t *coins;                   //  the coins its inputs spend (pool_set_coins), or NULL
} pool_entry_t;

//  The package limits; each counts the transaction itself
typedef struct {
    uint32_t max_ancestors;             //  too_long_chain beyond
    uint32_t max_descendants;           //  too_many_descendants beyond
    uint64_t max_package_bytes;         //  package_too_large: ancestors' or descendants' bytes
} pool_limits_t;

//  Why entries left the pool (the numbers of zc.RemoveReason)
typedef enum {
    POOL_CONFIRMED = 1,
    POOL_CONFLICT = 2,
    POOL_EXPIRED = 3,
    POOL_EVICTED = 4,
    POOL_REPLACED = 5,
    POOL_REORG = 6
} pool_remove_t;

//  Called for each entry removed, just before it is freed. It must not
//  change the pool.
typedef void (pool_removed_fn) (void *arg, const pool_entry_t *entry, pool_remove_t why);

//  A pool holding at most max_bytes of transactions (their memory,
//  estimated) within limits (copied).
pool_t *
    pool_new (size_t max_bytes, const pool_limits_t *limits);

void
    pool_destroy (pool_t **self_p);

//  Set the callback told about removals (events, metrics, persistence).
void
    pool_set_removed (pool_t *self, pool_removed_fn *fn, void *arg);

const pool_limits_t *
    pool_limits (const pool_t *self);

size_t
    pool_count (const pool_t *self);

size_t
    pool_bytes (const pool_t *self);

//  Memory the entries take, estimated (what max_bytes caps)
size_t
    pool_usage (const pool_t *self);

//  A number that changes whenever an entry comes or goes (for caches)
uint64_t
    pool_changes (const pool_t *self);

//  Entries visited by the walks along parent and child links since the
//  pool was made: the work the pool did for chains (tests assert on it)
uint64_t
    pool_visits (const pool_t *self);

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

//  The in-pool ancestors of entry, itself not included, into out (pointers
//  valid until the pool changes); returns how many, or max + 1 (out full)
//  when there are more than max.
size_t
    pool_ancestors (pool_t *self, const pool_entry_t *entry, const pool_entry_t **out,
                    size_t max);

//  Can a transaction of this size and fee rate enter now? ZC_OK, or
//  ZC_ERR_MEMPOOL_FULL when the pool is full of better-paying ones.
zc_err_t
    pool_admits (const pool_t *self, const zc_tx_t *tx, uint64_t rate);

//  Add a checked transaction (its inputs exist, unspent by the pool);
//  takes tx and raw. ZC_OK, ZC_ERR_DUPLICATE, ZC_ERR_DOUBLE_SPEND if an
//  input is spent in the pool, ZC_ERR_UNKNOWN_INPUT if it names an output
//  a pool parent does not have, ZC_ERR_TOO_LONG_CHAIN,
//  ZC_ERR_TOO_MANY_DESCENDANTS or ZC_ERR_PACKAGE_TOO_LARGE when a limit
//  would break, ZC_ERR_INTERNAL; on error tx and raw are freed. Entries
//  that already spend its outputs (a block holding it was disconnected)
//  are removed first with POOL_REORG: the caller may submit them again.
//  Never evicts: pool_trim does, once the caller has made the additions
//  durable.
zc_err_t
    pool_add (pool_t *self, zc_tx_t **tx_p, uint8_t **raw_p, uint64_t fee, uint64_t now_ms);

//  Keep a copy of the coins txid's inputs spend (one per input, input
//  order), for answers about it (its inputs' values and owners). 0, or -1
//  when it is not in the pool or memory is short.
int
    pool_set_coins (pool_t *self, const zc_hash_t *txid, const zc_coin_t *coins);

//  The most transactions one replacement may evict, its direct conflicts
//  and their descendants together (BIP125 rule 5)
#define POOL_MAX_REPLACED 100

//  What a replacement would evict
typedef struct {
    size_t n_conflicts;                 //  pool transactions spending one of its inputs
    size_t n_evicted;                   //  those and their descendants
    uint64_t evicted_fees;
    uint64_t evicted_bytes;
    const char *detail;                 //  why it is refused (static), or NULL
} pool_replacement_t;

//  May tx, paying fee, replace the pool transactions that spend its
//  inputs? Every pool transaction may be replaced (full replace-by-fee:
//  transactions carry no opt-in signal). The rules, BIP125's:
//    - its fee rate is above that of every transaction it conflicts with;
//    - it pays at least the fees of all it evicts (the conflicts and
//      their descendants), plus min_rate for its own size: the extra fee
//      pays for relaying it;
//    - it evicts at most POOL_MAX_REPLACED transactions;
//    - it spends no unconfirmed output but those the conflicts spent
//      outputs of (no new unconfirmed parents), and none of what it evicts.
//  Returns ZC_OK (out->n_conflicts 0: it conflicts with nothing),
//  ZC_ERR_INSUFFICIENT_FEE (fee or fee rate too low), ZC_ERR_DOUBLE_SPEND
//  (too many evicted, or a new unconfirmed input); the reason in
//  out->detail. In: tx decoded, fee its fee, min_rate in units/kB.
zc_err_t
    pool_replacement (pool_t *self, const zc_tx_t *tx, uint64_t fee, uint64_t min_rate,
                      pool_replacement_t *out);

//  Remove, as POOL_REPLACED, every pool transaction spending an input of
//  tx, with its descendants (after pool_replacement allowed it).
//  Returns how many left.
size_t
    pool_replace (pool_t *self, const zc_tx_t *tx);

//  Take back an entry pool_add just added (its write failed): it goes
//  without a callback; anything spending it goes with POOL_REORG.
void
    pool_undo (pool_t *self, const zc_hash_t *txid);

//  Over the memory limit: evict the lowest descendant fee rates, each with
//  its descendants, down to 95% of the limit, sparing the ancestors of the
//  n_keep entries named (just added). Below half the limit the fee floor
//  of pool_admits is lifted.
void
    pool_trim (pool_t *self, const zc_hash_t *keep, size_t n_keep);

//  Remove a transaction and its descendants.
void
    pool_remove (pool_t *self, const zc_hash_t *txid, pool_remove_t why);

//  Remove what spends any output of tx (not in the pool), with descendants.
void
    pool_remove_spenders (pool_t *self, const zc_tx_t *tx, pool_remove_t why);

//  A block connected: remove its transactions (confirmed; their children
//  stay) and whatever else spends their inputs (conflict), with descendants.
void
    pool_block_connected (pool_t *self, zc_tx_t *const *txs, uint32_t n_tx);

//  Remove entries accepted before now_ms - max_age_ms.
void
    pool_expire (pool_t *self, uint64_t now_ms, uint64_t max_age_ms);

//  Choose transactions for a block: highest ancestor fee rate first, each
//  package (an entry with its unchosen ancestors) parents first, within
//  max_bytes. Fills out (up to max_out pointers to entries, valid until the
//  pool changes); returns how many; *fees_p gets their fees.
size_t
    pool_template (pool_t *self, size_t max_bytes, const pool_entry_t **out, size_t max_out,
                   uint64_t *fees_p);

//  Visit entries (any order) while visit returns true. visit must not look
//  entries up (a look-up moves the iteration's cursor).
void
    pool_each (pool_t *self, bool (*visit) (void *arg, const pool_entry_t *entry), void *arg);

//  Recompute every entry's links and packages from the transactions
//  themselves (not from the links kept) and compare, and check the limits
//  and totals: 0, or -1 with what differs in err. For tests and fuzzers:
//  it costs the whole pool times the limits.
int
    pool_check (pool_t *self, char *err, size_t err_size);

//  Fee rate (units/kB) of fee paid by size bytes.
uint64_t
    pool_rate (uint64_t fee, size_t size);

#endif
