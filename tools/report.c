/*  report.c - zchain bench --report without the node: one HTML page of a run */
#include "report.h"
#include "svg.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

_Static_assert (REPORT_MAX_ROWS % 2 == 0, "thinning keeps every other row");

//  Keep every other row, the first among them; the stride doubles
static void
s_thin (report_series_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->n; i += 2)
        self->rows [kept++] = self->rows [i];
    self->n = kept;
    self->stride *= 2;
}

void
report_series_add (report_series_t *self, report_row_t row)
{
    assert (self);
    if (self->stride == 0)
        self->stride = 1;
    size_t k = self->offered++;
    if (k % self->stride)
        return;
    if (self->n && !(row.t > self->rows [self->n - 1].t))
        return;
    if (self->n == REPORT_MAX_ROWS) {
        s_thin (self);
        //  a row that falls between the ones now kept goes too
        if (k % self->stride)
            return;
    }
    self->rows [self->n++] = row;
}

void
report_series_end (report_series_t *self, report_row_t row)
{
    assert (self);
    if (self->stride == 0)
        self->stride = 1;
    if (self->n && !(row.t > self->rows [self->n - 1].t)) {
        //  as late as the last: the same instant, the newer counts
        if (row.t == self->rows [self->n - 1].t)
            self->rows [self->n - 1] = row;
        return;
    }
    if (self->n == REPORT_MAX_ROWS)
        s_thin (self);
    self->rows [self->n++] = row;
}

void
report_hist_build (report_hist_t *self, const int64_t *us, size_t n)
{
    assert (self && (us || n == 0));
    memset (self, 0, sizeof *self);
    int64_t largest = 0;
    for (size_t i = 0; i < n; i++)
        largest = us [i] > largest ? us [i] : largest;
    //  bins that fall on the chart's ticks: its axis is the same round top
    double step;
    svg_axis ((double) largest / 1e6, &self->top_s, &step);
    self->bin_s = self->top_s / REPORT_BINS;
    for (size_t i = 0; i < n; i++) {
        double s = us [i] > 0 ? (double) us [i] / 1e6 : 0;
        size_t bin = (size_t) (s / self->bin_s);
        self->counts [bin < REPORT_BINS ? bin : REPORT_BINS - 1]++;
    }
    self->n = n;
}

// ---------------------------------------------------------------------------
//  The page

#define THROUGHPUT_WIDTH 720
#define THROUGHPUT_HEIGHT 360
#define LATENCY_WIDTH 560
#define LATENCY_HEIGHT 340

static const char s_style [] =
    "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1500px}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
    "code{background:#f3f3f3;padding:0 .2em}\n"
    ".run{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}\n"
    ".charts{display:flex;flex-direction:column;gap:1em;flex:1 1 600px}\n"
    ".charts svg,.sweep svg{max-width:100%;height:auto;border:1px solid #ddd}\n"
    ".figures{flex:0 1 420px}.figures table{width:100%}\n"
    "table{border-collapse:collapse;margin:0 0 1em}\n"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "thead th{background:#f3f3f3}\n"
    "caption{text-align:left;font-weight:bold;padding:.3em 0}\n"
    "details{margin:1em 0}summary{cursor:pointer;font-weight:bold}\n"
    ".bad{color:#b00}\n";

//  One row of a two-column table: a name, and a value printed by format
static void
s_row (FILE *out, const char *name, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_row (FILE *out, const char *name, const char *format, ...)
{
    fprintf (out, "<tr><th>");
    svg_escape (out, name);
    fprintf (out, "</th><td class=\"n\">");
    char value [320];
    va_list args;
    va_start (args, format);
    vsnprintf (value, sizeof value, format, args);
    va_end (args);
    svg_escape (out, value);
    fprintf (out, "</td></tr>\n");
}

//  A figure, or a dash where there is none to give
static const char *
s_number (char *buf, size_t size, double v, int decimals)
{
    if (isfinite (v))
        snprintf (buf, size, "%.*f", decimals, v);
    else
        snprintf (buf, size, "-");
    return buf;
}

//  The run's rates between rows: which 0 submitted, 1 accepted, 2 confirmed
static double
s_rate (const report_series_t *series, size_t i, int which)
{
    const report_row_t *a = &series->rows [i - 1], *b = &series->rows [i];
    size_t from = which == 0 ? a->submitted : which == 1 ? a->accepted : a->confirmed;
    size_t to = which == 0 ? b->submitted : which == 1 ? b->accepted : b->confirmed;
    //  counts only grow; a caller's slip must not draw a huge spike
    return to > from ? (double) (to - from) / (b->t - a->t) : 0;
}

static void
s_throughput_chart (FILE *out, const report_run_t *run)
{
    const report_series_t *series = &run->series;
    size_t n = series->n <= REPORT_MAX_ROWS ? series->n : REPORT_MAX_ROWS;
    double y_max = 0;
    for (size_t i = 1; i < n; i++)
        for (int which = 0; which < 3; which++) {
            double r = s_rate (series, i, which);
            y_max = r > y_max ? r : y_max;
        }
    //  headroom over the highest rate: the legend's three lines go there
    svg_chart_t chart;
    svg_chart_begin (&chart, out, false, THROUGHPUT_WIDTH, THROUGHPUT_HEIGHT,
                     "Throughput: transactions per second, each interval of the run",
                     n ? series->rows [n - 1].t : 1, y_max * 1.3, "seconds since the first submission",
                     "transactions per second");
    //  submitted dashed and drawn last: where the node keeps up, accepted
    //  lies right under it and shows through the gaps
    static const struct {
        const char *name;
        const char *colour;
        const char *dash;
    } s_lines [3] = { { "submitted", "#555", "5 4" }, { "accepted", "#1f77b4", NULL },
                      { "confirmed", "#2ca02c", NULL } };
    static const int s_order [3] = { 1, 2, 0 };
    if (n >= 2) {
        //  steps: each interval's rate held across it
        double xs [2 * REPORT_MAX_ROWS], ys [2 * REPORT_MAX_ROWS];
        for (int o = 0; o < 3; o++) {
            int which = s_order [o];
            size_t k = 0;
            for (size_t i = 1; i < n; i++) {
                double r = s_rate (series, i, which);
                xs [k] = series->rows [i - 1].t, ys [k++] = r;
                xs [k] = series->rows [i].t, ys [k++] = r;
            }
            svg_chart_polyline (&chart, s_lines [which].name, s_lines [which].colour, s_lines [which].dash,
                                xs, ys, k);
        }
    }
    else
        svg_chart_note (&chart, "the run ended before a second of it was recorded");
    svg_key_t keys [3];
    for (int which = 0; which < 3; which++)
        keys [which] = (svg_key_t) { SVG_LINE, s_lines [which].colour, s_lines [which].name, s_lines [which].dash };
    svg_chart_legend (&chart, keys, 3);
    svg_chart_end (&chart);
}

static void
s_latency_chart (FILE *out, const char *what, const report_hist_t *hist, const report_lat_t *lat,
                 const char *colour)
{
    size_t peak = 0;
    for (size_t b = 0; b < REPORT_BINS; b++)
        peak = hist->counts [b] > peak ? hist->counts [b] : peak;
    char title [128], y_title [96];
    snprintf (title, sizeof title, "%s latency: %zu transactions", what, hist->n);
    snprintf (y_title, sizeof y_title, "transactions per %.3g ms", hist->bin_s * 1e3);
    svg_chart_t chart;
    svg_chart_begin (&chart, out, false, LATENCY_WIDTH, LATENCY_HEIGHT, title,
                     hist->n ? hist->top_s : 1, (double) peak * 1.15,
                     "seconds from submission", hist->n ? y_title : "transactions");
    if (hist->n == 0) {
        char note [96];
        snprintf (note, sizeof note, "no transaction reached %s", what);
        svg_chart_note (&chart, note);
        svg_chart_end (&chart);
        return;
    }
    for (size_t b = 0; b < REPORT_BINS; b++) {
        if (hist->counts [b] == 0)
            continue;
        char tip [128];
        snprintf (tip, sizeof tip, "%.3f to %.3f s: %zu transactions", (double) b * hist->bin_s,
                  (double) (b + 1) * hist->bin_s, hist->counts [b]);
        svg_chart_bar (&chart, "bin", colour, (double) b * hist->bin_s, (double) (b + 1) * hist->bin_s,
                       (double) hist->counts [b], tip);
    }
    const struct {
        const char *name;
        double v;
        const char *colour;
    } marks [4] = { { "p50", lat->p50, "#2ca02c" }, { "p90", lat->p90, "#9467bd" },
                    { "p99", lat->p99, "#ff7f0e" }, { "max", lat->max, "#d62728" } };
    for (int m = 0; m < 4; m++) {
        if (!isfinite (marks [m].v))
            continue;
        char label [64], cls [16];
        snprintf (label, sizeof label, "%s %.3f s", marks [m].name, marks [m].v);
        snprintf (cls, sizeof cls, "mark-%s", marks [m].name);
        svg_chart_vline (&chart, cls, marks [m].colour, marks [m].v, label, m);
    }
    svg_chart_end (&chart);
}

static void
s_figures (FILE *out, const report_run_t *run)
{
    char a [32], b [32], c [32], d [32];
    fprintf (out, "<div class=\"figures\">\n<table class=\"figures-run\">\n<caption>The run</caption>\n");
    s_row (out, "transactions", "%zu", run->txs);
    s_row (out, "accounts", "%d", run->accounts);
    s_row (out, "batch", "%d", run->batch);
    s_row (out, "window", "%d", run->window);
    s_row (out, "offered tx/s", "%s", s_number (a, sizeof a, run->offered_tps, 1));
    s_row (out, "submitted", "%zu", run->submitted);
    s_row (out, "accepted", "%zu", run->accepted);
    s_row (out, "accepted tx/s", "%s", s_number (a, sizeof a, run->accept_tps, 1));
    s_row (out, "confirmed", "%zu", run->confirmed);
    s_row (out, "confirmed tx/s", "%s", s_number (a, sizeof a, run->confirm_tps, 1));
    s_row (out, "rejected", "%zu", run->rejected);
    s_row (out, "retried", "%zu", run->retries);
    s_row (out, "error rate", "%.4f %%",
           run->txs ? 100.0 * (double) (run->txs - (run->confirmed < run->txs ? run->confirmed : run->txs))
                          / (double) run->txs : 0.0);
    s_row (out, "verified", "%s", run->verified < 0 ? "not asked (--verify)"
                                : run->verified ? "every balance exact; outputs add up to the coinbases"
                                : "FAILED");
    fprintf (out, "</table>\n");

    fprintf (out, "<table class=\"latency\">\n<caption>Latency, seconds from submission</caption>\n"
                  "<thead><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>timed</th></tr>"
                  "</thead>\n");
    const struct {
        const char *name;
        const report_lat_t *lat;
    } lats [2] = { { "acceptance", &run->accept }, { "confirmation", &run->confirm } };
    for (int k = 0; k < 2; k++) {
        const report_lat_t *l = lats [k].lat;
        fprintf (out, "<tr><th>%s</th><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                      "<td class=\"n\">%s</td><td class=\"n\">%zu</td></tr>\n", lats [k].name,
                 s_number (a, sizeof a, l->p50, 4), s_number (b, sizeof b, l->p90, 4),
                 s_number (c, sizeof c, l->p99, 4), s_number (d, sizeof d, l->max, 4), l->n);
    }
    fprintf (out, "</table>\n");

    fprintf (out, "<table class=\"rejects\">\n<caption>Rejected, by reason</caption>\n");
    size_t n_rejects = run->n_rejects < REPORT_MAX_REASONS ? run->n_rejects : REPORT_MAX_REASONS;
    for (size_t k = 0; k < n_rejects; k++)
        s_row (out, run->rejects [k].name, "%zu", run->rejects [k].count);
    if (n_rejects == 0)
        fprintf (out, "<tr><td>none</td></tr>\n");
    fprintf (out, "</table>\n");

    fprintf (out, "<table class=\"cpu\">\n<caption>Node CPU per confirmed transaction</caption>\n");
    if (run->cpu_known) {
        s_row (out, "one BIP340 verification", "%s us", s_number (a, sizeof a, run->verify_us, 2));
        s_row (out, "node CPU over the run", "%s s", s_number (a, sizeof a, run->node_seconds, 3));
        s_row (out, "node per tx", "%s x", s_number (a, sizeof a, run->per_tx, 3));
        size_t n_services = run->n_services < REPORT_MAX_SERVICES ? run->n_services : REPORT_MAX_SERVICES;
        for (size_t k = 0; k < n_services; k++)
            s_row (out, run->by_service [k].service, "%s x", s_number (a, sizeof a, run->by_service [k].per_tx, 3));
    }
    else {
        fprintf (out, "<tr><td>unknown (");
        svg_escape (out, run->cpu_reason [0] ? run->cpu_reason : "no --metrics sidecar answered");
        fprintf (out, ")</td></tr>\n");
    }
    fprintf (out, "</table>\n</div>\n");
}

static void
s_run (FILE *out, const report_run_t *run)
{
    fprintf (out, "<div class=\"run\">\n<div class=\"charts\">\n");
    s_throughput_chart (out, run);
    s_latency_chart (out, "acceptance", &run->accept_hist, &run->accept, "#1f77b4");
    s_latency_chart (out, "confirmation", &run->confirm_hist, &run->confirm, "#2ca02c");
    fprintf (out, "</div>\n");
    s_figures (out, run);
    fprintf (out, "</div>\n");
}

static void
s_sweep (FILE *out, const sweep_t *sweep)
{
    char a [32], b [32], c [32], d [32], e [32], f [32];
    fprintf (out, "<section class=\"sweep\">\n<h2>Sweep</h2>\n<table class=\"sweep-table\">\n<thead><tr>"
                  "<th>offered tx/s</th><th>confirmed tx/s</th><th>p50 s</th><th>p90 s</th><th>p99 s</th>"
                  "<th>max s</th><th>confirmed</th><th>retried</th><th>node cpu per tx</th>"
                  "<th>p99 &lt; %g s</th></tr></thead>\n", sweep->p99_cap);
    size_t n = sweep->n < SWEEP_MAX_STEPS ? sweep->n : SWEEP_MAX_STEPS;
    for (size_t i = 0; i < n; i++) {
        const sweep_point_t *p = &sweep->points [i];
        char cpu [32] = "-";
        if (p->cpu >= 0)
            snprintf (cpu, sizeof cpu, "%.2f x", p->cpu);
        fprintf (out, "<tr><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                      "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                      "<td class=\"n\">%zu of %zu</td><td class=\"n\">%zu</td><td class=\"n\">%s</td>"
                      "<td>%s</td></tr>\n",
                 s_number (a, sizeof a, p->offered, 0), s_number (b, sizeof b, p->achieved, 0),
                 s_number (c, sizeof c, p->p50, 3), s_number (d, sizeof d, p->p90, 3),
                 s_number (e, sizeof e, p->p99, 3), s_number (f, sizeof f, p->max, 3),
                 p->confirmed, p->txs, p->retries, cpu, sweep_point_meets_cap (p, sweep->p99_cap) ? "yes" : "no");
    }
    fprintf (out, "</table>\n");
    int best = sweep_max_under_cap (sweep->points, n, sweep->p99_cap);
    if (best >= 0)
        fprintf (out, "<p>Highest offered rate with p99 confirmation under %g s: <strong>%.0f tx/s</strong></p>\n",
                 sweep->p99_cap, sweep->points [best].offered);
    else
        fprintf (out, "<p>Highest offered rate with p99 confirmation under %g s: <strong>none</strong>%s</p>\n",
                 sweep->p99_cap, n ? " (the lowest rate offered already missed it)" : " (no step ran)");
    if (sweep->stopped) {
        fprintf (out, "<p>Stopped: ");
        svg_escape (out, sweep->stopped);
        fprintf (out, "</p>\n");
    }
    char title [128];
    snprintf (title, sizeof title, "Confirmation latency against throughput (%g s steps)", sweep->step_seconds);
    sweep_write_svg_element (out, sweep, title);
    fprintf (out, "</section>\n");
}

int
report_write_html (FILE *out, const report_t *report)
{
    assert (out && report && (report->runs || report->n_runs == 0));
    const char *title = report->title ? report->title : "zchain bench";
    fprintf (out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    svg_escape (out, title);
    fprintf (out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", s_style);
    svg_escape (out, title);
    fprintf (out, "</h1>\n");
    if (report->command) {
        fprintf (out, "<p>Command: <code>");
        svg_escape (out, report->command);
        fprintf (out, "</code></p>\n");
    }
    if (report->generated) {
        fprintf (out, "<p>Written ");
        svg_escape (out, report->generated);
        fprintf (out, ".</p>\n");
    }
    fprintf (out, "<p>Throughput is counted per interval between the bench's once-a-second rows; latency "
                  "counts from submission (paced: from when the transaction was due) to the gateway's "
                  "acceptance and to the block that carried it.</p>\n");
    if (report->sweep)
        s_sweep (out, report->sweep);
    size_t n = report->n_runs < REPORT_MAX_RUNS ? report->n_runs : REPORT_MAX_RUNS;
    for (size_t k = 0; k < n; k++) {
        const report_run_t *run = &report->runs [k];
        if (report->sweep) {
            //  collapsed: the sweep's table is the summary
            fprintf (out, "<details class=\"step\">\n<summary>");
            svg_escape (out, run->label [0] ? run->label : "a step");
            fprintf (out, "</summary>\n");
        }
        else {
            fprintf (out, "<section class=\"single\">\n<h2>");
            svg_escape (out, run->label [0] ? run->label : "The run");
            fprintf (out, "</h2>\n");
        }
        s_run (out, run);
        fprintf (out, report->sweep ? "</details>\n" : "</section>\n");
    }
    fprintf (out, "</body>\n</html>\n");
    return ferror (out) ? -1 : 0;
}
