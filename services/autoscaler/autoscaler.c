/*  autoscaler.c - the loop: read the policy's answer, decide, apply */
#include "autoscaler.h"
#include "engine.h"
#include "fetch.h"
#include "zc_log.h"
#include "zc_time.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const zc_option_t autoscaler_options [] = {
    { "instance", "ZC_INSTANCE", ZC_OPT_STRING, NULL,
      "instance name in logs (default autoscaler-HOST-PID)",
      offsetof (autoscaler_cfg_t, instance), 0, 0 },
    { "log-level", "ZC_LOG_LEVEL", ZC_OPT_STRING, "info",
      "debug, info, warn or error (debug also shows the rounds that change nothing)",
      offsetof (autoscaler_cfg_t, log_level), 0, 0 },
    { "metrics", "ZC_AUTOSCALER_METRICS", ZC_OPT_STRING, "http://127.0.0.1:7790",
      "the metrics sidecar's HTTP base URL; its GET /autoscale says what to scale to",
      offsetof (autoscaler_cfg_t, metrics), 0, 0 },
    { "engine", "ZC_AUTOSCALER_ENGINE", ZC_OPT_STRING, "/var/run/docker.sock",
      "the Docker engine's unix socket, on a swarm manager (root-equivalent: see docs)",
      offsetof (autoscaler_cfg_t, engine), 0, 0 },
    { "service", "ZC_AUTOSCALER_SERVICE", ZC_OPT_STRING, "validator=zchain_validator",
      "NAME=SWARM_SERVICE[,...]: the zchain service the sidecar names, and the Swarm "
      "service whose replicas it sets",
      offsetof (autoscaler_cfg_t, service), 0, 0 },
    { "interval-ms", "ZC_AUTOSCALER_INTERVAL_MS", ZC_OPT_INT, "5000",
      "time between rounds", offsetof (autoscaler_cfg_t, interval_ms), 200, 3600000 },
    { "dry-run", "ZC_AUTOSCALER_DRY_RUN", ZC_OPT_BOOL, "false",
      "decide and log, change nothing", offsetof (autoscaler_cfg_t, dry_run), 0, 0 },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

//  One driven service and what was said of it last round
typedef struct {
    autoscaler_map_t map;
    char last [160];                    //  the last outcome, to log repeats at debug
} s_service_t;

struct _autoscaler_t {
    const autoscaler_cfg_t *cfg;
    const volatile sig_atomic_t *stop;
    s_service_t services [AUTOSCALER_MAX_MAPS];
    size_t count;
    char url [416];                     //  the sidecar's /autoscale (base at most 400)
    fetch_t *sidecar;
    engine_t *engine;
    autoscaler_signal_t signal;         //  this round's answer
};

//  -- Parsing -------------------------------------------------------------

//  [a-z0-9_-], as zchain names its services
static bool
s_is_zchain_name (const char *name, size_t len)
{
    if (len == 0 || len >= 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((name [i] >= 'a' && name [i] <= 'z') || (name [i] >= '0' && name [i] <= '9')
        ||    name [i] == '_' || name [i] == '-'))
            return false;
    return true;
}

//  What Docker takes for a service name: [a-zA-Z0-9][a-zA-Z0-9_.-]*; it goes
//  into a URL path as it is
static bool
s_is_swarm_name (const char *name, size_t len)
{
    if (len == 0 || len >= 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
            return false;
    }
    return true;
}

int
autoscaler_parse_map (const char *text, autoscaler_map_t *map, size_t max,
                      char *err, size_t err_size)
{
    assert (text && map);
    size_t count = 0;
    const char *p = text;
    while (true) {
        const char *comma = strchr (p, ',');
        const char *end = comma ? comma : p + strlen (p);
        while (p < end && *p == ' ')
            p++;
        while (end > p && end [-1] == ' ')
            end--;
        const char *eq = memchr (p, '=', (size_t) (end - p));
        if (!eq) {
            snprintf (err, err_size, "'%.*s' is not NAME=SWARM_SERVICE", (int) (end - p), p);
            return -1;
        }
        size_t name_len = (size_t) (eq - p);
        size_t swarm_len = (size_t) (end - eq - 1);
        if (!s_is_zchain_name (p, name_len)) {
            snprintf (err, err_size, "'%.*s' is not a zchain service name ([a-z0-9_-])",
                      (int) name_len, p);
            return -1;
        }
        if (!s_is_swarm_name (eq + 1, swarm_len)) {
            snprintf (err, err_size, "'%.*s' is not a Swarm service name", (int) swarm_len,
                      eq + 1);
            return -1;
        }
        if (count == max) {
            snprintf (err, err_size, "at most %zu services", max);
            return -1;
        }
        autoscaler_map_t *m = &map [count];
        snprintf (m->name, sizeof m->name, "%.*s", (int) name_len, p);
        snprintf (m->swarm, sizeof m->swarm, "%.*s", (int) swarm_len, eq + 1);
        //  two drivers of one Swarm service would fight over it
        for (size_t i = 0; i < count; i++)
            if (strcmp (map [i].name, m->name) == 0 || strcmp (map [i].swarm, m->swarm) == 0) {
                snprintf (err, err_size, "'%s=%s' names a service twice", m->name, m->swarm);
                return -1;
            }
        count++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return (int) count;
}

//  A member that must be a count up to max, or may be absent (then -1):
//  a whole one, or when whole is false any number (rounded: a figure only
//  shown). false with entry->why when it is there but no such count, or
//  missing and required
static bool
s_count (const cJSON *item, const char *name, bool required, bool whole, double max,
         int64_t *value, autoscaler_entry_t *entry)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive (item, name);
    *value = -1;
    if (!member) {
        if (required)
            snprintf (entry->why, sizeof entry->why, "no %s", name);
        return !required;
    }
    //  2^53: every whole number up to it is exact in a double
    if (!cJSON_IsNumber (member) || !(member->valuedouble >= 0)
    ||  member->valuedouble > 9007199254740992.0
    ||  (whole && floor (member->valuedouble) != member->valuedouble)) {
        snprintf (entry->why, sizeof entry->why, "%s is not a count", name);
        return false;
    }
    if (member->valuedouble > max) {
        snprintf (entry->why, sizeof entry->why, "%s over %.0f", name, max);
        return false;
    }
    *value = (int64_t) llround (member->valuedouble);
    return true;
}

static void
s_parse_entry (const cJSON *item, autoscaler_entry_t *entry)
{
    memset (entry, 0, sizeof *entry);
    entry->oldest_seconds = NAN;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive (item, "service");
    if (!cJSON_IsObject (item) || !cJSON_IsString (name) || !*name->valuestring
    ||  strlen (name->valuestring) >= sizeof entry->service) {
        snprintf (entry->why, sizeof entry->why, "an entry without a service name");
        return;
    }
    snprintf (entry->service, sizeof entry->service, "%s", name->valuestring);
    //  desired and its bounds decide; the rest is what the log shows of why
    double replicas = AUTOSCALER_MAX_REPLICAS, any = 9007199254740992.0;
    if (!s_count (item, "desired", true, true, replicas, &entry->desired, entry)
    ||  !s_count (item, "min", true, true, replicas, &entry->min, entry)
    ||  !s_count (item, "max", true, true, replicas, &entry->max, entry)
    ||  !s_count (item, "recommended", false, true, replicas, &entry->recommended, entry)
    ||  !s_count (item, "current", false, true, replicas, &entry->current, entry)
    ||  !s_count (item, "busy", false, true, replicas, &entry->busy, entry)
    ||  !s_count (item, "backlog_jobs", false, false, any, &entry->backlog_jobs, entry)
    ||  !s_count (item, "target_jobs", false, false, any, &entry->target_jobs, entry)
    ||  !s_count (item, "window_s", false, true, any, &entry->window_s, entry))
        return;
    //  false while no work dispatcher reports: desired then only holds what
    //  the sidecar sees alive, which is no reason to change anything
    const cJSON *signal = cJSON_GetObjectItemCaseSensitive (item, "signal");
    if (signal && !cJSON_IsBool (signal)) {
        snprintf (entry->why, sizeof entry->why, "signal is not true or false");
        return;
    }
    entry->no_signal = cJSON_IsFalse (signal);
    const cJSON *oldest = cJSON_GetObjectItemCaseSensitive (item, "oldest_seconds");
    if (oldest) {
        if (!cJSON_IsNumber (oldest) || !(oldest->valuedouble >= 0)
        ||  !isfinite (oldest->valuedouble)) {
            snprintf (entry->why, sizeof entry->why, "oldest_seconds is not a duration");
            return;
        }
        entry->oldest_seconds = oldest->valuedouble;
    }
    if (entry->min > entry->max) {
        snprintf (entry->why, sizeof entry->why, "min %" PRId64 " above max %" PRId64,
                  entry->min, entry->max);
        return;
    }
    entry->valid = true;
}

int
autoscaler_parse_signal (const char *json, size_t size, autoscaler_signal_t *signal,
                         char *err, size_t err_size)
{
    assert (json && signal);
    signal->count = 0;
    cJSON *root = fetch_json (json, size);
    if (!root) {
        snprintf (err, err_size, "the answer is not JSON");
        return -1;
    }
    const cJSON *services = cJSON_GetObjectItemCaseSensitive (root, "services");
    int rc = 0;
    if (!cJSON_IsObject (root) || !cJSON_IsArray (services)) {
        snprintf (err, err_size, "the answer has no services list");
        rc = -1;
    }
    else
    if (cJSON_GetArraySize (services) > AUTOSCALER_MAX_ENTRIES) {
        snprintf (err, err_size, "the answer lists %d services, more than %d",
                  cJSON_GetArraySize (services), AUTOSCALER_MAX_ENTRIES);
        rc = -1;
    }
    else {
        const cJSON *item;
        cJSON_ArrayForEach (item, services) {
            autoscaler_entry_t *entry = &signal->entry [signal->count++];
            s_parse_entry (item, entry);
            //  two wishes for one service: believe neither
            for (size_t i = 0; i + 1 < signal->count && entry->service [0]; i++)
                if (strcmp (signal->entry [i].service, entry->service) == 0) {
                    signal->entry [i].valid = entry->valid = false;
                    snprintf (signal->entry [i].why, sizeof entry->why, "listed twice");
                    snprintf (entry->why, sizeof entry->why, "listed twice");
                }
        }
    }
    cJSON_Delete (root);
    return rc;
}

const autoscaler_entry_t *
autoscaler_signal_find (const autoscaler_signal_t *signal, const char *service)
{
    assert (signal && service);
    //  a nameless entry is no service's
    if (!*service)
        return NULL;
    for (size_t i = 0; i < signal->count; i++)
        if (strcmp (signal->entry [i].service, service) == 0)
            return &signal->entry [i];
    return NULL;
}

//  A count for the log, "?" when the answer did not give it
static const char *
s_shown (int64_t value, char *buf, size_t size)
{
    if (value < 0)
        return "?";
    snprintf (buf, size, "%" PRId64, value);
    return buf;
}

size_t
autoscaler_describe (const autoscaler_entry_t *entry, char *out, size_t out_size)
{
    assert (entry && out && out_size > 0);
    char recommended [24], current [24], busy [24], backlog [24], target [24], window [24],
         oldest [32];
    if (isnan (entry->oldest_seconds))
        snprintf (oldest, sizeof oldest, "?");
    else
        snprintf (oldest, sizeof oldest, "%.1f", entry->oldest_seconds);
    //  desired is the highest the window recommended; the inputs are this
    //  moment's, so what they alone ask for stands beside it
    int n = snprintf (out, out_size, "desired %" PRId64 " (recommended now %s, current %s, busy %s, "
                      "backlog %s jobs, oldest %s s, target %s/replica, bounds %" PRId64 "..%" PRId64
                      ", window %s s)", entry->desired,
                      s_shown (entry->recommended, recommended, sizeof recommended),
                      s_shown (entry->current, current, sizeof current),
                      s_shown (entry->busy, busy, sizeof busy),
                      s_shown (entry->backlog_jobs, backlog, sizeof backlog), oldest,
                      s_shown (entry->target_jobs, target, sizeof target),
                      entry->min, entry->max,
                      s_shown (entry->window_s, window, sizeof window));
    if (n < 0)
        return 0;
    return (size_t) n < out_size ? (size_t) n : out_size - 1;
}

//  -- The loop ------------------------------------------------------------

autoscaler_t *
autoscaler_new (const autoscaler_cfg_t *cfg, const volatile sig_atomic_t *stop,
                char *err, size_t err_size)
{
    assert (cfg && stop);
    autoscaler_map_t map [AUTOSCALER_MAX_MAPS];
    int count = autoscaler_parse_map (cfg->service ? cfg->service : "", map,
                                      AUTOSCALER_MAX_MAPS, err, err_size);
    if (count < 0) {
        char why [256];
        snprintf (why, sizeof why, "%s", err);
        snprintf (err, err_size, "--service: %s", why);
        return NULL;
    }
    const char *metrics = cfg->metrics ? cfg->metrics : "";
    size_t len = strlen (metrics);
    while (len > 0 && metrics [len - 1] == '/')
        len--;
    bool printable = true;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) metrics [i] <= 0x20 || (unsigned char) metrics [i] >= 0x7f)
            printable = false;
    if (strncmp (metrics, "http://", 7) != 0 || len <= 7 || len > 400 || !printable) {
        snprintf (err, err_size, "--metrics: '%.100s' is not http://HOST:PORT", metrics);
        return NULL;
    }
    //  a unix socket's path fits in sun_path (108 bytes with its NUL)
    const char *engine = cfg->engine ? cfg->engine : "";
    if (engine [0] != '/' || strlen (engine) > 107) {
        snprintf (err, err_size, "--engine: '%.120s' is not the absolute path of a socket",
                  engine);
        return NULL;
    }
    autoscaler_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->cfg = cfg;
    self->stop = stop;
    self->count = (size_t) count;
    for (size_t i = 0; i < self->count; i++)
        self->services [i].map = map [i];
    snprintf (self->url, sizeof self->url, "%.*s/autoscale", (int) len, metrics);
    self->sidecar = fetch_new (NULL, AUTOSCALER_SIDECAR_TIMEOUT_MS, AUTOSCALER_MAX_BYTES, stop);
    self->engine = engine_new (engine, stop);
    if (!self->sidecar || !self->engine) {
        snprintf (err, err_size, "out of memory");
        autoscaler_destroy (&self);
    }
    return self;
}

void
autoscaler_destroy (autoscaler_t **self_p)
{
    assert (self_p);
    autoscaler_t *self = *self_p;
    if (self) {
        fetch_destroy (&self->sidecar);
        engine_destroy (&self->engine);
        free (self);
        *self_p = NULL;
    }
}

int
autoscaler_start (autoscaler_t *self, char *err, size_t err_size)
{
    assert (self);
    if (engine_connect (self->engine, err, err_size))
        return -1;
    zc_info ("engine %s: %s", self->cfg->engine, engine_describe (self->engine));
    for (size_t i = 0; i < self->count; i++)
        zc_info ("%s sets the replicas of %s from %s every %" PRId64 " ms%s",
                 self->services [i].map.name, self->services [i].map.swarm, self->url,
                 self->cfg->interval_ms, self->cfg->dry_run ? " (dry run: changes nothing)" : "");
    return 0;
}

//  Log one decision: at level when its outcome differs from the last
//  round's for this service, at debug when it repeats, so a steady state
//  says so once and then stays quiet. outcome NULL: a change made, always
//  logged at level (two rounds in a row may each change the count)
static void
s_report (s_service_t *service, zc_log_level_t level, const char *outcome, const char *line)
{
    bool repeat = outcome && strcmp (service->last, outcome) == 0;
    zc_log (repeat ? ZC_LOG_DEBUG : level, "%s", line);
    if (!outcome)
        outcome = "changed";
    snprintf (service->last, sizeof service->last, "%s", outcome);
}

static void
s_decide (autoscaler_t *self, s_service_t *service)
{
    const char *name = service->map.name;
    const char *swarm = service->map.swarm;
    char line [1024], outcome [160];
    const autoscaler_entry_t *entry = autoscaler_signal_find (&self->signal, name);
    if (!entry) {
        snprintf (line, sizeof line, "%s: not in the sidecar's answer: %s left alone", name, swarm);
        s_report (service, ZC_LOG_WARN, "missing", line);
        return;
    }
    if (!entry->valid) {
        snprintf (line, sizeof line, "%s: the sidecar's entry is unusable (%s): %s left alone",
                  name, entry->why, swarm);
        snprintf (outcome, sizeof outcome, "invalid %s", entry->why);
        s_report (service, ZC_LOG_WARN, outcome, line);
        return;
    }
    char inputs [300];
    autoscaler_describe (entry, inputs, sizeof inputs);
    if (entry->no_signal) {
        snprintf (line, sizeof line, "%s: %s: the sidecar has no signal (no work dispatcher "
                  "reports), %s left alone", name, inputs, swarm);
        s_report (service, ZC_LOG_WARN, "no signal", line);
        return;
    }
    if (entry->desired < entry->min || entry->desired > entry->max) {
        snprintf (line, sizeof line, "%s: %s: outside its bounds, %s left alone", name, inputs,
                  swarm);
        s_report (service, ZC_LOG_WARN, "out of bounds", line);
        return;
    }
    char why [512];
    engine_service_t current;
    if (engine_service_read (self->engine, swarm, &current, why, sizeof why)) {
        snprintf (line, sizeof line, "%s: %s: %s left alone: %s", name, inputs, swarm, why);
        snprintf (outcome, sizeof outcome, "unread %.140s", why);
        s_report (service, ZC_LOG_WARN, outcome, line);
        return;
    }
    int64_t replicas = current.replicas;
    if (!current.replicated) {
        snprintf (line, sizeof line, "%s: %s: %s is not a replicated service, left alone",
                  name, inputs, swarm);
        s_report (service, ZC_LOG_WARN, "not replicated", line);
    }
    else
    if (replicas == entry->desired) {
        snprintf (line, sizeof line, "%s: %s: %s stays at %" PRId64, name, inputs, swarm, replicas);
        snprintf (outcome, sizeof outcome, "stays %" PRId64, replicas);
        s_report (service, ZC_LOG_INFO, outcome, line);
    }
    else
    if (self->cfg->dry_run) {
        snprintf (line, sizeof line, "%s: %s: %s %" PRId64 " -> %" PRId64 " replicas "
                  "(dry run: not applied)", name, inputs, swarm, replicas, entry->desired);
        snprintf (outcome, sizeof outcome, "dry %" PRId64 " %" PRId64, replicas, entry->desired);
        s_report (service, ZC_LOG_INFO, outcome, line);
    }
    else {
        int rc = engine_service_scale (self->engine, &current, entry->desired, why, sizeof why);
        if (rc == 0) {
            snprintf (line, sizeof line, "%s: %s: %s %" PRId64 " -> %" PRId64 " replicas",
                      name, inputs, swarm, replicas, entry->desired);
            s_report (service, ZC_LOG_INFO, NULL, line);
        }
        else
        if (rc == 1) {
            //  someone else changed it between our read and our write:
            //  their version wins, and the next round decides from it
            snprintf (line, sizeof line, "%s: %s: %s changed while we read it (update out of "
                      "sequence): read again next round", name, inputs, swarm);
            s_report (service, ZC_LOG_INFO, "out of sequence", line);
        }
        else {
            snprintf (line, sizeof line, "%s: %s: %s %" PRId64 " -> %" PRId64 " failed: %s",
                      name, inputs, swarm, replicas, entry->desired, why);
            snprintf (outcome, sizeof outcome, "failed %.140s", why);
            s_report (service, ZC_LOG_WARN, outcome, line);
        }
    }
    engine_service_clear (&current);
}

void
autoscaler_tick (autoscaler_t *self)
{
    assert (self);
    char why [800], detail [300];
    bool have = false;
    fetch_reply_t reply;
    if (fetch_request (self->sidecar, "GET", self->url, NULL, &reply, detail, sizeof detail))
        snprintf (why, sizeof why, "no answer from %s: %s", self->url, detail);
    else
    if (reply.status != 200)
        snprintf (why, sizeof why, "%s answered HTTP %ld", self->url, reply.status);
    else
    if (autoscaler_parse_signal (reply.body, reply.size, &self->signal, detail, sizeof detail))
        snprintf (why, sizeof why, "%s: %s", self->url, detail);
    else
        have = true;
    for (size_t i = 0; i < self->count && !*self->stop; i++) {
        s_service_t *service = &self->services [i];
        if (have)
            s_decide (self, service);
        else {
            char line [1024], outcome [160];
            snprintf (line, sizeof line, "%s: %s: %s left alone", service->map.name, why,
                      service->map.swarm);
            snprintf (outcome, sizeof outcome, "no answer %.140s", why);
            s_report (service, ZC_LOG_WARN, outcome, line);
        }
    }
    //  an answer is used in its own round only
    self->signal.count = 0;
}

void
autoscaler_run (autoscaler_t *self)
{
    assert (self);
    int64_t next = zc_mono_ms ();
    while (!*self->stop) {
        int64_t now = zc_mono_ms ();
        if (now >= next) {
            autoscaler_tick (self);
            next = now + self->cfg->interval_ms;
            continue;
        }
        //  short naps: a signal ends poll at once, and the flag is looked
        //  at again at least every 100 ms anyway
        int64_t nap = next - now < 100 ? next - now : 100;
        poll (NULL, 0, (int) nap);
    }
}
