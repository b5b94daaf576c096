/*  test_seal.c - secrets sealed under a passphrase */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_seal.h"

#include <stdint.h>
#include <string.h>

//  cheap costs: the rule is the same, the test is quick
#define OPS 1
#define MEM (8u << 20)

static const char *AD = "zchain-wallet 2 regtest";

//  The usage: seal, open with the same passphrase, get the same bytes back
static void
test_seal_usage (void **state)
{
    (void) state;
    const uint8_t plain [] = "abandon ability able about above absent absorb abstract";
    uint8_t sealed [sizeof plain + ZC_SEAL_TAG_SIZE];
    zc_seal_params_t params;
    assert_int_equal (zc_seal ("correct horse", plain, sizeof plain, AD, OPS, MEM, &params, sealed), 0);
    assert_int_equal (params.ops, OPS);
    assert_int_equal (params.mem, MEM);
    //  the sealed bytes do not hold the secret in clear
    assert_null (memmem (sealed, sizeof sealed, "abandon", 7));
    uint8_t opened [sizeof plain];
    assert_int_equal (zc_unseal ("correct horse", sealed, sizeof sealed, AD, &params, opened), 0);
    assert_memory_equal (opened, plain, sizeof plain);

    //  a second seal of the same secret uses a fresh salt and nonce
    uint8_t again [sizeof sealed];
    zc_seal_params_t params2;
    assert_int_equal (zc_seal ("correct horse", plain, sizeof plain, AD, OPS, MEM, &params2, again), 0);
    assert_memory_not_equal (params.salt, params2.salt, ZC_SEAL_SALT_SIZE);
    assert_memory_not_equal (params.nonce, params2.nonce, ZC_SEAL_NONCE_SIZE);
    assert_memory_not_equal (sealed, again, sizeof sealed);
}

//  A wrong passphrase, a changed byte, another context, hostile costs:
//  refused, and nothing comes out
static void
test_seal_refusals (void **state)
{
    (void) state;
    const uint8_t plain [32] = { 1, 2, 3, 4, 5 };
    uint8_t sealed [sizeof plain + ZC_SEAL_TAG_SIZE];
    zc_seal_params_t params;
    assert_int_equal (zc_seal ("pass", plain, sizeof plain, AD, OPS, MEM, &params, sealed), 0);
    uint8_t opened [sizeof plain];
    memset (opened, 0xAA, sizeof opened);
    assert_int_equal (zc_unseal ("Pass", sealed, sizeof sealed, AD, &params, opened), -1);
    const uint8_t zero [sizeof plain] = { 0 };
    assert_memory_equal (opened, zero, sizeof opened);
    assert_int_equal (zc_unseal ("pass", sealed, sizeof sealed, "zchain-wallet 2 main", &params, opened), -1);
    for (size_t i = 0; i < sizeof sealed; i += 7) {
        sealed [i] ^= 0x01;
        assert_int_equal (zc_unseal ("pass", sealed, sizeof sealed, AD, &params, opened), -1);
        sealed [i] ^= 0x01;
    }
    zc_seal_params_t bad = params;
    bad.salt [0] ^= 1;
    assert_int_equal (zc_unseal ("pass", sealed, sizeof sealed, AD, &bad, opened), -1);
    bad = params;
    bad.mem = (uint64_t) 8 << 30;               //  a file asking for 8 GiB
    assert_int_equal (zc_unseal ("pass", sealed, sizeof sealed, AD, &bad, opened), -1);
    bad = params;
    bad.ops = 1000;
    assert_int_equal (zc_unseal ("pass", sealed, sizeof sealed, AD, &bad, opened), -1);
    assert_int_equal (zc_unseal ("pass", sealed, 10, AD, &params, opened), -1);
    //  and the original still opens
    assert_int_equal (zc_unseal ("pass", sealed, sizeof sealed, AD, &params, opened), 0);
    assert_memory_equal (opened, plain, sizeof plain);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_seal_usage),
        cmocka_unit_test (test_seal_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
