/*  test_verify.c - the validator's job: signatures, and nothing that needs
 *  chain state
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "verify.h"
#include "zc_params.h"

#include <stdlib.h>
#include <string.h>

#define N_IN 3

typedef struct {
    zc_seckey_t keys [N_IN];
    zc_coin_t coins [N_IN];
    zc_tx_t *tx;
    uint8_t *raw;
    size_t size;
    const zc_hash_t *genesis;
    zc_keycache_t *cache;               //  as a validator verifies: keys through a cache
} s_fixture_t;

//  A transaction of N_IN inputs, each coin owned by its own key, paying
//  out_amount in one output, signed; its bytes in raw
static void
s_make (s_fixture_t *f, uint64_t out_amount, bool coinbase_coins)
{
    memset (f, 0, sizeof *f);
    f->genesis = zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST));
    f->cache = zc_keycache_new (ZC_KEYCACHE_SLOTS);
    assert_non_null (f->cache);
    f->tx = zc_tx_new (N_IN, 1);
    for (uint32_t i = 0; i < N_IN; i++) {
        assert_int_equal (zc_seckey_generate (&f->keys [i]), 0);
        assert_int_equal (zc_seckey_pubkey (&f->keys [i], f->coins [i].pubkey), 0);
        f->coins [i].amount = 1000 + i;
        f->coins [i].height = 500;
        f->coins [i].coinbase = coinbase_coins;
        memset (f->tx->in [i].prevout.txid.b, 0x40 + (int) i, 32);
        f->tx->in [i].prevout.index = i;
    }
    f->tx->out [0].amount = out_amount;
    memcpy (f->tx->out [0].pubkey, f->coins [0].pubkey, 32);
    assert_int_equal (zc_tx_sign (f->tx, f->coins, f->genesis, f->keys), 0);
    f->raw = zc_tx_encode (f->tx, &f->size);
    assert_non_null (f->raw);
}

static void
s_free (s_fixture_t *f)
{
    for (uint32_t i = 0; i < N_IN; i++)
        zc_seckey_wipe (&f->keys [i]);
    zc_tx_destroy (&f->tx);
    free (f->raw);
    zc_keycache_destroy (&f->cache);
}

//  Usage: a signed transaction's bytes and the coins it spends verify
static void
test_usage (void **state)
{
    (void) state;
    s_fixture_t f;
    s_make (&f, 2000, false);
    verify_verdict_t v = verify_tx (f.raw, f.size, f.coins, N_IN, f.genesis, f.cache);
    assert_int_equal (v.reason, ZC_OK);
    s_free (&f);
}

//  The state rules are not the validator's: outputs above the inputs,
//  coinbase coins far from mature, both at once, still verify when the
//  signatures do (the mempool and storage judge those, where the coins are)
static void
test_state_rules_are_not_checked (void **state)
{
    (void) state;
    s_fixture_t f;
    s_make (&f, 1000000, true);         //  pays more than its 3003 in, spends fresh coinbases
    verify_verdict_t v = verify_tx (f.raw, f.size, f.coins, N_IN, f.genesis, f.cache);
    assert_int_equal (v.reason, ZC_OK);
    s_free (&f);
}

//  A bad signature names its input; a coin given with another amount or
//  key than the one signed for fails too (the signature hash commits to
//  every spent coin), and so does another network
static void
test_bad_signatures (void **state)
{
    (void) state;
    s_fixture_t f;
    s_make (&f, 2000, false);
    f.raw [f.size - 64 + 5] ^= 1;       //  the last input's signature
    verify_verdict_t v = verify_tx (f.raw, f.size, f.coins, N_IN, f.genesis, f.cache);
    assert_int_equal (v.reason, ZC_ERR_BAD_SIG);
    assert_int_equal (v.input, N_IN - 1);
    f.raw [f.size - 64 + 5] ^= 1;

    f.coins [1].amount++;
    v = verify_tx (f.raw, f.size, f.coins, N_IN, f.genesis, f.cache);
    assert_int_equal (v.reason, ZC_ERR_BAD_SIG);
    assert_int_equal (v.input, 0);      //  every input's message changed: the first fails
    f.coins [1].amount--;

    f.coins [2].pubkey [3] ^= 1;
    v = verify_tx (f.raw, f.size, f.coins, N_IN, f.genesis, f.cache);
    assert_int_equal (v.reason, ZC_ERR_BAD_SIG);
    f.coins [2].pubkey [3] ^= 1;

    v = verify_tx (f.raw, f.size, f.coins, N_IN,
                   zc_params_genesis_hash (zc_params_get (ZC_NET_DEVNET)), f.cache);
    assert_int_equal (v.reason, ZC_ERR_BAD_SIG);
    assert_int_equal (verify_tx (f.raw, f.size, f.coins, N_IN, f.genesis, f.cache).reason, ZC_OK);
    s_free (&f);
}

//  Untrusted bytes: truncated at every length, one byte more, oversized,
//  absent, all rejected with the decoder's reason and never read past
static void
test_bytes_that_do_not_decode (void **state)
{
    (void) state;
    s_fixture_t f;
    s_make (&f, 2000, false);
    for (size_t cut = 0; cut < f.size; cut++) {
        //  a copy of exactly cut bytes, so ASan sees any read beyond
        uint8_t *copy = malloc (cut ? cut : 1);
        memcpy (copy, f.raw, cut);
        zc_err_t reason = verify_tx (copy, cut, f.coins, N_IN, f.genesis, f.cache).reason;
        assert_int_equal (reason, ZC_ERR_MALFORMED);
        free (copy);
    }
    uint8_t *longer = calloc (1, f.size + 1);
    memcpy (longer, f.raw, f.size);
    assert_int_equal (verify_tx (longer, f.size + 1, f.coins, N_IN, f.genesis, f.cache).reason,
                      ZC_ERR_MALFORMED);
    free (longer);
    uint8_t *big = calloc (1, ZC_TX_MAX_BYTES + 1);
    assert_int_equal (verify_tx (big, ZC_TX_MAX_BYTES + 1, f.coins, N_IN, f.genesis, f.cache).reason,
                      ZC_ERR_OVERSIZE);
    free (big);
    assert_int_equal (verify_tx (NULL, 0, f.coins, N_IN, f.genesis, f.cache).reason, ZC_ERR_MALFORMED);
    s_free (&f);
}

//  A job that makes no sense: coins that are not one per input, or a
//  transaction with no signature to check (a coinbase, no inputs)
static void
test_bad_requests (void **state)
{
    (void) state;
    s_fixture_t f;
    s_make (&f, 2000, false);
    assert_int_equal (verify_tx (f.raw, f.size, f.coins, N_IN - 1, f.genesis, f.cache).reason,
                      ZC_ERR_BAD_REQUEST);
    assert_int_equal (verify_tx (f.raw, f.size, f.coins, 0, f.genesis, f.cache).reason,
                      ZC_ERR_BAD_REQUEST);

    zc_tx_t *coinbase = zc_coinbase_new (7, 1, 5000000000ULL, f.coins [0].pubkey);
    size_t size;
    uint8_t *raw = zc_tx_encode (coinbase, &size);
    assert_int_equal (verify_tx (raw, size, f.coins, 1, f.genesis, f.cache).reason, ZC_ERR_BAD_REQUEST);
    free (raw);
    zc_tx_destroy (&coinbase);

    zc_tx_t *none = zc_tx_new (0, 1);
    none->out [0].amount = 1;
    zc_tx_finalize (none);
    raw = zc_tx_encode (none, &size);
    assert_int_equal (verify_tx (raw, size, f.coins, 0, f.genesis, f.cache).reason, ZC_ERR_BAD_REQUEST);
    free (raw);
    zc_tx_destroy (&none);
    s_free (&f);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_state_rules_are_not_checked),
        cmocka_unit_test (test_bad_signatures),
        cmocka_unit_test (test_bytes_that_do_not_decode),
        cmocka_unit_test (test_bad_requests),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
