/*  test_pow.c - compact targets, proof of work, chain work, retargeting */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_pow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_target_hex (uint32_t bits, const char *expect)
{
    zc_u256_t t;
    char hex [65];
    assert_int_equal (zc_bits_to_target (bits, &t), 0);
    assert_string_equal (zc_u256_hex (&t, hex), expect);
}

//  Usage: decode bits, check a hash, add up work
static void
test_usage (void **state)
{
    (void) state;
    s_target_hex (0x1d00ffff, "00000000ffff0000000000000000000000000000000000000000000000000000");
    zc_hash_t hash;
    memset (hash.b, 0, 32);
    hash.b [4] = 0xff;
    hash.b [5] = 0xff;                  //  exactly the target
    assert_true (zc_pow_check (&hash, 0x1d00ffff, 0x207fffff));
    hash.b [31] = 1;                    //  one above
    assert_false (zc_pow_check (&hash, 0x1d00ffff, 0x207fffff));
    zc_u256_t work, expect;
    zc_pow_block_work (0x1d00ffff, &work);
    zc_u256_set_u64 (&expect, 0x100010001ULL);      //  Bitcoin's genesis work
    assert_int_equal (zc_u256_cmp (&work, &expect), 0);
}

static void
test_compact_known (void **state)
{
    (void) state;
    s_target_hex (0x207fffff, "7fffff0000000000000000000000000000000000000000000000000000000000");
    s_target_hex (0x1b0404cb, "00000000000404cb000000000000000000000000000000000000000000000000");
    s_target_hex (0x03123456, "0000000000000000000000000000000000000000000000000000000000123456");
    s_target_hex (0x02123456, "0000000000000000000000000000000000000000000000000000000000001234");
    s_target_hex (0x01123456, "0000000000000000000000000000000000000000000000000000000000000012");
    zc_u256_t t;
    assert_int_equal (zc_bits_to_target (0x01803456, &t), -1);     //  negative
    assert_int_equal (zc_bits_to_target (0x04923456, &t), -1);     //  negative
    assert_int_equal (zc_bits_to_target (0xff123456, &t), -1);     //  overflow
    assert_int_equal (zc_bits_to_target (0x21010000, &t), -1);     //  just past 256 bits
    assert_int_equal (zc_bits_to_target (0x00000000, &t), -1);     //  zero
    assert_int_equal (zc_bits_to_target (0x01003456, &t), -1);     //  rounds to zero
    assert_int_equal (zc_bits_to_target (0x2100ffff, &t), 0);      //  fits exactly
    //  canonical forms
    assert_int_equal (zc_bits_to_target (0x1d00ffff, &t), 0);
    assert_int_equal (zc_target_to_bits (&t), 0x1d00ffff);
    zc_u256_set_u64 (&t, 0x80);         //  top bit set: one more byte
    assert_int_equal (zc_target_to_bits (&t), 0x02008000);
    zc_u256_set_u64 (&t, 0x12);
    assert_int_equal (zc_target_to_bits (&t), 0x01120000);
}

//  bits -> target -> bits is the identity on canonical bits, and
//  target -> bits -> target truncates to at most 3 significant bytes
static void
test_compact_random (void **state)
{
    (void) state;
    unsigned seed = getenv ("ZC_TEST_SEED") ? (unsigned) atoi (getenv ("ZC_TEST_SEED"))
                                            : (unsigned) time (NULL);
    print_message ("seed %u (replay with ZC_TEST_SEED)\n", seed);
    srand (seed);
    for (int i = 0; i < 20000; i++) {
        uint8_t be [32] = { 0 };
        int start = rand () % 32;
        for (int b = start; b < 32; b++)
            be [b] = (uint8_t) rand ();
        zc_u256_t t, back;
        zc_u256_from_bytes (&t, be);
        if (zc_u256_is_zero (&t))
            continue;
        uint32_t bits = zc_target_to_bits (&t);
        assert_false (bits & 0x00800000);
        assert_int_equal (zc_bits_to_target (bits, &back), 0);
        assert_true (zc_u256_cmp (&back, &t) <= 0);
        assert_int_equal (zc_target_to_bits (&back), bits);
        //  the loss is below one unit of the third byte
        zc_u256_t diff = t;
        zc_u256_sub (&diff, &back);
        assert_true (zc_u256_bits (&diff) + 16 <= zc_u256_bits (&t) || zc_u256_is_zero (&diff));
    }
}

static void
test_work (void **state)
{
    (void) state;
    zc_u256_t a, b, sum, limit;
    zc_pow_block_work (0x207fffff, &a);
    zc_u256_set_u64 (&limit, 2);
    assert_int_equal (zc_u256_cmp (&a, &limit), 0);     //  regtest: two hashes a block
    zc_pow_block_work (0x1d00ffff, &b);
    sum = a;
    zc_u256_add (&sum, &b);
    assert_true (zc_u256_cmp (&sum, &b) > 0);
    //  a harder target means more work
    zc_u256_t harder;
    zc_pow_block_work (0x1c00ffff, &harder);
    assert_true (zc_u256_cmp (&harder, &b) > 0);
    zc_u256_t invalid;
    zc_pow_block_work (0x01803456, &invalid);
    assert_true (zc_u256_is_zero (&invalid));
    //  u256 helpers
    zc_u256_t x;
    zc_u256_set_u64 (&x, 1);
    zc_u256_shl (&x, 255);
    assert_int_equal (zc_u256_bits (&x), 256);
    zc_u256_shr (&x, 250);
    zc_u256_set_u64 (&a, 32);
    assert_int_equal (zc_u256_cmp (&x, &a), 0);
    zc_u256_set_u64 (&a, 1000);
    assert_int_equal (zc_u256_div_u64 (&a, 7), 6);
    zc_u256_set_u64 (&b, 142);
    assert_int_equal (zc_u256_cmp (&a, &b), 0);
}

static void
test_retarget (void **state)
{
    (void) state;
    const uint32_t limit = 0x1e7fffff, bits = 0x1d00ffff;
    const int64_t target = 300;
    zc_u256_t before, after, expect;
    zc_bits_to_target (bits, &before);
    //  on time: unchanged
    assert_int_equal (zc_pow_retarget (bits, target, target, limit), bits);
    //  exactly twice as long: twice the target
    zc_bits_to_target (zc_pow_retarget (bits, 2 * target, target, limit), &after);
    expect = before;
    zc_u256_shl (&expect, 1);
    assert_int_equal (zc_u256_cmp (&after, &expect), 0);
    //  instant, zero, negative and a tenth: clamped to a quarter
    expect = before;
    zc_u256_shr (&expect, 2);
    for (int64_t actual = -100; actual <= target / 8; actual += target / 16) {
        zc_bits_to_target (zc_pow_retarget (bits, actual, target, limit), &after);
        assert_int_equal (zc_u256_cmp (&after, &expect), 0);
    }
    //  ten times too slow: clamped to four times
    zc_bits_to_target (zc_pow_retarget (bits, 10 * target, target, limit), &after);
    expect = before;
    zc_u256_shl (&expect, 2);
    assert_int_equal (zc_u256_cmp (&after, &expect), 0);
    //  never easier than the limit
    assert_int_equal (zc_pow_retarget (limit, 10 * target, target, limit), limit);
    assert_int_equal (zc_pow_retarget (0x1e3fffff, 4 * target, target, limit), limit);
    //  nonsense in: the limit out
    assert_int_equal (zc_pow_retarget (0x01803456, target, target, limit), limit);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_compact_known),
        cmocka_unit_test (test_compact_random),
        cmocka_unit_test (test_work),
        cmocka_unit_test (test_retarget),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
