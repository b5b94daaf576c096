/*  test_report.c - zchain bench --report without a node: the per-second
 *  rows and the latency bins it keeps, and the one HTML page it writes of
 *  them (charts, figures, escaping, a bounded size whatever the run)
 */
#include "report.h"
#include "svg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

//  The page, as a string the caller frees
static char *
s_page (const report_t *report, size_t *size_p)
{
    FILE *out = tmpfile ();
    assert_non_null (out);
    assert_int_equal (report_write_html (out, report), 0);
    long size = ftell (out);
    assert_true (size > 0);
    char *text = malloc ((size_t) size + 1);
    assert_non_null (text);
    rewind (out);
    assert_int_equal (fread (text, 1, (size_t) size, out), (size_t) size);
    text [size] = 0;
    fclose (out);
    if (size_p)
        *size_p = (size_t) size;
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

//  Nothing on the page asks the browser for anything, or runs
static void
s_assert_self_contained (const char *html)
{
    assert_null (strstr (html, "<script"));
    assert_null (strstr (html, "src="));
    assert_null (strstr (html, "href="));
    assert_null (strstr (html, "url("));
    assert_null (strstr (html, "@import"));
    assert_null (strstr (html, "<link"));
    assert_null (strstr (html, "<?xml"));           //  SVG inline, not files
    assert_null (strstr (html, "nan"));
    assert_null (strstr (html, "inf"));
}

//  The x,y pairs of the polyline of class cls into xs, ys; how many
static size_t
s_polyline (const char *html, const char *cls, double *xs, double *ys, size_t max)
{
    char tag [64];
    snprintf (tag, sizeof tag, "<polyline class=\"%s\"", cls);
    const char *at = strstr (html, tag);
    assert_non_null (at);
    at = strstr (at, "points=\"");
    assert_non_null (at);
    at += 8;
    size_t n = 0;
    while (*at != '"') {
        char *end;
        double x = strtod (at, &end);
        assert_true (*end == ',');
        double y = strtod (end + 1, &end);
        if (n < max) {
            xs [n] = x;
            ys [n] = y;
        }
        n++;
        at = end;
        while (*at == ' ')
            at++;
    }
    return n;
}

//  A ten-second run as zchain bench records one: 1000 tx/s submitted for
//  five seconds, accepted a second later, confirmed a second after that;
//  latencies of 1 to 1000 ms
static void
s_known_run (report_run_t *run)
{
    memset (run, 0, sizeof *run);
    for (int t = 0; t <= 9; t++) {
        size_t sub = (size_t) (t < 5 ? t : 5) * 1000;
        size_t acc = (size_t) (t < 1 ? 0 : t < 6 ? t - 1 : 5) * 1000;
        size_t conf = (size_t) (t < 2 ? 0 : t < 7 ? t - 2 : 5) * 1000;
        report_series_add (&run->series, (report_row_t) { t, sub, acc, conf });
    }
    report_series_end (&run->series, (report_row_t) { 10, 5000, 5000, 5000 });

    int64_t us [1000];
    for (int i = 0; i < 1000; i++)
        us [i] = (int64_t) (i + 1) * 1000;
    report_hist_build (&run->accept_hist, us, 1000);
    report_hist_build (&run->confirm_hist, us, 1000);
    run->txs = 5000;
    run->accounts = 50;
    run->batch = 500;
    run->window = 20000;
    run->offered_tps = 1000;
    run->submitted = 5000;
    run->accepted = 4990;
    run->rejected = 10;
    run->confirmed = 4990;
    run->retries = 3;
    run->accept_tps = 998.5;
    run->confirm_tps = 712.25;
    run->accept = (report_lat_t) { 0.5, 0.9, 0.99, 1.0, 1000 };
    run->confirm = (report_lat_t) { 0.501, 0.901, 0.991, 1.0, 1000 };
    snprintf (run->rejects [0].name, sizeof run->rejects [0].name, "bad_sig");
    run->rejects [0].count = 7;
    snprintf (run->rejects [1].name, sizeof run->rejects [1].name, "double_spend");
    run->rejects [1].count = 3;
    run->n_rejects = 2;
    run->cpu_known = true;
    run->verify_us = 35.5;
    run->node_seconds = 12.345;
    run->per_tx = 2.456;
    snprintf (run->by_service [0].service, sizeof run->by_service [0].service, "validator");
    run->by_service [0].per_tx = 1.125;
    snprintf (run->by_service [1].service, sizeof run->by_service [1].service, "storage");
    run->by_service [1].per_tx = 0.5;
    run->n_services = 2;
    run->verified = 1;
}

//  The page of one run: three charts, the figures beside them
static void
test_usage (void **state)
{
    (void) state;
    report_run_t *run = malloc (sizeof *run);
    assert_non_null (run);
    s_known_run (run);
    assert_int_equal (run->series.n, 11);
    report_t report = { .title = "zchain bench: 5000 transactions", .command = "zchain bench --txs 5000",
                        .generated = "2026-12-02 10:00 UTC", .runs = run, .n_runs = 1 };
    char *html = s_page (&report, NULL);
    assert_true (!strncmp (html, "<!DOCTYPE html>\n<html lang=\"en\">", 32));
    assert_non_null (strstr (html, "<meta charset=\"utf-8\">"));
    assert_non_null (strstr (html, "<style>"));
    assert_non_null (strstr (html, "</html>\n"));
    s_assert_self_contained (html);
    assert_non_null (strstr (html, "<title>zchain bench: 5000 transactions</title>"));
    assert_non_null (strstr (html, "<code>zchain bench --txs 5000</code>"));

    //  the charts: throughput, acceptance, confirmation
    assert_int_equal (s_count (html, "<svg "), 3);
    assert_int_equal (s_count (html, "</svg>"), 3);
    assert_non_null (strstr (html, "Throughput: transactions per second"));
    assert_non_null (strstr (html, "acceptance latency: 1000 transactions"));
    assert_non_null (strstr (html, "confirmation latency: 1000 transactions"));

    //  each line a step per interval, where the rate was: submitted 1000
    //  tx/s from 0 to 5 s, then nothing
    double xs [64], ys [64];
    size_t n = s_polyline (html, "submitted", xs, ys, 64);
    assert_int_equal (n, 2 * 10);
    double y_top, y_step;
    svg_axis (1000 * 1.3, &y_top, &y_step);
    double bottom = 360 - SVG_BOTTOM, at_1000 = bottom - 1000 / y_top * (bottom - SVG_TOP);
    assert_true (xs [0] == SVG_LEFT);
    assert_true (ys [0] > at_1000 - 0.06 && ys [0] < at_1000 + 0.06);
    assert_true (ys [9] > at_1000 - 0.06 && ys [9] < at_1000 + 0.06);      //  4 to 5 s
    assert_true (ys [10] > bottom - 0.06 && ys [10] < bottom + 0.06);      //  5 to 6 s: none
    assert_true (xs [19] > 720 - SVG_RIGHT - 0.06 && xs [19] < 720 - SVG_RIGHT + 0.06);
    //  confirmed: nothing for the first two seconds
    n = s_polyline (html, "confirmed", xs, ys, 64);
    assert_int_equal (n, 20);
    assert_true (ys [0] > bottom - 0.06 && ys [3] > bottom - 0.06);
    assert_true (ys [4] < at_1000 + 0.06);
    assert_non_null (strstr (html, "<polyline class=\"accepted\""));

    //  the histogram: 1 to 1000 ms in 60 bins of 1/60 s, none empty
    assert_true (run->accept_hist.top_s == 1.0);
    size_t sum = 0;
    for (size_t b = 0; b < REPORT_BINS; b++) {
        assert_true (run->accept_hist.counts [b] >= 16 && run->accept_hist.counts [b] <= 17);
        sum += run->accept_hist.counts [b];
    }
    assert_int_equal (sum, 1000);
    assert_int_equal (s_count (html, "<rect class=\"bin\""), 2 * REPORT_BINS);
    assert_non_null (strstr (html, "<title>0.000 to 0.017 s: 16 transactions</title>"));
    //  the quantiles marked, the figures' own
    assert_int_equal (s_count (html, "<line class=\"mark-p50\""), 2);
    assert_non_null (strstr (html, ">p50 0.500 s</text>"));
    assert_non_null (strstr (html, ">p90 0.900 s</text>"));
    assert_non_null (strstr (html, ">p99 0.990 s</text>"));
    assert_non_null (strstr (html, ">max 1.000 s</text>"));
    assert_non_null (strstr (html, ">p99 0.991 s</text>"));

    //  the figures: what --json says
    assert_non_null (strstr (html, "<tr><th>transactions</th><td class=\"n\">5000</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>offered tx/s</th><td class=\"n\">1000.0</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>accepted</th><td class=\"n\">4990</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>confirmed</th><td class=\"n\">4990</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>confirmed tx/s</th><td class=\"n\">712.2</td></tr>")
                  || strstr (html, "<tr><th>confirmed tx/s</th><td class=\"n\">712.3</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>accepted tx/s</th><td class=\"n\">998.5</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>rejected</th><td class=\"n\">10</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>retried</th><td class=\"n\">3</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>error rate</th><td class=\"n\">0.2000 %</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>bad_sig</th><td class=\"n\">7</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>double_spend</th><td class=\"n\">3</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>acceptance</th><td class=\"n\">0.5000</td><td class=\"n\">0.9000</td>"
                                   "<td class=\"n\">0.9900</td><td class=\"n\">1.0000</td><td class=\"n\">1000</td>"));
    assert_non_null (strstr (html, "<tr><th>confirmation</th><td class=\"n\">0.5010</td>"));
    assert_non_null (strstr (html, "<tr><th>node per tx</th><td class=\"n\">2.456 x</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>validator</th><td class=\"n\">1.125 x</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>storage</th><td class=\"n\">0.500 x</td></tr>"));
    assert_non_null (strstr (html, "<tr><th>one BIP340 verification</th><td class=\"n\">35.50 us</td></tr>"));
    assert_non_null (strstr (html, "every balance exact"));
    //  not a sweep
    assert_null (strstr (html, "<details"));
    assert_null (strstr (html, "Sweep"));
    free (html);

    //  without the sidecar: why not
    run->cpu_known = false;
    snprintf (run->cpu_reason, sizeof run->cpu_reason, "connection refused");
    run->verified = -1;
    html = s_page (&report, NULL);
    assert_non_null (strstr (html, "unknown (connection refused)"));
    assert_null (strstr (html, "node per tx"));
    assert_non_null (strstr (html, "not asked"));
    free (html);
    free (run);
}

//  Every text from outside is escaped: nothing a name says becomes markup
static void
test_escaping (void **state)
{
    (void) state;
    report_run_t *run = malloc (sizeof *run);
    assert_non_null (run);
    s_known_run (run);
    const char *evil = "<script>alert('x')</script>&\"";
    snprintf (run->label, sizeof run->label, "%s", evil);
    snprintf (run->rejects [0].name, sizeof run->rejects [0].name, "<b>bad</b>");
    snprintf (run->by_service [0].service, sizeof run->by_service [0].service, "<i>v</i>");
    sweep_t sweep = { .p99_cap = 2, .step_seconds = 2, .stopped = evil };
    sweep.points [sweep.n++] = (sweep_point_t) { .offered = 100, .achieved = 99, .p50 = 0.5, .p90 = 0.8,
                                                 .p99 = 0.9, .max = 1, .txs = 200, .confirmed = 200,
                                                 .cpu = -1 };
    report_t report = { .title = evil, .command = evil, .generated = evil, .runs = run, .n_runs = 1,
                        .sweep = &sweep };
    char *html = s_page (&report, NULL);
    s_assert_self_contained (html);
    assert_null (strstr (html, "<b>"));
    assert_null (strstr (html, "<i>"));
    assert_null (strstr (html, "alert('x')"));
    assert_non_null (strstr (html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
    assert_non_null (strstr (html, "<tr><th>&lt;b&gt;bad&lt;/b&gt;</th>"));
    assert_non_null (strstr (html, "<tr><th>&lt;i&gt;v&lt;/i&gt;</th>"));
    //  the label is the step's summary; the reason the sweep stopped is said
    assert_non_null (strstr (html, "<summary>&lt;script&gt;"));
    assert_non_null (strstr (html, "<p>Stopped: &lt;script&gt;"));
    free (html);
    free (run);
}

//  A sweep: its table and plot first, then each step folded
static void
test_sweep (void **state)
{
    (void) state;
    sweep_t sweep = { .p99_cap = 2.0, .step_seconds = 5, .stopped = "saturated at 8000 tx/s" };
    const double offered [] = { 2000, 4000, 6000, 8000 }, achieved [] = { 1990, 3980, 5900, 6100 };
    const double p99 [] = { 1.2, 1.5, 1.9, 4.5 };
    report_run_t *runs = calloc (4, sizeof *runs);
    assert_non_null (runs);
    for (size_t k = 0; k < 4; k++) {
        sweep.points [sweep.n++] = (sweep_point_t) {
            .offered = offered [k], .achieved = achieved [k], .p50 = p99 [k] / 2, .p90 = p99 [k] * 0.9,
            .p99 = p99 [k], .max = p99 [k] * 1.1, .txs = (size_t) offered [k] * 5,
            .confirmed = (size_t) offered [k] * 5, .retries = k, .cpu = k == 0 ? -1 : 3.0 - (double) k / 2
        };
        s_known_run (&runs [k]);
        snprintf (runs [k].label, sizeof runs [k].label, "step %zu: %.0f tx/s offered", k + 1, offered [k]);
        runs [k].confirmed = (size_t) offered [k] * 5;
    }
    report_t report = { .title = "zchain bench --sweep", .runs = runs, .n_runs = 4, .sweep = &sweep };
    char *html = s_page (&report, NULL);
    s_assert_self_contained (html);
    const char *table = strstr (html, "<table class=\"sweep-table\">");
    assert_non_null (table);
    assert_true (table < strstr (html, "<details"));
    assert_non_null (strstr (html, "<th>p99 &lt; 2 s</th>"));
    assert_non_null (strstr (html, "<tr><td class=\"n\">6000</td><td class=\"n\">5900</td><td class=\"n\">0.950</td>"));
    assert_non_null (strstr (html, "<td class=\"n\">40000 of 40000</td><td class=\"n\">3</td>"
                                   "<td class=\"n\">1.50 x</td><td>no</td></tr>"));
    assert_non_null (strstr (html, "under 2 s: <strong>6000 tx/s</strong>"));
    assert_non_null (strstr (html, "<p>Stopped: saturated at 8000 tx/s</p>"));
    //  the plot --plot draws, inline: its points and the cap
    assert_int_equal (s_count (html, "<circle class=\"p50\""), 4);
    assert_non_null (strstr (html, "<line class=\"cap\""));
    assert_non_null (strstr (html, "<title>offered 8000 tx/s: confirmed 6100 tx/s"));
    //  then every step, folded, with its charts and figures
    assert_int_equal (s_count (html, "<details class=\"step\">"), 4);
    assert_non_null (strstr (html, "<summary>step 4: 8000 tx/s offered</summary>"));
    assert_int_equal (s_count (html, "<svg "), 1 + 4 * 3);
    assert_non_null (strstr (html, "<tr><th>confirmed</th><td class=\"n\">40000</td></tr>"));
    free (html);
    free (runs);
}

//  The counts of a run of any length fit: thinned, evenly, first and last kept
static void
test_series_bounded (void **state)
{
    (void) state;
    report_series_t *series = calloc (1, sizeof *series);
    assert_non_null (series);
    for (size_t t = 0; t < 1000000; t++) {
        report_series_add (series, (report_row_t) { (double) t, t * 10, t * 9, t * 8 });
        assert_true (series->n <= REPORT_MAX_ROWS);
    }
    report_series_end (series, (report_row_t) { 1000000.5, 1, 2, 3 });
    assert_true (series->n <= REPORT_MAX_ROWS && series->n > REPORT_MAX_ROWS / 2);
    assert_true (series->rows [0].t == 0);
    assert_true (series->rows [series->n - 1].t == 1000000.5);
    assert_int_equal (series->rows [series->n - 1].confirmed, 3);
    double spacing = series->rows [1].t - series->rows [0].t;
    assert_true (spacing == (double) series->stride);
    for (size_t i = 1; i + 1 < series->n; i++) {
        assert_true (series->rows [i].t - series->rows [i - 1].t == spacing);
        //  a kept row holds the counts of its own second
        assert_int_equal (series->rows [i].submitted, (size_t) series->rows [i].t * 10);
    }

    //  rows not later than the last are left out; an end at the same
    //  instant brings the newer counts
    memset (series, 0, sizeof *series);
    report_series_add (series, (report_row_t) { 0, 0, 0, 0 });
    report_series_add (series, (report_row_t) { 1, 5, 4, 3 });
    report_series_add (series, (report_row_t) { 1, 6, 6, 6 });
    report_series_add (series, (report_row_t) { 0.5, 6, 6, 6 });
    assert_int_equal (series->n, 2);
    report_series_end (series, (report_row_t) { 1, 7, 7, 7 });
    assert_int_equal (series->n, 2);
    assert_int_equal (series->rows [1].submitted, 7);
    free (series);
}

//  Millions of latencies and a long run make a page of the same size as
//  a small one: bins and rows, not samples
static void
test_page_bounded (void **state)
{
    (void) state;
    report_run_t *run = calloc (1, sizeof *run);
    assert_non_null (run);
    s_known_run (run);
    size_t n = 3000000;
    int64_t *us = malloc (n * sizeof *us);
    assert_non_null (us);
    for (size_t i = 0; i < n; i++)
        us [i] = (int64_t) (i % 2000000) + 1;
    us [7] = 3600LL * 1000000;          //  one hour: the tail widens the bins
    us [8] = -5;                        //  a clock step back counts as 0
    report_hist_build (&run->confirm_hist, us, n);
    free (us);
    size_t sum = 0;
    for (size_t b = 0; b < REPORT_BINS; b++)
        sum += run->confirm_hist.counts [b];
    assert_int_equal (sum, n);
    assert_true (run->confirm_hist.top_s >= 3600);
    assert_int_equal (run->confirm_hist.counts [(size_t) (3600 / run->confirm_hist.bin_s)], 1);
    assert_int_equal (run->confirm_hist.counts [0], n - 1);
    memset (&run->series, 0, sizeof run->series);
    for (size_t t = 0; t < 200000; t++)
        report_series_add (&run->series, (report_row_t) { (double) t, t * 1000, t * 990, t * 900 });
    report_series_end (&run->series, (report_row_t) { 200000, 200000000, 198000000, 180000000 });

    size_t size;
    report_t report = { .title = "long", .runs = run, .n_runs = 1 };
    char *html = s_page (&report, &size);
    s_assert_self_contained (html);
    assert_true (s_count (html, "<rect class=\"bin\"") <= 2 * REPORT_BINS);
    double xs [1], ys [1];
    assert_true (s_polyline (html, "confirmed", xs, ys, 1) <= 2 * REPORT_MAX_ROWS);
    //  three charts of at most 512 rows and 60 bins, and the tables
    assert_true (size < 160000);
    free (html);

    //  and a hist of nothing is empty, not a division by zero
    report_hist_build (&run->accept_hist, NULL, 0);
    assert_int_equal (run->accept_hist.n, 0);
    assert_true (run->accept_hist.top_s > 0);
    free (run);
}

//  A run that recorded nothing: the page says so, with no NaN in it
static void
test_empty (void **state)
{
    (void) state;
    report_run_t *run = calloc (1, sizeof *run);
    assert_non_null (run);
    run->verified = -1;
    report_t report = { .runs = run, .n_runs = 1 };
    char *html = s_page (&report, NULL);
    s_assert_self_contained (html);
    assert_non_null (strstr (html, "<title>zchain bench</title>"));
    assert_non_null (strstr (html, "the run ended before a second of it was recorded"));
    assert_non_null (strstr (html, "no transaction reached acceptance"));
    assert_non_null (strstr (html, "no transaction reached confirmation"));
    assert_non_null (strstr (html, "<tr><td>none</td></tr>"));
    assert_int_equal (s_count (html, "<svg "), 3);
    free (html);
    free (run);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_escaping),
        cmocka_unit_test (test_sweep),
        cmocka_unit_test (test_series_bounded),
        cmocka_unit_test (test_page_bounded),
        cmocka_unit_test (test_empty),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
