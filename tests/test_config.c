/*  test_config.c - flags over environment over defaults */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_config.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *api;
    int64_t workers;
    bool sync;
    zc_strlist_t peers;
    const char *file;
} s_cfg_t;

static const zc_option_t s_options [] = {
    { "api", "ZC_TEST_API", ZC_OPT_STRING, "tcp://0.0.0.0:7801", "request endpoint",
      offsetof (s_cfg_t, api), 0, 0 },
    { "workers", "ZC_TEST_WORKERS", ZC_OPT_INT, "2", "worker threads",
      offsetof (s_cfg_t, workers), 1, 64 },
    { "sync", "ZC_TEST_SYNC", ZC_OPT_BOOL, "false", "fsync every write",
      offsetof (s_cfg_t, sync), 0, 0 },
    { "peer", "ZC_TEST_PEER", ZC_OPT_LIST, "", "a peer (repeatable)",
      offsetof (s_cfg_t, peers), 0, 0 },
    { "file", "ZC_TEST_FILE", ZC_OPT_STRING, "", "a file (empty: none)",
      offsetof (s_cfg_t, file), 0, 0 },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

static int
s_parse (s_cfg_t *cfg, int argc, const char **argv, char *err)
{
    return zc_config_parse (s_options, cfg, argc, (char **) argv, "test", "a test", err, 256);
}

//  Usage: defaults, then the environment, then flags
static void
test_usage (void **state)
{
    (void) state;
    s_cfg_t cfg;
    char err [256];
    unsetenv ("ZC_TEST_API");
    unsetenv ("ZC_TEST_WORKERS");
    const char *none [] = { "test" };
    assert_int_equal (s_parse (&cfg, 1, none, err), 0);
    assert_string_equal (cfg.api, "tcp://0.0.0.0:7801");
    assert_int_equal (cfg.workers, 2);
    assert_false (cfg.sync);
    assert_int_equal (cfg.peers.count, 0);

    setenv ("ZC_TEST_API", "ipc:///tmp/x", 1);
    setenv ("ZC_TEST_WORKERS", "4", 1);
    assert_int_equal (s_parse (&cfg, 1, none, err), 0);
    assert_string_equal (cfg.api, "ipc:///tmp/x");
    assert_int_equal (cfg.workers, 4);

    const char *flags [] = { "test", "--api", "tcp://1.2.3.4:5", "--workers=8", "--sync",
                             "--peer", "a", "--peer=b" };
    assert_int_equal (s_parse (&cfg, 8, flags, err), 0);
    assert_string_equal (cfg.api, "tcp://1.2.3.4:5");
    assert_int_equal (cfg.workers, 8);
    assert_true (cfg.sync);
    assert_int_equal (cfg.peers.count, 2);
    assert_string_equal (cfg.peers.value [1], "b");
    zc_config_log (s_options, &cfg, 8, (char **) flags);
    unsetenv ("ZC_TEST_API");
    unsetenv ("ZC_TEST_WORKERS");
}

//  An empty default is an empty string, whatever the memory held before
static void
test_empty_default (void **state)
{
    (void) state;
    s_cfg_t cfg;
    char err [256];
    unsetenv ("ZC_TEST_FILE");
    memset (&cfg, 0x03, sizeof cfg);
    const char *none [] = { "test" };
    assert_int_equal (s_parse (&cfg, 1, none, err), 0);
    assert_non_null (cfg.file);
    assert_string_equal (cfg.file, "");
    setenv ("ZC_TEST_FILE", "", 1);
    memset (&cfg, 0x03, sizeof cfg);
    assert_int_equal (s_parse (&cfg, 1, none, err), 0);
    assert_non_null (cfg.file);
    assert_string_equal (cfg.file, "");
    unsetenv ("ZC_TEST_FILE");
}

static void
test_errors (void **state)
{
    (void) state;
    s_cfg_t cfg;
    char err [256];
    const char *unknown [] = { "test", "--nope" };
    assert_int_equal (s_parse (&cfg, 2, unknown, err), -1);
    assert_non_null (strstr (err, "unknown option '--nope'"));
    const char *range [] = { "test", "--workers", "65" };
    assert_int_equal (s_parse (&cfg, 3, range, err), -1);
    assert_non_null (strstr (err, "from 1 to 64"));
    const char *nan [] = { "test", "--workers=4x" };
    assert_int_equal (s_parse (&cfg, 2, nan, err), -1);
    const char *missing [] = { "test", "--api" };
    assert_int_equal (s_parse (&cfg, 2, missing, err), -1);
    assert_non_null (strstr (err, "needs a value"));
    const char *stray [] = { "test", "extra" };
    assert_int_equal (s_parse (&cfg, 2, stray, err), -1);
    setenv ("ZC_TEST_WORKERS", "many", 1);
    const char *none [] = { "test" };
    assert_int_equal (s_parse (&cfg, 1, none, err), -1);
    unsetenv ("ZC_TEST_WORKERS");
    const char *help [] = { "test", "--help" };
    assert_int_equal (s_parse (&cfg, 2, help, err), 1);
}

static void
test_usage_text (void **state)
{
    (void) state;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&text, &size);
    zc_config_usage (s_options, "test", "a test", f);
    fclose (f);
    assert_non_null (strstr (text, "--workers N"));
    assert_non_null (strstr (text, "ZC_TEST_WORKERS"));
    assert_non_null (strstr (text, "default tcp://0.0.0.0:7801"));
    assert_non_null (strstr (text, "(repeatable)"));
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_empty_default),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_usage_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
