/*  test_node_storage.c - a whole node whose chain data is damaged between
 *  runs: it says so to its clients, its metrics and its supervisor, and
 *  serves nothing it cannot vouch for
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "zc_params.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static testnode_t *s_node;

//  Flip 8 bytes in the middle of the largest file of dir whose name is
//  digits then suffix (".sst": a table; ".log": a write-ahead log, not
//  RocksDB's info LOG), at least min_size bytes
static void
s_overwrite_largest (const char *dir, const char *suffix, off_t min_size)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    char path [512] = "";
    off_t best = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name), slen = strlen (suffix);
        if (len <= slen || strcmp (e->d_name + len - slen, suffix) || e->d_name [0] < '0' || e->d_name [0] > '9')
            continue;
        char p [512];
        snprintf (p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat (p, &sb) == 0 && sb.st_size > best) {
            best = sb.st_size;
            snprintf (path, sizeof path, "%s", p);
        }
    }
    closedir (d);
    assert_true (best > min_size);
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    uint8_t bytes [8];
    assert_int_equal (pread (fd, bytes, 8, best / 2), 8);
    for (int i = 0; i < 8; i++)
        bytes [i] ^= 0xff;
    assert_int_equal (pwrite (fd, bytes, 8, best / 2), 8);
    close (fd);
    print_message ("overwrote 8 bytes at %lld of %s\n", (long long) (best / 2), path);
}

static bool
s_file_has (const char *path, const char *text)
{
    FILE *f = fopen (path, "r");
    char line [4096];
    bool found = false;
    while (f && !found && fgets (line, sizeof line, f))
        found = strstr (line, text) != NULL;
    if (f)
        fclose (f);
    return found;
}

//  8 bytes overwritten in a table file while the node was down: the HTTP
//  api and the CLI answer corruption, the sidecar shows storage damaged
//  and not ready, and zchain up keeps storage up rather than restarting it
static void
test_damaged_chain_is_reported (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (NULL, "--block-interval 100 --validators 1");
    assert_non_null (node);
    assert_true (testnode_wait_height (node, 60, 300));
    char dir [128];
    snprintf (dir, sizeof dir, "%s", node->dir);
    testnode_stop (&s_node, true);
    //  a restart between puts every block in table files even without the
    //  flush at a clean stop (an open that replays the log writes them)
    node = s_node = testnode_start (dir, "--miners 0 --validators 1");
    assert_non_null (node);
    testnode_stop (&s_node, true);
    char chain [192];
    snprintf (chain, sizeof chain, "%s/chain", dir);
    s_overwrite_largest (chain, ".sst", 8192);
    node = s_node = testnode_start (dir, "--miners 0 --validators 1");
    assert_non_null (node);
    char out [65536];
    int status = 0;
    for (int i = 0; i < 300 && status != 500; i++) {
        status = testnode_http (node, node->http_port, "GET", "/api/tip", NULL, out, sizeof out);
        if (status != 500)
            usleep (100000);
    }
    print_message ("GET /api/tip: %d %s\n", status, out);
    assert_int_equal (status, 500);
    assert_non_null (strstr (out, "\"error\":\"corruption\""));
    assert_non_null (strstr (out, "chain data damaged"));
    //  the CLI says why and fails
    assert_int_equal (testnode_cli (node, out, sizeof out, "balance"), 1);
    char path [256];
    snprintf (path, sizeof path, "%s/cli.err", dir);
    assert_true (s_file_has (path, "chain data damaged"));
    //  the sidecar: storage damaged, the node not ready
    bool damaged = false;
    for (int i = 0; i < 100 && !damaged; i++) {
        if (testnode_http (node, node->metrics_port, "GET", "/metrics", NULL, out, sizeof out) == 200)
            for (char *line = strtok (out, "\n"); line && !damaged; line = strtok (NULL, "\n"))
                damaged = !strncmp (line, "zchain_storage_damaged{", 23) && line [strlen (line) - 1] == '1';
        if (!damaged)
            usleep (100000);
    }
    assert_true (damaged);
    assert_int_equal (testnode_http (node, node->metrics_port, "GET", "/readyz", NULL, out, sizeof out), 503);
    //  storage is up and answers pings: nothing for the supervisor to restart
    assert_int_equal (testnode_cli (node, out, sizeof out, "ping ipc://%s/run/storage-api.sock", dir), 0);
    snprintf (path, sizeof path, "%s/logs/storage.log", dir);
    assert_true (s_file_has (path, "chain data damaged"));
    snprintf (path, sizeof path, "%s/up.log", dir);
    assert_false (s_file_has (path, "storage exited"));
    assert_false (s_file_has (path, "storage killed"));
}

//  The mempool's count of transactions, from zchain status
static long
s_mempool_txs (testnode_t *node)
{
    char out [4096];
    if (testnode_cli (node, out, sizeof out, "--json status"))
        return -1;
    const char *at = strstr (out, "\"mempool_txs\":");
    return at ? atol (at + 14) : -1;
}

//  The value of a sidecar series (first line starting with prefix); -1
static double
s_series (testnode_t *node, const char *prefix)
{
    static char out [1 << 20];
    if (testnode_http (node, node->metrics_port, "GET", "/metrics", NULL, out, sizeof out) != 200)
        return -1;
    for (char *line = strtok (out, "\n"); line; line = strtok (NULL, "\n"))
        if (!strncmp (line, prefix, strlen (prefix)))
            return atof (strrchr (line, ' ') + 1);
    return -1;
}

//  Start a node with n payments waiting in its mempool (no miner), stopped
static void
s_node_with_payments (char *dir, size_t dir_size, int n)
{
    testnode_t *node = s_node = testnode_start (NULL, "--block-interval 100 --validators 1");
    assert_non_null (node);
    //  a mature coin for each payment, so none waits for another's change
    assert_true (testnode_wait_height (node, zc_params_get (ZC_NET_REGTEST)->coinbase_maturity + n + 5, 300));
    snprintf (dir, dir_size, "%s", node->dir);
    testnode_stop (&s_node, true);
    node = s_node = testnode_start (dir, "--miners 0 --validators 1");
    char to [128];
    assert_int_equal (testnode_cli (node, to, sizeof to, "--wallet %s/other.key wallet new --keyfile", dir), 0);
    to [strcspn (to, "\n")] = 0;
    //  amounts differ (the same coin picked twice would be the same
    //  payment); zchain send picks a coin at random, so one the mempool
    //  saw spent already is refused double_spend: pick again
    for (int i = 0; i < n; i++) {
        int rc = 1;
        for (int tries = 0; tries < 50 && rc != 0; tries++)
            rc = testnode_cli (node, NULL, 0, "send %s 0.1%03d", to, i);
        assert_int_equal (rc, 0);
    }
    //  the gateway's count follows the mempool's events: a moment behind
    long txs = -1;
    for (int i = 0; i < 100 && txs != n; i++) {
        txs = s_mempool_txs (node);
        if (txs != n)
            usleep (100000);
    }
    assert_int_equal (txs, n);
    testnode_stop (&s_node, true);
}

//  The mempool's log damaged while the node was down: the mempool keeps
//  what precedes the damage and says so (a warning, the metric), rather
//  than dropping the rest in silence; the node serves on
static void
test_mempool_log_damage_is_reported (void **state)
{
    (void) state;
    char dir [128], path [256];
    s_node_with_payments (dir, sizeof dir, 8);
    char mempool [192];
    snprintf (mempool, sizeof mempool, "%s/mempool", dir);
    s_overwrite_largest (mempool, ".log", 1000);
    testnode_t *node = s_node = testnode_start (dir, "--miners 0 --validators 1");
    assert_non_null (node);
    snprintf (path, sizeof path, "%s/logs/mempool.log", dir);
    assert_true (s_file_has (path, "mempool store: Corruption"));
    double damage = -1;
    for (int i = 0; i < 100 && damage < 1; i++) {
        damage = s_series (node, "zchain_mempool_store_damage_total{");
        if (damage < 1)
            usleep (100000);
    }
    assert_true (damage == 1);
    long kept = s_mempool_txs (node);
    print_message ("%ld of 8 payments kept\n", kept);
    assert_true (kept >= 0 && kept < 8);
    assert_int_equal (testnode_cli (node, NULL, 0, "ping ipc://%s/run/mempool-api.sock", dir), 0);
}

//  A table file of the mempool damaged: the store is set aside (kept for
//  a post-mortem) and the mempool starts with what it could read, instead
//  of failing to start, or failing every write later
static void
test_mempool_table_damage_sets_aside (void **state)
{
    (void) state;
    char dir [128], path [256];
    s_node_with_payments (dir, sizeof dir, 12);
    //  an open replays the log into a table file
    s_node = testnode_start (dir, "--miners 0 --validators 1");
    assert_non_null (s_node);
    testnode_stop (&s_node, true);
    char mempool [192];
    snprintf (mempool, sizeof mempool, "%s/mempool", dir);
    s_overwrite_largest (mempool, ".sst", 1000);
    testnode_t *node = s_node = testnode_start (dir, "--miners 0 --validators 1");
    assert_non_null (node);
    //  up, and saying what happened (on main it took back none of the 12
    //  and said nothing)
    assert_int_equal (testnode_cli (node, NULL, 0, "ping ipc://%s/run/mempool-api.sock", dir), 0);
    snprintf (path, sizeof path, "%s/logs/mempool.log", dir);
    assert_true (s_file_has (path, "damaged files moved to"));
    double damage = -1;
    for (int i = 0; i < 100 && damage < 1; i++) {
        damage = s_series (node, "zchain_mempool_store_damage_total{");
        if (damage < 1)
            usleep (100000);
    }
    assert_true (damage >= 1);
    //  the damaged copy is kept beside the fresh store
    DIR *d = opendir (dir);
    bool aside = false;
    struct dirent *e;
    while (d && (e = readdir (d)))
        aside |= !strncmp (e->d_name, "mempool.damaged-", 16);
    if (d)
        closedir (d);
    assert_true (aside);
    //  and the fresh store is as private as the one it replaced
    struct stat sb;
    assert_int_equal (stat (mempool, &sb), 0);
    assert_int_equal (sb.st_mode & 077, 0);
    assert_int_equal (testnode_cli (node, NULL, 0, "ping ipc://%s/run/mempool-api.sock", dir), 0);
    long kept = s_mempool_txs (node);
    print_message ("%ld of 12 payments kept\n", kept);
    assert_true (kept >= 0 && kept <= 12);
}

static int
s_teardown (void **state)
{
    (void) state;
    testnode_stop (&s_node, false);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_damaged_chain_is_reported, s_teardown),
        cmocka_unit_test_teardown (test_mempool_log_damage_is_reported, s_teardown),
        cmocka_unit_test_teardown (test_mempool_table_damage_sets_aside, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
