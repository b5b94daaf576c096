/*  test_autoscale.c - the scaling policy, walked through a table
 *
 *  Each case is a policy and a series of observations (time, replicas
 *  alive, backlog, replicas holding jobs) with the count the policy must
 *  answer to each, in order: the history matters (scale-down waits for the
 *  window), so a case is a story, not one row.
 */
#include "zc_autoscale.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

typedef struct {
    int64_t at_ms;
    int current;
    double backlog;
    int busy;
    int desired;
} s_step_t;

typedef struct {
    const char *name;
    zc_autoscale_cfg_t cfg;
    s_step_t steps [16];
    int n_steps;
} s_case_t;

#define POLICY(min, max, window) { min, max, 4.0, 0.1, window }

static const s_case_t s_cases [] = {
    { "idle stays at the floor", POLICY (1, 8, 5000),
      { { 0, 1, 0, 0, 1 }, { 1000, 1, 0, 0, 1 }, { 2000, 1, 3, 1, 1 } }, 3 },
    { "up in proportion, at once", POLICY (1, 8, 5000),
      { { 0, 1, 12, 1, 3 }, { 1000, 3, 40, 3, 8 } }, 2 },
    { "an exact multiple is not rounded up", POLICY (1, 8, 5000),
      { { 0, 2, 12, 2, 3 }, { 1000, 3, 12, 3, 3 } }, 2 },
    { "up no further than max", POLICY (1, 4, 5000),
      { { 0, 2, 100, 2, 4 }, { 1000, 4, 1000, 4, 4 } }, 2 },
    { "within the 10 % band nothing changes", POLICY (1, 8, 5000),
      //  16 jobs for 4 is the target; 17 (+6 %) and 15 (-6 %) stay, 18 (+12.5 %) grows
      { { 0, 4, 17, 4, 4 }, { 1000, 4, 15, 4, 4 }, { 2000, 4, 18, 4, 5 } }, 3 },
    { "down only after the window", POLICY (1, 8, 5000),
      { { 0, 4, 16, 4, 4 },
        { 1000, 4, 0, 0, 4 }, { 3000, 4, 0, 0, 4 }, { 5000, 4, 0, 0, 4 },
        //  the recommendation of 4 made at 0 leaves the window after 5000
        { 5001, 4, 0, 0, 1 } }, 5 },
    { "down to the highest recommendation of the window", POLICY (1, 8, 5000),
      { { 0, 6, 24, 6, 6 }, { 1000, 6, 12, 3, 6 }, { 2000, 6, 8, 2, 6 },
        { 5500, 6, 8, 2, 3 },           //  the 6 of t=0 aged out; the 3 of t=1000 is the highest
        { 6500, 3, 8, 2, 2 } }, 5 },
    { "flapping load keeps its replicas", POLICY (1, 8, 5000),
      { { 0, 4, 16, 4, 4 }, { 1000, 4, 0, 0, 4 }, { 2000, 4, 16, 4, 4 }, { 3000, 4, 0, 0, 4 },
        { 4000, 4, 16, 4, 4 }, { 5000, 4, 0, 0, 4 }, { 6000, 4, 16, 4, 4 },
        { 7000, 4, 0, 0, 4 }, { 8000, 4, 16, 4, 4 }, { 9000, 4, 0, 0, 4 },
        //  and once the load stays away for a whole window, they go
        { 14001, 4, 0, 0, 1 } }, 11 },
    { "never below the replicas holding jobs", POLICY (1, 8, 1000),
      { { 0, 4, 16, 4, 4 }, { 2000, 4, 4, 4, 4 }, { 4000, 4, 2, 2, 2 }, { 6000, 2, 0, 0, 1 } },
      4 },
    { "no replica alive: as many as the backlog needs", POLICY (1, 8, 5000),
      { { 0, 0, 0, 0, 1 }, { 1000, 0, 9, 0, 3 }, { 2000, 0, 1000, 0, 8 } }, 3 },
    { "max lowered below what runs", POLICY (1, 4, 5000),
      { { 0, 6, 24, 6, 4 }, { 1000, 6, 0, 0, 4 } }, 2 },
    { "min above what runs", POLICY (3, 8, 5000),
      { { 0, 1, 0, 0, 3 }, { 1000, 3, 0, 0, 3 } }, 2 },
    { "replicas started but not heard yet keep their count", POLICY (1, 8, 5000),
      //  1 heard, the 2 just started still silent: the backlog asks for 2 of
      //  them, the window for the 3 asked a second ago; a host lost (3 -> 1
      //  heard) is the same story
      { { 0, 1, 12, 1, 3 }, { 1000, 1, 8, 1, 3 }, { 2000, 3, 12, 3, 3 }, { 3000, 1, 12, 1, 3 } },
      4 },
    { "no window: down at once", POLICY (1, 8, 0),
      { { 0, 4, 16, 4, 4 }, { 1000, 4, 4, 1, 1 } }, 2 },
};

static void
test_table (void **state)
{
    (void) state;
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases [0]; c++) {
        const s_case_t *k = &s_cases [c];
        zc_autoscale_t *policy = zc_autoscale_new (&k->cfg);
        assert_non_null (policy);
        for (int i = 0; i < k->n_steps; i++) {
            const s_step_t *s = &k->steps [i];
            zc_autoscale_input_t in = { s->current, s->backlog, s->busy };
            int desired = zc_autoscale_desired (policy, s->at_ms, &in);
            if (desired != s->desired)
                fail_msg ("%s, step %d (t=%lld ms, %d alive, backlog %.0f, %d busy): %d, not %d",
                          k->name, i, (long long) s->at_ms, s->current, s->backlog, s->busy,
                          desired, s->desired);
        }
        zc_autoscale_destroy (&policy);
        assert_null (policy);
    }
}

//  A caller far more frequent than the ring holds still gets an answer,
//  and the ring's oldest recommendation is what goes
static void
test_history_bounded (void **state)
{
    (void) state;
    zc_autoscale_cfg_t cfg = POLICY (1, 8, 1000000);
    zc_autoscale_t *policy = zc_autoscale_new (&cfg);
    assert_non_null (policy);
    zc_autoscale_input_t high = { 8, 32, 8 }, low = { 8, 0, 0 };
    assert_int_equal (zc_autoscale_desired (policy, 0, &high), 8);
    for (int64_t t = 1; t <= ZC_AUTOSCALE_HISTORY; t++)
        assert_int_equal (zc_autoscale_desired (policy, t, &low), t < ZC_AUTOSCALE_HISTORY ? 8 : 1);
    assert_int_equal (zc_autoscale_recommended (policy), 1);
    zc_autoscale_destroy (&policy);
}

static void
test_settings_refused (void **state)
{
    (void) state;
    const zc_autoscale_cfg_t bad [] = {
        { 0, 4, 4.0, 0.1, 1000 }, { 3, 2, 4.0, 0.1, 1000 }, { 1, 4, 0.0, 0.1, 1000 },
        { 1, 4, -1.0, 0.1, 1000 }, { 1, 4, 4.0, -0.1, 1000 }, { 1, 4, 4.0, 0.1, -1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_null (zc_autoscale_new (&bad [i]));
}

static void
test_parse_range (void **state)
{
    (void) state;
    int min = 0, max = 0;
    assert_int_equal (zc_autoscale_parse_range ("1..4", 16, &min, &max), 0);
    assert_int_equal (min, 1);
    assert_int_equal (max, 4);
    assert_int_equal (zc_autoscale_parse_range ("3", 16, &min, &max), 0);
    assert_int_equal (min, 3);
    assert_int_equal (max, 3);
    const char *bad [] = { "", "0..4", "4..1", "1..", "..4", "1...4", "1..17", "a", "1..4x",
                           "-1..2", "1.4", " 1..4", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        if (zc_autoscale_parse_range (bad [i], 16, &min, &max) == 0)
            fail_msg ("'%s' was taken", bad [i]);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_table),
        cmocka_unit_test (test_history_bounded),
        cmocka_unit_test (test_settings_refused),
        cmocka_unit_test (test_parse_range),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
