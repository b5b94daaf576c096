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

//  Flip 8 bytes in the middle of the largest table file of dir
static void
s_overwrite_largest_sst (const char *dir)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    char path [512] = "";
    off_t best = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len < 5 || strcmp (e->d_name + len - 4, ".sst"))
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
    assert_true (best > 8192);
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
    s_overwrite_largest_sst (chain);
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
