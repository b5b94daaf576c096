/*  autoscale.h - the sidecar's scaling figures, one per scalable service
 *
 *  Once a second the sidecar gathers the validators' signal from the live
 *  snapshots (jobs waiting and in flight at every work dispatcher, the
 *  oldest waiting job, the validators alive and those holding jobs), runs
 *  the policy (zc_autoscale) on it, and publishes the answer with its
 *  inputs: as zchain_autoscale_* series on /metrics and as JSON on
 *  /autoscale, which the drivers (zchain up, zchain-autoscaler) read.
 *
 *  Only validators scale by load. Miners run at a fixed count: proof of
 *  work is a race, not a queue, so a fee backlog says nothing about how
 *  many hashers would clear it (more of them on one template only burn
 *  CPU); the count is the operator's choice of hash power.
 */
#ifndef METRICS_AUTOSCALE_H_INCLUDED
#define METRICS_AUTOSCALE_H_INCLUDED

#include "zc_autoscale.h"
#include "zc_text.h"
#include "metrics.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *validators;             //  "MIN..MAX"
    int64_t target;                     //  backlog jobs per validator
    int64_t tolerance_pct;
    int64_t window_s;
} autoscale_cfg_t;

//  What the policy answered last, and from what
typedef struct {
    bool signal;                        //  a dispatcher reported: there is something to go by
    int dispatchers;                    //  storage and mempool instances alive
    int current;                        //  validators alive
    int busy;                           //  most validators holding jobs at one dispatcher
    double queued;                      //  jobs waiting, over every dispatcher
    double in_flight;                   //  jobs held by validators, over every dispatcher
    double oldest_s;                    //  the longest any job has waited
    int recommended;                    //  what the signal alone asks for
    int desired;                        //  after the window and the floors
    int min, max;
    double target;
    int64_t window_s;
} autoscale_state_t;

typedef struct _autoscale_t autoscale_t;

//  NULL with a reason in err when the settings make no sense.
autoscale_t *
    autoscale_new (const autoscale_cfg_t *cfg, char *err, size_t err_size);

void
    autoscale_destroy (autoscale_t **self_p);

//  Run the policy on the live snapshots (at most once a second).
void
    autoscale_update (autoscale_t *self, int64_t now_ms, Zc__Snapshot *const *live, size_t n);

const autoscale_state_t *
    autoscale_state (const autoscale_t *self);

//  The figures as Prometheus text, and as the /autoscale JSON.
void
    autoscale_render_text (const autoscale_state_t *state, zc_text_t *t);
void
    autoscale_render_json (const autoscale_state_t *state, zc_text_t *t);

#endif
