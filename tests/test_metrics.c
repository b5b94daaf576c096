/*  test_metrics.c - registry, histogram buckets, snapshot, Prometheus text;
 *  the sidecar's per-instance history (rates, quantiles, its ring)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "history.h"
#include "zc_metrics.h"
#include "zc_zmq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

//  Usage: register, update, snapshot, render
static void
test_usage (void **state)
{
    (void) state;
    zc_metrics_t *metrics = zc_metrics_new ("mempool", "mempool-1");
    zc_metric_t *accepted = zc_metrics_counter (metrics, "zchain_txs_accepted_total",
                                                "transactions accepted", NULL, NULL);
    zc_metric_t *bad_sig = zc_metrics_counter (metrics, "zchain_txs_rejected_total",
                                               "transactions rejected", "reason", "bad_sig");
    zc_metric_t *size = zc_metrics_gauge (metrics, "zchain_mempool_txs", "pool size", NULL, NULL);
    const double bounds [] = { 0.001, 0.01 };
    zc_metric_t *latency = zc_metrics_histogram (metrics, "zchain_accept_seconds",
                                                 "time to accept", bounds, 2);
    zc_metric_inc (accepted, 3);
    zc_metric_inc (bad_sig, 1);
    zc_metric_set (size, 12);
    zc_metric_observe (latency, 0.0005);
    zc_metric_observe (latency, 0.005);
    zc_metric_observe (latency, 0.005);
    zc_metric_observe (latency, 5);
    assert_int_equal (latency->buckets [0], 1);
    assert_int_equal (latency->buckets [1], 2);
    assert_int_equal (latency->buckets [2], 1);
    //  registering again finds the same handle
    assert_ptr_equal (zc_metrics_counter (metrics, "zchain_txs_rejected_total", "x", "reason",
                                          "bad_sig"), bad_sig);
    zc_metric_inc (NULL, 1);            //  harmless

    size_t packed_size;
    uint8_t *packed = zc_metrics_pack (metrics, &packed_size);
    zc_env_t env;
    assert_int_equal (zc_env_decode (packed, packed_size, &env), ZC_OK);
    Zc__Snapshot *snap = zc__snapshot__unpack (NULL, env.body_size, env.body);
    assert_non_null (snap);
    assert_string_equal (snap->instance, "mempool-1");
    assert_int_equal (snap->n_metrics, 4);

    size_t text_size;
    char *text = zc_metrics_render (&snap, 1, &text_size);
    assert_non_null (strstr (text, "# TYPE zchain_txs_accepted_total counter\n"
                                   "zchain_txs_accepted_total{service=\"mempool\",instance=\"mempool-1\"} 3\n"));
    assert_non_null (strstr (text, "zchain_txs_rejected_total{service=\"mempool\",instance=\"mempool-1\",reason=\"bad_sig\"} 1\n"));
    assert_non_null (strstr (text, "zchain_accept_seconds_bucket{service=\"mempool\",instance=\"mempool-1\",le=\"0.01\"} 3\n"));
    assert_non_null (strstr (text, "zchain_accept_seconds_bucket{service=\"mempool\",instance=\"mempool-1\",le=\"+Inf\"} 4\n"));
    assert_non_null (strstr (text, "zchain_accept_seconds_count{service=\"mempool\",instance=\"mempool-1\"} 4\n"));
    free (text);
    zc__snapshot__free_unpacked (snap, NULL);
    free (packed);
    zc_metrics_destroy (&metrics);
}

//  Two instances: one HELP/TYPE block, two series; hostile label values
//  are escaped
static void
test_render_many (void **state)
{
    (void) state;
    zc_metrics_t *a = zc_metrics_new ("validator", "v\"1");
    zc_metrics_t *b = zc_metrics_new ("validator", "v2");
    zc_metric_inc (zc_metrics_counter (a, "zchain_verified_total", "verified", NULL, NULL), 5);
    zc_metric_inc (zc_metrics_counter (b, "zchain_verified_total", "verified", NULL, NULL), 7);
    Zc__Snapshot *snaps [2];
    zc_metrics_t *regs [2] = { a, b };
    for (int i = 0; i < 2; i++) {
        size_t size;
        uint8_t *packed = zc_metrics_pack (regs [i], &size);
        zc_env_t env;
        zc_env_decode (packed, size, &env);
        snaps [i] = zc__snapshot__unpack (NULL, env.body_size, env.body);
        free (packed);
    }
    size_t size;
    char *text = zc_metrics_render (snaps, 2, &size);
    char *first = strstr (text, "# TYPE zchain_verified_total");
    assert_non_null (first);
    assert_null (strstr (first + 1, "# TYPE zchain_verified_total"));
    assert_non_null (strstr (text, "instance=\"v\\\"1\"} 5\n"));
    assert_non_null (strstr (text, "instance=\"v2\"} 7\n"));
    free (text);
    for (int i = 0; i < 2; i++)
        zc__snapshot__free_unpacked (snaps [i], NULL);
    zc_metrics_destroy (&a);
    zc_metrics_destroy (&b);
}

static void
test_push_and_limits (void **state)
{
    (void) state;
    char err [256];
    zsock_t *pull = zc_zmq_open (ZMQ_PULL, "inproc://metrics", true, 100, err, sizeof err);
    zsock_t *push = zc_zmq_open (ZMQ_PUSH, "inproc://metrics", false, 100, err, sizeof err);
    zc_metrics_t *m = zc_metrics_new ("storage", "storage-1");
    zc_metrics_sample_process (m);
    assert_int_equal (zc_metrics_push (m, push), 0);
    zc_frames_t frames;
    assert_int_equal (zc_frames_recv (pull, &frames, 0), 0);
    zc_env_t env;
    assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
    assert_int_equal (env.type, 100);
    zc_frames_close (&frames);
    //  the registry is bounded
    char name [64];
    for (int i = 0; i < ZC_METRICS_MAX + 10; i++) {
        snprintf (name, sizeof name, "zchain_m%d", i);
        zc_metric_t *metric = zc_metrics_counter (m, name, "h", NULL, NULL);
        if (i >= ZC_METRICS_MAX - 2)    //  two taken by the process metrics
            assert_null (metric);
    }
    zc_metrics_destroy (&m);
    zsock_destroy (&push);
    zsock_destroy (&pull);
}


//  The registry's snapshot as the sidecar receives it, sent at time_ms
static Zc__Snapshot *
s_snapshot (zc_metrics_t *m, uint64_t time_ms)
{
    size_t size;
    uint8_t *packed = zc_metrics_pack (m, &size);
    zc_env_t env;
    assert_int_equal (zc_env_decode (packed, size, &env), ZC_OK);
    Zc__Snapshot *snap = zc__snapshot__unpack (NULL, env.body_size, env.body);
    assert_non_null (snap);
    snap->time_ms = time_ms;
    free (packed);
    return snap;
}

static void
s_add (history_t *h, zc_metrics_t *m, uint64_t time_ms, int64_t now_ms, uint64_t seq)
{
    Zc__Snapshot *snap = s_snapshot (m, time_ms);
    history_add (h, snap, now_ms, seq);
    zc__snapshot__free_unpacked (snap, NULL);
}

static size_t
s_field (const char *name)
{
    for (size_t k = 0; k < history_field_count (); k++)
        if (!strcmp (history_fields [k].name, name))
            return k;
    fail_msg ("no field %s", name);
    return 0;
}

static char *
s_render (history_t *h, uint64_t since, size_t limit)
{
    zc_text_t t;
    zc_text_init (&t);
    history_render_json (h, since, limit, &t);
    return zc_text_take (&t, NULL);
}

//  Usage: a validator's snapshots become samples; counters become rates
//  by the sender's clock, summed over their labels; a field the instance
//  never reports is left out, a value it cannot give yet is null
static void
test_history_rates (void **state)
{
    (void) state;
    history_t *h = history_new (600);
    assert_non_null (h);
    zc_metrics_t *m = zc_metrics_new ("validator", "validator-1");
    zc_metric_t *ok = zc_metrics_counter (m, "zchain_validator_verifications_total", "v", "result", "ok");
    zc_metric_t *bad = zc_metrics_counter (m, "zchain_validator_verifications_total", "v", "result",
                                           "rejected");
    zc_metric_t *rss = zc_metrics_gauge (m, "zchain_process_resident_bytes", "r", NULL, NULL);
    zc_metric_set (rss, 1000);
    s_add (h, m, 5000, 100, 1);
    zc_metric_inc (ok, 100);
    zc_metric_inc (bad, 20);
    s_add (h, m, 6000, 200, 2);
    zc_metric_inc (ok, 100);
    s_add (h, m, 6500, 300, 3);         //  100 in half a second
    zc_metric_set (ok, 10);             //  a restarted validator: no rate, not a negative one
    s_add (h, m, 7500, 400, 4);
    zc_metric_inc (ok, 5);
    s_add (h, m, 8500, 500, 5);
    zc_metric_inc (ok, 5);
    s_add (h, m, 98500, 600, 6);        //  after a gap of 90 s: unknown
    assert_int_equal (history_size (h), 6);
    assert_int_equal (history_last_seq (h), 6);
    char *json = s_render (h, 0, 600);
    assert_string_equal (json, "\"t\":[100,200,300,400,500,600],\"series\":{"
                               "\"verify_rate\":[null,120,200,null,5,null],"
                               "\"rss\":[1000,1000,1000,1000,1000,1000]}");
    free (json);
    assert_true (isnan (history_latest (h, s_field ("verify_rate"))));
    assert_true (isnan (history_latest (h, s_field ("hashrate"))));
    assert_float_equal (history_latest (h, s_field ("rss")), 1000, 0);
    zc_metrics_destroy (&m);
    history_destroy (&h);
    history_destroy (&h);               //  safe twice
}

//  Quantiles come from the buckets' deltas over the last HISTORY_WINDOW
//  snapshots: older observations leave the window
static void
test_history_quantiles (void **state)
{
    (void) state;
    history_t *h = history_new (100);
    zc_metrics_t *m = zc_metrics_new ("mempool", "mempool");
    const double bounds [] = { 0.001, 0.01, 0.1 };
    zc_metric_t *latency = zc_metrics_histogram (m, "zchain_tx_accept_seconds", "a", bounds, 3);
    for (int i = 0; i < 50; i++)        //  observations before the history began: not counted
        zc_metric_observe (latency, 0.05);
    uint64_t seq = 0;
    s_add (h, m, 1000, 1000, ++seq);
    assert_true (isnan (history_latest (h, s_field ("accept_p50"))));
    for (int i = 0; i < 40; i++)
        zc_metric_observe (latency, 0.0005);
    for (int i = 0; i < 40; i++)
        zc_metric_observe (latency, 0.005);
    for (int i = 0; i < 20; i++)
        zc_metric_observe (latency, 30);
    s_add (h, m, 2000, 2000, ++seq);
    //  rank 50 of 100: 10 into the 40 of (0.001, 0.01]
    assert_float_equal (history_latest (h, s_field ("accept_p50")), 0.001 + 0.009 * 10 / 40, 1e-7);
    //  rank 99: past the last bound, which is all a histogram knows
    assert_float_equal (history_latest (h, s_field ("accept_p99")), 0.1, 1e-7);
    //  quiet snapshots: the window still holds the 100, then it slides past
    for (int i = 0; i < HISTORY_WINDOW - 1; i++)
        s_add (h, m, 3000 + 1000 * (uint64_t) i, 3000, ++seq);
    assert_float_equal (history_latest (h, s_field ("accept_p50")), 0.001 + 0.009 * 10 / 40, 1e-7);
    s_add (h, m, 20000, 20000, ++seq);
    assert_true (isnan (history_latest (h, s_field ("accept_p50"))));
    for (int i = 0; i < 10; i++)
        zc_metric_observe (latency, 0.05);
    s_add (h, m, 21000, 21000, ++seq);
    assert_float_equal (history_latest (h, s_field ("accept_p50")), 0.01 + 0.09 * 5 / 10, 1e-7);
    //  a counter that went back (a restart) starts the window again
    latency->buckets [2] = 0;
    s_add (h, m, 22000, 22000, ++seq);
    assert_true (isnan (history_latest (h, s_field ("accept_p50"))));
    zc_metrics_destroy (&m);
    history_destroy (&h);
}

//  The ring keeps the newest capacity samples; since and limit choose the
//  newest of them; gauges with a label pick their series
static void
test_history_ring (void **state)
{
    (void) state;
    assert_null (history_new (0));
    assert_null (history_new (HISTORY_MAX_CAPACITY + 1));
    history_t *h = history_new (10);
    zc_metrics_t *m = zc_metrics_new ("gateway", "gateway");
    zc_metric_t *est = zc_metrics_gauge (m, "zchain_p2p_peers", "p", "state", "established");
    zc_metric_t *ban = zc_metrics_gauge (m, "zchain_p2p_peers", "p", "state", "banned");
    for (uint64_t seq = 1; seq <= 25; seq++) {
        zc_metric_set (est, (double) seq);
        zc_metric_set (ban, 1);
        s_add (h, m, 1000 * seq, (int64_t) seq, seq);
    }
    assert_int_equal (history_size (h), 10);
    assert_int_equal (history_count_since (h, 0), 10);
    assert_int_equal (history_count_since (h, 20), 5);
    assert_int_equal (history_count_since (h, 25), 0);
    char *json = s_render (h, 0, 600);
    assert_non_null (strstr (json, "\"t\":[16,17,18,19,20,21,22,23,24,25]"));
    assert_non_null (strstr (json, "\"peers_established\":[16,17,18,19,20,21,22,23,24,25]"));
    assert_non_null (strstr (json, "\"peers_banned\":[1,1,1,1,1,1,1,1,1,1]"));
    assert_null (strstr (json, "peers_connecting"));    //  never reported: not listed
    free (json);
    json = s_render (h, 20, 3);
    assert_string_equal (json, "\"t\":[23,24,25],\"series\":{\"peers_established\":[23,24,25],"
                               "\"peers_banned\":[1,1,1]}");
    free (json);
    json = s_render (h, 25, 600);
    assert_string_equal (json, "\"t\":[],\"series\":{\"peers_established\":[],\"peers_banned\":[]}");
    free (json);
    zc_metrics_destroy (&m);
    history_destroy (&h);
}

//  What a hostile or broken sender may put in a snapshot changes nothing
//  but its own sample: bucket arrays that disagree with the bounds,
//  values that are not finite, metrics without names
static void
test_history_hostile (void **state)
{
    (void) state;
    history_t *h = history_new (10);
    zc_metrics_t *m = zc_metrics_new ("storage", "storage");
    const double bounds [] = { 0.001, 0.01 };
    zc_metric_observe (zc_metrics_histogram (m, "zchain_block_validation_seconds", "b", bounds, 2), 0.002);
    zc_metric_set (zc_metrics_gauge (m, "zchain_chain_height", "h", NULL, NULL), 7);
    zc_metric_set (zc_metrics_gauge (m, "zchain_work_workers", "w", NULL, NULL), INFINITY);
    Zc__Snapshot *snap = s_snapshot (m, 1000);
    for (size_t i = 0; i < snap->n_metrics; i++)
        if (snap->metrics [i]->type == ZC__METRIC_TYPE__HISTOGRAM)
            snap->metrics [i]->n_buckets = 1;       //  fewer buckets than bounds + 1
    history_add (h, snap, 1, 1);
    history_add (h, snap, 2, 2);
    zc__snapshot__free_unpacked (snap, NULL);
    assert_true (isnan (history_latest (h, s_field ("validate_p50"))));
    assert_true (isnan (history_latest (h, s_field ("work_workers"))));
    assert_float_equal (history_latest (h, s_field ("height")), 7, 0);
    char *json = s_render (h, 0, 10);
    assert_null (strstr (json, "validate_p50"));
    assert_null (strstr (json, "inf"));
    free (json);
    assert_true (isnan (history_latest (h, history_field_count ())));
    zc_metrics_destroy (&m);
    history_destroy (&h);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_render_many),
        cmocka_unit_test (test_push_and_limits),
        cmocka_unit_test (test_history_rates),
        cmocka_unit_test (test_history_quantiles),
        cmocka_unit_test (test_history_ring),
        cmocka_unit_test (test_history_hostile),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
