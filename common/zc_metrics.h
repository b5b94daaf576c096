/*  zc_metrics.h - counters, gauges and histograms a service publishes
 *
 *  A service registers its metrics once (each registration gives a handle
 *  that is a plain struct: updating one is an add, no lookup, no lock;
 *  a registry belongs to one thread), then sends a snapshot to the metrics
 *  sidecar every second with zc_metrics_push. The sidecar labels every
 *  series with service and instance and renders Prometheus text with
 *  zc_metrics_render.
 */
#ifndef ZC_METRICS_H_INCLUDED
#define ZC_METRICS_H_INCLUDED

#include "metrics.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_METRICS_MAX 256              //  metrics per registry
#define ZC_HISTO_MAX 16                 //  buckets per histogram

typedef struct {
    char name [64];
    char help [96];
    Zc__MetricType type;
    char label_name [32];               //  one optional label besides service, instance
    char label_value [48];
    double value;                       //  counter, gauge
    double bounds [ZC_HISTO_MAX];       //  histogram upper bounds, ascending
    uint64_t buckets [ZC_HISTO_MAX + 1];    //  per bound (not cumulative), then +Inf
    int n_bounds;
    double sum;
    uint64_t count;
} zc_metric_t;

typedef struct _zc_metrics_t zc_metrics_t;

zc_metrics_t *
    zc_metrics_new (const char *service, const char *instance);

void
    zc_metrics_destroy (zc_metrics_t **self_p);

//  Register (or find, when name and label match) a counter or gauge. The
//  handle lives as long as the registry. NULL when the registry is full.
zc_metric_t *
    zc_metrics_counter (zc_metrics_t *self, const char *name, const char *help,
                        const char *label_name, const char *label_value);
zc_metric_t *
    zc_metrics_gauge (zc_metrics_t *self, const char *name, const char *help,
                      const char *label_name, const char *label_value);

//  A histogram with n ascending upper bounds (at most ZC_HISTO_MAX).
zc_metric_t *
    zc_metrics_histogram (zc_metrics_t *self, const char *name, const char *help,
                          const double *bounds, int n);

//  Update a metric; all accept NULL (an unregistered metric is a no-op).
static inline void
zc_metric_inc (zc_metric_t *m, double n)
{
    if (m)
        m->value += n;
}

static inline void
zc_metric_set (zc_metric_t *m, double v)
{
    if (m)
        m->value = v;
}

void
    zc_metric_observe (zc_metric_t *m, double v);

//  Latency buckets in seconds, 100 µs to 10 s, for histograms
extern const double zc_metrics_latency_bounds [12];

//  Mark the service ready (synced and serving) or not.
void
    zc_metrics_set_ready (zc_metrics_t *self, bool ready);

//  Add the process's CPU seconds and resident memory (from /proc) as
//  zchain_process_cpu_seconds_total and zchain_process_resident_bytes.
void
    zc_metrics_sample_process (zc_metrics_t *self);

//  The snapshot as a packed METRICS_SNAPSHOT envelope body; the caller
//  frees. NULL when out of memory.
uint8_t *
    zc_metrics_pack (zc_metrics_t *self, size_t *size_p);

//  Send a snapshot on a PUSH socket without blocking: a missing sidecar
//  costs nothing. 0 sent, -1 dropped.
int
    zc_metrics_push (zc_metrics_t *self, void *push_sock);

//  Render snapshots in Prometheus text format (one HELP and TYPE per
//  name, every series labelled service and instance). A new NUL-terminated
//  string the caller frees.
char *
    zc_metrics_render (Zc__Snapshot *const *snaps, size_t n, size_t *size_p);

#endif
