/*  test_node_explorer.c - a whole node's gateway serves the block explorer at
 *  /: the page and every file it names, under a policy that keeps it on its
 *  own server; paths that are not its files are 404; --explorer=false
 *  (ZC_EXPLORER) leaves the api alone. The pages themselves are driven in
 *  Chromium by tests/browser/explorer.test.mjs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rawhttp.h"
#include "testnode.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RESPONSE_MAX (1 << 20)

static testnode_t *s_node;

//  The whole response (status line, headers, body) to method path; the status
static int
s_fetch (int port, const char *method, const char *path, char *out, size_t size)
{
    out [0] = 0;
    int fd = rawhttp_connect (NULL, port, 5000);
    if (fd < 0)
        return -1;
    char request [512];
    int n = snprintf (request, sizeof request,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method, path);
    if (rawhttp_send (fd, request, (size_t) n, 5000)) {
        close (fd);
        return -1;
    }
    //  blocking reads from here, each bounded by a timeout
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < size && (r = recv (fd, out + got, size - 1 - got, 0)) > 0)
        got += (size_t) r;
    out [got] = 0;
    close (fd);
    int status = 0;
    if (sscanf (out, "HTTP/%*s %d", &status) != 1)
        status = 0;
    return status;
}

static const char *
s_body (const char *response)
{
    const char *body = strstr (response, "\r\n\r\n");
    return body ? body + 4 : "";
}

//  The value of header name (case as the server writes it), into value
static bool
s_header (const char *response, const char *name, char *value, size_t size)
{
    const char *end = strstr (response, "\r\n\r\n");
    size_t len = strlen (name);
    for (const char *line = strstr (response, "\r\n"); line && line < end; line = strstr (line + 2, "\r\n"))
        if (!strncasecmp (line + 2, name, len) && line [2 + len] == ':') {
            const char *v = line + 3 + len;
            while (*v == ' ')
                v++;
            const char *stop = strstr (v, "\r\n");
            snprintf (value, size, "%.*s", (int) (stop - v), v);
            return true;
        }
    return false;
}

static void
test_page_and_its_files (void **state)
{
    (void) state;
    char *response = malloc (RESPONSE_MAX), value [1024];
    assert_non_null (response);
    assert_int_equal (s_fetch (s_node->http_port, "GET", "/", response, RESPONSE_MAX), 200);
    assert_true (s_header (response, "Content-Type", value, sizeof value));
    assert_string_equal (value, "text/html; charset=utf-8");
    //  the policy that keeps the page's scripts, styles and requests on this server
    assert_true (s_header (response, "Content-Security-Policy", value, sizeof value));
    assert_non_null (strstr (value, "default-src 'self'"));
    assert_non_null (strstr (value, "script-src 'self'"));
    assert_non_null (strstr (value, "connect-src 'self'"));
    assert_null (strstr (value, "unsafe-inline"));
    const char *page = s_body (response);
    assert_non_null (strstr (page, "<title>zchain explorer</title>"));
    assert_non_null (strstr (page, "id=\"search\""));
    //  no inline script or style: under that policy a browser would not run them
    assert_null (strstr (page, "<script>"));
    assert_null (strstr (page, "<style"));
    assert_null (strstr (page, " style="));
    assert_null (strstr (page, " onclick="));

    //  every file the page names is served, with its type
    char *index = strdup (page);
    int files = 0;
    for (const char *p = index; (p = strpbrk (p, "sh")); p++) {
        const char *attr = !strncmp (p, "src=\"", 5) ? p + 5 : !strncmp (p, "href=\"", 6) ? p + 6 : NULL;
        if (!attr)
            continue;
        const char *end = strchr (attr, '"');
        assert_non_null (end);
        if (*attr == '#' || !strncmp (attr, "/api/", 5))
            continue;                   //  routes of the page, the api
        //  nothing from another server: no scheme, no //host
        assert_null (memchr (attr, ':', (size_t) (end - attr)));
        char path [256];
        snprintf (path, sizeof path, "%s%.*s", *attr == '/' ? "" : "/", (int) (end - attr), attr);
        assert_int_equal (s_fetch (s_node->http_port, "GET", path, response, RESPONSE_MAX), 200);
        assert_true (s_header (response, "Content-Type", value, sizeof value));
        if (strstr (path, ".js"))
            assert_string_equal (value, "text/javascript; charset=utf-8");
        else
        if (strstr (path, ".css"))
            assert_string_equal (value, "text/css; charset=utf-8");
        else
        if (strstr (path, ".svg"))
            assert_string_equal (value, "image/svg+xml");
        assert_true (s_header (response, "Content-Security-Policy", value, sizeof value));
        assert_true (strlen (s_body (response)) > 0);
        files++;
    }
    free (index);
    assert_true (files >= 3);           //  the script, the style sheet, the icon

    assert_int_equal (s_fetch (s_node->http_port, "GET", "/explorer.js", response, RESPONSE_MAX), 200);
    assert_non_null (strstr (s_body (response), "/api/tip"));
    //  /index.html is the page too
    assert_int_equal (s_fetch (s_node->http_port, "GET", "/index.html", response, RESPONSE_MAX), 200);
    assert_non_null (strstr (s_body (response), "<title>zchain explorer</title>"));
    free (response);
}

static void
test_other_paths_not_found (void **state)
{
    (void) state;
    char *response = malloc (RESPONSE_MAX);
    assert_non_null (response);
    const char *missing [] = {
        "/nonexistent", "/../x", "/../explorer.js", "/%2e%2e/explorer.js", "/web/explorer/index.html",
        "/explorer.js/", "//explorer.js", "/block/00", "/api/nonexistent", "/api/",
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing [0]; i++) {
        int status = s_fetch (s_node->http_port, "GET", missing [i], response, RESPONSE_MAX);
        if (status != 404)
            fail_msg ("GET %s: %d, not 404", missing [i], status);
        assert_non_null (strstr (s_body (response), "\"error\":\"not_found\""));
    }
    //  the explorer's files are for reading: other methods are not served them
    assert_int_equal (s_fetch (s_node->http_port, "POST", "/", response, RESPONSE_MAX), 404);
    assert_int_equal (s_fetch (s_node->http_port, "DELETE", "/explorer.js", response, RESPONSE_MAX), 404);
    //  and the api beside it answers as ever
    assert_int_equal (s_fetch (s_node->http_port, "GET", "/api/tip", response, RESPONSE_MAX), 200);
    assert_non_null (strstr (s_body (response), "\"height\":"));
    free (response);
}

static void
test_explorer_off (void **state)
{
    (void) state;
    //  zchain up's services take ZC_* variables from its environment
    setenv ("ZC_EXPLORER", "false", 1);
    testnode_t *node = testnode_start (NULL, "--validators 1 --miners 0");
    unsetenv ("ZC_EXPLORER");
    assert_non_null (node);
    assert_true (testnode_height (node, NULL) >= 0);
    char *response = malloc (RESPONSE_MAX);
    assert_non_null (response);
    assert_int_equal (s_fetch (node->http_port, "GET", "/", response, RESPONSE_MAX), 404);
    assert_non_null (strstr (s_body (response), "\"error\":\"not_found\""));
    assert_int_equal (s_fetch (node->http_port, "GET", "/explorer.js", response, RESPONSE_MAX), 404);
    assert_int_equal (s_fetch (node->http_port, "GET", "/api/tip", response, RESPONSE_MAX), 200);
    assert_non_null (strstr (s_body (response), "\"height\":"));
    free (response);
    testnode_stop (&node, false);
}

static int
s_setup (void **state)
{
    (void) state;
    unsetenv ("ZC_EXPLORER");
    s_node = testnode_start (NULL, "--validators 1 --miners 0");
    return s_node && testnode_height (s_node, NULL) >= 0 ? 0 : -1;
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
        cmocka_unit_test (test_page_and_its_files),
        cmocka_unit_test (test_other_paths_not_found),
        cmocka_unit_test (test_explorer_off),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
