/*  metrics.h - the metrics sidecar: snapshots in, Prometheus and health out
 *
 *  Binds a PULL socket every service pushes its snapshot to once a second,
 *  keeps the last snapshot of each (service, instance), and serves over HTTP:
 *      /metrics   every live instance's series, Prometheus text format
 *      /healthz   200 and the instances with the age of their last snapshot
 *      /readyz    200 when storage, mempool, a validator and the gateway
 *                 are alive and say ready; 503 and what is missing otherwise
 *      /autoscale the validators' replica count under the scaling policy,
 *                 with its inputs (JSON; see autoscale.h)
 *      /api/samples?since=SEQ&limit=N&service=NAME
 *                 the last --history samples of every instance, one a
 *                 snapshot, as time series the dashboard draws (JSON; the
 *                 fields in history.h, the shape in docs/operations.md)
 *      /          the dashboard (web/dashboard, compiled in): charts of
 *                 those series, drawn in the browser from /api/samples
 *  --dashboard=false turns off the last two and keeps no samples.
 *  An instance silent for --stale-ms drops out of readiness and /metrics;
 *  one silent for ten times that is forgotten.
 */
#ifndef METRICS_SIDECAR_H_INCLUDED
#define METRICS_SIDECAR_H_INCLUDED

#include "autoscale.h"
#include "zc_http.h"
#include "zc_service.h"

typedef struct {
    zc_service_cfg_t common;
    const char *ingest;
    const char *http;
    zc_http_limits_t http_limits;
    int64_t stale_ms;
    int64_t max_instances;
    int64_t history;                    //  samples kept per instance
    bool dashboard;                     //  serve / and /api/samples
    autoscale_cfg_t autoscale;
} metrics_cfg_t;

extern const zc_option_t metrics_options [];

//  The actor (zactor_fn); args is a metrics_cfg_t that outlives it. On
//  its pipe (zc_actor.h): signals 0 when up, or 1 when it could not start
//  (the ingest or the HTTP address does not bind, a bad scaling policy);
//  takes $TERM and no other command; never ends on its own.
void
    metrics_actor (zsock_t *pipe, void *args);

#endif
