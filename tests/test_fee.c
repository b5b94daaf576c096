/*  test_fee.c - fee histograms, depth rates and estimates */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_fee.h"

#include <stdint.h>
#include <string.h>

//  The usage: a pool of 3 blocks' worth at falling rates; the estimates
//  follow the mempool for the next block and the chain's blocks beyond
static void
test_estimate_usage (void **state)
{
    (void) state;
    zc_fee_item_t pool [30];
    for (int i = 0; i < 30; i++)
        pool [i] = (zc_fee_item_t) { .rate = 1000 + 1000 * (uint64_t) i, .bytes = 100 };
    zc_fee_sort (pool, 30);
    assert_int_equal (pool [0].rate, 30000);
    assert_int_equal (pool [29].rate, 1000);
    uint64_t depth [12];
    zc_fee_depth_rates (pool, 30, 1000, depth, 12);
    assert_int_equal (depth [0], 21000);        //  the 10th best fills the first block
    assert_int_equal (depth [1], 11000);
    assert_int_equal (depth [2], 1000);
    assert_int_equal (depth [3], 0);            //  the pool does not fill a 4th
    uint64_t blocks [12] = { 5000, 9000, 2000, 8000, 7000, 3000, 6000, 4000, 1000, 1000, 1000, 1000 };
    uint32_t targets [4] = { 1, 3, 6, 12 };
    uint64_t out [4];
    zc_fee_estimate (depth, 12, blocks, 12, 1000, targets, 4, out);
    assert_int_equal (out [0], 21000);
    //  depth [2] 1000 is below the median 5000 of {5000, 9000, 2000}
    assert_int_equal (out [1], 1000);
    assert_int_equal (out [2], 1000);
    assert_int_equal (out [3], 1000);
}

static void
test_estimate_bounds (void **state)
{
    (void) state;
    uint32_t targets [4] = { 1, 3, 6, 12 };
    uint64_t out [4];
    //  empty pool, no blocks: the minimum everywhere
    uint64_t depth [12] = { 0 };
    zc_fee_estimate (depth, 12, NULL, 0, 1000, targets, 4, out);
    for (int i = 0; i < 4; i++)
        assert_int_equal (out [i], 1000);
    //  a full pool: the chain's median caps the far targets, never above nearer ones
    for (int i = 0; i < 12; i++)
        depth [i] = 50000 - 1000 * (uint64_t) i;
    uint64_t blocks [3] = { 2000, 90000, 3000 };
    zc_fee_estimate (depth, 12, blocks, 3, 1000, targets, 4, out);
    assert_int_equal (out [0], 50000);
    assert_int_equal (out [1], 3000);           //  median of 3 blocks
    assert_int_equal (out [2], 3000);           //  only 3 known: their median
    assert_int_equal (out [3], 3000);
    //  rates under the minimum are lifted to it
    uint64_t low [3] = { 10, 20, 30 };
    zc_fee_estimate (depth, 12, low, 3, 1000, targets, 4, out);
    assert_int_equal (out [1], 1000);
    //  non-increasing with the target
    uint64_t rising [12] = { 1, 100000, 100000, 100000, 100000, 100000, 100000, 100000, 100000, 100000, 100000, 100000 };
    zc_fee_estimate (rising, 12, NULL, 0, 500, targets, 4, out);
    assert_int_equal (out [0], 500);
    assert_int_equal (out [3], 500);
}

static void
test_histogram (void **state)
{
    (void) state;
    zc_fee_item_t out [ZC_FEE_MAX_BUCKETS + 5];
    assert_int_equal (zc_fee_histogram (NULL, 0, out, 10), 0);
    //  one transaction: one bucket with its rate and bytes
    zc_fee_item_t one = { 2500, 180 };
    assert_int_equal (zc_fee_histogram (&one, 1, out, 10), 1);
    assert_int_equal (out [0].rate, 2500);
    assert_int_equal (out [0].bytes, 180);
    //  100 of 1,000 bytes: buckets of 5,000 bytes (a twentieth), rates falling
    zc_fee_item_t items [100];
    for (int i = 0; i < 100; i++)
        items [i] = (zc_fee_item_t) { .rate = 100 * (uint64_t) (i + 1), .bytes = 1000 };
    zc_fee_sort (items, 100);
    size_t n = zc_fee_histogram (items, 100, out, ZC_FEE_MAX_BUCKETS + 5);
    assert_int_equal (n, 20);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += out [i].bytes;
        if (i)
            assert_true (out [i].rate < out [i - 1].rate);
    }
    assert_int_equal (sum, 100000);
    assert_int_equal (out [0].rate, 9600);
    assert_int_equal (out [19].rate, 100);
    //  fewer buckets allowed: the last takes the rest, the bytes still add up
    n = zc_fee_histogram (items, 100, out, 3);
    assert_int_equal (n, 3);
    assert_int_equal (out [2].bytes, 90000);
    assert_int_equal (out [2].rate, 100);
}

static void
test_block_rate (void **state)
{
    (void) state;
    assert_int_equal (zc_fee_block_rate (0, 0), 0);
    assert_int_equal (zc_fee_block_rate (500, 0), 0);
    assert_int_equal (zc_fee_block_rate (250, 250), 1000);
    assert_int_equal (zc_fee_block_rate (2100000000000000ULL, 1), 2100000000000000000ULL);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_estimate_usage),
        cmocka_unit_test (test_estimate_bounds),
        cmocka_unit_test (test_histogram),
        cmocka_unit_test (test_block_rate),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
