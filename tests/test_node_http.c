/*  test_node_http.c - a whole node's HTTP servers against hostile clients:
 *  a slowloris flood, ambiguous framing, numbers that are not plain decimal,
 *  and data directories left open to other users
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rawhttp.h"
#include "testproc.h"
#include "testchain.h"
#include "testnode.h"
#include "zc_hex.h"
#include "zc_params.h"
#include "zc_time.h"
#include "zc_wallet.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FLOOD 600                       //  more than the 512 connections a gateway took in all
#define HONEST "127.0.0.2"              //  another source address than the flood's

static testnode_t *s_node;
static const zc_params_t *s_params;
static int s_flood [FLOOD];
static int s_flooded;                   //  sockets open in s_flood

static int
s_get (const char *source, int port, const char *path, char *out, size_t out_size)
{
    char request [512];
    snprintf (request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
              path);
    return rawhttp_request (source, port, request, out, out_size, 10000);
}

//  The value of the first series of name whose labels include label
//  (e.g. reason="per_address") for service, from the sidecar; -1 if none
static double
s_metric (const char *name, const char *service, const char *label)
{
    char *text = malloc (1 << 20);
    double value = -1;
    if (text && s_get (NULL, s_node->metrics_port, "/metrics", text, 1 << 20) == 200) {
        char want [128];
        snprintf (want, sizeof want, "service=\"%s\"", service);
        size_t len = strlen (name);
        for (char *line = strtok (text, "\n"); line && value < 0; line = strtok (NULL, "\n"))
            if (!strncmp (line, name, len) && line [len] == '{' && strstr (line, want)
            &&  (!label || strstr (line, label)))
                value = atof (strchr (line, '}') + 1);
    }
    free (text);
    return value;
}

//  Wait (bounded) until the metric reaches at least min: its value
static double
s_wait_metric (const char *name, const char *service, const char *label, double min)
{
    double value = -1;
    for (int tries = 0; tries < 100 && value < min; tries++) {
        value = s_metric (name, service, label);
        if (value < min)
            usleep (100000);
    }
    return value;
}

//  Lines of a service's log that mention connections
static int
s_log_lines (const char *name)
{
    char path [256], line [4096];
    snprintf (path, sizeof path, "%s/logs/%s.log", s_node->dir, name);
    FILE *f = fopen (path, "r");
    int n = 0;
    while (f && fgets (line, sizeof line, f))
        if (strstr (line, "onnection"))
            n++;
    if (f)
        fclose (f);
    return n;
}

static bool
s_log_has (const char *dir, const char *file, const char *text)
{
    char path [256], line [4096];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen (path, "r");
    bool found = false;
    while (f && !found && fgets (line, sizeof line, f))
        found = strstr (line, text) != NULL;
    if (f)
        fclose (f);
    return found;
}

//  The flood's sockets closed, also when test_slowloris fails: the tests
//  after it need the node's connections back
static int
s_close_flood (void **state)
{
    (void) state;
    for (int i = 0; i < s_flooded; i++)
        if (s_flood [i] >= 0)
            close (s_flood [i]);
    s_flooded = 0;
    return 0;
}

//  Slowloris: FLOOD half-open connections from 127.0.0.1, each trickling a
//  header byte every second. An honest client on another address is
//  answered throughout; the flood's connections are closed by the server
//  (at once over the per-address limit, the rest at the request deadline)
//  although they never stop trickling; the refusals are counted and logged
//  in a few summary lines, not one line each.
static void
test_slowloris (void **state)
{
    (void) state;
    struct rlimit rl;
    getrlimit (RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < FLOOD + 256) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
    }
    assert_true (rl.rlim_cur >= FLOOD + 256);
    char out [8192];
    assert_int_equal (s_get (HONEST, s_node->http_port, "/api/tip", out, sizeof out), 200);
    int log_before = s_log_lines ("gateway");
    int64_t start = zc_mono_ms ();

    const char *line = "GET /api/tip HTTP/1.1\r\n";
    for (s_flooded = 0; s_flooded < FLOOD; s_flooded++) {
        int fd = s_flood [s_flooded] = rawhttp_connect ("127.0.0.1", s_node->http_port, 2000);
        if (fd >= 0)
            rawhttp_send (fd, line, strlen (line), 100);
    }
    //  the honest client gets its answers while the flood holds on
    int64_t asked = zc_mono_ms ();
    assert_int_equal (s_get (HONEST, s_node->http_port, "/api/tip", out, sizeof out), 200);
    print_message ("flood of %d up in %lld ms; the honest client answered in %lld ms\n", FLOOD,
                   (long long) (asked - start), (long long) (zc_mono_ms () - asked));
    assert_non_null (strstr (out, "\"height\":"));
    assert_int_equal (s_get (HONEST, s_node->http_port, "/api/mempool", out, sizeof out), 200);

    //  a header byte a second on every connection still open, until the
    //  server has closed them all (bounded: a minute)
    const char *header = "X-Slow: a\r\n";
    int open = FLOOD, round = 0;
    for (; open > 0 && round < 60; round++) {
        open = 0;
        for (int i = 0; i < FLOOD; i++) {
            int fd = s_flood [i];
            if (fd < 0)
                continue;
            if (rawhttp_closed (fd, 0) || rawhttp_send (fd, header + round % strlen (header), 1, 100)) {
                close (fd);
                s_flood [i] = -1;
            }
            else
                open++;
        }
        if (round % 5 == 0)
            print_message ("round %d: %d of the flood still open\n", round, open);
        if (open)
            sleep (1);
    }
    print_message ("all %d closed by the server after %d rounds (%lld ms)\n", FLOOD, round,
                   (long long) (zc_mono_ms () - start));
    assert_int_equal (open, 0);
    assert_int_equal (s_get (HONEST, s_node->http_port, "/api/tip", out, sizeof out), 200);

    //  counted...
    double refused = s_wait_metric ("zchain_http_refused_total", "gateway", "reason=\"per_address\"",
                                    FLOOD / 2);
    double deadline = s_wait_metric ("zchain_http_deadline_closed_total", "gateway", NULL, 1);
    print_message ("refused %.0f, closed at the deadline %.0f\n", refused, deadline);
    assert_true (refused >= FLOOD / 2);
    assert_true (deadline >= 1);
    //  ...and logged as a summary every 10 s at most, not a line each
    bool logged = false;
    for (int tries = 0; tries < 150 && !logged; tries++) {
        logged = s_log_has (s_node->dir, "logs/gateway.log", "refused");
        if (!logged)
            usleep (100000);
    }
    assert_true (logged);
    int lines = s_log_lines ("gateway") - log_before;
    int64_t seconds = (zc_mono_ms () - start) / 1000;
    print_message ("%d log lines in %lld s\n", lines, (long long) seconds);
    assert_true (lines <= 2 * (seconds / 10 + 1) + 4);
}

//  The sidecar has the same limits: one address cannot take its slots
static void
test_sidecar_per_address (void **state)
{
    (void) state;
    int fds [20];
    for (int i = 0; i < 20; i++) {
        fds [i] = rawhttp_connect ("127.0.0.1", s_node->metrics_port, 2000);
        assert_true (fds [i] >= 0);
    }
    //  beyond the 16 a connection is closed at once: the last four, as the
    //  sidecar's one thread takes them in order
    bool closed [20] = { false };
    int n_closed = 0;
    for (int64_t give_up = zc_mono_ms () + 5000; n_closed < 4 && zc_mono_ms () < give_up; ) {
        for (int i = 0; i < 20; i++)
            if (!closed [i] && rawhttp_closed (fds [i], 0)) {
                closed [i] = true;
                n_closed++;
            }
        usleep (10000);
    }
    print_message ("%d of 20 closed at once\n", n_closed);
    for (int i = 0; i < 20; i++)
        assert_int_equal (closed [i], i >= 16);
    char out [65536];
    assert_int_equal (s_get (HONEST, s_node->metrics_port, "/healthz", out, sizeof out), 200);
    for (int i = 0; i < 20; i++)
        close (fds [i]);
    assert_true (s_wait_metric ("zchain_http_refused_total", "metrics", "reason=\"per_address\"", 4) >= 4);
}

//  Two lengths, or a length and a coding: a proxy and the node could split
//  the stream differently, so the request is refused and the connection closed
static void
test_ambiguous_framing (void **state)
{
    (void) state;
    const char *bad [] = {
        "Content-Length: 0\r\nContent-Length: 0\r\n\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        "Content-Length : 0\r\n\r\n",
    };
    int ports [2] = { s_node->http_port, s_node->metrics_port };
    const char *paths [2] = { "/api/tip", "/healthz" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        for (int p = 0; p < 2; p++) {
            char out [4096], request [512];
            snprintf (request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", paths [p],
                      bad [i]);
            int status = rawhttp_request (NULL, ports [p], request, out, sizeof out, 10000);
            print_message ("%s %zu: %d %s", paths [p], i, status, out);
            assert_int_equal (status, 400);
            assert_non_null (strstr (out, "\"error\":\"bad_request\""));
        }
    assert_true (s_wait_metric ("zchain_http_malformed_total", "gateway", NULL, 3) >= 3);
}

//  A number in a path is decimal digits and nothing else
static void
test_path_numbers (void **state)
{
    (void) state;
    assert_true (testnode_wait_height (s_node, 6, 120));
    char out [4096], five [4096];
    assert_int_equal (s_get (NULL, s_node->http_port, "/api/block-height/5", five, sizeof five), 200);
    assert_int_equal (strlen (five), 65);
    assert_int_equal (s_get (NULL, s_node->http_port, "/api/block-height/005", out, sizeof out), 200);
    assert_string_equal (out, five);
    //  -18446744073709551611 is 5 to strtoul
    const char *bad [] = { "+5", "%205", "5%20", "5x", "-1", "0x5", "-18446744073709551611", "4294967296",
                           "99999999999999999999", "", "5.0", "%2B5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char path [128];
        snprintf (path, sizeof path, "/api/block-height/%s", bad [i]);
        int status = s_get (NULL, s_node->http_port, path, out, sizeof out);
        print_message ("%s: %d %s", path, status, out);
        assert_int_equal (status, 400);
        assert_non_null (strstr (out, "\"error\":\"bad_request\""));
    }
    //  hashes are exactly 64 hex digits
    char path [256];
    snprintf (path, sizeof path, "/api/block/%.64s", five);
    assert_int_equal (s_get (NULL, s_node->http_port, path, out, sizeof out), 200);
    const char *prefixes [] = { "/api/block/0x", "/api/block/", "/api/block/", "/api/tx/+", "/api/block/%20" };
    int lengths [] = { 62, 63, 64, 63, 63 };
    const char *suffixes [] = { "", "", "0", "", "" };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes [0]; i++) {
        snprintf (path, sizeof path, "%s%.*s%s", prefixes [i], lengths [i], five, suffixes [i]);
        assert_int_equal (s_get (NULL, s_node->http_port, path, out, sizeof out), 400);
    }
}

//  A transaction paying the NUMS key from a mature coin of the wallet, in hex
static char *
s_signed_tx_hex (void)
{
    testchain_coin_t coin;
    assert_int_equal (testchain_coins (s_node, s_params, &coin, 1), 1);
    zc_tx_t *tx = testchain_pay (s_params, &coin, 1000);
    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    char *hex = malloc (2 * size + 1);
    zc_hex_encode (raw, size, hex);
    free (raw);
    zc_tx_destroy (&tx);
    return hex;
}

//  A body with a NUL in it is not the hex it starts with: the node must not
//  submit what comes before the NUL as if it were all that was sent
static void
test_post_nul (void **state)
{
    (void) state;
    assert_true (testnode_wait_height (s_node, s_params->coinbase_maturity + 3, 120));
    char *hex = s_signed_tx_hex ();
    size_t len = strlen (hex);
    char *request = malloc (len + 512);
    int head = snprintf (request, 512, "POST /api/tx HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Length: %zu\r\n\r\n", len + 5);
    memcpy (request + head, hex, len);
    memcpy (request + head + len, "\0junk", 5);
    int fd = rawhttp_connect (NULL, s_node->http_port, 2000);
    assert_true (fd >= 0);
    assert_int_equal (rawhttp_send (fd, request, (size_t) head + len + 5, 2000), 0);
    char out [4096];
    int status = rawhttp_read (fd, out, sizeof out, 10000);
    close (fd);
    print_message ("%d %s", status, out);
    assert_int_equal (status, 400);
    assert_non_null (strstr (out, "\"error\":\"malformed\""));
    //  the same hex alone is a good transaction
    assert_int_equal (testnode_http (s_node, s_node->http_port, "POST", "/api/tx", hex, out, sizeof out), 200);
    free (request);
    free (hex);
}

static int
s_mode (const char *dir, const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat (path, &st) ? -1 : (int) (st.st_mode & 07777);
}

//  A data directory made by hand with mode 0755 (and a RocksDB directory,
//  and a wallet other users can read): on start every directory of node
//  data is 0700 and the wallet 0600, each change logged
static void
test_private_datadir (void **state)
{
    (void) state;
    char dir [128] = "/tmp/zc-perm-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char cmd [1024];
    snprintf (cmd, sizeof cmd, "%s/zchain --datadir %s wallet new --keyfile > /dev/null", ZC_BIN_DIR, dir);
    assert_int_equal (system (cmd), 0);
    const char *made [] = { "chain", "mempool", "logs", "run" };
    for (size_t i = 0; i < 4; i++) {
        char path [256];
        snprintf (path, sizeof path, "%s/%s", dir, made [i]);
        assert_int_equal (mkdir (path, 0755), 0);
        assert_int_equal (chmod (path, 0755), 0);
    }
    assert_int_equal (chmod (dir, 0755), 0);
    char wallet [256];
    snprintf (wallet, sizeof wallet, "%s/wallet.key", dir);
    assert_int_equal (chmod (wallet, 0644), 0);

    testnode_t *node = testnode_start (dir, "--miners 0 --validators 1");
    assert_non_null (node);
    bool up = testnode_height (node, NULL) >= 0;
    int modes [6] = { s_mode (dir, "."), s_mode (dir, "run"), s_mode (dir, "logs"),
                      s_mode (dir, "chain"), s_mode (dir, "mempool"), s_mode (dir, "wallet.key") };
    bool told = s_log_has (dir, "up.log", "now 0700") && s_log_has (dir, "logs/storage.log", "now 0700")
             && s_log_has (dir, "logs/mempool.log", "now 0700") && s_log_has (dir, "up.log", "now 0600");
    testnode_stop (&node, false);
    print_message ("up %d; modes %04o %04o %04o %04o %04o %04o\n", up, modes [0], modes [1], modes [2],
                   modes [3], modes [4], modes [5]);
    assert_true (up);
    for (int i = 0; i < 5; i++)
        assert_int_equal (modes [i], 0700);
    assert_int_equal (modes [5], 0600);
    assert_true (told);
}

//  When a directory cannot be made private the node does not start: one
//  line saying why, a non-zero exit
static void
test_private_datadir_refused (void **state)
{
    (void) state;
    char dir [128] = "/tmp/zc-perm-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path [256], cmd [1024], line [1024] = "";
    snprintf (path, sizeof path, "%s/logs", dir);
    FILE *f = fopen (path, "w");            //  a file where a directory must be
    assert_non_null (f);
    fclose (f);
    //  bounded: the node must not start at all, so timeout stops it if it does
    int port = testnode_ports () + TESTNODE_PORTS - 1;
    snprintf (cmd, sizeof cmd, "timeout 60 %s/zchain --datadir %s up --miners 0 --http '' "
              "--metrics 127.0.0.1:%d 2>&1 >/dev/null", ZC_BIN_DIR, dir, port);
    FILE *p = popen (cmd, "r");
    assert_non_null (p);
    int lines = 0;
    char got [1024];
    while (fgets (got, sizeof got, p)) {
        if (!lines)
            snprintf (line, sizeof line, "%s", got);
        lines++;
    }
    int status = pclose (p);
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
    print_message ("exit %d, %d line(s): %s", WEXITSTATUS (status), lines, line);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    assert_int_equal (lines, 1);
    assert_non_null (strstr (line, "logs is not a directory"));
}

//  A gateway whose storage and mempool do not answer stops at once when
//  told to, though HTTP requests wait on them (before: its HTTP threads
//  waited out their 30 s calls first)
static void
test_stop_while_storage_down (void **state)
{
    (void) state;
    char dir [64] = "/tmp/zc-gwstop-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char api [128], notify [128], sa [128], se [128], ma [128], me [128], http [32];
    snprintf (api, sizeof api, "ipc://%s/api.sock", dir);
    snprintf (notify, sizeof notify, "ipc://%s/notify.sock", dir);
    snprintf (sa, sizeof sa, "ipc://%s/storage-api.sock", dir);
    snprintf (se, sizeof se, "ipc://%s/storage-events.sock", dir);
    snprintf (ma, sizeof ma, "ipc://%s/mempool-api.sock", dir);
    snprintf (me, sizeof me, "ipc://%s/mempool-events.sock", dir);
    int port = testproc_port ();
    snprintf (http, sizeof http, "127.0.0.1:%d", port);
    const char *argv [] = { "zchain-gateway", "--api", api, "--notify", notify, "--storage-api", sa,
                            "--storage-events", se, "--mempool-api", ma, "--mempool-events", me,
                            "--http", http, NULL };
    pid_t gateway = testproc_start (dir, "gateway", argv);
    assert_true (gateway > 0);
    //  requests that wait on storage: each takes an HTTP thread
    int waiting [6], n = 0;
    for (int i = 0; i < 100 && n == 0; i++) {
        int fd = rawhttp_connect (NULL, port, 200);
        if (fd < 0) {
            usleep (100000);
            continue;
        }
        close (fd);
        n = -1;
    }
    for (n = 0; n < 6; n++) {
        waiting [n] = rawhttp_connect (NULL, port, 5000);
        assert_true (waiting [n] >= 0);
        const char *get = "GET /api/tip HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        assert_int_equal (rawhttp_send (waiting [n], get, strlen (get), 5000), 0);
    }
    sleep (1);
    assert_int_equal (kill (gateway, SIGTERM), 0);
    //  a bound, not a measurement: the threads give up within 100 ms
    int status = testproc_wait_exit (gateway, 10);
    print_message ("gateway exit status %d after SIGTERM\n", status);
    assert_int_equal (status, 0);
    for (int i = 0; i < n; i++)
        close (waiting [i]);
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    s_node = testnode_start (NULL, "--block-interval 300 --validators 1");
    return s_node && testnode_height (s_node, NULL) >= 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_close_flood (state);
    testnode_stop (&s_node, false);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_slowloris, s_close_flood),
        cmocka_unit_test (test_sidecar_per_address),
        cmocka_unit_test (test_ambiguous_framing),
        cmocka_unit_test (test_path_numbers),
        cmocka_unit_test (test_post_nul),
        cmocka_unit_test (test_private_datadir),
        cmocka_unit_test (test_private_datadir_refused),
        cmocka_unit_test (test_stop_while_storage_down),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
