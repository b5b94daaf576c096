/*  history.h - the recent samples of one instance, for the sidecar's dashboard
 *
 *  The sidecar keeps only each instance's last snapshot for /metrics; the
 *  dashboard wants a few minutes of each series without a Prometheus. A
 *  history turns every snapshot into one sample: a fixed row of numbers
 *  (the fields below) derived from the snapshot and the ones before it:
 *
 *      gauge      the value, summed over the series of the names listed
 *      rate       per second of a counter (summed likewise) since the
 *                 previous snapshot, by the sender's clock
 *      quantile   of a histogram's observations over the last
 *                 HISTORY_WINDOW snapshots, from the bucket deltas (linear
 *                 inside a bucket, as Prometheus's histogram_quantile)
 *
 *  A value the snapshot cannot give (the instance has no such metric, the
 *  first snapshot's rate, a window without observations, a counter that
 *  went back) is NaN and rendered null. Samples live in a ring of a fixed
 *  capacity: the newest capacity of them are kept, the oldest overwritten.
 *
 *  Not thread-safe: the sidecar holds its lock around every call.
 */
#ifndef METRICS_HISTORY_H_INCLUDED
#define METRICS_HISTORY_H_INCLUDED

#include "metrics.pb-c.h"
#include "zc_text.h"

#include <stdint.h>

#define HISTORY_WINDOW 10               //  snapshots a quantile looks back over
#define HISTORY_MAX_CAPACITY 3600       //  samples per instance at most

typedef enum {
    HISTORY_GAUGE,
    HISTORY_RATE,
    HISTORY_QUANTILE
} history_kind_t;

typedef struct {
    const char *name;                   //  the key in the JSON: "verify_rate"
    const char *unit;                   //  "1/s", "s", "bytes", ...
    const char *help;
    history_kind_t kind;
    const char *metrics [5];            //  the metric names summed (NULL-terminated)
    const char *label;                  //  "name=value" a series must carry, or NULL
    double q;                           //  quantile fields: 0.5, 0.99
} history_field_t;

//  The fields every sample holds, in order; history_field_count () of them
extern const history_field_t history_fields [];

size_t
    history_field_count (void);

typedef struct _history_t history_t;

//  A history of capacity samples (1..HISTORY_MAX_CAPACITY); NULL when out
//  of memory or capacity is out of range.
history_t *
    history_new (size_t capacity);

void
    history_destroy (history_t **self_p);

//  Derive a sample from snap (borrowed), received at wall-clock now_ms,
//  and keep it under sequence number seq (ascending from the caller).
void
    history_add (history_t *self, const Zc__Snapshot *snap, int64_t now_ms, uint64_t seq);

//  Samples kept now.
size_t
    history_size (history_t *self);

//  The sequence number of the newest sample; 0 when there is none.
uint64_t
    history_last_seq (history_t *self);

//  Samples kept with sequence numbers above since.
size_t
    history_count_since (history_t *self, uint64_t since);

//  The newest sample's value of field (its index in history_fields); NaN
//  when there is no sample or it has no value.
double
    history_latest (history_t *self, size_t field);

//  Append the samples with sequence numbers above since, the newest limit
//  of them, as JSON members: "t":[ms,...],"series":{"name":[v,...],...},
//  one array for each field any kept sample has a value of. Returns the
//  number of samples written.
size_t
    history_render_json (history_t *self, uint64_t since, size_t limit, zc_text_t *t);

#endif
