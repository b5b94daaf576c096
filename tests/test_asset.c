/*  test_asset.c - static files compiled in: the look-up refuses what is not
 *  a plain path, and a real server answers with the type, the bytes and a
 *  policy that keeps the page on its own server
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rawhttp.h"
#include "zc_asset.h"
#include "zc_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const unsigned char s_index [] = "<p>hi</p>";
static const unsigned char s_script [] = "let x = 1;";
static const zc_asset_t s_table [] = {
    { "/index.html", "text/html; charset=utf-8", s_index, sizeof s_index - 1 },
    { "/app.js", "text/javascript; charset=utf-8", s_script, sizeof s_script - 1 },
    { 0, 0, 0, 0 }
};

static void
test_find (void **state)
{
    (void) state;
    assert_ptr_equal (zc_asset_find (s_table, "/"), &s_table [0]);
    assert_ptr_equal (zc_asset_find (s_table, "/index.html"), &s_table [0]);
    assert_ptr_equal (zc_asset_find (s_table, "/app.js"), &s_table [1]);
    assert_null (zc_asset_find (s_table, "/missing.js"));
    assert_null (zc_asset_find (s_table, "/../app.js"));
    assert_null (zc_asset_find (s_table, "/app.js?x=1"));
    assert_null (zc_asset_find (s_table, "app.js"));
    assert_null (zc_asset_find (s_table, ""));
    assert_null (zc_asset_find (NULL, "/"));
    assert_null (zc_asset_find (s_table, NULL));
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) cls;
    (void) method;
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) con_cls;
    const zc_asset_t *asset = zc_asset_find (s_table, url);
    if (asset)
        return zc_asset_send (c, asset);
    struct MHD_Response *r = MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response (c, MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response (r);
    return rc;
}

//  The whole response to GET path, headers and body, into out
static void
s_fetch (int port, const char *path, char *out, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    char request [256];
    int n = snprintf (request, sizeof request,
                      "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    assert_int_equal (rawhttp_send (fd, request, (size_t) n, 5000), 0);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < size && (r = read (fd, out + got, size - 1 - got)) > 0)
        got += (size_t) r;
    out [got] = 0;
    close (fd);
}

static void
test_serve (void **state)
{
    (void) state;
    char err [256], listen [64];
    zc_http_t *server = NULL;
    int port = 0;
    for (int i = 0; i < 20 && !server; i++) {
        port = 43000 + (int) (getpid () % 1000) * 2 + i;
        snprintf (listen, sizeof listen, "127.0.0.1:%d", port);
        server = zc_http_start (listen, 1, NULL, s_handler, NULL, NULL, err, sizeof err);
    }
    assert_non_null (server);
    char response [4096];
    s_fetch (port, "/", response, sizeof response);
    assert_non_null (strstr (response, "HTTP/1.1 200"));
    assert_non_null (strstr (response, "Content-Type: text/html; charset=utf-8"));
    assert_non_null (strstr (response, "default-src 'self'"));
    assert_non_null (strstr (response, "X-Content-Type-Options: nosniff"));
    assert_non_null (strstr (response, "\r\n\r\n<p>hi</p>"));
    s_fetch (port, "/app.js", response, sizeof response);
    assert_non_null (strstr (response, "Content-Type: text/javascript"));
    assert_non_null (strstr (response, "let x = 1;"));
    s_fetch (port, "/../etc/passwd", response, sizeof response);
    assert_non_null (strstr (response, "HTTP/1.1 404"));
    zc_http_stop (&server);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_find),
        cmocka_unit_test (test_serve),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
