/*  zc_watchdog.c - a thread that watches a counter the service loop bumps */
#include "zc_watchdog.h"
#include "zc_log.h"
#include "zc_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct _zc_watchdog_t {
    char name [48];
    int64_t timeout_ms;
    atomic_uint_fast64_t kicks;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;                //  for a prompt stop
    bool stop;
};

static void *
s_watch (void *arg)
{
    zc_watchdog_t *self = arg;
    //  look a few times per timeout, at least once a second
    int64_t period = self->timeout_ms / 4;
    if (period > 1000)
        period = 1000;
    if (period < 10)
        period = 10;
    uint_fast64_t seen = atomic_load (&self->kicks);
    int64_t last_progress = zc_mono_ms ();
    pthread_mutex_lock (&self->lock);
    while (!self->stop) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_sec += period / 1000;
        until.tv_nsec += (period % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait (&self->wake, &self->lock, &until);
        if (self->stop)
            break;
        uint_fast64_t now_kicks = atomic_load (&self->kicks);
        int64_t now = zc_mono_ms ();
        if (now_kicks != seen) {
            seen = now_kicks;
            last_progress = now;
        }
        else
        if (seen != 0 && now - last_progress >= self->timeout_ms) {
            zc_error ("watchdog: the %s loop made no progress for %lld ms: exiting with status %d "
                      "to be started again", self->name, (long long) (now - last_progress),
                      ZC_WATCHDOG_EXIT);
            _exit (ZC_WATCHDOG_EXIT);
        }
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

zc_watchdog_t *
zc_watchdog_new (const char *name, int64_t timeout_ms)
{
    if (timeout_ms <= 0)
        return NULL;
    zc_watchdog_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->name, sizeof self->name, "%s", name ? name : "service");
    self->timeout_ms = timeout_ms;
    atomic_init (&self->kicks, 0);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    if (pthread_create (&self->thread, NULL, s_watch, self)) {
        pthread_mutex_destroy (&self->lock);
        pthread_cond_destroy (&self->wake);
        free (self);
        return NULL;
    }
    return self;
}

void
zc_watchdog_destroy (zc_watchdog_t **self_p)
{
    zc_watchdog_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->wake);
    free (self);
    *self_p = NULL;
}

void
zc_watchdog_kick (zc_watchdog_t *self)
{
    if (self)
        atomic_fetch_add_explicit (&self->kicks, 1, memory_order_relaxed);
}
