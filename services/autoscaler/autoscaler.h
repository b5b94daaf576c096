/*  autoscaler.h - zchain-autoscaler: applies zchain's scaling policy to Swarm
 *
 *  The policy runs in the metrics sidecar, which answers GET /autoscale with
 *  the replica count it wants for each scalable service:
 *
 *      {"services":[{"service":"validator","desired":3,"current":1,"busy":1,
 *        "backlog_jobs":40,"target_jobs":4,"oldest_seconds":1.5,"min":1,
 *        "max":6,"window_s":300}]}
 *
 *  Other members are ignored, but for "signal": false, which says the
 *  sidecar hears no work dispatcher and its desired count only holds what
 *  it sees alive.
 *
 *  Every interval the autoscaler reads that answer and, for each service
 *  it maps (validator=zchain_validator), reads the Swarm service from the
 *  Docker engine and sets its replicas to desired when they differ. It
 *  never scales on data it cannot trust: a sidecar that does not answer,
 *  an answer that does not parse, a service missing from it, an answer
 *  without signal, or a desired count outside the service's own bounds
 *  changes nothing and says why. Each round stands alone: nothing read in
 *  one is used in the next.
 *
 *      autoscaler_t *as = autoscaler_new (&cfg, &stop, err, sizeof err);
 *      if (as && autoscaler_start (as, err, sizeof err) == 0)
 *          autoscaler_run (as);            //  until stop is set
 *      autoscaler_destroy (&as);
 */
#ifndef AUTOSCALER_H_INCLUDED
#define AUTOSCALER_H_INCLUDED

#include "zc_config.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Services one autoscaler drives, and services one answer may list
#define AUTOSCALER_MAX_MAPS 16
#define AUTOSCALER_MAX_ENTRIES 64
//  The largest sidecar answer read, and how long it may take
#define AUTOSCALER_MAX_BYTES (4 * 1024 * 1024)
#define AUTOSCALER_SIDECAR_TIMEOUT_MS 3000
//  A replica count (desired, min, max, current, busy) above this in an
//  answer is taken for garbage, not a wish: the last guard against a
//  broken or forged sidecar asking for a swarm's worth of containers
#define AUTOSCALER_MAX_REPLICAS 1000

typedef struct {
    const char *instance;
    const char *log_level;
    const char *metrics;                //  the sidecar's HTTP base, http://HOST:PORT
    const char *engine;                 //  the engine's unix socket
    const char *service;                //  NAME=SWARM_SERVICE[,...]
    int64_t interval_ms;
    bool dry_run;
} autoscaler_cfg_t;

extern const zc_option_t autoscaler_options [];

//  One zchain service and the Swarm service whose replicas it sets
typedef struct {
    char name [64];                     //  as the sidecar names it: "validator"
    char swarm [64];                    //  "zchain_validator"
} autoscaler_map_t;

//  One service of the sidecar's answer. Counts absent from it are -1 and
//  oldest_seconds NAN; desired, min and max are always there in a valid one.
typedef struct {
    char service [64];
    int64_t desired;
    int64_t recommended;                //  what the signal alone asks for now (-1: not given)
    int64_t current;
    int64_t busy;
    int64_t backlog_jobs;
    int64_t target_jobs;
    double oldest_seconds;
    int64_t min;
    int64_t max;
    int64_t window_s;
    bool no_signal;                     //  "signal":false, the sidecar has nothing to go by
    bool valid;                         //  false: why says what is wrong with it
    char why [96];
} autoscaler_entry_t;

typedef struct {
    autoscaler_entry_t entry [AUTOSCALER_MAX_ENTRIES];
    size_t count;
} autoscaler_signal_t;

typedef struct _autoscaler_t autoscaler_t;

//  An autoscaler for cfg (borrowed: it must outlive it), stopping when
//  *stop becomes non-zero. NULL with a one-line reason in err when cfg
//  does not hold together (a bad --service list, a URL that is not http).
autoscaler_t *
    autoscaler_new (const autoscaler_cfg_t *cfg, const volatile sig_atomic_t *stop,
                    char *err, size_t err_size);

//  Free it; NULL-safe, nulls the pointer.
void
    autoscaler_destroy (autoscaler_t **self_p);

//  Reach the engine and check it is a swarm manager. 0, or -1 with a
//  one-line reason naming the socket in err: the program must not start.
int
    autoscaler_start (autoscaler_t *self, char *err, size_t err_size);

//  One round: read the sidecar, decide and apply for each mapped service.
void
    autoscaler_tick (autoscaler_t *self);

//  Rounds every interval, the first at once, until stop is set (within
//  about a second, a call in flight included).
void
    autoscaler_run (autoscaler_t *self);

//  -- The parts without a socket ------------------------------------------

//  Parse "validator=zchain_validator,miner=zchain_miner" into map (at most
//  max pairs): the count, or -1 with the reason in err.
int
    autoscaler_parse_map (const char *text, autoscaler_map_t *map, size_t max,
                          char *err, size_t err_size);

//  Parse a GET /autoscale answer into signal. 0 when it is the JSON object
//  described above (entries that are wrong in themselves are kept with
//  valid false and why), -1 with the reason in err when it is not.
int
    autoscaler_parse_signal (const char *json, size_t size, autoscaler_signal_t *signal,
                             char *err, size_t err_size);

//  The entry for service, or NULL.
const autoscaler_entry_t *
    autoscaler_signal_find (const autoscaler_signal_t *signal, const char *service);

//  The inputs of a decision as they are logged: "desired 3 (current 1,
//  busy 1, backlog 40 jobs, oldest 1.5 s, target 4/replica, bounds 1..6,
//  window 300 s)". The length written.
size_t
    autoscaler_describe (const autoscaler_entry_t *entry, char *out, size_t out_size);

#endif
