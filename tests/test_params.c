/*  test_params.c - networks, genesis blocks, subsidy, required bits */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_check.h"
#include "zc_hex.h"
#include "zc_params.h"
#include "zc_pow.h"

#include <stdlib.h>
#include <string.h>

//  Usage: pick a network, build its genesis, check it like any block
static void
test_usage (void **state)
{
    (void) state;
    const zc_params_t *params = zc_params_by_name ("regtest");
    assert_non_null (params);
    assert_string_equal (params->hrp, "zcrt");
    zc_block_t *genesis = zc_params_genesis (params);
    assert_non_null (genesis);
    assert_int_equal (zc_check_block (genesis, params, params->genesis_time), ZC_OK);
    assert_true (zc_hash_eq (&genesis->hash, zc_params_genesis_hash (params)));
    zc_block_destroy (&genesis);
    assert_null (zc_params_by_name ("mainnet"));
    assert_null (zc_params_by_name (NULL));
}

#define REGTEST_GENESIS_HEX \
    "0100000000000000000000000000000000000000000000000000000000000000000000004a653b2c75c7969f7361115353131d5f7b7576f6a401a637b89fec2b3c57f19a00b95569ffff7f20000000000101000000010000000000000000000000000000000000000000000000000000000000000000ffffffff01000000000000000050929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"

//  The genesis blocks are fixed: their hashes and bytes never change
static void
test_genesis_fixed (void **state)
{
    (void) state;
    for (int n = ZC_NET_REGTEST; n <= ZC_NET_DEVNET; n++) {
        const zc_params_t *params = zc_params_get ((zc_network_t) n);
        zc_block_t *genesis = zc_params_genesis (params);
        char hex [65];
        zc_hash_hex (&genesis->hash, hex);
        assert_string_equal (hex, params->genesis_hash_hex);
        assert_true (zc_pow_check (&genesis->hash, genesis->header.bits, params->pow_limit_bits));
        assert_int_equal (zc_check_block (genesis, params, params->genesis_time), ZC_OK);
        assert_int_equal (genesis->n_tx, 1);
        assert_int_equal (genesis->tx [0]->out [0].amount, 0);
        assert_memory_equal (genesis->tx [0]->out [0].pubkey, zc_params_nums_key, 32);
        assert_true (zc_hash_is_zero (&genesis->header.prev));
        zc_block_destroy (&genesis);
    }
    //  regtest's genesis byte for byte, as docs/protocol.md lists it
    zc_block_t *genesis = zc_params_genesis (zc_params_get (ZC_NET_REGTEST));
    size_t size;
    uint8_t *raw = zc_block_encode (genesis, &size);
    char *hex = malloc (2 * size + 1);
    assert_string_equal (zc_hex_encode (raw, size, hex), REGTEST_GENESIS_HEX);
    free (hex);
    free (raw);
    zc_block_destroy (&genesis);
    //  the two networks never share a genesis (signatures commit to it)
    assert_false (zc_hash_eq (zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST)),
                              zc_params_genesis_hash (zc_params_get (ZC_NET_DEVNET))));
    //  the NUMS key is a real point, so the output is well formed yet unspendable
    assert_true (zc_pubkey_is_valid (zc_params_nums_key));
}

static void
test_subsidy (void **state)
{
    (void) state;
    const zc_params_t *devnet = zc_params_get (ZC_NET_DEVNET);
    assert_true (zc_params_subsidy (devnet, 0) == 5000000000ULL);
    assert_true (zc_params_subsidy (devnet, 209999) == 5000000000ULL);
    assert_true (zc_params_subsidy (devnet, 210000) == 2500000000ULL);
    assert_true (zc_params_subsidy (devnet, 210000 * 33) == 0);
    assert_true (zc_params_subsidy (devnet, UINT32_MAX) == 0);
    //  the sum of all subsidies stays under the money limit
    uint64_t total = 0;
    for (uint32_t era = 0; era < 64; era++)
        total += zc_params_subsidy (devnet, era * devnet->halving_interval) * devnet->halving_interval;
    assert_true (total <= 21000000ULL * 100000000ULL);
}

static void
test_next_bits (void **state)
{
    (void) state;
    const zc_params_t *regtest = zc_params_get (ZC_NET_REGTEST);
    assert_int_equal (zc_params_next_bits (regtest, 12345, 0x1d00ffff, 0, 99999), 0x207fffff);

    const zc_params_t *devnet = zc_params_get (ZC_NET_DEVNET);
    uint32_t bits = 0x1d00ffff;
    //  inside a period: the parent's bits
    assert_int_equal (zc_params_next_bits (devnet, 31, bits, 0, 1), bits);
    assert_false (zc_params_is_retarget_height (devnet, 31));
    assert_true (zc_params_is_retarget_height (devnet, 60));
    //  on time: unchanged
    uint32_t span = devnet->target_spacing * (devnet->retarget_interval - 1);
    assert_int_equal (zc_params_next_bits (devnet, 60, bits, 1000, 1000 + span), bits);
    //  twice as slow: the target doubles
    zc_u256_t before, after;
    assert_int_equal (zc_bits_to_target (bits, &before), 0);
    assert_int_equal (zc_bits_to_target (zc_params_next_bits (devnet, 60, bits, 1000, 1000 + 2 * span),
                                         &after), 0);
    zc_u256_t doubled = before;
    zc_u256_shl (&doubled, 1);
    assert_int_equal (zc_u256_cmp (&after, &doubled), 0);
    //  instant blocks: at most 4x harder; and never easier than the limit
    assert_int_equal (zc_bits_to_target (zc_params_next_bits (devnet, 60, bits, 1000, 1000),
                                         &after), 0);
    //  (the expected span, 290 s, is not a multiple of 4: a quarter within rounding)
    double ratio = zc_u256_to_double (&after) / zc_u256_to_double (&before);
    assert_true (ratio > 0.2475 && ratio <= 0.25);
    assert_int_equal (zc_params_next_bits (devnet, 60, devnet->pow_limit_bits, 0, 100000),
                      devnet->pow_limit_bits);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_genesis_fixed),
        cmocka_unit_test (test_subsidy),
        cmocka_unit_test (test_next_bits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
