/*  cpu_cost.c - CPU per transaction from the sidecar, one verification here */
#include "cpu_cost.h"
#include "http_get.h"
#include "zc_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define METRICS_MAX (8 << 20)           //  a sidecar of a large cluster says a lot
#define VERIFY_ROUNDS 5
#define VERIFY_PER_ROUND 400

//  label="value" inside a series' braces, into out
static bool
s_label (const char *labels, const char *end, const char *name, char *out, size_t out_size)
{
    char pattern [48];
    snprintf (pattern, sizeof pattern, "%s=\"", name);
    const char *at = strstr (labels, pattern);
    if (!at || at > end)
        return false;
    at += strlen (pattern);
    const char *close = strchr (at, '"');
    if (!close || close > end || (size_t) (close - at) >= out_size)
        return false;
    memcpy (out, at, (size_t) (close - at));
    out [close - at] = 0;
    return true;
}

bool
cpu_cost_sample (const char *metrics_url, cpu_cost_sample_t *out, char *reason, size_t reason_size)
{
    out->n = 0;
    char url [300];
    snprintf (url, sizeof url, "%s/metrics", metrics_url);
    char *body = malloc (METRICS_MAX);
    int code = 0;
    if (!body) {
        snprintf (reason, reason_size, "out of memory");
        return false;
    }
    if (http_get (url, 3000, body, METRICS_MAX, &code, reason, reason_size) || code != 200) {
        if (code && code != 200)
            snprintf (reason, reason_size, "%s answered HTTP %d", url, code);
        free (body);
        return false;
    }
    const char *name = "zchain_process_cpu_seconds_total{";
    for (const char *line = strstr (body, name); line && out->n < CPU_COST_INSTANCES;
         line = strstr (line + 1, name)) {
        if (line != body && line [-1] != '\n')
            continue;                   //  a HELP or TYPE line
        const char *labels = line + strlen (name);
        const char *end = strchr (labels, '}');
        if (!end)
            break;
        cpu_cost_series_t *s = &out->series [out->n];
        char instance [120];
        if (!s_label (labels, end, "service", s->service, sizeof s->service)
        ||  !s_label (labels, end, "instance", instance, sizeof instance))
            continue;
        char service [32];
        memcpy (service, s->service, sizeof service);
        snprintf (s->key, sizeof s->key, "%s/%s", service, instance);
        s->seconds = atof (end + 1);
        out->n++;
    }
    free (body);
    return true;
}

static cpu_cost_share_t *
s_share (cpu_cost_spent_t *spent, const char *service)
{
    for (size_t i = 0; i < spent->n; i++)
        if (!strcmp (spent->share [i].service, service))
            return &spent->share [i];
    if (spent->n == CPU_COST_SERVICES)
        return NULL;
    cpu_cost_share_t *share = &spent->share [spent->n++];
    snprintf (share->service, sizeof share->service, "%s", service);
    share->seconds = 0;
    return share;
}

void
cpu_cost_spent (const cpu_cost_sample_t *before, const cpu_cost_sample_t *after,
                cpu_cost_spent_t *out)
{
    memset (out, 0, sizeof *out);
    for (size_t i = 0; i < after->n; i++) {
        const cpu_cost_series_t *a = &after->series [i];
        double start = 0;
        for (size_t j = 0; j < before->n; j++)
            if (!strcmp (before->series [j].key, a->key) && before->series [j].seconds <= a->seconds)
                start = before->series [j].seconds;
        cpu_cost_share_t *share = s_share (out, a->service);
        if (share) {
            share->seconds += a->seconds - start;
            out->total += a->seconds - start;
        }
    }
}

static double
s_cpu_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

double
cpu_cost_verify_seconds (void)
{
    //  distinct keys, messages and signatures, as a validator sees them:
    //  one signature verified over and over runs from warm caches and
    //  trained branches, some 8 % faster than a stream of different ones
    typedef struct {
        uint8_t pubkey [ZC_PUBKEY_SIZE], msg [32], sig [ZC_SIG_SIZE];
    } s_signed_t;
    s_signed_t *set = malloc (VERIFY_PER_ROUND * sizeof *set);
    if (!set)
        return 0;
    for (int i = 0; i < VERIFY_PER_ROUND; i++) {
        zc_seckey_t key;
        memset (set [i].msg, 0, sizeof set [i].msg);
        memcpy (set [i].msg, &i, sizeof i);
        bool bad = zc_seckey_generate (&key) || zc_seckey_pubkey (&key, set [i].pubkey)
                || zc_sign (&key, set [i].msg, set [i].sig);
        zc_seckey_wipe (&key);
        if (bad) {
            free (set);
            return 0;
        }
    }
    double round [VERIFY_ROUNDS];
    int ok = 0;
    for (int r = 0; r < VERIFY_ROUNDS; r++) {
        double start = s_cpu_now ();
        for (int i = 0; i < VERIFY_PER_ROUND; i++)
            ok += zc_verify (set [i].pubkey, set [i].msg, set [i].sig);
        round [r] = (s_cpu_now () - start) / VERIFY_PER_ROUND;
    }
    free (set);
    qsort (round, VERIFY_ROUNDS, sizeof round [0], s_cmp_double);
    return ok == VERIFY_ROUNDS * VERIFY_PER_ROUND ? round [VERIFY_ROUNDS / 2] : 0;
}
