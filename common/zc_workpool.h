/*  zc_workpool.h - the owner's side of credit-based work distribution
 *
 *  Owners (storage, mempool) bind a ROUTER; validators connect DEALERs and
 *  say WORKER_READY{credits} every second, credits being how many jobs
 *  they hold at once. The pool queues jobs (bounded), sends each to a
 *  worker with a free slot (the one given work least recently), matches
 *  VERIFY_REPLY by job id, and hands the reply to the owner's callback.
 *  A worker silent for longer than the expiry is forgotten and its
 *  unanswered jobs go back to the front of the queue: a killed validator
 *  costs a retry, never a lost job. A worker that stops says so
 *  (WORKER_READY{leaving}) and its jobs go to another at once. A duplicate
 *  or late reply is dropped.
 */
#ifndef ZC_WORKPOOL_H_INCLUDED
#define ZC_WORKPOOL_H_INCLUDED

#include "zc_actor.h"
#include "zc_metrics.h"
#include "zc_zmq.h"

#include <stdbool.h>
#include <stdint.h>

#define ZC_WORKPOOL_MAX_WORKERS 1024    //  workers remembered at most

typedef struct _zc_workpool_t zc_workpool_t;

//  A job was answered: reply is the VERIFY_REPLY body (borrowed)
typedef void (zc_workpool_done_fn) (void *arg, uint64_t job_id, void *job_arg,
                                    const uint8_t *reply, size_t reply_size);

//  A pool over router, queueing at most max_queued jobs, forgetting
//  workers silent for expiry_ms.
zc_workpool_t *
    zc_workpool_new (zsock_t *router, size_t max_queued, int64_t expiry_ms,
                     zc_workpool_done_fn *done, void *arg);

void
    zc_workpool_destroy (zc_workpool_t **self_p);

//  A fresh job id to pack into the next job.
uint64_t
    zc_workpool_next_id (zc_workpool_t *self);

//  Queue a packed VERIFY_JOB envelope (owned by the pool from now on) with
//  the owner's job_arg. 0, or -1 when the queue is full (data freed: the
//  owner answers busy).
int
    zc_workpool_submit (zc_workpool_t *self, uint64_t job_id, uint8_t *data, size_t size,
                        void *job_arg);

//  Handle a message from the router (WORKER_READY or VERIFY_REPLY).
void
    zc_workpool_on_message (zc_workpool_t *self, zc_frames_t *frames, const zc_env_t *env);

//  The work socket's handler for zc_actor_add (arg: the pool): one message
//  off the router, handled by zc_workpool_on_message.
void
    zc_workpool_on_ready (zc_actor_t *actor, zsock_t *router, void *arg);

//  Expire silent workers and dispatch; call at least every 100 ms.
void
    zc_workpool_tick (zc_workpool_t *self);

//  Register the pool's series in the owner's registry: queue depth, jobs
//  in flight, the oldest waiting job's age, jobs completed, workers
//  connected and busy, retries. They are the scaling signal of the
//  validators and exist whether or not a worker is connected.
void
    zc_workpool_metrics (zc_workpool_t *self, zc_metrics_t *metrics);

//  Bring those series up to date (before each snapshot).
void
    zc_workpool_sample (zc_workpool_t *self);

//  How long the oldest waiting job has waited, in ms (0: none waits).
int64_t
    zc_workpool_oldest_ms (zc_workpool_t *self);

//  Workers holding at least one unanswered job.
size_t
    zc_workpool_busy_workers (zc_workpool_t *self);

uint64_t
    zc_workpool_completed (zc_workpool_t *self);

size_t
    zc_workpool_workers (zc_workpool_t *self);
size_t
    zc_workpool_queued (zc_workpool_t *self);
size_t
    zc_workpool_in_flight (zc_workpool_t *self);
uint64_t
    zc_workpool_retried (zc_workpool_t *self);

#endif
