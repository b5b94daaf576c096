/*  test_http.c - zc_http's limits on a real libmicrohttpd server over loopback:
 *  connections per address and in all, the whole-request deadline, strict
 *  framing. Raw sockets, so the bytes are exactly the test's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rawhttp.h"
#include "zc_http.h"
#include "zc_time.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_int s_handled;            //  requests the handler answered
static int s_port;

//  Answers "ok" to a GET, the body's length to a POST; /slow takes 1.5 s
static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) cls;
    (void) version;
    (void) upload_data;
    size_t *length = *con_cls;
    if (!length) {
        *con_cls = length = calloc (1, sizeof *length);
        return length ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size) {
        *length += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!strcmp (url, "/slow"))
        usleep (1500 * 1000);
    char text [64];
    int n = snprintf (text, sizeof text, "%s %zu\n", strcmp (method, "POST") ? "ok" : "got", *length);
    struct MHD_Response *r = MHD_create_response_from_buffer ((size_t) n, text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_queue_response (c, MHD_HTTP_OK, r);
    MHD_destroy_response (r);
    atomic_fetch_add (&s_handled, 1);
    return rc;
}

static void
s_completed (void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void) cls;
    (void) c;
    (void) toe;
    free (*con_cls);
    *con_cls = NULL;
}

//  A server on a port of this process's own range
static zc_http_t *
s_start (int64_t max, int64_t per_address, int64_t deadline_ms)
{
    //  idle: 5 s, or the deadline when that is longer (tests of the caps give
    //  a long one, so that a slow machine never closes what they hold)
    zc_http_limits_t limits = { max, per_address, deadline_ms, deadline_ms > 5000 ? deadline_ms : 5000 };
    char err [256], listen [64];
    for (int i = 0; i < 20; i++) {
        s_port = 40000 + (int) (getpid () % 1000) * 20 + i;
        snprintf (listen, sizeof listen, "127.0.0.1:%d", s_port);
        zc_http_t *server = zc_http_start (listen, 2, &limits, s_handler, NULL, s_completed, err,
                                           sizeof err);
        if (server)
            return server;
    }
    fail_msg ("no port: %s", err);
    return NULL;
}

static int
s_get (const char *source, const char *path, char *out, size_t out_size)
{
    char request [256];
    snprintf (request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    return rawhttp_request (source, s_port, request, out, out_size, 10000);
}

//  How a service uses it: start on IPV4:PORT, serve, read the counts, stop
static void
test_usage (void **state)
{
    (void) state;
    zc_http_t *server = s_start (512, 16, 10000);
    char out [256];
    assert_int_equal (s_get (NULL, "/", out, sizeof out), 200);
    assert_string_equal (out, "ok 0\n");
    zc_http_stats_t stats;
    zc_http_stats (server, &stats);
    assert_int_equal (stats.refused_per_address + stats.refused_max + stats.deadline + stats.malformed, 0);
    zc_http_stop (&server);
    zc_http_stop (&server);
    assert_null (server);

    char err [256];
    const char *bad [] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000",
                           "127.0.0.1:+80", "127.0.0.1:80x", "localhost:80", ":80" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        assert_null (zc_http_start (bad [i], 1, NULL, s_handler, NULL, NULL, err, sizeof err));
        assert_non_null (strstr (err, "expected IPV4:PORT"));
    }
}

//  A keep-alive GET on fd, answered: the server holds the connection now
//  (accepting is asynchronous: a connect the kernel completed may not be
//  the server's yet). True when a status line and headers came back.
static bool
s_held (int fd)
{
    const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    if (rawhttp_send (fd, get, strlen (get), 10000))
        return false;
    char got [4096];
    size_t n = 0;
    int64_t deadline = zc_mono_ms () + 30000;
    while (n < sizeof got - 1 && zc_mono_ms () < deadline) {
        ssize_t r = recv (fd, got + n, sizeof got - 1 - n, 0);
        if (r == 0)
            return false;
        if (r > 0) {
            n += (size_t) r;
            got [n] = 0;
            if (strstr (got, "\r\n\r\n"))
                return strncmp (got, "HTTP/1.1 200", 12) == 0;
        }
        else
            usleep (10000);
    }
    return false;
}

//  One address holds at most per_address connections: the next is closed at
//  once, while another address is still served
static void
test_per_address (void **state)
{
    (void) state;
    zc_http_t *server = s_start (512, 4, 120000);
    int fds [4];
    for (int i = 0; i < 4; i++) {
        fds [i] = rawhttp_connect ("127.0.0.1", s_port, 5000);
        assert_true (fds [i] >= 0);
        assert_true (s_held (fds [i]));
    }
    //  the four are the server's: a fifth is refused (wait for the refusal)
    int extra = -1;
    bool refused = false;
    for (int tries = 0; tries < 50 && !refused; tries++) {
        extra = rawhttp_connect ("127.0.0.1", s_port, 5000);
        assert_true (extra >= 0);
        refused = rawhttp_closed (extra, 200);
        close (extra);
    }
    assert_true (refused);
    for (int i = 0; i < 4; i++)
        assert_false (rawhttp_closed (fds [i], 0));
    char out [256];
    assert_int_equal (s_get ("127.0.0.2", "/", out, sizeof out), 200);
    zc_http_stats_t stats;
    zc_http_stats (server, &stats);
    assert_true (stats.refused_per_address >= 1);
    assert_int_equal (stats.refused_max, 0);
    //  one of the four leaves: its address may connect again
    close (fds [0]);
    int status = 0;
    for (int tries = 0; tries < 100 && status != 200; tries++) {
        status = s_get ("127.0.0.1", "/", out, sizeof out);
        if (status != 200)
            usleep (50000);
    }
    assert_int_equal (status, 200);
    for (int i = 1; i < 4; i++)
        close (fds [i]);
    zc_http_stop (&server);
}

//  At max_connections in all, a new address is refused too
static void
test_max_connections (void **state)
{
    (void) state;
    zc_http_t *server = s_start (6, 4, 10000);
    int fds [6];
    for (int i = 0; i < 6; i++) {
        fds [i] = rawhttp_connect (i < 4 ? "127.0.0.1" : "127.0.0.2", s_port, 5000);
        assert_true (fds [i] >= 0);
        assert_true (s_held (fds [i]));
    }
    bool refused = false;
    for (int tries = 0; tries < 50 && !refused; tries++) {
        int extra = rawhttp_connect ("127.0.0.3", s_port, 5000);
        assert_true (extra >= 0);
        refused = rawhttp_closed (extra, 200);
        close (extra);
    }
    assert_true (refused);
    zc_http_stats_t stats;
    zc_http_stats (server, &stats);
    assert_true (stats.refused_max >= 1);
    for (int i = 0; i < 6; i++)
        close (fds [i]);
    zc_http_stop (&server);
}

//  Send one byte of text every 100 ms until the server closes the
//  connection: the count of bytes sent, or -1 if still open after 20 s
static int
s_trickle (int fd, const char *text)
{
    int64_t give_up = zc_mono_ms () + 20000;
    size_t len = strlen (text);
    for (int sent = 0; zc_mono_ms () < give_up; sent++) {
        if (rawhttp_closed (fd, 0) || rawhttp_send (fd, text + sent % len, 1, 1000))
            return sent;
        usleep (100 * 1000);
    }
    return -1;
}

//  Headers trickled a byte at a time (each byte resets an idle timeout)
//  are cut at the deadline; so is a trickled body, and a second request
//  trickled on a kept-alive connection. A request that arrived in time is
//  answered however long the handler takes.
static void
test_deadline (void **state)
{
    (void) state;
    zc_http_t *server = s_start (512, 16, 1000);
    int fd = rawhttp_connect (NULL, s_port, 5000);
    assert_true (fd >= 0);
    int sent = s_trickle (fd, "GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    print_message ("headers: closed after %d bytes\n", sent);
    assert_true (sent > 0);
    close (fd);

    fd = rawhttp_connect (NULL, s_port, 5000);
    const char *post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
    assert_int_equal (rawhttp_send (fd, post, strlen (post), 1000), 0);
    sent = s_trickle (fd, "abcdefgh");
    print_message ("body: closed after %d bytes\n", sent);
    assert_true (sent > 0);
    close (fd);

    fd = rawhttp_connect (NULL, s_port, 5000);
    const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal (rawhttp_send (fd, get, strlen (get), 1000), 0);
    char buf [512];
    ssize_t n = 0;
    for (int tries = 0; tries < 100 && n <= 0; tries++) {
        n = recv (fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            usleep (20000);
    }
    assert_true (n > 0);
    buf [n] = 0;
    assert_non_null (strstr (buf, "200 OK"));
    sent = s_trickle (fd, "GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    print_message ("kept alive: closed after %d bytes\n", sent);
    assert_true (sent > 0);
    close (fd);

    zc_http_stats_t stats;
    zc_http_stats (server, &stats);
    assert_int_equal (stats.deadline, 3);

    char out [256];
    assert_int_equal (s_get (NULL, "/slow", out, sizeof out), 200);
    assert_string_equal (out, "ok 0\n");
    //  a body sent in time is whole too
    assert_int_equal (rawhttp_request (NULL, s_port, "POST /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                       "Content-Length: 5\r\n\r\nhello", out, sizeof out, 10000), 200);
    assert_string_equal (out, "got 5\n");
    zc_http_stats (server, &stats);
    assert_int_equal (stats.deadline, 3);
    zc_http_stop (&server);
}

//  Framing a proxy and this server could read differently is refused with
//  a JSON 400, never reaches the handler, and closes the connection
static void
test_strict_framing (void **state)
{
    (void) state;
    zc_http_t *server = s_start (512, 16, 10000);
    const char *bad [] = {
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 3\r\n\r\nhello",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nhello",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello",
        "GET / HTTP/1.1\r\nHost: x\r\nBad\tName: 1\r\n\r\n",
    };
    int handled = atomic_load (&s_handled);
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char out [512];
        //  no Connection: close in the requests: the server must close
        int status = rawhttp_request (NULL, s_port, bad [i], out, sizeof out, 10000);
        print_message ("%zu: %d %s", i, status, out);
        assert_int_equal (status, 400);
        assert_non_null (strstr (out, "\"error\":\"bad_request\""));
    }
    assert_int_equal (atomic_load (&s_handled), handled);
    zc_http_stats_t stats;
    zc_http_stats (server, &stats);
    assert_int_equal (stats.malformed, sizeof bad / sizeof bad [0]);

    //  what is well framed still works
    char out [256];
    assert_int_equal (rawhttp_request (NULL, s_port, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                       "Content-Length: 5\r\n\r\nhello", out, sizeof out, 10000), 200);
    assert_string_equal (out, "got 5\n");
    assert_int_equal (rawhttp_request (NULL, s_port, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                                       out, sizeof out, 10000), 200);
    assert_string_equal (out, "got 5\n");
    zc_http_stop (&server);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_per_address),
        cmocka_unit_test (test_max_connections),
        cmocka_unit_test (test_deadline),
        cmocka_unit_test (test_strict_framing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
