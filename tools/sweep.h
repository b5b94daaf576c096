/*  sweep.h - zchain bench --sweep without the node: rates, verdicts, the plot
 *
 *  A sweep offers rising rates to a node, one timed step each, and keeps per
 *  step what a peer would see: the rate offered, the confirmed rate it got
 *  and the confirmation latencies. What is here needs no sockets and no
 *  clock, so tests/test_sweep.c checks it: which rates to offer, when a step
 *  is past saturation, the highest rate that kept p99 under a cap, and the
 *  points written as a table, as JSON and as an SVG plot.
 */
#ifndef ZCHAIN_SWEEP_H_INCLUDED
#define ZCHAIN_SWEEP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SWEEP_MAX_STEPS 64
#define SWEEP_MAX_RATE 1000000.0        //  tx/s, the most a step may offer
#define SWEEP_DEFAULT_FROM 2000.0       //  a bare --sweep: 2000, 4000, ... up to
#define SWEEP_DEFAULT_TO 60000.0        //  here, stopping at saturation
//  A step is saturated when it confirmed less than this share of the rate
//  offered, or its p99 passed SWEEP_BLOWUP times the cap, or some of its
//  transactions never confirmed
#define SWEEP_FOLLOW 0.8
#define SWEEP_BLOWUP 2.0

//  One step
typedef struct {
    double offered;                     //  tx/s asked for
    double achieved;                    //  confirmed tx/s while the step ran
    double p50, p90, p99, max;          //  confirmation latency, s (over those confirmed)
    size_t txs;                         //  offered in the step
    size_t confirmed;
    size_t rejected;
    size_t retries;                     //  submissions sent again (busy, timeout)
    double cpu;                         //  node CPU per confirmed tx in BIP340
                                        //  verifications; < 0 when unknown
} sweep_point_t;

//  The rates to offer
typedef struct {
    double rates [SWEEP_MAX_STEPS];
    size_t n;
    bool stop_at_saturation;            //  a range stops at its first saturated
                                        //  step; a list runs every rate it names
} sweep_plan_t;

//  A sweep and its outcome
typedef struct {
    sweep_point_t points [SWEEP_MAX_STEPS];
    size_t n;
    double p99_cap;                     //  s
    double step_seconds;                //  each step offers rate * this many
    const char *stopped;                //  why it ended, one line (borrowed)
} sweep_t;

//  The rates of spec into plan: NULL for the default (SWEEP_DEFAULT_FROM up
//  to SWEEP_DEFAULT_TO), "FROM..TO" for FROM, FROM + step, ... up to TO
//  (step 0: steps of FROM), or a list "R1,R2,..." of rising rates. 0, or -1
//  with reason set (one line) when spec or step is not valid.
int
    sweep_plan (const char *spec, double step, sweep_plan_t *plan, char *reason,
                size_t reason_size);

//  True when every transaction of the step confirmed and its p99 was under
//  p99_cap seconds.
bool
    sweep_point_meets_cap (const sweep_point_t *point, double p99_cap);

//  True when the step is past saturation: not every transaction confirmed,
//  it confirmed less than SWEEP_FOLLOW of the rate offered, or its p99 was
//  over SWEEP_BLOWUP * p99_cap; then why (when not NULL) says which, in
//  one line. A sweep that stops at saturation stops after this step.
bool
    sweep_point_saturated (const sweep_point_t *point, double p99_cap, char *why, size_t why_size);

//  The index of the point with the highest offered rate whose p99 stayed
//  under p99_cap: that point and every point offering less meet the cap
//  (sweep_point_meets_cap), so a lucky step above a failed one does not
//  count. -1 when the lowest rate already fails, or n is 0.
int
    sweep_max_under_cap (const sweep_point_t *points, size_t n, double p99_cap);

//  Print the sweep as a Markdown table, then a line naming the highest
//  rate under the cap (or that none was) and why the sweep stopped.
void
    sweep_write_table (FILE *out, const sweep_t *sweep);

//  Print the sweep as one JSON object (one line): the cap, the step
//  length, max_under_cap_tps (null when none), why it stopped, and every
//  point. 0, or -1 when the write failed.
int
    sweep_write_json (FILE *out, const sweep_t *sweep);

//  Write an SVG plot of the sweep: p50 and p99 confirmation latency
//  (y, seconds) against the confirmed rate achieved (x, tx/s), each point
//  labelled with its offered rate, the cap as a dashed line, axes with
//  ticks and labels; title is escaped. Steps that confirmed nothing are
//  left out. 0, or -1 when the write failed.
int
    sweep_write_svg (FILE *out, const sweep_t *sweep, const char *title);

//  The same plot as an <svg> element alone (no XML declaration), to go
//  inside an HTML page. 0, or -1 when the write failed.
int
    sweep_write_svg_element (FILE *out, const sweep_t *sweep, const char *title);

#endif
