/*  autoscale.c - the validators' signal, the policy's answer, published */
#include "autoscale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _autoscale_t {
    zc_autoscale_t *policy;
    autoscale_state_t state;
};

autoscale_t *
autoscale_new (const autoscale_cfg_t *cfg, char *err, size_t err_size)
{
    int min, max;
    if (zc_autoscale_parse_range (cfg->validators, 1000, &min, &max)) {
        snprintf (err, err_size, "--autoscale-validators: '%s' is not MIN..MAX (1 <= MIN <= MAX <= 1000)",
                  cfg->validators ? cfg->validators : "");
        return NULL;
    }
    zc_autoscale_cfg_t policy = { min, max, (double) cfg->target, (double) cfg->tolerance_pct / 100.0,
                                  cfg->window_s * 1000 };
    autoscale_t *self = calloc (1, sizeof *self);
    if (self)
        self->policy = zc_autoscale_new (&policy);
    if (!self || !self->policy) {
        snprintf (err, err_size, "cannot make the scaling policy (out of memory or bad settings)");
        free (self);
        return NULL;
    }
    self->state.min = min;
    self->state.max = max;
    self->state.target = policy.target;
    self->state.window_s = cfg->window_s;
    self->state.desired = self->state.recommended = min;
    return self;
}

void
autoscale_destroy (autoscale_t **self_p)
{
    if (self_p && *self_p) {
        zc_autoscale_destroy (&(*self_p)->policy);
        free (*self_p);
        *self_p = NULL;
    }
}

static const Zc__Metric *
s_find (const Zc__Snapshot *snap, const char *name)
{
    for (size_t i = 0; i < snap->n_metrics; i++)
        if (snap->metrics [i]->name && !strcmp (snap->metrics [i]->name, name))
            return snap->metrics [i];
    return NULL;
}

static double
s_value (const Zc__Snapshot *snap, const char *name)
{
    const Zc__Metric *m = s_find (snap, name);
    //  a figure a hostile or broken snapshot could make absurd counts as 0
    return m && m->value >= 0 && m->value < 1e12 ? m->value : 0;
}

void
autoscale_update (autoscale_t *self, int64_t now_ms, Zc__Snapshot *const *live, size_t n)
{
    autoscale_state_t *s = &self->state;
    s->dispatchers = s->current = s->busy = 0;
    s->queued = s->in_flight = s->oldest_s = 0;
    for (size_t i = 0; i < n; i++) {
        const Zc__Snapshot *snap = live [i];
        if (!strcmp (snap->service, "validator"))
            s->current++;
        else
        if (s_find (snap, "zchain_work_queue_depth")) {
            //  a work dispatcher (storage, the mempool)
            s->dispatchers++;
            s->queued += s_value (snap, "zchain_work_queue_depth");
            s->in_flight += s_value (snap, "zchain_work_in_flight");
            double oldest = s_value (snap, "zchain_work_oldest_seconds");
            if (oldest > s->oldest_s)
                s->oldest_s = oldest;
            double busy = s_value (snap, "zchain_work_busy_workers");
            if (busy > s->busy)
                s->busy = busy > 1e6 ? 1000000 : (int) busy;
        }
    }
    //  no dispatcher, no signal: hold what runs rather than read silence
    //  (a storage restart) as an idle node
    s->signal = s->dispatchers > 0;
    if (!s->signal) {
        s->desired = s->current < s->min ? s->min : s->current > s->max ? s->max : s->current;
        return;
    }
    zc_autoscale_input_t in = { s->current, s->queued + s->in_flight, s->busy };
    s->desired = zc_autoscale_desired (self->policy, now_ms, &in);
    s->recommended = zc_autoscale_recommended (self->policy);
}

const autoscale_state_t *
autoscale_state (const autoscale_t *self)
{
    return &self->state;
}

void
autoscale_render_text (const autoscale_state_t *s, zc_text_t *t)
{
    const struct {
        const char *name, *help;
        double value;
    } series [] = {
        { "zchain_autoscale_desired_replicas", "replicas the scaling policy wants now", s->desired },
        { "zchain_autoscale_recommended_replicas",
          "replicas the signal alone asks for (before the window and floors)", s->recommended },
        { "zchain_autoscale_current_replicas", "replicas alive at the sidecar", s->current },
        { "zchain_autoscale_busy_replicas", "replicas holding unanswered jobs (a floor)", s->busy },
        { "zchain_autoscale_backlog_jobs", "jobs waiting and in flight over every dispatcher",
          s->queued + s->in_flight },
        { "zchain_autoscale_oldest_seconds", "the longest a waiting job has waited", s->oldest_s },
        { "zchain_autoscale_target_jobs", "backlog jobs per replica the policy aims at", s->target },
        { "zchain_autoscale_min_replicas", "the policy's floor", s->min },
        { "zchain_autoscale_max_replicas", "the policy's ceiling", s->max },
        { "zchain_autoscale_signal", "1 while a work dispatcher reports (0: the count is held)",
          s->signal ? 1 : 0 },
    };
    for (size_t i = 0; i < sizeof series / sizeof series [0]; i++)
        zc_text_printf (t, "# HELP %s %s\n# TYPE %s gauge\n%s{service=\"validator\"} %.17g\n",
                        series [i].name, series [i].help, series [i].name, series [i].name,
                        series [i].value);
}

void
autoscale_render_json (const autoscale_state_t *s, zc_text_t *t)
{
    zc_text_printf (t, "{\"services\":[{\"service\":\"validator\",\"desired\":%d,\"recommended\":%d,"
                       "\"current\":%d,\"busy\":%d,\"backlog_jobs\":%.17g,\"queued_jobs\":%.17g,"
                       "\"in_flight_jobs\":%.17g,\"target_jobs\":%.17g,\"oldest_seconds\":%.3f,"
                       "\"min\":%d,\"max\":%d,\"window_s\":%lld,\"signal\":%s,\"dispatchers\":%d}]}\n",
                    s->desired, s->recommended, s->current, s->busy, s->queued + s->in_flight,
                    s->queued, s->in_flight, s->target, s->oldest_s, s->min, s->max,
                    (long long) s->window_s, s->signal ? "true" : "false", s->dispatchers);
}
