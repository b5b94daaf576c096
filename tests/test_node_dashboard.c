/*  test_node_dashboard.c - the sidecar's samples and dashboard on a real node
 *
 *  A node with two validators and a miner, its sidecar keeping 60 samples
 *  per instance (ZC_METRICS_HISTORY, which zchain up hands down): under
 *  zchain bench, /api/samples gives each instance's series in step with
 *  its clock, rates that add up to the counters /metrics shows, and never
 *  more samples than it keeps; bad arguments get a 400; / serves the
 *  page with its scripts. A second node started with the dashboard off
 *  serves neither, and /metrics as before.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "zc_params.h"
#include "zc_time.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HISTORY 60
#define WAIT_MS 120000                  //  a bound on every wait, not a timing
#define BODY (4 << 20)

static testnode_t *s_node;
static const zc_params_t *s_params;

//  GET path from the node's sidecar: the status; the whole answer, head
//  and body, into out (NUL-terminated)
static int
s_get (testnode_t *node, const char *path, char *out, size_t out_size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) node->metrics_port) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr)) {
        close (fd);
        return -1;
    }
    char head [512];
    int n = snprintf (head, sizeof head, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write (fd, head, (size_t) n) != n) {
        close (fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got < out_size - 1 && (r = read (fd, out + got, out_size - 1 - got)) > 0)
        got += (size_t) r;
    close (fd);
    out [got] = 0;
    int status = 0;
    sscanf (out, "HTTP/%*s %d", &status);
    return status;
}

//  The body of an answer s_get read
static const char *
s_body (const char *answer)
{
    const char *body = strstr (answer, "\r\n\r\n");
    return body ? body + 4 : "";
}

//  The JSON object of instance name in an /api/samples body, copied into
//  out (up to the next instance); false when it is not listed
static bool
s_instance (const char *body, const char *name, char *out, size_t out_size)
{
    char key [96];
    snprintf (key, sizeof key, "\"instance\":\"%s\"", name);
    const char *start = strstr (body, key);
    if (!start)
        return false;
    const char *end = strstr (start, "{\"service\":");
    size_t len = end ? (size_t) (end - start) : strlen (start);
    snprintf (out, out_size, "%.*s", (int) (len < out_size ? len : out_size - 1), start);
    return true;
}

//  The numbers of array key in a JSON fragment (null as NAN), at most max;
//  how many, or -1 when there is no such array
static int
s_array (const char *json, const char *key, double *values, int max)
{
    char want [64];
    snprintf (want, sizeof want, "\"%s\":[", key);
    const char *p = strstr (json, want);
    if (!p)
        return -1;
    p += strlen (want);
    int n = 0;
    while (*p && *p != ']') {
        double v;
        if (!strncmp (p, "null", 4)) {
            v = NAN;
            p += 4;
        }
        else {
            char *end;
            v = strtod (p, &end);
            assert_true (end != p);     //  a number, or the answer is not what the docs say
            p = end;
        }
        if (n < max)
            values [n] = v;
        n++;
        if (*p == ',')
            p++;
    }
    return n;
}

//  The sum of every series of name on /metrics
static double
s_metric_sum (testnode_t *node, const char *name)
{
    char *text = malloc (BODY);
    assert_int_equal (s_get (node, "/metrics", text, BODY), 200);
    double sum = 0;
    size_t len = strlen (name);
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
        if (!strncmp (line, name, len) && line [len] == '{')
            sum += atof (strchr (line, '}') + 1);
    free (text);
    return sum;
}

//  The samples instance has in the answer to path; -1 when not listed
static int
s_samples_of (const char *path, const char *instance)
{
    char *answer = malloc (BODY), *obj = malloc (BODY);
    int n = -1;
    if (s_get (s_node, path, answer, BODY) == 200 && s_instance (s_body (answer), instance, obj, BODY))
        n = s_array (obj, "t", NULL, 0);
    free (answer);
    free (obj);
    return n;
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    //  the sidecar's own settings reach it through zchain up's environment
    setenv ("ZC_METRICS_HISTORY", "60", 1);
    s_node = testnode_start (NULL, "--block-interval 300 --validators 2 --miners 1");
    unsetenv ("ZC_METRICS_HISTORY");
    //  a sanitizer build on a busy machine may take longer than the
    //  helper's own wait to answer
    if (s_node && testnode_wait_height (s_node, 0, 120))
        return 0;
    testnode_stop (&s_node, false);
    return -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    testnode_stop (&s_node, false);
    return 0;
}

//  Usage: the dashboard's samples of every instance under load; the rates
//  add up to the counters, gauges agree with what the node says
static void
test_samples (void **state)
{
    (void) state;
    assert_true (testnode_wait_height (s_node, s_params->coinbase_maturity + 3, 300));
    int64_t height_start = testnode_height (s_node, NULL);
    int64_t bench_ms = zc_now_ms ();    //  the clock of the samples' times
    char out [8192];
    int rc = testnode_cli (s_node, out, sizeof out, "--json bench --txs 600 --accounts 20 --timeout 90");
    print_message ("%s", out);
    assert_int_equal (rc, 0);
    //  two samples after the last verification, so the counters are still
    double verified = -1;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; zc_mono_ms () < deadline; ) {
        double now = s_metric_sum (s_node, "zchain_validator_verifications_total");
        if (now == verified)
            break;
        verified = now;
        sleep (2);
    }
    assert_true (verified >= 600);      //  every transaction, at least once
    char *answer = malloc (BODY), *obj = malloc (BODY);
    assert_int_equal (s_get (s_node, "/api/samples", answer, BODY), 200);
    int64_t height_after = testnode_height (s_node, NULL);
    assert_non_null (strstr (answer, "Content-Type: application/json"));
    const char *body = s_body (answer);
    assert_non_null (strstr (body, "\"history\":60,"));
    assert_non_null (strstr (body, "{\"name\":\"verify_rate\",\"unit\":\"1/s\",\"kind\":\"rate\""));
    assert_non_null (strstr (body, "\"truncated\":false}"));
    static const char *instances [] = { "storage", "mempool", "gateway", "validator-1", "validator-2",
                                        "miner-1" };
    double t [HISTORY], v [HISTORY];
    for (size_t i = 0; i < sizeof instances / sizeof instances [0]; i++) {
        assert_true (s_instance (body, instances [i], obj, BODY));
        int n = s_array (obj, "t", t, HISTORY);
        assert_in_range (n, 3, HISTORY);
        for (int k = 1; k < n; k++)
            assert_true (t [k] > t [k - 1]);
        //  every series has a value (or null) for each time, and each
        //  instance reports its process
        assert_int_equal (s_array (obj, "cpu", v, HISTORY), n);
        for (int k = 0; k < n; k++)
            assert_true (isnan (v [k]) || (v [k] >= 0 && v [k] < 64));
        assert_int_equal (s_array (obj, "rss", v, HISTORY), n);
        assert_true (v [n - 1] > 1 << 20);
        assert_non_null (strstr (obj, "\"alive\":true"));
    }
    //  the verification rate, summed over time and validators, is what the
    //  counters say was verified (within the jitter of the sample times)
    double integral = 0;
    for (int i = 1; i <= 2; i++) {
        char name [32];
        snprintf (name, sizeof name, "validator-%d", i);
        assert_true (s_instance (body, name, obj, BODY));
        int n = s_array (obj, "t", t, HISTORY);
        assert_int_equal (s_array (obj, "verify_rate", v, HISTORY), n);
        //  the ring still holds the whole bench (a slow start to coinbase
        //  maturity may have dropped the node's first samples, before
        //  anything was verified: validators verify no coinbase)
        assert_in_range (n, 2, HISTORY);
        assert_true (t [0] < (double) bench_ms);
        if (n < HISTORY)
            assert_true (isnan (v [0]));    //  the first snapshot has nothing to differ from
        for (int k = 1; k < n; k++)
            if (!isnan (v [k]))
                integral += v [k] * (t [k] - t [k - 1]) / 1000.0;
        assert_int_equal (s_array (obj, "hashrate", v, HISTORY), -1);   //  not a miner's
    }
    print_message ("verified %.0f, rate over time %.1f\n", verified, integral);
    assert_true (fabs (integral - verified) <= 0.15 * verified);
    //  gauges: the storage's height climbs to at most the node's now (a
    //  sample is up to a second old), its two workers
    assert_true (s_instance (body, "storage", obj, BODY));
    int n = s_array (obj, "height", v, HISTORY);
    assert_true (n > 0 && v [n - 1] > (double) height_start && v [n - 1] <= (double) height_after);
    for (int k = 1; k < n; k++)
        assert_true (v [k] >= v [k - 1]);
    assert_int_equal (s_array (obj, "work_workers", v, HISTORY), n);
    assert_float_equal (v [n - 1], 2, 0);
    assert_true (s_instance (body, "miner-1", obj, BODY));
    n = s_array (obj, "hashrate", v, HISTORY);
    assert_true (n > 0 && v [n - 1] > 0);
    //  a latency quantile inside the histogram's bounds
    assert_true (s_instance (body, "mempool", obj, BODY));
    n = s_array (obj, "accept_p99", v, HISTORY);
    assert_true (n > 0);
    bool some = false;
    for (int k = 0; k < n; k++)
        if (!isnan (v [k])) {
            assert_in_range ((int64_t) (v [k] * 1e6), 0, 10 * 1000000);
            some = true;
        }
    assert_true (some);
    free (answer);
    free (obj);
}

//  since gives only what is new, limit the newest few; the ring holds
//  HISTORY samples however long the node runs
static void
test_since_and_bounds (void **state)
{
    (void) state;
    char *answer = malloc (BODY);
    assert_int_equal (s_get (s_node, "/api/samples?limit=2", answer, BODY), 200);
    unsigned long long seq = 0;
    const char *at = strstr (s_body (answer), "\"seq\":");
    assert_non_null (at);
    seq = strtoull (at + 6, NULL, 10);
    assert_true (seq > 0);
    assert_int_equal (s_samples_of ("/api/samples?limit=2", "storage"), 2);
    char path [96];
    snprintf (path, sizeof path, "/api/samples?since=%llu", seq);
    //  right after: nothing or a sample; a few seconds on: a few, not all
    int fresh = -1;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; zc_mono_ms () < deadline && fresh < 2; usleep (200000))
        fresh = s_samples_of (path, "validator-2");
    assert_in_range (fresh, 2, 10);
    snprintf (path, sizeof path, "/api/samples?since=%llu&service=validator", seq);
    assert_int_equal (s_get (s_node, path, answer, BODY), 200);
    assert_null (strstr (s_body (answer), "\"instance\":\"storage\""));
    assert_non_null (strstr (s_body (answer), "\"instance\":\"validator-1\""));
    //  the ring fills to HISTORY and no further
    int kept = 0;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; zc_mono_ms () < deadline && kept < HISTORY + 2; ) {
        kept = s_samples_of ("/api/samples", "miner-1");
        assert_in_range (kept, 1, HISTORY);
        if (kept == HISTORY) {
            sleep (2);                  //  two more snapshots: still HISTORY
            kept = s_samples_of ("/api/samples", "miner-1") + 2;
        }
        else
            sleep (1);
    }
    assert_int_equal (kept, HISTORY + 2);
    //  bad arguments: 400 with a reason, and nothing else changes
    static const char *bad [] = { "since=x", "since=-1", "since=", "since=123456789012345678901234",
                                  "limit=0", "limit=61", "limit=1e3" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        snprintf (path, sizeof path, "/api/samples?%s", bad [i]);
        assert_int_equal (s_get (s_node, path, answer, BODY), 400);
        assert_non_null (strstr (s_body (answer), "{\"error\":"));
    }
    assert_int_equal (s_samples_of ("/api/samples", "miner-1"), HISTORY);
    free (answer);
}

//  / is the dashboard, with its script and style from the same server
//  under a same-origin policy; the sidecar's other answers are unchanged
static void
test_page (void **state)
{
    (void) state;
    char *answer = malloc (BODY);
    assert_int_equal (s_get (s_node, "/", answer, BODY), 200);
    assert_non_null (strstr (answer, "Content-Type: text/html"));
    assert_non_null (strstr (answer, "Content-Security-Policy: default-src 'self'"));
    assert_non_null (strstr (s_body (answer), "<title>zchain dashboard</title>"));
    assert_non_null (strstr (s_body (answer), "<script src=\"dashboard.js\""));
    assert_int_equal (s_get (s_node, "/dashboard.js", answer, BODY), 200);
    assert_non_null (strstr (answer, "Content-Type: text/javascript"));
    assert_non_null (strstr (s_body (answer), "api/samples?since="));
    assert_non_null (strstr (s_body (answer), "data-metric"));
    assert_int_equal (s_get (s_node, "/dashboard.css", answer, BODY), 200);
    assert_non_null (strstr (answer, "Content-Type: text/css"));
    assert_int_equal (s_get (s_node, "/favicon.svg", answer, BODY), 200);
    assert_int_equal (s_get (s_node, "/nothing.js", answer, BODY), 404);
    assert_int_equal (s_get (s_node, "/../dashboard.js", answer, BODY), 404);
    assert_int_equal (s_get (s_node, "/metrics", answer, BODY), 200);
    assert_non_null (strstr (s_body (answer), "zchain_instance_up{service=\"validator\""));
    assert_int_equal (s_get (s_node, "/healthz", answer, BODY), 200);
    assert_int_equal (s_get (s_node, "/readyz", answer, BODY), 200);
    assert_int_equal (s_get (s_node, "/autoscale", answer, BODY), 200);
    free (answer);
}

//  --dashboard=false (ZC_METRICS_DASHBOARD): no page, no samples, the rest
static void
test_dashboard_off (void **state)
{
    (void) state;
    setenv ("ZC_METRICS_DASHBOARD", "false", 1);
    testnode_t *node = testnode_start (NULL, "--block-interval 300 --validators 1 --miners 0");
    unsetenv ("ZC_METRICS_DASHBOARD");
    assert_non_null (node);
    char *answer = malloc (BODY);
    int status = -1;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; zc_mono_ms () < deadline && status != 200; usleep (200000))
        status = s_get (node, "/metrics", answer, BODY);
    assert_int_equal (status, 200);
    assert_int_equal (s_get (node, "/", answer, BODY), 404);
    assert_null (strstr (s_body (answer), "/api/samples"));
    assert_int_equal (s_get (node, "/api/samples", answer, BODY), 404);
    assert_int_equal (s_get (node, "/dashboard.js", answer, BODY), 404);
    assert_int_equal (s_get (node, "/healthz", answer, BODY), 200);
    free (answer);
    testnode_stop (&node, false);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_samples),
        cmocka_unit_test (test_since_and_bounds),
        cmocka_unit_test (test_page),
        cmocka_unit_test (test_dashboard_off),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
