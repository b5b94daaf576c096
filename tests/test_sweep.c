/*  test_sweep.c - zchain bench --sweep without a node: the rates it offers,
 *  when a step is saturated, the highest rate under the p99 cap, and the
 *  table, JSON and SVG it writes
 */
#include "sweep.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

//  A step that confirmed all of its transactions
static sweep_point_t
s_point (double offered, double achieved, double p50, double p99)
{
    sweep_point_t p = { .offered = offered, .achieved = achieved, .p50 = p50, .p90 = (p50 + p99) / 2,
                        .p99 = p99, .max = p99 * 1.1, .txs = (size_t) offered * 5,
                        .confirmed = (size_t) offered * 5, .cpu = -1 };
    return p;
}

//  What a writer wrote, as a string the caller frees
typedef int (s_writer_fn) (FILE *out, const sweep_t *sweep, const char *title);

static int
s_svg (FILE *out, const sweep_t *sweep, const char *title)
{
    return sweep_write_svg (out, sweep, title);
}

static int
s_json (FILE *out, const sweep_t *sweep, const char *title)
{
    (void) title;
    return sweep_write_json (out, sweep);
}

static int
s_table (FILE *out, const sweep_t *sweep, const char *title)
{
    (void) title;
    sweep_write_table (out, sweep);
    return 0;
}

static char *
s_written (s_writer_fn *writer, const sweep_t *sweep, const char *title)
{
    FILE *out = tmpfile ();
    assert_non_null (out);
    assert_int_equal (writer (out, sweep, title), 0);
    long size = ftell (out);
    assert_true (size > 0);
    char *text = malloc ((size_t) size + 1);
    assert_non_null (text);
    rewind (out);
    assert_int_equal (fread (text, 1, (size_t) size, out), (size_t) size);
    text [size] = 0;
    fclose (out);
    return text;
}

static size_t
s_count (const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = strstr (text, needle); at; at = strstr (at + 1, needle))
        n++;
    return n;
}

//  The value of attribute name="..." in the k-th element that starts with tag
static double
s_attribute (const char *svg, const char *tag, size_t k, const char *name)
{
    const char *at = strstr (svg, tag);
    for (size_t i = 0; at && i < k; i++)
        at = strstr (at + 1, tag);
    assert_non_null (at);
    char key [32];
    snprintf (key, sizeof key, " %s=\"", name);
    const char *value = strstr (at, key);
    assert_non_null (value);
    assert_true (value < strchr (at, '>'));
    return strtod (value + strlen (key), NULL);
}

//  A sweep as zchain bench --sweep makes one: rising rates until the node
//  falls behind, then the verdict, the table, the JSON and the plot
static void
test_usage (void **state)
{
    (void) state;
    sweep_plan_t plan;
    char reason [200];
    assert_int_equal (sweep_plan ("2000..10000", 2000, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 5);
    assert_true (plan.stop_at_saturation);

    sweep_t sweep = { .p99_cap = 2.0, .step_seconds = 5, .stopped = "saturated at 10000 tx/s" };
    sweep.points [sweep.n++] = s_point (2000, 1990, 0.61, 1.20);
    sweep.points [sweep.n++] = s_point (4000, 3985, 0.70, 1.45);
    sweep.points [sweep.n++] = s_point (6000, 5960, 0.82, 1.90);
    sweep.points [sweep.n++] = s_point (8000, 7400, 1.40, 2.70);
    sweep.points [sweep.n++] = s_point (10000, 7600, 3.10, 6.20);
    for (size_t i = 0; i < sweep.n; i++)
        assert_true (sweep.points [i].offered == plan.rates [i]);
    assert_false (sweep_point_saturated (&sweep.points [2], sweep.p99_cap, NULL, 0));
    char why [160];
    assert_true (sweep_point_saturated (&sweep.points [4], sweep.p99_cap, why, sizeof why));
    assert_string_equal (why, "confirmed 7600 tx/s, under 80 % of the 10000 offered");
    assert_int_equal (sweep_max_under_cap (sweep.points, sweep.n, sweep.p99_cap), 2);

    char *table = s_written (s_table, &sweep, NULL);
    assert_non_null (strstr (table, "highest offered rate with p99 confirmation under 2 s: 6000 tx/s"));
    assert_non_null (strstr (table, "| 8000 | 7400 | 1.400 |"));
    assert_non_null (strstr (table, "stopped: saturated at 10000 tx/s"));
    assert_int_equal (s_count (table, "\n|"), 1 + 5);     //  the rule under the header, 5 rows
    free (table);

    char *json = s_written (s_json, &sweep, NULL);
    assert_non_null (strstr (json, "\"max_under_cap_tps\":6000.0"));
    assert_int_equal (s_count (json, "\"offered_tps\":"), 5);
    assert_non_null (strstr (json, "\"offered_tps\":8000.0,\"achieved_tps\":7400.0"));
    assert_non_null (strstr (json, "\"p99\":2.7000"));
    free (json);

    char *svg = s_written (s_svg, &sweep, "zchain bench --sweep");
    assert_true (!strncmp (svg, "<?xml", 5));
    assert_non_null (strstr (svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null (strstr (svg, "</svg>\n"));
    assert_int_equal (s_count (svg, "<circle class=\"p50\""), 5);
    assert_int_equal (s_count (svg, "<rect class=\"p99\""), 5);
    assert_non_null (strstr (svg, "<title>offered 8000 tx/s: confirmed 7400 tx/s, p50 1.400 s, p99 2.700 s"));
    free (svg);
}

//  A step over the cap between two under it ends the run of good rates:
//  the lucky one above does not count
static void
test_cap_exceeded_in_the_middle (void **state)
{
    (void) state;
    sweep_point_t points [] = {
        s_point (2000, 2000, 0.5, 1.0), s_point (4000, 4000, 0.6, 2.4),
        s_point (6000, 6000, 0.7, 1.5), s_point (8000, 8000, 0.8, 1.9)
    };
    assert_int_equal (sweep_max_under_cap (points, 4, 2.0), 0);
    //  with a looser cap the whole run counts
    assert_int_equal (sweep_max_under_cap (points, 4, 2.5), 3);
    //  a step whose transactions did not all confirm misses the cap,
    //  whatever the p99 of those that did
    points [1].p99 = 1.2;
    points [2].confirmed = points [2].txs - 1;
    assert_int_equal (sweep_max_under_cap (points, 4, 2.0), 1);
    points [2].confirmed = points [2].txs;
    assert_int_equal (sweep_max_under_cap (points, 4, 2.0), 3);
    //  under means under
    points [3].p99 = 2.0;
    assert_int_equal (sweep_max_under_cap (points, 4, 2.0), 2);
}

//  Points in any order: the verdict follows the offered rates
static void
test_order_does_not_matter (void **state)
{
    (void) state;
    sweep_point_t points [] = {
        s_point (8000, 7000, 1.0, 3.0), s_point (2000, 2000, 0.5, 1.0),
        s_point (6000, 6000, 0.7, 1.8), s_point (4000, 4000, 0.6, 1.4)
    };
    assert_int_equal (sweep_max_under_cap (points, 4, 2.0), 2);
    points [3].p99 = 2.2;               //  4000 fails: only 2000 counts
    assert_int_equal (sweep_max_under_cap (points, 4, 2.0), 1);
}

static void
test_none_under_the_cap (void **state)
{
    (void) state;
    sweep_point_t points [] = { s_point (2000, 2000, 1.5, 2.5), s_point (4000, 4000, 0.5, 1.0) };
    assert_int_equal (sweep_max_under_cap (points, 2, 2.0), -1);
    assert_int_equal (sweep_max_under_cap (points, 0, 2.0), -1);
    //  an empty step meets nothing
    sweep_point_t empty = { .offered = 100, .cpu = -1 };
    assert_false (sweep_point_meets_cap (&empty, 2.0));
    assert_int_equal (sweep_max_under_cap (&empty, 1, 2.0), -1);

    sweep_t sweep = { .p99_cap = 2.0, .step_seconds = 5, .stopped = "the last rate" };
    sweep.points [sweep.n++] = points [0];
    char *table = s_written (s_table, &sweep, NULL);
    assert_non_null (strstr (table, "under 2 s: none (the lowest rate offered already missed it)"));
    free (table);
    char *json = s_written (s_json, &sweep, NULL);
    assert_non_null (strstr (json, "\"max_under_cap_tps\":null"));
    assert_non_null (strstr (json, "\"meets_cap\":false"));
    free (json);
}

//  Saturated: confirmed falls behind the offered rate, p99 blows up, or
//  transactions went missing
static void
test_saturation (void **state)
{
    (void) state;
    sweep_point_t p = s_point (10000, 9500, 0.8, 1.6);
    assert_false (sweep_point_saturated (&p, 2.0, NULL, 0));
    p.achieved = SWEEP_FOLLOW * 10000 - 1;
    assert_true (sweep_point_saturated (&p, 2.0, NULL, 0));
    p.achieved = 9500;
    p.p99 = SWEEP_BLOWUP * 2.0 + 0.1;
    char why [160];
    assert_true (sweep_point_saturated (&p, 2.0, why, sizeof why));
    assert_string_equal (why, "p99 4.10 s, over 2 times the 2 s cap");
    //  over the cap but not blown up: not yet saturated
    p.p99 = 2.5;
    assert_false (sweep_point_saturated (&p, 2.0, NULL, 0));
    assert_false (sweep_point_meets_cap (&p, 2.0));
    p.p99 = 1.6;
    p.confirmed = p.txs - 10;
    assert_true (sweep_point_saturated (&p, 2.0, why, sizeof why));
    assert_string_equal (why, "10 of 50000 transactions not confirmed");
}

static void
test_plans (void **state)
{
    (void) state;
    sweep_plan_t plan;
    char reason [200];
    //  the default: 2000, 4000, ... 60000, until saturation
    assert_int_equal (sweep_plan (NULL, 0, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 30);
    assert_true (plan.rates [0] == 2000 && plan.rates [1] == 4000 && plan.rates [29] == 60000);
    assert_true (plan.stop_at_saturation);
    assert_int_equal (sweep_plan (NULL, 5000, &plan, reason, sizeof reason), 0);
    assert_true (plan.rates [0] == 2000 && plan.rates [1] == 7000);
    //  FROM..TO in steps of FROM, or of the step given; TO need not be on a step
    assert_int_equal (sweep_plan ("1000..5000", 0, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 5);
    assert_true (plan.rates [4] == 5000);
    assert_int_equal (sweep_plan ("1000..5000", 1500, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 3);
    assert_true (plan.rates [2] == 4000);
    assert_int_equal (sweep_plan ("0.1..0.3", 0.1, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 3);
    assert_int_equal (sweep_plan ("3000..3000", 0, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 1);
    //  a list: every rate, no stopping
    assert_int_equal (sweep_plan ("100,250,1000", 0, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 3);
    assert_true (plan.rates [1] == 250);
    assert_false (plan.stop_at_saturation);
    assert_int_equal (sweep_plan ("500", 0, &plan, reason, sizeof reason), 0);
    assert_int_equal (plan.n, 1);

    const char *bad [] = { "5000..1000", "abc", "1000..", "..5000", "0..5000", "-5..10", "100,50",
                           "100,,200", "100,", "100,100", "nan", "inf..inf", "1e9", "1000..x",
                           "", NULL };
    //  one rate too many
    char many [400] = "";
    for (int r = 1; r <= SWEEP_MAX_STEPS + 1; r++)
        snprintf (many + strlen (many), sizeof many - strlen (many), "%s%d", r > 1 ? "," : "", r);
    bad [sizeof bad / sizeof bad [0] - 1] = many;
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        reason [0] = 0;
        if (sweep_plan (bad [i], 0, &plan, reason, sizeof reason) != -1)
            fail_msg ("--sweep '%s' was taken", bad [i]);
        assert_true (strlen (reason) > 0 && !strchr (reason, '\n'));
    }
    assert_int_equal (sweep_plan ("100,200", 100, &plan, reason, sizeof reason), -1);
    assert_int_equal (sweep_plan ("1..100000", 1, &plan, reason, sizeof reason), -1);
    assert_non_null (strstr (reason, "at most 64"));
    assert_int_equal (sweep_plan ("1000..5000", -1, &plan, reason, sizeof reason), -1);
}

//  The plot: points where they belong, the ones that confirmed nothing left
//  out, the cap drawn, the axes labelled, the title escaped
static void
test_svg (void **state)
{
    (void) state;
    sweep_t sweep = { .p99_cap = 2.0, .step_seconds = 5 };
    sweep.points [sweep.n++] = s_point (6000, 5900, 0.9, 1.7);
    sweep.points [sweep.n++] = s_point (2000, 1990, 0.6, 1.1);
    sweep.points [sweep.n++] = (sweep_point_t) { .offered = 9000, .txs = 45000, .cpu = -1 };
    sweep.points [sweep.n++] = s_point (4000, 3900, 0.7, 1.4);
    char *svg = s_written (s_svg, &sweep, "a <b> & \"c\"");
    assert_non_null (strstr (svg, ">a &lt;b&gt; &amp; &quot;c&quot;</text>"));
    assert_null (strstr (svg, "<b>"));
    assert_int_equal (s_count (svg, "<circle class=\"p50\""), 3);
    assert_int_equal (s_count (svg, "<rect class=\"p99\""), 3);
    assert_null (strstr (svg, "offered 9000"));
    assert_non_null (strstr (svg, "confirmed transactions per second"));
    assert_non_null (strstr (svg, "confirmation latency (s)"));
    assert_non_null (strstr (svg, "p99 cap 2 s"));
    assert_int_equal (s_count (svg, "<polyline"), 2);

    //  drawn in the order of the offered rates: x grows with the confirmed
    //  rate, and each p99 sits above (a smaller y than) its p50
    double last_x = 0;
    const double achieved [] = { 1990, 3900, 5900 };
    for (size_t k = 0; k < 3; k++) {
        double x = s_attribute (svg, "<circle class=\"p50\"", k, "cx");
        double y50 = s_attribute (svg, "<circle class=\"p50\"", k, "cy");
        double y99 = s_attribute (svg, "<rect class=\"p99\"", k, "y") + 4;
        assert_true (x > last_x);
        assert_true (y99 < y50);
        last_x = x;
        char title [80];
        snprintf (title, sizeof title, "confirmed %.0f tx/s", achieved [k]);
        const char *circle = strstr (svg, "<circle class=\"p50\"");
        for (size_t i = 0; i < k; i++)
            circle = strstr (circle + 1, "<circle class=\"p50\"");
        assert_true (strstr (circle, title) < strstr (circle, "</circle>"));
    }
    //  inside the picture, the cap below the top of the y axis
    assert_true (last_x < 720);
    double cap_y = s_attribute (svg, "<line class=\"cap\"", 0, "y1");
    assert_true (cap_y > 0 && cap_y < 480);
    //  the highest p99 (1.7 s) is under the cap line's 2 s: higher on the
    //  picture means a smaller y
    assert_true (s_attribute (svg, "<rect class=\"p99\"", 2, "y") + 4 > cap_y);
    //  the x axis reaches the highest confirmed rate: a tick label at 6000
    assert_non_null (strstr (svg, ">6000</text>"));
    free (svg);
}

static void
test_svg_of_nothing (void **state)
{
    (void) state;
    sweep_t sweep = { .p99_cap = 1.5, .step_seconds = 5 };
    char *svg = s_written (s_svg, &sweep, "empty");
    assert_non_null (strstr (svg, "no step confirmed anything"));
    assert_non_null (strstr (svg, "</svg>\n"));
    assert_int_equal (s_count (svg, "<circle class=\"p50\""), 0);
    assert_null (strstr (svg, "nan"));
    assert_null (strstr (svg, "inf"));
    free (svg);
}

//  Whatever the why says, the JSON stays JSON
static void
test_json_strings (void **state)
{
    (void) state;
    sweep_t sweep = { .p99_cap = 2.0, .step_seconds = 2, .stopped = "a \"quoted\"\nline\\" };
    sweep.points [sweep.n++] = s_point (100, 99, 0.3, 0.6);
    sweep.points [0].cpu = 1.75;
    char *json = s_written (s_json, &sweep, NULL);
    assert_non_null (strstr (json, "\"stopped\":\"a \\\"quoted\\\"\\u000aline\\\\\""));
    assert_non_null (strstr (json, "\"cpu_per_tx_verifications\":1.750"));
    assert_non_null (strstr (json, "\"step_seconds\":2.000"));
    assert_int_equal (s_count (json, "\n"), 1);
    free (json);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_cap_exceeded_in_the_middle),
        cmocka_unit_test (test_order_does_not_matter),
        cmocka_unit_test (test_none_under_the_cap),
        cmocka_unit_test (test_saturation),
        cmocka_unit_test (test_plans),
        cmocka_unit_test (test_svg),
        cmocka_unit_test (test_svg_of_nothing),
        cmocka_unit_test (test_json_strings),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
