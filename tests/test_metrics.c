/*  test_metrics.c - registry, histogram buckets, snapshot, Prometheus text */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_metrics.h"
#include "zc_zmq.h"

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

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_render_many),
        cmocka_unit_test (test_push_and_limits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
