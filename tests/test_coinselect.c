/*  test_coinselect.c - branch and bound, then largest first */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_coinselect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const zc_coinselect_ask_t ASK = {
    .target = 0, .input_fee = 100, .change_fee = 50, .cost_of_change = 150, .min_change = 546
};

static size_t
s_count (const bool *chosen, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += chosen [i];
    return k;
}

//  An exact match exists: branch and bound finds it and makes no change,
//  even when larger coins would pay
static void
test_exact_match (void **state)
{
    (void) state;
    const uint64_t amounts [] = { 50000, 3100, 20000, 7100, 1000, 4100 };
    zc_coinselect_ask_t ask = ASK;
    ask.target = 10000;                     //  7100 + 3100 less two input fees = 10000
    bool chosen [6];
    zc_coinselect_result_t r;
    assert_int_equal (zc_coinselect (amounts, 6, &ask, chosen, &r), ZC_COINSELECT_BNB);
    assert_int_equal (r.change, 0);
    assert_int_equal (r.n_chosen, 2);
    assert_true (chosen [1] && chosen [3]);
    assert_int_equal (r.total, 10200);
    assert_int_equal (s_count (chosen, 6), 2);
}

//  Within the window: the least excess wins
static void
test_least_excess (void **state)
{
    (void) state;
    const uint64_t amounts [] = { 10150, 10120, 10300 };
    zc_coinselect_ask_t ask = ASK;
    ask.target = 10000;
    bool chosen [3];
    zc_coinselect_result_t r;
    assert_int_equal (zc_coinselect (amounts, 3, &ask, chosen, &r), ZC_COINSELECT_BNB);
    assert_true (chosen [1] && !chosen [0] && !chosen [2]);
    assert_int_equal (r.total - ask.target - ask.input_fee, 20);
}

//  No subset lands in the window: largest first, with change
static void
test_fallback_with_change (void **state)
{
    (void) state;
    const uint64_t amounts [] = { 100000, 200000, 50000 };
    zc_coinselect_ask_t ask = ASK;
    ask.target = 120000;
    bool chosen [3];
    zc_coinselect_result_t r;
    assert_int_equal (zc_coinselect (amounts, 3, &ask, chosen, &r), ZC_COINSELECT_LARGEST);
    assert_true (chosen [1] && !chosen [0] && !chosen [2]);
    assert_int_equal (r.total, 200000);
    assert_int_equal (r.change, 200000 - 100 - 120000 - 50);
    //  the identity the caller relies on: payments + fee + change = total
    uint64_t fee = r.total - (ask.target - 0) - r.change;
    assert_int_equal (fee, 100 + 50);
}

//  All coins pay the target but leave no change worth making: no change
static void
test_fallback_no_change (void **state)
{
    (void) state;
    const uint64_t amounts [] = { 5000, 5600 };
    zc_coinselect_ask_t ask = ASK;
    ask.target = 10100;                     //  10400 effective: 300 over, under 50 + 546
    ask.cost_of_change = 0;                 //  and outside the window
    bool chosen [2];
    zc_coinselect_result_t r;
    assert_int_equal (zc_coinselect (amounts, 2, &ask, chosen, &r), ZC_COINSELECT_LARGEST);
    assert_int_equal (r.n_chosen, 2);
    assert_int_equal (r.change, 0);
}

//  Not enough, coins worth less than their input, nothing at all
static void
test_not_enough (void **state)
{
    (void) state;
    const uint64_t amounts [] = { 5000, 90, 100 };
    zc_coinselect_ask_t ask = ASK;
    ask.target = 4950;
    bool chosen [3] = { true, true, true };
    zc_coinselect_result_t r;
    assert_int_equal (zc_coinselect (amounts, 3, &ask, chosen, &r), ZC_COINSELECT_NONE);
    assert_int_equal (s_count (chosen, 3), 0);
    ask.target = 4900;                      //  exactly the one coin less its input
    assert_int_equal (zc_coinselect (amounts, 3, &ask, chosen, &r), ZC_COINSELECT_BNB);
    assert_true (chosen [0] && !chosen [1] && !chosen [2]);
    assert_int_equal (zc_coinselect (NULL, 0, &ask, NULL, &r), ZC_COINSELECT_NONE);
}

//  Many coins: the search stops within its bound and the answer still pays
static void
test_many_coins (void **state)
{
    (void) state;
    enum { N = 2000 };
    uint64_t *amounts = malloc (N * sizeof *amounts);
    bool *chosen = malloc (N * sizeof *chosen);
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        amounts [i] = 1000000 + (x >> 8) % 1000000;
    }
    zc_coinselect_ask_t ask = ASK;
    ask.target = 123456789;
    zc_coinselect_result_t r;
    zc_coinselect_method_t m = zc_coinselect (amounts, N, &ask, chosen, &r);
    assert_true (m == ZC_COINSELECT_BNB || m == ZC_COINSELECT_LARGEST);
    uint64_t total = 0;
    for (int i = 0; i < N; i++)
        if (chosen [i])
            total += amounts [i];
    assert_int_equal (total, r.total);
    assert_true (total >= ask.target + r.n_chosen * ask.input_fee + r.change);
    free (amounts);
    free (chosen);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_exact_match),
        cmocka_unit_test (test_least_excess),
        cmocka_unit_test (test_fallback_with_change),
        cmocka_unit_test (test_fallback_no_change),
        cmocka_unit_test (test_not_enough),
        cmocka_unit_test (test_many_coins),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
