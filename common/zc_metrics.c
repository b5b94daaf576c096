/*  zc_metrics.c - metric registry, snapshots, Prometheus text */
#include "zc_metrics.h"
#include "zc_codec.h"
#include "zc_time.h"
#include "zc_text.h"
#include "zc_zmq.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const double zc_metrics_latency_bounds [12] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2, 10
};

struct _zc_metrics_t {
    char service [32];
    char instance [64];
    bool ready;
    zc_metric_t *metric;                //  ZC_METRICS_MAX of them, never moved
    int count;
    zc_metric_t *cpu;
    zc_metric_t *rss;
    zc_metric_t *drops_hwm;
    zc_metric_t *drops_unroutable;
    zc_metric_t *auth_refused [ZC_SOCK_COUNT_];
};

zc_metrics_t *
zc_metrics_new (const char *service, const char *instance)
{
    zc_metrics_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->metric = calloc (ZC_METRICS_MAX, sizeof *self->metric);
    if (!self->metric) {
        free (self);
        return NULL;
    }
    snprintf (self->service, sizeof self->service, "%s", service);
    snprintf (self->instance, sizeof self->instance, "%s", instance);
    return self;
}

void
zc_metrics_destroy (zc_metrics_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->metric);
        free (*self_p);
        *self_p = NULL;
    }
}

static zc_metric_t *
s_register (zc_metrics_t *self, Zc__MetricType type, const char *name, const char *help,
            const char *label_name, const char *label_value)
{
    for (int i = 0; i < self->count; i++) {
        zc_metric_t *m = &self->metric [i];
        if (!strcmp (m->name, name) && !strcmp (m->label_value, label_value ? label_value : ""))
            return m;
    }
    if (self->count == ZC_METRICS_MAX)
        return NULL;
    zc_metric_t *m = &self->metric [self->count++];
    memset (m, 0, sizeof *m);
    snprintf (m->name, sizeof m->name, "%s", name);
    snprintf (m->help, sizeof m->help, "%s", help);
    snprintf (m->label_name, sizeof m->label_name, "%s", label_name ? label_name : "");
    snprintf (m->label_value, sizeof m->label_value, "%s", label_value ? label_value : "");
    m->type = type;
    return m;
}

zc_metric_t *
zc_metrics_counter (zc_metrics_t *self, const char *name, const char *help,
                    const char *label_name, const char *label_value)
{
    return s_register (self, ZC__METRIC_TYPE__COUNTER, name, help, label_name, label_value);
}

zc_metric_t *
zc_metrics_gauge (zc_metrics_t *self, const char *name, const char *help,
                  const char *label_name, const char *label_value)
{
    return s_register (self, ZC__METRIC_TYPE__GAUGE, name, help, label_name, label_value);
}

zc_metric_t *
zc_metrics_histogram (zc_metrics_t *self, const char *name, const char *help,
                      const double *bounds, int n)
{
    zc_metric_t *m = s_register (self, ZC__METRIC_TYPE__HISTOGRAM, name, help, NULL, NULL);
    if (m && m->n_bounds == 0) {
        m->n_bounds = n < ZC_HISTO_MAX ? n : ZC_HISTO_MAX;
        memcpy (m->bounds, bounds, (size_t) m->n_bounds * sizeof *bounds);
    }
    return m;
}

void
zc_metric_observe (zc_metric_t *m, double v)
{
    if (!m)
        return;
    int i = 0;
    while (i < m->n_bounds && v > m->bounds [i])
        i++;
    m->buckets [i]++;
    m->sum += v;
    m->count++;
}

void
zc_metrics_set_ready (zc_metrics_t *self, bool ready)
{
    self->ready = ready;
}

void
zc_metrics_sample_process (zc_metrics_t *self)
{
    if (!self->cpu) {
        self->cpu = zc_metrics_counter (self, "zchain_process_cpu_seconds_total",
                                        "CPU time used by the process", NULL, NULL);
        self->rss = zc_metrics_gauge (self, "zchain_process_resident_bytes",
                                      "resident memory of the process", NULL, NULL);
        const char *help = "ZeroMQ sends refused: a queue at its high-water mark, or a peer gone";
        self->drops_hwm = zc_metrics_counter (self, "zchain_zmq_send_drops_total", help,
                                              "reason", "hwm");
        self->drops_unroutable = zc_metrics_counter (self, "zchain_zmq_send_drops_total", help,
                                                     "reason", "unroutable");
    }
    uint64_t hwm, unroutable;
    zc_zmq_drops (&hwm, &unroutable);
    zc_metric_set (self->drops_hwm, (double) hwm);
    zc_metric_set (self->drops_unroutable, (double) unroutable);
    //  refused connections, for each socket this process bound with keys
    for (int s = 0; s < ZC_SOCK_COUNT_; s++) {
        if (!self->auth_refused [s] && zc_auth_bound ((zc_sock_t) s))
            self->auth_refused [s] = zc_metrics_counter (self, "zchain_auth_refused_total",
                "connections refused at the CURVE handshake: an unknown key or a role not let in",
                "socket", zc_sock_name ((zc_sock_t) s));
        if (self->auth_refused [s])
            zc_metric_set (self->auth_refused [s], (double) zc_auth_refused ((zc_sock_t) s));
    }
    FILE *f = fopen ("/proc/self/stat", "r");
    if (f) {
        unsigned long utime = 0, stime = 0;
        //  fields 14 and 15 after the command, which may hold spaces: skip to ')'
        char line [1024];
        if (fgets (line, sizeof line, f)) {
            char *p = strrchr (line, ')');
            if (p && sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                             &utime, &stime) == 2)
                zc_metric_set (self->cpu, (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK));
        }
        fclose (f);
    }
    f = fopen ("/proc/self/statm", "r");
    if (f) {
        unsigned long size, resident;
        if (fscanf (f, "%lu %lu", &size, &resident) == 2)
            zc_metric_set (self->rss, (double) resident * (double) sysconf (_SC_PAGESIZE));
        fclose (f);
    }
}

uint8_t *
zc_metrics_pack (zc_metrics_t *self, size_t *size_p)
{
    Zc__Snapshot snap = ZC__SNAPSHOT__INIT;
    snap.service = self->service;
    snap.instance = self->instance;
    snap.pid = (uint32_t) getpid ();
    snap.time_ms = (uint64_t) zc_now_ms ();
    snap.ready = self->ready;
    Zc__Metric *metrics = calloc ((size_t) self->count + 1, sizeof *metrics);
    Zc__Metric **ptrs = calloc ((size_t) self->count + 1, sizeof *ptrs);
    Zc__Label *labels = calloc ((size_t) self->count + 1, sizeof *labels);
    Zc__Label **label_ptrs = calloc ((size_t) self->count + 1, sizeof *label_ptrs);
    if (!metrics || !ptrs || !labels || !label_ptrs) {
        free (metrics);
        free (ptrs);
        free (labels);
        free (label_ptrs);
        return NULL;
    }
    for (int i = 0; i < self->count; i++) {
        zc_metric_t *m = &self->metric [i];
        Zc__Metric *out = &metrics [i];
        zc__metric__init (out);
        out->name = m->name;
        out->help = m->help;
        out->type = m->type;
        out->value = m->value;
        if (m->label_name [0]) {
            zc__label__init (&labels [i]);
            labels [i].name = m->label_name;
            labels [i].value = m->label_value;
            label_ptrs [i] = &labels [i];
            out->n_labels = 1;
            out->labels = &label_ptrs [i];
        }
        if (m->type == ZC__METRIC_TYPE__HISTOGRAM) {
            out->n_bounds = (size_t) m->n_bounds;
            out->bounds = m->bounds;
            out->n_buckets = (size_t) m->n_bounds + 1;
            out->buckets = m->buckets;
            out->sum = m->sum;
            out->count = m->count;
        }
        ptrs [i] = out;
    }
    snap.n_metrics = (size_t) self->count;
    snap.metrics = ptrs;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = 100 /* METRICS_SNAPSHOT */ };
    uint8_t *packed = zc_env_pack (&header, &snap.base, size_p);
    free (metrics);
    free (ptrs);
    free (labels);
    free (label_ptrs);
    return packed;
}

int
zc_metrics_push (zc_metrics_t *self, void *push_sock)
{
    size_t size;
    uint8_t *packed = zc_metrics_pack (self, &size);
    if (!packed)
        return -1;
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, size);
    memcpy (zmq_msg_data (&msg), packed, size);
    free (packed);
    if (zmq_msg_send (&msg, zsock_resolve (push_sock), ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&msg);
        return -1;
    }
    return 0;
}

//  Label values may hold anything a peer or client sent: escape them
static void
s_escaped (zc_text_t *t, const char *value)
{
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            zc_text_printf (t, "\\%c", *p);
        else
        if (*p == '\n')
            zc_text_printf (t, "\\n");
        else
            zc_text_printf (t, "%c", *p);
    }
}

static bool
s_valid_name (const char *name)
{
    if (!name || !*name)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':'
              || (p != name && *p >= '0' && *p <= '9')))
            return false;
    return true;
}

static void
s_labels (zc_text_t *t, const Zc__Snapshot *snap, const Zc__Metric *m, const char *le)
{
    zc_text_printf (t, "{service=\"");
    s_escaped (t, snap->service);
    zc_text_printf (t, "\",instance=\"");
    s_escaped (t, snap->instance);
    zc_text_printf (t, "\"");
    for (size_t l = 0; l < m->n_labels; l++) {
        if (!s_valid_name (m->labels [l]->name))
            continue;                   //  a label name we cannot print safely
        zc_text_printf (t, ",%s=\"", m->labels [l]->name);
        s_escaped (t, m->labels [l]->value);
        zc_text_printf (t, "\"");
    }
    if (le)
        zc_text_printf (t, ",le=\"%s\"", le);
    zc_text_printf (t, "}");
}

//  Does the name end as a histogram's series do?
static bool
s_reserved_suffix (const char *name)
{
    static const char *suffixes [] = { "_count", "_sum", "_bucket" };
    size_t len = strlen (name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes [0]; i++) {
        size_t n = strlen (suffixes [i]);
        if (len > n && !strcmp (name + len - n, suffixes [i]))
            return true;
    }
    return false;
}

char *
zc_metrics_render (Zc__Snapshot *const *snaps, size_t n, size_t *size_p)
{
    zc_text_t t;
    zc_text_init (&t);
    //  one HELP/TYPE block per name, all instances' series under it:
    //  walk every (snapshot, metric) and print each name the first time
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < snaps [s]->n_metrics; i++) {
            const Zc__Metric *first = snaps [s]->metrics [i];
            if (!s_valid_name (first->name))
                continue;
            bool seen = false;
            for (size_t s2 = 0; s2 <= s && !seen; s2++)
                for (size_t i2 = 0; i2 < snaps [s2]->n_metrics; i2++) {
                    if (s2 == s && i2 == i)
                        break;
                    if (!strcmp (snaps [s2]->metrics [i2]->name, first->name)) {
                        seen = true;
                        break;
                    }
                }
            if (seen)
                continue;
            const char *type = first->type == ZC__METRIC_TYPE__COUNTER ? "counter"
                             : first->type == ZC__METRIC_TYPE__GAUGE ? "gauge" : "histogram";
            //  The text format keeps _count, _sum and _bucket for a
            //  histogram's own series: a gauge named so (zchain_utxo_count,
            //  older than the rule, and on dashboards) is declared untyped,
            //  which promtool check metrics and OpenMetrics readers accept
            //  and which queries read the same
            if (first->type != ZC__METRIC_TYPE__HISTOGRAM && s_reserved_suffix (first->name))
                type = "untyped";
            zc_text_printf (&t, "# HELP %s ", first->name);
            s_escaped (&t, first->help);
            zc_text_printf (&t, "\n# TYPE %s %s\n", first->name, type);
            for (size_t s2 = s; s2 < n; s2++)
                for (size_t i2 = 0; i2 < snaps [s2]->n_metrics; i2++) {
                    const Zc__Metric *m = snaps [s2]->metrics [i2];
                    if (strcmp (m->name, first->name) || m->type != first->type)
                        continue;
                    if (m->type != ZC__METRIC_TYPE__HISTOGRAM) {
                        zc_text_printf (&t, "%s", m->name);
                        s_labels (&t, snaps [s2], m, NULL);
                        zc_text_printf (&t, " %.17g\n", m->value);
                        continue;
                    }
                    uint64_t cumulative = 0;
                    for (size_t b = 0; b < m->n_bounds && b < m->n_buckets; b++) {
                        char le [32];
                        snprintf (le, sizeof le, "%g", m->bounds [b]);
                        cumulative += m->buckets [b];
                        zc_text_printf (&t, "%s_bucket", m->name);
                        s_labels (&t, snaps [s2], m, le);
                        zc_text_printf (&t, " %llu\n", (unsigned long long) cumulative);
                    }
                    zc_text_printf (&t, "%s_bucket", m->name);
                    s_labels (&t, snaps [s2], m, "+Inf");
                    zc_text_printf (&t, " %llu\n", (unsigned long long) m->count);
                    zc_text_printf (&t, "%s_sum", m->name);
                    s_labels (&t, snaps [s2], m, NULL);
                    zc_text_printf (&t, " %.17g\n", m->sum);
                    zc_text_printf (&t, "%s_count", m->name);
                    s_labels (&t, snaps [s2], m, NULL);
                    zc_text_printf (&t, " %llu\n", (unsigned long long) m->count);
                }
        }
    return zc_text_take (&t, size_p);
}
