/*  zc_fee.h - fee-rate histograms and fee estimates, without sockets
 *
 *  Rates are base units per 1,000 bytes, the unit of the node's minimum
 *  relay fee. The estimate is a simple rule over two inputs, both bounded:
 *
 *      depth rates   what the mempool says: depth [k-1] is the fee rate
 *                    at which its transactions, best first, fill k blocks
 *                    (0 when they do not fill k blocks)
 *      block rates   what the chain says: each recent block's fees over
 *                    its bytes but the coinbase, newest first
 *
 *  estimate (1) = depth [0]: a transaction paying more than the first
 *                 block's worth of the mempool is in the next block
 *  estimate (N) = the smaller of depth [N-1] and the median rate of the
 *                 last N blocks (depth alone when no block rate is known)
 *  and then never more than the estimate of a nearer target, never less
 *  than the minimum relay fee.
 */
#ifndef ZC_FEE_H_INCLUDED
#define ZC_FEE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define ZC_FEE_MAX_DEPTH 25             //  most blocks a depth list covers
#define ZC_FEE_MAX_BUCKETS 40           //  most buckets a histogram has

typedef struct {
    uint64_t rate;                      //  units per 1,000 bytes
    uint64_t bytes;
} zc_fee_item_t;

//  Sort items by rate, highest first (ties: larger first, for a stable answer).
void
    zc_fee_sort (zc_fee_item_t *items, size_t n);

//  Esplora's fee histogram over items sorted by zc_fee_sort: buckets from
//  the highest rate down, each closed once it holds at least a twentieth
//  of all the bytes (and at least 1,000); a bucket's rate is the lowest
//  rate in it. Fills out (at most max, at most ZC_FEE_MAX_BUCKETS) and
//  returns how many.
size_t
    zc_fee_histogram (const zc_fee_item_t *items, size_t n, zc_fee_item_t *out, size_t max);

//  Depth rates over items sorted by zc_fee_sort: out [k-1] is the rate of
//  the item at which the cumulative bytes reach k * block_bytes, 0 when
//  they do not; n_out at most ZC_FEE_MAX_DEPTH. block_bytes must be > 0.
void
    zc_fee_depth_rates (const zc_fee_item_t *items, size_t n, uint64_t block_bytes,
                        uint64_t *out, size_t n_out);

//  The rate of a block that paid fees for fee_bytes bytes (0 for none).
uint64_t
    zc_fee_block_rate (uint64_t fees, uint64_t fee_bytes);

//  Estimates for n_targets targets (each 1..ZC_FEE_MAX_DEPTH, ascending)
//  into out, by the rule above. depth has n_depth entries; block_rates
//  n_blocks (newest first; fewer than a target asks for is fine).
void
    zc_fee_estimate (const uint64_t *depth, size_t n_depth, const uint64_t *block_rates,
                     size_t n_blocks, uint64_t min_rate, const uint32_t *targets,
                     size_t n_targets, uint64_t *out);

//  The estimates from the node's own answers: a GET_MEMPOOL reply asked
//  with_fees (its depth rates and minimum relay rate) and a GET_BLOCKS
//  reply of the latest blocks, newest first (those with fees_known count,
//  at most ZC_FEE_MAX_DEPTH of them). What /api/fee-estimates and zchain
//  estimatefee answer.
struct Zc__MempoolReply;
struct Zc__BlocksReply;
void
    zc_fee_estimate_from (const struct Zc__MempoolReply *mempool, const struct Zc__BlocksReply *blocks,
                          const uint32_t *targets, size_t n_targets, uint64_t *out);

#endif
