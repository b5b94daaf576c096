/*  test_propagate.c - zchain propagate: a network of relay-only gateways,
 *  threads of one process over inproc://, carries every block and
 *  transaction to every node, small blocks pushed whole and larger ones
 *  announced and fetched
 *
 *  The figures it prints are not checked (they are for docs/benchmarks.md):
 *  what is checked is that every item reached every node, which fails when
 *  relaying, the pushed-block rule or the known-ids filter is broken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

//  Run "zchain --json propagate ARGS"; its exit status, stdout into out
static int
s_propagate (const char *args, char *out, size_t size)
{
    char cmd [512];
    snprintf (cmd, sizeof cmd, "%s/zchain --json propagate %s", ZC_BIN_DIR, args);
    FILE *pipe = popen (cmd, "r");
    assert_non_null (pipe);
    size_t n = fread (out, 1, size - 1, pipe);
    out [n] = 0;
    int status = pclose (pipe);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  "KIND":{"items":I,"complete":C,...} of the report
static void
s_counts (const char *report, const char *kind, int *items, int *complete)
{
    char key [32];
    snprintf (key, sizeof key, "\"%s\":{", kind);
    const char *at = strstr (report, key);
    assert_non_null (at);
    assert_int_equal (sscanf (at + strlen (key), "\"items\":%d,\"complete\":%d", items, complete), 2);
}

static double
s_figure (const char *report, const char *name)
{
    char key [64];
    snprintf (key, sizeof key, "\"%s\":", name);
    const char *at = strstr (report, key);
    assert_non_null (at);
    return atof (at + strlen (key));
}

//  Blocks of a coinbase alone (a few hundred bytes): pushed whole
static void
test_small_blocks_and_transactions (void **state)
{
    (void) state;
    char report [4096];
    int rc = s_propagate ("--nodes 30 --blocks 3 --txs 3 --interval 50", report, sizeof report);
    assert_int_equal (rc, 0);
    int items, complete;
    s_counts (report, "block", &items, &complete);
    assert_int_equal (items, 3);
    assert_int_equal (complete, 3);
    s_counts (report, "tx", &items, &complete);
    assert_int_equal (items, 3);
    assert_int_equal (complete, 3);
    assert_int_equal ((int) s_figure (report, "nodes"), 30);
    assert_true (s_figure (report, "messages_per_node_item") >= 1.0);
}

//  Blocks of 200 transactions (over 16 kB): announced, then fetched
static void
test_large_blocks (void **state)
{
    (void) state;
    char report [4096];
    int rc = s_propagate ("--nodes 20 --blocks 2 --txs 0 --block-txs 200 --interval 50", report,
                          sizeof report);
    assert_int_equal (rc, 0);
    int items, complete;
    s_counts (report, "block", &items, &complete);
    assert_int_equal (items, 2);
    assert_int_equal (complete, 2);
    //  a block's bytes reached every node: at least one block of 200
    //  transactions each, about 100 bytes apiece
    assert_true (s_figure (report, "bytes_per_node_item") > 200 * 100);
}

//  A bad option: a one-line reason and exit 2, nothing started
static void
test_usage (void **state)
{
    (void) state;
    char out [1024];
    assert_int_equal (s_propagate ("--nodes 1 2>/dev/null", out, sizeof out), 2);
    assert_int_equal (s_propagate ("--blocks 0 --txs 0 2>/dev/null", out, sizeof out), 2);
    assert_int_equal (s_propagate ("--frobnicate 3 2>/dev/null", out, sizeof out), 2);
    assert_int_equal (s_propagate ("--help", out, sizeof out), 0);
    assert_non_null (strstr (out, "usage: zchain propagate"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_small_blocks_and_transactions),
        cmocka_unit_test (test_large_blocks),
        cmocka_unit_test (test_usage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
