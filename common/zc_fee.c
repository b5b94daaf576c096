/*  zc_fee.c - fee-rate histograms and fee estimates */
#include "zc_fee.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static int
s_rate_descending (const void *a, const void *b)
{
    const zc_fee_item_t *x = a, *y = b;
    if (x->rate != y->rate)
        return x->rate < y->rate ? 1 : -1;
    return (x->bytes < y->bytes) - (x->bytes > y->bytes);
}

void
zc_fee_sort (zc_fee_item_t *items, size_t n)
{
    if (n > 1)
        qsort (items, n, sizeof *items, s_rate_descending);
}

size_t
zc_fee_histogram (const zc_fee_item_t *items, size_t n, zc_fee_item_t *out, size_t max)
{
    if (max > ZC_FEE_MAX_BUCKETS)
        max = ZC_FEE_MAX_BUCKETS;
    if (max == 0 || n == 0)
        return 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += items [i].bytes;
    uint64_t bound = total / 20 > 1000 ? total / 20 : 1000;
    size_t count = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += items [i].bytes;
        //  the last bucket takes the rest: the bytes always add up
        if ((bytes >= bound && count + 1 < max) || i + 1 == n) {
            out [count].rate = items [i].rate;
            out [count].bytes = bytes;
            count++;
            bytes = 0;
        }
    }
    return count;
}

void
zc_fee_depth_rates (const zc_fee_item_t *items, size_t n, uint64_t block_bytes, uint64_t *out,
                    size_t n_out)
{
    assert (block_bytes > 0);
    if (n_out > ZC_FEE_MAX_DEPTH)
        n_out = ZC_FEE_MAX_DEPTH;
    memset (out, 0, n_out * sizeof *out);
    uint64_t bytes = 0;
    size_t k = 0;
    for (size_t i = 0; i < n && k < n_out; i++) {
        bytes += items [i].bytes;
        while (k < n_out && bytes >= (k + 1) * block_bytes)
            out [k++] = items [i].rate;
    }
}

uint64_t
zc_fee_block_rate (uint64_t fees, uint64_t fee_bytes)
{
    if (fee_bytes == 0)
        return 0;
    //  fees are at most the money supply (< 2^51): no overflow at * 1000
    return fees * 1000 / fee_bytes;
}

static int
s_ascending (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}

//  The median of the first n rates (the lower middle one for an even n)
static uint64_t
s_median (const uint64_t *rates, size_t n)
{
    uint64_t sorted [ZC_FEE_MAX_DEPTH];
    memcpy (sorted, rates, n * sizeof *rates);
    qsort (sorted, n, sizeof *sorted, s_ascending);
    return sorted [(n - 1) / 2];
}

void
zc_fee_estimate (const uint64_t *depth, size_t n_depth, const uint64_t *block_rates,
                 size_t n_blocks, uint64_t min_rate, const uint32_t *targets, size_t n_targets,
                 uint64_t *out)
{
    if (n_blocks > ZC_FEE_MAX_DEPTH)
        n_blocks = ZC_FEE_MAX_DEPTH;
    uint64_t nearer = UINT64_MAX;
    for (size_t t = 0; t < n_targets; t++) {
        uint32_t target = targets [t];
        assert (target >= 1 && target <= ZC_FEE_MAX_DEPTH);
        uint64_t rate = target <= n_depth ? depth [target - 1] : 0;
        if (target > 1 && n_blocks > 0) {
            uint64_t median = s_median (block_rates, target < n_blocks ? target : n_blocks);
            if (median < rate)
                rate = median;
        }
        if (rate > nearer)
            rate = nearer;
        if (rate < min_rate)
            rate = min_rate;
        out [t] = nearer = rate;
    }
}

void
zc_fee_estimate_from (const Zc__MempoolReply *mempool, const Zc__BlocksReply *blocks,
                      const uint32_t *targets, size_t n_targets, uint64_t *out)
{
    uint64_t rates [ZC_FEE_MAX_DEPTH];
    size_t n_rates = 0;
    for (size_t i = 0; i < blocks->n_blocks && n_rates < ZC_FEE_MAX_DEPTH; i++)
        if (blocks->blocks [i]->fees_known)
            rates [n_rates++] = zc_fee_block_rate (blocks->blocks [i]->fees, blocks->blocks [i]->fee_bytes);
    size_t n_depth = mempool->n_depth_rates < ZC_FEE_MAX_DEPTH ? mempool->n_depth_rates : ZC_FEE_MAX_DEPTH;
    zc_fee_estimate (mempool->depth_rates, n_depth, rates, n_rates, mempool->min_fee_rate, targets,
                     n_targets, out);
}
