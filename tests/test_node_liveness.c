/*  test_node_liveness.c - a service that is alive but answers nothing (here
 *  SIGSTOP, which stops its watchdog too) is replaced by zchain up, and
 *  the chain moves on
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "zc_params.h"
#include "zc_time.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const zc_params_t *s_params;
static testnode_t *s_node;

//  Does up.log hold line?
static bool
s_said (testnode_t *node, const char *line)
{
    char path [256], text [512];
    snprintf (path, sizeof path, "%s/up.log", node->dir);
    FILE *f = fopen (path, "r");
    bool found = false;
    while (f && !found && fgets (text, sizeof text, f))
        found = strstr (text, line) != NULL;
    if (f)
        fclose (f);
    return found;
}

static bool
s_confirmed (testnode_t *node, const char *txid)
{
    char out [8192];
    return testnode_cli (node, out, sizeof out, "--json tx %s", txid) == 0
        && strstr (out, "\"confirmed\":true");
}

//  Storage, the mempool and the gateway in turn: SIGSTOP; zchain up finds
//  it answers no ping, kills it and starts it again; blocks follow, and a
//  payment made afterwards confirms
static void
test_stopped_service_replaced (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (NULL, "--block-interval 200 --validators 2 --liveness 6");
    assert_non_null (node);
    assert_true (testnode_wait_height (node, s_params->coinbase_maturity + 3, 300));
    const char *services [] = { "mempool", "storage", "gateway" };
    for (size_t s = 0; s < sizeof services / sizeof services [0]; s++) {
        int64_t height = testnode_height (node, NULL);
        pid_t pid = testnode_pid (node, services [s]);
        assert_true (pid > 0);
        print_message ("SIGSTOP %s (pid %d) at height %lld\n", services [s], (int) pid, (long long) height);
        assert_int_equal (kill (pid, SIGSTOP), 0);
        pid_t again = 0;
        for (int i = 0; i < 600 && (again == 0 || again == pid); i++) {
            usleep (100000);
            again = testnode_pid (node, services [s]);
        }
        if (again == 0 || again == pid)
            fail_msg ("%s was not replaced within 60 s", services [s]);
        char said [64];
        snprintf (said, sizeof said, "zchain: %s answered no ping", services [s]);
        assert_true (s_said (node, said));
        assert_true (kill (pid, 0) != 0);   //  the stopped one is gone
        assert_true (testnode_wait_height (node, height + 3, 120));
    }
    char to [128], out [512];
    assert_int_equal (testnode_cli (node, to, sizeof to, "--wallet %s/other.key wallet new --keyfile", node->dir), 0);
    to [strcspn (to, "\n")] = 0;
    assert_int_equal (testnode_cli (node, out, sizeof out, "send %s 0.5", to), 0);
    char txid [65];
    snprintf (txid, sizeof txid, "%.64s", out);
    bool ok = false;
    for (int i = 0; i < 300 && !ok; i++) {
        ok = s_confirmed (node, txid);
        if (!ok)
            usleep (200000);
    }
    assert_true (ok);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    return 0;
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
        cmocka_unit_test_teardown (test_stopped_service_replaced, s_stop_node),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
