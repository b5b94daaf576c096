/*  test_amount.c - amounts: range, parsing, printing */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_amount.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Usage: parse what a user types, print it back
static void
test_usage (void **state)
{
    (void) state;
    uint64_t a;
    assert_int_equal (zc_amount_parse ("12.5", &a), ZC_OK);
    assert_true (a == 1250000000ULL);
    char out [ZC_AMOUNT_STR_MAX];
    assert_string_equal (zc_amount_format (a, out), "12.5");
    assert_string_equal (zc_amount_format (1, out), "0.00000001");
    assert_string_equal (zc_amount_format (300000000, out), "3");
    assert_string_equal (zc_amount_format (0, out), "0");
}

static void
test_parse_table (void **state)
{
    (void) state;
    struct { const char *text; uint64_t value; } good [] = {
        { "0", 0 }, { "1", 100000000 }, { "0.5", 50000000 }, { "12.34567890", 1234567890 },
        { "0.00000001", 1 }, { "21000000", 2100000000000000ULL }, { "007", 700000000 },
        { "20999999.99999999", 2099999999999999ULL }
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        uint64_t a;
        assert_int_equal (zc_amount_parse (good [i].text, &a), ZC_OK);
        assert_true (a == good [i].value);
    }
    const char *bad [] = { "", "-1", "+1", "1e5", "1.123456789", " 1", "1 ", "1,5", "1.",
                           ".5", "abc", "0x10", "21000000.00000001", "99999999999999999999",
                           "18446744073709551616", "1..2", "1.2.3", "\t1", NULL };
    for (size_t i = 0; bad [i]; i++) {
        uint64_t a = 99;
        assert_int_equal (zc_amount_parse (bad [i], &a), ZC_ERR_BAD_AMOUNT);
        assert_true (a == 0);
    }
    uint64_t a;
    assert_int_equal (zc_amount_parse (NULL, &a), ZC_ERR_BAD_AMOUNT);
}

static void
test_range (void **state)
{
    (void) state;
    assert_true (zc_amount_valid (ZC_MAX_MONEY));
    assert_false (zc_amount_valid (ZC_MAX_MONEY + 1));
    uint64_t sum = ZC_MAX_MONEY - 5;
    assert_true (zc_amount_add (&sum, 5));
    assert_false (zc_amount_add (&sum, 1));
    assert_true (sum == ZC_MAX_MONEY);
    sum = 10;
    assert_false (zc_amount_add (&sum, UINT64_MAX));        //  no wrap-around
    assert_true (sum == 10);
}

static void
test_roundtrip (void **state)
{
    (void) state;
    unsigned seed = getenv ("ZC_TEST_SEED") ? (unsigned) atoi (getenv ("ZC_TEST_SEED"))
                                            : (unsigned) time (NULL);
    print_message ("seed %u (replay with ZC_TEST_SEED)\n", seed);
    srand (seed);
    for (int i = 0; i < 100000; i++) {
        uint64_t a = (((uint64_t) rand () << 31) ^ (uint64_t) rand ()) % (ZC_MAX_MONEY + 1);
        if (i % 3 == 0)
            a %= 1000;
        char out [ZC_AMOUNT_STR_MAX];
        uint64_t back;
        assert_int_equal (zc_amount_parse (zc_amount_format (a, out), &back), ZC_OK);
        assert_true (back == a);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_parse_table),
        cmocka_unit_test (test_range),
        cmocka_unit_test (test_roundtrip),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
