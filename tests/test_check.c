/*  test_check.c - every context-free rule, each broken once */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_amount.h"
#include "zc_check.h"
#include "zc_hex.h"
#include "zc_key.h"
#include "zc_params.h"
#include "zc_pow.h"

#include <stdlib.h>
#include <string.h>

static const zc_params_t *s_params;
static const int64_t s_now = 1767300000;

static zc_tx_t *
s_tx (uint32_t n_in, uint32_t n_out)
{
    zc_tx_t *tx = zc_tx_new (n_in, n_out);
    for (uint32_t i = 0; i < n_in; i++) {
        memset (tx->in [i].prevout.txid.b, (int) i + 1, 32);
        tx->in [i].prevout.index = i;
    }
    for (uint32_t o = 0; o < n_out; o++)
        tx->out [o].amount = 1000;
    zc_tx_finalize (tx);
    return tx;
}

//  Mine (regtest: about two tries) so the header meets its target
static void
s_mine (zc_block_t *block)
{
    zc_block_finalize (block);
    zc_block_solve (block, s_params->pow_limit_bits);
}

static zc_block_t *
s_block (uint32_t n_tx)
{
    zc_block_t *block = zc_block_new (n_tx);
    uint8_t key [32];
    memset (key, 5, sizeof key);
    block->tx [0] = zc_coinbase_new (1, 0, 5000000000ULL, key);
    for (uint32_t t = 1; t < n_tx; t++) {
        block->tx [t] = s_tx (1, 1);
        block->tx [t]->in [0].prevout.index = t;        //  distinct txids
        zc_tx_finalize (block->tx [t]);
    }
    block->header.prev = *zc_params_genesis_hash (s_params);
    block->header.time = (uint32_t) s_now;
    block->header.bits = s_params->pow_limit_bits;
    s_mine (block);
    return block;
}

//  Usage: a well-formed transaction and block pass
static void
test_usage (void **state)
{
    (void) state;
    zc_tx_t *tx = s_tx (2, 2);
    assert_int_equal (zc_check_tx (tx), ZC_OK);
    assert_int_equal (zc_check_loose_tx (tx), ZC_OK);
    zc_tx_destroy (&tx);
    zc_block_t *block = s_block (3);
    assert_int_equal (zc_check_block (block, s_params, s_now), ZC_OK);
    zc_block_destroy (&block);
}

static void
test_tx_rules (void **state)
{
    (void) state;
    zc_tx_t *tx = s_tx (2, 2);
    tx->version = 2;
    assert_int_equal (zc_check_tx (tx), ZC_ERR_BAD_VERSION);
    zc_tx_destroy (&tx);

    tx = s_tx (0, 1);
    assert_int_equal (zc_check_tx (tx), ZC_ERR_EMPTY);
    zc_tx_destroy (&tx);
    tx = s_tx (1, 0);
    assert_int_equal (zc_check_tx (tx), ZC_ERR_EMPTY);
    zc_tx_destroy (&tx);

    tx = s_tx (1, 2);
    tx->out [0].amount = ZC_MAX_MONEY + 1;
    assert_int_equal (zc_check_tx (tx), ZC_ERR_BAD_AMOUNT);
    tx->out [0].amount = ZC_MAX_MONEY;                  //  each in range, sum not
    tx->out [1].amount = 1;
    assert_int_equal (zc_check_tx (tx), ZC_ERR_BAD_AMOUNT);
    tx->out [0].amount = UINT64_MAX;                    //  would wrap around
    tx->out [1].amount = 2;
    assert_int_equal (zc_check_tx (tx), ZC_ERR_BAD_AMOUNT);
    zc_tx_destroy (&tx);

    //  duplicate inputs, in a small and in a large transaction
    tx = s_tx (3, 1);
    tx->in [2].prevout = tx->in [0].prevout;
    assert_int_equal (zc_check_tx (tx), ZC_ERR_DUPLICATE_INPUT);
    zc_tx_destroy (&tx);
    tx = s_tx (40, 1);
    tx->in [39].prevout = tx->in [7].prevout;
    assert_int_equal (zc_check_tx (tx), ZC_ERR_DUPLICATE_INPUT);
    tx->in [39].prevout.index = 1000;
    assert_int_equal (zc_check_tx (tx), ZC_OK);
    //  same txid, another index: not a duplicate
    tx->in [39].prevout.txid = tx->in [7].prevout.txid;
    assert_int_equal (zc_check_tx (tx), ZC_OK);
    zc_tx_destroy (&tx);

    uint8_t key [32] = { 1 };
    tx = zc_coinbase_new (5, 0, 1, key);
    assert_int_equal (zc_check_tx (tx), ZC_OK);
    assert_int_equal (zc_check_loose_tx (tx), ZC_ERR_COINBASE_TX);
    zc_tx_destroy (&tx);
}

//  Relay policy: dust by the cost of spending, and keys that are points
static void
test_standard_rules (void **state)
{
    (void) state;
    //  140 bytes (output 40, the input spending it 36 + 64) at 3 units a byte
    assert_int_equal (ZC_DUST_SPEND_BYTES, 140);
    assert_int_equal (ZC_DUST_THRESHOLD_DEFAULT, 420);
    assert_int_equal (zc_dust_threshold (ZC_DUST_FEE_RATE_DEFAULT), 420);
    assert_int_equal (zc_dust_threshold (1001), 141);            //  rounded up
    assert_int_equal (zc_dust_threshold (0), 1);                 //  zero is always dust
    assert_int_equal (zc_dust_threshold (UINT64_MAX), UINT64_MAX);  //  saturates

    //  outputs to the generator's key (secret key 1): a point
    zc_seckey_t one = { { 0 } };
    one.b [31] = 1;
    uint8_t point [32];
    assert_int_equal (zc_seckey_pubkey (&one, point), 0);
    zc_tx_t *tx = s_tx (1, 2);
    for (uint32_t o = 0; o < 2; o++)
        memcpy (tx->out [o].pubkey, point, 32);
    tx->out [1].amount = 420;
    assert_int_equal (zc_check_standard_tx (tx, ZC_DUST_FEE_RATE_DEFAULT, NULL), ZC_OK);
    tx->out [1].amount = 419;
    assert_int_equal (zc_check_standard_tx (tx, ZC_DUST_FEE_RATE_DEFAULT, NULL), ZC_ERR_DUST);
    tx->out [1].amount = 0;
    assert_int_equal (zc_check_standard_tx (tx, ZC_DUST_FEE_RATE_DEFAULT, NULL), ZC_ERR_DUST);
    assert_int_equal (zc_check_standard_tx (tx, 0, NULL), ZC_ERR_DUST);
    tx->out [1].amount = 1;
    assert_int_equal (zc_check_standard_tx (tx, 0, NULL), ZC_OK);
    //  consensus does not care: the same transaction is valid in a block
    tx->out [1].amount = 0;
    assert_int_equal (zc_check_loose_tx (tx), ZC_OK);

    //  BIP340's key that is not on the curve, and an x beyond the field;
    //  the same with a cache that holds the good key (as the mempool's
    //  does), twice: a bad key is never taken for a kept one
    tx->out [1].amount = 420;
    zc_keycache_t *cache = zc_keycache_new (1);
    assert_non_null (cache);
    assert_int_equal (zc_check_standard_tx (tx, ZC_DUST_FEE_RATE_DEFAULT, cache), ZC_OK);
    for (int pass = 0; pass < 3; pass++) {
        zc_keycache_t *keys = pass ? cache : NULL;
        assert_int_equal (zc_hex_decode ("eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34",
                                         tx->out [1].pubkey, 32), 0);
        assert_int_equal (zc_check_standard_tx (tx, ZC_DUST_FEE_RATE_DEFAULT, keys), ZC_ERR_BAD_PUBKEY);
        assert_int_equal (zc_hex_decode ("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30",
                                         tx->out [1].pubkey, 32), 0);
        assert_int_equal (zc_check_standard_tx (tx, ZC_DUST_FEE_RATE_DEFAULT, keys), ZC_ERR_BAD_PUBKEY);
    }
    zc_keycache_stats_t stats;
    zc_keycache_stats (cache, &stats);
    assert_int_equal (stats.hits, 5);   //  out [0], the kept key, every time after the first
    zc_keycache_destroy (&cache);
    //  amounts are checked before keys
    tx->out [0].amount = 0;
    assert_int_equal (zc_check_standard_tx (tx, ZC_DUST_FEE_RATE_DEFAULT, NULL), ZC_ERR_DUST);
    zc_tx_destroy (&tx);
}

static void
test_block_rules (void **state)
{
    (void) state;
    zc_block_t *block = s_block (3);

    //  a coinbase in second place
    zc_tx_t *saved = block->tx [1];
    uint8_t key [32] = { 2 };
    block->tx [1] = zc_coinbase_new (9, 9, 1, key);
    s_mine (block);
    assert_int_equal (zc_check_block (block, s_params, s_now), ZC_ERR_COINBASE_TX);
    zc_tx_destroy (&block->tx [1]);
    block->tx [1] = saved;

    //  no coinbase first
    zc_tx_t *cb = block->tx [0];
    block->tx [0] = block->tx [2];
    block->tx [2] = cb;
    s_mine (block);
    assert_int_equal (zc_check_block (block, s_params, s_now), ZC_ERR_BAD_COINBASE);
    block->tx [2] = block->tx [0];
    block->tx [0] = cb;
    s_mine (block);
    assert_int_equal (zc_check_block (block, s_params, s_now), ZC_OK);

    //  merkle root that does not match (re-mined so only the root is wrong)
    block->header.merkle.b [0] ^= 1;
    zc_block_solve (block, s_params->pow_limit_bits);
    assert_int_equal (zc_check_block (block, s_params, s_now), ZC_ERR_BAD_MERKLE);
    s_mine (block);

    //  the same transaction twice: a mutated body, never "duplicate" (which
    //  relays read as "already have this block")
    zc_tx_destroy (&block->tx [2]);
    block->tx [2] = zc_tx_dup (block->tx [1]);
    s_mine (block);
    assert_int_equal (zc_check_block (block, s_params, s_now), ZC_ERR_BAD_MERKLE);
    zc_block_destroy (&block);

    //  no transactions at all
    block = zc_block_new (0);
    block->header.bits = s_params->pow_limit_bits;
    block->header.time = (uint32_t) s_now;
    s_mine (block);
    assert_int_equal (zc_check_block (block, s_params, s_now), ZC_ERR_EMPTY);
    zc_block_destroy (&block);
}

static void
test_header_rules (void **state)
{
    (void) state;
    zc_block_t *block = s_block (1);
    zc_header_t *h = &block->header;

    //  a hash above the target
    uint32_t good_nonce = h->nonce;
    do {
        h->nonce++;
        zc_header_hash (h, &block->hash);
    } while (zc_pow_check (&block->hash, h->bits, s_params->pow_limit_bits));
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_ERR_BAD_POW);
    h->nonce = good_nonce;
    zc_header_hash (h, &block->hash);
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_OK);

    //  a target easier than the network allows, and invalid compact forms
    h->bits = 0x2100ffff;
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_ERR_BAD_BITS);
    h->bits = 0x20800000;                       //  negative
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_ERR_BAD_BITS);
    h->bits = 0;
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_ERR_BAD_BITS);
    h->bits = s_params->pow_limit_bits;

    //  time: up to two hours ahead is fine, a second more is not
    h->time = (uint32_t) (s_now + s_params->max_future_time);
    s_mine (block);
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_OK);
    h->time++;
    s_mine (block);
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_ERR_BAD_TIME);

    h->version = 7;
    s_mine (block);
    assert_int_equal (zc_check_header (h, &block->hash, s_params, s_now), ZC_ERR_BAD_VERSION);

    //  against the parent: the required bits and a time after the median
    h->version = ZC_BLOCK_VERSION;
    zc_context_t ctx = { .height = 5, .median_time = h->time, .bits = h->bits };
    assert_int_equal (zc_check_header_context (h, &ctx), ZC_ERR_BAD_TIME);
    ctx.median_time = h->time - 1;
    assert_int_equal (zc_check_header_context (h, &ctx), ZC_OK);
    ctx.bits = 0x1d00ffff;
    assert_int_equal (zc_check_header_context (h, &ctx), ZC_ERR_BAD_BITS);
    zc_block_destroy (&block);
}

static void
test_coinbase_rules (void **state)
{
    (void) state;
    zc_block_t *block = s_block (1);
    assert_int_equal (zc_check_coinbase (block, 1, 0, s_params), ZC_OK);
    assert_int_equal (zc_check_coinbase (block, 2, 0, s_params), ZC_ERR_BAD_COINBASE);
    block->tx [0]->out [0].amount = 5000000100ULL;
    assert_int_equal (zc_check_coinbase (block, 1, 99, s_params), ZC_ERR_BAD_COINBASE);
    assert_int_equal (zc_check_coinbase (block, 1, 100, s_params), ZC_OK);
    zc_block_destroy (&block);
}

static void
test_median_time (void **state)
{
    (void) state;
    uint32_t times [] = { 5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 11, 100, 0 };
    assert_int_equal (zc_median_time (times, 1), 5);
    assert_int_equal (zc_median_time (times, 3), 5);        //  1 5 9
    assert_int_equal (zc_median_time (times, 11), 6);       //  1..11
    assert_int_equal (zc_median_time (times, 13), 7);       //  the last 11 of 13
    assert_int_equal (zc_median_time (times, 0), 0);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    return 0;
}

//  The maturity rule at its edges: a coinbase of height h spends at
//  h + maturity, not a block sooner; any other output at once
static void
test_coin_mature (void **state)
{
    (void) state;
    zc_coin_t coin = { .amount = 1, .height = 100, .coinbase = true };
    assert_false (zc_coin_mature (&coin, 100, 10));
    assert_false (zc_coin_mature (&coin, 109, 10));
    assert_true (zc_coin_mature (&coin, 110, 10));
    assert_true (zc_coin_mature (&coin, 4000000000u, 10));
    //  below the coin's own height: never (no wrap-around to a huge age)
    assert_false (zc_coin_mature (&coin, 99, 10));
    assert_true (zc_coin_mature (&coin, 100, 0));
    coin.coinbase = false;
    assert_true (zc_coin_mature (&coin, 100, 10));
    coin.height = UINT32_MAX;           //  an unconfirmed parent's output
    assert_true (zc_coin_mature (&coin, 101, 10));
}

//  zc_check_spends: maturity per coin, sums in range, outputs within inputs
static void
test_check_spends (void **state)
{
    (void) state;
    zc_tx_t *tx = zc_tx_new (2, 2);
    tx->out [0].amount = 60;
    tx->out [1].amount = 30;
    zc_coin_t coins [2] = { { .amount = 50, .height = 5 }, { .amount = 50, .height = 95, .coinbase = true } };
    uint64_t fee = 0;
    uint32_t bad = 0;
    assert_int_equal (zc_check_spends (tx, coins, 105, 10, &fee, &bad), ZC_OK);
    assert_true (fee == 10);
    assert_int_equal (bad, 2);          //  none at fault: n_in
    //  the coinbase one block too young: input 1 named
    assert_int_equal (zc_check_spends (tx, coins, 104, 10, &fee, &bad), ZC_ERR_IMMATURE_SPEND);
    assert_int_equal (bad, 1);
    //  outputs above inputs
    tx->out [1].amount = 41;
    assert_int_equal (zc_check_spends (tx, coins, 105, 10, &fee, NULL), ZC_ERR_BAD_AMOUNT);
    //  exactly the inputs: no fee
    tx->out [1].amount = 40;
    assert_int_equal (zc_check_spends (tx, coins, 105, 10, &fee, NULL), ZC_OK);
    assert_true (fee == 0);
    //  a coin above the money range, and inputs whose sum leaves it
    coins [0].amount = ZC_MAX_MONEY + 1;
    assert_int_equal (zc_check_spends (tx, coins, 105, 10, &fee, &bad), ZC_ERR_BAD_AMOUNT);
    assert_int_equal (bad, 0);
    coins [0].amount = ZC_MAX_MONEY;
    coins [1].amount = 1;
    assert_int_equal (zc_check_spends (tx, coins, 105, 10, &fee, &bad), ZC_ERR_BAD_AMOUNT);
    assert_int_equal (bad, 1);
    //  outputs whose sum leaves the range, inputs fine
    coins [1].amount = 0;
    tx->out [0].amount = ZC_MAX_MONEY;
    tx->out [1].amount = 1;
    assert_int_equal (zc_check_spends (tx, coins, 105, 10, &fee, &bad), ZC_ERR_BAD_AMOUNT);
    assert_int_equal (bad, 2);
    zc_tx_destroy (&tx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_coin_mature),
        cmocka_unit_test (test_check_spends),
        cmocka_unit_test (test_tx_rules),
        cmocka_unit_test (test_standard_rules),
        cmocka_unit_test (test_block_rules),
        cmocka_unit_test (test_header_rules),
        cmocka_unit_test (test_coinbase_rules),
        cmocka_unit_test (test_median_time),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
