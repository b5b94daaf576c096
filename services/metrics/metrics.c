/*  metrics.c - the sidecar: last snapshot per instance, served over HTTP */
#include "metrics.h"
#include "history.h"
#include "zc_actor.h"
#include "zc_asset.h"
#include "zc_http.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_text.h"
#include "zc_time.h"
#include "zc_zmq.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

//  web/dashboard, compiled in by cmake/embed.cmake
extern const zc_asset_t zc_assets_dashboard [];

//  numbers one /api/samples answer holds at most (about 8 bytes each):
//  past it every instance gets fewer of its newest samples
#define SAMPLES_MAX_VALUES 400000

const zc_option_t metrics_options [] = {
    ZC_SERVICE_OPTIONS ("metrics"),
    { "ingest", "ZC_METRICS_INGEST", ZC_OPT_STRING, "tcp://0.0.0.0:7791",
      "endpoint services push snapshots to (bound)", offsetof (metrics_cfg_t, ingest), 0, 0 },
    { "http", "ZC_METRICS_HTTP", ZC_OPT_STRING, "127.0.0.1:7790",
      "HTTP IPV4:PORT for /metrics, /healthz and /readyz", offsetof (metrics_cfg_t, http), 0, 0 },
    ZC_HTTP_OPTIONS ("ZC_METRICS_HTTP", metrics_cfg_t, http_limits),
    { "stale-ms", "ZC_METRICS_STALE_MS", ZC_OPT_INT, "3500",
      "an instance silent this long is not alive", offsetof (metrics_cfg_t, stale_ms), 100, 3600000 },
    { "max-instances", "ZC_METRICS_MAX_INSTANCES", ZC_OPT_INT, "1000",
      "instances remembered at most", offsetof (metrics_cfg_t, max_instances), 1, 100000 },
    { "history", "ZC_METRICS_HISTORY", ZC_OPT_INT, "600",
      "samples kept per instance for the dashboard, one a snapshot (a second)",
      offsetof (metrics_cfg_t, history), 10, HISTORY_MAX_CAPACITY },
    { "dashboard", "ZC_METRICS_DASHBOARD", ZC_OPT_BOOL, "true",
      "serve the dashboard at / and its samples at /api/samples (false: neither, no samples kept)",
      offsetof (metrics_cfg_t, dashboard), 0, 0 },
    { "autoscale-validators", "ZC_AUTOSCALE_VALIDATORS", ZC_OPT_STRING, "1..8",
      "MIN..MAX validators the scaling policy keeps to", offsetof (metrics_cfg_t, autoscale.validators),
      0, 0 },
    { "autoscale-target", "ZC_AUTOSCALE_TARGET", ZC_OPT_INT, "2",
      "backlog jobs (waiting + in flight) per validator the policy aims at",
      offsetof (metrics_cfg_t, autoscale.target), 1, 100000 },
    { "autoscale-tolerance", "ZC_AUTOSCALE_TOLERANCE", ZC_OPT_INT, "10",
      "percent off target that changes nothing", offsetof (metrics_cfg_t, autoscale.tolerance_pct),
      0, 100 },
    { "autoscale-window", "ZC_AUTOSCALE_WINDOW_S", ZC_OPT_INT, "300",
      "seconds the signal must stay low before validators are stopped",
      offsetof (metrics_cfg_t, autoscale.window_s), 0, 86400 },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

typedef struct {
    Zc__Snapshot *snap;                 //  the last one
    int64_t seen_ms;                    //  monotonic
    history_t *history;                 //  its recent samples; NULL without the dashboard
} s_instance_t;

typedef struct {
    metrics_cfg_t *cfg;
    zsock_t *ingest;
    zc_http_t *server;
    zc_metrics_t *own;                  //  the sidecar's own series (its HTTP server's)
    pthread_mutex_t lock;               //  HTTP threads read what the actor writes
    zhashx_t *instances;                //  "service/instance" -> s_instance_t
    Zc__Snapshot *own_snap;             //  own, as the last snapshot rendered
    autoscale_t *autoscale;
    autoscale_state_t scale;            //  the policy's last answer, for the HTTP threads
    uint64_t received;
    uint64_t malformed;
    uint64_t refused;
    uint64_t unauthorized;              //  a snapshot under another role's name
    uint64_t seq;                       //  the newest sample's number, over all instances
} self_t;

static void
s_instance_free (void **item_p)
{
    s_instance_t *i = *item_p;
    if (i) {
        if (i->snap)
            zc__snapshot__free_unpacked (i->snap, NULL);
        history_destroy (&i->history);
        free (i);
        *item_p = NULL;
    }
}

static void
s_on_ingest (self_t *self)
{
    zc_frames_t frames;
    if (zc_frames_recv (self->ingest, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    Zc__Snapshot *snap = NULL;
    bool valid = zc_frames_envelope (&frames, &env) == ZC_OK && env.type == 100
              && zc_codec_unpack (&zc__snapshot__descriptor, env.body, env.body_size, 256 * 1024,
                                  (ProtobufCMessage **) &snap) == ZC_OK
              && snap->service && *snap->service && snap->instance && *snap->instance
              && strlen (snap->service) < 64 && strlen (snap->instance) < 128
              && snap->n_metrics <= 1000;
    if (valid && !zc_role_speaks_for (zc_frames_sender (&frames, self->cfg->ingest), snap->service)) {
        //  a key speaks only for its own role: a miner cannot pass for storage
        zc_debug ("refused a snapshot of %s/%s sent with another role's key", snap->service,
                  snap->instance);
        self->unauthorized++;
    }
    else
    if (valid) {
        char key [200];
        snprintf (key, sizeof key, "%s/%s", snap->service, snap->instance);
        pthread_mutex_lock (&self->lock);
        s_instance_t *inst = zhashx_lookup (self->instances, key);
        if (!inst && zhashx_size (self->instances) < (size_t) self->cfg->max_instances) {
            inst = calloc (1, sizeof *inst);
            if (inst && self->cfg->dashboard
            &&  !(inst->history = history_new ((size_t) self->cfg->history))) {
                free (inst);
                inst = NULL;
            }
            if (inst) {
                zhashx_insert (self->instances, key, inst);
                zc_info ("new instance %s", key);
            }
        }
        if (inst) {
            if (inst->snap)
                zc__snapshot__free_unpacked (inst->snap, NULL);
            inst->snap = snap;
            inst->seen_ms = zc_mono_ms ();
            if (inst->history)
                history_add (inst->history, snap, zc_now_ms (), ++self->seq);
            snap = NULL;
            self->received++;
        }
        else
            self->refused++;            //  at the limit: a flood of fake instances
        pthread_mutex_unlock (&self->lock);
    }
    else
        self->malformed++;
    if (snap)
        zc__snapshot__free_unpacked (snap, NULL);
    zc_frames_close (&frames);
}

//  Forget instances silent for ten times the stale limit
static void
s_prune (self_t *self)
{
    int64_t now = zc_mono_ms ();
    pthread_mutex_lock (&self->lock);
    zlistx_t *old = zlistx_new ();
    zlistx_set_duplicator (old, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (old, (zlistx_destructor_fn *) zstr_free);
    for (s_instance_t *i = zhashx_first (self->instances); i; i = zhashx_next (self->instances))
        if (now - i->seen_ms > 10 * self->cfg->stale_ms)
            zlistx_add_end (old, (void *) zhashx_cursor (self->instances));
    for (char *key = zlistx_first (old); key; key = zlistx_next (old)) {
        zc_info ("forgetting instance %s", key);
        zhashx_delete (self->instances, key);
    }
    zlistx_destroy (&old);
    pthread_mutex_unlock (&self->lock);
}

//  The HTTP server's counts as a snapshot of our own, so that /metrics
//  renders them in the same families as the gateway's (one HELP and TYPE
//  per name), labelled service="metrics"
static void
s_own_snapshot (self_t *self)
{
    if (!self->own || !self->server)
        return;
    zc_http_stats_t stats;
    zc_http_stats (self->server, &stats);
    zc_metrics_t *m = self->own;
    zc_metric_set (zc_metrics_counter (m, "zchain_http_refused_total",
                                       "HTTP connections refused at a limit", "reason", "per_address"),
                   (double) stats.refused_per_address);
    zc_metric_set (zc_metrics_counter (m, "zchain_http_refused_total",
                                       "HTTP connections refused at a limit", "reason",
                                       "max_connections"),
                   (double) stats.refused_max);
    zc_metric_set (zc_metrics_counter (m, "zchain_http_deadline_closed_total",
                                       "HTTP connections closed without a whole request in time",
                                       NULL, NULL),
                   (double) stats.deadline);
    zc_metric_set (zc_metrics_counter (m, "zchain_http_malformed_total",
                                       "HTTP requests answered 400 for their framing", NULL, NULL),
                   (double) stats.malformed);
    size_t size;
    uint8_t *packed = zc_metrics_pack (m, &size);
    zc_env_t env;
    Zc__Snapshot *snap = NULL;
    if (packed && zc_env_decode (packed, size, &env) == ZC_OK)
        snap = zc__snapshot__unpack (NULL, env.body_size, env.body);
    free (packed);
    if (!snap)
        return;                         //  out of memory: the last one stays
    pthread_mutex_lock (&self->lock);
    Zc__Snapshot *old = self->own_snap;
    self->own_snap = snap;
    pthread_mutex_unlock (&self->lock);
    if (old)
        zc__snapshot__free_unpacked (old, NULL);
}

static enum MHD_Result
s_reply (struct MHD_Connection *c, unsigned status, const char *type, zc_text_t *t)
{
    size_t size;
    char *body = zc_text_take (t, &size);
    if (!body)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer (size, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response (c, status, r);
    MHD_destroy_response (r);
    return rc;
}

//  The snapshots of the instances alive at now, with room for one more;
//  under the lock (they are borrowed). NULL when out of memory.
static Zc__Snapshot **
s_live (self_t *self, int64_t now, size_t *n_p)
{
    size_t n = 0;
    Zc__Snapshot **live = calloc (zhashx_size (self->instances) + 2, sizeof *live);
    for (s_instance_t *i = zhashx_first (self->instances); live && i; i = zhashx_next (self->instances))
        if (now - i->seen_ms <= self->cfg->stale_ms)
            live [n++] = i->snap;
    *n_p = n;
    return live;
}

//  The policy on what is alive now, once a second
static void
s_autoscale (self_t *self)
{
    int64_t now = zc_mono_ms ();
    pthread_mutex_lock (&self->lock);
    size_t n = 0;
    Zc__Snapshot **live = s_live (self, now, &n);
    if (live) {
        autoscale_update (self->autoscale, now, live, n);
        self->scale = *autoscale_state (self->autoscale);
    }
    pthread_mutex_unlock (&self->lock);
    free (live);
}

static enum MHD_Result
s_autoscale_json (self_t *self, struct MHD_Connection *c)
{
    zc_text_t t;
    zc_text_init (&t);
    pthread_mutex_lock (&self->lock);
    autoscale_state_t state = self->scale;
    pthread_mutex_unlock (&self->lock);
    autoscale_render_json (&state, &t);
    return s_reply (c, MHD_HTTP_OK, "application/json", &t);
}

static enum MHD_Result
s_metrics (self_t *self, struct MHD_Connection *c)
{
    int64_t now = zc_mono_ms ();
    zc_text_t t;
    zc_text_init (&t);
    pthread_mutex_lock (&self->lock);
    size_t n = 0;
    Zc__Snapshot **live = s_live (self, now, &n);
    if (live && self->own_snap)
        live [n++] = self->own_snap;
    size_t size = 0;
    char *text = live ? zc_metrics_render (live, n, &size) : NULL;
    //  the sidecar's own series
    zc_text_printf (&t, "%s", text ? text : "");
    zc_text_printf (&t, "# HELP zchain_instance_up 1 when the instance sent a snapshot lately\n"
                        "# TYPE zchain_instance_up gauge\n");
    for (s_instance_t *i = zhashx_first (self->instances); i; i = zhashx_next (self->instances)) {
        zc_text_printf (&t, "zchain_instance_up{service=");
        zc_text_json_string (&t, i->snap->service);
        zc_text_printf (&t, ",instance=");
        zc_text_json_string (&t, i->snap->instance);
        zc_text_printf (&t, "} %d\n", now - i->seen_ms <= self->cfg->stale_ms ? 1 : 0);
    }
    zc_text_printf (&t, "# HELP zchain_metrics_snapshots_total snapshots received\n"
                        "# TYPE zchain_metrics_snapshots_total counter\n"
                        "zchain_metrics_snapshots_total %llu\n"
                        "# HELP zchain_metrics_malformed_total snapshots that did not decode\n"
                        "# TYPE zchain_metrics_malformed_total counter\n"
                        "zchain_metrics_malformed_total %llu\n"
                        "# HELP zchain_metrics_unauthorized_total snapshots refused: a service name "
                        "another role's key sent\n"
                        "# TYPE zchain_metrics_unauthorized_total counter\n"
                        "zchain_metrics_unauthorized_total %llu\n"
                        "# HELP zchain_metrics_ingest_refused_total connections to the ingest "
                        "refused at the CURVE handshake\n"
                        "# TYPE zchain_metrics_ingest_refused_total counter\n"
                        "zchain_metrics_ingest_refused_total %llu\n",
                    (unsigned long long) self->received, (unsigned long long) self->malformed,
                    (unsigned long long) self->unauthorized,
                    (unsigned long long) zc_auth_refused (ZC_SOCK_METRICS_INGEST));
    autoscale_render_text (&self->scale, &t);
    pthread_mutex_unlock (&self->lock);
    free (text);
    free (live);
    return s_reply (c, MHD_HTTP_OK, "text/plain; version=0.0.4", &t);
}

//  /healthz and /readyz list every instance; /readyz answers 503 until one
//  live, ready instance of each needed service reports. With ?instance=PREFIX
//  only instances whose name starts with PREFIX are listed, and both answer
//  503 unless one of them is alive (readyz: and ready): a container's
//  healthcheck for a service that binds no port (validator, miner).
static enum MHD_Result
s_health (self_t *self, struct MHD_Connection *c, bool ready_check)
{
    int64_t now = zc_mono_ms ();
    const char *prefix = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "instance");
    size_t prefix_len = prefix ? strlen (prefix) : 0;
    bool matched = false;
    const char *needed [] = { "storage", "mempool", "validator", "gateway" };
    bool have [4] = { false, false, false, false };
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "{\"instances\":[");
    pthread_mutex_lock (&self->lock);
    int k = 0;
    for (s_instance_t *i = zhashx_first (self->instances); i; i = zhashx_next (self->instances)) {
        bool alive = now - i->seen_ms <= self->cfg->stale_ms;
        if (prefix && strncmp (i->snap->instance, prefix, prefix_len))
            continue;
        if (prefix && alive && (i->snap->ready || !ready_check))
            matched = true;
        zc_text_printf (&t, "%s{\"service\":", k++ ? "," : "");
        zc_text_json_string (&t, i->snap->service);
        zc_text_printf (&t, ",\"instance\":");
        zc_text_json_string (&t, i->snap->instance);
        zc_text_printf (&t, ",\"alive\":%s,\"ready\":%s,\"age_ms\":%lld,\"pid\":%u}",
                        alive ? "true" : "false", i->snap->ready ? "true" : "false",
                        (long long) (now - i->seen_ms), i->snap->pid);
        for (int s = 0; s < 4; s++)
            if (alive && i->snap->ready && !strcmp (i->snap->service, needed [s]))
                have [s] = true;
    }
    pthread_mutex_unlock (&self->lock);
    bool ready = prefix ? matched : have [0] && have [1] && have [2] && have [3];
    zc_text_printf (&t, "],\"ready\":%s,\"missing\":[", ready ? "true" : "false");
    for (int s = 0, m = 0; s < 4; s++)
        if (!prefix && !have [s])
            zc_text_printf (&t, "%s\"%s\"", m++ ? "," : "", needed [s]);
    zc_text_printf (&t, "]}\n");
    bool fail = prefix ? !matched : ready_check && !ready;
    return s_reply (c, fail ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, "application/json", &t);
}

//  A query argument as a number from 0 to max: 0 ok (absent: *value_p
//  untouched), -1 when it is not plain decimal or out of range
static int
s_arg_number (struct MHD_Connection *c, const char *name, uint64_t max, uint64_t *value_p)
{
    const char *text = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, name);
    if (!text)
        return 0;
    if (!*text || strspn (text, "0123456789") != strlen (text) || strlen (text) > 20)
        return -1;
    errno = 0;
    unsigned long long v = strtoull (text, NULL, 10);
    if (errno || v > max)
        return -1;
    *value_p = v;
    return 0;
}

static enum MHD_Result
s_bad_request (struct MHD_Connection *c, const char *reason)
{
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "{\"error\":");
    zc_text_json_string (&t, reason);
    zc_text_printf (&t, "}\n");
    return s_reply (c, MHD_HTTP_BAD_REQUEST, "application/json", &t);
}

static int
s_by_name (const void *a, const void *b)
{
    const s_instance_t *x = *(s_instance_t *const *) a, *y = *(s_instance_t *const *) b;
    int rc = strcmp (x->snap->service, y->snap->service);
    return rc ? rc : strcmp (x->snap->instance, y->snap->instance);
}

//  /api/samples: every instance's samples above since (the newest limit of
//  them), sorted by service and instance; see docs/operations.md
static enum MHD_Result
s_samples (self_t *self, struct MHD_Connection *c)
{
    uint64_t since = 0, limit = (uint64_t) self->cfg->history;
    if (s_arg_number (c, "since", UINT64_MAX, &since))
        return s_bad_request (c, "since: a sample number, 0 or more");
    if (s_arg_number (c, "limit", (uint64_t) self->cfg->history, &limit) || limit == 0)
        return s_bad_request (c, "limit: samples per instance, from 1 to --history");
    const char *service = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "service");
    int64_t now = zc_mono_ms ();
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "{\"fields\":[");
    for (size_t k = 0; k < history_field_count (); k++) {
        const history_field_t *f = &history_fields [k];
        zc_text_printf (&t, "%s{\"name\":\"%s\",\"unit\":\"%s\",\"kind\":\"%s\",\"help\":",
                        k ? "," : "", f->name, f->unit,
                        f->kind == HISTORY_GAUGE ? "gauge" : f->kind == HISTORY_RATE ? "rate" : "quantile");
        zc_text_json_string (&t, f->help);
        zc_text_printf (&t, "}");
    }
    pthread_mutex_lock (&self->lock);
    size_t n = 0;
    s_instance_t **list = calloc (zhashx_size (self->instances) + 1, sizeof *list);
    for (s_instance_t *i = zhashx_first (self->instances); list && i; i = zhashx_next (self->instances))
        if (i->history && (!service || !strcmp (i->snap->service, service)))
            list [n++] = i;
    if (!list) {
        pthread_mutex_unlock (&self->lock);
        zc_text_free (&t);
        return MHD_NO;
    }
    qsort (list, n, sizeof *list, s_by_name);
    //  a bound on the answer whatever the number of instances
    uint64_t per = n ? SAMPLES_MAX_VALUES / (n * (history_field_count () + 1)) : limit;
    if (per < 1)
        per = 1;
    bool truncated = false;
    zc_text_printf (&t, "],\"seq\":%llu,\"now_ms\":%lld,\"interval_ms\":1000,\"history\":%lld,"
                        "\"stale_ms\":%lld,\"instances\":[",
                    (unsigned long long) self->seq, (long long) zc_now_ms (),
                    (long long) self->cfg->history, (long long) self->cfg->stale_ms);
    for (size_t k = 0; k < n; k++) {
        s_instance_t *i = list [k];
        zc_text_printf (&t, "%s{\"service\":", k ? "," : "");
        zc_text_json_string (&t, i->snap->service);
        zc_text_printf (&t, ",\"instance\":");
        zc_text_json_string (&t, i->snap->instance);
        zc_text_printf (&t, ",\"alive\":%s,\"age_ms\":%lld,",
                        now - i->seen_ms <= self->cfg->stale_ms ? "true" : "false",
                        (long long) (now - i->seen_ms));
        size_t written = history_render_json (i->history, since, limit < per ? limit : per, &t);
        //  more were asked for and kept, but the answer had no room
        size_t wanted = history_count_since (i->history, since);
        if (written < wanted && written < limit)
            truncated = true;
        zc_text_printf (&t, "}");
    }
    pthread_mutex_unlock (&self->lock);
    free (list);
    zc_text_printf (&t, "],\"truncated\":%s}\n", truncated ? "true" : "false");
    return s_reply (c, MHD_HTTP_OK, "application/json", &t);
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    (void) upload_data;
    (void) con_cls;
    self_t *self = cls;
    if (*upload_data_size) {
        *upload_data_size = 0;          //  no bodies here: ignore them
        return MHD_YES;
    }
    zc_text_t t;
    if (strcmp (method, "GET") != 0) {
        zc_text_init (&t);
        zc_text_printf (&t, "{\"error\":\"method not allowed\"}\n");
        return s_reply (c, 405, "application/json", &t);
    }
    if (!strcmp (url, "/metrics"))
        return s_metrics (self, c);
    if (!strcmp (url, "/healthz"))
        return s_health (self, c, false);
    if (!strcmp (url, "/readyz"))
        return s_health (self, c, true);
    if (!strcmp (url, "/autoscale"))
        return s_autoscale_json (self, c);
    if (self->cfg->dashboard && !strcmp (url, "/api/samples"))
        return s_samples (self, c);
    const zc_asset_t *asset = self->cfg->dashboard ? zc_asset_find (zc_assets_dashboard, url) : NULL;
    if (asset)
        return zc_asset_send (c, asset);
    zc_text_init (&t);
    zc_text_printf (&t, "{\"error\":\"not found\",\"endpoints\":[\"/metrics\",\"/healthz\",\"/readyz\","
                        "\"/autoscale\"%s]}\n", self->cfg->dashboard ? ",\"/\",\"/api/samples\"" : "");
    return s_reply (c, MHD_HTTP_NOT_FOUND, "application/json", &t);
}

static void
s_on_ingest_ready (zc_actor_t *actor, zsock_t *ingest, void *arg)
{
    (void) actor;
    (void) ingest;
    s_on_ingest (arg);
}

//  Once a second: forget the long silent, our own series, the policy
static void
s_second (zc_actor_t *actor, void *arg)
{
    (void) actor;
    s_prune (arg);
    s_own_snapshot (arg);
    s_autoscale (arg);
}

void
metrics_actor (zsock_t *pipe, void *args)
{
    self_t self_s = { .cfg = args }, *self = &self_s;
    zc_actor_t *actor = zc_actor_new (pipe, self->cfg->common.watchdog);
    if (!actor)
        return;
    pthread_mutex_init (&self->lock, NULL);
    self->instances = zhashx_new ();
    zhashx_set_destructor (self->instances, s_instance_free);
    char err [512] = "";
    self->ingest = zc_zmq_open_auth (ZMQ_PULL, self->cfg->ingest, true, 10000,
                                     self->cfg->common.keyset, ZC_SOCK_METRICS_INGEST, err, sizeof err);
    self->own = zc_metrics_new ("metrics", self->cfg->common.instance);
    if (self->ingest && (self->autoscale = autoscale_new (&self->cfg->autoscale, err, sizeof err)))
        self->scale = *autoscale_state (self->autoscale);
    if (self->ingest && self->autoscale)
        self->server = zc_http_start (self->cfg->http, 1, &self->cfg->http_limits, s_handler, self,
                                      NULL, err, sizeof err);
    bool ok = self->server != NULL;
    if (ok && (zc_actor_add (actor, self->ingest, 256, s_on_ingest_ready, self)
           ||  zc_actor_add_timer (actor, 1000, s_second, self))) {
        snprintf (err, sizeof err, "out of memory");
        ok = false;
    }
    if (!ok)
        zc_error ("%s", err);
    else {
        zc_info ("metrics up: ingest %s, http://%s/metrics%s%s%s", self->cfg->ingest, self->cfg->http,
                 self->cfg->dashboard ? ", dashboard http://" : "",
                 self->cfg->dashboard ? self->cfg->http : "", self->cfg->dashboard ? "/" : "");
        zc_actor_run (actor);
    }
    zc_http_stop (&self->server);
    zsock_destroy (&self->ingest);
    if (self->own_snap)
        zc__snapshot__free_unpacked (self->own_snap, NULL);
    zc_metrics_destroy (&self->own);
    autoscale_destroy (&self->autoscale);
    zhashx_destroy (&self->instances);
    pthread_mutex_destroy (&self->lock);
    zc_actor_destroy (&actor);
}
