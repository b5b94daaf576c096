/*  test_node_autoscale.c - zchain up --validators MIN..MAX under load
 *
 *  A real node with one validator and room for four: zchain bench floods
 *  it, the backlog grows, the sidecar's policy asks for more validators
 *  and zchain up starts them; the load ends, and after the (shortened)
 *  window they stop again, handing back what they hold. Every payment
 *  confirms and every balance is exact throughout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "zc_params.h"
#include "zc_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 120000                  //  a bound on every wait, not a timing

static testnode_t *s_node;

typedef struct {
    testnode_t *node;
    const char *args;
    int status;
    volatile bool finished;
    char out [8192];
} s_bench_t;

static void *
s_bench (void *arg)
{
    s_bench_t *b = arg;
    b->status = testnode_cli (b->node, b->out, sizeof b->out, "%s", b->args);
    b->finished = true;
    return NULL;
}

//  Wait until the sidecar's series is at least (or, !up, at most) value;
//  the last value seen
static double
s_wait_metric (testnode_t *node, const char *name, double value, bool up)
{
    double seen = -1;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; zc_mono_ms () < deadline; ) {
        seen = testnode_metric (node, name);
        if (seen >= 0 && (up ? seen >= value : seen <= value))
            return seen;
        usleep (100000);
    }
    return seen;
}

static int
s_running_validators (testnode_t *node)
{
    int running = 0;
    for (int v = 1; v <= 4; v++) {
        char name [32];
        snprintf (name, sizeof name, "validator-%d", v);
        running += testnode_pid (node, name) > 0;
    }
    return running;
}

static void
test_grows_and_shrinks (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (
        NULL, "--block-interval 500 --validators 1..4 --autoscale-window 15 --autoscale-target 2");
    assert_non_null (node);
    const zc_params_t *params = zc_params_get (ZC_NET_REGTEST);
    assert_true (testnode_wait_height (node, params->coinbase_maturity + 3, 300));
    //  at rest: the floor
    assert_true (s_wait_metric (node, "zchain_autoscale_signal", 1, true) == 1);
    assert_int_equal ((int) testnode_metric (node, "zchain_autoscale_desired_replicas"), 1);
    assert_int_equal (s_running_validators (node), 1);

    //  a flood: more validators, while it lasts
    s_bench_t bench = { node, "--json bench --txs 30000 --accounts 50 --verify --timeout 240", -1,
                        false, "" };
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_bench, &bench), 0);
    //  while it runs: the most validators at once, and the work of one
    //  that zchain up started for the load
    double desired = 0, jobs = 0;
    int most = 0;
    while (!bench.finished) {
        double d = testnode_metric (node, "zchain_autoscale_desired_replicas");
        desired = d > desired ? d : desired;
        int running = s_running_validators (node);
        most = running > most ? running : most;
        double j = testnode_metric (node, "zchain_validator_jobs_total{instance=\"validator-2\"}");
        jobs = j > jobs ? j : jobs;
        usleep (100000);
    }
    pthread_join (thread, NULL);
    if (bench.status != 0)
        fail_msg ("bench failed (%d): %s", bench.status, bench.out);
    //  zchain up may start the validators the policy asked for just after
    //  the flood ended (the window keeps them 15 s), and one started late
    //  may have found the queue drained: count them now, and a little more
    //  load while they are still up gives them work
    int now = s_running_validators (node);
    most = now > most ? now : most;
    double d = testnode_metric (node, "zchain_autoscale_desired_replicas");
    desired = d > desired ? d : desired;
    for (int extra = 0; (jobs <= 0 || most < 2 || desired < 2) && extra < 3; extra++) {
        char more [8192];
        assert_int_equal (testnode_cli (node, more, sizeof more,
                                        "--json bench --txs 5000 --accounts 20 --timeout 120"), 0);
        now = s_running_validators (node);
        most = now > most ? now : most;
        d = testnode_metric (node, "zchain_autoscale_desired_replicas");
        desired = d > desired ? d : desired;
        sleep (2);                      //  its snapshot, once a second
        double j = testnode_metric (node, "zchain_validator_jobs_total{instance=\"validator-2\"}");
        jobs = j > jobs ? j : jobs;
    }
    print_message ("under load: desired %.0f validators, %d ran at once, validator-2 did %.0f jobs\n",
                   desired, most, jobs);
    assert_true (desired >= 2);
    assert_true (most >= 2);
    assert_true (jobs > 0);
    assert_non_null (strstr (bench.out, "\"verified\":true"));
    assert_non_null (strstr (bench.out, "\"confirmed\":30000"));

    //  the load is over: after the window, back to one
    assert_true (s_wait_metric (node, "zchain_autoscale_desired_replicas", 1, false) == 1);
    for (int64_t deadline = zc_mono_ms () + WAIT_MS;
         s_running_validators (node) > 1 && zc_mono_ms () < deadline; )
        usleep (100000);
    assert_int_equal (s_running_validators (node), 1);
    assert_true (testnode_pid (node, "validator-1") > 0);

    //  and the one that is left carries on: nothing was lost on the way down
    char out [8192];
    assert_int_equal (testnode_cli (node, out, sizeof out,
                                    "--json bench --txs 2000 --accounts 20 --verify --timeout 120 "
                                    "--metrics http://127.0.0.1:%d", node->metrics_port), 0);
    assert_non_null (strstr (out, "\"verified\":true"));
    //  and what the node spent on them, from its sidecar: every transaction
    //  needs one verification, so no honest figure is below 1
    const char *cpu = strstr (out, "\"per_tx_verifications\":");
    assert_non_null (cpu);
    assert_true (atof (cpu + strlen ("\"per_tx_verifications\":")) >= 1.0);
    assert_non_null (strstr (out, "\"validator\":"));
    print_message ("after scaling down: %s\n", out);
}

//  The range is checked before anything starts
static void
test_bad_ranges (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (NULL, "--validators 1");
    assert_non_null (node);
    const char *bad [] = { "0", "4..2", "0..3", "1..17", "1..", "x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        int status = testnode_cli (node, NULL, 0, "up --validators %s", bad [i]);
        if (status != 2)
            fail_msg ("--validators %s: exit %d, not 2 (a usage error)", bad [i], status);
    }
}

static int
s_stop_node (void **state)
{
    (void) state;
    testnode_stop (&s_node, false);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_grows_and_shrinks, s_stop_node),
        cmocka_unit_test_teardown (test_bad_ranges, s_stop_node),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
