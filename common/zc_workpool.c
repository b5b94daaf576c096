/*  zc_workpool.c - credit-based job distribution with retry */
#include "zc_workpool.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "work.pb-c.h"

#include <stdlib.h>
#include <string.h>

typedef struct _s_job_t s_job_t;
typedef struct _s_worker_t s_worker_t;

struct _s_job_t {
    uint64_t id;
    uint8_t *data;
    size_t size;
    void *arg;
    int64_t submitted_ms;               //  monotonic: when the owner gave it (kept on a retry)
    s_worker_t *worker;                 //  NULL while queued
    s_job_t *next;                      //  in the queue
};

struct _s_worker_t {
    uint8_t identity [256];
    size_t identity_size;
    int64_t capacity;                   //  jobs it holds at once (its WORKER_READY)
    int64_t busy;                       //  jobs it holds now
    int64_t last_seen;
    int64_t last_given;
    char instance [64];
};

struct _zc_workpool_t {
    zsock_t *router;
    size_t max_queued;
    int64_t expiry_ms;
    zc_workpool_done_fn *done;
    void *arg;
    zlistx_t *workers;                  //  of s_worker_t
    zhashx_t *in_flight;                //  job id (decimal text) -> s_job_t
    s_job_t *head, *tail;               //  queue
    size_t queued;
    uint64_t next_id;
    uint64_t retried;
    uint64_t completed;
    //  the scaling signal, counted here so that it exists with no worker
    zc_metric_t *m_queued;
    zc_metric_t *m_in_flight;
    zc_metric_t *m_oldest;
    zc_metric_t *m_completed;
    zc_metric_t *m_workers;
    zc_metric_t *m_busy;
    zc_metric_t *m_retried;
};

static void
s_job_free (s_job_t **job_p)
{
    if (*job_p) {
        free ((*job_p)->data);
        free (*job_p);
        *job_p = NULL;
    }
}

zc_workpool_t *
zc_workpool_new (zsock_t *router, size_t max_queued, int64_t expiry_ms,
                 zc_workpool_done_fn *done, void *arg)
{
    zc_workpool_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->router = router;
    self->max_queued = max_queued;
    self->expiry_ms = expiry_ms;
    self->done = done;
    self->arg = arg;
    self->workers = zlistx_new ();
    self->in_flight = zhashx_new ();
    self->next_id = (uint64_t) zc_now_ms () << 16;
    if (!self->workers || !self->in_flight)
        zc_workpool_destroy (&self);
    return self;
}

void
zc_workpool_destroy (zc_workpool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_workpool_t *self = *self_p;
    while (self->head) {
        s_job_t *job = self->head;
        self->head = job->next;
        s_job_free (&job);
    }
    if (self->in_flight) {
        for (s_job_t *job = zhashx_first (self->in_flight); job; job = zhashx_next (self->in_flight))
            s_job_free (&job);
        zhashx_destroy (&self->in_flight);
    }
    if (self->workers) {
        for (s_worker_t *w = zlistx_first (self->workers); w; w = zlistx_next (self->workers))
            free (w);
        zlistx_destroy (&self->workers);
    }
    free (self);
    *self_p = NULL;
}

uint64_t
zc_workpool_next_id (zc_workpool_t *self)
{
    return ++self->next_id;
}

static void
s_push_front (zc_workpool_t *self, s_job_t *job)
{
    job->worker = NULL;
    job->next = self->head;
    self->head = job;
    if (!self->tail)
        self->tail = job;
    self->queued++;
}

static void
s_push_back (zc_workpool_t *self, s_job_t *job)
{
    job->worker = NULL;
    job->next = NULL;
    if (self->tail)
        self->tail->next = job;
    else
        self->head = job;
    self->tail = job;
    self->queued++;
}

static s_job_t *
s_pop (zc_workpool_t *self)
{
    s_job_t *job = self->head;
    if (job) {
        self->head = job->next;
        if (!self->head)
            self->tail = NULL;
        job->next = NULL;
        self->queued--;
    }
    return job;
}

//  The worker with credit that was given work least recently
static s_worker_t *
s_pick (zc_workpool_t *self)
{
    s_worker_t *best = NULL;
    for (s_worker_t *w = zlistx_first (self->workers); w; w = zlistx_next (self->workers))
        if (w->busy < w->capacity && (!best || w->last_given < best->last_given))
            best = w;
    return best;
}

static void
s_dispatch (zc_workpool_t *self)
{
    while (self->head) {
        s_worker_t *worker = s_pick (self);
        if (!worker)
            return;
        s_job_t *job = s_pop (self);
        zmq_msg_t id, body;
        zmq_msg_init_size (&id, worker->identity_size);
        memcpy (zmq_msg_data (&id), worker->identity, worker->identity_size);
        //  the job keeps its bytes for a retry: send a copy
        zmq_msg_init_size (&body, job->size);
        memcpy (zmq_msg_data (&body), job->data, job->size);
        void *handle = zsock_resolve (self->router);
        if (zmq_msg_send (&id, handle, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        ||  zmq_msg_send (&body, handle, 0) < 0) {
            zmq_msg_close (&id);
            zmq_msg_close (&body);
            //  the worker is gone or full: no more until it speaks again
            worker->capacity = 0;
            s_push_front (self, job);
            continue;
        }
        worker->busy++;
        worker->last_given = zc_mono_ms ();
        job->worker = worker;
        char key [24];
        snprintf (key, sizeof key, "%llu", (unsigned long long) job->id);
        zhashx_insert (self->in_flight, key, job);
    }
}

int
zc_workpool_submit (zc_workpool_t *self, uint64_t job_id, uint8_t *data, size_t size,
                    void *job_arg)
{
    if (self->queued >= self->max_queued) {
        free (data);
        return -1;
    }
    s_job_t *job = calloc (1, sizeof *job);
    if (!job) {
        free (data);
        return -1;
    }
    job->id = job_id;
    job->data = data;
    job->size = size;
    job->arg = job_arg;
    job->submitted_ms = zc_mono_ms ();
    s_push_back (self, job);
    s_dispatch (self);
    return 0;
}

static s_worker_t *
s_worker (zc_workpool_t *self, zc_frames_t *frames, bool create)
{
    const uint8_t *id = zc_frame_data (frames, 0);
    size_t id_size = zc_frame_size (frames, 0);
    for (s_worker_t *w = zlistx_first (self->workers); w; w = zlistx_next (self->workers))
        if (w->identity_size == id_size && memcmp (w->identity, id, id_size) == 0)
            return w;
    //  bounded: identities are cheap for whoever connects to the work socket
    if (!create || id_size > sizeof ((s_worker_t *) 0)->identity
    ||  zlistx_size (self->workers) >= ZC_WORKPOOL_MAX_WORKERS)
        return NULL;
    s_worker_t *w = calloc (1, sizeof *w);
    if (!w)
        return NULL;
    memcpy (w->identity, id, id_size);
    w->identity_size = id_size;
    zlistx_add_end (self->workers, w);
    return w;
}

//  Forget a worker: its unanswered jobs go back to the front of the
//  queue for another, and a late reply of its own is dropped
static void
s_forget (zc_workpool_t *self, s_worker_t *w)
{
    for (s_job_t *job = zhashx_first (self->in_flight); job; ) {
        s_job_t *following = zhashx_next (self->in_flight);
        if (job->worker == w) {
            char key [24];
            snprintf (key, sizeof key, "%llu", (unsigned long long) job->id);
            zhashx_delete (self->in_flight, key);
            s_push_front (self, job);
            self->retried++;
            //  deleting invalidates the cursor: start over
            following = zhashx_first (self->in_flight);
        }
        job = following;
    }
    void *handle = zlistx_find (self->workers, w);
    if (handle)
        zlistx_delete (self->workers, handle);
    free (w);
}

void
zc_workpool_on_message (zc_workpool_t *self, zc_frames_t *frames, const zc_env_t *env)
{
    if (frames->count != 2)
        return;
    if (env->type == ZC__MSG_TYPE__WORKER_READY) {
        Zc__WorkerReady *ready = zc__worker_ready__unpack (NULL, env->body_size, env->body);
        if (!ready)
            return;
        s_worker_t *w = s_worker (self, frames, !ready->leaving);
        if (w && ready->leaving) {
            //  a worker that stops: what it holds goes to another at once,
            //  not after the expiry
            zc_info ("worker %s leaving: %lld job(s) handed back", w->instance [0] ? w->instance : "?",
                     (long long) w->busy);
            s_forget (self, w);
        }
        else
        if (w) {
            //  capacity, not an increment: a restarted owner or worker
            //  agrees again at the next heartbeat; bounded so a hostile
            //  worker cannot claim the queue
            w->capacity = ready->credits > 64 ? 64 : ready->credits;
            w->last_seen = zc_mono_ms ();
            if (w->instance [0] == 0 && ready->instance)
                snprintf (w->instance, sizeof w->instance, "%s", ready->instance);
        }
        zc__worker_ready__free_unpacked (ready, NULL);
        s_dispatch (self);
        return;
    }
    if (env->type != ZC__MSG_TYPE__VERIFY_REPLY)
        return;
    Zc__VerifyReply *reply = zc__verify_reply__unpack (NULL, env->body_size, env->body);
    if (!reply)
        return;
    char key [24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) reply->job_id);
    s_job_t *job = zhashx_lookup (self->in_flight, key);
    s_worker_t *w = s_worker (self, frames, false);
    if (w)
        w->last_seen = zc_mono_ms ();
    zc__verify_reply__free_unpacked (reply, NULL);
    if (job) {
        if (job->worker)
            job->worker->busy--;
        zhashx_delete (self->in_flight, key);
        self->completed++;
        if (self->done)
            self->done (self->arg, job->id, job->arg, env->body, env->body_size);
        s_job_free (&job);
    }
    s_dispatch (self);
}

void
zc_workpool_tick (zc_workpool_t *self)
{
    int64_t now = zc_mono_ms ();
    s_worker_t *w = zlistx_first (self->workers);
    while (w) {
        s_worker_t *next = zlistx_next (self->workers);
        if (now - w->last_seen > self->expiry_ms) {
            zc_warn ("worker %s silent for %lld ms: forgotten, its jobs retried",
                     w->instance [0] ? w->instance : "?", (long long) (now - w->last_seen));
            s_forget (self, w);
            w = zlistx_first (self->workers);   //  the cursor moved: restart
            continue;
        }
        w = next;
    }
    s_dispatch (self);
}

void
zc_workpool_metrics (zc_workpool_t *self, zc_metrics_t *metrics)
{
    if (!metrics)
        return;
    self->m_queued = zc_metrics_gauge (metrics, "zchain_work_queue_depth",
                                       "jobs waiting for a validator", NULL, NULL);
    self->m_in_flight = zc_metrics_gauge (metrics, "zchain_work_in_flight",
                                          "jobs a validator holds, not yet answered", NULL, NULL);
    self->m_oldest = zc_metrics_gauge (metrics, "zchain_work_oldest_seconds",
                                       "how long the oldest waiting job has waited", NULL, NULL);
    self->m_completed = zc_metrics_counter (metrics, "zchain_work_completed_total",
                                            "jobs answered by a validator", NULL, NULL);
    self->m_workers = zc_metrics_gauge (metrics, "zchain_work_workers", "validators connected",
                                        NULL, NULL);
    self->m_busy = zc_metrics_gauge (metrics, "zchain_work_busy_workers",
                                     "validators holding unanswered jobs", NULL, NULL);
    self->m_retried = zc_metrics_counter (metrics, "zchain_work_retried_total",
                                          "jobs retried after a validator vanished", NULL, NULL);
    zc_workpool_sample (self);
}

void
zc_workpool_sample (zc_workpool_t *self)
{
    zc_metric_set (self->m_queued, (double) self->queued);
    zc_metric_set (self->m_in_flight, (double) zhashx_size (self->in_flight));
    zc_metric_set (self->m_oldest, zc_workpool_oldest_ms (self) / 1000.0);
    zc_metric_set (self->m_completed, (double) self->completed);
    zc_metric_set (self->m_workers, (double) zlistx_size (self->workers));
    zc_metric_set (self->m_busy, (double) zc_workpool_busy_workers (self));
    zc_metric_set (self->m_retried, (double) self->retried);
}

//  A retried job goes back to the front, so the head is not always the
//  oldest: the queue is bounded, and this runs once a second
int64_t
zc_workpool_oldest_ms (zc_workpool_t *self)
{
    if (!self->head)
        return 0;
    int64_t oldest = self->head->submitted_ms;
    for (s_job_t *job = self->head->next; job; job = job->next)
        if (job->submitted_ms < oldest)
            oldest = job->submitted_ms;
    int64_t age = zc_mono_ms () - oldest;
    return age > 0 ? age : 0;
}

size_t
zc_workpool_busy_workers (zc_workpool_t *self)
{
    size_t busy = 0;
    for (s_worker_t *w = zlistx_first (self->workers); w; w = zlistx_next (self->workers))
        if (w->busy > 0)
            busy++;
    return busy;
}

uint64_t
zc_workpool_completed (zc_workpool_t *self)
{
    return self->completed;
}

size_t
zc_workpool_workers (zc_workpool_t *self)
{
    return zlistx_size (self->workers);
}

size_t
zc_workpool_queued (zc_workpool_t *self)
{
    return self->queued;
}

size_t
zc_workpool_in_flight (zc_workpool_t *self)
{
    return zhashx_size (self->in_flight);
}

uint64_t
zc_workpool_retried (zc_workpool_t *self)
{
    return self->retried;
}

void
zc_workpool_on_ready (zc_actor_t *actor, zsock_t *router, void *arg)
{
    (void) actor;
    zc_frames_t frames;
    if (zc_frames_recv (router, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    if (zc_frames_envelope (&frames, &env) == ZC_OK)
        zc_workpool_on_message ((zc_workpool_t *) arg, &frames, &env);
    zc_frames_close (&frames);
}
