/*  history.c - the recent samples of one instance, for the sidecar's dashboard */
#include "history.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DROPS "zchain_zmq_send_drops_total", "zchain_hwm_drops_total", "zchain_p2p_dropped_total", \
              "zchain_gateway_client_dropped_total"

const history_field_t history_fields [] = {
    { "verify_rate", "1/s", "transactions verified per second (ok and rejected)", HISTORY_RATE,
      { "zchain_validator_verifications_total" }, NULL, 0 },
    { "hashrate", "H/s", "hashes per second a miner tries", HISTORY_GAUGE,
      { "zchain_miner_hashrate" }, NULL, 0 },
    { "work_backlog", "jobs", "verification jobs waiting and in flight at a work pool", HISTORY_GAUGE,
      { "zchain_work_queue_depth", "zchain_work_in_flight" }, NULL, 0 },
    { "work_workers", "validators", "validators connected to a work pool", HISTORY_GAUGE,
      { "zchain_work_workers" }, NULL, 0 },
    { "accepted_rate", "tx/s", "transactions the mempool accepted per second", HISTORY_RATE,
      { "zchain_txs_accepted_total" }, NULL, 0 },
    { "confirmed_rate", "tx/s", "transactions leaving the mempool confirmed in a block, per second",
      HISTORY_RATE, { "zchain_mempool_removed_total" }, "reason=confirmed", 0 },
    { "mempool_txs", "txs", "transactions in the mempool", HISTORY_GAUGE,
      { "zchain_mempool_txs" }, NULL, 0 },
    { "accept_p50", "s", "median time from a batch's arrival at the mempool to its answer",
      HISTORY_QUANTILE, { "zchain_tx_accept_seconds" }, NULL, 0.5 },
    { "accept_p99", "s", "99th percentile of the mempool's acceptance time", HISTORY_QUANTILE,
      { "zchain_tx_accept_seconds" }, NULL, 0.99 },
    { "validate_p50", "s", "median time storage takes to validate a block", HISTORY_QUANTILE,
      { "zchain_block_validation_seconds" }, NULL, 0.5 },
    { "validate_p99", "s", "99th percentile of storage's block validation time", HISTORY_QUANTILE,
      { "zchain_block_validation_seconds" }, NULL, 0.99 },
    { "job_p50", "s", "median time a validator takes for one job", HISTORY_QUANTILE,
      { "zchain_validator_job_seconds" }, NULL, 0.5 },
    { "job_p99", "s", "99th percentile of a validator's time for one job", HISTORY_QUANTILE,
      { "zchain_validator_job_seconds" }, NULL, 0.99 },
    { "peers_connecting", "peers", "peers being connected to", HISTORY_GAUGE,
      { "zchain_p2p_peers" }, "state=connecting", 0 },
    { "peers_handshaking", "peers", "peers in the handshake", HISTORY_GAUGE,
      { "zchain_p2p_peers" }, "state=handshaking", 0 },
    { "peers_established", "peers", "peers past the handshake", HISTORY_GAUGE,
      { "zchain_p2p_peers" }, "state=established", 0 },
    { "peers_suspect", "peers", "peers that missed heartbeats", HISTORY_GAUGE,
      { "zchain_p2p_peers" }, "state=suspect", 0 },
    { "peers_disconnected", "peers", "peers waiting to be reconnected", HISTORY_GAUGE,
      { "zchain_p2p_peers" }, "state=disconnected", 0 },
    { "peers_banned", "peers", "peers banned", HISTORY_GAUGE,
      { "zchain_p2p_peers" }, "state=banned", 0 },
    { "drop_rate", "1/s", "messages dropped per second: queues at their limit, peers gone, "
      "slow clients", HISTORY_RATE, { DROPS }, NULL, 0 },
    { "busy_rate", "1/s", "requests refused busy per second", HISTORY_RATE,
      { "zchain_busy_total" }, NULL, 0 },
    { "cpu", "cores", "CPU time per second of wall time", HISTORY_RATE,
      { "zchain_process_cpu_seconds_total" }, NULL, 0 },
    { "rss", "bytes", "resident memory", HISTORY_GAUGE,
      { "zchain_process_resident_bytes" }, NULL, 0 },
    { "height", "blocks", "height of the best chain", HISTORY_GAUGE,
      { "zchain_chain_height" }, NULL, 0 },
};

#define FIELDS (sizeof history_fields / sizeof history_fields [0])
#define BUCKETS (16 + 1)                //  ZC_HISTO_MAX bounds, then +Inf

typedef struct {
    uint64_t seq;
    int64_t t_ms;
    float value [FIELDS];               //  floats: the ring is most of the sidecar's memory
} s_sample_t;

//  A histogram's bucket counts (per bucket, as a snapshot has them) at the
//  last HISTORY_WINDOW + 1 snapshots, for the delta over the window
typedef struct {
    int n_bounds;                       //  0: none seen yet
    double bounds [BUCKETS];
    uint64_t counts [HISTORY_WINDOW + 1][BUCKETS];
    size_t head;                        //  the newest
    size_t size;
} s_window_t;

struct _history_t {
    s_sample_t *ring;
    size_t capacity;
    size_t head;                        //  the next to write
    size_t size;
    bool carried [FIELDS];              //  the snapshots have had the field's metric
    double last_raw [FIELDS];           //  rates: the counter at the previous snapshot
    int64_t last_ms [FIELDS];           //  and its time; 0: none
    s_window_t *window [FIELDS];        //  quantile fields', made on the first histogram
};

size_t
history_field_count (void)
{
    return FIELDS;
}

history_t *
history_new (size_t capacity)
{
    if (capacity < 1 || capacity > HISTORY_MAX_CAPACITY)
        return NULL;
    history_t *self = calloc (1, sizeof *self);
    if (self)
        self->ring = calloc (capacity, sizeof *self->ring);
    if (!self || !self->ring) {
        free (self);
        return NULL;
    }
    self->capacity = capacity;
    return self;
}

void
history_destroy (history_t **self_p)
{
    if (self_p && *self_p) {
        for (size_t k = 0; k < FIELDS; k++)
            free ((*self_p)->window [k]);
        free ((*self_p)->ring);
        free (*self_p);
        *self_p = NULL;
    }
}

//  Does metric m belong to field f: one of its names, and its label?
static bool
s_matches (const history_field_t *f, const Zc__Metric *m)
{
    if (!m->name)
        return false;
    bool named = false;
    for (int i = 0; i < 5 && f->metrics [i] && !named; i++)
        named = !strcmp (m->name, f->metrics [i]);
    if (!named || !f->label)
        return named;
    const char *eq = strchr (f->label, '=');
    size_t len = (size_t) (eq - f->label);
    for (size_t l = 0; l < m->n_labels; l++) {
        const Zc__Label *label = m->labels [l];
        if (label->name && label->value && strlen (label->name) == len
        &&  !strncmp (label->name, f->label, len) && !strcmp (label->value, eq + 1))
            return true;
    }
    return false;
}

//  The sum of the field's series in snap; false when it has none
static bool
s_sum (const history_field_t *f, const Zc__Snapshot *snap, double *sum_p)
{
    bool found = false;
    double sum = 0;
    for (size_t i = 0; i < snap->n_metrics; i++) {
        const Zc__Metric *m = snap->metrics [i];
        if (m->type != ZC__METRIC_TYPE__HISTOGRAM && s_matches (f, m) && isfinite (m->value)) {
            sum += m->value;
            found = true;
        }
    }
    *sum_p = sum;
    return found;
}

static double
s_rate (history_t *self, size_t k, const Zc__Snapshot *snap)
{
    double raw;
    if (!s_sum (&history_fields [k], snap, &raw))
        return NAN;
    self->carried [k] = true;
    double rate = NAN;
    int64_t t_ms = (int64_t) snap->time_ms;
    int64_t dt = t_ms - self->last_ms [k];
    //  a counter that went back is a restarted process; a gap of a minute
    //  or a clock that went back says nothing about this second
    if (self->last_ms [k] && dt > 0 && dt <= 60000 && raw >= self->last_raw [k])
        rate = (raw - self->last_raw [k]) * 1000.0 / (double) dt;
    self->last_raw [k] = raw;
    self->last_ms [k] = t_ms;
    return rate;
}

//  The q quantile of the observations between two snapshots' bucket counts
static double
s_quantile (const s_window_t *w, const uint64_t *old, const uint64_t *now, double q)
{
    uint64_t total = 0;
    for (int b = 0; b <= w->n_bounds; b++)
        total += now [b] - old [b];
    if (total == 0)
        return NAN;
    double rank = q * (double) total, below = 0;
    for (int b = 0; b <= w->n_bounds; b++) {
        double in = (double) (now [b] - old [b]);
        if (in > 0 && below + in >= rank) {
            if (b == w->n_bounds)       //  past the last bound: that bound is all we know
                return w->bounds [w->n_bounds - 1];
            double lo = b ? w->bounds [b - 1] : 0, hi = w->bounds [b];
            return lo + (hi - lo) * (rank - below) / in;
        }
        below += in;
    }
    return w->bounds [w->n_bounds - 1];
}

static double
s_histogram (history_t *self, size_t k, const Zc__Snapshot *snap)
{
    const history_field_t *f = &history_fields [k];
    const Zc__Metric *m = NULL;
    for (size_t i = 0; i < snap->n_metrics && !m; i++)
        if (snap->metrics [i]->type == ZC__METRIC_TYPE__HISTOGRAM && s_matches (f, snap->metrics [i]))
            m = snap->metrics [i];
    if (!m || m->n_bounds < 1 || m->n_bounds >= BUCKETS || m->n_buckets != m->n_bounds + 1)
        return NAN;
    if (!self->window [k] && !(self->window [k] = calloc (1, sizeof (s_window_t))))
        return NAN;                     //  out of memory: no quantile, nothing else lost
    self->carried [k] = true;
    s_window_t *w = self->window [k];
    uint64_t counts [BUCKETS] = { 0 };
    memcpy (counts, m->buckets, m->n_buckets * sizeof (uint64_t));
    //  a new layout of bounds, or a count that went back (a restart):
    //  start the window again from this snapshot
    bool restart = w->n_bounds != (int) m->n_bounds
                || memcmp (w->bounds, m->bounds, m->n_bounds * sizeof (double));
    for (size_t b = 0; b < m->n_buckets && !restart && w->size; b++)
        restart = counts [b] < w->counts [w->head][b];
    if (restart) {
        w->n_bounds = (int) m->n_bounds;
        memcpy (w->bounds, m->bounds, m->n_bounds * sizeof (double));
        w->size = 0;
    }
    //  each bucket's count only grows: the window's delta of a bucket is
    //  the observations it took in the window
    w->head = w->size ? (w->head + 1) % (HISTORY_WINDOW + 1) : 0;
    memcpy (w->counts [w->head], counts, sizeof counts);
    if (w->size < HISTORY_WINDOW + 1)
        w->size++;
    if (w->size < 2)
        return NAN;
    size_t oldest = (w->head + HISTORY_WINDOW + 2 - w->size) % (HISTORY_WINDOW + 1);
    return s_quantile (w, w->counts [oldest], w->counts [w->head], f->q);
}

void
history_add (history_t *self, const Zc__Snapshot *snap, int64_t now_ms, uint64_t seq)
{
    s_sample_t *s = &self->ring [self->head];
    s->seq = seq;
    s->t_ms = now_ms;
    for (size_t k = 0; k < FIELDS; k++) {
        double v = NAN;
        switch (history_fields [k].kind) {
            case HISTORY_GAUGE:
                if (s_sum (&history_fields [k], snap, &v))
                    self->carried [k] = true;
                else
                    v = NAN;
                break;
            case HISTORY_RATE:
                v = s_rate (self, k, snap);
                break;
            case HISTORY_QUANTILE:
                v = s_histogram (self, k, snap);
                break;
        }
        s->value [k] = (float) v;
    }
    self->head = (self->head + 1) % self->capacity;
    if (self->size < self->capacity)
        self->size++;
}

size_t
history_size (history_t *self)
{
    return self->size;
}

//  The i-th kept sample, oldest first
static s_sample_t *
s_at (history_t *self, size_t i)
{
    return &self->ring [(self->head + self->capacity - self->size + i) % self->capacity];
}

uint64_t
history_last_seq (history_t *self)
{
    return self->size ? s_at (self, self->size - 1)->seq : 0;
}

double
history_latest (history_t *self, size_t field)
{
    if (!self->size || field >= FIELDS)
        return NAN;
    return s_at (self, self->size - 1)->value [field];
}

//  The samples above since are the newest ones: count back from the end
static size_t
s_count_since (history_t *self, uint64_t since, size_t limit)
{
    size_t n = 0;
    while (n < self->size && n < limit && s_at (self, self->size - 1 - n)->seq > since)
        n++;
    return n;
}

size_t
history_count_since (history_t *self, uint64_t since)
{
    return s_count_since (self, since, self->size);
}

size_t
history_render_json (history_t *self, uint64_t since, size_t limit, zc_text_t *t)
{
    size_t n = s_count_since (self, since, limit);
    size_t first = self->size - n;
    zc_text_printf (t, "\"t\":[");
    for (size_t i = 0; i < n; i++)
        zc_text_printf (t, "%s%lld", i ? "," : "", (long long) s_at (self, first + i)->t_ms);
    zc_text_printf (t, "],\"series\":{");
    int written = 0;
    for (size_t k = 0; k < FIELDS; k++) {
        if (!self->carried [k])
            continue;
        zc_text_printf (t, "%s\"%s\":[", written++ ? "," : "", history_fields [k].name);
        for (size_t i = 0; i < n; i++) {
            float v = s_at (self, first + i)->value [k];
            if (isfinite (v))
                zc_text_printf (t, "%s%.7g", i ? "," : "", (double) v);
            else
                zc_text_printf (t, "%snull", i ? "," : "");
        }
        zc_text_printf (t, "]");
    }
    zc_text_printf (t, "}");
    return n;
}
