/*  order.h - transactions in an order where each comes after its parents
 *
 *  Kahn's algorithm over the spends among the given transactions: linear
 *  in their inputs, for chains of any depth. Parents outside the set do
 *  not matter (they are in the pool or confirmed, or missing and refused
 *  later).
 */
#ifndef MEMPOOL_ORDER_H_INCLUDED
#define MEMPOOL_ORDER_H_INCLUDED

#include "zc_tx.h"

#include <stddef.h>

//  An order of txs [0..n) in which no transaction comes before one it
//  spends: order [k] is the index of the k-th; among those free to go, the
//  given order is kept. 0, or -1 when out of memory (order is then the
//  given order).
int
    order_parents_first (zc_tx_t *const *txs, size_t n, size_t *order);

#endif
