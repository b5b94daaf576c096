/*  zc_autoscale.c - the scaling policy: proportional, banded, stabilised */
#include "zc_autoscale.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
    int64_t at_ms;
    int replicas;
} s_sample_t;

struct _zc_autoscale_t {
    zc_autoscale_cfg_t cfg;
    s_sample_t history [ZC_AUTOSCALE_HISTORY];     //  a ring, oldest at head
    size_t head;
    size_t count;
    int recommended;
};

zc_autoscale_t *
zc_autoscale_new (const zc_autoscale_cfg_t *cfg)
{
    if (cfg->min < 1 || cfg->max < cfg->min || !(cfg->target > 0) || cfg->tolerance < 0
    ||  cfg->window_ms < 0)
        return NULL;
    zc_autoscale_t *self = calloc (1, sizeof *self);
    if (self) {
        self->cfg = *cfg;
        self->recommended = cfg->min;
    }
    return self;
}

void
zc_autoscale_destroy (zc_autoscale_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

static int
s_clamp (const zc_autoscale_t *self, long long n)
{
    return n < self->cfg.min ? self->cfg.min : n > self->cfg.max ? self->cfg.max : (int) n;
}

//  What the signal alone asks for, within the bounds
static int
s_recommend (const zc_autoscale_t *self, const zc_autoscale_input_t *in)
{
    double backlog = in->backlog > 0 ? in->backlog : 0;
    if (in->current <= 0)
        //  nobody to measure a ratio on: as many as the backlog needs
        return s_clamp (self, (long long) ceil (backlog / self->cfg.target));
    double ratio = backlog / in->current / self->cfg.target;
    if (fabs (ratio - 1.0) <= self->cfg.tolerance)
        return s_clamp (self, in->current);
    //  current * ratio, less a hair so that an exact multiple is not
    //  rounded up by the division's last bit
    return s_clamp (self, (long long) ceil (in->current * ratio - 1e-9));
}

//  Remember a recommendation and forget those older than the window
static void
s_remember (zc_autoscale_t *self, int64_t now_ms, int replicas)
{
    while (self->count && self->history [self->head].at_ms < now_ms - self->cfg.window_ms) {
        self->head = (self->head + 1) % ZC_AUTOSCALE_HISTORY;
        self->count--;
    }
    if (self->count == ZC_AUTOSCALE_HISTORY) {
        //  called more often than the ring holds in one window: the oldest
        //  goes, which only shortens the window for such a caller
        self->head = (self->head + 1) % ZC_AUTOSCALE_HISTORY;
        self->count--;
    }
    s_sample_t *s = &self->history [(self->head + self->count) % ZC_AUTOSCALE_HISTORY];
    s->at_ms = now_ms;
    s->replicas = replicas;
    self->count++;
}

static int
s_highest (const zc_autoscale_t *self)
{
    int highest = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_sample_t *s = &self->history [(self->head + i) % ZC_AUTOSCALE_HISTORY];
        if (s->replicas > highest)
            highest = s->replicas;
    }
    return highest;
}

int
zc_autoscale_desired (zc_autoscale_t *self, int64_t now_ms, const zc_autoscale_input_t *in)
{
    int recommended = s_recommend (self, in);
    self->recommended = recommended;
    s_remember (self, now_ms, recommended);
    //  the highest recommendation of the window, this one included: up at
    //  once, down only when every recommendation of the window is lower.
    //  Not capped by the replicas alive: those the driver just started, or
    //  those on a host that is being replaced, are silent for a while, and
    //  counting only the ones heard would ask for fewer than run (flapping)
    int desired = s_highest (self);
    //  a replica holding an unanswered job is not the one to lose
    if (desired < in->busy)
        desired = in->busy;
    return s_clamp (self, desired);
}

int
zc_autoscale_recommended (const zc_autoscale_t *self)
{
    return self->recommended;
}

int
zc_autoscale_parse_range (const char *text, int limit, int *min_p, int *max_p)
{
    if (!text || *text < '0' || *text > '9')
        return -1;
    char *end;
    errno = 0;
    long min = strtol (text, &end, 10), max = min;
    if (end [0] == '.' && end [1] == '.') {
        const char *rest = end + 2;
        if (*rest < '0' || *rest > '9')
            return -1;
        max = strtol (rest, &end, 10);
    }
    if (*end || errno || min < 1 || max < min || max > limit)
        return -1;
    *min_p = (int) min;
    *max_p = (int) max;
    return 0;
}
