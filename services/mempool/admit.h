/*  admit.h - a batch's package limits, checked before its transactions are verified
 *
 *  A batch's transactions may spend each other's outputs, and outputs of
 *  transactions still being checked in other batches, as well as the
 *  pool's. pool_add checks the limits exactly, at commit; this check comes
 *  first, before validators spend work: it counts the in-flight parents,
 *  and charges each transaction it passes to its ancestors, so that a chain
 *  or a fan inside one batch meets the limits as if its earlier members
 *  were in the pool already. For one batch against a pool that does not
 *  change meanwhile it gives the same verdicts as pool_add. Transactions
 *  of other batches are counted as ancestors but not as descendants (those
 *  are caught at commit).
 *
 *      admit_t *admit = admit_new (pool, lookup, arg);
 *      for each transaction of the batch, in order:
 *          reason = admit_check (admit, tx);
 *      admit_destroy (&admit);
 */
#ifndef MEMPOOL_ADMIT_H_INCLUDED
#define MEMPOOL_ADMIT_H_INCLUDED

#include "pool.h"

typedef struct _admit_t admit_t;

//  The transaction with this txid being checked (not yet in the pool;
//  refused ones too, as what spends them is refused anyway), or NULL;
//  borrowed.
typedef const zc_tx_t *(admit_flight_fn) (void *arg, const zc_hash_t *txid);

//  A check for one batch against pool; flight finds transactions in
//  flight. NULL when out of memory.
admit_t *
    admit_new (pool_t *pool, admit_flight_fn *flight, void *arg);

void
    admit_destroy (admit_t **self_p);

//  Would tx, after the batch's earlier passed transactions, keep every
//  package within the pool's limits? ZC_OK (and tx now counts for the
//  batch's later ones), ZC_ERR_TOO_LONG_CHAIN, ZC_ERR_TOO_MANY_DESCENDANTS,
//  ZC_ERR_PACKAGE_TOO_LARGE, or ZC_ERR_INTERNAL (out of memory).
zc_err_t
    admit_check (admit_t *self, const zc_tx_t *tx);

#endif
