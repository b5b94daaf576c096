/*  sweep.c - zchain bench --sweep without the node: rates, verdicts, the plot */
#include "sweep.h"
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

//  A rate: all of text, a number in (0, SWEEP_MAX_RATE]
static bool
s_rate (const char *text, size_t size, double *rate)
{
    char buf [32];
    if (size == 0 || size >= sizeof buf)
        return false;
    memcpy (buf, text, size);
    buf [size] = 0;
    char *end;
    errno = 0;
    double v = strtod (buf, &end);
    if (errno || *end || end == buf || !isfinite (v) || v <= 0 || v > SWEEP_MAX_RATE)
        return false;
    *rate = v;
    return true;
}

int
sweep_plan (const char *spec, double step, sweep_plan_t *plan, char *reason, size_t reason_size)
{
    memset (plan, 0, sizeof *plan);
    if (!isfinite (step) || step < 0 || step > SWEEP_MAX_RATE) {
        snprintf (reason, reason_size, "--sweep-step must be a rate in tx/s above 0");
        return -1;
    }
    double from = SWEEP_DEFAULT_FROM, to = SWEEP_DEFAULT_TO;
    const char *dots = spec ? strstr (spec, "..") : NULL;
    if (spec && !dots) {
        //  a list: every rate it names, rising
        if (step > 0) {
            snprintf (reason, reason_size, "--sweep-step goes with --sweep FROM..TO, not a list");
            return -1;
        }
        for (const char *at = spec; ; ) {
            const char *comma = strchr (at, ',');
            size_t size = comma ? (size_t) (comma - at) : strlen (at);
            double rate;
            if (!s_rate (at, size, &rate)) {
                snprintf (reason, reason_size, "--sweep '%s': rates are numbers of tx/s above 0, at most %.0f",
                          spec, SWEEP_MAX_RATE);
                return -1;
            }
            if (plan->n && rate <= plan->rates [plan->n - 1]) {
                snprintf (reason, reason_size, "--sweep '%s': the rates must rise", spec);
                return -1;
            }
            if (plan->n == SWEEP_MAX_STEPS) {
                snprintf (reason, reason_size, "--sweep '%s': at most %d rates", spec, SWEEP_MAX_STEPS);
                return -1;
            }
            plan->rates [plan->n++] = rate;
            if (!comma)
                break;
            at = comma + 1;
        }
        plan->stop_at_saturation = false;
        return 0;
    }
    if (spec && (!s_rate (spec, (size_t) (dots - spec), &from)
             ||  !s_rate (dots + 2, strlen (dots + 2), &to) || to < from)) {
        snprintf (reason, reason_size, "--sweep '%s': FROM..TO, two rates in tx/s, FROM <= TO", spec);
        return -1;
    }
    if (step == 0)
        step = from;
    //  from + k * step, counted so that rounding cannot drop TO itself
    double steps = floor ((to - from) / step + 1e-9) + 1;
    if (steps > SWEEP_MAX_STEPS) {
        snprintf (reason, reason_size, "%.0f..%.0f in steps of %.0f is %.0f steps; at most %d",
                  from, to, step, steps, SWEEP_MAX_STEPS);
        return -1;
    }
    for (size_t k = 0; k < (size_t) steps; k++)
        plan->rates [plan->n++] = from + (double) k * step;
    plan->stop_at_saturation = true;
    return 0;
}

bool
sweep_point_meets_cap (const sweep_point_t *point, double p99_cap)
{
    return point->txs > 0 && point->confirmed == point->txs && point->p99 < p99_cap;
}

bool
sweep_point_saturated (const sweep_point_t *point, double p99_cap, char *why, size_t why_size)
{
    char buf [160];
    if (!why) {
        why = buf;
        why_size = sizeof buf;
    }
    if (point->confirmed < point->txs)
        snprintf (why, why_size, "%zu of %zu transactions not confirmed", point->txs - point->confirmed,
                  point->txs);
    else
    if (point->achieved < SWEEP_FOLLOW * point->offered)
        snprintf (why, why_size, "confirmed %.0f tx/s, under %.0f %% of the %.0f offered", point->achieved,
                  SWEEP_FOLLOW * 100, point->offered);
    else
    if (point->p99 > SWEEP_BLOWUP * p99_cap)
        snprintf (why, why_size, "p99 %.2f s, over %g times the %g s cap", point->p99, SWEEP_BLOWUP, p99_cap);
    else
        return false;
    return true;
}

int
sweep_max_under_cap (const sweep_point_t *points, size_t n, double p99_cap)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (best >= 0 && points [i].offered <= points [best].offered)
            continue;
        bool counts = true;
        for (size_t j = 0; j < n && counts; j++)
            if (points [j].offered <= points [i].offered)
                counts = sweep_point_meets_cap (&points [j], p99_cap);
        if (counts)
            best = (int) i;
    }
    return best;
}

void
sweep_write_table (FILE *out, const sweep_t *sweep)
{
    fprintf (out, "| offered tx/s | confirmed tx/s | p50 s | p90 s | p99 s | max s | confirmed | retried | "
                  "node cpu per tx | p99 < %g s |\n", sweep->p99_cap);
    fprintf (out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < sweep->n; i++) {
        const sweep_point_t *p = &sweep->points [i];
        char cpu [32] = "-";
        if (p->cpu >= 0)
            snprintf (cpu, sizeof cpu, "%.2f x", p->cpu);
        fprintf (out, "| %.0f | %.0f | %.3f | %.3f | %.3f | %.3f | %zu of %zu | %zu | %s | %s |\n",
                 p->offered, p->achieved, p->p50, p->p90, p->p99, p->max, p->confirmed, p->txs,
                 p->retries, cpu, sweep_point_meets_cap (p, sweep->p99_cap) ? "yes" : "no");
    }
    int best = sweep_max_under_cap (sweep->points, sweep->n, sweep->p99_cap);
    fprintf (out, "\n");
    if (best >= 0)
        fprintf (out, "highest offered rate with p99 confirmation under %g s: %.0f tx/s\n",
                 sweep->p99_cap, sweep->points [best].offered);
    else
        fprintf (out, "highest offered rate with p99 confirmation under %g s: none%s\n", sweep->p99_cap,
                 sweep->n ? " (the lowest rate offered already missed it)" : " (no step ran)");
    if (sweep->stopped)
        fprintf (out, "stopped: %s\n", sweep->stopped);
}

//  A JSON string: the escapes JSON needs, nothing more
static void
s_json_string (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const unsigned char *c = (const unsigned char *) (text ? text : ""); *c; c++)
        if (*c == '"' || *c == '\\')
            fprintf (out, "\\%c", *c);
        else
        if (*c < 0x20)
            fprintf (out, "\\u%04x", *c);
        else
            fputc (*c, out);
    fputc ('"', out);
}

//  A number, or null for what JSON cannot say
static void
s_json_number (FILE *out, double v, int decimals)
{
    if (isfinite (v))
        fprintf (out, "%.*f", decimals, v);
    else
        fprintf (out, "null");
}

int
sweep_write_json (FILE *out, const sweep_t *sweep)
{
    int best = sweep_max_under_cap (sweep->points, sweep->n, sweep->p99_cap);
    fprintf (out, "{\"p99_cap\":");
    s_json_number (out, sweep->p99_cap, 3);
    fprintf (out, ",\"step_seconds\":");
    s_json_number (out, sweep->step_seconds, 3);
    fprintf (out, ",\"max_under_cap_tps\":");
    if (best >= 0)
        s_json_number (out, sweep->points [best].offered, 1);
    else
        fprintf (out, "null");
    fprintf (out, ",\"stopped\":");
    s_json_string (out, sweep->stopped);
    fprintf (out, ",\"points\":[");
    for (size_t i = 0; i < sweep->n; i++) {
        const sweep_point_t *p = &sweep->points [i];
        fprintf (out, "%s{\"offered_tps\":", i ? "," : "");
        s_json_number (out, p->offered, 1);
        fprintf (out, ",\"achieved_tps\":");
        s_json_number (out, p->achieved, 1);
        fprintf (out, ",\"txs\":%zu,\"confirmed\":%zu,\"rejected\":%zu,\"retries\":%zu,"
                      "\"confirm_latency\":{\"p50\":", p->txs, p->confirmed, p->rejected, p->retries);
        s_json_number (out, p->p50, 4);
        fprintf (out, ",\"p90\":");
        s_json_number (out, p->p90, 4);
        fprintf (out, ",\"p99\":");
        s_json_number (out, p->p99, 4);
        fprintf (out, ",\"max\":");
        s_json_number (out, p->max, 4);
        fprintf (out, "},\"cpu_per_tx_verifications\":");
        if (p->cpu >= 0)
            s_json_number (out, p->cpu, 3);
        else
            fprintf (out, "null");
        fprintf (out, ",\"meets_cap\":%s,\"saturated\":%s}",
                 sweep_point_meets_cap (p, sweep->p99_cap) ? "true" : "false",
                 sweep_point_saturated (p, sweep->p99_cap, NULL, 0) ? "true" : "false");
    }
    fprintf (out, "]}\n");
    return ferror (out) ? -1 : 0;
}

//  The plot's size, px
#define SWEEP_SVG_WIDTH 720
#define SWEEP_SVG_HEIGHT 480

//  The plot, as a file of its own or as an element of an HTML page
static int
s_write_svg (FILE *out, const sweep_t *sweep, const char *title, bool standalone)
{
    //  the points worth plotting, in the order of their offered rates
    size_t order [SWEEP_MAX_STEPS], n = 0;
    double x_max = 0, y_max = sweep->p99_cap;
    for (size_t i = 0; i < sweep->n && i < SWEEP_MAX_STEPS; i++) {
        const sweep_point_t *p = &sweep->points [i];
        if (p->confirmed == 0 || !isfinite (p->achieved) || !isfinite (p->p50) || !isfinite (p->p99))
            continue;
        size_t at = n++;
        while (at > 0 && sweep->points [order [at - 1]].offered > p->offered) {
            order [at] = order [at - 1];
            at--;
        }
        order [at] = i;
        x_max = p->achieved > x_max ? p->achieved : x_max;
        y_max = p->p99 > y_max ? p->p99 : y_max;
    }
    svg_chart_t chart;
    svg_chart_begin (&chart, out, standalone, SWEEP_SVG_WIDTH, SWEEP_SVG_HEIGHT, title, x_max, y_max * 1.05,
                     "confirmed transactions per second (achieved)", "confirmation latency (s)");

    //  the cap
    char cap [64];
    snprintf (cap, sizeof cap, "p99 cap %g s", sweep->p99_cap);
    svg_chart_hline (&chart, "cap", "#d62728", sweep->p99_cap, cap);

    //  the two lines, then their points, each with what it stands for
    static const struct {
        const char *name;
        const char *colour;
    } s_series [2] = { { "p50", "#1f77b4" }, { "p99", "#ff7f0e" } };
    double xs [SWEEP_MAX_STEPS], ys [SWEEP_MAX_STEPS];
    for (int s = 0; s < 2; s++) {
        for (size_t k = 0; k < n; k++) {
            const sweep_point_t *p = &sweep->points [order [k]];
            xs [k] = p->achieved;
            ys [k] = s ? p->p99 : p->p50;
        }
        svg_chart_polyline (&chart, s_series [s].name, s_series [s].colour, NULL, xs, ys, n);
    }
    for (size_t k = 0; k < n; k++) {
        const sweep_point_t *p = &sweep->points [order [k]];
        char what [160], offered [32];
        snprintf (what, sizeof what, "offered %.0f tx/s: confirmed %.0f tx/s, p50 %.3f s, p99 %.3f s",
                  p->offered, p->achieved, p->p50, p->p99);
        svg_chart_point (&chart, "p50", SVG_CIRCLE, s_series [0].colour, p->achieved, p->p50, what);
        svg_chart_point (&chart, "p99", SVG_SQUARE, s_series [1].colour, p->achieved, p->p99, what);
        snprintf (offered, sizeof offered, "%.0f", p->offered);
        svg_chart_label (&chart, "offered", p->achieved, p->p99, offered);
    }
    if (n == 0)
        svg_chart_note (&chart, "no step confirmed anything");

    //  the legend, top left, where low rates leave room
    const svg_key_t keys [] = {
        { SVG_CIRCLE, s_series [0].colour, "p50 confirmation", NULL },
        { SVG_SQUARE, s_series [1].colour, "p99 confirmation", NULL },
        { SVG_NONE, "#555", "numbers: offered tx/s", NULL }
    };
    svg_chart_legend (&chart, keys, sizeof keys / sizeof keys [0]);
    return svg_chart_end (&chart);
}

int
sweep_write_svg (FILE *out, const sweep_t *sweep, const char *title)
{
    return s_write_svg (out, sweep, title, true);
}

int
sweep_write_svg_element (FILE *out, const sweep_t *sweep, const char *title)
{
    return s_write_svg (out, sweep, title, false);
}
