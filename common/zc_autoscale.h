/*  zc_autoscale.h - how many replicas a scalable service should run
 *
 *  One policy for every driver (zchain up, zchain-autoscaler; the metrics
 *  sidecar runs it and publishes the answer). It follows Kubernetes'
 *  horizontal autoscaler:
 *
 *      desired = ceil (current * observed / target)
 *
 *  where observed is the backlog per replica (jobs waiting and in flight
 *  over every work dispatcher, divided by the replicas alive), kept within
 *  [min, max]. Inside the tolerance band (|observed / target - 1| <= 10 %)
 *  the count stays. The answer is the highest count recommended during
 *  the stabilisation window (this one included): up at once, down only
 *  once the whole window asked for less, so load that flaps keeps its
 *  replicas and a lull shorter than the window costs nothing. It does not
 *  depend on how many replicas are heard from (a replica just started, or
 *  on a host being replaced, is silent for a while). Never below the
 *  replicas that hold unanswered jobs.
 */
#ifndef ZC_AUTOSCALE_H_INCLUDED
#define ZC_AUTOSCALE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#define ZC_AUTOSCALE_HISTORY 4096       //  recommendations remembered at most

typedef struct {
    int min;                            //  replicas at least (>= 1)
    int max;                            //  replicas at most (>= min)
    double target;                      //  backlog jobs per replica wanted (> 0)
    double tolerance;                   //  0.1: a ratio within 10 % of 1 changes nothing
    int64_t window_ms;                  //  scale-down stabilisation window
} zc_autoscale_cfg_t;

typedef struct {
    int current;                        //  replicas alive now
    double backlog;                     //  jobs waiting + jobs in flight
    int busy;                           //  replicas holding unanswered jobs
} zc_autoscale_input_t;

typedef struct _zc_autoscale_t zc_autoscale_t;

//  A policy with these settings (copied); NULL when they make no sense
//  (min < 1, max < min, target <= 0, tolerance < 0, window < 0) or out of
//  memory.
zc_autoscale_t *
    zc_autoscale_new (const zc_autoscale_cfg_t *cfg);

void
    zc_autoscale_destroy (zc_autoscale_t **self_p);

//  The replica count wanted at now_ms (monotonic, not decreasing) for
//  these inputs; remembers the recommendation for later scale-downs.
int
    zc_autoscale_desired (zc_autoscale_t *self, int64_t now_ms, const zc_autoscale_input_t *in);

//  The recommendation of the last call before stabilisation and floors
//  (what the signal alone asks for).
int
    zc_autoscale_recommended (const zc_autoscale_t *self);

//  Parse "MIN..MAX" (or one number N for N..N) into min and max. 0, or -1
//  when the text is not that or MIN < 1 or MAX < MIN or MAX > limit.
int
    zc_autoscale_parse_range (const char *text, int limit, int *min_p, int *max_p);

#endif
