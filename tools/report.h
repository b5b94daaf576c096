/*  report.h - zchain bench --report without the node: one HTML page of a run
 *
 *  While it runs, the bench keeps once a second how many transactions it
 *  has submitted, had accepted and seen confirmed (report_series_t: a fixed
 *  number of rows, thinned to every other one when full, so a run of any
 *  length fits), and at the end it bins each transaction's acceptance and
 *  confirmation latency (report_hist_t: a fixed number of bins). With the
 *  figures of its text report that is all report_write_html needs to write
 *  one self-contained page: inline SVG charts and inline CSS, no script,
 *  nothing fetched. With a sweep, the page starts with the sweep's table
 *  and plot, then each step. tests/test_report.c checks it without a node.
 */
#ifndef ZCHAIN_REPORT_H_INCLUDED
#define ZCHAIN_REPORT_H_INCLUDED

#include "sweep.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_MAX_ROWS 512             //  per-second rows a run keeps (even)
#define REPORT_BINS 60                  //  latency bins: divides 3, 4, 5 and 6 ticks
#define REPORT_MAX_REASONS 48           //  reject reasons listed
#define REPORT_MAX_SERVICES 8           //  services in the CPU table
#define REPORT_MAX_RUNS SWEEP_MAX_STEPS

//  The counts so far, t seconds after the run's clock started
typedef struct {
    double t;
    size_t submitted, accepted, confirmed;
} report_row_t;

//  A run's counts over time: rows in the order of t, the first and the
//  last always kept. Zeroed is empty.
typedef struct {
    report_row_t rows [REPORT_MAX_ROWS];
    size_t n;
    size_t stride;                      //  every stride-th row offered is kept
    size_t offered;                     //  rows offered by report_series_add
} report_series_t;

//  Latencies binned from 0 to top_s in REPORT_BINS equal bins (top_s a
//  round number at or above the largest); the largest bin also holds the
//  largest sample. Zeroed is empty.
typedef struct {
    size_t counts [REPORT_BINS];
    size_t n;                           //  samples
    double top_s;
    double bin_s;                       //  top_s / REPORT_BINS
} report_hist_t;

typedef struct {
    double p50, p90, p99, max;          //  s
    size_t n;                           //  transactions timed
} report_lat_t;

typedef struct {
    char name [32];
    size_t count;
} report_reject_t;

typedef struct {
    char service [32];
    double per_tx;                      //  CPU per confirmed tx, in verifications
} report_share_t;

//  One run: what zchain bench --json prints of it, its counts over time and
//  its latencies binned
typedef struct {
    char label [96];                    //  its heading ("" for a run alone)
    size_t txs;
    int accounts, batch, window;
    double offered_tps;
    size_t submitted, accepted, rejected, confirmed, retries;
    double accept_tps, confirm_tps;
    report_lat_t accept, confirm;
    report_reject_t rejects [REPORT_MAX_REASONS];
    size_t n_rejects;
    bool cpu_known;
    char cpu_reason [256];              //  why not, when not known
    double verify_us;                   //  one BIP340 verification here
    double node_seconds;                //  every service's CPU over the run
    double per_tx;                      //  node CPU per confirmed tx, in verifications
    report_share_t by_service [REPORT_MAX_SERVICES];
    size_t n_services;
    int verified;                       //  --verify: 1 exact, 0 failed; -1 not asked
    report_series_t series;
    report_hist_t accept_hist, confirm_hist;
} report_run_t;

//  The page
typedef struct {
    const char *title;                  //  its heading
    const char *command;                //  the command line that made it, or NULL
    const char *generated;              //  when, or NULL
    const report_run_t *runs;
    size_t n_runs;                      //  at most REPORT_MAX_RUNS are written
    const sweep_t *sweep;               //  the sweep the runs were steps of, or NULL
} report_t;

//  Offer the once-a-second counts: kept when it is the stride-th since the
//  last kept; when the rows are full every other one goes (the first
//  stays) and the stride doubles, so rows stay evenly spaced. A row not
//  later than the last kept one is ignored.
void
    report_series_add (report_series_t *self, report_row_t row);

//  The run's last counts: always kept (thinning first when full). Add no
//  more rows after it.
void
    report_series_end (report_series_t *self, report_row_t row);

//  Bin the n latencies at us (microseconds, any order; negative ones
//  count as 0) into self.
void
    report_hist_build (report_hist_t *self, const int64_t *us, size_t n);

//  Write the page: per run a throughput chart (submitted, accepted and
//  confirmed tx/s, each interval between rows), a histogram each of
//  acceptance and confirmation latency with p50/p90/p99/max marked, and
//  the figures in tables; with a sweep, first its table and plot. Every
//  text from the caller is escaped. 0, or -1 when a write failed.
int
    report_write_html (FILE *out, const report_t *report);

#endif
